//! YAML read into JSON values ([`to_json`]: keys such as `200:` become
//! strings, as OpenAPI means them), and JSON values written as YAML
//! (block style), for `GetExport` with `Accept: application/yaml`. Strings are double-quoted with JSON's
//! escapes, which YAML reads the same way, so no value is ever
//! misread as a number, a boolean or a null.

use gureum_core::Value;

/// `value` as a YAML document.
pub(crate) fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => mapping(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => sequence(a, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// A key, bare when it is plainly a name.
fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./{}$+".contains(c))
        && !k.starts_with(|c: char| c.is_ascii_digit() || "-{}$".contains(c))
        && !matches!(
            k,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

fn nested(v: &Value) -> bool {
    matches!(v, Value::Object(m) if !m.is_empty()) || matches!(v, Value::Array(a) if !a.is_empty())
}

fn mapping(m: &serde_json::Map<String, Value>, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for (k, v) in m {
        out.push_str(&format!("{pad}{}:", key(k)));
        write_value(v, depth, out);
    }
}

fn sequence(items: &[Value], depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for v in items {
        out.push_str(&format!("{pad}-"));
        write_value(v, depth, out);
    }
}

/// Writes `v` after `key:` or `-`: inline when scalar, else on the
/// following lines one level deeper.
fn write_value(v: &Value, depth: usize, out: &mut String) {
    if nested(v) {
        out.push('\n');
        match v {
            Value::Object(m) => mapping(m, depth + 1, out),
            Value::Array(a) => sequence(a, depth + 1, out),
            _ => {}
        }
    } else {
        out.push(' ');
        out.push_str(&scalar(v));
        out.push('\n');
    }
}

/// A YAML document as JSON: scalar keys as their text, tags dropped.
pub(crate) fn to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_u64().map(Value::from))
            .or_else(|| n.as_f64().map(Value::from))
            .unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => to_json(t.value),
    }
}
