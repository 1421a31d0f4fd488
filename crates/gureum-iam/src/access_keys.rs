//! `CreateAccessKey`, `UpdateAccessKey`, `DeleteAccessKey`,
//! `ListAccessKeys`, `GetAccessKeyLastUsed`.
//!
//! An access key is a user's long-term credential for signing API requests:
//! an id (`AKIA` + 16 characters) and a 40-character secret that IAM shows
//! only once, at creation. A user has at most two (so that keys can be
//! rotated without downtime); a key is `Active` or `Inactive` (an inactive
//! key fails authentication). Without `UserName`, these operations act on
//! the calling user. Gureum does not issue access keys for the root user.
//!
//! Last use is recorded by the server through
//! [`IamService::note_key_used`] on every signed request. Writing that to
//! disk on every request would cost an fsync each, so uses are kept in
//! memory and written through at most once a minute per key; readers merge
//! the two.

use crate::errors::IamError;
use crate::model::{AccessKey, KeyUse};
use crate::util::{list_output, page_request, paginate, str_member};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use gureum_kit::Page;
use serde_json::json;

/// The most access keys a user may have.
pub const ACCESS_KEYS_PER_USER: usize = 2;

fn status(active: bool) -> &'static str {
    if active {
        "Active"
    } else {
        "Inactive"
    }
}

impl IamService {
    /// The user an access key operation acts on; the root user is refused.
    fn key_owner(&self, ctx: &RequestContext, input: &Value) -> Result<String, AwsError> {
        self.target_user_name(ctx, input)?
            .ok_or_else(|| IamError::UserNameRequired.into())
    }

    /// The key `id` if it belongs to `user` of `account`.
    fn owned_key(&self, account: &str, user: &str, id: &str) -> Result<AccessKey, AwsError> {
        match self.access_keys.get(id)? {
            Some(k) if k.account_id == account && k.user_name.eq_ignore_ascii_case(user) => Ok(k),
            _ => Err(IamError::NoSuchAccessKey { id: id.to_string() }.into()),
        }
    }

    /// The most recent known use of a key (in memory or stored).
    pub(crate) fn key_last_used(&self, key: &AccessKey) -> Option<KeyUse> {
        let mem = self
            .key_use
            .lock()
            .get(&key.access_key_id)
            .map(|(u, _)| u.clone());
        match (mem, key.last_used.clone()) {
            (Some(m), Some(s)) => Some(if m.at_ms >= s.at_ms { m } else { s }),
            (m, s) => m.or(s),
        }
    }

    /// `CreateAccessKey`.
    pub(crate) fn create_access_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = self.key_owner(ctx, &input)?;
        let uk = crate::util::key(acct, &user);
        let now = ctx.clock.now_secs();
        let key = self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            if u.access_keys.len() >= ACCESS_KEYS_PER_USER {
                return Err(IamError::QuotaExceeded {
                    quota: "AccessKeysPerUser".into(),
                    limit: ACCESS_KEYS_PER_USER,
                }
                .into());
            }
            let key = AccessKey {
                access_key_id: id::access_key_id("AKIA"),
                secret_access_key: id::secret_access_key(),
                account_id: acct.clone(),
                user_name: u.name.clone(),
                active: true,
                create_date: now,
                last_used: None,
            };
            u.access_keys.push(key.access_key_id.clone());
            txn.put(&self.users, &uk, &u)?;
            txn.put(&self.access_keys, &key.access_key_id, &key)?;
            Ok(key)
        })?;
        Ok(json!({ "AccessKey": {
            "UserName": key.user_name,
            "AccessKeyId": key.access_key_id,
            "Status": "Active",
            "SecretAccessKey": key.secret_access_key,
            "CreateDate": key.create_date,
        }}))
    }

    /// `UpdateAccessKey`: `Active` or `Inactive`.
    pub(crate) fn update_access_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let user = self.key_owner(ctx, &input)?;
        let id = str_member(&input, "AccessKeyId").unwrap_or_default();
        let active = str_member(&input, "Status") == Some("Active");
        self.load_user(&ctx.account_id, &user)?;
        self.owned_key(&ctx.account_id, &user, id)?;
        self.write(|txn| {
            let mut k = txn
                .get(&self.access_keys, id)?
                .ok_or_else(|| IamError::NoSuchAccessKey { id: id.to_string() })?;
            k.active = active;
            txn.put(&self.access_keys, id, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteAccessKey`.
    pub(crate) fn delete_access_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let user = self.key_owner(ctx, &input)?;
        let id = str_member(&input, "AccessKeyId").unwrap_or_default();
        let uk = crate::util::key(acct, &user);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            if !u.access_keys.iter().any(|k| k == id) {
                return Err(IamError::NoSuchAccessKey { id: id.to_string() }.into());
            }
            u.access_keys.retain(|k| k != id);
            txn.put(&self.users, &uk, &u)?;
            txn.delete(&self.access_keys, id)?;
            txn.put(&self.retired_keys, id, acct)?;
            Ok(())
        })?;
        self.key_use.lock().remove(id);
        Ok(json!({}))
    }

    /// `ListAccessKeys` (the root user has none here).
    pub(crate) fn list_access_keys(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let Some(user) = self.target_user_name(ctx, &input)? else {
            return Ok(list_output(
                "AccessKeyMetadata",
                Page {
                    items: Vec::new(),
                    next_token: None,
                },
            ));
        };
        let u = self.load_user(&ctx.account_id, &user)?;
        let mut items = Vec::new();
        for id in &u.access_keys {
            if let Some(k) = self.access_keys.get(id)? {
                items.push((
                    id.clone(),
                    json!({
                        "UserName": k.user_name,
                        "AccessKeyId": k.access_key_id,
                        "Status": status(k.active),
                        "CreateDate": k.create_date,
                    }),
                ));
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(items, &page_request(&input)?);
        Ok(list_output("AccessKeyMetadata", page))
    }

    /// `GetAccessKeyLastUsed`: `N/A` service and region until first use.
    pub(crate) fn get_access_key_last_used(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "AccessKeyId").unwrap_or_default();
        let key = match self.access_keys.get(id)? {
            Some(k) if k.account_id == ctx.account_id => k,
            _ => return Err(IamError::NoSuchAccessKey { id: id.to_string() }.into()),
        };
        let used = match self.key_last_used(&key) {
            Some(u) => json!({
                "LastUsedDate": u.at_ms.div_euclid(1000),
                "ServiceName": u.service,
                "Region": u.region,
            }),
            None => json!({"ServiceName": "N/A", "Region": "N/A"}),
        };
        Ok(json!({ "UserName": key.user_name, "AccessKeyLastUsed": used }))
    }

    /// Records a use of an access key (called by the server for every
    /// request signed with a key). Cheap: memory only, written to the
    /// store at most once a minute per key. Keys IAM did not issue are
    /// ignored.
    pub fn note_key_used(&self, access_key_id: &str, service: &str, region: &str, now_ms: i64) {
        let used = KeyUse {
            at_ms: now_ms,
            service: service.to_string(),
            region: region.to_string(),
        };
        let persist = {
            let mut map = self.key_use.lock();
            let entry = map
                .entry(access_key_id.to_string())
                .or_insert_with(|| (used.clone(), i64::MIN / 2));
            entry.0 = used.clone();
            if now_ms - entry.1 >= 60_000 {
                entry.1 = now_ms;
                true
            } else {
                false
            }
        };
        if persist {
            // Last use does not change what a key may do: no cache to drop.
            let _ = self.store.write(|txn| {
                if let Some(mut k) = txn.get(&self.access_keys, access_key_id)? {
                    k.last_used = Some(used);
                    txn.put(&self.access_keys, access_key_id, &k)?;
                }
                Ok::<_, AwsError>(())
            });
        }
    }
}

/// `Active` or `Inactive`, as the API spells a key's status.
pub(crate) fn key_status(key: &AccessKey) -> &'static str {
    status(key.active)
}
