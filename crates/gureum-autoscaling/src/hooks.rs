//! Lifecycle hooks: `PutLifecycleHook`, `DescribeLifecycleHooks`,
//! `DeleteLifecycleHook`, `CompleteLifecycleAction`,
//! `RecordLifecycleActionHeartbeat`. A launching instance waits in
//! `Pending:Wait` (and a leaving one in `Terminating:Wait`) until every
//! hook of its transition completes, a hook abandons, or the heartbeat
//! timeout applies the hook's default result; the reconciler moves it on.

use crate::errors::validation;
use crate::groups::{change, load};
use crate::records::{Group, HookWait, LifecycleHook};
use crate::util::{int, required, string, strings};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The launching transition.
pub(crate) const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";
/// The terminating transition.
pub(crate) const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// `PutLifecycleHook`: creates or replaces a hook.
pub(crate) fn put(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let name = required(input, "LifecycleHookName")?;
    // Notifications of lifecycle actions go to EventBridge only: waiting
    // instances are found with DescribeAutoScalingInstances.
    crate::util::refuse_unimplemented(input, &["NotificationTargetARN", "RoleARN"])?;
    load(svc, scope, group)?;
    let key = scope.key(&format!("{group}/{name}"));
    let existing = svc.hooks.get(&key)?;
    let transition = match (string(input, "LifecycleTransition"), &existing) {
        (Some(t @ (LAUNCHING | TERMINATING)), _) => t.to_string(),
        (Some(t), _) => return Err(validation(format!("Invalid Lifecycle Transition: {t}"))),
        (None, Some(h)) => h.transition.clone(),
        (None, None) => {
            return Err(validation(
                "A lifecycle transition must be specified when creating a lifecycle hook.",
            ))
        }
    };
    let heartbeat = int(input, "HeartbeatTimeout")
        .or(existing.as_ref().map(|h| h.heartbeat_s))
        .unwrap_or(3600);
    if !(30..=7200).contains(&heartbeat) {
        return Err(validation(format!(
            "Heartbeat timeout {heartbeat} is not valid: it must be between 30 and 7200 seconds."
        )));
    }
    let default_result = match string(input, "DefaultResult") {
        Some(r @ ("CONTINUE" | "ABANDON")) => r.to_string(),
        Some(r) => return Err(validation(format!("Invalid default result: {r}"))),
        None => existing
            .as_ref()
            .map(|h| h.default_result.clone())
            .unwrap_or_else(|| "ABANDON".into()),
    };
    let hook = LifecycleHook {
        name: name.to_string(),
        group: group.to_string(),
        transition,
        heartbeat_s: heartbeat,
        default_result,
        notification_target: string(input, "NotificationTargetARN").map(str::to_string),
        role_arn: string(input, "RoleARN").map(str::to_string),
        metadata: string(input, "NotificationMetadata").map(str::to_string),
    };
    svc.hooks.put(&key, &hook)?;
    Ok(json!({}))
}

fn shape(h: &LifecycleHook) -> Value {
    let mut v = json!({
        "LifecycleHookName": h.name,
        "AutoScalingGroupName": h.group,
        "LifecycleTransition": h.transition,
        "HeartbeatTimeout": h.heartbeat_s,
        "GlobalTimeout": (h.heartbeat_s * 100).min(172_800),
        "DefaultResult": h.default_result,
    });
    for (k, x) in [
        ("NotificationTargetARN", &h.notification_target),
        ("RoleARN", &h.role_arn),
        ("NotificationMetadata", &h.metadata),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    v
}

/// `DescribeLifecycleHooks`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    load(svc, scope, group)?;
    let names = strings(input, "LifecycleHookNames");
    let items: Vec<Value> = svc
        .hooks
        .scan_prefix(&scope.key(&format!("{group}/")))?
        .into_iter()
        .map(|(_, h)| h)
        .filter(|h| names.is_empty() || names.contains(&h.name))
        .map(|h| shape(&h))
        .collect();
    Ok(json!({ "LifecycleHooks": items }))
}

/// `DeleteLifecycleHook`.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let name = required(input, "LifecycleHookName")?;
    load(svc, scope, group)?;
    if !svc.hooks.delete(&scope.key(&format!("{group}/{name}")))? {
        return Err(validation(format!(
            "No Lifecycle Hook found with name {name} for group {group}"
        )));
    }
    Ok(json!({}))
}

/// The wait for `transition` in `g`, when it has hooks for it.
pub(crate) fn wait_for(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    g: &Group,
    transition: &str,
    now: i64,
) -> Result<Option<HookWait>, AwsError> {
    let hooks: Vec<LifecycleHook> = svc
        .hooks
        .scan_prefix(&scope.key(&format!("{}/", g.name)))?
        .into_iter()
        .map(|(_, h)| h)
        .filter(|h| h.transition == transition)
        .collect();
    let Some(longest) = hooks.iter().map(|h| h.heartbeat_s).max() else {
        return Ok(None);
    };
    // One default result for the wait: ABANDON wins if any hook says it.
    let default_result = if hooks.iter().any(|h| h.default_result == "ABANDON") {
        "ABANDON"
    } else {
        "CONTINUE"
    };
    Ok(Some(HookWait {
        hooks: hooks.into_iter().map(|h| h.name).collect(),
        token: gureum_core::id::uuid_v4(),
        deadline_ms: now + longest * 1000,
        heartbeat_s: longest,
        default_result: default_result.into(),
        result: None,
    }))
}

/// `EC2 Instance-launch Lifecycle Action` (or `-terminate`) for each hook
/// an instance now waits on, as AWS sends to the default event bus.
pub(crate) fn publish_wait(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    g: &Group,
    instance: &str,
    transition: &str,
    wait: &HookWait,
    now: i64,
) {
    let launching = transition == LAUNCHING;
    for hook in &wait.hooks {
        let metadata = svc
            .hooks
            .get(&scope.key(&format!("{}/{hook}", g.name)))
            .ok()
            .flatten()
            .and_then(|h| h.metadata);
        let mut detail = json!({
            "LifecycleActionToken": wait.token,
            "AutoScalingGroupName": g.name,
            "LifecycleHookName": hook,
            "EC2InstanceId": instance,
            "LifecycleTransition": transition,
            "Origin": if launching { "EC2" } else { "AutoScalingGroup" },
            "Destination": if launching { "AutoScalingGroup" } else { "EC2" },
        });
        if let Some(m) = metadata {
            detail["NotificationMetadata"] = json!(m);
        }
        svc.events.publish(
            scope,
            gureum_kit::service_events::ServiceEvent {
                source: "aws.autoscaling".into(),
                detail_type: format!(
                    "EC2 Instance-{} Lifecycle Action",
                    if launching { "launch" } else { "terminate" }
                ),
                resources: vec![g.arn.clone()],
                detail,
                time_ms: now,
            },
        );
    }
}

/// Finds the waiting instance an action names (by instance or token).
fn act(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
    f: impl FnOnce(&mut HookWait, &str) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let group = required(input, "AutoScalingGroupName")?;
    let hook = required(input, "LifecycleHookName")?;
    let instance = string(input, "InstanceId");
    let token = string(input, "LifecycleActionToken");
    if instance.is_none() && token.is_none() {
        return Err(validation(
            "Either LifecycleActionToken or InstanceId must be specified.",
        ));
    }
    change(svc, scope, group, |g| {
        let found = g.members.iter_mut().find(|m| {
            m.wait.as_ref().is_some_and(|w| {
                w.result.is_none()
                    && w.hooks.iter().any(|h| h == hook)
                    && instance.is_none_or(|i| i == m.id)
                    && token.is_none_or(|t| t == w.token)
            })
        });
        match found {
            Some(m) => {
                let id = m.id.clone();
                f(m.wait.as_mut().expect("a wait"), &id)
            }
            None => Err(validation(match (instance, token) {
                (Some(i), _) => format!("No active Lifecycle Action found with instance ID {i}"),
                (None, Some(t)) => format!("No active Lifecycle Action found with token {t}"),
                _ => unreachable!("one is given"),
            })),
        }
    })
}

/// `CompleteLifecycleAction`.
pub(crate) fn complete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let hook = required(input, "LifecycleHookName")?.to_string();
    let result = required(input, "LifecycleActionResult")?;
    if !matches!(result, "CONTINUE" | "ABANDON") {
        return Err(validation(format!(
            "Invalid LifecycleActionResult: {result}. Valid values are CONTINUE and ABANDON."
        )));
    }
    act(svc, ctx, input, |w, _| {
        w.hooks.retain(|h| *h != hook);
        if result == "ABANDON" {
            w.result = Some("ABANDON".into());
        } else if w.hooks.is_empty() {
            w.result = Some("CONTINUE".into());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RecordLifecycleActionHeartbeat`: the wait's timeout starts again.
pub(crate) fn heartbeat(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let now = ctx.clock.now_millis();
    act(svc, ctx, input, |w, _| {
        w.deadline_ms = now + w.heartbeat_s * 1000;
        Ok(())
    })?;
    Ok(json!({}))
}
