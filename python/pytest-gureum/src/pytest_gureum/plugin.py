"""pytest fixtures `gureum` and `gureum_clean`: a Gureum for the session.

The server runs `gureum serve --port 0 --ephemeral`; the address it bound is
read off its log, so parallel sessions never race for a port, and the
process is stopped when the session ends.
"""
import os
import queue
import re
import subprocess
import threading
import time
import urllib.request

import pytest

_LISTENING = re.compile(r"Gureum listening on (http://\S+)")


class Gureum:
    """A running Gureum; `stop()` ends it."""

    region = "us-east-1"
    access_key_id = "test"
    secret_access_key = "test"

    def __init__(self, binary=None, args=(), timeout=30.0):
        self.binary = binary or os.environ.get("GUREUM_BIN") or "gureum"
        self.log_lines = []
        try:
            self.proc = subprocess.Popen(
                [self.binary, "serve", "--port", "0", "--ephemeral", *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
        except OSError as e:
            raise RuntimeError(f"cannot run {self.binary}: {e} (set GUREUM_BIN or put gureum on PATH)")
        lines = queue.Queue()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        deadline = time.monotonic() + timeout
        self.endpoint = None
        while self.endpoint is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError("gureum did not start:\n" + "\n".join(self.log_lines))
            if line is None:
                raise RuntimeError("gureum exited:\n" + "\n".join(self.log_lines))
            match = _LISTENING.search(line)
            if match:
                self.endpoint = match.group(1)

    def _drain(self, lines):
        for line in self.proc.stderr:
            line = line.rstrip("\n")
            self.log_lines.append(line)
            lines.put(line)
        lines.put(None)

    def env(self, **extra):
        """os.environ pointed at this server, and away from real credentials."""
        env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID=self.access_key_id,
            AWS_SECRET_ACCESS_KEY=self.secret_access_key,
            AWS_DEFAULT_REGION=self.region,
            AWS_REGION=self.region,
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            AWS_PAGER="",
        )
        env.update(extra)
        return env

    def client(self, service, region=None, **kwargs):
        """A boto3 client for `service` that can only reach this server."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            **kwargs,
        )

    def reset(self, service=None):
        """Forgets all state (or one service's): `POST /_gureum/reset`."""
        url = self.endpoint + "/_gureum/reset" + (f"?service={service}" if service else "")
        with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30):
            pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def gureum():
    """One Gureum for the test session."""
    server = Gureum()
    yield server
    server.stop()


@pytest.fixture
def gureum_clean(gureum):
    """The session's Gureum, with all state reset before the test."""
    gureum.reset()
    return gureum
