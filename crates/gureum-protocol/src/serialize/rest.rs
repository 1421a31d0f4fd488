//! The HTTP bindings rest-json and rest-xml share.
//!
//! A REST output structure spreads over the whole response:
//!
//! - `location: "statusCode"` — the member's value is the HTTP status
//!   (else the operation's `http.responseCode`, else 200);
//! - `location: "header"` — one header; lists are joined with `", "`
//!   (items holding a comma or quote are quoted), timestamps are HTTP dates
//!   unless `timestampFormat` says otherwise, `jsonvalue` strings are
//!   base64 of their text;
//! - `location: "headers"` — a map, one header per entry, named
//!   `<locationName prefix><key>`;
//! - `payload` on the structure — that member *is* the body: a blob or
//!   string raw, a structure/union/document in the protocol's format;
//! - everything else goes into the protocol's body document.
//!
//! `uri`/`querystring` members mean nothing in a response and are skipped.

use super::{format_ts, scalar_text, target, ts_format, ts_millis, TsFormat};
use crate::{Response, Value};
use gureum_model::{MemberRef, OperationModel, ServiceModel, Shape, ShapeType};

/// The response status: a `statusCode` member's value, else the
/// operation's `responseCode`, else 200.
pub fn status(operation: &OperationModel, shape: Option<&Shape>, value: &Value) -> u16 {
    let from_member = shape.and_then(|s| {
        let (name, _) = s
            .members
            .iter()
            .find(|(_, r)| r.location.as_deref() == Some("statusCode"))?;
        let code = value.get(name)?.as_u64()?;
        u16::try_from(code).ok().filter(|c| (100..=599).contains(c))
    });
    from_member.or(operation.http.response_code).unwrap_or(200)
}

/// Appends the headers bound by `header` and `headers` members.
pub fn write_headers(
    model: &ServiceModel,
    shape: &Shape,
    value: &Value,
    headers: &mut Vec<(String, String)>,
) {
    let Some(obj) = value.as_object() else { return };
    // The value holds a few of the shape's members (GetObject's output
    // shape has ~50): walk the value and look each member up, in the
    // value's order.
    for (name, v) in obj {
        let Some(r) = shape.members.get(name.as_str()) else {
            continue;
        };
        let Some(loc) = r.location.as_deref() else {
            continue;
        };
        match loc {
            "header" => {
                let Some(target_shape) = target(model, r) else {
                    continue;
                };
                if let Some(text) = header_value(model, r, target_shape, v) {
                    let header = r.location_name.as_deref().unwrap_or(name);
                    headers.push((header.to_string(), text));
                }
            }
            "headers" => {
                let prefix = r.location_name.as_deref().unwrap_or("");
                let Some(map) = v.as_object() else { continue };
                let value_ref = target(model, r).and_then(|s| s.value.as_deref());
                for (k, item) in map {
                    let text = match value_ref.and_then(|vr| Some((vr, target(model, vr)?))) {
                        Some((vr, vs)) => header_value(model, vr, vs, item),
                        None => scalar_text(item).map(|t| clean(&t)),
                    };
                    if let Some(text) = text {
                        headers.push((format!("{prefix}{k}"), text));
                    }
                }
            }
            _ => {}
        }
    }
}

/// One header's text for a value of `shape` (see the module docs).
pub fn header_value(
    model: &ServiceModel,
    r: &MemberRef,
    shape: &Shape,
    v: &Value,
) -> Option<String> {
    match shape.kind {
        ShapeType::List => {
            let item_ref = shape.member.as_deref()?;
            let item_shape = target(model, item_ref)?;
            let items = v.as_array()?;
            let mut out = String::new();
            for (i, item) in items.iter().enumerate() {
                let Some(text) = header_value(model, item_ref, item_shape, item) else {
                    continue;
                };
                if i > 0 {
                    out.push_str(", ");
                }
                let quote = item_shape.kind == ShapeType::String
                    && (text.contains(',') || text.contains('"'));
                if quote {
                    out.push('"');
                    out.push_str(&text.replace('\\', "\\\\").replace('"', "\\\""));
                    out.push('"');
                } else {
                    out.push_str(&text);
                }
            }
            Some(out)
        }
        ShapeType::Timestamp => {
            let millis = ts_millis(v)?;
            Some(format_ts(
                millis,
                ts_format(Some(r), shape, TsFormat::HttpDate),
            ))
        }
        ShapeType::String if r.jsonvalue || shape.jsonvalue => {
            use base64::Engine;
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some(base64::engine::general_purpose::STANDARD.encode(text.as_bytes()))
        }
        ShapeType::Structure | ShapeType::Map => None,
        _ => scalar_text(v).map(|t| clean(&t)),
    }
}

/// Header values cannot hold line breaks: they would end the header.
fn clean(text: &str) -> String {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        text.replace(['\r', '\n'], " ")
    } else {
        text.to_string()
    }
}

/// The payload member, when the structure binds one: its name, reference
/// and shape.
pub fn payload<'m>(
    model: &'m ServiceModel,
    shape: &'m Shape,
) -> Option<(&'m str, &'m MemberRef, &'m Shape)> {
    let name = shape.payload.as_deref()?;
    let (name, r) = shape.members.get_key_value(name)?;
    Some((name.as_str(), r, target(model, r)?))
}

/// A blob or string payload as raw bytes with its default content type;
/// `None` when the payload is a structure/union/document (the protocol
/// writes it).
pub fn raw_payload(shape: &Shape, value: Option<&Value>) -> Option<(Vec<u8>, &'static str)> {
    match shape.kind {
        ShapeType::Blob => Some((
            value.map(super::blob_bytes).unwrap_or_default(),
            "application/octet-stream",
        )),
        ShapeType::String => Some((
            value
                .and_then(scalar_text)
                .map(|t| t.as_bytes().to_vec())
                .unwrap_or_default(),
            "text/plain",
        )),
        _ => None,
    }
}

/// Whether a status or method forbids a body (HEAD, 1xx, 204, 304).
pub fn bodiless(method: &str, status: u16) -> bool {
    method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304
}

/// The last step of every rest response: no body where HTTP allows none
/// (HEAD, 204, 304), and the protocol's media type unless a payload member
/// already set one.
pub(crate) fn finish(
    method: &str,
    status: u16,
    mut headers: Vec<(String, String)>,
    mut body: Vec<u8>,
    content_type: Option<&str>,
) -> Response {
    if bodiless(method, status) {
        body.clear();
    }
    if let Some(ct) = content_type {
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".to_string(), ct.to_string()));
        }
    }
    Response {
        status,
        headers,
        body: body.into(),
    }
}
