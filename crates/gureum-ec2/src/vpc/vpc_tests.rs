//! Rule-by-rule tests of the VPC family, through the service's handlers
//! over an in-memory store.

use crate::Ec2Service;
use gureum_core::{Clock, RequestContext, Value};
use serde_json::json;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

fn code(r: Result<Value, gureum_core::AwsError>) -> String {
    r.expect_err("an error").code
}

fn vpc(s: &Ec2Service, cidr: &str) -> String {
    let out = s
        .create_vpc(&ctx(), json!({"CidrBlock": cidr}))
        .expect("vpc");
    out["Vpc"]["VpcId"].as_str().expect("id").to_string()
}

fn subnet(s: &Ec2Service, vpc_id: &str, cidr: &str) -> Result<Value, gureum_core::AwsError> {
    s.create_subnet(&ctx(), json!({"VpcId": vpc_id, "CidrBlock": cidr}))
}

#[test]
fn default_vpc_has_a_default_subnet_per_zone() {
    let s = svc();
    let out = s
        .describe_subnets(
            &ctx(),
            json!({"Filters": [{"Name": "default-for-az", "Values": ["true"]}]}),
        )
        .expect("subnets");
    let subnets = out["Subnets"].as_array().expect("list");
    assert_eq!(subnets.len(), 6);
    assert_eq!(
        subnets
            .iter()
            .filter(|s| s["CidrBlock"] == "172.31.16.0/20")
            .count(),
        1
    );
    assert!(subnets.iter().all(|s| s["AvailableIpAddressCount"] == 4091));
}

#[test]
fn vpc_blocks_must_be_16_to_28() {
    let s = svc();
    assert_eq!(
        code(s.create_vpc(&ctx(), json!({"CidrBlock": "10.0.0.0/8"}))),
        "InvalidVpc.Range"
    );
    assert_eq!(
        code(s.create_vpc(&ctx(), json!({"CidrBlock": "10.0.0.0/29"}))),
        "InvalidVpc.Range"
    );
    assert_eq!(
        code(s.create_vpc(&ctx(), json!({"CidrBlock": "10.0.0.300/16"}))),
        "InvalidParameterValue"
    );
}

#[test]
fn a_slash_24_subnet_offers_251_addresses() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let out = s
        .create_subnet(&ctx(), json!({"VpcId": v, "CidrBlock": "10.0.1.0/24"}))
        .expect("subnet");
    assert_eq!(out["Subnet"]["AvailableIpAddressCount"], 251);
    assert_eq!(out["Subnet"]["AvailabilityZone"], "us-east-1a");
}

#[test]
fn subnets_stay_inside_their_vpc_and_apart() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    assert_eq!(
        code(subnet_result(&s, &v, "10.1.0.0/24")),
        "InvalidSubnet.Range"
    );
    s.create_subnet(&ctx(), json!({"VpcId": v, "CidrBlock": "10.0.1.0/24"}))
        .expect("first");
    assert_eq!(
        code(subnet_result(&s, &v, "10.0.1.0/25")),
        "InvalidSubnet.Conflict"
    );
    assert_eq!(
        code(subnet_result(&s, &v, "10.0.2.0/29")),
        "InvalidSubnet.Range"
    );
    assert_eq!(
        code(s.create_subnet(
            &ctx(),
            json!({"VpcId": v, "CidrBlock": "10.0.3.0/24", "AvailabilityZone": "us-east-1z"})
        )),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(subnet_result(&s, "vpc-0000000000000000f", "10.0.9.0/24")),
        "InvalidVpcID.NotFound"
    );
}

fn subnet_result(s: &Ec2Service, v: &str, cidr: &str) -> Result<Value, gureum_core::AwsError> {
    s.create_subnet(&ctx(), json!({"VpcId": v, "CidrBlock": cidr}))
}

#[test]
fn a_vpc_with_subnets_cannot_be_deleted() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let sub = subnet(&s, &v, "10.0.1.0/24");
    let sub = sub.expect("subnet");
    assert_eq!(
        code(s.delete_vpc(&ctx(), json!({"VpcId": v}))),
        "DependencyViolation"
    );
    s.delete_subnet(&ctx(), json!({"SubnetId": sub["Subnet"]["SubnetId"]}))
        .expect("deleted");
    s.delete_vpc(&ctx(), json!({"VpcId": v}))
        .expect("vpc deleted");
    let left = s
        .describe_route_tables(
            &ctx(),
            json!({"Filters": [{"Name": "vpc-id", "Values": [v]}]}),
        )
        .expect("rtbs");
    assert_eq!(left["RouteTables"].as_array().map(Vec::len), Some(0));
}

#[test]
fn internet_gateways_attach_once() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let igw = s.create_internet_gateway(&ctx(), json!({})).expect("igw")["InternetGateway"]
        ["InternetGatewayId"]
        .clone();
    let other = s.create_internet_gateway(&ctx(), json!({})).expect("igw")["InternetGateway"]
        ["InternetGatewayId"]
        .clone();
    assert_eq!(
        code(s.detach_internet_gateway(&ctx(), json!({"InternetGatewayId": igw, "VpcId": v}))),
        "Gateway.NotAttached"
    );
    s.attach_internet_gateway(&ctx(), json!({"InternetGatewayId": igw, "VpcId": v}))
        .expect("attach");
    assert_eq!(
        code(s.attach_internet_gateway(&ctx(), json!({"InternetGatewayId": igw, "VpcId": v}))),
        "Resource.AlreadyAssociated"
    );
    assert_eq!(
        code(s.attach_internet_gateway(&ctx(), json!({"InternetGatewayId": other, "VpcId": v}))),
        "Resource.AlreadyAssociated"
    );
    assert_eq!(
        code(s.delete_internet_gateway(&ctx(), json!({"InternetGatewayId": igw}))),
        "DependencyViolation"
    );
    assert_eq!(
        code(s.delete_vpc(&ctx(), json!({"VpcId": v}))),
        "DependencyViolation"
    );
    assert_eq!(
        code(s.delete_internet_gateway(
            &ctx(),
            json!({"InternetGatewayId": "igw-00000000000000000"})
        )),
        "InvalidInternetGatewayID.NotFound"
    );
}

#[test]
fn routes_follow_their_rules() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let rt = s
        .create_route_table(&ctx(), json!({"VpcId": v}))
        .expect("rtb")["RouteTable"]["RouteTableId"]
        .clone();
    let igw = s.create_internet_gateway(&ctx(), json!({})).expect("igw")["InternetGateway"]
        ["InternetGatewayId"]
        .clone();
    let route = json!({"RouteTableId": rt, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw});
    assert_eq!(
        code(s.create_route(&ctx(), route.clone())),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(s.create_route(&ctx(), json!({"RouteTableId": rt, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0000000000000000a"}))),
        "InvalidGatewayID.NotFound"
    );
    s.attach_internet_gateway(&ctx(), json!({"InternetGatewayId": igw, "VpcId": v}))
        .expect("attach");
    s.create_route(&ctx(), route.clone()).expect("route");
    assert_eq!(code(s.create_route(&ctx(), route)), "RouteAlreadyExists");
    assert_eq!(
        code(s.delete_route(
            &ctx(),
            json!({"RouteTableId": rt, "DestinationCidrBlock": "10.0.0.0/16"})
        )),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(s.delete_route(
            &ctx(),
            json!({"RouteTableId": rt, "DestinationCidrBlock": "192.168.0.0/16"})
        )),
        "InvalidRoute.NotFound"
    );
    s.detach_internet_gateway(&ctx(), json!({"InternetGatewayId": igw, "VpcId": v}))
        .expect("detach");
    let out = s
        .describe_route_tables(&ctx(), json!({"RouteTableIds": [rt]}))
        .expect("describe");
    assert_eq!(out["RouteTables"][0]["Routes"][1]["State"], "blackhole");
    assert_eq!(out["RouteTables"][0]["Routes"][0]["GatewayId"], "local");
}

#[test]
fn associated_and_main_tables_cannot_be_deleted() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let sub = subnet(&s, &v, "10.0.1.0/24").expect("subnet")["Subnet"]["SubnetId"].clone();
    let rt = s
        .create_route_table(&ctx(), json!({"VpcId": v}))
        .expect("rtb")["RouteTable"]["RouteTableId"]
        .clone();
    let a = s
        .associate_route_table(&ctx(), json!({"RouteTableId": rt, "SubnetId": sub}))
        .expect("assoc");
    assert_eq!(
        code(s.associate_route_table(&ctx(), json!({"RouteTableId": rt, "SubnetId": sub}))),
        "Resource.AlreadyAssociated"
    );
    assert_eq!(
        code(s.delete_route_table(&ctx(), json!({"RouteTableId": rt}))),
        "DependencyViolation"
    );
    s.disassociate_route_table(&ctx(), json!({"AssociationId": a["AssociationId"]}))
        .expect("disassociate");
    s.delete_route_table(&ctx(), json!({"RouteTableId": rt}))
        .expect("deleted");
    let main = s
        .describe_route_tables(&ctx(), json!({"Filters": [{"Name": "vpc-id", "Values": [v]}, {"Name": "association.main", "Values": ["true"]}]}))
        .expect("main");
    let main_rt = &main["RouteTables"][0];
    assert_eq!(
        code(s.delete_route_table(&ctx(), json!({"RouteTableId": main_rt["RouteTableId"]}))),
        "DependencyViolation"
    );
    let main_assoc = main_rt["Associations"][0]["RouteTableAssociationId"].clone();
    assert_eq!(
        code(s.disassociate_route_table(&ctx(), json!({"AssociationId": main_assoc}))),
        "InvalidParameterValue"
    );
}

#[test]
fn security_group_rules_are_unique() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let sg = s
        .create_security_group(
            &ctx(),
            json!({"GroupName": "web", "Description": "web", "VpcId": v}),
        )
        .expect("sg")["GroupId"]
        .clone();
    assert_eq!(
        code(s.create_security_group(
            &ctx(),
            json!({"GroupName": "web", "Description": "again", "VpcId": v})
        )),
        "InvalidGroup.Duplicate"
    );
    let perm = json!({"GroupId": sg, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]});
    let out = s
        .authorize_security_group_ingress(&ctx(), perm.clone())
        .expect("authorize");
    assert!(out["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        .as_str()
        .is_some_and(|i| i.starts_with("sgr-")));
    assert_eq!(
        code(s.authorize_security_group_ingress(&ctx(), perm.clone())),
        "InvalidPermission.Duplicate"
    );
    s.revoke_security_group_ingress(&ctx(), perm.clone())
        .expect("revoke");
    assert_eq!(
        code(s.revoke_security_group_ingress(&ctx(), perm)),
        "InvalidPermission.NotFound"
    );
    assert_eq!(
        code(s.authorize_security_group_ingress(&ctx(), json!({"GroupId": sg, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}))),
        "InvalidParameterValue"
    );
}

#[test]
fn default_and_referenced_groups_cannot_be_deleted() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    let groups = s
        .describe_security_groups(
            &ctx(),
            json!({"Filters": [{"Name": "vpc-id", "Values": [v]}]}),
        )
        .expect("groups");
    let default = groups["SecurityGroups"][0]["GroupId"].clone();
    assert_eq!(
        code(s.delete_security_group(&ctx(), json!({"GroupId": default}))),
        "CannotDelete"
    );
    let a = s
        .create_security_group(
            &ctx(),
            json!({"GroupName": "a", "Description": "a", "VpcId": v}),
        )
        .expect("a")["GroupId"]
        .clone();
    let b = s
        .create_security_group(
            &ctx(),
            json!({"GroupName": "b", "Description": "b", "VpcId": v}),
        )
        .expect("b")["GroupId"]
        .clone();
    s.authorize_security_group_ingress(
        &ctx(),
        json!({"GroupId": b, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": a}]}]}),
    )
    .expect("reference");
    assert_eq!(
        code(s.delete_security_group(&ctx(), json!({"GroupId": a}))),
        "DependencyViolation"
    );
    assert_eq!(
        code(s.delete_vpc(&ctx(), json!({"VpcId": v}))),
        "DependencyViolation"
    );
    assert_eq!(
        code(s.delete_security_group(&ctx(), json!({"GroupId": "sg-00000000000000000"}))),
        "InvalidGroup.NotFound"
    );
}

#[test]
fn dry_run_changes_nothing() {
    let s = svc();
    let err = s
        .create_vpc(&ctx(), json!({"CidrBlock": "10.0.0.0/16", "DryRun": true}))
        .expect_err("dry run");
    assert_eq!((err.code.as_str(), err.status), ("DryRunOperation", 412));
    let out = s.describe_vpcs(&ctx(), json!({})).expect("vpcs");
    assert_eq!(out["Vpcs"].as_array().map(Vec::len), Some(1));
}

#[test]
fn the_default_vpc_exists_once() {
    let s = svc();
    assert_eq!(
        code(s.create_default_vpc(&ctx(), json!({}))),
        "DefaultVpcAlreadyExists"
    );
}

#[test]
fn tags_are_shared_across_families() {
    let s = svc();
    let v = vpc(&s, "10.0.0.0/16");
    s.create_tags(
        &ctx(),
        json!({"Resources": [v], "Tags": [{"Key": "Name", "Value": "main"}]}),
    )
    .expect("tag");
    let out = s
        .describe_tags(
            &ctx(),
            json!({"Filters": [{"Name": "resource-type", "Values": ["vpc"]}]}),
        )
        .expect("tags");
    assert_eq!(out["Tags"][0]["Value"], "main");
    let out = s
        .describe_vpcs(
            &ctx(),
            json!({"Filters": [{"Name": "tag:Name", "Values": ["main"]}]}),
        )
        .expect("vpcs");
    assert_eq!(out["Vpcs"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        code(s.create_tags(
            &ctx(),
            json!({"Resources": ["vpc-0000000000000000a"], "Tags": [{"Key": "a", "Value": "b"}]})
        )),
        "InvalidVpcID.NotFound"
    );
}

#[test]
fn the_default_vpc_is_made_once_before_the_first_operation_and_again_after_a_reset() {
    use gureum_core::service::Service;
    let s = Ec2Service::new(gureum_store::Store::in_memory().expect("store"));
    let c = ctx();
    let vpcs = |s: &Ec2Service| {
        s.describe_vpcs(&c, json!({})).expect("describe")["Vpcs"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!(vpcs(&s), Some(0), "a direct call skips the hook");
    // Any operation through the table runs the hook first, even a catalogue.
    ready(s.call(&c, "DescribeRegions", json!({}))).expect("regions");
    assert_eq!(vpcs(&s), Some(1));
    ready(s.call(&c, "DescribeRegions", json!({}))).expect("regions");
    assert_eq!(vpcs(&s), Some(1), "once per region");
    // A reset of the caches makes the hook run again; over the same store
    // it finds its work done.
    s.reset_caches();
    ready(s.call(&c, "DescribeVpcs", json!({}))).expect("vpcs");
    assert_eq!(vpcs(&s), Some(1));
}

/// Polls a table operation's future, which is ready at once.
fn ready(mut fut: gureum_core::service::OpFuture<'_>) -> Result<Value, gureum_core::AwsError> {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => panic!("a table operation is never pending"),
    }
}
