//! `Publish` and `PublishBatch`: a message checked as SNS checks it
//! (size, subject, `MessageStructure`, attributes, FIFO group and
//! deduplication), deduplicated on FIFO topics for five minutes, then
//! handed to [`crate::fanout`]. Also the public entry point AWS services
//! publish through ([`SnsService::publish_from_service`]).

use crate::attributes::{self, Attrs};
use crate::errors::{invalid, SnsError};
use crate::topics::Found;
use crate::{arns, fanout, sms, Dedup, ServiceSender, SnsService};
use gureum_core::{AwsError, Clock, OpResult, RequestContext, Value};
use serde_json::json;
use sha2::Digest;
use std::collections::{BTreeMap, HashSet};

/// The largest message, attributes included.
pub const MAX_BYTES: usize = 262_144;
/// How long a FIFO deduplication id is remembered.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A message ready to deliver.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The SNS message id.
    pub message_id: String,
    /// FIFO: the sequence number.
    pub sequence: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// The message every protocol gets unless `per_protocol` names it.
    pub message: String,
    /// `MessageStructure=json`: the message per protocol.
    pub per_protocol: BTreeMap<String, String>,
    /// The attributes.
    pub attributes: Attrs,
    /// FIFO: the message group.
    pub group_id: Option<String>,
    /// FIFO: the deduplication id (given, or the body's SHA-256).
    pub dedup_id: Option<String>,
    /// When it was published, epoch milliseconds.
    pub time_ms: i64,
}

impl Outgoing {
    /// The message `protocol` gets.
    pub fn message_for(&self, protocol: &str) -> &str {
        self.per_protocol
            .get(protocol)
            .map(String::as_str)
            .unwrap_or(&self.message)
    }
}

/// The members of one publish (a `Publish` input or a batch entry).
struct Request<'a> {
    message: &'a str,
    subject: Option<&'a str>,
    structure: Option<&'a str>,
    attributes: &'a Value,
    group_id: Option<&'a str>,
    dedup_id: Option<&'a str>,
}

impl<'a> Request<'a> {
    fn of(v: &'a Value) -> Self {
        Request {
            message: v["Message"].as_str().unwrap_or_default(),
            subject: v["Subject"].as_str(),
            structure: v["MessageStructure"].as_str(),
            attributes: &v["MessageAttributes"],
            group_id: v["MessageGroupId"].as_str(),
            dedup_id: v["MessageDeduplicationId"].as_str(),
        }
    }
}

fn check_subject(subject: Option<&str>) -> Result<(), AwsError> {
    let Some(s) = subject else { return Ok(()) };
    let ok = !s.is_empty()
        && s.chars().count() <= 100
        && s.chars().all(|c| c.is_ascii() && !c.is_ascii_control())
        && !s.starts_with(' ');
    if ok {
        Ok(())
    } else {
        Err(invalid("Subject"))
    }
}

fn check_id(name: &str, v: Option<&str>) -> Result<(), AwsError> {
    let Some(v) = v else { return Ok(()) };
    let ok = !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("{name} Reason: {name} can only include alphanumeric and punctuation characters. 1 to 128 in length.")))
    }
}

/// Checks a request against the topic's kind; answers the message to send
/// (no id yet).
fn prepare(
    req: &Request<'_>,
    fifo: bool,
    content_dedup: bool,
    now_ms: i64,
) -> Result<Outgoing, AwsError> {
    if req.message.is_empty() {
        return Err(invalid("Empty message"));
    }
    check_subject(req.subject)?;
    let attrs = attributes::parse(req.attributes)?;
    if req.message.len() + attributes::size(&attrs) > MAX_BYTES {
        return Err(invalid("Message too long"));
    }
    let mut per_protocol = BTreeMap::new();
    let mut message = req.message.to_string();
    match req.structure {
        None => {}
        Some("json") => {
            let parsed: Value = serde_json::from_str(req.message)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| invalid("Message Structure - JSON message body failed to parse"))?;
            let Some(default) = parsed["default"].as_str() else {
                return Err(invalid(
                    "Message Structure - No default entry in JSON message body",
                ));
            };
            message = default.to_string();
            for (k, v) in parsed.as_object().into_iter().flatten() {
                if k != "default" {
                    let text = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    per_protocol.insert(k.clone(), text);
                }
            }
        }
        Some(_) => return Err(invalid("MessageStructure")),
    }
    check_id("MessageGroupId", req.group_id)?;
    check_id("MessageDeduplicationId", req.dedup_id)?;
    let dedup_id = if fifo {
        if req.group_id.is_none() {
            return Err(invalid(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        match req.dedup_id {
            Some(d) => Some(d.to_string()),
            None if content_dedup => Some(hex(&sha2::Sha256::digest(req.message.as_bytes()))),
            None => {
                return Err(invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
            }
        }
    } else {
        if req.dedup_id.is_some() {
            return Err(invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type"));
        }
        // A standard topic's group id is optional and goes only to
        // standard SQS subscriptions (fair queues).
        None
    };
    Ok(Outgoing {
        message_id: String::new(),
        sequence: None,
        subject: req.subject.map(str::to_string),
        message,
        per_protocol,
        attributes: attrs,
        group_id: req.group_id.map(str::to_string),
        dedup_id,
        time_ms: now_ms,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Gives `out` its ids: a new message id, and on FIFO topics a sequence
/// number, unless its deduplication id was seen in the last five minutes
/// (then the first publish's ids, and `false`: deliver nothing).
fn assign_ids(svc: &SnsService, found: &Found, out: &mut Outgoing) -> Result<bool, AwsError> {
    out.message_id = gureum_core::id::uuid_v4();
    let Some(dedup) = out.dedup_id.clone() else {
        return Ok(true);
    };
    let dedup_key = format!("{}/{dedup}", found.key);
    let now = out.time_ms;
    svc.store.write(|txn| -> Result<bool, AwsError> {
        if let Some(d) = txn.get(&svc.dedup, &dedup_key)? {
            if d.expires_ms > now {
                out.message_id = d.message_id;
                out.sequence = Some(d.sequence);
                return Ok(false);
            }
        }
        let mut topic = txn.get(&svc.topics, &found.key)?.ok_or(SnsError::NoTopic)?;
        topic.sequence += 1;
        // Every 256 publishes, forget the ids whose window has closed, so
        // the table holds about five minutes of them.
        if topic.sequence % 256 == 0 {
            for (k, d) in txn.scan_prefix(&svc.dedup, &format!("{}/", found.key))? {
                if d.expires_ms <= now {
                    txn.delete(&svc.dedup, &k)?;
                }
            }
        }
        let sequence = format!(
            "{}",
            10_000_000_000_000_000_000u128 + u128::from(topic.sequence)
        );
        txn.put(&svc.topics, &found.key, &topic)?;
        txn.put(
            &svc.dedup,
            &dedup_key,
            &Dedup {
                message_id: out.message_id.clone(),
                sequence: sequence.clone(),
                expires_ms: now + DEDUP_WINDOW_MS,
            },
        )?;
        out.sequence = Some(sequence);
        Ok(true)
    })
}

/// Prepares, numbers and delivers one message to a topic.
fn publish_to(
    svc: &SnsService,
    clock: &Clock,
    port: u16,
    found: &Found,
    req: &Request<'_>,
) -> OpResult {
    let content_dedup = found
        .topic
        .attributes
        .get("ContentBasedDeduplication")
        .is_some_and(|v| v == "true");
    let mut out = prepare(req, found.topic.fifo, content_dedup, clock.now_millis())?;
    if assign_ids(svc, found, &mut out)? {
        fanout::deliver(svc, clock, port, found, &out)?;
    }
    let mut reply = json!({"MessageId": out.message_id});
    if let Some(s) = out.sequence {
        reply["SequenceNumber"] = Value::String(s);
    }
    Ok(reply)
}

/// `Publish`: to a topic (`TopicArn` or `TargetArn`) or an SMS to
/// `PhoneNumber`.
pub fn publish(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let port = svc.port_for(ctx);
    let target = input["TopicArn"].as_str().or(input["TargetArn"].as_str());
    if let Some(number) = input["PhoneNumber"].as_str() {
        if target.is_some() {
            return Err(invalid("Invalid parameter: PhoneNumber Reason: Only one of TopicArn, TargetArn or PhoneNumber may be given"));
        }
        let req = Request::of(input);
        let out = prepare(&req, false, false, ctx.clock.now_millis())?;
        return sms::publish_direct(svc, ctx, number, &out);
    }
    let Some(target) = target else {
        return Err(invalid(
            "TopicArn or TargetArn Reason: no value for required parameter",
        ));
    };
    if arns::parse_topic(target).is_none() {
        if target.starts_with("arn:aws:sns:") && target.contains(":endpoint/") {
            return Err(SnsError::NoEndpoint.into());
        }
        return Err(invalid(if input["TopicArn"].is_string() {
            "TopicArn"
        } else {
            "TargetArn"
        }));
    }
    let found = svc.find_topic(ctx, target, "Publish")?;
    publish_to(svc, &ctx.clock, port, &found, &Request::of(input))
}

/// The wire code of an error, as a batch entry's `Code` carries it (the
/// model's `error.code`, not the shape name).
fn wire_code(code: &str) -> &str {
    match code {
        "InvalidParameterException" => "InvalidParameter",
        "InvalidParameterValueException" => "ParameterValueInvalid",
        "NotFoundException" => "NotFound",
        "AuthorizationErrorException" => "AuthorizationError",
        other => other,
    }
}

/// `PublishBatch`: up to ten entries; each succeeds or fails on its own.
pub fn publish_batch(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let port = svc.port_for(ctx);
    let found = svc.find_topic(
        ctx,
        input["TopicArn"].as_str().unwrap_or_default(),
        "Publish",
    )?;
    let entries = input["PublishBatchRequestEntries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if entries.is_empty() {
        return Err(SnsError::EmptyBatch.into());
    }
    if entries.len() > 10 {
        return Err(SnsError::TooManyEntries.into());
    }
    let mut ids = HashSet::new();
    let mut total = 0usize;
    for e in &entries {
        let id = e["Id"].as_str().unwrap_or_default();
        let valid = !id.is_empty()
            && id.len() <= 80
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(SnsError::BadEntryId.into());
        }
        if !ids.insert(id) {
            return Err(SnsError::DuplicateIds.into());
        }
        total += e["Message"].as_str().map_or(0, str::len);
        total += attributes::parse(&e["MessageAttributes"]).map_or(0, |a| attributes::size(&a));
    }
    if total > MAX_BYTES {
        return Err(SnsError::BatchTooLong.into());
    }
    let mut successful = Vec::new();
    let mut failed = Vec::new();
    for e in &entries {
        let id = e["Id"].as_str().unwrap_or_default();
        match publish_to(svc, &ctx.clock, port, &found, &Request::of(e)) {
            Ok(r) => {
                let mut ok = json!({"Id": id, "MessageId": r["MessageId"]});
                if let Some(s) = r.get("SequenceNumber") {
                    ok["SequenceNumber"] = s.clone();
                }
                successful.push(ok);
            }
            Err(err) => failed.push(json!({
                "Id": id,
                "Code": wire_code(&err.code),
                "Message": err.message,
                "SenderFault": err.status < 500,
            })),
        }
    }
    Ok(json!({"Successful": successful, "Failed": failed}))
}

impl SnsService {
    /// Publishes `message` to `topic_arn` on behalf of an AWS service
    /// (EventBridge `events.amazonaws.com`, CloudWatch alarms
    /// `cloudwatch.amazonaws.com`), as AWS does: the topic's policy must
    /// allow the service principal `SNS:Publish` (the default policy
    /// allows only the owner account, so EventBridge and S3 need their
    /// own statement; CloudWatch alarms act as their account's owner). `attributes` are message attributes in `Publish`'s
    /// shape (`{name: {DataType, StringValue}}`) or null. Answers the
    /// message id.
    pub fn publish_from_service(
        &self,
        clock: &Clock,
        sender: &ServiceSender<'_>,
        topic_arn: &str,
        message: &str,
        subject: Option<&str>,
        attributes: &Value,
    ) -> Result<String, AwsError> {
        let (region, account, name) =
            arns::parse_topic(topic_arn).ok_or_else(|| invalid("TopicArn"))?;
        let found = self.find_topic_in(region, account, name)?;
        let policy = found.topic.attributes.get("Policy").map(String::as_str);
        if !service_allowed(policy, sender, topic_arn) {
            return Err(SnsError::AuthorizationError {
                message: format!(
                    "User: {} is not authorized to perform: SNS:Publish on resource: {topic_arn}",
                    sender.service
                ),
            }
            .into());
        }
        let req = Request {
            message,
            subject,
            structure: None,
            attributes,
            group_id: None,
            dedup_id: None,
        };
        let port = self.port.load(std::sync::atomic::Ordering::Relaxed);
        let reply = publish_to(self, clock, port, &found, &req)?;
        Ok(reply["MessageId"].as_str().unwrap_or_default().to_string())
    }
}

/// The services that publish with `AWS:SourceOwner` set to the account
/// they act for.
const SOURCE_OWNER_SERVICES: &[&str] = &["cloudwatch.amazonaws.com", "autoscaling.amazonaws.com"];

/// Whether the topic policy lets `sender` publish to `topic_arn`.
fn service_allowed(policy: Option<&str>, sender: &ServiceSender<'_>, topic_arn: &str) -> bool {
    // CloudWatch alarms publish to their account's topics under the
    // default topic policy (its `AWS:SourceOwner` condition names the
    // owner), which EventBridge and S3 need their own statement for.
    let owner = [("AWS:SourceOwner", sender.source_account)];
    let extra: &[(&str, &str)] = if SOURCE_OWNER_SERVICES.contains(&sender.service) {
        &owner
    } else {
        &[]
    };
    policy.is_some_and(|p| sender.allowed_by_text(p, "sns:Publish", topic_arn, extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(message: &str) -> Request<'_> {
        Request {
            message,
            subject: None,
            structure: None,
            attributes: &Value::Null,
            group_id: None,
            dedup_id: None,
        }
    }

    #[test]
    fn json_structure_needs_a_default() {
        let mut r = req(r#"{"sqs": "q"}"#);
        r.structure = Some("json");
        let e = prepare(&r, false, false, 0).expect_err("no default");
        assert_eq!(
            e.message,
            "Invalid parameter: Message Structure - No default entry in JSON message body"
        );
        let mut r = req(r#"{"default": "d", "sqs": "q"}"#);
        r.structure = Some("json");
        let out = prepare(&r, false, false, 0).expect("valid");
        assert_eq!(out.message_for("sqs"), "q");
        assert_eq!(out.message_for("email"), "d");
    }

    #[test]
    fn fifo_needs_a_group_and_a_deduplication_id() {
        let e = prepare(&req("m"), true, false, 0).expect_err("group");
        assert!(e.message.contains("MessageGroupId parameter is required"));
        let mut r = req("m");
        r.group_id = Some("g");
        let e = prepare(&r, true, false, 0).expect_err("dedup");
        assert!(e.message.contains("ContentBasedDeduplication"));
        assert!(prepare(&r, true, true, 0)
            .expect("content")
            .dedup_id
            .is_some());
    }

    #[test]
    fn subjects_and_sizes() {
        let mut r = req("m");
        r.subject = Some("line\nbreak");
        assert_eq!(
            prepare(&r, false, false, 0).expect_err("subject").message,
            "Invalid parameter: Subject"
        );
        let big = "x".repeat(MAX_BYTES + 1);
        assert_eq!(
            prepare(&req(&big), false, false, 0)
                .expect_err("big")
                .message,
            "Invalid parameter: Message too long"
        );
        assert_eq!(
            prepare(&req(""), false, false, 0)
                .expect_err("empty")
                .message,
            "Invalid parameter: Empty message"
        );
    }
}
