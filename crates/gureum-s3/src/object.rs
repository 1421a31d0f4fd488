//! An object version's metadata, where it is kept, and the versioning rules
//! that decide what a write or a delete does to a key's versions.
//!
//! Tables (keys sort bytewise, so a bucket's objects are one range):
//! - `s3.objects`: `bucket/key` → the key's current version, which may be a
//!   delete marker (listing skips those);
//! - `s3.versions`: `bucket/key\0<inverted sequence>` → noncurrent versions,
//!   newest first under each key.
//!
//! A bucket that was never versioning-enabled keeps one version per key,
//! with the version id `null`. With versioning enabled every write makes a
//! new version and the old current one becomes noncurrent; suspended, new
//! writes take the `null` version id again, replacing the previous `null`
//! version wherever it is (AWS's "Working with objects in a
//! versioning-suspended bucket").

use crate::storage::{Blobs, DataRef, Released};
use gureum_core::AwsError;
use gureum_store::{Table, WriteTxn};
use std::collections::BTreeMap;

/// One version of an object (or a delete marker).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ObjectVersion {
    /// `None` is the `null` version.
    #[serde(default)]
    pub version_id: Option<String>,
    /// Orders a key's versions (larger is newer).
    pub seq: u64,
    /// A delete marker has no data.
    #[serde(default)]
    pub delete_marker: bool,
    /// Epoch milliseconds.
    pub last_modified_ms: i64,
    /// The owner's account id.
    pub owner: String,
    /// Bytes.
    #[serde(default)]
    pub size: u64,
    /// Quoted, as S3 sends it.
    #[serde(default)]
    pub etag: String,
    /// STANDARD, GLACIER, …
    #[serde(default)]
    pub storage_class: String,
    /// `Content-Type` and the other stored content headers, by model
    /// member name (`ContentType`, `CacheControl`, `Expires`, …).
    #[serde(default)]
    pub content: BTreeMap<String, serde_json::Value>,
    /// `x-amz-meta-*`, lower-cased names.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The tag set.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The checksum: algorithm name (`CRC64NVME`) and base64 value.
    #[serde(default)]
    pub checksum: Option<(String, String)>,
    /// `FULL_OBJECT` or `COMPOSITE`.
    #[serde(default)]
    pub checksum_type: Option<String>,
    /// Part sizes of a multipart object (for `partNumber` reads).
    #[serde(default)]
    pub parts: Vec<u64>,
    /// Restore state of an archived object.
    #[serde(default)]
    pub restore: Option<Restore>,
    /// The object's ACL when the bucket allows ACLs (`None`: private).
    #[serde(default)]
    pub acl: Option<Acl>,
    /// Where the bytes are.
    #[serde(default)]
    pub data: DataRef,
    /// SSE-KMS: the data key the bytes are encrypted with, as KMS
    /// protects it (`None`: SSE-S3 or SSE-C).
    #[serde(default)]
    pub sse: Option<crate::sse::SseKms>,
    /// SSE-S3: the data key the bytes are encrypted with, sealed under
    /// S3's master key (`None`: SSE-KMS, SSE-C, or bytes stored as they
    /// are by a Gureum from before SSE-S3 encrypted).
    #[serde(default)]
    pub sse_s3: Option<crate::sse_s3::SseS3>,
}

/// An object's (or a bucket's) ACL beyond the owner's `FULL_CONTROL`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Acl {
    /// A canned ACL (`public-read`, …).
    Canned {
        /// Its name.
        name: String,
    },
    /// The grants of an explicit access control policy, as model values
    /// (`{"Grantee": {…}, "Permission": "READ"}`), the owner's included.
    Grants {
        /// The grants.
        grants: Vec<serde_json::Value>,
    },
}

/// A `RestoreObject` in progress or done.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Restore {
    /// When the restored copy becomes readable (Gureum's clock, ms).
    pub ready_at_ms: i64,
    /// When the restored copy expires (ms).
    pub expires_at_ms: i64,
}

impl ObjectVersion {
    /// The version id as S3 prints it.
    pub fn version_id_str(&self) -> &str {
        self.version_id.as_deref().unwrap_or("null")
    }

    /// Whether `wanted` (a `versionId` parameter) names this version.
    pub fn is_version(&self, wanted: &str) -> bool {
        self.version_id_str() == wanted
    }
}

/// A table of object versions, stored in the binary record of
/// [`crate::version_codec`].
pub type VersionTable = Table<ObjectVersion, crate::version_codec::VersionCodec>;

/// The object tables.
#[derive(Clone, Debug)]
pub struct ObjectTables {
    /// Current versions.
    pub current: VersionTable,
    /// Noncurrent versions.
    pub noncurrent: VersionTable,
}

impl ObjectTables {
    /// The object tables of `store`.
    pub fn open(store: &gureum_store::Store) -> ObjectTables {
        ObjectTables {
            current: store.table_with_codec("s3.objects"),
            noncurrent: store.table_with_codec("s3.versions"),
        }
    }
}

/// `bucket/key`.
pub fn object_key(bucket: &str, key: &str) -> String {
    let mut k = String::with_capacity(bucket.len() + key.len() + 1);
    k.push_str(bucket);
    k.push('/');
    k.push_str(key);
    k
}

/// The prefix of a key's noncurrent versions.
pub fn versions_prefix(bucket: &str, key: &str) -> String {
    format!("{bucket}/{key}\0")
}

/// A noncurrent version's row key: newest first.
pub fn version_row(bucket: &str, key: &str, seq: u64) -> String {
    format!("{bucket}/{key}\0{:016x}", u64::MAX - seq)
}

/// A new version id: 32 characters of S3's URL-safe alphabet.
pub fn new_version_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// What a write or delete did, for the response.
#[derive(Debug, Default)]
pub struct Change {
    /// Files to unlink after the commit.
    pub released: Released,
}

impl ObjectTables {
    /// Finds a version by id: the current one or a noncurrent one.
    pub fn find_version(
        &self,
        txn: Option<&WriteTxn>,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<(bool, ObjectVersion)>, AwsError> {
        let okey = object_key(bucket, key);
        let current = match txn {
            Some(t) => t.get(&self.current, &okey)?,
            None => self.current.get(&okey)?,
        };
        if let Some(c) = current.filter(|c| c.is_version(version_id)) {
            return Ok(Some((true, c)));
        }
        let prefix = versions_prefix(bucket, key);
        let rows = match txn {
            Some(t) => t.scan_prefix(&self.noncurrent, &prefix)?,
            None => self.noncurrent.scan_prefix(&prefix)?,
        };
        Ok(rows
            .into_iter()
            .map(|(_, v)| v)
            .find(|v| v.is_version(version_id))
            .map(|v| (false, v)))
    }

    /// Makes `new` the key's current version, under the bucket's
    /// `versioning` state (`None`, `Enabled`, `Suspended`); returns it as
    /// stored (with its version id) and what the write released.
    pub fn put_current(
        &self,
        txn: &mut WriteTxn,
        blobs: &Blobs,
        versioning: Option<&str>,
        bucket: &str,
        key: &str,
        new: ObjectVersion,
    ) -> Result<(ObjectVersion, Change), AwsError> {
        let old = txn.get(&self.current, &object_key(bucket, key))?;
        self.put_current_over(txn, blobs, versioning, bucket, key, old, new)
    }

    /// [`put_current`](Self::put_current) when the caller has already read
    /// the current version (`old`) in this transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn put_current_over(
        &self,
        txn: &mut WriteTxn,
        blobs: &Blobs,
        versioning: Option<&str>,
        bucket: &str,
        key: &str,
        old: Option<ObjectVersion>,
        mut new: ObjectVersion,
    ) -> Result<(ObjectVersion, Change), AwsError> {
        let okey = object_key(bucket, key);
        let mut change = Change::default();
        match versioning {
            Some("Enabled") => {
                if new.version_id.is_none() {
                    new.version_id = Some(new_version_id());
                }
                if let Some(old) = old {
                    txn.put(&self.noncurrent, &version_row(bucket, key, old.seq), &old)?;
                }
            }
            Some(_) => {
                // Suspended: the new version is the null version, which
                // replaces any earlier null version.
                new.version_id = None;
                change
                    .released
                    .extend(self.drop_noncurrent_null(txn, blobs, bucket, key)?);
                if let Some(old) = old {
                    if old.version_id.is_none() {
                        change.released.extend(blobs.release(txn, &old.data)?);
                    } else {
                        txn.put(&self.noncurrent, &version_row(bucket, key, old.seq), &old)?;
                    }
                }
            }
            None => {
                new.version_id = None;
                if let Some(old) = old {
                    change.released.extend(blobs.release(txn, &old.data)?);
                }
            }
        }
        txn.put(&self.current, &okey, &new)?;
        Ok((new, change))
    }

    fn drop_noncurrent_null(
        &self,
        txn: &mut WriteTxn,
        blobs: &Blobs,
        bucket: &str,
        key: &str,
    ) -> Result<Released, AwsError> {
        let mut released = Released::default();
        for (row, v) in txn.scan_prefix(&self.noncurrent, &versions_prefix(bucket, key))? {
            if v.version_id.is_none() {
                txn.delete(&self.noncurrent, &row)?;
                released.extend(blobs.release(txn, &v.data)?);
            }
        }
        Ok(released)
    }

    /// Removes one specific version; when it was the current one, the
    /// newest noncurrent version becomes current. Returns the removed
    /// version (`None` when there was no such version).
    pub fn delete_version(
        &self,
        txn: &mut WriteTxn,
        blobs: &Blobs,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<(Option<ObjectVersion>, Change), AwsError> {
        let mut change = Change::default();
        let Some((is_current, v)) = self.find_version(Some(txn), bucket, key, version_id)? else {
            return Ok((None, change));
        };
        change.released.extend(blobs.release(txn, &v.data)?);
        if is_current {
            let okey = object_key(bucket, key);
            txn.delete(&self.current, &okey)?;
            let rows = txn.scan_prefix(&self.noncurrent, &versions_prefix(bucket, key))?;
            if let Some((row, newest)) = rows.into_iter().next() {
                txn.delete(&self.noncurrent, &row)?;
                txn.put(&self.current, &okey, &newest)?;
            }
        } else {
            txn.delete(&self.noncurrent, &version_row(bucket, key, v.seq))?;
        }
        Ok((Some(v), change))
    }
}
