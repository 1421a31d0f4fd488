"""The gureum CLI (`env`, `status`) and declared accounts with `--strict`."""
import os
import subprocess
import tempfile

import botocore.exceptions
import pytest

from conftest import GureumServer, binary


def test_env_prints_exports_for_eval(gureum):
    out = subprocess.run([binary(), "env", "--endpoint", gureum.endpoint], capture_output=True, text=True, check=True).stdout
    lines = dict(l.removeprefix("export ").split("=", 1) for l in out.strip().splitlines() if l.startswith("export "))
    assert lines == {
        "AWS_ENDPOINT_URL": gureum.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_PAGER": "",
    }
    assert "unset AWS_PROFILE AWS_SESSION_TOKEN" in out
    # The exports work when evaluated by a shell.
    script = f'eval "$({binary()} env --endpoint {gureum.endpoint})" && aws sts get-caller-identity --query Account --output text'
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    acct = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=clean, timeout=60)
    assert acct.stdout.strip() == "000000000000", acct.stderr


def test_status_prints_a_service_table(gureum):
    p = subprocess.run([binary(), "status", "--endpoint", gureum.endpoint], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    rows = {line.split()[0]: line.split()[1:] for line in p.stdout.splitlines()[3:]}
    assert rows["s3"][0] == "partial"
    assert rows["ecs"] == ["missing", "0", "/", "77"]
    # The counts are the health endpoint's (which grow as operations land).
    import json
    import urllib.request

    with urllib.request.urlopen(gureum.endpoint + "/_gureum/health") as r:
        logs = json.load(r)["operations"]["logs"]
    assert 0 < logs["implemented"] < logs["total"]
    assert rows["logs"] == ["partial", str(logs["implemented"]), "/", str(logs["total"])]
    assert f"api              {gureum.endpoint}" in p.stdout


def test_status_into_a_closed_pipe_does_not_panic(gureum):
    p = subprocess.run(f"{binary()} status --endpoint {gureum.endpoint} | head -1", shell=True,
                       capture_output=True, text=True, timeout=30)
    assert p.stdout.startswith("Gureum ")
    assert "panicked" not in p.stderr and p.stderr == ""


def test_env_without_a_server_fails_loudly_but_still_points_away_from_aws():
    p = subprocess.run([binary(), "env", "--endpoint", "http://127.0.0.1:9"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert "Gureum is not running there (start it with `gureum serve`)" in p.stderr
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:9" in p.stdout


def test_gureum_aws_never_uses_the_machines_credentials(gureum, tmp_path):
    # Real-looking credentials and a profile in ~/.aws: the wrapper hides them
    # and passes the endpoint explicitly (the CLI v1 ignores AWS_ENDPOINT_URL
    # for sqs), so the request can only reach Gureum.
    aws_dir = tmp_path / ".aws"
    aws_dir.mkdir()
    (aws_dir / "credentials").write_text("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                         "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
    (aws_dir / "config").write_text("[default]\nregion = eu-west-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(tmp_path), GUREUM_ENDPOINT=gureum.endpoint, AWS_PROFILE="default")
    who = subprocess.run([binary(), "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert who.stdout.strip() == "arn:aws:iam::000000000000:root", who.stderr
    sqs = subprocess.run([binary(), "aws", "sqs", "create-queue", "--queue-name", "wrapped",
                          "--query", "QueueUrl", "--output", "text"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert sqs.stdout.strip() == f"http://sqs.us-east-1.localhost:{gureum.port}/000000000000/wrapped", sqs.stderr


def test_a_busy_port_says_so_and_suggests_another(gureum, tmp_path):
    data = tmp_path / "never-made"
    p = subprocess.run([binary(), "serve", "--port", str(gureum.port), "--data-dir", str(data)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert f"cannot listen on 127.0.0.1:{gureum.port}: the port is in use" in p.stderr
    assert "pass --port" in p.stderr
    assert not data.exists()


def test_a_data_dir_in_use_names_the_other_gureum(gureum):
    p = subprocess.run([binary(), "serve", "--port", "0", "--data-dir", gureum.data_dir],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert f"another Gureum is using {gureum.data_dir}" in p.stderr


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
