"""SSE-C end to end: an object put with a customer key is ciphertext on
disk, cannot be read (GET or HEAD) without its key, refuses a wrong key,
and reads back with it; S3's error texts for bad keys."""
import base64
import hashlib
import os
import pathlib

import pytest
from botocore.exceptions import ClientError

B = "ssec-bucket"
KEY = os.urandom(32)
OTHER = os.urandom(32)
SECRET = b"the plaintext nobody should find on disk " * 8


def err(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e.get("Message"), excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def s3(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=B)
    out = s3.put_object(Bucket=B, Key="secret", Body=SECRET,
                        SSECustomerAlgorithm="AES256", SSECustomerKey=KEY)
    assert out["SSECustomerAlgorithm"] == "AES256"
    assert out["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(KEY).digest()).decode()
    return s3


def test_the_bytes_on_disk_are_not_the_plaintext(gureum, s3):
    found = False
    for path in pathlib.Path(gureum.data_dir).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert b"the plaintext nobody should find" not in data, path
            found = True
    assert found


def test_reads_need_the_key(s3):
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=B, Key="secret")
    assert err(e) == ("InvalidRequest",
                      "The object was stored using a form of Server Side Encryption. "
                      "The correct parameters must be provided to retrieve the object.", 400)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=B, Key="secret")
    assert err(e)[2] == 400
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=B, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER)
    assert err(e)[0] == "AccessDenied"
    got = s3.get_object(Bucket=B, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=KEY)
    assert got["Body"].read() == SECRET
    assert got["SSECustomerAlgorithm"] == "AES256"
    part = s3.get_object(Bucket=B, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=KEY,
                         Range="bytes=4-12")
    assert part["Body"].read() == SECRET[4:13]
    head = s3.head_object(Bucket=B, Key="secret", SSECustomerAlgorithm="AES256", SSECustomerKey=KEY)
    assert head["ContentLength"] == len(SECRET)


def test_bad_keys_are_refused_with_s3s_messages(s3):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=B, Key="k", Body=b"x", SSECustomerAlgorithm="AES256",
                      SSECustomerKey=base64.b64encode(KEY).decode(),
                      SSECustomerKeyMD5=base64.b64encode(b"0" * 16).decode())
    assert err(e)[:2] == ("InvalidArgument",
                          "The calculated MD5 hash of the key did not match the hash that was provided.")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=B, Key="k", Body=b"x", SSECustomerAlgorithm="AES256", SSECustomerKey=b"short")
    assert err(e)[:2] == ("InvalidArgument", "The secret key was invalid for the specified algorithm.")
    s3.put_object(Bucket=B, Key="plain", Body=b"p")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=B, Key="plain", SSECustomerAlgorithm="AES256", SSECustomerKey=KEY)
    assert err(e)[:2] == ("InvalidRequest", "The encryption parameters are not applicable to this object.")
