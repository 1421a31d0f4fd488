//! Helpers shared by the verification test files.

use gureum_auth::sigv4::{verify, HttpRequestParts, Payload, SigV4Request};
use gureum_auth::AuthError;
use http::HeaderMap;

/// Parses the signature of a request and verifies it with `secret` at `now`.
pub fn check(
    method: &str,
    path: &str,
    query: &str,
    h: &HeaderMap,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), AuthError> {
    let parsed = SigV4Request::parse(h, query)?.expect("signed");
    let req = HttpRequestParts {
        method,
        path,
        query,
        headers: h,
    };
    verify(&req, &parsed, secret, Payload::Bytes(body), now)
}
