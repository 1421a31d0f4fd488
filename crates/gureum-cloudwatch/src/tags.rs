//! Tags on alarms (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`) and
//! dashboards (`arn:aws:cloudwatch::ACCOUNT:dashboard/NAME`).

use crate::errors::{invalid, missing};
use crate::{CloudWatchError, CloudWatchService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// What an ARN names.
enum Target {
    Alarm(String),
    Dashboard(String),
}

fn target(ctx: &RequestContext, arn: &str) -> Result<Target, AwsError> {
    let not_found = || -> AwsError {
        CloudWatchError::NoSuchResource {
            arn: arn.to_string(),
        }
        .into()
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cloudwatch" {
        return Err(invalid(format!("Invalid ARN: {arn}")));
    }
    if parts[4] != ctx.account_id {
        return Err(not_found());
    }
    if let Some(name) = parts[5].strip_prefix("alarm:") {
        if parts[3] != ctx.region {
            return Err(not_found());
        }
        return Ok(Target::Alarm(name.to_string()));
    }
    if let Some(name) = parts[5].strip_prefix("dashboard/") {
        return Ok(Target::Dashboard(name.to_string()));
    }
    Err(not_found())
}

fn arn_of(input: &Value) -> Result<&str, AwsError> {
    input
        .get("ResourceARN")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("ResourceARN"))
}

/// Changes the tags of what `arn` names.
fn update(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    arn: &str,
    change: impl Fn(&mut Vec<(String, String)>),
) -> Result<(), AwsError> {
    let t = target(ctx, arn)?;
    let not_found = || -> AwsError {
        CloudWatchError::NoSuchResource {
            arn: arn.to_string(),
        }
        .into()
    };
    svc.store.write(|txn| -> Result<(), AwsError> {
        match &t {
            Target::Alarm(n) => {
                let key = Scope::regional(ctx).key(n);
                let mut a = txn.get(&svc.alarms, &key)?.ok_or_else(not_found)?;
                change(&mut a.tags);
                txn.put(&svc.alarms, &key, &a)?;
            }
            Target::Dashboard(n) => {
                let key = Scope::global(ctx).key(n);
                let mut d = txn.get(&svc.dashboards, &key)?.ok_or_else(not_found)?;
                change(&mut d.tags);
                txn.put(&svc.dashboards, &key, &d)?;
            }
        }
        Ok(())
    })
}

/// `TagResource`.
pub(crate) fn tag_resource(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let arn = arn_of(input)?;
    let tags: Vec<(String, String)> = input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t.get("Key")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        t.get("Value")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    update(svc, ctx, arn, |have| {
        for (k, v) in &tags {
            match have.iter_mut().find(|(ek, _)| ek == k) {
                Some(t) => t.1 = v.clone(),
                None => have.push((k.clone(), v.clone())),
            }
        }
    })?;
    Ok(json!({}))
}

/// `UntagResource`.
pub(crate) fn untag_resource(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let arn = arn_of(input)?;
    let keys: Vec<String> = input
        .get("TagKeys")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    update(svc, ctx, arn, |have| {
        have.retain(|(k, _)| !keys.contains(k))
    })?;
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub(crate) fn list_tags_for_resource(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let arn = arn_of(input)?;
    let not_found = || -> AwsError {
        CloudWatchError::NoSuchResource {
            arn: arn.to_string(),
        }
        .into()
    };
    let tags = match target(ctx, arn)? {
        Target::Alarm(n) => {
            svc.alarms
                .get(&Scope::regional(ctx).key(&n))?
                .ok_or_else(not_found)?
                .tags
        }
        Target::Dashboard(n) => {
            svc.dashboards
                .get(&Scope::global(ctx).key(&n))?
                .ok_or_else(not_found)?
                .tags
        }
    };
    let list: Vec<Value> = tags
        .into_iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({ "Tags": list }))
}
