//! `CreateImage`: an image of an instance, with a snapshot of each of its
//! EBS volumes. It joins an instance (compute) with images and EBS below,
//! so it lives in compute.

use crate::common::errors::Ec2Error;
use crate::common::network::{dry_run, key, required};
use crate::ebs::snapshots::{self, Snapshot};
use crate::ebs::volumes::{self};
use crate::images::ami_ops::{
    apply_mappings, check_name, check_unique, description, new_snapshot, put_snapshot, spec_tags,
};
use crate::images::amis::{self, Image, ImageDevice};
use crate::{common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

impl Ec2Service {
    /// `CreateImage`: an image of a running or stopped instance, with a new
    /// snapshot of each attached EBS volume.
    pub(crate) fn create_image(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "SnapshotLocation", "regional")?;
        let instance_id = required(&input, "InstanceId")?.to_string();
        crate::compute::instances::check_ids(std::slice::from_ref(&instance_id))?;
        let name = required(&input, "Name")?.to_string();
        check_name(&name)?;
        let desc = description(&input)?;
        let (image_tags, snap_tags) = spec_tags(&input)?;
        let now = ctx.clock.now_millis();
        let inst = {
            let mut l = self.instances.lock(&self.store, ctx)?;
            let mut i = l
                .region()
                .instances
                .get(&instance_id)
                .map(|e| e.0.clone())
                .ok_or_else(|| crate::compute::instances::not_found(&[&instance_id]))?;
            i.settle(now);
            if i.gone(now) {
                return Err(crate::compute::instances::not_found(&[&instance_id]));
            }
            i
        };
        if !matches!(inst.state.as_str(), "running" | "stopped") {
            return Err(AwsError::from(Ec2Error::IncorrectInstanceState { message: format!(
                    "Instance '{instance_id}' is not in a state from which an image can be created (state: {}).",
                    inst.state
                ) }));
        }
        dry_run(&input)?;
        let store = &self.store;
        let image_id = resource_id("ami");
        let snap_desc = format!("Created by CreateImage({instance_id}) for {image_id}");
        let attached = volumes::volumes_of_instance(store, ctx, &instance_id)?;
        store.write(|txn| {
            check_unique(txn, store, ctx, &name)?;
            // The instance's devices, then volumes attached later
            // (AttachVolume); a real volume gets a snapshot, a mapping
            // without one (recorded only) stays empty.
            let mut sources: Vec<(String, String, bool)> = inst
                .block_devices
                .iter()
                .filter(|b| b.status(now).is_some())
                .map(|b| {
                    (
                        b.device_name.clone(),
                        b.volume_id.clone(),
                        b.delete_on_termination,
                    )
                })
                .collect();
            for (vol_id, device) in &attached {
                if !sources.iter().any(|(d, _, _)| d == device) {
                    sources.push((device.clone(), vol_id.clone(), false));
                }
            }
            let mut devices = Vec::new();
            let mut made: Vec<(Snapshot, volumes::Volume)> = Vec::new();
            for (device, vol_id, dot) in sources {
                let vol = txn.get(&volumes::table(store), &key(ctx, &vol_id))?;
                let fallback = inst.block_devices.iter().find(|b| b.device_name == device);
                let mut d = ImageDevice {
                    device_name: device,
                    snapshot_id: None,
                    size: fallback.map(|b| b.size),
                    volume_type: fallback.map(|b| b.volume_type.clone()),
                    delete_on_termination: dot,
                    encrypted: false,
                    iops: None,
                    throughput: None,
                    virtual_name: None,
                };
                if let Some(v) = vol {
                    let mut s = new_snapshot(ctx, now, v.size, snap_desc.clone());
                    s.volume_id = v.id.clone();
                    s.encrypted = v.encrypted;
                    s.kms_key_id = v.kms_key_id.clone();
                    s.full_size_bytes = v.changed_bytes;
                    s.image_id = Some(image_id.clone());
                    d.snapshot_id = Some(s.id.clone());
                    d.size = Some(v.size);
                    d.volume_type = Some(v.volume_type.clone());
                    d.encrypted = v.encrypted;
                    d.iops = v.iops;
                    d.throughput = v.throughput;
                    made.push((s, v));
                }
                devices.push(d);
            }
            let mut known: Vec<Snapshot> = made.iter().map(|(s, _)| s.clone()).collect();
            apply_mappings(&mut devices, &input, &mut |sid| {
                if let Some(s) = known.iter().find(|s| s.id == sid) {
                    return Ok(s.clone());
                }
                let s = snapshots::find_in(self, txn, ctx, sid)?
                    .ok_or_else(|| snapshots::not_found(sid))?;
                known.push(s.clone());
                Ok(s)
            })?;
            // Only the devices the image keeps (`NoDevice` drops some) are
            // snapshotted; taking one resets the volume's changed bytes.
            for (s, mut v) in made {
                if devices
                    .iter()
                    .any(|d| d.snapshot_id.as_ref() == Some(&s.id))
                {
                    put_snapshot(txn, store, ctx, &s, &snap_tags)?;
                    v.changed_bytes = 0;
                    txn.put(&volumes::table(store), &key(ctx, &v.id), &v)?;
                }
            }
            let src = crate::common::catalog_images::catalogue_images(&ctx.region)
                .into_iter()
                .find(|v| v["ImageId"] == inst.image_id.as_str());
            let img = Image {
                id: image_id.clone(),
                name: name.clone(),
                description: desc.clone(),
                owner_id: ctx.account_id.clone(),
                architecture: inst.architecture.clone(),
                platform: inst.platform.clone(),
                platform_details: inst.platform_details.clone(),
                usage_operation: src
                    .as_ref()
                    .and_then(|v| v["UsageOperation"].as_str())
                    .unwrap_or("RunInstances")
                    .to_string(),
                root_device_name: inst.root_device_name.clone(),
                virtualization_type: "hvm".into(),
                ena_support: true,
                sriov_net_support: Some("simple".into()),
                boot_mode: src
                    .as_ref()
                    .and_then(|v| v["BootMode"].as_str())
                    .map(str::to_string),
                imds_support: None,
                devices,
                create_ms: now,
                deregistered: false,
                public: false,
                launch_users: vec![],
                source_instance_id: Some(instance_id.clone()),
                source_image: None,
            };
            txn.put(&amis::table(store), &key(ctx, &img.id), &img)?;
            tags::put_in(txn, store, ctx, &img.id, &image_tags)
        })?;
        // Where the instance really runs, its root file system's changes
        // become the image's contents.
        self.seams.host.capture_image(&instance_id, &image_id);
        Ok(json!({ "ImageId": image_id }))
    }
}
