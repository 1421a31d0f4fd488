//! EBS volumes: `CreateVolume`, `DescribeVolumes`, `DeleteVolume`,
//! `AttachVolume`, `DetachVolume`, `ModifyVolume`,
//! `DescribeVolumesModifications`.
//!
//! # For RunInstances (public functions)
//!
//! - [`create_root_volume`] writes, inside the caller's write transaction,
//!   an `in-use` volume made from a snapshot (an AMI's root snapshot) and
//!   attached to an instance at a device; it returns the volume id. Its
//!   [`VolumeSpec`] carries size, type, IOPS, throughput, encryption and
//!   `DeleteOnTermination` as a block device mapping gives them, checked
//!   by the same bounds as `CreateVolume` ([`check_spec`]).
//! - [`volumes_of_instance`] lists the volumes attached to an instance and
//!   [`release_instance_volumes`] detaches them when it terminates
//!   (deleting those marked `DeleteOnTermination`).
//!
//! # States, on Gureum's clock, evaluated when read
//!
//! A volume is `creating` for [`TRANSITION_MS`] after `CreateVolume`, then
//! `available`, or `in-use` while attached. An attachment is `attaching`
//! then `attached`; `DetachVolume` makes it `detaching`, and after the
//! delay it is gone (the volume `available` again). A modification is
//! `modifying`, then `optimizing`, then `completed`, a delay each; the new
//! size, type and IOPS apply at once.
//!
//! # Instances
//!
//! `AttachVolume` and `DetachVolume` join a volume with an instance and
//! live in [`crate::compute::volume_attachments`].
//!
//! # Changed blocks
//!
//! For incremental snapshot sizes each volume counts "changed bytes" since
//! its last snapshot: a new volume counts its full size (or nothing when
//! made from a snapshot), each attachment counts 1 GiB of writes (capped at
//! the size), and growing a volume counts the added GiB. The snapshot
//! module reads and resets the counter.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::{common::filter, common::tags, vpc::vpcs, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use crate::common::network::TRANSITION_MS;

/// One GiB in bytes.
pub const GIB: i64 = 1 << 30;

/// One attachment of a volume.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VolumeAttachment {
    /// The instance.
    pub instance_id: String,
    /// The device name (`/dev/sdf`).
    pub device: String,
    /// When it was attached (ms).
    pub attach_ms: i64,
    /// When `DetachVolume` was called (ms).
    #[serde(default)]
    pub detach_ms: Option<i64>,
    /// Deleted with the instance.
    #[serde(default)]
    pub delete_on_termination: bool,
}

impl VolumeAttachment {
    /// `attaching`, `attached`, `detaching`, or `None` once detached.
    pub fn state(&self, now: i64) -> Option<&'static str> {
        match self.detach_ms {
            Some(d) if now - d >= TRANSITION_MS => None,
            Some(_) => Some("detaching"),
            None if now - self.attach_ms < TRANSITION_MS => Some("attaching"),
            None => Some("attached"),
        }
    }
}

/// A stored volume.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Volume {
    /// `vol-…`.
    pub id: String,
    /// The AZ name.
    pub az: String,
    /// The AZ id.
    pub az_id: String,
    /// GiB.
    pub size: i64,
    /// gp2, gp3, io1, io2, st1, sc1, standard.
    pub volume_type: String,
    /// Provisioned (or baseline) IOPS.
    #[serde(default)]
    pub iops: Option<i64>,
    /// gp3 throughput, MiB/s.
    #[serde(default)]
    pub throughput: Option<i64>,
    /// The snapshot it was made from.
    #[serde(default)]
    pub snapshot_id: Option<String>,
    /// Encrypted.
    pub encrypted: bool,
    /// The KMS key ARN when encrypted.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// io1/io2 Multi-Attach.
    #[serde(default)]
    pub multi_attach: bool,
    /// Created at (ms).
    pub create_ms: i64,
    /// Attachments, live and detaching.
    #[serde(default)]
    pub attachments: Vec<VolumeAttachment>,
    /// Bytes changed since the last snapshot.
    #[serde(default)]
    pub changed_bytes: i64,
}

impl Volume {
    /// Attachments that are not yet gone.
    pub fn live_attachments(&self, now: i64) -> impl Iterator<Item = &VolumeAttachment> {
        self.attachments
            .iter()
            .filter(move |a| a.state(now).is_some())
    }

    /// `creating`, `available` or `in-use`.
    pub fn state(&self, now: i64) -> &'static str {
        if now - self.create_ms < TRANSITION_MS {
            "creating"
        } else if self.live_attachments(now).next().is_some() {
            "in-use"
        } else {
            "available"
        }
    }

    /// The volume as the model's `Volume`.
    pub fn to_value(&self, now: i64, tags: &tags::Tags) -> Value {
        let attachments: Vec<Value> = self
            .attachments
            .iter()
            .filter_map(|a| {
                Some(json!({
                    "AttachTime": a.attach_ms / 1000,
                    "Device": a.device,
                    "InstanceId": a.instance_id,
                    "State": a.state(now)?,
                    "VolumeId": self.id,
                    "DeleteOnTermination": a.delete_on_termination,
                }))
            })
            .collect();
        let mut v = json!({
            "Attachments": attachments,
            "AvailabilityZone": self.az,
            "AvailabilityZoneId": self.az_id,
            "CreateTime": self.create_ms / 1000,
            "Encrypted": self.encrypted,
            "Size": self.size,
            "SnapshotId": self.snapshot_id.clone().unwrap_or_default(),
            "State": self.state(now),
            "VolumeId": self.id,
            "VolumeType": self.volume_type,
            "MultiAttachEnabled": self.multi_attach,
            "Tags": network::tag_list(tags),
        });
        if let Some(i) = self.iops {
            v["Iops"] = json!(i);
        }
        if let Some(t) = self.throughput {
            v["Throughput"] = json!(t);
        }
        if let Some(k) = &self.kms_key_id {
            v["KmsKeyId"] = json!(k);
        }
        v
    }
}

/// A volume's latest modification.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Modification {
    /// The volume.
    pub volume_id: String,
    /// Started at (ms).
    pub start_ms: i64,
    /// Size, type, IOPS, throughput, multi-attach before.
    pub original: (i64, String, Option<i64>, Option<i64>, bool),
    /// … and after.
    pub target: (i64, String, Option<i64>, Option<i64>, bool),
}

impl Modification {
    /// `modifying`, `optimizing` or `completed`, with a progress percent.
    pub fn state(&self, now: i64) -> (&'static str, i64) {
        let e = now - self.start_ms;
        if e < TRANSITION_MS {
            ("modifying", 0)
        } else if e < 2 * TRANSITION_MS {
            ("optimizing", 50)
        } else {
            ("completed", 100)
        }
    }

    /// The model's `VolumeModification`.
    pub fn to_value(&self, now: i64) -> Value {
        let (state, progress) = self.state(now);
        let (os, ot, oi, oth, om) = &self.original;
        let (ts, tt, ti, tth, tm) = &self.target;
        let mut v = json!({
            "VolumeId": self.volume_id,
            "ModificationState": state,
            "Progress": progress,
            "StartTime": self.start_ms / 1000,
            "OriginalSize": os, "OriginalVolumeType": ot, "OriginalMultiAttachEnabled": om,
            "TargetSize": ts, "TargetVolumeType": tt, "TargetMultiAttachEnabled": tm,
        });
        for (name, val) in [
            ("OriginalIops", oi),
            ("OriginalThroughput", oth),
            ("TargetIops", ti),
            ("TargetThroughput", tth),
        ] {
            if let Some(x) = val {
                v[name] = json!(x);
            }
        }
        if state == "completed" {
            v["EndTime"] = json!((self.start_ms + 2 * TRANSITION_MS) / 1000);
        }
        v
    }
}

/// The volume table.
pub fn table(store: &Store) -> Table<Volume> {
    store.table("ec2.volumes")
}

/// The modification table (the latest per volume).
pub fn modification_table(store: &Store) -> Table<Modification> {
    store.table("ec2.volume_modifications")
}

/// `InvalidVolume.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidVolumeNotFound { id: id.to_string() })
}

/// The AWS-managed `aws/ebs` key of an account and region: a key ARN with
/// a stable, UUID-shaped id.
pub fn default_kms_key(ctx: &RequestContext) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in format!("aws/ebs/{}/{}", ctx.account_id, ctx.region).bytes() {
        h = (h ^ b as u128).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let x = format!("{h:032x}");
    format!(
        "arn:aws:kms:{}:{}:key/{}-{}-{}-{}-{}",
        ctx.region,
        ctx.account_id,
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Size, performance and encryption of a volume to make.
#[derive(Clone, Debug, Default)]
pub struct VolumeSpec {
    /// GiB (`None`: the snapshot's size).
    pub size: Option<i64>,
    /// The type (`None`: gp2).
    pub volume_type: Option<String>,
    /// IOPS.
    pub iops: Option<i64>,
    /// Throughput (gp3).
    pub throughput: Option<i64>,
    /// Encrypted.
    pub encrypted: bool,
    /// KMS key (id, alias or ARN) when encrypted.
    pub kms_key_id: Option<String>,
    /// Multi-Attach (io1/io2).
    pub multi_attach: bool,
    /// `DeleteOnTermination` of an attachment made with it.
    pub delete_on_termination: bool,
}

fn too_large(size: i64, max: i64) -> AwsError {
    network::invalid_value(format!(
        "Volume of {size}GiB is too large; maximum is {max}GiB."
    ))
}

fn too_small(size: i64, min: i64) -> AwsError {
    network::invalid_value(format!(
        "Volume of {size}GiB is too small; minimum is {min}GiB."
    ))
}

fn combination(msg: impl Into<String>) -> AwsError {
    AwsError::from(Ec2Error::InvalidParameterCombination {
        message: msg.into(),
    })
}

/// Checks a type's size, IOPS and throughput bounds; returns the IOPS and
/// throughput to store (gp2's baseline 3 IOPS/GiB, 100–16000; gp3's 3000
/// and 125 by default).
pub fn check_bounds(
    vtype: &str,
    size: i64,
    iops: Option<i64>,
    throughput: Option<i64>,
    multi_attach: bool,
) -> Result<(Option<i64>, Option<i64>), AwsError> {
    let (min, max) = match vtype {
        "gp2" | "gp3" => (1, 16384),
        "io1" => (4, 16384),
        "io2" => (4, 65536),
        "st1" | "sc1" => (125, 16384),
        "standard" => (1, 1024),
        other => {
            return Err(network::invalid_value(format!(
                "Value ({other}) for parameter volumeType is invalid. Valid values are gp2, gp3, io1, io2, st1, sc1, standard."
            )))
        }
    };
    if size < min {
        return Err(too_small(size, min));
    }
    if size > max {
        return Err(too_large(size, max));
    }
    if multi_attach && !matches!(vtype, "io1" | "io2") {
        return Err(combination(format!(
            "The Multi-Attach feature is not supported for {vtype} volumes."
        )));
    }
    if throughput.is_some() && vtype != "gp3" {
        return Err(combination(format!(
            "The parameter throughput is not supported for {vtype} volumes."
        )));
    }
    let iops_range = |i: i64, lo: i64, hi: i64, ratio: i64| -> Result<(), AwsError> {
        if i < lo {
            return Err(network::invalid_value(format!(
                "Volume iops of {i} is too low; minimum is {lo}."
            )));
        }
        if i > hi {
            return Err(network::invalid_value(format!(
                "Volume iops of {i} is too high; maximum is {hi}."
            )));
        }
        if i > ratio * size && !(vtype == "gp3" && i <= 3000) {
            return Err(network::invalid_value(format!(
                "Iops to volume size ratio of {:.6} is too high; maximum is {:.6}",
                i as f64 / size as f64,
                ratio as f64
            )));
        }
        Ok(())
    };
    match vtype {
        "gp2" | "st1" | "sc1" | "standard" => {
            if iops.is_some() {
                return Err(combination(format!(
                    "The parameter iops is not supported for {vtype} volumes."
                )));
            }
            let baseline = match vtype {
                "gp2" => Some((size * 3).clamp(100, 16000)),
                _ => None,
            };
            Ok((baseline, None))
        }
        "gp3" => {
            let i = iops.unwrap_or(3000);
            iops_range(i, 3000, 16000, 500)?;
            let t = throughput.unwrap_or(125);
            if t < 125 {
                return Err(network::invalid_value(format!(
                    "Throughput of {t} MiB/s is too low; minimum is 125 MiB/s."
                )));
            }
            if t > 1000 {
                return Err(network::invalid_value(format!(
                    "Throughput of {t} MiB/s is too high; maximum is 1000 MiB/s."
                )));
            }
            if t as f64 / i as f64 > 0.25 {
                return Err(network::invalid_value(format!(
                    "Throughput (MiBps) to iops ratio of {:.6} is too high; maximum is 0.250000 MiBps per iops.",
                    t as f64 / i as f64
                )));
            }
            Ok((Some(i), Some(t)))
        }
        _ => {
            let i = iops.ok_or_else(|| network::missing("Iops"))?;
            let (hi, ratio) = if vtype == "io1" {
                (64000, 50)
            } else {
                (256000, 1000)
            };
            iops_range(i, 100, hi, ratio)?;
            Ok((Some(i), None))
        }
    }
}

/// A snapshot's size in GiB and encryption (own snapshots or the region's
/// catalogue ones), or `InvalidSnapshot.NotFound`.
fn snapshot_source(
    txn: &WriteTxn,
    svc: &Ec2Service,
    ctx: &RequestContext,
    id: &str,
) -> Result<(i64, bool, Option<String>), AwsError> {
    let s = crate::ebs::snapshots::find_in(svc, txn, ctx, id)?
        .ok_or_else(|| crate::ebs::snapshots::not_found(id))?;
    Ok((s.volume_size, s.encrypted, s.kms_key_id))
}

/// Builds a volume from a spec (checks bounds and the snapshot).
fn build(
    txn: &WriteTxn,
    svc: &Ec2Service,
    ctx: &RequestContext,
    zone: &gureum_core::region::Zone,
    spec: &VolumeSpec,
    snapshot_id: Option<&str>,
) -> Result<Volume, AwsError> {
    let vtype = spec.volume_type.clone().unwrap_or_else(|| "gp2".into());
    let (mut encrypted, mut kms) = (spec.encrypted, spec.kms_key_id.clone());
    if kms.is_some() && !encrypted {
        return Err(AwsError::from(Ec2Error::InvalidParameterDependency));
    }
    let size = match snapshot_id {
        Some(sid) => {
            let (snap_size, snap_enc, snap_kms) = snapshot_source(txn, svc, ctx, sid)?;
            if snap_enc {
                encrypted = true;
                kms = kms.or(snap_kms);
            }
            let size = spec.size.unwrap_or(snap_size);
            if size < snap_size {
                return Err(network::invalid_value(format!(
                    "Volume of {size}GiB is smaller than snapshot '{sid}', expect size >= {snap_size}GiB"
                )));
            }
            size
        }
        None => spec.size.ok_or_else(|| network::missing("Size"))?,
    };
    let (iops, throughput) =
        check_bounds(&vtype, size, spec.iops, spec.throughput, spec.multi_attach)?;
    let kms_key_id = if encrypted {
        Some(match kms {
            Some(k) if k.starts_with("arn:") => k,
            Some(k) if k.starts_with("alias/aws/ebs") => default_kms_key(ctx),
            Some(k) => format!("arn:aws:kms:{}:{}:key/{k}", ctx.region, ctx.account_id),
            None => default_kms_key(ctx),
        })
    } else {
        None
    };
    Ok(Volume {
        id: resource_id("vol"),
        az: zone.name.clone(),
        az_id: zone.zone_id.clone(),
        size,
        volume_type: vtype,
        iops,
        throughput,
        snapshot_id: snapshot_id.map(str::to_string),
        encrypted,
        kms_key_id,
        multi_attach: spec.multi_attach,
        create_ms: ctx.clock.now_millis(),
        attachments: Vec::new(),
        changed_bytes: if snapshot_id.is_some() { 0 } else { size * GIB },
    })
}

/// For RunInstances: writes a volume made from `snapshot_id` in `az`,
/// attached to `instance_id` at `device` (already `attached`, its creation
/// backdated by the transition so that it reads `in-use`); returns its id.
#[allow(clippy::too_many_arguments)]
pub fn create_root_volume(
    txn: &mut WriteTxn,
    svc: &Ec2Service,
    ctx: &RequestContext,
    az: &str,
    snapshot_id: &str,
    spec: &VolumeSpec,
    instance_id: &str,
    device: &str,
) -> Result<String, AwsError> {
    let zone = find_zone(ctx, az)?;
    let store = &svc.store;
    let mut v = build(txn, svc, ctx, &zone, spec, Some(snapshot_id))?;
    v.create_ms -= TRANSITION_MS;
    v.attachments.push(VolumeAttachment {
        instance_id: instance_id.to_string(),
        device: device.to_string(),
        attach_ms: v.create_ms,
        detach_ms: None,
        delete_on_termination: spec.delete_on_termination,
    });
    txn.put(&table(store), &key(ctx, &v.id), &v)?;
    Ok(v.id)
}

/// For instances: the ids and devices of the volumes attached to
/// `instance_id` (not yet detached).
pub fn volumes_of_instance(
    store: &Store,
    ctx: &RequestContext,
    instance_id: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    let now = ctx.clock.now_millis();
    let mut out = Vec::new();
    for (_, v) in table(store).scan_prefix(&prefix(ctx))? {
        for a in v.live_attachments(now) {
            if a.instance_id == instance_id {
                out.push((v.id.clone(), a.device.clone()));
            }
        }
    }
    Ok(out)
}

/// For a terminating instance: detaches its volumes at once and deletes
/// those marked `DeleteOnTermination`.
pub fn release_instance_volumes(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    instance_id: &str,
) -> Result<(), AwsError> {
    let t = table(store);
    for (k, mut v) in txn.scan_prefix(&t, &prefix(ctx))? {
        let before = v.attachments.len();
        let delete = v
            .attachments
            .iter()
            .any(|a| a.instance_id == instance_id && a.delete_on_termination);
        v.attachments.retain(|a| a.instance_id != instance_id);
        if delete {
            txn.delete(&t, &k)?;
            tags::delete_in(txn, store, ctx, &v.id)?;
        } else if v.attachments.len() != before {
            txn.put(&t, &k, &v)?;
        }
    }
    Ok(())
}

fn find_zone(ctx: &RequestContext, name: &str) -> Result<gureum_core::region::Zone, AwsError> {
    vpcs::zones(ctx)
        .into_iter()
        .find(|z| z.name == name || z.zone_id == name)
        .ok_or_else(|| {
            AwsError::from(Ec2Error::InvalidZoneNotFound {
                name: name.to_string(),
            })
        })
}

fn int(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

fn bool_member(input: &Value, name: &str) -> bool {
    input.get(name).and_then(Value::as_bool) == Some(true)
}

pub(crate) fn valid_device(d: &str) -> bool {
    let letter = |rest: &str| {
        let mut c = rest.chars();
        matches!((c.next(), c.next()), (Some('f'..='p'), None))
    };
    d.strip_prefix("/dev/sd").is_some_and(letter)
        || d.strip_prefix("/dev/xvd").is_some_and(letter)
        || d.strip_prefix("xvd").is_some_and(letter)
}

/// Reads a volume for a write.
pub(crate) fn load(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
) -> Result<(String, Volume), AwsError> {
    let k = key(ctx, id);
    let v = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
    Ok((k, v))
}

pub(crate) fn attachment_value(v: &Volume, a: &VolumeAttachment, state: &str) -> Value {
    json!({
        "AttachTime": a.attach_ms / 1000,
        "Device": a.device,
        "InstanceId": a.instance_id,
        "State": state,
        "VolumeId": v.id,
        "DeleteOnTermination": a.delete_on_termination,
    })
}

impl Ec2Service {
    /// `CreateVolume`.
    pub(crate) fn create_volume(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["OutpostArn", "VolumeInitializationRate", "Operator"],
        )?;
        dry_run(&input)?;
        let az = str_member(&input, "AvailabilityZone")
            .or_else(|| str_member(&input, "AvailabilityZoneId"))
            .ok_or_else(|| network::missing("AvailabilityZone"))?;
        let zone = find_zone(ctx, az)?;
        let spec = VolumeSpec {
            size: int(&input, "Size"),
            volume_type: str_member(&input, "VolumeType").map(str::to_string),
            iops: int(&input, "Iops"),
            throughput: int(&input, "Throughput"),
            encrypted: bool_member(&input, "Encrypted"),
            kms_key_id: str_member(&input, "KmsKeyId").map(str::to_string),
            multi_attach: bool_member(&input, "MultiAttachEnabled"),
            delete_on_termination: false,
        };
        let snapshot = str_member(&input, "SnapshotId").filter(|s| !s.is_empty());
        if spec.size.is_none() && snapshot.is_none() {
            return Err(network::missing("Size"));
        }
        let tags = network::spec_tags(&input, "volume")?;
        let store = &self.store;
        let v = store.write(|txn| {
            let v = build(txn, self, ctx, &zone, &spec, snapshot)?;
            txn.put(&table(store), &key(ctx, &v.id), &v)?;
            tags::put_in(txn, store, ctx, &v.id, &tags)?;
            Ok::<_, AwsError>(v)
        })?;
        Ok(v.to_value(ctx.clock.now_millis(), &tags))
    }

    /// `DescribeVolumes`: `VolumeIds`, filters, pagination.
    pub(crate) fn describe_volumes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "VolumeIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "volume-id",
                "volume-type",
                "status",
                "availability-zone",
                "size",
                "snapshot-id",
                "attachment.instance-id",
                "attachment.device",
                "attachment.status",
                "attachment.delete-on-termination",
                "encrypted",
                "multi-attach-enabled",
                "create-time",
            ],
        )?;
        let now = ctx.clock.now_millis();
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, v)| &v.id == id) {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for (_, v) in all {
            if !ids.is_empty() && !ids.contains(&v.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &v.id)?;
            let live: Vec<&VolumeAttachment> = v.live_attachments(now).collect();
            let keep = network::matches(&filters, &t, |f| match f {
                "volume-id" => vec![v.id.clone()],
                "volume-type" => vec![v.volume_type.clone()],
                "status" => vec![v.state(now).into()],
                "availability-zone" => vec![v.az.clone()],
                "size" => vec![v.size.to_string()],
                "snapshot-id" => v.snapshot_id.iter().cloned().collect(),
                "attachment.instance-id" => live.iter().map(|a| a.instance_id.clone()).collect(),
                "attachment.device" => live.iter().map(|a| a.device.clone()).collect(),
                "attachment.status" => live
                    .iter()
                    .filter_map(|a| a.state(now).map(str::to_string))
                    .collect(),
                "attachment.delete-on-termination" => live
                    .iter()
                    .map(|a| network::bool_text(a.delete_on_termination))
                    .collect(),
                "encrypted" => vec![network::bool_text(v.encrypted)],
                "multi-attach-enabled" => vec![network::bool_text(v.multi_attach)],
                _ => vec![],
            });
            if keep {
                items.push((v.id.clone(), v.to_value(now, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "Volumes": page }), next))
    }

    /// `DeleteVolume`: `VolumeInUse` while attached.
    pub(crate) fn delete_volume(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VolumeId")?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        store.write(|txn| {
            let (k, v) = load(txn, store, ctx, id)?;
            if let Some(a) = v.live_attachments(now).next() {
                return Err(AwsError::from(Ec2Error::VolumeInUse {
                    message: format!("Volume {id} is currently attached to {}", a.instance_id),
                }));
            }
            txn.delete(&table(store), &k)?;
            txn.delete(&modification_table(store), &k)?;
            tags::delete_in(txn, store, ctx, id)
        })?;
        Ok(json!({}))
    }

    /// `ModifyVolume`: grow only; type, IOPS, throughput, Multi-Attach.
    pub(crate) fn modify_volume(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VolumeId")?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        store.write(|txn| {
            let (k, mut v) = load(txn, store, ctx, id)?;
            let mt = modification_table(store);
            if let Some(m) = txn.get(&mt, &k)? {
                if m.state(now).0 != "completed" {
                    return Err(AwsError::from(Ec2Error::IncorrectModificationState {
                        id: id.to_string(),
                    }));
                }
            }
            let size = int(&input, "Size").unwrap_or(v.size);
            if size < v.size {
                return Err(network::invalid_value(
                    "New size cannot be smaller than existing size",
                ));
            }
            let vtype = str_member(&input, "VolumeType")
                .unwrap_or(&v.volume_type)
                .to_string();
            let type_changed = vtype != v.volume_type;
            let keeps_perf = |t: &str| {
                if type_changed {
                    None
                } else if t == "iops" {
                    if matches!(vtype.as_str(), "io1" | "io2" | "gp3") {
                        v.iops
                    } else {
                        None
                    }
                } else if vtype == "gp3" {
                    v.throughput
                } else {
                    None
                }
            };
            let iops = int(&input, "Iops").or_else(|| keeps_perf("iops"));
            let iops = if vtype.starts_with("io") && iops.is_none() {
                v.iops
            } else {
                iops
            };
            let throughput = int(&input, "Throughput").or_else(|| keeps_perf("throughput"));
            let multi = input
                .get("MultiAttachEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(v.multi_attach);
            let (iops, throughput) = check_bounds(&vtype, size, iops, throughput, multi)?;
            let m = Modification {
                volume_id: id.to_string(),
                start_ms: now,
                original: (
                    v.size,
                    v.volume_type.clone(),
                    v.iops,
                    v.throughput,
                    v.multi_attach,
                ),
                target: (size, vtype.clone(), iops, throughput, multi),
            };
            v.changed_bytes += (size - v.size) * GIB;
            v.size = size;
            v.volume_type = vtype;
            v.iops = iops;
            v.throughput = throughput;
            v.multi_attach = multi;
            txn.put(&table(store), &k, &v)?;
            txn.put(&mt, &k, &m)?;
            Ok::<_, AwsError>(json!({ "VolumeModification": m.to_value(now) }))
        })
    }

    /// `DescribeVolumesModifications`: the latest modification per volume.
    pub(crate) fn describe_volumes_modifications(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ids = network::strings(&input, "VolumeIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "volume-id",
                "modification-state",
                "target-size",
                "target-volume-type",
                "target-iops",
                "original-size",
                "original-volume-type",
                "original-iops",
                "start-time",
            ],
        )?;
        let now = ctx.clock.now_millis();
        let vols = table(&self.store);
        for id in &ids {
            if !vols.contains(&key(ctx, id))? {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for (_, m) in modification_table(&self.store).scan_prefix(&prefix(ctx))? {
            if !ids.is_empty() && !ids.contains(&m.volume_id) {
                continue;
            }
            let v = m.to_value(now);
            let keep = network::matches(&filters, &Default::default(), |f| {
                let member = match f {
                    "volume-id" => "VolumeId",
                    "modification-state" => "ModificationState",
                    "target-size" => "TargetSize",
                    "target-volume-type" => "TargetVolumeType",
                    "target-iops" => "TargetIops",
                    "original-size" => "OriginalSize",
                    "original-volume-type" => "OriginalVolumeType",
                    "original-iops" => "OriginalIops",
                    _ => return vec![],
                };
                match &v[member] {
                    Value::String(s) => vec![s.clone()],
                    Value::Null => vec![],
                    other => vec![other.to_string()],
                }
            });
            if keep {
                items.push((m.volume_id.clone(), v));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "VolumesModifications": page }),
            next,
        ))
    }
}

#[cfg(test)]
#[path = "volumes_tests.rs"]
mod tests;
