//! The Lambda proxy events API Gateway sends (payload format 2.0 and 1.0)
//! and how it reads the function's answer back into an HTTP response.

use base64::Engine;
use gureum_core::Value;
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// An HTTP request as the data plane received it.
#[derive(Clone, Debug, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path the client sent, stage included (AWS's `rawPath`).
    pub raw_path: String,
    /// The query string, without `?`.
    pub query: String,
    /// Header names (any case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The caller's address.
    pub source_ip: String,
    /// `HTTP/1.1`.
    pub protocol: String,
}

/// What the event says about where and when the request was served.
#[derive(Clone, Debug, Default)]
pub struct Served {
    /// The owning account.
    pub account: String,
    /// The API's id.
    pub api_id: String,
    /// The host name the request named.
    pub domain: String,
    /// The stage (`$default`, `prod`).
    pub stage: String,
    /// The matched route's key.
    pub route_key: String,
    /// The matched route's id.
    pub route_id: String,
    /// The request id.
    pub request_id: String,
    /// When it arrived, epoch milliseconds.
    pub time_ms: i64,
    /// Path parameters of the matched route.
    pub path_parameters: BTreeMap<String, String>,
    /// The stage's variables.
    pub stage_variables: BTreeMap<String, String>,
    /// `requestContext.authorizer`, when an authorizer admitted the request.
    pub authorizer: Option<Value>,
}

/// An HTTP response to write back.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers, in order (repeats allowed: `set-cookie`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON `{"message": …}` answer, as API Gateway's own errors are.
    pub fn message(status: u16, message: &str) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: json!({ "message": message }).to_string().into_bytes(),
        }
    }

    /// `404 {"message":"Not Found"}`.
    pub fn not_found() -> Self {
        Self::message(404, "Not Found")
    }

    /// `500 {"message":"Internal Server Error"}`.
    pub fn internal() -> Self {
        Self::message(500, "Internal Server Error")
    }
}

/// `12/Mar/2020:19:03:58 +0000`, the event's `time`.
pub fn clf_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let (y, m, d) = gureum_core::timestamp::civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m as usize).saturating_sub(1) % 12],
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// Whether a body of this content type travels as text (else base64).
fn is_text(content_type: Option<&str>, body: &[u8]) -> bool {
    let Ok(_) = std::str::from_utf8(body) else {
        return false;
    };
    match content_type.map(|c| c.to_ascii_lowercase()) {
        None => true,
        Some(c) => {
            c.starts_with("text/")
                || c.contains("json")
                || c.contains("xml")
                || c.contains("javascript")
                || c.contains("x-www-form-urlencoded")
        }
    }
}

/// The body member and `isBase64Encoded` of an event.
fn body_of(request: &HttpRequest) -> (Value, bool) {
    if request.body.is_empty() {
        return (Value::Null, false);
    }
    let ct = header(request, "content-type");
    if is_text(ct, &request.body) {
        (json!(String::from_utf8_lossy(&request.body)), false)
    } else {
        (
            json!(base64::engine::general_purpose::STANDARD.encode(&request.body)),
            true,
        )
    }
}

/// The first value of header `name` (case-insensitive).
pub fn header<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The query string's pairs, decoded.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// A map member, or `Value::Null` when empty (AWS omits or nulls them).
fn map_or_null(map: &BTreeMap<String, String>) -> Value {
    if map.is_empty() {
        Value::Null
    } else {
        json!(map)
    }
}

/// The payload format 2.0 event.
pub fn event_v2(request: &HttpRequest, served: &Served) -> Value {
    let mut headers: Map<String, Value> = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        match headers.get_mut(&name) {
            Some(Value::String(v)) => {
                v.push(',');
                v.push_str(value);
            }
            _ => {
                headers.insert(name, json!(value));
            }
        }
    }
    let mut query: Map<String, Value> = Map::new();
    for (k, v) in query_pairs(&request.query) {
        match query.get_mut(&k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&v);
            }
            _ => {
                query.insert(k, json!(v));
            }
        }
    }
    let (body, base64) = body_of(request);
    let mut context = json!({
        "accountId": served.account,
        "apiId": served.api_id,
        "domainName": served.domain,
        "domainPrefix": served.domain.split('.').next().unwrap_or_default(),
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": header(request, "user-agent").unwrap_or_default(),
        },
        "requestId": served.request_id,
        "routeKey": served.route_key,
        "stage": served.stage,
        "time": clf_time(served.time_ms),
        "timeEpoch": served.time_ms,
    });
    if let Some(a) = &served.authorizer {
        context["authorizer"] = a.clone();
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": served.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": base64,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !served.path_parameters.is_empty() {
        event["pathParameters"] = json!(served.path_parameters);
    }
    if !served.stage_variables.is_empty() {
        event["stageVariables"] = json!(served.stage_variables);
    }
    if !body.is_null() {
        event["body"] = body;
    }
    event
}

/// `requestContext.authorizer` in format 1.0: a JWT authorizer's claims
/// and scopes sit at the top (`claims`, `scopes`) rather than under `jwt`.
fn authorizer_v1(authorizer: Option<&Value>) -> Value {
    match authorizer {
        Some(a) => match a.get("jwt") {
            Some(jwt) => jwt.clone(),
            None => a.clone(),
        },
        None => Value::Null,
    }
}

/// The payload format 1.0 event (REST API's proxy event shape).
pub fn event_v1(request: &HttpRequest, served: &Served) -> Value {
    let mut headers: Map<String, Value> = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in &request.headers {
        headers.insert(name.clone(), json!(value));
        let entry = multi_headers
            .entry(name.clone())
            .or_insert_with(|| json!([]));
        if let Some(a) = entry.as_array_mut() {
            a.push(json!(value));
        }
    }
    let mut query: Map<String, Value> = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in query_pairs(&request.query) {
        query.insert(k.clone(), json!(v));
        let entry = multi_query.entry(k).or_insert_with(|| json!([]));
        if let Some(a) = entry.as_array_mut() {
            a.push(json!(v));
        }
    }
    let resource = served
        .route_key
        .split_once(' ')
        .map(|(_, p)| p.to_string())
        .unwrap_or_else(|| served.route_key.clone());
    let (body, base64) = body_of(request);
    let obj_or_null = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    json!({
        "version": "1.0",
        "resource": resource,
        "path": request.raw_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": obj_or_null(query),
        "multiValueQueryStringParameters": obj_or_null(multi_query),
        "requestContext": {
            "accountId": served.account,
            "apiId": served.api_id,
            "authorizer": authorizer_v1(served.authorizer.as_ref()),
            "domainName": served.domain,
            "domainPrefix": served.domain.split('.').next().unwrap_or_default(),
            "extendedRequestId": served.request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": null, "accountId": null, "caller": null,
                "cognitoAuthenticationProvider": null, "cognitoAuthenticationType": null,
                "cognitoIdentityId": null, "cognitoIdentityPoolId": null,
                "principalOrgId": null, "sourceIp": request.source_ip, "user": null,
                "userAgent": header(request, "user-agent").unwrap_or_default(),
                "userArn": null,
            },
            "path": request.raw_path,
            "protocol": request.protocol,
            "requestId": served.request_id,
            "requestTime": clf_time(served.time_ms),
            "requestTimeEpoch": served.time_ms,
            "resourceId": served.route_key,
            "resourcePath": resource,
            "stage": served.stage,
        },
        "pathParameters": map_or_null(&served.path_parameters),
        "stageVariables": map_or_null(&served.stage_variables),
        "body": body,
        "isBase64Encoded": base64,
    })
}

/// The HTTP response for a function's answer. Format 2.0: an object with
/// `statusCode` is read member by member; anything else (a string, an
/// object without `statusCode`) becomes a 200 `application/json` body.
/// Format 1.0 must give `statusCode`, else 500.
pub fn response_from(payload: &[u8], version: &str) -> HttpResponse {
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return if version == "2.0" {
            HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: payload.to_vec(),
            }
        } else {
            HttpResponse::internal()
        };
    };
    let structured = value.get("statusCode").is_some();
    if !structured {
        if version != "2.0" {
            return HttpResponse::internal();
        }
        let body = match &value {
            Value::String(s) => s.clone().into_bytes(),
            other => other.to_string().into_bytes(),
        };
        return HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        };
    }
    let status = match &value["statusCode"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let Some(status) = status.filter(|s| (100..600).contains(s)) else {
        return HttpResponse::internal();
    };
    let mut headers = Vec::new();
    if let Some(h) = value["headers"].as_object() {
        for (k, v) in h {
            headers.push((k.clone(), scalar(v)));
        }
    }
    if let Some(h) = value["multiValueHeaders"].as_object() {
        for (k, vs) in h {
            for v in vs.as_array().into_iter().flatten() {
                headers.push((k.clone(), scalar(v)));
            }
        }
    }
    if let Some(cookies) = value["cookies"].as_array() {
        for c in cookies {
            headers.push(("set-cookie".into(), scalar(c)));
        }
    }
    let text = match &value["body"] {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let body = if value["isBase64Encoded"] == json!(true) {
        match base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
            Ok(b) => b,
            Err(_) => return HttpResponse::internal(),
        }
    } else {
        text.into_bytes()
    };
    if version == "2.0"
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type".into(), "application/json".into()));
    }
    HttpResponse {
        status: status as u16,
        headers,
        body,
    }
}

/// A header value as text.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
