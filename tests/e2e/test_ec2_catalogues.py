"""EC2's instance-type and AMI catalogues, driven with the aws CLI and boto3."""
import botocore.exceptions
import pytest


def test_describe_instance_types_by_name(gureum):
    _, out, _ = gureum.aws("ec2", "describe-instance-types", "--instance-types", "t3.micro", "m7g.large")
    types = {t["InstanceType"]: t for t in out["InstanceTypes"]}
    assert set(types) == {"t3.micro", "m7g.large"}
    t3 = types["t3.micro"]
    assert t3["VCpuInfo"]["DefaultVCpus"] == 2
    assert t3["MemoryInfo"]["SizeInMiB"] == 1024
    assert t3["FreeTierEligible"] is True
    assert t3["BurstablePerformanceSupported"] is True
    assert t3["Hypervisor"] == "nitro"
    assert t3["NetworkInfo"]["NetworkPerformance"] == "Up to 5 Gigabit"
    assert t3["ProcessorInfo"]["SupportedArchitectures"] == ["x86_64"]
    m7g = types["m7g.large"]
    assert m7g["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"]
    assert m7g["MemoryInfo"]["SizeInMiB"] == 8192
    assert m7g["FreeTierEligible"] is False


def test_describe_instance_types_filters(gureum):
    _, out, _ = gureum.aws(
        "ec2", "describe-instance-types",
        "--filters", "Name=free-tier-eligible,Values=true",
    )
    assert sorted(t["InstanceType"] for t in out["InstanceTypes"]) == ["t2.micro", "t3.micro"]
    _, out, _ = gureum.aws(
        "ec2", "describe-instance-types",
        "--filters", "Name=instance-type,Values=c7g.*",
        "Name=vcpu-info.default-vcpus,Values=4,8",
    )
    assert sorted(t["InstanceType"] for t in out["InstanceTypes"]) == ["c7g.2xlarge", "c7g.xlarge"]
    _, out, _ = gureum.aws(
        "ec2", "describe-instance-types",
        "--filters", "Name=instance-storage-supported,Values=true",
        "Name=processor-info.supported-architecture,Values=x86_64",
        "--query", "InstanceTypes[].InstanceStorageInfo.Disks[0].Type",
    )
    assert set(out) == {"ssd", "hdd"}


def test_paginator_walks_every_type(gureum):
    ec2 = gureum.client("ec2")
    pages = ec2.get_paginator("describe_instance_types").paginate(PaginationConfig={"PageSize": 25})
    names = [t["InstanceType"] for page in pages for t in page["InstanceTypes"]]
    assert len(names) >= 120
    assert len(names) == len(set(names))
    assert {"t2.micro", "p4d.24xlarge", "g5.48xlarge", "inf2.xlarge", "x2idn.metal"} <= set(names)


def test_instance_type_offerings_per_zone(gureum):
    _, out, _ = gureum.aws(
        "ec2", "describe-instance-type-offerings",
        "--location-type", "availability-zone",
        "--filters", "Name=instance-type,Values=t3.micro",
        "--region", "ap-northeast-2",
    )
    zones = sorted(o["Location"] for o in out["InstanceTypeOfferings"])
    assert zones == [f"ap-northeast-2{c}" for c in "abcd"]
    assert all(o["LocationType"] == "availability-zone" for o in out["InstanceTypeOfferings"])
    # inf2 is offered in a subset of regions only.
    ec2 = gureum.client("ec2", region="af-south-1")
    offers = ec2.describe_instance_type_offerings(
        Filters=[{"Name": "instance-type", "Values": ["inf2.*"]}]
    )["InstanceTypeOfferings"]
    assert offers == []


def test_unknown_instance_type_in_region_is_invalid(gureum):
    ec2 = gureum.client("ec2", region="af-south-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_instance_types(InstanceTypes=["inf2.xlarge"])
    assert e.value.response["Error"]["Code"] == "InvalidInstanceType"
    assert "inf2.xlarge" in e.value.response["Error"]["Message"]


def test_bad_filter_and_max_results(gureum):
    ec2 = gureum.client("ec2")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_instance_types(Filters=[{"Name": "colour", "Values": ["red"]}])
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.describe_instance_types(NextToken="not-a-token")
    assert e.value.response["Error"]["Code"] == "InvalidPaginationToken"


def al2023(gureum, region):
    _, out, _ = gureum.aws(
        "ec2", "describe-images", "--owners", "amazon",
        "--filters", "Name=name,Values=al2023-ami-2023*-x86_64",
        "--region", region,
    )
    return out["Images"]


def test_describe_images_al2023_per_region(gureum):
    virginia = al2023(gureum, "us-east-1")
    seoul = al2023(gureum, "ap-northeast-2")
    assert len(virginia) == 1 and len(seoul) == 1
    img = virginia[0]
    assert img["ImageId"].startswith("ami-0") and len(img["ImageId"]) == 21
    assert img["ImageId"] != seoul[0]["ImageId"]
    assert img["Name"].startswith("al2023-ami-2023") and img["Name"].endswith("-x86_64")
    assert img["OwnerId"] == "137112412989"
    assert img["ImageOwnerAlias"] == "amazon"
    assert img["Architecture"] == "x86_64"
    assert img["PlatformDetails"] == "Linux/UNIX"
    assert img["RootDeviceName"] == "/dev/xvda"
    assert img["Public"] is True
    assert img["State"] == "available"
    ebs = img["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["SnapshotId"].startswith("snap-") and ebs["VolumeSize"] == 8 and ebs["VolumeType"] == "gp3"
    # Stable across calls (and restarts: derived, not random).
    assert al2023(gureum, "us-east-1")[0]["ImageId"] == img["ImageId"]


def test_describe_images_by_id_and_owner(gureum):
    ec2 = gureum.client("ec2")
    ubuntu = ec2.describe_images(
        Owners=["099720109477"],
        Filters=[{"Name": "name", "Values": ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]}],
    )["Images"]
    assert len(ubuntu) == 1
    assert ubuntu[0]["RootDeviceName"] == "/dev/sda1"
    one = ec2.describe_images(ImageIds=[ubuntu[0]["ImageId"]])["Images"]
    assert [i["ImageId"] for i in one] == [ubuntu[0]["ImageId"]]
    win = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "platform", "Values": ["windows"]}])["Images"]
    assert len(win) == 1 and win[0]["PlatformDetails"] == "Windows"
    assert win[0]["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 30
    assert ec2.describe_images(Owners=["self"])["Images"] == []


def test_describe_images_errors(gureum):
    code, _, err = gureum.aws("ec2", "describe-images", "--image-ids", "ami-0123456789abcdef0", check=False)
    assert code != 0
    assert "InvalidAMIID.NotFound" in err and "ami-0123456789abcdef0" in err
    code, _, err = gureum.aws("ec2", "describe-images", "--image-ids", "ami-nothex", check=False)
    assert code != 0
    assert "InvalidAMIID.Malformed" in err
    # An id from another region does not exist here.
    seoul = al2023(gureum, "ap-northeast-2")[0]["ImageId"]
    code, _, err = gureum.aws("ec2", "describe-images", "--image-ids", seoul, check=False)
    assert code != 0 and "InvalidAMIID.NotFound" in err
