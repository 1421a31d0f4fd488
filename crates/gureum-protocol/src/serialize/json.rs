//! JSON bodies (awsJson 1.0/1.1 and rest-json) and the awsJson envelope.
//!
//! The body is the output structure as a JSON object, keyed by each
//! member's `locationName` (else its name). Timestamps are epoch seconds
//! (numbers) unless `timestampFormat` says `iso8601`/`rfc822`, blobs are
//! base64 strings, special floats are the strings `"NaN"`, `"Infinity"`,
//! `"-Infinity"`, and documents are written as they are.
//!
//! awsJson errors are `{"__type": "<ShapeName>", "message": "…", …fields}`
//! with the same name in `X-Amzn-ErrorType`. Services marked
//! `awsQueryCompatible` (SQS, …) also send
//! `x-amzn-query-error: <QueryCode>;Sender|Receiver`, which SDKs use to
//! report the legacy query code; their status is 400/500 by fault, because
//! the model's `httpStatusCode` there is the query protocol's.

use super::errors::ErrorInfo;
use super::{in_body, push_epoch, request_id_headers, target, ts_format, ts_millis, TsFormat};
use crate::{Response, Value};
use gureum_core::AwsError;
use gureum_model::{MemberRef, OperationModel, Protocol, ServiceModel, Shape, ShapeType};
use std::fmt::Write;

/// An awsJson success response.
pub fn json_output(
    model: &ServiceModel,
    protocol: Protocol,
    operation: &OperationModel,
    output: &Value,
    request_id: &str,
) -> Response {
    let mut out = String::with_capacity(256);
    match operation.output.as_ref().and_then(|r| target(model, r)) {
        Some(shape) => write_struct(&mut out, model, shape, output),
        None => out.push_str("{}"),
    }
    let mut headers = Vec::with_capacity(2);
    headers.push((
        "Content-Type".to_string(),
        content_type(protocol).to_string(),
    ));
    request_id_headers(model, request_id, &mut headers);
    Response {
        status: 200,
        headers,
        body: out.into(),
    }
}

fn content_type(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Json11 => "application/x-amz-json-1.1",
        _ => "application/x-amz-json-1.0",
    }
}

/// An awsJson error response.
pub fn json_error(
    model: &ServiceModel,
    protocol: Protocol,
    error: &AwsError,
    request_id: &str,
) -> Response {
    let info = ErrorInfo::resolve(model, error);
    let query_compatible = model.metadata.aws_query_compatible.is_some();
    let mut out = String::with_capacity(128);
    write_error_body(
        &mut out,
        model,
        &info,
        error,
        Some(info.shape_name),
        "message",
    );
    let mut headers = Vec::with_capacity(4);
    headers.push((
        "Content-Type".to_string(),
        content_type(protocol).to_string(),
    ));
    headers.push(("X-Amzn-ErrorType".to_string(), info.shape_name.to_string()));
    if query_compatible {
        headers.push((
            "x-amzn-query-error".to_string(),
            format!("{};{}", info.wire_code, info.fault_word()),
        ));
    }
    request_id_headers(model, request_id, &mut headers);
    Response {
        status: info.status(error, !query_compatible),
        headers,
        body: out.into(),
    }
}

/// Writes an error body: `__type` (when given), the message under the
/// shape's message member (else `default_message_key`), and the fields —
/// declared ones through the shape, except header-bound ones, undeclared
/// ones as they are.
pub fn write_error_body(
    out: &mut String,
    model: &ServiceModel,
    info: &ErrorInfo<'_>,
    error: &AwsError,
    type_name: Option<&str>,
    default_message_key: &str,
) {
    out.push('{');
    let mut first = true;
    if let Some(t) = type_name {
        key(out, &mut first, "__type");
        write_str(out, t);
    }
    if !error.message.is_empty() || info.message_member.is_some() {
        key(
            out,
            &mut first,
            info.message_member.unwrap_or(default_message_key),
        );
        write_str(out, &error.message);
    }
    for (name, value) in &error.fields {
        if info.is_message_field(name) || value.is_null() {
            continue;
        }
        match info.shape.and_then(|s| s.members.get(name)) {
            Some(r) if !in_body(r) => {}
            Some(r) => {
                key(out, &mut first, r.location_name.as_deref().unwrap_or(name));
                write_value(out, model, r, value);
            }
            None => {
                key(out, &mut first, name);
                write_raw(out, value);
            }
        }
    }
    out.push('}');
}

fn key(out: &mut String, first: &mut bool, name: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    write_str(out, name);
    out.push(':');
}

/// Writes a structure as a JSON object. Members bound to headers or the
/// status code are left to the REST layer.
pub fn write_struct(out: &mut String, model: &ServiceModel, shape: &Shape, value: &Value) {
    out.push('{');
    let mut first = true;
    if let Some(obj) = value.as_object() {
        for (name, r) in &shape.members {
            if !in_body(r) {
                continue;
            }
            let Some(v) = gureum_core::member::get(obj, name) else {
                continue;
            };
            if v.is_null() {
                continue;
            }
            key(out, &mut first, r.location_name.as_deref().unwrap_or(name));
            write_value(out, model, r, v);
        }
    }
    out.push('}');
}

/// Writes one value of the shape `r` points at.
pub fn write_value(out: &mut String, model: &ServiceModel, r: &MemberRef, value: &Value) {
    let Some(shape) = target(model, r) else {
        write_raw(out, value);
        return;
    };
    if shape.document {
        write_raw(out, value);
        return;
    }
    match shape.kind {
        ShapeType::Structure => write_struct(out, model, shape, value),
        ShapeType::List => {
            let (Some(items), Some(item_ref)) = (value.as_array(), shape.member.as_deref()) else {
                write_raw(out, value);
                return;
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if item.is_null() {
                    out.push_str("null");
                } else {
                    write_value(out, model, item_ref, item);
                }
            }
            out.push(']');
        }
        ShapeType::Map => {
            let (Some(entries), Some(vr)) = (value.as_object(), shape.value.as_deref()) else {
                write_raw(out, value);
                return;
            };
            out.push('{');
            let mut first = true;
            for (k, v) in entries {
                if v.is_null() {
                    continue;
                }
                key(out, &mut first, k);
                write_value(out, model, vr, v);
            }
            out.push('}');
        }
        ShapeType::Timestamp => match ts_millis(value) {
            Some(millis) => match ts_format(Some(r), shape, TsFormat::Epoch) {
                TsFormat::Epoch => push_epoch(out, millis),
                f => write_str(out, &super::format_ts(millis, f)),
            },
            None => write_raw(out, value),
        },
        _ => write_raw(out, value),
    }
}

/// Writes a JSON value as it is.
pub fn write_raw(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_raw(out, v);
            }
            out.push(']');
        }
        Value::Object(obj) => {
            out.push('{');
            for (i, (k, v)) in obj.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_raw(out, v);
            }
            out.push('}');
        }
    }
}

/// Writes a JSON string literal, escaping quotes, backslashes and control
/// characters (nothing else needs it in UTF-8 JSON).
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(compat: bool) -> ServiceModel {
        let meta = if compat {
            r#","awsQueryCompatible":{}"#
        } else {
            ""
        };
        ServiceModel::from_json(&format!(
            r#"{{"metadata":{{"protocol":"json","jsonVersion":"1.0"{meta}}},
            "operations":{{"Get":{{"name":"Get","output":{{"shape":"Out"}}}}}},
            "shapes":{{"Out":{{"type":"structure","members":{{"When":{{"shape":"T"}},"Data":{{"shape":"B"}},"Name":{{"shape":"S","locationName":"name"}}}}}},
              "QueueDoesNotExist":{{"type":"structure","members":{{"message":{{"shape":"S"}}}},"exception":true,
                "error":{{"code":"AWS.SimpleQueueService.NonExistentQueue","httpStatusCode":402,"senderFault":true}}}},
              "T":{{"type":"timestamp"}},"B":{{"type":"blob"}},"S":{{"type":"string"}}}}}}"#
        ))
        .expect("model")
    }

    #[test]
    fn json_bodies_use_epoch_seconds_and_location_names() {
        let m = model(false);
        let op = m.operation("Get").expect("op");
        let v = json!({"When": 1.5, "Data": "aGk=", "Name": "a\"b", "Other": 1});
        let r = json_output(&m, Protocol::Json10, op, &v, "rid");
        assert_eq!(&r.body[..], br#"{"When":1.5,"Data":"aGk=","name":"a\"b"}"#);
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    }

    #[test]
    fn json_errors_name_the_shape_in_dunder_type() {
        let m = model(false);
        let e = AwsError::new("QueueDoesNotExist", 400, "gone");
        let r = json_error(&m, Protocol::Json10, &e, "rid");
        assert_eq!(r.status, 402);
        assert_eq!(
            &r.body[..],
            br#"{"__type":"QueueDoesNotExist","message":"gone"}"#
        );
        assert_eq!(r.header("x-amzn-query-error"), None);
    }

    #[test]
    fn query_compatible_errors_add_the_query_error_header() {
        let m = model(true);
        let e = AwsError::new("AWS.SimpleQueueService.NonExistentQueue", 400, "gone");
        let r = json_error(&m, Protocol::Json10, &e, "rid");
        assert_eq!(r.status, 400);
        assert_eq!(
            r.header("x-amzn-query-error"),
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
        assert!(std::str::from_utf8(&r.body)
            .expect("utf8")
            .contains("\"__type\":\"QueueDoesNotExist\""));
    }
}
