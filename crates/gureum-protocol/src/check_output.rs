//! Checks a handler's output against the operation's output shape.
//!
//! The serializers write what the shape declares and skip the rest, so a
//! misspelt member (`VpcID` for `VpcId`) or a number where the shape says
//! string would reach clients as a silently missing or mangled field.
//! Debug builds (the e2e suite runs one) call [`check_output`] on every
//! answer and fail the request loudly instead; release builds skip it.
//!
//! The rules follow the crate's value conventions (see the crate docs):
//! every member is declared by its structure, every value has its shape's
//! JSON type, and a string enum's value is one the model lists (for the
//! services whose inputs are held to enums too: EC2 answers values its
//! model does not list, such as `Platform: windows`). The
//! reserved `$order` key ([`gureum_core::member::XML_ORDER`]) may name
//! flattened lists of the structure.

use crate::{Checks, Value};
use gureum_model::{ServiceModel, Shape, ShapeType};

/// Deepest nesting followed (outputs are built by handlers, not clients).
const MAX_DEPTH: usize = 64;

/// Every way `value` departs from `shape`, one line each with its path
/// (`Reservations[0].Instances[0].State.Name`). Empty when it conforms.
pub fn check_output(
    model: &ServiceModel,
    shape: &Shape,
    value: &Value,
    checks: Checks,
) -> Vec<String> {
    let mut problems = Vec::new();
    let enums = checks == Checks::All;
    walk(model, enums, shape, value, "", &mut problems, 0);
    problems
}

fn walk(
    model: &ServiceModel,
    enums: bool,
    shape: &Shape,
    value: &Value,
    path: &str,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        out.push(format!("{path}: nested deeper than {MAX_DEPTH}"));
        return;
    }
    if shape.document {
        return;
    }
    let here = |what: &str| {
        format!(
            "{}: {what}",
            if path.is_empty() { "(output)" } else { path }
        )
    };
    match shape.kind {
        ShapeType::Structure => {
            let Value::Object(members) = value else {
                out.push(here(&format!(
                    "expected a structure, found {}",
                    kind(value)
                )));
                return;
            };
            for (name, v) in members {
                if name == gureum_core::member::XML_ORDER {
                    check_order(shape, v, path, out);
                    continue;
                }
                let Some(r) = shape.members.get(name) else {
                    out.push(format!("{}: not a member of the shape", join(path, name)));
                    continue;
                };
                if v.is_null() {
                    out.push(format!(
                        "{}: null (absent members are left out)",
                        join(path, name)
                    ));
                    continue;
                }
                match model.shape(&r.shape) {
                    Some(s) => walk(model, enums, s, v, &join(path, name), out, depth + 1),
                    None => out.push(format!("{}: shape {} missing", join(path, name), r.shape)),
                }
            }
        }
        ShapeType::List => {
            let Value::Array(items) = value else {
                out.push(here(&format!("expected a list, found {}", kind(value))));
                return;
            };
            let Some(m) = shape.member.as_ref().and_then(|m| model.shape(&m.shape)) else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                walk(
                    model,
                    enums,
                    m,
                    item,
                    &format!("{path}[{i}]"),
                    out,
                    depth + 1,
                );
            }
        }
        ShapeType::Map => {
            let Value::Object(entries) = value else {
                out.push(here(&format!("expected a map, found {}", kind(value))));
                return;
            };
            let Some(v) = shape.value.as_ref().and_then(|m| model.shape(&m.shape)) else {
                return;
            };
            for (k, item) in entries {
                walk(
                    model,
                    enums,
                    v,
                    item,
                    &format!("{path}[{k:?}]"),
                    out,
                    depth + 1,
                );
            }
        }
        ShapeType::String => match value {
            Value::String(s) => {
                if let Some(allowed) = shape.enum_values.as_ref().filter(|_| enums) {
                    if !allowed.iter().any(|a| a == s) {
                        out.push(here(&format!("{s:?} is not one of the enum's values")));
                    }
                }
            }
            other => out.push(here(&format!("expected a string, found {}", kind(other)))),
        },
        ShapeType::Blob => {
            if !value.is_string() {
                out.push(here(&format!(
                    "expected base64 text, found {}",
                    kind(value)
                )));
            }
        }
        ShapeType::Boolean => {
            if !value.is_boolean() {
                out.push(here(&format!("expected a boolean, found {}", kind(value))));
            }
        }
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Short
        | ShapeType::Byte
        | ShapeType::BigInteger => {
            if !(value.is_i64() || value.is_u64()) {
                out.push(here(&format!("expected an integer, found {}", kind(value))));
            }
        }
        ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => {
            let special = matches!(value.as_str(), Some("NaN" | "Infinity" | "-Infinity"));
            if !value.is_number() && !special {
                out.push(here(&format!("expected a number, found {}", kind(value))));
            }
        }
        ShapeType::Timestamp => {
            if !value.is_number() {
                out.push(here(&format!(
                    "expected epoch seconds as a number, found {}",
                    kind(value)
                )));
            }
        }
    }
}

/// `$order` lists member names of the structure's lists, one per item.
fn check_order(shape: &Shape, order: &Value, path: &str, out: &mut Vec<String>) {
    let ok = order.as_array().is_some_and(|names| {
        names
            .iter()
            .all(|n| n.as_str().is_some_and(|n| shape.members.contains_key(n)))
    });
    if !ok {
        out.push(format!(
            "{}: must list member names of the structure",
            join(path, gureum_core::member::XML_ORDER)
        ));
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model() -> ServiceModel {
        ServiceModel::from_json(
            r#"{"metadata":{"protocol":"ec2"},"operations":{},"shapes":{
              "Out":{"type":"structure","members":{
                "Vpcs":{"shape":"VpcList"},"Count":{"shape":"I"},"When":{"shape":"T"},
                "Tags":{"shape":"TagMap"},"Doc":{"shape":"D"}}},
              "VpcList":{"type":"list","member":{"shape":"Vpc"}},
              "Vpc":{"type":"structure","members":{"VpcId":{"shape":"S"},"State":{"shape":"State"}}},
              "State":{"type":"string","enum":["pending","available"]},
              "TagMap":{"type":"map","key":{"shape":"S"},"value":{"shape":"S"}},
              "D":{"type":"structure","members":{},"document":true},
              "I":{"type":"integer"},"T":{"type":"timestamp"},"S":{"type":"string"}}}"#,
        )
        .expect("model")
    }

    fn problems(v: Value) -> Vec<String> {
        let m = model();
        let shape = m.shape("Out").expect("shape");
        check_output(&m, shape, &v, Checks::All)
    }

    #[test]
    fn a_conforming_output_has_no_problems() {
        let v = json!({"Vpcs": [{"VpcId": "vpc-1", "State": "available"}], "Count": 1,
                       "When": 1.5, "Tags": {"a": "b"}, "Doc": {"anything": [1, null]}});
        assert_eq!(problems(v), Vec::<String>::new());
    }

    #[test]
    fn a_misspelt_member_is_named_with_its_path() {
        let p = problems(json!({"Vpcs": [{"VpcID": "vpc-1"}]}));
        assert_eq!(p, ["Vpcs[0].VpcID: not a member of the shape"]);
    }

    #[test]
    fn wrong_json_types_and_enum_values_are_refused() {
        let p = problems(json!({"Count": "1", "When": "2020-01-01",
                                "Vpcs": [{"State": "gone"}], "Tags": {"k": 3}}));
        assert_eq!(p.len(), 4, "{p:?}");
        assert!(p
            .iter()
            .any(|l| l == "Count: expected an integer, found a string"));
        assert!(p.iter().any(|l| l.starts_with("Vpcs[0].State: \"gone\"")));
        assert!(p
            .iter()
            .any(|l| l.starts_with("Tags[\"k\"]: expected a string")));
    }

    #[test]
    fn services_without_input_enums_skip_output_enums_too() {
        let m = model();
        let shape = m.shape("Out").expect("shape");
        let v = json!({"Vpcs": [{"State": "gone"}]});
        assert!(check_output(&m, shape, &v, Checks::NoEnums).is_empty());
    }

    #[test]
    fn nulls_are_refused_because_absent_members_are_left_out() {
        assert_eq!(
            problems(json!({"Count": null})),
            ["Count: null (absent members are left out)"]
        );
    }

    #[test]
    fn order_key_must_name_members() {
        assert!(problems(json!({"$order": ["Vpcs"]})).is_empty());
        assert_eq!(problems(json!({"$order": ["Nope"]})).len(), 1);
    }
}
