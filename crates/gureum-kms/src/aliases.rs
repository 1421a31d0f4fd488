//! Aliases: `alias/…` names for keys, usable wherever a `KeyId` is;
//! `alias/aws/…` is reserved for AWS managed keys.

use crate::keys;
use crate::managed;
use crate::resolve::{self, alias_arn, live, not_pending, resolve_in};
use crate::{AliasRecord, KmsError, KmsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::page_sorted;
use serde_json::json;
use std::collections::HashSet;

/// Checks a name callers may create, update or delete.
fn own_name(name: &str) -> Result<(), AwsError> {
    if !name.starts_with("alias/") {
        return Err(CommonError::ValidationException {
            message: "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into(),
        }
        .into());
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::ReservedAlias.into());
    }
    Ok(())
}

/// `CreateAlias`.
pub(crate) fn create_alias(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "AliasName").unwrap_or_default();
    own_name(name)?;
    let target = str_member(input, "TargetKeyId").unwrap_or_default();
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let key = resolve_in(svc, txn, ctx, target, Some("kms:CreateAlias"))?;
        not_pending(scope, &key)?;
        if let Some(existing) = txn.get(&svc.aliases, &scope.key(name))? {
            // An alias whose key has been deleted went with it.
            let alive = txn
                .get(&svc.keys, &scope.key(&existing.target))?
                .and_then(|k| live(k, now))
                .is_some();
            if alive {
                return Err(KmsError::AliasExists {
                    arn: alias_arn(scope, name),
                }
                .into());
            }
        }
        let alias = AliasRecord {
            name: name.into(),
            target: key.id,
            created_ms: now,
            updated_ms: now,
        };
        txn.put(&svc.aliases, &scope.key(name), &alias)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UpdateAlias`: points an existing alias at another key.
pub(crate) fn update_alias(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "AliasName").unwrap_or_default();
    own_name(name)?;
    let target = str_member(input, "TargetKeyId").unwrap_or_default();
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let mut alias = existing(svc, txn, ctx, name, "kms:UpdateAlias")?;
        let key = resolve_in(svc, txn, ctx, target, Some("kms:UpdateAlias"))?;
        not_pending(scope, &key)?;
        alias.target = key.id;
        alias.updated_ms = now;
        txn.put(&svc.aliases, &scope.key(name), &alias)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// The alias `name`, if it and its key still exist, with the caller's
/// permission for `action` on that key.
fn existing(
    svc: &KmsService,
    txn: &gureum_store::WriteTxn,
    ctx: &RequestContext,
    name: &str,
    action: &str,
) -> Result<AliasRecord, AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let gone = || -> AwsError {
        KmsError::NoSuchAlias {
            arn: alias_arn(scope, name),
        }
        .into()
    };
    let alias = txn.get(&svc.aliases, &scope.key(name))?.ok_or_else(gone)?;
    let key = txn
        .get(&svc.keys, &scope.key(&alias.target))?
        .and_then(|k| live(k, now))
        .ok_or_else(gone)?;
    svc.authorize_key(ctx, &key, action.into())?;
    Ok(alias)
}

/// `DeleteAlias`.
pub(crate) fn delete_alias(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "AliasName").unwrap_or_default();
    own_name(name)?;
    let scope = Scope::regional(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        existing(svc, txn, ctx, name, "kms:DeleteAlias")?;
        txn.delete(&svc.aliases, &scope.key(name))?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListAliases`, all of the account and region's or one key's (`KeyId`:
/// a key id or key ARN). Aliases of deleted keys are gone with them. As
/// AWS does, the full listing includes the predefined AWS managed aliases
/// (`alias/aws/…`) whose key is not made yet, without a `TargetKeyId`.
pub(crate) fn list_aliases(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let only = match str_member(input, "KeyId") {
        Some(given) => Some(resolve::resolve(svc, ctx, given, "kms:ListAliases")?.id),
        None => None,
    };
    let request = keys::page_request(input)?;
    // The keys that still exist, read first: one scan, not one read per alias.
    let alive: HashSet<String> = svc
        .keys
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .filter_map(|(_, k)| live(k, now).map(|k| k.id))
        .collect();
    // An account has few aliases: the listing is built whole and paged
    // by name, which lets the predefined ones take their places in it.
    let mut entries: Vec<(String, Value)> = svc
        .aliases
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .filter(|(_, a)| alive.contains(&a.target))
        .filter(|(_, a)| only.as_ref().is_none_or(|id| *id == a.target))
        .map(|(_, a)| {
            let view = json!({
                "AliasName": a.name,
                "AliasArn": alias_arn(scope, &a.name),
                "TargetKeyId": a.target,
                "CreationDate": a.created_ms as f64 / 1000.0,
                "LastUpdatedDate": a.updated_ms as f64 / 1000.0,
            });
            (a.name, view)
        })
        .collect();
    if only.is_none() {
        let made: HashSet<String> = entries.iter().map(|(n, _)| n.clone()).collect();
        for name in managed::predefined_aliases() {
            if !made.contains(&name) {
                let view = json!({ "AliasName": name, "AliasArn": alias_arn(scope, &name) });
                entries.push((name, view));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let page = page_sorted(&entries, |(name, _)| name.clone(), &request);
    let items = page.items.into_iter().map(|(_, v)| v.clone()).collect();
    Ok(keys::list_out("Aliases", items, page.next_token))
}
