"""Bad requests get AWS errors (or a timeout), and the server keeps serving."""
import socket
import time
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest


def raw(gureum, data: bytes, timeout=5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", gureum.port), timeout=timeout) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer and close before reading everything
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)


def signed(gureum, method, url, body=b"", headers=None, secret="test", service="sts", region="us-east-1"):
    creds = botocore.credentials.Credentials("test", secret)
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers or {})
    botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
    return req.prepare()


def send(prepared):
    req = urllib.request.Request(prepared.url, data=prepared.body or None, method=prepared.method, headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def still_serving(gureum):
    assert gureum.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_wrong_secret_for_a_known_key_is_signature_does_not_match(gureum):
    p = signed(gureum, "POST", gureum.endpoint + "/", b"Action=GetCallerIdentity&Version=2011-06-15",
               {"Content-Type": "application/x-www-form-urlencoded"}, secret="wrong")
    status, body = send(p)
    assert status == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in body
    still_serving(gureum)


def test_wrong_secret_with_boto3_and_the_cli(gureum):
    sts = gureum.client("sts", secret="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    code, _, err = gureum.aws("s3", "ls", check=False, AWS_SECRET_ACCESS_KEY="nope")
    assert code != 0 and "SignatureDoesNotMatch" in err


def test_expired_presigned_url_is_access_denied(gureum):
    # SigV4 query signing (boto3 presigns S3 with SigV2 unless told otherwise).
    s3 = gureum.client("s3", signature_version="s3v4")
    url = s3.generate_presigned_url("list_buckets", ExpiresIn=1)
    assert "X-Amz-Signature=" in url
    time.sleep(2.1)
    status, body = send(type("P", (), {"url": url, "body": None, "method": "GET", "headers": {}})())
    assert status == 403
    assert "<Code>AccessDenied</Code>" in body
    assert "expired" in body.lower()
    fresh = s3.generate_presigned_url("list_buckets", ExpiresIn=60)
    status, body = send(type("P", (), {"url": fresh, "body": None, "method": "GET", "headers": {}})())
    assert status == 200, body
    assert "ListAllMyBucketsResult" in body


def test_malformed_json_is_a_serialization_error(gureum):
    for body in (b'{"logGroupName": "x"', b"\xff\xfe", b"[1,2", b'{"limit": "many"}'):
        p = signed(gureum, "POST", gureum.endpoint + "/", body,
                   {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
                   service="logs")
        status, text = send(p)
        assert status == 400, (body, text)
        assert "SerializationException" in text, (body, text)
    still_serving(gureum)


def test_malformed_query_strings_get_query_errors(gureum):
    cases = [
        ("sts", b"Action=NoSuchAction&Version=2011-06-15", "InvalidAction"),
        ("sts", b"Version=2011-06-15", "MissingAction"),
        ("ec2", b"Action=DescribeRegions&Version=2016-11-15&AllRegions=maybe", "InvalidParameterValue"),
        ("ec2", b"Action=DescribeRegions&Version=2016-11-15&RegionName.99999999999=x", "InvalidParameterValue"),
    ]
    for service, body, code in cases:
        p = signed(gureum, "POST", gureum.endpoint + "/", body, {"Content-Type": "application/x-www-form-urlencoded"}, service=service)
        status, text = send(p)
        assert status == 400, (body, status, text)
        assert f"<Code>{code}</Code>" in text, (body, text)
    still_serving(gureum)


def test_malformed_xml_is_an_aws_error(gureum):
    body = b"<CreateHostedZoneRequest><Name>example.com"
    p = signed(gureum, "POST", gureum.endpoint + "/2013-04-01/hostedzone", body,
               {"Content-Type": "application/xml"}, service="route53")
    status, text = send(p)
    assert 400 <= status < 600 and status != 500, (status, text)
    assert "<Code>" in text
    still_serving(gureum)


def test_truncated_body_does_not_hang_or_kill_the_server(gureum):
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{\"Lim")
    answer = raw(gureum, head)
    # The client closed early: the server answers 400 or just closes.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    still_serving(gureum)


def test_oversized_headers_are_refused(gureum):
    huge = b"X-Big: " + b"a" * (1024 * 1024) + b"\r\n"
    answer = raw(gureum, b"GET / HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n")
    assert answer == b"" or answer.split(b"\r\n")[0] in (b"HTTP/1.1 431 Request Header Fields Too Large", b"HTTP/1.1 400 Bad Request")
    still_serving(gureum)


def test_slow_client_never_finishing_headers_is_timed_out(gureum):
    s = socket.create_connection(("127.0.0.1", gureum.port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    # Others are served meanwhile.
    still_serving(gureum)
    s.settimeout(30)
    started = time.time()
    data = s.recv(1024)
    waited = time.time() - started
    s.close()
    assert waited < 25
    assert data == b"" or data.startswith(b"HTTP/1.1 408")


def test_unknown_signing_service_is_not_implemented_not_a_500(gureum):
    p = signed(gureum, "POST", gureum.endpoint + "/", b"{}",
               {"Content-Type": "application/x-amz-json-1.1"}, service="sagemaker")
    status, text = send(p)
    assert status == 501
    assert "Gureum does not implement the service sagemaker yet" in text


def test_garbage_requests_never_get_a_500(gureum):
    cases = [
        b"GET /%ff%fe/..%2f..%2fetc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Nope.Nope\r\nContent-Length: 2\r\n\r\n{}",
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 garbage\r\nContent-Length: 0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nAction=",
        b"PUT /bucket/key?uploads&partNumber=x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    ]
    for c in cases:
        answer = raw(gureum, c)
        status = answer.split(b"\r\n")[0]
        assert status.startswith(b"HTTP/1.1 4") or status.startswith(b"HTTP/1.1 501"), (c, answer[:300])
    still_serving(gureum)
