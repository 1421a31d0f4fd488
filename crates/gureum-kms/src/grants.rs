//! Grants: permission for a grantee principal to use one key for some
//! operations, until retired or revoked. A grant allows what the key
//! policy and IAM do not ([`grant_allows`], consulted by
//! `KmsService::authorize_key`), within its encryption-context
//! constraints.
//!
//! Tokens are `base64url("<key id>/<grant id>/<random>")`: opaque to
//! callers, and `RetireGrant` finds its grant from the token alone.

use crate::authorization::Access;
use crate::keys::{self, dry_run};
use crate::resolve::{self, key_arn, not_pending};
use crate::{KmsError, KmsService};
use base64::Engine as _;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use rand::RngCore;
use serde_json::{json, Map};

const TOKEN_B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A grant, as stored under `account/region/<key id>/<grant id>`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GrantRecord {
    /// The grant id (64 hex digits).
    pub id: String,
    /// The key's id.
    pub key_id: String,
    /// The name, if given.
    #[serde(default)]
    pub name: Option<String>,
    /// Who may use the key.
    pub grantee: String,
    /// Who may retire the grant.
    #[serde(default)]
    pub retiring: Option<String>,
    /// The operations allowed (`Encrypt`, `Decrypt`, …).
    pub operations: Vec<String>,
    /// `GrantConstraints`, as given.
    #[serde(default)]
    pub constraints: Option<Value>,
    /// The issuing account's root ARN.
    pub issuing_account: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
}

fn grant_key(scope: Scope<'_>, key_id: &str, grant_id: &str) -> String {
    scope.key(&format!("{key_id}/{grant_id}"))
}

fn strings(input: &Value, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn view(scope: Scope<'_>, g: &GrantRecord) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("KeyId".into(), json!(key_arn(scope, &g.key_id)));
    out.insert("GrantId".into(), json!(g.id));
    if let Some(n) = &g.name {
        out.insert("Name".into(), json!(n));
    }
    out.insert("CreationDate".into(), json!(g.created_ms as f64 / 1000.0));
    out.insert("GranteePrincipal".into(), json!(g.grantee));
    if let Some(r) = &g.retiring {
        out.insert("RetiringPrincipal".into(), json!(r));
    }
    out.insert("IssuingAccount".into(), json!(g.issuing_account));
    out.insert("Operations".into(), json!(g.operations));
    if let Some(c) = &g.constraints {
        out.insert("Constraints".into(), c.clone());
    }
    Value::Object(out)
}

fn token_for(g: &GrantRecord) -> String {
    let mut nonce = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut nonce);
    TOKEN_B64.encode(format!("{}/{}/{}", g.key_id, g.id, hex::encode(nonce)))
}

/// `CreateGrant`; a grant with the same name and parameters is returned
/// again (with a new token), as AWS makes `Name` an idempotency key.
pub(crate) fn create_grant(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let given = str_member(input, "KeyId").unwrap_or_default();
    let mut grant = GrantRecord {
        id: String::new(),
        key_id: String::new(),
        name: str_member(input, "Name").map(str::to_string),
        grantee: str_member(input, "GranteePrincipal")
            .unwrap_or_default()
            .into(),
        retiring: str_member(input, "RetiringPrincipal").map(str::to_string),
        operations: strings(input, "Operations"),
        constraints: input.get("Constraints").cloned(),
        issuing_account: format!("arn:aws:iam::{}:root", scope.account()),
        created_ms: now,
    };
    let grant = svc.store.write(|txn| -> Result<GrantRecord, AwsError> {
        let key = resolve::resolve_in(svc, txn, ctx, given, Some("kms:CreateGrant"))?;
        not_pending(scope, &key)?;
        grant.key_id = key.id.clone();
        let prefix = scope.key(&format!("{}/", key.id));
        if grant.name.is_some() {
            let same = txn
                .scan_prefix(&svc.grants, &prefix)?
                .into_iter()
                .find(|(_, g)| {
                    g.name == grant.name
                        && g.grantee == grant.grantee
                        && g.retiring == grant.retiring
                        && g.operations == grant.operations
                        && g.constraints == grant.constraints
                });
            if let Some((_, g)) = same {
                return Ok(g);
            }
        }
        let mut id = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut id);
        grant.id = hex::encode(id);
        dry_run(input)?;
        txn.put(&svc.grants, &grant_key(scope, &key.id, &grant.id), &grant)?;
        Ok(grant)
    })?;
    Ok(json!({ "GrantToken": token_for(&grant), "GrantId": grant.id }))
}

/// `ListGrants`: one key's grants, optionally one grant or one grantee's.
pub(crate) fn list_grants(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let key = resolve::resolve(
        svc,
        ctx,
        str_member(input, "KeyId").unwrap_or_default(),
        "kms:ListGrants",
    )?;
    let grant_id = str_member(input, "GrantId");
    let grantee = str_member(input, "GranteePrincipal");
    let request = keys::page_request(input)?;
    let prefix = scope.key(&format!("{}/", key.id));
    let page = gureum_kit::paging::page(&svc.grants, &prefix, &request, |_, g| {
        let keep = grant_id.is_none_or(|id| g.id == id) && grantee.is_none_or(|p| g.grantee == p);
        keep.then(|| view(scope, &g))
    })?;
    Ok(keys::list_out("Grants", page.items, page.next_token))
}

/// `ListRetirableGrants`: the grants of the account and region that
/// `RetiringPrincipal` may retire.
pub(crate) fn list_retirable_grants(
    svc: &KmsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let retiring = str_member(input, "RetiringPrincipal").unwrap_or_default();
    let request = keys::page_request(input)?;
    // Grants of deleted keys went with them.
    let alive: std::collections::HashSet<String> = svc
        .keys
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .filter_map(|(_, k)| resolve::live(k, now).map(|k| k.id))
        .collect();
    let page = gureum_kit::paging::page(&svc.grants, &scope.prefix(), &request, |_, g| {
        (g.retiring.as_deref() == Some(retiring) && alive.contains(&g.key_id))
            .then(|| view(scope, &g))
    })?;
    Ok(keys::list_out("Grants", page.items, page.next_token))
}

/// The grant a token names.
fn from_token(token: &str) -> Result<(String, String), AwsError> {
    let bad = || AwsError::from(KmsError::InvalidGrantToken);
    let text = TOKEN_B64
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let mut parts = text.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(k), Some(g), Some(_)) => Ok((k.to_string(), g.to_string())),
        _ => Err(bad()),
    }
}

/// `RetireGrant`, by token or by key and grant id. The retiring
/// principal, a grantee allowed `RetireGrant`, or the issuing account's
/// root may retire a grant.
pub(crate) fn retire_grant(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let (key_ref, grant_id) = match (
        str_member(input, "GrantToken"),
        str_member(input, "KeyId"),
        str_member(input, "GrantId"),
    ) {
        (Some(token), _, _) => from_token(token)?,
        (None, Some(k), Some(g)) => (k.to_string(), g.to_string()),
        _ => {
            return Err(CommonError::ValidationException {
                message: "Either GrantToken, or both KeyId and GrantId, must be specified.".into(),
            }
            .into())
        }
    };
    let caller = svc.caller_arn(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let key = resolve::resolve_in(svc, txn, ctx, &key_ref, None)?;
        let row = grant_key(scope, &key.id, &grant_id);
        let grant = txn
            .get(&svc.grants, &row)?
            .ok_or_else(|| KmsError::NoSuchGrant { id: grant_id.clone() })?;
        let may = grant.retiring.as_deref() == Some(caller.as_str())
            || (grant.grantee == caller && grant.operations.iter().any(|o| o == "RetireGrant"))
            || caller == grant.issuing_account;
        if !may {
            return Err(CommonError::AccessDeniedException {
                message: format!(
                    "User: {caller} is not authorized to perform: kms:RetireGrant on resource: {} because the grant does not name it as a retiring principal",
                    key_arn(scope, &key.id)
                ),
            }
            .into());
        }
        dry_run(input)?;
        txn.delete(&svc.grants, &row)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RevokeGrant`: the key's administrators remove a grant.
pub(crate) fn revoke_grant(svc: &KmsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let given = str_member(input, "KeyId").unwrap_or_default();
    let grant_id = str_member(input, "GrantId").unwrap_or_default();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let key = resolve::resolve_in(svc, txn, ctx, given, Some("kms:RevokeGrant"))?;
        let row = grant_key(scope, &key.id, grant_id);
        if txn.get(&svc.grants, &row)?.is_none() {
            return Err(KmsError::NoSuchGrant {
                id: grant_id.into(),
            }
            .into());
        }
        dry_run(input)?;
        txn.delete(&svc.grants, &row)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// Whether a grant on `key_id` lets `callers` (the caller and, for a
/// role session, its role) have `access`: the grant names the operation,
/// and its encryption-context constraint, if any, holds for the request's
/// context (operations without a context get nothing from a constrained
/// grant).
pub(crate) fn grant_allows(
    svc: &KmsService,
    scope: Scope<'_>,
    key_id: &str,
    callers: &[&str],
    access: Access<'_>,
) -> Result<bool, AwsError> {
    let operation = access.action.strip_prefix("kms:").unwrap_or(access.action);
    let grants = svc.grants.scan_prefix(&scope.key(&format!("{key_id}/")))?;
    Ok(grants.into_iter().any(|(_, g)| {
        callers.contains(&g.grantee.as_str())
            && g.operations.iter().any(|o| o == operation)
            && constraints_hold(g.constraints.as_ref(), access.context)
    }))
}

/// A grant's `Constraints` against a request's encryption context.
fn constraints_hold(constraints: Option<&Value>, context: Option<&Map<String, Value>>) -> bool {
    let Some(c) = constraints else {
        return true;
    };
    let Some(context) = context else {
        return false;
    };
    let equals = c.get("EncryptionContextEquals").and_then(Value::as_object);
    let subset = c.get("EncryptionContextSubset").and_then(Value::as_object);
    equals.is_none_or(|e| e == context)
        && subset.is_none_or(|s| s.iter().all(|(k, v)| context.get(k) == Some(v)))
}

#[cfg(test)]
mod tests {
    use super::constraints_hold;
    use serde_json::json;

    #[test]
    fn context_constraints_need_equality_or_a_subset() {
        let ctx = json!({"a": "1", "b": "2"});
        let ctx = ctx.as_object();
        assert!(constraints_hold(None, None));
        let equals = json!({"EncryptionContextEquals": {"a": "1", "b": "2"}});
        assert!(constraints_hold(Some(&equals), ctx));
        let equals_less = json!({"EncryptionContextEquals": {"a": "1"}});
        assert!(!constraints_hold(Some(&equals_less), ctx));
        assert!(constraints_hold(
            Some(&json!({"EncryptionContextSubset": {"a": "1"}})),
            ctx
        ));
        assert!(!constraints_hold(
            Some(&json!({"EncryptionContextSubset": {"a": "2"}})),
            ctx
        ));
        // An operation without a context gets nothing from a constrained grant.
        assert!(!constraints_hold(Some(&equals), None));
    }
}
