//! Lambda's errors, declared once (checked against the model below).

gureum_core::aws_errors! {
    /// What a Lambda operation answers when it refuses.
    pub enum LambdaError {
        /// A member's value is not one the operation accepts.
        InvalidParameterValue { message: String } =
            ("InvalidParameterValueException", 400, "{message}"),
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
