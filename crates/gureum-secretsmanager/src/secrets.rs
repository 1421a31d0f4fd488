//! Secrets themselves: `CreateSecret` (with `ClientRequestToken`
//! idempotency), `DescribeSecret`, `UpdateSecret`, `DeleteSecret` (a
//! recovery window of 7–30 days on Gureum's clock, or at once),
//! `RestoreSecret` and `ListSecrets` (filters, sorting, paging).

use crate::ids::{self, alive, check_name, find, find_in, new_arn, not_deleted};
use crate::values::{add_version, page_request, prepare_kms, reveal, secs, value_of, CURRENT};
use crate::{Secret, SecretsError, SecretsManagerService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{page_sorted, PageRequest};
use serde_json::{json, Map};

/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// The default recovery window.
const DEFAULT_WINDOW_DAYS: i64 = 30;

/// `Tags` of an input as pairs.
pub fn tag_pairs(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    let k = str_member(t, "Key").unwrap_or_default().to_string();
                    let v = str_member(t, "Value").unwrap_or_default().to_string();
                    (k, v)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `{ARN, Name}` plus more members.
fn arn_name(secret: &Secret) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("ARN".into(), json!(secret.arn));
    out.insert("Name".into(), json!(secret.name));
    out
}

/// `CreateSecret`.
pub(crate) fn create_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = str_member(input, "Name").unwrap_or_default();
    check_name(name)?;
    if input.get("AddReplicaRegions").is_some() {
        // Replication would create copies in other regions; Gureum does
        // not replicate yet, and says so rather than pretend.
        return Err(CommonError::NotImplemented {
            service: "secretsmanager".into(),
            operation: "CreateSecret with AddReplicaRegions".into(),
        }
        .into());
    }
    let value = value_of(input)?;
    let token = str_member(input, "ClientRequestToken");
    let key = Scope::regional(ctx).key(name);
    let now = ctx.clock.now_millis();
    if value.is_some() {
        prepare_kms(svc, ctx, str_member(input, "KmsKeyId"))?;
    }
    svc.store.write(|txn| -> OpResult {
        if let Some(existing) = txn.get(&svc.secrets, &key)? {
            if alive(&existing, now) {
                if existing.deletion_ms.is_some() {
                    return Err(SecretsError::NameMarkedForDeletion {
                        name: name.to_string(),
                    }
                    .into());
                }
                return retried_create(svc, ctx, &existing, token, value.as_ref(), name);
            }
        }
        let mut secret = Secret {
            name: name.to_string(),
            arn: new_arn(ctx, name),
            description: str_member(input, "Description").map(str::to_string),
            kms_key_id: str_member(input, "KmsKeyId").map(str::to_string),
            created_ms: now,
            changed_ms: now,
            deletion_ms: None,
            tags: tag_pairs(input),
            policy: None,
            versions: vec![],
            rotation: None,
        };
        let mut out = arn_name(&secret);
        if let Some(value) = value {
            let (id, _) = add_version(svc, ctx, &mut secret, token, value, vec![CURRENT.into()])?;
            out.insert("VersionId".into(), json!(id));
        }
        txn.put(&svc.secrets, &key, &secret)?;
        Ok(Value::Object(out))
    })
}

/// A `CreateSecret` for a name in use: the same request retried (same
/// token, same value) answers as the first did; anything else is
/// `ResourceExistsException`.
fn retried_create(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    existing: &Secret,
    token: Option<&str>,
    value: Option<&(Vec<u8>, bool)>,
    name: &str,
) -> OpResult {
    let exists = || -> AwsError {
        SecretsError::Exists {
            name: name.to_string(),
        }
        .into()
    };
    let (Some(token), Some(value)) = (token, value) else {
        return Err(exists());
    };
    let Some(v) = existing.versions.iter().find(|v| v.id == token) else {
        return Err(exists());
    };
    if reveal(svc, ctx, existing, v)? != value.0 || v.binary != value.1 {
        return Err(SecretsError::VersionExists.into());
    }
    let mut out = arn_name(existing);
    out.insert("VersionId".into(), json!(v.id));
    Ok(Value::Object(out))
}

/// `VersionIdsToStages` (labelled versions only).
fn stages_map(secret: &Secret) -> Value {
    let mut m = Map::new();
    for v in secret.versions.iter().filter(|v| !v.stages.is_empty()) {
        m.insert(v.id.clone(), json!(v.stages));
    }
    Value::Object(m)
}

/// The members `DescribeSecret` and `ListSecrets` share.
fn details(secret: &Secret, stages_member: &str) -> Map<String, Value> {
    let mut out = arn_name(secret);
    if let Some(d) = &secret.description {
        out.insert("Description".into(), json!(d));
    }
    if let Some(k) = &secret.kms_key_id {
        out.insert("KmsKeyId".into(), json!(k));
    }
    out.insert("LastChangedDate".into(), json!(secs(secret.changed_ms)));
    if let Some(d) = secret.deletion_ms {
        out.insert("DeletedDate".into(), json!(secs(d)));
    }
    if !secret.tags.is_empty() {
        let tags: Vec<Value> = secret
            .tags
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        out.insert("Tags".into(), Value::Array(tags));
    }
    out.insert(stages_member.into(), stages_map(secret));
    out.insert("CreatedDate".into(), json!(secs(secret.created_ms)));
    if let Some(r) = &secret.rotation {
        out.insert("RotationEnabled".into(), json!(r.enabled));
        out.insert("RotationLambdaARN".into(), json!(r.lambda_arn));
        if !r.rules.is_null() {
            out.insert("RotationRules".into(), r.rules.clone());
        }
        if let Some(t) = r.last_rotated_ms {
            out.insert("LastRotatedDate".into(), json!(secs(t)));
        }
    }
    out
}

/// `DescribeSecret` (also of a secret scheduled for deletion).
pub(crate) fn describe_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let secret = find(svc, ctx, str_member(input, "SecretId").unwrap_or_default())?;
    Ok(Value::Object(details(&secret, "VersionIdsToStages")))
}

/// `UpdateSecret`: description and key, and a new `AWSCURRENT` version
/// when a value is given.
pub(crate) fn update_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let value = value_of(input)?;
    let id = str_member(input, "SecretId").unwrap_or_default();
    if value.is_some() {
        let stored = find(svc, ctx, id).ok().and_then(|s| s.kms_key_id);
        let key = str_member(input, "KmsKeyId").map(str::to_string).or(stored);
        prepare_kms(svc, ctx, key.as_deref())?;
    }
    svc.store.write(|txn| -> OpResult {
        let mut secret = find_in(svc, ctx, txn, id)?;
        not_deleted(&secret)?;
        if let Some(d) = str_member(input, "Description") {
            secret.description = Some(d.to_string());
        }
        if let Some(k) = str_member(input, "KmsKeyId") {
            secret.kms_key_id = Some(k.to_string());
        }
        secret.changed_ms = ctx.clock.now_millis();
        let mut out = arn_name(&secret);
        if let Some(value) = value {
            let token = str_member(input, "ClientRequestToken");
            let (v, _) = add_version(svc, ctx, &mut secret, token, value, vec![CURRENT.into()])?;
            out.insert("VersionId".into(), json!(v));
        }
        txn.put(&svc.secrets, &ids::key(ctx, &secret), &secret)?;
        Ok(Value::Object(out))
    })
}

/// `DeleteSecret`: scheduled after the recovery window, or at once with
/// `ForceDeleteWithoutRecovery`.
pub(crate) fn delete_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = str_member(input, "SecretId").unwrap_or_default();
    let window = input.get("RecoveryWindowInDays").and_then(Value::as_i64);
    let force = input
        .get("ForceDeleteWithoutRecovery")
        .and_then(Value::as_bool)
        == Some(true);
    if force && window.is_some() {
        return Err(SecretsError::WindowAndForce.into());
    }
    let days = window.unwrap_or(DEFAULT_WINDOW_DAYS);
    if !(7..=30).contains(&days) {
        return Err(SecretsError::BadWindow.into());
    }
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> OpResult {
        let mut secret = find_in(svc, ctx, txn, id)?;
        let key = ids::key(ctx, &secret);
        let mut out = arn_name(&secret);
        if force {
            txn.delete(&svc.secrets, &key)?;
            out.insert("DeletionDate".into(), json!(secs(now)));
            return Ok(Value::Object(out));
        }
        not_deleted(&secret)?;
        let when = now + days * DAY_MS;
        secret.deletion_ms = Some(when);
        txn.put(&svc.secrets, &key, &secret)?;
        out.insert("DeletionDate".into(), json!(secs(when)));
        Ok(Value::Object(out))
    })
}

/// `RestoreSecret`: cancels a scheduled deletion.
pub(crate) fn restore_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = str_member(input, "SecretId").unwrap_or_default();
    svc.store.write(|txn| -> OpResult {
        let mut secret = find_in(svc, ctx, txn, id)?;
        secret.deletion_ms = None;
        txn.put(&svc.secrets, &ids::key(ctx, &secret), &secret)?;
        Ok(Value::Object(arn_name(&secret)))
    })
}

/// Whether one `Filters` entry keeps `secret`: any value matches (a
/// prefix; a leading `!` negates it).
fn filter_keeps(secret: &Secret, key: &str, values: &[&str]) -> bool {
    let fields: Vec<&str> = match key {
        "name" => vec![secret.name.as_str()],
        "description" => secret.description.iter().map(String::as_str).collect(),
        "tag-key" => secret.tags.iter().map(|(k, _)| k.as_str()).collect(),
        "tag-value" => secret.tags.iter().map(|(_, v)| v.as_str()).collect(),
        "all" => std::iter::once(secret.name.as_str())
            .chain(secret.description.iter().map(String::as_str))
            .chain(
                secret
                    .tags
                    .iter()
                    .flat_map(|(k, v)| [k.as_str(), v.as_str()]),
            )
            .collect(),
        // No secret here is replicated or owned by another service.
        _ => vec![],
    };
    values.iter().any(|want| match want.strip_prefix('!') {
        Some(not) => !fields.iter().any(|f| f.starts_with(not)),
        None => fields.iter().any(|f| f.starts_with(want)),
    })
}

/// The secrets of the caller's scope that `input`'s `Filters` keep,
/// sorted as it asks, one page of them, and the next page's token.
pub(crate) fn matching(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
    request: &PageRequest,
    include_planned: bool,
) -> Result<(Vec<Secret>, Option<String>), AwsError> {
    let now = ctx.clock.now_millis();
    let filters: Vec<(&str, Vec<&str>)> = input
        .get("Filters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            let values = f
                .get("Values")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            (str_member(f, "Key").unwrap_or_default(), values)
        })
        .collect();
    let mut all: Vec<Secret> = svc
        .secrets
        .scan_prefix(&Scope::regional(ctx).prefix())?
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| alive(s, now) && (include_planned || s.deletion_ms.is_none()))
        .filter(|s| filters.iter().all(|(k, v)| filter_keeps(s, k, v)))
        .collect();
    match str_member(input, "SortBy").unwrap_or("created-date") {
        "name" => all.sort_by(|a, b| a.name.cmp(&b.name)),
        "last-changed-date" => all.sort_by_key(|s| (s.changed_ms, s.name.clone())),
        _ => all.sort_by_key(|s| (s.created_ms, s.name.clone())),
    }
    if str_member(input, "SortOrder") == Some("desc") {
        all.reverse();
    }
    let indexed: Vec<(String, Secret)> = all
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("{i:08}"), s))
        .collect();
    let pg = page_sorted(&indexed, |(k, _)| k.clone(), request);
    let items = pg.items.into_iter().map(|(_, s)| s.clone()).collect();
    Ok((items, pg.next_token))
}

/// `ListSecrets`.
pub(crate) fn list_secrets(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let request = page_request(input, (1, 100))?;
    let planned = input.get("IncludePlannedDeletion").and_then(Value::as_bool) == Some(true);
    let (secrets, next) = matching(svc, ctx, input, &request, planned)?;
    let list: Vec<Value> = secrets
        .iter()
        .map(|s| Value::Object(details(s, "SecretVersionsToStages")))
        .collect();
    let mut out = Map::new();
    out.insert("SecretList".into(), Value::Array(list));
    if let Some(t) = next {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}
