//! Which route serves a request, by AWS's rules.
//!
//! HTTP APIs: a full match of method and path wins over a match through a
//! greedy `{proxy+}` variable, which wins over `$default`; among full
//! matches, literal segments beat `{variables}` (left to right), and a
//! named method beats `ANY`. WebSocket APIs: the route selection
//! expression (`$request.body.action`) names the route key, else
//! `$default`.

use crate::ApiRecord;
use gureum_core::Value;
use std::collections::BTreeMap;

/// The route a request matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Matched {
    /// The route (`Route` shape).
    pub route: Value,
    /// Its key (`GET /items/{id}`, `$default`).
    pub route_key: String,
    /// `{name}` → the (percent-decoded) segment it matched.
    pub path_parameters: BTreeMap<String, String>,
}

/// How well a route matched: compared field by field, larger wins.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    /// Not through a greedy variable.
    full: bool,
    /// Per segment, whether it matched literally.
    literals: Vec<bool>,
    /// A named method rather than `ANY`.
    exact_method: bool,
}

/// The HTTP route for `method` and `path` (without the stage), or `None`
/// when none matches and there is no `$default` route.
pub fn match_http(record: &ApiRecord, method: &str, path: &str) -> Option<Matched> {
    let mut best: Option<(Rank, Matched)> = None;
    for route in record.routes.values() {
        let key = route["RouteKey"].as_str().unwrap_or_default();
        let Some((route_method, route_path)) = key.split_once(' ') else {
            continue;
        };
        if route_method != "ANY" && route_method != method {
            continue;
        }
        let Some((full, literals, params)) = match_path(route_path, path) else {
            continue;
        };
        let rank = Rank {
            full,
            literals,
            exact_method: route_method != "ANY",
        };
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((
                rank,
                Matched {
                    route: route.clone(),
                    route_key: key.to_string(),
                    path_parameters: params,
                },
            ));
        }
    }
    best.map(|(_, m)| m).or_else(|| by_key(record, "$default"))
}

/// The route with key `key`.
pub fn by_key(record: &ApiRecord, key: &str) -> Option<Matched> {
    record
        .routes
        .values()
        .find(|r| r["RouteKey"].as_str() == Some(key))
        .map(|r| Matched {
            route: r.clone(),
            route_key: key.to_string(),
            path_parameters: BTreeMap::new(),
        })
}

/// The WebSocket route for a message: the key the selection expression
/// gives (`$request.body.action` and other `$request.body.` paths), or
/// `$default`.
pub fn match_websocket(record: &ApiRecord, message: &str) -> Option<Matched> {
    let expression = record
        .api
        .get("RouteSelectionExpression")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let selected = expression
        .trim_start_matches("${")
        .trim_start_matches('$')
        .trim_end_matches('}')
        .strip_prefix("request.body.")
        .and_then(|path| {
            let body: Value = serde_json::from_str(message).ok()?;
            let mut v = &body;
            for part in path.split('.') {
                v = v.get(part)?;
            }
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            }
        });
    selected
        .and_then(|key| by_key(record, &key))
        .or_else(|| by_key(record, "$default"))
}

/// Matches a route path against a request path: whether it matched
/// without a greedy variable, which segments matched literally, and the
/// path parameters.
fn match_path(route_path: &str, path: &str) -> Option<(bool, Vec<bool>, BTreeMap<String, String>)> {
    let want: Vec<&str> = segments(route_path);
    let got: Vec<&str> = segments(path);
    let mut params = BTreeMap::new();
    let mut literals = Vec::new();
    for (i, w) in want.iter().enumerate() {
        if let Some(name) = w.strip_prefix('{').and_then(|r| r.strip_suffix("+}")) {
            if got.len() <= i {
                return None;
            }
            let rest = got[i..].join("/");
            params.insert(name.to_string(), decode(&rest));
            return Some((false, literals, params));
        }
        let g = got.get(i)?;
        match w.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            Some(name) if !g.is_empty() => {
                params.insert(name.to_string(), decode(g));
                literals.push(false);
            }
            Some(_) => return None,
            None if w == g => literals.push(true),
            None => return None,
        }
    }
    (want.len() == got.len()).then_some((true, literals, params))
}

/// A path's segments (`/` has none).
fn segments(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

/// Percent-decoding of one path piece.
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}
