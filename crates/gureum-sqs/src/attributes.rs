//! Queue attributes: their ranges, defaults and which kind of queue
//! takes them, as AWS's `SetQueueAttributes` reference lists them.

use crate::errors::SqsError;
use gureum_core::AwsError;
use std::collections::BTreeMap;

/// The numeric attributes: name, smallest, largest, default.
const NUMERIC: &[(&str, i64, i64, i64)] = &[
    ("DelaySeconds", 0, 900, 0),
    ("MaximumMessageSize", 1024, 262_144, 262_144),
    ("MessageRetentionPeriod", 60, 1_209_600, 345_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20, 0),
    ("VisibilityTimeout", 0, 43_200, 30),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400, 300),
];

/// Attributes computed from state, never set.
pub const READ_ONLY: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

/// Attributes only FIFO queues have.
const FIFO_ONLY: &[&str] = &[
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// The attributes a new queue starts with.
pub fn defaults(fifo: bool) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = NUMERIC
        .iter()
        .filter(|(n, ..)| *n != "KmsDataKeyReusePeriodSeconds")
        .map(|(n, _, _, d)| (n.to_string(), d.to_string()))
        .collect();
    m.insert("SqsManagedSseEnabled".into(), "true".into());
    if fifo {
        m.insert("FifoQueue".into(), "true".into());
        m.insert("ContentBasedDeduplication".into(), "false".into());
        m.insert("DeduplicationScope".into(), "queue".into());
        m.insert("FifoThroughputLimit".into(), "perQueue".into());
    }
    m
}

/// Checks one attribute a caller sets on a queue (`fifo` says which
/// kind) and answers its stored form.
pub fn validate(name: &str, value: &str, fifo: bool) -> Result<String, AwsError> {
    let bad = || SqsError::BadAttributeValue { name: name.into() };
    if let Some((_, min, max, _)) = NUMERIC.iter().find(|(n, ..)| *n == name) {
        let n: i64 = value.trim().parse().map_err(|_| bad())?;
        if n < *min || n > *max {
            return Err(bad().into());
        }
        return Ok(n.to_string());
    }
    if FIFO_ONLY.contains(&name) && !fifo && name != "FifoQueue" {
        return Err(SqsError::BadAttributeName { name: name.into() }.into());
    }
    match name {
        "FifoQueue" | "ContentBasedDeduplication" | "SqsManagedSseEnabled" => {
            match value.to_ascii_lowercase().as_str() {
                "true" => Ok("true".into()),
                "false" => Ok("false".into()),
                _ => Err(bad().into()),
            }
        }
        "DeduplicationScope" => match value {
            "messageGroup" | "queue" => Ok(value.into()),
            _ => Err(bad().into()),
        },
        "FifoThroughputLimit" => match value {
            "perQueue" | "perMessageGroupId" => Ok(value.into()),
            _ => Err(bad().into()),
        },
        "Policy" => {
            if value.is_empty() {
                return Ok(String::new());
            }
            serde_json::from_str::<serde_json::Value>(value)
                .ok()
                .filter(serde_json::Value::is_object)
                .ok_or_else(bad)?;
            Ok(value.into())
        }
        "RedrivePolicy" => redrive_policy(value).map(|_| value.to_string()),
        "RedriveAllowPolicy" => redrive_allow_policy(value).map(|_| value.to_string()),
        "KmsMasterKeyId" => Ok(value.into()),
        _ => Err(SqsError::BadAttributeName { name: name.into() }.into()),
    }
}

/// A parsed `RedrivePolicy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redrive {
    /// The dead-letter queue's ARN.
    pub target_arn: String,
    /// Receives after which a message moves.
    pub max_receive_count: u32,
}

/// Reads a `RedrivePolicy` (`""` removes it).
pub fn redrive_policy(value: &str) -> Result<Option<Redrive>, AwsError> {
    if value.is_empty() {
        return Ok(None);
    }
    let reason = |r: &str| SqsError::BadAttributeReason {
        name: "RedrivePolicy".into(),
        reason: r.into(),
    };
    let v: serde_json::Value = serde_json::from_str(value)
        .map_err(|_| reason("Redrive policy is not a valid JSON map."))?;
    let target = v["deadLetterTargetArn"].as_str().ok_or_else(|| {
        reason("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
    })?;
    let count = match &v["maxReceiveCount"] {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        reason("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
    })?;
    if !(1..=1000).contains(&count) {
        return Err(
            reason("Invalid value for maxReceiveCount: must be between 1 and 1000.").into(),
        );
    }
    if crate::url::parse_arn(target).is_none() {
        return Err(reason("Dead-letter target ARN is not a valid SQS queue ARN.").into());
    }
    Ok(Some(Redrive {
        target_arn: target.to_string(),
        max_receive_count: count as u32,
    }))
}

/// Checks a `RedriveAllowPolicy`.
fn redrive_allow_policy(value: &str) -> Result<(), AwsError> {
    if value.is_empty() {
        return Ok(());
    }
    let reason = |r: &str| SqsError::BadAttributeReason {
        name: "RedriveAllowPolicy".into(),
        reason: r.into(),
    };
    let v: serde_json::Value = serde_json::from_str(value)
        .map_err(|_| reason("Redrive allow policy is not a valid JSON map."))?;
    match v["redrivePermission"].as_str() {
        Some("allowAll") | Some("denyAll") => Ok(()),
        Some("byQueue") => {
            let arns = v["sourceQueueArns"].as_array().map_or(0, Vec::len);
            if (1..=10).contains(&arns) {
                Ok(())
            } else {
                Err(reason("Source queue ARN list must contain between 1 and 10 ARNs when redrivePermission is byQueue.").into())
            }
        }
        _ => Err(reason("Invalid value for redrivePermission.").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_their_range_are_invalid_attribute_values() {
        let e = validate("VisibilityTimeout", "43201", false).expect_err("too long");
        assert_eq!(e.code, "InvalidAttributeValue");
        assert_eq!(
            e.message,
            "Invalid value for the parameter VisibilityTimeout."
        );
        assert_eq!(validate("DelaySeconds", "900", false).expect("ok"), "900");
        assert!(validate("MessageRetentionPeriod", "59", false).is_err());
    }

    #[test]
    fn fifo_attributes_on_a_standard_queue_are_unknown() {
        let e = validate("ContentBasedDeduplication", "true", false).expect_err("standard");
        assert_eq!(e.code, "InvalidAttributeName");
        assert_eq!(e.message, "Unknown Attribute ContentBasedDeduplication.");
        assert!(validate("ContentBasedDeduplication", "true", true).is_ok());
    }

    #[test]
    fn a_redrive_policy_needs_a_target_and_a_count_in_range() {
        let ok = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#;
        assert_eq!(
            redrive_policy(ok)
                .expect("valid")
                .map(|r| r.max_receive_count),
            Some(3)
        );
        let zero = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":0}"#;
        assert!(redrive_policy(zero).is_err());
    }
}
