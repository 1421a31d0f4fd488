"""S3 access control end to end: bucket policies evaluated with IAM on every
request, Block Public Access (on by default), anonymous callers (curl and
urllib without a signature), cross-account access, with boto3 and the aws CLI."""
import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

OTHER = "222233334444"  # a 12-digit access key is the root of that account


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def public_read(bucket):
    return policy({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                   "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"})


def anonymous_get(gureum, path):
    """(status, body) of an unsigned GET."""
    try:
        with urllib.request.urlopen(gureum.endpoint + path, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def err(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e.get("Message")


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture(scope="module")
def other_s3(gureum):
    return gureum.client("s3", key=OTHER, secret="x")


def test_new_buckets_block_public_access_by_default(s3):
    s3.create_bucket(Bucket="acc-default")
    cfg = s3.get_public_access_block(Bucket="acc-default")["PublicAccessBlockConfiguration"]
    assert cfg == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                   "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.delete_public_access_block(Bucket="acc-default")
    with pytest.raises(ClientError) as e:
        s3.get_public_access_block(Bucket="acc-default")
    assert err(e) == ("NoSuchPublicAccessBlockConfiguration",
                      "The public access block configuration was not found")


def test_public_read_policy_opens_curl_only_after_block_public_access_is_off(gureum, s3):
    b = "acc-public"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="hello.txt", Body=b"hello world")
    assert anonymous_get(gureum, f"/{b}/hello.txt")[0] == 403
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
    code, message = err(e)
    assert code == "AccessDenied"
    assert message == (
        'User: arn:aws:iam::000000000000:root is not authorized to perform: s3:PutBucketPolicy '
        f'on resource: "arn:aws:s3:::{b}" because public policies are blocked by the '
        "BlockPublicPolicy block public access setting.")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=b)
    assert err(e) == ("NoSuchBucketPolicy", "The bucket policy does not exist")

    s3.delete_public_access_block(Bucket=b)
    s3.put_bucket_policy(Bucket=b, Policy=public_read(b))
    assert json.loads(s3.get_bucket_policy(Bucket=b)["Policy"]) == json.loads(public_read(b))
    assert s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is True
    assert anonymous_get(gureum, f"/{b}/hello.txt") == (200, b"hello world")
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", f"{gureum.endpoint}/{b}/hello.txt"],
                             capture_output=True, text=True, timeout=30).stdout
        assert out.splitlines() == ["hello world", "200"]
    # Only what is public: no listing, no writes.
    assert anonymous_get(gureum, f"/{b}?list-type=2")[0] == 403
    req = urllib.request.Request(f"{gureum.endpoint}/{b}/new.txt", data=b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as put:
        urllib.request.urlopen(req, timeout=10)
    assert put.value.code == 403

    # RestrictPublicBuckets shuts the public policy again.
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False,
        "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    assert anonymous_get(gureum, f"/{b}/hello.txt")[0] == 403
    s3.delete_public_access_block(Bucket=b)
    assert anonymous_get(gureum, f"/{b}/hello.txt")[0] == 200


@pytest.mark.parametrize("doc,message", [
    ("not json", "Policies must be valid JSON and the first byte must be '{'"),
    (policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acc-bad/*"}),
     "Missing required field Principal"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::someone-else/*"}), "Policy has invalid resource"),
    (policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::acc-bad"}),
     "Action does not apply to any resource(s) in statement"),
    (policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::acc-bad/*", "Bogus": 1}), "Unknown field Bogus"),
])
def test_malformed_policies_are_refused_with_s3s_messages(s3, doc, message):
    s3.create_bucket(Bucket="acc-bad")
    s3.delete_public_access_block(Bucket="acc-bad")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket="acc-bad", Policy=doc)
    assert err(e) == ("MalformedPolicy", message)


def test_cross_account_needs_the_bucket_policy(gureum, s3, other_s3):
    b = "acc-shared"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="reports/q1.csv", Body=b"a,b")
    s3.put_object(Bucket=b, Key="private/x", Body=b"secret")
    with pytest.raises(ClientError) as e:
        other_s3.get_object(Bucket=b, Key="reports/q1.csv")
    assert err(e)[0] == "AccessDenied"
    # Naming another account is not public: Block Public Access allows it.
    s3.put_bucket_policy(Bucket=b, Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/reports/*"},
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{b}", "Condition": {"StringEquals": {"s3:prefix": "reports/"}}},
    ))
    assert s3.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is False
    assert other_s3.get_object(Bucket=b, Key="reports/q1.csv")["Body"].read() == b"a,b"
    with pytest.raises(ClientError) as e:
        other_s3.get_object(Bucket=b, Key="private/x")
    assert err(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        other_s3.put_object(Bucket=b, Key="reports/q2.csv", Body=b"x")
    assert err(e)[0] == "AccessDenied"
    listed = other_s3.list_objects_v2(Bucket=b, Prefix="reports/")
    assert [o["Key"] for o in listed["Contents"]] == ["reports/q1.csv"]
    with pytest.raises(ClientError) as e:
        other_s3.list_objects_v2(Bucket=b, Prefix="private/")
    assert err(e)[0] == "AccessDenied"
    # Another account never manages the policy.
    with pytest.raises(ClientError) as e:
        other_s3.get_bucket_policy(Bucket=b)
    assert err(e)[0] == "MethodNotAllowed"


def test_an_explicit_deny_binds_root_but_root_keeps_the_policy(gureum, s3):
    b = "acc-deny"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="keep", Body=b"1")
    s3.put_bucket_policy(Bucket=b, Policy=policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": f"arn:aws:s3:::{b}/*"}))
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=b, Key="keep")
    assert err(e) == ("AccessDenied", "Access Denied")
    assert s3.get_object(Bucket=b, Key="keep")["Body"].read() == b"1"
    s3.delete_bucket_policy(Bucket=b)
    s3.delete_object(Bucket=b, Key="keep")


def test_secure_transport_condition_and_persistence(gureum, s3):
    b = "acc-tls"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_policy(Bucket=b, Policy=policy(
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{b}", f"arn:aws:s3:::{b}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}))
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"x")
    assert err(e)[0] == "AccessDenied"
    gureum.restart()
    s3 = gureum.client("s3")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"x")
    assert err(e)[0] == "AccessDenied"
    assert "TlsOnly" in s3.get_bucket_policy(Bucket=b)["Policy"]


def test_iam_user_allowed_by_the_bucket_policy_alone(gureum, s3):
    iam = gureum.client("iam")
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    user_s3 = gureum.client("s3", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    b = "acc-user"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="doc", Body=b"for reader")
    with pytest.raises(ClientError) as e:
        user_s3.get_object(Bucket=b, Key="doc")
    assert err(e)[0] == "AccessDenied"
    s3.put_bucket_policy(Bucket=b, Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/reader"},
         "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}))
    assert user_s3.get_object(Bucket=b, Key="doc")["Body"].read() == b"for reader"
    with pytest.raises(ClientError) as e:
        user_s3.delete_object(Bucket=b, Key="doc")
    code, message = err(e)
    assert code == "AccessDenied"
    assert "arn:aws:iam::000000000000:user/reader is not authorized to perform: s3:DeleteObject" in message


def test_block_public_acls_refuses_public_acls(s3):
    b = "acc-acls"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={
        "Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read")
    assert err(e) == ("AccessDenied", "Access Denied")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=b, ACL="public-read")
    assert err(e)[0] == "AccessDenied"
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_object(Bucket=b, Key="k", Body=b"x", ACL="public-read")


def test_cli_round_trip(gureum):
    b = "acc-cli"
    gureum.aws("s3api", "create-bucket", "--bucket", b)
    gureum.aws("s3api", "put-public-access-block", "--bucket", b,
               "--public-access-block-configuration",
               "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false")
    _, out, _ = gureum.aws("s3api", "get-public-access-block", "--bucket", b)
    assert out["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False
    gureum.aws("s3api", "put-bucket-policy", "--bucket", b, "--policy", public_read(b))
    _, out, _ = gureum.aws("s3api", "get-bucket-policy-status", "--bucket", b)
    assert out == {"PolicyStatus": {"IsPublic": True}}
    rc, _, stderr = gureum.aws("s3api", "put-bucket-policy", "--bucket", b, "--policy", "{", check=False)
    assert rc != 0 and "MalformedPolicy" in stderr
