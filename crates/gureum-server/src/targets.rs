//! Where EventBridge's rule targets really go: the [`TargetSink`] the
//! server wires into EventBridge, routing each delivery by the service of
//! the target's ARN to that service's public Rust interface.
//!
//! - `sqs`: [`gureum_sqs::SqsService::deliver`], as
//!   `events.amazonaws.com` on behalf of the rule (`aws:SourceArn`), so
//!   the queue's policy must allow it, as on AWS; a FIFO queue gets the
//!   target's `SqsParameters.MessageGroupId` (and deduplicates by
//!   content, which AWS requires of a FIFO target queue).
//! - `sns`, `logs`, `lambda` and anything else: recorded only, until
//!   those services expose a delivery interface (their arms are here).
//!
//! Every attempt is recorded with its outcome in `events.deliveries`
//! (`GET /_gureum/events/deliveries`), failures with their reason.

use gureum_core::{Clock, Value};
use gureum_events::{Origin, Outcome, RecordingSink, TargetSink};
use gureum_sqs::{ServiceMessage, ServiceSender, SqsService};
use std::sync::Arc;

/// The service principal EventBridge sends as.
pub const EVENTS_PRINCIPAL: &str = "events.amazonaws.com";

/// EventBridge's targets, delivered through the services that own them.
pub struct ServiceTargets {
    sqs: Arc<SqsService>,
    clock: Clock,
    recorder: RecordingSink,
}

impl ServiceTargets {
    /// Targets delivered through `sqs`, recorded in `store`.
    pub fn new(store: &gureum_store::Store, clock: Clock, sqs: Arc<SqsService>) -> Self {
        ServiceTargets {
            sqs,
            clock,
            recorder: RecordingSink::new(store),
        }
    }

    /// Sends `payload` to the queue `queue_arn` as EventBridge.
    fn to_sqs(&self, origin: &Origin<'_>, queue_arn: &str, payload: &str) -> Outcome {
        let params = origin.target.get("SqsParameters");
        let group_id = params
            .and_then(|p| p.get("MessageGroupId"))
            .and_then(Value::as_str);
        let sender = ServiceSender {
            service: EVENTS_PRINCIPAL,
            source_arn: origin.rule_arn,
            source_account: origin.account,
        };
        let message = ServiceMessage {
            queue_arn,
            body: payload,
            attributes: Value::Null,
            group_id,
            deduplication_id: None,
        };
        match self.sqs.deliver(&self.clock, &sender, &message) {
            Ok(_) => Outcome::Delivered,
            Err(e) => Outcome::Failed(format!("{}: {}", e.code, e.message)),
        }
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
        let outcome = match service_of(target_arn) {
            "sqs" => self.to_sqs(origin, target_arn, payload),
            // SNS topics, CloudWatch Logs groups and Lambda functions plug
            // in here once their services expose a delivery interface.
            "sns" | "logs" | "lambda" => Outcome::Recorded,
            _ => Outcome::Recorded,
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
        (ServiceTargets::new(&store, clock, sqs.clone()), sqs, arn)
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
    async fn targets_of_services_without_a_delivery_interface_are_recorded() {
        let (sink, _, _) = setup(None, false).await;
        let topic = "arn:aws:sns:us-east-1:123456789012:t";
        let target = json!({"Id": "t", "Arn": topic});
        sink.deliver(&origin(&target), topic, "x", 5)
            .expect("recorded");
        assert_eq!(sink.recorder.all().expect("all")[0].status, "recorded");
    }
}
