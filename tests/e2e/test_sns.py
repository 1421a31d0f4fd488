"""SNS end to end: boto3 and the aws CLI against the real binary. Fan-out
to SQS with filter policies, raw and enveloped delivery, signatures
verified with the certificate Gureum serves, an HTTP subscriber on a local
server through the confirmation flow, FIFO deduplication, AWS's error
messages, captured email/SMS, and state across a restart."""
import base64
import http.server
import json
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request

import botocore.exceptions
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def sns(gureum):
    return gureum.client("sns")


@pytest.fixture(scope="module")
def sqs(gureum):
    return gureum.client("sqs")


def local(gureum, url):
    """A URL SNS wrote (`http://sns.REGION.localhost:PORT/...`) on the
    test's own resolvable address: `*.localhost` may not resolve here."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "sns.us-east-1.localhost", url
    assert parts.port == gureum.port, url
    return gureum.endpoint + parts.path + ("?" + parts.query if parts.query else "")


def queue_for_sns(sqs, name, topic_arn=None, allow=True):
    attributes = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if allow:
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn,
        }
        if topic_arn:
            statement["Condition"] = {"ArnEquals": {"aws:SourceArn": topic_arn}}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def receive(sqs, url, wait=1):
    return sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, MessageAttributeNames=["All"]
    ).get("Messages", [])


def string_to_sign(msg):
    if msg["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{msg[k]}\n" for k in keys if k in msg).encode()


def verify(gureum, msg):
    """Verifies `msg`'s signature as AWS's guide says: fetch the cert from
    SigningCertURL, check the signature over the string to sign."""
    with urllib.request.urlopen(local(gureum, msg["SigningCertURL"])) as r:
        cert = x509.load_pem_x509_certificate(r.read())
    digest = hashes.SHA1() if msg["SignatureVersion"] == "1" else hashes.SHA256()
    cert.public_key().verify(
        base64.b64decode(msg["Signature"]), string_to_sign(msg), padding.PKCS1v15(), digest
    )


def test_topics_create_idempotently_and_list(sns):
    arn = sns.create_topic(Name="e2e-topic", Attributes={"DisplayName": "E2E"})["TopicArn"]
    assert arn == f"arn:aws:sns:us-east-1:{ACCOUNT}:e2e-topic"
    assert sns.create_topic(Name="e2e-topic", Attributes={"DisplayName": "E2E"})["TopicArn"] == arn
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.create_topic(Name="e2e-topic", Attributes={"DisplayName": "other"})
    assert e.value.response["Error"]["Code"] == "InvalidParameter"
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes"
    )
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["Owner"] == ACCOUNT and attrs["DisplayName"] == "E2E"
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}
    arns = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert arn in arns


def test_list_topics_pages(sns):
    for i in range(102):
        sns.create_topic(Name=f"page-{i:03}")
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    paginator = sns.get_paginator("list_topics")
    names = [t["TopicArn"] for page in paginator.paginate() for t in page["Topics"]]
    assert sum(1 for n in names if ":page-" in n) == 102


def test_errors_read_as_aws_writes_them(sns):
    missing = f"arn:aws:sns:us-east-1:{ACCOUNT}:missing"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.get_topic_attributes(TopicArn=missing)
    assert e.value.response["Error"]["Code"] == "NotFound"
    assert e.value.response["Error"]["Message"] == "Topic does not exist"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=missing, Message="m")
    assert e.value.response["Error"]["Message"] == "Topic does not exist"
    arn = sns.create_topic(Name="errors")["TopicArn"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.subscribe(TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon"
    )
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=arn, Message="x" * (262144 + 1))
    assert e.value.response["Error"]["Message"] == "Invalid parameter: Message too long"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=arn, Message='{"sqs": "x"}', MessageStructure="json")
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    )
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(
            TopicArn=arn,
            Message="m",
            MessageAttributes={"n": {"DataType": "Number", "StringValue": "ten"}},
        )
    assert e.value.response["Error"]["Code"] == "ParameterValueInvalid"
    assert e.value.response["Error"]["Message"] == "Could not cast message attribute 'n' value to number."
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.subscribe(
            TopicArn=arn,
            Protocol="sqs",
            Endpoint=f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
            Attributes={"FilterPolicy": json.dumps({k: ["v"] for k in "abcdef"})},
        )
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"
    )


def test_fan_out_with_a_filter_policy(gureum, sns, sqs):
    topic = sns.create_topic(Name="fanout")["TopicArn"]
    big_url, big_arn = queue_for_sns(sqs, "fanout-big", topic)
    small_url, small_arn = queue_for_sns(sqs, "fanout-small", topic)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=big_arn,
        Attributes={"FilterPolicy": json.dumps({"size": ["big"], "price": [{"numeric": [">", 10]}]})},
    )
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=small_arn,
        Attributes={"FilterPolicy": json.dumps({"size": ["small"]})},
    )
    sent = sns.publish(
        TopicArn=topic,
        Message="a big order",
        Subject="order",
        MessageAttributes={
            "size": {"DataType": "String", "StringValue": "big"},
            "price": {"DataType": "Number", "StringValue": "25"},
        },
    )
    got = receive(sqs, big_url)
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert list(body) == [
        "Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp",
        "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes",
    ]
    assert body["MessageId"] == sent["MessageId"]
    assert body["Message"] == "a big order" and body["Subject"] == "order"
    assert body["MessageAttributes"]["price"] == {"Type": "Number", "Value": "25"}
    assert got[0]["Body"].startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')
    verify(gureum, body)
    assert receive(sqs, small_url, wait=0) == []


def test_raw_delivery_and_message_structure(sns, sqs):
    topic = sns.create_topic(Name="raw")["TopicArn"]
    url, arn = queue_for_sns(sqs, "raw-q", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "for everyone", "sqs": "for queues"}),
        MessageAttributes={"colour": {"DataType": "String", "StringValue": "blue"}},
    )
    got = receive(sqs, url)
    assert got[0]["Body"] == "for queues"
    assert got[0]["MessageAttributes"]["colour"] == {"StringValue": "blue", "DataType": "String"}


def test_a_queue_without_a_policy_receives_nothing(gureum, sns, sqs):
    topic = sns.create_topic(Name="no-policy")["TopicArn"]
    url, arn = queue_for_sns(sqs, "no-policy-q", allow=False)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="dropped")
    assert receive(sqs, url, wait=0) == []
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/sns/messages") as r:
        captured = json.load(r)["messages"]
    failed = [m for m in captured if m["endpoint"] == arn]
    assert failed and failed[0]["status"].startswith("failed"), failed


def test_signature_version_2_uses_sha256(gureum, sns, sqs):
    topic = sns.create_topic(Name="sig2", Attributes={"SignatureVersion": "2"})["TopicArn"]
    url, arn = queue_for_sns(sqs, "sig2-q", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="sha256")
    body = json.loads(receive(sqs, url)[0]["Body"])
    assert body["SignatureVersion"] == "2"
    verify(gureum, body)


def test_only_the_certificates_own_name_is_served(gureum):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(gureum.endpoint + "/SimpleNotificationService-0000.pem")
    assert e.value.code != 200


def test_fifo_topic_to_fifo_queue_deduplicates(sns, sqs):
    topic = sns.create_topic(
        Name="orders.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"}
    )["TopicArn"]
    url, arn = queue_for_sns(sqs, "orders.fifo", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    first = sns.publish(TopicArn=topic, Message="one", MessageGroupId="g")
    again = sns.publish(TopicArn=topic, Message="one", MessageGroupId="g")
    sns.publish(TopicArn=topic, Message="two", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    bodies = [m["Body"] for m in receive(sqs, url)]
    assert bodies == ["one", "two"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        sns.publish(TopicArn=topic, Message="m")
    assert e.value.response["Error"]["Message"] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )


def test_publish_batch_partial_failure(sns, sqs):
    topic = sns.create_topic(Name="batch")["TopicArn"]
    url, arn = queue_for_sns(sqs, "batch-q", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    r = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "ok", "Message": "fine"},
            {"Id": "bad", "Message": "x", "Subject": "two\nlines"},
        ],
    )
    assert [s["Id"] for s in r["Successful"]] == ["ok"]
    assert r["Failed"] == [
        {"Id": "bad", "Code": "InvalidParameter", "Message": "Invalid parameter: Subject", "SenderFault": True}
    ]
    assert [m["Body"] for m in receive(sqs, url)] == ["fine"]


class Hook(http.server.BaseHTTPRequestHandler):
    received = queue.Queue()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        Hook.received.put((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_subscription_confirms_and_receives_signed_messages(gureum, sns):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/hook"
        topic = sns.create_topic(Name="web")["TopicArn"]
        assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)["SubscriptionArn"] == (
            "pending confirmation"
        )
        headers, body = Hook.received.get(timeout=10)
        confirmation = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
        assert headers["x-amz-sns-topic-arn"] == topic
        assert confirmation["Type"] == "SubscriptionConfirmation"
        assert confirmation["TopicArn"] == topic
        verify(gureum, confirmation)
        with urllib.request.urlopen(local(gureum, confirmation["SubscribeURL"])) as r:
            xml = r.read().decode()
        assert "<ConfirmSubscriptionResult>" in xml
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert subs[0]["SubscriptionArn"].startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="to the web", Subject="hi")
        headers, body = Hook.received.get(timeout=10)
        note = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "Notification"
        assert headers["x-amz-sns-subscription-arn"] == subs[0]["SubscriptionArn"]
        assert headers["x-amz-sns-message-id"] == note["MessageId"]
        assert note["Message"] == "to the web"
        verify(gureum, note)
        # The UnsubscribeURL works like AWS's link.
        with urllib.request.urlopen(local(gureum, note["UnsubscribeURL"])) as r:
            assert "<UnsubscribeResponse" in r.read().decode()
        assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
        # The endpoint hears of it, and the confirmation's link restores it.
        headers, body = Hook.received.get(timeout=10)
        bye = json.loads(body)
        assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
        assert bye["Type"] == "UnsubscribeConfirmation"
        assert bye["Message"].startswith(f"You have chosen to deactivate subscription {subs[0]['SubscriptionArn']}.")
        verify(gureum, bye)
        with urllib.request.urlopen(local(gureum, bye["SubscribeURL"])) as r:
            assert subs[0]["SubscriptionArn"] in r.read().decode()
        again = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [s["SubscriptionArn"] for s in again] == [subs[0]["SubscriptionArn"]]
    finally:
        server.shutdown()


def test_email_and_sms_are_captured(gureum, sns):
    topic = sns.create_topic(Name="people")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550123")
    pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")
    assert pending["SubscriptionArn"] == "pending confirmation"
    sns.publish(TopicArn=topic, Message="hello people")
    sns.publish(PhoneNumber="+15555550199", Message="direct text")
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/sns/messages") as r:
        captured = json.load(r)["messages"]
    by_endpoint = {(m["endpoint"], m["message"]) for m in captured}
    assert ("+15555550123", "hello people") in by_endpoint
    assert ("+15555550199", "direct text") in by_endpoint
    email = [m for m in captured if m["endpoint"] == "ops@example.com"]
    assert len(email) == 1 and "ConfirmSubscription" in email[0]["message"]


def test_the_cli_publishes(gureum, sqs):
    _, out, _ = gureum.aws("sns", "create-topic", "--name", "cli-topic")
    topic = out["TopicArn"]
    url, arn = queue_for_sns(sqs, "cli-q", topic)
    gureum.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", arn)
    _, out, _ = gureum.aws("sns", "publish", "--topic-arn", topic, "--message", "from the cli")
    assert len(out["MessageId"]) == 36
    assert json.loads(receive(sqs, url)[0]["Body"])["Message"] == "from the cli"
    code, _, err = gureum.aws(
        "sns", "get-topic-attributes", "--topic-arn", f"arn:aws:sns:us-east-1:{ACCOUNT}:nope", check=False
    )
    assert code != 0 and "(NotFound)" in err and "Topic does not exist" in err


def test_another_account_needs_the_topic_policy(gureum, sns):
    topic = sns.create_topic(Name="shared")["TopicArn"]
    other = gureum.client("sns", key="111122223333", secret="anything")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.publish(TopicArn=topic, Message="m")
    assert e.value.response["Error"]["Code"] == "AuthorizationError"
    assert e.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::111122223333:root is not authorized to perform: SNS:Publish "
        f"on resource: {topic} because no resource-based policy allows the SNS:Publish action"
    )
    sns.add_permission(TopicArn=topic, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert other.publish(TopicArn=topic, Message="m")["MessageId"]


def test_state_survives_a_restart(gureum, sns, sqs):
    topic = sns.create_topic(Name="durable", Tags=[{"Key": "team", "Value": "core"}])["TopicArn"]
    url, arn = queue_for_sns(sqs, "durable-q", topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="before")
    cert_before = json.loads(receive(sqs, url)[0]["Body"])["SigningCertURL"]
    gureum.restart(kill=True)
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "team", "Value": "core"}]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["Endpoint"] == arn
    sns.publish(TopicArn=topic, Message="after")
    after = [json.loads(m["Body"]) for m in receive(sqs, url)]
    after = [m for m in after if m["Message"] == "after"]
    assert after and after[0]["SigningCertURL"] == cert_before
    verify(gureum, after[0])
