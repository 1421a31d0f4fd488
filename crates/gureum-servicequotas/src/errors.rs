//! Service Quotas' errors, declared once (checked against
//! `models/service-quotas.json` by the test below). Every error of this
//! json-1.1 service is a 400 with its message in `Message`.

gureum_core::aws_errors! {
    /// Service Quotas' errors.
    pub enum QuotasError {
        /// A service code Service Quotas does not know.
        NoSuchService = ("NoSuchResourceException", 400,
            "The request failed because the specified service does not exist."),
        /// A quota code the service does not have.
        NoSuchQuota = ("NoSuchResourceException", 400,
            "The request failed because the specified quota does not exist."),
        /// A request id no request has.
        NoSuchRequest = ("NoSuchResourceException", 400,
            "The request failed because the specified request does not exist."),
        /// An increase of a quota that cannot be adjusted.
        NotAdjustable = ("IllegalArgumentException", 400,
            "The request failed because the specified quota is not adjustable."),
        /// An "increase" to the current value or below.
        NotAnIncrease { desired: f64, current: f64 } = ("IllegalArgumentException", 400,
            "The request failed because the desired value ({desired}) is less than or equal to the current value ({current})."),
        /// An increase while another for the same quota is still open.
        DuplicateRequest = ("ResourceAlreadyExistsException", 400,
            "The request failed because a request for this quota is already pending."),
        /// A `NextToken` this server did not hand out.
        BadToken = ("InvalidPaginationTokenException", 400,
            "Invalid pagination token."),
    }
}

impl From<gureum_kit::paging::PagingError> for QuotasError {
    fn from(_: gureum_kit::paging::PagingError) -> Self {
        // Sizes are checked by the model (1–100) before a handler runs, so
        // only a token can be refused here.
        QuotasError::BadToken
    }
}

#[cfg(test)]
mod tests {
    use super::QuotasError;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("service-quotas").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, QuotasError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn messages_fill_in_the_values() {
        let e = gureum_core::AwsError::from(QuotasError::NotAnIncrease {
            desired: 5.0,
            current: 5.0,
        });
        assert_eq!(e.code, "IllegalArgumentException");
        assert!(e.message.contains("desired value (5)"), "{}", e.message);
    }
}
