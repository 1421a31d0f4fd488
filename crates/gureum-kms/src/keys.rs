//! Keys: how a `KeyId` is resolved (key id, key ARN, alias name, alias
//! ARN), `KeyMetadata`, and the key lifecycle (create, enable, disable,
//! scheduled deletion on Gureum's clock, cancel).

use crate::resolve::{key_arn, live, not_pending, resolve, update};
use crate::{master, primitives, specs, KeyRecord, KmsError, KmsService, Material};
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::PageRequest;
use rand::RngCore;
use serde_json::{json, Map};

/// Milliseconds in a day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// `KeyMetadata` of a key.
pub(crate) fn metadata(scope: Scope<'_>, rec: &KeyRecord) -> Value {
    let mut m = Map::new();
    m.insert("AWSAccountId".into(), json!(scope.account()));
    m.insert("KeyId".into(), json!(rec.id));
    m.insert("Arn".into(), json!(key_arn(scope, &rec.id)));
    m.insert("CreationDate".into(), json!(rec.created_ms as f64 / 1000.0));
    m.insert("Enabled".into(), json!(rec.state == "Enabled"));
    m.insert("Description".into(), json!(rec.description));
    m.insert("KeyUsage".into(), json!(rec.key_usage));
    m.insert("KeyState".into(), json!(rec.state));
    if let (Some(at), "PendingDeletion") = (rec.deletion_ms, rec.state.as_str()) {
        m.insert("DeletionDate".into(), json!(at as f64 / 1000.0));
    }
    m.insert("Origin".into(), json!(rec.origin));
    if let Some(model) = &rec.expiration_model {
        m.insert("ExpirationModel".into(), json!(model));
    }
    if let Some(t) = rec.valid_to_ms {
        m.insert("ValidTo".into(), json!(t as f64 / 1000.0));
    }
    m.insert("KeyManager".into(), json!(rec.key_manager));
    m.insert("CustomerMasterKeySpec".into(), json!(rec.key_spec));
    m.insert("KeySpec".into(), json!(rec.key_spec));
    if let Some(a) = specs::algorithms(&rec.key_spec, &rec.key_usage) {
        for (name, list) in [
            ("EncryptionAlgorithms", a.encryption),
            ("SigningAlgorithms", a.signing),
            ("MacAlgorithms", a.mac),
            ("KeyAgreementAlgorithms", a.agreement),
        ] {
            if !list.is_empty() {
                m.insert(name.into(), json!(list));
            }
        }
    }
    m.insert("MultiRegion".into(), json!(rec.multi_region.is_some()));
    if let Some(mr) = &rec.multi_region {
        m.insert(
            "MultiRegionConfiguration".into(),
            crate::multi_region::configuration(scope, &rec.id, mr),
        );
    }
    // The material id is what rotation changes; only symmetric keys rotate.
    if let Some(current) = rec
        .materials
        .last()
        .filter(|_| rec.key_spec == "SYMMETRIC_DEFAULT")
    {
        m.insert("CurrentKeyMaterialId".into(), json!(current.id));
    }
    Value::Object(m)
}

/// A new material version (32 random bytes), sealed for key `id`.
pub(crate) fn new_material(
    svc: &KmsService,
    scope: Scope<'_>,
    id: &str,
    now: i64,
    rotation_type: Option<&str>,
) -> Result<Material, AwsError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    seal_material(svc, scope, id, now, rotation_type, &bytes)
}

/// A material version holding `bytes`, sealed for key `id`.
pub(crate) fn seal_material(
    svc: &KmsService,
    scope: Scope<'_>,
    id: &str,
    now: i64,
    rotation_type: Option<&str>,
    bytes: &[u8],
) -> Result<Material, AwsError> {
    let mut mid = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut mid);
    let material_id = hex::encode(mid);
    Ok(Material {
        sealed: master::seal(svc, &material_owner(scope, id, &material_id), bytes)?,
        id: material_id,
        created_ms: now,
        rotation_type: rotation_type.map(str::to_string),
    })
}

/// What a sealed material is bound to: its key and version.
pub(crate) fn material_owner(scope: Scope<'_>, key_id: &str, material_id: &str) -> String {
    format!("{}/{material_id}", scope.key(key_id))
}

/// The default key policy AWS writes for a key created without one:
/// the account's root may do everything, so IAM policies decide.
pub(crate) fn default_policy(account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:aws:iam::{account}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

/// Refuses a request with `DryRun` set, once everything but the effect
/// has been checked (permissions, key state, input).
pub(crate) fn dry_run(input: &Value) -> Result<(), AwsError> {
    if input.get("DryRun").and_then(Value::as_bool) == Some(true) {
        return Err(KmsError::DryRun.into());
    }
    Ok(())
}

fn validation(message: String) -> AwsError {
    CommonError::ValidationException { message }.into()
}

/// `CreateKey`: symmetric, RSA, elliptic-curve and HMAC keys.
pub(crate) fn create_key(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let spec = str_member(input, "KeySpec")
        .or(str_member(input, "CustomerMasterKeySpec"))
        .unwrap_or("SYMMETRIC_DEFAULT");
    if input.get("KeySpec").is_some() && input.get("CustomerMasterKeySpec").is_some() {
        return Err(validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.".into(),
        ));
    }
    let usage = str_member(input, "KeyUsage").unwrap_or("ENCRYPT_DECRYPT");
    if !specs::SUPPORTED.contains(&spec) {
        return Err(KmsError::Unsupported {
            what: format!("KeySpec {spec} is not supported by Gureum yet"),
        }
        .into());
    }
    if specs::algorithms(spec, usage).is_none() {
        return Err(validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    let origin = str_member(input, "Origin").unwrap_or("AWS_KMS");
    // Imported material: symmetric keys only, for now.
    let external = origin == "EXTERNAL" && spec == "SYMMETRIC_DEFAULT";
    if origin != "AWS_KMS" && !external {
        return Err(KmsError::Unsupported {
            what: format!("Origin {origin} with KeySpec {spec} is not supported by Gureum yet"),
        }
        .into());
    }
    let multi_region =
        (input.get("MultiRegion").and_then(Value::as_bool) == Some(true)).then(|| {
            crate::MultiRegion {
                primary: ctx.region.clone(),
                replicas: Vec::new(),
            }
        });
    if multi_region.is_some() && external {
        return Err(KmsError::Unsupported {
            what: "Multi-Region keys with imported key material are not supported by Gureum yet"
                .into(),
        }
        .into());
    }
    if let Some(policy) = str_member(input, "Policy") {
        crate::settings::check_policy(policy)?;
    }
    let tags = crate::settings::tags_from(input)?;
    let now = ctx.clock.now_millis();
    // Multi-Region keys share one id in every region: `mrk-` and 32 hex digits.
    let id = match &multi_region {
        Some(_) => format!("mrk-{}", gureum_core::id::uuid_v4().replace('-', "")),
        None => gureum_core::id::uuid_v4(),
    };
    let materials = if external {
        // Material comes later, with ImportKeyMaterial.
        Vec::new()
    } else if spec == "SYMMETRIC_DEFAULT" {
        vec![new_material(svc, scope, &id, now, None)?]
    } else {
        let bytes =
            primitives::generate(spec).map_err(|_| AwsError::internal("key generation failed"))?;
        vec![seal_material(svc, scope, &id, now, None, &bytes)?]
    };
    let rec = KeyRecord {
        materials,
        id,
        created_ms: now,
        description: str_member(input, "Description").unwrap_or_default().into(),
        key_usage: usage.into(),
        key_spec: spec.into(),
        key_manager: "CUSTOMER".into(),
        state: if external { "PendingImport" } else { "Enabled" }.into(),
        deletion_ms: None,
        rotation_enabled: false,
        rotation_days: 365,
        rotation_since_ms: None,
        policy: str_member(input, "Policy")
            .map(str::to_string)
            .unwrap_or_else(|| default_policy(scope.account())),
        tags,
        origin: origin.into(),
        expiration_model: None,
        valid_to_ms: None,
        imported_material_id: None,
        multi_region,
    };
    // AWS's lockout safety check: the creator must be able to change the
    // policy it gives, unless it says it knows better.
    let bypass = input
        .get("BypassPolicyLockoutSafetyCheck")
        .and_then(Value::as_bool)
        == Some(true);
    if input.get("Policy").is_some()
        && !bypass
        && svc
            .authorize_key(ctx, &rec, "kms:PutKeyPolicy".into())
            .is_err()
    {
        return Err(KmsError::Lockout.into());
    }
    svc.keys.put(&scope.key(&rec.id), &rec)?;
    Ok(json!({ "KeyMetadata": metadata(scope, &rec) }))
}

/// `DescribeKey`: any state, AWS managed keys made on first use.
pub(crate) fn describe_key(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let given = str_member(input, "KeyId").unwrap_or_default();
    let rec = resolve(svc, ctx, given, "kms:DescribeKey")?;
    Ok(json!({ "KeyMetadata": metadata(Scope::regional(ctx), &rec) }))
}

/// The page a `Limit`/`Marker` input asks for (AWS's default: 100).
pub(crate) fn page_request(input: &Value) -> Result<PageRequest, AwsError> {
    let size = input.get("Limit").and_then(Value::as_i64);
    PageRequest::new(size, str_member(input, "Marker"), (1, 1000), 100)
        .map_err(|e| KmsError::from(e).into())
}

/// `{ <list>: items, Truncated, NextMarker? }`.
pub(crate) fn list_out(name: &str, items: Vec<Value>, next: Option<String>) -> Value {
    let mut out = Map::new();
    out.insert(name.into(), Value::Array(items));
    out.insert("Truncated".into(), json!(next.is_some()));
    if let Some(n) = next {
        out.insert("NextMarker".into(), json!(n));
    }
    Value::Object(out)
}

/// `ListKeys`: the keys of the account and region that still exist.
pub(crate) fn list_keys(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let request = page_request(input)?;
    let page = gureum_kit::paging::page(&svc.keys, &scope.prefix(), &request, |_, k| {
        live(k, now).map(|k| json!({ "KeyId": k.id, "KeyArn": key_arn(scope, &k.id) }))
    })?;
    Ok(list_out("Keys", page.items, page.next_token))
}

/// `EnableKey` / `DisableKey`.
pub(crate) fn set_enabled(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
    enabled: bool,
) -> OpResult {
    update(
        svc,
        ctx,
        str_member(input, "KeyId").unwrap_or_default(),
        &format!("kms:{}", if enabled { "EnableKey" } else { "DisableKey" }),
        |rec, scope, _| {
            not_pending(scope, rec)?;
            customer_managed(scope, rec)?;
            rec.state = if enabled { "Enabled" } else { "Disabled" }.into();
            Ok(())
        },
    )?;
    Ok(json!({}))
}

/// Refuses to change what AWS manages.
pub(crate) fn customer_managed(scope: Scope<'_>, rec: &KeyRecord) -> Result<(), AwsError> {
    if rec.key_manager == "AWS" {
        return Err(KmsError::ManagedKey {
            arn: key_arn(scope, &rec.id),
        }
        .into());
    }
    Ok(())
}

/// `ScheduleKeyDeletion`: 7–30 days (30 by default) on Gureum's clock.
pub(crate) fn schedule_deletion(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let days = input
        .get("PendingWindowInDays")
        .and_then(Value::as_i64)
        .unwrap_or(30);
    if !(7..=30).contains(&days) {
        let bound = if days < 7 {
            "greater than or equal to 7"
        } else {
            "less than or equal to 30"
        };
        return Err(validation(format!(
            "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value {bound}"
        )));
    }
    let (arn, at) = update(
        svc,
        ctx,
        str_member(input, "KeyId").unwrap_or_default(),
        "kms:ScheduleKeyDeletion",
        |rec, scope, now| {
            not_pending(scope, rec)?;
            customer_managed(scope, rec)?;
            let at = now + days * DAY_MS;
            rec.state = "PendingDeletion".into();
            rec.deletion_ms = Some(at);
            Ok((key_arn(scope, &rec.id), at))
        },
    )?;
    Ok(json!({
        "KeyId": arn,
        "DeletionDate": at as f64 / 1000.0,
        "KeyState": "PendingDeletion",
        "PendingWindowInDays": days,
    }))
}

/// `CancelKeyDeletion`: back to `Disabled`, as AWS leaves it.
pub(crate) fn cancel_deletion(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = update(
        svc,
        ctx,
        str_member(input, "KeyId").unwrap_or_default(),
        "kms:CancelKeyDeletion",
        |rec, scope, _| {
            let arn = key_arn(scope, &rec.id);
            if rec.state != "PendingDeletion" {
                return Err(KmsError::NotPendingDeletion { arn }.into());
            }
            rec.state = "Disabled".into();
            rec.deletion_ms = None;
            Ok(arn)
        },
    )?;
    Ok(json!({ "KeyId": arn }))
}
