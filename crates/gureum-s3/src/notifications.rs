//! Event notifications: `PutBucketNotificationConfiguration` /
//! `GetBucketNotificationConfiguration`, and the messages objects' changes
//! send.
//!
//! - `QueueConfigurations`: SQS queues, delivered through
//!   `gureum_sqs::SqsService::deliver` as `s3.amazonaws.com` on behalf of
//!   the bucket (`aws:SourceArn` = the bucket's ARN), so the queue's policy
//!   must allow it, as on AWS. A configuration is validated by sending each
//!   queue an `s3:TestEvent` (unless `x-amz-skip-destination-validation`);
//!   a queue that refuses fails the request with AWS's
//!   "Unable to validate the following destination configurations".
//!   Records are AWS's event message structure, version 2.1.
//! - `EventBridgeConfiguration`: every event goes to the account's default
//!   bus through the kit's `ServiceEvents` (`aws.s3`, "Object Created" /
//!   "Object Deleted").
//! - `TopicConfigurations`: SNS topics, published to through
//!   [`crate::destinations::NotificationTargets`] as `s3.amazonaws.com`
//!   (subject "Amazon S3 Notification"), validated with an `s3:TestEvent`
//!   as queues are.
//! - `LambdaFunctionConfigurations`: functions invoked asynchronously as
//!   `s3.amazonaws.com` with the records as the event; validated by the
//!   function's policy alone (AWS sends functions no test event).
//!
//! Events emitted: `s3:ObjectCreated:Put`, `:Post` (browser uploads),
//! `:Copy`, `:CompleteMultipartUpload`, `s3:ObjectRemoved:Delete` and
//! `:DeleteMarkerCreated`, `s3:ObjectTagging:Put` and `:Delete`,
//! `s3:ObjectAcl:Put`. A configuration naming another event type
//! (restores, lifecycle, replication, Intelligent-Tiering) is refused with
//! `NotImplemented` naming it, rather than accepted and never sent.
//!
//! Messages are sent after the change commits, in the request; a queue
//! that refuses later is logged and skipped (AWS drops them too).

use crate::{str_member, BucketEntry, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::service_events::{ServiceEvent, ServiceEvents};
use gureum_sqs::{ServiceMessage, ServiceSender, SqsService};
use serde_json::{json, Map};
use std::sync::Arc;

/// The service principal S3 sends as.
pub const S3_PRINCIPAL: &str = "s3.amazonaws.com";

/// The input member the server's browser-POST layer sets on the
/// `PutObject` it makes (not a model member, so no request can send it):
/// the upload notifies `s3:ObjectCreated:Post`.
pub const FORM_UPLOAD: &str = "GureumFormUpload";

/// Where notifications go, as the server wires them.
pub struct Notifier {
    /// SQS, for queue configurations.
    pub sqs: Arc<SqsService>,
    /// EventBridge's default bus, for `EventBridgeConfiguration`.
    pub events: Arc<dyn ServiceEvents>,
    /// SNS topics and Lambda functions (none: those configurations are
    /// refused as not implemented).
    pub targets: Option<Arc<dyn crate::destinations::NotificationTargets>>,
}

/// Where a configuration sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Queue,
    Topic,
    Function,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Queue, Kind::Topic, Kind::Function];

    /// The configuration's list in `NotificationConfiguration`.
    fn list(self) -> &'static str {
        match self {
            Kind::Queue => "QueueConfigurations",
            Kind::Topic => "TopicConfigurations",
            Kind::Function => "LambdaFunctionConfigurations",
        }
    }

    /// The member naming its destination.
    fn arn_member(self) -> &'static str {
        match self {
            Kind::Queue => "QueueArn",
            Kind::Topic => "TopicArn",
            Kind::Function => "LambdaFunctionArn",
        }
    }

    /// The destination ARN's service.
    fn service(self) -> &'static str {
        match self {
            Kind::Queue => "sqs",
            Kind::Topic => "sns",
            Kind::Function => "lambda",
        }
    }
}

/// The event types Gureum sends.
const EMITTED: &[&str] = &[
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
];

/// AWS's other event types: valid, but not sent by Gureum yet.
const NOT_EMITTED: &[&str] = &[
    "s3:ReducedRedundancyLostObject",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
];

fn invalid(message: &str, name: &str, value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: message.into(),
        name: name.into(),
        value: value.into(),
    }
    .into()
}

/// One configuration (queue, topic or function), validated.
#[derive(Clone, Debug, PartialEq)]
struct Rule {
    kind: Kind,
    id: String,
    arn: String,
    events: Vec<String>,
    prefix: Option<String>,
    suffix: Option<String>,
}

impl Rule {
    /// The configuration as S3 shows it.
    fn to_value(&self) -> Value {
        let mut v = json!({"Id": self.id, self.kind.arn_member(): self.arn, "Events": self.events});
        let mut rules = Vec::new();
        if let Some(p) = &self.prefix {
            rules.push(json!({"Name": "Prefix", "Value": p}));
        }
        if let Some(s) = &self.suffix {
            rules.push(json!({"Name": "Suffix", "Value": s}));
        }
        if !rules.is_empty() {
            v["Filter"] = json!({"Key": {"FilterRules": rules}});
        }
        v
    }

    fn from_value(kind: Kind, v: &Value) -> Option<Rule> {
        let rules = v["Filter"]["Key"]["FilterRules"].as_array();
        let rule = |name: &str| {
            rules.and_then(|r| {
                r.iter()
                    .find(|f| f["Name"] == name)
                    .and_then(|f| f["Value"].as_str())
                    .map(str::to_string)
            })
        };
        Some(Rule {
            kind,
            id: v["Id"].as_str()?.to_string(),
            arn: v[kind.arn_member()].as_str()?.to_string(),
            events: v["Events"]
                .as_array()?
                .iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect(),
            prefix: rule("Prefix"),
            suffix: rule("Suffix"),
        })
    }

    /// Whether an `event` (`ObjectCreated:Put`) on `key` is for this rule.
    fn wants(&self, event: &str, key: &str) -> bool {
        self.events.iter().any(|e| event_matches(e, event))
            && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
            && self.suffix.as_deref().is_none_or(|s| key.ends_with(s))
    }
}

/// Whether configured type `pattern` (`s3:ObjectCreated:*`) covers `event`
/// (`ObjectCreated:Put`).
fn event_matches(pattern: &str, event: &str) -> bool {
    let Some(p) = pattern.strip_prefix("s3:") else {
        return false;
    };
    match p.strip_suffix('*') {
        Some(family) => event.starts_with(family),
        None => p == event,
    }
}

/// Whether two configured types can name one event.
fn types_overlap(a: &str, b: &str) -> bool {
    let family = |t: &str| t.rsplit_once(':').map_or(t, |(f, _)| f).to_string();
    a == b || (family(a) == family(b) && (a.ends_with(":*") || b.ends_with(":*")))
}

/// One configuration of the request, validated.
fn parse_rule(kind: Kind, v: &Value) -> Result<Rule, AwsError> {
    let arn = str_member(v, kind.arn_member()).unwrap_or_default();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != kind.service() || parts[5].is_empty() {
        return Err(invalid(
            "The ARN could not be parsed",
            kind.arn_member(),
            arn,
        ));
    }
    let events: Vec<String> = v["Events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if events.is_empty() {
        return Err(S3Error::MalformedXml.into());
    }
    for e in &events {
        if NOT_EMITTED.contains(&e.as_str()) {
            return Err(S3Error::NotImplementedParameter {
                parameter: format!("notifications of {e}"),
                header: "Event".into(),
            }
            .into());
        }
        if !EMITTED.contains(&e.as_str()) {
            return Err(invalid(
                "The event is not supported for notifications",
                "Event",
                e,
            ));
        }
    }
    let (mut prefix, mut suffix) = (None, None);
    if let Some(rules) = v["Filter"]["Key"]["FilterRules"].as_array() {
        for r in rules {
            let name = r["Name"].as_str().unwrap_or_default();
            let value = r["Value"].as_str().unwrap_or_default().to_string();
            let slot = match name.to_ascii_lowercase().as_str() {
                "prefix" => &mut prefix,
                "suffix" => &mut suffix,
                _ => {
                    return Err(invalid(
                        "filter rule name must be either prefix or suffix",
                        "FilterRule.Name",
                        name,
                    ))
                }
            };
            if slot.is_some() {
                return Err(invalid(
                    &format!(
                        "Cannot specify more than one {} rule in a filter.",
                        name.to_ascii_lowercase()
                    ),
                    "FilterRule.Name",
                    name,
                ));
            }
            if value.len() > 1024 {
                return Err(invalid(
                    "Size of filter rule value cannot exceed 1024 bytes in UTF-8 representation",
                    "FilterRule.Value",
                    &value,
                ));
            }
            *slot = Some(value);
        }
    }
    let id = str_member(v, "Id")
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .unwrap_or_else(gureum_core::id::uuid_v4);
    Ok(Rule {
        kind,
        id,
        arn: arn.to_string(),
        events,
        prefix,
        suffix,
    })
}

/// AWS's refusal of two configurations one event could trigger both of.
fn check_overlaps(rules: &[Rule]) -> Result<(), AwsError> {
    let overlap = |a: &Option<String>, b: &Option<String>, starts: bool| match (a, b) {
        (Some(a), Some(b)) if starts => a.starts_with(b.as_str()) || b.starts_with(a.as_str()),
        (Some(a), Some(b)) => a.ends_with(b.as_str()) || b.ends_with(a.as_str()),
        _ => true,
    };
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            let shared = a.events.iter().find_map(|x| {
                b.events
                    .iter()
                    .find(|y| types_overlap(x, y))
                    .map(|y| (x, y))
            });
            let Some((x, y)) = shared else {
                continue;
            };
            let unfiltered = |r: &Rule| r.prefix.is_none() && r.suffix.is_none();
            if unfiltered(a) && unfiltered(b) {
                return Err(invalid(
                    "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                    "Event",
                    &format!("{x}, {y}"),
                ));
            }
            if overlap(&a.prefix, &b.prefix, true) && overlap(&a.suffix, &b.suffix, false) {
                return Err(invalid(
                    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are overlapping for the same event type.",
                    "Event",
                    &format!("{x}, {y}"),
                ));
            }
        }
    }
    Ok(())
}

/// What happened to an object, for its notifications.
#[derive(Clone, Debug)]
pub struct ObjectEvent<'a> {
    /// `ObjectCreated:Put`, `ObjectRemoved:DeleteMarkerCreated`, …
    pub name: &'a str,
    /// The operation, as EventBridge's `reason` names it (`PutObject`).
    pub reason: &'a str,
    /// The object's key.
    pub key: &'a str,
    /// Its size (created objects).
    pub size: Option<u64>,
    /// Its ETag, unquoted (created objects).
    pub etag: Option<&'a str>,
    /// Its version id (or the delete marker's), in a versioned bucket.
    pub version_id: Option<&'a str>,
    /// Orders the events of one key (the version's sequence number).
    pub sequencer: u64,
}

/// An event's key as S3 writes it in records: URL-encoded as a form
/// value (a space is `+`), `/` kept.
fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'*')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP)
        .to_string()
        .replace(' ', "+")
}

/// The `principalId` S3 writes for a requester: `AWS:` and the IAM
/// unique id (with the session name for a role session), the account for
/// its root user.
fn principal_id(ctx: &RequestContext) -> String {
    use gureum_core::Principal;
    match &ctx.principal {
        Principal::Root { account_id } => account_id.clone(),
        Principal::User { user_id, .. } => format!("AWS:{user_id}"),
        Principal::AssumedRole {
            role_id,
            session_name,
            ..
        } => format!("AWS:{role_id}:{session_name}"),
        Principal::Anonymous => "Anonymous".into(),
    }
}

impl S3Service {
    /// Sends S3's notifications through `notifier` (SQS and EventBridge).
    pub fn with_notifications(mut self, notifier: Notifier) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Sends `body` to queue `arn` as S3 for `bucket` (owned by `owner`).
    fn send_to_queue(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        owner: &str,
        arn: &str,
        body: &str,
    ) -> Result<(), AwsError> {
        let Some(n) = &self.notifier else {
            return Err(S3Error::InternalError.into());
        };
        let source_arn = format!("arn:aws:s3:::{bucket}");
        let sender = ServiceSender {
            service: S3_PRINCIPAL,
            source_arn: &source_arn,
            source_account: owner,
        };
        let message = ServiceMessage {
            queue_arn: arn,
            body,
            ..ServiceMessage::default()
        };
        n.sqs.deliver(&ctx.clock, &sender, &message).map(|_| ())
    }

    fn targets(&self) -> Option<&Arc<dyn crate::destinations::NotificationTargets>> {
        self.notifier.as_ref().and_then(|n| n.targets.as_ref())
    }

    /// Sends `body` to `rule`'s destination as S3 for `bucket`.
    fn send(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        owner: &str,
        rule: &Rule,
        body: &str,
    ) -> Result<(), AwsError> {
        if rule.kind == Kind::Queue {
            return self.send_to_queue(ctx, bucket, owner, &rule.arn, body);
        }
        let Some(targets) = self.targets() else {
            return Err(S3Error::InternalError.into());
        };
        let source_arn = format!("arn:aws:s3:::{bucket}");
        let sender = ServiceSender {
            service: S3_PRINCIPAL,
            source_arn: &source_arn,
            source_account: owner,
        };
        match rule.kind {
            Kind::Topic => targets.publish(
                &ctx.clock,
                &sender,
                &rule.arn,
                crate::destinations::SNS_SUBJECT,
                body,
            ),
            _ => targets.invoke_async(&sender, &rule.arn, body),
        }
    }

    /// Checks `rule`'s destination as AWS does: a test event to queues and
    /// topics, the resource policy of functions. The error is AWS's
    /// reason, shown as the destination's `ArgumentValue`.
    fn validate(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        owner: &str,
        rule: &Rule,
        test: &str,
    ) -> Result<(), String> {
        if rule.kind == Kind::Function {
            let source_arn = format!("arn:aws:s3:::{bucket}");
            let sender = ServiceSender {
                service: S3_PRINCIPAL,
                source_arn: &source_arn,
                source_account: owner,
            };
            let allowed = self
                .targets()
                .is_some_and(|t| t.may_invoke(&sender, &rule.arn).is_ok());
            return match allowed {
                true => Ok(()),
                false => Err(format!("Not authorized to invoke function [{}]", rule.arn)),
            };
        }
        let Err(e) = self.send(ctx, bucket, owner, rule, test) else {
            return Ok(());
        };
        let what = if rule.kind == Kind::Queue {
            "queue"
        } else {
            "topic"
        };
        let missing = e.code.contains("NonExistentQueue")
            || e.code == "QueueDoesNotExist"
            || e.code == "NotFound";
        Err(match missing {
            true => format!("The destination {what} does not exist"),
            false => format!(
                "Permissions on the destination {what} do not allow S3 to publish notifications from this bucket"
            ),
        })
    }

    /// `PutBucketNotificationConfiguration`.
    pub(crate) fn put_bucket_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "PutBucketNotificationConfiguration", &input)?;
        let config = &input["NotificationConfiguration"];
        let mut rules = Vec::new();
        for kind in Kind::ALL {
            let Some(list) = config[kind.list()].as_array() else {
                continue;
            };
            if kind != Kind::Queue && !list.is_empty() && self.targets().is_none() {
                return Err(S3Error::NotImplementedParameter {
                    parameter: kind.list().into(),
                    header: "NotificationConfiguration".into(),
                }
                .into());
            }
            for v in list {
                rules.push(parse_rule(kind, v)?);
            }
        }
        check_overlaps(&rules)?;
        let skip = input
            .get("SkipDestinationValidation")
            .and_then(Value::as_bool)
            == Some(true);
        if !skip {
            // AWS validates each destination by sending it a test event.
            let test = json!({
                "Service": "Amazon S3",
                "Event": "s3:TestEvent",
                "Time": gureum_core::timestamp::format_iso8601(ctx.clock.now_millis()),
                "Bucket": bucket,
                "RequestId": ctx.request_id,
                "HostId": ctx.request_id,
            })
            .to_string();
            let mut seen: Vec<&str> = Vec::new();
            for r in &rules {
                if seen.contains(&r.arn.as_str()) {
                    continue;
                }
                seen.push(&r.arn);
                if let Err(why) = self.validate(ctx, &bucket, &entry.account_id, r, &test) {
                    return Err(invalid(
                        "Unable to validate the following destination configurations",
                        &r.arn,
                        &why,
                    ));
                }
            }
        }
        let eventbridge = config.get("EventBridgeConfiguration").is_some();
        let stored = if rules.is_empty() && !eventbridge {
            None
        } else {
            let mut v = json!({});
            for kind in Kind::ALL {
                v[kind.list()] = rules
                    .iter()
                    .filter(|r| r.kind == kind)
                    .map(Rule::to_value)
                    .collect();
            }
            if eventbridge {
                v["EventBridgeConfiguration"] = json!({});
            }
            Some(v)
        };
        self.update_bucket(ctx, "PutBucketNotificationConfiguration", &input, |b| {
            b.notification = stored;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketNotificationConfiguration`.
    pub(crate) fn get_bucket_notification_configuration(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (_, entry) = self.own_bucket(ctx, "GetBucketNotificationConfiguration", &input)?;
        let mut out = Map::new();
        if let Some(n) = &entry.notification {
            for kind in Kind::ALL {
                if n[kind.list()].as_array().is_some_and(|a| !a.is_empty()) {
                    out.insert(kind.list().into(), n[kind.list()].clone());
                }
            }
            if n.get("EventBridgeConfiguration").is_some() {
                out.insert("EventBridgeConfiguration".into(), json!({}));
            }
        }
        Ok(Value::Object(out))
    }

    /// Sends `event`'s notifications, as `entry`'s configuration asks
    /// (nothing, at the cost of one test, for a bucket without one).
    pub(crate) fn notify(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        entry: &BucketEntry,
        event: &ObjectEvent<'_>,
    ) {
        let Some(config) = &entry.notification else {
            return;
        };
        let now = ctx.clock.now_millis();
        let rules: Vec<Rule> = Kind::ALL
            .into_iter()
            .flat_map(|kind| {
                config[kind.list()]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(move |v| Rule::from_value(kind, v))
            })
            .collect();
        for r in rules.iter().filter(|r| r.wants(event.name, event.key)) {
            let body =
                json!({"Records": [record(ctx, bucket, entry, event, &r.id, now)]}).to_string();
            if let Err(e) = self.send(ctx, bucket, &entry.account_id, r, &body) {
                tracing::warn!(target: "gureum", "s3: notification to {} not sent: {}", r.arn, e.message);
            }
        }
        if config.get("EventBridgeConfiguration").is_some() {
            if let Some(n) = &self.notifier {
                let scope = Scope::Region {
                    account: &entry.account_id,
                    region: &entry.region,
                };
                n.events
                    .publish(scope, eventbridge_event(ctx, bucket, event, now));
            }
        }
    }
}

/// One record of AWS's event message structure (version 2.1).
fn record(
    ctx: &RequestContext,
    bucket: &str,
    entry: &BucketEntry,
    event: &ObjectEvent<'_>,
    configuration_id: &str,
    now: i64,
) -> Value {
    let mut object =
        json!({"key": encode_key(event.key), "sequencer": format!("{:016X}", event.sequencer)});
    if let Some(size) = event.size {
        object["size"] = json!(size);
    }
    if let Some(etag) = event.etag {
        object["eTag"] = json!(etag);
    }
    if let Some(v) = event.version_id {
        object["versionId"] = json!(v);
    }
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": entry.region,
        "eventTime": gureum_core::timestamp::format_iso8601(now),
        "eventName": event.name,
        "userIdentity": {"principalId": principal_id(ctx)},
        "requestParameters": {"sourceIPAddress": source_ip(ctx)},
        "responseElements": {"x-amz-request-id": ctx.request_id, "x-amz-id-2": ctx.request_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": entry.account_id},
                "arn": format!("arn:aws:s3:::{bucket}"),
            },
            "object": object,
        },
    })
}

fn source_ip(ctx: &RequestContext) -> String {
    ctx.source_ip
        .map_or_else(|| "127.0.0.1".to_string(), |ip| ip.to_string())
}

/// The event as EventBridge receives it from S3.
fn eventbridge_event(
    ctx: &RequestContext,
    bucket: &str,
    event: &ObjectEvent<'_>,
    now: i64,
) -> ServiceEvent {
    let created = event.name.starts_with("ObjectCreated");
    let removed = event.name.starts_with("ObjectRemoved");
    let detail_type = if created {
        "Object Created"
    } else if removed {
        "Object Deleted"
    } else if event.name == "ObjectTagging:Put" {
        "Object Tags Added"
    } else if event.name == "ObjectTagging:Delete" {
        "Object Tags Deleted"
    } else {
        "Object ACL Updated"
    };
    let mut object = json!({"key": event.key});
    if created || removed {
        object["sequencer"] = json!(format!("{:016X}", event.sequencer));
    }
    if let Some(size) = event.size {
        object["size"] = json!(size);
    }
    if let Some(etag) = event.etag {
        object["etag"] = json!(etag);
    }
    if let Some(v) = event.version_id {
        object["version-id"] = json!(v);
    }
    let mut detail = json!({
        "version": "0",
        "bucket": {"name": bucket},
        "object": object,
        "request-id": ctx.request_id,
        "requester": ctx.account_id,
        "source-ip-address": source_ip(ctx),
    });
    if created || removed {
        detail["reason"] = json!(event.reason);
    }
    if removed {
        detail["deletion-type"] = json!(if event.name.ends_with("DeleteMarkerCreated") {
            "Delete Marker Created"
        } else {
            "Permanently Deleted"
        });
    }
    ServiceEvent {
        source: "aws.s3".into(),
        detail_type: detail_type.into(),
        resources: vec![format!("arn:aws:s3:::{bucket}")],
        detail,
        time_ms: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(events: &[&str], prefix: Option<&str>, suffix: Option<&str>) -> Rule {
        Rule {
            kind: Kind::Queue,
            id: "i".into(),
            arn: "arn:aws:sqs:us-east-1:1:q".into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            prefix: prefix.map(str::to_string),
            suffix: suffix.map(str::to_string),
        }
    }

    #[test]
    fn wildcards_and_filters_pick_the_events_a_rule_wants() {
        let r = rule(&["s3:ObjectCreated:*"], Some("images/"), Some(".jpg"));
        assert!(r.wants("ObjectCreated:Put", "images/a.jpg"));
        assert!(r.wants("ObjectCreated:CompleteMultipartUpload", "images/b.jpg"));
        assert!(!r.wants("ObjectRemoved:Delete", "images/a.jpg"));
        assert!(!r.wants("ObjectCreated:Put", "docs/a.jpg"));
        assert!(!r.wants("ObjectCreated:Put", "images/a.png"));
        let exact = rule(&["s3:ObjectRemoved:DeleteMarkerCreated"], None, None);
        assert!(exact.wants("ObjectRemoved:DeleteMarkerCreated", "k"));
        assert!(!exact.wants("ObjectRemoved:Delete", "k"));
    }

    #[test]
    fn overlapping_configurations_are_refused_as_aws_words_it() {
        let e = check_overlaps(&[
            rule(&["s3:ObjectRemoved:*"], None, None),
            rule(&["s3:ObjectRemoved:Delete"], None, None),
        ])
        .expect_err("overlap");
        assert_eq!(
            e.message,
            "Configurations overlap. Configurations on the same bucket cannot share a common event type."
        );
        let e = check_overlaps(&[
            rule(&["s3:ObjectCreated:Put"], Some("a/"), None),
            rule(&["s3:ObjectCreated:*"], Some("a/b"), None),
        ])
        .expect_err("ambiguous");
        assert!(
            e.message
                .starts_with("Configuration is ambiguously defined."),
            "{}",
            e.message
        );
        // Disjoint prefixes, or disjoint event types, are fine.
        check_overlaps(&[
            rule(&["s3:ObjectCreated:*"], Some("a/"), None),
            rule(&["s3:ObjectCreated:*"], Some("b/"), None),
            rule(&["s3:ObjectRemoved:*"], None, None),
        ])
        .expect("no overlap");
    }

    #[test]
    fn configurations_are_validated_with_awss_messages() {
        let base = |extra: Value| {
            let mut v = json!({"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q", "Events": ["s3:ObjectCreated:*"]});
            for (k, x) in extra.as_object().expect("object") {
                v[k] = x.clone();
            }
            parse_rule(Kind::Queue, &v)
        };
        let e = base(json!({"QueueArn": "not-an-arn"})).expect_err("arn");
        assert_eq!(e.message, "The ARN could not be parsed");
        let e = base(json!({"Events": ["s3:Nope"]})).expect_err("event");
        assert_eq!(e.message, "The event is not supported for notifications");
        let e = base(json!({"Events": ["s3:ObjectRestore:Completed"]})).expect_err("not emitted");
        assert_eq!((e.code.as_str(), e.status), ("NotImplemented", 501));
        let e =
            base(json!({"Filter": {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}}))
                .expect_err("name");
        assert_eq!(
            e.message,
            "filter rule name must be either prefix or suffix"
        );
        let two = json!({"Filter": {"Key": {"FilterRules": [
            {"Name": "prefix", "Value": "a"}, {"Name": "Prefix", "Value": "b"}]}}});
        assert_eq!(
            base(two).expect_err("two").message,
            "Cannot specify more than one prefix rule in a filter."
        );
        let ok = base(
            json!({"Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}}}),
        )
        .expect("valid");
        assert_eq!(ok.suffix.as_deref(), Some(".jpg"));
        assert!(!ok.id.is_empty(), "an id is made when none is given");
        assert_eq!(Rule::from_value(Kind::Queue, &ok.to_value()), Some(ok));
    }

    #[test]
    fn keys_are_form_encoded_with_slashes_kept() {
        assert_eq!(encode_key("photos/my cat+1.jpg"), "photos/my+cat%2B1.jpg");
        assert_eq!(encode_key("ü"), "%C3%BC");
    }
}
