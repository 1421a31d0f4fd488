//! The account's own AMIs: the stored image, its lifecycle and who may see
//! it. The operations are in [`crate::images::ami_ops`] (`CreateImage`,
//! `RegisterImage`, `DeregisterImage`, `CopyImage`) and
//! [`crate::images::ami_attributes`] (`DescribeImageAttribute`,
//! `ModifyImageAttribute`, `ResetImageAttribute`); `DescribeImages` merges
//! them with the public catalogue ([`crate::images::public`]).
//!
//! Table `ec2.images`, key `{owner}/{region}/{ami-id}`. An image is
//! `pending` for [`TRANSITION_MS`] after it is made, then `available`
//! (evaluated lazily on Gureum's clock, like snapshots). A deregistered
//! image stays as a tombstone so that later uses answer
//! `InvalidAMIID.Unavailable` rather than `NotFound`; it is never listed.
//!
//! Sharing: an image is visible to its owner, to everyone when public
//! (launch permission group `all`), and to the accounts in its launch
//! permissions. Another account that launches a shared image gets its root
//! volume from the owner's snapshot ([`shared_snapshot`]).

use crate::common::errors::Ec2Error;
use crate::common::network;
use crate::common::tags;
use crate::ebs::snapshots::{self, Snapshot};
use crate::ebs::volumes::TRANSITION_MS;
use gureum_core::{AwsError, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// One block device mapping of an image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImageDevice {
    /// `/dev/xvda`.
    pub device_name: String,
    /// The EBS snapshot (`None`: an empty volume of `size`, or ephemeral).
    pub snapshot_id: Option<String>,
    /// GiB (EBS devices).
    pub size: Option<i64>,
    /// Volume type (EBS devices).
    pub volume_type: Option<String>,
    /// `DeleteOnTermination`.
    pub delete_on_termination: bool,
    /// Encrypted.
    pub encrypted: bool,
    /// IOPS (io1/io2/gp3).
    pub iops: Option<i64>,
    /// Throughput (gp3).
    pub throughput: Option<i64>,
    /// `ephemeral0`… for instance-store devices.
    pub virtual_name: Option<String>,
}

/// A stored image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    /// `ami-…`.
    pub id: String,
    /// Unique per owner and region.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// The owner account.
    pub owner_id: String,
    /// `x86_64` | `arm64` | `i386` | …
    pub architecture: String,
    /// `windows` for Windows images.
    pub platform: Option<String>,
    /// `Linux/UNIX`, `Windows`, …
    pub platform_details: String,
    /// `RunInstances`, `RunInstances:0002`, …
    pub usage_operation: String,
    /// The root device.
    pub root_device_name: String,
    /// `hvm` | `paravirtual`.
    pub virtualization_type: String,
    /// ENA support.
    pub ena_support: bool,
    /// `simple` when set.
    pub sriov_net_support: Option<String>,
    /// Boot mode.
    pub boot_mode: Option<String>,
    /// `v2.0` when set.
    pub imds_support: Option<String>,
    /// Block device mappings.
    pub devices: Vec<ImageDevice>,
    /// Made at (ms of Gureum's clock).
    pub create_ms: i64,
    /// Deregistered (a tombstone).
    #[serde(default)]
    pub deregistered: bool,
    /// Launch permission group `all`.
    pub public: bool,
    /// Accounts with launch permission.
    pub launch_users: Vec<String>,
    /// `CreateImage`'s instance.
    pub source_instance_id: Option<String>,
    /// `CopyImage`'s source image and region.
    pub source_image: Option<(String, String)>,
}

/// The image table.
pub fn table(store: &Store) -> Table<Image> {
    store.table("ec2.images")
}

/// `InvalidAMIID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidAMIIdNotFound {
        message: format!("The image id '[{id}]' does not exist"),
    })
}

/// `InvalidAMIID.Unavailable` (deregistered).
pub fn unavailable(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidAMIIdUnavailable {
        message: format!("The image id '[{id}]' is no longer available"),
    })
}

/// `InvalidAMIID.Malformed` unless `id` is `ami-` and 8 or 17 hex digits.
pub fn check_id(id: &str) -> Result<(), AwsError> {
    let ok = id.strip_prefix("ami-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(AwsError::from(Ec2Error::InvalidAMIIdMalformed {
            message: format!("Invalid id: \"{id}\" (expecting \"ami-...\")"),
        }))
    }
}

impl Image {
    /// `pending`, `available` or `deregistered` at `now`.
    pub fn state(&self, now: i64) -> &'static str {
        if self.deregistered {
            "deregistered"
        } else if now - self.create_ms < TRANSITION_MS {
            "pending"
        } else {
            "available"
        }
    }

    /// Whether `account` may see and launch it.
    pub fn launchable_by(&self, account: &str) -> bool {
        self.public || self.owner_id == account || self.launch_users.iter().any(|u| u == account)
    }

    /// The model's `BlockDeviceMappings`.
    pub fn mappings_value(&self) -> Value {
        Value::Array(self.devices.iter().map(device_value).collect())
    }

    /// The model's `Image`.
    pub fn to_value(&self, now: i64, tags: &tags::Tags) -> Value {
        let mut v = json!({
            "ImageId": self.id,
            "ImageLocation": format!("{}/{}", self.owner_id, self.name),
            "State": self.state(now),
            "OwnerId": self.owner_id,
            "CreationDate": gureum_core::timestamp::format_iso8601(self.create_ms),
            "Public": self.public,
            "Architecture": self.architecture,
            "ImageType": "machine",
            "Name": self.name,
            "PlatformDetails": self.platform_details,
            "UsageOperation": self.usage_operation,
            "EnaSupport": self.ena_support,
            "Hypervisor": "xen",
            "RootDeviceName": self.root_device_name,
            "RootDeviceType": "ebs",
            "VirtualizationType": self.virtualization_type,
            "BlockDeviceMappings": self.mappings_value(),
            "Tags": network::tag_list(tags),
        });
        let optional = [
            ("Description", &self.description),
            ("Platform", &self.platform),
            ("SriovNetSupport", &self.sriov_net_support),
            ("BootMode", &self.boot_mode),
            ("ImdsSupport", &self.imds_support),
            ("SourceInstanceId", &self.source_instance_id),
        ];
        for (name, value) in optional {
            if let Some(x) = value {
                v[name] = json!(x);
            }
        }
        if let Some((id, region)) = &self.source_image {
            v["SourceImageId"] = json!(id);
            v["SourceImageRegion"] = json!(region);
        }
        v
    }
}

fn device_value(d: &ImageDevice) -> Value {
    let mut v = json!({ "DeviceName": d.device_name });
    if let Some(name) = &d.virtual_name {
        v["VirtualName"] = json!(name);
        return v;
    }
    let mut ebs = json!({
        "DeleteOnTermination": d.delete_on_termination,
        "Encrypted": d.encrypted,
    });
    if let Some(s) = &d.snapshot_id {
        ebs["SnapshotId"] = json!(s);
    }
    if let Some(s) = d.size {
        ebs["VolumeSize"] = json!(s);
    }
    if let Some(t) = &d.volume_type {
        ebs["VolumeType"] = json!(t);
    }
    if let Some(i) = d.iops {
        ebs["Iops"] = json!(i);
    }
    if let Some(t) = d.throughput {
        ebs["Throughput"] = json!(t);
    }
    v["Ebs"] = ebs;
    v
}

/// Every stored image of the caller's region, of every account (the
/// caller filters what it may see).
pub fn region_images(store: &Store, region: &str) -> Result<Vec<Image>, AwsError> {
    let infix = format!("/{region}/");
    Ok(table(store)
        .scan_prefix("")?
        .into_iter()
        .filter(|(k, _)| k.contains(&infix))
        .map(|(_, i)| i)
        .collect())
}

/// A snapshot another account owns that backs an image shared with the
/// caller (so that the caller can launch it), inside a transaction.
impl crate::ebs::snapshots::SharedSnapshots for crate::Ec2Service {
    fn shared_snapshot(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Option<Snapshot>, AwsError> {
        shared_snapshot(txn, &self.store, ctx, id)
    }
}

/// The owner's snapshot `snapshot_id` behind an image of this region that
/// is shared with the caller.
pub fn shared_snapshot(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    snapshot_id: &str,
) -> Result<Option<Snapshot>, AwsError> {
    let infix = format!("/{}/", ctx.region);
    for (k, img) in txn.scan_prefix(&table(store), "")? {
        if !k.contains(&infix)
            || img.deregistered
            || img.owner_id == ctx.account_id
            || !img.launchable_by(&ctx.account_id)
            || !img
                .devices
                .iter()
                .any(|d| d.snapshot_id.as_deref() == Some(snapshot_id))
        {
            continue;
        }
        let owner_key = format!("{}/{}/{snapshot_id}", img.owner_id, ctx.region);
        if let Some(s) = txn.get(&snapshots::table(store), &owner_key)? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// Launch permissions by image id.
pub type Grants = std::collections::HashMap<String, Vec<String>>;

/// The rendered images of the region the caller may see (for
/// `DescribeImages`; tombstones left out), and the launch permissions of
/// each (image id → accounts) for `ExecutableUsers`.
pub fn describable(store: &Store, ctx: &RequestContext) -> Result<(Vec<Value>, Grants), AwsError> {
    let now = ctx.clock.now_millis();
    let mut out = Vec::new();
    let mut grants = std::collections::HashMap::new();
    for img in region_images(store, &ctx.region)? {
        if img.deregistered || !img.launchable_by(&ctx.account_id) {
            continue;
        }
        // Tags are the owner's; another account sees none of them.
        let t = if img.owner_id == ctx.account_id {
            tags::get(store, ctx, &img.id)?
        } else {
            tags::Tags::new()
        };
        out.push(img.to_value(now, &t));
        grants.insert(img.id.clone(), img.launch_users.clone());
    }
    Ok((out, grants))
}

/// A catalogue image (`DescribeImages`' value) as an [`Image`], so that
/// `CopyImage` and `RunInstances` treat both kinds alike.
pub fn from_catalogue(v: &Value) -> Image {
    let s = |m: &str| v.get(m).and_then(Value::as_str).map(str::to_string);
    let devices = v["BlockDeviceMappings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            let e = &m["Ebs"];
            ImageDevice {
                device_name: m["DeviceName"].as_str().unwrap_or_default().to_string(),
                snapshot_id: e["SnapshotId"].as_str().map(str::to_string),
                size: e["VolumeSize"].as_i64(),
                volume_type: e["VolumeType"].as_str().map(str::to_string),
                delete_on_termination: e["DeleteOnTermination"].as_bool().unwrap_or(true),
                encrypted: e["Encrypted"].as_bool().unwrap_or(false),
                iops: e["Iops"].as_i64(),
                throughput: e["Throughput"].as_i64(),
                virtual_name: None,
            }
        })
        .collect();
    Image {
        id: s("ImageId").unwrap_or_default(),
        name: s("Name").unwrap_or_default(),
        description: s("Description"),
        owner_id: s("OwnerId").unwrap_or_default(),
        architecture: s("Architecture").unwrap_or_else(|| "x86_64".into()),
        platform: s("Platform"),
        platform_details: s("PlatformDetails").unwrap_or_else(|| "Linux/UNIX".into()),
        usage_operation: s("UsageOperation").unwrap_or_else(|| "RunInstances".into()),
        root_device_name: s("RootDeviceName").unwrap_or_else(|| "/dev/xvda".into()),
        virtualization_type: s("VirtualizationType").unwrap_or_else(|| "hvm".into()),
        ena_support: v["EnaSupport"].as_bool().unwrap_or(true),
        sriov_net_support: s("SriovNetSupport"),
        boot_mode: s("BootMode"),
        imds_support: s("ImdsSupport"),
        devices,
        create_ms: 0,
        deregistered: false,
        public: true,
        launch_users: vec![],
        source_instance_id: None,
        source_image: None,
    }
}

/// The image `id` as the caller in `region` may use it: the region's
/// catalogue, its own, or one shared with it. Tombstones answer
/// `InvalidAMIID.Unavailable`; unknown ids `InvalidAMIID.NotFound`.
pub fn usable(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    region: &str,
    id: &str,
) -> Result<Image, AwsError> {
    let t = table(store);
    find_usable(
        ctx,
        region,
        id,
        |k| Ok(txn.get(&t, k)?),
        || Ok(txn.scan_prefix(&t, "")?),
    )
}

/// [`usable`] outside a transaction.
pub fn usable_read(
    store: &Store,
    ctx: &RequestContext,
    region: &str,
    id: &str,
) -> Result<Image, AwsError> {
    let t = table(store);
    find_usable(
        ctx,
        region,
        id,
        |k| Ok(t.get(k)?),
        || Ok(t.scan_prefix("")?),
    )
}

type Rows = Vec<(String, Image)>;

fn find_usable(
    ctx: &RequestContext,
    region: &str,
    id: &str,
    get: impl Fn(&str) -> Result<Option<Image>, AwsError>,
    scan: impl Fn() -> Result<Rows, AwsError>,
) -> Result<Image, AwsError> {
    check_id(id)?;
    if let Some(v) = crate::common::catalog_images::catalogue_images(region)
        .iter()
        .find(|v| v["ImageId"] == id)
    {
        return Ok(from_catalogue(v));
    }
    let found = match get(&format!("{}/{region}/{id}", ctx.account_id))? {
        Some(i) => Some(i),
        None => {
            let infix = format!("/{region}/{id}");
            scan()?
                .into_iter()
                .find(|(k, i)| k.ends_with(&infix) && i.launchable_by(&ctx.account_id))
                .map(|(_, i)| i)
        }
    };
    match found {
        Some(i) if i.deregistered => Err(unavailable(id)),
        Some(i) => Ok(i),
        None => Err(not_found(id)),
    }
}

/// For `RunInstances`: the image `id` (catalogue, own or shared) as the
/// model's `Image`, which must be `available`.
pub fn launch_image(store: &Store, ctx: &RequestContext, id: &str) -> Result<Value, AwsError> {
    let now = ctx.clock.now_millis();
    let img = usable_read(store, ctx, &ctx.region, id)?;
    let state = img.state(now);
    if state != "available" {
        return Err(AwsError::from(Ec2Error::InvalidAMIIdUnavailable {
            message: format!("The image id '[{id}]' is not available (state: {state})."),
        }));
    }
    Ok(img.to_value(now, &tags::Tags::new()))
}
