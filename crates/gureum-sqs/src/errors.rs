//! SQS's errors, declared once (checked against `models/sqs.json` by the
//! test below). Codes are the model's shape names; the legacy query codes
//! (`AWS.SimpleQueueService.NonExistentQueue`) are the model's
//! `error.code` and reach json callers in `x-amzn-query-error`. Messages
//! follow what SQS answers on the wire. Parameter errors
//! (`InvalidParameterValue`, `MissingParameter`) are
//! [`gureum_core::CommonError`]s, built by the helpers below.

use gureum_core::{AwsError, CommonError};

gureum_core::aws_errors! {
    /// SQS's errors.
    pub enum SqsError {
        /// A queue URL or name no queue has.
        NoSuchQueue = ("QueueDoesNotExist", 400, "The specified queue does not exist."),
        /// CreateQueue of an existing name with different attributes.
        NameExists { attribute: String } = ("QueueNameExists", 400,
            "A queue already exists with the same name and a different value for attribute {attribute}"),
        /// An attribute SQS does not know.
        BadAttributeName { name: String } = ("InvalidAttributeName", 400, "Unknown Attribute {name}."),
        /// An attribute value out of its range or of the wrong form.
        BadAttributeValue { name: String } = ("InvalidAttributeValue", 400,
            "Invalid value for the parameter {name}."),
        /// An attribute value with AWS's reason.
        BadAttributeReason { name: String, reason: String } = ("InvalidAttributeValue", 400,
            "Invalid value for the parameter {name}. Reason: {reason}"),
        /// A receipt handle this server never issued.
        BadReceiptHandle { handle: String } = ("ReceiptHandleIsInvalid", 400,
            "The input receipt handle \"{handle}\" is not a valid receipt handle."),
        /// ChangeMessageVisibility of a message not in flight.
        NotInflight = ("MessageNotInflight", 400,
            "Message does not exist or is not available for visibility timeout change."),
        /// CreateQueue of a name deleted less than 60 seconds ago.
        DeletedRecently = ("QueueDeletedRecently", 400,
            "You must wait 60 seconds after deleting a queue before you can create another with the same name."),
        /// A second PurgeQueue within 60 seconds.
        PurgeInProgress { name: String } = ("PurgeQueueInProgress", 400,
            "Only one PurgeQueue operation on {name} is allowed every 60 seconds."),
        /// A batch without entries.
        EmptyBatch { entry: String } = ("EmptyBatchRequest", 400,
            "There should be at least one {entry} in the request."),
        /// More than ten entries.
        TooManyEntries { count: usize } = ("TooManyEntriesInBatchRequest", 400,
            "Maximum number of entries per request are 10. You have sent {count}."),
        /// Two entries with one id.
        DuplicateIds { id: String } = ("BatchEntryIdsNotDistinct", 400, "Id {id} repeated."),
        /// An entry id of the wrong form.
        BadEntryId = ("InvalidBatchEntryId", 400,
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."),
        /// A batch whose bodies together exceed the limit.
        BatchTooLong { size: usize } = ("BatchRequestTooLong", 400,
            "Batch requests cannot be longer than 262144 bytes. You have sent {size} bytes."),
        /// Characters SQS does not allow in a body.
        BadContents = ("InvalidMessageContents", 400,
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"),
        /// A message move task that does not exist or cannot be found.
        NoSuchResource { message: String } = ("ResourceNotFoundException", 400, "{message}"),
        /// An operation the queue's kind does not support.
        Unsupported { message: String } = ("UnsupportedOperation", 400, "{message}"),
        /// Too many of something (tags, permissions, in-flight messages).
        OverLimit { message: String } = ("OverLimit", 400, "{message}"),
    }
}

/// `InvalidParameterValue` with `message`.
pub fn invalid(message: impl Into<String>) -> AwsError {
    CommonError::InvalidParameterValue {
        message: message.into(),
    }
    .into()
}

/// `InvalidParameterValue` as SQS words a number out of range:
/// `Value 11 for parameter MaxNumberOfMessages is invalid. Reason: …`.
pub fn invalid_value(value: impl std::fmt::Display, parameter: &str, reason: &str) -> AwsError {
    invalid(format!(
        "Value {value} for parameter {parameter} is invalid. Reason: {reason}"
    ))
}

/// `MissingParameter` for `parameter`.
pub fn missing(parameter: &str) -> AwsError {
    CommonError::MissingParameter {
        message: format!("The request must contain the parameter {parameter}."),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::SqsError;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("sqs").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, SqsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn query_codes_travel_in_the_query_error_header() {
        let model = gureum_model::load("sqs").expect("model");
        let e = gureum_core::AwsError::from(SqsError::NoSuchQueue);
        let r = gureum_protocol::serialize_error(&model, gureum_model::Protocol::Json10, &e, "req");
        let header = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-query-error"))
            .map(|(_, v)| v.as_str());
        assert_eq!(
            header,
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
        assert_eq!(r.status, 400);
    }
}
