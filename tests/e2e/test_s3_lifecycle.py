"""S3 lifecycle end to end: rules validated with S3's messages, and the
engine applying them on Gureum's clock (advanced with /_gureum/clock):
expiration, transitions, noncurrent versions, delete markers, incomplete
multipart uploads, and x-amz-expiration on objects."""
import time

import pytest
from botocore.exceptions import ClientError

from helpers import advance

DAY = 86400


def eventually(check, timeout=10):
    deadline = time.time() + timeout
    while True:
        if check():
            return
        if time.time() > deadline:
            raise AssertionError("the lifecycle engine did not act in time")
        time.sleep(0.2)


def keys(s3, bucket):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


def err(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"]


def test_rules_are_validated_with_s3s_messages(s3):
    s3.create_bucket(Bucket="lc-valid")
    with pytest.raises(ClientError) as e:
        s3.put_bucket_lifecycle_configuration(Bucket="lc-valid", LifecycleConfiguration={"Rules": [
            {"ID": "ia", "Status": "Enabled", "Filter": {"Prefix": ""},
             "Transitions": [{"Days": 7, "StorageClass": "STANDARD_IA"}]}]})
    assert err(e) == ("InvalidArgument",
                      "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_lifecycle_configuration(Bucket="lc-valid")
    assert err(e) == ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")


def test_expiration_and_transition_after_the_clock_advances(gureum, s3):
    b = "lc-expire"
    s3.create_bucket(Bucket=b)
    rules = [
        {"ID": "tmp-1d", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
        {"ID": "big-archive", "Status": "Enabled",
         "Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 3}},
         "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]},
        {"ID": "mpu", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    ]
    out = s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": rules},
                                                 TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    assert out["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    assert [r["ID"] for r in got] == ["tmp-1d", "big-archive", "mpu"]
    put = s3.put_object(Bucket=b, Key="tmp/a", Body=b"x")
    assert 'rule-id="tmp-1d"' in put["Expiration"]
    assert 'rule-id="tmp-1d"' in s3.head_object(Bucket=b, Key="tmp/a")["Expiration"]
    s3.put_object(Bucket=b, Key="keep/b", Body=b"x")
    s3.put_object(Bucket=b, Key="logs/big", Body=b"0123456789")
    s3.put_object(Bucket=b, Key="logs/s", Body=b"0")
    upload = s3.create_multipart_upload(Bucket=b, Key="part")["UploadId"]
    time.sleep(1.5)
    assert sorted(keys(s3, b)) == ["keep/b", "logs/big", "logs/s", "tmp/a"]

    # Days count from the midnight UTC after creation: 3 days covers 2.
    advance(gureum, 3 * DAY)
    eventually(lambda: "tmp/a" not in keys(s3, b))
    assert sorted(keys(s3, b)) == ["keep/b", "logs/big", "logs/s"]
    eventually(lambda: not s3.list_multipart_uploads(Bucket=b).get("Uploads"))
    assert s3.head_object(Bucket=b, Key="logs/big").get("StorageClass", "STANDARD") == "STANDARD"

    advance(gureum, 30 * DAY)
    eventually(lambda: s3.head_object(Bucket=b, Key="logs/big").get("StorageClass") == "STANDARD_IA")
    assert s3.head_object(Bucket=b, Key="logs/s").get("StorageClass", "STANDARD") == "STANDARD"
    with pytest.raises(ClientError):
        s3.abort_multipart_upload(Bucket=b, Key="part", UploadId=upload)


def test_small_objects_do_not_transition_by_default(gureum, s3):
    b = "lc-small"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "glacier", "Status": "Enabled", "Filter": {},
         "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
    got = s3.get_bucket_lifecycle_configuration(Bucket=b)
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    s3.put_object(Bucket=b, Key="small", Body=b"x" * 1024)
    s3.put_object(Bucket=b, Key="large", Body=b"x" * (128 * 1024 + 1))
    advance(gureum, 3 * DAY)
    eventually(lambda: s3.head_object(Bucket=b, Key="large").get("StorageClass") == "GLACIER")
    assert s3.head_object(Bucket=b, Key="small").get("StorageClass", "STANDARD") == "STANDARD"


def test_noncurrent_versions_and_expired_delete_markers(gureum, s3):
    b = "lc-versions"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"v1", b"v2", b"v3", b"v4"):
        s3.put_object(Bucket=b, Key="doc", Body=body)
    s3.put_object(Bucket=b, Key="gone", Body=b"x")
    s3.delete_object(Bucket=b, Key="gone")
    vid = [v["VersionId"] for v in s3.list_object_versions(Bucket=b, Prefix="gone")["Versions"]][0]
    s3.delete_object(Bucket=b, Key="gone", VersionId=vid)  # only the marker is left
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "old", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1},
         "Expiration": {"ExpiredObjectDeleteMarker": True}}]})
    advance(gureum, 2 * DAY + 60)

    def settled():
        out = s3.list_object_versions(Bucket=b)
        return len(out.get("Versions", [])) == 2 and not out.get("DeleteMarkers")
    eventually(settled)
    bodies = [s3.get_object(Bucket=b, Key="doc", VersionId=v["VersionId"])["Body"].read()
              for v in s3.list_object_versions(Bucket=b)["Versions"]]
    assert bodies == [b"v4", b"v3"]


def test_cli_and_delete(gureum, s3):
    _, out, _ = gureum.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "lc-expire")
    assert out["Rules"][0]["Expiration"] == {"Days": 1}
    gureum.aws("s3api", "delete-bucket-lifecycle", "--bucket", "lc-expire")
    rc, _, stderr = gureum.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "lc-expire", check=False)
    assert rc != 0 and "NoSuchLifecycleConfiguration" in stderr
    s3.put_object(Bucket="lc-expire", Key="tmp/later", Body=b"x")
    assert "Expiration" not in s3.head_object(Bucket="lc-expire", Key="tmp/later")
