//! `CreateLogGroup`, `DescribeLogGroups`, `DeleteLogGroup`.
//!
//! Keys are the region's [`Scope`] key of the name, so one region's groups
//! are one range of the table and listing by prefix reads only the
//! matching range.

use crate::errors::LogsError;
use crate::{LogGroup, LogsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::json;

const CLASSES: [&str; 3] = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

fn invalid_parameter(message: impl Into<String>) -> LogsError {
    LogsError::InvalidParameter {
        message: message.into(),
    }
}

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
        return Err(invalid_parameter(format!("Invalid log group class: {class}")).into());
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
    let key = Scope::regional(ctx).key(name);
    // Check and write in one transaction: two concurrent creates cannot both win.
    svc.store.write(|txn| {
        if txn.get(&svc.log_groups, &key)?.is_some() {
            return Err(AwsError::from(LogsError::LogGroupAlreadyExists));
        }
        txn.put(&svc.log_groups, &key, &group)?;
        Ok(())
    })?;
    Ok(json!({}))
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    let key = Scope::regional(ctx).key(name);
    let removed = svc
        .store
        .write(|txn| txn.delete(&svc.log_groups, &key).map_err(AwsError::from))?;
    if !removed {
        return Err(LogsError::LogGroupNotFound.into());
    }
    Ok(json!({}))
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
        )
        .into());
    }
    let class = str_member(input, "logGroupClass");
    // A name prefix narrows the scan itself; tokens are relative to it.
    let scan_prefix = format!(
        "{}{}",
        Scope::regional(ctx).prefix(),
        prefix.unwrap_or_default()
    );
    let limit = input.get("limit").and_then(Value::as_i64);
    let request = PageRequest::new(limit, str_member(input, "nextToken"), (1, 50), 50)
        .map_err(|e| match e {
            PagingError::SizeOutOfRange { given, .. } => AwsError::validation(format!(
                "1 validation error detected: Value '{given}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
            )),
            PagingError::BadToken(_) => {
                invalid_parameter("The specified nextToken is invalid.").into()
            }
        })?;
    let pattern_lc = pattern.map(str::to_ascii_lowercase);
    let page = paging::page(&svc.log_groups, &scan_prefix, &request, |_, g: LogGroup| {
        let keep = pattern_lc
            .as_deref()
            .is_none_or(|p| g.name.to_ascii_lowercase().contains(p))
            && class.is_none_or(|c| g.log_group_class == c);
        keep.then(|| describe_one(ctx, &g))
    })?;
    let mut out = json!({ "logGroups": page.items });
    if let Some(token) = page.next_token {
        out["nextToken"] = json!(token);
    }
    Ok(out)
}
