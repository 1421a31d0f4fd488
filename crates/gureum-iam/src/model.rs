//! The records IAM keeps in the store, one table per entity kind.
//!
//! IAM is global, so every key starts with the account id and nothing else:
//! `000000000000/alice`. Names in IAM are unique regardless of case
//! (`Alice` and `alice` cannot both exist), so the key holds the name in
//! lower case and the record holds it as created. Access keys are the one
//! exception: they are keyed by their id alone, because a signed request
//! names only the key and the credentials provider must find it in one read.
//!
//! Relationships live on the side that is read most: a user lists its
//! groups, attached policies and access key ids; a group's members are found
//! by scanning the account's users. Renaming an entity rewrites the records
//! that name it, in the same transaction.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A tag on an IAM resource, in the order it was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The key (case-sensitive when stored, unique regardless of case).
    pub key: String,
    /// The value (may be empty).
    pub value: String,
}

/// An IAM user.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    /// The name as created.
    pub name: String,
    /// `AIDA…`.
    pub user_id: String,
    /// The path, `/` by default.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// The permissions boundary's policy ARN.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies: name → document as given.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// Attached managed policy ARNs, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the groups the user is in.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Ids of the user's access keys.
    #[serde(default)]
    pub access_keys: Vec<String>,
    /// Ids of the user's X.509 signing certificates.
    #[serde(default)]
    pub signing_certificates: Vec<String>,
    /// Ids of the user's SSH public keys.
    #[serde(default)]
    pub ssh_public_keys: Vec<String>,
    /// Ids of the user's service-specific credentials.
    #[serde(default)]
    pub service_credentials: Vec<String>,
    /// The console password, when the user has one.
    #[serde(default)]
    pub login_profile: Option<LoginProfile>,
    /// Last console sign-in, epoch seconds.
    #[serde(default)]
    pub password_last_used: Option<i64>,
}

/// A user's console password.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginProfile {
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Last time the password was set, epoch seconds.
    pub password_last_changed: i64,
    /// Whether the user must choose a new password at next sign-in.
    pub password_reset_required: bool,
    /// Random salt, hex.
    pub salt: String,
    /// SHA-256 of salt and password, hex.
    pub hash: String,
}

/// An IAM group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Group {
    /// The name as created.
    pub name: String,
    /// `AGPA…`.
    pub group_id: String,
    /// The path.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Inline policies: name → document.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

/// An IAM role.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Role {
    /// The name as created.
    pub name: String,
    /// `AROA…`.
    pub role_id: String,
    /// The path.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// The trust policy document, as given.
    pub assume_role_policy: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Longest session AssumeRole may grant, seconds (3600–43200).
    pub max_session_duration: i64,
    /// The permissions boundary's policy ARN.
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Inline policies: name → document.
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Last time the role was assumed (epoch seconds) and where.
    #[serde(default)]
    pub last_used: Option<(i64, String)>,
}

/// An instance profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstanceProfile {
    /// The name as created.
    pub name: String,
    /// `AIPA…`.
    pub instance_profile_id: String,
    /// The path.
    pub path: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Names of the roles in it (at most one).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// One version of a customer managed policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, …
    pub version_id: String,
    /// The document as given.
    pub document: String,
    /// Creation time, epoch seconds.
    pub create_date: i64,
}

/// A customer managed policy.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// The name as created.
    pub name: String,
    /// `ANPA…`.
    pub policy_id: String,
    /// The path.
    pub path: String,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Last time a version was added or the default changed.
    pub update_date: i64,
    /// The default version's id.
    pub default_version: String,
    /// The number the next version gets (`v{n}`).
    pub next_version: u32,
    /// The versions, oldest first (at most 5).
    pub versions: Vec<PolicyVersion>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    /// The default version's document.
    pub fn default_document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
            .map(|v| v.document.as_str())
            .unwrap_or_default()
    }
}

/// An IAM access key (long-term credentials of a user).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessKey {
    /// `AKIA…`.
    pub access_key_id: String,
    /// The secret (returned once, kept to verify signatures).
    pub secret_access_key: String,
    /// The account.
    pub account_id: String,
    /// The owning user's name.
    pub user_name: String,
    /// `true` = `Active`.
    pub active: bool,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Last use: epoch seconds, service, region.
    #[serde(default)]
    pub last_used: Option<KeyUse>,
}

/// When and where an access key was last used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUse {
    /// Epoch milliseconds.
    pub at_ms: i64,
    /// The service's signing name (`s3`, `iam`).
    pub service: String,
    /// The region the request was signed for.
    pub region: String,
}

/// A virtual MFA device.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MfaDevice {
    /// The device name.
    pub name: String,
    /// The path.
    pub path: String,
    /// `arn:aws:iam::ACCT:mfa{path}{name}`.
    pub serial_number: String,
    /// The TOTP secret, base32 (RFC 3548, no padding).
    pub seed_base32: String,
    /// The user it is enabled for.
    #[serde(default)]
    pub user: Option<String>,
    /// When it was enabled, epoch seconds.
    #[serde(default)]
    pub enable_date: Option<i64>,
    /// Creation time, epoch seconds.
    pub create_date: i64,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// The account password policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// Minimum length (6–128, default 6).
    pub minimum_password_length: i64,
    /// At least one non-alphanumeric character.
    pub require_symbols: bool,
    /// At least one digit.
    pub require_numbers: bool,
    /// At least one upper-case letter.
    pub require_uppercase: bool,
    /// At least one lower-case letter.
    pub require_lowercase: bool,
    /// Users may change their own password.
    pub allow_users_to_change_password: bool,
    /// Days a password is valid (0 = forever).
    pub max_password_age: Option<i64>,
    /// How many previous passwords cannot be reused.
    pub password_reuse_prevention: Option<i64>,
    /// Expired passwords need an administrator to reset.
    pub hard_expiry: Option<bool>,
}

/// Account-wide IAM settings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountSettings {
    /// The account alias (AWS allows one).
    #[serde(default)]
    pub alias: Option<String>,
    /// The password policy.
    #[serde(default)]
    pub password_policy: Option<PasswordPolicy>,
    /// The last credential report: generation time (epoch seconds) and CSV.
    #[serde(default)]
    pub credential_report: Option<(i64, String)>,
    /// STS's global endpoint token version (`v1Token` unless set).
    #[serde(default)]
    pub global_endpoint_token_version: Option<String>,
    /// Whether outbound identity federation is on.
    #[serde(default)]
    pub outbound_federation_enabled: bool,
    /// The account's outbound issuer URL, once generated.
    #[serde(default)]
    pub outbound_issuer: Option<String>,
}
