//! Group tags (`CreateOrUpdateTags`, `DeleteTags`, `DescribeTags`) and
//! the fixed catalogues (`DescribeAdjustmentTypes`,
//! `DescribeScalingProcessTypes`, `DescribeTerminationPolicyTypes`,
//! `DescribeLifecycleHookTypes`, `DescribeAccountLimits`).

use crate::errors::{group_not_found, validation};
use crate::groups::{GROUP_LIMIT, PROCESSES, TERMINATION_POLICIES};
use crate::hooks::{LAUNCHING, TERMINATING};
use crate::policies::ADJUSTMENT_TYPES;
use crate::records::Tag;
use crate::util::{self, string, strings};
use crate::AutoscalingService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// Launch configurations per region (AWS's default quota).
const CONFIGURATION_LIMIT: u64 = 200;

/// Tags per group (AWS's limit).
const TAG_LIMIT: usize = 50;

/// The `(group, tag)` pairs a request names.
fn requested(input: &Value) -> Result<Vec<(String, Tag)>, AwsError> {
    let mut out = Vec::new();
    for t in input["Tags"].as_array().into_iter().flatten() {
        let group = string(t, "ResourceId").unwrap_or_default();
        if string(t, "ResourceType").is_some_and(|r| r != "auto-scaling-group") {
            return Err(validation(
                "Invalid resource type: only auto-scaling-group is supported.",
            ));
        }
        let key = string(t, "Key").ok_or_else(|| {
            validation("1 validation error detected: Value null at 'tags.member.key' failed to satisfy constraint: Member must not be null")
        })?;
        out.push((
            group.to_string(),
            Tag {
                key: key.to_string(),
                value: string(t, "Value").unwrap_or_default().to_string(),
                propagate: t["PropagateAtLaunch"].as_bool().unwrap_or(false),
            },
        ));
    }
    Ok(out)
}

fn apply(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
    add: bool,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let tags = requested(input)?;
    svc.store.write(|txn| -> Result<(), AwsError> {
        for (group, tag) in tags {
            let key = scope.key(&group);
            let mut g = txn
                .get(&svc.groups, &key)?
                .ok_or_else(|| group_not_found(&group))?;
            g.tags.retain(|t| t.key != tag.key);
            if add {
                g.tags.push(tag);
                if g.tags.len() > TAG_LIMIT {
                    return Err(validation(format!(
                        "The number of tags for {group} would exceed {TAG_LIMIT}."
                    )));
                }
            }
            txn.put(&svc.groups, &key, &g)?;
        }
        Ok(())
    })
}

/// `CreateOrUpdateTags`.
pub(crate) fn create_or_update(
    svc: &AutoscalingService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    apply(svc, ctx, input, true)?;
    Ok(json!({}))
}

/// `DeleteTags`.
pub(crate) fn delete(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    apply(svc, ctx, input, false)?;
    Ok(json!({}))
}

/// `DescribeTags`: filters `auto-scaling-group`, `key`, `value`,
/// `propagate-at-launch`.
pub(crate) fn describe(svc: &AutoscalingService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let filters: Vec<(String, Vec<String>)> = input["Filters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                string(f, "Name").unwrap_or_default().to_string(),
                strings(f, "Values"),
            )
        })
        .collect();
    for (name, _) in &filters {
        if !matches!(
            name.as_str(),
            "auto-scaling-group" | "key" | "value" | "propagate-at-launch"
        ) {
            return Err(validation(format!("Filter type {name} is not correct. Allowed Filter types are: auto-scaling-group key value propagate-at-launch")));
        }
    }
    let mut items = Vec::new();
    for (_, g) in svc.groups.scan_prefix(&scope.prefix())? {
        for t in &g.tags {
            let ok = filters.iter().all(|(name, values)| {
                let v = match name.as_str() {
                    "auto-scaling-group" => g.name.clone(),
                    "key" => t.key.clone(),
                    "value" => t.value.clone(),
                    _ => t.propagate.to_string(),
                };
                values.contains(&v)
            });
            if ok {
                items.push(json!({
                    "ResourceId": g.name, "ResourceType": "auto-scaling-group",
                    "Key": t.key, "Value": t.value, "PropagateAtLaunch": t.propagate,
                }));
            }
        }
    }
    let (items, next) = util::page(input, items, 50)?;
    let mut out = json!({ "Tags": items });
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}

/// `DescribeAdjustmentTypes`.
pub(crate) fn adjustment_types() -> OpResult {
    let items: Vec<Value> = ADJUSTMENT_TYPES
        .iter()
        .map(|t| json!({"AdjustmentType": t}))
        .collect();
    Ok(json!({ "AdjustmentTypes": items }))
}

/// `DescribeScalingProcessTypes`.
pub(crate) fn process_types() -> OpResult {
    let mut names: Vec<&str> = PROCESSES.to_vec();
    names.sort_unstable();
    let items: Vec<Value> = names.iter().map(|p| json!({"ProcessName": p})).collect();
    Ok(json!({ "Processes": items }))
}

/// `DescribeTerminationPolicyTypes`.
pub(crate) fn termination_policy_types() -> OpResult {
    Ok(json!({ "TerminationPolicyTypes": TERMINATION_POLICIES }))
}

/// `DescribeLifecycleHookTypes`.
pub(crate) fn lifecycle_hook_types() -> OpResult {
    Ok(json!({ "LifecycleHookTypes": [LAUNCHING, TERMINATING] }))
}

/// `DescribeAccountLimits`.
pub(crate) fn account_limits(svc: &AutoscalingService, ctx: &RequestContext) -> OpResult {
    let scope = Scope::regional(ctx);
    Ok(json!({
        "MaxNumberOfAutoScalingGroups": GROUP_LIMIT,
        "MaxNumberOfLaunchConfigurations": CONFIGURATION_LIMIT,
        "NumberOfAutoScalingGroups": svc.groups.scan_prefix(&scope.prefix())?.len(),
        "NumberOfLaunchConfigurations": svc.configurations.scan_prefix(&scope.prefix())?.len(),
    }))
}
