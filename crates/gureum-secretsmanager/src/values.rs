//! Versions and their values: `GetSecretValue`, `PutSecretValue`,
//! `UpdateSecretVersionStage`, `ListSecretVersionIds`,
//! `BatchGetSecretValue`, and the staging-label moves they share.

use crate::ids::{self, find, find_in, not_deleted};
use crate::seal::is_default_key;
use crate::{Secret, SecretVersion, SecretsError, SecretsManagerService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{page_sorted, PageRequest};
use serde_json::{json, Map};

/// The label of the version `GetSecretValue` returns by default.
pub const CURRENT: &str = "AWSCURRENT";
/// The label the previous `AWSCURRENT` version receives.
pub const PREVIOUS: &str = "AWSPREVIOUS";
/// The most versions a secret keeps; unlabelled ones go first.
pub const MAX_VERSIONS: usize = 100;

/// Epoch milliseconds as the json protocol's seconds.
pub fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A secret value from an input: its bytes and whether it is binary.
pub fn value_of(input: &Value) -> Result<Option<(Vec<u8>, bool)>, AwsError> {
    match (
        str_member(input, "SecretString"),
        str_member(input, "SecretBinary"),
    ) {
        (Some(_), Some(_)) => Err(SecretsError::BothValues.into()),
        (Some(s), None) => Ok(Some((s.as_bytes().to_vec(), false))),
        (None, Some(b)) => Ok(Some((
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .unwrap_or_default(),
            true,
        ))),
        (None, None) => Ok(None),
    }
}

/// What binds a sealed value: the secret's ARN and the version id.
fn binding(arn: &str, version: &str) -> Vec<(String, String)> {
    vec![
        ("SecretARN".to_string(), arn.to_string()),
        ("SecretVersionId".to_string(), version.to_string()),
    ]
}

/// The KMS key a secret's new versions use (`None`: `aws/secretsmanager`).
fn kms_key(kms_key_id: Option<&str>) -> Option<&str> {
    kms_key_id.filter(|k| !is_default_key(Some(k)))
}

/// Before a write transaction that will store a value under `kms_key_id`
/// (as given or stored): lets KMS make what it must write (the AWS managed
/// key on first use), since inside the transaction it may only read.
pub fn prepare_kms(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    kms_key_id: Option<&str>,
) -> Result<(), AwsError> {
    svc.encryptor
        .prepare(Scope::regional(ctx), kms_key(kms_key_id))
}

/// Protects `plaintext` for a version of `secret` with KMS (see
/// [`crate::seal`]).
pub fn protect(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    secret: &Secret,
    version: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, AwsError> {
    svc.encryptor.encrypt(
        Scope::regional(ctx),
        kms_key(secret.kms_key_id.as_deref()),
        plaintext,
        &binding(&secret.arn, version),
    )
}

/// The plaintext of a version.
pub fn reveal(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    secret: &Secret,
    v: &SecretVersion,
) -> Result<Vec<u8>, AwsError> {
    if !v.kms_sealed && is_default_key(v.kms_key_id.as_deref()) {
        // Written before KMS was wired in: the old local key.
        svc.sealer
            .open(&v.sealed, format!("{}|{}", secret.arn, v.id).as_bytes())
    } else {
        svc.encryptor.decrypt(
            Scope::regional(ctx),
            &v.sealed,
            &binding(&secret.arn, &v.id),
        )
    }
}

/// Puts `stage` on version `to` alone; a moved `AWSCURRENT` leaves
/// `AWSPREVIOUS` on the version that had it.
pub fn move_stage(secret: &mut Secret, stage: &str, to: &str) {
    let from = secret
        .versions
        .iter()
        .find(|v| v.stages.iter().any(|s| s == stage))
        .map(|v| v.id.clone());
    if from.as_deref() == Some(to) {
        return;
    }
    for v in secret.versions.iter_mut() {
        v.stages.retain(|s| s != stage);
    }
    if stage == CURRENT {
        if let Some(from) = &from {
            move_stage(secret, PREVIOUS, from);
        }
    }
    if let Some(v) = secret.versions.iter_mut().find(|v| v.id == to) {
        v.stages.push(stage.to_string());
    }
}

/// Adds a version (or, for a token already used with the same value,
/// nothing) and returns its id and stages.
pub fn add_version(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    secret: &mut Secret,
    token: Option<&str>,
    value: (Vec<u8>, bool),
    stages: Vec<String>,
) -> Result<(String, Vec<String>), AwsError> {
    let id = token.map_or_else(gureum_core::id::uuid_v4, str::to_string);
    if let Some(existing) = secret.versions.iter().find(|v| v.id == id) {
        let same = reveal(svc, ctx, secret, existing)? == value.0 && existing.binary == value.1;
        if !same {
            return Err(SecretsError::VersionExists.into());
        }
        return Ok((id, existing.stages.clone()));
    }
    let now = ctx.clock.now_millis();
    let sealed = protect(svc, ctx, secret, &id, &value.0)?;
    secret.versions.push(SecretVersion {
        id: id.clone(),
        stages: vec![],
        created_ms: now,
        sealed,
        binary: value.1,
        kms_key_id: secret.kms_key_id.clone(),
        kms_sealed: true,
    });
    for stage in &stages {
        move_stage(secret, stage, &id);
    }
    while secret.versions.len() > MAX_VERSIONS {
        match secret.versions.iter().position(|v| v.stages.is_empty()) {
            Some(i) => secret.versions.remove(i),
            None => break,
        };
    }
    secret.changed_ms = now;
    Ok((id, stages))
}

/// The version an input picks (`VersionId`, `VersionStage`, else
/// `AWSCURRENT`).
fn pick<'s>(secret: &'s Secret, input: &Value) -> Result<&'s SecretVersion, AwsError> {
    let stage = str_member(input, "VersionStage");
    if let Some(id) = str_member(input, "VersionId") {
        let v = secret
            .versions
            .iter()
            .find(|v| v.id == id)
            .ok_or_else(|| SecretsError::NoVersionId { id: id.to_string() })?;
        if let Some(stage) = stage.filter(|s| !v.stages.iter().any(|vs| vs == s)) {
            return Err(SecretsError::NoStage {
                stage: stage.to_string(),
            }
            .into());
        }
        return Ok(v);
    }
    let stage = stage.unwrap_or(CURRENT);
    secret
        .versions
        .iter()
        .find(|v| v.stages.iter().any(|s| s == stage))
        .ok_or_else(|| {
            SecretsError::NoStage {
                stage: stage.to_string(),
            }
            .into()
        })
}

/// A `GetSecretValue` answer for one version.
fn value_view(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    secret: &Secret,
    v: &SecretVersion,
) -> Result<Value, AwsError> {
    let plain = reveal(svc, ctx, secret, v)?;
    let mut out = Map::new();
    out.insert("ARN".into(), json!(secret.arn));
    out.insert("Name".into(), json!(secret.name));
    out.insert("VersionId".into(), json!(v.id));
    if v.binary {
        out.insert(
            "SecretBinary".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(&plain)),
        );
    } else {
        out.insert(
            "SecretString".into(),
            json!(String::from_utf8_lossy(&plain)),
        );
    }
    out.insert("VersionStages".into(), json!(v.stages));
    out.insert("CreatedDate".into(), json!(secs(v.created_ms)));
    Ok(Value::Object(out))
}

/// `GetSecretValue`.
pub(crate) fn get_secret_value(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let secret = find(svc, ctx, str_member(input, "SecretId").unwrap_or_default())?;
    not_deleted(&secret)?;
    let v = pick(&secret, input)?;
    value_view(svc, ctx, &secret, v)
}

/// The `VersionStages` of an input (default `AWSCURRENT`).
fn stages(input: &Value) -> Vec<String> {
    input
        .get("VersionStages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_else(|| vec![CURRENT.to_string()])
}

/// `PutSecretValue`: a new version, `AWSCURRENT` by default.
pub(crate) fn put_secret_value(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let value = value_of(input)?.ok_or(SecretsError::NoValue)?;
    let id = str_member(input, "SecretId").unwrap_or_default();
    if let Ok(secret) = find(svc, ctx, id) {
        prepare_kms(svc, ctx, secret.kms_key_id.as_deref())?;
    }
    svc.store.write(|txn| -> OpResult {
        let mut secret = find_in(svc, ctx, txn, id)?;
        not_deleted(&secret)?;
        let token = str_member(input, "ClientRequestToken");
        let (version, stages) = add_version(svc, ctx, &mut secret, token, value, stages(input))?;
        txn.put(&svc.secrets, &ids::key(ctx, &secret), &secret)?;
        Ok(json!({
            "ARN": secret.arn, "Name": secret.name,
            "VersionId": version, "VersionStages": stages,
        }))
    })
}

/// `UpdateSecretVersionStage`: moves (or removes) one staging label.
pub(crate) fn update_secret_version_stage(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = str_member(input, "SecretId").unwrap_or_default();
    let stage = str_member(input, "VersionStage").unwrap_or_default();
    let remove_from = str_member(input, "RemoveFromVersionId");
    let move_to = str_member(input, "MoveToVersionId");
    svc.store.write(|txn| -> OpResult {
        let mut secret = find_in(svc, ctx, txn, id)?;
        not_deleted(&secret)?;
        for v in [remove_from, move_to].into_iter().flatten() {
            if !secret.versions.iter().any(|sv| sv.id == v) {
                return Err(SecretsError::NoVersionId { id: v.to_string() }.into());
            }
        }
        let holder = secret
            .versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == stage))
            .map(|v| v.id.clone());
        if let Some(holder) = &holder {
            if Some(holder.as_str()) != move_to && Some(holder.as_str()) != remove_from {
                return Err(SecretsError::StageNotOn {
                    stage: stage.to_string(),
                    id: holder.clone(),
                }
                .into());
            }
        }
        match move_to {
            Some(to) => move_stage(&mut secret, stage, to),
            None => {
                for v in secret.versions.iter_mut() {
                    if Some(v.id.as_str()) == remove_from {
                        v.stages.retain(|s| s != stage);
                    }
                }
            }
        }
        secret.changed_ms = ctx.clock.now_millis();
        txn.put(&svc.secrets, &ids::key(ctx, &secret), &secret)?;
        Ok(json!({ "ARN": secret.arn, "Name": secret.name }))
    })
}

/// `ListSecretVersionIds`: labelled versions (and, with
/// `IncludeDeprecated`, the unlabelled ones).
pub(crate) fn list_secret_version_ids(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let secret = find(svc, ctx, str_member(input, "SecretId").unwrap_or_default())?;
    let deprecated = input.get("IncludeDeprecated").and_then(Value::as_bool) == Some(true);
    let request = page_request(input, (1, 100))?;
    let kept: Vec<&SecretVersion> = secret
        .versions
        .iter()
        .filter(|v| deprecated || !v.stages.is_empty())
        .collect();
    let indexed: Vec<(String, &SecretVersion)> = kept
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("{i:06}"), v))
        .collect();
    let pg = page_sorted(&indexed, |(k, _)| k.clone(), &request);
    let versions: Vec<Value> = pg
        .items
        .iter()
        .map(|(_, v)| {
            let mut m = Map::new();
            m.insert("VersionId".into(), json!(v.id));
            m.insert("VersionStages".into(), json!(v.stages));
            m.insert("CreatedDate".into(), json!(secs(v.created_ms)));
            if let Some(k) = &v.kms_key_id {
                m.insert("KmsKeyIds".into(), json!([k]));
            }
            Value::Object(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("Versions".into(), Value::Array(versions));
    if let Some(t) = pg.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    out.insert("ARN".into(), json!(secret.arn));
    out.insert("Name".into(), json!(secret.name));
    Ok(Value::Object(out))
}

/// The page an input asks for.
pub fn page_request(input: &Value, bounds: (usize, usize)) -> Result<PageRequest, AwsError> {
    PageRequest::new(
        input.get("MaxResults").and_then(Value::as_i64),
        str_member(input, "NextToken"),
        bounds,
        bounds.1,
    )
    .map_err(|e| SecretsError::from(e).into())
}

/// `BatchGetSecretValue`: the `AWSCURRENT` values of a list of ids (the
/// failures in `Errors`) or of the secrets `Filters` select.
pub(crate) fn batch_get_secret_value(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let list = input.get("SecretIdList").and_then(Value::as_array);
    let filters = input.get("Filters").and_then(Value::as_array);
    let mut values = vec![];
    let mut errors = vec![];
    let mut next = None;
    match (list, filters) {
        (Some(list), None) => {
            for id in list.iter().filter_map(Value::as_str) {
                let one = find(svc, ctx, id).and_then(|s| {
                    not_deleted(&s)?;
                    let v = pick(&s, &json!({}))?;
                    value_view(svc, ctx, &s, v)
                });
                match one {
                    Ok(v) => values.push(v),
                    Err(e) => errors.push(json!({
                        "SecretId": id, "ErrorCode": e.code, "Message": e.message,
                    })),
                }
            }
        }
        (None, Some(_)) => {
            let request = page_request(input, (1, 20))?;
            let (secrets, token) = crate::secrets::matching(svc, ctx, input, &request, false)?;
            for s in secrets {
                if let Ok(v) = pick(&s, &json!({})) {
                    values.push(value_view(svc, ctx, &s, v)?);
                }
            }
            next = token;
        }
        _ => return Err(SecretsError::BatchSelector.into()),
    }
    let mut out = Map::new();
    out.insert("SecretValues".into(), Value::Array(values));
    out.insert("Errors".into(), Value::Array(errors));
    if let Some(t) = next {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}
