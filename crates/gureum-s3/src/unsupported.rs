//! Request members Gureum's S3 accepts on the wire but does not implement
//! yet: each is refused with a `NotImplemented` naming it, never accepted
//! and ignored (issue 13, "nothing accepted that is not done";
//! `scripts/audit_parameters.py` lists what no code reads).

use gureum_core::AwsError;
use serde_json::Value;

use crate::errors::S3Error;

/// Members whose mere presence asks for something Gureum does not do,
/// with the header that carries each.
const REFUSED: &[(&str, &str)] = &[
    // SSE-C beyond PutObject/GetObject/HeadObject (which take the members
    // out first, `sse_c.rs`): copies and multipart uploads would store
    // the object unencrypted and serve it without the key.
    (
        "SSECustomerAlgorithm",
        "x-amz-server-side-encryption-customer-algorithm",
    ),
    (
        "SSECustomerKey",
        "x-amz-server-side-encryption-customer-key",
    ),
    (
        "SSECustomerKeyMD5",
        "x-amz-server-side-encryption-customer-key-MD5",
    ),
    (
        "CopySourceSSECustomerAlgorithm",
        "x-amz-copy-source-server-side-encryption-customer-algorithm",
    ),
    (
        "CopySourceSSECustomerKey",
        "x-amz-copy-source-server-side-encryption-customer-key",
    ),
    (
        "CopySourceSSECustomerKeyMD5",
        "x-amz-copy-source-server-side-encryption-customer-key-MD5",
    ),
    // Object Lock retention and legal holds: nothing would be protected.
    ("ObjectLockMode", "x-amz-object-lock-mode"),
    (
        "ObjectLockRetainUntilDate",
        "x-amz-object-lock-retain-until-date",
    ),
    ("ObjectLockLegalHoldStatus", "x-amz-object-lock-legal-hold"),
    // Checksums newer than the five Gureum computes.
    ("ChecksumSHA512", "x-amz-checksum-sha512"),
    ("ChecksumMD5", "x-amz-checksum-md5"),
    ("ChecksumXXHASH64", "x-amz-checksum-xxhash64"),
    ("ChecksumXXHASH3", "x-amz-checksum-xxhash3"),
    ("ChecksumXXHASH128", "x-amz-checksum-xxhash128"),
    // Directory-bucket conditions and appends.
    ("WriteOffsetBytes", "x-amz-write-offset-bytes"),
    (
        "IfMatchLastModifiedTime",
        "x-amz-if-match-last-modified-time",
    ),
    ("IfMatchSize", "x-amz-if-match-size"),
];

/// Refuses a request that asks for something Gureum's S3 does not do.
pub(crate) fn refuse_unimplemented(input: &Value) -> Result<(), AwsError> {
    if let Some(algorithm) = input.get("ServerSideEncryption").and_then(Value::as_str) {
        let header = "x-amz-server-side-encryption".to_string();
        match algorithm {
            // SSE-KMS is `sse.rs`'s.
            "AES256" | "aws:kms" => {}
            "aws:kms:dsse" => {
                return Err(S3Error::SseKmsNotImplemented {
                    algorithm: algorithm.into(),
                    header,
                }
                .into())
            }
            "aws:fsx" => {
                return Err(S3Error::NotImplementedParameter {
                    parameter: "ServerSideEncryption aws:fsx".into(),
                    header,
                }
                .into())
            }
            other => {
                return Err(S3Error::InvalidArgument {
                    message: "The encryption method specified is not supported".into(),
                    name: header,
                    value: other.into(),
                }
                .into())
            }
        }
    }
    if let Some((parameter, header)) = REFUSED.iter().find(|(m, _)| input.get(*m).is_some()) {
        return Err(S3Error::NotImplementedParameter {
            parameter: (*parameter).into(),
            header: (*header).into(),
        }
        .into());
    }
    if input.get("BucketNamespace").and_then(Value::as_str) == Some("account-regional") {
        return Err(S3Error::NotImplementedParameter {
            parameter: "BucketNamespace account-regional".into(),
            header: "x-amz-bucket-namespace".into(),
        }
        .into());
    }
    Ok(())
}

/// `PutBucketVersioning`'s MFA delete: Gureum keeps no MFA devices for
/// S3 to check, so turning it on (or sending a token) is refused.
pub(crate) fn refuse_mfa_delete(input: &Value) -> Result<(), AwsError> {
    let enabling = input
        .get("VersioningConfiguration")
        .and_then(|c| c.get("MFADelete"))
        .and_then(Value::as_str)
        == Some("Enabled");
    if enabling || input.get("MFA").is_some() {
        return Err(S3Error::NotImplementedParameter {
            parameter: "MFA delete".into(),
            header: "x-amz-mfa".into(),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(v: Value) -> Option<(String, u16, String)> {
        refuse_unimplemented(&v)
            .err()
            .map(|e| (e.code, e.status, e.message))
    }

    #[test]
    fn aes256_and_plain_requests_pass() {
        assert!(code(json!({"ServerSideEncryption": "AES256", "Key": "k"})).is_none());
        assert!(code(json!({"BucketNamespace": "global"})).is_none());
    }

    #[test]
    fn sse_kms_passes_and_dual_layer_is_refused_not_downgraded() {
        assert!(code(json!({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "k"})).is_none());
        let (c, s, m) = code(json!({ "ServerSideEncryption": "aws:kms:dsse" })).expect("refused");
        assert_eq!((c.as_str(), s), ("NotImplemented", 501));
        assert!(
            m.contains("aws:kms:dsse") && m.contains("dual-layer"),
            "{m}"
        );
    }

    #[test]
    fn unknown_algorithm_is_invalid_argument() {
        let (c, s, m) = code(json!({"ServerSideEncryption": "rot13"})).expect("refused");
        assert_eq!((c.as_str(), s), ("InvalidArgument", 400));
        assert_eq!(m, "The encryption method specified is not supported");
    }

    #[test]
    fn each_refused_member_names_itself() {
        for (member, header) in REFUSED {
            let (c, s, m) = code(json!({ *member: "x" })).expect("refused");
            assert_eq!((c.as_str(), s), ("NotImplemented", 501));
            assert!(m.contains(member) && m.contains(header), "{m}");
        }
    }

    #[test]
    fn mfa_delete_is_refused() {
        let on = json!({"VersioningConfiguration": {"Status": "Enabled", "MFADelete": "Enabled"}});
        assert!(refuse_mfa_delete(&on).is_err());
        let off =
            json!({"VersioningConfiguration": {"Status": "Enabled", "MFADelete": "Disabled"}});
        assert!(refuse_mfa_delete(&off).is_ok());
    }
}
