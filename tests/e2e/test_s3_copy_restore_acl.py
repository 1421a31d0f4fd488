"""S3 CopyObject, RestoreObject, ACLs / Object Ownership and
GetObjectAttributes end to end, with boto3 and the aws CLI."""
import datetime
import hashlib
import json
import os
import urllib.request

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def advance_clock(gureum, seconds):
    req = urllib.request.Request(
        gureum.endpoint + "/_gureum/clock", method="POST",
        data=json.dumps({"advance_seconds": seconds}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        r.read()


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture(scope="module")
def buckets(s3):
    for b in ("copy-src", "copy-dst"):
        s3.create_bucket(Bucket=b)
    return "copy-src", "copy-dst"


def test_copy_directive_copy_keeps_metadata_and_tags(s3, buckets):
    src, dst = buckets
    s3.put_object(Bucket=src, Key="a.txt", Body=b"hello", ContentType="text/plain",
                  Metadata={"colour": "blue"}, Tagging="team=core")
    out = s3.copy_object(Bucket=dst, Key="b.txt", CopySource={"Bucket": src, "Key": "a.txt"})
    assert out["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(b"hello").hexdigest()
    assert isinstance(out["CopyObjectResult"]["LastModified"], datetime.datetime)
    got = s3.get_object(Bucket=dst, Key="b.txt")
    assert got["Body"].read() == b"hello"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"colour": "blue"}
    tags = s3.get_object_tagging(Bucket=dst, Key="b.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "core"}]


def test_copy_directive_replace_takes_new_metadata(s3, buckets):
    src, dst = buckets
    s3.put_object(Bucket=src, Key="r.txt", Body=b"x", ContentType="text/plain", Metadata={"old": "1"})
    s3.copy_object(Bucket=dst, Key="r.txt", CopySource=f"{src}/r.txt", MetadataDirective="REPLACE",
                   ContentType="application/json", Metadata={"new": "2"},
                   TaggingDirective="REPLACE", Tagging="a=b")
    head = s3.head_object(Bucket=dst, Key="r.txt")
    assert head["ContentType"] == "application/json"
    assert head["Metadata"] == {"new": "2"}
    assert s3.get_object_tagging(Bucket=dst, Key="r.txt")["TagSet"] == [{"Key": "a", "Value": "b"}]


def test_copy_of_a_key_needing_url_encoding(s3, buckets):
    src, dst = buckets
    key = "dir/a b+c&d?.txt"
    s3.put_object(Bucket=src, Key=key, Body=b"odd")
    s3.copy_object(Bucket=dst, Key="odd", CopySource={"Bucket": src, "Key": key})
    assert s3.get_object(Bucket=dst, Key="odd")["Body"].read() == b"odd"


def test_copy_onto_itself_needs_a_change(s3, buckets):
    src, _ = buckets
    s3.put_object(Bucket=src, Key="self", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=src, Key="self", CopySource={"Bucket": src, "Key": "self"})
    assert error_code(e) == "InvalidRequest"
    assert status(e) == 400
    assert "copy an object to itself without changing" in e.value.response["Error"]["Message"]
    s3.copy_object(Bucket=src, Key="self", CopySource={"Bucket": src, "Key": "self"},
                   MetadataDirective="REPLACE", Metadata={"v": "2"})
    assert s3.head_object(Bucket=src, Key="self")["Metadata"] == {"v": "2"}
    s3.copy_object(Bucket=src, Key="self", CopySource={"Bucket": src, "Key": "self"},
                   StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=src, Key="self")["StorageClass"] == "STANDARD_IA"


def test_copy_missing_sources(s3, buckets):
    src, dst = buckets
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="x", CopySource={"Bucket": src, "Key": "nope"})
    assert (error_code(e), status(e)) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="x", CopySource={"Bucket": "no-such-bucket-xyz", "Key": "a"})
    assert (error_code(e), status(e)) == ("NoSuchBucket", 404)
    s3.put_object(Bucket=src, Key="v", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="x", CopySource={"Bucket": src, "Key": "v", "VersionId": "missing"})
    assert (error_code(e), status(e)) == ("NoSuchVersion", 404)


def test_copy_conditions(s3, buckets):
    src, dst = buckets
    etag = s3.put_object(Bucket=src, Key="cond", Body=b"c")["ETag"]
    source = {"Bucket": src, "Key": "cond"}
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="c", CopySource=source, CopySourceIfMatch='"0000"')
    assert (error_code(e), status(e)) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="c", CopySource=source, CopySourceIfNoneMatch=etag)
    assert (error_code(e), status(e)) == ("PreconditionFailed", 412)
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="c", CopySource=source, CopySourceIfModifiedSince=future)
    assert (error_code(e), status(e)) == ("PreconditionFailed", 412)
    past = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="c", CopySource=source, CopySourceIfUnmodifiedSince=past)
    assert (error_code(e), status(e)) == ("PreconditionFailed", 412)
    s3.copy_object(Bucket=dst, Key="c", CopySource=source, CopySourceIfMatch=etag,
                   CopySourceIfUnmodifiedSince=past)
    assert s3.get_object(Bucket=dst, Key="c")["Body"].read() == b"c"


def test_copy_changes_checksum_algorithm_and_keeps_large_bytes(s3, buckets):
    src, dst = buckets
    body = os.urandom(2 * 1024 * 1024 + 5)
    s3.put_object(Bucket=src, Key="big", Body=body)
    out = s3.copy_object(Bucket=dst, Key="big", CopySource={"Bucket": src, "Key": "big"},
                         ChecksumAlgorithm="SHA256")
    import base64
    assert out["CopyObjectResult"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    s3.delete_object(Bucket=src, Key="big")
    got = s3.get_object(Bucket=dst, Key="big")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()


def test_versioned_copy_reports_version_ids(s3):
    s3.create_bucket(Bucket="copy-versions")
    s3.put_bucket_versioning(Bucket="copy-versions", VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket="copy-versions", Key="k", Body=b"one")["VersionId"]
    s3.put_object(Bucket="copy-versions", Key="k", Body=b"two")
    out = s3.copy_object(Bucket="copy-versions", Key="k",
                         CopySource={"Bucket": "copy-versions", "Key": "k", "VersionId": v1})
    assert out["CopySourceVersionId"] == v1
    assert out["VersionId"] not in (None, v1)
    assert s3.get_object(Bucket="copy-versions", Key="k")["Body"].read() == b"one"


def test_cli_cp_and_mv_between_buckets(gureum, s3, buckets):
    src, dst = buckets
    s3.put_object(Bucket=src, Key="cli/x.txt", Body=b"via cli", ContentType="text/plain")
    gureum.aws("s3", "cp", f"s3://{src}/cli/x.txt", f"s3://{dst}/cli/y.txt")
    assert s3.get_object(Bucket=dst, Key="cli/y.txt")["Body"].read() == b"via cli"
    assert s3.head_object(Bucket=src, Key="cli/x.txt")["ContentLength"] == 7
    gureum.aws("s3", "mv", f"s3://{src}/cli/x.txt", f"s3://{dst}/cli/moved.txt")
    assert s3.get_object(Bucket=dst, Key="cli/moved.txt")["Body"].read() == b"via cli"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=src, Key="cli/x.txt")
    assert status(e) == 404


def test_restore_flow_on_the_clock(gureum, s3, buckets):
    src, dst = buckets
    s3.put_object(Bucket=src, Key="cold", Body=b"frozen", StorageClass="GLACIER")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=src, Key="cold")
    assert (error_code(e), status(e)) == ("InvalidObjectState", 403)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="warm", CopySource={"Bucket": src, "Key": "cold"})
    assert (error_code(e), status(e)) == ("InvalidObjectState", 403)
    req = {"Days": 2, "GlacierJobParameters": {"Tier": "Standard"}}
    r = s3.restore_object(Bucket=src, Key="cold", RestoreRequest=req)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 202
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=src, Key="cold", RestoreRequest=req)
    assert (error_code(e), status(e)) == ("RestoreAlreadyInProgress", 409)
    assert s3.head_object(Bucket=src, Key="cold")["Restore"] == 'ongoing-request="true"'
    advance_clock(gureum, 5 * 3600)
    head = s3.head_object(Bucket=src, Key="cold")
    assert head["Restore"].startswith('ongoing-request="false", expiry-date="')
    assert head["Restore"].endswith('00:00:00 GMT"')
    assert s3.get_object(Bucket=src, Key="cold")["Body"].read() == b"frozen"
    r = s3.restore_object(Bucket=src, Key="cold", RestoreRequest={"Days": 5})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # A permanent copy in STANDARD, the documented way out of the archive.
    s3.copy_object(Bucket=dst, Key="warm", CopySource={"Bucket": src, "Key": "cold"})
    assert s3.get_object(Bucket=dst, Key="warm")["Body"].read() == b"frozen"
    # The CLI copies archived objects only when x-amz-restore says done.
    gureum.aws("s3", "cp", f"s3://{src}/cold", f"s3://{dst}/warm-cli")
    assert s3.get_object(Bucket=dst, Key="warm-cli")["Body"].read() == b"frozen"
    advance_clock(gureum, 7 * 86400)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=src, Key="cold")
    assert error_code(e) == "InvalidObjectState"
    assert "Restore" not in s3.head_object(Bucket=src, Key="cold")


def test_restore_refusals(s3, buckets):
    src, _ = buckets
    s3.put_object(Bucket=src, Key="hot", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=src, Key="hot", RestoreRequest={"Days": 1})
    assert (error_code(e), status(e)) == ("InvalidObjectState", 403)
    assert "Restore is not allowed" in e.value.response["Error"]["Message"]
    s3.put_object(Bucket=src, Key="deep", Body=b"x", StorageClass="DEEP_ARCHIVE")
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=src, Key="deep",
                          RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
    assert (error_code(e), status(e)) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=src, Key="missing", RestoreRequest={"Days": 1})
    assert (error_code(e), status(e)) == ("NoSuchKey", 404)


def test_cli_restore_object(gureum, s3, buckets):
    src, _ = buckets
    s3.put_object(Bucket=src, Key="cli-cold", Body=b"x", StorageClass="DEEP_ARCHIVE")
    gureum.aws("s3api", "restore-object", "--bucket", src, "--key", "cli-cold",
               "--restore-request", '{"Days":1,"GlacierJobParameters":{"Tier":"Bulk"}}')
    _, head, _ = gureum.aws("s3api", "head-object", "--bucket", src, "--key", "cli-cold")
    assert head["Restore"] == 'ongoing-request="true"'
    assert head["StorageClass"] == "DEEP_ARCHIVE"


def test_acls_are_refused_while_bucket_owner_enforced(s3, buckets):
    src, _ = buckets
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=src, Key="pub", Body=b"x", ACL="public-read")
    assert (error_code(e), status(e)) == ("AccessControlListNotSupported", 400)
    assert e.value.response["Error"]["Message"] == "The bucket does not allow ACLs"
    s3.put_object(Bucket=src, Key="pub", Body=b"x", ACL="bucket-owner-full-control")
    acl = s3.get_object_acl(Bucket=src, Key="pub")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"
    assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    with pytest.raises(ClientError) as e:
        s3.put_object_acl(Bucket=src, Key="pub", ACL="public-read")
    assert error_code(e) == "AccessControlListNotSupported"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_acl(Bucket=src, ACL="public-read")
    assert error_code(e) == "AccessControlListNotSupported"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=src, Key="pub2", CopySource={"Bucket": src, "Key": "pub"}, ACL="public-read")
    assert error_code(e) == "AccessControlListNotSupported"


def test_ownership_controls_enable_canned_acls(s3):
    b = "acl-enabled"
    s3.create_bucket(Bucket=b)
    # New buckets block public ACLs (AWS's default since 2023).
    s3.delete_public_access_block(Bucket=b)
    s3.put_bucket_ownership_controls(
        Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    rules = s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    s3.put_object(Bucket=b, Key="o", Body=b"x", ACL="public-read")
    grants = s3.get_object_acl(Bucket=b, Key="o")["Grants"]
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in grants
    s3.put_object_acl(Bucket=b, Key="o", ACL="private")
    assert len(s3.get_object_acl(Bucket=b, Key="o")["Grants"]) == 1
    s3.put_bucket_acl(Bucket=b, ACL="authenticated-read")
    perms = [(g["Grantee"].get("URI"), g["Permission"]) for g in s3.get_bucket_acl(Bucket=b)["Grants"]]
    assert ("http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "READ") in perms
    with pytest.raises(ClientError) as e:
        s3.put_bucket_ownership_controls(
            Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert (error_code(e), status(e)) == ("InvalidBucketAclWithObjectOwnership", 400)
    s3.delete_bucket_ownership_controls(Bucket=b)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_ownership_controls(Bucket=b)
    assert (error_code(e), status(e)) == ("OwnershipControlsNotFoundError", 404)


def test_explicit_grants_round_trip(s3):
    b = "acl-grants"
    s3.create_bucket(Bucket=b, ObjectOwnership="ObjectWriter")
    s3.put_object(Bucket=b, Key="g", Body=b"x")
    owner = s3.get_object_acl(Bucket=b, Key="g")["Owner"]
    policy = {
        "Owner": owner,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
             "Permission": "WRITE"},
        ],
    }
    s3.put_object_acl(Bucket=b, Key="g", AccessControlPolicy=policy)
    grants = s3.get_object_acl(Bucket=b, Key="g")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL", "WRITE"]
    assert grants[1]["Grantee"]["URI"] == "http://acs.amazonaws.com/groups/s3/LogDelivery"
    with pytest.raises(ClientError) as e:
        s3.put_object_acl(Bucket=b, Key="g", GrantRead='uri="http://example.com/nobody"')
    assert error_code(e) == "InvalidArgument"


def test_get_object_attributes(s3, buckets):
    src, _ = buckets
    s3.put_object(Bucket=src, Key="attrs", Body=b"12345", ChecksumAlgorithm="SHA256")
    out = s3.get_object_attributes(Bucket=src, Key="attrs",
                                   ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass"])
    assert out["ETag"] == hashlib.md5(b"12345").hexdigest()
    assert out["ObjectSize"] == 5
    assert out["StorageClass"] == "STANDARD"
    import base64
    assert out["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"12345").digest()).decode()
    assert "ObjectParts" not in out
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=src, Key="nope", ObjectAttributes=["ETag"])
    assert (error_code(e), status(e)) == ("NoSuchKey", 404)


def test_bad_input_is_refused_not_crashing(gureum, s3, buckets):
    src, dst = buckets
    for bad in ("justabucket", "/", f"{src}/"):
        with pytest.raises(ClientError) as e:
            s3.copy_object(Bucket=dst, Key="bad", CopySource=bad)
        assert (error_code(e), status(e)) == ("InvalidArgument", 400), bad
    # boto3 URL-encodes the string it is given: "%ff" names a bucket.
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="bad", CopySource="%ff%fe/key")
    assert (error_code(e), status(e)) == ("NoSuchBucket", 404)
    s3.put_object(Bucket=src, Key="d", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=dst, Key="bad", CopySource=f"{src}/d", MetadataDirective="MERGE")
    assert error_code(e) == "InvalidArgument"
    s3.put_object(Bucket=src, Key="g", Body=b"x", StorageClass="GLACIER")
    for req in ({"Days": -5}, {"Days": 2147483647, "GlacierJobParameters": {"Tier": "Bulk"}}):
        try:
            s3.restore_object(Bucket=src, Key="g", RestoreRequest=req)
        except ClientError as e:
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=src, Key="d", ObjectAttributes=["Colour"])
    assert error_code(e) == "InvalidArgument"
    # The server is still there.
    assert s3.head_object(Bucket=src, Key="d")["ContentLength"] == 1


def test_copy_of_a_multipart_object_is_one_part(s3, buckets):
    src, dst = buckets
    part1 = os.urandom(5 * 1024 * 1024)
    part2 = b"tail" * 1000
    up = s3.create_multipart_upload(Bucket=src, Key="mpu")["UploadId"]
    e1 = s3.upload_part(Bucket=src, Key="mpu", UploadId=up, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=src, Key="mpu", UploadId=up, PartNumber=2, Body=part2)["ETag"]
    done = s3.complete_multipart_upload(
        Bucket=src, Key="mpu", UploadId=up,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert done["ETag"].endswith('-2"')
    attrs = s3.get_object_attributes(Bucket=src, Key="mpu", ObjectAttributes=["ObjectParts", "ObjectSize"])
    assert attrs["ObjectParts"]["TotalPartsCount"] == 2
    assert attrs["ObjectSize"] == len(part1) + len(part2)
    out = s3.copy_object(Bucket=dst, Key="mpu-copy", CopySource={"Bucket": src, "Key": "mpu"})
    body = part1 + part2
    assert out["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    got = s3.get_object(Bucket=dst, Key="mpu-copy")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
