//! S3's legacy signature (SigV2, "HMAC-SHA1 REST authentication"): still
//! what boto3 and the aws CLI use to presign S3 URLs against a custom
//! endpoint (`AWSAccessKeyId`, `Signature`, `Expires` in the query), and an
//! `Authorization: AWS <key>:<signature>` header from old clients.
//!
//! The string to sign is the method, `Content-MD5`, `Content-Type`, the
//! date (or `Expires`), the `x-amz-*` headers and the canonical resource:
//! the path with the bucket (virtual-hosted requests included) plus the
//! sub-resources S3 signs (`?uploadId=…&partNumber=…`, `response-*`…).

use crate::error::AuthError;
use base64::Engine;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use sha1::Sha1;

/// Query parameters that are part of the canonical resource.
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// A SigV2-signed request: who signed it and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigV2Request {
    /// The access key id.
    pub access_key_id: String,
    /// The base64 HMAC-SHA1 signature.
    pub signature: String,
    /// Presigned: `Expires` (epoch seconds); header-signed: `None`.
    pub expires: Option<i64>,
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode_str(v).decode_utf8_lossy())
    })
}

impl SigV2Request {
    /// The SigV2 signature of a request, if it carries one.
    pub fn parse(headers: &HeaderMap, query: &str) -> Result<Option<SigV2Request>, AuthError> {
        if let Some(key) = query_param(query, "AWSAccessKeyId") {
            let (Some(signature), Some(expires)) = (
                query_param(query, "Signature"),
                query_param(query, "Expires"),
            ) else {
                return Err(AuthError::AuthorizationQueryParametersError(
                    "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters".into(),
                ));
            };
            let expires = expires.parse::<i64>().map_err(|_| {
                AuthError::AuthorizationQueryParametersError(
                    "Invalid date (should be seconds since epoch)".into(),
                )
            })?;
            return Ok(Some(SigV2Request {
                access_key_id: key.into_owned(),
                signature: signature.into_owned(),
                expires: Some(expires),
            }));
        }
        let Some(auth) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(None);
        };
        let Some(rest) = auth.strip_prefix("AWS ") else {
            return Ok(None);
        };
        let Some((key, signature)) = rest.trim().rsplit_once(':') else {
            return Err(AuthError::IncompleteSignature(
                "The authorization header is malformed".into(),
            ));
        };
        Ok(Some(SigV2Request {
            access_key_id: key.to_string(),
            signature: signature.to_string(),
            expires: None,
        }))
    }
}

/// The string a SigV2 signature covers. `resource_path` is the request
/// path, percent-encoded as sent, with the bucket first (for
/// virtual-hosted requests too).
pub fn string_to_sign(
    method: &str,
    headers: &HeaderMap,
    resource_path: &str,
    query: &str,
    expires: Option<i64>,
) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or("")
    };
    let date = match expires {
        Some(e) => e.to_string(),
        // With x-amz-date present, the Date line is empty (it is signed
        // among the x-amz-* headers).
        None if headers.contains_key("x-amz-date") => String::new(),
        None => header("date").to_string(),
    };
    let mut s = format!(
        "{method}\n{}\n{}\n{date}\n",
        header("content-md5"),
        header("content-type")
    );
    let mut amz: Vec<(String, Vec<&str>)> = Vec::new();
    for (name, value) in headers {
        let n = name.as_str();
        if !n.starts_with("x-amz-") {
            continue;
        }
        let v = value.to_str().unwrap_or("").trim();
        match amz.iter_mut().find(|(k, _)| k == n) {
            Some((_, vals)) => vals.push(v),
            None => amz.push((n.to_string(), vec![v])),
        }
    }
    amz.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, vals) in amz {
        s.push_str(&k);
        s.push(':');
        s.push_str(&vals.join(","));
        s.push('\n');
    }
    s.push_str(resource_path);
    let mut subs: Vec<(&str, Option<String>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = match pair.split_once('=') {
                Some((k, v)) => (
                    k,
                    Some(percent_decode_str(v).decode_utf8_lossy().into_owned()),
                ),
                None => (pair, None),
            };
            SUBRESOURCES.contains(&k).then_some((k, v))
        })
        .collect();
    subs.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (k, v)) in subs.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        if let Some(v) = v {
            s.push('=');
            s.push_str(v);
        }
    }
    s
}

/// The base64 HMAC-SHA1 of `string_to_sign` under `secret`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a SigV2 signature; a presigned URL must not have expired
/// (`now_s`, wall-clock epoch seconds).
pub fn verify(
    parsed: &SigV2Request,
    secret: &str,
    method: &str,
    headers: &HeaderMap,
    resource_path: &str,
    query: &str,
    now_s: i64,
) -> Result<(), AuthError> {
    let to_sign = string_to_sign(method, headers, resource_path, query, parsed.expires);
    let expected = sign(secret, &to_sign);
    if !crate::constant_time_eq(&expected, &parsed.signature) {
        return Err(AuthError::SignatureDoesNotMatch(Box::new(
            crate::error::SignatureMismatch {
                access_key_id: parsed.access_key_id.clone(),
                canonical_request: String::new(),
                string_to_sign: to_sign,
                signature_provided: parsed.signature.clone(),
            },
        )));
    }
    if let Some(expires) = parsed.expires {
        if now_s > expires {
            let fmt = |s: i64| gureum_core::timestamp::format_amz_date(s * 1000);
            return Err(AuthError::RequestExpired {
                expires: fmt(expires),
                server_time: fmt(now_s),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The query-string authentication example of AWS's "Signing and
    // authenticating REST requests" (S3 developer guide, SigV2).
    #[test]
    fn aws_documented_presigned_example_signs_as_documented() {
        let headers = HeaderMap::new();
        let s = string_to_sign(
            "GET",
            &headers,
            "/johnsmith/photos/puppy.jpg",
            "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=x",
            Some(1175139620),
        );
        assert_eq!(s, "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
        assert_eq!(
            sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &s),
            "NpgCjnDzrM+WFzoENXmpNDUsSn8="
        );
    }

    #[test]
    fn subresources_are_signed_sorted_and_other_parameters_are_not() {
        let headers = HeaderMap::new();
        let s = string_to_sign(
            "GET",
            &headers,
            "/b/k",
            "versionId=v%2B1&foo=bar&acl&Signature=x",
            Some(1),
        );
        assert!(s.ends_with("/b/k?acl&versionId=v+1"), "{s}");
    }

    #[test]
    fn amz_headers_are_lowercased_sorted_and_joined() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-meta-b", "2".parse().expect("header"));
        headers.insert("X-Amz-Meta-A", " 1 ".parse().expect("header"));
        headers.insert("content-type", "text/plain".parse().expect("header"));
        let s = string_to_sign("PUT", &headers, "/b/k", "", Some(5));
        assert_eq!(
            s,
            "PUT\n\ntext/plain\n5\nx-amz-meta-a:1\nx-amz-meta-b:2\n/b/k"
        );
    }

    #[test]
    fn an_expired_url_is_refused_after_its_signature_checks() {
        let parsed = SigV2Request {
            access_key_id: "test".into(),
            signature: sign("secret", "GET\n\n\n10\n/b/k"),
            expires: Some(10),
        };
        let h = HeaderMap::new();
        assert!(verify(&parsed, "secret", "GET", &h, "/b/k", "", 10).is_ok());
        let e = verify(&parsed, "secret", "GET", &h, "/b/k", "", 11).expect_err("expired");
        assert!(matches!(e, AuthError::RequestExpired { .. }));
        let e = verify(&parsed, "other", "GET", &h, "/b/k", "", 0).expect_err("wrong secret");
        assert!(matches!(e, AuthError::SignatureDoesNotMatch(_)));
    }

    #[test]
    fn header_form_is_parsed_and_missing_query_parts_are_an_error() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "AWS AKID:c2ln".parse().expect("header"));
        let p = SigV2Request::parse(&h, "")
            .expect("parse")
            .expect("present");
        assert_eq!((p.access_key_id.as_str(), p.expires), ("AKID", None));
        assert!(SigV2Request::parse(&HeaderMap::new(), "AWSAccessKeyId=a").is_err());
    }
}
