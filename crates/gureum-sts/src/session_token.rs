//! `GetSessionToken` and `GetAccessKeyInfo`.

use crate::errors::StsError;
use crate::session::{new_session_token, Session, SessionPrincipal};
use crate::StsService;
use gureum_core::{id, OpResult, Principal, RequestContext, Value};
use serde_json::json;

impl StsService {
    /// `GetSessionToken`: temporary credentials for an IAM user (15 minutes
    /// to 36 hours, 12 by default) or the root user (at most 1 hour), with
    /// MFA when a code is given.
    pub(crate) fn get_session_token(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (principal, max, default) = match &ctx.principal {
            Principal::User {
                account_id,
                name,
                user_id,
                path,
            } => (
                SessionPrincipal::User {
                    account_id: account_id.clone(),
                    name: name.clone(),
                    user_id: user_id.clone(),
                    path: path.clone(),
                },
                129_600,
                43_200,
            ),
            Principal::Root { account_id } => (
                SessionPrincipal::Root {
                    account_id: account_id.clone(),
                },
                3_600,
                3_600,
            ),
            _ => return Err(StsError::SessionTokenFromSession.into()),
        };
        let duration = input
            .get("DurationSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(default);
        if duration > max {
            return Err(StsError::Constraint {
                value: duration.to_string(),
                member: "durationSeconds",
                constraint: format!("Member must have value less than or equal to {max}"),
            }
            .into());
        }
        let mut mfa = false;
        if let Some(serial) = input.get("SerialNumber").and_then(Value::as_str) {
            let code = input
                .get("TokenCode")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !self
                .iam
                .verify_mfa_code(&ctx.account_id, serial, code, ctx.clock.now_millis())
            {
                return Err(StsError::InvalidMfaCode.into());
            }
            mfa = true;
        }
        let now = ctx.clock.now_millis();
        let session = Session {
            access_key_id: id::access_key_id("ASIA"),
            secret_access_key: id::secret_access_key(),
            session_token: new_session_token(),
            expires_at_ms: now + duration * 1000,
            issued_at_ms: now,
            principal,
            policies: Vec::new(),
            mfa_authenticated: mfa,
            tags: Vec::new(),
        };
        self.save(&session)?;
        Ok(json!({ "Credentials": session.credentials_value() }))
    }

    /// `GetAccessKeyInfo`: the account that owns a key.
    pub(crate) fn get_access_key_info(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key = input
            .get("AccessKeyId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let owner = self
            .credentials()
            .lookup(key)
            .or_else(|| self.iam.credentials().lookup(key))
            .and_then(|c| c.principal.account_id().map(str::to_string));
        let account = match owner {
            Some(a) => a,
            None if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) => key.to_string(),
            None => ctx.account_id.clone(),
        };
        Ok(json!({ "Account": account }))
    }
}
