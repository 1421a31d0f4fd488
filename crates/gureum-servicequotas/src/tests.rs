//! Service Quotas' rules, by name, through the service.

use crate::ServiceQuotasService;
use gureum_core::{AwsError, Clock, RequestContext, Scope, Service, Value};
use gureum_kit::quotas::VPCS_PER_REGION;
use gureum_store::Store;
use serde_json::json;

fn ctx(region: &str) -> RequestContext {
    RequestContext::root("000000000000", region, Clock::system())
}

/// The table's futures are ready at once; poll one without a runtime.
fn call(
    s: &ServiceQuotasService,
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

fn svc() -> ServiceQuotasService {
    ServiceQuotasService::new(Store::in_memory().expect("store"))
}

const VPCS: (&str, &str) = ("vpc", "L-F678F1CE");

fn quota(s: &ServiceQuotasService, c: &RequestContext) -> f64 {
    let out = call(
        s,
        c,
        "GetServiceQuota",
        json!({"ServiceCode": VPCS.0, "QuotaCode": VPCS.1}),
    )
    .expect("get");
    out["Quota"]["Value"].as_f64().expect("value")
}

fn increase(s: &ServiceQuotasService, c: &RequestContext, to: f64) -> Result<Value, AwsError> {
    call(
        s,
        c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": VPCS.0, "QuotaCode": VPCS.1, "DesiredValue": to}),
    )
}

#[test]
fn an_unadjusted_quota_shows_aws_default() {
    let s = svc();
    assert_eq!(quota(&s, &ctx("us-east-1")), 5.0);
    let d = call(
        &s,
        &ctx("us-east-1"),
        "GetAWSDefaultServiceQuota",
        json!({"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"}),
    )
    .expect("default");
    assert_eq!(d["Quota"]["QuotaName"], "EC2-VPC Elastic IPs");
    assert_eq!(
        d["Quota"]["QuotaArn"],
        "arn:aws:servicequotas:us-east-1::ec2/L-0263D0A3"
    );
}

#[test]
fn an_increase_is_applied_at_once_in_its_region_only() {
    let s = svc();
    let here = ctx("us-east-1");
    let out = increase(&s, &here, 6.0).expect("increase");
    assert_eq!(out["RequestedQuota"]["Status"], "PENDING", "as submitted");
    assert_eq!(quota(&s, &here), 6.0);
    assert_eq!(quota(&s, &ctx("eu-west-1")), 5.0);
    // What enforcement reads agrees.
    let read =
        gureum_kit::quotas::applied_count(&s.store, Scope::regional(&here), &VPCS_PER_REGION);
    assert_eq!(read.expect("read"), 6);
    let id = out["RequestedQuota"]["Id"].as_str().expect("id");
    let got = call(
        &s,
        &here,
        "GetRequestedServiceQuotaChange",
        json!({"RequestId": id}),
    )
    .expect("get request");
    assert_eq!(got["RequestedQuota"]["Status"], "APPROVED");
    assert_eq!(got["RequestedQuota"]["DesiredValue"], 6.0);
}

#[test]
fn an_increase_must_exceed_the_current_value() {
    let s = svc();
    let e = increase(&s, &ctx("us-east-1"), 5.0).expect_err("not an increase");
    assert_eq!(
        (e.code.as_str(), e.status),
        ("IllegalArgumentException", 400)
    );
}

#[test]
fn unknown_services_and_quotas_are_no_such_resource() {
    let s = svc();
    let c = ctx("us-east-1");
    let e = call(&s, &c, "ListServiceQuotas", json!({"ServiceCode": "EC2"})).expect_err("case");
    assert_eq!(e.code, "NoSuchResourceException");
    assert_eq!(
        e.message,
        "The request failed because the specified service does not exist."
    );
    let e = call(
        &s,
        &c,
        "GetServiceQuota",
        json!({"ServiceCode": "vpc", "QuotaCode": "L-NOPE"}),
    )
    .expect_err("quota");
    assert_eq!(e.code, "NoSuchResourceException");
    let e = call(
        &s,
        &c,
        "GetRequestedServiceQuotaChange",
        json!({"RequestId": "nope1"}),
    )
    .expect_err("request");
    assert_eq!(e.code, "NoSuchResourceException");
}

#[test]
fn history_pages_and_filters_by_quota() {
    let s = svc();
    let c = ctx("us-east-1");
    for to in [6.0, 7.0, 8.0] {
        increase(&s, &c, to).expect("increase");
    }
    call(
        &s,
        &c,
        "RequestServiceQuotaIncrease",
        json!({"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3", "DesiredValue": 10}),
    )
    .expect("eip increase");
    let mut token: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut input = json!({"MaxResults": 3});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = call(&s, &c, "ListRequestedServiceQuotaChangeHistory", input).expect("page");
        seen += page["RequestedQuotas"].as_array().expect("list").len();
        match page.get("NextToken").and_then(Value::as_str) {
            Some(t) => {
                let model_alphabet = |c: char| c.is_ascii_alphanumeric() || "/+=".contains(c);
                assert!(t.chars().all(model_alphabet), "{t}");
                token = Some(t.to_string())
            }
            None => break,
        }
    }
    assert_eq!(seen, 4);
    let by = call(
        &s,
        &c,
        "ListRequestedServiceQuotaChangeHistoryByQuota",
        json!({"ServiceCode": VPCS.0, "QuotaCode": VPCS.1}),
    )
    .expect("by quota");
    assert_eq!(by["RequestedQuotas"].as_array().expect("list").len(), 3);
    let e = call(&s, &c, "ListServices", json!({"NextToken": "!!"})).expect_err("token");
    assert_eq!(e.code, "InvalidPaginationTokenException");
}

#[test]
fn services_and_quotas_list_in_code_order() {
    let s = svc();
    let c = ctx("us-east-1");
    let out = call(&s, &c, "ListServices", json!({})).expect("services");
    let codes: Vec<&str> = out["Services"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["ServiceCode"].as_str())
        .collect();
    assert_eq!(codes, ["ec2", "vpc"]);
    let q = call(&s, &c, "ListServiceQuotas", json!({"ServiceCode": "vpc"})).expect("quotas");
    assert_eq!(q["Quotas"][0]["QuotaCode"], "L-F678F1CE");
    assert_eq!(
        q["Quotas"][0]["QuotaArn"],
        "arn:aws:servicequotas:us-east-1:000000000000:vpc/L-F678F1CE"
    );
}

#[test]
fn tokens_use_the_models_alphabet_and_come_back_intact() {
    let kit = gureum_kit::paging::encode_token("a>?b~~");
    assert!(kit.contains('-') || kit.contains('_'), "{kit}");
    let wire = crate::quotas::wire_token(kit);
    let wire = wire.as_str().expect("string");
    assert!(!wire.contains('-') && !wire.contains('_'), "{wire}");
    let back = crate::quotas::page_request(&json!({"NextToken": wire})).expect("accepted");
    assert_eq!(back.after.as_deref(), Some("a>?b~~"));
}
