"""The test helpers users put in their own suites: the pytest plugin
(python/pytest-gureum) and the Rust crate (crates/gureum-testing) each run a
sample test against a Gureum they start themselves."""
import os
import pathlib
import subprocess
import sys

from conftest import REPO, binary

PLUGIN = REPO / "python" / "pytest-gureum"


def test_the_pytest_plugin_runs_a_users_sample_suite():
    env = dict(os.environ, GUREUM_BIN=os.path.abspath(binary()), PYTHONPATH=str(PLUGIN / "src"))
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pytest_gureum.plugin", "-p", "no:cacheprovider",
         "--rootdir", str(PLUGIN), str(PLUGIN / "tests")],
        capture_output=True, text=True, env=env, timeout=300, cwd=PLUGIN,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "4 passed" in p.stdout


def test_the_pytest_plugin_reports_a_missing_binary():
    env = dict(os.environ, GUREUM_BIN="/nonexistent/gureum", PYTHONPATH=str(PLUGIN / "src"))
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pytest_gureum.plugin", "-p", "no:cacheprovider",
         "--rootdir", str(PLUGIN), str(PLUGIN / "tests" / "test_sample.py::test_boto3_reaches_the_session_server")],
        capture_output=True, text=True, env=env, timeout=300, cwd=PLUGIN,
    )
    assert p.returncode != 0
    assert "set GUREUM_BIN or put gureum on PATH" in p.stdout + p.stderr
