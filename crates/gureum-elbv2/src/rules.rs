//! Listener rules: `CreateRule`, `DescribeRules`, `ModifyRule`,
//! `DeleteRule`, `SetRulePriorities`. A listener's default rule is its
//! `DefaultActions`, answered with `Priority` `default`.

use crate::errors::{validation, Elbv2Error};
use crate::listeners::check_actions;
use crate::records::{Listener, Rule};
use crate::util::{new_id, page, string, strings, with_marker};
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The ARN of a rule `id` of listener `l`.
fn rule_arn(listener_arn: &str, id: &str) -> String {
    format!(
        "{}/{id}",
        listener_arn.replacen(":listener/", ":listener-rule/", 1)
    )
}

/// The values of a condition: its config's `Values` or the legacy ones.
fn values_of(c: &Value, config: &str) -> Vec<Value> {
    c[config]["Values"]
        .as_array()
        .or_else(|| c["Values"].as_array())
        .cloned()
        .unwrap_or_default()
}

/// Checks and normalises conditions to the form AWS describes them in.
pub fn check_conditions(conditions: &[Value]) -> Result<Vec<Value>, AwsError> {
    if conditions.is_empty() {
        return Err(validation("A rule must have at least one condition"));
    }
    let mut out = Vec::new();
    for c in conditions {
        let field = c["Field"].as_str().unwrap_or_default();
        let v = match field {
            "host-header" | "path-pattern" => {
                let config = if field == "host-header" {
                    "HostHeaderConfig"
                } else {
                    "PathPatternConfig"
                };
                let values = values_of(c, config);
                if values.is_empty() {
                    return Err(validation(format!(
                        "A '{field}' condition must have at least one value"
                    )));
                }
                json!({"Field": field, "Values": values, config: {"Values": values}})
            }
            "http-header" => {
                let name = c["HttpHeaderConfig"]["HttpHeaderName"]
                    .as_str()
                    .ok_or_else(|| {
                        validation("An 'http-header' condition must have a header name")
                    })?;
                let values = values_of(c, "HttpHeaderConfig");
                json!({"Field": field, "HttpHeaderConfig": {"HttpHeaderName": name, "Values": values}})
            }
            "http-request-method" => {
                let values = values_of(c, "HttpRequestMethodConfig");
                for m in &values {
                    let m = m.as_str().unwrap_or_default();
                    if m.is_empty()
                        || !m
                            .chars()
                            .all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch == '-')
                    {
                        return Err(validation(format!(
                            "The HTTP request method '{m}' is not valid"
                        )));
                    }
                }
                json!({"Field": field, "HttpRequestMethodConfig": {"Values": values}})
            }
            "query-string" => {
                let values = c["QueryStringConfig"]["Values"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if values.is_empty() {
                    return Err(validation(
                        "A 'query-string' condition must have at least one key/value pair",
                    ));
                }
                json!({"Field": field, "QueryStringConfig": {"Values": values}})
            }
            "source-ip" => {
                let values = values_of(c, "SourceIpConfig");
                for cidr in &values {
                    let s = cidr.as_str().unwrap_or_default();
                    if crate::plane::rules::parse_cidr(s).is_none() {
                        return Err(validation(format!("The CIDR '{s}' is not valid")));
                    }
                }
                json!({"Field": field, "SourceIpConfig": {"Values": values}})
            }
            other => {
                return Err(validation(format!(
                    "The condition field '{other}' is not supported"
                )))
            }
        };
        out.push(v);
    }
    Ok(out)
}

/// A rule as the model's `Rule`.
fn to_value(r: &Rule) -> Value {
    json!({
        "RuleArn": r.arn,
        "Priority": r.priority.to_string(),
        "Conditions": r.conditions,
        "Actions": r.actions,
        "IsDefault": false,
    })
}

/// A listener's default rule as the model's `Rule`.
fn default_value(l: &Listener) -> Value {
    json!({
        "RuleArn": rule_arn(&l.arn, &l.default_rule_id),
        "Priority": "default",
        "Conditions": [],
        "Actions": l.default_actions,
        "IsDefault": true,
    })
}

/// `CreateRule`.
pub fn create(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let l = svc.listener(ctx, string(input, "ListenerArn").unwrap_or_default())?;
    let lb = svc.load_balancer(ctx, &l.load_balancer_arn)?;
    if lb.kind != "application" {
        return Err(validation(format!(
            "Rules are not supported for listeners of protocol '{}'",
            l.protocol
        )));
    }
    let priority = input["Priority"].as_i64().unwrap_or_default();
    let rules = svc.all_rules(ctx)?;
    if rules
        .iter()
        .any(|r| r.listener_arn == l.arn && r.priority == priority)
    {
        return Err(Elbv2Error::PriorityInUse { priority }.into());
    }
    let conditions = check_conditions(input["Conditions"].as_array().map_or(&[], |v| v))?;
    let actions = check_actions(
        svc,
        ctx,
        &lb,
        &l.protocol,
        input["Actions"].as_array().map_or(&[], |v| v),
    )?;
    crate::tags::check(input)?;
    let id = new_id();
    let rule = Rule {
        arn: rule_arn(&l.arn, &id),
        id: id.clone(),
        listener_arn: l.arn.clone(),
        priority,
        conditions,
        actions,
    };
    svc.rules.put(&Scope::regional(ctx).key(&id), &rule)?;
    crate::tags::put_initial(svc, ctx, &rule.arn, input)?;
    Ok(json!({"Rules": [to_value(&rule)]}))
}

/// `DescribeRules`: by listener (priority order, default last) or ARNs.
pub fn describe(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let rules = svc.all_rules(ctx)?;
    let listeners = svc.all_listeners(ctx)?;
    let arns = strings(input, "RuleArns");
    let items: Vec<Value> = if let Some(arn) = string(input, "ListenerArn") {
        let l = svc.listener(ctx, arn)?;
        let mut mine: Vec<&Rule> = rules.iter().filter(|r| r.listener_arn == l.arn).collect();
        mine.sort_by_key(|r| r.priority);
        let mut items: Vec<Value> = mine.into_iter().map(to_value).collect();
        items.push(default_value(&l));
        items
    } else if !arns.is_empty() {
        let mut items = Vec::new();
        for a in &arns {
            if let Some(r) = rules.iter().find(|r| &r.arn == a) {
                items.push(to_value(r));
            } else if let Some(l) = listeners
                .iter()
                .find(|l| rule_arn(&l.arn, &l.default_rule_id) == *a)
            {
                items.push(default_value(l));
            } else {
                return Err(Elbv2Error::RuleNotFound.into());
            }
        }
        items
    } else {
        return Err(validation(
            "You must specify either listener ARNs or rule ARNs",
        ));
    };
    let (items, next) = page(input, items)?;
    Ok(with_marker(json!({"Rules": items}), next))
}

/// `ModifyRule`: conditions and actions (only actions for a default rule).
pub fn modify(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = string(input, "RuleArn").unwrap_or_default();
    let scope = Scope::regional(ctx);
    if let Some(mut l) = svc
        .all_listeners(ctx)?
        .into_iter()
        .find(|l| rule_arn(&l.arn, &l.default_rule_id) == arn)
    {
        if input["Conditions"].is_array() {
            return Err(Elbv2Error::OperationNotPermitted {
                message: "Conditions cannot be added to a default rule".into(),
            }
            .into());
        }
        if let Some(actions) = input["Actions"].as_array() {
            let lb = svc.load_balancer(ctx, &l.load_balancer_arn)?;
            l.default_actions = check_actions(svc, ctx, &lb, &l.protocol, actions)?;
            svc.listeners.put(&scope.key(&l.id), &l)?;
        }
        return Ok(json!({"Rules": [default_value(&l)]}));
    }
    let mut r = svc
        .rules
        .get(&scope.key(crate::util::id_of(arn)))?
        .filter(|r| r.arn == arn)
        .ok_or(Elbv2Error::RuleNotFound)?;
    if let Some(c) = input["Conditions"].as_array() {
        r.conditions = check_conditions(c)?;
    }
    if let Some(actions) = input["Actions"].as_array() {
        let l = svc.listener(ctx, &r.listener_arn)?;
        let lb = svc.load_balancer(ctx, &l.load_balancer_arn)?;
        r.actions = check_actions(svc, ctx, &lb, &l.protocol, actions)?;
    }
    svc.rules.put(&scope.key(&r.id), &r)?;
    Ok(json!({"Rules": [to_value(&r)]}))
}

/// `DeleteRule`: a default rule cannot be deleted.
pub fn delete(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = string(input, "RuleArn").unwrap_or_default();
    if svc
        .all_listeners(ctx)?
        .iter()
        .any(|l| rule_arn(&l.arn, &l.default_rule_id) == arn)
    {
        return Err(Elbv2Error::OperationNotPermitted {
            message: format!("Default rule '{arn}' cannot be deleted"),
        }
        .into());
    }
    let scope = Scope::regional(ctx);
    let r = svc
        .rules
        .get(&scope.key(crate::util::id_of(arn)))?
        .filter(|r| r.arn == arn)
        .ok_or(Elbv2Error::RuleNotFound)?;
    svc.store.write(|txn| -> Result<(), AwsError> {
        txn.delete(&svc.rules, &scope.key(&r.id))?;
        txn.delete(&svc.tags, &scope.key(&r.arn))?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `SetRulePriorities`: all at once, refused if two rules of a listener
/// would share a priority.
pub fn set_priorities(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut rules = svc.all_rules(ctx)?;
    let listeners = svc.all_listeners(ctx)?;
    let mut changed = Vec::new();
    for p in input["RulePriorities"].as_array().into_iter().flatten() {
        let arn = p["RuleArn"].as_str().unwrap_or_default();
        let priority = p["Priority"].as_i64().unwrap_or_default();
        if listeners
            .iter()
            .any(|l| rule_arn(&l.arn, &l.default_rule_id) == arn)
        {
            return Err(Elbv2Error::OperationNotPermitted {
                message: format!("The priority of default rule '{arn}' cannot be changed"),
            }
            .into());
        }
        let r = rules
            .iter_mut()
            .find(|r| r.arn == arn)
            .ok_or(Elbv2Error::RuleNotFound)?;
        r.priority = priority;
        changed.push(r.id.clone());
    }
    for r in &rules {
        if rules
            .iter()
            .any(|o| o.id != r.id && o.listener_arn == r.listener_arn && o.priority == r.priority)
        {
            return Err(Elbv2Error::PriorityInUse {
                priority: r.priority,
            }
            .into());
        }
    }
    let scope = Scope::regional(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        for r in rules.iter().filter(|r| changed.contains(&r.id)) {
            txn.put(&svc.rules, &scope.key(&r.id), r)?;
        }
        Ok(())
    })?;
    let out: Vec<Value> = rules
        .iter()
        .filter(|r| changed.contains(&r.id))
        .map(to_value)
        .collect();
    Ok(json!({"Rules": out}))
}
