//! `CreateLogGroup`, `DescribeLogGroups`, `DeleteLogGroup`.
//!
//! Keys are `account/region/name`, so one region's groups are one range of
//! the table and listing by prefix reads only the matching range.

use crate::{LogGroup, LogsService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

const CLASSES: [&str; 3] = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

fn key_prefix(ctx: &RequestContext) -> String {
    format!("{}/{}/", ctx.account_id, ctx.region)
}

fn invalid_parameter(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterException", 400, message)
}

use gureum_core::member::str_member;

/// Log group names: 1–512 of `[.-_/#A-Za-z0-9]` (the model's pattern).
fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#'));
    if !ok {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )));
    }
    Ok(())
}

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{name}",
        ctx.region, ctx.account_id
    )
}

pub(crate) fn create(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    check_name(name)?;
    let class = str_member(input, "logGroupClass").unwrap_or("STANDARD");
    if !CLASSES.contains(&class) {
        return Err(invalid_parameter(format!(
            "Invalid log group class: {class}"
        )));
    }
    let tags = input
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let group = LogGroup {
        name: name.to_string(),
        creation_time: ctx.clock.now_millis(),
        retention_in_days: None,
        kms_key_id: str_member(input, "kmsKeyId").map(str::to_string),
        log_group_class: class.to_string(),
        tags,
    };
    let key = format!("{}{name}", key_prefix(ctx));
    // Check and write in one transaction: two concurrent creates cannot both win.
    svc.store.write(|txn| {
        if txn.get(&svc.log_groups, &key)?.is_some() {
            return Err(AwsError::new(
                "ResourceAlreadyExistsException",
                400,
                "The specified log group already exists",
            ));
        }
        txn.put(&svc.log_groups, &key, &group)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    let key = format!("{}{name}", key_prefix(ctx));
    let removed = svc
        .store
        .write(|txn| txn.delete(&svc.log_groups, &key).map_err(AwsError::from))?;
    if !removed {
        return Err(not_found());
    }
    Ok(json!({}))
}

fn not_found() -> AwsError {
    AwsError::new(
        "ResourceNotFoundException",
        400,
        "The specified log group does not exist.",
    )
}

fn describe_one(ctx: &RequestContext, g: &LogGroup) -> Value {
    let arn = arn(ctx, &g.name);
    let mut v = json!({
        "logGroupName": g.name,
        "creationTime": g.creation_time,
        "metricFilterCount": 0,
        "arn": format!("{arn}:*"),
        "storedBytes": 0,
        "logGroupClass": g.log_group_class,
        "logGroupArn": arn,
    });
    if let Some(days) = g.retention_in_days {
        v["retentionInDays"] = json!(days);
    }
    if let Some(k) = &g.kms_key_id {
        v["kmsKeyId"] = json!(k);
    }
    v
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let prefix = str_member(input, "logGroupNamePrefix");
    let pattern = str_member(input, "logGroupNamePattern");
    if prefix.is_some() && pattern.is_some() {
        return Err(invalid_parameter(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    let limit = input.get("limit").and_then(Value::as_u64).unwrap_or(50) as usize;
    let class = str_member(input, "logGroupClass");
    let base = key_prefix(ctx);
    let scan_prefix = format!("{base}{}", prefix.unwrap_or_default());
    // The token is the key of the last group of the previous page.
    let after = match str_member(input, "nextToken") {
        Some(t) if t.starts_with(&scan_prefix) => Some(t.to_string()),
        Some(_) => return Err(invalid_parameter("The specified nextToken is invalid.")),
        None => None,
    };
    let pattern_lc = pattern.map(str::to_ascii_lowercase);
    let keep = |g: &LogGroup| {
        pattern_lc
            .as_deref()
            .is_none_or(|p| g.name.to_ascii_lowercase().contains(p))
            && class.is_none_or(|c| g.log_group_class == c)
    };
    let mut groups = Vec::new();
    let mut last_key = after;
    let mut more = false;
    // Filters other than the prefix may skip entries: read in pages until full.
    'scan: loop {
        let page =
            svc.log_groups
                .scan_prefix_after(&scan_prefix, last_key.as_deref(), limit + 1)?;
        let exhausted = page.len() <= limit;
        for (key, g) in page {
            if groups.len() == limit {
                more = true;
                break 'scan;
            }
            last_key = Some(key);
            if keep(&g) {
                groups.push(describe_one(ctx, &g));
            }
        }
        if exhausted {
            break;
        }
    }
    let mut out = json!({ "logGroups": groups });
    if more {
        if let Some(k) = last_key {
            out["nextToken"] = json!(k);
        }
    }
    Ok(out)
}
