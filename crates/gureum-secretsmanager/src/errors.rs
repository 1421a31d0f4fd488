//! Secrets Manager's errors, declared once (checked against
//! `models/secretsmanager.json` by the test below). Every error of this
//! json-1.1 service is a 400 with its message in `Message`.
//!
//! Unsure wording (codes are the model's; the texts were written from
//! AWS's documentation of the condition, not captured from the wire, and
//! should be checked against AWS): `NameMarkedForDeletion`, `NoValue`,
//! `BadWindow`, `StageNotOn`, `NoCharacters`, `BatchSelector`,
//! `BadPolicy`, `TooManyTags`, `BadToken`, `Unsealable`.

gureum_core::aws_errors! {
    /// Secrets Manager's errors.
    pub enum SecretsError {
        /// No secret has the id (name or ARN).
        NotFound = ("ResourceNotFoundException", 400,
            "Secrets Manager can't find the specified secret."),
        /// The secret has no version with that id.
        NoVersionId { id: String } = ("ResourceNotFoundException", 400,
            "Secrets Manager can't find the specified secret value for VersionId: {id}"),
        /// No version carries that staging label.
        NoStage { stage: String } = ("ResourceNotFoundException", 400,
            "Secrets Manager can't find the specified secret value for staging label: {stage}"),
        /// `CreateSecret` with a name in use.
        Exists { name: String } = ("ResourceExistsException", 400,
            "The operation failed because the secret {name} already exists."),
        /// A `ClientRequestToken` reused with another value.
        VersionExists = ("ResourceExistsException", 400,
            "You can't modify an existing version, you can only create a new version."),
        /// An operation on a secret scheduled for deletion.
        MarkedForDeletion = ("InvalidRequestException", 400,
            "You can't perform this operation on the secret because it was marked for deletion."),
        /// A secret scheduled for deletion keeps its name.
        NameMarkedForDeletion { name: String } = ("InvalidRequestException", 400,
            "You can't create this secret because a secret with this name is already scheduled for deletion."),
        /// A name with characters AWS does not allow.
        BadName = ("InvalidParameterException", 400,
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"),
        /// Both `SecretString` and `SecretBinary`.
        BothValues = ("InvalidParameterException", 400,
            "You can't specify both a binary secret value and a string secret value in the same secret."),
        /// Neither `SecretString` nor `SecretBinary` where one is needed.
        NoValue = ("InvalidRequestException", 400,
            "You must provide either SecretString or SecretBinary."),
        /// `RotationRules` out of AWS's ranges.
        BadRotationRules { message: String } = ("InvalidParameterException", 400, "{message}"),
        /// A recovery window outside 7–30 days.
        BadWindow = ("InvalidParameterException", 400,
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."),
        /// A recovery window and a forced deletion together.
        WindowAndForce = ("InvalidParameterException", 400,
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."),
        /// A staging label moved from a version that does not carry it.
        StageNotOn { stage: String, id: String } = ("InvalidParameterException", 400,
            "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {id}, so you must explicitly reference that version in RemoveFromVersionId."),
        /// `GetRandomPassword` with every character type excluded.
        NoCharacters = ("InvalidParameterException", 400,
            "The password can't be generated because every character type is excluded."),
        /// `BatchGetSecretValue` with both or neither of its selectors.
        BatchSelector = ("InvalidParameterException", 400,
            "Either 'SecretIdList' or 'Filters' must be provided, but not both."),
        /// A resource policy that is not a JSON policy document.
        BadPolicy = ("MalformedPolicyDocumentException", 400,
            "This resource policy contains a syntax error."),
        /// More than 50 tags on a secret.
        TooManyTags = ("LimitExceededException", 400,
            "The request failed because it would exceed one of the Secrets Manager quotas."),
        /// A `RotateSecret` with no function, on a secret that has none.
        NoRotationFunction = ("InvalidRequestException", 400,
            "No Lambda rotation function ARN is associated with this secret."),
        /// `RotateSecret` while `AWSPENDING` is on a version other than
        /// `AWSCURRENT`'s (a rotation still in progress or failed).
        RotationInProgress = ("InvalidRequestException", 400,
            "A previous rotation isn't complete. That rotation will be reattempted."),
        /// A `NextToken` this server did not hand out.
        BadToken = ("InvalidNextTokenException", 400,
            "The NextToken value is invalid."),
        /// A value this server sealed that no longer opens.
        Unsealable = ("DecryptionFailure", 400,
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key."),
    }
}

impl From<gureum_kit::paging::PagingError> for SecretsError {
    fn from(_: gureum_kit::paging::PagingError) -> Self {
        SecretsError::BadToken
    }
}

#[cfg(test)]
mod tests {
    use super::SecretsError;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("secretsmanager").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, SecretsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
