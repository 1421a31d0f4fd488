//! Limits on object keys and user metadata.

use crate::S3Error;
use gureum_core::AwsError;
use std::collections::BTreeMap;

/// The longest key S3 accepts, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The most user metadata (`x-amz-meta-*` names and values), in bytes.
pub const MAX_METADATA_BYTES: usize = 2048;

/// `KeyTooLongError` past 1,024 bytes.
pub fn check_key(key: &str) -> Result<(), AwsError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::KeyTooLong {
            size: key.len() as u64,
            max: MAX_KEY_BYTES as u64,
        }
        .into());
    }
    Ok(())
}

/// `MetadataTooLarge` when user metadata passes 2 KB.
pub fn check_metadata_size(metadata: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let size: usize = metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_METADATA_BYTES {
        return Err(S3Error::MetadataTooLarge {
            size: size as u64,
            max: MAX_METADATA_BYTES as u64,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_1024_bytes_is_accepted_and_1025_refused() {
        assert!(check_key(&"k".repeat(1024)).is_ok());
        assert_eq!(
            check_key(&"k".repeat(1025)).expect_err("should fail").code,
            "KeyTooLongError"
        );
    }

    #[test]
    fn metadata_over_two_kilobytes_is_refused() {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), "v".repeat(2047));
        assert!(check_metadata_size(&m).is_ok());
        m.insert("b".to_string(), "v".to_string());
        assert_eq!(
            check_metadata_size(&m).expect_err("should fail").code,
            "MetadataTooLarge"
        );
    }
}
