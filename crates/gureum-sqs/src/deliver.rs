//! Messages other services send to queues: SNS subscriptions, EventBridge
//! targets, CloudWatch and S3 notifications. They come through
//! [`SqsService::deliver`], the crate's public Rust interface, never HTTP.
//!
//! AWS delivers only when the queue's policy lets the sending service
//! principal `sqs:SendMessage` (typically with an `aws:SourceArn`
//! condition naming the topic or rule); a queue without such a statement
//! refuses, and the sender counts a failed delivery.

use crate::errors::SqsError;
use crate::{messages, url, SqsService};
use gureum_core::{AwsError, Clock, CommonError, RequestContext, Value};
use serde_json::json;

/// Who sends: an AWS service acting for a resource of an account.
pub type ServiceSender<'a> = gureum_policy::ServiceCaller<'a>;

/// One message for a queue, named by its ARN.
#[derive(Clone, Debug, Default)]
pub struct ServiceMessage<'a> {
    /// The queue's ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`).
    pub queue_arn: &'a str,
    /// The message body.
    pub body: &'a str,
    /// Message attributes in SQS's JSON shape
    /// (`{"name": {"DataType": "String", "StringValue": "…"}}`), or null.
    pub attributes: Value,
    /// The message group (required by FIFO queues).
    pub group_id: Option<&'a str>,
    /// The deduplication id (FIFO queues without content-based
    /// deduplication need one).
    pub deduplication_id: Option<&'a str>,
}

/// What the queue answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The queue's message id.
    pub message_id: String,
    /// FIFO queues: the sequence number.
    pub sequence_number: Option<String>,
}

impl SqsService {
    /// Sends `message` on behalf of `sender`, as AWS's own services do:
    /// the queue's policy must allow the sender, then the message goes
    /// through the same checks and limits as `SendMessage`.
    pub fn deliver(
        &self,
        clock: &Clock,
        sender: &ServiceSender<'_>,
        message: &ServiceMessage<'_>,
    ) -> Result<Delivered, AwsError> {
        let (region, account, name) =
            url::parse_arn(message.queue_arn).ok_or(SqsError::NoSuchQueue)?;
        let ctx = RequestContext::root(account, region, clock.clone());
        let found = self.find_named(&ctx, account, name)?;
        let policy = found.queue.attributes.get("Policy").map(String::as_str);
        if !sender_allowed(policy, sender, message.queue_arn) {
            return Err(CommonError::AccessDeniedException {
                message: format!(
                    "{} is not authorized to perform sqs:SendMessage on {}",
                    sender.service, message.queue_arn
                ),
            }
            .into());
        }
        let mut entry = json!({"MessageBody": message.body});
        if !message.attributes.is_null() {
            entry["MessageAttributes"] = message.attributes.clone();
        }
        if let Some(g) = message.group_id {
            entry["MessageGroupId"] = Value::String(g.to_string());
        }
        if let Some(d) = message.deduplication_id {
            entry["MessageDeduplicationId"] = Value::String(d.to_string());
        }
        let out = messages::send_one(self, &ctx, &found, &entry)?;
        Ok(Delivered {
            message_id: out["MessageId"].as_str().unwrap_or_default().to_string(),
            sequence_number: out["SequenceNumber"].as_str().map(str::to_string),
        })
    }
}

/// Whether the queue policy lets `sender` send to `queue_arn`.
fn sender_allowed(policy: Option<&str>, sender: &ServiceSender<'_>, queue_arn: &str) -> bool {
    policy.is_some_and(|p| sender.allowed_by_text(p, "sqs:SendMessage", queue_arn, &[]))
}

#[cfg(test)]
mod tests {
    use super::sender_allowed;
    use super::ServiceSender;

    const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:q";
    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:t";

    fn sns() -> ServiceSender<'static> {
        ServiceSender {
            service: "sns.amazonaws.com",
            source_arn: TOPIC,
            source_account: "123456789012",
        }
    }

    fn policy(condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"sns.amazonaws.com"}},"Action":"sqs:SendMessage","Resource":"{QUEUE}"{condition}}}]}}"#
        )
    }

    #[test]
    fn a_queue_without_a_policy_refuses_services() {
        assert!(!sender_allowed(None, &sns(), QUEUE));
    }

    #[test]
    fn a_statement_for_the_service_principal_allows_it() {
        let p = policy("");
        assert!(sender_allowed(Some(&p), &sns(), QUEUE));
    }

    #[test]
    fn the_source_arn_condition_must_match() {
        let p = policy(&format!(
            r#","Condition":{{"ArnEquals":{{"aws:SourceArn":"{TOPIC}"}}}}"#
        ));
        assert!(sender_allowed(Some(&p), &sns(), QUEUE));
        let other = ServiceSender {
            source_arn: "arn:aws:sns:us-east-1:123456789012:other",
            ..sns()
        };
        assert!(!sender_allowed(Some(&p), &other, QUEUE));
    }

    #[test]
    fn another_service_principal_is_not_allowed() {
        let p = policy("");
        let events = ServiceSender {
            service: "events.amazonaws.com",
            ..sns()
        };
        assert!(!sender_allowed(Some(&p), &events, QUEUE));
    }
}
