//! Target groups: `CreateTargetGroup`, `DescribeTargetGroups`,
//! `ModifyTargetGroup`, `DeleteTargetGroup` and their attributes. Health
//! check defaults follow AWS's per protocol and target type.

use crate::errors::{validation, Elbv2Error};
use crate::load_balancers::{check_attribute_value, check_name};
use crate::records::{HealthCheck, TargetGroup};
use crate::util::{self, attributes_value, new_id, page, string, strings, with_marker};
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// AWS's default health check for a new group.
fn default_health(target_type: &str, protocol: Option<&str>) -> HealthCheck {
    match (target_type, protocol) {
        ("lambda", _) => HealthCheck {
            enabled: false,
            protocol: None,
            port: "traffic-port".into(),
            path: Some("/".into()),
            interval: 35,
            timeout: 30,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: Some("200".into()),
        },
        (_, Some("HTTP" | "HTTPS")) => HealthCheck {
            enabled: true,
            protocol: protocol.map(str::to_string),
            port: "traffic-port".into(),
            path: Some("/".into()),
            interval: 30,
            timeout: 5,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: Some("200".into()),
        },
        _ => HealthCheck {
            enabled: true,
            protocol: Some("TCP".into()),
            port: "traffic-port".into(),
            path: None,
            interval: 30,
            timeout: 10,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: None,
        },
    }
}

/// AWS's default attributes of a new group.
fn default_attributes(target_type: &str, protocol: Option<&str>) -> BTreeMap<String, String> {
    let pairs: Vec<(&str, &str)> = match (target_type, protocol) {
        ("lambda", _) => vec![("lambda.multi_value_headers.enabled", "false")],
        (_, Some("HTTP" | "HTTPS")) => vec![
            ("deregistration_delay.timeout_seconds", "300"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            ("stickiness.app_cookie.cookie_name", ""),
            ("stickiness.app_cookie.duration_seconds", "86400"),
            ("slow_start.duration_seconds", "0"),
            ("load_balancing.algorithm.type", "round_robin"),
            ("load_balancing.algorithm.anomaly_mitigation", "off"),
            (
                "load_balancing.cross_zone.enabled",
                "use_load_balancer_configuration",
            ),
        ],
        _ => vec![
            ("deregistration_delay.timeout_seconds", "300"),
            (
                "deregistration_delay.connection_termination.enabled",
                "false",
            ),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "source_ip"),
            ("proxy_protocol_v2.enabled", "false"),
            (
                "preserve_client_ip.enabled",
                if target_type == "instance" {
                    "true"
                } else {
                    "false"
                },
            ),
            (
                "load_balancing.cross_zone.enabled",
                "use_load_balancer_configuration",
            ),
        ],
    };
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The group as the model's `TargetGroup`.
pub fn to_value(tg: &TargetGroup, load_balancers: Vec<String>) -> Value {
    let h = &tg.health;
    let mut v = json!({
        "TargetGroupArn": tg.arn,
        "TargetGroupName": tg.name,
        "HealthCheckEnabled": h.enabled,
        "HealthCheckIntervalSeconds": h.interval,
        "HealthCheckTimeoutSeconds": h.timeout,
        "HealthyThresholdCount": h.healthy_threshold,
        "UnhealthyThresholdCount": h.unhealthy_threshold,
        "LoadBalancerArns": load_balancers,
        "TargetType": tg.target_type,
    });
    if let Some(p) = &tg.protocol {
        v["Protocol"] = json!(p);
        v["IpAddressType"] = json!(tg.ip_address_type);
    }
    if let Some(p) = &tg.protocol_version {
        v["ProtocolVersion"] = json!(p);
    }
    if let Some(p) = tg.port {
        v["Port"] = json!(p);
    }
    if let Some(vpc) = &tg.vpc_id {
        v["VpcId"] = json!(vpc);
    }
    if let Some(p) = &h.protocol {
        v["HealthCheckProtocol"] = json!(p);
    }
    if tg.target_type != "lambda" {
        v["HealthCheckPort"] = json!(h.port);
    }
    if let Some(p) = &h.path {
        v["HealthCheckPath"] = json!(p);
    }
    if let Some(m) = &h.matcher {
        v["Matcher"] = json!({"HttpCode": m});
    }
    v
}

/// Checks a `Matcher.HttpCode`: codes or ranges, comma-separated, within
/// 200–499.
fn check_matcher(code: &str) -> Result<(), AwsError> {
    let ok = |s: &str| s.parse::<u16>().is_ok_and(|c| (200..=499).contains(&c));
    for part in code.split(',') {
        let valid = match part.split_once('-') {
            Some((a, b)) => ok(a) && ok(b) && a < b,
            None => ok(part),
        };
        if !valid {
            return Err(validation(format!(
                "Health check matcher HTTP code '{code}' must be within '200-499' inclusive"
            )));
        }
    }
    Ok(())
}

/// Applies the health check members of `input` to `h`, checking them.
fn apply_health(h: &mut HealthCheck, input: &Value, target_type: &str) -> Result<(), AwsError> {
    if let Some(p) = string(input, "HealthCheckProtocol") {
        if !matches!(p, "HTTP" | "HTTPS" | "TCP") {
            return Err(validation(format!(
                "Health check protocol '{p}' is not supported"
            )));
        }
        h.protocol = Some(p.to_string());
        if p != "TCP" && h.path.is_none() {
            h.path = Some("/".into());
            h.matcher = Some("200-399".into());
        }
        if p == "TCP" {
            h.path = None;
            h.matcher = None;
        }
    }
    if let Some(p) = string(input, "HealthCheckPort") {
        if p != "traffic-port" && !p.parse::<u16>().is_ok_and(|n| n > 0) {
            return Err(validation(format!(
                "Health check port '{p}' must be 'traffic-port' or a port number between 1 and 65535"
            )));
        }
        h.port = p.to_string();
    }
    if let Some(p) = string(input, "HealthCheckPath") {
        if !p.starts_with('/') {
            return Err(validation(
                "Health check path must begin with a '/' character",
            ));
        }
        h.path = Some(p.to_string());
    }
    if let Some(e) = input["HealthCheckEnabled"].as_bool() {
        if !e && target_type != "lambda" {
            return Err(validation(format!(
                "Health checks cannot be disabled for target groups with the target type '{target_type}'"
            )));
        }
        h.enabled = e;
    }
    if let Some(n) = input["HealthCheckIntervalSeconds"].as_i64() {
        h.interval = n;
    }
    if let Some(n) = input["HealthCheckTimeoutSeconds"].as_i64() {
        h.timeout = n;
    }
    if let Some(n) = input["HealthyThresholdCount"].as_i64() {
        h.healthy_threshold = n;
    }
    if let Some(n) = input["UnhealthyThresholdCount"].as_i64() {
        h.unhealthy_threshold = n;
    }
    if let Some(m) = input["Matcher"]["HttpCode"].as_str() {
        check_matcher(m)?;
        h.matcher = Some(m.to_string());
    }
    if h.timeout >= h.interval {
        return Err(validation(
            "Health check interval must be greater than the timeout.",
        ));
    }
    Ok(())
}

/// `CreateTargetGroup`.
pub fn create(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = string(input, "Name").unwrap_or_default().to_string();
    check_name("Target group", &name)?;
    let target_type = string(input, "TargetType")
        .unwrap_or("instance")
        .to_string();
    let protocol = string(input, "Protocol").map(str::to_string);
    let port = input["Port"].as_i64();
    let vpc_id = string(input, "VpcId").map(str::to_string);
    if target_type == "lambda" {
        for (member, given) in [
            ("Protocol", protocol.is_some()),
            ("Port", port.is_some()),
            ("VPC ID", vpc_id.is_some()),
        ] {
            if given {
                return Err(validation(format!(
                    "{member} cannot be specified for target groups with target type 'lambda'"
                )));
            }
        }
    } else {
        if protocol.is_none() {
            return Err(validation(format!(
                "A protocol must be specified for target groups with target type '{target_type}'"
            )));
        }
        if port.is_none() {
            return Err(validation(format!(
                "A port must be specified for target groups with target type '{target_type}'"
            )));
        }
        match &vpc_id {
            None => {
                return Err(validation(format!(
                    "A VPC ID must be specified for target groups with target type '{target_type}'"
                )))
            }
            Some(v) if !svc.seams.network.vpc_exists(ctx, v)? => {
                return Err(validation(format!("The VPC ID '{v}' is not found")));
            }
            Some(_) => {}
        }
    }
    let protocol_version = match (&protocol, string(input, "ProtocolVersion")) {
        (Some(p), v) if p == "HTTP" || p == "HTTPS" => Some(v.unwrap_or("HTTP1").to_string()),
        (_, Some(v)) => {
            return Err(validation(format!(
                "Protocol version '{v}' is only supported for target groups with the HTTP or HTTPS protocol"
            )))
        }
        _ => None,
    };
    let mut health = default_health(&target_type, protocol.as_deref());
    apply_health(&mut health, input, &target_type)?;
    let existing = svc
        .all_target_groups(ctx)?
        .into_iter()
        .find(|tg| tg.name == name);
    if let Some(tg) = existing {
        if tg.protocol == protocol && tg.port == port && tg.vpc_id == vpc_id && tg.health == health
        {
            let lbs = load_balancers_of(svc, ctx, &tg.arn)?;
            return Ok(json!({"TargetGroups": [to_value(&tg, lbs)]}));
        }
        return Err(Elbv2Error::DuplicateTargetGroupName { name }.into());
    }
    crate::tags::check(input)?;
    let id = new_id();
    let arn = util::arn(ctx, &format!("targetgroup/{name}/{id}"));
    let tg = TargetGroup {
        id: id.clone(),
        name,
        arn: arn.clone(),
        attributes: default_attributes(&target_type, protocol.as_deref()),
        target_type,
        protocol,
        protocol_version,
        port,
        vpc_id,
        ip_address_type: string(input, "IpAddressType").unwrap_or("ipv4").to_string(),
        health,
        targets: Vec::new(),
    };
    svc.target_groups.put(&Scope::regional(ctx).key(&id), &tg)?;
    crate::tags::put_initial(svc, ctx, &arn, input)?;
    Ok(json!({"TargetGroups": [to_value(&tg, Vec::new())]}))
}

/// The load balancers forwarding to a group.
pub fn load_balancers_of(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    tg_arn: &str,
) -> Result<Vec<String>, AwsError> {
    let mut out: Vec<String> = svc
        .forwarding(ctx)?
        .into_iter()
        .filter(|(tg, _)| tg == tg_arn)
        .map(|(_, lb)| lb)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// `DescribeTargetGroups`.
pub fn describe(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let all = svc.all_target_groups(ctx)?;
    let forwarding = svc.forwarding(ctx)?;
    let arns = strings(input, "TargetGroupArns");
    let names = strings(input, "Names");
    let chosen: Vec<&TargetGroup> = if let Some(lb) = string(input, "LoadBalancerArn") {
        svc.load_balancer(ctx, lb)?;
        all.iter()
            .filter(|tg| forwarding.iter().any(|(t, l)| *t == tg.arn && l == lb))
            .collect()
    } else if !arns.is_empty() {
        arns.iter()
            .map(|a| all.iter().find(|tg| &tg.arn == a))
            .collect::<Option<_>>()
            .ok_or(Elbv2Error::TargetGroupNotFound)?
    } else if !names.is_empty() {
        names
            .iter()
            .map(|n| all.iter().find(|tg| &tg.name == n))
            .collect::<Option<_>>()
            .ok_or(Elbv2Error::TargetGroupNotFound)?
    } else {
        all.iter().collect()
    };
    let items = chosen
        .into_iter()
        .map(|tg| {
            let mut lbs: Vec<String> = forwarding
                .iter()
                .filter(|(t, _)| *t == tg.arn)
                .map(|(_, l)| l.clone())
                .collect();
            lbs.sort();
            lbs.dedup();
            to_value(tg, lbs)
        })
        .collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(json!({"TargetGroups": items}), next))
}

/// `ModifyTargetGroup`: the health check settings.
pub fn modify(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut tg = svc.target_group(ctx, string(input, "TargetGroupArn").unwrap_or_default())?;
    let mut health = tg.health.clone();
    apply_health(&mut health, input, &tg.target_type)?;
    tg.health = health;
    svc.target_groups
        .put(&Scope::regional(ctx).key(&tg.id), &tg)?;
    let lbs = load_balancers_of(svc, ctx, &tg.arn)?;
    Ok(json!({"TargetGroups": [to_value(&tg, lbs)]}))
}

/// `DeleteTargetGroup`: refused while a listener or rule forwards to it.
pub fn delete(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = string(input, "TargetGroupArn").unwrap_or_default();
    let Ok(tg) = svc.target_group(ctx, arn) else {
        return Ok(json!({}));
    };
    if svc.forwarding(ctx)?.iter().any(|(t, _)| *t == tg.arn) {
        return Err(Elbv2Error::ResourceInUse {
            message: format!("Target group '{arn}' is currently in use by a listener or a rule"),
        }
        .into());
    }
    let scope = Scope::regional(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        txn.delete(&svc.target_groups, &scope.key(&tg.id))?;
        txn.delete(&svc.tags, &scope.key(&tg.arn))?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DescribeTargetGroupAttributes`.
pub fn describe_attributes(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let tg = svc.target_group(ctx, string(input, "TargetGroupArn").unwrap_or_default())?;
    Ok(json!({"Attributes": attributes_value(&tg.attributes)}))
}

/// `ModifyTargetGroupAttributes`.
pub fn modify_attributes(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut tg = svc.target_group(ctx, string(input, "TargetGroupArn").unwrap_or_default())?;
    for a in input["Attributes"].as_array().into_iter().flatten() {
        let key = a["Key"].as_str().unwrap_or_default();
        let value = a["Value"].as_str().unwrap_or_default();
        if !tg.attributes.contains_key(key) {
            return Err(validation(format!(
                "Target group attribute key '{key}' is not recognized"
            )));
        }
        check_attribute_value(key, value)?;
        crate::group_attributes::check_value(tg.protocol.as_deref(), key, value)?;
        tg.attributes.insert(key.to_string(), value.to_string());
    }
    crate::group_attributes::check_combination(&tg.attributes)?;
    svc.target_groups
        .put(&Scope::regional(ctx).key(&tg.id), &tg)?;
    Ok(json!({"Attributes": attributes_value(&tg.attributes)}))
}
