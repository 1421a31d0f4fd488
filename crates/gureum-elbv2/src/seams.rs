//! What ELBv2 needs from other services, as the server wires it: EC2's
//! subnets, security groups, interfaces and instance addresses
//! ([`Network`]), Lambda for `lambda` targets ([`Functions`]). Built
//! without them (unit tests), [`NoNetwork`] and [`NoFunctions`] answer.

use gureum_core::{AwsError, RequestContext};

/// A subnet as ELB needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct SubnetInfo {
    /// `subnet-…`.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its zone name.
    pub zone: String,
    /// Its IPv4 block.
    pub cidr: String,
}

/// An interface EC2 made for a load balancer.
#[derive(Clone, Debug, PartialEq)]
pub struct Interface {
    /// `eni-…`.
    pub id: String,
    /// Its private address.
    pub private_ip: String,
}

/// An instance's address, for `instance` targets.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceAddress {
    /// Its primary private address (where traffic goes).
    pub private_ip: String,
    /// Its VPC.
    pub vpc_id: String,
    /// `running`, `stopped`, …
    pub state: String,
}

/// EC2, as ELB reads and changes it.
pub trait Network: Send + Sync {
    /// A subnet of the caller's region, `None` when it does not exist.
    fn subnet(&self, ctx: &RequestContext, id: &str) -> Result<Option<SubnetInfo>, AwsError>;
    /// The given security groups, checked to exist in `vpc_id` (the
    /// VPC's default group when `ids` is empty); `Err(id)` names the first
    /// one that does not.
    fn security_groups(
        &self,
        ctx: &RequestContext,
        vpc_id: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError>;
    /// An interface in `subnet_id` with `description`, made for the
    /// load balancer (requester-managed).
    fn create_interface(
        &self,
        ctx: &RequestContext,
        subnet_id: &str,
        groups: &[String],
        description: &str,
    ) -> Result<Option<Interface>, AwsError>;
    /// Deletes interfaces made by [`Network::create_interface`].
    fn delete_interface(&self, ctx: &RequestContext, id: &str) -> Result<(), AwsError>;
    /// An instance of the caller's region.
    fn instance(&self, account: &str, region: &str, id: &str) -> Option<InstanceAddress>;
    /// Whether `vpc_id` exists.
    fn vpc_exists(&self, ctx: &RequestContext, vpc_id: &str) -> Result<bool, AwsError>;
}

/// No EC2: every subnet is unknown.
pub struct NoNetwork;

impl Network for NoNetwork {
    fn subnet(&self, _: &RequestContext, _: &str) -> Result<Option<SubnetInfo>, AwsError> {
        Ok(None)
    }
    fn security_groups(
        &self,
        _: &RequestContext,
        _: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError> {
        Ok(Ok(ids.to_vec()))
    }
    fn create_interface(
        &self,
        _: &RequestContext,
        _: &str,
        _: &[String],
        _: &str,
    ) -> Result<Option<Interface>, AwsError> {
        Ok(None)
    }
    fn delete_interface(&self, _: &RequestContext, _: &str) -> Result<(), AwsError> {
        Ok(())
    }
    fn instance(&self, _: &str, _: &str, _: &str) -> Option<InstanceAddress> {
        None
    }
    fn vpc_exists(&self, _: &RequestContext, _: &str) -> Result<bool, AwsError> {
        Ok(false)
    }
}

/// Lambda, for `lambda` targets.
pub trait Functions: Send + Sync {
    /// Invokes `function_arn` synchronously as
    /// `elasticloadbalancing.amazonaws.com` for `target_group_arn` with
    /// the ALB `event`; the function's response payload, or why it failed.
    /// Blocks: call it off the async workers.
    fn invoke(
        &self,
        function_arn: &str,
        target_group_arn: &str,
        event: &[u8],
    ) -> Result<Vec<u8>, String>;
}

/// No Lambda: every invocation fails.
pub struct NoFunctions;

impl Functions for NoFunctions {
    fn invoke(&self, _: &str, _: &str, _: &[u8]) -> Result<Vec<u8>, String> {
        Err("Lambda is not wired".into())
    }
}
