//! Gateway responses: how API Gateway's own answers (missing route, bad
//! API key, failed validation, throttling, …) look for an API. Every API
//! has AWS's defaults; `PutGatewayResponse`/`UpdateGatewayResponse`
//! customise one type (status code, headers, templates), and a customised
//! `DEFAULT_4XX`/`DEFAULT_5XX` covers every type of its class that is not
//! customised itself. The data plane applies them from the deployment
//! ([`crate::invoke::gateway_responses`]).

use crate::errors::{bad_request, ApigatewayError};
use crate::patch::{self, PatchOp};
use crate::{page_by_position, str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Every gateway response type, with its default status code
/// (`DEFAULT_4XX`/`DEFAULT_5XX` have none).
pub const TYPES: [(&str, Option<&str>); 21] = [
    ("ACCESS_DENIED", Some("403")),
    ("API_CONFIGURATION_ERROR", Some("500")),
    ("AUTHORIZER_CONFIGURATION_ERROR", Some("500")),
    ("AUTHORIZER_FAILURE", Some("500")),
    ("BAD_REQUEST_BODY", Some("400")),
    ("BAD_REQUEST_PARAMETERS", Some("400")),
    ("DEFAULT_4XX", None),
    ("DEFAULT_5XX", None),
    ("EXPIRED_TOKEN", Some("403")),
    ("INTEGRATION_FAILURE", Some("504")),
    ("INTEGRATION_TIMEOUT", Some("504")),
    ("INVALID_API_KEY", Some("403")),
    ("INVALID_SIGNATURE", Some("403")),
    ("MISSING_AUTHENTICATION_TOKEN", Some("403")),
    ("QUOTA_EXCEEDED", Some("429")),
    ("REQUEST_TOO_LARGE", Some("413")),
    ("RESOURCE_NOT_FOUND", Some("404")),
    ("THROTTLED", Some("429")),
    ("UNAUTHORIZED", Some("401")),
    ("UNSUPPORTED_MEDIA_TYPE", Some("415")),
    ("WAF_FILTERED", Some("403")),
];

/// The body template every default gateway response has.
pub const DEFAULT_TEMPLATE: &str = "{\"message\":$context.error.messageString}";

/// The default status code of `kind`, when it is a type.
pub fn default_status(kind: &str) -> Option<Option<&'static str>> {
    TYPES.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s)
}

/// The gateway response `kind` as AWS has it before any customisation.
pub fn default_response(kind: &str) -> Value {
    let mut r = json!({
        "responseType": kind,
        "responseParameters": {},
        "responseTemplates": {"application/json": DEFAULT_TEMPLATE},
        "defaultResponse": true,
    });
    if let Some(Some(status)) = default_status(kind) {
        r["statusCode"] = json!(status);
    }
    r
}

fn check_type(kind: &str) -> Result<(), AwsError> {
    match default_status(kind) {
        Some(_) => Ok(()),
        None => Err(bad_request(format!(
            "Invalid response type specified: {kind}"
        ))),
    }
}

fn check_status(code: Option<&str>) -> Result<(), AwsError> {
    match code {
        Some(c) if !c.is_empty() => crate::methods::check_status(c),
        _ => Ok(()),
    }
}

/// Refuses response parameters that are not `gatewayresponse.header.NAME`
/// mapped from a literal, a request parameter, a stage variable or the
/// context.
fn check_parameters(parameters: &Value) -> Result<(), AwsError> {
    let invalid = |what: &str| {
        bad_request(format!("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {what}]"))
    };
    for (key, value) in parameters.as_object().into_iter().flatten() {
        if key
            .strip_prefix("gatewayresponse.header.")
            .is_none_or(str::is_empty)
        {
            return Err(invalid(key));
        }
        let v = value.as_str().unwrap_or_default();
        let source_ok = (v.len() >= 2 && v.starts_with('\'') && v.ends_with('\''))
            || [
                "method.request.header.",
                "method.request.querystring.",
                "method.request.path.",
                "method.request.multivalueheader.",
                "method.request.multivaluequerystring.",
                "stageVariables.",
                "context.",
            ]
            .iter()
            .any(|p| v.starts_with(p));
        if !source_ok {
            return Err(invalid(v));
        }
    }
    Ok(())
}

impl ApigatewayService {
    /// `PutGatewayResponse`: replaces the type's customisation.
    pub(crate) fn put_gateway_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = str_member(&input, "responseType");
        check_type(kind)?;
        check_status(input.get("statusCode").and_then(Value::as_str))?;
        let parameters = input
            .get("responseParameters")
            .cloned()
            .unwrap_or(json!({}));
        check_parameters(&parameters)?;
        let mut r = json!({
            "responseType": kind,
            "responseParameters": parameters,
            "responseTemplates": input.get("responseTemplates").cloned().unwrap_or(json!({})),
            "defaultResponse": false,
        });
        crate::copy_members(&input, &mut r, &["statusCode"]);
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            api.gateway_responses.insert(kind.to_string(), r.clone());
            Ok(r)
        })
    }

    /// `GetGatewayResponse`: the customisation, else AWS's default.
    pub(crate) fn get_gateway_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = str_member(&input, "responseType");
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        check_type(kind)?;
        Ok(api
            .gateway_responses
            .get(kind)
            .cloned()
            .unwrap_or_else(|| default_response(kind)))
    }

    /// `GetGatewayResponses`: every type, customised or default.
    pub(crate) fn get_gateway_responses(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let all = TYPES
            .iter()
            .map(|(kind, _)| {
                api.gateway_responses
                    .get(*kind)
                    .cloned()
                    .unwrap_or_else(|| default_response(kind))
            })
            .collect();
        page_by_position(all, &input)
    }

    /// `UpdateGatewayResponse`: `/statusCode`,
    /// `/responseParameters/NAME`, `/responseTemplates/TYPE`.
    pub(crate) fn update_gateway_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = str_member(&input, "responseType");
        check_type(kind)?;
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            let mut r = api
                .gateway_responses
                .get(kind)
                .cloned()
                .unwrap_or_else(|| default_response(kind));
            for op in &ops {
                apply(&mut r, op)?;
            }
            r["defaultResponse"] = json!(false);
            check_parameters(&r["responseParameters"])?;
            api.gateway_responses.insert(kind.to_string(), r.clone());
            Ok(r)
        })
    }

    /// `DeleteGatewayResponse`: back to AWS's default.
    pub(crate) fn delete_gateway_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let kind = str_member(&input, "responseType");
        check_type(kind)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            match api.gateway_responses.remove(kind) {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::GatewayResponseNotFound.into()),
            }
        })
    }
}

fn apply(r: &mut Value, op: &PatchOp) -> Result<(), AwsError> {
    if op.path == "/statusCode" && matches!(op.op.as_str(), "replace" | "add") {
        check_status(op.value.as_deref())?;
        patch::set_or_remove(r, "statusCode", op.value.as_deref());
        return Ok(());
    }
    let (map, key) = match op.path.strip_prefix('/').and_then(|p| p.split_once('/')) {
        Some((m @ ("responseParameters" | "responseTemplates"), k)) if !k.is_empty() => {
            (m, patch::unescape(k))
        }
        _ => return Err(patch::invalid(op)),
    };
    if !r[map].is_object() {
        r[map] = json!({});
    }
    match (op.op.as_str(), &op.value) {
        ("add" | "replace", Some(v)) => r[map][&key] = json!(v),
        ("remove", _) => {
            if let Some(m) = r[map].as_object_mut() {
                m.remove(&key);
            }
        }
        _ => return Err(patch::invalid(op)),
    }
    Ok(())
}
