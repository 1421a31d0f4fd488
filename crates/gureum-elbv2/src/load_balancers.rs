//! Load balancers: `CreateLoadBalancer`, `DescribeLoadBalancers`,
//! `DeleteLoadBalancer`, attributes and security groups.
//!
//! A load balancer sits in subnets EC2 knows (one per zone, all in one
//! VPC; an application load balancer in at least two zones), gets an
//! interface in each (`ELB app/NAME/ID`, shown by EC2), a DNS name of
//! AWS's shape under `localhost`, and turns `active` on Gureum's clock.

use crate::errors::{invalid_config, validation, Elbv2Error};
use crate::records::{LoadBalancer, Placement};
use crate::util::{self, attributes_value, new_id, page, string, strings, with_marker};
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// Checks a load balancer or target group name as AWS does: 1–32
/// alphanumerics and hyphens, not starting or ending with a hyphen.
pub fn check_name(what: &str, name: &str) -> Result<(), AwsError> {
    if name.len() > 32 {
        return Err(validation(format!(
            "{what} name '{name}' cannot be longer than '32' characters"
        )));
    }
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(validation(format!(
            "{what} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(validation(format!(
            "{what} name '{name}' cannot begin or end with '-' character"
        )));
    }
    Ok(())
}

/// Route 53's hosted zone for a region's load balancers, as AWS's
/// endpoints table lists them (application, network).
fn hosted_zone(region: &str, network: bool) -> &'static str {
    gureum_kit::dns_targets::load_balancer_zone(region, network)
}

/// AWS's default attributes of a new load balancer of `kind`.
fn default_attributes(kind: &str) -> BTreeMap<String, String> {
    let mut a: BTreeMap<String, String> = [
        ("deletion_protection.enabled", "false"),
        ("access_logs.s3.enabled", "false"),
        ("access_logs.s3.bucket", ""),
        ("access_logs.s3.prefix", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let more: &[(&str, &str)] = if kind == "network" {
        &[
            ("load_balancing.cross_zone.enabled", "false"),
            ("dns_record.client_routing_policy", "any_availability_zone"),
        ]
    } else {
        &[
            ("idle_timeout.timeout_seconds", "60"),
            ("routing.http2.enabled", "true"),
            ("routing.http.drop_invalid_header_fields.enabled", "false"),
            ("routing.http.xff_client_port.enabled", "false"),
            ("routing.http.xff_header_processing.mode", "append"),
            ("routing.http.preserve_host_header.enabled", "false"),
            ("routing.http.desync_mitigation_mode", "defensive"),
            (
                "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
                "false",
            ),
            ("waf.fail_open.enabled", "false"),
            ("load_balancing.cross_zone.enabled", "true"),
            ("client_keep_alive.seconds", "3600"),
        ]
    };
    for (k, v) in more {
        a.insert(k.to_string(), v.to_string());
    }
    a
}

/// The load balancer as the model's `LoadBalancer`.
pub fn to_value(lb: &LoadBalancer, now_ms: i64) -> Value {
    let zones: Vec<Value> = lb
        .placements
        .iter()
        .map(|p| {
            let mut z = json!({"ZoneName": p.zone, "SubnetId": p.subnet_id});
            if lb.kind == "network" {
                z["LoadBalancerAddresses"] = match &p.private_ip {
                    Some(ip) if lb.scheme == "internal" => json!([{"PrivateIPv4Address": ip}]),
                    _ => json!([]),
                };
            }
            z
        })
        .collect();
    let mut v = json!({
        "LoadBalancerArn": lb.arn,
        "DNSName": lb.dns_name,
        "CanonicalHostedZoneId": hosted_zone(
            lb.arn.split(':').nth(3).unwrap_or_default(),
            lb.kind == "network",
        ),
        "CreatedTime": lb.created_ms as f64 / 1000.0,
        "LoadBalancerName": lb.name,
        "Scheme": lb.scheme,
        "VpcId": lb.vpc_id,
        "State": {"Code": lb.state(now_ms)},
        "Type": lb.kind,
        "AvailabilityZones": zones,
        "IpAddressType": lb.ip_address_type,
    });
    if !lb.security_groups.is_empty() {
        v["SecurityGroups"] = json!(lb.security_groups);
    }
    v
}

/// The subnets asked for, from `Subnets` or `SubnetMappings`.
fn subnet_ids(input: &Value) -> Vec<String> {
    let mut ids = strings(input, "Subnets");
    if let Some(maps) = input["SubnetMappings"].as_array() {
        ids.extend(
            maps.iter()
                .filter_map(|m| m["SubnetId"].as_str().map(str::to_string)),
        );
    }
    ids
}

/// Looks the subnets up and checks AWS's placement rules.
fn placements(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    kind: &str,
    ids: &[String],
) -> Result<(String, Vec<Placement>), AwsError> {
    if ids.is_empty() {
        return Err(validation(if kind == "application" {
            "At least two subnets in two different Availability Zones must be specified"
        } else {
            "At least one subnet must be specified"
        }));
    }
    let mut vpc = None;
    let mut out: Vec<Placement> = Vec::new();
    for id in ids {
        let s = svc
            .seams
            .network
            .subnet(ctx, id)?
            .ok_or_else(|| Elbv2Error::SubnetNotFound { id: id.clone() })?;
        match &vpc {
            Some(v) if *v != s.vpc_id => {
                return Err(invalid_config("All subnets must belong to the same VPC"));
            }
            _ => vpc = Some(s.vpc_id.clone()),
        }
        if out.iter().any(|p| p.subnet_id == s.id) {
            continue;
        }
        if out.iter().any(|p| p.zone == s.zone) {
            return Err(invalid_config(
                "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
            ));
        }
        out.push(Placement {
            subnet_id: s.id,
            zone: s.zone,
            interface_id: None,
            private_ip: None,
        });
    }
    if kind == "application" && out.len() < 2 {
        return Err(validation(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    Ok((vpc.unwrap_or_default(), out))
}

/// `CreateLoadBalancer`.
pub fn create(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = string(input, "Name").unwrap_or_default().to_string();
    check_name("Load balancer", &name)?;
    if name.starts_with("internal-") {
        return Err(validation(format!(
            "Load balancer name '{name}' cannot begin with 'internal-'"
        )));
    }
    let kind = string(input, "Type").unwrap_or("application").to_string();
    if kind == "gateway" {
        return Err(Elbv2Error::OperationNotPermitted {
            message: "Gateway load balancers are not supported by Gureum yet".into(),
        }
        .into());
    }
    let scheme = string(input, "Scheme")
        .unwrap_or("internet-facing")
        .to_string();
    let ip_type = string(input, "IpAddressType").unwrap_or("ipv4").to_string();
    let (vpc_id, mut places) = placements(svc, ctx, &kind, &subnet_ids(input))?;
    let asked_groups = strings(input, "SecurityGroups");
    let groups = if kind == "application" || !asked_groups.is_empty() {
        svc.seams
            .network
            .security_groups(ctx, &vpc_id, &asked_groups)?
            .map_err(|id| Elbv2Error::InvalidSecurityGroup { id })?
    } else {
        Vec::new()
    };
    let now = ctx.clock.now_millis();
    // The same name with the same settings answers the existing one, as
    // AWS does; other settings are a conflict.
    if let Some(existing) = svc
        .all_load_balancers(ctx)?
        .into_iter()
        .find(|lb| lb.name == name)
    {
        let same_subnets = existing
            .placements
            .iter()
            .map(|p| &p.subnet_id)
            .eq(places.iter().map(|p| &p.subnet_id));
        if existing.kind == kind && existing.scheme == scheme && same_subnets {
            return Ok(json!({"LoadBalancers": [to_value(&existing, now)]}));
        }
        return Err(Elbv2Error::DuplicateLoadBalancerName { name }.into());
    }
    crate::tags::check(input)?;
    let id = new_id();
    let short = if kind == "network" { "net" } else { "app" };
    let arn = util::arn(ctx, &format!("loadbalancer/{short}/{name}/{id}"));
    let prefix = if scheme == "internal" {
        "internal-"
    } else {
        ""
    };
    let dns_name = if kind == "network" {
        format!("{prefix}{name}-{id}.elb.{}.localhost", ctx.region)
    } else {
        let digits: u64 = rand_digits();
        format!("{prefix}{name}-{digits}.{}.elb.localhost", ctx.region)
    };
    let description = format!("ELB {short}/{name}/{id}");
    for p in &mut places {
        if let Some(eni) =
            svc.seams
                .network
                .create_interface(ctx, &p.subnet_id, &groups, &description)?
        {
            p.interface_id = Some(eni.id);
            p.private_ip = Some(eni.private_ip);
        }
    }
    let lb = LoadBalancer {
        id: id.clone(),
        name,
        arn: arn.clone(),
        kind: kind.clone(),
        scheme,
        vpc_id,
        placements: places,
        security_groups: groups,
        ip_address_type: ip_type,
        dns_name,
        created_ms: now,
        attributes: default_attributes(&kind),
    };
    svc.load_balancers
        .put(&Scope::regional(ctx).key(&id), &lb)?;
    crate::tags::put_initial(svc, ctx, &arn, input)?;
    Ok(json!({"LoadBalancers": [to_value(&lb, now)]}))
}

/// Ten decimal digits, as in AWS's application load balancer names.
fn rand_digits() -> u64 {
    let hex = gureum_core::id::hex(12);
    u64::from_str_radix(&hex, 16).unwrap_or(0) % 9_000_000_000 + 1_000_000_000
}

/// `DescribeLoadBalancers`.
pub fn describe(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let now = ctx.clock.now_millis();
    let arns = strings(input, "LoadBalancerArns");
    let names = strings(input, "Names");
    let all = svc.all_load_balancers(ctx)?;
    let chosen: Vec<&LoadBalancer> = if !arns.is_empty() {
        arns.iter()
            .map(|a| all.iter().find(|lb| &lb.arn == a))
            .collect::<Option<_>>()
            .ok_or(Elbv2Error::LoadBalancerNotFound)?
    } else if !names.is_empty() {
        names
            .iter()
            .map(|n| all.iter().find(|lb| &lb.name == n))
            .collect::<Option<_>>()
            .ok_or(Elbv2Error::LoadBalancerNotFound)?
    } else {
        all.iter().collect()
    };
    let items = chosen.into_iter().map(|lb| to_value(lb, now)).collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(json!({"LoadBalancers": items}), next))
}

/// `DeleteLoadBalancer`: refused under deletion protection; takes its
/// listeners, rules and interfaces with it. An unknown ARN succeeds, as
/// on AWS.
pub fn delete(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = string(input, "LoadBalancerArn").unwrap_or_default();
    let lb = match svc.load_balancer(ctx, arn) {
        Ok(lb) => lb,
        Err(_) => return Ok(json!({})),
    };
    if lb.protected() {
        return Err(Elbv2Error::OperationNotPermitted {
            message: format!(
                "Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
            ),
        }
        .into());
    }
    let scope = Scope::regional(ctx);
    let listeners: Vec<_> = svc
        .all_listeners(ctx)?
        .into_iter()
        .filter(|l| l.load_balancer_arn == lb.arn)
        .collect();
    let rules = svc.all_rules(ctx)?;
    svc.store.write(|txn| -> Result<(), AwsError> {
        for l in &listeners {
            for r in rules.iter().filter(|r| r.listener_arn == l.arn) {
                txn.delete(&svc.rules, &scope.key(&r.id))?;
                txn.delete(&svc.tags, &scope.key(&r.arn))?;
            }
            txn.delete(&svc.listeners, &scope.key(&l.id))?;
            txn.delete(&svc.tags, &scope.key(&l.arn))?;
        }
        txn.delete(&svc.load_balancers, &scope.key(&lb.id))?;
        txn.delete(&svc.tags, &scope.key(&lb.arn))?;
        Ok(())
    })?;
    for p in &lb.placements {
        if let Some(eni) = &p.interface_id {
            svc.seams.network.delete_interface(ctx, eni)?;
        }
    }
    Ok(json!({}))
}

/// `DescribeLoadBalancerAttributes`.
pub fn describe_attributes(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let lb = svc.load_balancer(ctx, string(input, "LoadBalancerArn").unwrap_or_default())?;
    Ok(json!({"Attributes": attributes_value(&lb.attributes)}))
}

/// `ModifyLoadBalancerAttributes`: only keys the type has, with values
/// of the right kind.
pub fn modify_attributes(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut lb = svc.load_balancer(ctx, string(input, "LoadBalancerArn").unwrap_or_default())?;
    for a in input["Attributes"].as_array().into_iter().flatten() {
        let key = a["Key"].as_str().unwrap_or_default();
        let value = a["Value"].as_str().unwrap_or_default();
        if !lb.attributes.contains_key(key) {
            return Err(validation(format!(
                "Load balancer attribute key '{key}' is not recognized"
            )));
        }
        check_attribute_value(key, value)?;
        lb.attributes.insert(key.to_string(), value.to_string());
    }
    svc.load_balancers
        .put(&Scope::regional(ctx).key(&lb.id), &lb)?;
    Ok(json!({"Attributes": attributes_value(&lb.attributes)}))
}

/// A boolean attribute takes `true`/`false`; a seconds one an integer.
pub fn check_attribute_value(key: &str, value: &str) -> Result<(), AwsError> {
    if key.ends_with(".enabled") && !matches!(value, "true" | "false") {
        return Err(validation(format!(
            "'{value}' is not a valid value for attribute '{key}'; valid values are 'true' and 'false'"
        )));
    }
    if key.ends_with("seconds") && value.parse::<u64>().is_err() {
        return Err(validation(format!(
            "'{value}' is not a valid value for attribute '{key}'; it must be an integer"
        )));
    }
    Ok(())
}

/// `SetSecurityGroups`.
pub fn set_security_groups(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut lb = svc.load_balancer(ctx, string(input, "LoadBalancerArn").unwrap_or_default())?;
    let asked = strings(input, "SecurityGroups");
    lb.security_groups = svc
        .seams
        .network
        .security_groups(ctx, &lb.vpc_id, &asked)?
        .map_err(|id| Elbv2Error::InvalidSecurityGroup { id })?;
    if asked.is_empty() {
        lb.security_groups.clear();
    }
    svc.load_balancers
        .put(&Scope::regional(ctx).key(&lb.id), &lb)?;
    Ok(json!({"SecurityGroupIds": lb.security_groups}))
}
