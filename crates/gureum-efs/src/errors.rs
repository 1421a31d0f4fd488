//! Amazon EFS's errors, declared once and checked against the model.
//! Messages follow what EFS answers on the wire; every error body also
//! carries `ErrorCode` (the code again), as EFS's do.

gureum_core::aws_errors! {
    /// What an EFS operation answers when it refuses.
    pub enum EfsError {
        /// An unknown file system id.
        FileSystemNotFound { id: String, code: String } =
            ("FileSystemNotFound", 404, "File system '{id}' does not exist.", ErrorCode = code),
        /// `CreateFileSystem` with a creation token already used.
        FileSystemAlreadyExists { id: String, token: String, code: String } =
            ("FileSystemAlreadyExists", 409, "File system '{id}' already exists with creation token '{token}'",
             ErrorCode = code, FileSystemId = id),
        /// `DeleteFileSystem` while mount targets remain.
        FileSystemInUse { id: String, code: String } =
            ("FileSystemInUse", 409,
             "The file system '{id}' cannot be deleted because it has mount targets. You must delete the mount targets, and then try again.",
             ErrorCode = code),
        /// An operation that needs an `available` file system.
        IncorrectFileSystemLifeCycleState { id: String, state: String, code: String } =
            ("IncorrectFileSystemLifeCycleState", 409, "File system '{id}' is in the '{state}' state.", ErrorCode = code),
        /// An unknown mount target id.
        MountTargetNotFound { id: String, code: String } =
            ("MountTargetNotFound", 404, "Mount target '{id}' does not exist.", ErrorCode = code),
        /// A second mount target of a file system in one Availability Zone.
        MountTargetConflict { code: String } =
            ("MountTargetConflict", 409, "mount target already exists in this AZ", ErrorCode = code),
        /// An unknown subnet id.
        SubnetNotFound { id: String, code: String } =
            ("SubnetNotFound", 400, "The subnet ID '{id}' does not exist", ErrorCode = code),
        /// A security group not in the mount target's VPC.
        SecurityGroupNotFound { id: String, code: String } =
            ("SecurityGroupNotFound", 400, "The security group '{id}' does not exist in the VPC of the mount target.", ErrorCode = code),
        /// More than five security groups on a mount target.
        SecurityGroupLimitExceeded { code: String } =
            ("SecurityGroupLimitExceeded", 400, "The number of security groups exceeds the limit of 5.", ErrorCode = code),
        /// An unknown access point id.
        AccessPointNotFound { id: String, code: String } =
            ("AccessPointNotFound", 404, "Access point '{id}' does not exist.", ErrorCode = code),
        /// `CreateAccessPoint` with a client token already used.
        AccessPointAlreadyExists { id: String, code: String } =
            ("AccessPointAlreadyExists", 409, "Access point '{id}' already exists with the same client token.",
             ErrorCode = code, AccessPointId = id),
        /// No file system policy or backup policy set.
        PolicyNotFound { id: String, code: String } =
            ("PolicyNotFound", 404, "File System Policy for '{id}' does not exist.", ErrorCode = code),
        /// No backup policy set.
        BackupPolicyNotFound { id: String, code: String } =
            ("PolicyNotFound", 404, "Backup Policy for '{id}' does not exist.", ErrorCode = code),
        /// A policy that is not a JSON object.
        InvalidPolicy { code: String } =
            ("InvalidPolicyException", 400, "Policy document is not a valid JSON.", ErrorCode = code),
        /// A request EFS refuses as malformed.
        BadRequest { message: String, code: String } =
            ("BadRequest", 400, "{message}", ErrorCode = code),
    }
}

/// Builds an [`EfsError`] whose `ErrorCode` member repeats its code.
#[macro_export]
#[doc(hidden)]
macro_rules! efs_error {
    ($variant:ident { $($field:ident : $value:expr),* $(,)? }) => {
        $crate::errors::EfsError::$variant {
            $($field: $value.into(),)*
            code: stringify!($variant).into(),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::EfsError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("efs").expect("the efs model");
        let problems = gureum_protocol::check_declared_errors(&model, EfsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
