//! Authorization: is this caller allowed to do this?
//!
//! Every request signed by an IAM user or a role session is checked before
//! its handler runs: the service names the permissions the operation needs
//! ([`gureum_core::Authorization`]), IAM supplies the caller's policies
//! (identity-based, permissions boundary; for sessions also the session
//! policies), and `gureum-policy` evaluates them with the request's
//! condition keys. Root and the default credentials may do everything, as
//! the account root may in AWS. STS also uses this to check the caller's
//! side of `AssumeRole`.

mod context_keys;

use gureum_core::{AuthzTarget, Principal, RequestContext};
use gureum_iam::IamService;
use gureum_policy::{Evaluation, Policy, PolicySet, Request, RequestPrincipal};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// A refused permission, with AWS's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// The IAM action.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// "User: arn:… is not authorized to perform: … because …".
    pub message: String,
}

/// Evaluates callers' policies.
pub struct Authorizer {
    iam: Arc<IamService>,
    /// Session policies parsed once per document text.
    session_policies: Mutex<HashMap<String, Arc<Policy>>>,
}

/// The policies that govern one caller.
struct CallerPolicies {
    identity: Vec<Arc<Policy>>,
    boundary: Option<Arc<Policy>>,
    session: Option<Vec<Arc<Policy>>>,
    principal: RequestPrincipal,
    tags: Vec<(String, String)>,
}

impl Authorizer {
    /// An authorizer reading policies from `iam`.
    pub fn new(iam: Arc<IamService>) -> Self {
        Authorizer {
            iam,
            session_policies: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `ctx`'s caller is evaluated at all: IAM users and role
    /// sessions are; root and anonymous callers are not (anonymous callers
    /// get only what resource policies grant, which their services check).
    pub fn applies_to(ctx: &RequestContext) -> bool {
        matches!(
            ctx.principal,
            Principal::User { .. } | Principal::AssumedRole { .. }
        )
    }

    /// `Ok` when every target is allowed by the caller's policies.
    pub fn authorize(&self, ctx: &RequestContext, targets: &[AuthzTarget]) -> Result<(), Denied> {
        if !Self::applies_to(ctx) {
            return Ok(());
        }
        let caller = self.caller_policies(ctx).ok_or_else(|| Denied {
            action: targets
                .first()
                .map(|t| t.action.clone())
                .unwrap_or_default(),
            resource: String::new(),
            message: "The security token included in the request is invalid.".into(),
        })?;
        for t in targets {
            let (request, eval) = self.evaluate_with(ctx, &caller, t, None);
            if !eval.is_allowed() {
                return Err(Denied {
                    action: t.action.clone(),
                    resource: t.resource.clone(),
                    message: gureum_policy::access_denied_message(&request, &eval),
                });
            }
        }
        Ok(())
    }

    /// Evaluates one target for `ctx`'s caller with an optional resource
    /// policy owned by `resource_account`; returns the full evaluation (for
    /// STS and the IAM simulator).
    pub fn evaluate(
        &self,
        ctx: &RequestContext,
        target: &AuthzTarget,
        resource_policy: Option<(&Policy, &str)>,
    ) -> Option<(Request, Evaluation)> {
        let caller = self.caller_policies(ctx)?;
        Some(self.evaluate_with(ctx, &caller, target, resource_policy))
    }

    /// Evaluates `target` for any caller against a resource policy owned by
    /// `resource_account` (S3's bucket policies), with the service's own
    /// condition keys in `extra`. IAM callers bring their policies; the
    /// root user may do everything its account may, and an anonymous caller
    /// belongs to no account, so only what the resource policy grants to
    /// `*` allows it. `None` when an IAM caller's credentials no longer
    /// resolve.
    pub fn evaluate_resource(
        &self,
        ctx: &RequestContext,
        target: &AuthzTarget,
        resource_policy: (&Policy, &str),
        extra: &gureum_policy::ContextKeys,
    ) -> Option<(Request, Evaluation)> {
        let caller = if Self::applies_to(ctx) {
            self.caller_policies(ctx)?
        } else {
            CallerPolicies {
                identity: vec![everything()],
                boundary: None,
                session: None,
                principal: if ctx.principal == Principal::Anonymous {
                    RequestPrincipal::anonymous()
                } else {
                    principal(ctx, None)
                },
                tags: Vec::new(),
            }
        };
        let (mut request, _) = self.evaluate_with(ctx, &caller, target, None);
        for (k, v) in extra.iter() {
            request.context.insert(k.to_string(), v.to_vec());
        }
        let boundary = caller.boundary.as_ref().map(std::slice::from_ref);
        let set = PolicySet {
            identity: (&caller.identity).into(),
            resource: Some(resource_policy.0),
            resource_account: Some(resource_policy.1),
            boundary: boundary.map(Into::into),
            session: caller.session.as_ref().map(Into::into),
        };
        let eval = gureum_policy::evaluate(&request, &set);
        Some((request, eval))
    }

    /// The caller as policies see it (ARN, account, role ARN for sessions).
    pub fn request_principal(&self, ctx: &RequestContext) -> RequestPrincipal {
        match &ctx.principal {
            Principal::AssumedRole {
                account_id,
                role_name,
                ..
            } => {
                let role_arn = self
                    .iam
                    .role(account_id, role_name)
                    .map(|r| r.arn)
                    .unwrap_or_else(|| format!("arn:aws:iam::{account_id}:role/{role_name}"));
                principal(ctx, Some(role_arn))
            }
            _ => principal(ctx, None),
        }
    }

    fn evaluate_with(
        &self,
        ctx: &RequestContext,
        caller: &CallerPolicies,
        target: &AuthzTarget,
        resource_policy: Option<(&Policy, &str)>,
    ) -> (Request, Evaluation) {
        let request = Request {
            action: target.action.clone(),
            resource: target.resource.clone(),
            principal: caller.principal.clone(),
            context: context_keys::for_request(ctx, &caller.tags),
        };
        let boundary = caller.boundary.as_ref().map(std::slice::from_ref);
        let set = PolicySet {
            identity: (&caller.identity).into(),
            resource: resource_policy.map(|(p, _)| p),
            resource_account: resource_policy.map(|(_, a)| a),
            boundary: boundary.map(Into::into),
            session: caller.session.as_ref().map(Into::into),
        };
        let eval = gureum_policy::evaluate(&request, &set);
        (request, eval)
    }

    fn caller_policies(&self, ctx: &RequestContext) -> Option<CallerPolicies> {
        match &ctx.principal {
            Principal::User {
                account_id, name, ..
            } => {
                let authz = self.iam.user_authz(account_id, name)?;
                Some(CallerPolicies {
                    identity: authz.identity,
                    boundary: authz.boundary,
                    session: None,
                    principal: principal(ctx, None),
                    tags: authz.tags,
                })
            }
            Principal::AssumedRole {
                account_id,
                role_name,
                ..
            } => {
                let role = self.iam.role(account_id, role_name)?;
                let authz = self.iam.role_authz(account_id, role_name)?;
                let mut tags = authz.tags;
                let session = ctx.session.as_ref().map(|s| {
                    tags.extend(s.tags.iter().cloned());
                    self.parsed_session_policies(&s.policies)
                });
                // A session without session policies is governed by the
                // role's policies alone.
                let session = session.filter(|s| !s.is_empty());
                Some(CallerPolicies {
                    identity: authz.identity,
                    boundary: authz.boundary,
                    session,
                    principal: principal(ctx, Some(role.arn)),
                    tags,
                })
            }
            _ => None,
        }
    }

    fn parsed_session_policies(&self, docs: &[String]) -> Vec<Arc<Policy>> {
        let mut cache = self.session_policies.lock();
        docs.iter()
            .filter_map(|d| {
                if let Some(p) = cache.get(d) {
                    return Some(p.clone());
                }
                let p = Arc::new(Policy::parse(d).ok()?);
                if cache.len() > 4096 {
                    cache.clear();
                }
                cache.insert(d.clone(), p.clone());
                Some(p)
            })
            .collect()
    }
}

/// Everything: what the root user's own permissions amount to.
fn everything() -> Arc<Policy> {
    static P: std::sync::OnceLock<Arc<Policy>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        Arc::new(
            Policy::parse(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )
            .unwrap_or_else(|_| unreachable!("a constant policy parses")),
        )
    })
    .clone()
}

fn principal(ctx: &RequestContext, role_arn: Option<String>) -> RequestPrincipal {
    RequestPrincipal {
        arn: ctx.principal.arn(),
        account_id: ctx.principal.account_id().unwrap_or_default().to_string(),
        is_root: matches!(ctx.principal, Principal::Root { .. }),
        role_arn,
        ..RequestPrincipal::default()
    }
}
