//! EC2 (ec2 protocol, regional).
//!
//! So far: the region and availability-zone catalogue
//! ([`catalog`]: `DescribeRegions`, `DescribeAvailabilityZones`). Instances,
//! EBS, AMIs and VPC come with their own issue.

pub mod catalog;
pub mod filter;

use gureum_core::{OpResult, RequestContext, Value};

/// The EC2 service.
#[derive(Debug, Default)]
pub struct Ec2Service {}

impl Ec2Service {
    /// A new EC2 service.
    pub fn new() -> Self {
        Ec2Service {}
    }

    fn describe_regions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        catalog::describe_regions(ctx, &input)
    }

    fn describe_availability_zones(&self, ctx: &RequestContext, input: Value) -> OpResult {
        catalog::describe_availability_zones(ctx, &input)
    }
}

gureum_core::service_operations! {
    Ec2Service, "ec2",
    "DescribeRegions" => describe_regions,
    "DescribeAvailabilityZones" => describe_availability_zones,
}
