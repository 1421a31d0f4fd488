//! API Gateway v2's data plane: HTTP APIs and WebSocket APIs served on
//! Gureum's own port, at `http://API_ID.execute-api.localhost:PORT/[STAGE/]PATH`
//! (any `API_ID.execute-api.…` host) and path-style at
//! `/_aws/execute-api/API_ID/[STAGE/]PATH`.
//!
//! [`addressed`] claims a request only when the id is one of API Gateway
//! v2's APIs, so REST APIs' data plane (another module) sees the rest.
//! The stage is the first path segment when it names one, else `$default`
//! serves at the root. The route is matched by AWS's rules
//! ([`gureum_apigatewayv2::matching`]), throttled by the stage's settings,
//! its authorizer checked (`authorize`: JWT, Lambda, IAM), and its
//! integration run: Lambda `AWS_PROXY` through
//! [`gureum_lambda::LambdaService::invoke_from_service`] as
//! `apigateway.amazonaws.com` (so the function's policy decides), or
//! `HTTP_PROXY` to a URL (`http_proxy`, with parameter mapping); the
//! stage's access log gets a line. WebSocket APIs upgrade the connection
//! (`websocket`), and `STAGE/@connections/ID` is the management API
//! (`connections_api`).

mod access_log;
mod authorize;
mod connections_api;
mod http_client;
mod http_proxy;
mod iam;
mod metrics;
mod websocket;

use crate::pipeline::{AppState, Body};
use gureum_apigatewayv2::events::{self, HttpRequest, HttpResponse, Served};
use gureum_apigatewayv2::{mapping, matching, HostedApi};
use gureum_core::Value;
use gureum_lambda::policy::ServiceSender;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use std::net::SocketAddr;
use std::time::Duration;

/// The path-style prefix.
const PATH_PREFIX: &str = "/_aws/execute-api/";

/// API Gateway's service principal, as functions' policies name it.
const PRINCIPAL: &str = "apigateway.amazonaws.com";

/// HTTP APIs' payload limit: 10 MB.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

/// How long an integration may take when it does not say (AWS's 30 s maximum).
const PROXY_TIMEOUT: Duration = Duration::from_secs(30);

/// A request for one of API Gateway v2's APIs.
pub struct Addressed {
    /// The API.
    pub api: HostedApi,
    /// The path inside the API (the stage included), from `/`.
    pub path: String,
    /// The host name the event reports.
    pub domain: String,
}

/// The API a request is for, when it is an API Gateway v2 API's: by host
/// (`ID.execute-api.…`) or path-style. Requests signed for another
/// service are never claimed.
pub fn addressed(
    state: &AppState,
    parts: &Parts,
    signing_service: Option<&str>,
) -> Option<Addressed> {
    if signing_service.is_some_and(|s| s != "execute-api") {
        return None;
    }
    // HTTP/2 requests name the host in the URI's authority instead.
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("");
    let path = parts.uri.path();
    let hostname = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let (api_id, inner, domain) = match hostname.split_once(".execute-api.") {
        Some((id, _)) if !id.is_empty() && !id.contains('.') => {
            (id, path.to_string(), host.to_string())
        }
        _ => {
            let rest = path.strip_prefix(PATH_PREFIX)?;
            let (id, inner) = match rest.find('/') {
                Some(i) => (&rest[..i], rest[i..].to_string()),
                None => (rest, "/".to_string()),
            };
            (id, inner, format!("{id}.execute-api.localhost"))
        }
    };
    let api = state.registry.apigatewayv2.hosted(api_id).ok()??;
    Some(Addressed {
        api,
        path: inner,
        domain,
    })
}

/// The service a request is signed for, if it is signed.
fn signing_service_of(parts: &Parts) -> Option<String> {
    gureum_auth::sigv4::credential_scope(&parts.headers, parts.uri.query().unwrap_or(""))
        .map(|s| s.service)
}

/// Serves a request [`addressed`] claimed.
pub async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    target: Addressed,
) -> WireResponse {
    let body = match body {
        Body::Bytes(b) => b,
        Body::Incoming(incoming) => {
            match crate::body::collect(
                incoming,
                crate::pipeline::MAX_API_BODY_BYTES,
                &state.body_budget,
            )
            .await
            {
                Ok((b, _permit)) => b,
                Err(_) => return wire(HttpResponse::message(413, "Request Entity Too Large"), ""),
            }
        }
    };
    if target.api.record.api.get("DisableExecuteApiEndpoint") == Some(&Value::Bool(true)) {
        // Only custom domain names reach such an API on AWS.
        return wire(HttpResponse::message(403, "Forbidden"), "");
    }
    if let Some(inner) = connections_api::connections_path(&target.path) {
        if signing_service_of(parts).as_deref() == Some("execute-api") {
            return connections_api::serve(state, parts, body, remote, inner).await;
        }
        if target.api.record.is_websocket() {
            // The management API takes signed requests only.
            return wire(HttpResponse::message(403, "Forbidden"), "");
        }
    }
    let request_id = gureum_core::id::uuid_v4();
    if body.len() > MAX_PAYLOAD {
        return wire(
            HttpResponse::message(413, "Request Entity Too Large"),
            &request_id,
        );
    }
    let Some((stage, path)) = pick_stage(&target.api, &target.path) else {
        return wire(HttpResponse::not_found(), &request_id);
    };
    // What the stage has deployed (the live routes when it deploys itself).
    let Some(record) = target.api.record.as_served_by(&stage) else {
        return wire(HttpResponse::not_found(), &request_id);
    };
    let api = HostedApi {
        record,
        ..target.api
    };
    let request = HttpRequest {
        method: parts.method.as_str().to_string(),
        raw_path: target.path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
        source_ip: remote.ip().to_string(),
        protocol: format!("{:?}", parts.version),
    };
    let mut served = Served {
        account: api.account.clone(),
        api_id: api.record.id().to_string(),
        domain: target.domain.clone(),
        stage: stage.clone(),
        request_id: request_id.clone(),
        time_ms: state.clock.now_millis(),
        stage_variables: stage_variables(&api, &stage),
        ..Served::default()
    };
    if api.record.is_websocket() {
        return websocket::upgrade(state, parts, request, served, api).await;
    }
    let started = std::time::Instant::now();
    let mut integration_ms = None;
    let mut response = http(
        state,
        parts,
        &api,
        &request,
        &mut served,
        &path,
        &mut integration_ms,
    )
    .await;
    if let (Some(cors), Some(origin)) = (
        api.record.api.get("CorsConfiguration"),
        events::header(&request, "origin"),
    ) {
        response
            .headers
            .extend(gureum_apigatewayv2::cors::response_headers(cors, origin));
    }
    access_log::write(state, &api, &served, &request, &response);
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    metrics::emit(state, &api, &served, &response, latency_ms, integration_ms);
    wire(response, &request_id)
}

/// The stage a path names (its first segment) and the path inside it; or
/// `$default` with the whole path; `None` when neither exists.
fn pick_stage(api: &HostedApi, path: &str) -> Option<(String, String)> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let (first, rest) = match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, "/"),
    };
    if !first.is_empty() && first != "$default" && api.record.stages.contains_key(first) {
        return Some((first.to_string(), rest.to_string()));
    }
    api.record
        .stages
        .contains_key("$default")
        .then(|| ("$default".to_string(), path.to_string()))
}

/// The stage's variables.
fn stage_variables(api: &HostedApi, stage: &str) -> std::collections::BTreeMap<String, String> {
    api.record
        .stages
        .get(stage)
        .and_then(|s| s["StageVariables"].as_object())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// An HTTP API request: CORS preflight, route, authorizer, integration.
async fn http(
    state: &AppState,
    parts: &Parts,
    api: &HostedApi,
    request: &HttpRequest,
    served: &mut Served,
    path: &str,
    integration_ms: &mut Option<f64>,
) -> HttpResponse {
    let record = &api.record;
    if let (Some(cors), "OPTIONS", Some(origin), Some(method)) = (
        record.api.get("CorsConfiguration"),
        request.method.as_str(),
        events::header(request, "origin"),
        events::header(request, "access-control-request-method"),
    ) {
        let asked = events::header(request, "access-control-request-headers");
        if let Some(headers) = gureum_apigatewayv2::cors::preflight(cors, origin, method, asked) {
            return HttpResponse {
                status: 204,
                headers,
                body: Vec::new(),
            };
        }
    }
    let Some(matched) = matching::match_http(record, &request.method, path) else {
        return HttpResponse::not_found();
    };
    served.route_key = matched.route_key.clone();
    let now = state.clock.now_millis();
    if !state
        .registry
        .apigatewayv2
        .admit(api, &served.stage, &served.route_key, now)
    {
        return HttpResponse::message(429, "Too Many Requests");
    }
    served.route_id = matched.route["RouteId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    served.path_parameters = matched.path_parameters.clone();
    match authorize::check(state, parts, api, &matched.route, request, served, path).await {
        Ok(context) => served.authorizer = context,
        Err(refused) => return refused,
    }
    let Some(integration) = integration_of(api, &matched.route) else {
        return HttpResponse::not_found();
    };
    let started = std::time::Instant::now();
    let mut response = match integration["IntegrationType"].as_str() {
        Some("AWS_PROXY") => lambda_proxy(state, api, integration, request, served).await,
        Some("HTTP_PROXY") => http_proxy::forward(integration, request, served, path).await,
        _ => HttpResponse::internal(),
    };
    *integration_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    mapping::apply_response(
        integration.get("ResponseParameters"),
        &mut response,
        request,
        served,
        path,
    );
    response
}

/// The integration a route targets.
pub(crate) fn integration_of<'a>(api: &'a HostedApi, route: &Value) -> Option<&'a Value> {
    let id = route["Target"].as_str()?.strip_prefix("integrations/")?;
    api.record.integrations.get(id)
}

/// The source ARN API Gateway invokes with:
/// `arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/ROUTE` (the route key
/// without its space: `GET/items/{id}`, `$default`).
pub(crate) fn source_arn(api: &HostedApi, stage: &str, route_key: &str) -> String {
    format!(
        "arn:aws:execute-api:{}:{}:{}/{stage}/{}",
        api.region,
        api.account,
        api.record.id(),
        route_key.replacen(' ', "", 1)
    )
}

/// Invokes `function_arn` with `event` as API Gateway, off the async
/// workers; answers the function's payload, or `None` when the invoke
/// failed or the function raised (logged).
pub(crate) async fn invoke(
    state: &AppState,
    api: &HostedApi,
    function_arn: &str,
    source_arn: String,
    event: &Value,
) -> Option<Vec<u8>> {
    invoke_with(
        state.registry.lambda.clone(),
        api.account.clone(),
        function_arn.to_string(),
        source_arn,
        event.to_string().into_bytes(),
    )
    .await
}

/// [`invoke`] with owned parts (for tasks that outlive the request).
pub(crate) async fn invoke_with(
    lambda: std::sync::Arc<gureum_lambda::LambdaService>,
    account: String,
    function_arn: String,
    source_arn: String,
    payload: Vec<u8>,
) -> Option<Vec<u8>> {
    let outcome = tokio::task::spawn_blocking(move || {
        let sender = ServiceSender {
            service: PRINCIPAL,
            source_arn: &source_arn,
            source_account: &account,
        };
        lambda.invoke_from_service(&sender, &function_arn, &payload, false)
    })
    .await;
    match outcome {
        Ok(Ok(Some(o))) if o.function_error.is_none() => Some(o.payload),
        Ok(Ok(Some(o))) => {
            tracing::info!(target: "gureum", "execute-api: function raised: {}", String::from_utf8_lossy(&o.payload));
            None
        }
        Ok(Ok(None)) => None,
        Ok(Err(e)) => {
            tracing::warn!(target: "gureum", "execute-api: invoke refused: {}: {}", e.code, e.message);
            None
        }
        Err(_) => None,
    }
}

/// A Lambda proxy integration: the event in the integration's payload
/// format, the function's answer read back by the same format's rules.
async fn lambda_proxy(
    state: &AppState,
    api: &HostedApi,
    integration: &Value,
    request: &HttpRequest,
    served: &Served,
) -> HttpResponse {
    let version = integration["PayloadFormatVersion"]
        .as_str()
        .unwrap_or("1.0");
    let event = if version == "2.0" {
        events::event_v2(request, served)
    } else {
        events::event_v1(request, served)
    };
    let uri = integration["IntegrationUri"].as_str().unwrap_or_default();
    let function = gureum_apigatewayv2::function_arn(uri);
    let source = source_arn(api, &served.stage, &served.route_key);
    let call = invoke(state, api, function, source, &event);
    match tokio::time::timeout(integration_timeout(integration), call).await {
        Ok(Some(payload)) => events::response_from(&payload, version),
        Ok(None) => HttpResponse::internal(),
        Err(_) => service_unavailable(),
    }
}

/// The integration's `TimeoutInMillis` (AWS's 30 s when unset).
pub(crate) fn integration_timeout(integration: &Value) -> Duration {
    integration["TimeoutInMillis"]
        .as_u64()
        .map_or(PROXY_TIMEOUT, Duration::from_millis)
}

/// `503 {"message":"Service Unavailable"}`: the integration did not
/// answer within its timeout, as HTTP APIs answer then.
pub(crate) fn service_unavailable() -> HttpResponse {
    HttpResponse::message(503, "Service Unavailable")
}

/// The wire response of an answer, with API Gateway's request id header.
pub(crate) fn wire(response: HttpResponse, request_id: &str) -> WireResponse {
    let mut headers = response.headers;
    if !request_id.is_empty() {
        headers.push(("apigw-requestid".into(), request_id.to_string()));
    }
    WireResponse {
        status: response.status,
        headers,
        body: response.body.into(),
    }
}
