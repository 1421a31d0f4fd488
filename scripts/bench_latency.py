#!/usr/bin/env python3
"""Tail latency of small S3 PUTs under concurrency: do checkpoints stall writers?

  python3 scripts/bench_latency.py [--gureum PATH] [--seconds 60] [--connections 16] [--floor]

Starts a release `gureum` on a free port with a temporary data directory in
its default (durable: write-ahead log + checkpoint every second) mode, and
runs 1 KiB PutObject requests over N keep-alive HTTP/1.1 connections for the
given time, then prints p50, p99, p99.9 and max latency and requests/s.

The client stays out of the way of the percentiles: each connection is its
own process (no GIL shared between connections), and every request is
SigV4-signed by botocore before the clock starts — a pool of distinct keys
per connection (so checkpoints carry many keys), replayed in turn. A request
costs the client one `sendall` and a `recv` or two.

`--floor` runs the same load with Gureum's unauthenticated health check
(no signature, no store) instead: the machine's own tail (scheduling of 16
client processes and the server on its cores), to read the PUT figures
against.

`--client wrk` drives the same signed requests from wrk (C, two threads,
`apt-get install wrk`) instead of 16 Python processes: on a 2-core machine
the Python clients take most of the CPU and their scheduling sets the tail;
wrk leaves the cores to the server, so the percentiles are the server's.
"""
import argparse
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import free_port, release_binary, wait_http  # noqa: E402
from bench_s3 import signed  # noqa: E402

KEYS_PER_CONNECTION = 1000


def read_status(sock, buf):
    """Reads one response (headers + Content-Length body); returns (status line, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        rest += chunk
    return head.split(b"\r\n")[0], rest[length:]


def worker(port, index, seconds, start_at, floor, out, interval=0.0):
    body = os.urandom(1024)
    if floor:
        msgs = [f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()]
    else:
        msgs = [signed("PUT", port, f"/latency/c{index}-k{i}", body) + body for i in range(KEYS_PER_CONNECTION)]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lat = []
    buf = b""
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = time.perf_counter() + seconds
    i = 0
    perf = time.perf_counter
    # Paced (--rate): request k goes at k * interval, late ones at once, so
    # a stall shows as latency rather than as a lower request rate.
    next_at = perf() + interval * (index / 16.0)
    while True:
        if interval:
            wait = next_at - perf()
            if wait > 0:
                time.sleep(wait)
            next_at += interval
        t = perf()
        if t >= deadline:
            break
        sock.sendall(msgs[i % len(msgs)])
        status, buf = read_status(sock, buf)
        lat.append(perf() - t)
        if b" 200 " not in status:
            errors += 1
        i += 1
    sock.close()
    out.put((lat, errors))


WRK_SCRIPT = r"""
-- Replays pre-signed raw requests (one file, lengths in another) in turn,
-- each thread from its own offset; prints the percentiles in ms.
local reqs, n, i = {}, 0, 0
function init(args)
  local data = io.open(args[1], "rb"):read("*a")
  local pos = 1
  for len in io.open(args[2], "r"):read("*a"):gmatch("%d+") do
    n = n + 1
    reqs[n] = data:sub(pos, pos + tonumber(len) - 1)
    pos = pos + tonumber(len)
  end
  i = math.random(n)
end
function request()
  i = i % n + 1
  return reqs[i]
end
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("WRK %d %d %.3f %.3f %.3f %.3f\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
end
"""


def run_wrk(port, args, workdir):
    """The load from wrk; returns (requests, errors, p50, p99, p99.9, max) in ms."""
    body = os.urandom(1024)
    if args.floor:
        msgs = [f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()]
    else:
        msgs = [signed("PUT", port, f"/latency/w-k{i}", body) + body
                for i in range(args.connections * KEYS_PER_CONNECTION // 8)]
    data, lens, script = (os.path.join(workdir, f) for f in ("reqs.bin", "reqs.len", "replay.lua"))
    with open(data, "wb") as f:
        f.write(b"".join(msgs))
    with open(lens, "w") as f:
        f.write(" ".join(str(len(m)) for m in msgs))
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)
    out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{int(args.seconds)}s", "-s", script,
                          f"http://127.0.0.1:{port}/", "--", data, lens],
                         capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRK "))
    n, errors, *ms = line.split()[1:]
    return int(n), int(errors), *map(float, ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--floor", action="store_true", help="health checks instead of PUTs")
    ap.add_argument("--client", choices=["python", "wrk"], default="python",
                    help="who sends the load (wrk: two C threads, the cores left to the server)")
    ap.add_argument("--rate", type=float, default=0,
                    help="total requests per second, paced (default: as fast as the server answers)")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="gureum-latency-")
    port = free_port()
    proc = subprocess.Popen([args.gureum, "serve", "--port", str(port), "--data-dir", data, "--log-level", "warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(port)
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(signed("PUT", port, "/latency"))
            status, _ = read_status(s, b"")
            assert b" 200 " in status, status
        if args.client == "wrk":
            n, errors, p50, p99, p999, worst = run_wrk(port, args, data)
            print(f"gureum {os.path.basename(args.gureum)}: wrk, {args.connections} connections, "
                  f"{args.seconds:.0f} s, {'floor: GET /_gureum/health' if args.floor else '1 KiB PutObject'}, "
                  f"{n} requests ({errors} errors)")
            print(f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  p99.9 {p999:.3f} ms  max {worst:.3f} ms  "
                  f"{n / args.seconds:,.0f} req/s  p99.9/p50 {p999 / p50:.1f}x")
            sys.exit(1 if errors else 0)
        out = mp.Queue()
        start_at = time.time() + 3  # every worker signs its pool first
        interval = args.connections / args.rate if args.rate else 0.0
        procs = [mp.Process(target=worker, args=(port, i, args.seconds, start_at, args.floor, out, interval))
                 for i in range(args.connections)]
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        lat = sorted(x for r, _ in results for x in r)
        errors = sum(e for _, e in results)
        n = len(lat)

        def pct(q):
            return lat[min(n - 1, int(n * q))] * 1000

        p50, p99, p999 = pct(0.50), pct(0.99), pct(0.999)
        print(f"gureum {os.path.basename(args.gureum)}: {args.connections} connections, {args.seconds:.0f} s, "
              f"{'floor: GET /_gureum/health' if args.floor else '1 KiB PutObject'}"
              f"{f', paced at {args.rate:,.0f}/s' if args.rate else ''}, {n} requests ({errors} errors)")
        print(f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  p99.9 {p999:.3f} ms  max {lat[-1] * 1000:.3f} ms  "
              f"{n / args.seconds:,.0f} req/s  p99.9/p50 {p999 / p50:.1f}x")
        if errors:
            sys.exit(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
