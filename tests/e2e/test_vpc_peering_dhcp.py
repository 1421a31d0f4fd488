"""VPC peering across accounts and DHCP options sets, with boto3 and the
aws CLI."""
import pytest
from helpers import error_code


@pytest.fixture(scope="module")
def other(gureum):
    """A second account (a 12-digit key is the root of that account)."""
    key = "222233334444"
    account = gureum.client("sts", key=key, secret="x").get_caller_identity()["Account"]
    return account, gureum.client("ec2", key=key, secret="x")


def status(client, pcx):
    return client.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]["Status"]["Code"]


def test_cross_account_peering_and_blackholes(ec2, other):
    account, peer = other
    mine = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    theirs = peer.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=mine, PeerVpcId=theirs, PeerOwnerId=account)["VpcPeeringConnection"]
    assert pcx["Status"]["Code"] == "initiating-request"
    assert pcx["AccepterVpcInfo"]["OwnerId"] == account and pcx["AccepterVpcInfo"]["CidrBlock"] == "10.41.0.0/16"
    pid = pcx["VpcPeeringConnectionId"]
    assert status(peer, pid) == "pending-acceptance"
    assert error_code(ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid) == "OperationNotPermitted"
    accepted = peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)["VpcPeeringConnection"]
    assert accepted["Status"]["Code"] == "active" and status(ec2, pid) == "active"

    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [mine]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.41.0.0/16", VpcPeeringConnectionId=pid)

    def state():
        routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
        return [r["State"] for r in routes if r.get("VpcPeeringConnectionId") == pid]

    assert state() == ["active"]
    peer.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    assert status(ec2, pid) == "deleted"
    assert state() == ["blackhole"]
    assert error_code(ec2.create_route, RouteTableId=rt, DestinationCidrBlock="10.42.0.0/16", VpcPeeringConnectionId=pid) == "InvalidVpcPeeringConnectionID.NotFound"


def test_overlapping_cidrs_fail_and_rejects(gureum, ec2):
    a = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.50.0.0/20")["Vpc"]["VpcId"]
    c = ec2.create_vpc(CidrBlock="10.52.0.0/16")["Vpc"]["VpcId"]
    failed = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    assert failed["Status"]["Code"] == "failed"
    _, out, _ = gureum.aws("ec2", "create-vpc-peering-connection", "--vpc-id", a, "--peer-vpc-id", c)
    pid = out["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    gureum.aws("ec2", "reject-vpc-peering-connection", "--vpc-peering-connection-id", pid)
    assert status(ec2, pid) == "rejected"
    assert error_code(ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pid) == "InvalidStateTransition"
    listed = ec2.describe_vpc_peering_connections(Filters=[{"Name": "status-code", "Values": ["rejected", "failed"]}, {"Name": "requester-vpc-info.vpc-id", "Values": [a]}])["VpcPeeringConnections"]
    assert {p["VpcPeeringConnectionId"] for p in listed} == {pid, failed["VpcPeeringConnectionId"]}
    assert error_code(ec2.create_vpc_peering_connection, VpcId=a, PeerVpcId="vpc-00000000") == "InvalidVpcID.NotFound"
    assert error_code(ec2.describe_vpc_peering_connections, VpcPeeringConnectionIds=["pcx-00000000"]) == "InvalidVpcPeeringConnectionID.NotFound"


def test_dhcp_options(gureum):
    # Another region: the default set's domain name follows it.
    ec2 = gureum.client("ec2", region="us-west-2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]
    default = vpc["DhcpOptionsId"]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    assert default_vpc["DhcpOptionsId"] == default
    d = ec2.describe_dhcp_options(DhcpOptionsIds=[default])["DhcpOptions"][0]
    configs = {c["Key"]: [v["Value"] for v in c["Values"]] for c in d["DhcpConfigurations"]}
    assert configs == {"domain-name": ["us-west-2.compute.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}
    assert error_code(ec2.delete_dhcp_options, DhcpOptionsId=default) == "DependencyViolation"

    _, out, _ = gureum.aws(
        "ec2", "create-dhcp-options", "--region", "us-west-2", "--dhcp-configurations",
        "Key=domain-name,Values=corp.example", "Key=domain-name-servers,Values=10.0.0.2,10.0.0.3",
    )
    mine = out["DhcpOptions"]["DhcpOptionsId"]
    found = ec2.describe_dhcp_options(Filters=[{"Name": "value", "Values": ["corp.example"]}])["DhcpOptions"]
    assert [x["DhcpOptionsId"] for x in found] == [mine]
    ec2.associate_dhcp_options(DhcpOptionsId=mine, VpcId=vpc["VpcId"])
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["DhcpOptionsId"] == mine
    assert error_code(ec2.delete_dhcp_options, DhcpOptionsId=mine) == "DependencyViolation"
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=vpc["VpcId"])
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["DhcpOptionsId"] == "default"
    ec2.delete_dhcp_options(DhcpOptionsId=mine)
    assert error_code(ec2.describe_dhcp_options, DhcpOptionsIds=[mine]) == "InvalidDhcpOptionID.NotFound"
    assert error_code(ec2.create_dhcp_options, DhcpConfigurations=[{"Key": "bogus", "Values": ["x"]}]) == "InvalidParameterValue"
