//! What authorizing one request costs for a user with 10 attached managed
//! policies (10 statements each), the IAM issue's budget being 20 µs median.
//! Run by `scripts/bench.sh`:
//! `cargo test --release -p gureum-authz --test authorize_cost -- --ignored --nocapture`.

use gureum_authz::Authorizer;
use gureum_core::{AuthzTarget, Clock, Principal, RequestContext, Service};
use gureum_iam::IamService;
use gureum_store::Store;
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

fn call(
    iam: &IamService,
    ctx: &RequestContext,
    op: &str,
    input: serde_json::Value,
) -> serde_json::Value {
    let fut = iam.call(ctx, op, input);
    let mut fut = std::pin::pin!(fut);
    let waker = std::task::Waker::noop();
    match fut
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker))
    {
        std::task::Poll::Ready(r) => r.unwrap_or_else(|e| panic!("{op}: {e}")),
        std::task::Poll::Pending => panic!("{op} did not complete"),
    }
}

fn setup() -> (Arc<IamService>, RequestContext) {
    let store = Store::in_memory().expect("store");
    let iam = Arc::new(IamService::new(store));
    let root = RequestContext::root("000000000000", "us-east-1", Clock::system());
    let user = call(&iam, &root, "CreateUser", json!({"UserName": "bench"}));
    for p in 0..10 {
        let statements: Vec<_> = (0..10)
            .map(|s| {
                json!({"Effect": "Allow", "Action": [format!("svc{p}:Action{s}*"), "s3:Get*"],
                       "Resource": format!("arn:aws:s3:::bucket-{p}-{s}/*"),
                       "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
            })
            .collect();
        let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        let out = call(
            &iam,
            &root,
            "CreatePolicy",
            json!({"PolicyName": format!("p{p}"), "PolicyDocument": doc}),
        );
        let arn = out["Policy"]["Arn"].as_str().expect("arn").to_string();
        call(
            &iam,
            &root,
            "AttachUserPolicy",
            json!({"UserName": "bench", "PolicyArn": arn}),
        );
    }
    let mut ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
    ctx.principal = Principal::User {
        account_id: "000000000000".into(),
        name: "bench".into(),
        user_id: user["User"]["UserId"].as_str().expect("id").into(),
        path: "/".into(),
    };
    ctx.source_ip = Some("10.1.2.3".parse().expect("ip"));
    (iam, ctx)
}

#[test]
fn a_matching_statement_in_the_last_policy_is_found() {
    let (iam, ctx) = setup();
    let authz = Authorizer::new(iam);
    let allowed = AuthzTarget::new("svc9:Action9Thing", "arn:aws:s3:::bucket-9-9/key");
    assert!(authz.authorize(&ctx, &[allowed]).is_ok());
    let denied = AuthzTarget::new("svc9:Other", "arn:aws:s3:::bucket-9-9/key");
    let err = authz.authorize(&ctx, &[denied]).expect_err("denied");
    assert!(
        err.message
            .contains("because no identity-based policy allows the svc9:Other action"),
        "{}",
        err.message
    );
}

#[test]
#[ignore = "benchmark: run in release by scripts/bench.sh"]
fn authorize_cost_with_ten_attached_policies() {
    let (iam, ctx) = setup();
    let authz = Authorizer::new(iam);
    // The worst case for an allow: only the last statement of the last policy matches.
    let target = [AuthzTarget::new(
        "svc9:Action9Thing",
        "arn:aws:s3:::bucket-9-9/key",
    )];
    for _ in 0..1_000 {
        assert!(authz.authorize(&ctx, &target).is_ok());
    }
    let mut samples = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let t = Instant::now();
        let ok = authz.authorize(&ctx, &target).is_ok();
        samples.push(t.elapsed().as_nanos() as u64);
        assert!(ok);
    }
    samples.sort_unstable();
    let median = samples[samples.len() / 2] as f64 / 1000.0;
    let p99 = samples[samples.len() * 99 / 100] as f64 / 1000.0;
    println!("authorize, user with 10 attached policies x 10 statements: median {median:.2} µs, p99 {p99:.2} µs");
    assert!(
        median <= 20.0,
        "median {median} µs exceeds the 20 µs budget"
    );
}
