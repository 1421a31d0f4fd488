//! The service's rules, one test each, through `Service::call`.

use crate::RdsService;
use gureum_core::{Clock, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;

/// The control plane alone: instances stay `creating`, no engine starts.
fn svc() -> RdsService {
    let svc = RdsService::new(Store::in_memory().expect("store"));
    svc.engines.disable();
    svc
}

fn call(svc: &RdsService, op: &str, input: Value) -> Result<Value, gureum_core::AwsError> {
    let ctx = RequestContext::root("123456789012", "us-east-1", Clock::system());
    let fut = svc.call(&ctx, op, input);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut fut = fut;
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => panic!("operations are never pending"),
    }
}

fn create_input(id: &str) -> Value {
    json!({
        "DBInstanceIdentifier": id,
        "Engine": "postgres",
        "DBInstanceClass": "db.t3.micro",
        "MasterUsername": "master",
        "MasterUserPassword": "secret123",
        "AllocatedStorage": 20,
    })
}

#[test]
fn identifiers_must_start_with_a_letter_and_avoid_double_hyphens() {
    let svc = svc();
    for bad in ["1db", "db--x", "db-", "db_x"] {
        let e = call(&svc, "CreateDBInstance", create_input(bad)).expect_err(bad);
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(
            e.message
                .starts_with("The parameter DBInstanceIdentifier is not a valid identifier."),
            "{}",
            e.message
        );
    }
}

#[test]
fn storage_outside_the_types_range_is_an_invalid_combination() {
    let svc = svc();
    let mut input = create_input("db1");
    input["AllocatedStorage"] = json!(10);
    let e = call(&svc, "CreateDBInstance", input).expect_err("too small");
    assert_eq!(e.code, "InvalidParameterCombination");
    assert_eq!(
        e.message,
        "Invalid storage size for engine name postgres and storage type gp2: 10"
    );
}

#[test]
fn short_passwords_are_refused() {
    let svc = svc();
    let mut input = create_input("db1");
    input["MasterUserPassword"] = json!("short");
    let e = call(&svc, "CreateDBInstance", input).expect_err("short");
    assert_eq!(
        e.message,
        "The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters."
    );
}

#[test]
fn unknown_classes_name_the_combination() {
    let svc = svc();
    let mut input = create_input("db1");
    input["DBInstanceClass"] = json!("db.x9.huge");
    let e = call(&svc, "CreateDBInstance", input).expect_err("class");
    assert_eq!(e.code, "InvalidParameterCombination");
    assert!(
        e.message
            .contains("DBInstanceClass=db.x9.huge, Engine=postgres"),
        "{}",
        e.message
    );
}

#[test]
fn a_taken_identifier_is_refused_and_unknown_ones_are_not_found() {
    let svc = svc();
    let out = call(&svc, "CreateDBInstance", create_input("Db1")).expect("created");
    assert_eq!(out["DBInstance"]["DBInstanceIdentifier"], "db1");
    assert_eq!(out["DBInstance"]["DBInstanceStatus"], "creating");
    let e = call(&svc, "CreateDBInstance", create_input("db1")).expect_err("taken");
    assert_eq!(e.code, "DBInstanceAlreadyExists");
    let e = call(
        &svc,
        "DescribeDBInstances",
        json!({"DBInstanceIdentifier": "nope"}),
    )
    .expect_err("missing");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("DBInstanceNotFound", "DBInstance nope not found.")
    );
}

#[test]
fn deletion_protection_refuses_delete() {
    let svc = svc();
    let mut input = create_input("db1");
    input["DeletionProtection"] = json!(true);
    call(&svc, "CreateDBInstance", input).expect("created");
    let e = call(
        &svc,
        "DeleteDBInstance",
        json!({"DBInstanceIdentifier": "db1", "SkipFinalSnapshot": true}),
    )
    .expect_err("protected");
    assert_eq!(
        e.message,
        "Cannot delete protected DB Instance, please disable deletion protection and try again."
    );
}

#[test]
fn delete_without_final_snapshot_choice_is_refused() {
    let svc = svc();
    call(&svc, "CreateDBInstance", create_input("db1")).expect("created");
    let e = call(
        &svc,
        "DeleteDBInstance",
        json!({"DBInstanceIdentifier": "db1"}),
    )
    .expect_err("choice");
    assert_eq!(
        e.message,
        "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
    );
}

#[test]
fn stopping_needs_an_available_instance() {
    let svc = svc();
    call(&svc, "CreateDBInstance", create_input("db1")).expect("created");
    let e = call(
        &svc,
        "StopDBInstance",
        json!({"DBInstanceIdentifier": "db1"}),
    )
    .expect_err("creating");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidDBInstanceState",
            "Instance db1 is not in available state."
        )
    );
}

#[test]
fn static_parameters_cannot_apply_immediately_and_values_are_checked() {
    let svc = svc();
    call(&svc, "CreateDBParameterGroup", json!({"DBParameterGroupName": "pg1", "DBParameterGroupFamily": "postgres15", "Description": "d"})).expect("group");
    let e = call(&svc, "ModifyDBParameterGroup", json!({"DBParameterGroupName": "pg1", "Parameters": [
        {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "immediate"}]})).expect_err("static");
    assert_eq!(e.code, "InvalidParameterCombination");
    let e = call(&svc, "ModifyDBParameterGroup", json!({"DBParameterGroupName": "pg1", "Parameters": [
        {"ParameterName": "max_connections", "ParameterValue": "2", "ApplyMethod": "pending-reboot"}]})).expect_err("range");
    assert_eq!(
        e.message,
        "Invalid parameter value: 2 for: max_connections allowed values are: 6-8388607"
    );
    call(&svc, "ModifyDBParameterGroup", json!({"DBParameterGroupName": "pg1", "Parameters": [
        {"ParameterName": "max_connections", "ParameterValue": "150", "ApplyMethod": "pending-reboot"}]})).expect("set");
    let out = call(
        &svc,
        "DescribeDBParameters",
        json!({"DBParameterGroupName": "pg1", "Source": "user"}),
    )
    .expect("params");
    assert_eq!(out["Parameters"][0]["ParameterValue"], "150");
}

#[test]
fn default_parameter_groups_cannot_be_modified() {
    let svc = svc();
    let e = call(
        &svc,
        "ModifyDBParameterGroup",
        json!({"DBParameterGroupName": "default.postgres15", "Parameters": [
        {"ParameterName": "work_mem", "ParameterValue": "100", "ApplyMethod": "immediate"}]}),
    )
    .expect_err("default");
    assert_eq!(e.code, "InvalidDBParameterGroupState");
}

#[test]
fn a_parameter_group_of_another_family_is_refused() {
    let svc = svc();
    let mut input = create_input("db1");
    input["DBParameterGroupName"] = json!("default.mysql8.0");
    let e = call(&svc, "CreateDBInstance", input).expect_err("family");
    assert_eq!(e.code, "InvalidParameterCombination");
}

#[test]
fn subnet_groups_need_known_subnets() {
    let svc = svc();
    let e = call(&svc, "CreateDBSubnetGroup", json!({"DBSubnetGroupName": "g", "DBSubnetGroupDescription": "d", "SubnetIds": ["subnet-1"]})).expect_err("unknown");
    assert_eq!(e.code, "InvalidSubnet");
}

#[test]
fn describe_engine_versions_filters_by_engine() {
    let svc = svc();
    let out = call(
        &svc,
        "DescribeDBEngineVersions",
        json!({"Engine": "postgres", "DefaultOnly": true}),
    )
    .expect("versions");
    let v = out["DBEngineVersions"].as_array().expect("list");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["DBParameterGroupFamily"], "postgres15");
}

#[test]
fn max_records_outside_20_to_100_is_refused() {
    let svc = svc();
    let e = call(&svc, "DescribeDBInstances", json!({"MaxRecords": 5})).expect_err("small");
    assert_eq!(
        e.message,
        "Invalid value 5 for MaxRecords. Must be between 20 and 100"
    );
}

/// Two subnets in `us-east-1a`, one in `us-east-1b`, one in another VPC.
struct FakeSubnets;

impl crate::Subnets for FakeSubnets {
    fn subnet(&self, _account: &str, _region: &str, id: &str) -> Option<crate::SubnetInfo> {
        let (vpc, az) = match id {
            "subnet-a1" | "subnet-a2" => ("vpc-1", "us-east-1a"),
            "subnet-b1" => ("vpc-1", "us-east-1b"),
            "subnet-other" => ("vpc-2", "us-east-1b"),
            _ => return None,
        };
        Some(crate::SubnetInfo {
            id: id.into(),
            vpc_id: vpc.into(),
            az: az.into(),
        })
    }
}

#[test]
fn subnet_groups_must_cover_two_availability_zones_of_one_vpc() {
    let svc = svc();
    svc.set_subnets(std::sync::Arc::new(FakeSubnets));
    let group = |name: &str, ids: &[&str]| {
        call(
            &svc,
            "CreateDBSubnetGroup",
            json!({"DBSubnetGroupName": name, "DBSubnetGroupDescription": "d", "SubnetIds": ids}),
        )
    };
    let e = group("g", &["subnet-a1", "subnet-a2"]).expect_err("one az");
    assert_eq!(e.code, "DBSubnetGroupDoesNotCoverEnoughAZs");
    assert!(e.message.ends_with("Current coverage: 1"), "{}", e.message);
    let e = group("g", &["subnet-a1", "subnet-other"]).expect_err("two vpcs");
    assert_eq!(e.code, "InvalidSubnet");
    let out = group("g", &["subnet-a1", "subnet-b1"]).expect("two azs");
    assert_eq!(out["DBSubnetGroup"]["VpcId"], "vpc-1");
    let e = group("G", &["subnet-a1", "subnet-b1"]).expect_err("taken");
    assert_eq!(e.code, "DBSubnetGroupAlreadyExists");
    let mut input = create_input("db1");
    input["DBSubnetGroupName"] = json!("g");
    call(&svc, "CreateDBInstance", input).expect("created in the group");
    let e = call(
        &svc,
        "DeleteDBSubnetGroup",
        json!({"DBSubnetGroupName": "g"}),
    )
    .expect_err("in use");
    assert_eq!(e.code, "InvalidDBSubnetGroupStateFault");
}

#[test]
fn describe_pages_with_markers_and_filters_by_engine() {
    let svc = svc();
    for i in 0..25 {
        call(&svc, "CreateDBInstance", create_input(&format!("db{i:02}"))).expect("created");
    }
    let first = call(&svc, "DescribeDBInstances", json!({"MaxRecords": 20})).expect("page");
    assert_eq!(first["DBInstances"].as_array().map(Vec::len), Some(20));
    let marker = first["Marker"].as_str().expect("marker").to_string();
    let rest = call(
        &svc,
        "DescribeDBInstances",
        json!({"MaxRecords": 20, "Marker": marker}),
    )
    .expect("page 2");
    assert_eq!(rest["DBInstances"].as_array().map(Vec::len), Some(5));
    assert!(rest.get("Marker").is_none());
    let none = call(
        &svc,
        "DescribeDBInstances",
        json!({"Filters": [{"Name": "engine", "Values": ["mariadb"]}]}),
    )
    .expect("filtered");
    assert_eq!(none["DBInstances"], json!([]));
    let e = call(
        &svc,
        "DescribeDBInstances",
        json!({"Filters": [{"Name": "colour", "Values": ["x"]}]}),
    )
    .expect_err("filter");
    assert_eq!(e.message, "Unrecognized filter name: colour");
}

#[test]
fn identifiers_are_stored_lowercase_and_found_in_any_case() {
    let svc = svc();
    call(&svc, "CreateDBInstance", create_input("MyDb")).expect("created");
    let out = call(
        &svc,
        "DescribeDBInstances",
        json!({"DBInstanceIdentifier": "MYDB"}),
    )
    .expect("found");
    assert_eq!(out["DBInstances"][0]["DBInstanceIdentifier"], "mydb");
    assert_eq!(
        out["DBInstances"][0]["DBInstanceArn"],
        "arn:aws:rds:us-east-1:123456789012:db:mydb"
    );
}

#[test]
fn engine_versions_default_and_unknown_ones_are_refused() {
    let svc = svc();
    let out = call(&svc, "CreateDBInstance", create_input("db1")).expect("created");
    assert_eq!(out["DBInstance"]["EngineVersion"], "15.12");
    assert_eq!(
        out["DBInstance"]["DBParameterGroups"][0]["DBParameterGroupName"],
        "default.postgres15"
    );
    let mut input = create_input("db2");
    input["EngineVersion"] = json!("9.9");
    let e = call(&svc, "CreateDBInstance", input).expect_err("version");
    assert_eq!(e.message, "Cannot find version 9.9 for postgres");
}

#[test]
fn modifications_without_apply_immediately_wait_for_the_maintenance_window() {
    let svc = svc();
    call(&svc, "CreateDBInstance", create_input("db1")).expect("created");
    let key = "123456789012/us-east-1/db1";
    crate::instances::update(&svc, key, "db1", |i| {
        i.status = "available".into();
        Ok(())
    })
    .expect("available");
    let out = call(
        &svc,
        "ModifyDBInstance",
        json!({"DBInstanceIdentifier": "db1", "DBInstanceClass": "db.t3.large", "AllocatedStorage": 50}),
    )
    .expect("modified");
    assert_eq!(out["DBInstance"]["DBInstanceClass"], "db.t3.micro");
    assert_eq!(
        out["DBInstance"]["PendingModifiedValues"],
        json!({"DBInstanceClass": "db.t3.large", "AllocatedStorage": 50})
    );
    // Sunday 2026-12-06 05:10 UTC: inside the default sun:05:00-sun:05:30.
    svc.tick(1_796_533_800_000 - 3_600_000);
    let still = call(
        &svc,
        "DescribeDBInstances",
        json!({"DBInstanceIdentifier": "db1"}),
    )
    .expect("described");
    assert_eq!(still["DBInstances"][0]["DBInstanceClass"], "db.t3.micro");
    svc.tick(1_796_533_800_000);
    let out = call(
        &svc,
        "DescribeDBInstances",
        json!({"DBInstanceIdentifier": "db1"}),
    )
    .expect("described");
    let inst = &out["DBInstances"][0];
    assert_eq!(inst["DBInstanceClass"], "db.t3.large");
    assert_eq!(inst["AllocatedStorage"], 50);
    assert_eq!(inst["PendingModifiedValues"], json!({}));
}
