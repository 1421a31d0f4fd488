//! The legacy (pre-expression) parameters AWS still accepts, translated
//! into the expression trees: `Expected`, `KeyConditions`, `QueryFilter`
//! and `ScanFilter` into conditions, `AttributeUpdates` into actions.

use crate::errors::validation;
use crate::expr::parser::{Action, Cmp, Cond, Elem, Operand};
use crate::value::AttrValue;
use gureum_core::AwsError;
use serde_json::Value;

fn path(name: &str) -> Vec<Elem> {
    vec![Elem::Attr(name.to_string())]
}

fn values(spec: &Value) -> Result<Vec<AttrValue>, AwsError> {
    let mut out = vec![];
    if let Some(a) = spec.get("AttributeValueList").and_then(Value::as_array) {
        for v in a {
            out.push(AttrValue::from_json(v)?);
        }
    } else if let Some(v) = spec.get("Value") {
        out.push(AttrValue::from_json(v)?);
    }
    Ok(out)
}

/// One `attribute: {ComparisonOperator, AttributeValueList}` condition.
pub fn comparison(name: &str, op: &str, vals: Vec<AttrValue>) -> Result<Cond, AwsError> {
    let p = || Operand::Path(path(name));
    let need = |n: usize| -> Result<(), AwsError> {
        if vals.len() != n {
            return Err(validation(format!(
                "One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator"
            )));
        }
        Ok(())
    };
    let v = |i: usize| Operand::Value(vals[i].clone());
    let cmp = |c: Cmp| -> Result<Cond, AwsError> {
        need(1)?;
        Ok(Cond::Compare(p(), c, v(0)))
    };
    match op {
        "EQ" => cmp(Cmp::Eq),
        "NE" => cmp(Cmp::Ne),
        "LE" => cmp(Cmp::Le),
        "LT" => cmp(Cmp::Lt),
        "GE" => cmp(Cmp::Ge),
        "GT" => cmp(Cmp::Gt),
        "NOT_NULL" => {
            need(0)?;
            Ok(Cond::Exists(path(name)))
        }
        "NULL" => {
            need(0)?;
            Ok(Cond::NotExists(path(name)))
        }
        "CONTAINS" => {
            need(1)?;
            Ok(Cond::Contains(p(), v(0)))
        }
        "NOT_CONTAINS" => {
            need(1)?;
            Ok(Cond::And(
                Box::new(Cond::Exists(path(name))),
                Box::new(Cond::Not(Box::new(Cond::Contains(p(), v(0))))),
            ))
        }
        "BEGINS_WITH" => {
            need(1)?;
            Ok(Cond::BeginsWith(p(), v(0)))
        }
        "IN" => {
            if vals.is_empty() {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator"
                )));
            }
            Ok(Cond::In(p(), vals.iter().cloned().map(Operand::Value).collect()))
        }
        "BETWEEN" => {
            need(2)?;
            Ok(Cond::Between(p(), v(0), v(1)))
        }
        other => Err(validation(format!(
            "1 validation error detected: Value '{other}' failed to satisfy constraint: Member must satisfy enum value set"
        ))),
    }
}

fn combine(conds: Vec<Cond>, op: Option<&str>) -> Option<Cond> {
    let or = op == Some("OR");
    conds.into_iter().reduce(|a, b| {
        if or {
            Cond::Or(Box::new(a), Box::new(b))
        } else {
            Cond::And(Box::new(a), Box::new(b))
        }
    })
}

/// `Expected` (with `ConditionalOperator`).
pub fn expected(spec: &Value, op: Option<&str>) -> Result<Option<Cond>, AwsError> {
    let mut conds = vec![];
    for (name, e) in spec.as_object().into_iter().flatten() {
        let vals = values(e)?;
        let c = if let Some(o) = e.get("ComparisonOperator").and_then(Value::as_str) {
            comparison(name, o, vals)?
        } else if e.get("Exists").and_then(Value::as_bool) == Some(false) {
            if !vals.is_empty() {
                return Err(validation(
                    "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: ".to_string() + name,
                ));
            }
            Cond::NotExists(path(name))
        } else {
            let Some(v) = vals.into_iter().next() else {
                return Err(validation(
                    "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: ".to_string() + name,
                ));
            };
            Cond::Compare(Operand::Path(path(name)), Cmp::Eq, Operand::Value(v))
        };
        conds.push(c);
    }
    Ok(combine(conds, op))
}

/// `KeyConditions`, `QueryFilter`, `ScanFilter` (with `ConditionalOperator`).
pub fn conditions(spec: &Value, op: Option<&str>) -> Result<Option<Cond>, AwsError> {
    let mut conds = vec![];
    for (name, e) in spec.as_object().into_iter().flatten() {
        let o = e
            .get("ComparisonOperator")
            .and_then(Value::as_str)
            .unwrap_or("EQ");
        conds.push(comparison(name, o, values(e)?)?);
    }
    Ok(combine(conds, op))
}

/// `AttributeUpdates`.
pub fn attribute_updates(spec: &Value) -> Result<Vec<Action>, AwsError> {
    let mut out = vec![];
    for (name, u) in spec.as_object().into_iter().flatten() {
        let value = match u.get("Value") {
            Some(v) => Some(AttrValue::from_json(v)?),
            None => None,
        };
        let action = u.get("Action").and_then(Value::as_str).unwrap_or("PUT");
        out.push(match (action, value) {
            ("PUT", Some(v)) => Action::Set(path(name), Operand::Value(v)),
            ("ADD", Some(v)) => Action::Add(path(name), v),
            ("DELETE", Some(v)) => Action::Delete(path(name), v),
            ("DELETE", None) => Action::Remove(path(name)),
            _ => {
                return Err(validation(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified",
                ))
            }
        });
    }
    Ok(out)
}
