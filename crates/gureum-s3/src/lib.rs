//! S3 (rest-xml, bucket names global across accounts and regions).
//!
//! So far: `ListBuckets` over the bucket catalogue. Buckets, objects and
//! the data path come with the S3 issues.

mod authorization;

use gureum_core::{AwsError, OpResult, Principal, RequestContext, Value};
use gureum_store::{Store, Table};
use serde_json::json;
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
}

/// The S3 service.
pub struct S3Service {
    /// Buckets by name (names are global).
    buckets: Table<BucketEntry>,
}

/// An account's S3 canonical user id: 64 hex digits, stable per account.
pub fn canonical_user_id(account_id: &str) -> String {
    hex::encode(Sha256::digest(format!(
        "gureum-s3-canonical-user:{account_id}"
    )))
}

impl S3Service {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        S3Service {
            buckets: store.table("s3.buckets"),
        }
    }

    /// `ListBuckets`: the caller's buckets by name, `Prefix`, `BucketRegion`,
    /// `MaxBuckets` (1–10000) with `ContinuationToken` (the last name).
    fn list_buckets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if ctx.principal == Principal::Anonymous {
            return Err(AwsError::new("AccessDenied", 403, "Access Denied"));
        }
        let prefix = input.get("Prefix").and_then(Value::as_str).unwrap_or("");
        let region = input.get("BucketRegion").and_then(Value::as_str);
        let max = input
            .get("MaxBuckets")
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        let after = input.get("ContinuationToken").and_then(Value::as_str);
        let mut buckets = Vec::new();
        let mut token = None;
        for (name, b) in self
            .buckets
            .scan_prefix_after(prefix, after, usize::MAX)
            .map_err(AwsError::from)?
        {
            if b.account_id != ctx.account_id || region.is_some_and(|r| r != b.region) {
                continue;
            }
            if max.is_some_and(|m| buckets.len() == m) {
                token = buckets
                    .last()
                    .and_then(|v: &Value| v["Name"].as_str().map(str::to_string));
                break;
            }
            buckets.push(json!({
                "Name": name,
                "CreationDate": b.created_ms as f64 / 1000.0,
                "BucketRegion": b.region,
            }));
        }
        let mut out = json!({
            "Buckets": buckets,
            "Owner": { "ID": canonical_user_id(&ctx.account_id) },
        });
        if !prefix.is_empty() {
            out["Prefix"] = json!(prefix);
        }
        if let Some(t) = token {
            out["ContinuationToken"] = json!(t);
        }
        Ok(out)
    }
}

gureum_core::service_operations! {
    S3Service, "s3", authorization = authorization,
    "ListBuckets" => list_buckets,
}
