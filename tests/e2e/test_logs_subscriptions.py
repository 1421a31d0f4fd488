"""CloudWatch Logs subscription filters deliver to Lambda: the function's
policy must allow logs.amazonaws.com when the filter is put, matching
events reach the function as AWS's gzipped, base64-encoded awslogs.data
DATA_MESSAGE, and Kinesis/Firehose destinations (which Gureum does not
have) are refused with AWS's failed-test-delivery errors."""
import io
import json
import time
import zipfile

import pytest

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/logs-sub-role"

# Decodes awslogs.data and prints one line per event, prefixed, into the
# function's own log group, where the test reads it.
DECODER = """
import base64, gzip, json
def handler(event, context):
    doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("DELIVERED " + json.dumps(doc, sort_keys=True))
    return len(doc["logEvents"])
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def function(gureum):
    gureum.client("iam").create_role(RoleName="logs-sub-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = gureum.client("lambda")
    arn = lam.create_function(FunctionName="log-decoder", Runtime="python3.12", Role=ROLE,
                              Handler="app.handler", Code={"ZipFile": zipped(DECODER)},
                              Timeout=30)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="log-decoder")
    return arn


def _delivered(logs, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/log-decoder",
                                            filterPattern="DELIVERED")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if events:
            return [json.loads(e["message"].split("DELIVERED ", 1)[1]) for e in events]
        time.sleep(0.5)
    return []


def test_a_function_whose_policy_does_not_allow_logs_is_refused(gureum, function):
    logs = gureum.client("logs")
    logs.create_log_group(logGroupName="/sub/denied")
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_subscription_filter(logGroupName="/sub/denied", filterName="f",
                                     filterPattern="", destinationArn=function)
    assert e.value.response["Error"]["Message"] == (
        "Could not execute the lambda function. Make sure you have given CloudWatch Logs "
        "permission to execute your function.")


def test_matching_events_reach_the_function_as_awslogs_data(gureum, function):
    logs, lam = gureum.client("logs"), gureum.client("lambda")
    logs.create_log_group(logGroupName="/sub/app")
    logs.create_log_stream(logGroupName="/sub/app", logStreamName="s1")
    lam.add_permission(FunctionName="log-decoder", StatementId="logs", Action="lambda:InvokeFunction",
                       Principal="logs.amazonaws.com",
                       SourceArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/sub/app:*")
    logs.put_subscription_filter(logGroupName="/sub/app", filterName="errors",
                                 filterPattern="ERROR", destinationArn=function)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/sub/app", logStreamName="s1", logEvents=[
        {"timestamp": now, "message": "ERROR boom"},
        {"timestamp": now + 1, "message": "INFO fine"},
    ])
    docs = _delivered(logs)
    assert len(docs) == 1
    doc = docs[0]
    assert doc["messageType"] == "DATA_MESSAGE"
    assert doc["owner"] == ACCOUNT
    assert doc["logGroup"] == "/sub/app"
    assert doc["logStream"] == "s1"
    assert doc["subscriptionFilters"] == ["errors"]
    assert [e["message"] for e in doc["logEvents"]] == ["ERROR boom"]
    assert doc["logEvents"][0]["timestamp"] == now


def test_kinesis_and_firehose_destinations_are_refused(gureum):
    logs = gureum.client("logs")
    logs.create_log_group(logGroupName="/sub/streams")
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_subscription_filter(logGroupName="/sub/streams", filterName="k", filterPattern="",
                                     destinationArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s",
                                     roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
    assert e.value.response["Error"]["Message"] == (
        "Could not deliver test message to specified Kinesis stream. "
        "Check if the given kinesis stream is in ACTIVE state.")
    with pytest.raises(logs.exceptions.InvalidParameterException) as e:
        logs.put_subscription_filter(logGroupName="/sub/streams", filterName="f", filterPattern="",
                                     destinationArn=f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/d",
                                     roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
    assert "Firehose stream" in e.value.response["Error"]["Message"]
    assert logs.describe_subscription_filters(logGroupName="/sub/streams")["subscriptionFilters"] == []


def test_delivery_continues_after_a_restart(gureum, function):
    logs = gureum.client("logs")
    gureum.restart(kill=True)
    logs = gureum.client("logs")
    subs = logs.describe_subscription_filters(logGroupName="/sub/app")["subscriptionFilters"]
    assert [s["filterName"] for s in subs] == ["errors"]
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/sub/app", logStreamName="s1", logEvents=[
        {"timestamp": now, "message": "ERROR after restart"}])
    deadline = time.time() + 40
    messages = []
    while time.time() < deadline:
        messages = [e["message"] for d in _delivered(logs, timeout=1) for e in d["logEvents"]]
        if "ERROR after restart" in messages:
            break
        time.sleep(0.5)
    assert "ERROR after restart" in messages
