//! Route 53 (rest-xml, global): hosted zones, record sets, health checks
//! that really probe, and the authority Gureum's DNS server answers from.
//!
//! Tables (keys start with the account, Route 53 being global):
//!
//! | table | key | value |
//! |---|---|---|
//! | `route53.hosted_zones` | `account/ZONEID` | [`Zone`] |
//! | `route53.zone_refs` | `account/caller-reference` | zone id (kept after a delete, as AWS keeps it) |
//! | `route53.records` | `account/ZONEID/<reversed name>␁TYPE␁set-id` | the `ResourceRecordSet` as listed |
//! | `route53.changes` | `account/CHANGEID` | [`changes::Change`] |
//! | `route53.health_checks` | `account/id` | the `HealthCheck` as described |
//! | `route53.health_refs` | `account/caller-reference` | health check id |
//! | `route53.tags` | `account/type/id` | tags |
//! | `route53.health_status` | health check id | its last status (healthy) |
//!
//! Record keys sort as `ListResourceRecordSets` lists: names by reversed
//! labels (`\u{2}` between them sorts before any name character), then type,
//! then set identifier. The DNS server reads an in-memory index of every
//! zone ([`authority::DnsAuthority`]), rebuilt after a write.

pub mod authority;
pub mod changes;
pub mod errors;
pub mod health;
mod lookup;
pub mod names;
mod probe;
pub mod records;
mod routing;
mod service_targets;
pub mod tags;
pub mod zones;

#[cfg(test)]
mod tests;

use errors::Route53Error;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A hosted zone as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Zone {
    /// `Z…` without `/hostedzone/`.
    pub id: String,
    /// The zone's name in Route 53's form (`example.com.`).
    pub name: String,
    /// The caller reference it was made with.
    pub caller_reference: String,
    /// `HostedZoneConfig.Comment`.
    pub comment: Option<String>,
    /// A private zone answers only inside its VPCs.
    pub private: bool,
    /// The VPCs of a private zone.
    pub vpcs: Vec<VpcRef>,
    /// The delegation set's name servers (public zones), or the private
    /// zone's fixed ones.
    pub name_servers: Vec<String>,
    /// `ResourceRecordSetCount`.
    pub record_count: u64,
}

/// A VPC a private zone is associated with.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct VpcRef {
    /// `VPCRegion`.
    pub region: String,
    /// `VPCId`.
    pub id: String,
}

/// Which VPCs exist: EC2's, as the server wires it.
pub trait VpcDirectory: Send + Sync {
    /// Whether VPC `id` exists in `account`'s `region`.
    fn exists(&self, account: &str, region: &str, id: &str) -> Result<bool, AwsError>;
}

/// No VPCs at all (a Route 53 built without EC2).
struct NoVpcs;

impl VpcDirectory for NoVpcs {
    fn exists(&self, _account: &str, _region: &str, _id: &str) -> Result<bool, AwsError> {
        Ok(false)
    }
}

/// The Route 53 service.
pub struct Route53Service {
    pub(crate) zones: Table<Zone>,
    pub(crate) zone_refs: Table<String>,
    pub(crate) records: Table<Value>,
    pub(crate) changes: Table<changes::Change>,
    pub(crate) health_checks: Table<Value>,
    pub(crate) health_refs: Table<String>,
    pub(crate) tags: Table<Vec<tags::Tag>>,
    pub(crate) store: Store,
    pub(crate) vpcs: Arc<dyn VpcDirectory>,
    pub(crate) dns: Arc<authority::DnsAuthority>,
    pub(crate) monitor: Arc<health::Monitor>,
    /// Where health checks' `AWS/Route53` metrics go (CloudWatch).
    pub(crate) metrics: Arc<dyn gureum_kit::metrics::MetricSink>,
    /// The minute of Gureum's clock metrics were last emitted in.
    pub(crate) metrics_minute: std::sync::atomic::AtomicI64,
}

impl Route53Service {
    /// The service over `store`, with no VPCs known.
    pub fn new(store: Store) -> Self {
        Self::with_vpcs(store, Arc::new(NoVpcs))
    }

    /// The service over `store`, checking private zones' VPCs in `vpcs`.
    pub fn with_vpcs(store: Store, vpcs: Arc<dyn VpcDirectory>) -> Self {
        let monitor = Arc::new(health::Monitor::new(&store));
        let zones = store.table("route53.hosted_zones");
        let records = store.table("route53.records");
        Route53Service {
            dns: Arc::new(authority::DnsAuthority::new(
                zones.clone(),
                records.clone(),
                monitor.clone(),
            )),
            zones,
            records,
            zone_refs: store.table("route53.zone_refs"),
            changes: store.table("route53.changes"),
            health_checks: store.table("route53.health_checks"),
            health_refs: store.table("route53.health_refs"),
            tags: store.table("route53.tags"),
            store,
            vpcs,
            monitor,
            metrics: Arc::new(gureum_kit::metrics::NoMetrics),
            metrics_minute: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// Emits health checks' `HealthCheckStatus` and
    /// `HealthCheckPercentageHealthy` to `sink` each minute.
    pub fn with_metrics(mut self, sink: Arc<dyn gureum_kit::metrics::MetricSink>) -> Self {
        self.metrics = sink;
        self
    }

    /// Sets the services aliases can target (ELB, CloudFront, S3
    /// website), built after Route 53 by the server.
    pub fn set_alias_targets(&self, targets: Arc<dyn gureum_kit::dns_targets::AliasTargets>) {
        self.dns.set_alias_targets(targets);
    }

    /// What the DNS server answers from.
    pub fn authority(&self) -> Arc<authority::DnsAuthority> {
        self.dns.clone()
    }

    /// Runs the health checks that are due on `clock` (the server's
    /// ticker calls this each second); probes run on their own threads.
    pub fn run_health_checks(&self, clock: &Clock) {
        health::run_due(self, clock);
    }

    /// Forgets in-memory state after the store was cleared or replaced.
    fn reset_memory(&self) {
        self.dns.invalidate();
        self.monitor.clear();
    }

    fn get_hosted_zone_count(&self, ctx: &RequestContext, _input: Value) -> gureum_core::OpResult {
        let n = self
            .zones
            .scan_prefix(&format!("{}/", ctx.account_id))
            .map_err(AwsError::from)?
            .len();
        Ok(serde_json::json!({ "HostedZoneCount": n }))
    }
}

/// The zone id of an `Id` input (`Z123` or `/hostedzone/Z123`).
pub(crate) fn zone_id(input: &Value, member: &str) -> String {
    let raw = input
        .get(member)
        .and_then(Value::as_str)
        .unwrap_or_default();
    raw.trim_start_matches("/hostedzone/").to_string()
}

/// An `InvalidInput` error.
pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::from(Route53Error::InvalidInput {
        message: message.into(),
    })
}

/// A Route 53 id: a letter and 20 uppercase letters and digits, as AWS's
/// newer zone and change ids look.
pub(crate) fn new_id(prefix: char) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(21);
    id.push(prefix);
    for _ in 0..20 {
        id.push(char::from(CHARS[rng.gen_range(0..CHARS.len())]));
    }
    id
}

gureum_core::service_operations! {
    Route53Service, "route53",
    reset = reset_memory,
    "CreateHostedZone" => create_hosted_zone,
    "GetHostedZone" => get_hosted_zone,
    "ListHostedZones" => list_hosted_zones,
    "ListHostedZonesByName" => list_hosted_zones_by_name,
    "ListHostedZonesByVPC" => list_hosted_zones_by_vpc,
    "DeleteHostedZone" => delete_hosted_zone,
    "UpdateHostedZoneComment" => update_hosted_zone_comment,
    "AssociateVPCWithHostedZone" => associate_vpc_with_hosted_zone,
    "DisassociateVPCFromHostedZone" => disassociate_vpc_from_hosted_zone,
    "GetHostedZoneCount" => get_hosted_zone_count,
    "ChangeResourceRecordSets" => change_resource_record_sets,
    "ListResourceRecordSets" => list_resource_record_sets,
    "GetChange" => get_change,
    "CreateHealthCheck" => create_health_check,
    "GetHealthCheck" => get_health_check,
    "ListHealthChecks" => list_health_checks,
    "DeleteHealthCheck" => delete_health_check,
    "UpdateHealthCheck" => update_health_check,
    "GetHealthCheckStatus" => get_health_check_status,
    "GetHealthCheckCount" => get_health_check_count,
    "ChangeTagsForResource" => change_tags_for_resource,
    "ListTagsForResource" => list_tags_for_resource,
    "ListTagsForResources" => list_tags_for_resources,
}
