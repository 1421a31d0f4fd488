//! Block Public Access at bucket level: `PutPublicAccessBlock`,
//! `GetPublicAccessBlock`, `DeletePublicAccessBlock`.
//!
//! New buckets get all four settings on, as AWS does since April 2023.
//! `BlockPublicPolicy` refuses a public bucket policy at
//! `PutBucketPolicy` ([`crate::policy`]); `RestrictPublicBuckets` limits a
//! bucket whose policy is public to its own account (anonymous and
//! cross-account callers are refused); `BlockPublicAcls` refuses public
//! ACLs on buckets whose Object Ownership allows ACLs (`acl.rs`).
//! ACLs grant nothing to anonymous callers in Gureum (only policies do),
//! so `IgnorePublicAcls` is stored and returned.

use crate::{S3Error, S3Service};
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

/// A bucket's four Block Public Access settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublicAccessBlock {
    /// Refuse public ACLs on writes.
    pub block_public_acls: bool,
    /// Ignore public ACLs when authorizing.
    pub ignore_public_acls: bool,
    /// Refuse public bucket policies.
    pub block_public_policy: bool,
    /// A public policy serves only the bucket owner's account.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// All four on: a new bucket's settings.
    pub const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    fn to_value(self) -> Value {
        json!({
            "BlockPublicAcls": self.block_public_acls,
            "IgnorePublicAcls": self.ignore_public_acls,
            "BlockPublicPolicy": self.block_public_policy,
            "RestrictPublicBuckets": self.restrict_public_buckets,
        })
    }
}

/// A boolean member of the configuration: absent is `false`, as S3 reads it.
fn flag(config: &Value, name: &str) -> bool {
    match config.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

impl S3Service {
    /// `PutPublicAccessBlock`: replaces the bucket's four settings.
    pub(crate) fn put_public_access_block(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let Some(config) = input
            .get("PublicAccessBlockConfiguration")
            .filter(|c| c.is_object())
        else {
            return Err(S3Error::MalformedXml.into());
        };
        let block = PublicAccessBlock {
            block_public_acls: flag(config, "BlockPublicAcls"),
            ignore_public_acls: flag(config, "IgnorePublicAcls"),
            block_public_policy: flag(config, "BlockPublicPolicy"),
            restrict_public_buckets: flag(config, "RestrictPublicBuckets"),
        };
        self.update_bucket(ctx, "PutPublicAccessBlock", &input, |b| {
            b.public_access_block = Some(block);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetPublicAccessBlock`: `NoSuchPublicAccessBlockConfiguration` when
    /// the bucket has none.
    pub(crate) fn get_public_access_block(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetPublicAccessBlock", &input)?;
        let block = b
            .public_access_block
            .ok_or(S3Error::NoSuchPublicAccessBlockConfiguration { bucket: name })?;
        Ok(json!({ "PublicAccessBlockConfiguration": block.to_value() }))
    }

    /// `DeletePublicAccessBlock`: every setting off.
    pub(crate) fn delete_public_access_block(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.update_bucket(ctx, "DeletePublicAccessBlock", &input, |b| {
            b.public_access_block = None;
            Ok(())
        })?;
        Ok(json!({}))
    }
}
