//! Authorizers: `CreateAuthorizer`, `GetAuthorizer(s)`,
//! `UpdateAuthorizer`, `DeleteAuthorizer` (JWT and Lambda `REQUEST`).

use crate::children::{self, copy, find};
use crate::errors::bad;
use crate::{s, short_id, ApiGatewayV2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Members an authorizer takes from its create and update requests.
const MEMBERS: &[&str] = &[
    "AuthorizerCredentialsArn",
    "AuthorizerPayloadFormatVersion",
    "AuthorizerResultTtlInSeconds",
    "AuthorizerType",
    "AuthorizerUri",
    "EnableSimpleResponses",
    "IdentitySource",
    "IdentityValidationExpression",
    "JwtConfiguration",
    "Name",
];

impl ApiGatewayV2Service {
    /// `CreateAuthorizer`.
    pub(crate) fn create_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let mut authorizer = json!({ "AuthorizerId": short_id() });
            copy(&input, &mut authorizer, MEMBERS);
            check_authorizer(&authorizer, record.is_websocket())?;
            let id = authorizer["AuthorizerId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            record.authorizers.insert(id, authorizer.clone());
            Ok(authorizer)
        })
    }

    /// `GetAuthorizer`.
    pub(crate) fn get_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let id = s(&input, "AuthorizerId").unwrap_or_default();
        Ok(find(ctx, &mut record.authorizers, "Authorizer", id)?.clone())
    }

    /// `GetAuthorizers`.
    pub(crate) fn get_authorizers(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        children::page_of(&record.authorizers, &input)
    }

    /// `UpdateAuthorizer`.
    pub(crate) fn update_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "AuthorizerId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let websocket = record.is_websocket();
            let mut authorizer = find(ctx, &mut record.authorizers, "Authorizer", &id)?.clone();
            copy(&input, &mut authorizer, MEMBERS);
            check_authorizer(&authorizer, websocket)?;
            record.authorizers.insert(id.clone(), authorizer.clone());
            Ok(authorizer)
        })
    }

    /// `DeleteAuthorizer`: refused while a route uses it.
    pub(crate) fn delete_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "AuthorizerId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            if !record.authorizers.contains_key(&id) {
                return Err(children::missing(ctx, "Authorizer", &id));
            }
            if record
                .routes
                .values()
                .any(|r| r["AuthorizerId"].as_str() == Some(id.as_str()))
            {
                return Err(crate::ApiGatewayV2Error::Conflict {
                    message: format!("Cannot delete authorizer {id}: it is in use by a route"),
                }
                .into());
            }
            record.authorizers.remove(&id);
            Ok(json!({}))
        })
    }
}

/// JWT authorizers need an issuer and (HTTP APIs only) an identity
/// source; `REQUEST` ones a Lambda URI and, on HTTP APIs, a payload format.
fn check_authorizer(authorizer: &Value, websocket: bool) -> Result<(), AwsError> {
    match authorizer["AuthorizerType"].as_str().unwrap_or_default() {
        "JWT" => {
            if websocket {
                return Err(bad("JWT authorizers are not supported for WEBSOCKET APIs"));
            }
            let issuer = authorizer
                .pointer("/JwtConfiguration/Issuer")
                .and_then(Value::as_str);
            if issuer.is_none() {
                return Err(bad(
                    "JwtConfiguration.Issuer is required for JWT authorizers",
                ));
            }
            Ok(())
        }
        "REQUEST" => {
            if authorizer.get("AuthorizerUri").is_none() {
                return Err(bad("AuthorizerUri is required for REQUEST authorizers"));
            }
            if !websocket {
                match authorizer["AuthorizerPayloadFormatVersion"].as_str() {
                    Some("1.0" | "2.0") => {}
                    Some(v) => {
                        return Err(bad(format!(
                            "Unsupported AuthorizerPayloadFormatVersion specified: {v}"
                        )))
                    }
                    None => {
                        return Err(bad(
                            "AuthorizerPayloadFormatVersion is required for REQUEST authorizers",
                        ))
                    }
                }
            }
            Ok(())
        }
        other => Err(bad(format!("Invalid authorizer type specified: {other}"))),
    }
}

/// The function ARN inside an authorizer or integration URI
/// (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`),
/// or the URI itself when it is a function ARN already.
pub fn function_arn(uri: &str) -> &str {
    match uri.split_once("/functions/") {
        Some((_, rest)) => rest.strip_suffix("/invocations").unwrap_or(rest),
        None => uri,
    }
}
