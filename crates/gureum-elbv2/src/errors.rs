//! Elastic Load Balancing's errors, declared once and checked against the
//! model. Codes and statuses are the model's; messages are the text AWS
//! answers on the wire (ELBv2's API reference does not print them).

gureum_core::aws_errors! {
    /// What an ELBv2 operation answers when it refuses. Errors every
    /// service may answer (`ValidationError`) are `gureum_core::CommonError`.
    pub enum Elbv2Error {
        /// An ARN or name no load balancer has.
        LoadBalancerNotFound = ("LoadBalancerNotFound", 400,
            "One or more load balancers not found"),
        /// An ARN or name no target group has.
        TargetGroupNotFound = ("TargetGroupNotFound", 400,
            "One or more target groups not found"),
        /// An ARN no listener has.
        ListenerNotFound = ("ListenerNotFound", 400,
            "One or more listeners not found"),
        /// An ARN no rule has.
        RuleNotFound = ("RuleNotFound", 400,
            "One or more rules not found"),
        /// A name in use by a load balancer with other settings.
        DuplicateLoadBalancerName { name: String } = ("DuplicateLoadBalancerName", 400,
            "A load balancer with the same name '{name}' exists, but with different settings"),
        /// A name in use by a target group with other settings.
        DuplicateTargetGroupName { name: String } = ("DuplicateTargetGroupName", 400,
            "A target group with the same name '{name}' exists, but with different settings"),
        /// A second listener on one port.
        DuplicateListener { arn: String } = ("DuplicateListener", 400,
            "A listener already exists on this port for this load balancer '{arn}'"),
        /// A rule priority another rule of the listener holds.
        PriorityInUse { priority: i64 } = ("PriorityInUse", 400,
            "Priority '{priority}' is currently in use"),
        /// A subnet id EC2 does not know.
        SubnetNotFound { id: String } = ("SubnetNotFound", 400,
            "The subnet ID '{id}' is not valid"),
        /// A security group id EC2 does not know in the VPC.
        InvalidSecurityGroup { id: String } = ("InvalidSecurityGroup", 400,
            "The security group '{id}' does not exist"),
        /// A configuration AWS refuses (subnets, protocols, types).
        InvalidConfigurationRequest { message: String } = ("InvalidConfigurationRequest", 400,
            "{message}"),
        /// An operation the resource's state forbids.
        OperationNotPermitted { message: String } = ("OperationNotPermitted", 400,
            "{message}"),
        /// A target group still used by a listener or rule.
        ResourceInUse { message: String } = ("ResourceInUse", 400, "{message}"),
        /// A target the target group cannot take.
        InvalidTarget { message: String } = ("InvalidTarget", 400, "{message}"),
        /// A target group whose protocol the listener cannot forward to.
        IncompatibleProtocols { message: String } = ("IncompatibleProtocols", 400,
            "{message}"),
        /// An action that is not valid for the listener or rule.
        InvalidLoadBalancerAction { message: String } = ("InvalidLoadBalancerAction", 400,
            "{message}"),
        /// An HTTPS/TLS listener without a certificate.
        CertificateNotFound = ("CertificateNotFound", 400,
            "A certificate must be specified for HTTPS listeners"),
        /// A certificate ARN ACM does not have (or has not issued).
        CertificateArnNotFound { arn: String } = ("CertificateNotFound", 400,
            "Certificate '{arn}' not found"),
        /// More certificates on a listener than AWS's quota (25 besides the default).
        TooManyCertificates = ("TooManyCertificates", 400,
            "You've reached the limit on the number of certificates per load balancer"),
        /// A protocol the load balancer type does not speak.
        UnsupportedProtocol { protocol: String } = ("UnsupportedProtocol", 400,
            "Protocol '{protocol}' is not supported"),
        /// An SSL policy name AWS does not have.
        SslPolicyNotFound { name: String } = ("SSLPolicyNotFound", 400,
            "SSL policy '{name}' not found"),
        /// The same tag key twice in one request.
        DuplicateTagKeys { key: String } = ("DuplicateTagKeys", 400,
            "Tag key '{key}' is duplicated"),
        /// More than 50 tags on a resource.
        TooManyTags = ("TooManyTags", 400,
            "The quota for the number of tags that can be assigned to a load balancer has been reached"),
    }
}

/// A `ValidationError` with `message`.
pub fn validation(message: impl Into<String>) -> gureum_core::AwsError {
    gureum_core::CommonError::ValidationError {
        message: message.into(),
    }
    .into()
}

/// An `InvalidConfigurationRequest` with `message`.
pub fn invalid_config(message: impl Into<String>) -> gureum_core::AwsError {
    Elbv2Error::InvalidConfigurationRequest {
        message: message.into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::Elbv2Error;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("elbv2").expect("the elbv2 model");
        let problems = gureum_protocol::check_declared_errors(&model, Elbv2Error::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
