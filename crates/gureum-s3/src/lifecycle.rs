//! Lifecycle: `PutBucketLifecycleConfiguration` (validated as S3 does),
//! `GetBucketLifecycleConfiguration`, `DeleteBucketLifecycle`, and the
//! engine that applies the rules on Gureum's clock
//! ([`S3Service::run_lifecycle`], called by the server's one-second
//! ticker; a bucket without rules costs nothing there, the engine visits
//! only the buckets it knows have rules).
//!
//! As in AWS, an action's day count starts at the midnight UTC after the
//! object's creation (or, for noncurrent versions, after it became
//! noncurrent). Expiration deletes the current version (a delete marker
//! in a versioned bucket), noncurrent expiration keeps the newest
//! `NewerNoncurrentVersions`, expired delete markers go, incomplete
//! multipart uploads are aborted, transitions change the storage class.

use crate::object::ObjectVersion;
use crate::{S3Error, S3Service};
use gureum_core::{AwsError, Clock, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeSet;

const DAY_MS: i64 = 86_400_000;

/// Objects smaller than this do not transition under AWS's default
/// `TransitionDefaultMinimumObjectSize` (`all_storage_classes_128K`).
const MIN_TRANSITION_SIZE: u64 = 128 * 1024;

/// Storage classes a transition may go to, with their minimum days.
const TRANSITION_CLASSES: &[(&str, i64)] = &[
    ("STANDARD_IA", 30),
    ("ONEZONE_IA", 30),
    ("INTELLIGENT_TIERING", 0),
    ("GLACIER_IR", 0),
    ("GLACIER", 0),
    ("DEEP_ARCHIVE", 0),
];

fn invalid_argument(message: String) -> AwsError {
    S3Error::InvalidArgumentName {
        message,
        name: "LifecycleConfiguration".into(),
    }
    .into()
}

fn positive(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// Validates a `LifecycleConfiguration`, returning its rules.
pub fn validate(config: &Value) -> Result<Vec<Value>, AwsError> {
    let rules = match config.get("Rules") {
        Some(Value::Array(r)) if !r.is_empty() => r.clone(),
        _ => return Err(S3Error::MalformedXml.into()),
    };
    if rules.len() > 1000 {
        return Err(invalid_argument(
            "The number of lifecycle rules should not exceed allowed limit of 1000 rules".into(),
        ));
    }
    let mut ids = BTreeSet::new();
    for rule in &rules {
        match rule.get("Status").and_then(Value::as_str) {
            Some("Enabled") | Some("Disabled") => {}
            _ => return Err(S3Error::MalformedXml.into()),
        }
        if let Some(id) = rule.get("ID").and_then(Value::as_str) {
            if id.chars().count() > 255 {
                return Err(invalid_argument(
                    "ID length should not exceed allowed limit of 255".into(),
                ));
            }
            if !ids.insert(id.to_string()) {
                return Err(invalid_argument(
                    "Rule ID must be unique. Found same ID for more than one rule".into(),
                ));
            }
        }
        let actions = [
            "Expiration",
            "Transitions",
            "NoncurrentVersionExpiration",
            "NoncurrentVersionTransitions",
            "AbortIncompleteMultipartUpload",
        ];
        if !actions.iter().any(|a| rule.get(*a).is_some()) {
            return Err(invalid_argument(
                "At least one action needs to be specified in a rule".into(),
            ));
        }
        if let Some(exp) = rule.get("Expiration") {
            if let Some(d) = positive(exp.get("Days")) {
                if d <= 0 {
                    return Err(invalid_argument(
                        "'Days' for Expiration action must be a positive integer".into(),
                    ));
                }
            }
            if let Some(date) = exp.get("Date") {
                let ms = date_ms(date).ok_or(S3Error::MalformedXml)?;
                if ms % DAY_MS != 0 {
                    return Err(invalid_argument("'Date' must be at midnight GMT".into()));
                }
            }
        }
        for t in rule
            .get("Transitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let class = t.get("StorageClass").and_then(Value::as_str).unwrap_or("");
            let Some((_, min)) = TRANSITION_CLASSES.iter().find(|(c, _)| *c == class) else {
                return Err(S3Error::MalformedXml.into());
            };
            if let Some(d) = positive(t.get("Days")) {
                if d < *min {
                    return Err(invalid_argument(format!(
                        "'Days' in Transition action must be greater than or equal to {min} for storageClass '{class}'"
                    )));
                }
            }
        }
        if let Some(n) = rule.get("NoncurrentVersionExpiration") {
            if positive(n.get("NoncurrentDays")).is_some_and(|d| d <= 0) {
                return Err(invalid_argument(
                    "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer".into(),
                ));
            }
            if let Some(k) = positive(n.get("NewerNoncurrentVersions")) {
                if !(1..=100).contains(&k) {
                    return Err(invalid_argument(
                        "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to 100".into(),
                    ));
                }
            }
        }
        if let Some(a) = rule.get("AbortIncompleteMultipartUpload") {
            if positive(a.get("DaysAfterInitiation")).is_none_or(|d| d <= 0) {
                return Err(invalid_argument(
                    "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer".into(),
                ));
            }
        }
    }
    Ok(rules)
}

/// A timestamp member as the protocol parses it (epoch seconds, or text).
fn date_ms(v: &Value) -> Option<i64> {
    if let Some(s) = v.as_f64() {
        return Some((s * 1000.0) as i64);
    }
    gureum_core::timestamp::parse_iso8601(v.as_str()?)
}

/// The first midnight UTC at or after `ms`, plus `days`.
fn due(ms: i64, days: i64) -> i64 {
    let midnight = (ms + DAY_MS - 1).div_euclid(DAY_MS) * DAY_MS;
    midnight + days * DAY_MS
}

/// The filter of a rule: prefix, tags and size bounds, all of which must
/// hold.
struct Filter {
    prefix: String,
    tags: Vec<(String, String)>,
    greater: Option<u64>,
    less: Option<u64>,
}

impl Filter {
    fn of(rule: &Value) -> Filter {
        let f = rule.get("Filter").cloned().unwrap_or_default();
        let scope = f.get("And").cloned().unwrap_or(f.clone());
        let prefix = scope
            .get("Prefix")
            .or_else(|| rule.get("Prefix"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut tags = Vec::new();
        let tag = |t: &Value| {
            Some((
                t.get("Key")?.as_str()?.to_string(),
                t.get("Value")?.as_str().unwrap_or("").to_string(),
            ))
        };
        if let Some(t) = f.get("Tag").and_then(tag) {
            tags.push(t);
        }
        for t in scope
            .get("Tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            tags.extend(tag(t));
        }
        let size = |name: &str| scope.get(name).and_then(Value::as_u64);
        Filter {
            prefix,
            tags,
            greater: size("ObjectSizeGreaterThan"),
            less: size("ObjectSizeLessThan"),
        }
    }

    fn matches(&self, key: &str, v: &ObjectVersion) -> bool {
        key.starts_with(&self.prefix)
            && self.tags.iter().all(|t| v.tags.contains(t))
            && self.greater.is_none_or(|g| v.size > g)
            && self.less.is_none_or(|l| v.size < l)
    }
}

impl S3Service {
    /// `PutBucketLifecycleConfiguration`: replaces the rules.
    pub(crate) fn put_bucket_lifecycle_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let config = input
            .get("LifecycleConfiguration")
            .cloned()
            .unwrap_or_default();
        let rules = validate(&config)?;
        let min_size = match crate::str_member(&input, "TransitionDefaultMinimumObjectSize") {
            None | Some("all_storage_classes_128K") => None,
            Some("varies_by_storage_class") => Some("varies_by_storage_class".to_string()),
            Some(other) => {
                return Err(S3Error::InvalidRequest {
                    message: format!("Invalid TransitionDefaultMinimumObjectSize value: {other}"),
                }
                .into())
            }
        };
        let shown = min_size
            .clone()
            .unwrap_or_else(|| "all_storage_classes_128K".into());
        self.update_bucket(ctx, "PutBucketLifecycleConfiguration", &input, |b| {
            b.lifecycle = Some(rules);
            b.transition_min_size = min_size;
            Ok(())
        })?;
        let bucket = crate::str_member(&input, "Bucket").unwrap_or_default();
        if let Ok(mut known) = self.lifecycle_buckets.lock() {
            if let Some(set) = known.as_mut() {
                set.insert(bucket.to_string());
            }
        }
        Ok(json!({ "TransitionDefaultMinimumObjectSize": shown }))
    }

    /// `GetBucketLifecycleConfiguration`.
    pub(crate) fn get_bucket_lifecycle_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketLifecycleConfiguration", &input)?;
        let shown = b
            .transition_min_size
            .clone()
            .unwrap_or_else(|| "all_storage_classes_128K".into());
        let rules = b
            .lifecycle
            .ok_or(S3Error::NoSuchLifecycleConfiguration { bucket: name })?;
        Ok(json!({ "Rules": rules, "TransitionDefaultMinimumObjectSize": shown }))
    }

    /// `DeleteBucketLifecycle`.
    pub(crate) fn delete_bucket_lifecycle(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketLifecycle", &input, |b| {
            b.lifecycle = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// Applies every bucket's lifecycle rules as of `clock`'s now; returns
    /// how many objects, versions and uploads it acted on.
    pub fn run_lifecycle(&self, clock: &Clock) -> usize {
        let buckets: Vec<String> = {
            let Ok(mut known) = self.lifecycle_buckets.lock() else {
                return 0;
            };
            if known.is_none() {
                let all = self.buckets.scan_prefix("").unwrap_or_default();
                *known = Some(
                    all.into_iter()
                        .filter(|(_, b)| b.lifecycle.is_some())
                        .map(|(n, _)| n)
                        .collect(),
                );
            }
            known.iter().flatten().cloned().collect()
        };
        let mut acted = 0;
        for name in buckets {
            match self.bucket_entry(&name) {
                Ok(Some(b)) if b.lifecycle.is_some() => {
                    let ctx = RequestContext::root(&b.account_id, &b.region, clock.clone());
                    let rules = b.lifecycle.unwrap_or_default();
                    // AWS's default since 2024: nothing under 128 KB moves.
                    let min = match b.transition_min_size {
                        Some(_) => 0,
                        None => MIN_TRANSITION_SIZE,
                    };
                    acted += self
                        .apply_rules(&ctx, &name, &rules, min)
                        .unwrap_or_else(|e| {
                            tracing::warn!(bucket = %name, "s3 lifecycle: {}", e.message);
                            0
                        });
                }
                _ => {
                    if let Ok(mut known) = self.lifecycle_buckets.lock() {
                        if let Some(set) = known.as_mut() {
                            set.remove(&name);
                        }
                    }
                }
            }
        }
        acted
    }

    fn apply_rules(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        rules: &[Value],
        min_transition: u64,
    ) -> Result<usize, AwsError> {
        let now = ctx.clock.now_millis();
        let mut acted = 0;
        let prefix = format!("{bucket}/");
        for rule in rules.iter().filter(|r| r["Status"] == "Enabled") {
            let filter = Filter::of(rule);
            let current = self
                .objects
                .current
                .scan_prefix(&format!("{prefix}{}", filter.prefix))?;
            for (row, v) in current {
                let key = &row[prefix.len()..];
                if !filter.matches(key, &v) && !v.delete_marker {
                    continue;
                }
                acted +=
                    self.apply_to_current(ctx, bucket, key, &v, rule, (now, min_transition))?;
            }
            acted += self.expire_noncurrent(ctx, bucket, &filter, rule, now)?;
            if let Some(days) = rule
                .pointer("/AbortIncompleteMultipartUpload/DaysAfterInitiation")
                .and_then(Value::as_i64)
            {
                let uploads = self
                    .uploads_table()
                    .scan_prefix(&format!("{prefix}{}", filter.prefix))?;
                for (_, u) in uploads {
                    if due(u.initiated_ms, days) <= now {
                        let input =
                            json!({"Bucket": bucket, "Key": u.key, "UploadId": u.upload_id});
                        if self.abort_multipart_upload(ctx, input).is_ok() {
                            acted += 1;
                        }
                    }
                }
            }
        }
        Ok(acted)
    }

    fn apply_to_current(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        v: &ObjectVersion,
        rule: &Value,
        (now, min_transition): (i64, u64),
    ) -> Result<usize, AwsError> {
        let exp = rule.get("Expiration");
        if v.delete_marker {
            let lone = self
                .objects
                .noncurrent
                .scan_prefix_after(&crate::object::versions_prefix(bucket, key), None, 1)?
                .is_empty();
            if lone && exp.and_then(|e| e.get("ExpiredObjectDeleteMarker")) == Some(&json!(true)) {
                self.delete_one(ctx, bucket, key, Some(v.version_id_str()))?;
                return Ok(1);
            }
            return Ok(0);
        }
        let expires = exp.and_then(|e| {
            e.get("Days")
                .and_then(Value::as_i64)
                .map(|d| due(v.last_modified_ms, d))
                .or_else(|| e.get("Date").and_then(date_ms))
        });
        if expires.is_some_and(|at| at <= now) {
            self.delete_one(ctx, bucket, key, None)?;
            return Ok(1);
        }
        if v.size < min_transition {
            return Ok(0);
        }
        // The latest due transition decides the class.
        let class = rule
            .get("Transitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                let at = t
                    .get("Days")
                    .and_then(Value::as_i64)
                    .map(|d| due(v.last_modified_ms, d))
                    .or_else(|| t.get("Date").and_then(date_ms))?;
                let class = t.get("StorageClass")?.as_str()?.to_string();
                (at <= now).then_some((at, class))
            })
            .max()
            .map(|(_, c)| c);
        match class {
            Some(c) if c != v.storage_class => {
                let okey = crate::object::object_key(bucket, key);
                self.store.write(|txn| -> Result<(), AwsError> {
                    if let Some(mut cur) = txn.get(&self.objects.current, &okey)? {
                        if cur.seq == v.seq {
                            cur.storage_class = c.clone();
                            txn.put(&self.objects.current, &okey, &cur)?;
                        }
                    }
                    Ok(())
                })?;
                Ok(1)
            }
            _ => Ok(0),
        }
    }

    fn expire_noncurrent(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        filter: &Filter,
        rule: &Value,
        now: i64,
    ) -> Result<usize, AwsError> {
        let Some(n) = rule.get("NoncurrentVersionExpiration") else {
            return Ok(0);
        };
        let days = n.get("NoncurrentDays").and_then(Value::as_i64).unwrap_or(0);
        let keep = n
            .get("NewerNoncurrentVersions")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize;
        let prefix = format!("{bucket}/{}", filter.prefix);
        let rows = self.objects.noncurrent.scan_prefix(&prefix)?;
        // Rows run newest first per key; a version became noncurrent when
        // the next newer one was written.
        let mut acted = 0;
        let mut last_key = String::new();
        let mut newer_ms = 0;
        let mut rank = 0;
        for (row, v) in rows {
            let key = row
                .split_once('\0')
                .map_or(row.as_str(), |(k, _)| k)
                .trim_start_matches(&format!("{bucket}/"))
                .to_string();
            if key != last_key {
                let current = self
                    .objects
                    .current
                    .get(&crate::object::object_key(bucket, &key))?;
                newer_ms = current.map_or(v.last_modified_ms, |c| c.last_modified_ms);
                rank = 0;
                last_key = key.clone();
            }
            rank += 1;
            let since = newer_ms;
            newer_ms = v.last_modified_ms;
            if !key.starts_with(&filter.prefix) || rank <= keep {
                continue;
            }
            if due(since, days) <= now {
                // Locked versions stay, as in AWS.
                if let Ok(Some(entry)) = self.bucket_entry(bucket) {
                    let vid = v.version_id_str();
                    if self
                        .check_lock_delete(ctx, &entry, &Value::Null, bucket, &key, vid)
                        .is_err()
                    {
                        continue;
                    }
                }
                self.delete_one(ctx, bucket, &key, Some(v.version_id_str()))?;
                acted += 1;
            }
        }
        Ok(acted)
    }

    /// `x-amz-expiration` for a current version, when an enabled rule
    /// expires it: `expiry-date="…", rule-id="…"`.
    pub(crate) fn expiration_header(
        rules: &[Value],
        key: &str,
        v: &ObjectVersion,
    ) -> Option<String> {
        rules
            .iter()
            .filter(|r| r["Status"] == "Enabled")
            .filter(|r| Filter::of(r).matches(key, v))
            .find_map(|r| {
                let e = r.get("Expiration")?;
                let at = e
                    .get("Days")
                    .and_then(Value::as_i64)
                    .map(|d| due(v.last_modified_ms, d))
                    .or_else(|| e.get("Date").and_then(date_ms))?;
                let id = r.get("ID").and_then(Value::as_str).unwrap_or("");
                Some(format!(
                    "expiry-date=\"{}\", rule-id=\"{id}\"",
                    gureum_core::timestamp::format_http_date(at)
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(v: Value) -> String {
        validate(&json!({ "Rules": [v] }))
            .err()
            .map(|e| e.message)
            .unwrap_or_default()
    }

    #[test]
    fn validation_answers_s3s_messages() {
        assert_eq!(
            msg(json!({"Status": "Enabled", "Filter": {"Prefix": ""},
                "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]})),
            "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"
        );
        assert_eq!(
            msg(json!({"Status": "Enabled", "Filter": {"Prefix": ""}})),
            "At least one action needs to be specified in a rule"
        );
        assert_eq!(
            msg(json!({"Status": "Enabled", "Expiration": {"Days": 0}})),
            "'Days' for Expiration action must be a positive integer"
        );
        assert!(
            validate(&json!({"Rules": [{"Status": "Enabled", "Expiration": {"Days": 1}}]})).is_ok()
        );
    }

    #[test]
    fn days_count_from_the_next_midnight() {
        assert_eq!(due(0, 1), DAY_MS);
        assert_eq!(due(1, 1), 2 * DAY_MS);
        assert_eq!(due(DAY_MS - 1, 0), DAY_MS);
    }
}
