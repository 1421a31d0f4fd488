//! Rules of VPC endpoints and prefix lists, through the handlers over an
//! in-memory store.

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

fn s3() -> String {
    "com.amazonaws.us-east-1.s3".to_string()
}

/// A VPC and its main route table.
fn vpc(s: &Ec2Service) -> (String, String) {
    let v = s
        .create_vpc(&ctx(), json!({"CidrBlock": "10.7.0.0/16"}))
        .expect("vpc")["Vpc"]["VpcId"]
        .as_str()
        .expect("id")
        .to_string();
    let rt = s
        .describe_route_tables(
            &ctx(),
            json!({"Filters": [{"Name": "vpc-id", "Values": [v]}]}),
        )
        .expect("tables")["RouteTables"][0]["RouteTableId"]
        .as_str()
        .expect("id")
        .to_string();
    (v, rt)
}

fn routes(s: &Ec2Service, rt: &str) -> Vec<Value> {
    s.describe_route_tables(&ctx(), json!({"RouteTableIds": [rt]}))
        .expect("tables")["RouteTables"][0]["Routes"]
        .as_array()
        .expect("routes")
        .clone()
}

#[test]
fn gateway_endpoints_route_the_prefix_list_until_deleted() {
    let s = svc();
    let (v, rt) = vpc(&s);
    let out = s
        .create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": s3(), "RouteTableIds": [rt]}),
        )
        .expect("endpoint");
    let id = out["VpcEndpoint"]["VpcEndpointId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(out["VpcEndpoint"]["VpcEndpointType"], "Gateway");
    let r = routes(&s, &rt);
    let pl = r
        .iter()
        .find(|r| r["GatewayId"] == json!(id))
        .expect("a route to the endpoint");
    assert_eq!(pl["DestinationPrefixListId"], "pl-63a5400a");
    assert!(pl.get("DestinationCidrBlock").is_none());
    assert_eq!(
        code(s.delete_vpc(&ctx(), json!({"VpcId": v}))),
        "DependencyViolation"
    );
    assert_eq!(
        code(s.create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": s3(), "RouteTableIds": [rt]})
        )),
        "RouteAlreadyExists"
    );
    s.modify_vpc_endpoint(
        &ctx(),
        json!({"VpcEndpointId": id, "RemoveRouteTableIds": [rt]}),
    )
    .expect("modify");
    assert!(routes(&s, &rt).iter().all(|r| r["GatewayId"] != json!(id)));
    s.modify_vpc_endpoint(
        &ctx(),
        json!({"VpcEndpointId": id, "AddRouteTableIds": [rt]}),
    )
    .expect("modify");
    assert!(routes(&s, &rt).iter().any(|r| r["GatewayId"] == json!(id)));
    let out = s
        .delete_vpc_endpoints(
            &ctx(),
            json!({"VpcEndpointIds": [id, "vpce-0000000000000000f"]}),
        )
        .expect("delete");
    assert_eq!(
        out["Unsuccessful"][0]["Error"]["Code"],
        "InvalidVpcEndpoint.NotFound"
    );
    assert!(routes(&s, &rt).iter().all(|r| r["GatewayId"] != json!(id)));
    assert_eq!(
        code(s.describe_vpc_endpoints(&ctx(), json!({"VpcEndpointIds": [id]}))),
        "InvalidVpcEndpointId.NotFound"
    );
    s.delete_vpc(&ctx(), json!({"VpcId": v}))
        .expect("vpc deletes");
}

#[test]
fn service_names_and_types_are_checked() {
    let s = svc();
    let (v, _) = vpc(&s);
    assert_eq!(
        code(s.create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": "com.amazonaws.us-east-1.nope"})
        )),
        "InvalidServiceName"
    );
    assert_eq!(
        code(s.create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": "com.amazonaws.us-west-2.s3"})
        )),
        "InvalidServiceName"
    );
    assert_eq!(
        code(s.create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": "com.amazonaws.us-east-1.sts", "VpcEndpointType": "Gateway"})
        )),
        "InvalidParameter"
    );
    let out = s
        .describe_vpc_endpoint_services(&ctx(), json!({}))
        .expect("services");
    let names = out["ServiceNames"].as_array().expect("names");
    assert!(names.contains(&json!(s3())));
    assert_eq!(names.iter().filter(|n| **n == json!(s3())).count(), 1);
    assert_eq!(
        code(s.describe_vpc_endpoint_services(&ctx(), json!({"ServiceNames": ["x"]}))),
        "InvalidServiceName"
    );
}

#[test]
fn interface_endpoints_put_an_interface_in_each_subnet() {
    let s = svc();
    let (v, _) = vpc(&s);
    let subnet = |cidr: &str, az: &str| {
        s.create_subnet(
            &ctx(),
            json!({"VpcId": v, "CidrBlock": cidr, "AvailabilityZone": az}),
        )
        .expect("subnet")["Subnet"]["SubnetId"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let a = subnet("10.7.1.0/24", "us-east-1a");
    let a2 = subnet("10.7.2.0/24", "us-east-1a");
    let b = subnet("10.7.3.0/24", "us-east-1b");
    let sts = "com.amazonaws.us-east-1.sts";
    let create = |subnets: Value, dns: bool| {
        s.create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": sts, "VpcEndpointType": "Interface", "SubnetIds": subnets, "PrivateDnsEnabled": dns}),
        )
    };
    assert_eq!(
        code(create(json!([a]), true)),
        "InvalidParameter",
        "DNS hostnames are off"
    );
    assert_eq!(
        code(create(json!([a, a2]), false)),
        "DuplicateSubnetsInSameZone"
    );
    let out = create(json!([a, b]), false).expect("endpoint");
    let e = &out["VpcEndpoint"];
    let enis = e["NetworkInterfaceIds"].as_array().expect("enis").clone();
    assert_eq!(enis.len(), 2);
    assert_eq!(e["Groups"][0]["GroupName"], "default");
    let described = s
        .describe_network_interfaces(&ctx(), json!({"NetworkInterfaceIds": [enis[0]]}))
        .expect("enis");
    let n = &described["NetworkInterfaces"][0];
    assert_eq!(
        (n["InterfaceType"].clone(), n["Status"].clone()),
        (json!("vpc_endpoint"), json!("in-use"))
    );
    assert_eq!(
        code(s.delete_network_interface(&ctx(), json!({"NetworkInterfaceId": enis[0]}))),
        "InvalidNetworkInterface.InUse"
    );
    assert_eq!(
        code(s.delete_subnet(&ctx(), json!({"SubnetId": a}))),
        "DependencyViolation"
    );
    let id = e["VpcEndpointId"].as_str().expect("id").to_string();
    s.modify_vpc_endpoint(&ctx(), json!({"VpcEndpointId": id, "RemoveSubnetIds": [a]}))
        .expect("modify");
    s.delete_subnet(&ctx(), json!({"SubnetId": a}))
        .expect("the subnet is free again");
}

#[test]
fn customer_prefix_lists_are_described_with_the_aws_ones() {
    let s = svc();
    let out = s
        .create_managed_prefix_list(
            &ctx(),
            json!({"PrefixListName": "office", "MaxEntries": 2, "AddressFamily": "IPv4",
                   "Entries": [{"Cidr": "203.0.113.0/24", "Description": "hq"}]}),
        )
        .expect("list");
    let id = out["PrefixList"]["PrefixListId"]
        .as_str()
        .expect("id")
        .to_string();
    let all = s
        .describe_managed_prefix_lists(&ctx(), json!({}))
        .expect("lists");
    let names: Vec<&str> = all["PrefixLists"]
        .as_array()
        .expect("lists")
        .iter()
        .filter_map(|l| l["PrefixListName"].as_str())
        .collect();
    assert!(names.contains(&"office") && names.contains(&"com.amazonaws.us-east-1.dynamodb"));
    let entries = s
        .get_managed_prefix_list_entries(&ctx(), json!({"PrefixListId": id}))
        .expect("entries");
    assert_eq!(
        entries["Entries"],
        json!([{"Cidr": "203.0.113.0/24", "Description": "hq"}])
    );
    assert_eq!(
        code(s.delete_managed_prefix_list(&ctx(), json!({"PrefixListId": "pl-63a5400a"}))),
        "InvalidPrefixListModification"
    );
    s.delete_managed_prefix_list(&ctx(), json!({"PrefixListId": id}))
        .expect("delete");
    assert_eq!(
        code(s.get_managed_prefix_list_entries(&ctx(), json!({"PrefixListId": id}))),
        "InvalidPrefixListID.NotFound"
    );
}

#[test]
fn modifying_a_customer_list_makes_a_new_version() {
    let s = svc();
    let id = s
        .create_managed_prefix_list(
            &ctx(),
            json!({"PrefixListName": "p", "MaxEntries": 2, "AddressFamily": "IPv4",
                   "Entries": [{"Cidr": "10.0.0.0/16"}]}),
        )
        .expect("list")["PrefixList"]["PrefixListId"]
        .as_str()
        .expect("id")
        .to_string();
    let out = s
        .modify_managed_prefix_list(
            &ctx(),
            json!({"PrefixListId": id, "CurrentVersion": 1, "AddEntries": [{"Cidr": "10.1.0.0/16"}],
                   "RemoveEntries": [{"Cidr": "10.0.0.0/16"}]}),
        )
        .expect("modify");
    assert_eq!(out["PrefixList"]["Version"], 2);
    let entries = s
        .get_managed_prefix_list_entries(&ctx(), json!({"PrefixListId": id}))
        .expect("entries");
    assert_eq!(entries["Entries"], json!([{"Cidr": "10.1.0.0/16"}]));
    assert_eq!(
        code(s.modify_managed_prefix_list(
            &ctx(),
            json!({"PrefixListId": id, "CurrentVersion": 1, "AddEntries": [{"Cidr": "10.2.0.0/16"}]})
        )),
        "PrefixListVersionMismatch"
    );
    assert_eq!(
        code(s.modify_managed_prefix_list(
            &ctx(),
            json!({"PrefixListId": id, "AddEntries": [{"Cidr": "10.2.0.0/16"}, {"Cidr": "10.3.0.0/16"}]})
        )),
        "InvalidParameterValue",
        "three entries exceed MaxEntries 2"
    );
}

#[test]
fn a_deleted_route_table_leaves_the_endpoint() {
    let s = svc();
    let (v, _) = vpc(&s);
    let rt = s
        .create_route_table(&ctx(), json!({"VpcId": v}))
        .expect("table")["RouteTable"]["RouteTableId"]
        .as_str()
        .expect("id")
        .to_string();
    let id = s
        .create_vpc_endpoint(
            &ctx(),
            json!({"VpcId": v, "ServiceName": "com.amazonaws.us-east-1.dynamodb", "RouteTableIds": [rt]}),
        )
        .expect("endpoint")["VpcEndpoint"]["VpcEndpointId"]
        .as_str()
        .expect("id")
        .to_string();
    s.delete_route_table(&ctx(), json!({"RouteTableId": rt}))
        .expect("delete");
    let e = s
        .describe_vpc_endpoints(&ctx(), json!({"VpcEndpointIds": [id]}))
        .expect("describe");
    assert_eq!(e["VpcEndpoints"][0]["RouteTableIds"], json!([]));
}
