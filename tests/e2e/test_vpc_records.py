"""Record-only VPC resources with boto3 and the aws CLI: flow logs,
transit gateways and attachments, VPN and customer gateways, VPN
connections."""
from helpers import error_code


def test_flow_logs(gureum, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    _, out, _ = gureum.aws(
        "ec2", "create-flow-logs", "--resource-type", "VPC", "--resource-ids", vpc,
        "--traffic-type", "ALL", "--log-destination-type", "s3",
        "--log-destination", "arn:aws:s3:::flow-bucket/logs",
    )
    assert out["Unsuccessful"] == [] and len(out["FlowLogIds"]) == 1
    fl = out["FlowLogIds"][0]
    got = ec2.describe_flow_logs(FlowLogIds=[fl])["FlowLogs"][0]
    assert got["ResourceId"] == vpc and got["LogDestinationType"] == "s3" and got["FlowLogStatus"] == "ACTIVE"
    again = ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[vpc], TrafficType="ALL", LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-bucket/logs")
    assert again["Unsuccessful"][0]["Error"]["Code"] == "FlowLogAlreadyExists"
    ec2.create_tags(Resources=[fl], Tags=[{"Key": "team", "Value": "net"}])
    tagged = ec2.describe_flow_logs(Filter=[{"Name": "tag:team", "Values": ["net"]}])["FlowLogs"]
    assert [f["FlowLogId"] for f in tagged] == [fl]
    assert ec2.delete_flow_logs(FlowLogIds=[fl])["Unsuccessful"] == []
    assert ec2.describe_flow_logs(FlowLogIds=[fl])["FlowLogs"] == []


def test_transit_gateway_and_attachment(ec2):
    tgw = ec2.create_transit_gateway(Description="hub", TagSpecifications=[{"ResourceType": "transit-gateway", "Tags": [{"Key": "Name", "Value": "hub"}]}])["TransitGateway"]
    tid = tgw["TransitGatewayId"]
    assert tgw["State"] == "available" and tgw["Options"]["AmazonSideAsn"] == 64512
    assert tgw["Tags"] == [{"Key": "Name", "Value": "hub"}]
    vpc = ec2.create_vpc(CidrBlock="10.71.0.0/16")["Vpc"]["VpcId"]
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock="10.71.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    att = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tid, VpcId=vpc, SubnetIds=[sn])["TransitGatewayVpcAttachment"]
    aid = att["TransitGatewayAttachmentId"]
    assert aid.startswith("tgw-attach-") and att["SubnetIds"] == [sn]
    listed = ec2.describe_transit_gateway_vpc_attachments(Filters=[{"Name": "transit-gateway-id", "Values": [tid]}])["TransitGatewayVpcAttachments"]
    assert [a["TransitGatewayAttachmentId"] for a in listed] == [aid]
    generic = ec2.describe_transit_gateway_attachments(Filters=[{"Name": "resource-id", "Values": [vpc]}])["TransitGatewayAttachments"]
    assert [(g["TransitGatewayAttachmentId"], g["ResourceType"]) for g in generic] == [(aid, "vpc")]
    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.0.0.0/8", TransitGatewayId=tid)
    assert error_code(ec2.delete_transit_gateway, TransitGatewayId=tid) == "IncorrectState"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=aid)
    assert ec2.delete_transit_gateway(TransitGatewayId=tid)["TransitGateway"]["State"] == "deleting"
    routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("TransitGatewayId") == tid] == ["blackhole"]
    assert error_code(ec2.describe_transit_gateways, TransitGatewayIds=[tid]) == "InvalidTransitGatewayID.NotFound"


def test_vpn_gateways_customer_gateways_and_connections(gureum, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.72.0.0/16")["Vpc"]["VpcId"]
    _, out, _ = gureum.aws("ec2", "create-vpn-gateway", "--type", "ipsec.1", "--amazon-side-asn", "65001")
    vgw = out["VpnGateway"]["VpnGatewayId"]
    assert out["VpnGateway"]["AmazonSideAsn"] == 65001
    assert ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)["VpcAttachment"] == {"VpcId": vpc, "State": "attached"}
    assert error_code(ec2.delete_vpn_gateway, VpnGatewayId=vgw) == "IncorrectState"
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="198.51.100.20", BgpAsn=65100)["CustomerGateway"]
    assert cgw["BgpAsn"] == "65100" and cgw["IpAddress"] == "198.51.100.20"
    vpn = ec2.create_vpn_connection(Type="ipsec.1", CustomerGatewayId=cgw["CustomerGatewayId"], VpnGatewayId=vgw, Options={"StaticRoutesOnly": True})["VpnConnection"]
    assert vpn["Options"]["StaticRoutesOnly"] is True and len(vpn["VgwTelemetry"]) == 2
    found = ec2.describe_vpn_connections(Filters=[{"Name": "vpn-gateway-id", "Values": [vgw]}])["VpnConnections"]
    assert [v["VpnConnectionId"] for v in found] == [vpn["VpnConnectionId"]]
    assert error_code(ec2.delete_customer_gateway, CustomerGatewayId=cgw["CustomerGatewayId"]) == "IncorrectState"
    ec2.delete_vpn_connection(VpnConnectionId=vpn["VpnConnectionId"])
    ec2.delete_customer_gateway(CustomerGatewayId=cgw["CustomerGatewayId"])
    ec2.detach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)
    assert error_code(ec2.detach_vpn_gateway, VpnGatewayId=vgw, VpcId=vpc) == "InvalidVpnGatewayAttachment.NotFound"
    ec2.delete_vpn_gateway(VpnGatewayId=vgw)
    assert error_code(ec2.describe_vpn_gateways, VpnGatewayIds=[vgw]) == "InvalidVpnGatewayID.NotFound"
    assert error_code(ec2.describe_customer_gateways, CustomerGatewayIds=[cgw["CustomerGatewayId"]]) == "InvalidCustomerGatewayID.NotFound"
    ec2.delete_vpc(VpcId=vpc)
