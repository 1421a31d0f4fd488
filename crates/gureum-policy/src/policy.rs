//! The policy document: grammar, parsing and validation.
//!
//! An IAM policy is a JSON object:
//!
//! ```json
//! {
//!   "Version": "2012-10-17",
//!   "Id": "optional",
//!   "Statement": [
//!     {
//!       "Sid": "ReadHome",
//!       "Effect": "Allow",
//!       "Action": ["s3:GetObject", "s3:PutObject"],
//!       "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*",
//!       "Condition": {"Bool": {"aws:SecureTransport": "true"}}
//!     }
//!   ]
//! }
//! ```
//!
//! * `Version` selects the language: `2012-10-17` (current; policy variables
//!   are substituted) or `2008-10-17` (legacy, the default when absent).
//! * `Statement` is one object or a list of them. Each has an `Effect`
//!   (`Allow`/`Deny`), exactly one of `Action`/`NotAction`, usually one of
//!   `Resource`/`NotResource`, in resource-based policies one of
//!   `Principal`/`NotPrincipal`, and an optional `Condition`.
//! * Single values may be written as a string instead of a one-element list.
//!
//! [`Policy::parse`] reads any well-formed document (it is what the
//! evaluator uses for stored policies). [`validate`] adds the rules IAM
//! applies when a policy is *written* (CreatePolicy, PutBucketPolicy,
//! CreateRole's trust policy, ...), which depend on the [`PolicyKind`]:
//! identity-based policies must not name a principal and need a resource,
//! resource-based and trust policies must name a principal, unknown elements
//! and condition operators are refused, actions need a `service:` prefix.

use serde_json::{Map, Value};

use crate::condition::Condition;
use crate::error::PolicyError;

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PolicyVersion {
    /// `2008-10-17`, the legacy language (the default when `Version` is
    /// absent); `${...}` is plain text.
    #[default]
    V2008,
    /// `2012-10-17`, the current language with policy variables.
    V2012,
}

impl PolicyVersion {
    /// The version string.
    pub fn as_str(&self) -> &'static str {
        match self {
            PolicyVersion::V2008 => "2008-10-17",
            PolicyVersion::V2012 => "2012-10-17",
        }
    }

    /// Whether policy variables are substituted.
    pub fn has_variables(&self) -> bool {
        *self == PolicyVersion::V2012
    }
}

/// Whether a statement allows or denies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// The actions a statement covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionBlock {
    /// `Action`: the listed patterns.
    Action(Vec<String>),
    /// `NotAction`: every action except the listed patterns.
    NotAction(Vec<String>),
}

/// The resources a statement covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceBlock {
    /// `Resource`: the listed ARN patterns.
    Resource(Vec<String>),
    /// `NotResource`: every resource except the listed patterns.
    NotResource(Vec<String>),
}

/// The kind of a principal in a `Principal` map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalType {
    /// `"AWS"`: accounts, users, roles, role sessions, or `*`.
    Aws,
    /// `"Service"`: AWS services such as `ec2.amazonaws.com`.
    Service,
    /// `"Federated"`: web identity or SAML providers.
    Federated,
    /// `"CanonicalUser"`: S3 canonical user ids.
    CanonicalUser,
}

impl PrincipalType {
    /// The JSON key.
    pub fn as_str(&self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "AWS" => PrincipalType::Aws,
            "Service" => PrincipalType::Service,
            "Federated" => PrincipalType::Federated,
            "CanonicalUser" => PrincipalType::CanonicalUser,
            _ => return None,
        })
    }
}

/// The value of a `Principal` or `NotPrincipal` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principals {
    /// `"*"`: everyone, including anonymous callers.
    Any,
    /// A map such as `{"AWS": ["123456789012", "arn:aws:iam::...:role/R"]}`.
    Map(Vec<(PrincipalType, Vec<String>)>),
}

/// The principals a statement covers (resource-based policies only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalBlock {
    /// `Principal`: the listed principals.
    Principal(Principals),
    /// `NotPrincipal`: everyone except the listed principals.
    NotPrincipal(Principals),
}

/// One statement of a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// The statement id, if any.
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub actions: ActionBlock,
    /// `Resource` or `NotResource`; `None` means every resource (as in role
    /// trust policies).
    pub resources: Option<ResourceBlock>,
    /// `Principal` or `NotPrincipal`, if present.
    pub principals: Option<PrincipalBlock>,
    /// The conditions, all of which must hold.
    pub conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// The language version.
    pub version: PolicyVersion,
    /// The optional `Id`.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
}

/// Which kind of policy a document is, for [`validate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a user, group or role (inline or managed).
    Identity,
    /// Attached to a resource (bucket policy, key policy, queue policy).
    Resource,
    /// A role's trust policy: a resource-based policy on the role whose
    /// actions are `sts:AssumeRole*`.
    Trust,
    /// A permissions boundary (a managed policy used as a boundary).
    Boundary,
    /// A session policy passed to AssumeRole or GetFederationToken.
    Session,
}

impl PolicyKind {
    fn is_identity_like(self) -> bool {
        matches!(
            self,
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Session
        )
    }
}

impl Policy {
    /// Parses a policy document. Refuses what cannot be read (bad JSON,
    /// wrong types, a missing `Statement`, `Effect` or `Action`), but not
    /// unknown elements or operators; use [`validate`] for IAM's write-time
    /// rules.
    pub fn parse(json: &str) -> Result<Policy, PolicyError> {
        parse_document(json, None)
    }
}

/// Parses `json` and applies IAM's rules for a policy of `kind`, answering
/// with the `MalformedPolicyDocument` message AWS would give. Size limits
/// are the caller's business.
pub fn validate(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    parse_document(json, Some(kind))
}

fn parse_document(json: &str, kind: Option<PolicyKind>) -> Result<Policy, PolicyError> {
    let value: Value = serde_json::from_str(json).map_err(|_| PolicyError::Syntax)?;
    let Value::Object(top) = value else {
        return Err(PolicyError::Syntax);
    };
    let strict = kind.is_some();
    let mut version = PolicyVersion::V2008;
    let mut id = None;
    let mut statement = None;
    for (k, v) in &top {
        match k.as_str() {
            "Version" => {
                version = match v.as_str() {
                    Some("2012-10-17") => PolicyVersion::V2012,
                    Some("2008-10-17") => PolicyVersion::V2008,
                    _ => return Err(PolicyError::InvalidVersion),
                }
            }
            "Id" => id = Some(v.as_str().ok_or(PolicyError::Syntax)?.to_string()),
            "Statement" => statement = Some(v),
            other if strict => return Err(PolicyError::UnknownField(other.to_string())),
            _ => {}
        }
    }
    let statement = statement.ok_or(PolicyError::MissingField("Statement"))?;
    let raw: Vec<&Map<String, Value>> = match statement {
        Value::Object(m) => vec![m],
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_object().ok_or(PolicyError::Syntax))
            .collect::<Result<_, _>>()?,
        _ => return Err(PolicyError::Syntax),
    };
    if strict && raw.is_empty() {
        return Err(PolicyError::Syntax);
    }
    let mut statements = Vec::with_capacity(raw.len());
    for m in raw {
        statements.push(parse_statement(m, kind, version)?);
    }
    if let Some(kind) = kind {
        check_sids(&statements, kind)?;
    }
    Ok(Policy {
        version,
        id,
        statements,
    })
}

fn check_sids(statements: &[Statement], kind: PolicyKind) -> Result<(), PolicyError> {
    for (i, s) in statements.iter().enumerate() {
        let Some(sid) = s.sid.as_deref() else {
            continue;
        };
        if kind.is_identity_like() && !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PolicyError::InvalidSid);
        }
        if !sid.is_empty()
            && statements[..i]
                .iter()
                .any(|o| o.sid.as_deref() == Some(sid))
        {
            return Err(PolicyError::DuplicateSid);
        }
    }
    Ok(())
}

/// A string or a list of strings.
fn string_list(v: &Value) -> Result<Vec<String>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or(PolicyError::Syntax))
            .collect(),
        _ => Err(PolicyError::Syntax),
    }
}

/// A condition value: a string, number or boolean, or a list of them.
fn condition_values(v: &Value) -> Result<Vec<String>, PolicyError> {
    fn scalar(v: &Value) -> Result<String, PolicyError> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            _ => Err(PolicyError::Syntax),
        }
    }
    match v {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn parse_statement(
    m: &Map<String, Value>,
    kind: Option<PolicyKind>,
    version: PolicyVersion,
) -> Result<Statement, PolicyError> {
    let strict = kind.is_some();
    let mut sid = None;
    let mut effect = None;
    let mut actions = None;
    let mut resources = None;
    let mut principals = None;
    let mut conditions = Vec::new();
    for (k, v) in m {
        match k.as_str() {
            "Sid" => sid = Some(v.as_str().ok_or(PolicyError::Syntax)?.to_string()),
            "Effect" => {
                effect = Some(match v.as_str() {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    _ => return Err(PolicyError::Syntax),
                })
            }
            "Action" | "NotAction" => {
                if actions.is_some() {
                    return Err(PolicyError::Syntax);
                }
                let list = string_list(v)?;
                if list.is_empty() {
                    return Err(PolicyError::MissingActions);
                }
                if strict {
                    for a in &list {
                        check_action(a)?;
                    }
                }
                actions = Some(if k == "Action" {
                    ActionBlock::Action(list)
                } else {
                    ActionBlock::NotAction(list)
                });
            }
            "Resource" | "NotResource" => {
                if resources.is_some() {
                    return Err(PolicyError::Syntax);
                }
                let list = string_list(v)?;
                if strict {
                    if list.is_empty() {
                        return Err(PolicyError::MissingField("Resource"));
                    }
                    for r in &list {
                        check_resource(r, version)?;
                    }
                }
                resources = Some(if k == "Resource" {
                    ResourceBlock::Resource(list)
                } else {
                    ResourceBlock::NotResource(list)
                });
            }
            "Principal" | "NotPrincipal" => {
                if principals.is_some() {
                    return Err(PolicyError::Syntax);
                }
                let p = parse_principals(v, strict)?;
                principals = Some(if k == "Principal" {
                    PrincipalBlock::Principal(p)
                } else {
                    PrincipalBlock::NotPrincipal(p)
                });
            }
            "Condition" => conditions = parse_conditions(v, strict)?,
            other if strict => return Err(PolicyError::UnknownField(other.to_string())),
            _ => {}
        }
    }
    let effect = effect.ok_or(PolicyError::MissingField("Effect"))?;
    let actions = actions.ok_or(PolicyError::MissingActions)?;
    if let Some(kind) = kind {
        if kind.is_identity_like() {
            if principals.is_some() {
                return Err(PolicyError::PrincipalNotAllowed);
            }
            if resources.is_none() {
                return Err(PolicyError::MissingField("Resource"));
            }
        } else {
            if principals.is_none() {
                return Err(PolicyError::MissingField("Principal"));
            }
            if kind == PolicyKind::Trust && resources.is_some() {
                return Err(PolicyError::ProhibitedField("Resource"));
            }
            if kind == PolicyKind::Resource && resources.is_none() {
                return Err(PolicyError::MissingField("Resource"));
            }
        }
    }
    Ok(Statement {
        sid,
        effect,
        actions,
        resources,
        principals,
        conditions,
    })
}

/// `*`, or `service:pattern` with a non-empty service.
fn check_action(a: &str) -> Result<(), PolicyError> {
    if a == "*" {
        return Ok(());
    }
    match a.split_once(':') {
        Some((svc, rest)) if !svc.is_empty() && !rest.is_empty() => {
            if svc
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*' || b == b'?')
            {
                Ok(())
            } else {
                Err(PolicyError::MissingVendor)
            }
        }
        _ => Err(PolicyError::MissingVendor),
    }
}

/// `*` or something that starts like an ARN.
fn check_resource(r: &str, version: PolicyVersion) -> Result<(), PolicyError> {
    if r == "*" || r.starts_with("arn:") || r.starts_with("arn*") {
        return Ok(());
    }
    match version {
        PolicyVersion::V2012 => Err(PolicyError::InvalidResource(r.to_string())),
        PolicyVersion::V2008 => Err(PolicyError::LegacyParsing),
    }
}

fn parse_principals(v: &Value, strict: bool) -> Result<Principals, PolicyError> {
    match v {
        Value::String(s) if s == "*" => Ok(Principals::Any),
        Value::String(s) if strict => Err(PolicyError::InvalidPrincipal(format!("\"{s}\""))),
        Value::Object(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let Some(t) = PrincipalType::parse(k) else {
                    if strict {
                        return Err(PolicyError::InvalidPrincipal(format!("\"{k}\"")));
                    }
                    continue;
                };
                let list = string_list(v)?;
                if strict {
                    for p in &list {
                        check_principal(t, p)?;
                    }
                }
                out.push((t, list));
            }
            if strict && out.is_empty() {
                return Err(PolicyError::Syntax);
            }
            Ok(Principals::Map(out))
        }
        _ => Err(PolicyError::Syntax),
    }
}

fn check_principal(t: PrincipalType, p: &str) -> Result<(), PolicyError> {
    let ok = match t {
        PrincipalType::Aws => {
            p == "*"
                || (p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()))
                || (p.starts_with("arn:") && !p.contains('*') && p.split(':').count() >= 6)
        }
        PrincipalType::Service => !p.is_empty() && !p.contains(char::is_whitespace),
        PrincipalType::Federated | PrincipalType::CanonicalUser => !p.is_empty(),
    };
    if ok {
        Ok(())
    } else {
        Err(PolicyError::InvalidPrincipal(format!(
            "\"{}\":\"{}\"",
            t.as_str(),
            p
        )))
    }
}

fn parse_conditions(v: &Value, strict: bool) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(ops) = v else {
        return Err(PolicyError::Syntax);
    };
    let mut out = Vec::new();
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return Err(PolicyError::Syntax);
        };
        for (key, values) in keys {
            let c = Condition::new(op.as_str(), key.as_str(), condition_values(values)?);
            if strict {
                if !c.is_known_operator() {
                    return Err(PolicyError::InvalidConditionType(op.clone()));
                }
                match key.split_once(':') {
                    Some((vendor, name)) if !vendor.is_empty() && !name.is_empty() => {}
                    _ => return Err(PolicyError::MissingVendor),
                }
            }
            out.push(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_values_and_lists() {
        let p = Policy::parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["a","b"],
               "Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}}}"#,
        )
        .expect("parses");
        assert_eq!(p.version, PolicyVersion::V2012);
        let s = &p.statements[0];
        assert_eq!(s.actions, ActionBlock::Action(vec!["s3:*".into()]));
        assert_eq!(
            s.resources,
            Some(ResourceBlock::Resource(vec!["a".into(), "b".into()]))
        );
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[0].values, vec!["10".to_string()]);
        assert_eq!(s.conditions[1].values, vec!["true".to_string()]);
    }

    #[test]
    fn version_defaults_to_legacy() {
        let p = Policy::parse(r#"{"Statement":[{"Effect":"Deny","NotAction":"iam:*"}]}"#)
            .expect("parses");
        assert_eq!(p.version, PolicyVersion::V2008);
        assert_eq!(p.version.as_str(), "2008-10-17");
    }

    #[test]
    fn principal_forms() {
        let p = Policy::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
               "Principal":{"AWS":["111122223333"],"Service":"ec2.amazonaws.com"}}]}"#,
        )
        .expect("parses");
        match &p.statements[0].principals {
            Some(PrincipalBlock::Principal(Principals::Map(m))) => {
                assert_eq!(m.len(), 2);
                assert_eq!(m[1].0, PrincipalType::Service);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
