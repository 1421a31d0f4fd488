"""Nothing accepted that is not done (issue 13): a request member Gureum
does not implement is refused with an error naming it, never accepted and
ignored. `scripts/audit_parameters.py` lists the members no code reads
(docs/PARAMETERS.md); each refusal here has its code AND message checked."""
import os

import botocore.exceptions
import pytest
from helpers import advance

S3_NOT_IMPLEMENTED = (
    "Gureum does not implement {p} ({h}) yet: the request is refused rather than the parameter ignored."
)
EC2_UNSUPPORTED = (
    "Gureum does not implement the parameter {p} yet: the request is refused rather than the parameter ignored."
)


def refused(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]


@pytest.fixture(scope="module")
def s3(gureum):
    client = gureum.client("s3")
    client.create_bucket(Bucket="accepted-e2e")
    client.put_object(Bucket="accepted-e2e", Key="plain", Body=b"plain")
    return client


# --- S3 ----------------------------------------------------------------


def test_dual_layer_sse_kms_is_refused_not_downgraded(s3):
    # SSE-KMS itself is implemented (test_s3_sse_kms.py); DSSE-KMS is not.
    msg = (
        "Gureum does not implement dual-layer server-side encryption with AWS KMS yet "
        "(x-amz-server-side-encryption: aws:kms:dsse): the request is refused "
        "rather than the object stored with one layer."
    )
    for call, kw in [
        (s3.put_object, {"Key": "kms", "Body": b"secret"}),
        (s3.copy_object, {"Key": "kms", "CopySource": "accepted-e2e/plain"}),
        (s3.create_multipart_upload, {"Key": "kms"}),
    ]:
        code, message, status, err = refused(call, Bucket="accepted-e2e", ServerSideEncryption="aws:kms:dsse", **kw)
        assert (code, message, status) == ("NotImplemented", msg, 501)
        assert err["Header"] == "x-amz-server-side-encryption"
    # Nothing was stored under the wrong encryption.
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket="accepted-e2e", Key="kms")


def test_aes256_is_honoured(s3):
    s3.put_object(Bucket="accepted-e2e", Key="aes", Body=b"x", ServerSideEncryption="AES256")
    assert s3.head_object(Bucket="accepted-e2e", Key="aes")["ServerSideEncryption"] == "AES256"


def test_unknown_encryption_method_is_invalid_argument(gureum, s3):
    # boto3 validates the enum; a raw header through the CLI's low level
    # is not at hand, so the unit test covers "rot13"; here aws:fsx.
    code, message, status, err = refused(
        s3.put_object, Bucket="accepted-e2e", Key="fsx", Body=b"x", ServerSideEncryption="aws:fsx"
    )
    assert (code, status) == ("NotImplemented", 501)
    assert message == S3_NOT_IMPLEMENTED.format(p="ServerSideEncryption aws:fsx", h="x-amz-server-side-encryption")


def test_sse_kms_key_without_aws_kms_is_refused(s3):
    code, message, status, err = refused(
        s3.put_object, Bucket="accepted-e2e", Key="k", Body=b"x", SSEKMSKeyId="alias/aws/s3"
    )
    assert (code, status) == ("InvalidArgument", 400)
    assert message == ("Server Side Encryption with AWS KMS managed key requires HTTP header "
                       "x-amz-server-side-encryption : aws:kms")
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket="accepted-e2e", Key="k")


def test_sse_c_multipart_is_refused(s3):
    # PutObject, GetObject and HeadObject take SSE-C (test_s3_sse_c.py);
    # multipart uploads and copies do not yet.
    key = os.urandom(32)
    sse_c = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}
    h = "x-amz-server-side-encryption-customer-algorithm"
    for call, kw in [
        (s3.create_multipart_upload, {"Key": "ssec"}),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(Bucket="accepted-e2e", **sse_c, **kw)
        r = e.value.response
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 501
        if call.__name__ != "head_object":  # HEAD answers carry no body
            assert r["Error"]["Code"] == "NotImplemented"
            assert r["Error"]["Message"] == S3_NOT_IMPLEMENTED.format(p="SSECustomerAlgorithm", h=h)
    code, message, status, _ = refused(
        s3.copy_object, Bucket="accepted-e2e", Key="c", CopySource="accepted-e2e/plain",
        CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
    )
    assert (code, status) == ("NotImplemented", 501)
    assert message == S3_NOT_IMPLEMENTED.format(
        p="CopySourceSSECustomerAlgorithm", h="x-amz-copy-source-server-side-encryption-customer-algorithm"
    )


def test_object_lock_on_copies_is_refused(s3):
    # PutObject takes Object Lock (test_s3_object_lock.py); copies and
    # multipart uploads do not yet.
    code, message, status, _ = refused(
        s3.copy_object, Bucket="accepted-e2e", Key="locked", CopySource="accepted-e2e/plain",
        ObjectLockLegalHoldStatus="ON",
    )
    assert (code, status) == ("NotImplemented", 501)
    assert message == S3_NOT_IMPLEMENTED.format(p="ObjectLockLegalHoldStatus", h="x-amz-object-lock-legal-hold")


def test_mfa_delete_is_refused(s3):
    code, message, status, _ = refused(
        s3.put_bucket_versioning, Bucket="accepted-e2e",
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
    )
    assert (code, status) == ("NotImplemented", 501)
    assert message == S3_NOT_IMPLEMENTED.format(p="MFA delete", h="x-amz-mfa")
    s3.put_bucket_versioning(
        Bucket="accepted-e2e", VersioningConfiguration={"Status": "Suspended", "MFADelete": "Disabled"}
    )


def test_account_regional_namespace_is_refused(s3):
    code, message, status, _ = refused(s3.create_bucket, Bucket="accepted-regional-e2e", BucketNamespace="account-regional")
    assert (code, status) == ("NotImplemented", 501)
    assert message == S3_NOT_IMPLEMENTED.format(p="BucketNamespace account-regional", h="x-amz-bucket-namespace")


def test_expected_bucket_owner_is_honoured(gureum, s3):
    me = gureum.client("sts").get_caller_identity()["Account"]
    s3.get_object(Bucket="accepted-e2e", Key="plain", ExpectedBucketOwner=me)
    code, message, status, _ = refused(
        s3.get_object, Bucket="accepted-e2e", Key="plain", ExpectedBucketOwner="111122223333"
    )
    assert (code, message, status) == ("AccessDenied", "Access Denied", 403)


# --- EC2 ---------------------------------------------------------------


def test_ec2_ipv6_and_ipam_are_refused(ec2):
    for call, kw, member in [
        (ec2.create_vpc, {"CidrBlock": "10.9.0.0/16", "AmazonProvidedIpv6CidrBlock": True}, "AmazonProvidedIpv6CidrBlock"),
        (ec2.create_vpc, {"Ipv4IpamPoolId": "ipam-pool-0123456789abcdef0", "Ipv4NetmaskLength": 16}, "Ipv4IpamPoolId"),
        (ec2.allocate_address, {"Domain": "vpc", "IpamPoolId": "ipam-pool-0123456789abcdef0"}, "IpamPoolId"),
    ]:
        code, message, status, _ = refused(call, **kw)
        assert (code, message, status) == ("UnsupportedOperation", EC2_UNSUPPORTED.format(p=member), 400)
    # False asks for nothing: the VPC is made.
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", AmazonProvidedIpv6CidrBlock=False)["Vpc"]
    code, message, _, _ = refused(
        ec2.create_subnet, VpcId=vpc["VpcId"], CidrBlock="10.9.1.0/24",
        OutpostArn="arn:aws:outposts:us-east-1:000000000000:outpost/op-0123456789abcdef0",
    )
    assert (code, message) == ("UnsupportedOperation", EC2_UNSUPPORTED.format(p="OutpostArn"))
    ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_ec2_run_instances_refuses_what_it_cannot_do(ec2, ami):
    base = {"ImageId": ami, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
    for extra, member in [
        ({"CreditSpecification": {"CpuCredits": "unlimited"}}, "CreditSpecification"),
        ({"Ipv6AddressCount": 1}, "Ipv6AddressCount"),
        ({"LicenseSpecifications": [{"LicenseConfigurationArn": "arn:aws:license-manager:us-east-1:000000000000:license-configuration:lic-0123"}]}, "LicenseSpecifications"),
    ]:
        code, message, status, _ = refused(ec2.run_instances, **base, **extra)
        assert (code, message, status) == ("UnsupportedOperation", EC2_UNSUPPORTED.format(p=member), 400)
    launched = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert not [i for i in launched if not i.get("ClientToken")]


def test_ec2_run_instances_client_token_is_idempotent(gureum, ec2, ami):
    base = {"ImageId": ami, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
    first = ec2.run_instances(ClientToken="accepted-e2e-token", **base)
    again = ec2.run_instances(ClientToken="accepted-e2e-token", **base)
    assert again["ReservationId"] == first["ReservationId"]
    ids = [i["InstanceId"] for i in first["Instances"]]
    assert [i["InstanceId"] for i in again["Instances"]] == ids
    assert again["Instances"][0]["ClientToken"] == "accepted-e2e-token"
    code, message, status, _ = refused(
        ec2.run_instances, ClientToken="accepted-e2e-token", **{**base, "InstanceType": "t3.small"}
    )
    assert (code, message, status) == (
        "IdempotentParameterMismatch",
        "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
        400,
    )
    ec2.terminate_instances(InstanceIds=ids)
    advance(gureum, 120)  # shutting-down -> terminated
    code, message, status, _ = refused(ec2.run_instances, ClientToken="accepted-e2e-token", **base)
    assert (code, message, status) == (
        "IdempotentInstanceTerminated",
        "The client token you have provided is associated with a terminated instance. Please use a different client token.",
        400,
    )


def test_ec2_metadata_options_are_honoured(ec2, ami):
    out = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        MetadataOptions={"HttpTokens": "optional", "HttpPutResponseHopLimit": 3},
    )["Instances"][0]
    assert out["MetadataOptions"]["HttpTokens"] == "optional"
    desc = ec2.describe_instances(InstanceIds=[out["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert desc["MetadataOptions"]["HttpTokens"] == "optional"
    assert desc["MetadataOptions"]["HttpPutResponseHopLimit"] == 3
    assert desc["MetadataOptions"]["HttpEndpoint"] == "enabled"
    ec2.terminate_instances(InstanceIds=[out["InstanceId"]])


def test_ec2_options_it_cannot_vary_take_only_the_shown_value(ec2, ami):
    base = {"ImageId": ami, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}
    code, message, status, _ = refused(ec2.run_instances, EnclaveOptions={"Enabled": True}, **base)
    assert (code, message, status) == (
        "UnsupportedOperation",
        "Gureum does not implement EnclaveOptions.Enabled = true yet: only the value it shows (false) is accepted.",
        400,
    )
    code, message, _, _ = refused(
        ec2.run_instances, CapacityReservationSpecification={"CapacityReservationPreference": "none"}, **base
    )
    assert message == (
        "Gureum does not implement CapacityReservationSpecification.CapacityReservationPreference = none yet: "
        'only the value it shows (open) is accepted.'
    )
    ok = ec2.run_instances(EnclaveOptions={"Enabled": False}, **base)["Instances"][0]
    ec2.terminate_instances(InstanceIds=[ok["InstanceId"]])


def test_ec2_create_volume_refuses_outposts(ec2):
    code, message, status, _ = refused(
        ec2.create_volume, AvailabilityZone="us-east-1a", Size=8,
        OutpostArn="arn:aws:outposts:us-east-1:000000000000:outpost/op-0123456789abcdef0",
    )
    assert (code, message, status) == ("UnsupportedOperation", EC2_UNSUPPORTED.format(p="OutpostArn"), 400)


# --- IAM ---------------------------------------------------------------


def test_iam_simulation_scenarios_are_refused(gureum):
    iam = gureum.client("iam")
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RunInstances","Resource":"*"}]}'
    code, message, status, _ = refused(
        iam.simulate_custom_policy, PolicyInputList=[doc], ActionNames=["ec2:RunInstances"],
        ResourceHandlingOption="EC2-VPC-InstanceStore",
    )
    assert (code, status) == ("InvalidInput", 400)
    assert message == EC2_UNSUPPORTED.format(p="ResourceHandlingOption")
    ok = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["ec2:RunInstances"])
    assert ok["EvaluationResults"][0]["EvalDecision"] == "allowed"


# --- EC2, the rest of the audit ------------------------------------------


def unsupported_value(member, value, shown):
    return f"Gureum does not implement {member} = {value} yet: only the value it shows ({shown}) is accepted."


def test_ec2_subnet_attributes_take_only_what_gureum_does(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sub, EnableDns64={"Value": False})
    code, message, status, _ = refused(ec2.modify_subnet_attribute, SubnetId=sub, EnableDns64={"Value": True})
    assert (code, message, status) == ("UnsupportedOperation", unsupported_value("EnableDns64.Value", "true", "false"), 400)
    code, message, _, _ = refused(ec2.modify_subnet_attribute, SubnetId=sub, PrivateDnsHostnameTypeOnLaunch="resource-name")
    assert message == unsupported_value("PrivateDnsHostnameTypeOnLaunch", "resource-name", "ip-name")
    code, message, _, _ = refused(ec2.create_subnet, VpcId=vpc, CidrBlock="10.8.2.0/24", Ipv6Native=True)
    assert (code, message) == ("UnsupportedOperation", EC2_UNSUPPORTED.format(p="Ipv6Native"))
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    code, message, _, _ = refused(
        ec2.create_route, RouteTableId=rt, DestinationIpv6CidrBlock="::/0",
        EgressOnlyInternetGatewayId="eigw-0123456789abcdef0",
    )
    assert (code, message) == ("UnsupportedOperation", EC2_UNSUPPORTED.format(p="EgressOnlyInternetGatewayId"))
    ec2.delete_route_table(RouteTableId=rt)
    ec2.delete_subnet(SubnetId=sub)
    ec2.delete_vpc(VpcId=vpc)


def test_ec2_addresses_and_snapshots_take_only_what_gureum_does(ec2):
    code, message, status, _ = refused(ec2.allocate_address, Domain="vpc", NetworkBorderGroup="us-west-2-lax-1")
    assert (code, message, status) == (
        "UnsupportedOperation", unsupported_value("NetworkBorderGroup", "us-west-2-lax-1", "us-east-1"), 400
    )
    a = ec2.allocate_address(Domain="vpc", NetworkBorderGroup="us-east-1")
    ec2.release_address(AllocationId=a["AllocationId"], NetworkBorderGroup="us-east-1")
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    code, message, _, _ = refused(ec2.create_snapshot, VolumeId=vol, Location="local")
    assert message == unsupported_value("Location", "local", "regional")
    ec2.delete_volume(VolumeId=vol)


def test_ec2_client_token_makes_creates_idempotent(ec2):
    first = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2, ClientToken="accepted-e2e-vol")
    again = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2, ClientToken="accepted-e2e-vol")
    assert again["VolumeId"] == first["VolumeId"]
    vols = ec2.describe_volumes(Filters=[{"Name": "size", "Values": ["2"]}])["Volumes"]
    assert [v["VolumeId"] for v in vols] == [first["VolumeId"]]
    code, message, status, _ = refused(
        ec2.create_volume, AvailabilityZone="us-east-1a", Size=3, ClientToken="accepted-e2e-vol"
    )
    assert (code, message, status) == (
        "IdempotentParameterMismatch",
        "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
        400,
    )
    # botocore fills a fresh token for each call that names none.
    other = ec2.create_volume(AvailabilityZone="us-east-1a", Size=2)
    assert other["VolumeId"] != first["VolumeId"]
    for v in (first, other):
        ec2.delete_volume(VolumeId=v["VolumeId"])
