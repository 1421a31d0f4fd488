//! Account policies: `PutAccountPolicy`, `DescribeAccountPolicies`,
//! `DeleteAccountPolicy`, kept in `logs.account_policies` keyed
//! `account/region/TYPE|name`. Two types act: a `DATA_PROTECTION_POLICY`
//! masks in every group of the region together with the group's own
//! policy, and a `SUBSCRIPTION_FILTER_POLICY` subscribes every group not
//! excluded by its `selectionCriteria` (`LogGroupName NOT IN [...]`).
//! Field index, transformer and metric extraction policies configure
//! features Gureum does not have, so they are refused.

use crate::errors::{invalid, LogsError};
use crate::LogsService;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::ops::ControlFlow;

/// The policy types Gureum acts on.
const TYPES: [&str; 2] = ["DATA_PROTECTION_POLICY", "SUBSCRIPTION_FILTER_POLICY"];

/// An account policy.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AccountPolicy {
    /// The name.
    pub name: String,
    /// `DATA_PROTECTION_POLICY` or `SUBSCRIPTION_FILTER_POLICY`.
    pub policy_type: String,
    /// The document, as given.
    pub document: String,
    /// Which groups it leaves out (`LogGroupName NOT IN [...]`).
    pub selection_criteria: Option<String>,
    /// When it was last set, epoch milliseconds.
    pub updated: i64,
}

impl AccountPolicy {
    /// Whether the policy applies to `group` (its selection criteria do
    /// not exclude it).
    pub(crate) fn applies_to(&self, group: &str) -> bool {
        excluded_groups(self.selection_criteria.as_deref().unwrap_or_default())
            .iter()
            .all(|g| g != group)
    }
}

/// The names in `LogGroupName NOT IN ["a", "b"]`.
fn excluded_groups(criteria: &str) -> Vec<String> {
    let Some((_, list)) = criteria.split_once('[') else {
        return Vec::new();
    };
    let list = list.trim_end().trim_end_matches(']');
    list.split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn key(ctx: &RequestContext, policy_type: &str, name: &str) -> String {
    Scope::regional(ctx).key(&format!("{policy_type}|{name}"))
}

/// The region's policies of `policy_type`.
pub(crate) fn of_type(
    svc: &LogsService,
    ctx: &RequestContext,
    policy_type: &str,
) -> Result<Vec<AccountPolicy>, AwsError> {
    let mut out = Vec::new();
    svc.account_policies
        .visit_prefix(&key(ctx, policy_type, ""), None, |_, p| {
            out.push(p);
            ControlFlow::Continue(())
        })?;
    Ok(out)
}

fn describe_one(ctx: &RequestContext, p: &AccountPolicy) -> Value {
    let mut v = json!({
        "policyName": p.name,
        "policyDocument": p.document,
        "lastUpdatedTime": p.updated,
        "policyType": p.policy_type,
        "scope": "ALL",
        "accountId": ctx.account_id,
    });
    if let Some(c) = &p.selection_criteria {
        v["selectionCriteria"] = json!(c);
    }
    v
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "policyName").unwrap_or_default();
    let policy_type = str_member(input, "policyType").unwrap_or_default();
    if !TYPES.contains(&policy_type) {
        return Err(invalid(format!(
            "Policy type {policy_type} is not supported by Gureum."
        )));
    }
    if str_member(input, "scope").is_some_and(|s| s != "ALL") {
        return Err(invalid("scope must be ALL."));
    }
    let document = str_member(input, "policyDocument").unwrap_or_default();
    let parsed: Value = serde_json::from_str(document)
        .map_err(|_| invalid("Policy document is not valid JSON (Gureum's wording)."))?;
    let criteria = str_member(input, "selectionCriteria").map(str::to_string);
    if policy_type == "SUBSCRIPTION_FILTER_POLICY" {
        let destination = parsed["DestinationArn"].as_str().unwrap_or_default();
        if !destination.starts_with("arn:") {
            return Err(invalid(
                "A subscription filter policy needs a DestinationArn (Gureum's wording).",
            ));
        }
        crate::subscriptions::refuse_absent_streams(destination)?;
        crate::filter_pattern::Pattern::parse(parsed["FilterPattern"].as_str().unwrap_or_default())
            .map_err(|_| invalid("Invalid subscription filter pattern"))?;
        if criteria
            .as_deref()
            .is_some_and(|c| !c.trim_start().starts_with("LogGroupName NOT IN"))
        {
            return Err(invalid(
                "selectionCriteria must be LogGroupName NOT IN [...] (Gureum's wording).",
            ));
        }
    } else if parsed["Statement"].as_array().is_none() {
        return Err(invalid(
            "Invalid data protection policy document: Statement is required (Gureum's wording).",
        ));
    }
    let policy = AccountPolicy {
        name: name.to_string(),
        policy_type: policy_type.to_string(),
        document: document.to_string(),
        selection_criteria: criteria,
        updated: ctx.clock.now_millis(),
    };
    // One policy of each type per account and region: a new name replaces it.
    let existing = of_type(svc, ctx, policy_type)?;
    svc.store.write(|txn| {
        for p in &existing {
            txn.delete(&svc.account_policies, &key(ctx, policy_type, &p.name))?;
        }
        txn.put(&svc.account_policies, &key(ctx, policy_type, name), &policy)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({ "accountPolicy": describe_one(ctx, &policy) }))
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let policy_type = str_member(input, "policyType").unwrap_or_default();
    let name = str_member(input, "policyName");
    let others_only = input
        .get("accountIdentifiers")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            !a.is_empty()
                && !a
                    .iter()
                    .any(|x| x.as_str() == Some(ctx.account_id.as_str()))
        });
    if others_only {
        return Ok(json!({ "accountPolicies": [] }));
    }
    // One policy per type at most: a token never follows.
    if str_member(input, "nextToken").is_some() {
        return Err(invalid("The specified nextToken is invalid."));
    }
    let items: Vec<Value> = of_type(svc, ctx, policy_type)?
        .iter()
        .filter(|p| name.is_none_or(|n| p.name == n))
        .map(|p| describe_one(ctx, p))
        .collect();
    Ok(json!({ "accountPolicies": items }))
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "policyName").unwrap_or_default();
    let policy_type = str_member(input, "policyType").unwrap_or_default();
    if !svc
        .store
        .write(|txn| txn.delete(&svc.account_policies, &key(ctx, policy_type, name)))?
    {
        return Err(LogsError::PolicyNotFound {
            name: name.to_string(),
        }
        .into());
    }
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_criteria_exclude_the_named_groups() {
        let p = AccountPolicy {
            name: "p".into(),
            policy_type: "SUBSCRIPTION_FILTER_POLICY".into(),
            document: "{}".into(),
            selection_criteria: Some(r#"LogGroupName NOT IN ["/a", "/b"]"#.into()),
            updated: 0,
        };
        assert!(!p.applies_to("/a"));
        assert!(!p.applies_to("/b"));
        assert!(p.applies_to("/c"));
    }
}
