//! CloudWatch Logs' errors, declared once (checked against the model by
//! the test below). Messages are the text CloudWatch Logs answers; where
//! the API reference does not give it, the wording is marked "(Gureum's)".

gureum_core::aws_errors! {
    /// What a CloudWatch Logs operation answers when it refuses.
    pub enum LogsError {
        /// A log group of that name exists in the region.
        LogGroupAlreadyExists = ("ResourceAlreadyExistsException", 400,
            "The specified log group already exists"),
        /// No log group of that name in the region.
        LogGroupNotFound = ("ResourceNotFoundException", 400,
            "The specified log group does not exist."),
        /// A log stream of that name exists in the group.
        LogStreamAlreadyExists = ("ResourceAlreadyExistsException", 400,
            "The specified log stream already exists"),
        /// No log stream of that name in the group.
        LogStreamNotFound = ("ResourceNotFoundException", 400,
            "The specified log stream does not exist."),
        /// No metric filter of that name on the group.
        MetricFilterNotFound = ("ResourceNotFoundException", 400,
            "The specified metric filter does not exist."),
        /// No subscription filter of that name on the group.
        SubscriptionFilterNotFound = ("ResourceNotFoundException", 400,
            "The specified subscription filter does not exist."),
        /// No Logs Insights query of that id.
        QueryNotFound { id: String } = ("ResourceNotFoundException", 400,
            "Query does not exist: {id}"),
        /// No saved query of that id.
        QueryDefinitionNotFound = ("ResourceNotFoundException", 400,
            "The specified query definition does not exist (Gureum's wording)."),
        /// No resource policy of that name.
        PolicyNotFound { name: String } = ("ResourceNotFoundException", 400,
            "Policy with name [{name}] does not exist"),
        /// A group without a data protection policy.
        DataProtectionPolicyNotFound = ("ResourceNotFoundException", 400,
            "The log group has no data protection policy (Gureum's wording)."),
        /// No destination of that name.
        DestinationNotFound = ("ResourceNotFoundException", 400,
            "The specified destination does not exist."),
        /// No export task of that id.
        ExportTaskNotFound = ("ResourceNotFoundException", 400,
            "The specified export task does not exist (Gureum's wording)."),
        /// An operation the resource's state does not allow.
        InvalidOperation { message: String } = ("InvalidOperationException", 400, "{message}"),
        /// A member's value is not one the operation accepts.
        InvalidParameter { message: String } = ("InvalidParameterException", 400, "{message}"),
        /// A per-group limit (metric filters, subscription filters) reached.
        LimitExceeded { message: String } = ("LimitExceededException", 400, "{message}"),
        /// More than 50 tags on a resource.
        TooManyTags { arn: String } = ("TooManyTagsException", 400,
            "A resource can have no more than 50 tags.", resourceName = arn),
        /// A Logs Insights query that does not parse.
        MalformedQuery { message: String } = ("MalformedQueryException", 400, "{message}"),
    }
}

/// `InvalidParameterException` with `message`.
pub fn invalid(message: impl Into<String>) -> gureum_core::AwsError {
    LogsError::InvalidParameter {
        message: message.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::LogsError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("logs").expect("logs model");
        let problems = gureum_protocol::check_declared_errors(&model, LogsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
