//! `CreateInstanceProfile`, `GetInstanceProfile`, `DeleteInstanceProfile`,
//! `ListInstanceProfiles`, `AddRoleToInstanceProfile`,
//! `RemoveRoleFromInstanceProfile`, `ListInstanceProfilesForRole`.
//!
//! An instance profile is the container that passes a role to an EC2
//! instance: the instance's software gets the role's temporary credentials
//! from the metadata service. A profile holds at most one role
//! (`LimitExceeded` for a second); deleting it is refused while it holds one.

use crate::errors::IamError;
use crate::model::InstanceProfile;
use crate::roles::role_value;
use crate::util::{
    check_name, key, list_output, page_request, path_member, put_tags, required, scan_page,
    str_member, tags_member,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// An instance profile's ARN.
pub(crate) fn instance_profile_arn(account: &str, p: &InstanceProfile) -> String {
    format!(
        "arn:aws:iam::{account}:instance-profile{}{}",
        p.path, p.name
    )
}

impl IamService {
    /// The model's `InstanceProfile` shape, with its role(s).
    pub(crate) fn instance_profile_value(&self, account: &str, p: &InstanceProfile) -> Value {
        let roles: Vec<Value> = p
            .roles
            .iter()
            .filter_map(|r| self.roles.get(&key(account, r)).ok().flatten())
            .map(|r| role_value(account, &r, false))
            .collect();
        let mut v = json!({
            "Path": p.path,
            "InstanceProfileName": p.name,
            "InstanceProfileId": p.instance_profile_id,
            "Arn": instance_profile_arn(account, p),
            "CreateDate": p.create_date,
            "Roles": roles,
        });
        put_tags(&mut v, &p.tags);
        v
    }

    /// The instance profile `name`, or `NoSuchEntity`.
    pub(crate) fn load_instance_profile(
        &self,
        account: &str,
        name: &str,
    ) -> Result<InstanceProfile, AwsError> {
        self.instance_profiles
            .get(&key(account, name))?
            .ok_or_else(|| {
                IamError::NoSuchInstanceProfile {
                    name: name.to_string(),
                }
                .into()
            })
    }

    /// `CreateInstanceProfile`.
    pub(crate) fn create_instance_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "InstanceProfileName")?;
        check_name("InstanceProfileName", name)?;
        let profile = InstanceProfile {
            name: name.to_string(),
            instance_profile_id: id::iam_unique_id("AIPA"),
            path: path_member(&input, "Path")?,
            create_date: ctx.clock.now_secs(),
            roles: Vec::new(),
            tags: tags_member(&input)?,
        };
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            if txn.get(&self.instance_profiles, &k)?.is_some() {
                return Err(IamError::InstanceProfileExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.instance_profiles, &k, &profile)?;
            Ok(())
        })?;
        Ok(json!({ "InstanceProfile": self.instance_profile_value(&ctx.account_id, &profile) }))
    }

    /// `GetInstanceProfile`.
    pub(crate) fn get_instance_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let p =
            self.load_instance_profile(&ctx.account_id, required(&input, "InstanceProfileName")?)?;
        Ok(json!({ "InstanceProfile": self.instance_profile_value(&ctx.account_id, &p) }))
    }

    /// `DeleteInstanceProfile`, refused while it holds a role.
    pub(crate) fn delete_instance_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "InstanceProfileName")?;
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            let p = txn.get(&self.instance_profiles, &k)?.ok_or_else(|| {
                IamError::NoSuchInstanceProfile {
                    name: name.to_string(),
                }
            })?;
            if !p.roles.is_empty() {
                return Err(IamError::InInstanceProfile.into());
            }
            txn.delete(&self.instance_profiles, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListInstanceProfiles`, optionally under a path prefix.
    pub(crate) fn list_instance_profiles(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let page = scan_page(
            &self.instance_profiles,
            &ctx.account_id,
            &page_request(&input)?,
            |_, p| {
                p.path
                    .starts_with(prefix)
                    .then(|| self.instance_profile_value(&ctx.account_id, &p))
            },
        )?;
        Ok(list_output("InstanceProfiles", page))
    }

    /// `AddRoleToInstanceProfile` (one role per profile).
    pub(crate) fn add_role_to_instance_profile(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "InstanceProfileName")?;
        let role = required(&input, "RoleName")?;
        let k = key(acct, name);
        self.write(|txn| {
            let mut p = txn.get(&self.instance_profiles, &k)?.ok_or_else(|| {
                IamError::NoSuchInstanceProfile {
                    name: name.to_string(),
                }
            })?;
            let r =
                txn.get(&self.roles, &key(acct, role))?
                    .ok_or_else(|| IamError::NoSuchRole {
                        name: role.to_string(),
                    })?;
            if p.roles.iter().any(|x| x.eq_ignore_ascii_case(role)) {
                return Err(IamError::QuotaExceeded {
                    quota: "InstanceSessionsPerInstanceProfile".into(),
                    limit: 1,
                }
                .into());
            }
            if !p.roles.is_empty() {
                return Err(IamError::QuotaExceeded {
                    quota: "InstanceSessionsPerInstanceProfile".into(),
                    limit: 1,
                }
                .into());
            }
            p.roles.push(r.name);
            txn.put(&self.instance_profiles, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `RemoveRoleFromInstanceProfile`.
    pub(crate) fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "InstanceProfileName")?;
        let role = required(&input, "RoleName")?;
        let k = key(acct, name);
        self.write(|txn| {
            let mut p = txn.get(&self.instance_profiles, &k)?.ok_or_else(|| {
                IamError::NoSuchInstanceProfile {
                    name: name.to_string(),
                }
            })?;
            txn.get(&self.roles, &key(acct, role))?
                .ok_or_else(|| IamError::NoSuchRole {
                    name: role.to_string(),
                })?;
            if !p.roles.iter().any(|x| x.eq_ignore_ascii_case(role)) {
                return Err(IamError::RoleNotInInstanceProfile {
                    role: role.to_string(),
                    profile: name.to_string(),
                }
                .into());
            }
            p.roles.retain(|x| !x.eq_ignore_ascii_case(role));
            txn.put(&self.instance_profiles, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListInstanceProfilesForRole`.
    pub(crate) fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let role = required(&input, "RoleName")?;
        self.load_role(acct, role)?;
        let page = scan_page(
            &self.instance_profiles,
            acct,
            &page_request(&input)?,
            |_, p| {
                p.roles
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(role))
                    .then(|| self.instance_profile_value(acct, &p))
            },
        )?;
        Ok(list_output("InstanceProfiles", page))
    }
}

impl IamService {
    /// The instance profile `profile` (its name or ARN) of `account` and
    /// the role it holds, for EC2's metadata service: `(profile ARN,
    /// profile id, role ARN)`; `None` when the profile does not exist or
    /// holds no role.
    pub fn instance_profile_role(
        &self,
        account: &str,
        profile: &str,
    ) -> Option<(String, String, String)> {
        let name = profile.rsplit('/').next().unwrap_or(profile);
        let p = self.load_instance_profile(account, name).ok()?;
        let role = p.roles.first()?;
        let r = self.roles.get(&key(account, role)).ok().flatten()?;
        Some((
            instance_profile_arn(account, &p),
            p.instance_profile_id.clone(),
            crate::roles::role_arn(account, &r),
        ))
    }
}
