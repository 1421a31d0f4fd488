//! The seam between the services that store encrypted values (SSM
//! `SecureString` parameters, Secrets Manager secrets, S3's SSE-KMS data
//! keys) and KMS.
//!
//! A service holds an `Arc<dyn Encryptor>` and never encrypts by itself.
//! The server wires in Gureum's KMS (`gureum_kms::KmsEncryptor`);
//! [`KmsUnavailable`], for a service built without KMS (unit tests),
//! answers every call with `NotImplemented` naming KMS's operation, so a
//! value that AWS would encrypt with KMS is refused rather than stored in
//! the clear under a pretence of encryption.

use gureum_core::{AwsError, CommonError, Scope};

/// An encryption context: KMS's `EncryptionContext` pairs, sorted by key.
pub type EncryptionContext = Vec<(String, String)>;

/// Encrypts and decrypts values with KMS keys on behalf of a service.
///
/// Where it is called: SSM encrypts before its write transaction (so an
/// implementation may write, e.g. make the AWS managed key `aws/ssm` on
/// first use) and decrypts outside any; Secrets Manager calls both inside
/// its write transaction, for keys that must already exist (it calls
/// [`Encryptor::prepare`] before the transaction, which makes the AWS
/// managed key `aws/secretsmanager` on first use), so there an
/// implementation must only read the store.
pub trait Encryptor: Send + Sync {
    /// Called outside any transaction before a write that will encrypt
    /// under `key_id` (`None`: the service's AWS managed key): makes what
    /// [`Encryptor::encrypt`] would otherwise have to write (the AWS
    /// managed key on first use), so that a service encrypting inside its
    /// own write transaction (Secrets Manager) only reads there.
    fn prepare(&self, _scope: Scope<'_>, _key_id: Option<&str>) -> Result<(), AwsError> {
        Ok(())
    }

    /// Encrypts `plaintext` under `key_id` (an id, ARN or alias; `None`:
    /// the service's AWS managed key) in `scope`, bound to `context`; the
    /// ciphertext blob is what the service stores.
    fn encrypt(
        &self,
        scope: Scope<'_>,
        key_id: Option<&str>,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError>;

    /// Decrypts a blob [`Encryptor::encrypt`] returned, with the same
    /// `context`.
    fn decrypt(
        &self,
        scope: Scope<'_>,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError>;

    /// The ARN of the key `key_id` names (`None`: the service's AWS
    /// managed key, made on first use where [`Encryptor::encrypt`] may
    /// make it), for services that report it (S3's
    /// `x-amz-server-side-encryption-aws-kms-key-id`).
    fn key_arn(&self, _scope: Scope<'_>, _key_id: Option<&str>) -> Result<String, AwsError> {
        Err(CommonError::NotImplemented {
            service: "kms".into(),
            operation: "DescribeKey".into(),
        }
        .into())
    }
}

/// The encryptor used while Gureum has no KMS: refuses every call with
/// `NotImplemented` (501) naming KMS's `Encrypt` or `Decrypt`.
#[derive(Clone, Copy, Debug, Default)]
pub struct KmsUnavailable;

impl Encryptor for KmsUnavailable {
    fn encrypt(
        &self,
        _scope: Scope<'_>,
        _key_id: Option<&str>,
        _plaintext: &[u8],
        _context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        Err(CommonError::NotImplemented {
            service: "kms".into(),
            operation: "Encrypt".into(),
        }
        .into())
    }

    fn decrypt(
        &self,
        _scope: Scope<'_>,
        _ciphertext: &[u8],
        _context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        Err(CommonError::NotImplemented {
            service: "kms".into(),
            operation: "Decrypt".into(),
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_kms_both_directions_answer_not_implemented_naming_kms() {
        let scope = Scope::Account { account: "1" };
        let e = KmsUnavailable
            .encrypt(scope, None, b"x", &vec![])
            .expect_err("refused");
        assert_eq!((e.code.as_str(), e.status), ("NotImplemented", 501));
        assert!(
            e.message.contains("Encrypt of service kms"),
            "{}",
            e.message
        );
        let e = KmsUnavailable
            .decrypt(scope, b"x", &vec![])
            .expect_err("refused");
        assert!(
            e.message.contains("Decrypt of service kms"),
            "{}",
            e.message
        );
    }
}
