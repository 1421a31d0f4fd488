//! Amazon Glacier's errors, declared once and checked against the model.
//!
//! Messages are the texts Glacier answers on the wire (its API reference
//! and what clients report seeing, e.g. the checksum mismatch text).

gureum_core::aws_errors! {
    /// What a Glacier operation answers when it refuses.
    pub enum GlacierError {
        /// A named vault does not exist.
        VaultNotFound { arn: String } =
            ("ResourceNotFoundException", 404, "Vault not found for ARN: {arn}"),
        /// An archive id the vault does not hold.
        ArchiveNotFound { id: String } =
            ("ResourceNotFoundException", 404, "Archive not found for ID: {id}"),
        /// A multipart upload id the vault does not hold.
        UploadNotFound { id: String } =
            ("ResourceNotFoundException", 404, "The upload ID was not found: {id}"),
        /// A job id the vault does not hold.
        JobNotFound { id: String } =
            ("ResourceNotFoundException", 404, "The job ID was not found: {id}"),
        /// A vault without an access policy, notifications or a lock.
        NoPolicy { what: String, arn: String } =
            ("ResourceNotFoundException", 404, "No {what} is set for the vault: {arn}"),
        /// `DeleteVault` of a vault that still holds archives.
        VaultNotEmpty { arn: String } =
            ("InvalidParameterValueException", 400, "Vault not empty or recently written to: {arn}"),
        /// The tree hash the client sent is not the body's.
        ChecksumMismatch { expected: String, computed: String } =
            ("InvalidParameterValueException", 400, "Checksum mismatch: expected {expected}, computed {computed}"),
        /// A parameter out of its allowed values.
        InvalidParameter { message: String } =
            ("InvalidParameterValueException", 400, "{message}"),
        /// A required header or member left out.
        MissingParameter { message: String } =
            ("MissingParameterValueException", 400, "{message}"),
        /// More tags than a vault may hold (50).
        TooManyTags =
            ("LimitExceededException", 400, "The maximum number of tags (50) for the vault has been exceeded."),
        /// More vaults than an account may hold in a region (1,000).
        TooManyVaults =
            ("LimitExceededException", 400, "The maximum number of vaults (1000) has been exceeded."),
        /// A job's output asked for before the job completed.
        JobNotReady { id: String } =
            ("InvalidParameterValueException", 400, "The job is not currently available for download: {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::GlacierError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("glacier").expect("the glacier model");
        let problems = gureum_protocol::check_declared_errors(&model, GlacierError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
