//! Resource policies and tags (rotation is `rotation.rs`).

use crate::ids::{self, find, find_in, not_deleted};
use crate::secrets::tag_pairs;
use crate::{Secret, SecretsError, SecretsManagerService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The most tags a secret carries.
pub const MAX_TAGS: usize = 50;

/// Reads, changes and writes a secret in one transaction.
pub(crate) fn update(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
    change: impl FnOnce(&mut Secret) -> Result<(), AwsError>,
) -> Result<Secret, AwsError> {
    let id = str_member(input, "SecretId").unwrap_or_default();
    svc.store.write(|txn| {
        let mut secret = find_in(svc, ctx, txn, id)?;
        change(&mut secret)?;
        txn.put(&svc.secrets, &ids::key(ctx, &secret), &secret)?;
        Ok(secret)
    })
}

/// Checks a policy document is a JSON object with a `Statement`.
fn check_policy(text: &str) -> Result<(), AwsError> {
    let doc: Value = serde_json::from_str(text).map_err(|_| SecretsError::BadPolicy)?;
    if doc.get("Statement").is_none() {
        return Err(SecretsError::BadPolicy.into());
    }
    Ok(())
}

/// `PutResourcePolicy`.
pub(crate) fn put_resource_policy(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let text = str_member(input, "ResourcePolicy").unwrap_or_default();
    check_policy(text)?;
    let s = update(svc, ctx, input, |s| {
        not_deleted(s)?;
        s.policy = Some(text.to_string());
        Ok(())
    })?;
    Ok(json!({ "ARN": s.arn, "Name": s.name }))
}

/// `GetResourcePolicy`.
pub(crate) fn get_resource_policy(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let s = find(svc, ctx, str_member(input, "SecretId").unwrap_or_default())?;
    let mut out = json!({ "ARN": s.arn, "Name": s.name });
    if let Some(p) = &s.policy {
        out["ResourcePolicy"] = json!(p);
    }
    Ok(out)
}

/// `DeleteResourcePolicy`.
pub(crate) fn delete_resource_policy(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let s = update(svc, ctx, input, |s| {
        s.policy = None;
        Ok(())
    })?;
    Ok(json!({ "ARN": s.arn, "Name": s.name }))
}

/// `ValidateResourcePolicy`: the document's syntax (no findings beyond).
pub(crate) fn validate_resource_policy(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    if let Some(id) = str_member(input, "SecretId") {
        find(svc, ctx, id)?;
    }
    check_policy(str_member(input, "ResourcePolicy").unwrap_or_default())?;
    Ok(json!({ "PolicyValidationPassed": true, "ValidationErrors": [] }))
}

/// `TagResource`: adds or replaces.
pub(crate) fn tag_resource(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let new = tag_pairs(input);
    update(svc, ctx, input, |s| {
        for (k, v) in new {
            match s.tags.iter_mut().find(|(tk, _)| *tk == k) {
                Some(t) => t.1 = v,
                None => s.tags.push((k, v)),
            }
        }
        if s.tags.len() > MAX_TAGS {
            return Err(SecretsError::TooManyTags.into());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UntagResource`.
pub(crate) fn untag_resource(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let keys: Vec<&str> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    update(svc, ctx, input, |s| {
        s.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
        Ok(())
    })?;
    Ok(json!({}))
}
