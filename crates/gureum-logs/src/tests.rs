//! CloudWatch Logs' rules, one per test, through `Service::call`.

use crate::{LogsService, ServiceEvent};
use gureum_core::{AwsError, Clock, RequestContext, Scope, Service, Value};
use gureum_kit::metrics::{Datapoint, MetricSink};
use gureum_store::Store;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Recorder(Mutex<Vec<Datapoint>>);

impl MetricSink for Recorder {
    fn put(&self, _scope: Scope<'_>, points: Vec<Datapoint>) {
        self.0.lock().expect("lock").extend(points);
    }
}

struct Env {
    svc: LogsService,
    clock: Clock,
    metrics: Arc<Recorder>,
}

const DAY: i64 = 86_400_000;

impl Env {
    fn new() -> Self {
        let metrics = Arc::new(Recorder::default());
        Env {
            svc: LogsService::with_metrics(Store::in_memory().expect("store"), metrics.clone()),
            clock: Clock::with_offset(0),
            metrics,
        }
    }

    fn ctx(&self) -> RequestContext {
        RequestContext::root("000000000000", "us-east-1", self.clock.clone())
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        self.svc.call(&self.ctx(), op, input).await
    }

    async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code, e.message),
        }
    }

    async fn err(&self, op: &str, input: Value) -> AwsError {
        self.call(op, input).await.expect_err(op)
    }

    async fn group_and_stream(&self, g: &str, s: &str) {
        self.ok("CreateLogGroup", json!({"logGroupName": g})).await;
        self.ok(
            "CreateLogStream",
            json!({"logGroupName": g, "logStreamName": s}),
        )
        .await;
    }

    async fn put(&self, g: &str, s: &str, events: &[(i64, &str)]) -> Value {
        let events: Vec<Value> = events
            .iter()
            .map(|(t, m)| json!({"timestamp": t, "message": m}))
            .collect();
        self.ok(
            "PutLogEvents",
            json!({"logGroupName": g, "logStreamName": s, "logEvents": events}),
        )
        .await
    }
}

fn messages(out: &Value) -> Vec<String> {
    out["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message"].as_str().expect("message").to_string())
        .collect()
}

#[tokio::test]
async fn a_second_group_of_the_same_name_is_refused() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let e = env
        .err("CreateLogGroup", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ResourceAlreadyExistsException",
            "The specified log group already exists"
        )
    );
}

#[tokio::test]
async fn retention_must_be_one_of_awss_values() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let e = env
        .err(
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": 2}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException");
    assert!(e.message.starts_with("1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14,"), "{}", e.message);
    env.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 7}),
    )
    .await;
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["retentionInDays"], 7);
    env.ok("DeleteRetentionPolicy", json!({"logGroupName": "g"}))
        .await;
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert!(d["logGroups"][0].get("retentionInDays").is_none());
}

#[tokio::test]
async fn stored_bytes_count_messages_in_group_and_stream() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    env.put("g", "s", &[(now, "hello"), (now + 1, "abc")]).await;
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["storedBytes"], 8);
    let s = env
        .ok("DescribeLogStreams", json!({"logGroupName": "g"}))
        .await;
    let s = &s["logStreams"][0];
    assert_eq!(s["storedBytes"], 8);
    assert_eq!(s["firstEventTimestamp"], now);
    assert_eq!(s["lastEventTimestamp"], now + 1);
}

#[tokio::test]
async fn a_batch_spanning_more_than_a_day_is_refused() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    let e = env
        .err(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": now - 2 * DAY, "message": "a"},
                {"timestamp": now, "message": "b"}]}),
        )
        .await;
    assert_eq!(
        e.message,
        "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
    );
}

#[tokio::test]
async fn events_out_of_order_are_refused() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    let e = env
        .err(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": now, "message": "a"},
                {"timestamp": now - 1, "message": "b"}]}),
        )
        .await;
    assert_eq!(
        e.message,
        "Log events in a single PutLogEvents request must be in chronological order."
    );
}

#[tokio::test]
async fn too_new_events_are_skipped_and_reported() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    let out = env
        .put("g", "s", &[(now, "ok"), (now + 3 * 3_600_000, "new")])
        .await;
    assert_eq!(out["rejectedLogEventsInfo"]["tooNewLogEventStartIndex"], 1);
    assert!(out["nextSequenceToken"].is_string());
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        )
        .await;
    assert_eq!(messages(&got), ["ok"]);
}

#[tokio::test]
async fn too_old_and_expired_events_are_reported() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    env.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 1}),
    )
    .await;
    let now = env.now();
    let out = env
        .put(
            "g",
            "s",
            &[(now - DAY - 5_000, "expired"), (now - DAY + 1_000, "ok")],
        )
        .await;
    assert_eq!(out["rejectedLogEventsInfo"]["expiredLogEventEndIndex"], 1);
}

#[tokio::test]
async fn put_to_a_missing_stream_is_refused() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let e = env
        .err(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "nope", "logEvents": [{"timestamp": env.now(), "message": "x"}]}),
        )
        .await;
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log stream does not exist."
        )
    );
}

#[tokio::test]
async fn get_log_events_pages_forward_and_backward_and_repeats_the_token_at_the_end() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    let events: Vec<(i64, String)> = (0..5).map(|i| (now + i, format!("m{i}"))).collect();
    let refs: Vec<(i64, &str)> = events.iter().map(|(t, m)| (*t, m.as_str())).collect();
    env.put("g", "s", &refs).await;
    let base = json!({"logGroupName": "g", "logStreamName": "s", "limit": 2});
    // From the head.
    let mut q = base.clone();
    q["startFromHead"] = json!(true);
    let p1 = env.ok("GetLogEvents", q).await;
    assert_eq!(messages(&p1), ["m0", "m1"]);
    let mut q = base.clone();
    q["nextToken"] = p1["nextForwardToken"].clone();
    let p2 = env.ok("GetLogEvents", q).await;
    assert_eq!(messages(&p2), ["m2", "m3"]);
    let mut q = base.clone();
    q["nextToken"] = p2["nextForwardToken"].clone();
    let p3 = env.ok("GetLogEvents", q).await;
    assert_eq!(messages(&p3), ["m4"]);
    let mut q = base.clone();
    q["nextToken"] = p3["nextForwardToken"].clone();
    let end = env.ok("GetLogEvents", q).await;
    assert!(messages(&end).is_empty());
    assert_eq!(end["nextForwardToken"], p3["nextForwardToken"]);
    // From the tail (the default), then backwards.
    let t1 = env.ok("GetLogEvents", base.clone()).await;
    assert_eq!(messages(&t1), ["m3", "m4"]);
    let mut q = base.clone();
    q["nextToken"] = t1["nextBackwardToken"].clone();
    let t2 = env.ok("GetLogEvents", q).await;
    assert_eq!(messages(&t2), ["m1", "m2"]);
    // Bad tokens are refused.
    let mut q = base.clone();
    q["nextToken"] = json!("x/123");
    let e = env.err("GetLogEvents", q).await;
    assert_eq!(e.message, "The specified nextToken is invalid.");
}

#[tokio::test]
async fn get_log_events_honours_the_time_range() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    env.put("g", "s", &[(now, "a"), (now + 10, "b"), (now + 20, "c")])
        .await;
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "startTime": now + 10, "endTime": now + 20, "startFromHead": true}),
        )
        .await;
    // endTime is exclusive.
    assert_eq!(messages(&got), ["b"]);
}

#[tokio::test]
async fn filter_log_events_interleaves_streams_matches_patterns_and_pages() {
    let env = Env::new();
    env.group_and_stream("g", "a").await;
    env.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "b"}),
    )
    .await;
    let now = env.now();
    env.put(
        "g",
        "a",
        &[
            (now, "ERROR one"),
            (now + 2, "INFO two"),
            (now + 4, "ERROR three"),
        ],
    )
    .await;
    env.put(
        "g",
        "b",
        &[(now + 1, "ERROR four"), (now + 3, "ERROR five")],
    )
    .await;
    let out = env
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "ERROR", "limit": 3}),
        )
        .await;
    assert_eq!(messages(&out), ["ERROR one", "ERROR four", "ERROR five"]);
    assert_eq!(out["events"][1]["logStreamName"], "b");
    let next = env
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "ERROR", "limit": 3, "nextToken": out["nextToken"]}),
        )
        .await;
    assert_eq!(messages(&next), ["ERROR three"]);
    assert!(next.get("nextToken").is_none());
    let only_b = env
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "g", "logStreamNames": ["b"], "filterPattern": "five"}),
        )
        .await;
    assert_eq!(messages(&only_b), ["ERROR five"]);
    let e = env
        .err(
            "FilterLogEvents",
            json!({"logGroupName": "g", "logStreamNames": ["b", "nope"]}),
        )
        .await;
    assert_eq!(e.message, "The specified log stream does not exist.");
    let e = env
        .err(
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "{ $.a = "}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException");
}

#[tokio::test]
async fn retention_expires_events_when_the_clock_moves() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    env.put("g", "s", &[(now, "old")]).await;
    env.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 1}),
    )
    .await;
    env.clock.advance_millis(DAY / 2);
    env.put("g", "s", &[(env.now(), "young")]).await;
    env.clock.advance_millis(DAY / 2 + 1_000);
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true}),
        )
        .await;
    assert_eq!(messages(&got), ["young"]);
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["storedBytes"], 5);
}

#[tokio::test]
async fn describe_log_streams_orders_by_last_event_time_descending() {
    let env = Env::new();
    env.group_and_stream("g", "a").await;
    env.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "b"}),
    )
    .await;
    let now = env.now();
    env.put("g", "b", &[(now, "x")]).await;
    env.put("g", "a", &[(now + 5, "x")]).await;
    let out = env
        .ok(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true, "limit": 1}),
        )
        .await;
    assert_eq!(out["logStreams"][0]["logStreamName"], "a");
    let out = env
        .ok(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true, "limit": 1, "nextToken": out["nextToken"]}),
        )
        .await;
    assert_eq!(out["logStreams"][0]["logStreamName"], "b");
    let e = env
        .err(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "a"}),
        )
        .await;
    assert_eq!(
        e.message,
        "Cannot order by LastEventTime with a logStreamNamePrefix."
    );
}

#[tokio::test]
async fn metric_filters_emit_values_from_matching_events() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    env.ok(
        "PutMetricFilter",
        json!({"logGroupName": "g", "filterName": "lat", "filterPattern": "{ $.ms > 0 }",
               "metricTransformations": [{"metricName": "Latency", "metricNamespace": "App",
                                          "metricValue": "$.ms", "unit": "Milliseconds",
                                          "dimensions": {"Svc": "$.svc"}}]}),
    )
    .await;
    let now = env.now();
    env.put(
        "g",
        "s",
        &[
            (now, r#"{"ms": 12, "svc": "api"}"#),
            (now + 1, r#"{"ms": 0}"#),
            (now + 2, "text"),
        ],
    )
    .await;
    let points = env.metrics.0.lock().expect("lock").clone();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].namespace, "App");
    assert_eq!(points[0].value, 12.0);
    assert_eq!(points[0].unit, "Milliseconds");
    assert_eq!(points[0].dimensions, vec![("Svc".into(), "api".into())]);
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["metricFilterCount"], 1);
    let f = env
        .ok("DescribeMetricFilters", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(f["metricFilters"][0]["filterName"], "lat");
    env.ok(
        "DeleteMetricFilter",
        json!({"logGroupName": "g", "filterName": "lat"}),
    )
    .await;
    let e = env
        .err(
            "DeleteMetricFilter",
            json!({"logGroupName": "g", "filterName": "lat"}),
        )
        .await;
    assert_eq!(e.message, "The specified metric filter does not exist.");
}

#[tokio::test]
async fn test_metric_filter_reports_matches_with_extracted_values() {
    let env = Env::new();
    let out = env
        .ok(
            "TestMetricFilter",
            json!({"filterPattern": "[ip, user, status = 4*]",
                   "logEventMessages": ["1.2.3.4 bob 200", "1.2.3.4 alice 404"]}),
        )
        .await;
    assert_eq!(
        out["matches"],
        json!([{"eventNumber": 2, "eventMessage": "1.2.3.4 alice 404",
                "extractedValues": {"$ip": "1.2.3.4", "$user": "alice", "$status": "404"}}])
    );
}

#[tokio::test]
async fn subscription_filters_are_limited_to_two_per_group() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    for n in ["a", "b"] {
        env.ok(
            "PutSubscriptionFilter",
            json!({"logGroupName": "g", "filterName": n, "filterPattern": "",
                   "destinationArn": "arn:aws:lambda:us-east-1:000000000000:function:f"}),
        )
        .await;
    }
    let e = env
        .err(
            "PutSubscriptionFilter",
            json!({"logGroupName": "g", "filterName": "c", "filterPattern": "",
                   "destinationArn": "arn:aws:lambda:us-east-1:000000000000:function:f"}),
        )
        .await;
    assert_eq!(e.code, "LimitExceededException");
    let d = env
        .ok("DescribeSubscriptionFilters", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(d["subscriptionFilters"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn insights_counts_events_per_minute() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let minute = env.now() / 60_000 * 60_000 - 10 * 60_000;
    env.put(
        "g",
        "s",
        &[(minute + 1, "a"), (minute + 2, "b"), (minute + 60_001, "c")],
    )
    .await;
    let id = env
        .ok(
            "StartQuery",
            json!({"logGroupName": "g", "startTime": minute / 1000 - 60, "endTime": env.now() / 1000,
                   "queryString": "stats count(*) by bin(1m)"}),
        )
        .await["queryId"]
        .as_str()
        .expect("id")
        .to_string();
    let r = env.ok("GetQueryResults", json!({"queryId": id})).await;
    assert_eq!(r["status"], "Complete");
    assert_eq!(
        r["results"][0][1],
        json!({"field": "count(*)", "value": "2"})
    );
    assert_eq!(
        r["results"][1][1],
        json!({"field": "count(*)", "value": "1"})
    );
    assert_eq!(r["statistics"]["recordsScanned"], 3.0);
    let e = env
        .err(
            "StartQuery",
            json!({"logGroupName": "g", "startTime": 0, "endTime": 1, "queryString": "stats bogus"}),
        )
        .await;
    assert_eq!(e.code, "MalformedQueryException");
}

#[tokio::test]
async fn tags_through_both_apis() {
    let env = Env::new();
    env.ok(
        "CreateLogGroup",
        json!({"logGroupName": "g", "tags": {"a": "1"}}),
    )
    .await;
    let arn = "arn:aws:logs:us-east-1:000000000000:log-group:g";
    env.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": {"b": "2"}}),
    )
    .await;
    env.ok(
        "TagLogGroup",
        json!({"logGroupName": "g", "tags": {"c": "3"}}),
    )
    .await;
    env.ok("UntagLogGroup", json!({"logGroupName": "g", "tags": ["a"]}))
        .await;
    let t = env
        .ok("ListTagsForResource", json!({"resourceArn": arn}))
        .await;
    assert_eq!(t["tags"], json!({"b": "2", "c": "3"}));
    env.ok(
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["b"]}),
    )
    .await;
    let t = env
        .ok("ListTagsLogGroup", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(t["tags"], json!({"c": "3"}));
}

#[tokio::test]
async fn deleting_a_group_removes_its_streams_and_events() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    env.put("g", "s", &[(env.now(), "x")]).await;
    env.ok("DeleteLogGroup", json!({"logGroupName": "g"})).await;
    env.group_and_stream("g", "s").await;
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        )
        .await;
    assert!(messages(&got).is_empty());
}

#[tokio::test]
async fn other_services_write_through_put_events_from_service() {
    let env = Env::new();
    let ctx = env.ctx();
    let now = env.now();
    env.svc
        .put_events_from_service(
            &env.clock,
            Scope::regional(&ctx),
            "/aws/events/rule",
            "stream-1",
            &[
                ServiceEvent {
                    timestamp: now + 1,
                    message: "second".into(),
                },
                ServiceEvent {
                    timestamp: now,
                    message: "first".into(),
                },
            ],
        )
        .expect("put");
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "/aws/events/rule", "logStreamName": "stream-1", "startFromHead": true}),
        )
        .await;
    assert_eq!(messages(&got), ["first", "second"]);
}

/// `FilterLogEvents` with a term pattern over 1,000,000 events in one
/// stream. Run in release: `cargo test -p gureum-logs --release --lib
/// -- --ignored --nocapture filter_a_million`.
#[tokio::test]
#[ignore]
async fn filter_a_million_events_with_a_term_pattern() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let start = env.now() - 3_600_000;
    let t0 = std::time::Instant::now();
    for batch in 0..100 {
        let events: Vec<Value> = (0..10_000)
            .map(|i| {
                let n = batch * 10_000 + i;
                let level = if n % 1000 == 0 { "ERROR" } else { "INFO" };
                json!({"timestamp": start + n / 1000,
                       "message": format!("2024-01-01 {level} request {n} served in 12 ms by worker-7")})
            })
            .collect();
        env.ok(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": events}),
        )
        .await;
    }
    eprintln!("ingest 1,000,000 events: {:?}", t0.elapsed());
    // CPU time of this thread (the machine may be shared), from schedstat.
    let cpu = || {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .map(std::time::Duration::from_nanos)
    };
    let cpu0 = cpu();
    let t = std::time::Instant::now();
    let out = env
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "ERROR"}),
        )
        .await;
    let elapsed = t.elapsed();
    assert_eq!(out["events"].as_array().map(Vec::len), Some(1000));
    let on_cpu = cpu().zip(cpu0).map(|(b, a)| b - a);
    eprintln!(
        "FilterLogEvents term pattern over 1,000,000 events: {elapsed:?} wall, {on_cpu:?} on CPU"
    );
    let cpu0 = cpu();
    let t = std::time::Instant::now();
    let id = env
        .ok(
            "StartQuery",
            json!({"logGroupName": "g", "startTime": start / 1000 - 1, "endTime": env.now() / 1000,
                   "queryString": "stats count(*) by bin(1m)"}),
        )
        .await["queryId"]
        .clone();
    let elapsed = t.elapsed();
    let on_cpu = cpu().zip(cpu0).map(|(b, a)| b - a);
    let r = env.ok("GetQueryResults", json!({"queryId": id})).await;
    assert_eq!(r["statistics"]["recordsScanned"], 1_000_000.0);
    eprintln!(
        "Insights stats count(*) by bin(1m) over 1,000,000 events: {elapsed:?} wall, {on_cpu:?} on CPU"
    );
}

#[tokio::test]
async fn a_protected_group_cannot_be_deleted_until_protection_is_off() {
    let env = Env::new();
    env.ok(
        "CreateLogGroup",
        json!({"logGroupName": "g", "deletionProtectionEnabled": true}),
    )
    .await;
    let e = env
        .err("DeleteLogGroup", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(e.code, "ValidationException");
    env.ok(
        "PutLogGroupDeletionProtection",
        json!({"logGroupIdentifier": "g", "deletionProtectionEnabled": false}),
    )
    .await;
    env.ok("DeleteLogGroup", json!({"logGroupName": "g"})).await;
}

#[tokio::test]
async fn kms_keys_associate_and_disassociate() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    env.ok(
        "AssociateKmsKey",
        json!({"logGroupName": "g", "kmsKeyId": "arn:aws:kms:us-east-1:000000000000:key/k"}),
    )
    .await;
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(
        d["logGroups"][0]["kmsKeyId"],
        "arn:aws:kms:us-east-1:000000000000:key/k"
    );
    env.ok("DisassociateKmsKey", json!({"logGroupName": "g"}))
        .await;
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert!(d["logGroups"][0].get("kmsKeyId").is_none());
}

#[tokio::test]
async fn an_insights_pointer_reads_its_record_and_fields_are_discovered() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    env.put(
        "g",
        "s",
        &[
            (now - 1_000, r#"{"user": "bob", "ms": 5}"#),
            (now - 500, "plain"),
        ],
    )
    .await;
    let id = env
        .ok(
            "StartQuery",
            json!({"logGroupName": "g", "startTime": now / 1000 - 60, "endTime": now / 1000 + 60,
                   "queryString": "fields user | filter ispresent(user)"}),
        )
        .await["queryId"]
        .as_str()
        .expect("id")
        .to_string();
    let r = env.ok("GetQueryResults", json!({"queryId": id})).await;
    let ptr = r["results"][0]
        .as_array()
        .expect("row")
        .iter()
        .find(|f| f["field"] == "@ptr")
        .expect("@ptr")["value"]
        .clone();
    let rec = env
        .ok("GetLogRecord", json!({"logRecordPointer": ptr}))
        .await;
    assert_eq!(rec["logRecord"]["user"], "bob");
    assert_eq!(rec["logRecord"]["@logStream"], "s");
    let f = env
        .ok("GetLogGroupFields", json!({"logGroupName": "g"}))
        .await;
    let fields = f["logGroupFields"].as_array().expect("fields");
    assert!(fields.contains(&json!({"name": "user", "percent": 50})));
    assert!(fields.contains(&json!({"name": "@message", "percent": 100})));
}

#[tokio::test]
async fn list_log_groups_matches_prefixes_substrings_and_tags() {
    let env = Env::new();
    env.ok(
        "CreateLogGroup",
        json!({"logGroupName": "/app/web", "tags": {"env": "prod"}}),
    )
    .await;
    env.ok("CreateLogGroup", json!({"logGroupName": "/app/worker"}))
        .await;
    env.ok("CreateLogGroup", json!({"logGroupName": "/other/web"}))
        .await;
    let names = |v: Value| -> Vec<String> {
        v["logGroups"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["logGroupName"].as_str().expect("name").to_string())
            .collect()
    };
    let out = env
        .ok("ListLogGroups", json!({"logGroupNamePattern": "^/app"}))
        .await;
    assert_eq!(names(out), ["/app/web", "/app/worker"]);
    let out = env
        .ok(
            "ListLogGroups",
            json!({"logGroupNamePattern": "web|^/none"}),
        )
        .await;
    assert_eq!(names(out), ["/app/web", "/other/web"]);
    let out = env
        .ok(
            "ListLogGroups",
            json!({"logGroupTags": [{"key": "env", "values": ["prod"]}]}),
        )
        .await;
    assert_eq!(names(out), ["/app/web"]);
}

#[tokio::test]
async fn query_definitions_are_saved_updated_and_deleted() {
    let env = Env::new();
    let id = env
        .ok(
            "PutQueryDefinition",
            json!({"name": "ops/errors", "queryString": "filter @message like /ERROR/",
                   "clientToken": "00000000-0000-0000-0000-000000000001"}),
        )
        .await["queryDefinitionId"]
        .clone();
    let again = env
        .ok(
            "PutQueryDefinition",
            json!({"name": "ops/errors", "queryString": "x",
                   "clientToken": "00000000-0000-0000-0000-000000000001"}),
        )
        .await;
    assert_eq!(again["queryDefinitionId"], id);
    env.ok(
        "PutQueryDefinition",
        json!({"name": "ops/errors", "queryDefinitionId": id, "queryString": "stats count(*)"}),
    )
    .await;
    let d = env
        .ok(
            "DescribeQueryDefinitions",
            json!({"queryDefinitionNamePrefix": "ops/"}),
        )
        .await;
    assert_eq!(d["queryDefinitions"][0]["queryString"], "stats count(*)");
    env.ok("DeleteQueryDefinition", json!({"queryDefinitionId": id}))
        .await;
    let e = env
        .err("DeleteQueryDefinition", json!({"queryDefinitionId": id}))
        .await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[tokio::test]
async fn resource_policies_are_kept_with_revisions() {
    let env = Env::new();
    let doc = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let out = env
        .ok(
            "PutResourcePolicy",
            json!({"policyName": "events", "policyDocument": doc}),
        )
        .await;
    assert_eq!(out["resourcePolicy"]["policyScope"], "ACCOUNT");
    let d = env.ok("DescribeResourcePolicies", json!({})).await;
    assert_eq!(d["resourcePolicies"][0]["policyName"], "events");
    let e = env
        .err(
            "PutResourcePolicy",
            json!({"policyName": "bad", "policyDocument": "{"}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException");
    env.ok("DeleteResourcePolicy", json!({"policyName": "events"}))
        .await;
    let e = env
        .err("DeleteResourcePolicy", json!({"policyName": "events"}))
        .await;
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ResourceNotFoundException",
            "Policy with name [events] does not exist"
        )
    );
}

#[tokio::test]
async fn the_tail_of_a_sparse_stream_widens_its_window_until_it_has_enough() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let start = env.now() - 20 * 3_600_000;
    let events: Vec<(i64, String)> = (0..12)
        .map(|i| (start + i * 100 * 60_000, format!("e{i}")))
        .collect();
    let refs: Vec<(i64, &str)> = events.iter().map(|(t, m)| (*t, m.as_str())).collect();
    env.put("g", "s", &refs).await;
    let tail = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "limit": 3}),
        )
        .await;
    assert_eq!(messages(&tail), ["e9", "e10", "e11"]);
    let back = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "limit": 5, "nextToken": tail["nextBackwardToken"]}),
        )
        .await;
    assert_eq!(messages(&back), ["e4", "e5", "e6", "e7", "e8"]);
    let all = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "limit": 100}),
        )
        .await;
    assert_eq!(messages(&all).len(), 12);
}

#[derive(Default)]
struct Deliveries(Mutex<Vec<crate::SubscriptionDelivery>>);

impl crate::SubscriptionSink for Deliveries {
    fn deliver(&self, _scope: Scope<'_>, delivery: crate::SubscriptionDelivery) {
        self.0.lock().expect("lock").push(delivery);
    }
}

#[tokio::test]
async fn subscription_filters_deliver_matching_events_as_awss_data_message() {
    let sink = Arc::new(Deliveries::default());
    let env = Env {
        svc: LogsService::new(Store::in_memory().expect("store"))
            .with_subscription_sink(sink.clone()),
        clock: Clock::with_offset(0),
        metrics: Arc::new(Recorder::default()),
    };
    env.group_and_stream("g", "s").await;
    let arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    env.ok(
        "PutSubscriptionFilter",
        json!({"logGroupName": "g", "filterName": "errors", "filterPattern": "ERROR",
               "destinationArn": arn}),
    )
    .await;
    let now = env.now();
    env.put("g", "s", &[(now, "ERROR a"), (now + 1, "INFO b")])
        .await;
    let got = sink.0.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].destination_arn, arn);
    let doc = &got[0].document;
    assert_eq!(doc["messageType"], "DATA_MESSAGE");
    assert_eq!(doc["owner"], "000000000000");
    assert_eq!(doc["logGroup"], "g");
    assert_eq!(doc["logStream"], "s");
    assert_eq!(doc["subscriptionFilters"], json!(["errors"]));
    assert_eq!(doc["logEvents"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["logEvents"][0]["message"], "ERROR a");
    assert_eq!(doc["logEvents"][0]["id"].as_str().map(str::len), Some(56));
}

#[tokio::test]
async fn describe_queries_pages_newest_first() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = env
            .ok(
                "StartQuery",
                json!({"logGroupName": "g", "startTime": 0, "endTime": 1, "queryString": "fields @message"}),
            )
            .await["queryId"]
            .clone();
        ids.push(id);
        env.clock.advance_millis(1_000);
    }
    let p1 = env
        .ok(
            "DescribeQueries",
            json!({"logGroupName": "g", "maxResults": 2}),
        )
        .await;
    assert_eq!(p1["queries"][0]["queryId"], ids[2]);
    assert_eq!(p1["queries"][1]["queryId"], ids[1]);
    let p2 = env
        .ok(
            "DescribeQueries",
            json!({"logGroupName": "g", "maxResults": 2, "nextToken": p1["nextToken"]}),
        )
        .await;
    assert_eq!(p2["queries"][0]["queryId"], ids[0]);
    assert!(p2.get("nextToken").is_none());
}

/// Random text from the languages' own characters never panics the
/// filter-pattern or Insights parsers, nor their evaluation.
#[test]
fn random_patterns_and_queries_never_panic() {
    let alphabet: Vec<char> = "{}[]()$.=!<>&|?-%\"'*,@ /\\|^~abcXYZ0123456789éü\t:"
        .chars()
        .collect();
    let words = [
        "stats ",
        "count(*)",
        " by ",
        "bin(1m)",
        "filter ",
        "fields ",
        "sort ",
        " desc",
        "limit ",
        "parse ",
        " as ",
        "dedup ",
        "display ",
        "like ",
        " and ",
        " or ",
        "not ",
        "IS NULL",
        "NOT EXISTS",
        "IS TRUE",
        "$.a",
        "$.b[0]",
        "...",
        "pct(",
        "in [",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let records = vec![crate::insights::record_of(
        "1",
        "g",
        "s",
        "p",
        60_000,
        60_000,
        r#"{"a": 1, "b": ["x"]}"#,
    )];
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..(next() % 24) {
            if next() % 3 == 0 {
                text.push_str(words[(next() % words.len() as u64) as usize]);
            } else {
                text.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
        }
        if let Ok(p) = crate::filter_pattern::Pattern::parse(&text) {
            p.matches(r#"{"a": 1, "b": ["x"]} 1.2.3.4 - "GET /" [x]"#);
            p.extract("a b c");
            p.value_of(r#"{"a": 1}"#, "$.a");
        }
        if let Ok(q) = crate::insights::Query::parse(&text) {
            q.run(records.clone(), 100);
        }
    }
}

#[tokio::test]
async fn destinations_are_kept_tagged_and_required_by_subscriptions() {
    let env = Env::new();
    env.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let arn = "arn:aws:logs:us-east-1:000000000000:destination:central";
    let e = env
        .err(
            "PutSubscriptionFilter",
            json!({"logGroupName": "g", "filterName": "f", "filterPattern": "", "destinationArn": arn}),
        )
        .await;
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ResourceNotFoundException",
            "The specified destination does not exist."
        )
    );
    let d = env
        .ok(
            "PutDestination",
            json!({"destinationName": "central",
                   "targetArn": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
                   "roleArn": "arn:aws:iam::000000000000:role/r", "tags": {"a": "1"}}),
        )
        .await;
    assert_eq!(d["destination"]["arn"], arn);
    env.ok(
        "PutDestinationPolicy",
        json!({"destinationName": "central", "accessPolicy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}),
    )
    .await;
    env.ok(
        "PutSubscriptionFilter",
        json!({"logGroupName": "g", "filterName": "f", "filterPattern": "", "destinationArn": arn}),
    )
    .await;
    env.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": {"b": "2"}}),
    )
    .await;
    let t = env
        .ok("ListTagsForResource", json!({"resourceArn": arn}))
        .await;
    assert_eq!(t["tags"], json!({"a": "1", "b": "2"}));
    let all = env.ok("DescribeDestinations", json!({})).await;
    assert!(all["destinations"][0]["accessPolicy"].is_string());
    env.ok("DeleteDestination", json!({"destinationName": "central"}))
        .await;
    let e = env
        .err("DeleteDestination", json!({"destinationName": "central"}))
        .await;
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[test]
fn iam_resources_are_the_documented_arns() {
    let env = Env::new();
    let ctx = env.ctx();
    let targets = |op: &str, input: Value| -> Vec<(String, String)> {
        match env.svc.authorization(&ctx, op, &input) {
            gureum_core::Authorization::Targets(t) => {
                t.into_iter().map(|t| (t.action, t.resource)).collect()
            }
            _ => panic!("{op}: not targets"),
        }
    };
    let base = "arn:aws:logs:us-east-1:000000000000";
    assert_eq!(
        targets(
            "CreateLogStream",
            json!({"logGroupName": "/a", "logStreamName": "s"})
        ),
        [(
            "logs:CreateLogStream".into(),
            format!("{base}:log-group:/a:*")
        )]
    );
    assert_eq!(
        targets(
            "PutLogEvents",
            json!({"logGroupName": "/a", "logStreamName": "s"})
        ),
        [(
            "logs:PutLogEvents".into(),
            format!("{base}:log-group:/a:log-stream:s")
        )]
    );
    assert_eq!(
        targets(
            "TagResource",
            json!({"resourceArn": format!("{base}:log-group:/a")})
        ),
        [("logs:TagResource".into(), format!("{base}:log-group:/a"))]
    );
    assert_eq!(
        targets("DescribeLogGroups", json!({})),
        [(
            "logs:DescribeLogGroups".into(),
            format!("{base}:log-group:*")
        )]
    );
    assert_eq!(
        targets("StartQuery", json!({"logGroupNames": ["/a", "/b"]})).len(),
        2
    );
    assert_eq!(
        targets(
            "GetLogEvents",
            json!({"logGroupIdentifier": format!("{base}:log-group:/a:*"), "logStreamName": "s"})
        ),
        [(
            "logs:GetLogEvents".into(),
            format!("{base}:log-group:/a:log-stream:s")
        )]
    );
}

#[tokio::test]
async fn a_data_protection_policy_masks_what_arrives_after_it_unless_unmasked() {
    let env = Env::new();
    env.group_and_stream("g", "s").await;
    let now = env.now();
    env.put("g", "s", &[(now, "before: bob@example.com")]).await;
    let policy = r#"{"Name":"p","Version":"2021-06-01","Statement":[
        {"Sid":"audit","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Audit":{"FindingsDestination":{}}}},
        {"Sid":"redact","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}"#;
    env.ok(
        "PutDataProtectionPolicy",
        json!({"logGroupIdentifier": "g", "policyDocument": policy}),
    )
    .await;
    env.put("g", "s", &[(now + 1, "after: amy@example.com")])
        .await;
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true}),
        )
        .await;
    assert_eq!(
        messages(&got),
        ["before: bob@example.com", "after: ***************"]
    );
    let raw = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true, "unmask": true}),
        )
        .await;
    assert_eq!(messages(&raw)[1], "after: amy@example.com");
    let found = env
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "\"amy@example.com\""}),
        )
        .await;
    assert!(messages(&found).is_empty());
    let found = env
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "\"amy@example.com\"", "unmask": true}),
        )
        .await;
    assert_eq!(messages(&found), ["after: amy@example.com"]);
    let d = env.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["dataProtectionStatus"], "ACTIVATED");
    match env.svc.authorization(
        &env.ctx(),
        "GetLogEvents",
        &json!({"logGroupName": "g", "logStreamName": "s", "unmask": true}),
    ) {
        gureum_core::Authorization::Targets(t) => {
            assert!(t.iter().any(|t| t.action == "logs:Unmask"));
        }
        _ => panic!("targets"),
    }
}

#[tokio::test]
async fn account_policies_mask_and_subscribe_every_group_they_select() {
    let sink = Arc::new(Deliveries::default());
    let env = Env {
        svc: LogsService::new(Store::in_memory().expect("store"))
            .with_subscription_sink(sink.clone()),
        clock: Clock::with_offset(0),
        metrics: Arc::new(Recorder::default()),
    };
    env.group_and_stream("/in", "s").await;
    env.group_and_stream("/out", "s").await;
    let dp = r#"{"Name":"acct","Version":"2021-06-01","Statement":[{"Sid":"r","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}"#;
    env.ok(
        "PutAccountPolicy",
        json!({"policyName": "mask", "policyType": "DATA_PROTECTION_POLICY", "policyDocument": dp}),
    )
    .await;
    env.ok(
        "PutAccountPolicy",
        json!({"policyName": "all", "policyType": "SUBSCRIPTION_FILTER_POLICY",
               "policyDocument": "{\"DestinationArn\":\"arn:aws:lambda:us-east-1:000000000000:function:f\",\"FilterPattern\":\"\"}",
               "selectionCriteria": "LogGroupName NOT IN [\"/out\"]"}),
    )
    .await;
    let now = env.now();
    env.put("/in", "s", &[(now, "a@b.co")]).await;
    env.put("/out", "s", &[(now, "c@d.co")]).await;
    let got = env
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "/out", "logStreamName": "s", "startFromHead": true}),
        )
        .await;
    assert_eq!(messages(&got), ["******"]);
    let delivered = sink.0.lock().expect("lock").clone();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].document["logGroup"], "/in");
    assert_eq!(delivered[0].document["logEvents"][0]["message"], "******");
    let d = env
        .ok(
            "DescribeAccountPolicies",
            json!({"policyType": "SUBSCRIPTION_FILTER_POLICY"}),
        )
        .await;
    assert_eq!(d["accountPolicies"][0]["policyName"], "all");
    let e = env
        .err(
            "PutAccountPolicy",
            json!({"policyName": "x", "policyType": "FIELD_INDEX_POLICY", "policyDocument": "{}"}),
        )
        .await;
    assert_eq!(e.code, "InvalidParameterException");
    env.ok(
        "DeleteAccountPolicy",
        json!({"policyName": "all", "policyType": "SUBSCRIPTION_FILTER_POLICY"}),
    )
    .await;
    let e = env
        .err(
            "DeleteAccountPolicy",
            json!({"policyName": "all", "policyType": "SUBSCRIPTION_FILTER_POLICY"}),
        )
        .await;
    assert_eq!(e.code, "ResourceNotFoundException");
}
