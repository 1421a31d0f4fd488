//! AWS's IAM policy language and evaluation logic, as a pure library.
//!
//! IAM answers one question for every AWS request: *may this principal
//! perform this action on this resource, under these circumstances?* The
//! answer comes from JSON policy documents attached to identities (users,
//! groups, roles), to resources (bucket policies, key policies, role trust
//! policies), and from the limits placed on identities (permissions
//! boundaries, session policies).
//!
//! This crate has no I/O and no async; the caller fetches the policies:
//!
//! 1. [`Policy::parse`] reads a stored document once; [`validate`] applies
//!    IAM's write-time rules for a [`PolicyKind`] and answers with AWS's
//!    `MalformedPolicyDocument` messages ([`PolicyError::message`]).
//! 2. A [`Request`] describes the question: action, resource ARN,
//!    [`RequestPrincipal`] and condition keys ([`ContextKeys`]).
//! 3. [`evaluate()`] decides it against a [`PolicySet`] and returns an
//!    [`Evaluation`]: [`Decision::Allow`], [`Decision::ExplicitDeny`] or
//!    [`Decision::ImplicitDeny`], the [`Reason`] and the statements that
//!    matched. [`access_denied_message`] renders AWS's AccessDenied text.
//!
//! ```
//! use gureum_policy::{evaluate, Policy, PolicySet, Request, RequestPrincipal, Decision};
//!
//! let policy = Policy::parse(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{"Effect": "Allow", "Action": "s3:Get*",
//!                  "Resource": "arn:aws:s3:::photos/${aws:username}/*"}]
//! }"#).expect("valid");
//! let mut req = Request::new(
//!     RequestPrincipal::user("arn:aws:iam::123456789012:user/alice", "123456789012"),
//!     "s3:GetObject",
//!     "arn:aws:s3:::photos/alice/cat.jpg",
//! );
//! req.context.set("aws:username", "alice");
//! let set = PolicySet { identity: std::slice::from_ref(&policy).into(), ..PolicySet::default() };
//! assert_eq!(evaluate(&req, &set).decision, Decision::Allow);
//! ```
//!
//! The modules, in the order a reader meets them: [`policy`] (the grammar),
//! `pattern` (wildcards and policy variables, internal), [`condition`]
//! (operators), [`request`] (the context) and [`evaluate`](mod@evaluate)
//! (the logic).

pub mod condition;
pub mod error;
pub mod evaluate;
mod pattern;
pub mod policy;
pub mod request;
pub mod service;
mod shared;

pub use condition::Condition;
pub use error::PolicyError;
pub use evaluate::{
    access_denied_message, evaluate, resource_policy_required, AllowReason, Decision, DenyReason,
    Evaluation, MatchedStatement, Policies, PolicySet, Reason,
};
pub use policy::{
    validate, ActionBlock, Effect, Policy, PolicyKind, PolicyVersion, PrincipalBlock,
    PrincipalType, Principals, ResourceBlock, Statement,
};
pub use request::{ContextKeys, Request, RequestPrincipal};
pub use service::ServiceCaller;
pub use shared::parse_shared;

/// A convenience alias: condition keys as a plain map, convertible into
/// [`ContextKeys`] with `.into()`.
pub type ContextMap = std::collections::HashMap<String, Vec<String>>;
