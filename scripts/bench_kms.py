#!/usr/bin/env python3
"""KMS's Encrypt cost: server CPU of one Encrypt under a symmetric key
(json 1.1), against moto_server in the same run, beside the floor (the
health check, no signature, no store).

  python3 scripts/bench_kms.py [--gureum PATH] [--requests N] [--no-moto]

Server CPU is (utime+stime) of the server process from /proc over the
run, divided by the requests made; boto3 drives one connection, so
client time does not count. Gureum runs its release build by default.
"""
import argparse
import os
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, cpu_seconds, gureum_and_moto, release_binary  # noqa: E402


def client(port):
    return boto3.client(
        "kms",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def per_op_us(pid, n, fn):
    before = cpu_seconds(pid)
    for i in range(n):
        fn(i)
    return (cpu_seconds(pid) - before) / n * 1e6


def measure(server, n):
    kms = client(server.port)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    plaintext = b"x" * 100

    def encrypt(_):
        kms.encrypt(KeyId=key, Plaintext=plaintext)

    for i in range(50):
        encrypt(i)  # warm up
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=key, Plaintext=plaintext)["CiphertextBlob"])["Plaintext"] == plaintext
    encrypt_us = per_op_us(server.proc.pid, n, encrypt)
    floor_us = None
    if server.name == "gureum":
        conn = Connection(server.port)
        health = f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
        floor_us = per_op_us(server.proc.pid, n, lambda _: conn.roundtrip(health))
        conn.close()
    return encrypt_us, floor_us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()
    print("| server | Encrypt, 100 bytes, symmetric key (µs CPU) | floor: health check (µs CPU) |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as data:
        for server in gureum_and_moto(args.gureum, data, args.no_moto):
            server.start()
            time.sleep(0.5)
            try:
                encrypt_us, floor_us = measure(server, args.requests)
            finally:
                server.stop()
            floor = "—" if floor_us is None else f"{floor_us:.0f}"
            print(f"| {server.name} | {encrypt_us:.0f} | {floor} |")


if __name__ == "__main__":
    main()
