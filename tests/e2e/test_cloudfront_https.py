"""CloudFront over HTTPS with an ACM certificate, verified by curl against
Gureum's exported root: a distribution with an alias and an issued
us-east-1 certificate serves that alias over TLS; its CloudFront domain is
served with the local CA's edge certificate; ViewerProtocolPolicy
redirect-to-https answers 301 and https-only 403 over plain HTTP; and
certificates CloudFront cannot use are refused with its messages."""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request

import botocore.exceptions
import pytest

from test_elbv2 import wait_for

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
BUCKET = "cf-https-site"


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def https_port(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        return int(json.load(r)["endpoints"]["cloudfront_https"].rsplit(":", 1)[1])


def curl(*args):
    """(returncode, stdout with headers, stderr)."""
    p = subprocess.run(["curl", "-sS", "-i", "--max-time", "10", *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def issued(acm, domain, **kw):
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL", **kw)["CertificateArn"]
    wait_for(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", timeout=20)
    return arn


def config(ref, aliases=(), cert=None, policy="allow-all"):
    c = {"CallerReference": ref, "Comment": ref, "Enabled": True,
         "Origins": {"Quantity": 1, "Items": [{
             "Id": "web", "DomainName": f"{BUCKET}.s3-website-us-east-1.amazonaws.com",
             "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
         "DefaultCacheBehavior": {"TargetOriginId": "web", "ViewerProtocolPolicy": policy, "CachePolicyId": OPTIMIZED},
         "DefaultRootObject": "index.html"}
    if aliases:
        c["Aliases"] = {"Quantity": len(aliases), "Items": list(aliases)}
    if cert:
        c["ViewerCertificate"] = {"ACMCertificateArn": cert, "SSLSupportMethod": "sni-only",
                                  "MinimumProtocolVersion": "TLSv1.2_2021"}
    return c


@pytest.fixture(scope="module")
def site(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.delete_public_access_block(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
    s3.put_bucket_website(Bucket=BUCKET, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"<h1>secure</h1>", ContentType="text/html")
    workdir = tempfile.mkdtemp(prefix="gureum-cf-https-")
    root = os.path.join(workdir, "root.pem")
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/ca.pem") as r, open(root, "wb") as f:
        f.write(r.read())
    yield {"cf": gureum.client("cloudfront"), "acm": gureum.client("acm"), "root": root}
    shutil.rmtree(workdir, ignore_errors=True)


def test_an_alias_is_served_over_https_with_its_acm_certificate(gureum, site):
    cert = issued(site["acm"], "shop.example.test", SubjectAlternativeNames=["*.shop.example.test"])
    dist = site["cf"].create_distribution(DistributionConfig=config(
        "https-alias", ["shop.example.test", "www.shop.example.test"], cert))["Distribution"]
    vc = dist["DistributionConfig"]["ViewerCertificate"]
    assert (vc["ACMCertificateArn"], vc["Certificate"], vc["CertificateSource"]) == (cert, cert, "acm")
    assert vc["CloudFrontDefaultCertificate"] is False and vc["SSLSupportMethod"] == "sni-only"
    port = https_port(gureum)
    for name in ("shop.example.test", "www.shop.example.test"):
        code, out, err = curl("--cacert", site["root"], "--resolve", f"{name}:{port}:127.0.0.1",
                              f"https://{name}:{port}/")
        assert code == 0, err
        assert out.startswith("HTTP/1.1 200") and out.endswith("<h1>secure</h1>")
        assert "x-cache: " in out.lower()
    # A name no certificate covers fails the handshake.
    code, _, err = curl("--cacert", site["root"], "--resolve", f"other.example.test:{port}:127.0.0.1",
                        f"https://other.example.test:{port}/")
    assert code != 0


def test_the_cloudfront_domain_is_served_with_the_local_cas_edge_certificate(gureum, site):
    dist = site["cf"].create_distribution(DistributionConfig=config("https-default"))["Distribution"]
    port = https_port(gureum)
    for name in (dist["DomainName"], f"{dist['Id'].lower()}.cloudfront.localhost"):
        code, out, err = curl("--cacert", site["root"], "--resolve", f"{name}:{port}:127.0.0.1",
                              f"https://{name}:{port}/")
        assert code == 0, err
        assert out.endswith("<h1>secure</h1>")


def test_viewer_protocol_policies_redirect_or_refuse_plain_http(gureum, site):
    cf = site["cf"]
    redirect = cf.create_distribution(DistributionConfig=config("https-redirect", policy="redirect-to-https"))
    only = cf.create_distribution(DistributionConfig=config("https-only", policy="https-only"))
    port = https_port(gureum)
    host = redirect["Distribution"]["DomainName"]
    code, out, _ = curl("-H", f"Host: {host}:{gureum.port}", f"{gureum.endpoint}/index.html?a=1")
    assert out.startswith("HTTP/1.1 301")
    headers = out.lower()
    assert f"location: https://{host}:{port}/index.html?a=1" in headers
    assert "x-cache: redirect from cloudfront" in headers and "server: cloudfront" in headers
    # Following it over HTTPS reaches the site.
    code, out, err = curl("-L", "--cacert", site["root"], "--resolve", f"{host}:{port}:127.0.0.1",
                          "--resolve", f"{host}:{gureum.port}:127.0.0.1", f"http://{host}:{gureum.port}/")
    assert code == 0, err
    assert out.endswith("<h1>secure</h1>")
    host = only["Distribution"]["DomainName"]
    code, out, _ = curl("-H", f"Host: {host}:{gureum.port}", f"{gureum.endpoint}/")
    assert out.startswith("HTTP/1.1 403") and "x-cache: error from cloudfront" in out.lower()
    code, out, err = curl("--cacert", site["root"], "--resolve", f"{host}:{port}:127.0.0.1", f"https://{host}:{port}/")
    assert code == 0 and out.endswith("<h1>secure</h1>"), err


def test_certificates_cloudfront_cannot_use_are_refused_with_its_messages(gureum, site):
    cf, acm = site["cf"], site["acm"]
    unusable = ("InvalidViewerCertificate", "The specified SSL certificate doesn't exist, isn't in us-east-1 "
                "region, isn't valid, or doesn't include a valid certificate chain.", 400)
    west = gureum.client("acm", region="us-west-2")
    elsewhere = issued(west, "west.example.test")
    assert refused(lambda: cf.create_distribution(DistributionConfig=config(
        "west", ["west.example.test"], elsewhere))) == unusable
    pending = acm.request_certificate(DomainName="pending.example.test", ValidationMethod="DNS")["CertificateArn"]
    assert refused(lambda: cf.create_distribution(DistributionConfig=config(
        "pending", ["pending.example.test"], pending))) == unusable
    missing = pending.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    assert refused(lambda: cf.create_distribution(DistributionConfig=config("missing", [], missing))) == unusable
    narrow = issued(acm, "narrow.example.test")
    assert refused(lambda: cf.create_distribution(DistributionConfig=config(
        "narrow", ["wide.example.test"], narrow))) == (
        "InvalidViewerCertificate",
        "The certificate that is attached to your distribution doesn't cover the alternate domain name (CNAME) "
        "that you're trying to add. For more details, see: https://docs.aws.amazon.com/AmazonCloudFront/latest/"
        "DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements", 400)


def test_https_aliases_are_served_again_after_a_restart(gureum, site):
    gureum.restart(kill=True)
    port = https_port(gureum)
    code, out, err = curl("--cacert", site["root"], "--resolve", f"shop.example.test:{port}:127.0.0.1",
                          "https://shop.example.test:" + str(port) + "/")
    assert code == 0, err
    assert out.endswith("<h1>secure</h1>")
