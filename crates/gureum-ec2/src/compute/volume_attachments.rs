//! `AttachVolume` and `DetachVolume`: a volume (EBS) and an instance
//! (compute) change in one transaction, so the operations live in compute.
//! The instance is read in the transaction that writes the attachment: it
//! must be `running` or `stopped` and in the volume's AZ, and it lists the
//! volume in its block devices (`attaching`, `attached`, then `detaching`)
//! in the same write.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::compute::instances::{self, BlockDevice};
use crate::ebs::volumes::{attachment_value, load, table, valid_device, VolumeAttachment, GIB};
use crate::Ec2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Value};

impl Ec2Service {
    /// `AttachVolume`: same AZ, a free `/dev/sd[f-p]` or `/dev/xvd[f-p]`
    /// device, one instance unless Multi-Attach.
    pub(crate) fn attach_volume(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "EbsCardIndex", "0")?;
        dry_run(&input)?;
        let id = required(&input, "VolumeId")?;
        let instance_id = required(&input, "InstanceId")?;
        let device = required(&input, "Device")?;
        if !valid_device(device) {
            return Err(network::invalid_value(format!(
                "Value ({device}) for parameter device is invalid. {device} is not a valid EBS device name."
            )));
        }
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let mut locked = self.instances.lock(store, ctx)?;
        let (out, instance) = store.write(|txn| {
            let (k, mut v) = load(txn, store, ctx, id)?;
            // The instance is read and written in this transaction, so a
            // concurrent TerminateInstances is wholly before or after.
            let mut instance = instances::load_in(txn, store, ctx, instance_id, now)?;
            if !matches!(instance.state.as_str(), "running" | "stopped") {
                return Err(AwsError::from(Ec2Error::IncorrectState { message: format!("Instance '{instance_id}' is not 'running'.") }));
            }
            if v.state(now) == "creating" {
                return Err(AwsError::from(Ec2Error::IncorrectState { message: format!("The volume '{id}' is not 'available'.") }));
            }
            if instance.az != v.az {
                return Err(AwsError::from(Ec2Error::InvalidVolumeZoneMismatch { id: id.to_string(), instance_id: instance_id.to_string() }));
            }
            let live: Vec<VolumeAttachment> = v.live_attachments(now).cloned().collect();
            if let Some(a) = live.iter().find(|a| a.instance_id == instance_id) {
                return Err(AwsError::from(Ec2Error::VolumeInUse { message: format!("{id} is already attached to an instance at {}", a.device) }));
            }
            if !live.is_empty() && !v.multi_attach {
                return Err(AwsError::from(Ec2Error::VolumeInUse { message: format!("{id} is already attached to an instance") }));
            }
            for (_, other) in txn.scan_prefix(&table(store), &prefix(ctx))? {
                if other
                    .live_attachments(now)
                    .any(|a| a.instance_id == instance_id && a.device == device)
                {
                    return Err(network::invalid_value(format!(
                        "Invalid value '{device}' for unixDevice. Attachment point {device} is already in use"
                    )));
                }
            }
            v.attachments.retain(|a| a.state(now).is_some());
            let a = VolumeAttachment {
                instance_id: instance_id.to_string(),
                device: device.to_string(),
                attach_ms: now,
                detach_ms: None,
                delete_on_termination: false,
            };
            v.changed_bytes = (v.changed_bytes + GIB).min(v.size * GIB);
            v.attachments.push(a.clone());
            txn.put(&table(store), &k, &v)?;
            // The instance lists the volume in its BlockDeviceMappings.
            instance
                .block_devices
                .retain(|b| b.status(now).is_some() && b.device_name != device);
            instance.block_devices.push(BlockDevice {
                device_name: device.to_string(),
                volume_id: v.id.clone(),
                delete_on_termination: false,
                attach_time: now / 1000,
                size: v.size,
                volume_type: v.volume_type.clone(),
                snapshot_id: v.snapshot_id.clone(),
                attach_ms: Some(now),
                detach_ms: None,
            });
            txn.put(&instances::table(store), &key(ctx, instance_id), &instance)?;
            Ok::<_, AwsError>((attachment_value(&v, &a, "attaching"), instance))
        })?;
        self.save_instances(ctx, &mut locked, vec![instance]);
        Ok(out)
    }

    /// `DetachVolume`: attached → detaching → detached.
    pub(crate) fn detach_volume(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "VolumeId")?;
        let instance_id = str_member(&input, "InstanceId");
        let device = str_member(&input, "Device");
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let mut locked = self.instances.lock(store, ctx)?;
        let (out, changed) = store.write(|txn| {
            let (k, mut v) = load(txn, store, ctx, id)?;
            let pos = v.attachments.iter().position(|a| {
                a.detach_ms.is_none()
                    && instance_id.is_none_or(|i| i == a.instance_id)
                    && device.is_none_or(|d| d == a.device)
            });
            let Some(pos) = pos else {
                return Err(AwsError::from(Ec2Error::IncorrectState {
                    message: format!("Volume '{id}' is in the 'available' state."),
                }));
            };
            v.attachments[pos].detach_ms = Some(now);
            let out = attachment_value(&v, &v.attachments[pos], "detaching");
            txn.put(&table(store), &k, &v)?;
            // The instance's mapping goes through `detaching` with it.
            let ik = key(ctx, &v.attachments[pos].instance_id);
            let mut changed = Vec::new();
            if let Some(mut i) = txn.get(&instances::table(store), &ik)? {
                let mut hit = false;
                for b in i.block_devices.iter_mut() {
                    if b.volume_id == v.id && b.detach_ms.is_none() {
                        b.detach_ms = Some(now);
                        hit = true;
                    }
                }
                if hit {
                    txn.put(&instances::table(store), &ik, &i)?;
                    changed.push(i);
                }
            }
            Ok::<_, AwsError>((out, changed))
        })?;
        self.save_instances(ctx, &mut locked, changed);
        Ok(out)
    }
}
