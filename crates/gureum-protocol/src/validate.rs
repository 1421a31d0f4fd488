//! Checks a parsed input against the model's constraints: required members,
//! enum values, string/list/map/blob lengths and numeric ranges, reported
//! in AWS's (Coral) wording, e.g. `Value null at 'logGroupName' failed to
//! satisfy constraint: Member must not be null`.
//!
//! Paths follow Coral: member names with the first letter lower-cased,
//! joined by `.`; a list element is `name.N.member` (1-based), a map value
//! `name.<key>`. Values are quoted the way Coral prints them: `null`, or
//! the value's text in single quotes (`'abc'`, `'0'`, `'[a, b]'`).
//! Patterns are not checked: AWS writes them as Java regexes.

use crate::Value;
use base64::Engine as _;
use gureum_model::{ServiceModel, Shape, ShapeType};

/// Deepest nesting the validator follows (parsers already bound input).
const MAX_DEPTH: usize = 100;

/// One broken constraint.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationIssue {
    /// The member path as AWS writes it (`keySchema.1.member.attributeName`).
    pub path: String,
    /// The value as AWS quotes it (`null`, `'abc'`, `'0'`).
    pub value: String,
    /// The constraint, e.g. `Member must not be null`.
    pub constraint: String,
}

impl ValidationIssue {
    /// Whether this issue is a missing required member.
    pub fn is_missing(&self) -> bool {
        self.constraint == "Member must not be null"
    }
}

/// Every broken constraint of `value` against `shape` (empty when valid).
pub fn validate(model: &ServiceModel, shape: &Shape, value: &Value) -> Vec<ValidationIssue> {
    validate_with(model, shape, value, Checks::All)
}

/// Which constraints a service enforces on input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checks {
    /// Required members, enums, lengths and ranges: Coral-based services.
    All,
    /// Everything but enum membership. EC2, S3 and SQS do not refuse unknown
    /// enum values up front: their handlers answer with their own codes
    /// (`InvalidInstanceType`, `InvalidStorageClass`, SQS's
    /// `InvalidAttributeName`), and new values reach clients before the
    /// models list them (SQS's `ReceiveMessage` takes message attribute
    /// names such as `SenderId` in a list the model types as queue
    /// attribute names).
    NoEnums,
}

impl Checks {
    /// What the service behind `protocol` (and model `service`) enforces.
    pub fn for_service(protocol: gureum_model::Protocol, service: &str) -> Checks {
        if protocol == gureum_model::Protocol::Ec2 || service == "s3" || service == "sqs" {
            Checks::NoEnums
        } else {
            Checks::All
        }
    }
}

/// Every broken constraint of `value` against `shape` that `checks` covers.
pub fn validate_with(
    model: &ServiceModel,
    shape: &Shape,
    value: &Value,
    checks: Checks,
) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    let mut ctx = CheckCtx {
        issues: &mut issues,
        enums: checks == Checks::All,
    };
    check(model, shape, value, &Path::Root, &mut ctx, 0);
    issues
}

/// What a walk collects, and which checks it makes.
struct CheckCtx<'a> {
    issues: &'a mut Vec<ValidationIssue>,
    enums: bool,
}

/// Where a value sits in the input, rendered only when a constraint breaks
/// (most inputs break none, and a wide structure such as PutObject's has
/// ~40 members to walk).
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    /// A structure member; Coral lower-cases its first letter.
    Member(&'a Path<'a>, &'a str),
    /// A list element, 0-based here, `N.member` (1-based) on the wire.
    Index(&'a Path<'a>, usize),
    /// A map value, by key.
    Key(&'a Path<'a>, &'a str),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parent = match self {
            Path::Root => return Ok(()),
            Path::Member(parent, _) | Path::Index(parent, _) | Path::Key(parent, _) => parent,
        };
        if !matches!(parent, Path::Root) {
            write!(f, "{parent}.")?;
        }
        match self {
            Path::Member(_, name) => {
                let mut chars = name.chars();
                if let Some(first) = chars.next() {
                    for c in first.to_lowercase() {
                        write!(f, "{c}")?;
                    }
                }
                f.write_str(chars.as_str())
            }
            Path::Index(_, i) => write!(f, "{}.member", i + 1),
            Path::Key(_, key) => f.write_str(key),
            Path::Root => Ok(()),
        }
    }
}

/// Java's `toString` of a value, as Coral prints it.
fn java_text(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(java_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(o) => {
            let inner: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{k}={}", java_text(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

fn quote(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        other => format!("'{}'", java_text(other)),
    }
}

/// A bound as Coral writes it: integral bounds without a fraction.
fn bound(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e18 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn push(issues: &mut Vec<ValidationIssue>, path: &Path<'_>, v: &Value, constraint: String) {
    issues.push(ValidationIssue {
        path: path.to_string(),
        value: quote(v),
        constraint,
    });
}

fn check_length(
    shape: &Shape,
    len: usize,
    path: &Path<'_>,
    v: &Value,
    issues: &mut Vec<ValidationIssue>,
) {
    let len = len as f64;
    if let Some(min) = shape.min {
        if len < min {
            push(
                issues,
                path,
                v,
                format!(
                    "Member must have length greater than or equal to {}",
                    bound(min)
                ),
            );
        }
    }
    if let Some(max) = shape.max {
        if len > max {
            push(
                issues,
                path,
                v,
                format!(
                    "Member must have length less than or equal to {}",
                    bound(max)
                ),
            );
        }
    }
}

fn check(
    model: &ServiceModel,
    shape: &Shape,
    v: &Value,
    path: &Path<'_>,
    ctx: &mut CheckCtx<'_>,
    depth: usize,
) {
    if depth > MAX_DEPTH || v.is_null() {
        return;
    }
    let enums = ctx.enums;
    match shape.kind {
        ShapeType::String => {
            let Some(s) = v.as_str() else { return };
            if let Some(values) = shape.enum_values.as_ref().filter(|_| enums) {
                if !values.iter().any(|e| e == s) {
                    push(
                        ctx.issues,
                        path,
                        v,
                        format!(
                            "Member must satisfy enum value set: [{}]",
                            values.join(", ")
                        ),
                    );
                }
            }
            check_length(shape, s.chars().count(), path, v, ctx.issues);
        }
        ShapeType::Blob => {
            if let Some(s) = v.as_str() {
                let len = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_or(s.len(), |b| b.len());
                check_length(shape, len, path, v, ctx.issues);
            }
        }
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Short
        | ShapeType::Byte
        | ShapeType::Float
        | ShapeType::Double
        | ShapeType::BigDecimal
        | ShapeType::BigInteger => {
            let Some(n) = v.as_f64() else { return };
            if let Some(min) = shape.min {
                if n < min {
                    push(
                        ctx.issues,
                        path,
                        v,
                        format!(
                            "Member must have value greater than or equal to {}",
                            bound(min)
                        ),
                    );
                }
            }
            if let Some(max) = shape.max {
                if n > max {
                    push(
                        ctx.issues,
                        path,
                        v,
                        format!(
                            "Member must have value less than or equal to {}",
                            bound(max)
                        ),
                    );
                }
            }
        }
        ShapeType::List => {
            let Some(items) = v.as_array() else { return };
            check_length(shape, items.len(), path, v, ctx.issues);
            let Some(mt) = shape.member.as_deref().and_then(|m| model.shape(&m.shape)) else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                check(model, mt, item, &Path::Index(path, i), ctx, depth + 1);
            }
        }
        ShapeType::Map => {
            let Some(entries) = v.as_object() else { return };
            check_length(shape, entries.len(), path, v, ctx.issues);
            let Some(vt) = shape.value.as_deref().and_then(|m| model.shape(&m.shape)) else {
                return;
            };
            for (k, item) in entries {
                check(model, vt, item, &Path::Key(path, k), ctx, depth + 1);
            }
        }
        ShapeType::Structure => {
            if shape.document {
                return;
            }
            let Some(obj) = v.as_object() else { return };
            for (name, r) in &shape.members {
                let p = Path::Member(path, name);
                match gureum_core::member::get(obj, name) {
                    None | Some(Value::Null) => {
                        // A streaming payload is never in the value.
                        if shape.required.iter().any(|n| n == name)
                            && !r.streaming
                            && !model.shape(&r.shape).is_some_and(|t| t.streaming)
                        {
                            push(
                                ctx.issues,
                                &p,
                                &Value::Null,
                                "Member must not be null".into(),
                            );
                        }
                    }
                    Some(mv) => {
                        if let Some(mt) = model.shape(&r.shape) {
                            check(model, mt, mv, &p, ctx, depth + 1);
                        }
                    }
                }
            }
        }
        ShapeType::Boolean | ShapeType::Timestamp => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        let text = json!({
            "metadata": {"protocol": "json"},
            "operations": {},
            "shapes": {
                "In": {"type": "structure", "required": ["LogGroupName"], "members": {
                    "LogGroupName": {"shape": "Name"},
                    "Limit": {"shape": "Limit"},
                    "Mode": {"shape": "Mode"},
                    "Keys": {"shape": "Keys"}
                }},
                "Name": {"type": "string", "min": 1, "max": 5},
                "Limit": {"type": "integer", "min": 1, "max": 50},
                "Mode": {"type": "string", "enum": ["a", "b"]},
                "Keys": {"type": "list", "member": {"shape": "Key"}, "min": 1},
                "Key": {"type": "structure", "required": ["AttributeName"], "members": {
                    "AttributeName": {"shape": "Name"}
                }}
            }
        })
        .to_string();
        ServiceModel::from_json(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn issues(v: Value) -> Vec<String> {
        let m = model();
        let Some(shape) = m.shape("In") else {
            panic!("no In")
        };
        validate(&m, shape, &v)
            .into_iter()
            .map(|i| format!("{} {} {}", i.path, i.value, i.constraint))
            .collect()
    }

    #[test]
    fn required_member_must_not_be_null() {
        assert_eq!(
            issues(json!({})),
            vec!["logGroupName null Member must not be null"]
        );
    }

    #[test]
    fn enum_length_and_range_in_coral_words() {
        let got = issues(json!({"LogGroupName": "toolong", "Limit": 0, "Mode": "c"}));
        assert_eq!(
            got,
            vec![
                "logGroupName 'toolong' Member must have length less than or equal to 5",
                "limit '0' Member must have value greater than or equal to 1",
                "mode 'c' Member must satisfy enum value set: [a, b]",
            ]
        );
    }

    #[test]
    fn list_elements_use_index_dot_member() {
        let got = issues(json!({"LogGroupName": "x", "Keys": [{"AttributeName": "ok"}, {}]}));
        assert_eq!(
            got,
            vec!["keys.2.member.attributeName null Member must not be null"]
        );
        let got = issues(json!({"LogGroupName": "x", "Keys": []}));
        assert_eq!(
            got,
            vec!["keys '[]' Member must have length greater than or equal to 1"]
        );
    }
}

#[cfg(test)]
mod checks_tests {
    use super::*;
    use gureum_model::Protocol;
    use serde_json::json;

    #[test]
    fn ec2_and_s3_do_not_refuse_unknown_enum_values() {
        let model = gureum_model::load("ec2").expect("vendored");
        let input = model.shape("DescribeInstanceTypesRequest").expect("shape");
        let value = json!({"InstanceTypes": ["t3.huge"]});
        assert!(
            !validate(&model, input, &value).is_empty(),
            "the model's enum refuses it"
        );
        let checks = Checks::for_service(Protocol::Ec2, "ec2");
        assert_eq!(checks, Checks::NoEnums);
        assert!(validate_with(&model, input, &value, checks).is_empty());
        assert_eq!(
            Checks::for_service(Protocol::RestXml, "s3"),
            Checks::NoEnums
        );
        assert_eq!(Checks::for_service(Protocol::Json11, "logs"), Checks::All);
    }
}
