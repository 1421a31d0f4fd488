//! Integrations of methods and their integration responses.

use crate::errors::{bad_request, ApigatewayError};
use crate::methods::{check_status, MethodRef, VERBS};
use crate::{copy_members, str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The integration types API Gateway accepts.
const TYPES: [&str; 5] = ["HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"];
/// The passthrough behaviours.
const PASSTHROUGH: [&str; 3] = ["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"];

/// The Lambda function ARN of an integration URI
/// (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`).
pub fn lambda_function(uri: &str) -> Option<&str> {
    let rest = uri.split_once(":lambda:path/")?.1;
    let arn = rest.split_once("/functions/")?.1;
    let arn = arn.strip_suffix("/invocations")?;
    arn.starts_with("arn:").then_some(arn)
}

/// Checks the members of `PutIntegration` as API Gateway does.
pub(crate) fn check(input: &Value) -> Result<(), AwsError> {
    let kind = str_member(input, "type");
    if !TYPES.contains(&kind) {
        return Err(bad_request(format!(
            "Invalid integration type specified: {kind}. Must be one of: [HTTP, AWS, MOCK, HTTP_PROXY, AWS_PROXY]"
        )));
    }
    let uri = str_member(input, "uri");
    let verb = str_member(input, "integrationHttpMethod");
    if kind != "MOCK" {
        if verb.is_empty() {
            return Err(bad_request(
                "Enumeration value for HttpMethod must be non-empty",
            ));
        }
        if !VERBS.contains(&verb.to_ascii_uppercase().as_str()) {
            return Err(bad_request(format!("Invalid HttpMethod specified: {verb}")));
        }
        if uri.is_empty() {
            return Err(bad_request("Invalid integration URI specified"));
        }
    }
    match kind {
        "HTTP" | "HTTP_PROXY" if !(uri.starts_with("http://") || uri.starts_with("https://")) => {
            Err(bad_request("Invalid HTTP endpoint specified for URI"))
        }
        "AWS" | "AWS_PROXY" if !uri.starts_with("arn:aws:apigateway:") => {
            Err(bad_request("AWS ARN for integration must contain path or action"))
        }
        "AWS_PROXY" if lambda_function(uri).is_none() => Err(bad_request(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
        )),
        _ => match input.get("passthroughBehavior").and_then(Value::as_str) {
            Some(p) if !PASSTHROUGH.contains(&p) => Err(bad_request(format!(
                "Invalid passthrough behavior specified: {p}. Valid values are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER"
            ))),
            _ => Ok(()),
        },
    }
}

impl ApigatewayService {
    /// `PutIntegration`: replaces the method's integration.
    pub(crate) fn put_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        self.update_method(ctx, &m, |method| {
            check(&input)?;
            let kind = str_member(&input, "type");
            let mut integration = json!({
                "type": kind,
                "passthroughBehavior": input.get("passthroughBehavior").and_then(Value::as_str).unwrap_or("WHEN_NO_MATCH"),
                "timeoutInMillis": input.get("timeoutInMillis").and_then(Value::as_i64).unwrap_or(29_000),
                "cacheNamespace": input.get("cacheNamespace").and_then(Value::as_str).unwrap_or(m.resource),
                "cacheKeyParameters": input.get("cacheKeyParameters").cloned().unwrap_or(json!([])),
            });
            if kind != "MOCK" {
                integration["httpMethod"] = json!(str_member(&input, "integrationHttpMethod").to_ascii_uppercase());
                integration["uri"] = json!(str_member(&input, "uri"));
                integration["connectionType"] = json!(input.get("connectionType").and_then(Value::as_str).unwrap_or("INTERNET"));
            }
            copy_members(&input, &mut integration, &["requestParameters", "requestTemplates", "credentials", "contentHandling", "connectionId", "tlsConfig", "responseTransferMode", "integrationTarget"]);
            // Proxy integrations answer with what the backend sent: AWS
            // lists no integration responses for them.
            method["methodIntegration"] = integration.clone();
            Ok(integration)
        })
    }

    /// `GetIntegration`.
    pub(crate) fn get_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        let (_, mut api) = self.api(ctx, m.api)?;
        let method = crate::methods::method_mut(&mut api, m.resource, m.verb)?;
        method
            .get("methodIntegration")
            .cloned()
            .ok_or_else(|| ApigatewayError::IntegrationNotFound.into())
    }

    /// `DeleteIntegration`.
    pub(crate) fn delete_integration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            match method
                .as_object_mut()
                .and_then(|o| o.remove("methodIntegration"))
            {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::IntegrationNotFound.into()),
            }
        })
    }

    /// `PutIntegrationResponse`: needs the method response of the same
    /// status code.
    pub(crate) fn put_integration_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let code = str_member(&input, "statusCode");
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            check_status(code)?;
            if method.get("methodIntegration").is_none() {
                return Err(ApigatewayError::IntegrationNotFound.into());
            }
            if method
                .pointer(&format!("/methodResponses/{code}"))
                .is_none()
            {
                return Err(ApigatewayError::ResponseNotFound.into());
            }
            if let Some(p) = input.get("selectionPattern").and_then(Value::as_str) {
                if crate::invoke::selection::compile(p).is_none() {
                    return Err(bad_request(format!(
                        "Invalid selection pattern specified: {p}"
                    )));
                }
            }
            let mut response = json!({"statusCode": code});
            copy_members(
                &input,
                &mut response,
                &[
                    "selectionPattern",
                    "responseParameters",
                    "responseTemplates",
                    "contentHandling",
                ],
            );
            method["methodIntegration"]["integrationResponses"][code] = response.clone();
            Ok(response)
        })
    }

    /// `GetIntegrationResponse`.
    pub(crate) fn get_integration_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        let (_, mut api) = self.api(ctx, m.api)?;
        let method = crate::methods::method_mut(&mut api, m.resource, m.verb)?;
        if method.get("methodIntegration").is_none() {
            return Err(ApigatewayError::IntegrationNotFound.into());
        }
        method
            .pointer(&format!(
                "/methodIntegration/integrationResponses/{}",
                str_member(&input, "statusCode")
            ))
            .cloned()
            .ok_or_else(|| ApigatewayError::ResponseNotFound.into())
    }

    /// `DeleteIntegrationResponse`.
    pub(crate) fn delete_integration_response(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let code = str_member(&input, "statusCode");
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            let removed = method
                .pointer_mut("/methodIntegration/integrationResponses")
                .and_then(Value::as_object_mut)
                .and_then(|r| r.remove(code));
            match removed {
                Some(_) => Ok(json!({})),
                None => Err(ApigatewayError::ResponseNotFound.into()),
            }
        })
    }
}
