#!/usr/bin/env python3
"""Gureum's own benchmark: start-up, idle footprint and the request path.

Runs each measurement against Gureum and, when it is installed, against
moto_server in the same run, and prints a markdown table.

  python3 scripts/bench.py [--gureum PATH] [--requests N] [--no-moto]

Measured:
- start → first answered request (ms): from spawning the process to the
  first HTTP answer on its port, polled every millisecond; best and median
  of several cold starts (on the data dir of a previous start: a warm disk).
- idle RSS (MB) after start-up (VmRSS from /proc).
- sts:GetCallerIdentity with SigV4 verification, over one keep-alive
  connection: the request is signed once by botocore (test/test) and sent N
  times; latency percentiles are round trips measured by the client, server
  CPU per request is (utime+stime) of the server process from /proc over
  the run divided by N. Server CPU per request is the figure to trust on a
  2-core machine where the client competes for CPU.
"""
import argparse
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import botocore.auth
import botocore.awsrequest
import botocore.credentials

REPO = pathlib.Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid, split=False):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user, system = int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK
    return (user, system) if split else user + system


def rss_mb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_http(port, deadline_s=20.0):
    """Polls until any HTTP answer; returns seconds waited."""
    req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < deadline_s:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(req)
                if s.recv(16).startswith(b"HTTP/"):
                    return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.001)
    raise RuntimeError(f"no answer on port {port}")


class Server:
    def __init__(self, name, argv_for_port):
        self.name = name
        self.argv_for_port = argv_for_port
        self.proc = None

    def start(self):
        self.port = free_port()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv_for_port(self.port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(self.port)
        return (time.perf_counter() - t0) * 1000

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


def release_binary():
    """The release build of `gureum` under $CARGO_TARGET_DIR (or target/)."""
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", REPO / "target"), "release", "gureum")


def gureum_and_moto(gureum, data, no_moto=False):
    """The servers to measure: Gureum on `data`, and moto_server when installed."""
    servers = [Server("gureum", lambda p: [gureum, "serve", "--port", str(p), "--data-dir", data, "--log-level", "warn"])]
    moto = shutil.which("moto_server")
    if moto and not no_moto:
        # pyenv shims add their own start-up; use the real script when we can find it.
        try:
            moto = subprocess.run(["pyenv", "which", "moto_server"], capture_output=True, text=True, check=True).stdout.strip() or moto
        except (OSError, subprocess.CalledProcessError):
            pass
        servers.append(Server("moto", lambda p: [moto, "-p", str(p)]))
    return servers


def signed_get_caller_identity(port):
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://127.0.0.1:{port}/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "sts", "us-east-1").add_auth(req)
    p = req.prepare()
    head = f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    for k, v in p.headers.items():
        if k.lower() != "host":
            head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return (head + body).encode()


def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed mid-body")
        rest += chunk
    return head, rest[:length], rest[length:]


class Connection:
    """One keep-alive connection; reconnects when the server closes it
    (moto answers `Connection: close`), counting the reconnect in the
    request's latency as a real client would see it."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.buf = b""

    def roundtrip(self, msg):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buf = b""
        self.sock.sendall(msg)
        status, body, self.buf = read_response(self.sock, self.buf)
        if b"connection: close" in status.lower() or self.closes:
            self.close()
        return status, body

    closes = False

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None


def _client(port, n, msg, out):
    conn = Connection(port)
    for _ in range(50):  # warm-up
        status, body = conn.roundtrip(msg)
    conn.closes = b"connection: close" in status.lower()
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.roundtrip(msg)
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put(lat)


def bench_caller_identity(server, n, connections=1):
    """n requests over `connections` keep-alive connections, one client
    process each (Python threads would serialize on the GIL)."""
    import multiprocessing as mp

    msg = signed_get_caller_identity(server.port)
    status, body = Connection(server.port).roundtrip(msg)
    assert status.split(b"\r\n")[0].endswith(b"200 OK"), (status, body[:300])
    assert b"<Account>" in body, body[:300]
    per = n // connections
    q = mp.Queue()
    procs = [mp.Process(target=_client, args=(server.port, per, msg, q)) for _ in range(connections)]
    u0, s0 = cpu_seconds(server.proc.pid, split=True)
    t_start = time.perf_counter()
    for p in procs:
        p.start()
    lat = []
    for _ in procs:
        lat += q.get()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t_start
    u1, s1 = cpu_seconds(server.proc.pid, split=True)
    total = per * connections
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    return {"p50_ms": pct(0.50), "p99_ms": pct(0.99), "rps": total / wall,
            "cpu_us": ((u1 - u0) + (s1 - s0)) / total * 1e6,
            "user_us": (u1 - u0) / total * 1e6, "sys_us": (s1 - s0) / total * 1e6}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=None)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--starts", type=int, default=7)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()

    gureum = args.gureum or release_binary()
    data = tempfile.mkdtemp(prefix="gureum-bench-")
    servers = gureum_and_moto(gureum, data, args.no_moto)

    rows = []
    for srv in servers:
        starts = []
        for _ in range(args.starts):
            starts.append(srv.start())
            srv.stop()
        srv.start()
        time.sleep(1.0)
        idle = rss_mb(srv.proc.pid)
        n = args.requests if srv.name == "gureum" else max(500, args.requests // 10)
        results = [(c, bench_caller_identity(srv, n, c)) for c in (1, 4)]
        srv.stop()
        rows.append((srv.name, min(starts), statistics.median(starts), idle, results, n))
    shutil.rmtree(data, ignore_errors=True)

    print("| server | start→first answer, best / median (ms) | idle RSS (MB) |")
    print("|---|---|---|")
    for name, best, med, idle, _, _ in rows:
        print(f"| {name} | {best:.1f} / {med:.1f} | {idle:.1f} |")
    print()
    print("sts:GetCallerIdentity, SigV4-signed (test/test), keep-alive connections:")
    print()
    print("| server | connections | p50 / p99 (ms) | req/s | server CPU/req (µs): total = user + sys | requests |")
    print("|---|---|---|---|---|---|")
    for name, _, _, _, results, n in rows:
        for c, r in results:
            print(f"| {name} | {c} | {r['p50_ms']:.3f} / {r['p99_ms']:.3f} | {r['rps']:.0f} | "
                  f"{r['cpu_us']:.1f} = {r['user_us']:.1f} + {r['sys_us']:.1f} | {n} |")


if __name__ == "__main__":
    sys.exit(main())
