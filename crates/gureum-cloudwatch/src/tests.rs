//! CloudWatch's rules, by name, through the service.

use crate::CloudWatchService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

fn call(
    s: &CloudWatchService,
    c: &RequestContext,
    op: &str,
    input: Value,
) -> Result<Value, AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = s.call(c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn svc() -> CloudWatchService {
    CloudWatchService::new(Store::in_memory().expect("store"))
}

fn ctx(clock: &Clock) -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", clock.clone())
}

#[test]
fn the_operation_table_names_every_served_operation() {
    assert_eq!(svc().implemented().len(), 24);
}

#[test]
fn put_metric_data_then_statistics() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    let now = clock.now_millis() as f64 / 1000.0;
    let t0 = (now / 60.0).floor() * 60.0 - 600.0;
    call(&s, &c, "PutMetricData", json!({"Namespace": "App", "MetricData": [
        {"MetricName": "Lat", "Value": 1.0, "Timestamp": t0, "Unit": "Milliseconds"},
        {"MetricName": "Lat", "Value": 3.0, "Timestamp": t0 + 1.0, "Unit": "Milliseconds"},
        {"MetricName": "Lat", "Values": [10.0, 20.0], "Counts": [1.0, 2.0], "Timestamp": t0 + 60.0, "Unit": "Milliseconds"},
    ]})).expect("put");
    let out = call(
        &s,
        &c,
        "GetMetricStatistics",
        json!({
            "Namespace": "App", "MetricName": "Lat", "StartTime": t0, "EndTime": t0 + 120.0,
            "Period": 60, "Statistics": ["Sum", "SampleCount", "Average"],
        }),
    )
    .expect("stats");
    let dps = out["Datapoints"].as_array().expect("dps");
    assert_eq!(dps.len(), 2);
    assert_eq!(dps[0]["Sum"], 4.0);
    assert_eq!(dps[1]["Sum"], 50.0);
    assert_eq!(dps[1]["SampleCount"], 3.0);
    assert_eq!(dps[0]["Unit"], "Milliseconds");
}

/// The start of the minute `back` minutes before now on `clock`.
fn minute(clock: &Clock, back: i64) -> f64 {
    ((clock.now_millis() / 60_000 - back) * 60) as f64
}

fn put(s: &CloudWatchService, c: &RequestContext, name: &str, ts: f64, v: f64) {
    call(
        s,
        c,
        "PutMetricData",
        json!({"Namespace": "T", "MetricData": [{"MetricName": name, "Value": v, "Timestamp": ts}]}),
    )
    .expect("put");
}

fn alarm(s: &CloudWatchService, c: &RequestContext, name: &str, extra: Value) {
    let mut input = json!({
        "AlarmName": name, "Namespace": "T", "MetricName": name, "Statistic": "Maximum",
        "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": 3.0,
        "ComparisonOperator": "GreaterThanThreshold",
    });
    for (k, v) in extra.as_object().expect("object") {
        if v.is_null() {
            input.as_object_mut().expect("object").remove(k);
        } else {
            input[k] = v.clone();
        }
    }
    call(s, c, "PutMetricAlarm", input).expect("alarm");
}

fn state_of(s: &CloudWatchService, c: &RequestContext, name: &str) -> (String, String) {
    let out = call(
        s,
        c,
        "DescribeAlarms",
        json!({"AlarmNames": [name], "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}),
    )
    .expect("describe");
    let a = out["MetricAlarms"]
        .get(0)
        .or_else(|| out["CompositeAlarms"].get(0))
        .expect("alarm")
        .clone();
    (
        a["StateValue"].as_str().expect("state").to_string(),
        a["StateReason"].as_str().expect("reason").to_string(),
    )
}

#[test]
fn m_of_n_datapoints_decide_alarm() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    for (i, v) in [5.0, 1.0, 5.0].iter().enumerate() {
        put(&s, &c, "two", minute(&clock, 3 - i as i64) + 1.0, *v);
    }
    for (i, v) in [5.0, 1.0, 1.0].iter().enumerate() {
        put(&s, &c, "one", minute(&clock, 3 - i as i64) + 1.0, *v);
    }
    alarm(&s, &c, "two", json!({}));
    alarm(&s, &c, "one", json!({}));
    let (st, reason) = state_of(&s, &c, "two");
    assert_eq!(st, "ALARM");
    assert!(
        reason.starts_with("Threshold Crossed: 2 out of the last 3 datapoints [5.0 ("),
        "{reason}"
    );
    assert!(
        reason.ends_with("were greater than the threshold (3.0) (minimum 2 datapoints for OK -> ALARM transition)."),
        "{reason}"
    );
    assert_eq!(state_of(&s, &c, "one").0, "OK");
}

#[test]
fn treat_missing_data_modes_when_every_period_is_missing() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    for mode in ["missing", "ignore", "breaching", "notBreaching"] {
        alarm(&s, &c, mode, json!({"TreatMissingData": mode}));
    }
    let (st, reason) = state_of(&s, &c, "missing");
    assert_eq!(st, "INSUFFICIENT_DATA");
    assert_eq!(reason, "Unchecked: Initial alarm creation");
    assert_eq!(state_of(&s, &c, "ignore").0, "INSUFFICIENT_DATA");
    let (st, reason) = state_of(&s, &c, "breaching");
    assert_eq!(st, "ALARM");
    assert_eq!(
        reason,
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]."
    );
    let (st, reason) = state_of(&s, &c, "notBreaching");
    assert_eq!(st, "OK");
    assert!(reason.ends_with("treated as [NonBreaching]."), "{reason}");
    // `ignore` keeps whatever state it had.
    call(
        &s,
        &c,
        "SetAlarmState",
        json!({"AlarmName": "ignore", "StateValue": "ALARM", "StateReason": "set"}),
    )
    .expect("set");
    clock.advance_millis(120_000);
    assert_eq!(state_of(&s, &c, "ignore").0, "ALARM");
}

#[test]
fn treat_missing_data_modes_with_one_breaching_point() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    for mode in ["missing", "breaching", "notBreaching"] {
        let name = format!("one-{mode}");
        put(&s, &c, &name, minute(&clock, 1) + 1.0, 9.0);
        alarm(
            &s,
            &c,
            &name,
            json!({"TreatMissingData": mode, "MetricName": name}),
        );
    }
    assert_eq!(state_of(&s, &c, "one-missing").0, "OK", "1 of 2 needed");
    assert_eq!(
        state_of(&s, &c, "one-breaching").0,
        "ALARM",
        "1 + 2 missing"
    );
    assert_eq!(state_of(&s, &c, "one-notBreaching").0, "OK");
}

#[test]
fn percentile_alarms_read_extended_statistics() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    let ts = minute(&clock, 1) + 1.0;
    call(
        &s,
        &c,
        "PutMetricData",
        json!({"Namespace": "T", "MetricData": [{"MetricName": "lat", "Timestamp": ts,
            "Values": [1.0, 100.0], "Counts": [98.0, 2.0]}]}),
    )
    .expect("put");
    let base = json!({"MetricName": "lat", "Statistic": null, "ExtendedStatistic": "p99",
        "EvaluationPeriods": 1, "DatapointsToAlarm": 1, "Threshold": 50.0});
    alarm(&s, &c, "p99", base);
    assert_eq!(state_of(&s, &c, "p99").0, "ALARM");
}

#[test]
fn a_busy_metric_seals_its_tail_and_reads_every_point() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    let ts = minute(&clock, 2);
    for batch in 0..40 {
        let data: Vec<Value> = (0..20)
            .map(|i| json!({"MetricName": "busy", "Value": f64::from(batch * 20 + i), "Timestamp": ts + 1.0}))
            .collect();
        call(
            &s,
            &c,
            "PutMetricData",
            json!({"Namespace": "T", "MetricData": data}),
        )
        .expect("put");
    }
    let rows = s.chunks.scan_prefix("").expect("rows");
    assert!(rows.len() > 2, "the tail was sealed: {} rows", rows.len());
    assert!(rows
        .iter()
        .all(|(_, b)| b.len() <= crate::store::TAIL_BYTES));
    let out = call(
        &s,
        &c,
        "GetMetricStatistics",
        json!({"Namespace": "T", "MetricName": "busy", "StartTime": ts, "EndTime": ts + 60.0,
            "Period": 60, "Statistics": ["SampleCount", "Sum"]}),
    )
    .expect("stats");
    assert_eq!(out["Datapoints"][0]["SampleCount"], 800.0);
    assert_eq!(out["Datapoints"][0]["Sum"], f64::from(799 * 800 / 2));
}

#[test]
fn composite_rules_follow_children_and_refuse_unknown_ones() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    alarm(&s, &c, "a", json!({}));
    alarm(&s, &c, "b", json!({}));
    let e = call(
        &s,
        &c,
        "PutCompositeAlarm",
        json!({"AlarmName": "both", "AlarmRule": "ALARM(a) AND ALARM(zz)"}),
    )
    .expect_err("unknown child");
    assert_eq!(
        e.message,
        "Could not save the composite alarm as alarms [zz] in the alarm rule do not exist"
    );
    call(
        &s,
        &c,
        "PutCompositeAlarm",
        json!({"AlarmName": "both", "AlarmRule": "ALARM(a) AND NOT OK(b)"}),
    )
    .expect("composite");
    assert_eq!(state_of(&s, &c, "both").0, "OK");
    call(
        &s,
        &c,
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "ALARM", "StateReason": "x"}),
    )
    .expect("set");
    assert_eq!(state_of(&s, &c, "both").0, "ALARM", "b is not OK");
}

#[test]
fn metric_data_limits_and_timestamps() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"MetricName": "m", "Value": 1.0}))
        .collect();
    let e = call(
        &s,
        &c,
        "PutMetricData",
        json!({"Namespace": "T", "MetricData": many}),
    )
    .expect_err("too many");
    assert_eq!(
        e.message,
        "The collection MetricData must not have a size greater than 1000."
    );
    let future = clock.now_millis() as f64 / 1000.0 + 3.0 * 3600.0;
    let e = call(
        &s,
        &c,
        "PutMetricData",
        json!({"Namespace": "T", "MetricData": [{"MetricName": "m", "Value": 1.0, "Timestamp": future}]}),
    )
    .expect_err("future");
    assert_eq!(e.code, "InvalidParameterValue");
    let e = call(
        &s,
        &c,
        "PutMetricData",
        json!({"Namespace": "T", "MetricData": [{"MetricName": "m", "Values": [1.0, 2.0], "Counts": [1.0]}]}),
    )
    .expect_err("counts");
    assert_eq!(
        e.message,
        "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."
    );
}

/// The handlers' own costs, without HTTP (run in release:
/// `cargo test --release -p gureum-cloudwatch -- --ignored --nocapture`).
#[test]
#[ignore = "a measurement: run in release with --nocapture"]
fn handler_costs() {
    let dir = std::env::temp_dir().join(format!("gureum-cw-bench-{}", std::process::id()));
    let s = CloudWatchService::new(Store::open(&dir).expect("store"));
    let clock = Clock::system();
    let c = ctx(&clock);
    let values: Vec<f64> = (0..20).map(f64::from).collect();
    let put = json!({"Namespace": "B", "MetricData": [{"MetricName": "P",
        "Dimensions": [{"Name": "Host", "Value": "h1"}], "Values": values, "Unit": "Milliseconds"}]});
    let n = 5000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        call(&s, &c, "PutMetricData", put.clone()).expect("put");
    }
    println!(
        "PutMetricData, 20 values: {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
    );

    let end = minute(&clock, 0);
    let start = end - 1440.0 * 60.0;
    for m in 0..10 {
        for b in 0..2 {
            let data: Vec<Value> = (b * 720..(b + 1) * 720)
                .map(|i| {
                    json!({"MetricName": format!("M{m}"), "Value": f64::from(i % 97),
                    "Timestamp": start + 60.0 * f64::from(i)})
                })
                .collect();
            call(
                &s,
                &c,
                "PutMetricData",
                json!({"Namespace": "B", "MetricData": data}),
            )
            .expect("load");
        }
    }
    let queries: Vec<Value> = (0..10)
        .map(|m| {
            json!({"Id": format!("m{m}"), "MetricStat": {"Metric": {"Namespace": "B",
            "MetricName": format!("M{m}")}, "Period": 60, "Stat": "Average"}})
        })
        .collect();
    let q = json!({"MetricDataQueries": queries, "StartTime": start, "EndTime": end});
    let reads = 50;
    let t = std::time::Instant::now();
    let mut points = 0;
    for _ in 0..reads {
        let out = call(&s, &c, "GetMetricData", q.clone()).expect("read");
        points = out["MetricDataResults"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["Values"].as_array().map_or(0, Vec::len))
            .sum::<usize>();
    }
    println!(
        "GetMetricData, 1 day x 10 metrics ({points} datapoints): {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3 / f64::from(reads)
    );

    for i in 0..1000 {
        alarm(
            &s,
            &c,
            &format!("a{i}"),
            json!({"MetricName": format!("M{}", i % 10),
            "Namespace": "B", "EvaluationPeriods": 5, "DatapointsToAlarm": 3}),
        );
    }
    let t = std::time::Instant::now();
    let passes = 5;
    for _ in 0..passes {
        clock.advance_millis(60_000);
        s.evaluate_due(clock.now_millis()).expect("evaluate");
    }
    let per_pass = t.elapsed().as_secs_f64() / f64::from(passes);
    println!(
        "1,000 alarms evaluated: {:.1} ms a minute = {:.2} % of one core",
        per_pass * 1e3,
        per_pass / 60.0 * 100.0
    );
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_old_enough_breach_with_only_missing_data_after_it_alarms() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    // `X -` over the last three periods, M = 2: the breach is two periods
    // old and nothing newer contradicts it.
    put(&s, &c, "lag", minute(&clock, 2) + 1.0, 9.0);
    alarm(&s, &c, "lag", json!({}));
    assert_eq!(state_of(&s, &c, "lag").0, "ALARM");
    // `X 1`: a newer datapoint that does not breach keeps it OK.
    put(&s, &c, "lag2", minute(&clock, 2) + 1.0, 9.0);
    put(&s, &c, "lag2", minute(&clock, 1) + 1.0, 1.0);
    alarm(&s, &c, "lag2", json!({}));
    assert_eq!(state_of(&s, &c, "lag2").0, "OK");
}

#[test]
fn dashboard_bodies_are_validated_with_aws_messages() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    let body = json!({"widgets": [{"type": "metric", "properties": {}}]}).to_string();
    let e = call(
        &s,
        &c,
        "PutDashboard",
        json!({"DashboardName": "d", "DashboardBody": body}),
    )
    .expect_err("invalid");
    assert_eq!(e.code, "DashboardInvalidInputError");
    assert!(
        e.message.starts_with(
            "The dashboard body is invalid, there are 3 validation errors:\n[\n  {\n    \"dataPath\": \"/widgets/0/properties\",\n    \"message\": \"Should have required property 'metrics'\"\n  },"
        ),
        "{}",
        e.message
    );
    let e = call(
        &s,
        &c,
        "PutDashboard",
        json!({"DashboardName": "bad name!", "DashboardBody": "{\"widgets\": []}"}),
    )
    .expect_err("name");
    assert_eq!(e.code, "InvalidParameterValue");
    let e = call(&s, &c, "GetDashboard", json!({"DashboardName": "none"})).expect_err("missing");
    assert_eq!(e.message, "Dashboard none does not exist");
}

#[test]
fn an_anomaly_band_alarm_fires_outside_the_band() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    for back in 2..30 {
        put(
            &s,
            &c,
            "steady",
            minute(&clock, back) + 1.0,
            10.0 + (back % 3) as f64,
        );
    }
    put(&s, &c, "steady", minute(&clock, 1) + 1.0, 500.0);
    call(
        &s,
        &c,
        "PutMetricAlarm",
        json!({"AlarmName": "band", "EvaluationPeriods": 1,
        "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold",
        "ThresholdMetricId": "ad1",
        "Metrics": [
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "T", "MetricName": "steady"},
                "Period": 60, "Stat": "Average"}},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
        ]}),
    )
    .expect("alarm");
    let (st, reason) = state_of(&s, &c, "band");
    assert_eq!(st, "ALARM", "{reason}");
    assert!(reason.contains("was outside the band ["), "{reason}");
}

#[test]
fn an_actions_suppressor_in_alarm_holds_a_composite_alarms_actions() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    alarm(&s, &c, "child", json!({}));
    alarm(&s, &c, "maintenance", json!({}));
    call(
        &s,
        &c,
        "PutCompositeAlarm",
        json!({"AlarmName": "page", "AlarmRule": "ALARM(child)",
            "AlarmActions": ["arn:aws:sns:us-east-1:000000000000:pager"],
            "ActionsSuppressor": "maintenance", "ActionsSuppressorWaitPeriod": 60,
            "ActionsSuppressorExtensionPeriod": 60}),
    )
    .expect("composite");
    let set = |name: &str, state: &str| {
        call(
            &s,
            &c,
            "SetAlarmState",
            json!({"AlarmName": name, "StateValue": state, "StateReason": "t"}),
        )
        .expect("set");
    };
    set("maintenance", "ALARM");
    set("child", "ALARM");
    assert_eq!(state_of(&s, &c, "page").0, "ALARM");
    let out = call(
        &s,
        &c,
        "DescribeAlarms",
        json!({"AlarmNames": ["page"], "AlarmTypes": ["CompositeAlarm"]}),
    )
    .expect("describe");
    assert_eq!(out["CompositeAlarms"][0]["ActionsSuppressedBy"], "Alarm");
    assert!(s.recorder.all().expect("actions").is_empty(), "suppressed");
    set("maintenance", "OK");
    set("child", "OK");
    set("child", "ALARM");
    let fired = s.recorder.all().expect("actions");
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].notice.alarm_name, "page");
    assert_eq!(fired[0].notice.message["AlarmRule"], "ALARM(child)");
}

#[test]
fn get_metric_data_pages_by_max_datapoints() {
    let s = svc();
    let clock = Clock::system();
    let c = ctx(&clock);
    for back in 1..=5 {
        put(&s, &c, "pg", minute(&clock, back), back as f64);
    }
    let q = json!({"StartTime": minute(&clock, 5), "EndTime": minute(&clock, 0),
        "MaxDatapoints": 3, "ScanBy": "TimestampAscending",
        "MetricDataQueries": [{"Id": "m", "MetricStat": {"Metric": {"Namespace": "T", "MetricName": "pg"},
            "Period": 60, "Stat": "Sum"}}]});
    let first = call(&s, &c, "GetMetricData", q.clone()).expect("page 1");
    assert_eq!(
        first["MetricDataResults"][0]["Values"],
        json!([5.0, 4.0, 3.0])
    );
    assert_eq!(first["MetricDataResults"][0]["StatusCode"], "PartialData");
    let mut q2 = q.clone();
    q2["NextToken"] = first["NextToken"].clone();
    let second = call(&s, &c, "GetMetricData", q2).expect("page 2");
    assert_eq!(second["MetricDataResults"][0]["Values"], json!([2.0, 1.0]));
    assert_eq!(second["MetricDataResults"][0]["StatusCode"], "Complete");
    assert!(second.get("NextToken").is_none());
    let mut bad = q;
    bad["NextToken"] = json!("nope");
    assert_eq!(
        call(&s, &c, "GetMetricData", bad).expect_err("token").code,
        "InvalidNextToken"
    );
}
