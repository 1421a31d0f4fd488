//! Rule-by-rule tests of EBS volumes and snapshots, network ACLs, NAT
//! gateways and launch templates, through the handlers over an in-memory
//! store (time moves with the clock's `advance_millis`).

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;

struct T {
    s: Ec2Service,
    ctx: RequestContext,
}

fn t() -> T {
    T {
        s: crate::test_service(),
        ctx: RequestContext::root("000000000000", "us-east-1", Clock::system()),
    }
}

impl T {
    fn later(&self, secs: i64) {
        self.ctx.clock.advance_millis(secs * 1000);
    }
    fn vol(&self, input: Value) -> Result<Value, AwsError> {
        let mut i = input;
        if i.get("AvailabilityZone").is_none() {
            i["AvailabilityZone"] = json!("us-east-1a");
        }
        self.s.create_volume(&self.ctx, i)
    }
    fn vol_id(&self, input: Value) -> String {
        self.vol(input).expect("volume")["VolumeId"]
            .as_str()
            .expect("id")
            .to_string()
    }
    /// A running instance in `az` (its default subnet).
    fn instance(&self, az: &str) -> String {
        let image = crate::common::catalog_images::catalogue_images("us-east-1")
            .into_iter()
            .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
            .and_then(|i| i["ImageId"].as_str().map(str::to_string))
            .expect("an x86_64 linux image");
        let out = self
            .s
            .run_instances(
                &self.ctx,
                json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1,
                       "MaxCount": 1, "Placement": {"AvailabilityZone": az}}),
            )
            .expect("run");
        self.later(1);
        out["Instances"][0]["InstanceId"]
            .as_str()
            .expect("id")
            .to_string()
    }
    fn volume(&self, id: &str) -> Value {
        self.s
            .describe_volumes(&self.ctx, json!({"VolumeIds": [id]}))
            .expect("describe")["Volumes"][0]
            .clone()
    }
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

#[test]
fn volume_is_creating_then_available_after_a_second() {
    let t = t();
    let out = t.vol(json!({"Size": 8})).expect("create");
    assert_eq!(out["State"], "creating");
    assert_eq!(out["VolumeType"], "gp2");
    assert_eq!(out["Iops"], 100);
    t.later(2);
    assert_eq!(
        t.volume(out["VolumeId"].as_str().expect("value"))["State"],
        "available"
    );
}

#[test]
fn volume_zone_must_exist() {
    let t = t();
    assert_eq!(
        code(t.vol(json!({"Size": 8, "AvailabilityZone": "us-east-1z"}))),
        "InvalidZone.NotFound"
    );
}

#[test]
fn volume_sizes_follow_each_type_bounds() {
    let t = t();
    for (ty, bad_small, bad_large, extra) in [
        ("gp2", 0, 16385, json!({})),
        ("gp3", 0, 16385, json!({})),
        ("io1", 3, 16385, json!({"Iops": 100})),
        ("io2", 3, 65537, json!({"Iops": 100})),
        ("st1", 124, 16385, json!({})),
        ("sc1", 124, 16385, json!({})),
        ("standard", 0, 1025, json!({})),
    ] {
        for size in [bad_small, bad_large] {
            let mut i = extra.clone();
            i["VolumeType"] = json!(ty);
            i["Size"] = json!(size);
            assert_eq!(code(t.vol(i)), "InvalidParameterValue", "{ty} {size}");
        }
    }
    assert!(t.vol(json!({"VolumeType": "st1", "Size": 125})).is_ok());
    assert!(t
        .vol(json!({"VolumeType": "io2", "Size": 65536, "Iops": 1000}))
        .is_ok());
}

#[test]
fn iops_bounds_and_ratios_are_checked() {
    let t = t();
    let e = t
        .vol(json!({"VolumeType": "io1", "Size": 10, "Iops": 1000}))
        .expect_err("ratio");
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e
        .message
        .contains("ratio of 100.000000 is too high; maximum is 50.000000"));
    assert_eq!(
        code(t.vol(json!({"VolumeType": "io1", "Size": 2000, "Iops": 64001}))),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(t.vol(json!({"VolumeType": "gp3", "Size": 100, "Iops": 2000}))),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(t.vol(json!({"VolumeType": "gp3", "Size": 100, "Throughput": 1001, "Iops": 16000}))),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(t.vol(json!({"VolumeType": "io1", "Size": 10}))),
        "MissingParameter"
    );
    let gp3 = t
        .vol(json!({"VolumeType": "gp3", "Size": 10}))
        .expect("gp3");
    assert_eq!(
        (gp3["Iops"].clone(), gp3["Throughput"].clone()),
        (json!(3000), json!(125))
    );
}

#[test]
fn iops_on_gp2_st1_sc1_standard_is_an_invalid_combination() {
    let t = t();
    for ty in ["gp2", "st1", "sc1", "standard"] {
        assert_eq!(
            code(t.vol(json!({"VolumeType": ty, "Size": 500, "Iops": 1000}))),
            "InvalidParameterCombination",
            "{ty}"
        );
    }
}

#[test]
fn multi_attach_only_on_io1_io2() {
    let t = t();
    assert_eq!(
        code(t.vol(json!({"Size": 10, "MultiAttachEnabled": true}))),
        "InvalidParameterCombination"
    );
    assert!(t
        .vol(json!({"VolumeType": "io2", "Size": 10, "Iops": 100, "MultiAttachEnabled": true}))
        .is_ok());
}

#[test]
fn encryption_uses_the_default_ebs_key_and_kms_key_needs_encrypted() {
    let t = t();
    let v = t.vol(json!({"Size": 8, "Encrypted": true})).expect("enc");
    assert!(v["KmsKeyId"]
        .as_str()
        .expect("value")
        .starts_with("arn:aws:kms:us-east-1:000000000000:key/"));
    assert_eq!(
        code(t.vol(json!({"Size": 8, "KmsKeyId": "alias/aws/ebs"}))),
        "InvalidParameterDependency"
    );
}

#[test]
fn volume_from_snapshot_must_be_at_least_its_size() {
    let t = t();
    let v = t.vol_id(json!({"Size": 20}));
    t.later(2);
    let snap =
        t.s.create_snapshot(&t.ctx, json!({"VolumeId": v}))
            .expect("snap");
    let sid = snap["SnapshotId"].as_str().expect("value");
    assert_eq!(snap["State"], "pending");
    assert_eq!(
        code(t.vol(json!({"Size": 10, "SnapshotId": sid}))),
        "InvalidParameterValue"
    );
    let from = t.vol(json!({"SnapshotId": sid})).expect("from snap");
    assert_eq!(
        (from["Size"].clone(), from["SnapshotId"].clone()),
        (json!(20), json!(sid))
    );
    assert_eq!(
        code(t.vol(json!({"Size": 30, "SnapshotId": "snap-0123456789abcdef0"}))),
        "InvalidSnapshot.NotFound"
    );
}

#[test]
fn attach_needs_the_same_zone_a_valid_device_and_one_instance() {
    let t = t();
    let (ia, ib, ic) = (
        t.instance("us-east-1a"),
        t.instance("us-east-1a"),
        t.instance("us-east-1b"),
    );
    let v = t.vol_id(json!({"Size": 8}));
    t.later(2);
    let attach = |i: &str, d: &str| {
        t.s.attach_volume(&t.ctx, json!({"VolumeId": v, "InstanceId": i, "Device": d}))
    };
    assert_eq!(code(attach(&ic, "/dev/sdf")), "InvalidVolume.ZoneMismatch");
    assert_eq!(code(attach(&ia, "/dev/sda")), "InvalidParameterValue");
    assert_eq!(
        code(attach("i-0dddddddddddddddd", "/dev/sdf")),
        "InvalidInstanceID.NotFound"
    );
    let a = attach(&ia, "/dev/sdf").expect("attach");
    assert_eq!(a["State"], "attaching");
    assert_eq!(code(attach(&ib, "/dev/sdg")), "VolumeInUse");
    t.later(2);
    let d = t.volume(&v);
    assert_eq!(
        (d["State"].clone(), d["Attachments"][0]["State"].clone()),
        (json!("in-use"), json!("attached"))
    );
    assert_eq!(
        code(t.s.delete_volume(&t.ctx, json!({"VolumeId": v}))),
        "VolumeInUse"
    );
    let out =
        t.s.detach_volume(&t.ctx, json!({"VolumeId": v}))
            .expect("detach");
    assert_eq!(out["State"], "detaching");
    t.later(2);
    assert_eq!(t.volume(&v)["State"], "available");
    let _ = ib;
    t.s.delete_volume(&t.ctx, json!({"VolumeId": v}))
        .expect("delete");
    assert_eq!(
        code(t.s.delete_volume(&t.ctx, json!({"VolumeId": v}))),
        "InvalidVolume.NotFound"
    );
}

#[test]
fn multi_attach_volumes_attach_to_several_instances() {
    let t = t();
    let (ia, ib) = (t.instance("us-east-1a"), t.instance("us-east-1a"));
    let v =
        t.vol_id(json!({"VolumeType": "io2", "Size": 10, "Iops": 100, "MultiAttachEnabled": true}));
    t.later(2);
    for i in [&ia, &ib] {
        t.s.attach_volume(
            &t.ctx,
            json!({"VolumeId": v, "InstanceId": i, "Device": "/dev/xvdf"}),
        )
        .expect("attach");
    }
    assert_eq!(
        t.volume(&v)["Attachments"].as_array().expect("value").len(),
        2
    );
}

#[test]
fn modify_volume_grows_only_and_moves_through_its_states() {
    let t = t();
    let v = t.vol_id(json!({"Size": 10}));
    t.later(2);
    let e =
        t.s.modify_volume(&t.ctx, json!({"VolumeId": v, "Size": 5}))
            .expect_err("shrink");
    assert_eq!(e.code, "InvalidParameterValue");
    assert_eq!(e.message, "New size cannot be smaller than existing size");
    let m =
        t.s.modify_volume(
            &t.ctx,
            json!({"VolumeId": v, "Size": 20, "VolumeType": "gp3"}),
        )
        .expect("modify");
    assert_eq!(m["VolumeModification"]["ModificationState"], "modifying");
    assert_eq!(
        code(t.s.modify_volume(&t.ctx, json!({"VolumeId": v, "Size": 30}))),
        "IncorrectModificationState"
    );
    let state = |t: &T| {
        t.s.describe_volumes_modifications(&t.ctx, json!({"VolumeIds": [v]}))
            .expect("mods")["VolumesModifications"][0]["ModificationState"]
            .clone()
    };
    t.later(1);
    assert_eq!(state(&t), "optimizing");
    t.later(1);
    assert_eq!(state(&t), "completed");
    let d = t.volume(&v);
    assert_eq!(
        (
            d["Size"].clone(),
            d["VolumeType"].clone(),
            d["Iops"].clone()
        ),
        (json!(20), json!("gp3"), json!(3000))
    );
}

#[test]
fn snapshots_are_incremental() {
    let t = t();
    let ia = t.instance("us-east-1a");
    let v = t.vol_id(json!({"Size": 8}));
    t.later(2);
    let snap = |t: &T| {
        t.s.create_snapshot(&t.ctx, json!({"VolumeId": v}))
            .expect("snap")
    };
    let first = snap(&t);
    assert_eq!(first["FullSnapshotSizeInBytes"], 8i64 << 30);
    t.later(2);
    t.s.attach_volume(
        &t.ctx,
        json!({"VolumeId": v, "InstanceId": ia, "Device": "/dev/sdf"}),
    )
    .expect("attach");
    let second = snap(&t);
    assert_eq!(second["FullSnapshotSizeInBytes"], 1i64 << 30);
    assert_eq!(snap(&t)["FullSnapshotSizeInBytes"], 0);
    t.later(2);
    let d =
        t.s.describe_snapshots(&t.ctx, json!({"SnapshotIds": [first["SnapshotId"]]}))
            .expect("describe");
    assert_eq!(d["Snapshots"][0]["State"], "completed");
    assert_eq!(d["Snapshots"][0]["Progress"], "100%");
}

#[test]
fn catalogue_snapshots_are_amazons_and_in_use() {
    let t = t();
    let amazon =
        t.s.describe_snapshots(&t.ctx, json!({"OwnerIds": ["amazon"]}))
            .expect("amazon");
    let list = amazon["Snapshots"].as_array().expect("value");
    assert_eq!(list.len(), crate::common::catalog_images::catalogue_len());
    let mine =
        t.s.describe_snapshots(&t.ctx, json!({"OwnerIds": ["self"]}))
            .expect("self");
    assert_eq!(mine["Snapshots"].as_array().expect("value").len(), 0);
    let sid = list[0]["SnapshotId"].as_str().expect("value");
    assert_eq!(
        code(t.s.delete_snapshot(&t.ctx, json!({"SnapshotId": sid}))),
        "InvalidSnapshot.InUse"
    );
    assert_eq!(
        code(t.s.delete_snapshot(&t.ctx, json!({"SnapshotId": "snap-0123456789abcdef0"}))),
        "InvalidSnapshot.NotFound"
    );
    // A volume from an AMI's snapshot.
    let v = t.vol(json!({"SnapshotId": sid})).expect("volume");
    assert_eq!(v["Size"], list[0]["VolumeSize"]);
}

#[test]
fn copy_snapshot_makes_a_new_one_in_the_target_region() {
    let t = t();
    let v = t.vol_id(json!({"Size": 8}));
    t.later(2);
    let sid =
        t.s.create_snapshot(&t.ctx, json!({"VolumeId": v}))
            .expect("snap")["SnapshotId"]
            .as_str()
            .expect("value")
            .to_string();
    t.later(2);
    let west = RequestContext::root("000000000000", "us-west-2", t.ctx.clock.clone());
    let out =
        t.s.copy_snapshot(
            &west,
            json!({"SourceRegion": "us-east-1", "SourceSnapshotId": sid}),
        )
        .expect("copy");
    let copy = out["SnapshotId"].as_str().expect("value");
    assert_ne!(copy, sid);
    let d =
        t.s.describe_snapshots(&west, json!({"OwnerIds": ["self"]}))
            .expect("d");
    assert_eq!(d["Snapshots"][0]["SnapshotId"], copy);
    assert_eq!(
        code(t.s.copy_snapshot(
            &west,
            json!({"SourceRegion": "us-east-1", "SourceSnapshotId": "snap-0123456789abcdef0"})
        )),
        "InvalidSnapshot.NotFound"
    );
}

fn new_vpc_and_subnet(t: &T) -> (String, String) {
    let v =
        t.s.create_vpc(&t.ctx, json!({"CidrBlock": "10.0.0.0/16"}))
            .expect("vpc")["Vpc"]["VpcId"]
            .as_str()
            .expect("value")
            .to_string();
    let s =
        t.s.create_subnet(&t.ctx, json!({"VpcId": v, "CidrBlock": "10.0.1.0/24"}))
            .expect("subnet")["Subnet"]["SubnetId"]
            .as_str()
            .expect("value")
            .to_string();
    (v, s)
}

fn acls(t: &T, filters: Value) -> Vec<Value> {
    t.s.describe_network_acls(&t.ctx, json!({ "Filters": filters }))
        .expect("acls")["NetworkAcls"]
        .as_array()
        .expect("value")
        .clone()
}

#[test]
fn every_subnet_is_in_its_vpcs_default_acl_until_replaced() {
    let t = t();
    let (v, s) = new_vpc_and_subnet(&t);
    let def = acls(
        &t,
        json!([{"Name": "vpc-id", "Values": [v]}, {"Name": "default", "Values": ["true"]}]),
    );
    assert_eq!(def.len(), 1);
    assert_eq!(def[0]["Associations"][0]["SubnetId"], s.as_str());
    assert_eq!(def[0]["Entries"].as_array().expect("value").len(), 4);
    let assoc = def[0]["Associations"][0]["NetworkAclAssociationId"]
        .as_str()
        .expect("value")
        .to_string();
    let acl =
        t.s.create_network_acl(&t.ctx, json!({"VpcId": v}))
            .expect("acl")["NetworkAcl"]
            .clone();
    let acl_id = acl["NetworkAclId"].as_str().expect("value").to_string();
    // A new ACL denies all: only the * rules.
    let entries = acl["Entries"].as_array().expect("value");
    assert!(entries
        .iter()
        .all(|e| e["RuleNumber"] == 32767 && e["RuleAction"] == "deny"));
    let out =
        t.s.replace_network_acl_association(
            &t.ctx,
            json!({"AssociationId": assoc, "NetworkAclId": acl_id}),
        )
        .expect("replace");
    let new_assoc = out["NewAssociationId"].as_str().expect("value");
    assert!(new_assoc.starts_with("aclassoc-") && new_assoc != assoc);
    let by_subnet = acls(
        &t,
        json!([{"Name": "association.subnet-id", "Values": [s]}]),
    );
    assert_eq!(by_subnet.len(), 1);
    assert_eq!(by_subnet[0]["NetworkAclId"], acl_id.as_str());
    assert_eq!(
        code(t.s.delete_network_acl(&t.ctx, json!({"NetworkAclId": acl_id}))),
        "DependencyViolation"
    );
    assert_eq!(
        code(t.s.replace_network_acl_association(
            &t.ctx,
            json!({"AssociationId": assoc, "NetworkAclId": acl_id})
        )),
        "InvalidAssociationID.NotFound"
    );
    let def_id = def[0]["NetworkAclId"].as_str().expect("value");
    assert_eq!(
        code(t.s.delete_network_acl(&t.ctx, json!({"NetworkAclId": def_id}))),
        "InvalidParameterValue"
    );
    t.s.replace_network_acl_association(
        &t.ctx,
        json!({"AssociationId": new_assoc, "NetworkAclId": def_id}),
    )
    .expect("back");
    t.s.delete_network_acl(&t.ctx, json!({"NetworkAclId": acl_id}))
        .expect("delete");
    assert_eq!(
        code(t.s.delete_network_acl(&t.ctx, json!({"NetworkAclId": acl_id}))),
        "InvalidNetworkAclID.NotFound"
    );
}

#[test]
fn network_acl_entries_are_numbered_and_unique_per_direction() {
    let t = t();
    let (v, _) = new_vpc_and_subnet(&t);
    let acl =
        t.s.create_network_acl(&t.ctx, json!({"VpcId": v}))
            .expect("acl")["NetworkAcl"]["NetworkAclId"]
            .as_str()
            .expect("value")
            .to_string();
    let entry = |n: i64, egress: bool| {
        json!({"NetworkAclId": acl, "RuleNumber": n, "Protocol": "6", "RuleAction": "allow",
               "Egress": egress, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 80, "To": 80}})
    };
    t.s.create_network_acl_entry(&t.ctx, entry(100, false))
        .expect("entry");
    t.s.create_network_acl_entry(&t.ctx, entry(100, true))
        .expect("egress");
    assert_eq!(
        code(t.s.create_network_acl_entry(&t.ctx, entry(100, false))),
        "NetworkAclEntryAlreadyExists"
    );
    for n in [0, 32767] {
        assert_eq!(
            code(t.s.create_network_acl_entry(&t.ctx, entry(n, false))),
            "InvalidParameterValue"
        );
    }
    let mut replace = entry(100, false);
    replace["RuleAction"] = json!("deny");
    t.s.replace_network_acl_entry(&t.ctx, replace)
        .expect("replace");
    assert_eq!(
        code(t.s.replace_network_acl_entry(&t.ctx, entry(200, false))),
        "InvalidNetworkAclEntry.NotFound"
    );
    let a = acls(&t, json!([{"Name": "network-acl-id", "Values": [acl]}]));
    let rule = a[0]["Entries"]
        .as_array()
        .expect("value")
        .iter()
        .find(|e| e["RuleNumber"] == 100 && e["Egress"] == false)
        .cloned()
        .expect("value");
    assert_eq!(
        (
            rule["RuleAction"].clone(),
            rule["PortRange"]["From"].clone()
        ),
        (json!("deny"), json!(80))
    );
    t.s.delete_network_acl_entry(
        &t.ctx,
        json!({"NetworkAclId": acl, "RuleNumber": 100, "Egress": false}),
    )
    .expect("delete");
    assert_eq!(
        code(t.s.delete_network_acl_entry(
            &t.ctx,
            json!({"NetworkAclId": acl, "RuleNumber": 100, "Egress": false})
        )),
        "InvalidNetworkAclEntry.NotFound"
    );
}

#[test]
fn nat_gateway_is_pending_then_available_and_routes_blackhole_when_deleted() {
    let t = t();
    let (v, s) = new_vpc_and_subnet(&t);
    assert_eq!(
        code(t.s.create_nat_gateway(&t.ctx, json!({"SubnetId": s}))),
        "MissingParameter"
    );
    assert_eq!(
        code(t.s.create_nat_gateway(&t.ctx, json!({"SubnetId": "subnet-0123456789abcdef0", "AllocationId": "eipalloc-0123456789abcdef0"}))),
        "InvalidSubnetID.NotFound"
    );
    assert_eq!(
        code(t.s.create_nat_gateway(
            &t.ctx,
            json!({"SubnetId": s, "AllocationId": "eipalloc-0123456789abcdef0"})
        )),
        "InvalidAllocationID.NotFound"
    );
    let eips: gureum_store::Table<Value> = t.s.store.table("ec2.addresses");
    eips.put(
        "000000000000/us-east-1/eipalloc-0123456789abcdef0",
        &json!({"allocation_id": "eipalloc-0123456789abcdef0", "public_ip": "3.4.5.6", "association": null}),
    )
    .expect("eip");
    let g =
        t.s.create_nat_gateway(
            &t.ctx,
            json!({"SubnetId": s, "AllocationId": "eipalloc-0123456789abcdef0"}),
        )
        .expect("nat")["NatGateway"]
            .clone();
    assert_eq!(g["State"], "pending");
    assert_eq!(g["VpcId"], v.as_str());
    assert_eq!(g["NatGatewayAddresses"][0]["PublicIp"], "3.4.5.6");
    assert_eq!(
        code(t.s.create_nat_gateway(
            &t.ctx,
            json!({"SubnetId": s, "AllocationId": "eipalloc-0123456789abcdef0"})
        )),
        "Resource.AlreadyAssociated"
    );
    let id = g["NatGatewayId"].as_str().expect("value").to_string();
    let rt =
        t.s.create_route_table(&t.ctx, json!({"VpcId": v}))
            .expect("rt")["RouteTable"]["RouteTableId"]
            .as_str()
            .expect("value")
            .to_string();
    t.s.create_route(
        &t.ctx,
        json!({"RouteTableId": rt, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": id}),
    )
    .expect("route");
    assert_eq!(
        code(t.s.create_route(&t.ctx, json!({"RouteTableId": rt, "DestinationCidrBlock": "1.0.0.0/8", "NatGatewayId": "nat-0123456789abcdef0"}))),
        "InvalidNatGatewayID.NotFound"
    );
    t.later(2);
    let state = |t: &T| {
        t.s.describe_nat_gateways(&t.ctx, json!({"NatGatewayIds": [id]}))
            .expect("d")["NatGateways"][0]["State"]
            .clone()
    };
    assert_eq!(state(&t), "available");
    let route_state = |t: &T| {
        let r =
            t.s.describe_route_tables(&t.ctx, json!({"RouteTableIds": [rt]}))
                .expect("rt");
        r["RouteTables"][0]["Routes"]
            .as_array()
            .expect("value")
            .iter()
            .find(|r| r["DestinationCidrBlock"] == "0.0.0.0/0")
            .expect("value")["State"]
            .clone()
    };
    assert_eq!(route_state(&t), "active");
    t.s.delete_nat_gateway(&t.ctx, json!({"NatGatewayId": id}))
        .expect("delete");
    assert_eq!(state(&t), "deleting");
    t.later(2);
    assert_eq!(state(&t), "deleted");
    assert_eq!(route_state(&t), "blackhole");
    t.later(3600);
    assert_eq!(
        code(t.s.describe_nat_gateways(&t.ctx, json!({"NatGatewayIds": [id]}))),
        "NatGatewayNotFound"
    );
}

#[test]
fn launch_templates_have_versions() {
    let t = t();
    let lt = t
        .s
        .create_launch_template(
            &t.ctx,
            json!({"LaunchTemplateName": "web", "LaunchTemplateData": {"ImageId": "ami-1", "InstanceType": "t3.micro"}}),
        )
        .expect("lt")["LaunchTemplate"]
        .clone();
    assert_eq!(
        (
            lt["DefaultVersionNumber"].clone(),
            lt["LatestVersionNumber"].clone()
        ),
        (json!(1), json!(1))
    );
    assert_eq!(
        code(t.s.create_launch_template(
            &t.ctx,
            json!({"LaunchTemplateName": "web", "LaunchTemplateData": {}})
        )),
        "InvalidLaunchTemplateName.AlreadyExistsException"
    );
    assert_eq!(
        code(t.s.create_launch_template(
            &t.ctx,
            json!({"LaunchTemplateName": "a", "LaunchTemplateData": {}})
        )),
        "InvalidLaunchTemplateName.MalformedException"
    );
    let v2 = t
        .s
        .create_launch_template_version(
            &t.ctx,
            json!({"LaunchTemplateName": "web", "SourceVersion": "1", "VersionDescription": "bigger",
                   "LaunchTemplateData": {"InstanceType": "t3.large"}}),
        )
        .expect("v2")["LaunchTemplateVersion"]
        .clone();
    assert_eq!(v2["VersionNumber"], 2);
    assert_eq!(
        v2["LaunchTemplateData"],
        json!({"ImageId": "ami-1", "InstanceType": "t3.large"})
    );
    let resolve = |v: &str| {
        crate::compute::launch_templates::resolve_launch_template(
            &t.s.store,
            &t.ctx,
            None,
            Some("web"),
            Some(v),
        )
        .expect("resolve")["InstanceType"]
            .clone()
    };
    assert_eq!(resolve("$Default"), "t3.micro");
    assert_eq!(resolve("$Latest"), "t3.large");
    t.s.modify_launch_template(
        &t.ctx,
        json!({"LaunchTemplateName": "web", "DefaultVersion": "2"}),
    )
    .expect("modify");
    assert_eq!(resolve("$Default"), "t3.large");
    let versions =
        t.s.describe_launch_template_versions(
            &t.ctx,
            json!({"LaunchTemplateName": "web", "Versions": ["$Default"]}),
        )
        .expect("versions");
    assert_eq!(versions["LaunchTemplateVersions"][0]["VersionNumber"], 2);
    assert_eq!(
        code(t.s.describe_launch_template_versions(
            &t.ctx,
            json!({"LaunchTemplateName": "web", "Versions": ["9"]})
        )),
        "InvalidLaunchTemplateId.VersionNotFound"
    );
    let del =
        t.s.delete_launch_template_versions(
            &t.ctx,
            json!({"LaunchTemplateName": "web", "Versions": ["1", "2", "7"]}),
        )
        .expect("delete versions");
    assert_eq!(
        del["SuccessfullyDeletedLaunchTemplateVersions"]
            .as_array()
            .expect("value")
            .len(),
        1
    );
    assert_eq!(
        del["UnsuccessfullyDeletedLaunchTemplateVersions"]
            .as_array()
            .expect("value")
            .len(),
        2
    );
    t.s.delete_launch_template(&t.ctx, json!({"LaunchTemplateName": "web"}))
        .expect("delete");
    assert_eq!(
        code(t.s.describe_launch_templates(&t.ctx, json!({"LaunchTemplateNames": ["web"]}))),
        "InvalidLaunchTemplateName.NotFoundException"
    );
    assert_eq!(
        code(
            t.s.delete_launch_template(&t.ctx, json!({"LaunchTemplateId": "lt-0123456789abcdef0"}))
        ),
        "InvalidLaunchTemplateId.NotFound"
    );
}

/// The `(DeviceName, VolumeId, Status)` of an instance's EBS mappings.
fn mappings(t: &T, instance: &str) -> Vec<(String, String, String)> {
    let out =
        t.s.describe_instances(&t.ctx, json!({"InstanceIds": [instance]}))
            .expect("describe");
    out["Reservations"][0]["Instances"][0]["BlockDeviceMappings"]
        .as_array()
        .expect("mappings")
        .iter()
        .map(|m| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&m["DeviceName"]),
                s(&m["Ebs"]["VolumeId"]),
                s(&m["Ebs"]["Status"]),
            )
        })
        .collect()
}

#[test]
fn an_attached_volume_is_in_its_instances_block_device_mappings_until_detached() {
    let t = t();
    let i = t.instance("us-east-1a");
    let v = t.vol_id(json!({"Size": 8}));
    t.later(2);
    let roots = mappings(&t, &i).len();
    t.s.attach_volume(
        &t.ctx,
        json!({"VolumeId": v, "InstanceId": i, "Device": "/dev/sdf"}),
    )
    .expect("attach");
    let attaching = ("/dev/sdf".to_string(), v.clone(), "attaching".to_string());
    assert!(
        mappings(&t, &i).contains(&attaching),
        "{:?}",
        mappings(&t, &i)
    );
    t.later(2);
    let attached = ("/dev/sdf".to_string(), v.clone(), "attached".to_string());
    assert!(
        mappings(&t, &i).contains(&attached),
        "{:?}",
        mappings(&t, &i)
    );
    assert_eq!(mappings(&t, &i).len(), roots + 1);
    t.s.detach_volume(&t.ctx, json!({"VolumeId": v}))
        .expect("detach");
    let detaching = ("/dev/sdf".to_string(), v.clone(), "detaching".to_string());
    assert!(
        mappings(&t, &i).contains(&detaching),
        "{:?}",
        mappings(&t, &i)
    );
    t.later(2);
    assert!(
        mappings(&t, &i).iter().all(|m| m.1 != v),
        "{:?}",
        mappings(&t, &i)
    );
    assert_eq!(mappings(&t, &i).len(), roots);
}

#[test]
fn a_volume_attaches_only_to_a_running_or_stopped_instance() {
    let t = t();
    let i = t.instance("us-east-1a");
    let v = t.vol_id(json!({"Size": 8}));
    t.later(2);
    t.s.terminate_instances(&t.ctx, json!({"InstanceIds": [i]}))
        .expect("terminate");
    let e =
        t.s.attach_volume(
            &t.ctx,
            json!({"VolumeId": v, "InstanceId": i, "Device": "/dev/sdf"}),
        )
        .expect_err("terminating");
    assert_eq!(
        (e.code.as_str(), e.message),
        (
            "IncorrectState",
            format!("Instance '{i}' is not 'running'.")
        )
    );
}

#[test]
fn a_nat_gateways_elastic_ip_shows_its_interface_and_is_held_until_the_gateway_goes() {
    let t = t();
    let (_, s) = new_vpc_and_subnet(&t);
    let alloc =
        t.s.allocate_address(&t.ctx, json!({"Domain": "vpc"}))
            .expect("eip")["AllocationId"]
            .as_str()
            .expect("id")
            .to_string();
    let g =
        t.s.create_nat_gateway(&t.ctx, json!({"SubnetId": s, "AllocationId": alloc}))
            .expect("nat")["NatGateway"]
            .clone();
    let nat_addr = &g["NatGatewayAddresses"][0];
    let describe = |t: &T| {
        t.s.describe_addresses(&t.ctx, json!({"AllocationIds": [alloc]}))
            .expect("describe")["Addresses"][0]
            .clone()
    };
    let a = describe(&t);
    assert_eq!(a["NetworkInterfaceId"], nat_addr["NetworkInterfaceId"]);
    assert_eq!(a["PrivateIpAddress"], nat_addr["PrivateIp"]);
    assert_eq!(a["NetworkInterfaceOwnerId"], "000000000000");
    assert!(
        a["AssociationId"]
            .as_str()
            .is_some_and(|s| s.starts_with("eipassoc-")),
        "{a}"
    );
    assert!(a.get("InstanceId").is_none(), "{a}");
    let e =
        t.s.release_address(&t.ctx, json!({"AllocationId": alloc}))
            .expect_err("held by the gateway");
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "AuthFailure",
            "You do not have permission to access the specified resource."
        )
    );
    let assoc = a["AssociationId"].as_str().expect("id").to_string();
    assert_eq!(
        code(t.s.disassociate_address(&t.ctx, json!({"AssociationId": assoc}))),
        "AuthFailure",
        "the gateway's association is AWS's to manage"
    );
    assert_eq!(
        code(t.s.create_nat_gateway(&t.ctx, json!({"SubnetId": s, "AllocationId": alloc}))),
        "Resource.AlreadyAssociated"
    );
    t.s.delete_nat_gateway(&t.ctx, json!({"NatGatewayId": g["NatGatewayId"]}))
        .expect("delete");
    let a = describe(&t);
    assert!(a.get("AssociationId").is_none(), "{a}");
    assert!(a.get("NetworkInterfaceId").is_none(), "{a}");
    t.s.release_address(&t.ctx, json!({"AllocationId": alloc}))
        .expect("free once the gateway is deleted");
}
