"""A suite written the way moto's server-mode users write theirs: boto3
clients against one endpoint, `POST /moto-api/reset` before every test, and
every test assuming a clean account (the same bucket name, the same user
"alice", one default VPC).

It runs against Gureum (the module's server). Set MOTO_SERVER_ENDPOINT to
run it against a running `moto_server` instead: it was run that way against
moto 5.2.1 (`moto_server -p PORT`) and passed there too, unchanged.
"""
import json
import os
import re
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
})


@pytest.fixture(scope="module")
def endpoint(request):
    external = os.environ.get("MOTO_SERVER_ENDPOINT")
    if external:
        return external.rstrip("/")
    return request.getfixturevalue("gureum").endpoint


@pytest.fixture(autouse=True)
def reset(endpoint):
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200


def client(endpoint, service, **kw):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=kw.pop("key", "test"),
        aws_secret_access_key=kw.pop("secret", "test"),
        aws_session_token=kw.pop("token", None),
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def s3(endpoint):
    return client(endpoint, "s3")


@pytest.fixture
def iam(endpoint):
    return client(endpoint, "iam")


@pytest.fixture
def ec2(endpoint):
    return client(endpoint, "ec2")


@pytest.fixture
def sts(endpoint):
    return client(endpoint, "sts")


# S3: every test creates "mybucket", which only works in a clean account.

def test_create_bucket_is_listed(s3):
    s3.create_bucket(Bucket="mybucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["mybucket"]


def test_put_and_get_an_object(s3):
    s3.create_bucket(Bucket="mybucket")
    s3.put_object(Bucket="mybucket", Key="hello.txt", Body=b"hello")
    assert s3.get_object(Bucket="mybucket", Key="hello.txt")["Body"].read() == b"hello"


def test_a_new_bucket_holds_no_objects(s3):
    s3.create_bucket(Bucket="mybucket")
    assert s3.list_objects_v2(Bucket="mybucket")["KeyCount"] == 0


def test_listing_by_prefix(s3):
    s3.create_bucket(Bucket="mybucket")
    for key in ("a/1", "a/2", "b/1"):
        s3.put_object(Bucket="mybucket", Key=key, Body=b"x")
    listed = s3.list_objects_v2(Bucket="mybucket", Prefix="a/")
    assert [o["Key"] for o in listed["Contents"]] == ["a/1", "a/2"]


def test_deleted_object_is_gone(s3):
    s3.create_bucket(Bucket="mybucket")
    s3.put_object(Bucket="mybucket", Key="k", Body=b"x")
    s3.delete_object(Bucket="mybucket", Key="k")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="mybucket", Key="k")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


# IAM: every test creates "alice".

def test_create_user_alice(iam):
    iam.create_user(UserName="alice")
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]


def test_alice_gets_one_access_key(iam):
    iam.create_user(UserName="alice")
    iam.create_access_key(UserName="alice")
    assert len(iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]) == 1


def test_alice_joins_a_group(iam):
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["alice"]


def test_creating_alice_twice_conflicts(iam):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName="alice")
    assert e.value.response["Error"]["Code"] == "EntityAlreadyExists"


def test_a_role_with_an_inline_policy(iam):
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="app", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }))
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["read"]
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["app"]


# STS.

def test_caller_identity_is_an_account(sts):
    ident = sts.get_caller_identity()
    assert re.fullmatch(r"\d{12}", ident["Account"])


def test_assumed_role_session_identity(endpoint, iam, sts):
    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST)["Role"]
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    session = client(endpoint, "sts", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                     token=creds["SessionToken"])
    arn = session.get_caller_identity()["Arn"]
    assert arn.endswith(":assumed-role/app/s1"), arn


# EC2: every test starts with exactly the default VPC.

def test_one_default_vpc(ec2):
    vpcs = ec2.describe_vpcs()["Vpcs"]
    assert len(vpcs) == 1
    assert vpcs[0]["IsDefault"] is True


def test_a_created_vpc_makes_two(ec2):
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 2


def test_a_vpc_has_its_default_security_group(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert sorted(g["GroupName"] for g in groups) == ["default", "web"]


def test_key_pair_mykey(ec2):
    ec2.create_key_pair(KeyName="mykey")
    assert [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]] == ["mykey"]


def test_key_pair_mykey_again(ec2):
    ec2.create_key_pair(KeyName="mykey")
    ec2.delete_key_pair(KeyName="mykey")
    assert ec2.describe_key_pairs()["KeyPairs"] == []
