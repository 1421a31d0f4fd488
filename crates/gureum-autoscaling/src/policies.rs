//! Scaling policies: `PutScalingPolicy` (simple, step and target
//! tracking, whose CloudWatch alarms the policy creates and owns),
//! `DescribePolicies`, `DeletePolicy`, `ExecutePolicy`, and what an alarm
//! action runs ([`alarm_fired`]).

use crate::errors::{group_not_found, validation};
use crate::groups::{change, load};
use crate::records::{Group, Policy};
use crate::util::{self, arn, int, iso, required, string, strings};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

pub(crate) const ADJUSTMENT_TYPES: &[&str] = &[
    "ChangeInCapacity",
    "ExactCapacity",
    "PercentChangeInCapacity",
];

fn steps(input: &Value) -> Vec<(Option<f64>, Option<f64>, i64)> {
    input["StepAdjustments"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["MetricIntervalLowerBound"].as_f64(),
                        s["MetricIntervalUpperBound"].as_f64(),
                        s["ScalingAdjustment"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The alarm a target tracking policy needs for `high` or low, as
/// `PutMetricAlarm` input.
fn tracking_alarm(
    g: &Group,
    p: &Policy,
    config: &Value,
    high: bool,
) -> Result<(String, Value), AwsError> {
    let target = config["TargetValue"].as_f64().unwrap_or(0.0);
    let group_dim = json!([{"Name": "AutoScalingGroupName", "Value": g.name}]);
    let (namespace, metric, statistic, dims) = if let Some(pre) =
        config.get("PredefinedMetricSpecification")
    {
        match string(pre, "PredefinedMetricType") {
            Some("ASGAverageCPUUtilization") => ("AWS/EC2", "CPUUtilization", "Average", group_dim),
            Some("ASGAverageNetworkIn") => ("AWS/EC2", "NetworkIn", "Average", group_dim),
            Some("ASGAverageNetworkOut") => ("AWS/EC2", "NetworkOut", "Average", group_dim),
            Some("ALBRequestCountPerTarget") => {
                let label = string(pre, "ResourceLabel").unwrap_or_default();
                let tg = label
                    .split_once("/targetgroup/")
                    .map(|(_, t)| format!("targetgroup/{t}"))
                    .unwrap_or_default();
                (
                    "AWS/ApplicationELB",
                    "RequestCountPerTarget",
                    "Sum",
                    json!([{"Name": "TargetGroup", "Value": tg}]),
                )
            }
            other => {
                return Err(validation(format!(
                    "Unsupported predefined metric type: {}",
                    other.unwrap_or("null")
                )))
            }
        }
    } else if let Some(c) = config.get("CustomizedMetricSpecification") {
        let ns = string(c, "Namespace").unwrap_or_default();
        let name = string(c, "MetricName").unwrap_or_default();
        let stat = string(c, "Statistic").unwrap_or("Average");
        let mut alarm = json!({
            "Namespace": ns, "MetricName": name, "Statistic": stat,
            "Dimensions": c.get("Dimensions").cloned().unwrap_or_else(|| json!([])),
        });
        if let Some(u) = string(c, "Unit") {
            alarm["Unit"] = json!(u);
        }
        return Ok(finish_alarm(g, p, alarm, target, high));
    } else {
        return Err(validation(
            "Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified.",
        ));
    };
    let alarm = json!({
        "Namespace": namespace, "MetricName": metric, "Statistic": statistic, "Dimensions": dims,
    });
    Ok(finish_alarm(g, p, alarm, target, high))
}

fn finish_alarm(
    g: &Group,
    p: &Policy,
    mut alarm: Value,
    target: f64,
    high: bool,
) -> (String, Value) {
    let name = format!(
        "TargetTracking-{}-{}-{}",
        g.name,
        if high { "AlarmHigh" } else { "AlarmLow" },
        gureum_core::id::uuid_v4()
    );
    alarm["AlarmName"] = json!(name);
    alarm["AlarmDescription"] = json!(format!(
        "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {}.",
        p.arn
    ));
    alarm["Period"] = json!(60);
    alarm["EvaluationPeriods"] = json!(if high { 3 } else { 15 });
    alarm["DatapointsToAlarm"] = json!(if high { 3 } else { 15 });
    alarm["ComparisonOperator"] = json!(if high {
        "GreaterThanThreshold"
    } else {
        "LessThanThreshold"
    });
    alarm["Threshold"] = json!(if high { target } else { target * 0.9 });
    alarm["AlarmActions"] = json!([p.arn]);
    (name, alarm)
}

/// `PutScalingPolicy`: creates or replaces a policy.
pub(crate) fn put(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let group_name = required(input, "AutoScalingGroupName")?;
    let name = required(input, "PolicyName")?;
    util::refuse_unimplemented(
        input,
        &["MinAdjustmentStep", "PredictiveScalingConfiguration"],
    )?;
    let g = load(svc, scope, group_name)?;
    let kind = string(input, "PolicyType").unwrap_or("SimpleScaling");
    let adjustment_type = string(input, "AdjustmentType");
    if let Some(t) = adjustment_type {
        if !ADJUSTMENT_TYPES.contains(&t) {
            return Err(validation(format!("Invalid adjustment type {t}")));
        }
    }
    match kind {
        "SimpleScaling" => {
            if input.get("ScalingAdjustment").is_none() {
                return Err(validation(
                    "ScalingAdjustment is required for policy type SimpleScaling",
                ));
            }
            if adjustment_type.is_none() {
                return Err(validation(
                    "AdjustmentType is required for policy type SimpleScaling",
                ));
            }
        }
        "StepScaling" => {
            if steps(input).is_empty() {
                return Err(validation(
                    "StepAdjustments is required for policy type StepScaling",
                ));
            }
            if adjustment_type.is_none() {
                return Err(validation(
                    "AdjustmentType is required for policy type StepScaling",
                ));
            }
        }
        "TargetTrackingScaling" => {
            if input.get("TargetTrackingConfiguration").is_none() {
                return Err(validation(
                    "TargetTrackingConfiguration is required for policy type TargetTrackingScaling",
                ));
            }
        }
        "PredictiveScaling" => {}
        other => {
            return Err(validation(format!("Invalid policy type {other}")));
        }
    }
    let key = scope.key(&format!("{group_name}/{name}"));
    let existing = svc.policies.get(&key)?;
    let arn = existing.as_ref().map(|p| p.arn.clone()).unwrap_or_else(|| {
        arn(
            ctx,
            &format!(
                "scalingPolicy:{}:autoScalingGroupName/{group_name}:policyName/{name}",
                gureum_core::id::uuid_v4()
            ),
        )
    });
    let mut p = Policy {
        name: name.to_string(),
        group: group_name.to_string(),
        arn,
        kind: kind.to_string(),
        adjustment_type: adjustment_type.map(str::to_string),
        adjustment: int(input, "ScalingAdjustment"),
        min_magnitude: int(input, "MinAdjustmentMagnitude"),
        cooldown: int(input, "Cooldown"),
        steps: steps(input),
        aggregation: string(input, "MetricAggregationType").map(str::to_string),
        warmup: int(input, "EstimatedInstanceWarmup"),
        target_tracking: input.get("TargetTrackingConfiguration").cloned(),
        alarms: existing
            .as_ref()
            .map(|p| p.alarms.clone())
            .unwrap_or_default(),
        enabled: input["Enabled"].as_bool().unwrap_or(true),
        last_alarm_ms: existing.as_ref().map_or(0, |p| p.last_alarm_ms),
    };
    if let Some(config) = p.target_tracking.clone() {
        let disable_in = config["DisableScaleIn"].as_bool().unwrap_or(false);
        let mut alarms = Vec::new();
        for high in [true, false] {
            if !high && disable_in {
                continue;
            }
            // A replaced policy keeps its alarm names, as AWS updates them.
            let (mut alarm_name, mut alarm) = tracking_alarm(&g, &p, &config, high)?;
            let tag = if high { "-AlarmHigh-" } else { "-AlarmLow-" };
            if let Some((old, _)) = p.alarms.iter().find(|(n, _)| n.contains(tag)) {
                alarm_name = old.clone();
                alarm["AlarmName"] = json!(old);
            }
            svc.alarms.put_alarm(ctx, alarm)?;
            let alarm_arn = format!(
                "arn:aws:cloudwatch:{}:{}:alarm:{alarm_name}",
                ctx.region, ctx.account_id
            );
            alarms.push((alarm_name, alarm_arn));
        }
        let stale: Vec<String> = p
            .alarms
            .iter()
            .filter(|(n, _)| !alarms.iter().any(|(m, _)| m == n))
            .map(|(n, _)| n.clone())
            .collect();
        if !stale.is_empty() {
            svc.alarms.delete_alarms(ctx, &stale)?;
        }
        p.alarms = alarms;
    }
    svc.policies.put(&key, &p)?;
    let alarms: Vec<Value> = p
        .alarms
        .iter()
        .map(|(n, a)| json!({"AlarmName": n, "AlarmARN": a}))
        .collect();
    Ok(json!({ "PolicyARN": p.arn, "Alarms": alarms }))
}

fn shape(p: &Policy) -> Value {
    let mut v = json!({
        "AutoScalingGroupName": p.group,
        "PolicyName": p.name,
        "PolicyARN": p.arn,
        "PolicyType": p.kind,
        "StepAdjustments": p.steps.iter().map(|(lo, hi, adj)| {
            let mut s = json!({"ScalingAdjustment": adj});
            if let Some(lo) = lo { s["MetricIntervalLowerBound"] = json!(lo); }
            if let Some(hi) = hi { s["MetricIntervalUpperBound"] = json!(hi); }
            s
        }).collect::<Vec<_>>(),
        "Alarms": p.alarms.iter().map(|(n, a)| json!({"AlarmName": n, "AlarmARN": a})).collect::<Vec<_>>(),
        "Enabled": p.enabled,
    });
    if let Some(t) = &p.adjustment_type {
        v["AdjustmentType"] = json!(t);
    }
    if let Some(a) = p.adjustment {
        v["ScalingAdjustment"] = json!(a);
    }
    if let Some(m) = p.min_magnitude {
        v["MinAdjustmentMagnitude"] = json!(m);
    }
    if let Some(c) = p.cooldown {
        v["Cooldown"] = json!(c);
    }
    if let Some(a) = &p.aggregation {
        v["MetricAggregationType"] = json!(a);
    } else if p.kind == "StepScaling" {
        v["MetricAggregationType"] = json!("Average");
    }
    if let Some(w) = p.warmup {
        v["EstimatedInstanceWarmup"] = json!(w);
    }
    if let Some(t) = &p.target_tracking {
        let mut t = t.clone();
        if t.get("DisableScaleIn").is_none() {
            t["DisableScaleIn"] = json!(false);
        }
        v["TargetTrackingConfiguration"] = t;
    }
    v
}

/// `DescribePolicies`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let names = strings(input, "PolicyNames");
    let types = strings(input, "PolicyTypes");
    let prefix = match string(input, "AutoScalingGroupName") {
        Some(g) => {
            load(svc, scope, g)?;
            scope.key(&format!("{g}/"))
        }
        None => scope.prefix(),
    };
    let items: Vec<Value> = svc
        .policies
        .scan_prefix(&prefix)?
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| names.is_empty() || names.contains(&p.name) || names.contains(&p.arn))
        .filter(|p| types.is_empty() || types.contains(&p.kind))
        .map(|p| shape(&p))
        .collect();
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "ScalingPolicies": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// Finds a policy by name (in `group`) or ARN.
fn find(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    group: Option<&str>,
    name: &str,
) -> Result<Option<(String, Policy)>, AwsError> {
    if name.starts_with("arn:") {
        return Ok(svc
            .policies
            .scan_prefix(&scope.prefix())?
            .into_iter()
            .find(|(_, p)| p.arn == name));
    }
    let Some(group) = group else {
        return Ok(None);
    };
    let key = scope.key(&format!("{group}/{name}"));
    Ok(svc.policies.get(&key)?.map(|p| (key, p)))
}

/// `DeletePolicy`: a target tracking policy's alarms go with it.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "PolicyName")?;
    let group = string(input, "AutoScalingGroupName");
    if let Some(g) = group {
        load(svc, scope, g)?;
    }
    let Some((key, p)) = find(svc, scope, group, name)? else {
        return Err(validation(format!("Policy {name} does not exist")));
    };
    if !p.alarms.is_empty() && p.kind == "TargetTrackingScaling" {
        let names: Vec<String> = p.alarms.iter().map(|(n, _)| n.clone()).collect();
        svc.alarms.delete_alarms(ctx, &names)?;
    }
    svc.policies.delete(&key)?;
    Ok(json!({}))
}

/// The capacity a policy asks for.
fn new_capacity(p: &Policy, g: &Group, breach: Option<(f64, f64)>) -> Option<i64> {
    let adjustment = match p.kind.as_str() {
        "StepScaling" => {
            let (value, threshold) = breach?;
            let delta = value - threshold;
            p.steps
                .iter()
                .find(|(lo, hi, _)| {
                    lo.is_none_or(|lo| delta >= lo) && hi.is_none_or(|hi| delta < hi)
                })
                .map(|(_, _, a)| *a)?
        }
        "TargetTrackingScaling" => {
            let (value, _) = breach?;
            let target = p.target_tracking.as_ref()?["TargetValue"].as_f64()?;
            if target <= 0.0 {
                return None;
            }
            // Capacity in proportion to the metric's distance from target.
            let want = ((g.desired.max(1) as f64) * value / target).ceil() as i64;
            return Some(want.clamp(g.min, g.max));
        }
        _ => p.adjustment?,
    };
    let current = g.desired;
    let target = match p.adjustment_type.as_deref() {
        Some("ExactCapacity") => adjustment,
        Some("PercentChangeInCapacity") => {
            let mut change = (current as f64 * adjustment as f64 / 100.0).trunc() as i64;
            if change == 0 && adjustment != 0 {
                change = adjustment.signum();
            }
            if let Some(m) = p.min_magnitude {
                if change.abs() < m {
                    change = m * change.signum();
                }
            }
            current + change
        }
        _ => current + adjustment,
    };
    Some(target.clamp(g.min, g.max))
}

/// Applies a policy: changes the group's desired capacity with `cause`
/// (completed with the change) unless a cooldown holds it.
fn apply(
    svc: &AutoscalingService,
    scope: Scope<'_>,
    p: &Policy,
    breach: Option<(f64, f64)>,
    honor_cooldown: bool,
    cause: impl Fn(i64, i64) -> String,
    now: i64,
) -> Result<(), AwsError> {
    change(svc, scope, &p.group, |g| {
        if g.deleting {
            return Ok(());
        }
        let cooldown = p.cooldown.unwrap_or(g.cooldown) * 1000;
        if honor_cooldown && p.kind == "SimpleScaling" && now < g.last_scaled_ms + cooldown {
            return Ok(());
        }
        let Some(want) = new_capacity(p, g, breach) else {
            return Ok(());
        };
        if want != g.desired {
            g.pending_cause = Some(cause(g.desired, want));
            g.desired = want;
            g.last_scaled_ms = now;
        }
        Ok(())
    })
}

/// `ExecutePolicy`.
pub(crate) fn execute(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = required(input, "PolicyName")?;
    let group = string(input, "AutoScalingGroupName");
    if let Some(g) = group {
        load(svc, scope, g)?;
    }
    let Some((_, p)) = find(svc, scope, group, name)? else {
        return Err(validation(format!("Policy {name} does not exist")));
    };
    let breach = match (
        input["MetricValue"].as_f64(),
        input["BreachThreshold"].as_f64(),
    ) {
        (Some(v), Some(t)) => Some((v, t)),
        (None, None) if p.kind == "StepScaling" => {
            return Err(validation(
                "Both MetricValue and BreachThreshold are required for step scaling policies",
            ))
        }
        _ => None,
    };
    if p.kind == "TargetTrackingScaling" {
        return Err(validation(
            "ExecutePolicy is not supported for a target tracking scaling policy.",
        ));
    }
    let now = ctx.clock.now_millis();
    let honor = input["HonorCooldown"].as_bool().unwrap_or(false);
    apply(
        svc,
        scope,
        &p,
        breach,
        honor,
        |from, to| {
            format!(
            "At {} a user request executed policy {} changing the desired capacity from {from} to {to}.",
            iso(now),
            p.name
        )
        },
        now,
    )?;
    Ok(json!({}))
}

/// What a CloudWatch alarm action runs: the policy `policy_arn`, for
/// `alarm` with the breaching `value` and `threshold` when known.
pub(crate) fn alarm_fired(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    policy_arn: &str,
    alarm: &str,
    breach: Option<(f64, f64)>,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let Some((key, mut p)) = find(svc, scope, None, policy_arn)? else {
        return Err(validation(format!("Policy {policy_arn} does not exist")));
    };
    if !p.enabled {
        return Ok(());
    }
    p.last_alarm_ms = ctx.clock.now_millis();
    svc.policies.put(&key, &p)?;
    let g = svc
        .groups
        .get(&scope.key(&p.group))?
        .ok_or_else(|| group_not_found(&p.group))?;
    if g.suspended.iter().any(|s| s == "AlarmNotification") {
        return Ok(());
    }
    // A target tracking policy scales in only from its low alarm, out
    // only from its high one.
    let breach = match (p.kind.as_str(), breach) {
        ("TargetTrackingScaling", Some((v, _))) => Some((v, 0.0)),
        (_, b) => b,
    };
    let now = ctx.clock.now_millis();
    apply(
        svc,
        scope,
        &p,
        breach,
        true,
        |from, to| {
            format!(
            "At {} a monitor alarm {alarm} in state ALARM triggered policy {} changing the desired capacity from {from} to {to}.",
            iso(now),
            p.name
        )
        },
        now,
    )
}

/// How often an alarm that stays in `ALARM` runs its policy again.
const ALARM_REPEAT_MS: i64 = 60_000;

/// Runs again, once a minute, the policies whose alarms are still in
/// `ALARM` (CloudWatch fires an action on the state change only; AWS
/// keeps invoking a scaling policy while its alarm stays in alarm).
pub(crate) fn repeat_alarms(svc: &AutoscalingService, clock: &gureum_core::Clock) {
    let now = clock.now_millis();
    let Ok(all) = svc.policies.scan_prefix("") else {
        return;
    };
    for (key, p) in all {
        if !p.enabled || p.last_alarm_ms == 0 || now - p.last_alarm_ms < ALARM_REPEAT_MS {
            continue;
        }
        let mut parts = key.splitn(3, '/');
        let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        let ctx = RequestContext::root(account, region, clock.clone());
        let alarming = svc.alarms.alarming(&ctx, &p.arn).unwrap_or_default();
        if alarming.is_empty() {
            // Nothing in alarm: wait for the next state change.
            let mut quiet = p.clone();
            quiet.last_alarm_ms = 0;
            let _ = svc.policies.put(&key, &quiet);
            continue;
        }
        for (alarm, breach) in alarming {
            let _ = alarm_fired(svc, &ctx, &p.arn, &alarm, breach);
        }
    }
}
