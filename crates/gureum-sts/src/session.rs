//! Temporary credentials: what is stored, and how SigV4 finds them.

use crate::StsService;
use gureum_auth::{Credential, CredentialsProvider};
use gureum_core::{Principal, SessionContext};
use gureum_store::Table;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// One session's credentials and what they stand for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    /// `ASIA…`.
    pub access_key_id: String,
    /// The secret.
    pub secret_access_key: String,
    /// The token the caller must send as `X-Amz-Security-Token`.
    pub session_token: String,
    /// When the credentials stop working, epoch milliseconds.
    pub expires_at_ms: i64,
    /// When they were issued.
    pub issued_at_ms: i64,
    /// Who the session is.
    pub principal: SessionPrincipal,
    /// Session policies (JSON), inline and resolved managed ones.
    #[serde(default)]
    pub policies: Vec<String>,
    /// Whether an MFA code was presented.
    #[serde(default)]
    pub mfa_authenticated: bool,
    /// Session tags.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// The identity behind a session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum SessionPrincipal {
    /// A role session (`AssumeRole*`).
    Role {
        /// The account.
        account_id: String,
        /// The role name.
        role_name: String,
        /// The role id (`AROA…`).
        role_id: String,
        /// The session name.
        session_name: String,
    },
    /// `GetSessionToken` by an IAM user: the same user, maybe with MFA.
    User {
        /// The account.
        account_id: String,
        /// The user name.
        name: String,
        /// The user id.
        user_id: String,
        /// The user's path.
        path: String,
    },
    /// `GetSessionToken` by the root user.
    Root {
        /// The account.
        account_id: String,
    },
}

impl Session {
    /// The principal requests signed with this session act as.
    pub fn principal(&self) -> Principal {
        match &self.principal {
            SessionPrincipal::Role {
                account_id,
                role_name,
                role_id,
                session_name,
            } => Principal::AssumedRole {
                account_id: account_id.clone(),
                role_name: role_name.clone(),
                role_id: role_id.clone(),
                session_name: session_name.clone(),
            },
            SessionPrincipal::User {
                account_id,
                name,
                user_id,
                path,
            } => Principal::User {
                account_id: account_id.clone(),
                name: name.clone(),
                user_id: user_id.clone(),
                path: path.clone(),
            },
            SessionPrincipal::Root { account_id } => Principal::Root {
                account_id: account_id.clone(),
            },
        }
    }

    /// The `Credentials` member of STS responses.
    pub fn credentials_value(&self) -> serde_json::Value {
        json!({
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key,
            "SessionToken": self.session_token,
            "Expiration": self.expires_at_ms as f64 / 1000.0,
        })
    }
}

/// Session credentials for SigV4.
struct SessionCredentials {
    sessions: Table<Session>,
}

impl CredentialsProvider for SessionCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        if !access_key_id.starts_with("ASIA") {
            return None;
        }
        let s = self.sessions.get(access_key_id).ok()??;
        Some(Credential {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            principal: s.principal(),
            session_token: Some(s.session_token.clone()),
            expires_at_ms: Some(s.expires_at_ms),
            active: true,
            session: Some(Arc::new(SessionContext {
                policies: s.policies.clone(),
                mfa_authenticated: s.mfa_authenticated,
                issued_at_ms: s.issued_at_ms,
                tags: s.tags.clone(),
            })),
        })
    }
}

impl StsService {
    /// The provider that lets SigV4 verify requests signed with session keys.
    pub fn credentials(&self) -> Arc<dyn CredentialsProvider> {
        Arc::new(SessionCredentials {
            sessions: self.sessions.clone(),
        })
    }

    /// Stores a new session.
    pub(crate) fn save(&self, session: &Session) -> Result<(), gureum_core::AwsError> {
        self.store.write(|txn| {
            txn.put(&self.sessions, &session.access_key_id, session)
                .map_err(gureum_core::AwsError::from)
        })
    }
}

/// A session token: opaque, long, like AWS's.
pub(crate) fn new_session_token() -> String {
    use base64::Engine;
    let raw: String = (0..4).map(|_| gureum_core::id::uuid_v4()).collect();
    format!(
        "FwoGZXIvYXdzE{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(raw)
    )
}
