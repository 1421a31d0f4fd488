"""EBS volumes and snapshots, network ACLs, NAT gateways and launch
templates, with the aws CLI and boto3: each volume type and its bounds,
`aws ec2 wait volume-available`, snapshot → volume from snapshot, grow-only
modification, NACL rules and association replacement, a NAT gateway from
pending to available, launch template versions."""
import time

import botocore.exceptions
import pytest
from helpers import error_code


@pytest.mark.parametrize("vtype,ok,bad,extra", [
    ("gp2", 1, 16385, {}),
    ("gp3", 16384, 0, {}),
    ("io1", 4, 16385, {"Iops": 100}),
    ("io2", 65536, 3, {"Iops": 100}),
    ("st1", 125, 124, {}),
    ("sc1", 16384, 16385, {}),
    ("standard", 1024, 1025, {}),
])
def test_volume_types_and_size_bounds(ec2, vtype, ok, bad, extra):
    v = ec2.create_volume(AvailabilityZone="us-east-1a", VolumeType=vtype, Size=ok, **extra)
    assert v["VolumeType"] == vtype and v["Size"] == ok and v["State"] == "creating"
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1a", VolumeType=vtype,
                      Size=bad, **extra) == "InvalidParameterValue"


def test_volume_rules(ec2):
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1a", VolumeType="gp2",
                      Size=100, Iops=300) == "InvalidParameterCombination"
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1a", VolumeType="io1",
                      Size=10, Iops=1000) == "InvalidParameterValue"
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1z", Size=8) == "InvalidZone.NotFound"
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1a", Size=8,
                      MultiAttachEnabled=True) == "InvalidParameterCombination"


def test_wait_snapshot_volume_from_snapshot_and_modify(gureum, ec2):
    _, v, _ = gureum.aws("ec2", "create-volume", "--availability-zone", "us-east-1a", "--size", "10",
                         "--volume-type", "gp3", "--tag-specifications",
                         "ResourceType=volume,Tags=[{Key=Name,Value=data}]")
    vid = v["VolumeId"]
    gureum.aws("ec2", "wait", "volume-available", "--volume-ids", vid)
    d = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["data"]}])["Volumes"]
    assert [x["VolumeId"] for x in d] == [vid] and d[0]["State"] == "available"
    snap = ec2.create_snapshot(VolumeId=vid, Description="backup")
    ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snap["SnapshotId"]],
                                              WaiterConfig={"Delay": 1})
    s = ec2.describe_snapshots(OwnerIds=["self"], SnapshotIds=[snap["SnapshotId"]])["Snapshots"][0]
    assert s["State"] == "completed" and s["Progress"] == "100%" and s["VolumeSize"] == 10
    assert error_code(ec2.create_volume, AvailabilityZone="us-east-1b", Size=5,
                      SnapshotId=snap["SnapshotId"]) == "InvalidParameterValue"
    v2 = ec2.create_volume(AvailabilityZone="us-east-1b", SnapshotId=snap["SnapshotId"])
    assert v2["Size"] == 10 and v2["SnapshotId"] == snap["SnapshotId"]
    assert error_code(ec2.modify_volume, VolumeId=vid, Size=5) == "InvalidParameterValue"
    m = ec2.modify_volume(VolumeId=vid, Size=20)["VolumeModification"]
    assert m["ModificationState"] == "modifying" and m["TargetSize"] == 20
    time.sleep(2.2)
    mods = ec2.describe_volumes_modifications(VolumeIds=[vid])["VolumesModifications"]
    assert mods[0]["ModificationState"] == "completed"
    assert ec2.describe_volumes(VolumeIds=[vid])["Volumes"][0]["Size"] == 20
    amazon = ec2.describe_snapshots(OwnerIds=["amazon"])["Snapshots"]
    assert amazon and error_code(ec2.delete_snapshot, SnapshotId=amazon[0]["SnapshotId"]) == "InvalidSnapshot.InUse"
    copy = gureum.client("ec2", region="us-west-2").copy_snapshot(
        SourceRegion="us-east-1", SourceSnapshotId=snap["SnapshotId"])
    assert copy["SnapshotId"] != snap["SnapshotId"]
    ec2.delete_volume(VolumeId=v2["VolumeId"])
    assert error_code(ec2.delete_volume, VolumeId=v2["VolumeId"]) == "InvalidVolume.NotFound"


def test_network_acls(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                 {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    assoc = [a for a in default["Associations"] if a["SubnetId"] == sub][0]["NetworkAclAssociationId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]
    assert {e["RuleNumber"] for e in acl["Entries"]} == {32767}
    entry = dict(NetworkAclId=acl["NetworkAclId"], RuleNumber=100, Protocol="6", RuleAction="allow",
                 Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
    ec2.create_network_acl_entry(**entry)
    assert error_code(ec2.create_network_acl_entry, **entry) == "NetworkAclEntryAlreadyExists"
    ec2.replace_network_acl_entry(**{**entry, "RuleAction": "deny"})
    new = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl["NetworkAclId"])
    assert new["NewAssociationId"].startswith("aclassoc-")
    got = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [sub]}])["NetworkAcls"]
    assert [a["NetworkAclId"] for a in got] == [acl["NetworkAclId"]]
    rule = [e for e in got[0]["Entries"] if e["RuleNumber"] == 100][0]
    assert rule["RuleAction"] == "deny" and rule["PortRange"] == {"From": 443, "To": 443}
    assert error_code(ec2.delete_network_acl, NetworkAclId=acl["NetworkAclId"]) == "DependencyViolation"
    assert error_code(ec2.delete_network_acl, NetworkAclId=default["NetworkAclId"]) == "InvalidParameterValue"
    ec2.replace_network_acl_association(AssociationId=new["NewAssociationId"],
                                        NetworkAclId=default["NetworkAclId"])
    ec2.delete_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=100, Egress=False)
    ec2.delete_network_acl(NetworkAclId=acl["NetworkAclId"])


def test_nat_gateway_pending_to_available(gureum, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    assert error_code(ec2.create_nat_gateway, SubnetId=sub,
                      AllocationId="eipalloc-0123456789abcdef0") == "InvalidAllocationID.NotFound"
    try:
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        kw = {"AllocationId": alloc}
    except botocore.exceptions.ClientError:  # Elastic IPs not served yet
        kw = {"ConnectivityType": "private"}
    _, out, _ = gureum.aws("ec2", "create-nat-gateway", "--subnet-id", sub,
                           *sum(([f"--{'allocation-id' if k == 'AllocationId' else 'connectivity-type'}", v]
                                 for k, v in kw.items()), []))
    nat = out["NatGateway"]
    assert nat["State"] == "pending"
    gureum.aws("ec2", "wait", "nat-gateway-available", "--nat-gateway-ids", nat["NatGatewayId"])
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"])
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    time.sleep(1.2)
    g = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]
    assert g["State"] == "deleted"
    routes = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Routes"]
    assert [r["State"] for r in routes if r.get("NatGatewayId")] == ["blackhole"]


def test_launch_template_versions(ec2):
    lt = ec2.create_launch_template(LaunchTemplateName="web-lt", LaunchTemplateData={
        "ImageId": "ami-12345678", "InstanceType": "t3.micro"})["LaunchTemplate"]
    assert lt["DefaultVersionNumber"] == 1 and lt["LatestVersionNumber"] == 1
    assert error_code(ec2.create_launch_template, LaunchTemplateName="web-lt",
                      LaunchTemplateData={"InstanceType": "t3.nano"}) == "InvalidLaunchTemplateName.AlreadyExistsException"
    v2 = ec2.create_launch_template_version(LaunchTemplateId=lt["LaunchTemplateId"], SourceVersion="1",
                                            VersionDescription="large",
                                            LaunchTemplateData={"InstanceType": "t3.large"})
    data = v2["LaunchTemplateVersion"]["LaunchTemplateData"]
    assert data == {"ImageId": "ami-12345678", "InstanceType": "t3.large"}
    ec2.modify_launch_template(LaunchTemplateId=lt["LaunchTemplateId"], DefaultVersion="2")
    d = ec2.describe_launch_template_versions(LaunchTemplateName="web-lt", Versions=["$Default"])
    assert d["LaunchTemplateVersions"][0]["VersionNumber"] == 2
    latest = ec2.describe_launch_templates(LaunchTemplateNames=["web-lt"])["LaunchTemplates"][0]
    assert latest["LatestVersionNumber"] == 2
    out = ec2.delete_launch_template_versions(LaunchTemplateName="web-lt", Versions=["1"])
    assert out["SuccessfullyDeletedLaunchTemplateVersions"][0]["VersionNumber"] == 1
    ec2.delete_launch_template(LaunchTemplateName="web-lt")
    assert error_code(ec2.describe_launch_templates,
                      LaunchTemplateNames=["web-lt"]) == "InvalidLaunchTemplateName.NotFoundException"


def test_nat_gateway_elastic_ip_is_associated_with_its_interface(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.31.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.31.1.0/24")["Subnet"]["SubnetId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sub, AllocationId=alloc)["NatGateway"]
    nat_addr = nat["NatGatewayAddresses"][0]
    addr = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert addr["NetworkInterfaceId"] == nat_addr["NetworkInterfaceId"]
    assert addr["PrivateIpAddress"] == nat_addr["PrivateIp"]
    assert addr["NetworkInterfaceOwnerId"] == "000000000000"
    assert addr["AssociationId"].startswith("eipassoc-")
    assert "InstanceId" not in addr
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.release_address(AllocationId=alloc)
    assert e.value.response["Error"] == {
        "Code": "AuthFailure",
        "Message": "You do not have permission to access the specified resource.",
    }
    assert error_code(ec2.disassociate_address, AssociationId=addr["AssociationId"]) == "AuthFailure"
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    addr = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert "AssociationId" not in addr and "NetworkInterfaceId" not in addr
    ec2.release_address(AllocationId=alloc)
