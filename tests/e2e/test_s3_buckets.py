"""S3 buckets end to end: the aws CLI and boto3 against a real server."""
import socket
import urllib.parse

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

OTHER_KEY = "111122223333"


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_mb_ls_rb_with_the_cli(gureum):
    gureum.aws("s3", "mb", "s3://cli-bucket")
    _, out, _ = gureum.aws("s3", "ls")
    assert "cli-bucket" in out
    gureum.aws("s3", "rb", "s3://cli-bucket")
    _, out, _ = gureum.aws("s3", "ls")
    assert "cli-bucket" not in (out or "")


def test_create_bucket_in_eu_west_1(gureum):
    _, out, _ = gureum.aws(
        "s3api", "create-bucket", "--bucket", "eu-bucket-e2e",
        "--create-bucket-configuration", "LocationConstraint=eu-west-1",
        "--region", "eu-west-1",
    )
    assert out["Location"] == "http://eu-bucket-e2e.s3.amazonaws.com/"
    _, head, _ = gureum.aws("s3api", "head-bucket", "--bucket", "eu-bucket-e2e")
    assert head["BucketRegion"] == "eu-west-1"


def test_us_east_1_bucket_location_header(gureum):
    s3 = gureum.client("s3")
    out = s3.create_bucket(Bucket="east-bucket-e2e")
    assert out["Location"] == "/east-bucket-e2e"
    head = s3.head_bucket(Bucket="east-bucket-e2e")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"


@pytest.mark.parametrize("name", ["ab", "Upper-Case", "double..dot", "192.168.5.4", "xn--punycode", "-leading"])
def test_invalid_bucket_names(gureum, name):
    rc, _, err = gureum.aws("s3api", "create-bucket", f"--bucket={name}", check=False)
    assert rc != 0
    assert "InvalidBucketName" in err


def test_location_constraint_errors(gureum):
    s3_east = gureum.client("s3")
    with pytest.raises(ClientError) as e:
        s3_east.create_bucket(Bucket="loc-e2e-1", CreateBucketConfiguration={"LocationConstraint": "us-east-1"})
    assert error_code(e) == "InvalidLocationConstraint"
    s3_west = gureum.client("s3", region="eu-west-1")
    with pytest.raises(ClientError) as e:
        s3_west.create_bucket(Bucket="loc-e2e-2", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    assert error_code(e) == "IllegalLocationConstraintException"
    assert "ap-northeast-2 location constraint is incompatible" in e.value.response["Error"]["Message"]
    rc, _, err = gureum.aws("s3api", "create-bucket", "--bucket", "loc-e2e-3", "--region", "eu-west-1", check=False)
    assert rc != 0 and "IllegalLocationConstraintException" in err and "unspecified" in err


def test_bucket_already_exists_vs_owned_by_you(gureum):
    mine = gureum.client("s3", region="eu-west-1")
    mine.create_bucket(Bucket="contested-e2e", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(ClientError) as e:
        mine.create_bucket(Bucket="contested-e2e", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_code(e) == "BucketAlreadyOwnedByYou" and status(e) == 409
    theirs = gureum.client("s3", region="eu-west-1", key=OTHER_KEY, secret="any")
    with pytest.raises(ClientError) as e:
        theirs.create_bucket(Bucket="contested-e2e", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_code(e) == "BucketAlreadyExists" and status(e) == 409
    assert e.value.response["Error"]["BucketName"] == "contested-e2e"
    # The other account sees neither the bucket in its list nor its contents.
    assert "contested-e2e" not in [b["Name"] for b in theirs.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as e:
        theirs.head_bucket(Bucket="contested-e2e")
    assert status(e) == 403
    with pytest.raises(ClientError) as e:
        theirs.get_bucket_tagging(Bucket="contested-e2e")
    assert error_code(e) == "AccessDenied"


def test_recreating_own_us_east_1_bucket_is_ok(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="legacy-e2e")
    s3.create_bucket(Bucket="legacy-e2e")


def test_head_and_delete_missing_bucket(gureum):
    s3 = gureum.client("s3")
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket="missing-e2e")
    assert status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket="missing-e2e")
    assert error_code(e) == "NoSuchBucket"
    assert e.value.response["Error"]["BucketName"] == "missing-e2e"


def test_tagging(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="tags-e2e")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket="tags-e2e")
    assert error_code(e) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket="tags-e2e", Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    assert s3.get_bucket_tagging(Bucket="tags-e2e")["TagSet"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(
            Bucket="tags-e2e",
            Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]},
        )
    assert error_code(e) == "InvalidTag"
    s3.delete_bucket_tagging(Bucket="tags-e2e")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket="tags-e2e")
    assert error_code(e) == "NoSuchTagSet"


def test_defaults_of_a_new_bucket(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="defaults-e2e")
    v = s3.get_bucket_versioning(Bucket="defaults-e2e")
    assert "Status" not in v
    acl = s3.get_bucket_acl(Bucket="defaults-e2e")
    assert acl["Grants"] == [
        {"Grantee": {"ID": acl["Owner"]["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    ]
    own = s3.get_bucket_ownership_controls(Bucket="defaults-e2e")
    assert own["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    enc = s3.get_bucket_encryption(Bucket="defaults-e2e")
    rule = enc["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert rule["BucketKeyEnabled"] is False
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="public-e2e", ACL="public-read")
    assert error_code(e) == "InvalidBucketAclWithObjectOwnership"


def test_list_buckets_paginator(gureum):
    s3 = gureum.client("s3", region="ap-northeast-2")
    other = gureum.client("s3", key=OTHER_KEY, secret="any")
    for i in range(7):
        s3.create_bucket(Bucket=f"page-e2e-{i}", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
        other.create_bucket(Bucket=f"page-e2e-{i}x")
    pages = list(s3.get_paginator("list_buckets").paginate(Prefix="page-e2e-", PaginationConfig={"PageSize": 3}))
    assert [len(p["Buckets"]) for p in pages] == [3, 3, 1]
    names = [b["Name"] for p in pages for b in p["Buckets"]]
    assert names == [f"page-e2e-{i}" for i in range(7)]
    assert all(b["BucketRegion"] == "ap-northeast-2" for p in pages for b in p["Buckets"])
    assert "ContinuationToken" not in pages[-1]
    only = s3.list_buckets(BucketRegion="ap-northeast-2", Prefix="page-e2e-")
    assert len(only["Buckets"]) == 7


def localhost_subdomains_resolve():
    try:
        socket.getaddrinfo("probe.s3.localhost", 80)
        return True
    except OSError:
        return False


@pytest.mark.skipif(not localhost_subdomains_resolve(), reason="*.localhost does not resolve on this machine")
def test_virtual_hosted_addressing(gureum):
    port = urllib.parse.urlparse(gureum.endpoint).port
    import boto3

    s3 = boto3.client(
        "s3", endpoint_url=f"http://s3.localhost:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )
    s3.create_bucket(Bucket="vhost-e2e")
    assert s3.head_bucket(Bucket="vhost-e2e")["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.put_bucket_tagging(Bucket="vhost-e2e", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert s3.get_bucket_tagging(Bucket="vhost-e2e")["TagSet"] == [{"Key": "k", "Value": "v"}]
    s3.delete_bucket(Bucket="vhost-e2e")


def test_virtual_hosted_addressing_by_host_header(gureum):
    """Virtual-hosted requests signed for `bucket.s3.localhost`, sent to 127.0.0.1."""
    port = urllib.parse.urlparse(gureum.endpoint).port
    import boto3

    s3 = boto3.client(
        "s3", endpoint_url=f"http://s3.localhost:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )

    def to_loopback(request, **_):
        url = urllib.parse.urlsplit(request.url)
        request.headers["Host"] = url.netloc
        request.url = urllib.parse.urlunsplit(url._replace(netloc=f"127.0.0.1:{port}"))

    s3.meta.events.register("before-send.s3", to_loopback)
    out = s3.create_bucket(Bucket="vhost-hdr-e2e")
    assert out["Location"] == "/vhost-hdr-e2e"
    assert s3.head_bucket(Bucket="vhost-hdr-e2e")["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3.delete_bucket(Bucket="vhost-hdr-e2e")
    assert "vhost-hdr-e2e" not in [b["Name"] for b in gureum.client("s3").list_buckets()["Buckets"]]


def test_buckets_survive_kill_9(gureum):
    s3 = gureum.client("s3", region="eu-west-1")
    s3.create_bucket(Bucket="durable-e2e", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_tagging(Bucket="durable-e2e", Tagging={"TagSet": [{"Key": "keep", "Value": "me"}]})
    gureum.restart(kill=True)
    s3 = gureum.client("s3", region="eu-west-1")
    assert s3.head_bucket(Bucket="durable-e2e")["BucketRegion"] == "eu-west-1"
    assert s3.get_bucket_tagging(Bucket="durable-e2e")["TagSet"] == [{"Key": "keep", "Value": "me"}]
    assert "durable-e2e" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_get_bucket_location_reads_back_with_the_cli_and_boto3(gureum):
    s3 = gureum.client("s3", region="eu-west-1")
    s3.create_bucket(Bucket="gureum-location-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert s3.get_bucket_location(Bucket="gureum-location-eu")["LocationConstraint"] == "eu-west-1"
    _, out, _ = gureum.aws("s3api", "get-bucket-location", "--bucket", "gureum-location-eu", "--region", "eu-west-1")
    assert out["LocationConstraint"] == "eu-west-1"
    gureum.client("s3").create_bucket(Bucket="gureum-location-us")
    assert gureum.client("s3").get_bucket_location(Bucket="gureum-location-us")["LocationConstraint"] is None
