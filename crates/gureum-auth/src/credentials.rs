//! Where secrets come from.
//!
//! A SigV4 request names only its access key id; the verifier needs the
//! secret behind it and the identity it belongs to. A
//! [`CredentialsProvider`] answers that lookup. Gureum chains several:
//! the default `test`/`test` root credentials ([`StaticCredentials`]), IAM
//! access keys and STS session credentials (providers living in the IAM and
//! STS crates). [`ChainProvider`] asks each in turn and takes the first
//! answer.
//!
//! A [`Credential`] also carries what decides whether it may be used at all:
//! `active` (IAM access keys can be deactivated), and for session
//! credentials the `session_token` that must accompany the key and
//! `expires_at_ms` after which it is refused with `ExpiredToken`.

use gureum_core::Principal;
use std::collections::HashMap;
use std::sync::Arc;

/// A secret and the identity it authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The public half (`AKIA…`, `ASIA…`, or `test`).
    pub access_key_id: String,
    /// The secret the signature is keyed with.
    pub secret_access_key: String,
    /// Who a request signed with this key is.
    pub principal: Principal,
    /// For STS session credentials, the token that must be sent as
    /// `X-Amz-Security-Token`.
    pub session_token: Option<String>,
    /// For session credentials, when they expire (ms since the epoch).
    pub expires_at_ms: Option<i64>,
    /// `false` for an IAM access key that was made `Inactive`.
    pub active: bool,
    /// For session credentials, what the session adds (policies, MFA, tags).
    pub session: Option<std::sync::Arc<gureum_core::SessionContext>>,
}

impl Credential {
    /// Long-term, active credentials with no token and no expiry.
    pub fn long_term(access_key_id: &str, secret_access_key: &str, principal: Principal) -> Self {
        Credential {
            access_key_id: access_key_id.to_string(),
            secret_access_key: secret_access_key.to_string(),
            principal,
            session_token: None,
            expires_at_ms: None,
            active: true,
            session: None,
        }
    }
}

/// Looks up the credential behind an access key id.
pub trait CredentialsProvider: Send + Sync {
    /// The credential for `access_key_id`, or `None` if this provider does
    /// not know it.
    fn lookup(&self, access_key_id: &str) -> Option<Credential>;
}

impl<T: CredentialsProvider + ?Sized> CredentialsProvider for Arc<T> {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        (**self).lookup(access_key_id)
    }
}

/// A fixed set of credentials, e.g. the default `test`/`test` root user.
#[derive(Clone, Debug, Default)]
pub struct StaticCredentials {
    by_key: HashMap<String, Credential>,
}

impl StaticCredentials {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a credential.
    pub fn with(mut self, credential: Credential) -> Self {
        self.insert(credential);
        self
    }

    /// Adds (or replaces) a credential.
    pub fn insert(&mut self, credential: Credential) {
        self.by_key
            .insert(credential.access_key_id.clone(), credential);
    }

    /// The default credentials: access key `test`, secret `test`, the root
    /// user of `account_id`.
    pub fn default_root(account_id: &str) -> Self {
        Self::new().with(Credential::long_term(
            "test",
            "test",
            Principal::Root {
                account_id: account_id.to_string(),
            },
        ))
    }
}

impl CredentialsProvider for StaticCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        self.by_key.get(access_key_id).cloned()
    }
}

/// Asks several providers in order; the first that knows the key answers.
#[derive(Clone, Default)]
pub struct ChainProvider {
    providers: Vec<Arc<dyn CredentialsProvider>>,
}

impl ChainProvider {
    /// An empty chain (knows no key).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a provider, asked after those already in the chain.
    pub fn with(mut self, provider: Arc<dyn CredentialsProvider>) -> Self {
        self.providers.push(provider);
        self
    }
}

impl std::fmt::Debug for ChainProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainProvider")
            .field("providers", &self.providers.len())
            .finish()
    }
}

impl CredentialsProvider for ChainProvider {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        self.providers.iter().find_map(|p| p.lookup(access_key_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(key: &str, secret: &str) -> Credential {
        Credential::long_term(
            key,
            secret,
            Principal::Root {
                account_id: "000000000000".into(),
            },
        )
    }

    #[test]
    fn static_provider_finds_only_known_keys() {
        let p = StaticCredentials::default_root("000000000000");
        assert_eq!(
            p.lookup("test").map(|c| c.secret_access_key),
            Some("test".into())
        );
        assert!(p.lookup("AKIAUNKNOWN").is_none());
    }

    #[test]
    fn chain_takes_the_first_provider_that_answers() {
        let first = StaticCredentials::new().with(cred("A", "from-first"));
        let second = StaticCredentials::new()
            .with(cred("A", "from-second"))
            .with(cred("B", "only-second"));
        let chain = ChainProvider::new()
            .with(Arc::new(first))
            .with(Arc::new(second));
        assert_eq!(
            chain.lookup("A").map(|c| c.secret_access_key),
            Some("from-first".into())
        );
        assert_eq!(
            chain.lookup("B").map(|c| c.secret_access_key),
            Some("only-second".into())
        );
        assert!(chain.lookup("C").is_none());
    }
}
