//! EC2 (ec2 protocol, regional): catalogues, instances, EBS, images and
//! the VPC control plane.
//!
//! The crate is laid out by family, and a family uses only the families
//! below it:
//!
//! ```text
//! common  ←  vpc  ←  ebs  ←  images  ←  compute
//! ```
//!
//! - [`common`]: CIDR math, `Filters`, tags, request helpers, the declared
//!   errors, and the read-only catalogues (regions and zones, instance
//!   types).
//! - [`vpc`]: VPCs and the default VPC, subnets, route tables, internet and
//!   NAT gateways, network ACLs, security groups, network interfaces,
//!   Elastic IPs, endpoints, peering, DHCP options, prefix lists, and
//!   record-only resources (flow logs, transit gateways, VPN).
//! - [`ebs`]: volumes and snapshots.
//! - [`images`]: public catalogue images and the account's own AMIs.
//! - [`compute`]: instances (a lifecycle evaluated lazily on Gureum's
//!   clock, an in-memory index over the store), key pairs, launch
//!   templates.
//!
//! `layering_tests.rs` reads the sources and fails on an import against the
//! direction. Operations that join families (an instance and its volume)
//! live in the higher family.

pub mod common;
pub mod compute;
pub mod ebs;
pub mod images;
#[cfg(test)]
mod layering_tests;
pub mod metering;
#[cfg(test)]
mod races_tests;
pub mod resources;
pub mod tagging;
pub mod vpc;

/// A service over an in-memory store whose `000000000000`/`us-east-1` is
/// set up, as the first request there would have done.
#[cfg(test)]
pub(crate) fn test_service() -> Ec2Service {
    let s = Ec2Service::new(Store::in_memory().expect("store"));
    let ctx = RequestContext::root("000000000000", "us-east-1", gureum_core::Clock::system());
    s.prepare(&ctx).expect("bootstrap");
    s
}

use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::parameters::{NoParameters, ParameterResolver};
use gureum_kit::service_events::{NoServiceEvents, ServiceEvents};
use gureum_kit::Bootstrap;
use gureum_store::Store;
use std::sync::Arc;

/// What EC2 reaches other services through, set by the server: the
/// default bus its events go to, and Parameter Store for `resolve:ssm:`
/// image ids. Built without them (unit tests), events are dropped and no
/// parameter resolves.
pub(crate) struct Seams {
    /// Where instance state changes are published (EventBridge).
    pub(crate) events: Arc<dyn ServiceEvents>,
    /// Where `resolve:ssm:` references resolve (SSM).
    pub(crate) parameters: Arc<dyn ParameterResolver>,
    /// Where instances run (records only unless the server wires a host).
    pub(crate) host: Arc<dyn compute::host::InstanceHost>,
}

impl std::fmt::Debug for Seams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seams")
    }
}

impl Default for Seams {
    fn default() -> Self {
        Seams {
            events: Arc::new(NoServiceEvents),
            parameters: Arc::new(NoParameters),
            host: Arc::new(compute::host::RecordsOnly),
        }
    }
}

/// The EC2 service.
#[derive(Debug)]
pub struct Ec2Service {
    /// Where the VPC family (and later the rest of EC2) keeps its state.
    pub(crate) store: Store,
    /// The in-memory index of instances (the store stays the truth).
    pub(crate) instances: compute::instances::Index,
    /// Which accounts' regions have their default VPC (and the rest of
    /// what AWS makes before anyone asks) in this process.
    bootstrap: Bootstrap,
    /// EventBridge and SSM, as the server wires them.
    pub(crate) seams: Seams,
    /// Whether [`Ec2Service::sync_host`] has booted the stored instances.
    host_synced: std::sync::atomic::AtomicBool,
}

impl Ec2Service {
    /// A new EC2 service over `store`.
    pub fn new(store: Store) -> Self {
        Ec2Service {
            store,
            instances: compute::instances::Index::default(),
            bootstrap: Bootstrap::default(),
            seams: Seams::default(),
            host_synced: Default::default(),
        }
    }

    /// Runs instances on `host` (namespaces, processes, metadata).
    pub fn with_host(mut self, host: Arc<dyn compute::host::InstanceHost>) -> Self {
        self.seams.host = host;
        self
    }

    /// Publishes instance state changes (`aws.ec2`, "EC2 Instance
    /// State-change Notification") through `events`.
    pub fn with_events(mut self, events: Arc<dyn ServiceEvents>) -> Self {
        self.seams.events = events;
        self
    }

    /// Resolves `resolve:ssm:` image ids through `parameters`.
    pub fn with_parameters(mut self, parameters: Arc<dyn ParameterResolver>) -> Self {
        self.seams.parameters = parameters;
        self
    }

    /// Run before every operation (`prepare` of the operations table):
    /// the first request in an account's region makes what AWS has there
    /// before anyone asks — the default VPC with a subnet per zone, its
    /// internet gateway, main route table, network ACL and security group,
    /// and the default DHCP options set. Idempotent over the store, so a
    /// restart (which forgets this process's record) finds it done.
    pub(crate) fn prepare(&self, ctx: &RequestContext) -> Result<(), AwsError> {
        self.bootstrap.ensure(Scope::regional(ctx), || {
            vpc::vpcs::ensure_default_vpc(self, ctx)?;
            vpc::dhcp_options::ensure_default(self, ctx)
        })
    }

    /// Whether VPC `vpc_id` exists in `account`'s `region` (Route 53
    /// checks private zones' VPCs through this).
    pub fn vpc_exists(&self, account: &str, region: &str, vpc_id: &str) -> Result<bool, AwsError> {
        Ok(vpc::vpcs::table(&self.store).contains(&format!("{account}/{region}/{vpc_id}"))?)
    }

    /// Forgets what this process remembers beside the store: which
    /// regions were set up and the instance index. For a reset of the
    /// store's EC2 state: the next request sets its region up again.
    pub fn reset_caches(&self) {
        self.bootstrap.reset();
        self.instances.clear();
    }

    /// After a reset or an import (`reset` of the operations table): the
    /// host's instances go too, and the next tick boots what an import
    /// says runs.
    fn reset(&self) {
        self.reset_caches();
        self.seams.host.discard_all();
        self.host_synced
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    fn describe_regions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        common::catalog::describe_regions(ctx, &input)
    }

    fn describe_availability_zones(&self, ctx: &RequestContext, input: Value) -> OpResult {
        common::catalog::describe_availability_zones(ctx, &input)
    }
}

/// Create operations run once per client token (`common::idempotency`).
impl Ec2Service {
    fn copy_image_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CopyImage", input, Self::copy_image)
    }

    fn create_route_table_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CreateRouteTable", input, Self::create_route_table)
    }

    fn create_volume_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CreateVolume", input, Self::create_volume)
    }

    fn create_network_acl_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CreateNetworkAcl", input, Self::create_network_acl)
    }

    fn create_nat_gateway_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CreateNatGateway", input, Self::create_nat_gateway)
    }

    fn create_launch_template_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(
            ctx,
            "CreateLaunchTemplate",
            input,
            Self::create_launch_template,
        )
    }

    fn create_launch_template_version_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(
            ctx,
            "CreateLaunchTemplateVersion",
            input,
            Self::create_launch_template_version,
        )
    }

    fn modify_launch_template_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(
            ctx,
            "ModifyLaunchTemplate",
            input,
            Self::modify_launch_template,
        )
    }

    fn create_network_interface_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(
            ctx,
            "CreateNetworkInterface",
            input,
            Self::create_network_interface,
        )
    }

    fn create_managed_prefix_list_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(
            ctx,
            "CreateManagedPrefixList",
            input,
            Self::create_managed_prefix_list,
        )
    }

    fn create_vpc_endpoint_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CreateVpcEndpoint", input, Self::create_vpc_endpoint)
    }

    fn create_flow_logs_once(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.once(ctx, "CreateFlowLogs", input, Self::create_flow_logs)
    }
}

gureum_core::service_operations! {
    Ec2Service, "ec2",
    prepare = prepare,
    reset = reset,
    "DescribeRegions" => describe_regions,
    "DescribeAvailabilityZones" => describe_availability_zones,
    "DescribeInstanceTypes" => describe_instance_types,
    "DescribeInstanceTypeOfferings" => describe_instance_type_offerings,
    "DescribeImages" => describe_images,
    // The account's own AMIs (amis, ami_ops, ami_attributes).
    "CreateImage" => create_image,
    "RegisterImage" => register_image,
    "DeregisterImage" => deregister_image,
    "CopyImage" => copy_image_once,
    "DescribeImageAttribute" => describe_image_attribute,
    "ModifyImageAttribute" => modify_image_attribute,
    "ResetImageAttribute" => reset_image_attribute,
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
    "CreateRouteTable" => create_route_table_once,
    "DescribeRouteTables" => describe_route_tables,
    "DeleteRouteTable" => delete_route_table,
    "CreateRoute" => create_route_live,
    "ReplaceRoute" => replace_route_live,
    "DeleteRoute" => delete_route_live,
    "AssociateRouteTable" => associate_route_table_live,
    "DisassociateRouteTable" => disassociate_route_table_live,
    "ReplaceRouteTableAssociation" => replace_route_table_association_live,
    "CreateSecurityGroup" => create_security_group,
    "DescribeSecurityGroups" => describe_security_groups,
    "DeleteSecurityGroup" => delete_security_group,
    "AuthorizeSecurityGroupIngress" => authorize_security_group_ingress_live,
    "AuthorizeSecurityGroupEgress" => authorize_security_group_egress_live,
    "RevokeSecurityGroupIngress" => revoke_security_group_ingress_live,
    "RevokeSecurityGroupEgress" => revoke_security_group_egress_live,
    "DescribeSecurityGroupRules" => describe_security_group_rules,
    "CreateTags" => create_tags,
    "DeleteTags" => delete_tags,
    "DescribeTags" => describe_tags,
    // Instances, key pairs, Elastic IPs (instances, key_pairs,
    // elastic_ips).
    "RunInstances" => run_instances,
    "DescribeInstances" => describe_instances,
    "DescribeInstanceStatus" => describe_instance_status,
    "StartInstances" => start_instances,
    "StopInstances" => stop_instances,
    "RebootInstances" => reboot_instances,
    "TerminateInstances" => terminate_instances,
    "DescribeInstanceAttribute" => describe_instance_attribute,
    "ModifyInstanceAttribute" => modify_instance_attribute_live,
    "GetConsoleOutput" => get_console_output,
    "ModifyInstanceMetadataOptions" => modify_instance_metadata_options,
    "CreateKeyPair" => create_key_pair,
    "ImportKeyPair" => import_key_pair,
    "DescribeKeyPairs" => describe_key_pairs,
    "DeleteKeyPair" => delete_key_pair,
    "AllocateAddress" => allocate_address,
    "AssociateAddress" => associate_address_live,
    "DisassociateAddress" => disassociate_address_live,
    "ReleaseAddress" => release_address,
    "DescribeAddresses" => describe_addresses,
    // EBS (volumes, snapshots), network ACLs, NAT gateways, launch
    // templates.
    "CreateVolume" => create_volume_once,
    "DescribeVolumes" => describe_volumes,
    "DeleteVolume" => delete_volume,
    "AttachVolume" => attach_volume,
    "DetachVolume" => detach_volume,
    "ModifyVolume" => modify_volume,
    "DescribeVolumesModifications" => describe_volumes_modifications,
    "CreateSnapshot" => create_snapshot,
    "DescribeSnapshots" => describe_snapshots,
    "DeleteSnapshot" => delete_snapshot,
    "CopySnapshot" => copy_snapshot,
    "DescribeNetworkAcls" => describe_network_acls,
    "CreateNetworkAcl" => create_network_acl_once,
    "DeleteNetworkAcl" => delete_network_acl,
    "CreateNetworkAclEntry" => create_network_acl_entry_live,
    "ReplaceNetworkAclEntry" => replace_network_acl_entry_live,
    "DeleteNetworkAclEntry" => delete_network_acl_entry_live,
    "ReplaceNetworkAclAssociation" => replace_network_acl_association_live,
    "CreateNatGateway" => create_nat_gateway_once,
    "DescribeNatGateways" => describe_nat_gateways,
    "DeleteNatGateway" => delete_nat_gateway,
    "CreateLaunchTemplate" => create_launch_template_once,
    "CreateLaunchTemplateVersion" => create_launch_template_version_once,
    "DescribeLaunchTemplates" => describe_launch_templates,
    "DescribeLaunchTemplateVersions" => describe_launch_template_versions,
    "ModifyLaunchTemplate" => modify_launch_template_once,
    "DeleteLaunchTemplate" => delete_launch_template,
    "DeleteLaunchTemplateVersions" => delete_launch_template_versions,
    // Network interfaces (network_interfaces).
    "CreateNetworkInterface" => create_network_interface_once,
    "DescribeNetworkInterfaces" => describe_network_interfaces,
    "DeleteNetworkInterface" => delete_network_interface,
    "AttachNetworkInterface" => attach_network_interface,
    "DetachNetworkInterface" => detach_network_interface,
    "ModifyNetworkInterfaceAttribute" => modify_network_interface_attribute_live,
    "DescribeNetworkInterfaceAttribute" => describe_network_interface_attribute,
    // Prefix lists (prefix_lists).
    "DescribeManagedPrefixLists" => describe_managed_prefix_lists,
    "GetManagedPrefixListEntries" => get_managed_prefix_list_entries,
    "CreateManagedPrefixList" => create_managed_prefix_list_once,
    "ModifyManagedPrefixList" => modify_managed_prefix_list_live,
    "DeleteManagedPrefixList" => delete_managed_prefix_list,
    "DescribePrefixLists" => describe_prefix_lists,
    // VPC endpoints (vpc_endpoints).
    "CreateVpcEndpoint" => create_vpc_endpoint_once,
    "DescribeVpcEndpoints" => describe_vpc_endpoints,
    "ModifyVpcEndpoint" => modify_vpc_endpoint,
    "DeleteVpcEndpoints" => delete_vpc_endpoints,
    "DescribeVpcEndpointServices" => describe_vpc_endpoint_services,
    // VPC peering (peering).
    "CreateVpcPeeringConnection" => create_vpc_peering_connection,
    "AcceptVpcPeeringConnection" => accept_vpc_peering_connection_live,
    "RejectVpcPeeringConnection" => reject_vpc_peering_connection,
    "DeleteVpcPeeringConnection" => delete_vpc_peering_connection_live,
    "DescribeVpcPeeringConnections" => describe_vpc_peering_connections,
    // DHCP options (dhcp_options).
    "CreateDhcpOptions" => create_dhcp_options,
    "DescribeDhcpOptions" => describe_dhcp_options,
    "DeleteDhcpOptions" => delete_dhcp_options,
    "AssociateDhcpOptions" => associate_dhcp_options,
    // Record-only resources (records).
    "CreateFlowLogs" => create_flow_logs_once,
    "DescribeFlowLogs" => describe_flow_logs,
    "DeleteFlowLogs" => delete_flow_logs,
    "CreateTransitGateway" => create_transit_gateway,
    "DescribeTransitGateways" => describe_transit_gateways,
    "DeleteTransitGateway" => delete_transit_gateway,
    "CreateTransitGatewayVpcAttachment" => create_transit_gateway_vpc_attachment,
    "DescribeTransitGatewayVpcAttachments" => describe_transit_gateway_vpc_attachments,
    "DescribeTransitGatewayAttachments" => describe_transit_gateway_attachments,
    "DeleteTransitGatewayVpcAttachment" => delete_transit_gateway_vpc_attachment,
    "CreateVpnGateway" => create_vpn_gateway,
    "DescribeVpnGateways" => describe_vpn_gateways,
    "DeleteVpnGateway" => delete_vpn_gateway,
    "AttachVpnGateway" => attach_vpn_gateway,
    "DetachVpnGateway" => detach_vpn_gateway,
    "CreateCustomerGateway" => create_customer_gateway,
    "DescribeCustomerGateways" => describe_customer_gateways,
    "DeleteCustomerGateway" => delete_customer_gateway,
    "CreateVpnConnection" => create_vpn_connection,
    "DescribeVpnConnections" => describe_vpn_connections,
    "DeleteVpnConnection" => delete_vpn_connection,
}
