//! Rules of network interfaces, through the handlers over an in-memory
//! store.

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx(clock: &Clock) -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", clock.clone())
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

/// A VPC with one /28 subnet in us-east-1a: (vpc, subnet).
fn network(s: &Ec2Service, c: &RequestContext) -> (String, String) {
    let v = s
        .create_vpc(c, json!({"CidrBlock": "10.9.0.0/16"}))
        .expect("vpc")["Vpc"]["VpcId"]
        .as_str()
        .expect("id")
        .to_string();
    let sn = s
        .create_subnet(
            c,
            json!({"VpcId": v, "CidrBlock": "10.9.1.0/28", "AvailabilityZone": "us-east-1a"}),
        )
        .expect("subnet")["Subnet"]["SubnetId"]
        .as_str()
        .expect("id")
        .to_string();
    (v, sn)
}

fn free(s: &Ec2Service, c: &RequestContext, subnet: &str) -> i64 {
    s.describe_subnets(c, json!({"SubnetIds": [subnet]}))
        .expect("subnets")["Subnets"][0]["AvailableIpAddressCount"]
        .as_i64()
        .expect("count")
}

fn eni(s: &Ec2Service, c: &RequestContext, input: Value) -> Result<String, AwsError> {
    let out = s.create_network_interface(c, input)?;
    Ok(out["NetworkInterface"]["NetworkInterfaceId"]
        .as_str()
        .expect("id")
        .to_string())
}

#[test]
fn interfaces_take_subnet_addresses_and_refuse_taken_ones() {
    let (s, clock) = (svc(), Clock::system());
    let c = ctx(&clock);
    let (_, sn) = network(&s, &c);
    assert_eq!(free(&s, &c, &sn), 11);
    let out = s
        .create_network_interface(&c, json!({"SubnetId": sn, "PrivateIpAddress": "10.9.1.10"}))
        .expect("eni");
    assert_eq!(out["NetworkInterface"]["Status"], "available");
    assert_eq!(out["NetworkInterface"]["Groups"][0]["GroupName"], "default");
    assert_eq!(free(&s, &c, &sn), 10);
    assert_eq!(
        code(
            eni(
                &s,
                &c,
                json!({"SubnetId": sn, "PrivateIpAddress": "10.9.1.10"})
            )
            .map(Value::from)
        ),
        "InvalidIPAddress.InUse"
    );
    let auto = eni(&s, &c, json!({"SubnetId": sn})).expect("eni");
    assert_eq!(free(&s, &c, &sn), 9);
    s.delete_network_interface(&c, json!({"NetworkInterfaceId": auto}))
        .expect("delete");
    assert_eq!(free(&s, &c, &sn), 10);
    assert_eq!(
        code(s.delete_network_interface(&c, json!({"NetworkInterfaceId": auto}))),
        "InvalidNetworkInterfaceID.NotFound"
    );
}

#[test]
fn groups_must_belong_to_the_subnets_vpc() {
    let (s, clock) = (svc(), Clock::system());
    let c = ctx(&clock);
    let (_, sn) = network(&s, &c);
    let other = s
        .describe_security_groups(
            &c,
            json!({"Filters": [{"Name": "group-name", "Values": ["default"]}]}),
        )
        .expect("groups")["SecurityGroups"]
        .as_array()
        .expect("list")
        .iter()
        .find(|g| {
            g["VpcId"]
                != s.describe_subnets(&c, json!({"SubnetIds": [sn]}))
                    .expect("s")["Subnets"][0]["VpcId"]
        })
        .map(|g| g["GroupId"].as_str().expect("id").to_string())
        .expect("the default VPC's group");
    assert_eq!(
        code(eni(&s, &c, json!({"SubnetId": sn, "Groups": [other]})).map(Value::from)),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(
            eni(
                &s,
                &c,
                json!({"SubnetId": sn, "Groups": ["sg-0000000000000000f"]})
            )
            .map(Value::from)
        ),
        "InvalidGroup.NotFound"
    );
    assert_eq!(
        code(eni(&s, &c, json!({"SubnetId": "subnet-0000000f"})).map(Value::from)),
        "InvalidSubnetID.NotFound"
    );
}

fn instance(s: &Ec2Service, c: &RequestContext, subnet: &str) -> Value {
    let ami = crate::common::catalog_images::catalogue_images("us-east-1")
        .into_iter()
        .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
        .and_then(|i| i["ImageId"].as_str().map(str::to_string))
        .expect("ami");
    s.run_instances(
        c,
        json!({"ImageId": ami, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1, "SubnetId": subnet}),
    )
    .expect("run")["Instances"][0]
        .clone()
}

#[test]
fn attach_detach_follow_device_index_and_zone_rules() {
    let (s, clock) = (svc(), Clock::system());
    let c = ctx(&clock);
    let (v, sn) = network(&s, &c);
    let i = instance(&s, &c, &sn);
    let iid = i["InstanceId"].as_str().expect("id").to_string();
    let primary = i["NetworkInterfaces"][0]["NetworkInterfaceId"]
        .as_str()
        .expect("eni")
        .to_string();
    let e = eni(&s, &c, json!({"SubnetId": sn})).expect("eni");
    let attach = |index: i64| {
        s.attach_network_interface(
            &c,
            json!({"NetworkInterfaceId": e, "InstanceId": iid, "DeviceIndex": index}),
        )
    };
    assert_eq!(code(attach(1)), "IncorrectInstanceState", "still pending");
    clock.advance_millis(1_000);
    assert_eq!(code(attach(0)), "InvalidParameterValue");
    let aid = attach(1).expect("attach")["AttachmentId"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(code(attach(2)), "InvalidNetworkInterface.InUse");
    assert_eq!(
        code(s.delete_network_interface(&c, json!({"NetworkInterfaceId": e}))),
        "InvalidNetworkInterface.InUse"
    );
    let listed = s
        .describe_network_interfaces(
            &c,
            json!({"Filters": [{"Name": "attachment.instance-id", "Values": [iid]}]}),
        )
        .expect("describe")["NetworkInterfaces"]
        .as_array()
        .expect("list")
        .iter()
        .map(|n| n["NetworkInterfaceId"].as_str().expect("id").to_string())
        .collect::<Vec<_>>();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&primary) && listed.contains(&e));
    let described = s
        .describe_instances(&c, json!({"InstanceIds": [iid]}))
        .expect("instances")["Reservations"][0]["Instances"][0]["NetworkInterfaces"]
        .clone();
    assert_eq!(described[1]["NetworkInterfaceId"], json!(e));
    assert_eq!(described[1]["Attachment"]["DeviceIndex"], 1);
    assert_eq!(
        code(s.delete_network_interface(&c, json!({"NetworkInterfaceId": primary}))),
        "InvalidNetworkInterface.InUse"
    );
    let primary_attachment = format!("eni-attach-{}", &primary[4..]);
    assert_eq!(
        code(s.detach_network_interface(&c, json!({"AttachmentId": primary_attachment}))),
        "OperationNotPermitted"
    );
    s.detach_network_interface(&c, json!({"AttachmentId": aid}))
        .expect("detach");
    assert_eq!(
        code(s.detach_network_interface(&c, json!({"AttachmentId": aid}))),
        "InvalidAttachmentID.NotFound"
    );
    // Another AZ of the same VPC.
    let other = s
        .create_subnet(
            &c,
            json!({"VpcId": v, "CidrBlock": "10.9.2.0/28", "AvailabilityZone": "us-east-1b"}),
        )
        .expect("subnet")["Subnet"]["SubnetId"]
        .as_str()
        .expect("id")
        .to_string();
    let far = eni(&s, &c, json!({"SubnetId": other})).expect("eni");
    assert_eq!(
        code(s.attach_network_interface(
            &c,
            json!({"NetworkInterfaceId": far, "InstanceId": iid, "DeviceIndex": 1})
        )),
        "InvalidParameterCombination"
    );
}

#[test]
fn modify_sets_one_attribute_per_call() {
    let (s, clock) = (svc(), Clock::system());
    let c = ctx(&clock);
    let (_, sn) = network(&s, &c);
    let e = eni(&s, &c, json!({"SubnetId": sn})).expect("eni");
    s.modify_network_interface_attribute(
        &c,
        json!({"NetworkInterfaceId": e, "SourceDestCheck": {"Value": false}}),
    )
    .expect("modify");
    s.modify_network_interface_attribute(
        &c,
        json!({"NetworkInterfaceId": e, "Description": {"Value": "nat"}}),
    )
    .expect("modify");
    let out = s
        .describe_network_interfaces(&c, json!({"NetworkInterfaceIds": [e]}))
        .expect("describe");
    let n = &out["NetworkInterfaces"][0];
    assert_eq!(
        (n["SourceDestCheck"].clone(), n["Description"].clone()),
        (json!(false), json!("nat"))
    );
    let attr = s
        .describe_network_interface_attribute(
            &c,
            json!({"NetworkInterfaceId": e, "Attribute": "description"}),
        )
        .expect("attribute");
    assert_eq!(attr["Description"], json!({"Value": "nat"}));
    assert_eq!(
        code(s.describe_network_interface_attribute(
            &c,
            json!({"NetworkInterfaceId": e, "Attribute": "bogus"})
        )),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(s.modify_network_interface_attribute(
            &c,
            json!({"NetworkInterfaceId": e, "Description": {"Value": "x"}, "SourceDestCheck": {"Value": true}})
        )),
        "InvalidParameterCombination"
    );
    assert_eq!(
        code(s.describe_network_interfaces(
            &c,
            json!({"NetworkInterfaceIds": ["eni-00000000000000000"]})
        )),
        "InvalidNetworkInterfaceID.NotFound"
    );
}
