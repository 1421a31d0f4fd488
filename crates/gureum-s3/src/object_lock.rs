//! Object Lock: `PutObjectLockConfiguration` / `GetObjectLockConfiguration`
//! (default retention), per-version retention (`PutObjectRetention`,
//! `GetObjectRetention`) and legal holds (`PutObjectLegalHold`,
//! `GetObjectLegalHold`), retention and holds set by `PutObject`, and the
//! protection itself: a locked version cannot be deleted (a delete without
//! a version id only adds a delete marker, as in AWS). Governance mode
//! yields to `x-amz-bypass-governance-retention` when the caller has
//! `s3:BypassGovernanceRetention`; compliance mode yields to no one, root
//! included, and its retention can be extended, never shortened.
//!
//! A version's lock lives in its `content` map under the output members
//! `ObjectLockMode`, `ObjectLockRetainUntilDate` (epoch seconds) and
//! `ObjectLockLegalHoldStatus`, so `GetObject` and `HeadObject` show it
//! with no extra work.

use crate::object::{object_key, version_row, ObjectVersion};
use crate::{BucketEntry, S3Error, S3Service};
use gureum_core::{AuthzTarget, AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

fn invalid_argument(message: &str) -> AwsError {
    S3Error::InvalidArgumentName {
        message: message.into(),
        name: "ObjectLock".into(),
    }
    .into()
}

fn invalid_request(message: &str) -> AwsError {
    S3Error::InvalidRequest {
        message: message.into(),
    }
    .into()
}

/// The refusal of a delete of a protected version.
fn protected() -> AwsError {
    AwsError::new(
        "AccessDenied",
        403,
        "Access Denied because object protected by object lock.",
    )
}

/// A timestamp member (epoch seconds as parsed, or ISO 8601 text), in ms.
fn timestamp_ms(v: &Value) -> Option<i64> {
    if let Some(s) = v.as_f64() {
        return Some((s * 1000.0) as i64);
    }
    gureum_core::timestamp::parse_iso8601(v.as_str()?)
}

fn check_mode(mode: &str) -> Result<(), AwsError> {
    match mode {
        "GOVERNANCE" | "COMPLIANCE" => Ok(()),
        _ => Err(S3Error::MalformedXml.into()),
    }
}

/// The lock members a `PutObject` carries, taken out of `input` (so the
/// unsupported-parameter check lets them through only here).
pub(crate) fn take_put_members(input: &mut Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(obj) = input.as_object_mut() {
        for m in [
            "ObjectLockMode",
            "ObjectLockRetainUntilDate",
            "ObjectLockLegalHoldStatus",
        ] {
            if let Some(v) = obj.remove(m) {
                out.insert(m.to_string(), v);
            }
        }
    }
    out
}

impl S3Service {
    /// The lock a new version of `entry` gets: the request's, else the
    /// bucket's default retention; refused on a bucket without Object Lock.
    pub(crate) fn lock_for_new_object(
        &self,
        ctx: &RequestContext,
        entry: &BucketEntry,
        asked: BTreeMap<String, Value>,
        content: &mut BTreeMap<String, Value>,
    ) -> Result<(), AwsError> {
        if !entry.object_lock {
            if asked.is_empty() {
                return Ok(());
            }
            return Err(invalid_request(
                "Bucket is missing Object Lock Configuration",
            ));
        }
        let now = ctx.clock.now_millis();
        let mode = asked.get("ObjectLockMode").and_then(Value::as_str);
        let until = asked.get("ObjectLockRetainUntilDate");
        match (mode, until) {
            (Some(mode), Some(until)) => {
                check_mode(mode)?;
                let ms = timestamp_ms(until).ok_or(S3Error::MalformedXml)?;
                if ms <= now {
                    return Err(invalid_argument("The retain until date must be in the future!"));
                }
                content.insert("ObjectLockMode".into(), json!(mode));
                content.insert("ObjectLockRetainUntilDate".into(), json!(ms / 1000));
            }
            (None, None) => {
                if let Some(d) = entry
                    .lock_config
                    .as_ref()
                    .and_then(|c| c.pointer("/Rule/DefaultRetention"))
                {
                    let days = d.get("Days").and_then(Value::as_i64).unwrap_or(0)
                        + d.get("Years").and_then(Value::as_i64).unwrap_or(0) * 365;
                    let mode = d.get("Mode").and_then(Value::as_str).unwrap_or("GOVERNANCE");
                    content.insert("ObjectLockMode".into(), json!(mode));
                    content.insert(
                        "ObjectLockRetainUntilDate".into(),
                        json!((now + days * DAY_MS) / 1000),
                    );
                }
            }
            _ => {
                return Err(invalid_argument(
                    "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                ))
            }
        }
        if let Some(hold) = asked
            .get("ObjectLockLegalHoldStatus")
            .and_then(Value::as_str)
        {
            if !matches!(hold, "ON" | "OFF") {
                return Err(S3Error::MalformedXml.into());
            }
            content.insert("ObjectLockLegalHoldStatus".into(), json!(hold));
        }
        Ok(())
    }

    /// Whether the caller may bypass governance retention: asked for with
    /// the header, and allowed `s3:BypassGovernanceRetention` (root may).
    fn may_bypass(&self, ctx: &RequestContext, input: &Value, bucket: &str, key: &str) -> bool {
        if input.get("BypassGovernanceRetention") != Some(&json!(true)) {
            return false;
        }
        if !crate::authorization::iam_caller(ctx) {
            return true;
        }
        let target = AuthzTarget::new(
            "s3:BypassGovernanceRetention",
            format!("arn:aws:s3:::{bucket}/{key}"),
        );
        self.authorizer.authorize(ctx, &[target]).is_ok()
    }

    /// Refuses deleting version `vid` of `key` while it is protected.
    pub(crate) fn check_lock_delete(
        &self,
        ctx: &RequestContext,
        entry: &BucketEntry,
        input: &Value,
        bucket: &str,
        key: &str,
        vid: &str,
    ) -> Result<(), AwsError> {
        if !entry.object_lock {
            return Ok(());
        }
        let Some((_, v)) = self.objects.find_version(None, bucket, key, vid)? else {
            return Ok(());
        };
        if v.content.get("ObjectLockLegalHoldStatus") == Some(&json!("ON")) {
            return Err(protected());
        }
        let now_s = ctx.clock.now_millis() / 1000;
        let until = v
            .content
            .get("ObjectLockRetainUntilDate")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if until <= now_s {
            return Ok(());
        }
        match v.content.get("ObjectLockMode").and_then(Value::as_str) {
            Some("COMPLIANCE") => Err(protected()),
            Some("GOVERNANCE") if !self.may_bypass(ctx, input, bucket, key) => Err(protected()),
            _ => Ok(()),
        }
    }

    /// Changes the version `input` names with `f`, in one transaction.
    fn update_version(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
        f: impl FnOnce(&mut ObjectVersion) -> Result<(), AwsError>,
    ) -> Result<(BucketEntry, ObjectVersion), AwsError> {
        let (bucket, entry) = self.own_bucket(ctx, operation, input)?;
        if !entry.object_lock {
            return Err(invalid_request(
                "Bucket is missing Object Lock Configuration",
            ));
        }
        let key = crate::str_member(input, "Key").unwrap_or_default();
        let wanted = crate::str_member(input, "VersionId");
        let v = self.store.write(|txn| {
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
            f(&mut v)?;
            if is_current {
                txn.put(&self.objects.current, &object_key(&bucket, key), &v)?;
            } else {
                txn.put(
                    &self.objects.noncurrent,
                    &version_row(&bucket, key, v.seq),
                    &v,
                )?;
            }
            Ok(v)
        })?;
        Ok((entry, v))
    }

    /// The version `input` names, read-only.
    fn read_version(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Result<ObjectVersion, AwsError> {
        let (entry, v) = self.update_version(ctx, operation, input, |_| Ok(()))?;
        let _ = entry;
        Ok(v)
    }

    /// `PutObjectLockConfiguration`: turns Object Lock on for a versioned
    /// bucket and sets (or clears) its default retention.
    pub(crate) fn put_object_lock_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let config = input
            .get("ObjectLockConfiguration")
            .cloned()
            .unwrap_or_default();
        // `x-amz-bucket-object-lock-token` was needed to enable Object Lock
        // on an existing bucket through support; AWS no longer asks for it.
        let _token = crate::str_member(&input, "Token");
        if config.get("ObjectLockEnabled").and_then(Value::as_str) != Some("Enabled") {
            return Err(S3Error::MalformedXml.into());
        }
        if let Some(d) = config.pointer("/Rule/DefaultRetention") {
            check_mode(d.get("Mode").and_then(Value::as_str).unwrap_or(""))?;
            let days = d.get("Days").and_then(Value::as_i64);
            let years = d.get("Years").and_then(Value::as_i64);
            match (days, years) {
                (Some(n), None) | (None, Some(n)) if n > 0 => {}
                (Some(_), Some(_)) | (None, None) => return Err(S3Error::MalformedXml.into()),
                _ => {
                    return Err(invalid_argument(
                        "Default retention period must be a positive integer value",
                    ))
                }
            }
        }
        self.update_bucket(ctx, "PutObjectLockConfiguration", &input, |b| {
            if !b.object_lock && b.versioning.as_deref() != Some("Enabled") {
                return Err(S3Error::InvalidBucketState {
                    message: "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration".into(),
                }
                .into());
            }
            b.object_lock = true;
            b.lock_config = Some(config);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetObjectLockConfiguration`.
    pub(crate) fn get_object_lock_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (_, b) = self.own_bucket(ctx, "GetObjectLockConfiguration", &input)?;
        if !b.object_lock {
            return Err(S3Error::ObjectLockConfigurationNotFound.into());
        }
        let config = b
            .lock_config
            .unwrap_or_else(|| json!({"ObjectLockEnabled": "Enabled"}));
        Ok(json!({ "ObjectLockConfiguration": config }))
    }

    /// `PutObjectRetention`: compliance retention only grows; governance
    /// retention shrinks or goes only with the bypass.
    pub(crate) fn put_object_retention(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let retention = input.get("Retention").cloned().unwrap_or_default();
        let mode = retention.get("Mode").and_then(Value::as_str);
        let until = retention.get("RetainUntilDate").and_then(timestamp_ms);
        if let Some(m) = mode {
            check_mode(m)?;
        }
        let now = ctx.clock.now_millis();
        if until.is_some_and(|u| u <= now) {
            return Err(invalid_argument(
                "The retain until date must be in the future!",
            ));
        }
        let bucket = crate::str_member(&input, "Bucket").unwrap_or_default();
        let key = crate::str_member(&input, "Key").unwrap_or_default();
        let bypass = self.may_bypass(ctx, &input, bucket, key);
        self.update_version(ctx, "PutObjectRetention", &input, |v| {
            let old_mode = v.content.get("ObjectLockMode").and_then(Value::as_str);
            let old_until = v
                .content
                .get("ObjectLockRetainUntilDate")
                .and_then(Value::as_i64)
                .map(|s| s * 1000)
                .filter(|u| *u > now);
            if let (Some(old), Some(old_until)) = (old_mode, old_until) {
                let weaker = mode != Some(old) && old == "COMPLIANCE"
                    || until.is_none_or(|u| u < old_until)
                    || mode.is_none();
                if weaker && (old == "COMPLIANCE" || !bypass) {
                    return Err(crate::access_denied());
                }
            }
            match (mode, until) {
                (Some(m), Some(u)) => {
                    v.content.insert("ObjectLockMode".into(), json!(m));
                    v.content
                        .insert("ObjectLockRetainUntilDate".into(), json!(u / 1000));
                }
                (None, None) => {
                    v.content.remove("ObjectLockMode");
                    v.content.remove("ObjectLockRetainUntilDate");
                }
                _ => return Err(S3Error::MalformedXml.into()),
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetObjectRetention`.
    pub(crate) fn get_object_retention(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let v = self.read_version(ctx, "GetObjectRetention", &input)?;
        match (
            v.content.get("ObjectLockMode"),
            v.content.get("ObjectLockRetainUntilDate"),
        ) {
            (Some(mode), Some(until)) => Ok(json!({
                "Retention": {"Mode": mode, "RetainUntilDate": until}
            })),
            _ => Err(S3Error::NoSuchObjectLockConfiguration.into()),
        }
    }

    /// `PutObjectLegalHold`.
    pub(crate) fn put_object_legal_hold(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let status = input
            .get("LegalHold")
            .and_then(|h| h.get("Status"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !matches!(status.as_str(), "ON" | "OFF") {
            return Err(S3Error::MalformedXml.into());
        }
        self.update_version(ctx, "PutObjectLegalHold", &input, |v| {
            v.content
                .insert("ObjectLockLegalHoldStatus".into(), json!(status));
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetObjectLegalHold`.
    pub(crate) fn get_object_legal_hold(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let v = self.read_version(ctx, "GetObjectLegalHold", &input)?;
        match v.content.get("ObjectLockLegalHoldStatus") {
            Some(s) => Ok(json!({ "LegalHold": {"Status": s} })),
            None => Err(S3Error::NoSuchObjectLockConfiguration.into()),
        }
    }
}
