//! DynamoDB's errors, declared once (checked against
//! `models/dynamodb.json` by the test below). Messages are those AWS
//! answers on the wire; `ValidationException` is a
//! [`gureum_core::CommonError`], built by [`validation`].

use gureum_core::{AwsError, CommonError};

gureum_core::aws_errors! {
    /// DynamoDB's errors.
    pub enum DynamoError {
        /// A table (or index) that does not exist, as data-plane calls
        /// word it.
        NotFound = ("ResourceNotFoundException", 400, "Requested resource not found"),
        /// Another resource that does not exist (an index, a Kinesis
        /// stream), named in the message.
        Missing { message: String } = ("ResourceNotFoundException", 400, "{message}"),
        /// A named table that does not exist (control-plane calls).
        TableNotFound { name: String } = ("ResourceNotFoundException", 400,
            "Requested resource not found: Table: {name} not found"),
        /// A resource ARN that names no table.
        ArnNotFound { arn: String } = ("ResourceNotFoundException", 400,
            "Requested resource not found: ResourceArn: {arn} not found"),
        /// CreateTable of a name in use.
        TableExists { name: String } = ("ResourceInUseException", 400,
            "Table already exists: {name}"),
        /// An operation on a table not ACTIVE (or an index being built).
        InUse { message: String } = ("ResourceInUseException", 400, "{message}"),
        /// A condition that did not hold.
        ConditionFailed = ("ConditionalCheckFailedException", 400, "The conditional request failed"),
        /// A transaction some of whose items failed.
        Cancelled { reasons: String, list: serde_json::Value } = ("TransactionCanceledException", 400,
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{reasons}]",
            CancellationReasons = list),
        /// A client token reused with different parameters.
        IdempotentMismatch = ("IdempotentParameterMismatchException", 400,
            "Specified idempotency token was used with different request parameters within the 10-minute idempotency window."),
        /// A PartiQL INSERT of a key that exists.
        Duplicate = ("DuplicateItemException", 400, "Duplicate primary key exists in table"),
        /// A table a backup or recovery operation names that does not
        /// exist.
        TableNotFoundNamed { name: String } = ("TableNotFoundException", 400,
            "Table not found: {name}"),
        /// A restore's target name in use.
        TableAlreadyExists { name: String } = ("TableAlreadyExistsException", 400,
            "Table already exists: {name}"),
        /// A backup ARN that names no backup.
        BackupNotFound { arn: String } = ("BackupNotFoundException", 400,
            "Backup not found: {arn}"),
        /// RestoreTableToPointInTime of a table without recovery on.
        PitrUnavailable { name: String } = ("PointInTimeRecoveryUnavailableException", 400,
            "Point in time recovery is not enabled for table '{name}'"),
        /// A restore time outside the restorable window.
        InvalidRestoreTime = ("InvalidRestoreTimeException", 400, "Invalid restore time"),
        /// An export time outside the recovery window.
        InvalidExportTime = ("InvalidExportTimeException", 400,
            "The specified ExportTime is outside of the point in time recovery window"),
        /// An export ARN that names no export.
        ExportNotFound { arn: String } = ("ExportNotFoundException", 400,
            "Export not found: {arn}"),
        /// An import ARN that names no import.
        ImportNotFound { arn: String } = ("ImportNotFoundException", 400,
            "Import not found: {arn}"),
        /// A job's client token reused with other parameters (AWS's
        /// documentation names this error for exports and imports alike;
        /// the message is the model's description of it).
        ImportConflict = ("ImportConflictException", 400,
            "There was a conflict when importing from the specified S3 source. This can occur when the current import conflicts with a previous import request that had the same client token."),
        /// A table without a resource-based policy, or one whose revision
        /// is not the one the caller expected.
        PolicyNotFound { message: String } = ("PolicyNotFoundException", 400, "{message}"),
        /// CreateGlobalTable of a name in use, or of a table already in
        /// a group.
        GlobalTableExists { name: String } = ("GlobalTableAlreadyExistsException", 400,
            "Global table already exists: {name}"),
        /// A legacy global table that does not exist.
        GlobalTableNotFound { name: String } = ("GlobalTableNotFoundException", 400,
            "Global table not found: {name}"),
        /// UpdateGlobalTable adding a region already in the group.
        ReplicaExists { region: String } = ("ReplicaAlreadyExistsException", 400,
            "Replica already exists: {region}"),
        /// UpdateGlobalTable removing a region not in the group.
        ReplicaMissing { region: String } = ("ReplicaNotFoundException", 400,
            "Replica not found: {region}"),
        /// Account limits (tables, indexes being created).
        Limit { message: String } = ("LimitExceededException", 400, "{message}"),
    }
}

/// `ValidationException` with `message`.
pub fn validation(message: impl Into<String>) -> AwsError {
    CommonError::ValidationException {
        message: message.into(),
    }
    .into()
}

/// `ValidationException` for an invalid parameter value, prefixed as AWS
/// prefixes them.
pub fn invalid(message: impl std::fmt::Display) -> AwsError {
    validation(format!(
        "One or more parameter values were invalid: {message}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("dynamodb").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, DynamoError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
