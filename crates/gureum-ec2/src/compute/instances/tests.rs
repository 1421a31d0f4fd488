//! Rule-by-rule tests of instances and Elastic IPs, through the service's
//! handlers over an in-memory store, with Gureum's clock advanced by hand.

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use gureum_store::Store;
use serde_json::json;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx_with(clock: &Clock) -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", clock.clone())
}

fn ami() -> String {
    crate::common::catalog_images::catalogue_images("us-east-1")
        .into_iter()
        .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
        .and_then(|i| i["ImageId"].as_str().map(str::to_string))
        .expect("an x86_64 linux image")
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

fn run(s: &Ec2Service, ctx: &RequestContext, extra: Value) -> Result<Value, AwsError> {
    let mut input =
        json!({"ImageId": ami(), "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1});
    if let (Some(o), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    s.run_instances(ctx, input)
}

fn run_one(s: &Ec2Service, ctx: &RequestContext, extra: Value) -> Value {
    run(s, ctx, extra).expect("run")["Instances"][0].clone()
}

fn describe_one(s: &Ec2Service, ctx: &RequestContext, id: &str) -> Value {
    let out = s
        .describe_instances(ctx, json!({"InstanceIds": [id]}))
        .expect("describe");
    out["Reservations"][0]["Instances"][0].clone()
}

fn state(s: &Ec2Service, ctx: &RequestContext, id: &str) -> String {
    describe_one(s, ctx, id)["State"]["Name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn id_of(v: &Value) -> String {
    v["InstanceId"].as_str().expect("id").to_string()
}

fn public_subnet(s: &Ec2Service, ctx: &RequestContext, cidr: &str) -> String {
    let v = s
        .create_vpc(ctx, json!({"CidrBlock": "10.0.0.0/16"}))
        .expect("vpc")["Vpc"]["VpcId"]
        .as_str()
        .expect("vpc id")
        .to_string();
    let sub = s
        .create_subnet(ctx, json!({"VpcId": v, "CidrBlock": cidr}))
        .expect("subnet")["Subnet"]["SubnetId"]
        .as_str()
        .expect("subnet id")
        .to_string();
    s.modify_subnet_attribute(
        ctx,
        json!({"SubnetId": sub, "MapPublicIpOnLaunch": {"Value": true}}),
    )
    .expect("map public");
    sub
}

#[test]
fn run_instances_with_an_unknown_ami_is_invalid_ami_id_not_found() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    assert_eq!(
        code(run(&s, &ctx, json!({"ImageId": "ami-0123456789abcdef0"}))),
        "InvalidAMIID.NotFound"
    );
}

#[test]
fn run_instances_with_an_unknown_type_is_invalid_parameter_value() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let err = run(&s, &ctx, json!({"InstanceType": "t9.huge"})).expect_err("bad type");
    assert_eq!(err.code, "InvalidParameterValue");
    assert_eq!(err.message, "Invalid value 't9.huge' for InstanceType.");
}

#[test]
fn min_count_above_max_count_is_invalid_parameter_value() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    assert_eq!(
        code(run(&s, &ctx, json!({"MinCount": 3, "MaxCount": 2}))),
        "InvalidParameterValue"
    );
}

#[test]
fn unknown_key_pair_is_invalid_key_pair_not_found() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    assert_eq!(
        code(run(&s, &ctx, json!({"KeyName": "nope"}))),
        "InvalidKeyPair.NotFound"
    );
}

#[test]
fn unknown_security_groups_are_invalid_group_not_found() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    assert_eq!(
        code(run(
            &s,
            &ctx,
            json!({"SecurityGroupIds": ["sg-0123456789abcdef0"]})
        )),
        "InvalidGroup.NotFound"
    );
    assert_eq!(
        code(run(&s, &ctx, json!({"SecurityGroups": ["web"]}))),
        "InvalidGroup.NotFound"
    );
    // The default group by name works in the default VPC.
    let i = run_one(&s, &ctx, json!({"SecurityGroups": ["default"]}));
    assert_eq!(i["SecurityGroups"][0]["GroupName"], "default");
}

#[test]
fn dry_run_is_dry_run_operation() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let err = run(&s, &ctx, json!({"DryRun": true})).expect_err("dry");
    assert_eq!((err.code.as_str(), err.status), ("DryRunOperation", 412));
    let out = s.describe_instances(&ctx, json!({})).expect("describe");
    assert_eq!(out["Reservations"], json!([]));
}

#[test]
fn a_taken_private_address_is_invalid_ip_address_in_use() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let sub = public_subnet(&s, &ctx, "10.0.1.0/24");
    let i = run_one(
        &s,
        &ctx,
        json!({"SubnetId": sub, "PrivateIpAddress": "10.0.1.10"}),
    );
    assert_eq!(i["PrivateIpAddress"], "10.0.1.10");
    assert_eq!(
        code(run(
            &s,
            &ctx,
            json!({"SubnetId": sub, "PrivateIpAddress": "10.0.1.10"})
        )),
        "InvalidIPAddress.InUse"
    );
    assert_eq!(
        code(run(
            &s,
            &ctx,
            json!({"SubnetId": sub, "PrivateIpAddress": "10.0.2.10"})
        )),
        "InvalidParameterValue"
    );
}

#[test]
fn instances_take_subnet_addresses_and_give_them_back_on_termination() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let sub = public_subnet(&s, &ctx, "10.0.1.0/24");
    let out = run(
        &s,
        &ctx,
        json!({"SubnetId": sub, "MinCount": 2, "MaxCount": 2}),
    )
    .expect("run");
    let ips: Vec<&str> = out["Instances"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|i| i["PrivateIpAddress"].as_str())
        .collect();
    assert_eq!(ips, vec!["10.0.1.4", "10.0.1.5"]);
    assert!(out["Instances"][0]["PublicIpAddress"]
        .as_str()
        .is_some_and(|p| p.starts_with("198.18.")));
    let count = |s: &Ec2Service| {
        s.describe_subnets(&ctx, json!({"SubnetIds": [sub]}))
            .expect("subnets")["Subnets"][0]["AvailableIpAddressCount"]
            .as_u64()
    };
    assert_eq!(count(&s), Some(249));
    let id = id_of(&out["Instances"][0]);
    assert_eq!(
        code(s.delete_subnet(&ctx, json!({"SubnetId": sub}))),
        "DependencyViolation"
    );
    s.terminate_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("terminate");
    assert_eq!(count(&s), Some(250));
}

#[test]
fn lifecycle_follows_the_clock() {
    let s = svc();
    let clock = Clock::system();
    let ctx = ctx_with(&clock);
    let i = run_one(&s, &ctx, json!({}));
    let id = id_of(&i);
    assert_eq!(i["State"], json!({"Code": 0, "Name": "pending"}));
    let ip1 = i["PublicIpAddress"]
        .as_str()
        .expect("default subnet maps public IPs")
        .to_string();
    clock.advance_millis(1_000);
    assert_eq!(state(&s, &ctx, &id), "running");

    let out = s
        .stop_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("stop");
    assert_eq!(
        out["StoppingInstances"][0],
        json!({"InstanceId": id, "PreviousState": {"Code": 16, "Name": "running"}, "CurrentState": {"Code": 64, "Name": "stopping"}})
    );
    let d = describe_one(&s, &ctx, &id);
    assert!(d.get("PublicIpAddress").is_none());
    assert!(d["StateTransitionReason"]
        .as_str()
        .is_some_and(|r| r.starts_with("User initiated (") && r.ends_with(" GMT)")));
    assert_eq!(d["StateReason"]["Code"], "Client.UserInitiatedShutdown");
    clock.advance_millis(1_000);
    assert_eq!(state(&s, &ctx, &id), "stopped");

    let out = s
        .start_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("start");
    assert_eq!(out["StartingInstances"][0]["PreviousState"]["Code"], 80);
    assert_eq!(out["StartingInstances"][0]["CurrentState"]["Code"], 0);
    clock.advance_millis(1_000);
    let d = describe_one(&s, &ctx, &id);
    assert_eq!(d["State"]["Name"], "running");
    let ip2 = d["PublicIpAddress"]
        .as_str()
        .expect("new public ip")
        .to_string();
    assert_ne!(ip1, ip2);

    s.reboot_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("reboot");
    assert_eq!(describe_one(&s, &ctx, &id)["PublicIpAddress"], ip2.as_str());

    let out = s
        .terminate_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("terminate");
    assert_eq!(out["TerminatingInstances"][0]["CurrentState"]["Code"], 32);
    clock.advance_millis(1_000);
    assert_eq!(state(&s, &ctx, &id), "terminated");
    clock.advance_millis(3_600_000);
    assert_eq!(
        code(s.describe_instances(&ctx, json!({"InstanceIds": [id]}))),
        "InvalidInstanceID.NotFound"
    );
}

#[test]
fn disable_api_termination_is_operation_not_permitted() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let id = id_of(&run_one(&s, &ctx, json!({"DisableApiTermination": true})));
    let err = s
        .terminate_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect_err("protected");
    assert_eq!(err.code, "OperationNotPermitted");
    assert_eq!(
        err.message,
        format!("The instance '{id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.")
    );
    s.modify_instance_attribute(
        &ctx,
        json!({"InstanceId": id, "DisableApiTermination": {"Value": false}}),
    )
    .expect("modify");
    s.terminate_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("terminate");
}

#[test]
fn disable_api_stop_is_operation_not_permitted() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let id = id_of(&run_one(&s, &ctx, json!({"DisableApiStop": true})));
    assert_eq!(
        code(s.stop_instances(&ctx, json!({"InstanceIds": [id]}))),
        "OperationNotPermitted"
    );
}

#[test]
fn instance_type_changes_only_when_stopped_is_incorrect_instance_state() {
    let s = svc();
    let clock = Clock::system();
    let ctx = ctx_with(&clock);
    let id = id_of(&run_one(&s, &ctx, json!({"UserData": "ZWNobyBoaQ=="})));
    clock.advance_millis(1_000);
    assert_eq!(
        code(s.modify_instance_attribute(
            &ctx,
            json!({"InstanceId": id, "InstanceType": {"Value": "t3.small"}})
        )),
        "IncorrectInstanceState"
    );
    let ud = s
        .describe_instance_attribute(&ctx, json!({"InstanceId": id, "Attribute": "userData"}))
        .expect("attr");
    assert_eq!(ud["UserData"]["Value"], "ZWNobyBoaQ==");
    s.stop_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("stop");
    clock.advance_millis(1_000);
    s.modify_instance_attribute(
        &ctx,
        json!({"InstanceId": id, "InstanceType": {"Value": "t3.small"}}),
    )
    .expect("modify");
    assert_eq!(describe_one(&s, &ctx, &id)["InstanceType"], "t3.small");
}

#[test]
fn hibernation_needs_configuration() {
    let s = svc();
    let clock = Clock::system();
    let ctx = ctx_with(&clock);
    let plain = id_of(&run_one(&s, &ctx, json!({})));
    let hib = id_of(&run_one(
        &s,
        &ctx,
        json!({"HibernationOptions": {"Configured": true}}),
    ));
    clock.advance_millis(1_000);
    assert_eq!(
        code(s.stop_instances(&ctx, json!({"InstanceIds": [plain], "Hibernate": true}))),
        "UnsupportedHibernationConfiguration"
    );
    s.stop_instances(&ctx, json!({"InstanceIds": [hib], "Hibernate": true}))
        .expect("hibernate");
    assert_eq!(
        describe_one(&s, &ctx, &hib)["StateReason"]["Code"],
        "Client.UserInitiatedHibernate"
    );
}

#[test]
fn describe_instances_checks_ids_filters_and_pagination() {
    let s = svc();
    let clock = Clock::system();
    let ctx = ctx_with(&clock);
    let out = run(
        &s,
        &ctx,
        json!({"MinCount": 6, "MaxCount": 6, "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}]}),
    )
    .expect("run");
    let spot = run_one(
        &s,
        &ctx,
        json!({"InstanceMarketOptions": {"MarketType": "spot"}}),
    );
    assert_eq!(spot["InstanceLifecycle"], "spot");
    assert_eq!(
        code(s.describe_instances(&ctx, json!({"InstanceIds": ["i-0123456789abcdef0"]}))),
        "InvalidInstanceID.NotFound"
    );
    assert_eq!(
        code(s.describe_instances(&ctx, json!({"InstanceIds": ["nope"]}))),
        "InvalidInstanceID.Malformed"
    );
    assert_eq!(
        code(s.describe_instances(
            &ctx,
            json!({"InstanceIds": [id_of(&spot)], "MaxResults": 5})
        )),
        "InvalidParameterCombination"
    );
    let count = |f: Value| {
        s.describe_instances(&ctx, json!({"Filters": f}))
            .expect("describe")["Reservations"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|r| r["Instances"].as_array().map_or(0, Vec::len))
                    .sum::<usize>()
            })
            .unwrap_or(0)
    };
    assert_eq!(count(json!([{"Name": "tag:Name", "Values": ["web"]}])), 6);
    assert_eq!(count(json!([{"Name": "tag-key", "Values": ["Name"]}])), 6);
    assert_eq!(
        count(json!([{"Name": "instance-lifecycle", "Values": ["spot"]}])),
        1
    );
    assert_eq!(
        count(json!([{"Name": "instance-state-name", "Values": ["pending"]}])),
        7
    );
    clock.advance_millis(1_000);
    assert_eq!(
        count(json!([{"Name": "instance-state-code", "Values": ["16"]}])),
        7
    );
    assert_eq!(
        count(json!([{"Name": "instance-type", "Values": ["t3.*"]}])),
        7
    );
    assert_eq!(
        count(json!([{"Name": "architecture", "Values": ["x86_64"]}])),
        7
    );
    assert_eq!(
        count(json!([{"Name": "availability-zone", "Values": ["us-east-1a"]}])),
        7
    );
    let first_ip = out["Instances"][0]["PrivateIpAddress"].clone();
    assert_eq!(
        count(json!([{"Name": "private-ip-address", "Values": [first_ip]}])),
        1
    );
    // Reservations group the instances of one launch.
    let all = s.describe_instances(&ctx, json!({})).expect("all");
    assert_eq!(all["Reservations"].as_array().map(Vec::len), Some(2));
    // Pages of five, then the rest.
    let page = s
        .describe_instances(&ctx, json!({"MaxResults": 5}))
        .expect("page");
    let token = page["NextToken"].as_str().expect("token").to_string();
    let rest = s
        .describe_instances(&ctx, json!({"MaxResults": 5, "NextToken": token}))
        .expect("rest");
    assert!(rest.get("NextToken").is_none());
    let n = |v: &Value| {
        v["Reservations"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|r| r["Instances"].as_array().map_or(0, Vec::len))
                    .sum::<usize>()
            })
            .unwrap_or(0)
    };
    assert_eq!((n(&page), n(&rest)), (5, 2));
    // CreateTags reaches the index.
    s.create_tags(
        &ctx,
        json!({"Resources": [id_of(&spot)], "Tags": [{"Key": "Name", "Value": "web"}]}),
    )
    .expect("tag");
    assert_eq!(count(json!([{"Name": "tag:Name", "Values": ["web"]}])), 7);
    let st = s
        .describe_instance_status(&ctx, json!({"InstanceIds": [id_of(&spot)]}))
        .expect("status");
    assert_eq!(st["InstanceStatuses"][0]["InstanceStatus"]["Status"], "ok");
}

#[test]
fn state_survives_a_new_service_over_the_same_store() {
    let store = Store::in_memory().expect("store");
    let clock = Clock::system();
    let ctx = ctx_with(&clock);
    let s = Ec2Service::new(store.clone());
    s.prepare(&ctx).expect("bootstrap");
    let id = id_of(&run_one(&s, &ctx, json!({})));
    let again = Ec2Service::new(store);
    again.prepare(&ctx).expect("finds it done");
    assert_eq!(describe_one(&again, &ctx, &id)["InstanceId"], id.as_str());
}

#[test]
fn root_device_comes_from_the_ami() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let i = run_one(&s, &ctx, json!({}));
    assert_eq!(i["RootDeviceType"], "ebs");
    let bdm = &i["BlockDeviceMappings"][0];
    assert_eq!(bdm["DeviceName"], i["RootDeviceName"]);
    assert!(bdm["Ebs"]["VolumeId"]
        .as_str()
        .is_some_and(|v| v.starts_with("vol-")));
    assert_eq!(bdm["Ebs"]["DeleteOnTermination"], true);
    assert!(i["ReservationId"].is_null());
}

#[test]
fn elastic_ips_follow_association_rules_and_survive_stop_start() {
    let s = svc();
    let clock = Clock::system();
    let ctx = ctx_with(&clock);
    let a = id_of(&run_one(&s, &ctx, json!({})));
    let b = id_of(&run_one(&s, &ctx, json!({})));
    clock.advance_millis(1_000);
    let eip = s
        .allocate_address(&ctx, json!({"Domain": "vpc"}))
        .expect("eip");
    let alloc = eip["AllocationId"].as_str().expect("alloc").to_string();
    let ip = eip["PublicIp"].as_str().expect("ip").to_string();
    assert!(ip.starts_with("198.19."));
    let assoc = s
        .associate_address(&ctx, json!({"AllocationId": alloc, "InstanceId": a}))
        .expect("associate")["AssociationId"]
        .as_str()
        .expect("assoc")
        .to_string();
    assert!(assoc.starts_with("eipassoc-"));
    assert_eq!(describe_one(&s, &ctx, &a)["PublicIpAddress"], ip.as_str());
    assert_eq!(
        code(s.associate_address(&ctx, json!({"AllocationId": alloc, "InstanceId": b}))),
        "Resource.AlreadyAssociated"
    );
    assert_eq!(
        code(s.release_address(&ctx, json!({"AllocationId": alloc}))),
        "InvalidIPAddress.InUse"
    );
    s.stop_instances(&ctx, json!({"InstanceIds": [a]}))
        .expect("stop");
    clock.advance_millis(1_000);
    assert_eq!(describe_one(&s, &ctx, &a)["PublicIpAddress"], ip.as_str());
    s.start_instances(&ctx, json!({"InstanceIds": [a]}))
        .expect("start");
    clock.advance_millis(1_000);
    assert_eq!(describe_one(&s, &ctx, &a)["PublicIpAddress"], ip.as_str());
    let f = s
        .describe_addresses(
            &ctx,
            json!({"Filters": [{"Name": "instance-id", "Values": [a]}]}),
        )
        .expect("describe");
    assert_eq!(f["Addresses"][0]["AssociationId"], assoc.as_str());
    // Reassociation with AllowReassociation moves it; A gets a new address.
    s.associate_address(
        &ctx,
        json!({"AllocationId": alloc, "InstanceId": b, "AllowReassociation": true}),
    )
    .expect("reassociate");
    assert_eq!(describe_one(&s, &ctx, &b)["PublicIpAddress"], ip.as_str());
    assert_ne!(describe_one(&s, &ctx, &a)["PublicIpAddress"], ip.as_str());
    let f = s
        .describe_addresses(&ctx, json!({"AllocationIds": [alloc]}))
        .expect("describe");
    let assoc2 = f["Addresses"][0]["AssociationId"]
        .as_str()
        .expect("assoc")
        .to_string();
    s.disassociate_address(&ctx, json!({"AssociationId": assoc2}))
        .expect("disassociate");
    s.release_address(&ctx, json!({"AllocationId": alloc}))
        .expect("release");
    assert_eq!(
        code(s.release_address(&ctx, json!({"AllocationId": alloc}))),
        "InvalidAllocationID.NotFound"
    );
}

#[test]
#[ignore = "benchmark: cargo test -p gureum-ec2 --release -- --ignored --nocapture"]
fn describe_instances_over_10000_with_a_tag_filter() {
    let s = svc();
    let ctx = ctx_with(&Clock::system());
    let v = s
        .create_vpc(&ctx, json!({"CidrBlock": "10.0.0.0/16"}))
        .expect("vpc")["Vpc"]["VpcId"]
        .as_str()
        .expect("vpc id")
        .to_string();
    let sub = s
        .create_subnet(&ctx, json!({"VpcId": v, "CidrBlock": "10.0.0.0/16"}))
        .expect("subnet")["Subnet"]["SubnetId"]
        .as_str()
        .expect("subnet id")
        .to_string();
    for n in 0..10 {
        run(
            &s,
            &ctx,
            json!({"SubnetId": sub, "MinCount": 1000, "MaxCount": 1000,
                   "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": format!("batch-{n}")}]}]}),
        )
        .expect("run");
    }
    // A fresh service: the index is loaded from the store first.
    let started = std::time::Instant::now();
    let filter = json!({"Filters": [{"Name": "tag:Name", "Values": ["batch-7"]}]});
    s.describe_instances(&ctx, filter.clone()).expect("warm");
    let warm = started.elapsed();
    let mut best = std::time::Duration::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let out = s
            .describe_instances(&ctx, filter.clone())
            .expect("describe");
        best = best.min(t.elapsed());
        assert_eq!(
            out["Reservations"][0]["Instances"].as_array().map(Vec::len),
            Some(1000)
        );
    }
    let t = std::time::Instant::now();
    let none = json!({"Filters": [{"Name": "tag:Name", "Values": ["absent"]}]});
    s.describe_instances(&ctx, none).expect("none");
    let empty = t.elapsed();
    // What the rendered-value cache costs in memory: render all 10,000.
    let rss = || {
        std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|t| t.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |pages| pages * 4096)
    };
    let before = rss();
    let all = s.describe_instances(&ctx, json!({})).expect("all");
    drop(all);
    let cache_bytes = rss().saturating_sub(before);
    let cold = Ec2Service::new(s.store.clone());
    let t = std::time::Instant::now();
    cold.describe_instances(&ctx, filter).expect("cold");
    let cold_load = t.elapsed();
    println!(
        "DescribeInstances over 10,000 instances, tag:Name filter (1,000 matches): best {best:?}; \
         no match {empty:?}; first call {warm:?}; cold (index load from store) {cold_load:?}; \
         resident memory after rendering all 10,000: +{} MiB",
        cache_bytes >> 20
    );
}
