//! Who sent this request? AWS Signature Version 4, verified.
//!
//! Every AWS SDK signs its requests with SigV4: an HMAC-SHA256 over a
//! canonical form of the request, keyed with a key derived from the secret
//! access key. Gureum verifies it the way AWS does, so that a wrong secret,
//! a tampered request, a stale clock or an expired presigned URL fail with
//! the same errors as on AWS.
//!
//! - [`credentials`] — looking up the secret and identity behind an access
//!   key id ([`CredentialsProvider`]).
//! - [`sigv4`] — reading a signature ([`SigV4Request::parse`], and the
//!   cheap [`credential_scope`] for routing) and checking it ([`verify`]).
//! - [`canonical`] — the canonical request, byte for byte.
//! - [`keys`] — signing-key derivation and its cache.
//! - [`chunked`] — aws-chunked streaming bodies with chained chunk
//!   signatures and trailers.
//! - [`sign`] — a signer, for tests and tools.
//! - [`error`] — [`AuthError`], with AWS's code, status and message.
//!
//! [`authenticate`] puts it together: parse, look up, check the key's state
//! and session token, verify.

pub mod canonical;
pub mod chunked;
pub mod credentials;
pub mod error;
pub mod keys;
pub mod names;
pub mod sign;
pub mod sigv2;
pub mod sigv4;

pub use chunked::{decode_aws_chunked, ChunkSigningContext, ChunkedDecoder, ChunkedMode, Decoded};
pub use credentials::{ChainProvider, Credential, CredentialsProvider, StaticCredentials};
pub use error::AuthError;
pub use sigv4::{credential_scope, verify, HttpRequestParts, Payload, Scope, SigV4Request};

/// A request whose signature checked out.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// The credential it was signed with.
    pub credential: Credential,
    /// What the signature claimed.
    pub request: SigV4Request,
}

impl Authenticated {
    /// The context an aws-chunked body of this request is verified with.
    pub fn chunk_signing_context(&self) -> ChunkSigningContext {
        ChunkSigningContext::new(&self.request, &self.credential.secret_access_key)
    }
}

/// Authenticates a request: `Ok(None)` when it is unsigned (anonymous),
/// `Ok(Some(_))` when its signature is valid for a known, active, unexpired
/// credential, and the [`AuthError`] otherwise.
pub fn authenticate(
    provider: &dyn CredentialsProvider,
    req: &HttpRequestParts<'_>,
    payload: Payload<'_>,
    now_ms: i64,
) -> Result<Option<Authenticated>, AuthError> {
    let Some(parsed) = SigV4Request::parse(req.headers, req.query)? else {
        return Ok(None);
    };
    let credential = provider
        .lookup(&parsed.access_key_id)
        .filter(|c| c.active)
        .ok_or(AuthError::InvalidClientTokenId)?;
    match (&credential.session_token, &parsed.security_token) {
        (None, None) => {}
        (Some(expected), Some(given)) if constant_time_eq(expected, given) => {}
        _ => return Err(AuthError::InvalidSecurityToken),
    }
    if credential.expires_at_ms.is_some_and(|t| now_ms >= t) {
        return Err(AuthError::ExpiredToken);
    }
    verify(req, &parsed, &credential.secret_access_key, payload, now_ms)?;
    Ok(Some(Authenticated {
        credential,
        request: parsed,
    }))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
