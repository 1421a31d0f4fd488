//! `ListPoliciesGrantingServiceAccess`: which of a user's, group's or
//! role's policies allow anything in a service namespace.
//!
//! A policy grants a namespace when one of its `Allow` statements names an
//! action of it (`s3:Get*`, `s*:*`, `*`), or uses `NotAction` without
//! excluding the whole namespace. A user's groups' policies count, with
//! the group as the owning entity. Managed policies appear once, whoever
//! attaches them; inline ones name their owner.

use crate::entity::Entity;
use crate::errors::IamError;
use crate::model::{Group, Role, User};
use crate::util::required;
use crate::IamService;
use gureum_core::arn::wildcard_match;
use gureum_core::{OpResult, RequestContext, Value};
use gureum_policy::{ActionBlock, Effect, Policy};
use serde_json::json;

/// Whether `policy` allows some action in `namespace`.
fn grants(policy: &Policy, namespace: &str) -> bool {
    let in_namespace = |pattern: &str| {
        let service = pattern.split_once(':').map_or(pattern, |(s, _)| s);
        wildcard_match(&service.to_ascii_lowercase(), namespace)
    };
    let excludes_all = |pattern: &str| {
        pattern == "*"
            || pattern.split_once(':').is_some_and(|(s, a)| {
                a == "*" && wildcard_match(&s.to_ascii_lowercase(), namespace)
            })
    };
    policy.statements.iter().any(|s| {
        s.effect == Effect::Allow
            && match &s.actions {
                ActionBlock::Action(patterns) => patterns.iter().any(|p| in_namespace(p)),
                ActionBlock::NotAction(patterns) => !patterns.iter().any(|p| excludes_all(p)),
            }
    })
}

/// One policy of the entity: its listing entry and its parsed document.
struct Held {
    entry: Value,
    policy: std::sync::Arc<Policy>,
}

impl IamService {
    /// The inline and managed policies of `e`, owned by `kind` `name`.
    fn held<E: Entity>(&self, account: &str, e: &mut E, kind: &str, out: &mut Vec<Held>) {
        let name = e.name().to_string();
        for (policy_name, doc) in e.inline().iter() {
            if let Some(policy) = self.parsed.get(doc) {
                out.push(Held {
                    entry: json!({"PolicyName": policy_name, "PolicyType": "INLINE",
                                  "EntityType": kind, "EntityName": name}),
                    policy,
                });
            }
        }
        for arn in e.attached().clone() {
            let Ok(r) = self.find_policy(account, &arn) else {
                continue;
            };
            let seen = out.iter().any(|h| h.entry["PolicyArn"] == json!(arn));
            if let (false, Some(policy)) = (seen, self.parsed.get(r.document())) {
                out.push(Held {
                    entry: json!({"PolicyName": r.name(), "PolicyType": "MANAGED", "PolicyArn": arn}),
                    policy,
                });
            }
        }
    }

    /// `ListPoliciesGrantingServiceAccess` (one page: an entity holds at
    /// most a few dozen policies).
    pub(crate) fn list_policies_granting_service_access(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let arn = required(&input, "Arn")?;
        let invalid = || IamError::InvalidSimulationArn {
            arn: arn.to_string(),
        };
        let (kind, rest) = arn
            .strip_prefix(&format!("arn:aws:iam::{acct}:"))
            .and_then(|r| r.split_once('/'))
            .ok_or_else(invalid)?;
        let name = rest.rsplit('/').next().unwrap_or(rest);
        let mut held = Vec::new();
        match kind {
            "user" => {
                let mut u: User = self.load_entity(acct, name)?;
                self.held(acct, &mut u, "USER", &mut held);
                for g in u.groups.clone() {
                    if let Ok(mut group) = self.load_entity::<Group>(acct, &g) {
                        self.held(acct, &mut group, "GROUP", &mut held);
                    }
                }
            }
            "group" => {
                let mut g: Group = self.load_entity(acct, name)?;
                self.held(acct, &mut g, "GROUP", &mut held);
            }
            "role" => {
                let mut r: Role = self.load_entity(acct, name)?;
                self.held(acct, &mut r, "ROLE", &mut held);
            }
            _ => return Err(invalid().into()),
        }
        let namespaces: Vec<&str> = input
            .get("ServiceNamespaces")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let entries: Vec<Value> = namespaces
            .iter()
            .map(|ns| {
                let ns = ns.to_ascii_lowercase();
                let policies: Vec<&Value> = held
                    .iter()
                    .filter(|h| grants(&h.policy, &ns))
                    .map(|h| &h.entry)
                    .collect();
                json!({"ServiceNamespace": ns, "Policies": policies})
            })
            .collect();
        Ok(json!({ "PoliciesGrantingServiceAccess": entries, "IsTruncated": false }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(statement: &str) -> Policy {
        gureum_policy::validate(
            &format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#),
            gureum_policy::PolicyKind::Identity,
        )
        .expect("policy")
    }

    #[test]
    fn allow_statements_grant_the_namespaces_their_actions_name() {
        let p = policy(r#"{"Effect":"Allow","Action":["s3:Get*","EC2:Describe*"],"Resource":"*"}"#);
        assert!(grants(&p, "s3") && grants(&p, "ec2"));
        assert!(!grants(&p, "iam"));
        let everything = policy(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
        assert!(grants(&everything, "dynamodb"));
        let deny = policy(r#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#);
        assert!(!grants(&deny, "s3"));
        let not = policy(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#);
        assert!(grants(&not, "s3") && !grants(&not, "iam"));
    }
}
