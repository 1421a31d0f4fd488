"""CloudFront end to end: distributions with boto3 and the aws CLI, and the
real edge on the main port (`ID.cloudfront.localhost`): an S3 website
origin with its default root object, Miss then Hit, invalidations; a
custom origin (a loopback http.server) behind a path behaviour; origin
group failover; custom error pages; AWS's errors with their messages; and
everything still there after a restart."""
import gzip
import http.server
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError
from helpers import advance

OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
SIMPLE_CORS = "60669652-455b-4ae9-85a4-c4c02393f86c"
SITE = "cf-site"
ASSETS = "cf-assets"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def edge(gureum, host, path="/", headers=None, method="GET"):
    """(status, headers, body) from the edge for `host`."""
    req = urllib.request.Request(gureum.endpoint + path, method=method,
                                 headers={"Host": f"{host}:{gureum.port}", **(headers or {})})
    try:
        with OPENER.open(req, timeout=20) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def public_read(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]})


def behavior(origin_id, policy=OPTIMIZED, **extra):
    return {"TargetOriginId": origin_id, "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": policy, **extra}


def config(ref, origins, default, **extra):
    return {"CallerReference": ref, "Comment": ref, "Enabled": True,
            "Origins": {"Quantity": len(origins), "Items": origins},
            "DefaultCacheBehavior": default, **extra}


def custom_origin(origin_id, domain, port):
    return {"Id": origin_id, "DomainName": domain, "CustomOriginConfig": {
        "HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response["Error"]
    return err["Code"], err["Message"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Origin(http.server.BaseHTTPRequestHandler):
    """A loopback origin: `/api/*` answers a counter (cacheable for 60 s),
    `/api/private` says `no-store`, `/down/*` is 503, anything else 404."""
    hits = 0

    def do_GET(self):
        if self.path.startswith("/down/"):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path.startswith("/api/"):
            type(self).hits += 1
            body = json.dumps({"path": self.path, "hit": type(self).hits}).encode()
            cache = "no-store" if self.path.startswith("/api/private") else "max-age=60"
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", cache)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origin_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def cf(gureum):
    s3 = gureum.client("s3")
    for bucket in (SITE, ASSETS):
        s3.create_bucket(Bucket=bucket)
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    s3.put_bucket_website(Bucket=SITE, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=SITE, Key="index.html", Body=b"<h1>v1</h1>", ContentType="text/html")
    s3.put_object(Bucket=ASSETS, Key="errors/404.html", Body=b"<h1>not here</h1>",
                  ContentType="text/html")
    s3.put_object(Bucket=ASSETS, Key="data.bin", Body=b"0123456789")
    return gureum.client("cloudfront")


def test_a_website_distribution_serves_its_root_object_miss_then_hit_and_new_content_after_an_invalidation(gureum, cf):
    gureum.client("s3").put_object(Bucket=SITE, Key="index.html", Body=b"<h1>v1</h1>",
                                   ContentType="text/html")
    out = cf.create_distribution(DistributionConfig=config(
        "site", [custom_origin("web", f"{SITE}.s3-website-us-east-1.amazonaws.com", 80)],
        behavior("web"), DefaultRootObject="index.html"))
    d = out["Distribution"]
    assert d["Status"] == "InProgress"
    assert re.fullmatch(r"d[a-z0-9]{13}\.cloudfront\.net", d["DomainName"])
    assert re.fullmatch(r"E[A-Z0-9]{13}", d["Id"])
    assert out["ETag"] and out["Location"].endswith("/distribution/" + d["Id"])
    host = f"{d['Id']}.cloudfront.localhost"

    status, headers, body = edge(gureum, host)
    assert (status, body) == (200, b"<h1>v1</h1>")
    assert headers["X-Cache"] == "Miss from cloudfront"
    assert re.fullmatch(r"1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)", headers["Via"])
    assert headers["X-Amz-Cf-Pop"] and len(headers["X-Amz-Cf-Id"]) == 56
    status, headers, body = edge(gureum, host)
    assert (status, body, headers["X-Cache"]) == (200, b"<h1>v1</h1>", "Hit from cloudfront")
    assert int(headers["Age"]) >= 0
    # The distribution's own domain reaches it too.
    label = d["DomainName"].split(".")[0]
    assert edge(gureum, f"{label}.cloudfront.localhost")[1]["X-Cache"] == "Hit from cloudfront"

    gureum.client("s3").put_object(Bucket=SITE, Key="index.html", Body=b"<h1>v2</h1>",
                                   ContentType="text/html")
    assert edge(gureum, host)[2] == b"<h1>v1</h1>", "cached until invalidated"
    inv = cf.create_invalidation(DistributionId=d["Id"], InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "inv-1"})["Invalidation"]
    assert inv["Status"] == "InProgress"
    status, headers, body = edge(gureum, host)
    assert (body, headers["X-Cache"]) == (b"<h1>v2</h1>", "Miss from cloudfront")

    time.sleep(2.2)
    assert cf.get_invalidation(DistributionId=d["Id"], Id=inv["Id"])["Invalidation"]["Status"] == "Completed"
    assert cf.get_distribution(Id=d["Id"])["Distribution"]["Status"] == "Deployed"
    listed = cf.list_invalidations(DistributionId=d["Id"])["InvalidationList"]
    assert [i["Id"] for i in listed["Items"]] == [inv["Id"]]


def test_a_path_behaviour_sends_api_calls_to_a_custom_origin_and_caches_by_its_rules(gureum, cf, origin_server):
    policy = cf.create_cache_policy(CachePolicyConfig={
        "Name": "api-by-v", "MinTTL": 0, "DefaultTTL": 30, "MaxTTL": 300,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "whitelist",
                                   "QueryStrings": {"Quantity": 1, "Items": ["v"]}}}})["CachePolicy"]
    d = cf.create_distribution(DistributionConfig=config(
        "api", [{"Id": "assets", "DomainName": f"{ASSETS}.s3.amazonaws.com",
                 "S3OriginConfig": {"OriginAccessIdentity": ""}},
                custom_origin("app", "127.0.0.1", origin_server)],
        behavior("assets"),
        CacheBehaviors={"Quantity": 1, "Items": [
            {"PathPattern": "/api/*", **behavior("app", policy["Id"]),
             "ResponseHeadersPolicyId": SIMPLE_CORS}]},
        CustomErrorResponses={"Quantity": 1, "Items": [
            {"ErrorCode": 404, "ResponsePagePath": "/errors/404.html", "ResponseCode": "404",
             "ErrorCachingMinTTL": 5}]}))["Distribution"]
    host = f"{d['Id']}.cloudfront.localhost"
    Origin.hits = 0

    s1, h1, b1 = edge(gureum, host, "/api/users?v=1&junk=1")
    s2, h2, b2 = edge(gureum, host, "/api/users?junk=2&v=1")
    assert (s1, s2) == (200, 200)
    assert json.loads(b1) == {"path": "/api/users?v=1", "hit": 1}, "only the key's query is forwarded"
    assert (h1["X-Cache"], h2["X-Cache"], b2) == ("Miss from cloudfront", "Hit from cloudfront", b1)
    _, h3, b3 = edge(gureum, host, "/api/users?v=2", {"Origin": "https://app.example"})
    assert (h3["X-Cache"], json.loads(b3)["hit"]) == ("Miss from cloudfront", 2)
    assert h3["Access-Control-Allow-Origin"] == "*", "the response headers policy's CORS"
    edge(gureum, host, "/api/private")
    _, h4, _ = edge(gureum, host, "/api/private")
    assert h4["X-Cache"] == "Miss from cloudfront", "no-store with MinTTL 0 is not cached"

    # Everything else reads the S3 bucket; byte ranges come from the cache.
    status, headers, body = edge(gureum, host, "/data.bin", {"Range": "bytes=2-5"})
    assert (status, body, headers["Content-Range"]) == (206, b"2345", "bytes 2-5/10")
    status, _, _ = edge(gureum, host, "/data.bin", {"Range": "bytes=20-"})
    assert status == 416
    status, headers, _ = edge(gureum, host, "/data.bin", method="HEAD")
    assert (status, headers["Content-Length"], headers["X-Cache"]) == (200, "10", "Hit from cloudfront")
    status, _, body = edge(gureum, host, "/data.bin", {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b""), "the viewer's copy is current"

    # A missing object answers the custom error page with its code.
    status, headers, body = edge(gureum, host, "/nope.html")
    assert (status, body) == (404, b"<h1>not here</h1>")
    assert headers["X-Cache"] == "Error from cloudfront"


def test_an_origin_group_fails_over_when_the_primary_cannot_be_reached_or_answers_a_failover_status(gureum, cf, origin_server):
    dead = free_port()
    d = cf.create_distribution(DistributionConfig=config(
        "group", [custom_origin("down", "127.0.0.1", dead),
                  custom_origin("up", "127.0.0.1", origin_server)],
        behavior("pair", DISABLED),
        OriginGroups={"Quantity": 1, "Items": [{
            "Id": "pair",
            "FailoverCriteria": {"StatusCodes": {"Quantity": 2, "Items": [500, 503]}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "down"}, {"OriginId": "up"}]}}]}))
    host = f"{d['Distribution']['Id']}.cloudfront.localhost"
    status, headers, body = edge(gureum, host, "/api/failover")
    assert status == 200 and json.loads(body)["path"] == "/api/failover"
    assert headers["X-Cache"] == "Miss from cloudfront"

    # A failover status from the primary moves on to the next member too.
    sick = dict(custom_origin("sick", "127.0.0.1", origin_server), OriginPath="/down")
    d = cf.create_distribution(DistributionConfig=config(
        "group-503", [sick, custom_origin("up", "127.0.0.1", origin_server)],
        behavior("pair", DISABLED),
        OriginGroups={"Quantity": 1, "Items": [{
            "Id": "pair",
            "FailoverCriteria": {"StatusCodes": {"Quantity": 1, "Items": [503]}},
            "Members": {"Quantity": 2, "Items": [{"OriginId": "sick"}, {"OriginId": "up"}]}}]}))
    host = f"{d['Distribution']['Id']}.cloudfront.localhost"
    status, _, body = edge(gureum, host, "/api/after-503")
    assert status == 200 and json.loads(body)["path"] == "/api/after-503"


def test_a_compressing_behaviour_gzips_text_for_viewers_that_accept_it_and_metrics_reach_cloudwatch(gureum, cf):
    text = ("<p>" + "edge " * 400 + "</p>").encode()
    gureum.client("s3").put_object(Bucket=ASSETS, Key="big.html", Body=text, ContentType="text/html")
    d = cf.create_distribution(DistributionConfig=config(
        "gzip", [{"Id": "assets", "DomainName": f"{ASSETS}.s3.amazonaws.com",
                  "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        behavior("assets", Compress=True)))["Distribution"]
    host = f"{d['Id']}.cloudfront.localhost"
    status, headers, body = edge(gureum, host, "/big.html", {"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert len(body) < len(text) and gzip.decompress(body) == text
    status, headers, body = edge(gureum, host, "/big.html")
    assert (status, body, headers.get("Content-Encoding")) == (200, text, None)
    assert headers["X-Cache"] == "Miss from cloudfront", "the identity copy is cached apart"
    edge(gureum, host, "/missing")

    advance(gureum, 60)
    cw = gureum.client("cloudwatch")
    dims = [{"Name": "DistributionId", "Value": d["Id"]}, {"Name": "Region", "Value": "Global"}]
    deadline = time.time() + 10
    while True:
        names = {m["MetricName"] for m in cw.list_metrics(
            Namespace="AWS/CloudFront", Dimensions=dims)["Metrics"]}
        if "Requests" in names or time.time() > deadline:
            break
        time.sleep(0.3)
    assert {"Requests", "BytesDownloaded", "4xxErrorRate", "5xxErrorRate"} <= names


def test_an_api_gateway_origin_is_reached_in_process(gureum, cf, origin_server):
    apigw = gureum.client("apigatewayv2")
    api = apigw.create_api(Name="behind-cf", ProtocolType="HTTP")
    i = apigw.create_integration(ApiId=api["ApiId"], IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                 IntegrationUri=f"http://127.0.0.1:{origin_server}/api/{{proxy}}",
                                 PayloadFormatVersion="1.0")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="GET /{proxy+}", Target=f"integrations/{i['IntegrationId']}")
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    d = cf.create_distribution(DistributionConfig=config(
        "apigw", [custom_origin("api", f"{api['ApiId']}.execute-api.us-east-1.amazonaws.com", 443)],
        behavior("api")))["Distribution"]
    host = f"{d['Id']}.cloudfront.localhost"
    status, headers, body = edge(gureum, host, "/via-apigw")
    assert status == 200 and json.loads(body)["path"] == "/api/via-apigw"
    assert edge(gureum, host, "/via-apigw")[1]["X-Cache"] == "Hit from cloudfront"


def test_errors_carry_cloudfronts_codes_and_messages(gureum, cf):
    assert error_of(lambda: cf.get_distribution(Id="EDOESNOTEXIST1")) == (
        "NoSuchDistribution", "The specified distribution does not exist.", 404)
    assert error_of(lambda: cf.create_distribution(DistributionConfig=config(
        "bad-target", [custom_origin("a", "example.com", 80)], behavior("b")))) == (
        "NoSuchOrigin", "One or more of your origins or origin groups do not exist.", 404)
    made = cf.create_distribution(DistributionConfig=config(
        "aliased", [custom_origin("a", "example.com", 80)], behavior("a"),
        Aliases={"Quantity": 1, "Items": ["www.example.test"]}))
    dist_id, etag = made["Distribution"]["Id"], made["ETag"]
    assert error_of(lambda: cf.create_distribution(DistributionConfig=config(
        "aliased-2", [custom_origin("a", "example.com", 80)], behavior("a"),
        Aliases={"Quantity": 1, "Items": ["WWW.example.test"]}))) == (
        "CNAMEAlreadyExists",
        "One or more of the CNAMEs you provided are already associated with a different resource.", 409)
    current = cf.get_distribution_config(Id=dist_id)
    assert current["ETag"] == etag
    assert error_of(lambda: cf.update_distribution(
        Id=dist_id, IfMatch="EWRONGETAG0000", DistributionConfig=current["DistributionConfig"])) == (
        "PreconditionFailed",
        "The request failed because it didn't meet the preconditions in one or more request-header fields.", 412)
    assert error_of(lambda: cf.delete_distribution(Id=dist_id, IfMatch=etag)) == (
        "DistributionNotDisabled", "The distribution you are trying to delete has not been disabled.", 409)

    # The alias reaches the edge; once disabled the edge answers 403.
    assert edge(gureum, "www.example.test", "/")[0] in (200, 404, 502)
    disabled = dict(current["DistributionConfig"], Enabled=False)
    updated = cf.update_distribution(Id=dist_id, IfMatch=etag, DistributionConfig=disabled)
    assert updated["ETag"] != etag and updated["Distribution"]["Status"] == "InProgress"
    status, headers, body = edge(gureum, "www.example.test", "/")
    assert status == 403 and b"The request could not be satisfied" in body
    assert headers["X-Cache"] == "Error from cloudfront"
    time.sleep(2.2)
    cf.delete_distribution(Id=dist_id, IfMatch=updated["ETag"])
    assert error_of(lambda: cf.get_distribution(Id=dist_id))[0] == "NoSuchDistribution"


def test_cache_policies_list_the_managed_ones_and_refuse_deleting_one_in_use(gureum, cf):
    managed = cf.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]
    names = {p["CachePolicy"]["CachePolicyConfig"]["Name"]: p["CachePolicy"]["Id"] for p in managed}
    assert names["Managed-CachingOptimized"] == OPTIMIZED
    assert names["Managed-CachingDisabled"] == DISABLED
    assert error_of(lambda: cf.delete_cache_policy(Id=OPTIMIZED, IfMatch="x"))[0] == "IllegalDelete"
    custom = cf.list_cache_policies(Type="custom")["CachePolicyList"]["Items"]
    used = next(p["CachePolicy"]["Id"] for p in custom
                if p["CachePolicy"]["CachePolicyConfig"]["Name"] == "api-by-v")
    etag = cf.get_cache_policy(Id=used)["ETag"]
    assert error_of(lambda: cf.delete_cache_policy(Id=used, IfMatch=etag)) == (
        "CachePolicyInUse",
        "Cannot delete the cache policy because it is attached to one or more cache behaviors.", 409)
    assert error_of(lambda: cf.create_cache_policy(CachePolicyConfig={
        "Name": "api-by-v", "MinTTL": 0, "DefaultTTL": 1, "MaxTTL": 2,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False, "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"}}}))[0] == "CachePolicyAlreadyExists"
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": "site-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})
    assert cf.get_origin_access_control(Id=oac["OriginAccessControl"]["Id"])["OriginAccessControl"][
        "OriginAccessControlConfig"]["Name"] == "site-oac"


def test_a_private_bucket_is_read_only_through_an_origin_access_control(gureum, cf):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="cf-private")
    s3.put_object(Bucket="cf-private", Key="secret.txt", Body=b"only via cloudfront")
    oac = cf.create_origin_access_control(OriginAccessControlConfig={
        "Name": "private-oac", "SigningProtocol": "sigv4", "SigningBehavior": "always",
        "OriginAccessControlOriginType": "s3"})["OriginAccessControl"]["Id"]
    origin = {"Id": "p", "DomainName": "cf-private.s3.us-east-1.amazonaws.com",
              "S3OriginConfig": {"OriginAccessIdentity": ""}}
    signed = cf.create_distribution(DistributionConfig=config(
        "private-oac", [dict(origin, OriginAccessControlId=oac)], behavior("p")))["Distribution"]
    anonymous = cf.create_distribution(DistributionConfig=config(
        "private-anon", [origin], behavior("p")))["Distribution"]
    status, _, body = edge(gureum, f"{signed['Id']}.cloudfront.localhost", "/secret.txt")
    assert (status, body) == (200, b"only via cloudfront")
    status, headers, body = edge(gureum, f"{anonymous['Id']}.cloudfront.localhost", "/secret.txt")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert headers["X-Cache"] == "Error from cloudfront"
    by_policy = cf.list_distributions_by_cache_policy_id(CachePolicyId=OPTIMIZED)["DistributionIdList"]
    assert {signed["Id"], anonymous["Id"]} <= set(by_policy["Items"])


def test_distributions_page_by_marker_and_list_in_the_cli(gureum, cf):
    first = cf.list_distributions(MaxItems="1")["DistributionList"]
    assert first["IsTruncated"] and first["Quantity"] == 1
    rest = cf.list_distributions(Marker=first["NextMarker"])["DistributionList"]
    ids = [first["Items"][0]["Id"]] + [i["Id"] for i in rest["Items"]]
    assert len(ids) == len(set(ids)) >= 3
    _, out, _ = gureum.aws("cloudfront", "list-distributions")
    assert {i["Id"] for i in out["DistributionList"]["Items"]} == set(ids)


def test_distributions_tags_and_the_edge_survive_a_restart(gureum, cf):
    made = cf.create_distribution_with_tags(DistributionConfigWithTags={
        "DistributionConfig": config(
            "kept", [custom_origin("web", f"{SITE}.s3-website-us-east-1.amazonaws.com", 80)],
            behavior("web"), DefaultRootObject="index.html"),
        "Tags": {"Items": [{"Key": "team", "Value": "edge"}]}})["Distribution"]
    gureum.restart(kill=True)
    cf = gureum.client("cloudfront")
    got = cf.get_distribution(Id=made["Id"])["Distribution"]
    assert got["DomainName"] == made["DomainName"]
    assert cf.list_tags_for_resource(Resource=made["ARN"])["Tags"]["Items"] == [
        {"Key": "team", "Value": "edge"}]
    status, headers, body = edge(gureum, f"{made['Id']}.cloudfront.localhost")
    assert status == 200 and body.startswith(b"<h1>")
    assert headers["X-Cache"] == "Miss from cloudfront"
    health = json.loads(urllib.request.urlopen(gureum.endpoint + "/_gureum/health").read())
    assert health["endpoints"]["cloudfront"] == f"http://DISTRIBUTION_ID.cloudfront.localhost:{gureum.port}"
