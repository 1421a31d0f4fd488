#!/usr/bin/env python3
"""CloudWatch's costs: server CPU of PutMetricData carrying 20 values, and
of GetMetricData over one day of 1-minute data for 10 metrics (14,400
datapoints back), against Gureum and moto_server in the same run.

  python3 scripts/bench_cloudwatch.py [--gureum PATH] [--puts N] [--reads N] [--no-moto]

Server CPU is (utime+stime) of the server process from /proc over the
run, divided by the operations made; boto3 drives one connection, so
client time does not count. Gureum runs its release build by default
(`--gureum target/debug/gureum` for a debug build).
"""
import argparse
import datetime
import os
import sys
import tempfile
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import cpu_seconds, gureum_and_moto, release_binary  # noqa: E402

METRICS = 10
MINUTES = 1440


def client(port):
    return boto3.client(
        "cloudwatch",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # moto does not inflate gzipped bodies: send the day's data plain.
        config=Config(retries={"max_attempts": 1}, disable_request_compression=True, read_timeout=900),
    )


def per_op_us(pid, n, fn):
    before = cpu_seconds(pid)
    for i in range(n):
        fn(i)
    return (cpu_seconds(pid) - before) / n * 1e6


def at(secs):
    return datetime.datetime.fromtimestamp(secs, tz=datetime.timezone.utc)


def measure(server, puts, reads):
    cw = client(server.port)
    values = [float(v) for v in range(20)]

    def put(i):
        cw.put_metric_data(Namespace="Bench", MetricData=[
            {"MetricName": "Put", "Dimensions": [{"Name": "Host", "Value": "h1"}],
             "Values": values, "Unit": "Milliseconds"}])

    for i in range(20):
        put(i)  # warm up
    put_us = per_op_us(server.proc.pid, puts, put)

    # One day of 1-minute data for 10 metrics, ending at the last minute.
    end = (int(time.time()) // 60) * 60
    start = end - MINUTES * 60
    data = [{"MetricName": f"M{m}", "Dimensions": [{"Name": "Host", "Value": "h1"}],
             "Timestamp": at(start + 60 * i), "Value": float(i % 97)}
            for m in range(METRICS) for i in range(MINUTES)]
    for b in range(0, len(data), 1000):
        cw.put_metric_data(Namespace="Bench", MetricData=data[b:b + 1000])
    queries = [{"Id": f"m{m}", "MetricStat": {
        "Metric": {"Namespace": "Bench", "MetricName": f"M{m}",
                   "Dimensions": [{"Name": "Host", "Value": "h1"}]},
        "Period": 60, "Stat": "Average"}} for m in range(METRICS)]
    got = []

    def read(_):
        out = cw.get_metric_data(MetricDataQueries=queries, StartTime=at(start), EndTime=at(end))
        got.append(sum(len(r["Values"]) for r in out["MetricDataResults"]))

    read(0)
    read_us = per_op_us(server.proc.pid, reads, read)
    return put_us, read_us, got[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--puts", type=int, default=2000)
    ap.add_argument("--reads", type=int, default=50)
    ap.add_argument("--no-moto", action="store_true")
    ap.add_argument("--moto-puts", type=int, default=300,
                    help="puts against moto (its reads scan every stored datapoint)")
    args = ap.parse_args()
    print("| server | PutMetricData, 20 values (µs CPU) | GetMetricData, 1 day × 10 metrics (ms CPU) | datapoints back |")
    print("|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as data:
        for server in gureum_and_moto(args.gureum, data, args.no_moto):
            server.start()
            time.sleep(0.5)
            # moto takes seconds per read: three are enough to measure it.
            reads = args.reads if server.name == "gureum" else min(args.reads, 3)
            puts = args.puts if server.name == "gureum" else min(args.puts, args.moto_puts)
            try:
                put_us, read_us, points = measure(server, puts, reads)
            finally:
                server.stop()
            print(f"| {server.name} | {put_us:.0f} | {read_us / 1000:.1f} | {points} |", flush=True)


if __name__ == "__main__":
    main()
