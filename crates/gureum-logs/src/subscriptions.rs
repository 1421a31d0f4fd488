//! Subscription filters: `PutSubscriptionFilter`,
//! `DescribeSubscriptionFilters`, `DeleteSubscriptionFilter` (two per
//! group, as AWS allows), and their delivery: after each `PutLogEvents`
//! the events a filter matches go, as AWS's `DATA_MESSAGE` document, to
//! the [`SubscriptionSink`] the service was built with. The server wires
//! in a sink that invokes Lambda functions with AWS's `awslogs.data`
//! (whose policy must allow `logs.amazonaws.com`, checked when the filter
//! is put). Gureum has no Kinesis or Firehose, so filters to those are
//! refused with the error AWS gives when its test delivery fails.

use crate::errors::{invalid, LogsError};
use crate::filter_pattern::Pattern;
use crate::{LogsService, SubscriptionFilter};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::json;
use std::ops::ControlFlow;

/// One delivery: what a subscription filter matched in one batch.
#[derive(Clone, Debug, PartialEq)]
pub struct SubscriptionDelivery {
    /// Where it goes (a Lambda function, Kinesis stream, Firehose
    /// delivery stream or Logs destination ARN).
    pub destination_arn: String,
    /// The role CloudWatch Logs assumes to deliver (Kinesis, Firehose).
    pub role_arn: Option<String>,
    /// `ByLogStream` or `Random`.
    pub distribution: String,
    /// AWS's document, not yet compressed: `messageType` `DATA_MESSAGE`,
    /// `owner`, `logGroup`, `logStream`, `subscriptionFilters` and
    /// `logEvents` (`id`, `timestamp`, `message`). Destinations gzip it
    /// (Lambda receives it base64-encoded in `awslogs.data`).
    pub document: Value,
}

impl SubscriptionDelivery {
    /// The event a Lambda destination receives: `{"awslogs": {"data":
    /// …}}`, the document gzipped and base64-encoded.
    pub fn lambda_event(&self) -> String {
        use base64::Engine;
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to memory does not fail.
        let _ = gz.write_all(self.document.to_string().as_bytes());
        let zipped = gz.finish().unwrap_or_default();
        let data = base64::engine::general_purpose::STANDARD.encode(zipped);
        json!({"awslogs": {"data": data}}).to_string()
    }
}

/// Receives subscription filters' deliveries.
pub trait SubscriptionSink: Send + Sync {
    /// Delivers one batch, in the account and region of `scope`; a sink
    /// never fails the `PutLogEvents` that caused it.
    fn deliver(&self, scope: Scope<'_>, delivery: SubscriptionDelivery);

    /// Whether CloudWatch Logs may deliver to the Lambda function
    /// `function_arn` for the group `group_arn` (its policy must allow
    /// `logs.amazonaws.com`), checked when a filter is put as AWS does;
    /// the answer is the reason it may not.
    fn check_function(
        &self,
        scope: Scope<'_>,
        function_arn: &str,
        group_arn: &str,
    ) -> Result<(), String> {
        let _ = (scope, function_arn, group_arn);
        Ok(())
    }
}

/// The sink while no destination service is wired: drops deliveries.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSubscriptions;

impl SubscriptionSink for NoSubscriptions {
    fn deliver(&self, _scope: Scope<'_>, _delivery: SubscriptionDelivery) {}
}

/// Hands what `group`'s subscription filters match among `events` (stored
/// at `positions`) to the service's sink, one delivery per filter.
pub(crate) fn deliver(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
    stream: &str,
    events: &[crate::StoredEvent],
    positions: &[String],
) -> Result<(), AwsError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut filters = Vec::new();
    svc.subscriptions.visit_prefix(
        &filter_key(ctx, group, ""),
        None,
        |_, f: SubscriptionFilter| {
            filters.push(f);
            ControlFlow::Continue(())
        },
    )?;
    // An account-wide subscription filter policy subscribes every group
    // its selection criteria leave in.
    for p in crate::account_policies::of_type(svc, ctx, "SUBSCRIPTION_FILTER_POLICY")? {
        if !p.applies_to(group) {
            continue;
        }
        let Ok(doc) = serde_json::from_str::<Value>(&p.document) else {
            continue;
        };
        filters.push(SubscriptionFilter {
            name: p.name.clone(),
            group: group.to_string(),
            pattern: doc["FilterPattern"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            destination_arn: doc["DestinationArn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            role_arn: doc["RoleArn"].as_str().map(str::to_string),
            distribution: doc["Distribution"]
                .as_str()
                .unwrap_or("ByLogStream")
                .to_string(),
            creation_time: p.updated,
        });
    }
    for f in filters {
        let Ok(pattern) = Pattern::parse(&f.pattern) else {
            continue;
        };
        let matched: Vec<Value> = events
            .iter()
            .zip(positions)
            .filter(|(e, _)| pattern.matches(&e.message))
            .map(|(e, pos)| {
                json!({
                    "id": crate::events::event_id(pos),
                    "timestamp": e.timestamp,
                    "message": e.message,
                })
            })
            .collect();
        if matched.is_empty() {
            continue;
        }
        svc.subscription_sink().deliver(
            Scope::regional(ctx),
            SubscriptionDelivery {
                destination_arn: f.destination_arn.clone(),
                role_arn: f.role_arn.clone(),
                distribution: f.distribution.clone(),
                document: json!({
                    "messageType": "DATA_MESSAGE",
                    "owner": ctx.account_id,
                    "logGroup": group,
                    "logStream": stream,
                    "subscriptionFilters": [f.name],
                    "logEvents": matched,
                }),
            },
        );
    }
    Ok(())
}

/// Gureum has no Kinesis or Firehose: AWS's test delivery to such a
/// stream fails, and so does the filter (or account policy) naming it.
pub(crate) fn refuse_absent_streams(destination: &str) -> Result<(), AwsError> {
    match destination.split(':').nth(2) {
        Some("kinesis") => Err(invalid(
            "Could not deliver test message to specified Kinesis stream. Check if the given kinesis stream is in ACTIVE state.",
        )),
        Some("firehose") => Err(invalid(
            "Could not deliver test message to specified Firehose stream. Check if the given Firehose stream is in ACTIVE state.",
        )),
        _ => Ok(()),
    }
}

/// Most subscription filters on one group.
const MAX_PER_GROUP: usize = 2;

/// The services a subscription may deliver to.
const DESTINATIONS: [&str; 4] = ["lambda", "kinesis", "firehose", "logs"];

fn filter_key(ctx: &RequestContext, group: &str, name: &str) -> String {
    Scope::regional(ctx).key(&format!("{group}:{name}"))
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let name = str_member(input, "filterName").unwrap_or_default();
    let pattern = str_member(input, "filterPattern").unwrap_or_default();
    Pattern::parse(pattern).map_err(|e| {
        invalid(
            e.aws_reason()
                .unwrap_or("Invalid subscription filter pattern"),
        )
    })?;
    crate::refuse_transformer_members(input, "emitSystemFields")?;
    let destination = str_member(input, "destinationArn").unwrap_or_default();
    let parts: Vec<&str> = destination.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" || !DESTINATIONS.contains(&parts[2]) {
        return Err(invalid(format!(
            "Invalid destination ARN: {destination} (Gureum's wording)"
        )));
    }
    refuse_absent_streams(destination)?;
    if parts[2] == "lambda" {
        let group_arn = format!("{}:*", crate::group_arn(ctx, group));
        svc.subscription_sink()
            .check_function(Scope::regional(ctx), destination, &group_arn)
            .map_err(|_| {
                invalid("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.")
            })?;
    }
    // A Logs destination in this account and region must exist (another
    // account's is that account's to check).
    if parts[2] == "logs" && parts[4] == ctx.account_id && parts[3] == ctx.region {
        if let Some(name) = parts[5].strip_prefix("destination:") {
            crate::destinations::load(svc, ctx, name)?;
        } else {
            return Err(invalid(format!(
                "Invalid destination ARN: {destination} (Gureum's wording)"
            )));
        }
    }
    let record = SubscriptionFilter {
        name: name.to_string(),
        group: group.to_string(),
        pattern: pattern.to_string(),
        destination_arn: destination.to_string(),
        role_arn: str_member(input, "roleArn").map(str::to_string),
        distribution: str_member(input, "distribution")
            .unwrap_or("ByLogStream")
            .to_string(),
        creation_time: ctx.clock.now_millis(),
    };
    let group_key = Scope::regional(ctx).key(group);
    let key = filter_key(ctx, group, name);
    let mut existing = 0;
    svc.subscriptions
        .visit_prefix(&filter_key(ctx, group, ""), None, |_, _| {
            existing += 1;
            ControlFlow::Continue(())
        })?;
    svc.store.write(|txn| {
        if txn.get(&svc.log_groups, &group_key)?.is_none() {
            return Err(AwsError::from(LogsError::LogGroupNotFound));
        }
        if txn.get(&svc.subscriptions, &key)?.is_none() && existing >= MAX_PER_GROUP {
            return Err(LogsError::LimitExceeded {
                message: "Resource limit exceeded.".into(),
            }
            .into());
        }
        txn.put(&svc.subscriptions, &key, &record)?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn describe_one(f: &SubscriptionFilter) -> Value {
    let mut v = json!({
        "filterName": f.name,
        "logGroupName": f.group,
        "filterPattern": f.pattern,
        "destinationArn": f.destination_arn,
        "distribution": f.distribution,
        "creationTime": f.creation_time,
        "applyOnTransformedLogs": false,
    });
    if let Some(r) = &f.role_arn {
        v["roleArn"] = json!(r);
    }
    v
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let prefix = str_member(input, "filterNamePrefix").unwrap_or_default();
    let request = PageRequest::new(
        input.get("limit").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 50),
        50,
    )
    .map_err(|e| match e {
        PagingError::SizeOutOfRange { given, .. } => AwsError::validation(format!(
            "1 validation error detected: Value '{given}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
        )),
        PagingError::BadToken(_) => invalid("The specified nextToken is invalid."),
    })?;
    crate::load_group(svc, ctx, group)?;
    let scan = format!("{}{prefix}", filter_key(ctx, group, ""));
    let page = paging::page(&svc.subscriptions, &scan, &request, |_, f| {
        Some(describe_one(&f))
    })?;
    let mut out = json!({ "subscriptionFilters": page.items });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let name = str_member(input, "filterName").unwrap_or_default();
    crate::load_group(svc, ctx, group)?;
    if !svc
        .store
        .write(|txn| txn.delete(&svc.subscriptions, &filter_key(ctx, group, name)))?
    {
        return Err(LogsError::SubscriptionFilterNotFound.into());
    }
    Ok(json!({}))
}

#[cfg(test)]
mod lambda_event_tests {
    use super::SubscriptionDelivery;
    use serde_json::{json, Value};

    #[test]
    fn a_lambda_event_carries_the_document_gzipped_and_base64_encoded() {
        use base64::Engine;
        use std::io::Read;
        let document = json!({"messageType": "DATA_MESSAGE", "logEvents": [{"message": "m"}]});
        let delivery = SubscriptionDelivery {
            destination_arn: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
            role_arn: None,
            distribution: "ByLogStream".into(),
            document: document.clone(),
        };
        let event: Value = serde_json::from_str(&delivery.lambda_event()).expect("json");
        let zipped = base64::engine::general_purpose::STANDARD
            .decode(event["awslogs"]["data"].as_str().expect("data"))
            .expect("base64");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_string(&mut text)
            .expect("gzip");
        assert_eq!(serde_json::from_str::<Value>(&text).expect("doc"), document);
    }
}

#[cfg(test)]
mod absent_stream_tests {
    #[test]
    fn kinesis_and_firehose_destinations_are_refused_and_lambda_is_not() {
        let refused = |arn: &str| super::refuse_absent_streams(arn).err().map(|e| e.message);
        assert!(refused("arn:aws:kinesis:us-east-1:000000000000:stream/s")
            .is_some_and(|m| m.contains("Kinesis stream")));
        assert!(
            refused("arn:aws:firehose:us-east-1:000000000000:deliverystream/d")
                .is_some_and(|m| m.contains("Firehose stream"))
        );
        assert_eq!(
            refused("arn:aws:lambda:us-east-1:000000000000:function:f"),
            None
        );
    }
}
