#!/usr/bin/env python3
"""Lambda's invoke path: warm Invoke latency and Gureum's own CPU per
invoke, Python cold start, and 1,000 invokes at concurrency 10 with no
errors and no leaked processes.

  python3 scripts/bench_lambda.py [--gureum PATH] [--requests N]

- Warm Invoke: a trivial Python handler (`return 1`), one keep-alive
  connection, the SigV4-signed request built once by botocore and sent N
  times; latency is the client's round trip. Gureum's CPU per invoke is
  (utime+stime) of the gureum process alone from /proc over the run,
  divided by N: the function's process is not counted (its CPU is in its
  own /proc entry), the Runtime API Gureum serves to it is.
- Cold start: the function's configuration changes before each invoke
  (a new environment variable: a new execution environment), and the
  REPORT line's `Init Duration` plus the round trip are read, with the new
  runtime process's own CPU (start-up and one invoke), which does not
  depend on the machine's load as wall times do.
- Concurrency: 10 threads, one connection each, 1,000 invokes in all;
  errors counted; the runtime processes (children of the gureum process)
  counted before, after, and after the server stops.
Issue 19's budgets: warm p50 ≤ 2 ms, ≤ 150 µs of Gureum CPU per invoke,
cold start ≤ 150 ms. moto cannot run functions without Docker, so there is
no peer figure.
"""
import argparse
import base64
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, Server, cpu_seconds, release_binary  # noqa: E402

FUNCTION = "def handler(event, context):\n    return 1\n"


def client(port):
    return boto3.client(
        "lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}))


def signed_invoke(port, name, extra_headers=None):
    path = f"/2015-03-31/functions/{name}/invocations"
    body = b"{}"
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://127.0.0.1:{port}{path}", data=body, headers=extra_headers or {})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "lambda", "us-east-1").add_auth(req)
    p = req.prepare()
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    for k, v in p.headers.items():
        if k.lower() != "host":
            head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def children(pid):
    """The processes whose parent is `pid` (execution environments)."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def warm(server, n):
    msg = signed_invoke(server.port, "bench")
    conn = Connection(server.port)
    for _ in range(100):
        status, body = conn.roundtrip(msg)
        assert b" 200 " in status and body == b"1", (status, body)
    lat = []
    before = cpu_seconds(server.proc.pid)
    for _ in range(n):
        t0 = time.perf_counter()
        status, body = conn.roundtrip(msg)
        lat.append(time.perf_counter() - t0)
    cpu = (cpu_seconds(server.proc.pid) - before) / n * 1e6
    assert body == b"1"
    conn.close()
    return lat, cpu


def cold(lam, pid, n):
    """Init Duration, round trip and the new runtime's own CPU (start-up
    plus one invoke: load-independent, unlike the wall times on a shared
    machine) of `n` cold starts."""
    inits, trips, cpus = [], [], []
    for i in range(n):
        lam.update_function_configuration(FunctionName="bench", Environment={"Variables": {"ROUND": str(i)}})
        t0 = time.perf_counter()
        out = lam.invoke(FunctionName="bench", Payload=b"{}", LogType="Tail")
        trips.append(time.perf_counter() - t0)
        log = base64.b64decode(out["LogResult"]).decode()
        inits.append(float(re.search(r"Init Duration: ([\d.]+) ms", log).group(1)))
        # The update retired the idle environment: the child left is new.
        cpus.append(sum(cpu_seconds(c) for c in children(pid)) * 1000)
    return inits, trips, cpus


def concurrent(server, total, threads):
    msg = signed_invoke(server.port, "bench")
    errors, lat = [], []
    lock = threading.Lock()

    def worker(count):
        conn = Connection(server.port)
        for _ in range(count):
            t0 = time.perf_counter()
            try:
                status, body = conn.roundtrip(msg)
                ok = b" 200 " in status and body == b"1"
            except Exception as e:  # noqa: BLE001 - counted, not raised
                ok, status = False, str(e).encode()
            with lock:
                lat.append(time.perf_counter() - t0)
                if not ok:
                    errors.append(status[:80])
        conn.close()

    ts = [threading.Thread(target=worker, args=(total // threads,)) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0, lat, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--cold", type=int, default=10)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="bench-lambda-")
    server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data, "--log-level", "warn"])
    server.start()
    pid = server.proc.pid
    result = {"load_average_start": os.getloadavg()}
    try:
        lam = client(server.port)
        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{server.port}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", FUNCTION)
        lam.create_function(FunctionName="bench", Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()})
        lam.get_waiter("function_active_v2").wait(FunctionName="bench")
        inits, trips, cpus = cold(lam, pid, args.cold)
        result["cold_runtime_cpu_ms"] = {"p50": round(statistics.median(cpus), 1), "max": round(max(cpus), 1)}
        result["cold_init_duration_ms"] = {"p50": round(statistics.median(inits), 1), "max": round(max(inits), 1)}
        result["cold_invoke_round_trip_ms"] = {"p50": round(statistics.median(trips) * 1000, 1), "max": round(max(trips) * 1000, 1)}
        lat, cpu = warm(server, args.requests)
        result["warm_invoke_ms"] = {"p50": round(pct(lat, 50) * 1000, 3), "p95": round(pct(lat, 95) * 1000, 3),
                                    "p99": round(pct(lat, 99) * 1000, 3)}
        result["gureum_cpu_per_warm_invoke_us"] = round(cpu, 1)
        before = children(pid)
        wall, clat, errors = concurrent(server, 1000, 10)
        after = children(pid)
        result["concurrency_10"] = {
            "invokes": len(clat), "errors": len(errors), "first_errors": [e.decode(errors="replace") for e in errors[:3]],
            "wall_s": round(wall, 2), "per_second": round(len(clat) / wall, 1),
            "p50_ms": round(pct(clat, 50) * 1000, 2), "p99_ms": round(pct(clat, 99) * 1000, 2),
            "runtime_processes_before": len(before), "runtime_processes_after": len(after),
        }
        result["load_average_end"] = os.getloadavg()
    finally:
        survivors_before_stop = children(pid)
        server.stop()
        time.sleep(0.5)
        alive = [p for p in survivors_before_stop if os.path.exists(f"/proc/{p}")]
        result["runtime_processes_left_after_stop"] = len(alive)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
