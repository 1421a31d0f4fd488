//! The VPC control plane: VPCs and the default VPC, subnets and their
//! addresses, route tables, internet and NAT gateways, network ACLs,
//! security groups, network interfaces, Elastic IPs, endpoints, peering,
//! DHCP options, prefix lists and record-only resources.

pub mod addresses;
pub mod dhcp_options;
pub mod elastic_ips;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod network_acl;
pub mod network_interfaces;
pub mod peering;
pub mod prefix_lists;
pub mod records;
pub mod route_table;
pub mod security_group;
pub mod subnet;
pub mod vpc_endpoints;
pub mod vpcs;
