//! EC2 tags: one shared store keyed by resource id, used by every resource
//! family (`CreateTags`, `DeleteTags`, `DescribeTags`, and the
//! `TagSpecifications` of create operations).
//!
//! Table `ec2.tags`, key `{account}/{region}/{resource-id}`, value the
//! resource's tags. The resource type is read from the id's prefix.

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, invalid_value, key, prefix, strings};
use crate::{common::filter, Ec2Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde_json::json;
use std::collections::BTreeMap;

/// A resource's tags, by key.
pub type Tags = BTreeMap<String, String>;

/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// The tag table.
pub fn table(store: &Store) -> Table<Tags> {
    store.table("ec2.tags")
}

/// The resource type (`vpc`, `security-group`, …) of an id, from its prefix.
pub fn resource_type(id: &str) -> Option<&'static str> {
    let (p, rest) = id.rsplit_once('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(match p {
        "vpc" => "vpc",
        "subnet" => "subnet",
        "igw" => "internet-gateway",
        "rtb" => "route-table",
        "sg" => "security-group",
        "sgr" => "security-group-rule",
        "acl" => "network-acl",
        "dopt" => "dhcp-options",
        "i" => "instance",
        "ami" => "image",
        "vol" => "volume",
        "snap" => "snapshot",
        "eni" => "network-interface",
        "nat" => "natgateway",
        "eipalloc" => "elastic-ip",
        "lt" => "launch-template",
        "key" => "key-pair",
        "pcx" => "vpc-peering-connection",
        "vpce" => "vpc-endpoint",
        "tgw" => "transit-gateway",
        "eigw" => "egress-only-internet-gateway",
        "pl" => "prefix-list",
        "fl" => "vpc-flow-log",
        "tgw-attach" => "transit-gateway-attachment",
        "vgw" => "vpn-gateway",
        "cgw" => "customer-gateway",
        "vpn" => "vpn-connection",
        _ => return None,
    })
}

/// Refuses tag keys and values outside EC2's limits.
pub fn check_tag(k: &str, v: &str) -> Result<(), AwsError> {
    if k.is_empty() {
        return Err(invalid_value("Tag key must not be empty"));
    }
    if k.chars().count() > 127 {
        return Err(invalid_value(format!(
            "Tag key exceeds the maximum length of 127 characters: {k}"
        )));
    }
    if v.chars().count() > 255 {
        return Err(invalid_value(format!(
            "Tag value exceeds the maximum length of 255 characters: {v}"
        )));
    }
    if k.to_ascii_lowercase().starts_with("aws:") {
        return Err(invalid_value(format!(
            "Tag keys starting with 'aws:' are reserved for internal use: {k}"
        )));
    }
    Ok(())
}

/// A resource's tags (empty when none).
pub fn get(store: &Store, ctx: &RequestContext, id: &str) -> Result<Tags, AwsError> {
    Ok(table(store).get(&key(ctx, id))?.unwrap_or_default())
}

/// Sets a new resource's tags inside a write transaction.
pub fn put_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
    tags: &Tags,
) -> Result<(), AwsError> {
    if tags.len() > MAX_TAGS {
        return Err(AwsError::from(Ec2Error::TagLimitExceeded {
            message: format!("The maximum number of tags ({MAX_TAGS}) has been exceeded."),
        }));
    }
    if !tags.is_empty() {
        txn.put(&table(store), &key(ctx, id), tags)?;
    }
    Ok(())
}

/// Removes a deleted resource's tags inside a write transaction.
pub fn delete_in(
    txn: &mut WriteTxn,
    store: &Store,
    ctx: &RequestContext,
    id: &str,
) -> Result<(), AwsError> {
    txn.delete(&table(store), &key(ctx, id))?;
    Ok(())
}

/// Whether a resource the VPC family models exists; `None` for ids of
/// resources it does not model (those are tagged without a check).
fn exists(txn: &WriteTxn, svc: &Ec2Service, ctx: &RequestContext, id: &str) -> Option<bool> {
    let k = key(ctx, id);
    let s = &svc.store;
    let found = match resource_type(id)? {
        "vpc" => txn.get(&crate::vpc::vpcs::table(s), &k).ok()?.is_some(),
        "subnet" => txn.get(&crate::vpc::subnet::table(s), &k).ok()?.is_some(),
        "internet-gateway" => txn
            .get(&crate::vpc::internet_gateway::table(s), &k)
            .ok()?
            .is_some(),
        "route-table" => txn
            .get(&crate::vpc::route_table::table(s), &k)
            .ok()?
            .is_some(),
        "security-group" => txn
            .get(&crate::vpc::security_group::table(s), &k)
            .ok()?
            .is_some(),
        "network-acl" => txn.get(&crate::vpc::vpcs::acl_table(s), &k).ok()?.is_some(),
        "instance" => txn
            .get(&crate::compute::instances::table(s), &k)
            .ok()?
            .is_some(),
        "volume" => txn.get(&crate::ebs::volumes::table(s), &k).ok()?.is_some(),
        "snapshot" => crate::ebs::snapshots::find_in(txn, s, ctx, id)
            .ok()?
            .is_some(),
        "image" => crate::images::amis::usable(txn, s, ctx, &ctx.region, id).is_ok(),
        "natgateway" => txn
            .get(&crate::vpc::nat_gateway::table(s), &k)
            .ok()?
            .is_some(),
        "elastic-ip" => txn
            .get(&crate::vpc::elastic_ips::table(s), &k)
            .ok()?
            .is_some(),
        "launch-template" => txn
            .get(&crate::compute::launch_templates::table(s), &k)
            .ok()?
            .is_some(),
        other => return crate::vpc::records::exists_for_tags(txn, s, ctx, Some(other), id),
    };
    Some(found)
}

fn not_found_for(id: &str) -> AwsError {
    let rtype = resource_type(id);
    let id = id.to_string();
    match rtype {
        Some("vpc") => Ec2Error::InvalidVpcIdNotFound { id },
        Some("subnet") => Ec2Error::InvalidSubnetIdNotFound { id },
        Some("internet-gateway") => Ec2Error::InvalidInternetGatewayIdNotFound { id },
        Some("route-table") => Ec2Error::InvalidRouteTableIdNotFound { id },
        Some("security-group") => Ec2Error::InvalidGroupNotFound {
            message: format!("The security group '{id}' does not exist"),
        },
        Some("network-acl") => Ec2Error::InvalidNetworkAclIdNotFound { id },
        Some("instance") => return crate::compute::instances::not_found(&[&id]),
        Some("volume") => return crate::ebs::volumes::not_found(&id),
        Some("snapshot") => return crate::ebs::snapshots::not_found(&id),
        Some("image") => return crate::images::amis::not_found(&id),
        Some("natgateway") => return crate::vpc::nat_gateway::not_found(&id),
        Some("elastic-ip") => Ec2Error::InvalidAllocationIdNotFound { id },
        Some("launch-template") => Ec2Error::InvalidLaunchTemplateIdNotFound { id },
        other => match crate::vpc::records::not_found_for_tags(other, &id) {
            Some(e) => return e,
            None => Ec2Error::InvalidId { id },
        },
    }
    .into()
}

fn input_tags(input: &Value) -> Vec<(String, Option<String>)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| {
            (
                network::str_member(t, "Key")
                    .unwrap_or_default()
                    .to_string(),
                network::str_member(t, "Value").map(str::to_string),
            )
        })
        .collect()
}

fn resources(input: &Value) -> Result<Vec<String>, AwsError> {
    let ids = strings(input, "Resources");
    if ids.is_empty() {
        return Err(network::missing("ResourceId"));
    }
    for id in &ids {
        if resource_type(id).is_none() {
            return Err(AwsError::from(Ec2Error::InvalidId { id: id.to_string() }));
        }
    }
    Ok(ids)
}

impl Ec2Service {
    /// `CreateTags`: adds or overwrites tags on resources.
    pub(crate) fn create_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = resources(&input)?;
        let tags = input_tags(&input);
        for (k, v) in &tags {
            check_tag(k, v.as_deref().unwrap_or_default())?;
        }
        let table = table(&self.store);
        self.store.write(|txn| {
            for id in &ids {
                if exists(txn, self, ctx, id) == Some(false) {
                    return Err(not_found_for(id));
                }
                let k = key(ctx, id);
                let mut have = txn.get(&table, &k)?.unwrap_or_default();
                for (tk, tv) in &tags {
                    have.insert(tk.clone(), tv.clone().unwrap_or_default());
                }
                if have.len() > MAX_TAGS {
                    return Err(AwsError::from(Ec2Error::TagLimitExceeded {
                        message: format!(
                            "The maximum number of tags ({MAX_TAGS}) has been exceeded."
                        ),
                    }));
                }
                txn.put(&table, &k, &have)?;
            }
            Ok::<_, AwsError>(())
        })?;
        crate::compute::instances::tags_changed(self, ctx, &ids);
        Ok(json!({}))
    }

    /// `DeleteTags`: removes tags (all of them when no `Tags` are given; a
    /// tag with a value only when the value matches).
    pub(crate) fn delete_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let ids = resources(&input)?;
        let tags = input_tags(&input);
        let all = input.get("Tags").is_none();
        let table = table(&self.store);
        self.store.write(|txn| {
            for id in &ids {
                let k = key(ctx, id);
                let mut have = txn.get(&table, &k)?.unwrap_or_default();
                if all {
                    have.clear();
                }
                for (tk, tv) in &tags {
                    if tv.as_ref().is_none_or(|v| have.get(tk) == Some(v)) {
                        have.remove(tk);
                    }
                }
                if have.is_empty() {
                    txn.delete(&table, &k)?;
                } else {
                    txn.put(&table, &k, &have)?;
                }
            }
            Ok::<_, AwsError>(())
        })?;
        crate::compute::instances::tags_changed(self, ctx, &ids);
        Ok(json!({}))
    }

    /// `DescribeTags`: filters `resource-id`, `resource-type`, `key`,
    /// `value`, paginated.
    pub(crate) fn describe_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let filters = filter::parse(&input);
        filter::check_names(&filters, &["resource-id", "resource-type", "key", "value"])?;
        let base = prefix(ctx);
        let mut items = Vec::new();
        for (k, tags) in table(&self.store).scan_prefix(&base)? {
            let id = &k[base.len()..];
            let rt = resource_type(id).unwrap_or_default();
            for (tk, tv) in tags {
                let keep = filter::matches(&filters, |f| match f {
                    "resource-id" => vec![id],
                    "resource-type" => vec![rt],
                    "key" => vec![tk.as_str()],
                    "value" => vec![tv.as_str()],
                    _ => vec![],
                });
                if keep {
                    // Token: resource id and key, joined by a tab (ids and
                    // keys never hold one… keys may, but sort the same way).
                    items.push((
                        format!("{id}\t{tk}"),
                        json!({"ResourceId": id, "ResourceType": rt, "Key": tk, "Value": tv}),
                    ));
                }
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(json!({ "Tags": page }), next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_come_from_id_prefixes() {
        assert_eq!(resource_type("vpc-0123abcd"), Some("vpc"));
        assert_eq!(resource_type("sg-0123abcd"), Some("security-group"));
        assert_eq!(resource_type("igw-0123abcd"), Some("internet-gateway"));
        assert_eq!(resource_type("vpc"), None);
        assert_eq!(resource_type("nope-xyz"), None);
    }

    #[test]
    fn reserved_tag_keys_are_refused() {
        assert!(check_tag("aws:cloudformation", "x").is_err());
        assert!(check_tag("", "x").is_err());
        assert!(check_tag("Name", "web").is_ok());
    }
}
