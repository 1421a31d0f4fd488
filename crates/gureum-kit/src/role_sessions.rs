//! The seam services get a role's temporary credentials through: Lambda
//! for a function's execution role, EC2's metadata service for an
//! instance profile's role, and later any service that acts as a role
//! (`iam:PassRole` targets).
//!
//! AWS's services call `sts:AssumeRole` as their service principal
//! (`lambda.amazonaws.com`, `ec2.amazonaws.com`); the role's trust policy
//! must allow that principal. The server wires in STS
//! (`gureum_sts::StsService`); [`NoRoleSessions`], for a service built
//! without STS (unit tests), issues none.

use gureum_core::AwsError;

/// A service assuming a role for one of its resources.
#[derive(Clone, Copy, Debug)]
pub struct ServiceAssumption<'a> {
    /// The role (`arn:aws:iam::ACCT:role/path/NAME`).
    pub role_arn: &'a str,
    /// `RoleSessionName`: the function name, the instance id.
    pub session_name: &'a str,
    /// The service principal that assumes it (`lambda.amazonaws.com`).
    pub service: &'a str,
    /// The resource the service acts for (`aws:SourceArn`).
    pub source_arn: &'a str,
    /// That resource's account (`aws:SourceAccount`).
    pub source_account: &'a str,
    /// How long the credentials live, seconds (AWS: 900 up to the role's
    /// maximum session duration).
    pub duration_secs: i64,
    /// Now, epoch milliseconds on Gureum's clock.
    pub now_ms: i64,
}

/// Temporary credentials, as `AssumeRole` returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `ASIA…`.
    pub access_key_id: String,
    /// The secret.
    pub secret_access_key: String,
    /// The token sent as `X-Amz-Security-Token`.
    pub session_token: String,
    /// When they stop working, epoch milliseconds.
    pub expires_at_ms: i64,
}

/// Why a service could not assume a role.
#[derive(Clone, Debug, PartialEq)]
pub enum RoleRefusal {
    /// No such role (or the ARN is not a role's).
    NoSuchRole,
    /// The role's trust policy does not allow the service principal.
    NotTrusted,
    /// The store failed.
    Failed(AwsError),
}

/// Issues role sessions to services.
pub trait RoleSessions: Send + Sync {
    /// Credentials for `assumption.role_arn`, assumed by
    /// `assumption.service`, when the role's trust policy allows it.
    fn assume_role_for_service(
        &self,
        assumption: &ServiceAssumption<'_>,
    ) -> Result<TemporaryCredentials, RoleRefusal>;
}

/// The role sessions while Gureum has no STS: every role is unknown.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRoleSessions;

impl RoleSessions for NoRoleSessions {
    fn assume_role_for_service(
        &self,
        _assumption: &ServiceAssumption<'_>,
    ) -> Result<TemporaryCredentials, RoleRefusal> {
        Err(RoleRefusal::NoSuchRole)
    }
}
