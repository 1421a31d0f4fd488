//! Who is calling, where, and when.

use crate::clock::Clock;

/// The identity a request was authenticated as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The root user of an account (the default credentials are this).
    Root {
        /// The 12-digit account id.
        account_id: String,
    },
    /// An IAM user.
    User {
        /// The 12-digit account id.
        account_id: String,
        /// The user's name.
        name: String,
        /// The user's unique id (`AIDA…`).
        user_id: String,
        /// The IAM path, `/` by default.
        path: String,
    },
    /// A role session made by `sts:AssumeRole*`.
    AssumedRole {
        /// The 12-digit account id.
        account_id: String,
        /// The role's name.
        role_name: String,
        /// The role's unique id (`AROA…`).
        role_id: String,
        /// The session name given to AssumeRole.
        session_name: String,
    },
    /// A request that carried no signature.
    Anonymous,
}

impl Principal {
    /// The account the principal belongs to (`None` for anonymous callers).
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Principal::Root { account_id }
            | Principal::User { account_id, .. }
            | Principal::AssumedRole { account_id, .. } => Some(account_id),
            Principal::Anonymous => None,
        }
    }

    /// The principal's ARN, as `sts:GetCallerIdentity` reports it.
    pub fn arn(&self) -> String {
        match self {
            Principal::Root { account_id } => format!("arn:aws:iam::{account_id}:root"),
            Principal::User {
                account_id,
                name,
                path,
                ..
            } => format!("arn:aws:iam::{account_id}:user{path}{name}"),
            Principal::AssumedRole {
                account_id,
                role_name,
                session_name,
                ..
            } => format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"),
            Principal::Anonymous => "anonymous".to_string(),
        }
    }

    /// The principal's unique id, as `sts:GetCallerIdentity` reports it
    /// (`UserId`): the account id for root, `AIDA…` for users,
    /// `AROA…:session` for role sessions.
    pub fn user_id(&self) -> String {
        match self {
            Principal::Root { account_id } => account_id.clone(),
            Principal::User { user_id, .. } => user_id.clone(),
            Principal::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
            Principal::Anonymous => String::new(),
        }
    }
}

/// What a temporary-credentials session adds to its principal: the session
/// policies AssumeRole was given, whether MFA was presented, session tags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionContext {
    /// Session policies (JSON documents, inline and managed ARNs resolved).
    pub policies: Vec<String>,
    /// Whether the session was created with an MFA code
    /// (`aws:MultiFactorAuthPresent`).
    pub mfa_authenticated: bool,
    /// When the session was issued, epoch milliseconds (`aws:MultiFactorAuthAge`).
    pub issued_at_ms: i64,
    /// Session tags (`aws:PrincipalTag/*` on top of the role's tags).
    pub tags: Vec<(String, String)>,
}

/// Everything a handler knows about the request besides its input.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The account the request acts in.
    pub account_id: String,
    /// The region the request was signed for (or the default region).
    pub region: String,
    /// The authenticated caller.
    pub principal: Principal,
    /// The access key id the request was signed with, if any.
    pub access_key_id: Option<String>,
    /// For temporary credentials, what the session adds.
    pub session: Option<std::sync::Arc<SessionContext>>,
    /// The id returned in `x-amzn-RequestId` / `x-amz-request-id`.
    pub request_id: String,
    /// Gureum's clock.
    pub clock: Clock,
    /// Whether the request arrived over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The caller's IP address (`aws:SourceIp`).
    pub source_ip: Option<std::net::IpAddr>,
    /// The request's `Host` header (services that hand out URLs on
    /// Gureum's own port, such as SQS queue URLs, read its port).
    pub host: Option<String>,
}

impl RequestContext {
    /// A context for the root user of `account_id` in `region`; used by
    /// tests and by engines acting on their own.
    pub fn root(account_id: &str, region: &str, clock: Clock) -> Self {
        RequestContext {
            account_id: account_id.to_string(),
            region: region.to_string(),
            principal: Principal::Root {
                account_id: account_id.to_string(),
            },
            access_key_id: None,
            session: None,
            request_id: crate::id::request_id(),
            clock,
            secure_transport: false,
            source_ip: None,
            host: None,
        }
    }
}
