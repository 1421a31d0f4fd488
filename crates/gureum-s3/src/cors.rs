//! CORS: `PutBucketCors` (validated as S3 does), `GetBucketCors`,
//! `DeleteBucketCors`, and the rules' enforcement: preflight `OPTIONS`
//! answered from the rules ([`S3Service::cors_preflight`]) and
//! `Access-Control-*` headers on actual requests from an allowed origin
//! ([`S3Service::cors_headers`]). The server calls both; a request without
//! an `Origin` header, or to a bucket without rules, pays nothing more.

use crate::{S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// At most this many rules in a configuration.
const MAX_RULES: usize = 100;

/// The methods a rule may allow.
const METHODS: &[&str] = &["GET", "PUT", "HEAD", "POST", "DELETE"];

/// One CORS rule, as put.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CorsRule {
    /// The rule's `ID`, if any.
    pub id: Option<String>,
    /// `AllowedOrigins` (at most one `*` each).
    pub origins: Vec<String>,
    /// `AllowedMethods`.
    pub methods: Vec<String>,
    /// `AllowedHeaders` (at most one `*` each).
    pub headers: Vec<String>,
    /// `ExposeHeaders`.
    pub expose: Vec<String>,
    /// `MaxAgeSeconds`.
    pub max_age: Option<i64>,
}

/// Headers to add to a response.
pub type Headers = Vec<(String, String)>;

fn strings(rule: &Value, name: &str) -> Vec<String> {
    match rule.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn invalid(message: String) -> AwsError {
    S3Error::InvalidRequest { message }.into()
}

/// Reads and validates a `CORSConfiguration`.
pub fn parse_rules(config: &Value) -> Result<Vec<CorsRule>, AwsError> {
    let raw = match config.get("CORSRules") {
        Some(Value::Array(r)) if !r.is_empty() => r,
        _ => return Err(S3Error::MalformedXml.into()),
    };
    if raw.len() > MAX_RULES {
        return Err(invalid(
            "The number of CORS rules should not exceed allowed limit of 100 rules.".into(),
        ));
    }
    let mut rules = Vec::with_capacity(raw.len());
    for r in raw {
        let rule = CorsRule {
            id: r.get("ID").and_then(Value::as_str).map(str::to_string),
            origins: strings(r, "AllowedOrigins"),
            methods: strings(r, "AllowedMethods"),
            headers: strings(r, "AllowedHeaders"),
            expose: strings(r, "ExposeHeaders"),
            max_age: r.get("MaxAgeSeconds").and_then(Value::as_i64),
        };
        if rule.origins.is_empty() || rule.methods.is_empty() {
            return Err(S3Error::MalformedXml.into());
        }
        if let Some(m) = rule.methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(invalid(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
        if let Some(o) = rule.origins.iter().find(|o| o.matches('*').count() > 1) {
            return Err(invalid(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
        if let Some(h) = rule.headers.iter().find(|h| h.matches('*').count() > 1) {
            return Err(invalid(format!(
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            )));
        }
        rules.push(rule);
    }
    Ok(rules)
}

/// Matches `text` against a pattern with at most one `*`.
fn wildcard(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let eq = |a: &str, b: &str| {
        if ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    match pattern.split_once('*') {
        None => eq(pattern, text),
        Some((head, tail)) => {
            text.len() >= head.len() + tail.len()
                && text.get(..head.len()).is_some_and(|h| eq(h, head))
                && text
                    .get(text.len() - tail.len()..)
                    .is_some_and(|t| eq(t, tail))
        }
    }
}

impl CorsRule {
    fn allows(&self, origin: &str, method: &str) -> bool {
        self.origins.iter().any(|o| wildcard(o, origin, false))
            && self.methods.iter().any(|m| m == method)
    }

    fn allows_headers(&self, requested: &[&str]) -> bool {
        requested
            .iter()
            .all(|h| self.headers.iter().any(|a| wildcard(a, h, true)))
    }

    /// The headers a matching rule adds, for `origin`.
    fn response_headers(&self, origin: &str, preflight: bool) -> Headers {
        let any = self.origins.iter().any(|o| o == "*");
        let mut out = vec![(
            "Access-Control-Allow-Origin".to_string(),
            if any { "*".into() } else { origin.to_string() },
        )];
        out.push((
            "Access-Control-Allow-Methods".into(),
            self.methods.join(", "),
        ));
        if !any {
            out.push(("Access-Control-Allow-Credentials".into(), "true".into()));
        }
        if !self.expose.is_empty() {
            out.push((
                "Access-Control-Expose-Headers".into(),
                self.expose.join(", "),
            ));
        }
        if let Some(age) = self.max_age {
            out.push(("Access-Control-Max-Age".into(), age.to_string()));
        }
        if !preflight || !any {
            out.push(vary());
        }
        out
    }
}

fn vary() -> (String, String) {
    (
        "Vary".into(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".into(),
    )
}

impl S3Service {
    /// `PutBucketCors`: replaces the rules.
    pub(crate) fn put_bucket_cors(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let config = input.get("CORSConfiguration").cloned().unwrap_or_default();
        let rules = parse_rules(&config)?;
        self.update_bucket(ctx, "PutBucketCors", &input, |b| {
            b.cors = Some(rules);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketCors`: `NoSuchCORSConfiguration` without rules.
    pub(crate) fn get_bucket_cors(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketCors", &input)?;
        let rules = b
            .cors
            .ok_or(S3Error::NoSuchCorsConfiguration { bucket: name })?;
        let rules: Vec<Value> = rules
            .iter()
            .map(|r| {
                let mut v = json!({
                    "AllowedOrigins": r.origins,
                    "AllowedMethods": r.methods,
                });
                if let Some(id) = &r.id {
                    v["ID"] = json!(id);
                }
                if !r.headers.is_empty() {
                    v["AllowedHeaders"] = json!(r.headers);
                }
                if !r.expose.is_empty() {
                    v["ExposeHeaders"] = json!(r.expose);
                }
                if let Some(age) = r.max_age {
                    v["MaxAgeSeconds"] = json!(age);
                }
                v
            })
            .collect();
        Ok(json!({ "CORSRules": rules }))
    }

    /// `DeleteBucketCors`.
    pub(crate) fn delete_bucket_cors(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketCors", &input, |b| {
            b.cors = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// Answers a preflight `OPTIONS` to `bucket` (`key` empty for the
    /// bucket itself): the headers of the first rule that allows the
    /// origin, the requested method and every requested header, or S3's
    /// 403 `CORSResponse` errors.
    pub fn cors_preflight(
        &self,
        bucket: &str,
        key: &str,
        origin: Option<&str>,
        method: Option<&str>,
        request_headers: Option<&str>,
    ) -> Result<Headers, AwsError> {
        let entry = self
            .bucket_entry(bucket)?
            .ok_or_else(|| crate::no_such_bucket(bucket))?;
        let Some(origin) = origin else {
            return Err(S3Error::CorsOriginMissing.into());
        };
        let method = method.unwrap_or_default();
        if !METHODS.contains(&method) {
            return Err(S3Error::CorsInvalidMethod {
                method: method.to_string(),
            }
            .into());
        }
        let resource_type = if key.is_empty() { "BUCKET" } else { "OBJECT" };
        let Some(rules) = entry.cors else {
            return Err(S3Error::CorsNotEnabled {
                method: method.to_string(),
                resource_type: resource_type.into(),
            }
            .into());
        };
        let requested: Vec<String> = request_headers
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let requested: Vec<&str> = requested.iter().map(String::as_str).collect();
        let rule = rules
            .iter()
            .find(|r| r.allows(origin, method) && r.allows_headers(&requested))
            .ok_or_else(|| S3Error::CorsNotAllowed {
                method: method.to_string(),
                resource_type: resource_type.into(),
            })?;
        let mut headers = rule.response_headers(origin, true);
        if !requested.is_empty() {
            headers.push(("Access-Control-Allow-Headers".into(), requested.join(", ")));
        }
        Ok(headers)
    }

    /// The `Access-Control-*` headers for an actual request with an
    /// `Origin` header: those of the first rule allowing the origin and
    /// method; only `Vary` when the bucket has rules but none matches;
    /// nothing when it has none.
    pub fn cors_headers(&self, bucket: &str, origin: &str, method: &str) -> Headers {
        let Ok(Some(entry)) = self.bucket_entry(bucket) else {
            return Vec::new();
        };
        let Some(rules) = entry.cors else {
            return Vec::new();
        };
        match rules.iter().find(|r| r.allows(origin, method)) {
            Some(rule) => rule.response_headers(origin, false),
            None => vec![vary()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(v: Value) -> Result<Vec<CorsRule>, String> {
        parse_rules(&json!({ "CORSRules": v })).map_err(|e| e.message)
    }

    #[test]
    fn validation_answers_s3s_messages() {
        assert_eq!(
            rules(json!([{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}])),
            Err("Found unsupported HTTP method in CORS config. Unsupported method is PATCH".into())
        );
        assert_eq!(
            rules(json!([{"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]}])),
            Err("AllowedOrigin \"http://*.*.com\" can not have more than one wildcard.".into())
        );
        assert!(rules(json!([{"AllowedOrigins": ["*"]}])).is_err());
    }

    #[test]
    fn origins_and_headers_match_with_one_wildcard() {
        assert!(wildcard(
            "https://*.example.com",
            "https://app.example.com",
            false
        ));
        assert!(!wildcard(
            "https://*.example.com",
            "https://evil.com",
            false
        ));
        assert!(wildcard("x-amz-*", "X-Amz-Date", true));
        assert!(wildcard("*", "anything", false));
    }
}
