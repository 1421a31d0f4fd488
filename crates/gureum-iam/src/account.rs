//! Account-wide IAM: `CreateAccountAlias`, `DeleteAccountAlias`,
//! `ListAccountAliases`, `GetAccountSummary`,
//! `GetAccountAuthorizationDetails`.
//!
//! The alias is the friendly name in the account's sign-in URL; an account
//! has at most one and aliases are unique across all accounts. The summary
//! reports entity counts and the quotas Gureum enforces, under AWS's
//! `SummaryMap` keys. The authorization details are a full dump of users,
//! groups, roles and managed policies with every document, the way audit
//! tools read an account in one call.

use crate::attachments::ATTACHED_POLICIES_PER_IDENTITY;
use crate::entity::Entity;
use crate::errors::IamError;
use crate::groups::{group_arn, GROUPS_PER_USER};
use crate::model::{AccountSettings, Group, Role, User};
use crate::policies::{managed_value, ManagedRef, MANAGED_POLICY_SIZE, VERSIONS_PER_POLICY};
use crate::roles::{role_arn, TRUST_POLICY_SIZE};
use crate::users::user_arn;
use crate::util::{
    boundary_value, encode_document, page_request, paginate, put_tags, required, scope,
};
use crate::{catalogue, IamService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn check_alias(alias: &str) -> Result<(), AwsError> {
    let b = alias.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !alias.contains("--");
    if ok {
        Ok(())
    } else {
        Err(IamError::Constraint {
            value: alias.to_string(),
            member: "accountAlias".into(),
            constraint: "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$".into(),
        }
        .into())
    }
}

fn attached_value(svc: &IamService, account: &str, arns: &[String]) -> Vec<Value> {
    arns.iter()
        .filter_map(|arn| svc.find_policy(account, arn).ok().map(|r| (arn, r)))
        .map(|(arn, r)| json!({"PolicyName": r.name(), "PolicyArn": arn}))
        .collect()
}

fn inline_value(policies: &std::collections::BTreeMap<String, String>) -> Vec<Value> {
    policies
        .iter()
        .map(|(n, d)| json!({"PolicyName": n, "PolicyDocument": encode_document(d)}))
        .collect()
}

impl IamService {
    /// Reads the account's settings, lets `f` change them, writes them back.
    pub(crate) fn update_account<R>(
        &self,
        account: &str,
        f: impl FnOnce(&mut AccountSettings) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        self.write(|txn| {
            let mut a = txn.get(&self.accounts, account)?.unwrap_or_default();
            let r = f(&mut a)?;
            txn.put(&self.accounts, account, &a)?;
            Ok(r)
        })
    }

    /// `CreateAccountAlias` (replaces the account's alias; unique across
    /// accounts).
    pub(crate) fn create_account_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let alias = required(&input, "AccountAlias")?;
        check_alias(alias)?;
        let acct = ctx.account_id.clone();
        self.write(|txn| {
            for (other, settings) in txn.scan_prefix(&self.accounts, "")? {
                if other != acct && settings.alias.as_deref() == Some(alias) {
                    return Err(IamError::AccountAliasExists {
                        alias: alias.to_string(),
                    }
                    .into());
                }
            }
            let mut a = txn.get(&self.accounts, &acct)?.unwrap_or_default();
            a.alias = Some(alias.to_string());
            txn.put(&self.accounts, &acct, &a)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteAccountAlias`.
    pub(crate) fn delete_account_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let alias = required(&input, "AccountAlias")?;
        self.update_account(&ctx.account_id, |a| {
            if a.alias.as_deref() != Some(alias) {
                return Err(IamError::NoSuchAccountAlias {
                    alias: alias.to_string(),
                }
                .into());
            }
            a.alias = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListAccountAliases` (zero or one).
    pub(crate) fn list_account_aliases(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let alias = self.accounts.get(&ctx.account_id)?.and_then(|a| a.alias);
        Ok(json!({ "AccountAliases": alias.into_iter().collect::<Vec<_>>(), "IsTruncated": false }))
    }

    /// `SetSecurityTokenServicePreferences`: which tokens STS's global
    /// endpoint issues (read back through `GetAccountSummary`).
    pub(crate) fn set_security_token_service_preferences(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let version = crate::util::required(&input, "GlobalEndpointTokenVersion")?.to_string();
        self.update_account(&ctx.account_id, |a| {
            a.global_endpoint_token_version = Some(version);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetAccountSummary`: entity counts and quotas.
    pub(crate) fn get_account_summary(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let prefix = scope(acct).prefix();
        let users = self.users.scan_prefix(&prefix)?;
        let groups = self.groups.scan_prefix(&prefix)?.len();
        let roles = self.roles.scan_prefix(&prefix)?.len();
        let policies = self.policies.scan_prefix(&prefix)?;
        let profiles = self.instance_profiles.scan_prefix(&prefix)?.len();
        let devices = self.mfa_devices.scan_prefix(&prefix)?;
        let in_use = devices.iter().filter(|(_, d)| d.user.is_some()).count();
        let versions: usize = policies.iter().map(|(_, p)| p.versions.len()).sum();
        let token_version = match self
            .accounts
            .get(acct)?
            .and_then(|a| a.global_endpoint_token_version)
            .as_deref()
        {
            Some("v2Token") => 2,
            _ => 1,
        };
        Ok(json!({ "SummaryMap": {
            "Users": users.len(),
            "UsersQuota": 5000,
            "Groups": groups,
            "GroupsQuota": 300,
            "Roles": roles,
            "RolesQuota": 1000,
            "Policies": policies.len(),
            "PoliciesQuota": 1500,
            "InstanceProfiles": profiles,
            "InstanceProfilesQuota": 1000,
            "MFADevices": devices.len(),
            "MFADevicesInUse": in_use,
            "AccountMFAEnabled": 0,
            "AccountAccessKeysPresent": 0,
            "AccountSigningCertificatesPresent": 0,
            "AccessKeysPerUserQuota": crate::access_keys::ACCESS_KEYS_PER_USER,
            "GroupsPerUserQuota": GROUPS_PER_USER,
            "AttachedPoliciesPerUserQuota": ATTACHED_POLICIES_PER_IDENTITY,
            "AttachedPoliciesPerGroupQuota": ATTACHED_POLICIES_PER_IDENTITY,
            "AttachedPoliciesPerRoleQuota": ATTACHED_POLICIES_PER_IDENTITY,
            "PolicySizeQuota": MANAGED_POLICY_SIZE,
            "UserPolicySizeQuota": User::INLINE_SIZE,
            "GroupPolicySizeQuota": Group::INLINE_SIZE,
            "RolePolicySizeQuota": Role::INLINE_SIZE,
            "AssumeRolePolicySizeQuota": TRUST_POLICY_SIZE,
            "VersionsPerPolicyQuota": VERSIONS_PER_POLICY,
            "PolicyVersionsInUse": versions,
            "PolicyVersionsInUseQuota": 10000,
            "ServerCertificates": 0,
            "ServerCertificatesQuota": 20,
            "SigningCertificatesPerUserQuota": 2,
            "Providers": 0,
            "GlobalEndpointTokenVersion": token_version,
        }}))
    }

    /// `GetAccountAuthorizationDetails`: users, groups, roles and managed
    /// policies with their documents, optionally filtered by entity type.
    pub(crate) fn get_account_authorization_details(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let prefix = scope(acct).prefix();
        let filter: Vec<&str> = input
            .get("Filter")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let wants = |f: &str| filter.is_empty() || filter.contains(&f);
        let mut items: Vec<(String, (&str, Value))> = Vec::new();
        if wants("User") {
            for (k, u) in self.users.scan_prefix(&prefix)? {
                let mut v = json!({
                    "Path": u.path, "UserName": u.name, "UserId": u.user_id,
                    "Arn": user_arn(acct, &u), "CreateDate": u.create_date,
                    "UserPolicyList": inline_value(&u.inline_policies),
                    "GroupList": u.groups,
                    "AttachedManagedPolicies": attached_value(self, acct, &u.attached_policies),
                });
                if let Some(b) = &u.permissions_boundary {
                    v["PermissionsBoundary"] = boundary_value(b);
                }
                put_tags(&mut v, &u.tags);
                items.push((format!("1/{k}"), ("UserDetailList", v)));
            }
        }
        if wants("Group") {
            for (k, g) in self.groups.scan_prefix(&prefix)? {
                let v = json!({
                    "Path": g.path, "GroupName": g.name, "GroupId": g.group_id,
                    "Arn": group_arn(acct, &g), "CreateDate": g.create_date,
                    "GroupPolicyList": inline_value(&g.inline_policies),
                    "AttachedManagedPolicies": attached_value(self, acct, &g.attached_policies),
                });
                items.push((format!("2/{k}"), ("GroupDetailList", v)));
            }
        }
        if wants("Role") {
            let profiles = self.instance_profiles.scan_prefix(&prefix)?;
            for (k, r) in self.roles.scan_prefix(&prefix)? {
                let ips: Vec<Value> = profiles
                    .iter()
                    .filter(|(_, p)| p.roles.iter().any(|x| x.eq_ignore_ascii_case(&r.name)))
                    .map(|(_, p)| self.instance_profile_value(acct, p))
                    .collect();
                let mut v = json!({
                    "Path": r.path, "RoleName": r.name, "RoleId": r.role_id,
                    "Arn": role_arn(acct, &r), "CreateDate": r.create_date,
                    "AssumeRolePolicyDocument": encode_document(&r.assume_role_policy),
                    "InstanceProfileList": ips,
                    "RolePolicyList": inline_value(&r.inline_policies),
                    "AttachedManagedPolicies": attached_value(self, acct, &r.attached_policies),
                    "RoleLastUsed": match &r.last_used {
                        Some((at, region)) => json!({"LastUsedDate": at, "Region": region}),
                        None => json!({}),
                    },
                });
                if let Some(b) = &r.permissions_boundary {
                    v["PermissionsBoundary"] = boundary_value(b);
                }
                put_tags(&mut v, &r.tags);
                items.push((format!("3/{k}"), ("RoleDetailList", v)));
            }
        }
        let usage = self.policy_usage(acct)?;
        if wants("LocalManagedPolicy") {
            for (k, p) in self.policies.scan_prefix(&prefix)? {
                let versions: Vec<Value> = p
                    .versions
                    .iter()
                    .map(|v| {
                        json!({
                            "Document": encode_document(&v.document),
                            "VersionId": v.version_id,
                            "IsDefaultVersion": v.version_id == p.default_version,
                            "CreateDate": v.create_date,
                        })
                    })
                    .collect();
                let mut v = managed_value(
                    acct,
                    &ManagedRef::Customer(k.clone(), Box::new(p)),
                    &usage,
                    true,
                );
                if let Some(o) = v.as_object_mut() {
                    o.remove("Tags");
                }
                v["PolicyVersionList"] = json!(versions);
                items.push((format!("4/{k}"), ("Policies", v)));
            }
        }
        if wants("AWSManagedPolicy") {
            for p in catalogue::all() {
                let (attach, boundary) = usage.get(&p.arn()).copied().unwrap_or_default();
                if attach + boundary == 0 {
                    continue;
                }
                let mut v = managed_value(acct, &ManagedRef::Aws(p), &usage, true);
                v["PolicyVersionList"] = json!([{
                    "Document": encode_document(&p.document),
                    "VersionId": p.version,
                    "IsDefaultVersion": true,
                    "CreateDate": p.update_date,
                }]);
                items.push((format!("5/{}", p.name), ("Policies", v)));
            }
        }
        let page = paginate(items, &page_request(&input)?);
        let mut out = json!({
            "UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
        });
        for (member, v) in page.items {
            if let Some(a) = out[member].as_array_mut() {
                a.push(v);
            }
        }
        out["IsTruncated"] = json!(page.next_token.is_some());
        if let Some(m) = page.next_token {
            out["Marker"] = json!(m);
        }
        Ok(out)
    }
}
