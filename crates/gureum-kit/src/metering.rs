//! The seam billing reads what is running through: each service that owns
//! billable resources (EC2's instances and volumes, RDS's instances, S3's
//! bytes) answers what lives now, and the meter (`gureum-billing`) turns
//! the time each thing lived into priced usage.
//!
//! A service implements [`UsageSource`] over its own store; the meter
//! never reads another service's tables, and a service never learns about
//! prices.

/// What a live resource is billed as (the meter maps each to AWS's usage
/// types and operations).
#[derive(Clone, Debug, PartialEq)]
pub enum Metered {
    /// A running EC2 instance: `BoxUsage:{instance_type}`.
    Instance {
        /// `t3.micro`.
        instance_type: String,
        /// `windows` for Windows AMIs, else Linux.
        platform: Option<String>,
    },
    /// An EBS volume: storage, and provisioned IOPS and throughput.
    Volume {
        /// gp2, gp3, io1, io2, st1, sc1, standard.
        volume_type: String,
        /// Size in GiB.
        gib: i64,
        /// Provisioned IOPS (io1, io2, gp3).
        iops: Option<i64>,
        /// Provisioned throughput in MiB/s (gp3).
        throughput: Option<i64>,
    },
    /// An EBS snapshot's stored GiB.
    Snapshot {
        /// GiB stored.
        gib: i64,
    },
    /// A public IPv4 address: attached to something, or idle.
    PublicIpv4 {
        /// Whether it is associated with a resource.
        in_use: bool,
    },
    /// A NAT gateway (its hours).
    NatGateway,
    /// A load balancer (its hours).
    LoadBalancer {
        /// `application`, `network` or `gateway`.
        kind: String,
    },
    /// An RDS DB instance.
    DbInstance {
        /// `db.t3.micro`.
        class: String,
        /// `mysql`, `postgres`, …
        engine: String,
        /// Allocated storage, GiB.
        gib: i64,
    },
    /// An ElastiCache node.
    CacheNode {
        /// `cache.t3.micro`.
        node_type: String,
    },
    /// Bytes stored in S3 in one storage class.
    S3Storage {
        /// `STANDARD`, `STANDARD_IA`, …
        storage_class: String,
        /// Bytes stored.
        bytes: i64,
    },
}

/// One live billable resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    /// The owning account.
    pub account: String,
    /// The region (`us-east-1`).
    pub region: String,
    /// The resource's id (`i-…`, `vol-…`, a bucket name).
    pub resource_id: String,
    /// Since when it has been billed as it is now, epoch ms on Gureum's
    /// clock (launch, creation): usage before this is not its.
    pub since_ms: i64,
    /// What it is billed as.
    pub what: Metered,
    /// Its tags (for Cost Explorer's `TAG` grouping).
    pub tags: Vec<(String, String)>,
}

/// A service's live billable resources.
pub trait UsageSource: Send + Sync {
    /// Everything billable that lives at `now_ms`, in every account.
    fn running(&self, now_ms: i64) -> Vec<Running>;
}
