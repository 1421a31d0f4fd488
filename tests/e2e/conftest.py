"""Starts the real `gureum` binary on a free port for end-to-end tests.

The binary comes from $GUREUM_BIN (default: target/debug/gureum under
$CARGO_TARGET_DIR or the repo). Each test module gets a server with its own
temporary data directory, removed when the module's server stops;
`gureum_server.restart(kill=True)` kills it with SIGKILL and starts it again
on the same data, for persistence tests.
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def binary() -> str:
    if os.environ.get("GUREUM_BIN"):
        return os.environ["GUREUM_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", str(REPO / "target"))
    return str(pathlib.Path(target) / "debug" / "gureum")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GureumServer:
    def __init__(self, extra_args=()):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.data_dir = tempfile.mkdtemp(prefix="gureum-e2e-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [binary(), "serve", "--port", str(self.port), "--data-dir", self.data_dir, *self.extra_args],
            stdout=log,
            stderr=log,
        )
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gureum exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_gureum/health", timeout=1) as r:
                    json.load(r)
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"gureum did not start:\n{self.log()}")

    def stop(self, kill=False):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.proc.wait(timeout=15)

    def close(self):
        """Stops the server for good and removes its data directory."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def restart(self, kill=False):
        self.stop(kill=kill)
        self.start()

    def log(self) -> str:
        try:
            return open(self.log_path, encoding="utf-8", errors="replace").read()
        except OSError:
            return ""

    def env(self, **extra):
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_PAGER="",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        )
        env.update(extra)
        return env

    def aws(self, *args, check=True, **env):
        """Runs the aws CLI against this server; returns (returncode, parsed JSON or text, stderr)."""
        p = subprocess.run(
            ["aws", "--output", "json", *args],
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=60,
        )
        if check and p.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
        out = p.stdout
        try:
            out = json.loads(out) if out.strip() else None
        except json.JSONDecodeError:
            pass
        return p.returncode, out, p.stderr

    def client(self, service, region="us-east-1", **kw):
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=kw.pop("key", "test"),
            aws_secret_access_key=kw.pop("secret", "test"),
            config=Config(retries={"max_attempts": 1}, **kw),
        )


@pytest.fixture(scope="module")
def gureum():
    server = GureumServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def ec2(gureum):
    return gureum.client("ec2")


@pytest.fixture(scope="module")
def ami(ec2):
    """A public Amazon Linux x86_64 AMI of the region."""
    images = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}]
    )["Images"]
    linux = [i for i in images if "Platform" not in i]
    assert linux
    return linux[0]["ImageId"]


def lambda_role(gureum, name="lambda-role", actions="*"):
    """Creates an execution role Lambda may assume (trusting
    lambda.amazonaws.com, allowed `actions` on everything) and returns its
    ARN: Lambda refuses functions whose role it cannot assume."""
    iam = gureum.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=name, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return iam.get_role(RoleName=name)["Role"]["Arn"]
