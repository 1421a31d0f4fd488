//! The smithy-rpc-v2-cbor protocol's responses.
//!
//! The body is the output structure as a CBOR map (RFC 8949) keyed by
//! member name; every response says `smithy-protocol: rpc-v2-cbor` and, when
//! it has a body, `Content-Type: application/cbor`. An operation without
//! output sends no body. Timestamps are tag 1 around epoch seconds (an
//! integer when whole, else a float64), blobs are byte strings, `float`
//! members float32 and `double` members float64 (NaN/±Infinity included).
//! Errors are a map with `__type` (the shape name), the message and the
//! fields.
//!
//! The encoder writes bytes directly; maps use definite lengths, counted
//! before they are written (nulls and absent members are skipped).

use super::errors::ErrorInfo;
use super::{blob_bytes, in_body, request_id_headers, target, ts_millis};
use crate::{Response, Value};
use gureum_core::AwsError;
use gureum_model::{MemberRef, OperationModel, ServiceModel, Shape, ShapeType};

/// An rpc-v2-cbor success response.
pub fn output(
    model: &ServiceModel,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    let mut headers = Vec::with_capacity(3);
    headers.push(("smithy-protocol".to_string(), "rpc-v2-cbor".to_string()));
    let mut body = Vec::new();
    if let Some(shape) = operation.output.as_ref().and_then(|r| target(model, r)) {
        body.reserve(128);
        write_struct(&mut body, model, shape, output);
        headers.push(("Content-Type".to_string(), "application/cbor".to_string()));
    }
    request_id_headers(model, request_id, &mut headers);
    Response {
        status: 200,
        headers,
        body: body.into(),
    }
}

/// An rpc-v2-cbor error response.
pub fn error(model: &ServiceModel, error: &AwsError, request_id: &str) -> Response {
    let info = ErrorInfo::resolve(model, error);
    let query_compatible = model.metadata.aws_query_compatible.is_some();
    let mut headers = Vec::with_capacity(4);
    headers.push(("smithy-protocol".to_string(), "rpc-v2-cbor".to_string()));
    headers.push(("Content-Type".to_string(), "application/cbor".to_string()));
    if query_compatible {
        headers.push((
            "x-amzn-query-error".to_string(),
            format!("{};{}", info.wire_code, info.fault_word()),
        ));
    }
    request_id_headers(model, request_id, &mut headers);

    let fields: Vec<(&str, Option<&MemberRef>, &Value)> = error
        .fields
        .iter()
        .filter(|(n, v)| !info.is_message_field(n) && !v.is_null())
        .map(|(n, v)| (n.as_str(), info.shape.and_then(|s| s.members.get(n)), v))
        .filter(|(_, r, _)| r.is_none_or(in_body))
        .collect();
    let with_message = !error.message.is_empty() || info.message_member.is_some();
    let mut body = Vec::with_capacity(64);
    head(&mut body, 5, 1 + with_message as u64 + fields.len() as u64);
    text(&mut body, "__type");
    text(&mut body, info.shape_name);
    if with_message {
        text(&mut body, info.message_member.unwrap_or("message"));
        text(&mut body, &error.message);
    }
    for (name, r, v) in fields {
        text(&mut body, name);
        match r {
            Some(r) => write_value(&mut body, model, r, v),
            None => write_raw(&mut body, v),
        }
    }
    Response {
        status: info.status(error, !query_compatible),
        headers,
        body: body.into(),
    }
}

/// A CBOR item head: major type and argument, in the shortest form.
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn text(out: &mut Vec<u8>, s: &str) {
    head(out, 3, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        head(out, 0, i as u64);
    } else {
        head(out, 1, (-1 - i) as u64);
    }
}

fn f64_item(out: &mut Vec<u8>, f: f64) {
    out.push(0xfb);
    out.extend_from_slice(&f.to_be_bytes());
}

fn f32_item(out: &mut Vec<u8>, f: f32) {
    out.push(0xfa);
    out.extend_from_slice(&f.to_be_bytes());
}

/// A float value: a number, or one of the strings `NaN`, `Infinity`, `-Infinity`.
fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

fn write_struct(out: &mut Vec<u8>, model: &ServiceModel, shape: &Shape, value: &Value) {
    let Some(obj) = value.as_object() else {
        head(out, 5, 0);
        return;
    };
    let present = |(name, r): &(&String, &MemberRef)| {
        in_body(r) && gureum_core::member::get(obj, name).is_some_and(|v| !v.is_null())
    };
    let count = shape.members.iter().filter(present).count();
    head(out, 5, count as u64);
    for (name, r) in shape.members.iter().filter(present) {
        text(out, name);
        if let Some(v) = gureum_core::member::get(obj, name) {
            write_value(out, model, r, v);
        }
    }
}

fn write_value(out: &mut Vec<u8>, model: &ServiceModel, r: &MemberRef, value: &Value) {
    let Some(shape) = target(model, r) else {
        write_raw(out, value);
        return;
    };
    match shape.kind {
        ShapeType::Structure if !shape.document => write_struct(out, model, shape, value),
        ShapeType::List => match (value.as_array(), shape.member.as_deref()) {
            (Some(items), Some(ir)) => {
                head(out, 4, items.len() as u64);
                for item in items {
                    if item.is_null() {
                        out.push(0xf6);
                    } else {
                        write_value(out, model, ir, item);
                    }
                }
            }
            _ => write_raw(out, value),
        },
        ShapeType::Map => match (value.as_object(), shape.value.as_deref()) {
            (Some(entries), Some(vr)) => {
                let count = entries.values().filter(|v| !v.is_null()).count();
                head(out, 5, count as u64);
                for (k, v) in entries.iter().filter(|(_, v)| !v.is_null()) {
                    text(out, k);
                    write_value(out, model, vr, v);
                }
            }
            _ => write_raw(out, value),
        },
        ShapeType::Timestamp => match ts_millis(value) {
            Some(millis) => {
                out.push(0xc1);
                if millis % 1000 == 0 {
                    int(out, millis / 1000);
                } else {
                    f64_item(out, millis as f64 / 1000.0);
                }
            }
            None => write_raw(out, value),
        },
        ShapeType::Blob => {
            let bytes = blob_bytes(value);
            head(out, 2, bytes.len() as u64);
            out.extend_from_slice(&bytes);
        }
        ShapeType::Float => match float_of(value) {
            Some(f) => f32_item(out, f as f32),
            None => write_raw(out, value),
        },
        ShapeType::Double | ShapeType::BigDecimal => match float_of(value) {
            Some(f) => f64_item(out, f),
            None => write_raw(out, value),
        },
        _ => write_raw(out, value),
    }
}

/// Writes a JSON value with the natural CBOR types (documents, undeclared
/// error fields, values whose type does not match their shape).
fn write_raw(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                int(out, i);
            } else if let Some(u) = n.as_u64() {
                head(out, 0, u);
            } else {
                f64_item(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => text(out, s),
        Value::Array(items) => {
            head(out, 4, items.len() as u64);
            for v in items {
                write_raw(out, v);
            }
        }
        Value::Object(obj) => {
            head(out, 5, obj.len() as u64);
            for (k, v) in obj {
                text(out, k);
                write_raw(out, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cbor_heads_use_the_shortest_form() {
        let mut out = Vec::new();
        head(&mut out, 0, 23);
        head(&mut out, 0, 24);
        head(&mut out, 1, 500);
        assert_eq!(out, [0x17, 0x18, 24, 0x39, 0x01, 0xf4]);
    }

    #[test]
    fn cbor_bodies_tag_timestamps_and_size_floats() {
        let m = ServiceModel::from_json(
            r#"{"metadata":{"protocol":"smithy-rpc-v2-cbor"},
            "operations":{"Op":{"name":"Op","output":{"shape":"Out"}}},
            "shapes":{"Out":{"type":"structure","members":{"t":{"shape":"T"},"f":{"shape":"F"}}},
              "T":{"type":"timestamp"},"F":{"type":"float"}}}"#,
        )
        .expect("model");
        let op = m.operation("Op").expect("op");
        let r = output(&m, op, &json!({"t": 1, "f": "NaN"}), "rid");
        assert_eq!(
            &r.body[..],
            [0xa2, 0x61, b't', 0xc1, 0x01, 0x61, b'f', 0xfa, 0x7f, 0xc0, 0, 0]
        );
        assert_eq!(r.header("smithy-protocol"), Some("rpc-v2-cbor"));
    }
}
