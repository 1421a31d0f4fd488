//! What a target receives: the whole event, `Input` (fixed JSON),
//! `InputPath` (one JSONPath into the event) or `InputTransformer`
//! (`InputPathsMap` values substituted into `InputTemplate`).

use serde_json::Value;

/// The JSON paths EventBridge accepts: `$`, `$.a.b`, `$.a[0]`, `$['a']`.
pub fn json_path<'a>(event: &'a Value, path: &str) -> Result<Option<&'a Value>, String> {
    let rest = path
        .strip_prefix('$')
        .ok_or_else(|| format!("Invalid JSON path: {path}"))?;
    let mut cur = Some(event);
    let mut chars = rest;
    while !chars.is_empty() {
        if let Some(after) = chars.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            if key.is_empty() {
                return Err(format!("Invalid JSON path: {path}"));
            }
            cur = cur.and_then(|v| v.get(key));
            chars = &after[end..];
        } else if let Some(after) = chars.strip_prefix('[') {
            let end = after
                .find(']')
                .ok_or_else(|| format!("Invalid JSON path: {path}"))?;
            let inner = &after[..end];
            cur = if let Ok(i) = inner.parse::<usize>() {
                cur.and_then(|v| v.get(i))
            } else {
                let key = inner.trim_matches(|c| c == '\'' || c == '"');
                cur.and_then(|v| v.get(key))
            };
            chars = &after[end + 1..];
        } else {
            return Err(format!("Invalid JSON path: {path}"));
        }
    }
    Ok(cur)
}

/// The rule a delivery comes from (for the predefined variables).
pub struct RuleVars<'a> {
    /// The rule's ARN.
    pub arn: &'a str,
    /// The rule's name.
    pub name: &'a str,
    /// When the event was ingested, epoch milliseconds.
    pub ingestion_ms: i64,
}

/// `InputTemplate` with each `<name>` from `InputPathsMap` (and the
/// predefined `aws.events.*` variables) replaced. Inside a JSON string a
/// value goes in as text; outside one as JSON, so a string keeps its quotes.
pub fn transform(
    event: &Value,
    paths: &serde_json::Map<String, Value>,
    template: &str,
    rule: &RuleVars<'_>,
) -> String {
    let lookup = |name: &str| -> Option<Value> {
        match name {
            "aws.events.rule-arn" => Some(Value::String(rule.arn.to_string())),
            "aws.events.rule-name" => Some(Value::String(rule.name.to_string())),
            "aws.events.event.ingestion-time" => Some(Value::String(
                gureum_core::timestamp::format_iso8601_seconds(rule.ingestion_ms),
            )),
            // The event without its `detail` (AWS's definition).
            "aws.events.event" => {
                let mut e = event.clone();
                if let Some(map) = e.as_object_mut() {
                    map.remove("detail");
                }
                Some(e)
            }
            "aws.events.event.json" => Some(event.clone()),
            _ => {
                let path = paths.get(name)?.as_str()?;
                Some(
                    json_path(event, path)
                        .ok()
                        .flatten()
                        .cloned()
                        .unwrap_or(Value::Null),
                )
            }
        }
    };
    let mut out = String::with_capacity(template.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '<' && !escaped {
            if let Some(end) = rest.find('>') {
                let name = &rest[1..end];
                if let Some(value) = lookup(name) {
                    if in_string {
                        let text = match &value {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            other => other.to_string(),
                        };
                        let quoted = Value::String(text).to_string();
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    } else {
                        out.push_str(&value.to_string());
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
            }
        }
        if in_string && c == '\\' && !escaped {
            escaped = true;
        } else {
            if c == '"' && !escaped {
                in_string = !in_string;
            }
            escaped = false;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{json_path, transform, RuleVars};
    use serde_json::{json, Value};

    fn event() -> Value {
        json!({"source": "shop", "detail": {"id": "o-1", "total": 12.5, "items": ["a", "b"]}})
    }

    fn vars() -> RuleVars<'static> {
        RuleVars {
            arn: "arn:aws:events:us-east-1:123456789012:rule/r",
            name: "r",
            ingestion_ms: 0,
        }
    }

    #[test]
    fn json_paths_walk_fields_and_indexes() {
        let e = event();
        assert_eq!(json_path(&e, "$").expect("ok"), Some(&e));
        assert_eq!(
            json_path(&e, "$.detail.id").expect("ok"),
            Some(&json!("o-1"))
        );
        assert_eq!(
            json_path(&e, "$.detail.items[1]").expect("ok"),
            Some(&json!("b"))
        );
        assert_eq!(
            json_path(&e, "$['detail']['total']").expect("ok"),
            Some(&json!(12.5))
        );
        assert_eq!(json_path(&e, "$.nope").expect("ok"), None);
        assert!(json_path(&e, "detail").is_err());
    }

    #[test]
    fn a_transformer_puts_values_as_json_outside_strings() {
        let paths = json!({"id": "$.detail.id", "total": "$.detail.total"});
        let out = transform(
            &event(),
            paths.as_object().expect("map"),
            r#"{"order": <id>, "sum": <total>}"#,
            &vars(),
        );
        assert_eq!(out, r#"{"order": "o-1", "sum": 12.5}"#);
    }

    #[test]
    fn a_transformer_puts_values_as_text_inside_strings() {
        let paths = json!({"id": "$.detail.id"});
        let out = transform(
            &event(),
            paths.as_object().expect("map"),
            r#""Order <id> from <aws.events.rule-name>""#,
            &vars(),
        );
        assert_eq!(out, r#""Order o-1 from r""#);
    }

    #[test]
    fn a_missing_path_is_null_outside_strings_and_empty_inside() {
        let paths = json!({"x": "$.detail.nope"});
        let map = paths.as_object().expect("map");
        assert_eq!(
            transform(&event(), map, r#"{"x": <x>}"#, &vars()),
            r#"{"x": null}"#
        );
        assert_eq!(
            transform(&event(), map, r#"{"x": "<x>"}"#, &vars()),
            r#"{"x": ""}"#
        );
    }

    #[test]
    fn unknown_placeholders_stay_as_written() {
        let out = transform(
            &event(),
            &serde_json::Map::new(),
            r#"{"a": "<b>"}"#,
            &vars(),
        );
        assert_eq!(out, r#"{"a": "<b>"}"#);
    }

    #[test]
    fn the_event_variables_are_the_event_with_and_without_detail() {
        let map = serde_json::Map::new();
        let whole = transform(&event(), &map, "<aws.events.event.json>", &vars());
        assert_eq!(
            serde_json::from_str::<Value>(&whole).expect("json"),
            event()
        );
        let bare = transform(&event(), &map, "<aws.events.event>", &vars());
        assert_eq!(
            serde_json::from_str::<Value>(&bare).expect("json"),
            json!({"source": "shop"})
        );
    }
}
