//! What is being asked: the request context.
//!
//! AWS authorizes a *request*: a principal (who), an action
//! (`s3:GetObject`), a resource (an ARN, or `*` for actions such as
//! `s3:ListAllMyBuckets` that have no resource type) and a set of
//! *condition keys* describing the circumstances (`aws:SourceIp`,
//! `aws:CurrentTime`, `aws:MultiFactorAuthPresent`, `s3:prefix`, tags, ...).
//!
//! Condition key *names* are case-insensitive (`aws:sourceip` is
//! `aws:SourceIp`); their *values* are case-sensitive. A key may carry several
//! values (`aws:TagKeys`), which is what the `ForAnyValue:`/`ForAllValues:`
//! set operators are for. [`ContextKeys`] keeps the pairs in a small vector
//! and looks names up without allocating.
//!
//! A few keys describe the principal and are derived from
//! [`RequestPrincipal`] when the caller did not set them:
//! `aws:PrincipalArn` (the role ARN for a role session, as AWS does),
//! `aws:PrincipalAccount` and `aws:PrincipalServiceName`.

use std::collections::HashMap;

/// Condition keys and their values. Names compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextKeys {
    entries: Vec<(String, Vec<String>)>,
}

impl ContextKeys {
    /// An empty context.
    pub fn new() -> Self {
        ContextKeys::default()
    }

    /// Sets `key` to the given values, replacing any earlier values of a key
    /// with the same name in any case.
    pub fn insert(&mut self, key: impl Into<String>, values: Vec<String>) {
        let key = key.into();
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        {
            Some(entry) => entry.1 = values,
            None => self.entries.push((key, values)),
        }
    }

    /// Sets `key` to one value.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.insert(key, vec![value.into()]);
    }

    /// Builder form of [`ContextKeys::set`].
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// The values of `key` (any case), if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }

    /// Removes `key` (any case) and returns its values.
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        let pos = self
            .entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))?;
        Some(self.entries.remove(pos).1)
    }

    /// The keys and values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// How many keys are set.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>> FromIterator<(K, Vec<String>)> for ContextKeys {
    fn from_iter<I: IntoIterator<Item = (K, Vec<String>)>>(iter: I) -> Self {
        let mut c = ContextKeys::new();
        for (k, v) in iter {
            c.insert(k, v);
        }
        c
    }
}

impl From<HashMap<String, Vec<String>>> for ContextKeys {
    fn from(map: HashMap<String, Vec<String>>) -> Self {
        map.into_iter().collect()
    }
}

/// Who makes the request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestPrincipal {
    /// The principal's ARN: `arn:aws:iam::123456789012:user/alice`, an
    /// assumed-role session `arn:aws:sts::123456789012:assumed-role/Role/Session`,
    /// `arn:aws:iam::123456789012:root`, or empty for an anonymous caller.
    pub arn: String,
    /// The account the principal belongs to (empty when anonymous).
    pub account_id: String,
    /// Whether this is the account's root user.
    pub is_root: bool,
    /// For role sessions, the role's ARN (`arn:aws:iam::acct:role/path/Role`),
    /// which resource policies may name instead of the session.
    pub role_arn: Option<String>,
    /// For AWS service principals, the service (`lambda.amazonaws.com`).
    pub service: Option<String>,
    /// For web-identity or SAML federated callers, the provider
    /// (`cognito-identity.amazonaws.com`, a SAML provider ARN).
    pub federated: Option<String>,
    /// The S3 canonical user id, matched by `{"CanonicalUser": ...}`.
    pub canonical_user: Option<String>,
}

impl RequestPrincipal {
    /// An IAM user (or the root user when `arn` ends in `:root`).
    pub fn user(arn: impl Into<String>, account_id: impl Into<String>) -> Self {
        let arn = arn.into();
        RequestPrincipal {
            is_root: arn.ends_with(":root"),
            arn,
            account_id: account_id.into(),
            ..RequestPrincipal::default()
        }
    }

    /// A role session: `session_arn` is the `assumed-role` ARN, `role_arn`
    /// the role's IAM ARN.
    pub fn session(
        session_arn: impl Into<String>,
        role_arn: impl Into<String>,
        account_id: impl Into<String>,
    ) -> Self {
        RequestPrincipal {
            arn: session_arn.into(),
            account_id: account_id.into(),
            role_arn: Some(role_arn.into()),
            ..RequestPrincipal::default()
        }
    }

    /// An AWS service acting on its own behalf (`ec2.amazonaws.com`).
    pub fn service(service: impl Into<String>) -> Self {
        RequestPrincipal {
            service: Some(service.into()),
            ..RequestPrincipal::default()
        }
    }

    /// An unsigned request: only `"*"` principals match it.
    pub fn anonymous() -> Self {
        RequestPrincipal::default()
    }

    /// Whether nobody signed the request.
    pub fn is_anonymous(&self) -> bool {
        self.arn.is_empty() && self.service.is_none() && self.federated.is_none()
    }
}

/// One authorization question.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The action, `service:Action` (`s3:GetObject`).
    pub action: String,
    /// The resource ARN, or `*` for actions without a resource type.
    pub resource: String,
    /// Who asks.
    pub principal: RequestPrincipal,
    /// The condition keys of the request.
    pub context: ContextKeys,
}

impl Request {
    /// A request with an empty context.
    pub fn new(
        principal: RequestPrincipal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Request {
            action: action.into(),
            resource: resource.into(),
            principal,
            context: ContextKeys::new(),
        }
    }

    /// The values of a condition key: from the context, else derived from
    /// the principal for `aws:PrincipalArn`, `aws:PrincipalAccount` and
    /// `aws:PrincipalServiceName`.
    pub fn context_value(&self, key: &str) -> Option<&[String]> {
        if let Some(v) = self.context.get(key) {
            return Some(v);
        }
        let p = &self.principal;
        let derived = if key.eq_ignore_ascii_case("aws:PrincipalArn") {
            p.role_arn
                .as_ref()
                .or(Some(&p.arn).filter(|a| !a.is_empty()))
        } else if key.eq_ignore_ascii_case("aws:PrincipalAccount") {
            Some(&p.account_id).filter(|a| !a.is_empty())
        } else if key.eq_ignore_ascii_case("aws:PrincipalServiceName") {
            p.service.as_ref()
        } else {
            None
        };
        derived.map(std::slice::from_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_values_do_not() {
        let mut c = ContextKeys::new();
        c.set("aws:SourceIp", "10.0.0.1");
        assert_eq!(c.get("AWS:SOURCEIP"), Some(&["10.0.0.1".to_string()][..]));
        c.set("aws:sourceip", "10.0.0.2");
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("aws:SourceIp"), Some(&["10.0.0.2".to_string()][..]));
        assert_eq!(c.remove("AWS:sourceIP"), Some(vec!["10.0.0.2".to_string()]));
        assert!(c.is_empty());
    }

    #[test]
    fn principal_keys_are_derived() {
        let r = Request::new(
            RequestPrincipal::session(
                "arn:aws:sts::111122223333:assumed-role/R/s",
                "arn:aws:iam::111122223333:role/R",
                "111122223333",
            ),
            "s3:GetObject",
            "*",
        );
        assert_eq!(
            r.context_value("aws:principalarn"),
            Some(&["arn:aws:iam::111122223333:role/R".to_string()][..])
        );
        assert_eq!(
            r.context_value("aws:PrincipalAccount"),
            Some(&["111122223333".to_string()][..])
        );
        assert_eq!(r.context_value("aws:PrincipalServiceName"), None);
    }
}
