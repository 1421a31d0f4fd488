"""EventBridge rules delivering to real SQS queues (the queue policy must let
events.amazonaws.com send, as on AWS), schedules on Gureum's clock, FIFO
targets, and EC2's instance state changes reaching a rule through the
default bus."""
import json
import time
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance

ACCOUNT = "000000000000"


def deliveries(gureum, rule_arn):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/events/deliveries") as r:
        return [d for d in json.load(r)["deliveries"] if d["rule_arn"] == rule_arn]


@pytest.fixture(scope="module")
def events(gureum):
    return gureum.client("events")


@pytest.fixture(scope="module")
def sqs(gureum):
    return gureum.client("sqs")


def queue(sqs, name, rule_arn=None, fifo=False):
    """A queue (URL, ARN); with `rule_arn`, its policy lets that rule send."""
    attributes = {}
    if fifo:
        attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    if rule_arn:
        policy = {"Version": "2012-10-17", "Statement": [{
            "Sid": "events", "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def receive(sqs, url, wait=0, count=10):
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, WaitTimeSeconds=wait)
    return out.get("Messages", [])


def test_a_pattern_rule_delivers_the_event_envelope_to_the_queue(events, sqs, gureum):
    arn = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop.orders"]}))["RuleArn"]
    url, qarn = queue(sqs, "orders", arn)
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": qarn}])
    put = events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed",
                                      "Detail": json.dumps({"id": "o-1"}), "Resources": ["arn:x"]}])
    assert put["FailedEntryCount"] == 0
    got = receive(sqs, url, wait=2)
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert sorted(body) == ["account", "detail", "detail-type", "id", "region", "resources",
                            "source", "time", "version"]
    assert body["id"] == put["Entries"][0]["EventId"]
    assert (body["version"], body["source"], body["detail-type"]) == ("0", "shop.orders", "Order Placed")
    assert (body["account"], body["region"]) == (ACCOUNT, "us-east-1")
    assert body["resources"] == ["arn:x"]
    assert body["detail"] == {"id": "o-1"}
    assert [d["status"] for d in deliveries(gureum, arn)] == ["delivered"]


def test_a_queue_without_the_policy_gets_nothing_and_the_failure_is_recorded(events, sqs, gureum):
    arn = events.put_rule(Name="no-policy", EventPattern=json.dumps({"source": ["shop.refunds"]}))["RuleArn"]
    url, qarn = queue(sqs, "no-policy")
    events.put_targets(Rule="no-policy", Targets=[{"Id": "q", "Arn": qarn}])
    put = events.put_events(Entries=[{"Source": "shop.refunds", "DetailType": "Refund",
                                      "Detail": "{}"}])
    # The event was accepted: a failed invocation does not fail PutEvents.
    assert put["FailedEntryCount"] == 0
    assert receive(sqs, url, wait=1) == []
    (d,) = deliveries(gureum, arn)
    assert d["status"] == "failed"
    assert d["error"] == (f"AccessDeniedException: events.amazonaws.com is not authorized to "
                          f"perform sqs:SendMessage on {qarn}")


def test_a_refused_event_goes_to_the_targets_dead_letter_queue(events, sqs, gureum):
    arn = events.put_rule(Name="with-dlq", EventPattern=json.dumps({"source": ["shop.dlq"]}))["RuleArn"]
    closed_url, closed = queue(sqs, "dlq-closed")
    dlq_url, dlq = queue(sqs, "dlq", arn)
    events.put_targets(Rule="with-dlq", Targets=[{"Id": "q", "Arn": closed, "DeadLetterConfig": {"Arn": dlq}}])
    put = events.put_events(Entries=[{"Source": "shop.dlq", "DetailType": "x", "Detail": "{}"}])
    assert receive(sqs, closed_url) == []
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1, MessageAttributeNames=["All"])["Messages"]
    (m,) = got
    assert json.loads(m["Body"])["id"] == put["Entries"][0]["EventId"]
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == arn and attrs["TARGET_ARN"] == closed
    assert attrs["ERROR_CODE"] == "NO_PERMISSIONS"
    assert "is not authorized to perform sqs:SendMessage" in attrs["ERROR_MESSAGE"]
    (d,) = deliveries(gureum, arn)
    assert d["status"] == "failed" and d["error"].endswith(f"(sent to the dead-letter queue {dlq})")


def test_a_policy_for_another_rule_does_not_let_this_one_send(events, sqs, gureum):
    arn = events.put_rule(Name="other-rule", EventPattern=json.dumps({"source": ["shop.other"]}))["RuleArn"]
    url, qarn = queue(sqs, "for-someone-else",
                      f"arn:aws:events:us-east-1:{ACCOUNT}:rule/someone-else")
    events.put_targets(Rule="other-rule", Targets=[{"Id": "q", "Arn": qarn}])
    events.put_events(Entries=[{"Source": "shop.other", "DetailType": "x", "Detail": "{}"}])
    assert receive(sqs, url, wait=1) == []
    assert [d["status"] for d in deliveries(gureum, arn)] == ["failed"]


def test_a_schedule_delivers_to_the_queue_as_the_clock_passes(events, sqs, gureum):
    arn = events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
    url, qarn = queue(sqs, "ticks", arn)
    events.put_targets(Rule="every-minute", Targets=[{"Id": "q", "Arn": qarn}])
    assert receive(sqs, url) == []
    advance(gureum, 61)
    # The server's ticker fires the rule within a second; the long poll
    # returns as soon as the message lands.
    got = receive(sqs, url, wait=5)
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert (body["source"], body["detail-type"]) == ("aws.events", "Scheduled Event")
    assert body["resources"] == [arn]
    assert body["detail"] == {}


def test_a_fifo_queue_gets_the_targets_message_group(events, sqs, gureum):
    arn = events.put_rule(Name="fifo", EventPattern=json.dumps({"source": ["shop.fifo"]}))["RuleArn"]
    url, qarn = queue(sqs, "events.fifo", arn, fifo=True)
    events.put_targets(Rule="fifo", Targets=[{"Id": "q", "Arn": qarn, "InputPath": "$.detail",
                                              "SqsParameters": {"MessageGroupId": "orders"}}])
    for n in (1, 2):
        events.put_events(Entries=[{"Source": "shop.fifo", "DetailType": "x",
                                    "Detail": json.dumps({"n": n})}])
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                              AttributeNames=["MessageGroupId"])
    got = out["Messages"]
    assert [json.loads(m["Body"]) for m in got] == [{"n": 1}, {"n": 2}]
    assert {m["Attributes"]["MessageGroupId"] for m in got} == {"orders"}


def test_a_fifo_queue_target_without_a_message_group_is_refused(events):
    events.put_rule(Name="fifo-no-group", EventPattern=json.dumps({"source": ["x"]}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_targets(Rule="fifo-no-group", Targets=[
            {"Id": "q", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:any.fifo"}])
    err = e.value.response["Error"]
    assert (err["Code"], err["Message"]) == (
        "ValidationException", "Parameter(s) SqsParameters must be specified for target: q.")


def test_instance_state_changes_reach_a_rule_on_the_default_bus(events, sqs, gureum, ec2, ami):
    arn = events.put_rule(Name="ec2-states", EventPattern=json.dumps({
        "source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}))["RuleArn"]
    url, qarn = queue(sqs, "instance-states", arn)
    events.put_targets(Rule="ec2-states", Targets=[{"Id": "q", "Arn": qarn}])
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1,
                            MaxCount=1)["Instances"][0]["InstanceId"]
    advance(gureum, 2)
    ec2.stop_instances(InstanceIds=[iid])
    advance(gureum, 2)
    ec2.start_instances(InstanceIds=[iid])
    advance(gureum, 2)
    ec2.terminate_instances(InstanceIds=[iid])
    bodies = []
    deadline = time.time() + 5
    while len(bodies) < 8 and time.time() < deadline:
        for m in receive(sqs, url, wait=1):
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    bodies.sort(key=lambda b: (b["time"], ["pending", "running", "stopping", "stopped",
                                           "shutting-down", "terminated"].index(b["detail"]["state"])))
    assert [b["detail"]["state"] for b in bodies] == [
        "pending", "running", "stopping", "stopped", "pending", "running",
        "shutting-down", "terminated"]
    first = bodies[0]
    assert (first["source"], first["detail-type"]) == ("aws.ec2", "EC2 Instance State-change Notification")
    assert first["detail"] == {"instance-id": iid, "state": "pending"}
    assert first["resources"] == [f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{iid}"]
    assert (first["account"], first["region"]) == (ACCOUNT, "us-east-1")


def test_a_rule_on_one_state_gets_only_that_state(events, sqs, gureum, ec2, ami):
    arn = events.put_rule(Name="ec2-stopped", EventPattern=json.dumps({
        "source": ["aws.ec2"], "detail": {"state": ["stopped"]}}))["RuleArn"]
    url, qarn = queue(sqs, "stopped-only", arn)
    events.put_targets(Rule="ec2-stopped", Targets=[{"Id": "q", "Arn": qarn, "InputPath": "$.detail"}])
    iid = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1,
                            MaxCount=1)["Instances"][0]["InstanceId"]
    advance(gureum, 2)
    ec2.stop_instances(InstanceIds=[iid])
    got = receive(sqs, url, wait=1)
    assert [json.loads(m["Body"]) for m in got] == [{"instance-id": iid, "state": "stopped"}]


def test_a_topic_whose_policy_allows_the_rule_fans_the_event_out_to_its_queue(events, sqs, gureum):
    sns = gureum.client("sns")
    arn = events.put_rule(Name="to-topic", EventPattern=json.dumps({"source": ["shop.topic"]}))["RuleArn"]
    topic = sns.create_topic(Name="events-topic")["TopicArn"]
    url, qarn = queue(sqs, "from-topic")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": qarn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    events.put_targets(Rule="to-topic", Targets=[{"Id": "t", "Arn": topic}])
    # The default topic policy lets only the owner publish: EventBridge is refused.
    events.put_events(Entries=[{"Source": "shop.topic", "DetailType": "A", "Detail": "{}"}])
    [refused] = deliveries(gureum, arn)
    assert refused["status"] == "failed"
    assert "events.amazonaws.com is not authorized to perform: SNS:Publish" in refused["error"]
    assert receive(sqs, url) == []
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish", "Resource": topic}]}))
    put = events.put_events(Entries=[{"Source": "shop.topic", "DetailType": "B",
                                      "Detail": json.dumps({"n": 2})}])
    got = receive(sqs, url, wait=2)
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert (body["id"], body["detail-type"], body["detail"]) == (put["Entries"][0]["EventId"], "B", {"n": 2})


def test_a_log_group_with_a_resource_policy_gets_one_stream_per_event(events, gureum):
    logs = gureum.client("logs")
    group = "/aws/events/orders"
    arn = events.put_rule(Name="to-logs", EventPattern=json.dumps({"source": ["shop.logs"]}))["RuleArn"]
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group}:*"
    events.put_targets(Rule="to-logs", Targets=[{"Id": "l", "Arn": group_arn}])
    events.put_events(Entries=[{"Source": "shop.logs", "DetailType": "A", "Detail": "{}"}])
    [refused] = deliveries(gureum, arn)
    assert refused["status"] == "failed"
    assert "events.amazonaws.com is not authorized to perform logs:PutLogEvents" in refused["error"]
    logs.put_resource_policy(policyName="events", policyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/events/*:*"}]}))
    put = events.put_events(Entries=[{"Source": "shop.logs", "DetailType": "B",
                                      "Detail": json.dumps({"n": 3})}])
    event_id = put["Entries"][0]["EventId"]
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert streams == [event_id]
    [line] = logs.get_log_events(logGroupName=group, logStreamName=event_id)["events"]
    assert json.loads(line["message"])["detail"] == {"n": 3}
