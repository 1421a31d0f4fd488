//! The decision: AWS's policy evaluation logic.
//!
//! Every request starts *implicitly denied*. The evaluator looks at every
//! policy that applies and decides in this order, as the IAM User Guide's
//! flow charts do:
//!
//! 1. **Explicit deny.** A matching `Deny` statement in *any* applicable
//!    policy — identity-based, resource-based, permissions boundary or
//!    session policy — ends evaluation with [`Decision::ExplicitDeny`].
//! 2. **Same account** (the resource belongs to the principal's account):
//!    * a resource-based policy `Allow` that names the principal *directly*
//!      (the user ARN, the role-session ARN, `*`, a service) allows the
//!      request on its own — an implicit deny in identity-based policies,
//!      the permissions boundary or session policies does not limit it;
//!    * a resource-based `Allow` that names the *role* ARN of a role session
//!      still has to pass the permissions boundary and session policies;
//!    * a resource-based `Allow` that names only the *account*
//!      (`123456789012`, `arn:aws:iam::123456789012:root`) delegates to IAM:
//!      it grants nothing by itself (this is how KMS key policies and trust
//!      policies "enable IAM policies");
//!    * role trust policies and KMS key policies are the exception: they
//!      must allow the caller (directly, or by naming the account *and*
//!      with an identity-based allow) — see [`resource_policy_required`];
//!    * otherwise an identity-based `Allow` is needed, and when a
//!      permissions boundary or session policies are present they must
//!      allow too (the effective permissions are the intersection).
//! 3. **Cross account** (the resource belongs to another account): the
//!    identity side (identity-based ∩ boundary ∩ session) *and* the
//!    resource-based policy must both allow.
//!
//! A statement applies when its action, resource, principal (resource-based
//! policies only) and all its conditions match. `NotAction`, `NotResource`
//! and `NotPrincipal` invert their element. `NotPrincipal` with `Deny`
//! applies unless *every* identity in the caller's chain is listed (for a
//! role session: the session ARN, the role ARN and the account), and it
//! always applies to principals with a permissions boundary, as AWS warns.
//!
//! The evaluator allocates only for the list of matched statements and when
//! a pattern contains policy variables.

use crate::condition::Condition;
use crate::pattern::{self, Pat};
use crate::policy::{
    ActionBlock, Effect, Policy, PolicyKind, PrincipalBlock, PrincipalType, Principals,
    ResourceBlock, Statement,
};
use crate::request::{Request, RequestPrincipal};

/// A list of policies, owned by the caller or shared through `Arc`s (as
/// IAM's cache hands them out), so that evaluating never copies a policy.
#[derive(Clone, Copy, Debug)]
pub enum Policies<'a> {
    /// Plain policies.
    Plain(&'a [Policy]),
    /// Shared policies.
    Shared(&'a [std::sync::Arc<Policy>]),
}

impl Default for Policies<'_> {
    fn default() -> Self {
        Policies::Plain(&[])
    }
}

impl<'a> Policies<'a> {
    /// The policies in order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &'a Policy> + 'a> {
        match *self {
            Policies::Plain(p) => Box::new(p.iter()),
            Policies::Shared(p) => Box::new(p.iter().map(|a| &**a)),
        }
    }
}

impl<'a> From<&'a [Policy]> for Policies<'a> {
    fn from(p: &'a [Policy]) -> Self {
        Policies::Plain(p)
    }
}

impl<'a, const N: usize> From<&'a [Policy; N]> for Policies<'a> {
    fn from(p: &'a [Policy; N]) -> Self {
        Policies::Plain(p)
    }
}

impl<'a> From<&'a Vec<Policy>> for Policies<'a> {
    fn from(p: &'a Vec<Policy>) -> Self {
        Policies::Plain(p)
    }
}

impl<'a> From<&'a [std::sync::Arc<Policy>]> for Policies<'a> {
    fn from(p: &'a [std::sync::Arc<Policy>]) -> Self {
        Policies::Shared(p)
    }
}

impl<'a> From<&'a Vec<std::sync::Arc<Policy>>> for Policies<'a> {
    fn from(p: &'a Vec<std::sync::Arc<Policy>>) -> Self {
        Policies::Shared(p)
    }
}

/// The policies that apply to a request, already fetched by the caller.
#[derive(Clone, Copy, Debug, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies: inline and managed policies of the user and
    /// its groups, or of the role.
    pub identity: Policies<'a>,
    /// The resource's policy (bucket policy, trust policy, key policy).
    pub resource: Option<&'a Policy>,
    /// The account that owns the resource; `None` means the principal's
    /// own account.
    pub resource_account: Option<&'a str>,
    /// The permissions boundary, if the user or role has one.
    pub boundary: Option<Policies<'a>>,
    /// The session policies, if the session was created with any.
    pub session: Option<Policies<'a>>,
}

/// The final answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// A `Deny` statement matched.
    ExplicitDeny,
    /// Nothing allowed the request.
    ImplicitDeny,
}

/// Why a request was denied, in the terms of AWS's AccessDenied messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// No identity-based policy allows the action.
    NoIdentityPolicyAllows,
    /// A `Deny` in an identity-based policy matched.
    ExplicitDenyInIdentityPolicy,
    /// A `Deny` in the resource-based policy matched.
    ExplicitDenyInResourcePolicy,
    /// Cross-account: the resource-based policy does not allow the action.
    NoResourcePolicyAllows,
    /// A `Deny` in the permissions boundary matched.
    ExplicitDenyInPermissionsBoundary,
    /// The permissions boundary does not allow the action.
    NoPermissionsBoundaryAllows,
    /// A `Deny` in a session policy matched.
    ExplicitDenyInSessionPolicy,
    /// No session policy allows the action.
    NoSessionPolicyAllows,
}

impl DenyReason {
    /// AWS's wording of the reason, as it follows "because" (implicit
    /// denies) or "with" (explicit denies) in an AccessDenied message:
    /// `no identity-based policy allows the s3:GetObject action`,
    /// `an explicit deny in a resource-based policy`.
    pub fn phrase(&self, action: &str) -> String {
        match self {
            DenyReason::NoIdentityPolicyAllows => {
                format!("no identity-based policy allows the {action} action")
            }
            DenyReason::ExplicitDenyInIdentityPolicy => {
                "an explicit deny in an identity-based policy".to_string()
            }
            DenyReason::ExplicitDenyInResourcePolicy => {
                "an explicit deny in a resource-based policy".to_string()
            }
            DenyReason::NoResourcePolicyAllows => {
                format!("no resource-based policy allows the {action} action")
            }
            DenyReason::ExplicitDenyInPermissionsBoundary => {
                "an explicit deny in a permissions boundary".to_string()
            }
            DenyReason::NoPermissionsBoundaryAllows => {
                format!("no permissions boundary allows the {action} action")
            }
            DenyReason::ExplicitDenyInSessionPolicy => {
                "an explicit deny in a session policy".to_string()
            }
            DenyReason::NoSessionPolicyAllows => {
                format!("no session policy allows the {action} action")
            }
        }
    }

    /// Whether this is an explicit deny.
    pub fn is_explicit(&self) -> bool {
        matches!(
            self,
            DenyReason::ExplicitDenyInIdentityPolicy
                | DenyReason::ExplicitDenyInResourcePolicy
                | DenyReason::ExplicitDenyInPermissionsBoundary
                | DenyReason::ExplicitDenyInSessionPolicy
        )
    }
}

/// Which policies allowed a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllowReason {
    /// Identity-based policies (within the boundary and session policies).
    IdentityPolicy,
    /// The resource-based policy, naming the principal directly, on its own.
    ResourcePolicy,
    /// The resource-based policy naming the session's role, within the
    /// boundary and session policies.
    ResourcePolicyForRole,
    /// Cross-account: identity-based and resource-based policies together.
    IdentityAndResourcePolicy,
}

/// The reason behind a [`Decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Why the request was allowed.
    Allow(AllowReason),
    /// Why the request was denied.
    Deny(DenyReason),
}

/// A statement that decided the request (SimulatePrincipalPolicy's
/// `MatchedStatements`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedStatement {
    /// The kind of policy the statement is in (`Identity`, `Resource`,
    /// `Boundary` or `Session`).
    pub kind: PolicyKind,
    /// The index of the policy within its list of the [`PolicySet`] (0 for
    /// the resource policy).
    pub policy_index: usize,
    /// The index of the statement within the policy.
    pub statement_index: usize,
    /// The statement's `Sid`.
    pub sid: Option<String>,
    /// The statement's effect.
    pub effect: Effect,
}

/// The outcome of [`evaluate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Allowed, explicitly denied or implicitly denied.
    pub decision: Decision,
    /// Why.
    pub reason: Reason,
    /// The statements that produced the decision: the matching `Deny`
    /// statements for an explicit deny, the matching `Allow` statements for
    /// an allow, none for an implicit deny.
    pub matched: Vec<MatchedStatement>,
}

impl Evaluation {
    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// The deny reason, if denied.
    pub fn deny_reason(&self) -> Option<DenyReason> {
        match self.reason {
            Reason::Deny(d) => Some(d),
            Reason::Allow(_) => None,
        }
    }
}

/// How a resource-based statement names the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Naming {
    /// Only through the account: delegates to IAM.
    Account,
    /// Through the session's role ARN.
    Role,
    /// The caller itself (or everyone).
    Direct,
}

/// What one group of policies says.
#[derive(Default)]
struct Verdict {
    allow: bool,
    deny: bool,
    /// For resource policies: the strongest naming among allows.
    naming: Option<Naming>,
}

/// Decides `request` against `policies` following AWS's evaluation logic.
pub fn evaluate(request: &Request, policies: &PolicySet<'_>) -> Evaluation {
    let mut matched = Vec::new();
    let has_boundary = policies.boundary.is_some();
    let identity = eval_group(
        policies.identity,
        PolicyKind::Identity,
        request,
        &mut matched,
    );
    let resource = match policies.resource {
        Some(p) => eval_resource(p, request, has_boundary, &mut matched),
        None => Verdict::default(),
    };
    let boundary = policies
        .boundary
        .map(|b| eval_group(b, PolicyKind::Boundary, request, &mut matched));
    let session = policies
        .session
        .map(|s| eval_group(s, PolicyKind::Session, request, &mut matched));

    let explicit = if identity.deny {
        Some(DenyReason::ExplicitDenyInIdentityPolicy)
    } else if resource.deny {
        Some(DenyReason::ExplicitDenyInResourcePolicy)
    } else if boundary.as_ref().is_some_and(|b| b.deny) {
        Some(DenyReason::ExplicitDenyInPermissionsBoundary)
    } else if session.as_ref().is_some_and(|s| s.deny) {
        Some(DenyReason::ExplicitDenyInSessionPolicy)
    } else {
        None
    };
    if let Some(reason) = explicit {
        matched.retain(|m| m.effect == Effect::Deny);
        return Evaluation {
            decision: Decision::ExplicitDeny,
            reason: Reason::Deny(reason),
            matched,
        };
    }

    let boundary_ok = boundary.as_ref().is_none_or(|b| b.allow);
    let session_ok = session.as_ref().is_none_or(|s| s.allow);
    // The reason the identity side fails, if it does.
    let identity_fail = if !identity.allow {
        Some(DenyReason::NoIdentityPolicyAllows)
    } else if !boundary_ok {
        Some(DenyReason::NoPermissionsBoundaryAllows)
    } else if !session_ok {
        Some(DenyReason::NoSessionPolicyAllows)
    } else {
        None
    };
    let cross_account = policies
        .resource_account
        .is_some_and(|a| a != request.principal.account_id);

    let outcome: Result<AllowReason, DenyReason> = if cross_account {
        match identity_fail {
            Some(r) => Err(r),
            None if resource.allow => Ok(AllowReason::IdentityAndResourcePolicy),
            None => Err(DenyReason::NoResourcePolicyAllows),
        }
    } else if resource_policy_required(request) {
        // Trust and key policies must name the caller themselves.
        match resource.naming {
            None => Err(DenyReason::NoResourcePolicyAllows),
            Some(Naming::Direct) => Ok(AllowReason::ResourcePolicy),
            Some(Naming::Role) if !boundary_ok => Err(DenyReason::NoPermissionsBoundaryAllows),
            Some(Naming::Role) if !session_ok => Err(DenyReason::NoSessionPolicyAllows),
            Some(Naming::Role) => Ok(AllowReason::ResourcePolicyForRole),
            Some(Naming::Account) => match identity_fail {
                Some(r) => Err(r),
                None => Ok(AllowReason::IdentityPolicy),
            },
        }
    } else {
        match resource.naming {
            Some(Naming::Direct) => Ok(AllowReason::ResourcePolicy),
            Some(Naming::Role) if !boundary_ok => Err(DenyReason::NoPermissionsBoundaryAllows),
            Some(Naming::Role) if !session_ok => Err(DenyReason::NoSessionPolicyAllows),
            Some(Naming::Role) => Ok(AllowReason::ResourcePolicyForRole),
            _ => match identity_fail {
                Some(r) => Err(r),
                None => Ok(AllowReason::IdentityPolicy),
            },
        }
    };
    match outcome {
        Ok(reason) => {
            matched.retain(|m| m.effect == Effect::Allow);
            Evaluation {
                decision: Decision::Allow,
                reason: Reason::Allow(reason),
                matched,
            }
        }
        Err(reason) => Evaluation {
            decision: Decision::ImplicitDeny,
            reason: Reason::Deny(reason),
            matched: Vec::new(),
        },
    }
}

/// Role trust policies and KMS key policies are the exceptions to "either
/// policy may allow within one account": they must allow the caller
/// themselves (naming the account delegates to IAM policies). Recognized by
/// the action: `sts:AssumeRole*`, `sts:TagSession`, `sts:SetSourceIdentity`,
/// or a `kms:` action on a key ARN.
pub fn resource_policy_required(request: &Request) -> bool {
    let a = request.action.as_str();
    let starts = |p: &str| a.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    (starts("sts:AssumeRole")
        || a.eq_ignore_ascii_case("sts:TagSession")
        || a.eq_ignore_ascii_case("sts:SetSourceIdentity"))
        || (starts("kms:") && request.resource.contains(":key/"))
}

fn record(
    matched: &mut Vec<MatchedStatement>,
    kind: PolicyKind,
    policy_index: usize,
    statement_index: usize,
    s: &Statement,
) {
    matched.push(MatchedStatement {
        kind,
        policy_index,
        statement_index,
        sid: s.sid.clone(),
        effect: s.effect,
    });
}

/// Evaluates identity-like policies (principal elements are ignored).
fn eval_group(
    policies: Policies<'_>,
    kind: PolicyKind,
    req: &Request,
    matched: &mut Vec<MatchedStatement>,
) -> Verdict {
    let mut v = Verdict::default();
    for (pi, p) in policies.iter().enumerate() {
        let vars = p.version.has_variables();
        for (si, s) in p.statements.iter().enumerate() {
            if statement_applies(s, req, vars) {
                match s.effect {
                    Effect::Allow => v.allow = true,
                    Effect::Deny => v.deny = true,
                }
                record(matched, kind, pi, si, s);
            }
        }
    }
    v
}

/// Evaluates the resource-based policy: statements must also name the caller.
fn eval_resource(
    p: &Policy,
    req: &Request,
    has_boundary: bool,
    matched: &mut Vec<MatchedStatement>,
) -> Verdict {
    let mut v = Verdict::default();
    let vars = p.version.has_variables();
    for (si, s) in p.statements.iter().enumerate() {
        let Some(block) = &s.principals else {
            continue;
        };
        let naming = match block {
            PrincipalBlock::Principal(ps) => principal_naming(ps, &req.principal),
            PrincipalBlock::NotPrincipal(ps) => {
                let excluded = (s.effect != Effect::Deny || !has_boundary)
                    && chain_all_listed(ps, &req.principal);
                (!excluded).then_some(Naming::Direct)
            }
        };
        let Some(naming) = naming else {
            continue;
        };
        if !statement_applies(s, req, vars) {
            continue;
        }
        match s.effect {
            Effect::Allow => {
                v.allow = true;
                v.naming = v.naming.max(Some(naming));
            }
            Effect::Deny => v.deny = true,
        }
        record(matched, PolicyKind::Resource, 0, si, s);
    }
    v
}

/// Action, resource and conditions (not the principal).
fn statement_applies(s: &Statement, req: &Request, vars: bool) -> bool {
    action_matches(&s.actions, &req.action)
        && resource_matches(s.resources.as_ref(), req, vars)
        && conditions_hold(&s.conditions, req, vars)
}

fn action_matches(block: &ActionBlock, action: &str) -> bool {
    let any = |list: &[String]| {
        list.iter()
            .any(|p| pattern::glob(Pat::Raw(p.as_bytes()), action.as_bytes(), true))
    };
    match block {
        ActionBlock::Action(l) => any(l),
        ActionBlock::NotAction(l) => !any(l),
    }
}

fn resource_matches(block: Option<&ResourceBlock>, req: &Request, vars: bool) -> bool {
    let any = |list: &[String]| {
        list.iter().any(|p| {
            pattern::with_pattern(p, vars, req, |pat| {
                pattern::glob(pat, req.resource.as_bytes(), false)
            })
        })
    };
    match block {
        None => true,
        Some(ResourceBlock::Resource(l)) => any(l),
        Some(ResourceBlock::NotResource(l)) => !any(l),
    }
}

fn conditions_hold(conditions: &[Condition], req: &Request, vars: bool) -> bool {
    conditions.iter().all(|c| c.matches(req, vars))
}

/// The 12-digit account of `arn:aws:iam::123456789012:root`, or the value
/// itself when it is an account id.
fn account_of(value: &str) -> Option<&str> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value);
    }
    let rest = value.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (service == "iam" && resource == "root").then_some(account)
}

/// How a `Principal` element names `p`, if it does.
fn principal_naming(ps: &Principals, p: &RequestPrincipal) -> Option<Naming> {
    let map = match ps {
        Principals::Any => return Some(Naming::Direct),
        Principals::Map(m) => m,
    };
    let mut best = None;
    for (t, values) in map {
        for v in values {
            let n = value_names(*t, v, p);
            best = best.max(n);
        }
    }
    best
}

fn value_names(t: PrincipalType, v: &str, p: &RequestPrincipal) -> Option<Naming> {
    match t {
        PrincipalType::Aws => {
            if v == "*" {
                return Some(Naming::Direct);
            }
            if p.is_anonymous() {
                return None;
            }
            if !p.arn.is_empty() && v == p.arn {
                return Some(Naming::Direct);
            }
            if p.role_arn.as_deref() == Some(v) {
                return Some(Naming::Role);
            }
            match account_of(v) {
                Some(acct) if !p.account_id.is_empty() && acct == p.account_id => {
                    if p.is_root {
                        Some(Naming::Direct)
                    } else {
                        Some(Naming::Account)
                    }
                }
                _ => None,
            }
        }
        PrincipalType::Service => p
            .service
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case(v))
            .then_some(Naming::Direct),
        PrincipalType::Federated => (p.federated.as_deref() == Some(v)).then_some(Naming::Direct),
        PrincipalType::CanonicalUser => {
            (p.canonical_user.as_deref() == Some(v)).then_some(Naming::Direct)
        }
    }
}

/// Whether every identity in the caller's chain (session, role, account;
/// or user, account; or service) is listed in a `NotPrincipal`.
fn chain_all_listed(ps: &Principals, p: &RequestPrincipal) -> bool {
    let map = match ps {
        Principals::Any => return true,
        Principals::Map(m) => m,
    };
    let listed = |pred: &dyn Fn(PrincipalType, &str) -> bool| {
        map.iter()
            .any(|(t, vals)| vals.iter().any(|v| v == "*" || pred(*t, v)))
    };
    if let Some(svc) = &p.service {
        return listed(&|t, v| t == PrincipalType::Service && v.eq_ignore_ascii_case(svc));
    }
    if let Some(fed) = &p.federated {
        return listed(&|t, v| t == PrincipalType::Federated && v == fed);
    }
    if p.is_anonymous() {
        return false;
    }
    let arn_listed = listed(&|t, v| t == PrincipalType::Aws && v == p.arn);
    let role_listed = match &p.role_arn {
        Some(r) => listed(&|t, v| t == PrincipalType::Aws && v == r),
        None => true,
    };
    let account_listed =
        listed(&|t, v| t == PrincipalType::Aws && account_of(v) == Some(&p.account_id));
    (arn_listed || p.is_root) && role_listed && account_listed
}

/// AWS's AccessDenied message:
/// `User: arn:aws:iam::123456789012:user/alice is not authorized to perform:
/// s3:GetObject on resource: arn:aws:s3:::b/k because no identity-based
/// policy allows the s3:GetObject action`. Explicit denies read `... with an
/// explicit deny in a resource-based policy`. The resource part is left out
/// for actions without a resource (`*`); an anonymous caller is `anonymous`.
/// For an allowed request the message has no reason.
pub fn access_denied_message(request: &Request, eval: &Evaluation) -> String {
    let p = &request.principal;
    let who = if !p.arn.is_empty() {
        p.arn.as_str()
    } else if let Some(s) = &p.service {
        s.as_str()
    } else if let Some(f) = &p.federated {
        f.as_str()
    } else {
        "anonymous"
    };
    let mut msg = format!(
        "User: {who} is not authorized to perform: {}",
        request.action
    );
    if !request.resource.is_empty() && request.resource != "*" {
        msg.push_str(" on resource: ");
        msg.push_str(&request.resource);
    }
    if let Some(reason) = eval.deny_reason() {
        msg.push_str(if reason.is_explicit() {
            " with "
        } else {
            " because "
        });
        msg.push_str(&reason.phrase(&request.action));
    }
    msg
}
