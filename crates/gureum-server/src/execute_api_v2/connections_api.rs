//! The `@connections` management API at the address AWS documents for it:
//! `https://API_ID.execute-api.REGION.amazonaws.com/STAGE/@connections/ID`,
//! here `http://API_ID.execute-api.localhost:PORT/STAGE/@connections/ID`
//! (or path-style). The request is authenticated, parsed, authorized and
//! served as `apigatewaymanagementapi` at Gureum's own endpoint is; only
//! the API and stage prefix is dropped from the path first.

use crate::authenticate::{authenticate, Checked, Unread};
use crate::pipeline::AppState;
use bytes::Bytes;
use gureum_core::{AwsError, RequestContext, DEFAULT_ACCOUNT_ID, DEFAULT_REGION};
use gureum_model::Protocol;
use gureum_protocol::{Request as WireRequest, Response as WireResponse};
use http::request::Parts;
use std::net::SocketAddr;

/// The management API's model name.
const MODEL: &str = "apigatewaymanagementapi";

/// `/@connections/…` inside an API path (`/STAGE/@connections/ID` or,
/// for `$default`, `/@connections/ID`).
pub fn connections_path(path: &str) -> Option<&str> {
    if path.starts_with("/@connections/") {
        return Some(path);
    }
    let rest = path.strip_prefix('/')?;
    let i = rest.find('/')?;
    let inner = &rest[i..];
    inner.starts_with("/@connections/").then_some(inner)
}

/// Serves one management request whose API-relative path is `path`.
pub async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Bytes,
    remote: SocketAddr,
    path: &str,
) -> WireResponse {
    let request_id = gureum_core::id::request_id();
    let protocol = Protocol::RestJson;
    let model = match gureum_model::load(MODEL) {
        Ok(m) => m,
        Err(e) => {
            return crate::pipeline::fallback_error(&AwsError::internal(e.to_string()), &request_id)
        }
    };
    let fail = |e: &AwsError| gureum_protocol::serialize_error(&model, protocol, e, &request_id);
    let (Some(svc), Some(entry)) = (
        state.registry.get(MODEL),
        gureum_model::index().iter().find(|e| e.name == MODEL),
    ) else {
        return fail(&AwsError::not_implemented(MODEL, "Invoke"));
    };
    let now = state.clock.now_millis();
    // The signature covers the path the client sent, stage included.
    let (principal, access_key_id, session, body) = match authenticate(
        state,
        parts,
        parts.uri.path(),
        Unread::Bytes(body),
        protocol,
        MODEL,
        now,
    ) {
        Ok(v) => v,
        Err(e) => return fail(&e),
    };
    let body = match body {
        Checked::Bytes(b) => b,
        Checked::Stream(_) => Bytes::new(),
    };
    let query = parts.uri.query().unwrap_or("");
    let wire = WireRequest {
        method: parts.method.as_str(),
        path,
        query,
        headers: &parts.headers,
        body: &body,
    };
    let resolved = match gureum_protocol::resolve_operation(&model, protocol, &wire) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_aws_error(protocol, MODEL)),
    };
    let op = resolved.operation;
    let input = match gureum_protocol::parse_request(&model, protocol, &resolved, &wire) {
        Ok(v) => v,
        Err(e) => return fail(&e.to_aws_error(protocol, MODEL)),
    };
    let region = gureum_auth::sigv4::credential_scope(&parts.headers, query)
        .map(|s| s.region)
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    let ctx = RequestContext {
        account_id: principal
            .account_id()
            .unwrap_or(DEFAULT_ACCOUNT_ID)
            .to_string(),
        region,
        principal,
        access_key_id,
        session,
        request_id: request_id.clone(),
        clock: state.clock.clone(),
        secure_transport: false,
        source_ip: Some(remote.ip()),
        host: None,
    };
    if let Err(e) =
        crate::authorize::authorize(state, &ctx, svc.as_ref(), entry, &op.name, &input, &model)
    {
        return fail(&e);
    }
    match svc.call(&ctx, &op.name, input).await {
        Ok(output) => gureum_protocol::serialize_output(&model, protocol, op, &output, &request_id),
        Err(e) => fail(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::connections_path;

    #[test]
    fn the_connections_path_follows_the_stage_or_starts_the_path() {
        assert_eq!(
            connections_path("/prod/@connections/abc="),
            Some("/@connections/abc=")
        );
        assert_eq!(
            connections_path("/@connections/abc="),
            Some("/@connections/abc=")
        );
        assert_eq!(connections_path("/prod/items/@connections/x"), None);
        assert_eq!(connections_path("/prod"), None);
    }
}
