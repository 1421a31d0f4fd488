#!/usr/bin/env python3
"""DynamoDB's per-operation cost: server CPU of GetItem, PutItem, a
20-item Query, and PutItem on a table with a global secondary index;
and Query(20) on a partition of a 1,000-item table against one of a
large table (Gureum only: the key encoding must keep these close).

  python3 scripts/bench_dynamodb.py [--gureum PATH] [--requests N]
      [--large N] [--no-moto]

Server CPU is (utime+stime) of the server process from /proc over the
run, divided by the operations made; boto3 drives one connection, so
client time does not count. Gureum runs its release build by default.
Budgets (issue 18): GetItem <= 30 us, PutItem <= 50 us, Query(20) <=
60 us, PutItem with a GSI <= 70 us.
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
        "dynamodb",
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


def create(ddb, name, gsi=False):
    kw = {}
    attrs = [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
    ]
    if gsi:
        attrs.append({"AttributeName": "g", "AttributeType": "S"})
        kw["GlobalSecondaryIndexes"] = [
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    ddb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=attrs,
        BillingMode="PAY_PER_REQUEST",
        **kw,
    )


def item(pk, sk, g=None):
    it = {"pk": {"S": pk}, "sk": {"N": str(sk)}, "data": {"S": "x" * 100}, "n": {"N": "42"}}
    if g is not None:
        it["g"] = {"S": g}
    return it


def fill(ddb, table, partitions, per_partition):
    batch = []
    for p in range(partitions):
        for s in range(per_partition):
            batch.append({"PutRequest": {"Item": item(f"p{p}", s)}})
            if len(batch) == 25:
                ddb.batch_write_item(RequestItems={table: batch})
                batch = []
    if batch:
        ddb.batch_write_item(RequestItems={table: batch})


def query20(ddb, table, partitions):
    def q(i):
        out = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :p AND sk >= :s",
            ExpressionAttributeValues={":p": {"S": f"p{i % partitions}"}, ":s": {"N": "0"}},
            Limit=20,
        )
        assert out["Count"] == 20, out["Count"]

    return q


def measure(server, n, large):
    ddb = client(server.port)
    pid = server.proc.pid
    create(ddb, "plain")
    create(ddb, "indexed", gsi=True)
    for i in range(100):  # warm up
        ddb.put_item(TableName="plain", Item=item("w", i))
        ddb.get_item(TableName="plain", Key={"pk": {"S": "w"}, "sk": {"N": str(i)}})
    # The request floor: DescribeLimits reads nothing, so its cost is the
    # HTTP, signature, parsing and serialization every request pays.
    floor = per_op_us(pid, n, lambda i: ddb.describe_limits())
    put = per_op_us(pid, n, lambda i: ddb.put_item(TableName="plain", Item=item("k", i)))
    get = per_op_us(
        pid, n, lambda i: ddb.get_item(TableName="plain", Key={"pk": {"S": "k"}, "sk": {"N": str(i)}})
    )
    put_gsi = per_op_us(
        pid, n, lambda i: ddb.put_item(TableName="indexed", Item=item("k", i, g=f"g{i % 50}"))
    )
    create(ddb, "small")
    fill(ddb, "small", 50, 20)  # 1,000 items
    q_small = per_op_us(pid, n, query20(ddb, "small", 50))
    q_large = None
    if large:
        create(ddb, "large")
        fill(ddb, "large", large // 20, 20)
        q_large = per_op_us(pid, n, query20(ddb, "large", large // 20))
    return floor, get, put, q_small, put_gsi, q_large


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--large", type=int, default=100_000, help="items in the large table (Gureum only)")
    ap.add_argument("--no-moto", action="store_true")
    args = ap.parse_args()
    print("| server | floor: DescribeLimits (µs CPU) | GetItem (µs) | PutItem (µs) | Query 20 items, 1,000-item table (µs) | PutItem with a GSI (µs) | Query 20, large table (µs) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as data:
        for server in gureum_and_moto(args.gureum, data, args.no_moto):
            server.start()
            time.sleep(0.5)
            large = args.large if server.name.lower().startswith("gureum") else 0
            try:
                floor, get, put, q, put_gsi, q_large = measure(server, args.requests, large)
            finally:
                server.stop()
            big = f"{q_large:.0f} ({args.large:,} items)" if q_large is not None else "—"
            print(f"| {server.name} | {floor:.0f} | {get:.0f} | {put:.0f} | {q:.0f} | {put_gsi:.0f} | {big} |")


if __name__ == "__main__":
    main()
