//! SSE-KMS: objects encrypted at rest under a data key that Gureum's KMS
//! protects (envelope encryption, as S3 does it).
//!
//! Each object (or multipart upload) gets a fresh 256-bit data key; its
//! bytes are stored encrypted with it ([`crate::cipher`]), and the key is
//! kept only as KMS's ciphertext of it (through the kit's `Encryptor`
//! seam, the server wiring in `gureum_kms::KmsEncryptor` for `s3`), bound
//! to the encryption context S3 uses: `aws:s3:arn` = the object's ARN (the
//! bucket's when S3 Bucket Keys are on) plus the caller's
//! `x-amz-server-side-encryption-context` pairs. A GET asks KMS to decrypt
//! the data key, so a disabled key or one pending deletion refuses the
//! read with KMS's error as S3 relays it (`KMS.DisabledException`, …).
//! No plaintext byte and no plaintext data key is written anywhere.
//!
//! What a request asks for comes from its headers
//! (`x-amz-server-side-encryption: aws:kms`, `…-aws-kms-key-id`,
//! `…-context`, `…-bucket-key-enabled`), else from the bucket's default
//! encryption (`PutBucketEncryption`). No key id means the AWS managed key
//! `alias/aws/s3`, made on first use.

use crate::cipher::DataCipher;
use crate::{str_member, BucketEntry, S3Error, S3Service};
use base64::Engine as _;
use gureum_core::{AwsError, Scope, Value};
use gureum_kit::encryption::EncryptionContext;
use serde_json::{json, Map};

/// The algorithm name of SSE-KMS.
pub const AWS_KMS: &str = "aws:kms";

/// How an object (or an upload in progress) is encrypted with KMS.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SseKms {
    /// The KMS key's ARN (what GET and HEAD report).
    pub key_arn: String,
    /// The data key as KMS encrypted it (KMS's ciphertext blob, base64).
    pub wrapped_key: String,
    /// The caller's encryption context as sent (base64 of a JSON object),
    /// if any: it is part of what the data key is bound to.
    #[serde(default)]
    pub context: Option<String>,
    /// Whether S3 Bucket Keys were asked for (the context then names the
    /// bucket, not the object).
    #[serde(default)]
    pub bucket_key: bool,
}

/// What a request asks for: SSE-KMS under a key (`None`: `aws/s3`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The key id, ARN or alias given.
    pub key_id: Option<String>,
    /// `x-amz-server-side-encryption-context`, validated, as sent.
    pub context: Option<String>,
    /// S3 Bucket Keys.
    pub bucket_key: bool,
}

fn invalid(message: &str, name: &str, value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: message.into(),
        name: name.into(),
        value: value.into(),
    }
    .into()
}

/// The caller's context pairs: base64 of a JSON object of strings.
fn context_pairs(b64: &str) -> Result<Vec<(String, String)>, AwsError> {
    let bad = || {
        invalid(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
            "x-amz-server-side-encryption-context",
            b64,
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| bad())?;
    let map: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            _ => Err(bad()),
        })
        .collect()
}

/// The bucket's default encryption rule, when it is SSE-KMS.
fn bucket_default(bucket: &BucketEntry) -> Option<&Value> {
    bucket
        .encryption
        .as_ref()
        .filter(|r| r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == AWS_KMS)
}

/// What a PUT-like request (`PutObject`, `CopyObject`'s destination,
/// `CreateMultipartUpload`) asks for: SSE-KMS (`Some`), or SSE-S3.
pub fn wanted(input: &Value, bucket: &BucketEntry) -> Result<Option<Wanted>, AwsError> {
    let algorithm = str_member(input, "ServerSideEncryption");
    let key_id = str_member(input, "SSEKMSKeyId")
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let context = str_member(input, "SSEKMSEncryptionContext").map(str::to_string);
    if let Some(c) = &context {
        context_pairs(c)?;
    }
    let bucket_key = input.get("BucketKeyEnabled").and_then(Value::as_bool);
    match algorithm {
        Some(AWS_KMS) => Ok(Some(Wanted {
            key_id,
            context,
            bucket_key: bucket_key.unwrap_or_else(|| {
                bucket_default(bucket).is_some_and(|r| r["BucketKeyEnabled"] == true)
            }),
        })),
        Some(_) if key_id.is_some() || context.is_some() => Err(invalid(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            "x-amz-server-side-encryption",
            algorithm.unwrap_or_default(),
        )),
        Some(_) => Ok(None),
        None => match bucket_default(bucket) {
            Some(rule) => Ok(Some(Wanted {
                key_id: key_id.or_else(|| {
                    rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
                        .as_str()
                        .map(str::to_string)
                }),
                context,
                bucket_key: bucket_key.unwrap_or(rule["BucketKeyEnabled"] == true),
            })),
            None if key_id.is_some() || context.is_some() => Err(invalid(
                "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
                "x-amz-server-side-encryption",
                "null",
            )),
            None => Ok(None),
        },
    }
}

/// The rule `PutBucketEncryption` stores (`None`: none given means the
/// configuration is malformed): its first rule, as given, with
/// `BucketKeyEnabled` filled in (`false`) as `GetBucketEncryption` shows
/// it.
pub fn default_rule(input: &Value) -> Result<Option<Value>, AwsError> {
    let rules = input["ServerSideEncryptionConfiguration"]["Rules"]
        .as_array()
        .filter(|r| r.len() == 1)
        .ok_or(S3Error::MalformedXml)?;
    let mut rule = rules[0].clone();
    let by_default = &rule["ApplyServerSideEncryptionByDefault"];
    let algorithm = by_default["SSEAlgorithm"]
        .as_str()
        .ok_or(S3Error::MalformedXml)?;
    match algorithm {
        "AES256" | AWS_KMS => {}
        "aws:kms:dsse" => {
            return Err(S3Error::SseKmsNotImplemented {
                algorithm: algorithm.into(),
                header: "SSEAlgorithm".into(),
            }
            .into())
        }
        _ => return Err(S3Error::MalformedXml.into()),
    }
    if algorithm != AWS_KMS && by_default.get("KMSMasterKeyID").is_some() {
        return Err(invalid(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            "ApplyServerSideEncryptionByDefault",
            "",
        ));
    }
    if rule.get("BucketKeyEnabled").is_none() {
        rule["BucketKeyEnabled"] = json!(false);
    }
    Ok(Some(rule))
}

/// The region and account of a KMS key ARN.
fn key_scope(arn: &str) -> Option<Scope<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some(Scope::Region { account, region })
}

/// What the data key is bound to: the caller's pairs and `aws:s3:arn`.
fn encryption_context(
    bucket: &str,
    key: &str,
    context: Option<&str>,
    bucket_key: bool,
) -> Result<EncryptionContext, AwsError> {
    let mut pairs = match context {
        Some(c) => context_pairs(c)?,
        None => Vec::new(),
    };
    let arn = if bucket_key {
        format!("arn:aws:s3:::{bucket}")
    } else {
        format!("arn:aws:s3:::{bucket}/{key}")
    };
    pairs.retain(|(k, _)| k != "aws:s3:arn");
    pairs.push(("aws:s3:arn".into(), arn));
    pairs.sort();
    Ok(pairs)
}

impl S3Service {
    /// A fresh data key for object `key` of `bucket` (owned by
    /// `entry`), protected by the KMS key `wanted` names: the record to
    /// store and the cipher to write the bytes with. Calls KMS (which may
    /// make `alias/aws/s3`): outside any transaction.
    pub(crate) fn new_data_key(
        &self,
        entry: &BucketEntry,
        bucket: &str,
        key: &str,
        wanted: &Wanted,
    ) -> Result<(SseKms, DataCipher), AwsError> {
        let scope = Scope::Region {
            account: &entry.account_id,
            region: &entry.region,
        };
        let key_arn = self.encryptor.key_arn(scope, wanted.key_id.as_deref())?;
        let (cipher, raw) = DataCipher::generate();
        let context =
            encryption_context(bucket, key, wanted.context.as_deref(), wanted.bucket_key)?;
        let scope = key_scope(&key_arn).unwrap_or(scope);
        let wrapped = self
            .encryptor
            .encrypt(scope, Some(&key_arn), &raw, &context)?;
        Ok((
            SseKms {
                key_arn,
                wrapped_key: base64::engine::general_purpose::STANDARD.encode(wrapped),
                context: wanted.context.clone(),
                bucket_key: wanted.bucket_key,
            },
            cipher,
        ))
    }

    /// The data key of object `key` of `bucket`, decrypted by KMS: KMS's
    /// refusal (a disabled key, one pending deletion) as S3 relays it.
    pub(crate) fn open_data_key(
        &self,
        bucket: &str,
        key: &str,
        sse: &SseKms,
    ) -> Result<DataCipher, AwsError> {
        let scope = key_scope(&sse.key_arn).ok_or(S3Error::InternalError)?;
        let wrapped = base64::engine::general_purpose::STANDARD
            .decode(&sse.wrapped_key)
            .map_err(|_| S3Error::InternalError)?;
        let context = encryption_context(bucket, key, sse.context.as_deref(), sse.bucket_key)?;
        let raw = self.encryptor.decrypt(scope, &wrapped, &context)?;
        DataCipher::new(&raw).ok_or_else(|| S3Error::InternalError.into())
    }
}

/// The encryption members of a response: `ServerSideEncryption`, and for
/// SSE-KMS the key's ARN and whether Bucket Keys are on.
pub fn headers(out: &mut Map<String, Value>, sse: Option<&SseKms>) {
    match sse {
        None => {
            out.insert("ServerSideEncryption".into(), json!("AES256"));
        }
        Some(s) => {
            out.insert("ServerSideEncryption".into(), json!(AWS_KMS));
            out.insert("SSEKMSKeyId".into(), json!(s.key_arn));
            if s.bucket_key {
                out.insert("BucketKeyEnabled".into(), json!(true));
            }
        }
    }
}

/// [`headers`] of a write's response, with the caller's context echoed.
pub fn write_headers(out: &mut Map<String, Value>, sse: Option<&SseKms>) {
    headers(out, sse);
    if let Some(c) = sse.and_then(|s| s.context.as_ref()) {
        out.insert("SSEKMSEncryptionContext".into(), json!(c));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(rule: Option<Value>) -> BucketEntry {
        let mut b: BucketEntry = serde_json::from_value(json!({
            "account_id": "000000000000", "region": "us-east-1", "created_ms": 0,
        }))
        .expect("entry");
        b.encryption = rule;
        b
    }

    fn kms_rule(key: Option<&str>, bucket_key: bool) -> Value {
        let mut by_default = json!({"SSEAlgorithm": "aws:kms"});
        if let Some(k) = key {
            by_default["KMSMasterKeyID"] = json!(k);
        }
        json!({"ApplyServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bucket_key})
    }

    #[test]
    fn headers_ask_for_kms_and_otherwise_the_bucket_default_decides() {
        let plain = bucket(None);
        assert_eq!(wanted(&json!({}), &plain).expect("ok"), None);
        assert_eq!(
            wanted(&json!({"ServerSideEncryption": "AES256"}), &plain).expect("ok"),
            None
        );
        let w = wanted(
            &json!({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/k"}),
            &plain,
        )
        .expect("ok")
        .expect("kms");
        assert_eq!(w.key_id.as_deref(), Some("alias/k"));
        let kms = bucket(Some(kms_rule(Some("alias/default"), true)));
        let w = wanted(&json!({}), &kms).expect("ok").expect("kms");
        assert_eq!(
            (w.key_id.as_deref(), w.bucket_key),
            (Some("alias/default"), true)
        );
        // An explicit AES256 overrides the bucket's KMS default.
        assert_eq!(
            wanted(&json!({"ServerSideEncryption": "AES256"}), &kms).expect("ok"),
            None
        );
    }

    #[test]
    fn a_kms_key_without_aws_kms_is_refused() {
        let e = wanted(
            &json!({"ServerSideEncryption": "AES256", "SSEKMSKeyId": "k"}),
            &bucket(None),
        )
        .expect_err("refused");
        assert_eq!(e.code, "InvalidArgument");
        assert_eq!(
            e.message,
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"
        );
    }

    #[test]
    fn a_context_must_be_base64_json_of_strings() {
        let good = base64::engine::general_purpose::STANDARD.encode(r#"{"team":"a"}"#);
        let input = json!({"ServerSideEncryption": "aws:kms", "SSEKMSEncryptionContext": good});
        assert!(wanted(&input, &bucket(None)).is_ok());
        for bad in [
            "not base64!".to_string(),
            base64::engine::general_purpose::STANDARD.encode(r#"{"n":1}"#),
            base64::engine::general_purpose::STANDARD.encode("[1]"),
        ] {
            let input = json!({"ServerSideEncryption": "aws:kms", "SSEKMSEncryptionContext": bad});
            let e = wanted(&input, &bucket(None)).expect_err("refused");
            assert_eq!(e.code, "InvalidArgument", "{bad}");
        }
    }

    #[test]
    fn the_context_names_the_object_or_with_bucket_keys_the_bucket() {
        let c = encryption_context("b", "k/1", None, false).expect("ok");
        assert_eq!(c, vec![("aws:s3:arn".into(), "arn:aws:s3:::b/k/1".into())]);
        let c = encryption_context("b", "k/1", None, true).expect("ok");
        assert_eq!(c, vec![("aws:s3:arn".into(), "arn:aws:s3:::b".into())]);
        let given = base64::engine::general_purpose::STANDARD.encode(r#"{"team":"a"}"#);
        let c = encryption_context("b", "k", Some(&given), false).expect("ok");
        assert_eq!(c.len(), 2);
        assert!(c.contains(&("team".into(), "a".into())));
    }
}
