//! A group's instances: `DescribeAutoScalingInstances`,
//! `TerminateInstanceInAutoScalingGroup`, `SetInstanceProtection`,
//! `EnterStandby`/`ExitStandby`, `DetachInstances`/`AttachInstances`.

use crate::activities;
use crate::errors::validation;
use crate::groups::{change, check_bounds, load};
use crate::records::{Group, Member};
use crate::util::{self, iso, required, strings, ts};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// An instance as a group lists it (`detailed`: as
/// `DescribeAutoScalingInstances` does, with its group and upper-case
/// health).
pub(crate) fn member_shape(g: &Group, m: &Member, detailed: bool) -> Value {
    let mut v = json!({
        "InstanceId": m.id,
        "InstanceType": m.instance_type,
        "AvailabilityZone": m.zone,
        "LifecycleState": m.lifecycle,
        "HealthStatus": if detailed { m.health.to_uppercase() } else { m.health.clone() },
        "ProtectedFromScaleIn": m.protected,
    });
    if detailed {
        v["AutoScalingGroupName"] = json!(g.name);
    }
    if let Some(t) = &g.template {
        v["LaunchTemplate"] = json!({
            "LaunchTemplateId": t.id, "LaunchTemplateName": t.name, "Version": t.version,
        });
    }
    if let Some(c) = &g.configuration {
        v["LaunchConfigurationName"] = json!(c);
    }
    v
}

/// `DescribeAutoScalingInstances`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let ids = strings(input, "InstanceIds");
    let mut items = Vec::new();
    for (_, g) in svc.groups.scan_prefix(&scope.prefix())? {
        for m in &g.members {
            if ids.is_empty() || ids.contains(&m.id) {
                items.push(member_shape(&g, m, true));
            }
        }
    }
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "AutoScalingInstances": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// The group holding `id` in the caller's region.
fn owner(svc: &AutoscalingService, scope: Scope<'_>, id: &str) -> Result<Group, AwsError> {
    svc.groups
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .map(|(_, g)| g)
        .find(|g| g.members.iter().any(|m| m.id == id))
        .ok_or_else(|| {
            validation(format!(
                "Instance Id not found - No managed instance found for instance ID: {id}"
            ))
        })
}

fn decrement_flag(input: &Value) -> Result<bool, AwsError> {
    input["ShouldDecrementDesiredCapacity"]
        .as_bool()
        .ok_or_else(|| {
            validation(
                "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null",
            )
        })
}

/// `TerminateInstanceInAutoScalingGroup`: the instance leaves service now
/// and is terminated by the reconciler; without a decrement the group
/// launches a replacement.
pub(crate) fn terminate(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let id = required(input, "InstanceId")?;
    let decrement = decrement_flag(input)?;
    let g = owner(svc, scope, id)?;
    let now = ctx.clock.now_millis();
    let m = g.members.iter().find(|m| m.id == id).cloned();
    let m = m.ok_or_else(|| validation("Instance Id not found"))?;
    if decrement && g.desired - 1 < g.min {
        return Err(validation(format!(
            "Currently, desiredSize equals minSize ({}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
            g.min
        )));
    }
    let cause = if decrement {
        format!(
            "At {} instance {id} was taken out of service in response to a user request, shrinking the capacity from {} to {}.",
            iso(now),
            g.desired,
            g.desired - 1
        )
    } else {
        format!(
            "At {} instance {id} was taken out of service in response to a user request.",
            iso(now)
        )
    };
    let activity_id = activities::record(
        svc,
        scope,
        &g,
        format!("Terminating EC2 instance: {id}"),
        cause.clone(),
        now,
        true,
        &m.zone,
        &m.subnet,
    )?;
    change(svc, scope, &g.name, |g| {
        if decrement {
            g.desired -= 1;
        }
        if let Some(m) = g.members.iter_mut().find(|m| m.id == id) {
            m.lifecycle = "Terminating".into();
            m.activity = Some(activity_id.clone());
        }
        Ok(())
    })?;
    Ok(json!({ "Activity": {
        "ActivityId": activity_id,
        "AutoScalingGroupName": g.name,
        "AutoScalingGroupARN": g.arn,
        "Description": format!("Terminating EC2 instance: {id}"),
        "Cause": cause,
        "StartTime": ts(now),
        "StatusCode": "InProgress",
        "Progress": 0,
        "Details": json!({"Subnet ID": m.subnet, "Availability Zone": m.zone}).to_string(),
    }}))
}

/// Checks that every id in `ids` is in `g`.
fn check_members(g: &Group, ids: &[String]) -> Result<(), AwsError> {
    for id in ids {
        if !g.members.iter().any(|m| &m.id == id) {
            return Err(validation(format!(
                "The instance {id} is not part of Auto Scaling group {}.",
                g.name
            )));
        }
    }
    Ok(())
}

/// `SetInstanceProtection`.
pub(crate) fn set_protection(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let ids = strings(input, "InstanceIds");
    let protect = input["ProtectedFromScaleIn"].as_bool().ok_or_else(|| {
        validation("1 validation error detected: Value null at 'protectedFromScaleIn' failed to satisfy constraint: Member must not be null")
    })?;
    change(svc, scope, name, |g| {
        check_members(g, &ids)?;
        for m in g.members.iter_mut().filter(|m| ids.contains(&m.id)) {
            m.protected = protect;
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// An activity as these operations answer it.
fn activity_value(g: &Group, id: &str, description: &str, cause: &str, now: i64) -> Value {
    json!({
        "ActivityId": id,
        "AutoScalingGroupName": g.name,
        "AutoScalingGroupARN": g.arn,
        "Description": description,
        "Cause": cause,
        "StartTime": ts(now),
        "EndTime": ts(now),
        "StatusCode": "Successful",
        "Progress": 100,
        "Details": "{}",
    })
}

/// `EnterStandby` / `ExitStandby`: a standby instance stays in the group
/// but out of service and out of its target groups.
pub(crate) fn standby(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
    enter: bool,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let ids = strings(input, "InstanceIds");
    let decrement = if enter { decrement_flag(input)? } else { false };
    let now = ctx.clock.now_millis();
    let g = change(svc, scope, name, |g| {
        check_members(g, &ids)?;
        let wanted = if enter { "InService" } else { "Standby" };
        for id in &ids {
            let m = g.members.iter().find(|m| &m.id == id);
            if m.map(|m| m.lifecycle.as_str()) != Some(wanted) {
                return Err(validation(format!("The instance {id} is not in {wanted}.")));
            }
        }
        let n = ids.len() as i64;
        if enter && decrement {
            check_bounds(g.min, g.max, g.desired - n)?;
            g.desired -= n;
        } else if !enter {
            // Returning instances count again: desired grows with them.
            check_bounds(g.min, g.max, g.desired + n)?;
            g.desired += n;
        }
        for m in g.members.iter_mut().filter(|m| ids.contains(&m.id)) {
            m.lifecycle = if enter { "Standby" } else { "Pending" }.into();
            if !enter {
                m.launched_ms = now;
            }
        }
        Ok(g.clone())
    })?;
    let mut out = Vec::new();
    for id in &ids {
        let (description, cause) = if enter {
            (
                format!("Moving EC2 instance to Standby: {id}"),
                format!(
                    "At {} instance {id} was moved to standby in response to a user request{}.",
                    iso(now),
                    if decrement {
                        format!(
                            ", shrinking the capacity from {} to {}",
                            g.desired + ids.len() as i64,
                            g.desired
                        )
                    } else {
                        String::new()
                    }
                ),
            )
        } else {
            (
                format!("Moving EC2 instance out of Standby: {id}"),
                format!("At {} instance {id} was moved out of standby in response to a user request, increasing the capacity from {} to {}.", iso(now), g.desired - ids.len() as i64, g.desired),
            )
        };
        let aid = activities::record(
            svc,
            scope,
            &g,
            description.clone(),
            cause.clone(),
            now,
            false,
            "",
            "",
        )?;
        out.push(activity_value(&g, &aid, &description, &cause, now));
        if enter {
            for tg in &g.target_groups {
                let _ = svc.balancer.deregister(ctx, tg, std::slice::from_ref(id));
            }
        }
    }
    if enter {
        change(svc, scope, name, |g| {
            for m in g.members.iter_mut().filter(|m| ids.contains(&m.id)) {
                m.registered = false;
            }
            Ok(())
        })?;
    }
    Ok(json!({ "Activities": out }))
}

/// `DetachInstances`: they leave the group (and its target groups) but
/// keep running.
pub(crate) fn detach(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let ids = strings(input, "InstanceIds");
    let decrement = decrement_flag(input)?;
    let now = ctx.clock.now_millis();
    let (g, before) = change(svc, scope, name, |g| {
        check_members(g, &ids)?;
        let before = g.desired;
        if decrement {
            check_bounds(g.min, g.max, g.desired - ids.len() as i64)?;
            g.desired -= ids.len() as i64;
        }
        g.members.retain(|m| !ids.contains(&m.id));
        Ok((g.clone(), before))
    })?;
    for tg in &g.target_groups {
        let _ = svc.balancer.deregister(ctx, tg, &ids);
    }
    let mut out = Vec::new();
    for id in &ids {
        let description = format!("Detaching EC2 instance: {id}");
        let cause = if decrement {
            format!("At {} instance {id} was detached in response to a user request, shrinking the capacity from {before} to {}.", iso(now), g.desired)
        } else {
            format!(
                "At {} instance {id} was detached in response to a user request.",
                iso(now)
            )
        };
        let aid = activities::record(
            svc,
            scope,
            &g,
            description.clone(),
            cause.clone(),
            now,
            false,
            "",
            "",
        )?;
        out.push(activity_value(&g, &aid, &description, &cause, now));
    }
    Ok(json!({ "Activities": out }))
}

/// `AttachInstances`: running instances join the group, which grows by
/// as many.
pub(crate) fn attach(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let ids = strings(input, "InstanceIds");
    let g = load(svc, scope, name)?;
    let now = ctx.clock.now_millis();
    let mut joining = Vec::new();
    for id in &ids {
        if owner(svc, scope, id).is_ok() {
            return Err(validation(format!(
                "The instance {id} is already part of an Auto Scaling group."
            )));
        }
        let Some((state, zone, subnet)) = svc.fleet.placement(ctx, id) else {
            return Err(validation(format!("Instance {id} not found")));
        };
        if state != "running" {
            return Err(validation(format!(
                "Instance {id} is not in correct state: {state}"
            )));
        }
        if !g.zones.contains(&zone) {
            return Err(validation(format!(
                "Instance {id} is not in one of the group's Availability Zones."
            )));
        }
        joining.push(Member {
            id: id.clone(),
            zone,
            subnet,
            lifecycle: "Pending".into(),
            health: "Healthy".into(),
            unhealthy_cause: None,
            protected: g.new_protected,
            launched_ms: now,
            instance_type: String::new(),
            activity: None,
            registered: false,
            wait: None,
        });
    }
    let before = g.desired;
    let g = change(svc, scope, name, |g| {
        check_bounds(g.min, g.max, g.desired + joining.len() as i64).map_err(|_| {
            validation(format!(
                "Cannot attach {} instance(s): the group's desired capacity would exceed its max size of {}.",
                joining.len(),
                g.max
            ))
        })?;
        g.desired += joining.len() as i64;
        g.members.extend(joining);
        Ok(g.clone())
    })?;
    for id in &ids {
        activities::record(
            svc,
            scope,
            &g,
            format!("Attaching an existing EC2 instance: {id}"),
            format!("At {} an instance was added in response to user request. Keeping the capacity at the new {}.", iso(now), g.desired.max(before)),
            now,
            false,
            "",
            "",
        )?;
    }
    Ok(json!({}))
}
