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
    assert_eq!(svc().implemented().len(), 20);
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
