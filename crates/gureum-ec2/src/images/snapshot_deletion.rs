//! `DeleteSnapshot`: refused while a catalogue image or one of the
//! caller's registered AMIs uses the snapshot, so the check needs images
//! and the operation lives in the images family.

use crate::common::errors::Ec2Error;
use crate::common::network::{dry_run, key, prefix, required};
use crate::{common::tags, Ec2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

use crate::ebs::snapshots::{catalogue_snapshots, not_found, table};

impl Ec2Service {
    /// `DeleteSnapshot`: `InvalidSnapshot.InUse` for an AMI's snapshot
    /// (a catalogue image's, or one of the caller's registered images).
    pub(crate) fn delete_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "SnapshotId")?;
        if let Some(s) = catalogue_snapshots(&ctx.region)
            .into_iter()
            .find(|s| s.id == id)
        {
            return Err(AwsError::from(Ec2Error::InvalidSnapshotInUse {
                message: format!(
                    "The snapshot {id} is currently in use by {}",
                    s.image_id.unwrap_or_default()
                ),
            }));
        }
        let store = &self.store;
        store.write(|txn| {
            // A registered image of the caller's still needs it.
            let user = txn
                .scan_prefix(&crate::images::amis::table(store), &prefix(ctx))?
                .into_iter()
                .find(|(_, i)| {
                    !i.deregistered
                        && i.devices
                            .iter()
                            .any(|d| d.snapshot_id.as_deref() == Some(id))
                });
            if let Some((_, img)) = user {
                return Err(AwsError::from(Ec2Error::InvalidSnapshotInUse {
                    message: format!("The snapshot {id} is currently in use by {}", img.id),
                }));
            }
            if !txn.delete(&table(store), &key(ctx, id))? {
                return Err(not_found(id));
            }
            tags::delete_in(txn, store, ctx, id)
        })?;
        Ok(json!({}))
    }
}
