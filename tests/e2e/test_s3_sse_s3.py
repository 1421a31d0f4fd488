"""S3 SSE-S3, with boto3 and the aws CLI: every object that is not SSE-KMS
or SSE-C (AWS's default encryption since 2023) is encrypted at rest under
a data key of its own, sealed by S3's master key; GET returns the bytes,
responses say `ServerSideEncryption: AES256`, and ranges, multipart
uploads, copies, conditional reads and checksums stay byte-exact, across a
crash."""
import os
import pathlib

import pytest

BUCKET = "sse-s3-e2e"


@pytest.fixture(scope="module")
def s3(gureum):
    client = gureum.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def on_disk(gureum, needle: bytes) -> bool:
    """Whether any file of the data directory holds `needle`."""
    for path in pathlib.Path(gureum.data_dir).rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            return True
    return False


def marker() -> bytes:
    return os.urandom(16).hex().encode()


def test_objects_without_kms_or_a_customer_key_are_ciphertext_on_disk(gureum, s3):
    small, large, explicit = marker(), marker(), marker()
    r = s3.put_object(Bucket=BUCKET, Key="small", Body=b"A" * 100 + small)
    assert r["ServerSideEncryption"] == "AES256"
    s3.put_object(Bucket=BUCKET, Key="large", Body=large * 20000)
    s3.put_object(Bucket=BUCKET, Key="explicit", Body=explicit * 10, ServerSideEncryption="AES256")
    got = s3.get_object(Bucket=BUCKET, Key="large")
    assert got["ServerSideEncryption"] == "AES256"
    assert got["Body"].read() == large * 20000
    assert s3.get_object(Bucket=BUCKET, Key="small")["Body"].read() == b"A" * 100 + small
    assert s3.head_object(Bucket=BUCKET, Key="explicit")["ServerSideEncryption"] == "AES256"
    for m in (small, large, explicit):
        assert not on_disk(gureum, m)
    # The search does find what is stored in the clear (user metadata).
    control = marker().decode()
    s3.put_object(Bucket=BUCKET, Key="control", Body=b"x", Metadata={"m": control})
    assert on_disk(gureum, control.encode())


def test_ranges_conditions_and_checksums_of_an_encrypted_object_are_exact(s3):
    body = os.urandom(3 * 1024 * 1024 + 17)
    put = s3.put_object(Bucket=BUCKET, Key="ranged", Body=body, ChecksumAlgorithm="SHA256")
    got = s3.get_object(Bucket=BUCKET, Key="ranged", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    assert got["ChecksumSHA256"] == put["ChecksumSHA256"]
    for first, last in [(0, 0), (15, 16), (1_000_000, 2_500_000), (len(body) - 5, len(body) - 1)]:
        r = s3.get_object(Bucket=BUCKET, Key="ranged", Range=f"bytes={first}-{last}")
        assert r["Body"].read() == body[first:last + 1], (first, last)
    r = s3.get_object(Bucket=BUCKET, Key="ranged", IfMatch=put["ETag"], Range="bytes=-10")
    assert r["Body"].read() == body[-10:]


def test_multipart_parts_and_part_copies_are_encrypted_and_read_back(gureum, s3):
    p1 = marker() * (5 * 1024 * 1024 // 32)
    p2 = marker() * 10
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu")
    assert up["ServerSideEncryption"] == "AES256"
    r1 = s3.upload_part(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], PartNumber=1, Body=p1)
    s3.put_object(Bucket=BUCKET, Key="mpu-src", Body=b"head" + p2)
    r2 = s3.upload_part_copy(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], PartNumber=2,
                             CopySource=f"{BUCKET}/mpu-src", CopySourceRange=f"bytes=4-{len(p2) + 3}")
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["ETag"]}, {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=BUCKET, Key="mpu")["Body"].read() == p1 + p2
    edge = len(p1)
    r = s3.get_object(Bucket=BUCKET, Key="mpu", Range=f"bytes={edge - 10}-{edge + 9}")
    assert r["Body"].read() == (p1 + p2)[edge - 10:edge + 10]
    assert not on_disk(gureum, p1[:32])
    assert not on_disk(gureum, p2[:32])


def test_copies_keep_etag_and_checksum_and_are_encrypted_under_their_own_key(gureum, s3):
    body = marker() * 10000
    src = s3.put_object(Bucket=BUCKET, Key="copy-src", Body=body, ChecksumAlgorithm="CRC32")
    r = s3.copy_object(Bucket=BUCKET, Key="copy-dst", CopySource=f"{BUCKET}/copy-src")
    assert r["ServerSideEncryption"] == "AES256"
    assert r["CopyObjectResult"]["ETag"] == src["ETag"]
    assert r["CopyObjectResult"]["ChecksumCRC32"] == src["ChecksumCRC32"]
    assert s3.get_object(Bucket=BUCKET, Key="copy-dst")["Body"].read() == body
    # Re-encrypting in place (a copy to itself asking for AES256).
    s3.copy_object(Bucket=BUCKET, Key="copy-src", CopySource=f"{BUCKET}/copy-src",
                   ServerSideEncryption="AES256")
    assert s3.get_object(Bucket=BUCKET, Key="copy-src")["Body"].read() == body
    assert not on_disk(gureum, body[:32])


def test_the_cli_round_trips_a_file_through_sse_s3(gureum, s3, tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(os.urandom(300_000))
    gureum.aws("s3", "cp", str(src), f"s3://{BUCKET}/cli", "--sse", "AES256")
    out = tmp_path / "out.bin"
    gureum.aws("s3", "cp", f"s3://{BUCKET}/cli", str(out))
    assert out.read_bytes() == src.read_bytes()


def test_encrypted_objects_survive_a_crash(gureum, s3):
    small, large = marker(), marker() * 10000
    s3.put_object(Bucket=BUCKET, Key="crash-small", Body=small)
    s3.put_object(Bucket=BUCKET, Key="crash-large", Body=large)
    gureum.restart(kill=True)
    s3 = gureum.client("s3")
    got = s3.get_object(Bucket=BUCKET, Key="crash-small")
    assert got["Body"].read() == small
    assert got["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=BUCKET, Key="crash-large")["Body"].read() == large
    assert not on_disk(gureum, small)
