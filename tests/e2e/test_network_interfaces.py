"""Network interfaces with boto3 and the aws CLI: addresses from the
subnet, attach/detach rules, the instances' primary interfaces."""

import pytest
from helpers import error_code, advance


@pytest.fixture(scope="module")
def net(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/28", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/28", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    return {"vpc": vpc, "a": a, "b": b}


def free(ec2, subnet):
    return ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailableIpAddressCount"]


def test_interfaces_take_addresses_from_their_subnet(gureum, ec2, net):
    before = free(ec2, net["a"])
    _, out, _ = gureum.aws(
        "ec2", "create-network-interface", "--subnet-id", net["a"],
        "--private-ip-address", "10.20.1.9", "--description", "app",
        "--tag-specifications", "ResourceType=network-interface,Tags=[{Key=Name,Value=app}]",
    )
    eni = out["NetworkInterface"]
    assert eni["PrivateIpAddress"] == "10.20.1.9" and eni["Status"] == "available"
    assert eni["VpcId"] == net["vpc"] and eni["AvailabilityZone"] == "us-east-1a"
    assert eni["TagSet"] == [{"Key": "Name", "Value": "app"}]
    assert free(ec2, net["a"]) == before - 1
    assert error_code(ec2.create_network_interface, SubnetId=net["a"], PrivateIpAddress="10.20.1.9") == "InvalidIPAddress.InUse"
    found = ec2.describe_network_interfaces(Filters=[{"Name": "tag:Name", "Values": ["app"]}])["NetworkInterfaces"]
    assert [n["NetworkInterfaceId"] for n in found] == [eni["NetworkInterfaceId"]]
    found = ec2.describe_network_interfaces(Filters=[{"Name": "private-ip-address", "Values": ["10.20.1.9"]}])["NetworkInterfaces"]
    assert len(found) == 1
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert free(ec2, net["a"]) == before
    assert error_code(ec2.delete_network_interface, NetworkInterfaceId=eni["NetworkInterfaceId"]) == "InvalidNetworkInterfaceID.NotFound"


def test_groups_must_be_in_the_same_vpc(ec2, net):
    default_vpc_group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}, {"Name": "vpc-id", "Values": [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]]}]
    )["SecurityGroups"][0]["GroupId"]
    assert error_code(ec2.create_network_interface, SubnetId=net["a"], Groups=[default_vpc_group]) == "InvalidParameterValue"
    sg = ec2.create_security_group(GroupName="eni-sg", Description="x", VpcId=net["vpc"])["GroupId"]
    eni = ec2.create_network_interface(SubnetId=net["a"], Groups=[sg])["NetworkInterface"]
    assert [g["GroupName"] for g in eni["Groups"]] == ["eni-sg"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eni["NetworkInterfaceId"], SourceDestCheck={"Value": False})
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert got["SourceDestCheck"] is False
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])


def test_attach_and_detach_with_an_instance(gureum, ec2, net):
    ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"][0]["ImageId"]
    inst = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=net["a"])["Instances"][0]
    iid = inst["InstanceId"]
    primary = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    advance(gureum, 5)
    listed = ec2.describe_network_interfaces(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["NetworkInterfaces"]
    assert [n["NetworkInterfaceId"] for n in listed] == [primary]
    assert listed[0]["Attachment"]["DeviceIndex"] == 0 and listed[0]["Status"] == "in-use"
    assert error_code(ec2.delete_network_interface, NetworkInterfaceId=primary) == "InvalidNetworkInterface.InUse"

    eni = ec2.create_network_interface(SubnetId=net["a"])["NetworkInterface"]["NetworkInterfaceId"]
    assert error_code(ec2.attach_network_interface, NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=0) == "InvalidParameterValue"
    att = ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=1)["AttachmentId"]
    assert error_code(ec2.delete_network_interface, NetworkInterfaceId=eni) == "InvalidNetworkInterface.InUse"
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    assert got["Status"] == "in-use" and got["Attachment"]["InstanceId"] == iid
    in_use = ec2.describe_network_interfaces(Filters=[{"Name": "status", "Values": ["in-use"]}, {"Name": "subnet-id", "Values": [net["a"]]}])["NetworkInterfaces"]
    assert {n["NetworkInterfaceId"] for n in in_use} == {primary, eni}
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"]
    assert [(n["NetworkInterfaceId"], n["Attachment"]["DeviceIndex"]) for n in described] == [(primary, 0), (eni, 1)]

    far = ec2.create_network_interface(SubnetId=net["b"])["NetworkInterface"]["NetworkInterfaceId"]
    assert error_code(ec2.attach_network_interface, NetworkInterfaceId=far, InstanceId=iid, DeviceIndex=2) == "InvalidParameterCombination"
    assert error_code(ec2.detach_network_interface, AttachmentId="eni-attach-" + primary[4:]) == "OperationNotPermitted"
    ec2.detach_network_interface(AttachmentId=att)
    assert error_code(ec2.detach_network_interface, AttachmentId=att) == "InvalidAttachmentID.NotFound"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_network_interface(NetworkInterfaceId=far)
    ec2.terminate_instances(InstanceIds=[iid])
