//! Rule-by-rule tests of the account's own AMIs, RunInstances with launch
//! templates, the VPC limit and CreateTags' existence checks, through the
//! handlers over an in-memory store (time moves with `advance_millis`).

use crate::Ec2Service;
use gureum_core::{AwsError, Clock, RequestContext, Value};
use serde_json::json;

const OWNER: &str = "000000000000";
const OTHER: &str = "111111111111";

fn svc() -> Ec2Service {
    crate::test_service()
}

fn ctx_in(account: &str, region: &str, clock: &Clock) -> RequestContext {
    RequestContext::root(account, region, clock.clone())
}

fn code(r: Result<Value, AwsError>) -> String {
    r.expect_err("an error").code
}

fn text(v: &Value) -> String {
    v.as_str().expect("a string").to_string()
}

fn catalogue_ami(region: &str) -> String {
    crate::common::catalog_images::catalogue_images(region)
        .into_iter()
        .find(|i| i["Architecture"] == "x86_64" && i.get("Platform").is_none())
        .map(|i| text(&i["ImageId"]))
        .expect("an x86_64 linux image")
}

fn run(s: &Ec2Service, ctx: &RequestContext, image: &str) -> Result<Value, AwsError> {
    s.run_instances(
        ctx,
        json!({"ImageId": image, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1}),
    )
}

fn running_instance(s: &Ec2Service, ctx: &RequestContext) -> String {
    let out = run(s, ctx, &catalogue_ami(&ctx.region)).expect("run");
    ctx.clock.advance_millis(1_000);
    text(&out["Instances"][0]["InstanceId"])
}

fn image(s: &Ec2Service, ctx: &RequestContext, id: &str) -> Result<Value, AwsError> {
    s.describe_images(ctx, json!({"ImageIds": [id]}))
        .map(|o| o["Images"][0].clone())
}

fn create_image(s: &Ec2Service, ctx: &RequestContext, name: &str) -> String {
    let i = running_instance(s, ctx);
    let out = s
        .create_image(ctx, json!({"InstanceId": i, "Name": name}))
        .expect("create image");
    text(&out["ImageId"])
}

#[test]
fn create_image_snapshots_the_root_volume_and_becomes_available() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let i = running_instance(&s, &ctx);
    let out = s
        .create_image(
            &ctx,
            json!({"InstanceId": i, "Name": "web-1", "Description": "web", "NoReboot": true,
                   "TagSpecifications": [
                       {"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]},
                       {"ResourceType": "snapshot", "Tags": [{"Key": "of", "Value": "web"}]}]}),
        )
        .expect("create image");
    let id = text(&out["ImageId"]);
    let img = image(&s, &ctx, &id).expect("describe");
    assert_eq!(img["State"], "pending");
    assert_eq!(img["Public"], false);
    assert_eq!(img["OwnerId"], OWNER);
    assert_eq!(img["SourceInstanceId"], i.as_str());
    assert_eq!(img["Tags"], json!([{"Key": "app", "Value": "web"}]));
    let snap = text(&img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]);
    let snaps = s
        .describe_snapshots(&ctx, json!({"SnapshotIds": [snap]}))
        .expect("snapshot");
    assert_eq!(
        snaps["Snapshots"][0]["Description"],
        format!("Created by CreateImage({i}) for {id}")
    );
    assert_eq!(snaps["Snapshots"][0]["Tags"][0]["Key"], "of");
    ctx.clock.advance_millis(1_000);
    assert_eq!(
        image(&s, &ctx, &id).expect("describe")["State"],
        "available"
    );
    // Same name again: a duplicate for this owner.
    assert_eq!(
        code(s.create_image(&ctx, json!({"InstanceId": i, "Name": "web-1"}))),
        "InvalidAMIName.Duplicate"
    );
    assert_eq!(
        code(s.create_image(&ctx, json!({"InstanceId": i, "Name": "x"}))),
        "InvalidAMIName.Malformed"
    );
    assert_eq!(
        code(s.create_image(
            &ctx,
            json!({"InstanceId": "i-0123456789abcdef0", "Name": "web-2"})
        )),
        "InvalidInstanceID.NotFound"
    );
}

#[test]
fn describe_images_lists_own_images_with_filters() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let id = create_image(&s, &ctx, "app-image");
    let mine = s
        .describe_images(&ctx, json!({"Owners": ["self"]}))
        .expect("self");
    assert_eq!(mine["Images"].as_array().map(Vec::len), Some(1));
    let by_account = s
        .describe_images(&ctx, json!({"Owners": [OWNER]}))
        .expect("account");
    assert_eq!(by_account["Images"][0]["ImageId"], id.as_str());
    let pending = s
        .describe_images(
            &ctx,
            json!({"Filters": [{"Name": "state", "Values": ["pending"]},
                               {"Name": "name", "Values": ["app-*"]},
                               {"Name": "is-public", "Values": ["false"]}]}),
        )
        .expect("filters");
    assert_eq!(pending["Images"].as_array().map(Vec::len), Some(1));
    ctx.clock.advance_millis(1_000);
    let none = s
        .describe_images(
            &ctx,
            json!({"Filters": [{"Name": "state", "Values": ["pending"]}]}),
        )
        .expect("filters");
    assert_eq!(none["Images"].as_array().map(Vec::len), Some(0));
    // The catalogue is still there alongside.
    let all = s.describe_images(&ctx, json!({})).expect("all");
    assert_eq!(
        all["Images"].as_array().map(Vec::len),
        Some(crate::common::catalog_images::catalogue_len() + 1)
    );
}

#[test]
fn run_instances_launches_an_own_image_from_its_snapshot() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let id = create_image(&s, &ctx, "launchable");
    assert_eq!(code(run(&s, &ctx, &id)), "InvalidAMIID.Unavailable");
    ctx.clock.advance_millis(1_000);
    let snap =
        text(&image(&s, &ctx, &id).expect("image")["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]);
    let out = run(&s, &ctx, &id).expect("run own image");
    let inst = &out["Instances"][0];
    assert_eq!(inst["ImageId"], id.as_str());
    let vol = text(&inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]);
    let v = s
        .describe_volumes(&ctx, json!({"VolumeIds": [vol]}))
        .expect("volume");
    assert_eq!(v["Volumes"][0]["SnapshotId"], snap.as_str());
}

#[test]
fn register_image_from_a_snapshot_and_its_errors() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let vol = s
        .create_volume(&ctx, json!({"AvailabilityZone": "us-east-1a", "Size": 10}))
        .expect("volume");
    ctx.clock.advance_millis(1_000);
    let snap = text(
        &s.create_snapshot(&ctx, json!({"VolumeId": vol["VolumeId"]}))
            .expect("snapshot")["SnapshotId"],
    );
    let input = json!({"Name": "registered", "Architecture": "x86_64", "VirtualizationType": "hvm",
        "RootDeviceName": "/dev/xvda",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 12}}]});
    let id = text(&s.register_image(&ctx, input.clone()).expect("register")["ImageId"]);
    let img = image(&s, &ctx, &id).expect("describe");
    assert_eq!(img["Architecture"], "x86_64");
    assert_eq!(img["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 12);
    assert_eq!(
        code(s.register_image(&ctx, input)),
        "InvalidAMIName.Duplicate"
    );
    let missing = json!({"Name": "other", "RootDeviceName": "/dev/xvda",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0"}}]});
    assert_eq!(
        code(s.register_image(&ctx, missing)),
        "InvalidSnapshot.NotFound"
    );
    let small = json!({"Name": "small", "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap, "VolumeSize": 5}}]});
    assert_eq!(code(s.register_image(&ctx, small)), "InvalidParameterValue");
    assert_eq!(
        code(s.register_image(&ctx, json!({"Name": "bare"}))),
        "MissingParameter"
    );
}

#[test]
fn deregister_leaves_snapshots_and_a_tombstone() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let id = create_image(&s, &ctx, "short-lived");
    ctx.clock.advance_millis(1_000);
    let snap =
        text(&image(&s, &ctx, &id).expect("image")["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]);
    assert_eq!(
        code(s.delete_snapshot(&ctx, json!({"SnapshotId": snap}))),
        "InvalidSnapshot.InUse"
    );
    let out = s
        .deregister_image(&ctx, json!({"ImageId": id}))
        .expect("deregister");
    assert_eq!(out["Return"], true);
    assert_eq!(
        code(s.deregister_image(&ctx, json!({"ImageId": id}))),
        "InvalidAMIID.Unavailable"
    );
    assert_eq!(code(run(&s, &ctx, &id)), "InvalidAMIID.Unavailable");
    assert_eq!(code(image(&s, &ctx, &id)), "InvalidAMIID.NotFound");
    let snaps = s
        .describe_snapshots(&ctx, json!({"SnapshotIds": [snap]}))
        .expect("the snapshot stays");
    assert_eq!(snaps["Snapshots"].as_array().map(Vec::len), Some(1));
    // No longer in use: it can go now.
    s.delete_snapshot(&ctx, json!({"SnapshotId": snap}))
        .expect("delete the snapshot");
    assert_eq!(
        code(s.deregister_image(&ctx, json!({"ImageId": "ami-0123456789abcdef0"}))),
        "InvalidAMIID.NotFound"
    );
    assert_eq!(
        code(s.deregister_image(&ctx, json!({"ImageId": "ami-bad"}))),
        "InvalidAMIID.Malformed"
    );
    // The name is free again.
    create_image(&s, &ctx, "short-lived");
}

#[test]
fn copy_image_makes_new_snapshots_in_the_destination_region() {
    let s = svc();
    let clock = Clock::system();
    let east = ctx_in(OWNER, "us-east-1", &clock);
    let west = ctx_in(OWNER, "us-west-2", &clock);
    let id = create_image(&s, &east, "to-copy");
    assert_eq!(
        code(s.copy_image(
            &west,
            json!({"SourceRegion": "us-east-1", "SourceImageId": id, "Name": "copied"})
        )),
        "IncorrectState"
    );
    clock.advance_millis(1_000);
    let src_snap =
        text(&image(&s, &east, &id).expect("src")["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]);
    let out = s
        .copy_image(
            &west,
            json!({"SourceRegion": "us-east-1", "SourceImageId": id, "Name": "copied"}),
        )
        .expect("copy");
    let copy = text(&out["ImageId"]);
    assert_ne!(copy, id);
    let img = image(&s, &west, &copy).expect("copy visible in us-west-2");
    assert_eq!(img["SourceImageId"], id.as_str());
    assert_eq!(img["SourceImageRegion"], "us-east-1");
    let snap = text(&img["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]);
    assert_ne!(snap, src_snap);
    assert!(s
        .describe_snapshots(&west, json!({"SnapshotIds": [snap]}))
        .is_ok());
    assert_eq!(code(image(&s, &east, &copy)), "InvalidAMIID.NotFound");
    let encrypted = s
        .copy_image(
            &west,
            json!({"SourceRegion": "us-east-1", "SourceImageId": id, "Name": "copied-enc", "Encrypted": true}),
        )
        .expect("encrypted copy");
    let enc = image(&s, &west, &text(&encrypted["ImageId"])).expect("encrypted");
    assert_eq!(enc["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], true);
    assert_eq!(
        code(s.copy_image(&west, json!({"SourceRegion": "us-east-1", "SourceImageId": id, "Name": "copy-k", "KmsKeyId": "k"}))),
        "InvalidParameterDependency"
    );
    assert_eq!(
        code(s.copy_image(
            &west,
            json!({"SourceRegion": "nowhere-1", "SourceImageId": id, "Name": "copy-2"})
        )),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(s.copy_image(&west, json!({"SourceRegion": "us-east-1", "SourceImageId": "ami-0123456789abcdef0", "Name": "copy-3"}))),
        "InvalidAMIID.NotFound"
    );
}

#[test]
fn launch_permissions_share_images_with_accounts_and_the_public() {
    let s = svc();
    let clock = Clock::system();
    let owner = ctx_in(OWNER, "us-east-1", &clock);
    let other = ctx_in(OTHER, "us-east-1", &clock);
    let id = create_image(&s, &owner, "shared");
    clock.advance_millis(1_000);
    assert_eq!(code(image(&s, &other, &id)), "InvalidAMIID.NotFound");
    assert_eq!(code(run(&s, &other, &id)), "InvalidAMIID.NotFound");
    s.modify_image_attribute(
        &owner,
        json!({"ImageId": id, "LaunchPermission": {"Add": [{"UserId": OTHER}]}}),
    )
    .expect("share");
    let attr = s
        .describe_image_attribute(
            &owner,
            json!({"ImageId": id, "Attribute": "launchPermission"}),
        )
        .expect("attribute");
    assert_eq!(attr["LaunchPermissions"], json!([{"UserId": OTHER}]));
    let seen = image(&s, &other, &id).expect("shared image visible");
    assert_eq!(seen["Public"], false);
    assert_eq!(seen["Tags"], json!([]));
    let exec = s
        .describe_images(&other, json!({"ExecutableUsers": ["self"]}))
        .expect("executable");
    assert_eq!(exec["Images"].as_array().map(Vec::len), Some(1));
    // The other account launches it: its root volume comes from the
    // owner's snapshot.
    s.prepare(&other).expect("the other account's region");
    let out = run(&s, &other, &id).expect("run shared image");
    assert_eq!(out["OwnerId"], OTHER);
    assert_eq!(
        code(s.describe_image_attribute(
            &other,
            json!({"ImageId": id, "Attribute": "launchPermission"})
        )),
        "AuthFailure"
    );
    assert_eq!(
        code(s.deregister_image(&other, json!({"ImageId": id}))),
        "AuthFailure"
    );
    // Group all: public.
    s.modify_image_attribute(
        &owner,
        json!({"ImageId": id, "Attribute": "launchPermission", "OperationType": "add", "UserGroups": ["all"]}),
    )
    .expect("public");
    assert_eq!(image(&s, &owner, &id).expect("img")["Public"], true);
    let third = ctx_in("222222222222", "us-east-1", &clock);
    assert!(image(&s, &third, &id).is_ok());
    s.reset_image_attribute(
        &owner,
        json!({"ImageId": id, "Attribute": "launchPermission"}),
    )
    .expect("reset");
    assert_eq!(code(image(&s, &third, &id)), "InvalidAMIID.NotFound");
    assert_eq!(code(image(&s, &other, &id)), "InvalidAMIID.NotFound");
    assert_eq!(
        code(s.modify_image_attribute(
            &owner,
            json!({"ImageId": id, "LaunchPermission": {"Add": [{"UserId": "nope"}]}})
        )),
        "InvalidUserID.Malformed"
    );
    assert_eq!(
        code(s.reset_image_attribute(&owner, json!({"ImageId": id, "Attribute": "description"}))),
        "InvalidParameterValue"
    );
    s.modify_image_attribute(
        &owner,
        json!({"ImageId": id, "Description": {"Value": "new words"}}),
    )
    .expect("description");
    let d = s
        .describe_image_attribute(&owner, json!({"ImageId": id, "Attribute": "description"}))
        .expect("description");
    assert_eq!(d["Description"]["Value"], "new words");
}

fn template(s: &Ec2Service, ctx: &RequestContext, name: &str, data: Value) -> String {
    let out = s
        .create_launch_template(
            ctx,
            json!({"LaunchTemplateName": name, "LaunchTemplateData": data}),
        )
        .expect("template");
    text(&out["LaunchTemplate"]["LaunchTemplateId"])
}

#[test]
fn run_instances_takes_a_launch_template_and_explicit_values_win() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let lt = template(
        &s,
        &ctx,
        "web",
        json!({"ImageId": catalogue_ami("us-east-1"), "InstanceType": "t3.micro",
               "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "from", "Value": "template"}]}]}),
    );
    s.create_launch_template_version(
        &ctx,
        json!({"LaunchTemplateId": lt, "SourceVersion": "1", "LaunchTemplateData": {"InstanceType": "t3.small"}}),
    )
    .expect("version 2");
    let by_name = s
        .run_instances(
            &ctx,
            json!({"MinCount": 1, "MaxCount": 1, "LaunchTemplate": {"LaunchTemplateName": "web"}}),
        )
        .expect("default version");
    let i = &by_name["Instances"][0];
    assert_eq!(i["InstanceType"], "t3.micro");
    let tags = i["Tags"].as_array().expect("tags");
    assert!(tags.contains(&json!({"Key": "from", "Value": "template"})));
    assert!(tags.contains(&json!({"Key": "aws:ec2launchtemplate:id", "Value": lt})));
    assert!(tags.contains(&json!({"Key": "aws:ec2launchtemplate:version", "Value": "1"})));
    let latest = s
        .run_instances(
            &ctx,
            json!({"MinCount": 1, "MaxCount": 1,
                   "LaunchTemplate": {"LaunchTemplateId": lt, "Version": "$Latest"}}),
        )
        .expect("latest");
    assert_eq!(latest["Instances"][0]["InstanceType"], "t3.small");
    let explicit = s
        .run_instances(
            &ctx,
            json!({"MinCount": 1, "MaxCount": 1, "InstanceType": "t3.medium",
                   "LaunchTemplate": {"LaunchTemplateId": lt, "Version": "2"}}),
        )
        .expect("explicit");
    assert_eq!(explicit["Instances"][0]["InstanceType"], "t3.medium");
    let err = |lt_spec: Value| {
        code(s.run_instances(
            &ctx,
            json!({"MinCount": 1, "MaxCount": 1, "LaunchTemplate": lt_spec}),
        ))
    };
    assert_eq!(
        err(json!({"LaunchTemplateName": "absent"})),
        "InvalidLaunchTemplateName.NotFoundException"
    );
    assert_eq!(
        err(json!({"LaunchTemplateId": "lt-0123456789abcdef0"})),
        "InvalidLaunchTemplateId.NotFound"
    );
    assert_eq!(
        err(json!({"LaunchTemplateId": lt, "Version": "9"})),
        "InvalidLaunchTemplateId.VersionNotFound"
    );
    // A template without an image and a request without one.
    template(&s, &ctx, "no-image", json!({"InstanceType": "t3.micro"}));
    assert_eq!(
        err(json!({"LaunchTemplateName": "no-image"})),
        "MissingParameter"
    );
}

#[test]
fn the_fifth_vpc_is_the_last_one() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    for n in 0..4 {
        s.create_vpc(&ctx, json!({"CidrBlock": format!("10.{n}.0.0/16")}))
            .expect("within the limit (the default VPC counts)");
    }
    let e = s
        .create_vpc(&ctx, json!({"CidrBlock": "10.9.0.0/16"}))
        .expect_err("limit");
    assert_eq!(e.code, "VpcLimitExceeded");
    assert_eq!(e.message, "The maximum number of VPCs has been reached.");
    // Another region has its own limit.
    let west = ctx_in(OWNER, "us-west-2", &ctx.clock);
    assert!(s
        .create_vpc(&west, json!({"CidrBlock": "10.0.0.0/16"}))
        .is_ok());
}

#[test]
fn create_tags_checks_that_each_resource_exists() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let tag = |id: &str| {
        s.create_tags(
            &ctx,
            json!({"Resources": [id], "Tags": [{"Key": "k", "Value": "v"}]}),
        )
    };
    let cases = [
        ("i-0123456789abcdef0", "InvalidInstanceID.NotFound"),
        ("vol-0123456789abcdef0", "InvalidVolume.NotFound"),
        ("snap-0123456789abcdef0", "InvalidSnapshot.NotFound"),
        ("ami-0123456789abcdef0", "InvalidAMIID.NotFound"),
        ("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
        ("eipalloc-0123456789abcdef0", "InvalidAllocationID.NotFound"),
        ("lt-0123456789abcdef0", "InvalidLaunchTemplateId.NotFound"),
        ("nat-0123456789abcdef0", "NatGatewayNotFound"),
        ("not-an-id!", "InvalidID"),
    ];
    for (id, want) in cases {
        assert_eq!(code(tag(id)), want, "{id}");
    }
    let i = running_instance(&s, &ctx);
    tag(&i).expect("an existing instance");
    let img = create_image(&s, &ctx, "taggable");
    tag(&img).expect("an existing image");
    assert_eq!(
        image(&s, &ctx, &img).expect("image")["Tags"],
        json!([{"Key": "k", "Value": "v"}])
    );
}

#[test]
fn describe_instances_cache_follows_tags_and_state() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let out = run(&s, &ctx, &catalogue_ami("us-east-1")).expect("run");
    let id = text(&out["Instances"][0]["InstanceId"]);
    let describe = |f: Value| {
        s.describe_instances(&ctx, f).expect("describe")["Reservations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let first = describe(json!({}));
    assert_eq!(first[0]["Instances"][0]["State"]["Name"], "pending");
    ctx.clock.advance_millis(1_000);
    let second = describe(json!({}));
    assert_eq!(second[0]["Instances"][0]["State"]["Name"], "running");
    s.create_tags(
        &ctx,
        json!({"Resources": [id], "Tags": [{"Key": "Name", "Value": "web"}]}),
    )
    .expect("tag");
    let tagged = describe(json!({"Filters": [{"Name": "tag:Name", "Values": ["w*"]}]}));
    assert_eq!(
        tagged[0]["Instances"][0]["Tags"],
        json!([{"Key": "Name", "Value": "web"}])
    );
    s.stop_instances(&ctx, json!({"InstanceIds": [id]}))
        .expect("stop");
    let stopping = describe(
        json!({"Filters": [{"Name": "instance-state-code", "Values": ["64"]},
                                              {"Name": "owner-id", "Values": [OWNER]}]}),
    );
    assert_eq!(stopping[0]["Instances"][0]["State"]["Name"], "stopping");
    assert!(describe(json!({"Filters": [{"Name": "tag-key", "Values": ["Other"]}]})).is_empty());
}

#[test]
fn create_image_includes_attached_volumes_unless_no_device() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let i = running_instance(&s, &ctx);
    let az = text(
        &s.describe_instances(&ctx, json!({"InstanceIds": [i]}))
            .expect("describe")["Reservations"][0]["Instances"][0]["Placement"]["AvailabilityZone"],
    );
    let vol = text(
        &s.create_volume(&ctx, json!({"AvailabilityZone": az, "Size": 20}))
            .expect("volume")["VolumeId"],
    );
    ctx.clock.advance_millis(1_000);
    s.attach_volume(
        &ctx,
        json!({"VolumeId": vol, "InstanceId": i, "Device": "/dev/sdf"}),
    )
    .expect("attach");
    ctx.clock.advance_millis(1_000);
    let both = text(
        &s.create_image(&ctx, json!({"InstanceId": i, "Name": "with-data"}))
            .expect("image")["ImageId"],
    );
    let devices = image(&s, &ctx, &both).expect("image")["BlockDeviceMappings"].clone();
    let names: Vec<String> = devices
        .as_array()
        .expect("mappings")
        .iter()
        .map(|m| text(&m["DeviceName"]))
        .collect();
    assert!(names.contains(&"/dev/sdf".to_string()), "{names:?}");
    assert_eq!(names.len(), 2);
    let data = devices
        .as_array()
        .and_then(|a| a.iter().find(|m| m["DeviceName"] == "/dev/sdf"))
        .expect("data device");
    assert_eq!(data["Ebs"]["VolumeSize"], 20);
    let own_snapshots = || {
        s.describe_snapshots(&ctx, json!({"OwnerIds": ["self"]}))
            .expect("snapshots")["Snapshots"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = own_snapshots();
    let root_only = text(
        &s.create_image(
            &ctx,
            json!({"InstanceId": i, "Name": "root-only",
                   "BlockDeviceMappings": [{"DeviceName": "/dev/sdf", "NoDevice": ""},
                                           {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"}]}),
        )
        .expect("image")["ImageId"],
    );
    let img = image(&s, &ctx, &root_only).expect("image");
    let maps = img["BlockDeviceMappings"].as_array().expect("mappings");
    assert_eq!(maps.len(), 2);
    assert!(maps.iter().all(|m| m["DeviceName"] != "/dev/sdf"));
    assert!(maps.iter().any(|m| m["VirtualName"] == "ephemeral0"));
    // The dropped device was not snapshotted.
    assert_eq!(own_snapshots(), before + 1);
}

#[test]
fn the_rendered_instance_cache_is_bounded() {
    let s = svc();
    let ctx = ctx_in(OWNER, "us-east-1", &Clock::system());
    let n = crate::compute::instances::RENDER_CACHE_MAX + 10;
    s.run_instances(
        &ctx,
        json!({"ImageId": catalogue_ami("us-east-1"), "InstanceType": "t3.micro",
               "MinCount": n, "MaxCount": n}),
    )
    .expect("run");
    let out = s.describe_instances(&ctx, json!({})).expect("describe");
    let seen: usize = out["Reservations"]
        .as_array()
        .expect("reservations")
        .iter()
        .map(|r| r["Instances"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(seen, n);
    let mut l = s.instances.lock(&s.store, &ctx).expect("lock");
    assert_eq!(
        l.region().rendered_len(),
        crate::compute::instances::RENDER_CACHE_MAX
    );
}
