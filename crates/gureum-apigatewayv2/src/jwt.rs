//! JWT authorizers: RS256 tokens checked against the issuer's JWKS, then
//! `iss`, `aud` (or `client_id`), `exp`, `nbf` and the route's scopes, as
//! API Gateway does for HTTP APIs.

use base64::Engine;
use gureum_core::Value;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde_json::{json, Map};
use sha2::{Digest, Sha256};

/// Why a token is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 401 `{"message":"Unauthorized"}`: no token, or a bad one.
    Unauthorized(String),
    /// 403 `{"message":"Forbidden"}`: a good token without the scopes.
    Forbidden,
}

/// What the authorizer checks a token against.
pub struct Expectations<'a> {
    /// `JwtConfiguration.Issuer`.
    pub issuer: &'a str,
    /// `JwtConfiguration.Audience`.
    pub audience: &'a [String],
    /// The route's `AuthorizationScopes` (empty: any).
    pub scopes: &'a [String],
    /// Now, epoch seconds.
    pub now: i64,
}

/// The token from an identity source value: `Bearer x` or `x`.
pub fn bearer(value: &str) -> &str {
    let v = value.trim();
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
        _ => v,
    }
}

fn b64(part: &str) -> Result<Vec<u8>, Refusal> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('=').as_bytes())
        .map_err(|_| Refusal::Unauthorized("malformed token".into()))
}

/// The `kid` the token's header names, if any.
pub fn key_id(token: &str) -> Option<String> {
    let header: Value = serde_json::from_slice(&b64(token.split('.').next()?).ok()?).ok()?;
    header["kid"].as_str().map(String::from)
}

/// Verifies `token` with `jwks` (a `{"keys": [...]}` document) and the
/// expectations; answers `requestContext.authorizer.jwt`
/// (`{"claims": {...}, "scopes": [...] | null}`).
pub fn verify(token: &str, jwks: &Value, expect: &Expectations<'_>) -> Result<Value, Refusal> {
    let unauthorized = |why: &str| Refusal::Unauthorized(why.to_string());
    let parts: Vec<&str> = token.split('.').collect();
    let [head, body, sig] = parts.as_slice() else {
        return Err(unauthorized("not a JWT"));
    };
    let header: Value =
        serde_json::from_slice(&b64(head)?).map_err(|_| unauthorized("bad header"))?;
    if header["alg"].as_str() != Some("RS256") {
        return Err(unauthorized("unsupported algorithm"));
    }
    let kid = header["kid"].as_str();
    let key = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| k["kty"].as_str() == Some("RSA") && (kid.is_none() || k["kid"].as_str() == kid))
        .ok_or_else(|| unauthorized("no matching key"))?;
    let n = b64(key["n"].as_str().unwrap_or_default())?;
    let e = b64(key["e"].as_str().unwrap_or_default())?;
    let public = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
        .map_err(|_| unauthorized("bad key"))?;
    let digest = Sha256::digest(format!("{head}.{body}").as_bytes());
    public
        .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &b64(sig)?)
        .map_err(|_| unauthorized("bad signature"))?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&b64(body)?).map_err(|_| unauthorized("bad claims"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(expect.issuer) {
        return Err(unauthorized("wrong issuer"));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => claims
            .get("client_id")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
    };
    if !expect.audience.is_empty()
        && !audiences
            .iter()
            .any(|a| expect.audience.iter().any(|e| e == a))
    {
        return Err(unauthorized("wrong audience"));
    }
    match claims.get("exp").and_then(Value::as_f64) {
        Some(exp) if (exp as i64) > expect.now => {}
        _ => return Err(unauthorized("expired")),
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_f64) {
        if nbf as i64 > expect.now {
            return Err(unauthorized("not yet valid"));
        }
    }
    let granted: Vec<String> = match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => s.split_whitespace().map(String::from).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    if !expect.scopes.is_empty() && !expect.scopes.iter().any(|s| granted.contains(s)) {
        return Err(Refusal::Forbidden);
    }
    // API Gateway hands claims over as strings (arrays as `[a b]`).
    let as_strings: Map<String, Value> = claims
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s,
                Value::Array(a) => format!(
                    "[{}]",
                    a.iter()
                        .map(|x| x
                            .as_str()
                            .map(String::from)
                            .unwrap_or_else(|| x.to_string()))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => other.to_string(),
            };
            (k, json!(text))
        })
        .collect();
    let scopes = if granted.is_empty() {
        Value::Null
    } else {
        json!(granted)
    };
    Ok(json!({ "claims": as_strings, "scopes": scopes }))
}
