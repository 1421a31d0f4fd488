"""Secrets Manager rotation with a real Lambda function: RotateSecret runs
AWS's four steps (createSecret, setSecret, testSecret, finishSecret)
through the function, which writes AWSPENDING and moves AWSCURRENT through
the Secrets Manager API inside Gureum; the function policy must let
secretsmanager.amazonaws.com invoke it."""
import io
import json
import time
import zipfile

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/rotation-role"

# A rotation function in the shape of AWS's single-user template.
ROTATOR = """
import boto3, json

def handler(event, context):
    sm = boto3.client("secretsmanager")
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    steps = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if step == "createSecret":
        current = json.loads(sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
        current["password"] = sm.get_random_password(PasswordLength=20, ExcludePunctuation=True)["RandomPassword"]
        current["generation"] = current.get("generation", 0) + 1
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token,
                            SecretString=json.dumps(current), VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        old = next(v for v, s in steps.items() if "AWSCURRENT" in s)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                       MoveToVersionId=token, RemoveFromVersionId=old)
    elif step not in ("setSecret", "testSecret"):
        raise ValueError("unknown step " + step)
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def rotator(gureum):
    # Lambda assumes the execution role: it must exist and trust Lambda.
    iam = gureum.client("iam")
    iam.create_role(RoleName=ROLE.split("/")[-1], AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName=ROLE.split("/")[-1], PolicyName="secrets", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*",
                                                 "Resource": "*"}]}))
    lam = gureum.client("lambda")
    arn = lam.create_function(FunctionName="rotator", Runtime="python3.12", Role=ROLE,
                              Handler="app.handler", Code={"ZipFile": zipped(ROTATOR)},
                              Timeout=30)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="rotator")
    return arn


def allow_secrets_manager(gureum):
    gureum.client("lambda").add_permission(
        FunctionName="rotator", StatementId="secretsmanager", Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com")


def test_a_function_policy_without_secrets_manager_is_refused(gureum, rotator):
    sm = gureum.client("secretsmanager")
    sm.create_secret(Name="rot/refused", SecretString=json.dumps({"password": "a"}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.rotate_secret(SecretId="rot/refused", RotationLambdaARN=rotator)
    err = e.value.response["Error"]
    assert err["Code"] == "AccessDeniedException"
    assert err["Message"] == ("Secrets Manager cannot invoke the specified Lambda function. Ensure "
                              "that the function policy grants access to the principal "
                              "secretsmanager.amazonaws.com.")
    assert "RotationEnabled" not in sm.describe_secret(SecretId="rot/refused")


def test_rotation_moves_awscurrent_to_the_new_version(gureum, rotator):
    allow_secrets_manager(gureum)
    sm = gureum.client("secretsmanager")
    made = sm.create_secret(Name="rot/db", SecretString=json.dumps({"user": "app", "password": "first"}))
    out = sm.rotate_secret(SecretId="rot/db", RotationLambdaARN=rotator,
                           RotationRules={"AutomaticallyAfterDays": 30})
    token = out["VersionId"]
    assert out["ARN"] == made["ARN"]
    deadline = time.time() + 30
    while time.time() < deadline:
        stages = sm.describe_secret(SecretId="rot/db")["VersionIdsToStages"]
        if "AWSCURRENT" in stages.get(token, []):
            break
        time.sleep(0.2)
    described = sm.describe_secret(SecretId="rot/db")
    assert "AWSCURRENT" in described["VersionIdsToStages"][token], described
    assert "AWSPREVIOUS" in described["VersionIdsToStages"][made["VersionId"]]
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == rotator
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    value = json.loads(sm.get_secret_value(SecretId="rot/db")["SecretString"])
    assert value["user"] == "app" and value["generation"] == 1
    assert value["password"] != "first" and len(value["password"]) == 20
    previous = json.loads(sm.get_secret_value(SecretId="rot/db", VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == "first"
    # LastRotatedDate is written once the last step has finished.
    while time.time() < deadline and "LastRotatedDate" not in sm.describe_secret(SecretId="rot/db"):
        time.sleep(0.2)
    assert "LastRotatedDate" in sm.describe_secret(SecretId="rot/db")


def test_cancel_turns_rotation_off(gureum, rotator):
    sm = gureum.client("secretsmanager")
    sm.create_secret(Name="rot/cancel", SecretString="x")
    sm.rotate_secret(SecretId="rot/cancel", RotationLambdaARN=rotator, RotateImmediately=False,
                     RotationRules={"AutomaticallyAfterDays": 7})
    assert sm.describe_secret(SecretId="rot/cancel")["RotationEnabled"] is True
    sm.cancel_rotate_secret(SecretId="rot/cancel")
    assert sm.describe_secret(SecretId="rot/cancel")["RotationEnabled"] is False
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.rotate_secret(SecretId="rot/cancel", RotationRules={"AutomaticallyAfterDays": 5000})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.rotate_secret(SecretId="rot/cancel", RotationRules={"Duration": "30h"})
    assert e.value.response["Error"] == {
        "Code": "InvalidParameterException",
        "Message": "The rotation window duration must be between 1h and 24h."}


def test_a_failed_rotation_leaves_awspending_and_refuses_the_next(gureum, rotator):
    sm = gureum.client("secretsmanager")
    made = sm.create_secret(Name="rot/stuck", SecretString=json.dumps({"password": "p"}))
    # A pending version the rotation never finished.
    sm.put_secret_value(SecretId="rot/stuck", SecretString="{}", VersionStages=["AWSPENDING"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sm.rotate_secret(SecretId="rot/stuck", RotationLambdaARN=rotator)
    assert e.value.response["Error"] == {
        "Code": "InvalidRequestException",
        "Message": "A previous rotation isn't complete. That rotation will be reattempted."}
    stages = sm.describe_secret(SecretId="rot/stuck")["VersionIdsToStages"]
    assert stages[made["VersionId"]] == ["AWSCURRENT"]
