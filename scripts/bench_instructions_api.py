#!/usr/bin/env python3
"""Instructions per operation for the API budgets of issues 15 and 16,
counted by valgrind's callgrind while boto3 drives the server.

  python3 scripts/bench_instructions_api.py [--gureum PATH] [--requests N]
      [--only NAME ...] [--keep DIR]

The release binary runs under callgrind; boto3 (a separate process, so
not counted) makes each case's requests over one keep-alive connection.
Each case gets 100 unmeasured rounds, then the counters are zeroed, N
rounds run and the counters are dumped. Cases: the health check (the
floor: no signature, no store), SQS send+receive+delete (json 1.0, per
message, so three requests), KMS Encrypt (json 1.1), SNS Publish to one
SQS subscriber raw and enveloped (SignatureVersion 1 and 2; query), CloudWatch PutMetricData of 20
values (rpc-v2-cbor).

As in scripts/bench_instructions.py, the SHA-256 block function is shown
apart: valgrind hides the CPU's SHA extensions, so the sha2 crate's
portable fallback costs ~20x its native instructions there. The store's
checkpointer is shown apart too: it runs once a second of wall time
whatever the request rate, and under valgrind's ~50x slowdown a second
holds ~50x fewer requests, so its share per request is inflated as much
(the last column is the request path itself). `--keep DIR`
keeps the dumps for `callgrind_annotate --inclusive=yes DIR/NAME.out`.
Kernel time is not in these counts.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Connection, free_port, release_binary, wait_http  # noqa: E402
from bench_instructions import SHA_BLOCKS, callgrind_control  # noqa: E402

CHECKPOINT = "gureum_store::checkpoint::<impl gureum_store::Inner>::checkpoint"


def counts(path):
    """(total, SHA-256 blocks, checkpointer) instructions of a dump."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    total = sha = checkpoint = 0
    for line in out.splitlines():
        fields = line.split()
        if not fields or not fields[0].replace(",", "").isdigit():
            continue
        n = int(fields[0].replace(",", ""))
        if "PROGRAM TOTALS" in line:
            total = n
        elif f"{SHA_BLOCKS} [" in line:
            sha = max(sha, n)
        elif f"{CHECKPOINT} [" in line:
            checkpoint = max(checkpoint, n)
    return total, sha, checkpoint


def client(service, port):
    return boto3.client(
        service, endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=300))


def subscribed(sns, sqs, name, raw, version=None):
    topic = sns.create_topic(Name=name)["TopicArn"]
    if version:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue=version)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": arn,
                       "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true" if raw else "false"})
    return topic


def cases(port):
    """name → (requests per round, one round)."""
    health = f"GET /_gureum/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    conn = Connection(port)
    sqs, kms, sns, cw = (client(s, port) for s in ("sqs", "kms", "sns", "cloudwatch"))
    url = sqs.create_queue(QueueName="bench")["QueueUrl"]
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    raw_topic = subscribed(sns, sqs, "bench-raw", True)
    env_topic = subscribed(sns, sqs, "bench-env", False)
    env2_topic = subscribed(sns, sqs, "bench-env2", False, "2")
    values = [float(v) for v in range(20)]

    def trio():
        sqs.send_message(QueueUrl=url, MessageBody="x" * 100)
        m = sqs.receive_message(QueueUrl=url)["Messages"][0]
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    return {
        "floor": (1, lambda: conn.roundtrip(health)),
        "sqs-trio": (3, trio),
        "kms-encrypt": (1, lambda: kms.encrypt(KeyId=key, Plaintext=b"x" * 100)),
        "sns-raw": (1, lambda: sns.publish(TopicArn=raw_topic, Message="x" * 100)),
        "sns-enveloped": (1, lambda: sns.publish(TopicArn=env_topic, Message="x" * 100)),
        "sns-enveloped-v2": (1, lambda: sns.publish(TopicArn=env2_topic, Message="x" * 100)),
        "cw-put20": (1, lambda: cw.put_metric_data(Namespace="Bench", MetricData=[
            {"MetricName": "Put", "Dimensions": [{"Name": "Host", "Value": "h1"}],
             "Values": values, "Unit": "Milliseconds"}])),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=None)
    ap.add_argument("--requests", type=int, default=300, help="rounds per case")
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed")
    gureum = args.gureum or release_binary()
    work = tempfile.mkdtemp(prefix="gureum-bench-instr-api-")
    port = free_port()
    out = os.path.join(work, "cg.out")
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
         gureum, "serve", "--port", str(port), "--data-dir", os.path.join(work, "data"),
         "--log-level", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_http(port, deadline_s=300)
        dumps = 0
        for name, (per_round, fn) in cases(port).items():
            if args.only and name not in args.only:
                continue
            for _ in range(100):
                fn()
            callgrind_control(proc.pid, "-z")
            for _ in range(args.requests):
                fn()
            callgrind_control(proc.pid, "-d")
            dumps += 1
            dump = f"{out}.{dumps}"
            if args.keep:
                os.makedirs(args.keep, exist_ok=True)
                shutil.copy(dump, os.path.join(args.keep, f"{name}.out"))
            total, sha, checkpoint = counts(dump)
            rows.append((name, per_round, total / args.requests, (total - sha) / args.requests,
                         (total - sha - checkpoint) / args.requests))
    finally:
        proc.terminate()
        proc.wait(120)
        shutil.rmtree(work, ignore_errors=True)
    print(f"Instructions per round (callgrind, {args.requests} rounds after 100 unmeasured):")
    print()
    print("| case | requests per round | instructions | without SHA-256 blocks | also without the checkpointer |")
    print("|---|---|---|---|---|")
    for name, per_round, total, lean, path in rows:
        print(f"| {name} | {per_round} | {total / 1000:.1f}k | {lean / 1000:.1f}k | {path / 1000:.1f}k |")


if __name__ == "__main__":
    sys.exit(main())
