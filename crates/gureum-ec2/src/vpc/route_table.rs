//! Route tables and routes: `CreateRouteTable`, `DescribeRouteTables`,
//! `DeleteRouteTable`, `CreateRoute`, `ReplaceRoute`, `DeleteRoute`,
//! `AssociateRouteTable`, `DisassociateRouteTable`,
//! `ReplaceRouteTableAssociation`.
//!
//! Every table holds a `local` route per CIDR block of its VPC, which
//! cannot be removed. Each VPC has one main table (the main association);
//! a subnet has at most one explicit association, and uses the main table
//! otherwise. A route to an internet gateway that is not attached to the
//! table's VPC (detached or deleted) is a `blackhole`, and so is a route
//! to a NAT gateway that is deleting or deleted, to a peering connection
//! that is not active, or to a deleted transit gateway. Gateway VPC
//! endpoints add routes whose destination is a prefix list (`pl-…`).

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::{
    common::filter, common::tags, vpc::internet_gateway, vpc::subnet, vpc::vpcs, Ec2Service,
};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The route target members of `CreateRoute`/`ReplaceRoute`, in the order
/// they are looked for.
pub const TARGETS: [&str; 7] = [
    "GatewayId",
    "NatGatewayId",
    "VpcPeeringConnectionId",
    "NetworkInterfaceId",
    "TransitGatewayId",
    "VpcEndpointId",
    "InstanceId",
];

/// One route.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Route {
    /// The destination IPv4 block.
    pub destination: String,
    /// The target's member name (`GatewayId`, `NatGatewayId`, …).
    pub target_kind: String,
    /// The target id (`local`, `igw-…`, …).
    pub target: String,
    /// `CreateRouteTable` (local routes, the default VPC's) or `CreateRoute`.
    pub origin: String,
}

/// One association of a table with a subnet, or the main association.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Association {
    /// `rtbassoc-…`.
    pub id: String,
    /// The subnet, for subnet associations.
    #[serde(default)]
    pub subnet_id: Option<String>,
    /// Whether this is the VPC's main association.
    #[serde(default)]
    pub main: bool,
}

/// A stored route table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RouteTable {
    /// `rtb-…`.
    pub id: String,
    /// The VPC.
    pub vpc_id: String,
    /// Its routes.
    pub routes: Vec<Route>,
    /// Its associations.
    #[serde(default)]
    pub associations: Vec<Association>,
}

/// The route table table.
pub fn table(store: &Store) -> Table<RouteTable> {
    store.table("ec2.route_tables")
}

/// `InvalidRouteTableID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidRouteTableIdNotFound {
        id: (id).to_string(),
    })
}

fn association_not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidAssociationIdNotFound {
        id: (id).to_string(),
    })
}

/// A local route for one of the VPC's blocks.
pub fn local_route(cidr: &str) -> Route {
    Route {
        destination: cidr.to_string(),
        target_kind: "GatewayId".into(),
        target: "local".into(),
        origin: "CreateRouteTable".into(),
    }
}

impl RouteTable {
    /// A new table of `vpc` with a local route per VPC block.
    pub fn new(vpc: &vpcs::Vpc, main: bool) -> RouteTable {
        RouteTable {
            id: resource_id("rtb"),
            vpc_id: vpc.id.clone(),
            routes: vpc
                .cidr_assocs
                .iter()
                .map(|a| local_route(&a.cidr))
                .collect(),
            associations: if main {
                vec![Association {
                    id: resource_id("rtbassoc"),
                    subnet_id: None,
                    main: true,
                }]
            } else {
                Vec::new()
            },
        }
    }

    /// Whether this is its VPC's main table.
    pub fn is_main(&self) -> bool {
        self.associations.iter().any(|a| a.main)
    }

    /// The table as the model's `RouteTable`; `igws` are the region's
    /// gateways, for route states.
    pub fn to_value(
        &self,
        ctx: &RequestContext,
        tags: &tags::Tags,
        igws: &[internet_gateway::InternetGateway],
    ) -> Value {
        let routes: Vec<Value> = self
            .routes
            .iter()
            .map(|r| {
                let member = if r.target_kind == "VpcEndpointId" {
                    "GatewayId"
                } else {
                    r.target_kind.as_str()
                };
                let mut v = json!({
                    "Origin": r.origin,
                    "State": self.route_state(r, igws),
                });
                // Prefix-list routes (gateway endpoints) keep the list id
                // as their destination.
                if r.destination.starts_with("pl-") {
                    v["DestinationPrefixListId"] = json!(r.destination);
                } else {
                    v["DestinationCidrBlock"] = json!(r.destination);
                }
                v[member] = json!(r.target);
                if member == "InstanceId" {
                    v["InstanceOwnerId"] = json!(ctx.account_id);
                }
                v
            })
            .collect();
        let associations: Vec<Value> = self
            .associations
            .iter()
            .map(|a| {
                let mut v = json!({
                    "Main": a.main,
                    "RouteTableAssociationId": a.id,
                    "RouteTableId": self.id,
                    "AssociationState": {"State": "associated"},
                });
                if let Some(s) = &a.subnet_id {
                    v["SubnetId"] = json!(s);
                }
                v
            })
            .collect();
        json!({
            "Associations": associations,
            "PropagatingVgws": [],
            "RouteTableId": self.id,
            "Routes": routes,
            "Tags": network::tag_list(tags),
            "VpcId": self.vpc_id,
            "OwnerId": ctx.account_id,
        })
    }

    /// `active`, or `blackhole` for a route to an internet gateway that is
    /// gone or not attached to this table's VPC.
    pub fn route_state(
        &self,
        r: &Route,
        igws: &[internet_gateway::InternetGateway],
    ) -> &'static str {
        if r.target.starts_with("igw-")
            && !igws
                .iter()
                .any(|g| g.id == r.target && g.vpc_id.as_deref() == Some(self.vpc_id.as_str()))
        {
            "blackhole"
        } else {
            "active"
        }
    }
}

/// Reads the destination of a route request.
fn destination(input: &Value) -> Result<(String, Cidr), AwsError> {
    let text = match str_member(input, "DestinationCidrBlock") {
        Some(t) => t,
        None if str_member(input, "DestinationPrefixListId")
            .is_some_and(|p| p.starts_with("pl-")) =>
        {
            let pl = str_member(input, "DestinationPrefixListId").unwrap_or_default();
            return Ok((
                pl.to_string(),
                Cidr::parse("0.0.0.0/0").map_err(|_| AwsError::internal("cidr"))?,
            ));
        }
        None if input.get("DestinationIpv6CidrBlock").is_some()
            || input.get("DestinationPrefixListId").is_some() =>
        {
            return Err(network::invalid_value(
                "Only IPv4 destination CIDR blocks are supported by Gureum's route tables yet.",
            ))
        }
        None => return Err(network::missing("DestinationCidrBlock")),
    };
    let c = Cidr::parse(text).map_err(|_| {
        network::invalid_value(format!(
            "Value ({text}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    Ok((c.to_string(), c))
}

/// Reads and checks the one target of a route request.
fn target(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    rt: &RouteTable,
    input: &Value,
) -> Result<(String, String), AwsError> {
    let given: Vec<(&str, &str)> = TARGETS
        .iter()
        .filter_map(|m| str_member(input, m).map(|v| (*m, v)))
        .collect();
    let (kind, id) = match given.as_slice() {
        [one] => *one,
        [] => {
            return Err(network::missing(
                "GatewayId, NatGatewayId, VpcPeeringConnectionId, NetworkInterfaceId, TransitGatewayId, VpcEndpointId or InstanceId",
            ))
        }
        _ => {
            return Err(AwsError::from(Ec2Error::InvalidParameterCombination { message: "More than one target specified for the route.".into() }))
        }
    };
    if kind == "GatewayId" && id.starts_with("igw-") {
        let g = txn
            .get(&internet_gateway::table(store), &key(ctx, id))?
            .ok_or_else(|| {
                AwsError::from(Ec2Error::InvalidGatewayIdNotFound { id: id.to_string() })
            })?;
        if g.vpc_id.as_deref() != Some(rt.vpc_id.as_str()) {
            return Err(network::invalid_value(format!(
                "route table {} and network gateway {id} belong to different networks",
                rt.id
            )));
        }
    } else if kind == "NatGatewayId" {
        let g = txn
            .get(&crate::vpc::nat_gateway::table(store), &key(ctx, id))?
            .filter(|g| g.delete_ms.is_none())
            .ok_or_else(|| {
                AwsError::from(Ec2Error::InvalidNatGatewayIdNotFound { id: id.to_string() })
            })?;
        if g.vpc_id != rt.vpc_id {
            return Err(network::invalid_value(format!(
                "route table {} and network gateway {id} belong to different networks",
                rt.id
            )));
        }
    } else if kind == "VpcPeeringConnectionId" {
        if !crate::vpc::peering::joins(store, ctx, id, &rt.vpc_id)? {
            return Err(network::invalid_value(format!(
                "route table {} and peering connection {id} belong to different networks",
                rt.id
            )));
        }
    } else if kind == "TransitGatewayId"
        && !crate::vpc::records::transit_gateway_ids(store, ctx)?.contains(id)
    {
        return Err(crate::vpc::records::tgw_not_found(id));
    } else if kind == "GatewayId" && id == "local" {
        return Err(network::invalid_value(
            "The gateway 'local' can only be the target of a route through ReplaceRoute with LocalTarget.",
        ));
    }
    Ok((kind.to_string(), id.to_string()))
}

fn find_association(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    assoc_id: &str,
) -> Result<(String, RouteTable), AwsError> {
    for (k, rt) in txn.scan_prefix(&table(store), &prefix(ctx))? {
        if rt.associations.iter().any(|a| a.id == assoc_id) {
            return Ok((k, rt));
        }
    }
    Err(association_not_found(assoc_id))
}

fn associated(id: &str) -> Value {
    json!({"AssociationId": id, "AssociationState": {"State": "associated"}})
}

impl Ec2Service {
    /// `CreateRouteTable`: a table with the VPC's local routes.
    pub(crate) fn create_route_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let vpc_id = required(&input, "VpcId")?;
        let tags = network::spec_tags(&input, "route-table")?;
        let store = &self.store;
        let rt = store.write(|txn| {
            let v = txn
                .get(&vpcs::table(store), &key(ctx, vpc_id))?
                .ok_or_else(|| vpcs::not_found(vpc_id))?;
            let rt = RouteTable::new(&v, false);
            txn.put(&table(store), &key(ctx, &rt.id), &rt)?;
            tags::put_in(txn, store, ctx, &rt.id, &tags)?;
            Ok::<_, AwsError>(rt)
        })?;
        let mut out = json!({ "RouteTable": rt.to_value(ctx, &tags, &[]) });
        if let Some(t) = str_member(&input, "ClientToken") {
            out["ClientToken"] = json!(t);
        }
        Ok(out)
    }

    /// `DescribeRouteTables`: `RouteTableIds`, filters, pagination.
    pub(crate) fn describe_route_tables(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "RouteTableIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "route-table-id",
                "vpc-id",
                "owner-id",
                "association.route-table-association-id",
                "association.route-table-id",
                "association.subnet-id",
                "association.main",
                "route.destination-cidr-block",
                "route.destination-prefix-list-id",
                "route.gateway-id",
                "route.nat-gateway-id",
                "route.transit-gateway-id",
                "route.vpc-peering-connection-id",
                "route.origin",
                "route.state",
            ],
        )?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, r)| &r.id == id) {
                return Err(not_found(id));
            }
        }
        let igws: Vec<_> = internet_gateway::table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, g)| g)
            .collect();
        let nats = crate::vpc::nat_gateway::live_ids(&self.store, ctx)?;
        // Routes to a peering connection that is not active, or to a
        // transit gateway that is gone, are blackholes too.
        let pcxs = crate::vpc::peering::active_ids(&self.store, ctx)?;
        let tgws = crate::vpc::records::transit_gateway_ids(&self.store, ctx)?;
        let dead = |t: &str| {
            (t.starts_with("nat-") && !nats.contains(t))
                || (t.starts_with("pcx-") && !pcxs.contains(t))
                || (t.starts_with("tgw-") && !tgws.contains(t))
        };
        let mut items = Vec::new();
        for (_, rt) in all {
            if !ids.is_empty() && !ids.contains(&rt.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &rt.id)?;
            let by_kind = |kind: &str| -> Vec<String> {
                rt.routes
                    .iter()
                    .filter(|r| r.target_kind == kind)
                    .map(|r| r.target.clone())
                    .collect()
            };
            let keep = network::matches(&filters, &t, |f| match f {
                "route-table-id" => vec![rt.id.clone()],
                "association.route-table-id" => {
                    if rt.associations.is_empty() {
                        vec![]
                    } else {
                        vec![rt.id.clone()]
                    }
                }
                "vpc-id" => vec![rt.vpc_id.clone()],
                "owner-id" => vec![ctx.account_id.clone()],
                "association.route-table-association-id" => {
                    rt.associations.iter().map(|a| a.id.clone()).collect()
                }
                "association.subnet-id" => rt
                    .associations
                    .iter()
                    .filter_map(|a| a.subnet_id.clone())
                    .collect(),
                "association.main" => vec![network::bool_text(rt.is_main())],
                "route.destination-cidr-block" => rt
                    .routes
                    .iter()
                    .filter(|r| !r.destination.starts_with("pl-"))
                    .map(|r| r.destination.clone())
                    .collect(),
                "route.destination-prefix-list-id" => rt
                    .routes
                    .iter()
                    .filter(|r| r.destination.starts_with("pl-"))
                    .map(|r| r.destination.clone())
                    .collect(),
                "route.gateway-id" => by_kind("GatewayId"),
                "route.nat-gateway-id" => by_kind("NatGatewayId"),
                "route.transit-gateway-id" => by_kind("TransitGatewayId"),
                "route.vpc-peering-connection-id" => by_kind("VpcPeeringConnectionId"),
                "route.origin" => rt.routes.iter().map(|r| r.origin.clone()).collect(),
                "route.state" => rt
                    .routes
                    .iter()
                    .map(|r| {
                        if dead(&r.target) {
                            "blackhole".to_string()
                        } else {
                            rt.route_state(r, &igws).to_string()
                        }
                    })
                    .collect(),
                _ => vec![],
            });
            if keep {
                let mut v = rt.to_value(ctx, &t, &igws);
                // Routes to a NAT gateway that is deleting, deleted or
                // unknown, to an inactive peering connection or to a gone
                // transit gateway are blackholes.
                for r in v["Routes"].as_array_mut().into_iter().flatten() {
                    let target = ["NatGatewayId", "VpcPeeringConnectionId", "TransitGatewayId"]
                        .iter()
                        .find_map(|m| r[*m].as_str());
                    if target.is_some_and(dead) {
                        r["State"] = json!("blackhole");
                    }
                }
                items.push((rt.id.clone(), v));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "RouteTables": page }), next))
    }

    /// `DeleteRouteTable`: `DependencyViolation` while associated (the
    /// main table always is).
    pub(crate) fn delete_route_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "RouteTableId")?;
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let rt = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if !rt.associations.is_empty() {
                return Err(AwsError::from(Ec2Error::DependencyViolation {
                    message: format!(
                        "The routeTable '{id}' has dependencies and cannot be deleted."
                    ),
                }));
            }
            txn.delete(&table(store), &k)?;
            tags::delete_in(txn, store, ctx, id)
        })?;
        Ok(json!({}))
    }

    /// `CreateRoute`: `RouteAlreadyExists` for a taken destination.
    pub(crate) fn create_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "LocalGatewayId",
                "CarrierGatewayId",
                "CoreNetworkArn",
                "OdbNetworkArn",
                "EgressOnlyInternetGatewayId",
            ],
        )?;
        dry_run(&input)?;
        let id = required(&input, "RouteTableId")?;
        let (dest, _) = destination(&input)?;
        if dest.starts_with("pl-") && !crate::vpc::prefix_lists::exists(&self.store, ctx, &dest)? {
            return Err(crate::vpc::prefix_lists::not_found(&dest));
        }
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let mut rt = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if rt.routes.iter().any(|r| r.destination == dest) {
                return Err(AwsError::from(Ec2Error::RouteAlreadyExists {
                    message: format!("The route identified by {dest} already exists."),
                }));
            }
            let (kind, tid) = target(txn, store, ctx, &rt, &input)?;
            rt.routes.push(Route {
                destination: dest.clone(),
                target_kind: kind,
                target: tid,
                origin: "CreateRoute".into(),
            });
            txn.put(&table(store), &k, &rt)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({ "Return": true }))
    }

    /// `ReplaceRoute`: points an existing destination at a new target.
    pub(crate) fn replace_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "LocalGatewayId",
                "CarrierGatewayId",
                "CoreNetworkArn",
                "OdbNetworkArn",
                "EgressOnlyInternetGatewayId",
            ],
        )?;
        dry_run(&input)?;
        let id = required(&input, "RouteTableId")?;
        let (dest, _) = destination(&input)?;
        let local = input.get("LocalTarget").and_then(Value::as_bool) == Some(true);
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let mut rt = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            let Some(pos) = rt.routes.iter().position(|r| r.destination == dest) else {
                return Err(network::invalid_value(format!(
                    "There is no route defined for '{dest}' in the route table. Use CreateRoute instead."
                )));
            };
            if rt.routes[pos].target == "local" && !local {
                return Err(network::invalid_value(format!(
                    "cannot replace local route {dest} in route table {id}"
                )));
            }
            if local {
                if !rt.routes[pos].origin.eq("CreateRouteTable") {
                    return Err(network::invalid_value(format!(
                        "cannot replace route {dest} with a local target in route table {id}"
                    )));
                }
                return Ok(());
            }
            let (kind, tid) = target(txn, store, ctx, &rt, &input)?;
            let r = &mut rt.routes[pos];
            r.target_kind = kind;
            r.target = tid;
            r.origin = "CreateRoute".into();
            txn.put(&table(store), &k, &rt)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteRoute`: the local route stays.
    pub(crate) fn delete_route(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "RouteTableId")?;
        let (dest, _) = destination(&input)?;
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let mut rt = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            let Some(pos) = rt.routes.iter().position(|r| r.destination == dest) else {
                return Err(AwsError::from(Ec2Error::InvalidRouteNotFound {
                    dest: dest.to_string(),
                    id: id.to_string(),
                }));
            };
            if rt.routes[pos].target == "local" {
                return Err(network::invalid_value(format!(
                    "cannot remove local route {dest} in route table {id}"
                )));
            }
            rt.routes.remove(pos);
            txn.put(&table(store), &k, &rt)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `AssociateRouteTable`: one explicit table per subnet.
    pub(crate) fn associate_route_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["PublicIpv4Pool"])?;
        dry_run(&input)?;
        let id = required(&input, "RouteTableId")?;
        if input.get("GatewayId").is_some() && input.get("SubnetId").is_none() {
            return Err(network::invalid_value(
                "Gateway route table associations are not supported by Gureum yet.",
            ));
        }
        let subnet_id = required(&input, "SubnetId")?;
        let store = &self.store;
        let assoc_id = store.write(|txn| {
            let k = key(ctx, id);
            let mut rt = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            let s = txn
                .get(&subnet::table(store), &key(ctx, subnet_id))?
                .ok_or_else(|| subnet::not_found(subnet_id))?;
            if s.vpc_id != rt.vpc_id {
                return Err(network::invalid_value(format!(
                    "Route table {id} and subnet {subnet_id} belong to different networks"
                )));
            }
            for (_, other) in txn.scan_prefix(&table(store), &prefix(ctx))? {
                if other
                    .associations
                    .iter()
                    .any(|a| a.subnet_id.as_deref() == Some(subnet_id))
                {
                    return Err(AwsError::from(Ec2Error::ResourceAlreadyAssociated { message: format!(
                            "the specified association for route table {id} conflicts with an existing association"
                        ) }));
                }
            }
            let a = Association {
                id: resource_id("rtbassoc"),
                subnet_id: Some(subnet_id.to_string()),
                main: false,
            };
            let aid = a.id.clone();
            rt.associations.push(a);
            txn.put(&table(store), &k, &rt)?;
            Ok::<_, AwsError>(aid)
        })?;
        Ok(associated(&assoc_id))
    }

    /// `DisassociateRouteTable`: the subnet falls back to the main table;
    /// the main association itself cannot be removed.
    pub(crate) fn disassociate_route_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let assoc_id = required(&input, "AssociationId")?;
        let store = &self.store;
        store.write(|txn| {
            let (k, mut rt) = find_association(txn, store, ctx, assoc_id)?;
            if rt.associations.iter().any(|a| a.id == assoc_id && a.main) {
                return Err(network::invalid_value(format!(
                    "cannot disassociate the main route table association {assoc_id}"
                )));
            }
            rt.associations.retain(|a| a.id != assoc_id);
            txn.put(&table(store), &k, &rt)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `ReplaceRouteTableAssociation`: moves a subnet association (or the
    /// VPC's main association) to another table of the same VPC.
    pub(crate) fn replace_route_table_association(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let assoc_id = required(&input, "AssociationId")?;
        let id = required(&input, "RouteTableId")?;
        let store = &self.store;
        let new_id = store.write(|txn| {
            let (old_key, mut old) = find_association(txn, store, ctx, assoc_id)?;
            let new_key = key(ctx, id);
            let mut new = if old.id == id {
                old.clone()
            } else {
                txn.get(&table(store), &new_key)?
                    .ok_or_else(|| not_found(id))?
            };
            if new.vpc_id != old.vpc_id {
                return Err(network::invalid_value(format!(
                    "Route table {id} and association {assoc_id} belong to different networks"
                )));
            }
            let pos = old
                .associations
                .iter()
                .position(|a| a.id == assoc_id)
                .ok_or_else(|| association_not_found(assoc_id))?;
            let moved = old.associations.remove(pos);
            let a = Association {
                id: resource_id("rtbassoc"),
                subnet_id: moved.subnet_id,
                main: moved.main,
            };
            let aid = a.id.clone();
            if old.id == id {
                old.associations.push(a);
                txn.put(&table(store), &old_key, &old)?;
            } else {
                new.associations.push(a);
                txn.put(&table(store), &old_key, &old)?;
                txn.put(&table(store), &new_key, &new)?;
            }
            Ok::<_, AwsError>(aid)
        })?;
        Ok(json!({
            "NewAssociationId": new_id,
            "AssociationState": {"State": "associated"},
        }))
    }
}
