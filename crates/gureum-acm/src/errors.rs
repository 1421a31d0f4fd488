//! ACM's errors, declared once and checked against the model. Messages are
//! the ones ACM answers on the wire (as its users report them); where no
//! report was found, they follow ACM's own wording style and say so.

gureum_core::aws_errors! {
    /// What an ACM operation answers when it refuses.
    pub enum AcmError {
        /// No certificate with that ARN in the caller's account and region.
        CertificateNotFound { arn: String } =
            ("ResourceNotFoundException", 400, "Could not find certificate {arn}."),
        /// A string that is not an ACM certificate ARN.
        InvalidArn { arn: String } =
            ("InvalidArnException", 400, "String '{arn}' is not a valid ARN."),
        /// `DeleteCertificate` of a certificate a load balancer uses.
        InUse { arn: String, account: String } =
            ("ResourceInUseException", 400, "Certificate {arn} in account {account} is in use."),
        /// `GetCertificate`/`ExportCertificate` before the certificate is issued.
        NotYetIssued { arn: String } =
            ("RequestInProgressException", 400, "Certificate {arn} is not yet issued."),
        /// A request parameter ACM refuses (names, key algorithm, …).
        InvalidParameter { message: String } =
            ("InvalidParameterException", 400, "{message}"),
        /// `DomainValidationOptions` naming a domain not in the request.
        InvalidValidationDomain { domain: String } =
            ("InvalidDomainValidationOptionsException", 400,
             "DomainValidationOption {domain} is not a domain name on the certificate."),
        /// A tag key or value ACM refuses.
        InvalidTag { message: String } = ("InvalidTagException", 400, "{message}"),
        /// More than 50 tags on one certificate.
        TooManyTags = ("TooManyTagsException", 400,
            "The request contains too many tags. A certificate can have at most 50 tags."),
        /// ImportCertificate/RenewCertificate on a certificate in a state that forbids it.
        InvalidState { message: String } = ("InvalidStateException", 400, "{message}"),
        /// Conflicting concurrent use of an idempotency token.
        Conflict { message: String } = ("ConflictException", 400, "{message}"),
        /// A list request's filters or token ACM refuses.
        InvalidArgs { message: String } = ("InvalidArgsException", 400, "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::AcmError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("acm").expect("the acm model");
        let problems = gureum_protocol::check_declared_errors(&model, AcmError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
