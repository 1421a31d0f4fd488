//! SSE-S3: objects encrypted at rest under keys S3 itself manages, AWS's
//! default for every object not encrypted with KMS or a customer's key.
//!
//! Each object (or multipart upload) gets a fresh 256-bit data key; its
//! bytes are stored encrypted with it ([`crate::cipher`], AES-256-CTR, so
//! a ranged GET decrypts only its range), and the data key is kept only
//! sealed under S3's master key: AES-256-GCM, a fresh 96-bit nonce each
//! time. The master key is 32 random bytes made on the first use of a
//! store and kept in it (`s3.master`), the way KMS keeps the key its own
//! material is sealed under; it never leaves the process otherwise.
//!
//! Objects written before SSE-S3 encrypted anything carry no sealed key
//! ([`crate::object::ObjectVersion::sse_s3`] is `None`) and are read as
//! stored.

use crate::cipher::DataCipher;
use crate::S3Service;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use gureum_core::AwsError;
use std::sync::Arc;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// The master key's row in `s3.master`.
const ROW: &str = "master";
/// What every sealed data key is bound to (GCM's additional data), so a
/// blob sealed for another purpose under the same key never opens here.
const AAD: &[u8] = b"gureum:s3:sse-s3:data-key";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// An object's (or upload's) data key, sealed under S3's master key.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SseS3 {
    /// Base64 of nonce, ciphertext and tag.
    pub sealed_key: String,
}

/// The master key, cached once read or made (forgotten on reset).
#[derive(Default)]
pub struct MasterKey(std::sync::RwLock<Option<Arc<Aes256Gcm>>>);

impl MasterKey {
    /// Forgets the cached key (the store was reset or replaced).
    pub fn forget(&self) {
        if let Ok(mut k) = self.0.write() {
            *k = None;
        }
    }
}

fn broken() -> AwsError {
    AwsError::internal("an SSE-S3 data key does not open under S3's master key")
}

impl S3Service {
    /// S3's master key, read from the store or made there once (in one
    /// transaction, so two first writers agree). Called outside any
    /// transaction.
    fn master_cipher(&self) -> Result<Arc<Aes256Gcm>, AwsError> {
        if let Some(k) = self.master.0.read().ok().and_then(|k| k.clone()) {
            return Ok(k);
        }
        let bytes =
            gureum_kit::master_key::load_or_create(&self.store, &self.master_table, ROW, "S3")?;
        let cipher = Arc::new(Aes256Gcm::new(&bytes.into()));
        if let Ok(mut k) = self.master.0.write() {
            *k = Some(cipher.clone());
        }
        Ok(cipher)
    }

    /// A fresh data key, sealed for storing, and its cipher.
    pub(crate) fn new_s3_key(&self) -> Result<(SseS3, DataCipher), AwsError> {
        let master = self.master_cipher()?;
        let (cipher, raw) = DataCipher::generate();
        let nonce: [u8; NONCE_LEN] = rand::random();
        let mut sealed = Vec::with_capacity(NONCE_LEN + raw.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&raw);
        let tag = master
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), AAD, &mut sealed[NONCE_LEN..])
            .map_err(|_| AwsError::internal("sealing an SSE-S3 data key failed"))?;
        sealed.extend_from_slice(&tag);
        Ok((
            SseS3 {
                sealed_key: B64.encode(sealed),
            },
            cipher,
        ))
    }

    /// The cipher of a sealed data key.
    pub(crate) fn open_s3_key(&self, sse: &SseS3) -> Result<DataCipher, AwsError> {
        let mut buf = [0u8; NONCE_LEN + DataCipher::KEY_LEN + TAG_LEN];
        match B64.decode_slice(&sse.sealed_key, &mut buf) {
            Ok(n) if n == buf.len() => {}
            _ => return Err(broken()),
        }
        let (nonce, rest) = buf.split_at_mut(NONCE_LEN);
        let (key, tag) = rest.split_at_mut(DataCipher::KEY_LEN);
        self.master_cipher()?
            .decrypt_in_place_detached(Nonce::from_slice(nonce), AAD, key, (&*tag).into())
            .map_err(|_| broken())?;
        DataCipher::new(key).ok_or_else(broken)
    }

    /// The cipher an object's (or upload's) bytes are stored under: its
    /// SSE-KMS data key (opened by KMS, which may refuse), its SSE-S3 one,
    /// or `None` for bytes stored as they are (SSE-C objects are opened
    /// with the caller's key instead, and objects from before SSE-S3
    /// encrypted).
    pub(crate) fn stored_cipher(
        &self,
        bucket: &str,
        key: &str,
        kms: Option<&crate::sse::SseKms>,
        s3: Option<&SseS3>,
    ) -> Result<Option<DataCipher>, AwsError> {
        match (kms, s3) {
            (Some(k), _) => self.open_data_key(bucket, key, k).map(Some),
            (None, Some(s)) => self.open_s3_key(s).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// The keys a new object (or upload) is stored under, as `wanted`
    /// (its request or its bucket's default) says: SSE-KMS, else SSE-S3.
    pub(crate) fn new_stored_key(
        &self,
        entry: &crate::BucketEntry,
        bucket: &str,
        key: &str,
        wanted: Option<crate::sse::Wanted>,
    ) -> Result<(Option<crate::sse::SseKms>, Option<SseS3>, DataCipher), AwsError> {
        match wanted {
            Some(w) => {
                let (kms, cipher) = self.new_data_key(entry, bucket, key, &w)?;
                Ok((Some(kms), None, cipher))
            }
            None => {
                let (s3, cipher) = self.new_s3_key()?;
                Ok((None, Some(s3), cipher))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> S3Service {
        S3Service::new(gureum_store::Store::in_memory().expect("store"))
    }

    #[test]
    fn a_sealed_key_opens_to_the_same_keystream_and_hides_the_key() {
        let s3 = service();
        let (sealed, cipher) = s3.new_s3_key().expect("sealed");
        let opened = s3.open_s3_key(&sealed).expect("opens");
        let (mut a, mut b) = (vec![0u8; 64], vec![0u8; 64]);
        cipher.apply("00112233445566778899aabbccddeeff", 0, &mut a);
        opened.apply("00112233445566778899aabbccddeeff", 0, &mut b);
        assert_eq!(a, b);
        // Two objects never share a data key.
        let (other, _) = s3.new_s3_key().expect("sealed");
        assert_ne!(other.sealed_key, sealed.sealed_key);
    }

    #[test]
    fn a_tampered_sealed_key_is_refused_not_used() {
        let s3 = service();
        let (sealed, _) = s3.new_s3_key().expect("sealed");
        let mut bytes = B64.decode(&sealed.sealed_key).expect("base64");
        bytes[20] ^= 1;
        let tampered = SseS3 {
            sealed_key: B64.encode(&bytes),
        };
        assert!(s3.open_s3_key(&tampered).is_err());
        let short = SseS3 {
            sealed_key: B64.encode(&bytes[..10]),
        };
        assert!(s3.open_s3_key(&short).is_err());
    }

    #[test]
    fn the_master_key_is_kept_in_the_store_and_survives_a_reset_of_the_cache() {
        let store = gureum_store::Store::in_memory().expect("store");
        let s3 = S3Service::new(store.clone());
        let (sealed, _) = s3.new_s3_key().expect("sealed");
        s3.master.forget();
        assert!(s3.open_s3_key(&sealed).is_ok());
        let again = S3Service::new(store);
        assert!(again.open_s3_key(&sealed).is_ok());
    }

    /// What SSE-S3 adds to a request, in release builds:
    /// `cargo test --release -p gureum-s3 --lib -- --ignored --nocapture sse_s3_costs`.
    #[test]
    #[ignore = "a measurement, run by hand in release"]
    fn sse_s3_costs() {
        let s3 = service();
        let n = 20_000u32;
        let t = std::time::Instant::now();
        let mut sealed = Vec::new();
        for _ in 0..n {
            sealed.push(s3.new_s3_key().expect("sealed").0);
        }
        let seal_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let t = std::time::Instant::now();
        let mut buf = vec![7u8; 1024];
        for s in &sealed {
            let c = s3.open_s3_key(s).expect("opens");
            c.apply("00112233445566778899aabbccddeeff", 0, &mut buf);
        }
        let open_us = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        let (c, _) = DataCipher::generate();
        let mut big = vec![1u8; 64 << 20];
        let t = std::time::Instant::now();
        for chunk in big.chunks_mut(1 << 20) {
            c.apply("00112233445566778899aabbccddeeff", 0, chunk);
        }
        let gbps = (64 << 20) as f64 / t.elapsed().as_secs_f64() / 1e9;
        println!(
            "new key + seal: {seal_us:.2} us; open + 1 KiB keystream: {open_us:.2} us; AES-256-CTR over 64 MiB in 1 MiB chunks: {gbps:.2} GB/s"
        );
        assert!(big.iter().any(|&b| b != 1));
    }
}
