//! The data plane: a request to an invoke URL, routed on the stage's
//! deployed snapshot and answered by the method's integration.
//!
//! The server hands over the request ([`Request`]) once it knows the API
//! id and stage; [`ApigatewayService::resolve`] finds the method (or the
//! answer API Gateway gives when there is none, or [`Resolved::NotMine`]
//! when the id is not a REST API of this service), the server checks
//! `AWS_IAM` with its own authentication, and [`ApigatewayService::run`]
//! runs the integration. Lambda is reached through [`Functions`] (the
//! server wires Lambda in); HTTP backends through [`http`].

mod authorizer;
pub mod gateway_responses;
pub mod http;
mod mapping;
mod proxy;
mod routing;
pub mod selection;
mod validate;

use crate::vtl;
use crate::{ApigatewayService, Deployment};
use gureum_core::Value;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A request to an invoke URL, as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The verb.
    pub method: String,
    /// The path after the stage (`/pets/1`), as sent (percent-encoded).
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The client's address.
    pub source_ip: String,
    /// The `Host` the request named.
    pub domain: String,
    /// The IAM caller, when the method is `AWS_IAM` and the signature held.
    pub caller: Option<Caller>,
}

/// The IAM identity of a signed request (`requestContext.identity`).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The caller's account.
    pub account_id: String,
    /// The caller's ARN.
    pub arn: String,
    /// The caller's user id.
    pub user_id: String,
    /// The access key the request was signed with.
    pub access_key: String,
}

/// What the invoke URL answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// When API Gateway answered by itself: which of its gateway
    /// responses this is, so the API's customisation applies.
    pub error: Option<GatewayError>,
}

/// One of API Gateway's own answers, as gateway responses see it.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayError {
    /// The gateway response type (`MISSING_AUTHENTICATION_TOKEN`, …).
    pub kind: &'static str,
    /// `$context.error.message` (`None` prints as `null`).
    pub message: Option<String>,
    /// `$context.error.validationErrorString`.
    pub validation: String,
}

impl Response {
    /// A JSON `{"message": …}` answer, as API Gateway gives its own errors.
    pub fn message(status: u16, message: &str) -> Self {
        let body = json!({ "message": message }).to_string().into_bytes();
        Response {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "x-amzn-ErrorType".into(),
                    error_type(status, message).into(),
                ),
            ],
            body,
            error: Some(GatewayError {
                kind: gateway_responses::kind_of(status, message),
                message: Some(message.to_string()),
                validation: String::new(),
            }),
        }
    }

    /// A plain answer from a backend or a Lambda proxy.
    pub fn backend(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        Response {
            status,
            headers,
            body,
            error: None,
        }
    }
}

/// API Gateway's `x-amzn-ErrorType` for its own answers.
fn error_type(status: u16, message: &str) -> &'static str {
    match (status, message) {
        (403, "Missing Authentication Token") => "MissingAuthenticationTokenException",
        (403, _) => "ForbiddenException",
        (400, _) => "BadRequestException",
        (429, "Limit Exceeded") => "LimitExceededException",
        (429, _) => "TooManyRequestsException",
        (415, _) => "UnsupportedMediaTypeException",
        (502, _) => "InternalServerErrorException",
        _ => "InternalServerErrorException",
    }
}

/// Lambda, as the data plane invokes it.
pub trait Functions: Send + Sync {
    /// Invokes `function_arn` synchronously as `apigateway.amazonaws.com`
    /// from `source_arn` (the function's policy decides); `Err` when the
    /// invocation was refused or could not run.
    fn invoke(
        &self,
        function_arn: &str,
        source_arn: &str,
        payload: &[u8],
    ) -> Result<FunctionResult, String>;
}

/// What an invocation returned.
#[derive(Debug, Clone)]
pub struct FunctionResult {
    /// The response payload (the error document when it failed).
    pub payload: Vec<u8>,
    /// Whether the function failed (`X-Amz-Function-Error`).
    pub failed: bool,
}

/// The method a request reached.
pub struct Target {
    /// The API's account.
    pub account: String,
    /// The API's region.
    pub region: String,
    /// The API id.
    pub api_id: String,
    /// The stage name.
    pub stage_name: String,
    /// The stage's variables (`{}` when none).
    pub stage_variables: Value,
    /// The deployment served.
    pub deployment: Arc<Deployment>,
    /// The resource's id.
    pub resource_id: String,
    /// The resource's path template (`/pets/{id}`).
    pub resource_path: String,
    /// The method, as `GetMethod` answers it.
    pub method: Value,
    /// Path parameters, decoded.
    pub path_params: BTreeMap<String, String>,
}

impl Target {
    /// The method's `authorizationType`.
    pub fn authorization_type(&self) -> &str {
        self.method["authorizationType"].as_str().unwrap_or("NONE")
    }

    /// The ARN `execute-api:Invoke` is checked on and Lambda is invoked
    /// from: `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`.
    pub fn method_arn(&self, request: &Request) -> String {
        format!(
            "arn:aws:execute-api:{}:{}:{}/{}/{}{}",
            self.region, self.account, self.api_id, self.stage_name, request.method, request.path
        )
    }
}

/// Where a request goes.
pub enum Resolved {
    /// The id is not a REST API here (an HTTP API may own it).
    NotMine,
    /// API Gateway answers by itself (unknown stage or route).
    Answer(Response),
    /// A deployed method.
    Target(Box<Target>),
}

impl ApigatewayService {
    /// Finds the deployed method `request` reaches on `api_id`'s `stage`.
    pub fn resolve(&self, api_id: &str, stage: &str, request: &Request) -> Resolved {
        let Ok(Some(home)) = self.homes.get(api_id) else {
            return Resolved::NotMine;
        };
        let Some((account, region)) = home.split_once('/') else {
            return Resolved::NotMine;
        };
        let api_key = format!("{home}/{api_id}");
        let stage_value = match self.stages.get(&format!("{api_key}/{stage}")) {
            Ok(Some(s)) => s,
            _ => return Resolved::Answer(Response::message(403, "Forbidden")),
        };
        let deployment_id = stage_value["deploymentId"].as_str().unwrap_or_default();
        let Some(deployment) = self.deployment(&api_key, deployment_id) else {
            return Resolved::Answer(Response::message(403, "Forbidden"));
        };
        // The default endpoint, disabled (from the deployment on).
        if deployment.api["disableExecuteApiEndpoint"].as_bool() == Some(true) {
            return Resolved::Answer(Response::message(403, "Forbidden"));
        }
        let Some(found) = routing::route(&deployment.resources, &request.method, &request.path)
        else {
            let params = vtl::Params {
                querystring: query_pairs(&request.query).into_iter().collect(),
                header: request.headers.iter().cloned().collect(),
                ..Default::default()
            };
            let stage_variables = stage_value.get("variables").cloned().unwrap_or(json!({}));
            let context = json!({"stage": stage, "apiId": api_id, "accountId": account,
                "httpMethod": request.method, "path": format!("/{stage}{}", request.path),
                "domainName": request.domain, "deploymentId": deployment.info["id"]});
            let mapping = gateway_responses::Mapping {
                params: &params,
                stage_variables: &stage_variables,
                context: &context,
            };
            let answer = Response::message(403, "Missing Authentication Token");
            return Resolved::Answer(gateway_responses::customise(
                &deployment.gateway_responses,
                answer,
                &mapping,
            ));
        };
        let resource = &deployment.resources[&found.resource_id];
        let method = resource.methods[&found.verb].clone();
        Resolved::Target(Box::new(Target {
            account: account.to_string(),
            region: region.to_string(),
            api_id: api_id.to_string(),
            stage_name: stage.to_string(),
            stage_variables: stage_value.get("variables").cloned().unwrap_or(json!({})),
            resource_path: resource.path.clone(),
            resource_id: found.resource_id,
            deployment: deployment.clone(),
            method,
            path_params: found.params,
        }))
    }

    /// Runs `target`'s integration for `request` (blocking: Lambda and
    /// HTTP backends are waited for).
    pub fn run(
        &self,
        target: &Target,
        request: &Request,
        functions: &dyn Functions,
        now_ms: i64,
    ) -> Response {
        let request_id = gureum_core::id::uuid_v4();
        let response = self.admit_and_integrate(target, request, &request_id, functions, now_ms);
        let params = mapping::params(target, request);
        let context = request_context(target, request, &request_id, None, None, now_ms);
        let mapping = gateway_responses::Mapping {
            params: &params,
            stage_variables: &target.stage_variables,
            context: &context,
        };
        let response =
            gateway_responses::customise(&target.deployment.gateway_responses, response, &mapping);
        with_request_id(response, &request_id)
    }

    /// Authorization, API key, request validation, then the integration.
    fn admit_and_integrate(
        &self,
        target: &Target,
        request: &Request,
        request_id: &str,
        functions: &dyn Functions,
        now_ms: i64,
    ) -> Response {
        let mut authorizer = None;
        if target.authorization_type() == "CUSTOM" {
            let context = request_context(target, request, request_id, None, None, now_ms);
            match self.authorize_custom(target, request, &context, functions, now_ms) {
                Ok(a) => authorizer = Some(a),
                Err(r) => return r,
            }
        }
        let mut api_key_id = None;
        if target.method["apiKeyRequired"].as_bool() == Some(true) {
            let prefix = format!("{}/{}/", target.account, target.region);
            let value = header(request, "x-api-key");
            match self.admit_key(&prefix, &target.api_id, &target.stage_name, value, now_ms) {
                Ok(id) => api_key_id = id,
                Err((status, message)) => return Response::message(status, message),
            }
        }
        if let Err(refusal) = validate::check(target, request) {
            return refusal;
        }
        let context = request_context(
            target,
            request,
            request_id,
            api_key_id.as_deref(),
            authorizer,
            now_ms,
        );
        integrate(target, request, &context, functions)
    }
}

/// Runs `target`'s integration without authorization, as
/// `TestInvokeMethod` does (blocking).
pub fn test_invoke(
    target: &Target,
    request: &Request,
    functions: &dyn Functions,
    now_ms: i64,
) -> Response {
    let request_id = gureum_core::id::uuid_v4();
    let context = request_context(target, request, &request_id, None, None, now_ms);
    with_request_id(integrate(target, request, &context, functions), &request_id)
}

/// The method's integration, after authorization.
fn integrate(
    target: &Target,
    request: &Request,
    context: &Value,
    functions: &dyn Functions,
) -> Response {
    let integration = &target.method["methodIntegration"];
    match integration["type"].as_str().unwrap_or_default() {
        "AWS_PROXY" => proxy::lambda(target, request, integration, context, functions),
        "HTTP_PROXY" => proxy::http(target, request, integration),
        _ => mapping::run(target, request, integration, context, functions),
    }
}

fn with_request_id(mut r: Response, request_id: &str) -> Response {
    r.headers
        .push(("x-amzn-RequestId".into(), request_id.to_string()));
    r
}

/// The last value of header `name`.
pub(crate) fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The request's query parameters, decoded, in order.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// `requestContext` (proxy events) and `$context` (templates).
fn request_context(
    target: &Target,
    request: &Request,
    request_id: &str,
    api_key_id: Option<&str>,
    authorizer: Option<Value>,
    now_ms: i64,
) -> Value {
    let caller = request.caller.as_ref();
    let mut identity = json!({
        "cognitoIdentityPoolId": null,
        "accountId": caller.map(|c| c.account_id.clone()),
        "cognitoIdentityId": null,
        "caller": caller.map(|c| c.user_id.clone()),
        "sourceIp": request.source_ip,
        "principalOrgId": null,
        "accessKey": caller.map(|c| c.access_key.clone()),
        "cognitoAuthenticationType": null,
        "cognitoAuthenticationProvider": null,
        "userArn": caller.map(|c| c.arn.clone()),
        "userAgent": header(request, "user-agent"),
        "user": caller.map(|c| c.user_id.clone()),
    });
    if let Some(id) = api_key_id {
        identity["apiKey"] = json!(header(request, "x-api-key"));
        identity["apiKeyId"] = json!(id);
    }
    let mut context = json!({
        "resourceId": target.resource_id,
        "resourcePath": target.resource_path,
        "httpMethod": request.method,
        "extendedRequestId": gureum_core::id::hex(16),
        "requestTime": request_time(now_ms),
        "path": format!("/{}{}", target.stage_name, request.path),
        "accountId": target.account,
        "protocol": "HTTP/1.1",
        "stage": target.stage_name,
        "domainPrefix": request.domain.split('.').next().unwrap_or_default(),
        "requestTimeEpoch": now_ms,
        "requestId": request_id,
        "identity": identity,
        "domainName": request.domain,
        "deploymentId": target.deployment.info["id"],
        "apiId": target.api_id,
    });
    if let Some(a) = authorizer {
        context["authorizer"] = a;
    }
    context
}

/// `10/Mar/2020:00:03:59 +0000`.
fn request_time(now_ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = now_ms.div_euclid(1000);
    let (y, m, d) = gureum_core::timestamp::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m as usize).saturating_sub(1) % 12],
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests;
