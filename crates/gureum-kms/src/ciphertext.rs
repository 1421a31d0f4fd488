//! The ciphertext blob of a symmetric key: self-describing, so `Decrypt`
//! finds the key and material version without a `KeyId`, and bound to the
//! encryption context.
//!
//! ```text
//! "GK" 0x01            magic and format version
//! u8 n, n bytes        the key id (ASCII)
//! 32 bytes             the material id (the 64 hex digits, as bytes)
//! 12 bytes             the AES-256-GCM nonce
//! rest                 ciphertext and 16-byte tag
//! ```
//!
//! The additional authenticated data is the header (everything before the
//! nonce) followed by the encryption context, canonical: pairs sorted by
//! key, each string prefixed by its length. A changed header, context or
//! byte fails the tag check.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde_json::{Map, Value};

const MAGIC: &[u8; 3] = b"GK\x01";

/// The key and material a blob names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// The key id.
    pub key_id: String,
    /// The material id, as 64 hex digits.
    pub material_id: String,
}

/// Why a blob does not decrypt (always `InvalidCiphertextException`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invalid;

fn header_bytes(key_id: &str, material_id: &[u8; 32]) -> Vec<u8> {
    let mut h = Vec::with_capacity(3 + 1 + key_id.len() + 32);
    h.extend_from_slice(MAGIC);
    h.push(key_id.len() as u8);
    h.extend_from_slice(key_id.as_bytes());
    h.extend_from_slice(material_id);
    h
}

/// The canonical bytes of an encryption context (absent = empty).
fn context_bytes(context: Option<&Map<String, Value>>) -> Vec<u8> {
    let mut pairs: Vec<(&str, &str)> = context
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort_unstable();
    let mut out = Vec::new();
    for (k, v) in pairs {
        for s in [k, v] {
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
    }
    out
}

/// `plaintext` encrypted under `material` (32 bytes) of key `key_id`.
pub(crate) fn seal(
    key_id: &str,
    material_hex: &str,
    material: &[u8],
    context: Option<&Map<String, Value>>,
    plaintext: &[u8],
) -> Option<Vec<u8>> {
    let material_id: [u8; 32] = hex::decode(material_hex).ok()?.try_into().ok()?;
    if key_id.len() > u8::MAX as usize {
        return None;
    }
    let header = header_bytes(key_id, &material_id);
    let mut aad = header.clone();
    aad.extend_from_slice(&context_bytes(context));
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new_from_slice(material).ok()?;
    let body = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .ok()?;
    let mut out = header;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    Some(out)
}

/// The header of a blob, read without decrypting.
pub(crate) fn header(blob: &[u8]) -> Result<Header, Invalid> {
    let rest = blob.strip_prefix(MAGIC.as_slice()).ok_or(Invalid)?;
    let (&n, rest) = rest.split_first().ok_or(Invalid)?;
    let n = n as usize;
    // Key id, material id, nonce and at least a tag.
    if rest.len() < n + 32 + 12 + 16 {
        return Err(Invalid);
    }
    let key_id = std::str::from_utf8(&rest[..n]).map_err(|_| Invalid)?;
    Ok(Header {
        key_id: key_id.to_string(),
        material_id: hex::encode(&rest[n..n + 32]),
    })
}

/// The plaintext of `blob`, under `material`, for `context`.
pub(crate) fn open(
    blob: &[u8],
    material: &[u8],
    context: Option<&Map<String, Value>>,
) -> Result<Vec<u8>, Invalid> {
    let h = header(blob)?;
    let split = MAGIC.len() + 1 + h.key_id.len() + 32;
    let (head, rest) = blob.split_at(split);
    let (nonce, body) = rest.split_at(12);
    let mut aad = head.to_vec();
    aad.extend_from_slice(&context_bytes(context));
    Aes256Gcm::new_from_slice(material)
        .map_err(|_| Invalid)?
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: &aad,
            },
        )
        .map_err(|_| Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MATERIAL: [u8; 32] = [7; 32];
    const KEY: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const VERSION: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    fn ctx(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn a_blob_names_its_key_and_material_version() {
        let blob = seal(KEY, VERSION, &MATERIAL, None, b"hi").expect("seal");
        let h = header(&blob).expect("header");
        assert_eq!(h.key_id, KEY);
        assert_eq!(h.material_id, VERSION);
        assert_eq!(open(&blob, &MATERIAL, None).expect("open"), b"hi");
    }

    #[test]
    fn the_context_is_bound_and_its_order_does_not_matter() {
        let c = ctx(json!({"a": "1", "b": "2"}));
        let blob = seal(KEY, VERSION, &MATERIAL, Some(&c), b"hi").expect("seal");
        let reordered = ctx(json!({"b": "2", "a": "1"}));
        assert!(open(&blob, &MATERIAL, Some(&reordered)).is_ok());
        assert_eq!(open(&blob, &MATERIAL, None), Err(Invalid));
        let wrong = ctx(json!({"a": "1", "b": "3"}));
        assert_eq!(open(&blob, &MATERIAL, Some(&wrong)), Err(Invalid));
        // Length prefixes keep ("ab","c") apart from ("a","bc").
        let x = ctx(json!({"ab": "c"}));
        let y = ctx(json!({"a": "bc"}));
        let blob = seal(KEY, VERSION, &MATERIAL, Some(&x), b"hi").expect("seal");
        assert_eq!(open(&blob, &MATERIAL, Some(&y)), Err(Invalid));
    }

    #[test]
    fn a_changed_byte_or_a_truncated_blob_is_invalid() {
        let blob = seal(KEY, VERSION, &MATERIAL, None, b"hello").expect("seal");
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert!(open(&bad, &MATERIAL, None).is_err(), "byte {i}");
        }
        for n in 0..blob.len() {
            assert!(open(&blob[..n], &MATERIAL, None).is_err(), "length {n}");
        }
    }
}
