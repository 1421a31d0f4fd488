"""MemorySize enforced where the OS allows (RLIMIT_DATA through util-linux's
prlimit): a function over its memory fails as AWS reports it
(Runtime.OutOfMemory), and the REPORT line's Max Memory Used is measured
from the process's peak resident memory."""
import base64
import io
import json
import re
import shutil
import zipfile

import pytest

from conftest import lambda_role

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None, reason="util-linux's prlimit is not installed")

HOG = """
def handler(event, context):
    mb = event["mb"]
    if event.get("gradual"):
        keep = [b"\\x01" * (1024 * 1024) for _ in range(mb)]
    else:
        keep = b"\\x01" * (mb * 1024 * 1024)
    return len(keep)
"""


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def lam(gureum):
    role = lambda_role(gureum)
    lam = gureum.client("lambda")
    for name, memory in [("small", 128), ("large", 512)]:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": zipped({"app.py": HOG})}, MemorySize=memory, Timeout=30)
    return lam


def invoke(lam, name, event):
    out = lam.invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    log = base64.b64decode(out["LogResult"]).decode()
    used = int(re.search(r"Max Memory Used: (\d+) MB", log).group(1))
    return out, json.loads(out["Payload"].read()), log, used


@pytest.mark.parametrize("gradual", [False, True])
def test_a_128_mb_function_allocating_300_mb_runs_out_of_memory(lam, gradual):
    out, body, log, used = invoke(lam, "small", {"mb": 300, "gradual": gradual})
    assert out["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed", body["errorMessage"])
    assert "Memory Size: 128 MB" in log
    assert used == 128


def test_after_running_out_the_next_invocation_starts_afresh(lam):
    out, body, _, used = invoke(lam, "small", {"mb": 20})
    assert "FunctionError" not in out and body == 20 * 1024 * 1024
    assert 20 <= used <= 128


def test_max_memory_used_is_the_measured_peak(lam):
    out, body, log, used = invoke(lam, "large", {"mb": 300})
    assert "FunctionError" not in out
    assert "Memory Size: 512 MB" in log
    assert 300 <= used < 512
    _, _, _, small = invoke(lam, "small", {"mb": 1})
    assert 5 <= small < 100


def test_the_limit_still_holds_after_a_restart(gureum):
    gureum.restart(kill=True)
    lam = gureum.client("lambda")
    assert lam.get_function_configuration(FunctionName="small")["MemorySize"] == 128
    _, body, _, used = invoke(lam, "small", {"mb": 300})
    assert body["errorType"] == "Runtime.OutOfMemory" and used == 128
