//! Elastic IPs: `AllocateAddress`, `ReleaseAddress`, `DescribeAddresses`,
//! and the association with a NAT gateway's interface. Associating with an
//! instance joins compute and lives in
//! [`crate::compute::address_associations`]. Addresses come from the
//! regional `54.x.y.z` pool ([`crate::vpc::addresses::take_public_ip`]);
//! an Elastic IP stays through stop and start.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, str_member};
use crate::{common::filter, common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// An association of an address: with an instance's primary interface,
/// or with a NAT gateway's interface (no instance).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Association {
    /// `eipassoc-…`.
    pub id: String,
    /// The instance (`None` for a NAT gateway's interface).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Its interface.
    pub eni_id: String,
    /// The private address the public one maps to.
    pub private_ip: String,
}

/// A stored Elastic IP.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Address {
    /// `eipalloc-…`.
    pub allocation_id: String,
    /// The address.
    pub public_ip: String,
    /// Current association.
    pub association: Option<Association>,
}

/// The address table, keyed `{account}/{region}/{allocation-id}`.
pub fn table(store: &Store) -> Table<Address> {
    store.table("ec2.addresses")
}

fn alloc_not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidAllocationIdNotFound { id: id.to_string() })
}

pub(crate) fn assoc_not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidAssociationIdNotFound { id: id.to_string() })
}

pub(crate) fn address_not_found(ip: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidAddressNotFound { ip: ip.to_string() })
}

/// `InvalidIPAddress.InUse`: the address is associated.
/// `AuthFailure`: the address is held by a NAT gateway, whose association
/// AWS manages (it moves only with the gateway).
pub(crate) fn managed(a: &Address) -> Option<AwsError> {
    a.association
        .as_ref()
        .filter(|x| x.instance_id.is_none())
        .map(|_| AwsError::from(Ec2Error::AuthFailureManaged))
}

pub(crate) fn in_use(allocation_id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidIPAddressInUse {
        message: format!("The address with allocation id [{allocation_id}] is in use."),
    })
}

/// For `CreateNatGateway`, inside its transaction: associates address
/// `allocation_id` with the gateway's interface `eni_id` at `private_ip`
/// and returns the public address. `InvalidAllocationID.NotFound` when
/// there is no such address, `Resource.AlreadyAssociated` when it is
/// associated already.
pub fn associate_with_gateway(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    allocation_id: &str,
    eni_id: &str,
    private_ip: &str,
) -> Result<String, AwsError> {
    let k = key(ctx, allocation_id);
    let mut a = txn
        .get(&table(store), &k)?
        .ok_or_else(|| alloc_not_found(allocation_id))?;
    if a.association.is_some() {
        return Err(AwsError::from(Ec2Error::ResourceAlreadyAssociated {
            message: format!("Elastic IP address [{allocation_id}] is already associated"),
        }));
    }
    a.association = Some(Association {
        id: resource_id("eipassoc"),
        instance_id: None,
        eni_id: eni_id.to_string(),
        private_ip: private_ip.to_string(),
    });
    txn.put(&table(store), &k, &a)?;
    Ok(a.public_ip)
}

/// For `DeleteNatGateway`, inside its transaction: frees the address the
/// gateway's interface `eni_id` held (if it still does).
pub fn gateway_gone(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    allocation_id: &str,
    eni_id: &str,
) -> Result<(), AwsError> {
    let k = key(ctx, allocation_id);
    if let Some(mut a) = txn.get(&table(store), &k)? {
        if a.association.as_ref().is_some_and(|x| x.eni_id == eni_id) {
            a.association = None;
            txn.put(&table(store), &k, &a)?;
        }
    }
    Ok(())
}

/// Called when an instance holding `allocation_id` terminates.
pub fn instance_gone(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    allocation_id: &str,
) -> Result<(), AwsError> {
    let k = key(ctx, allocation_id);
    if let Some(mut a) = txn.get(&table(store), &k)? {
        a.association = None;
        txn.put(&table(store), &k, &a)?;
    }
    Ok(())
}

impl Address {
    fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        let mut v = json!({
            "AllocationId": self.allocation_id,
            "PublicIp": self.public_ip,
            "Domain": "vpc",
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": ctx.region,
            "Tags": network::tag_list(tags),
        });
        if let Some(a) = &self.association {
            v["AssociationId"] = json!(a.id);
            if let Some(i) = &a.instance_id {
                v["InstanceId"] = json!(i);
            }
            v["NetworkInterfaceId"] = json!(a.eni_id);
            v["NetworkInterfaceOwnerId"] = json!(ctx.account_id);
            v["PrivateIpAddress"] = json!(a.private_ip);
        }
        v
    }
}

/// Finds an address by allocation id or public IP.
pub(crate) fn find(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    alloc: Option<&str>,
    ip: Option<&str>,
) -> Result<Address, AwsError> {
    if let Some(a) = alloc {
        return txn
            .get(&table(store), &key(ctx, a))?
            .ok_or_else(|| alloc_not_found(a));
    }
    let ip = ip.ok_or_else(|| network::missing("AllocationId"))?;
    txn.scan_prefix(&table(store), &prefix(ctx))?
        .into_iter()
        .map(|(_, a)| a)
        .find(|a| a.public_ip == ip)
        .ok_or_else(|| address_not_found(ip))
}

impl Ec2Service {
    /// `AllocateAddress` (domain `vpc`).
    pub(crate) fn allocate_address(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "NetworkBorderGroup", &ctx.region)?;
        crate::common::unsupported::refuse_unless_value(&input, "PublicIpv4Pool", "amazon")?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["CustomerOwnedIpv4Pool", "IpamPoolId"],
        )?;
        if let Some(d) = str_member(&input, "Domain") {
            if d != "vpc" && d != "standard" {
                return Err(network::invalid_value(format!(
                    "Value ({d}) for parameter domain is invalid."
                )));
            }
        }
        if let Some(ip) = str_member(&input, "Address") {
            return Err(AwsError::from(Ec2Error::InvalidAddressNotFound {
                ip: ip.to_string(),
            }));
        }
        let tags = network::spec_tags(&input, "elastic-ip")?;
        dry_run(&input)?;
        let store = &self.store;
        let a = store.write(|txn| {
            // The account's "EC2-VPC Elastic IPs" quota (Service Quotas).
            let limit = gureum_kit::quotas::applied_count_in(
                txn,
                store,
                gureum_core::Scope::regional(ctx),
                &gureum_kit::quotas::EC2_VPC_ELASTIC_IPS,
            )?;
            if txn.scan_prefix(&table(store), &prefix(ctx))?.len() >= limit {
                return Err(AwsError::from(Ec2Error::AddressLimitExceeded));
            }
            let id = resource_id("eipalloc");
            let ip = crate::vpc::addresses::take_public_ip(txn, store, ctx, true, &id)?;
            let a = Address {
                allocation_id: id,
                public_ip: ip,
                association: None,
            };
            txn.put(&table(store), &key(ctx, &a.allocation_id), &a)?;
            tags::put_in(txn, store, ctx, &a.allocation_id, &tags)?;
            Ok::<_, AwsError>(a)
        })?;
        Ok(json!({
            "AllocationId": a.allocation_id,
            "PublicIp": a.public_ip,
            "Domain": "vpc",
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": ctx.region,
        }))
    }

    /// `ReleaseAddress`: refused while associated.
    pub(crate) fn release_address(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "NetworkBorderGroup", &ctx.region)?;
        let alloc = str_member(&input, "AllocationId");
        let ip = str_member(&input, "PublicIp");
        if alloc.is_none() && ip.is_none() {
            return Err(network::missing("AllocationId"));
        }
        let store = &self.store;
        store.write(|txn| {
            let a = find(txn, store, ctx, alloc, ip)?;
            if let Some(e) = managed(&a) {
                return Err(e);
            }
            if a.association.is_some() {
                return Err(in_use(&a.allocation_id));
            }
            dry_run(&input)?;
            txn.delete(&table(store), &key(ctx, &a.allocation_id))?;
            crate::vpc::addresses::release_public_ip(txn, store, &a.public_ip)?;
            tags::delete_in(txn, store, ctx, &a.allocation_id)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DescribeAddresses`.
    pub(crate) fn describe_addresses(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let allocs = network::strings(&input, "AllocationIds");
        let ips = network::strings(&input, "PublicIps");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "allocation-id",
                "association-id",
                "instance-id",
                "public-ip",
                "domain",
                "network-interface-id",
                "network-interface-owner-id",
                "private-ip-address",
                "network-border-group",
            ],
        )?;
        let all: Vec<Address> = table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        for id in &allocs {
            if !all.iter().any(|a| &a.allocation_id == id) {
                return Err(alloc_not_found(id));
            }
        }
        for ip in &ips {
            if !all.iter().any(|a| &a.public_ip == ip) {
                return Err(address_not_found(ip));
            }
        }
        let mut out = Vec::new();
        for a in all {
            if !allocs.is_empty() && !allocs.contains(&a.allocation_id) {
                continue;
            }
            if !ips.is_empty() && !ips.contains(&a.public_ip) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &a.allocation_id)?;
            let assoc = a.association.as_ref();
            let keep = network::matches(&filters, &t, |f| match f {
                "allocation-id" => vec![a.allocation_id.clone()],
                "association-id" => assoc.map(|x| x.id.clone()).into_iter().collect(),
                "instance-id" => assoc
                    .and_then(|x| x.instance_id.clone())
                    .into_iter()
                    .collect(),
                "network-interface-id" => assoc.map(|x| x.eni_id.clone()).into_iter().collect(),
                "network-interface-owner-id" => {
                    assoc.map(|_| ctx.account_id.clone()).into_iter().collect()
                }
                "private-ip-address" => assoc.map(|x| x.private_ip.clone()).into_iter().collect(),
                "public-ip" => vec![a.public_ip.clone()],
                "domain" => vec!["vpc".into()],
                "network-border-group" => vec![ctx.region.clone()],
                _ => vec![],
            });
            if keep {
                out.push(a.to_value(ctx, &t));
            }
        }
        Ok(json!({ "Addresses": out }))
    }
}
