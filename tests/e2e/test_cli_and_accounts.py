"""The gureum CLI (`env`, `status`) and declared accounts with `--strict`."""
import os
import subprocess
import tempfile

import botocore.exceptions
import pytest

from conftest import GureumServer, binary


def test_env_prints_exports_for_eval(gureum):
    out = subprocess.run([binary(), "env", "--endpoint", gureum.endpoint], capture_output=True, text=True, check=True).stdout
    lines = dict(l.removeprefix("export ").split("=", 1) for l in out.strip().splitlines())
    assert lines == {
        "AWS_ENDPOINT_URL": gureum.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    # The exports work when evaluated by a shell.
    script = f'eval "$({binary()} env --endpoint {gureum.endpoint})" && aws sts get-caller-identity --query Account --output text'
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    acct = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=clean, timeout=60)
    assert acct.stdout.strip() == "000000000000", acct.stderr


def test_status_prints_a_service_table(gureum):
    p = subprocess.run([binary(), "status", "--endpoint", gureum.endpoint], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    rows = dict(line.split() for line in p.stdout.splitlines()[2:])
    assert rows["s3"] == "running"
    assert rows["kms"] == "not_implemented"


def test_status_of_a_stopped_server_fails():
    p = subprocess.run([binary(), "status", "--endpoint", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "cannot reach" in p.stderr


ALICE_CANONICAL = "a" * 64


@pytest.fixture(scope="module")
def strict_server():
    path = os.path.join(tempfile.mkdtemp(), "accounts.toml")
    with open(path, "w") as f:
        f.write('[[accounts]]\nid = "111111111111"\naccess_key_id = "AKIAALICEEXAMPLE01"\nsecret_access_key = "alice-secret"\n'
                f's3_canonical_id = "{ALICE_CANONICAL}"\n\n'
                '[[accounts]]\nid = "222222222222"\naccess_key_id = "AKIABOBEXAMPLE0001"\nsecret_access_key = "bob-secret"\n')
    server = GureumServer(extra_args=["--strict", "--accounts", path, "--ephemeral"])
    server.start()
    yield server
    server.close()


def test_declared_accounts_are_their_own_principals(strict_server):
    alice = strict_server.client("sts", key="AKIAALICEEXAMPLE01", secret="alice-secret")
    bob = strict_server.client("sts", key="AKIABOBEXAMPLE0001", secret="bob-secret")
    assert alice.get_caller_identity()["Arn"] == "arn:aws:iam::111111111111:root"
    assert bob.get_caller_identity()["Account"] == "222222222222"


def test_declared_keys_are_verified(strict_server):
    sts = strict_server.client("sts", key="AKIAALICEEXAMPLE01", secret="bob-secret")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_strict_mode_refuses_unknown_keys(strict_server):
    sts = strict_server.client("sts", key="AKIAUNKNOWNKEY00001", secret="x")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sts.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    s3 = strict_server.client("s3", key="AKIAUNKNOWNKEY00001", secret="x")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.list_buckets()
    assert e.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    ddb = strict_server.client("dynamodb", key="AKIAUNKNOWNKEY00001", secret="x")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ddb.list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    # The default key still works in strict mode.
    assert strict_server.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_ephemeral_server_keeps_nothing(strict_server):
    logs = strict_server.client("logs")
    logs.create_log_group(logGroupName="/ephemeral")
    strict_server.restart()
    assert strict_server.client("logs").describe_log_groups()["logGroups"] == []


def test_declared_s3_canonical_id_is_the_owner_s3_reports(strict_server):
    alice = strict_server.client("s3", key="AKIAALICEEXAMPLE01", secret="alice-secret")
    alice.create_bucket(Bucket="alice-owned")
    assert alice.list_buckets()["Owner"]["ID"] == ALICE_CANONICAL
    assert alice.get_bucket_acl(Bucket="alice-owned")["Owner"]["ID"] == ALICE_CANONICAL
    bob = strict_server.client("s3", key="AKIABOBEXAMPLE0001", secret="bob-secret")
    bob_id = bob.list_buckets()["Owner"]["ID"]
    assert len(bob_id) == 64 and bob_id != ALICE_CANONICAL


def test_an_accounts_file_with_a_malformed_canonical_id_is_refused(tmp_path):
    path = tmp_path / "accounts.toml"
    path.write_text('[[accounts]]\nid = "111111111111"\naccess_key_id = "AKIAX"\n'
                    'secret_access_key = "s"\ns3_canonical_id = "not-hex"\n')
    p = subprocess.run([binary(), "serve", "--port", "0", "--ephemeral", "--accounts", str(path)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "64 hex digits" in p.stderr
