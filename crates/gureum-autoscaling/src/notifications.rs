//! Group notifications to SNS: `PutNotificationConfiguration` (which
//! sends AWS's test notification), `DescribeNotificationConfigurations`,
//! `DeleteNotificationConfiguration`,
//! `DescribeAutoScalingNotificationTypes`, and the launch and termination
//! notifications sent when those activities end, in AWS's message shape.

use crate::errors::validation;
use crate::groups::{change, load};
use crate::records::Activity;
use crate::util::{self, required, strings};
use crate::AutoscalingService;
use gureum_core::{OpResult, RequestContext, Scope, Value};
use serde_json::json;

const LAUNCH: &str = "autoscaling:EC2_INSTANCE_LAUNCH";
const LAUNCH_ERROR: &str = "autoscaling:EC2_INSTANCE_LAUNCH_ERROR";
const TERMINATE: &str = "autoscaling:EC2_INSTANCE_TERMINATE";
const TERMINATE_ERROR: &str = "autoscaling:EC2_INSTANCE_TERMINATE_ERROR";
const TEST: &str = "autoscaling:TEST_NOTIFICATION";

/// The types a configuration may name.
const TYPES: &[&str] = &[LAUNCH, LAUNCH_ERROR, TERMINATE, TERMINATE_ERROR, TEST];

fn iso(ms: i64) -> String {
    gureum_core::timestamp::format_iso8601(ms)
}

/// `PutNotificationConfiguration`: replaces the topic's types and sends
/// the test notification, as AWS does.
pub(crate) fn put(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let topic = required(input, "TopicARN")?;
    let types = strings(input, "NotificationTypes");
    if types.is_empty() {
        return Err(validation(
            "1 validation error detected: Value null at 'notificationTypes' failed to satisfy constraint: Member must not be null",
        ));
    }
    if let Some(bad) = types.iter().find(|t| !TYPES.contains(&t.as_str())) {
        return Err(validation(format!("Notification type {bad} is not valid.")));
    }
    let g = load(svc, scope, group)?;
    let now = ctx.clock.now_millis();
    let message = json!({
        "AccountId": ctx.account_id,
        "RequestId": gureum_core::id::uuid_v4(),
        "AutoScalingGroupARN": g.arn,
        "AutoScalingGroupName": g.name,
        "Service": "AWS Auto Scaling",
        "Event": TEST,
        "Time": iso(now),
    });
    svc.notifier
        .notify(
            ctx,
            &g.arn,
            topic,
            &format!("Auto Scaling: test notification for group \"{}\"", g.name),
            &message.to_string(),
        )
        .map_err(|e| {
            validation(format!(
                "Failed to publish test message to topic {topic}: {}",
                e.message
            ))
        })?;
    change(svc, scope, group, |g| {
        g.notifications.retain(|(t, _)| t != topic);
        g.notifications.push((topic.to_string(), types));
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DescribeNotificationConfigurations`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let names = strings(input, "AutoScalingGroupNames");
    let mut items = Vec::new();
    for (_, g) in svc.groups.scan_prefix(&scope.prefix())? {
        if !names.is_empty() && !names.contains(&g.name) {
            continue;
        }
        for (topic, types) in &g.notifications {
            for t in types {
                items.push(json!({
                    "AutoScalingGroupName": g.name, "TopicARN": topic, "NotificationType": t,
                }));
            }
        }
    }
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "NotificationConfigurations": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// `DeleteNotificationConfiguration`.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let topic = required(input, "TopicARN")?;
    change(svc, scope, group, |g| {
        let before = g.notifications.len();
        g.notifications.retain(|(t, _)| t != topic);
        if g.notifications.len() == before {
            return Err(validation(format!(
                "No notification configuration found for topic {topic} on group {group}"
            )));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DescribeAutoScalingNotificationTypes`.
pub(crate) fn types() -> OpResult {
    Ok(json!({ "AutoScalingNotificationTypes": TYPES }))
}

/// Sends the launch or termination notification for an activity that
/// ended, to each topic of its group that asked for that type
/// (best-effort: a failed publish never fails the activity).
pub(crate) fn activity_ended(svc: &AutoscalingService, scope: Scope<'_>, a: &Activity) {
    let ok = a.status == "Successful";
    let (kind, instance) =
        if let Some(i) = a.description.strip_prefix("Launching a new EC2 instance: ") {
            (if ok { LAUNCH } else { LAUNCH_ERROR }, i)
        } else if let Some(i) = a.description.strip_prefix("Terminating EC2 instance: ") {
            (if ok { TERMINATE } else { TERMINATE_ERROR }, i)
        } else {
            return;
        };
    let Ok(Some(g)) = svc.groups.get(&scope.key(&a.group)) else {
        return;
    };
    let topics: Vec<&String> = g
        .notifications
        .iter()
        .filter(|(_, types)| types.iter().any(|t| t == kind))
        .map(|(t, _)| t)
        .collect();
    if topics.is_empty() {
        return;
    }
    let region = scope.region().unwrap_or_default();
    // The notifier reads the account and region; it keeps Gureum's clock.
    let ctx = RequestContext::root(scope.account(), region, gureum_core::Clock::system());
    let end = a.end_ms.unwrap_or(a.start_ms);
    let message = json!({
        "Progress": if ok { 100 } else { 50 },
        "AccountId": scope.account(),
        "Description": a.description,
        "RequestId": a.id,
        "EndTime": iso(end),
        "AutoScalingGroupARN": a.group_arn,
        "ActivityId": a.id,
        "StartTime": iso(a.start_ms),
        "Service": "AWS Auto Scaling",
        "Time": iso(end),
        "EC2InstanceId": instance,
        "StatusCode": a.status,
        "StatusMessage": a.status_message.clone().unwrap_or_default(),
        "Details": serde_json::from_str::<Value>(&a.details).unwrap_or_else(|_| json!({})),
        "AutoScalingGroupName": a.group,
        "Cause": a.cause,
        "Event": kind,
    })
    .to_string();
    let what = match kind {
        LAUNCH => "launch",
        LAUNCH_ERROR => "failed launch",
        TERMINATE => "termination",
        _ => "failed termination",
    };
    let subject = format!("Auto Scaling: {what} for group \"{}\"", a.group);
    for topic in topics {
        let _ = svc
            .notifier
            .notify(&ctx, &a.group_arn, topic, &subject, &message);
    }
}
