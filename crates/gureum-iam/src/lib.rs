//! IAM (query protocol, global).
//!
//! Identities (users, groups, roles — service-linked ones included —,
//! instance profiles), the policies that govern them (customer managed
//! policies with versions, a catalogue of AWS managed policies, inline
//! policies, permissions boundaries), their credentials (access keys,
//! console passwords, virtual MFA devices, signing certificates, SSH public
//! keys, service-specific credentials), federation (OpenID Connect and SAML
//! providers), server certificates, and the account's settings (alias,
//! password policy, credential report, summary).
//!
//! Errors are declared once in [`errors`]; listings page over store scans
//! ([`util::scan_page`]); a write that stores a reference validates it in
//! its own transaction (`race_tests.rs` races each such pair).
//!
//! The operations live in one module per family; [`service_operations!`]
//! at the bottom of this file maps each AWS operation name to its method.
//! State is kept in the store, keyed by account only (IAM has no regions;
//! see [`model`]). The rest of Gureum reads IAM through a few methods on
//! [`IamService`]: [`IamService::credentials`] for SigV4,
//! [`IamService::user_authz`] / [`IamService::role_authz`] for policy
//! enforcement, [`IamService::role`] for `sts:AssumeRole` and
//! [`IamService::verify_mfa_code`] for `sts:GetSessionToken`. Those answers
//! come from memory: parsed policies and assembled principals are cached and
//! the caches are dropped on every IAM write.
//!
//! [`service_operations!`]: gureum_core::service_operations

mod access_keys;
mod account;
mod attachments;
mod authorization;
mod authz;
pub mod catalogue;
mod credential_report;
pub mod documents;
mod entity;
pub mod errors;
mod groups;
mod inline;
mod instance_profiles;
mod login;
mod mfa;
pub mod model;
mod oidc;
mod organizations;
mod outbound;
mod pem;
mod policies;
mod qr_png;
mod roles;
mod saml;
mod server_certs;
mod service_access;
mod service_credentials;
mod service_linked;
mod signing_certs;
mod simulate;
mod ssh_keys;
mod tags;
mod users;
pub mod util;

pub use authz::{PrincipalAuthz, RoleInfo};
pub use errors::IamError;
pub use mfa::totp;
pub use saml::xml_attribute;

use authz::AuthzCache;
use documents::ParsedCache;
use gureum_core::AwsError;
use gureum_store::{Store, Table, WriteTxn};
use model::{
    AccessKey, AccountSettings, Group, InstanceProfile, KeyUse, ManagedPolicy, MfaDevice, Role,
    User,
};
use parking_lot::Mutex;
use std::collections::HashMap;

/// The IAM service: its tables, and in-memory caches of what
/// authorization reads.
pub struct IamService {
    store: Store,
    users: Table<User>,
    groups: Table<Group>,
    roles: Table<Role>,
    instance_profiles: Table<InstanceProfile>,
    policies: Table<ManagedPolicy>,
    access_keys: Table<AccessKey>,
    /// Deleted access keys (id → account), so that a deleted key is refused
    /// as invalid instead of being taken for an unknown key.
    retired_keys: Table<String>,
    mfa_devices: Table<MfaDevice>,
    accounts: Table<AccountSettings>,
    oidc_providers: Table<oidc::OidcProvider>,
    saml_providers: Table<saml::SamlProvider>,
    server_certificates: Table<server_certs::ServerCertificate>,
    signing_certificates: Table<signing_certs::SigningCertificate>,
    ssh_public_keys: Table<ssh_keys::SshPublicKey>,
    service_credentials: Table<service_credentials::ServiceCredential>,
    /// Deletion tasks of service-linked roles, by task id.
    slr_deletions: Table<service_linked::DeletionTask>,
    parsed: ParsedCache,
    cache: AuthzCache,
    /// Last uses of access keys not yet written to the store: key id →
    /// (use, when the stored record was last brought up to date).
    key_use: Mutex<HashMap<String, (KeyUse, i64)>>,
}

impl std::fmt::Debug for IamService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IamService")
            .field("store", &self.store)
            .finish()
    }
}

impl IamService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        IamService {
            users: store.table("iam.users"),
            groups: store.table("iam.groups"),
            roles: store.table("iam.roles"),
            instance_profiles: store.table("iam.instance_profiles"),
            policies: store.table("iam.policies"),
            access_keys: store.table("iam.access_keys"),
            retired_keys: store.table("iam.retired_access_keys"),
            mfa_devices: store.table("iam.mfa_devices"),
            accounts: store.table("iam.accounts"),
            oidc_providers: store.table("iam.oidc_providers"),
            saml_providers: store.table("iam.saml_providers"),
            server_certificates: store.table("iam.server_certificates"),
            signing_certificates: store.table("iam.signing_certificates"),
            ssh_public_keys: store.table("iam.ssh_public_keys"),
            service_credentials: store.table("iam.service_credentials"),
            slr_deletions: store.table("iam.slr_deletions"),
            parsed: ParsedCache::default(),
            cache: AuthzCache::default(),
            key_use: Mutex::new(HashMap::new()),
            store,
        }
    }

    /// After a reset or an import: drops the authorization caches and the
    /// key uses not yet written (their keys are gone).
    fn reset(&self) {
        self.cache.invalidate();
        self.key_use.lock().clear();
    }

    /// Runs `f` in one write transaction, then drops the caches that
    /// authorization reads (they are rebuilt from the committed state).
    fn write<R>(
        &self,
        f: impl FnOnce(&mut WriteTxn) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let result = self.store.write(f);
        self.cache.invalidate();
        result
    }
}

gureum_core::service_operations! {
    IamService, "iam",
    reset = reset,
    authorization = authorization,
    // users
    "CreateUser" => create_user,
    "GetUser" => get_user,
    "UpdateUser" => update_user,
    "DeleteUser" => delete_user,
    "ListUsers" => list_users,
    // groups
    "CreateGroup" => create_group,
    "GetGroup" => get_group,
    "UpdateGroup" => update_group,
    "DeleteGroup" => delete_group,
    "ListGroups" => list_groups,
    "AddUserToGroup" => add_user_to_group,
    "RemoveUserFromGroup" => remove_user_from_group,
    "ListGroupsForUser" => list_groups_for_user,
    // roles
    "CreateRole" => create_role,
    "GetRole" => get_role,
    "UpdateRole" => update_role,
    "UpdateRoleDescription" => update_role_description,
    "UpdateAssumeRolePolicy" => update_assume_role_policy,
    "DeleteRole" => delete_role,
    "ListRoles" => list_roles,
    // instance profiles
    "CreateInstanceProfile" => create_instance_profile,
    "GetInstanceProfile" => get_instance_profile,
    "DeleteInstanceProfile" => delete_instance_profile,
    "ListInstanceProfiles" => list_instance_profiles,
    "AddRoleToInstanceProfile" => add_role_to_instance_profile,
    "RemoveRoleFromInstanceProfile" => remove_role_from_instance_profile,
    "ListInstanceProfilesForRole" => list_instance_profiles_for_role,
    // managed policies and versions
    "CreatePolicy" => create_policy,
    "GetPolicy" => get_policy,
    "DeletePolicy" => delete_policy,
    "ListPolicies" => list_policies,
    "CreatePolicyVersion" => create_policy_version,
    "GetPolicyVersion" => get_policy_version,
    "ListPolicyVersions" => list_policy_versions,
    "DeletePolicyVersion" => delete_policy_version,
    "SetDefaultPolicyVersion" => set_default_policy_version,
    // attachments and permissions boundaries
    "AttachUserPolicy" => attach_user_policy,
    "DetachUserPolicy" => detach_user_policy,
    "AttachGroupPolicy" => attach_group_policy,
    "DetachGroupPolicy" => detach_group_policy,
    "AttachRolePolicy" => attach_role_policy,
    "DetachRolePolicy" => detach_role_policy,
    "ListAttachedUserPolicies" => list_attached_user_policies,
    "ListAttachedGroupPolicies" => list_attached_group_policies,
    "ListAttachedRolePolicies" => list_attached_role_policies,
    "ListEntitiesForPolicy" => list_entities_for_policy,
    "PutUserPermissionsBoundary" => put_user_permissions_boundary,
    "DeleteUserPermissionsBoundary" => delete_user_permissions_boundary,
    "PutRolePermissionsBoundary" => put_role_permissions_boundary,
    "DeleteRolePermissionsBoundary" => delete_role_permissions_boundary,
    // inline policies
    "PutUserPolicy" => put_user_policy,
    "GetUserPolicy" => get_user_policy,
    "DeleteUserPolicy" => delete_user_policy,
    "ListUserPolicies" => list_user_policies,
    "PutGroupPolicy" => put_group_policy,
    "GetGroupPolicy" => get_group_policy,
    "DeleteGroupPolicy" => delete_group_policy,
    "ListGroupPolicies" => list_group_policies,
    "PutRolePolicy" => put_role_policy,
    "GetRolePolicy" => get_role_policy,
    "DeleteRolePolicy" => delete_role_policy,
    "ListRolePolicies" => list_role_policies,
    // access keys
    "CreateAccessKey" => create_access_key,
    "UpdateAccessKey" => update_access_key,
    "DeleteAccessKey" => delete_access_key,
    "ListAccessKeys" => list_access_keys,
    "GetAccessKeyLastUsed" => get_access_key_last_used,
    // console passwords
    "CreateLoginProfile" => create_login_profile,
    "GetLoginProfile" => get_login_profile,
    "UpdateLoginProfile" => update_login_profile,
    "DeleteLoginProfile" => delete_login_profile,
    "ChangePassword" => change_password,
    "UpdateAccountPasswordPolicy" => update_account_password_policy,
    "GetAccountPasswordPolicy" => get_account_password_policy,
    "DeleteAccountPasswordPolicy" => delete_account_password_policy,
    // virtual MFA
    "CreateVirtualMFADevice" => create_virtual_mfa_device,
    "EnableMFADevice" => enable_mfa_device,
    "ResyncMFADevice" => resync_mfa_device,
    "DeactivateMFADevice" => deactivate_mfa_device,
    "DeleteVirtualMFADevice" => delete_virtual_mfa_device,
    "ListMFADevices" => list_mfa_devices,
    "ListVirtualMFADevices" => list_virtual_mfa_devices,
    "GetMFADevice" => get_mfa_device,
    // account
    "CreateAccountAlias" => create_account_alias,
    "DeleteAccountAlias" => delete_account_alias,
    "ListAccountAliases" => list_account_aliases,
    "GetAccountSummary" => get_account_summary,
    "GetAccountAuthorizationDetails" => get_account_authorization_details,
    "GenerateCredentialReport" => generate_credential_report,
    "GetCredentialReport" => get_credential_report,
    "SetSecurityTokenServicePreferences" => set_security_token_service_preferences,
    "EnableOutboundWebIdentityFederation" => enable_outbound_web_identity_federation,
    "DisableOutboundWebIdentityFederation" => disable_outbound_web_identity_federation,
    "GetOutboundWebIdentityFederationInfo" => get_outbound_web_identity_federation_info,
    "ListOrganizationsFeatures" => list_organizations_features,
    "EnableOrganizationsRootCredentialsManagement" => enable_organizations_root_credentials_management,
    "DisableOrganizationsRootCredentialsManagement" => disable_organizations_root_credentials_management,
    "EnableOrganizationsRootSessions" => enable_organizations_root_sessions,
    "DisableOrganizationsRootSessions" => disable_organizations_root_sessions,
    // tags
    "TagUser" => tag_user,
    "UntagUser" => untag_user,
    "ListUserTags" => list_user_tags,
    "TagRole" => tag_role,
    "UntagRole" => untag_role,
    "ListRoleTags" => list_role_tags,
    "TagPolicy" => tag_policy,
    "UntagPolicy" => untag_policy,
    "ListPolicyTags" => list_policy_tags,
    "TagInstanceProfile" => tag_instance_profile,
    "UntagInstanceProfile" => untag_instance_profile,
    "ListInstanceProfileTags" => list_instance_profile_tags,
    "TagMFADevice" => tag_mfa_device,
    "UntagMFADevice" => untag_mfa_device,
    "ListMFADeviceTags" => list_mfa_device_tags,
    // identity providers
    "CreateOpenIDConnectProvider" => create_open_id_connect_provider,
    "GetOpenIDConnectProvider" => get_open_id_connect_provider,
    "ListOpenIDConnectProviders" => list_open_id_connect_providers,
    "DeleteOpenIDConnectProvider" => delete_open_id_connect_provider,
    "AddClientIDToOpenIDConnectProvider" => add_client_id_to_open_id_connect_provider,
    "RemoveClientIDFromOpenIDConnectProvider" => remove_client_id_from_open_id_connect_provider,
    "UpdateOpenIDConnectProviderThumbprint" => update_open_id_connect_provider_thumbprint,
    "TagOpenIDConnectProvider" => tag_open_id_connect_provider,
    "UntagOpenIDConnectProvider" => untag_open_id_connect_provider,
    "ListOpenIDConnectProviderTags" => list_open_id_connect_provider_tags,
    "CreateSAMLProvider" => create_saml_provider,
    "GetSAMLProvider" => get_saml_provider,
    "ListSAMLProviders" => list_saml_providers,
    "UpdateSAMLProvider" => update_saml_provider,
    "DeleteSAMLProvider" => delete_saml_provider,
    "TagSAMLProvider" => tag_saml_provider,
    "UntagSAMLProvider" => untag_saml_provider,
    "ListSAMLProviderTags" => list_saml_provider_tags,
    // service-linked roles
    "CreateServiceLinkedRole" => create_service_linked_role,
    "DeleteServiceLinkedRole" => delete_service_linked_role,
    "GetServiceLinkedRoleDeletionStatus" => get_service_linked_role_deletion_status,
    // server certificates
    "UploadServerCertificate" => upload_server_certificate,
    "GetServerCertificate" => get_server_certificate,
    "ListServerCertificates" => list_server_certificates,
    "UpdateServerCertificate" => update_server_certificate,
    "DeleteServerCertificate" => delete_server_certificate,
    "TagServerCertificate" => tag_server_certificate,
    "UntagServerCertificate" => untag_server_certificate,
    "ListServerCertificateTags" => list_server_certificate_tags,
    // signing certificates and SSH public keys
    "UploadSigningCertificate" => upload_signing_certificate,
    "ListSigningCertificates" => list_signing_certificates,
    "UpdateSigningCertificate" => update_signing_certificate,
    "DeleteSigningCertificate" => delete_signing_certificate,
    "UploadSSHPublicKey" => upload_ssh_public_key,
    "GetSSHPublicKey" => get_ssh_public_key,
    "ListSSHPublicKeys" => list_ssh_public_keys,
    "UpdateSSHPublicKey" => update_ssh_public_key,
    "DeleteSSHPublicKey" => delete_ssh_public_key,
    "CreateServiceSpecificCredential" => create_service_specific_credential,
    "ListServiceSpecificCredentials" => list_service_specific_credentials,
    "ResetServiceSpecificCredential" => reset_service_specific_credential,
    "UpdateServiceSpecificCredential" => update_service_specific_credential,
    "DeleteServiceSpecificCredential" => delete_service_specific_credential,
    // policy simulation
    "SimulatePrincipalPolicy" => simulate_principal_policy,
    "SimulateCustomPolicy" => simulate_custom_policy,
    "GetContextKeysForCustomPolicy" => get_context_keys_for_custom_policy,
    "GetContextKeysForPrincipalPolicy" => get_context_keys_for_principal_policy,
    "ListPoliciesGrantingServiceAccess" => list_policies_granting_service_access,
}

#[cfg(test)]
mod race_tests;
#[cfg(test)]
mod tests;
