//! Signature Version 4: reading the signature off a request and checking it.
//!
//! A client signs either in the `Authorization` header
//!
//! ```text
//! Authorization: AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request,
//!                SignedHeaders=host;x-amz-date, Signature=<64 hex>
//! ```
//!
//! or, for a presigned URL, in the query string (`X-Amz-Algorithm`,
//! `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
//! `X-Amz-Signature`, optionally `X-Amz-Security-Token`).
//!
//! Three steps, each usable alone:
//!
//! 1. [`credential_scope`] — the cheap peek the router uses to learn the
//!    target service and region before anything else is parsed.
//! 2. [`SigV4Request::parse`] — everything the signature claims, with
//!    malformed input answered by the AWS error for it.
//! 3. [`verify`] — rebuild the canonical request (see [`crate::canonical`]
//!    for the rules), the string to sign
//!
//!    ```text
//!    AWS4-HMAC-SHA256 \n 20130524T000000Z \n 20130524/us-east-1/s3/aws4_request \n hex(sha256(canonical request))
//!    ```
//!
//!    and the HMAC with the derived signing key ([`crate::keys`]), compare in
//!    constant time, and check the time: a header-signed request may be at
//!    most 15 minutes from Gureum's clock; a presigned URL is valid from
//!    `X-Amz-Date` for `X-Amz-Expires` seconds (at most 7 days).
//!
//! The payload hash is the `x-amz-content-sha256` header when present: one
//! of the literal modes (`UNSIGNED-PAYLOAD`, `STREAMING-…`) or a hex SHA-256
//! that must match the body. Without the header the verifier hashes the body
//! itself; presigned URLs default to `UNSIGNED-PAYLOAD`.
//!
//! When the first attempt does not match, a few well-known client
//! variations are tried before giving up (S3 paths with characters the
//! client left unescaped, `+` in the query meaning a literal plus, presigned
//! non-S3 URLs signed over the empty body's hash). They cost nothing on the
//! success path.

use crate::canonical::{self, Canon, UriMode};
use crate::error::{AuthError, SignatureMismatch};
use crate::keys::{self, SigningKey};
use crate::names;
use gureum_core::timestamp::{format_amz_date, parse_amz_date, parse_http_date};
use hmac::Mac;
use http::{HeaderMap, HeaderName};
use sha2::{Digest, Sha256};

/// The algorithm name in the header and in `X-Amz-Algorithm`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// `x-amz-content-sha256` for a body that is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// `x-amz-content-sha256` for an aws-chunked body with signed chunks.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// `x-amz-content-sha256` for an aws-chunked body with signed chunks and a
/// signed trailer.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// `x-amz-content-sha256` for an aws-chunked body without signatures, with
/// a trailer (checksums).
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// SHA-256 of the empty string, hex.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// How far (ms) a header-signed request's time may be from Gureum's clock.
pub const MAX_SKEW_MS: i64 = 15 * 60 * 1000;
/// The longest a presigned URL may be valid (seconds): 7 days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 604_800;

/// The parts of an HTTP request a signature covers (the body is passed
/// separately, see [`Payload`]).
///
/// With HTTP/2 the host arrives as `:authority`; the server must put it in
/// `headers` as `host` before verifying, since clients sign `host`.
#[derive(Clone, Copy, Debug)]
pub struct HttpRequestParts<'a> {
    /// `GET`, `PUT`…
    pub method: &'a str,
    /// The path as received, still percent-encoded (`/my%20key`).
    pub path: &'a str,
    /// The raw query string without `?` (`list-type=2&prefix=a%2F`).
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
}

/// The body, as far as the verifier needs to know it.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// The SHA-256 of the body, computed by the caller.
    Sha256(&'a [u8; 32]),
    /// The body has not been read (streaming upload). The signature is
    /// checked against the hash the client announced in
    /// `x-amz-content-sha256` (required then); the caller must check the
    /// body against [`SigV4Request::content_sha256`] once it has it.
    Deferred,
}

/// What the router needs from a signature: who, where, which service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The access key id.
    pub access_key_id: String,
    /// The region the request was signed for.
    pub region: String,
    /// The signing name of the service (`s3`, `sts`, `dynamodb`…).
    pub service: String,
}

/// Splits `AKID/20130524/us-east-1/s3/aws4_request`.
fn split_credential(cred: &str) -> Option<(&str, &str, &str, &str, &str)> {
    // Byte positions, not `split('/')`: every signed request is split here
    // at least once, and the char searcher's set-up cost more than the
    // scan of these ~60 bytes.
    let mut slashes = [0usize; 4];
    let mut n = 0;
    for (i, &b) in cred.as_bytes().iter().enumerate() {
        if b == b'/' {
            if n == slashes.len() {
                return None;
            }
            slashes[n] = i;
            n += 1;
        }
    }
    if n != slashes.len() {
        return None;
    }
    let [a, b, c, d] = slashes;
    let akid = &cred[..a];
    let region = &cred[b + 1..c];
    let service = &cred[c + 1..d];
    if akid.is_empty() || region.is_empty() || service.is_empty() {
        return None;
    }
    Some((akid, &cred[a + 1..b], region, service, &cred[d + 1..]))
}

/// The credential scope of a signed request, from the `Authorization`
/// header or the presigned `X-Amz-Credential`; `None` when the request is
/// unsigned or the credential unreadable. Cheap: no full parse, no
/// allocation but the three small strings.
pub fn credential_scope(headers: &HeaderMap, query: &str) -> Option<Scope> {
    if let Some(v) = headers.get(http::header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        // What every SDK sends first; a search otherwise.
        let rest = match v.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
            Some(rest) => rest,
            None => &v[v.find("Credential=")? + "Credential=".len()..],
        };
        let end = rest
            .find(|c: char| c == ',' || c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (akid, _, region, service, _) = split_credential(&rest[..end])?;
        return Some(Scope {
            access_key_id: akid.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        });
    }
    let raw = query
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
    let decoded = canonical::decode_str(raw);
    let (akid, _, region, service, _) = split_credential(&decoded)?;
    Some(Scope {
        access_key_id: akid.to_string(),
        region: region.to_string(),
        service: service.to_string(),
    })
}

/// Everything a SigV4 signature claims about a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigV4Request {
    /// The access key id.
    pub access_key_id: String,
    /// The request time in the `20130524T000000Z` form (from `X-Amz-Date`,
    /// or converted from `Date`).
    pub amz_date: String,
    /// The request time, ms since the epoch.
    pub date_ms: i64,
    /// The credential scope's date (`20130524`).
    pub scope_date: String,
    /// The credential scope's region.
    pub region: String,
    /// The credential scope's service.
    pub service: String,
    /// The signed header names as sent, `;`-separated (`host;x-amz-date`).
    pub signed_headers: String,
    /// The signature, 64 hex digits.
    pub signature: String,
    /// For a presigned URL, `X-Amz-Expires` (seconds); `None` when signed
    /// in the header.
    pub presigned: Option<u64>,
    /// `X-Amz-Security-Token` (header or query), for session credentials.
    pub security_token: Option<String>,
    /// The `x-amz-content-sha256` header, if any.
    pub content_sha256: Option<String>,
}

impl SigV4Request {
    /// Reads the signature of a request. `Ok(None)` when the request carries
    /// none (anonymous); an error when it carries one that is malformed or
    /// not SigV4 with HMAC-SHA256.
    pub fn parse(headers: &HeaderMap, query: &str) -> Result<Option<SigV4Request>, AuthError> {
        let presigned = query
            .split('&')
            .any(|p| p.starts_with("X-Amz-Algorithm=") || p == "X-Amz-Algorithm");
        match headers.get(http::header::AUTHORIZATION) {
            Some(_) if presigned => Err(AuthError::MultipleAuthMechanisms),
            Some(v) => {
                let v = v.to_str().map_err(|_| {
                    AuthError::IncompleteSignature(
                        "The Authorization header is not valid ASCII.".into(),
                    )
                })?;
                Self::parse_header(v, headers).map(Some)
            }
            None if presigned => Self::parse_query(headers, query).map(Some),
            None => Ok(None),
        }
    }

    fn parse_header(auth: &str, headers: &HeaderMap) -> Result<SigV4Request, AuthError> {
        // Header values that reached here are visible ASCII, spaces and
        // tabs (`HeaderValue::to_str`), so ASCII trimming is all trimming.
        let auth = auth.trim_ascii();
        let (alg, rest) = match auth.bytes().position(|b| b.is_ascii_whitespace()) {
            Some(i) => (&auth[..i], &auth[i + 1..]),
            None => (auth, ""),
        };
        if alg != ALGORITHM {
            return Err(AuthError::UnsupportedAuthorizationMechanism(
                alg.to_string(),
            ));
        }
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let part = part.trim_ascii();
            let Some((k, v)) = part.split_once('=') else {
                if part.is_empty() {
                    continue;
                }
                return Err(AuthError::IncompleteSignature(format!(
                    "Authorization header requires each component to be of the form key=value. Authorization={auth}"
                )));
            };
            match k.trim_ascii() {
                "Credential" => credential = Some(v.trim_ascii()),
                "SignedHeaders" => signed = Some(v.trim_ascii()),
                "Signature" => signature = Some(v.trim_ascii()),
                _ => {}
            }
        }
        let mut missing = String::new();
        for (name, v) in [
            ("Credential", credential),
            ("Signature", signature),
            ("SignedHeaders", signed),
        ] {
            if v.is_none() {
                missing.push_str(&format!(
                    "Authorization header requires '{name}' parameter. "
                ));
            }
        }
        let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature)
        else {
            return Err(AuthError::IncompleteSignature(format!(
                "{missing}Authorization={auth}"
            )));
        };
        let Some((akid, scope_date, region, service, term)) = split_credential(credential) else {
            return Err(AuthError::IncompleteSignature(format!(
                "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\". Authorization={auth}"
            )));
        };
        if term != "aws4_request" {
            return Err(AuthError::AuthorizationHeaderMalformed(format!(
                "The authorization header is malformed; incorrect terminal \"{term}\". This endpoint uses \"aws4_request\"."
            )));
        }
        let header_str = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let (amz_date, date_ms) = if let Some(d) = header_str(&names::X_AMZ_DATE) {
            let ms = parse_amz_date(d.trim_ascii()).ok_or(AuthError::MissingDate)?;
            (d.trim_ascii().to_string(), ms)
        } else if let Some(d) = header_str(&http::header::DATE) {
            let ms = parse_http_date(d).ok_or(AuthError::MissingDate)?;
            (format_amz_date(ms), ms)
        } else {
            return Err(AuthError::MissingDate);
        };
        if amz_date.get(..8) != Some(scope_date) {
            return Err(AuthError::AuthorizationHeaderMalformed(
                "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.".to_string(),
            ));
        }
        Ok(SigV4Request {
            access_key_id: akid.to_string(),
            amz_date,
            date_ms,
            scope_date: scope_date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: signed.to_string(),
            signature: signature.to_string(),
            presigned: None,
            security_token: header_str(&names::X_AMZ_SECURITY_TOKEN).map(str::to_string),
            content_sha256: header_str(&names::X_AMZ_CONTENT_SHA256)
                .map(|s| s.trim_ascii().to_string()),
        })
    }

    fn parse_query(headers: &HeaderMap, query: &str) -> Result<SigV4Request, AuthError> {
        let (mut alg, mut cred, mut date, mut expires, mut signed, mut sig, mut token) =
            (None, None, None, None, None, None, None);
        for part in query.split('&') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let slot = match k {
                "X-Amz-Algorithm" => &mut alg,
                "X-Amz-Credential" => &mut cred,
                "X-Amz-Date" => &mut date,
                "X-Amz-Expires" => &mut expires,
                "X-Amz-SignedHeaders" => &mut signed,
                "X-Amz-Signature" => &mut sig,
                "X-Amz-Security-Token" => &mut token,
                _ => continue,
            };
            *slot = Some(canonical::decode_str(v));
        }
        let err = |m: &str| AuthError::AuthorizationQueryParametersError(m.to_string());
        let alg = alg.unwrap_or_default();
        if alg != ALGORITHM {
            return Err(if alg.starts_with("AWS4-") {
                AuthError::UnsupportedAuthorizationMechanism(alg.into_owned())
            } else {
                err("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
            });
        }
        let (Some(cred), Some(date), Some(signed), Some(sig)) = (cred, date, signed, sig) else {
            return Err(err("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."));
        };
        let Some((akid, scope_date, region, service, term)) = split_credential(&cred) else {
            return Err(err("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."));
        };
        if term != "aws4_request" {
            return Err(err(&format!(
                "Error parsing the X-Amz-Credential parameter; incorrect terminal \"{term}\". This endpoint uses \"aws4_request\"."
            )));
        }
        let expires = match expires {
            Some(e) => {
                let secs: i64 = e
                    .parse()
                    .map_err(|_| err("X-Amz-Expires should be a number"))?;
                if secs < 0 {
                    return Err(err("X-Amz-Expires must be non-negative"));
                }
                if secs as u64 > MAX_PRESIGN_EXPIRES_SECS {
                    return Err(err(
                        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                    ));
                }
                secs as u64
            }
            // S3 requires it; other services default to the skew window.
            None if service == "s3" => {
                return Err(err("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."));
            }
            None => (MAX_SKEW_MS / 1000) as u64,
        };
        let date_ms = parse_amz_date(&date).ok_or_else(|| {
            err("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        })?;
        if date.get(..8) != Some(scope_date) {
            return Err(err(
                "Invalid credential date. Date is not the same as X-Amz-Date.",
            ));
        }
        let header_str = |name: &HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        Ok(SigV4Request {
            access_key_id: akid.to_string(),
            amz_date: date.into_owned(),
            date_ms,
            scope_date: scope_date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: signed.into_owned(),
            signature: sig.into_owned(),
            presigned: Some(expires),
            security_token: token
                .map(|t| t.into_owned())
                .or_else(|| header_str(&names::X_AMZ_SECURITY_TOKEN).map(str::to_string)),
            content_sha256: header_str(&names::X_AMZ_CONTENT_SHA256)
                .map(|s| s.trim_ascii().to_string()),
        })
    }

    /// `20130524/us-east-1/s3/aws4_request`.
    pub fn credential_scope_string(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.scope_date, self.region, self.service
        )
    }

    /// The names of the signed headers.
    pub fn signed_header_names(&self) -> impl Iterator<Item = &str> {
        self.signed_headers.split(';').filter(|s| !s.is_empty())
    }

    /// The aws-chunked mode the body is in, if `x-amz-content-sha256`
    /// announces one.
    pub fn chunked_mode(&self) -> Option<crate::chunked::ChunkedMode> {
        self.content_sha256
            .as_deref()
            .and_then(crate::chunked::ChunkedMode::from_content_sha256)
    }

    /// The signing key for this request's scope (cached).
    pub fn signing_key(&self, secret: &str) -> SigningKey {
        keys::signing_key(secret, &self.scope_date, &self.region, &self.service)
    }
}

/// Whether `v` is one of the literal payload modes.
fn is_literal_payload(v: &str) -> bool {
    matches!(
        v,
        UNSIGNED_PAYLOAD
            | STREAMING_PAYLOAD
            | STREAMING_PAYLOAD_TRAILER
            | STREAMING_UNSIGNED_TRAILER
    )
}

/// Hex payload hash on the stack, or a borrowed literal.
enum PayloadHash<'a> {
    Literal(&'a str),
    Hex([u8; 64]),
}

impl PayloadHash<'_> {
    fn as_str(&self) -> &str {
        match self {
            PayloadHash::Literal(s) => s,
            // hex32 writes only ASCII hex digits.
            PayloadHash::Hex(h) => std::str::from_utf8(h).unwrap_or(EMPTY_SHA256),
        }
    }
}

fn body_hash(payload: Payload<'_>) -> Option<[u8; 64]> {
    match payload {
        Payload::Bytes(b) => Some(keys::hex32(&Sha256::digest(b).into())),
        Payload::Sha256(h) => Some(keys::hex32(h)),
        Payload::Deferred => None,
    }
}

fn payload_hash<'a>(
    parsed: &'a SigV4Request,
    payload: Payload<'_>,
) -> Result<PayloadHash<'a>, AuthError> {
    if let Some(claimed) = parsed.content_sha256.as_deref() {
        if is_literal_payload(claimed) {
            return Ok(PayloadHash::Literal(claimed));
        }
        if !keys::is_hex64(claimed.as_bytes()) {
            return Err(AuthError::InvalidContentSha256);
        }
        if let Some(actual) = body_hash(payload) {
            if !actual.eq_ignore_ascii_case(claimed.as_bytes()) {
                return Err(AuthError::XAmzContentSha256Mismatch {
                    client: claimed.to_string(),
                    computed: String::from_utf8_lossy(&actual).into_owned(),
                });
            }
        }
        return Ok(PayloadHash::Literal(claimed));
    }
    if parsed.presigned.is_some() {
        return Ok(PayloadHash::Literal(UNSIGNED_PAYLOAD));
    }
    match body_hash(payload) {
        Some(h) => Ok(PayloadHash::Hex(h)),
        None => Err(AuthError::MissingContentSha256),
    }
}

fn check_time(parsed: &SigV4Request, now_ms: i64) -> Result<(), AuthError> {
    match parsed.presigned {
        None => {
            if (now_ms - parsed.date_ms).abs() > MAX_SKEW_MS {
                return Err(AuthError::RequestTimeTooSkewed {
                    request_time: parsed.amz_date.clone(),
                    server_time: format_amz_date(now_ms),
                });
            }
        }
        Some(expires) => {
            if parsed.date_ms - now_ms > MAX_SKEW_MS {
                return Err(AuthError::RequestNotYetValid);
            }
            let end = parsed
                .date_ms
                .saturating_add((expires as i64).saturating_mul(1000));
            if now_ms > end {
                return Err(AuthError::RequestExpired {
                    expires: format_amz_date(end),
                    server_time: format_amz_date(now_ms),
                });
            }
        }
    }
    Ok(())
}

/// The signature of the canonical request described by `c`.
fn compute_signature(
    req: &HttpRequestParts<'_>,
    parsed: &SigV4Request,
    c: &Canon<'_>,
    key: &SigningKey,
) -> [u8; 64] {
    let mut h = Sha256::new();
    canonical::write_canonical_request(&mut h, req, c);
    let creq_hash = keys::hex32(&h.finalize().into());
    let mut m = keys::hmac(key);
    m.update(ALGORITHM.as_bytes());
    m.update(b"\n");
    m.update(parsed.amz_date.as_bytes());
    m.update(b"\n");
    m.update(parsed.scope_date.as_bytes());
    m.update(b"/");
    m.update(parsed.region.as_bytes());
    m.update(b"/");
    m.update(parsed.service.as_bytes());
    m.update(b"/aws4_request\n");
    m.update(&creq_hash);
    keys::hex32(&m.finalize().into_bytes().into())
}

/// The canonical request and string to sign, as text (for error reports
/// and for signers).
pub(crate) fn describe(
    req: &HttpRequestParts<'_>,
    parsed: &SigV4Request,
    c: &Canon<'_>,
) -> (String, String) {
    let mut buf = Vec::with_capacity(512);
    canonical::write_canonical_request(&mut buf, req, c);
    let creq_hash = keys::hex32_string(&Sha256::digest(&buf).into());
    let canonical_request = String::from_utf8_lossy(&buf).into_owned();
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{}\n{creq_hash}",
        parsed.amz_date,
        parsed.credential_scope_string()
    );
    (canonical_request, string_to_sign)
}

/// The URI mode a service signs with.
pub(crate) fn primary_uri_mode(service: &str) -> UriMode {
    if service == "s3" {
        UriMode::AsSent
    } else {
        UriMode::DoubleEncoded {
            collapse_slashes: true,
        }
    }
}

/// Checks the signature of `req` (parsed as `parsed`) against `secret` at
/// Gureum time `now_ms`: the time window, the payload hash, the signature.
pub fn verify(
    req: &HttpRequestParts<'_>,
    parsed: &SigV4Request,
    secret: &str,
    payload: Payload<'_>,
    now_ms: i64,
) -> Result<(), AuthError> {
    check_time(parsed, now_ms)?;
    let hash = payload_hash(parsed, payload)?;
    let key = parsed.signing_key(secret);
    let primary = Canon {
        uri: primary_uri_mode(&parsed.service),
        plus_as_space: true,
        presigned: parsed.presigned.is_some(),
        signed_headers: &parsed.signed_headers,
        payload_hash: hash.as_str(),
    };
    let provided = parsed.signature.as_bytes();
    if keys::signatures_equal(&compute_signature(req, parsed, &primary, &key), provided) {
        return Ok(());
    }
    // Known client variations, tried only after a mismatch.
    let mut alternatives: Vec<Canon<'_>> = Vec::new();
    let is_s3 = parsed.service == "s3";
    if is_s3 {
        alternatives.push(Canon {
            uri: UriMode::Reencoded,
            ..primary
        });
    } else if req.path.contains("//") {
        alternatives.push(Canon {
            uri: UriMode::DoubleEncoded {
                collapse_slashes: false,
            },
            ..primary
        });
    }
    if req.query.contains('+') {
        let n = alternatives.len();
        alternatives.push(Canon {
            plus_as_space: false,
            ..primary
        });
        for i in 0..n {
            let alt = alternatives[i];
            alternatives.push(Canon {
                plus_as_space: false,
                ..alt
            });
        }
    }
    let empty_body_hash;
    if parsed.presigned.is_some() && parsed.content_sha256.is_none() && !is_s3 {
        empty_body_hash =
            body_hash(payload).unwrap_or_else(|| keys::hex32(&Sha256::digest(b"").into()));
        if let Ok(h) = std::str::from_utf8(&empty_body_hash) {
            alternatives.push(Canon {
                payload_hash: h,
                ..primary
            });
        }
    }
    for alt in &alternatives {
        if keys::signatures_equal(&compute_signature(req, parsed, alt, &key), provided) {
            return Ok(());
        }
    }
    let (canonical_request, string_to_sign) = describe(req, parsed, &primary);
    Err(AuthError::SignatureDoesNotMatch(Box::new(
        SignatureMismatch {
            access_key_id: parsed.access_key_id.clone(),
            canonical_request,
            string_to_sign,
            signature_provided: parsed.signature.clone(),
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_has_exactly_five_parts() {
        assert_eq!(
            split_credential("AKID/20130524/us-east-1/s3/aws4_request"),
            Some(("AKID", "20130524", "us-east-1", "s3", "aws4_request"))
        );
        assert_eq!(
            split_credential("AKID//ü-region/s3/"),
            Some(("AKID", "", "ü-region", "s3", ""))
        );
        for bad in [
            "",
            "AKID/20130524/us-east-1/s3",
            "AKID/20130524/us-east-1/s3/aws4_request/x",
            "/20130524/us-east-1/s3/aws4_request",
            "AKID/20130524//s3/aws4_request",
            "AKID/20130524/us-east-1//aws4_request",
            "////",
        ] {
            assert_eq!(split_credential(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_scope_is_read_wherever_credential_stands() {
        let mut h = HeaderMap::new();
        let scope = |h: &HeaderMap| credential_scope(h, "").map(|s| (s.access_key_id, s.region));
        h.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AK/20130524/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00"
                .parse()
                .expect("header"),
        );
        assert_eq!(scope(&h), Some(("AK".into(), "eu-west-1".into())));
        h.insert(
            http::header::AUTHORIZATION,
            "AWS4-HMAC-SHA256 SignedHeaders=host,Credential=AK2/20130524/ap-south-1/s3/aws4_request,Signature=00"
                .parse()
                .expect("header"),
        );
        assert_eq!(scope(&h), Some(("AK2".into(), "ap-south-1".into())));
    }
}
