//! EC2 (ec2 protocol, regional): catalogues and the VPC control plane.
//!
//! - Catalogues, read-only: regions and availability zones ([`catalog`]),
//!   instance types and their offerings ([`instance_types`]), public AMIs
//!   ([`images`]).
//! - VPC resources, stored per account and region: VPCs and the default VPC
//!   ([`vpc`]), subnets ([`subnet`]), internet gateways
//!   ([`internet_gateway`]), route tables ([`route_table`]), security groups
//!   ([`security_group`]), tags ([`tags`]), over CIDR math ([`cidr`]) and
//!   shared request helpers ([`network`], [`filter`]).
//!
//! Instances, EBS, key pairs, launch templates, NAT gateways, network ACL
//! operations, endpoints and peering are still to come (docs/COVERAGE.md).

pub mod catalog;
pub mod cidr;
pub mod filter;
pub mod images;
pub mod instance_types;
pub mod internet_gateway;
pub mod network;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod tags;
pub mod vpc;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::Store;

/// The EC2 service.
#[derive(Debug)]
pub struct Ec2Service {
    /// Where the VPC family (and later the rest of EC2) keeps its state.
    pub(crate) store: Store,
}

impl Ec2Service {
    /// A new EC2 service over `store`.
    pub fn new(store: Store) -> Self {
        Ec2Service { store }
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
    "DescribeInstanceTypes" => describe_instance_types,
    "DescribeInstanceTypeOfferings" => describe_instance_type_offerings,
    "DescribeImages" => describe_images,
    // VPC family (vpc, subnet, internet_gateway, route_table,
    // security_group, tags).
    "CreateVpc" => create_vpc,
    "DescribeVpcs" => describe_vpcs,
    "DeleteVpc" => delete_vpc,
    "CreateDefaultVpc" => create_default_vpc,
    "AssociateVpcCidrBlock" => associate_vpc_cidr_block,
    "ModifyVpcAttribute" => modify_vpc_attribute,
    "DescribeVpcAttribute" => describe_vpc_attribute,
    "CreateSubnet" => create_subnet,
    "DescribeSubnets" => describe_subnets,
    "DeleteSubnet" => delete_subnet,
    "ModifySubnetAttribute" => modify_subnet_attribute,
    "CreateInternetGateway" => create_internet_gateway,
    "DescribeInternetGateways" => describe_internet_gateways,
    "DeleteInternetGateway" => delete_internet_gateway,
    "AttachInternetGateway" => attach_internet_gateway,
    "DetachInternetGateway" => detach_internet_gateway,
    "CreateRouteTable" => create_route_table,
    "DescribeRouteTables" => describe_route_tables,
    "DeleteRouteTable" => delete_route_table,
    "CreateRoute" => create_route,
    "ReplaceRoute" => replace_route,
    "DeleteRoute" => delete_route,
    "AssociateRouteTable" => associate_route_table,
    "DisassociateRouteTable" => disassociate_route_table,
    "ReplaceRouteTableAssociation" => replace_route_table_association,
    "CreateSecurityGroup" => create_security_group,
    "DescribeSecurityGroups" => describe_security_groups,
    "DeleteSecurityGroup" => delete_security_group,
    "AuthorizeSecurityGroupIngress" => authorize_security_group_ingress,
    "AuthorizeSecurityGroupEgress" => authorize_security_group_egress,
    "RevokeSecurityGroupIngress" => revoke_security_group_ingress,
    "RevokeSecurityGroupEgress" => revoke_security_group_egress,
    "DescribeSecurityGroupRules" => describe_security_group_rules,
    "CreateTags" => create_tags,
    "DeleteTags" => delete_tags,
    "DescribeTags" => describe_tags,
}
