//! The reconciler: each second of Gureum's clock, every group's fleet is
//! brought toward its desired capacity with real instances.
//!
//! For each group it (1) reads each instance's EC2 state and, for `ELB`
//! health checks after the grace period, its target groups' health;
//! (2) moves launched instances that run to `InService` and registers
//! them; (3) replaces unhealthy ones; (4) terminates instances leaving
//! service; (5) launches into the least-populated zone, or terminates by
//! termination policy, to reach the desired capacity. Outside calls are
//! made with the group unlocked; the result is merged into the group as
//! it is then, so API changes made meanwhile are kept.

use crate::activities;
use crate::groups;
use crate::hooks::{self, LAUNCHING, TERMINATING};
use crate::records::{Group, Member};
use crate::seams::LaunchSpec;
use crate::util::iso;
use crate::AutoscalingService;
use gureum_core::{AwsError, Clock, RequestContext, Scope};
use std::collections::{HashMap, HashSet};

/// How long a group waits after a failed launch before trying again.
const LAUNCH_BACKOFF_MS: i64 = 10_000;

/// At most this many launches per group per pass: a large desired
/// capacity fills over several seconds instead of holding one tick.
const LAUNCHES_PER_PASS: i64 = 10;

/// Reconciles every group of every account and region.
pub(crate) fn all(svc: &AutoscalingService, clock: &Clock) {
    let Ok(groups) = svc.groups.scan_prefix("") else {
        return;
    };
    for (key, g) in groups {
        let mut parts = key.splitn(3, '/');
        let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        let ctx = RequestContext::root(account, region, clock.clone());
        let _ = one(svc, &ctx, g);
    }
}

fn suspended(g: &Group, process: &str) -> bool {
    g.suspended.iter().any(|p| p == process)
}

fn active(m: &Member) -> bool {
    matches!(
        m.lifecycle.as_str(),
        "Pending" | "Pending:Wait" | "Pending:Proceed" | "InService"
    )
}

/// The result a wait has reached: completed, or timed out.
fn resolved(m: &mut Member, now: i64) -> Option<String> {
    let w = m.wait.as_mut()?;
    if w.result.is_none() && now >= w.deadline_ms {
        w.result = Some(w.default_result.clone());
    }
    w.result.clone()
}

/// Chooses the instance to terminate for scale in: from the zone with
/// the most instances, then by the group's termination policy.
fn victim(g: &Group, members: &[Member], now: i64) -> Option<usize> {
    let candidates: Vec<usize> = (0..members.len())
        .filter(|&i| active(&members[i]) && !members[i].protected)
        .collect();
    let mut per_zone: HashMap<&str, usize> = HashMap::new();
    for m in members.iter().filter(|m| active(m)) {
        *per_zone.entry(m.zone.as_str()).or_default() += 1;
    }
    let most = candidates
        .iter()
        .map(|&i| per_zone[members[i].zone.as_str()])
        .max()?;
    let in_zone = candidates
        .into_iter()
        .filter(|&i| per_zone[members[i].zone.as_str()] == most);
    let policy = g
        .termination_policies
        .first()
        .map(String::as_str)
        .unwrap_or("Default");
    match policy {
        "OldestInstance" => in_zone.min_by_key(|&i| (members[i].launched_ms, i)),
        "NewestInstance" => in_zone.max_by_key(|&i| (members[i].launched_ms, i)),
        // Default, and the rest: the one closest to its next instance hour.
        _ => in_zone.min_by_key(|&i| {
            let ran_s = (now - members[i].launched_ms).max(0) / 1000;
            (3600 - ran_s % 3600, i)
        }),
    }
}

/// The zone and subnet the next instance goes to: the group's zone with
/// the fewest active instances, in the group's order on ties.
fn placement(g: &Group, members: &[Member]) -> (String, String) {
    let count = |z: &str| members.iter().filter(|m| active(m) && m.zone == z).count();
    let zone = g
        .zones
        .iter()
        .min_by_key(|z| count(z))
        .cloned()
        .unwrap_or_default();
    let subnet = g
        .subnets
        .iter()
        .find(|(_, z)| *z == zone)
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    (zone, subnet)
}

/// Takes `members[i]` out of service: deregisters and terminates it and
/// ends its activity.
fn retire(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    g: &Group,
    m: &Member,
    now: i64,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    if m.registered {
        for tg in &g.target_groups {
            let _ = svc
                .balancer
                .deregister(ctx, tg, std::slice::from_ref(&m.id));
        }
    }
    let result = svc.fleet.terminate(ctx, std::slice::from_ref(&m.id));
    if let Some(a) = &m.activity {
        let (status, message) = match &result {
            Ok(()) => ("Successful", None),
            Err(e) => ("Failed", Some(e.message.clone())),
        };
        activities::finish(svc, scope, &g.name, a, status, message, now)?;
    }
    Ok(())
}

fn one(svc: &AutoscalingService, ctx: &RequestContext, g: Group) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let before: HashMap<String, String> = g
        .members
        .iter()
        .map(|m| (m.id.clone(), m.lifecycle.clone()))
        .collect();
    let mut members = g.members.clone();
    let mut removed: HashSet<String> = HashSet::new();
    // What changed the desired capacity leads every cause this pass
    // records, as AWS's causes begin.
    let lead = g
        .pending_cause
        .as_ref()
        .map(|c| format!("{c}  "))
        .unwrap_or_default();
    let mut cause_used = false;

    // 1. What EC2 and the load balancers say.
    let elb_unhealthy: HashSet<String> =
        if g.health_check_type == "ELB" && !suspended(&g, "HealthCheck") {
            let mut bad = HashSet::new();
            for tg in &g.target_groups {
                for (id, state) in svc.balancer.health(ctx, tg).unwrap_or_default() {
                    if state == "unhealthy" {
                        bad.insert(id);
                    }
                }
            }
            bad
        } else {
            HashSet::new()
        };
    for m in members.iter_mut() {
        if !matches!(
            m.lifecycle.as_str(),
            "Pending" | "Pending:Wait" | "InService"
        ) {
            continue;
        }
        let state = svc.fleet.state(ctx, &m.id);
        match state.as_deref() {
            Some("running") => {
                if m.lifecycle == "Pending" {
                    // Launch hooks hold it in Pending:Wait first.
                    match hooks::wait_for(svc, scope, &g, LAUNCHING, now)? {
                        Some(w) => {
                            hooks::publish_wait(svc, scope, &g, &m.id, LAUNCHING, &w, now);
                            m.lifecycle = "Pending:Wait".into();
                            m.wait = Some(w);
                        }
                        None => m.lifecycle = "Pending:Proceed".into(),
                    }
                }
                if m.lifecycle == "Pending:Wait" {
                    match resolved(m, now).as_deref() {
                        Some("CONTINUE") => m.lifecycle = "Pending:Proceed".into(),
                        Some(_) => {
                            m.health = "Unhealthy".into();
                            m.unhealthy_cause =
                                Some("a launch lifecycle action being abandoned".into());
                        }
                        None => {}
                    }
                }
                if m.lifecycle == "Pending:Proceed" {
                    m.lifecycle = "InService".into();
                    m.wait = None;
                    if let Some(a) = m.activity.take() {
                        activities::finish(svc, scope, &g.name, &a, "Successful", None, now)?;
                    }
                }
            }
            Some("pending") => {}
            _ => {
                if m.health == "Healthy" {
                    m.health = "Unhealthy".into();
                    m.unhealthy_cause = Some(
                        "an EC2 health check indicating it has been terminated or stopped".into(),
                    );
                }
            }
        }
        let graced = now >= m.launched_ms + g.grace * 1000;
        if m.lifecycle == "InService"
            && graced
            && m.health == "Healthy"
            && elb_unhealthy.contains(&m.id)
        {
            m.health = "Unhealthy".into();
            m.unhealthy_cause = Some("an ELB system health check failure".into());
        }
    }

    // 2. Running instances join their target groups.
    if !suspended(&g, "AddToLoadBalancer") {
        for m in members.iter_mut() {
            if m.lifecycle == "InService" && m.health == "Healthy" && !m.registered {
                let mut ok = true;
                for tg in &g.target_groups {
                    ok &= svc
                        .balancer
                        .register(ctx, tg, std::slice::from_ref(&m.id))
                        .is_ok();
                }
                m.registered = ok;
            }
        }
    }

    // 3. Unhealthy instances are replaced.
    if !suspended(&g, "ReplaceUnhealthy") {
        for m in members.iter_mut() {
            if active(m) && m.health == "Unhealthy" {
                let cause = format!(
                    "At {} an instance was taken out of service in response to {}.",
                    iso(now),
                    m.unhealthy_cause
                        .as_deref()
                        .unwrap_or("a health check failure")
                );
                let id = activities::record(
                    svc,
                    scope,
                    &g,
                    format!("Terminating EC2 instance: {}", m.id),
                    cause,
                    now,
                    true,
                    &m.zone,
                    &m.subnet,
                )?;
                m.lifecycle = "Terminating".into();
                m.activity = Some(id);
            }
        }
    }

    // 4. Scale in to the desired capacity by termination policy.
    let count = members.iter().filter(|m| active(m)).count() as i64;
    if count > g.desired && !suspended(&g, "Terminate") {
        let mut left = count;
        while left > g.desired {
            let Some(i) = victim(&g, &members, now) else {
                break;
            };
            cause_used = true;
            let cause = format!(
                "{lead}At {} an instance was taken out of service in response to a difference between desired and actual capacity, shrinking the capacity from {count} to {}.",
                iso(now),
                g.desired
            );
            let m = &mut members[i];
            let id = activities::record(
                svc,
                scope,
                &g,
                format!("Terminating EC2 instance: {}", m.id),
                cause,
                now,
                true,
                &m.zone,
                &m.subnet,
            )?;
            m.lifecycle = "Terminating".into();
            m.activity = Some(id);
            left -= 1;
        }
    }

    // 5. Instances leaving service are terminated, after their
    // terminating hooks (out of the target groups while they wait).
    for m in members.iter_mut() {
        if m.lifecycle == "Terminating" {
            match hooks::wait_for(svc, scope, &g, TERMINATING, now)? {
                Some(w) => {
                    hooks::publish_wait(svc, scope, &g, &m.id, TERMINATING, &w, now);
                    m.lifecycle = "Terminating:Wait".into();
                    m.wait = Some(w);
                    if m.registered {
                        for tg in &g.target_groups {
                            let _ = svc
                                .balancer
                                .deregister(ctx, tg, std::slice::from_ref(&m.id));
                        }
                        m.registered = false;
                    }
                }
                None => m.lifecycle = "Terminating:Proceed".into(),
            }
        }
        if m.lifecycle == "Terminating:Wait" && resolved(m, now).is_some() {
            m.lifecycle = "Terminating:Proceed".into();
        }
        if m.lifecycle == "Terminating:Proceed" {
            retire(svc, ctx, &g, m, now)?;
            removed.insert(m.id.clone());
        }
    }
    members.retain(|m| !removed.contains(&m.id));

    // 6. Launch up to the desired capacity.
    let mut launched = Vec::new();
    let mut backoff = None;
    let count = members.iter().filter(|m| active(m)).count() as i64;
    if count < g.desired
        && !suspended(&g, "Launch")
        && !g.deleting
        && now >= g.launch_backoff_until_ms
    {
        let configuration = match &g.configuration {
            Some(c) => svc.configurations.get(&scope.key(c))?,
            None => None,
        };
        let tags: Vec<(String, String)> = g
            .tags
            .iter()
            .filter(|t| t.propagate)
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect();
        for _ in count..g.desired.min(count + LAUNCHES_PER_PASS) {
            let (zone, subnet) = placement(&g, &members);
            let spec = LaunchSpec {
                template: g
                    .template
                    .as_ref()
                    .map(|t| (t.id.clone(), t.version.clone())),
                configuration: configuration.clone(),
                subnet: subnet.clone(),
                zone: zone.clone(),
                tags: tags.clone(),
            };
            match svc.fleet.launch(ctx, &spec) {
                Ok(instance) => {
                    cause_used = true;
                    let cause = format!(
                        "{lead}At {} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {count} to {}.",
                        iso(now),
                        g.desired
                    );
                    let activity = activities::record(
                        svc,
                        scope,
                        &g,
                        format!("Launching a new EC2 instance: {}", instance.id),
                        cause,
                        now,
                        true,
                        &zone,
                        &subnet,
                    )?;
                    let m = Member {
                        id: instance.id,
                        zone,
                        subnet,
                        lifecycle: "Pending".into(),
                        health: "Healthy".into(),
                        unhealthy_cause: None,
                        protected: g.new_protected,
                        launched_ms: now,
                        instance_type: instance.instance_type,
                        activity: Some(activity),
                        registered: false,
                        wait: None,
                    };
                    members.push(m.clone());
                    launched.push(m);
                }
                Err(e) => {
                    let id = activities::record(
                        svc, scope, &g, "Launching a new EC2 instance.  Status Reason: ".to_string() + &e.message,
                        format!(
                            "At {} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {count} to {}.",
                            iso(now),
                            g.desired
                        ),
                        now, false, &zone, &subnet,
                    )?;
                    activities::finish(svc, scope, &g.name, &id, "Failed", Some(e.message), now)?;
                    backoff = Some(now + LAUNCH_BACKOFF_MS);
                    break;
                }
            }
        }
    }

    // 7. Merge into the group as it is now.
    let finished_delete = g.deleting && members.is_empty();
    let key = scope.key(&g.name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let Some(mut fresh) = txn.get(&svc.groups, &key)? else {
            return Ok(());
        };
        let mut merged = Vec::new();
        for f in fresh.members.drain(..) {
            if removed.contains(&f.id) {
                continue;
            }
            match members.iter().find(|m| m.id == f.id) {
                // Unchanged by the API meanwhile: take what was observed,
                // with the API's protection and, unless this pass moved
                // the instance on, the API's hook completions.
                Some(m) if before.get(&f.id) == Some(&f.lifecycle) => {
                    let wait = if m.lifecycle == f.lifecycle {
                        f.wait.clone()
                    } else {
                        m.wait.clone()
                    };
                    merged.push(Member {
                        protected: f.protected,
                        wait,
                        ..m.clone()
                    });
                }
                _ => merged.push(f),
            }
        }
        merged.extend(launched);
        fresh.members = merged;
        if cause_used && fresh.pending_cause == g.pending_cause {
            fresh.pending_cause = None;
        }
        if let Some(b) = backoff {
            fresh.launch_backoff_until_ms = b;
        }
        txn.put(&svc.groups, &key, &fresh)?;
        Ok(())
    })?;
    if finished_delete {
        groups::remove(svc, scope, &g.name)?;
    }
    Ok(())
}
