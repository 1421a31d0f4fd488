//! The network plan: what the fabric is told to enforce.

use crate::test_service;
use gureum_core::{Clock, RequestContext};
use serde_json::json;

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

fn ami() -> String {
    crate::common::catalog_images::catalogue_images("us-east-1")
        .into_iter()
        .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
        .and_then(|i| i["ImageId"].as_str().map(str::to_string))
        .expect("an x86_64 linux image")
}

fn group(s: &crate::Ec2Service, name: &str) -> String {
    let out = s
        .create_security_group(&ctx(), json!({"GroupName": name, "Description": name}))
        .expect("group");
    out["GroupId"].as_str().expect("id").to_string()
}

fn launch(s: &crate::Ec2Service, sg: &str) -> (String, String) {
    let out = s
        .run_instances(
            &ctx(),
            json!({"ImageId": ami(), "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro", "SecurityGroupIds": [sg]}),
        )
        .expect("run");
    let i = &out["Instances"][0];
    (
        i["InstanceId"].as_str().expect("id").to_string(),
        i["PrivateIpAddress"].as_str().expect("ip").to_string(),
    )
}

#[test]
fn a_group_reference_resolves_to_its_members_current_private_addresses() {
    let s = test_service();
    let bastion_sg = group(&s, "bastion");
    let app_sg = group(&s, "app");
    s.authorize_security_group_ingress(
        &ctx(),
        json!({"GroupId": app_sg, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "UserIdGroupPairs": [{"GroupId": bastion_sg}]}]}),
    )
    .expect("authorize");
    let (_, bastion_ip) = launch(&s, &bastion_sg);
    let (app, _) = launch(&s, &app_sg);
    let plans = s.network_plans(&Clock::system());
    let app_plan = plans
        .iter()
        .flat_map(|p| &p.instances)
        .find(|i| i.instance_id == app)
        .expect("the app server is planned");
    let ssh = app_plan
        .ingress
        .iter()
        .find(|r| r.from_port == Some(22))
        .expect("the port 22 rule");
    assert_eq!(ssh.peers, vec![format!("{bastion_ip}/32")]);
    // The default egress rule: everything, anywhere.
    assert!(app_plan
        .egress
        .iter()
        .any(|r| r.protocol == "-1" && r.peers == ["0.0.0.0/0"]));
}

#[test]
fn a_default_vpc_subnet_is_planned_with_its_default_acl_and_main_route_table() {
    let s = test_service();
    let sg = group(&s, "web");
    let (id, _) = launch(&s, &sg);
    let plans = s.network_plans(&Clock::system());
    assert_eq!(plans.len(), 1);
    let inst = plans[0]
        .instances
        .iter()
        .find(|i| i.instance_id == id)
        .expect("planned");
    let sub = plans[0]
        .subnets
        .iter()
        .find(|x| x.subnet_id == inst.subnet_id)
        .expect("its subnet");
    assert!(sub
        .routes
        .iter()
        .any(|(dst, t)| dst == "0.0.0.0/0" && t.starts_with("igw-")));
    let numbers: Vec<i64> = sub
        .acl
        .iter()
        .filter(|e| !e.egress)
        .map(|e| e.rule_number)
        .collect();
    assert_eq!(numbers, vec![100, 32767]);
}

#[test]
fn stopped_instances_are_left_out_of_the_plan() {
    let s = test_service();
    let sg = group(&s, "web");
    let (id, _) = launch(&s, &sg);
    s.stop_instances(&ctx(), json!({"InstanceIds": [id]}))
        .expect("stop");
    let plans = s.network_plans(&Clock::system());
    assert!(plans
        .iter()
        .flat_map(|p| &p.instances)
        .all(|i| i.instance_id != id));
}

#[test]
fn a_prefix_list_peer_resolves_to_its_entries() {
    let s = test_service();
    let sg = group(&s, "office");
    let pl = s
        .create_managed_prefix_list(
            &ctx(),
            json!({"PrefixListName": "office", "AddressFamily": "IPv4", "MaxEntries": 5,
                "Entries": [{"Cidr": "192.0.2.0/24"}, {"Cidr": "198.51.100.0/24"}]}),
        )
        .expect("prefix list");
    let pl_id = pl["PrefixList"]["PrefixListId"].as_str().expect("id");
    s.authorize_security_group_ingress(
        &ctx(),
        json!({"GroupId": sg, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "PrefixListIds": [{"PrefixListId": pl_id}]}]}),
    )
    .expect("authorize");
    let (id, _) = launch(&s, &sg);
    let plans = s.network_plans(&Clock::system());
    let rule = plans
        .iter()
        .flat_map(|p| &p.instances)
        .filter(|i| i.instance_id == id)
        .flat_map(|i| &i.ingress)
        .find(|r| r.from_port == Some(443))
        .expect("the 443 rule");
    let mut peers = rule.peers.clone();
    peers.sort();
    assert_eq!(peers, vec!["192.0.2.0/24", "198.51.100.0/24"]);
}
