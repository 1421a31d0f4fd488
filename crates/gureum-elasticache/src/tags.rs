//! Tags by ARN: `AddTagsToResource`, `RemoveTagsFromResource`,
//! `ListTagsForResource`.

use crate::input::{required, strings, tag_list};
use crate::{ElasticacheError, ElasticacheService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// Most tags on one resource.
const MAX_TAGS: usize = 50;

/// Sets `tags` on `arn` (merging with those it has).
pub fn set(
    svc: &ElasticacheService,
    arn: &str,
    tags: Vec<(String, String)>,
) -> Result<(), AwsError> {
    if tags.is_empty() {
        return Ok(());
    }
    let mut current = svc.tags.get(arn)?.unwrap_or_default();
    for (k, v) in tags {
        match current.iter_mut().find(|(ck, _)| *ck == k) {
            Some(slot) => slot.1 = v,
            None => current.push((k, v)),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(ElasticacheError::value(format!(
            "A resource can have at most {MAX_TAGS} tags."
        ))
        .into());
    }
    svc.tags.put(arn, &current)?;
    Ok(())
}

/// Forgets a deleted resource's tags.
pub fn drop_all(svc: &ElasticacheService, arn: &str) -> Result<(), AwsError> {
    svc.tags.delete(arn)?;
    Ok(())
}

/// Checks that `arn` names an existing resource of the caller's region.
fn check_resource(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    arn: &str,
) -> Result<(), AwsError> {
    let invalid = || {
        AwsError::from(ElasticacheError::InvalidArn {
            arn: arn.to_string(),
        })
    };
    let prefix = format!("arn:aws:elasticache:{}:{}:", ctx.region, ctx.account_id);
    let rest = arn.strip_prefix(&prefix).ok_or_else(invalid)?;
    let (kind, name) = rest.split_once(':').ok_or_else(invalid)?;
    let key = Scope::regional(ctx).key(name);
    let exists = match kind {
        "cluster" => svc.clusters.contains(&key)?,
        "replicationgroup" => svc.groups.contains(&key)?,
        "subnetgroup" => svc.subnet_groups.contains(&key)?,
        "parametergroup" => svc.parameter_groups.contains(&key)?,
        "snapshot" => svc.snapshots.contains(&key)?,
        "user" => svc.users.contains(&key)?,
        "usergroup" => svc.user_groups.contains(&key)?,
        "serverlesscache" => svc.serverless.contains(&key)?,
        _ => return Err(invalid()),
    };
    if exists {
        return Ok(());
    }
    Err(match kind {
        "cluster" => ElasticacheError::CacheClusterNotFound { id: name.into() },
        "replicationgroup" => ElasticacheError::ReplicationGroupNotFound { id: name.into() },
        "subnetgroup" => ElasticacheError::CacheSubnetGroupNotFound { name: name.into() },
        "parametergroup" => ElasticacheError::CacheParameterGroupNotFound { name: name.into() },
        "user" => ElasticacheError::UserNotFound { id: name.into() },
        "usergroup" => ElasticacheError::UserGroupNotFound { id: name.into() },
        "serverlesscache" => ElasticacheError::ServerlessCacheNotFound { name: name.into() },
        _ => ElasticacheError::SnapshotNotFound { name: name.into() },
    }
    .into())
}

fn tag_view(svc: &ElasticacheService, arn: &str) -> Result<Value, AwsError> {
    let tags = svc.tags.get(arn)?.unwrap_or_default();
    Ok(
        json!({ "TagList": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>() }),
    )
}

/// `AddTagsToResource`.
pub(crate) fn add(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = required(input, "ResourceName")?;
    check_resource(svc, ctx, arn)?;
    set(svc, arn, tag_list(input))?;
    tag_view(svc, arn)
}

/// `RemoveTagsFromResource`.
pub(crate) fn remove(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = required(input, "ResourceName")?;
    check_resource(svc, ctx, arn)?;
    let keys = strings(input, "TagKeys");
    let mut current = svc.tags.get(arn)?.unwrap_or_default();
    for k in &keys {
        if !current.iter().any(|(ck, _)| ck == k) {
            return Err(ElasticacheError::TagNotFound { key: k.clone() }.into());
        }
    }
    current.retain(|(k, _)| !keys.contains(k));
    svc.tags.put(arn, &current)?;
    tag_view(svc, arn)
}

/// `ListTagsForResource`.
pub(crate) fn list(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = required(input, "ResourceName")?;
    check_resource(svc, ctx, arn)?;
    tag_view(svc, arn)
}
