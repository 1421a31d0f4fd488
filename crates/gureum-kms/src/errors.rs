//! KMS's errors, declared once (checked against `models/kms.json` by the
//! test below). Every KMS error is a json-1.1 error with its message in
//! `message`; the texts are the ones AWS answers on the wire where known
//! (key ARNs first: "`arn:…` is disabled.", "`arn:…` is pending deletion.").

gureum_core::aws_errors! {
    /// KMS's errors.
    pub enum KmsError {
        /// A key id or ARN that names no key in the caller's account and region.
        NoSuchKey { arn: String } = ("NotFoundException", 400,
            "Key '{arn}' does not exist"),
        /// An alias (name or ARN) that does not exist.
        NoSuchAlias { arn: String } = ("NotFoundException", 400,
            "Alias {arn} is not found."),
        /// A `KeyId` that is neither a key id, a key ARN, an alias name nor an
        /// alias ARN.
        InvalidKeyId { id: String } = ("NotFoundException", 400,
            "Invalid keyId {id}"),
        /// A grant or policy name that does not exist.
        NoSuchPolicy = ("NotFoundException", 400,
            "No such policy exists"),
        /// A `KeyId` that starts like an ARN but is not a KMS key or alias
        /// ARN (AWS answers NotFoundException with this text).
        InvalidArn = ("NotFoundException", 400, "Invalid arn"),
        /// `Decrypt` of a ciphertext whose key is not in the caller's
        /// account and region (AWS's wording; an access error, so that a
        /// ciphertext does not reveal which keys exist).
        CiphertextKeyUnknown = ("AccessDeniedException", 400,
            "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."),
        /// A disabled key asked to do cryptography (AWS's wording).
        Disabled { arn: String } = ("DisabledException", 400,
            "{arn} is disabled."),
        /// A key pending deletion asked to do anything but be described or
        /// have its deletion cancelled (AWS's wording).
        PendingDeletion { arn: String } = ("KMSInvalidStateException", 400,
            "{arn} is pending deletion."),
        /// A key of imported material that has none (never imported,
        /// expired or deleted).
        PendingImport { arn: String } = ("KMSInvalidStateException", 400,
            "{arn} is pending import."),
        /// An import token this server did not hand out for this key.
        InvalidImportToken = ("InvalidImportTokenException", 400,
            "The import token is not valid for this KMS key."),
        /// An import token past its 24 hours.
        ExpiredImportToken = ("ExpiredImportTokenException", 400,
            "The import token has expired."),
        /// Material that is not the key's (a re-import must bring the same
        /// material; a symmetric key's is 32 bytes).
        IncorrectKeyMaterial = ("IncorrectKeyMaterialException", 400,
            "The key material in the request is not the key material previously imported into this KMS key."),
        /// `CancelKeyDeletion` on a key that is not pending deletion.
        NotPendingDeletion { arn: String } = ("KMSInvalidStateException", 400,
            "{arn} is not pending deletion."),
        /// A ciphertext that is not one of Gureum's, was altered, or was
        /// bound to another encryption context. AWS answers this one without
        /// a message, so that nothing about the mismatch leaks.
        InvalidCiphertext = ("InvalidCiphertextException", 400, ""),
        /// `Decrypt`/`ReEncrypt` with a `KeyId` that is not the key the
        /// ciphertext was encrypted under (the API reference's text).
        IncorrectKey = ("IncorrectKeyException", 400,
            "The key ID in the request does not identify a CMK that can perform this operation."),
        /// A key used for an operation its usage does not allow.
        WrongUsage { arn: String, usage: String, operation: String } = ("InvalidKeyUsageException", 400,
            "{arn} key usage is {usage} which is not valid for {operation}."),
        /// An algorithm the key does not support.
        WrongAlgorithm { arn: String, algorithm: String } = ("InvalidKeyUsageException", 400,
            "{arn} does not support the {algorithm} algorithm."),
        /// An operation a key of this kind does not support (rotation of an
        /// asymmetric key, policies other than `default`, …).
        Unsupported { what: String } = ("UnsupportedOperationException", 400,
            "{what}"),
        /// A key policy document that is not a valid policy.
        MalformedPolicy = ("MalformedPolicyDocumentException", 400,
            "The key policy is not a valid policy document."),
        /// A key policy that would lock the caller out of the key (AWS's
        /// wording).
        Lockout = ("MalformedPolicyDocumentException", 400,
            "The new key policy will not allow you to update the key policy in the future."),
        /// An alias name already in use in the account and region.
        AliasExists { arn: String } = ("AlreadyExistsException", 400,
            "An alias with the name {arn} already exists"),
        /// `ReplicateKey` to a region that already has the key.
        ReplicaExists { arn: String } = ("AlreadyExistsException", 400,
            "{arn} already exists"),
        /// An alias under `alias/aws/`, which AWS reserves for AWS managed
        /// keys. AWS answers `NotAuthorizedException` (not in the model)
        /// with no message.
        ReservedAlias = ("NotAuthorizedException", 400, ""),
        /// An AWS managed key's alias or state changed by a caller.
        ManagedKey { arn: String } = ("UnsupportedOperationException", 400,
            "{arn} is an AWS managed key and cannot be modified."),
        /// `Verify` of a signature that does not verify. AWS answers it
        /// without a message.
        InvalidSignature = ("KMSInvalidSignatureException", 400, ""),
        /// `VerifyMac` of a MAC that does not match. AWS answers it without
        /// a message.
        InvalidMac = ("KMSInvalidMacException", 400, ""),
        /// A grant id that names no grant of the key.
        NoSuchGrant { id: String } = ("NotFoundException", 400,
            "Grant ID {id} not found"),
        /// A grant token this server did not hand out.
        InvalidGrantToken = ("InvalidGrantTokenException", 400,
            "The grant token is not valid."),
        /// A request with `DryRun` that would have succeeded.
        DryRun = ("DryRunOperationException", 412,
            "The request would have succeeded, but the DryRun option is set."),
        /// A `Marker` this server did not hand out.
        BadMarker = ("InvalidMarkerException", 400,
            "Invalid marker"),
        /// A tag key that starts with `aws:` (reserved by AWS).
        ReservedTag = ("TagException", 400,
            "Tag keys beginning with 'aws:' are reserved"),
    }
}

/// Codes AWS answers that the model does not list for KMS.
pub const UNMODELLED: &[&str] = &["NotAuthorizedException", "AccessDeniedException"];

impl From<gureum_kit::paging::PagingError> for KmsError {
    fn from(_: gureum_kit::paging::PagingError) -> Self {
        // Sizes are checked by the model (1–1000) before a handler runs, so
        // only a marker can be refused here.
        KmsError::BadMarker
    }
}

#[cfg(test)]
mod tests {
    use super::{KmsError, UNMODELLED};

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("kms").expect("model");
        let problems =
            gureum_protocol::check_declared_errors(&model, KmsError::DECLARED, UNMODELLED);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn state_messages_start_with_the_key_arn() {
        let arn = "arn:aws:kms:us-east-1:000000000000:key/k".to_string();
        let e = gureum_core::AwsError::from(KmsError::Disabled { arn: arn.clone() });
        assert_eq!(e.message, format!("{arn} is disabled."));
        let e = gureum_core::AwsError::from(KmsError::PendingDeletion { arn: arn.clone() });
        assert_eq!(e.code, "KMSInvalidStateException");
        assert_eq!(e.message, format!("{arn} is pending deletion."));
    }
}
