"""Secrets Manager through boto3 and the aws CLI: secrets with their
random-suffixed ARNs, staging labels across PutSecretValue and
UpdateSecretVersionStage, idempotent tokens, scheduled deletion on
Gureum's clock, restore, filters, tags, resource policies, random
passwords, BatchGetSecretValue, rotation without Lambda, values encrypted
by Gureum's KMS (the AWS managed key `aws/secretsmanager` or a customer
key), and state across a hard restart."""
import json
import re

import botocore.exceptions
import pytest

from helpers import advance, error_code


def err(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


def test_create_and_read_by_name_and_arn(gureum):
    sm = gureum.client("secretsmanager")
    out = sm.create_secret(Name="e2e/db", SecretString='{"user":"kim"}', Description="d")
    assert re.fullmatch(
        r"arn:aws:secretsmanager:us-east-1:000000000000:secret:e2e/db-[A-Za-z0-9]{6}", out["ARN"]
    )
    for sid in ("e2e/db", out["ARN"]):
        v = sm.get_secret_value(SecretId=sid)
        assert v["SecretString"] == '{"user":"kim"}' and v["VersionStages"] == ["AWSCURRENT"]
        assert v["VersionId"] == out["VersionId"]
    e = err(sm.create_secret, Name="e2e/db", SecretString="x")
    assert e["Code"] == "ResourceExistsException"
    assert e["Message"] == "The operation failed because the secret e2e/db already exists."
    e = err(sm.get_secret_value, SecretId="e2e/none")
    assert e["Code"] == "ResourceNotFoundException"
    assert e["Message"] == "Secrets Manager can't find the specified secret."
    b = sm.create_secret(Name="e2e/bin", SecretBinary=b"\x00\x01binary")
    assert sm.get_secret_value(SecretId=b["ARN"])["SecretBinary"] == b"\x00\x01binary"


def test_client_request_token_is_idempotent(gureum):
    sm = gureum.client("secretsmanager")
    token = "a" * 32
    first = sm.create_secret(Name="e2e/idem", SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name="e2e/idem", SecretString="v", ClientRequestToken=token)
    assert first["ARN"] == again["ARN"] and again["VersionId"] == token
    put = sm.put_secret_value(SecretId="e2e/idem", SecretString="v2", ClientRequestToken="b" * 32)
    same = sm.put_secret_value(SecretId="e2e/idem", SecretString="v2", ClientRequestToken="b" * 32)
    assert put["VersionId"] == same["VersionId"]
    assert error_code(
        sm.put_secret_value, SecretId="e2e/idem", SecretString="other", ClientRequestToken="b" * 32
    ) == "ResourceExistsException"


def test_staging_labels_across_put_secret_value(gureum):
    sm = gureum.client("secretsmanager")
    v1 = sm.create_secret(Name="e2e/stages", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="e2e/stages", SecretString="two")["VersionId"]
    stages = sm.describe_secret(SecretId="e2e/stages")["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    v3 = sm.put_secret_value(
        SecretId="e2e/stages", SecretString="three", VersionStages=["AWSPENDING"]
    )["VersionId"]
    assert sm.get_secret_value(SecretId="e2e/stages")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="e2e/stages", VersionStage="AWSPENDING")["SecretString"] == "three"
    sm.update_secret_version_stage(
        SecretId="e2e/stages", VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v2
    )
    stages = sm.describe_secret(SecretId="e2e/stages")["VersionIdsToStages"]
    assert stages[v3] == ["AWSPENDING", "AWSCURRENT"] and stages[v2] == ["AWSPREVIOUS"]
    assert v1 not in stages
    ids = [v["VersionId"] for v in sm.list_secret_version_ids(SecretId="e2e/stages")["Versions"]]
    assert set(ids) == {v2, v3}
    ids = sm.list_secret_version_ids(SecretId="e2e/stages", IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in ids} == {v1, v2, v3}
    e = err(sm.get_secret_value, SecretId="e2e/stages", VersionId="c" * 32)
    assert e["Code"] == "ResourceNotFoundException"


def test_update_secret_makes_a_new_current_version(gureum):
    sm = gureum.client("secretsmanager")
    sm.create_secret(Name="e2e/upd", SecretString="a")
    out = sm.update_secret(SecretId="e2e/upd", SecretString="b", Description="new")
    assert "VersionId" in out
    d = sm.describe_secret(SecretId="e2e/upd")
    assert d["Description"] == "new" and len(d["VersionIdsToStages"]) == 2
    assert sm.get_secret_value(SecretId="e2e/upd")["SecretString"] == "b"


def test_deletion_on_the_clock_and_restore(gureum):
    sm = gureum.client("secretsmanager")
    sm.create_secret(Name="e2e/del", SecretString="x")
    e = err(sm.delete_secret, SecretId="e2e/del", RecoveryWindowInDays=31)
    assert e["Code"] == "InvalidParameterException"
    out = sm.delete_secret(SecretId="e2e/del", RecoveryWindowInDays=7)
    assert out["DeletionDate"]
    e = err(sm.get_secret_value, SecretId="e2e/del")
    assert e["Code"] == "InvalidRequestException"
    assert e["Message"] == "You can't perform this operation on the secret because it was marked for deletion."
    names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
    assert "e2e/del" not in names
    planned = [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    assert "e2e/del" in planned
    sm.restore_secret(SecretId="e2e/del")
    assert sm.get_secret_value(SecretId="e2e/del")["SecretString"] == "x"
    sm.delete_secret(SecretId="e2e/del", RecoveryWindowInDays=7)
    advance(gureum, 6 * 86400)
    assert "DeletedDate" in sm.describe_secret(SecretId="e2e/del")
    advance(gureum, 86400 + 60)
    assert error_code(sm.describe_secret, SecretId="e2e/del") == "ResourceNotFoundException"
    sm.create_secret(Name="e2e/del", SecretString="reborn")
    sm.delete_secret(SecretId="e2e/del", ForceDeleteWithoutRecovery=True)
    assert error_code(sm.get_secret_value, SecretId="e2e/del") == "ResourceNotFoundException"


def test_list_filters_and_paging(gureum):
    sm = gureum.client("secretsmanager")
    for i in range(5):
        sm.create_secret(Name=f"e2e/page/{i}", SecretString="x", Tags=[{"Key": "team", "Value": f"t{i % 2}"}])
    pages = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": ["e2e/page/"]}], PaginationConfig={"PageSize": 2}
    )
    names = [s["Name"] for p in pages for s in p["SecretList"]]
    assert sorted(names) == [f"e2e/page/{i}" for i in range(5)]
    tagged = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["t1"]}])["SecretList"]
    assert sorted(s["Name"] for s in tagged) == ["e2e/page/1", "e2e/page/3"]


def test_tags_and_resource_policy(gureum):
    sm = gureum.client("secretsmanager")
    sm.create_secret(Name="e2e/tags", SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId="e2e/tags", Tags=[{"Key": "b", "Value": "2"}])
    sm.untag_resource(SecretId="e2e/tags", TagKeys=["a"])
    assert sm.describe_secret(SecretId="e2e/tags")["Tags"] == [{"Key": "b", "Value": "2"}]
    policy = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
    })
    sm.put_resource_policy(SecretId="e2e/tags", ResourcePolicy=policy)
    assert json.loads(sm.get_resource_policy(SecretId="e2e/tags")["ResourcePolicy"]) == json.loads(policy)
    assert error_code(
        sm.put_resource_policy, SecretId="e2e/tags", ResourcePolicy="{not json"
    ) == "MalformedPolicyDocumentException"
    sm.delete_resource_policy(SecretId="e2e/tags")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="e2e/tags")


def test_random_password_options_through_the_cli(gureum):
    _, out, _ = gureum.aws(
        "secretsmanager", "get-random-password", "--password-length", "20",
        "--exclude-punctuation", "--exclude-characters", "xyz",
    )
    pw = out["RandomPassword"]
    assert len(pw) == 20 and pw.isalnum() and not set(pw) & set("xyz")
    sm = gureum.client("secretsmanager")
    pw = sm.get_random_password(PasswordLength=10, IncludeSpace=True, ExcludeNumbers=True)["RandomPassword"]
    assert len(pw) == 10 and " " in pw and not any(c.isdigit() for c in pw)


def test_batch_get_and_rotation_without_lambda(gureum):
    sm = gureum.client("secretsmanager")
    sm.create_secret(Name="e2e/batch", SecretString="b")
    out = sm.batch_get_secret_value(SecretIdList=["e2e/batch", "e2e/missing"])
    assert [v["SecretString"] for v in out["SecretValues"]] == ["b"]
    assert out["Errors"][0]["SecretId"] == "e2e/missing"
    assert out["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"
    e = err(
        sm.rotate_secret, SecretId="e2e/batch",
        RotationLambdaARN="arn:aws:lambda:us-east-1:000000000000:function:rotator",
    )
    assert e["Code"] == "AccessDeniedException"
    assert "cannot invoke the specified Lambda function" in e["Message"]


def test_default_key_is_the_aws_managed_kms_key(gureum):
    sm = gureum.client("secretsmanager")
    kms = gureum.client("kms")
    sm.create_secret(Name="e2e/default", SecretString="plain")
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/aws/secretsmanager"].get("TargetKeyId")
    meta = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert sm.get_secret_value(SecretId="e2e/default")["SecretString"] == "plain"
    # Naming the managed alias is the same as naming no key.
    sm.create_secret(Name="e2e/default2", SecretString="p2", KmsKeyId="alias/aws/secretsmanager")
    assert sm.get_secret_value(SecretId="e2e/default2")["SecretString"] == "p2"


def test_customer_kms_key_round_trip_and_disabled_key(gureum):
    sm = gureum.client("secretsmanager")
    kms = gureum.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/e2e-sm", TargetKeyId=key["KeyId"])
    sm.create_secret(Name="e2e/kms", SecretString="x1", KmsKeyId="alias/e2e-sm")
    assert sm.describe_secret(SecretId="e2e/kms")["KmsKeyId"] == "alias/e2e-sm"
    assert sm.get_secret_value(SecretId="e2e/kms")["SecretString"] == "x1"
    sm.put_secret_value(SecretId="e2e/kms", SecretBinary=b"\x00\x01")
    assert sm.get_secret_value(SecretId="e2e/kms")["SecretBinary"] == b"\x00\x01"
    sm.create_secret(Name="e2e/kms-arn", SecretString="x2", KmsKeyId=key["Arn"])
    assert sm.get_secret_value(SecretId="e2e/kms-arn")["SecretString"] == "x2"
    e = err(sm.create_secret, Name="e2e/kms-none", SecretString="x", KmsKeyId="alias/e2e-none")
    assert e["Code"] == "EncryptionFailure"
    assert e["Message"] == "Alias arn:aws:kms:us-east-1:000000000000:alias/e2e-none is not found."
    kms.disable_key(KeyId=key["KeyId"])
    e = err(sm.get_secret_value, SecretId="e2e/kms")
    assert e["Code"] == "DecryptionFailure" and e["Message"] == f"{key['Arn']} is disabled."
    e = err(sm.put_secret_value, SecretId="e2e/kms", SecretString="x3")
    assert e["Code"] == "EncryptionFailure" and e["Message"] == f"{key['Arn']} is disabled."
    # Metadata stays readable without the key.
    assert sm.describe_secret(SecretId="e2e/kms")["Name"] == "e2e/kms"
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId="e2e/kms", VersionStage="AWSPREVIOUS")["SecretString"] == "x1"


def test_iam_policies_are_checked_on_the_secret_arn(gureum):
    sm = gureum.client("secretsmanager")
    iam = gureum.client("iam")
    sm.create_secret(Name="e2e/iam/allowed", SecretString="yes")
    sm.create_secret(Name="e2e/iam/denied", SecretString="no")
    iam.create_user(UserName="sm-reader")
    iam.put_user_policy(
        UserName="sm-reader", PolicyName="read-one",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": "arn:aws:secretsmanager:us-east-1:000000000000:secret:e2e/iam/allowed-*",
        }, {"Effect": "Allow", "Action": "secretsmanager:BatchGetSecretValue", "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName="sm-reader")["AccessKey"]
    reader = gureum.client("secretsmanager", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert reader.get_secret_value(SecretId="e2e/iam/allowed")["SecretString"] == "yes"
    e = err(reader.get_secret_value, SecretId="e2e/iam/denied")
    assert e["Code"] == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in e["Message"]
    batch = reader.batch_get_secret_value(SecretIdList=["e2e/iam/allowed"])
    assert [v["SecretString"] for v in batch["SecretValues"]] == ["yes"]
    e = err(reader.batch_get_secret_value, SecretIdList=["e2e/iam/allowed", "e2e/iam/denied"])
    assert e["Code"] == "AccessDeniedException"


def test_state_survives_a_hard_restart(gureum):
    sm = gureum.client("secretsmanager")
    arn = sm.create_secret(Name="e2e/keep", SecretString="v1")["ARN"]
    sm.put_secret_value(SecretId=arn, SecretString="v2")
    sm.delete_secret(SecretId="e2e/upd", RecoveryWindowInDays=10)
    gureum.restart(kill=True)
    sm = gureum.client("secretsmanager")
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v2"
    assert sm.get_secret_value(SecretId="e2e/kms-arn")["SecretString"] == "x2"
    assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    assert error_code(sm.get_secret_value, SecretId="e2e/upd") == "InvalidRequestException"
    _, out, _ = gureum.aws("secretsmanager", "describe-secret", "--secret-id", "e2e/keep")
    assert out["ARN"] == arn
