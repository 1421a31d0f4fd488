//! S3's CORS at the HTTP layer: preflight `OPTIONS` requests answered from
//! the bucket's rules, and `Access-Control-*` headers added to actual
//! requests that carry an `Origin` header (`gureum_s3::cors` decides).

use crate::pipeline::AppState;
use gureum_model::Protocol;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;

/// The bucket and key an S3 request names: from the `Host` header
/// (virtual-hosted) or the path's first segment.
fn bucket_and_key(parts: &Parts) -> (&str, &str) {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let path = parts.uri.path().trim_start_matches('/');
    match crate::route::virtual_host_bucket(host) {
        Some(bucket) => (bucket, path),
        None => path.split_once('/').unwrap_or((path, "")),
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Answers a preflight `OPTIONS` to S3.
pub(crate) fn preflight(state: &AppState, parts: &Parts, request_id: &str) -> WireResponse {
    let (bucket, key) = bucket_and_key(parts);
    let answer = state.registry.s3.cors_preflight(
        bucket,
        key,
        header(parts, "origin"),
        header(parts, "access-control-request-method"),
        header(parts, "access-control-request-headers"),
    );
    match answer {
        Ok(headers) => {
            let mut headers = headers;
            headers.push(("x-amz-request-id".into(), request_id.to_string()));
            WireResponse {
                status: 200,
                headers,
                body: Default::default(),
            }
        }
        Err(e) => match gureum_model::load("s3") {
            Ok(model) => {
                gureum_protocol::serialize_error(&model, Protocol::RestXml, &e, request_id)
            }
            Err(_) => crate::pipeline::fallback_error(&e, request_id),
        },
    }
}

/// Adds the bucket's CORS headers to an S3 response when the request has
/// an `Origin` header; a request without one pays one header lookup.
pub(crate) fn decorate(state: &AppState, parts: &Parts, response: &mut WireResponse) {
    // The constant header name: no parsing on the hot path.
    let Some(origin) = parts
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return;
    };
    let (bucket, _) = bucket_and_key(parts);
    if bucket.is_empty() {
        return;
    }
    let headers = state
        .registry
        .s3
        .cors_headers(bucket, origin, parts.method.as_str());
    response.headers.extend(headers);
}
