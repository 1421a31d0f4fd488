//! Listeners and the actions listeners and rules take: `CreateListener`,
//! `DescribeListeners`, `ModifyListener`, `DeleteListener`.
//!
//! Actions are checked and stored in the form `Describe*` answers them:
//! a `forward` with `TargetGroupArn` also gets the `ForwardConfig` AWS
//! reports, a `redirect` the `#{…}` defaults for parts not given.

use crate::errors::{validation, Elbv2Error};
use crate::records::{Listener, LoadBalancer};
use crate::util::{self, new_id, page, string, strings, with_marker};
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The security policy HTTPS and TLS listeners get when none is named.
const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-2016-08";

/// The target group ARNs a list of actions forwards to.
pub fn forwarded_groups(actions: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for a in actions {
        if a["Type"] != "forward" {
            continue;
        }
        for t in a["ForwardConfig"]["TargetGroups"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(arn) = t["TargetGroupArn"].as_str() {
                out.push(arn.to_string());
            }
        }
    }
    out
}

/// Protocols each load balancer type listens on.
fn check_protocol(lb: &LoadBalancer, protocol: &str) -> Result<(), AwsError> {
    let ok = if lb.kind == "network" {
        matches!(protocol, "TCP" | "TLS" | "UDP" | "TCP_UDP")
    } else {
        matches!(protocol, "HTTP" | "HTTPS")
    };
    if ok {
        Ok(())
    } else {
        Err(Elbv2Error::UnsupportedProtocol {
            protocol: protocol.to_string(),
        }
        .into())
    }
}

/// Checks and normalises `actions` for a listener of `protocol` on `lb`.
pub fn check_actions(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    lb: &LoadBalancer,
    protocol: &str,
    actions: &[Value],
) -> Result<Vec<Value>, AwsError> {
    if actions.is_empty() {
        return Err(validation("At least one action must be specified"));
    }
    let forwarding = svc.forwarding(ctx)?;
    let mut out = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let kind = a["Type"].as_str().unwrap_or_default();
        let mut action = json!({"Type": kind});
        if let Some(o) = a["Order"].as_i64() {
            action["Order"] = json!(o);
        } else if actions.len() > 1 {
            action["Order"] = json!(i as i64 + 1);
        }
        let http = lb.kind == "application";
        match kind {
            "forward" => {
                let mut groups: Vec<(String, i64)> = Vec::new();
                if let Some(arn) = a["TargetGroupArn"].as_str() {
                    groups.push((arn.to_string(), 1));
                }
                for t in a["ForwardConfig"]["TargetGroups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let arn = t["TargetGroupArn"].as_str().unwrap_or_default().to_string();
                    if !groups.iter().any(|(g, _)| *g == arn) {
                        groups.push((arn, t["Weight"].as_i64().unwrap_or(1)));
                    }
                }
                if groups.is_empty() {
                    return Err(validation(
                        "A target group ARN must be specified for a forward action",
                    ));
                }
                if groups.len() > 1 && !http {
                    return Err(validation(
                        "Network load balancers can only forward to one target group",
                    ));
                }
                for (arn, _) in &groups {
                    let tg = svc.target_group(ctx, arn)?;
                    let compatible = match tg.protocol.as_deref() {
                        None => http,
                        Some("HTTP" | "HTTPS") => http,
                        Some(_) => !http,
                    };
                    if !compatible {
                        return Err(Elbv2Error::IncompatibleProtocols {
                            message: format!(
                                "The listener protocol '{protocol}' is not compatible with the target group protocol '{}'",
                                tg.protocol.clone().unwrap_or_default()
                            ),
                        }
                        .into());
                    }
                    if let Some(vpc) = &tg.vpc_id {
                        if *vpc != lb.vpc_id {
                            return Err(validation(format!(
                                "The target group '{arn}' is not in the same VPC as the load balancer"
                            )));
                        }
                    }
                    if let Some((_, other)) =
                        forwarding.iter().find(|(t, l)| t == arn && *l != lb.arn)
                    {
                        let _ = other;
                        return Err(AwsError::from(Elbv2Error::InvalidConfigurationRequest {
                            message: format!(
                                "The following target groups cannot be associated with more than one load balancer: {arn}"
                            ),
                        }));
                    }
                }
                if groups.len() == 1 && a["ForwardConfig"].is_null() {
                    action["TargetGroupArn"] = json!(groups[0].0);
                }
                let stickiness = a["ForwardConfig"]["TargetGroupStickinessConfig"].clone();
                action["ForwardConfig"] = json!({
                    "TargetGroups": groups.iter().map(|(g, w)| json!({"TargetGroupArn": g, "Weight": w})).collect::<Vec<_>>(),
                    "TargetGroupStickinessConfig": if stickiness.is_null() { json!({"Enabled": false}) } else { stickiness },
                });
            }
            "redirect" if http => {
                let c = &a["RedirectConfig"];
                let status = c["StatusCode"].as_str().ok_or_else(|| {
                    validation("A status code must be specified for a redirect action")
                })?;
                action["RedirectConfig"] = json!({
                    "Protocol": c["Protocol"].as_str().unwrap_or("#{protocol}"),
                    "Port": c["Port"].as_str().unwrap_or("#{port}"),
                    "Host": c["Host"].as_str().unwrap_or("#{host}"),
                    "Path": c["Path"].as_str().unwrap_or("/#{path}"),
                    "Query": c["Query"].as_str().unwrap_or("#{query}"),
                    "StatusCode": status,
                });
            }
            "fixed-response" if http => {
                let c = &a["FixedResponseConfig"];
                let status = c["StatusCode"].as_str().ok_or_else(|| {
                    validation("A status code must be specified for a fixed-response action")
                })?;
                let mut fixed = json!({"StatusCode": status});
                if let Some(b) = c["MessageBody"].as_str() {
                    fixed["MessageBody"] = json!(b);
                }
                if let Some(t) = c["ContentType"].as_str() {
                    fixed["ContentType"] = json!(t);
                }
                action["FixedResponseConfig"] = fixed;
            }
            "authenticate-oidc" | "authenticate-cognito" if protocol == "HTTPS" => {
                // Kept as records: Gureum does not run the identity flow.
                for key in ["AuthenticateOidcConfig", "AuthenticateCognitoConfig"] {
                    if !a[key].is_null() {
                        action[key] = a[key].clone();
                    }
                }
            }
            other => {
                return Err(Elbv2Error::InvalidLoadBalancerAction {
                    message: format!(
                        "The action type '{other}' is not valid with a listener of protocol '{protocol}'"
                    ),
                }
                .into())
            }
        }
        out.push(action);
    }
    Ok(out)
}

/// The listener as the model's `Listener`.
pub fn to_value(l: &Listener) -> Value {
    let mut v = json!({
        "ListenerArn": l.arn,
        "LoadBalancerArn": l.load_balancer_arn,
        "Port": l.port,
        "Protocol": l.protocol,
        "DefaultActions": l.default_actions,
    });
    if !l.certificates.is_empty() {
        v["Certificates"] = json!(l
            .certificates
            .iter()
            .filter(|c| crate::listener_certificates::is_default(c))
            .map(|c| json!({"CertificateArn": c["CertificateArn"]}))
            .collect::<Vec<_>>());
    }
    if let Some(p) = &l.ssl_policy {
        v["SslPolicy"] = json!(p);
    }
    v
}

/// Protocol, port, certificates and policy from `input` over `l`'s.
fn apply_settings(
    svc: &Elbv2Service,
    lb: &LoadBalancer,
    l: &mut Listener,
    input: &Value,
) -> Result<(), AwsError> {
    if let Some(p) = string(input, "Protocol") {
        l.protocol = p.to_string();
    }
    check_protocol(lb, &l.protocol)?;
    if let Some(p) = input["Port"].as_i64() {
        l.port = p;
    }
    if let Some(certs) = input["Certificates"].as_array() {
        // The request sets the default certificate; those added by
        // AddListenerCertificates stay.
        let extras: Vec<Value> = l
            .certificates
            .iter()
            .filter(|c| !crate::listener_certificates::is_default(c))
            .cloned()
            .collect();
        l.certificates = certs
            .iter()
            .map(|c| json!({"CertificateArn": c["CertificateArn"], "IsDefault": true}))
            .collect();
        // A certificate that becomes the default is no longer an extra.
        let defaults: Vec<Value> = certs.iter().map(|c| c["CertificateArn"].clone()).collect();
        l.certificates.extend(
            extras
                .into_iter()
                .filter(|c| !defaults.contains(&c["CertificateArn"])),
        );
    }
    let secure = matches!(l.protocol.as_str(), "HTTPS" | "TLS");
    if secure {
        if l.certificates.is_empty() {
            return Err(Elbv2Error::CertificateNotFound.into());
        }
        if input["Certificates"].is_array() {
            for c in l
                .certificates
                .iter()
                .filter(|c| crate::listener_certificates::is_default(c))
            {
                crate::listener_certificates::check_certificate(svc, c)?;
            }
        }
        if let Some(p) = string(input, "SslPolicy") {
            if !p.starts_with("ELBSecurityPolicy-") {
                return Err(Elbv2Error::SslPolicyNotFound { name: p.into() }.into());
            }
            l.ssl_policy = Some(p.to_string());
        }
        l.ssl_policy
            .get_or_insert_with(|| DEFAULT_SSL_POLICY.into());
    } else {
        l.certificates.clear();
        l.ssl_policy = None;
    }
    Ok(())
}

/// `CreateListener`.
pub fn create(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let lb = svc.load_balancer(ctx, string(input, "LoadBalancerArn").unwrap_or_default())?;
    if input["Port"].is_null() {
        return Err(validation("A listener port must be specified"));
    }
    let id = new_id();
    let mut l = Listener {
        arn: util::arn(
            ctx,
            &format!("listener/{}/{}/{}/{id}", lb.short_kind(), lb.name, lb.id),
        ),
        id: id.clone(),
        load_balancer_arn: lb.arn.clone(),
        port: 0,
        protocol: if lb.kind == "network" { "TCP" } else { "HTTP" }.into(),
        certificates: Vec::new(),
        ssl_policy: None,
        default_actions: Vec::new(),
        default_rule_id: new_id(),
        bound_port: None,
    };
    apply_settings(svc, &lb, &mut l, input)?;
    let siblings = svc.all_listeners(ctx)?;
    if let Some(existing) = siblings
        .iter()
        .find(|o| o.load_balancer_arn == lb.arn && o.port == l.port)
    {
        let _ = existing;
        return Err(Elbv2Error::DuplicateListener { arn: lb.arn }.into());
    }
    let actions = input["DefaultActions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    l.default_actions = check_actions(svc, ctx, &lb, &l.protocol, &actions)?;
    crate::tags::check(input)?;
    svc.listeners.put(&Scope::regional(ctx).key(&id), &l)?;
    crate::tags::put_initial(svc, ctx, &l.arn, input)?;
    Ok(json!({"Listeners": [to_value(&l)]}))
}

/// `DescribeListeners`: by load balancer or by ARNs.
pub fn describe(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let all = svc.all_listeners(ctx)?;
    let arns = strings(input, "ListenerArns");
    let mut chosen: Vec<&Listener> = if let Some(lb) = string(input, "LoadBalancerArn") {
        svc.load_balancer(ctx, lb)?;
        all.iter().filter(|l| l.load_balancer_arn == lb).collect()
    } else if !arns.is_empty() {
        arns.iter()
            .map(|a| all.iter().find(|l| &l.arn == a))
            .collect::<Option<_>>()
            .ok_or(Elbv2Error::ListenerNotFound)?
    } else {
        return Err(validation(
            "You must specify either listener ARNs or a load balancer ARN",
        ));
    };
    chosen.sort_by_key(|l| l.port);
    let items = chosen.into_iter().map(to_value).collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(json!({"Listeners": items}), next))
}

/// `ModifyListener`.
pub fn modify(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut l = svc.listener(ctx, string(input, "ListenerArn").unwrap_or_default())?;
    let lb = svc.load_balancer(ctx, &l.load_balancer_arn)?;
    apply_settings(svc, &lb, &mut l, input)?;
    if svc
        .all_listeners(ctx)?
        .iter()
        .any(|o| o.load_balancer_arn == lb.arn && o.port == l.port && o.id != l.id)
    {
        return Err(Elbv2Error::DuplicateListener { arn: lb.arn }.into());
    }
    if let Some(actions) = input["DefaultActions"].as_array() {
        l.default_actions = check_actions(svc, ctx, &lb, &l.protocol, actions)?;
    } else {
        let current = l.default_actions.clone();
        l.default_actions = check_actions(svc, ctx, &lb, &l.protocol, &current)?;
    }
    svc.listeners.put(&Scope::regional(ctx).key(&l.id), &l)?;
    Ok(json!({"Listeners": [to_value(&l)]}))
}

/// `DeleteListener`: its rules go with it.
pub fn delete(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let l = svc.listener(ctx, string(input, "ListenerArn").unwrap_or_default())?;
    let rules = svc.all_rules(ctx)?;
    let scope = Scope::regional(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        for r in rules.iter().filter(|r| r.listener_arn == l.arn) {
            txn.delete(&svc.rules, &scope.key(&r.id))?;
            txn.delete(&svc.tags, &scope.key(&r.arn))?;
        }
        txn.delete(&svc.listeners, &scope.key(&l.id))?;
        txn.delete(&svc.tags, &scope.key(&l.arn))?;
        Ok(())
    })?;
    Ok(json!({}))
}
