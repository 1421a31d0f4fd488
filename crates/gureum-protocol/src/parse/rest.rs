//! The HTTP bindings shared by rest-json and rest-xml.
//!
//! A member's `location` says where it travels:
//!
//! | location | where | notes |
//! |---|---|---|
//! | `uri` | a URI label | decoded once by the router; timestamps ISO 8601 |
//! | `querystring` | `?name=v` | lists repeat the key; a map takes every key no other member claims |
//! | `header` | one header | timestamps HTTP-date; lists comma-separated; `jsonvalue` is base64 JSON |
//! | `headers` | every header with a prefix | a map (`x-amz-meta-` → key) |
//! | `statusCode` | — | output only |
//! | (none) | the body | JSON object / XML element, unless a `payload` member takes it |
//!
//! When the input names a `payload` member, the body is that member alone:
//! a structure (JSON/XML), a blob (the raw bytes, base64 in the value;
//! streaming blobs are left to the service), a string (the text) or a
//! document (JSON).

use super::common::{
    check_depth, encode_base64, form_pairs, normalize_base64, scalar_from_text, target, wire_name,
    TsFormat,
};
use super::{json, xml, xml_read, ResolvedOperation};
use crate::{ParseError, Request, Value};
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType};
use serde_json::Map;

/// Which body format the protocol uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFormat {
    /// rest-json.
    Json,
    /// rest-xml.
    Xml,
}

/// Reads the whole input of a rest request.
pub(crate) fn parse(
    model: &ServiceModel,
    resolved: &ResolvedOperation<'_>,
    request: &Request<'_>,
    format: BodyFormat,
) -> Result<Value, ParseError> {
    let Some(input) = resolved.operation.input.as_ref() else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = target(model, input)?;
    let pairs = form_pairs(request.query);
    let mut out = Map::new();
    // A member's target shape is looked up only once its value is known to
    // be present: most of a wide input (PutObject's ~40 headers) is absent.
    // Presence is checked against the request's own few header names
    // (lower-case already): looking up each member's name in the header map
    // would parse and hash all ~40 of them.
    let header_names: Vec<&str> = request.headers.keys().map(|k| k.as_str()).collect();
    let has_header = |wn: &str| header_names.iter().any(|h| h.eq_ignore_ascii_case(wn));
    for (name, r) in &shape.members {
        let wn = wire_name(r, name);
        let value = match r.location.as_deref() {
            Some("uri") => match resolved.labels.iter().find(|(l, _)| l == wn || l == name) {
                Some((_, v)) => Some(scalar_from_text(
                    target(model, r)?,
                    Some(r),
                    TsFormat::Iso8601,
                    v,
                )?),
                None => None,
            },
            Some("querystring") if !pairs.is_empty() => {
                query_member(model, r, target(model, r)?, wn, &pairs)?
            }
            Some("header") if has_header(wn) => {
                header_member(model, r, target(model, r)?, wn, request)?
            }
            Some("headers") => prefix_headers(model, target(model, r)?, wn, request)?,
            _ => None,
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    match shape.payload.as_deref() {
        Some(p) => {
            if let Some(r) = shape.members.get(p) {
                if let Some(v) = payload_member(model, r, request.body, format)? {
                    out.insert(p.to_string(), v);
                }
            }
        }
        None => {
            let in_body = |r: &MemberRef| r.location.is_none();
            if shape.members.values().any(in_body) {
                let members = match format {
                    BodyFormat::Json => match json::parse_document(request.body)? {
                        Value::Object(o) => json::read_members(model, shape, &o, in_body, 0)?,
                        Value::Null => Map::new(),
                        _ => {
                            return Err(ParseError::Malformed(
                                "the body must be a JSON object".into(),
                            ))
                        }
                    },
                    BodyFormat::Xml => match xml_read::parse(request.body)? {
                        Some(root) => xml::read_members(model, shape, &root, in_body, 0)?,
                        None => Map::new(),
                    },
                };
                out.extend(members);
            }
        }
    }
    Ok(Value::Object(out))
}

fn payload_member(
    model: &ServiceModel,
    r: &MemberRef,
    body: &[u8],
    format: BodyFormat,
) -> Result<Option<Value>, ParseError> {
    let t = target(model, r)?;
    if body.is_empty() {
        return Ok(None);
    }
    match t.kind {
        // Streaming bodies (S3 objects) are read by the service itself.
        ShapeType::Blob if t.streaming || r.streaming => Ok(None),
        ShapeType::Blob => Ok(Some(Value::from(encode_base64(body)))),
        ShapeType::String => match std::str::from_utf8(body) {
            Ok(s) => Ok(Some(Value::from(s))),
            Err(_) => Err(ParseError::Malformed("the body is not UTF-8 text".into())),
        },
        _ => match format {
            BodyFormat::Json => {
                let doc = json::parse_document(body)?;
                json::read_value(model, Some(r), t, &doc, 0)
            }
            BodyFormat::Xml => match xml_read::parse(body)? {
                Some(root) => xml::read_value(model, Some(r), t, &root, 0),
                None => Ok(None),
            },
        },
    }
}

fn query_member(
    model: &ServiceModel,
    r: &MemberRef,
    t: &Shape,
    wn: &str,
    pairs: &[(String, String)],
) -> Result<Option<Value>, ParseError> {
    match t.kind {
        ShapeType::Map => {
            let vr = t
                .value
                .as_deref()
                .ok_or_else(|| ParseError::Malformed("map shape without value".into()))?;
            let vt = target(model, vr)?;
            let mut out = Map::new();
            // A query map takes every parameter, named members' included
            // (Smithy's `httpQueryParams` on the server side).
            for (k, v) in pairs {
                if vt.kind == ShapeType::List {
                    let mt = list_member(model, vt)?;
                    let item = scalar_from_text(mt.1, Some(mt.0), TsFormat::Iso8601, v)?;
                    let slot = out
                        .entry(k.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = slot {
                        a.push(item);
                    }
                } else if !out.contains_key(k) {
                    out.insert(
                        k.clone(),
                        scalar_from_text(vt, Some(vr), TsFormat::Iso8601, v)?,
                    );
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        ShapeType::List => {
            let (mr, mt) = list_member(model, t)?;
            let items = pairs
                .iter()
                .filter(|(k, _)| k == wn)
                .map(|(_, v)| scalar_from_text(mt, Some(mr), TsFormat::Iso8601, v))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        _ => match pairs.iter().find(|(k, _)| k == wn) {
            Some((_, v)) => scalar_from_text(t, Some(r), TsFormat::Iso8601, v).map(Some),
            None => Ok(None),
        },
    }
}

fn list_member<'m>(
    model: &'m ServiceModel,
    list: &'m Shape,
) -> Result<(&'m MemberRef, &'m Shape), ParseError> {
    let mr = list
        .member
        .as_deref()
        .ok_or_else(|| ParseError::Malformed("list shape without member".into()))?;
    Ok((mr, target(model, mr)?))
}

/// The value of header `name` (all its lines joined with `,`), if sent.
fn header_text(request: &Request<'_>, name: &str) -> Option<String> {
    let mut values = request.headers.get_all(name).iter();
    let mut text = String::from_utf8_lossy(values.next()?.as_bytes()).into_owned();
    for v in values {
        text.push(',');
        text.push_str(&String::from_utf8_lossy(v.as_bytes()));
    }
    Some(text)
}

fn header_member(
    model: &ServiceModel,
    r: &MemberRef,
    t: &Shape,
    name: &str,
    request: &Request<'_>,
) -> Result<Option<Value>, ParseError> {
    let Some(text) = header_text(request, name) else {
        return Ok(None);
    };
    match t.kind {
        ShapeType::List => {
            let (mr, mt) = list_member(model, t)?;
            let is_http_date = mt.kind == ShapeType::Timestamp
                && super::common::ts_format(Some(mr), mt, TsFormat::HttpDate) == TsFormat::HttpDate;
            let items = if is_http_date {
                split_http_dates(&text)
            } else {
                split_header_list(&text)
            };
            if items.is_empty() {
                return Ok(None);
            }
            let values = items
                .iter()
                .map(|i| header_scalar(mr, mt, i))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(Value::Array(values)))
        }
        _ => header_scalar(r, t, &text).map(Some),
    }
}

fn header_scalar(r: &MemberRef, t: &Shape, text: &str) -> Result<Value, ParseError> {
    match t.kind {
        ShapeType::String if r.jsonvalue || t.jsonvalue => {
            let bytes = super::common::decode_base64(text.trim())?;
            String::from_utf8(bytes)
                .map(Value::from)
                .map_err(|_| ParseError::Malformed("a JSON header is not UTF-8".into()))
        }
        ShapeType::String => Ok(Value::from(text.trim())),
        ShapeType::Blob => normalize_base64(text.trim()),
        _ => scalar_from_text(t, Some(r), TsFormat::HttpDate, text.trim()),
    }
}

/// Splits a list header: items separated by commas, where a quoted item
/// (`"b,c"`) may contain commas and `\"` escapes.
pub(crate) fn split_header_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut item = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            item.push(n);
                        }
                    }
                    '"' => break,
                    c => item.push(c),
                }
            }
            // Skip to the next separator.
            for c in chars.by_ref() {
                if c == ',' {
                    break;
                }
            }
            items.push(item);
        } else {
            let mut ended = true;
            for c in chars.by_ref() {
                if c == ',' {
                    ended = false;
                    break;
                }
                item.push(c);
            }
            let trimmed = item.trim().to_string();
            if !(ended && trimmed.is_empty() && items.is_empty()) {
                items.push(trimmed);
            }
            if ended {
                break;
            }
            continue;
        }
        if chars.peek().is_none() {
            break;
        }
    }
    items
}

/// Splits a header holding HTTP dates, which contain commas themselves
/// (`Mon, 16 Dec 2019 23:48:18 GMT, Tue, …`): split after each `GMT`.
fn split_http_dates(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find("GMT") {
        let (item, tail) = rest.split_at(pos + 3);
        items.push(item.trim().trim_start_matches(',').trim().to_string());
        rest = tail;
    }
    let tail = rest.trim().trim_start_matches(',').trim();
    if !tail.is_empty() {
        // Not HTTP dates after all (epoch or ISO values): plain commas.
        items.extend(split_header_list(tail));
    }
    items
}

fn prefix_headers(
    model: &ServiceModel,
    t: &Shape,
    prefix: &str,
    request: &Request<'_>,
) -> Result<Option<Value>, ParseError> {
    check_depth(0)?;
    let vt = match t.value.as_deref() {
        Some(vr) => Some((vr, target(model, vr)?)),
        None => None,
    };
    let prefix = prefix.to_ascii_lowercase();
    let mut out = Map::new();
    for (name, value) in request.headers {
        let Some(key) = name.as_str().strip_prefix(prefix.as_str()) else {
            continue;
        };
        // Metadata is kept byte for byte: a value that is not UTF-8 is
        // refused, not altered.
        let text = std::str::from_utf8(value.as_bytes()).map_err(|_| {
            ParseError::Malformed(format!("The value of header '{name}' is not valid UTF-8"))
        })?;
        let v = match vt {
            Some((vr, vt)) => header_scalar(vr, vt, text)?,
            None => Value::from(text.trim()),
        };
        out.insert(key.to_string(), v);
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_list_with_quotes_and_commas() {
        assert_eq!(
            split_header_list(r#"a, "b,c", "\"quoted\"""#),
            vec!["a", "b,c", "\"quoted\""]
        );
        assert_eq!(split_header_list(""), Vec::<String>::new());
        assert_eq!(split_header_list("a,b"), vec!["a", "b"]);
    }

    #[test]
    fn http_date_list_splits_after_gmt() {
        assert_eq!(
            split_http_dates("Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT"),
            vec![
                "Mon, 16 Dec 2019 23:48:18 GMT",
                "Tue, 17 Dec 2019 23:48:18 GMT"
            ]
        );
    }
}
