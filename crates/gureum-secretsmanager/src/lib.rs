//! Secrets Manager (json 1.1, regional): secrets with versions and
//! staging labels (`AWSCURRENT`, `AWSPREVIOUS`, `AWSPENDING`, custom),
//! `ClientRequestToken` idempotency, scheduled deletion with a recovery
//! window on Gureum's clock, resource policies, tags, `GetRandomPassword`
//! and `BatchGetSecretValue`.
//!
//! Values are never stored in the clear: KMS encrypts them through the
//! [`gureum_kit::encryption::Encryptor`] seam (see [`seal`], which also
//! opens values sealed locally before KMS was wired in).
//!
//! Rotation runs the secret's Lambda function through AWS's four steps,
//! through the [`rotation::RotationFunctions`] seam the server wires to
//! Lambda (`rotation.rs`).
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `secretsmanager.secrets`: `account/region/name` → a [`Secret`];
//! - `secretsmanager.seal`: `local-key` → the local key of values sealed
//!   before KMS was wired in (read only).
//!
//! Layout: [`errors`], `ids.rs` (names, ARNs, lookup), `secrets.rs`
//! (create, describe, update, delete, restore, list), `values.rs` (the
//! versions and their values), `password.rs`, `policy.rs` (resource
//! policies, tags), `rotation.rs`.

mod authorization;
pub mod errors;
mod ids;
mod password;
mod policy;
pub mod rotation;
pub mod seal;
mod secrets;
mod values;

pub use errors::SecretsError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_kit::encryption::{Encryptor, KmsUnavailable};
use gureum_store::{Store, Table};
use std::sync::Arc;

/// One version of a secret's value.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SecretVersion {
    /// The version id (the `ClientRequestToken` that made it).
    pub id: String,
    /// Its staging labels.
    pub stages: Vec<String>,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// The protected value (see [`seal`]).
    pub sealed: Vec<u8>,
    /// Whether the value is `SecretBinary` (else `SecretString`).
    pub binary: bool,
    /// The customer KMS key that protects it (`None`: the default key).
    pub kms_key_id: Option<String>,
    /// Whether KMS encrypted the value (every value written since KMS was
    /// wired in); `false` for a default-key value written before, sealed
    /// under the old local key and still read that way.
    #[serde(default)]
    pub kms_sealed: bool,
}

/// A secret, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Secret {
    /// The name.
    pub name: String,
    /// The ARN (`…:secret:NAME-AbCdEf`).
    pub arn: String,
    /// The description.
    pub description: Option<String>,
    /// The customer KMS key for new versions (`None`: the default key).
    pub kms_key_id: Option<String>,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// When it last changed, epoch milliseconds.
    pub changed_ms: i64,
    /// When it will be deleted (set by `DeleteSecret`), epoch ms.
    pub deletion_ms: Option<i64>,
    /// Its tags, in the order they were added.
    pub tags: Vec<(String, String)>,
    /// Its resource policy.
    pub policy: Option<String>,
    /// Its versions, oldest first.
    pub versions: Vec<SecretVersion>,
    /// Its rotation settings, once `RotateSecret` set them.
    #[serde(default)]
    pub rotation: Option<rotation::Rotation>,
}

/// The Secrets Manager service.
pub struct SecretsManagerService {
    store: Store,
    /// Secrets by scope and name.
    secrets: Table<Secret>,
    /// Opens default-key values sealed locally before KMS was wired in.
    sealer: seal::Sealer,
    /// Encrypts values with KMS (the customer key or `aws/secretsmanager`).
    encryptor: Arc<dyn Encryptor>,
    /// Runs rotation functions (`None`: rotation refused, as when
    /// Secrets Manager cannot invoke the function).
    rotation: Option<Arc<dyn rotation::RotationFunctions>>,
}

impl SecretsManagerService {
    /// The service over `store`, with no KMS (every value refused).
    pub fn new(store: Store) -> Self {
        Self::with_encryptor(store, Arc::new(KmsUnavailable))
    }

    /// The service over `store`, encrypting values through `encryptor`.
    pub fn with_encryptor(store: Store, encryptor: Arc<dyn Encryptor>) -> Self {
        SecretsManagerService {
            secrets: store.table("secretsmanager.secrets"),
            sealer: seal::Sealer::new(store.clone()),
            store,
            encryptor,
            rotation: None,
        }
    }

    /// The service, rotating secrets through `functions`.
    pub fn with_rotation(mut self, functions: Arc<dyn rotation::RotationFunctions>) -> Self {
        self.rotation = Some(functions);
        self
    }

    /// What a rotation thread calls when it ends: on success, records the
    /// rotation time on the secret (in `ctx`'s account and region).
    pub(crate) fn rotation_done_handle(
        &self,
        ctx: &RequestContext,
    ) -> impl Fn(&str, Result<(), String>) + Send + 'static {
        let (store, secrets) = (self.store.clone(), self.secrets.clone());
        let scope_prefix = gureum_core::Scope::regional(ctx).prefix();
        let clock = ctx.clock.clone();
        move |arn: &str, outcome: Result<(), String>| {
            if outcome.is_err() {
                return;
            }
            let _ = store.write(|txn| -> Result<(), gureum_store::StoreError> {
                for (key, mut s) in txn.scan_prefix(&secrets, &scope_prefix)? {
                    if s.arn == arn {
                        if let Some(r) = &mut s.rotation {
                            r.last_rotated_ms = Some(clock.now_millis());
                        }
                        txn.put(&secrets, &key, &s)?;
                    }
                }
                Ok(())
            });
        }
    }
}

/// One method per operation, each handing over to its module.
macro_rules! operations {
    ($($method:ident => $module:ident::$func:ident),* $(,)?) => {
        impl SecretsManagerService {
            $(
                #[doc = concat!("The `", stringify!($method), "` operation.")]
                fn $method(&self, ctx: &RequestContext, input: Value) -> OpResult {
                    $module::$func(self, ctx, &input)
                }
            )*
        }
    };
}

operations! {
    create_secret => secrets::create_secret,
    describe_secret => secrets::describe_secret,
    update_secret => secrets::update_secret,
    delete_secret => secrets::delete_secret,
    restore_secret => secrets::restore_secret,
    list_secrets => secrets::list_secrets,
    get_secret_value => values::get_secret_value,
    put_secret_value => values::put_secret_value,
    update_secret_version_stage => values::update_secret_version_stage,
    list_secret_version_ids => values::list_secret_version_ids,
    batch_get_secret_value => values::batch_get_secret_value,
    get_random_password => password::get_random_password,
    put_resource_policy => policy::put_resource_policy,
    get_resource_policy => policy::get_resource_policy,
    delete_resource_policy => policy::delete_resource_policy,
    validate_resource_policy => policy::validate_resource_policy,
    tag_resource => policy::tag_resource,
    untag_resource => policy::untag_resource,
    rotate_secret => rotation::rotate_secret,
    cancel_rotate_secret => rotation::cancel_rotate_secret,
}

impl SecretsManagerService {
    /// Before every operation: nothing to make (the local key of values
    /// written before KMS is only read).
    fn prepare(&self, _ctx: &RequestContext) -> Result<(), gureum_core::AwsError> {
        Ok(())
    }

    /// After a reset or import: the local sealing key is read again.
    fn reset(&self) {
        self.sealer.forget();
    }
}

gureum_core::service_operations! {
    SecretsManagerService, "secretsmanager",
    prepare = prepare,
    reset = reset,
    authorization = authorization,
    "CreateSecret" => create_secret,
    "DescribeSecret" => describe_secret,
    "UpdateSecret" => update_secret,
    "DeleteSecret" => delete_secret,
    "RestoreSecret" => restore_secret,
    "ListSecrets" => list_secrets,
    "GetSecretValue" => get_secret_value,
    "PutSecretValue" => put_secret_value,
    "UpdateSecretVersionStage" => update_secret_version_stage,
    "ListSecretVersionIds" => list_secret_version_ids,
    "BatchGetSecretValue" => batch_get_secret_value,
    "GetRandomPassword" => get_random_password,
    "PutResourcePolicy" => put_resource_policy,
    "GetResourcePolicy" => get_resource_policy,
    "DeleteResourcePolicy" => delete_resource_policy,
    "ValidateResourcePolicy" => validate_resource_policy,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "RotateSecret" => rotate_secret,
    "CancelRotateSecret" => cancel_rotate_secret,
}

#[cfg(test)]
mod tests;
