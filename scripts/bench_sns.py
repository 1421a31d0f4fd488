#!/usr/bin/env python3
"""SNS's per-publish cost: server CPU of one Publish to a topic with one
SQS subscriber (enveloped, so signed: SHA1 as topics sign by default and
SHA256 with SignatureVersion 2; and raw), against moto_server in the same
run.

  python3 scripts/bench_sns.py [--gureum PATH] [--messages N] [--no-moto]

Server CPU is (utime+stime) of the server process from /proc over the
run, divided by the publishes made; boto3 drives one connection, so
client time does not count. The subscriber's queue is drained between
the two runs (outside the measurement). Gureum runs its release build by
default (debug figures are not meaningful).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import cpu_seconds, gureum_and_moto, release_binary  # noqa: E402


def client(service, port):
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


def subscribed_topic(sns, sqs, name, raw, version=None):
    topic = sns.create_topic(Name=name)["TopicArn"]
    if version:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue=version)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn,
        Attributes={"RawMessageDelivery": "true" if raw else "false"},
    )
    return topic, url


def per_publish_us(pid, sns, topic, n):
    for _ in range(50):
        sns.publish(TopicArn=topic, Message="warm")
    before = cpu_seconds(pid)
    for _ in range(n):
        sns.publish(TopicArn=topic, Message="x" * 100)
    return (cpu_seconds(pid) - before) / n * 1e6


def measure(server, n):
    sns, sqs = client("sns", server.port), client("sqs", server.port)
    out = []
    for name, raw, version in (("env", False, None), ("env2", False, "2"), ("raw", True, None)):
        topic, url = subscribed_topic(sns, sqs, f"bench-{name}", raw, version)
        out.append(per_publish_us(server.proc.pid, sns, topic, n))
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        assert got, f"{server.name}: the subscriber got nothing"
        sqs.purge_queue(QueueUrl=url)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()
    print("| server | Publish → 1 SQS subscriber, enveloped, signed SHA1 (SignatureVersion 1, the default) (µs CPU) | enveloped, signed SHA256 (SignatureVersion 2) (µs CPU) | raw delivery (µs CPU) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as data:
        for server in gureum_and_moto(args.gureum, data, args.no_moto):
            server.start()
            time.sleep(0.5)
            try:
                enveloped, enveloped2, raw = measure(server, args.messages)
            finally:
                server.stop()
            print(f"| {server.name} | {enveloped:.0f} | {enveloped2:.0f} | {raw:.0f} |")


if __name__ == "__main__":
    main()
