//! Amazon ElastiCache (query, regional): cache clusters and replication
//! groups whose nodes are real `redis-server`/`valkey-server`/`memcached`
//! processes from the host, cache subnet groups (subnets read from EC2),
//! cache parameter groups applied to the engines, snapshots that copy the
//! engine's RDB file, engine versions from a small catalogue, and tags.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `elasticache.clusters`: `account/region/id` → a [`Cluster`];
//! - `elasticache.groups`: `account/region/id` → a [`ReplicationGroup`];
//! - `elasticache.subnet_groups`: `account/region/name` → a [`SubnetGroup`];
//! - `elasticache.parameter_groups`: `account/region/name` → a
//!   [`ParameterGroup`] (the `default.*` groups are the catalogue's);
//! - `elasticache.snapshots`: `account/region/name` → a [`Snapshot`];
//! - `elasticache.users`: `account/region/id` → a [`User`] (the built-in
//!   `default` user is not stored);
//! - `elasticache.user_groups`: `account/region/id` → a [`UserGroup`];
//! - `elasticache.serverless`: `account/region/name` → a serverless cache
//!   (its engine node is the cluster record `~NAME`);
//! - `elasticache.tags`: `ARN` → the resource's tags.
//!
//! Layout: [`errors`], `catalog.rs` (node types, engine versions,
//! parameters), `input.rs` (reading members), one module per resource
//! (`clusters.rs`, `groups.rs`, `sharded.rs` for cluster mode enabled,
//! `serverless.rs`, `subnet_groups.rs`, `parameter_groups.rs`,
//! `snapshots.rs`, `users.rs`, `tags.rs`), `views.rs` (the model's shapes
//! and endpoint names), and the data plane: `engines.rs` (the processes),
//! `lifecycle.rs` (states following them, node replacement),
//! `cluster_mode.rs` (forming a Redis Cluster), `acl.rs` (RBAC as ACL
//! users), `auth_tokens.rs` (token rotation) and `resp.rs` (the few Redis
//! commands Gureum itself sends).

mod acl;
mod auth_tokens;
mod automatic;
mod catalog;
mod cluster_mode;
mod clusters;
mod engines;
pub mod errors;
mod groups;
mod input;
mod lifecycle;
pub mod metering;
mod parameter_groups;
mod resp;
mod serverless;
mod sharded;
mod snapshots;
mod subnet_groups;
mod tags;
mod users;
mod views;

pub use errors::ElasticacheError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The cluster table's name.
pub const CLUSTERS: &str = "elasticache.clusters";
/// The replication group table's name.
pub const GROUPS: &str = "elasticache.groups";

/// One cache node: one engine process.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Node {
    /// `0001`, `0002`, …
    pub id: String,
    /// `creating`, `available`, `rebooting`, `deleting`.
    pub status: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// The loopback port the engine listens on (0 before its first start).
    pub port: u16,
}

/// A stored cache cluster (a memcached cluster, a single-node Redis
/// cluster, or one member of a replication group).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cluster {
    /// `CacheClusterId`, lowercase.
    pub id: String,
    /// `redis`, `valkey` or `memcached`.
    pub engine: String,
    /// The engine version asked for (the catalogue's).
    pub engine_version: String,
    /// `cache.t3.micro`, …
    pub node_type: String,
    /// `creating`, `available`, `modifying`, `rebooting cache cluster
    /// nodes`, `snapshotting`, `deleting`.
    pub status: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// The port asked for (the engine's default when none).
    pub port: u16,
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The parameter group.
    pub parameter_group: String,
    /// The subnet group, when one was named.
    pub subnet_group: Option<String>,
    /// VPC security group ids.
    pub security_groups: Vec<String>,
    /// The availability zone.
    pub az: String,
    /// The replication group this cluster belongs to.
    pub replication_group: Option<String>,
    /// `primary` or `replica` in a replication group.
    pub role: Option<String>,
    /// Redis `requirepass`.
    pub auth_token: Option<String>,
    /// When the auth token last changed, epoch milliseconds.
    pub auth_token_modified_ms: Option<i64>,
    /// An earlier token still valid after a `ROTATE`.
    #[serde(default)]
    pub previous_auth_tokens: Vec<String>,
    /// Whether in-transit encryption was asked for (recorded; the loopback
    /// engines speak plain TCP).
    pub transit_encryption: bool,
    /// The snapshot restored on first start.
    pub restore_from: Option<String>,
    /// Days automatic snapshots are kept.
    pub snapshot_retention: i64,
    /// `hh24:mi-hh24:mi`.
    pub snapshot_window: String,
    /// `ddd:hh24:mi-ddd:hh24:mi`.
    pub maintenance_window: String,
    /// Whether a static parameter change waits for a reboot.
    pub pending_reboot: bool,
    /// The password of Gureum's own engine user (`gureum-admin`), set
    /// once a user group (RBAC) replaces the engine's default user.
    #[serde(default)]
    pub admin_secret: Option<String>,
    /// `maxmemory` in MiB when not the node type's (a serverless cache's
    /// storage limit).
    #[serde(default)]
    pub memory_mb: Option<u64>,
}

/// The engine user Gureum itself logs in as once RBAC is on.
pub const ADMIN_USER: &str = "gureum-admin";

/// The login for Gureum's own commands: its admin user under RBAC, the
/// default user with the auth token otherwise.
fn admin_login(secret: &Option<String>, token: &Option<String>) -> Option<(String, String)> {
    match (secret, token) {
        (Some(s), _) => Some((ADMIN_USER.to_string(), s.clone())),
        (None, Some(t)) => Some(("default".to_string(), t.clone())),
        (None, None) => None,
    }
}

impl Cluster {
    /// How Gureum authenticates to this cluster's engines.
    pub fn admin_auth(&self) -> Option<(String, String)> {
        admin_login(&self.admin_secret, &self.auth_token)
    }
}

impl ReplicationGroup {
    /// How Gureum authenticates to the group's engines.
    pub fn admin_auth(&self) -> Option<(String, String)> {
        admin_login(&self.admin_secret, &self.auth_token)
    }
}

/// A stored replication group (cluster mode disabled: one node group).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReplicationGroup {
    /// `ReplicationGroupId`, lowercase.
    pub id: String,
    /// Its description.
    pub description: String,
    /// `creating`, `available`, `modifying`, `deleting`.
    pub status: String,
    /// Member cluster ids, the primary first at creation.
    pub members: Vec<String>,
    /// The primary member.
    pub primary: String,
    /// Whether automatic failover is on.
    pub automatic_failover: bool,
    /// Whether Multi-AZ is on.
    pub multi_az: bool,
    /// Node type of every member.
    pub node_type: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// The engine version.
    pub engine_version: String,
    /// Redis `requirepass`.
    pub auth_token: Option<String>,
    /// When the auth token last changed.
    pub auth_token_modified_ms: Option<i64>,
    /// An earlier token still valid after a `ROTATE`.
    #[serde(default)]
    pub previous_auth_tokens: Vec<String>,
    /// In-transit encryption asked for.
    pub transit_encryption: bool,
    /// At-rest encryption asked for.
    pub at_rest_encryption: bool,
    /// The parameter group.
    pub parameter_group: String,
    /// The subnet group.
    pub subnet_group: Option<String>,
    /// VPC security group ids.
    pub security_groups: Vec<String>,
    /// The port asked for.
    pub port: u16,
    /// When it was made.
    pub created_ms: i64,
    /// Days automatic snapshots are kept.
    pub snapshot_retention: i64,
    /// `hh24:mi-hh24:mi`.
    pub snapshot_window: String,
    /// Cluster mode enabled: the shards' node group ids (`0001`, …), in
    /// slot order; empty with cluster mode disabled.
    #[serde(default)]
    pub shards: Vec<String>,
    /// The user group (RBAC) whose users are the engines' ACL users.
    #[serde(default)]
    pub user_group: Option<String>,
    /// Gureum's admin user password under RBAC (see [`Cluster::admin_secret`]).
    #[serde(default)]
    pub admin_secret: Option<String>,
}

/// A stored user (RBAC): an ACL user of the engines of the replication
/// groups whose user groups hold it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct User {
    /// `UserId`.
    pub id: String,
    /// `UserName`: the engine's user name.
    pub name: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// The Redis ACL rules (`on ~* +@all`).
    pub access_string: String,
    /// Up to two passwords (none with `no-password`).
    pub passwords: Vec<String>,
    /// `password`, `no-password` or `iam`.
    pub auth_type: String,
}

/// A stored user group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UserGroup {
    /// `UserGroupId`.
    pub id: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// Its users' ids.
    pub user_ids: Vec<String>,
}

/// A stored cache subnet group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubnetGroup {
    /// Its name, lowercase.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The VPC of its subnets.
    pub vpc_id: String,
    /// `(subnet id, availability zone)`.
    pub subnets: Vec<(String, String)>,
}

/// A stored (custom) cache parameter group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParameterGroup {
    /// Its name, lowercase.
    pub name: String,
    /// `redis7`, `valkey8`, `memcached1.6`, …
    pub family: String,
    /// Its description.
    pub description: String,
    /// Values set by the user (the rest are the family's defaults).
    pub values: BTreeMap<String, String>,
}

/// A stored snapshot: the record and the RDB file it copied.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Its name.
    pub name: String,
    /// `manual` or `automated`.
    pub source: String,
    /// `creating`, `available`.
    pub status: String,
    /// The cluster it was taken from.
    pub cluster_id: Option<String>,
    /// The replication group it was taken from.
    pub group_id: Option<String>,
    /// The group's description.
    pub group_description: Option<String>,
    /// Engine of the source.
    pub engine: String,
    /// Engine version of the source.
    pub engine_version: String,
    /// Node type of the source.
    pub node_type: String,
    /// Port of the source.
    pub port: u16,
    /// Parameter group of the source.
    pub parameter_group: String,
    /// Subnet group of the source.
    pub subnet_group: Option<String>,
    /// The source's creation time.
    pub cluster_created_ms: i64,
    /// When it was taken.
    pub created_ms: i64,
    /// The RDB file's size in bytes.
    pub size: u64,
}

/// The ElastiCache service.
pub struct ElasticacheService {
    store: Store,
    clusters: Table<Cluster>,
    groups: Table<ReplicationGroup>,
    subnet_groups: Table<SubnetGroup>,
    parameter_groups: Table<ParameterGroup>,
    snapshots: Table<Snapshot>,
    tags: Table<Vec<(String, String)>>,
    users: Table<User>,
    user_groups: Table<UserGroup>,
    serverless: Table<serverless::ServerlessCache>,
    /// The minute of Gureum's clock automatic snapshots were last checked in.
    last_minute: std::sync::atomic::AtomicI64,
    engines: Arc<engines::Engines>,
}

impl ElasticacheService {
    /// The control plane alone over `store`: clusters are recorded but no
    /// engine is started (they stay `creating`), for tests of the rules.
    pub fn new(store: Store) -> Self {
        Self::build(store, engines::Engines::disabled())
    }

    /// The service with real engines, working under Gureum's data
    /// directory (a temp directory for an in-memory store); clusters that
    /// were running when Gureum stopped start again on their data.
    pub fn with_engines(store: Store) -> Self {
        let (root, ephemeral) = match store.path().and_then(|p| p.parent()) {
            Some(dir) => (dir.join("elasticache"), false),
            None => (
                std::env::temp_dir().join(format!("gureum-elasticache-{}", std::process::id())),
                true,
            ),
        };
        let svc = Self::build(store, engines::Engines::new(root, ephemeral));
        lifecycle::resume_all(&svc.backend());
        svc
    }

    fn build(store: Store, engines: Arc<engines::Engines>) -> Self {
        ElasticacheService {
            clusters: store.table(CLUSTERS),
            groups: store.table(GROUPS),
            subnet_groups: store.table("elasticache.subnet_groups"),
            parameter_groups: store.table("elasticache.parameter_groups"),
            snapshots: store.table("elasticache.snapshots"),
            tags: store.table("elasticache.tags"),
            users: store.table(users::USERS),
            user_groups: store.table(users::USER_GROUPS),
            serverless: store.table(serverless::SERVERLESS),
            last_minute: std::sync::atomic::AtomicI64::new(0),
            store,
            engines,
        }
    }

    fn backend(&self) -> lifecycle::Backend {
        lifecycle::Backend {
            store: self.store.clone(),
            engines: self.engines.clone(),
        }
    }

    /// Replaces nodes whose engine ended on its own and stops engines
    /// whose cluster is gone, and, once per minute of `clock`, takes the
    /// automatic snapshots that are due; for Gureum's once-a-second ticker.
    pub fn watch_engines(&self, clock: &gureum_core::Clock) {
        lifecycle::watch(&self.backend());
        let minute = clock.now_millis().div_euclid(60_000);
        if self
            .last_minute
            .swap(minute, std::sync::atomic::Ordering::Relaxed)
            != minute
        {
            automatic::run(self, clock);
        }
    }

    /// Ends every engine process (Gureum is stopping); their data stays.
    pub fn shutdown(&self) {
        self.engines.shutdown();
    }

    /// The nodes' addresses, for `/_gureum/health`: AWS's endpoint names
    /// under `cache.localhost` with the real loopback port of each.
    pub fn endpoints(&self) -> Value {
        views::endpoint_listing(&self.clusters, &self.groups)
    }

    fn create_cache_cluster(&self, ctx: &RequestContext, input: Value) -> OpResult {
        clusters::create(self, ctx, &input)
    }
    fn describe_cache_clusters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        clusters::describe(self, ctx, &input)
    }
    fn modify_cache_cluster(&self, ctx: &RequestContext, input: Value) -> OpResult {
        clusters::modify(self, ctx, &input)
    }
    fn delete_cache_cluster(&self, ctx: &RequestContext, input: Value) -> OpResult {
        clusters::delete(self, ctx, &input)
    }
    fn reboot_cache_cluster(&self, ctx: &RequestContext, input: Value) -> OpResult {
        clusters::reboot(self, ctx, &input)
    }
    fn create_replication_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::create(self, ctx, &input)
    }
    fn describe_replication_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::describe(self, ctx, &input)
    }
    fn modify_replication_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::modify(self, ctx, &input)
    }
    fn delete_replication_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::delete(self, ctx, &input)
    }
    fn test_failover(&self, ctx: &RequestContext, input: Value) -> OpResult {
        groups::test_failover(self, ctx, &input)
    }
    fn create_cache_subnet_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::create(self, ctx, &input)
    }
    fn describe_cache_subnet_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::describe(self, ctx, &input)
    }
    fn modify_cache_subnet_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::modify(self, ctx, &input)
    }
    fn delete_cache_subnet_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::delete(self, ctx, &input)
    }
    fn create_cache_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::create(self, ctx, &input)
    }
    fn describe_cache_parameter_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::describe(self, ctx, &input)
    }
    fn describe_cache_parameters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::describe_parameters(self, ctx, &input)
    }
    fn describe_engine_default_parameters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::engine_defaults(ctx, &input)
    }
    fn modify_cache_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::modify(self, ctx, &input, false)
    }
    fn reset_cache_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::modify(self, ctx, &input, true)
    }
    fn delete_cache_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameter_groups::delete(self, ctx, &input)
    }
    fn create_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::create(self, ctx, &input)
    }
    fn describe_snapshots(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::describe(self, ctx, &input)
    }
    fn delete_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::delete(self, ctx, &input)
    }
    fn describe_cache_engine_versions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        catalog::describe_engine_versions(ctx, &input)
    }
    fn create_serverless_cache(&self, ctx: &RequestContext, input: Value) -> OpResult {
        serverless::create(self, ctx, &input)
    }
    fn describe_serverless_caches(&self, ctx: &RequestContext, input: Value) -> OpResult {
        serverless::describe(self, ctx, &input)
    }
    fn modify_serverless_cache(&self, ctx: &RequestContext, input: Value) -> OpResult {
        serverless::modify(self, ctx, &input)
    }
    fn delete_serverless_cache(&self, ctx: &RequestContext, input: Value) -> OpResult {
        serverless::delete(self, ctx, &input)
    }
    fn create_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::create_user(self, ctx, &input)
    }
    fn describe_users(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::describe_users(self, ctx, &input)
    }
    fn modify_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::modify_user(self, ctx, &input)
    }
    fn delete_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::delete_user(self, ctx, &input)
    }
    fn create_user_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::create_group(self, ctx, &input)
    }
    fn describe_user_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::describe_groups(self, ctx, &input)
    }
    fn modify_user_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::modify_group(self, ctx, &input)
    }
    fn delete_user_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        users::delete_group(self, ctx, &input)
    }
    fn add_tags_to_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::add(self, ctx, &input)
    }
    fn remove_tags_from_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::remove(self, ctx, &input)
    }
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::list(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    ElasticacheService, "elasticache",
    "CreateCacheCluster" => create_cache_cluster,
    "DescribeCacheClusters" => describe_cache_clusters,
    "ModifyCacheCluster" => modify_cache_cluster,
    "DeleteCacheCluster" => delete_cache_cluster,
    "RebootCacheCluster" => reboot_cache_cluster,
    "CreateReplicationGroup" => create_replication_group,
    "DescribeReplicationGroups" => describe_replication_groups,
    "ModifyReplicationGroup" => modify_replication_group,
    "DeleteReplicationGroup" => delete_replication_group,
    "TestFailover" => test_failover,
    "CreateCacheSubnetGroup" => create_cache_subnet_group,
    "DescribeCacheSubnetGroups" => describe_cache_subnet_groups,
    "ModifyCacheSubnetGroup" => modify_cache_subnet_group,
    "DeleteCacheSubnetGroup" => delete_cache_subnet_group,
    "CreateCacheParameterGroup" => create_cache_parameter_group,
    "DescribeCacheParameterGroups" => describe_cache_parameter_groups,
    "DescribeCacheParameters" => describe_cache_parameters,
    "DescribeEngineDefaultParameters" => describe_engine_default_parameters,
    "ModifyCacheParameterGroup" => modify_cache_parameter_group,
    "ResetCacheParameterGroup" => reset_cache_parameter_group,
    "DeleteCacheParameterGroup" => delete_cache_parameter_group,
    "CreateSnapshot" => create_snapshot,
    "DescribeSnapshots" => describe_snapshots,
    "DeleteSnapshot" => delete_snapshot,
    "DescribeCacheEngineVersions" => describe_cache_engine_versions,
    "CreateServerlessCache" => create_serverless_cache,
    "DescribeServerlessCaches" => describe_serverless_caches,
    "ModifyServerlessCache" => modify_serverless_cache,
    "DeleteServerlessCache" => delete_serverless_cache,
    "CreateUser" => create_user,
    "DescribeUsers" => describe_users,
    "ModifyUser" => modify_user,
    "DeleteUser" => delete_user,
    "CreateUserGroup" => create_user_group,
    "DescribeUserGroups" => describe_user_groups,
    "ModifyUserGroup" => modify_user_group,
    "DeleteUserGroup" => delete_user_group,
    "AddTagsToResource" => add_tags_to_resource,
    "RemoveTagsFromResource" => remove_tags_from_resource,
    "ListTagsForResource" => list_tags_for_resource,
}

#[cfg(test)]
mod tests;
