"""The README, followed verbatim by a newcomer: an empty HOME (no AWS
credentials), `gureum` on PATH (the built binary stands in for `cargo
install`), then every command of "Pointing tools at it" in one shell. With
real-looking credentials in ~/.aws the same commands still only reach
Gureum."""
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import REPO, binary, free_port


def readme_block(after_heading):
    text = (REPO / "README.md").read_text()
    section = text.split(after_heading, 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def newcomer_env(home, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GUREUM_"))}
    bindir = home / "bin"
    bindir.mkdir(exist_ok=True)
    shutil.copy(binary(), bindir / "gureum")
    env.update(HOME=str(home), PATH=f"{bindir}:{env['PATH']}",
               GUREUM_PORT=str(port), GUREUM_ENDPOINT=f"http://127.0.0.1:{port}")
    if "PYENV_ROOT" not in env and shutil.which("pyenv"):
        env["PYENV_ROOT"] = os.path.expanduser("~/.pyenv")
    return env


@pytest.fixture
def started_as_the_readme_says(tmp_path):
    port = free_port()
    env = newcomer_env(tmp_path, port)
    first = readme_block("## Two commands").splitlines()[0].split("#")[0]
    serve = first.split("&&", 1)[1].strip()
    assert serve == "gureum serve"
    proc = subprocess.Popen(serve.split(), cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_gureum/health", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    yield tmp_path, env
    proc.terminate()
    proc.wait(timeout=15)
    assert (tmp_path / ".gureum").is_dir()  # state where the README says


def run_pointing_block(home, env):
    script = "set -e\n" + readme_block("## Pointing tools at it")
    return subprocess.run(["bash", "-c", script], cwd=home, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_readme_works_verbatim_in_an_empty_home(started_as_the_readme_says):
    home, env = started_as_the_readme_says
    p = run_pointing_block(home, env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "arn:aws:iam::000000000000:root" in p.stdout
    assert "apne2-az1" in p.stdout
    assert "my-bucket" in p.stdout
    assert re.search(r"s3\s+partial\s+\d+ / \d+", p.stdout)


def test_real_looking_credentials_in_home_never_leave_the_machine(started_as_the_readme_says):
    home, env = started_as_the_readme_says
    aws = home / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                     "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    (aws / "config").write_text("[default]\nregion = eu-west-1\n")
    p = run_pointing_block(home, dict(env, AWS_PROFILE="default"))
    # Every call answered by Gureum (account 000000000000), none by AWS.
    assert p.returncode == 0, p.stdout + p.stderr
    assert "arn:aws:iam::000000000000:root" in p.stdout
    assert "AKIAIOSFODNN7EXAMPLE" not in p.stdout + p.stderr
