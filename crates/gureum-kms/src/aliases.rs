//! Aliases: `alias/…` names for keys, usable wherever a `KeyId` is;
//! `alias/aws/…` is reserved for AWS managed keys.

use crate::keys;
use crate::resolve::{self, alias_arn, live, not_pending, resolve_in};
use crate::{AliasRecord, KmsError, KmsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

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
/// a key id or key ARN). Aliases of deleted keys are gone with them.
pub(crate) fn list_aliases(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let only = match str_member(input, "KeyId") {
        Some(given) => Some(resolve::resolve(svc, ctx, given, "kms:ListAliases")?.id),
        None => None,
    };
    // The keys that still exist, read first: one scan, not one read per alias.
    let alive: std::collections::HashSet<String> = svc
        .keys
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .filter_map(|(_, k)| live(k, now).map(|k| k.id))
        .collect();
    let request = keys::page_request(input)?;
    let page = gureum_kit::paging::page(&svc.aliases, &scope.prefix(), &request, |_, a| {
        let wanted = only.as_ref().is_none_or(|id| *id == a.target);
        (wanted && alive.contains(&a.target)).then(|| {
            json!({
                "AliasName": a.name,
                "AliasArn": alias_arn(scope, &a.name),
                "TargetKeyId": a.target,
                "CreationDate": a.created_ms as f64 / 1000.0,
                "LastUpdatedDate": a.updated_ms as f64 / 1000.0,
            })
        })
    })?;
    Ok(keys::list_out("Aliases", page.items, page.next_token))
}
