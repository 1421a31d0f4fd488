//! `CreateImage`, `RegisterImage`, `DeregisterImage`, `CopyImage` over the
//! stored images of [`crate::images::amis`].
//!
//! `CreateImage` snapshots every EBS volume attached to the instance (each
//! snapshot `pending`, then `completed`, like the image). `NoReboot` is
//! accepted; Gureum's instances have no guest whose file systems a reboot
//! would make consistent, so the instance's state is the same either way.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::ebs::snapshots::{self, Snapshot};
use crate::ebs::volumes::{self, GIB};
use crate::images::amis::{self, Image, ImageDevice};
use crate::{common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, WriteTxn};
use serde_json::json;

/// `InvalidAMIName.Malformed` unless 3–128 characters of AWS's set.
pub fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = (3..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "()[] ./-'@_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AwsError::from(Ec2Error::InvalidAMINameMalformed))
    }
}

/// `InvalidAMIName.Duplicate` when the caller already has a (registered)
/// image of that name in its region.
pub(crate) fn check_unique(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    name: &str,
) -> Result<(), AwsError> {
    let taken = txn
        .scan_prefix(&amis::table(store), &prefix(ctx))?
        .into_iter()
        .find(|(_, i)| !i.deregistered && i.name == name);
    match taken {
        Some((_, i)) => Err(AwsError::from(Ec2Error::InvalidAMINameDuplicate {
            message: format!("AMI name {name} is already in use by AMI {}", i.id),
        })),
        None => Ok(()),
    }
}

/// The tags `TagSpecifications` give the image and its snapshots; other
/// resource types are refused.
pub(crate) fn spec_tags(input: &Value) -> Result<(tags::Tags, tags::Tags), AwsError> {
    let (mut image, mut snapshot) = (tags::Tags::new(), tags::Tags::new());
    for spec in input
        .get("TagSpecifications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let rt = str_member(spec, "ResourceType").unwrap_or("image");
        let one = json!({ "TagSpecifications": [spec] });
        match rt {
            "image" => image.extend(network::spec_tags(&one, "image")?),
            "snapshot" => snapshot.extend(network::spec_tags(&one, "snapshot")?),
            other => {
                return Err(network::invalid_value(format!(
                    "'{other}' is not a valid taggable resource type for this operation."
                )))
            }
        }
    }
    Ok((image, snapshot))
}

pub(crate) fn description(input: &Value) -> Result<Option<String>, AwsError> {
    match str_member(input, "Description") {
        Some(d) if d.chars().count() > 255 => Err(network::invalid_value(
            "AMI descriptions must be at most 255 characters long.",
        )),
        d => Ok(d.map(str::to_string)),
    }
}

/// Applies request `BlockDeviceMappings` to an image's devices: `NoDevice`
/// drops one, `VirtualName` adds an instance-store device, `Ebs` changes
/// (or adds) an EBS device. New snapshot ids are looked up by `snapshot`.
pub(crate) fn apply_mappings(
    devices: &mut Vec<ImageDevice>,
    input: &Value,
    snapshot: &mut dyn FnMut(&str) -> Result<Snapshot, AwsError>,
) -> Result<(), AwsError> {
    for m in input
        .get("BlockDeviceMappings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let dev = required(m, "DeviceName")?.to_string();
        if m.get("NoDevice").is_some() {
            devices.retain(|d| d.device_name != dev);
            continue;
        }
        let pos = devices.iter().position(|d| d.device_name == dev);
        if let Some(name) = str_member(m, "VirtualName") {
            let d = ImageDevice {
                device_name: dev,
                snapshot_id: None,
                size: None,
                volume_type: None,
                delete_on_termination: false,
                encrypted: false,
                iops: None,
                throughput: None,
                virtual_name: Some(name.to_string()),
            };
            match pos {
                Some(p) => devices[p] = d,
                None => devices.push(d),
            }
            continue;
        }
        let Some(ebs) = m.get("Ebs") else { continue };
        let mut d = match pos {
            Some(p) => devices.remove(p),
            None => ImageDevice {
                device_name: dev.clone(),
                snapshot_id: None,
                size: None,
                volume_type: Some("gp2".into()),
                delete_on_termination: true,
                encrypted: false,
                iops: None,
                throughput: None,
                virtual_name: None,
            },
        };
        let mut floor = 1;
        if let Some(sid) = str_member(ebs, "SnapshotId") {
            let s = snapshot(sid)?;
            d.snapshot_id = Some(s.id.clone());
            d.encrypted = s.encrypted;
            d.size = Some(s.volume_size);
            floor = s.volume_size;
        } else if let Some(s) = d.size {
            floor = if d.snapshot_id.is_some() { s } else { 1 };
        }
        if let Some(size) = ebs.get("VolumeSize").and_then(Value::as_i64) {
            if size < floor {
                return Err(network::invalid_value(format!(
                    "Volume of size {size}GB is smaller than snapshot '{}', expect size >= {floor}GB",
                    d.snapshot_id.clone().unwrap_or_default()
                )));
            }
            d.size = Some(size);
        }
        if d.size.is_none() {
            return Err(network::invalid_value(format!(
                "The request must contain the parameter size or snapshotId for device {dev}"
            )));
        }
        if let Some(t) = str_member(ebs, "VolumeType") {
            d.volume_type = Some(t.to_string());
        }
        if let Some(x) = ebs.get("DeleteOnTermination").and_then(Value::as_bool) {
            d.delete_on_termination = x;
        }
        if let Some(x) = ebs.get("Encrypted").and_then(Value::as_bool) {
            d.encrypted = d.encrypted || x;
        }
        d.iops = ebs.get("Iops").and_then(Value::as_i64).or(d.iops);
        d.throughput = ebs
            .get("Throughput")
            .and_then(Value::as_i64)
            .or(d.throughput);
        devices.push(d);
    }
    Ok(())
}

/// A new snapshot record owned by the caller in its region.
pub(crate) fn new_snapshot(
    ctx: &RequestContext,
    now: i64,
    size: i64,
    description: String,
) -> Snapshot {
    Snapshot {
        id: resource_id("snap"),
        volume_id: "vol-ffffffff".into(),
        volume_size: size,
        description,
        owner_id: ctx.account_id.clone(),
        owner_alias: None,
        start_ms: now,
        encrypted: false,
        kms_key_id: None,
        full_size_bytes: size * GIB,
        image_id: None,
    }
}

pub(crate) fn put_snapshot(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    s: &Snapshot,
    t: &tags::Tags,
) -> Result<(), AwsError> {
    txn.put(&snapshots::table(store), &key(ctx, &s.id), s)?;
    tags::put_in(txn, store, ctx, &s.id, t)
}

impl Ec2Service {
    /// `RegisterImage`: an image from snapshots (`BlockDeviceMappings`, the
    /// root device's mapping needing a snapshot).
    pub(crate) fn register_image(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["BillingProducts"])?;
        let name = required(&input, "Name")?.to_string();
        check_name(&name)?;
        let desc = description(&input)?;
        let (image_tags, snap_tags) = spec_tags(&input)?;
        if !snap_tags.is_empty() {
            return Err(network::invalid_value(
                "'snapshot' is not a valid taggable resource type for this operation.",
            ));
        }
        let has_mappings = input
            .get("BlockDeviceMappings")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        if !has_mappings {
            return Err(match str_member(&input, "ImageLocation") {
                Some(_) => AwsError::from(Ec2Error::UnsupportedOperation { message: "Instance store-backed AMIs (ImageLocation) are not supported; register from EBS snapshots.".into() }),
                None => network::missing("BlockDeviceMapping"),
            });
        }
        let arch = str_member(&input, "Architecture").unwrap_or("i386");
        let virt = str_member(&input, "VirtualizationType").unwrap_or("paravirtual");
        if !matches!(virt, "hvm" | "paravirtual") {
            return Err(network::invalid_value(format!(
                "Value ({virt}) for parameter virtualizationType is invalid."
            )));
        }
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let id = store.write(|txn| {
            let mut devices = Vec::new();
            apply_mappings(&mut devices, &input, &mut |sid| {
                snapshots::find_in(self, txn, ctx, sid)?.ok_or_else(|| snapshots::not_found(sid))
            })?;
            let root = str_member(&input, "RootDeviceName")
                .map(str::to_string)
                .or_else(|| devices.first().map(|d| d.device_name.clone()))
                .unwrap_or_default();
            let root_dev = devices.iter().find(|d| d.device_name == root);
            if root_dev.is_none_or(|d| d.snapshot_id.is_none()) {
                return Err(network::invalid_value(format!(
                    "The device name {root} given as root device has no block device mapping with a snapshot."
                )));
            }
            dry_run(&input)?;
            check_unique(txn, store, ctx, &name)?;
            let img = Image {
                id: resource_id("ami"),
                name: name.clone(),
                description: desc.clone(),
                owner_id: ctx.account_id.clone(),
                architecture: arch.to_string(),
                platform: None,
                platform_details: "Linux/UNIX".into(),
                usage_operation: "RunInstances".into(),
                root_device_name: root,
                virtualization_type: virt.to_string(),
                ena_support: input.get("EnaSupport").and_then(Value::as_bool) == Some(true),
                sriov_net_support: str_member(&input, "SriovNetSupport").map(str::to_string),
                boot_mode: str_member(&input, "BootMode").map(str::to_string),
                imds_support: str_member(&input, "ImdsSupport").map(str::to_string),
                devices,
                create_ms: now,
                deregistered: false,
                public: false,
                launch_users: vec![],
                source_instance_id: None,
                source_image: None,
            };
            txn.put(&amis::table(store), &key(ctx, &img.id), &img)?;
            tags::put_in(txn, store, ctx, &img.id, &image_tags)?;
            Ok::<_, AwsError>(img.id)
        })?;
        Ok(json!({ "ImageId": id }))
    }

    /// `DeregisterImage`: the image becomes a tombstone; its snapshots stay
    /// unless `DeleteAssociatedSnapshots`.
    pub(crate) fn deregister_image(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = required(&input, "ImageId")?.to_string();
        amis::check_id(&id)?;
        let delete_snaps = input
            .get("DeleteAssociatedSnapshots")
            .and_then(Value::as_bool)
            == Some(true);
        let store = &self.store;
        let results = store.write(|txn| {
            let k = key(ctx, &id);
            let Some(mut img) = txn.get(&amis::table(store), &k)? else {
                // Someone else's (or a catalogue) image: not the caller's to
                // deregister.
                return Err(match amis::usable(txn, store, ctx, &ctx.region, &id) {
                    Ok(_) => AwsError::from(Ec2Error::AuthFailure { id: id.to_string() }),
                    Err(e) => e,
                });
            };
            if img.deregistered {
                return Err(amis::unavailable(&id));
            }
            dry_run(&input)?;
            img.deregistered = true;
            txn.put(&amis::table(store), &k, &img)?;
            tags::delete_in(txn, store, ctx, &id)?;
            let mut results = Vec::new();
            if delete_snaps {
                for sid in img.devices.iter().filter_map(|d| d.snapshot_id.as_ref()) {
                    let code = if txn.delete(&snapshots::table(store), &key(ctx, sid))? {
                        tags::delete_in(txn, store, ctx, sid)?;
                        "success"
                    } else {
                        "error-generic"
                    };
                    results.push(json!({"SnapshotId": sid, "ReturnCode": code}));
                }
            }
            Ok::<_, AwsError>(results)
        })?;
        self.seams.host.forget_image(&id);
        let mut out = json!({ "Return": true });
        if delete_snaps {
            out["DeleteSnapshotResults"] = Value::Array(results);
        }
        Ok(out)
    }

    /// `CopyImage`: from `SourceRegion` into the caller's region, with a
    /// new (full) copy of each snapshot.
    pub(crate) fn copy_image(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "DestinationOutpostArn",
                "SnapshotCopyCompletionDurationMinutes",
                "DestinationAvailabilityZone",
                "DestinationAvailabilityZoneId",
            ],
        )?;
        let src_region = required(&input, "SourceRegion")?.to_string();
        let src_id = required(&input, "SourceImageId")?.to_string();
        let name = required(&input, "Name")?.to_string();
        if gureum_core::region::find(&src_region).is_none() {
            return Err(network::invalid_value(format!(
                "Value ({src_region}) for parameter sourceRegion is invalid."
            )));
        }
        check_name(&name)?;
        let desc = description(&input)?;
        let (mut image_tags, snap_tags) = spec_tags(&input)?;
        let copy_tags = input.get("CopyImageTags").and_then(Value::as_bool) == Some(true);
        let encrypt = input.get("Encrypted").and_then(Value::as_bool) == Some(true);
        let kms = str_member(&input, "KmsKeyId");
        if kms.is_some() && !encrypt {
            return Err(AwsError::from(Ec2Error::InvalidParameterDependency));
        }
        let kms_arn = |ctx: &RequestContext| match kms {
            Some(k) if k.starts_with("arn:") => k.to_string(),
            Some(k) if !k.starts_with("alias/aws/ebs") => {
                format!("arn:aws:kms:{}:{}:key/{k}", ctx.region, ctx.account_id)
            }
            _ => volumes::default_kms_key(ctx),
        };
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let mut src_ctx = ctx.clone();
        src_ctx.region = src_region.clone();
        if copy_tags {
            let mut t = tags::get(store, &src_ctx, &src_id)?;
            t.extend(image_tags);
            image_tags = t;
        }
        let id = store.write(|txn| {
            let src = amis::usable(txn, store, ctx, &src_region, &src_id)?;
            if src.state(now) != "available" {
                return Err(AwsError::from(Ec2Error::IncorrectState {
                    message: format!("Image {src_id} is not in the available state."),
                }));
            }
            dry_run(&input)?;
            check_unique(txn, store, ctx, &name)?;
            let mut devices = src.devices.clone();
            for d in &mut devices {
                let Some(sid) = d.snapshot_id.clone() else {
                    continue;
                };
                let from = source_snapshot(self, txn, store, &src_ctx, &src, &sid)?;
                let mut s = new_snapshot(
                    ctx,
                    now,
                    from.volume_size,
                    format!("[Copied {sid} from {src_region}] {}", from.description),
                );
                s.encrypted = from.encrypted || encrypt;
                if s.encrypted {
                    // An encrypted source without a key given: the
                    // destination region's default EBS key, as AWS does.
                    s.kms_key_id = Some(if kms.is_some() {
                        kms_arn(ctx)
                    } else {
                        volumes::default_kms_key(ctx)
                    });
                }
                put_snapshot(txn, store, ctx, &s, &snap_tags)?;
                d.snapshot_id = Some(s.id);
                d.encrypted = s.encrypted;
            }
            let img = Image {
                id: resource_id("ami"),
                name: name.clone(),
                description: desc.clone().or_else(|| src.description.clone()),
                owner_id: ctx.account_id.clone(),
                devices,
                create_ms: now,
                deregistered: false,
                public: false,
                launch_users: vec![],
                source_instance_id: None,
                source_image: Some((src_id.clone(), src_region.clone())),
                ..src
            };
            txn.put(&amis::table(store), &key(ctx, &img.id), &img)?;
            tags::put_in(txn, store, ctx, &img.id, &image_tags)?;
            Ok::<_, AwsError>(img.id)
        })?;
        Ok(json!({ "ImageId": id }))
    }
}

/// A snapshot of the source image in its region: the caller's, the
/// catalogue's, or the owner's (a shared image).
fn source_snapshot(
    svc: &Ec2Service,
    txn: &WriteTxn,
    store: &Store,
    src_ctx: &RequestContext,
    src: &Image,
    sid: &str,
) -> Result<Snapshot, AwsError> {
    if let Some(s) = snapshots::find_in(svc, txn, src_ctx, sid)? {
        return Ok(s);
    }
    let owner_key = format!("{}/{}/{sid}", src.owner_id, src_ctx.region);
    txn.get(&snapshots::table(store), &owner_key)?
        .ok_or_else(|| snapshots::not_found(sid))
}
