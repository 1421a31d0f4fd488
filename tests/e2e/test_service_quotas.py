"""Service Quotas: AWS's defaults, increases approved at once, and the
limits EC2 enforces reading them (VPCs per Region, EC2-VPC Elastic IPs),
through boto3 and the aws CLI; applied values survive a restart."""
import botocore.exceptions
import pytest

VPCS = ("vpc", "L-F678F1CE")
EIPS = ("ec2", "L-0263D0A3")


def test_services_and_default_quotas_are_listed(gureum):
    sq = gureum.client("service-quotas")
    codes = [s["ServiceCode"] for s in sq.list_services()["Services"]]
    assert {"ec2", "vpc"} <= set(codes)
    defaults = sq.list_aws_default_service_quotas(ServiceCode="vpc")["Quotas"]
    vpcs = [q for q in defaults if q["QuotaCode"] == VPCS[1]]
    assert vpcs and vpcs[0]["QuotaName"] == "VPCs per Region"
    assert vpcs[0]["Value"] == 5.0 and vpcs[0]["Adjustable"] is True
    eip = sq.get_aws_default_service_quota(ServiceCode=EIPS[0], QuotaCode=EIPS[1])["Quota"]
    assert (eip["QuotaName"], eip["Value"]) == ("EC2-VPC Elastic IPs", 5.0)
    applied = sq.get_service_quota(ServiceCode=VPCS[0], QuotaCode=VPCS[1])["Quota"]
    assert applied["Value"] == 5.0
    assert applied["QuotaArn"].endswith(":vpc/L-F678F1CE")


def test_unknown_service_codes_are_no_such_resource_with_aws_message(gureum):
    sq = gureum.client("service-quotas")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sq.list_aws_default_service_quotas(ServiceCode="EC2")
    err = e.value.response["Error"]
    assert err["Code"] == "NoSuchResourceException"
    assert err["Message"] == "The request failed because the specified service does not exist."
    rc, _, stderr = gureum.aws(
        "service-quotas", "get-service-quota", "--service-code", "vpc", "--quota-code", "L-NOPE", check=False
    )
    assert rc != 0 and "NoSuchResourceException" in stderr


def test_cli_reads_quotas(gureum):
    _, out, _ = gureum.aws("service-quotas", "get-service-quota", "--service-code", "vpc", "--quota-code", VPCS[1])
    assert out["Quota"]["Value"] == 5.0
    _, out, _ = gureum.aws("service-quotas", "list-service-quotas", "--service-code", "ec2")
    assert [q["QuotaCode"] for q in out["Quotas"]] == [EIPS[1]]


def test_an_increase_to_6_vpcs_allows_a_6th_vpc_and_persists(gureum):
    region = "us-west-2"
    ec2 = gureum.client("ec2", region=region)
    # The default VPC counts towards the quota, as in AWS.
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.50.0.0/16")
    assert e.value.response["Error"]["Code"] == "VpcLimitExceeded"

    _, out, _ = gureum.aws(
        "service-quotas", "request-service-quota-increase",
        "--service-code", "vpc", "--quota-code", VPCS[1], "--desired-value", "6",
        "--region", region,
    )
    assert out["RequestedQuota"]["Status"] == "PENDING"
    sq = gureum.client("service-quotas", region=region)
    change = sq.get_requested_service_quota_change(RequestId=out["RequestedQuota"]["Id"])
    assert change["RequestedQuota"]["Status"] == "APPROVED"
    assert sq.get_service_quota(ServiceCode=VPCS[0], QuotaCode=VPCS[1])["Quota"]["Value"] == 6.0
    # Another region of the account keeps AWS's default.
    other = gureum.client("service-quotas", region="us-east-2")
    assert other.get_service_quota(ServiceCode=VPCS[0], QuotaCode=VPCS[1])["Quota"]["Value"] == 5.0
    history = sq.list_requested_service_quota_change_history_by_quota(ServiceCode=VPCS[0], QuotaCode=VPCS[1])
    assert [r["DesiredValue"] for r in history["RequestedQuotas"]] == [6.0]

    ec2.create_vpc(CidrBlock="10.5.0.0/16")  # the 6th, with the default VPC
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.6.0.0/16")
    assert e.value.response["Error"]["Code"] == "VpcLimitExceeded"
    assert e.value.response["Error"]["Message"] == "The maximum number of VPCs has been reached."
    assert len(ec2.describe_vpcs()["Vpcs"]) == 6

    gureum.restart(kill=True)
    sq = gureum.client("service-quotas", region=region)
    assert sq.get_service_quota(ServiceCode=VPCS[0], QuotaCode=VPCS[1])["Quota"]["Value"] == 6.0
    ec2 = gureum.client("ec2", region=region)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.create_vpc(CidrBlock="10.7.0.0/16")
    assert e.value.response["Error"]["Code"] == "VpcLimitExceeded"


def test_elastic_ips_stop_at_the_applied_quota(gureum):
    region = "eu-west-1"
    ec2 = gureum.client("ec2", region=region)
    for _ in range(5):
        ec2.allocate_address(Domain="vpc")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ec2.allocate_address(Domain="vpc")
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "AddressLimitExceeded", "The maximum number of addresses has been reached.")
    sq = gureum.client("service-quotas", region=region)
    sq.request_service_quota_increase(ServiceCode=EIPS[0], QuotaCode=EIPS[1], DesiredValue=6)
    ec2.allocate_address(Domain="vpc")
    assert len(ec2.describe_addresses()["Addresses"]) == 6
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sq.request_service_quota_increase(ServiceCode=EIPS[0], QuotaCode=EIPS[1], DesiredValue=6)
    assert e.value.response["Error"]["Code"] == "IllegalArgumentException"
