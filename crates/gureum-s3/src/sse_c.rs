//! SSE-C: objects encrypted under a key the customer sends with every
//! request and S3 never keeps. `PutObject` encrypts the bytes with it
//! (AES-256, the same counter-mode cipher as SSE-KMS, `cipher.rs`) and
//! stores only the key's MD5; `GetObject` and `HeadObject` need the key
//! again, checked against that MD5, and decrypt with it. The algorithm and
//! key MD5 live in the version's `content` map under their output member
//! names, so reads echo them. Copies and multipart uploads with SSE-C are
//! still refused (`unsupported.rs`).

use crate::cipher::DataCipher;
use crate::object::ObjectVersion;
use crate::S3Error;
use base64::Engine;
use gureum_core::{AwsError, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The members that carry a customer key.
const MEMBERS: [&str; 3] = [
    "SSECustomerAlgorithm",
    "SSECustomerKey",
    "SSECustomerKeyMD5",
];

fn invalid_argument(message: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: message.into(),
        name: "x-amz-server-side-encryption".into(),
        value: "null".into(),
    }
    .into()
}

fn invalid_request(message: &str) -> AwsError {
    S3Error::InvalidRequest {
        message: message.into(),
    }
    .into()
}

/// A customer key as a request gives it.
pub(crate) struct CustomerKey {
    /// The cipher over the key.
    pub cipher: DataCipher,
    /// The key's MD5, base64.
    pub md5: String,
}

/// Takes the SSE-C members out of `input` (so the unsupported-parameter
/// check lets them through only where they are implemented) and checks
/// them as S3 does.
pub(crate) fn take(input: &mut Value) -> Result<Option<CustomerKey>, AwsError> {
    let mut found = BTreeMap::new();
    if let Some(obj) = input.as_object_mut() {
        for m in MEMBERS {
            if let Some(v) = obj.remove(m) {
                found.insert(m, v);
            }
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    let get = |m: &str| found.get(m).and_then(Value::as_str);
    match get("SSECustomerAlgorithm") {
        Some("AES256") => {}
        Some(_) => {
            return Err(AwsError::new(
                "InvalidEncryptionAlgorithmError",
                400,
                "The Encryption request you specified is not valid. Supported value: AES256.",
            ))
        }
        None => {
            return Err(invalid_argument(
                "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.",
            ))
        }
    }
    let Some(key_b64) = get("SSECustomerKey") else {
        return Err(invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.",
        ));
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(key_b64)
        .ok()
        .filter(|k| k.len() == DataCipher::KEY_LEN)
        .ok_or_else(|| {
            invalid_argument("The secret key was invalid for the specified algorithm.")
        })?;
    let mut h = crate::md5sum::Md5::new();
    h.update(&key);
    let md5 = b64.encode(h.finish());
    if get("SSECustomerKeyMD5").is_some_and(|given| given != md5) {
        return Err(invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided.",
        ));
    }
    let cipher = DataCipher::new(&key).ok_or_else(|| {
        invalid_argument("The secret key was invalid for the specified algorithm.")
    })?;
    Ok(Some(CustomerKey { cipher, md5 }))
}

/// Records a new version's customer key (algorithm and MD5) in `content`.
pub(crate) fn record(content: &mut BTreeMap<String, Value>, key: &CustomerKey) {
    content.insert("SSECustomerAlgorithm".into(), json!("AES256"));
    content.insert("SSECustomerKeyMD5".into(), json!(key.md5));
}

/// The cipher to read `v` with: the request's key when the version was
/// stored with one (and the key matches), nothing for other versions.
pub(crate) fn for_read(
    v: &ObjectVersion,
    given: Option<&CustomerKey>,
) -> Result<Option<DataCipher>, AwsError> {
    let stored = v.content.get("SSECustomerKeyMD5").and_then(Value::as_str);
    match (stored, given) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(invalid_request(
            "The encryption parameters are not applicable to this object.",
        )),
        (Some(_), None) => Err(invalid_request(
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
        )),
        (Some(md5), Some(k)) if md5 == k.md5 => Ok(Some(k.cipher.clone())),
        (Some(_), Some(_)) => Err(crate::access_denied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_as_s3_does() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = b64.encode([7u8; 32]);
        let ok = take(&mut json!({"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}));
        assert!(matches!(ok, Ok(Some(_))));
        let bad_md5 = take(&mut json!({"SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": key, "SSECustomerKeyMD5": b64.encode([0u8; 16])}));
        assert_eq!(
            bad_md5.err().map(|e| e.message).unwrap_or_default(),
            "The calculated MD5 hash of the key did not match the hash that was provided."
        );
        let short = take(&mut json!({"SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": b64.encode([1u8; 16])}));
        assert_eq!(
            short.err().map(|e| e.message).unwrap_or_default(),
            "The secret key was invalid for the specified algorithm."
        );
        let mut untouched = json!({"Key": "k"});
        assert!(matches!(take(&mut untouched), Ok(None)));
    }
}
