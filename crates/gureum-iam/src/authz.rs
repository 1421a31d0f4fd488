//! What the rest of Gureum asks IAM on every request, answered from memory.
//!
//! - [`IamService::credentials`]: the secret and identity behind an access
//!   key, for SigV4.
//! - [`IamService::user_authz`] / [`IamService::role_authz`]: the parsed
//!   policies that govern a principal (inline and attached, a user's groups'
//!   too), its permissions boundary and tags.
//! - [`IamService::role`]: a role's trust policy and session limit, for
//!   `sts:AssumeRole`.
//!
//! Each answer is assembled once from the store and kept in an
//! [`AuthzCache`] until the next IAM write, which drops them all. A cache
//! fill that raced with a write is not kept: fills remember the cache
//! generation they started in and are discarded if a write happened since.
//! So the hot path is a hash lookup and a few `Arc` clones — no store read,
//! no JSON parsing.

use crate::documents::ParsedCache;
use crate::model::Tag;
use crate::util::key;
use crate::IamService;
use gureum_auth::{Credential, CredentialsProvider};
use gureum_core::Principal;
use gureum_policy::Policy;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Everything that governs what a user or role may do.
#[derive(Clone, Debug, Default)]
pub struct PrincipalAuthz {
    /// Identity-based policies: inline and attached managed policies of the
    /// principal (and, for a user, of its groups).
    pub identity: Vec<Arc<Policy>>,
    /// The permissions boundary, if any.
    pub boundary: Option<Arc<Policy>>,
    /// The principal's tags (`aws:PrincipalTag/…`), in order.
    pub tags: Vec<(String, String)>,
}

/// A role, as `sts:AssumeRole` needs it.
#[derive(Clone, Debug)]
pub struct RoleInfo {
    /// `arn:aws:iam::ACCT:role/path/Name`.
    pub arn: String,
    /// `AROA…`.
    pub role_id: String,
    /// The role's name.
    pub name: String,
    /// The role's path.
    pub path: String,
    /// The trust policy, parsed.
    pub trust_policy: Arc<Policy>,
    /// The longest session AssumeRole may grant, seconds.
    pub max_session_duration_secs: i64,
    /// The role's tags, in order.
    pub tags: Vec<(String, String)>,
}

/// A map of computed answers, valid for one cache generation.
struct Memo<V> {
    map: RwLock<HashMap<String, V>>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo {
            map: RwLock::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Memo<V> {
    fn get_or(&self, generation: &AtomicU64, key: &str, compute: impl FnOnce() -> V) -> V {
        if let Some(v) = self.map.read().get(key) {
            return v.clone();
        }
        let started = generation.load(Ordering::Acquire);
        let v = compute();
        let mut map = self.map.write();
        if generation.load(Ordering::Acquire) == started {
            map.insert(key.to_string(), v.clone());
        }
        v
    }

    fn clear(&self) {
        self.map.write().clear();
    }
}

/// The caches of authorization answers.
#[derive(Default)]
pub(crate) struct AuthzCache {
    generation: AtomicU64,
    users: Memo<Option<PrincipalAuthz>>,
    roles: Memo<Option<PrincipalAuthz>>,
    role_info: Memo<Option<RoleInfo>>,
    keys: Memo<Option<Credential>>,
}

impl AuthzCache {
    /// Drops every cached answer (called after each IAM write).
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.users.clear();
        self.roles.clear();
        self.role_info.clear();
        self.keys.clear();
    }
}

fn tag_pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// IAM access keys as a credentials provider.
struct IamCredentials(Arc<IamService>);

impl CredentialsProvider for IamCredentials {
    fn lookup(&self, access_key_id: &str) -> Option<Credential> {
        self.0.credential(access_key_id)
    }
}

impl IamService {
    /// Access keys IAM issued, as a provider for SigV4: the principal is
    /// `Principal::User`; inactive keys come back with `active = false`.
    pub fn credentials(self: &Arc<Self>) -> Arc<dyn CredentialsProvider> {
        Arc::new(IamCredentials(self.clone()))
    }

    fn credential(&self, access_key_id: &str) -> Option<Credential> {
        if !access_key_id.starts_with("AKIA") {
            return None;
        }
        self.cache
            .keys
            .get_or(&self.cache.generation, access_key_id, || {
                let Some(k) = self.access_keys.get(access_key_id).ok()? else {
                    // A deleted key stays known, and refused.
                    let account_id = self.retired_keys.get(access_key_id).ok()??;
                    let mut c =
                        Credential::long_term(access_key_id, "", Principal::Root { account_id });
                    c.active = false;
                    return Some(c);
                };
                let user = self.users.get(&key(&k.account_id, &k.user_name)).ok()??;
                let mut c = Credential::long_term(
                    &k.access_key_id,
                    &k.secret_access_key,
                    Principal::User {
                        account_id: k.account_id.clone(),
                        name: user.name,
                        user_id: user.user_id,
                        path: user.path,
                    },
                );
                c.active = k.active;
                Some(c)
            })
    }

    /// The default document of a managed policy (customer managed in
    /// `account`, or AWS managed), as JSON text; for STS session policies
    /// given as `PolicyArns`.
    pub fn managed_policy_document(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<String, gureum_core::AwsError> {
        self.find_policy(account, arn)
            .map(|r| r.document().to_string())
    }

    /// The parsed default document of a managed policy, by ARN.
    fn managed_policy(&self, account: &str, arn: &str) -> Option<Arc<Policy>> {
        let r = self.find_policy(account, arn).ok()?;
        self.parsed.get(r.document())
    }

    fn parsed_cache(&self) -> &ParsedCache {
        &self.parsed
    }

    /// Everything that governs what a user may do: its own and its groups'
    /// inline and attached policies, its permissions boundary, its tags.
    /// `None` if there is no such user.
    pub fn user_authz(&self, account_id: &str, user_name: &str) -> Option<PrincipalAuthz> {
        let k = key(account_id, user_name);
        self.cache.users.get_or(&self.cache.generation, &k, || {
            let user = self.users.get(&k).ok()??;
            let mut identity = Vec::new();
            self.collect_policies(
                account_id,
                user.inline_policies.values(),
                &user.attached_policies,
                &mut identity,
            );
            for g in &user.groups {
                if let Ok(Some(group)) = self.groups.get(&key(account_id, g)) {
                    self.collect_policies(
                        account_id,
                        group.inline_policies.values(),
                        &group.attached_policies,
                        &mut identity,
                    );
                }
            }
            let boundary = user
                .permissions_boundary
                .as_deref()
                .and_then(|arn| self.managed_policy(account_id, arn));
            Some(PrincipalAuthz {
                identity,
                boundary,
                tags: tag_pairs(&user.tags),
            })
        })
    }

    /// The same for a role: its inline and attached policies, boundary and
    /// tags. `None` if there is no such role.
    pub fn role_authz(&self, account_id: &str, role_name: &str) -> Option<PrincipalAuthz> {
        let k = key(account_id, role_name);
        self.cache.roles.get_or(&self.cache.generation, &k, || {
            let role = self.roles.get(&k).ok()??;
            let mut identity = Vec::new();
            self.collect_policies(
                account_id,
                role.inline_policies.values(),
                &role.attached_policies,
                &mut identity,
            );
            let boundary = role
                .permissions_boundary
                .as_deref()
                .and_then(|arn| self.managed_policy(account_id, arn));
            Some(PrincipalAuthz {
                identity,
                boundary,
                tags: tag_pairs(&role.tags),
            })
        })
    }

    /// Adds the parsed inline documents and attached managed policies of one
    /// user, group or role to `out`.
    fn collect_policies<'a>(
        &self,
        account_id: &str,
        inline: impl Iterator<Item = &'a String>,
        attached: &[String],
        out: &mut Vec<Arc<Policy>>,
    ) {
        for doc in inline {
            out.extend(self.parsed_cache().get(doc));
        }
        for arn in attached {
            out.extend(self.managed_policy(account_id, arn));
        }
    }

    /// A role by name, for `sts:AssumeRole`.
    pub fn role(&self, account_id: &str, role_name: &str) -> Option<RoleInfo> {
        let k = key(account_id, role_name);
        self.cache.role_info.get_or(&self.cache.generation, &k, || {
            let role = self.roles.get(&k).ok()??;
            Some(RoleInfo {
                arn: crate::roles::role_arn(account_id, &role),
                trust_policy: self.parsed_cache().get(&role.assume_role_policy)?,
                role_id: role.role_id,
                name: role.name,
                path: role.path,
                max_session_duration_secs: role.max_session_duration,
                tags: tag_pairs(&role.tags),
            })
        })
    }
}
