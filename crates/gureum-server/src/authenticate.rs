//! Who is calling: the request's signature (SigV4 headers or query, S3's
//! legacy SigV2, aws-chunked bodies chunk by chunk), checked against the
//! secret whenever Gureum knows it, and the body as the service will read
//! it (whole, or a stream checked as it arrives).

use crate::accounts::KeyLookup;
use crate::body::PayloadCheck;
use crate::pipeline::AppState;
use bytes::Bytes;
use gureum_auth::sigv2::SigV2Request;
use gureum_auth::sigv4;
use gureum_core::{AwsError, Principal, SessionContext};
use gureum_model::Protocol;
use http::request::Parts;
use std::sync::Arc;

/// A request body before authentication: whole, or a stream.
pub(crate) enum Unread {
    Bytes(Bytes),
    Stream(crate::body::Tracked),
}

/// After authentication: whole, or a stream checked as it is read.
pub(crate) enum Checked {
    Bytes(Bytes),
    Stream(gureum_core::RequestBody),
}

/// The caller, its access key, its session (temporary credentials) and
/// the decoded body.
pub(crate) type Authenticated = (
    Principal,
    Option<String>,
    Option<Arc<SessionContext>>,
    Checked,
);

/// Verifies the request's signature (when Gureum knows the key's secret)
/// and decodes an aws-chunked body.
pub(crate) fn authenticate(
    state: &AppState,
    parts: &Parts,
    path: &str,
    body: Unread,
    protocol: Protocol,
    service: &str,
    now_ms: i64,
) -> Result<Authenticated, AwsError> {
    let query = parts.uri.query().unwrap_or("");
    let auth_err = |e: gureum_auth::AuthError| e.to_aws_error_for(service);
    if service == "s3" {
        if let Some(v2) = SigV2Request::parse(&parts.headers, query).map_err(auth_err)? {
            return authenticate_v2(state, parts, path, body, &v2, now_ms);
        }
    }
    let Some(sig) = sigv4::SigV4Request::parse(&parts.headers, query).map_err(auth_err)? else {
        let body = match body {
            Unread::Bytes(b) => Checked::Bytes(b),
            Unread::Stream(s) => Checked::Stream(stream_body(parts, s, PayloadCheck::None)),
        };
        return Ok((Principal::Anonymous, None, None, body));
    };
    let http_parts = sigv4::HttpRequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &parts.headers,
    };
    let chunked = sig.chunked_mode();
    let (principal, secret, session) = match state.accounts.lookup(&sig.access_key_id) {
        KeyLookup::Known(cred) => {
            if !cred.active {
                return Err(unknown_key(protocol, service));
            }
            // aws-chunked bodies are signed chunk by chunk (checked while
            // decoding below); the seed signature covers the headers.
            let payload = match (&body, chunked) {
                (Unread::Bytes(b), None) => sigv4::Payload::Bytes(b),
                // Streams are hashed as they are read (`PayloadCheck`).
                _ => sigv4::Payload::Deferred,
            };
            // Signatures carry the client's wall-clock time, so skew and
            // presigned expiry are judged by the system clock; Gureum's
            // (possibly advanced) clock judges what Gureum issued.
            let wall_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            sigv4::verify(&http_parts, &sig, &cred.secret_access_key, payload, wall_ms)
                .map_err(auth_err)?;
            // Session credentials only work with their token.
            if let Some(token) = &cred.session_token {
                if sig.security_token.as_deref() != Some(token.as_str()) {
                    return Err(
                        gureum_auth::AuthError::InvalidSecurityToken.to_aws_error_for(service)
                    );
                }
            }
            if cred.expires_at_ms.is_some_and(|exp| now_ms >= exp) {
                return Err(gureum_auth::AuthError::ExpiredToken.to_aws_error_for(service));
            }
            if cred.access_key_id.starts_with("AKIA") {
                let region = sig.region.as_str();
                state
                    .registry
                    .iam
                    .note_key_used(&cred.access_key_id, service, region, now_ms);
            }
            (cred.principal, Some(cred.secret_access_key), cred.session)
        }
        KeyLookup::Unverified(p) => (p, None, None),
        KeyLookup::Unknown => return Err(unknown_key(protocol, service)),
    };
    let signing = match (&secret, chunked) {
        (Some(secret), Some(mode)) if mode.is_signed() => {
            Some(gureum_auth::chunked::ChunkSigningContext::new(&sig, secret))
        }
        _ => None,
    };
    let decoded_len = parts
        .headers
        .get(&gureum_auth::names::X_AMZ_DECODED_CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = match (body, chunked) {
        (Unread::Bytes(b), None) => Checked::Bytes(b),
        (Unread::Bytes(b), Some(mode)) => {
            let decoded =
                gureum_auth::chunked::decode_aws_chunked(&b, mode, signing.as_ref(), decoded_len)
                    .map_err(auth_err)?;
            Checked::Bytes(Bytes::from(decoded.data))
        }
        (Unread::Stream(s), Some(mode)) => {
            let decoder = gureum_auth::chunked::ChunkedDecoder::new(mode, signing, decoded_len)
                .map_err(auth_err)?;
            Checked::Stream(stream_body(
                parts,
                s,
                PayloadCheck::Chunked(Box::new(decoder)),
            ))
        }
        (Unread::Stream(s), None) => {
            // A signed hex payload hash is checked at the end of the stream
            // (only when the signature itself was verified).
            let check = match (&secret, sig.content_sha256.as_deref()) {
                (Some(_), Some(h)) if h.len() == 64 => PayloadCheck::Sha256(h.to_string()),
                _ => PayloadCheck::None,
            };
            Checked::Stream(stream_body(parts, s, check))
        }
    };
    Ok((principal, Some(sig.access_key_id), session, body))
}

/// S3's legacy SigV2 (presigned URLs from boto3 and the aws CLI, old
/// clients' `Authorization: AWS …`). `path` has the bucket first.
fn authenticate_v2(
    state: &AppState,
    parts: &Parts,
    path: &str,
    body: Unread,
    sig: &SigV2Request,
    now_ms: i64,
) -> Result<Authenticated, AwsError> {
    let auth_err = |e: gureum_auth::AuthError| e.to_aws_error_for("s3");
    let query = parts.uri.query().unwrap_or("");
    let (principal, session) = match state.accounts.lookup(&sig.access_key_id) {
        KeyLookup::Known(cred) => {
            if !cred.active {
                return Err(unknown_key(Protocol::RestXml, "s3"));
            }
            let wall_s = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            gureum_auth::sigv2::verify(
                sig,
                &cred.secret_access_key,
                parts.method.as_str(),
                &parts.headers,
                path,
                query,
                wall_s,
            )
            .map_err(auth_err)?;
            if let Some(token) = &cred.session_token {
                let given = parts
                    .headers
                    .get(&gureum_auth::names::X_AMZ_SECURITY_TOKEN)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
                    .or_else(|| {
                        query.split('&').find_map(|p| {
                            p.strip_prefix("x-amz-security-token=").map(|v| {
                                percent_encoding::percent_decode_str(v)
                                    .decode_utf8_lossy()
                                    .into_owned()
                            })
                        })
                    });
                if given.as_deref() != Some(token.as_str()) {
                    return Err(auth_err(gureum_auth::AuthError::InvalidSecurityToken));
                }
            }
            if cred.expires_at_ms.is_some_and(|exp| now_ms >= exp) {
                return Err(auth_err(gureum_auth::AuthError::ExpiredToken));
            }
            (cred.principal, cred.session)
        }
        KeyLookup::Unverified(p) => (p, None),
        KeyLookup::Unknown => return Err(unknown_key(Protocol::RestXml, "s3")),
    };
    let body = match body {
        Unread::Bytes(b) => Checked::Bytes(b),
        Unread::Stream(s) => Checked::Stream(stream_body(parts, s, PayloadCheck::None)),
    };
    Ok((principal, Some(sig.access_key_id.clone()), session, body))
}

/// A streaming request body: the declared decoded length comes from
/// `x-amz-decoded-content-length` for aws-chunked bodies, else
/// `Content-Length`.
fn stream_body(
    parts: &Parts,
    body: crate::body::Tracked,
    check: PayloadCheck,
) -> gureum_core::RequestBody {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let declared = match check {
        PayloadCheck::Chunked(_) => header("x-amz-decoded-content-length"),
        _ => header("content-length"),
    };
    let source = crate::body::IncomingSource::new(body, check);
    gureum_core::RequestBody::from_source(Box::pin(source), declared)
}

/// The error for an access key nobody issued, in each service family's words.
pub(crate) fn unknown_key(protocol: Protocol, service: &str) -> AwsError {
    if service == "s3" {
        return AwsError::new(
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        );
    }
    match protocol {
        Protocol::Json10 | Protocol::Json11 | Protocol::RpcV2Cbor => AwsError::new(
            "UnrecognizedClientException",
            400,
            "The security token included in the request is invalid.",
        ),
        _ => AwsError::new(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        ),
    }
}
