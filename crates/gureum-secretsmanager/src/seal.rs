//! How secret values are kept.
//!
//! As on AWS, every value is encrypted with KMS through the service's
//! [`gureum_kit::encryption::Encryptor`]: under the customer key named by
//! `KmsKeyId`, or else the AWS managed key `aws/secretsmanager` (made on
//! first use, before the write transaction), bound to AWS's encryption
//! context (`SecretARN`, `SecretVersionId`).
//!
//! Before KMS was wired in, default-key values were sealed here with
//! AES-256-GCM under one local key per store (`secretsmanager.seal`),
//! bound to the secret's ARN and version id. Such versions (stored with
//! `kms_sealed: false`) are still opened with that key; nothing new is
//! sealed with it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use gureum_core::AwsError;
use gureum_store::{Store, Table};
use rand::RngCore;
use std::sync::RwLock;

/// The key under which the local key is stored.
const KEY_ID: &str = "local-key";

/// Whether `kms_key_id` means the AWS managed key `aws/secretsmanager`.
pub fn is_default_key(kms_key_id: Option<&str>) -> bool {
    matches!(
        kms_key_id,
        None | Some("alias/aws/secretsmanager" | "aws/secretsmanager")
    )
}

/// The local sealer: AES-256-GCM under a key kept in the store.
pub struct Sealer {
    store: Store,
    table: Table<Vec<u8>>,
    /// The key, once read (forgotten on a reset or import).
    key: RwLock<Option<[u8; 32]>>,
}

impl Sealer {
    /// The sealer over `store`.
    pub fn new(store: Store) -> Self {
        Sealer {
            table: store.table("secretsmanager.seal"),
            store,
            key: RwLock::new(None),
        }
    }

    /// Makes (and stores) the local key if the store has none, outside
    /// any transaction. The service no longer calls it (nothing new is
    /// sealed locally); it remains for tests that write values the way
    /// they were written before KMS.
    pub fn prepare(&self) -> Result<(), AwsError> {
        if self.cached().is_some() {
            return Ok(());
        }
        let bytes = self.store.write(|txn| -> Result<Vec<u8>, AwsError> {
            if let Some(k) = txn.get(&self.table, KEY_ID)? {
                return Ok(k);
            }
            let mut k = vec![0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut k);
            txn.put(&self.table, KEY_ID, &k)?;
            Ok(k)
        })?;
        self.remember(&bytes)
    }

    /// Forgets the cached key (the store was reset or replaced).
    pub fn forget(&self) {
        if let Ok(mut k) = self.key.write() {
            *k = None;
        }
    }

    fn cached(&self) -> Option<[u8; 32]> {
        self.key.read().ok().and_then(|k| *k)
    }

    fn remember(&self, bytes: &[u8]) -> Result<(), AwsError> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| AwsError::internal("the local sealing key is damaged"))?;
        if let Ok(mut k) = self.key.write() {
            *k = Some(key);
        }
        Ok(())
    }

    /// The local key ([`Sealer::prepare`] made it; read here without a
    /// write, so this is safe inside a write transaction).
    fn key(&self) -> Result<[u8; 32], AwsError> {
        if let Some(k) = self.cached() {
            return Ok(k);
        }
        let bytes = self
            .table
            .get(KEY_ID)?
            .ok_or_else(|| AwsError::internal("the local sealing key was not prepared"))?;
        self.remember(&bytes)?;
        self.cached()
            .ok_or_else(|| AwsError::internal("the local sealing key is unreadable"))
    }

    /// `nonce ‖ ciphertext ‖ tag` of `plaintext`, bound to `aad` (how
    /// default-key values were sealed before KMS; tests only now).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, AwsError> {
        let cipher = Aes256Gcm::new((&self.key()?).into());
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| AwsError::internal("sealing a secret value failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The plaintext of a blob [`Sealer::seal`] made with the same `aad`.
    pub fn open(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, AwsError> {
        if blob.len() < 12 {
            return Err(crate::SecretsError::Unsealable.into());
        }
        let cipher = Aes256Gcm::new((&self.key()?).into());
        cipher
            .decrypt(
                Nonce::from_slice(&blob[..12]),
                Payload {
                    msg: &blob[12..],
                    aad,
                },
            )
            .map_err(|_| crate::SecretsError::Unsealable.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_binding() {
        let s = Sealer::new(Store::in_memory().expect("store"));
        s.prepare().expect("key");
        let blob = s.seal(b"hunter2", b"arn|v1").expect("seal");
        assert!(!blob.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(s.open(&blob, b"arn|v1").expect("open"), b"hunter2");
        assert_eq!(
            s.open(&blob, b"arn|v2").expect_err("other binding").code,
            "DecryptionFailure"
        );
    }

    #[test]
    fn the_managed_alias_names_the_default_key() {
        assert!(is_default_key(None));
        assert!(is_default_key(Some("alias/aws/secretsmanager")));
        assert!(!is_default_key(Some("alias/mine")));
    }
}
