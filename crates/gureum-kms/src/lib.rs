//! AWS Key Management Service (json 1.1, regional): symmetric keys with
//! envelope encryption, RSA and elliptic-curve keys (sign, verify, RSA
//! encryption, public keys), HMAC keys, key states on Gureum's clock,
//! aliases, AWS managed keys created on first use, rotation, tags and key
//! policies.
//!
//! Key material is never stored in the clear: each version of a key's
//! material is sealed with AES-256-GCM under Gureum's master key
//! (`master.rs`), a random key generated once per store and kept in it.
//! Ciphertexts are self-describing (`ciphertext.rs`): they carry the key
//! id and the material version, and the encryption context is their
//! additional authenticated data, so `Decrypt` needs no `KeyId` and a
//! wrong context fails as `InvalidCiphertextException`.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `kms.master`: `master` → the master key (base64), the store's only
//!   unscoped row;
//! - `kms.keys`: `account/region/key-id` → [`KeyRecord`];
//! - `kms.aliases`: `account/region/alias/name` → [`AliasRecord`];
//! - `kms.grants`: `account/region/key-id/grant-id` → [`GrantRecord`];
//! - `kms.imports`: `account/region/key-id/token-id` → the wrapping key
//!   `GetParametersForImport` made (sealed), until it expires.
//!
//! A key whose deletion date has passed on Gureum's clock is gone: reads
//! treat it as absent (`resolve::live`) without a background task, as EC2's
//! lifecycles do.
//!
//! Layout: [`errors`] declares the errors; `resolve.rs` turns a `KeyId`
//! into a key (with the caller's permission) and holds the shared state
//! checks; `keys.rs` answers the key lifecycle, `managed.rs` makes AWS
//! managed keys; `crypto.rs` the encryption operations,
//! `signing.rs` signatures, public keys and MACs, over `primitives.rs`
//! (pure cryptography) and `specs.rs` (what each key spec allows);
//! `aliases.rs`, `grants.rs`, `imports.rs` (imported key material),
//! `multi_region.rs` (replicas), `settings.rs` (tags, policies, rotation,
//! description); `authorization.rs` says who may do what;
//! `kms_encryptor.rs` is KMS behind the kit's `Encryptor` seam (SSM and
//! Secrets Manager).

pub mod errors;

mod aliases;
mod authorization;
mod ciphertext;
mod crypto;
mod grants;
mod imports;
mod keys;
mod kms_encryptor;
mod managed;
mod master;
mod multi_region;
mod primitives;
mod resolve;
mod settings;
mod signing;
mod specs;

pub use errors::KmsError;
pub use grants::GrantRecord;
pub use kms_encryptor::KmsEncryptor;

use gureum_authz::Authorizer;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_store::{Store, Table};
use std::collections::HashMap;
use std::sync::Arc;

/// One version of a key's material, sealed under the master key.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Material {
    /// The key material id (64 hex digits, as AWS writes them).
    pub id: String,
    /// Nonce and AES-256-GCM ciphertext of the material, base64.
    pub sealed: String,
    /// When this version was made, epoch milliseconds.
    pub created_ms: i64,
    /// `AUTOMATIC` or `ON_DEMAND` for rotated versions; `None` for the first.
    #[serde(default)]
    pub rotation_type: Option<String>,
}

/// A KMS key, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyRecord {
    /// The key id (a UUID).
    pub id: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// The description.
    pub description: String,
    /// `ENCRYPT_DECRYPT`, `SIGN_VERIFY`, `GENERATE_VERIFY_MAC`, ….
    pub key_usage: String,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, `HMAC_256`, ….
    pub key_spec: String,
    /// `CUSTOMER` or `AWS`.
    pub key_manager: String,
    /// `Enabled`, `Disabled` or `PendingDeletion`.
    pub state: String,
    /// When a key pending deletion is deleted, epoch milliseconds.
    #[serde(default)]
    pub deletion_ms: Option<i64>,
    /// The material versions, oldest first; the last one encrypts.
    pub materials: Vec<Material>,
    /// Whether automatic rotation is on.
    #[serde(default)]
    pub rotation_enabled: bool,
    /// The automatic rotation period, in days.
    #[serde(default = "default_rotation_days")]
    pub rotation_days: i64,
    /// When automatic rotation last started counting, epoch milliseconds.
    #[serde(default)]
    pub rotation_since_ms: Option<i64>,
    /// The `default` key policy document.
    pub policy: String,
    /// Tags, in the order they were first set.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// `AWS_KMS`, or `EXTERNAL` for imported key material.
    #[serde(default = "default_origin")]
    pub origin: String,
    /// For imported material: `KEY_MATERIAL_EXPIRES` or
    /// `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    #[serde(default)]
    pub expiration_model: Option<String>,
    /// When imported material expires, epoch milliseconds.
    #[serde(default)]
    pub valid_to_ms: Option<i64>,
    /// The version id of the material first imported (derived from it):
    /// the only material the key accepts again.
    #[serde(default)]
    pub imported_material_id: Option<String>,
    /// For a multi-Region key: where its primary is and where its
    /// replicas are (kept the same on every key of the set).
    #[serde(default)]
    pub multi_region: Option<MultiRegion>,
}

/// The regions of a set of related multi-Region keys.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MultiRegion {
    /// The primary key's region.
    pub primary: String,
    /// The replicas' regions, in the order they were made.
    pub replicas: Vec<String>,
}

fn default_origin() -> String {
    "AWS_KMS".into()
}

fn default_rotation_days() -> i64 {
    365
}

/// An alias, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AliasRecord {
    /// The full name (`alias/…`).
    pub name: String,
    /// The id of the key it points to.
    pub target: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
    /// Last change of target, epoch milliseconds.
    pub updated_ms: i64,
}

/// The KMS service.
pub struct KmsService {
    store: Store,
    /// The master key row.
    master_table: Table<String>,
    /// The master key, once read or made (forgotten on reset, when the
    /// store's KMS tables may have been replaced).
    master: parking_lot::RwLock<Option<[u8; 32]>>,
    /// Keys.
    keys: Table<KeyRecord>,
    /// Decoded key records: every cryptographic operation reads its key's.
    key_memo: gureum_store::Memo<KeyRecord>,
    /// Aliases.
    aliases: Table<AliasRecord>,
    /// Grants.
    grants: Table<GrantRecord>,
    /// Import parameters (wrapping keys) handed out, by key and token.
    imports: Table<imports::ImportParams>,
    /// Evaluates key policies with the caller's IAM policies (`None`: a
    /// service without IAM, as in unit tests, enforces nothing).
    authorizer: Option<Arc<Authorizer>>,
    /// Key policies parsed, by document.
    policies: parking_lot::Mutex<HashMap<String, Arc<gureum_policy::Policy>>>,
}

impl KmsService {
    /// The service over `store`, enforcing no permissions (tests).
    pub fn new(store: Store) -> Self {
        KmsService {
            master_table: store.table("kms.master"),
            master: Default::default(),
            keys: store.table("kms.keys"),
            key_memo: gureum_store::Memo::default(),
            aliases: store.table("kms.aliases"),
            grants: store.table("kms.grants"),
            imports: store.table("kms.imports"),
            authorizer: None,
            policies: Default::default(),
            store,
        }
    }

    /// The service over `store`, evaluating key policies together with the
    /// caller's IAM policies through `authorizer`.
    pub fn with_authorizer(store: Store, authorizer: Arc<Authorizer>) -> Self {
        KmsService {
            authorizer: Some(authorizer),
            ..KmsService::new(store)
        }
    }

    /// The id of the AWS managed key for `service` (`"s3"`, `"ebs"`, …)
    /// in `scope`, created with its `alias/aws/<service>` alias on first
    /// use, as AWS does when a service first encrypts for an account.
    /// Other services call this to encrypt with the default key.
    pub fn aws_managed_key(
        &self,
        scope: Scope<'_>,
        now_ms: i64,
        service: &str,
    ) -> Result<String, AwsError> {
        managed::aws_managed_key(self, scope, now_ms, service)
    }

    /// Forgets what is cached from the store (`POST /_gureum/reset`, an
    /// import): the master key and parsed key policies.
    fn reset(&self) {
        *self.master.write() = None;
        self.policies.lock().clear();
    }

    fn create_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::create_key(self, ctx, &input)
    }
    fn describe_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::describe_key(self, ctx, &input)
    }
    fn list_keys(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::list_keys(self, ctx, &input)
    }
    fn enable_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::set_enabled(self, ctx, &input, true)
    }
    fn disable_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::set_enabled(self, ctx, &input, false)
    }
    fn schedule_key_deletion(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::schedule_deletion(self, ctx, &input)
    }
    fn cancel_key_deletion(&self, ctx: &RequestContext, input: Value) -> OpResult {
        keys::cancel_deletion(self, ctx, &input)
    }
    fn encrypt(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::encrypt(self, ctx, &input)
    }
    fn decrypt(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::decrypt(self, ctx, &input)
    }
    fn re_encrypt(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::re_encrypt(self, ctx, &input)
    }
    fn generate_data_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::generate_data_key(self, ctx, &input, true)
    }
    fn generate_data_key_without_plaintext(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::generate_data_key(self, ctx, &input, false)
    }
    fn generate_data_key_pair(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::generate_data_key_pair(self, ctx, &input, true)
    }
    fn generate_data_key_pair_without_plaintext(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crypto::generate_data_key_pair(self, ctx, &input, false)
    }
    fn generate_random(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crypto::generate_random(ctx, &input)
    }
    fn create_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        aliases::create_alias(self, ctx, &input)
    }
    fn update_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        aliases::update_alias(self, ctx, &input)
    }
    fn delete_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        aliases::delete_alias(self, ctx, &input)
    }
    fn list_aliases(&self, ctx: &RequestContext, input: Value) -> OpResult {
        aliases::list_aliases(self, ctx, &input)
    }
    fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::tag_resource(self, ctx, &input)
    }
    fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::untag_resource(self, ctx, &input)
    }
    fn list_resource_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::list_resource_tags(self, ctx, &input)
    }
    fn get_key_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::get_key_policy(self, ctx, &input)
    }
    fn put_key_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::put_key_policy(self, ctx, &input)
    }
    fn list_key_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::list_key_policies(self, ctx, &input)
    }
    fn update_key_description(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::update_description(self, ctx, &input)
    }
    fn get_key_rotation_status(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::rotation_status(self, ctx, &input)
    }
    fn enable_key_rotation(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::set_rotation(self, ctx, &input, true)
    }
    fn disable_key_rotation(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::set_rotation(self, ctx, &input, false)
    }
    fn rotate_key_on_demand(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::rotate_on_demand(self, ctx, &input)
    }
    fn list_key_rotations(&self, ctx: &RequestContext, input: Value) -> OpResult {
        settings::list_rotations(self, ctx, &input)
    }
    fn get_parameters_for_import(&self, ctx: &RequestContext, input: Value) -> OpResult {
        imports::get_parameters(self, ctx, &input)
    }
    fn import_key_material(&self, ctx: &RequestContext, input: Value) -> OpResult {
        imports::import_material(self, ctx, &input)
    }
    fn delete_imported_key_material(&self, ctx: &RequestContext, input: Value) -> OpResult {
        imports::delete_material(self, ctx, &input)
    }
    fn replicate_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        multi_region::replicate_key(self, ctx, &input)
    }
    fn update_primary_region(&self, ctx: &RequestContext, input: Value) -> OpResult {
        multi_region::update_primary_region(self, ctx, &input)
    }
    fn create_grant(&self, ctx: &RequestContext, input: Value) -> OpResult {
        grants::create_grant(self, ctx, &input)
    }
    fn list_grants(&self, ctx: &RequestContext, input: Value) -> OpResult {
        grants::list_grants(self, ctx, &input)
    }
    fn list_retirable_grants(&self, ctx: &RequestContext, input: Value) -> OpResult {
        grants::list_retirable_grants(self, ctx, &input)
    }
    fn retire_grant(&self, ctx: &RequestContext, input: Value) -> OpResult {
        grants::retire_grant(self, ctx, &input)
    }
    fn revoke_grant(&self, ctx: &RequestContext, input: Value) -> OpResult {
        grants::revoke_grant(self, ctx, &input)
    }
    fn sign(&self, ctx: &RequestContext, input: Value) -> OpResult {
        signing::sign(self, ctx, &input)
    }
    fn verify(&self, ctx: &RequestContext, input: Value) -> OpResult {
        signing::verify(self, ctx, &input)
    }
    fn get_public_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        signing::get_public_key(self, ctx, &input)
    }
    fn derive_shared_secret(&self, ctx: &RequestContext, input: Value) -> OpResult {
        signing::derive_shared_secret(self, ctx, &input)
    }
    fn generate_mac(&self, ctx: &RequestContext, input: Value) -> OpResult {
        signing::generate_mac(self, ctx, &input)
    }
    fn verify_mac(&self, ctx: &RequestContext, input: Value) -> OpResult {
        signing::verify_mac(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    KmsService, "kms", reset = reset, authorization = authorization,
    "CreateKey" => create_key,
    "DescribeKey" => describe_key,
    "ListKeys" => list_keys,
    "EnableKey" => enable_key,
    "DisableKey" => disable_key,
    "ScheduleKeyDeletion" => schedule_key_deletion,
    "CancelKeyDeletion" => cancel_key_deletion,
    "Encrypt" => encrypt,
    "Decrypt" => decrypt,
    "ReEncrypt" => re_encrypt,
    "GenerateDataKey" => generate_data_key,
    "GenerateDataKeyWithoutPlaintext" => generate_data_key_without_plaintext,
    "GenerateDataKeyPair" => generate_data_key_pair,
    "GenerateDataKeyPairWithoutPlaintext" => generate_data_key_pair_without_plaintext,
    "GenerateRandom" => generate_random,
    "CreateAlias" => create_alias,
    "UpdateAlias" => update_alias,
    "DeleteAlias" => delete_alias,
    "ListAliases" => list_aliases,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListResourceTags" => list_resource_tags,
    "GetKeyPolicy" => get_key_policy,
    "PutKeyPolicy" => put_key_policy,
    "ListKeyPolicies" => list_key_policies,
    "UpdateKeyDescription" => update_key_description,
    "GetKeyRotationStatus" => get_key_rotation_status,
    "EnableKeyRotation" => enable_key_rotation,
    "DisableKeyRotation" => disable_key_rotation,
    "RotateKeyOnDemand" => rotate_key_on_demand,
    "ListKeyRotations" => list_key_rotations,
    "Sign" => sign,
    "Verify" => verify,
    "GetPublicKey" => get_public_key,
    "DeriveSharedSecret" => derive_shared_secret,
    "GenerateMac" => generate_mac,
    "VerifyMac" => verify_mac,
    "GetParametersForImport" => get_parameters_for_import,
    "ImportKeyMaterial" => import_key_material,
    "DeleteImportedKeyMaterial" => delete_imported_key_material,
    "ReplicateKey" => replicate_key,
    "UpdatePrimaryRegion" => update_primary_region,
    "CreateGrant" => create_grant,
    "ListGrants" => list_grants,
    "ListRetirableGrants" => list_retirable_grants,
    "RetireGrant" => retire_grant,
    "RevokeGrant" => revoke_grant,
}

#[cfg(test)]
mod tests;
