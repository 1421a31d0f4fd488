//! Targets: `RegisterTargets`, `DeregisterTargets`, `DescribeTargetHealth`.
//!
//! Health is what the data plane's probes saw (`plane::health`); what the
//! probes cannot say — draining, not in use, disabled checks, a stopped
//! instance — comes from the records, with AWS's states and reason codes.

use crate::errors::{validation, Elbv2Error};
use crate::plane::health::Health;
use crate::records::{Target, TargetGroup};
use crate::util::string;
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The targets named in `Targets`: `(Id, Port, AvailabilityZone)`.
fn asked(input: &Value) -> Vec<(String, Option<i64>, Option<String>)> {
    input["Targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Id"].as_str().unwrap_or_default().to_string(),
                t["Port"].as_i64(),
                t["AvailabilityZone"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Drops targets whose draining ended by `now`.
fn settle(tg: &mut TargetGroup, now: i64) -> bool {
    let before = tg.targets.len();
    tg.targets
        .retain(|t| t.draining_until_ms.is_none_or(|until| until > now));
    before != tg.targets.len()
}

/// Checks a target fits the group's type.
fn check_target(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    tg: &TargetGroup,
    id: &str,
) -> Result<(), AwsError> {
    match tg.target_type.as_str() {
        "ip" => {
            if id.parse::<std::net::IpAddr>().is_err() {
                return Err(validation(format!(
                    "The IP address '{id}' is not a valid IPv4 address"
                )));
            }
        }
        "lambda" => {
            if !id.starts_with("arn:aws:lambda:") {
                return Err(validation(format!(
                    "The target ID '{id}' is not a valid Lambda function ARN"
                )));
            }
            if tg
                .targets
                .iter()
                .any(|t| t.id != id && t.draining_until_ms.is_none())
            {
                return Err(validation(
                    "You can register only one Lambda function per target group",
                ));
            }
        }
        "instance" => {
            let found = svc.seams.network.instance(&ctx.account_id, &ctx.region, id);
            match found {
                None => {
                    return Err(Elbv2Error::InvalidTarget {
                        message: format!("The following targets are not valid instances: '{id}'"),
                    }
                    .into())
                }
                Some(i) if i.state != "running" => {
                    return Err(Elbv2Error::InvalidTarget {
                        message: format!(
                            "The following targets are not in a running state and cannot be registered: '{id}'"
                        ),
                    }
                    .into())
                }
                Some(i) if tg.vpc_id.as_deref() != Some(i.vpc_id.as_str()) => {
                    return Err(Elbv2Error::InvalidTarget {
                        message: format!(
                            "The following targets are not in the target group VPC '{}': '{id}'",
                            tg.vpc_id.clone().unwrap_or_default()
                        ),
                    }
                    .into())
                }
                Some(_) => {}
            }
        }
        other => {
            return Err(validation(format!(
                "Targets cannot be registered with target groups of type '{other}'"
            )))
        }
    }
    Ok(())
}

/// `RegisterTargets`: new targets join `initial`; a draining one comes back.
pub fn register_targets(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut tg = svc.target_group(ctx, string(input, "TargetGroupArn").unwrap_or_default())?;
    let now = ctx.clock.now_millis();
    settle(&mut tg, now);
    for (id, port, zone) in asked(input) {
        check_target(svc, ctx, &tg, &id)?;
        let port = if tg.target_type == "lambda" {
            None
        } else {
            Some(port.or(tg.port).unwrap_or(80))
        };
        match tg.targets.iter_mut().find(|t| t.id == id && t.port == port) {
            Some(t) => {
                if t.draining_until_ms.take().is_some() {
                    t.registered_ms = now;
                }
            }
            None => tg.targets.push(Target {
                id,
                port,
                zone,
                registered_ms: now,
                draining_until_ms: None,
            }),
        }
    }
    svc.target_groups
        .put(&Scope::regional(ctx).key(&tg.id), &tg)?;
    Ok(json!({}))
}

/// `DeregisterTargets`: targets drain for the group's deregistration
/// delay (no new requests), then leave.
pub fn deregister_targets(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut tg = svc.target_group(ctx, string(input, "TargetGroupArn").unwrap_or_default())?;
    let now = ctx.clock.now_millis();
    settle(&mut tg, now);
    let delay = tg.deregistration_delay_ms();
    for (id, port, _) in asked(input) {
        let port = if tg.target_type == "lambda" {
            None
        } else {
            port.or(tg.port)
        };
        let Some(t) = tg.targets.iter_mut().find(|t| t.id == id && t.port == port) else {
            return Err(Elbv2Error::InvalidTarget {
                message: format!(
                    "The following targets are not registered in target group '{}': '{id}'",
                    tg.arn
                ),
            }
            .into());
        };
        t.draining_until_ms.get_or_insert(now + delay);
    }
    settle(&mut tg, now);
    svc.target_groups
        .put(&Scope::regional(ctx).key(&tg.id), &tg)?;
    Ok(json!({}))
}

/// A target's `(State, Reason, Description)` as AWS reports it.
fn health_of(
    svc: &Elbv2Service,
    tg: &TargetGroup,
    used: bool,
    t: &Target,
    now: i64,
    ctx: &RequestContext,
) -> (&'static str, Option<&'static str>, Option<String>) {
    if t.draining_until_ms.is_some() {
        return (
            "draining",
            Some("Target.DeregistrationInProgress"),
            Some("Target deregistration is in progress".into()),
        );
    }
    if !used {
        return (
            "unused",
            Some("Target.NotInUse"),
            Some("Target group is not configured to receive traffic from the load balancer".into()),
        );
    }
    if !tg.health.enabled {
        return (
            "unavailable",
            Some("Target.HealthCheckDisabled"),
            Some("Health checks are disabled".into()),
        );
    }
    if tg.target_type == "instance" {
        match svc
            .seams
            .network
            .instance(&ctx.account_id, &ctx.region, &t.id)
        {
            Some(i) if i.state == "running" => {}
            Some(i) => {
                return (
                    "unused",
                    Some("Target.InvalidState"),
                    Some(format!("Target is in the {} state", i.state)),
                )
            }
            None => {
                return (
                    "unused",
                    Some("Target.InvalidState"),
                    Some("Target is in the terminated state".into()),
                )
            }
        }
    }
    let _ = now;
    match svc.plane.health(&tg.arn, &t.id, t.port) {
        Some(Health::Healthy) => ("healthy", None, None),
        Some(Health::Unhealthy(reason)) => {
            let (code, description) = reason.describe();
            ("unhealthy", Some(code), Some(description))
        }
        Some(Health::Initial) | None => (
            "initial",
            Some("Elb.InitialHealthChecking"),
            Some("Initial health checks in progress".into()),
        ),
    }
}

/// `DescribeTargetHealth`.
pub fn describe_target_health(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut tg = svc.target_group(ctx, string(input, "TargetGroupArn").unwrap_or_default())?;
    let now = ctx.clock.now_millis();
    settle(&mut tg, now);
    let used = svc.forwarding(ctx)?.iter().any(|(t, _)| *t == tg.arn);
    let asked = asked(input);
    let mut out = Vec::new();
    let describe = |t: &Target| {
        let (state, reason, description) = health_of(svc, &tg, used, t, now, ctx);
        let mut target = json!({"Id": t.id});
        if let Some(p) = t.port {
            target["Port"] = json!(p);
        }
        if let Some(z) = &t.zone {
            target["AvailabilityZone"] = json!(z);
        }
        let mut health = json!({"State": state});
        if let Some(r) = reason {
            health["Reason"] = json!(r);
        }
        if let Some(d) = description {
            health["Description"] = json!(d);
        }
        let mut v = json!({"Target": target, "TargetHealth": health});
        if tg.target_type != "lambda" {
            let port = match tg.health.port.as_str() {
                "traffic-port" => t.port.map(|p| p.to_string()).unwrap_or_default(),
                p => p.to_string(),
            };
            v["HealthCheckPort"] = json!(port);
        }
        v
    };
    if asked.is_empty() {
        out.extend(tg.targets.iter().map(describe));
    } else {
        for (id, port, _) in asked {
            let port = if tg.target_type == "lambda" {
                None
            } else {
                port.or(tg.port)
            };
            match tg.targets.iter().find(|t| t.id == id && t.port == port) {
                Some(t) => out.push(describe(t)),
                None => {
                    let mut target = json!({"Id": id});
                    if let Some(p) = port {
                        target["Port"] = json!(p);
                    }
                    out.push(json!({
                        "Target": target,
                        "TargetHealth": {
                            "State": "unused",
                            "Reason": "Target.NotRegistered",
                            "Description": "Target is not registered to the target group",
                        },
                    }));
                }
            }
        }
    }
    Ok(json!({"TargetHealthDescriptions": out}))
}

/// Every target's `(id, port, state)` (see [`Elbv2Service::target_states`]).
pub fn states(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    arn: &str,
) -> Result<Vec<(String, Option<i64>, String)>, AwsError> {
    let out = describe_target_health(svc, ctx, &json!({"TargetGroupArn": arn}))?;
    Ok(out["TargetHealthDescriptions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            (
                d["Target"]["Id"].as_str().unwrap_or_default().to_string(),
                d["Target"]["Port"].as_i64(),
                d["TargetHealth"]["State"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect())
}
