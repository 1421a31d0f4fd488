//! VPC endpoints: `CreateVpcEndpoint`, `DescribeVpcEndpoints`,
//! `ModifyVpcEndpoint`, `DeleteVpcEndpoints`,
//! `DescribeVpcEndpointServices`.
//!
//! A Gateway endpoint (S3, DynamoDB) adds to each of its route tables a
//! route whose destination is the service's AWS-managed prefix list and
//! whose target is the endpoint; removing the table or the endpoint removes
//! the route. An Interface endpoint puts one requester-managed network
//! interface in each of its subnets (one subnet per AZ), with its security
//! groups. No traffic flows: this is the control plane only.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::vpc::network_interfaces::{self, NetworkInterface};
use crate::vpc::route_table::{self, Route};
use crate::{common::filter, common::tags, vpc::prefix_lists, vpc::subnet, vpc::vpcs, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Services reachable through Interface endpoints (the short names after
/// `com.amazonaws.<region>.`).
pub const INTERFACE_SERVICES: &[&str] = &[
    "dynamodb",
    "ec2",
    "ec2messages",
    "ecr.api",
    "ecr.dkr",
    "elasticloadbalancing",
    "events",
    "execute-api",
    "kms",
    "lambda",
    "logs",
    "monitoring",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "ssmmessages",
    "sts",
];

/// The policy an endpoint has when none is given.
pub const DEFAULT_POLICY: &str = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;

/// A stored endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VpcEndpoint {
    /// `vpce-…`.
    pub id: String,
    /// The VPC.
    pub vpc_id: String,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    /// `Gateway` or `Interface`.
    pub kind: String,
    /// Gateway: the route tables holding its route.
    pub route_table_ids: Vec<String>,
    /// Interface: its subnets.
    pub subnet_ids: Vec<String>,
    /// Interface: its security groups.
    pub group_ids: Vec<String>,
    /// Interface: its interfaces, one per subnet (same order).
    pub eni_ids: Vec<String>,
    /// The policy document.
    pub policy: String,
    /// Interface: private DNS.
    pub private_dns: bool,
    /// Creation time, ms.
    pub created_ms: i64,
}

/// The endpoint table.
pub fn table(store: &Store) -> Table<VpcEndpoint> {
    store.table("ec2.vpc_endpoints")
}

/// `InvalidVpcEndpointId.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidVpcEndpointIdNotFound { id: id.to_string() })
}

fn invalid_service(name: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidServiceName {
        name: name.to_string(),
    })
}

/// The endpoint types a service name offers in `region` (empty when the
/// service is unknown).
pub fn service_types(region: &str, name: &str) -> Vec<&'static str> {
    let Some(short) = name.strip_prefix(&format!("com.amazonaws.{region}.")) else {
        return vec![];
    };
    let mut types = Vec::new();
    if prefix_lists::GATEWAY_SERVICES.contains(&short) {
        types.push("Gateway");
    }
    if INTERFACE_SERVICES.contains(&short) {
        types.push("Interface");
    }
    types
}

/// Whether any endpoint is in `vpc_id` (`DeleteVpc` refuses then).
pub fn in_vpc(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    vpc_id: &str,
) -> Result<bool, AwsError> {
    Ok(txn
        .scan_prefix(&table(store), &prefix(ctx))?
        .iter()
        .any(|(_, e)| e.vpc_id == vpc_id))
}

impl VpcEndpoint {
    /// As the model's `VpcEndpoint`; `names` maps group ids to names.
    pub fn to_value(
        &self,
        ctx: &RequestContext,
        tags: &tags::Tags,
        names: &dyn Fn(&str) -> String,
    ) -> Value {
        let short = self.service_name.rsplit('.').next().unwrap_or_default();
        let dns: Vec<Value> = if self.kind == "Interface" {
            let base = format!("{short}.{}.vpce.amazonaws.com", ctx.region);
            let mut d = vec![
                json!({"DnsName": format!("{}-{}.{base}", self.id, &self.id[5..13.min(self.id.len())]), "HostedZoneId": "Z7HUB22UULQXV"}),
            ];
            if self.private_dns {
                d.push(json!({"DnsName": format!("{short}.{}.amazonaws.com", ctx.region), "HostedZoneId": "ZONEIDPENDING"}));
            }
            d
        } else {
            vec![]
        };
        let groups: Vec<Value> = self
            .group_ids
            .iter()
            .map(|g| json!({"GroupId": g, "GroupName": names(g)}))
            .collect();
        json!({
            "VpcEndpointId": self.id,
            "VpcEndpointType": self.kind,
            "VpcId": self.vpc_id,
            "ServiceName": self.service_name,
            "State": "available",
            "PolicyDocument": self.policy,
            "RouteTableIds": self.route_table_ids,
            "SubnetIds": self.subnet_ids,
            "Groups": groups,
            "IpAddressType": "ipv4",
            "DnsOptions": {"DnsRecordIpType": "ipv4"},
            "PrivateDnsEnabled": self.private_dns,
            "RequesterManaged": false,
            "NetworkInterfaceIds": self.eni_ids,
            "DnsEntries": dns,
            "CreationTimestamp": self.created_ms / 1000,
            "Tags": network::tag_list(tags),
            "OwnerId": ctx.account_id,
        })
    }
}

/// Adds the endpoint's prefix-list route to route table `rtb_id`.
fn add_route(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    e: &VpcEndpoint,
    rtb_id: &str,
) -> Result<(), AwsError> {
    let k = key(ctx, rtb_id);
    let mut rt = txn
        .get(&route_table::table(store), &k)?
        .ok_or_else(|| route_table::not_found(rtb_id))?;
    if rt.vpc_id != e.vpc_id {
        return Err(network::invalid_value(format!(
            "The route table {rtb_id} does not belong to the VPC {}.",
            e.vpc_id
        )));
    }
    let short = e.service_name.rsplit('.').next().unwrap_or_default();
    let pl = prefix_lists::aws_list(&ctx.region, short).id;
    if rt.routes.iter().any(|r| r.destination == pl) {
        return Err(AwsError::from(Ec2Error::RouteAlreadyExists {
            message: format!(
                "route table {rtb_id} already has a route with destination-prefix-list-id {pl}"
            ),
        }));
    }
    rt.routes.push(Route {
        destination: pl,
        target_kind: "VpcEndpointId".into(),
        target: e.id.clone(),
        origin: "CreateRoute".into(),
    });
    txn.put(&route_table::table(store), &k, &rt)?;
    Ok(())
}

/// Removes every route to endpoint `id` from route table `rtb_id` (or from
/// all tables when `None`).
fn remove_routes(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
    rtb_id: Option<&str>,
) -> Result<(), AwsError> {
    let rtbs = route_table::table(store);
    for (k, mut rt) in txn.scan_prefix(&rtbs, &prefix(ctx))? {
        if rtb_id.is_some_and(|r| r != rt.id) {
            continue;
        }
        let before = rt.routes.len();
        rt.routes.retain(|r| r.target != id);
        if rt.routes.len() != before {
            txn.put(&rtbs, &k, &rt)?;
        }
    }
    Ok(())
}

/// Puts an interface for endpoint `e` in each of `subnet_ids` (checked:
/// same VPC, one per AZ with those `e` already has).
fn add_subnets(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    e: &mut VpcEndpoint,
    subnet_ids: &[String],
) -> Result<(), AwsError> {
    let mut zones: Vec<String> = Vec::new();
    for id in &e.subnet_ids {
        if let Some(s) = txn.get(&subnet::table(store), &key(ctx, id))? {
            zones.push(s.az);
        }
    }
    for id in subnet_ids {
        let s = txn
            .get(&subnet::table(store), &key(ctx, id))?
            .ok_or_else(|| subnet::not_found(id))?;
        if s.vpc_id != e.vpc_id {
            return Err(network::invalid_value(format!(
                "The subnet {id} does not belong to the VPC {}.",
                e.vpc_id
            )));
        }
        if zones.contains(&s.az) {
            return Err(AwsError::from(Ec2Error::DuplicateSubnetsInSameZone { message: format!("Found another VPC endpoint subnet in the availability zone of {id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.") }));
        }
        zones.push(s.az.clone());
        let description = format!("VPC Endpoint Interface {}", e.id);
        let eni = network_interfaces::create_in(
            txn,
            store,
            ctx,
            &s,
            None,
            e.group_ids.clone(),
            &description,
            "vpc_endpoint",
        )?;
        e.subnet_ids.push(id.clone());
        e.eni_ids.push(eni.id);
    }
    Ok(())
}

/// Removes the endpoint's interface in each of `subnet_ids`.
fn remove_subnets(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    e: &mut VpcEndpoint,
    subnet_ids: &[String],
) -> Result<(), AwsError> {
    for id in subnet_ids {
        let Some(pos) = e.subnet_ids.iter().position(|s| s == id) else {
            return Err(network::invalid_value(format!(
                "The subnet {id} is not a subnet of the VPC endpoint {}.",
                e.id
            )));
        };
        e.subnet_ids.remove(pos);
        let eni_id = e.eni_ids.remove(pos);
        let eni: Option<NetworkInterface> =
            txn.get(&network_interfaces::table(store), &key(ctx, &eni_id))?;
        if let Some(eni) = eni {
            network_interfaces::delete_in(txn, store, ctx, &eni)?;
        }
    }
    Ok(())
}

fn group_namer(store: &Store, ctx: &RequestContext) -> Result<impl Fn(&str) -> String, AwsError> {
    let all = crate::vpc::security_group::table(store).scan_prefix(&prefix(ctx))?;
    Ok(move |id: &str| {
        all.iter()
            .find(|(_, g)| g.id == id)
            .map(|(_, g)| g.name.clone())
            .unwrap_or_default()
    })
}

impl Ec2Service {
    /// `CreateVpcEndpoint`: Gateway (route tables) or Interface (subnets,
    /// security groups, private DNS).
    pub(crate) fn create_vpc_endpoint(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "IpAddressType", "ipv4")?;
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "DnsOptions",
            &serde_json::json!({"DnsRecordIpType": "ipv4", "PrivateDnsOnlyForInboundResolverEndpoint": false}),
        )?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "SubnetConfigurations",
                "ServiceNetworkArn",
                "ResourceConfigurationArn",
                "ServiceRegion",
            ],
        )?;
        dry_run(&input)?;
        let vpc_id = required(&input, "VpcId")?;
        let service = required(&input, "ServiceName")?;
        let kind = str_member(&input, "VpcEndpointType").unwrap_or("Gateway");
        let types = service_types(&ctx.region, service);
        if types.is_empty() {
            return Err(invalid_service(service));
        }
        if !types.contains(&kind) {
            return Err(AwsError::from(Ec2Error::InvalidParameter { message: format!("The Vpc Endpoint Service '{service}' does not support the endpoint type '{kind}'.") }));
        }
        let rtbs = network::strings(&input, "RouteTableIds");
        let subnets = network::strings(&input, "SubnetIds");
        let group_ids = network::strings(&input, "SecurityGroupIds");
        if kind == "Gateway" && (!subnets.is_empty() || !group_ids.is_empty()) {
            return Err(AwsError::from(Ec2Error::InvalidParameter {
                message:
                    ("Subnets and security groups are not supported for Gateway VPC endpoints.")
                        .into(),
            }));
        }
        if kind == "Interface" && !rtbs.is_empty() {
            return Err(AwsError::from(Ec2Error::InvalidParameter {
                message: "Route tables are not supported for Interface VPC endpoints.".into(),
            }));
        }
        let private_dns =
            kind == "Interface" && input["PrivateDnsEnabled"].as_bool().unwrap_or(true);
        let policy = str_member(&input, "PolicyDocument").unwrap_or(DEFAULT_POLICY);
        if serde_json::from_str::<Value>(policy).is_err() {
            return Err(AwsError::from(Ec2Error::MalformedPolicyDocument));
        }
        let tags = network::spec_tags(&input, "vpc-endpoint")?;
        let store = &self.store;
        let e = store.write(|txn| {
            let v = txn
                .get(&vpcs::table(store), &key(ctx, vpc_id))?
                .ok_or_else(|| vpcs::not_found(vpc_id))?;
            if private_dns && !(v.dns_support && v.dns_hostnames) {
                return Err(AwsError::from(Ec2Error::InvalidParameter { message: format!("Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for {vpc_id}") }));
            }
            let mut e = VpcEndpoint {
                id: resource_id("vpce"),
                vpc_id: vpc_id.to_string(),
                service_name: service.to_string(),
                kind: kind.to_string(),
                route_table_ids: Vec::new(),
                subnet_ids: Vec::new(),
                group_ids: Vec::new(),
                eni_ids: Vec::new(),
                policy: policy.to_string(),
                private_dns,
                created_ms: ctx.clock.now_millis(),
            };
            for r in &rtbs {
                add_route(txn, store, ctx, &e, r)?;
                e.route_table_ids.push(r.clone());
            }
            if kind == "Interface" {
                e.group_ids = network_interfaces::resolve_groups(txn, store, ctx, vpc_id, &group_ids)?;
                add_subnets(txn, store, ctx, &mut e, &subnets)?;
            }
            txn.put(&table(store), &key(ctx, &e.id), &e)?;
            tags::put_in(txn, store, ctx, &e.id, &tags)?;
            Ok::<_, AwsError>(e)
        })?;
        let names = group_namer(store, ctx)?;
        let mut out = json!({ "VpcEndpoint": e.to_value(ctx, &tags, &names) });
        if let Some(t) = str_member(&input, "ClientToken") {
            out["ClientToken"] = json!(t);
        }
        Ok(out)
    }

    /// `DescribeVpcEndpoints`: ids, filters, pagination.
    pub(crate) fn describe_vpc_endpoints(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "VpcEndpointIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "vpc-endpoint-id",
                "vpc-id",
                "service-name",
                "vpc-endpoint-state",
                "vpc-endpoint-type",
                "ip-address-type",
            ],
        )?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        if let Some(id) = ids.iter().find(|id| !all.iter().any(|(_, e)| &e.id == *id)) {
            return Err(not_found(id));
        }
        let names = group_namer(&self.store, ctx)?;
        // A deleted route table took the endpoint's route with it.
        let rtbs: Vec<String> = route_table::table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, r)| r.id)
            .collect();
        let mut items = Vec::new();
        for (_, mut e) in all {
            if !ids.is_empty() && !ids.contains(&e.id) {
                continue;
            }
            e.route_table_ids.retain(|r| rtbs.contains(r));
            let t = tags::get(&self.store, ctx, &e.id)?;
            let keep = network::matches(&filters, &t, |f| match f {
                "vpc-endpoint-id" => vec![e.id.clone()],
                "vpc-id" => vec![e.vpc_id.clone()],
                "service-name" => vec![e.service_name.clone()],
                "vpc-endpoint-state" => vec!["available".into()],
                "vpc-endpoint-type" => vec![e.kind.clone()],
                "ip-address-type" => vec!["ipv4".into()],
                _ => vec![],
            });
            if keep {
                items.push((e.id.clone(), e.to_value(ctx, &t, &names)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "VpcEndpoints": page }), next))
    }

    /// `ModifyVpcEndpoint`: route tables, subnets, security groups, policy,
    /// private DNS.
    pub(crate) fn modify_vpc_endpoint(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "IpAddressType", "ipv4")?;
        crate::common::unsupported::refuse_unless_shown(
            &input,
            "DnsOptions",
            &serde_json::json!({"DnsRecordIpType": "ipv4", "PrivateDnsOnlyForInboundResolverEndpoint": false}),
        )?;
        crate::common::unsupported::refuse_unimplemented(&input, &["SubnetConfigurations"])?;
        dry_run(&input)?;
        let id = required(&input, "VpcEndpointId")?;
        let list = |m: &str| network::strings(&input, m);
        let store = &self.store;
        store.write(|txn| {
            let k = key(ctx, id);
            let mut e = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            let gateway = e.kind == "Gateway";
            let touches_rtbs =
                !list("AddRouteTableIds").is_empty() || !list("RemoveRouteTableIds").is_empty();
            let touches_subnets =
                !list("AddSubnetIds").is_empty() || !list("RemoveSubnetIds").is_empty();
            if (gateway && touches_subnets) || (!gateway && touches_rtbs) {
                return Err(AwsError::from(Ec2Error::InvalidParameter {
                    message: format!(
                        "The requested change is not supported for {} VPC endpoints.",
                        e.kind
                    ),
                }));
            }
            for r in list("RemoveRouteTableIds") {
                if !e.route_table_ids.contains(&r) {
                    return Err(network::invalid_value(format!(
                        "The route table {r} is not associated with the VPC endpoint {id}."
                    )));
                }
                remove_routes(txn, store, ctx, id, Some(&r))?;
                e.route_table_ids.retain(|x| *x != r);
            }
            for r in list("AddRouteTableIds") {
                if !e.route_table_ids.contains(&r) {
                    add_route(txn, store, ctx, &e, &r)?;
                    e.route_table_ids.push(r);
                }
            }
            let add_groups = list("AddSecurityGroupIds");
            if !add_groups.is_empty() {
                for g in
                    network_interfaces::resolve_groups(txn, store, ctx, &e.vpc_id, &add_groups)?
                {
                    if !e.group_ids.contains(&g) {
                        e.group_ids.push(g);
                    }
                }
            }
            let remove_groups = list("RemoveSecurityGroupIds");
            e.group_ids.retain(|g| !remove_groups.contains(g));
            remove_subnets(txn, store, ctx, &mut e, &list("RemoveSubnetIds"))?;
            add_subnets(txn, store, ctx, &mut e, &list("AddSubnetIds"))?;
            if input["ResetPolicy"].as_bool() == Some(true) {
                e.policy = DEFAULT_POLICY.to_string();
            } else if let Some(p) = str_member(&input, "PolicyDocument") {
                if serde_json::from_str::<Value>(p).is_err() {
                    return Err(AwsError::from(Ec2Error::MalformedPolicyDocument));
                }
                e.policy = p.to_string();
            }
            if let (Some(p), false) = (input["PrivateDnsEnabled"].as_bool(), gateway) {
                e.private_dns = p;
            }
            // The endpoint's interfaces carry its groups.
            for eni_id in &e.eni_ids {
                let ek = key(ctx, eni_id);
                if let Some(mut eni) = txn.get(&network_interfaces::table(store), &ek)? {
                    eni.groups = e.group_ids.clone();
                    txn.put(&network_interfaces::table(store), &ek, &eni)?;
                }
            }
            txn.put(&table(store), &k, &e)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({ "Return": true }))
    }

    /// `DeleteVpcEndpoints`: removes routes and interfaces with each
    /// endpoint; unknown ids come back as `Unsuccessful` items.
    pub(crate) fn delete_vpc_endpoints(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = network::strings(&input, "VpcEndpointIds");
        if ids.is_empty() {
            return Err(network::missing("VpcEndpointId"));
        }
        let store = &self.store;
        let unsuccessful = store.write(|txn| {
            let mut failed = Vec::new();
            for id in &ids {
                let k = key(ctx, id);
                let Some(mut e) = txn.get(&table(store), &k)? else {
                    failed.push(json!({
                        "Error": {"Code": "InvalidVpcEndpoint.NotFound", "Message": format!("The Vpc Endpoint Id '{id}' does not exist")},
                        "ResourceId": id,
                    }));
                    continue;
                };
                remove_routes(txn, store, ctx, id, None)?;
                let subnets = e.subnet_ids.clone();
                remove_subnets(txn, store, ctx, &mut e, &subnets)?;
                txn.delete(&table(store), &k)?;
                tags::delete_in(txn, store, ctx, id)?;
            }
            Ok::<_, AwsError>(failed)
        })?;
        Ok(json!({ "Unsuccessful": unsuccessful }))
    }

    /// `DescribeVpcEndpointServices`: the AWS services of the region.
    pub(crate) fn describe_vpc_endpoint_services(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["ServiceRegions"])?;
        let wanted = network::strings(&input, "ServiceNames");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &["service-name", "service-type", "owner", "service-region"],
        )?;
        let r = &ctx.region;
        if let Some(w) = wanted.iter().find(|w| service_types(r, w).is_empty()) {
            return Err(invalid_service(w));
        }
        let zones: Vec<String> = vpcs::zones(ctx).into_iter().map(|z| z.name).collect();
        let zone_ids: Vec<String> = vpcs::zones(ctx).into_iter().map(|z| z.zone_id).collect();
        let mut details = Vec::new();
        let mut shorts: Vec<&str> = INTERFACE_SERVICES.to_vec();
        shorts.sort_unstable();
        for short in shorts {
            let name = format!("com.amazonaws.{r}.{short}");
            if !wanted.is_empty() && !wanted.contains(&name) {
                continue;
            }
            for kind in service_types(r, &name) {
                let keep = network::matches(&filters, &tags::Tags::new(), |f| match f {
                    "service-name" => vec![name.clone()],
                    "service-type" => vec![kind.to_string()],
                    "owner" => vec!["amazon".into()],
                    "service-region" => vec![r.clone()],
                    _ => vec![],
                });
                if !keep {
                    continue;
                }
                let h = name
                    .bytes()
                    .chain(kind.bytes())
                    .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                    });
                let mut d = json!({
                    "ServiceName": name,
                    "ServiceId": format!("vpce-svc-{h:017x}"),
                    "ServiceType": [{"ServiceType": kind}],
                    "ServiceRegion": r,
                    "AvailabilityZones": zones,
                    "AvailabilityZoneIds": zone_ids,
                    "Owner": "amazon",
                    "BaseEndpointDnsNames": [format!("{short}.{r}.vpce.amazonaws.com")],
                    "VpcEndpointPolicySupported": true,
                    "AcceptanceRequired": false,
                    "ManagesVpcEndpoints": false,
                    "SupportedIpAddressTypes": ["ipv4"],
                    "Tags": [],
                });
                if kind == "Interface" {
                    d["PrivateDnsName"] = json!(format!("{short}.{r}.amazonaws.com"));
                    d["PrivateDnsNameVerificationState"] = json!("verified");
                }
                details.push(d);
            }
        }
        let mut names: Vec<Value> = details.iter().map(|d| d["ServiceName"].clone()).collect();
        names.dedup();
        Ok(json!({ "ServiceNames": names, "ServiceDetails": details }))
    }
}

#[cfg(test)]
#[path = "vpc_endpoints_tests.rs"]
mod tests;
