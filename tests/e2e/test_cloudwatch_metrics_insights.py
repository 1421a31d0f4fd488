"""CloudWatch Metrics Insights in GetMetricData: SELECT FUNC(metric) FROM
SCHEMA(...) or a namespace, WHERE on dimensions, GROUP BY, ORDER BY and
LIMIT give one series per group with the right values."""
import datetime
import json
import urllib.request

import botocore.exceptions
import pytest

NS = "Gureum/Insights"


def now_s(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        return json.load(r)["now_ms"] / 1000


def at(secs):
    return datetime.datetime.fromtimestamp(secs, tz=datetime.timezone.utc)


@pytest.fixture(scope="module")
def window(gureum):
    cw = gureum.client("cloudwatch")
    base = (int(now_s(gureum)) // 300 - 3) * 300
    cpu = {"i-1": [10, 20], "i-2": [50, 70], "i-3": [30, 30]}
    data = []
    for inst, values in cpu.items():
        for n, v in enumerate(values):
            data.append({"MetricName": "CPUUtilization", "Timestamp": at(base + 10 * n), "Value": v,
                         "Dimensions": [{"Name": "InstanceId", "Value": inst}]})
    # The same metric with two dimensions: outside SCHEMA(…, InstanceId).
    data.append({"MetricName": "CPUUtilization", "Timestamp": at(base), "Value": 1000,
                 "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}, {"Name": "Az", "Value": "a"}]})
    cw.put_metric_data(Namespace=NS, MetricData=data)
    return base


def run(gureum, base, sql, label=None):
    q = {"Id": "q1", "Expression": sql, "Period": 300}
    if label:
        q["Label"] = label
    got = gureum.client("cloudwatch").get_metric_data(
        MetricDataQueries=[q], StartTime=at(base), EndTime=at(base + 300))["MetricDataResults"]
    return [(r["Label"], r["Values"]) for r in got]


def test_group_by_order_by_and_limit(gureum, window):
    got = run(gureum, window, f'SELECT AVG(CPUUtilization) FROM SCHEMA("{NS}", InstanceId) '
                              "GROUP BY InstanceId ORDER BY AVG() DESC LIMIT 2")
    assert got == [("i-2", [60.0]), ("i-3", [30.0])]


def test_where_filters_and_schema_exclude_other_dimension_sets(gureum, window):
    got = run(gureum, window, f"SELECT MAX(CPUUtilization) FROM SCHEMA(\"{NS}\", InstanceId) "
                              "WHERE InstanceId != 'i-2'", label="max")
    assert got == [("max", [30.0])]
    # A bare namespace takes every dimension set, the 1000 included.
    got = run(gureum, window, f'SELECT MAX(CPUUtilization) FROM "{NS}"')
    assert got == [("q1", [1000.0])]


def test_sum_and_count_over_all_matching_metrics(gureum, window):
    got = run(gureum, window, f'SELECT SUM(CPUUtilization) FROM SCHEMA("{NS}", InstanceId)')
    assert got == [("q1", [210.0])]
    got = run(gureum, window, f'SELECT COUNT(CPUUtilization) FROM SCHEMA("{NS}", InstanceId)')
    assert got == [("q1", [6.0])]


def test_a_malformed_query_is_refused(gureum, window):
    cw = gureum.client("cloudwatch")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[{"Id": "q1", "Expression": "SELECT MEDIAN(x) FROM ns",
                                               "Period": 60}],
                           StartTime=at(window), EndTime=at(window + 300))
    assert e.value.response["Error"]["Message"] == "Error in expression q1: Unsupported function MEDIAN"
