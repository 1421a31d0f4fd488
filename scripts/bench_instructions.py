#!/usr/bin/env python3
"""Instructions per request, counted by valgrind's callgrind.

  python3 scripts/bench_instructions.py [--gureum PATH] [--requests N]

CPU time on a shared 2-core VM moves by a factor of two or three between
hours; instruction counts do not (same binary, same requests: the same
count, whatever else the machine is doing). This runs the release binary
under callgrind and replays, over one keep-alive connection, the same
signed requests as scripts/bench_s3.py: the health check (the floor: no
signature, no store), a 1 KiB PutObject and a 1 KiB GetObject. Each
operation gets 300 unmeasured requests, then the counters are zeroed and N
requests are counted.

Printed per request: all instructions of the process, and the same without
SHA-256's block function. Valgrind hides the CPU's SHA extensions, so the
sha2 crate falls back to portable code there that costs ~20x the native
instructions (natively SigV4's SHA-256 is a few microseconds); the second
column is the one to compare between builds.

Kernel time (the syscalls, the wake-ups) is not in these counts: read them
beside scripts/bench_s3.py's CPU per request, not instead of it.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, free_port, release_binary, wait_http  # noqa: E402
from bench_s3 import ok, signed  # noqa: E402

SHA_BLOCKS = "sha2::sha256::soft::compress"


def callgrind_control(pid, command):
    """`-z` zeroes the counters, `-d` dumps them to `<out>.1`."""
    subprocess.run(["callgrind_control", command, str(pid)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def counts(path):
    """(total, SHA-256 block function) instructions of a callgrind dump."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    total = sha = 0
    for line in out.splitlines():
        fields = line.split()
        if not fields or not fields[0].replace(",", "").isdigit():
            continue
        n = int(fields[0].replace(",", ""))
        if "PROGRAM TOTALS" in line:
            total = n
        elif f"{SHA_BLOCKS} [" in line:  # the function itself, not a line inlined into it
            sha = max(sha, n)
    return total, sha


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=None)
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed")
    gureum = args.gureum or release_binary()
    work = tempfile.mkdtemp(prefix="gureum-bench-instr-")
    rows = []
    try:
        for op in ("floor: GET /_gureum/health", "PutObject 1 KiB", "GetObject 1 KiB"):
            port = free_port()
            out = os.path.join(work, f"cg-{len(rows)}.out")
            proc = subprocess.Popen(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                 gureum, "serve", "--port", str(port), "--data-dir", os.path.join(work, f"d{len(rows)}"),
                 "--log-level", "warn"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_http(port, deadline_s=120)
                conn = Connection(port)
                body = os.urandom(1024)
                conn.roundtrip(signed("PUT", port, "/bench", b""))
                put = signed("PUT", port, "/bench/small-object", body) + body
                conn.roundtrip(put)
                msg = {
                    "floor: GET /_gureum/health":
                        f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode(),
                    "PutObject 1 KiB": put,
                    "GetObject 1 KiB": signed("GET", port, "/bench/small-object"),
                }[op]
                for _ in range(300):
                    status, _ = conn.roundtrip(msg)
                assert ok(status), (op, status)
                callgrind_control(proc.pid, "-z")
                for _ in range(args.requests):
                    conn.roundtrip(msg)
                callgrind_control(proc.pid, "-d")
                conn.close()
            finally:
                proc.terminate()
                proc.wait(60)
            total, sha = counts(out + ".1")
            rows.append((op, total / args.requests, (total - sha) / args.requests))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Instructions per request (callgrind, {args.requests} requests after 300 unmeasured):")
    print()
    print("| operation | instructions | without SHA-256 blocks |")
    print("|---|---|---|")
    for op, total, lean in rows:
        print(f"| {op} | {total / 1000:.1f}k | {lean / 1000:.1f}k |")


if __name__ == "__main__":
    sys.exit(main())
