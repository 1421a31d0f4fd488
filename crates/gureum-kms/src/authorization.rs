//! Who may use a key: its key policy and the caller's IAM policies,
//! together, as AWS evaluates them.
//!
//! Before the handler, the pipeline checks what needs no key:
//! `kms:<Operation>` on `*` for `CreateKey`, `ListKeys`, `ListAliases`,
//! `GenerateRandom`, and the alias ARN for alias operations. Everything
//! that acts on a key is authorized once the key is resolved
//! ([`KmsService::authorize_key`], called by `resolve::resolve` and friends):
//! an alias in `KeyId` is authorized on its key's ARN, `Decrypt` without a
//! `KeyId` on the key the ciphertext names, `ReEncrypt` as
//! `kms:ReEncryptFrom` and `kms:ReEncryptTo`. The key policy is the
//! resource policy and must allow the caller itself or delegate to IAM by
//! naming the account (`gureum_policy` applies that rule to `kms:` actions
//! on keys), so the default key policy leaves the decision to IAM. A grant
//! to the caller for the operation allows as well. `RetireGrant` is
//! decided by its grant (`grants.rs`). A grant
//! to the caller for the operation allows as well. `RetireGrant` is
//! decided by its grant (`grants.rs`).

use crate::resolve::{alias_arn, key_arn};
use crate::{KeyRecord, KmsService};
use gureum_authz::Authorizer;
use gureum_core::member::str_member;
use gureum_core::{
    Authorization, AuthzTarget, AwsError, CommonError, RequestContext, Scope, Value,
};
use gureum_policy::{Policy, PolicySet, Request};
use serde_json::Map;
use std::sync::{Arc, OnceLock};

/// What a request asks to do with a key: the IAM action and, for
/// operations that take one, the encryption context (grant constraints
/// are checked against it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Access<'a> {
    /// `kms:Encrypt`, ….
    pub action: &'a str,
    /// The request's encryption context (empty when absent), for the
    /// operations that take one; `None` for the others.
    pub context: Option<&'a Map<String, Value>>,
}

impl<'a> From<&'a str> for Access<'a> {
    fn from(action: &'a str) -> Self {
        Access {
            action,
            context: None,
        }
    }
}

/// Operations without a resource: `kms:<Operation>` on `*`.
const UNSCOPED: &[&str] = &[
    "CreateKey",
    "ListKeys",
    "ListAliases",
    "GenerateRandom",
    "ListRetirableGrants",
];

/// What the root user's own permissions amount to: everything, so only a
/// key policy can refuse it.
fn everything() -> &'static Policy {
    static P: OnceLock<Policy> = OnceLock::new();
    P.get_or_init(|| {
        Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .unwrap_or_else(|_| unreachable!("a constant policy parses"))
    })
}

impl KmsService {
    /// The permissions the pipeline checks before the handler runs.
    pub(crate) fn authorization(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Authorization {
        if UNSCOPED.contains(&operation) {
            return Authorization::Default;
        }
        if matches!(operation, "CreateAlias" | "UpdateAlias" | "DeleteAlias") {
            let name = str_member(input, "AliasName").unwrap_or_default();
            let arn = alias_arn(Scope::regional(ctx), name);
            return Authorization::Targets(vec![AuthzTarget::new(format!("kms:{operation}"), arn)]);
        }
        // The key's part is checked when the handler has resolved the key.
        Authorization::ByHandler
    }

    /// Refuses `access` to `key` unless its key policy and the caller's
    /// policies, or a grant, allow it.
    pub(crate) fn authorize_key(
        &self,
        ctx: &RequestContext,
        key: &KeyRecord,
        access: Access<'_>,
    ) -> Result<(), AwsError> {
        let action = access.action;
        let Some(authorizer) = &self.authorizer else {
            // A service built without IAM (unit tests) enforces nothing.
            return Ok(());
        };
        let scope = Scope::regional(ctx);
        let iam_caller = Authorizer::applies_to(ctx);
        // The root user under the default key policy is always allowed;
        // skipping the evaluation keeps the common case cheap.
        if !iam_caller && key.policy == crate::keys::default_policy(scope.account()) {
            return Ok(());
        }
        let target = AuthzTarget::new(action, key_arn(scope, &key.id));
        let policy = self.parsed_policy(&key.policy);
        let (request, eval) = if iam_caller {
            let resource = policy.as_deref().map(|p| (p, scope.account()));
            match authorizer.evaluate(ctx, &target, resource) {
                Some(r) => r,
                None => {
                    return Err(denied(
                        "The security token included in the request is invalid.".into(),
                    ))
                }
            }
        } else {
            let request = Request {
                action: target.action.clone(),
                resource: target.resource.clone(),
                principal: authorizer.request_principal(ctx),
                context: Default::default(),
            };
            let identity = std::slice::from_ref(everything());
            let set = PolicySet {
                identity: identity.into(),
                resource: policy.as_deref(),
                resource_account: Some(scope.account()),
                boundary: None,
                session: None,
            };
            let eval = gureum_policy::evaluate(&request, &set);
            (request, eval)
        };
        if eval.is_allowed() {
            return Ok(());
        }
        // A grant to the caller (or its role) for this operation allows too.
        let p = &request.principal;
        let mut callers = vec![p.arn.as_str()];
        callers.extend(p.role_arn.as_deref());
        if crate::grants::grant_allows(self, scope, &key.id, &callers, access)? {
            return Ok(());
        }
        Err(denied(gureum_policy::access_denied_message(
            &request, &eval,
        )))
    }

    /// A key policy, parsed once per distinct document (most keys share
    /// the default one); `None` when it does not parse, which allows
    /// nothing.
    fn parsed_policy(&self, doc: &str) -> Option<Arc<Policy>> {
        let mut cache = self.policies.lock();
        if let Some(p) = cache.get(doc) {
            return Some(p.clone());
        }
        let parsed = Arc::new(Policy::parse(doc).ok()?);
        // Bounded: documents are per key, and keys are many only in tests.
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(doc.to_string(), parsed.clone());
        Some(parsed)
    }

    /// The caller's ARN, as grants name principals.
    pub(crate) fn caller_arn(&self, ctx: &RequestContext) -> String {
        ctx.principal.arn()
    }
}

/// KMS's access-denied error (json: `AccessDeniedException`, 400).
fn denied(message: String) -> AwsError {
    CommonError::AccessDeniedException { message }.into()
}

#[cfg(test)]
mod tests {
    use crate::KmsService;
    use gureum_core::{Authorization, AuthzTarget, Clock, RequestContext};
    use gureum_store::Store;
    use serde_json::json;

    #[test]
    fn the_pipeline_checks_aliases_and_leaves_keys_to_the_handler() {
        let s = KmsService::new(Store::in_memory().expect("store"));
        let c = RequestContext::root("000000000000", "us-east-1", Clock::system());
        assert_eq!(
            s.authorization(&c, "DeleteAlias", &json!({"AliasName": "alias/app"})),
            Authorization::Targets(vec![AuthzTarget::new(
                "kms:DeleteAlias",
                "arn:aws:kms:us-east-1:000000000000:alias/app"
            )])
        );
        assert_eq!(
            s.authorization(&c, "ListKeys", &json!({})),
            Authorization::Default
        );
        assert_eq!(
            s.authorization(&c, "Encrypt", &json!({"KeyId": "alias/app"})),
            Authorization::ByHandler
        );
    }
}
