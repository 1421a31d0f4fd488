"""DynamoDB stream event source mappings: a PutItem reaches the function
as AWS's DynamoDB stream record, from TRIM_HORIZON or LATEST, through
FilterCriteria, and after a restart the mapping resumes where it was."""
import io
import json
import time
import zipfile

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stream-role"

FORWARD = """
import boto3, json, os
def handler(event, context):
    sqs = boto3.client("sqs")
    for r in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(r))
    return {"batchItemFailures": []}
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


@pytest.fixture(scope="module")
def env(gureum):
    iam = gureum.client("iam")
    iam.create_role(RoleName="stream-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="stream-role", PolicyName="sqs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    # What AWS's managed AWSLambdaDynamoDBExecutionRole grants.
    iam.put_role_policy(RoleName="stream-role", PolicyName="streams", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"]}]}))
    iam.create_role(RoleName="blind-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    ddb, sqs, lam = gureum.client("dynamodb"), gureum.client("sqs"), gureum.client("lambda")
    stream = ddb.create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    queues = {}
    for name in ("all", "filtered"):
        queues[name] = sqs.create_queue(QueueName=f"seen-{name}")["QueueUrl"]
        lam.create_function(FunctionName=f"fwd-{name}", Runtime="python3.12", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": zipped(FORWARD)}, Timeout=30,
                            Environment={"Variables": {"QUEUE": queues[name]}})
        lam.get_waiter("function_active_v2").wait(FunctionName=f"fwd-{name}")
    return {"stream": stream, "queues": queues, "lam": lam, "ddb": ddb}


def received(gureum, url, count, timeout=20):
    sqs = gureum.client("sqs")
    out, deadline = [], time.time() + timeout
    while len(out) < count and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def refused(lam, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam.create_event_source_mapping(**kw)
    return e.value.response["Error"]


def test_a_mapping_needs_an_existing_stream_and_a_starting_position(env):
    lam, stream = env["lam"], env["stream"]
    missing = stream.replace("orders", "nope")
    err = refused(lam, FunctionName="fwd-all", EventSourceArn=missing, StartingPosition="LATEST")
    assert (err["Code"], err["Message"]) == ("InvalidParameterValueException", f"Stream not found: {missing}")
    err = refused(lam, FunctionName="fwd-all", EventSourceArn=stream)
    assert err["Code"] == "InvalidParameterValueException" and "startingPosition" in err["Message"]
    err = refused(lam, FunctionName="fwd-all", EventSourceArn=stream, StartingPosition="LATEST",
                  FilterCriteria={"Filters": [{"Pattern": '{"eventName": "INSERT"}'}]})
    assert err["Message"] == "Invalid filter pattern definition."


def test_a_role_that_cannot_read_the_stream_is_refused(env):
    lam, stream = env["lam"], env["stream"]
    lam.create_function(FunctionName="blind", Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/blind-role",
                        Handler="app.handler", Code={"ZipFile": zipped(FORWARD)})
    err = refused(lam, FunctionName="blind", EventSourceArn=stream, StartingPosition="LATEST")
    assert (err["Code"], err["Message"]) == ("InvalidParameterValueException", (
        f"Cannot access stream {stream}. Please ensure the role can perform the GetRecords, "
        "GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."))


def test_a_put_item_reaches_the_function_as_awss_stream_record(gureum, env):
    ddb, lam, stream = env["ddb"], env["lam"], env["stream"]
    ddb.put_item(TableName="orders", Item={"id": {"S": "o-1"}, "amount": {"N": "10"}})
    made = lam.create_event_source_mapping(
        FunctionName="fwd-all", EventSourceArn=stream, StartingPosition="TRIM_HORIZON", BatchSize=10,
        MaximumRetryAttempts=2, BisectBatchOnFunctionError=True,
        FunctionResponseTypes=["ReportBatchItemFailures"])
    assert made["StartingPosition"] == "TRIM_HORIZON" and made["BatchSize"] == 10
    assert made["MaximumRetryAttempts"] == 2 and made["BisectBatchOnFunctionError"] is True
    ddb.update_item(TableName="orders", Key={"id": {"S": "o-1"}}, UpdateExpression="SET amount = :t",
                    ExpressionAttributeValues={":t": {"N": "12"}})
    insert, modify = received(gureum, env["queues"]["all"], 2)
    assert insert["eventName"] == "INSERT" and insert["eventSource"] == "aws:dynamodb"
    assert insert["eventSourceARN"] == stream and insert["awsRegion"] == "us-east-1"
    d = insert["dynamodb"]
    assert d["Keys"] == {"id": {"S": "o-1"}}
    assert d["NewImage"] == {"id": {"S": "o-1"}, "amount": {"N": "10"}}
    assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES" and d["SizeBytes"] > 0
    assert modify["eventName"] == "MODIFY"
    assert modify["dynamodb"]["OldImage"]["amount"] == {"N": "10"}
    assert modify["dynamodb"]["NewImage"]["amount"] == {"N": "12"}
    assert int(modify["dynamodb"]["SequenceNumber"]) > int(d["SequenceNumber"])
    got = lam.get_event_source_mapping(UUID=made["UUID"])
    assert got["State"] == "Enabled" and got["LastProcessingResult"] == "OK"


def test_filter_criteria_drop_records_no_pattern_matches_and_latest_skips_the_past(gureum, env):
    ddb, lam = env["ddb"], env["lam"]
    lam.create_event_source_mapping(
        FunctionName="fwd-filtered", EventSourceArn=env["stream"], StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"dynamodb": {"NewImage": {"kind": {"S": ["keep"]}}}})}]})
    ddb.put_item(TableName="orders", Item={"id": {"S": "o-2"}, "kind": {"S": "skip"}})
    ddb.put_item(TableName="orders", Item={"id": {"S": "o-3"}, "kind": {"S": "keep"}})
    got = received(gureum, env["queues"]["filtered"], 1)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in got] == ["o-3"]
    assert received(gureum, env["queues"]["filtered"], 1, timeout=3) == []


PICKY = """
import boto3, json, os
def handler(event, context):
    sqs = boto3.client("sqs")
    seen = os.path.join(os.environ["TMPDIR"], "seen")
    for r in event["Records"]:
        key = r["dynamodb"]["Keys"]["id"]["S"]
        sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody=key)
        if key == "again" and not os.path.exists(seen):
            open(seen, "w").close()
            return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]}]}
    return {}
"""


def test_a_reported_item_failure_is_retried_from_that_record_on(gureum, env):
    ddb, lam, sqs = env["ddb"], env["lam"], gureum.client("sqs")
    ddb.create_table(TableName="picky", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    stream = ddb.describe_table(TableName="picky")["Table"]["LatestStreamArn"]
    url = sqs.create_queue(QueueName="picky-seen")["QueueUrl"]
    lam.create_function(FunctionName="picky", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zipped(PICKY)}, Timeout=30, Environment={"Variables": {"QUEUE": url}})
    lam.get_waiter("function_active_v2").wait(FunctionName="picky")
    for key in ("first", "again", "last"):
        ddb.put_item(TableName="picky", Item={"id": {"S": key}})
    lam.create_event_source_mapping(FunctionName="picky", EventSourceArn=stream, StartingPosition="TRIM_HORIZON",
                                    BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    got = [m["body"] for m in received_raw(gureum, url, 4)]
    # The first batch stops at "again"; the retry starts at it, not before.
    assert got == ["first", "again", "again", "last"]
    assert received_raw(gureum, url, 1, timeout=3) == []


POISON = """
import boto3, os
def handler(event, context):
    keys = [r["dynamodb"]["Keys"]["id"]["S"] for r in event["Records"]]
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=",".join(keys))
    if "poison" in keys:
        raise ValueError("poison")
"""


def test_a_failing_batch_is_bisected_then_skipped_after_its_retries(gureum, env):
    ddb, lam, sqs = env["ddb"], env["lam"], gureum.client("sqs")
    ddb.create_table(TableName="bisect", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    stream = ddb.describe_table(TableName="bisect")["Table"]["LatestStreamArn"]
    url = sqs.create_queue(QueueName="bisect-seen")["QueueUrl"]
    lam.create_function(FunctionName="poisoned", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zipped(POISON)}, Timeout=30, Environment={"Variables": {"QUEUE": url}})
    lam.get_waiter("function_active_v2").wait(FunctionName="poisoned")
    for key in ("a", "b", "poison", "c"):
        ddb.put_item(TableName="bisect", Item={"id": {"S": key}})
    lam.create_event_source_mapping(FunctionName="poisoned", EventSourceArn=stream, StartingPosition="TRIM_HORIZON",
                                    BatchSize=4, BisectBatchOnFunctionError=True, MaximumRetryAttempts=2)
    batches = [m["body"] for m in received_raw(gureum, url, 6, timeout=30)]
    # The batch fails and is halved; the good half passes; the poison is
    # tried once and retried twice (halved again), then skipped, and the
    # mapping moves on to what follows it.
    assert batches == ["a,b,poison,c", "a,b", "poison,c", "poison", "poison", "c"]


def received_raw(gureum, url, count, timeout=20):
    sqs = gureum.client("sqs")
    out, deadline = [], time.time() + timeout
    while len(out) < count and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            out.append({"body": m["Body"]})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def test_mappings_resume_after_a_restart(gureum, env):
    received(gureum, env["queues"]["all"], 10, timeout=3)
    gureum.restart(kill=True)
    gureum.client("dynamodb").delete_item(TableName="orders", Key={"id": {"S": "o-1"}})
    got = received(gureum, env["queues"]["all"], 1)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in got] == [("REMOVE", "o-1")]
    assert got[0]["dynamodb"]["OldImage"]["amount"] == {"N": "12"}
