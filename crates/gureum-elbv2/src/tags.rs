//! Tags on load balancers, target groups, listeners and rules:
//! `AddTags`, `RemoveTags`, `DescribeTags` (and `Tags` on `Create*`).

use crate::errors::{validation, Elbv2Error};
use crate::util::{id_of, strings};
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// AWS's limit of tags per resource.
const MAX_TAGS: usize = 50;

/// The `Tags` member as pairs, refusing a key given twice.
pub fn check(input: &Value) -> Result<Vec<(String, String)>, AwsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in input["Tags"].as_array().into_iter().flatten() {
        let key = t["Key"].as_str().unwrap_or_default().to_string();
        if out.iter().any(|(k, _)| *k == key) {
            return Err(Elbv2Error::DuplicateTagKeys { key }.into());
        }
        out.push((key, t["Value"].as_str().unwrap_or_default().to_string()));
    }
    if out.len() > MAX_TAGS {
        return Err(Elbv2Error::TooManyTags.into());
    }
    Ok(out)
}

/// Stores a new resource's `Tags`.
pub fn put_initial(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    arn: &str,
    input: &Value,
) -> Result<(), AwsError> {
    let tags = check(input)?;
    if !tags.is_empty() {
        svc.tags.put(&Scope::regional(ctx).key(arn), &tags)?;
    }
    Ok(())
}

/// Checks the resource an ARN names exists, with its family's error.
fn check_exists(svc: &Elbv2Service, ctx: &RequestContext, arn: &str) -> Result<(), AwsError> {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    if resource.starts_with("loadbalancer/") {
        svc.load_balancer(ctx, arn).map(|_| ())
    } else if resource.starts_with("targetgroup/") {
        svc.target_group(ctx, arn).map(|_| ())
    } else if resource.starts_with("listener/") {
        svc.listener(ctx, arn).map(|_| ())
    } else if resource.starts_with("listener-rule/") {
        svc.rules
            .get(&Scope::regional(ctx).key(id_of(arn)))?
            .filter(|r| r.arn == arn)
            .map(|_| ())
            .ok_or_else(|| Elbv2Error::RuleNotFound.into())
    } else {
        Err(validation(format!("'{arn}' is not a valid resource ARN")))
    }
}

/// `AddTags`.
pub fn add(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let new = check(input)?;
    let scope = Scope::regional(ctx);
    for arn in strings(input, "ResourceArns") {
        check_exists(svc, ctx, &arn)?;
        let mut tags = svc.tags.get(&scope.key(&arn))?.unwrap_or_default();
        for (k, v) in &new {
            match tags.iter_mut().find(|(tk, _)| tk == k) {
                Some(t) => t.1 = v.clone(),
                None => tags.push((k.clone(), v.clone())),
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(Elbv2Error::TooManyTags.into());
        }
        svc.tags.put(&scope.key(&arn), &tags)?;
    }
    Ok(json!({}))
}

/// `RemoveTags`.
pub fn remove(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let keys = strings(input, "TagKeys");
    let scope = Scope::regional(ctx);
    for arn in strings(input, "ResourceArns") {
        check_exists(svc, ctx, &arn)?;
        let mut tags = svc.tags.get(&scope.key(&arn))?.unwrap_or_default();
        tags.retain(|(k, _)| !keys.contains(k));
        svc.tags.put(&scope.key(&arn), &tags)?;
    }
    Ok(json!({}))
}

/// `DescribeTags`.
pub fn describe(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let mut out = Vec::new();
    for arn in strings(input, "ResourceArns") {
        check_exists(svc, ctx, &arn)?;
        let tags = svc.tags.get(&scope.key(&arn))?.unwrap_or_default();
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        out.push(json!({"ResourceArn": arn, "Tags": tags}));
    }
    Ok(json!({"TagDescriptions": out}))
}
