//! Smithy RPC v2 CBOR bodies.
//!
//! The body is one CBOR map (an empty body means no members). Values map
//! onto the conventions of the crate docs: byte strings are blobs (to
//! base64), tag 1 wraps a timestamp's epoch seconds (integer or float),
//! floats may arrive in half, single or double precision (a `float` shape
//! is rounded through `f32` so `1.1` stays `1.1`), and NaN/±Infinity become
//! their string spellings. `null` means absent. Decoding uses ciborium with
//! a recursion limit, so hostile nesting is an error, not a stack overflow.

use super::common::{
    check_depth, encode_base64, float_value, int_value, target, ts_from_secs, MAX_DEPTH,
};
use crate::{ParseError, Value};
use ciborium::Value as Cbor;
use gureum_model::{MemberRef, ServiceModel, Shape, ShapeType};
use serde_json::Map;

/// Parses a CBOR body into a value of `input`.
pub(crate) fn parse_body(
    model: &ServiceModel,
    input: Option<&MemberRef>,
    body: &[u8],
) -> Result<Value, ParseError> {
    let Some(input) = input else {
        return Ok(Value::Object(Map::new()));
    };
    let shape = target(model, input)?;
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let doc: Cbor = ciborium::de::from_reader_with_recursion_limit(body, MAX_DEPTH)
        .map_err(|e| ParseError::Malformed(format!("Invalid CBOR: {e}")))?;
    match read(model, shape, &doc, 0)? {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(ParseError::Malformed("the body is not a CBOR map".into())),
        None => Ok(Value::Object(Map::new())),
    }
}

fn kind(v: &Cbor) -> &'static str {
    match v {
        Cbor::Integer(_) => "integer",
        Cbor::Bytes(_) => "byte string",
        Cbor::Float(_) => "float",
        Cbor::Text(_) => "text string",
        Cbor::Bool(_) => "boolean",
        Cbor::Null => "null",
        Cbor::Tag(..) => "tagged value",
        Cbor::Array(_) => "array",
        Cbor::Map(_) => "map",
        _ => "unknown value",
    }
}

fn mismatch(v: &Cbor, to: &str) -> ParseError {
    ParseError::Malformed(format!("a CBOR {} cannot be converted to {to}", kind(v)))
}

fn as_f64(v: &Cbor) -> Option<f64> {
    match v {
        Cbor::Float(f) => Some(*f),
        Cbor::Integer(i) => Some(i128::from(*i) as f64),
        _ => None,
    }
}

/// Reads one CBOR value as `shape`; `None` for null/undefined.
fn read(
    model: &ServiceModel,
    shape: &Shape,
    v: &Cbor,
    depth: usize,
) -> Result<Option<Value>, ParseError> {
    check_depth(depth)?;
    if matches!(v, Cbor::Null) {
        return Ok(None);
    }
    // A tag other than 1 (timestamp) carries no meaning for these shapes:
    // read through it.
    let v = match v {
        Cbor::Tag(t, inner) if *t != 1 || shape.kind != ShapeType::Timestamp => inner.as_ref(),
        _ => v,
    };
    let out = match shape.kind {
        ShapeType::String => match v {
            Cbor::Text(s) => Value::from(s.as_str()),
            _ => return Err(mismatch(v, "a string")),
        },
        ShapeType::Boolean => match v {
            Cbor::Bool(b) => Value::Bool(*b),
            _ => return Err(mismatch(v, "a boolean")),
        },
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Short
        | ShapeType::Byte
        | ShapeType::BigInteger => match v {
            Cbor::Integer(i) => {
                let i = i64::try_from(i128::from(*i))
                    .map_err(|_| ParseError::Malformed("integer out of range".into()))?;
                int_value(shape.kind, i)?
            }
            _ => return Err(mismatch(v, "an integer")),
        },
        ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => match as_f64(v) {
            Some(f) => float_value(shape.kind, f),
            None => return Err(mismatch(v, "a float")),
        },
        ShapeType::Blob => match v {
            Cbor::Bytes(b) => Value::from(encode_base64(b)),
            _ => return Err(mismatch(v, "a blob")),
        },
        ShapeType::Timestamp => {
            let inner = match v {
                Cbor::Tag(1, inner) => inner.as_ref(),
                other => other,
            };
            match as_f64(inner) {
                Some(secs) => ts_from_secs(secs)?,
                None => return Err(mismatch(inner, "a timestamp")),
            }
        }
        ShapeType::Structure => {
            let Cbor::Map(entries) = v else {
                return Err(mismatch(v, "a structure"));
            };
            let mut out = Map::new();
            for (k, item) in entries {
                let Cbor::Text(k) = k else { continue };
                // Unknown keys are ignored, as for JSON.
                let Some(mr) = shape.members.get(k.as_str()) else {
                    continue;
                };
                let mt = target(model, mr)?;
                if let Some(x) = read(model, mt, item, depth + 1)? {
                    out.insert(k.clone(), x);
                }
            }
            Value::Object(out)
        }
        ShapeType::List => {
            let Cbor::Array(items) = v else {
                return Err(mismatch(v, "a list"));
            };
            let member = shape
                .member
                .as_deref()
                .ok_or_else(|| ParseError::Malformed("list shape without member".into()))?;
            let mt = target(model, member)?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(x) = read(model, mt, item, depth + 1)? {
                    out.push(x);
                }
            }
            Value::Array(out)
        }
        ShapeType::Map => {
            let Cbor::Map(entries) = v else {
                return Err(mismatch(v, "a map"));
            };
            let vr = shape
                .value
                .as_deref()
                .ok_or_else(|| ParseError::Malformed("map shape without value".into()))?;
            let vt = target(model, vr)?;
            let mut out = Map::new();
            for (k, item) in entries {
                let Cbor::Text(k) = k else {
                    return Err(mismatch(k, "a map key"));
                };
                if let Some(x) = read(model, vt, item, depth + 1)? {
                    out.insert(k.clone(), x);
                }
            }
            Value::Object(out)
        }
    };
    Ok(Some(out))
}
