//! Lambda authorizers (`TOKEN` and `REQUEST`) of an API; the data plane
//! runs them ([`crate::invoke`]).

use crate::errors::{bad_request, ApigatewayError};
use crate::integrations::lambda_function;
use crate::patch::{self, PatchOp};
use crate::{copy_members, new_short_id, page_by_position, str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Checks an authorizer's members as API Gateway does.
pub(crate) fn check(a: &Value) -> Result<(), AwsError> {
    let kind = str_member(a, "type");
    match kind {
        "TOKEN" | "REQUEST" => {}
        "COGNITO_USER_POOLS" => return Err(bad_request("Gureum has no Cognito user pools, so it cannot validate their tokens: COGNITO_USER_POOLS authorizers are not supported.")),
        other => return Err(bad_request(format!("Invalid authorizer type specified: {other}. Must be one of: [TOKEN, REQUEST, COGNITO_USER_POOLS]"))),
    }
    if lambda_function(str_member(a, "authorizerUri")).is_none() {
        return Err(bad_request("Invalid Authorizer URI specified"));
    }
    let source = str_member(a, "identitySource");
    if kind == "TOKEN" && !source.starts_with("method.request.header.") {
        return Err(bad_request("Invalid identity source specified: a TOKEN authorizer takes one method.request.header.NAME"));
    }
    let known = |s: &str| {
        [
            "method.request.header.",
            "method.request.querystring.",
            "stageVariables.",
            "context.",
        ]
        .iter()
        .any(|p| s.starts_with(p))
    };
    if kind == "REQUEST" && !source.is_empty() && !source.split(',').map(str::trim).all(known) {
        return Err(bad_request(format!(
            "Invalid identity source specified: {source}"
        )));
    }
    if let Some(expr) = a
        .get("identityValidationExpression")
        .and_then(Value::as_str)
    {
        if crate::invoke::selection::compile(expr).is_none() {
            return Err(bad_request(format!(
                "Invalid identity validation expression specified: {expr}"
            )));
        }
    }
    match a["authorizerResultTtlInSeconds"].as_i64() {
        Some(ttl) if !(0..=3600).contains(&ttl) => Err(bad_request(
            "Invalid authorizer result TTL specified. Must be between 0 and 3600",
        )),
        _ => Ok(()),
    }
}

impl ApigatewayService {
    /// `CreateAuthorizer`.
    pub(crate) fn create_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut a = json!({"id": new_short_id(), "authorizerResultTtlInSeconds": 300});
        copy_members(
            &input,
            &mut a,
            &[
                "name",
                "type",
                "providerARNs",
                "authType",
                "authorizerUri",
                "authorizerCredentials",
                "identitySource",
                "identityValidationExpression",
                "authorizerResultTtlInSeconds",
            ],
        );
        check(&a)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            api.authorizers
                .insert(str_member(&a, "id").to_string(), a.clone());
            Ok(a.clone())
        })
    }

    /// `GetAuthorizer`.
    pub(crate) fn get_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        api.authorizers
            .get(str_member(&input, "authorizerId"))
            .cloned()
            .ok_or_else(|| ApigatewayError::AuthorizerNotFound.into())
    }

    /// `GetAuthorizers`.
    pub(crate) fn get_authorizers(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        page_by_position(api.authorizers.into_values().collect(), &input)
    }

    /// `UpdateAuthorizer`: name, URI, identity source and validation, TTL.
    pub(crate) fn update_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let a = api
                .authorizers
                .get_mut(str_member(&input, "authorizerId"))
                .ok_or(ApigatewayError::AuthorizerNotFound)?;
            for op in &ops {
                apply(a, op)?;
            }
            check(a)?;
            Ok(a.clone())
        })
    }

    /// `DeleteAuthorizer`: refused while a method uses it.
    pub(crate) fn delete_authorizer(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "authorizerId");
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            if !api.authorizers.contains_key(id) {
                return Err(ApigatewayError::AuthorizerNotFound.into());
            }
            let used = api
                .resources
                .values()
                .flat_map(|r| r.methods.values())
                .any(|m| m["authorizerId"].as_str() == Some(id));
            if used {
                return Err(ApigatewayError::Conflict {
                    message: "Cannot delete authorizer, is referenced in method".into(),
                }
                .into());
            }
            api.authorizers.remove(id);
            Ok(json!({}))
        })
    }
}

fn apply(a: &mut Value, op: &PatchOp) -> Result<(), AwsError> {
    match (op.op.as_str(), op.path.as_str()) {
        (
            "replace",
            "/name"
            | "/authorizerUri"
            | "/identitySource"
            | "/identityValidationExpression"
            | "/authorizerCredentials"
            | "/type",
        ) => {
            patch::set_or_remove(a, &op.path[1..], op.value.as_deref());
        }
        ("replace", "/authorizerResultTtlInSeconds") => {
            let ttl: i64 = op
                .value
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|_| {
                    bad_request(
                        "Invalid authorizer result TTL specified. Must be between 0 and 3600",
                    )
                })?;
            a["authorizerResultTtlInSeconds"] = json!(ttl);
        }
        _ => return Err(patch::invalid(op)),
    }
    Ok(())
}
