"""Reset, export and import of the whole state, through the `gureum` CLI and
the admin endpoints, checked with the aws CLI and boto3."""
import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import binary

LARGE = os.urandom(3 << 20)  # over 128 KiB: a file beside the store; over 1 MiB: several export chunks
SMALL = b"small object bytes"


def gureum_cli(server, *args):
    return subprocess.run([binary(), *args], capture_output=True, text=True, env=server.env(), timeout=120)


def post(server, path):
    req = urllib.request.Request(server.endpoint + path, data=b"", method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def make_state(server):
    s3, iam, ec2 = server.client("s3"), server.client("iam"), server.client("ec2")
    s3.create_bucket(Bucket="keep-me")
    s3.put_object(Bucket="keep-me", Key="small", Body=SMALL)
    s3.put_object(Bucket="keep-me", Key="large", Body=LARGE)
    iam.create_user(UserName="alice")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    return vpc


def spooled(server):
    """Import spool files left in the data directory."""
    tmp = os.path.join(server.data_dir, "tmp")
    return [f for f in os.listdir(tmp) if f.startswith("import-")] if os.path.isdir(tmp) else []


def vpc_ids(server):
    return {v["VpcId"] for v in server.client("ec2").describe_vpcs()["Vpcs"]}


def user_names(server):
    return [u["UserName"] for u in server.client("iam").list_users()["Users"]]


def bucket_names(server):
    return [b["Name"] for b in server.client("s3").list_buckets()["Buckets"]]


def test_exported_state_comes_back_after_a_reset(gureum, tmp_path):
    vpc = make_state(gureum)
    file = tmp_path / "state.gureum"
    p = gureum_cli(gureum, "export", str(file))
    assert p.returncode == 0, p.stderr
    assert "export:" in p.stderr and "(100%)" in p.stderr, p.stderr

    p = gureum_cli(gureum, "reset")
    assert p.returncode == 0, p.stderr
    assert bucket_names(gureum) == []
    assert user_names(gureum) == []
    assert vpc not in vpc_ids(gureum)
    assert len(vpc_ids(gureum)) == 1, "the default VPC comes back on next use"

    p = gureum_cli(gureum, "import", str(file))
    assert p.returncode == 0, p.stderr
    assert "import:" in p.stderr, p.stderr
    assert spooled(gureum) == []
    s3 = gureum.client("s3")
    assert bucket_names(gureum) == ["keep-me"]
    assert s3.get_object(Bucket="keep-me", Key="small")["Body"].read() == SMALL
    assert s3.get_object(Bucket="keep-me", Key="large")["Body"].read() == LARGE
    assert user_names(gureum) == ["alice"]
    assert vpc in vpc_ids(gureum)
    # The aws CLI sees the same.
    _, out, _ = gureum.aws("iam", "get-user", "--user-name", "alice")
    assert out["User"]["UserName"] == "alice"


def test_a_reset_of_one_service_leaves_the_others(gureum):
    post(gureum, "/_gureum/reset")
    make_state(gureum)
    status, body = post(gureum, "/_gureum/reset?service=s3")
    assert status == 200, body
    assert body["services"] == ["s3"]
    assert bucket_names(gureum) == []
    assert user_names(gureum) == ["alice"]
    # The bucket name is free again.
    gureum.client("s3").create_bucket(Bucket="keep-me")


def test_moto_and_localstack_reset_paths_clear_everything(gureum):
    for path in ("/moto-api/reset", "/_localstack/state/reset"):
        gureum.client("iam").create_user(UserName="bob")
        status, body = post(gureum, path)
        assert (status, body["status"]) == (200, "ok"), (path, body)
        assert user_names(gureum) == [], path
    # LocalStack's per-service form.
    gureum.client("iam").create_user(UserName="bob")
    gureum.client("s3").create_bucket(Bucket="stays")
    status, body = post(gureum, "/_localstack/state/iam/reset")
    assert (status, body["services"]) == (200, ["iam"])
    assert user_names(gureum) == []
    assert bucket_names(gureum) == ["stays"]


def test_an_unknown_service_is_refused_by_name(gureum):
    gureum.client("iam").create_user(UserName="erin")
    status, body = post(gureum, "/_gureum/reset?service=nope")
    assert status == 400
    assert body["error"].startswith("no such service: nope (Gureum serves ")
    status, body = post(gureum, "/_gureum/reset?service=")
    assert (status, body["error"]) == (400, "service= needs a service name (s3, iam, ec2…)")
    assert "erin" in user_names(gureum), "a refused reset clears nothing"
    p = gureum_cli(gureum, "reset", "--service", "nope")
    assert p.returncode != 0
    assert "no such service: nope" in p.stderr


def test_a_reset_survives_a_restart(gureum):
    gureum.client("iam").create_user(UserName="carol")
    assert gureum_cli(gureum, "reset", "--service", "iam").returncode == 0
    gureum.restart(kill=True)
    assert "carol" not in user_names(gureum)


def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(gureum, tmp_path):
    post(gureum, "/_gureum/reset")
    gureum.client("iam").create_user(UserName="dave")
    file = tmp_path / "state.gureum"
    assert gureum_cli(gureum, "export", str(file)).returncode == 0
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.gureum"
    bad.write_bytes(bytes(data))
    p = gureum_cli(gureum, "import", str(bad))
    assert p.returncode != 0
    assert "checksum does not match" in p.stderr, p.stderr

    other = tmp_path / "other.gureum"
    other.write_bytes(bytes(file.read_bytes()).replace(b'"version":1', b'"version":2', 1))
    p = gureum_cli(gureum, "import", str(other))
    assert "format version 2 is not supported" in p.stderr, p.stderr

    junk = tmp_path / "junk.gureum"
    junk.write_bytes(b"hello")
    p = gureum_cli(gureum, "import", str(junk))
    assert "not a Gureum state file" in p.stderr, p.stderr

    # The server refuses it too, whoever sends it.
    req = urllib.request.Request(gureum.endpoint + "/_gureum/import", data=bytes(data), method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    assert e.value.code == 400
    assert "checksum" in json.load(e.value)["error"]
    assert user_names(gureum) == ["dave"]
    assert spooled(gureum) == []


def test_a_reset_forgets_cached_credentials(gureum):
    iam = gureum.client("iam")
    iam.create_user(UserName="frank")
    key = iam.create_access_key(UserName="frank")["AccessKey"]
    as_frank = gureum.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert as_frank.get_caller_identity()["Arn"].endswith(":user/frank")
    assert post(gureum, "/_gureum/reset?service=iam")[0] == 200
    # The key is unknown now: outside --strict, an unknown key is taken
    # for its account's root, never for the user it belonged to.
    arn = as_frank.get_caller_identity()["Arn"]
    assert not arn.endswith(":user/frank"), arn
    assert arn.endswith(":root"), arn


def test_a_reset_forgets_the_instance_index(gureum, ec2, ami):
    ec2.run_instances(ImageId=ami["ImageId"] if isinstance(ami, dict) else ami, MinCount=1, MaxCount=1,
                      InstanceType="t3.micro")
    assert sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"]) == 1
    assert post(gureum, "/_gureum/reset?service=ec2")[0] == 200
    assert ec2.describe_instances()["Reservations"] == []
    assert len(vpc_ids(gureum)) == 1, "the default VPC is back"
