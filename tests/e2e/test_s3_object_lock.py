"""S3 Object Lock end to end: bucket configuration with default retention,
per-version retention and legal holds, deletes of locked versions refused
(compliance even for root), governance bypass only with
s3:BypassGovernanceRetention, compliance retention extended never shortened."""
import datetime
import json

import pytest
from botocore.exceptions import ClientError

B = "lock-bucket"


def later(days):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


def err(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


@pytest.fixture(scope="module")
def s3(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=B, ObjectLockEnabledForBucket=True)
    return s3


def test_configuration_and_default_retention(s3):
    cfg = s3.get_object_lock_configuration(Bucket=B)["ObjectLockConfiguration"]
    assert cfg == {"ObjectLockEnabled": "Enabled"}
    s3.put_object_lock_configuration(Bucket=B, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    cfg = s3.get_object_lock_configuration(Bucket=B)["ObjectLockConfiguration"]
    assert cfg["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    v = s3.put_object(Bucket=B, Key="default", Body=b"x")["VersionId"]
    r = s3.get_object_retention(Bucket=B, Key="default", VersionId=v)["Retention"]
    assert r["Mode"] == "GOVERNANCE"
    assert later(0.9) < r["RetainUntilDate"] < later(1.1)
    head = s3.head_object(Bucket=B, Key="default")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    s3.put_object_lock_configuration(Bucket=B, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})


def test_a_bucket_without_lock_refuses(s3):
    s3.create_bucket(Bucket="lock-none")
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket="lock-none")
    assert err(e) == ("ObjectLockConfigurationNotFoundError",
                      "Object Lock configuration does not exist for this bucket")
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket="lock-none", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert err(e) == ("InvalidBucketState",
                      "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="lock-none", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=later(1))
    assert err(e) == ("InvalidRequest", "Bucket is missing Object Lock Configuration")


def test_compliance_blocks_even_root_and_only_extends(s3):
    v = s3.put_object(Bucket=B, Key="ledger", Body=b"entry", ObjectLockMode="COMPLIANCE",
                      ObjectLockRetainUntilDate=later(5))["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=B, Key="ledger", VersionId=v)
    assert err(e) == ("AccessDenied", "Access Denied because object protected by object lock.")
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=B, Key="ledger", VersionId=v, BypassGovernanceRetention=True)
    assert err(e)[0] == "AccessDenied"
    out = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "ledger", "VersionId": v}]})
    assert out["Errors"][0]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=B, Key="ledger", VersionId=v,
                                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(2)})
    assert err(e)[0] == "AccessDenied"
    s3.put_object_retention(Bucket=B, Key="ledger", VersionId=v,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(10)})
    r = s3.get_object_retention(Bucket=B, Key="ledger", VersionId=v)["Retention"]
    assert r["RetainUntilDate"] > later(9)
    # A delete without a version id only adds a marker; the version stays.
    s3.delete_object(Bucket=B, Key="ledger")
    assert s3.get_object(Bucket=B, Key="ledger", VersionId=v)["Body"].read() == b"entry"


def test_governance_yields_to_the_bypass_with_permission(gureum, s3):
    iam = gureum.client("iam")
    iam.create_user(UserName="locker")
    iam.put_user_policy(UserName="locker", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
            "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject", "s3:GetObject"],
            "Resource": "*"}]}))
    key = iam.create_access_key(UserName="locker")["AccessKey"]
    user = gureum.client("s3", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    v = s3.put_object(Bucket=B, Key="gov", Body=b"g", ObjectLockMode="GOVERNANCE",
                      ObjectLockRetainUntilDate=later(3))["VersionId"]
    with pytest.raises(ClientError) as e:
        user.delete_object(Bucket=B, Key="gov", VersionId=v)
    assert err(e)[0] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        user.delete_object(Bucket=B, Key="gov", VersionId=v, BypassGovernanceRetention=True)
    assert err(e) == ("AccessDenied", "Access Denied because object protected by object lock.")
    # Root may bypass governance.
    s3.delete_object(Bucket=B, Key="gov", VersionId=v, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=B, Key="gov", VersionId=v)
    assert err(e)[0] in ("NoSuchVersion", "NoSuchKey")


def test_legal_hold(s3, gureum):
    v = s3.put_object(Bucket=B, Key="held", Body=b"h")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object_legal_hold(Bucket=B, Key="held")
    assert err(e) == ("NoSuchObjectLockConfiguration",
                      "The specified object does not have a ObjectLock configuration")
    s3.put_object_legal_hold(Bucket=B, Key="held", VersionId=v, LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=B, Key="held", VersionId=v)["LegalHold"] == {"Status": "ON"}
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=B, Key="held", VersionId=v, BypassGovernanceRetention=True)
    assert err(e)[0] == "AccessDenied"
    gureum.restart()
    s3 = gureum.client("s3")
    assert s3.head_object(Bucket=B, Key="held", VersionId=v)["ObjectLockLegalHoldStatus"] == "ON"
    gureum.aws("s3api", "put-object-legal-hold", "--bucket", B, "--key", "held",
               "--version-id", v, "--legal-hold", "Status=OFF")
    s3.delete_object(Bucket=B, Key="held", VersionId=v)
