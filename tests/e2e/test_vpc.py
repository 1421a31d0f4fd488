"""The VPC walkthrough of the notes, then one test per rule, with the aws
CLI and boto3: VPC 10.0.0.0/16 → public and private subnets in two AZs →
internet gateway → route table with 0.0.0.0/0 → IGW → association →
security group with ports 80 and 22; and the default VPC's shape."""
import pytest
from helpers import error_code


@pytest.fixture(scope="module")
def ec2_west(gureum):
    """Another region: a region holds at most 5 VPCs (the default VPC
    counts), fewer than this module makes."""
    return gureum.client("ec2", region="us-west-2")


def test_vpc_walkthrough(gureum, ec2):
    _, out, _ = gureum.aws(
        "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16",
        "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=my-vpc}]",
    )
    vpc = out["Vpc"]
    vpc_id = vpc["VpcId"]
    assert vpc["CidrBlock"] == "10.0.0.0/16" and vpc["State"] == "available"
    assert vpc["IsDefault"] is False and vpc["Tags"] == [{"Key": "Name", "Value": "my-vpc"}]
    gureum.aws("ec2", "modify-vpc-attribute", "--vpc-id", vpc_id, "--enable-dns-hostnames", '{"Value":true}')
    _, attr, _ = gureum.aws("ec2", "describe-vpc-attribute", "--vpc-id", vpc_id, "--attribute", "enableDnsHostnames")
    assert attr["EnableDnsHostnames"]["Value"] is True

    subnets = {}
    for name, cidr, az in [
        ("public-a", "10.0.1.0/24", "us-east-1a"),
        ("public-c", "10.0.2.0/24", "us-east-1c"),
        ("private-a", "10.0.11.0/24", "us-east-1a"),
        ("private-c", "10.0.12.0/24", "us-east-1c"),
    ]:
        s = ec2.create_subnet(
            VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": name}]}],
        )["Subnet"]
        assert s["AvailableIpAddressCount"] == 251 and s["AvailabilityZone"] == az
        subnets[name] = s["SubnetId"]
    for name in ("public-a", "public-c"):
        ec2.modify_subnet_attribute(SubnetId=subnets[name], MapPublicIpOnLaunch={"Value": True})
    listed = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert len(listed) == 4
    public = [s for s in listed if s["MapPublicIpOnLaunch"]]
    assert {s["SubnetId"] for s in public} == {subnets["public-a"], subnets["public-c"]}

    _, out, _ = gureum.aws("ec2", "create-internet-gateway")
    igw_id = out["InternetGateway"]["InternetGatewayId"]
    gureum.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    igw = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"][0]
    assert igw["Attachments"] == [{"State": "available", "VpcId": vpc_id}]

    rt_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    assert ec2.create_route(RouteTableId=rt_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)["Return"]
    for name in ("public-a", "public-c"):
        assoc = ec2.associate_route_table(RouteTableId=rt_id, SubnetId=subnets[name])
        assert assoc["AssociationId"].startswith("rtbassoc-")
    rt = ec2.describe_route_tables(RouteTableIds=[rt_id])["RouteTables"][0]
    routes = {r["DestinationCidrBlock"]: r for r in rt["Routes"]}
    assert routes["10.0.0.0/16"]["GatewayId"] == "local"
    assert routes["10.0.0.0/16"]["Origin"] == "CreateRouteTable"
    assert routes["0.0.0.0/0"] == {
        "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw_id, "Origin": "CreateRoute", "State": "active",
    }
    assert {a["SubnetId"] for a in rt["Associations"]} == {subnets["public-a"], subnets["public-c"]}
    main = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]},
    ])["RouteTables"]
    assert len(main) == 1 and main[0]["RouteTableId"] != rt_id

    sg_id = ec2.create_security_group(GroupName="web-sg", Description="web", VpcId=vpc_id)["GroupId"]
    rules = ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "office"}]},
    ])["SecurityGroupRules"]
    assert len(rules) == 2 and all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules)
    _, out, _ = gureum.aws("ec2", "describe-security-groups", "--group-ids", sg_id)
    sg = out["SecurityGroups"][0]
    ports = sorted((p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in sg["IpPermissions"])
    assert ports == [(22, "203.0.113.0/24"), (80, "0.0.0.0/0")]
    assert sg["IpPermissionsEgress"][0]["IpProtocol"] == "-1"
    assert sg["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    listed = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg_id]}])["SecurityGroupRules"]
    assert len(listed) == 3

    # Tear it down in the order AWS requires.
    assert error_code(ec2.delete_vpc, VpcId=vpc_id) == "DependencyViolation"
    ec2.delete_security_group(GroupId=sg_id)
    for a in rt["Associations"]:
        ec2.disassociate_route_table(AssociationId=a["RouteTableAssociationId"])
    ec2.delete_route_table(RouteTableId=rt_id)
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    for s in subnets.values():
        ec2.delete_subnet(SubnetId=s)
    ec2.delete_vpc(VpcId=vpc_id)
    assert error_code(ec2.describe_vpcs, VpcIds=[vpc_id]) == "InvalidVpcID.NotFound"


def test_default_vpc_shape(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    vpc = vpcs[0]
    assert vpc["CidrBlock"] == "172.31.0.0/16"
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert len(subnets) == 6
    by_az = sorted((s["AvailabilityZone"], s["CidrBlock"]) for s in subnets)
    assert by_az == [(f"us-east-1{c}", f"172.31.{16 * i}.0/20") for i, c in enumerate("abcdef")]
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subnets)
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])
    igw_id = igws["InternetGateways"][0]["InternetGatewayId"]
    rts = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    assert len(rts) == 1 and rts[0]["Associations"][0]["Main"] is True
    routes = {r["DestinationCidrBlock"]: r.get("GatewayId") for r in rts[0]["Routes"]}
    assert routes == {"172.31.0.0/16": "local", "0.0.0.0/0": igw_id}
    sgs = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    assert sgs[0]["VpcId"] == vpc["VpcId"]
    assert error_code(ec2.create_default_vpc) == "DefaultVpcAlreadyExists"
    assert error_code(ec2.delete_security_group, GroupId=sgs[0]["GroupId"]) == "CannotDelete"


def test_default_vpc_is_per_region(gureum):
    seoul = gureum.client("ec2", region="ap-northeast-2")
    vpc = seoul.describe_vpcs()["Vpcs"][0]
    subnets = seoul.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == [f"ap-northeast-2{c}" for c in "abcd"]


def test_vpc_cidr_range(ec2):
    assert error_code(ec2.create_vpc, CidrBlock="10.0.0.0/8") == "InvalidVpc.Range"
    assert error_code(ec2.create_vpc, CidrBlock="10.0.0.0/29") == "InvalidVpc.Range"
    assert error_code(ec2.create_vpc, CidrBlock="banana") == "InvalidParameterValue"


def test_subnet_rules(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    assert error_code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.2.0.0/24") == "InvalidSubnet.Range"
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24")
    assert error_code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.1.0.0/25") == "InvalidSubnet.Conflict"
    assert error_code(ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.1.5.0/24",
                      AvailabilityZone="us-east-1z") == "InvalidParameterValue"
    small = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.9.0/28")["Subnet"]
    assert small["AvailableIpAddressCount"] == 11
    assert error_code(ec2.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.1.1.0/24") == "InvalidVpcID.NotFound"
    assert error_code(ec2.delete_vpc, VpcId=vpc_id) == "DependencyViolation"


def test_secondary_cidr_adds_a_local_route(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    out = ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.4.0.0/16")
    assert out["CidrBlockAssociation"]["CidrBlock"] == "10.4.0.0/16"
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.4.1.0/24")
    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"][0]
    assert {r["DestinationCidrBlock"] for r in rt["Routes"]} == {"10.3.0.0/16", "10.4.0.0/16"}


def test_internet_gateway_rules(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert error_code(ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc_id) == "Gateway.NotAttached"
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    assert error_code(ec2.attach_internet_gateway, InternetGatewayId=igw, VpcId=vpc_id) == "Resource.AlreadyAssociated"
    assert error_code(ec2.delete_internet_gateway, InternetGatewayId=igw) == "DependencyViolation"
    assert error_code(ec2.delete_internet_gateway,
                      InternetGatewayId="igw-0123456789abcdef0") == "InvalidInternetGatewayID.NotFound"


def test_route_rules_and_blackhole(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert error_code(ec2.create_route, RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0",
                      GatewayId="igw-0123456789abcdef0") == "InvalidGatewayID.NotFound"
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert error_code(ec2.create_route, RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0",
                      GatewayId=igw) == "RouteAlreadyExists"
    assert error_code(ec2.delete_route, RouteTableId=rt, DestinationCidrBlock="10.6.0.0/16") == "InvalidParameterValue"
    assert error_code(ec2.delete_route, RouteTableId=rt, DestinationCidrBlock="1.2.3.0/24") == "InvalidRoute.NotFound"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes] == ["active", "blackhole"]
    assert error_code(ec2.describe_route_tables, RouteTableIds=["rtb-0123456789abcdef0"]) == "InvalidRouteTableID.NotFound"


def test_route_table_associations(ec2_west):
    ec2 = ec2_west
    vpc_id = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    rt1 = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    rt2 = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    assoc = ec2.associate_route_table(RouteTableId=rt1, SubnetId=subnet)["AssociationId"]
    assert error_code(ec2.associate_route_table, RouteTableId=rt2, SubnetId=subnet) == "Resource.AlreadyAssociated"
    assert error_code(ec2.delete_route_table, RouteTableId=rt1) == "DependencyViolation"
    new = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rt2)["NewAssociationId"]
    assoc2 = ec2.describe_route_tables(RouteTableIds=[rt2])["RouteTables"][0]["Associations"]
    assert [(a["RouteTableAssociationId"], a["SubnetId"]) for a in assoc2] == [(new, subnet)]
    ec2.delete_route_table(RouteTableId=rt1)
    # The main association moves too.
    main = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]},
    ])["RouteTables"][0]
    main_assoc = next(a for a in main["Associations"] if a["Main"])["RouteTableAssociationId"]
    assert error_code(ec2.disassociate_route_table, AssociationId=main_assoc) == "InvalidParameterValue"
    ec2.replace_route_table_association(AssociationId=main_assoc, RouteTableId=rt2)
    now_main = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                                   {"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    assert [t["RouteTableId"] for t in now_main] == [rt2]
    ec2.delete_route_table(RouteTableId=main["RouteTableId"])


def test_security_group_rules(ec2_west):
    ec2 = ec2_west
    vpc_id = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"]
    assert error_code(ec2.create_security_group, GroupName="app", Description="x", VpcId=vpc_id) == "InvalidGroup.Duplicate"
    perm = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=perm)
    assert error_code(ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=perm) == "InvalidPermission.Duplicate"
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=perm)
    assert error_code(ec2.revoke_security_group_ingress, GroupId=sg, IpPermissions=perm) == "InvalidPermission.NotFound"
    # Egress: revoke the default all-traffic rule by its id.
    egress = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    rule_id = next(r for r in egress if r["IsEgress"])["SecurityGroupRuleId"]
    ec2.revoke_security_group_egress(GroupId=sg, SecurityGroupRuleIds=[rule_id])
    assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissionsEgress"] == []
    # A group referenced by another group's rule cannot go.
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": sg}]}])
    assert error_code(ec2.delete_security_group, GroupId=sg) == "DependencyViolation"
    assert error_code(ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"]) == "InvalidGroup.NotFound"
    # No VpcId: the default VPC.
    default_sg = ec2.create_security_group(GroupName="in-default", Description="d")["GroupId"]
    got = ec2.describe_security_groups(GroupIds=[default_sg])["SecurityGroups"][0]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    assert got["VpcId"] == default_vpc


def test_dry_run_answers_dry_run_operation(ec2):
    assert error_code(ec2.create_vpc, CidrBlock="10.9.0.0/16", DryRun=True) == "DryRunOperation"
    assert error_code(ec2.create_internet_gateway, DryRun=True) == "DryRunOperation"


def test_tags_and_pagination(gureum, ec2_west):
    ec2 = ec2_west
    vpc_id = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    gureum.aws("ec2", "create-tags", "--resources", vpc_id, "--tags", "Key=Env,Value=dev", AWS_DEFAULT_REGION="us-west-2")
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["Tags"]
    assert tags == [{"Key": "Env", "ResourceId": vpc_id, "ResourceType": "vpc", "Value": "dev"}]
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Env", "Values": ["dev"]}])["Vpcs"]
    assert [v["VpcId"] for v in found] == [vpc_id]
    ec2.delete_tags(Resources=[vpc_id], Tags=[{"Key": "Env"}])
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["Tags"] == []
    # Fill the region up to its limit of 5 VPCs; one page of 5 holds them.
    n = 20
    while len(ec2.describe_vpcs()["Vpcs"]) < 5:
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
        n += 1
    pages = list(ec2.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": 5}))
    ids = [v["VpcId"] for page in pages for v in page["Vpcs"]]
    assert len(ids) == len(set(ids)) == len(ec2.describe_vpcs()["Vpcs"]) == 5
    assert error_code(ec2.create_vpc, CidrBlock="10.99.0.0/16") == "VpcLimitExceeded"
