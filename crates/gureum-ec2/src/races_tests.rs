//! Check-then-write races: an operation that validates a reference (an
//! instance, a VPC, an interface) and a concurrent one that ends that
//! reference, run from two threads released together by a barrier, many
//! rounds each. After every round the stored records must agree: nothing
//! attached to, or created in, something that is gone.

use crate::common::network::key;
use crate::{compute::instances, ebs::volumes, vpc::network_interfaces, Ec2Service};
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;
use std::sync::Barrier;

const ROUNDS: usize = 1_000;

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

fn id(v: &Value, path: &[&str]) -> String {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_str().expect("an id").to_string()
}

/// A VPC with a /20 subnet in us-east-1a (room for a round's leftovers).
fn network(s: &Ec2Service, c: &RequestContext) -> (String, String) {
    let v = id(
        &s.create_vpc(c, json!({"CidrBlock": "10.3.0.0/16"}))
            .expect("vpc"),
        &["Vpc", "VpcId"],
    );
    let sn = id(
        &s.create_subnet(
            c,
            json!({"VpcId": v, "CidrBlock": "10.3.0.0/20", "AvailabilityZone": "us-east-1a"}),
        )
        .expect("subnet"),
        &["Subnet", "SubnetId"],
    );
    (v, sn)
}

fn ami() -> String {
    crate::common::catalog_images::catalogue_images("us-east-1")
        .into_iter()
        .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
        .and_then(|i| i["ImageId"].as_str().map(str::to_string))
        .expect("an x86_64 linux image")
}

/// A running instance in `subnet`.
fn running(s: &Ec2Service, c: &RequestContext, subnet: &str, image: &str) -> String {
    let out = s
        .run_instances(
            c,
            json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1,
                   "MaxCount": 1, "SubnetId": subnet}),
        )
        .expect("run");
    c.clock.advance_millis(1_000);
    id(&out["Instances"][0], &["InstanceId"])
}

/// Runs `a` and `b` at once; returns their results.
fn race<A, B>(
    a: impl FnOnce() -> Result<A, AwsError> + Send,
    b: impl FnOnce() -> Result<B, AwsError> + Send,
) -> (Result<A, AwsError>, Result<B, AwsError>)
where
    A: Send,
    B: Send,
{
    let gate = Barrier::new(2);
    std::thread::scope(|sc| {
        let ta = sc.spawn(|| {
            gate.wait();
            a()
        });
        let tb = sc.spawn(|| {
            gate.wait();
            b()
        });
        (ta.join().expect("thread a"), tb.join().expect("thread b"))
    })
}

/// The stored instance's state, settled now (`None` when there is none).
fn stored_state(s: &Ec2Service, c: &RequestContext, instance: &str) -> Option<String> {
    let mut i = instances::table(&s.store)
        .get(&key(c, instance))
        .expect("read")?;
    i.settle(c.clock.now_millis());
    Some(i.state)
}

fn holds_attachments(state: Option<&str>) -> bool {
    matches!(state, Some("pending" | "running" | "stopping" | "stopped"))
}

#[test]
fn attach_network_interface_never_attaches_to_a_terminated_instance() {
    let (s, c) = (svc(), ctx());
    let (_, sn) = network(&s, &c);
    let image = ami();
    let mut bad = Vec::new();
    for round in 0..ROUNDS {
        let iid = running(&s, &c, &sn, &image);
        let eni = id(
            &s.create_network_interface(&c, json!({"SubnetId": sn}))
                .expect("eni"),
            &["NetworkInterface", "NetworkInterfaceId"],
        );
        let (attached, _) = race(
            || {
                s.attach_network_interface(
                    &c,
                    json!({"NetworkInterfaceId": eni, "InstanceId": iid, "DeviceIndex": 1}),
                )
            },
            || s.terminate_instances(&c, json!({"InstanceIds": [iid]})),
        );
        let stored = network_interfaces::table(&s.store)
            .get(&key(&c, &eni))
            .expect("read")
            .expect("the interface");
        if let Some(a) = &stored.attachment {
            let state = stored_state(&s, &c, &a.instance_id);
            if !holds_attachments(state.as_deref()) {
                bad.push((round, attached.is_ok(), state));
            }
        }
        s.delete_network_interface(&c, json!({"NetworkInterfaceId": eni}))
            .expect("a detached interface deletes");
    }
    assert!(
        bad.is_empty(),
        "{} of {ROUNDS} rounds left an interface attached to a terminated instance: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn attach_and_delete_network_interface_never_both_succeed() {
    let (s, c) = (svc(), ctx());
    let (_, sn) = network(&s, &c);
    let iid = running(&s, &c, &sn, &ami());
    let mut bad = 0;
    for _ in 0..ROUNDS {
        let eni = id(
            &s.create_network_interface(&c, json!({"SubnetId": sn}))
                .expect("eni"),
            &["NetworkInterface", "NetworkInterfaceId"],
        );
        let (attached, deleted) = race(
            || {
                s.attach_network_interface(
                    &c,
                    json!({"NetworkInterfaceId": eni, "InstanceId": iid, "DeviceIndex": 1}),
                )
            },
            || s.delete_network_interface(&c, json!({"NetworkInterfaceId": eni})),
        );
        if attached.is_ok() && deleted.is_ok() {
            bad += 1;
        }
        if let Ok(a) = attached {
            s.detach_network_interface(&c, json!({"AttachmentId": a["AttachmentId"]}))
                .expect("detach");
            s.delete_network_interface(&c, json!({"NetworkInterfaceId": eni}))
                .expect("delete");
        }
    }
    assert_eq!(
        bad, 0,
        "rounds where both the attach and the delete succeeded"
    );
}

#[test]
fn attach_volume_never_attaches_to_a_terminated_instance() {
    let (s, c) = (svc(), ctx());
    let (_, sn) = network(&s, &c);
    let image = ami();
    let mut bad = Vec::new();
    for round in 0..ROUNDS {
        let iid = running(&s, &c, &sn, &image);
        let vol = id(
            &s.create_volume(&c, json!({"Size": 1, "AvailabilityZone": "us-east-1a"}))
                .expect("volume"),
            &["VolumeId"],
        );
        c.clock.advance_millis(1_000);
        let (attached, _) = race(
            || {
                s.attach_volume(
                    &c,
                    json!({"VolumeId": vol, "InstanceId": iid, "Device": "/dev/sdf"}),
                )
            },
            || s.terminate_instances(&c, json!({"InstanceIds": [iid]})),
        );
        let stored = volumes::table(&s.store)
            .get(&key(&c, &vol))
            .expect("read")
            .expect("the volume");
        let now = c.clock.now_millis();
        for a in stored.live_attachments(now) {
            let state = stored_state(&s, &c, &a.instance_id);
            if !holds_attachments(state.as_deref()) {
                bad.push((round, attached.is_ok(), state));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {ROUNDS} rounds left a volume attached to a terminated instance: {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn associate_address_never_associates_with_a_terminated_instance() {
    let (s, c) = (svc(), ctx());
    let (_, sn) = network(&s, &c);
    let image = ami();
    let alloc = id(
        &s.allocate_address(&c, json!({"Domain": "vpc"}))
            .expect("eip"),
        &["AllocationId"],
    );
    let mut bad = 0;
    for _ in 0..ROUNDS {
        let iid = running(&s, &c, &sn, &image);
        let _ = race(
            || {
                s.associate_address(
                    &c,
                    json!({"AllocationId": alloc, "InstanceId": iid, "AllowReassociation": true}),
                )
            },
            || s.terminate_instances(&c, json!({"InstanceIds": [iid]})),
        );
        let stored = crate::vpc::elastic_ips::table(&s.store)
            .get(&key(&c, &alloc))
            .expect("read")
            .expect("the address");
        if let Some(i) = stored.association.and_then(|a| a.instance_id) {
            if !holds_attachments(stored_state(&s, &c, &i).as_deref()) {
                bad += 1;
            }
        }
    }
    assert_eq!(
        bad, 0,
        "rounds leaving the address on a terminated instance"
    );
}

#[test]
fn create_subnet_and_attach_gateway_never_outlive_a_deleted_vpc() {
    let (s, c) = (svc(), ctx());
    let mut bad = 0;
    for _ in 0..ROUNDS / 2 {
        let v = id(
            &s.create_vpc(&c, json!({"CidrBlock": "10.4.0.0/16"}))
                .expect("vpc"),
            &["Vpc", "VpcId"],
        );
        let (made, deleted) = race(
            || s.create_subnet(&c, json!({"VpcId": v, "CidrBlock": "10.4.1.0/24"})),
            || s.delete_vpc(&c, json!({"VpcId": v})),
        );
        if made.is_ok() && deleted.is_ok() {
            bad += 1;
        }
        if let Ok(m) = made {
            s.delete_subnet(&c, json!({"SubnetId": m["Subnet"]["SubnetId"]}))
                .expect("delete subnet");
            s.delete_vpc(&c, json!({"VpcId": v})).expect("delete vpc");
        }
        let v = id(
            &s.create_vpc(&c, json!({"CidrBlock": "10.4.0.0/16"}))
                .expect("vpc"),
            &["Vpc", "VpcId"],
        );
        let igw = id(
            &s.create_internet_gateway(&c, json!({})).expect("igw"),
            &["InternetGateway", "InternetGatewayId"],
        );
        let (attached, deleted) = race(
            || s.attach_internet_gateway(&c, json!({"InternetGatewayId": igw, "VpcId": v})),
            || s.delete_vpc(&c, json!({"VpcId": v})),
        );
        if attached.is_ok() && deleted.is_ok() {
            bad += 1;
        }
        if attached.is_ok() {
            s.detach_internet_gateway(&c, json!({"InternetGatewayId": igw, "VpcId": v}))
                .expect("detach");
            s.delete_vpc(&c, json!({"VpcId": v})).expect("delete vpc");
        }
        s.delete_internet_gateway(&c, json!({"InternetGatewayId": igw}))
            .expect("delete igw");
    }
    assert_eq!(bad, 0, "rounds where the VPC went and its child stayed");
}
