//! Lambda's errors, declared once (checked against the model below).
//! Messages are the ones Lambda answers on the wire.

gureum_core::aws_errors! {
    /// What a Lambda operation answers when it refuses.
    pub enum LambdaError {
        /// A member's value is not one the operation accepts.
        InvalidParameterValue { message: String } =
            ("InvalidParameterValueException", 400, "{message}"),
        /// The function, version, alias or statement does not exist.
        ResourceNotFound { message: String } =
            ("ResourceNotFoundException", 404, "{message}"),
        /// The name is taken, or the resource is busy.
        ResourceConflict { message: String } =
            ("ResourceConflictException", 409, "{message}"),
        /// The request body is over the operation's limit.
        RequestTooLarge { message: String } =
            ("RequestTooLargeException", 413, "{message}"),
        /// The unzipped code is over the limit.
        CodeStorageExceeded { message: String } =
            ("CodeStorageExceededException", 400, "{message}"),
        /// A revision id that is not the current one.
        PreconditionFailed { message: String } =
            ("PreconditionFailedException", 412, "{message}"),
        /// The payload is not JSON.
        InvalidRequestContent { message: String } =
            ("InvalidRequestContentException", 400, "{message}"),
        /// A concurrency limit is reached.
        TooManyRequests { kind: String, reason: String } =
            ("TooManyRequestsException", 429, "Rate Exceeded.", Type = kind, Reason = reason),
        /// The runtime or host could not run the function.
        Service { message: String } =
            ("ServiceException", 500, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::LambdaError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("lambda").expect("lambda model");
        let problems = gureum_protocol::check_declared_errors(&model, LambdaError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
