//! CloudWatch Logs' errors, declared once (checked against the model by
//! the test below).

gureum_core::aws_errors! {
    /// What a CloudWatch Logs operation answers when it refuses.
    pub enum LogsError {
        /// A log group of that name exists in the region.
        LogGroupAlreadyExists = ("ResourceAlreadyExistsException", 400,
            "The specified log group already exists"),
        /// No log group of that name in the region.
        LogGroupNotFound = ("ResourceNotFoundException", 400,
            "The specified log group does not exist."),
        /// A member's value is not one the operation accepts.
        InvalidParameter { message: String } = ("InvalidParameterException", 400, "{message}"),
    }
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
