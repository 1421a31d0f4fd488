//! The typed AttributeValue model: reading DynamoDB JSON (`{"S": "x"}`)
//! with AWS's validations, writing it back, type names, and item sizes as
//! AWS counts them.

use crate::errors::validation;
use crate::number::Decimal;
use base64::Engine;
use gureum_core::AwsError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// String.
    S(String),
    /// Number.
    N(Decimal),
    /// Binary.
    B(Vec<u8>),
    /// Boolean.
    Bool(bool),
    /// Null.
    Null,
    /// Map.
    M(BTreeMap<String, AttrValue>),
    /// List.
    L(Vec<AttrValue>),
    /// String set.
    Ss(Vec<String>),
    /// Number set.
    Ns(Vec<Decimal>),
    /// Binary set.
    Bs(Vec<Vec<u8>>),
}

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttrValue>;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Result<Vec<u8>, AwsError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| validation("Invalid Base64 value for binary attribute"))
}

fn number(s: &str) -> Result<Decimal, AwsError> {
    Decimal::parse(s).map_err(|e| validation(e.message()))
}

impl AttrValue {
    /// Reads one wire value, with AWS's checks (one type, no empty or
    /// duplicated sets, valid numbers).
    pub fn from_json(v: &Value) -> Result<AttrValue, AwsError> {
        let Some(o) = v.as_object() else {
            return Err(validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        };
        let set: Vec<(&String, &Value)> = o.iter().filter(|(_, v)| !v.is_null()).collect();
        if set.is_empty() {
            return Err(validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            ));
        }
        if set.len() > 1 {
            return Err(validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        let (t, v) = set[0];
        let str_of = |v: &Value| v.as_str().map(str::to_string);
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        Ok(match t.as_str() {
            "S" => AttrValue::S(str_of(v).unwrap_or_default()),
            "N" => AttrValue::N(number(v.as_str().unwrap_or_default())?),
            "B" => AttrValue::B(unb64(v.as_str().unwrap_or_default())?),
            "BOOL" => AttrValue::Bool(v.as_bool().unwrap_or(false)),
            "NULL" => {
                if v.as_bool() != Some(true) {
                    return Err(validation("One or more parameter values were invalid: Null attribute value types must have the value of true"));
                }
                AttrValue::Null
            }
            "M" => {
                let mut m = BTreeMap::new();
                if let Some(o) = v.as_object() {
                    for (k, v) in o {
                        m.insert(k.clone(), AttrValue::from_json(v)?);
                    }
                }
                AttrValue::M(m)
            }
            "L" => AttrValue::L(
                list(v)
                    .iter()
                    .map(AttrValue::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            "SS" => {
                let items: Vec<String> = list(v).iter().filter_map(str_of).collect();
                if items.is_empty() {
                    return Err(validation(
                        "One or more parameter values were invalid: An string set  may not be empty",
                    ));
                }
                check_unique(&items, |s| s.clone(), |s| s.clone())?;
                AttrValue::Ss(items)
            }
            "NS" => {
                let raw: Vec<String> = list(v).iter().filter_map(str_of).collect();
                if raw.is_empty() {
                    return Err(validation(
                        "One or more parameter values were invalid: An number set  may not be empty",
                    ));
                }
                let items: Vec<Decimal> =
                    raw.iter().map(|s| number(s)).collect::<Result<_, _>>()?;
                check_unique(&items, ToString::to_string, ToString::to_string)?;
                AttrValue::Ns(items)
            }
            "BS" => {
                let raw: Vec<String> = list(v).iter().filter_map(str_of).collect();
                if raw.is_empty() {
                    return Err(validation(
                        "One or more parameter values were invalid: Binary sets should not be empty",
                    ));
                }
                let items: Vec<Vec<u8>> = raw.iter().map(|s| unb64(s)).collect::<Result<_, _>>()?;
                check_unique(&items, |b| b64(b), |b| b64(b))?;
                AttrValue::Bs(items)
            }
            _ => {
                return Err(validation(
                    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
                ))
            }
        })
    }

    /// Reads a value this service wrote itself (stored items): no checks
    /// beyond what decoding needs.
    pub fn from_stored(v: &Value) -> AttrValue {
        AttrValue::from_json(v).unwrap_or(AttrValue::Null)
    }

    /// The wire form.
    pub fn to_json(&self) -> Value {
        let mut o = Map::with_capacity(1);
        let (t, v) = match self {
            AttrValue::S(s) => ("S", Value::String(s.clone())),
            AttrValue::N(n) => ("N", Value::String(n.to_string())),
            AttrValue::B(b) => ("B", Value::String(b64(b))),
            AttrValue::Bool(b) => ("BOOL", Value::Bool(*b)),
            AttrValue::Null => ("NULL", Value::Bool(true)),
            AttrValue::M(m) => (
                "M",
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            ),
            AttrValue::L(l) => (
                "L",
                Value::Array(l.iter().map(AttrValue::to_json).collect()),
            ),
            AttrValue::Ss(s) => (
                "SS",
                Value::Array(s.iter().cloned().map(Value::String).collect()),
            ),
            AttrValue::Ns(s) => (
                "NS",
                Value::Array(s.iter().map(|n| Value::String(n.to_string())).collect()),
            ),
            AttrValue::Bs(s) => (
                "BS",
                Value::Array(s.iter().map(|b| Value::String(b64(b))).collect()),
            ),
        };
        o.insert(t.to_string(), v);
        Value::Object(o)
    }

    /// The type's name on the wire (`S`, `NS`, `BOOL`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrValue::S(_) => "S",
            AttrValue::N(_) => "N",
            AttrValue::B(_) => "B",
            AttrValue::Bool(_) => "BOOL",
            AttrValue::Null => "NULL",
            AttrValue::M(_) => "M",
            AttrValue::L(_) => "L",
            AttrValue::Ss(_) => "SS",
            AttrValue::Ns(_) => "NS",
            AttrValue::Bs(_) => "BS",
        }
    }

    /// The value's size in bytes as DynamoDB counts it.
    pub fn size(&self) -> usize {
        match self {
            AttrValue::S(s) => s.len(),
            AttrValue::N(n) => number_size(n),
            AttrValue::B(b) => b.len(),
            AttrValue::Bool(_) | AttrValue::Null => 1,
            AttrValue::M(m) => 3 + m.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            AttrValue::L(l) => 3 + l.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttrValue::Ss(s) => s.iter().map(String::len).sum(),
            AttrValue::Ns(s) => s.iter().map(number_size).sum(),
            AttrValue::Bs(s) => s.iter().map(Vec::len).sum(),
        }
    }
}

/// A number's size: one byte per two significant digits, plus one.
fn number_size(n: &Decimal) -> usize {
    if n.is_zero() {
        return 1;
    }
    n.digits().len().div_ceil(2) + 1
}

fn check_unique<T>(
    items: &[T],
    key: impl Fn(&T) -> String,
    show: impl Fn(&T) -> String,
) -> Result<(), AwsError> {
    let mut seen = std::collections::HashSet::new();
    for i in items {
        if !seen.insert(key(i)) {
            let all: Vec<String> = items.iter().map(&show).collect();
            return Err(validation(format!(
                "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                all.join(", ")
            )));
        }
    }
    Ok(())
}

/// The size of a stored wire value (canonical numbers), computed on the
/// JSON without decoding it: the same figure as [`AttrValue::size`].
pub fn json_value_size(v: &Value) -> usize {
    let Some((t, x)) = v.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    let str_len = |x: &Value| x.as_str().map_or(0, str::len);
    let b64_len = |x: &Value| {
        x.as_str().map_or(0, |s| {
            let pad = s.bytes().rev().take_while(|b| *b == b'=').count();
            (s.len() / 4 * 3).saturating_sub(pad)
        })
    };
    let num = |x: &Value| {
        let digits: Vec<u8> = x
            .as_str()
            .unwrap_or_default()
            .bytes()
            .filter(u8::is_ascii_digit)
            .collect();
        let start = digits.iter().take_while(|d| **d == b'0').count();
        let end = digits.len() - digits.iter().rev().take_while(|d| **d == b'0').count();
        if start >= end {
            1
        } else {
            (end - start).div_ceil(2) + 1
        }
    };
    let list = |x: &Value| x.as_array().cloned().unwrap_or_default();
    match t.as_str() {
        "S" => str_len(x),
        "N" => num(x),
        "B" => b64_len(x),
        "BOOL" | "NULL" => 1,
        "M" => {
            3 + x.as_object().map_or(0, |o| {
                o.iter()
                    .map(|(k, v)| k.len() + json_value_size(v) + 1)
                    .sum()
            })
        }
        "L" => {
            3 + x
                .as_array()
                .map_or(0, |a| a.iter().map(|v| json_value_size(v) + 1).sum())
        }
        "SS" => list(x).iter().map(str_len).sum(),
        "NS" => list(x).iter().map(num).sum(),
        "BS" => list(x).iter().map(b64_len).sum(),
        _ => 0,
    }
}

/// The size of a stored wire item.
pub fn json_item_size(item: &Value) -> usize {
    item.as_object().map_or(0, |o| {
        o.iter().map(|(k, v)| k.len() + json_value_size(v)).sum()
    })
}

/// An item's size: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

/// Reads a wire item (`{"name": {"S": "x"}}`).
pub fn item_from_json(v: Option<&Value>) -> Result<Item, AwsError> {
    let mut out = Item::new();
    if let Some(o) = v.and_then(Value::as_object) {
        for (k, v) in o {
            out.insert(k.clone(), AttrValue::from_json(v)?);
        }
    }
    Ok(out)
}

/// Reads a stored item.
pub fn item_from_stored(v: &Value) -> Item {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), AttrValue::from_stored(v)))
                .collect()
        })
        .unwrap_or_default()
}

/// The wire form of an item.
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_every_type() {
        let v = json!({"M": {"a": {"S": "x"}, "b": {"L": [{"N": "1"}, {"BOOL": true}, {"NULL": true}]},
            "c": {"SS": ["a", "b"]}, "d": {"NS": ["1", "2.5"]}, "e": {"BS": ["AAE="]}, "f": {"B": "AQI="}}});
        assert_eq!(AttrValue::from_json(&v).expect("ok").to_json(), v);
    }

    #[test]
    fn sets_may_not_be_empty_or_repeat() {
        let e = AttrValue::from_json(&json!({"SS": []})).expect_err("error");
        assert_eq!(
            e.message,
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        let e = AttrValue::from_json(&json!({"SS": ["a", "a"]})).expect_err("error");
        assert_eq!(e.message, "One or more parameter values were invalid: Input collection [a, a] contains duplicates.");
        let e = AttrValue::from_json(&json!({"NS": ["1", "1.0"]})).expect_err("error");
        assert!(e.message.contains("contains duplicates"));
    }

    #[test]
    fn exactly_one_type() {
        let e = AttrValue::from_json(&json!({})).expect_err("error");
        assert!(e.message.starts_with("Supplied AttributeValue is empty"));
        let e = AttrValue::from_json(&json!({"S": "a", "N": "1"})).expect_err("error");
        assert!(e
            .message
            .starts_with("Supplied AttributeValue has more than one datatypes"));
        let e = AttrValue::from_json(&json!({"N": "x"})).expect_err("error");
        assert_eq!(
            e.message,
            "The parameter cannot be converted to a numeric value: x"
        );
    }

    #[test]
    fn json_sizes_equal_typed_sizes() {
        let v = json!({"a": {"S": "héllo"}, "n": {"N": "-12.3400"}, "z": {"N": "0"}, "b": {"B": "AQID"},
            "m": {"M": {"k": {"L": [{"N": "100"}, {"NULL": true}]}}}, "ss": {"SS": ["x", "yy"]},
            "ns": {"NS": ["1", "0.001"]}, "bs": {"BS": ["AQ==", "AQI="]}});
        let typed = item_from_json(Some(&v)).expect("item");
        let stored = item_to_json(&typed);
        assert_eq!(json_item_size(&stored), item_size(&typed));
    }

    #[test]
    fn sizes_follow_aws() {
        let s = |v: Value| AttrValue::from_json(&v).expect("ok").size();
        assert_eq!(s(json!({"S": "héllo"})), 6);
        assert_eq!(s(json!({"N": "12345"})), 4);
        assert_eq!(s(json!({"N": "0"})), 1);
        assert_eq!(s(json!({"BOOL": false})), 1);
        assert_eq!(s(json!({"L": [{"S": "ab"}]})), 3 + 3);
        assert_eq!(s(json!({"M": {"k": {"S": "ab"}}})), 3 + 1 + 2 + 1);
        let item = item_from_json(Some(&json!({"pk": {"S": "abc"}}))).expect("ok");
        assert_eq!(item_size(&item), 5);
    }
}
