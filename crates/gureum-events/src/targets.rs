//! Targets of rules: `PutTargets`, `RemoveTargets`, `ListTargetsByRule`,
//! `ListRuleNamesByTarget`.

use crate::common::{bus_name, invalid, opt_str, req_str};
use crate::rules::{get_in, rule_key};
use crate::transform::json_path;
use crate::{buses, names, EventsError, EventsService, StoredTarget};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;

/// The most targets a rule has (AWS's quota).
pub const MAX_TARGETS_PER_RULE: usize = 5;

/// Why one target of a `PutTargets` is refused (a failed entry), or `None`.
fn entry_problem(target: &Value) -> Option<(&'static str, String)> {
    let arn = target
        .get("Arn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || parts[2].is_empty() {
        return Some((
            "ValidationException",
            "Parameter(s) Arn not valid.".to_string(),
        ));
    }
    None
}

/// Whole-request checks of one target's input settings.
fn check_input(target: &Value) -> Result<(), AwsError> {
    let id = target.get("Id").and_then(Value::as_str).unwrap_or_default();
    let given = ["Input", "InputPath", "InputTransformer"]
        .iter()
        .filter(|m| target.get(**m).is_some())
        .count();
    if given > 1 {
        return Err(invalid(
            "Only one of Input, InputPath, or InputTransformer must be provided.",
        ));
    }
    if let Some(input) = target.get("Input").and_then(Value::as_str) {
        if serde_json::from_str::<Value>(input).is_err() {
            return Err(invalid(format!(
                "Target {id}: Input is not valid JSON text."
            )));
        }
    }
    // A FIFO queue takes messages only in a group: AWS refuses the target
    // without one.
    let arn = target
        .get("Arn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let group = target
        .get("SqsParameters")
        .and_then(|p| p.get("MessageGroupId"))
        .and_then(Value::as_str);
    if arn.starts_with("arn:aws:sqs:") && arn.ends_with(".fifo") && group.is_none() {
        return Err(invalid(format!(
            "Parameter(s) SqsParameters must be specified for target: {id}."
        )));
    }
    let bad_path = |p: &str| json_path(&Value::Null, p).is_err();
    if let Some(path) = target.get("InputPath").and_then(Value::as_str) {
        if bad_path(path) {
            return Err(invalid(format!(
                "Target {id}: InputPath is not a valid JSONPath."
            )));
        }
    }
    if let Some(t) = target.get("InputTransformer") {
        let paths = t.get("InputPathsMap").and_then(Value::as_object);
        if paths.is_some_and(|m| m.len() > 100) {
            return Err(invalid(format!(
                "Target {id}: InputPathsMap has more than 100 entries."
            )));
        }
        for (key, path) in paths.into_iter().flatten() {
            if key.starts_with("aws.events.") {
                return Err(invalid(format!(
                    "Target {id}: InputPathsMap key {key} is reserved."
                )));
            }
            if path.as_str().is_none_or(bad_path) {
                return Err(invalid(format!(
                    "Target {id}: InputPathsMap value for {key} is not a valid JSONPath."
                )));
            }
        }
    }
    Ok(())
}

/// `PutTargets`: adds or replaces targets by id; a target refused alone
/// is a failed entry, the others are saved.
pub(crate) fn put(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let rule = req_str(input, "Rule")?;
    let bus = bus_name(input, "EventBusName");
    let given = input
        .get("Targets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in given.iter().enumerate() {
        let id = t.get("Id").and_then(Value::as_str).unwrap_or_default();
        names::check(
            &format!("targets.{}.member.id", i + 1),
            id,
            names::NAME_PATTERN,
        )?;
        check_input(t)?;
        if !seen.insert(id) {
            return Err(invalid(format!("Duplicate target id {id} in the request.")));
        }
    }
    let key = rule_key(ctx, &bus, rule);
    let failed = svc.store.write(|txn| -> Result<Vec<Value>, AwsError> {
        get_in(svc, txn, ctx, &bus, rule)?;
        let existing = txn.scan_prefix(&svc.targets, &format!("{key}|"))?;
        let mut failed = Vec::new();
        let mut accepted = Vec::new();
        for t in &given {
            let id = t.get("Id").and_then(Value::as_str).unwrap_or_default();
            match entry_problem(t) {
                Some((code, message)) => failed.push(json!({
                    "TargetId": id, "ErrorCode": code, "ErrorMessage": message,
                })),
                None => accepted.push((id, t)),
            }
        }
        let new_ids = accepted
            .iter()
            .filter(|(id, _)| !existing.iter().any(|(k, _)| k.ends_with(&format!("|{id}"))))
            .count();
        if existing.len() + new_ids > MAX_TARGETS_PER_RULE {
            return Err(EventsError::TooManyTargets.into());
        }
        for (id, t) in accepted {
            let stored = StoredTarget {
                rule: rule.to_string(),
                target: t.clone(),
            };
            txn.put(&svc.targets, &format!("{key}|{id}"), &stored)?;
        }
        Ok(failed)
    })?;
    Ok(json!({"FailedEntryCount": failed.len(), "FailedEntries": failed}))
}

/// `RemoveTargets`: ids the rule does not have are ignored.
pub(crate) fn remove(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let rule = req_str(input, "Rule")?;
    let bus = bus_name(input, "EventBusName");
    let ids: Vec<String> = input
        .get("Ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let key = rule_key(ctx, &bus, rule);
    svc.store.write(|txn| -> Result<(), AwsError> {
        get_in(svc, txn, ctx, &bus, rule)?;
        for id in &ids {
            txn.delete(&svc.targets, &format!("{key}|{id}"))?;
        }
        Ok(())
    })?;
    Ok(json!({"FailedEntryCount": 0, "FailedEntries": []}))
}

/// `ListTargetsByRule`.
pub(crate) fn list(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let rule = req_str(input, "Rule")?;
    let bus = bus_name(input, "EventBusName");
    let key = rule_key(ctx, &bus, rule);
    if svc.rules.get(&key)?.is_none() {
        return Err(EventsError::RuleNotFound {
            name: rule.to_string(),
            bus,
        }
        .into());
    }
    let request = PageRequest::new(
        input.get("Limit").and_then(Value::as_i64),
        opt_str(input, "NextToken"),
        (1, 100),
        100,
    )
    .map_err(buses::paging_error)?;
    let page = paging::page(&svc.targets, &format!("{key}|"), &request, |_, t| {
        Some(t.target)
    })?;
    let mut out = json!({"Targets": page.items});
    if let Some(t) = page.next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// `ListRuleNamesByTarget`: the bus's rules with a target of that ARN.
pub(crate) fn rule_names_by_target(
    svc: &EventsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let arn = req_str(input, "TargetArn")?;
    let bus = bus_name(input, "EventBusName");
    buses::get(svc, ctx, &bus)?;
    let prefix = Scope::regional(ctx).key(&format!("{bus}|"));
    let mut names: Vec<String> = svc
        .targets
        .scan_prefix(&prefix)?
        .into_iter()
        .filter(|(_, t)| t.target.get("Arn").and_then(Value::as_str) == Some(arn))
        .map(|(_, t)| t.rule)
        .collect();
    names.dedup();
    let request = PageRequest::new(
        input.get("Limit").and_then(Value::as_i64),
        opt_str(input, "NextToken"),
        (1, 100),
        100,
    )
    .map_err(buses::paging_error)?;
    let page = paging::page_sorted(&names, String::clone, &request);
    let mut out = json!({"RuleNames": page.items});
    if let Some(t) = page.next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}
