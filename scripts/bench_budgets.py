#!/usr/bin/env python3
"""Issues 15 and 16's per-request CPU budgets in one run, beside the floor.

  python3 scripts/bench_budgets.py [--gureum PATH] [--rounds N]

One Gureum (release build by default) serves, in turn: the health check
(the floor: no signature, no store), SQS send+receive+delete (budget per
message: 60 µs for the three requests), KMS Encrypt (30 µs), SNS Publish
to one SQS subscriber raw and enveloped with SignatureVersion 1 and 2
(80 µs), CloudWatch PutMetricData of 20 values (50 µs). boto3 drives one
connection; server CPU is (utime+stime) from /proc over N rounds, split
into user and system time. The per-service scripts (bench_sqs.py,
bench_kms.py, bench_sns.py, bench_cloudwatch.py) measure moto_server in
the same way.
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Server, cpu_seconds, release_binary  # noqa: E402
from bench_instructions_api import cases  # noqa: E402

BUDGET_US = {"sqs-trio": 60, "kms-encrypt": 30, "sns-raw": 80, "sns-enveloped": 80,
             "sns-enveloped-v2": 80, "cw-put20": 50}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gureum", default=release_binary())
    ap.add_argument("--rounds", type=int, default=1000)
    args = ap.parse_args()
    print("| case | µs CPU per round (user + system) | per request | budget |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as data:
        server = Server("gureum", lambda p: [args.gureum, "serve", "--port", str(p), "--data-dir", data,
                                             "--log-level", "warn"])
        server.start()
        time.sleep(0.5)
        try:
            for name, (per_round, fn) in cases(server.port).items():
                # Signing is slow: fewer rounds keep the run short.
                n = args.rounds // 10 if name == "sns-enveloped" else args.rounds
                for _ in range(50):
                    fn()
                u0, s0 = cpu_seconds(server.proc.pid, split=True)
                for _ in range(n):
                    fn()
                u1, s1 = cpu_seconds(server.proc.pid, split=True)
                user, system = (u1 - u0) / n * 1e6, (s1 - s0) / n * 1e6
                budget = BUDGET_US.get(name)
                print(f"| {name} | {user + system:.0f} ({user:.0f} + {system:.0f}) | "
                      f"{(user + system) / per_round:.0f} | {'—' if budget is None else f'{budget} µs'} |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
