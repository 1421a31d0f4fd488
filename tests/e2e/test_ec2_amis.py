"""The account's own AMIs with the aws CLI and boto3: CreateImage from a
running instance (snapshots, tags, `aws ec2 wait image-available` after
advancing Gureum's clock) → launch it → RegisterImage from a snapshot →
CopyImage to another region → share with another account (launch
permission) and with everyone (group all) → DeregisterImage; then
RunInstances with a launch template, the VPC limit and CreateTags'
existence checks."""

import botocore.exceptions
import pytest
from helpers import error_code, advance

OTHER_ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def instance(gureum, ec2, ami):
    out = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    iid = out["Instances"][0]["InstanceId"]
    advance(gureum, 2)
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    return iid


@pytest.fixture(scope="module")
def own_image(gureum, ec2, instance):
    _, out, _ = gureum.aws(
        "ec2", "create-image", "--instance-id", instance, "--name", "web-golden",
        "--description", "golden web image", "--no-reboot",
        "--tag-specifications",
        "ResourceType=image,Tags=[{Key=role,Value=web}]",
        "ResourceType=snapshot,Tags=[{Key=role,Value=web-snap}]",
    )
    image_id = out["ImageId"]
    assert image_id.startswith("ami-")
    return image_id


@pytest.fixture
def available_image(gureum, own_image):
    """The image once its snapshots completed (whichever test runs first)."""
    advance(gureum, 2)
    return own_image


def test_create_image_is_pending_then_available(gureum, ec2, instance, own_image):
    img = ec2.describe_images(ImageIds=[own_image])["Images"][0]
    assert img["State"] == "pending"
    assert img["Name"] == "web-golden" and img["Description"] == "golden web image"
    assert img["Public"] is False
    assert img["OwnerId"] == "000000000000"
    assert img["Tags"] == [{"Key": "role", "Value": "web"}]
    root = img["BlockDeviceMappings"][0]
    snap = ec2.describe_snapshots(SnapshotIds=[root["Ebs"]["SnapshotId"]])["Snapshots"][0]
    assert snap["Description"] == f"Created by CreateImage({instance}) for {own_image}"
    assert {"Key": "role", "Value": "web-snap"} in snap["Tags"]
    advance(gureum, 2)
    gureum.aws("ec2", "wait", "image-available", "--image-ids", own_image)
    _, out, _ = gureum.aws("ec2", "describe-images", "--owners", "self")
    assert [i["ImageId"] for i in out["Images"]] == [own_image]
    assert out["Images"][0]["State"] == "available"
    # Same name again for the same owner.
    assert error_code(ec2.create_image, InstanceId=instance, Name="web-golden") == "InvalidAMIName.Duplicate"


def test_describe_images_filters_own_images(ec2, available_image):
    own_image = available_image
    def names(**kw):
        return [i["ImageId"] for i in ec2.describe_images(**kw)["Images"]]

    assert names(Filters=[{"Name": "tag:role", "Values": ["web"]}]) == [own_image]
    assert names(Filters=[{"Name": "name", "Values": ["web-*"]}, {"Name": "state", "Values": ["available"]}]) == [own_image]
    assert names(Owners=["000000000000"], Filters=[{"Name": "is-public", "Values": ["false"]}]) == [own_image]
    assert names(Filters=[{"Name": "owner-id", "Values": ["000000000000"]}]) == [own_image]
    # The public catalogue is still listed next to it.
    assert len(names(Owners=["amazon"])) >= 5
    assert error_code(ec2.describe_images, ImageIds=["ami-0123456789abcdef0"]) == "InvalidAMIID.NotFound"


def test_run_instances_from_own_image_uses_its_snapshot(ec2, available_image):
    own_image = available_image
    img = ec2.describe_images(ImageIds=[own_image])["Images"][0]
    snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    inst = ec2.run_instances(ImageId=own_image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
    assert inst["ImageId"] == own_image
    vol = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    assert ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["SnapshotId"] == snap


def test_register_image_from_a_snapshot(gureum, ec2):
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    advance(gureum, 2)
    snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    mapping = [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "DeleteOnTermination": True}}]
    image_id = ec2.register_image(
        Name="from-snapshot", Architecture="x86_64", VirtualizationType="hvm",
        RootDeviceName="/dev/xvda", BlockDeviceMappings=mapping, EnaSupport=True,
    )["ImageId"]
    img = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert img["RootDeviceName"] == "/dev/xvda"
    assert img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == snap
    assert img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 10
    assert error_code(
        ec2.register_image, Name="from-snapshot", RootDeviceName="/dev/xvda", BlockDeviceMappings=mapping
    ) == "InvalidAMIName.Duplicate"
    assert error_code(
        ec2.register_image, Name="missing-snap", RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}],
    ) == "InvalidSnapshot.NotFound"
    assert error_code(ec2.delete_snapshot, SnapshotId=snap) == "InvalidSnapshot.InUse"
    # Deregistering keeps the snapshot; a second time is Unavailable.
    assert ec2.deregister_image(ImageId=image_id)["Return"] is True
    assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["SnapshotId"] == snap
    assert error_code(ec2.deregister_image, ImageId=image_id) == "InvalidAMIID.Unavailable"
    assert error_code(ec2.deregister_image, ImageId="ami-0123456789abcdef0") == "InvalidAMIID.NotFound"
    assert error_code(
        ec2.run_instances, ImageId=image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1
    ) == "InvalidAMIID.Unavailable"


def test_copy_image_to_another_region(gureum, available_image):
    own_image = available_image
    west = gureum.client("ec2", region="us-west-2")
    copy = west.copy_image(SourceRegion="us-east-1", SourceImageId=own_image, Name="web-golden-west")["ImageId"]
    img = west.describe_images(ImageIds=[copy])["Images"][0]
    assert img["SourceImageId"] == own_image and img["SourceImageRegion"] == "us-east-1"
    snap = img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
    assert west.describe_snapshots(SnapshotIds=[snap])["Snapshots"][0]["OwnerId"] == "000000000000"
    east = gureum.client("ec2")
    assert error_code(east.describe_images, ImageIds=[copy]) == "InvalidAMIID.NotFound"
    assert error_code(
        west.copy_image, SourceRegion="us-east-1", SourceImageId="ami-0123456789abcdef0", Name="nothing"
    ) == "InvalidAMIID.NotFound"


def test_launch_permissions_share_with_an_account_and_the_public(gureum, ec2, available_image):
    own_image = available_image
    other = gureum.client("ec2", key=OTHER_ACCOUNT, secret="anything")
    assert error_code(other.describe_images, ImageIds=[own_image]) == "InvalidAMIID.NotFound"
    gureum.aws(
        "ec2", "modify-image-attribute", "--image-id", own_image,
        "--launch-permission", f"Add=[{{UserId={OTHER_ACCOUNT}}}]",
    )
    _, attr, _ = gureum.aws(
        "ec2", "describe-image-attribute", "--image-id", own_image, "--attribute", "launchPermission"
    )
    assert attr["LaunchPermissions"] == [{"UserId": OTHER_ACCOUNT}]
    shared = other.describe_images(ImageIds=[own_image])["Images"][0]
    assert shared["Public"] is False and shared["OwnerId"] == "000000000000"
    assert [i["ImageId"] for i in other.describe_images(ExecutableUsers=["self"])["Images"]] == [own_image]
    launched = other.run_instances(ImageId=own_image, InstanceType="t3.micro", MinCount=1, MaxCount=1)
    assert launched["OwnerId"] == OTHER_ACCOUNT
    assert error_code(
        other.describe_image_attribute, ImageId=own_image, Attribute="launchPermission"
    ) == "AuthFailure"
    # Group all makes it public; reset makes it private and unshared.
    ec2.modify_image_attribute(ImageId=own_image, LaunchPermission={"Add": [{"Group": "all"}]})
    assert ec2.describe_images(ImageIds=[own_image])["Images"][0]["Public"] is True
    third = gureum.client("ec2", key="222233334444", secret="x")
    assert third.describe_images(ImageIds=[own_image])["Images"][0]["ImageId"] == own_image
    ec2.reset_image_attribute(ImageId=own_image, Attribute="launchPermission")
    assert error_code(third.describe_images, ImageIds=[own_image]) == "InvalidAMIID.NotFound"
    assert error_code(other.describe_images, ImageIds=[own_image]) == "InvalidAMIID.NotFound"
    ec2.modify_image_attribute(ImageId=own_image, Description={"Value": "rebuilt"})
    d = ec2.describe_image_attribute(ImageId=own_image, Attribute="description")
    assert d["Description"]["Value"] == "rebuilt"


def test_run_instances_with_a_launch_template(gureum, ec2, ami):
    lt = ec2.create_launch_template(
        LaunchTemplateName="e2e-web",
        LaunchTemplateData={
            "ImageId": ami, "InstanceType": "t3.micro",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "tier", "Value": "web"}]}],
        },
    )["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(
        LaunchTemplateId=lt, SourceVersion="1", LaunchTemplateData={"InstanceType": "t3.small"}
    )
    _, out, _ = gureum.aws(
        "ec2", "run-instances", "--launch-template", "LaunchTemplateName=e2e-web", "--count", "1",
    )
    inst = out["Instances"][0]
    assert inst["InstanceType"] == "t3.micro" and inst["ImageId"] == ami
    tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
    assert tags["tier"] == "web"
    assert tags["aws:ec2launchtemplate:id"] == lt and tags["aws:ec2launchtemplate:version"] == "1"
    latest = ec2.run_instances(
        MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"}
    )["Instances"][0]
    assert latest["InstanceType"] == "t3.small"
    explicit = ec2.run_instances(
        MinCount=1, MaxCount=1, InstanceType="t3.medium", LaunchTemplate={"LaunchTemplateId": lt, "Version": "2"}
    )["Instances"][0]
    assert explicit["InstanceType"] == "t3.medium"
    assert error_code(
        ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "absent"}
    ) == "InvalidLaunchTemplateName.NotFoundException"
    assert error_code(
        ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": "lt-0123456789abcdef0"}
    ) == "InvalidLaunchTemplateId.NotFound"
    assert error_code(
        ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": lt, "Version": "7"}
    ) == "InvalidLaunchTemplateId.VersionNotFound"


def test_vpc_limit_counts_the_default_vpc(gureum):
    ec2 = gureum.client("ec2", region="eu-west-1")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.99.0.0/16")
    assert e.value.response["Error"]["Code"] == "VpcLimitExceeded"
    assert e.value.response["Error"]["Message"] == "The maximum number of VPCs has been reached."
    assert len(ec2.describe_vpcs()["Vpcs"]) == 5


def test_create_tags_checks_resources_exist(gureum, ec2, instance):
    def tag(rid):
        return error_code(ec2.create_tags, Resources=[rid], Tags=[{"Key": "k", "Value": "v"}])

    assert tag("i-0123456789abcdef0") == "InvalidInstanceID.NotFound"
    assert tag("vol-0123456789abcdef0") == "InvalidVolume.NotFound"
    assert tag("snap-0123456789abcdef0") == "InvalidSnapshot.NotFound"
    assert tag("ami-0123456789abcdef0") == "InvalidAMIID.NotFound"
    assert tag("vpc-0123456789abcdef0") == "InvalidVpcID.NotFound"
    assert tag("subnet-0123456789abcdef0") == "InvalidSubnetID.NotFound"
    assert tag("garbage") == "InvalidID"
    rc, _, err = gureum.aws(
        "ec2", "create-tags", "--resources", instance, "i-0fedcba9876543210", "--tags", "Key=a,Value=b", check=False
    )
    assert rc != 0 and "InvalidInstanceID.NotFound" in err
    # Nothing was tagged: the request is all or nothing.
    got = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [instance]}, {"Name": "key", "Values": ["a"]}])
    assert got["Tags"] == []
    ec2.create_tags(Resources=[instance], Tags=[{"Key": "a", "Value": "b"}])
    found = ec2.describe_instances(Filters=[{"Name": "tag:a", "Values": ["b"]}])["Reservations"]
    assert [i["InstanceId"] for r in found for i in r["Instances"]] == [instance]


def test_images_survive_a_kill_and_restart(gureum, available_image):
    before = gureum.client("ec2").describe_images(Owners=["self"])["Images"]
    assert available_image in [i["ImageId"] for i in before]
    gureum.restart(kill=True)
    after = gureum.client("ec2").describe_images(Owners=["self"])["Images"]
    assert sorted(i["ImageId"] for i in after) == sorted(i["ImageId"] for i in before)
    assert {i["ImageId"]: i["State"] for i in after}[available_image] == "available"
