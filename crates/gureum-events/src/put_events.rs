//! `PutEvents` (validation, partial failures, matching every enabled rule
//! of the bus and delivering to its targets), `TestEventPattern`, and
//! scheduled rules firing on Gureum's clock.

use crate::common::{bus_name, invalid, opt_str, req_str, rule_arn};
use crate::rules::parse_pattern;
use crate::schedule::Schedule;
use crate::sink::Origin;
use crate::transform::{json_path, transform, RuleVars};
use crate::{EventsService, Rule, StoredTarget};
use gureum_core::timestamp::format_iso8601_seconds;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::sync::atomic::Ordering;

/// The largest `PutEvents` request, summed over its entries (256 KiB).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// The most scheduled firings caught up in one evaluation of one rule.
const MAX_CATCH_UP: usize = 1000;

/// `TestEventPattern`.
pub(crate) fn test_event_pattern(_ctx: &RequestContext, input: &Value) -> OpResult {
    let pattern = parse_pattern(req_str(input, "EventPattern")?)?;
    let event: Value = serde_json::from_str(req_str(input, "Event")?)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| invalid("Parameter Event is not valid."))?;
    // The fields the API reference makes mandatory (`resources` is not
    // checked in practice).
    let required = ["id", "account", "source", "time", "region", "detail-type"];
    if required.iter().any(|m| event.get(m).is_none()) {
        return Err(invalid("Parameter Event is not valid."));
    }
    Ok(json!({"Result": pattern.matches(&event)}))
}

/// An entry's size as AWS counts it: Time, Source, DetailType, Detail and
/// Resources, in UTF-8 bytes.
fn entry_size(entry: &Value) -> usize {
    let text = |m: &str| opt_str(entry, m).map_or(0, str::len);
    let resources: usize = entry
        .get("Resources")
        .and_then(Value::as_array)
        .map_or(0, |r| {
            r.iter().filter_map(Value::as_str).map(str::len).sum()
        });
    let time = if entry.get("Time").is_some() { 14 } else { 0 };
    time + text("Source") + text("DetailType") + text("Detail") + resources
}

fn failed(code: &str, message: String) -> Value {
    json!({"ErrorCode": code, "ErrorMessage": message})
}

/// `PutEvents`.
pub(crate) fn put_events(svc: &EventsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let entries = input
        .get("Entries")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if entries.iter().map(entry_size).sum::<usize>() > MAX_REQUEST_BYTES {
        return Err(invalid(
            "Total size of the entries in the request is over the limit.",
        ));
    }
    let now = ctx.clock.now_millis();
    let mut results = Vec::with_capacity(entries.len());
    let mut failures = 0;
    for entry in &entries {
        match accept(svc, ctx, entry, now) {
            Ok(id) => results.push(json!({"EventId": id})),
            Err(f) => {
                failures += 1;
                results.push(f);
            }
        }
    }
    Ok(json!({"FailedEntryCount": failures, "Entries": results}))
}

/// Validates one entry, builds its event and sends it through the bus.
fn accept(
    svc: &EventsService,
    ctx: &RequestContext,
    entry: &Value,
    now: i64,
) -> Result<String, Value> {
    for member in ["Source", "DetailType", "Detail"] {
        if opt_str(entry, member).is_none_or(str::is_empty) {
            return Err(failed(
                "InvalidArgument",
                format!(
                    "Parameter {member} is not valid. Reason: {member} is a required argument."
                ),
            ));
        }
    }
    let detail: Value = opt_str(entry, "Detail")
        .and_then(|d| serde_json::from_str(d).ok())
        .filter(Value::is_object)
        .ok_or_else(|| failed("MalformedDetail", "Detail is malformed.".to_string()))?;
    // A bus that does not exist takes the event and routes it nowhere:
    // AWS answers an EventId (reported by SDK users, aws/aws-cli#9186).
    let bus = bus_name(entry, "EventBusName");
    // A bus ARN may name another account's bus (in this region), which
    // takes the event when its policy lets the caller's account put events.
    let given = opt_str(entry, "EventBusName").unwrap_or_default();
    let (account, region) = match bus_target(given) {
        Some((a, r, _)) if a != ctx.account_id || r != ctx.region => {
            let key = format!("{a}/{r}/{bus}");
            let policy = svc
                .buses
                .get(&key)
                .map_err(|e| failed("InternalException", AwsError::from(e).message))?
                .and_then(|b| b.policy);
            if r != ctx.region || !policy_allows(policy.as_deref(), &ctx.account_id) {
                return Err(failed(
                    "AccessDeniedException",
                    format!(
                        "User: {} is not authorized to perform: events:PutEvents on resource: {given} because no resource-based policy allows the events:PutEvents action",
                        ctx.principal.arn()
                    ),
                ));
            }
            (a.to_string(), r.to_string())
        }
        _ => (ctx.account_id.clone(), ctx.region.clone()),
    };
    let time_ms = entry
        .get("Time")
        .and_then(Value::as_f64)
        .map_or(now, |s| (s * 1000.0) as i64);
    let id = gureum_core::id::uuid_v4();
    let event = json!({
        "version": "0",
        "id": id,
        "detail-type": opt_str(entry, "DetailType"),
        "source": opt_str(entry, "Source"),
        "account": ctx.account_id,
        "time": format_iso8601_seconds(time_ms),
        "region": region,
        "resources": entry.get("Resources").cloned().unwrap_or_else(|| json!([])),
        "detail": detail,
    });
    route(svc, &account, &region, &bus, &event, now, 0)
        .map_err(|e| failed("InternalException", e.message.clone()))?;
    Ok(id)
}

/// Sends `event` to every enabled pattern rule of the bus that matches it;
/// `hops` counts the buses it came through.
pub(crate) fn route(
    svc: &EventsService,
    account: &str,
    region: &str,
    bus: &str,
    event: &Value,
    now: i64,
    hops: u8,
) -> Result<(), AwsError> {
    let prefix = format!("{account}/{region}/{bus}|");
    for (_, rule) in svc.rules.scan_prefix(&prefix)? {
        let Some(text) = rule.event_pattern.as_deref().filter(|_| rule.enabled()) else {
            continue;
        };
        let Some(pattern) = svc.pattern(text) else {
            continue;
        };
        if pattern.matches(event) {
            deliver(svc, account, region, &rule, event, now, hops)?;
        }
    }
    Ok(())
}

/// What a target receives for `event`, after its input settings.
pub(crate) fn payload(target: &Value, event: &Value, rule: &RuleVars<'_>) -> String {
    if let Some(input) = target.get("Input").and_then(Value::as_str) {
        return input.to_string();
    }
    if let Some(path) = target.get("InputPath").and_then(Value::as_str) {
        let value = json_path(event, path).ok().flatten().cloned();
        return value.unwrap_or(Value::Null).to_string();
    }
    if let Some(t) = target.get("InputTransformer") {
        let empty = serde_json::Map::new();
        let paths = t
            .get("InputPathsMap")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let template = t
            .get("InputTemplate")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return transform(event, paths, template, rule);
    }
    event.to_string()
}

/// The most buses an event goes through by bus targets (the first and one
/// more), so rules forwarding between buses cannot loop.
const MAX_BUS_HOPS: u8 = 1;

/// `(account, region, bus)` of an event-bus ARN.
fn bus_target(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:events:")?;
    let mut parts = rest.splitn(3, ':');
    let region = parts.next()?;
    let account = parts.next()?;
    let bus = parts.next()?.strip_prefix("event-bus/")?;
    Some((account, region, bus))
}

/// Whether the bus's policy lets `account` put events on it.
fn policy_allows(policy: Option<&str>, account: &str) -> bool {
    let Some(policy) = policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return false;
    };
    let root = format!("arn:aws:iam::{account}:root");
    let listed = |v: Option<&Value>, want: &dyn Fn(&str) -> bool| match v {
        Some(Value::String(s)) => want(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(want),
        _ => false,
    };
    let statements = match policy.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && listed(s.get("Action"), &|a| {
                a == "events:PutEvents" || a == "events:*"
            })
            && match s.get("Principal") {
                Some(Value::String(p)) => p == "*",
                Some(p) => listed(p.get("AWS"), &|a| a == "*" || a == root || a == account),
                None => false,
            }
    })
}

/// Hands `event` to every target of `rule`: another bus routes it again
/// (same account, or one whose policy allows the sender), every other
/// target goes through the sink. A failed delivery does not fail the event
/// (AWS retries, then drops it or sends it to a dead-letter queue).
fn deliver(
    svc: &EventsService,
    account: &str,
    region: &str,
    rule: &Rule,
    event: &Value,
    now: i64,
    hops: u8,
) -> Result<(), AwsError> {
    let arn = rule_arn(region, account, &rule.bus, &rule.name);
    let vars = RuleVars {
        arn: &arn,
        name: &rule.name,
        ingestion_ms: now,
    };
    let prefix = format!("{account}/{region}/{}|{}|", rule.bus, rule.name);
    let targets: Vec<(String, StoredTarget)> = svc.targets.scan_prefix(&prefix)?;
    for (_, stored) in targets {
        let t = &stored.target;
        let id = t.get("Id").and_then(Value::as_str).unwrap_or_default();
        let target_arn = t.get("Arn").and_then(Value::as_str).unwrap_or_default();
        let origin = Origin {
            account,
            region,
            rule_arn: &arn,
            target_id: id,
            target: t,
        };
        if let Some((to_account, to_region, to_bus)) = bus_target(target_arn) {
            let key = format!("{to_account}/{to_region}/{to_bus}");
            let allowed = to_account == account
                || policy_allows(
                    svc.buses.get(&key)?.and_then(|b| b.policy).as_deref(),
                    account,
                );
            if hops < MAX_BUS_HOPS && allowed {
                route(svc, to_account, to_region, to_bus, event, now, hops + 1)?;
            }
            continue;
        }
        let body = payload(t, event, &vars);
        if let Err(reason) = svc.sink.deliver(&origin, target_arn, &body, now) {
            tracing::warn!(target: "gureum", "events: delivery to {target_arn} failed: {reason}");
        }
    }
    Ok(())
}

/// Fires every enabled scheduled rule (all accounts and regions) for each
/// of its times in (`fired_until`, `now_ms`], and returns how many times
/// fired. Cheap when nothing is due: the next due time is remembered.
pub(crate) fn fire_due(svc: &EventsService, now_ms: i64) -> Result<usize, AwsError> {
    let next_due = svc.next_due_ms.load(Ordering::Relaxed);
    if next_due != 0 && now_ms < next_due {
        return Ok(0);
    }
    let mut fired = 0;
    let mut earliest = i64::MAX;
    for (key, rule) in svc.rules.scan_prefix("")? {
        let Some(schedule) = rule.schedule.as_deref().and_then(Schedule::parse) else {
            continue;
        };
        if !rule.enabled() {
            continue;
        }
        let mut parts = key.splitn(3, '/');
        let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        let mut times = Vec::new();
        let mut cursor = rule.fired_until_ms;
        while let Some(t) = schedule.next_after(rule.created_ms, cursor) {
            if t > now_ms {
                earliest = earliest.min(t);
                break;
            }
            times.push(t);
            cursor = t;
            if times.len() >= MAX_CATCH_UP {
                cursor = now_ms;
                break;
            }
        }
        if times.is_empty() {
            continue;
        }
        // Claim the times in the store first, so each fires once; the rule
        // as stored now keeps any change made since it was read.
        let claimed = svc.store.write(|txn| -> Result<bool, AwsError> {
            match txn.get(&svc.rules, &key)? {
                Some(mut current)
                    if current.fired_until_ms == rule.fired_until_ms
                        && current.schedule == rule.schedule
                        && current.enabled() =>
                {
                    current.fired_until_ms = cursor;
                    txn.put(&svc.rules, &key, &current)?;
                    Ok(true)
                }
                _ => Ok(false),
            }
        })?;
        if !claimed {
            continue;
        }
        let arn = rule_arn(region, account, &rule.bus, &rule.name);
        for t in times {
            let event = json!({
                "version": "0",
                "id": gureum_core::id::uuid_v4(),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": account,
                "time": format_iso8601_seconds(t),
                "region": region,
                "resources": [arn],
                "detail": {},
            });
            deliver(svc, account, region, &rule, &event, t, 0)?;
            fired += 1;
        }
        if let Some(next) = schedule.next_after(rule.created_ms, cursor) {
            earliest = earliest.min(next);
        }
    }
    // A rule changed meanwhile (the cache was cleared): leave it cleared.
    let _ =
        svc.next_due_ms
            .compare_exchange(next_due, earliest, Ordering::Relaxed, Ordering::Relaxed);
    Ok(fired)
}
