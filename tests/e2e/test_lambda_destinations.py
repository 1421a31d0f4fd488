"""Asynchronous invocation destinations and dead-letter queues: Lambda
sends AWS's invocation record to OnSuccess/OnFailure (SQS, EventBridge)
and a failed event to the function's DeadLetterConfig queue, as the
function's execution role."""
import io
import json
import time
import zipfile

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dest-role"

APP = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": event.get("n")}
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


def queue_arn(name):
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


@pytest.fixture(scope="module")
def env(gureum):
    iam = gureum.client("iam")
    iam.create_role(RoleName="dest-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="dest-role", PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                 "Action": ["sqs:SendMessage", "events:PutEvents"], "Resource": "*"}]}))
    sqs = gureum.client("sqs")
    urls = {n: sqs.create_queue(QueueName=n)["QueueUrl"] for n in ("ok", "failed", "dlq", "bus-events")}
    lam = gureum.client("lambda")
    lam.create_function(FunctionName="flaky", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zipped(APP)}, Timeout=30,
                        DeadLetterConfig={"TargetArn": queue_arn("dlq")})
    lam.get_waiter("function_active_v2").wait(FunctionName="flaky")
    lam.put_function_event_invoke_config(
        FunctionName="flaky", MaximumRetryAttempts=0,
        DestinationConfig={"OnSuccess": {"Destination": queue_arn("ok")},
                           "OnFailure": {"Destination": queue_arn("failed")}})
    return {"lam": lam, "sqs": sqs, "urls": urls}


def received(env, name, count=1, timeout=20):
    out, deadline = [], time.time() + timeout
    while len(out) < count and time.time() < deadline:
        got = env["sqs"].receive_message(QueueUrl=env["urls"][name], MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         MessageAttributeNames=["All"]).get("Messages", [])
        out.extend(got)
        for m in got:
            env["sqs"].delete_message(QueueUrl=env["urls"][name], ReceiptHandle=m["ReceiptHandle"])
    return out


def test_the_event_invoke_config_shows_its_destinations(env):
    got = env["lam"].get_function_event_invoke_config(FunctionName="flaky")
    assert got["DestinationConfig"] == {"OnSuccess": {"Destination": queue_arn("ok")},
                                        "OnFailure": {"Destination": queue_arn("failed")}}
    assert env["lam"].get_function_configuration(FunctionName="flaky")["DeadLetterConfig"] == {
        "TargetArn": queue_arn("dlq")}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        env["lam"].put_function_event_invoke_config(
            FunctionName="flaky", DestinationConfig={"OnSuccess": {"Destination": "arn:aws:s3:::b"}})
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_a_success_sends_the_invocation_record_to_on_success(env):
    env["lam"].invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"n": 7}))
    [m] = received(env, "ok")
    record = json.loads(m["Body"])
    assert record["version"] == "1.0"
    ctx = record["requestContext"]
    assert ctx["condition"] == "Success" and ctx["approximateInvokeCount"] == 1
    assert ctx["functionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:flaky:$LATEST"
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"ok": 7}


def test_a_failure_goes_to_on_failure_and_the_dead_letter_queue(env):
    env["lam"].invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"fail": True}))
    [m] = received(env, "failed")
    record = json.loads(m["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "asked to fail"
    [dead] = received(env, "dlq")
    assert json.loads(dead["Body"]) == {"fail": True}
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "asked to fail"
    assert dead["MessageAttributes"]["RequestID"]["StringValue"] == record["requestContext"]["requestId"]


def test_an_eventbridge_destination_puts_the_record_on_the_bus(gureum, env):
    events = gureum.client("events")
    events.put_rule(Name="lambda-results", EventPattern=json.dumps({"source": ["lambda"]}))
    env["sqs"].set_queue_attributes(QueueUrl=env["urls"]["bus-events"], Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                 "Action": "sqs:SendMessage", "Resource": queue_arn("bus-events")}]})})
    events.put_targets(Rule="lambda-results", Targets=[{"Id": "q", "Arn": queue_arn("bus-events")}])
    env["lam"].update_function_event_invoke_config(FunctionName="flaky", DestinationConfig={
        "OnSuccess": {"Destination": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"}})
    env["lam"].invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"n": 1}))
    [m] = received(env, "bus-events")
    event = json.loads(m["Body"])
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["detail"]["responsePayload"] == {"ok": 1}


def test_sns_and_lambda_destinations_get_the_record(gureum, env):
    iam, sns, lam, sqs = gureum.client("iam"), gureum.client("sns"), env["lam"], env["sqs"]
    iam.put_role_policy(RoleName="dest-role", PolicyName="more", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                 "Action": ["sns:Publish", "lambda:InvokeFunction"], "Resource": "*"}]}))
    topic = sns.create_topic(Name="results")["TopicArn"]
    for name in ("via-topic", "via-function"):
        env["urls"][name] = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=env["urls"]["via-topic"], Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                                                 "Action": "sqs:SendMessage", "Resource": queue_arn("via-topic")}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("via-topic"),
                  Attributes={"RawMessageDelivery": "true"})
    relay = ("import boto3, json, os\n"
             "def handler(event, context):\n"
             "    boto3.client('sqs').send_message(QueueUrl=os.environ['QUEUE'], MessageBody=json.dumps(event))\n")
    lam.create_function(FunctionName="relay", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zipped(relay)}, Timeout=30,
                        Environment={"Variables": {"QUEUE": env["urls"]["via-function"]}})
    lam.get_waiter("function_active_v2").wait(FunctionName="relay")
    lam.put_function_event_invoke_config(FunctionName="flaky", MaximumRetryAttempts=0, DestinationConfig={
        "OnSuccess": {"Destination": topic},
        "OnFailure": {"Destination": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:relay"}})
    lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"n": 2}))
    [m] = received(env, "via-topic")
    assert json.loads(m["Body"])["responsePayload"] == {"ok": 2}
    lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"fail": 1}))
    [m] = received(env, "via-function")
    record = json.loads(m["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"fail": 1}
