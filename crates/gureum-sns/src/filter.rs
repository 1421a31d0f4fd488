//! Subscription filter policies (SNS developer guide, "Amazon SNS message
//! filtering"). The language is EventBridge's event-pattern language with
//! SNS's limits, so matching is [`gureum_events::pattern::Pattern`]; this
//! module adds what SNS checks on top: the scope (`MessageAttributes`
//! policies are flat, `MessageBody` policies may nest), no `wildcard`, at
//! most 5 keys and 150 combinations, and SNS's wording
//! ("Invalid parameter: FilterPolicy: …").

use crate::attributes::{self, Attrs};
use crate::errors::invalid;
use gureum_core::{AwsError, Value};
use gureum_events::pattern::Pattern;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// The most keys a policy may name.
const MAX_KEYS: usize = 5;
/// The most value combinations a policy may have.
const MAX_COMBINATIONS: usize = 150;

/// What a policy is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The message attributes (the default).
    MessageAttributes,
    /// The message body, read as JSON.
    MessageBody,
}

impl Scope {
    /// The scope a `FilterPolicyScope` value names.
    pub fn parse(s: Option<&str>) -> Result<Scope, AwsError> {
        match s {
            None | Some("MessageAttributes") => Ok(Scope::MessageAttributes),
            Some("MessageBody") => Ok(Scope::MessageBody),
            Some(other) => Err(invalid(format!(
                "Attributes Reason: FilterPolicyScope: Invalid value [{other}]. Please use either MessageBody or MessageAttributes"
            ))),
        }
    }
}

fn refuse(reason: impl std::fmt::Display) -> AwsError {
    invalid(format!("FilterPolicy: {reason}"))
}

/// Parses and validates a policy for `scope`.
pub fn parse(text: &str, scope: Scope) -> Result<Pattern, AwsError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| refuse(format!("failed to parse JSON. {e}")))?;
    if !value.is_object() {
        return Err(refuse("Filter policy must be a JSON object"));
    }
    let mut keys = 0;
    let combinations = walk(&value, scope, &mut keys)?;
    if keys > MAX_KEYS {
        return Err(refuse("Filter policy can not have more than 5 keys"));
    }
    if combinations > MAX_COMBINATIONS {
        return Err(refuse("Filter policy is too complex"));
    }
    Pattern::from_value(&value).map_err(refuse)
}

/// Checks SNS's own rules over one object and counts its keys; answers
/// its combinations (product over keys, sum over `$or` branches).
fn walk(v: &Value, scope: Scope, keys: &mut usize) -> Result<usize, AwsError> {
    let Value::Object(map) = v else {
        return Err(refuse("Filter policy must be a JSON object"));
    };
    let mut combinations: usize = 1;
    for (k, child) in map {
        let n = match child {
            Value::Array(items) if k == "$or" => {
                let mut sum = 0usize;
                for item in items {
                    sum = sum.saturating_add(walk(item, scope, keys)?);
                }
                sum
            }
            Value::Array(items) => {
                *keys += 1;
                for m in items {
                    if m.get("wildcard").is_some() {
                        return Err(refuse("Unrecognized match type wildcard"));
                    }
                }
                items.len().max(1)
            }
            Value::Object(_) if scope == Scope::MessageAttributes => {
                return Err(refuse(
                    "Filter policy scope MessageAttributes does not support nested filter policy",
                ));
            }
            Value::Object(_) => walk(child, scope, keys)?,
            _ => return Err(refuse(format!("\"{k}\" must be an object or an array"))),
        };
        combinations = combinations.saturating_mul(n);
    }
    Ok(combinations)
}

/// Parsed policies by text and scope, so a publish does not parse every
/// subscription's policy again (a policy that no longer parses is `None`
/// and lets nothing through).
#[derive(Default)]
pub struct Cache {
    parsed: Mutex<HashMap<CacheKey, Option<Arc<Pattern>>>>,
}

/// A policy's text, and whether its scope is the message body.
type CacheKey = (String, bool);

impl Cache {
    /// The policy `text` for `scope`, parsed once.
    pub fn get(&self, text: &str, scope: Scope) -> Option<Arc<Pattern>> {
        let key = (text.to_string(), scope == Scope::MessageBody);
        let mut parsed = self.parsed.lock();
        if let Some(p) = parsed.get(&key) {
            return p.clone();
        }
        if parsed.len() >= 4096 {
            parsed.clear();
        }
        let p = parse(text, scope).ok().map(Arc::new);
        parsed.insert(key, p.clone());
        p
    }
}

/// Whether a message passes `policy` (`None`: no policy, everything does).
pub fn passes(policy: Option<&Pattern>, scope: Scope, attrs: &Attrs, body: &str) -> bool {
    let Some(p) = policy else { return true };
    match scope {
        Scope::MessageAttributes => p.matches(&attributes::to_filter_document(attrs)),
        Scope::MessageBody => match serde_json::from_str::<Value>(body) {
            Ok(doc @ Value::Object(_)) => p.matches(&doc),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Attrs {
        attributes::parse(&v).expect("attrs")
    }

    fn check(policy: &str, a: Value) -> bool {
        let p = parse(policy, Scope::MessageAttributes).expect("policy");
        passes(Some(&p), Scope::MessageAttributes, &attrs(a), "")
    }

    #[test]
    fn exact_strings_and_numbers() {
        let a = json!({"store": {"DataType": "String", "StringValue": "example_corp"},
                       "price": {"DataType": "Number", "StringValue": "100"}});
        assert!(check(r#"{"store": ["example_corp"]}"#, a.clone()));
        assert!(!check(r#"{"store": ["other"]}"#, a.clone()));
        assert!(check(r#"{"price": [100]}"#, a.clone()));
        assert!(!check(r#"{"price": ["100"]}"#, a));
    }

    #[test]
    fn prefix_suffix_anything_but_numeric_exists_cidr_and_or() {
        let a = json!({"s": {"DataType": "String", "StringValue": "order-created"},
                       "n": {"DataType": "Number", "StringValue": "42"},
                       "ip": {"DataType": "String", "StringValue": "10.0.0.7"}});
        assert!(check(r#"{"s": [{"prefix": "order-"}]}"#, a.clone()));
        assert!(check(r#"{"s": [{"suffix": "-created"}]}"#, a.clone()));
        assert!(check(
            r#"{"s": [{"anything-but": {"prefix": "x"}}]}"#,
            a.clone()
        ));
        assert!(!check(
            r#"{"s": [{"anything-but": ["order-created"]}]}"#,
            a.clone()
        ));
        assert!(check(
            r#"{"n": [{"numeric": [">", 40, "<=", 42]}]}"#,
            a.clone()
        ));
        assert!(check(r#"{"missing": [{"exists": false}]}"#, a.clone()));
        assert!(check(
            r#"{"s": [{"equals-ignore-case": "ORDER-CREATED"}]}"#,
            a.clone()
        ));
        assert!(check(r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, a.clone()));
        assert!(check(r#"{"$or": [{"s": ["x"]}, {"n": [42]}]}"#, a));
    }

    #[test]
    fn string_arrays_match_any_element() {
        let a = json!({"tags": {"DataType": "String.Array", "StringValue": "[\"a\",\"b\"]"}});
        assert!(check(r#"{"tags": ["b"]}"#, a.clone()));
        assert!(!check(r#"{"tags": ["c"]}"#, a));
    }

    #[test]
    fn body_scope_nests() {
        let p = parse(r#"{"order": {"kind": ["big"]}}"#, Scope::MessageBody).expect("policy");
        let none = Attrs::new();
        assert!(passes(
            Some(&p),
            Scope::MessageBody,
            &none,
            r#"{"order":{"kind":"big"}}"#
        ));
        assert!(!passes(
            Some(&p),
            Scope::MessageBody,
            &none,
            r#"{"order":{"kind":"small"}}"#
        ));
        assert!(!passes(Some(&p), Scope::MessageBody, &none, "not json"));
    }

    #[test]
    fn limits_and_wording() {
        let e = parse(
            r#"{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}"#,
            Scope::MessageAttributes,
        )
        .expect_err("6 keys");
        assert_eq!(
            e.message,
            "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"
        );
        let many: Vec<String> = (0..16).map(|i| i.to_string()).collect();
        let text = json!({"a": many, "b": many}).to_string();
        let e = parse(&text, Scope::MessageAttributes).expect_err("256 combinations");
        assert_eq!(
            e.message,
            "Invalid parameter: FilterPolicy: Filter policy is too complex"
        );
        let e = parse(r#"{"a":{"b":["x"]}}"#, Scope::MessageAttributes).expect_err("nested");
        assert!(
            e.message.contains("does not support nested"),
            "{}",
            e.message
        );
        assert_eq!(e.code, "InvalidParameterException");
    }
}
