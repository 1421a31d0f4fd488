"""VPC endpoints and managed prefix lists with boto3 and the aws CLI:
gateway endpoints route the service's prefix list, interface endpoints put
interfaces in their subnets, DeleteVpc waits for them."""
from helpers import error_code


def main_table(ec2, vpc):
    return ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]


def test_aws_managed_prefix_lists(gureum, ec2):
    lists = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])["PrefixLists"]
    by_name = {l["PrefixListName"]: l for l in lists}
    s3 = by_name["com.amazonaws.us-east-1.s3"]
    assert s3["PrefixListId"].startswith("pl-") and s3["State"] == "create-complete"
    assert "com.amazonaws.us-east-1.dynamodb" in by_name
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=s3["PrefixListId"])["Entries"]
    assert {"Cidr": "52.216.0.0/15"} in entries
    old = ec2.describe_prefix_lists(PrefixListIds=[s3["PrefixListId"]])["PrefixLists"][0]
    assert old["PrefixListName"] == "com.amazonaws.us-east-1.s3" and "52.216.0.0/15" in old["Cidrs"]
    _, out, _ = gureum.aws("ec2", "describe-managed-prefix-lists", "--region", "eu-west-1")
    assert {l["PrefixListName"] for l in out["PrefixLists"]} >= {"com.amazonaws.eu-west-1.s3"}
    assert error_code(ec2.get_managed_prefix_list_entries, PrefixListId="pl-00000000") == "InvalidPrefixListID.NotFound"


def test_customer_prefix_lists(ec2):
    pl = ec2.create_managed_prefix_list(
        PrefixListName="office", MaxEntries=2, AddressFamily="IPv4",
        Entries=[{"Cidr": "203.0.113.0/24", "Description": "hq"}],
    )["PrefixList"]
    assert pl["Version"] == 1 and pl["MaxEntries"] == 2
    got = ec2.describe_managed_prefix_lists(PrefixListIds=[pl["PrefixListId"]])["PrefixLists"][0]
    assert got["PrefixListName"] == "office"
    assert error_code(
        ec2.create_managed_prefix_list, PrefixListName="big", MaxEntries=1, AddressFamily="IPv4",
        Entries=[{"Cidr": "10.0.0.0/16"}, {"Cidr": "10.1.0.0/16"}],
    ) == "InvalidParameterValue"
    ec2.delete_managed_prefix_list(PrefixListId=pl["PrefixListId"])
    assert error_code(ec2.describe_managed_prefix_lists, PrefixListIds=[pl["PrefixListId"]]) == "InvalidPrefixListID.NotFound"


def test_gateway_endpoint_routes(gureum, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    rt = main_table(ec2, vpc)
    _, out, _ = gureum.aws(
        "ec2", "create-vpc-endpoint", "--vpc-id", vpc, "--service-name", "com.amazonaws.us-east-1.s3",
        "--route-table-ids", rt,
    )
    ep = out["VpcEndpoint"]
    assert ep["VpcEndpointType"] == "Gateway" and ep["State"] == "available" and ep["RouteTableIds"] == [rt]
    pl = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}])["PrefixLists"][0]["PrefixListId"]
    routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
    route = [r for r in routes if r.get("GatewayId") == ep["VpcEndpointId"]]
    assert route and route[0]["DestinationPrefixListId"] == pl and route[0]["State"] == "active"
    assert error_code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"

    rt2 = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=ep["VpcEndpointId"], AddRouteTableIds=[rt2], RemoveRouteTableIds=[rt])
    got = ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["VpcEndpoints"][0]
    assert got["RouteTableIds"] == [rt2]
    assert not [r for r in ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"] if r.get("GatewayId") == ep["VpcEndpointId"]]
    filtered = ec2.describe_route_tables(Filters=[{"Name": "route.destination-prefix-list-id", "Values": [pl]}])["RouteTables"]
    assert [t["RouteTableId"] for t in filtered] == [rt2]

    out = ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    assert out["Unsuccessful"] == []
    assert not [r for r in ec2.describe_route_tables(RouteTableIds=[rt2])["RouteTables"][0]["Routes"] if r.get("GatewayId") == ep["VpcEndpointId"]]
    assert error_code(ec2.describe_vpc_endpoints, VpcEndpointIds=[ep["VpcEndpointId"]]) == "InvalidVpcEndpointId.NotFound"
    out = ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    assert out["Unsuccessful"][0]["Error"]["Code"] == "InvalidVpcEndpoint.NotFound"
    ec2.delete_route_table(RouteTableId=rt2)
    ec2.delete_vpc(VpcId=vpc)


def test_interface_endpoint_interfaces(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.31.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.31.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="endpoints", Description="x", VpcId=vpc)["GroupId"]
    ep = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
        SubnetIds=[a, b], SecurityGroupIds=[sg],
    )["VpcEndpoint"]
    assert ep["PrivateDnsEnabled"] is True and len(ep["NetworkInterfaceIds"]) == 2
    assert ep["Groups"] == [{"GroupId": sg, "GroupName": "endpoints"}]
    assert any(d["DnsName"] == "sts.us-east-1.amazonaws.com" for d in ep["DnsEntries"])
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=ep["NetworkInterfaceIds"])["NetworkInterfaces"]
    assert {n["InterfaceType"] for n in enis} == {"vpc_endpoint"} and {n["SubnetId"] for n in enis} == {a, b}
    assert error_code(ec2.delete_subnet, SubnetId=a) == "DependencyViolation"
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    assert error_code(ec2.describe_network_interfaces, NetworkInterfaceIds=ep["NetworkInterfaceIds"][:1]) == "InvalidNetworkInterfaceID.NotFound"
    ec2.delete_subnet(SubnetId=a)


def test_endpoint_services_and_errors(ec2):
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    out = ec2.describe_vpc_endpoint_services()
    assert "com.amazonaws.us-east-1.s3" in out["ServiceNames"] and "com.amazonaws.us-east-1.dynamodb" in out["ServiceNames"]
    types = {d["ServiceType"][0]["ServiceType"] for d in out["ServiceDetails"] if d["ServiceName"] == "com.amazonaws.us-east-1.s3"}
    assert types == {"Gateway", "Interface"}
    gw = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])["ServiceNames"]
    assert sorted(gw) == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]
    assert error_code(ec2.create_vpc_endpoint, VpcId=vpc, ServiceName="com.amazonaws.us-east-1.nothing") == "InvalidServiceName"
    assert error_code(ec2.describe_vpc_endpoint_services, ServiceNames=["com.example.nope"]) == "InvalidServiceName"
    assert error_code(ec2.create_vpc_endpoint, VpcId="vpc-00000000", ServiceName="com.amazonaws.us-east-1.s3") == "InvalidVpcID.NotFound"


def test_modify_customer_prefix_list(gureum, ec2):
    pl = ec2.create_managed_prefix_list(PrefixListName="partners", MaxEntries=3, AddressFamily="IPv4",
                                        Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    _, out, _ = gureum.aws(
        "ec2", "modify-managed-prefix-list", "--prefix-list-id", pl, "--current-version", "1",
        "--add-entries", "Cidr=192.0.2.0/24,Description=lab",
    )
    assert out["PrefixList"]["Version"] == 2
    cidrs = sorted(e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pl)["Entries"])
    assert cidrs == ["192.0.2.0/24", "198.51.100.0/24"]
    assert error_code(ec2.modify_managed_prefix_list, PrefixListId=pl, CurrentVersion=1,
                      RemoveEntries=[{"Cidr": "192.0.2.0/24"}]) == "PrefixListVersionMismatch"
    s3 = ec2.describe_prefix_lists()["PrefixLists"][0]["PrefixListId"]
    assert error_code(ec2.modify_managed_prefix_list, PrefixListId=s3, PrefixListName="x") == "InvalidPrefixListModification"
    ec2.delete_managed_prefix_list(PrefixListId=pl)
