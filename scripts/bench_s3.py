#!/usr/bin/env python3
"""S3 object benchmarks against Gureum and moto_server in the same run.

  python3 scripts/bench_s3.py [--gureum PATH] [--requests N] [--no-moto]

- 1 KiB PutObject and GetObject over one keep-alive connection: each request
  is SigV4-signed once by botocore (payload hash signed) and sent N times;
  server CPU per request is (utime+stime) from /proc over the run and the
  1.5 s after it (the checkpoint of the run's writes, which runs in the
  background) / N.
  Gureum also gets a floor row: its unauthenticated health check, the
  cheapest request it serves, so a run on a slow machine can be read
  against what any request costs there.
- 64 MiB PutObject and GetObject at one connection (UNSIGNED-PAYLOAD, as
  clients over TLS send): throughput = bytes / wall time of the whole
  exchange, best of several; server CPU per MiB alongside.
"""
import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, cpu_seconds, gureum_and_moto, read_response, release_binary  # noqa: E402

CREDS = botocore.credentials.Credentials("test", "test")


class UnsignedPayloadAuth(botocore.auth.S3SigV4Auth):
    """SigV4 with UNSIGNED-PAYLOAD (what S3 clients send over TLS)."""

    def _should_sha256_sign_payload(self, request):
        return False


def signed(method, port, path, body=b"", unsigned_payload=False):
    """A raw HTTP/1.1 request head (+ body) signed with SigV4 for S3."""
    req = botocore.awsrequest.AWSRequest(method=method, url=f"http://127.0.0.1:{port}{path}", data=body)
    auth = UnsignedPayloadAuth if unsigned_payload else botocore.auth.S3SigV4Auth
    auth(CREDS, "s3", "us-east-1").add_auth(req)
    p = req.prepare()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    for k, v in p.headers.items():
        if k.lower() not in ("host", "content-length"):
            head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode()


def ok(status):
    return status.split(b"\r\n")[0].split(b" ")[1] in (b"200", b"204")


def small_ops(server, n):
    body = os.urandom(1024)
    conn = Connection(server.port)
    status, resp = conn.roundtrip(signed("PUT", server.port, "/bench", b""))  # CreateBucket
    put = signed("PUT", server.port, "/bench/small-object", body) + body
    get = signed("GET", server.port, "/bench/small-object")
    results = {}
    cases = [("PutObject 1 KiB", put), ("GetObject 1 KiB", get)]
    if server.name == "gureum":
        # The cheapest request there is (no signature, no store): this VM's
        # floor for one request's wake-up, syscalls and HTTP handling right
        # now, which moves between runs more than our code does.
        health = f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        cases.append(("floor: GET /_gureum/health", health))
    for name, msg in cases:
        status, resp = conn.roundtrip(msg)
        assert ok(status), (name, status, resp[:300])
        if name.startswith("Get"):
            assert resp == body, "GET returned other bytes"
        for _ in range(50):
            conn.roundtrip(msg)
        lat = []
        c0 = cpu_seconds(server.proc.pid)
        t0 = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            conn.roundtrip(msg)
            lat.append(time.perf_counter() - t)
        wall = time.perf_counter() - t0
        # Writes leave work to the checkpointer thread (every second): count
        # it against the operation that caused it, not the next one.
        time.sleep(1.5)
        c1 = cpu_seconds(server.proc.pid)
        lat.sort()
        results[name] = {"p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[int(len(lat) * 0.99)] * 1000,
                         "rps": n / wall, "cpu_us": (c1 - c0) / n * 1e6, "n": n}
    conn.close()
    return results


def big_put(port, payload, key):
    head = signed("PUT", port, f"/bench/{key}", b"", unsigned_payload=True)
    head = head.replace(b"Content-Length: 0", f"Content-Length: {len(payload)}".encode())
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        t0 = time.perf_counter()
        s.sendall(head)
        s.sendall(payload)
        status, _, _ = read_response(s, b"")
        wall = time.perf_counter() - t0
    assert ok(status), status
    return wall


def big_get(port, key, size):
    head = signed("GET", port, f"/bench/{key}")
    buf = bytearray(size + 65536)
    view = memoryview(buf)
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        t0 = time.perf_counter()
        s.sendall(head)
        got = 0
        header_end = -1
        while True:
            n = s.recv_into(view[got:])
            if n == 0:
                break
            got += n
            if header_end < 0:
                header_end = bytes(buf[:got]).find(b"\r\n\r\n")
            if header_end >= 0 and got - (header_end + 4) >= size:
                break
        wall = time.perf_counter() - t0
    assert bytes(buf[:12]).startswith(b"HTTP/1.1 200"), bytes(buf[:200])
    assert got - (header_end + 4) == size
    return wall


def large_ops(server, size_mib, rounds):
    size = size_mib << 20
    payload = os.urandom(size)
    out = {}
    for name, run in (("PutObject 64 MiB", lambda i: big_put(server.port, payload, f"large-{i % 2}")),
                      ("GetObject 64 MiB", lambda i: big_get(server.port, "large-0", size))):
        walls, cpus = [], []
        for i in range(rounds):
            c0 = cpu_seconds(server.proc.pid)
            walls.append(run(i))
            cpus.append(cpu_seconds(server.proc.pid) - c0)
        best = min(walls)
        out[name] = {"gbps_best": size / best / 1e9, "gbps_median": size / statistics.median(walls) / 1e9,
                     "cpu_ms_per_mib": statistics.median(cpus) * 1000 / size_mib, "rounds": rounds}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=None)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()
    gureum = args.gureum or release_binary()
    data = tempfile.mkdtemp(prefix="gureum-bench-s3-")
    servers = gureum_and_moto(gureum, data, args.no_moto)
    rows = []
    for srv in servers:
        srv.start()
        n = args.requests if srv.name == "gureum" else max(300, args.requests // 20)
        small = small_ops(srv, n)
        large = large_ops(srv, 64, args.rounds if srv.name == "gureum" else 2)
        srv.stop()
        rows.append((srv.name, small, large))
    shutil.rmtree(data, ignore_errors=True)

    print("S3 objects, one keep-alive connection, SigV4 (payload hash signed):")
    print()
    print("| server | operation | p50 / p99 (ms) | req/s | server CPU/req (µs) | requests |")
    print("|---|---|---|---|---|---|")
    for name, small, _ in rows:
        for op, r in small.items():
            print(f"| {name} | {op} | {r['p50_ms']:.3f} / {r['p99_ms']:.3f} | {r['rps']:.0f} | {r['cpu_us']:.1f} | {r['n']} |")
    print()
    print("64 MiB objects, one connection (UNSIGNED-PAYLOAD):")
    print()
    print("| server | operation | GB/s best / median | server CPU (ms per MiB) | rounds |")
    print("|---|---|---|---|---|")
    for name, _, large in rows:
        for op, r in large.items():
            print(f"| {name} | {op} | {r['gbps_best']:.2f} / {r['gbps_median']:.2f} | {r['cpu_ms_per_mib']:.3f} | {r['rounds']} |")


if __name__ == "__main__":
    sys.exit(main())
