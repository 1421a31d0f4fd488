//! Lambda subscriptions: SNS invokes the function asynchronously with
//! AWS's SNS event (`Records[0].Sns`), as `sns.amazonaws.com` for the
//! topic, through the [`Functions`] seam the server wires to Lambda (so
//! the function policy must allow SNS, as on AWS).

use gureum_core::Value;
use serde_json::json;

/// Invokes functions for SNS.
pub trait Functions: Send + Sync {
    /// Queues an asynchronous invocation of `function_arn` with `event`
    /// for the topic `topic_arn`; an error is why it was refused (no such
    /// function, or its policy does not allow SNS).
    fn invoke_async(&self, function_arn: &str, topic_arn: &str, event: &str) -> Result<(), String>;
}

/// What a notification carries into a function's event.
pub struct SnsRecord<'a> {
    /// The subscription's ARN (`EventSubscriptionArn`).
    pub subscription_arn: &'a str,
    /// The message id.
    pub message_id: &'a str,
    /// The topic.
    pub topic_arn: &'a str,
    /// The subject, if any.
    pub subject: Option<&'a str>,
    /// The message for the `lambda` protocol.
    pub message: &'a str,
    /// ISO 8601 publish time.
    pub timestamp: &'a str,
    /// `1` or `2`.
    pub signature_version: &'a str,
    /// The notification's signature.
    pub signature: &'a str,
    /// Where the signing certificate is.
    pub cert_url: &'a str,
    /// The unsubscribe link.
    pub unsubscribe_url: &'a str,
    /// `{name: {Type, Value}}`.
    pub attributes: &'a Value,
}

impl SnsRecord<'_> {
    /// AWS's SNS event for Lambda (note `SigningCertUrl` and
    /// `UnsubscribeUrl`, spelt as the event spells them).
    pub fn event(&self) -> String {
        json!({"Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": self.subscription_arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": self.message_id,
                "TopicArn": self.topic_arn,
                "Subject": self.subject,
                "Message": self.message,
                "Timestamp": self.timestamp,
                "SignatureVersion": self.signature_version,
                "Signature": self.signature,
                "SigningCertUrl": self.cert_url,
                "UnsubscribeUrl": self.unsubscribe_url,
                "MessageAttributes": self.attributes,
            }
        }]})
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::SnsRecord;
    use serde_json::{json, Value};

    #[test]
    fn the_event_has_aws_shape() {
        let attrs = json!({"k": {"Type": "String", "Value": "v"}});
        let r = SnsRecord {
            subscription_arn: "arn:aws:sns:us-east-1:1:t:s",
            message_id: "m",
            topic_arn: "arn:aws:sns:us-east-1:1:t",
            subject: None,
            message: "hi",
            timestamp: "2026-12-07T00:00:00.000Z",
            signature_version: "1",
            signature: "sig",
            cert_url: "http://c",
            unsubscribe_url: "http://u",
            attributes: &attrs,
        };
        let v: Value = serde_json::from_str(&r.event()).expect("json");
        let rec = &v["Records"][0];
        assert_eq!(rec["EventSource"], "aws:sns");
        assert_eq!(rec["Sns"]["Message"], "hi");
        assert_eq!(rec["Sns"]["Subject"], Value::Null);
        assert_eq!(rec["Sns"]["SigningCertUrl"], "http://c");
        assert_eq!(rec["Sns"]["MessageAttributes"]["k"]["Value"], "v");
    }
}
