//! Multi-Region keys: one key id (`mrk-…`) and the same key material in
//! several regions of an account, so a ciphertext made in one region
//! decrypts in another. `CreateKey` with `MultiRegion` makes the primary;
//! `ReplicateKey` copies it (material re-sealed for the replica's region,
//! since sealed material is bound to its key's place); rotating the
//! primary copies the new material to every replica. The set's regions
//! are kept on every key of it ([`MultiRegion`]).
//!
//! `UpdatePrimaryRegion` makes a replica the primary. Not yet: AWS's rule
//! that a primary waits for its replicas' deletion
//! (`PendingReplicaDeletion`): here each key of the set is deleted on its
//! own schedule.

use crate::keys::{default_policy, material_owner, metadata};
use crate::resolve::{key_arn, live, not_pending, resolve_in};
use crate::{master, KeyRecord, KmsError, KmsService, Material, MultiRegion};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// `MultiRegionConfiguration` of the key `id` seen from `scope`.
pub(crate) fn configuration(scope: Scope<'_>, id: &str, mr: &MultiRegion) -> Value {
    let account = scope.account();
    let key = |region: &str| json!({ "Arn": format!("arn:aws:kms:{region}:{account}:key/{id}"), "Region": region });
    let kind = if scope.region() == Some(mr.primary.as_str()) {
        "PRIMARY"
    } else {
        "REPLICA"
    };
    json!({
        "MultiRegionKeyType": kind,
        "PrimaryKey": key(&mr.primary),
        "ReplicaKeys": mr.replicas.iter().map(|r| key(r)).collect::<Vec<_>>(),
    })
}

/// Whether `rec`, read in `scope`, is a replica (its primary elsewhere).
pub(crate) fn is_replica(scope: Scope<'_>, rec: &KeyRecord) -> bool {
    rec.multi_region
        .as_ref()
        .is_some_and(|mr| scope.region() != Some(mr.primary.as_str()))
}

/// `materials` of key `id`, opened where they are sealed (`from`) and
/// sealed again for `to`.
fn reseal(
    svc: &KmsService,
    id: &str,
    materials: &[Material],
    from: Scope<'_>,
    to: Scope<'_>,
) -> Result<Vec<Material>, AwsError> {
    materials
        .iter()
        .map(|m| {
            let bytes = master::open(svc, &material_owner(from, id, &m.id), &m.sealed)?;
            Ok(Material {
                sealed: master::seal(svc, &material_owner(to, id, &m.id), &bytes)?,
                ..m.clone()
            })
        })
        .collect()
}

fn unsupported(what: String) -> AwsError {
    KmsError::Unsupported { what }.into()
}

/// `ReplicateKey`: a replica of a multi-Region primary key in another
/// region, with its own description, policy and tags.
pub(crate) fn replicate_key(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let region = str_member(input, "ReplicaRegion").unwrap_or_default();
    if gureum_core::region::find(region).is_none() {
        return Err(unsupported(format!(
            "{region} is not a Region Gureum knows."
        )));
    }
    if let Some(policy) = str_member(input, "Policy") {
        crate::settings::check_policy(policy)?;
    }
    let tags = crate::settings::tags_from(input)?;
    let target = Scope::Region {
        account: scope.account(),
        region,
    };
    let given = str_member(input, "KeyId").unwrap_or_default();
    let replica = svc.store.write(|txn| -> Result<KeyRecord, AwsError> {
        let mut primary = resolve_in(svc, txn, ctx, given, Some("kms:ReplicateKey"))?;
        let arn = key_arn(scope, &primary.id);
        let Some(mr) = primary.multi_region.clone() else {
            return Err(unsupported(format!("{arn} is not a multi-Region key.")));
        };
        if mr.primary != ctx.region {
            return Err(unsupported(format!(
                "{arn} is a replica key; replicate its primary key in {}.",
                mr.primary
            )));
        }
        not_pending(scope, &primary)?;
        if region == ctx.region || mr.replicas.iter().any(|r| r == region) {
            return Err(KmsError::ReplicaExists {
                arn: key_arn(target, &primary.id),
            }
            .into());
        }
        let mut set = mr.clone();
        set.replicas.push(region.to_string());
        let replica = KeyRecord {
            materials: reseal(svc, &primary.id, &primary.materials, scope, target)?,
            id: primary.id.clone(),
            created_ms: now,
            description: str_member(input, "Description").unwrap_or_default().into(),
            key_usage: primary.key_usage.clone(),
            key_spec: primary.key_spec.clone(),
            key_manager: "CUSTOMER".into(),
            state: "Enabled".into(),
            deletion_ms: None,
            rotation_enabled: primary.rotation_enabled,
            rotation_days: primary.rotation_days,
            rotation_since_ms: primary.rotation_since_ms,
            policy: str_member(input, "Policy")
                .map(str::to_string)
                .unwrap_or_else(|| default_policy(scope.account())),
            tags: tags.clone(),
            origin: primary.origin.clone(),
            expiration_model: None,
            valid_to_ms: None,
            imported_material_id: None,
            multi_region: Some(set.clone()),
        };
        txn.put(&svc.keys, &target.key(&replica.id), &replica)?;
        // Every key of the set learns the new replica.
        for other in &mr.replicas {
            let at = Scope::Region {
                account: scope.account(),
                region: other,
            };
            if let Some(mut rec) = txn.get(&svc.keys, &at.key(&primary.id))? {
                rec.multi_region = Some(set.clone());
                txn.put(&svc.keys, &at.key(&primary.id), &rec)?;
            }
        }
        primary.multi_region = Some(set);
        txn.put(&svc.keys, &scope.key(&primary.id), &primary)?;
        Ok(replica)
    })?;
    let tags: Vec<Value> = replica
        .tags
        .iter()
        .map(|(k, v)| json!({ "TagKey": k, "TagValue": v }))
        .collect();
    Ok(json!({
        "ReplicaKeyMetadata": metadata(target, &replica),
        "ReplicaPolicy": replica.policy,
        "ReplicaTags": tags,
    }))
}

/// Copies the primary `rec`'s material versions that its replicas lack
/// (after a rotation), with its rotation settings.
pub(crate) fn sync_replicas(
    svc: &KmsService,
    ctx: &RequestContext,
    rec: &KeyRecord,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let Some(mr) = rec
        .multi_region
        .as_ref()
        .filter(|_| !is_replica(scope, rec))
    else {
        return Ok(());
    };
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> Result<(), AwsError> {
        for region in &mr.replicas {
            let at = Scope::Region {
                account: scope.account(),
                region,
            };
            let Some(mut replica) = txn
                .get(&svc.keys, &at.key(&rec.id))?
                .and_then(|r| live(r, now))
            else {
                continue;
            };
            let missing: Vec<Material> = rec
                .materials
                .iter()
                .filter(|m| !replica.materials.iter().any(|r| r.id == m.id))
                .cloned()
                .collect();
            replica
                .materials
                .extend(reseal(svc, &rec.id, &missing, scope, at)?);
            replica.rotation_enabled = rec.rotation_enabled;
            replica.rotation_days = rec.rotation_days;
            replica.rotation_since_ms = rec.rotation_since_ms;
            txn.put(&svc.keys, &at.key(&rec.id), &replica)?;
        }
        Ok(())
    })
}

/// `UpdatePrimaryRegion`: the replica in `PrimaryRegion` becomes the
/// primary and the primary a replica, on every key of the set.
pub(crate) fn update_primary_region(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let region = str_member(input, "PrimaryRegion").unwrap_or_default();
    let given = str_member(input, "KeyId").unwrap_or_default();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let primary = resolve_in(svc, txn, ctx, given, Some("kms:UpdatePrimaryRegion"))?;
        let arn = key_arn(scope, &primary.id);
        let Some(mr) = primary.multi_region.clone() else {
            return Err(unsupported(format!("{arn} is not a multi-Region key.")));
        };
        if mr.primary != ctx.region {
            return Err(unsupported(format!(
                "{arn} is a replica key; update the primary Region from its primary key in {}.",
                mr.primary
            )));
        }
        not_pending(scope, &primary)?;
        if !mr.replicas.iter().any(|r| r == region) {
            return Err(unsupported(format!("{arn} has no replica in {region}.")));
        }
        let mut replicas: Vec<String> = mr
            .replicas
            .iter()
            .filter(|r| *r != region)
            .cloned()
            .collect();
        replicas.push(mr.primary.clone());
        let set = MultiRegion {
            primary: region.to_string(),
            replicas,
        };
        for r in std::iter::once(&mr.primary).chain(&mr.replicas) {
            let at = Scope::Region {
                account: scope.account(),
                region: r,
            };
            if let Some(mut rec) = txn.get(&svc.keys, &at.key(&primary.id))? {
                rec.multi_region = Some(set.clone());
                txn.put(&svc.keys, &at.key(&primary.id), &rec)?;
            }
        }
        Ok(())
    })?;
    Ok(json!({}))
}
