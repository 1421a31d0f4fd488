"""S3 SSE-KMS through Gureum's KMS, with boto3 and the aws CLI: objects
encrypted at rest under a data key per object that KMS protects (the AWS
managed key aws/s3 made on first use, or a customer key), AWS's response
headers, bucket default encryption, copies, multipart uploads, ranges, a
disabled key refusing reads with KMS's error as S3 relays it, and state
across a crash."""
import base64
import json
import os
import pathlib

import botocore.exceptions
import pytest

BUCKET = "sse-kms-e2e"


@pytest.fixture(scope="module")
def s3(gureum):
    client = gureum.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def kms(gureum):
    return gureum.client("kms")


@pytest.fixture(scope="module")
def key(kms):
    meta = kms.create_key(Description="s3 e2e")["KeyMetadata"]
    kms.create_alias(AliasName="alias/s3-e2e", TargetKeyId=meta["KeyId"])
    return meta


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def on_disk(gureum, needle: bytes) -> bool:
    """Whether any file of the data directory holds `needle`."""
    for path in pathlib.Path(gureum.data_dir).rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            return True
    return False


def test_aws_kms_without_a_key_uses_the_aws_managed_key(s3, kms):
    put = s3.put_object(Bucket=BUCKET, Key="managed", Body=b"hello kms", ServerSideEncryption="aws:kms")
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == managed["Arn"]
    assert "BucketKeyEnabled" not in put
    got = s3.get_object(Bucket=BUCKET, Key="managed")
    assert got["Body"].read() == b"hello kms"
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"]) == ("aws:kms", managed["Arn"])
    head = s3.head_object(Bucket=BUCKET, Key="managed")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", managed["Arn"])


@pytest.mark.parametrize("given", ["alias/s3-e2e", "id", "arn"])
def test_a_customer_key_by_alias_id_or_arn_is_reported_by_its_arn(s3, key, given):
    key_id = {"alias/s3-e2e": "alias/s3-e2e", "id": key["KeyId"], "arn": key["Arn"]}[given]
    put = s3.put_object(Bucket=BUCKET, Key=f"customer-{given}", Body=b"x" * 10,
                        ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id)
    assert put["SSEKMSKeyId"] == key["Arn"]
    assert s3.head_object(Bucket=BUCKET, Key=f"customer-{given}")["SSEKMSKeyId"] == key["Arn"]


def test_context_and_bucket_keys_are_kept_and_reported(s3, key):
    context = base64.b64encode(json.dumps({"team": "storage"}).encode()).decode()
    put = s3.put_object(Bucket=BUCKET, Key="ctx", Body=b"with context", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId="alias/s3-e2e", SSEKMSEncryptionContext=context, BucketKeyEnabled=True)
    assert put["SSEKMSEncryptionContext"] == context
    assert put["BucketKeyEnabled"] is True
    got = s3.get_object(Bucket=BUCKET, Key="ctx")
    assert got["Body"].read() == b"with context"
    assert got["BucketKeyEnabled"] is True


def test_a_context_that_is_not_base64_json_is_refused(s3):
    code, message, status = error(s3.put_object, Bucket=BUCKET, Key="bad-ctx", Body=b"x",
                                  ServerSideEncryption="aws:kms", SSEKMSEncryptionContext="not-json")
    assert (code, status) == ("InvalidArgument", 400)
    assert message == ("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded "
                       "UTF-8 string holding JSON which represents a string-string map")


def test_objects_are_encrypted_at_rest_inline_and_in_files(gureum, s3):
    small, large = os.urandom(16).hex().encode(), os.urandom(16).hex().encode()
    s3.put_object(Bucket=BUCKET, Key="rest-small", Body=b"A" * 100 + small, ServerSideEncryption="aws:kms")
    s3.put_object(Bucket=BUCKET, Key="rest-large", Body=large * 20000, ServerSideEncryption="aws:kms")
    assert s3.get_object(Bucket=BUCKET, Key="rest-large")["Body"].read() == large * 20000
    assert not on_disk(gureum, small)
    assert not on_disk(gureum, large)
    # The search finds what is stored in the clear (user metadata).
    control = os.urandom(16).hex()
    s3.put_object(Bucket=BUCKET, Key="rest-control", Body=b"x", Metadata={"m": control})
    assert on_disk(gureum, control.encode())


def test_ranges_of_a_large_object_decrypt(s3):
    body = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=BUCKET, Key="ranged", Body=body, ServerSideEncryption="aws:kms")
    assert s3.get_object(Bucket=BUCKET, Key="ranged")["Body"].read() == body
    for first, last in [(0, 0), (15, 16), (1_000_000, 2_500_000), (len(body) - 5, len(body) - 1)]:
        got = s3.get_object(Bucket=BUCKET, Key="ranged", Range=f"bytes={first}-{last}")
        assert got["Body"].read() == body[first:last + 1], (first, last)


def test_a_disabled_key_refuses_reads_and_writes_with_kmss_error(s3, kms):
    meta = kms.create_key(Description="to disable")["KeyMetadata"]
    s3.put_object(Bucket=BUCKET, Key="disabled", Body=b"locked away", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=meta["KeyId"])
    kms.disable_key(KeyId=meta["KeyId"])
    code, message, status = error(s3.get_object, Bucket=BUCKET, Key="disabled")
    assert (code, message, status) == ("KMS.DisabledException", f"{meta['Arn']} is disabled.", 400)
    code, message, _ = error(s3.put_object, Bucket=BUCKET, Key="disabled-2", Body=b"x",
                             ServerSideEncryption="aws:kms", SSEKMSKeyId=meta["KeyId"])
    assert (code, message) == ("KMS.DisabledException", f"{meta['Arn']} is disabled.")
    kms.enable_key(KeyId=meta["KeyId"])
    assert s3.get_object(Bucket=BUCKET, Key="disabled")["Body"].read() == b"locked away"


def test_a_key_pending_deletion_refuses_reads(s3, kms):
    meta = kms.create_key()["KeyMetadata"]
    s3.put_object(Bucket=BUCKET, Key="pending", Body=b"x", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=meta["KeyId"])
    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    code, message, _ = error(s3.get_object, Bucket=BUCKET, Key="pending")
    assert (code, message) == ("KMS.KMSInvalidStateException", f"{meta['Arn']} is pending deletion.")


def test_a_key_that_does_not_exist_is_refused(s3):
    code, message, status = error(s3.put_object, Bucket=BUCKET, Key="nokey", Body=b"x",
                                  ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/no-such-key")
    assert (code, status) == ("KMS.NotFoundException", 400)
    assert message == "Alias arn:aws:kms:us-east-1:000000000000:alias/no-such-key is not found."
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket=BUCKET, Key="nokey")


def test_bucket_default_encryption_applies_to_new_objects(s3, key):
    s3.create_bucket(Bucket="sse-default-e2e")
    s3.put_bucket_encryption(Bucket="sse-default-e2e", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/s3-e2e"},
        "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket="sse-default-e2e")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/s3-e2e"}
    assert rule["BucketKeyEnabled"] is True
    put = s3.put_object(Bucket="sse-default-e2e", Key="a", Body=b"default")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == ("aws:kms", key["Arn"], True)
    assert s3.get_object(Bucket="sse-default-e2e", Key="a")["Body"].read() == b"default"
    # An explicit AES256 overrides the default.
    put = s3.put_object(Bucket="sse-default-e2e", Key="b", Body=b"x", ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in put
    s3.delete_bucket_encryption(Bucket="sse-default-e2e")
    rule = s3.get_bucket_encryption(Bucket="sse-default-e2e")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.put_object(Bucket="sse-default-e2e", Key="c", Body=b"x")["ServerSideEncryption"] == "AES256"
    # The object written under the default still reads.
    assert s3.get_object(Bucket="sse-default-e2e", Key="a")["Body"].read() == b"default"


def test_a_kms_master_key_with_aes256_is_refused(s3):
    code, message, status = error(
        s3.put_bucket_encryption, Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]})
    assert (code, status) == ("InvalidArgument", 400)
    assert message == ("a KMSMasterKeyID is not applicable if the default sse algorithm is not "
                       "aws:kms or aws:kms:dsse")


def test_copies_are_encrypted_as_asked_not_as_their_source(s3, key):
    body = os.urandom(300_000)
    s3.put_object(Bucket=BUCKET, Key="copy-src", Body=body, ServerSideEncryption="aws:kms")
    plain = s3.copy_object(Bucket=BUCKET, Key="copy-plain", CopySource=f"{BUCKET}/copy-src")
    assert plain["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=BUCKET, Key="copy-plain")["Body"].read() == body
    other = s3.copy_object(Bucket=BUCKET, Key="copy-kms", CopySource=f"{BUCKET}/copy-plain",
                           ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/s3-e2e")
    assert (other["ServerSideEncryption"], other["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    got = s3.get_object(Bucket=BUCKET, Key="copy-kms")
    assert got["Body"].read() == body and got["SSEKMSKeyId"] == key["Arn"]
    # Re-encrypting in place under another key is a change, so allowed.
    again = s3.copy_object(Bucket=BUCKET, Key="copy-kms", CopySource=f"{BUCKET}/copy-kms",
                           ServerSideEncryption="aws:kms")
    assert again["SSEKMSKeyId"] != key["Arn"]
    assert s3.get_object(Bucket=BUCKET, Key="copy-kms")["Body"].read() == body


def test_multipart_uploads_encrypt_every_part(s3, key):
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mpu", ServerSideEncryption="aws:kms",
                                    SSEKMSKeyId="alias/s3-e2e")
    assert (up["ServerSideEncryption"], up["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    p1, p2 = os.urandom(5 * 1024 * 1024), os.urandom(1000)
    r1 = s3.upload_part(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], PartNumber=1, Body=p1)
    assert (r1["ServerSideEncryption"], r1["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    s3.put_object(Bucket=BUCKET, Key="mpu-src", Body=p2, ServerSideEncryption="aws:kms")
    r2 = s3.upload_part_copy(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], PartNumber=2,
                             CopySource=f"{BUCKET}/mpu-src")
    assert r2["SSEKMSKeyId"] == key["Arn"]
    done = s3.complete_multipart_upload(Bucket=BUCKET, Key="mpu", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["ETag"]}, {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    assert (done["ServerSideEncryption"], done["SSEKMSKeyId"]) == ("aws:kms", key["Arn"])
    got = s3.get_object(Bucket=BUCKET, Key="mpu")
    assert got["Body"].read() == p1 + p2
    # A range across the parts' boundary.
    edge = len(p1)
    got = s3.get_object(Bucket=BUCKET, Key="mpu", Range=f"bytes={edge - 10}-{edge + 9}")
    assert got["Body"].read() == (p1 + p2)[edge - 10:edge + 10]


def test_the_cli_copies_with_sse_kms_both_ways(gureum, s3, tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(os.urandom(200_000))
    gureum.aws("s3", "cp", str(src), f"s3://{BUCKET}/cli", "--sse", "aws:kms", "--sse-kms-key-id", "alias/s3-e2e")
    head = s3.head_object(Bucket=BUCKET, Key="cli")
    assert head["ServerSideEncryption"] == "aws:kms"
    out = tmp_path / "out.bin"
    gureum.aws("s3", "cp", f"s3://{BUCKET}/cli", str(out))
    assert out.read_bytes() == src.read_bytes()


def test_encrypted_objects_survive_a_crash(gureum, s3):
    s3.put_object(Bucket=BUCKET, Key="crash", Body=b"still here", ServerSideEncryption="aws:kms")
    gureum.restart(kill=True)
    s3 = gureum.client("s3")
    got = s3.get_object(Bucket=BUCKET, Key="crash")
    assert got["Body"].read() == b"still here"
    assert got["ServerSideEncryption"] == "aws:kms"
    assert s3.get_bucket_encryption(Bucket="sse-default-e2e")["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
