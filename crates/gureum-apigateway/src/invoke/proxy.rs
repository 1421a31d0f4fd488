//! Proxy integrations: Lambda (`AWS_PROXY`, the REST "1.0" event and
//! response contract) and `HTTP_PROXY` (the request passed through).

use super::{http, query_pairs, Functions, Request, Response, Target};
use crate::integrations::lambda_function;
use base64::Engine;
use gureum_core::Value;
use serde_json::{json, Map};

/// The members a proxy response may have; any other makes it malformed.
const RESPONSE_MEMBERS: [&str; 5] = [
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
];

/// The Lambda proxy event for `request`.
pub(crate) fn event(target: &Target, request: &Request, context: &Value) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (k, v) in &request.headers {
        headers.insert(k.clone(), json!(v));
        match multi_headers.get_mut(k).and_then(Value::as_array_mut) {
            Some(list) => list.push(json!(v)),
            None => {
                multi_headers.insert(k.clone(), json!([v]));
            }
        }
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in query_pairs(&request.query) {
        query.insert(k.clone(), json!(v));
        match multi_query.get_mut(&k).and_then(Value::as_array_mut) {
            Some(list) => list.push(json!(v)),
            None => {
                multi_query.insert(k, json!([v]));
            }
        }
    }
    let or_null = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    let binary = is_binary(target, request) || std::str::from_utf8(&request.body).is_err();
    let body = if request.body.is_empty() {
        Value::Null
    } else if binary {
        json!(base64::engine::general_purpose::STANDARD.encode(&request.body))
    } else {
        json!(String::from_utf8_lossy(&request.body))
    };
    let stage_variables = match target.stage_variables.as_object() {
        Some(m) if !m.is_empty() => target.stage_variables.clone(),
        _ => Value::Null,
    };
    json!({
        "resource": target.resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": if target.path_params.is_empty() { Value::Null } else { json!(target.path_params) },
        "stageVariables": stage_variables,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": binary,
    })
}

/// Whether the request's media type is one of the API's binary media
/// types (`image/png`, `image/*`, `*/*`) at deployment.
pub(crate) fn is_binary(target: &Target, request: &Request) -> bool {
    let Some(media) = super::header(request, "content-type").and_then(|c| c.split(';').next())
    else {
        return false;
    };
    let media = media.trim().to_ascii_lowercase();
    let (kind, _) = media.split_once('/').unwrap_or((&media, ""));
    target.deployment.api["binaryMediaTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|t| t.replace("~1", "/").to_ascii_lowercase())
        .any(|t| t == media || t == "*/*" || t.strip_suffix("/*") == Some(kind))
}

/// `AWS_PROXY`: the event to the function, its answer to the client.
pub(crate) fn lambda(
    target: &Target,
    request: &Request,
    integration: &Value,
    context: &Value,
    functions: &dyn Functions,
) -> Response {
    let uri = integration["uri"].as_str().unwrap_or_default();
    let Some(function) = lambda_function(uri) else {
        return Response::message(500, "Internal server error");
    };
    let payload = event(target, request, context).to_string();
    match functions.invoke(function, &target.method_arn(request), payload.as_bytes()) {
        Ok(result) if !result.failed => proxy_response(&result.payload),
        Ok(_) => Response::message(502, "Internal server error"),
        // Refused by the function's policy, or the function is gone.
        Err(_) => Response::message(500, "Internal server error"),
    }
}

/// The client's response from a function's proxy response; malformed
/// ones are a 502.
pub(crate) fn proxy_response(payload: &[u8]) -> Response {
    let malformed = || Response::message(502, "Internal server error");
    let Ok(Value::Object(out)) = serde_json::from_slice::<Value>(payload) else {
        return malformed();
    };
    if out.keys().any(|k| !RESPONSE_MEMBERS.contains(&k.as_str())) {
        return malformed();
    }
    let status = match out.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let Some(status) = status.filter(|s| (100..=599).contains(s)) else {
        return malformed();
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    match out.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let Some(v) = scalar(v) else {
                    return malformed();
                };
                headers.push((k.clone(), v));
            }
        }
        Some(_) => return malformed(),
    }
    match out.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, list) in h {
                let Some(list) = list.as_array() else {
                    return malformed();
                };
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                for v in list {
                    let Some(v) = scalar(v) else {
                        return malformed();
                    };
                    headers.push((k.clone(), v));
                }
            }
        }
        Some(_) => return malformed(),
    }
    let encoded = match out.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return malformed(),
    };
    let body = match out.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if encoded => {
            match base64::engine::general_purpose::STANDARD.decode(s) {
                Ok(b) => b,
                Err(_) => return malformed(),
            }
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(_) => return malformed(),
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    Response::backend(status as u16, headers, body)
}

/// `HTTP_PROXY`: the request to the URI (path parameters filled in), the
/// backend's response back as it is.
pub(crate) fn http(target: &Target, request: &Request, integration: &Value) -> Response {
    let mut url = fill_path(integration["uri"].as_str().unwrap_or_default(), target);
    if !request.query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&request.query);
    }
    let verb = match integration["httpMethod"].as_str() {
        Some("ANY") | None => request.method.as_str(),
        Some(v) => v,
    };
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length")
        })
        .cloned()
        .collect();
    let timeout = integration["timeoutInMillis"].as_u64().unwrap_or(29_000);
    match http::send(verb, &url, &headers, &request.body, timeout) {
        Ok(r) => r,
        Err(http::Failure::Timeout) => Response::message(504, "Endpoint request timed out"),
        Err(_) => Response::message(500, "Internal server error"),
    }
}

/// `{name}` and `{name+}` in an integration URI, from the path parameters.
pub(crate) fn fill_path(uri: &str, target: &Target) -> String {
    let mut out = uri.to_string();
    for (k, v) in &target.path_params {
        out = out
            .replace(&format!("{{{k}+}}"), v)
            .replace(&format!("{{{k}}}"), v);
    }
    out
}
