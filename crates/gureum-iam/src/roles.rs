//! `CreateRole`, `GetRole`, `UpdateRole`, `UpdateRoleDescription`,
//! `UpdateAssumeRolePolicy`, `DeleteRole`, `ListRoles`.
//!
//! A role is an identity nobody signs in as: principals named by its trust
//! policy (`AssumeRolePolicyDocument`, checked as a trust policy — it must
//! name a `Principal` and allow `sts:AssumeRole*`) obtain temporary
//! credentials for it through STS, for at most `MaxSessionDuration` seconds
//! (3600–43200, default 3600). The trust policy counts against a 2048
//! character quota (whitespace excluded). `RoleLastUsed` is filled in when
//! STS reports a session ([`IamService::note_role_used`]).

use crate::documents::{validate, DocKind};
use crate::errors::IamError;
use crate::model::Role;
use crate::util::{
    boundary_value, check_name, encode_document, int_member, key, list_output, page_request,
    path_member, policy_size, put_tags, required, scan_page, scope, str_member, tags_member,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The default quota of a role's trust policy, in non-whitespace characters.
pub const TRUST_POLICY_SIZE: usize = 2048;

/// A role's ARN.
pub(crate) fn role_arn(account: &str, r: &Role) -> String {
    format!("arn:aws:iam::{account}:role{}{}", r.path, r.name)
}

/// The model's `Role` shape; `full` adds what only `GetRole`/`CreateRole`
/// return (boundary, tags, last use).
pub(crate) fn role_value(account: &str, r: &Role, full: bool) -> Value {
    let mut v = json!({
        "Path": r.path,
        "RoleName": r.name,
        "RoleId": r.role_id,
        "Arn": role_arn(account, r),
        "CreateDate": r.create_date,
        "AssumeRolePolicyDocument": encode_document(&r.assume_role_policy),
        "MaxSessionDuration": r.max_session_duration,
    });
    if let Some(d) = &r.description {
        v["Description"] = json!(d);
    }
    if full {
        if let Some(b) = &r.permissions_boundary {
            v["PermissionsBoundary"] = boundary_value(b);
        }
        put_tags(&mut v, &r.tags);
        v["RoleLastUsed"] = match &r.last_used {
            Some((at, region)) => json!({"LastUsedDate": at, "Region": region}),
            None => json!({}),
        };
    }
    v
}

/// Checks a trust policy: its size quota, then its grammar.
fn check_trust_policy(doc: &str) -> Result<(), AwsError> {
    if policy_size(doc) > TRUST_POLICY_SIZE {
        return Err(IamError::QuotaExceeded {
            quota: "ACLSizePerRole".into(),
            limit: TRUST_POLICY_SIZE,
        }
        .into());
    }
    validate(doc, DocKind::Trust)?;
    Ok(())
}

fn check_max_session(secs: i64) -> Result<(), AwsError> {
    if !(3600..=43200).contains(&secs) {
        return Err(IamError::Constraint {
            value: secs.to_string(),
            member: "maxSessionDuration".into(),
            constraint: "Member must have value less than or equal to 43200".into(),
        }
        .into());
    }
    Ok(())
}

impl IamService {
    /// The role `name` of `account`, or `NoSuchEntity`.
    pub(crate) fn load_role(&self, account: &str, name: &str) -> Result<Role, AwsError> {
        self.roles.get(&key(account, name))?.ok_or_else(|| {
            IamError::NoSuchRole {
                name: name.to_string(),
            }
            .into()
        })
    }

    /// `CreateRole`.
    pub(crate) fn create_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "RoleName")?;
        check_name("RoleName", name)?;
        let path = path_member(&input, "Path")?;
        let trust = required(&input, "AssumeRolePolicyDocument")?;
        check_trust_policy(trust)?;
        let max = int_member(&input, "MaxSessionDuration").unwrap_or(3600);
        check_max_session(max)?;
        let tags = tags_member(&input)?;
        let boundary_arn = str_member(&input, "PermissionsBoundary");
        let boundary = boundary_arn.map(str::to_string);
        let role = Role {
            name: name.to_string(),
            role_id: id::iam_unique_id("AROA"),
            path,
            create_date: ctx.clock.now_secs(),
            assume_role_policy: trust.to_string(),
            description: str_member(&input, "Description").map(str::to_string),
            max_session_duration: max,
            permissions_boundary: boundary,
            tags,
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            last_used: None,
        };
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            if let Some(arn) = boundary_arn {
                self.boundary_policy_in(txn, &ctx.account_id, arn)?;
            }
            if txn.get(&self.roles, &k)?.is_some() {
                return Err(IamError::RoleExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.roles, &k, &role)?;
            Ok(())
        })?;
        let mut v = role_value(&ctx.account_id, &role, true);
        if let Some(o) = v.as_object_mut() {
            o.remove("RoleLastUsed");
        }
        Ok(json!({ "Role": v }))
    }

    /// `GetRole`.
    pub(crate) fn get_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let role = self.load_role(&ctx.account_id, required(&input, "RoleName")?)?;
        Ok(json!({ "Role": role_value(&ctx.account_id, &role, true) }))
    }

    fn modify_role(
        &self,
        ctx: &RequestContext,
        name: &str,
        f: impl FnOnce(&mut Role) -> Result<(), AwsError>,
    ) -> Result<Role, AwsError> {
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            let mut role = txn
                .get(&self.roles, &k)?
                .ok_or_else(|| IamError::NoSuchRole {
                    name: name.to_string(),
                })?;
            f(&mut role)?;
            txn.put(&self.roles, &k, &role)?;
            Ok(role)
        })
    }

    /// `UpdateRole`: description and/or maximum session duration.
    pub(crate) fn update_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "RoleName")?;
        let max = int_member(&input, "MaxSessionDuration");
        if let Some(m) = max {
            check_max_session(m)?;
        }
        let description = str_member(&input, "Description");
        self.modify_role(ctx, name, |r| {
            if let Some(m) = max {
                r.max_session_duration = m;
            }
            if let Some(d) = description {
                r.description = Some(d.to_string());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `UpdateRoleDescription` (the older form of `UpdateRole`).
    pub(crate) fn update_role_description(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "RoleName")?;
        let description = str_member(&input, "Description").unwrap_or_default();
        let role = self.modify_role(ctx, name, |r| {
            r.description = Some(description.to_string());
            Ok(())
        })?;
        Ok(json!({ "Role": role_value(&ctx.account_id, &role, true) }))
    }

    /// `UpdateAssumeRolePolicy`: a new trust policy.
    pub(crate) fn update_assume_role_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "RoleName")?;
        let doc = required(&input, "PolicyDocument")?;
        check_trust_policy(doc)?;
        self.modify_role(ctx, name, |r| {
            if crate::service_linked::is_service_linked(r) {
                return Err(crate::service_linked::protected(r));
            }
            r.assume_role_policy = doc.to_string();
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteRole`, refused while the role is in an instance profile or
    /// has policies.
    pub(crate) fn delete_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "RoleName")?;
        let k = key(acct, name);
        self.write(|txn| {
            let role = txn
                .get(&self.roles, &k)?
                .ok_or_else(|| IamError::NoSuchRole {
                    name: name.to_string(),
                })?;
            if crate::service_linked::is_service_linked(&role) {
                return Err(crate::service_linked::protected(&role));
            }
            let in_profile = txn
                .scan_prefix(&self.instance_profiles, &scope(acct).prefix())?
                .iter()
                .any(|(_, p)| p.roles.iter().any(|r| r.eq_ignore_ascii_case(name)));
            if in_profile {
                return Err(IamError::InInstanceProfile.into());
            }
            if !role.inline_policies.is_empty() {
                return Err(IamError::HasInlinePolicies.into());
            }
            if !role.attached_policies.is_empty() {
                return Err(IamError::HasAttachedPolicies.into());
            }
            txn.delete(&self.roles, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListRoles`, optionally under a path prefix.
    pub(crate) fn list_roles(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let page = scan_page(
            &self.roles,
            &ctx.account_id,
            &page_request(&input)?,
            |_, r| {
                r.path
                    .starts_with(prefix)
                    .then(|| role_value(&ctx.account_id, &r, false))
            },
        )?;
        Ok(list_output("Roles", page))
    }

    /// Records that a session of the role was made (or used) in `region`,
    /// for `RoleLastUsed`. Written at most once a minute per role.
    pub fn note_role_used(&self, account_id: &str, role_name: &str, region: &str, now_ms: i64) {
        let k = key(account_id, role_name);
        let now = now_ms.div_euclid(1000);
        let stale = match self.roles.get(&k) {
            Ok(Some(r)) => r
                .last_used
                .as_ref()
                .is_none_or(|(at, reg)| now - at >= 60 || reg != region),
            _ => false,
        };
        if stale {
            let _ = self.write(|txn| {
                if let Some(mut r) = txn.get(&self.roles, &k)? {
                    r.last_used = Some((now, region.to_string()));
                    txn.put(&self.roles, &k, &r)?;
                }
                Ok(())
            });
        }
    }
}
