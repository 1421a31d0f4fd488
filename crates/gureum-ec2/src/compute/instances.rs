//! Instances: `RunInstances`, `DescribeInstances`, `DescribeInstanceStatus`,
//! `StartInstances`, `StopInstances`, `RebootInstances`,
//! `TerminateInstances`, `DescribeInstanceAttribute`,
//! `ModifyInstanceAttribute`, `GetConsoleOutput`.
//!
//! # Lifecycle
//!
//! An instance stores its state and the clock time (ms) of the last
//! transition. Reads evaluate the state lazily ([`Instance::settle`]):
//! pending → running, stopping → stopped and shutting-down → terminated
//! after [`TRANSITION_MS`] of Gureum's clock; a terminated instance is still
//! described for [`TERMINATED_VISIBLE_MS`], then it is gone. There is no
//! background task.
//!
//! # Addresses
//!
//! Private addresses come from the subnet
//! ([`crate::vpc::addresses::ip_table`]: one row per taken address, which
//! lowers the subnet's `AvailableIpAddressCount`); public addresses from
//! the regional pool ([`crate::vpc::addresses::take_public_ip`]: `3.x.y.z`
//! for instances, `54.x.y.z` for Elastic IPs, the second octet derived
//! from the region). A stopped
//! instance gives its public address back; a started one gets a new one; an
//! Elastic IP stays.
//!
//! # Index
//!
//! The store is the source of truth. For fast `DescribeInstances` each
//! account and region keeps an in-memory copy of its instances and their
//! tags ([`Index`]), loaded from the store on first use and updated by every
//! write (instance writes hold the index lock across the store write). With
//! several nodes sharing one store this cache would need invalidation.
//! The index also caches each instance's rendered `Instance` value
//! (dropped by [`RegionIndex::put`], by a tag change and when settling
//! changes the state), and `DescribeInstances` filters without allocating,
//! so a describe that matches many instances mostly copies cached values.
//!
//! # Images and launch templates
//!
//! `ImageId` may be a catalogue image, one of the account's own images or
//! one shared with it ([`crate::images::amis::launch_image`]; it must be
//! `available`). `LaunchTemplate` fills in what the request leaves out
//! (`from_template`).
//!
//! # Volumes
//!
//! The root device is a real EBS volume made from the AMI's snapshot
//! ([`crate::ebs::volumes::create_root_volume`]), released (deleted when
//! `DeleteOnTermination`) on termination. Extra block device mappings
//! without a snapshot are recorded on the instance only, for now.
//!
//! `IamInstanceProfile` is recorded as given (Arn or Name); its existence is
//! not checked against IAM.

mod attributes;
mod from_template;
#[cfg(test)]
mod tests;

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, str_member};
use crate::{
    common::filter, common::instance_types, common::tags, vpc::subnet, vpc::vpcs, Ec2Service,
};
use gureum_core::arn::wildcard_match;
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// How long pending, stopping and shutting-down last (ms of Gureum's clock).
pub const TRANSITION_MS: i64 = 1_000;
/// How long a terminated instance stays visible (one hour).
pub const TERMINATED_VISIBLE_MS: i64 = 3_600_000;

/// A block device of an instance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlockDevice {
    /// `/dev/xvda`.
    pub device_name: String,
    /// `vol-…`.
    pub volume_id: String,
    /// Whether the volume goes with the instance.
    pub delete_on_termination: bool,
    /// Attach time, epoch seconds.
    pub attach_time: i64,
    /// Size in GiB.
    pub size: i64,
    /// Volume type.
    pub volume_type: String,
    /// The snapshot it came from.
    #[serde(default)]
    pub snapshot_id: Option<String>,
    /// When `AttachVolume` attached it (ms); `None` for devices the
    /// instance launched with, which are attached from the start.
    #[serde(default)]
    pub attach_ms: Option<i64>,
    /// When `DetachVolume` was called (ms).
    #[serde(default)]
    pub detach_ms: Option<i64>,
}

impl BlockDevice {
    /// `attaching`, `attached`, `detaching`, or `None` once detached: the
    /// same clock as the volume's own attachment.
    pub fn status(&self, now: i64) -> Option<&'static str> {
        match (self.attach_ms, self.detach_ms) {
            (_, Some(d)) if now - d >= TRANSITION_MS => None,
            (_, Some(_)) => Some("detaching"),
            (Some(a), None) if now - a < TRANSITION_MS => Some("attaching"),
            _ => Some("attached"),
        }
    }

    /// Whether the status is still moving at `now` (its rendering would
    /// go stale in the cache).
    fn in_transition(&self, now: i64) -> bool {
        matches!(self.status(now), Some("attaching" | "detaching"))
    }
}

/// A stored instance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Instance {
    /// `i-…`.
    pub id: String,
    /// `r-…`.
    pub reservation_id: String,
    /// `ami-…`.
    pub image_id: String,
    /// `t3.micro`.
    pub instance_type: String,
    /// Key pair name.
    pub key_name: Option<String>,
    /// The VPC.
    pub vpc_id: String,
    /// The subnet.
    pub subnet_id: String,
    /// AZ name.
    pub az: String,
    /// Primary private IPv4 address.
    pub private_ip: String,
    /// Current public IPv4 address (auto-assigned or an Elastic IP's).
    pub public_ip: Option<String>,
    /// Whether the primary interface gets a public address on launch/start.
    pub auto_public_ip: bool,
    /// The Elastic IP associated with the instance: allocation id.
    #[serde(default)]
    pub eip_allocation: Option<String>,
    /// Security groups: (id, name).
    pub groups: Vec<(String, String)>,
    /// State name.
    pub state: String,
    /// Clock time (ms) of the last transition.
    pub state_since: i64,
    /// `StateTransitionReason`.
    pub transition_reason: String,
    /// `StateReason` (code, message).
    pub state_reason: Option<(String, String)>,
    /// Launch time, ms (reset by each start).
    pub launch_time: i64,
    /// User data, base64.
    pub user_data: Option<String>,
    /// Instance profile (Arn or Name as given).
    pub iam_profile: Option<String>,
    /// `DisableApiTermination`.
    pub disable_api_termination: bool,
    /// `DisableApiStop`.
    pub disable_api_stop: bool,
    /// `stop` | `terminate`.
    pub shutdown_behavior: String,
    /// `HibernationOptions.Configured`.
    pub hibernation: bool,
    /// Whether the last stop hibernated.
    #[serde(default)]
    pub hibernated: bool,
    /// Spot instance.
    pub spot: bool,
    /// Tenancy.
    pub tenancy: String,
    /// Placement group name.
    pub placement_group: Option<String>,
    /// Architecture of the AMI.
    pub architecture: String,
    /// `windows` when the AMI is.
    pub platform: Option<String>,
    /// Platform details of the AMI.
    pub platform_details: String,
    /// Root device name.
    pub root_device_name: String,
    /// `ebs` | `instance-store`.
    pub root_device_type: String,
    /// Block devices.
    pub block_devices: Vec<BlockDevice>,
    /// Primary network interface `eni-…`.
    pub eni_id: String,
    /// Its MAC address.
    pub mac: String,
    /// Index in its reservation.
    pub launch_index: i64,
    /// `ClientToken`.
    pub client_token: Option<String>,
    /// Detailed monitoring.
    pub monitoring: bool,
    /// EBS-optimized.
    pub ebs_optimized: bool,
    /// vCPUs (from the type).
    pub vcpus: i64,
    /// Threads per core (from the type).
    pub threads_per_core: i64,
    /// `MetadataOptions` as launched (`None`: the defaults).
    #[serde(default)]
    pub metadata_options: Option<Value>,
}

/// The instance metadata service's options an instance starts with.
fn default_metadata_options() -> Value {
    json!({
        "State": "applied",
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 2,
        "HttpEndpoint": "enabled",
        "HttpProtocolIpv6": "disabled",
        "InstanceMetadataTags": "disabled",
    })
}

/// `RunInstances`' `MetadataOptions` over the defaults, checked.
fn metadata_options(input: &Value) -> Result<Option<Value>, AwsError> {
    let Some(given) = input.get("MetadataOptions").and_then(Value::as_object) else {
        return Ok(None);
    };
    checked_metadata_options(default_metadata_options(), given).map(Some)
}

/// `given` metadata options over `out`, each value checked.
pub(crate) fn checked_metadata_options(
    mut out: Value,
    given: &serde_json::Map<String, Value>,
) -> Result<Value, AwsError> {
    for (name, allowed) in [
        ("HttpTokens", &["optional", "required"][..]),
        ("HttpEndpoint", &["enabled", "disabled"][..]),
        ("HttpProtocolIpv6", &["enabled", "disabled"][..]),
        ("InstanceMetadataTags", &["enabled", "disabled"][..]),
    ] {
        if let Some(v) = given.get(name).and_then(Value::as_str) {
            if !allowed.contains(&v) {
                return Err(network::invalid_value(format!(
                    "Value ({v}) for parameter {name} is invalid."
                )));
            }
            out[name] = json!(v);
        }
    }
    if let Some(v) = given.get("HttpPutResponseHopLimit") {
        match v.as_i64() {
            Some(n) if (1..=64).contains(&n) => out["HttpPutResponseHopLimit"] = json!(n),
            _ => {
                return Err(network::invalid_value(format!(
                    "Value ({v}) for parameter HttpPutResponseHopLimit is invalid. Parameter must be between 1 and 64."
                )))
            }
        }
    }
    Ok(out)
}

/// The options an instance shows (`None` in the record: the defaults).
pub(crate) fn shown_metadata_options(i: &Instance) -> Value {
    i.metadata_options
        .clone()
        .unwrap_or_else(default_metadata_options)
}

/// The options every instance shows as launched, by `RunInstances` member.
type Shown = (&'static str, fn() -> Value);
const SHOWN_OPTIONS: [Shown; 4] = [
    (
        "CapacityReservationSpecification",
        || json!({"CapacityReservationPreference": "open"}),
    ),
    ("EnclaveOptions", || json!({"Enabled": false})),
    ("PrivateDnsNameOptions", || {
        json!({
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": false,
            "EnableResourceNameDnsAAAARecord": false,
        })
    }),
    ("MaintenanceOptions", || json!({"AutoRecovery": "default"})),
];

/// State code as AWS numbers them.
pub fn state_code(state: &str) -> i64 {
    match state {
        "pending" => 0,
        "running" => 16,
        "shutting-down" => 32,
        "terminated" => 48,
        "stopping" => 64,
        "stopped" => 80,
        _ => 0,
    }
}

/// `{"Code": …, "Name": …}`.
pub fn state_value(state: &str) -> Value {
    json!({"Code": state_code(state), "Name": state})
}

/// "2026-11-22 09:02:37 GMT" as `StateTransitionReason` writes times.
fn reason_time(ms: i64) -> String {
    let iso = gureum_core::timestamp::format_iso8601_seconds(ms);
    format!("{} GMT", iso.trim_end_matches('Z').replace('T', " "))
}

impl Instance {
    /// Applies the transitions due by `now` (ms); returns whether the state
    /// changed. A terminated instance past its visibility is reported by
    /// [`Instance::gone`].
    pub fn settle(&mut self, now: i64) -> bool {
        let mut changed = false;
        loop {
            if now - self.state_since < TRANSITION_MS {
                return changed;
            }
            let next = match self.state.as_str() {
                "pending" => "running",
                "stopping" => "stopped",
                "shutting-down" => "terminated",
                _ => return changed,
            };
            self.state_since += TRANSITION_MS;
            self.state = next.to_string();
            if next == "running" {
                self.state_reason = None;
            }
            changed = true;
        }
    }

    /// Whether a terminated instance is past its visibility at `now`.
    pub fn gone(&self, now: i64) -> bool {
        self.state == "terminated" && now - self.state_since >= TERMINATED_VISIBLE_MS
    }

    fn arn_profile(&self, ctx: &RequestContext) -> Option<Value> {
        self.iam_profile.as_ref().map(|p| {
            let arn = if p.starts_with("arn:") {
                p.clone()
            } else {
                format!("arn:aws:iam::{}:instance-profile/{p}", ctx.account_id)
            };
            json!({"Arn": arn, "Id": format!("AIPA{}", &gureum_core::id::hex(17).to_uppercase())})
        })
    }

    fn private_dns(&self, ctx: &RequestContext) -> String {
        let ip = self.private_ip.replace('.', "-");
        if ctx.region == "us-east-1" {
            format!("ip-{ip}.ec2.internal")
        } else {
            format!("ip-{ip}.{}.compute.internal", ctx.region)
        }
    }

    fn public_dns(&self, ctx: &RequestContext) -> String {
        match &self.public_ip {
            Some(ip) if ctx.region == "us-east-1" => {
                format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-"))
            }
            Some(ip) => format!(
                "ec2-{}.{}.compute.amazonaws.com",
                ip.replace('.', "-"),
                ctx.region
            ),
            None => String::new(),
        }
    }

    /// The instance as the model's `Instance` (state settled by the caller).
    pub fn to_value(&self, ctx: &RequestContext, tags: &tags::Tags) -> Value {
        let terminated = self.state == "terminated";
        let now = ctx.clock.now_millis();
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
            .collect();
        let mut v = json!({
            "AmiLaunchIndex": self.launch_index,
            "ImageId": self.image_id,
            "InstanceId": self.id,
            "InstanceType": self.instance_type,
            "LaunchTime": self.launch_time / 1000,
            "Monitoring": {"State": if self.monitoring { "enabled" } else { "disabled" }},
            "Placement": {
                "AvailabilityZone": self.az,
                "GroupName": self.placement_group.clone().unwrap_or_default(),
                "Tenancy": self.tenancy,
            },
            "PrivateDnsName": if terminated { String::new() } else { self.private_dns(ctx) },
            "ProductCodes": [],
            "PublicDnsName": self.public_dns(ctx),
            "State": state_value(&self.state),
            "StateTransitionReason": self.transition_reason,
            "Architecture": self.architecture,
            "BlockDeviceMappings": if terminated { vec![] } else { self.block_devices.iter().filter_map(|b| Some(json!({
                "DeviceName": b.device_name,
                "Ebs": {
                    "AttachTime": b.attach_time,
                    "DeleteOnTermination": b.delete_on_termination,
                    "Status": b.status(now)?,
                    "VolumeId": b.volume_id,
                }
            }))).collect::<Vec<_>>() },
            "ClientToken": self.client_token.clone().unwrap_or_default(),
            "EbsOptimized": self.ebs_optimized,
            "EnaSupport": true,
            "Hypervisor": "xen",
            "RootDeviceName": self.root_device_name,
            "RootDeviceType": self.root_device_type,
            "SecurityGroups": if terminated { vec![] } else { groups.clone() },
            "SourceDestCheck": true,
            "Tags": network::tag_list(tags),
            "VirtualizationType": "hvm",
            "CpuOptions": {"CoreCount": (self.vcpus / self.threads_per_core.max(1)).max(1), "ThreadsPerCore": self.threads_per_core},
            "CapacityReservationSpecification": (SHOWN_OPTIONS[0].1)(),
            "HibernationOptions": {"Configured": self.hibernation},
            "MetadataOptions": self.metadata_options.clone().unwrap_or_else(default_metadata_options),
            "EnclaveOptions": {"Enabled": false},
            "BootMode": "uefi-preferred",
            "PlatformDetails": self.platform_details,
            "UsageOperation": "RunInstances",
            "UsageOperationUpdateTime": self.launch_time / 1000,
            "PrivateDnsNameOptions": {
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": false,
                "EnableResourceNameDnsAAAARecord": false,
            },
            "MaintenanceOptions": {"AutoRecovery": "default"},
            "CurrentInstanceBootMode": "uefi",
        });
        if !terminated {
            v["PrivateIpAddress"] = json!(self.private_ip);
            v["SubnetId"] = json!(self.subnet_id);
            v["VpcId"] = json!(self.vpc_id);
            let mut assoc = Value::Null;
            if let Some(ip) = &self.public_ip {
                v["PublicIpAddress"] = json!(ip);
                assoc = json!({
                    "IpOwnerId": if self.eip_allocation.is_some() { ctx.account_id.clone() } else { "amazon".to_string() },
                    "PublicDnsName": self.public_dns(ctx),
                    "PublicIp": ip,
                });
            }
            let mut eni = json!({
                "Attachment": {
                    "AttachTime": self.launch_time / 1000,
                    "AttachmentId": format!("eni-attach-{}", &self.eni_id[4..]),
                    "DeleteOnTermination": true,
                    "DeviceIndex": 0,
                    "Status": "attached",
                    "NetworkCardIndex": 0,
                },
                "Description": "",
                "Groups": groups,
                "Ipv6Addresses": [],
                "MacAddress": self.mac,
                "NetworkInterfaceId": self.eni_id,
                "OwnerId": ctx.account_id,
                "PrivateDnsName": self.private_dns(ctx),
                "PrivateIpAddress": self.private_ip,
                "PrivateIpAddresses": [{
                    "Primary": true,
                    "PrivateDnsName": self.private_dns(ctx),
                    "PrivateIpAddress": self.private_ip,
                }],
                "SourceDestCheck": true,
                "Status": "in-use",
                "SubnetId": self.subnet_id,
                "VpcId": self.vpc_id,
                "InterfaceType": "interface",
            });
            if !assoc.is_null() {
                eni["Association"] = assoc.clone();
                eni["PrivateIpAddresses"][0]["Association"] = assoc;
            }
            v["NetworkInterfaces"] = json!([eni]);
        } else {
            v["NetworkInterfaces"] = json!([]);
        }
        if let Some(k) = &self.key_name {
            v["KeyName"] = json!(k);
        }
        if let Some((code, message)) = &self.state_reason {
            v["StateReason"] = json!({"Code": code, "Message": message});
        }
        if let Some(p) = self.arn_profile(ctx) {
            v["IamInstanceProfile"] = p;
        }
        if self.spot {
            v["InstanceLifecycle"] = json!("spot");
            v["SpotInstanceRequestId"] = json!(format!("sir-{}", &self.id[2..10]));
        }
        if let Some(p) = &self.platform {
            v["Platform"] = json!(p);
        }
        v
    }

    /// Whether the instance passes filter `f` (tags from `tags`), without
    /// allocating: `DescribeInstances` runs this over every instance.
    fn passes(&self, account: &str, f: &filter::Filter, tags: &tags::Tags) -> bool {
        let any = |have: &str| f.values.iter().any(|w| wildcard_match(w, have));
        if let Some(k) = f.name.strip_prefix("tag:") {
            return tags.get(k).is_some_and(|v| any(v));
        }
        let opt = |o: &Option<String>| o.as_deref().is_some_and(any);
        match f.name.as_str() {
            "tag-key" => tags.keys().any(|k| any(k)),
            "tag-value" => tags.values().any(|v| any(v)),
            "instance-state-name" => any(&self.state),
            "instance-state-code" => any(state_code_text(&self.state)),
            "instance-type" => any(&self.instance_type),
            "vpc-id" => any(&self.vpc_id),
            "subnet-id" => any(&self.subnet_id),
            "availability-zone" => any(&self.az),
            "image-id" => any(&self.image_id),
            "private-ip-address" => any(&self.private_ip),
            "ip-address" => opt(&self.public_ip),
            "key-name" => opt(&self.key_name),
            "instance-id" => any(&self.id),
            "reservation-id" => any(&self.reservation_id),
            "instance-lifecycle" => self.spot && any("spot"),
            "architecture" => any(&self.architecture),
            "root-device-type" => any(&self.root_device_type),
            "tenancy" => any(&self.tenancy),
            "instance.group-id" | "group-id" => self.groups.iter().any(|g| any(&g.0)),
            "instance.group-name" | "group-name" => self.groups.iter().any(|g| any(&g.1)),
            "network-interface.network-interface-id" => any(&self.eni_id),
            "owner-id" => any(account),
            "platform" => opt(&self.platform),
            _ => false,
        }
    }
}

/// [`state_code`] as filter text.
fn state_code_text(state: &str) -> &'static str {
    match state_code(state) {
        16 => "16",
        32 => "32",
        48 => "48",
        64 => "64",
        80 => "80",
        _ => "0",
    }
}

/// Filters `DescribeInstances` accepts.
const FILTERS: &[&str] = &[
    "instance-state-name",
    "instance-state-code",
    "instance-type",
    "vpc-id",
    "subnet-id",
    "availability-zone",
    "image-id",
    "private-ip-address",
    "ip-address",
    "key-name",
    "instance-id",
    "reservation-id",
    "instance-lifecycle",
    "architecture",
    "root-device-type",
    "tenancy",
    "instance.group-id",
    "instance.group-name",
    "group-id",
    "group-name",
    "network-interface.network-interface-id",
    "owner-id",
    "platform",
];

/// The instance table.
pub fn table(store: &Store) -> Table<Instance> {
    store.table("ec2.instances")
}

/// How many rendered instances [`RegionIndex`] keeps: a rendered
/// `Instance` value takes about 15–20 KB (some 225 small allocations), so
/// 2,048 of them bound the cache near 40 MB per account and region.
pub const RENDER_CACHE_MAX: usize = 2_048;

/// One account and region's instances and their tags, in memory.
///
/// Change an entry through [`RegionIndex::put`] (or call
/// [`RegionIndex::invalidate`]) so that its cached rendering is dropped.
#[derive(Debug, Default, Clone)]
pub struct RegionIndex {
    /// Instances by id, with their tags.
    pub instances: BTreeMap<String, (Instance, tags::Tags)>,
    /// Each instance's rendered `Instance` value: building it is most of
    /// `DescribeInstances`' cost, and the rendering depends only on the
    /// entry (the account and region are this index's key).
    rendered: HashMap<String, Value>,
}

impl RegionIndex {
    /// Applies due transitions to `id`; a changed state drops its cached
    /// rendering. Settling in place is safe: it is a pure function of the
    /// stored record and the clock.
    pub fn settle(&mut self, id: &str, now: i64) {
        if let Some(e) = self.instances.get_mut(id) {
            if e.0.settle(now) {
                self.rendered.remove(id);
            }
        }
    }

    /// [`RegionIndex::settle`] for every instance.
    pub fn settle_all(&mut self, now: i64) {
        for (id, e) in self.instances.iter_mut() {
            if e.0.settle(now) {
                self.rendered.remove(id);
            }
        }
    }

    /// Stores (or replaces) an instance with its tags.
    pub fn put(&mut self, i: Instance, t: tags::Tags) {
        self.rendered.remove(&i.id);
        self.instances.insert(i.id.clone(), (i, t));
    }

    /// How many renderings are cached (at most [`RENDER_CACHE_MAX`]).
    pub fn rendered_len(&self) -> usize {
        self.rendered.len()
    }

    /// Drops the cached rendering of `id` (after changing its entry).
    pub fn invalidate(&mut self, id: &str) {
        self.rendered.remove(id);
    }

    /// The rendered value of an entry (settled by the caller), from the
    /// cache when it is there.
    fn rendered(&mut self, ctx: &RequestContext, id: &str) -> Option<Value> {
        if let Some(v) = self.rendered.get(id) {
            return Some(v.clone());
        }
        let (i, t) = self.instances.get(id)?;
        let v = i.to_value(ctx, t);
        let now = ctx.clock.now_millis();
        if i.block_devices.iter().any(|b| b.in_transition(now)) {
            // The device's status moves with the clock, not with a write.
            return Some(v);
        }
        if self.rendered.len() >= RENDER_CACHE_MAX {
            // Any entry: the cache only bounds memory, hits are a bonus.
            if let Some(k) = self.rendered.keys().next().cloned() {
                self.rendered.remove(&k);
            }
        }
        self.rendered.insert(id.to_string(), v.clone());
        Some(v)
    }
}

/// The in-memory index of instances, per account and region.
#[derive(Debug, Default)]
pub struct Index {
    regions: Mutex<HashMap<String, RegionIndex>>,
}

/// A locked index of one account and region.
pub struct Locked<'a> {
    guard: MutexGuard<'a, HashMap<String, RegionIndex>>,
    key: String,
}

impl Locked<'_> {
    /// The region's entries.
    pub fn region(&mut self) -> &mut RegionIndex {
        self.guard.entry(self.key.clone()).or_default()
    }
}

impl Index {
    /// Forgets every region (reloaded from the store on next use).
    pub fn clear(&self) {
        self.regions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Locks the index of the caller's account and region, loading it from
    /// the store the first time.
    pub fn lock(&self, store: &Store, ctx: &RequestContext) -> Result<Locked<'_>, AwsError> {
        let mut guard = self
            .regions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let k = prefix(ctx);
        if !guard.contains_key(&k) {
            let mut r = RegionIndex::default();
            for (_, i) in table(store).scan_prefix(&k)? {
                let t = tags::get(store, ctx, &i.id)?;
                r.instances.insert(i.id.clone(), (i, t));
            }
            guard.insert(k.clone(), r);
        }
        Ok(Locked { guard, key: k })
    }
}

/// Called after tags of `ids` changed: refreshes the index's copy.
pub fn tags_changed(svc: &Ec2Service, ctx: &RequestContext, ids: &[String]) {
    if !ids.iter().any(|i| i.starts_with("i-")) {
        return;
    }
    if let Ok(mut l) = svc.instances.lock(&svc.store, ctx) {
        let r = l.region();
        for id in ids {
            if let Some(e) = r.instances.get_mut(id) {
                e.1 = tags::get(&svc.store, ctx, id).unwrap_or_default();
                r.rendered.remove(id);
            }
        }
    }
}

/// Reads instance `id` inside a write transaction, settled at `now`:
/// what an operation that refers to an instance validates, so that a
/// concurrent `TerminateInstances` (which writes in its own transaction)
/// is either wholly before or wholly after it. `InvalidInstanceID.NotFound`
/// when there is no such instance or it is terminated past visibility.
pub fn load_in(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
    now: i64,
) -> Result<Instance, AwsError> {
    let mut i = txn
        .get(&table(store), &key(ctx, id))?
        .ok_or_else(|| not_found(&[id]))?;
    i.settle(now);
    if i.gone(now) {
        return Err(not_found(&[id]));
    }
    Ok(i)
}

/// Every instance of the caller's region read inside a write
/// transaction, settled at `now`, those terminated past visibility left
/// out.
pub fn all_in(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    now: i64,
) -> Result<Vec<Instance>, AwsError> {
    Ok(txn
        .scan_prefix(&table(store), &prefix(ctx))?
        .into_iter()
        .map(|(_, mut i)| {
            i.settle(now);
            i
        })
        .filter(|i| !i.gone(now))
        .collect())
}

/// `InvalidInstanceID.NotFound` for one or more ids.
pub fn not_found(ids: &[&str]) -> AwsError {
    if ids.len() == 1 {
        AwsError::from(Ec2Error::InvalidInstanceIdNotFound {
            message: format!("The instance ID '{}' does not exist", ids[0]),
        })
    } else {
        AwsError::from(Ec2Error::InvalidInstanceIdNotFound {
            message: format!("The instance IDs '{}' do not exist", ids.join(", ")),
        })
    }
}

/// Checks ids' shape: `InvalidInstanceID.Malformed`.
pub fn check_ids(ids: &[String]) -> Result<(), AwsError> {
    for id in ids {
        let ok = id.strip_prefix("i-").is_some_and(|h| {
            (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return Err(AwsError::from(Ec2Error::InvalidInstanceIdMalformed {
                id: id.to_string(),
            }));
        }
    }
    Ok(())
}

fn count(input: &Value, name: &str) -> Result<i64, AwsError> {
    input
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| network::missing(name))
}

/// Picks the launch subnet: `SubnetId` (or the first interface's), else the
/// default subnet of `Placement.AvailabilityZone` or of the first AZ.
fn launch_subnet(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    input: &Value,
) -> Result<subnet::Subnet, AwsError> {
    let nic0 = input
        .get("NetworkInterfaces")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let id = str_member(input, "SubnetId").or_else(|| nic0.and_then(|n| str_member(n, "SubnetId")));
    let az = input
        .get("Placement")
        .and_then(|p| str_member(p, "AvailabilityZone"));
    if let Some(id) = id {
        let s = txn
            .get(&subnet::table(store), &key(ctx, id))?
            .ok_or_else(|| subnet::not_found(id))?;
        if let Some(az) = az {
            if az != s.az {
                return Err(network::invalid_value(format!(
                    "Value ({az}) for parameter availabilityZone is invalid. Subnet '{id}' is in availability zone '{}'.",
                    s.az
                )));
            }
        }
        return Ok(s);
    }
    let zones = vpcs::zones(ctx);
    let want =
        match az {
            Some(a) => zones.iter().find(|z| z.name == a).cloned().ok_or_else(|| {
                network::invalid_value(format!("Invalid availability zone: [{a}]"))
            })?,
            None => zones
                .first()
                .cloned()
                .ok_or_else(|| network::invalid_value("Invalid region"))?,
        };
    txn.scan_prefix(&subnet::table(store), &prefix(ctx))?
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| s.default_for_az && s.az == want.name)
        .ok_or_else(|| {
            AwsError::from(Ec2Error::VPCIdNotSpecified { message: "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.".into() })
        })
}

impl Ec2Service {
    /// Writes instances (inside the index lock) and updates the index.
    pub(crate) fn save_instances(
        &self,
        ctx: &RequestContext,
        locked: &mut Locked<'_>,
        list: Vec<Instance>,
    ) {
        let r = locked.region();
        for i in list {
            let t = r
                .instances
                .get(&i.id)
                .map(|e| e.1.clone())
                .unwrap_or_else(|| tags::get(&self.store, ctx, &i.id).unwrap_or_default());
            r.put(i, t);
        }
    }

    /// `RunInstances`.
    pub(crate) fn run_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (input, template) = from_template::apply(self, ctx, input)?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "Ipv6AddressCount",
                "Ipv6Addresses",
                "ElasticGpuSpecification",
                "ElasticInferenceAccelerators",
                "CreditSpecification",
                "LicenseSpecifications",
                "EnablePrimaryIpv6",
                "NetworkPerformanceOptions",
                "Operator",
                "SecondaryInterfaces",
            ],
        )?;
        let image_id = self.resolve_image_id(ctx, network::required(&input, "ImageId")?)?;
        let min = count(&input, "MinCount")?;
        let max = count(&input, "MaxCount")?;
        if min < 1 {
            return Err(network::invalid_value(format!(
                "Value ({min}) for parameter minCount is invalid. Expected a positive integer."
            )));
        }
        if max < 1 {
            return Err(network::invalid_value(format!(
                "Value ({max}) for parameter maxCount is invalid. Expected a positive integer."
            )));
        }
        if min > max {
            return Err(network::invalid_value(
                "Parameter MinCount must be less than or equal to parameter MaxCount",
            ));
        }
        if max > 10_000 {
            return Err(AwsError::from(Ec2Error::InstanceLimitExceeded {
                max: max.to_string(),
            }));
        }
        let image = crate::images::amis::launch_image(&self.store, ctx, &image_id)?;
        let itype = str_member(&input, "InstanceType").unwrap_or("m1.small");
        let ty = instance_types::find(itype)
            .filter(|t| t.offered_in(&ctx.region))
            .ok_or_else(|| {
                network::invalid_value(format!("Invalid value '{itype}' for InstanceType."))
            })?;
        let arch = image["Architecture"]
            .as_str()
            .unwrap_or("x86_64")
            .to_string();
        let archs =
            instance_types::texts_at(&ty.info, &["ProcessorInfo", "SupportedArchitectures"]);
        if !archs.is_empty()
            && !archs
                .iter()
                .any(|a| a == &arch || (arch == "x86_64" && a == "i386"))
        {
            return Err(network::invalid_value(format!(
                "The architecture '{}' of the specified instance type does not match the architecture '{arch}' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the instance type or AMI.",
                archs.first().cloned().unwrap_or_default()
            )));
        }
        let key_name = str_member(&input, "KeyName").map(str::to_string);
        if let Some(k) = &key_name {
            if !crate::compute::key_pairs::exists(&self.store, ctx, k)? {
                return Err(AwsError::from(Ec2Error::InvalidKeyPairNotFound {
                    message: format!("The key pair '{k}' does not exist"),
                }));
            }
        }
        let mut tags = instance_tags(&input)?;
        if let Some((id, version)) = &template {
            // AWS tags every instance launched from a template so.
            tags.insert("aws:ec2launchtemplate:id".into(), id.clone());
            tags.insert("aws:ec2launchtemplate:version".into(), version.to_string());
        }
        let nic0 = input
            .get("NetworkInterfaces")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned();
        let mut group_ids = network::strings(&input, "SecurityGroupIds");
        if let Some(n) = &nic0 {
            group_ids.extend(network::strings(n, "Groups"));
        }
        let group_names = network::strings(&input, "SecurityGroups");
        let wanted_ip = str_member(&input, "PrivateIpAddress")
            .or_else(|| {
                nic0.as_ref()
                    .and_then(|n| str_member(n, "PrivateIpAddress"))
            })
            .map(str::to_string);
        if wanted_ip.is_some() && max > 1 {
            return Err(network::invalid_value(
                "Cannot specify a private IP address when launching more than one instance.",
            ));
        }
        let user_data = str_member(&input, "UserData").map(str::to_string);
        let profile = input.get("IamInstanceProfile").and_then(|p| {
            str_member(p, "Arn")
                .or_else(|| str_member(p, "Name"))
                .map(str::to_string)
        });
        let spot = input
            .get("InstanceMarketOptions")
            .and_then(|m| str_member(m, "MarketType"))
            == Some("spot");
        let placement = input.get("Placement");
        let tenancy = placement
            .and_then(|p| str_member(p, "Tenancy"))
            .unwrap_or("default")
            .to_string();
        let shutdown = str_member(&input, "InstanceInitiatedShutdownBehavior")
            .unwrap_or("stop")
            .to_string();
        if spot
            && shutdown == "stop"
            && str_member(&input, "InstanceInitiatedShutdownBehavior").is_some()
        {
            // AWS accepts stop only for persistent spot requests; allowed here.
        }
        let hibernation = input
            .get("HibernationOptions")
            .and_then(|h| h.get("Configured"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let root_device = image["RootDeviceName"]
            .as_str()
            .unwrap_or("/dev/xvda")
            .to_string();
        let root_type = image["RootDeviceType"]
            .as_str()
            .unwrap_or("ebs")
            .to_string();
        // The root device's mapping (not always the first one of an
        // image users made).
        let root_ebs = image["BlockDeviceMappings"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["DeviceName"] == root_device.as_str()))
            .map(|m| m["Ebs"].clone())
            .unwrap_or(Value::Null);
        let mut root_size = root_ebs["VolumeSize"].as_i64().unwrap_or(8);
        let mut root_vt = root_ebs["VolumeType"].as_str().unwrap_or("gp3").to_string();
        let mut root_dot = true;
        let mut extra: Vec<(String, i64, String, bool)> = Vec::new();
        for m in input
            .get("BlockDeviceMappings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let dev = str_member(m, "DeviceName").unwrap_or_default().to_string();
            let Some(ebs) = m.get("Ebs") else { continue };
            let size = ebs.get("VolumeSize").and_then(Value::as_i64);
            let vt = str_member(ebs, "VolumeType").map(str::to_string);
            let dot = ebs.get("DeleteOnTermination").and_then(Value::as_bool);
            if dev == root_device {
                if let Some(s) = size {
                    if s < root_size {
                        return Err(network::invalid_value(format!(
                            "Volume of size {s}GB is smaller than snapshot '{}', expect size >= {root_size}GB",
                            root_ebs["SnapshotId"].as_str().unwrap_or_default()
                        )));
                    }
                    root_size = s;
                }
                if let Some(v) = vt {
                    root_vt = v;
                }
                if let Some(d) = dot {
                    root_dot = d;
                }
            } else {
                extra.push((
                    dev,
                    size.unwrap_or(8),
                    vt.unwrap_or_else(|| "gp2".into()),
                    dot.unwrap_or(true),
                ));
            }
        }
        let assoc_public = nic0
            .as_ref()
            .and_then(|n| n.get("AssociatePublicIpAddress"))
            .and_then(Value::as_bool);
        let vcpus = ty.info["VCpuInfo"]["DefaultVCpus"].as_i64().unwrap_or(1);
        let tpc = ty.info["VCpuInfo"]["DefaultThreadsPerCore"]
            .as_i64()
            .unwrap_or(1);
        // Options Gureum shows but does not vary: only the values it shows
        // are accepted.
        {
            use crate::common::unsupported::refuse_unless_shown;
            refuse_unless_shown(
                &input,
                "CpuOptions",
                &json!({"CoreCount": (vcpus / tpc.max(1)).max(1), "ThreadsPerCore": tpc}),
            )?;
            for (member, shown) in SHOWN_OPTIONS {
                refuse_unless_shown(&input, member, &shown())?;
            }
        }
        let metadata_options = metadata_options(&input)?;
        let ebs_optimized = input
            .get("EbsOptimized")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let monitoring = input
            .get("Monitoring")
            .and_then(|m| m.get("Enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let client_token = str_member(&input, "ClientToken").map(str::to_string);
        let disable_term = input
            .get("DisableApiTermination")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let disable_stop = input
            .get("DisableApiStop")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let mut locked = self.instances.lock(store, ctx)?;
        // A retry with the same client token answers the first launch's
        // reservation instead of launching again (AWS's idempotency).
        if let Some(token) = &client_token {
            let now = ctx.clock.now_millis();
            let r = locked.region();
            r.settle_all(now);
            let mut earlier: Vec<(Instance, tags::Tags)> = r
                .instances
                .values()
                .filter(|(i, _)| i.client_token.as_deref() == Some(token) && !i.gone(now))
                .cloned()
                .collect();
            if !earlier.is_empty() {
                earlier.sort_by_key(|(i, _)| i.launch_index);
                let first = &earlier[0].0;
                if earlier.iter().any(|(i, _)| i.state == "terminated") {
                    return Err(Ec2Error::IdempotentInstanceTerminated.into());
                }
                let n = earlier.len() as i64;
                if first.image_id != image_id || first.instance_type != itype || n < min || n > max
                {
                    return Err(Ec2Error::IdempotentParameterMismatch.into());
                }
                let groups: Vec<Value> = first
                    .groups
                    .iter()
                    .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
                    .collect();
                return Ok(json!({
                    "ReservationId": first.reservation_id,
                    "OwnerId": ctx.account_id,
                    "Groups": groups,
                    "Instances": earlier.iter().map(|(i, t)| i.to_value(ctx, t)).collect::<Vec<_>>(),
                }));
            }
        }
        let reservation_id = resource_id("r");
        let created = store.write(|txn| {
            let s = launch_subnet(txn, store, ctx, &input)?;
            let groups = crate::vpc::security_group::resolve_groups(
                txn,
                store,
                ctx,
                &s.vpc_id,
                &group_ids,
                &group_names,
            )?;
            dry_run(&input)?;
            let public = assoc_public.unwrap_or(s.map_public_ip);
            let mut list = Vec::new();
            let mut taken = None;
            for n in 0..max {
                let id = resource_id("i");
                let ip = match crate::vpc::addresses::take_private_ip_cached(
                    txn,
                    store,
                    ctx,
                    &s,
                    wanted_ip.as_deref(),
                    &id,
                    &mut taken,
                ) {
                    Ok(ip) => ip,
                    Err(e) if n >= min && e.code == "InsufficientFreeAddressesInSubnet" => break,
                    Err(e) => return Err(e),
                };
                let public_ip = if public {
                    Some(crate::vpc::addresses::take_public_ip(
                        txn, store, ctx, false, &id,
                    )?)
                } else {
                    None
                };
                let root_volume = match root_ebs["SnapshotId"].as_str() {
                    Some(snap) => crate::ebs::volumes::create_root_volume(
                        txn,
                        self,
                        ctx,
                        &s.az,
                        snap,
                        &crate::ebs::volumes::VolumeSpec {
                            size: Some(root_size),
                            volume_type: Some(root_vt.clone()),
                            iops: None,
                            throughput: None,
                            encrypted: false,
                            kms_key_id: None,
                            multi_attach: false,
                            delete_on_termination: root_dot,
                        },
                        &id,
                        &root_device,
                    )?,
                    None => resource_id("vol"),
                };
                let mut devices = vec![BlockDevice {
                    device_name: root_device.clone(),
                    volume_id: root_volume,
                    delete_on_termination: root_dot,
                    attach_time: now / 1000,
                    size: root_size,
                    volume_type: root_vt.clone(),
                    snapshot_id: root_ebs["SnapshotId"].as_str().map(str::to_string),
                    attach_ms: None,
                    detach_ms: None,
                }];
                for (dev, size, vt, dot) in &extra {
                    devices.push(BlockDevice {
                        device_name: dev.clone(),
                        volume_id: resource_id("vol"),
                        delete_on_termination: *dot,
                        attach_time: now / 1000,
                        size: *size,
                        volume_type: vt.clone(),
                        snapshot_id: None,
                        attach_ms: None,
                        detach_ms: None,
                    });
                }
                let i = Instance {
                    id: id.clone(),
                    reservation_id: reservation_id.clone(),
                    image_id: image_id.clone(),
                    instance_type: itype.to_string(),
                    key_name: key_name.clone(),
                    vpc_id: s.vpc_id.clone(),
                    subnet_id: s.id.clone(),
                    az: s.az.clone(),
                    private_ip: ip,
                    public_ip,
                    auto_public_ip: public,
                    eip_allocation: None,
                    groups: groups.clone(),
                    state: "pending".into(),
                    state_since: now,
                    transition_reason: String::new(),
                    state_reason: Some(("pending".into(), "pending".into())),
                    launch_time: now,
                    user_data: user_data.clone(),
                    iam_profile: profile.clone(),
                    disable_api_termination: disable_term,
                    disable_api_stop: disable_stop,
                    shutdown_behavior: shutdown.clone(),
                    hibernation,
                    hibernated: false,
                    spot,
                    tenancy: tenancy.clone(),
                    placement_group: placement
                        .and_then(|p| str_member(p, "GroupName"))
                        .map(str::to_string),
                    architecture: arch.clone(),
                    platform: image["Platform"].as_str().map(str::to_string),
                    platform_details: image["PlatformDetails"]
                        .as_str()
                        .unwrap_or("Linux/UNIX")
                        .to_string(),
                    root_device_name: root_device.clone(),
                    root_device_type: root_type.clone(),
                    block_devices: devices,
                    eni_id: resource_id("eni"),
                    mac: crate::vpc::addresses::mac(),
                    launch_index: n,
                    client_token: client_token.clone(),
                    metadata_options: metadata_options.clone(),
                    monitoring,
                    ebs_optimized,
                    vcpus,
                    threads_per_core: tpc,
                };
                txn.put(&table(store), &key(ctx, &id), &i)?;
                tags::put_in(txn, store, ctx, &id, &tags)?;
                list.push(i);
            }
            Ok::<_, AwsError>(list)
        })?;
        {
            let r = locked.region();
            for i in &created {
                r.put(i.clone(), tags.clone());
            }
        }
        drop(locked);
        let pending: Vec<(String, String, i64)> = created
            .iter()
            .map(|i| (i.id.clone(), i.state.clone(), i.state_since))
            .collect();
        self.publish_state_changes(ctx, &pending);
        self.host_boot(
            ctx,
            &created.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        );
        let groups: Vec<Value> = created
            .first()
            .map(|i| {
                i.groups
                    .iter()
                    .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
                    .collect()
            })
            .unwrap_or_default();
        Ok(json!({
            "ReservationId": reservation_id,
            "OwnerId": ctx.account_id,
            "Groups": groups,
            "Instances": created.iter().map(|i| i.to_value(ctx, &tags)).collect::<Vec<_>>(),
        }))
    }

    /// The visible instances of the caller's region (settled at `now`).
    fn visible(&self, ctx: &RequestContext) -> Result<Vec<(Instance, tags::Tags)>, AwsError> {
        let now = ctx.clock.now_millis();
        let mut l = self.instances.lock(&self.store, ctx)?;
        Ok(l.region()
            .instances
            .values()
            .filter_map(|(i, t)| {
                let mut i = i.clone();
                i.settle(now);
                (!i.gone(now)).then(|| (i, t.clone()))
            })
            .collect())
    }

    /// `DescribeInstances`: reservations, filters, pagination.
    pub(crate) fn describe_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = network::strings(&input, "InstanceIds");
        check_ids(&ids)?;
        if !ids.is_empty() && input.get("MaxResults").is_some() {
            return Err(AwsError::from(Ec2Error::InvalidParameterCombination {
                message:
                    ("The parameter instancesSet cannot be used with the parameter maxResults")
                        .into(),
            }));
        }
        let filters = filter::parse(&input);
        network::check_filters(&filters, FILTERS)?;
        let max = match input.get("MaxResults").and_then(Value::as_i64) {
            Some(n) if !(5..=1000).contains(&n) => {
                return Err(network::invalid_value(format!(
                    "Value ( {n} ) for parameter maxResults is invalid. Parameter must be between 5 and 1000."
                )))
            }
            Some(n) => n as usize,
            None => usize::MAX,
        };
        let after = str_member(&input, "NextToken");
        let now = ctx.clock.now_millis();
        let mut l = self.instances.lock(&self.store, ctx)?;
        let r = l.region();
        if ids.is_empty() {
            r.settle_all(now);
        } else {
            for id in &ids {
                r.settle(id, now);
            }
        }
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| {
                r.instances
                    .get(id.as_str())
                    .is_none_or(|(i, _)| i.gone(now))
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(not_found(&missing));
        }
        // First the matching ids (borrowing the index, no rendering), then
        // their cached renderings, grouped by reservation in order of each
        // reservation's first instance; pages count instances.
        let mut picked: Vec<String> = Vec::new();
        let mut next = None;
        let candidates: Box<dyn Iterator<Item = &(Instance, tags::Tags)>> = if ids.is_empty() {
            Box::new(r.instances.values())
        } else {
            Box::new(ids.iter().filter_map(|id| r.instances.get(id)))
        };
        for (i, t) in candidates {
            if after.is_some_and(|a| i.id.as_str() <= a) || i.gone(now) {
                continue;
            }
            if !filters.iter().all(|f| i.passes(&ctx.account_id, f, t)) {
                continue;
            }
            if picked.len() == max {
                next = picked.last().cloned();
                break;
            }
            picked.push(i.id.clone());
        }
        let mut reservations: Vec<Value> = Vec::new();
        let mut slot: HashMap<String, usize> = HashMap::new();
        for id in &picked {
            let Some(v) = r.rendered(ctx, id) else {
                continue;
            };
            let Some((i, _)) = r.instances.get(id) else {
                continue;
            };
            let n = *slot.entry(i.reservation_id.clone()).or_insert_with(|| {
                reservations.push(json!({
                    "ReservationId": i.reservation_id,
                    "OwnerId": ctx.account_id,
                    "Groups": i.groups.iter()
                        .map(|(id, name)| json!({"GroupId": id, "GroupName": name}))
                        .collect::<Vec<_>>(),
                    "Instances": [],
                }));
                reservations.len() - 1
            });
            if let Some(list) = reservations[n]["Instances"].as_array_mut() {
                list.push(v);
            }
        }
        drop(l);
        crate::vpc::network_interfaces::add_attached(&self.store, ctx, &mut reservations)?;
        // Not `json!`: it would serialize the whole tree again.
        let mut out = serde_json::Map::new();
        out.insert("Reservations".into(), Value::Array(reservations));
        Ok(network::with_token(Value::Object(out), next))
    }

    /// Loads the named instances (settled) for a state change; unknown ids
    /// answer `InvalidInstanceID.NotFound`.
    fn load_for_change(
        &self,
        ctx: &RequestContext,
        locked: &mut Locked<'_>,
        ids: &[String],
    ) -> Result<Vec<Instance>, AwsError> {
        check_ids(ids)?;
        if ids.is_empty() {
            return Err(network::missing("InstanceId"));
        }
        let now = ctx.clock.now_millis();
        let r = locked.region();
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match r.instances.get(id) {
                Some((i, _)) => {
                    let mut i = i.clone();
                    i.settle(now);
                    if i.gone(now) {
                        missing.push(id.as_str());
                    } else {
                        out.push(i);
                    }
                }
                None => missing.push(id.as_str()),
            }
        }
        if !missing.is_empty() {
            return Err(not_found(&missing));
        }
        Ok(out)
    }

    /// Applies `change` to each instance, stores them and answers
    /// `{list_name: [{InstanceId, PreviousState, CurrentState}]}`.
    fn change_state(
        &self,
        ctx: &RequestContext,
        input: &Value,
        list_name: &str,
        check: impl Fn(&Instance) -> Result<(), AwsError>,
        change: impl Fn(&mut WriteTxn, &mut Instance) -> Result<(), AwsError>,
    ) -> OpResult {
        let ids = network::strings(input, "InstanceIds");
        let store = &self.store;
        let mut locked = self.instances.lock(store, ctx)?;
        let list = self.load_for_change(ctx, &mut locked, &ids)?;
        for i in &list {
            check(i)?;
        }
        dry_run(input)?;
        let mut items = Vec::new();
        let mut changed = Vec::new();
        let list = store.write(|txn| {
            let mut out = Vec::new();
            items.clear();
            changed.clear();
            for mut i in list {
                let before = i.state.clone();
                change(txn, &mut i)?;
                txn.put(&table(store), &key(ctx, &i.id), &i)?;
                items.push(json!({
                    "InstanceId": i.id,
                    "PreviousState": state_value(&before),
                    "CurrentState": state_value(&i.state),
                }));
                if i.state != before {
                    changed.push((i.id.clone(), i.state.clone(), i.state_since));
                }
                out.push(i);
            }
            Ok::<_, AwsError>(out)
        })?;
        self.save_instances(ctx, &mut locked, list);
        drop(locked);
        self.publish_state_changes(ctx, &changed);
        Ok(json!({ list_name: items }))
    }

    /// `StopInstances`: running → stopping → stopped; the auto-assigned
    /// public address goes back to the pool.
    pub(crate) fn stop_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let out = self.stop_records(ctx, &input, Initiator::Api)?;
        self.host_halt(&network::strings(&input, "InstanceIds"));
        Ok(out)
    }

    pub(crate) fn stop_records(
        &self,
        ctx: &RequestContext,
        input: &Value,
        by: Initiator,
    ) -> OpResult {
        let hibernate = input.get("Hibernate").and_then(Value::as_bool) == Some(true);
        let force = input.get("Force").and_then(Value::as_bool) == Some(true);
        let now = ctx.clock.now_millis();
        let store = &self.store;
        self.change_state(
            ctx,
            input,
            "StoppingInstances",
            |i| {
                if i.root_device_type != "ebs" {
                    return Err(AwsError::from(Ec2Error::UnsupportedOperation { message: format!("The instance '{}' does not have an 'ebs' root device type and cannot be stopped.", i.id) }));
                }
                if i.disable_api_stop && !force && by == Initiator::Api {
                    return Err(AwsError::from(Ec2Error::OperationNotPermitted { message: format!("The instance '{}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.", i.id) }));
                }
                if i.spot {
                    return Err(AwsError::from(Ec2Error::UnsupportedOperation { message: format!("The instance '{}' is a spot instance and cannot be stopped.", i.id) }));
                }
                if hibernate && !i.hibernation {
                    return Err(AwsError::from(Ec2Error::UnsupportedHibernationConfiguration { message: format!("For hibernation, the instance '{}' must have been launched with hibernation enabled.", i.id) }));
                }
                if matches!(i.state.as_str(), "shutting-down" | "terminated") {
                    return Err(AwsError::from(Ec2Error::IncorrectInstanceState { message: format!("This instance '{}' is not in a state from which it can be stopped.", i.id) }));
                }
                Ok(())
            },
            |txn, i| {
                if matches!(i.state.as_str(), "stopped" | "stopping") {
                    return Ok(());
                }
                if i.state == "pending" {
                    // Stopping a pending instance waits for it to run.
                }
                i.state = "stopping".into();
                i.state_since = now;
                i.hibernated = hibernate;
                i.transition_reason = format!("User initiated ({})", reason_time(now));
                i.state_reason = Some(if hibernate {
                    (
                        "Client.UserInitiatedHibernate".into(),
                        "Client.UserInitiatedHibernate: User initiated hibernate".into(),
                    )
                } else {
                    by.reason()
                });
                if i.eip_allocation.is_none() {
                    if let Some(ip) = i.public_ip.take() {
                        crate::vpc::addresses::release_public_ip(txn, store, &ip)?;
                    }
                }
                Ok(())
            },
        )
    }

    /// `StartInstances`: stopped → pending → running, with a new public
    /// address when the instance gets one.
    pub(crate) fn start_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let out = self.start_records(ctx, &input)?;
        self.host_boot(ctx, &network::strings(&input, "InstanceIds"));
        Ok(out)
    }

    fn start_records(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let now = ctx.clock.now_millis();
        let store = &self.store;
        self.change_state(
            ctx,
            input,
            "StartingInstances",
            |i| {
                if matches!(
                    i.state.as_str(),
                    "stopping" | "shutting-down" | "terminated"
                ) {
                    return Err(AwsError::from(Ec2Error::IncorrectInstanceState {
                        message: format!(
                            "The instance '{}' is not in a state from which it can be started.",
                            i.id
                        ),
                    }));
                }
                Ok(())
            },
            |txn, i| {
                if i.state != "stopped" {
                    return Ok(());
                }
                i.state = "pending".into();
                i.state_since = now;
                i.launch_time = now;
                i.hibernated = false;
                i.transition_reason = String::new();
                i.state_reason = Some(("pending".into(), "pending".into()));
                if i.eip_allocation.is_none() && i.auto_public_ip && i.public_ip.is_none() {
                    i.public_ip = Some(crate::vpc::addresses::take_public_ip(
                        txn, store, ctx, false, &i.id,
                    )?);
                }
                Ok(())
            },
        )
    }

    /// `RebootInstances`: the instance stays running and keeps its address.
    pub(crate) fn reboot_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "InstanceIds");
        let mut locked = self.instances.lock(&self.store, ctx)?;
        let list = self.load_for_change(ctx, &mut locked, &ids)?;
        for i in &list {
            if i.state == "terminated" {
                return Err(AwsError::from(Ec2Error::IncorrectInstanceState {
                    message: format!(
                        "The instance '{}' is not in a state from which it can be rebooted.",
                        i.id
                    ),
                }));
            }
        }
        dry_run(&input)?;
        drop(locked);
        self.host_reboot(ctx, &ids);
        Ok(json!({}))
    }

    /// `TerminateInstances`: → shutting-down → terminated; addresses and
    /// delete-on-termination volumes go.
    pub(crate) fn terminate_instances(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let out = self.terminate_records(ctx, &input, Initiator::Api)?;
        self.host_discard(&network::strings(&input, "InstanceIds"));
        Ok(out)
    }

    pub(crate) fn terminate_records(
        &self,
        ctx: &RequestContext,
        input: &Value,
        by: Initiator,
    ) -> OpResult {
        let now = ctx.clock.now_millis();
        let store = &self.store;
        self.change_state(
            ctx,
            input,
            "TerminatingInstances",
            |i| {
                if i.disable_api_termination && by == Initiator::Api {
                    return Err(AwsError::from(Ec2Error::OperationNotPermitted { message: format!("The instance '{}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", i.id) }));
                }
                Ok(())
            },
            |txn, i| {
                if matches!(i.state.as_str(), "shutting-down" | "terminated") {
                    return Ok(());
                }
                i.state = "shutting-down".into();
                i.state_since = now;
                i.transition_reason = format!("User initiated ({})", reason_time(now));
                i.state_reason = Some(by.reason());
                crate::vpc::addresses::release_private_ip(txn, store, ctx, &i.subnet_id, &i.private_ip)?;
                if let Some(alloc) = i.eip_allocation.take() {
                    crate::vpc::elastic_ips::instance_gone(txn, store, ctx, &alloc)?;
                    i.public_ip = None;
                } else if let Some(ip) = i.public_ip.take() {
                    crate::vpc::addresses::release_public_ip(txn, store, &ip)?;
                }
                i.block_devices.retain(|b| !b.delete_on_termination);
                crate::ebs::volumes::release_instance_volumes(txn, store, ctx, &i.id)?;
                crate::vpc::network_interfaces::instance_gone(txn, store, ctx, &i.id)?;
                Ok(())
            },
        )
    }

    /// `DescribeInstanceStatus`: running instances (all with
    /// `IncludeAllInstances`), status checks `ok` once running.
    pub(crate) fn describe_instance_status(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = network::strings(&input, "InstanceIds");
        check_ids(&ids)?;
        let all = input.get("IncludeAllInstances").and_then(Value::as_bool) == Some(true);
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "availability-zone",
                "instance-state-name",
                "instance-state-code",
                "instance-status.status",
                "system-status.status",
            ],
        )?;
        let visible = self.visible(ctx)?;
        let missing: Vec<&str> = ids
            .iter()
            .filter(|id| !visible.iter().any(|(i, _)| &i.id == *id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(not_found(&missing));
        }
        let mut items = Vec::new();
        for (i, t) in visible {
            if !ids.is_empty() && !ids.contains(&i.id) {
                continue;
            }
            if !all && i.state != "running" {
                continue;
            }
            let status = match i.state.as_str() {
                "running" => "ok",
                "pending" => "initializing",
                _ => "not-applicable",
            };
            let keep = network::matches(&filters, &t, |f| match f {
                "availability-zone" => vec![i.az.clone()],
                "instance-state-name" => vec![i.state.clone()],
                "instance-state-code" => vec![state_code(&i.state).to_string()],
                "instance-status.status" | "system-status.status" => vec![status.to_string()],
                _ => vec![],
            });
            if !keep {
                continue;
            }
            let details = if status == "ok" {
                json!([{"Name": "reachability", "Status": "passed"}])
            } else if status == "initializing" {
                json!([{"Name": "reachability", "Status": "initializing"}])
            } else {
                json!([])
            };
            items.push((
                i.id.clone(),
                json!({
                    "AvailabilityZone": i.az,
                    "InstanceId": i.id,
                    "InstanceState": state_value(&i.state),
                    "InstanceStatus": {"Status": status, "Details": details},
                    "SystemStatus": {"Status": status, "Details": details},
                    "AttachedEbsStatus": {"Status": status, "Details": details},
                    "Events": [],
                }),
            ));
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "InstanceStatuses": page }),
            next,
        ))
    }
}

/// The instance tags of a `RunInstances` (`TagSpecifications` for other
/// types, e.g. volumes, are accepted and ignored for now).
fn instance_tags(input: &Value) -> Result<tags::Tags, AwsError> {
    let mut out = tags::Tags::new();
    for spec in input
        .get("TagSpecifications")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let rt = str_member(spec, "ResourceType").unwrap_or("instance");
        if !matches!(
            rt,
            "instance" | "volume" | "network-interface" | "spot-instances-request" | "elastic-gpu"
        ) {
            return Err(network::invalid_value(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        if rt != "instance" {
            continue;
        }
        let one = json!({"TagSpecifications": [spec]});
        out.extend(network::spec_tags(&one, "instance")?);
    }
    Ok(out)
}

/// Shared access for sibling modules (Elastic IPs).
pub(crate) fn with_instance<R>(
    svc: &Ec2Service,
    ctx: &RequestContext,
    id: &str,
    f: impl FnOnce(&mut WriteTxn, &mut Instance) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    let store = &svc.store;
    let mut locked = svc.instances.lock(store, ctx)?;
    let now = ctx.clock.now_millis();
    let mut i = locked
        .region()
        .instances
        .get(id)
        .map(|e| e.0.clone())
        .ok_or_else(|| not_found(&[id]))?;
    i.settle(now);
    if i.gone(now) {
        return Err(not_found(&[id]));
    }
    let (r, i) = store.write(|txn| {
        let r = f(txn, &mut i)?;
        txn.put(&table(store), &key(ctx, &i.id), &i)?;
        Ok::<_, AwsError>((r, i))
    })?;
    svc.save_instances(ctx, &mut locked, vec![i]);
    Ok(r)
}

/// Who asked for a stop or termination: the API (whose `disableApiStop`
/// and `disableApiTermination` guards apply) or the instance's own
/// operating system (`shutdown -h`), which those guards do not stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Initiator {
    /// `StopInstances` / `TerminateInstances`.
    Api,
    /// The instance shut itself down.
    Instance,
}

impl Initiator {
    /// The `StateReason` (code, message) EC2 shows after the change.
    fn reason(self) -> (String, String) {
        match self {
            Self::Api => (
                "Client.UserInitiatedShutdown".into(),
                "Client.UserInitiatedShutdown: User initiated shutdown".into(),
            ),
            Self::Instance => (
                "Client.InstanceInitiatedShutdown".into(),
                "Client.InstanceInitiatedShutdown: Instance initiated shutdown".into(),
            ),
        }
    }
}
