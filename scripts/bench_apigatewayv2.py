#!/usr/bin/env python3
"""API Gateway v2's data plane: latency and server CPU per request through
an HTTP API, for a route miss (404, no function), a Lambda proxy route
(payload 2.0, a warm Python function), and the same route behind a JWT
authorizer (RS256 verified per request, the key set cached).

  python3 scripts/bench_apigatewayv2.py [--gureum PATH] [--requests N]

One keep-alive connection drives the requests; server CPU is the server
process's (utime+stime) from /proc, which excludes the function's own
process. Gureum runs its release build by default.
"""
import argparse
import base64
import http.client
import http.server
import io
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import zipfile

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, cpu_seconds, release_binary  # noqa: E402

FUNCTION = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def client(port, service):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issuer():
    """A key set served on loopback, and a token it verifies."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    n = key.public_key().public_numbers()
    jwks = json.dumps({"keys": [{"kty": "RSA", "kid": "k", "n": b64(n.n.to_bytes(256, "big")),
                                 "e": b64(n.e.to_bytes(3, "big"))}]}).encode()

    class Keys(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.path == "/.well-known/jwks.json"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(jwks) if ok else 0))
            self.end_headers()
            if ok:
                self.wfile.write(jwks)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    head = b64(json.dumps({"alg": "RS256", "kid": "k"}).encode())
    body = b64(json.dumps({"iss": url, "aud": "a", "exp": int(time.time()) + 3600}).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return srv, url, f"{head}.{body}.{b64(sig)}"


def measure(server, n, api_id, path, headers, expect):
    conn = http.client.HTTPConnection("127.0.0.1", server.port)
    host = {"Host": f"{api_id}.execute-api.localhost:{server.port}", **headers}

    def one():
        t0 = time.perf_counter()
        conn.request("GET", path, headers=host)
        r = conn.getresponse()
        r.read()
        assert r.status == expect, r.status
        return (time.perf_counter() - t0) * 1e6

    for _ in range(20):
        one()
    before = cpu_seconds(server.proc.pid)
    times = sorted(one() for _ in range(n))
    cpu = (cpu_seconds(server.proc.pid) - before) / n * 1e6
    conn.close()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="bench-apigwv2-")
    server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data,
                                         "--log-level", "warn"])
    server.start()
    keys = None
    try:
        lam = client(server.port, "lambda")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", FUNCTION)
        arn = lam.create_function(FunctionName="f", Runtime="python3.12", Handler="app.handler",
                                  Role="arn:aws:iam::000000000000:role/r",
                                  Code={"ZipFile": buf.getvalue()})["FunctionArn"]
        lam.get_waiter("function_active_v2").wait(FunctionName="f")
        lam.add_permission(FunctionName="f", StatementId="s", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
        apigw = client(server.port, "apigatewayv2")
        api = apigw.create_api(Name="b", ProtocolType="HTTP")["ApiId"]
        i = apigw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                     PayloadFormatVersion="2.0")["IntegrationId"]
        apigw.create_route(ApiId=api, RouteKey="GET /open", Target=f"integrations/{i}")
        keys, url, token = issuer()
        auth = apigw.create_authorizer(ApiId=api, AuthorizerType="JWT", Name="j",
                                       IdentitySource=["$request.header.Authorization"],
                                       JwtConfiguration={"Issuer": url, "Audience": ["a"]})["AuthorizerId"]
        apigw.create_route(ApiId=api, RouteKey="GET /jwt", Target=f"integrations/{i}",
                           AuthorizationType="JWT", AuthorizerId=auth)
        apigw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
        print(f"{'request':<28} {'p50 µs':>9} {'p99 µs':>9} {'server CPU µs':>14}")
        for name, path, headers, status in [
            ("route miss (404)", "/nothing", {}, 404),
            ("Lambda proxy, payload 2.0", "/open", {}, 200),
            ("Lambda proxy behind JWT", "/jwt", {"Authorization": "Bearer " + token}, 200),
        ]:
            p50, p99, cpu = measure(server, args.requests, api, path, headers, status)
            print(f"{name:<28} {p50:>9.0f} {p99:>9.0f} {cpu:>14.0f}")
    finally:
        server.stop()
        if keys:
            keys.shutdown()


if __name__ == "__main__":
    main()
