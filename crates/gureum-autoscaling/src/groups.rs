//! Groups: `CreateAutoScalingGroup`, `DescribeAutoScalingGroups`,
//! `UpdateAutoScalingGroup`, `DeleteAutoScalingGroup`,
//! `SetDesiredCapacity`, `SuspendProcesses`/`ResumeProcesses`. They record
//! intent; the reconciler makes the fleet match.

use crate::activities;
use crate::errors::{group_not_found, validation, AutoscalingError};
use crate::records::{Group, Tag, TemplateSpec};
use crate::util::{self, arn, int, iso, required, string, strings, ts};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The processes `SuspendProcesses` knows.
pub(crate) const PROCESSES: &[&str] = &[
    "Launch",
    "Terminate",
    "AddToLoadBalancer",
    "AlarmNotification",
    "AZRebalance",
    "HealthCheck",
    "InstanceRefresh",
    "ReplaceUnhealthy",
    "ScheduledActions",
];

/// The termination policies AWS accepts.
pub(crate) const TERMINATION_POLICIES: &[&str] = &[
    "Default",
    "OldestInstance",
    "NewestInstance",
    "OldestLaunchConfiguration",
    "OldestLaunchTemplate",
    "ClosestToNextInstanceHour",
    "AllocationStrategy",
];

/// Group members Gureum does not implement yet (refused when set).
const UNIMPLEMENTED_GROUP_MEMBERS: &[&str] = &[
    "AvailabilityZoneIds",
    "LoadBalancerNames",
    "PlacementGroup",
    "CapacityRebalance",
    "DeletionProtection",
    "ServiceLinkedRoleARN",
    "MaxInstanceLifetime",
    "Context",
    "DesiredCapacityType",
    "DefaultInstanceWarmup",
    "TrafficSources",
    "InstanceMaintenancePolicy",
    "AvailabilityZoneDistribution",
    "AvailabilityZoneImpairmentPolicy",
    "SkipZonalShiftValidation",
    "CapacityReservationSpecification",
    "InstanceLifecyclePolicy",
    "MixedInstancesPolicy",
    "InstanceId",
];

/// Groups per region (AWS's default quota).
pub(crate) const GROUP_LIMIT: u64 = 500;

/// Checks min ≤ desired ≤ max with AWS's messages.
pub(crate) fn check_bounds(min: i64, max: i64, desired: i64) -> Result<(), AwsError> {
    if min < 0 {
        return Err(validation(format!(
            "1 validation error detected: Value '{min}' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 0"
        )));
    }
    if max < min {
        return Err(validation(format!(
            "Max bound, {max}, must be greater than or equal to min bound, {min}"
        )));
    }
    if desired < min || desired > max {
        return Err(validation(format!(
            "Desired capacity:{desired} must be between the specified min size:{min} and max size:{max}"
        )));
    }
    Ok(())
}

/// The launch template a request names, checked against EC2.
fn template(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    spec: &Value,
) -> Result<TemplateSpec, AwsError> {
    let id = string(spec, "LaunchTemplateId");
    let name = string(spec, "LaunchTemplateName");
    if id.is_some() == name.is_some() {
        return Err(validation(
            "Valid requests must contain either launchTemplateId or LaunchTemplateName",
        ));
    }
    let version = string(spec, "Version").unwrap_or("$Default").to_string();
    match svc.fleet.template(ctx, id, name)? {
        Some(t) => Ok(TemplateSpec {
            id: t.id,
            name: t.name,
            version,
        }),
        None => Err(validation(match id {
            Some(id) => format!("You must use a valid fully-formed launch template. The specified launch template, with template ID {id}, does not exist."),
            None => format!(
                "You must use a valid fully-formed launch template. The specified launch template, with template name {}, does not exist.",
                name.unwrap_or_default()
            ),
        })),
    }
}

/// Subnets with their zones, checked against EC2.
fn subnets(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    identifier: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    for id in identifier
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match svc.fleet.subnet_zone(ctx, id)? {
            Some(zone) => out.push((id.to_string(), zone)),
            None => {
                return Err(validation(format!("The subnet ID '{id}' does not exist")));
            }
        }
    }
    Ok(out)
}

fn tags(input: &Value) -> Vec<Tag> {
    input["Tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some(Tag {
                        key: string(t, "Key")?.to_string(),
                        value: string(t, "Value").unwrap_or_default().to_string(),
                        propagate: t["PropagateAtLaunch"].as_bool().unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn termination_policies(input: &Value) -> Result<Option<Vec<String>>, AwsError> {
    if input.get("TerminationPolicies").is_none() {
        return Ok(None);
    }
    let list = strings(input, "TerminationPolicies");
    for p in &list {
        if !TERMINATION_POLICIES.contains(&p.as_str()) && !p.starts_with("arn:aws:lambda:") {
            return Err(validation(format!("Termination policy {p} is not valid.")));
        }
    }
    Ok(Some(list))
}

fn health_check_type(input: &Value) -> Result<Option<String>, AwsError> {
    match string(input, "HealthCheckType") {
        None => Ok(None),
        Some(t @ ("EC2" | "ELB" | "VPC_LATTICE" | "EBS")) => Ok(Some(t.to_string())),
        Some(t) => Err(validation(format!(
            "Invalid health check type: {t}. Valid values are EC2, ELB, VPC_LATTICE, or EBS."
        ))),
    }
}

fn check_target_groups(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    arns: &[String],
) -> Result<(), AwsError> {
    for a in arns {
        if !svc.balancer.target_group_exists(ctx, a)? {
            return Err(validation(format!(
                "Provided Target Groups may not be valid. Please ensure they exist and try again. Target group {a} not found"
            )));
        }
    }
    Ok(())
}

/// `CreateAutoScalingGroup`.
pub(crate) fn create(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    util::refuse_unimplemented(input, UNIMPLEMENTED_GROUP_MEMBERS)?;
    let min = int(input, "MinSize").ok_or_else(|| validation_null("minSize"))?;
    let max = int(input, "MaxSize").ok_or_else(|| validation_null("maxSize"))?;
    let desired = int(input, "DesiredCapacity").unwrap_or(min);
    let lt = input.get("LaunchTemplate");
    let lc = string(input, "LaunchConfigurationName");
    if lt.is_some() == lc.is_some() || input.get("MixedInstancesPolicy").is_some() {
        return Err(validation(
            "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.",
        ));
    }
    check_bounds(min, max, desired)?;
    let template = lt.map(|spec| template(svc, ctx, spec)).transpose()?;
    if let Some(c) = lc {
        if svc.configurations.get(&scope.key(c))?.is_none() {
            return Err(validation(format!(
                "Launch configuration name not found - Launch configuration {c} not found"
            )));
        }
    }
    let subnets = subnets(svc, ctx, string(input, "VPCZoneIdentifier").unwrap_or(""))?;
    let mut zones = strings(input, "AvailabilityZones");
    if !subnets.is_empty() {
        zones = Vec::new();
        for (_, z) in &subnets {
            if !zones.contains(z) {
                zones.push(z.clone());
            }
        }
    }
    if zones.is_empty() {
        return Err(validation(
            "At least one Availability Zone or VPC Subnet is required.",
        ));
    }
    let target_groups = strings(input, "TargetGroupARNs");
    check_target_groups(svc, ctx, &target_groups)?;
    let now = ctx.clock.now_millis();
    let group = Group {
        name: name.to_string(),
        arn: arn(
            ctx,
            &format!(
                "autoScalingGroup:{}:autoScalingGroupName/{name}",
                gureum_core::id::uuid_v4()
            ),
        ),
        template,
        configuration: lc.map(str::to_string),
        min,
        max,
        desired,
        cooldown: int(input, "DefaultCooldown").unwrap_or(300),
        zones,
        subnets,
        target_groups,
        health_check_type: health_check_type(input)?.unwrap_or_else(|| "EC2".into()),
        grace: int(input, "HealthCheckGracePeriod").unwrap_or(0),
        termination_policies: termination_policies(input)?
            .unwrap_or_else(|| vec!["Default".into()]),
        tags: tags(input),
        suspended: Vec::new(),
        new_protected: input["NewInstancesProtectedFromScaleIn"]
            .as_bool()
            .unwrap_or(false),
        created_ms: now,
        deleting: false,
        members: Vec::new(),
        last_scaled_ms: 0,
        launch_backoff_until_ms: 0,
        notifications: Vec::new(),
        pending_cause: Some(format!(
            "At {} a user request created an AutoScalingGroup changing the desired capacity from 0 to {desired}.",
            iso(now)
        )),
    };
    let key = scope.key(name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.groups, &key)?.is_some() {
            return Err(AutoscalingError::GroupExists { name: name.into() }.into());
        }
        let count = txn.scan_prefix(&svc.groups, &scope.prefix())?.len() as u64;
        if count >= GROUP_LIMIT {
            return Err(AutoscalingError::TooManyGroups { limit: GROUP_LIMIT }.into());
        }
        txn.put(&svc.groups, &key, &group)?;
        Ok(())
    })?;
    // Hooks named at creation hold the group's first instances too; one
    // refused undoes the group.
    for spec in input["LifecycleHookSpecificationList"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut hook = spec.clone();
        hook["AutoScalingGroupName"] = json!(name);
        if let Err(e) = crate::hooks::put(svc, ctx, &hook) {
            remove(svc, scope, name)?;
            return Err(e);
        }
    }
    Ok(json!({}))
}

fn validation_null(member: &str) -> AwsError {
    validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// A group as `DescribeAutoScalingGroups` shows it.
pub(crate) fn shape(g: &Group) -> Value {
    let instances: Vec<Value> = g
        .members
        .iter()
        .map(|m| crate::instances::member_shape(g, m, false))
        .collect();
    let tags: Vec<Value> = g
        .tags
        .iter()
        .map(|t| {
            json!({
                "ResourceId": g.name, "ResourceType": "auto-scaling-group",
                "Key": t.key, "Value": t.value, "PropagateAtLaunch": t.propagate,
            })
        })
        .collect();
    let suspended: Vec<Value> = g
        .suspended
        .iter()
        .map(|p| json!({"ProcessName": p, "SuspensionReason": "User suspended"}))
        .collect();
    let mut v = json!({
        "AutoScalingGroupName": g.name,
        "AutoScalingGroupARN": g.arn,
        "MinSize": g.min,
        "MaxSize": g.max,
        "DesiredCapacity": g.desired,
        "DefaultCooldown": g.cooldown,
        "AvailabilityZones": g.zones,
        "LoadBalancerNames": [],
        "TargetGroupARNs": g.target_groups,
        "HealthCheckType": g.health_check_type,
        "HealthCheckGracePeriod": g.grace,
        "Instances": instances,
        "CreatedTime": ts(g.created_ms),
        "SuspendedProcesses": suspended,
        "VPCZoneIdentifier": g.subnets.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(","),
        "EnabledMetrics": [],
        "Tags": tags,
        "TerminationPolicies": g.termination_policies,
        "NewInstancesProtectedFromScaleIn": g.new_protected,
        "ServiceLinkedRoleARN": format!(
            "arn:aws:iam::{}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            g.arn.split(':').nth(4).unwrap_or_default()
        ),
        "CapacityRebalance": false,
        "TrafficSources": g.target_groups.iter().map(|t| json!({"Identifier": t, "Type": "elbv2"})).collect::<Vec<_>>(),
    });
    if let Some(t) = &g.template {
        v["LaunchTemplate"] = json!({
            "LaunchTemplateId": t.id, "LaunchTemplateName": t.name, "Version": t.version,
        });
    }
    if let Some(c) = &g.configuration {
        v["LaunchConfigurationName"] = json!(c);
    }
    if g.deleting {
        v["Status"] = json!("Delete in progress");
    }
    v
}

/// `DescribeAutoScalingGroups`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let names = strings(input, "AutoScalingGroupNames");
    let filters = input["Filters"].as_array().cloned().unwrap_or_default();
    let items: Vec<Value> = svc
        .groups
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| names.is_empty() || names.contains(&g.name))
        .filter(|g| filters.iter().all(|f| matches_filter(g, f)))
        .map(|g| {
            let mut v = shape(&g);
            if input["IncludeInstances"].as_bool() == Some(false) {
                if let Some(o) = v.as_object_mut() {
                    o.remove("Instances");
                }
            }
            v
        })
        .collect();
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "AutoScalingGroups": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// `tag-key`, `tag-value` and `tag:KEY` filters.
fn matches_filter(g: &Group, f: &Value) -> bool {
    let name = string(f, "Name").unwrap_or_default();
    let values = strings(f, "Values");
    let any = |p: &dyn Fn(&Tag) -> bool| g.tags.iter().any(p);
    match name {
        "tag-key" => any(&|t| values.contains(&t.key)),
        "tag-value" => any(&|t| values.contains(&t.value)),
        _ => match name.strip_prefix("tag:") {
            Some(k) => any(&|t| t.key == k && values.contains(&t.value)),
            None => true,
        },
    }
}

/// Reads a group, or AWS's not-found error.
pub(crate) fn load(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    name: &str,
) -> Result<Group, AwsError> {
    svc.groups
        .get(&scope.key(name))?
        .ok_or_else(|| group_not_found(name))
}

/// Changes a group in one transaction.
pub(crate) fn change<R>(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    name: &str,
    f: impl FnOnce(&mut Group) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    let key = scope.key(name);
    svc.store.write(|txn| {
        let mut g = txn
            .get(&svc.groups, &key)?
            .ok_or_else(|| group_not_found(name))?;
        let r = f(&mut g)?;
        txn.put(&svc.groups, &key, &g)?;
        Ok(r)
    })
}

/// `UpdateAutoScalingGroup`.
pub(crate) fn update(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    util::refuse_unimplemented(input, UNIMPLEMENTED_GROUP_MEMBERS)?;
    let template = input
        .get("LaunchTemplate")
        .map(|spec| template(svc, ctx, spec))
        .transpose()?;
    let lc = string(input, "LaunchConfigurationName");
    if let Some(c) = lc {
        if svc.configurations.get(&scope.key(c))?.is_none() {
            return Err(validation(format!(
                "Launch configuration name not found - Launch configuration {c} not found"
            )));
        }
    }
    let subnets = string(input, "VPCZoneIdentifier")
        .map(|s| subnets(svc, ctx, s))
        .transpose()?;
    let health = health_check_type(input)?;
    let policies = termination_policies(input)?;
    let now = ctx.clock.now_millis();
    change(svc, scope, name, |g| {
        let min = int(input, "MinSize").unwrap_or(g.min);
        let max = int(input, "MaxSize").unwrap_or(g.max);
        // AWS moves desired into the new bounds when only they change.
        let desired =
            int(input, "DesiredCapacity").unwrap_or_else(|| g.desired.clamp(min, max.max(min)));
        check_bounds(min, max, desired)?;
        if desired != g.desired {
            g.pending_cause = Some(format!(
                "At {} a user request update of AutoScalingGroup constraints to min: {min}, max: {max}, desired: {desired} changing the desired capacity from {} to {desired}.",
                iso(now),
                g.desired
            ));
        }
        g.min = min;
        g.max = max;
        g.desired = desired;
        if let Some(t) = template {
            g.template = Some(t);
            g.configuration = None;
        }
        if let Some(c) = lc {
            g.configuration = Some(c.to_string());
            g.template = None;
        }
        if let Some(s) = subnets {
            if !s.is_empty() {
                g.zones = Vec::new();
                for (_, z) in &s {
                    if !g.zones.contains(z) {
                        g.zones.push(z.clone());
                    }
                }
                g.subnets = s;
            }
        }
        if let Some(h) = health {
            g.health_check_type = h;
        }
        if let Some(p) = policies {
            g.termination_policies = p;
        }
        if let Some(c) = int(input, "DefaultCooldown") {
            g.cooldown = c;
        }
        if let Some(c) = int(input, "HealthCheckGracePeriod") {
            g.grace = c;
        }
        if let Some(p) = input["NewInstancesProtectedFromScaleIn"].as_bool() {
            g.new_protected = p;
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DeleteAutoScalingGroup`: at once when empty; with `ForceDelete` the
/// reconciler terminates the instances first.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let force = input["ForceDelete"].as_bool().unwrap_or(false);
    let g = load(svc, scope, name)?;
    if !force && !g.members.is_empty() {
        return Err(AutoscalingError::GroupHasInstances.into());
    }
    if !force && activities::in_progress(svc, scope, name)? {
        return Err(AutoscalingError::ActivityInProgress.into());
    }
    if g.members.is_empty() {
        remove(svc, scope, name)?;
    } else {
        change(svc, scope, name, |g| {
            g.deleting = true;
            g.min = 0;
            g.desired = 0;
            g.pending_cause = Some(format!(
                "At {} a user request delete of AutoScalingGroup changing the desired capacity from {} to 0.",
                iso(ctx.clock.now_millis()),
                g.members.len()
            ));
            Ok(())
        })?;
    }
    Ok(json!({}))
}

/// Removes a group, its policies and activities.
pub(crate) fn remove(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    name: &str,
) -> Result<(), AwsError> {
    svc.groups.delete(&scope.key(name))?;
    for (k, _) in svc.policies.scan_prefix(&scope.key(&format!("{name}/")))? {
        svc.policies.delete(&k)?;
    }
    for (k, _) in svc.scheduled.scan_prefix(&scope.key(&format!("{name}/")))? {
        svc.scheduled.delete(&k)?;
    }
    for (k, _) in svc.hooks.scan_prefix(&scope.key(&format!("{name}/")))? {
        svc.hooks.delete(&k)?;
    }
    activities::forget(svc, scope, name)
}

/// `SetDesiredCapacity`.
pub(crate) fn set_desired_capacity(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let desired =
        int(input, "DesiredCapacity").ok_or_else(|| validation_null("desiredCapacity"))?;
    let now = ctx.clock.now_millis();
    change(svc, scope, name, |g| {
        if desired > g.max {
            return Err(validation(format!(
                "New SetDesiredCapacity value {desired} is above max value {} for the AutoScalingGroup.",
                g.max
            )));
        }
        if desired < g.min {
            return Err(validation(format!(
                "New SetDesiredCapacity value {desired} is below min value {} for the AutoScalingGroup.",
                g.min
            )));
        }
        if desired != g.desired {
            g.pending_cause = Some(format!(
                "At {} a user request explicitly set group desired capacity changing the desired capacity from {} to {desired}.",
                iso(now),
                g.desired
            ));
        }
        g.desired = desired;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `SuspendProcesses` / `ResumeProcesses` (all processes when none named).
pub(crate) fn suspend_processes(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
    suspend: bool,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "AutoScalingGroupName")?;
    let mut named = strings(input, "ScalingProcesses");
    for p in &named {
        if !PROCESSES.contains(&p.as_str()) {
            return Err(validation(format!(
                "Process {p} is not a valid process name."
            )));
        }
    }
    if named.is_empty() {
        named = PROCESSES.iter().map(|p| p.to_string()).collect();
    }
    change(svc, scope, name, |g| {
        for p in named {
            if suspend && !g.suspended.contains(&p) {
                g.suspended.push(p);
            } else if !suspend {
                g.suspended.retain(|s| *s != p);
            }
        }
        Ok(())
    })?;
    Ok(json!({}))
}
