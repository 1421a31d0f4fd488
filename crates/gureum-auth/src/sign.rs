//! A SigV4 signer, the client side of [`crate::sigv4`].
//!
//! Gureum itself only verifies, but its tests (and tools that talk to a
//! running Gureum without an SDK) need signed requests. The signer follows
//! the same canonicalization as the verifier, so on its own it proves
//! nothing about AWS compatibility: that is what the AWS-documented vectors
//! and the botocore fixtures in the tests are for.

use crate::canonical::{self, Canon};
use crate::keys;
use crate::sigv4::{self, HttpRequestParts, SigV4Request, ALGORITHM, UNSIGNED_PAYLOAD};
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

/// Who signs, for which scope, at what time.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
    /// The region (`us-east-1`).
    pub region: &'a str,
    /// The service's signing name (`s3`, `sts`…).
    pub service: &'a str,
    /// The signing time, ms since the epoch.
    pub time_ms: i64,
}

fn parsed_for(params: &SigningParams<'_>, signed_headers: String) -> SigV4Request {
    let amz_date = gureum_core::timestamp::format_amz_date(params.time_ms);
    SigV4Request {
        access_key_id: params.access_key_id.to_string(),
        scope_date: amz_date[..8].to_string(),
        amz_date,
        date_ms: params.time_ms,
        region: params.region.to_string(),
        service: params.service.to_string(),
        signed_headers,
        signature: String::new(),
        presigned: None,
        security_token: params.session_token.map(str::to_string),
        content_sha256: None,
    }
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// Signs a request in the `Authorization` header: adds `x-amz-date` (and
/// `x-amz-security-token`), signs every header present, and returns the
/// signature. The payload hash is `x-amz-content-sha256` when the caller
/// set it, else the SHA-256 of `body`. `headers` must contain `host`.
pub fn sign_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &mut HeaderMap,
    body: &[u8],
    params: &SigningParams<'_>,
) -> String {
    let amz_date = gureum_core::timestamp::format_amz_date(params.time_ms);
    insert(headers, "x-amz-date", &amz_date);
    if let Some(t) = params.session_token {
        insert(headers, "x-amz-security-token", t);
    }
    headers.remove(http::header::AUTHORIZATION);
    let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let signed_headers = names.join(";");
    let payload_hash = match headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(v) => v.to_string(),
        None => hex::encode(Sha256::digest(body)),
    };
    let parsed = parsed_for(params, signed_headers);
    let req = HttpRequestParts {
        method,
        path,
        query,
        headers,
    };
    let c = Canon {
        uri: sigv4::primary_uri_mode(params.service),
        plus_as_space: true,
        presigned: false,
        signed_headers: &parsed.signed_headers,
        payload_hash: &payload_hash,
    };
    let signature = signature_of(&req, &parsed, &c, params.secret_access_key);
    let auth = format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={signature}",
        params.access_key_id,
        parsed.credential_scope_string(),
        parsed.signed_headers
    );
    insert(headers, "authorization", &auth);
    signature
}

fn signature_of(
    req: &HttpRequestParts<'_>,
    parsed: &SigV4Request,
    c: &Canon<'_>,
    secret: &str,
) -> String {
    let (_, string_to_sign) = sigv4::describe(req, parsed, c);
    let key = parsed.signing_key(secret);
    hex::encode(keys::hmac_sha256(&key, string_to_sign.as_bytes()))
}

/// Presigns a request: returns the full query string (the caller's `query`
/// plus the `X-Amz-*` parameters and the signature). Signs only `host`
/// (taken from `headers`) and `UNSIGNED-PAYLOAD`, as SDKs do for S3.
pub fn presign(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    expires_secs: u64,
    params: &SigningParams<'_>,
) -> String {
    let parsed = parsed_for(params, "host".to_string());
    let mut q = String::from(query);
    let mut add = |k: &str, v: &str| {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(k);
        q.push('=');
        q.push_str(&canonical::encode(v.as_bytes(), false));
    };
    add("X-Amz-Algorithm", ALGORITHM);
    add(
        "X-Amz-Credential",
        &format!(
            "{}/{}",
            params.access_key_id,
            parsed.credential_scope_string()
        ),
    );
    add("X-Amz-Date", &parsed.amz_date);
    add("X-Amz-Expires", &expires_secs.to_string());
    add("X-Amz-SignedHeaders", "host");
    if let Some(t) = params.session_token {
        add("X-Amz-Security-Token", t);
    }
    let req = HttpRequestParts {
        method,
        path,
        query: &q,
        headers,
    };
    let c = Canon {
        uri: sigv4::primary_uri_mode(params.service),
        plus_as_space: true,
        presigned: true,
        signed_headers: "host",
        payload_hash: UNSIGNED_PAYLOAD,
    };
    let signature = signature_of(&req, &parsed, &c, params.secret_access_key);
    format!("{q}&X-Amz-Signature={signature}")
}
