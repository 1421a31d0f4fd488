//! Tags on parameters (`ResourceType` `Parameter`, `ResourceId` the
//! name). Other resource types are SSM resources Gureum does not hold,
//! so no id of theirs exists: they answer `InvalidResourceId`.

use crate::write::tag_pairs;
use crate::{Parameter, SsmError, SsmService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The most tags a parameter carries.
pub const MAX_TAGS: usize = 50;

/// The state key of the parameter an input names.
fn parameter_key(ctx: &RequestContext, input: &Value) -> Result<String, AwsError> {
    if str_member(input, "ResourceType") != Some("Parameter") {
        return Err(SsmError::BadResourceId.into());
    }
    let id = str_member(input, "ResourceId").unwrap_or_default();
    Ok(Scope::regional(ctx).key(id))
}

/// Reads, changes and writes a parameter's tags in one transaction.
fn update(
    svc: &SsmService,
    now: i64,
    key: &str,
    change: impl FnOnce(&mut Parameter) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    svc.store.write(|txn| {
        let mut p = txn
            .get(&svc.parameters, key)?
            .filter(|p| !p.expired(now))
            .ok_or(SsmError::BadResourceId)?;
        change(&mut p)?;
        txn.put(&svc.parameters, key, &p)?;
        Ok(())
    })
}

/// `AddTagsToResource`: adds or replaces.
pub(crate) fn add_tags(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let key = parameter_key(ctx, input)?;
    let new = tag_pairs(input);
    update(svc, ctx.clock.now_millis(), &key, |p| {
        for (k, v) in new {
            match p.tags.iter_mut().find(|(tk, _)| *tk == k) {
                Some(t) => t.1 = v,
                None => p.tags.push((k, v)),
            }
        }
        if p.tags.len() > MAX_TAGS {
            return Err(SsmError::TooManyTags.into());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RemoveTagsFromResource`.
pub(crate) fn remove_tags(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let key = parameter_key(ctx, input)?;
    let keys: Vec<&str> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    update(svc, ctx.clock.now_millis(), &key, |p| {
        p.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub(crate) fn list_tags(svc: &SsmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let key = parameter_key(ctx, input)?;
    let p = svc
        .parameters
        .get(&key)?
        .filter(|p| !p.expired(ctx.clock.now_millis()))
        .ok_or(SsmError::BadResourceId)?;
    let tags: Vec<Value> = p
        .tags
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    Ok(json!({ "TagList": tags }))
}
