//! SSM Parameter Store (json 1.1, regional): parameters with their
//! versions (up to 100, the oldest dropped), labels, hierarchies
//! (`/a/b/c`, 15 levels), tiers and tags, and AWS's public parameters
//! (`/aws/service/…`) answered from Gureum's catalogues.
//!
//! `SecureString` values go through a [`gureum_kit::encryption::Encryptor`]
//! (the server wires in Gureum's KMS: `alias/aws/ssm` by default, bound to
//! `PARAMETER_ARN`); built without KMS ([`SsmService::new`]) every
//! `SecureString` write or decrypting read is refused — nothing is stored
//! in the clear as if it were encrypted.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `ssm.parameters`: `account/region/name` → a [`Parameter`] with its
//!   versions, labels and tags.
//!
//! Layout: [`errors`] declares the errors, `names.rs` holds the naming
//! rules, `write.rs` the writes (put, delete, labels), `read.rs` the
//! reads, `public.rs` AWS's public parameters, `tags.rs` the tags.

mod authorization;
pub mod errors;
mod filters;
mod names;
mod policies;
mod public;
mod read;
mod read_paths;
mod tags;
mod write;

pub use errors::SsmError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_kit::encryption::{Encryptor, KmsUnavailable};
use gureum_store::{Store, Table};
use std::sync::Arc;

/// One version of a parameter.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParameterVersion {
    /// 1, 2, … (never reused).
    pub version: i64,
    /// The value (for a `SecureString`, the ciphertext in base64).
    pub value: String,
    /// `String`, `StringList` or `SecureString`.
    pub kind: String,
    /// The description.
    pub description: Option<String>,
    /// The `AllowedPattern`.
    pub allowed_pattern: Option<String>,
    /// The KMS key of a `SecureString`.
    pub key_id: Option<String>,
    /// `Standard` or `Advanced`.
    pub tier: String,
    /// `text`, `aws:ec2:image` or `aws:ssm:integration`.
    pub data_type: String,
    /// The labels this version carries.
    pub labels: Vec<String>,
    /// When it was written, epoch milliseconds.
    pub modified_ms: i64,
    /// Who wrote it (an ARN).
    pub user: String,
    /// The `Policies` JSON, as given.
    pub policies: Option<String>,
}

/// A parameter, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Parameter {
    /// The name, as given.
    pub name: String,
    /// Its versions, oldest first (at most 100).
    pub versions: Vec<ParameterVersion>,
    /// Its tags, in the order they were added.
    pub tags: Vec<(String, String)>,
}

impl Parameter {
    /// The newest version.
    pub fn latest(&self) -> &ParameterVersion {
        // A stored parameter always has a version (writes guarantee it).
        &self.versions[self.versions.len() - 1]
    }
}

/// The SSM service (Parameter Store).
pub struct SsmService {
    store: Store,
    /// Parameters by scope and name.
    parameters: Table<Parameter>,
    /// Where `SecureString` values are encrypted.
    encryptor: Arc<dyn Encryptor>,
}

impl SsmService {
    /// The service over `store`, with no KMS (`SecureString` refused).
    pub fn new(store: Store) -> Self {
        Self::with_encryptor(store, Arc::new(KmsUnavailable))
    }

    /// The service over `store`, encrypting through `encryptor`.
    pub fn with_encryptor(store: Store, encryptor: Arc<dyn Encryptor>) -> Self {
        SsmService {
            parameters: store.table("ssm.parameters"),
            store,
            encryptor,
        }
    }

    /// `PutParameter`.
    fn put_parameter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        write::put_parameter(self, ctx, &input)
    }

    /// `DeleteParameter`.
    fn delete_parameter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        write::delete_parameter(self, ctx, &input)
    }

    /// `DeleteParameters`.
    fn delete_parameters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        write::delete_parameters(self, ctx, &input)
    }

    /// `LabelParameterVersion`.
    fn label_parameter_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        write::label_parameter_version(self, ctx, &input)
    }

    /// `UnlabelParameterVersion`.
    fn unlabel_parameter_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        write::unlabel_parameter_version(self, ctx, &input)
    }

    /// `GetParameter`.
    fn get_parameter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        read::get_parameter(self, ctx, &input)
    }

    /// `GetParameters`.
    fn get_parameters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        read::get_parameters(self, ctx, &input)
    }

    /// `GetParametersByPath`.
    fn get_parameters_by_path(&self, ctx: &RequestContext, input: Value) -> OpResult {
        read::get_parameters_by_path(self, ctx, &input)
    }

    /// `GetParameterHistory`.
    fn get_parameter_history(&self, ctx: &RequestContext, input: Value) -> OpResult {
        read::get_parameter_history(self, ctx, &input)
    }

    /// `DescribeParameters`.
    fn describe_parameters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        read::describe_parameters(self, ctx, &input)
    }

    /// `AddTagsToResource`.
    fn add_tags_to_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::add_tags(self, ctx, &input)
    }

    /// `RemoveTagsFromResource`.
    fn remove_tags_from_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::remove_tags(self, ctx, &input)
    }

    /// `ListTagsForResource`.
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::list_tags(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    SsmService, "ssm",
    authorization = authorization,
    "PutParameter" => put_parameter,
    "DeleteParameter" => delete_parameter,
    "DeleteParameters" => delete_parameters,
    "LabelParameterVersion" => label_parameter_version,
    "UnlabelParameterVersion" => unlabel_parameter_version,
    "GetParameter" => get_parameter,
    "GetParameters" => get_parameters,
    "GetParametersByPath" => get_parameters_by_path,
    "GetParameterHistory" => get_parameter_history,
    "DescribeParameters" => describe_parameters,
    "AddTagsToResource" => add_tags_to_resource,
    "RemoveTagsFromResource" => remove_tags_from_resource,
    "ListTagsForResource" => list_tags_for_resource,
}

#[cfg(test)]
mod tests;
