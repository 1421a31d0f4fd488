"""RunInstances with `--image-id resolve:ssm:…`: AWS's public Amazon Linux
parameters and the account's own parameter (with a version) resolve through
Parameter Store, and the instance's ImageId is the AMI id they hold."""
import botocore.exceptions
import pytest

PUBLIC = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


@pytest.fixture(scope="module")
def ssm(gureum):
    return gureum.client("ssm")


def test_the_cli_launches_from_a_public_parameter(gureum, ssm, ec2):
    want = ssm.get_parameter(Name=PUBLIC)["Parameter"]["Value"]
    assert want.startswith("ami-")
    _, out, _ = gureum.aws("ec2", "run-instances", "--image-id", f"resolve:ssm:{PUBLIC}",
                           "--instance-type", "t3.micro", "--count", "1")
    (instance,) = out["Instances"]
    assert instance["ImageId"] == want
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])
    assert described["Reservations"][0]["Instances"][0]["ImageId"] == want


def test_boto3_launches_from_the_accounts_own_parameter_and_its_versions(ssm, ec2, ami):
    images = [i["ImageId"] for i in ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"]
        if "Platform" not in i]
    other = next(i for i in images if i != ami)
    ssm.put_parameter(Name="/golden-ami", Value=ami, Type="String", DataType="aws:ec2:image")
    ssm.put_parameter(Name="/golden-ami", Value=other, Type="String", DataType="aws:ec2:image",
                      Overwrite=True)
    for reference, want in [("/golden-ami", other), ("/golden-ami:1", ami), ("/golden-ami:2", other)]:
        out = ec2.run_instances(ImageId=f"resolve:ssm:{reference}", InstanceType="t3.micro",
                                MinCount=1, MaxCount=1)
        assert out["Instances"][0]["ImageId"] == want, reference


def test_a_parameter_that_does_not_exist_is_an_invalid_image_id(ec2):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.run_instances(ImageId="resolve:ssm:/no/such/parameter", InstanceType="t3.micro",
                          MinCount=1, MaxCount=1)
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidParameterValue"
    assert err["Message"] == ("Invalid value 'resolve:ssm:/no/such/parameter' for parameter ImageId. "
                              "The Systems Manager parameter '/no/such/parameter' could not be "
                              "resolved: ParameterNotFound.")


def test_a_version_that_does_not_exist_is_refused_by_the_cli(gureum, ssm, ami):
    ssm.put_parameter(Name="/one-version", Value=ami, Type="String")
    code, _, err = gureum.aws("ec2", "run-instances", "--image-id", "resolve:ssm:/one-version:7",
                              "--instance-type", "t3.micro", "--count", "1", check=False)
    assert code != 0
    assert "InvalidParameterValue" in err
    assert "could not be resolved: ParameterVersionNotFound" in err


def test_a_parameter_holding_something_else_is_a_malformed_image_id(ssm, ec2):
    ssm.put_parameter(Name="/not-an-ami", Value="hello", Type="String")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.run_instances(ImageId="resolve:ssm:/not-an-ami", InstanceType="t3.micro",
                          MinCount=1, MaxCount=1)
    assert e.value.response["Error"]["Code"] == "InvalidAMIID.Malformed"


def test_a_launch_template_naming_a_parameter_resolves_at_launch(ssm, ec2):
    want = ssm.get_parameter(Name=PUBLIC)["Parameter"]["Value"]
    ec2.create_launch_template(LaunchTemplateName="from-ssm", LaunchTemplateData={
        "ImageId": f"resolve:ssm:{PUBLIC}", "InstanceType": "t3.micro"})
    out = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": "from-ssm"}, MinCount=1, MaxCount=1)
    assert out["Instances"][0]["ImageId"] == want
