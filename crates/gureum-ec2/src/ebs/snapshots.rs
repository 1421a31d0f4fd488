//! EBS snapshots: `CreateSnapshot`, `DescribeSnapshots`, `DeleteSnapshot`,
//! `CopySnapshot` (volumes from snapshots are in [`crate::ebs::volumes`]).
//!
//! A snapshot is `pending` for [`TRANSITION_MS`] after it is taken, then
//! `completed` with progress `100%`. The region's catalogue AMIs each have
//! a root snapshot, listed here as public snapshots with owner alias
//! `amazon` (and their image's owner id); they cannot be deleted
//! (`InvalidSnapshot.InUse`, as their AMI uses them).
//!
//! Incremental size: `FullSnapshotSizeInBytes` of a snapshot is what
//! changed on its volume since the volume's previous snapshot, from the
//! volume's changed-bytes counter (see [`crate::ebs::volumes`]): the first
//! snapshot of a new volume counts its whole size, later ones only what
//! was written (attachments) or added (growth) since; taking a snapshot
//! resets the counter.
//!
//! [`find_in`] looks a snapshot up (own or catalogue) for other modules.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::ebs::volumes::{self, GIB, TRANSITION_MS};
use crate::{common::filter, common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::timestamp::parse_iso8601;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored (or catalogue) snapshot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// `snap-…`.
    pub id: String,
    /// The volume it was taken of (`vol-ffffffff` for copies and AMIs).
    pub volume_id: String,
    /// GiB.
    pub volume_size: i64,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Owner account.
    pub owner_id: String,
    /// `amazon` for catalogue snapshots.
    #[serde(default)]
    pub owner_alias: Option<String>,
    /// Taken at (ms).
    pub start_ms: i64,
    /// Encrypted.
    pub encrypted: bool,
    /// KMS key ARN.
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// Bytes this snapshot stores (changed blocks).
    pub full_size_bytes: i64,
    /// The AMI that uses it (catalogue snapshots).
    #[serde(default)]
    pub image_id: Option<String>,
}

impl Snapshot {
    /// `pending` or `completed`.
    pub fn state(&self, now: i64) -> &'static str {
        if now - self.start_ms < TRANSITION_MS {
            "pending"
        } else {
            "completed"
        }
    }

    /// The model's `Snapshot`.
    pub fn to_value(&self, now: i64, tags: &tags::Tags) -> Value {
        let state = self.state(now);
        let mut v = json!({
            "SnapshotId": self.id,
            "VolumeId": self.volume_id,
            "VolumeSize": self.volume_size,
            "Description": self.description,
            "OwnerId": self.owner_id,
            "StartTime": self.start_ms / 1000,
            "State": state,
            "Progress": if state == "completed" { "100%" } else { "0%" },
            "Encrypted": self.encrypted,
            "StorageTier": "standard",
            "FullSnapshotSizeInBytes": self.full_size_bytes,
            "Tags": network::tag_list(tags),
        });
        if state == "completed" {
            v["CompletionTime"] = json!((self.start_ms + TRANSITION_MS) / 1000);
        }
        if let Some(a) = &self.owner_alias {
            v["OwnerAlias"] = json!(a);
        }
        if let Some(k) = &self.kms_key_id {
            v["KmsKeyId"] = json!(k);
        }
        v
    }
}

/// The snapshot table.
pub fn table(store: &Store) -> Table<Snapshot> {
    store.table("ec2.snapshots")
}

/// `InvalidSnapshot.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidSnapshotNotFound { id: id.to_string() })
}

/// The root snapshots of `region`'s catalogue AMIs.
pub fn catalogue_snapshots(region: &str) -> Vec<Snapshot> {
    crate::common::catalog_images::catalogue_images(region)
        .iter()
        .filter_map(|img| {
            let ebs = img.pointer("/BlockDeviceMappings/0/Ebs")?;
            Some(Snapshot {
                id: ebs.get("SnapshotId")?.as_str()?.to_string(),
                volume_id: "vol-ffffffff".into(),
                volume_size: ebs.get("VolumeSize")?.as_i64()?,
                description: format!(
                    "Created by CreateImage for {} ({})",
                    img["ImageId"].as_str().unwrap_or_default(),
                    img["Name"].as_str().unwrap_or_default()
                ),
                owner_id: img["OwnerId"].as_str().unwrap_or_default().to_string(),
                owner_alias: Some("amazon".into()),
                start_ms: img["CreationDate"]
                    .as_str()
                    .and_then(parse_iso8601)
                    .unwrap_or(0),
                encrypted: false,
                kms_key_id: None,
                full_size_bytes: ebs.get("VolumeSize")?.as_i64()? * GIB,
                image_id: img["ImageId"].as_str().map(str::to_string),
            })
        })
        .collect()
}

/// Snapshots that images share: the owner's snapshot behind an image
/// shared with the caller. Images own the sharing and implement this for
/// the service, so EBS does not read images.
pub trait SharedSnapshots {
    /// The snapshot `id` the caller may use through an image shared with
    /// it, if any.
    fn shared_snapshot(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Option<Snapshot>, AwsError>;
}

/// A snapshot the caller can use (own, in its region, the region's
/// catalogue, or one behind an image shared with it), inside a
/// transaction.
pub fn find_in(
    svc: &Ec2Service,
    txn: &WriteTxn,
    ctx: &RequestContext,
    id: &str,
) -> Result<Option<Snapshot>, AwsError> {
    let store = &svc.store;
    if let Some(s) = txn.get(&table(store), &key(ctx, id))? {
        return Ok(Some(s));
    }
    if let Some(s) = catalogue_snapshots(&ctx.region)
        .into_iter()
        .find(|s| s.id == id)
    {
        return Ok(Some(s));
    }
    // The owner's snapshot behind an image shared with the caller.
    svc.shared_snapshot(txn, ctx, id)
}

impl Ec2Service {
    /// `CreateSnapshot`: of a volume; counts its changed blocks.
    pub(crate) fn create_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "Location", "regional")?;
        dry_run(&input)?;
        let vol_id = required(&input, "VolumeId")?;
        let tags = network::spec_tags(&input, "snapshot")?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let s = store.write(|txn| {
            let vk = key(ctx, vol_id);
            let mut v = txn
                .get(&volumes::table(store), &vk)?
                .ok_or_else(|| volumes::not_found(vol_id))?;
            if v.state(now) == "creating" {
                return Err(AwsError::from(Ec2Error::IncorrectState {
                    message: format!(
                        "The volume '{vol_id}' is not in a valid state for this operation."
                    ),
                }));
            }
            let s = Snapshot {
                id: resource_id("snap"),
                volume_id: vol_id.to_string(),
                volume_size: v.size,
                description: str_member(&input, "Description")
                    .unwrap_or_default()
                    .to_string(),
                owner_id: ctx.account_id.clone(),
                owner_alias: None,
                start_ms: now,
                encrypted: v.encrypted,
                kms_key_id: v.kms_key_id.clone(),
                full_size_bytes: v.changed_bytes,
                image_id: None,
            };
            v.changed_bytes = 0;
            txn.put(&volumes::table(store), &vk, &v)?;
            txn.put(&table(store), &key(ctx, &s.id), &s)?;
            tags::put_in(txn, store, ctx, &s.id, &tags)?;
            Ok::<_, AwsError>(s)
        })?;
        Ok(s.to_value(now, &tags))
    }

    /// `DescribeSnapshots`: `OwnerIds` (`self`, `amazon`, account ids),
    /// `SnapshotIds`, filters, pagination.
    pub(crate) fn describe_snapshots(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["RestorableByUserIds"])?;
        let ids = network::strings(&input, "SnapshotIds");
        let owners = network::strings(&input, "OwnerIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "snapshot-id",
                "volume-id",
                "volume-size",
                "status",
                "owner-id",
                "owner-alias",
                "description",
                "encrypted",
                "progress",
                "start-time",
                "storage-tier",
            ],
        )?;
        let now = ctx.clock.now_millis();
        let mut all: Vec<Snapshot> = table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        all.extend(catalogue_snapshots(&ctx.region));
        for id in &ids {
            if !all.iter().any(|s| &s.id == id) {
                return Err(not_found(id));
            }
        }
        let owned_by = |s: &Snapshot, o: &str| match o {
            "self" => s.owner_id == ctx.account_id && s.owner_alias.is_none(),
            "amazon" => s.owner_alias.as_deref() == Some("amazon"),
            other => s.owner_id == other,
        };
        let mut items = Vec::new();
        for s in all {
            if !ids.is_empty() && !ids.contains(&s.id) {
                continue;
            }
            if !owners.is_empty() && !owners.iter().any(|o| owned_by(&s, o)) {
                continue;
            }
            let t = if s.owner_alias.is_none() {
                tags::get(&self.store, ctx, &s.id)?
            } else {
                tags::Tags::new()
            };
            let keep = network::matches(&filters, &t, |f| match f {
                "snapshot-id" => vec![s.id.clone()],
                "volume-id" => vec![s.volume_id.clone()],
                "volume-size" => vec![s.volume_size.to_string()],
                "status" => vec![s.state(now).into()],
                "owner-id" => vec![s.owner_id.clone()],
                "owner-alias" => s.owner_alias.iter().cloned().collect(),
                "description" => vec![s.description.clone()],
                "encrypted" => vec![network::bool_text(s.encrypted)],
                "progress" => vec![if s.state(now) == "completed" {
                    "100%".into()
                } else {
                    "0%".into()
                }],
                "storage-tier" => vec!["standard".into()],
                _ => vec![],
            });
            if keep {
                items.push((s.id.clone(), s.to_value(now, &t)));
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "Snapshots": page }), next))
    }

    /// `CopySnapshot`: `SourceRegion` + `SourceSnapshotId` → a new snapshot
    /// in the caller's region (a full copy).
    pub(crate) fn copy_snapshot(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "DestinationOutpostArn",
                "CompletionDurationMinutes",
                "DestinationAvailabilityZone",
            ],
        )?;
        dry_run(&input)?;
        let src_region = required(&input, "SourceRegion")?;
        let src_id = required(&input, "SourceSnapshotId")?;
        if gureum_core::region::find(src_region).is_none() {
            return Err(network::invalid_value(format!(
                "Value ({src_region}) for parameter sourceRegion is invalid."
            )));
        }
        let tags = network::spec_tags(&input, "snapshot")?;
        let now = ctx.clock.now_millis();
        let encrypt = input.get("Encrypted").and_then(Value::as_bool) == Some(true);
        let kms = str_member(&input, "KmsKeyId");
        if kms.is_some() && !encrypt {
            return Err(AwsError::from(Ec2Error::InvalidParameterDependency));
        }
        let store = &self.store;
        let s = store.write(|txn| {
            let src_key = format!("{}/{src_region}/{src_id}", ctx.account_id);
            let src = match txn.get(&table(store), &src_key)? {
                Some(s) => s,
                None => catalogue_snapshots(src_region)
                    .into_iter()
                    .find(|s| s.id == src_id)
                    .ok_or_else(|| not_found(src_id))?,
            };
            if src.state(now) != "completed" {
                return Err(AwsError::from(Ec2Error::IncorrectState {
                    message: format!("Snapshot {src_id} is not in a completed state."),
                }));
            }
            let encrypted = src.encrypted || encrypt;
            let kms_key_id = if encrypted {
                Some(match kms {
                    Some(k) if k.starts_with("arn:") => k.to_string(),
                    Some(k) if !k.starts_with("alias/aws/ebs") => {
                        format!("arn:aws:kms:{}:{}:key/{k}", ctx.region, ctx.account_id)
                    }
                    _ => volumes::default_kms_key(ctx),
                })
            } else {
                None
            };
            let s = Snapshot {
                id: resource_id("snap"),
                volume_id: "vol-ffffffff".into(),
                volume_size: src.volume_size,
                description: str_member(&input, "Description")
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        format!("[Copied {src_id} from {src_region}] {}", src.description)
                    }),
                owner_id: ctx.account_id.clone(),
                owner_alias: None,
                start_ms: now,
                encrypted,
                kms_key_id,
                full_size_bytes: src.volume_size * GIB,
                image_id: None,
            };
            txn.put(&table(store), &key(ctx, &s.id), &s)?;
            tags::put_in(txn, store, ctx, &s.id, &tags)?;
            Ok::<_, AwsError>(s)
        })?;
        Ok(json!({ "SnapshotId": s.id, "Tags": network::tag_list(&tags) }))
    }
}
