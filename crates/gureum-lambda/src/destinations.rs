//! Where asynchronous invocations report: `DestinationConfig`'s
//! `OnSuccess`/`OnFailure` (SQS queues, SNS topics, functions, EventBridge
//! buses) get AWS's invocation record; the function's `DeadLetterConfig`
//! (a queue or topic) gets the original event of a failed invocation.
//! Lambda sends both as the function's execution role, as on AWS, through
//! the [`AsyncDestinations`] seam the server implements.

use crate::invoke::Outcome;
use gureum_core::{AwsError, Value};
use serde_json::json;

/// One message to a destination.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    /// The queue, topic, function or event bus ARN.
    pub destination: &'a str,
    /// What is sent: the invocation record, or the event for a DLQ.
    pub body: &'a str,
    /// EventBridge's `DetailType` (`Lambda Function Invocation Result -
    /// Success`/`Failure`).
    pub detail_type: &'a str,
    /// The function's ARN (EventBridge's `Resources`).
    pub function_arn: &'a str,
    /// The access key of the execution role's session Lambda sends with
    /// (`None` without STS: the function's account root).
    pub access_key_id: Option<&'a str>,
    /// The function's account.
    pub account: &'a str,
    /// SQS message attributes of a DLQ message (`RequestID`,
    /// `ErrorCode`, `ErrorMessage`).
    pub dlq_attributes: Option<(&'a str, &'a str)>,
}

/// Sends to destinations as the execution role (the server wires SQS,
/// SNS, Lambda and EventBridge in).
pub trait AsyncDestinations: Send + Sync {
    /// Sends `delivery`; an error when the destination refuses or the
    /// role may not send to it.
    fn send(&self, delivery: &Delivery<'_>) -> Result<(), AwsError>;
}

/// How an asynchronous invocation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// It succeeded.
    Success,
    /// Every attempt failed.
    RetriesExhausted,
    /// It was older than `MaximumEventAgeInSeconds` before a retry.
    EventAgeExceeded,
}

impl Condition {
    fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// The services a destination ARN may name.
pub const DESTINATION_SERVICES: [&str; 4] = ["sqs", "sns", "lambda", "events"];

/// Checks `DestinationConfig`'s ARNs name a supported service.
pub fn check_config(config: &Value) -> Result<(), AwsError> {
    for side in ["OnSuccess", "OnFailure"] {
        let Some(arn) = config[side]["Destination"].as_str() else {
            continue;
        };
        let service = arn.split(':').nth(2).unwrap_or_default();
        if !arn.starts_with("arn:") || !DESTINATION_SERVICES.contains(&service) {
            return Err(crate::invalid(format!(
                "The destination ARN {arn} is invalid."
            )));
        }
    }
    Ok(())
}

/// AWS's invocation record for a destination.
pub fn invocation_record(
    request_id: &str,
    function_arn: &str,
    condition: Condition,
    attempts: usize,
    payload: &[u8],
    outcome: Option<&Outcome>,
    now_ms: i64,
) -> Value {
    let as_json = |bytes: &[u8]| {
        serde_json::from_slice::<Value>(bytes)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(bytes)))
    };
    let mut record = json!({
        "version": "1.0",
        "timestamp": gureum_core::timestamp::format_iso8601(now_ms),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition.as_str(),
            "approximateInvokeCount": attempts,
        },
        "requestPayload": as_json(payload),
    });
    if let Some(o) = outcome {
        let mut response = json!({"statusCode": 200, "executedVersion": o.version});
        if let Some(e) = o.function_error {
            response["functionError"] = json!(e);
        }
        record["responseContext"] = response;
        record["responsePayload"] = as_json(&o.payload);
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_invocation_record_names_its_condition_and_error() {
        let outcome = Outcome {
            payload: br#"{"errorMessage": "boom"}"#.to_vec(),
            function_error: Some("Unhandled"),
            log: Vec::new(),
            version: "$LATEST".into(),
            streamed: false,
        };
        let r = invocation_record(
            "id",
            "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
            Condition::RetriesExhausted,
            3,
            br#"{"a": 1}"#,
            Some(&outcome),
            0,
        );
        assert_eq!(r["requestContext"]["condition"], "RetriesExhausted");
        assert_eq!(r["requestContext"]["approximateInvokeCount"], 3);
        assert_eq!(r["requestPayload"], json!({"a": 1}));
        assert_eq!(r["responseContext"]["functionError"], "Unhandled");
        assert_eq!(r["responsePayload"]["errorMessage"], "boom");
    }

    #[test]
    fn destinations_must_be_queues_topics_functions_or_buses() {
        let ok = json!({"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:000000000000:q"}});
        check_config(&ok).expect("queue");
        let bad = json!({"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}});
        assert_eq!(
            check_config(&bad).expect_err("s3").message,
            "The destination ARN arn:aws:s3:::bucket is invalid."
        );
    }
}
