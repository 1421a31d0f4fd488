"""CloudWatch Logs end to end (json 1.1): groups, streams, events and their
tokens, filter patterns, metric filters, Logs Insights, retention on
Gureum's clock and persistence, with boto3 and the aws CLI.

(`test_logs.py` is about Gureum's own log file.)"""
import time

import botocore.exceptions
import pytest

from helpers import advance

ACCOUNT = "000000000000"
DAY = 86_400_000


@pytest.fixture(scope="module")
def logs(gureum):
    return gureum.client("logs")


def now_ms():
    return int(time.time() * 1000)


def failure(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def group_and_stream(logs, group, stream="s"):
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)


def put(logs, group, messages, stream="s", start=None):
    start = now_ms() if start is None else start
    return logs.put_log_events(
        logGroupName=group, logStreamName=stream,
        logEvents=[{"timestamp": start + i, "message": m} for i, m in enumerate(messages)])


def test_a_group_describes_its_class_key_retention_and_bytes(logs):
    logs.create_log_group(logGroupName="/e2e/described", logGroupClass="INFREQUENT_ACCESS",
                          kmsKeyId="arn:aws:kms:us-east-1:000000000000:key/abc", tags={"team": "a"})
    logs.create_log_stream(logGroupName="/e2e/described", logStreamName="s")
    put(logs, "/e2e/described", ["hello", "world!"])
    logs.put_retention_policy(logGroupName="/e2e/described", retentionInDays=30)
    g = logs.describe_log_groups(logGroupNamePrefix="/e2e/described")["logGroups"][0]
    assert g["logGroupClass"] == "INFREQUENT_ACCESS"
    assert g["kmsKeyId"] == "arn:aws:kms:us-east-1:000000000000:key/abc"
    assert g["retentionInDays"] == 30
    assert g["storedBytes"] == 11
    assert g["metricFilterCount"] == 0
    assert g["logGroupArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/e2e/described"
    assert g["arn"] == g["logGroupArn"] + ":*"
    tags = logs.list_tags_for_resource(resourceArn=g["logGroupArn"])["tags"]
    assert tags == {"team": "a"}


def test_retention_values_are_awss_with_awss_message(gureum, logs):
    logs.create_log_group(logGroupName="/e2e/retention-values")
    code, message = failure(logs.put_retention_policy, logGroupName="/e2e/retention-values",
                            retentionInDays=2)
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value '2' at 'retentionInDays' failed to "
                              "satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30,")
    rc, _, err = gureum.aws("logs", "put-retention-policy", "--log-group-name", "/e2e/retention-values",
                            "--retention-in-days", "4", check=False)
    assert rc != 0 and "InvalidParameterException" in err and "Value '4' at 'retentionInDays'" in err


def test_missing_group_and_stream_errors_are_awss(logs):
    assert failure(logs.create_log_stream, logGroupName="/e2e/none", logStreamName="s") == (
        "ResourceNotFoundException", "The specified log group does not exist.")
    logs.create_log_group(logGroupName="/e2e/errors")
    assert failure(logs.put_log_events, logGroupName="/e2e/errors", logStreamName="nope",
                   logEvents=[{"timestamp": now_ms(), "message": "x"}]) == (
        "ResourceNotFoundException", "The specified log stream does not exist.")
    logs.create_log_stream(logGroupName="/e2e/errors", logStreamName="s")
    assert failure(logs.create_log_stream, logGroupName="/e2e/errors", logStreamName="s") == (
        "ResourceAlreadyExistsException", "The specified log stream already exists")


def test_put_log_events_batch_rules(logs):
    group_and_stream(logs, "/e2e/batch")
    t = now_ms()
    assert failure(logs.put_log_events, logGroupName="/e2e/batch", logStreamName="s",
                   logEvents=[{"timestamp": t, "message": "a"}, {"timestamp": t - 5, "message": "b"}]) == (
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.")
    assert failure(logs.put_log_events, logGroupName="/e2e/batch", logStreamName="s",
                   logEvents=[{"timestamp": t - 2 * DAY, "message": "a"}, {"timestamp": t, "message": "b"}])[1] == (
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
    out = logs.put_log_events(logGroupName="/e2e/batch", logStreamName="s", sequenceToken="ignored",
                              logEvents=[{"timestamp": t, "message": "ok"},
                                         {"timestamp": t + 3 * 3_600_000, "message": "future"}])
    assert out["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert out["nextSequenceToken"]
    old = logs.put_log_events(logGroupName="/e2e/batch", logStreamName="s",
                              logEvents=[{"timestamp": t - 15 * DAY, "message": "old"}])
    assert old["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}


def test_get_log_events_tokens_both_ways(logs):
    group_and_stream(logs, "/e2e/tokens")
    put(logs, "/e2e/tokens", [f"m{i}" for i in range(5)])
    first = logs.get_log_events(logGroupName="/e2e/tokens", logStreamName="s", startFromHead=True, limit=2)
    assert [e["message"] for e in first["events"]] == ["m0", "m1"]
    seen, token = [], first["nextForwardToken"]
    while True:
        page = logs.get_log_events(logGroupName="/e2e/tokens", logStreamName="s", nextToken=token, limit=2)
        if page["nextForwardToken"] == token:
            # The end: no events, and the same token again.
            assert page["events"] == []
            break
        seen += [e["message"] for e in page["events"]]
        token = page["nextForwardToken"]
    assert seen == ["m2", "m3", "m4"]
    tail = logs.get_log_events(logGroupName="/e2e/tokens", logStreamName="s", limit=2)
    assert [e["message"] for e in tail["events"]] == ["m3", "m4"]
    back = logs.get_log_events(logGroupName="/e2e/tokens", logStreamName="s", limit=2,
                               nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["m1", "m2"]
    assert failure(logs.get_log_events, logGroupName="/e2e/tokens", logStreamName="s",
                   nextToken="garbage") == ("InvalidParameterException", "The specified nextToken is invalid.")


def test_filter_log_events_patterns_and_the_cli_paginator(gureum, logs):
    logs.create_log_group(logGroupName="/e2e/filter")
    for s in ["web-1", "web-2", "db"]:
        logs.create_log_stream(logGroupName="/e2e/filter", logStreamName=s)
    t = now_ms()
    put(logs, "/e2e/filter", ["ERROR disk full", '{"status": 500, "path": "/api"}', "INFO ok"], "web-1", t)
    put(logs, "/e2e/filter", ["WARN slow", '{"status": 200, "path": "/api"}'], "web-2", t + 10)
    put(logs, "/e2e/filter", ["10.0.0.1 GET /x 404 512", "10.0.0.2 GET /y 200 4096"], "db", t + 20)

    def messages(**kw):
        return [e["message"] for e in logs.filter_log_events(logGroupName="/e2e/filter", **kw)["events"]]

    assert messages(filterPattern="ERROR") == ["ERROR disk full"]
    assert messages(filterPattern="?ERROR ?WARN") == ["ERROR disk full", "WARN slow"]
    assert messages(filterPattern="{ $.status >= 500 }") == ['{"status": 500, "path": "/api"}']
    assert messages(filterPattern='{ $.path = "/api" && $.status = 200 }') == ['{"status": 200, "path": "/api"}']
    assert messages(filterPattern="[ip, method, path, status = 4*, bytes]") == ["10.0.0.1 GET /x 404 512"]
    assert messages(filterPattern="[..., bytes > 1000]") == ["10.0.0.2 GET /y 200 4096"]
    assert messages(logStreamNamePrefix="web-", filterPattern="-ERROR -WARN -status") == ["INFO ok"]
    events = logs.filter_log_events(logGroupName="/e2e/filter", logStreamNames=["db"])["events"]
    assert {e["logStreamName"] for e in events} == {"db"}
    assert all(len(e["eventId"]) == 56 for e in events)
    # boto3's paginator and the CLI follow nextToken to the end.
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName="/e2e/filter", PaginationConfig={"PageSize": 2})
    assert len([e for p in pages for e in p["events"]]) == 7
    _, out, _ = gureum.aws("logs", "filter-log-events", "--log-group-name", "/e2e/filter",
                           "--filter-pattern", "GET", "--page-size", "1")
    assert [e["message"] for e in out["events"]] == ["10.0.0.1 GET /x 404 512", "10.0.0.2 GET /y 200 4096"]
    assert failure(logs.filter_log_events, logGroupName="/e2e/filter", filterPattern="{ $.a = ") == (
        "InvalidParameterException",
        "Invalid filter pattern: If a filter pattern starts with '{' it must end with '}'")
    assert failure(logs.filter_log_events, logGroupName="/e2e/filter", filterPattern="{ $.a }") == (
        "InvalidParameterException", "Invalid filter pattern")


def test_describe_log_streams_orders_and_reports_times(logs):
    logs.create_log_group(logGroupName="/e2e/streams")
    for s in ["a", "b", "c"]:
        logs.create_log_stream(logGroupName="/e2e/streams", logStreamName=s)
    t = now_ms()
    put(logs, "/e2e/streams", ["x"], "b", t)
    put(logs, "/e2e/streams", ["y"], "a", t + 5)
    by_time = logs.describe_log_streams(logGroupName="/e2e/streams", orderBy="LastEventTime",
                                        descending=True)["logStreams"]
    assert [s["logStreamName"] for s in by_time][:2] == ["a", "b"]
    a = by_time[0]
    assert a["firstEventTimestamp"] == a["lastEventTimestamp"] == t + 5
    assert a["lastIngestionTime"] >= a["creationTime"]
    assert a["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/e2e/streams:log-stream:a"
    names = [s["logStreamName"] for p in logs.get_paginator("describe_log_streams").paginate(
        logGroupName="/e2e/streams", PaginationConfig={"PageSize": 1}) for s in p["logStreams"]]
    assert names == ["a", "b", "c"]
    assert failure(logs.describe_log_streams, logGroupName="/e2e/streams", orderBy="LastEventTime",
                   logStreamNamePrefix="a") == (
        "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")


def test_metric_filters_and_test_metric_filter(gureum, logs):
    logs.create_log_group(logGroupName="/e2e/metrics")
    logs.put_metric_filter(
        logGroupName="/e2e/metrics", filterName="errors", filterPattern="[ip, user, status = 5*, bytes]",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1",
                                "defaultValue": 0}])
    f = logs.describe_metric_filters(logGroupName="/e2e/metrics")["metricFilters"][0]
    assert f["filterName"] == "errors" and f["metricTransformations"][0]["metricName"] == "Errors"
    assert logs.describe_metric_filters(metricName="Errors", metricNamespace="App")["metricFilters"]
    g = logs.describe_log_groups(logGroupNamePrefix="/e2e/metrics")["logGroups"][0]
    assert g["metricFilterCount"] == 1
    out = logs.test_metric_filter(filterPattern="[ip, user, status = 5*, bytes]",
                                  logEventMessages=["1.1.1.1 bob 200 10", "1.1.1.1 amy 503 20"])
    assert out["matches"] == [{"eventNumber": 2, "eventMessage": "1.1.1.1 amy 503 20",
                               "extractedValues": {"$ip": "1.1.1.1", "$user": "amy",
                                                   "$status": "503", "$bytes": "20"}}]
    _, cli, _ = gureum.aws("logs", "test-metric-filter", "--filter-pattern", "{ $.ms > 100 }",
                           "--log-event-messages", '{"ms": 150}', '{"ms": 50}')
    assert [m["eventNumber"] for m in cli["matches"]] == [1]
    logs.delete_metric_filter(logGroupName="/e2e/metrics", filterName="errors")
    assert failure(logs.delete_metric_filter, logGroupName="/e2e/metrics", filterName="errors") == (
        "ResourceNotFoundException", "The specified metric filter does not exist.")


def test_subscription_filters_are_kept_and_limited(logs):
    logs.create_log_group(logGroupName="/e2e/subs")
    # A Logs destination: a Lambda function must exist and allow Logs
    # (test_logs_subscriptions.py).
    arn = logs.put_destination(destinationName="subs", targetArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s",
                               roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")["destination"]["arn"]
    for name in ["one", "two"]:
        logs.put_subscription_filter(logGroupName="/e2e/subs", filterName=name, filterPattern="ERROR",
                                     destinationArn=arn)
    code, _ = failure(logs.put_subscription_filter, logGroupName="/e2e/subs", filterName="three",
                      filterPattern="", destinationArn=arn)
    assert code == "LimitExceededException"
    subs = logs.describe_subscription_filters(logGroupName="/e2e/subs")["subscriptionFilters"]
    assert [s["filterName"] for s in subs] == ["one", "two"]
    assert subs[0]["distribution"] == "ByLogStream"
    logs.delete_subscription_filter(logGroupName="/e2e/subs", filterName="one")
    assert failure(logs.delete_subscription_filter, logGroupName="/e2e/subs", filterName="one")[0] == (
        "ResourceNotFoundException")
    logs.delete_destination(destinationName="subs")


def test_insights_counts_per_minute_bucket(logs):
    group_and_stream(logs, "/e2e/insights")
    minute = now_ms() // 60_000 * 60_000 - 5 * 60_000
    logs.put_log_events(logGroupName="/e2e/insights", logStreamName="s", logEvents=[
        {"timestamp": minute + 1_000, "message": '{"ms": 10}'},
        {"timestamp": minute + 2_000, "message": '{"ms": 30}'},
        {"timestamp": minute + 61_000, "message": '{"ms": 5}'},
    ])
    start = logs.start_query(logGroupName="/e2e/insights", startTime=minute // 1000 - 60,
                             endTime=now_ms() // 1000 + 60,
                             queryString="stats count(*) as n, avg(ms) by bin(1m)")
    r = logs.get_query_results(queryId=start["queryId"])
    assert r["status"] == "Complete"
    fmt = time.strftime("%Y-%m-%d %H:%M:%S.000", time.gmtime(minute / 1000))
    assert r["results"][0] == [{"field": "bin(1m)", "value": fmt}, {"field": "n", "value": "2"},
                               {"field": "avg(ms)", "value": "20"}]
    assert r["results"][1][1] == {"field": "n", "value": "1"}
    assert r["statistics"]["recordsScanned"] == 3.0
    q = logs.start_query(logGroupName="/e2e/insights", startTime=minute // 1000 - 60,
                         endTime=now_ms() // 1000 + 60,
                         queryString="fields @timestamp, ms | filter ms > 7 | sort ms desc | limit 1")
    rows = logs.get_query_results(queryId=q["queryId"])["results"]
    assert [f for f in rows[0] if f["field"] == "ms"] == [{"field": "ms", "value": "30"}]
    assert any(f["field"] == "@ptr" for f in rows[0])
    ids = [x["queryId"] for x in logs.describe_queries(logGroupName="/e2e/insights")["queries"]]
    assert start["queryId"] in ids
    code, _ = failure(logs.start_query, logGroupName="/e2e/insights", startTime=0, endTime=1,
                      queryString="stats nonsense(")
    assert code == "MalformedQueryException"


def test_retention_expires_events_when_gureums_clock_moves(gureum, logs):
    group_and_stream(logs, "/e2e/expiry")
    put(logs, "/e2e/expiry", ["doomed"])
    logs.put_retention_policy(logGroupName="/e2e/expiry", retentionInDays=1)
    advance(gureum, 2 * 86_400)
    events = logs.get_log_events(logGroupName="/e2e/expiry", logStreamName="s", startFromHead=True)["events"]
    assert events == []
    g = logs.describe_log_groups(logGroupNamePrefix="/e2e/expiry")["logGroups"][0]
    assert g["storedBytes"] == 0


def test_events_and_filters_survive_sigkill(gureum):
    logs = gureum.client("logs", region="eu-central-1")
    group_and_stream(logs, "/e2e/persist")
    put(logs, "/e2e/persist", ["kept one", "kept two"])
    logs.put_metric_filter(logGroupName="/e2e/persist", filterName="f", filterPattern="kept",
                           metricTransformations=[{"metricName": "K", "metricNamespace": "N", "metricValue": "1"}])
    gureum.restart(kill=True)
    logs = gureum.client("logs", region="eu-central-1")
    got = logs.get_log_events(logGroupName="/e2e/persist", logStreamName="s", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["kept one", "kept two"]
    assert logs.describe_metric_filters(logGroupName="/e2e/persist")["metricFilters"][0]["filterName"] == "f"
    # New events after the restart order after the old ones.
    put(logs, "/e2e/persist", ["after"])
    got = logs.filter_log_events(logGroupName="/e2e/persist")
    assert [e["message"] for e in got["events"]][-1] == "after"


def test_deletion_protection_kms_association_and_log_records(logs):
    logs.create_log_group(logGroupName="/e2e/protected", deletionProtectionEnabled=True)
    code, _ = failure(logs.delete_log_group, logGroupName="/e2e/protected")
    assert code == "ValidationException"
    logs.put_log_group_deletion_protection(logGroupIdentifier="/e2e/protected", deletionProtectionEnabled=False)
    key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    logs.associate_kms_key(logGroupName="/e2e/protected", kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix="/e2e/protected")["logGroups"][0]["kmsKeyId"] == key
    logs.disassociate_kms_key(logGroupName="/e2e/protected")
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix="/e2e/protected")["logGroups"][0]
    logs.create_log_stream(logGroupName="/e2e/protected", logStreamName="s")
    put(logs, "/e2e/protected", ['{"user": "amy"}'])
    q = logs.start_query(logGroupName="/e2e/protected", startTime=0, endTime=now_ms() // 1000 + 86_400 * 3,
                         queryString="fields user")
    row = logs.get_query_results(queryId=q["queryId"])["results"][0]
    ptr = [f["value"] for f in row if f["field"] == "@ptr"][0]
    assert logs.get_log_record(logRecordPointer=ptr)["logRecord"]["user"] == "amy"
    logs.delete_log_group(logGroupName="/e2e/protected")


def test_list_log_groups_query_definitions_and_resource_policies(gureum, logs):
    logs.create_log_group(logGroupName="/e2e/list/alpha", tags={"env": "prod"})
    logs.create_log_group(logGroupName="/e2e/list/beta")
    groups = logs.list_log_groups(logGroupNamePattern="^/e2e/list")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/e2e/list/alpha", "/e2e/list/beta"]
    assert groups[0]["logGroupArn"] == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/e2e/list/alpha"
    tagged = logs.list_log_groups(logGroupTags=[{"key": "env", "values": ["prod"]}])["logGroups"]
    assert [g["logGroupName"] for g in tagged] == ["/e2e/list/alpha"]
    qid = logs.put_query_definition(name="e2e/errors", queryString="filter @message like /ERROR/",
                                    logGroupNames=["/e2e/list/alpha"])["queryDefinitionId"]
    defs = logs.describe_query_definitions(queryDefinitionNamePrefix="e2e/")["queryDefinitions"]
    assert [(d["queryDefinitionId"], d["logGroupNames"]) for d in defs] == [(qid, ["/e2e/list/alpha"])]
    assert logs.delete_query_definition(queryDefinitionId=qid)["success"] is True
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}'
    _, out, _ = gureum.aws("logs", "put-resource-policy", "--policy-name", "events-to-logs",
                           "--policy-document", doc)
    assert out["resourcePolicy"]["policyName"] == "events-to-logs"
    names = [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
    assert names == ["events-to-logs"]
    logs.delete_resource_policy(policyName="events-to-logs")
    assert failure(logs.delete_resource_policy, policyName="events-to-logs") == (
        "ResourceNotFoundException", "Policy with name [events-to-logs] does not exist")


def test_destinations_for_cross_account_subscriptions(logs):
    logs.create_log_group(logGroupName="/e2e/dest")
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:destination:central"
    assert failure(logs.put_subscription_filter, logGroupName="/e2e/dest", filterName="f", filterPattern="",
                   destinationArn=arn) == ("ResourceNotFoundException", "The specified destination does not exist.")
    d = logs.put_destination(destinationName="central", targetArn=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s",
                             roleArn=f"arn:aws:iam::{ACCOUNT}:role/cwl")["destination"]
    assert d["arn"] == arn
    logs.put_destination_policy(destinationName="central",
                                accessPolicy='{"Version":"2012-10-17","Statement":[]}')
    logs.put_subscription_filter(logGroupName="/e2e/dest", filterName="f", filterPattern="", destinationArn=arn)
    assert [x["destinationName"] for x in logs.describe_destinations()["destinations"]] == ["central"]
    logs.delete_destination(destinationName="central")


def test_iam_policies_scope_logs_to_a_group_with_the_trailing_colon_star(gureum, logs):
    import json as _json
    group_and_stream(logs, "/e2e/iam/allowed")
    group_and_stream(logs, "/e2e/iam/other")
    iam = gureum.client("iam")
    iam.create_user(UserName="logs-writer")
    iam.put_user_policy(UserName="logs-writer", PolicyName="one-group", PolicyDocument=_json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents"],
             "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/e2e/iam/allowed:*"},
            {"Effect": "Allow", "Action": "logs:DescribeLogGroups",
             "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"},
        ],
    }))
    creds = iam.create_access_key(UserName="logs-writer")["AccessKey"]
    user = gureum.client("logs", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"])
    user.create_log_stream(logGroupName="/e2e/iam/allowed", logStreamName="mine")
    put(user, "/e2e/iam/allowed", ["allowed"], stream="mine")
    got = user.get_log_events(logGroupName="/e2e/iam/allowed", logStreamName="mine", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["allowed"]
    assert user.describe_log_groups(logGroupNamePrefix="/e2e/iam/")["logGroups"]
    code, message = failure(user.put_log_events, logGroupName="/e2e/iam/other", logStreamName="s",
                            logEvents=[{"timestamp": now_ms(), "message": "x"}])
    assert code == "AccessDeniedException"
    assert f"log-group:/e2e/iam/other:log-stream:s" in message
    code, _ = failure(user.put_retention_policy, logGroupName="/e2e/iam/allowed", retentionInDays=1)
    assert code == "AccessDeniedException"


def test_data_protection_masks_new_events_until_unmasked(logs):
    import json as _json
    group_and_stream(logs, "/e2e/masked")
    ident = "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
    policy = _json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": [
        {"Sid": "audit", "DataIdentifier": [ident], "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": [ident], "Operation": {"Deidentify": {"MaskConfig": {}}}},
    ]})
    out = logs.put_data_protection_policy(logGroupIdentifier="/e2e/masked", policyDocument=policy)
    assert out["policyDocument"] == policy
    assert logs.get_data_protection_policy(logGroupIdentifier="/e2e/masked")["policyDocument"] == policy
    put(logs, "/e2e/masked", ["signup amy@example.com"])
    shown = logs.get_log_events(logGroupName="/e2e/masked", logStreamName="s", startFromHead=True)
    assert [e["message"] for e in shown["events"]] == ["signup ***************"]
    raw = logs.filter_log_events(logGroupName="/e2e/masked", unmask=True)
    assert [e["message"] for e in raw["events"]] == ["signup amy@example.com"]
    logs.delete_data_protection_policy(logGroupIdentifier="/e2e/masked")
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier="/e2e/masked")


def test_account_policies(logs):
    doc = '{"DestinationArn":"arn:aws:lambda:us-east-1:000000000000:function:f","FilterPattern":"ERROR"}'
    out = logs.put_account_policy(policyName="everything", policyType="SUBSCRIPTION_FILTER_POLICY",
                                  policyDocument=doc, scope="ALL",
                                  selectionCriteria='LogGroupName NOT IN ["/e2e/quiet"]')
    assert out["accountPolicy"]["accountId"] == ACCOUNT
    got = logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")["accountPolicies"]
    assert [(p["policyName"], p["selectionCriteria"]) for p in got] == [
        ("everything", 'LogGroupName NOT IN ["/e2e/quiet"]')]
    # Gureum has no Kinesis: AWS's test delivery would fail.
    code, message = failure(logs.put_account_policy, policyName="k", policyType="SUBSCRIPTION_FILTER_POLICY",
                            policyDocument='{"DestinationArn":"arn:aws:kinesis:us-east-1:000000000000:stream/s"}',
                            scope="ALL")
    assert (code, message) == ("InvalidParameterException", "Could not deliver test message to specified Kinesis "
                               "stream. Check if the given kinesis stream is in ACTIVE state.")
    code, _ = failure(logs.put_account_policy, policyName="idx", policyType="FIELD_INDEX_POLICY",
                      policyDocument='{"Fields":["a"]}')
    assert code == "InvalidParameterException"
    logs.delete_account_policy(policyName="everything", policyType="SUBSCRIPTION_FILTER_POLICY")
    assert logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")["accountPolicies"] == []
