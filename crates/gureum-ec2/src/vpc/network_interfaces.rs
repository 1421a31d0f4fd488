//! Network interfaces: `CreateNetworkInterface`,
//! `DescribeNetworkInterfaces`, `DeleteNetworkInterface`,
//! `AttachNetworkInterface`, `DetachNetworkInterface`,
//! `ModifyNetworkInterfaceAttribute`, `DescribeNetworkInterfaceAttribute`.
//!
//! An interface takes its private address from its subnet (the same table
//! instances use, so the subnet's `AvailableIpAddressCount` falls and the
//! subnet cannot be deleted while it exists). Each instance's primary
//! interface lives in the instance record; instances are seen here only as
//! typed [`Holder`]s through [`InterfaceHolders`], which compute implements
//! (`compute/interface_holders.rs`). A primary interface is listed here and
//! cannot be detached or deleted.
//!
//! `TerminateInstances` detaches secondary interfaces in its transaction
//! (AWS's `DeleteOnTermination` is false for an attached interface), and
//! an attachment to an instance shutting down is treated as ended when
//! read. Attach, detach and delete read the instances inside their own
//! write transaction.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::{common::filter, common::tags, vpc::security_group, vpc::subnet, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// An interface's attachment to an instance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    /// `eni-attach-…`.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// The device index (1 and up; 0 is the primary interface).
    pub device_index: i64,
    /// Attach time, seconds.
    pub attach_time: i64,
}

/// A stored (non-primary) network interface.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetworkInterface {
    /// `eni-…`.
    pub id: String,
    /// The subnet.
    pub subnet_id: String,
    /// The subnet's VPC.
    pub vpc_id: String,
    /// The subnet's AZ.
    pub az: String,
    /// Primary private IPv4 address.
    pub private_ip: String,
    /// `Description`.
    pub description: String,
    /// Security group ids.
    pub groups: Vec<String>,
    /// `SourceDestCheck`.
    pub source_dest_check: bool,
    /// MAC address.
    pub mac: String,
    /// `interface`, `vpc_endpoint`, …
    pub interface_type: String,
    /// Made by an AWS service (a VPC endpoint) for the account.
    pub requester_managed: bool,
    /// The current attachment.
    pub attachment: Option<Attachment>,
}

/// The interface table.
pub fn table(store: &Store) -> Table<NetworkInterface> {
    store.table("ec2.network_interfaces")
}

/// `InvalidNetworkInterfaceID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidNetworkInterfaceIdNotFound { id: id.to_string() })
}

fn in_use(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidNetworkInterfaceInUse { id: id.to_string() })
}

/// Whether an instance state keeps its interfaces attached.
fn holds_interfaces(state: &str) -> bool {
    !matches!(state, "shutting-down" | "terminated")
}

/// For a terminating instance, inside its transaction: detaches the
/// interfaces attached to it (AWS's default `DeleteOnTermination` for an
/// attached interface is false), so no stored attachment outlives it.
pub fn instance_gone(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    instance_id: &str,
) -> Result<(), AwsError> {
    for (k, mut eni) in txn.scan_prefix(&table(store), &prefix(ctx))? {
        if eni
            .attachment
            .as_ref()
            .is_some_and(|a| a.instance_id == instance_id)
        {
            eni.attachment = None;
            txn.put(&table(store), &k, &eni)?;
        }
    }
    Ok(())
}

/// What interface operations need of an instance, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    /// `i-…`.
    pub id: String,
    /// Its state, settled at the time of the read.
    pub state: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its AZ.
    pub az: String,
    /// Its primary interface (kept in the instance record).
    pub eni_id: String,
}

/// The instances' side of network interfaces. Compute owns the instance
/// records and implements this for the service, so this module reads
/// instances only through typed [`Holder`]s.
pub trait InterfaceHolders {
    /// The region's instances (settled now, those gone past visibility
    /// left out).
    fn holders(&self, ctx: &RequestContext) -> Result<Vec<Holder>, AwsError>;
    /// The same, read inside a write transaction.
    fn holders_in(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        now: i64,
    ) -> Result<Vec<Holder>, AwsError>;
    /// An instance's primary interface as the model's
    /// `InstanceNetworkInterface` (compute renders it).
    fn primary_interface(&self, ctx: &RequestContext, instance_id: &str) -> Option<Value>;
    /// Sets the security groups of an instance's primary interface (they
    /// are the instance's groups).
    fn set_primary_groups(
        &self,
        ctx: &RequestContext,
        instance_id: &str,
        group_ids: &[String],
    ) -> OpResult;
    /// `InvalidInstanceID.NotFound` for `id`.
    fn no_such_instance(&self, id: &str) -> AwsError;
}

impl NetworkInterface {
    /// The attachment, unless its instance is gone or terminating.
    pub fn live_attachment<'a>(&'a self, instances: &[Holder]) -> Option<&'a Attachment> {
        self.attachment.as_ref().filter(|a| {
            instances
                .iter()
                .any(|i| i.id == a.instance_id && holds_interfaces(&i.state))
        })
    }

    /// The interface as the model's `NetworkInterface`.
    pub fn to_value(
        &self,
        ctx: &RequestContext,
        tags: &tags::Tags,
        group_names: &BTreeMap<String, String>,
        instances: &[Holder],
    ) -> Value {
        self.render(ctx, tags, group_names, self.live_attachment(instances))
    }

    /// As the model's `NetworkInterface`, with `attachment` as its live
    /// attachment.
    fn render(
        &self,
        ctx: &RequestContext,
        tags: &tags::Tags,
        group_names: &BTreeMap<String, String>,
        attachment: Option<&Attachment>,
    ) -> Value {
        let dns = private_dns(ctx, &self.private_ip);
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| json!({"GroupId": g, "GroupName": group_names.get(g).cloned().unwrap_or_default()}))
            .collect();
        let mut v = json!({
            "AvailabilityZone": self.az,
            "Description": self.description,
            "Groups": groups,
            "InterfaceType": self.interface_type,
            "Ipv6Addresses": [],
            "MacAddress": self.mac,
            "NetworkInterfaceId": self.id,
            "OwnerId": ctx.account_id,
            "PrivateDnsName": dns,
            "PrivateIpAddress": self.private_ip,
            "PrivateIpAddresses": [{"Primary": true, "PrivateDnsName": dns, "PrivateIpAddress": self.private_ip}],
            "RequesterManaged": self.requester_managed,
            "SourceDestCheck": self.source_dest_check,
            "Status": if attachment.is_some() || self.requester_managed { "in-use" } else { "available" },
            "SubnetId": self.subnet_id,
            "TagSet": network::tag_list(tags),
            "VpcId": self.vpc_id,
        });
        if self.requester_managed {
            v["RequesterId"] = json!("AROAEXAMPLEVPCENDPOINT");
        }
        if let Some(a) = attachment {
            v["Attachment"] = json!({
                "AttachTime": a.attach_time,
                "AttachmentId": a.id,
                "DeleteOnTermination": false,
                "DeviceIndex": a.device_index,
                "NetworkCardIndex": 0,
                "InstanceId": a.instance_id,
                "InstanceOwnerId": ctx.account_id,
                "Status": "attached",
            });
        }
        v
    }
}

fn private_dns(ctx: &RequestContext, ip: &str) -> String {
    let ip = ip.replace('.', "-");
    if ctx.region == "us-east-1" {
        format!("ip-{ip}.ec2.internal")
    } else {
        format!("ip-{ip}.{}.compute.internal", ctx.region)
    }
}

/// An instance's primary interface as the model's `NetworkInterface`.
fn primary_value(
    svc: &Ec2Service,
    ctx: &RequestContext,
    i: &Holder,
    tags: &tags::Tags,
) -> Option<Value> {
    let mut v = svc.primary_interface(ctx, &i.id)?;
    v["AvailabilityZone"] = json!(i.az);
    v["RequesterManaged"] = json!(false);
    v["TagSet"] = network::tag_list(tags);
    v["Attachment"]["InstanceId"] = json!(i.id);
    v["Attachment"]["InstanceOwnerId"] = json!(ctx.account_id);
    Some(v)
}

/// Adds the interfaces attached to each described instance (after its
/// primary one) to `DescribeInstances` reservations. Cheap when no
/// interface is attached: one range read.
pub fn add_attached(
    store: &Store,
    ctx: &RequestContext,
    reservations: &mut [Value],
) -> Result<(), AwsError> {
    let attached: Vec<NetworkInterface> = table(store)
        .scan_prefix(&prefix(ctx))?
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.attachment.is_some())
        .collect();
    if attached.is_empty() {
        return Ok(());
    }
    let names = group_names(store, ctx)?;
    for r in reservations.iter_mut() {
        for i in r["Instances"].as_array_mut().into_iter().flatten() {
            let Some(id) = i["InstanceId"].as_str().map(str::to_string) else {
                continue;
            };
            let state = i["State"]["Name"].as_str().unwrap_or_default().to_string();
            if !holds_interfaces(&state) {
                continue;
            }
            let mut mine: Vec<&NetworkInterface> = attached
                .iter()
                .filter(|e| e.attachment.as_ref().is_some_and(|a| a.instance_id == id))
                .collect();
            mine.sort_by_key(|e| e.attachment.as_ref().map(|a| a.device_index));
            for e in mine {
                // The instance is described in a state that holds its
                // interfaces, so the attachment is live.
                let mut v = e.render(ctx, &tags::Tags::new(), &names, e.attachment.as_ref());
                if let Some(o) = v.as_object_mut() {
                    for gone in [
                        "AvailabilityZone",
                        "TagSet",
                        "RequesterManaged",
                        "RequesterId",
                    ] {
                        o.remove(gone);
                    }
                }
                if let Some(a) = v["Attachment"].as_object_mut() {
                    a.remove("InstanceId");
                    a.remove("InstanceOwnerId");
                }
                if let Some(list) = i["NetworkInterfaces"].as_array_mut() {
                    list.push(v);
                }
            }
        }
    }
    Ok(())
}

/// Creates an interface in `s` inside a write transaction (also used by
/// interface VPC endpoints). `groups` must already be checked.
#[allow(clippy::too_many_arguments)]
pub fn create_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    s: &subnet::Subnet,
    wanted_ip: Option<&str>,
    groups: Vec<String>,
    description: &str,
    interface_type: &str,
) -> Result<NetworkInterface, AwsError> {
    let id = resource_id("eni");
    let ip = crate::vpc::addresses::take_private_ip(txn, store, ctx, s, wanted_ip, &id)?;
    let eni = NetworkInterface {
        id,
        subnet_id: s.id.clone(),
        vpc_id: s.vpc_id.clone(),
        az: s.az.clone(),
        private_ip: ip,
        description: description.to_string(),
        groups,
        source_dest_check: true,
        mac: crate::vpc::addresses::mac(),
        interface_type: interface_type.to_string(),
        requester_managed: interface_type == "vpc_endpoint",
        attachment: None,
    };
    txn.put(&table(store), &key(ctx, &eni.id), &eni)?;
    Ok(eni)
}

/// Deletes an interface inside a write transaction, giving its address
/// back (no checks: callers decide whether it may go).
pub fn delete_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    eni: &NetworkInterface,
) -> Result<(), AwsError> {
    crate::vpc::addresses::release_private_ip(txn, store, ctx, &eni.subnet_id, &eni.private_ip)?;
    txn.delete(&table(store), &key(ctx, &eni.id))?;
    tags::delete_in(txn, store, ctx, &eni.id)
}

/// Security group ids (checked to be in `vpc_id`), the VPC's default
/// group when none are given.
pub fn resolve_groups(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    vpc_id: &str,
    ids: &[String],
) -> Result<Vec<String>, AwsError> {
    Ok(
        crate::vpc::security_group::resolve_groups(txn, store, ctx, vpc_id, ids, &[])?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    )
}

fn group_names(store: &Store, ctx: &RequestContext) -> Result<BTreeMap<String, String>, AwsError> {
    Ok(security_group::table(store)
        .scan_prefix(&prefix(ctx))?
        .into_iter()
        .map(|(_, g)| (g.id, g.name))
        .collect())
}

/// Filters `DescribeNetworkInterfaces` accepts (besides tags).
const FILTERS: &[&str] = &[
    "network-interface-id",
    "subnet-id",
    "vpc-id",
    "status",
    "attachment.instance-id",
    "attachment.attachment-id",
    "attachment.device-index",
    "attachment.status",
    "private-ip-address",
    "addresses.private-ip-address",
    "availability-zone",
    "description",
    "group-id",
    "group-name",
    "interface-type",
    "mac-address",
    "owner-id",
    "requester-managed",
    "source-dest-check",
];

/// The filter values of `name` for a rendered interface.
fn field(v: &Value, name: &str) -> Vec<String> {
    let s = |p: &str| {
        v.pointer(p)
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .into_iter()
            .collect::<Vec<_>>()
    };
    match name {
        "network-interface-id" => s("/NetworkInterfaceId"),
        "subnet-id" => s("/SubnetId"),
        "vpc-id" => s("/VpcId"),
        "status" => s("/Status"),
        "attachment.instance-id" => s("/Attachment/InstanceId"),
        "attachment.attachment-id" => s("/Attachment/AttachmentId"),
        "attachment.device-index" => s("/Attachment/DeviceIndex"),
        "attachment.status" => s("/Attachment/Status"),
        "private-ip-address" | "addresses.private-ip-address" => s("/PrivateIpAddress"),
        "availability-zone" => s("/AvailabilityZone"),
        "description" => s("/Description"),
        "interface-type" => s("/InterfaceType"),
        "mac-address" => s("/MacAddress"),
        "owner-id" => s("/OwnerId"),
        "requester-managed" => s("/RequesterManaged"),
        "source-dest-check" => s("/SourceDestCheck"),
        "group-id" | "group-name" => {
            let member = if name == "group-id" {
                "GroupId"
            } else {
                "GroupName"
            };
            v["Groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| g[member].as_str().map(str::to_string))
                .collect()
        }
        _ => vec![],
    }
}

impl Ec2Service {
    /// `CreateNetworkInterface`: an interface in a subnet, with an address
    /// of its own (auto or `PrivateIpAddress`) and groups of the same VPC.
    pub(crate) fn create_network_interface(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unless_value(&input, "InterfaceType", "interface")?;
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &[
                "Ipv4Prefixes",
                "Ipv4PrefixCount",
                "Ipv6Prefixes",
                "Ipv6PrefixCount",
                "EnablePrimaryIpv6",
                "ConnectionTrackingSpecification",
                "Operator",
                "SecondaryPrivateIpAddressCount",
                "Ipv6AddressCount",
            ],
        )?;
        dry_run(&input)?;
        let subnet_id = required(&input, "SubnetId")?;
        let wanted = str_member(&input, "PrivateIpAddress").or_else(|| {
            input["PrivateIpAddresses"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["Primary"].as_bool() != Some(false))
                .and_then(|p| p["PrivateIpAddress"].as_str())
        });
        let ids = network::strings(&input, "Groups");
        let description = str_member(&input, "Description").unwrap_or_default();
        let tags = network::spec_tags(&input, "network-interface")?;
        let store = &self.store;
        let eni = store.write(|txn| {
            let s = txn
                .get(&subnet::table(store), &key(ctx, subnet_id))?
                .ok_or_else(|| subnet::not_found(subnet_id))?;
            let groups = resolve_groups(txn, store, ctx, &s.vpc_id, &ids)?;
            let eni = create_in(
                txn,
                store,
                ctx,
                &s,
                wanted,
                groups,
                description,
                "interface",
            )?;
            tags::put_in(txn, store, ctx, &eni.id, &tags)?;
            Ok::<_, AwsError>(eni)
        })?;
        let names = group_names(store, ctx)?;
        let mut out = json!({ "NetworkInterface": eni.to_value(ctx, &tags, &names, &[]) });
        if let Some(t) = str_member(&input, "ClientToken") {
            out["ClientToken"] = json!(t);
        }
        Ok(out)
    }

    /// `DescribeNetworkInterfaces`: stored interfaces and the instances'
    /// primary interfaces; ids, filters, pagination.
    pub(crate) fn describe_network_interfaces(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let ids = network::strings(&input, "NetworkInterfaceIds");
        let filters = filter::parse(&input);
        network::check_filters(&filters, FILTERS)?;
        let instances = self.holders(ctx)?;
        let names = group_names(&self.store, ctx)?;
        let mut all: Vec<(String, Value, tags::Tags)> = Vec::new();
        for (_, eni) in table(&self.store).scan_prefix(&prefix(ctx))? {
            let t = tags::get(&self.store, ctx, &eni.id)?;
            all.push((eni.id.clone(), eni.to_value(ctx, &t, &names, &instances), t));
        }
        for i in instances.iter().filter(|i| i.state != "terminated") {
            let t = tags::get(&self.store, ctx, &i.eni_id)?;
            if let Some(v) = primary_value(self, ctx, i, &t) {
                all.push((i.eni_id.clone(), v, t));
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(id) = ids.iter().find(|id| !all.iter().any(|(e, _, _)| e == *id)) {
            return Err(not_found(id));
        }
        let items = all
            .into_iter()
            .filter(|(id, _, _)| ids.is_empty() || ids.contains(id))
            .filter(|(_, v, t)| network::matches(&filters, t, |f| field(v, f)))
            .map(|(id, v, _)| (id, v))
            .collect();
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "NetworkInterfaces": page }),
            next,
        ))
    }

    /// `DescribeNetworkInterfaceAttribute`: one attribute of an interface.
    pub(crate) fn describe_network_interface_attribute(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = required(&input, "NetworkInterfaceId")?;
        let attr = required(&input, "Attribute")?;
        let all = self.describe_network_interfaces(ctx, json!({ "NetworkInterfaceIds": [id] }))?;
        let n = &all["NetworkInterfaces"][0];
        let mut out = json!({ "NetworkInterfaceId": id });
        match attr {
            "description" => out["Description"] = json!({"Value": n["Description"]}),
            "groupSet" => out["Groups"] = n["Groups"].clone(),
            "sourceDestCheck" => out["SourceDestCheck"] = json!({"Value": n["SourceDestCheck"]}),
            "attachment" => {
                if let Some(a) = n.get("Attachment") {
                    out["Attachment"] = a.clone();
                }
            }
            "associatePublicIpAddress" => {
                out["AssociatePublicIpAddress"] = json!(n.get("Association").is_some())
            }
            other => {
                return Err(network::invalid_value(format!(
                    "Value ({other}) for parameter attribute is invalid. Unknown attribute."
                )))
            }
        }
        Ok(out)
    }

    /// `DeleteNetworkInterface`: `InvalidNetworkInterface.InUse` while
    /// attached (an instance's primary interface always is, and so are a
    /// VPC endpoint's).
    pub(crate) fn delete_network_interface(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "NetworkInterfaceId")?;
        let store = &self.store;
        let now = ctx.clock.now_millis();
        store.write(|txn| {
            // The instances are read in this transaction: one terminating
            // or attaching concurrently is wholly before or after it.
            let instances = self.holders_in(txn, ctx, now)?;
            if instances
                .iter()
                .any(|i| i.eni_id == id && i.state != "terminated")
            {
                return Err(in_use(id));
            }
            let eni = txn
                .get(&table(store), &key(ctx, id))?
                .ok_or_else(|| not_found(id))?;
            if eni.requester_managed || eni.live_attachment(&instances).is_some() {
                return Err(in_use(id));
            }
            delete_in(txn, store, ctx, &eni)
        })?;
        Ok(json!({}))
    }

    /// `AttachNetworkInterface`: to a running or stopped instance in the
    /// interface's AZ and VPC, at a free device index other than 0.
    pub(crate) fn attach_network_interface(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["EnaSrdSpecification", "EnaQueueCount"],
        )?;
        crate::common::unsupported::refuse_unless_value(&input, "NetworkCardIndex", "0")?;
        dry_run(&input)?;
        let id = required(&input, "NetworkInterfaceId")?;
        let instance_id = required(&input, "InstanceId")?;
        let index = input["DeviceIndex"]
            .as_i64()
            .ok_or_else(|| network::missing("DeviceIndex"))?;
        let store = &self.store;
        let now = ctx.clock.now_millis();
        let attachment_id = store.write(|txn| {
            let k = key(ctx, id);
            let mut eni = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            // Validated in the transaction that writes the attachment, so
            // a TerminateInstances cannot slip between check and write.
            let instances = self.holders_in(txn, ctx, now)?;
            let i = instances
                .iter()
                .find(|i| i.id == instance_id)
                .ok_or_else(|| self.no_such_instance(instance_id))?;
            check_attach(
                &eni,
                i,
                index,
                &instances,
                &txn.scan_prefix(&table(store), &prefix(ctx))?,
            )?;
            let a = Attachment {
                id: resource_id("eni-attach"),
                instance_id: i.id.clone(),
                device_index: index,
                attach_time: ctx.clock.now_millis() / 1000,
            };
            eni.attachment = Some(a.clone());
            txn.put(&table(store), &k, &eni)?;
            Ok::<_, AwsError>(a.id)
        })?;
        Ok(json!({"AttachmentId": attachment_id, "NetworkCardIndex": 0}))
    }

    /// `DetachNetworkInterface`: the primary interface (device index 0)
    /// stays.
    pub(crate) fn detach_network_interface(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let attachment_id = required(&input, "AttachmentId")?;
        let instances = self.holders(ctx)?;
        if instances.iter().any(|i| {
            i.state != "terminated" && attachment_id == format!("eni-attach-{}", &i.eni_id[4..])
        }) {
            return Err(AwsError::from(Ec2Error::OperationNotPermitted {
                message: "The network interface at device index 0 cannot be detached.".into(),
            }));
        }
        let store = &self.store;
        store.write(|txn| {
            for (k, mut eni) in txn.scan_prefix(&table(store), &prefix(ctx))? {
                if eni
                    .live_attachment(&instances)
                    .is_some_and(|a| a.id == attachment_id)
                {
                    eni.attachment = None;
                    txn.put(&table(store), &k, &eni)?;
                    return Ok(());
                }
            }
            Err(AwsError::from(Ec2Error::InvalidAttachmentIdNotFound {
                id: (attachment_id).to_string(),
            }))
        })?;
        Ok(json!({}))
    }

    /// `ModifyNetworkInterfaceAttribute`: one of `Description`, `Groups`,
    /// `SourceDestCheck` per call. An instance's primary interface takes
    /// `Groups` (they are the instance's groups).
    pub(crate) fn modify_network_interface_attribute(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(
            &input,
            &["EnaSrdSpecification", "AssociatedSubnetIds"],
        )?;
        dry_run(&input)?;
        let id = required(&input, "NetworkInterfaceId")?;
        let description = input["Description"]["Value"].as_str();
        let check = network::attribute_bool(&input, "SourceDestCheck");
        let groups = input
            .get("Groups")
            .map(|_| network::strings(&input, "Groups"));
        let given = usize::from(description.is_some())
            + usize::from(check.is_some())
            + usize::from(groups.is_some());
        if given != 1 {
            return Err(AwsError::from(Ec2Error::InvalidParameterCombination { message: "Fields for multiple attribute types specified: description, sourceDestCheck, groupSet".into() }));
        }
        if groups.as_ref().is_some_and(Vec::is_empty) {
            return Err(network::missing("GroupId"));
        }
        let store = &self.store;
        let primary = self
            .holders(ctx)?
            .into_iter()
            .find(|i| i.eni_id == id && i.state != "terminated");
        if let Some(i) = primary {
            let Some(g) = groups else {
                return Err(network::invalid_value(format!(
                    "Only the security groups of the primary network interface '{id}' of instance {} can be modified.",
                    i.id
                )));
            };
            return self.set_primary_groups(ctx, &i.id, &g);
        }
        store.write(|txn| {
            let k = key(ctx, id);
            let mut eni = txn.get(&table(store), &k)?.ok_or_else(|| not_found(id))?;
            if let Some(d) = description {
                eni.description = d.to_string();
            }
            if let Some(c) = check {
                eni.source_dest_check = c;
            }
            if let Some(g) = &groups {
                eni.groups = resolve_groups(txn, store, ctx, &eni.vpc_id, g)?;
            }
            txn.put(&table(store), &k, &eni)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }
}

/// The rules of `AttachNetworkInterface`: the interface is free, the
/// instance is running or stopped, in the interface's VPC and AZ, and the
/// device index is free (0 is the primary interface's).
pub fn check_attach(
    eni: &NetworkInterface,
    i: &Holder,
    index: i64,
    instances: &[Holder],
    all: &[(String, NetworkInterface)],
) -> Result<(), AwsError> {
    if eni.requester_managed || eni.live_attachment(instances).is_some() {
        return Err(in_use(&eni.id));
    }
    if !matches!(i.state.as_str(), "running" | "stopped") {
        return Err(AwsError::from(Ec2Error::IncorrectInstanceState {
            message: format!(
                "The instance '{}' is not in a valid state for this operation.",
                i.id
            ),
        }));
    }
    if i.vpc_id != eni.vpc_id {
        return Err(AwsError::from(Ec2Error::InvalidParameterCombination { message: "You may not attach a network interface to an instance if they are not in the same VPC".into() }));
    }
    if i.az != eni.az {
        return Err(AwsError::from(Ec2Error::InvalidParameterCombination { message: "You may not attach a network interface to an instance if they are not in the same availability zone".into() }));
    }
    if index < 0 {
        return Err(network::invalid_value(format!(
            "Value ({index}) for parameter deviceIndex is invalid."
        )));
    }
    let taken = index == 0
        || all.iter().any(|(_, e)| {
            e.live_attachment(instances)
                .is_some_and(|a| a.instance_id == i.id && a.device_index == index)
        });
    if taken {
        return Err(network::invalid_value(format!(
            "Instance '{}' already has an interface attached at device index '{index}'.",
            i.id
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "network_interfaces_tests.rs"]
mod tests;
