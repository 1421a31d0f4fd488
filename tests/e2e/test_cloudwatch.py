"""CloudWatch through boto3 and the aws CLI: metrics put and read back
(statistics, percentiles, metric math), AWS's errors, alarms evaluated on
Gureum's clock (actions recorded at /_gureum/cloudwatch/actions),
composite alarms following their children, dashboards, tags, and state
across a crash."""
import datetime
import json
import re
import urllib.request

import botocore.exceptions
import pytest

from helpers import advance

TOPIC = "arn:aws:sns:us-east-1:000000000000:alerts"


@pytest.fixture(scope="module")
def cw(gureum):
    return gureum.client("cloudwatch")


def now_s(gureum):
    """Gureum's clock, in epoch seconds."""
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        return json.load(r)["now_ms"] / 1000


def at(secs):
    return datetime.datetime.fromtimestamp(secs, tz=datetime.timezone.utc)


def minute_start(gureum, back=0):
    """The start of the current minute on Gureum's clock, `back` minutes ago."""
    return (int(now_s(gureum)) // 60 - back) * 60


def actions(gureum, alarm):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/cloudwatch/actions") as r:
        return [a for a in json.load(r)["actions"] if a["alarm_name"] == alarm]


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def state(cw, name, composite=False):
    got = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm" if composite else "MetricAlarm"])
    alarms = got["CompositeAlarms" if composite else "MetricAlarms"]
    assert len(alarms) == 1, got
    return alarms[0]


def test_put_metric_data_and_read_statistics_back(cw, gureum):
    t0 = minute_start(gureum, back=10)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "checkout"}],
         "Timestamp": at(t0 + 1), "Value": v, "Unit": "Milliseconds"}
        for v in range(1, 101)
    ] + [
        {"MetricName": "Latency", "Dimensions": [{"Name": "Api", "Value": "checkout"}],
         "Timestamp": at(t0 + 61), "StatisticValues": {"SampleCount": 2, "Sum": 30, "Minimum": 10, "Maximum": 20},
         "Unit": "Milliseconds"},
    ])
    got = cw.get_metric_statistics(
        Namespace="Shop", MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "checkout"}],
        StartTime=at(t0), EndTime=at(t0 + 120), Period=60,
        Statistics=["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
    )
    dps = sorted(got["Datapoints"], key=lambda d: d["Timestamp"])
    assert got["Label"] == "Latency"
    assert [(d["SampleCount"], d["Sum"], d["Minimum"], d["Maximum"]) for d in dps] == [
        (100.0, 5050.0, 1.0, 100.0), (2.0, 30.0, 10.0, 20.0)]
    assert dps[0]["Average"] == 50.5 and dps[0]["Unit"] == "Milliseconds"
    p = cw.get_metric_statistics(
        Namespace="Shop", MetricName="Latency", Dimensions=[{"Name": "Api", "Value": "checkout"}],
        StartTime=at(t0), EndTime=at(t0 + 60), Period=60, ExtendedStatistics=["p99", "p50"],
    )["Datapoints"][0]["ExtendedStatistics"]
    assert p == {"p99": 99.0, "p50": 50.0}
    listed = cw.list_metrics(Namespace="Shop")["Metrics"]
    assert listed == [{"Namespace": "Shop", "MetricName": "Latency",
                       "Dimensions": [{"Name": "Api", "Value": "checkout"}]}]
    assert cw.list_metrics(Dimensions=[{"Name": "Api"}], RecentlyActive="PT3H")["Metrics"] == listed
    assert cw.list_metrics(Namespace="Shop", MetricName="Other")["Metrics"] == []


def test_put_metric_data_errors_are_aws_words(cw, gureum):
    old = at(now_s(gureum) - 15 * 86400)
    assert error(cw.put_metric_data, Namespace="Shop", MetricData=[
        {"MetricName": "M", "Value": 1, "Timestamp": old}]) == (
        "InvalidParameterValue",
        "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks.")
    code, msg = error(cw.put_metric_data, Namespace="Shop", MetricData=[
        {"MetricName": "M", "Value": 1},
        {"MetricName": "M", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
    assert code == "InvalidParameterCombination"
    assert msg == ("The parameters MetricData.member.2.Value and MetricData.member.2.StatisticValues "
                   "are mutually exclusive and you have specified both.")
    assert error(cw.put_metric_data, Namespace="AWS/EC2", MetricData=[{"MetricName": "M", "Value": 1}]) == (
        "InvalidParameterValue", "The value AWS/EC2 for parameter Namespace is invalid.")
    t = now_s(gureum)
    code, msg = error(cw.get_metric_statistics, Namespace="Shop", MetricName="Latency",
                      StartTime=at(t - 86400 - 60), EndTime=at(t), Period=60, Statistics=["Sum"])
    assert code == "InvalidParameterCombination"
    assert re.fullmatch(r"You have requested up to 1,44\d datapoints, which exceeds the limit of 1,440\. "
                        r"You may reduce the datapoints requested by increasing Period, or decreasing the time range\.",
                        msg), msg


def test_metric_math_on_a_known_series(cw, gureum):
    t0 = minute_start(gureum, back=6)
    data = []
    for i in range(5):
        data.append({"MetricName": "A", "Timestamp": at(t0 + 60 * i), "Value": float(i + 1)})
        data.append({"MetricName": "B", "Timestamp": at(t0 + 60 * i), "Value": float(10 * (i + 1))})
    cw.put_metric_data(Namespace="Math", MetricData=data)

    def stat(name, id_):
        return {"Id": id_, "MetricStat": {"Metric": {"Namespace": "Math", "MetricName": name},
                                          "Period": 60, "Stat": "Sum"}, "ReturnData": False}

    got = cw.get_metric_data(
        StartTime=at(t0), EndTime=at(t0 + 300), ScanBy="TimestampAscending",
        MetricDataQueries=[
            stat("A", "a"), stat("B", "b"),
            {"Id": "total", "Expression": "a + b", "Label": "Total"},
            {"Id": "sums", "Expression": "SUM(METRICS())"},
            {"Id": "ratio", "Expression": "b / a"},
            {"Id": "rate", "Expression": "RATE(a)"},
            {"Id": "diff", "Expression": "DIFF(b)"},
            {"Id": "big", "Expression": "IF(b > 25, b, 0)"},
            {"Id": "avg", "Expression": "AVG(a)"},
        ],
    )["MetricDataResults"]
    by = {r["Id"]: r for r in got}
    assert set(by) == {"total", "sums", "ratio", "rate", "diff", "big", "avg"}
    assert by["total"]["Label"] == "Total"
    assert by["total"]["Values"] == [11.0, 22.0, 33.0, 44.0, 55.0]
    assert by["total"]["Timestamps"][0] == at(t0)
    assert by["sums"]["Values"] == by["total"]["Values"]
    assert by["ratio"]["Values"] == [10.0] * 5
    assert by["rate"]["Values"] == [pytest.approx(1 / 60)] * 4
    assert by["diff"]["Values"] == [10.0] * 4
    assert by["big"]["Values"] == [0.0, 0.0, 30.0, 40.0, 50.0]
    assert by["avg"]["Values"] == [3.0] * 5
    assert all(r["StatusCode"] == "Complete" for r in got)
    desc = cw.get_metric_data(StartTime=at(t0), EndTime=at(t0 + 300),
                              MetricDataQueries=[dict(stat("A", "a"), ReturnData=True)])["MetricDataResults"][0]
    assert desc["Values"] == [5.0, 4.0, 3.0, 2.0, 1.0], "newest first by default"
    assert desc["Label"] == "A"
    filled = cw.get_metric_data(
        StartTime=at(t0), EndTime=at(t0 + 420), ScanBy="TimestampAscending",
        MetricDataQueries=[stat("A", "a"), {"Id": "f", "Expression": "FILL(a, 0)"}])["MetricDataResults"][0]
    assert filled["Values"] == [1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 0.0]
    code, msg = error(cw.get_metric_data, StartTime=at(t0), EndTime=at(t0 + 300),
                      MetricDataQueries=[stat("A", "a"), {"Id": "e", "Expression": "NOPE(a)"}])
    assert code == "ValidationError" and "Unrecognized function NOPE" in msg


def test_search_expressions_find_metrics(cw, gureum):
    t0 = minute_start(gureum, back=3)
    cw.put_metric_data(Namespace="Fleet", MetricData=[
        {"MetricName": "Cpu", "Dimensions": [{"Name": "Host", "Value": h}], "Timestamp": at(t0), "Value": v}
        for h, v in (("h1", 10.0), ("h2", 30.0))] + [
        {"MetricName": "Mem", "Dimensions": [{"Name": "Host", "Value": "h1"}], "Timestamp": at(t0), "Value": 1.0}])
    got = cw.get_metric_data(StartTime=at(t0), EndTime=at(t0 + 60), MetricDataQueries=[
        {"Id": "s", "Expression": "SEARCH('{Fleet,Host} MetricName=\"Cpu\"', 'Average', 60)"},
        {"Id": "total", "Expression": "SUM(SEARCH('{Fleet,Host} MetricName=\"Cpu\"', 'Average', 60))"},
    ])["MetricDataResults"]
    found = sorted((r["Label"], r["Values"]) for r in got if r["Id"] == "s")
    assert found == [("h1", [10.0]), ("h2", [30.0])]
    assert [r["Values"] for r in got if r["Id"] == "total"] == [[40.0]]


def test_an_alarm_goes_ok_then_alarm_within_one_period_and_runs_its_action(cw, gureum):
    cw.put_metric_alarm(
        AlarmName="high-load", Namespace="Svc", MetricName="Load", Statistic="Maximum",
        Dimensions=[{"Name": "Host", "Value": "a"}], Period=60, EvaluationPeriods=1,
        Threshold=3.0, ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[TOPIC], OKActions=[TOPIC],
    )
    a = state(cw, "high-load")
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:high-load"
    dims = [{"Name": "Host", "Value": "a"}]
    cw.put_metric_data(Namespace="Svc", MetricData=[{"MetricName": "Load", "Dimensions": dims, "Value": 1.0}])
    advance(gureum, 60)
    a = state(cw, "high-load")
    assert a["StateValue"] == "OK", a
    assert re.fullmatch(r"Threshold Crossed: 1 datapoint \[1\.0 \(\d\d/\d\d/\d\d \d\d:\d\d:00\)\] "
                        r"was not greater than the threshold \(3\.0\)\.", a["StateReason"]), a["StateReason"]
    cw.put_metric_data(Namespace="Svc", MetricData=[{"MetricName": "Load", "Dimensions": dims, "Value": 5.0}])
    advance(gureum, 60)
    a = state(cw, "high-load")
    assert a["StateValue"] == "ALARM", a
    assert re.fullmatch(r"Threshold Crossed: 1 datapoint \[5\.0 \(\d\d/\d\d/\d\d \d\d:\d\d:00\)\] "
                        r"was greater than the threshold \(3\.0\)\.", a["StateReason"]), a["StateReason"]
    data = json.loads(a["StateReasonData"])
    assert data["version"] == "1.0" and data["statistic"] == "Maximum" and data["period"] == 60
    assert data["recentDatapoints"] == [5.0] and data["threshold"] == 3.0
    assert data["evaluatedDatapoints"][0]["value"] == 5.0
    fired = actions(gureum, "high-load")
    assert [(f["old_state"], f["new_state"], f["action_arn"]) for f in fired] == [
        ("INSUFFICIENT_DATA", "OK", TOPIC), ("OK", "ALARM", TOPIC)]
    msg = fired[-1]["message"]
    assert msg["NewStateValue"] == "ALARM" and msg["Trigger"]["MetricName"] == "Load"
    hist = cw.describe_alarm_history(AlarmName="high-load", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in hist] == [
        "Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK"]
    assert cw.describe_alarms(StateValue="ALARM")["MetricAlarms"][0]["AlarmName"] == "high-load"
    assert [x["AlarmName"] for x in cw.describe_alarms_for_metric(
        Namespace="Svc", MetricName="Load", Dimensions=dims)["MetricAlarms"]] == ["high-load"]


def test_get_metric_widget_image_draws_the_series(cw, gureum):
    t0 = minute_start(gureum, back=30)
    cw.put_metric_data(Namespace="Widget", MetricData=[
        {"MetricName": "W", "Timestamp": at(t0 + 60 * i), "Value": float(i % 7)} for i in range(30)])
    widget = {"metrics": [["Widget", "W"]], "period": 60, "stat": "Average", "start": "-PT1H",
              "width": 400, "height": 200}
    png = cw.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (400, 200)
    # The first series colour (index 3) appears among the pixels.
    idat = png.index(b"IDAT")
    assert b"\x03" in png[idat:]
    code, _ = error(cw.get_metric_widget_image, MetricWidget="{not json")
    assert code == "ValidationError"


def test_sqs_queue_depth_arrives_as_aws_sqs_metrics(cw, gureum):
    import time

    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName="depth")["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    advance(gureum, 60)
    dims = [{"Name": "QueueName", "Value": "depth"}]
    deadline = time.time() + 10
    while True:
        t = now_s(gureum)
        dps = cw.get_metric_statistics(
            Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible", Dimensions=dims,
            StartTime=at(t - 300), EndTime=at(t + 60), Period=60, Statistics=["Maximum"])["Datapoints"]
        if any(d["Maximum"] == 3.0 for d in dps) or time.time() > deadline:
            break
        time.sleep(0.3)
    assert any(d["Maximum"] == 3.0 and d["Unit"] == "Count" for d in dps), dps
    names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/SQS", Dimensions=dims)["Metrics"]}
    assert names == {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
                     "ApproximateNumberOfMessagesDelayed"}


def test_paging_and_large_gzipped_batches(cw, gureum):
    # 600 metrics in one request: botocore gzips a body this large.
    cw.put_metric_data(Namespace="Many", MetricData=[
        {"MetricName": f"m{i:03}", "Dimensions": [{"Name": "Shard", "Value": str(i)}], "Value": 1.0}
        for i in range(600)])
    first = cw.list_metrics(Namespace="Many")
    assert len(first["Metrics"]) == 500 and "NextToken" in first
    rest = cw.list_metrics(Namespace="Many", NextToken=first["NextToken"])
    assert len(rest["Metrics"]) == 100 and "NextToken" not in rest
    names = {m["MetricName"] for m in first["Metrics"] + rest["Metrics"]}
    assert len(names) == 600
    for i in range(3):
        cw.put_metric_alarm(AlarmName=f"page-{i}", Namespace="Many", MetricName="m000", Statistic="Sum",
                            Period=60, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold")
    page = cw.describe_alarms(AlarmNamePrefix="page-", MaxRecords=2)
    assert [a["AlarmName"] for a in page["MetricAlarms"]] == ["page-0", "page-1"]
    page2 = cw.describe_alarms(AlarmNamePrefix="page-", MaxRecords=2, NextToken=page["NextToken"])
    assert [a["AlarmName"] for a in page2["MetricAlarms"]] == ["page-2"] and "NextToken" not in page2
    assert error(cw.describe_alarms, NextToken="bogus")[0] == "InvalidNextToken"
    cw.delete_alarms(AlarmNames=["page-0", "page-1", "page-2"])
    assert error(cw.delete_alarms, AlarmNames=["page-0"]) == ("ResourceNotFound", "The named resource does not exist.")


def test_disabled_actions_and_ec2_actions(cw, gureum):
    stop = "arn:aws:automate:us-east-1:ec2:stop"
    cw.put_metric_alarm(AlarmName="ec2-stop", Namespace="Svc", MetricName="Idle", Statistic="Average",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                        Dimensions=[{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
                        AlarmActions=[stop], ActionsEnabled=False)
    cw.set_alarm_state(AlarmName="ec2-stop", StateValue="ALARM", StateReason="test")
    assert actions(gureum, "ec2-stop") == []
    cw.enable_alarm_actions(AlarmNames=["ec2-stop"])
    assert state(cw, "ec2-stop")["ActionsEnabled"] is True
    cw.set_alarm_state(AlarmName="ec2-stop", StateValue="OK", StateReason="test")
    cw.set_alarm_state(AlarmName="ec2-stop", StateValue="ALARM", StateReason="test")
    assert [a["action_arn"] for a in actions(gureum, "ec2-stop")] == [stop]
    code, msg = error(cw.put_metric_alarm, AlarmName="bad-ec2", Namespace="Svc", MetricName="Idle",
                      Statistic="Average", Period=60, EvaluationPeriods=1, Threshold=1,
                      ComparisonOperator="GreaterThanThreshold",
                      AlarmActions=["arn:aws:automate:us-east-1:ec2:explode"])
    assert code == "ValidationError"
    hist = cw.describe_alarm_history(AlarmName="ec2-stop", HistoryItemType="Action")["AlarmHistoryItems"]
    assert hist[0]["HistorySummary"] == f"Successfully executed action {stop}"
    conf = cw.describe_alarm_history(AlarmName="ec2-stop", HistoryItemType="ConfigurationUpdate")
    assert conf["AlarmHistoryItems"][0]["HistorySummary"] == 'Alarm "ec2-stop" created'


def test_missing_data_treated_as_breaching_and_m_of_n(cw, gureum):
    cw.put_metric_alarm(
        AlarmName="silent", Namespace="Svc", MetricName="Heartbeat", Statistic="Sum", Period=60,
        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1, ComparisonOperator="LessThanThreshold",
        TreatMissingData="breaching",
    )
    advance(gureum, 60)
    a = state(cw, "silent")
    assert a["StateValue"] == "ALARM"
    assert a["StateReason"] == ("Threshold Crossed: no datapoints were received for 3 periods and "
                                "3 missing datapoints were treated as [Breaching].")
    cw.set_alarm_state(AlarmName="silent", StateValue="OK", StateReason="manual")
    assert state(cw, "silent")["StateReason"] == "manual"
    assert error(cw.set_alarm_state, AlarmName="nope", StateValue="OK", StateReason="x") == (
        "ResourceNotFound", "Alarm nope not found")
    assert error(cw.set_alarm_state, AlarmName="silent", StateValue="OK", StateReason="x",
                 StateReasonData="{not json")[0] == "InvalidFormat"


def test_alarm_validation_messages(cw):
    code, msg = error(cw.put_metric_alarm, AlarmName="bad", Namespace="N", MetricName="M",
                      Statistic="Average", Period=60, EvaluationPeriods=2000, Threshold=1,
                      ComparisonOperator="GreaterThanThreshold")
    assert code == "ValidationError"
    assert msg == "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400)"
    code, msg = error(cw.put_metric_alarm, AlarmName="bad", Period=60, EvaluationPeriods=1, Threshold=1,
                      ComparisonOperator="GreaterThanThreshold", Metrics=[
                          {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"},
                                                      "Period": 60, "Stat": "Sum"}}])
    assert code == "InvalidParameterCombination"
    code, msg = error(cw.put_metric_alarm, AlarmName="bad", EvaluationPeriods=1, Threshold=1,
                      ComparisonOperator="GreaterThanThreshold", Metrics=[
                          {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"},
                                                      "Period": 60, "Stat": "Sum"}},
                          {"Id": "e1", "Expression": "m1 * 2"}])
    assert (code, msg) == ("ValidationError", "Exactly one element of the metrics list should return data.")


def test_a_metric_math_alarm(cw, gureum):
    cw.put_metric_alarm(
        AlarmName="error-rate", EvaluationPeriods=1, Threshold=0.5, ComparisonOperator="GreaterThanThreshold",
        Metrics=[
            {"Id": "e", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "Errors"},
                                       "Period": 60, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "r", "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": "Requests"},
                                       "Period": 60, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "rate", "Expression": "e / r", "Label": "Error rate"},
        ],
    )
    cw.put_metric_data(Namespace="Web", MetricData=[
        {"MetricName": "Errors", "Value": 8.0}, {"MetricName": "Requests", "Value": 10.0}])
    advance(gureum, 60)
    a = state(cw, "error-rate")
    assert a["StateValue"] == "ALARM", a
    assert "[0.8 (" in a["StateReason"]


def test_a_composite_alarm_follows_its_children(cw, gureum):
    for n in ("db-slow", "api-slow"):
        cw.put_metric_alarm(AlarmName=n, Namespace="Svc", MetricName=n, Statistic="Average", Period=60,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    code, msg = error(cw.put_composite_alarm, AlarmName="site", AlarmRule="ALARM(db-slow) AND ALARM(ghost)")
    assert msg == "Could not save the composite alarm as alarms [ghost] in the alarm rule do not exist"
    cw.put_composite_alarm(AlarmName="site", AlarmRule='ALARM("db-slow") AND ALARM(api-slow)',
                           AlarmActions=[TOPIC])
    assert state(cw, "site", composite=True)["StateValue"] == "OK"
    cw.set_alarm_state(AlarmName="db-slow", StateValue="ALARM", StateReason="test")
    assert state(cw, "site", composite=True)["StateValue"] == "OK"
    cw.set_alarm_state(AlarmName="api-slow", StateValue="ALARM", StateReason="test")
    site = state(cw, "site", composite=True)
    assert site["StateValue"] == "ALARM"
    assert site["StateReason"].startswith("arn:aws:cloudwatch:us-east-1:000000000000:alarm:api-slow transitioned to ALARM at ")
    assert [a["new_state"] for a in actions(gureum, "site")] == ["ALARM"]
    cw.set_alarm_state(AlarmName="db-slow", StateValue="OK", StateReason="test")
    assert state(cw, "site", composite=True)["StateValue"] == "OK"
    kids = cw.describe_alarms(ChildrenOfAlarmName="site")["MetricAlarms"]
    assert sorted(k["AlarmName"] for k in kids) == ["api-slow", "db-slow"]
    parents = cw.describe_alarms(ParentsOfAlarmName="db-slow", AlarmTypes=["CompositeAlarm"])
    assert [p["AlarmName"] for p in parents["CompositeAlarms"]] == ["site"]


def test_dashboards(cw):
    body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                                    "properties": {"markdown": "hello"}}]})
    assert cw.put_dashboard(DashboardName="ops", DashboardBody=body)["DashboardValidationMessages"] == []
    got = cw.get_dashboard(DashboardName="ops")
    assert got["DashboardBody"] == body
    assert got["DashboardArn"] == "arn:aws:cloudwatch::000000000000:dashboard/ops"
    assert [d["DashboardName"] for d in cw.list_dashboards()["DashboardEntries"]] == ["ops"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.put_dashboard(DashboardName="bad", DashboardBody=json.dumps({"widgets": [{"type": "chart"}]}))
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidParameterInput"
    assert err["Message"].startswith("The dashboard body is invalid, there are 2 validation errors:")
    assert error(cw.get_dashboard, DashboardName="nope") == ("ResourceNotFound", "Dashboard nope does not exist")
    assert error(cw.delete_dashboards, DashboardNames=["ops", "nope"])[0] == "ResourceNotFound"
    cw.delete_dashboards(DashboardNames=["ops"])
    assert cw.list_dashboards()["DashboardEntries"] == []


def test_tags_on_alarms(cw):
    arn = state(cw, "high-load")["AlarmArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "web"}])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "web"}]
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    assert error(cw.list_tags_for_resource,
                 ResourceARN="arn:aws:cloudwatch:us-east-1:000000000000:alarm:ghost")[0] == "ResourceNotFoundException"


def test_the_aws_cli(gureum):
    gureum.aws("cloudwatch", "put-metric-data", "--namespace", "Cli", "--metric-name", "Hits",
               "--value", "7", "--unit", "Count")
    _, out, _ = gureum.aws("cloudwatch", "list-metrics", "--namespace", "Cli")
    assert out["Metrics"] == [{"Namespace": "Cli", "MetricName": "Hits", "Dimensions": []}]
    _, out, _ = gureum.aws("cloudwatch", "describe-alarms", "--alarm-names", "high-load")
    assert out["MetricAlarms"][0]["AlarmName"] == "high-load"
    # No data since: the alarm's periods are missing now.
    assert out["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"
    rc, _, err = gureum.aws("cloudwatch", "set-alarm-state", "--alarm-name", "ghost",
                            "--state-value", "OK", "--state-reason", "x", check=False)
    assert rc != 0 and "Alarm ghost not found" in err


def test_metrics_and_alarms_survive_a_crash(cw, gureum):
    before = state(cw, "high-load")
    gureum.restart(kill=True)
    cw2 = gureum.client("cloudwatch")
    after = state(cw2, "high-load")
    assert after["StateValue"] == before["StateValue"]
    assert cw2.list_metrics(Namespace="Shop")["Metrics"]
    assert len(actions(gureum, "high-load")) >= 2


def signed(gureum, body, headers):
    """Sends `body` signed for CloudWatch (SigV4, test/test); returns (status, text)."""
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials

    req = botocore.awsrequest.AWSRequest(method="POST", url=gureum.endpoint + "/", data=body.encode(), headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "monitoring", "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_the_query_and_json_protocols(gureum):
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    status, text = signed(gureum, "Action=PutMetricData&Version=2010-08-01&Namespace=Query"
                          "&MetricData.member.1.MetricName=Q&MetricData.member.1.Value=2", form)
    assert status == 200, text
    status, text = signed(gureum, "Action=ListMetrics&Version=2010-08-01&Namespace=Query", form)
    assert status == 200 and "<ListMetricsResponse" in text and "<MetricName>Q</MetricName>" in text, text
    status, text = signed(gureum, "Action=SetAlarmState&Version=2010-08-01&AlarmName=ghost"
                          "&StateValue=OK&StateReason=x", form)
    assert status == 404 and "<Code>ResourceNotFound</Code>" in text and "Alarm ghost not found" in text, text
    js = {"Content-Type": "application/x-amz-json-1.0",
          "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"}
    status, text = signed(gureum, json.dumps({"Namespace": "Query"}), js)
    assert status == 200, text
    assert json.loads(text)["Metrics"] == [{"Namespace": "Query", "MetricName": "Q", "Dimensions": []}]


def subscribed_queue(gureum, topic_name, queue_name):
    """A topic (default policy) whose enveloped notifications reach a queue."""
    sns, sqs = gureum.client("sns"), gureum.client("sqs")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    qarn = f"arn:aws:sqs:us-east-1:000000000000:{queue_name}"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": qarn}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    return topic, url


def test_an_alarm_notifies_an_sns_topic_that_a_queue_subscribes_to(cw, gureum):
    topic, url = subscribed_queue(gureum, "pager", "pager-inbox")
    dims = [{"Name": "Host", "Value": "p"}]
    cw.put_metric_alarm(
        AlarmName="pager-load", Namespace="Svc", MetricName="Load", Statistic="Maximum",
        Dimensions=dims, Period=60, EvaluationPeriods=1, Threshold=3.0,
        ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic],
    )
    cw.put_metric_data(Namespace="Svc", MetricData=[{"MetricName": "Load", "Dimensions": dims, "Value": 9.0}])
    advance(gureum, 60)
    assert state(cw, "pager-load")["StateValue"] == "ALARM"
    got = gureum.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    envelope = json.loads(got[0]["Body"])
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert envelope["Subject"] == 'ALARM: "pager-load" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == (
        "pager-load", "ALARM", "INSUFFICIENT_DATA")
    assert message["Trigger"]["Threshold"] == 3.0


def test_a_metric_filter_feeds_a_metric_that_an_alarm_watches(cw, gureum):
    logs = gureum.client("logs")
    logs.create_log_group(logGroupName="/app/web")
    logs.create_log_stream(logGroupName="/app/web", logStreamName="s")
    logs.put_metric_filter(
        logGroupName="/app/web", filterName="errors", filterPattern="ERROR",
        metricTransformations=[{"metricName": "Errors", "metricNamespace": "App",
                                "metricValue": "1", "defaultValue": 0}])
    cw.put_metric_alarm(
        AlarmName="app-errors", Namespace="App", MetricName="Errors", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=2.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold")
    t = int(now_s(gureum) * 1000)
    logs.put_log_events(logGroupName="/app/web", logStreamName="s", logEvents=[
        {"timestamp": t, "message": "ERROR disk full"},
        {"timestamp": t + 1, "message": "INFO fine"},
        {"timestamp": t + 2, "message": "ERROR disk still full"}])
    stats = cw.get_metric_statistics(
        Namespace="App", MetricName="Errors", StartTime=at(t / 1000 - 120), EndTime=at(t / 1000 + 120),
        Period=60, Statistics=["Sum", "SampleCount"])["Datapoints"]
    assert sum(d["Sum"] for d in stats) == 2.0, stats
    advance(gureum, 60)
    a = state(cw, "app-errors")
    assert a["StateValue"] == "ALARM", a
