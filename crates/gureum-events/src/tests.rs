//! The service's rules, one test each, through `Service::call`.

use crate::EventsService;
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

fn ctx() -> RequestContext {
    RequestContext::root("123456789012", "us-east-1", Clock::system())
}

/// The table's futures are ready at once; poll one without a runtime.
fn call(s: &EventsService, c: &RequestContext, op: &str, input: Value) -> Result<Value, AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = s.call(c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn ok(s: &EventsService, c: &RequestContext, op: &str, input: Value) -> Value {
    call(s, c, op, input).unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

fn err(s: &EventsService, c: &RequestContext, op: &str, input: Value) -> (String, String) {
    let e = call(s, c, op, input).expect_err("an error");
    (e.code.to_string(), e.message.clone())
}

fn svc() -> EventsService {
    EventsService::new(Store::in_memory().expect("store"))
}

#[test]
fn the_default_bus_exists_in_every_account_and_region() {
    let s = svc();
    let c = ctx();
    let out = ok(&s, &c, "DescribeEventBus", json!({}));
    assert_eq!(
        out["Arn"],
        "arn:aws:events:us-east-1:123456789012:event-bus/default"
    );
    let list = ok(&s, &c, "ListEventBuses", json!({}));
    assert_eq!(list["EventBuses"][0]["Name"], "default");
}

#[test]
fn a_bus_name_is_unique_and_default_is_taken() {
    let s = svc();
    let c = ctx();
    ok(&s, &c, "CreateEventBus", json!({"Name": "orders"}));
    let e = err(&s, &c, "CreateEventBus", json!({"Name": "orders"}));
    assert_eq!(
        e,
        (
            "ResourceAlreadyExistsException".into(),
            "Event bus orders already exists.".into()
        )
    );
    let e = err(&s, &c, "CreateEventBus", json!({"Name": "default"}));
    assert_eq!(e.0, "ResourceAlreadyExistsException");
}

#[test]
fn the_default_bus_cannot_be_deleted() {
    let s = svc();
    let e = err(&s, &ctx(), "DeleteEventBus", json!({"Name": "default"}));
    assert_eq!(
        e,
        (
            "ValidationException".into(),
            "Cannot delete event bus default.".into()
        )
    );
}

#[test]
fn an_unknown_bus_is_not_found() {
    let s = svc();
    let e = err(&s, &ctx(), "DescribeEventBus", json!({"Name": "nope"}));
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Event bus nope does not exist.".into()
        )
    );
}

#[test]
fn put_rule_refuses_an_invalid_pattern_with_the_reason() {
    let s = svc();
    let e = err(
        &s,
        &ctx(),
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"detail\":{}}"}),
    );
    assert_eq!(
        e,
        (
            "InvalidEventPatternException".into(),
            "Event pattern is not valid. Reason: Empty objects are not allowed".into()
        )
    );
}

#[test]
fn put_rule_needs_a_pattern_or_a_schedule() {
    let s = svc();
    let e = err(&s, &ctx(), "PutRule", json!({"Name": "r"}));
    assert_eq!(
        e.1,
        "Parameter(s) EventPattern or ScheduleExpression must be specified."
    );
}

#[test]
fn schedules_are_validated_and_only_on_the_default_bus() {
    let s = svc();
    let c = ctx();
    let e = err(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "ScheduleExpression": "rate(1 minutes)"}),
    );
    assert_eq!(
        e,
        (
            "ValidationException".into(),
            "Parameter ScheduleExpression is not valid.".into()
        )
    );
    ok(&s, &c, "CreateEventBus", json!({"Name": "b"}));
    let e = err(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventBusName": "b", "ScheduleExpression": "rate(5 minutes)"}),
    );
    assert_eq!(
        e.1,
        "ScheduleExpression is supported only on the default event bus."
    );
}

#[test]
fn a_rule_on_a_custom_bus_has_the_bus_in_its_arn() {
    let s = svc();
    let c = ctx();
    ok(&s, &c, "CreateEventBus", json!({"Name": "b"}));
    let out = ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventBusName": "b", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    assert_eq!(
        out["RuleArn"],
        "arn:aws:events:us-east-1:123456789012:rule/b/r"
    );
    let e = err(&s, &c, "DescribeRule", json!({"Name": "r"}));
    assert_eq!(
        e,
        (
            "ResourceNotFoundException".into(),
            "Rule r does not exist on EventBus default.".into()
        )
    );
}

#[test]
fn a_rule_with_targets_cannot_be_deleted() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]}),
    );
    let e = err(&s, &c, "DeleteRule", json!({"Name": "r"}));
    assert_eq!(e.1, "Rule can't be deleted since it has targets.");
    ok(&s, &c, "RemoveTargets", json!({"Rule": "r", "Ids": ["t"]}));
    ok(&s, &c, "DeleteRule", json!({"Name": "r"}));
}

#[test]
fn a_rule_has_at_most_five_targets() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    let targets: Vec<Value> = (0..6)
        .map(|i| json!({"Id": format!("t{i}"), "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}))
        .collect();
    let e = err(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": targets}),
    );
    assert_eq!(e.0, "LimitExceededException");
}

#[test]
fn a_fifo_queue_target_needs_a_message_group() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    let fifo = "arn:aws:sqs:us-east-1:123456789012:q.fifo";
    let e = err(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": fifo}]}),
    );
    assert_eq!(
        e,
        (
            "ValidationException".to_string(),
            "Parameter(s) SqsParameters must be specified for target: t.".to_string()
        )
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": fifo, "SqsParameters": {"MessageGroupId": "g"}}]}),
    );
    let list = ok(&s, &c, "ListTargetsByRule", json!({"Rule": "r"}));
    assert_eq!(list["Targets"][0]["SqsParameters"]["MessageGroupId"], "g");
}

#[test]
fn a_malformed_target_arn_is_a_failed_entry_and_the_others_are_saved() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    let out = ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [
        {"Id": "good", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"},
        {"Id": "bad", "Arn": "not-an-arn"}]}),
    );
    assert_eq!(out["FailedEntryCount"], 1);
    assert_eq!(out["FailedEntries"][0]["TargetId"], "bad");
    let list = ok(&s, &c, "ListTargetsByRule", json!({"Rule": "r"}));
    assert_eq!(list["Targets"].as_array().map(Vec::len), Some(1));
}

#[test]
fn only_one_input_setting_per_target() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    let e = err(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [
        {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q", "Input": "{}", "InputPath": "$.detail"}]}),
    );
    assert_eq!(
        e.1,
        "Only one of Input, InputPath, or InputTransformer must be provided."
    );
}

#[test]
fn put_events_delivers_matching_events_through_the_transformer() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"shop\"],\"detail\":{\"total\":[{\"numeric\":[\">\",10]}]}}"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{
        "Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q",
        "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": "{\"order\": <id>}"}}]}),
    );
    let out = ok(
        &s,
        &c,
        "PutEvents",
        json!({"Entries": [
        {"Source": "shop", "DetailType": "Order", "Detail": "{\"id\":\"o-1\",\"total\":11}"},
        {"Source": "shop", "DetailType": "Order", "Detail": "{\"id\":\"o-2\",\"total\":5}"}]}),
    );
    assert_eq!(out["FailedEntryCount"], 0);
    let d = s.deliveries(0).expect("deliveries");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].payload, "{\"order\": \"o-1\"}");
    assert_eq!(d[0].target_arn, "arn:aws:sqs:us-east-1:123456789012:q");
}

#[test]
fn put_events_reports_bad_entries_as_partial_failures() {
    let s = svc();
    let c = ctx();
    let out = ok(
        &s,
        &c,
        "PutEvents",
        json!({"Entries": [
        {"Source": "a", "DetailType": "b", "Detail": "{}"},
        {"DetailType": "b", "Detail": "{}"},
        {"Source": "a", "DetailType": "b", "Detail": "[1]"},
        {"Source": "a", "DetailType": "b", "Detail": "{}", "EventBusName": "nope"}]}),
    );
    assert_eq!(out["FailedEntryCount"], 2);
    assert!(out["Entries"][0]["EventId"].is_string());
    assert_eq!(out["Entries"][1]["ErrorCode"], "InvalidArgument");
    assert_eq!(out["Entries"][2]["ErrorCode"], "MalformedDetail");
    assert!(
        out["Entries"][3]["EventId"].is_string(),
        "an absent bus takes the event, as AWS's does"
    );
}

#[test]
fn a_disabled_rule_takes_no_events() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"a\"]}", "State": "DISABLED"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]}),
    );
    ok(
        &s,
        &c,
        "PutEvents",
        json!({"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}"}]}),
    );
    assert!(s.deliveries(0).expect("deliveries").is_empty());
    ok(&s, &c, "EnableRule", json!({"Name": "r"}));
    ok(
        &s,
        &c,
        "PutEvents",
        json!({"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}"}]}),
    );
    assert_eq!(s.deliveries(0).expect("deliveries").len(), 1);
}

#[test]
fn a_schedule_fires_when_the_clock_passes_its_times() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "tick", "ScheduleExpression": "rate(5 minutes)"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "tick", "Targets": [{"Id": "t", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}]}),
    );
    let now = c.clock.now_millis();
    assert!(s.deliveries(now).expect("d").is_empty());
    let d = s.deliveries(now + 11 * 60_000).expect("d");
    assert_eq!(d.len(), 2);
    let event: Value = serde_json::from_str(&d[0].payload).expect("json");
    assert_eq!(event["detail-type"], "Scheduled Event");
    assert_eq!(
        event["resources"][0],
        "arn:aws:events:us-east-1:123456789012:rule/tick"
    );
    assert_eq!(
        s.deliveries(now + 11 * 60_000).expect("d").len(),
        2,
        "each time fires once"
    );
}

#[test]
fn test_event_pattern_answers_whether_the_event_matches() {
    let s = svc();
    let c = ctx();
    let event =
        json!({"id": "1", "account": "123456789012", "source": "a", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "detail-type": "b", "detail": {"n": 3}})
        .to_string();
    let yes = ok(
        &s,
        &c,
        "TestEventPattern",
        json!({"EventPattern": "{\"detail\":{\"n\":[{\"numeric\":[\"<\",5]}]}}", "Event": event}),
    );
    assert_eq!(yes["Result"], true);
    let no = ok(
        &s,
        &c,
        "TestEventPattern",
        json!({"EventPattern": "{\"source\":[\"b\"]}", "Event": event}),
    );
    assert_eq!(no["Result"], false);
}

#[test]
fn tags_and_permissions_are_kept_on_buses_and_rules() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventPattern": "{\"source\":[\"a\"]}", "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    let arn = "arn:aws:events:us-east-1:123456789012:rule/r";
    ok(
        &s,
        &c,
        "TagResource",
        json!({"ResourceARN": arn, "Tags": [{"Key": "k2", "Value": "v2"}]}),
    );
    ok(
        &s,
        &c,
        "UntagResource",
        json!({"ResourceARN": arn, "TagKeys": ["k"]}),
    );
    let tags = ok(&s, &c, "ListTagsForResource", json!({"ResourceARN": arn}));
    assert_eq!(tags["Tags"], json!([{"Key": "k2", "Value": "v2"}]));
    ok(
        &s,
        &c,
        "PutPermission",
        json!({"Action": "events:PutEvents", "Principal": "111122223333", "StatementId": "s1"}),
    );
    let bus = ok(&s, &c, "DescribeEventBus", json!({}));
    let policy: Value =
        serde_json::from_str(bus["Policy"].as_str().expect("policy")).expect("json");
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::111122223333:root"
    );
    let e = err(&s, &c, "RemovePermission", json!({"StatementId": "nope"}));
    assert_eq!(e.0, "ResourceNotFoundException");
    ok(&s, &c, "RemovePermission", json!({"StatementId": "s1"}));
    assert!(ok(&s, &c, "DescribeEventBus", json!({}))
        .get("Policy")
        .is_none());
}

#[test]
fn update_event_bus_keeps_the_description_and_settings() {
    let s = svc();
    let c = ctx();
    ok(
        &s,
        &c,
        "CreateEventBus",
        json!({"Name": "b", "Description": "one"}),
    );
    let out = ok(
        &s,
        &c,
        "UpdateEventBus",
        json!({"Name": "b", "Description": "two",
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}),
    );
    assert_eq!(out["Description"], "two");
    let bus = ok(&s, &c, "DescribeEventBus", json!({"Name": "b"}));
    assert_eq!(bus["Description"], "two");
    assert_eq!(
        bus["DeadLetterConfig"]["Arn"],
        "arn:aws:sqs:us-east-1:123456789012:dlq"
    );
    let e = err(&s, &c, "UpdateEventBus", json!({"Name": "nope"}));
    assert_eq!(e.0, "ResourceNotFoundException");
}

#[test]
fn a_bus_target_routes_the_event_to_the_rules_of_that_bus() {
    let s = svc();
    let c = ctx();
    ok(&s, &c, "CreateEventBus", json!({"Name": "second"}));
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "fwd", "EventPattern": "{\"source\":[\"a\"]}"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "fwd", "Targets": [{"Id": "bus",
        "Arn": "arn:aws:events:us-east-1:123456789012:event-bus/second"}]}),
    );
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "there", "EventBusName": "second", "EventPattern": "{\"source\":[\"a\"]}"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "there", "EventBusName": "second", "Targets": [{"Id": "q",
        "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]}),
    );
    ok(
        &s,
        &c,
        "PutEvents",
        json!({"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}"}]}),
    );
    let d = s.deliveries(0).expect("deliveries");
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].rule_arn,
        "arn:aws:events:us-east-1:123456789012:rule/second/there"
    );
}

#[test]
fn another_accounts_bus_takes_events_only_when_its_policy_allows() {
    let s = svc();
    let c = ctx();
    let other = RequestContext::root("210987654321", "us-east-1", Clock::system());
    ok(&s, &other, "CreateEventBus", json!({"Name": "central"}));
    ok(
        &s,
        &other,
        "PutRule",
        json!({"Name": "in", "EventBusName": "central", "EventPattern": "{\"source\":[\"a\"]}"}),
    );
    ok(
        &s,
        &other,
        "PutTargets",
        json!({"Rule": "in", "EventBusName": "central", "Targets": [{"Id": "q",
        "Arn": "arn:aws:sqs:us-east-1:210987654321:q"}]}),
    );
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "out", "EventPattern": "{\"source\":[\"a\"]}"}),
    );
    ok(
        &s,
        &c,
        "PutTargets",
        json!({"Rule": "out", "Targets": [{"Id": "bus",
        "Arn": "arn:aws:events:us-east-1:210987654321:event-bus/central"}]}),
    );
    let put = json!({"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}"}]});
    ok(&s, &c, "PutEvents", put.clone());
    assert!(
        s.deliveries(0).expect("d").is_empty(),
        "no policy: nothing arrives"
    );
    ok(
        &s,
        &other,
        "PutPermission",
        json!({"EventBusName": "central", "Action": "events:PutEvents",
        "Principal": "123456789012", "StatementId": "from-sender"}),
    );
    ok(&s, &c, "PutEvents", put);
    let d = s.deliveries(0).expect("d");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].account, "210987654321");
}

#[test]
fn put_events_to_another_accounts_bus_needs_its_policy() {
    let s = svc();
    let c = ctx();
    let other = RequestContext::root("210987654321", "us-east-1", Clock::system());
    ok(&s, &other, "CreateEventBus", json!({"Name": "central"}));
    ok(
        &s,
        &other,
        "PutRule",
        json!({"Name": "in", "EventBusName": "central", "EventPattern": "{\"source\":[\"a\"]}"}),
    );
    ok(
        &s,
        &other,
        "PutTargets",
        json!({"Rule": "in", "EventBusName": "central", "Targets": [{"Id": "q",
        "Arn": "arn:aws:sqs:us-east-1:210987654321:q"}]}),
    );
    let put = json!({"Entries": [{"Source": "a", "DetailType": "b", "Detail": "{}",
        "EventBusName": "arn:aws:events:us-east-1:210987654321:event-bus/central"}]});
    let out = ok(&s, &c, "PutEvents", put.clone());
    assert_eq!(out["Entries"][0]["ErrorCode"], "AccessDeniedException");
    ok(
        &s,
        &other,
        "PutPermission",
        json!({"EventBusName": "central", "Action": "events:PutEvents",
        "Principal": "123456789012", "StatementId": "from-sender"}),
    );
    let out = ok(&s, &c, "PutEvents", put);
    assert_eq!(out["FailedEntryCount"], 0);
    let d = s.deliveries(0).expect("d");
    assert_eq!(d.len(), 1);
    let event: Value = serde_json::from_str(&d[0].payload).expect("json");
    assert_eq!(
        event["account"], "123456789012",
        "the sender's account stays on the event"
    );
}

#[test]
fn test_event_pattern_needs_an_event_with_the_mandatory_fields() {
    let s = svc();
    let e = err(
        &s,
        &ctx(),
        "TestEventPattern",
        json!({"EventPattern": "{\"source\":[\"a\"]}",
        "Event": "{\"source\":\"a\"}"}),
    );
    assert_eq!(
        e,
        (
            "ValidationException".into(),
            "Parameter Event is not valid.".into()
        )
    );
}

#[test]
fn rule_names_by_target_page_by_name() {
    let s = svc();
    let c = ctx();
    let arn = "arn:aws:sqs:us-east-1:123456789012:q";
    for name in ["a", "b", "c"] {
        ok(
            &s,
            &c,
            "PutRule",
            json!({"Name": name, "EventPattern": "{\"source\":[\"x\"]}"}),
        );
        ok(
            &s,
            &c,
            "PutTargets",
            json!({"Rule": name, "Targets": [{"Id": "t", "Arn": arn}]}),
        );
    }
    let first = ok(
        &s,
        &c,
        "ListRuleNamesByTarget",
        json!({"TargetArn": arn, "Limit": 2}),
    );
    assert_eq!(first["RuleNames"], json!(["a", "b"]));
    let token = first["NextToken"].as_str().expect("a token");
    let rest = ok(
        &s,
        &c,
        "ListRuleNamesByTarget",
        json!({"TargetArn": arn, "NextToken": token}),
    );
    assert_eq!(rest["RuleNames"], json!(["c"]));
    assert!(rest.get("NextToken").is_none());
}

#[test]
fn list_rules_pages_and_filters_by_prefix() {
    let s = svc();
    let c = ctx();
    for name in ["app-1", "app-2", "other"] {
        ok(
            &s,
            &c,
            "PutRule",
            json!({"Name": name, "EventPattern": "{\"source\":[\"x\"]}"}),
        );
    }
    let page = ok(
        &s,
        &c,
        "ListRules",
        json!({"NamePrefix": "app-", "Limit": 1}),
    );
    assert_eq!(page["Rules"][0]["Name"], "app-1");
    let token = page["NextToken"].as_str().expect("a token");
    let rest = ok(
        &s,
        &c,
        "ListRules",
        json!({"NamePrefix": "app-", "NextToken": token}),
    );
    assert_eq!(rest["Rules"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["Rules"][0]["Name"], "app-2");
}

#[test]
fn a_bus_with_rules_cannot_be_deleted() {
    let s = svc();
    let c = ctx();
    ok(&s, &c, "CreateEventBus", json!({"Name": "b"}));
    ok(
        &s,
        &c,
        "PutRule",
        json!({"Name": "r", "EventBusName": "b", "EventPattern": "{\"source\":[\"x\"]}"}),
    );
    let e = err(&s, &c, "DeleteEventBus", json!({"Name": "b"}));
    assert_eq!(
        e,
        (
            "ValidationException".into(),
            "EventBus can't be deleted since it has rules.".into()
        )
    );
    ok(
        &s,
        &c,
        "DeleteRule",
        json!({"Name": "r", "EventBusName": "b"}),
    );
    ok(&s, &c, "DeleteEventBus", json!({"Name": "b"}));
    ok(&s, &c, "DeleteEventBus", json!({"Name": "b"}));
    assert_eq!(
        err(&s, &c, "DescribeEventBus", json!({"Name": "b"})).0,
        "ResourceNotFoundException"
    );
}
