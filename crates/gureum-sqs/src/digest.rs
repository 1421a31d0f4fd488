//! The digests SQS returns and botocore verifies.
//!
//! `MD5OfMessageBody` is the hex MD5 of the body's UTF-8 bytes.
//! `MD5OfMessageAttributes` covers the attributes sorted by name, each
//! encoded as: name (4-byte big-endian length, then bytes), data type
//! (same), one transport byte (1 for string values, 2 for binary), then
//! the value (length-prefixed; binary values as their decoded bytes).
//! FIFO content-based deduplication uses the SHA-256 of the body.

use base64::Engine as _;
use gureum_core::Value;
use md5::{Digest, Md5};
use std::collections::BTreeMap;

/// Hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    gureum_core::hex::encode(&Md5::digest(bytes))
}

/// Hex SHA-256 of `bytes` (content-based deduplication ids).
pub fn sha256_hex(bytes: &[u8]) -> String {
    gureum_core::hex::encode(&sha2::Sha256::digest(bytes))
}

fn push_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// The bytes of a binary attribute value (base64 on the json wire).
pub fn binary_bytes(value: &Value) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str()?)
        .ok()
}

/// `MD5OfMessageAttributes` (or `…SystemAttributes`) of `attributes`;
/// `None` when there are none.
pub fn md5_of_attributes<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Option<String> {
    let sorted: BTreeMap<&String, &Value> = attributes.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    let mut buf = Vec::with_capacity(128);
    for (name, attr) in sorted {
        push_len_prefixed(&mut buf, name.as_bytes());
        let data_type = attr["DataType"].as_str().unwrap_or_default();
        push_len_prefixed(&mut buf, data_type.as_bytes());
        if let Some(s) = attr["StringValue"].as_str() {
            buf.push(1);
            push_len_prefixed(&mut buf, s.as_bytes());
        } else if let Some(b) = binary_bytes(&attr["BinaryValue"]) {
            buf.push(2);
            push_len_prefixed(&mut buf, &b);
        }
    }
    Some(md5_hex(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_md5_is_the_hex_md5_of_the_utf8_bytes() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn attribute_md5_matches_what_botocore_computes() {
        // Computed with botocore's own checker (handlers._compute_md5 over
        // {"a": String "b"}): the encoding is fixed by AWS.
        let attrs: BTreeMap<String, Value> = [(
            "a".to_string(),
            serde_json::json!({"DataType": "String", "StringValue": "b"}),
        )]
        .into();
        let mut expected = Vec::new();
        for part in [&b"a"[..], b"String"] {
            expected.extend_from_slice(&(part.len() as u32).to_be_bytes());
            expected.extend_from_slice(part);
        }
        expected.push(1);
        expected.extend_from_slice(&1u32.to_be_bytes());
        expected.push(b'b');
        assert_eq!(md5_of_attributes(&attrs), Some(md5_hex(&expected)));
        assert_eq!(md5_of_attributes(&BTreeMap::new()), None);
    }
}
