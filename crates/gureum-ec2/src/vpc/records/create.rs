//! Create (and attach/detach) handlers of the record-only resources.

use super::{
    get_in, put_in, Kind, CUSTOMER_GATEWAY, FLOW_LOG, TGW_ATTACHMENT, TRANSIT_GATEWAY,
    VPN_CONNECTION, VPN_GATEWAY,
};
use crate::common::cidr::parse_ipv4;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, required, str_member};
use crate::vpc::network_interfaces::InterfaceHolders;
use crate::{common::tags, vpc::subnet, vpc::vpcs, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, WriteTxn};
use serde_json::json;

/// The default `LogFormat` of flow logs (version 2 fields).
pub const DEFAULT_LOG_FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

/// Stores a new record with its tags and answers it (with `Tags`) under
/// `member`.
fn create_record(
    svc: &Ec2Service,
    ctx: &RequestContext,
    kind: &Kind,
    member: &str,
    mut body: Value,
    tags: &tags::Tags,
    check: impl Fn(&WriteTxn, &Store) -> Result<(), AwsError>,
) -> OpResult {
    let store = &svc.store;
    let id = body[kind.id_member]
        .as_str()
        .unwrap_or_default()
        .to_string();
    store.write(|txn| {
        check(txn, store)?;
        put_in(txn, store, ctx, kind, &body)?;
        tags::put_in(txn, store, ctx, &id, tags)
    })?;
    body["Tags"] = network::tag_list(tags);
    let mut out = json!({});
    out[member] = body;
    Ok(out)
}

fn vpc_exists(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
) -> Result<(), AwsError> {
    txn.get(&vpcs::table(store), &key(ctx, id))?
        .map(|_| ())
        .ok_or_else(|| vpcs::not_found(id))
}

/// An `enable`/`disable` option of a request, or its default.
fn toggle(options: &Value, name: &str, default: &str) -> Result<String, AwsError> {
    match options[name].as_str() {
        None => Ok(default.to_string()),
        Some(v @ ("enable" | "disable")) => Ok(v.to_string()),
        Some(v) => Err(network::invalid_value(format!(
            "Value ({v}) for parameter {name} is invalid. Valid values: enable, disable."
        ))),
    }
}

/// A resource a flow log may watch exists: `None`, or the error code and
/// message of an unsuccessful item.
fn flow_log_target(
    svc: &Ec2Service,
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    kind: &str,
    id: &str,
) -> Result<Option<(String, String)>, AwsError> {
    let k = key(ctx, id);
    let missing = id.to_string();
    let (found, error) = match kind {
        "VPC" => (
            txn.get(&vpcs::table(store), &k)?.is_some(),
            Ec2Error::InvalidVpcIdNotFound { id: missing },
        ),
        "Subnet" => (
            txn.get(&subnet::table(store), &k)?.is_some(),
            Ec2Error::InvalidSubnetIdNotFound { id: missing },
        ),
        "NetworkInterface" => (
            txn.get(&crate::vpc::network_interfaces::table(store), &k)?
                .is_some()
                || svc
                    .holders_in(txn, ctx, ctx.clock.now_millis())?
                    .iter()
                    .any(|h| h.eni_id == id),
            Ec2Error::InvalidNetworkInterfaceIdNotFound { id: missing },
        ),
        "TransitGateway" => (
            get_in(txn, store, ctx, &TRANSIT_GATEWAY, id).is_ok(),
            (TRANSIT_GATEWAY.not_found)(missing),
        ),
        _ => (
            get_in(txn, store, ctx, &TGW_ATTACHMENT, id).is_ok(),
            (TGW_ATTACHMENT.not_found)(missing),
        ),
    };
    // An unsuccessful item names the code of the error, not the error.
    Ok((!found).then(|| (error.code().to_string(), format!("Unknown resource {id}"))))
}

impl Ec2Service {
    /// `CreateFlowLogs`: one flow log per resource; unknown resources and
    /// duplicates of an existing configuration come back `Unsuccessful`.
    pub(crate) fn create_flow_logs(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["DeliverCrossAccountRole", "DestinationOptions"],
        )?;
        dry_run(&input)?;
        let ids = network::strings(&input, "ResourceIds");
        if ids.is_empty() {
            return Err(network::missing("ResourceId"));
        }
        let rtype = required(&input, "ResourceType")?;
        if !matches!(
            rtype,
            "VPC" | "Subnet" | "NetworkInterface" | "TransitGateway" | "TransitGatewayAttachment"
        ) {
            return Err(network::invalid_value(format!(
                "Value ({rtype}) for parameter resourceType is invalid."
            )));
        }
        let traffic = str_member(&input, "TrafficType");
        if traffic.is_none() && matches!(rtype, "VPC" | "Subnet" | "NetworkInterface") {
            return Err(network::missing("TrafficType"));
        }
        if let Some(t) = traffic.filter(|t| !matches!(*t, "ACCEPT" | "REJECT" | "ALL")) {
            return Err(network::invalid_value(format!(
                "Value ({t}) for parameter trafficType is invalid."
            )));
        }
        let dest_type = str_member(&input, "LogDestinationType").unwrap_or("cloud-watch-logs");
        let group = str_member(&input, "LogGroupName");
        let role = str_member(&input, "DeliverLogsPermissionArn");
        let destination = match dest_type {
            "cloud-watch-logs" => {
                let g = match (group, str_member(&input, "LogDestination")) {
                    (Some(g), _) => g.to_string(),
                    (None, Some(arn)) => arn.rsplit(':').next().unwrap_or_default().to_string(),
                    (None, None) => return Err(network::missing("LogGroupName")),
                };
                if role.is_none() {
                    return Err(network::missing("DeliverLogsPermissionArn"));
                }
                format!(
                    "arn:aws:logs:{}:{}:log-group:{g}",
                    ctx.region, ctx.account_id
                )
            }
            "s3" | "kinesis-data-firehose" => {
                let d = required(&input, "LogDestination")?;
                let want = if dest_type == "s3" {
                    "arn:aws:s3:::"
                } else {
                    "arn:aws:firehose:"
                };
                if !d.starts_with(want) {
                    return Err(network::invalid_value(format!(
                        "LogDestination: {d} is not a valid ARN for {dest_type}."
                    )));
                }
                d.to_string()
            }
            other => {
                return Err(network::invalid_value(format!(
                    "Value ({other}) for parameter logDestinationType is invalid."
                )))
            }
        };
        let group_name = (dest_type == "cloud-watch-logs").then(|| {
            destination
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_string()
        });
        let tags = network::spec_tags(&input, "vpc-flow-log")?;
        let interval = input["MaxAggregationInterval"].as_i64().unwrap_or(600);
        if !matches!(interval, 60 | 600) {
            return Err(network::invalid_value(format!(
                "Value ({interval}) for parameter maxAggregationInterval is invalid. Valid values: 60, 600."
            )));
        }
        let format = str_member(&input, "LogFormat").unwrap_or(DEFAULT_LOG_FORMAT);
        let store = &self.store;
        let (made, failed) = store.write(|txn| {
            let existing = txn.scan_prefix(&super::table(store), &network::prefix(ctx))?;
            let (mut made, mut failed) = (Vec::new(), Vec::new());
            for id in &ids {
                if let Some((code, message)) = flow_log_target(self, txn, store, ctx, rtype, id)? {
                    failed.push(json!({"Error": {"Code": code, "Message": message}, "ResourceId": id}));
                    continue;
                }
                let duplicate = existing.iter().any(|(_, r)| {
                    r.kind == FLOW_LOG.name
                        && r.body["ResourceId"] == **id
                        && r.body["LogDestination"] == destination
                        && r.body["TrafficType"].as_str() == traffic
                });
                if duplicate {
                    failed.push(json!({
                        "Error": {"Code": "FlowLogAlreadyExists", "Message": "Error. There is an existing Flow Log with the same configuration and log destination."},
                        "ResourceId": id,
                    }));
                    continue;
                }
                let mut body = json!({
                    "CreationTime": ctx.clock.now_millis() / 1000,
                    "DeliverLogsStatus": "SUCCESS",
                    "FlowLogId": resource_id("fl"),
                    "FlowLogStatus": "ACTIVE",
                    "ResourceId": id,
                    "LogDestinationType": dest_type,
                    "LogDestination": destination,
                    "LogFormat": format,
                    "MaxAggregationInterval": interval,
                });
                if let Some(t) = traffic {
                    body["TrafficType"] = json!(t);
                }
                if let Some(g) = &group_name {
                    body["LogGroupName"] = json!(g);
                }
                if let Some(r) = role {
                    body["DeliverLogsPermissionArn"] = json!(r);
                }
                put_in(txn, store, ctx, &FLOW_LOG, &body)?;
                let fid = body["FlowLogId"].as_str().unwrap_or_default().to_string();
                tags::put_in(txn, store, ctx, &fid, &tags)?;
                made.push(fid);
            }
            Ok::<_, AwsError>((made, failed))
        })?;
        let mut out = json!({"FlowLogIds": made, "Unsuccessful": failed});
        if let Some(t) = str_member(&input, "ClientToken") {
            out["ClientToken"] = json!(t);
        }
        Ok(out)
    }

    /// `CreateTransitGateway`: available at once, with its default route
    /// table ids.
    pub(crate) fn create_transit_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let o = &input["Options"];
        let asn = o["AmazonSideAsn"].as_i64().unwrap_or(64512);
        if !(64512..=65534).contains(&asn) && !(4_200_000_000..=4_294_967_294).contains(&asn) {
            return Err(network::invalid_value(format!(
                "Value ({asn}) for parameter amazonSideAsn is invalid."
            )));
        }
        let tags = network::spec_tags(&input, "transit-gateway")?;
        let id = resource_id("tgw");
        let rtb = resource_id("tgw-rtb");
        let body = json!({
            "TransitGatewayId": id,
            "TransitGatewayArn": format!("arn:aws:ec2:{}:{}:transit-gateway/{id}", ctx.region, ctx.account_id),
            "State": "available",
            "OwnerId": ctx.account_id,
            "Description": str_member(&input, "Description").unwrap_or_default(),
            "CreationTime": ctx.clock.now_millis() / 1000,
            "Options": {
                "AmazonSideAsn": asn,
                "TransitGatewayCidrBlocks": network::strings(o, "TransitGatewayCidrBlocks"),
                "AutoAcceptSharedAttachments": toggle(o, "AutoAcceptSharedAttachments", "disable")?,
                "DefaultRouteTableAssociation": toggle(o, "DefaultRouteTableAssociation", "enable")?,
                "AssociationDefaultRouteTableId": rtb,
                "DefaultRouteTablePropagation": toggle(o, "DefaultRouteTablePropagation", "enable")?,
                "PropagationDefaultRouteTableId": rtb,
                "VpnEcmpSupport": toggle(o, "VpnEcmpSupport", "enable")?,
                "DnsSupport": toggle(o, "DnsSupport", "enable")?,
                "SecurityGroupReferencingSupport": toggle(o, "SecurityGroupReferencingSupport", "disable")?,
                "MulticastSupport": toggle(o, "MulticastSupport", "disable")?,
            },
        });
        create_record(
            self,
            ctx,
            &TRANSIT_GATEWAY,
            "TransitGateway",
            body,
            &tags,
            |_, _| Ok(()),
        )
    }

    /// `CreateTransitGatewayVpcAttachment`: subnets of the VPC, one per AZ.
    pub(crate) fn create_transit_gateway_vpc_attachment(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let tgw = required(&input, "TransitGatewayId")?.to_string();
        let vpc_id = required(&input, "VpcId")?.to_string();
        let subnets = network::strings(&input, "SubnetIds");
        if subnets.is_empty() {
            return Err(network::missing("SubnetIds"));
        }
        let o = &input["Options"];
        let tags = network::spec_tags(&input, "transit-gateway-attachment")?;
        let body = json!({
            "TransitGatewayAttachmentId": resource_id("tgw-attach"),
            "TransitGatewayId": tgw,
            "VpcId": vpc_id,
            "VpcOwnerId": ctx.account_id,
            "State": "available",
            "SubnetIds": subnets,
            "CreationTime": ctx.clock.now_millis() / 1000,
            "Options": {
                "DnsSupport": toggle(o, "DnsSupport", "enable")?,
                "SecurityGroupReferencingSupport": toggle(o, "SecurityGroupReferencingSupport", "enable")?,
                "Ipv6Support": toggle(o, "Ipv6Support", "disable")?,
                "ApplianceModeSupport": toggle(o, "ApplianceModeSupport", "disable")?,
            },
        });
        create_record(
            self,
            ctx,
            &TGW_ATTACHMENT,
            "TransitGatewayVpcAttachment",
            body,
            &tags,
            |txn, store| {
                get_in(txn, store, ctx, &TRANSIT_GATEWAY, &tgw)?;
                vpc_exists(txn, store, ctx, &vpc_id)?;
                let mut zones = Vec::new();
                for id in &subnets {
                    let s = txn
                        .get(&subnet::table(store), &key(ctx, id))?
                        .ok_or_else(|| subnet::not_found(id))?;
                    if s.vpc_id != vpc_id {
                        return Err(network::invalid_value(format!(
                            "The subnet {id} does not belong to the VPC {vpc_id}."
                        )));
                    }
                    if zones.contains(&s.az) {
                        return Err(AwsError::from(Ec2Error::DuplicateSubnetsInSameZone {
                            message: format!("Duplicate Subnets for same AZ: {id}"),
                        }));
                    }
                    zones.push(s.az);
                }
                let duplicate = txn
                    .scan_prefix(&super::table(store), &network::prefix(ctx))?
                    .iter()
                    .any(|(_, r)| {
                        r.kind == TGW_ATTACHMENT.name
                            && r.body["VpcId"] == *vpc_id
                            && r.body["TransitGatewayId"] == *tgw
                    });
                if duplicate {
                    return Err(AwsError::from(
                        Ec2Error::DuplicateTransitGatewayAttachment {
                            tgw: tgw.to_string(),
                            vpc_id: vpc_id.to_string(),
                        },
                    ));
                }
                Ok(())
            },
        )
    }

    /// `CreateVpnGateway`: type `ipsec.1`.
    pub(crate) fn create_vpn_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let kind = required(&input, "Type")?;
        if kind != "ipsec.1" {
            return Err(network::invalid_value(format!(
                "Value ({kind}) for parameter type is invalid. Valid values: ipsec.1."
            )));
        }
        let tags = network::spec_tags(&input, "vpn-gateway")?;
        let mut body = json!({
            "VpnGatewayId": resource_id("vgw"),
            "State": "available",
            "Type": kind,
            "AmazonSideAsn": input["AmazonSideAsn"].as_i64().unwrap_or(64512),
            "VpcAttachments": [],
        });
        if let Some(az) = str_member(&input, "AvailabilityZone") {
            body["AvailabilityZone"] = json!(az);
        }
        create_record(
            self,
            ctx,
            &VPN_GATEWAY,
            "VpnGateway",
            body,
            &tags,
            |_, _| Ok(()),
        )
    }

    /// `AttachVpnGateway`: one VPC per gateway, one gateway per VPC.
    pub(crate) fn attach_vpn_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VpnGatewayId")?;
        let vpc_id = required(&input, "VpcId")?;
        let store = &self.store;
        store.write(|txn| {
            let mut v = get_in(txn, store, ctx, &VPN_GATEWAY, id)?;
            vpc_exists(txn, store, ctx, vpc_id)?;
            let taken = txn
                .scan_prefix(&super::table(store), &network::prefix(ctx))?
                .iter()
                .any(|(_, r)| {
                    r.kind == VPN_GATEWAY.name
                        && super::pointer_values(&r.body, "/VpcAttachments/*/VpcId")
                            .iter()
                            .any(|x| x == vpc_id)
                });
            if taken || !super::pointer_values(&v, "/VpcAttachments/*/VpcId").is_empty() {
                return Err(AwsError::from(
                    Ec2Error::VpnGatewayAttachmentLimitExceeded {
                        id: id.to_string(),
                        vpc_id: vpc_id.to_string(),
                    },
                ));
            }
            v["VpcAttachments"] = json!([{"VpcId": vpc_id, "State": "attached"}]);
            put_in(txn, store, ctx, &VPN_GATEWAY, &v)
        })?;
        Ok(json!({"VpcAttachment": {"VpcId": vpc_id, "State": "attached"}}))
    }

    /// `DetachVpnGateway`.
    pub(crate) fn detach_vpn_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VpnGatewayId")?;
        let vpc_id = required(&input, "VpcId")?;
        let store = &self.store;
        store.write(|txn| {
            let mut v = get_in(txn, store, ctx, &VPN_GATEWAY, id)?;
            if !super::pointer_values(&v, "/VpcAttachments/*/VpcId")
                .iter()
                .any(|x| x == vpc_id)
            {
                return Err(AwsError::from(
                    Ec2Error::InvalidVpnGatewayAttachmentNotFound {
                        id: id.to_string(),
                        vpc_id: vpc_id.to_string(),
                    },
                ));
            }
            v["VpcAttachments"] = json!([]);
            put_in(txn, store, ctx, &VPN_GATEWAY, &v)
        })?;
        Ok(json!({}))
    }

    /// `CreateCustomerGateway`: type `ipsec.1`, an IPv4 address.
    pub(crate) fn create_customer_gateway(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["CertificateArn"])?;
        dry_run(&input)?;
        let kind = required(&input, "Type")?;
        if kind != "ipsec.1" {
            return Err(network::invalid_value(format!(
                "Value ({kind}) for parameter type is invalid. Valid values: ipsec.1."
            )));
        }
        let ip = str_member(&input, "IpAddress")
            .or_else(|| str_member(&input, "PublicIp"))
            .ok_or_else(|| network::missing("IpAddress"))?;
        if parse_ipv4(ip).is_none() {
            return Err(network::invalid_value(format!(
                "Value ({ip}) for parameter ipAddress is invalid."
            )));
        }
        let asn = input["BgpAsnExtended"]
            .as_i64()
            .or_else(|| input["BgpAsn"].as_i64())
            .unwrap_or(65000);
        let tags = network::spec_tags(&input, "customer-gateway")?;
        let mut body = json!({
            "CustomerGatewayId": resource_id("cgw"),
            "BgpAsn": asn.to_string(),
            "IpAddress": ip,
            "State": "available",
            "Type": kind,
        });
        if let Some(d) = str_member(&input, "DeviceName") {
            body["DeviceName"] = json!(d);
        }
        create_record(
            self,
            ctx,
            &CUSTOMER_GATEWAY,
            "CustomerGateway",
            body,
            &tags,
            |_, _| Ok(()),
        )
    }

    /// `CreateVpnConnection`: a customer gateway and one VPN or transit
    /// gateway; two tunnels are described (down: there is no data plane).
    pub(crate) fn create_vpn_connection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["VpnConcentratorId", "PreSharedKeyStorage"],
        )?;
        dry_run(&input)?;
        let cgw = required(&input, "CustomerGatewayId")?.to_string();
        let kind = required(&input, "Type")?;
        if kind != "ipsec.1" {
            return Err(network::invalid_value(format!(
                "Value ({kind}) for parameter type is invalid. Valid values: ipsec.1."
            )));
        }
        let vgw = str_member(&input, "VpnGatewayId").map(str::to_string);
        let tgw = str_member(&input, "TransitGatewayId").map(str::to_string);
        if vgw.is_some() == tgw.is_some() {
            return Err(AwsError::from(Ec2Error::InvalidParameterCombination {
                message: "Exactly one of VpnGatewayId and TransitGatewayId must be specified."
                    .into(),
            }));
        }
        let static_only = input["Options"]["StaticRoutesOnly"]
            .as_bool()
            .unwrap_or(false);
        let tags = network::spec_tags(&input, "vpn-connection")?;
        let id = resource_id("vpn");
        let h = id
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let tunnels: Vec<String> = (0..2)
            .map(|i| {
                format!(
                    "52.{}.{}.{}",
                    (h >> 8) % 64,
                    (h >> 16) % 256,
                    10 + (h + i * 7) % 240
                )
            })
            .collect();
        let telemetry: Vec<Value> = tunnels
            .iter()
            .map(|ip| json!({"AcceptedRouteCount": 0, "LastStatusChange": ctx.clock.now_millis() / 1000, "OutsideIpAddress": ip, "Status": "DOWN", "StatusMessage": ""}))
            .collect();
        let config = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<vpn_connection id=\"{id}\"><customer_gateway_id>{cgw}</customer_gateway_id><vpn_connection_type>ipsec.1</vpn_connection_type>{}</vpn_connection>",
            tunnels.iter().map(|t| format!("<ipsec_tunnel><vpn_gateway><tunnel_outside_address><ip_address>{t}</ip_address></tunnel_outside_address></vpn_gateway></ipsec_tunnel>")).collect::<String>()
        );
        let mut body = json!({
            "VpnConnectionId": id,
            "CustomerGatewayId": cgw,
            "Category": "VPN",
            "State": "available",
            "Type": kind,
            "CustomerGatewayConfiguration": config,
            "Options": {
                "EnableAcceleration": false,
                "StaticRoutesOnly": static_only,
                "LocalIpv4NetworkCidr": "0.0.0.0/0",
                "RemoteIpv4NetworkCidr": "0.0.0.0/0",
                "OutsideIpAddressType": "PublicIpv4",
                "TunnelInsideIpVersion": "ipv4",
                "TunnelOptions": tunnels.iter().map(|t| json!({"OutsideIpAddress": t})).collect::<Vec<_>>(),
            },
            "Routes": [],
            "VgwTelemetry": telemetry,
        });
        if let Some(v) = &vgw {
            body["VpnGatewayId"] = json!(v);
        }
        if let Some(t) = &tgw {
            body["TransitGatewayId"] = json!(t);
        }
        create_record(
            self,
            ctx,
            &VPN_CONNECTION,
            "VpnConnection",
            body,
            &tags,
            |txn, store| {
                get_in(txn, store, ctx, &CUSTOMER_GATEWAY, &cgw)?;
                if let Some(v) = &vgw {
                    get_in(txn, store, ctx, &VPN_GATEWAY, v)?;
                }
                if let Some(t) = &tgw {
                    get_in(txn, store, ctx, &TRANSIT_GATEWAY, t)?;
                }
                Ok(())
            },
        )
    }
}
