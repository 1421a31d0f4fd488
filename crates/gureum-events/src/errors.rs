//! Amazon EventBridge's errors, declared once and checked against the model.
//!
//! Messages are those EventBridge answers on the wire (as reported by its
//! users; the API reference gives codes, not texts).

gureum_core::aws_errors! {
    /// What an EventBridge operation answers when it refuses.
    pub enum EventsError {
        /// A named bus does not exist.
        BusNotFound { name: String } =
            ("ResourceNotFoundException", 400, "Event bus {name} does not exist."),
        /// A named rule does not exist on its bus.
        RuleNotFound { name: String, bus: String } =
            ("ResourceNotFoundException", 400, "Rule {name} does not exist on EventBus {bus}."),
        /// A resource ARN (tags) names nothing.
        ArnNotFound { arn: String } =
            ("ResourceNotFoundException", 400, "Resource {arn} does not exist."),
        /// A statement id not in the bus's policy.
        StatementNotFound =
            ("ResourceNotFoundException", 400, "Statement with the provided id does not exist."),
        /// A bus name already taken.
        BusExists { name: String } =
            ("ResourceAlreadyExistsException", 400, "Event bus {name} already exists."),
        /// A pattern the language refuses.
        InvalidPattern { reason: String } =
            ("InvalidEventPatternException", 400, "Event pattern is not valid. Reason: {reason}"),
        /// Too many targets on a rule (5).
        TooManyTargets =
            ("LimitExceededException", 400, "The requested resource exceeds the maximum number allowed."),
    }
}

#[cfg(test)]
mod tests {
    use super::EventsError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("events").expect("the events model");
        let problems = gureum_protocol::check_declared_errors(&model, EventsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
