//! Delivery to a topic's subscriptions, per protocol: SQS through
//! [`gureum_sqs::SqsService::deliver`] (the queue policy decides, and a
//! refused delivery goes to the subscription's dead-letter queue when it
//! has one), HTTP/HTTPS as POSTs queued on [`crate::http_delivery`],
//! email, email-json, SMS, Lambda, platform and Firehose endpoints kept in
//! `sns.captured` (Lambda, platform and Firehose as not delivered: Gureum
//! cannot invoke them yet). Also the confirmation messages.

use crate::envelope::{self, Confirmation, Notification};
use crate::http_delivery::{self, Job};
use crate::publish::Outgoing;
use crate::topics::Found;
use crate::{arns, attributes, filter, sms, Captured, SnsService, Subscription};
use gureum_core::{AwsError, Clock};
use std::collections::HashMap;

/// Signs each distinct message text once per publish.
struct Signatures<'a> {
    svc: &'a SnsService,
    out: &'a Outgoing,
    topic_arn: &'a str,
    version: &'a str,
    timestamp: &'a str,
    done: HashMap<String, String>,
}

impl Signatures<'_> {
    fn of(&mut self, message: &str) -> Result<String, AwsError> {
        if let Some(s) = self.done.get(message) {
            return Ok(s.clone());
        }
        let text = envelope::notification_string_to_sign(
            message,
            &self.out.message_id,
            self.out.subject.as_deref(),
            self.timestamp,
            self.topic_arn,
        );
        let sig = self.svc.signer.keys()?.sign(self.version, &text);
        self.done.insert(message.to_string(), sig.clone());
        Ok(sig)
    }
}

/// Where the certificate is served.
fn cert_url(svc: &SnsService, region: &str, port: u16) -> Result<String, AwsError> {
    Ok(format!(
        "{}/{}",
        arns::endpoint(region, port),
        svc.signer.keys()?.file_name()
    ))
}

/// Delivers `out` to every confirmed subscription of the topic whose
/// filter policy passes it.
pub fn deliver(
    svc: &SnsService,
    clock: &Clock,
    port: u16,
    found: &Found,
    out: &Outgoing,
) -> Result<(), AwsError> {
    let subs = svc.subscriptions.scan_prefix(&format!("{}/", found.key))?;
    if subs.is_empty() {
        return Ok(());
    }
    let timestamp = gureum_core::timestamp::format_iso8601(out.time_ms);
    let version = found
        .topic
        .attributes
        .get("SignatureVersion")
        .map(String::as_str)
        .unwrap_or("1");
    let mut signatures = Signatures {
        svc,
        out,
        topic_arn: &found.arn,
        version,
        timestamp: &timestamp,
        done: HashMap::new(),
    };
    let envelope_attrs = attributes::to_envelope(&out.attributes);
    let mut cert: Option<String> = None;
    for (_, sub) in subs.iter().filter(|(_, s)| s.confirmed) {
        let message = out.message_for(&sub.protocol);
        if !passes(svc, sub, out, message) {
            continue;
        }
        let raw = sub
            .attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v == "true");
        let enveloped = match sub.protocol.as_str() {
            "sqs" | "http" | "https" | "firehose" => !raw,
            "email-json" | "lambda" => true,
            _ => false,
        };
        let body = if enveloped {
            let signature = signatures.of(message)?;
            if cert.is_none() {
                cert = Some(cert_url(svc, &found.region, port)?);
            }
            let n = Notification {
                message_id: &out.message_id,
                sequence: out.sequence.as_deref(),
                topic_arn: &found.arn,
                subject: out.subject.as_deref(),
                message,
                timestamp: &timestamp,
                signature_version: version,
                signature: &signature,
                cert_url: cert.as_deref().unwrap_or_default(),
            };
            n.body(
                &arns::unsubscribe_url(&found.region, port, &sub.arn),
                &envelope_attrs,
            )
        } else {
            message.to_string()
        };
        let record = |status: &str, message: String| Captured {
            account: found.account.clone(),
            region: found.region.clone(),
            protocol: sub.protocol.clone(),
            endpoint: sub.endpoint.clone(),
            topic_arn: found.arn.clone(),
            subscription_arn: sub.arn.clone(),
            message_id: out.message_id.clone(),
            subject: out.subject.clone(),
            message,
            status: status.to_string(),
            time_ms: out.time_ms,
        };
        match sub.protocol.as_str() {
            "sqs" => {
                if let Err(e) = to_queue(svc, clock, found, out, sub, &body, raw, &sub.endpoint) {
                    let dlq = dead_letter_queue(sub);
                    let redriven = dlq.is_some_and(|q| {
                        to_queue(svc, clock, found, out, sub, &body, raw, &q).is_ok()
                    });
                    if !redriven {
                        sms::capture(svc, &record(&format!("failed: {}", e.message), body))?;
                    }
                }
            }
            "http" | "https" => {
                let topic_policy = found
                    .topic
                    .attributes
                    .get("DeliveryPolicy")
                    .map(String::as_str);
                let sub_policy = sub.attributes.get("DeliveryPolicy").map(String::as_str);
                let (retries, delay) = http_delivery::retry_policy(topic_policy, sub_policy);
                let mut headers = vec![
                    (
                        "x-amz-sns-message-type".to_string(),
                        "Notification".to_string(),
                    ),
                    ("x-amz-sns-message-id".to_string(), out.message_id.clone()),
                    ("x-amz-sns-topic-arn".to_string(), found.arn.clone()),
                    ("x-amz-sns-subscription-arn".to_string(), sub.arn.clone()),
                    (
                        "Content-Type".to_string(),
                        http_delivery::content_type(topic_policy, sub_policy),
                    ),
                ];
                if raw {
                    headers.push(("x-amz-sns-rawdelivery".to_string(), "true".to_string()));
                }
                svc.http.send(Job {
                    url: sub.endpoint.clone(),
                    headers,
                    body: body.clone(),
                    retries_left: retries,
                    retry_delay: delay,
                    record: record("failed", body.clone()),
                    fallback: dead_letter_fallback(svc, clock, found, out, sub, body),
                });
            }
            "email" | "email-json" | "sms" => sms::capture(svc, &record("delivered", body))?,
            "lambda" => {
                let signature = signatures.of(message)?;
                let event = crate::functions::SnsRecord {
                    subscription_arn: &sub.arn,
                    message_id: &out.message_id,
                    topic_arn: &found.arn,
                    subject: out.subject.as_deref(),
                    message,
                    timestamp: &timestamp,
                    signature_version: version,
                    signature: &signature,
                    cert_url: cert.as_deref().unwrap_or_default(),
                    unsubscribe_url: &arns::unsubscribe_url(&found.region, port, &sub.arn),
                    attributes: &envelope_attrs,
                }
                .event();
                let invoked = match svc.functions.get() {
                    Some(f) => f.invoke_async(&sub.endpoint, &found.arn, &event),
                    None => Err("Gureum was built without Lambda".to_string()),
                };
                if let Err(reason) = invoked {
                    sms::capture(svc, &record(&format!("failed: {reason}"), event))?;
                }
            }
            _ => sms::capture(
                svc,
                &record(
                    &format!(
                        "failed: Gureum does not deliver to {} endpoints yet",
                        sub.protocol
                    ),
                    body,
                ),
            )?,
        }
    }
    Ok(())
}

/// Whether the subscription's filter policy lets `out` through (a policy
/// that no longer parses lets nothing through).
fn passes(svc: &SnsService, sub: &Subscription, out: &Outgoing, message: &str) -> bool {
    let Some(policy) = sub.attributes.get("FilterPolicy") else {
        return true;
    };
    let Ok(scope) =
        filter::Scope::parse(sub.attributes.get("FilterPolicyScope").map(String::as_str))
    else {
        return false;
    };
    match svc.filters.get(policy, scope) {
        Some(p) => filter::passes(Some(&p), scope, &out.attributes, message),
        None => false,
    }
}

/// The subscription's dead-letter queue ARN.
fn dead_letter_queue(sub: &Subscription) -> Option<String> {
    let policy: serde_json::Value =
        serde_json::from_str(sub.attributes.get("RedrivePolicy")?).ok()?;
    policy["deadLetterTargetArn"].as_str().map(str::to_string)
}

/// Sends one message to queue `queue_arn` as SNS.
#[allow(clippy::too_many_arguments)]
fn to_queue(
    svc: &SnsService,
    clock: &Clock,
    found: &Found,
    out: &Outgoing,
    sub: &Subscription,
    body: &str,
    raw: bool,
    queue_arn: &str,
) -> Result<(), AwsError> {
    let _ = sub;
    let Some(sqs) = svc.sqs.as_ref() else {
        return Err(AwsError::internal("no SQS service to deliver to"));
    };
    let fifo_queue = queue_arn.ends_with(".fifo");
    let sender = gureum_sqs::ServiceSender {
        service: "sns.amazonaws.com",
        source_arn: &found.arn,
        source_account: &found.account,
    };
    let message = gureum_sqs::ServiceMessage {
        queue_arn,
        body,
        attributes: if raw {
            attributes::to_sqs(&out.attributes)
        } else {
            serde_json::Value::Null
        },
        // FIFO topics pass their group to FIFO queues only; standard
        // topics theirs to standard queues only (fair queues).
        group_id: out
            .group_id
            .as_deref()
            .filter(|_| fifo_queue == found.topic.fifo),
        deduplication_id: out.dedup_id.as_deref().filter(|_| fifo_queue),
    };
    sqs.deliver(clock, &sender, &message).map(|_| ())
}

/// Which confirmation message to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmationKind {
    /// A new subscription: the link confirms it.
    Subscribe,
    /// An HTTP/S subscription was deleted: the link restores it.
    Unsubscribe,
}

/// Sends the confirmation a new HTTP/S or email subscription needs (a
/// signed `SubscriptionConfirmation` POST, or an email with the link), or
/// the `UnsubscribeConfirmation` a deleted HTTP/S subscription gets;
/// `token` goes in the message and its `SubscribeURL`.
pub fn send_confirmation(
    svc: &SnsService,
    clock: &Clock,
    port: u16,
    found: &Found,
    sub: &Subscription,
    kind: ConfirmationKind,
    token: &str,
) -> Result<(), AwsError> {
    let url = arns::subscribe_url(&found.region, port, &found.arn, token);
    let (kind_name, message, subject) = match kind {
        ConfirmationKind::Subscribe => (
            "SubscriptionConfirmation",
            format!(
                "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
                found.arn
            ),
            "AWS Notification - Subscription Confirmation",
        ),
        ConfirmationKind::Unsubscribe => (
            "UnsubscribeConfirmation",
            format!(
                "You have chosen to deactivate subscription {}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
                sub.arn
            ),
            "AWS Notification - Unsubscribe Confirmation",
        ),
    };
    let now = clock.now_millis();
    let timestamp = gureum_core::timestamp::format_iso8601(now);
    let message_id = gureum_core::id::uuid_v4();
    let record = |status: &str, body: String| Captured {
        account: found.account.clone(),
        region: found.region.clone(),
        protocol: sub.protocol.clone(),
        endpoint: sub.endpoint.clone(),
        topic_arn: found.arn.clone(),
        subscription_arn: sub.arn.clone(),
        message_id: message_id.clone(),
        subject: Some(subject.into()),
        message: body,
        status: status.to_string(),
        time_ms: now,
    };
    if sub.protocol.starts_with("email") {
        let body = format!(
            "You have chosen to subscribe to the topic:\n{}\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n{url}",
            found.arn
        );
        return sms::capture(svc, &record("delivered", body));
    }
    let version = found
        .topic
        .attributes
        .get("SignatureVersion")
        .map(String::as_str)
        .unwrap_or("1");
    let text = envelope::confirmation_string_to_sign(
        kind_name,
        &message,
        &message_id,
        &url,
        &timestamp,
        token,
        &found.arn,
    );
    let signature = svc.signer.keys()?.sign(version, &text);
    let cert = cert_url(svc, &found.region, port)?;
    let body = Confirmation {
        kind: kind_name,
        message_id: &message_id,
        token,
        topic_arn: &found.arn,
        message: &message,
        subscribe_url: &url,
        timestamp: &timestamp,
        signature_version: version,
        signature: &signature,
        cert_url: &cert,
    }
    .body();
    let topic_policy = found
        .topic
        .attributes
        .get("DeliveryPolicy")
        .map(String::as_str);
    let sub_policy = sub.attributes.get("DeliveryPolicy").map(String::as_str);
    let (retries, delay) = http_delivery::retry_policy(topic_policy, sub_policy);
    let mut headers = vec![
        ("x-amz-sns-message-type".to_string(), kind_name.to_string()),
        ("x-amz-sns-message-id".to_string(), message_id.clone()),
        ("x-amz-sns-topic-arn".to_string(), found.arn.clone()),
        (
            "Content-Type".to_string(),
            http_delivery::content_type(topic_policy, sub_policy),
        ),
    ];
    if kind == ConfirmationKind::Unsubscribe {
        headers.push(("x-amz-sns-subscription-arn".to_string(), sub.arn.clone()));
    }
    svc.http.send(Job {
        url: sub.endpoint.clone(),
        headers,
        body: body.clone(),
        retries_left: retries,
        retry_delay: delay,
        record: record("failed", body),
        fallback: None,
    });
    Ok(())
}

/// For an HTTP/S delivery: sends the message to the subscription's
/// dead-letter queue when the endpoint gives up, as SNS does.
fn dead_letter_fallback(
    svc: &SnsService,
    clock: &Clock,
    found: &Found,
    out: &Outgoing,
    sub: &Subscription,
    body: String,
) -> Option<http_delivery::Fallback> {
    let queue = dead_letter_queue(sub)?;
    let sqs = svc.sqs.clone()?;
    let (clock, topic, account) = (clock.clone(), found.arn.clone(), found.account.clone());
    let (group, dedup) = (out.group_id.clone(), out.dedup_id.clone());
    Some(Box::new(move || {
        let fifo = queue.ends_with(".fifo");
        let sender = gureum_sqs::ServiceSender {
            service: "sns.amazonaws.com",
            source_arn: &topic,
            source_account: &account,
        };
        let message = gureum_sqs::ServiceMessage {
            queue_arn: &queue,
            body: &body,
            attributes: serde_json::Value::Null,
            group_id: group.as_deref().filter(|_| fifo),
            deduplication_id: dedup.as_deref().filter(|_| fifo),
        };
        sqs.deliver(&clock, &sender, &message).is_ok()
    }))
}
