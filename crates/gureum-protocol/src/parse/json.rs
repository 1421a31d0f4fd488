//! JSON bodies: awsJson 1.0/1.1 inputs, and the body part of rest-json.
//!
//! The body is parsed with serde_json (whose own recursion limit already
//! refuses absurd nesting with an error), then read against the shape, so
//! that every value ends up under the conventions of the crate docs and a
//! value of the wrong JSON type is refused the way Coral refuses it:
//! `SerializationException: STRING_VALUE cannot be converted to Integer`.
//!
//! JSON keys are the member's `locationName` (jsonName), else its name.
//! Unknown keys are ignored and `null` means absent, as AWS does.
//! Timestamps are epoch seconds; ISO 8601 / HTTP-date strings are accepted
//! too (and are what `timestampFormat` asks for when set).

use super::common::{
    check_depth, float_value, int_value, normalize_base64, parse_float, parse_timestamp, target,
    ts_format, ts_from_secs, wire_name, TsFormat,
};
use crate::{ParseError, Value};
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType};
use serde_json::Map;

/// Parses a JSON body into a value of `input` (empty body = `{}`).
pub(crate) fn parse_body(
    model: &ServiceModel,
    input: Option<&MemberRef>,
    body: &[u8],
) -> Result<Value, ParseError> {
    let Some(input) = input else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = target(model, input)?;
    let doc = parse_document(body)?;
    let obj = match &doc {
        Value::Object(o) => o,
        Value::Null => return Ok(Value::Object(Map::new())),
        _ => {
            return Err(ParseError::Malformed(
                "Start of structure or map found where not expected".into(),
            ))
        }
    };
    read_members(model, shape, obj, |_| true, 0).map(Value::Object)
}

/// Parses JSON text; an empty (or all-whitespace) body is `null`.
pub(crate) fn parse_document(body: &[u8]) -> Result<Value, ParseError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| ParseError::Malformed(format!("Invalid JSON: {e}")))
}

/// Reads the members of `shape` that `wanted` selects from a JSON object.
pub(crate) fn read_members(
    model: &ServiceModel,
    shape: &Shape,
    obj: &Map<String, Value>,
    wanted: impl Fn(&MemberRef) -> bool,
    depth: usize,
) -> Result<Map<String, Value>, ParseError> {
    check_depth(depth)?;
    let mut out = Map::new();
    for (name, r) in &shape.members {
        if !wanted(r) {
            continue;
        }
        let t = target(model, r)?;
        let key = wire_name(r, name);
        let raw = obj.get(key).or_else(|| obj.get(name.as_str()));
        if let Some(raw) = raw {
            if let Some(v) = read_value(model, Some(r), t, raw, depth + 1)? {
                out.insert(name.clone(), v);
            }
        }
    }
    Ok(out)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn mismatch(v: &Value, to: &str) -> ParseError {
    ParseError::Malformed(format!("{} cannot be converted to {to}", json_kind(v)))
}

/// Reads one JSON value as `shape`; `None` for `null`.
pub(crate) fn read_value(
    model: &ServiceModel,
    r: Option<&MemberRef>,
    shape: &Shape,
    v: &Value,
    depth: usize,
) -> Result<Option<Value>, ParseError> {
    check_depth(depth)?;
    if v.is_null() {
        return Ok(None);
    }
    if shape.document {
        return Ok(Some(v.clone()));
    }
    let out = match shape.kind {
        ShapeType::String => match v {
            Value::String(_) => v.clone(),
            _ => return Err(mismatch(v, "String")),
        },
        ShapeType::Boolean => match v {
            Value::Bool(_) => v.clone(),
            _ => return Err(mismatch(v, "Boolean")),
        },
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Short
        | ShapeType::Byte
        | ShapeType::BigInteger => match v {
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => int_value(shape.kind, i)?,
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    int_value(shape.kind, f as i64)?
                }
                _ => return Err(mismatch(v, "Integer")),
            },
            _ => return Err(mismatch(v, "Integer")),
        },
        ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => match v {
            Value::Number(n) => float_value(shape.kind, n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) if matches!(s.as_str(), "NaN" | "Infinity" | "-Infinity") => {
                parse_float(shape.kind, s)?
            }
            _ => return Err(mismatch(v, "Double")),
        },
        ShapeType::Blob => match v {
            Value::String(s) => normalize_base64(s)?,
            _ => return Err(mismatch(v, "Blob")),
        },
        ShapeType::Timestamp => match v {
            Value::Number(n) => ts_from_secs(n.as_f64().unwrap_or(f64::NAN))?,
            Value::String(s) => parse_timestamp(s, ts_format(r, shape, TsFormat::Epoch))?,
            _ => return Err(mismatch(v, "Timestamp")),
        },
        ShapeType::Structure => match v {
            Value::Object(o) => Value::Object(read_members(model, shape, o, |_| true, depth)?),
            _ => return Err(mismatch(v, "Structure")),
        },
        ShapeType::List => {
            let Value::Array(items) = v else {
                return Err(mismatch(v, "List"));
            };
            let member = shape
                .member
                .as_deref()
                .ok_or_else(|| ParseError::Malformed("list shape without member".into()))?;
            let mt = target(model, member)?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(x) = read_value(model, Some(member), mt, item, depth + 1)? {
                    out.push(x);
                }
            }
            Value::Array(out)
        }
        ShapeType::Map => {
            let Value::Object(o) = v else {
                return Err(mismatch(v, "Map"));
            };
            let vr = shape
                .value
                .as_deref()
                .ok_or_else(|| ParseError::Malformed("map shape without value".into()))?;
            let vt = target(model, vr)?;
            let mut out = Map::new();
            for (k, item) in o {
                if let Some(x) = read_value(model, Some(vr), vt, item, depth + 1)? {
                    out.insert(k.clone(), x);
                }
            }
            Value::Object(out)
        }
    };
    Ok(Some(out))
}
