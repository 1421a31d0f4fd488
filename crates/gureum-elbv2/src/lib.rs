//! Elastic Load Balancing v2 (query, regional): application and network
//! load balancers, target groups, listeners and rules, and the data plane
//! that really forwards traffic through them.
//!
//! Tables (keys from [`gureum_core::Scope`], ids the 16-hex tails of ARNs):
//! - `elbv2.load_balancers`: `account/region/id` → [`LoadBalancer`];
//! - `elbv2.target_groups`: `account/region/id` → [`TargetGroup`] (its
//!   targets inside);
//! - `elbv2.listeners`: `account/region/id` → [`Listener`];
//! - `elbv2.rules`: `account/region/id` → [`Rule`] (default rules are the
//!   listener's `DefaultActions`);
//! - `elbv2.tags`: `account/region/ARN` → the resource's tags.
//!
//! Layout: [`errors`]; [`records`] (what is stored); [`seams`] (EC2 and
//! Lambda, wired by the server); `load_balancers.rs`, `target_groups.rs`,
//! `targets.rs`, `listeners.rs` (with the actions), `rules.rs` (with the
//! conditions), `tags.rs`: the operations; [`plane`]: listeners on loopback
//! ports, the HTTP proxy, TCP forwarding, health checks and metrics.

pub mod errors;
mod group_attributes;
mod listener_certificates;
mod listeners;
mod load_balancers;
pub mod metering;
pub mod plane;
pub mod records;
mod rules;
pub mod seams;
mod tags;
mod target_groups;
mod targets;
mod util;

pub use errors::Elbv2Error;
pub use records::{Listener, LoadBalancer, Rule, TargetGroup};

use gureum_core::{Clock, OpResult, RequestContext, Value};
use gureum_kit::metrics::{MetricSink, NoMetrics};
use gureum_store::{Store, Table};
use std::sync::Arc;

/// What the server hands ELBv2: EC2, Lambda, CloudWatch and the clock.
pub struct Seams {
    /// EC2's subnets, groups, interfaces and instances.
    pub network: Arc<dyn seams::Network>,
    /// Lambda, for `lambda` targets.
    pub functions: Arc<dyn seams::Functions>,
    /// CloudWatch, for the load balancers' metrics.
    pub metrics: Arc<dyn MetricSink>,
    /// Gureum's clock (states, draining, metric timestamps).
    pub clock: Clock,
    /// ACM, for HTTPS and TLS listeners' certificates.
    pub certificates: Arc<dyn gureum_kit::certificates::CertificateSource>,
}

impl Default for Seams {
    fn default() -> Self {
        Seams {
            network: Arc::new(seams::NoNetwork),
            functions: Arc::new(seams::NoFunctions),
            metrics: Arc::new(NoMetrics),
            clock: Clock::system(),
            certificates: Arc::new(gureum_kit::certificates::NoCertificates),
        }
    }
}

/// The Elastic Load Balancing v2 service.
pub struct Elbv2Service {
    store: Store,
    load_balancers: Table<LoadBalancer>,
    target_groups: Table<TargetGroup>,
    listeners: Table<Listener>,
    rules: Table<Rule>,
    tags: Table<Vec<(String, String)>>,
    seams: Seams,
    /// The running listeners and health checks.
    plane: Arc<plane::Plane>,
}

impl Elbv2Service {
    /// The service over `store` without other services (unit tests).
    pub fn new(store: Store) -> Self {
        Self::with_seams(store, Seams::default())
    }

    /// The service over `store`, reaching other services through `seams`.
    pub fn with_seams(store: Store, seams: Seams) -> Self {
        let plane = Arc::new(plane::Plane::new(
            seams.functions.clone(),
            seams.metrics.clone(),
            seams.clock.clone(),
        ));
        Elbv2Service {
            load_balancers: store.table("elbv2.load_balancers"),
            target_groups: store.table("elbv2.target_groups"),
            listeners: store.table("elbv2.listeners"),
            rules: store.table("elbv2.rules"),
            tags: store.table("elbv2.tags"),
            store,
            seams,
            plane,
        }
    }

    /// Brings the data plane in line with the store: listeners of active
    /// load balancers listen (on their previous loopback port when free),
    /// removed ones close, health checks follow the target groups. Called
    /// after every change and each second by the server's ticker (which is
    /// how load balancers turn active and resume after a restart); emits
    /// the minute's metrics when a minute of Gureum's clock has passed.
    pub fn tick(&self) {
        if let Err(e) = self.sync_plane() {
            tracing::warn!(target: "gureum", "elbv2 data plane: {}", e.message);
        }
        self.plane.emit_metrics_if_due();
    }

    /// Every listening load balancer listener: `(DNS name, listener port,
    /// loopback address)`, for the health endpoint and DNS.
    pub fn endpoints(&self) -> Vec<plane::Endpoint> {
        self.plane.endpoints()
    }

    /// The load balancer of `region` whose DNS name is `name` (any
    /// account: an alias may target another account's), an NLB when
    /// `network`, else an ALB; `Some(healthy)` when it exists, `healthy`
    /// telling whether a target takes traffic. For Route 53's aliases.
    pub fn alias_target(&self, region: &str, network: bool, name: &str) -> Option<bool> {
        let lbs = self.load_balancers.scan_prefix("").ok()?;
        let (_, lb) = lbs.into_iter().find(|(key, lb)| {
            key.split('/').nth(1) == Some(region)
                && (lb.kind == "network") == network
                && lb.dns_name.eq_ignore_ascii_case(name)
        })?;
        Some(self.plane.has_healthy_target(&lb.dimension()))
    }

    /// The loopback address of the HTTP listener of the load balancer
    /// whose DNS name `host` is (`None` when `host` is not one), for
    /// requests reaching Gureum's main port by `Host`.
    pub fn listener_for_host(&self, host: &str) -> Option<std::net::SocketAddr> {
        if !plane::by_host::is_load_balancer_host(host) {
            return None;
        }
        self.plane.listener_for_host(host)
    }

    /// Closes every listener and stops the health checks (server stop).
    pub fn shutdown(&self) {
        self.plane.shutdown();
    }

    /// Registers `instance_ids` (at the group's port) with a target group
    /// on behalf of another service (Auto Scaling).
    pub fn register_instances(
        &self,
        ctx: &RequestContext,
        target_group_arn: &str,
        instance_ids: &[String],
    ) -> Result<(), gureum_core::AwsError> {
        let targets: Vec<Value> = instance_ids
            .iter()
            .map(|id| serde_json::json!({"Id": id}))
            .collect();
        let input = serde_json::json!({"TargetGroupArn": target_group_arn, "Targets": targets});
        targets::register_targets(self, ctx, &input).map(|_| ())
    }

    /// Deregisters `instance_ids` from a target group on behalf of another
    /// service (Auto Scaling); they drain as on `DeregisterTargets`.
    pub fn deregister_instances(
        &self,
        ctx: &RequestContext,
        target_group_arn: &str,
        instance_ids: &[String],
    ) -> Result<(), gureum_core::AwsError> {
        let targets: Vec<Value> = instance_ids
            .iter()
            .map(|id| serde_json::json!({"Id": id}))
            .collect();
        let input = serde_json::json!({"TargetGroupArn": target_group_arn, "Targets": targets});
        targets::deregister_targets(self, ctx, &input).map(|_| ())
    }

    /// The health of every target of a group (`healthy`, `unhealthy`, …),
    /// for Auto Scaling's ELB health checks: `(target id, port, state)`.
    pub fn target_states(
        &self,
        ctx: &RequestContext,
        target_group_arn: &str,
    ) -> Result<Vec<(String, Option<i64>, String)>, gureum_core::AwsError> {
        targets::states(self, ctx, target_group_arn)
    }

    fn sync_plane(&self) -> Result<(), gureum_core::AwsError> {
        plane::sync::sync(self)
    }

    /// Forgets running listeners after a reset: the next tick rebinds
    /// what the store holds.
    fn reset(&self) {
        self.plane.shutdown();
    }
}

macro_rules! op {
    ($($method:ident => $module:ident :: $func:ident),* $(,)?) => {
        impl Elbv2Service {
            $(
                #[doc = concat!("`", stringify!($func), "`.")]
                fn $method(&self, ctx: &RequestContext, input: Value) -> OpResult {
                    let out = $module::$func(self, ctx, &input);
                    if out.is_ok() && !stringify!($method).starts_with("describe") {
                        // Changes reach the listeners at once (reads
                        // change nothing: waiters polling cost no sync).
                        let _ = self.sync_plane();
                    }
                    out
                }
            )*
        }
    };
}

op! {
    create_load_balancer => load_balancers::create,
    describe_load_balancers => load_balancers::describe,
    delete_load_balancer => load_balancers::delete,
    describe_load_balancer_attributes => load_balancers::describe_attributes,
    modify_load_balancer_attributes => load_balancers::modify_attributes,
    set_security_groups => load_balancers::set_security_groups,
    create_target_group => target_groups::create,
    describe_target_groups => target_groups::describe,
    modify_target_group => target_groups::modify,
    delete_target_group => target_groups::delete,
    describe_target_group_attributes => target_groups::describe_attributes,
    modify_target_group_attributes => target_groups::modify_attributes,
    register_targets => targets::register_targets,
    deregister_targets => targets::deregister_targets,
    describe_target_health => targets::describe_target_health,
    create_listener => listeners::create,
    describe_listeners => listeners::describe,
    modify_listener => listeners::modify,
    delete_listener => listeners::delete,
    add_listener_certificates => listener_certificates::add,
    remove_listener_certificates => listener_certificates::remove,
    describe_listener_certificates => listener_certificates::describe,
    create_rule => rules::create,
    describe_rules => rules::describe,
    modify_rule => rules::modify,
    delete_rule => rules::delete,
    set_rule_priorities => rules::set_priorities,
    add_tags => tags::add,
    remove_tags => tags::remove,
    describe_tags => tags::describe,
}

gureum_core::service_operations! {
    Elbv2Service, "elbv2",
    reset = reset,
    "CreateLoadBalancer" => create_load_balancer,
    "DescribeLoadBalancers" => describe_load_balancers,
    "DeleteLoadBalancer" => delete_load_balancer,
    "DescribeLoadBalancerAttributes" => describe_load_balancer_attributes,
    "ModifyLoadBalancerAttributes" => modify_load_balancer_attributes,
    "SetSecurityGroups" => set_security_groups,
    "CreateTargetGroup" => create_target_group,
    "DescribeTargetGroups" => describe_target_groups,
    "ModifyTargetGroup" => modify_target_group,
    "DeleteTargetGroup" => delete_target_group,
    "DescribeTargetGroupAttributes" => describe_target_group_attributes,
    "ModifyTargetGroupAttributes" => modify_target_group_attributes,
    "RegisterTargets" => register_targets,
    "DeregisterTargets" => deregister_targets,
    "DescribeTargetHealth" => describe_target_health,
    "CreateListener" => create_listener,
    "DescribeListeners" => describe_listeners,
    "ModifyListener" => modify_listener,
    "DeleteListener" => delete_listener,
    "AddListenerCertificates" => add_listener_certificates,
    "RemoveListenerCertificates" => remove_listener_certificates,
    "DescribeListenerCertificates" => describe_listener_certificates,
    "CreateRule" => create_rule,
    "DescribeRules" => describe_rules,
    "ModifyRule" => modify_rule,
    "DeleteRule" => delete_rule,
    "SetRulePriorities" => set_rule_priorities,
    "AddTags" => add_tags,
    "RemoveTags" => remove_tags,
    "DescribeTags" => describe_tags,
}

#[cfg(test)]
mod tests;
