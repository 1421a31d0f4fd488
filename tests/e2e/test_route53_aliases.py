"""Route 53 alias records to AWS resources, for real: an alias to an ALB
answers the load balancer's address to dig and curl reaches its target
through it; EvaluateTargetHealth fails over when the ALB has no healthy
target; aliases to a CloudFront distribution and an S3 website endpoint
answer where Gureum serves them; aliases to resources that do not exist
are refused with Route 53's message; and it all survives a restart."""
import json
import shutil
import subprocess
import time

import botocore.exceptions
import pytest

from helpers import advance
from test_elbv2 import Backend, address_of, ip_group, make_alb, states, wait_for
from test_route53_dns import change, create, make_zone, rrset, short

pytestmark = pytest.mark.skipif(
    shutil.which("dig") is None or shutil.which("curl") is None,
    reason="dig and curl are needed (apt-get install dnsutils curl)",
)

ALB_ZONE = "Z35SXDOTRQ7X7K"
NLB_ZONE = "Z26RNL4JYFTOTI"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
WEBSITE_ZONE = "Z3AQBSTGFYJSTF"


def alias(name, zone, target, evaluate=False, **extra):
    return {"Name": name, "Type": "A", **extra, "AliasTarget": {
        "HostedZoneId": zone, "DNSName": target, "EvaluateTargetHealth": evaluate}}


def refused(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def curl(url, *args):
    p = subprocess.run(["curl", "-sS", "--max-time", "10", *args, url],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture(scope="module")
def shop(gureum):
    """An active ALB on port 80 forwarding to one local backend, and a
    public zone example.org."""
    ec2 = gureum.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    network = {"vpc": vpc, "a": a, "b": b}
    elb = gureum.client("elbv2")
    backend = Backend("shop")
    tg = ip_group(elb, network, "alias-tg")
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
    lb = make_alb(elb, network, "alias-shop")
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    advance(gureum, 61)
    wait_for(lambda: all(h["State"] == "healthy" for h in states(elb, tg).values()), timeout=30)
    r53 = gureum.client("route53")
    zone = make_zone(r53, "example.org")
    yield {"elb": elb, "tg": tg, "lb": lb, "backend": backend, "r53": r53, "zone": zone}
    backend.stop()


def test_an_alias_to_an_alb_answers_its_address_and_curl_reaches_its_target(gureum, shop):
    r53, zone, lb = shop["r53"], shop["zone"], shop["lb"]
    assert lb["CanonicalHostedZoneId"] == ALB_ZONE
    change(r53, zone, create(alias("app.example.org", ALB_ZONE, "dualstack." + lb["DNSName"], True)))
    assert short(gureum, "app.example.org", "A") == ["127.0.0.1"]
    # The listener's loopback address, reached by the name dig answered.
    port = address_of(gureum, lb["DNSName"], 80).rsplit(":", 1)[1]
    seen = json.loads(curl(f"http://app.example.org:{port}/cart",
                           "--resolve", f"app.example.org:{port}:127.0.0.1"))
    assert seen["name"] == "shop" and seen["path"] == "/cart"
    assert seen["headers"]["host"] == f"app.example.org:{port}"
    # Gureum's main port reaches it by the load balancer's own name.
    seen = json.loads(curl(f"{gureum.endpoint}/main", "-H", f"Host: {lb['DNSName']}"))
    assert seen["name"] == "shop" and seen["path"] == "/main"


def test_an_alias_to_a_missing_resource_is_refused_with_route53s_message(gureum, shop):
    r53, zone, lb = shop["r53"], shop["zone"], shop["lb"]
    missing = "nothere-1234567890.us-east-1.elb.localhost"
    assert refused(lambda: change(r53, zone, create(alias("x.example.org", ALB_ZONE, missing)))) == (
        "InvalidChangeBatch",
        f"[Tried to create an alias that targets {missing}., type A in zone {ALB_ZONE}, "
        "but that target was not found]")
    # An ALB is not in the NLB zone.
    code, msg = refused(lambda: change(r53, zone, create(alias("y.example.org", NLB_ZONE, lb["DNSName"]))))
    assert code == "InvalidChangeBatch"
    assert msg == (f"[Tried to create an alias that targets {lb['DNSName'].lower()}., type A in zone "
                   f"{NLB_ZONE}, but that target was not found]")
    code, msg = refused(lambda: change(r53, zone, create(
        alias("z.example.org", CLOUDFRONT_ZONE, "d0000000000000.cloudfront.net"))))
    assert msg == ("[Tried to create an alias that targets d0000000000000.cloudfront.net., type A in zone "
                   f"{CLOUDFRONT_ZONE}, but that target was not found]")
    code, msg = refused(lambda: change(r53, zone, create(
        alias("example.org", WEBSITE_ZONE, "s3-website-eu-west-1.amazonaws.com"))))
    assert msg == ("[Tried to create an alias that targets s3-website-eu-west-1.amazonaws.com., type A "
                   f"in zone {WEBSITE_ZONE}, but that target was not found]")
    assert short(gureum, "x.example.org", "A") == []


def test_evaluate_target_health_fails_over_while_the_alb_has_no_healthy_target(gureum, shop):
    r53, zone, lb, elb = shop["r53"], shop["zone"], shop["lb"], shop["elb"]
    change(r53, zone,
           create(alias("shop.example.org", ALB_ZONE, lb["DNSName"], True,
                        SetIdentifier="primary", Failover="PRIMARY")),
           create(rrset("shop.example.org", "A", ["192.0.2.99"], ttl=60,
                        SetIdentifier="secondary", Failover="SECONDARY")))
    assert short(gureum, "shop.example.org", "A") == ["127.0.0.1"]
    spare = Backend("spare")
    try:
        # The only target goes away: the ALB is unhealthy, the secondary answers.
        elb.register_targets(TargetGroupArn=shop["tg"], Targets=[{"Id": "127.0.0.1", "Port": spare.port}])
        elb.deregister_targets(TargetGroupArn=shop["tg"], Targets=[{"Id": "127.0.0.1", "Port": shop["backend"].port}])
        spare.stop()
        wait_for(lambda: short(gureum, "shop.example.org", "A") == ["192.0.2.99"], timeout=40)
        # A healthy target again: back to the ALB.
        elb.register_targets(TargetGroupArn=shop["tg"], Targets=[{"Id": "127.0.0.1", "Port": shop["backend"].port}])
        wait_for(lambda: short(gureum, "shop.example.org", "A") == ["127.0.0.1"], timeout=40)
    finally:
        elb.deregister_targets(TargetGroupArn=shop["tg"], Targets=[{"Id": "127.0.0.1", "Port": spare.port}])


def test_aliases_to_a_cloudfront_distribution_and_an_s3_website_answer_where_gureum_serves_them(gureum, shop):
    r53, zone = shop["r53"], shop["zone"]
    s3 = gureum.client("s3")
    bucket = "www.example.org"
    s3.create_bucket(Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>alias site</h1>", ContentType="text/html")
    website = f"{bucket}.s3-website-us-east-1.amazonaws.com"
    cf = gureum.client("cloudfront")
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": "alias-cdn", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "web", "DomainName": website, "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "web", "ViewerProtocolPolicy": "allow-all",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
        "DefaultRootObject": "index.html"})["Distribution"]
    change(r53, zone,
           create(alias("cdn.example.org", CLOUDFRONT_ZONE, dist["DomainName"])),
           create(alias("www.example.org", WEBSITE_ZONE, "s3-website-us-east-1.amazonaws.com")))
    [cdn_ip] = short(gureum, "cdn.example.org", "A")
    [www_ip] = short(gureum, "www.example.org", "A")
    port = gureum.port
    domain = dist["DomainName"]
    out = subprocess.run(["curl", "-sS", "-i", "--max-time", "10", "--resolve", f"{domain}:{port}:{cdn_ip}",
                          f"http://{domain}:{port}/"], capture_output=True, text=True, timeout=30).stdout
    assert "<h1>alias site</h1>" in out and "x-cache: miss from cloudfront" in out.lower()
    # The website endpoint on the address the alias answered, by its own
    # name and by the record's (the bucket's) name.
    assert curl(f"http://{website}:{port}/", "--resolve", f"{website}:{port}:{www_ip}") == "<h1>alias site</h1>"
    assert curl(f"http://{bucket}:{port}/", "--resolve", f"{bucket}:{port}:{www_ip}") == "<h1>alias site</h1>"
    # A dotted host that is no website bucket is not taken for one.
    assert "<h1>alias site</h1>" not in curl(f"http://nosite.example.org:{port}/",
                                              "--resolve", f"nosite.example.org:{port}:127.0.0.1")


def test_aliases_still_answer_after_a_restart(gureum, shop):
    gureum.restart(kill=True)
    # The ALB's target is probed healthy again before its alias answers.
    wait_for(lambda: short(gureum, "app.example.org", "A") == ["127.0.0.1"], timeout=40)
    assert short(gureum, "cdn.example.org", "A") == ["127.0.0.1"]
    assert short(gureum, "x.example.org", "A") == []
