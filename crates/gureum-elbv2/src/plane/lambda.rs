//! Lambda targets: the request becomes AWS's ALB event JSON, and the
//! function's answer (`statusCode`, `headers`, `body`, …) the response.

use base64::Engine;
use serde_json::{json, Map, Value};

/// The request as the function sees it.
pub struct EventRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// The raw query.
    pub query: &'a str,
    /// Headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: &'a [u8],
}

/// AWS's ALB event for `r` sent from `target_group_arn`; with
/// `multi_value`, the `multiValue*` members instead of the single ones.
pub fn event(r: &EventRequest<'_>, target_group_arn: &str, multi_value: bool) -> Value {
    let (body, base64) = match std::str::from_utf8(r.body) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (
            base64::engine::general_purpose::STANDARD.encode(r.body),
            true,
        ),
    };
    // The event carries the query as the client sent it (not decoded).
    let pairs: Vec<(String, String)> = r
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect();
    let mut e = json!({
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": r.method,
        "path": r.path,
        "body": body,
        "isBase64Encoded": base64,
    });
    if multi_value {
        let mut q: Map<String, Value> = Map::new();
        for (k, v) in &pairs {
            push(&mut q, k, v);
        }
        let mut h: Map<String, Value> = Map::new();
        for (k, v) in &r.headers {
            push(&mut h, k, v);
        }
        e["multiValueQueryStringParameters"] = Value::Object(q);
        e["multiValueHeaders"] = Value::Object(h);
    } else {
        let q: Map<String, Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let h: Map<String, Value> = r
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        e["queryStringParameters"] = Value::Object(q);
        e["headers"] = Value::Object(h);
    }
    e
}

fn push(map: &mut Map<String, Value>, k: &str, v: &str) {
    match map.get_mut(k).and_then(Value::as_array_mut) {
        Some(list) => list.push(Value::String(v.to_string())),
        None => {
            map.insert(k.to_string(), json!([v]));
        }
    }
}

/// A function's answer as an HTTP response.
#[derive(Debug, PartialEq)]
pub struct FunctionResponse {
    /// The status.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Reads the function's payload; `None` when it is not a valid answer
/// (the load balancer then answers 502).
pub fn response(payload: &[u8]) -> Option<FunctionResponse> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let status = v["statusCode"]
        .as_u64()
        .filter(|c| (100..600).contains(c))? as u16;
    let mut headers = Vec::new();
    if let Some(h) = v["headers"].as_object() {
        for (k, val) in h {
            if let Some(s) = val.as_str() {
                headers.push((k.clone(), s.to_string()));
            }
        }
    }
    if let Some(h) = v["multiValueHeaders"].as_object() {
        for (k, vals) in h {
            for s in vals
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                headers.push((k.clone(), s.to_string()));
            }
        }
    }
    let body = v["body"].as_str().unwrap_or_default();
    let body = if v["isBase64Encoded"] == true {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .ok()?
    } else {
        body.as_bytes().to_vec()
    };
    Some(FunctionResponse {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_carries_method_path_query_headers_and_target_group() {
        let r = EventRequest {
            method: "POST",
            path: "/fn",
            query: "a=1&b=2",
            headers: vec![("host".into(), "lb".into())],
            body: b"hi",
        };
        let e = event(&r, "arn:tg", false);
        assert_eq!(e["requestContext"]["elb"]["targetGroupArn"], "arn:tg");
        assert_eq!(e["queryStringParameters"]["b"], "2");
        assert_eq!(e["headers"]["host"], "lb");
        assert_eq!(e["body"], "hi");
        assert_eq!(e["isBase64Encoded"], false);
        let m = event(&r, "arn:tg", true);
        assert_eq!(m["multiValueQueryStringParameters"]["a"], json!(["1"]));
    }

    #[test]
    fn a_function_answer_without_a_status_code_is_not_a_response() {
        assert!(response(b"{\"body\":\"x\"}").is_none());
        let ok =
            response(br#"{"statusCode":201,"headers":{"x-a":"1"},"body":"done"}"#).expect("valid");
        assert_eq!(ok.status, 201);
        assert_eq!(ok.body, b"done");
    }
}
