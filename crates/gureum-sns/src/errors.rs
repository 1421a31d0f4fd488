//! SNS's errors, declared once (checked against `models/sns.json` by the
//! test below). Codes are the model's shape names; the wire code is the
//! model's `error.code` (`NotFoundException` answers `NotFound`). Messages
//! are what SNS answers on the wire: most parameter errors are
//! `InvalidParameter` with "Invalid parameter: …", built by [`invalid`].

use gureum_core::AwsError;

gureum_core::aws_errors! {
    /// SNS's errors.
    pub enum SnsError {
        /// A topic ARN no topic has.
        NoTopic = ("NotFoundException", 404, "Topic does not exist"),
        /// A subscription ARN no subscription has.
        NoSubscription = ("NotFoundException", 404, "Subscription does not exist"),
        /// A platform endpoint ARN naming nothing (Gureum has none yet).
        NoEndpoint = ("NotFoundException", 404, "Endpoint does not exist"),
        /// A resource (tags) ARN naming nothing.
        NoResource = ("ResourceNotFoundException", 404, "Resource does not exist"),
        /// A parameter SNS refuses, with SNS's wording after "Invalid parameter: ".
        Invalid { what: String } = ("InvalidParameterException", 400, "Invalid parameter: {what}"),
        /// A message attribute SNS refuses (its own wording).
        BadValue { message: String } = ("InvalidParameterValueException", 400, "{message}"),
        /// Subscription filter policies over the account's limit.
        FilterPolicyLimit = ("FilterPolicyLimitExceededException", 403,
            "Filter policy limit exceeded"),
        /// More than 50 tags on a topic.
        TagLimit = ("TagLimitExceededException", 400,
            "Could not complete request: tag quota of per resource exceeded"),
        /// A PublishBatch without entries.
        EmptyBatch = ("EmptyBatchRequestException", 400,
            "The batch request doesn't contain any entries."),
        /// More than ten entries.
        TooManyEntries = ("TooManyEntriesInBatchRequestException", 400,
            "The batch request contains more entries than permissible."),
        /// Two entries with one id.
        DuplicateIds = ("BatchEntryIdsNotDistinctException", 400,
            "Two or more batch entries in the request have the same Id."),
        /// An entry id of the wrong form.
        BadEntryId = ("InvalidBatchEntryIdException", 400,
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."),
        /// Entries together over 256 KiB.
        BatchTooLong = ("BatchRequestTooLongException", 400,
            "The length of all the messages put together is more than the limit."),
        /// A caller or service the topic policy does not allow.
        AuthorizationError { message: String } = ("AuthorizationErrorException", 403, "{message}"),
    }
}

/// `InvalidParameter`: "Invalid parameter: `what`".
pub fn invalid(what: impl Into<String>) -> AwsError {
    SnsError::Invalid { what: what.into() }.into()
}

/// `InvalidParameterValue` with SNS's own sentence.
pub fn bad_value(message: impl Into<String>) -> AwsError {
    SnsError::BadValue {
        message: message.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::SnsError;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("sns").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, SnsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn not_found_answers_the_wire_code_with_awss_text() {
        let model = gureum_model::load("sns").expect("model");
        let e = gureum_core::AwsError::from(SnsError::NoTopic);
        let r = gureum_protocol::serialize_error(&model, gureum_model::Protocol::Query, &e, "req");
        let body = String::from_utf8_lossy(&r.body).to_string();
        assert_eq!(r.status, 404);
        assert!(body.contains("<Code>NotFound</Code>"), "{body}");
        assert!(
            body.contains("<Message>Topic does not exist</Message>"),
            "{body}"
        );
    }
}
