//! `PutBucketTagging`, `GetBucketTagging`, `DeleteBucketTagging`.

use crate::{S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// At most this many tags on a bucket.
const MAX_TAGS: usize = 50;

fn invalid_tag(message: &str) -> AwsError {
    S3Error::InvalidTag {
        message: message.into(),
    }
    .into()
}

/// Checks a tag set: ≤50 tags, keys 1–128 and values 0–256 characters,
/// unique keys, none in the reserved `aws:` namespace.
pub(crate) fn check_tags(tags: &[(String, String)]) -> Result<(), AwsError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag("Bucket tag count cannot be greater than 50"));
    }
    let mut seen = std::collections::HashSet::new();
    for (k, v) in tags {
        let key_len = k.chars().count();
        if key_len == 0 || key_len > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if v.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if k.starts_with("aws:") {
            return Err(invalid_tag(
                "System tags cannot be added/updated by requester",
            ));
        }
        if !seen.insert(k.as_str()) {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    Ok(())
}

fn no_such_tag_set(bucket: &str) -> AwsError {
    S3Error::NoSuchTagSet {
        bucket: bucket.into(),
    }
    .into()
}

impl S3Service {
    /// `PutBucketTagging`: replaces the whole tag set.
    pub(crate) fn put_bucket_tagging(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let tags: Vec<(String, String)> = input
            .pointer("/Tagging/TagSet")
            .and_then(Value::as_array)
            .map(|set| {
                set.iter()
                    .map(|t| {
                        let s =
                            |m: &str| t.get(m).and_then(Value::as_str).unwrap_or("").to_string();
                        (s("Key"), s("Value"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        check_tags(&tags)?;
        self.update_bucket(ctx, "PutBucketTagging", &input, |b| {
            b.tags = Some(tags);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketTagging`: `NoSuchTagSet` when the bucket has none.
    pub(crate) fn get_bucket_tagging(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketTagging", &input)?;
        let tags = b.tags.ok_or_else(|| no_such_tag_set(&name))?;
        let set: Vec<Value> = tags
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        Ok(json!({ "TagSet": set }))
    }

    /// `DeleteBucketTagging`.
    pub(crate) fn delete_bucket_tagging(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketTagging", &input, |b| {
            b.tags = None;
            Ok(())
        })?;
        Ok(json!({}))
    }
}
