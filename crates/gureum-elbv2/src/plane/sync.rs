//! Rebuilds what runs from the store: one runtime per target group (its
//! targets' addresses, its health checks while a listener of an active
//! load balancer forwards to it) and one accept loop per listener of an
//! active load balancer.

use super::{ActionView, Endpoint, GroupRuntime, GroupView, ListenerView, RuleView, TargetView};
use crate::records::{Listener, LoadBalancer, Rule, TargetGroup};
use crate::Elbv2Service;
use gureum_core::AwsError;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// `(account, region)` of a scoped key.
fn scope_of(key: &str) -> (String, String) {
    let mut parts = key.splitn(3, '/');
    (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
    )
}

/// The action a list ends with: the first that answers the request
/// (authenticate actions before it are records only).
fn terminal(actions: &[serde_json::Value]) -> Option<&serde_json::Value> {
    let mut sorted: Vec<&serde_json::Value> = actions.iter().collect();
    sorted.sort_by_key(|a| a["Order"].as_i64().unwrap_or(0));
    sorted.into_iter().find(|a| {
        matches!(
            a["Type"].as_str(),
            Some("forward" | "redirect" | "fixed-response")
        )
    })
}

fn action_view(
    actions: &[serde_json::Value],
    groups: &HashMap<String, Arc<GroupRuntime>>,
) -> Option<ActionView> {
    let a = terminal(actions)?;
    Some(match a["Type"].as_str()? {
        "forward" => ActionView::Forward(
            a["ForwardConfig"]["TargetGroups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| {
                    let g = groups.get(t["TargetGroupArn"].as_str()?)?.clone();
                    Some((g, t["Weight"].as_u64().unwrap_or(1) as u32))
                })
                .collect(),
        ),
        "redirect" => ActionView::Redirect(a["RedirectConfig"].clone()),
        _ => ActionView::Fixed {
            status: a["FixedResponseConfig"]["StatusCode"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(200),
            content_type: a["FixedResponseConfig"]["ContentType"]
                .as_str()
                .map(str::to_string),
            body: a["FixedResponseConfig"]["MessageBody"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        },
    })
}

/// Brings the plane in line with the store (a no-op outside a tokio
/// runtime, as in unit tests).
pub fn sync(svc: &Elbv2Service) -> Result<(), AwsError> {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return Ok(());
    };
    let plane = &svc.plane;
    let _one_at_a_time = plane.sync_lock.lock();
    let now = svc.seams.clock.now_millis();
    let lbs: Vec<(String, LoadBalancer)> = svc.load_balancers.scan_prefix("")?;
    let tgs: Vec<(String, TargetGroup)> = svc.target_groups.scan_prefix("")?;
    let listeners: Vec<(String, Listener)> = svc.listeners.scan_prefix("")?;
    let rules: Vec<(String, Rule)> = svc.rules.scan_prefix("")?;
    let active: HashMap<&str, &LoadBalancer> = lbs
        .iter()
        .filter(|(_, lb)| lb.state(now) == "active")
        .map(|(_, lb)| (lb.arn.as_str(), lb))
        .collect();
    // Which load balancer (active) each group serves.
    let mut serving: HashMap<String, String> = HashMap::new();
    for (_, l) in &listeners {
        let Some(lb) = active.get(l.load_balancer_arn.as_str()) else {
            continue;
        };
        let mut lists = vec![&l.default_actions];
        lists.extend(
            rules
                .iter()
                .filter(|(_, r)| r.listener_arn == l.arn)
                .map(|(_, r)| &r.actions),
        );
        for actions in lists {
            for tg in crate::listeners::forwarded_groups(actions) {
                serving.insert(tg, lb.dimension());
            }
        }
    }
    let groups: HashMap<String, Arc<GroupRuntime>> = {
        let mut runtimes = plane.groups.lock();
        let mut seen = HashSet::new();
        for (key, tg) in &tgs {
            let scope = scope_of(key);
            let existing = runtimes.get(&tg.arn).cloned();
            let targets = tg
                .targets
                .iter()
                .filter(|t| t.draining_until_ms.is_none())
                .map(|t| {
                    let ip: Option<IpAddr> = match tg.target_type.as_str() {
                        "ip" => t.id.parse().ok(),
                        "instance" => svc
                            .seams
                            .network
                            .instance(&scope.0, &scope.1, &t.id)
                            .filter(|i| i.state == "running")
                            .and_then(|i| i.private_ip.parse().ok()),
                        _ => None,
                    };
                    let port = t.port.unwrap_or(0) as u16;
                    let health_port = tg.health.port.parse::<u16>().unwrap_or(port);
                    let key = (t.id.clone(), t.port);
                    TargetView {
                        addr: ip.map(|ip| SocketAddr::new(ip, port)),
                        health_addr: ip.map(|ip| SocketAddr::new(ip, health_port)),
                        in_flight: existing
                            .as_ref()
                            .map(|g| g.counter(&key))
                            .unwrap_or_default(),
                        token: super::sticky::token(&tg.arn, &t.id, t.port),
                        key,
                    }
                })
                .collect();
            let view = GroupView {
                arn: tg.arn.clone(),
                dimension: tg.dimension(),
                target_type: tg.target_type.clone(),
                health: tg.health.clone(),
                targets,
                algorithm: super::balance::Algorithm::parse(
                    tg.attributes
                        .get("load_balancing.algorithm.type")
                        .map_or("", String::as_str),
                ),
                slow_start_ms: tg
                    .attributes
                    .get("slow_start.duration_seconds")
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
                    * 1000,
                stickiness: super::sticky::from_attributes(|k| tg.attributes.get(k).cloned()),
                http2_targets: matches!(tg.protocol_version.as_deref(), Some("HTTP2" | "GRPC")),
                multi_value_headers: tg
                    .attributes
                    .get("lambda.multi_value_headers.enabled")
                    .is_some_and(|v| v == "true"),
                load_balancer: serving.get(&tg.arn).cloned(),
                scope,
            };
            // Lambda targets are checked too, once health checks are on.
            let checks = view.health.enabled && view.load_balancer.is_some();
            let runtime = match existing {
                Some(g) => {
                    *g.view.write() = Arc::new(view.clone());
                    g
                }
                None => {
                    let g = Arc::new(GroupRuntime::new(view.clone(), svc.seams.clock.clone()));
                    runtimes.insert(tg.arn.clone(), g.clone());
                    g
                }
            };
            for t in &view.targets {
                // The counters views share, kept across syncs.
                runtime
                    .in_flight
                    .lock()
                    .entry(t.key.clone())
                    .or_insert_with(|| t.in_flight.clone());
            }
            let mut checker = runtime.checker.lock();
            if checks && checker.is_none() {
                let task = handle.spawn(super::health::check_loop(
                    runtime.clone(),
                    plane.functions.clone(),
                ));
                *checker = Some(task.abort_handle());
            } else if !checks {
                if let Some(task) = checker.take() {
                    task.abort();
                }
            }
            drop(checker);
            seen.insert(tg.arn.clone());
        }
        runtimes.retain(|arn, g| {
            let keep = seen.contains(arn);
            if !keep {
                g.stop_checks();
            }
            keep
        });
        runtimes.clone()
    };
    let mut running = plane.listeners.lock();
    let mut seen = HashSet::new();
    for (key, l) in &listeners {
        let Some(lb) = active.get(l.load_balancer_arn.as_str()) else {
            continue;
        };
        // UDP listeners are records: no UDP forwarding here.
        if !matches!(l.protocol.as_str(), "HTTP" | "HTTPS" | "TCP" | "TLS") {
            continue;
        }
        let tls = if matches!(l.protocol.as_str(), "HTTPS" | "TLS") {
            let certificates: Vec<(String, bool)> = l
                .certificates
                .iter()
                .map(|c| {
                    (
                        c["CertificateArn"].as_str().unwrap_or_default().to_string(),
                        crate::listener_certificates::is_default(c),
                    )
                })
                .collect();
            match plane.tls.config(
                svc.seams.certificates.as_ref(),
                &l.arn,
                &certificates,
                l.ssl_policy.as_deref().unwrap_or_default(),
                l.protocol == "HTTPS",
            ) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(target: "gureum", "elbv2 listener {}: {e}", l.arn);
                    continue;
                }
            }
        } else {
            None
        };
        let mut mine: Vec<&Rule> = rules
            .iter()
            .filter(|(_, r)| r.listener_arn == l.arn)
            .map(|(_, r)| r)
            .collect();
        mine.sort_by_key(|r| r.priority);
        let mut rule_views: Vec<RuleView> = mine
            .into_iter()
            .filter_map(|r| {
                Some(RuleView {
                    conditions: r
                        .conditions
                        .iter()
                        .filter_map(super::rules::parse)
                        .collect(),
                    action: action_view(&r.actions, &groups)?,
                })
            })
            .collect();
        if let Some(action) = action_view(&l.default_actions, &groups) {
            rule_views.push(RuleView {
                conditions: Vec::new(),
                action,
            });
        }
        let view = Arc::new(ListenerView {
            port: l.port,
            rules: rule_views,
            load_balancer: lb.dimension(),
            scope: scope_of(key),
            idle_timeout: std::time::Duration::from_secs(
                lb.attributes
                    .get("idle_timeout.timeout_seconds")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(60),
            ),
            tls,
        });
        seen.insert(l.arn.clone());
        if let Some(r) = running.get(&l.arn) {
            if r.endpoint.port == l.port && r.endpoint.protocol == l.protocol {
                *r.view.write() = view;
                continue;
            }
            running.remove(&l.arn);
        }
        let std_listener = l
            .bound_port
            .and_then(|p| std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, p)).ok())
            .map_or_else(|| std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)), Ok);
        let std_listener = match std_listener.and_then(|s| s.set_nonblocking(true).map(|_| s)) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(target: "gureum", "elbv2 listener {}: {e}", l.arn);
                continue;
            }
        };
        let address = std_listener
            .local_addr()
            .map_err(|e| AwsError::internal(e.to_string()))?;
        let listener = {
            let _entered = handle.enter();
            match tokio::net::TcpListener::from_std(std_listener) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(target: "gureum", "elbv2 listener {}: {e}", l.arn);
                    continue;
                }
            }
        };
        let shared = Arc::new(parking_lot::RwLock::new(view));
        let task = if matches!(l.protocol.as_str(), "TCP" | "TLS") {
            handle.spawn(super::tcp::serve(listener, shared.clone(), plane.clone()))
        } else {
            handle.spawn(super::http::serve(listener, shared.clone(), plane.clone()))
        };
        if l.bound_port != Some(address.port()) {
            let mut kept = l.clone();
            kept.bound_port = Some(address.port());
            svc.listeners.put(key, &kept)?;
        }
        running.insert(
            l.arn.clone(),
            super::RunningListener {
                endpoint: Endpoint {
                    dns_name: lb.dns_name.clone(),
                    port: l.port,
                    address,
                    protocol: l.protocol.clone(),
                    load_balancer_arn: lb.arn.clone(),
                },
                view: shared,
                task: task.abort_handle(),
            },
        );
    }
    running.retain(|arn, _| seen.contains(arn));
    plane.tls.retain(|arn| seen.contains(arn));
    Ok(())
}
