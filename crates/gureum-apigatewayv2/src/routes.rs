//! Routes: `CreateRoute`, `GetRoute(s)`, `UpdateRoute`, `DeleteRoute`,
//! and the rules a route key and its target follow.

use crate::children::{self, copy, find};
use crate::errors::{bad, ApiGatewayV2Error};
use crate::{s, short_id, ApiGatewayV2Service, ApiRecord};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The methods an HTTP API route key may name.
const METHODS: &[&str] = &[
    "ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
];

/// Members a route takes from `CreateRoute` and `UpdateRoute`.
const MEMBERS: &[&str] = &[
    "ApiKeyRequired",
    "AuthorizationScopes",
    "AuthorizationType",
    "AuthorizerId",
    "ModelSelectionExpression",
    "OperationName",
    "RequestModels",
    "RequestParameters",
    "RouteKey",
    "RouteResponseSelectionExpression",
    "Target",
];

impl ApiGatewayV2Service {
    /// `CreateRoute`.
    pub(crate) fn create_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let mut route = json!({
                "RouteId": short_id(),
                "AuthorizationType": "NONE",
                "ApiKeyRequired": false,
                "ApiGatewayManaged": false,
            });
            copy(&input, &mut route, MEMBERS);
            check_route(ctx, record, &route, None)?;
            let id = route["RouteId"].as_str().unwrap_or_default().to_string();
            record.routes.insert(id, route.clone());
            Ok(route)
        })
    }

    /// `GetRoute`.
    pub(crate) fn get_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let id = s(&input, "RouteId").unwrap_or_default();
        Ok(find(ctx, &mut record.routes, "Route", id)?.clone())
    }

    /// `GetRoutes`.
    pub(crate) fn get_routes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        children::page_of(&record.routes, &input)
    }

    /// `UpdateRoute`.
    pub(crate) fn update_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "RouteId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let mut route = find(ctx, &mut record.routes, "Route", &id)?.clone();
            copy(&input, &mut route, MEMBERS);
            check_route(ctx, record, &route, Some(&id))?;
            record.routes.insert(id.clone(), route.clone());
            Ok(route)
        })
    }

    /// `DeleteRoute`.
    pub(crate) fn delete_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "RouteId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            record
                .routes
                .remove(&id)
                .ok_or_else(|| children::missing(ctx, "Route", &id))?;
            record.route_responses.remove(&id);
            Ok(json!({}))
        })
    }
}

/// A route's key, target and authorizer against its API: the key is
/// well-formed and not taken by another route (`except`), the target
/// integration and the authorizer exist.
fn check_route(
    ctx: &RequestContext,
    record: &ApiRecord,
    route: &Value,
    except: Option<&str>,
) -> Result<(), AwsError> {
    let key = route["RouteKey"].as_str().unwrap_or_default();
    check_route_key(key, record.is_websocket())?;
    let taken = record
        .routes
        .iter()
        .any(|(id, r)| Some(id.as_str()) != except && r["RouteKey"].as_str() == Some(key));
    if taken {
        return Err(ApiGatewayV2Error::Conflict {
            message: format!("Route with key {key} already exists for this API"),
        }
        .into());
    }
    if let Some(target) = route.get("Target").and_then(Value::as_str) {
        let integration = target.strip_prefix("integrations/").ok_or_else(|| {
            bad(format!(
                "Invalid target specified: {target}. Target must be of the form integrations/<IntegrationId>"
            ))
        })?;
        if !record.integrations.contains_key(integration) {
            return Err(children::missing(ctx, "Integration", integration));
        }
    }
    let kind = route["AuthorizationType"].as_str().unwrap_or("NONE");
    match (kind, route.get("AuthorizerId").and_then(Value::as_str)) {
        ("NONE" | "AWS_IAM", _) => Ok(()),
        ("JWT" | "CUSTOM", None) => Err(bad(format!(
            "An authorizer must be specified for authorization type {kind}"
        ))),
        ("JWT" | "CUSTOM", Some(id)) => {
            let authorizer = record
                .authorizers
                .get(id)
                .ok_or_else(|| children::missing(ctx, "Authorizer", id))?;
            let wanted = if kind == "JWT" { "JWT" } else { "REQUEST" };
            if authorizer["AuthorizerType"].as_str() != Some(wanted) {
                return Err(bad(format!(
                    "Authorization type {kind} requires an authorizer of type {wanted}"
                )));
            }
            Ok(())
        }
        (other, _) => Err(bad(format!(
            "Invalid authorization type specified: {other}"
        ))),
    }
}

/// AWS's route key rules. HTTP: `$default` or `METHOD /path`, where a
/// path segment is literal text, `{name}`, or (last only) `{name+}`.
/// WebSocket: any key; `$connect`, `$disconnect`, `$default` are the
/// reserved ones.
pub(crate) fn check_route_key(key: &str, websocket: bool) -> Result<(), AwsError> {
    if key.is_empty() {
        return Err(bad("Route key must not be empty"));
    }
    if websocket {
        if key.starts_with('$') && !matches!(key, "$connect" | "$disconnect" | "$default") {
            return Err(bad(format!("Invalid route key specified: {key}")));
        }
        return Ok(());
    }
    if key == "$default" {
        return Ok(());
    }
    let Some((method, path)) = key.split_once(' ') else {
        return Err(bad(format!("Invalid route key specified: {key}")));
    };
    if !METHODS.contains(&method) {
        return Err(bad(format!("Invalid HTTP method specified: {method}")));
    }
    if !path.starts_with('/') || !path_is_valid(path) {
        return Err(bad("One or more path parts appear to be invalid"));
    }
    Ok(())
}

/// Whether a route path's segments are well-formed.
fn path_is_valid(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, seg)| {
        if seg.is_empty() {
            return false;
        }
        match seg.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            Some(name) => {
                let (name, greedy) = match name.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (name, false),
                };
                (!greedy || i == last)
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            }
            None => !seg.contains(['{', '}', ' ']),
        }
    })
}
