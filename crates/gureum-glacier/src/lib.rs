//! Amazon Glacier vaults (rest-json, regional).
//!
//! Vaults hold archives whose bytes live in files under the data dir
//! (`glacier-archives/`, like S3's blobs); every upload is checked against
//! its SHA-256 tree hash. Retrieval and inventory jobs complete after
//! their tier's delay on Gureum's clock ([`jobs::tier_delay_ms`]), on the
//! server's ticker ([`GlacierService::complete_due`]) or at the first read
//! after that, and then notify the job's or the vault's SNS topic through
//! the [`JobNotifier`] seam.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `glacier.vaults`: `account/region/vault` → a [`Vault`] (its tags,
//!   access policy, notifications and lock with it);
//! - `glacier.archives`: `account/region/vault/archive-id` → an [`Archive`];
//! - `glacier.uploads`: `account/region/vault/upload-id` → an [`Upload`];
//! - `glacier.jobs`: `account/region/vault/job-id` → a [`Job`];
//! - `glacier.retrieval_policies`: `account/region` → the data retrieval
//!   policy's rules (JSON).
//!
//! Layout: [`errors`] declares the errors, `treehash.rs` computes tree
//! hashes, `blobs.rs` keeps the bytes, and one module per family:
//! `vaults.rs`, `vault_settings.rs` (tags, policies, notifications,
//! locks), `archives.rs`, `multipart.rs`, `jobs.rs`.

mod archives;
mod blobs;
pub mod errors;
pub mod jobs;
mod multipart;
pub mod treehash;
mod vault_settings;
mod vaults;

pub use errors::GlacierError;

use gureum_core::{
    Authorization, AwsError, OpResult, Reply, RequestBody, RequestContext, Scope, Value,
};
use gureum_store::{Store, Table};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// A stored vault.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vault {
    /// Its name, unique in the region.
    pub name: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// When an inventory job last completed, epoch milliseconds.
    pub last_inventory_ms: Option<i64>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Its access policy document.
    pub access_policy: Option<String>,
    /// SNS topic and events of its notification configuration.
    pub notifications: Option<(String, Vec<String>)>,
    /// Its vault lock, in progress or locked.
    pub lock: Option<VaultLock>,
}

/// A vault lock.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VaultLock {
    /// The lock id `InitiateVaultLock` answered.
    pub id: String,
    /// The lock policy document.
    pub policy: String,
    /// `InProgress` or `Locked`.
    pub state: String,
    /// When it was initiated, epoch milliseconds.
    pub created_ms: i64,
}

/// A stored archive (its bytes in a file named after its id).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Archive {
    /// Its id.
    pub id: String,
    /// The description given at upload.
    pub description: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256 tree hash, hex.
    pub tree_hash: String,
    /// When it was uploaded, epoch milliseconds.
    pub created_ms: i64,
}

/// A multipart upload in progress (its parts' bytes in files).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    /// Its id.
    pub id: String,
    /// The archive description given at initiation.
    pub description: String,
    /// The part size in bytes (a power of two MiB, 1 MiB to 4 GiB).
    pub part_size: u64,
    /// When it was initiated, epoch milliseconds.
    pub created_ms: i64,
    /// The parts received: first byte → (last byte, tree hash).
    pub parts: BTreeMap<u64, (u64, String)>,
}

/// A retrieval or inventory job.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Job {
    /// Its id.
    pub id: String,
    /// `ArchiveRetrieval` or `InventoryRetrieval`.
    pub action: String,
    /// The archive retrieved (archive retrieval).
    pub archive: Option<Archive>,
    /// The description given.
    pub description: Option<String>,
    /// The topic told when it completes.
    pub sns_topic: Option<String>,
    /// `Expedited`, `Standard` or `Bulk`.
    pub tier: String,
    /// `JSON` or `CSV` (inventory).
    pub format: String,
    /// The byte range asked for (archive retrieval), inclusive.
    pub range: Option<(u64, u64)>,
    /// When it was initiated, epoch milliseconds.
    pub created_ms: i64,
    /// When it completes on Gureum's clock, epoch milliseconds.
    pub due_ms: i64,
    /// When it completed (set once, by whoever settles it first).
    pub completed_ms: Option<i64>,
    /// The inventory, written when the job completes.
    pub inventory: Option<String>,
}

/// Where job completions are announced (SNS, wired by the server).
pub trait JobNotifier: Send + Sync {
    /// Publishes `message` (the job's description as JSON) to `topic_arn`
    /// for `account`; failures are the caller's to log.
    fn notify(
        &self,
        account: &str,
        vault_arn: &str,
        topic_arn: &str,
        message: &str,
    ) -> Result<(), String>;
}

/// The Amazon Glacier service.
pub struct GlacierService {
    store: Store,
    vaults: Table<Vault>,
    archives: Table<Archive>,
    uploads: Table<Upload>,
    jobs: Table<Job>,
    retrieval_policies: Table<Value>,
    blobs: blobs::Blobs,
    notifier: OnceLock<Arc<dyn JobNotifier>>,
}

impl GlacierService {
    /// The service over `store`, its archive bytes beside the store.
    pub fn new(store: Store) -> Self {
        GlacierService {
            vaults: store.table("glacier.vaults"),
            archives: store.table("glacier.archives"),
            uploads: store.table("glacier.uploads"),
            jobs: store.table("glacier.jobs"),
            retrieval_policies: store.table("glacier.retrieval_policies"),
            blobs: blobs::Blobs::open(&store),
            store,
            notifier: OnceLock::new(),
        }
    }

    /// Announces job completions through `notifier` (SNS).
    pub fn set_notifier(&self, notifier: Arc<dyn JobNotifier>) {
        let _ = self.notifier.set(notifier);
    }

    /// Completes the jobs due at `now` (epoch ms on Gureum's clock) and
    /// sends their notifications; the server's ticker calls this.
    pub fn complete_due(&self, now: i64) {
        jobs::complete_due(self, now);
    }

    /// Every operation needs `glacier:<Operation>` on the vault it names.
    fn authorization(&self, ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
        let Some(name) = input.get("vaultName").and_then(Value::as_str) else {
            return Authorization::Default;
        };
        let arn = vaults::arn(&Scope::regional(ctx), name);
        Authorization::Targets(vec![gureum_core::AuthzTarget::new(
            format!("glacier:{operation}"),
            arn,
        )])
    }

    /// `CreateVault`.
    fn create_vault(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vaults::create_vault(self, ctx, &input)
    }

    /// `DescribeVault`.
    fn describe_vault(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vaults::describe_vault(self, ctx, &input)
    }

    /// `ListVaults`.
    fn list_vaults(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vaults::list_vaults(self, ctx, &input)
    }

    /// `DeleteVault`.
    fn delete_vault(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vaults::delete_vault(self, ctx, &input)
    }

    /// `AddTagsToVault`.
    fn add_tags_to_vault(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::add_tags(self, ctx, &input)
    }

    /// `RemoveTagsFromVault`.
    fn remove_tags_from_vault(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::remove_tags(self, ctx, &input)
    }

    /// `ListTagsForVault`.
    fn list_tags_for_vault(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::list_tags(self, ctx, &input)
    }

    /// `SetVaultAccessPolicy`.
    fn set_vault_access_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::set_access_policy(self, ctx, &input)
    }

    /// `GetVaultAccessPolicy`.
    fn get_vault_access_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::get_access_policy(self, ctx, &input)
    }

    /// `DeleteVaultAccessPolicy`.
    fn delete_vault_access_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::delete_access_policy(self, ctx, &input)
    }

    /// `SetVaultNotifications`.
    fn set_vault_notifications(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::set_notifications(self, ctx, &input)
    }

    /// `GetVaultNotifications`.
    fn get_vault_notifications(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::get_notifications(self, ctx, &input)
    }

    /// `DeleteVaultNotifications`.
    fn delete_vault_notifications(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::delete_notifications(self, ctx, &input)
    }

    /// `InitiateVaultLock`.
    fn initiate_vault_lock(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::initiate_lock(self, ctx, &input)
    }

    /// `CompleteVaultLock`.
    fn complete_vault_lock(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::complete_lock(self, ctx, &input)
    }

    /// `AbortVaultLock`.
    fn abort_vault_lock(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::abort_lock(self, ctx, &input)
    }

    /// `GetVaultLock`.
    fn get_vault_lock(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::get_lock(self, ctx, &input)
    }

    /// `SetDataRetrievalPolicy`.
    fn set_data_retrieval_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::set_retrieval_policy(self, ctx, &input)
    }

    /// `GetDataRetrievalPolicy`.
    fn get_data_retrieval_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        vault_settings::get_retrieval_policy(self, ctx, &input)
    }

    /// `UploadArchive` (the body streams to a file).
    async fn upload_archive(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        check_account(ctx, &input)?;
        archives::upload_archive(self, ctx, &input, body).await
    }

    /// `DeleteArchive`.
    fn delete_archive(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        archives::delete_archive(self, ctx, &input)
    }

    /// `InitiateMultipartUpload`.
    fn initiate_multipart_upload(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        multipart::initiate(self, ctx, &input)
    }

    /// `UploadMultipartPart` (the body streams to a file).
    async fn upload_multipart_part(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        check_account(ctx, &input)?;
        multipart::upload_part(self, ctx, &input, body).await
    }

    /// `CompleteMultipartUpload`.
    fn complete_multipart_upload(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        multipart::complete(self, ctx, &input)
    }

    /// `AbortMultipartUpload`.
    fn abort_multipart_upload(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        multipart::abort(self, ctx, &input)
    }

    /// `ListParts`.
    fn list_parts(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        multipart::list_parts(self, ctx, &input)
    }

    /// `ListMultipartUploads`.
    fn list_multipart_uploads(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        multipart::list_uploads(self, ctx, &input)
    }

    /// `InitiateJob`.
    fn initiate_job(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        jobs::initiate_job(self, ctx, &input)
    }

    /// `DescribeJob`.
    fn describe_job(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        jobs::describe_job(self, ctx, &input)
    }

    /// `ListJobs`.
    fn list_jobs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_account(ctx, &input)?;
        jobs::list_jobs(self, ctx, &input)
    }

    /// `GetJobOutput` (the archive's bytes or the inventory).
    async fn get_job_output(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        check_account(ctx, &input)?;
        drop(body);
        jobs::get_job_output(self, ctx, &input)
    }
}

/// Glacier's `accountId` label: `-` (the caller's account) or the
/// caller's own account id; another account's is refused.
fn check_account(ctx: &RequestContext, input: &Value) -> Result<(), AwsError> {
    match input["accountId"].as_str() {
        None | Some("-") => Ok(()),
        Some(id) if id == ctx.account_id => Ok(()),
        Some(id) => Err(gureum_core::CommonError::AccessDeniedException {
            message: format!(
                "The account ID {id} does not match the credentials used to sign the request."
            ),
        }
        .into()),
    }
}

gureum_core::service_operations! {
    GlacierService, "glacier",
    authorization = authorization,
    streaming {
        "UploadArchive" => upload_archive,
        "UploadMultipartPart" => upload_multipart_part,
        "GetJobOutput" => get_job_output,
    },
    "CreateVault" => create_vault,
    "DescribeVault" => describe_vault,
    "ListVaults" => list_vaults,
    "DeleteVault" => delete_vault,
    "AddTagsToVault" => add_tags_to_vault,
    "RemoveTagsFromVault" => remove_tags_from_vault,
    "ListTagsForVault" => list_tags_for_vault,
    "SetVaultAccessPolicy" => set_vault_access_policy,
    "GetVaultAccessPolicy" => get_vault_access_policy,
    "DeleteVaultAccessPolicy" => delete_vault_access_policy,
    "SetVaultNotifications" => set_vault_notifications,
    "GetVaultNotifications" => get_vault_notifications,
    "DeleteVaultNotifications" => delete_vault_notifications,
    "InitiateVaultLock" => initiate_vault_lock,
    "CompleteVaultLock" => complete_vault_lock,
    "AbortVaultLock" => abort_vault_lock,
    "GetVaultLock" => get_vault_lock,
    "SetDataRetrievalPolicy" => set_data_retrieval_policy,
    "GetDataRetrievalPolicy" => get_data_retrieval_policy,
    "DeleteArchive" => delete_archive,
    "InitiateMultipartUpload" => initiate_multipart_upload,
    "CompleteMultipartUpload" => complete_multipart_upload,
    "AbortMultipartUpload" => abort_multipart_upload,
    "ListParts" => list_parts,
    "ListMultipartUploads" => list_multipart_uploads,
    "InitiateJob" => initiate_job,
    "DescribeJob" => describe_job,
    "ListJobs" => list_jobs,
}

#[cfg(test)]
mod tests;
