#!/usr/bin/env python3
"""What a CloudFront cache hit costs: Gureum's server CPU per edge request
answered from the cache (`X-Cache: Hit from cloudfront`), next to an
anonymous S3 GetObject of the same 1 KiB object and the health floor, in
one run over keep-alive connections (one client process each).

  python3 scripts/bench_cloudfront.py [--gureum PATH] [--requests N] [--connections C]

Issue 22's budget: a hit in at most 40 µs of server CPU (the S3 GET
budget). Gureum runs its release build by default.
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, Server, cpu_seconds, release_binary  # noqa: E402

BUCKET = "bench-edge"
OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def _client(port, n, msg, out):
    conn = Connection(port)
    for _ in range(50):
        conn.roundtrip(msg)
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.roundtrip(msg)
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put(lat)


def run(port, pid, msg, n, connections):
    per = n // connections
    q = mp.Queue()
    procs = [mp.Process(target=_client, args=(port, per, msg, q)) for _ in range(connections)]
    before = cpu_seconds(pid)
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    lat = []
    for _ in procs:
        lat += q.get()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(pid) - before
    lat.sort()
    total = per * connections
    return {"p50_ms": lat[len(lat) // 2] * 1000, "rps": total / wall, "cpu_us": cpu / total * 1e6}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=40000)
    ap.add_argument("--connections", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as data:
        server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data, "--log-level", "warn"])
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{server.port}"
            kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}))
            s3, cf = boto3.client("s3", **kw), boto3.client("cloudfront", **kw)
            s3.create_bucket(Bucket=BUCKET)
            s3.delete_public_access_block(Bucket=BUCKET)
            s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
            s3.put_object(Bucket=BUCKET, Key="obj", Body=b"x" * 1024, ContentType="application/octet-stream")
            dist = cf.create_distribution(DistributionConfig={
                "CallerReference": "bench", "Comment": "", "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": f"{BUCKET}.s3.amazonaws.com",
                                                      "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
                "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
                                         "CachePolicyId": OPTIMIZED}})["Distribution"]
            host = f"{dist['Id']}.cloudfront.localhost:{server.port}"
            hit = f"GET /obj HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
            status, body = Connection(server.port).roundtrip(hit)
            assert status.startswith(b"HTTP/1.1 200") and len(body) == 1024, status
            status, _ = Connection(server.port).roundtrip(hit)
            assert b"hit from cloudfront" in status.lower(), status
            s3_get = f"GET /{BUCKET}/obj HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
            health = f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
            pid = server.proc.pid
            rows = [("health (floor)", run(server.port, pid, health, args.requests, args.connections)),
                    ("S3 GetObject 1 KiB, anonymous", run(server.port, pid, s3_get, args.requests, args.connections)),
                    ("CloudFront hit 1 KiB", run(server.port, pid, hit, args.requests, args.connections))]
            print("| request | p50 | req/s | Gureum CPU per request |")
            print("|---|---|---|---|")
            for name, r in rows:
                print(f"| {name} | {r['p50_ms']:.3f} ms | {r['rps']:,.0f} | {r['cpu_us']:.1f} µs |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
