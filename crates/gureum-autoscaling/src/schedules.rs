//! Scheduled actions: `PutScheduledUpdateGroupAction`,
//! `DescribeScheduledActions`, `DeleteScheduledAction`, and running them
//! on Gureum's clock. `Recurrence` is Unix cron (five fields, UTC),
//! evaluated with EventBridge's cron parser after translating the
//! day-of-week numbering (Unix 0 = Sunday, AWS 1 = Sunday).

use crate::errors::validation;
use crate::groups::{change, check_bounds, load};
use crate::records::ScheduledAction;
use crate::util::{self, arn, int, iso, required, string, strings, ts};
use crate::AutoscalingService;
use gureum_core::{AwsError, Clock, OpResult, RequestContext, Scope, Value};
use gureum_events::schedule::Schedule;
use serde_json::json;

/// A Unix cron expression as the six-field form EventBridge parses.
fn parse_recurrence(text: &str) -> Option<Schedule> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [min, hour, dom, month, dow] = parts.as_slice() else {
        return None;
    };
    let (dom, dow) = match (*dom, *dow) {
        (d, "*") => (d.to_string(), "?".to_string()),
        ("*", w) => ("?".to_string(), shift_weekdays(w)?),
        // Both restricted: Unix cron fires on either; not supported.
        _ => return None,
    };
    Schedule::parse(&format!("cron({min} {hour} {dom} {month} {dow} *)"))
}

/// Unix weekday numbers (0–7, Sunday 0 or 7) as AWS's (1–7, Sunday 1).
fn shift_weekdays(field: &str) -> Option<String> {
    let mut out = String::new();
    let mut number = String::new();
    let mut after_slash = false;
    let flush = |number: &mut String, out: &mut String, after_slash: bool| -> Option<()> {
        if !number.is_empty() {
            let n: u32 = number.parse().ok()?;
            let n = if after_slash { n } else { n % 7 + 1 };
            out.push_str(&n.to_string());
            number.clear();
        }
        Some(())
    };
    for c in field.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            flush(&mut number, &mut out, after_slash)?;
            after_slash = c == '/';
            out.push(c);
        }
    }
    flush(&mut number, &mut out, after_slash)?;
    Some(out)
}

fn time_member(input: &Value, key: &str) -> Option<i64> {
    input
        .get(key)
        .and_then(Value::as_f64)
        .map(|s| (s * 1000.0) as i64)
}

/// `PutScheduledUpdateGroupAction`: creates or replaces an action.
pub(crate) fn put(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let name = required(input, "ScheduledActionName")?;
    load(svc, scope, group)?;
    let now = ctx.clock.now_millis();
    let (min, max, desired) = (
        int(input, "MinSize"),
        int(input, "MaxSize"),
        int(input, "DesiredCapacity"),
    );
    if min.is_none() && max.is_none() && desired.is_none() {
        return Err(validation(
            "At least one of MinSize, MaxSize, or DesiredCapacity must be specified.",
        ));
    }
    if let Some(tz) = string(input, "TimeZone") {
        if !matches!(tz, "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT") {
            return Err(validation(format!(
                "Time zone {tz} is not supported by Gureum: only UTC."
            )));
        }
    }
    let start = time_member(input, "StartTime").or(time_member(input, "Time"));
    let end = time_member(input, "EndTime");
    let recurrence = string(input, "Recurrence").map(str::to_string);
    if let Some(s) = start {
        if s < now && recurrence.is_none() {
            return Err(validation("Given start time is in the past"));
        }
    }
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            return Err(validation("End time must be after start time."));
        }
    }
    let next = match &recurrence {
        Some(r) => {
            let schedule = parse_recurrence(r)
                .ok_or_else(|| validation(format!("Given recurrence string is invalid: {r}")))?;
            schedule.next_after(now, start.unwrap_or(now).max(now) - 1)
        }
        None => Some(
            start.ok_or_else(|| validation("Either StartTime or Recurrence must be specified."))?,
        ),
    };
    let key = scope.key(&format!("{group}/{name}"));
    let arn = svc
        .scheduled
        .get(&key)?
        .map(|a| a.arn)
        .unwrap_or_else(|| {
            arn(
                ctx,
                &format!(
                    "scheduledUpdateGroupAction:{}:autoScalingGroupName/{group}:scheduledActionName/{name}",
                    gureum_core::id::uuid_v4()
                ),
            )
        });
    let action = ScheduledAction {
        name: name.to_string(),
        group: group.to_string(),
        arn,
        start_ms: start,
        end_ms: end,
        recurrence,
        min,
        max,
        desired,
        next_ms: next,
    };
    svc.scheduled.put(&key, &action)?;
    Ok(json!({}))
}

fn shape(a: &ScheduledAction) -> Value {
    let mut v = json!({
        "AutoScalingGroupName": a.group,
        "ScheduledActionName": a.name,
        "ScheduledActionARN": a.arn,
    });
    let start = a.next_ms.or(a.start_ms);
    if let Some(s) = start {
        v["StartTime"] = ts(s);
        v["Time"] = ts(s);
    }
    if let Some(e) = a.end_ms {
        v["EndTime"] = ts(e);
    }
    if let Some(r) = &a.recurrence {
        v["Recurrence"] = json!(r);
        v["TimeZone"] = json!("UTC");
    }
    for (k, x) in [
        ("MinSize", a.min),
        ("MaxSize", a.max),
        ("DesiredCapacity", a.desired),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    v
}

/// `DescribeScheduledActions`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let names = strings(input, "ScheduledActionNames");
    let prefix = match string(input, "AutoScalingGroupName") {
        Some(g) => {
            load(svc, scope, g)?;
            scope.key(&format!("{g}/"))
        }
        None => scope.prefix(),
    };
    let (from, to) = (
        time_member(input, "StartTime"),
        time_member(input, "EndTime"),
    );
    let items: Vec<Value> = svc
        .scheduled
        .scan_prefix(&prefix)?
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| names.is_empty() || names.contains(&a.name))
        .filter(|a| {
            let at = a.next_ms.unwrap_or(i64::MAX);
            from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t)
        })
        .map(|a| shape(&a))
        .collect();
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "ScheduledUpdateGroupActions": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// `DeleteScheduledAction`.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let name = required(input, "ScheduledActionName")?;
    load(svc, scope, group)?;
    if !svc
        .scheduled
        .delete(&scope.key(&format!("{group}/{name}")))?
    {
        return Err(validation("Scheduled Update Group Action name not found"));
    }
    Ok(json!({}))
}

/// Runs the actions that are due: each changes its group's bounds and
/// desired capacity; one-time actions are then deleted, recurring ones
/// move to their next time (until their end time).
pub(crate) fn run_due(svc: &AutoscalingService, clock: &Clock) {
    let now = clock.now_millis();
    let Ok(all) = svc.scheduled.scan_prefix("") else {
        return;
    };
    for (key, mut a) in all {
        let Some(due) = a.next_ms.filter(|t| *t <= now) else {
            continue;
        };
        let mut parts = key.splitn(3, '/');
        let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        let ctx = RequestContext::root(account, region, clock.clone());
        let scope = Scope::regional(&ctx);
        let _ = change(svc, scope, &a.group, |g| -> Result<(), AwsError> {
            if g.suspended.iter().any(|p| p == "ScheduledActions") {
                return Ok(());
            }
            let min = a.min.unwrap_or(g.min);
            let max = a.max.unwrap_or(g.max);
            let desired = a.desired.unwrap_or(g.desired).clamp(min, max.max(min));
            check_bounds(min, max, desired)?;
            if desired != g.desired {
                g.pending_cause = Some(format!(
                    "At {} a scheduled action update of AutoScalingGroup constraints to min: {min}, max: {max}, desired: {desired} changing the desired capacity from {} to {desired}.",
                    iso(due),
                    g.desired
                ));
            }
            (g.min, g.max, g.desired) = (min, max, desired);
            Ok(())
        });
        let next = a
            .recurrence
            .as_deref()
            .and_then(parse_recurrence)
            .and_then(|s| s.next_after(due, now))
            .filter(|n| a.end_ms.is_none_or(|e| *n <= e));
        match next {
            Some(n) => {
                a.next_ms = Some(n);
                let _ = svc.scheduled.put(&key, &a);
            }
            None => {
                let _ = svc.scheduled.delete(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_recurrence, shift_weekdays};

    #[test]
    fn unix_weekdays_count_sunday_as_one_in_aws_cron() {
        assert_eq!(shift_weekdays("1-5").as_deref(), Some("2-6"));
        assert_eq!(shift_weekdays("0,6").as_deref(), Some("1,7"));
        assert_eq!(shift_weekdays("*/2").as_deref(), Some("*/2"));
        assert_eq!(shift_weekdays("MON-FRI").as_deref(), Some("MON-FRI"));
    }

    #[test]
    fn a_recurrence_is_five_fields_with_one_day_field_free() {
        assert!(parse_recurrence("0 9 * * 1-5").is_some());
        assert!(parse_recurrence("*/5 * * * *").is_some());
        assert!(parse_recurrence("0 9 * *").is_none());
        assert!(parse_recurrence("0 9 1 * 1").is_none());
    }
}
