//! Signing keys: derivation, a small cache, and constant-time comparison.
//!
//! SigV4 never signs with the secret itself. It derives a key per day,
//! region and service:
//!
//! ```text
//! kDate    = HMAC("AWS4" + secret, "20130524")
//! kRegion  = HMAC(kDate, "us-east-1")
//! kService = HMAC(kRegion, "s3")
//! kSigning = HMAC(kService, "aws4_request")
//! ```
//!
//! and the signature is `hex(HMAC(kSigning, string-to-sign))`. The four
//! HMACs cost more than the rest of a verification, and a client signs
//! thousands of requests with the same key on the same day, so derived keys
//! are kept in a small direct-mapped cache (a fixed number of slots; a new
//! key evicts whatever shared its slot). A cache hit costs one hash of the
//! inputs and a lock, and allocates nothing.

use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use sha2::Sha256;
use std::hash::BuildHasher;

type HmacSha256 = Hmac<Sha256>;

/// A derived SigV4 signing key.
pub type SigningKey = [u8; 32];

/// A keyed HMAC-SHA256 ready to absorb data.
pub(crate) fn hmac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of every length, so this cannot fail.
    match <HmacSha256 as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

/// The hex SigV4 signature of `string_to_sign` under a signing key (what
/// S3's POST policies and presigned forms carry).
pub fn signature_hex(key: &SigningKey, string_to_sign: &str) -> String {
    gureum_core::hex::encode(&hmac_sha256(key, string_to_sign.as_bytes()))
}

/// `HMAC-SHA256(key, data)`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = hmac(key);
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Derives the signing key for `secret` on `date` (`YYYYMMDD`) in `region`
/// for `service`, without the cache.
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    // The first key is "AWS4" + secret; build it on the stack when short.
    let mut buf = [0u8; 128];
    let k_date = if secret.len() + 4 <= buf.len() {
        buf[..4].copy_from_slice(b"AWS4");
        buf[4..4 + secret.len()].copy_from_slice(secret.as_bytes());
        hmac_sha256(&buf[..4 + secret.len()], date.as_bytes())
    } else {
        let key = format!("AWS4{secret}");
        hmac_sha256(key.as_bytes(), date.as_bytes())
    };
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

const SLOTS: usize = 256;

struct Entry {
    secret: String,
    date: String,
    region: String,
    service: String,
    key: SigningKey,
}

static CACHE: Mutex<Vec<Option<Entry>>> = Mutex::new(Vec::new());

/// A slot for these inputs. foldhash, not SipHash: a collision only
/// evicts an entry (the slot is compared in full), so chosen inputs buy an
/// attacker nothing, and SipHash over the four strings cost ~3k
/// instructions a request.
fn slot_of(secret: &str, date: &str, region: &str, service: &str) -> usize {
    let h = foldhash::fast::FixedState::with_seed(0).hash_one((secret, date, region, service));
    (h % SLOTS as u64) as usize
}

/// The signing key for these inputs, from the cache when it was derived
/// before.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> SigningKey {
    let slot = slot_of(secret, date, region, service);
    {
        let cache = CACHE.lock();
        if let Some(Some(e)) = cache.get(slot) {
            if e.secret == secret && e.date == date && e.region == region && e.service == service {
                return e.key;
            }
        }
    }
    let key = derive_signing_key(secret, date, region, service);
    let mut cache = CACHE.lock();
    if cache.len() < SLOTS {
        cache.resize_with(SLOTS, || None);
    }
    if let Some(s) = cache.get_mut(slot) {
        *s = Some(Entry {
            secret: secret.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            key,
        });
    }
    key
}

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Lower-case hex of a 32-byte digest, on the stack.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        out[2 * i] = HEX_LOWER[(b >> 4) as usize];
        out[2 * i + 1] = HEX_LOWER[(b & 15) as usize];
    }
    out
}

/// Lower-case hex of a 32-byte digest as a `String`.
pub(crate) fn hex32_string(bytes: &[u8; 32]) -> String {
    gureum_core::hex::encode(bytes)
}

/// Compares a computed lower-case hex signature with the one provided, in
/// time that depends only on the lengths. Upper-case hex in `provided` is
/// accepted.
pub(crate) fn signatures_equal(computed: &[u8; 64], provided: &[u8]) -> bool {
    if provided.len() != computed.len() {
        return false;
    }
    let mut diff = 0u8;
    for (a, b) in computed.iter().zip(provided) {
        diff |= a ^ b.to_ascii_lowercase();
    }
    diff == 0
}

/// Whether `s` is 64 hex digits.
pub(crate) fn is_hex64(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(u8::is_ascii_hexdigit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_key_matches_the_aws_documentation_example() {
        // From AWS's "Examples of how to derive a signing key" (IAM, 20120215).
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn cached_key_equals_derived_key() {
        let a = signing_key("secret", "20240101", "us-east-1", "sts");
        let b = signing_key("secret", "20240101", "us-east-1", "sts");
        assert_eq!(a, b);
        assert_eq!(
            a,
            derive_signing_key("secret", "20240101", "us-east-1", "sts")
        );
        assert_ne!(a, signing_key("secret", "20240102", "us-east-1", "sts"));
    }

    #[test]
    fn long_secrets_are_supported() {
        let long = "x".repeat(300);
        let a = derive_signing_key(&long, "20240101", "us-east-1", "sts");
        assert_eq!(a, signing_key(&long, "20240101", "us-east-1", "sts"));
    }

    #[test]
    fn signature_comparison_requires_equal_length_and_bytes() {
        let c = hex32(&[0xab; 32]);
        assert!(signatures_equal(&c, &c));
        assert!(signatures_equal(&c, c.to_ascii_uppercase().as_slice()));
        assert!(!signatures_equal(&c, &c[..63]));
        let mut d = c;
        d[10] = b'0';
        assert!(!signatures_equal(&c, &d));
    }
}
