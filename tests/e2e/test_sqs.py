"""SQS end to end: boto3 (json 1.0), the aws CLI and a raw query request
against the real binary."""
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest

from helpers import advance, error_code

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def sqs(gureum):
    return gureum.client("sqs")


def test_queue_urls_are_aws_form_on_the_request_port(gureum, sqs):
    url = sqs.create_queue(QueueName="shapes")["QueueUrl"]
    assert url == f"http://sqs.us-east-1.localhost:{gureum.port}/{ACCOUNT}/shapes"
    assert sqs.get_queue_url(QueueName="shapes")["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix="sha")["QueueUrls"]


def test_create_send_receive_delete(sqs):
    url = sqs.create_queue(QueueName="basic")["QueueUrl"]
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "blue"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    # botocore checks both MD5s itself; a wrong one raises.
    assert sent["MD5OfMessageBody"] == "5d41402abc4b2a76b9719d911017c592"
    got = sqs.receive_message(
        QueueUrl=url,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )["Messages"]
    assert got[0]["Body"] == "hello"
    assert got[0]["MessageAttributes"]["colour"]["StringValue"] == "blue"
    assert got[0]["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"], VisibilityTimeout=0)
    # The deprecated AttributeNames takes message attribute names too.
    again = sqs.receive_message(QueueUrl=url, AttributeNames=["SenderId"])["Messages"]
    assert again[0]["Attributes"] == {"SenderId": ACCOUNT}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:basic"


def test_missing_queue_answers_the_legacy_code_and_the_modelled_exception(sqs):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as e:
        sqs.get_queue_url(QueueName="nope")
    err = e.value.response["Error"]
    assert err["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err["Message"] == "The specified queue does not exist."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_attributes_out_of_range_are_refused(sqs):
    code = error_code(
        sqs.create_queue, QueueName="bad", Attributes={"VisibilityTimeout": "43201"}
    )
    assert code == "InvalidAttributeValue"
    sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "5"})
    sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "5"})
    assert (
        error_code(sqs.create_queue, QueueName="same", Attributes={"DelaySeconds": "6"})
        == "QueueAlreadyExists"
    )


def test_long_poll_returns_a_message_sent_two_seconds_later(sqs):
    url = sqs.create_queue(QueueName="poll")["QueueUrl"]
    timer = threading.Timer(2.0, lambda: sqs.send_message(QueueUrl=url, MessageBody="late"))
    timer.start()
    started = time.monotonic()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    elapsed = time.monotonic() - started
    timer.join()
    assert got["Messages"][0]["Body"] == "late"
    assert 1.5 < elapsed < 5, elapsed


def test_fifo_drops_a_duplicate(sqs):
    url = sqs.create_queue(
        QueueName="jobs.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    a = sqs.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    assert a["SequenceNumber"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["once"]
    assert error_code(sqs.send_message, QueueUrl=url, MessageBody="x") == "MissingParameter"


def test_visibility_timeout_runs_on_gureums_clock(gureum, sqs):
    url = sqs.create_queue(QueueName="vis", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    advance(gureum, 60)
    again = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_a_message_received_three_times_lands_in_the_dlq_and_moves_back(gureum, sqs):
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "5",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}),
        },
    )["QueueUrl"]
    sqs.send_message(QueueUrl=src, MessageBody="poison")
    for _ in range(3):
        assert len(sqs.receive_message(QueueUrl=src)["Messages"]) == 1
        advance(gureum, 5)
    assert "Messages" not in sqs.receive_message(QueueUrl=src)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [src]
    dead = sqs.receive_message(QueueUrl=dlq, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])
    assert dead["Messages"][0]["Body"] == "poison"
    assert dead["Messages"][0]["Attributes"]["DeadLetterQueueSourceArn"].endswith(":work")
    sqs.start_message_move_task(SourceArn=dlq_arn)
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert tasks[0]["Status"] == "COMPLETED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 1
    assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"


def test_batches_report_partial_failures(sqs):
    url = sqs.create_queue(QueueName="batch")["QueueUrl"]
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "a"},
            {"Id": "late", "MessageBody": "b", "DelaySeconds": 901},
        ],
    )
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert out["Failed"][0]["Id"] == "late"
    assert out["Failed"][0]["Code"] == "InvalidParameterValue"
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "x", "ReceiptHandle": got[0]["ReceiptHandle"]}, {"Id": "y", "ReceiptHandle": "junk"}],
    )
    assert [s["Id"] for s in deleted["Successful"]] == ["x"]
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_purge_twice_within_a_minute_is_refused(sqs):
    url = sqs.create_queue(QueueName="purge")["QueueUrl"]
    sqs.purge_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress):
        sqs.purge_queue(QueueUrl=url)


def test_tags(sqs):
    url = sqs.create_queue(QueueName="tagged", tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}


def test_the_cli_round_trip(gureum):
    # CLI v1 replaces SQS's endpoint with `queue.amazonaws.com` unless
    # `--endpoint-url` is on the command line (AWS_ENDPOINT_URL is not enough).
    def cli(*args, **kw):
        return gureum.aws("--endpoint-url", gureum.endpoint, "sqs", *args, **kw)

    _, created, _ = cli("create-queue", "--queue-name", "cli")
    url = created["QueueUrl"]
    cli("send-message", "--queue-url", url, "--message-body", "from the cli")
    _, got, _ = cli("receive-message", "--queue-url", url)
    assert got["Messages"][0]["Body"] == "from the cli"
    cli("delete-message", "--queue-url", url, "--receipt-handle", got["Messages"][0]["ReceiptHandle"])
    rc, _, err = cli("get-queue-url", "--queue-name", "absent", check=False)
    assert rc != 0 and "NonExistentQueue" in err


def query(gureum, path, params):
    """A signed query-protocol POST, as older SDKs send it."""
    body = urllib.parse.urlencode(params)
    req = botocore.awsrequest.AWSRequest(
        method="POST",
        url=gureum.endpoint + path,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    creds = botocore.credentials.Credentials("test", "test")
    botocore.auth.SigV4Auth(creds, "sqs", "us-east-1").add_auth(req)
    prepared = urllib.request.Request(
        req.url, data=body.encode(), method="POST", headers=dict(req.headers)
    )
    try:
        with urllib.request.urlopen(prepared) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_a_query_request_posted_to_the_queue_url_reaches_the_queue(gureum, sqs):
    url = sqs.create_queue(QueueName="legacy")["QueueUrl"]
    status, body = query(
        gureum,
        f"/{ACCOUNT}/legacy",
        {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "old school"},
    )
    assert status == 200, body
    assert "<SendMessageResponse" in body and "<SendMessageResult>" in body
    assert "<MD5OfMessageBody>" in body
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "old school"
    status, body = query(
        gureum,
        f"/{ACCOUNT}/missing",
        {"Action": "GetQueueAttributes", "Version": "2012-11-05"},
    )
    assert status == 400
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in body


def test_an_unacknowledged_message_reappears_after_a_restart(gureum, sqs):
    url = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="keep me")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    gureum.restart(kill=True)
    sqs = gureum.client("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    advance(gureum, 30)
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    assert got[0]["Body"] == "keep me"
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags") is None


def test_query_requests_use_the_query_names_of_lists_and_maps(gureum, sqs):
    status, body = query(
        gureum,
        "/",
        {
            "Action": "CreateQueue",
            "Version": "2012-11-05",
            "QueueName": "legacy-maps",
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "45",
            "Tag.1.Key": "team",
            "Tag.1.Value": "blue",
        },
    )
    assert status == 200, body
    assert "<QueueUrl>" in body and 'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"' in body
    url = sqs.get_queue_url(QueueName="legacy-maps")["QueueUrl"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"] == {
        "VisibilityTimeout": "45"
    }
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "blue"}
    status, body = query(
        gureum,
        f"/{ACCOUNT}/legacy-maps",
        {
            "Action": "SendMessage",
            "Version": "2012-11-05",
            "MessageBody": "with attributes",
            "MessageAttribute.1.Name": "colour",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "red",
        },
    )
    assert status == 200, body
    assert "<MD5OfMessageAttributes>" in body
    status, body = query(
        gureum,
        f"/{ACCOUNT}/legacy-maps",
        {
            "Action": "ReceiveMessage",
            "Version": "2012-11-05",
            "AttributeName.1": "SenderId",
            "MessageAttributeName.1": "All",
        },
    )
    assert status == 200, body
    assert "<ReceiveMessageResult><Message>" in body, body
    assert "<Attribute><Name>SenderId</Name><Value>" in body, body
    assert "<MessageAttribute><Name>colour</Name><Value>" in body, body
    assert "<StringValue>red</StringValue>" in body


def test_a_deleted_queue_is_gone_and_its_name_waits_a_minute(gureum, sqs):
    url = sqs.create_queue(QueueName="short-lived")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url, MessageBody="y")
    with pytest.raises(sqs.exceptions.QueueDeletedRecently):
        sqs.create_queue(QueueName="short-lived")
    advance(gureum, 60)
    url = sqs.create_queue(QueueName="short-lived")["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
