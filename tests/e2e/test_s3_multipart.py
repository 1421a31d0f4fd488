"""S3 multipart uploads end to end: boto3's transfer manager, the aws CLI,
and the low-level calls with each of AWS's refusals."""
import base64
import hashlib
import os
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def md5(b):
    return hashlib.md5(b).digest()


def multipart_etag(parts):
    return '"%s-%d"' % (hashlib.md5(b"".join(md5(p) for p in parts)).hexdigest(), len(parts))


@pytest.fixture(scope="module")
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture(scope="module")
def bucket(s3):
    s3.create_bucket(Bucket="multipart-e2e")
    return "multipart-e2e"


def start(s3, bucket, key, **kw):
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kw)["UploadId"]


def test_transfer_manager_upload_and_download_round_trip(s3, bucket, tmp_path):
    data = os.urandom(17 * MiB + 123)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(src), bucket, "big/file.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ContentLength"] == len(data)
    chunks = [data[i:i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    assert head["ETag"] == multipart_etag(chunks)
    dst = tmp_path / "dst.bin"
    s3.download_file(bucket, "big/file.bin", str(dst), Config=config)
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()
    # Each part reads back by number.
    part = s3.get_object(Bucket=bucket, Key="big/file.bin", PartNumber=2)
    assert part["PartsCount"] == 4
    assert part["ContentRange"] == "bytes %d-%d/%d" % (5 * MiB, 10 * MiB - 1, len(data))
    assert part["Body"].read() == chunks[1]


def test_cli_cp_of_a_20_mib_file_uses_multipart(gureum, tmp_path):
    gureum.aws("s3", "mb", "s3://multipart-cli")
    data = os.urandom(20 * MiB)
    src = tmp_path / "cli.bin"
    src.write_bytes(data)
    gureum.aws("s3", "cp", str(src), "s3://multipart-cli/cli.bin")
    _, head, _ = gureum.aws("s3api", "head-object", "--bucket", "multipart-cli", "--key", "cli.bin")
    # The CLI's 8 MiB chunks: a multipart ETag of three parts.
    assert head["ETag"].endswith('-3"')
    assert head["ContentLength"] == len(data)
    dst = tmp_path / "back.bin"
    gureum.aws("s3", "cp", "s3://multipart-cli/cli.bin", str(dst))
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_low_level_upload_with_metadata_and_crc32_full_object(s3, bucket):
    key = "low/level.bin"
    created = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="application/x-test", Metadata={"color": "blue"},
        ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT", Tagging="a=1&b=2",
    )
    assert created["ChecksumAlgorithm"] == "CRC32"
    assert created["ChecksumType"] == "FULL_OBJECT"
    uid = created["UploadId"]
    p1, p2 = os.urandom(5 * MiB), b"the end"
    etags = []
    for n, body in ((1, p1), (2, p2)):
        crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=body, ChecksumCRC32=crc)
        assert r["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
        assert r["ChecksumCRC32"] == crc
        etags.append(r["ETag"])
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": etags[1]}]},
    )
    whole = p1 + p2
    expected_crc = base64.b64encode(zlib.crc32(whole).to_bytes(4, "big")).decode()
    assert done["ETag"] == multipart_etag([p1, p2])
    assert done["ChecksumCRC32"] == expected_crc
    assert done["ChecksumType"] == "FULL_OBJECT"
    assert done["Key"] == key and done["Bucket"] == bucket
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got["Body"].read() == whole
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"color": "blue"}
    assert got["ChecksumCRC32"] == expected_crc
    assert got["TagCount"] == 2


def test_composite_sha256_upload_reports_a_composite_checksum(s3, bucket):
    key = "composite.bin"
    uid = start(s3, bucket, key, ChecksumAlgorithm="SHA256")
    body = b"composite part"
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=body, ChecksumSHA256=sha)
    # Without the part checksum the completion is refused (COMPOSITE).
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"]}]},
        )
    assert error_code(e) == "InvalidRequest"
    assert "It was missing for part 1" in str(e.value)
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"], "ChecksumSHA256": sha}]},
    )
    expected = base64.b64encode(hashlib.sha256(hashlib.sha256(body).digest()).digest()).decode() + "-1"
    assert done["ChecksumSHA256"] == expected
    assert done["ChecksumType"] == "COMPOSITE"


def test_checksum_type_refusals_on_create(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="SHA1", ChecksumType="FULL_OBJECT")
    assert error_code(e) == "InvalidRequest"
    assert "FULL_OBJECT checksum type cannot be used with the sha1" in str(e.value)
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC64NVME", ChecksumType="COMPOSITE")
    assert error_code(e) == "InvalidRequest"


def test_part_number_out_of_range_is_invalid_argument(s3, bucket):
    uid = start(s3, bucket, "range")
    # Repeated on one connection: a refused part's unread body must not be
    # taken for the start of the next request.
    for n in (0, 10001) * 20:
        with pytest.raises(ClientError) as e:
            s3.upload_part(Bucket=bucket, Key="range", UploadId=uid, PartNumber=n, Body=b"x")
        assert error_code(e) == "InvalidArgument"
        assert status(e) == 400
        assert e.value.response["Error"]["ArgumentName"] == "partNumber"
    s3.abort_multipart_upload(Bucket=bucket, Key="range", UploadId=uid)


def test_unknown_upload_is_no_such_upload(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="k", UploadId="does-not-exist", PartNumber=1, Body=b"x")
    assert error_code(e) == "NoSuchUpload"
    assert status(e) == 404
    assert e.value.response["Error"]["UploadId"] == "does-not-exist"


def test_completion_errors(s3, bucket):
    key = "errors.bin"
    uid = start(s3, bucket, key)
    small = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=b"small")["ETag"]
    last = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=2, Body=b"last")["ETag"]

    def complete(parts):
        return s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t} for n, t in parts]},
        )

    with pytest.raises(ClientError) as e:
        complete([(2, last), (1, small)])
    assert error_code(e) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        complete([(1, small), (3, last)])
    assert error_code(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:
        complete([(1, '"00000000000000000000000000000000"'), (2, last)])
    assert error_code(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:
        complete([(1, small), (2, last)])
    assert error_code(e) == "EntityTooSmall"
    assert e.value.response["Error"]["MinSizeAllowed"] == str(5 * MiB)
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": []})
    assert error_code(e) == "MalformedXML"
    # The upload survives refused completions; a valid one works once.
    big = os.urandom(5 * MiB)
    big_etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=big)["ETag"]
    done = complete([(1, big_etag), (2, last)])
    assert done["ETag"] == multipart_etag([big, b"last"])
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == big + b"last"
    with pytest.raises(ClientError) as e:
        complete([(1, big_etag), (2, last)])
    assert error_code(e) == "NoSuchUpload"


def test_complete_honours_if_none_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="exists", Body=b"old")
    uid = start(s3, bucket, "exists")
    etag = s3.upload_part(Bucket=bucket, Key="exists", UploadId=uid, PartNumber=1, Body=b"new")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="exists", UploadId=uid, IfNoneMatch="*",
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
        )
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="exists")["Body"].read() == b"old"
    s3.abort_multipart_upload(Bucket=bucket, Key="exists", UploadId=uid)


def test_upload_part_copy_with_range_and_conditions(s3, bucket):
    src = os.urandom(6 * MiB)
    put = s3.put_object(Bucket=bucket, Key="copy/src dir/source.bin", Body=src)
    uid = start(s3, bucket, "copy/dest.bin")
    r1 = s3.upload_part_copy(
        Bucket=bucket, Key="copy/dest.bin", UploadId=uid, PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "copy/src dir/source.bin"},
        CopySourceRange="bytes=0-%d" % (5 * MiB - 1), CopySourceIfMatch=put["ETag"],
    )
    assert r1["CopyPartResult"]["ETag"] == '"%s"' % hashlib.md5(src[:5 * MiB]).hexdigest()
    r2 = s3.upload_part_copy(
        Bucket=bucket, Key="copy/dest.bin", UploadId=uid, PartNumber=2,
        CopySource="%s/copy/src dir/source.bin" % bucket,  # botocore URL-encodes it
        CopySourceRange="bytes=%d-%d" % (5 * MiB, len(src) - 1),
    )
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(
            Bucket=bucket, Key="copy/dest.bin", UploadId=uid, PartNumber=3,
            CopySource={"Bucket": bucket, "Key": "copy/src dir/source.bin"}, CopySourceIfNoneMatch=put["ETag"],
        )
    assert status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(
            Bucket=bucket, Key="copy/dest.bin", UploadId=uid, PartNumber=3,
            CopySource={"Bucket": bucket, "Key": "copy/src dir/source.bin"}, CopySourceRange="bytes=0-%d" % len(src),
        )
    assert status(e) in (400, 416)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="copy/dest.bin", UploadId=uid,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
            {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]},
        ]},
    )
    assert s3.get_object(Bucket=bucket, Key="copy/dest.bin")["Body"].read() == src


def test_list_parts_pagination(s3, bucket):
    key = "parts.bin"
    uid = start(s3, bucket, key, StorageClass="STANDARD_IA")
    for n in range(1, 8):
        s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=b"p%d" % n)
    page = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid, MaxParts=3)
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2, 3]
    assert page["IsTruncated"] is True
    assert page["NextPartNumberMarker"] == 3
    assert page["StorageClass"] == "STANDARD_IA"
    assert page["Initiator"]["ID"] and page["Owner"]["ID"]
    assert page["Parts"][0]["Size"] == 2
    numbers = []
    for p in s3.get_paginator("list_parts").paginate(
        Bucket=bucket, Key=key, UploadId=uid, PaginationConfig={"PageSize": 2}
    ):
        numbers += [part["PartNumber"] for part in p.get("Parts", [])]
    assert numbers == list(range(1, 8))
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)


def test_list_multipart_uploads_pagination_and_prefixes(s3):
    b = "multipart-listing"
    s3.create_bucket(Bucket=b)
    ids = {}
    for key in ["logs/a", "logs/b", "x1", "x2", "x2", "y"]:
        ids.setdefault(key, []).append(start(s3, b, key))
    everything = []
    for p in s3.get_paginator("list_multipart_uploads").paginate(Bucket=b, PaginationConfig={"PageSize": 2}):
        assert len(p.get("Uploads", [])) <= 2
        everything += [(u["Key"], u["UploadId"]) for u in p.get("Uploads", [])]
    assert sorted(everything) == sorted((k, i) for k, v in ids.items() for i in v)
    rolled = s3.list_multipart_uploads(Bucket=b, Delimiter="/")
    assert [c["Prefix"] for c in rolled["CommonPrefixes"]] == ["logs/"]
    assert [u["Key"] for u in rolled["Uploads"]] == ["x1", "x2", "x2", "y"]
    prefixed = s3.list_multipart_uploads(Bucket=b, Prefix="x")
    assert [u["Key"] for u in prefixed["Uploads"]] == ["x1", "x2", "x2"]
    page = s3.list_multipart_uploads(Bucket=b, MaxUploads=3)
    assert page["IsTruncated"] is True
    assert page["NextKeyMarker"] == "x1"
    # The bucket cannot go while uploads are in progress.
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=b)
    assert error_code(e) == "BucketNotEmpty"
    for key, uploads in ids.items():
        for uid in uploads:
            s3.abort_multipart_upload(Bucket=b, Key=key, UploadId=uid)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=b)
    s3.delete_bucket(Bucket=b)


def test_abort_removes_the_upload(s3, bucket):
    uid = start(s3, bucket, "aborted")
    s3.upload_part(Bucket=bucket, Key="aborted", UploadId=uid, PartNumber=1, Body=b"bytes")
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=uid)
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="aborted", UploadId=uid)
    assert error_code(e) == "NoSuchUpload"
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=uid)
    assert error_code(e) == "NoSuchUpload"
    ups = s3.list_multipart_uploads(Bucket=bucket, Prefix="aborted")
    assert "Uploads" not in ups


def test_s3api_cli_create_upload_complete(gureum, tmp_path):
    gureum.aws("s3", "mb", "s3://multipart-s3api")
    _, created, _ = gureum.aws("s3api", "create-multipart-upload", "--bucket", "multipart-s3api", "--key", "k")
    uid = created["UploadId"]
    part = tmp_path / "part"
    part.write_bytes(b"cli part")
    _, up, _ = gureum.aws(
        "s3api", "upload-part", "--bucket", "multipart-s3api", "--key", "k", "--upload-id", uid,
        "--part-number", "1", "--body", str(part),
    )
    rc, _, err = gureum.aws(
        "s3api", "upload-part", "--bucket", "multipart-s3api", "--key", "k", "--upload-id", uid,
        "--part-number", "0", "--body", str(part), check=False,
    )
    assert rc != 0 and "InvalidArgument" in err
    _, parts, _ = gureum.aws("s3api", "list-parts", "--bucket", "multipart-s3api", "--key", "k", "--upload-id", uid)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1]
    _, ups, _ = gureum.aws("s3api", "list-multipart-uploads", "--bucket", "multipart-s3api")
    assert [u["UploadId"] for u in ups["Uploads"]] == [uid]
    doc = '{"Parts": [{"PartNumber": 1, "ETag": %s}]}' % up["ETag"].replace('"', '\\"').join('""')
    _, done, _ = gureum.aws(
        "s3api", "complete-multipart-upload", "--bucket", "multipart-s3api", "--key", "k", "--upload-id", uid,
        "--multipart-upload", doc,
    )
    assert done["ETag"] == multipart_etag([b"cli part"])
    rc, _, err = gureum.aws(
        "s3api", "complete-multipart-upload", "--bucket", "multipart-s3api", "--key", "k", "--upload-id", uid,
        "--multipart-upload", doc, check=False,
    )
    assert rc != 0 and "NoSuchUpload" in err


def test_multipart_object_survives_kill_9(gureum, s3):
    b = "multipart-durable"
    s3.create_bucket(Bucket=b)
    uid = start(s3, b, "obj")
    p1 = os.urandom(5 * MiB)
    e1 = s3.upload_part(Bucket=b, Key="obj", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part(Bucket=b, Key="obj", UploadId=uid, PartNumber=2, Body=b"tail")["ETag"]
    pending = start(s3, b, "pending")
    s3.upload_part(Bucket=b, Key="pending", UploadId=pending, PartNumber=1, Body=b"kept part")
    s3.complete_multipart_upload(
        Bucket=b, Key="obj", UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    gureum.restart(kill=True)
    s3b = gureum.client("s3")
    assert s3b.get_object(Bucket=b, Key="obj")["Body"].read() == p1 + b"tail"
    parts = s3b.list_parts(Bucket=b, Key="pending", UploadId=pending)["Parts"]
    assert [p["Size"] for p in parts] == [9]
    # The pending upload's part file survived the start-up sweep.
    s3b.complete_multipart_upload(
        Bucket=b, Key="pending", UploadId=pending,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": parts[0]["ETag"]}]},
    )
    assert s3b.get_object(Bucket=b, Key="pending")["Body"].read() == b"kept part"
