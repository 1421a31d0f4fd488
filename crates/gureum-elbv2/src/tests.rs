//! The rules of the control plane, through `Service::call` on an
//! in-memory store, with a small EC2 (two zones' subnets in one VPC).

use crate::seams::{InstanceAddress, Interface, Network, SubnetInfo};
use crate::{Elbv2Service, Seams};
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;
use std::sync::Arc;

struct FakeEc2;

impl Network for FakeEc2 {
    fn subnet(&self, _: &RequestContext, id: &str) -> Result<Option<SubnetInfo>, AwsError> {
        let zone = match id {
            "subnet-a" | "subnet-a2" => "us-east-1a",
            "subnet-b" => "us-east-1b",
            _ => return Ok(None),
        };
        Ok(Some(SubnetInfo {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            zone: zone.into(),
            cidr: "10.0.0.0/24".into(),
        }))
    }
    fn security_groups(
        &self,
        _: &RequestContext,
        _: &str,
        ids: &[String],
    ) -> Result<Result<Vec<String>, String>, AwsError> {
        if ids.is_empty() {
            return Ok(Ok(vec!["sg-default".into()]));
        }
        Ok(match ids.iter().find(|i| !i.starts_with("sg-")) {
            Some(bad) => Err(bad.clone()),
            None => Ok(ids.to_vec()),
        })
    }
    fn create_interface(
        &self,
        _: &RequestContext,
        _: &str,
        _: &[String],
        _: &str,
    ) -> Result<Option<Interface>, AwsError> {
        Ok(Some(Interface {
            id: "eni-1".into(),
            private_ip: "10.0.0.9".into(),
        }))
    }
    fn delete_interface(&self, _: &RequestContext, _: &str) -> Result<(), AwsError> {
        Ok(())
    }
    fn instance(&self, _: &str, _: &str, id: &str) -> Option<InstanceAddress> {
        (id == "i-running").then(|| InstanceAddress {
            private_ip: "10.0.0.5".into(),
            vpc_id: "vpc-1".into(),
            state: "running".into(),
        })
    }
    fn vpc_exists(&self, _: &RequestContext, id: &str) -> Result<bool, AwsError> {
        Ok(id == "vpc-1")
    }
}

fn service() -> (Elbv2Service, RequestContext) {
    let clock = Clock::system();
    let svc = Elbv2Service::with_seams(
        Store::in_memory().expect("store"),
        Seams {
            network: Arc::new(FakeEc2),
            clock: clock.clone(),
            ..Seams::default()
        },
    );
    (
        svc,
        RequestContext::root("000000000000", "us-east-1", clock),
    )
}

fn call(
    svc: &Elbv2Service,
    ctx: &RequestContext,
    op: &str,
    input: Value,
) -> Result<Value, AwsError> {
    let fut = svc.call(ctx, op, input);
    // Handlers are synchronous: the future is ready.
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut fut = fut;
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => panic!("a handler awaited"),
    }
}

fn alb(svc: &Elbv2Service, ctx: &RequestContext, name: &str) -> String {
    call(
        svc,
        ctx,
        "CreateLoadBalancer",
        json!({"Name": name, "Subnets": ["subnet-a", "subnet-b"]}),
    )
    .expect("created")["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .expect("arn")
        .to_string()
}

fn group(svc: &Elbv2Service, ctx: &RequestContext, name: &str) -> String {
    call(
        svc,
        ctx,
        "CreateTargetGroup",
        json!({"Name": name, "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "TargetType": "ip"}),
    )
    .expect("created")["TargetGroups"][0]["TargetGroupArn"]
        .as_str()
        .expect("arn")
        .to_string()
}

fn forward(tg: &str) -> Value {
    json!([{"Type": "forward", "TargetGroupArn": tg}])
}

#[test]
fn an_application_load_balancer_needs_subnets_in_two_zones() {
    let (svc, ctx) = service();
    let e = call(
        &svc,
        &ctx,
        "CreateLoadBalancer",
        json!({"Name": "x", "Subnets": ["subnet-a", "subnet-a2"]}),
    )
    .expect_err("same zone");
    assert_eq!(e.code, "InvalidConfigurationRequest");
    let e = call(
        &svc,
        &ctx,
        "CreateLoadBalancer",
        json!({"Name": "x", "Subnets": ["subnet-a"]}),
    )
    .expect_err("one zone");
    assert_eq!(
        e.message,
        "At least two subnets in two different Availability Zones must be specified"
    );
    let e = call(
        &svc,
        &ctx,
        "CreateLoadBalancer",
        json!({"Name": "x", "Subnets": ["subnet-a", "subnet-zz"]}),
    )
    .expect_err("unknown subnet");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("SubnetNotFound", "The subnet ID 'subnet-zz' is not valid")
    );
}

#[test]
fn the_same_name_with_the_same_settings_answers_the_existing_load_balancer() {
    let (svc, ctx) = service();
    let first = alb(&svc, &ctx, "web");
    assert_eq!(alb(&svc, &ctx, "web"), first);
    let e = call(
        &svc,
        &ctx,
        "CreateLoadBalancer",
        json!({"Name": "web", "Subnets": ["subnet-a", "subnet-b"], "Scheme": "internal"}),
    )
    .expect_err("other settings");
    assert_eq!(e.code, "DuplicateLoadBalancerName");
}

#[test]
fn a_new_load_balancer_is_provisioning_with_its_interfaces_and_aws_dns_shape() {
    let (svc, ctx) = service();
    let out = call(
        &svc,
        &ctx,
        "CreateLoadBalancer",
        json!({"Name": "web", "Subnets": ["subnet-a", "subnet-b"]}),
    )
    .expect("created");
    let lb = &out["LoadBalancers"][0];
    assert_eq!(lb["State"]["Code"], "provisioning");
    assert_eq!(lb["SecurityGroups"], json!(["sg-default"]));
    let dns = lb["DNSName"].as_str().expect("dns");
    let digits = dns
        .trim_start_matches("web-")
        .trim_end_matches(".us-east-1.elb.localhost");
    assert_eq!(digits.len(), 10, "{dns}");
    assert!(digits.chars().all(|c| c.is_ascii_digit()), "{dns}");
}

#[test]
fn deletion_protection_refuses_delete_until_turned_off() {
    let (svc, ctx) = service();
    let arn = alb(&svc, &ctx, "keep");
    call(&svc, &ctx, "ModifyLoadBalancerAttributes", json!({"LoadBalancerArn": arn, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]}))
        .expect("modified");
    let e = call(
        &svc,
        &ctx,
        "DeleteLoadBalancer",
        json!({"LoadBalancerArn": arn}),
    )
    .expect_err("protected");
    assert_eq!(e.code, "OperationNotPermitted");
    call(&svc, &ctx, "ModifyLoadBalancerAttributes", json!({"LoadBalancerArn": arn, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]}))
        .expect("modified");
    call(
        &svc,
        &ctx,
        "DeleteLoadBalancer",
        json!({"LoadBalancerArn": arn}),
    )
    .expect("deleted");
    let e = call(
        &svc,
        &ctx,
        "DescribeLoadBalancers",
        json!({"LoadBalancerArns": [arn]}),
    )
    .expect_err("gone");
    assert_eq!(e.code, "LoadBalancerNotFound");
}

#[test]
fn a_target_group_a_listener_forwards_to_cannot_be_deleted() {
    let (svc, ctx) = service();
    let lb = alb(&svc, &ctx, "web");
    let tg = group(&svc, &ctx, "tg");
    call(&svc, &ctx, "CreateListener", json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": forward(&tg)}))
        .expect("listener");
    let e = call(
        &svc,
        &ctx,
        "DeleteTargetGroup",
        json!({"TargetGroupArn": tg}),
    )
    .expect_err("in use");
    assert_eq!(e.code, "ResourceInUse");
    let d = call(
        &svc,
        &ctx,
        "DescribeTargetGroups",
        json!({"TargetGroupArns": [tg]}),
    )
    .expect("described");
    assert_eq!(d["TargetGroups"][0]["LoadBalancerArns"], json!([lb]));
}

#[test]
fn a_target_group_serves_only_one_load_balancer() {
    let (svc, ctx) = service();
    let (one, two) = (alb(&svc, &ctx, "one"), alb(&svc, &ctx, "two"));
    let tg = group(&svc, &ctx, "tg");
    call(
        &svc,
        &ctx,
        "CreateListener",
        json!({"LoadBalancerArn": one, "Port": 80, "DefaultActions": forward(&tg)}),
    )
    .expect("listener");
    let e = call(
        &svc,
        &ctx,
        "CreateListener",
        json!({"LoadBalancerArn": two, "Port": 80, "DefaultActions": forward(&tg)}),
    )
    .expect_err("second load balancer");
    assert_eq!(e.code, "InvalidConfigurationRequest");
}

#[test]
fn rule_priorities_are_unique_per_listener_and_the_default_rule_stays() {
    let (svc, ctx) = service();
    let lb = alb(&svc, &ctx, "web");
    let tg = group(&svc, &ctx, "tg");
    let l = call(
        &svc,
        &ctx,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Port": 80, "DefaultActions": forward(&tg)}),
    )
    .expect("listener")["Listeners"][0]["ListenerArn"]
        .clone();
    let cond = json!([{"Field": "host-header", "Values": ["api.example.com"]}]);
    let r1 = call(
        &svc,
        &ctx,
        "CreateRule",
        json!({"ListenerArn": l, "Priority": 1, "Conditions": cond, "Actions": forward(&tg)}),
    )
    .expect("rule")["Rules"][0]["RuleArn"]
        .clone();
    let r2 = call(
        &svc,
        &ctx,
        "CreateRule",
        json!({"ListenerArn": l, "Priority": 2, "Conditions": cond, "Actions": forward(&tg)}),
    )
    .expect("rule")["Rules"][0]["RuleArn"]
        .clone();
    let e = call(
        &svc,
        &ctx,
        "SetRulePriorities",
        json!({"RulePriorities": [{"RuleArn": r1, "Priority": 2}]}),
    )
    .expect_err("clash");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("PriorityInUse", "Priority '2' is currently in use")
    );
    call(
        &svc,
        &ctx,
        "SetRulePriorities",
        json!({"RulePriorities": [{"RuleArn": r1, "Priority": 3}, {"RuleArn": r2, "Priority": 1}]}),
    )
    .expect("swapped");
    let rules = call(&svc, &ctx, "DescribeRules", json!({"ListenerArn": l})).expect("rules")
        ["Rules"]
        .clone();
    assert_eq!(rules[0]["RuleArn"], r2);
    assert_eq!(rules[2]["IsDefault"], true);
    let e = call(
        &svc,
        &ctx,
        "DeleteRule",
        json!({"RuleArn": rules[2]["RuleArn"]}),
    )
    .expect_err("default");
    assert_eq!(e.code, "OperationNotPermitted");
    assert_eq!(
        rules[0]["Conditions"][0]["HostHeaderConfig"]["Values"],
        json!(["api.example.com"])
    );
}

#[test]
fn targets_are_not_in_use_until_a_listener_forwards_and_drain_when_deregistered() {
    let (svc, ctx) = service();
    let tg = group(&svc, &ctx, "tg");
    call(
        &svc,
        &ctx,
        "RegisterTargets",
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.7", "Port": 8080}]}),
    )
    .expect("registered");
    let h = call(
        &svc,
        &ctx,
        "DescribeTargetHealth",
        json!({"TargetGroupArn": tg}),
    )
    .expect("health");
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Target.NotInUse"
    );
    assert_eq!(h["TargetHealthDescriptions"][0]["HealthCheckPort"], "8080");
    call(
        &svc,
        &ctx,
        "DeregisterTargets",
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "10.0.0.7", "Port": 8080}]}),
    )
    .expect("deregistered");
    let h = call(
        &svc,
        &ctx,
        "DescribeTargetHealth",
        json!({"TargetGroupArn": tg}),
    )
    .expect("health");
    assert_eq!(
        h["TargetHealthDescriptions"][0]["TargetHealth"]["State"],
        "draining"
    );
    ctx.clock.advance_millis(301_000);
    let h = call(
        &svc,
        &ctx,
        "DescribeTargetHealth",
        json!({"TargetGroupArn": tg}),
    )
    .expect("health");
    assert_eq!(h["TargetHealthDescriptions"], json!([]));
}

#[test]
fn instance_targets_must_be_running_instances_of_the_vpc() {
    let (svc, ctx) = service();
    let tg = call(
        &svc,
        &ctx,
        "CreateTargetGroup",
        json!({"Name": "i", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1"}),
    )
    .expect("created")["TargetGroups"][0]["TargetGroupArn"]
        .clone();
    call(
        &svc,
        &ctx,
        "RegisterTargets",
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "i-running"}]}),
    )
    .expect("registered");
    let e = call(
        &svc,
        &ctx,
        "RegisterTargets",
        json!({"TargetGroupArn": tg, "Targets": [{"Id": "i-missing"}]}),
    )
    .expect_err("unknown");
    assert_eq!(e.code, "InvalidTarget");
}

#[test]
fn tags_are_added_listed_and_removed_and_a_key_given_twice_is_refused() {
    let (svc, ctx) = service();
    let tg = group(&svc, &ctx, "tg");
    call(&svc, &ctx, "AddTags", json!({"ResourceArns": [tg], "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}))
        .expect("tagged");
    call(
        &svc,
        &ctx,
        "RemoveTags",
        json!({"ResourceArns": [tg], "TagKeys": ["a"]}),
    )
    .expect("untagged");
    let d = call(&svc, &ctx, "DescribeTags", json!({"ResourceArns": [tg]})).expect("tags");
    assert_eq!(
        d["TagDescriptions"][0]["Tags"],
        json!([{"Key": "b", "Value": "2"}])
    );
    let e = call(&svc, &ctx, "AddTags", json!({"ResourceArns": [tg], "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}))
        .expect_err("duplicate");
    assert_eq!(e.code, "DuplicateTagKeys");
}

#[test]
fn health_check_settings_are_checked() {
    let (svc, ctx) = service();
    let e = call(&svc, &ctx, "CreateTargetGroup", json!({"Name": "t", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "Matcher": {"HttpCode": "600"}}))
        .expect_err("matcher");
    assert_eq!(e.code, "ValidationError");
    let e = call(
        &svc,
        &ctx,
        "CreateTargetGroup",
        json!({"Name": "t", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-9"}),
    )
    .expect_err("vpc");
    assert_eq!(e.message, "The VPC ID 'vpc-9' is not found");
    let ok = call(&svc, &ctx, "CreateTargetGroup", json!({"Name": "t", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-1", "Matcher": {"HttpCode": "200-299"}}))
        .expect("created");
    assert_eq!(ok["TargetGroups"][0]["Matcher"]["HttpCode"], "200-299");
    assert_eq!(ok["TargetGroups"][0]["HealthCheckIntervalSeconds"], 30);
}

/// ACM with two issued certificates and one pending.
struct FakeAcm;

const CERT_A: &str = "arn:aws:acm:us-east-1:000000000000:certificate/aaaa";
const CERT_B: &str = "arn:aws:acm:us-east-1:000000000000:certificate/bbbb";
const PENDING: &str = "arn:aws:acm:us-east-1:000000000000:certificate/pending";

impl gureum_kit::certificates::CertificateSource for FakeAcm {
    fn certificate(&self, arn: &str) -> gureum_kit::certificates::Lookup {
        use gureum_kit::certificates::{Lookup, ServerCertificate};
        match arn {
            CERT_A | CERT_B => Lookup::Ready(ServerCertificate {
                chain_pem: String::new(),
                key_pem: String::new(),
                names: vec!["a.example.test".into()],
            }),
            PENDING => Lookup::NotReady,
            _ => Lookup::Missing,
        }
    }
}

fn https_service() -> (Elbv2Service, RequestContext) {
    let clock = Clock::system();
    let svc = Elbv2Service::with_seams(
        Store::in_memory().expect("store"),
        Seams {
            network: Arc::new(FakeEc2),
            certificates: Arc::new(FakeAcm),
            clock: clock.clone(),
            ..Seams::default()
        },
    );
    (
        svc,
        RequestContext::root("000000000000", "us-east-1", clock),
    )
}

fn https_listener(svc: &Elbv2Service, ctx: &RequestContext, cert: &str) -> Result<Value, AwsError> {
    let lb = alb(svc, ctx, "secure");
    let tg = group(svc, ctx, "site");
    call(
        svc,
        ctx,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTPS", "Port": 443,
               "Certificates": [{"CertificateArn": cert}], "DefaultActions": forward(&tg)}),
    )
}

#[test]
fn an_https_listener_needs_an_issued_acm_certificate() {
    let (svc, ctx) = https_service();
    let e = https_listener(&svc, &ctx, PENDING).expect_err("pending");
    assert_eq!(e.code, "CertificateNotFound");
    assert_eq!(e.message, format!("Certificate '{PENDING}' not found"));
    let (svc, ctx) = https_service();
    let l = https_listener(&svc, &ctx, CERT_A).expect("issued");
    assert_eq!(
        l["Listeners"][0]["Certificates"],
        json!([{"CertificateArn": CERT_A}])
    );
}

#[test]
fn added_certificates_are_listed_but_not_as_the_listeners_default_and_the_default_stays() {
    let (svc, ctx) = https_service();
    let l = https_listener(&svc, &ctx, CERT_A).expect("listener");
    let arn = l["Listeners"][0]["ListenerArn"].as_str().expect("arn");
    let e = call(
        &svc,
        &ctx,
        "AddListenerCertificates",
        json!({"ListenerArn": arn, "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/none"}]}),
    )
    .expect_err("missing");
    assert_eq!(e.code, "CertificateNotFound");
    call(
        &svc,
        &ctx,
        "AddListenerCertificates",
        json!({"ListenerArn": arn, "Certificates": [{"CertificateArn": CERT_B}]}),
    )
    .expect("added");
    let listed = call(
        &svc,
        &ctx,
        "DescribeListenerCertificates",
        json!({"ListenerArn": arn}),
    )
    .expect("listed");
    assert_eq!(
        listed["Certificates"],
        json!([{"CertificateArn": CERT_A, "IsDefault": true}, {"CertificateArn": CERT_B, "IsDefault": false}])
    );
    let described = call(
        &svc,
        &ctx,
        "DescribeListeners",
        json!({"ListenerArns": [arn]}),
    )
    .expect("described");
    assert_eq!(
        described["Listeners"][0]["Certificates"],
        json!([{"CertificateArn": CERT_A}])
    );
    let e = call(
        &svc,
        &ctx,
        "RemoveListenerCertificates",
        json!({"ListenerArn": arn, "Certificates": [{"CertificateArn": CERT_A}]}),
    )
    .expect_err("default");
    assert_eq!(e.code, "OperationNotPermitted");
    call(
        &svc,
        &ctx,
        "RemoveListenerCertificates",
        json!({"ListenerArn": arn, "Certificates": [{"CertificateArn": CERT_B}]}),
    )
    .expect("removed");
    // ModifyListener replaces the default; an added certificate that
    // becomes the default is listed once.
    call(
        &svc,
        &ctx,
        "AddListenerCertificates",
        json!({"ListenerArn": arn, "Certificates": [{"CertificateArn": CERT_B}]}),
    )
    .expect("added again");
    call(
        &svc,
        &ctx,
        "ModifyListener",
        json!({"ListenerArn": arn, "Certificates": [{"CertificateArn": CERT_B}]}),
    )
    .expect("modified");
    let listed = call(
        &svc,
        &ctx,
        "DescribeListenerCertificates",
        json!({"ListenerArn": arn}),
    )
    .expect("listed");
    assert_eq!(
        listed["Certificates"],
        json!([{"CertificateArn": CERT_B, "IsDefault": true}])
    );
}

#[test]
fn acm_learns_which_load_balancers_use_a_certificate() {
    use gureum_kit::certificates::CertificateUsers;
    let (svc, ctx) = https_service();
    let l = https_listener(&svc, &ctx, CERT_A).expect("listener");
    let lb = l["Listeners"][0]["LoadBalancerArn"].as_str().expect("lb");
    assert_eq!(svc.users(CERT_A), vec![lb.to_string()]);
    assert!(svc.users(CERT_B).is_empty());
    // Another region's certificate of the same id is not this listener's.
    assert!(svc
        .users("arn:aws:acm:eu-west-1:000000000000:certificate/aaaa")
        .is_empty());
}
