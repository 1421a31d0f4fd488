//! `CreateApi` (with quick create), `GetApi(s)`, `UpdateApi`, `DeleteApi`
//! and `DeleteCorsConfiguration`.

use crate::errors::bad;
use crate::{now_secs, random_id, s, short_id, ApiGatewayV2Service, ApiRecord};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::{json, Map};

/// The only route selection expression HTTP APIs take.
pub const HTTP_ROUTE_SELECTION: &str = "$request.method $request.path";

/// The default API key selection expression.
const API_KEY_SELECTION: &str = "$request.header.x-api-key";

/// Members `CreateApi` and `UpdateApi` copy as given.
const COPIED: &[&str] = &[
    "ApiKeySelectionExpression",
    "CorsConfiguration",
    "Description",
    "DisableSchemaValidation",
    "DisableExecuteApiEndpoint",
    "IpAddressType",
    "Name",
    "RouteSelectionExpression",
    "Version",
];

impl ApiGatewayV2Service {
    /// `CreateApi`: an HTTP or WebSocket API; with `Target` (HTTP only) the
    /// quick create also makes the integration, the route (`RouteKey`,
    /// default `$default`) and the auto-deployed `$default` stage.
    pub(crate) fn create_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let protocol = s(&input, "ProtocolType").unwrap_or("HTTP");
        let websocket = protocol == "WEBSOCKET";
        check_selection(&input, websocket)?;
        if websocket {
            for quick in ["Target", "RouteKey", "CredentialsArn"] {
                if input.get(quick).is_some() {
                    return Err(bad(format!(
                        "{quick} is not supported for WEBSOCKET protocol type"
                    )));
                }
            }
            if input.get("CorsConfiguration").is_some() {
                return Err(bad("CORS is not supported for WEBSOCKET protocol type"));
            }
        } else if input.get("RouteKey").is_some() && input.get("Target").is_none() {
            return Err(bad("RouteKey requires Target for quick create"));
        }
        let id = random_id(10);
        let mut api = Map::new();
        for m in COPIED {
            if let Some(v) = input.get(*m) {
                api.insert((*m).into(), v.clone());
            }
        }
        api.insert("ApiId".into(), json!(id));
        api.insert("ProtocolType".into(), json!(protocol));
        api.insert("ApiEndpoint".into(), json!(endpoint(ctx, &id, websocket)));
        api.insert("CreatedDate".into(), json!(now_secs(ctx)));
        api.entry("ApiKeySelectionExpression")
            .or_insert_with(|| json!(API_KEY_SELECTION));
        if !websocket {
            api.entry("RouteSelectionExpression")
                .or_insert_with(|| json!(HTTP_ROUTE_SELECTION));
        }
        api.entry("DisableExecuteApiEndpoint")
            .or_insert(json!(false));
        api.entry("IpAddressType").or_insert(json!("ipv4"));
        let mut record = ApiRecord {
            api,
            tags: crate::tags::tag_map(&input)?,
            ..ApiRecord::default()
        };
        if let Some(target) = s(&input, "Target") {
            quick_create(ctx, &mut record, target, &input)?;
        }
        let scope = Scope::regional(ctx);
        let key = scope.key(&id);
        let home = format!("{}/{}", ctx.account_id, ctx.region);
        self.store.write(|txn| {
            txn.put(&self.apis, &key, &record)?;
            txn.put(&self.homes, &id, &home)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(api_view(&record))
    }

    /// `GetApi`.
    pub(crate) fn get_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        Ok(api_view(&record))
    }

    /// `GetApis`: a page of the region's APIs.
    pub(crate) fn get_apis(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let request = crate::children::page_request(&input)?;
        let scope = Scope::regional(ctx);
        let page = gureum_kit::paging::page(&self.apis, &scope.prefix(), &request, |_, r| {
            Some(api_view(&r))
        })?;
        let mut out = json!({ "Items": page.items });
        if let Some(t) = page.next_token {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    /// `UpdateApi`: the given members replace the stored ones.
    pub(crate) fn update_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &id, |record| {
            let websocket = record.is_websocket();
            check_selection(&input, websocket)?;
            if websocket && input.get("CorsConfiguration").is_some() {
                return Err(bad("CORS is not supported for WEBSOCKET protocol type"));
            }
            for m in COPIED {
                if let Some(v) = input.get(*m) {
                    record.api.insert((*m).into(), v.clone());
                }
            }
            update_quick_create(record, &input)?;
            Ok(api_view(record))
        })
    }

    /// `DeleteApi`.
    pub(crate) fn delete_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = s(&input, "ApiId").unwrap_or_default();
        let key = Scope::regional(ctx).key(id);
        self.store.write(|txn| {
            if !txn.delete(&self.apis, &key)? {
                return Err(crate::not_found(ctx, id));
            }
            txn.delete(&self.homes, id)?;
            Ok(())
        })?;
        // Its WebSocket clients are disconnected with it.
        self.connections.close_api(id);
        Ok(json!({}))
    }

    /// `DeleteCorsConfiguration`.
    pub(crate) fn delete_cors_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &id, |record| {
            record.api.remove("CorsConfiguration");
            Ok(json!({}))
        })
    }
}

/// The `Api` shape of a record, tags included.
pub(crate) fn api_view(record: &ApiRecord) -> Value {
    let mut api = record.api.clone();
    api.insert("Tags".into(), json!(record.tags));
    Value::Object(api)
}

/// Where the API is served: Gureum's own port under the
/// `execute-api.localhost` host names when the request named the port,
/// else AWS's host name.
fn endpoint(ctx: &RequestContext, id: &str, websocket: bool) -> String {
    let scheme = if websocket { "ws" } else { "http" };
    let port = ctx
        .host
        .as_deref()
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| p)
        .filter(|p| p.parse::<u16>().is_ok());
    match port {
        Some(port) => format!("{scheme}://{id}.execute-api.localhost:{port}"),
        None => format!(
            "{}://{id}.execute-api.{}.amazonaws.com",
            if websocket { "wss" } else { "https" },
            ctx.region
        ),
    }
}

/// The route selection expression rules: HTTP APIs take only
/// `$request.method $request.path`; WebSocket APIs must name one.
fn check_selection(input: &Value, websocket: bool) -> Result<(), AwsError> {
    match (s(input, "RouteSelectionExpression"), websocket) {
        (Some(e), false) if e != HTTP_ROUTE_SELECTION => Err(bad(format!(
            "Unsupported route selection expression for HTTP API: {e}. Supported value is {HTTP_ROUTE_SELECTION}"
        ))),
        (None, true) if input.get("ProtocolType").is_some() => {
            Err(bad("RouteSelectionExpression is required for WEBSOCKET protocol type"))
        }
        (Some(e), true) if !e.starts_with("$request.") && !e.starts_with("${request.") => Err(
            bad(format!("Invalid route selection expression specified: {e}")),
        ),
        _ => Ok(()),
    }
}

/// Quick create: the integration for `target` (a Lambda ARN becomes
/// `AWS_PROXY` with payload 2.0, a URL `HTTP_PROXY`), the route, and the
/// `$default` stage deploying itself; all marked `ApiGatewayManaged`.
fn quick_create(
    ctx: &RequestContext,
    record: &mut ApiRecord,
    target: &str,
    input: &Value,
) -> Result<(), AwsError> {
    let route_key = s(input, "RouteKey").unwrap_or("$default");
    crate::routes::check_route_key(route_key, false)?;
    let integration_id = short_id();
    let mut integration = if target.starts_with("http://") || target.starts_with("https://") {
        json!({
            "IntegrationType": "HTTP_PROXY",
            "IntegrationMethod": "ANY",
            "PayloadFormatVersion": "1.0",
        })
    } else if target.starts_with("arn:") {
        json!({
            "IntegrationType": "AWS_PROXY",
            "PayloadFormatVersion": "2.0",
        })
    } else {
        return Err(bad(format!("Invalid target specified: {target}")));
    };
    integration["IntegrationId"] = json!(integration_id);
    integration["IntegrationUri"] = json!(target);
    integration["ConnectionType"] = json!("INTERNET");
    integration["TimeoutInMillis"] = json!(30000);
    integration["ApiGatewayManaged"] = json!(true);
    if let Some(c) = input.get("CredentialsArn") {
        integration["CredentialsArn"] = c.clone();
    }
    record
        .integrations
        .insert(integration_id.clone(), integration);
    let route_id = short_id();
    record.routes.insert(
        route_id.clone(),
        json!({
            "RouteId": route_id,
            "RouteKey": route_key,
            "Target": format!("integrations/{integration_id}"),
            "AuthorizationType": "NONE",
            "ApiKeyRequired": false,
            "ApiGatewayManaged": true,
        }),
    );
    let now = now_secs(ctx);
    record.stages.insert(
        "$default".into(),
        json!({
            "StageName": "$default",
            "AutoDeploy": true,
            "CreatedDate": now,
            "LastUpdatedDate": now,
            "ApiGatewayManaged": true,
            "DefaultRouteSettings": {"DetailedMetricsEnabled": false},
            "RouteSettings": {},
            "StageVariables": {},
        }),
    );
    Ok(())
}

/// `UpdateApi`'s `Target`, `RouteKey` and `CredentialsArn` change what
/// quick create made (the integration and route API Gateway manages);
/// an API made without quick create has none to change.
fn update_quick_create(record: &mut ApiRecord, input: &Value) -> Result<(), AwsError> {
    let asked = ["Target", "RouteKey", "CredentialsArn"]
        .iter()
        .any(|m| input.get(*m).is_some());
    if !asked {
        return Ok(());
    }
    let managed = |v: &Value| v["ApiGatewayManaged"] == json!(true);
    let route_id = record
        .routes
        .iter()
        .find(|(_, r)| managed(r))
        .map(|(id, _)| id.clone());
    let integration_id = record
        .integrations
        .iter()
        .find(|(_, i)| managed(i))
        .map(|(id, _)| id.clone());
    let (Some(route_id), Some(integration_id)) = (route_id, integration_id) else {
        return Err(bad(
            "Target, RouteKey and CredentialsArn can only be updated on an API made by quick create",
        ));
    };
    if let Some(key) = s(input, "RouteKey") {
        crate::routes::check_route_key(key, false)?;
        if let Some(route) = record.routes.get_mut(&route_id) {
            route["RouteKey"] = json!(key);
        }
    }
    if let Some(integration) = record.integrations.get_mut(&integration_id) {
        if let Some(target) = s(input, "Target") {
            integration["IntegrationUri"] = json!(target);
        }
        if let Some(c) = input.get("CredentialsArn") {
            integration["CredentialsArn"] = c.clone();
        }
    }
    Ok(())
}
