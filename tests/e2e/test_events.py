"""EventBridge through boto3 and the aws CLI: patterns tested, events
matched and delivered (through the recording sink) with transformed input,
schedules firing on Gureum's clock, and state across a crash."""
import json
import time
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance

QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders"
EVENT = json.dumps({
    "id": "1", "account": "000000000000", "source": "shop.orders", "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1", "detail-type": "Order Placed", "resources": [],
    "detail": {"total": 120, "ip": "10.0.0.7", "customer": {"tier": "Gold"}},
})


def deliveries(gureum, rule_arn):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/events/deliveries") as r:
        return [d for d in json.load(r)["deliveries"] if d["rule_arn"] == rule_arn]


@pytest.fixture(scope="module")
def events(gureum):
    return gureum.client("events")


@pytest.mark.parametrize("pattern", [
    {"source": ["shop.orders"]},
    {"detail": {"total": [{"numeric": [">", 100, "<=", 120]}]}},
    {"detail": {"ip": [{"cidr": "10.0.0.0/24"}], "customer": {"tier": [{"equals-ignore-case": "gold"}]}}},
    {"detail-type": [{"prefix": "Order"}], "source": [{"anything-but": {"suffix": ".test"}}]},
    {"$or": [{"source": ["nope"]}, {"detail": {"missing": [{"exists": False}]}}]},
    {"source": [{"wildcard": "shop.*"}]},
])
def test_test_event_pattern_is_true_when_the_event_matches(events, pattern):
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=EVENT)["Result"] is True


@pytest.mark.parametrize("pattern", [
    {"source": ["shop.other"]},
    {"detail": {"total": [{"numeric": ["<", 100]}]}},
    {"detail": {"ip": [{"cidr": "10.0.1.0/24"}]}},
    {"source": [{"anything-but": ["shop.orders"]}]},
    {"detail": {"total": [{"exists": False}]}},
])
def test_test_event_pattern_is_false_when_it_does_not(events, pattern):
    assert events.test_event_pattern(EventPattern=json.dumps(pattern), Event=EVENT)["Result"] is False


def test_an_invalid_pattern_is_refused_with_the_reason(events):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_rule(Name="bad", EventPattern=json.dumps({"detail": {"x": [{"exists": "yes"}]}}))
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidEventPatternException"
    assert err["Message"] == ("Event pattern is not valid. Reason: "
                              "exists match pattern must be either true or false.")


def test_the_cli_tests_a_pattern(gureum):
    _, out, _ = gureum.aws("events", "test-event-pattern", "--event-pattern",
                           json.dumps({"source": ["shop.orders"]}), "--event", EVENT)
    assert out == {"Result": True}


def test_put_events_delivers_the_transformed_payload_to_the_matching_rule(events, gureum):
    events.create_event_bus(Name="shop")
    arn = events.put_rule(Name="big-orders", EventBusName="shop",
                          EventPattern=json.dumps({"source": ["shop.orders"],
                                                   "detail": {"total": [{"numeric": [">=", 100]}]}}))["RuleArn"]
    assert arn == "arn:aws:events:us-east-1:000000000000:rule/shop/big-orders"
    out = events.put_targets(Rule="big-orders", EventBusName="shop", Targets=[{
        "Id": "queue", "Arn": QUEUE,
        "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.id", "total": "$.detail.total"},
            "InputTemplate": '{"order": <id>, "total": <total>, "text": "order <id> of <total>"}',
        }}])
    assert out["FailedEntryCount"] == 0
    put = events.put_events(Entries=[
        {"Source": "shop.orders", "DetailType": "Order Placed", "EventBusName": "shop",
         "Detail": json.dumps({"id": "o-1", "total": 150})},
        {"Source": "shop.orders", "DetailType": "Order Placed", "EventBusName": "shop",
         "Detail": json.dumps({"id": "o-2", "total": 5})},
        {"Source": "shop.orders", "DetailType": "Order Placed", "Detail": "not json"},
    ])
    assert put["FailedEntryCount"] == 1
    assert put["Entries"][2]["ErrorCode"] == "MalformedDetail"
    got = deliveries(gureum, arn)
    assert len(got) == 1
    assert got[0]["target_arn"] == QUEUE
    assert json.loads(got[0]["payload"]) == {"order": "o-1", "total": 150, "text": "order o-1 of 150"}


def test_a_schedule_fires_after_the_clock_advances(events, gureum):
    arn = events.put_rule(Name="every-5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule="every-5", Targets=[{"Id": "t", "Arn": QUEUE, "Input": '{"tick": true}'}])
    assert deliveries(gureum, arn) == []
    advance(gureum, 6 * 60)
    got = deliveries(gureum, arn)
    assert [json.loads(d["payload"]) for d in got] == [{"tick": True}]


def test_a_cron_schedule_fires_at_its_next_matching_minute(events, gureum):
    arn = events.put_rule(Name="hourly", ScheduleExpression="cron(0 * * * ? *)")["RuleArn"]
    events.put_targets(Rule="hourly", Targets=[{"Id": "t", "Arn": QUEUE}])
    advance(gureum, 3600)
    time.sleep(1.5)  # the server's ticker may fire it first; it fires once either way
    got = deliveries(gureum, arn)
    assert len(got) == 1
    assert json.loads(got[0]["payload"])["detail-type"] == "Scheduled Event"


def test_rules_targets_and_deliveries_survive_a_crash(events, gureum):
    events.put_rule(Name="kept", EventPattern=json.dumps({"source": ["kept"]}),
                    Tags=[{"Key": "team", "Value": "a"}])
    events.put_targets(Rule="kept", Targets=[{"Id": "t", "Arn": QUEUE, "InputPath": "$.detail"}])
    events.put_events(Entries=[{"Source": "kept", "DetailType": "x", "Detail": '{"n": 1}'}])
    gureum.restart(kill=True)
    events = gureum.client("events")
    rule = events.describe_rule(Name="kept")
    assert rule["EventPattern"] == json.dumps({"source": ["kept"]})
    assert events.list_targets_by_rule(Rule="kept")["Targets"][0]["InputPath"] == "$.detail"
    arn = rule["Arn"]
    assert [json.loads(d["payload"]) for d in deliveries(gureum, arn)] == [{"n": 1}]
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default", "shop"]


def test_errors_have_aws_codes_and_messages(events, gureum):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.describe_rule(Name="nope")
    assert e.value.response["Error"]["Message"] == "Rule nope does not exist on EventBus default."
    code, _, err = gureum.aws("events", "delete-event-bus", "--name", "default", check=False)
    assert code != 0 and "Cannot delete event bus default." in err
    code, _, err = gureum.aws("events", "put-rule", "--name", "s",
                              "--schedule-expression", "cron(0 12 * * *)", check=False)
    assert "ValidationException" in err and "Parameter ScheduleExpression is not valid." in err


def test_put_events_takes_at_most_ten_entries_and_256_kib(events):
    entry = {"Source": "a", "DetailType": "b", "Detail": "{}"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_events(Entries=[entry] * 11)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    big = dict(entry, Detail=json.dumps({"x": "y" * (256 * 1024)}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_events(Entries=[big])
    assert e.value.response["Error"]["Message"] == \
        "Total size of the entries in the request is over the limit."


def test_an_event_to_an_absent_bus_is_taken_and_routed_nowhere(events):
    out = events.put_events(Entries=[{"Source": "a", "DetailType": "b", "Detail": "{}",
                                      "EventBusName": "no-such-bus"}])
    assert out["FailedEntryCount"] == 0 and out["Entries"][0]["EventId"]


def test_iam_policies_are_checked_against_the_rule_arn(gureum):
    iam = gureum.client("iam")
    iam.create_user(UserName="events-one-rule")
    iam.put_user_policy(UserName="events-one-rule", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "events:PutRule",
                       "Resource": "arn:aws:events:us-east-1:000000000000:rule/allowed"}]}))
    key = iam.create_access_key(UserName="events-one-rule")["AccessKey"]
    user = gureum.client("events", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    user.put_rule(Name="allowed", EventPattern=json.dumps({"source": ["x"]}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        user.put_rule(Name="other", EventPattern=json.dumps({"source": ["x"]}))
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"


def test_a_schedule_keeps_its_place_across_a_crash(events, gureum):
    arn = events.put_rule(Name="daily", ScheduleExpression="rate(1 day)")["RuleArn"]
    events.put_targets(Rule="daily", Targets=[{"Id": "t", "Arn": QUEUE, "Input": '{"day": 1}'}])
    advance(gureum, 86400 + 60)
    assert len(deliveries(gureum, arn)) == 1
    gureum.restart(kill=True)
    assert len(deliveries(gureum, arn)) == 1, "a time fired before the crash does not fire again"
    advance(gureum, 86400)
    assert len(deliveries(gureum, arn)) == 2


def test_resetting_the_service_forgets_rules_and_deliveries(gureum):
    req = urllib.request.Request(gureum.endpoint + "/_gureum/reset?service=events", method="POST")
    with urllib.request.urlopen(req) as r:
        r.read()
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/events/deliveries") as r:
        assert json.load(r)["deliveries"] == []
    events = gureum.client("events")
    assert events.list_rules()["Rules"] == []
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]


def test_names_follow_the_models_patterns(events):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        events.put_rule(Name="bad name!", EventPattern=json.dumps({"source": ["x"]}))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name!' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")


def test_the_cli_puts_a_rule_a_target_and_an_event(gureum):
    _, out, _ = gureum.aws("events", "put-rule", "--name", "cli-rule",
                           "--event-pattern", json.dumps({"source": [{"prefix": "cli."}]}))
    arn = out["RuleArn"]
    _, out, _ = gureum.aws("events", "put-targets", "--rule", "cli-rule", "--targets",
                           json.dumps([{"Id": "q", "Arn": QUEUE, "InputPath": "$.detail.n"}]))
    assert out == {"FailedEntryCount": 0, "FailedEntries": []}
    _, out, _ = gureum.aws("events", "put-events", "--entries", json.dumps(
        [{"Source": "cli.app", "DetailType": "t", "Detail": json.dumps({"n": 7})}]))
    assert out["FailedEntryCount"] == 0
    assert [d["payload"] for d in deliveries(gureum, arn)] == ["7"]
    _, out, _ = gureum.aws("events", "list-rule-names-by-target", "--target-arn", QUEUE)
    assert "cli-rule" in out["RuleNames"]
