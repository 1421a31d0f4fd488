//! Asymmetric and HMAC keys' operations: `Sign`, `Verify` (messages RAW or
//! as a DIGEST), `GetPublicKey`, `DeriveSharedSecret` (ECDH),
//! `GenerateMac`, `VerifyMac`.

use crate::crypto::current_material;
use crate::keys::dry_run;
use crate::resolve::{key_arn, resolve, usable};
use crate::{primitives, specs, KeyRecord, KmsError, KmsService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use serde_json::{json, Map};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The key `given` names, usable now and of `usage`.
fn key_for(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
    usage: &str,
    operation: &str,
) -> Result<KeyRecord, AwsError> {
    let given = str_member(input, "KeyId").unwrap_or_default();
    let rec = resolve(svc, ctx, given, format!("kms:{operation}").as_str())?;
    let scope = Scope::regional(ctx);
    usable(scope, &rec)?;
    if rec.key_usage != usage {
        return Err(KmsError::WrongUsage {
            arn: key_arn(scope, &rec.id),
            usage: rec.key_usage.clone(),
            operation: operation.into(),
        }
        .into());
    }
    Ok(rec)
}

/// The algorithm named by `member`, which the key must support.
fn algorithm<'i>(
    scope: Scope<'_>,
    rec: &KeyRecord,
    input: &'i Value,
    member: &str,
    pick: fn(specs::Algorithms) -> &'static [&'static str],
) -> Result<&'i str, AwsError> {
    let given = str_member(input, member).unwrap_or_default();
    let allowed = specs::algorithms(&rec.key_spec, &rec.key_usage)
        .map(pick)
        .unwrap_or_default();
    if !allowed.contains(&given) {
        return Err(KmsError::WrongAlgorithm {
            arn: key_arn(scope, &rec.id),
            algorithm: given.into(),
        }
        .into());
    }
    Ok(given)
}

fn blob(input: &Value, name: &str) -> Result<Vec<u8>, AwsError> {
    B64.decode(str_member(input, name).unwrap_or_default())
        .map_err(|_| {
            CommonError::ValidationException {
                message: format!("{name} is not valid base64."),
            }
            .into()
        })
}

/// The digest to sign or verify: the message's (`RAW`, the default) or
/// the message itself (`DIGEST`), which must be the algorithm's length.
fn digest_of(input: &Value, algorithm: &str) -> Result<Vec<u8>, AwsError> {
    let message = blob(input, "Message")?;
    match str_member(input, "MessageType").unwrap_or("RAW") {
        "RAW" => Ok(primitives::digest(algorithm, &message)),
        "DIGEST" if message.len() == primitives::digest_len(algorithm) => Ok(message),
        "DIGEST" => Err(CommonError::ValidationException {
            message: format!("Digest is invalid length for algorithm {algorithm}."),
        }
        .into()),
        other => Err(KmsError::Unsupported {
            what: format!("MessageType {other} is not supported by Gureum"),
        }
        .into()),
    }
}

fn failed(what: &str) -> AwsError {
    AwsError::internal(format!("{what} failed"))
}

/// `Sign`.
pub(crate) fn sign(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let rec = key_for(svc, ctx, input, "SIGN_VERIFY", "Sign")?;
    let algorithm = algorithm(scope, &rec, input, "SigningAlgorithm", |a| a.signing)?;
    let digest = digest_of(input, algorithm)?;
    let material = current_material(svc, scope, &rec)?;
    let signature = primitives::sign(&rec.key_spec, &material, algorithm, &digest)
        .map_err(|_| failed("signing"))?;
    dry_run(input)?;
    Ok(json!({
        "KeyId": key_arn(scope, &rec.id),
        "Signature": B64.encode(signature),
        "SigningAlgorithm": algorithm,
    }))
}

/// `Verify`: `SignatureValid` true, or `KMSInvalidSignatureException`.
pub(crate) fn verify(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let rec = key_for(svc, ctx, input, "SIGN_VERIFY", "Verify")?;
    let algorithm = algorithm(scope, &rec, input, "SigningAlgorithm", |a| a.signing)?;
    let digest = digest_of(input, algorithm)?;
    let signature = blob(input, "Signature")?;
    let material = current_material(svc, scope, &rec)?;
    let valid = primitives::verify(&rec.key_spec, &material, algorithm, &digest, &signature)
        .map_err(|_| failed("verification"))?;
    if !valid {
        return Err(KmsError::InvalidSignature.into());
    }
    dry_run(input)?;
    Ok(json!({
        "KeyId": key_arn(scope, &rec.id),
        "SignatureValid": true,
        "SigningAlgorithm": algorithm,
    }))
}

/// `GetPublicKey`: the DER `SubjectPublicKeyInfo` of an asymmetric key.
pub(crate) fn get_public_key(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let given = str_member(input, "KeyId").unwrap_or_default();
    let rec = resolve(svc, ctx, given, "kms:GetPublicKey")?;
    usable(scope, &rec)?;
    if !specs::is_asymmetric(&rec.key_spec) {
        return Err(KmsError::Unsupported {
            what: format!(
                "{} is not an asymmetric KMS key; it has no public key.",
                key_arn(scope, &rec.id)
            ),
        }
        .into());
    }
    let material = current_material(svc, scope, &rec)?;
    let der = primitives::public_der(&rec.key_spec, &material).map_err(|_| failed("export"))?;
    let mut out = Map::new();
    out.insert("KeyId".into(), json!(key_arn(scope, &rec.id)));
    out.insert("PublicKey".into(), json!(B64.encode(der)));
    out.insert("CustomerMasterKeySpec".into(), json!(rec.key_spec));
    out.insert("KeySpec".into(), json!(rec.key_spec));
    out.insert("KeyUsage".into(), json!(rec.key_usage));
    if let Some(a) = specs::algorithms(&rec.key_spec, &rec.key_usage) {
        if !a.encryption.is_empty() {
            out.insert("EncryptionAlgorithms".into(), json!(a.encryption));
        }
        if !a.signing.is_empty() {
            out.insert("SigningAlgorithms".into(), json!(a.signing));
        }
        if !a.agreement.is_empty() {
            out.insert("KeyAgreementAlgorithms".into(), json!(a.agreement));
        }
    }
    Ok(Value::Object(out))
}

/// `DeriveSharedSecret`: ECDH between a KEY_AGREEMENT key and a peer's
/// public key (DER `SubjectPublicKeyInfo` of the same curve).
pub(crate) fn derive_shared_secret(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    if input.get("Recipient").is_some() {
        return Err(KmsError::Unsupported {
            what: "Recipient (Nitro Enclaves attestation) is not supported by Gureum".into(),
        }
        .into());
    }
    let rec = key_for(svc, ctx, input, "KEY_AGREEMENT", "DeriveSharedSecret")?;
    algorithm(scope, &rec, input, "KeyAgreementAlgorithm", |a| a.agreement)?;
    let peer = blob(input, "PublicKey")?;
    let material = current_material(svc, scope, &rec)?;
    let secret = primitives::derive_shared_secret(&rec.key_spec, &material, &peer)
        .map_err(|_| failed("key agreement"))?
        .ok_or_else(|| {
            AwsError::from(CommonError::ValidationException {
                message: format!("PublicKey is not a valid {} public key.", rec.key_spec),
            })
        })?;
    dry_run(input)?;
    Ok(json!({
        "KeyId": key_arn(scope, &rec.id),
        "SharedSecret": B64.encode(secret),
        "KeyAgreementAlgorithm": "ECDH",
        "KeyOrigin": rec.origin,
    }))
}

/// The MAC of an input's `Message` with its key and `MacAlgorithm`.
fn mac_of(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
    operation: &str,
) -> Result<(KeyRecord, String, Vec<u8>), AwsError> {
    let scope = Scope::regional(ctx);
    let rec = key_for(svc, ctx, input, "GENERATE_VERIFY_MAC", operation)?;
    let algorithm = algorithm(scope, &rec, input, "MacAlgorithm", |a| a.mac)?.to_string();
    let material = current_material(svc, scope, &rec)?;
    let message = blob(input, "Message")?;
    let mac = primitives::hmac(&algorithm, &material, &message).map_err(|_| failed("HMAC"))?;
    Ok((rec, algorithm, mac))
}

/// `GenerateMac`.
pub(crate) fn generate_mac(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (rec, algorithm, mac) = mac_of(svc, ctx, input, "GenerateMac")?;
    dry_run(input)?;
    Ok(json!({
        "Mac": B64.encode(mac),
        "MacAlgorithm": algorithm,
        "KeyId": key_arn(Scope::regional(ctx), &rec.id),
    }))
}

/// `VerifyMac`: `MacValid` true, or `KMSInvalidMacException`.
pub(crate) fn verify_mac(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (rec, algorithm, mac) = mac_of(svc, ctx, input, "VerifyMac")?;
    let given = blob(input, "Mac")?;
    // Constant-time comparison, as for any MAC check.
    let same = given.len() == mac.len()
        && given
            .iter()
            .zip(&mac)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(KmsError::InvalidMac.into());
    }
    dry_run(input)?;
    Ok(json!({
        "KeyId": key_arn(Scope::regional(ctx), &rec.id),
        "MacValid": true,
        "MacAlgorithm": algorithm,
    }))
}
