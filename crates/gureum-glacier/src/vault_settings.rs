//! What a vault carries besides archives: tags, its access policy, its
//! notification configuration, its vault lock; and the account's data
//! retrieval policy.

use crate::vaults::{self, name_of};
use crate::{GlacierError, GlacierService, Vault, VaultLock};
use gureum_core::timestamp::format_iso8601;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// How long a lock stays `InProgress` before it lapses (24 hours).
const LOCK_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// The events a vault may notify of.
const EVENTS: &[&str] = &["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"];

/// Changes the vault named in `input` in one transaction.
fn update<R>(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
    f: impl FnOnce(&mut Vault, &Scope<'_>) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    svc.store.write(|txn| {
        let key = scope.key(name);
        let mut vault = txn.get(&svc.vaults, &key)?.ok_or_else(|| {
            AwsError::from(GlacierError::VaultNotFound {
                arn: vaults::arn(&scope, name),
            })
        })?;
        let out = f(&mut vault, &scope)?;
        txn.put(&svc.vaults, &key, &vault)?;
        Ok(out)
    })
}

fn read(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> Result<(Vault, String), AwsError> {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    Ok((vaults::load(svc, &scope, name)?, vaults::arn(&scope, name)))
}

fn missing(what: &str, arn: String) -> AwsError {
    GlacierError::NoPolicy {
        what: what.into(),
        arn,
    }
    .into()
}

/// `AddTagsToVault`: at most 50 tags a vault.
pub(crate) fn add_tags(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let tags = input["Tags"].as_object().cloned().unwrap_or_default();
    update(svc, ctx, input, |vault, _| {
        for (k, v) in tags {
            vault
                .tags
                .insert(k, v.as_str().unwrap_or_default().to_string());
        }
        if vault.tags.len() > 50 {
            return Err(GlacierError::TooManyTags.into());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RemoveTagsFromVault`.
pub(crate) fn remove_tags(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let keys = input["TagKeys"].as_array().cloned().unwrap_or_default();
    update(svc, ctx, input, |vault, _| {
        for k in keys.iter().filter_map(Value::as_str) {
            vault.tags.remove(k);
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListTagsForVault`.
pub(crate) fn list_tags(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (vault, _) = read(svc, ctx, input)?;
    Ok(json!({ "Tags": vault.tags }))
}

/// The policy document of a `{"Policy": "…"}` payload, which must be JSON.
fn policy_text(payload: &Value) -> Result<String, AwsError> {
    let text = payload["Policy"].as_str().unwrap_or_default();
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object)
        .map(|_| text.to_string())
        .ok_or_else(|| {
            GlacierError::InvalidParameter {
                message: "Policy document is not a valid JSON".into(),
            }
            .into()
        })
}

/// `SetVaultAccessPolicy`.
pub(crate) fn set_access_policy(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let policy = policy_text(&input["policy"])?;
    update(svc, ctx, input, |vault, _| {
        vault.access_policy = Some(policy);
        Ok(())
    })?;
    Ok(json!({}))
}

/// `GetVaultAccessPolicy`.
pub(crate) fn get_access_policy(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let (vault, arn) = read(svc, ctx, input)?;
    let policy = vault
        .access_policy
        .ok_or_else(|| missing("access policy", arn))?;
    Ok(json!({ "policy": { "Policy": policy } }))
}

/// `DeleteVaultAccessPolicy` (idempotent).
pub(crate) fn delete_access_policy(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    update(svc, ctx, input, |vault, _| {
        vault.access_policy = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `SetVaultNotifications`: a topic ARN and events from [`EVENTS`].
pub(crate) fn set_notifications(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let config = &input["vaultNotificationConfig"];
    let topic = config["SNSTopic"].as_str().unwrap_or_default().to_string();
    if !topic.starts_with("arn:aws:sns:") {
        return Err(GlacierError::InvalidParameter {
            message: format!("Invalid SNS topic ARN: {topic}"),
        }
        .into());
    }
    let mut events = Vec::new();
    for event in config["Events"].as_array().into_iter().flatten() {
        let event = event.as_str().unwrap_or_default();
        if !EVENTS.contains(&event) {
            return Err(GlacierError::InvalidParameter {
                message: format!("Invalid event: {event}"),
            }
            .into());
        }
        events.push(event.to_string());
    }
    update(svc, ctx, input, |vault, _| {
        vault.notifications = Some((topic, events));
        Ok(())
    })?;
    Ok(json!({}))
}

/// `GetVaultNotifications`.
pub(crate) fn get_notifications(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let (vault, arn) = read(svc, ctx, input)?;
    let (topic, events) = vault
        .notifications
        .ok_or_else(|| missing("notification configuration", arn))?;
    Ok(json!({ "vaultNotificationConfig": { "SNSTopic": topic, "Events": events } }))
}

/// `DeleteVaultNotifications` (idempotent).
pub(crate) fn delete_notifications(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    update(svc, ctx, input, |vault, _| {
        vault.notifications = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// The vault's lock, without one that lapsed in progress.
fn live_lock(vault: &Vault, now: i64) -> Option<&VaultLock> {
    vault
        .lock
        .as_ref()
        .filter(|l| l.state == "Locked" || now < l.created_ms + LOCK_WINDOW_MS)
}

/// `InitiateVaultLock`: only on a vault without a live lock.
pub(crate) fn initiate_lock(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let policy = policy_text(&input["policy"])?;
    let now = ctx.clock.now_millis();
    let id = update(svc, ctx, input, |vault, _| {
        if live_lock(vault, now).is_some() {
            return Err(GlacierError::InvalidParameter {
                message: "Vault lock is already in progress or locked for this vault".into(),
            }
            .into());
        }
        let id = crate::archives::new_id(32);
        vault.lock = Some(VaultLock {
            id: id.clone(),
            policy,
            state: "InProgress".into(),
            created_ms: now,
        });
        Ok(id)
    })?;
    Ok(json!({ "lockId": id }))
}

/// `CompleteVaultLock`: the in-progress lock with that id becomes
/// `Locked` (idempotent once locked).
pub(crate) fn complete_lock(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = input["lockId"].as_str().unwrap_or_default();
    let now = ctx.clock.now_millis();
    update(svc, ctx, input, |vault, _| {
        let ok = live_lock(vault, now).is_some_and(|l| l.id == id);
        match vault.lock.as_mut().filter(|_| ok) {
            Some(lock) => {
                lock.state = "Locked".into();
                Ok(())
            }
            None => Err(GlacierError::InvalidParameter {
                message: format!("Invalid lock ID: {id}"),
            }
            .into()),
        }
    })?;
    Ok(json!({}))
}

/// `AbortVaultLock`: removes an in-progress lock (idempotent); a
/// completed lock cannot be removed.
pub(crate) fn abort_lock(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    update(svc, ctx, input, |vault, _| {
        if vault.lock.as_ref().is_some_and(|l| l.state == "Locked") {
            return Err(GlacierError::InvalidParameter {
                message: "Vault lock cannot be aborted once it is locked".into(),
            }
            .into());
        }
        vault.lock = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `GetVaultLock`.
pub(crate) fn get_lock(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (vault, arn) = read(svc, ctx, input)?;
    let lock = live_lock(&vault, ctx.clock.now_millis())
        .ok_or_else(|| missing("vault lock policy", arn))?;
    let mut out = json!({
        "Policy": lock.policy,
        "State": lock.state,
        "CreationDate": format_iso8601(lock.created_ms),
    });
    if lock.state == "InProgress" {
        out["ExpirationDate"] = json!(format_iso8601(lock.created_ms + LOCK_WINDOW_MS));
    }
    Ok(out)
}

/// `SetDataRetrievalPolicy`: one rule, `BytesPerHour` (with its limit),
/// `FreeTier` or `None`.
pub(crate) fn set_retrieval_policy(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let rules = input["Policy"]["Rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let bad = |message: &str| -> AwsError {
        GlacierError::InvalidParameter {
            message: message.into(),
        }
        .into()
    };
    let [rule] = rules.as_slice() else {
        return Err(bad("Policy must contain exactly one rule"));
    };
    let strategy = rule["Strategy"].as_str().unwrap_or_default();
    let bytes = rule.get("BytesPerHour").filter(|v| !v.is_null());
    let rule = match (strategy, bytes) {
        ("BytesPerHour", Some(b)) if b.as_i64().is_some_and(|n| n >= 1) => {
            json!({"Strategy": strategy, "BytesPerHour": b})
        }
        ("BytesPerHour", _) => return Err(bad("BytesPerHour must be between 1 and 2^63-1")),
        ("FreeTier" | "None", None) => json!({"Strategy": strategy}),
        ("FreeTier" | "None", Some(_)) => {
            return Err(bad(
                "BytesPerHour may only be set with the BytesPerHour strategy",
            ))
        }
        _ => return Err(bad(&format!("Invalid strategy: {strategy}"))),
    };
    let scope = Scope::regional(ctx);
    svc.retrieval_policies
        .put(&scope.prefix(), &json!({ "Rules": [rule] }))?;
    Ok(json!({}))
}

/// `GetDataRetrievalPolicy`: `FreeTier` until one is set (the default the
/// developer guide gives).
pub(crate) fn get_retrieval_policy(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let _ = input;
    let scope = Scope::regional(ctx);
    let policy = svc
        .retrieval_policies
        .get(&scope.prefix())?
        .unwrap_or_else(|| json!({ "Rules": [{ "Strategy": "FreeTier" }] }));
    Ok(json!({ "Policy": policy }))
}
