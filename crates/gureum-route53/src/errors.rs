//! Route 53's errors, declared once (checked against the model below).

gureum_core::aws_errors! {
    /// What a Route 53 operation answers when it refuses.
    pub enum Route53Error {
        /// The input is not valid.
        InvalidInput { message: String } = ("InvalidInput", 400, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::Route53Error;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("route53").expect("route53 model");
        let problems = gureum_protocol::check_declared_errors(&model, Route53Error::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
