#!/usr/bin/env python3
"""SQS's per-message cost: server CPU of SendMessage + ReceiveMessage +
DeleteMessage, and of ReceiveMessage on an empty queue and on a queue with
10,000 messages in flight (the index must keep these two close).

  python3 scripts/bench_sqs.py [--gureum PATH] [--messages N] [--no-moto]

Server CPU is (utime+stime) of the server process from /proc over the
run, divided by the operations made; boto3 drives one connection, so
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
from bench import cpu_seconds, gureum_and_moto, release_binary  # noqa: E402


def client(port):
    return boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def per_op_us(pid, n, ops_per_round, fn):
    before = cpu_seconds(pid)
    for i in range(n):
        fn(i)
    return (cpu_seconds(pid) - before) / (n * ops_per_round) * 1e6, (cpu_seconds(pid) - before) / n * 1e6


def measure(server, n):
    sqs = client(server.port)
    url = sqs.create_queue(QueueName="bench")["QueueUrl"]

    def trio(_):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 100)
        m = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    for i in range(50):
        trio(i)  # warm up
    _, per_message = per_op_us(server.proc.pid, n, 3, trio)
    empty, _ = per_op_us(server.proc.pid, n, 1, lambda _: sqs.receive_message(QueueUrl=url))
    full = sqs.create_queue(QueueName="full", Attributes={"VisibilityTimeout": "3600"})["QueueUrl"]
    for b in range(1000):
        sqs.send_message_batch(
            QueueUrl=full, Entries=[{"Id": str(i), "MessageBody": "y"} for i in range(10)]
        )
    got = 0
    while got < 10_000:
        batch = sqs.receive_message(QueueUrl=full, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        got += len(batch)
    loaded, _ = per_op_us(server.proc.pid, n, 1, lambda _: sqs.receive_message(QueueUrl=full))
    return per_message, empty, loaded, got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()
    print("| server | send+receive+delete (µs CPU per message) | receive, empty queue (µs) | receive, 10,000 in flight (µs) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as data:
        for server in gureum_and_moto(args.gureum, data, args.no_moto):
            server.start()
            time.sleep(0.5)
            try:
                per_message, empty, loaded, in_flight = measure(server, args.messages)
            finally:
                server.stop()
            note = "" if in_flight >= 10_000 else f" ({in_flight} in flight)"
            print(f"| {server.name} | {per_message:.0f} | {empty:.0f} | {loaded:.0f}{note} |")


if __name__ == "__main__":
    main()
