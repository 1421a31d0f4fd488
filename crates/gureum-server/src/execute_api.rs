//! REST API invoke URLs on the main port: by host,
//! `http://API_ID.execute-api.localhost:PORT/STAGE/PATH`, and by path,
//! `http://127.0.0.1:PORT/_aws/execute-api/API_ID/STAGE/PATH` for clients
//! that cannot resolve names. An id that is not a REST API of
//! `gureum-apigateway` is handed back untouched (HTTP APIs answer the same
//! shapes). Methods with `AWS_IAM` authorization are checked with the
//! server's own SigV4 authentication and IAM policies
//! (`execute-api:Invoke` on the method ARN).

use crate::authenticate::{authenticate, Checked, Unread};
use crate::pipeline::{AppState, Body, MAX_API_BODY_BYTES};
use bytes::Bytes;
use gureum_apigateway::invoke::{Caller, Request, Resolved, Response, Target};
use gureum_core::{AuthzTarget, RequestContext, DEFAULT_ACCOUNT_ID};
use gureum_model::Protocol;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use std::net::SocketAddr;
use std::sync::Arc;

/// The path prefix of the path-style invoke URL.
const PATH_PREFIX: &str = "/_aws/execute-api/";

/// The API id, stage and the rest of the path an invoke URL names.
pub(crate) fn invoke_target<'p>(
    host: &'p str,
    path: &'p str,
) -> Option<(&'p str, &'p str, &'p str)> {
    let split = |rest: &'p str| match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if let Some(rest) = path.strip_prefix(PATH_PREFIX) {
        let (api, rest) = split(rest);
        let (stage, rest) = split(rest.trim_start_matches('/'));
        return (!api.is_empty() && !stage.is_empty()).then_some((api, stage, rest));
    }
    let (api, domain) = host.split_once('.')?;
    if !domain.starts_with("execute-api.") || api.is_empty() {
        return None;
    }
    let (stage, rest) = split(path.trim_start_matches('/'));
    (!stage.is_empty()).then_some((api, stage, rest))
}

/// Serves an invoke URL; `Err` hands the body back when the API id is not
/// a REST API here.
pub(crate) async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    (api_id, stage, rest): (&str, &str, &str),
) -> Result<WireResponse, Body> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let mut request = Request {
        method: parts.method.as_str().to_string(),
        path: rest.to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    title_case(k.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: Vec::new(),
        source_ip: remote.ip().to_string(),
        domain: host.split(':').next().unwrap_or_default().to_string(),
        caller: None,
    };
    let svc = state.registry.apigateway.clone();
    let target = match svc.resolve(api_id, stage, &request) {
        Resolved::NotMine => return Err(body),
        Resolved::Answer(r) => return Ok(wire(r)),
        Resolved::Target(t) => t,
    };
    let bytes = match body {
        Body::Bytes(b) => b,
        Body::Incoming(t) => {
            match crate::body::collect(t, MAX_API_BODY_BYTES, &state.body_budget).await {
                Ok((b, _permit)) => b,
                Err(_) => return Ok(wire(Response::message(413, "Request Too Long"))),
            }
        }
    };
    if target.authorization_type() == "AWS_IAM" {
        match iam_caller(state, parts, &bytes, &target, &request) {
            Ok(caller) => request.caller = Some(caller),
            Err(r) => return Ok(wire(r)),
        }
    }
    request.body = bytes.to_vec();
    let now = state.clock.now_millis();
    let functions = svc.functions().unwrap_or_else(|| {
        Arc::new(crate::apigateway_wiring::ApiGatewayToLambda(
            state.registry.lambda.clone(),
        ))
    });
    let answer =
        tokio::task::spawn_blocking(move || svc.run(&target, &request, functions.as_ref(), now))
            .await;
    Ok(wire(answer.unwrap_or_else(|_| {
        Response::message(500, "Internal server error")
    })))
}

/// The signed caller of an `AWS_IAM` method, or API Gateway's refusal.
fn iam_caller(
    state: &AppState,
    parts: &Parts,
    body: &Bytes,
    target: &Target,
    request: &Request,
) -> Result<Caller, Response> {
    let now = state.clock.now_millis();
    let (principal, access_key, session, _) = match authenticate(
        state,
        parts,
        parts.uri.path(),
        Unread::Bytes(body.clone()),
        Protocol::RestJson,
        "execute-api",
        now,
    ) {
        Ok((p, k, s, Checked::Bytes(b))) => (p, k, s, b),
        Ok((p, k, s, Checked::Stream(_))) => (p, k, s, Bytes::new()),
        Err(e) => return Err(Response::message(403, &e.message)),
    };
    if matches!(principal, gureum_core::Principal::Anonymous) {
        return Err(Response::message(403, "Missing Authentication Token"));
    }
    let ctx = RequestContext {
        account_id: principal
            .account_id()
            .unwrap_or(DEFAULT_ACCOUNT_ID)
            .to_string(),
        region: target.region.clone(),
        principal,
        access_key_id: access_key.clone(),
        session,
        request_id: gureum_core::id::request_id(),
        clock: state.clock.clone(),
        secure_transport: false,
        source_ip: request.source_ip.parse().ok(),
        host: Some(request.domain.clone()),
    };
    let method_arn = target.method_arn(request);
    if gureum_authz::Authorizer::applies_to(&ctx) {
        let wanted = [AuthzTarget::new("execute-api:Invoke", method_arn.clone())];
        if state.registry.authorizer.authorize(&ctx, &wanted).is_err() {
            // API Gateway spells this one `Message`.
            let body = serde_json::json!({
                "Message": format!(
                    "User: {} is not authorized to perform: execute-api:Invoke on resource: {method_arn}",
                    ctx.principal.arn()
                )
            });
            return Err(Response {
                status: 403,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("x-amzn-ErrorType".into(), "AccessDeniedException".into()),
                ],
                body: body.to_string().into_bytes(),
                error: None,
            });
        }
    }
    Ok(Caller {
        account_id: ctx.account_id.clone(),
        arn: ctx.principal.arn(),
        user_id: ctx.principal.user_id(),
        access_key: access_key.unwrap_or_default(),
    })
}

/// Header names as clients usually send them (`content-type` →
/// `Content-Type`): HTTP/1 lower-cases nothing, but the server's parser
/// does, and proxy events carry names as sent.
fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    out
}

/// The data plane's answer as the server writes it (lengths are the
/// server's to set).
pub(crate) fn wire(r: Response) -> WireResponse {
    WireResponse {
        status: r.status,
        headers: r
            .headers
            .into_iter()
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("content-length")
                    && !k.eq_ignore_ascii_case("transfer-encoding")
            })
            .collect(),
        body: Bytes::from(r.body),
    }
}

#[cfg(test)]
mod tests {
    use super::invoke_target;

    #[test]
    fn hosts_and_paths_name_api_stage_and_path() {
        assert_eq!(
            invoke_target("abc.execute-api.localhost:4566", "/prod/a/b"),
            Some(("abc", "prod", "/a/b"))
        );
        assert_eq!(
            invoke_target("abc.execute-api.localhost", "/prod"),
            Some(("abc", "prod", "/"))
        );
        assert_eq!(
            invoke_target("127.0.0.1:4566", "/_aws/execute-api/abc/prod/x"),
            Some(("abc", "prod", "/x"))
        );
        assert_eq!(
            invoke_target("127.0.0.1:4566", "/_aws/execute-api/abc/prod"),
            Some(("abc", "prod", "/"))
        );
        assert_eq!(invoke_target("127.0.0.1:4566", "/prod/x"), None);
        assert_eq!(invoke_target("abc.execute-api.localhost", "/"), None);
    }
}
