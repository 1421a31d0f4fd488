//! Auto Scaling's errors, declared once and checked against the model.
//! Messages are the ones AWS's API answers on the wire (`ValidationError`
//! texts come from [`validation`]).

use gureum_core::AwsError;

gureum_core::aws_errors! {
    /// What an Auto Scaling operation answers when it refuses.
    pub enum AutoscalingError {
        /// A group of that name exists.
        GroupExists { name: String } = ("AlreadyExists", 400,
            "AutoScalingGroup by this name already exists - A group with the name {name} already exists"),
        /// A launch configuration of that name exists.
        ConfigurationExists { name: String } = ("AlreadyExists", 400,
            "Launch Configuration by this name already exists - A launch configuration already exists with the name {name}"),
        /// A policy's group still has instances (delete without force).
        GroupHasInstances = ("ResourceInUse", 400,
            "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group."),
        /// A launch configuration a group uses.
        ConfigurationInUse { name: String } = ("ResourceInUse", 400,
            "Cannot delete launch configuration {name} because it is attached to AutoScalingGroup"),
        /// Scaling activities are still running.
        ActivityInProgress = ("ScalingActivityInProgress", 400,
            "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group."),
        /// The region's group limit.
        TooManyGroups { limit: u64 } = ("LimitExceeded", 400,
            "You have reached your quota of {limit} groups for this account in this region."),
        /// A `NextToken` this server did not hand out.
        BadToken = ("InvalidNextToken", 400, "The token is not valid."),
    }
}

/// `ValidationError` with `message`, as the query API answers bad input.
pub fn validation(message: impl Into<String>) -> AwsError {
    gureum_core::CommonError::ValidationError {
        message: message.into(),
    }
    .into()
}

/// AWS's answer for a group name it does not know.
pub fn group_not_found(name: &str) -> AwsError {
    validation(format!(
        "AutoScalingGroup name not found - AutoScalingGroup '{name}' not found"
    ))
}

#[cfg(test)]
mod tests {
    use super::AutoscalingError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("autoscaling").expect("the autoscaling model");
        let problems =
            gureum_protocol::check_declared_errors(&model, AutoscalingError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
