//! An HTTP API's `CorsConfiguration` applied to requests: preflights are
//! answered by API Gateway itself, other answers get the allow headers
//! when the `Origin` is allowed.

use gureum_core::Value;

/// The configured list `member` as strings.
fn list<'c>(cors: &'c Value, member: &str) -> Vec<&'c str> {
    cors[member]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `Access-Control-Allow-Origin` value for `origin`, if allowed.
fn allowed_origin(cors: &Value, origin: &str) -> Option<String> {
    let origins = list(cors, "AllowOrigins");
    if origins.contains(&"*") {
        Some("*".into())
    } else {
        origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
            .then(|| origin.to_string())
    }
}

/// The headers for an answer to a request from `origin`.
pub fn response_headers(cors: &Value, origin: &str) -> Vec<(String, String)> {
    let Some(allow) = allowed_origin(cors, origin) else {
        return Vec::new();
    };
    let mut out = vec![("access-control-allow-origin".to_string(), allow)];
    if cors["AllowCredentials"] == Value::Bool(true) {
        out.push(("access-control-allow-credentials".into(), "true".into()));
    }
    let expose = list(cors, "ExposeHeaders");
    if !expose.is_empty() {
        out.push(("access-control-expose-headers".into(), expose.join(",")));
    }
    out
}

/// The preflight answer's headers (status 204), or `None` when the
/// origin or method is not allowed (the request then goes to the routes).
pub fn preflight(
    cors: &Value,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Option<Vec<(String, String)>> {
    let allow = allowed_origin(cors, origin)?;
    let methods = list(cors, "AllowMethods");
    if !methods
        .iter()
        .any(|m| *m == "*" || m.eq_ignore_ascii_case(method))
    {
        return None;
    }
    let mut out = vec![
        ("access-control-allow-origin".to_string(), allow),
        ("access-control-allow-methods".into(), methods.join(",")),
    ];
    let headers = list(cors, "AllowHeaders");
    if headers.contains(&"*") {
        if let Some(asked) = request_headers {
            out.push(("access-control-allow-headers".into(), asked.to_string()));
        }
    } else if !headers.is_empty() {
        out.push(("access-control-allow-headers".into(), headers.join(",")));
    }
    if cors["AllowCredentials"] == Value::Bool(true) {
        out.push(("access-control-allow-credentials".into(), "true".into()));
    }
    if let Some(age) = cors["MaxAge"].as_i64().filter(|a| *a >= 0) {
        out.push(("access-control-max-age".into(), age.to_string()));
    }
    Some(out)
}
