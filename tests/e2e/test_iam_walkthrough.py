"""The notes' IAM lessons made true: a user without permission is refused.

The walkthrough of the IAM issue's acceptance, with the aws CLI: user alice
in group devs with AmazonS3ReadOnlyAccess; a role she assumes; a session
that expires on Gureum's clock; a wrong secret.
"""
import json
import urllib.request

import pytest


def advance_clock(gureum, seconds):
    req = urllib.request.Request(gureum.endpoint + "/_gureum/clock", method="POST",
                                 data=json.dumps({"advance_seconds": seconds}).encode())
    with urllib.request.urlopen(req) as r:
        return json.load(r)


@pytest.fixture(scope="module")
def alice(gureum):
    gureum.aws("iam", "create-user", "--user-name", "alice")
    gureum.aws("iam", "create-group", "--group-name", "devs")
    gureum.aws("iam", "attach-group-policy", "--group-name", "devs",
               "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    gureum.aws("iam", "add-user-to-group", "--group-name", "devs", "--user-name", "alice")
    _, out, _ = gureum.aws("iam", "create-access-key", "--user-name", "alice")
    key = out["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def test_alice_is_who_she_says(gureum, alice):
    _, out, _ = gureum.aws("sts", "get-caller-identity", **alice)
    assert out["Arn"] == "arn:aws:iam::000000000000:user/alice"
    assert out["UserId"].startswith("AIDA")


def test_group_policy_lets_alice_list_buckets_only(gureum, alice):
    code, _, err = gureum.aws("s3", "ls", check=False, **alice)
    assert code == 0, err
    code, _, err = gureum.aws("s3", "mb", "s3://alice-bucket", check=False, **alice)
    assert code != 0
    assert "AccessDenied" in err
    code, _, err = gureum.aws("iam", "list-users", check=False, **alice)
    assert code != 0
    assert "AccessDenied" in err
    assert ("User: arn:aws:iam::000000000000:user/alice is not authorized to perform: iam:ListUsers" in err)
    assert "because no identity-based policy allows the iam:ListUsers action" in err


def test_detaching_the_policy_takes_the_permission_away(gureum, alice):
    gureum.aws("iam", "detach-group-policy", "--group-name", "devs",
               "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    code, _, err = gureum.aws("s3", "ls", check=False, **alice)
    assert code != 0
    assert "AccessDenied" in err
    gureum.aws("iam", "attach-group-policy", "--group-name", "devs",
               "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    code, _, err = gureum.aws("s3", "ls", check=False, **alice)
    assert code == 0, err


def test_alice_assumes_a_role_until_it_expires(gureum, alice):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::000000000000:user/alice"}, "Action": "sts:AssumeRole"}]}
    gureum.aws("iam", "create-role", "--role-name", "ec2-reader",
               "--assume-role-policy-document", json.dumps(trust))
    gureum.aws("iam", "attach-role-policy", "--role-name", "ec2-reader",
               "--policy-arn", "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
    # Without the role alice cannot describe regions.
    code, _, err = gureum.aws("ec2", "describe-regions", check=False, **alice)
    assert code != 0 and "UnauthorizedOperation" in err
    _, out, _ = gureum.aws("sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/ec2-reader",
                           "--role-session-name", "alice-session", "--duration-seconds", "900", **alice)
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::000000000000:assumed-role/ec2-reader/alice-session"
    session = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
               "AWS_SESSION_TOKEN": creds["SessionToken"]}
    _, out, _ = gureum.aws("ec2", "describe-regions", **session)
    assert any(r["RegionName"] == "ap-northeast-2" for r in out["Regions"])
    _, who, _ = gureum.aws("sts", "get-caller-identity", **session)
    assert who["Arn"] == "arn:aws:sts::000000000000:assumed-role/ec2-reader/alice-session"
    # The role does not grant S3.
    code, _, err = gureum.aws("s3", "ls", check=False, **session)
    assert code != 0 and "AccessDenied" in err
    # Fifteen minutes later on Gureum's clock the session is over.
    advance_clock(gureum, 901)
    code, _, err = gureum.aws("ec2", "describe-regions", check=False, **session)
    assert code != 0
    assert "expired" in err.lower()


def test_a_role_that_does_not_trust_alice_is_refused(gureum, alice):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    gureum.aws("iam", "create-role", "--role-name", "ec2-only", "--assume-role-policy-document", json.dumps(trust))
    code, _, err = gureum.aws("sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/ec2-only",
                              "--role-session-name", "s1", check=False, **alice)
    assert code != 0 and "AccessDenied" in err


def test_a_wrong_secret_is_signature_does_not_match(gureum, alice):
    bad = dict(alice, AWS_SECRET_ACCESS_KEY="not-" + alice["AWS_SECRET_ACCESS_KEY"])
    code, _, err = gureum.aws("sts", "get-caller-identity", check=False, **bad)
    assert code != 0 and "SignatureDoesNotMatch" in err


def test_inactive_and_deleted_keys_are_refused(gureum, alice):
    _, out, _ = gureum.aws("iam", "create-access-key", "--user-name", "alice")
    key = out["AccessKey"]
    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    gureum.aws("sts", "get-caller-identity", **env)
    gureum.aws("iam", "update-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
    code, _, err = gureum.aws("sts", "get-caller-identity", check=False, **env)
    assert code != 0 and "InvalidClientTokenId" in err
    gureum.aws("iam", "delete-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"])
    code, _, err = gureum.aws("sts", "get-caller-identity", check=False, **env)
    assert code != 0 and "InvalidClientTokenId" in err


def test_iam_state_persists_across_restart(gureum, alice):
    gureum.restart(kill=True)
    _, out, _ = gureum.aws("iam", "get-group", "--group-name", "devs")
    assert [u["UserName"] for u in out["Users"]] == ["alice"]
    code, _, err = gureum.aws("s3", "ls", check=False, **alice)
    assert code == 0, err
