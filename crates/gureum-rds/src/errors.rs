//! RDS's errors, declared once and checked against the model.
//!
//! Messages are the text RDS answers on the wire (as its users report
//! them); `InvalidParameterValue` and `InvalidParameterCombination` are
//! common errors, built by the helpers below so their wording lives here.

use gureum_core::{AwsError, CommonError};

gureum_core::aws_errors! {
    /// What an RDS operation answers when it refuses.
    pub enum RdsError {
        /// The identifier is taken in the region.
        DbInstanceAlreadyExists =
            ("DBInstanceAlreadyExists", 400, "DB instance already exists"),
        /// No such DB instance.
        DbInstanceNotFound { id: String } =
            ("DBInstanceNotFound", 404, "DBInstance {id} not found."),
        /// Stop (and snapshots, modify) need an available instance.
        NotAvailable { id: String } =
            ("InvalidDBInstanceState", 400, "Instance {id} is not in available state."),
        /// Start needs a stopped instance.
        NotStopped { id: String } =
            ("InvalidDBInstanceState", 400, "Instance {id} is not stopped, it cannot be started."),
        /// Modify needs an available instance.
        ModifyNotAvailable =
            ("InvalidDBInstanceState", 400, "Database instance is not in available state."),
        /// Delete of an instance already being deleted.
        AlreadyDeleting { id: String } =
            ("InvalidDBInstanceState", 400, "Instance {id} is already being deleted."),
        /// A replica needs the source's automated backups.
        BackupsDisabled =
            ("InvalidDBInstanceState", 400, "Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value."),
        /// Promote of an instance that replicates nothing.
        NotAReplica { id: String } =
            ("InvalidDBInstanceState", 400, "DB Instance {id} is not a read replica."),
        /// The snapshot identifier is taken.
        DbSnapshotAlreadyExists { id: String } =
            ("DBSnapshotAlreadyExists", 400, "Cannot create the snapshot because a snapshot with the identifier {id} already exists."),
        /// No such snapshot.
        DbSnapshotNotFound { id: String } =
            ("DBSnapshotNotFound", 404, "DBSnapshot {id} not found."),
        /// A snapshot still being made.
        SnapshotNotAvailable { id: String } =
            ("InvalidDBSnapshotState", 400, "Snapshot {id} is not in available state."),
        /// No such parameter group.
        DbParameterGroupNotFound { name: String } =
            ("DBParameterGroupNotFound", 404, "DBParameterGroup not found: {name}"),
        /// The parameter group name is taken.
        DbParameterGroupAlreadyExists { name: String } =
            ("DBParameterGroupAlreadyExists", 400, "Parameter group {name} already exists"),
        /// Default groups cannot change.
        DefaultParameterGroup { name: String } =
            ("InvalidDBParameterGroupState", 400, "Default parameter group {name} cannot be modified."),
        /// A group some instance uses cannot go.
        ParameterGroupInUse { name: String } =
            ("InvalidDBParameterGroupState", 400, "One or more database instances are still members of this parameter group {name}, so the group cannot be deleted"),
        /// No such subnet group.
        DbSubnetGroupNotFound { name: String } =
            ("DBSubnetGroupNotFoundFault", 404, "DBSubnetGroup {name} not found."),
        /// The subnet group name is taken.
        DbSubnetGroupAlreadyExists { name: String } =
            ("DBSubnetGroupAlreadyExists", 400, "The DB subnet group '{name}' already exists."),
        /// Fewer than two AZs.
        NotEnoughAzs { azs: usize } =
            ("DBSubnetGroupDoesNotCoverEnoughAZs", 400, "DB Subnet Group doesn't meet availability zone coverage requirement. Please add subnets to cover at least 2 availability zones. Current coverage: {azs}"),
        /// A subnet EC2 does not know, or in another VPC.
        InvalidSubnet { message: String } = ("InvalidSubnet", 400, "{message}"),
        /// A subnet group in use.
        SubnetGroupInUse { name: String } =
            ("InvalidDBSubnetGroupStateFault", 400, "Cannot delete the subnet group '{name}' because at least one database instance: is still using it."),
    }
}

/// `InvalidParameterValue` with `message`.
pub fn invalid_value(message: impl Into<String>) -> AwsError {
    CommonError::InvalidParameterValue {
        message: message.into(),
    }
    .into()
}

/// `InvalidParameterCombination` with `message`.
pub fn invalid_combination(message: impl Into<String>) -> AwsError {
    CommonError::InvalidParameterCombination {
        message: message.into(),
    }
    .into()
}

/// A required member is absent.
pub fn missing(member: &str) -> AwsError {
    CommonError::MissingParameter {
        message: format!("The request must contain the parameter {member}"),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::RdsError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("rds").expect("the rds model");
        let problems = gureum_protocol::check_declared_errors(&model, RdsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
