//! Execution role credentials: each execution environment gets the
//! function's role, assumed as `lambda.amazonaws.com` with the function's
//! ARN as `aws:SourceArn`, in `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
//! `AWS_SESSION_TOKEN`, as AWS's environments do.
//!
//! Credentials are cached per function and role, and renewed when less
//! than [`RENEW_BEFORE_MS`] remain: an environment keeps the credentials
//! it started with, so a new one must not start with nearly expired ones.

use crate::errors::LambdaError;
use gureum_core::{AwsError, Clock};
use gureum_kit::role_sessions::{
    RoleRefusal, RoleSessions, ServiceAssumption, TemporaryCredentials,
};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// How long the credentials Lambda asks for live (AWS's default maximum
/// session duration of a role).
pub const SESSION_SECS: i64 = 3600;
/// Credentials with less than this left are renewed for new environments
/// (longer than the longest invocation, 15 minutes).
pub const RENEW_BEFORE_MS: i64 = 20 * 60 * 1000;

/// The message AWS answers when Lambda cannot assume a function's role.
pub const CANNOT_ASSUME: &str = "The role defined for the function cannot be assumed by Lambda.";

/// What an execution role's identity policies allow (the server wires IAM's
/// authorizer in): Lambda checks the role can read an event source when a
/// mapping is created, as AWS does.
pub trait RolePolicies: Send + Sync {
    /// Whether the role session with key `access_key_id` may perform
    /// `action` on `resource`.
    fn allows(&self, access_key_id: &str, action: &str, resource: &str) -> bool;
}

/// Assumes functions' execution roles through STS.
pub struct ExecutionRoles {
    sessions: Arc<dyn RoleSessions>,
    clock: Clock,
    cache: Mutex<HashMap<String, TemporaryCredentials>>,
}

impl ExecutionRoles {
    /// Roles assumed through `sessions`, expiring on `clock` (Gureum's).
    pub fn new(sessions: Arc<dyn RoleSessions>, clock: Clock) -> Self {
        ExecutionRoles {
            sessions,
            clock,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The clock credentials expire on (Gureum's).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Credentials of `role` for the function `function_arn` (unqualified),
    /// cached until they near expiry; AWS's `InvalidParameterValueException`
    /// when the role does not exist or does not trust Lambda.
    pub fn credentials(
        &self,
        role: &str,
        function_arn: &str,
    ) -> Result<TemporaryCredentials, AwsError> {
        let now = self.clock.now_millis();
        let key = format!("{function_arn}|{role}");
        if let Some(c) = self.cache.lock().get(&key) {
            if c.expires_at_ms - now > RENEW_BEFORE_MS {
                return Ok(c.clone());
            }
        }
        let fresh = self.assume(role, function_arn, now)?;
        self.cache.lock().insert(key, fresh.clone());
        Ok(fresh)
    }

    /// Checks that Lambda can assume `role` for `function_arn` (at
    /// `CreateFunction` and `UpdateFunctionConfiguration`), keeping the
    /// credentials for its first environment.
    pub fn check(&self, role: &str, function_arn: &str) -> Result<(), AwsError> {
        let now = self.clock.now_millis();
        let fresh = self.assume(role, function_arn, now)?;
        self.cache
            .lock()
            .insert(format!("{function_arn}|{role}"), fresh);
        Ok(())
    }

    fn assume(
        &self,
        role: &str,
        function_arn: &str,
        now_ms: i64,
    ) -> Result<TemporaryCredentials, AwsError> {
        let name = function_arn.rsplit(':').next().unwrap_or_default();
        let account = function_arn.split(':').nth(4).unwrap_or_default();
        let assumption = ServiceAssumption {
            role_arn: role,
            session_name: name,
            service: "lambda.amazonaws.com",
            source_arn: function_arn,
            source_account: account,
            duration_secs: SESSION_SECS,
            now_ms,
        };
        self.sessions
            .assume_role_for_service(&assumption)
            .map_err(|refusal| match refusal {
                RoleRefusal::NoSuchRole | RoleRefusal::NotTrusted => {
                    LambdaError::InvalidParameterValue {
                        message: CANNOT_ASSUME.into(),
                    }
                    .into()
                }
                RoleRefusal::Failed(e) => e,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issues credentials for `good` only, counting how many.
    struct OneRole(Mutex<u32>);

    impl RoleSessions for OneRole {
        fn assume_role_for_service(
            &self,
            a: &ServiceAssumption<'_>,
        ) -> Result<TemporaryCredentials, RoleRefusal> {
            if !a.role_arn.ends_with("/good") || a.service != "lambda.amazonaws.com" {
                return Err(RoleRefusal::NotTrusted);
            }
            let mut n = self.0.lock();
            *n += 1;
            Ok(TemporaryCredentials {
                access_key_id: format!("ASIA{n}"),
                secret_access_key: "s".into(),
                session_token: "t".into(),
                expires_at_ms: a.now_ms + a.duration_secs * 1000,
            })
        }
    }

    const FN: &str = "arn:aws:lambda:us-east-1:000000000000:function:f";

    #[test]
    fn a_role_lambda_cannot_assume_is_refused_with_aws_message() {
        let roles = ExecutionRoles::new(Arc::new(OneRole(Mutex::new(0))), Clock::system());
        let err = roles
            .check("arn:aws:iam::000000000000:role/bad", FN)
            .expect_err("refused");
        assert_eq!(err.code, "InvalidParameterValueException");
        assert_eq!(err.message, CANNOT_ASSUME);
    }

    #[test]
    fn credentials_are_reused_until_they_near_expiry() {
        let clock = Clock::system();
        let roles = ExecutionRoles::new(Arc::new(OneRole(Mutex::new(0))), clock.clone());
        let role = "arn:aws:iam::000000000000:role/good";
        let first = roles.credentials(role, FN).expect("first");
        assert_eq!(roles.credentials(role, FN).expect("again"), first);
        clock.advance_millis(SESSION_SECS * 1000 - RENEW_BEFORE_MS + 1);
        let renewed = roles.credentials(role, FN).expect("renewed");
        assert_ne!(renewed.access_key_id, first.access_key_id);
    }
}
