"""Elastic Load Balancing v2's data plane beyond plain requests: WebSocket
through an application load balancer (the upgrade forwarded by the rules,
frames spliced both ways, the idle timeout closing a silent connection),
sticky sessions (lb_cookie, app_cookie), slow start and the routing
attributes' checks, and HTTP/2 from clients of an HTTPS listener, across
restarts."""
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from helpers import advance
from test_elbv2 import Backend, address_of, elb, make_alb, network, refused, wait_for  # noqa: F401  (fixtures)

websockets = pytest.importorskip("websockets", reason="needs python websockets (pip install websockets)")
from websockets.sync.client import connect  # noqa: E402
from websockets.sync.server import serve  # noqa: E402


class EchoSocket:
    """A WebSocket server echoing every message, answering `who` with the
    path and forwarding headers it saw, and plain `GET /health` with 200."""

    def __init__(self):
        def handler(ws):
            for message in ws:
                if message == "who":
                    h = ws.request.headers
                    ws.send(json.dumps({"path": ws.request.path,
                                        "xff": h.get("X-Forwarded-For"),
                                        "proto": h.get("X-Forwarded-Proto"),
                                        "trace": h.get("X-Amzn-Trace-Id")}))
                else:
                    ws.send("echo:" + message)

        def health(connection, request):
            if request.path == "/health":
                return connection.respond(200, "ok\n")
            return None

        self.server = serve(handler, "127.0.0.1", 0, process_request=health)
        self.port = self.server.socket.getsockname()[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def ws_group(elb, network, name, port):
    tg = elb.create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": port}])
    return tg


def test_a_websocket_goes_through_an_alb_by_its_rules_until_idle(gureum, elb, network):
    echo, plain = EchoSocket(), Backend("plain")
    try:
        sockets = ws_group(elb, network, "ws-tg", echo.port)
        pages = ws_group(elb, network, "pages-tg", plain.port)
        lb = make_alb(elb, network, "chat")
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                       DefaultActions=[{"Type": "forward", "TargetGroupArn": pages}])
        larn = listener["Listeners"][0]["ListenerArn"]
        elb.create_rule(ListenerArn=larn, Priority=1,
                        Conditions=[{"Field": "path-pattern", "Values": ["/ws/*"]}],
                        Actions=[{"Type": "forward", "TargetGroupArn": sockets}])
        elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
            {"Key": "idle_timeout.timeout_seconds", "Value": "2"}])
        advance(gureum, 61)
        addr = address_of(gureum, lb["DNSName"], 80)

        with connect(f"ws://{addr}/ws/room?id=7", open_timeout=10) as ws:
            for i in range(20):
                ws.send(f"m{i}")
                assert ws.recv(timeout=5) == f"echo:m{i}"
            big = "x" * 100_000  # several reads' worth, one frame
            ws.send(big)
            assert ws.recv(timeout=5) == "echo:" + big
            ws.send("who")
            seen = json.loads(ws.recv(timeout=5))
            assert seen["path"] == "/ws/room?id=7"
            assert seen["xff"] == "127.0.0.1" and seen["proto"] == "http"
            assert seen["trace"].startswith("Root=1-")

        # Silence for the idle timeout closes the connection.
        with connect(f"ws://{addr}/ws/quiet", open_timeout=10) as ws:
            ws.send("before")
            assert ws.recv(timeout=5) == "echo:before"
            time.sleep(3.5)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                ws.send("after")
                ws.recv(timeout=5)

        # A target that does not switch protocols answers as for any request.
        with pytest.raises(websockets.exceptions.InvalidStatus) as e:
            connect(f"ws://{addr}/not-a-socket", open_timeout=10)
        assert e.value.response.status_code == 200

        gureum.restart(kill=True)
        addr = address_of(gureum, lb["DNSName"], 80)
        deadline = time.time() + 20
        while True:
            try:
                with connect(f"ws://{addr}/ws/again", open_timeout=5) as ws:
                    ws.send("back")
                    assert ws.recv(timeout=5) == "echo:back"
                break
            except (OSError, websockets.exceptions.InvalidStatus):
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

        # Deleting the listener ends the connections it holds.
        with connect(f"ws://{addr}/ws/last", open_timeout=5) as ws:
            ws.send("x")
            assert ws.recv(timeout=5) == "echo:x"
            elb.delete_listener(ListenerArn=larn)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                ws.recv(timeout=5)
    finally:
        echo.stop()
        plain.stop()


class SessionBackend(Backend):
    """A Backend that also sets the application's `SESSION` cookie."""

    def __init__(self, name):
        super().__init__(name)
        handler = self.server.RequestHandlerClass
        original = handler.end_headers

        def end_headers(h):
            h.send_header("Set-Cookie", "SESSION=s1; Path=/")
            original(h)

        handler.end_headers = end_headers


def cookies_set(headers_list):
    """{name: full Set-Cookie value} from a response's Set-Cookie headers."""
    return {v.split("=", 1)[0]: v for v in headers_list}


def fetch(url, cookie=None):
    """(backend name, [Set-Cookie values]) of one GET."""
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["name"], r.headers.get_all("Set-Cookie") or []


def two_target_alb(gureum, elb, network, name, a, b):
    tg = elb.create_target_group(
        Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": a.port},
                                                     {"Id": "127.0.0.1", "Port": b.port}])
    lb = make_alb(elb, network, name)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    advance(gureum, 61)
    addr = address_of(gureum, lb["DNSName"], 80)
    wait_for(lambda: all(d["TargetHealth"]["State"] == "healthy" for d in
                         elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]), timeout=30)
    return tg, f"http://{addr}/"


def test_an_lb_cookie_keeps_a_client_on_one_target_and_without_it_requests_alternate(gureum, elb, network):
    a, b = Backend("A"), Backend("B")
    try:
        tg, url = two_target_alb(gureum, elb, network, "sticky", a, b)
        names = [fetch(url) for _ in range(4)]
        assert [n for n, _ in names] in (["A", "B", "A", "B"], ["B", "A", "B", "A"])
        assert all(not c for _, c in names)  # no cookie while stickiness is off

        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "stickiness.enabled", "Value": "true"},
            {"Key": "stickiness.type", "Value": "lb_cookie"},
            {"Key": "stickiness.lb_cookie.duration_seconds", "Value": "120"}])
        time.sleep(1.5)  # the data plane picks the attributes up on its next sync
        first, set_cookies = fetch(url)
        cookies = cookies_set(set_cookies)
        assert set(cookies) == {"AWSALB", "AWSALBCORS"}
        assert "; Expires=" in cookies["AWSALB"] and cookies["AWSALB"].endswith("; Path=/")
        assert cookies["AWSALBCORS"].endswith("; Path=/; SameSite=None; Secure")
        token = cookies["AWSALB"].split(";")[0]
        assert {fetch(url, cookie=token)[0] for _ in range(6)} == {first}
        # Without the cookie the client is balanced again.
        unpinned = [fetch(url)[0] for _ in range(4)]
        assert set(unpinned) == {"A", "B"}

        # Sessions outlive a restart: the same cookie names the same target.
        gureum.restart(kill=True)
        address_of(gureum, elb.describe_load_balancers(Names=["sticky"])["LoadBalancers"][0]["DNSName"], 80)
        wait_for(lambda: all(d["TargetHealth"]["State"] == "healthy" for d in
                             elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]), timeout=30)
        assert {fetch(url, cookie=token)[0] for _ in range(4)} == {first}
    finally:
        a.stop()
        b.stop()


def test_app_cookie_stickiness_follows_the_applications_cookie(gureum, elb, network):
    a, b = SessionBackend("A"), SessionBackend("B")
    try:
        tg, url = two_target_alb(gureum, elb, network, "appstick", a, b)
        code, message = refused(elb.modify_target_group_attributes, TargetGroupArn=tg, Attributes=[
            {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"}])
        assert (code, message) == ("InvalidConfigurationRequest",
                                   "You must set an application cookie name to enable stickiness of type 'app_cookie'")
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "app_cookie"},
            {"Key": "stickiness.app_cookie.cookie_name", "Value": "SESSION"}])
        time.sleep(1.5)
        first, set_cookies = fetch(url)
        cookies = cookies_set(set_cookies)
        assert cookies["SESSION"].startswith("SESSION=s1")
        assert cookies["AWSALBAPP-1"].startswith("AWSALBAPP-1=_remove_; Expires=")
        token = cookies["AWSALBAPP-0"].split(";")[0]
        assert {fetch(url, cookie=f"SESSION=s1; {token}")[0] for _ in range(6)} == {first}
    finally:
        a.stop()
        b.stop()


def test_routing_attributes_are_checked_as_aws_checks_them(gureum, elb, network):
    tg = elb.create_target_group(Name="attrs-tg", Protocol="HTTP", Port=80, VpcId=network["vpc"],
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    code, message = refused(elb.modify_target_group_attributes, TargetGroupArn=tg,
                            Attributes=[{"Key": "load_balancing.algorithm.type", "Value": "fastest"}])
    assert (code, message) == ("ValidationError", "'fastest' is not a valid load balancing algorithm type")
    code, _ = refused(elb.modify_target_group_attributes, TargetGroupArn=tg,
                      Attributes=[{"Key": "slow_start.duration_seconds", "Value": "10"}])
    assert code == "ValidationError"
    code, message = refused(elb.modify_target_group_attributes, TargetGroupArn=tg,
                            Attributes=[{"Key": "stickiness.type", "Value": "source_ip"}])
    assert (code, message) == ("InvalidConfigurationRequest",
                               "Stickiness type 'source_ip' is not supported for target groups with the HTTP protocol")
    code, _ = refused(elb.modify_target_group_attributes, TargetGroupArn=tg, Attributes=[
        {"Key": "slow_start.duration_seconds", "Value": "30"},
        {"Key": "load_balancing.algorithm.type", "Value": "least_outstanding_requests"}])
    assert code == "InvalidConfigurationRequest"
    out = elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "load_balancing.algorithm.type", "Value": "weighted_random"}])["Attributes"]
    assert {"Key": "load_balancing.algorithm.type", "Value": "weighted_random"} in out


def test_slow_start_gives_a_new_target_a_small_share_that_grows(gureum, elb, network):
    a, b = Backend("A"), Backend("B")
    try:
        tg = elb.create_target_group(
            Name="slow-tg", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
            HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
            HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "slow_start.duration_seconds", "Value": "600"}])
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": a.port}])
        lb = make_alb(elb, network, "slow")
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        advance(gureum, 61)
        url = f"http://{address_of(gureum, lb['DNSName'], 80)}/"
        healthy = lambda: {d["Target"]["Port"] for d in elb.describe_target_health(TargetGroupArn=tg)[  # noqa: E731
            "TargetHealthDescriptions"] if d["TargetHealth"]["State"] == "healthy"}
        wait_for(lambda: healthy() == {a.port}, timeout=30)
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": b.port}])
        wait_for(lambda: healthy() == {a.port, b.port}, timeout=30)
        early = [fetch(url)[0] for _ in range(40)]
        assert early.count("B") <= 8, early  # about 1% at first, not half
        advance(gureum, 600)  # the ramp is over: a full share, in turn
        late = [fetch(url)[0] for _ in range(6)]
        assert late.count("B") == 3, late
    finally:
        a.stop()
        b.stop()


needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl_version(url, host, port, cacert, *flags):
    """curl through the listener, verifying it with `cacert`: (HTTP version, body)."""
    p = subprocess.run(["curl", "-sS", "--max-time", "10", *flags, "--cacert", cacert,
                        "--resolve", f"{host}:{port}:127.0.0.1", "-w", "\n%{http_version}", url],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    body, version = p.stdout.rsplit("\n", 1)
    return version, body


def https_alb(gureum, elb, network, name, tg, tmp_path):
    """An ALB named `name` with an HTTPS listener (an ACM certificate for
    NAME.example.test) forwarding to `tg`: (listener's port, CA file)."""
    acm = gureum.client("acm")
    cert = acm.request_certificate(DomainName=f"{name}.example.test", ValidationMethod="EMAIL")["CertificateArn"]
    wait_for(lambda: acm.describe_certificate(CertificateArn=cert)["Certificate"]["Status"] == "ISSUED", timeout=20)
    root = tmp_path / "root.pem"
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/ca.pem") as r:
        root.write_bytes(r.read())
    lb = make_alb(elb, network, name)
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                        Certificates=[{"CertificateArn": cert}],
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    advance(gureum, 61)
    return lb, int(address_of(gureum, lb["DNSName"], 443).rsplit(":", 1)[1]), str(root)


@needs_curl
def test_an_https_listener_speaks_http2_to_clients_and_http1_to_targets(gureum, elb, network, tmp_path):
    a = Backend("A")
    try:
        tg = elb.create_target_group(Name="h2-tg", Protocol="HTTP", Port=80, VpcId=network["vpc"], TargetType="ip",
                                     HealthCheckPath="/health", HealthCheckIntervalSeconds=5,
                                     HealthCheckTimeoutSeconds=2)["TargetGroups"][0]
        assert tg["ProtocolVersion"] == "HTTP1"
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": a.port}])
        lb, port, root = https_alb(gureum, elb, network, "h2", tg["TargetGroupArn"], tmp_path)
        url = f"https://h2.example.test:{port}/over/h2?q=1"
        version, body = curl_version(url, "h2.example.test", port, root, "--http2")
        assert version == "2"
        seen = json.loads(body)
        assert seen["name"] == "A" and seen["path"] == "/over/h2?q=1"
        # The target got HTTP/1.1 with the :authority as its Host.
        assert seen["headers"]["host"] == f"h2.example.test:{port}"
        assert seen["headers"]["x-forwarded-proto"] == "https"
        version, _ = curl_version(url, "h2.example.test", port, root, "--http1.1")
        assert version == "1.1"

        gureum.restart(kill=True)
        port = int(address_of(gureum, lb["DNSName"], 443).rsplit(":", 1)[1])
        version, body = curl_version(f"https://h2.example.test:{port}/again", "h2.example.test", port,
                                     root, "--http2")
        assert version == "2" and json.loads(body)["path"] == "/again"
    finally:
        a.stop()


@needs_curl
@pytest.mark.skipif(shutil.which("nghttpd") is None, reason="nghttpd is not installed (apt-get install nghttp2-server)")
def test_an_http2_target_group_reaches_its_targets_over_http2(gureum, elb, network, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "health").write_text("ok\n")
    (docs / "page").write_text("served over h2c\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # nghttpd --no-tls speaks HTTP/2 only: an HTTP/1.1 request would fail.
    server = subprocess.Popen(["nghttpd", "--no-tls", "-a", "127.0.0.1", "-d", str(docs), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tg = elb.create_target_group(Name="h2c-tg", Protocol="HTTP", ProtocolVersion="HTTP2", Port=80,
                                     VpcId=network["vpc"], TargetType="ip", HealthCheckPath="/health",
                                     HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                     HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1", "Port": port}])
        _, lb_port, root = https_alb(gureum, elb, network, "h2c", tg, tmp_path)
        # Its health checks speak HTTP/2 too, so it turns healthy.
        wait_for(lambda: elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]
                 ["TargetHealth"]["State"] == "healthy", timeout=30)
        version, body = curl_version(f"https://h2c.example.test:{lb_port}/page", "h2c.example.test", lb_port,
                                     root, "--http1.1")
        assert (version, body.strip()) == ("1.1", "served over h2c")
    finally:
        server.kill()
        server.wait()
