//! A key's settings: tags, its key policy, its description and rotation
//! (automatic, settled lazily on Gureum's clock, and on demand).

use crate::keys::{self, customer_managed, DAY_MS};
use crate::resolve::{self, key_arn, not_pending, update, usable};
use crate::{KeyRecord, KmsError, KmsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::page_sorted;
use serde_json::json;

/// At most this many automatic rotations are made up at once (a clock
/// advanced by centuries must not make a key of thousands of versions).
const MAX_CATCH_UP: i64 = 16;

fn key_id(input: &Value) -> &str {
    str_member(input, "KeyId").unwrap_or_default()
}

/// The `Tags` of an input, refusing AWS's reserved `aws:` prefix.
pub(crate) fn tags_from(input: &Value) -> Result<Vec<(String, String)>, AwsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in input
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let k = str_member(t, "TagKey").unwrap_or_default();
        let v = str_member(t, "TagValue").unwrap_or_default();
        if k.starts_with("aws:") {
            return Err(KmsError::ReservedTag.into());
        }
        match out.iter_mut().find(|(ek, _)| ek == k) {
            Some(e) => e.1 = v.into(),
            None => out.push((k.into(), v.into())),
        }
    }
    Ok(out)
}

/// `TagResource`: adds tags, replacing the values of existing keys.
pub(crate) fn tag_resource(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let tags = tags_from(input)?;
    update(
        svc,
        ctx,
        key_id(input),
        "kms:TagResource",
        |rec, scope, _| {
            not_pending(scope, rec)?;
            for (k, v) in tags {
                match rec.tags.iter_mut().find(|(ek, _)| *ek == k) {
                    Some(e) => e.1 = v,
                    None => rec.tags.push((k, v)),
                }
            }
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// `UntagResource`.
pub(crate) fn untag_resource(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let keys: Vec<&str> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    update(
        svc,
        ctx,
        key_id(input),
        "kms:UntagResource",
        |rec, scope, _| {
            not_pending(scope, rec)?;
            rec.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// `ListResourceTags`, in tag key order.
pub(crate) fn list_resource_tags(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let rec = resolve::resolve(svc, ctx, key_id(input), "kms:ListResourceTags")?;
    let request = keys::page_request(input)?;
    let page = page_sorted(&rec.tags, |(k, _)| k.clone(), &request);
    let items = page
        .items
        .iter()
        .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
        .collect();
    Ok(keys::list_out("Tags", items, page.next_token))
}

/// A policy name, which KMS only has one of.
fn policy_name(input: &Value) -> Result<(), AwsError> {
    match str_member(input, "PolicyName") {
        None | Some("default") => Ok(()),
        Some(_) => Err(KmsError::NoSuchPolicy.into()),
    }
}

/// `GetKeyPolicy`.
pub(crate) fn get_key_policy(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    policy_name(input)?;
    let rec = resolve::resolve(svc, ctx, key_id(input), "kms:GetKeyPolicy")?;
    Ok(json!({ "Policy": rec.policy, "PolicyName": "default" }))
}

/// Refuses a policy document that is not a valid IAM policy.
pub(crate) fn check_policy(policy: &str) -> Result<(), AwsError> {
    gureum_policy::Policy::parse(policy)
        .map(|_| ())
        .map_err(|_| KmsError::MalformedPolicy.into())
}

/// `PutKeyPolicy`: a valid policy that still lets the caller put the key
/// policy later (AWS's lockout safety check), unless
/// `BypassPolicyLockoutSafetyCheck`.
pub(crate) fn put_key_policy(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    policy_name(input)?;
    let policy = str_member(input, "Policy").unwrap_or_default().to_string();
    check_policy(&policy)?;
    let bypass = input
        .get("BypassPolicyLockoutSafetyCheck")
        .and_then(Value::as_bool)
        == Some(true);
    update(
        svc,
        ctx,
        key_id(input),
        "kms:PutKeyPolicy",
        |rec, scope, _| {
            not_pending(scope, rec)?;
            customer_managed(scope, rec)?;
            let previous = std::mem::replace(&mut rec.policy, policy);
            if !bypass
                && svc
                    .authorize_key(ctx, rec, "kms:PutKeyPolicy".into())
                    .is_err()
            {
                rec.policy = previous;
                return Err(KmsError::Lockout.into());
            }
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// `ListKeyPolicies`: always `default`.
pub(crate) fn list_key_policies(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    resolve::resolve(svc, ctx, key_id(input), "kms:ListKeyPolicies")?;
    Ok(keys::list_out("PolicyNames", vec![json!("default")], None))
}

/// `UpdateKeyDescription`.
pub(crate) fn update_description(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let description = str_member(input, "Description")
        .unwrap_or_default()
        .to_string();
    update(
        svc,
        ctx,
        key_id(input),
        "kms:UpdateKeyDescription",
        |rec, scope, _| {
            not_pending(scope, rec)?;
            rec.description = description;
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// Refuses rotation of keys that cannot rotate (only symmetric
/// encryption keys can).
fn rotatable(scope: Scope<'_>, rec: &KeyRecord) -> Result<(), AwsError> {
    // Imported material is rotated by importing, not by KMS.
    if rec.key_spec != "SYMMETRIC_DEFAULT" || rec.origin != "AWS_KMS" {
        return Err(KmsError::Unsupported {
            what: format!(
                "{} does not support automatic key rotation.",
                key_arn(scope, &rec.id)
            ),
        }
        .into());
    }
    Ok(())
}

/// Refuses rotation changes on a multi-Region replica: its primary
/// rotates, and the replicas get the material.
fn not_replica(scope: Scope<'_>, rec: &KeyRecord) -> Result<(), AwsError> {
    if crate::multi_region::is_replica(scope, rec) {
        return Err(KmsError::Unsupported {
            what: format!(
                "{} is a multi-Region replica key; change rotation on its primary key.",
                key_arn(scope, &rec.id)
            ),
        }
        .into());
    }
    Ok(())
}

/// When the next automatic rotation is due.
fn next_rotation(rec: &KeyRecord) -> Option<i64> {
    let since = rec.rotation_since_ms?;
    rec.rotation_enabled
        .then_some(since + rec.rotation_days * DAY_MS)
}

/// The key with the automatic rotations that have fallen due on Gureum's
/// clock made (new material versions dated when they were due).
pub(crate) fn settle_rotation(
    svc: &KmsService,
    ctx: &RequestContext,
    rec: KeyRecord,
) -> Result<KeyRecord, AwsError> {
    let now = ctx.clock.now_millis();
    let replica = crate::multi_region::is_replica(Scope::regional(ctx), &rec);
    if replica || next_rotation(&rec).is_none_or(|due| due > now) {
        return Ok(rec);
    }
    let rec = resolve::update_with(svc, ctx, &rec.id, None, |rec, scope, now| {
        let mut made = 0;
        while let Some(due) = next_rotation(rec).filter(|due| *due <= now) {
            if made < MAX_CATCH_UP {
                let m = keys::new_material(svc, scope, &rec.id, due, Some("AUTOMATIC"))?;
                rec.materials.push(m);
                made += 1;
            }
            rec.rotation_since_ms = Some(due);
        }
        Ok(rec.clone())
    })?;
    crate::multi_region::sync_replicas(svc, ctx, &rec)?;
    Ok(rec)
}

/// `GetKeyRotationStatus`.
pub(crate) fn rotation_status(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let rec = resolve::resolve(svc, ctx, key_id(input), "kms:GetKeyRotationStatus")?;
    rotatable(scope, &rec)?;
    let rec = settle_rotation(svc, ctx, rec)?;
    let mut out = serde_json::Map::new();
    out.insert("KeyRotationEnabled".into(), json!(rec.rotation_enabled));
    out.insert("KeyId".into(), json!(key_arn(scope, &rec.id)));
    if let Some(next) = next_rotation(&rec) {
        out.insert("RotationPeriodInDays".into(), json!(rec.rotation_days));
        out.insert("NextRotationDate".into(), json!(next as f64 / 1000.0));
    }
    Ok(Value::Object(out))
}

/// `EnableKeyRotation` (`RotationPeriodInDays` 90–2560, 365 by default) /
/// `DisableKeyRotation`.
pub(crate) fn set_rotation(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
    enabled: bool,
) -> OpResult {
    let days = input
        .get("RotationPeriodInDays")
        .and_then(Value::as_i64)
        .unwrap_or(365);
    if enabled && !(90..=2560).contains(&days) {
        let bound = if days < 90 {
            "greater than or equal to 90"
        } else {
            "less than or equal to 2560"
        };
        return Err(CommonError::ValidationException {
            message: format!("1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value {bound}"),
        }
        .into());
    }
    let action = format!(
        "kms:{}",
        if enabled {
            "EnableKeyRotation"
        } else {
            "DisableKeyRotation"
        }
    );
    let rec = update(svc, ctx, key_id(input), &action, |rec, scope, now| {
        usable(scope, rec)?;
        rotatable(scope, rec)?;
        not_replica(scope, rec)?;
        customer_managed(scope, rec)?;
        rec.rotation_enabled = enabled;
        if enabled {
            rec.rotation_days = days;
            rec.rotation_since_ms = Some(now);
        }
        Ok(rec.clone())
    })?;
    crate::multi_region::sync_replicas(svc, ctx, &rec)?;
    Ok(json!({}))
}

/// `RotateKeyOnDemand`: a new material version at once; older
/// ciphertexts keep decrypting with the versions they name.
pub(crate) fn rotate_on_demand(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = update(
        svc,
        ctx,
        key_id(input),
        "kms:RotateKeyOnDemand",
        |rec, scope, now| {
            usable(scope, rec)?;
            rotatable(scope, rec)?;
            not_replica(scope, rec)?;
            customer_managed(scope, rec)?;
            let m = keys::new_material(svc, scope, &rec.id, now, Some("ON_DEMAND"))?;
            rec.materials.push(m);
            Ok(rec.clone())
        },
    )?;
    crate::multi_region::sync_replicas(svc, ctx, &id)?;
    Ok(json!({ "KeyId": id.id }))
}

/// `ListKeyRotations`: the rotations made, oldest first.
pub(crate) fn list_rotations(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let rec = resolve::resolve(svc, ctx, key_id(input), "kms:ListKeyRotations")?;
    rotatable(scope, &rec)?;
    let rec = settle_rotation(svc, ctx, rec)?;
    let rotations: Vec<_> = rec
        .materials
        .iter()
        .enumerate()
        .filter(|(_, m)| m.rotation_type.is_some())
        .collect();
    let request = keys::page_request(input)?;
    // Zero-padded position: page order is rotation order.
    let page = page_sorted(&rotations, |(i, _)| format!("{i:08}"), &request);
    let items = page
        .items
        .iter()
        .map(|(_, m)| {
            json!({
                "KeyId": rec.id,
                "KeyMaterialId": m.id,
                "RotationDate": m.created_ms as f64 / 1000.0,
                "RotationType": m.rotation_type,
            })
        })
        .collect();
    Ok(keys::list_out("Rotations", items, page.next_token))
}
