//! S3 (rest-xml, bucket names global across accounts and regions).
//!
//! The bucket control plane (create/head/delete, listing, tagging,
//! versioning, AWS's default ACL, ownership and encryption) and objects:
//! bodies stream to and from [`storage`] (never whole in memory), versions
//! follow [`object`]'s rules, reads honour [`conditions`]. `copy` makes
//! objects from objects, `restore` brings archived ones back on Gureum's
//! clock, `acl` holds the ACL and Object Ownership rules.
//!
//! Tables:
//! - `s3.buckets`: the global catalogue, keyed by bucket name (names are
//!   unique across all accounts and regions);
//! - `s3.account_buckets`: `account/name` → a summary, so `ListBuckets`
//!   reads one account's range in name order;
//! - `s3.objects` / `s3.versions`: object versions ([`object`]);
//! - `s3.inline` / `s3.blob_refs`: object bytes ([`storage`]);
//! - `s3.uploads` / `s3.parts`: multipart uploads in progress
//!   ([`multipart`]).
//!
//! SSE-KMS objects are stored encrypted under a data key per object that
//! Gureum's KMS protects ([`sse`], [`cipher`]), SSE-C ones under the
//! customer's key (`sse_c`); objects' changes notify SQS queues and
//! EventBridge ([`notifications`]). Bucket policies and Block Public Access
//! ([`policy`], [`public_access`]), CORS ([`cors`]), website configuration
//! ([`website`]), lifecycle rules and their engine ([`lifecycle`]) and
//! Object Lock ([`object_lock`]) are configuration on the bucket record.

mod acl;
mod attributes;
mod authorization;
mod batches;
mod bucket_tagging;
mod buckets;
pub mod checksum;
pub mod cipher;
pub mod conditions;
mod copy;
pub mod cors;
pub mod destinations;
pub mod digests;
pub mod errors;
pub mod keys;
pub mod lifecycle;
mod list_objects;
pub mod listing;
mod md5sum;
pub mod metering;
pub mod multipart;
pub mod notifications;
pub mod object;
pub mod object_lock;
mod objects;
pub mod policy;
pub mod public_access;
mod read_buffers;
mod restore;
pub mod sse;
mod sse_c;
pub mod sse_s3;
pub mod storage;
mod tags;
mod unsupported;
pub mod version_codec;
mod versioning;
pub mod website;

pub use errors::S3Error;
use gureum_core::{AwsError, Principal, RequestContext, Value};
use gureum_store::{Store, Table};
use sha2::{Digest, Sha256};

/// A bucket's catalogue entry.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BucketEntry {
    /// The owning account.
    pub account_id: String,
    /// The bucket's region.
    pub region: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// The location constraint as given (`EU` for the legacy alias of
    /// `eu-west-1`); `None` for us-east-1.
    #[serde(default)]
    pub location_constraint: Option<String>,
    /// Whether Object Lock was enabled at creation.
    #[serde(default)]
    pub object_lock: bool,
    /// Object Ownership (`BucketOwnerEnforced` by default).
    #[serde(default = "default_ownership")]
    pub ownership: String,
    /// The canned ACL (`private` by default).
    #[serde(default = "default_acl")]
    pub acl: String,
    /// Explicit grants put with `PutBucketAcl` (they replace the canned ACL).
    #[serde(default)]
    pub acl_grants: Option<Vec<serde_json::Value>>,
    /// `Enabled` / `Suspended`, `None` for a never-versioned bucket.
    #[serde(default)]
    pub versioning: Option<String>,
    /// The bucket's tag set, `None` when none was ever put (or deleted).
    #[serde(default)]
    pub tags: Option<Vec<(String, String)>>,
    /// The default encryption rule put with `PutBucketEncryption` (a
    /// `ServerSideEncryptionRule` as given); `None`: SSE-S3, every
    /// bucket's default.
    #[serde(default)]
    pub encryption: Option<Value>,
    /// Event notifications (`PutBucketNotificationConfiguration`, as
    /// validated by [`notifications`]); `None`: none.
    #[serde(default)]
    pub notification: Option<Value>,
    /// The bucket policy as put (validated by [`policy`]); `None`: none.
    #[serde(default)]
    pub policy: Option<String>,
    /// Block Public Access ([`public_access`]); new buckets get all four
    /// settings on, `None` once deleted.
    #[serde(default)]
    pub public_access_block: Option<public_access::PublicAccessBlock>,
    /// CORS rules ([`cors`]); `None`: none.
    #[serde(default)]
    pub cors: Option<Vec<cors::CorsRule>>,
    /// The static website configuration ([`website`]); `None`: none.
    #[serde(default)]
    pub website: Option<Value>,
    /// Lifecycle rules as validated by [`lifecycle`]; `None`: none.
    #[serde(default)]
    pub lifecycle: Option<Vec<Value>>,
    /// `TransitionDefaultMinimumObjectSize` as put with the rules
    /// (`None`: `all_storage_classes_128K`, AWS's default).
    #[serde(default)]
    pub transition_min_size: Option<String>,
    /// The Object Lock configuration as put (default retention);
    /// `None` with `object_lock` on: enabled without a default.
    #[serde(default)]
    pub lock_config: Option<Value>,
}

fn default_ownership() -> String {
    "BucketOwnerEnforced".to_string()
}

fn default_acl() -> String {
    "private".to_string()
}

/// What `ListBuckets` shows of a bucket, kept per account.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct BucketSummary {
    /// The bucket's region.
    pub region: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
}

/// The S3 service.
pub struct S3Service {
    store: Store,
    /// Buckets by name (names are global).
    buckets: Table<BucketEntry>,
    /// `account/name` → summary.
    account_buckets: Table<BucketSummary>,
    /// Object versions, current and noncurrent.
    objects: object::ObjectTables,
    /// Object bytes.
    blobs: storage::Blobs,
    /// The last version sequence number handed out.
    seq: std::sync::atomic::AtomicU64,
    /// Decoded bucket records, each with the bytes it was decoded from
    /// (see [`S3Service::bucket_entry`]).
    decoded_buckets: std::sync::Mutex<std::collections::HashMap<String, (Vec<u8>, BucketEntry)>>,
    /// KMS, for SSE-KMS data keys ([`sse`]).
    encryptor: std::sync::Arc<dyn gureum_kit::encryption::Encryptor>,
    /// `s3.master`: S3's master key, sealing SSE-S3 data keys ([`sse_s3`]).
    master_table: Table<String>,
    /// The master key, once read or made.
    master: sse_s3::MasterKey,
    /// SQS and EventBridge, for event notifications ([`notifications`]);
    /// `None` when built without them.
    notifier: Option<notifications::Notifier>,
    /// Evaluates bucket policies with callers' IAM policies ([`policy`]).
    authorizer: std::sync::Arc<gureum_authz::Authorizer>,
    /// The buckets with lifecycle rules, found on the engine's first run
    /// and kept up to date by `PutBucketLifecycleConfiguration`.
    lifecycle_buckets: std::sync::Mutex<Option<std::collections::BTreeSet<String>>>,
    /// Bucket policies parsed once per document text.
    policies:
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<gureum_policy::Policy>>>,
}

/// Decoded bucket records kept at most; past it the memo starts over.
const DECODED_BUCKETS_MAX: usize = 1024;

/// Canonical user ids declared for accounts (the accounts file's
/// `s3_canonical_id`), set once at start.
static DECLARED_CANONICAL_IDS: std::sync::OnceLock<std::collections::HashMap<String, String>> =
    std::sync::OnceLock::new();

/// Declares accounts' S3 canonical user ids (account id → 64 hex digits).
/// Process-wide configuration, like the accounts file it comes from: the
/// first call wins.
pub fn declare_canonical_user_ids(ids: std::collections::HashMap<String, String>) {
    let _ = DECLARED_CANONICAL_IDS.set(ids);
}

/// An account's S3 canonical user id: the declared one, else 64 hex digits
/// derived from the account id (stable across restarts).
pub fn canonical_user_id(account_id: &str) -> String {
    if let Some(id) = DECLARED_CANONICAL_IDS
        .get()
        .and_then(|ids| ids.get(account_id))
    {
        return id.clone();
    }
    hex::encode(Sha256::digest(format!(
        "gureum-s3-canonical-user:{account_id}"
    )))
}

pub(crate) fn access_denied() -> AwsError {
    S3Error::AccessDenied.into()
}

pub(crate) fn no_such_bucket(name: &str) -> AwsError {
    S3Error::NoSuchBucket {
        bucket: name.into(),
    }
    .into()
}

pub(crate) use gureum_core::member::{member, str_member};

impl S3Service {
    /// The service over `store`, without KMS (SSE-KMS refused with
    /// `NotImplemented` naming KMS).
    pub fn new(store: Store) -> Self {
        Self::with_encryptor(
            store,
            std::sync::Arc::new(gureum_kit::encryption::KmsUnavailable),
        )
    }

    /// The service over `store`, protecting SSE-KMS data keys through
    /// `encryptor` (Gureum's KMS, as the server wires it).
    pub fn with_encryptor(
        store: Store,
        encryptor: std::sync::Arc<dyn gureum_kit::encryption::Encryptor>,
    ) -> Self {
        let started = std::time::SystemTime::now();
        let blobs = storage::Blobs::open(&store);
        let s3 = S3Service {
            buckets: store.table("s3.buckets"),
            account_buckets: store.table("s3.account_buckets"),
            objects: object::ObjectTables::open(&store),
            blobs,
            seq: std::sync::atomic::AtomicU64::new(0),
            decoded_buckets: Default::default(),
            encryptor,
            master_table: store.table("s3.master"),
            master: Default::default(),
            notifier: None,
            authorizer: std::sync::Arc::new(gureum_authz::Authorizer::new(std::sync::Arc::new(
                gureum_iam::IamService::new(store.clone()),
            ))),
            policies: Default::default(),
            lifecycle_buckets: Default::default(),
            store,
        };
        // Files a crash left without a committed reference.
        let removed = s3.blobs.sweep(started);
        if removed > 0 {
            tracing::info!(removed, "s3: removed object files no commit referenced");
        }
        s3
    }

    /// Evaluates bucket policies with `authorizer` (the server's, reading
    /// IAM's policies).
    pub fn with_authorizer(mut self, authorizer: std::sync::Arc<gureum_authz::Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// After a reset or an import: forgets decoded bucket records and
    /// removes the object files no commit references any more.
    fn reset(&self) {
        if let Ok(mut memo) = self.decoded_buckets.lock() {
            memo.clear();
        }
        if let Ok(mut known) = self.lifecycle_buckets.lock() {
            *known = None;
        }
        self.master.forget();
        self.blobs.sweep(std::time::SystemTime::now());
    }

    /// A sequence number for a new version: increasing, and past every
    /// earlier one across restarts (it starts from the clock, in µs).
    pub(crate) fn next_seq(&self, ctx: &RequestContext) -> u64 {
        use std::sync::atomic::Ordering;
        let now = (ctx.clock.now_millis().max(0) as u64) * 1000;
        let mut last = self.seq.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match self
                .seq
                .compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// The bucket record `name`. Every S3 request reads its bucket, and
    /// decoding the record cost more than reading it; a decoded record is
    /// reused while the stored bytes are the ones it was decoded from, so
    /// it is never stale and needs no invalidation.
    pub(crate) fn bucket_entry(&self, name: &str) -> Result<Option<BucketEntry>, AwsError> {
        match self.buckets.get_bytes(name)? {
            Some(bytes) => self.decode_bucket(name, bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes a bucket record, or reuses the decoding of the same bytes.
    fn decode_bucket(&self, name: &str, bytes: Vec<u8>) -> Result<BucketEntry, AwsError> {
        if let Ok(memo) = self.decoded_buckets.lock() {
            if let Some((b, entry)) = memo.get(name) {
                if *b == bytes {
                    return Ok(entry.clone());
                }
            }
        }
        let entry = self.buckets.decode_bytes(name, &bytes)?;
        if let Ok(mut memo) = self.decoded_buckets.lock() {
            if memo.len() >= DECODED_BUCKETS_MAX {
                memo.clear();
            }
            memo.insert(name.to_string(), (bytes, entry.clone()));
        }
        Ok(entry)
    }

    /// The caller's bucket `name` as write transaction `txn` sees it.
    ///
    /// Every write that adds rows under a bucket's name calls this inside
    /// its transaction: [`S3Service::own_bucket`] read the bucket before
    /// the transaction began, and a `DeleteBucket` committed in between
    /// would otherwise leave the new rows behind for the name's next
    /// creator, written with the old bucket's versioning state.
    pub(crate) fn bucket_for_write(
        &self,
        txn: &gureum_store::WriteTxn,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<BucketEntry, AwsError> {
        let bytes = txn
            .get_bytes(&self.buckets, name)?
            .ok_or_else(|| no_such_bucket(name))?;
        let entry = self.decode_bucket(name, bytes)?;
        // Another account writes only where the bucket policy let it
        // (checked by `own_bucket` before the transaction).
        if entry.account_id != ctx.account_id && entry.policy.is_none() {
            return Err(access_denied());
        }
        Ok(entry)
    }

    /// The bucket named by `Bucket`, if the caller may do `operation` on
    /// it: `NoSuchBucket` when missing; without a bucket policy only its
    /// own account may (`AccessDenied` otherwise), with one the policy and
    /// the caller's IAM policies decide ([`policy`]); `AccessDenied` too
    /// when `ExpectedBucketOwner` names someone else.
    pub(crate) fn own_bucket(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Result<(String, BucketEntry), AwsError> {
        let name = str_member(input, "Bucket").unwrap_or_default();
        let bucket = self
            .bucket_entry(name)?
            .ok_or_else(|| no_such_bucket(name))?;
        match &bucket.policy {
            None => {
                if ctx.principal == Principal::Anonymous || bucket.account_id != ctx.account_id {
                    return Err(access_denied());
                }
            }
            Some(doc) => self.check_bucket_policy(ctx, operation, name, &bucket, doc, input)?,
        }
        if str_member(input, "ExpectedBucketOwner").is_some_and(|o| o != bucket.account_id) {
            return Err(access_denied());
        }
        Ok((name.to_string(), bucket))
    }

    /// Reads the caller's bucket, lets `f` change it, and writes it back in
    /// one transaction (the ownership check is repeated inside).
    pub(crate) fn update_bucket<R>(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
        f: impl FnOnce(&mut BucketEntry) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let (name, _) = self.own_bucket(ctx, operation, input)?;
        self.store.write(|txn| {
            let mut b = txn
                .get(&self.buckets, &name)?
                .ok_or_else(|| no_such_bucket(&name))?;
            if b.account_id != ctx.account_id {
                return Err(access_denied());
            }
            let r = f(&mut b)?;
            txn.put(&self.buckets, &name, &b)?;
            Ok(r)
        })
    }
}

gureum_core::service_operations! {
    S3Service, "s3", reset = reset, authorization = authorization,
    streaming {
        "PutObject" => put_object,
        "GetObject" => get_object,
        "HeadObject" => head_object,
        "CopyObject" => copy_object,
        "RestoreObject" => restore_object,
        "UploadPart" => upload_part,
        "UploadPartCopy" => upload_part_copy,
    },
    "CreateBucket" => create_bucket,
    "HeadBucket" => head_bucket,
    "DeleteBucket" => delete_bucket,
    "GetBucketLocation" => get_bucket_location,
    "ListBuckets" => list_buckets,
    "GetBucketVersioning" => get_bucket_versioning,
    "GetBucketAcl" => get_bucket_acl,
    "GetBucketOwnershipControls" => get_bucket_ownership_controls,
    "GetBucketEncryption" => get_bucket_encryption,
    "PutBucketEncryption" => put_bucket_encryption,
    "DeleteBucketEncryption" => delete_bucket_encryption,
    "PutBucketNotificationConfiguration" => put_bucket_notification_configuration,
    "GetBucketNotificationConfiguration" => get_bucket_notification_configuration,
    "PutBucketTagging" => put_bucket_tagging,
    "GetBucketTagging" => get_bucket_tagging,
    "DeleteBucketTagging" => delete_bucket_tagging,
    "PutBucketVersioning" => put_bucket_versioning,
    "DeleteObject" => delete_object,
    "ListObjects" => list_objects,
    "ListObjectsV2" => list_objects_v2,
    "ListObjectVersions" => list_object_versions,
    "DeleteObjects" => delete_objects,
    "CreateMultipartUpload" => create_multipart_upload,
    "CompleteMultipartUpload" => complete_multipart_upload,
    "AbortMultipartUpload" => abort_multipart_upload,
    "ListParts" => list_parts,
    "ListMultipartUploads" => list_multipart_uploads,
    "PutObjectTagging" => put_object_tagging,
    "GetObjectTagging" => get_object_tagging,
    "DeleteObjectTagging" => delete_object_tagging,
    "GetObjectAcl" => get_object_acl,
    "PutObjectAcl" => put_object_acl,
    "PutBucketAcl" => put_bucket_acl,
    "PutBucketOwnershipControls" => put_bucket_ownership_controls,
    "DeleteBucketOwnershipControls" => delete_bucket_ownership_controls,
    "GetObjectAttributes" => get_object_attributes,
    "PutBucketPolicy" => put_bucket_policy,
    "GetBucketPolicy" => get_bucket_policy,
    "DeleteBucketPolicy" => delete_bucket_policy,
    "GetBucketPolicyStatus" => get_bucket_policy_status,
    "PutPublicAccessBlock" => put_public_access_block,
    "GetPublicAccessBlock" => get_public_access_block,
    "DeletePublicAccessBlock" => delete_public_access_block,
    "PutBucketCors" => put_bucket_cors,
    "GetBucketCors" => get_bucket_cors,
    "DeleteBucketCors" => delete_bucket_cors,
    "PutBucketWebsite" => put_bucket_website,
    "GetBucketWebsite" => get_bucket_website,
    "DeleteBucketWebsite" => delete_bucket_website,
    "PutBucketLifecycleConfiguration" => put_bucket_lifecycle_configuration,
    "GetBucketLifecycleConfiguration" => get_bucket_lifecycle_configuration,
    "DeleteBucketLifecycle" => delete_bucket_lifecycle,
    "PutObjectLockConfiguration" => put_object_lock_configuration,
    "GetObjectLockConfiguration" => get_object_lock_configuration,
    "PutObjectRetention" => put_object_retention,
    "GetObjectRetention" => get_object_retention,
    "PutObjectLegalHold" => put_object_legal_hold,
    "GetObjectLegalHold" => get_object_legal_hold,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod race_tests;

#[cfg(test)]
mod sse_tests;
