//! Billing's rules, by name: the meter over a fake usage source, and the
//! three APIs through `Service::call`.

use crate::{Billing, BudgetAlerts};
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_kit::metering::{Metered, Running, UsageSource};
use gureum_store::Store;
use serde_json::json;
use std::sync::{Arc, Mutex};

const HOUR: i64 = 3_600_000;
/// 2026-12-01T00:00:00Z.
const DEC_1: i64 = 1_796_083_200_000;

/// A usage source answering a fixed list.
struct Fixed(Mutex<Vec<Running>>);

impl UsageSource for Fixed {
    fn running(&self, _now: i64) -> Vec<Running> {
        self.0.lock().expect("the test's value").clone()
    }
}

/// Alerts kept for the test to read.
#[derive(Default)]
struct Kept(Mutex<Vec<(String, String)>>);

impl BudgetAlerts for Kept {
    fn publish(&self, _: &str, _: &str, topic: &str, subject: &str, _: &str) -> Result<(), String> {
        self.0
            .lock()
            .expect("the test's value")
            .push((topic.into(), subject.into()));
        Ok(())
    }
}

fn running(id: &str, since: i64, what: Metered) -> Running {
    Running {
        account: "000000000000".into(),
        region: "us-east-1".into(),
        resource_id: id.into(),
        since_ms: since,
        what,
        tags: vec![("team".into(), "blue".into())],
    }
}

fn t3_micro() -> Metered {
    Metered::Instance {
        instance_type: "t3.micro".into(),
        platform: None,
    }
}

fn gp3(gib: i64) -> Metered {
    Metered::Volume {
        volume_type: "gp3".into(),
        gib,
        iops: Some(3000),
        throughput: Some(125),
    }
}

struct World {
    billing: Billing,
    source: Arc<Fixed>,
    alerts: Arc<Kept>,
}

fn world(things: Vec<Running>) -> World {
    let source = Arc::new(Fixed(Mutex::new(things)));
    let alerts = Arc::new(Kept::default());
    let billing = Billing::new(
        Store::in_memory().expect("store"),
        vec![source.clone()],
        alerts.clone(),
    );
    World {
        billing,
        source,
        alerts,
    }
}

fn ctx(now: i64) -> RequestContext {
    RequestContext::root(
        "000000000000",
        "us-east-1",
        Clock::with_offset(now - Clock::system().now_millis()),
    )
}

fn call(s: &dyn Service, c: &RequestContext, op: &str, input: Value) -> Result<Value, AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = s.call(c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn monthly(w: &World, now: i64, group: Option<&str>) -> Value {
    let mut input = json!({
        "TimePeriod": {"Start": "2026-12-01", "End": "2027-01-01"},
        "Granularity": "MONTHLY",
        "Metrics": ["UnblendedCost", "UsageQuantity"],
    });
    if let Some(g) = group {
        input["GroupBy"] = json!([{"Type": "DIMENSION", "Key": g}]);
    }
    call(w.billing.ce.as_ref(), &ctx(now), "GetCostAndUsage", input).expect("cost")
}

fn amount(v: &Value) -> f64 {
    v["Amount"]
        .as_str()
        .expect("the test's value")
        .parse()
        .expect("the test's value")
}

#[test]
fn ten_hours_of_t3_micro_cost_ten_times_its_hourly_price() {
    let w = world(vec![running("i-1", DEC_1, t3_micro())]);
    w.billing.tick(DEC_1).expect("the test's value");
    w.billing.tick(DEC_1 + 10 * HOUR).expect("the test's value");
    let out = monthly(&w, DEC_1 + 10 * HOUR, None);
    let total = &out["ResultsByTime"][0]["Total"];
    assert!(
        (amount(&total["UnblendedCost"]) - 0.104).abs() < 1e-9,
        "{out}"
    );
    assert!((amount(&total["UsageQuantity"]) - 10.0).abs() < 1e-9);
    assert_eq!(total["UsageQuantity"]["Unit"], "Hrs");
}

#[test]
fn a_volume_kept_a_whole_month_is_one_gb_month_per_gib() {
    let w = world(vec![running("vol-1", DEC_1, gp3(50))]);
    w.billing.tick(DEC_1).expect("the test's value");
    w.billing
        .tick(DEC_1 + 31 * 24 * HOUR)
        .expect("the test's value");
    let out = monthly(&w, DEC_1 + 31 * 24 * HOUR, Some("USAGE_TYPE"));
    let group = &out["ResultsByTime"][0]["Groups"][0];
    assert_eq!(group["Keys"][0], "USE1-EBS:VolumeUsage.gp3");
    assert!((amount(&group["Metrics"]["UsageQuantity"]) - 50.0).abs() < 1e-6);
    assert!((amount(&group["Metrics"]["UnblendedCost"]) - 4.0).abs() < 1e-6);
}

#[test]
fn usage_before_a_resource_started_is_not_billed() {
    let w = world(vec![]);
    w.billing.tick(DEC_1).expect("the test's value");
    w.source
        .0
        .lock()
        .expect("the test's value")
        .push(running("i-1", DEC_1 + 9 * HOUR, t3_micro()));
    w.billing.tick(DEC_1 + 10 * HOUR).expect("the test's value");
    let out = monthly(&w, DEC_1 + 10 * HOUR, None);
    assert!((amount(&out["ResultsByTime"][0]["Total"]["UsageQuantity"]) - 1.0).abs() < 1e-9);
}

#[test]
fn services_are_named_as_cost_explorer_names_them() {
    let w = world(vec![
        running("i-1", DEC_1, t3_micro()),
        running("vol-1", DEC_1, gp3(8)),
    ]);
    w.billing.tick(DEC_1).expect("the test's value");
    w.billing.tick(DEC_1 + HOUR).expect("the test's value");
    let out = monthly(&w, DEC_1 + HOUR, Some("SERVICE"));
    let keys: Vec<&str> = out["ResultsByTime"][0]["Groups"]
        .as_array()
        .expect("the test's value")
        .iter()
        .map(|g| g["Keys"][0].as_str().expect("the test's value"))
        .collect();
    assert_eq!(
        keys,
        ["Amazon Elastic Compute Cloud - Compute", "EC2 - Other"]
    );
}

#[test]
fn a_not_filter_leaves_out_what_it_matches() {
    let w = world(vec![
        running("i-1", DEC_1, t3_micro()),
        running("vol-1", DEC_1, gp3(8)),
    ]);
    w.billing.tick(DEC_1).expect("the test's value");
    w.billing.tick(DEC_1 + HOUR).expect("the test's value");
    let out = call(
        w.billing.ce.as_ref(),
        &ctx(DEC_1 + HOUR),
        "GetCostAndUsage",
        json!({
            "TimePeriod": {"Start": "2026-12-01", "End": "2026-12-02"},
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost"],
            "Filter": {"Not": {"Dimensions": {"Key": "SERVICE", "Values": ["EC2 - Other"]}}},
        }),
    )
    .expect("the test's value");
    assert_eq!(
        out["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"],
        "0.0104"
    );
}

#[test]
fn an_end_before_the_start_is_refused_with_aws_message() {
    let w = world(vec![]);
    let e = call(
        w.billing.ce.as_ref(),
        &ctx(DEC_1),
        "GetCostAndUsage",
        json!({
            "TimePeriod": {"Start": "2026-12-02", "End": "2026-12-01"},
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost"],
        }),
    )
    .expect_err("refused");
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        "Start date (and hour) should be before end date (and hour)"
    );
}

#[test]
fn a_crossed_budget_alerts_its_topic_once_per_period_and_rearms_in_the_next() {
    let w = world(vec![running("vol-1", DEC_1, gp3(50))]);
    w.billing.tick(DEC_1).expect("the test's value");
    let topic = "arn:aws:sns:us-east-1:000000000000:alerts";
    call(
        w.billing.budgets.as_ref(),
        &ctx(DEC_1),
        "CreateBudget",
        json!({
            "AccountId": "000000000000",
            "Budget": {"BudgetName": "one", "BudgetLimit": {"Amount": "1", "Unit": "USD"},
                       "TimeUnit": "MONTHLY", "BudgetType": "COST"},
            "NotificationsWithSubscribers": [{
                "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 100.0},
                "Subscribers": [{"SubscriptionType": "SNS", "Address": topic}],
            }],
        }),
    )
    .expect("the test's value");
    w.billing.tick(DEC_1 + 24 * HOUR).expect("the test's value");
    assert!(
        w.alerts.0.lock().expect("the test's value").is_empty(),
        "$0.13 is under $1"
    );
    w.billing
        .tick(DEC_1 + 20 * 24 * HOUR)
        .expect("the test's value");
    w.billing
        .tick(DEC_1 + 21 * 24 * HOUR)
        .expect("the test's value");
    let sent = w.alerts.0.lock().expect("the test's value").clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, topic);
    let out = call(
        w.billing.budgets.as_ref(),
        &ctx(DEC_1 + 21 * 24 * HOUR),
        "DescribeNotificationsForBudget",
        json!({"AccountId": "000000000000", "BudgetName": "one"}),
    )
    .expect("the test's value");
    assert_eq!(out["Notifications"][0]["NotificationState"], "ALARM");
    // January: a new period, under the limit again.
    let jan = DEC_1 + 31 * 24 * HOUR + HOUR;
    w.billing.tick(jan).expect("january pass");
    let out = call(
        w.billing.budgets.as_ref(),
        &ctx(jan),
        "DescribeNotificationsForBudget",
        json!({"AccountId": "000000000000", "BudgetName": "one"}),
    )
    .expect("notifications");
    assert_eq!(out["Notifications"][0]["NotificationState"], "OK");
}

#[test]
fn a_second_budget_of_the_same_name_is_a_duplicate() {
    let w = world(vec![]);
    let input = json!({
        "AccountId": "000000000000",
        "Budget": {"BudgetName": "b", "BudgetLimit": {"Amount": "5", "Unit": "USD"},
                   "TimeUnit": "MONTHLY", "BudgetType": "COST"},
    });
    call(
        w.billing.budgets.as_ref(),
        &ctx(DEC_1),
        "CreateBudget",
        input.clone(),
    )
    .expect("the test's value");
    let e = call(
        w.billing.budgets.as_ref(),
        &ctx(DEC_1),
        "CreateBudget",
        input,
    )
    .expect_err("refused");
    assert_eq!(e.code, "DuplicateRecordException");
    assert_eq!(
        e.message,
        "Error creating budget: b - the budget already exists."
    );
}

#[test]
fn get_products_filters_by_term_match() {
    let w = world(vec![]);
    let out = call(
        w.billing.pricing.as_ref(),
        &ctx(DEC_1),
        "GetProducts",
        json!({"ServiceCode": "AmazonEC2", "FormatVersion": "aws_v1", "Filters": [
            {"Type": "TERM_MATCH", "Field": "instanceType", "Value": "t3.micro"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
        ]}),
    )
    .expect("the test's value");
    let list = out["PriceList"].as_array().expect("the test's value");
    assert_eq!(list.len(), 1);
    let doc: Value = serde_json::from_str(list[0].as_str().expect("the test's value"))
        .expect("the test's value");
    let term = doc["terms"]["OnDemand"]
        .as_object()
        .expect("the test's value")
        .values()
        .next()
        .expect("the test's value")
        .clone();
    let dim = term["priceDimensions"]
        .as_object()
        .expect("the test's value")
        .values()
        .next()
        .expect("the test's value")
        .clone();
    assert_eq!(dim["pricePerUnit"]["USD"], "0.0104000000");
}

#[test]
fn a_month_jump_is_one_pass_writing_every_hour() {
    let things = (0..100)
        .map(|i| running(&format!("vol-{i}"), DEC_1, gp3(8)))
        .collect();
    let w = world(things);
    w.billing.tick(DEC_1).expect("first pass");
    let started = std::time::Instant::now();
    w.billing.tick(DEC_1 + 31 * 24 * HOUR).expect("month pass");
    let pass = started.elapsed();
    let hours = w
        .billing
        .meter
        .hours("000000000000", DEC_1 / HOUR, DEC_1 / HOUR + 31 * 24)
        .expect("hours");
    assert_eq!(hours.len(), 31 * 24);
    assert!(hours.iter().all(|(_, h)| h.items.len() == 100));
    let started = std::time::Instant::now();
    let read = w
        .billing
        .meter
        .hours("000000000000", DEC_1 / HOUR, DEC_1 / HOUR + 31 * 24)
        .expect("hours");
    let reading = started.elapsed();
    assert_eq!(read.len(), 31 * 24);
    let started = std::time::Instant::now();
    let out = monthly(&w, DEC_1 + 31 * 24 * HOUR, Some("SERVICE"));
    let query = started.elapsed();
    assert_eq!(
        out["ResultsByTime"][0]["Groups"][0]["Keys"][0],
        "EC2 - Other"
    );
    // docs/PERFORMANCE.md quotes these figures.
    eprintln!(
        "a 744-hour pass over 100 volumes: {pass:?}; reading the month back: {reading:?}; \
         the month's GetCostAndUsage by SERVICE: {query:?}"
    );
}

#[test]
fn counted_requests_are_billed_at_the_next_pass() {
    let w = world(vec![]);
    w.billing.tick(DEC_1).expect("first pass");
    for _ in 0..1000 {
        w.billing
            .count_request("000000000000", "us-east-1", "sqs", "SendMessage");
    }
    w.billing
        .count_request("000000000000", "us-east-1", "iam", "ListUsers");
    w.billing.tick(DEC_1 + HOUR).expect("pass");
    let out = monthly(&w, DEC_1 + HOUR, Some("SERVICE"));
    let groups = out["ResultsByTime"][0]["Groups"]
        .as_array()
        .expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["Keys"][0], "Amazon Simple Queue Service");
    assert_eq!(groups[0]["Metrics"]["UsageQuantity"]["Amount"], "1000");
    assert_eq!(groups[0]["Metrics"]["UnblendedCost"]["Amount"], "0.0004");
}

#[test]
fn a_budget_cost_filter_counts_only_its_service() {
    let w = world(vec![
        running("i-1", DEC_1, t3_micro()),
        running("vol-1", DEC_1, gp3(50)),
    ]);
    w.billing.tick(DEC_1).expect("first pass");
    call(
        w.billing.budgets.as_ref(),
        &ctx(DEC_1),
        "CreateBudget",
        json!({
            "AccountId": "000000000000",
            "Budget": {"BudgetName": "compute", "BudgetLimit": {"Amount": "10", "Unit": "USD"},
                       "TimeUnit": "MONTHLY", "BudgetType": "COST",
                       "CostFilters": {"Service": ["Amazon Elastic Compute Cloud - Compute"]}},
        }),
    )
    .expect("created");
    w.billing.tick(DEC_1 + 10 * HOUR).expect("pass");
    let out = call(
        w.billing.budgets.as_ref(),
        &ctx(DEC_1 + 10 * HOUR),
        "DescribeBudget",
        json!({"AccountId": "000000000000", "BudgetName": "compute"}),
    )
    .expect("described");
    assert_eq!(
        out["Budget"]["CalculatedSpend"]["ActualSpend"]["Amount"],
        "0.104"
    );
}
