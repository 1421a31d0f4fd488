//! Object tags: `PutObjectTagging`, `GetObjectTagging`,
//! `DeleteObjectTagging`, and the rules of an object's tag set.

use crate::object::object_key;
use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// At most this many tags on an object.
pub const MAX_OBJECT_TAGS: usize = 10;

/// `InvalidTag` with `message`.
pub fn invalid_tag(message: &str) -> AwsError {
    S3Error::InvalidTag {
        message: message.into(),
    }
    .into()
}

/// An object's tag set: at most 10, and the bucket rules for each tag.
pub fn validate_object_tags(tags: &[(String, String)]) -> Result<(), AwsError> {
    if tags.len() > MAX_OBJECT_TAGS {
        return Err(invalid_tag("Object tags cannot be greater than 10"));
    }
    crate::bucket_tagging::check_tags(tags)
}

fn tag_set(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tagging")
        .and_then(|t| t.get("TagSet"))
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        str_member(t, "Key").unwrap_or_default().to_string(),
                        str_member(t, "Value").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

impl S3Service {
    /// Changes the tags of the version `input` names, in one transaction,
    /// and notifies `event` (`ObjectTagging:Put` or `:Delete`, with the
    /// operation's name).
    fn retag(
        &self,
        ctx: &RequestContext,
        input: &Value,
        tags: Vec<(String, String)>,
        event: (&str, &str),
    ) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, event.1, input)?;
        let key = str_member(input, "Key").unwrap_or_default();
        let wanted = str_member(input, "VersionId");
        let version = self.store.write(|txn| {
            let (is_current, mut v) = match wanted {
                Some(vid) => self
                    .objects
                    .find_version(Some(txn), &bucket, key, vid)?
                    .ok_or_else(|| crate::objects::no_such_version(key, vid))?,
                None => match txn.get(&self.objects.current, &object_key(&bucket, key))? {
                    Some(v) if !v.delete_marker => (true, v),
                    _ => return Err(crate::objects::no_such_key(key)),
                },
            };
            if v.delete_marker {
                return Err(crate::objects::delete_marker_by_version(&v, "PUT"));
            }
            v.tags = tags;
            if is_current {
                txn.put(&self.objects.current, &object_key(&bucket, key), &v)?;
            } else {
                let row = crate::object::version_row(&bucket, key, v.seq);
                txn.put(&self.objects.noncurrent, &row, &v)?;
            }
            Ok(v)
        })?;
        self.notify(
            ctx,
            &bucket,
            &entry,
            &crate::notifications::ObjectEvent {
                name: event.0,
                reason: event.1,
                key,
                size: None,
                etag: Some(version.etag.trim_matches('"')),
                version_id: entry.versioning.is_some().then(|| version.version_id_str()),
                sequencer: version.seq,
            },
        );
        Ok(match entry.versioning {
            Some(_) => json!({ "VersionId": version.version_id_str() }),
            None => json!({}),
        })
    }

    /// `PutObjectTagging`: replaces the tag set.
    pub(crate) fn put_object_tagging(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let tags = tag_set(&input);
        validate_object_tags(&tags)?;
        self.retag(ctx, &input, tags, ("ObjectTagging:Put", "PutObjectTagging"))
    }

    /// `DeleteObjectTagging`: removes every tag.
    pub(crate) fn delete_object_tagging(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag(
            ctx,
            &input,
            Vec::new(),
            ("ObjectTagging:Delete", "DeleteObjectTagging"),
        )
    }

    /// `GetObjectTagging`.
    pub(crate) fn get_object_tagging(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "GetObjectTagging", &input)?;
        let key = str_member(&input, "Key").unwrap_or_default();
        let v = self.version_for_read(&bucket, key, &input)?;
        let tags: Vec<Value> = v
            .tags
            .iter()
            .map(|(k, val)| json!({ "Key": k, "Value": val }))
            .collect();
        let mut out = json!({ "TagSet": tags });
        if entry.versioning.is_some() {
            out["VersionId"] = json!(v.version_id_str());
        }
        Ok(out)
    }
}
