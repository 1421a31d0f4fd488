//! Amazon Elastic File System (rest-json, regional), whose file systems
//! are really served over NFSv3.
//!
//! Each file system is a directory under the data dir
//! (`<data dir>/efs/<account>/<fs id>`), served by an `nfsserve` listener
//! on a loopback port ([`exports`], listed by `/_gureum/health`) from the
//! moment it turns `available` (the server's ticker, [`EfsService::tick`],
//! moves `creating` file systems and mount targets on, and restarts the
//! listeners after a restart). `SizeInBytes` is metered from the
//! directory at each describe. Mount targets take a subnet, security
//! groups and a requester-managed network interface from EC2 through the
//! [`Network`] seam.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `efs.file_systems`: `account/region/fs-id` → a [`FileSystem`];
//! - `efs.mount_targets`: `account/region/fsmt-id` → a [`MountTarget`];
//! - `efs.access_points`: `account/region/fsap-id` → an [`AccessPoint`].
//!
//! Layout: [`errors`], `file_systems.rs` (file systems and what they
//! carry: lifecycle, policies, backup policy), `tags.rs`,
//! `mount_targets.rs`, `access_points.rs`, [`exports`] and [`vfs`] (NFS).

mod access_points;
pub mod errors;
pub mod exports;
mod file_systems;
mod mount_targets;
mod tags;
#[cfg(test)]
mod tests;
pub mod vfs;

pub use errors::EfsError;

use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// A stored file system.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileSystem {
    /// `fs-…`.
    pub id: String,
    /// The idempotency token it was created with.
    pub creation_token: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// `creating`, `available`.
    pub state: String,
    /// `generalPurpose` or `maxIO`.
    pub performance_mode: String,
    /// `bursting`, `provisioned` or `elastic`.
    pub throughput_mode: String,
    /// With `provisioned` throughput.
    pub provisioned_mibps: Option<f64>,
    /// Whether it is encrypted at rest.
    pub encrypted: bool,
    /// The KMS key, when encrypted.
    pub kms_key_id: Option<String>,
    /// One Zone file systems' zone.
    pub az_name: Option<String>,
    /// Its tags, in the order given.
    pub tags: Vec<(String, String)>,
    /// `PutLifecycleConfiguration`'s policies.
    pub lifecycle: Vec<Value>,
    /// The file system policy.
    pub policy: Option<String>,
    /// The backup policy status (`ENABLED`, `DISABLED`), once set.
    pub backup: Option<String>,
}

/// A stored mount target.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MountTarget {
    /// `fsmt-…`.
    pub id: String,
    /// Its file system.
    pub fs_id: String,
    /// Its subnet, VPC and zone.
    pub subnet_id: String,
    /// The subnet's VPC.
    pub vpc_id: String,
    /// The subnet's Availability Zone.
    pub az: String,
    /// The zone's id.
    pub az_id: String,
    /// Its address in the subnet (its interface's).
    pub ip: String,
    /// Its requester-managed network interface.
    pub eni: String,
    /// Its security groups.
    pub security_groups: Vec<String>,
    /// `creating`, `available`.
    pub state: String,
}

/// A stored access point.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccessPoint {
    /// `fsap-…`.
    pub id: String,
    /// Its file system.
    pub fs_id: String,
    /// The idempotency token it was created with.
    pub client_token: String,
    /// Its tags.
    pub tags: Vec<(String, String)>,
    /// The POSIX user every request through it acts as.
    pub posix_user: Option<Value>,
    /// Its root directory (`Path`, `CreationInfo`).
    pub root_directory: Value,
}

/// A subnet as EFS needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct SubnetInfo {
    /// `subnet-…`.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its Availability Zone.
    pub az: String,
    /// The zone's id.
    pub az_id: String,
}

/// What EFS reads and makes in EC2 (wired by the server).
pub trait Network: Send + Sync {
    /// A subnet of the caller's region.
    fn subnet(&self, ctx: &RequestContext, id: &str) -> Result<Option<SubnetInfo>, AwsError>;
    /// The groups checked to be in `vpc_id` (its default group when
    /// `ids` is empty); `Err(id)` names one that is not.
    fn security_groups(
        &self,
        ctx: &RequestContext,
        vpc_id: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError>;
    /// A requester-managed interface in `subnet_id`: `(eni id, address)`.
    fn create_interface(
        &self,
        ctx: &RequestContext,
        subnet_id: &str,
        groups: &[String],
        description: &str,
    ) -> Result<(String, String), AwsError>;
    /// Deletes an interface made by [`Network::create_interface`].
    fn delete_interface(&self, ctx: &RequestContext, id: &str) -> Result<(), AwsError>;
}

/// Where instances run (wired by the server): the VPC router namespaces
/// mount targets are served in.
pub trait Fabric: Send + Sync {
    /// The name of `vpc_id`'s router network namespace, when it exists.
    fn router_namespace(&self, vpc_id: &str) -> Option<String>;
}

/// The EFS service.
pub struct EfsService {
    store: Store,
    file_systems: Table<FileSystem>,
    mount_targets: Table<MountTarget>,
    access_points: Table<AccessPoint>,
    exports: exports::Exports,
    network: OnceLock<Arc<dyn Network>>,
    fabric: OnceLock<Arc<dyn Fabric>>,
    /// Whether the ticker has work (something was created, or the
    /// process just started): idle, a tick reads nothing.
    pending: AtomicBool,
}

impl EfsService {
    /// The service over `store`, its file systems' data beside it.
    pub fn new(store: Store) -> Self {
        let root = match store.path().and_then(Path::parent) {
            Some(dir) => dir.join("efs"),
            None => std::env::temp_dir().join(format!("gureum-efs-{}", gureum_core::id::hex(16))),
        };
        EfsService {
            file_systems: store.table("efs.file_systems"),
            mount_targets: store.table("efs.mount_targets"),
            access_points: store.table("efs.access_points"),
            exports: exports::Exports::new(root),
            network: OnceLock::new(),
            fabric: OnceLock::new(),
            pending: AtomicBool::new(true),
            store,
        }
    }

    /// Places mount targets through `network` (EC2).
    pub fn set_network(&self, network: Arc<dyn Network>) {
        let _ = self.network.set(network);
    }

    /// Serves mount targets inside their VPC's router namespace through
    /// `fabric` (instances running in namespaces).
    pub fn set_fabric(&self, fabric: Arc<dyn Fabric>) {
        let _ = self.fabric.set(fabric);
    }

    /// The NFS endpoints, for `/_gureum/health`.
    pub fn endpoints(&self) -> Value {
        self.exports.listing()
    }

    /// Moves `creating` file systems and mount targets to `available`,
    /// starting their NFS listeners (and those of available file systems
    /// after a restart). Called by the server's ticker from a blocking
    /// thread.
    pub fn tick(&self) {
        if !self.pending.swap(false, Ordering::SeqCst) {
            return;
        }
        match file_systems::settle_all(self) {
            Ok(waiting) => {
                if waiting {
                    self.pending.store(true, Ordering::SeqCst);
                }
            }
            Err(e) => {
                tracing::warn!(target: "gureum", "efs: {}", e.message);
                self.pending.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Stops the NFS listeners (the server is stopping).
    pub fn shutdown(&self) {
        self.exports.stop_all();
    }

    /// After a reset or import: stops every listener and looks again on
    /// the next tick (what the store now holds is served then).
    fn reset(&self) {
        self.exports.stop_all();
        self.wake();
    }

    fn network(&self) -> Option<&Arc<dyn Network>> {
        self.network.get()
    }

    fn wake(&self) {
        self.pending.store(true, Ordering::SeqCst);
    }

    /// `CreateFileSystem`.
    fn create_file_system(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::create(self, ctx, &input)
    }
    /// `DescribeFileSystems`.
    fn describe_file_systems(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::describe(self, ctx, &input)
    }
    /// `UpdateFileSystem`.
    fn update_file_system(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::update(self, ctx, &input)
    }
    /// `DeleteFileSystem`.
    fn delete_file_system(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::delete(self, ctx, &input)
    }
    /// `PutLifecycleConfiguration`.
    fn put_lifecycle_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::put_lifecycle(self, ctx, &input)
    }
    /// `DescribeLifecycleConfiguration`.
    fn describe_lifecycle_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::describe_lifecycle(self, ctx, &input)
    }
    /// `PutFileSystemPolicy`.
    fn put_file_system_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::put_policy(self, ctx, &input)
    }
    /// `DescribeFileSystemPolicy`.
    fn describe_file_system_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::describe_policy(self, ctx, &input)
    }
    /// `DeleteFileSystemPolicy`.
    fn delete_file_system_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::delete_policy(self, ctx, &input)
    }
    /// `PutBackupPolicy`.
    fn put_backup_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::put_backup(self, ctx, &input)
    }
    /// `DescribeBackupPolicy`.
    fn describe_backup_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        file_systems::describe_backup(self, ctx, &input)
    }
    /// `CreateTags` (file systems, legacy).
    fn create_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::create_tags(self, ctx, &input)
    }
    /// `DeleteTags` (file systems, legacy).
    fn delete_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::delete_tags(self, ctx, &input)
    }
    /// `DescribeTags` (file systems, legacy).
    fn describe_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::describe_tags(self, ctx, &input)
    }
    /// `TagResource`.
    fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::tag_resource(self, ctx, &input)
    }
    /// `UntagResource`.
    fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::untag_resource(self, ctx, &input)
    }
    /// `ListTagsForResource`.
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::list_tags_for_resource(self, ctx, &input)
    }
    /// `CreateMountTarget`.
    fn create_mount_target(&self, ctx: &RequestContext, input: Value) -> OpResult {
        mount_targets::create(self, ctx, &input)
    }
    /// `DescribeMountTargets`.
    fn describe_mount_targets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        mount_targets::describe(self, ctx, &input)
    }
    /// `DeleteMountTarget`.
    fn delete_mount_target(&self, ctx: &RequestContext, input: Value) -> OpResult {
        mount_targets::delete(self, ctx, &input)
    }
    /// `DescribeMountTargetSecurityGroups`.
    fn describe_mount_target_security_groups(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        mount_targets::describe_groups(self, ctx, &input)
    }
    /// `ModifyMountTargetSecurityGroups`.
    fn modify_mount_target_security_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        mount_targets::modify_groups(self, ctx, &input)
    }
    /// `CreateAccessPoint`.
    fn create_access_point(&self, ctx: &RequestContext, input: Value) -> OpResult {
        access_points::create(self, ctx, &input)
    }
    /// `DescribeAccessPoints`.
    fn describe_access_points(&self, ctx: &RequestContext, input: Value) -> OpResult {
        access_points::describe(self, ctx, &input)
    }
    /// `DeleteAccessPoint`.
    fn delete_access_point(&self, ctx: &RequestContext, input: Value) -> OpResult {
        access_points::delete(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    EfsService, "efs",
    reset = reset,
    "CreateFileSystem" => create_file_system,
    "DescribeFileSystems" => describe_file_systems,
    "UpdateFileSystem" => update_file_system,
    "DeleteFileSystem" => delete_file_system,
    "PutLifecycleConfiguration" => put_lifecycle_configuration,
    "DescribeLifecycleConfiguration" => describe_lifecycle_configuration,
    "PutFileSystemPolicy" => put_file_system_policy,
    "DescribeFileSystemPolicy" => describe_file_system_policy,
    "DeleteFileSystemPolicy" => delete_file_system_policy,
    "PutBackupPolicy" => put_backup_policy,
    "DescribeBackupPolicy" => describe_backup_policy,
    "CreateTags" => create_tags,
    "DeleteTags" => delete_tags,
    "DescribeTags" => describe_tags,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListTagsForResource" => list_tags_for_resource,
    "CreateMountTarget" => create_mount_target,
    "DescribeMountTargets" => describe_mount_targets,
    "DeleteMountTarget" => delete_mount_target,
    "DescribeMountTargetSecurityGroups" => describe_mount_target_security_groups,
    "ModifyMountTargetSecurityGroups" => modify_mount_target_security_groups,
    "CreateAccessPoint" => create_access_point,
    "DescribeAccessPoints" => describe_access_points,
    "DeleteAccessPoint" => delete_access_point,
}
