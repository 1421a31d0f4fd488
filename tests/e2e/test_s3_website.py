"""S3 static website hosting end to end: configuration with boto3 and the
aws CLI, the website endpoint on the main port chosen by the Host header
(urllib and curl), index documents, folder redirects, error documents,
redirects, and only public objects served."""
import json
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

B = "web-site"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def site(gureum, path, bucket=B, host_shape="dash", method="GET"):
    """(status, headers, body) from the website endpoint."""
    host = (f"{bucket}.s3-website-us-east-1.localhost:{gureum.port}" if host_shape == "dash"
            else f"{bucket}.s3-website.us-east-1.localhost:{gureum.port}")
    req = urllib.request.Request(gureum.endpoint + path, method=method, headers={"Host": host})
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def public_read(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]})


@pytest.fixture(scope="module")
def s3(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=B)
    for key, body in [("index.html", b"<h1>home</h1>"), ("error.html", b"<h1>oops</h1>"),
                      ("docs/index.html", b"<h1>docs</h1>"), ("page.html", b"<p>page</p>")]:
        s3.put_object(Bucket=B, Key=key, Body=body, ContentType="text/html")
    s3.put_object(Bucket=B, Key="old.html", Body=b"", WebsiteRedirectLocation="/page.html")
    return s3


def test_without_configuration_the_endpoint_says_so(gureum, s3):
    status, headers, body = site(gureum, "/")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b"<li>Code: NoSuchWebsiteConfiguration</li>" in body
    assert f"<li>BucketName: {B}</li>".encode() in body
    with pytest.raises(ClientError) as e:
        s3.get_bucket_website(Bucket=B)
    assert e.value.response["Error"]["Message"] == \
        "The specified bucket does not have a website configuration"


def test_configuration_is_validated(s3):
    with pytest.raises(ClientError) as e:
        s3.put_bucket_website(Bucket=B, WebsiteConfiguration={"ErrorDocument": {"Key": "e.html"}})
    assert e.value.response["Error"]["Message"] == \
        "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_website(Bucket=B, WebsiteConfiguration={"IndexDocument": {"Suffix": "a/b.html"}})
    assert e.value.response["Error"]["Message"] == "The IndexDocument Suffix is not well formed"


def test_private_objects_are_forbidden(gureum, s3):
    s3.put_bucket_website(Bucket=B, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}})
    status, _, body = site(gureum, "/")
    assert status == 403
    assert b"<h1>403 Forbidden</h1>" in body and b"<li>Code: AccessDenied</li>" in body


def test_public_site_serves_index_pages_and_the_error_document(gureum, s3):
    s3.delete_public_access_block(Bucket=B)
    s3.put_bucket_policy(Bucket=B, Policy=public_read(B))
    s3.put_bucket_website(Bucket=B, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "moved/"},
                          "Redirect": {"ReplaceKeyPrefixWith": "docs/", "HttpRedirectCode": "302"}}]})
    assert s3.get_bucket_website(Bucket=B)["IndexDocument"] == {"Suffix": "index.html"}
    status, headers, body = site(gureum, "/")
    assert (status, body) == (200, b"<h1>home</h1>")
    assert headers["Content-Type"] == "text/html"
    assert site(gureum, "/docs/", host_shape="dot")[2] == b"<h1>docs</h1>"
    status, headers, _ = site(gureum, "/docs")
    assert (status, headers["Location"]) == (302, "/docs/")
    status, _, body = site(gureum, "/missing.html")
    assert (status, body) == (404, b"<h1>oops</h1>")
    status, headers, _ = site(gureum, "/old.html")
    assert (status, headers["Location"]) == (301, "/page.html")
    status, headers, _ = site(gureum, "/moved/a.html")
    assert status == 302 and headers["Location"].endswith("/docs/a.html")
    status, _, body = site(gureum, "/", method="HEAD")
    assert status == 200 and body == b""
    if shutil.which("curl"):
        out = subprocess.run(
            ["curl", "-s", "-H", f"Host: {B}.s3-website-us-east-1.localhost:{gureum.port}",
             gureum.endpoint + "/page.html"], capture_output=True, timeout=30).stdout
        assert out == b"<p>page</p>"


def test_missing_page_without_error_document_is_s3s_html(gureum, s3):
    s3.put_bucket_website(Bucket=B, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    status, _, body = site(gureum, "/nope.html")
    assert status == 404
    text = body.decode()
    assert "<title>404 Not Found</title>" in text
    assert "<li>Code: NoSuchKey</li>" in text
    assert "<li>Message: The specified key does not exist.</li>" in text
    assert "<li>Key: nope.html</li>" in text


def test_redirect_all_requests(gureum, s3):
    s3.create_bucket(Bucket="web-redirect")
    s3.put_bucket_website(Bucket="web-redirect", WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}})
    status, headers, _ = site(gureum, "/a/b.html", bucket="web-redirect")
    assert (status, headers["Location"]) == (301, "https://example.com/a/b.html")


def test_cli_round_trip_and_delete(gureum, s3):
    _, out, _ = gureum.aws("s3api", "get-bucket-website", "--bucket", B)
    assert out["IndexDocument"]["Suffix"] == "index.html"
    gureum.aws("s3api", "delete-bucket-website", "--bucket", B)
    status, _, body = site(gureum, "/")
    assert status == 404 and b"NoSuchWebsiteConfiguration" in body
