//! The JSON SNS delivers ("Amazon SNS message and JSON formats"): the
//! `Notification` envelope SQS, HTTP/S and email-json subscribers get,
//! and the `SubscriptionConfirmation` HTTP/S subscribers get first, each
//! in AWS's field order and layout (`"Key" : value`, one per line), with
//! the string each signature covers.

use gureum_core::Value;

/// A JSON string literal.
fn q(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// The string to sign of a notification: its fields in alphabetical
/// order, each `name\nvalue\n`, `Subject` only when there is one.
pub fn notification_string_to_sign(
    message: &str,
    message_id: &str,
    subject: Option<&str>,
    timestamp: &str,
    topic_arn: &str,
) -> String {
    let mut s = String::with_capacity(message.len() + 200);
    for (k, v) in [
        ("Message", Some(message)),
        ("MessageId", Some(message_id)),
        ("Subject", subject),
        ("Timestamp", Some(timestamp)),
        ("TopicArn", Some(topic_arn)),
        ("Type", Some("Notification")),
    ] {
        if let Some(v) = v {
            s.push_str(k);
            s.push('\n');
            s.push_str(v);
            s.push('\n');
        }
    }
    s
}

/// The string to sign of a subscription (or unsubscribe) confirmation.
pub fn confirmation_string_to_sign(
    kind: &str,
    message: &str,
    message_id: &str,
    subscribe_url: &str,
    timestamp: &str,
    token: &str,
    topic_arn: &str,
) -> String {
    let mut s = String::new();
    for (k, v) in [
        ("Message", message),
        ("MessageId", message_id),
        ("SubscribeURL", subscribe_url),
        ("Timestamp", timestamp),
        ("Token", token),
        ("TopicArn", topic_arn),
        ("Type", kind),
    ] {
        s.push_str(k);
        s.push('\n');
        s.push_str(v);
        s.push('\n');
    }
    s
}

/// A notification's fields, signed once and shared by every subscriber
/// (only `UnsubscribeURL` differs between them).
#[derive(Clone, Debug)]
pub struct Notification<'a> {
    /// The SNS message id.
    pub message_id: &'a str,
    /// FIFO topics: the sequence number.
    pub sequence: Option<&'a str>,
    /// The topic.
    pub topic_arn: &'a str,
    /// The subject, if any.
    pub subject: Option<&'a str>,
    /// The message (the protocol's, for `MessageStructure=json`).
    pub message: &'a str,
    /// When it was published, ISO 8601 with milliseconds.
    pub timestamp: &'a str,
    /// `1` or `2`.
    pub signature_version: &'a str,
    /// The base64 signature.
    pub signature: &'a str,
    /// Where the certificate is served.
    pub cert_url: &'a str,
}

impl Notification<'_> {
    /// The envelope for one subscriber; `attributes` is the
    /// `MessageAttributes` object (empty: the field is left out).
    pub fn body(&self, unsubscribe_url: &str, attributes: &Value) -> String {
        let mut s = String::with_capacity(self.message.len() + 700);
        s.push_str("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : ");
        s.push_str(&q(self.message_id));
        if let Some(seq) = self.sequence {
            s.push_str(",\n  \"SequenceNumber\" : ");
            s.push_str(&q(seq));
        }
        s.push_str(",\n  \"TopicArn\" : ");
        s.push_str(&q(self.topic_arn));
        if let Some(subject) = self.subject {
            s.push_str(",\n  \"Subject\" : ");
            s.push_str(&q(subject));
        }
        s.push_str(",\n  \"Message\" : ");
        s.push_str(&q(self.message));
        s.push_str(",\n  \"Timestamp\" : ");
        s.push_str(&q(self.timestamp));
        s.push_str(",\n  \"SignatureVersion\" : ");
        s.push_str(&q(self.signature_version));
        s.push_str(",\n  \"Signature\" : ");
        s.push_str(&q(self.signature));
        s.push_str(",\n  \"SigningCertURL\" : ");
        s.push_str(&q(self.cert_url));
        s.push_str(",\n  \"UnsubscribeURL\" : ");
        s.push_str(&q(unsubscribe_url));
        if let Some(map) = attributes.as_object().filter(|m| !m.is_empty()) {
            s.push_str(",\n  \"MessageAttributes\" : {");
            let mut first = true;
            for (k, v) in map {
                s.push_str(if first { "\n    " } else { ",\n    " });
                first = false;
                s.push_str(&q(k));
                s.push_str(" : ");
                s.push_str(&v.to_string());
            }
            s.push_str("\n  }");
        }
        s.push_str("\n}");
        s
    }
}

/// A `SubscriptionConfirmation` (or `UnsubscribeConfirmation`) message.
#[derive(Clone, Debug)]
pub struct Confirmation<'a> {
    /// `SubscriptionConfirmation`.
    pub kind: &'a str,
    /// The message id.
    pub message_id: &'a str,
    /// The confirmation token.
    pub token: &'a str,
    /// The topic.
    pub topic_arn: &'a str,
    /// The explanation AWS writes.
    pub message: &'a str,
    /// A GET of it confirms.
    pub subscribe_url: &'a str,
    /// When, ISO 8601 with milliseconds.
    pub timestamp: &'a str,
    /// `1` or `2`.
    pub signature_version: &'a str,
    /// The base64 signature.
    pub signature: &'a str,
    /// Where the certificate is served.
    pub cert_url: &'a str,
}

impl Confirmation<'_> {
    /// The JSON body.
    pub fn body(&self) -> String {
        format!(
            "{{\n  \"Type\" : {},\n  \"MessageId\" : {},\n  \"Token\" : {},\n  \"TopicArn\" : {},\n  \"Message\" : {},\n  \"SubscribeURL\" : {},\n  \"Timestamp\" : {},\n  \"SignatureVersion\" : {},\n  \"Signature\" : {},\n  \"SigningCertURL\" : {}\n}}",
            q(self.kind),
            q(self.message_id),
            q(self.token),
            q(self.topic_arn),
            q(self.message),
            q(self.subscribe_url),
            q(self.timestamp),
            q(self.signature_version),
            q(self.signature),
            q(self.cert_url),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_string_to_sign_leaves_out_a_missing_subject() {
        let s = notification_string_to_sign("m", "id", None, "t", "arn");
        assert_eq!(
            s,
            "Message\nm\nMessageId\nid\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n"
        );
        let s = notification_string_to_sign("m", "id", Some("s"), "t", "arn");
        assert!(s.contains("Subject\ns\nTimestamp"));
    }

    #[test]
    fn the_envelope_is_json_in_awss_order() {
        let n = Notification {
            message_id: "id",
            sequence: None,
            topic_arn: "arn",
            subject: Some("sub"),
            message: "say \"hi\"",
            timestamp: "2024-01-01T00:00:00.000Z",
            signature_version: "1",
            signature: "sig",
            cert_url: "cert",
        };
        let body = n.body("unsub", &json!({"a": {"Type": "String", "Value": "v"}}));
        assert!(body.starts_with(
            "{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"id\",\n  \"TopicArn\""
        ));
        let v: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["Message"], "say \"hi\"");
        assert_eq!(v["MessageAttributes"]["a"]["Value"], "v");
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(keys.len(), 11);
        let no_attrs = n.body("unsub", &json!({}));
        assert!(!no_attrs.contains("MessageAttributes"));
    }
}
