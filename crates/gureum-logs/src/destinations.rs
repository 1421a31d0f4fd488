//! Destinations (cross-account subscription targets): `PutDestination`,
//! `PutDestinationPolicy`, `DescribeDestinations`, `DeleteDestination`,
//! kept in `logs.destinations` keyed `account/region/name`. A
//! subscription filter whose destination is a Logs destination ARN must
//! name one of these; delivery goes through the same
//! [`crate::SubscriptionSink`] as other destinations.

use crate::errors::{invalid, LogsError};
use crate::LogsService;
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;
use std::collections::BTreeMap;

/// A destination.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Destination {
    /// The name.
    pub name: String,
    /// Where it forwards (a Kinesis or Firehose stream ARN).
    pub target_arn: String,
    /// The role CloudWatch Logs assumes to write there.
    pub role_arn: String,
    /// Who may subscribe to it, as given.
    pub access_policy: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Creation time, epoch milliseconds.
    pub creation_time: i64,
}

/// The destination's ARN.
pub(crate) fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:destination:{name}",
        ctx.region, ctx.account_id
    )
}

fn describe_one(ctx: &RequestContext, d: &Destination) -> Value {
    let mut v = json!({
        "destinationName": d.name,
        "targetArn": d.target_arn,
        "roleArn": d.role_arn,
        "arn": arn(ctx, &d.name),
        "creationTime": d.creation_time,
    });
    if let Some(p) = &d.access_policy {
        v["accessPolicy"] = json!(p);
    }
    v
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "destinationName").unwrap_or_default();
    let target = str_member(input, "targetArn").unwrap_or_default();
    let role = str_member(input, "roleArn").unwrap_or_default();
    for (member, value) in [("targetArn", target), ("roleArn", role)] {
        if !value.starts_with("arn:") {
            return Err(invalid(format!(
                "{member} is not a valid ARN: {value} (Gureum's wording)"
            )));
        }
    }
    let tags: BTreeMap<String, String> = input
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let key = Scope::regional(ctx).key(name);
    let now = ctx.clock.now_millis();
    let d = svc.store.write(|txn| {
        let d = match txn.get(&svc.destinations, &key)? {
            // Updating keeps the policy, creation time and tags.
            Some(mut d) => {
                d.target_arn = target.to_string();
                d.role_arn = role.to_string();
                d.tags.extend(tags);
                d
            }
            None => Destination {
                name: name.to_string(),
                target_arn: target.to_string(),
                role_arn: role.to_string(),
                access_policy: None,
                tags,
                creation_time: now,
            },
        };
        txn.put(&svc.destinations, &key, &d)?;
        Ok::<_, AwsError>(d)
    })?;
    Ok(json!({ "destination": describe_one(ctx, &d) }))
}

pub(crate) fn put_policy(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "destinationName").unwrap_or_default();
    let policy = str_member(input, "accessPolicy").unwrap_or_default();
    if serde_json::from_str::<Value>(policy).map_or(true, |v| !v.is_object()) {
        return Err(invalid(
            "accessPolicy is not a valid policy document (Gureum's wording).",
        ));
    }
    update(svc, ctx, name, |d| {
        d.access_policy = Some(policy.to_string());
        Ok(())
    })?;
    Ok(json!({}))
}

/// Reads, changes and writes one destination in a transaction.
pub(crate) fn update(
    svc: &LogsService,
    ctx: &RequestContext,
    name: &str,
    change: impl FnOnce(&mut Destination) -> Result<(), AwsError>,
) -> Result<Destination, AwsError> {
    let key = Scope::regional(ctx).key(name);
    svc.store.write(|txn| {
        let mut d = txn
            .get(&svc.destinations, &key)?
            .ok_or(AwsError::from(LogsError::DestinationNotFound))?;
        change(&mut d)?;
        txn.put(&svc.destinations, &key, &d)?;
        Ok(d)
    })
}

/// The destination of `name` in the caller's region.
pub(crate) fn load(
    svc: &LogsService,
    ctx: &RequestContext,
    name: &str,
) -> Result<Destination, AwsError> {
    svc.destinations
        .get(&Scope::regional(ctx).key(name))?
        .ok_or_else(|| LogsError::DestinationNotFound.into())
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let prefix = str_member(input, "DestinationNamePrefix").unwrap_or_default();
    let request = PageRequest::new(
        input.get("limit").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 50),
        50,
    )
    .map_err(|_| invalid("The specified nextToken is invalid."))?;
    let scan = format!("{}{prefix}", Scope::regional(ctx).prefix());
    let page = paging::page(&svc.destinations, &scan, &request, |_, d| {
        Some(describe_one(ctx, &d))
    })?;
    let mut out = json!({ "destinations": page.items });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = str_member(input, "destinationName").unwrap_or_default();
    if !svc
        .store
        .write(|txn| txn.delete(&svc.destinations, &Scope::regional(ctx).key(name)))?
    {
        return Err(LogsError::DestinationNotFound.into());
    }
    Ok(json!({}))
}
