"""Functions run as their execution role: Lambda assumes it as
lambda.amazonaws.com (the role must exist and trust Lambda), and the code
signs with the role session's temporary credentials, so IAM decides what
it may do."""
import io
import json
import zipfile

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
TRUST_LAMBDA = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."

WHOAMI = """
import boto3
def handler(event, context):
    me = boto3.client("sts").get_caller_identity()["Arn"]
    try:
        boto3.client("s3").put_object(Bucket=event["bucket"], Key="from-lambda", Body=b"hi")
        s3 = "ok"
    except Exception as e:
        s3 = e.response["Error"]["Code"]
    return {"arn": me, "s3": s3}
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


@pytest.fixture(scope="module")
def lam(gureum):
    iam = gureum.client("iam")
    iam.create_role(RoleName="writer", AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.put_role_policy(RoleName="writer", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::drop/*"}]}))
    iam.create_role(RoleName="no-s3", AssumeRolePolicyDocument=TRUST_LAMBDA)
    iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=TRUST_EC2)
    gureum.client("s3").create_bucket(Bucket="drop")
    return gureum.client("lambda")


def create(lam, name, role):
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn(role),
                        Handler="app.handler", Code={"ZipFile": zipped(WHOAMI)}, Timeout=30)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)


def invoke(lam, name):
    out = lam.invoke(FunctionName=name, Payload=json.dumps({"bucket": "drop"}))
    body = json.loads(out["Payload"].read())
    assert "FunctionError" not in out, body
    return body


@pytest.mark.parametrize("role", ["missing", "ec2-only"])
def test_a_role_lambda_cannot_assume_is_refused_at_create(lam, role):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(lam, "refused", role)
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == CANNOT_ASSUME


def test_the_code_runs_as_the_assumed_role_named_after_the_function(lam, gureum):
    create(lam, "whoami", "writer")
    out = invoke(lam, "whoami")
    assert out == {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/writer/whoami", "s3": "ok"}
    got = gureum.client("s3").get_object(Bucket="drop", Key="from-lambda")["Body"].read()
    assert got == b"hi"


def test_a_role_without_s3_permissions_is_denied_from_inside(lam):
    create(lam, "denied", "no-s3")
    out = invoke(lam, "denied")
    assert out == {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/no-s3/denied", "s3": "AccessDenied"}


def test_updating_to_a_role_lambda_cannot_assume_is_refused(lam):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName="whoami", Role=role_arn("ec2-only"))
    assert e.value.response["Error"]["Message"] == CANNOT_ASSUME
    assert lam.get_function_configuration(FunctionName="whoami")["Role"] == role_arn("writer")


def test_changing_the_role_changes_what_new_environments_run_as(lam):
    lam.update_function_configuration(FunctionName="whoami", Role=role_arn("no-s3"))
    lam.get_waiter("function_updated_v2").wait(FunctionName="whoami")
    assert invoke(lam, "whoami")["s3"] == "AccessDenied"
    lam.update_function_configuration(FunctionName="whoami", Role=role_arn("writer"))
    lam.get_waiter("function_updated_v2").wait(FunctionName="whoami")


def test_a_mapping_whose_role_cannot_receive_from_the_queue_is_refused(lam, gureum):
    gureum.client("sqs").create_queue(QueueName="jobs")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_event_source_mapping(FunctionName="denied",
                                        EventSourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert e.value.response["Error"]["Message"] == (
        "The function execution role does not have permissions to call ReceiveMessage on SQS")



def test_functions_still_run_as_their_role_after_a_restart(lam, gureum):
    gureum.restart(kill=True)
    out = invoke(gureum.client("lambda"), "whoami")
    assert out["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/writer/whoami"
    assert out["s3"] == "ok"
