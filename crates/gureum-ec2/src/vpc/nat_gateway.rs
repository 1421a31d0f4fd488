//! NAT gateways: `CreateNatGateway`, `DescribeNatGateways`,
//! `DeleteNatGateway`.
//!
//! A gateway is `pending` for [`TRANSITION_MS`] after creation, then
//! `available`; `DeleteNatGateway` makes it `deleting`, then `deleted`,
//! which is still described for [`DELETED_VISIBLE_MS`] (AWS: about an
//! hour). Routes to a gateway that is deleting, deleted or unknown show
//! `blackhole` ([`live_ids`] is what route tables ask).
//!
//! A public gateway's Elastic IP is associated with the gateway's network
//! interface ([`elastic_ips::associate_with_gateway`]) in the gateway's
//! transaction, and freed when the gateway is deleted; an address that is
//! associated already is refused. The private address is the
//! subnet's base + 4 + the count of gateways made in the subnet (not yet
//! reserved in the instances' address table).

use crate::common::cidr::{self, Cidr};
use crate::common::errors::Ec2Error;
use crate::common::network::TRANSITION_MS;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::{common::filter, common::tags, vpc::elastic_ips, vpc::subnet, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashSet;

/// How long a deleted gateway is still described.
pub const DELETED_VISIBLE_MS: i64 = 3_600_000;

/// A stored NAT gateway.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NatGateway {
    /// `nat-…`.
    pub id: String,
    /// The subnet.
    pub subnet_id: String,
    /// The subnet's VPC.
    pub vpc_id: String,
    /// `public` or `private`.
    pub connectivity: String,
    /// The Elastic IP allocation (public gateways).
    #[serde(default)]
    pub allocation_id: Option<String>,
    /// Its public address (public gateways).
    #[serde(default)]
    pub public_ip: Option<String>,
    /// Its private address.
    pub private_ip: String,
    /// Its network interface.
    pub eni_id: String,
    /// Created at (ms).
    pub create_ms: i64,
    /// `DeleteNatGateway` called at (ms).
    #[serde(default)]
    pub delete_ms: Option<i64>,
}

impl NatGateway {
    /// `pending`, `available`, `deleting` or `deleted`.
    pub fn state(&self, now: i64) -> &'static str {
        match self.delete_ms {
            Some(d) if now - d >= TRANSITION_MS => "deleted",
            Some(_) => "deleting",
            None if now - self.create_ms < TRANSITION_MS => "pending",
            None => "available",
        }
    }

    /// The model's `NatGateway`.
    pub fn to_value(&self, now: i64, tags: &tags::Tags) -> Value {
        let state = self.state(now);
        let mut addr = json!({
            "NetworkInterfaceId": self.eni_id,
            "PrivateIp": self.private_ip,
            "IsPrimary": true,
            "Status": if state == "deleted" { "succeeded" } else if state == "pending" { "associating" } else { "succeeded" },
        });
        if let Some(a) = &self.allocation_id {
            addr["AllocationId"] = json!(a);
        }
        if let Some(ip) = &self.public_ip {
            addr["PublicIp"] = json!(ip);
        }
        let mut v = json!({
            "CreateTime": self.create_ms / 1000,
            "NatGatewayAddresses": [addr],
            "NatGatewayId": self.id,
            "State": state,
            "SubnetId": self.subnet_id,
            "VpcId": self.vpc_id,
            "ConnectivityType": self.connectivity,
            "Tags": network::tag_list(tags),
        });
        if let Some(d) = self.delete_ms {
            if state == "deleted" {
                v["DeleteTime"] = json!((d + TRANSITION_MS) / 1000);
            }
        }
        v
    }
}

/// The NAT gateway table.
pub fn table(store: &Store) -> Table<NatGateway> {
    store.table("ec2.nat_gateways")
}

/// `NatGatewayNotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::NatGatewayNotFound { id: id.to_string() })
}

/// The ids of the region's gateways that are pending or available (a
/// route to any other `nat-` target is a blackhole).
pub fn live_ids(store: &Store, ctx: &RequestContext) -> Result<HashSet<String>, AwsError> {
    let now = ctx.clock.now_millis();
    Ok(table(store)
        .scan_prefix(&prefix(ctx))?
        .into_iter()
        .filter(|(_, g)| g.delete_ms.is_none() && g.state(now) != "deleted")
        .map(|(_, g)| g.id)
        .collect())
}

impl Ec2Service {
    /// `CreateNatGateway`.
    pub(crate) fn create_nat_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "AvailabilityMode", "zonal")?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "AvailabilityZoneAddresses",
                "SecondaryAllocationIds",
                "SecondaryPrivateIpAddresses",
            ],
        )?;
        dry_run(&input)?;
        let subnet_id = required(&input, "SubnetId")?;
        let connectivity = str_member(&input, "ConnectivityType").unwrap_or("public");
        if !matches!(connectivity, "public" | "private") {
            return Err(network::invalid_value(format!(
                "Value ({connectivity}) for parameter connectivityType is invalid."
            )));
        }
        let allocation = str_member(&input, "AllocationId");
        match (connectivity, allocation) {
            ("public", None) => return Err(network::missing("AllocationId")),
            ("private", Some(_)) => {
                return Err(AwsError::from(Ec2Error::InvalidParameterCombination {
                    message: "Private NAT gateways do not support the parameter AllocationId."
                        .into(),
                }))
            }
            _ => {}
        }
        if let Some(a) = allocation {
            if !a.starts_with("eipalloc-") {
                return Err(AwsError::from(Ec2Error::InvalidAllocationIdMalformed {
                    a: a.to_string(),
                }));
            }
        }
        let tags = network::spec_tags(&input, "natgateway")?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let g = store.write(|txn| {
            let s = txn
                .get(&subnet::table(store), &key(ctx, subnet_id))?
                .ok_or_else(|| subnet::not_found(subnet_id))?;
            let taken = txn
                .scan_prefix(&table(store), &prefix(ctx))?
                .iter()
                .filter(|(_, g)| g.subnet_id == subnet_id)
                .count() as u32;
            let base = Cidr::parse(&s.cidr).map_err(|_| AwsError::internal("subnet cidr"))?;
            let private_ip = cidr::format_ipv4(base.addr.wrapping_add(4 + taken));
            let eni_id = resource_id("eni");
            // The address is associated with the gateway's interface in
            // the gateway's own transaction: DescribeAddresses shows it,
            // and ReleaseAddress refuses it while the gateway holds it.
            let public_ip = match allocation {
                Some(a) => Some(elastic_ips::associate_with_gateway(
                    txn,
                    store,
                    ctx,
                    a,
                    &eni_id,
                    &private_ip,
                )?),
                None => None,
            };
            let g = NatGateway {
                id: resource_id("nat"),
                subnet_id: subnet_id.to_string(),
                vpc_id: s.vpc_id.clone(),
                connectivity: connectivity.to_string(),
                allocation_id: allocation.map(str::to_string),
                public_ip,
                private_ip,
                eni_id,
                create_ms: now,
                delete_ms: None,
            };
            txn.put(&table(store), &key(ctx, &g.id), &g)?;
            tags::put_in(txn, store, ctx, &g.id, &tags)?;
            Ok::<_, AwsError>(g)
        })?;
        let mut out = json!({ "NatGateway": g.to_value(now, &tags) });
        if let Some(t) = str_member(&input, "ClientToken") {
            out["ClientToken"] = json!(t);
        }
        Ok(out)
    }

    /// `DescribeNatGateways`: `NatGatewayIds`, filters, pagination.
    pub(crate) fn describe_nat_gateways(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "NatGatewayIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &["nat-gateway-id", "state", "subnet-id", "vpc-id"],
        )?;
        let now = ctx.clock.now_millis();
        let visible: Vec<NatGateway> = table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, g)| g)
            .filter(|g| g.delete_ms.is_none_or(|d| now - d < DELETED_VISIBLE_MS))
            .collect();
        for id in &ids {
            if !visible.iter().any(|g| &g.id == id) {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for g in visible {
            if !ids.is_empty() && !ids.contains(&g.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &g.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "nat-gateway-id" => vec![g.id.clone()],
                "state" => vec![g.state(now).into()],
                "subnet-id" => vec![g.subnet_id.clone()],
                "vpc-id" => vec![g.vpc_id.clone()],
                _ => vec![],
            });
            if keep {
                items.push((g.id.clone(), g.to_value(now, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "NatGateways": page }), next))
    }

    /// `DeleteNatGateway`: deleting → deleted.
    pub(crate) fn delete_nat_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "NatGatewayId")?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let mut g = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if g.delete_ms.is_none() {
                g.delete_ms = Some(now);
                txn.put(&table(store), &k, &g)?;
                if let Some(a) = &g.allocation_id {
                    elastic_ips::gateway_gone(txn, store, ctx, a, &g.eni_id)?;
                }
            }
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({ "NatGatewayId": id }))
    }
}
