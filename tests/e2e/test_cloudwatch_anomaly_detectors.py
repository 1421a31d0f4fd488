"""CloudWatch anomaly detectors: PutAnomalyDetector / DescribeAnomalyDetectors
/ DeleteAnomalyDetector keep detectors (single metric and metric math) across
a restart, and a single-metric detector's ExcludedTimeRanges feed the band
ANOMALY_DETECTION_BAND draws for that metric in GetMetricData."""
import datetime
import json
import urllib.request

import botocore.exceptions
import pytest

NS = "Gureum/Anomaly"
DIMS = [{"Name": "Host", "Value": "a"}]


def now_s(gureum):
    with urllib.request.urlopen(gureum.endpoint + "/_gureum/clock") as r:
        return json.load(r)["now_ms"] / 1000


def at(secs):
    return datetime.datetime.fromtimestamp(secs, tz=datetime.timezone.utc)


def single(metric="Latency", stat="Average"):
    return {"Namespace": NS, "MetricName": metric, "Dimensions": DIMS, "Stat": stat}


def error(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def _band(cw, start, end, metric="Latency"):
    got = cw.get_metric_data(
        MetricDataQueries=[
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": metric, "Dimensions": DIMS},
                                        "Period": 60, "Stat": "Average"}},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
        ],
        StartTime=at(start), EndTime=at(end))["MetricDataResults"]
    bands = [r for r in got if r["Id"] == "ad1"]
    return sorted(max(r["Values"]) for r in bands)


def test_excluded_time_ranges_leave_a_spike_out_of_the_band(gureum):
    cw = gureum.client("cloudwatch")
    base = (int(now_s(gureum)) // 60 - 12) * 60
    data = [{"MetricName": "Latency", "Dimensions": DIMS, "Timestamp": at(base + 60 * i),
             "Value": 1000.0 if i == 5 else 10.0} for i in range(10)]
    cw.put_metric_data(Namespace=NS, MetricData=data)
    lower, upper = _band(cw, base, base + 600)
    assert upper > 500
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single(), Configuration={
        "ExcludedTimeRanges": [{"StartTime": at(base + 300), "EndTime": at(base + 330)}],
        "MetricTimezone": "UTC"})
    lower, upper = _band(cw, base, base + 600)
    assert (lower, upper) == (10.0, 10.0)


def test_detectors_are_described_filtered_and_deleted(gureum):
    cw = gureum.client("cloudwatch")
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single("Errors", "Sum"),
                            MetricCharacteristics={"PeriodicSpikes": True})
    cw.put_anomaly_detector(MetricMathAnomalyDetector={"MetricDataQueries": [
        {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "Errors"},
                                                         "Period": 300, "Stat": "Sum"}},
        {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]})
    found = cw.describe_anomaly_detectors(MetricName="Errors")["AnomalyDetectors"]
    assert [d["SingleMetricAnomalyDetector"]["Stat"] for d in found] == ["Sum"]
    assert found[0]["SingleMetricAnomalyDetector"]["AccountId"] == "000000000000"
    assert found[0]["MetricCharacteristics"] == {"PeriodicSpikes": True}
    assert found[0]["StateValue"] == "TRAINED"
    math = cw.describe_anomaly_detectors(AnomalyDetectorTypes=["METRIC_MATH"])["AnomalyDetectors"]
    assert len(math) == 1 and math[0]["MetricMathAnomalyDetector"]["MetricDataQueries"][1]["Id"] == "e1"
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single("Errors", "Sum"))
    assert cw.describe_anomaly_detectors(MetricName="Errors")["AnomalyDetectors"] == []
    code, _ = error(cw.delete_anomaly_detector, SingleMetricAnomalyDetector=single("Errors", "Sum"))
    assert code == "ResourceNotFoundException"


def test_a_detector_needs_a_statistic_and_valid_ranges(gureum):
    cw = gureum.client("cloudwatch")
    assert error(cw.put_anomaly_detector, SingleMetricAnomalyDetector={"Namespace": NS, "MetricName": "X"}) == (
        "MissingParameter", "The parameter SingleMetricAnomalyDetector.Stat is required.")
    code, message = error(cw.put_anomaly_detector, SingleMetricAnomalyDetector=single(stat="Median"))
    assert (code, message) == ("InvalidParameterValue",
                               "The value Median for parameter SingleMetricAnomalyDetector.Stat is invalid.")
    code, _ = error(cw.put_anomaly_detector, SingleMetricAnomalyDetector=single(), Configuration={
        "ExcludedTimeRanges": [{"StartTime": at(2000), "EndTime": at(1000)}]})
    assert code == "InvalidParameterValue"


def test_detectors_persist_across_restart(gureum):
    cw = gureum.client("cloudwatch")
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single("Kept", "p90"))
    gureum.restart(kill=True)
    cw = gureum.client("cloudwatch")
    kept = cw.describe_anomaly_detectors(MetricName="Kept")["AnomalyDetectors"]
    assert [d["Stat"] for d in kept] == ["p90"]
