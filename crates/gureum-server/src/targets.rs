//! Where EventBridge's rule targets really go: the [`TargetSink`] the
//! server wires into EventBridge, routing each delivery by the service of
//! the target's ARN to that service's public Rust interface.
//!
//! - `sqs`: [`gureum_sqs::SqsService::deliver`], as
//!   `events.amazonaws.com` on behalf of the rule (`aws:SourceArn`), so
//!   the queue's policy must allow it, as on AWS; a FIFO queue gets the
//!   target's `SqsParameters.MessageGroupId` (and deduplicates by
//!   content, which AWS requires of a FIFO target queue).
//! - `sns`: [`gureum_sns::SnsService::publish_from_service`]; the topic
//!   policy must allow `events.amazonaws.com`.
//! - `logs`: [`gureum_logs::LogsService::deliver_from_service`], one
//!   stream per event named by its id; the group must exist and a Logs
//!   resource policy must allow the rule.
//! - `lambda`: [`gureum_lambda::LambdaService::invoke_from_service`],
//!   asynchronously, as `events.amazonaws.com` for the rule, so the
//!   function's resource policy (`AddPermission`) must allow it.
//! - anything else: recorded only.
//!
//! Every attempt is recorded with its outcome in `events.deliveries`
//! (`GET /_gureum/events/deliveries`), failures with their reason; a
//! failed event goes to the target's `DeadLetterConfig` queue, when it has
//! one, with AWS's `RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`
//! and `RETRY_ATTEMPTS` attributes.

use gureum_core::{AwsError, Clock, Value};
use gureum_events::{Origin, Outcome, RecordingSink, TargetSink};
use gureum_sqs::{ServiceMessage, ServiceSender, SqsService};
use std::sync::Arc;

/// The service principal EventBridge sends as.
pub const EVENTS_PRINCIPAL: &str = "events.amazonaws.com";

/// EventBridge's targets, delivered through the services that own them.
pub struct ServiceTargets {
    sqs: Arc<SqsService>,
    sns: Arc<gureum_sns::SnsService>,
    logs: Arc<gureum_logs::LogsService>,
    lambda: Arc<gureum_lambda::LambdaService>,
    clock: Clock,
    recorder: RecordingSink,
}

/// The services EventBridge targets are delivered through.
pub struct Destinations {
    /// Queues.
    pub sqs: Arc<SqsService>,
    /// Topics.
    pub sns: Arc<gureum_sns::SnsService>,
    /// Log groups.
    pub logs: Arc<gureum_logs::LogsService>,
    /// Functions.
    pub lambda: Arc<gureum_lambda::LambdaService>,
}

impl ServiceTargets {
    /// Targets delivered through `destinations`, recorded in `store`.
    pub fn new(store: &gureum_store::Store, clock: Clock, destinations: Destinations) -> Self {
        ServiceTargets {
            sqs: destinations.sqs,
            sns: destinations.sns,
            logs: destinations.logs,
            lambda: destinations.lambda,
            clock,
            recorder: RecordingSink::new(store),
        }
    }

    /// Sends `payload` to the queue `queue_arn` as EventBridge.
    fn to_sqs(
        &self,
        origin: &Origin<'_>,
        queue_arn: &str,
        payload: &str,
    ) -> Result<(), gureum_core::AwsError> {
        let params = origin.target.get("SqsParameters");
        let group_id = params
            .and_then(|p| p.get("MessageGroupId"))
            .and_then(Value::as_str);
        let message = ServiceMessage {
            queue_arn,
            body: payload,
            attributes: Value::Null,
            group_id,
            deduplication_id: None,
        };
        self.sqs
            .deliver(&self.clock, &sender(origin), &message)
            .map(|_| ())
    }

    /// Publishes `payload` to the topic `topic_arn` as EventBridge (the
    /// topic policy must allow `events.amazonaws.com`).
    fn to_sns(&self, origin: &Origin<'_>, topic_arn: &str, payload: &str) -> Result<(), AwsError> {
        self.sns
            .publish_from_service(
                &self.clock,
                &sender(origin),
                topic_arn,
                payload,
                None,
                &Value::Null,
            )
            .map(|_| ())
    }

    /// Writes `payload` to the log group `group_arn` as EventBridge: one
    /// stream per event, named by the event's id, as AWS does; the group
    /// must exist and its region's resource policies must allow the rule.
    fn to_logs(&self, origin: &Origin<'_>, group_arn: &str, payload: &str) -> Result<(), AwsError> {
        let group = group_arn
            .split_once(":log-group:")
            .map(|(_, g)| g.strip_suffix(":*").unwrap_or(g))
            .unwrap_or_default();
        let stream = serde_json::from_str::<Value>(payload)
            .ok()
            .and_then(|e| e.get("id").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(gureum_core::id::uuid_v4);
        let scope = gureum_core::Scope::Region {
            account: origin.account,
            region: origin.region,
        };
        let event = gureum_logs::ServiceEvent {
            timestamp: self.clock.now_millis(),
            message: payload.to_string(),
        };
        self.logs.deliver_from_service(
            &self.clock,
            scope,
            &sender(origin),
            group,
            &stream,
            &[event],
        )
    }

    /// Invokes the function `function_arn` with `payload`, asynchronously,
    /// as EventBridge for the rule.
    fn to_lambda(
        &self,
        origin: &Origin<'_>,
        function_arn: &str,
        payload: &str,
    ) -> Result<(), AwsError> {
        self.lambda
            .invoke_from_service(&sender(origin), function_arn, payload.as_bytes(), true)
            .map(|_| ())
    }

    /// A failed delivery goes to the target's dead-letter queue, when it
    /// has one: at once, as AWS sends failures no retry can mend (a queue
    /// that refuses, one that does not exist; Gureum has no other kind),
    /// with AWS's attributes naming the rule, the target and the error.
    /// What became of it is added to the failure's reason.
    fn to_dead_letter_queue(
        &self,
        origin: &Origin<'_>,
        target_arn: &str,
        payload: &str,
        error: &gureum_core::AwsError,
    ) -> Option<String> {
        let dlq = origin
            .target
            .get("DeadLetterConfig")
            .and_then(|d| d.get("Arn"))
            .and_then(Value::as_str)?;
        let text = |v: &str| serde_json::json!({"DataType": "String", "StringValue": v});
        let attributes = serde_json::json!({
            "RULE_ARN": text(origin.rule_arn),
            "TARGET_ARN": text(target_arn),
            "ERROR_CODE": text(dead_letter_code(&error.code)),
            "ERROR_MESSAGE": text(&error.message),
            "RETRY_ATTEMPTS": text("0"),
        });
        let message = ServiceMessage {
            queue_arn: dlq,
            body: payload,
            attributes,
            group_id: None,
            deduplication_id: None,
        };
        Some(
            match self.sqs.deliver(&self.clock, &sender(origin), &message) {
                Ok(_) => format!("sent to the dead-letter queue {dlq}"),
                Err(e) => format!(
                    "the dead-letter queue {dlq} refused it too: {}: {}",
                    e.code, e.message
                ),
            },
        )
    }
}

/// EventBridge sending for `origin`'s rule.
fn sender<'a>(origin: &'a Origin<'a>) -> ServiceSender<'a> {
    ServiceSender {
        service: EVENTS_PRINCIPAL,
        source_arn: origin.rule_arn,
        source_account: origin.account,
    }
}

/// The `ERROR_CODE` attribute AWS gives a dead-lettered event, for the
/// target service's error.
fn dead_letter_code(code: &str) -> &'static str {
    match code {
        "AccessDeniedException" | "AccessDenied" | "KMS.AccessDeniedException" => "NO_PERMISSIONS",
        "QueueDoesNotExist" | "AWS.SimpleQueueService.NonExistentQueue" => "NO_RESOURCE",
        _ => "INVALID_PARAMETER",
    }
}

/// The service of an ARN (`arn:PARTITION:SERVICE:…`).
fn service_of(arn: &str) -> &str {
    arn.split(':').nth(2).unwrap_or_default()
}

impl TargetSink for ServiceTargets {
    fn deliver(
        &self,
        origin: &Origin<'_>,
        target_arn: &str,
        payload: &str,
        time_ms: i64,
    ) -> Result<(), String> {
        let sent = match service_of(target_arn) {
            "sqs" => Some(self.to_sqs(origin, target_arn, payload)),
            "sns" => Some(self.to_sns(origin, target_arn, payload)),
            "logs" => Some(self.to_logs(origin, target_arn, payload)),
            "lambda" => Some(self.to_lambda(origin, target_arn, payload)),
            _ => None,
        };
        let outcome = match sent {
            None => Outcome::Recorded,
            Some(Ok(())) => Outcome::Delivered,
            Some(Err(e)) => {
                let mut reason = format!("{}: {}", e.code, e.message);
                if let Some(dlq) = self.to_dead_letter_queue(origin, target_arn, payload, &e) {
                    reason = format!("{reason} ({dlq})");
                }
                Outcome::Failed(reason)
            }
        };
        self.recorder
            .record(origin, target_arn, payload, time_ms, &outcome)?;
        match outcome {
            Outcome::Failed(reason) => Err(reason),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gureum_core::RequestContext;
    use gureum_store::Store;
    use serde_json::json;

    const ACCOUNT: &str = "123456789012";
    const RULE: &str = "arn:aws:events:us-east-1:123456789012:rule/r";

    async fn setup(policy: Option<&str>, fifo: bool) -> (ServiceTargets, Arc<SqsService>, String) {
        let store = Store::in_memory().expect("store");
        let clock = Clock::system();
        let sqs = Arc::new(SqsService::new(store.clone()));
        let ctx = RequestContext::root(ACCOUNT, "us-east-1", clock.clone());
        let name = if fifo { "q.fifo" } else { "q" };
        let mut attributes = serde_json::Map::new();
        if fifo {
            attributes.insert("FifoQueue".into(), json!("true"));
            attributes.insert("ContentBasedDeduplication".into(), json!("true"));
        }
        if let Some(p) = policy {
            attributes.insert("Policy".into(), json!(p));
        }
        gureum_core::Service::call(
            sqs.as_ref(),
            &ctx,
            "CreateQueue",
            json!({"QueueName": name, "Attributes": attributes}),
        )
        .await
        .expect("queue");
        let arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}");
        (
            ServiceTargets::new(
                &store,
                clock,
                Destinations {
                    sqs: sqs.clone(),
                    sns: Arc::new(gureum_sns::SnsService::with_sqs(store.clone(), sqs.clone())),
                    logs: Arc::new(gureum_logs::LogsService::new(store.clone())),
                    lambda: Arc::new(gureum_lambda::LambdaService::new(store.clone())),
                },
            ),
            sqs,
            arn,
        )
    }

    fn allow(queue: &str) -> String {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": EVENTS_PRINCIPAL},
            "Action": "sqs:SendMessage", "Resource": queue,
            "Condition": {"ArnEquals": {"aws:SourceArn": RULE}},
        }]})
        .to_string()
    }

    fn origin(target: &Value) -> Origin<'_> {
        Origin {
            account: ACCOUNT,
            region: "us-east-1",
            rule_arn: RULE,
            target_id: "t",
            target,
        }
    }

    async fn receive(sqs: &SqsService, name: &str) -> Vec<Value> {
        let ctx = RequestContext::root(ACCOUNT, "us-east-1", Clock::system());
        let url = format!("http://sqs.us-east-1.localhost:4566/{ACCOUNT}/{name}");
        let out = gureum_core::Service::call_streaming(
            sqs,
            &ctx,
            "ReceiveMessage",
            json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
            gureum_core::RequestBody::from_bytes(Default::default()),
        )
        .await
        .expect("receive")
        .output;
        out["Messages"].as_array().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn a_queue_whose_policy_allows_the_rule_receives_the_payload() {
        let arn = "arn:aws:sqs:us-east-1:123456789012:q";
        let (sink, sqs, arn_made) = setup(Some(&allow(arn)), false).await;
        assert_eq!(arn, arn_made);
        let target = json!({"Id": "t", "Arn": arn});
        sink.deliver(&origin(&target), arn, "{\"a\":1}", 5)
            .expect("delivered");
        let got = receive(&sqs, "q").await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["Body"], "{\"a\":1}");
        let recorded = sink.recorder.all().expect("all");
        assert_eq!(recorded[0].status, "delivered");
    }

    #[tokio::test]
    async fn a_queue_without_a_policy_refuses_and_the_failure_is_recorded() {
        let (sink, sqs, arn) = setup(None, false).await;
        let target = json!({"Id": "t", "Arn": arn});
        let err = sink
            .deliver(&origin(&target), &arn, "x", 5)
            .expect_err("refused");
        assert!(
            err.contains("events.amazonaws.com is not authorized to perform sqs:SendMessage"),
            "{err}"
        );
        assert!(receive(&sqs, "q").await.is_empty());
        let recorded = sink.recorder.all().expect("all");
        assert_eq!(recorded[0].status, "failed");
        assert_eq!(recorded[0].error.as_deref(), Some(err.as_str()));
    }

    #[tokio::test]
    async fn a_fifo_queue_gets_the_targets_message_group() {
        let arn = "arn:aws:sqs:us-east-1:123456789012:q.fifo";
        let (sink, sqs, _) = setup(Some(&allow(arn)), true).await;
        let target = json!({"Id": "t", "Arn": arn, "SqsParameters": {"MessageGroupId": "g1"}});
        sink.deliver(&origin(&target), arn, "one", 5)
            .expect("delivered");
        let got = receive(&sqs, "q.fifo").await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["Body"], "one");
    }

    #[tokio::test]
    async fn a_refused_event_goes_to_the_dead_letter_queue_with_awss_attributes() {
        let dlq = "arn:aws:sqs:us-east-1:123456789012:q";
        let (sink, sqs, _) = setup(Some(&allow(dlq)), false).await;
        let ctx = RequestContext::root(ACCOUNT, "us-east-1", Clock::system());
        gureum_core::Service::call(
            sqs.as_ref(),
            &ctx,
            "CreateQueue",
            json!({"QueueName": "closed"}),
        )
        .await
        .expect("queue");
        let closed = "arn:aws:sqs:us-east-1:123456789012:closed";
        let target = json!({"Id": "t", "Arn": closed, "DeadLetterConfig": {"Arn": dlq}});
        let err = sink
            .deliver(&origin(&target), closed, "{\"e\":1}", 5)
            .expect_err("refused");
        assert!(
            err.ends_with(&format!("(sent to the dead-letter queue {dlq})")),
            "{err}"
        );
        let url = format!("http://sqs.us-east-1.localhost:4566/{ACCOUNT}/q");
        let out = gureum_core::Service::call_streaming(
            sqs.as_ref(),
            &ctx,
            "ReceiveMessage",
            json!({"QueueUrl": url, "MessageAttributeNames": ["All"]}),
            gureum_core::RequestBody::from_bytes(Default::default()),
        )
        .await
        .expect("receive")
        .output;
        let m = &out["Messages"][0];
        assert_eq!(m["Body"], "{\"e\":1}");
        let attr = |n: &str| m["MessageAttributes"][n]["StringValue"].clone();
        assert_eq!(attr("RULE_ARN"), json!(RULE));
        assert_eq!(attr("TARGET_ARN"), json!(closed));
        assert_eq!(attr("ERROR_CODE"), json!("NO_PERMISSIONS"));
        assert_eq!(attr("RETRY_ATTEMPTS"), json!("0"));
    }

    #[tokio::test]
    async fn targets_of_services_without_a_delivery_interface_are_recorded() {
        let (sink, _, _) = setup(None, false).await;
        let stream = "arn:aws:kinesis:us-east-1:123456789012:stream/s";
        let target = json!({"Id": "t", "Arn": stream});
        sink.deliver(&origin(&target), stream, "x", 5)
            .expect("recorded");
        assert_eq!(sink.recorder.all().expect("all")[0].status, "recorded");
    }

    #[tokio::test]
    async fn a_topic_or_log_group_that_does_not_exist_fails_the_delivery() {
        let (sink, _, _) = setup(None, false).await;
        let topic = "arn:aws:sns:us-east-1:123456789012:t";
        let err = sink
            .deliver(&origin(&json!({"Id": "t", "Arn": topic})), topic, "x", 5)
            .expect_err("no topic");
        assert_eq!(err, "NotFoundException: Topic does not exist");
        let group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/g:*";
        let err = sink
            .deliver(&origin(&json!({"Id": "g", "Arn": group})), group, "{}", 6)
            .expect_err("no group");
        assert_eq!(
            err,
            "ResourceNotFoundException: The specified log group does not exist."
        );
        let all = sink.recorder.all().expect("all");
        assert!(all.iter().all(|d| d.status == "failed"), "{all:?}");
    }
}
