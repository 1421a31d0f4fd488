"""S3 CORS end to end: rules put and read with boto3 and the aws CLI,
preflight OPTIONS answered from them (403 with S3's XML when no rule
matches), Access-Control-* headers on actual requests."""
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

B = "cors-site"
RULES = [
    {"ID": "app", "AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
     "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]


def http(gureum, method, path, headers):
    """(status, headers, body) of an unsigned request."""
    req = urllib.request.Request(gureum.endpoint + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def error_of(body):
    root = ET.fromstring(body)
    return {c.tag: c.text for c in root}


@pytest.fixture(scope="module")
def s3(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=B)
    s3.put_object(Bucket=B, Key="a.txt", Body=b"hi")
    return s3


def test_a_bucket_without_rules_refuses_preflights(gureum, s3):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=B)
    assert e.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"
    assert e.value.response["Error"]["Message"] == "The CORS configuration does not exist"
    status, _, body = http(gureum, "OPTIONS", f"/{B}/a.txt", {
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
    assert status == 403
    err = error_of(body)
    assert err["Code"] == "AccessForbidden"
    assert err["Message"] == "CORSResponse: CORS is not enabled for this bucket."


def test_rules_round_trip_and_are_validated(gureum, s3):
    s3.put_bucket_cors(Bucket=B, CORSConfiguration={"CORSRules": RULES})
    assert s3.get_bucket_cors(Bucket=B)["CORSRules"] == RULES
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket=B, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]})
    assert e.value.response["Error"]["Message"] == \
        "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket=B, CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": ["http://*.*.com"], "AllowedMethods": ["GET"]}]})
    assert e.value.response["Error"]["Message"] == \
        'AllowedOrigin "http://*.*.com" can not have more than one wildcard.'
    # The valid rules are still there.
    assert len(s3.get_bucket_cors(Bucket=B)["CORSRules"]) == 2


def test_an_allowed_preflight_gets_the_rules_headers(gureum, s3):
    status, headers, _ = http(gureum, "OPTIONS", f"/{B}/a.txt", {
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert headers["Access-Control-Max-Age"] == "600"
    assert headers["Access-Control-Expose-Headers"] == "ETag"
    assert headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.test", "Access-Control-Request-Method": "GET"},
    {"Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"},
    {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET",
     "Access-Control-Request-Headers": "authorization"},
])
def test_a_disallowed_preflight_is_refused(gureum, s3, headers):
    status, h, body = http(gureum, "OPTIONS", f"/{B}/a.txt", headers)
    assert status == 403
    assert "Access-Control-Allow-Origin" not in h
    err = error_of(body)
    assert err["Code"] == "AccessForbidden"
    assert err["Message"].startswith("CORSResponse: This CORS request is not allowed.")
    assert err["ResourceType"] == "OBJECT"


def test_a_preflight_without_origin_is_a_bad_request(gureum, s3):
    status, _, body = http(gureum, "OPTIONS", f"/{B}/a.txt", {"Access-Control-Request-Method": "GET"})
    assert status == 400
    assert error_of(body)["Message"] == "Insufficient information. Origin request header needed."


def test_actual_requests_carry_the_headers(gureum, s3):
    got = s3.get_object(Bucket=B, Key="a.txt")
    assert "access-control-allow-origin" not in got["ResponseMetadata"]["HTTPHeaders"]
    s3.meta.events.register("before-send.s3.GetObject",
                            lambda request, **kw: request.headers.__setitem__("Origin", "https://app.example.com"))
    got = s3.get_object(Bucket=B, Key="a.txt")
    h = got["ResponseMetadata"]["HTTPHeaders"]
    assert h["access-control-allow-origin"] == "https://app.example.com"
    assert h["access-control-expose-headers"] == "ETag"
    assert "Origin" in h["vary"]


def test_cli_and_delete(gureum, s3):
    _, out, _ = gureum.aws("s3api", "get-bucket-cors", "--bucket", B)
    assert out["CORSRules"][0]["ID"] == "app"
    gureum.aws("s3api", "delete-bucket-cors", "--bucket", B)
    status, _, _ = http(gureum, "OPTIONS", f"/{B}/a.txt", {
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"})
    assert status == 403
