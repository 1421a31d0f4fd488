"""Gureum's own log: plain text in a file, JSON on request, failures say what
was answered and to whom, and bad options are refused rather than ignored."""
import json
import subprocess

from conftest import GureumServer, binary


def test_a_log_written_to_a_file_has_no_colour_codes(gureum):
    gureum.aws("sts", "get-caller-identity")
    log = gureum.log()
    assert "Gureum listening on" in log
    assert "\x1b[" not in log


def test_a_failed_request_logs_its_error_code_and_principal(gureum):
    gureum.aws("iam", "get-role", "--role-name", "logged-nope", check=False)
    line = [l for l in gureum.log().splitlines() if "GetRole" in l][-1]
    assert "status=404" in line
    assert "error=NoSuchEntity" in line
    assert "principal=arn:aws:iam::000000000000:root" in line


def test_json_log_format_writes_one_object_per_line():
    server = GureumServer(extra_args=["--log-format", "json"])
    server.start()
    try:
        server.aws("ec2", "describe-vpcs", "--vpc-ids", "vpc-00000000000000000", check=False)
    finally:
        server.stop()
    records = [json.loads(l) for l in server.log().splitlines() if l.startswith("{")]
    failed = [r for r in records if r["fields"].get("operation") == "DescribeVpcs"]
    assert failed and failed[-1]["fields"]["error"] == "InvalidVpcID.NotFound"
    assert failed[-1]["fields"]["status"] == 400


def test_an_unknown_log_level_is_refused():
    p = subprocess.run([binary(), "serve", "--ephemeral", "--log-level", "loud"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "invalid value 'loud' for '--log-level <LOG_LEVEL>'" in p.stderr
