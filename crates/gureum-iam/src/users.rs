//! `CreateUser`, `GetUser`, `UpdateUser`, `DeleteUser`, `ListUsers`.
//!
//! A user is a long-term identity with a name unique in its account
//! (regardless of case), a path that groups users for listing and policies
//! (`/division/`), an `AIDA…` id that never changes even when the user is
//! renamed, and an ARN made of the path and name
//! (`arn:aws:iam::000000000000:user/division/alice`).
//!
//! Deleting a user is refused with `DeleteConflict` while anything still
//! hangs off it: a console password, access keys, MFA devices, group
//! memberships, inline or attached policies — AWS makes the caller remove
//! each first, and so do we.

use crate::errors::IamError;
use crate::model::User;
use crate::util::{
    boundary_value, check_name, key, list_output, page_request, path_member, put_tags, required,
    scan_page, scope, str_member, tags_member,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, Principal, RequestContext, Value};
use serde_json::json;

/// A user's ARN.
pub(crate) fn user_arn(account: &str, user: &User) -> String {
    format!("arn:aws:iam::{account}:user{}{}", user.path, user.name)
}

/// The model's `User` shape; `full` adds the members only `GetUser` returns
/// (permissions boundary, tags).
pub(crate) fn user_value(account: &str, user: &User, full: bool) -> Value {
    let mut v = json!({
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.user_id,
        "Arn": user_arn(account, user),
        "CreateDate": user.create_date,
    });
    if let Some(t) = user.password_last_used {
        v["PasswordLastUsed"] = json!(t);
    }
    if full {
        if let Some(b) = &user.permissions_boundary {
            v["PermissionsBoundary"] = boundary_value(b);
        }
        put_tags(&mut v, &user.tags);
    }
    v
}

impl IamService {
    /// The user `name` of `account`, or `NoSuchEntity`.
    pub(crate) fn load_user(&self, account: &str, name: &str) -> Result<User, AwsError> {
        self.users.get(&key(account, name))?.ok_or_else(|| {
            IamError::NoSuchUser {
                name: name.to_string(),
            }
            .into()
        })
    }

    /// The user an operation is about: the `UserName` member, or when it is
    /// absent the calling user. `None` means the caller is the root user
    /// (whose own keys, MFA and password IAM does not manage here).
    pub(crate) fn target_user_name(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<Option<String>, AwsError> {
        if let Some(n) = str_member(input, "UserName") {
            return Ok(Some(n.to_string()));
        }
        match &ctx.principal {
            Principal::User { name, .. } => Ok(Some(name.clone())),
            Principal::Root { .. } => Ok(None),
            _ => Err(IamError::UserNameRequired.into()),
        }
    }

    /// `CreateUser`.
    pub(crate) fn create_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "UserName")?;
        check_name("UserName", name)?;
        let path = path_member(&input, "Path")?;
        let tags = tags_member(&input)?;
        let boundary_arn = str_member(&input, "PermissionsBoundary");
        let boundary = boundary_arn.map(str::to_string);
        let user = User {
            name: name.to_string(),
            user_id: id::iam_unique_id("AIDA"),
            path,
            create_date: ctx.clock.now_secs(),
            permissions_boundary: boundary,
            tags,
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            groups: Vec::new(),
            access_keys: Vec::new(),
            signing_certificates: Vec::new(),
            ssh_public_keys: Vec::new(),
            service_credentials: Vec::new(),
            login_profile: None,
            password_last_used: None,
        };
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            if let Some(arn) = boundary_arn {
                self.boundary_policy_in(txn, &ctx.account_id, arn)?;
            }
            if txn.get(&self.users, &k)?.is_some() {
                return Err(IamError::UserExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.users, &k, &user)?;
            Ok(())
        })?;
        Ok(json!({ "User": user_value(&ctx.account_id, &user, true) }))
    }

    /// `GetUser`; without `UserName`, the caller (the root user answers
    /// with its own shape: the account id as `UserId` and the root ARN).
    pub(crate) fn get_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        match self.target_user_name(ctx, &input)? {
            Some(name) => {
                let user = self.load_user(&ctx.account_id, &name)?;
                Ok(json!({ "User": user_value(&ctx.account_id, &user, true) }))
            }
            None => Ok(json!({ "User": {
                "UserId": ctx.account_id,
                "Arn": format!("arn:aws:iam::{}:root", ctx.account_id),
                "CreateDate": 0,
            }})),
        }
    }

    /// `UpdateUser`: a new path and/or name. Renaming rewrites the records
    /// that name the user (its access keys, signing certificates, SSH keys
    /// and MFA devices).
    pub(crate) fn update_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "UserName")?;
        let new_name = str_member(&input, "NewUserName");
        if let Some(n) = new_name {
            check_name("NewUserName", n)?;
        }
        let new_path = match str_member(&input, "NewPath") {
            Some(_) => Some(path_member(&input, "NewPath")?),
            None => None,
        };
        let old_key = key(acct, name);
        self.write(|txn| {
            let mut user = txn
                .get(&self.users, &old_key)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            if let Some(p) = new_path {
                user.path = p;
            }
            let mut new_key = old_key.clone();
            if let Some(n) = new_name {
                new_key = key(acct, n);
                if new_key != old_key && txn.get(&self.users, &new_key)?.is_some() {
                    return Err(IamError::UserExists {
                        name: n.to_string(),
                    }
                    .into());
                }
                user.name = n.to_string();
                for kid in &user.access_keys {
                    if let Some(mut k) = txn.get(&self.access_keys, kid)? {
                        k.user_name = n.to_string();
                        txn.put(&self.access_keys, kid, &k)?;
                    }
                }
                for id in &user.signing_certificates {
                    let k = scope(acct).key(id);
                    if let Some(mut c) = txn.get(&self.signing_certificates, &k)? {
                        c.user_name = n.to_string();
                        txn.put(&self.signing_certificates, &k, &c)?;
                    }
                }
                for id in &user.ssh_public_keys {
                    let k = scope(acct).key(id);
                    if let Some(mut c) = txn.get(&self.ssh_public_keys, &k)? {
                        c.user_name = n.to_string();
                        txn.put(&self.ssh_public_keys, &k, &c)?;
                    }
                }
                for id in &user.service_credentials {
                    let k = scope(acct).key(id);
                    if let Some(mut c) = txn.get(&self.service_credentials, &k)? {
                        c.user_name = n.to_string();
                        txn.put(&self.service_credentials, &k, &c)?;
                    }
                }
                for (k, mut d) in txn.scan_prefix(&self.mfa_devices, &scope(acct).prefix())? {
                    if d.user
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
                    {
                        d.user = Some(n.to_string());
                        txn.put(&self.mfa_devices, &k, &d)?;
                    }
                }
                txn.delete(&self.users, &old_key)?;
            }
            txn.put(&self.users, &new_key, &user)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteUser`, refused while the user still has a password, keys,
    /// MFA devices, groups or policies.
    pub(crate) fn delete_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "UserName")?;
        let k = key(acct, name);
        self.write(|txn| {
            let user = txn
                .get(&self.users, &k)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            if user.login_profile.is_some() {
                return Err(IamError::UserHasLoginProfile.into());
            }
            if !user.access_keys.is_empty() {
                return Err(IamError::UserHasAccessKeys.into());
            }
            if !user.signing_certificates.is_empty() {
                return Err(IamError::UserHasSigningCertificates.into());
            }
            if !user.ssh_public_keys.is_empty() {
                return Err(IamError::UserHasSshPublicKeys.into());
            }
            if !user.service_credentials.is_empty() {
                return Err(IamError::UserHasServiceCredentials.into());
            }
            let has_mfa = txn
                .scan_prefix(&self.mfa_devices, &scope(acct).prefix())?
                .iter()
                .any(|(_, d)| {
                    d.user
                        .as_deref()
                        .is_some_and(|u| u.eq_ignore_ascii_case(name))
                });
            if has_mfa {
                return Err(IamError::UserHasMfaDevice.into());
            }
            if !user.groups.is_empty() {
                return Err(IamError::UserInGroups.into());
            }
            if !user.inline_policies.is_empty() {
                return Err(IamError::HasInlinePolicies.into());
            }
            if !user.attached_policies.is_empty() {
                return Err(IamError::HasAttachedPolicies.into());
            }
            txn.delete(&self.users, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListUsers`, optionally under a path prefix.
    pub(crate) fn list_users(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let page = scan_page(
            &self.users,
            &ctx.account_id,
            &page_request(&input)?,
            |_, u| {
                u.path
                    .starts_with(prefix)
                    .then(|| user_value(&ctx.account_id, &u, false))
            },
        )?;
        Ok(list_output("Users", page))
    }
}
