#!/usr/bin/env python3
"""What an application load balancer adds to a request: Gureum's server
CPU per proxied HTTP request and the p50/p99 latency through the ALB,
against the same requests sent straight to the target, in one run at 16
keep-alive connections (one client process each).

  python3 scripts/bench_elb.py [--gureum PATH] [--requests N] [--connections C] [--rate R]

The target is a small asyncio HTTP/1.1 server (two processes sharing the
port) answering a fixed 2-byte body; it runs outside Gureum, so Gureum's
CPU over the proxied run is the load balancer's own (health checks
included). Gureum runs its release build by default.
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, Server, cpu_seconds, release_binary  # noqa: E402

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""

    def data_received(self, data):
        self.buf += data
        n = self.buf.count(b"\r\n\r\n")
        if n:
            self.buf = self.buf[self.buf.rfind(b"\r\n\r\n") + 4:]
            self.transport.write(RESPONSE * n)


def backend(sock):
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(Answer, sock=sock))
    loop.run_until_complete(server.serve_forever())


def start_backend(processes=2):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    procs = [mp.Process(target=backend, args=(sock,), daemon=True) for _ in range(processes)]
    for p in procs:
        p.start()
    return sock.getsockname()[1], procs


def _client(port, n, msg, out, interval=0.0):
    conn = Connection(port)
    for _ in range(50):
        conn.roundtrip(msg)
    lat = []
    next_at = time.perf_counter()
    for _ in range(n):
        if interval:
            # Paced: one request every `interval` seconds per connection.
            next_at += interval
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        t0 = time.perf_counter()
        conn.roundtrip(msg)
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put(lat)


def run(port, server_pid, n, connections, rate=0):
    msg = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    status, body = Connection(port).roundtrip(msg)
    assert status.startswith(b"HTTP/1.1 200") and body == b"ok", (status, body)
    per = n // connections
    q = mp.Queue()
    interval = connections / rate if rate else 0.0
    procs = [mp.Process(target=_client, args=(port, per, msg, q, interval)) for _ in range(connections)]
    before = cpu_seconds(server_pid)
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    lat = []
    for _ in procs:
        lat += q.get()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(server_pid) - before
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    total = per * connections
    return {"p50_ms": pct(0.5), "p99_ms": pct(0.99), "rps": total / wall, "cpu_us": cpu / total * 1e6}


def alb_in_front_of(endpoint, target_port, attributes=None):
    """Creates an ALB (HTTP :80, one healthy `ip` target at `target_port`)
    in the Gureum at `endpoint`, with load balancer `attributes`; returns
    its listener's loopback port."""
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
              aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
    ec2, elb = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
               for i, z in enumerate(["us-east-1a", "us-east-1b"])]
    tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=target_port, VpcId=vpc, TargetType="ip",
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                 HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "127.0.0.1"}])
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    req = urllib.request.Request(endpoint + "/_gureum/clock", method="POST",
                                 data=json.dumps({"advance_seconds": 61}).encode())
    urllib.request.urlopen(req).read()
    deadline = time.time() + 30
    alb_port = None
    while time.time() < deadline:
        health = json.load(urllib.request.urlopen(endpoint + "/_gureum/health"))
        states = [d["TargetHealth"]["State"] for d in
                  elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
        found = [e for e in health["endpoints"]["elbv2"] if e["dns_name"] == lb["DNSName"]]
        if found and states == ["healthy"]:
            alb_port = int(found[0]["address"].rsplit(":", 1)[1])
            break
        time.sleep(0.5)
    if attributes:
        elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
            {"Key": k, "Value": v} for k, v in attributes.items()])
    assert alb_port, "the ALB never listened with a healthy target"
    return alb_port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=40000)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rate", type=int, default=0, help="pace all connections together at this many requests/s")
    args = ap.parse_args()
    target_port, backends = start_backend()
    with tempfile.TemporaryDirectory() as data:
        server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data, "--log-level", "warn"])
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{server.port}"
            alb_port = alb_in_front_of(endpoint, target_port)
            pid = server.proc.pid
            direct = run(target_port, pid, args.requests, args.connections, args.rate)
            through = run(alb_port, pid, args.requests, args.connections, args.rate)
            print(f"load average {os.getloadavg()[0]:.2f} (1 min) after the runs")
            print(f"| path | p50 | p99 | req/s | Gureum CPU per request |")
            print("|---|---|---|---|---|")
            for name, r in [("direct to the target", direct), ("through the ALB", through)]:
                print(f"| {name} | {r['p50_ms']:.3f} ms | {r['p99_ms']:.3f} ms | {r['rps']:,.0f} | {r['cpu_us']:.1f} µs |")
            print(f"| **added by the ALB** | {through['p50_ms'] - direct['p50_ms']:.3f} ms | "
                  f"{through['p99_ms'] - direct['p99_ms']:.3f} ms | | {through['cpu_us'] - direct['cpu_us']:.1f} µs |")
        finally:
            server.stop()
            for p in backends:
                p.terminate()


if __name__ == "__main__":
    main()
