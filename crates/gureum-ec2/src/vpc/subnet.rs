//! Subnets: `CreateSubnet`, `DescribeSubnets`, `DeleteSubnet`,
//! `ModifySubnetAttribute`.
//!
//! A subnet is a /16–/28 block inside one of its VPC's CIDR blocks, in one
//! AZ, overlapping no other subnet of the VPC. AWS reserves five addresses
//! of every subnet (network, router, DNS, future use, broadcast), so a /24
//! offers 251.

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::{common::filter, common::tags, vpc::route_table, vpc::vpcs, Ec2Service};
use gureum_core::region;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Addresses AWS keeps in every subnet.
pub const RESERVED_ADDRESSES: u64 = 5;

/// A stored subnet.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Subnet {
    /// `subnet-…`.
    pub id: String,
    /// The VPC.
    pub vpc_id: String,
    /// The IPv4 block.
    pub cidr: String,
    /// AZ name (`us-east-1a`).
    pub az: String,
    /// AZ id (`use1-az1`).
    pub az_id: String,
    /// A default VPC's subnet for its AZ.
    pub default_for_az: bool,
    /// Whether instances launched here get a public IPv4 address.
    pub map_public_ip: bool,
}

/// The subnet table.
pub fn table(store: &Store) -> Table<Subnet> {
    store.table("ec2.subnets")
}

/// `InvalidSubnetID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidSubnetIdNotFound {
        id: (id).to_string(),
    })
}

impl Subnet {
    /// The subnet as the model's `Subnet`.
    pub fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        let size = Cidr::parse(&self.cidr).map(|c| c.size()).unwrap_or(0);
        json!({
            "AvailabilityZone": self.az,
            "AvailabilityZoneId": self.az_id,
            "AvailableIpAddressCount": size.saturating_sub(RESERVED_ADDRESSES),
            "CidrBlock": self.cidr,
            "DefaultForAz": self.default_for_az,
            "MapPublicIpOnLaunch": self.map_public_ip,
            "MapCustomerOwnedIpOnLaunch": false,
            "State": "available",
            "SubnetId": self.id,
            "VpcId": self.vpc_id,
            "OwnerId": ctx.account_id,
            "AssignIpv6AddressOnCreation": false,
            "Ipv6CidrBlockAssociationSet": [],
            "EnableDns64": false,
            "Ipv6Native": false,
            "PrivateDnsNameOptionsOnLaunch": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": false,
                "EnableResourceNameDnsAAAARecord": false,
            },
            "SubnetArn": format!("arn:aws:ec2:{}:{}:subnet/{}", ctx.region, ctx.account_id, self.id),
            "Tags": network::tag_list(tags),
        })
    }
}

/// Parses a CIDR given for a VPC or subnet: malformed text answers
/// `InvalidParameterValue`.
pub fn parse_block(text: &str) -> Result<Cidr, AwsError> {
    Cidr::parse(text).map_err(|_| {
        network::invalid_value(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })
}

fn subnet_range(text: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidSubnetRange {
        text: text.to_string(),
    })
}

/// Resolves the AZ of a create request: by name, by id, or the region's
/// first.
fn zone(ctx: &RequestContext, input: &Value) -> Result<region::Zone, AwsError> {
    let zones = vpcs::zones(ctx);
    let list = || {
        zones
            .iter()
            .map(|z| z.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = str_member(input, "AvailabilityZone") {
        return zones.iter().find(|z| z.name == name).cloned().ok_or_else(|| {
            network::invalid_value(format!(
                "Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.",
                list()
            ))
        });
    }
    if let Some(id) = str_member(input, "AvailabilityZoneId") {
        return zones.iter().find(|z| z.zone_id == id).cloned().ok_or_else(|| {
            network::invalid_value(format!(
                "Value ({id}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: {}.",
                list()
            ))
        });
    }
    zones
        .first()
        .cloned()
        .ok_or_else(|| network::invalid_value(format!("Invalid region: {}", ctx.region)))
}

impl Ec2Service {
    /// `CreateSubnet`.
    pub(crate) fn create_subnet(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["Ipv6Native"])?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "OutpostArn",
                "Ipv4IpamPoolId",
                "Ipv4NetmaskLength",
                "Ipv6IpamPoolId",
                "Ipv6NetmaskLength",
            ],
        )?;
        dry_run(&input)?;
        let vpc_id = required(&input, "VpcId")?;
        let text = required(&input, "CidrBlock")?;
        let block = parse_block(text)?;
        if !(16..=28).contains(&block.prefix) {
            return Err(subnet_range(text));
        }
        let z = zone(ctx, &input)?;
        let tags = network::spec_tags(&input, "subnet")?;
        let subnets = table(&self.store);
        let store = &self.store;
        let subnet = store.write(|txn| {
            let v = txn
                .get(&vpcs::table(store), &key(ctx, vpc_id))?
                .ok_or_else(|| vpcs::not_found(vpc_id))?;
            let inside = v
                .cidr_assocs
                .iter()
                .filter_map(|a| Cidr::parse(&a.cidr).ok())
                .any(|c| c.contains(&block));
            if !inside {
                return Err(subnet_range(text));
            }
            for (_, s) in txn.scan_prefix(&subnets, &prefix(ctx))? {
                if s.vpc_id == vpc_id && Cidr::parse(&s.cidr).is_ok_and(|c| c.overlaps(&block)) {
                    return Err(AwsError::from(Ec2Error::InvalidSubnetConflict {
                        text: text.to_string(),
                    }));
                }
            }
            let s = Subnet {
                id: gureum_core::id::resource_id("subnet"),
                vpc_id: vpc_id.to_string(),
                cidr: block.to_string(),
                az: z.name.clone(),
                az_id: z.zone_id.clone(),
                default_for_az: false,
                map_public_ip: false,
            };
            txn.put(&subnets, &key(ctx, &s.id), &s)?;
            tags::put_in(txn, store, ctx, &s.id, &tags)?;
            Ok::<_, AwsError>(s)
        })?;
        Ok(json!({ "Subnet": subnet.to_value(ctx, &tags) }))
    }

    /// `DescribeSubnets`: `SubnetIds`, filters, pagination.
    pub(crate) fn describe_subnets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "SubnetIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "vpc-id",
                "subnet-id",
                "availability-zone",
                "availability-zone-id",
                "availabilityZone",
                "cidr-block",
                "cidr",
                "cidrBlock",
                "default-for-az",
                "defaultForAz",
                "map-public-ip-on-launch",
                "state",
                "owner-id",
                "available-ip-address-count",
                "subnet-arn",
            ],
        )?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, s)| &s.id == id) {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for (_, s) in all {
            if !ids.is_empty() && !ids.contains(&s.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &s.id)?;
            let mut v = s.to_value(ctx, &t);
            let used = crate::vpc::addresses::used_addresses(&self.store, ctx, &s.id);
            if used > 0 {
                let free = v["AvailableIpAddressCount"].as_u64().unwrap_or(0);
                v["AvailableIpAddressCount"] = json!(free.saturating_sub(used));
            }
            let keep = network::matches(&filters, &t, |f| match f {
                "vpc-id" => vec![s.vpc_id.clone()],
                "subnet-id" => vec![s.id.clone()],
                "availability-zone" | "availabilityZone" => vec![s.az.clone()],
                "availability-zone-id" => vec![s.az_id.clone()],
                "cidr-block" | "cidr" | "cidrBlock" => vec![s.cidr.clone()],
                "default-for-az" | "defaultForAz" => vec![network::bool_text(s.default_for_az)],
                "map-public-ip-on-launch" => vec![network::bool_text(s.map_public_ip)],
                "state" => vec!["available".into()],
                "owner-id" => vec![ctx.account_id.clone()],
                "available-ip-address-count" => vec![v["AvailableIpAddressCount"].to_string()],
                "subnet-arn" => vec![v["SubnetArn"].as_str().unwrap_or_default().to_string()],
                _ => vec![],
            });
            if keep {
                items.push((s.id.clone(), v));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "Subnets": page }), next))
    }

    /// `DeleteSubnet`: also ends its route table association.
    pub(crate) fn delete_subnet(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "SubnetId")?;
        let store = &self.store;
        store.write(|txn| {
            let taken = crate::vpc::addresses::ip_table(store);
            if !txn
                .scan_prefix(&taken, &format!("{}{id}/", prefix(ctx)))?
                .is_empty()
            {
                return Err(AwsError::from(Ec2Error::DependencyViolation {
                    message: format!("The subnet '{id}' has dependencies and cannot be deleted."),
                }));
            }
            if !txn.delete(&table(store), &key(ctx, id))? {
                return Err(not_found(id));
            }
            let rtbs = route_table::table(store);
            for (k, mut rt) in txn.scan_prefix(&rtbs, &prefix(ctx))? {
                let before = rt.associations.len();
                rt.associations
                    .retain(|a| a.subnet_id.as_deref() != Some(id));
                if rt.associations.len() != before {
                    txn.put(&rtbs, &k, &rt)?;
                }
            }
            let acls = vpcs::acl_table(store);
            for (k, mut acl) in txn.scan_prefix(&acls, &prefix(ctx))? {
                let before = acl.associations.len();
                acl.associations.retain(|a| a.subnet_id != id);
                if acl.associations.len() != before {
                    txn.put(&acls, &k, &acl)?;
                }
            }
            tags::delete_in(txn, store, ctx, id)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `ModifySubnetAttribute`: `MapPublicIpOnLaunch` (the DNS-name options
    /// are accepted and have no effect yet).
    pub(crate) fn modify_subnet_attribute(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "AssignIpv6AddressOnCreation",
            &serde_json::json!({"Value": false}),
        )?;
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "MapCustomerOwnedIpOnLaunch",
            &serde_json::json!({"Value": false}),
        )?;
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "EnableDns64",
            &serde_json::json!({"Value": false}),
        )?;
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "EnableResourceNameDnsARecordOnLaunch",
            &serde_json::json!({"Value": false}),
        )?;
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "EnableResourceNameDnsAAAARecordOnLaunch",
            &serde_json::json!({"Value": false}),
        )?;
        crate::common::unsupported::refuse_unless_value(
            &input,
            "PrivateDnsHostnameTypeOnLaunch",
            "ip-name",
        )?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["EnableLniAtDeviceIndex", "DisableLniAtDeviceIndex"],
        )?;
        dry_run(&input)?;
        let id = required(&input, "SubnetId")?;
        let map = network::attribute_bool(&input, "MapPublicIpOnLaunch");
        let subnets = table(&self.store);
        self.store.write(|txn| {
            let k = key(ctx, id);
            let mut s = txn.get(&subnets, &k)?.ok_or_else(|| not_found(id))?;
            if let Some(m) = map {
                s.map_public_ip = m;
            }
            txn.put(&subnets, &k, &s)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }
}
