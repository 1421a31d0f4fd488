#!/usr/bin/env python3
"""API Gateway's cost per request: server CPU of one request to a REST
API's Lambda-proxy method (invoke URL by Host header) against one direct
Lambda Invoke of the same function, in the same server.

  python3 scripts/bench_apigateway.py [--gureum PATH] [--requests N]

Server CPU is (utime+stime) of the server process from /proc over the run,
divided by the requests made; the function runs in its own process (the
Runtime API's), so its CPU is not counted, only what the server does to
receive, route, build the event, hand it over and answer. One keep-alive
connection each. Gureum runs its release build by default (debug figures
are not meaningful). Issue 19's budget: at most 100 µs more than Invoke.
"""
import argparse
import http.client
import io
import json
import os
import sys
import tempfile
import zipfile

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, cpu_seconds, release_binary  # noqa: E402

FUNCTION = """
def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
"""


def client(service, port):
    return boto3.client(
        service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}))


def setup(port):
    lam, apigw = client("lambda", port), client("apigateway", port)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", FUNCTION)
    arn = lam.create_function(FunctionName="bench", Runtime="python3.12", Handler="app.handler",
                              Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="bench")
    api = apigw.create_rest_api(name="bench")
    res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    apigw.put_method(restApiId=api["id"], resourceId=res["id"], httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=res["id"], httpMethod="ANY", type="AWS_PROXY",
                          integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    lam.add_permission(FunctionName="bench", StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api['id']}/*")
    return lam, api["id"]


def per_request_us(pid, n, one):
    for _ in range(50):
        one()
    before = cpu_seconds(pid)
    for _ in range(n):
        one()
    return (cpu_seconds(pid) - before) / n * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="bench-apigw-")
    server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data, "--log-level", "warn"])
    server.start()
    try:
        lam, api_id = setup(server.port)
        host = f"{api_id}.execute-api.localhost:{server.port}"
        # The server closes connections idle past 10 s (the other round's
        # length): each round opens its own before its warm-up.
        conn = [None]

        def via_api():
            if conn[0] is None:
                conn[0] = http.client.HTTPConnection("127.0.0.1", server.port)
            conn[0].request("GET", "/prod/items/1?x=y", headers={"Host": host, "User-Agent": "bench"})
            r = conn[0].getresponse()
            assert r.status == 200 and r.read() == b"ok", r.status

        def direct():
            out = lam.invoke(FunctionName="bench", Payload=b'{"path": "/items/1"}')
            assert out["StatusCode"] == 200 and "FunctionError" not in out
            out["Payload"].read()

        # Interleaved rounds, so load from other processes hits both alike.
        api_runs, invoke_runs = [], []
        for _ in range(3):
            conn[0] = None
            api_runs.append(per_request_us(server.proc.pid, args.requests, via_api))
            invoke_runs.append(per_request_us(server.proc.pid, args.requests, direct))
        api_us, invoke_us = min(api_runs), min(invoke_runs)
        print(json.dumps({
            "requests_per_round": args.requests,
            "apigateway_proxy_us": [round(x, 1) for x in api_runs],
            "lambda_invoke_us": [round(x, 1) for x in invoke_runs],
            "best_apigateway_us": round(api_us, 1),
            "best_invoke_us": round(invoke_us, 1),
            "extra_us": round(api_us - invoke_us, 1),
            "budget_us": 100,
        }, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
