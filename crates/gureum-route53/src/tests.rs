//! Route 53's rules, one per test, through `Service::call`, and the DNS
//! answers the authority gives for them.

use crate::{Route53Service, VpcDirectory};
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_dns::wire::{Question, RData, Rcode, RecordType};
use gureum_store::Store;
use serde_json::json;
use std::sync::Arc;

/// `vpc-1` exists in us-east-1, nothing else.
struct OneVpc;

impl VpcDirectory for OneVpc {
    fn exists(&self, _account: &str, region: &str, id: &str) -> Result<bool, AwsError> {
        Ok(region == "us-east-1" && id == "vpc-1")
    }
}

struct Env {
    svc: Route53Service,
    clock: Clock,
}

impl Env {
    fn new() -> Self {
        Env {
            svc: Route53Service::with_vpcs(Store::in_memory().expect("store"), Arc::new(OneVpc)),
            clock: Clock::with_offset(0),
        }
    }

    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        let ctx = RequestContext::root("000000000000", "us-east-1", self.clock.clone());
        let fut = self.svc.call(&ctx, op, input);
        let mut fut = fut;
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => panic!("route53 operations are never pending"),
        }
    }

    fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input)
            .unwrap_or_else(|e| panic!("{op}: {} {}", e.code, e.message))
    }

    fn err(&self, op: &str, input: Value) -> AwsError {
        match self.call(op, input) {
            Ok(v) => panic!("{op} should fail, answered {v}"),
            Err(e) => e,
        }
    }

    fn zone(&self, name: &str) -> String {
        let out = self.ok(
            "CreateHostedZone",
            json!({"Name": name, "CallerReference": format!("ref-{name}")}),
        );
        out["HostedZone"]["Id"]
            .as_str()
            .expect("id")
            .trim_start_matches("/hostedzone/")
            .to_string()
    }

    fn change(&self, zone: &str, changes: Value) -> Result<Value, AwsError> {
        self.call(
            "ChangeResourceRecordSets",
            json!({"HostedZoneId": zone, "ChangeBatch": {"Changes": changes}}),
        )
    }

    fn ask(&self, name: &str, qtype: u16) -> gureum_dns::Answer {
        self.svc.authority().resolve(
            &Question {
                name: name.into(),
                qtype,
                qclass: 1,
            },
            [127, 0, 0, 1].into(),
        )
    }
}

fn a(name: &str, ips: &[&str]) -> Value {
    json!({"Name": name, "Type": "A", "TTL": 300,
           "ResourceRecords": ips.iter().map(|ip| json!({"Value": ip})).collect::<Vec<_>>()})
}

fn create(set: Value) -> Value {
    json!({"Action": "CREATE", "ResourceRecordSet": set})
}

#[test]
fn a_new_zone_has_its_soa_and_ns_and_four_aws_shaped_name_servers() {
    let env = Env::new();
    let out = env.ok(
        "CreateHostedZone",
        json!({"Name": "Example.COM", "CallerReference": "r1"}),
    );
    assert_eq!(out["HostedZone"]["Name"], "example.com.");
    assert_eq!(out["HostedZone"]["ResourceRecordSetCount"], 2);
    assert_eq!(out["ChangeInfo"]["Status"], "PENDING");
    let ns = out["DelegationSet"]["NameServers"].as_array().expect("ns");
    assert_eq!(ns.len(), 4);
    assert!(ns.iter().all(|n| n
        .as_str()
        .is_some_and(|n| n.starts_with("ns-") && n.contains(".awsdns-"))));
    let id = out["HostedZone"]["Id"].as_str().expect("id");
    let sets = env.ok("ListResourceRecordSets", json!({"HostedZoneId": id}));
    let types: Vec<&str> = sets["ResourceRecordSets"]
        .as_array()
        .expect("sets")
        .iter()
        .map(|s| s["Type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(types, ["NS", "SOA"]);
}

#[test]
fn a_caller_reference_makes_one_zone_only() {
    let env = Env::new();
    env.ok(
        "CreateHostedZone",
        json!({"Name": "a.com", "CallerReference": "same"}),
    );
    let e = env.err(
        "CreateHostedZone",
        json!({"Name": "b.com", "CallerReference": "same"}),
    );
    assert_eq!(e.code, "HostedZoneAlreadyExists");
    assert_eq!(e.status, 409);
    assert_eq!(
        e.message,
        "A hosted zone has already been created with the specified caller reference."
    );
}

#[test]
fn reusable_delegation_sets_are_not_kept_so_none_can_be_named() {
    let env = Env::new();
    let e = env.err("ListHostedZones", json!({"DelegationSetId": "N123"}));
    assert_eq!(e.code, "NoSuchDelegationSet");
    let e = env.err(
        "CreateHostedZone",
        json!({"Name": "a.com", "CallerReference": "d", "DelegationSetId": "N123"}),
    );
    assert_eq!(e.code, "NoSuchDelegationSet");
}

#[test]
fn a_private_zone_needs_an_existing_vpc() {
    let env = Env::new();
    let e = env.err("CreateHostedZone", json!({"Name": "p.internal", "CallerReference": "p", "HostedZoneConfig": {"PrivateZone": true}}));
    assert_eq!(e.code, "InvalidInput");
    let e = env.err("CreateHostedZone", json!({"Name": "p.internal", "CallerReference": "p", "VPC": {"VPCId": "vpc-2", "VPCRegion": "us-east-1"}}));
    assert_eq!(e.code, "InvalidVPCId");
    let out = env.ok("CreateHostedZone", json!({"Name": "p.internal", "CallerReference": "p", "VPC": {"VPCId": "vpc-1", "VPCRegion": "us-east-1"}}));
    assert_eq!(out["HostedZone"]["Config"]["PrivateZone"], true);
    assert!(out.get("DelegationSet").is_none());
    let listed = env.ok(
        "ListHostedZonesByVPC",
        json!({"VPCId": "vpc-1", "VPCRegion": "us-east-1"}),
    );
    assert_eq!(listed["HostedZoneSummaries"][0]["Name"], "p.internal.");
}

#[test]
fn the_last_vpc_of_a_private_zone_cannot_be_disassociated() {
    let env = Env::new();
    let out = env.ok("CreateHostedZone", json!({"Name": "p.internal", "CallerReference": "p", "VPC": {"VPCId": "vpc-1", "VPCRegion": "us-east-1"}}));
    let id = out["HostedZone"]["Id"].as_str().expect("id");
    let e = env.err(
        "DisassociateVPCFromHostedZone",
        json!({"HostedZoneId": id, "VPC": {"VPCId": "vpc-1", "VPCRegion": "us-east-1"}}),
    );
    assert_eq!(e.code, "LastVPCAssociation");
    let public = env.zone("pub.com");
    let e = env.err(
        "AssociateVPCWithHostedZone",
        json!({"HostedZoneId": public, "VPC": {"VPCId": "vpc-1", "VPCRegion": "us-east-1"}}),
    );
    assert_eq!(e.code, "PublicZoneVPCAssociation");
}

#[test]
fn a_zone_with_records_cannot_be_deleted_until_they_are() {
    let env = Env::new();
    let z = env.zone("example.com");
    env.change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("create");
    let e = env.err("DeleteHostedZone", json!({"Id": z}));
    assert_eq!(e.code, "HostedZoneNotEmpty");
    env.change(
        &z,
        json!([{"Action": "DELETE", "ResourceRecordSet": a("www.example.com", &["192.0.2.1"])}]),
    )
    .expect("delete");
    env.ok("DeleteHostedZone", json!({"Id": z}));
    assert_eq!(
        env.err("GetHostedZone", json!({"Id": z})).code,
        "NoSuchHostedZone"
    );
}

#[test]
fn creating_an_existing_set_fails_the_whole_batch() {
    let env = Env::new();
    let z = env.zone("example.com");
    env.change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("create");
    let e = env
        .change(
            &z,
            json!([
                create(a("new.example.com", &["192.0.2.9"])),
                create(a("www.example.com", &["192.0.2.2"]))
            ]),
        )
        .expect_err("exists");
    assert_eq!(e.code, "InvalidChangeBatch");
    assert_eq!(e.message, "[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]");
    // Atomic: the first change was not kept.
    let sets = env.ok("ListResourceRecordSets", json!({"HostedZoneId": z}));
    assert_eq!(
        sets["ResourceRecordSets"].as_array().expect("sets").len(),
        3
    );
}

#[test]
fn deleting_needs_the_exact_current_values() {
    let env = Env::new();
    let z = env.zone("example.com");
    env.change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("create");
    let e = env.change(&z, json!([{"Action": "DELETE", "ResourceRecordSet": a("www.example.com", &["192.0.2.2"])}])).expect_err("mismatch");
    assert_eq!(e.message, "[Tried to delete resource record set [name='www.example.com.', type='A'] but the values provided do not match the current values]");
    let e = env.change(&z, json!([{"Action": "DELETE", "ResourceRecordSet": a("nope.example.com", &["192.0.2.2"])}])).expect_err("missing");
    assert_eq!(e.message, "[Tried to delete resource record set [name='nope.example.com.', type='A'] but it was not found]");
}

#[test]
fn a_cname_may_not_sit_at_the_apex_or_beside_other_types() {
    let env = Env::new();
    let z = env.zone("example.com");
    let cname = |name: &str| json!({"Name": name, "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "target.example.net"}]});
    let e = env
        .change(&z, json!([create(cname("example.com"))]))
        .expect_err("apex");
    assert_eq!(e.message, "[RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com.]");
    env.change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("a");
    let e = env
        .change(&z, json!([create(cname("www.example.com"))]))
        .expect_err("beside");
    assert_eq!(e.message, "[RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com.]");
}

#[test]
fn a_set_needs_a_ttl_unless_it_is_an_alias() {
    let env = Env::new();
    let z = env.zone("example.com");
    let e = env.change(&z, json!([create(json!({"Name": "x.example.com", "Type": "A", "ResourceRecords": [{"Value": "192.0.2.1"}]}))])).expect_err("ttl");
    assert_eq!(e.code, "InvalidInput");
    assert_eq!(e.message, "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=x.example.com., Type=A, SetIdentifier=null]");
    env.change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("target");
    env.change(&z, json!([create(json!({"Name": "example.com", "Type": "A", "AliasTarget": {"HostedZoneId": z, "DNSName": "www.example.com", "EvaluateTargetHealth": false}}))])).expect("alias without ttl");
}

#[test]
fn weighted_sets_need_a_set_identifier_and_do_not_mix_with_simple_ones() {
    let env = Env::new();
    let z = env.zone("example.com");
    let mut w = a("w.example.com", &["192.0.2.1"]);
    w["Weight"] = json!(1);
    let e = env
        .change(&z, json!([create(w.clone())]))
        .expect_err("no id");
    assert_eq!(e.message, "Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name=w.example.com., Type=A, SetIdentifier=null]");
    env.change(&z, json!([create(a("w.example.com", &["192.0.2.3"]))]))
        .expect("simple");
    w["SetIdentifier"] = json!("one");
    let e = env.change(&z, json!([create(w)])).expect_err("mixed");
    assert_eq!(e.message, "[RRSet with DNS name w.example.com., type A, SetIdentifier one cannot be created as a non-weighted set exists with the same name and type.]");
}

#[test]
fn values_are_checked_for_their_type() {
    let env = Env::new();
    let z = env.zone("example.com");
    let e = env
        .change(&z, json!([create(a("x.example.com", &["300.1.1.1"]))]))
        .expect_err("ip");
    assert_eq!(e.message, "[Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '300.1.1.1'']");
    let txt = json!({"Name": "t.example.com", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": "unquoted"}]});
    let e = env.change(&z, json!([create(txt)])).expect_err("txt");
    assert_eq!(e.message, "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'unquoted'']");
}

#[test]
fn upsert_replaces_and_listing_starts_where_asked() {
    let env = Env::new();
    let z = env.zone("example.com");
    for n in ["a", "b", "c"] {
        env.change(
            &z,
            json!([create(a(&format!("{n}.example.com"), &["192.0.2.1"]))]),
        )
        .expect("create");
    }
    env.change(
        &z,
        json!([{"Action": "UPSERT", "ResourceRecordSet": a("b.example.com", &["192.0.2.7"])}]),
    )
    .expect("upsert");
    let page = env.ok(
        "ListResourceRecordSets",
        json!({"HostedZoneId": z, "StartRecordName": "b.example.com", "MaxItems": "1"}),
    );
    assert_eq!(
        page["ResourceRecordSets"][0]["ResourceRecords"][0]["Value"],
        "192.0.2.7"
    );
    assert_eq!(page["IsTruncated"], true);
    assert_eq!(page["NextRecordName"], "c.example.com.");
    assert_eq!(page["NextRecordType"], "A");
}

#[test]
fn a_change_turns_insync_once_the_clock_passes() {
    let env = Env::new();
    let z = env.zone("example.com");
    let out = env
        .change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("change");
    let id = out["ChangeInfo"]["Id"].as_str().expect("id").to_string();
    assert_eq!(
        env.ok("GetChange", json!({"Id": id}))["ChangeInfo"]["Status"],
        "PENDING"
    );
    env.clock.advance_millis(crate::changes::PROPAGATION_MS);
    assert_eq!(
        env.ok("GetChange", json!({"Id": id}))["ChangeInfo"]["Status"],
        "INSYNC"
    );
    assert_eq!(
        env.err("GetChange", json!({"Id": "CNOPE"})).code,
        "NoSuchChange"
    );
}

#[test]
fn dns_answers_authoritatively_with_nxdomain_nodata_and_cname_chasing() {
    let env = Env::new();
    let z = env.zone("example.com");
    env.change(&z, json!([
        create(a("www.example.com", &["192.0.2.1", "192.0.2.2"])),
        create(json!({"Name": "alias.example.com", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "www.example.com"}]})),
        create(json!({"Name": "example.com", "Type": "MX", "TTL": 60, "ResourceRecords": [{"Value": "10 mail.example.com"}]})),
        create(a("*.wild.example.com", &["192.0.2.9"])),
    ])).expect("records");
    let ans = env.ask("www.example.com.", RecordType::A);
    assert!(ans.authoritative);
    assert_eq!(ans.answers.len(), 2);
    let ans = env.ask("nope.example.com.", RecordType::A);
    assert_eq!(ans.rcode, Rcode::NxDomain);
    assert_eq!(ans.authority[0].rtype, RecordType::SOA);
    let ans = env.ask("www.example.com.", RecordType::MX);
    assert_eq!(
        (ans.rcode, ans.answers.len(), ans.authority.len()),
        (Rcode::NoError, 0, 1)
    );
    let ans = env.ask("alias.example.com.", RecordType::A);
    assert_eq!(ans.answers.len(), 3);
    assert_eq!(ans.answers[0].data, RData::Name("www.example.com.".into()));
    let ans = env.ask("x.wild.example.com.", RecordType::A);
    assert_eq!(ans.answers[0].name, "x.wild.example.com.");
    assert_eq!(env.ask("example.org.", RecordType::A).rcode, Rcode::Refused);
    assert_eq!(
        env.ask("bucket.s3.localhost.", RecordType::A).answers[0].data,
        RData::A([127, 0, 0, 1].into())
    );
}

#[test]
fn an_alias_answers_its_targets_records_under_its_own_name() {
    let env = Env::new();
    let z = env.zone("example.com");
    env.change(&z, json!([create(a("www.example.com", &["192.0.2.1"]))]))
        .expect("target");
    env.change(&z, json!([create(json!({"Name": "example.com", "Type": "A", "AliasTarget": {"HostedZoneId": z, "DNSName": "www.example.com", "EvaluateTargetHealth": true}}))])).expect("alias");
    let ans = env.ask("example.com.", RecordType::A);
    assert_eq!(ans.answers.len(), 1);
    assert_eq!(ans.answers[0].name, "example.com.");
    let e = env.change(&z, json!([create(json!({"Name": "x.example.com", "Type": "A", "AliasTarget": {"HostedZoneId": z, "DNSName": "none.example.com", "EvaluateTargetHealth": false}}))])).expect_err("no target");
    assert!(
        e.message.contains("but that target was not found"),
        "{}",
        e.message
    );
}

/// One ALB, whose health the test sets.
struct OneAlb(std::sync::atomic::AtomicBool);

impl gureum_kit::dns_targets::AliasTargets for OneAlb {
    fn resolve(
        &self,
        kind: gureum_kit::dns_targets::TargetKind,
        region: Option<&str>,
        name: &str,
    ) -> Option<gureum_kit::dns_targets::ResolvedTarget> {
        (kind == gureum_kit::dns_targets::TargetKind::ApplicationLoadBalancer
            && region == Some("us-east-1")
            && name == "web-1.us-east-1.elb.localhost")
            .then(|| gureum_kit::dns_targets::ResolvedTarget {
                addresses: vec![[127, 0, 0, 1].into()],
                healthy: self.0.load(std::sync::atomic::Ordering::SeqCst),
            })
    }
}

#[test]
fn an_alias_to_a_load_balancer_must_exist_and_fails_over_when_it_has_no_healthy_target() {
    let env = Env::new();
    let alb = Arc::new(OneAlb(std::sync::atomic::AtomicBool::new(true)));
    env.svc.set_alias_targets(alb.clone());
    let z = env.zone("example.com");
    let alias = |name: &str, target: &str| {
        json!({"Name": name, "Type": "A", "SetIdentifier": "p", "Failover": "PRIMARY",
        "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": target, "EvaluateTargetHealth": true}})
    };
    let e = env
        .change(
            &z,
            json!([create(alias(
                "app.example.com",
                "other-2.us-east-1.elb.localhost"
            ))]),
        )
        .expect_err("missing balancer");
    assert_eq!(e.message, "[Tried to create an alias that targets other-2.us-east-1.elb.localhost., type A in zone Z35SXDOTRQ7X7K, but that target was not found]");
    env.change(&z, json!([
        create(alias("app.example.com", "dualstack.web-1.us-east-1.elb.localhost")),
        create(json!({"Name": "app.example.com", "Type": "A", "TTL": 60, "SetIdentifier": "s", "Failover": "SECONDARY",
                      "ResourceRecords": [{"Value": "192.0.2.7"}]})),
    ]))
    .expect("alias to the balancer");
    let ans = env.ask("app.example.com.", RecordType::A);
    assert_eq!(ans.answers.len(), 1);
    assert_eq!(
        ans.answers[0].data,
        gureum_dns::wire::RData::A([127, 0, 0, 1].into())
    );
    alb.0.store(false, std::sync::atomic::Ordering::SeqCst);
    let ans = env.ask("app.example.com.", RecordType::A);
    assert_eq!(
        ans.answers[0].data,
        gureum_dns::wire::RData::A([192, 0, 2, 7].into())
    );
}

#[test]
fn private_zones_are_not_answered_to_host_queries() {
    let env = Env::new();
    let out = env.ok("CreateHostedZone", json!({"Name": "corp.internal", "CallerReference": "p", "VPC": {"VPCId": "vpc-1", "VPCRegion": "us-east-1"}}));
    let z = out["HostedZone"]["Id"]
        .as_str()
        .expect("id")
        .trim_start_matches("/hostedzone/")
        .to_string();
    env.change(&z, json!([create(a("db.corp.internal", &["10.0.0.5"]))]))
        .expect("record");
    assert_eq!(
        env.ask("db.corp.internal.", RecordType::A).rcode,
        Rcode::Refused
    );
    env.svc.authority().set_vpc_of_source(Arc::new(|_| {
        Some(crate::VpcRef {
            region: "us-east-1".into(),
            id: "vpc-1".into(),
        })
    }));
    assert_eq!(env.ask("db.corp.internal.", RecordType::A).answers.len(), 1);
}

#[test]
fn a_record_set_cannot_name_a_missing_health_check_and_a_used_check_stays() {
    let env = Env::new();
    let z = env.zone("example.com");
    let mut p = a("f.example.com", &["192.0.2.1"]);
    p["SetIdentifier"] = json!("p");
    p["Failover"] = json!("PRIMARY");
    p["HealthCheckId"] = json!("nope");
    assert_eq!(
        env.change(&z, json!([create(p.clone())]))
            .expect_err("hc")
            .code,
        "NoSuchHealthCheck"
    );
    let hc = env.ok("CreateHealthCheck", json!({"CallerReference": "h", "HealthCheckConfig": {"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9}}));
    let id = hc["HealthCheck"]["Id"].as_str().expect("id").to_string();
    assert_eq!(
        hc["HealthCheck"]["HealthCheckConfig"]["RequestInterval"],
        30
    );
    assert_eq!(
        hc["HealthCheck"]["HealthCheckConfig"]["FailureThreshold"],
        3
    );
    p["HealthCheckId"] = json!(id);
    env.change(&z, json!([create(p)])).expect("primary");
    assert_eq!(
        env.err("DeleteHealthCheck", json!({"HealthCheckId": id}))
            .code,
        "HealthCheckInUse"
    );
}

#[test]
fn tags_are_added_replaced_and_removed() {
    let env = Env::new();
    let z = env.zone("example.com");
    env.ok("ChangeTagsForResource", json!({"ResourceType": "hostedzone", "ResourceId": z, "AddTags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}));
    env.ok("ChangeTagsForResource", json!({"ResourceType": "hostedzone", "ResourceId": z, "AddTags": [{"Key": "a", "Value": "3"}], "RemoveTagKeys": ["b"]}));
    let out = env.ok(
        "ListTagsForResource",
        json!({"ResourceType": "hostedzone", "ResourceId": z}),
    );
    assert_eq!(
        out["ResourceTagSet"]["Tags"],
        json!([{"Key": "a", "Value": "3"}])
    );
    assert_eq!(
        env.err(
            "ListTagsForResource",
            json!({"ResourceType": "healthcheck", "ResourceId": "x"})
        )
        .code,
        "NoSuchHealthCheck"
    );
}

#[test]
#[ignore = "a measurement: cargo test --release -p gureum-route53 -- --ignored --nocapture"]
fn a_dns_query_costs_under_20_microseconds_in_process() {
    let env = Env::new();
    let z = env.zone("bench.example");
    let mut w1 = a("w.bench.example", &["192.0.2.2"]);
    w1["SetIdentifier"] = json!("a");
    w1["Weight"] = json!(3);
    let mut w2 = a("w.bench.example", &["192.0.2.3"]);
    w2["SetIdentifier"] = json!("b");
    w2["Weight"] = json!(1);
    env.change(&z, json!([
        create(a("www.bench.example", &["192.0.2.1"])),
        create(w1),
        create(w2),
        create(json!({"Name": "alias.bench.example", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "www.bench.example"}]})),
    ])).expect("records");
    let authority = env.svc.authority();
    let packets: Vec<Vec<u8>> = ["www", "w", "alias", "nope"]
        .iter()
        .map(|n| {
            gureum_dns::wire::encode_query(7, &format!("{n}.bench.example."), RecordType::A, None)
        })
        .collect();
    let n = 400_000;
    let t0 = std::time::Instant::now();
    for i in 0..n {
        let out = gureum_dns::handle_packet(
            &packets[i % 4],
            [127, 0, 0, 1].into(),
            authority.as_ref(),
            false,
        );
        assert!(out.is_some());
    }
    let per = t0.elapsed().as_nanos() as f64 / n as f64;
    println!("in-process: {per:.0} ns per query (parse, resolve, encode)");
    assert!(per < 20_000.0, "{per} ns per query");
}

/// Records what Route 53 emits.
#[derive(Default)]
struct Recorded(parking_lot::Mutex<Vec<gureum_kit::metrics::Datapoint>>);

impl gureum_kit::metrics::MetricSink for Recorded {
    fn put(&self, _scope: gureum_core::Scope<'_>, points: Vec<gureum_kit::metrics::Datapoint>) {
        self.0.lock().extend(points);
    }
}

#[test]
fn a_probed_health_check_reports_its_status_to_cloudwatch_each_minute() {
    let sink = Arc::new(Recorded::default());
    let env = Env {
        svc: Route53Service::new(Store::in_memory().expect("store")).with_metrics(sink.clone()),
        clock: Clock::with_offset(0),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = listener.local_addr().expect("addr").port();
    let hc = env.ok("CreateHealthCheck", json!({"CallerReference": "m", "HealthCheckConfig": {"Type": "TCP", "IPAddress": "127.0.0.1", "Port": port}}));
    let id = hc["HealthCheck"]["Id"].as_str().expect("id").to_string();
    env.svc.run_health_checks(&env.clock);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while env.ok("GetHealthCheckStatus", json!({"HealthCheckId": id}))["HealthCheckObservations"]
        .as_array()
        .is_none_or(|o| o.is_empty())
    {
        assert!(std::time::Instant::now() < deadline, "no probe result");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = env.ok("GetHealthCheckStatus", json!({"HealthCheckId": id}));
    assert!(
        status["HealthCheckObservations"][0]["StatusReport"]["Status"]
            .as_str()
            .is_some_and(|s| s.starts_with("Success"))
    );
    env.clock.advance_millis(60_000);
    env.svc.run_health_checks(&env.clock);
    let points = sink.0.lock().clone();
    let status = points
        .iter()
        .find(|p| p.name == "HealthCheckStatus")
        .expect("status point");
    assert_eq!(
        (status.namespace.as_str(), status.value),
        ("AWS/Route53", 1.0)
    );
    assert_eq!(status.dimensions, vec![("HealthCheckId".to_string(), id)]);
}

#[test]
fn a_health_checks_last_status_outlives_a_restart() {
    let store = Store::in_memory().expect("store");
    let env = Env {
        svc: Route53Service::new(store.clone()),
        clock: Clock::with_offset(0),
    };
    // A port nothing listens on: the probe fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("l")
        .local_addr()
        .expect("a")
        .port();
    let hc = env.ok("CreateHealthCheck", json!({"CallerReference": "down", "HealthCheckConfig": {"Type": "TCP", "IPAddress": "127.0.0.1", "Port": port, "FailureThreshold": 1}}));
    let id = hc["HealthCheck"]["Id"].as_str().expect("id").to_string();
    env.svc.run_health_checks(&env.clock);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while env.svc.monitor.healthy(&id) {
        assert!(
            std::time::Instant::now() < deadline,
            "the probe never failed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let restarted = Route53Service::new(store);
    assert!(!restarted.monitor.healthy(&id));
}

#[test]
fn other_services_read_a_simple_records_values_from_the_accounts_zones() {
    let env = Env::new();
    let zone = env.zone("example.test");
    env.change(
        &zone,
        json!([create(
            json!({"Name": "_abc.app.example.test", "Type": "CNAME", "TTL": 300,
                              "ResourceRecords": [{"Value": "_def.acm-validations.aws."}]})
        )]),
    )
    .expect("created");
    // Any case, with or without the final dot.
    for name in ["_abc.app.example.test.", "_ABC.App.Example.Test"] {
        assert_eq!(
            env.svc.record_values("000000000000", name, "CNAME"),
            vec!["_def.acm-validations.aws.".to_string()]
        );
    }
    assert!(env
        .svc
        .record_values("000000000000", "_abc.app.example.test.", "TXT")
        .is_empty());
    // Another account's zones are not read.
    assert!(env
        .svc
        .record_values("111111111111", "_abc.app.example.test.", "CNAME")
        .is_empty());
}
