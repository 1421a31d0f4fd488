//! The cryptographic operations of symmetric keys: `Encrypt`, `Decrypt`,
//! `ReEncrypt`, `GenerateDataKey(WithoutPlaintext)`, `GenerateRandom`.

use crate::keys::{key_arn, material_owner, resolve, usable};
use crate::{ciphertext, master, KeyRecord, KmsError, KmsService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use rand::RngCore;
use serde_json::{json, Map};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ALGORITHM: &str = "SYMMETRIC_DEFAULT";

/// The key `given` names, ready for `operation`: usable now, of
/// `ENCRYPT_DECRYPT` usage, its automatic rotation settled.
fn key_for(
    svc: &KmsService,
    ctx: &RequestContext,
    given: &str,
    operation: &str,
) -> Result<KeyRecord, AwsError> {
    let rec = resolve(svc, ctx, given)?;
    let scope = Scope::regional(ctx);
    usable(scope, &rec)?;
    if rec.key_usage != "ENCRYPT_DECRYPT" || rec.key_spec != "SYMMETRIC_DEFAULT" {
        return Err(KmsError::WrongUsage {
            arn: key_arn(scope, &rec.id),
            usage: rec.key_usage.clone(),
            operation: operation.into(),
        }
        .into());
    }
    crate::settings::settle_rotation(svc, ctx, rec)
}

/// The algorithm a request names, which must be the symmetric one.
fn check_algorithm(
    scope: Scope<'_>,
    rec: &KeyRecord,
    given: Option<&str>,
    operation: &str,
) -> Result<(), AwsError> {
    match given {
        None | Some(ALGORITHM) => Ok(()),
        Some(other) => Err(KmsError::WrongUsage {
            arn: key_arn(scope, &rec.id),
            usage: format!("{} with algorithm {other}", rec.key_usage),
            operation: operation.into(),
        }
        .into()),
    }
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

/// `plaintext` encrypted under the current material of `rec`.
fn seal_with(
    svc: &KmsService,
    scope: Scope<'_>,
    rec: &KeyRecord,
    context: Option<&Map<String, Value>>,
    plaintext: &[u8],
) -> Result<String, AwsError> {
    let current = rec
        .materials
        .last()
        .ok_or_else(|| AwsError::internal("a key without material"))?;
    let bytes = material(svc, scope, rec, &current.id)?;
    let blob = ciphertext::seal(&rec.id, &current.id, &bytes, context, plaintext)
        .ok_or_else(|| AwsError::internal("encryption failed"))?;
    Ok(B64.encode(blob))
}

fn context<'v>(input: &'v Value, name: &str) -> Option<&'v Map<String, Value>> {
    input.get(name).and_then(Value::as_object)
}

fn blob(input: &Value, name: &str) -> Result<Vec<u8>, AwsError> {
    B64.decode(str_member(input, name).unwrap_or_default())
        .map_err(|_| KmsError::InvalidCiphertext.into())
}

/// `Encrypt`.
pub(crate) fn encrypt(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let rec = key_for(
        svc,
        ctx,
        str_member(input, "KeyId").unwrap_or_default(),
        "Encrypt",
    )?;
    check_algorithm(
        scope,
        &rec,
        str_member(input, "EncryptionAlgorithm"),
        "Encrypt",
    )?;
    let plaintext = blob(input, "Plaintext")?;
    let out = seal_with(
        svc,
        scope,
        &rec,
        context(input, "EncryptionContext"),
        &plaintext,
    )?;
    Ok(json!({
        "CiphertextBlob": out,
        "KeyId": key_arn(scope, &rec.id),
        "EncryptionAlgorithm": ALGORITHM,
    }))
}

/// Decrypts `blob` for a `Decrypt` or the source half of a `ReEncrypt`:
/// the key comes from the blob; a `KeyId`, when given, must name it.
fn open_blob(
    svc: &KmsService,
    ctx: &RequestContext,
    blob: &[u8],
    key_id: Option<&str>,
    context: Option<&Map<String, Value>>,
    operation: &str,
) -> Result<(KeyRecord, Vec<u8>), AwsError> {
    let scope = Scope::regional(ctx);
    let header = ciphertext::header(blob).map_err(|_| KmsError::InvalidCiphertext)?;
    let rec = match key_id {
        Some(given) => {
            let named = key_for(svc, ctx, given, operation)?;
            if named.id != header.key_id {
                return Err(KmsError::IncorrectKey.into());
            }
            named
        }
        None => key_for(svc, ctx, &header.key_id, operation)?,
    };
    let bytes = material(svc, scope, &rec, &header.material_id)?;
    let plaintext =
        ciphertext::open(blob, &bytes, context).map_err(|_| KmsError::InvalidCiphertext)?;
    Ok((rec, plaintext))
}

/// `Decrypt`: no `KeyId` needed, the blob names its key.
pub(crate) fn decrypt(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let data = blob(input, "CiphertextBlob")?;
    if input.get("Recipient").is_some() {
        return Err(recipient_unsupported());
    }
    let (rec, plaintext) = open_blob(
        svc,
        ctx,
        &data,
        str_member(input, "KeyId"),
        context(input, "EncryptionContext"),
        "Decrypt",
    )?;
    let scope = Scope::regional(ctx);
    check_algorithm(
        scope,
        &rec,
        str_member(input, "EncryptionAlgorithm"),
        "Decrypt",
    )?;
    Ok(json!({
        "KeyId": key_arn(scope, &rec.id),
        "Plaintext": B64.encode(plaintext),
        "EncryptionAlgorithm": ALGORITHM,
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
    let (source, plaintext) = open_blob(
        svc,
        ctx,
        &data,
        str_member(input, "SourceKeyId"),
        context(input, "SourceEncryptionContext"),
        "ReEncrypt",
    )?;
    check_algorithm(
        scope,
        &source,
        str_member(input, "SourceEncryptionAlgorithm"),
        "ReEncrypt",
    )?;
    let dest = key_for(
        svc,
        ctx,
        str_member(input, "DestinationKeyId").unwrap_or_default(),
        "ReEncrypt",
    )?;
    check_algorithm(
        scope,
        &dest,
        str_member(input, "DestinationEncryptionAlgorithm"),
        "ReEncrypt",
    )?;
    let out = seal_with(
        svc,
        scope,
        &dest,
        context(input, "DestinationEncryptionContext"),
        &plaintext,
    )?;
    Ok(json!({
        "CiphertextBlob": out,
        "SourceKeyId": key_arn(scope, &source.id),
        "KeyId": key_arn(scope, &dest.id),
        "SourceEncryptionAlgorithm": ALGORITHM,
        "DestinationEncryptionAlgorithm": ALGORITHM,
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
    let rec = key_for(
        svc,
        ctx,
        str_member(input, "KeyId").unwrap_or_default(),
        operation,
    )?;
    let mut key = vec![0u8; data_key_len(input)?];
    rand::thread_rng().fill_bytes(&mut key);
    let out = seal_with(svc, scope, &rec, context(input, "EncryptionContext"), &key)?;
    let mut reply = Map::new();
    reply.insert("CiphertextBlob".into(), json!(out));
    if with_plaintext {
        reply.insert("Plaintext".into(), json!(B64.encode(&key)));
    }
    reply.insert("KeyId".into(), json!(key_arn(scope, &rec.id)));
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
