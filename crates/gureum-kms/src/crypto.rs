//! The encryption operations: `Encrypt`, `Decrypt`, `ReEncrypt` (symmetric
//! keys, and RSA keys with OAEP), `GenerateDataKey(WithoutPlaintext)`
//! (symmetric keys), `GenerateRandom`.

use crate::authorization::Access;
use crate::keys::{dry_run, material_owner};
use crate::resolve::{key_arn, resolve, usable};
use crate::{ciphertext, master, primitives, specs, KeyRecord, KmsError, KmsService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use rand::RngCore;
use serde_json::{json, Map};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ALGORITHM: &str = "SYMMETRIC_DEFAULT";

/// The key `given` names, ready for `operation`: usable now, of
/// `ENCRYPT_DECRYPT` usage (symmetric only for data keys), its automatic
/// rotation settled.
fn key_for(
    svc: &KmsService,
    ctx: &RequestContext,
    given: &str,
    operation: &str,
    symmetric_only: bool,
    context: Option<&Map<String, Value>>,
) -> Result<KeyRecord, AwsError> {
    // ReEncrypt's halves need kms:ReEncryptFrom and kms:ReEncryptTo; its
    // destination half comes here as "ReEncryptTo" and reports "ReEncrypt".
    let action = match operation {
        "ReEncrypt" => "kms:ReEncryptFrom".to_string(),
        "ReEncryptTo" => "kms:ReEncryptTo".to_string(),
        op => format!("kms:{op}"),
    };
    let operation = operation.strip_suffix("To").unwrap_or(operation);
    // These operations take a context: absent is empty, for grant constraints.
    let empty = Map::new();
    let access = Access {
        action: &action,
        context: Some(context.unwrap_or(&empty)),
    };
    let rec = resolve(svc, ctx, given, access)?;
    let scope = Scope::regional(ctx);
    usable(scope, &rec)?;
    let symmetric = rec.key_spec == ALGORITHM;
    if rec.key_usage != "ENCRYPT_DECRYPT" || (symmetric_only && !symmetric) {
        return Err(KmsError::WrongUsage {
            arn: key_arn(scope, &rec.id),
            usage: rec.key_usage.clone(),
            operation: operation.into(),
        }
        .into());
    }
    crate::settings::settle_rotation(svc, ctx, rec)
}

/// The algorithm a request names, checked against the key: symmetric
/// keys take `SYMMETRIC_DEFAULT` (the default), RSA keys need one of
/// theirs named.
fn algorithm_for(
    scope: Scope<'_>,
    rec: &KeyRecord,
    given: Option<&str>,
) -> Result<String, AwsError> {
    let allowed = specs::algorithms(&rec.key_spec, &rec.key_usage)
        .map(|a| a.encryption)
        .unwrap_or_default();
    let chosen = given.unwrap_or(ALGORITHM);
    if !allowed.contains(&chosen) {
        return Err(KmsError::WrongAlgorithm {
            arn: key_arn(scope, &rec.id),
            algorithm: chosen.into(),
        }
        .into());
    }
    Ok(chosen.to_string())
}

/// The plaintext material of version `material_id` of `rec`.
fn material(
    svc: &KmsService,
    scope: Scope<'_>,
    rec: &KeyRecord,
    material_id: &str,
) -> Result<Vec<u8>, AwsError> {
    let m = rec
        .materials
        .iter()
        .find(|m| m.id == material_id)
        .ok_or(KmsError::InvalidCiphertext)?;
    master::open(svc, &material_owner(scope, &rec.id, &m.id), &m.sealed)
}

/// The current material of a key, opened (an asymmetric or HMAC key's
/// only one).
pub(crate) fn current_material(
    svc: &KmsService,
    scope: Scope<'_>,
    rec: &KeyRecord,
) -> Result<Vec<u8>, AwsError> {
    let m = rec
        .materials
        .last()
        .ok_or_else(|| AwsError::internal("a key without material"))?;
    master::open(svc, &material_owner(scope, &rec.id, &m.id), &m.sealed)
}

/// `plaintext` encrypted under `rec` with `algorithm`, base64.
fn encrypt_with(
    svc: &KmsService,
    scope: Scope<'_>,
    rec: &KeyRecord,
    algorithm: &str,
    context: Option<&Map<String, Value>>,
    plaintext: &[u8],
) -> Result<String, AwsError> {
    let material = current_material(svc, scope, rec)?;
    let blob = if algorithm == ALGORITHM {
        let current = rec
            .materials
            .last()
            .map(|m| m.id.as_str())
            .unwrap_or_default();
        ciphertext::seal(&rec.id, current, &material, context, plaintext)
            .ok_or_else(|| AwsError::internal("encryption failed"))?
    } else {
        primitives::rsa_encrypt(&material, algorithm, plaintext).map_err(|_| {
            AwsError::from(CommonError::ValidationException {
                message: format!(
                    "Plaintext is too long for {} with {algorithm}.",
                    rec.key_spec
                ),
            })
        })?
    };
    Ok(B64.encode(blob))
}

fn context<'v>(input: &'v Value, name: &str) -> Option<&'v Map<String, Value>> {
    input.get(name).and_then(Value::as_object)
}

fn blob(input: &Value, name: &str) -> Result<Vec<u8>, AwsError> {
    B64.decode(str_member(input, name).unwrap_or_default())
        .map_err(|_| KmsError::InvalidCiphertext.into())
}

/// `Encrypt`: symmetric keys, or RSA keys with an OAEP algorithm.
pub(crate) fn encrypt(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let given = str_member(input, "KeyId").unwrap_or_default();
    let context = context(input, "EncryptionContext");
    let rec = key_for(svc, ctx, given, "Encrypt", false, context)?;
    let algorithm = algorithm_for(scope, &rec, str_member(input, "EncryptionAlgorithm"))?;
    let plaintext = blob(input, "Plaintext")?;
    let out = encrypt_with(svc, scope, &rec, &algorithm, context, &plaintext)?;
    dry_run(input)?;
    Ok(json!({
        "CiphertextBlob": out,
        "KeyId": key_arn(scope, &rec.id),
        "EncryptionAlgorithm": algorithm,
    }))
}

/// What one ciphertext decrypted to.
struct Opened {
    key: KeyRecord,
    plaintext: Vec<u8>,
    algorithm: String,
}

/// Decrypts `blob` for a `Decrypt` or the source half of a `ReEncrypt`:
/// a symmetric blob names its key, and a `KeyId`, when given, must name
/// the same; an RSA ciphertext needs its key named.
fn open_blob(
    svc: &KmsService,
    ctx: &RequestContext,
    blob: &[u8],
    key_id: Option<&str>,
    context: Option<&Map<String, Value>>,
    algorithm: Option<&str>,
    operation: &str,
) -> Result<Opened, AwsError> {
    let scope = Scope::regional(ctx);
    let named = match key_id {
        Some(given) => Some(key_for(svc, ctx, given, operation, false, context)?),
        None => None,
    };
    if let Some(key) = named.as_ref().filter(|k| k.key_spec != ALGORITHM) {
        let algorithm = algorithm_for(scope, key, algorithm)?;
        let material = current_material(svc, scope, key)?;
        let plaintext = primitives::rsa_decrypt(&material, &algorithm, blob)
            .map_err(|_| KmsError::InvalidCiphertext)?;
        return Ok(Opened {
            key: key.clone(),
            plaintext,
            algorithm,
        });
    }
    let header = ciphertext::header(blob)
        .ok()
        .filter(|h| crate::resolve::is_key_id(&h.key_id))
        .ok_or(KmsError::InvalidCiphertext)?;
    let key = match named {
        Some(named) if named.id != header.key_id => return Err(KmsError::IncorrectKey.into()),
        Some(named) => named,
        None => {
            let scope = Scope::regional(ctx);
            let known = svc.keys.get(&scope.key(&header.key_id))?;
            if known
                .and_then(|k| crate::resolve::live(k, ctx.clock.now_millis()))
                .is_none()
            {
                return Err(KmsError::CiphertextKeyUnknown.into());
            }
            key_for(svc, ctx, &header.key_id, operation, false, context)?
        }
    };
    let algorithm = algorithm_for(scope, &key, algorithm)?;
    let bytes = material(svc, scope, &key, &header.material_id)?;
    let plaintext =
        ciphertext::open(blob, &bytes, context).map_err(|_| KmsError::InvalidCiphertext)?;
    Ok(Opened {
        key,
        plaintext,
        algorithm,
    })
}

/// `Decrypt`: no `KeyId` needed for symmetric ciphertexts, the blob names
/// its key.
pub(crate) fn decrypt(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let data = blob(input, "CiphertextBlob")?;
    if input.get("Recipient").is_some() {
        return Err(recipient_unsupported());
    }
    let opened = open_blob(
        svc,
        ctx,
        &data,
        str_member(input, "KeyId"),
        context(input, "EncryptionContext"),
        str_member(input, "EncryptionAlgorithm"),
        "Decrypt",
    )?;
    dry_run(input)?;
    Ok(json!({
        "KeyId": key_arn(Scope::regional(ctx), &opened.key.id),
        "Plaintext": B64.encode(opened.plaintext),
        "EncryptionAlgorithm": opened.algorithm,
    }))
}

/// Nitro Enclave attestation (`Recipient`) is not something Gureum has.
fn recipient_unsupported() -> AwsError {
    KmsError::Unsupported {
        what: "Recipient (Nitro Enclaves attestation) is not supported by Gureum".into(),
    }
    .into()
}

/// `ReEncrypt`: decrypt under the source key and context, encrypt under
/// the destination's, without the plaintext leaving the service.
pub(crate) fn re_encrypt(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let data = blob(input, "CiphertextBlob")?;
    let source = open_blob(
        svc,
        ctx,
        &data,
        str_member(input, "SourceKeyId"),
        context(input, "SourceEncryptionContext"),
        str_member(input, "SourceEncryptionAlgorithm"),
        "ReEncrypt",
    )?;
    let given = str_member(input, "DestinationKeyId").unwrap_or_default();
    let dest_context = context(input, "DestinationEncryptionContext");
    let dest = key_for(svc, ctx, given, "ReEncryptTo", false, dest_context)?;
    let dest_algorithm = str_member(input, "DestinationEncryptionAlgorithm");
    let dest_algorithm = algorithm_for(scope, &dest, dest_algorithm)?;
    let out = encrypt_with(
        svc,
        scope,
        &dest,
        &dest_algorithm,
        dest_context,
        &source.plaintext,
    )?;
    dry_run(input)?;
    Ok(json!({
        "CiphertextBlob": out,
        "SourceKeyId": key_arn(scope, &source.key.id),
        "KeyId": key_arn(scope, &dest.id),
        "SourceEncryptionAlgorithm": source.algorithm,
        "DestinationEncryptionAlgorithm": dest_algorithm,
    }))
}

/// The data key length a request asks for: `KeySpec` or `NumberOfBytes`,
/// exactly one of them.
fn data_key_len(input: &Value) -> Result<usize, AwsError> {
    let spec = str_member(input, "KeySpec");
    let bytes = input.get("NumberOfBytes").and_then(Value::as_i64);
    let message = "Please specify either number of bytes or key spec.";
    match (spec, bytes) {
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        // The model bounds NumberOfBytes to 1–1024 before this runs.
        (None, Some(n)) if (1..=1024).contains(&n) => Ok(n as usize),
        _ => Err(CommonError::ValidationException {
            message: message.into(),
        }
        .into()),
    }
}

/// `GenerateDataKey` (`with_plaintext`) or `…WithoutPlaintext`.
pub(crate) fn generate_data_key(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
    with_plaintext: bool,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let operation = if with_plaintext {
        "GenerateDataKey"
    } else {
        "GenerateDataKeyWithoutPlaintext"
    };
    if input.get("Recipient").is_some() {
        return Err(recipient_unsupported());
    }
    let given = str_member(input, "KeyId").unwrap_or_default();
    let context = context(input, "EncryptionContext");
    let rec = key_for(svc, ctx, given, operation, true, context)?;
    let mut key = vec![0u8; data_key_len(input)?];
    rand::thread_rng().fill_bytes(&mut key);
    let out = encrypt_with(svc, scope, &rec, ALGORITHM, context, &key)?;
    let mut reply = Map::new();
    reply.insert("CiphertextBlob".into(), json!(out));
    if with_plaintext {
        reply.insert("Plaintext".into(), json!(B64.encode(&key)));
    }
    reply.insert("KeyId".into(), json!(key_arn(scope, &rec.id)));
    dry_run(input)?;
    Ok(Value::Object(reply))
}

/// `GenerateDataKeyPair` (`with_plaintext`) or `…WithoutPlaintext`: an
/// RSA or elliptic-curve key pair whose private key (PKCS #8 DER) comes
/// back encrypted under a symmetric key.
pub(crate) fn generate_data_key_pair(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
    with_plaintext: bool,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let operation = if with_plaintext {
        "GenerateDataKeyPair"
    } else {
        "GenerateDataKeyPairWithoutPlaintext"
    };
    if input.get("Recipient").is_some() {
        return Err(recipient_unsupported());
    }
    let given = str_member(input, "KeyId").unwrap_or_default();
    let context = context(input, "EncryptionContext");
    let rec = key_for(svc, ctx, given, operation, true, context)?;
    let spec = str_member(input, "KeyPairSpec").unwrap_or_default();
    if !specs::is_asymmetric(spec) || !specs::SUPPORTED.contains(&spec) {
        return Err(KmsError::Unsupported {
            what: format!("KeyPairSpec {spec} is not supported by Gureum"),
        }
        .into());
    }
    dry_run(input)?;
    let failed = |_| AwsError::internal("key pair generation failed");
    let material = primitives::generate(spec).map_err(failed)?;
    let private = primitives::private_pkcs8(spec, &material).map_err(failed)?;
    let public = primitives::public_der(spec, &material).map_err(failed)?;
    let sealed = encrypt_with(svc, scope, &rec, ALGORITHM, context, &private)?;
    let mut reply = Map::new();
    reply.insert("PrivateKeyCiphertextBlob".into(), json!(sealed));
    if with_plaintext {
        reply.insert("PrivateKeyPlaintext".into(), json!(B64.encode(&private)));
    }
    reply.insert("PublicKey".into(), json!(B64.encode(public)));
    reply.insert("KeyId".into(), json!(key_arn(scope, &rec.id)));
    reply.insert("KeyPairSpec".into(), json!(spec));
    Ok(Value::Object(reply))
}

/// `GenerateRandom`: 1–1024 random bytes.
pub(crate) fn generate_random(_ctx: &RequestContext, input: &Value) -> OpResult {
    if input.get("Recipient").is_some() {
        return Err(recipient_unsupported());
    }
    if input.get("CustomKeyStoreId").is_some() {
        return Err(KmsError::Unsupported {
            what: "custom key stores are not supported by Gureum".into(),
        }
        .into());
    }
    let n = input
        .get("NumberOfBytes")
        .and_then(Value::as_i64)
        .filter(|n| (1..=1024).contains(n))
        .ok_or_else(|| {
            AwsError::from(CommonError::ValidationException {
                message: "1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null".into(),
            })
        })?;
    let mut bytes = vec![0u8; n as usize];
    rand::thread_rng().fill_bytes(&mut bytes);
    Ok(json!({ "Plaintext": B64.encode(bytes) }))
}
