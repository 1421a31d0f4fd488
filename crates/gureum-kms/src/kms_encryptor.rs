//! KMS behind the kit's [`Encryptor`] seam: what SSM (`SecureString`) and
//! Secrets Manager call to encrypt values with KMS keys.
//!
//! The ciphertext is KMS's own blob (`ciphertext.rs`), bound to the
//! encryption context the calling service passes (SSM: `PARAMETER_ARN`;
//! Secrets Manager: `SecretARN` and `SecretVersionId`), so `aws kms
//! decrypt` of a stored ciphertext with that context returns the value,
//! as on AWS. A `None` key is the service's AWS managed key
//! (`alias/aws/ssm`, `alias/aws/secretsmanager`), made on first use.
//!
//! The service acts for the caller: no key policy is evaluated here, and
//! automatic rotation is not settled (that writes); the key's state and
//! usage are checked as KMS checks them, and KMS's refusal is answered in
//! the calling service's terms ([`KmsEncryptor::surface`]).
//!
//! Writes: only [`Encryptor::prepare`], and the first use of a managed
//! key by a service that encrypts outside its transactions (SSM), write
//! the store; everything else reads, so Secrets Manager may call
//! `encrypt`/`decrypt` inside its own write transaction.

use crate::resolve::{key_arn, live, no_alias, parse_ref, usable, KeyRef};
use crate::{ciphertext, keys, master, KeyRecord, KmsError, KmsService};
use gureum_core::{AwsError, Clock, Scope};
use gureum_kit::encryption::{EncryptionContext, Encryptor};
use serde_json::{Map, Value};
use std::sync::Arc;

/// KMS as the [`Encryptor`] of one service.
pub struct KmsEncryptor {
    kms: Arc<KmsService>,
    clock: Clock,
    /// The calling service (`"ssm"`, `"secretsmanager"`): its managed key
    /// is `alias/aws/<service>`, and errors are answered in its terms.
    service: &'static str,
}

/// Which direction failed (Secrets Manager names them apart).
#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

impl KmsEncryptor {
    /// KMS encrypting for `service` (`"ssm"`, `"secretsmanager"` or
    /// `"s3"`).
    pub fn new(kms: Arc<KmsService>, clock: Clock, service: &'static str) -> Self {
        KmsEncryptor {
            kms,
            clock,
            service,
        }
    }

    /// Whether this service calls from inside its write transactions
    /// (Secrets Manager): then only reads are allowed here. SSM and S3
    /// encrypt before their transactions.
    fn read_only(&self) -> bool {
        !matches!(self.service, "ssm" | "s3")
    }

    /// KMS's refusal as the calling service answers it: SSM answers
    /// `InvalidKeyId` with KMS's message; S3 relays KMS's own code with a
    /// `KMS.` prefix (`KMS.DisabledException`, `KMS.NotFoundException`),
    /// as its API does; Secrets Manager `EncryptionFailure` /
    /// `DecryptionFailure`. Internal errors pass.
    fn surface(&self, e: AwsError, direction: Direction) -> AwsError {
        if e.status >= 500 {
            return e;
        }
        if self.service == "s3" {
            let code = format!("KMS.{}", e.code);
            return AwsError::new(code, 400, e.message);
        }
        let code = match (self.service, direction) {
            ("ssm", _) => "InvalidKeyId",
            (_, Direction::Encrypt) => "EncryptionFailure",
            (_, Direction::Decrypt) => "DecryptionFailure",
        };
        let message = if !e.message.is_empty() {
            e.message
        } else {
            match direction {
                Direction::Encrypt => "The encryption failed.".to_string(),
                Direction::Decrypt => {
                    "Secrets Manager can't decrypt the protected secret text using the provided KMS key."
                        .to_string()
                }
            }
        };
        AwsError::new(code, 400, message)
    }

    /// The managed alias of this service.
    fn managed_alias(&self) -> String {
        format!("alias/aws/{}", self.service)
    }

    /// The key `key_id` names (`None`: the managed key), existing now.
    fn key(&self, scope: Scope<'_>, key_id: Option<&str>, now: i64) -> Result<KeyRecord, AwsError> {
        let kms = &self.kms;
        let given = key_id.map_or_else(|| self.managed_alias(), str::to_string);
        let reference = parse_ref(scope, &given)?;
        let id = match &reference {
            KeyRef::Key(id) => id.clone(),
            KeyRef::Alias(name) => match kms.aliases.get(&scope.key(name))? {
                Some(a) => a.target,
                None if *name == self.managed_alias() && !self.read_only() => {
                    kms.aws_managed_key(scope, now, self.service)?
                }
                None => return Err(no_alias(scope, name)),
            },
        };
        kms.keys
            .get(&scope.key(&id))?
            .and_then(|k| live(k, now))
            .ok_or_else(|| match &reference {
                KeyRef::Alias(name) => no_alias(scope, name),
                KeyRef::Key(_) => KmsError::NoSuchKey {
                    arn: key_arn(scope, &id),
                }
                .into(),
            })
    }

    /// Refuses a key that may not encrypt or decrypt now.
    fn check(scope: Scope<'_>, rec: &KeyRecord, operation: &str) -> Result<(), AwsError> {
        usable(scope, rec)?;
        if rec.key_usage != "ENCRYPT_DECRYPT" || rec.key_spec != "SYMMETRIC_DEFAULT" {
            return Err(KmsError::WrongUsage {
                arn: key_arn(scope, &rec.id),
                usage: rec.key_usage.clone(),
                operation: operation.into(),
            }
            .into());
        }
        Ok(())
    }

    fn opened_material(
        &self,
        scope: Scope<'_>,
        rec: &KeyRecord,
        material_id: Option<&str>,
    ) -> Result<(String, Vec<u8>), AwsError> {
        let m = match material_id {
            Some(mid) => rec.materials.iter().find(|m| m.id == mid),
            None => rec.materials.last(),
        }
        .ok_or(KmsError::InvalidCiphertext)?;
        let owner = keys::material_owner(scope, &rec.id, &m.id);
        Ok((m.id.clone(), master::open(&self.kms, &owner, &m.sealed)?))
    }

    fn do_encrypt(
        &self,
        scope: Scope<'_>,
        key_id: Option<&str>,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        let now = self.clock.now_millis();
        let rec = self.key(scope, key_id, now)?;
        Self::check(scope, &rec, "Encrypt")?;
        let (mid, material) = self.opened_material(scope, &rec, None)?;
        ciphertext::seal(&rec.id, &mid, &material, Some(&as_map(context)), plaintext)
            .ok_or_else(|| AwsError::internal("encryption failed"))
    }

    fn do_decrypt(
        &self,
        scope: Scope<'_>,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        let now = self.clock.now_millis();
        let header = ciphertext::header(blob).map_err(|_| KmsError::InvalidCiphertext)?;
        let rec = self
            .kms
            .keys
            .get(&scope.key(&header.key_id))?
            .and_then(|k| live(k, now))
            .ok_or(KmsError::CiphertextKeyUnknown)?;
        Self::check(scope, &rec, "Decrypt")?;
        let (_, material) = self.opened_material(scope, &rec, Some(&header.material_id))?;
        ciphertext::open(blob, &material, Some(&as_map(context)))
            .map_err(|_| KmsError::InvalidCiphertext.into())
    }
}

fn as_map(context: &EncryptionContext) -> Map<String, Value> {
    context
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

impl Encryptor for KmsEncryptor {
    fn prepare(&self, scope: Scope<'_>, key_id: Option<&str>) -> Result<(), AwsError> {
        // The managed key (and the master key under it) are made here,
        // outside the caller's transaction; a customer key must exist.
        let now = self.clock.now_millis();
        let managed = match key_id {
            None => true,
            Some(k) => k == self.managed_alias(),
        };
        if managed {
            self.kms
                .aws_managed_key(scope, now, self.service)
                .map_err(|e| self.surface(e, Direction::Encrypt))?;
        }
        // Reads the master key into memory, so later calls do not write.
        master::warm(&self.kms)
    }

    fn encrypt(
        &self,
        scope: Scope<'_>,
        key_id: Option<&str>,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        self.do_encrypt(scope, key_id, plaintext, context)
            .map_err(|e| self.surface(e, Direction::Encrypt))
    }

    fn decrypt(
        &self,
        scope: Scope<'_>,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        self.do_decrypt(scope, ciphertext, context)
            .map_err(|e| self.surface(e, Direction::Decrypt))
    }

    fn key_arn(&self, scope: Scope<'_>, key_id: Option<&str>) -> Result<String, AwsError> {
        let now = self.clock.now_millis();
        self.key(scope, key_id, now)
            .and_then(|rec| {
                Self::check(scope, &rec, "Encrypt")?;
                Ok(key_arn(scope, &rec.id))
            })
            .map_err(|e| self.surface(e, Direction::Encrypt))
    }
}
