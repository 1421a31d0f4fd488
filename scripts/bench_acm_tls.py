#!/usr/bin/env python3
"""What TLS costs an ELB listener: Gureum's server CPU and the client's
wall time per new connection (one request each, `Connection: close`) on an
HTTPS listener with an ACM certificate (ECDSA P-256 and RSA 2048) against
the same on a plain HTTP listener, and per request once a TLS connection
is kept alive.

  python3 scripts/bench_acm_tls.py [--gureum PATH] [--connections N]

Both listeners answer a fixed response (no target), so the difference is
the handshake and record layer. The client is Python's ssl module in this
process; server CPU is read from /proc for Gureum alone.
"""
import argparse
import os
import socket
import ssl
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, cpu_seconds, release_binary  # noqa: E402

HOST = "bench.example.test"
REQUEST = f"GET / HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
CLOSE = f"GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()


def client(port, svc):
    return boto3.client(svc, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def wait(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.3)
    raise SystemExit("timed out")


def listener_address(port, dns, lport):
    def find():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_gureum/health") as r:
            import json
            for e in json.load(r)["endpoints"]["elbv2"]:
                if e["dns_name"] == dns and e["port"] == lport:
                    return int(e["address"].rsplit(":", 1)[1])
        return None
    return wait(find)


def read_response(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = next((int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")), 0)
    while len(rest) < length:
        rest += sock.recv(4096)
    return head


def one_connection(port, context):
    raw = socket.create_connection(("127.0.0.1", port))
    sock = context.wrap_socket(raw, server_hostname=HOST) if context else raw
    sock.sendall(CLOSE)
    head = read_response(sock)
    sock.close()
    assert head.startswith(b"HTTP/1.1 200"), head


def measure(pid, port, context, n):
    for _ in range(20):
        one_connection(port, context)
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    for _ in range(n):
        one_connection(port, context)
    return (cpu_seconds(pid) - cpu0) / n * 1e6, (time.perf_counter() - t0) / n * 1e6


def keep_alive(pid, port, context, n):
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=HOST)
    for _ in range(50):
        sock.sendall(REQUEST)
        read_response(sock)
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    for _ in range(n):
        sock.sendall(REQUEST)
        read_response(sock)
    out = (cpu_seconds(pid) - cpu0) / n * 1e6, (time.perf_counter() - t0) / n * 1e6
    sock.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--connections", type=int, default=500)
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="gureum-bench-tls-")
    server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data,
                                         "--log-level", "warn"])
    server.start()
    try:
        port, pid = server.port, server.proc.pid
        acm, elb, ec2 = client(port, "acm"), client(port, "elbv2"), client(port, "ec2")
        certs = {}
        for alg in ("EC_prime256v1", "RSA_2048"):
            arn = acm.request_certificate(DomainName=HOST, ValidationMethod="EMAIL", KeyAlgorithm=alg)["CertificateArn"]
            wait(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED")
            certs[alg] = arn
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
        lb = elb.create_load_balancer(Name="tls", Subnets=[a, b])["LoadBalancers"][0]
        fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "ok",
                                                                     "ContentType": "text/plain"}}]
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=fixed)
        for lport, alg in ((443, "EC_prime256v1"), (8443, "RSA_2048")):
            elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=lport,
                                SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                Certificates=[{"CertificateArn": certs[alg]}], DefaultActions=fixed)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/_gureum/clock", method="POST",
                                     data=b'{"advance_seconds": 61}', headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        ports = {name: listener_address(port, lb["DNSName"], lp) for name, lp in
                 (("http", 80), ("ecdsa", 443), ("rsa", 8443))}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_gureum/ca.pem") as r:
            root = r.read().decode()
        ctx = ssl.create_default_context(cadata=root)
        n = args.connections
        rows = [("HTTP, new connection", *measure(pid, ports["http"], None, n))]
        for name in ("ecdsa", "rsa"):
            for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
                c = ssl.create_default_context(cadata=root)
                c.minimum_version = c.maximum_version = version
                label = f"HTTPS {name.upper()} {version.name.replace('v', ' ').replace('_', '.')}, new connection"
                rows.append((label, *measure(pid, ports[name], c, n)))
        rows.append(("HTTPS ECDSA TLS 1.3, kept alive (per request)", *keep_alive(pid, ports["ecdsa"], ctx, n * 4)))
        print(f"{'case':<48} {'server CPU µs':>14} {'client wall µs':>15}")
        for label, cpu, wall in rows:
            print(f"{label:<48} {cpu:>14.0f} {wall:>15.0f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
