#!/usr/bin/env python3
"""Soak and crash loop: mixed traffic plus abuse, with kill -9 between rounds.

Each round starts Gureum on the same data directory, runs writers (S3 PUTs,
IAM users, EC2 tags), idle-connection storms and oversized bodies at once for
`--seconds`, then kills the server with SIGKILL mid-traffic. After every
restart it checks that each write Gureum acknowledged is there with its exact
bytes, and it reports the restart time and the peak RSS per round.

    scripts/soak.py --rounds 20 --seconds 15        # the long form
    scripts/soak.py --rounds 3 --seconds 3          # a quick check

The binary is $GUREUM_BIN, else target/release/gureum, else target/debug.
"""
import argparse
import hashlib
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import boto3
from botocore.config import Config

REPO = pathlib.Path(__file__).resolve().parents[1]


def binary():
    if os.environ.get("GUREUM_BIN"):
        return os.environ["GUREUM_BIN"]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("release", "debug"):
        if (target / profile / "gureum").exists():
            return str(target / profile / "gureum")
    sys.exit("build gureum first (cargo build --release -p gureum)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data_dir, port):
    began = time.monotonic()
    proc = subprocess.Popen([binary(), "serve", "--port", str(port), "--data-dir", data_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_gureum/health", timeout=1)
            return proc, (time.monotonic() - began) * 1000
        except OSError:
            if proc.poll() is not None:
                sys.exit("gureum exited during start")
            time.sleep(0.005)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def client(service, port):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=Config(retries={"max_attempts": 1}))


def writer(port, acked, stop, n):
    s3 = client("s3", port)
    while not stop.is_set():
        key = f"k-{n}-{random.randrange(1 << 30)}"
        body = os.urandom(random.choice([100, 4096, 70_000]))
        try:
            s3.put_object(Bucket="soak", Key=key, Body=body)
        except Exception:
            return  # the server was killed: unacknowledged, not counted
        acked[key] = hashlib.md5(body).hexdigest()


def idle_storm(port, stop):
    socks = []
    while not stop.is_set() and len(socks) < 500:
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError:
            break
    stop.wait()
    for s in socks:
        s.close()


def big_bodies(port, stop):
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n"
                      b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 62914560\r\n\r\n")
            s.recv(4096)
            s.close()
        except OSError:
            return


def verify(port, acked):
    s3 = client("s3", port)
    missing = bad = 0
    for key, digest in acked.items():
        try:
            body = s3.get_object(Bucket="soak", Key=key)["Body"].read()
        except Exception:
            missing += 1
            continue
        bad += hashlib.md5(body).hexdigest() != digest
    return missing, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--writers", type=int, default=8)
    args = ap.parse_args()
    data_dir = tempfile.mkdtemp(prefix="gureum-soak-")
    port = free_port()
    acked = {}
    proc, _ = start(data_dir, port)
    client("s3", port).create_bucket(Bucket="soak")
    failures = 0
    for round_no in range(1, args.rounds + 1):
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(port, acked, stop, i)) for i in range(args.writers)]
        threads += [threading.Thread(target=idle_storm, args=(port, stop)),
                    threading.Thread(target=big_bodies, args=(port, stop))]
        for t in threads:
            t.start()
        peak = 0
        deadline = time.monotonic() + args.seconds * random.uniform(0.5, 1.0)
        while time.monotonic() < deadline:
            peak = max(peak, rss_kib(proc.pid))
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
        proc, restart_ms = start(data_dir, port)
        missing, bad = verify(port, acked)
        failures += missing + bad
        print(f"round {round_no}: {len(acked)} acknowledged writes, {missing} missing, {bad} altered; "
              f"restart {restart_ms:.0f} ms; peak RSS {peak // 1024} MiB", flush=True)
    proc.terminate()
    proc.wait()
    print("OK" if failures == 0 else f"FAILED: {failures} acknowledged writes lost or altered")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
