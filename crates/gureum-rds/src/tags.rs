//! Tags on instances, snapshots and parameter groups, by ARN.

use crate::errors::invalid_value;
use crate::{s, strings, RdsError, RdsService, Tag};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The `Tags` member of an input.
pub(crate) fn parse(input: &Value) -> Vec<Tag> {
    gureum_core::member::member(input, "Tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| Tag {
                    key: s(t, "Key").unwrap_or("").to_string(),
                    value: s(t, "Value").unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Applies `f` to the tags of the resource `arn` names.
fn with_tags(
    svc: &RdsService,
    ctx: &RequestContext,
    arn: &str,
    f: impl FnOnce(&mut Vec<Tag>),
) -> Result<Vec<Tag>, AwsError> {
    let prefix = format!("arn:aws:rds:{}:{}:", ctx.region, ctx.account_id);
    let rest = arn.strip_prefix(&prefix).unwrap_or("");
    let (kind, name) = rest.split_once(':').unwrap_or(("", ""));
    let key = Scope::regional(ctx).key(&name.to_ascii_lowercase());
    match kind {
        "db" => {
            let inst = crate::instances::update(svc, &key, name, |i| {
                f(&mut i.tags);
                Ok(())
            })?;
            Ok(inst.tags)
        }
        "snapshot" => svc.store.write(|txn| -> Result<Vec<Tag>, AwsError> {
            let Some(mut snap) = txn.get(&svc.snapshots, &key)? else {
                return Err(RdsError::DbSnapshotNotFound {
                    id: name.to_string(),
                }
                .into());
            };
            f(&mut snap.tags);
            txn.put(&svc.snapshots, &key, &snap)?;
            Ok(snap.tags)
        }),
        "pg" => svc.store.write(|txn| -> Result<Vec<Tag>, AwsError> {
            let Some(mut g) = txn.get(&svc.parameter_groups, &key)? else {
                return Err(RdsError::DbParameterGroupNotFound {
                    name: name.to_string(),
                }
                .into());
            };
            f(&mut g.tags);
            txn.put(&svc.parameter_groups, &key, &g)?;
            Ok(g.tags)
        }),
        "subgrp" => svc.store.write(|txn| -> Result<Vec<Tag>, AwsError> {
            let Some(mut g) = txn.get(&svc.subnet_groups, &key)? else {
                return Err(RdsError::DbSubnetGroupNotFound {
                    name: name.to_string(),
                }
                .into());
            };
            f(&mut g.tags);
            txn.put(&svc.subnet_groups, &key, &g)?;
            Ok(g.tags)
        }),
        _ => Err(invalid_value(
            "The specified resource name does not match an RDS resource in this region.",
        )),
    }
}

pub(crate) fn add(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = s(input, "ResourceName").unwrap_or("");
    let new = parse(input);
    with_tags(svc, ctx, arn, |tags| {
        for t in new {
            tags.retain(|old| old.key != t.key);
            tags.push(t);
        }
    })?;
    Ok(json!({}))
}

pub(crate) fn remove(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = s(input, "ResourceName").unwrap_or("");
    let keys = strings(input, "TagKeys");
    with_tags(svc, ctx, arn, |tags| {
        tags.retain(|t| !keys.contains(&t.key))
    })?;
    Ok(json!({}))
}

pub(crate) fn list(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = s(input, "ResourceName").unwrap_or("");
    let tags = with_tags(svc, ctx, arn, |_| {})?;
    Ok(json!({
        "TagList": tags.iter().map(|t| json!({"Key": t.key, "Value": t.value})).collect::<Vec<_>>(),
    }))
}
