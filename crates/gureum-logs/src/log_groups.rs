//! Log groups: `CreateLogGroup`, `DescribeLogGroups`, `DeleteLogGroup`,
//! retention policies, tags (current and legacy operations) and data
//! protection policies (kept as records).
//!
//! Keys are the region's [`Scope`] key of the name, so one region's groups
//! are one range of the table and listing by prefix reads only the
//! matching range.

use crate::errors::{invalid, LogsError};
use crate::{group_arn, load_group, name_from_identifier, retention};
use crate::{DataProtection, LogGroup, LogsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::json;
use std::collections::BTreeMap;
use std::ops::ControlFlow;

const CLASSES: [&str; 3] = ["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"];

/// The retention periods AWS accepts, in days.
pub(crate) const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Most tags on one log group.
const MAX_TAGS: usize = 50;

/// Log group names: 1–512 of `[.-_/#A-Za-z0-9]` (the model's pattern).
fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b'#'));
    if !ok {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
        )));
    }
    Ok(())
}

fn tags_of(input: &Value) -> BTreeMap<String, String> {
    input
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn create(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    check_name(name)?;
    let class = str_member(input, "logGroupClass").unwrap_or("STANDARD");
    if !CLASSES.contains(&class) {
        return Err(invalid(format!("Invalid log group class: {class}")));
    }
    let tags = tags_of(input);
    if tags.len() > MAX_TAGS {
        return Err(LogsError::TooManyTags {
            arn: group_arn(ctx, name),
        }
        .into());
    }
    let group = LogGroup {
        name: name.to_string(),
        creation_time: ctx.clock.now_millis(),
        retention_in_days: None,
        kms_key_id: str_member(input, "kmsKeyId").map(str::to_string),
        log_group_class: class.to_string(),
        tags,
        stored_bytes: 0,
        metric_filter_count: 0,
        next_seq: 0,
        data_protection: None,
        deletion_protection: input
            .get("deletionProtectionEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
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

/// Every key of `table` under `prefix` (what a cascading delete removes).
fn keys_under<T, C: gureum_store::Codec<T>>(
    table: &gureum_store::Table<T, C>,
    prefix: &str,
) -> Result<Vec<String>, AwsError> {
    let mut keys = Vec::new();
    table.visit_prefix(prefix, None, |k, _| {
        keys.push(k.to_string());
        ControlFlow::Continue(())
    })?;
    Ok(keys)
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    let key = Scope::regional(ctx).key(name);
    let children = format!("{key}:");
    let events = keys_under(&svc.events, &children)?;
    let streams = keys_under(&svc.streams, &children)?;
    let metric = keys_under(&svc.metric_filters, &children)?;
    let subs = keys_under(&svc.subscriptions, &children)?;
    svc.store.write(|txn| {
        let Some(g) = txn.get(&svc.log_groups, &key)? else {
            return Err(AwsError::from(LogsError::LogGroupNotFound));
        };
        if g.deletion_protection {
            return Err(AwsError::validation(format!(
                "Log group {name} cannot be deleted because deletion protection is enabled (Gureum's wording)."
            )));
        }
        txn.delete(&svc.log_groups, &key)?;
        for k in &events {
            txn.delete(&svc.events, k)?;
        }
        for k in &streams {
            txn.delete(&svc.streams, k)?;
        }
        for k in &metric {
            txn.delete(&svc.metric_filters, k)?;
        }
        for k in &subs {
            txn.delete(&svc.subscriptions, k)?;
        }
        Ok(())
    })?;
    Ok(json!({}))
}

fn describe_one(ctx: &RequestContext, g: &LogGroup) -> Value {
    let arn = group_arn(ctx, &g.name);
    let mut v = json!({
        "logGroupName": g.name,
        "creationTime": g.creation_time,
        "metricFilterCount": g.metric_filter_count,
        "arn": format!("{arn}:*"),
        "storedBytes": g.stored_bytes,
        "logGroupClass": g.log_group_class,
        "logGroupArn": arn,
    });
    if let Some(days) = g.retention_in_days {
        v["retentionInDays"] = json!(days);
    }
    if let Some(k) = &g.kms_key_id {
        v["kmsKeyId"] = json!(k);
    }
    if g.data_protection.is_some() {
        v["dataProtectionStatus"] = json!("ACTIVATED");
    }
    if g.deletion_protection {
        v["deletionProtectionEnabled"] = json!(true);
    }
    v
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let prefix = str_member(input, "logGroupNamePrefix");
    let pattern = str_member(input, "logGroupNamePattern");
    if prefix.is_some() && pattern.is_some() {
        return Err(invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    let identifiers: Option<Vec<&str>> = input
        .get("logGroupIdentifiers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(name_from_identifier)
                .collect()
        });
    let class = str_member(input, "logGroupClass");
    // Gureum has no cross-account observability links: only the caller's
    // own account has groups to list.
    let other_accounts_only = input
        .get("accountIdentifiers")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            !a.is_empty()
                && !a
                    .iter()
                    .any(|x| x.as_str() == Some(ctx.account_id.as_str()))
        });
    if other_accounts_only {
        return Ok(json!({ "logGroups": [] }));
    }
    retention::sweep(svc, ctx)?;
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
            PagingError::BadToken(_) => invalid("The specified nextToken is invalid."),
        })?;
    let pattern_lc = pattern.map(str::to_ascii_lowercase);
    let page = paging::page(&svc.log_groups, &scan_prefix, &request, |_, g: LogGroup| {
        let keep = pattern_lc
            .as_deref()
            .is_none_or(|p| g.name.to_ascii_lowercase().contains(p))
            && class.is_none_or(|c| g.log_group_class == c)
            && identifiers
                .as_ref()
                .is_none_or(|ids| ids.contains(&g.name.as_str()));
        keep.then(|| describe_one(ctx, &g))
    })?;
    let mut out = json!({ "logGroups": page.items });
    if let Some(token) = page.next_token {
        out["nextToken"] = json!(token);
    }
    Ok(out)
}

/// Reads, changes and writes one group in a transaction.
pub(crate) fn update_group(
    svc: &LogsService,
    ctx: &RequestContext,
    name: &str,
    change: impl FnOnce(&mut LogGroup) -> Result<(), AwsError>,
) -> Result<LogGroup, AwsError> {
    let key = Scope::regional(ctx).key(name);
    svc.store.write(|txn| {
        let mut g = txn
            .get(&svc.log_groups, &key)?
            .ok_or(AwsError::from(LogsError::LogGroupNotFound))?;
        change(&mut g)?;
        txn.put(&svc.log_groups, &key, &g)?;
        Ok(g)
    })
}

pub(crate) fn put_retention(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    let days = input
        .get("retentionInDays")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !RETENTION_DAYS.contains(&days) {
        let set = RETENTION_DAYS.map(|d| d.to_string()).join(", ");
        return Err(invalid(format!(
            "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{set}]"
        )));
    }
    update_group(svc, ctx, name, |g| {
        g.retention_in_days = Some(days);
        Ok(())
    })?;
    retention::expire_group(svc, ctx, name)?;
    Ok(json!({}))
}

pub(crate) fn delete_retention(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    update_group(svc, ctx, name, |g| {
        g.retention_in_days = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// The group a tagging ARN names (`arn:aws:logs:…:log-group:name`).
fn group_of_arn(arn: &str) -> Result<&str, AwsError> {
    if !arn.starts_with("arn:") || !arn.contains(":log-group:") {
        return Err(invalid(format!(
            "Invalid resource arn: {arn} (Gureum's wording)"
        )));
    }
    Ok(name_from_identifier(arn))
}

fn add_tags(
    svc: &LogsService,
    ctx: &RequestContext,
    name: &str,
    tags: BTreeMap<String, String>,
) -> Result<(), AwsError> {
    update_group(svc, ctx, name, |g| {
        g.tags.extend(tags);
        if g.tags.len() > MAX_TAGS {
            return Err(LogsError::TooManyTags {
                arn: group_arn(ctx, name),
            }
            .into());
        }
        Ok(())
    })
    .map(drop)
}

fn remove_tags(
    svc: &LogsService,
    ctx: &RequestContext,
    name: &str,
    keys: &Value,
) -> Result<(), AwsError> {
    let keys: Vec<&str> = keys
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    update_group(svc, ctx, name, |g| {
        for k in keys {
            g.tags.remove(k);
        }
        Ok(())
    })
    .map(drop)
}

/// The destination a tagging ARN names, when it names one.
fn destination_of_arn(arn: &str) -> Option<&str> {
    arn.starts_with("arn:")
        .then(|| arn.split_once(":destination:").map(|(_, n)| n))
        .flatten()
}

pub(crate) fn tag_resource(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = str_member(input, "resourceArn").unwrap_or_default();
    if let Some(name) = destination_of_arn(arn) {
        let tags = tags_of(input);
        crate::destinations::update(svc, ctx, name, |d| {
            d.tags.extend(tags);
            if d.tags.len() > MAX_TAGS {
                return Err(LogsError::TooManyTags {
                    arn: arn.to_string(),
                }
                .into());
            }
            Ok(())
        })?;
        return Ok(json!({}));
    }
    let name = group_of_arn(arn)?;
    add_tags(svc, ctx, name, tags_of(input))?;
    Ok(json!({}))
}

pub(crate) fn untag_resource(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = str_member(input, "resourceArn").unwrap_or_default();
    if let Some(name) = destination_of_arn(arn) {
        let keys: Vec<String> = input["tagKeys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        crate::destinations::update(svc, ctx, name, |d| {
            keys.iter().for_each(|k| {
                d.tags.remove(k);
            });
            Ok(())
        })?;
        return Ok(json!({}));
    }
    let name = group_of_arn(arn)?;
    remove_tags(svc, ctx, name, &input["tagKeys"])?;
    Ok(json!({}))
}

pub(crate) fn list_tags_for_resource(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let arn = str_member(input, "resourceArn").unwrap_or_default();
    if let Some(name) = destination_of_arn(arn) {
        return Ok(json!({ "tags": crate::destinations::load(svc, ctx, name)?.tags }));
    }
    let name = group_of_arn(arn)?;
    Ok(json!({ "tags": load_group(svc, ctx, name)?.tags }))
}

pub(crate) fn tag_log_group(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    add_tags(svc, ctx, name, tags_of(input))?;
    Ok(json!({}))
}

pub(crate) fn untag_log_group(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    remove_tags(svc, ctx, name, &input["tags"])?;
    Ok(json!({}))
}

pub(crate) fn list_tags_log_group(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = str_member(input, "logGroupName").unwrap_or_default();
    Ok(json!({ "tags": load_group(svc, ctx, name)?.tags }))
}

pub(crate) fn put_data_protection(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ident = str_member(input, "logGroupIdentifier").unwrap_or_default();
    let document = str_member(input, "policyDocument").unwrap_or_default();
    let parsed: Value = serde_json::from_str(document).map_err(|_| {
        invalid("Invalid data protection policy document: it is not JSON (Gureum's wording).")
    })?;
    if parsed.get("Statement").and_then(Value::as_array).is_none() {
        return Err(invalid(
            "Invalid data protection policy document: Statement is required (Gureum's wording).",
        ));
    }
    let now = ctx.clock.now_millis();
    update_group(svc, ctx, name_from_identifier(ident), |g| {
        g.data_protection = Some(DataProtection {
            document: document.to_string(),
            updated: now,
        });
        Ok(())
    })?;
    Ok(json!({
        "logGroupIdentifier": ident,
        "policyDocument": document,
        "lastUpdatedTime": now,
    }))
}

pub(crate) fn get_data_protection(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ident = str_member(input, "logGroupIdentifier").unwrap_or_default();
    let g = load_group(svc, ctx, name_from_identifier(ident))?;
    let mut out = json!({ "logGroupIdentifier": ident });
    if let Some(p) = g.data_protection {
        out["policyDocument"] = json!(p.document);
        out["lastUpdatedTime"] = json!(p.updated);
    }
    Ok(out)
}

pub(crate) fn delete_data_protection(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ident = str_member(input, "logGroupIdentifier").unwrap_or_default();
    update_group(svc, ctx, name_from_identifier(ident), |g| {
        if g.data_protection.take().is_none() {
            return Err(LogsError::DataProtectionPolicyNotFound.into());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

pub(crate) fn put_deletion_protection(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ident = str_member(input, "logGroupIdentifier").unwrap_or_default();
    let on = input
        .get("deletionProtectionEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    update_group(svc, ctx, name_from_identifier(ident), |g| {
        g.deletion_protection = on;
        Ok(())
    })?;
    Ok(json!({}))
}

/// Refuses `resourceIdentifier` (the KMS key of query results, which
/// Gureum does not encrypt).
fn refuse_query_result_key(input: &Value) -> Result<(), AwsError> {
    if str_member(input, "resourceIdentifier").is_some() {
        return Err(invalid(
            "resourceIdentifier is not supported: Gureum does not encrypt query results.",
        ));
    }
    Ok(())
}

pub(crate) fn associate_kms_key(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    refuse_query_result_key(input)?;
    let name = str_member(input, "logGroupName").unwrap_or_default();
    let key = str_member(input, "kmsKeyId")
        .unwrap_or_default()
        .to_string();
    update_group(svc, ctx, name, |g| {
        g.kms_key_id = Some(key);
        Ok(())
    })?;
    Ok(json!({}))
}

pub(crate) fn disassociate_kms_key(
    svc: &LogsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    refuse_query_result_key(input)?;
    let name = str_member(input, "logGroupName").unwrap_or_default();
    update_group(svc, ctx, name, |g| {
        g.kms_key_id = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// Whether `name` matches a `ListLogGroups` pattern: alternatives joined by
/// `|`, each a case-sensitive substring, or a prefix when it starts with `^`.
fn matches_name_pattern(pattern: &str, name: &str) -> bool {
    pattern.split('|').any(|alt| match alt.strip_prefix('^') {
        Some(prefix) => name.starts_with(prefix),
        None => name.contains(alt),
    })
}

/// `ListLogGroups`: names by pattern, class and tags, in pages of up to
/// 1,000 (Gureum has no data sources or field indexes, so filtering on
/// them lists nothing).
pub(crate) fn list(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let pattern = str_member(input, "logGroupNamePattern");
    let class = str_member(input, "logGroupClass");
    let non_empty = |m: &str| {
        input
            .get(m)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    let other_accounts_only = input
        .get("accountIdentifiers")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            !a.is_empty()
                && !a
                    .iter()
                    .any(|x| x.as_str() == Some(ctx.account_id.as_str()))
        });
    if non_empty("dataSources") || non_empty("fieldIndexNames") || other_accounts_only {
        return Ok(json!({ "logGroups": [] }));
    }
    let tag_filters: Vec<(String, Vec<String>)> = input
        .get("logGroupTags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        str_member(f, "key").unwrap_or_default().to_string(),
                        f.get("values")
                            .and_then(Value::as_array)
                            .map(|v| {
                                v.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let request = PageRequest::new(
        input.get("limit").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 1000),
        1000,
    )
    .map_err(|e| match e {
        PagingError::SizeOutOfRange { given, .. } => AwsError::validation(format!(
            "1 validation error detected: Value '{given}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
        )),
        PagingError::BadToken(_) => invalid("The specified nextToken is invalid."),
    })?;
    let page = paging::page(
        &svc.log_groups,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, g: LogGroup| {
            let keep = pattern.is_none_or(|p| matches_name_pattern(p, &g.name))
                && class.is_none_or(|c| g.log_group_class == c)
                && tag_filters.iter().all(|(k, values)| {
                    g.tags
                        .get(k)
                        .is_some_and(|v| values.is_empty() || values.contains(v))
                });
            keep.then(|| {
                json!({
                    "logGroupName": g.name,
                    "logGroupArn": group_arn(ctx, &g.name),
                    "logGroupClass": g.log_group_class,
                })
            })
        },
    )?;
    let mut out = json!({ "logGroups": page.items });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
