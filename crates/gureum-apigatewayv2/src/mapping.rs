//! HTTP APIs' parameter mapping: an integration's `RequestParameters`
//! (`append:`/`overwrite:`/`remove:` of `header.NAME` or
//! `querystring.NAME`, and `overwrite:path`) change the request an
//! `HTTP_PROXY` integration forwards. Values are static text with
//! `$request.header.X`, `$request.querystring.X`, `$request.path.X`,
//! `$request.path`, `$stageVariables.X` and `$context.requestId`/`stage`/
//! `apiId`/`routeKey` in them (bare or as `${…}`).

use crate::events::{header, HttpRequest, Served};
use gureum_core::Value;

/// The request an `HTTP_PROXY` integration sends, as mapping edits it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Forwarded {
    /// The path appended to the integration URI's (`overwrite:path`).
    pub path: Option<String>,
    /// Query pairs, decoded.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
}

/// One `$…` variable's value.
fn variable(name: &str, request: &HttpRequest, served: &Served, path: &str) -> String {
    let query = |q: &str| {
        request
            .query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == q)
            .map(|(_, v)| v.to_string())
    };
    let found = if let Some(h) = name.strip_prefix("request.header.") {
        header(request, h).map(String::from)
    } else if let Some(q) = name.strip_prefix("request.querystring.") {
        query(q)
    } else if let Some(p) = name.strip_prefix("request.path.") {
        served.path_parameters.get(p).cloned()
    } else if name == "request.path" {
        Some(path.to_string())
    } else if let Some(v) = name.strip_prefix("stageVariables.") {
        served.stage_variables.get(v).cloned()
    } else {
        match name {
            "context.requestId" => Some(served.request_id.clone()),
            "context.stage" => Some(served.stage.clone()),
            "context.apiId" => Some(served.api_id.clone()),
            "context.routeKey" => Some(served.route_key.clone()),
            "context.httpMethod" => Some(request.method.clone()),
            "context.identity.sourceIp" => Some(request.source_ip.clone()),
            _ => None,
        }
    };
    found.unwrap_or_default()
}

/// A mapping value with its variables filled in.
pub fn resolve(value: &str, request: &HttpRequest, served: &Served, path: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => {
                    out.push_str(&variable(&inner[..end], request, served, path));
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                .unwrap_or(after.len());
            out.push_str(&variable(&after[..end], request, served, path));
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Applies `parameters` (the integration's `RequestParameters`) to what
/// is forwarded.
pub fn apply(
    parameters: Option<&Value>,
    forwarded: &mut Forwarded,
    request: &HttpRequest,
    served: &Served,
    path: &str,
) {
    let Some(map) = parameters.and_then(Value::as_object) else {
        return;
    };
    for (key, value) in map {
        let Some((action, target)) = key.split_once(':') else {
            continue;
        };
        let value = resolve(value.as_str().unwrap_or_default(), request, served, path);
        if target == "path" {
            if action == "overwrite" {
                forwarded.path = Some(value);
            }
            continue;
        }
        let (list, name) = if let Some(h) = target.strip_prefix("header.") {
            (&mut forwarded.headers, h)
        } else if let Some(q) = target.strip_prefix("querystring.") {
            (&mut forwarded.query, q)
        } else {
            continue;
        };
        let same = |k: &String| k.eq_ignore_ascii_case(name);
        match action {
            "append" => list.push((name.to_string(), value)),
            "overwrite" => {
                list.retain(|(k, _)| !same(k));
                list.push((name.to_string(), value));
            }
            "remove" => list.retain(|(k, _)| !same(k)),
            _ => {}
        }
    }
}

/// Applies an integration's `ResponseParameters` for the answer's status
/// (`{"404": {"overwrite:statuscode": "204", "append:header.x": "…"}}`):
/// headers are appended, overwritten or removed, the status replaced.
/// Values may name `$response.header.X` and `$context.…` variables.
pub fn apply_response(
    parameters: Option<&Value>,
    response: &mut crate::events::HttpResponse,
    request: &HttpRequest,
    served: &Served,
    path: &str,
) {
    let Some(map) = parameters
        .and_then(|p| p.get(response.status.to_string()))
        .and_then(Value::as_object)
    else {
        return;
    };
    let answered = response.headers.clone();
    for (key, value) in map {
        let Some((action, target)) = key.split_once(':') else {
            continue;
        };
        let raw = value.as_str().unwrap_or_default();
        // `$response.header.X` reads the integration's answer.
        let raw = answered.iter().fold(raw.to_string(), |text, (k, v)| {
            text.replace(&format!("${{response.header.{k}}}"), v)
                .replace(&format!("$response.header.{k}"), v)
        });
        let value = resolve(&raw, request, served, path);
        if target == "statuscode" {
            if let Ok(status) = value.trim().parse::<u16>() {
                if (100..600).contains(&status) {
                    response.status = status;
                }
            }
            continue;
        }
        let Some(name) = target.strip_prefix("header.") else {
            continue;
        };
        let same = |k: &String| k.eq_ignore_ascii_case(name);
        match action {
            "append" => response.headers.push((name.to_string(), value)),
            "overwrite" => {
                response.headers.retain(|(k, _)| !same(k));
                response.headers.push((name.to_string(), value));
            }
            "remove" => response.headers.retain(|(k, _)| !same(k)),
            _ => {}
        }
    }
}
