//! Integrations: `CreateIntegration`, `GetIntegration(s)`,
//! `UpdateIntegration`, `DeleteIntegration`.

use crate::children::{self, copy, find};
use crate::errors::bad;
use crate::{s, short_id, ApiGatewayV2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Members an integration takes from its create and update requests.
const MEMBERS: &[&str] = &[
    "ConnectionId",
    "ConnectionType",
    "ContentHandlingStrategy",
    "CredentialsArn",
    "Description",
    "IntegrationMethod",
    "IntegrationSubtype",
    "IntegrationType",
    "IntegrationUri",
    "PassthroughBehavior",
    "PayloadFormatVersion",
    "RequestParameters",
    "RequestTemplates",
    "ResponseParameters",
    "TemplateSelectionExpression",
    "TimeoutInMillis",
    "TlsConfig",
];

impl ApiGatewayV2Service {
    /// `CreateIntegration`.
    pub(crate) fn create_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let websocket = record.is_websocket();
            let mut integration = json!({
                "IntegrationId": short_id(),
                "ConnectionType": "INTERNET",
                "ApiGatewayManaged": false,
            });
            if websocket {
                integration["PassthroughBehavior"] = json!("WHEN_NO_MATCH");
                integration["ContentHandlingStrategy"] = json!("CONVERT_TO_TEXT");
                integration["TimeoutInMillis"] = json!(29000);
            } else {
                integration["TimeoutInMillis"] = json!(30000);
            }
            copy(&input, &mut integration, MEMBERS);
            check_integration(&integration, websocket)?;
            if integration.get("PayloadFormatVersion").is_none() && !websocket {
                // HTTP APIs answer the only version non-Lambda integrations take.
                integration["PayloadFormatVersion"] = json!("1.0");
            }
            let id = integration["IntegrationId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            record.integrations.insert(id, integration.clone());
            Ok(integration)
        })
    }

    /// `GetIntegration`.
    pub(crate) fn get_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let id = s(&input, "IntegrationId").unwrap_or_default();
        Ok(find(ctx, &mut record.integrations, "Integration", id)?.clone())
    }

    /// `GetIntegrations`.
    pub(crate) fn get_integrations(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        children::page_of(&record.integrations, &input)
    }

    /// `UpdateIntegration`.
    pub(crate) fn update_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "IntegrationId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let websocket = record.is_websocket();
            let mut integration = find(ctx, &mut record.integrations, "Integration", &id)?.clone();
            copy(&input, &mut integration, MEMBERS);
            check_integration(&integration, websocket)?;
            record.integrations.insert(id.clone(), integration.clone());
            Ok(integration)
        })
    }

    /// `DeleteIntegration`: refused while a route targets it.
    pub(crate) fn delete_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "IntegrationId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            if !record.integrations.contains_key(&id) {
                return Err(children::missing(ctx, "Integration", &id));
            }
            let target = format!("integrations/{id}");
            if let Some(route) = record
                .routes
                .values()
                .find(|r| r["Target"].as_str() == Some(target.as_str()))
            {
                return Err(crate::ApiGatewayV2Error::Conflict {
                    message: format!(
                        "Cannot delete Integration {id} because it is the target of Route {}",
                        route["RouteId"].as_str().unwrap_or_default()
                    ),
                }
                .into());
            }
            record.integrations.remove(&id);
            Ok(json!({}))
        })
    }
}

/// The integration's type, URI, method and payload version agree with
/// each other and with the API's protocol.
fn check_integration(integration: &Value, websocket: bool) -> Result<(), AwsError> {
    let kind = integration["IntegrationType"].as_str().unwrap_or_default();
    let uri = integration.get("IntegrationUri").and_then(Value::as_str);
    let version = integration
        .get("PayloadFormatVersion")
        .and_then(Value::as_str);
    match kind {
        "AWS_PROXY" => {
            if uri.is_none() && integration.get("IntegrationSubtype").is_none() {
                return Err(bad("IntegrationUri is required for AWS_PROXY integrations"));
            }
            match (version, websocket) {
                (Some("1.0"), _) | (None, true) => Ok(()),
                (Some("2.0"), false) => Ok(()),
                (None, false) => Err(bad(
                    "PayloadFormatVersion is required for AWS_PROXY integrations in HTTP APIs",
                )),
                (Some(v), _) => Err(bad(format!(
                    "Unsupported PayloadFormatVersion specified: {v}"
                ))),
            }
        }
        "HTTP_PROXY" | "HTTP" => {
            let Some(uri) = uri else {
                return Err(bad(format!(
                    "IntegrationUri is required for {kind} integrations"
                )));
            };
            if !uri.starts_with("http://")
                && !uri.starts_with("https://")
                && !uri.starts_with("arn:")
            {
                return Err(bad(format!(
                    "Invalid HTTP endpoint specified for URI: {uri}"
                )));
            }
            if integration.get("IntegrationMethod").is_none() {
                return Err(bad(format!(
                    "IntegrationMethod is required for {kind} integrations"
                )));
            }
            match version {
                None | Some("1.0") => Ok(()),
                Some(v) => Err(bad(format!(
                    "Unsupported PayloadFormatVersion specified: {v}"
                ))),
            }
        }
        "AWS" | "MOCK" => Ok(()),
        other => Err(bad(format!("Invalid integration type specified: {other}"))),
    }
}
