//! The seam between the control plane and the machine instances run on.
//!
//! EC2's operations record instances; an [`InstanceHost`] makes them real
//! (namespaces, processes, the metadata service). The server wires in
//! `gureum_instances::Host`; without it ([`RecordsOnly`]) instances stay
//! records. The control plane calls the host after each change is stored,
//! and [`crate::Ec2Service::sync_host`] boots what the store says runs
//! (after a restart), so the store stays the one truth.

use serde::{Deserialize, Serialize};

/// Everything the host needs to boot an instance and answer its metadata.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BootSpec {
    /// `i-…`.
    pub instance_id: String,
    /// The owning account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The availability zone.
    pub az: String,
    /// `ami-…`.
    pub image_id: String,
    /// The AMI's name (picks the default user: `ec2-user`, `ubuntu`, `admin`).
    pub image_name: String,
    /// `t3.micro`.
    pub instance_type: String,
    /// `vpc-…`.
    pub vpc_id: String,
    /// The VPC's primary CIDR (`10.0.0.0/16`).
    pub vpc_cidr: String,
    /// The subnet's CIDR (`10.0.1.0/24`).
    pub subnet_cidr: String,
    /// The primary private IPv4 address.
    pub private_ip: String,
    /// The public IPv4 address, when it has one.
    pub public_ip: Option<String>,
    /// The private DNS name, also the hostname.
    pub hostname: String,
    /// The public DNS name (empty without a public address).
    pub public_hostname: String,
    /// The primary interface's MAC address.
    pub mac: String,
    /// Security group names.
    pub security_groups: Vec<String>,
    /// The key pair's name and OpenSSH public key.
    pub key: Option<(String, String)>,
    /// User data, decoded.
    pub user_data: Option<Vec<u8>>,
    /// The instance profile (ARN or name as launched).
    pub iam_profile: Option<String>,
    /// `MetadataOptions.HttpTokens`: `required` or `optional`.
    pub http_tokens: String,
    /// `MetadataOptions.HttpEndpoint`: `enabled` or `disabled`.
    pub http_endpoint: String,
    /// `MetadataOptions.HttpPutResponseHopLimit`.
    pub hop_limit: i64,
    /// `MetadataOptions.InstanceMetadataTags`: `enabled` or `disabled`.
    pub tags_in_metadata: bool,
    /// The architecture (`x86_64`).
    pub architecture: String,
    /// Launch time, epoch ms (the identity document's `pendingTime`).
    pub launch_time_ms: i64,
    /// The reservation `r-…`.
    pub reservation_id: String,
}

/// The machine instances run on.
pub trait InstanceHost: Send + Sync {
    /// Boots (or boots again) the instance: its sandbox, its user data
    /// at first boot only, its SSH server and metadata service. Returns
    /// at once; the boot runs in the background. Booting a running
    /// instance does nothing.
    fn boot(&self, spec: BootSpec);
    /// Stops its processes (stop); its sandbox and files stay.
    fn halt(&self, instance_id: &str);
    /// Takes a running instance's changed metadata options (the metadata
    /// service answers by them from now on).
    fn refresh(&self, _spec: BootSpec) {}
    /// Stops its processes and boots it again, user data not rerun.
    fn reboot(&self, spec: BootSpec);
    /// Removes everything it made for the instance (terminate).
    fn discard(&self, instance_id: &str);
    /// Removes everything it made for every instance (the store's EC2
    /// state was reset: no instance is left to run).
    fn discard_all(&self);
    /// The instance's console (boot messages, user data output), if the
    /// host keeps one.
    fn console(&self, instance_id: &str) -> Option<String>;
    /// Whether instances really run here (the server decides the mode at
    /// start; records-only hosts answer `false`).
    fn runs_instances(&self) -> bool;
    /// Enforces `plans` (every VPC with instances, all accounts and
    /// regions): security groups, network ACLs, routes, 1:1 and gateway
    /// NAT, peering. Returns at once; a plan equal to the last applied
    /// changes nothing.
    fn apply_network(&self, _plans: Vec<VpcPlan>) {}
    /// Instances whose operating system ended since the last call, and
    /// how: EC2 then applies the instance's shutdown behaviour. Hosts
    /// that run nothing have nothing to report.
    fn ended(&self) -> Vec<(String, OsEnd)> {
        Vec::new()
    }
    /// `CreateImage`: keeps what the instance wrote to its root file
    /// system as the image's contents, so instances launched from
    /// `image_id` start with it.
    fn capture_image(&self, _instance_id: &str, _image_id: &str) {}
    /// `DeregisterImage`: the image's captured contents go.
    fn forget_image(&self, _image_id: &str) {}
}

/// How an instance's operating system ended on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsEnd {
    /// `shutdown -h`, `poweroff`, `halt`: EC2 stops or terminates it by its
    /// `InstanceInitiatedShutdownBehavior`.
    Shutdown,
    /// `reboot`, `shutdown -r`: it boots again and stays running.
    Reboot,
    /// Its init died without a shutdown: it stays running (on AWS the
    /// status checks would fail), nothing answers in it.
    Crashed,
}

/// The host while none is wired: instances are records only.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordsOnly;

impl InstanceHost for RecordsOnly {
    fn boot(&self, _spec: BootSpec) {}
    fn halt(&self, _instance_id: &str) {}
    fn reboot(&self, _spec: BootSpec) {}
    fn discard(&self, _instance_id: &str) {}
    fn discard_all(&self) {}
    fn console(&self, _instance_id: &str) -> Option<String> {
        None
    }
    fn runs_instances(&self) -> bool {
        false
    }
}

/// What the fabric enforces for one VPC: built by the control plane from
/// the store ([`crate::Ec2Service::network_plans`]) and handed whole to
/// [`InstanceHost::apply_network`], which renders it into packet filters
/// and NAT rules. Only pending and running instances appear.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VpcPlan {
    /// The owning account.
    pub account: String,
    /// The region.
    pub region: String,
    /// `vpc-…`.
    pub vpc_id: String,
    /// The VPC's primary CIDR.
    pub cidr: String,
    /// Its subnets (every one, so NACLs apply to any instance's traffic).
    pub subnets: Vec<SubnetPlan>,
    /// Its pending and running instances.
    pub instances: Vec<InstancePlan>,
    /// Its live NAT gateways with a public address.
    pub nat_gateways: Vec<NatPlan>,
    /// Active peering connections to VPCs of the same account and region:
    /// (`pcx-…`, peer VPC id, peer CIDRs).
    pub peerings: Vec<(String, String, Vec<String>)>,
}

/// A subnet: its block, network ACL and route table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubnetPlan {
    /// `subnet-…`.
    pub subnet_id: String,
    /// Its IPv4 block.
    pub cidr: String,
    /// Its network ACL's entries, in rule-number order.
    pub acl: Vec<AclRule>,
    /// Its route table's IPv4 routes: (destination CIDR, target id such
    /// as `local`, `igw-…`, `nat-…`, `pcx-…`).
    pub routes: Vec<(String, String)>,
}

/// One network ACL entry (stateless, first match by rule number wins).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AclRule {
    /// The rule number.
    pub rule_number: i64,
    /// Outbound rather than inbound.
    pub egress: bool,
    /// `allow` rather than `deny`.
    pub allow: bool,
    /// IP protocol number, `-1` for all.
    pub protocol: String,
    /// The peer block.
    pub cidr: String,
    /// Destination port range (TCP and UDP).
    pub ports: Option<(i64, i64)>,
    /// ICMP (type, code); -1 for any.
    pub icmp: Option<(i64, i64)>,
}

/// An instance's addresses and its security groups' rules, peers
/// resolved to address blocks.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstancePlan {
    /// `i-…`.
    pub instance_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// Its primary private address.
    pub private_ip: String,
    /// Its public or Elastic IP address.
    pub public_ip: Option<String>,
    /// Inbound rules of all its groups (any match allows).
    pub ingress: Vec<FlowRule>,
    /// Outbound rules of all its groups.
    pub egress: Vec<FlowRule>,
}

/// One security group rule with its peer resolved.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowRule {
    /// `tcp`, `udp`, `icmp`, `-1` or a protocol number.
    pub protocol: String,
    /// First port (ICMP type), `None` or -1 for all.
    pub from_port: Option<i64>,
    /// Last port (ICMP code), `None` or -1 for all.
    pub to_port: Option<i64>,
    /// IPv4 blocks of the peer (a CIDR, a prefix list's entries, a
    /// group's members' private addresses); empty matches nothing.
    pub peers: Vec<String>,
}

/// A NAT gateway: where it sits and the address it translates to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NatPlan {
    /// `nat-…`.
    pub nat_gateway_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// Its Elastic IP.
    pub public_ip: String,
}
