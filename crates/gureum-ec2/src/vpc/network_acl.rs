//! Network ACLs: `DescribeNetworkAcls`, `CreateNetworkAcl`,
//! `DeleteNetworkAcl`, `CreateNetworkAclEntry`, `ReplaceNetworkAclEntry`,
//! `DeleteNetworkAclEntry`, `ReplaceNetworkAclAssociation`.
//!
//! The records live in [`crate::vpc::vpcs`] (each VPC's default ACL allows all,
//! rule 100, before the final `*` deny; a new ACL has only the `*` rules,
//! so it denies all). Every subnet is in exactly one ACL: the ACL that
//! names it in its explicit associations, else its VPC's default ACL,
//! under an implicit association id derived from the subnet id (stable, so
//! `ReplaceNetworkAclAssociation` can name it).

use crate::common::cidr::Cidr;
use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, required, str_member};
use crate::vpc::subnet::{self, Subnet};
use crate::vpc::vpcs::{self, AclAssociation, AclEntry, NetworkAcl};
use crate::{common::filter, common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, WriteTxn};
use serde_json::json;

/// The rule number of the final `*` rule.
pub const LAST_RULE: i64 = 32767;

/// `InvalidNetworkAclID.NotFound`.
pub fn not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidNetworkAclIdNotFound {
        id: (id).to_string(),
    })
}

/// The implicit association id of a subnet with its VPC's default ACL.
pub fn implicit_association_id(subnet_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in subnet_id.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("aclassoc-0{h:016x}")
}

/// Every association of each ACL of the region: explicit ones, and the
/// implicit ones of subnets no ACL names (on their VPC's default ACL).
fn associations(acls: &[NetworkAcl], subnets: &[Subnet]) -> Vec<(String, AclAssociation)> {
    let mut out = Vec::new();
    for s in subnets {
        let explicit = acls.iter().find_map(|a| {
            a.associations
                .iter()
                .find(|x| x.subnet_id == s.id)
                .map(|x| (a.id.clone(), x.clone()))
        });
        match explicit {
            Some(e) => out.push(e),
            None => {
                if let Some(d) = acls.iter().find(|a| a.is_default && a.vpc_id == s.vpc_id) {
                    out.push((
                        d.id.clone(),
                        AclAssociation {
                            id: implicit_association_id(&s.id),
                            subnet_id: s.id.clone(),
                        },
                    ));
                }
            }
        }
    }
    out
}

fn protocol_name(p: &str) -> Result<String, AwsError> {
    let n = match p.to_ascii_lowercase().as_str() {
        "all" | "-1" => "-1".to_string(),
        "tcp" => "6".into(),
        "udp" => "17".into(),
        "icmp" => "1".into(),
        "icmpv6" => "58".into(),
        other => match other.parse::<i64>() {
            Ok(n) if (0..=255).contains(&n) => n.to_string(),
            _ => {
                return Err(network::invalid_value(format!(
                    "Invalid value '{p}' for protocol. Must be an IP protocol number or one of tcp, udp, icmp, all."
                )))
            }
        },
    };
    Ok(n)
}

fn entry_value(e: &AclEntry) -> Value {
    let mut v = json!({
        "CidrBlock": e.cidr,
        "Egress": e.egress,
        "Protocol": e.protocol,
        "RuleAction": e.action,
        "RuleNumber": e.rule_number,
    });
    if let Some((from, to)) = e.port_range {
        v["PortRange"] = json!({"From": from, "To": to});
    }
    if let Some((t, c)) = e.icmp {
        v["IcmpTypeCode"] = json!({"Type": t, "Code": c});
    }
    v
}

fn acl_value(
    ctx: &RequestContext,
    a: &NetworkAcl,
    assocs: &[(String, AclAssociation)],
    tags: &tags::Tags,
) -> Value {
    let mut entries = a.entries.clone();
    entries.sort_by_key(|e| (e.egress, e.rule_number));
    json!({
        "Associations": assocs
            .iter()
            .filter(|(acl, _)| acl == &a.id)
            .map(|(_, x)| json!({
                "NetworkAclAssociationId": x.id,
                "NetworkAclId": a.id,
                "SubnetId": x.subnet_id,
            }))
            .collect::<Vec<_>>(),
        "Entries": entries.iter().map(entry_value).collect::<Vec<_>>(),
        "IsDefault": a.is_default,
        "NetworkAclId": a.id,
        "Tags": network::tag_list(tags),
        "VpcId": a.vpc_id,
        "OwnerId": ctx.account_id,
    })
}

/// Reads and checks an entry of `CreateNetworkAclEntry` /
/// `ReplaceNetworkAclEntry`.
fn entry_from(input: &Value) -> Result<AclEntry, AwsError> {
    let n = input
        .get("RuleNumber")
        .and_then(Value::as_i64)
        .ok_or_else(|| network::missing("RuleNumber"))?;
    if !(1..=32766).contains(&n) {
        return Err(network::invalid_value(format!(
            "Value ({n}) for parameter ruleNumber is invalid. The rule number must be between 1 and 32766."
        )));
    }
    let protocol = protocol_name(required(input, "Protocol")?)?;
    let action = required(input, "RuleAction")?;
    if !matches!(action, "allow" | "deny") {
        return Err(network::invalid_value(format!(
            "Value ({action}) for parameter ruleAction is invalid."
        )));
    }
    let cidr_text = match str_member(input, "CidrBlock") {
        Some(c) => c,
        None if input.get("Ipv6CidrBlock").is_some() => {
            return Err(network::invalid_value(
                "IPv6 network ACL entries are not supported by Gureum yet.",
            ))
        }
        None => return Err(network::missing("CidrBlock")),
    };
    let cidr = Cidr::parse(cidr_text).map_err(|_| {
        network::invalid_value(format!(
            "Value ({cidr_text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    let port_range = match protocol.as_str() {
        "6" | "17" => {
            let pr = input
                .get("PortRange")
                .ok_or_else(|| network::missing("PortRange"))?;
            let from = pr.get("From").and_then(Value::as_i64).unwrap_or(0);
            let to = pr.get("To").and_then(Value::as_i64).unwrap_or(65535);
            if !(0..=65535).contains(&from) || !(0..=65535).contains(&to) || from > to {
                return Err(network::invalid_value(format!(
                    "Invalid port range: {from}-{to}"
                )));
            }
            Some((from, to))
        }
        _ => None,
    };
    let icmp = match protocol.as_str() {
        "1" => {
            let t = input.get("IcmpTypeCode");
            Some((
                t.and_then(|t| t.get("Type"))
                    .and_then(Value::as_i64)
                    .unwrap_or(-1),
                t.and_then(|t| t.get("Code"))
                    .and_then(Value::as_i64)
                    .unwrap_or(-1),
            ))
        }
        _ => None,
    };
    Ok(AclEntry {
        rule_number: n,
        protocol,
        action: action.to_string(),
        egress: input.get("Egress").and_then(Value::as_bool) == Some(true),
        cidr: cidr.to_string(),
        port_range,
        icmp,
    })
}

fn load(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
) -> Result<(String, NetworkAcl), AwsError> {
    let k = key(ctx, id);
    let a = txn
        .get(&vpcs::acl_table(store), &k)?
        .ok_or_else(|| not_found(id))?;
    Ok((k, a))
}

fn entry_missing(n: i64, egress: bool) -> AwsError {
    AwsError::from(Ec2Error::InvalidNetworkAclEntryNotFound {
        message: format!(
            "The network acl entry identified by {n} ({}) does not exist.",
            if egress { "egress" } else { "ingress" }
        ),
    })
}

impl Ec2Service {
    /// `DescribeNetworkAcls`: `NetworkAclIds`, filters, pagination.
    pub(crate) fn describe_network_acls(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "NetworkAclIds");
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "network-acl-id",
                "vpc-id",
                "default",
                "owner-id",
                "association.association-id",
                "association.network-acl-id",
                "association.subnet-id",
                "entry.cidr",
                "entry.egress",
                "entry.protocol",
                "entry.rule-action",
                "entry.rule-number",
                "entry.port-range.from",
                "entry.port-range.to",
            ],
        )?;
        let acls: Vec<NetworkAcl> = vpcs::acl_table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let subnets: Vec<Subnet> = subnet::table(&self.store)
            .scan_prefix(&prefix(ctx))?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        let assocs = associations(&acls, &subnets);
        for id in &ids {
            if !acls.iter().any(|a| &a.id == id) {
                return Err(not_found(id));
            }
        }
        let mut items = Vec::new();
        for a in &acls {
            if !ids.is_empty() && !ids.contains(&a.id) {
                continue;
            }
            let t = tags::get(&self.store, ctx, &a.id)?;
            let mine: Vec<&AclAssociation> = assocs
                .iter()
                .filter(|(acl, _)| acl == &a.id)
                .map(|(_, x)| x)
                .collect();
            let entries = |f: fn(&AclEntry) -> Option<String>| -> Vec<String> {
                a.entries.iter().filter_map(f).collect()
            };
            let keep = network::matches(&filters, &t, |f| match f {
                "network-acl-id" => vec![a.id.clone()],
                "vpc-id" => vec![a.vpc_id.clone()],
                "default" => vec![network::bool_text(a.is_default)],
                "owner-id" => vec![ctx.account_id.clone()],
                "association.association-id" => mine.iter().map(|x| x.id.clone()).collect(),
                "association.network-acl-id" if !mine.is_empty() => vec![a.id.clone()],
                "association.subnet-id" => mine.iter().map(|x| x.subnet_id.clone()).collect(),
                "entry.cidr" => entries(|e| Some(e.cidr.clone())),
                "entry.egress" => entries(|e| Some(network::bool_text(e.egress))),
                "entry.protocol" => entries(|e| Some(e.protocol.clone())),
                "entry.rule-action" => entries(|e| Some(e.action.clone())),
                "entry.rule-number" => entries(|e| Some(e.rule_number.to_string())),
                "entry.port-range.from" => entries(|e| e.port_range.map(|p| p.0.to_string())),
                "entry.port-range.to" => entries(|e| e.port_range.map(|p| p.1.to_string())),
                _ => vec![],
            });
            if keep {
                items.push((a.id.clone(), acl_value(ctx, a, &assocs, &t)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "NetworkAcls": page }), next))
    }

    /// `CreateNetworkAcl`: a new ACL denies everything (only the `*` rules).
    pub(crate) fn create_network_acl(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let vpc_id = required(&input, "VpcId")?;
        let tags = network::spec_tags(&input, "network-acl")?;
        let store = &self.store;
        let acl = store.write(|txn| {
            if txn.get(&vpcs::table(store), &key(ctx, vpc_id))?.is_none() {
                return Err(vpcs::not_found(vpc_id));
            }
            let acl = NetworkAcl {
                id: resource_id("acl"),
                vpc_id: vpc_id.to_string(),
                is_default: false,
                entries: [false, true]
                    .into_iter()
                    .map(|egress| AclEntry {
                        rule_number: LAST_RULE,
                        protocol: "-1".into(),
                        action: "deny".into(),
                        egress,
                        cidr: "0.0.0.0/0".into(),
                        port_range: None,
                        icmp: None,
                    })
                    .collect(),
                associations: Vec::new(),
            };
            txn.put(&vpcs::acl_table(store), &key(ctx, &acl.id), &acl)?;
            tags::put_in(txn, store, ctx, &acl.id, &tags)?;
            Ok::<_, AwsError>(acl)
        })?;
        let mut out = json!({ "NetworkAcl": acl_value(ctx, &acl, &[], &tags) });
        if let Some(t) = str_member(&input, "ClientToken") {
            out["ClientToken"] = json!(t);
        }
        Ok(out)
    }

    /// `DeleteNetworkAcl`: not the default ACL, not while associated.
    pub(crate) fn delete_network_acl(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "NetworkAclId")?;
        let store = &self.store;
        store.write(|txn| {
            let (k, a) = load(txn, store, ctx, id)?;
            if a.is_default {
                return Err(network::invalid_value(format!(
                    "cannot delete default network ACL {id}"
                )));
            }
            if !a.associations.is_empty() {
                return Err(AwsError::from(Ec2Error::DependencyViolation {
                    message: format!(
                        "The networkAcl '{id}' has dependencies and cannot be deleted."
                    ),
                }));
            }
            txn.delete(&vpcs::acl_table(store), &k)?;
            tags::delete_in(txn, store, ctx, id)
        })?;
        Ok(json!({}))
    }

    /// `CreateNetworkAclEntry`: rule numbers 1–32766, one per direction.
    pub(crate) fn create_network_acl_entry(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "NetworkAclId")?;
        let e = entry_from(&input)?;
        let store = &self.store;
        store.write(|txn| {
            let (k, mut a) = load(txn, store, ctx, id)?;
            if a.entries
                .iter()
                .any(|x| x.rule_number == e.rule_number && x.egress == e.egress)
            {
                return Err(AwsError::from(Ec2Error::NetworkAclEntryAlreadyExists {
                    message: format!(
                        "The network acl entry identified by {} already exists.",
                        e.rule_number
                    ),
                }));
            }
            a.entries.push(e.clone());
            txn.put(&vpcs::acl_table(store), &k, &a)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `ReplaceNetworkAclEntry`: the entry must exist.
    pub(crate) fn replace_network_acl_entry(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "NetworkAclId")?;
        let e = entry_from(&input)?;
        let store = &self.store;
        store.write(|txn| {
            let (k, mut a) = load(txn, store, ctx, id)?;
            let slot = a
                .entries
                .iter_mut()
                .find(|x| x.rule_number == e.rule_number && x.egress == e.egress)
                .ok_or_else(|| entry_missing(e.rule_number, e.egress))?;
            *slot = e.clone();
            txn.put(&vpcs::acl_table(store), &k, &a)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteNetworkAclEntry`: not the `*` rule.
    pub(crate) fn delete_network_acl_entry(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let id = required(&input, "NetworkAclId")?;
        let n = input
            .get("RuleNumber")
            .and_then(Value::as_i64)
            .ok_or_else(|| network::missing("RuleNumber"))?;
        let egress = input.get("Egress").and_then(Value::as_bool) == Some(true);
        if !(1..=32766).contains(&n) {
            return Err(network::invalid_value(format!(
                "Value ({n}) for parameter ruleNumber is invalid. The rule number must be between 1 and 32766."
            )));
        }
        let store = &self.store;
        store.write(|txn| {
            let (k, mut a) = load(txn, store, ctx, id)?;
            let before = a.entries.len();
            a.entries
                .retain(|x| !(x.rule_number == n && x.egress == egress));
            if a.entries.len() == before {
                return Err(entry_missing(n, egress));
            }
            txn.put(&vpcs::acl_table(store), &k, &a)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `ReplaceNetworkAclAssociation`: moves a subnet to another ACL of its
    /// VPC under a new association id.
    pub(crate) fn replace_network_acl_association(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let assoc_id = required(&input, "AssociationId")?;
        let acl_id = required(&input, "NetworkAclId")?;
        let store = &self.store;
        let new_id = store.write(|txn| {
            let table = vpcs::acl_table(store);
            let all = txn.scan_prefix(&table, &prefix(ctx))?;
            let acls: Vec<NetworkAcl> = all.iter().map(|(_, a)| a.clone()).collect();
            let subnets: Vec<Subnet> = txn
                .scan_prefix(&subnet::table(store), &prefix(ctx))?
                .into_iter()
                .map(|(_, s)| s)
                .collect();
            let (old_acl, assoc) = associations(&acls, &subnets)
                .into_iter()
                .find(|(_, x)| x.id == assoc_id)
                .ok_or_else(|| {
                    AwsError::from(Ec2Error::InvalidAssociationIdNotFound {
                        id: (assoc_id).to_string(),
                    })
                })?;
            let (new_key, _) = load(txn, store, ctx, acl_id)?;
            let target = acls
                .iter()
                .find(|a| a.id == acl_id)
                .cloned()
                .ok_or_else(|| not_found(acl_id))?;
            let sub_vpc = subnets
                .iter()
                .find(|s| s.id == assoc.subnet_id)
                .map(|s| s.vpc_id.clone())
                .unwrap_or_default();
            if target.vpc_id != sub_vpc {
                return Err(network::invalid_value(format!(
                    "Network ACL {acl_id} and subnet {} belong to different networks",
                    assoc.subnet_id
                )));
            }
            if let Some((k, mut old)) = all.into_iter().find(|(_, a)| a.id == old_acl) {
                old.associations.retain(|x| x.id != assoc_id);
                txn.put(&table, &k, &old)?;
            }
            let mut target = txn
                .get(&table, &new_key)?
                .ok_or_else(|| not_found(acl_id))?;
            let a = AclAssociation {
                id: resource_id("aclassoc"),
                subnet_id: assoc.subnet_id,
            };
            target.associations.push(a.clone());
            txn.put(&table, &new_key, &target)?;
            Ok::<_, AwsError>(a.id)
        })?;
        Ok(json!({ "NewAssociationId": new_id }))
    }
}
