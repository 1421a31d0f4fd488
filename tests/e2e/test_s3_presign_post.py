"""Presigned URLs (SigV2 as boto3 and the CLI make them against a custom
endpoint, and SigV4) and browser POST uploads with a signed policy, fetched
with plain urllib."""
import time
import urllib.error
import urllib.request
import uuid

import pytest


@pytest.fixture(scope="module")
def s3(gureum):
    client = gureum.client("s3")
    client.create_bucket(Bucket="presign-e2e")
    client.put_object(Bucket="presign-e2e", Key="dir/hello world.txt", Body=b"presigned hello")
    return client


def fetch(url, data=None, method=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_sigv2_presigned_get_from_boto3(s3):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "presign-e2e", "Key": "dir/hello world.txt"}, ExpiresIn=60
    )
    assert "Signature=" in url and "AWSAccessKeyId=" in url
    status, body, _ = fetch(url)
    assert (status, body) == (200, b"presigned hello")


def test_sigv2_presigned_url_with_a_wrong_signature_is_refused(s3):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "presign-e2e", "Key": "dir/hello world.txt"}
    )
    tampered = url.replace("hello%20world", "hello%20there")
    status, body, _ = fetch(tampered)
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_sigv4_presigned_get_and_expiry(gureum, s3):
    v4 = gureum.client("s3", signature_version="s3v4")
    url = v4.generate_presigned_url(
        "get_object", Params={"Bucket": "presign-e2e", "Key": "dir/hello world.txt"}, ExpiresIn=1
    )
    assert "X-Amz-Signature=" in url
    status, body, _ = fetch(url)
    assert (status, body) == (200, b"presigned hello")
    time.sleep(2.1)
    status, body, _ = fetch(url)
    assert status == 403 and b"AccessDenied" in body and b"Request has expired" in body


def test_expired_sigv2_url_is_access_denied(s3):
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "presign-e2e", "Key": "dir/hello world.txt"}, ExpiresIn=1
    )
    time.sleep(2.1)
    status, body, _ = fetch(url)
    assert status == 403 and b"Request has expired" in body


def test_presigned_put_uploads_an_object(s3):
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": "presign-e2e", "Key": "uploaded.bin"}, ExpiresIn=60
    )
    # urllib would add a form Content-Type, which the signature does not
    # cover (AWS refuses that too): send none.
    status, _, _ = fetch(url, data=b"put through a presigned url", method="PUT",
                         headers={"Content-Type": ""})
    assert status == 200
    got = s3.get_object(Bucket="presign-e2e", Key="uploaded.bin")["Body"].read()
    assert got == b"put through a presigned url"


def test_cli_presign_is_fetchable(gureum, s3):
    _, out, _ = gureum.aws("s3", "presign", "s3://presign-e2e/dir/hello world.txt", "--expires-in", "60")
    url = out.strip() if isinstance(out, str) else str(out)
    status, body, _ = fetch(url)
    assert (status, body) == (200, b"presigned hello")


def multipart_form(fields, file_bytes, filename="upload.txt"):
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: text/plain\r\n\r\n".encode()
        + file_bytes
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_browser_post_upload_with_a_signed_policy(gureum, s3, signature_version):
    client = gureum.client("s3", signature_version=signature_version) if signature_version else s3
    key = f"posted/{signature_version or 'v2'}/${{filename}}"
    post = client.generate_presigned_post(
        "presign-e2e", key,
        Fields={"success_action_status": "201"},
        Conditions=[["starts-with", "$key", "posted/"], {"success_action_status": "201"},
                    ["content-length-range", 1, 1024]],
        ExpiresIn=60,
    )
    body, ct = multipart_form(post["fields"], b"form upload body", filename="hi.txt")
    status, resp, _ = fetch(post["url"], data=body, method="POST", headers={"Content-Type": ct})
    assert status == 201, resp
    assert b"<PostResponse>" in resp
    final_key = f"posted/{signature_version or 'v2'}/hi.txt"
    assert s3.get_object(Bucket="presign-e2e", Key=final_key)["Body"].read() == b"form upload body"


def test_browser_post_refuses_fields_outside_the_policy(s3):
    post = s3.generate_presigned_post("presign-e2e", "posted/strict.txt", ExpiresIn=60)
    fields = dict(post["fields"], **{"x-amz-meta-sneaky": "1"})
    body, ct = multipart_form(fields, b"x")
    status, resp, _ = fetch(post["url"], data=body, method="POST", headers={"Content-Type": ct})
    assert status == 403 and b"Extra input fields" in resp


def test_browser_post_with_a_forged_signature_is_refused(s3):
    post = s3.generate_presigned_post("presign-e2e", "posted/forged.txt", ExpiresIn=60)
    fields = dict(post["fields"])
    fields["signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    body, ct = multipart_form(fields, b"x")
    status, resp, _ = fetch(post["url"], data=body, method="POST", headers={"Content-Type": ct})
    assert status == 403 and b"SignatureDoesNotMatch" in resp
