//! JSON Schema draft 4, the dialect API Gateway's models are written in:
//! checking a schema when a model is created ([`check`]) and validating a
//! request body against it ([`validate`]).
//!
//! The keywords are draft 4's validation keywords (`type`, `enum`,
//! `properties`, `required`, `additionalProperties`, `patternProperties`,
//! `items`, `additionalItems`, `min/maxItems`, `uniqueItems`,
//! `min/maxLength`, `pattern`, `minimum`/`maximum` with the boolean
//! `exclusive*`, `multipleOf`, `min/maxProperties`, `dependencies`,
//! `allOf`/`anyOf`/`oneOf`/`not`) and `$ref` to `#/definitions/…`
//! pointers or to another model of the API by its URL. Error texts follow
//! the validator AWS reports in `$context.error.validationErrorString`.
//! `format` is an annotation here, as draft 4 allows.

use gureum_core::Value;
use regex_automata::meta::Regex;

/// How deep `$ref`s may chain before the schema counts as circular.
const MAX_DEPTH: usize = 64;

/// The keywords whose value must be a schema object.
const SCHEMA_KEYWORDS: [&str; 2] = ["not", "additionalItems"];
/// The keywords whose value must be a map of schemas.
const SCHEMA_MAPS: [&str; 3] = ["properties", "patternProperties", "definitions"];
/// The keywords whose value must be a non-empty list of schemas.
const SCHEMA_LISTS: [&str; 3] = ["allOf", "anyOf", "oneOf"];
/// The keywords whose value must be a non-negative integer.
const COUNTS: [&str; 6] = [
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];
/// draft 4's primitive types.
const TYPES: [&str; 7] = [
    "array", "boolean", "integer", "null", "number", "object", "string",
];

/// Finds the schema another model's URL names (`$ref` outside the
/// schema).
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<Value>;

/// Checks that `schema` is a draft 4 schema; `Err` says what is wrong.
pub fn check(schema: &Value) -> Result<(), String> {
    let Some(obj) = schema.as_object() else {
        return Err("schema is not an object".into());
    };
    for (key, value) in obj {
        let ok = match key.as_str() {
            "type" => match value {
                Value::String(t) => TYPES.contains(&t.as_str()),
                Value::Array(ts) => {
                    !ts.is_empty()
                        && ts
                            .iter()
                            .all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t)))
                }
                _ => false,
            },
            "required" => value
                .as_array()
                .is_some_and(|r| !r.is_empty() && r.iter().all(Value::is_string)),
            "enum" => value.as_array().is_some_and(|e| !e.is_empty()),
            "pattern" => value.as_str().is_some_and(|p| Regex::new(p).is_ok()),
            "minimum" | "maximum" | "multipleOf" => value.is_number(),
            "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" => value.is_boolean(),
            "$ref" | "$schema" | "id" | "title" | "description" | "format" => value.is_string(),
            "items" => match value {
                Value::Array(items) => all_checked(items)?,
                other => check(other).map(|_| true)?,
            },
            "additionalProperties" => match value {
                Value::Bool(_) => true,
                other => check(other).map(|_| true)?,
            },
            "dependencies" => value.as_object().is_some_and(|d| {
                d.values().all(|v| match v {
                    Value::Array(names) => names.iter().all(Value::is_string),
                    other => check(other).is_ok(),
                })
            }),
            k if SCHEMA_KEYWORDS.contains(&k) => match value {
                Value::Bool(_) if k == "additionalItems" => true,
                other => check(other).map(|_| true)?,
            },
            k if SCHEMA_MAPS.contains(&k) => match value.as_object() {
                Some(m) => all_checked(&m.values().cloned().collect::<Vec<_>>())?,
                None => false,
            },
            k if SCHEMA_LISTS.contains(&k) => match value.as_array() {
                Some(l) if !l.is_empty() => all_checked(l)?,
                _ => false,
            },
            k if COUNTS.contains(&k) => value.as_u64().is_some(),
            // Unknown keywords are allowed (draft 4 ignores them).
            _ => true,
        };
        if !ok {
            return Err(format!("invalid value for keyword \"{key}\""));
        }
    }
    Ok(())
}

fn all_checked(schemas: &[Value]) -> Result<bool, String> {
    for s in schemas {
        check(s)?;
    }
    Ok(true)
}

/// The ways `instance` breaks `schema` (empty when it conforms).
pub fn validate(schema: &Value, instance: &Value, resolve: Resolver<'_>) -> Vec<String> {
    let mut v = Validator {
        root: schema,
        resolve,
        errors: Vec::new(),
        depth: 0,
    };
    v.at(schema, instance);
    v.errors
}

struct Validator<'a> {
    root: &'a Value,
    resolve: Resolver<'a>,
    errors: Vec<String>,
    depth: usize,
}

/// The name draft 4 gives `v`'s type.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(wanted: &str, v: &Value) -> bool {
    let actual = type_name(v);
    wanted == actual || (wanted == "number" && actual == "integer")
}

fn quoted(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", items.join(","))
}

impl Validator<'_> {
    /// Whether `instance` conforms to `schema`, without recording why.
    fn conforms(&mut self, schema: &Value, instance: &Value) -> bool {
        let before = self.errors.len();
        self.at(schema, instance);
        let ok = self.errors.len() == before;
        self.errors.truncate(before);
        ok
    }

    fn fail(&mut self, message: String) {
        self.errors.push(message);
    }

    fn at(&mut self, schema: &Value, instance: &Value) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            self.reference(reference, instance);
            return;
        }
        let Some(s) = schema.as_object() else { return };
        self.types(s, instance);
        if let Some(options) = s.get("enum").and_then(Value::as_array) {
            if !options.contains(instance) {
                self.fail(format!(
                    "instance value ({instance}) not found in enum (possible values: {})",
                    Value::Array(options.clone())
                ));
            }
        }
        match instance {
            Value::Object(_) => self.object(s, instance),
            Value::Array(items) => self.array(s, items),
            Value::String(text) => self.string(s, text),
            Value::Number(_) => self.number(s, instance),
            _ => {}
        }
        self.combinators(s, instance);
    }

    fn reference(&mut self, reference: &str, instance: &Value) {
        if self.depth >= MAX_DEPTH {
            self.fail(format!("JSON Reference loop detected: \"{reference}\""));
            return;
        }
        let target = if let Some(pointer) = reference.strip_prefix('#') {
            self.root.pointer(pointer).cloned()
        } else {
            (self.resolve)(reference)
        };
        let Some(target) = target else {
            self.fail(format!(
                "unable to dereference JSON Reference \"{reference}\""
            ));
            return;
        };
        self.depth += 1;
        // A model named by URL resolves its own `#/` pointers.
        if reference.starts_with('#') {
            self.at(&target, instance);
        } else {
            let errors = validate_nested(&target, instance, self.resolve, self.depth);
            self.errors.extend(errors);
        }
        self.depth -= 1;
    }

    fn types(&mut self, s: &serde_json::Map<String, Value>, instance: &Value) {
        let wanted: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return,
        };
        if !wanted.iter().any(|t| type_matches(t, instance)) {
            self.fail(format!(
                "instance type ({}) does not match any allowed primitive type (allowed: {})",
                type_name(instance),
                quoted(&wanted)
            ));
        }
    }

    fn object(&mut self, s: &serde_json::Map<String, Value>, instance: &Value) {
        let Some(obj) = instance.as_object() else {
            return;
        };
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            let mut missing: Vec<&str> = required
                .iter()
                .filter_map(Value::as_str)
                .filter(|name| !obj.contains_key(*name))
                .collect();
            missing.sort_unstable();
            if !missing.is_empty() {
                self.fail(format!(
                    "object has missing required properties ({})",
                    quoted(&missing)
                ));
            }
        }
        let count = obj.len() as u64;
        if let Some(min) = s.get("minProperties").and_then(Value::as_u64) {
            if count < min {
                self.fail(format!("object has too few properties (found {count} but schema requires at least {min})"));
            }
        }
        if let Some(max) = s.get("maxProperties").and_then(Value::as_u64) {
            if count > max {
                self.fail(format!("object has too many properties (found {count} but schema requires at most {max})"));
            }
        }
        let properties = s.get("properties").and_then(Value::as_object);
        let patterns: Vec<(Regex, &Value)> = s
            .get("patternProperties")
            .and_then(Value::as_object)
            .map(|p| {
                p.iter()
                    .filter_map(|(k, v)| Regex::new(k).ok().map(|re| (re, v)))
                    .collect()
            })
            .unwrap_or_default();
        let mut extra = Vec::new();
        for (name, value) in obj {
            let mut matched = false;
            if let Some(sub) = properties.and_then(|p| p.get(name)) {
                matched = true;
                self.at(sub, value);
            }
            for (re, sub) in &patterns {
                if re.is_match(name) {
                    matched = true;
                    self.at(sub, value);
                }
            }
            if !matched {
                match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => extra.push(name.as_str()),
                    Some(sub @ Value::Object(_)) => self.at(sub, value),
                    _ => {}
                }
            }
        }
        if !extra.is_empty() {
            extra.sort_unstable();
            self.fail(format!(
                "object instance has properties which are not allowed by the schema: {}",
                quoted(&extra)
            ));
        }
        if let Some(deps) = s.get("dependencies").and_then(Value::as_object) {
            for (name, dep) in deps {
                if !obj.contains_key(name) {
                    continue;
                }
                match dep {
                    Value::Array(names) => {
                        let missing: Vec<&str> = names
                            .iter()
                            .filter_map(Value::as_str)
                            .filter(|n| !obj.contains_key(*n))
                            .collect();
                        if !missing.is_empty() {
                            self.fail(format!("property \"{name}\" of object has missing property dependencies (schema requires {}; missing: {})", quoted(&names.iter().filter_map(Value::as_str).collect::<Vec<_>>()), quoted(&missing)));
                        }
                    }
                    sub => self.at(sub, instance),
                }
            }
        }
    }

    fn array(&mut self, s: &serde_json::Map<String, Value>, items: &[Value]) {
        let n = items.len() as u64;
        if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
            if n < min {
                self.fail(format!("array is too short: must have at least {min} elements but instance has {n} elements"));
            }
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
            if n > max {
                self.fail(format!("array is too long: must have at most {max} elements but instance has {n} elements"));
            }
        }
        if s.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            let repeated = items
                .iter()
                .enumerate()
                .any(|(i, a)| items[..i].contains(a));
            if repeated {
                self.fail("array must not contain duplicate elements".into());
            }
        }
        match s.get("items") {
            Some(Value::Array(tuple)) => {
                for (item, sub) in items.iter().zip(tuple) {
                    self.at(sub, item);
                }
                if items.len() > tuple.len() {
                    match s.get("additionalItems") {
                        Some(Value::Bool(false)) => self.fail(format!("array is too long: must have at most {} elements but instance has {n} elements", tuple.len())),
                        Some(sub @ Value::Object(_)) => {
                            for item in &items[tuple.len()..] {
                                self.at(sub, item);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some(sub @ Value::Object(_)) => {
                for item in items {
                    self.at(sub, item);
                }
            }
            _ => {}
        }
    }

    fn string(&mut self, s: &serde_json::Map<String, Value>, text: &str) {
        let len = text.chars().count() as u64;
        if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
            if len < min {
                self.fail(format!(
                    "string \"{text}\" is too short (length: {len}, required minimum: {min})"
                ));
            }
        }
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
            if len > max {
                self.fail(format!(
                    "string \"{text}\" is too long (length: {len}, maximum allowed: {max})"
                ));
            }
        }
        if let Some(pattern) = s.get("pattern").and_then(Value::as_str) {
            // ECMA 262 patterns are unanchored: a match anywhere counts.
            if Regex::new(pattern).is_ok_and(|re| !re.is_match(text)) {
                self.fail(format!(
                    "ECMA 262 regex \"{pattern}\" does not match input string \"{text}\""
                ));
            }
        }
    }

    fn number(&mut self, s: &serde_json::Map<String, Value>, instance: &Value) {
        let Some(n) = instance.as_f64() else { return };
        let exclusive = |k: &str| s.get(k).and_then(Value::as_bool) == Some(true);
        if let Some(min) = s.get("minimum").and_then(Value::as_f64) {
            if n < min || (exclusive("exclusiveMinimum") && n == min) {
                let what = if exclusive("exclusiveMinimum") {
                    "is not greater than"
                } else {
                    "is lower than"
                };
                self.fail(format!(
                    "numeric instance {what} the required minimum (minimum: {}, found: {instance})",
                    s["minimum"]
                ));
            }
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
            if n > max || (exclusive("exclusiveMaximum") && n == max) {
                let what = if exclusive("exclusiveMaximum") {
                    "is not lower than"
                } else {
                    "is greater than"
                };
                self.fail(format!(
                    "numeric instance {what} the required maximum (maximum: {}, found: {instance})",
                    s["maximum"]
                ));
            }
        }
        if let Some(m) = s.get("multipleOf").and_then(Value::as_f64) {
            let q = n / m;
            if m > 0.0 && (q - q.round()).abs() > 1e-9 {
                self.fail(format!(
                    "numeric instance is not a multiple of divisor (divisor: {}, input: {instance})",
                    s["multipleOf"]
                ));
            }
        }
    }

    fn combinators(&mut self, s: &serde_json::Map<String, Value>, instance: &Value) {
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.at(sub, instance);
            }
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
            let n = any.len();
            if !any.iter().any(|sub| self.conforms(sub, instance)) {
                self.fail(format!(
                    "instance failed to match at least one required schema among {n}"
                ));
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let n = one.len();
            let matched = one
                .iter()
                .filter(|sub| self.conforms(sub, instance))
                .count();
            if matched != 1 {
                self.fail(format!(
                    "instance failed to match exactly one schema (matched {matched} out of {n})"
                ));
            }
        }
        if let Some(not) = s.get("not") {
            if self.conforms(not, instance) {
                self.fail("instance matched a schema which it should not have".into());
            }
        }
    }
}

/// Validates against another model's schema, whose `#/` pointers are its
/// own, keeping the reference depth.
fn validate_nested(
    schema: &Value,
    instance: &Value,
    resolve: Resolver<'_>,
    depth: usize,
) -> Vec<String> {
    let mut v = Validator {
        root: schema,
        resolve,
        errors: Vec::new(),
        depth,
    };
    v.at(schema, instance);
    v.errors
}

#[cfg(test)]
mod tests;
