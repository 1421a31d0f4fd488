"""S3's errors reach botocore and the aws CLI with AWS's code, message and
the members S3 writes beside them (crates/gureum-s3/src/errors.rs)."""
import botocore.exceptions
import pytest


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response


def test_missing_bucket_and_key_carry_their_names(gureum):
    s3 = gureum.client("s3")
    r = error(s3.list_objects_v2, Bucket="no-such-bucket-e2e")
    assert r["Error"]["Code"] == "NoSuchBucket"
    assert r["Error"]["Message"] == "The specified bucket does not exist"
    assert r["Error"]["BucketName"] == "no-such-bucket-e2e"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.create_bucket(Bucket="errors-e2e")
    r = error(s3.get_object, Bucket="errors-e2e", Key="nope")
    assert (r["Error"]["Code"], r["Error"]["Message"]) == ("NoSuchKey", "The specified key does not exist.")
    assert r["Error"]["Key"] == "nope"


def test_a_non_empty_bucket_is_not_deleted(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="errors-full-e2e")
    s3.put_object(Bucket="errors-full-e2e", Key="k", Body=b"x")
    r = error(s3.delete_bucket, Bucket="errors-full-e2e")
    assert r["Error"]["Code"] == "BucketNotEmpty"
    assert r["Error"]["Message"] == "The bucket you tried to delete is not empty"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_invalid_arguments_name_the_argument(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="errors-arg-e2e")
    s3.put_object(Bucket="errors-arg-e2e", Key="k", Body=b"x")
    r = error(s3.copy_object, Bucket="errors-arg-e2e", Key="c", CopySource="errors-arg-e2e/k",
              MetadataDirective="SOMETIMES")
    assert r["Error"]["Code"] == "InvalidArgument"
    assert r["Error"]["Message"] == "Unknown metadata directive."
    assert r["Error"]["ArgumentName"] == "x-amz-metadata-directive"
    assert r["Error"]["ArgumentValue"] == "SOMETIMES"


def test_the_cli_prints_the_message(gureum):
    rc, _, stderr = gureum.aws("s3api", "head-object", "--bucket", "no-such-bucket-e2e", "--key", "k", check=False)
    assert rc != 0 and "404" in stderr
    rc, _, stderr = gureum.aws("s3api", "get-bucket-tagging", "--bucket", "no-such-bucket-e2e", check=False)
    assert rc != 0
    assert "NoSuchBucket" in stderr and "The specified bucket does not exist" in stderr
