"""S3 objects end to end: put/get/head/delete, conditions, ranges,
checksums, tags and versions, with boto3 and the aws CLI."""
import base64
import hashlib
import os
import zlib

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket="objects-e2e")
    return "objects-e2e"


def test_put_get_round_trip_with_metadata_and_content_headers(s3, bucket):
    body = b"hello, gureum"
    put = s3.put_object(
        Bucket=bucket, Key="dir/hello.txt", Body=body, ContentType="text/plain",
        Metadata={"Owner": "alice"}, CacheControl="max-age=60",
    )
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    assert put["ServerSideEncryption"] == "AES256"
    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    assert got["Body"].read() == body
    assert got["ContentType"] == "text/plain"
    assert got["ContentLength"] == len(body)
    assert got["Metadata"] == {"owner": "alice"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="dir/hello.txt")
    assert head["ContentLength"] == len(body)
    assert head["AcceptRanges"] == "bytes"


def test_large_object_streams_through_files(s3, bucket):
    body = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="big.bin", Body=body)
    got = s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
    part = s3.get_object(Bucket=bucket, Key="big.bin", Range="bytes=1048570-1048590")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == "bytes 1048570-1048590/%d" % len(body)
    assert part["Body"].read() == body[1048570:1048591]


def test_missing_key_is_no_such_key(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert error_code(e) == "NoSuchKey"
    assert status(e) == 404


def test_ranges_suffix_and_unsatisfiable(s3, bucket):
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="digits", Range="bytes=-3")
    assert r["Body"].read() == b"789"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="digits", Range="bytes=10-")
    assert error_code(e) == "InvalidRange"
    assert status(e) == 416


def test_a_range_ending_at_u64_max_is_the_rest_of_the_object(s3, bucket):
    # The last-byte position is clamped to the object's end; adding one to
    # 2^64 - 1 once overflowed (an empty 206 from a release build).
    s3.put_object(Bucket=bucket, Key="digits", Body=b"0123456789")
    r = s3.get_object(Bucket=bucket, Key="digits", Range="bytes=4-18446744073709551615")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["ContentRange"] == "bytes 4-9/10"
    assert r["Body"].read() == b"456789"


def test_conditional_get_304_and_412(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="cond", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=put["ETag"])
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfMatch='"0000"')
    assert status(e) == 412
    assert error_code(e) == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch=put["ETag"])["Body"].read() == b"x"


def test_conditional_put_if_none_match_star(s3, bucket):
    s3.put_object(Bucket=bucket, Key="once", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"2", IfNoneMatch="*")
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"1"


def test_checksum_crc32_is_verified_and_returned(s3, bucket):
    body = b"checksummed body"
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    put = s3.put_object(Bucket=bucket, Key="crc", Body=body, ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"] == crc
    got = s3.get_object(Bucket=bucket, Key="crc", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == crc
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="crc-bad", Body=body, ChecksumCRC32="AAAAAA==")
    assert error_code(e) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="crc-bad")
    assert status(e) == 404


def test_content_md5_mismatch_is_bad_digest(s3, bucket):
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"body", ContentMD5=wrong)
    assert error_code(e) == "BadDigest"


def test_object_tags_header_and_api(s3, bucket):
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"t", Tagging="a=1&b=two%20words")
    tags = s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "1", "b": "two words"}
    assert s3.head_object(Bucket=bucket, Key="tagged")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": too_many})
    assert error_code(e) == "InvalidTag"
    s3.delete_object_tagging(Bucket=bucket, Key="tagged")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == []


def test_invalid_storage_class_is_refused(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="sc", Body=b"x", StorageClass="PLATINUM")
    assert error_code(e) == "InvalidStorageClass"


def test_delete_objects_quiet_and_loud(s3, bucket):
    for k in ("d1", "d2", "d3"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    loud = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d1"}, {"Key": "d2"}]})
    assert sorted(d["Key"] for d in loud["Deleted"]) == ["d1", "d2"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d3"}], "Quiet": True})
    assert "Deleted" not in quiet
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="d3")


def test_bucket_with_objects_cannot_be_deleted(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert error_code(e) == "BucketNotEmpty"


def test_versions_delete_markers_and_restoring_an_old_version(s3):
    b = "versions-e2e"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=b, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and len(v1) == 32
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=b, Key="k", VersionId=v1)["Body"].read() == b"one"
    deleted = s3.delete_object(Bucket=b, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k")
    assert error_code(e) == "NoSuchKey"
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", VersionId=marker)
    assert status(e) == 405
    # Removing the marker brings the newest version back.
    s3.delete_object(Bucket=b, Key="k", VersionId=marker)
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"two"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", VersionId="A" * 32)
    assert error_code(e) == "NoSuchVersion"


def test_suspended_versioning_writes_null_versions(s3):
    b = "suspended-e2e"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=b, Key="k", Body=b"kept")["VersionId"]
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=b)["Status"] == "Suspended"
    s3.put_object(Bucket=b, Key="k", Body=b"null-1")
    s3.put_object(Bucket=b, Key="k", Body=b"null-2")
    head = s3.head_object(Bucket=b, Key="k")
    assert head["VersionId"] == "null"
    assert s3.get_object(Bucket=b, Key="k", VersionId="null")["Body"].read() == b"null-2"
    assert s3.get_object(Bucket=b, Key="k", VersionId=kept)["Body"].read() == b"kept"


def test_cli_cp_and_rm(gureum, tmp_path):
    gureum.aws("s3", "mb", "s3://cli-objects")
    src = tmp_path / "file.txt"
    src.write_bytes(b"from the cli\n" * 1000)
    gureum.aws("s3", "cp", str(src), "s3://cli-objects/a/file.txt")
    dst = tmp_path / "back.txt"
    gureum.aws("s3", "cp", "s3://cli-objects/a/file.txt", str(dst))
    assert dst.read_bytes() == src.read_bytes()
    gureum.aws("s3", "rm", "s3://cli-objects/a/file.txt")
    rc, _, err = gureum.aws("s3api", "head-object", "--bucket", "cli-objects", "--key", "a/file.txt", check=False)
    assert rc != 0 and "404" in err


def test_objects_survive_kill_9(gureum, s3):
    b = "durable-objects"
    s3.create_bucket(Bucket=b)
    small, large = b"small body", os.urandom(512 * 1024)
    s3.put_object(Bucket=b, Key="small", Body=small)
    s3.put_object(Bucket=b, Key="large", Body=large)
    gureum.restart(kill=True)
    s3b = gureum.client("s3")
    assert s3b.get_object(Bucket=b, Key="small")["Body"].read() == small
    assert s3b.get_object(Bucket=b, Key="large")["Body"].read() == large


def test_refused_puts_never_confuse_the_next_request_on_the_connection(s3, bucket):
    # A PUT refused before its body is read leaves that body on the wire;
    # the server must not parse it as the next request.
    body = os.urandom(200 * 1024)
    for _ in range(40):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="refused", Body=body, StorageClass="PLATINUM")
        assert error_code(e) == "InvalidStorageClass"
        assert s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_keys_that_look_like_paths_stay_keys(gureum, s3, bucket):
    import pathlib
    keys = ["../../escape.txt", "a/../../b", "/leading//double", "한글/키 with spaces", "..", "."]
    for i, k in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x" * (200 * 1024 + i))
    for i, k in enumerate(keys):
        assert len(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) == 200 * 1024 + i
    data = pathlib.Path(gureum.data_dir).resolve()
    assert not (data.parent / "escape.txt").exists()
    assert not (data / "escape.txt").exists()
    # Object files are named by random ids, never by keys.
    names = [p.name for p in (data / "s3-blobs").rglob("*") if p.is_file()]
    assert not any("escape" in n or "." in n for n in names)


def test_replaced_and_deleted_object_files_are_removed(gureum, s3, bucket):
    """Files of overwritten or deleted objects are unlinked (in the
    background, after the commit): the blob area does not grow."""
    import pathlib
    import time

    def files():
        root = pathlib.Path(gureum.data_dir) / "s3-blobs"
        return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name != "tmp")

    def settle(want):
        deadline = time.time() + 5
        while len(files()) != want and time.time() < deadline:
            time.sleep(0.05)
        return len(files())

    before = len(files())
    for i in range(5):
        s3.put_object(Bucket=bucket, Key="replaced", Body=bytes([i]) * (300 * 1024))
    assert settle(before + 1) == before + 1
    assert s3.get_object(Bucket=bucket, Key="replaced")["Body"].read() == bytes([4]) * (300 * 1024)
    s3.delete_object(Bucket=bucket, Key="replaced")
    assert settle(before) == before


def _aws_chunked_put(gureum, bucket, key, data, trailer_crc):
    """A PUT as SDKs stream it over TLS: aws-chunked framing, unsigned
    payload, the CRC32 in a trailer."""
    import socket

    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    body = b""
    for i in range(0, len(data), 8192):
        chunk = data[i:i + 8192]
        body += b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    body += b"0\r\nx-amz-checksum-crc32:" + trailer_crc.encode() + b"\r\n\r\n"
    url = f"http://127.0.0.1:{gureum.port}/{bucket}/{key}"
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(data)),
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-sdk-checksum-algorithm": "CRC32",
    }
    req = botocore.awsrequest.AWSRequest(method="PUT", url=url, data=b"", headers=headers)
    req.context["checksum"] = {"request_algorithm": {"in": "trailer", "algorithm": "crc32"}}
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials("test", "test"), "s3", "us-east-1").add_auth(req)
    head = f"PUT /{bucket}/{key} HTTP/1.1\r\nHost: 127.0.0.1:{gureum.port}\r\n"
    for k, v in req.prepare().headers.items():
        if k.lower() not in ("host", "content-length"):
            head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", gureum.port)) as s:
        s.sendall(head.encode() + body)
        resp = b""
        while chunk := s.recv(65536):
            resp += chunk
    return resp


def test_aws_chunked_upload_with_a_trailing_checksum(gureum, s3, bucket):
    data = os.urandom(300 * 1024)
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    resp = _aws_chunked_put(gureum, bucket, "chunked", data, crc)
    assert resp.startswith(b"HTTP/1.1 200"), resp[:400]
    got = s3.get_object(Bucket=bucket, Key="chunked", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ChecksumCRC32"] == crc
    assert got.get("ContentEncoding") in (None, "")
    resp = _aws_chunked_put(gureum, bucket, "chunked-bad", data, "AAAAAA==")
    assert resp.startswith(b"HTTP/1.1 400") and b"BadDigest" in resp, resp[:400]
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="chunked-bad")
