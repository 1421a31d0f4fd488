//! Imported key material (`Origin: EXTERNAL`, symmetric keys):
//! `GetParametersForImport` hands out an RSA wrapping public key and an
//! import token valid 24 hours; `ImportKeyMaterial` unwraps 32 bytes of
//! material with it (RSAES-OAEP, SHA-1 or SHA-256) and seals them under the
//! master key like any other; `DeleteImportedKeyMaterial` removes them,
//! as does the passing of `ValidTo` (see `resolve::live`). A key accepts
//! only the material it was first given, whose version id is derived from
//! it, so ciphertexts made before an expiry decrypt after a re-import.
//!
//! Tokens are `"GKI" 0x01`, the key id (length-prefixed) and 16 random
//! bytes naming the stored wrapping key.

use crate::keys::material_owner;
use crate::resolve::{self, key_arn, not_pending, resolve_in};
use crate::{master, primitives, KeyRecord, KmsError, KmsService, Material};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const MAGIC: &[u8; 4] = b"GKI\x01";
/// How long import parameters stay valid (AWS: 24 hours).
const VALID_MS: i64 = 24 * 3_600_000;

/// A wrapping key handed out by `GetParametersForImport`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportParams {
    /// The RSA private key (PKCS #8), sealed under the master key.
    pub sealed: String,
    /// `RSAES_OAEP_SHA_1` or `RSAES_OAEP_SHA_256`.
    pub algorithm: String,
    /// When the token expires, epoch milliseconds.
    pub valid_to_ms: i64,
}

fn row(scope: Scope<'_>, key_id: &str, token_id: &str) -> String {
    scope.key(&format!("{key_id}/{token_id}"))
}

/// Refuses keys whose material is not imported.
fn external(scope: Scope<'_>, rec: &KeyRecord) -> Result<(), AwsError> {
    if rec.origin != "EXTERNAL" {
        return Err(KmsError::Unsupported {
            what: format!(
                "{} has origin {}; key material can only be imported into keys of origin EXTERNAL.",
                key_arn(scope, &rec.id),
                rec.origin
            ),
        }
        .into());
    }
    Ok(())
}

/// `GetParametersForImport`.
pub(crate) fn get_parameters(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let given = str_member(input, "KeyId").unwrap_or_default();
    let rec = resolve::resolve(svc, ctx, given, "kms:GetParametersForImport")?;
    external(scope, &rec)?;
    not_pending(scope, &rec)?;
    let algorithm = str_member(input, "WrappingAlgorithm").unwrap_or_default();
    let spec = str_member(input, "WrappingKeySpec").unwrap_or_default();
    if !matches!(algorithm, "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256")
        || !matches!(spec, "RSA_2048" | "RSA_3072" | "RSA_4096")
    {
        return Err(KmsError::Unsupported {
            what: format!("Gureum wraps imported key material with RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 and RSA_2048/3072/4096, not {algorithm} with {spec}."),
        }
        .into());
    }
    let failed = |_| AwsError::internal("wrapping key generation failed");
    let private = primitives::generate(spec).map_err(failed)?;
    let public = primitives::public_der(spec, &private).map_err(failed)?;
    let mut token_id = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut token_id);
    let token_id = hex::encode(token_id);
    let key = row(scope, &rec.id, &token_id);
    let valid_to_ms = ctx.clock.now_millis() + VALID_MS;
    let params = ImportParams {
        sealed: master::seal(svc, &key, &private)?,
        algorithm: algorithm.into(),
        valid_to_ms,
    };
    svc.imports.put(&key, &params)?;
    let mut token = MAGIC.to_vec();
    token.push(rec.id.len() as u8);
    token.extend_from_slice(rec.id.as_bytes());
    token.extend_from_slice(&hex::decode(&token_id).unwrap_or_default());
    Ok(json!({
        "KeyId": key_arn(scope, &rec.id),
        "ImportToken": B64.encode(token),
        "PublicKey": B64.encode(public),
        "ParametersValidTo": valid_to_ms as f64 / 1000.0,
    }))
}

/// The key id and token id of an import token.
fn parse_token(token: &[u8]) -> Option<(String, String)> {
    let rest = token.strip_prefix(MAGIC.as_slice())?;
    let (&n, rest) = rest.split_first()?;
    let n = n as usize;
    if rest.len() != n + 16 {
        return None;
    }
    let key_id = std::str::from_utf8(&rest[..n]).ok()?;
    Some((key_id.to_string(), hex::encode(&rest[n..])))
}

/// The version id of imported material: derived from it, so the same
/// material imported again is the same version.
fn imported_material_id(key_id: &str, material: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"gureum-kms-import\0");
    h.update(key_id.as_bytes());
    h.update(material);
    hex::encode(h.finalize())
}

fn validation(message: &str) -> AwsError {
    CommonError::ValidationException {
        message: message.into(),
    }
    .into()
}

/// `ImportKeyMaterial`.
pub(crate) fn import_material(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let blob = |name| {
        B64.decode(str_member(input, name).unwrap_or_default())
            .unwrap_or_default()
    };
    let token = blob("ImportToken");
    let wrapped = blob("EncryptedKeyMaterial");
    let valid_to_ms = input
        .get("ValidTo")
        .and_then(Value::as_f64)
        .map(|s| (s * 1000.0) as i64);
    let model = match (str_member(input, "ExpirationModel"), valid_to_ms) {
        (Some("KEY_MATERIAL_EXPIRES") | None, Some(_)) => "KEY_MATERIAL_EXPIRES",
        (Some("KEY_MATERIAL_DOES_NOT_EXPIRE") | None, None) => "KEY_MATERIAL_DOES_NOT_EXPIRE",
        (Some("KEY_MATERIAL_EXPIRES"), None) => {
            return Err(validation(
                "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.",
            ))
        }
        _ => {
            return Err(validation(
                "ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
            ))
        }
    };
    if valid_to_ms.is_some_and(|t| t <= now) {
        return Err(validation("ValidTo must be in the future."));
    }
    let given = str_member(input, "KeyId").unwrap_or_default();
    let (arn, material_id) = svc
        .store
        .write(|txn| -> Result<(String, String), AwsError> {
            let mut rec = resolve_in(svc, txn, ctx, given, Some("kms:ImportKeyMaterial"))?;
            external(scope, &rec)?;
            not_pending(scope, &rec)?;
            let (token_key, token_id) = parse_token(&token).ok_or(KmsError::InvalidImportToken)?;
            if token_key != rec.id {
                return Err(KmsError::InvalidImportToken.into());
            }
            let params_row = row(scope, &rec.id, &token_id);
            let params = txn
                .get(&svc.imports, &params_row)?
                .ok_or(KmsError::InvalidImportToken)?;
            if params.valid_to_ms <= now {
                return Err(KmsError::ExpiredImportToken.into());
            }
            let private = master::open(svc, &params_row, &params.sealed)?;
            let material = primitives::rsa_decrypt(&private, &params.algorithm, &wrapped)
                .map_err(|_| KmsError::InvalidCiphertext)?;
            if material.len() != 32 {
                return Err(KmsError::IncorrectKeyMaterial.into());
            }
            let material_id = imported_material_id(&rec.id, &material);
            // Only the material first imported may come back.
            if rec
                .imported_material_id
                .as_ref()
                .is_some_and(|id| *id != material_id)
            {
                return Err(KmsError::IncorrectKeyMaterial.into());
            }
            rec.imported_material_id = Some(material_id.clone());
            rec.materials = vec![Material {
                sealed: master::seal(
                    svc,
                    &material_owner(scope, &rec.id, &material_id),
                    &material,
                )?,
                id: material_id.clone(),
                created_ms: now,
                rotation_type: None,
            }];
            if rec.state == "PendingImport" {
                rec.state = "Enabled".into();
            }
            rec.expiration_model = Some(model.into());
            rec.valid_to_ms = valid_to_ms;
            txn.put(&svc.keys, &scope.key(&rec.id), &rec)?;
            Ok((key_arn(scope, &rec.id), material_id))
        })?;
    Ok(json!({ "KeyId": arn, "KeyMaterialId": material_id }))
}

/// `DeleteImportedKeyMaterial`: the key is `PendingImport` until
/// material is imported again.
pub(crate) fn delete_material(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let given = str_member(input, "KeyId").unwrap_or_default();
    let (arn, material_id) = resolve::update(
        svc,
        ctx,
        given,
        "kms:DeleteImportedKeyMaterial",
        |rec, scope, _| {
            external(scope, rec)?;
            not_pending(scope, rec)?;
            let id = rec
                .materials
                .last()
                .map(|m| m.id.clone())
                .unwrap_or_default();
            rec.materials.clear();
            rec.state = "PendingImport".into();
            rec.expiration_model = None;
            rec.valid_to_ms = None;
            Ok((key_arn(scope, &rec.id), id))
        },
    )?;
    Ok(json!({ "KeyId": arn, "KeyMaterialId": material_id }))
}
