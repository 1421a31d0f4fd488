//! VPCs: `CreateVpc`, `DescribeVpcs`, `DeleteVpc`, `AssociateVpcCidrBlock`,
//! `ModifyVpcAttribute`, `DescribeVpcAttribute`, `CreateDefaultVpc`, and the
//! default VPC every account has in every region.
//!
//! Creating a VPC also creates its main route table (with the local
//! route), its default network ACL (allow-all rules 100 and the final `*`
//! deny, kept as a record) and its `default` security group; deleting it
//! removes those with it, and refuses while subnets, an attached internet
//! gateway, other route tables or other security groups remain.
//!
//! The default VPC (172.31.0.0/16, one /20 default subnet per AZ, an
//! attached internet gateway and a 0.0.0.0/0 route to it) is made the
//! first time any VPC-family operation runs in an account and region. If
//! the user deletes it, it stays deleted until `CreateDefaultVpc`.

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::vpc::internet_gateway::{self, InternetGateway};
use crate::vpc::route_table::{self, Route, RouteTable};
use crate::vpc::security_group::{self, SecurityGroup};
use crate::vpc::subnet::{self, Subnet};
use crate::{common::filter, common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::region::{self, Zone};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The default VPC's block.
pub const DEFAULT_VPC_CIDR: &str = "172.31.0.0/16";

/// The most IPv4 blocks a VPC may have (the primary included).
pub const MAX_CIDR_BLOCKS: usize = 5;

/// One IPv4 block of a VPC.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CidrAssociation {
    /// `vpc-cidr-assoc-…`.
    pub id: String,
    /// The block.
    pub cidr: String,
}

/// A stored VPC.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Vpc {
    /// `vpc-…`.
    pub id: String,
    /// The primary IPv4 block.
    pub cidr: String,
    /// Every IPv4 block, the primary first.
    pub cidr_assocs: Vec<CidrAssociation>,
    /// The region's default VPC.
    pub is_default: bool,
    /// `default` or `dedicated`.
    pub tenancy: String,
    /// The DHCP options set.
    pub dhcp_options_id: String,
    /// `enableDnsSupport`.
    pub dns_support: bool,
    /// `enableDnsHostnames`.
    pub dns_hostnames: bool,
}

/// One network ACL entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AclEntry {
    /// 1–32766, or 32767 for the final `*` rule.
    pub rule_number: i64,
    /// `-1` for all.
    pub protocol: String,
    /// `allow` or `deny`.
    pub action: String,
    /// Outbound rather than inbound.
    pub egress: bool,
    /// The IPv4 block.
    pub cidr: String,
    /// The port range (from, to) for TCP and UDP rules.
    #[serde(default)]
    pub port_range: Option<(i64, i64)>,
    /// The ICMP (type, code) for ICMP rules.
    #[serde(default)]
    pub icmp: Option<(i64, i64)>,
}

/// An explicit association of a subnet with a network ACL.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AclAssociation {
    /// `aclassoc-…`.
    pub id: String,
    /// The subnet.
    pub subnet_id: String,
}

/// A stored network ACL: each VPC's default ACL and those users create
/// (operations in [`crate::vpc::network_acl`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetworkAcl {
    /// `acl-…`.
    pub id: String,
    /// The VPC.
    pub vpc_id: String,
    /// The VPC's default ACL.
    pub is_default: bool,
    /// Its entries.
    pub entries: Vec<AclEntry>,
    /// Explicit subnet associations (subnets named in none belong to
    /// their VPC's default ACL).
    #[serde(default)]
    pub associations: Vec<AclAssociation>,
}

impl NetworkAcl {
    /// A default ACL: allow everything (rule 100), deny the rest (`*`),
    /// both ways.
    pub fn default_for(vpc_id: &str) -> NetworkAcl {
        let entries = [false, true]
            .into_iter()
            .flat_map(|egress| {
                [(100, "allow"), (32767, "deny")].map(|(n, action)| AclEntry {
                    rule_number: n,
                    protocol: "-1".into(),
                    action: action.into(),
                    egress,
                    cidr: "0.0.0.0/0".into(),
                    port_range: None,
                    icmp: None,
                })
            })
            .collect();
        NetworkAcl {
            id: resource_id("acl"),
            vpc_id: vpc_id.to_string(),
            is_default: true,
            entries,
            associations: Vec::new(),
        }
    }
}

/// Per account and region: the DHCP options id and whether the default
/// VPC was made.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegionState {
    /// The region's default DHCP options set.
    pub dhcp_options_id: String,
}

/// The VPC table.
pub fn table(store: &Store) -> Table<Vpc> {
    store.table("ec2.vpcs")
}

/// The network ACL table.
pub fn acl_table(store: &Store) -> Table<NetworkAcl> {
    store.table("ec2.network_acls")
}

fn region_table(store: &Store) -> Table<RegionState> {
    store.table("ec2.vpc_regions")
}

fn region_key(ctx: &RequestContext) -> String {
    format!("{}/{}", ctx.account_id, ctx.region)
}

/// `InvalidVpcID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidVpcIdNotFound {
        id: (id).to_string(),
    })
}

fn vpc_range(text: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidVpcRange {
        message: format!("The CIDR '{text}' is invalid."),
    })
}

/// The AZs of the caller's region as its account sees them.
pub fn zones(ctx: &RequestContext) -> Vec<Zone> {
    region::find(&ctx.region)
        .map(|r| region::zones_for_account(r, &ctx.account_id))
        .unwrap_or_default()
}

/// The id of the region's default DHCP options set, once the VPC family
/// has been used in the account and region.
pub fn default_dhcp_options_id(
    store: &Store,
    ctx: &RequestContext,
) -> Result<Option<String>, AwsError> {
    Ok(region_table(store)
        .get(&region_key(ctx))?
        .map(|s| s.dhcp_options_id))
}

/// The default VPC's id, read inside a write transaction.
pub fn default_vpc_id(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
) -> Result<Option<String>, AwsError> {
    Ok(txn
        .scan_prefix(&table(store), &prefix(ctx))?
        .into_iter()
        .find(|(_, v)| v.is_default)
        .map(|(_, v)| v.id))
}

/// The default VPC's id.
pub fn default_vpc_id_read(
    store: &Store,
    ctx: &RequestContext,
) -> Result<Option<String>, AwsError> {
    Ok(table(store)
        .scan_prefix(&prefix(ctx))?
        .into_iter()
        .find(|(_, v)| v.is_default)
        .map(|(_, v)| v.id))
}

/// `VpcLimitExceeded` when the region already holds as many VPCs as the
/// account's "VPCs per Region" quota (Service Quotas; AWS's default 5, and
/// the default VPC counts).
fn check_vpc_limit(txn: &WriteTxn, store: &Store, ctx: &RequestContext) -> Result<(), AwsError> {
    let limit = gureum_kit::quotas::applied_count_in(
        txn,
        store,
        gureum_core::Scope::regional(ctx),
        &gureum_kit::quotas::VPCS_PER_REGION,
    )?;
    if txn.scan_prefix(&table(store), &prefix(ctx))?.len() >= limit {
        return Err(AwsError::from(Ec2Error::VpcLimitExceeded));
    }
    Ok(())
}

/// Makes the region's default VPC the first time the VPC family is used
/// in an account and region.
pub fn ensure_default_vpc(svc: &Ec2Service, ctx: &RequestContext) -> Result<(), AwsError> {
    let store = &svc.store;
    let rk = region_key(ctx);
    if region_table(store).contains(&rk)? || region::find(&ctx.region).is_none() {
        return Ok(());
    }
    store.write(|txn| {
        if txn.get(&region_table(store), &rk)?.is_some() {
            return Ok(());
        }
        let state = RegionState {
            dhcp_options_id: resource_id("dopt"),
        };
        txn.put(&region_table(store), &rk, &state)?;
        build_default_vpc(txn, store, ctx, &state.dhcp_options_id)?;
        Ok::<_, AwsError>(())
    })
}

fn dhcp_options_id(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
) -> Result<String, AwsError> {
    Ok(txn
        .get(&region_table(store), &region_key(ctx))?
        .map(|s| s.dhcp_options_id)
        .unwrap_or_else(|| resource_id("dopt")))
}

/// Writes a VPC with its main route table, default ACL and default
/// security group; returns the main table.
fn put_vpc(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    v: &Vpc,
) -> Result<RouteTable, AwsError> {
    txn.put(&table(store), &key(ctx, &v.id), v)?;
    let rt = RouteTable::new(v, true);
    txn.put(&route_table::table(store), &key(ctx, &rt.id), &rt)?;
    let acl = NetworkAcl::default_for(&v.id);
    txn.put(&acl_table(store), &key(ctx, &acl.id), &acl)?;
    let sg = SecurityGroup::default_for(&v.id, &ctx.account_id);
    txn.put(&security_group::table(store), &key(ctx, &sg.id), &sg)?;
    Ok(rt)
}

fn new_vpc(cidr: &str, is_default: bool, tenancy: &str, dopt: &str) -> Vpc {
    Vpc {
        id: resource_id("vpc"),
        cidr: cidr.to_string(),
        cidr_assocs: vec![CidrAssociation {
            id: resource_id("vpc-cidr-assoc"),
            cidr: cidr.to_string(),
        }],
        is_default,
        tenancy: tenancy.to_string(),
        dhcp_options_id: dopt.to_string(),
        dns_support: true,
        dns_hostnames: is_default,
    }
}

/// Writes a default VPC: 172.31.0.0/16, a default /20 subnet per AZ, an
/// attached internet gateway and a 0.0.0.0/0 route to it.
fn build_default_vpc(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    dopt: &str,
) -> Result<Vpc, AwsError> {
    let v = new_vpc(DEFAULT_VPC_CIDR, true, "default", dopt);
    let mut rt = put_vpc(txn, store, ctx, &v)?;
    let block = Cidr::parse(DEFAULT_VPC_CIDR).map_err(|_| AwsError::internal("default cidr"))?;
    for (i, z) in zones(ctx).iter().enumerate() {
        let Some(c) = block.subnet(20, i as u32) else {
            break;
        };
        let s = Subnet {
            id: resource_id("subnet"),
            vpc_id: v.id.clone(),
            cidr: c.to_string(),
            az: z.name.clone(),
            az_id: z.zone_id.clone(),
            default_for_az: true,
            map_public_ip: true,
        };
        txn.put(&subnet::table(store), &key(ctx, &s.id), &s)?;
    }
    let igw = InternetGateway {
        id: resource_id("igw"),
        vpc_id: Some(v.id.clone()),
    };
    txn.put(&internet_gateway::table(store), &key(ctx, &igw.id), &igw)?;
    rt.routes.push(Route {
        destination: "0.0.0.0/0".into(),
        target_kind: "GatewayId".into(),
        target: igw.id.clone(),
        origin: "CreateRoute".into(),
    });
    txn.put(&route_table::table(store), &key(ctx, &rt.id), &rt)?;
    Ok(v)
}

impl Vpc {
    /// The VPC as the model's `Vpc`.
    pub fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        let assocs: Vec<Value> = self
            .cidr_assocs
            .iter()
            .map(|a| {
                json!({
                    "AssociationId": a.id,
                    "CidrBlock": a.cidr,
                    "CidrBlockState": {"State": "associated"},
                })
            })
            .collect();
        json!({
            "OwnerId": ctx.account_id,
            "InstanceTenancy": self.tenancy,
            "CidrBlockAssociationSet": assocs,
            "IsDefault": self.is_default,
            "BlockPublicAccessStates": {"InternetGatewayBlockMode": "off"},
            "Tags": network::tag_list(tags),
            "VpcId": self.id,
            "State": "available",
            "CidrBlock": self.cidr,
            "DhcpOptionsId": self.dhcp_options_id,
        })
    }
}

impl Ec2Service {
    /// `CreateVpc`: an IPv4 block from /16 to /28.
    pub(crate) fn create_vpc(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            crate::common::unsupported::VPC_CIDR,
        )?;
        crate::common::unsupported::refuse_unimplemented(&input, &["VpcEncryptionControl"])?;
        dry_run(&input)?;
        let text = required(&input, "CidrBlock")?;
        let block = subnet::parse_block(text)?;
        if !(16..=28).contains(&block.prefix) {
            return Err(vpc_range(text));
        }
        let tenancy = str_member(&input, "InstanceTenancy").unwrap_or("default");
        if !matches!(tenancy, "default" | "dedicated") {
            return Err(network::invalid_value(format!(
                "Value ({tenancy}) for parameter instanceTenancy is invalid."
            )));
        }
        let tags = network::spec_tags(&input, "vpc")?;
        let store = &self.store;
        let v = store.write(|txn| {
            check_vpc_limit(txn, store, ctx)?;
            let dopt = dhcp_options_id(txn, store, ctx)?;
            let v = new_vpc(&block.to_string(), false, tenancy, &dopt);
            put_vpc(txn, store, ctx, &v)?;
            tags::put_in(txn, store, ctx, &v.id, &tags)?;
            Ok::<_, AwsError>(v)
        })?;
        Ok(json!({ "Vpc": v.to_value(ctx, &tags) }))
    }

    /// `CreateDefaultVpc`: `DefaultVpcAlreadyExists` when there is one.
    pub(crate) fn create_default_vpc(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let store = &self.store;
        let v = store.write(|txn| {
            if default_vpc_id(txn, store, ctx)?.is_some() {
                return Err(AwsError::from(Ec2Error::DefaultVpcAlreadyExists));
            }
            check_vpc_limit(txn, store, ctx)?;
            let dopt = dhcp_options_id(txn, store, ctx)?;
            build_default_vpc(txn, store, ctx, &dopt)
        })?;
        Ok(json!({ "Vpc": v.to_value(ctx, &tags::Tags::new()) }))
    }

    /// `DescribeVpcs`: `VpcIds`, filters, pagination.
    pub(crate) fn describe_vpcs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "VpcIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "vpc-id",
                "cidr",
                "cidr-block-association.cidr-block",
                "cidr-block-association.association-id",
                "cidr-block-association.state",
                "is-default",
                "isDefault",
                "state",
                "owner-id",
                "dhcp-options-id",
            ],
        )?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, v)| &v.id == id) {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for (_, v) in all {
            if !ids.is_empty() && !ids.contains(&v.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &v.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "vpc-id" => vec![v.id.clone()],
                "cidr" => vec![v.cidr.clone()],
                "cidr-block-association.cidr-block" => {
                    v.cidr_assocs.iter().map(|a| a.cidr.clone()).collect()
                }
                "cidr-block-association.association-id" => {
                    v.cidr_assocs.iter().map(|a| a.id.clone()).collect()
                }
                "cidr-block-association.state" => vec!["associated".into()],
                "is-default" | "isDefault" => vec![network::bool_text(v.is_default)],
                "state" => vec!["available".into()],
                "owner-id" => vec![ctx.account_id.clone()],
                "dhcp-options-id" => vec![v.dhcp_options_id.clone()],
                _ => vec![],
            });
            if keep {
                items.push((v.id.clone(), v.to_value(ctx, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "Vpcs": page }), next))
    }

    /// `DeleteVpc`: refuses while subnets, an attached internet gateway,
    /// non-main route tables or non-default security groups remain.
    pub(crate) fn delete_vpc(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VpcId")?;
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            if txn.get(&table(store), &k)?.is_none() {
                return Err(not_found(id));
            }
            let p = prefix(ctx);
            let dependency = || {
                AwsError::from(Ec2Error::DependencyViolation {
                    message: format!("The vpc '{id}' has dependencies and cannot be deleted."),
                })
            };
            let subnets = txn.scan_prefix(&subnet::table(store), &p)?;
            if subnets.iter().any(|(_, s)| s.vpc_id == id) {
                return Err(dependency());
            }
            let igws = txn.scan_prefix(&internet_gateway::table(store), &p)?;
            if igws.iter().any(|(_, g)| g.vpc_id.as_deref() == Some(id)) {
                return Err(dependency());
            }
            let rtbs = txn.scan_prefix(&route_table::table(store), &p)?;
            if rtbs.iter().any(|(_, r)| r.vpc_id == id && !r.is_main()) {
                return Err(dependency());
            }
            if crate::vpc::vpc_endpoints::in_vpc(txn, store, ctx, id)?
                || crate::vpc::records::in_vpc(txn, store, ctx, id)?
                || !crate::vpc::peering::on_vpc_delete(txn, store, ctx, id)?
            {
                return Err(dependency());
            }
            let sgs = txn.scan_prefix(&security_group::table(store), &p)?;
            if sgs
                .iter()
                .any(|(_, g)| g.vpc_id == id && g.name != "default")
            {
                return Err(dependency());
            }
            let acls = txn.scan_prefix(&acl_table(store), &p)?;
            let mut gone = vec![id.to_string()];
            for (rk, r) in rtbs.into_iter().filter(|(_, r)| r.vpc_id == id) {
                txn.delete(&route_table::table(store), &rk)?;
                gone.push(r.id);
            }
            for (gk, g) in sgs.into_iter().filter(|(_, g)| g.vpc_id == id) {
                txn.delete(&security_group::table(store), &gk)?;
                gone.extend(g.rules.into_iter().map(|r| r.id));
                gone.push(g.id);
            }
            for (ak, a) in acls.into_iter().filter(|(_, a)| a.vpc_id == id) {
                txn.delete(&acl_table(store), &ak)?;
                gone.push(a.id);
            }
            txn.delete(&table(store), &k)?;
            for g in &gone {
                tags::delete_in(txn, store, ctx, g)?;
            }
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `AssociateVpcCidrBlock`: a secondary IPv4 block (up to five in all),
    /// with a local route in each of the VPC's route tables.
    pub(crate) fn associate_vpc_cidr_block(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            crate::common::unsupported::VPC_CIDR,
        )?;
        dry_run(&input)?;
        let id = required(&input, "VpcId")?;
        let text = required(&input, "CidrBlock")?;
        let block = subnet::parse_block(text)?;
        if !(16..=28).contains(&block.prefix) {
            return Err(vpc_range(text));
        }
        let store = &self.store;
        let assoc = store.write(|txn| {
            let k = key(ctx, id);
            let mut v = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            for a in &v.cidr_assocs {
                if Cidr::parse(&a.cidr).is_ok_and(|c| c.overlaps(&block)) {
                    return Err(AwsError::from(Ec2Error::InvalidVpcRange { message: format!("The CIDR '{text}' conflicts with the CIDR '{}' of the VPC.", a.cidr) }));
                }
            }
            if v.cidr_assocs.len() >= MAX_CIDR_BLOCKS {
                return Err(AwsError::from(Ec2Error::CidrLimitExceeded { message: format!("This network '{id}' has met its maximum number of allowed CIDRs: {MAX_CIDR_BLOCKS}") }));
            }
            let a = CidrAssociation {
                id: resource_id("vpc-cidr-assoc"),
                cidr: block.to_string(),
            };
            v.cidr_assocs.push(a.clone());
            txn.put(&table(store), &k, &v)?;
            let rtbs = route_table::table(store);
            for (rk, mut rt) in txn.scan_prefix(&rtbs, &prefix(ctx))? {
                if rt.vpc_id == id {
                    rt.routes.push(route_table::local_route(&a.cidr));
                    txn.put(&rtbs, &rk, &rt)?;
                }
            }
            Ok::<_, AwsError>(a)
        })?;
        Ok(json!({
            "VpcId": id,
            "CidrBlockAssociation": {
                "AssociationId": assoc.id,
                "CidrBlock": assoc.cidr,
                "CidrBlockState": {"State": "associated"},
            },
        }))
    }

    /// `ModifyVpcAttribute`: one of `EnableDnsSupport`,
    /// `EnableDnsHostnames` per call.
    pub(crate) fn modify_vpc_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VpcId")?;
        let support = network::attribute_bool(&input, "EnableDnsSupport");
        let hostnames = network::attribute_bool(&input, "EnableDnsHostnames");
        let metrics = network::attribute_bool(&input, "EnableNetworkAddressUsageMetrics");
        let given = [support, hostnames, metrics].iter().flatten().count();
        if given != 1 {
            return Err(AwsError::from(Ec2Error::InvalidParameterCombination { message: "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames".into() }));
        }
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let mut v = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if let Some(s) = support {
                v.dns_support = s;
            }
            if let Some(h) = hostnames {
                v.dns_hostnames = h;
            }
            txn.put(&table(store), &k, &v)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DescribeVpcAttribute`.
    pub(crate) fn describe_vpc_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = required(&input, "VpcId")?;
        let attr = required(&input, "Attribute")?;
        let v = table(&self.store)
            .get(&key(ctx, id))?
            .ok_or_else(|| not_found(id))?;
        let (member, value) = match attr {
            "enableDnsSupport" => ("EnableDnsSupport", v.dns_support),
            "enableDnsHostnames" => ("EnableDnsHostnames", v.dns_hostnames),
            "enableNetworkAddressUsageMetrics" => ("EnableNetworkAddressUsageMetrics", false),
            other => {
                return Err(network::invalid_value(format!(
                    "Value ({other}) for parameter attribute is invalid. Unknown attribute."
                )))
            }
        };
        let mut out = json!({ "VpcId": v.id });
        out[member] = json!({ "Value": value });
        Ok(out)
    }
}

#[cfg(test)]
#[path = "vpc_tests.rs"]
mod tests;
