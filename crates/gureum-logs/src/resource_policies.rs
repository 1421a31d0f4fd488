//! Resource policies: `PutResourcePolicy`, `DescribeResourcePolicies`,
//! `DeleteResourcePolicy`, kept as records in `logs.resource_policies`
//! (account-scoped ones keyed `account/region/|name`, resource-scoped ones
//! `account/region/<arn>|name`). They are what lets EventBridge, Route 53
//! and other services write to a group on AWS; Gureum's own services
//! write through [`crate::LogsService::put_events_from_service`], so the
//! policies are kept and shown, not evaluated.

use crate::errors::{invalid, LogsError};
use crate::LogsService;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::ops::ControlFlow;

/// Most account-scoped resource policies in one region.
const MAX_POLICIES: usize = 10;

/// A resource policy.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ResourcePolicy {
    /// The name (empty for resource-scoped policies named by their ARN).
    pub name: String,
    /// The policy document, as given.
    pub document: String,
    /// The resource it is attached to (resource-scoped policies).
    pub resource_arn: Option<String>,
    /// The revision, changed by every put.
    pub revision: String,
    /// When it was last set, epoch milliseconds.
    pub updated: i64,
}

fn key(ctx: &RequestContext, arn: Option<&str>, name: &str) -> String {
    Scope::regional(ctx).key(&format!("{}|{name}", arn.unwrap_or_default()))
}

fn describe_one(p: &ResourcePolicy) -> Value {
    let mut v = json!({
        "policyName": p.name,
        "policyDocument": p.document,
        "lastUpdatedTime": p.updated,
        "policyScope": if p.resource_arn.is_some() { "RESOURCE" } else { "ACCOUNT" },
        "revisionId": p.revision,
    });
    if let Some(a) = &p.resource_arn {
        v["resourceArn"] = json!(a);
    }
    v
}

/// Refuses a write when `expectedRevisionId` is given and differs.
fn check_revision(input: &Value, current: Option<&ResourcePolicy>) -> Result<(), AwsError> {
    if let Some(expected) = str_member(input, "expectedRevisionId") {
        if current.map(|p| p.revision.as_str()) != Some(expected) {
            return Err(invalid(
                "The expected revision id does not match the policy's current revision (Gureum's wording).",
            ));
        }
    }
    Ok(())
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = str_member(input, "resourceArn");
    let name = str_member(input, "policyName").unwrap_or_default();
    if arn.is_none() && name.is_empty() {
        return Err(invalid("policyName is required (Gureum's wording)."));
    }
    let document = str_member(input, "policyDocument").unwrap_or_default();
    if serde_json::from_str::<Value>(document).map_or(true, |v| !v.is_object()) {
        return Err(invalid(
            "Policy document is not valid JSON (Gureum's wording).",
        ));
    }
    if let Some(a) = arn {
        let group = crate::name_from_identifier(a);
        crate::load_group(svc, ctx, group)?;
    }
    let k = key(ctx, arn, name);
    let mut count = 0;
    svc.resource_policies
        .visit_prefix(&key(ctx, None, ""), None, |_, _| {
            count += 1;
            ControlFlow::Continue(())
        })?;
    let policy = ResourcePolicy {
        name: name.to_string(),
        document: document.to_string(),
        resource_arn: arn.map(str::to_string),
        revision: gureum_core::id::uuid_v4(),
        updated: ctx.clock.now_millis(),
    };
    svc.store.write(|txn| {
        let current = txn.get(&svc.resource_policies, &k)?;
        check_revision(input, current.as_ref())?;
        if current.is_none() && arn.is_none() && count >= MAX_POLICIES {
            return Err(LogsError::LimitExceeded {
                message: "Resource limit exceeded.".into(),
            }
            .into());
        }
        txn.put(&svc.resource_policies, &k, &policy)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({
        "resourcePolicy": describe_one(&policy),
        "revisionId": policy.revision,
    }))
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = str_member(input, "resourceArn");
    let scope = str_member(input, "policyScope");
    let request = gureum_kit::paging::PageRequest::new(
        input.get("limit").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 50),
        50,
    )
    .map_err(|_| invalid("The specified nextToken is invalid."))?;
    let page = gureum_kit::paging::page(
        &svc.resource_policies,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, p: ResourcePolicy| {
            let keep = arn.is_none_or(|a| p.resource_arn.as_deref() == Some(a))
                && scope.is_none_or(|s| (s == "RESOURCE") == p.resource_arn.is_some());
            keep.then(|| describe_one(&p))
        },
    )?;
    let mut out = json!({ "resourcePolicies": page.items });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = str_member(input, "resourceArn");
    let name = str_member(input, "policyName").unwrap_or_default();
    let k = key(ctx, arn, name);
    svc.store.write(|txn| {
        let current = txn.get(&svc.resource_policies, &k)?;
        if current.is_none() {
            return Err(AwsError::from(LogsError::PolicyNotFound {
                name: name.to_string(),
            }));
        }
        check_revision(input, current.as_ref())?;
        txn.delete(&svc.resource_policies, &k)?;
        Ok(())
    })?;
    Ok(json!({}))
}
