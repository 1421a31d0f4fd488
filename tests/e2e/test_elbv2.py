"""Elastic Load Balancing v2: the control plane's errors and a data plane
that really forwards: an ALB over two local HTTP servers (round robin,
rules, health checks that take a stopped server out), fixed responses and
redirects, an NLB forwarding raw TCP, a Lambda target, and a restart."""
import io
import json
import socket
import socketserver
import threading
import time
import urllib.error
import urllib.request
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.exceptions
import pytest
from conftest import lambda_role

from helpers import advance

ACCOUNT = "000000000000"


def refused(call, **kw):
    """The (code, message) a call fails with."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


class Backend:
    """A local HTTP server answering its name and the headers it saw."""

    def __init__(self, name):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({"name": outer.name, "path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.name = name
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Echo(socketserver.ThreadingTCPServer):
    """A raw TCP server sending back what it reads, prefixed."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        class H(socketserver.BaseRequestHandler):
            def handle(self):
                data = self.request.recv(1024)
                if data:
                    self.request.sendall(b"echo:" + data)

        super().__init__(("127.0.0.1", 0), H)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def elb(gureum):
    return gureum.client("elbv2")


@pytest.fixture(scope="module")
def network(gureum):
    ec2 = gureum.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    c = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.3.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return {"ec2": ec2, "vpc": vpc, "a": a, "b": b, "same_zone_as_a": c}


def health(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        return json.load(r)


def wait_for(predicate, timeout=30, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def address_of(gureum, dns_name, port):
    def find():
        for e in health(gureum)["endpoints"]["elbv2"]:
            if e["dns_name"] == dns_name and e["port"] == port:
                return e["address"]
        return None
    return wait_for(find, timeout=15)


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


def states(elb, tg):
    out = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return {(d["Target"]["Id"], d["Target"].get("Port")): d["TargetHealth"] for d in out}


def make_alb(elb, network, name="web"):
    lb = elb.create_load_balancer(Name=name, Subnets=[network["a"], network["b"]])["LoadBalancers"][0]
    return lb


def ip_group(elb, network, name, **kw):
    return elb.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2, **kw,
    )["TargetGroups"][0]["TargetGroupArn"]


def test_an_alb_needs_two_subnets_in_two_zones_of_one_vpc(elb, network):
    code, msg = refused(elb.create_load_balancer, Name="one", Subnets=[network["a"]])
    assert (code, msg) == ("ValidationError", "At least two subnets in two different Availability Zones must be specified")
    code, msg = refused(elb.create_load_balancer, Name="same", Subnets=[network["a"], network["same_zone_as_a"]])
    assert code == "InvalidConfigurationRequest"
    assert msg == "A load balancer cannot be attached to multiple subnets in the same Availability Zone"
    code, msg = refused(elb.create_load_balancer, Name="nosuch", Subnets=[network["a"], "subnet-0123456789abcdef0"])
    assert (code, msg) == ("SubnetNotFound", "The subnet ID 'subnet-0123456789abcdef0' is not valid")
    code, msg = refused(elb.create_load_balancer, Name="bad_name", Subnets=[network["a"], network["b"]])
    assert code == "ValidationError"
    assert msg == "Load balancer name 'bad_name' can only contain characters that are alphanumeric characters or hyphens(-)"


def test_a_load_balancer_has_aws_shape_interfaces_and_turns_active_on_the_clock(gureum, elb, network):
    lb = make_alb(elb, network)
    assert lb["State"]["Code"] == "provisioning"
    assert lb["DNSName"].startswith("web-") and lb["DNSName"].endswith(".us-east-1.elb.localhost")
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert lb["LoadBalancerArn"].startswith(f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web/")
    assert sorted(z["ZoneName"] for z in lb["AvailabilityZones"]) == ["us-east-1a", "us-east-1b"]
    assert lb["SecurityGroups"]  # the VPC's default group
    lb_id = lb["LoadBalancerArn"].split("/")[-1]
    enis = network["ec2"].describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB app/web/{lb_id}"]}])["NetworkInterfaces"]
    assert sorted(e["SubnetId"] for e in enis) == sorted([network["a"], network["b"]])
    advance(gureum, 61)
    lb = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    assert lb["State"]["Code"] == "active"
    code, msg = refused(elb.describe_load_balancers, Names=["nope"])
    assert (code, msg) == ("LoadBalancerNotFound", "One or more load balancers not found")
    # Deletion protection holds it; the interfaces go with it.
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"}])
    code, msg = refused(elb.delete_load_balancer, LoadBalancerArn=lb["LoadBalancerArn"])
    assert code == "OperationNotPermitted"
    assert msg == f"Load balancer '{lb['LoadBalancerArn']}' cannot be deleted because deletion protection is enabled"
    code, msg = refused(elb.modify_load_balancer_attributes, LoadBalancerArn=lb["LoadBalancerArn"],
                        Attributes=[{"Key": "no.such", "Value": "1"}])
    assert (code, msg) == ("ValidationError", "Load balancer attribute key 'no.such' is not recognized")
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "false"}])
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert network["ec2"].describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB app/web/{lb_id}"]}])["NetworkInterfaces"] == []


def test_target_group_and_listener_errors_are_aws_errors(gureum, elb, network):
    code, msg = refused(elb.create_target_group, Name="t", Protocol="HTTP", Port=80, VpcId=network["vpc"],
                        HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=5)
    assert (code, msg) == ("ValidationError", "Health check interval must be greater than the timeout.")
    code, msg = refused(elb.create_target_group, Name="t", TargetType="lambda", Protocol="HTTP")
    assert (code, msg) == ("ValidationError", "Protocol cannot be specified for target groups with target type 'lambda'")
    tg = ip_group(elb, network, "tg")
    code, _ = refused(elb.create_target_group, Name="tg", Protocol="HTTP", Port=81, VpcId=network["vpc"])
    assert code == "DuplicateTargetGroupName"
    lb = make_alb(elb, network, "errs")["LoadBalancerArn"]
    fwd = [{"Type": "forward", "TargetGroupArn": tg}]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=fwd)["Listeners"][0]
    code, msg = refused(elb.create_listener, LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=fwd)
    assert (code, msg) == ("DuplicateListener", f"A listener already exists on this port for this load balancer '{lb}'")
    code, msg = refused(elb.create_listener, LoadBalancerArn=lb, Protocol="HTTPS", Port=443, DefaultActions=fwd)
    assert (code, msg) == ("CertificateNotFound", "A certificate must be specified for HTTPS listeners")
    cond = [{"Field": "path-pattern", "Values": ["/a/*"]}]
    elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=5, Conditions=cond, Actions=fwd)
    code, msg = refused(elb.create_rule, ListenerArn=listener["ListenerArn"], Priority=5, Conditions=cond, Actions=fwd)
    assert (code, msg) == ("PriorityInUse", "Priority '5' is currently in use")
    code, msg = refused(elb.delete_target_group, TargetGroupArn=tg)
    assert (code, msg) == ("ResourceInUse", f"Target group '{tg}' is currently in use by a listener or a rule")
    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["5", "default"]
    assert rules[0]["Actions"][0]["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": tg, "Weight": 1}]
    code, msg = refused(elb.delete_rule, RuleArn=rules[1]["RuleArn"])
    assert code == "OperationNotPermitted"
    code, msg = refused(elb.describe_target_health, TargetGroupArn=tg.replace(tg.split("/")[-1], "0" * 16))
    assert (code, msg) == ("TargetGroupNotFound", "One or more target groups not found")
    # Describe* pages.
    for i in range(3):
        ip_group(elb, network, f"page{i}")
    first = elb.describe_target_groups(PageSize=2)
    assert len(first["TargetGroups"]) == 2 and "NextMarker" in first
    rest = elb.describe_target_groups(PageSize=2, Marker=first["NextMarker"])
    names = [t["TargetGroupName"] for t in first["TargetGroups"] + rest["TargetGroups"]]
    assert "tg" in names and "page2" in names


def test_an_alb_balances_routes_checks_health_and_survives_a_restart(gureum, elb, network):
    a, b = Backend("A"), Backend("B")
    try:
        web = ip_group(elb, network, "web-tg")
        api = ip_group(elb, network, "api-tg")
        empty = ip_group(elb, network, "empty-tg")
        elb.register_targets(TargetGroupArn=web, Targets=[{"Id": "127.0.0.1", "Port": a.port}, {"Id": "127.0.0.1", "Port": b.port}])
        elb.register_targets(TargetGroupArn=api, Targets=[{"Id": "127.0.0.1", "Port": b.port}])
        before = states(elb, web)
        assert before[("127.0.0.1", a.port)]["Reason"] == "Target.NotInUse"
        lb = make_alb(elb, network, "shop")
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": web}])["Listeners"][0]
        larn = listener["ListenerArn"]
        elb.create_rule(ListenerArn=larn, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": api}])
        elb.create_rule(ListenerArn=larn, Priority=20, Conditions=[{"Field": "path-pattern", "Values": ["/teapot"]}],
                        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                            "StatusCode": "418", "ContentType": "text/plain", "MessageBody": "short and stout"}}])
        elb.create_rule(ListenerArn=larn, Priority=30, Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
                        Actions=[{"Type": "redirect", "RedirectConfig": {
                            "Protocol": "HTTPS", "Host": "example.com", "Port": "443", "StatusCode": "HTTP_301"}}])
        elb.create_rule(ListenerArn=larn, Priority=40, Conditions=[{"Field": "path-pattern", "Values": ["/empty"]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": empty}])
        advance(gureum, 61)
        addr = address_of(gureum, lb["DNSName"], 80)
        base = f"http://{addr}"
        wait_for(lambda: all(h["State"] == "healthy" for h in states(elb, web).values()), timeout=30)

        names = [json.loads(get(base + "/")[2])["name"] for _ in range(6)]
        assert set(names) == {"A", "B"}
        assert all(names[i] != names[i + 1] for i in range(5)), names  # round robin
        status, _, body = get(base + "/api/items?x=1")
        seen = json.loads(body)
        assert status == 200 and seen["name"] == "B" and seen["path"] == "/api/items?x=1"
        assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
        assert seen["headers"]["x-forwarded-proto"] == "http"
        assert seen["headers"]["x-forwarded-port"] == "80"
        assert seen["headers"]["x-amzn-trace-id"].startswith("Root=1-")
        # Also reachable through Gureum's main port by its DNS name.
        status, _, body = get(gureum.endpoint + "/api/by-host", headers={"Host": f"{lb['DNSName']}:{gureum.port}"})
        assert status == 200 and json.loads(body)["name"] == "B"
        status, headers, body = get(base + "/teapot")
        assert (status, body) == (418, b"short and stout")
        assert headers["server"] == "awselb/2.0"
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as e:
            opener.open(base + "/old/page?q=1")
        assert e.value.code == 301
        assert e.value.headers["Location"] == "https://example.com:443/old/page?q=1"
        status, _, body = get(base + "/empty")
        assert status == 503 and b"<title>503 Service Temporarily Unavailable</title>" in body

        # A server that stops answering is marked unhealthy and gets nothing.
        a.stop()
        wait_for(lambda: states(elb, web)[("127.0.0.1", a.port)]["State"] == "unhealthy", timeout=30)
        bad = states(elb, web)[("127.0.0.1", a.port)]
        assert bad["Reason"] == "Target.FailedHealthChecks"
        assert bad["Description"] == "Health checks failed"
        assert {json.loads(get(base + "/")[2])["name"] for _ in range(6)} == {"B"}

        # The minute's traffic and host counts reach CloudWatch.
        advance(gureum, 60)
        cw = gureum.client("cloudwatch")
        lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/")[1]
        web_dim = web.split(":")[-1]

        def stat(name, dims, statistic="Sum"):
            now = time.time()
            points = cw.get_metric_statistics(
                Namespace="AWS/ApplicationELB", MetricName=name, Dimensions=dims,
                StartTime=now - 7200, EndTime=now + 7200, Period=60, Statistics=[statistic])["Datapoints"]
            if not points:
                return None
            if statistic == "Maximum":
                # Host counts are states: the latest minute's.
                return max(points, key=lambda p: p["Timestamp"])[statistic]
            return sum(p[statistic] for p in points)

        lb_only = [{"Name": "LoadBalancer", "Value": lb_dim}]
        # 16 requests (the minute may have turned during the test: sums).
        wait_for(lambda: (stat("RequestCount", lb_only) or 0) >= 16, timeout=10)
        assert stat("HTTPCode_Target_2XX_Count", lb_only) >= 13
        assert stat("HTTPCode_ELB_5XX_Count", lb_only) >= 1
        assert stat("TargetResponseTime", lb_only, "Average") > 0
        both = [{"Name": "TargetGroup", "Value": web_dim}, {"Name": "LoadBalancer", "Value": lb_dim}]
        wait_for(lambda: stat("UnHealthyHostCount", both, "Maximum") == 1, timeout=10)
        assert stat("HealthyHostCount", both, "Maximum") == 1

        # Draining and unknown targets.
        elb.deregister_targets(TargetGroupArn=web, Targets=[{"Id": "127.0.0.1", "Port": a.port}])
        drained = states(elb, web)[("127.0.0.1", a.port)]
        assert (drained["State"], drained["Reason"]) == ("draining", "Target.DeregistrationInProgress")
        unknown = elb.describe_target_health(TargetGroupArn=web, Targets=[{"Id": "127.0.0.9", "Port": 1}])
        assert unknown["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"] == "Target.NotRegistered"

        # After a restart the load balancer listens again (same port when
        # free) and checks health again.
        gureum.restart(kill=True)
        elb = gureum.client("elbv2")
        assert elb.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]["State"]["Code"] == "active"
        assert len(elb.describe_rules(ListenerArn=larn)["Rules"]) == 5
        again = address_of(gureum, lb["DNSName"], 80)
        assert again == addr
        assert json.loads(wait_for(lambda: get(f"http://{again}/api/x")[2], timeout=15))["name"] == "B"
        wait_for(lambda: states(elb, web)[("127.0.0.1", b.port)]["State"] == "healthy", timeout=30)

        # Deleting the load balancer closes its port.
        elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
        host, port = again.rsplit(":", 1)
        wait_for(lambda: socket.socket().connect_ex((host, int(port))) != 0, timeout=5)
    finally:
        for s in (a, b):
            try:
                s.stop()
            except Exception:
                pass


def test_an_alb_answers_502_when_its_only_target_refuses(gureum, elb, network):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    tg = ip_group(elb, network, "dead-tg")
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": port}])
    lb = make_alb(elb, network, "dead")
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    advance(gureum, 61)
    addr = address_of(gureum, lb["DNSName"], 8080)
    status, headers, body = get(f"http://{addr}/")
    assert status == 502
    assert b"<title>502 Bad Gateway</title>" in body
    assert headers["server"] == "awselb/2.0"


def test_an_nlb_forwards_raw_tcp(gureum, elb, network):
    echo = Echo()
    try:
        port = echo.server_address[1]
        tg = elb.create_target_group(Name="tcp-tg", Protocol="TCP", Port=port, VpcId=network["vpc"],
                                     TargetType="ip", HealthCheckIntervalSeconds=10,
                                     HealthCheckTimeoutSeconds=5)["TargetGroups"][0]
        assert tg["HealthCheckProtocol"] == "TCP"
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1"}])
        lb = elb.create_load_balancer(Name="net", Type="network", Subnets=[network["a"]])["LoadBalancers"][0]
        assert lb["Type"] == "network" and lb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI"
        code, _ = refused(elb.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        assert code == "UnsupportedProtocol"
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=5432,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        advance(gureum, 61)
        host, p = address_of(gureum, lb["DNSName"], 5432).rsplit(":", 1)
        with socket.create_connection((host, int(p)), timeout=5) as s:
            s.sendall(b"hello")
            assert s.recv(1024) == b"echo:hello"
    finally:
        echo.shutdown()
        echo.server_close()


def zipped(source):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", source)
    return buf.getvalue()


def test_a_lambda_target_gets_the_alb_event(gureum, elb, network):
    lam = gureum.client("lambda")
    fn = lam.create_function(
        FunctionName="alb-fn", Runtime="python3.12", Role=lambda_role(gureum), Handler="app.handler",
        Code={"ZipFile": zipped(
            "import json\n"
            "def handler(event, context):\n"
            "    return {'statusCode': 201, 'statusDescription': '201 Created',\n"
            "            'headers': {'Content-Type': 'application/json', 'X-Fn': 'yes'},\n"
            "            'body': json.dumps(event), 'isBase64Encoded': False}\n")})["FunctionArn"]
    tg = elb.create_target_group(Name="fn-tg", TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    lam.add_permission(FunctionName="alb-fn", StatementId="elb", Action="lambda:InvokeFunction",
                       Principal="elasticloadbalancing.amazonaws.com", SourceArn=tg)
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": fn}])
    lb = make_alb(elb, network, "fn")
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    h = states(elb, tg)[(fn, None)]
    assert (h["State"], h["Reason"]) == ("unavailable", "Target.HealthCheckDisabled")
    advance(gureum, 61)
    addr = address_of(gureum, lb["DNSName"], 80)
    status, headers, body = get(f"http://{addr}/fn/path?a=1&b=two", headers={"X-Custom": "v"})
    assert status == 201 and headers["x-fn"] == "yes"
    event = json.loads(body)
    assert event["requestContext"] == {"elb": {"targetGroupArn": tg}}
    assert event["httpMethod"] == "GET" and event["path"] == "/fn/path"
    assert event["queryStringParameters"] == {"a": "1", "b": "two"}
    assert event["headers"]["x-custom"] == "v"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert event["isBase64Encoded"] is False
    # With health checks on, the function is probed with AWS's event.
    elb.modify_target_group(TargetGroupArn=tg, HealthCheckEnabled=True, HealthCheckIntervalSeconds=5,
                            HealthCheckTimeoutSeconds=4, HealthyThresholdCount=2, Matcher={"HttpCode": "200-299"})
    wait_for(lambda: states(elb, tg)[(fn, None)]["State"] == "healthy", timeout=30)
