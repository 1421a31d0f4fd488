//! Gureum's master key: 32 random bytes made on the first use of a store
//! and kept in it (`kms.master`), under which every key's material is
//! sealed (AES-256-GCM, a fresh nonce each time, the material's owner as
//! additional data so a sealed blob cannot be moved to another key).

use crate::KmsService;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use gureum_core::AwsError;
use rand::RngCore;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const ROW: &str = "master";

/// The master key, read from the store or made there once.
fn master_key(svc: &KmsService) -> Result<[u8; 32], AwsError> {
    if let Some(k) = *svc.master.read() {
        return Ok(k);
    }
    let bytes = gureum_kit::master_key::load_or_create(&svc.store, &svc.master_table, ROW, "KMS")?;
    *svc.master.write() = Some(bytes);
    Ok(bytes)
}

/// Reads (or makes) the master key now, outside any transaction.
pub(crate) fn warm(svc: &KmsService) -> Result<(), AwsError> {
    master_key(svc).map(|_| ())
}

/// `material` sealed for `owner` (the key's scope key and material id).
pub(crate) fn seal(svc: &KmsService, owner: &str, material: &[u8]) -> Result<String, AwsError> {
    let cipher = Aes256Gcm::new(&master_key(svc)?.into());
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: material,
                aad: owner.as_bytes(),
            },
        )
        .map_err(|_| AwsError::internal("sealing key material failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(B64.encode(out))
}

/// The material sealed for `owner`.
pub(crate) fn open(svc: &KmsService, owner: &str, sealed: &str) -> Result<Vec<u8>, AwsError> {
    let broken = || AwsError::internal("stored key material does not open under the master key");
    let bytes = B64.decode(sealed).map_err(|_| broken())?;
    if bytes.len() < 12 {
        return Err(broken());
    }
    let (nonce, body) = bytes.split_at(12);
    Aes256Gcm::new(&master_key(svc)?.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: owner.as_bytes(),
            },
        )
        .map_err(|_| broken())
}
