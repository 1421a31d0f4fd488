//! Tags on file systems (the legacy `CreateTags`/`DeleteTags`/
//! `DescribeTags`) and on file systems and access points
//! (`TagResource`/`UntagResource`/`ListTagsForResource`).

use crate::file_systems::{tag_list, tag_values};
use crate::{efs_error, EfsService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// Sets `new` over `tags`, keeping the order of first use.
fn merge(tags: &mut Vec<(String, String)>, new: Vec<(String, String)>) {
    for (k, v) in new {
        match tags.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => tags.push((k, v)),
        }
    }
}

/// Applies `f` to the tags of the file system or access point `id`.
fn with_tags<R>(
    svc: &EfsService,
    ctx: &RequestContext,
    id: &str,
    write: bool,
    f: impl FnOnce(&mut Vec<(String, String)>) -> R,
) -> Result<R, AwsError> {
    let scope = Scope::regional(ctx);
    let key = scope.key(id);
    svc.store.write(|txn| {
        if id.starts_with("fsap-") {
            let mut ap = txn
                .get(&svc.access_points, &key)?
                .ok_or_else(|| AwsError::from(efs_error!(AccessPointNotFound { id: id })))?;
            let out = f(&mut ap.tags);
            if write {
                txn.put(&svc.access_points, &key, &ap)?;
            }
            return Ok(out);
        }
        let mut fs = txn
            .get(&svc.file_systems, &key)?
            .ok_or_else(|| AwsError::from(efs_error!(FileSystemNotFound { id: id })))?;
        let out = f(&mut fs.tags);
        if write {
            txn.put(&svc.file_systems, &key, &fs)?;
        }
        Ok(out)
    })
}

fn fs_id(input: &Value) -> &str {
    input["FileSystemId"].as_str().unwrap_or_default()
}

fn resource_id(input: &Value) -> &str {
    input["ResourceId"].as_str().unwrap_or_default()
}

fn keys(input: &Value) -> Vec<String> {
    input["TagKeys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(String::from))
        .collect()
}

/// `CreateTags`.
pub(crate) fn create_tags(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let new = tag_list(&input["Tags"]);
    with_tags(svc, ctx, fs_id(input), true, |t| merge(t, new))?;
    Ok(json!({}))
}

/// `DeleteTags`.
pub(crate) fn delete_tags(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let gone = keys(input);
    with_tags(svc, ctx, fs_id(input), true, |t| {
        t.retain(|(k, _)| !gone.contains(k))
    })?;
    Ok(json!({}))
}

/// `DescribeTags` (every tag in one page).
pub(crate) fn describe_tags(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let tags = with_tags(svc, ctx, fs_id(input), false, |t| tag_values(t))?;
    Ok(json!({ "Tags": tags }))
}

/// `TagResource`.
pub(crate) fn tag_resource(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let new = tag_list(&input["Tags"]);
    with_tags(svc, ctx, resource_id(input), true, |t| merge(t, new))?;
    Ok(json!({}))
}

/// `UntagResource`.
pub(crate) fn untag_resource(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let gone = keys(input);
    with_tags(svc, ctx, resource_id(input), true, |t| {
        t.retain(|(k, _)| !gone.contains(k))
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource` (every tag in one page).
pub(crate) fn list_tags_for_resource(
    svc: &EfsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let tags = with_tags(svc, ctx, resource_id(input), false, |t| tag_values(t))?;
    Ok(json!({ "Tags": tags }))
}
