//! ElastiCache's errors, declared once and checked against the model.
//!
//! Codes and statuses are the model's; messages follow what ElastiCache
//! answers on the wire (`CacheParameterGroup not found: NAME`, `Cannot
//! create a Redis cluster with a NumCacheNodes parameter greater than 1.`).

gureum_core::aws_errors! {
    /// What an ElastiCache operation answers when it refuses.
    pub enum ElasticacheError {
        /// No cache cluster of that id.
        CacheClusterNotFound { id: String } =
            ("CacheClusterNotFound", 404, "CacheCluster not found: {id}"),
        /// The id is taken.
        CacheClusterAlreadyExists =
            ("CacheClusterAlreadyExists", 400, "Cache cluster already exists"),
        /// The cluster is not `available`.
        InvalidCacheClusterState { id: String, status: String } =
            ("InvalidCacheClusterState", 400,
             "Cache cluster {id} is not in available state (current state: {status})."),
        /// No replication group of that id.
        ReplicationGroupNotFound { id: String } =
            ("ReplicationGroupNotFoundFault", 404, "ReplicationGroup {id} not found"),
        /// The id is taken.
        ReplicationGroupAlreadyExists =
            ("ReplicationGroupAlreadyExists", 400, "Replication group already exists"),
        /// The group is not `available`.
        InvalidReplicationGroupState { id: String, status: String } =
            ("InvalidReplicationGroupState", 400,
             "Replication group {id} is not in available state (current state: {status})."),
        /// A member cluster cannot be deleted on its own.
        MemberOfReplicationGroup { id: String, group: String } =
            ("InvalidCacheClusterState", 400,
             "Cache cluster {id} is a member of replication group {group}."),
        /// No subnet group of that name.
        CacheSubnetGroupNotFound { name: String } =
            ("CacheSubnetGroupNotFoundFault", 400, "Cache subnet group {name} not found."),
        /// The name is taken.
        CacheSubnetGroupAlreadyExists { name: String } =
            ("CacheSubnetGroupAlreadyExists", 400, "Cache subnet group {name} already exists."),
        /// A cluster still uses the subnet group.
        CacheSubnetGroupInUse { name: String } =
            ("CacheSubnetGroupInUse", 400, "Cache subnet group {name} is currently in use by a cache cluster."),
        /// A subnet id EC2 does not know.
        InvalidSubnet { id: String } =
            ("InvalidSubnet", 400, "The subnet ID {id} does not exist"),
        /// Subnets of more than one VPC.
        SubnetsInDifferentVpcs =
            ("InvalidSubnet", 400, "Subnets must all belong to the same VPC."),
        /// No parameter group of that name.
        CacheParameterGroupNotFound { name: String } =
            ("CacheParameterGroupNotFound", 404, "CacheParameterGroup not found: {name}"),
        /// The name is taken.
        CacheParameterGroupAlreadyExists { name: String } =
            ("CacheParameterGroupAlreadyExists", 400,
             "Parameter group {name} already exists."),
        /// Default groups and groups in use refuse some changes.
        InvalidCacheParameterGroupState { message: String } =
            ("InvalidCacheParameterGroupState", 400, "{message}"),
        /// No snapshot of that name.
        SnapshotNotFound { name: String } =
            ("SnapshotNotFoundFault", 404, "Snapshot {name} not found."),
        /// The name is taken.
        SnapshotAlreadyExists { name: String } =
            ("SnapshotAlreadyExistsFault", 400, "Snapshot {name} already exists."),
        /// Memcached keeps no data to snapshot.
        SnapshotNotSupported { id: String } =
            ("SnapshotFeatureNotSupportedFault", 400,
             "Snapshots are not supported for cache cluster {id}: its engine is memcached."),
        /// A memcached cluster with more nodes than a cluster may have.
        NodeQuotaForCluster =
            ("NodeQuotaForClusterExceeded", 400,
             "The request cannot be processed because it would exceed the allowed number of cache nodes in a single cache cluster."),
        /// An ARN that is not an ElastiCache resource's.
        InvalidArn { arn: String } =
            ("InvalidARN", 400, "The ARN {arn} is not valid."),
        /// A tag key the resource does not carry.
        TagNotFound { key: String } =
            ("TagNotFound", 404, "Tag {key} not found."),
        /// `TestFailover` on a group that cannot fail over.
        TestFailoverNotAvailable { id: String } =
            ("TestFailoverNotAvailableFault", 400,
             "Test failover is not available for replication group {id}: it has no replica."),
        /// No node group of that id.
        NodeGroupNotFound { id: String } =
            ("NodeGroupNotFoundFault", 404, "Node group {id} not found."),
        /// No user of that id.
        UserNotFound { id: String } =
            ("UserNotFound", 404, "User {id} not found."),
        /// The user id is taken.
        UserAlreadyExists { id: String } =
            ("UserAlreadyExists", 400, "User {id} already exists."),
        /// No user group of that id.
        UserGroupNotFound { id: String } =
            ("UserGroupNotFound", 404, "User group {id} not found."),
        /// The user group id is taken.
        UserGroupAlreadyExists { id: String } =
            ("UserGroupAlreadyExists", 400, "User group {id} already exists."),
        /// Two users of one group share a user name.
        DuplicateUserName { name: String } =
            ("DuplicateUserName", 400, "A user with the user name {name} already exists in the user group."),
        /// A user group without a user named `default`.
        DefaultUserRequired =
            ("DefaultUserRequired", 400, "A user with the user name default is required in the user group."),
        /// A `default` user still in a user group.
        DefaultUserAssociatedToUserGroup =
            ("DefaultUserAssociatedToUserGroup", 400, "The default user is associated with a user group and cannot be deleted."),
        /// A user group still attached to a replication group.
        InvalidUserGroupState { id: String } =
            ("InvalidUserGroupState", 400, "User group {id} is associated with a replication group and cannot be deleted."),
        /// No serverless cache of that name.
        ServerlessCacheNotFound { name: String } =
            ("ServerlessCacheNotFoundFault", 404, "Serverless cache {name} not found."),
        /// The name is taken.
        ServerlessCacheAlreadyExists { name: String } =
            ("ServerlessCacheAlreadyExistsFault", 400, "Serverless cache {name} already exists."),
        /// A parameter's value breaks its rule.
        InvalidParameterValue { message: String } =
            ("InvalidParameterValue", 400, "{message}"),
        /// Parameters that do not go together.
        InvalidParameterCombination { message: String } =
            ("InvalidParameterCombination", 400, "{message}"),
        /// A `Marker` this server did not hand out.
        BadMarker =
            ("InvalidParameterValue", 400, "Invalid marker."),
    }
}

impl ElasticacheError {
    /// `InvalidParameterValue` with `message`.
    pub fn value(message: impl Into<String>) -> Self {
        ElasticacheError::InvalidParameterValue {
            message: message.into(),
        }
    }

    /// `InvalidParameterCombination` with `message`.
    pub fn combination(message: impl Into<String>) -> Self {
        ElasticacheError::InvalidParameterCombination {
            message: message.into(),
        }
    }
}

impl From<gureum_kit::paging::PagingError> for ElasticacheError {
    fn from(e: gureum_kit::paging::PagingError) -> Self {
        match e {
            gureum_kit::paging::PagingError::SizeOutOfRange { given, .. } => {
                ElasticacheError::value(format!(
                    "1 validation error detected: Value '{given}' at 'maxRecords' failed to satisfy constraint: Member must have value between 20 and 100"
                ))
            }
            gureum_kit::paging::PagingError::BadToken(_) => ElasticacheError::BadMarker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ElasticacheError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("elasticache").expect("the elasticache model");
        let problems =
            gureum_protocol::check_declared_errors(&model, ElasticacheError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
