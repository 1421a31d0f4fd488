//! Rules of the record-only resources, through the handlers over an
//! in-memory store.

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

fn id(v: &Value, member: &str, field: &str) -> String {
    v[member][field].as_str().expect("id").to_string()
}

#[test]
fn pointers_walk_lists() {
    let v = json!({"A": [{"B": "x"}, {"B": "y"}], "N": 5});
    assert_eq!(super::pointer_values(&v, "/A/*/B"), vec!["x", "y"]);
    assert_eq!(super::pointer_values(&v, "/N"), vec!["5"]);
    assert!(super::pointer_values(&v, "/Missing").is_empty());
}

#[test]
fn transit_gateways_refuse_deletion_while_attached_and_take_routes() {
    let s = svc();
    let c = ctx();
    let tgw = id(
        &s.create_transit_gateway(&c, json!({"Description": "hub"}))
            .expect("tgw"),
        "TransitGateway",
        "TransitGatewayId",
    );
    let vpc = id(
        &s.create_vpc(&c, json!({"CidrBlock": "10.4.0.0/16"}))
            .expect("vpc"),
        "Vpc",
        "VpcId",
    );
    let a = id(
        &s.create_subnet(
            &c,
            json!({"VpcId": vpc, "CidrBlock": "10.4.1.0/24", "AvailabilityZone": "us-east-1a"}),
        )
        .expect("s"),
        "Subnet",
        "SubnetId",
    );
    let a2 = id(
        &s.create_subnet(
            &c,
            json!({"VpcId": vpc, "CidrBlock": "10.4.2.0/24", "AvailabilityZone": "us-east-1a"}),
        )
        .expect("s"),
        "Subnet",
        "SubnetId",
    );
    assert_eq!(
        code(s.create_transit_gateway_vpc_attachment(
            &c,
            json!({"TransitGatewayId": tgw, "VpcId": vpc, "SubnetIds": [a, a2]})
        )),
        "DuplicateSubnetsInSameZone"
    );
    let att = id(
        &s.create_transit_gateway_vpc_attachment(
            &c,
            json!({"TransitGatewayId": tgw, "VpcId": vpc, "SubnetIds": [a]}),
        )
        .expect("attachment"),
        "TransitGatewayVpcAttachment",
        "TransitGatewayAttachmentId",
    );
    assert_eq!(
        code(s.delete_transit_gateway(&c, json!({"TransitGatewayId": tgw}))),
        "IncorrectState"
    );
    assert_eq!(
        code(s.delete_vpc(&c, json!({"VpcId": vpc}))),
        "DependencyViolation"
    );
    let rt = s
        .describe_route_tables(
            &c,
            json!({"Filters": [{"Name": "vpc-id", "Values": [vpc]}]}),
        )
        .expect("rt")["RouteTables"][0]["RouteTableId"]
        .as_str()
        .expect("id")
        .to_string();
    s.create_route(&c, json!({"RouteTableId": rt, "DestinationCidrBlock": "10.50.0.0/16", "TransitGatewayId": tgw}))
        .expect("route to the tgw");
    assert_eq!(
        code(s.create_route(&c, json!({"RouteTableId": rt, "DestinationCidrBlock": "10.51.0.0/16", "TransitGatewayId": "tgw-0000000000000000f"}))),
        "InvalidTransitGatewayID.NotFound"
    );
    let out = s
        .delete_transit_gateway_vpc_attachment(&c, json!({"TransitGatewayAttachmentId": att}))
        .expect("delete");
    assert_eq!(out["TransitGatewayVpcAttachment"]["State"], "deleting");
    s.delete_transit_gateway(&c, json!({"TransitGatewayId": tgw}))
        .expect("delete");
    let routes = s
        .describe_route_tables(&c, json!({"RouteTableIds": [rt]}))
        .expect("rt")["RouteTables"][0]["Routes"]
        .clone();
    let r = routes
        .as_array()
        .expect("routes")
        .iter()
        .find(|r| r["TransitGatewayId"] == json!(tgw))
        .expect("route")
        .clone();
    assert_eq!(r["State"], "blackhole");
    assert_eq!(
        code(s.describe_transit_gateways(&c, json!({"TransitGatewayIds": [tgw]}))),
        "InvalidTransitGatewayID.NotFound"
    );
}

#[test]
fn vpn_gateways_attach_to_one_vpc_and_connections_need_their_gateways() {
    let s = svc();
    let c = ctx();
    let vgw = id(
        &s.create_vpn_gateway(&c, json!({"Type": "ipsec.1"}))
            .expect("vgw"),
        "VpnGateway",
        "VpnGatewayId",
    );
    let vpc = id(
        &s.create_vpc(&c, json!({"CidrBlock": "10.5.0.0/16"}))
            .expect("vpc"),
        "Vpc",
        "VpcId",
    );
    s.attach_vpn_gateway(&c, json!({"VpnGatewayId": vgw, "VpcId": vpc}))
        .expect("attach");
    assert_eq!(
        code(s.attach_vpn_gateway(&c, json!({"VpnGatewayId": vgw, "VpcId": vpc}))),
        "VpnGatewayAttachmentLimitExceeded"
    );
    let listed = s
        .describe_vpn_gateways(
            &c,
            json!({"Filters": [{"Name": "attachment.vpc-id", "Values": [vpc]}]}),
        )
        .expect("describe");
    assert_eq!(listed["VpnGateways"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        code(s.delete_vpn_gateway(&c, json!({"VpnGatewayId": vgw}))),
        "IncorrectState"
    );
    let cgw = id(
        &s.create_customer_gateway(
            &c,
            json!({"Type": "ipsec.1", "IpAddress": "198.51.100.7", "BgpAsn": 65010}),
        )
        .expect("cgw"),
        "CustomerGateway",
        "CustomerGatewayId",
    );
    assert_eq!(
        code(s.create_vpn_connection(&c, json!({"Type": "ipsec.1", "CustomerGatewayId": cgw}))),
        "InvalidParameterCombination"
    );
    assert_eq!(
        code(s.create_vpn_connection(
            &c,
            json!({"Type": "ipsec.1", "CustomerGatewayId": "cgw-0000000f", "VpnGatewayId": vgw})
        )),
        "InvalidCustomerGatewayID.NotFound"
    );
    let vpn = id(
        &s.create_vpn_connection(
            &c,
            json!({"Type": "ipsec.1", "CustomerGatewayId": cgw, "VpnGatewayId": vgw}),
        )
        .expect("vpn"),
        "VpnConnection",
        "VpnConnectionId",
    );
    assert_eq!(
        code(s.delete_customer_gateway(&c, json!({"CustomerGatewayId": cgw}))),
        "IncorrectState"
    );
    s.delete_vpn_connection(&c, json!({"VpnConnectionId": vpn}))
        .expect("delete");
    s.delete_customer_gateway(&c, json!({"CustomerGatewayId": cgw}))
        .expect("delete");
    s.detach_vpn_gateway(&c, json!({"VpnGatewayId": vgw, "VpcId": vpc}))
        .expect("detach");
    assert_eq!(
        code(s.detach_vpn_gateway(&c, json!({"VpnGatewayId": vgw, "VpcId": vpc}))),
        "InvalidVpnGatewayAttachment.NotFound"
    );
    s.delete_vpn_gateway(&c, json!({"VpnGatewayId": vgw}))
        .expect("delete");
}

#[test]
fn flow_logs_report_unknown_resources_and_duplicates() {
    let s = svc();
    let c = ctx();
    let vpc = id(
        &s.create_vpc(&c, json!({"CidrBlock": "10.6.0.0/16"}))
            .expect("vpc"),
        "Vpc",
        "VpcId",
    );
    let input = json!({
        "ResourceIds": [vpc, "vpc-0000000f"], "ResourceType": "VPC", "TrafficType": "ALL",
        "LogGroupName": "flows", "DeliverLogsPermissionArn": "arn:aws:iam::000000000000:role/flows",
    });
    let out = s.create_flow_logs(&c, input.clone()).expect("flow logs");
    assert_eq!(out["FlowLogIds"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        out["Unsuccessful"][0]["Error"]["Code"],
        "InvalidVpcID.NotFound"
    );
    let again = s.create_flow_logs(&c, input).expect("flow logs");
    assert_eq!(
        again["Unsuccessful"][0]["Error"]["Code"],
        "FlowLogAlreadyExists"
    );
    let fl = out["FlowLogIds"][0].as_str().expect("id").to_string();
    let described = s
        .describe_flow_logs(
            &c,
            json!({"Filter": [{"Name": "resource-id", "Values": [vpc]}]}),
        )
        .expect("describe");
    assert_eq!(described["FlowLogs"][0]["FlowLogId"], json!(fl));
    assert_eq!(described["FlowLogs"][0]["LogGroupName"], "flows");
    assert_eq!(
        code(s.create_flow_logs(&c, json!({"ResourceIds": [vpc], "ResourceType": "VPC", "TrafficType": "ALL", "LogGroupName": "x"}))),
        "MissingParameter"
    );
    let deleted = s
        .delete_flow_logs(&c, json!({"FlowLogIds": [fl, "fl-0000000f"]}))
        .expect("delete");
    assert_eq!(deleted["Unsuccessful"][0]["ResourceId"], "fl-0000000f");
    assert_eq!(
        s.describe_flow_logs(&c, json!({})).expect("describe")["FlowLogs"],
        json!([])
    );
}

#[test]
fn tags_reach_the_new_resources_and_refuse_unknown_ids() {
    let s = svc();
    let c = ctx();
    let cgw = id(
        &s.create_customer_gateway(&c, json!({"Type": "ipsec.1", "IpAddress": "198.51.100.8"}))
            .expect("cgw"),
        "CustomerGateway",
        "CustomerGatewayId",
    );
    s.create_tags(
        &c,
        json!({"Resources": [cgw], "Tags": [{"Key": "site", "Value": "seoul"}]}),
    )
    .expect("tag");
    let got = s
        .describe_customer_gateways(
            &c,
            json!({"Filters": [{"Name": "tag:site", "Values": ["seoul"]}]}),
        )
        .expect("describe");
    assert_eq!(got["CustomerGateways"][0]["CustomerGatewayId"], json!(cgw));
    for (unknown, want) in [
        ("cgw-0000000f", "InvalidCustomerGatewayID.NotFound"),
        ("eni-0000000f", "InvalidNetworkInterfaceID.NotFound"),
        ("vpce-0000000f", "InvalidVpcEndpointId.NotFound"),
        ("pcx-0000000f", "InvalidVpcPeeringConnectionID.NotFound"),
        ("tgw-0000000f", "InvalidTransitGatewayID.NotFound"),
    ] {
        assert_eq!(
            code(s.create_tags(
                &c,
                json!({"Resources": [unknown], "Tags": [{"Key": "k", "Value": "v"}]})
            )),
            want
        );
    }
}
