"""S3 event notifications to Lambda functions and SNS topics (issue 15):
a function's policy must allow s3.amazonaws.com, a topic gets an
s3:TestEvent, and an object PUT really runs a function (which writes to
DynamoDB as its execution role) or reaches an SQS queue through SNS."""
import io
import json
import time
import zipfile

import botocore.exceptions
import pytest

ACCOUNT = "000000000000"
BUCKET = "uploads"
TABLE = "uploads-seen"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/s3-events-role"

RECORDER = """
import boto3, json
def handler(event, context):
    table = boto3.resource("dynamodb").Table("uploads-seen")
    for r in event["Records"]:
        table.put_item(Item={"key": r["s3"]["object"]["key"], "record": json.dumps(r)})
    return len(event["Records"])
"""


def zipped(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


def invalid_argument(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]


@pytest.fixture(scope="module")
def setup(gureum):
    iam = gureum.client("iam")
    iam.create_role(RoleName="s3-events-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    # `*`: Gureum's DynamoDB does not yet name the table ARN to IAM.
    iam.put_role_policy(RoleName="s3-events-role", PolicyName="ddb", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem",
                                                 "Resource": "*"}]}))
    gureum.client("dynamodb").create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}])
    gureum.client("s3").create_bucket(Bucket=BUCKET)
    lam = gureum.client("lambda")
    arn = lam.create_function(FunctionName="recorder", Runtime="python3.12", Role=ROLE,
                              Handler="app.handler", Code={"ZipFile": zipped(RECORDER)},
                              Timeout=30)["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName="recorder")
    return arn


def function_config(arn, prefix="in/", rule="prefix"):
    return {"LambdaFunctionConfigurations": [{
        "Id": "to-recorder", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": rule, "Value": prefix}]}}}]}


def seen(gureum, key, timeout=30):
    ddb = gureum.client("dynamodb")
    deadline = time.time() + timeout
    while time.time() < deadline:
        item = ddb.get_item(TableName=TABLE, Key={"key": {"S": key}}).get("Item")
        if item:
            return json.loads(item["record"]["S"])
        time.sleep(0.3)
    return None


def test_a_function_whose_policy_does_not_allow_s3_is_refused(gureum, setup):
    err = invalid_argument(gureum.client("s3").put_bucket_notification_configuration,
                           Bucket=BUCKET, NotificationConfiguration=function_config(setup))
    assert err["Code"] == "InvalidArgument"
    assert err["Message"] == "Unable to validate the following destination configurations"
    assert err["ArgumentValue"] == f"Not authorized to invoke function [{setup}]"
    missing = setup.replace("recorder", "nope")
    err = invalid_argument(gureum.client("s3").put_bucket_notification_configuration,
                           Bucket=BUCKET, NotificationConfiguration=function_config(missing))
    assert err["Message"] == "Unable to validate the following destination configurations"


def test_an_object_put_runs_the_function_with_s3s_event_record(gureum, setup):
    gureum.client("lambda").add_permission(
        FunctionName="recorder", StatementId="s3", Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{BUCKET}", SourceAccount=ACCOUNT)
    s3 = gureum.client("s3")
    s3.put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration=function_config(setup))
    got = s3.get_bucket_notification_configuration(Bucket=BUCKET)
    # S3 answers the filter rule's name capitalised.
    assert got["LambdaFunctionConfigurations"] == function_config(setup, rule="Prefix")["LambdaFunctionConfigurations"]
    etag = s3.put_object(Bucket=BUCKET, Key="in/photo 1.jpg", Body=b"12345")["ETag"].strip('"')
    s3.put_object(Bucket=BUCKET, Key="out/ignored.jpg", Body=b"x")
    record = seen(gureum, "in/photo+1.jpg")
    assert record is not None, "the function never wrote the upload"
    assert record["eventSource"] == "aws:s3" and record["eventVersion"] == "2.1"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1"
    assert record["s3"]["configurationId"] == "to-recorder"
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{BUCKET}"
    assert record["s3"]["object"]["size"] == 5 and record["s3"]["object"]["eTag"] == etag
    assert seen(gureum, "out/ignored.jpg", timeout=2) is None


def test_function_notifications_survive_a_restart(gureum, setup):
    gureum.restart(kill=True)
    s3 = gureum.client("s3")
    assert s3.get_bucket_notification_configuration(Bucket=BUCKET)["LambdaFunctionConfigurations"]
    s3.put_object(Bucket=BUCKET, Key="in/after-restart", Body=b"x")
    assert seen(gureum, "in/after-restart") is not None


def topic_with_queue(gureum, name, allow_s3=True):
    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    if allow_s3:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "SNS:Publish", "Resource": topic,
                "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}}]}))
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": queue}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    return topic, url


def received(gureum, url, count, timeout=10):
    sqs = gureum.client("sqs")
    out, deadline = [], time.time() + timeout
    while len(out) < count and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            out.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def test_a_topic_whose_policy_does_not_allow_s3_is_refused(gureum):
    topic, _ = topic_with_queue(gureum, "closed-topic", allow_s3=False)
    err = invalid_argument(gureum.client("s3").put_bucket_notification_configuration, Bucket=BUCKET,
                           NotificationConfiguration={"TopicConfigurations": [
                               {"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}]})
    assert err["Message"] == "Unable to validate the following destination configurations"
    assert err["ArgumentValue"] == (
        "Permissions on the destination topic do not allow S3 to publish notifications from this bucket")


def test_s3_to_sns_to_sqs_delivers_the_test_event_then_the_records(gureum):
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket="fanout")
    topic, url = topic_with_queue(gureum, "s3-topic")
    s3.put_bucket_notification_configuration(Bucket="fanout", NotificationConfiguration={
        "TopicConfigurations": [{"Id": "to-topic", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]})
    got = s3.get_bucket_notification_configuration(Bucket="fanout")["TopicConfigurations"]
    assert got == [{"Id": "to-topic", "TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
    test = received(gureum, url, 1)
    assert len(test) == 1 and test[0]["Subject"] == "Amazon S3 Notification"
    assert json.loads(test[0]["Message"])["Event"] == "s3:TestEvent"
    s3.put_object(Bucket="fanout", Key="doc.txt", Body=b"abc")
    [envelope] = received(gureum, url, 1)
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert envelope["Subject"] == "Amazon S3 Notification"
    [record] = json.loads(envelope["Message"])["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["configurationId"] == "to-topic"
    assert record["s3"]["object"]["key"] == "doc.txt" and record["s3"]["object"]["size"] == 3
