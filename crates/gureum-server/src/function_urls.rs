//! Lambda function URLs on the main port: by host
//! (`URL_ID.lambda-url.REGION.localhost:PORT`, or `…on.aws`) and by path
//! (`/_aws/lambda-url/URL_ID/PATH`). The request becomes AWS's payload
//! format 2.0 event and the function's answer becomes the HTTP response
//! (`statusCode`/`headers`/`cookies`/`body`/`isBase64Encoded`, or any
//! other JSON as a 200 `application/json` body).
//!
//! `AuthType` `NONE` needs the function policy to let `*` call
//! `lambda:InvokeFunctionUrl` (else 403 `{"Message":"Forbidden"}`);
//! `AWS_IAM` needs a valid SigV4 signature and an identity policy allowing
//! `lambda:InvokeFunctionUrl` on the function. CORS preflights are
//! answered from the URL's `Cors` without invoking. `RESPONSE_STREAM` URLs
//! stream the body ([`crate::function_url_stream`]).

use crate::authenticate::{authenticate, Checked, Unread};
use crate::pipeline::{AppState, Body};
use base64::Engine;
use bytes::Bytes;
use gureum_core::{AuthzTarget, Principal, RequestContext, Value};
use gureum_lambda::urls::UrlConfig;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use serde_json::json;
use std::net::SocketAddr;

/// The path prefix of path-style URLs.
pub(crate) const PATH_PREFIX: &str = "/_aws/lambda-url/";
/// The largest request body a URL takes (AWS: 6 MB, as `Invoke`).
const MAX_REQUEST: usize = 6 * 1024 * 1024;

/// The URL id and the function's path, when the request is for a URL.
pub(crate) fn target<'a>(host: &'a str, path: &'a str) -> Option<(&'a str, &'a str)> {
    if let Some(rest) = path.strip_prefix(PATH_PREFIX) {
        let (id, tail) = rest.split_once('/').map_or((rest, ""), |(i, t)| (i, t));
        let tail_start = path.len() - tail.len();
        // Keep the leading `/` of the function's path.
        let fn_path = if tail.is_empty() {
            "/"
        } else {
            &path[tail_start - 1..]
        };
        return (!id.is_empty()).then_some((id, fn_path));
    }
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let (id, rest) = name.split_once('.')?;
    (rest.starts_with("lambda-url.") && !id.is_empty()).then_some((id, path))
}

/// A JSON `{"Message": text}` answer with `status`.
pub(crate) fn message(status: u16, text: &str) -> WireResponse {
    WireResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: json!({"Message": text}).to_string().into_bytes().into(),
    }
}

fn forbidden() -> WireResponse {
    message(403, "Forbidden")
}

/// Serves one request to the function URL `url_id`.
pub(crate) async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    url_id: &str,
    fn_path: &str,
    stream_out: &mut Option<gureum_core::ResponseBody>,
) -> WireResponse {
    let lambda = state.registry.lambda.clone();
    let Some(url) = lambda.function_url(url_id) else {
        return forbidden();
    };
    // The body's share of the memory budget is held until the answer.
    let (body, _held) = match body {
        Body::Bytes(b) => (b, None),
        Body::Incoming(i) => match crate::body::collect(i, MAX_REQUEST, &state.body_budget).await {
            Ok((b, permit)) => (b, Some(permit)),
            Err(_) => return message(413, "Request must be smaller than 6291456 bytes"),
        },
    };
    let origin = header(parts, "origin");
    if parts.method == http::Method::OPTIONS && !url.cors().is_null() {
        let mut r = WireResponse {
            status: 200,
            headers: Vec::new(),
            body: Bytes::new(),
        };
        cors_headers(&url, origin.as_deref(), true, &mut r.headers);
        return r;
    }
    let caller = match url.auth_type() {
        "NONE" => {
            if !lambda.url_is_public(&url) {
                return forbidden();
            }
            None
        }
        _ => match iam_caller(state, parts, &body, &url, remote) {
            Ok(c) => Some(c),
            Err(r) => return r,
        },
    };
    let event = event(parts, &body, &url, fn_path, remote, caller.as_ref());
    if url.streams() {
        let bytes = event.to_string().into_bytes();
        let mut response =
            crate::function_url_stream::respond(lambda, url.clone(), bytes, stream_out).await;
        cors_headers(&url, origin.as_deref(), false, &mut response.headers);
        return response;
    }
    let invoked = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || lambda.invoke_url(&url, event.to_string().into_bytes()))
            .await
    };
    let mut response = match invoked {
        Ok(Ok(o)) if o.function_error.is_none() => response(&o.payload),
        _ => message(502, "Internal Server Error"),
    };
    cors_headers(&url, origin.as_deref(), false, &mut response.headers);
    response
}

fn header(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The `AWS_IAM` caller: a verified signature whose identity may
/// `lambda:InvokeFunctionUrl` the function.
fn iam_caller(
    state: &AppState,
    parts: &Parts,
    body: &Bytes,
    url: &UrlConfig,
    remote: SocketAddr,
) -> Result<RequestContext, WireResponse> {
    let now = state.clock.now_millis();
    let (principal, access_key_id, session, _) = match authenticate(
        state,
        parts,
        parts.uri.path(),
        Unread::Bytes(body.clone()),
        gureum_model::Protocol::RestJson,
        "lambda",
        now,
    ) {
        Ok((p, k, s, Checked::Bytes(b))) => (p, k, s, b),
        Ok((p, k, s, Checked::Stream(_))) => (p, k, s, Bytes::new()),
        Err(e) => return Err(message(403, &e.message)),
    };
    if matches!(principal, Principal::Anonymous) {
        return Err(forbidden());
    }
    let ctx = RequestContext {
        account_id: principal
            .account_id()
            .unwrap_or(gureum_core::DEFAULT_ACCOUNT_ID)
            .to_string(),
        region: url.region.clone(),
        principal,
        access_key_id,
        session,
        request_id: gureum_core::id::request_id(),
        clock: state.clock.clone(),
        secure_transport: false,
        source_ip: Some(remote.ip()),
        host: None,
    };
    let base = url
        .function_arn()
        .split(':')
        .take(7)
        .collect::<Vec<_>>()
        .join(":");
    if gureum_authz::Authorizer::applies_to(&ctx) {
        let target = AuthzTarget::new("lambda:InvokeFunctionUrl", base);
        if state
            .registry
            .authorizer
            .authorize(&ctx, &[target])
            .is_err()
        {
            return Err(forbidden());
        }
    } else if ctx.account_id != url.account {
        return Err(forbidden());
    }
    Ok(ctx)
}

/// AWS's payload format 2.0 event for the request.
fn event(
    parts: &Parts,
    body: &Bytes,
    url: &UrlConfig,
    fn_path: &str,
    remote: SocketAddr,
    caller: Option<&RequestContext>,
) -> Value {
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).to_string();
        if name == http::header::COOKIE {
            cookies.extend(v.split(';').map(|c| c.trim().to_string()));
            continue;
        }
        match headers.get_mut(name.as_str()) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&v);
            }
            _ => {
                headers.insert(name.as_str().to_string(), json!(v));
            }
        }
    }
    let raw_query = parts.uri.query().unwrap_or("");
    let mut query = serde_json::Map::new();
    for (k, v) in url_form(raw_query) {
        match query.get_mut(&k) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(&v);
            }
            _ => {
                query.insert(k, json!(v));
            }
        }
    }
    let text = std::str::from_utf8(body).ok();
    let content_type = header(parts, "content-type").unwrap_or_default();
    let textual = text.is_some()
        && (content_type.is_empty()
            || content_type.starts_with("text/")
            || content_type.contains("json")
            || content_type.contains("xml")
            || content_type.contains("x-www-form-urlencoded"));
    let now = gureum_core::Clock::system().now_millis();
    let domain = header(parts, "host").unwrap_or_default();
    let mut context = json!({
        "accountId": caller.map_or("anonymous".to_string(), |c| c.account_id.clone()),
        "apiId": url.url_id(),
        "domainName": domain,
        "domainPrefix": url.url_id(),
        "http": {
            "method": parts.method.as_str(),
            "path": fn_path,
            "protocol": "HTTP/1.1",
            "sourceIp": remote.ip().to_string(),
            "userAgent": header(parts, "user-agent").unwrap_or_default(),
        },
        "requestId": gureum_core::id::uuid_v4(),
        "routeKey": "$default",
        "stage": "$default",
        "time": clf_time(now),
        "timeEpoch": now,
    });
    if let Some(c) = caller {
        context["authorizer"] = json!({"iam": {
            "accessKey": c.access_key_id,
            "accountId": c.account_id,
            "callerId": c.principal.arn(),
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": c.principal.arn(),
            "userId": c.principal.arn(),
        }});
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": fn_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !body.is_empty() {
        if textual {
            event["body"] = json!(text.unwrap_or_default());
        } else {
            event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
            event["isBase64Encoded"] = json!(true);
        }
    }
    event
}

/// A query string's pairs, percent-decoded.
fn url_form(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .to_string()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `07/Dec/2026:18:00:00 +0000`, as `requestContext.time` is written.
fn clf_time(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = gureum_core::timestamp::format_iso8601(ms);
    // 2026-12-07T18:00:00.000Z
    let month = iso[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12);
    format!(
        "{}/{}/{}:{} +0000",
        &iso[8..10],
        MONTHS[month - 1],
        &iso[0..4],
        &iso[11..19]
    )
}

/// The HTTP response for the function's answer.
pub(crate) fn response(payload: &[u8]) -> WireResponse {
    let parsed: Option<Value> = serde_json::from_slice(payload).ok();
    let Some(Value::Object(answer)) = parsed.as_ref().filter(|v| v.get("statusCode").is_some())
    else {
        // Any other answer is the body of a 200 JSON response.
        return WireResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::copy_from_slice(payload),
        };
    };
    let status = answer["statusCode"]
        .as_u64()
        .filter(|s| (100..600).contains(s))
        .unwrap_or(200) as u16;
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(h) = answer.get("headers").and_then(Value::as_object) {
        for (k, v) in h {
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            headers.push((k.clone(), v));
        }
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    if let Some(c) = answer.get("cookies").and_then(Value::as_array) {
        for cookie in c.iter().filter_map(Value::as_str) {
            headers.push(("Set-Cookie".into(), cookie.to_string()));
        }
    }
    let body = match answer.get("body") {
        Some(Value::String(s)) if answer.get("isBase64Encoded") == Some(&json!(true)) => {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .unwrap_or_default()
        }
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => other.to_string().into_bytes(),
    };
    WireResponse {
        status,
        headers,
        body: body.into(),
    }
}

/// The URL's CORS headers for `origin` (preflight: the allowed methods,
/// headers and max age too).
fn cors_headers(
    url: &UrlConfig,
    origin: Option<&str>,
    preflight: bool,
    out: &mut Vec<(String, String)>,
) {
    let cors = url.cors();
    let (Some(origin), false) = (origin, cors.is_null()) else {
        return;
    };
    let list = |k: &str| -> Vec<String> {
        cors[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let origins = list("AllowOrigins");
    let allowed = if origins.iter().any(|o| o == "*") {
        "*"
    } else if origins.iter().any(|o| o == origin) {
        origin
    } else {
        return;
    };
    out.push(("Access-Control-Allow-Origin".into(), allowed.into()));
    if cors["AllowCredentials"] == true {
        out.push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    let expose = list("ExposeHeaders");
    if !expose.is_empty() {
        out.push(("Access-Control-Expose-Headers".into(), expose.join(",")));
    }
    if preflight {
        let methods = list("AllowMethods");
        if !methods.is_empty() {
            out.push(("Access-Control-Allow-Methods".into(), methods.join(",")));
        }
        let headers = list("AllowHeaders");
        if !headers.is_empty() {
            out.push(("Access-Control-Allow-Headers".into(), headers.join(",")));
        }
        if let Some(age) = cors["MaxAge"].as_i64() {
            out.push(("Access-Control-Max-Age".into(), age.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_by_host_and_by_path() {
        assert_eq!(
            target("abc123.lambda-url.us-east-1.localhost:4566", "/x/y"),
            Some(("abc123", "/x/y"))
        );
        assert_eq!(
            target("127.0.0.1:4566", "/_aws/lambda-url/abc123/x/y"),
            Some(("abc123", "/x/y"))
        );
        assert_eq!(
            target("127.0.0.1:4566", "/_aws/lambda-url/abc123"),
            Some(("abc123", "/"))
        );
        assert_eq!(target("127.0.0.1:4566", "/2015-03-31/functions"), None);
        assert_eq!(target("bucket.s3.localhost", "/"), None);
    }

    #[test]
    fn an_answer_without_status_code_is_a_json_200() {
        let r = response(br#"{"hello": "world"}"#);
        assert_eq!(r.status, 200);
        assert_eq!(&r.body[..], br#"{"hello": "world"}"#);
        let r = response(
            br#"{"statusCode": 201, "headers": {"x-a": "b"}, "body": "aGk=", "isBase64Encoded": true, "cookies": ["c=1"]}"#,
        );
        assert_eq!(r.status, 201);
        assert_eq!(&r.body[..], b"hi");
        assert!(r.headers.contains(&("x-a".into(), "b".into())));
        assert!(r.headers.contains(&("Set-Cookie".into(), "c=1".into())));
    }

    #[test]
    fn request_time_is_written_in_common_log_format() {
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
    }
}
