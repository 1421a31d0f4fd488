//! Message attributes: validated as SNS does at publish, then written in
//! the shape each destination reads (the envelope's `MessageAttributes`,
//! SQS message attributes for raw delivery, the document filter policies
//! match).

use crate::errors::bad_value;
use gureum_core::{AwsError, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// One message attribute as published.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    /// `String`, `Number`, `Binary`, `String.Array`, or a custom type
    /// (`Number.float`).
    pub data_type: String,
    /// The value of String, Number and String.Array attributes.
    pub string: Option<String>,
    /// Binary attributes' bytes, base64 (as the protocol hands them).
    pub binary: Option<String>,
}

/// Attributes by name.
pub type Attrs = BTreeMap<String, Attr>;

/// The most attributes a message may carry.
const MAX_ATTRIBUTES: usize = 10;

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.to_ascii_lowercase().starts_with("aws.")
        && !name.to_ascii_lowercase().starts_with("amazon.")
}

/// Reads and validates `MessageAttributes` (`{name: {DataType,
/// StringValue | BinaryValue}}`).
pub fn parse(v: &Value) -> Result<Attrs, AwsError> {
    let Some(map) = v.as_object() else {
        return Ok(Attrs::new());
    };
    if map.len() > MAX_ATTRIBUTES {
        return Err(bad_value(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            map.len()
        )));
    }
    let mut out = Attrs::new();
    for (name, a) in map {
        if !valid_name(name) {
            return Err(bad_value(format!(
                "The message attribute name '{name}' is invalid. Message attribute names may only contain alphanumeric characters, hyphens, underscores and periods, and must not start with AWS. or Amazon."
            )));
        }
        let data_type = a["DataType"].as_str().unwrap_or_default().to_string();
        let base = data_type.split('.').next().unwrap_or_default();
        let string = a["StringValue"].as_str().map(str::to_string);
        let binary = a["BinaryValue"].as_str().map(str::to_string);
        match base {
            "String" | "Number" if string.as_deref().is_none_or(str::is_empty) => {
                return Err(bad_value(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'.")));
            }
            "Binary" if binary.as_deref().is_none_or(str::is_empty) => {
                return Err(bad_value(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'.")));
            }
            "String" | "Number" | "Binary" => {}
            _ => {
                return Err(bad_value(format!("The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.")));
            }
        }
        if base == "Number" && number(string.as_deref().unwrap_or_default()).is_none() {
            return Err(bad_value(format!(
                "Could not cast message attribute '{name}' value to number."
            )));
        }
        if data_type == "String.Array" {
            let ok = serde_json::from_str::<Value>(string.as_deref().unwrap_or_default())
                .ok()
                .and_then(|v| v.as_array().cloned())
                .is_some_and(|a| a.iter().all(|e| !e.is_array() && !e.is_object()));
            if !ok {
                return Err(bad_value(format!("The message attribute '{name}' with type 'String.Array' must be a JSON array of strings, numbers, booleans or nulls.")));
            }
        }
        out.insert(
            name.clone(),
            Attr {
                data_type,
                string,
                binary,
            },
        );
    }
    Ok(out)
}

/// A Number attribute's value (SNS accepts what parses as a decimal).
fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The bytes the attributes count towards the 256 KiB message limit:
/// names, types and values.
pub fn size(attrs: &Attrs) -> usize {
    attrs
        .iter()
        .map(|(n, a)| {
            n.len()
                + a.data_type.len()
                + a.string.as_ref().map_or(0, String::len)
                + a.binary.as_ref().map_or(0, |b| b.len() * 3 / 4)
        })
        .sum()
}

/// The envelope's `MessageAttributes`: `{name: {"Type", "Value"}}`
/// (binary values in base64).
pub fn to_envelope(attrs: &Attrs) -> Value {
    let map: serde_json::Map<String, Value> = attrs
        .iter()
        .map(|(n, a)| {
            let value = a
                .string
                .clone()
                .or_else(|| a.binary.clone())
                .unwrap_or_default();
            (n.clone(), json!({"Type": a.data_type, "Value": value}))
        })
        .collect();
    Value::Object(map)
}

/// SQS message attributes (raw delivery): the same names and types.
pub fn to_sqs(attrs: &Attrs) -> Value {
    if attrs.is_empty() {
        return Value::Null;
    }
    let map: serde_json::Map<String, Value> = attrs
        .iter()
        .map(|(n, a)| {
            let v = match &a.binary {
                Some(b) => json!({"DataType": a.data_type, "BinaryValue": b}),
                None => json!({"DataType": a.data_type, "StringValue": a.string}),
            };
            (n.clone(), v)
        })
        .collect();
    Value::Object(map)
}

/// The document a `MessageAttributes`-scoped filter policy matches:
/// strings as strings, numbers as numbers, `String.Array` as its array;
/// binary attributes match nothing.
pub fn to_filter_document(attrs: &Attrs) -> Value {
    let mut map = serde_json::Map::new();
    for (n, a) in attrs {
        let Some(s) = &a.string else { continue };
        let v = if a.data_type.starts_with("Number") {
            number(s).map(|f| json!(f)).unwrap_or(Value::Null)
        } else if a.data_type == "String.Array" {
            serde_json::from_str(s).unwrap_or(Value::Null)
        } else {
            Value::String(s.clone())
        };
        map.insert(n.clone(), v);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_attribute_must_parse() {
        let e = parse(&json!({"n": {"DataType": "Number", "StringValue": "x"}})).expect_err("nan");
        assert_eq!(
            e.message,
            "Could not cast message attribute 'n' value to number."
        );
        assert!(parse(&json!({"n": {"DataType": "Number", "StringValue": "1.5"}})).is_ok());
    }

    #[test]
    fn empty_values_and_unknown_types_are_refused() {
        let e = parse(&json!({"s": {"DataType": "String", "StringValue": ""}})).expect_err("empty");
        assert!(
            e.message.contains("must contain non-empty"),
            "{}",
            e.message
        );
        let e = parse(&json!({"s": {"DataType": "Float", "StringValue": "1"}})).expect_err("type");
        assert!(
            e.message.contains("invalid message attribute type"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_filter_document_types_values() {
        let a = parse(&json!({
            "n": {"DataType": "Number", "StringValue": "10"},
            "a": {"DataType": "String.Array", "StringValue": "[\"x\",1]"},
            "s": {"DataType": "String", "StringValue": "v"},
        }))
        .expect("valid");
        assert_eq!(
            to_filter_document(&a),
            json!({"n": 10.0, "a": ["x", 1], "s": "v"})
        );
    }
}
