//! How a `KeyId` names a key (key id, key ARN, alias name, alias ARN),
//! reading it with the caller's permission checked, and the state checks
//! every operation shares.

use crate::authorization::Access;
use crate::managed::{aws_managed_key, managed};
use crate::{KeyRecord, KmsError, KmsService};
use gureum_core::{AwsError, RequestContext, Scope};
use gureum_store::WriteTxn;

/// A key's ARN.
pub(crate) fn key_arn(scope: Scope<'_>, id: &str) -> String {
    format!(
        "arn:aws:kms:{}:{}:key/{id}",
        scope.region().unwrap_or_default(),
        scope.account()
    )
}

/// An alias's ARN (`name` includes `alias/`).
pub(crate) fn alias_arn(scope: Scope<'_>, name: &str) -> String {
    format!(
        "arn:aws:kms:{}:{}:{name}",
        scope.region().unwrap_or_default(),
        scope.account()
    )
}

/// The key if it still exists at `now_ms`: a key whose deletion date has
/// passed is gone, evaluated lazily on every read.
///
/// Imported material whose `ValidTo` has passed is gone too: the key is
/// `PendingImport` again, as AWS leaves it.
pub(crate) fn live(mut rec: KeyRecord, now_ms: i64) -> Option<KeyRecord> {
    if let Some(at) = rec.deletion_ms {
        if rec.state == "PendingDeletion" && at <= now_ms {
            return None;
        }
    }
    let expired = rec.valid_to_ms.is_some_and(|t| t <= now_ms);
    if expired && matches!(rec.state.as_str(), "Enabled" | "Disabled") {
        rec.state = "PendingImport".into();
        rec.materials.clear();
        rec.valid_to_ms = None;
    }
    Some(rec)
}

/// What a `KeyId` names.
pub(crate) enum KeyRef {
    /// A key id.
    Key(String),
    /// An alias name (`alias/…`).
    Alias(String),
}

/// Parses a `KeyId` for `scope`; ARNs of another account or region name
/// nothing this caller can reach.
pub(crate) fn parse_ref(scope: Scope<'_>, given: &str) -> Result<KeyRef, AwsError> {
    if let Some(rest) = given.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [_partition, service, region, account, resource] = parts[..] else {
            return Err(KmsError::InvalidArn.into());
        };
        if service != "kms" {
            return Err(KmsError::InvalidArn.into());
        }
        let elsewhere = Some(region) != scope.region() || account != scope.account();
        if let Some(id) = resource.strip_prefix("key/") {
            if elsewhere {
                return Err(KmsError::NoSuchKey { arn: given.into() }.into());
            }
            return Ok(KeyRef::Key(id.to_string()));
        }
        if resource.starts_with("alias/") {
            if elsewhere {
                return Err(KmsError::NoSuchAlias { arn: given.into() }.into());
            }
            return Ok(KeyRef::Alias(resource.to_string()));
        }
        return Err(KmsError::InvalidArn.into());
    }
    if given.starts_with("alias/") {
        return Ok(KeyRef::Alias(given.to_string()));
    }
    if is_key_id(given) {
        return Ok(KeyRef::Key(given.to_string()));
    }
    Err(KmsError::InvalidKeyId { id: given.into() }.into())
}

/// A UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`), or a multi-Region
/// key's `mrk-` and 32 hex digits.
pub(crate) fn is_key_id(s: &str) -> bool {
    if let Some(hex) = s.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The key `given` names, read outside a transaction, and the caller's
/// permission for `access` to it (key policy and IAM together); an AWS
/// managed key's alias creates the key on first use.
pub(crate) fn resolve<'a>(
    svc: &KmsService,
    ctx: &RequestContext,
    given: &str,
    access: impl Into<Access<'a>>,
) -> Result<KeyRecord, AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let reference = parse_ref(scope, given)?;
    let id = match &reference {
        KeyRef::Key(id) => id.clone(),
        KeyRef::Alias(name) => match svc.aliases.get(&scope.key(name))? {
            Some(a) => a.target,
            None => match name
                .strip_prefix("alias/aws/")
                .filter(|s| managed(s).is_some())
            {
                Some(service) => aws_managed_key(svc, scope, now, service)?,
                None => return Err(no_alias(scope, name)),
            },
        },
    };
    let rec = svc
        .key_memo
        .get(&svc.keys, &scope.key(&id))?
        .and_then(|k| live(k, now))
        .ok_or_else(|| gone(scope, &reference, &id))?;
    svc.authorize_key(ctx, &rec, access.into())?;
    Ok(rec)
}

/// The key `given` names, read inside `txn` (for a write that depends on
/// it), and the caller's permission for `action` on it.
pub(crate) fn resolve_in(
    svc: &KmsService,
    txn: &WriteTxn,
    ctx: &RequestContext,
    given: &str,
    action: Option<&str>,
) -> Result<KeyRecord, AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let reference = parse_ref(scope, given)?;
    let id = match &reference {
        KeyRef::Key(id) => id.clone(),
        KeyRef::Alias(name) => {
            txn.get(&svc.aliases, &scope.key(name))?
                .ok_or_else(|| no_alias(scope, name))?
                .target
        }
    };
    let rec = txn
        .get(&svc.keys, &scope.key(&id))?
        .and_then(|k| live(k, now))
        .ok_or_else(|| gone(scope, &reference, &id))?;
    if let Some(action) = action {
        svc.authorize_key(ctx, &rec, action.into())?;
    }
    Ok(rec)
}

/// The error for a key that is not there: an alias went with its key.
fn gone(scope: Scope<'_>, reference: &KeyRef, id: &str) -> AwsError {
    match reference {
        KeyRef::Alias(name) => no_alias(scope, name),
        KeyRef::Key(_) => no_key(scope, id),
    }
}

fn no_key(scope: Scope<'_>, id: &str) -> AwsError {
    KmsError::NoSuchKey {
        arn: key_arn(scope, id),
    }
    .into()
}

pub(crate) fn no_alias(scope: Scope<'_>, name: &str) -> AwsError {
    KmsError::NoSuchAlias {
        arn: alias_arn(scope, name),
    }
    .into()
}

/// Refuses a key that may not be used for cryptography now.
pub(crate) fn usable(scope: Scope<'_>, rec: &KeyRecord) -> Result<(), AwsError> {
    let arn = key_arn(scope, &rec.id);
    match rec.state.as_str() {
        "Enabled" => Ok(()),
        "PendingDeletion" => Err(KmsError::PendingDeletion { arn }.into()),
        "PendingImport" => Err(KmsError::PendingImport { arn }.into()),
        _ => Err(KmsError::Disabled { arn }.into()),
    }
}

/// Refuses changes to a key pending deletion.
pub(crate) fn not_pending(scope: Scope<'_>, rec: &KeyRecord) -> Result<(), AwsError> {
    if rec.state == "PendingDeletion" {
        return Err(KmsError::PendingDeletion {
            arn: key_arn(scope, &rec.id),
        }
        .into());
    }
    Ok(())
}

/// Applies `change` to the key `given` names, with the caller's
/// permission for `action`, checked and written in one transaction;
/// returns what `change` returns.
pub(crate) fn update<R>(
    svc: &KmsService,
    ctx: &RequestContext,
    given: &str,
    action: &str,
    change: impl FnOnce(&mut KeyRecord, Scope<'_>, i64) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    update_with(svc, ctx, given, Some(action), change)
}

/// [`update`], with `action: None` for what Gureum does on its own
/// (automatic rotation), which no caller's permission governs.
pub(crate) fn update_with<R>(
    svc: &KmsService,
    ctx: &RequestContext,
    given: &str,
    action: Option<&str>,
    change: impl FnOnce(&mut KeyRecord, Scope<'_>, i64) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| {
        let mut rec = resolve_in(svc, txn, ctx, given, action)?;
        let out = change(&mut rec, scope, now)?;
        txn.put(&svc.keys, &scope.key(&rec.id), &rec)?;
        Ok(out)
    })
}
