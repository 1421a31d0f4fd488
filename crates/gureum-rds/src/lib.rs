//! Amazon RDS (query protocol) with real database engines.
//!
//! Each DB instance is a real server of its engine started from the host
//! ([`engine`]): PostgreSQL for `postgres`, MariaDB for `mariadb` and as
//! the stand-in for `mysql`. The control plane validates as RDS does and
//! keeps its records in the store; the engine's data lives in a directory
//! per instance under Gureum's data directory (`rds/instances/…`), and
//! snapshots are real copies of it (`rds/snapshots/…`).
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `rds.instances`: `account/region/id` → [`DbInstance`];
//! - `rds.snapshots`: `account/region/id` → [`snapshots::DbSnapshot`];
//! - `rds.parameter_groups`: `account/region/name` → [`parameters::ParameterGroup`]
//!   (the `default.FAMILY` groups are the catalogue's, never stored);
//! - `rds.subnet_groups`: `account/region/name` → [`subnet_groups::SubnetGroup`].

mod catalog;
pub mod engine;
pub mod errors;
mod instances;
mod maintenance;
pub mod metering;
mod output;
pub mod parameters;
mod replicas;
pub mod snapshots;
pub mod subnet_groups;
mod tags;
mod validate;

pub use errors::RdsError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A resource tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// Changes waiting for the maintenance window (`ApplyImmediately=false`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// A new instance class.
    pub class: Option<String>,
    /// A new allocated storage.
    pub allocated_storage: Option<i64>,
    /// A new backup retention.
    pub backup_retention: Option<i64>,
    /// Multi-AZ on or off.
    pub multi_az: Option<bool>,
    /// A new storage type.
    pub storage_type: Option<String>,
}

impl Pending {
    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        *self == Pending::default()
    }
}

/// A stored DB instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DbInstance {
    /// `DBInstanceIdentifier`, lowercase.
    pub id: String,
    /// `DbiResourceId` (`db-…`).
    pub resource_id: String,
    /// `postgres`, `mysql`, `mariadb`.
    pub engine: String,
    /// The version from the catalogue.
    pub engine_version: String,
    /// `db.t3.micro`…
    pub class: String,
    /// `gp2`, `gp3`, `io1`, `io2`, `standard`.
    pub storage_type: String,
    /// GiB.
    pub allocated_storage: i64,
    /// Provisioned IOPS.
    pub iops: Option<i64>,
    /// The master user (a superuser of the engine).
    pub master_username: String,
    /// Its password (the engine's, kept to restore snapshots with it).
    pub master_password: String,
    /// The database created at launch.
    pub db_name: Option<String>,
    /// The port asked for.
    pub requested_port: u16,
    /// The port the engine really listens on (0 before its first start).
    pub port: u16,
    /// `DBInstanceStatus`.
    pub status: String,
    /// Multi-AZ (a record: one engine serves).
    pub multi_az: bool,
    /// The AZ.
    pub az: String,
    /// Days of automated backups.
    pub backup_retention: i64,
    /// Whether delete is refused.
    pub deletion_protection: bool,
    /// The parameter group's name.
    pub parameter_group: String,
    /// `in-sync` or `pending-reboot`.
    pub parameter_apply_status: String,
    /// The subnet group, when one was named.
    pub subnet_group: Option<String>,
    /// VPC security groups.
    pub vpc_security_groups: Vec<String>,
    /// Whether it is publicly accessible.
    pub publicly_accessible: bool,
    /// Whether snapshots get the instance's tags.
    pub copy_tags_to_snapshot: bool,
    /// Whether storage is encrypted.
    pub storage_encrypted: bool,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Epoch milliseconds.
    pub created_ms: i64,
    /// Changes waiting for the maintenance window.
    pub pending: Pending,
    /// `PreferredBackupWindow`.
    pub backup_window: String,
    /// `PreferredMaintenanceWindow`.
    pub maintenance_window: String,
    /// The instance this one is a read replica of.
    #[serde(default)]
    pub replica_source: Option<String>,
    /// The Secrets Manager secret holding the master password
    /// (`ManageMasterUserPassword`), and its KMS key.
    #[serde(default)]
    pub master_secret: Option<(String, String)>,
}

/// Where RDS keeps master passwords it manages: Secrets Manager.
pub trait MasterSecrets: Send + Sync {
    /// Creates secret `name` holding `secret` (as the caller) and answers
    /// its ARN.
    fn create(
        &self,
        ctx: &RequestContext,
        name: &str,
        secret: &str,
        kms_key: Option<&str>,
    ) -> Result<String, gureum_core::AwsError>;
    /// Deletes the secret `arn` at once (its instance is gone).
    fn delete(&self, ctx: &RequestContext, arn: &str);
}

/// The EC2 subnets a subnet group names, read through EC2.
pub trait Subnets: Send + Sync {
    /// Subnet `id` of the account's region, when it exists.
    fn subnet(&self, account: &str, region: &str, id: &str) -> Option<SubnetInfo>;
}

/// What RDS needs of an EC2 subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetInfo {
    /// `subnet-…`.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its AZ name.
    pub az: String,
}

/// The RDS service.
pub struct RdsService {
    store: Store,
    instances: Table<DbInstance>,
    snapshots: Table<snapshots::DbSnapshot>,
    parameter_groups: Table<parameters::ParameterGroup>,
    subnet_groups: Table<subnet_groups::SubnetGroup>,
    engines: Arc<engine::Engines>,
    subnets: parking_lot::RwLock<Option<Arc<dyn Subnets>>>,
    secrets: parking_lot::RwLock<Option<Arc<dyn MasterSecrets>>>,
    resumed: std::sync::Once,
    /// The minute of Gureum's clock maintenance windows were last checked in.
    last_minute: std::sync::atomic::AtomicI64,
}

impl RdsService {
    /// The service over `store`; engines' data goes beside the store's
    /// files (a temporary directory for an in-memory store).
    pub fn new(store: Store) -> Self {
        let instances: Table<DbInstance> = store.table("rds.instances");
        let engines = engine::Engines::new(&store, instances.clone());
        RdsService {
            instances,
            snapshots: store.table("rds.snapshots"),
            parameter_groups: store.table("rds.parameter_groups"),
            subnet_groups: store.table("rds.subnet_groups"),
            engines,
            subnets: Default::default(),
            secrets: Default::default(),
            resumed: std::sync::Once::new(),
            last_minute: Default::default(),
            store,
        }
    }

    /// Reads EC2 subnets through `subnets` (subnet groups).
    pub fn set_subnets(&self, subnets: Arc<dyn Subnets>) {
        *self.subnets.write() = Some(subnets);
    }

    /// Keeps managed master passwords through `secrets`.
    pub fn set_secrets(&self, secrets: Arc<dyn MasterSecrets>) {
        *self.secrets.write() = Some(secrets);
    }

    /// Runs on Gureum's clock each second (`now_ms`): the first call
    /// starts the engines of instances that were running when Gureum last
    /// stopped; then, once a minute, modifications waiting for their
    /// maintenance window are applied when it is open. Engines themselves
    /// are watched by blocking waits, not polls.
    pub fn tick(&self, now_ms: i64) {
        self.resumed.call_once(|| {
            self.engines.prepare();
            instances::resume_all(self);
        });
        let minute = now_ms.div_euclid(60_000);
        if self
            .last_minute
            .swap(minute, std::sync::atomic::Ordering::Relaxed)
            != minute
        {
            maintenance::apply_due(self, now_ms);
        }
    }

    /// Ends the engines and removes their data after the store's RDS
    /// tables were cleared or replaced; an import's instances start again
    /// as fresh engines only when created again.
    fn reset(&self) {
        self.engines.reset();
    }

    /// Ends every engine (graceful, then killed): Gureum is stopping.
    pub fn shutdown(&self) {
        self.engines.shutdown();
    }

    /// Each running instance's endpoint: `(account/region/id, address, port)`.
    pub fn endpoints(&self) -> Vec<(String, String, u16)> {
        self.engines
            .endpoints()
            .into_iter()
            .map(|(key, port)| {
                let mut parts = key.splitn(3, '/');
                let (account, region, id) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                );
                let address = output::address(account, region, id);
                (key, address, port)
            })
            .collect()
    }

    /// The engine process id of instance `key` (`account/region/id`).
    pub fn engine_pid(&self, key: &str) -> Option<i32> {
        self.engines.pid(key)
    }
}

/// `arn:aws:rds:REGION:ACCOUNT:KIND:NAME`.
pub(crate) fn arn(ctx: &RequestContext, kind: &str, name: &str) -> String {
    format!(
        "arn:aws:rds:{}:{}:{kind}:{name}",
        ctx.region, ctx.account_id
    )
}

/// A string member, or `None`.
pub(crate) fn s<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    gureum_core::member::str_member(input, name)
}

/// A list of strings member (empty when absent).
pub(crate) fn strings(input: &Value, name: &str) -> Vec<String> {
    gureum_core::member::member(input, name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// An integer member.
pub(crate) fn int(input: &Value, name: &str) -> Option<i64> {
    gureum_core::member::member(input, name).and_then(Value::as_i64)
}

/// A boolean member.
pub(crate) fn boolean(input: &Value, name: &str) -> Option<bool> {
    gureum_core::member::member(input, name).and_then(Value::as_bool)
}

impl RdsService {
    fn create_db_instance(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::create(self, ctx, &input)
    }
    fn describe_db_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::describe(self, ctx, &input)
    }
    fn modify_db_instance(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::modify(self, ctx, &input)
    }
    fn delete_db_instance(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::delete(self, ctx, &input)
    }
    fn stop_db_instance(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::stop(self, ctx, &input)
    }
    fn start_db_instance(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::start(self, ctx, &input)
    }
    fn reboot_db_instance(&self, ctx: &RequestContext, input: Value) -> OpResult {
        instances::reboot(self, ctx, &input)
    }
    fn create_db_instance_read_replica(&self, ctx: &RequestContext, input: Value) -> OpResult {
        replicas::create(self, ctx, &input)
    }
    fn promote_read_replica(&self, ctx: &RequestContext, input: Value) -> OpResult {
        replicas::promote(self, ctx, &input)
    }
    fn create_db_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::create(self, ctx, &input)
    }
    fn describe_db_snapshots(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::describe(self, ctx, &input)
    }
    fn delete_db_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::delete(self, ctx, &input)
    }
    fn restore_db_instance_from_db_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        snapshots::restore(self, ctx, &input)
    }
    fn create_db_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameters::create(self, ctx, &input)
    }
    fn describe_db_parameter_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameters::describe_groups(self, ctx, &input)
    }
    fn modify_db_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameters::modify(self, ctx, &input)
    }
    fn reset_db_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameters::reset(self, ctx, &input)
    }
    fn delete_db_parameter_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameters::delete(self, ctx, &input)
    }
    fn describe_db_parameters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        parameters::describe_parameters(self, ctx, &input)
    }
    fn create_db_subnet_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::create(self, ctx, &input)
    }
    fn describe_db_subnet_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::describe(self, ctx, &input)
    }
    fn delete_db_subnet_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subnet_groups::delete(self, ctx, &input)
    }
    fn describe_db_engine_versions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        output::engine_versions(ctx, &input)
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
    RdsService, "rds",
    reset = reset,
    "CreateDBInstance" => create_db_instance,
    "DescribeDBInstances" => describe_db_instances,
    "ModifyDBInstance" => modify_db_instance,
    "DeleteDBInstance" => delete_db_instance,
    "StopDBInstance" => stop_db_instance,
    "StartDBInstance" => start_db_instance,
    "RebootDBInstance" => reboot_db_instance,
    "CreateDBInstanceReadReplica" => create_db_instance_read_replica,
    "PromoteReadReplica" => promote_read_replica,
    "CreateDBSnapshot" => create_db_snapshot,
    "DescribeDBSnapshots" => describe_db_snapshots,
    "DeleteDBSnapshot" => delete_db_snapshot,
    "RestoreDBInstanceFromDBSnapshot" => restore_db_instance_from_db_snapshot,
    "CreateDBParameterGroup" => create_db_parameter_group,
    "DescribeDBParameterGroups" => describe_db_parameter_groups,
    "ModifyDBParameterGroup" => modify_db_parameter_group,
    "ResetDBParameterGroup" => reset_db_parameter_group,
    "DeleteDBParameterGroup" => delete_db_parameter_group,
    "DescribeDBParameters" => describe_db_parameters,
    "CreateDBSubnetGroup" => create_db_subnet_group,
    "DescribeDBSubnetGroups" => describe_db_subnet_groups,
    "DeleteDBSubnetGroup" => delete_db_subnet_group,
    "DescribeDBEngineVersions" => describe_db_engine_versions,
    "AddTagsToResource" => add_tags_to_resource,
    "RemoveTagsFromResource" => remove_tags_from_resource,
    "ListTagsForResource" => list_tags_for_resource,
}

#[cfg(test)]
mod tests;
