//! Rules (`PutRule` … `DisableRule`) and tags on rules and buses.

use crate::common::{bus_name, invalid, opt_str, req_str, rule_arn, tag_list};
use crate::pattern::Pattern;
use crate::schedule::Schedule;
use crate::{buses, names, EventsError, EventsService, Rule, DEFAULT_BUS};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use gureum_store::WriteTxn;
use serde_json::json;

/// The store key of a rule.
pub(crate) fn rule_key(ctx: &RequestContext, bus: &str, name: &str) -> String {
    Scope::regional(ctx).key(&format!("{bus}|{name}"))
}

/// A rule, read through `txn`, or AWS's not-found error.
pub(crate) fn get_in(
    svc: &EventsService,
    txn: &WriteTxn,
    ctx: &RequestContext,
    bus: &str,
    name: &str,
) -> Result<Rule, AwsError> {
    txn.get(&svc.rules, &rule_key(ctx, bus, name))?
        .ok_or_else(|| not_found(bus, name))
}

fn not_found(bus: &str, name: &str) -> AwsError {
    EventsError::RuleNotFound {
        name: name.to_string(),
        bus: bus.to_string(),
    }
    .into()
}

/// A pattern checked as `PutRule` and `TestEventPattern` check it.
pub(crate) fn parse_pattern(text: &str) -> Result<Pattern, AwsError> {
    Pattern::parse(text).map_err(|reason| EventsError::InvalidPattern { reason }.into())
}

/// `PutRule`: creates or replaces a rule (its tags are kept and added to).
pub(crate) fn put(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = req_str(input, "Name")?;
    names::check("name", name, names::NAME_PATTERN)?;
    let bus = bus_name(input, "EventBusName");
    let pattern = opt_str(input, "EventPattern");
    let schedule = opt_str(input, "ScheduleExpression");
    if pattern.is_none() && schedule.is_none() {
        return Err(invalid(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        ));
    }
    if let Some(p) = pattern {
        parse_pattern(p)?;
    }
    if let Some(s) = schedule {
        if Schedule::parse(s).is_none() {
            return Err(invalid("Parameter ScheduleExpression is not valid."));
        }
        if bus != DEFAULT_BUS {
            return Err(invalid(
                "ScheduleExpression is supported only on the default event bus.",
            ));
        }
    }
    let state = opt_str(input, "State").unwrap_or("ENABLED");
    let now = ctx.clock.now_millis();
    let key = rule_key(ctx, &bus, name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        buses::get_in(svc, txn, ctx, &bus)?;
        let old = txn.get(&svc.rules, &key)?;
        let mut tags = old.as_ref().map(|r| r.tags.clone()).unwrap_or_default();
        tags.extend(tag_list(input));
        let same_schedule = old
            .as_ref()
            .is_some_and(|r| r.schedule.as_deref() == schedule);
        let created_ms = match &old {
            Some(r) if same_schedule => r.created_ms,
            _ => now,
        };
        let rule = Rule {
            name: name.to_string(),
            bus: bus.clone(),
            event_pattern: pattern.map(str::to_string),
            schedule: schedule.map(str::to_string),
            state: state.to_string(),
            description: opt_str(input, "Description").map(str::to_string),
            role_arn: opt_str(input, "RoleArn").map(str::to_string),
            created_ms,
            fired_until_ms: match &old {
                Some(r) if same_schedule => r.fired_until_ms.max(now),
                _ => now,
            },
            tags,
        };
        txn.put(&svc.rules, &key, &rule)?;
        Ok(())
    })?;
    svc.schedules_changed();
    Ok(json!({"RuleArn": rule_arn(&ctx.region, &ctx.account_id, &bus, name)}))
}

fn render(ctx: &RequestContext, rule: &Rule) -> Value {
    let mut out = json!({
        "Name": rule.name,
        "Arn": rule_arn(&ctx.region, &ctx.account_id, &rule.bus, &rule.name),
        "State": rule.state,
        "EventBusName": rule.bus,
    });
    for (member, value) in [
        ("EventPattern", &rule.event_pattern),
        ("ScheduleExpression", &rule.schedule),
        ("Description", &rule.description),
        ("RoleArn", &rule.role_arn),
    ] {
        if let Some(v) = value {
            out[member] = json!(v);
        }
    }
    out
}

/// `DescribeRule`.
pub(crate) fn describe(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = req_str(input, "Name")?;
    let bus = bus_name(input, "EventBusName");
    let rule = svc
        .rules
        .get(&rule_key(ctx, &bus, name))?
        .ok_or_else(|| not_found(&bus, name))?;
    let mut out = render(ctx, &rule);
    out["CreatedBy"] = json!(ctx.account_id);
    Ok(out)
}

/// `ListRules`: the bus's rules by name, filtered by `NamePrefix`.
pub(crate) fn list(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let bus = bus_name(input, "EventBusName");
    buses::get(svc, ctx, &bus)?;
    let prefix = opt_str(input, "NamePrefix").unwrap_or("");
    let request = PageRequest::new(
        input.get("Limit").and_then(Value::as_i64),
        opt_str(input, "NextToken"),
        (1, 100),
        100,
    )
    .map_err(buses::paging_error)?;
    let page = paging::page(&svc.rules, &rule_key(ctx, &bus, ""), &request, |_, r| {
        r.name.starts_with(prefix).then(|| render(ctx, &r))
    })?;
    let mut out = json!({"Rules": page.items});
    if let Some(t) = page.next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// `DeleteRule`: refused while targets remain; an absent rule is no error.
pub(crate) fn delete(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = req_str(input, "Name")?;
    let bus = bus_name(input, "EventBusName");
    let key = rule_key(ctx, &bus, name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if !txn
            .scan_prefix(&svc.targets, &format!("{key}|"))?
            .is_empty()
        {
            return Err(invalid("Rule can't be deleted since it has targets."));
        }
        txn.delete(&svc.rules, &key)?;
        Ok(())
    })?;
    svc.schedules_changed();
    Ok(json!({}))
}

/// `EnableRule` and `DisableRule`.
pub(crate) fn set_state(
    svc: &EventsService,
    ctx: &RequestContext,
    input: &Value,
    state: &str,
) -> OpResult {
    let name = req_str(input, "Name")?;
    let bus = bus_name(input, "EventBusName");
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let mut rule = get_in(svc, txn, ctx, &bus, name)?;
        if !rule.enabled() && state != "DISABLED" {
            // A schedule resumes from now, not from when it was disabled.
            rule.fired_until_ms = rule.fired_until_ms.max(now);
        }
        rule.state = state.to_string();
        txn.put(&svc.rules, &rule_key(ctx, &bus, name), &rule)?;
        Ok(())
    })?;
    svc.schedules_changed();
    Ok(json!({}))
}

/// What a resource ARN names, in the caller's scope.
enum Tagged {
    Bus(String),
    Rule(String, String),
}

fn tagged(ctx: &RequestContext, arn: &str) -> Result<Tagged, AwsError> {
    let head = format!("arn:aws:events:{}:{}:", ctx.region, ctx.account_id);
    let missing = || EventsError::ArnNotFound {
        arn: arn.to_string(),
    };
    let resource = arn.strip_prefix(&head).ok_or_else(missing)?;
    if let Some(bus) = resource.strip_prefix("event-bus/") {
        return Ok(Tagged::Bus(bus.to_string()));
    }
    let rule = resource.strip_prefix("rule/").ok_or_else(missing)?;
    Ok(match rule.rsplit_once('/') {
        Some((bus, name)) => Tagged::Rule(bus.to_string(), name.to_string()),
        None => Tagged::Rule(DEFAULT_BUS.to_string(), rule.to_string()),
    })
}

/// Changes the tags of the resource `ResourceARN` names.
fn with_tags(
    svc: &EventsService,
    ctx: &RequestContext,
    input: &Value,
    change: impl Fn(&mut std::collections::BTreeMap<String, String>),
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let arn = req_str(input, "ResourceARN")?;
    let target = tagged(ctx, arn)?;
    svc.store.write(|txn| match &target {
        Tagged::Bus(name) => {
            let mut bus = buses::get_in(svc, txn, ctx, name).map_err(|_| {
                AwsError::from(EventsError::ArnNotFound {
                    arn: arn.to_string(),
                })
            })?;
            change(&mut bus.tags);
            if bus.created_ms == 0 {
                bus.created_ms = ctx.clock.now_millis();
                bus.modified_ms = bus.created_ms;
            }
            txn.put(&svc.buses, &Scope::regional(ctx).key(name), &bus)?;
            Ok(bus.tags)
        }
        Tagged::Rule(bus, name) => {
            let mut rule = get_in(svc, txn, ctx, bus, name)?;
            change(&mut rule.tags);
            txn.put(&svc.rules, &rule_key(ctx, bus, name), &rule)?;
            Ok(rule.tags)
        }
    })
}

/// `TagResource`.
pub(crate) fn tag(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let tags = tag_list(input);
    with_tags(svc, ctx, input, |t| t.extend(tags.iter().cloned()))?;
    Ok(json!({}))
}

/// `UntagResource`.
pub(crate) fn untag(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let keys: Vec<String> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|k| {
            k.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    with_tags(svc, ctx, input, |t| {
        keys.iter().for_each(|k| {
            t.remove(k);
        })
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub(crate) fn list_tags(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = req_str(input, "ResourceARN")?;
    let tags = match tagged(ctx, arn)? {
        Tagged::Bus(name) => {
            buses::get(svc, ctx, &name)
                .map_err(|_| {
                    AwsError::from(EventsError::ArnNotFound {
                        arn: arn.to_string(),
                    })
                })?
                .tags
        }
        Tagged::Rule(bus, name) => {
            svc.rules
                .get(&rule_key(ctx, &bus, &name))?
                .ok_or_else(|| not_found(&bus, &name))?
                .tags
        }
    };
    let list: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": list}))
}
