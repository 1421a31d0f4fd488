//! Console passwords: `CreateLoginProfile`, `GetLoginProfile`,
//! `UpdateLoginProfile`, `DeleteLoginProfile`, `ChangePassword`, and the
//! account password policy: `UpdateAccountPasswordPolicy`,
//! `GetAccountPasswordPolicy`, `DeleteAccountPasswordPolicy`.
//!
//! A login profile is a user's console password. Every password set is
//! checked against the account's password policy (`PasswordPolicyViolation`
//! with the rule it breaks); without a policy, AWS's default applies: at
//! least 8 characters mixing three of upper case, lower case, digits and
//! symbols. Passwords are kept only as salted SHA-256 hashes.

use crate::errors::IamError;
use crate::model::{LoginProfile, PasswordPolicy, User};
use crate::util::{bool_member, int_member, key, str_member};
use crate::IamService;
use gureum_core::{AwsError, OpResult, Principal, RequestContext, Value};
use serde_json::json;
use sha2::{Digest, Sha256};

fn violation(message: impl Into<String>) -> AwsError {
    IamError::PasswordPolicyViolation {
        message: message.into(),
    }
    .into()
}

fn is_symbol(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// Checks `password` against `policy` (or AWS's default when there is none).
pub fn check_password(policy: Option<&PasswordPolicy>, password: &str) -> Result<(), AwsError> {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(is_symbol);
    let Some(p) = policy else {
        let classes = [upper, lower, digit, symbol].iter().filter(|b| **b).count();
        if password.chars().count() < 8 || classes < 3 {
            return Err(violation(
                "Password does not conform to the account password policy.",
            ));
        }
        return Ok(());
    };
    if (password.chars().count() as i64) < p.minimum_password_length {
        return Err(violation(format!(
            "Password should have a minimum length of {}",
            p.minimum_password_length
        )));
    }
    if p.require_uppercase && !upper {
        return Err(violation(
            "Password should have at least one uppercase letter",
        ));
    }
    if p.require_lowercase && !lower {
        return Err(violation(
            "Password should have at least one lowercase letter",
        ));
    }
    if p.require_numbers && !digit {
        return Err(violation("Password should have at least one number"));
    }
    if p.require_symbols && !symbol {
        return Err(violation("Password should have at least one symbol"));
    }
    Ok(())
}

fn hash(salt: &str, password: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{password}").as_bytes()))
}

fn new_profile(password: &str, reset: bool, now: i64) -> LoginProfile {
    let salt = gureum_core::id::hex(16);
    LoginProfile {
        create_date: now,
        password_last_changed: now,
        password_reset_required: reset,
        hash: hash(&salt, password),
        salt,
    }
}

fn profile_value(user: &User, p: &LoginProfile) -> Value {
    json!({
        "UserName": user.name,
        "CreateDate": p.create_date,
        "PasswordResetRequired": p.password_reset_required,
    })
}

fn policy_value(p: &PasswordPolicy) -> Value {
    let mut v = json!({
        "MinimumPasswordLength": p.minimum_password_length,
        "RequireSymbols": p.require_symbols,
        "RequireNumbers": p.require_numbers,
        "RequireUppercaseCharacters": p.require_uppercase,
        "RequireLowercaseCharacters": p.require_lowercase,
        "AllowUsersToChangePassword": p.allow_users_to_change_password,
        "ExpirePasswords": p.max_password_age.is_some_and(|a| a > 0),
    });
    if let Some(a) = p.max_password_age.filter(|a| *a > 0) {
        v["MaxPasswordAge"] = json!(a);
    }
    if let Some(r) = p.password_reuse_prevention {
        v["PasswordReusePrevention"] = json!(r);
    }
    if let Some(h) = p.hard_expiry {
        v["HardExpiry"] = json!(h);
    }
    v
}

impl IamService {
    /// The account's password policy, if one was set.
    pub(crate) fn password_policy(
        &self,
        account: &str,
    ) -> Result<Option<PasswordPolicy>, AwsError> {
        Ok(self.accounts.get(account)?.and_then(|a| a.password_policy))
    }

    /// The user a login-profile operation is about (the caller by default).
    fn profile_user(&self, ctx: &RequestContext, input: &Value) -> Result<String, AwsError> {
        self.target_user_name(ctx, input)?
            .ok_or_else(|| IamError::UserNameRequired.into())
    }

    /// `CreateLoginProfile`.
    pub(crate) fn create_login_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = self.profile_user(ctx, &input)?;
        let password = str_member(&input, "Password").unwrap_or_default();
        check_password(self.password_policy(&ctx.account_id)?.as_ref(), password)?;
        let reset = bool_member(&input, "PasswordResetRequired").unwrap_or(false);
        let now = ctx.clock.now_secs();
        let k = key(&ctx.account_id, &name);
        let out = self.write(|txn| {
            let mut u = txn
                .get(&self.users, &k)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            if u.login_profile.is_some() {
                return Err(IamError::LoginProfileExists {
                    user: name.to_string(),
                }
                .into());
            }
            let p = new_profile(password, reset, now);
            let out = profile_value(&u, &p);
            u.login_profile = Some(p);
            txn.put(&self.users, &k, &u)?;
            Ok(out)
        })?;
        Ok(json!({ "LoginProfile": out }))
    }

    /// `GetLoginProfile`.
    pub(crate) fn get_login_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = self.profile_user(ctx, &input)?;
        let u = self.load_user(&ctx.account_id, &name)?;
        let p = u
            .login_profile
            .as_ref()
            .ok_or_else(|| IamError::NoSuchLoginProfile {
                user: name.to_string(),
            })?;
        Ok(json!({ "LoginProfile": profile_value(&u, p) }))
    }

    /// `UpdateLoginProfile`: a new password and/or reset flag.
    pub(crate) fn update_login_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = self.profile_user(ctx, &input)?;
        let password = str_member(&input, "Password");
        if let Some(pw) = password {
            check_password(self.password_policy(&ctx.account_id)?.as_ref(), pw)?;
        }
        let reset = bool_member(&input, "PasswordResetRequired");
        let now = ctx.clock.now_secs();
        let k = key(&ctx.account_id, &name);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &k)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            let p = u
                .login_profile
                .as_mut()
                .ok_or_else(|| IamError::NoSuchLoginProfile {
                    user: name.to_string(),
                })?;
            if let Some(pw) = password {
                p.hash = hash(&p.salt, pw);
                p.password_last_changed = now;
            }
            if let Some(r) = reset {
                p.password_reset_required = r;
            }
            txn.put(&self.users, &k, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteLoginProfile`.
    pub(crate) fn delete_login_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = self.profile_user(ctx, &input)?;
        let k = key(&ctx.account_id, &name);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &k)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            if u.login_profile.take().is_none() {
                return Err(IamError::NoSuchLoginProfile {
                    user: name.to_string(),
                }
                .into());
            }
            txn.put(&self.users, &k, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ChangePassword`: the calling IAM user changes its own password,
    /// proving the old one.
    pub(crate) fn change_password(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let Principal::User { name, .. } = &ctx.principal else {
            return Err(IamError::NotAnIamUser.into());
        };
        let old = str_member(&input, "OldPassword").unwrap_or_default();
        let new = str_member(&input, "NewPassword").unwrap_or_default();
        check_password(self.password_policy(&ctx.account_id)?.as_ref(), new)?;
        let now = ctx.clock.now_secs();
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &k)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            let p = u
                .login_profile
                .as_mut()
                .ok_or_else(|| IamError::NoSuchLoginProfile {
                    user: name.to_string(),
                })?;
            if hash(&p.salt, old) != p.hash {
                return Err(IamError::WrongOldPassword.into());
            }
            p.hash = hash(&p.salt, new);
            p.password_last_changed = now;
            p.password_reset_required = false;
            txn.put(&self.users, &k, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `UpdateAccountPasswordPolicy`: members left out take AWS's defaults.
    pub(crate) fn update_account_password_policy(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let policy = PasswordPolicy {
            minimum_password_length: int_member(&input, "MinimumPasswordLength").unwrap_or(6),
            require_symbols: bool_member(&input, "RequireSymbols").unwrap_or(false),
            require_numbers: bool_member(&input, "RequireNumbers").unwrap_or(false),
            require_uppercase: bool_member(&input, "RequireUppercaseCharacters").unwrap_or(false),
            require_lowercase: bool_member(&input, "RequireLowercaseCharacters").unwrap_or(false),
            allow_users_to_change_password: bool_member(&input, "AllowUsersToChangePassword")
                .unwrap_or(false),
            max_password_age: int_member(&input, "MaxPasswordAge").filter(|a| *a > 0),
            password_reuse_prevention: int_member(&input, "PasswordReusePrevention"),
            hard_expiry: bool_member(&input, "HardExpiry"),
        };
        self.update_account(&ctx.account_id, |a| {
            a.password_policy = Some(policy);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetAccountPasswordPolicy`; `NoSuchEntity` when none was set.
    pub(crate) fn get_account_password_policy(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        let p = self.password_policy(&ctx.account_id)?.ok_or_else(|| {
            IamError::NoSuchPasswordPolicy {
                account: ctx.account_id.clone(),
            }
        })?;
        Ok(json!({ "PasswordPolicy": policy_value(&p) }))
    }

    /// `DeleteAccountPasswordPolicy`.
    pub(crate) fn delete_account_password_policy(
        &self,
        ctx: &RequestContext,
        _input: Value,
    ) -> OpResult {
        let acct = ctx.account_id.clone();
        self.update_account(&ctx.account_id, |a| {
            if a.password_policy.take().is_none() {
                return Err(IamError::NoSuchPasswordPolicy {
                    account: acct.to_string(),
                }
                .into());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }
}
