#!/usr/bin/env python3
"""The DNS server's cost per query: server CPU from /proc over many UDP
queries (issue 22's budget: <= 20 us per query, so >= 50,000 queries/s on
one core).

  python3 scripts/bench_dns.py [--gureum PATH] [--queries N] [--clients K]

A zone with a simple A record, a weighted pair and a CNAME is made through
the API; K client processes then send A queries over UDP, a window of
queries in flight each, to the address `/_gureum/health` lists as
`endpoints.dns`. Server CPU is (utime+stime) of the server process over
the run divided by the queries answered, so the clients' own cost does
not count. Gureum runs its release build by default.
"""
import argparse
import json
import multiprocessing
import os
import socket
import struct
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, cpu_seconds, release_binary  # noqa: E402

NAMES = ["www.bench.example", "w.bench.example", "alias.bench.example", "nope.bench.example"]


def query(qid, name):
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)


def client(addr, n, window, out):
    """Sends `n` queries keeping `window` in flight; counts the answers."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    packets = [query(i, NAMES[i % len(NAMES)]) for i in range(64)]
    sent = answered = 0
    while sent < min(window, n):
        s.sendto(packets[sent % 64], addr)
        sent += 1
    while answered < n:
        try:
            s.recv(2048)
        except socket.timeout:
            # A lost datagram: put another in flight.
            if sent < n + window:
                s.sendto(packets[sent % 64], addr)
                sent += 1
            continue
        answered += 1
        if sent < n:
            s.sendto(packets[sent % 64], addr)
            sent += 1
    out.put(answered)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gureum", default=release_binary())
    p.add_argument("--queries", type=int, default=200_000)
    p.add_argument("--clients", type=int, default=2)
    p.add_argument("--window", type=int, default=16)
    args = p.parse_args()

    data = tempfile.mkdtemp(prefix="gureum-bench-dns-")
    server = Server("gureum", lambda port: [args.gureum, "serve", "--port", str(port), "--data-dir", data, "--log-level", "warn"])
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server.port}"
        r53 = boto3.client(
            "route53", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}),
        )
        zone = r53.create_hosted_zone(Name="bench.example", CallerReference="bench")["HostedZone"]["Id"]

        def rr(name, rtype, value, **extra):
            return {"Action": "CREATE", "ResourceRecordSet": {
                "Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}}

        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            rr("www.bench.example", "A", "192.0.2.1"),
            rr("w.bench.example", "A", "192.0.2.2", SetIdentifier="a", Weight=3),
            rr("w.bench.example", "A", "192.0.2.3", SetIdentifier="b", Weight=1),
            rr("alias.bench.example", "CNAME", "www.bench.example"),
        ]})
        with urllib.request.urlopen(endpoint + "/_gureum/health") as r:
            host, port = json.load(r)["endpoints"]["dns"].rsplit(":", 1)
        addr = (host, int(port))
        per_client = args.queries // args.clients
        # Warm up (the zone index is built on the first query).
        q = multiprocessing.Queue()
        client(addr, 2000, args.window, q)
        q.get()

        before = cpu_seconds(server.proc.pid)
        t0 = time.perf_counter()
        procs = [multiprocessing.Process(target=client, args=(addr, per_client, args.window, q)) for _ in range(args.clients)]
        for pr in procs:
            pr.start()
        answered = sum(q.get() for _ in procs)
        for pr in procs:
            pr.join()
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(server.proc.pid) - before
        print(f"queries answered: {answered} in {wall:.2f} s ({answered / wall:,.0f}/s through {args.clients} Python clients)")
        print(f"server CPU: {cpu:.2f} s, {cpu / answered * 1e6:.1f} us per query "
              f"({answered / cpu:,.0f} queries/s per core of server CPU)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
