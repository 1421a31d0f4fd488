#!/usr/bin/env python3
"""RunInstances -> SSH-ready, and Gureum's memory per running instance.

Needs root, `ip netns`, the OpenSSH server and client. Starts the given
gureum binary on a free port with a throwaway data directory, launches N
instances one after another (each waits until `ssh ... true` works), prints
the times and Gureum's RSS growth, and stops Gureum (which removes every
namespace it made).

    python3 scripts/bench_ec2_instances.py target/debug/gureum 10
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3


def main():
    binary, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="gureum-bench-ec2-")
    proc = subprocess.Popen([binary, "serve", "--port", str(port), "--data-dir", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_gureum/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        ec2 = boto3.client("ec2", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        key = os.path.join(data, "key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        ec2.import_key_pair(KeyName="k", PublicKeyMaterial=open(key + ".pub", "rb").read())
        image = [i for i in ec2.describe_images(
            Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-*"]}])["Images"]
            if i["Architecture"] == "x86_64"][0]["ImageId"]

        # Security groups are enforced: open SSH on the default group (HTTP
        # is opened later, timed).
        sg = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

        def rss():
            with open(f"/proc/{proc.pid}/status") as f:
                return int(next(l for l in f if l.startswith("VmRSS")).split()[1])

        def ssh_ok(ip):
            return subprocess.run(
                ["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                 "-o", "BatchMode=yes", "-o", "LogLevel=QUIET", "-o", "ConnectTimeout=2", f"ec2-user@{ip}", "true"],
                stderr=subprocess.DEVNULL).returncode == 0

        before, times = rss(), []
        for _ in range(count):
            start = time.monotonic()
            ip = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, KeyName="k",
                                   InstanceType="t3.micro")["Instances"][0]["PublicIpAddress"]
            while not ssh_ok(ip):
                time.sleep(0.02)
            times.append((time.monotonic() - start) * 1000)
        time.sleep(1)
        after = rss()
        print("RunInstances -> SSH-ready, ms:", [round(t) for t in times])
        print(f"first (makes the VPC's fabric) {times[0]:.0f}, median {statistics.median(times):.0f}, "
              f"max {max(times):.0f}")
        print(f"Gureum RSS {before} KB -> {after} KB: {(after - before) / count:.0f} KB per running instance")
        # A new security group rule: a web server already listens; time
        # from AuthorizeSecurityGroupIngress returning to the first HTTP
        # answer from the host (polled every 20 ms, 200 ms connect timeout).
        web = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, KeyName="k", InstanceType="t3.micro",
                                UserData="#!/bin/sh\nnohup python3 -m http.server 80 >/dev/null 2>&1 &\n"
                                )["Instances"][0]["PublicIpAddress"]
        while not ssh_ok(web):
            time.sleep(0.02)
        while subprocess.run(["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                              "-o", "BatchMode=yes", "-o", "LogLevel=QUIET", f"ec2-user@{web}",
                              "curl -s -o /dev/null -m 1 http://127.0.0.1/"]).returncode != 0:
            time.sleep(0.1)
        rule_ms = []
        for _ in range(5):
            perm = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            start = time.monotonic()
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm])
            while subprocess.run(["curl", "-s", "-o", "/dev/null", "--connect-timeout", "0.2", f"http://{web}/"]
                                 ).returncode != 0:
                time.sleep(0.02)
            rule_ms.append((time.monotonic() - start) * 1000)
            ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[perm])
            time.sleep(2)
        print("new security group rule -> first HTTP answer, ms:", [round(t) for t in rule_ms])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
