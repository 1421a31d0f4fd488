//! Hosted zones: create (with their SOA and NS), get, list, delete, the
//! comment, and private zones' VPC associations.

use crate::errors::Route53Error;
use crate::names;
use crate::{invalid, zone_id, Route53Service, VpcRef, Zone};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde_json::json;

/// The TTL of a zone's NS record, as Route 53 creates it.
pub const NS_TTL: u64 = 172_800;
/// The TTL of a zone's SOA record.
pub const SOA_TTL: u64 = 900;
/// The SOA's fields after the two names: serial, refresh, retry, expire,
/// negative-caching TTL (Route 53's defaults).
pub const SOA_TAIL: &str = "1 7200 900 1209600 86400";
/// A private zone's name servers (Route 53 answers these fixed ones).
const PRIVATE_NAME_SERVERS: [&str; 4] = [
    "ns-1536.awsdns-00.co.uk.",
    "ns-0.awsdns-00.com.",
    "ns-1024.awsdns-00.org.",
    "ns-512.awsdns-00.net.",
];

/// Four name servers shaped as Route 53's delegation sets are: one per
/// top-level domain, each TLD owning a quarter of the `ns-N` numbers.
fn delegation_name_servers() -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    [("com", 0), ("net", 512), ("org", 1024), ("co.uk", 1536)]
        .iter()
        .map(|(tld, base)| {
            let n = base + rng.gen_range(0..512);
            format!("ns-{n}.awsdns-{:02}.{tld}.", (n % 512) / 8)
        })
        .collect()
}

/// The `HostedZone` structure of a zone.
pub fn hosted_zone_value(zone: &Zone) -> Value {
    let mut config = json!({ "PrivateZone": zone.private });
    if let Some(c) = &zone.comment {
        config["Comment"] = json!(c);
    }
    json!({
        "Id": format!("/hostedzone/{}", zone.id),
        "Name": zone.name,
        "CallerReference": zone.caller_reference,
        "Config": config,
        "ResourceRecordSetCount": zone.record_count,
    })
}

fn delegation_set(zone: &Zone) -> Value {
    json!({
        "NameServers": zone
            .name_servers
            .iter()
            .map(|n| n.trim_end_matches('.'))
            .collect::<Vec<_>>()
    })
}

fn vpcs_value(zone: &Zone) -> Value {
    json!(zone
        .vpcs
        .iter()
        .map(|v| json!({"VPCRegion": v.region, "VPCId": v.id}))
        .collect::<Vec<_>>())
}

/// The `VPC` member of an input, checked to exist.
fn vpc_of(svc: &Route53Service, ctx: &RequestContext, input: &Value) -> Result<VpcRef, AwsError> {
    let vpc = input.get("VPC").cloned().unwrap_or(Value::Null);
    let id = vpc.get("VPCId").and_then(Value::as_str);
    let region = vpc.get("VPCRegion").and_then(Value::as_str);
    let (Some(id), Some(region)) = (id, region) else {
        return Err(invalid(
            "When you're creating a private hosted zone (when you specify true for PrivateZone), you must also specify values for VPCId and VPCRegion.",
        ));
    };
    if !svc.vpcs.exists(&ctx.account_id, region, id)? {
        return Err(Route53Error::InvalidVpcId { id: id.to_string() }.into());
    }
    Ok(VpcRef {
        region: region.to_string(),
        id: id.to_string(),
    })
}

impl Route53Service {
    /// The zone `id` of the caller's account, read in `txn`.
    pub(crate) fn zone_in(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Zone, AwsError> {
        txn.get(&self.zones, &format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| Route53Error::NoSuchHostedZone { id: id.to_string() }.into())
    }

    /// The zone `id` of the caller's account.
    pub(crate) fn zone(&self, ctx: &RequestContext, id: &str) -> Result<Zone, AwsError> {
        self.zones
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| Route53Error::NoSuchHostedZone { id: id.to_string() }.into())
    }

    /// `CreateHostedZone`.
    pub(crate) fn create_hosted_zone(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let raw_name = input
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = names::normalize(raw_name)
            .filter(|n| n != ".")
            .ok_or_else(|| {
                AwsError::from(Route53Error::InvalidDomainName {
                    message: format!("{raw_name} is not a valid domain name."),
                })
            })?;
        let reference = input
            .get("CallerReference")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(id) = input.get("DelegationSetId").and_then(Value::as_str) {
            return Err(Route53Error::NoSuchDelegationSet { id: id.to_string() }.into());
        }
        let config = input.get("HostedZoneConfig");
        let comment = config
            .and_then(|c| c.get("Comment"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let private_flag = config
            .and_then(|c| c.get("PrivateZone"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let private = private_flag || input.get("VPC").is_some();
        let vpc = if private {
            Some(vpc_of(self, ctx, &input)?)
        } else {
            None
        };
        let out = self.store.write(|txn| -> Result<Value, AwsError> {
            let ref_key = format!("{}/{reference}", ctx.account_id);
            if txn.get(&self.zone_refs, &ref_key)?.is_some() {
                return Err(Route53Error::HostedZoneAlreadyExists.into());
            }
            let prefix = format!("{}/", ctx.account_id);
            if let Some(vpc) = &vpc {
                let clash = txn
                    .scan_prefix(&self.zones, &prefix)?
                    .into_iter()
                    .any(|(_, z)| z.private && z.name == name && z.vpcs.contains(vpc));
                if clash {
                    return Err(Route53Error::ConflictingDomainExists {
                        name: name.clone(),
                        vpc: vpc.id.clone(),
                    }
                    .into());
                }
            }
            let zone = Zone {
                id: crate::new_id('Z'),
                name: name.clone(),
                caller_reference: reference.clone(),
                comment: comment.clone(),
                private,
                vpcs: vpc.clone().into_iter().collect(),
                name_servers: if private {
                    PRIVATE_NAME_SERVERS.iter().map(|s| s.to_string()).collect()
                } else {
                    delegation_name_servers()
                },
                record_count: 2,
            };
            let soa = format!(
                "{} awsdns-hostmaster.amazon.com. {SOA_TAIL}",
                zone.name_servers[0]
            );
            self.put_record(
                txn,
                ctx,
                &zone.id,
                &json!({
                    "Name": name, "Type": "NS", "TTL": NS_TTL,
                    "ResourceRecords": zone.name_servers.iter().map(|n| json!({"Value": n})).collect::<Vec<_>>(),
                }),
            )?;
            self.put_record(
                txn,
                ctx,
                &zone.id,
                &json!({
                    "Name": name, "Type": "SOA", "TTL": SOA_TTL,
                    "ResourceRecords": [{"Value": soa}],
                }),
            )?;
            txn.put(&self.zones, &format!("{prefix}{}", zone.id), &zone)?;
            txn.put(&self.zone_refs, &ref_key, &zone.id)?;
            let change = self.new_change(txn, ctx, None)?;
            let mut out = json!({
                "HostedZone": hosted_zone_value(&zone),
                "ChangeInfo": change,
                "Location": format!("https://route53.amazonaws.com/2013-04-01/hostedzone/{}", zone.id),
            });
            if let Some(v) = &vpc {
                out["VPC"] = json!({"VPCRegion": v.region, "VPCId": v.id});
            } else {
                out["DelegationSet"] = delegation_set(&zone);
            }
            Ok(out)
        })?;
        self.dns.invalidate();
        Ok(out)
    }

    /// `GetHostedZone`.
    pub(crate) fn get_hosted_zone(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let zone = self.zone(ctx, &zone_id(&input, "Id"))?;
        let mut out = json!({ "HostedZone": hosted_zone_value(&zone) });
        if zone.private {
            out["VPCs"] = vpcs_value(&zone);
        } else {
            out["DelegationSet"] = delegation_set(&zone);
        }
        Ok(out)
    }

    /// `ListHostedZones`: `MaxItems` (default 100, at most 100), `Marker`
    /// (a zone id, the first of the page), `IsTruncated` / `NextMarker`.
    pub(crate) fn list_hosted_zones(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let max_items = max_items(&input, 100)?;
        // Reusable delegation sets are not kept, so none can be named.
        if let Some(id) = input.get("DelegationSetId").and_then(Value::as_str) {
            return Err(Route53Error::NoSuchDelegationSet { id: id.to_string() }.into());
        }
        let prefix = format!("{}/", ctx.account_id);
        let marker = input.get("Marker").and_then(Value::as_str);
        let want_private = match input.get("HostedZoneType").and_then(Value::as_str) {
            Some("PrivateHostedZone") => Some(true),
            _ => None,
        };
        let zones: Vec<Zone> = self
            .zones
            .scan_prefix(&prefix)?
            .into_iter()
            .map(|(_, z)| z)
            .filter(|z| want_private.is_none_or(|p| z.private == p))
            .filter(|z| {
                marker.is_none_or(|m| z.id.as_str() >= m.trim_start_matches("/hostedzone/"))
            })
            .take(max_items + 1)
            .collect();
        let truncated = zones.len() > max_items;
        let mut out = json!({
            "HostedZones": zones.iter().take(max_items).map(hosted_zone_value).collect::<Vec<_>>(),
            "IsTruncated": truncated,
            "MaxItems": max_items.to_string(),
            "Marker": marker.unwrap_or_default(),
        });
        if truncated {
            out["NextMarker"] = json!(zones[max_items].id);
        }
        Ok(out)
    }

    /// `ListHostedZonesByName`: zones by reversed-label name, then id,
    /// from `DNSName` (and `HostedZoneId`).
    pub(crate) fn list_hosted_zones_by_name(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let max_items = max_items(&input, 100)?;
        let dns_name = match input.get("DNSName").and_then(Value::as_str) {
            Some(raw) => Some(names::normalize(raw).ok_or_else(|| {
                AwsError::from(Route53Error::InvalidDomainName {
                    message: format!("{raw} is not a valid domain name."),
                })
            })?),
            None => None,
        };
        let start_id = input
            .get("HostedZoneId")
            .and_then(Value::as_str)
            .map(|s| s.trim_start_matches("/hostedzone/"));
        if start_id.is_some() && dns_name.is_none() {
            return Err(invalid("Invalid request: HostedZoneId requires DNSName."));
        }
        let mut zones: Vec<Zone> = self
            .zones
            .scan_prefix(&format!("{}/", ctx.account_id))?
            .into_iter()
            .map(|(_, z)| z)
            .collect();
        zones.sort_by(|a, b| {
            (names::sort_key(&a.name), &a.id).cmp(&(names::sort_key(&b.name), &b.id))
        });
        let start = dns_name
            .as_deref()
            .map(|n| (names::sort_key(n), start_id.unwrap_or_default()));
        let page: Vec<&Zone> = zones
            .iter()
            .filter(|z| {
                start.as_ref().is_none_or(|(k, id)| {
                    (names::sort_key(&z.name), z.id.as_str()) >= (k.clone(), *id)
                })
            })
            .take(max_items + 1)
            .collect();
        let truncated = page.len() > max_items;
        let mut out = json!({
            "HostedZones": page.iter().take(max_items).map(|z| hosted_zone_value(z)).collect::<Vec<_>>(),
            "IsTruncated": truncated,
            "MaxItems": max_items.to_string(),
        });
        if let Some(n) = &dns_name {
            out["DNSName"] = json!(n);
        }
        if let Some(id) = start_id {
            out["HostedZoneId"] = json!(id);
        }
        if truncated {
            out["NextDNSName"] = json!(page[max_items].name);
            out["NextHostedZoneId"] = json!(page[max_items].id);
        }
        Ok(out)
    }

    /// `DeleteHostedZone`: only with nothing but its SOA and NS left.
    pub(crate) fn delete_hosted_zone(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = zone_id(&input, "Id");
        let out = self.store.write(|txn| -> Result<Value, AwsError> {
            let zone = self.zone_in(txn, ctx, &id)?;
            if zone.record_count > 2 {
                return Err(Route53Error::HostedZoneNotEmpty.into());
            }
            for (key, _) in txn.scan_prefix(&self.records, &format!("{}/{id}/", ctx.account_id))? {
                txn.delete(&self.records, &key)?;
            }
            txn.delete(&self.zones, &format!("{}/{id}", ctx.account_id))?;
            txn.delete(&self.tags, &format!("{}/hostedzone/{id}", ctx.account_id))?;
            let change = self.new_change(txn, ctx, None)?;
            Ok(json!({ "ChangeInfo": change }))
        })?;
        self.dns.invalidate();
        Ok(out)
    }

    /// `UpdateHostedZoneComment`: an absent comment removes it.
    pub(crate) fn update_hosted_zone_comment(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = zone_id(&input, "Id");
        let comment = input
            .get("Comment")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.store.write(|txn| -> Result<Value, AwsError> {
            let mut zone = self.zone_in(txn, ctx, &id)?;
            zone.comment = comment.filter(|c| !c.is_empty());
            txn.put(&self.zones, &format!("{}/{id}", ctx.account_id), &zone)?;
            Ok(json!({ "HostedZone": hosted_zone_value(&zone) }))
        })
    }

    /// `AssociateVPCWithHostedZone`.
    pub(crate) fn associate_vpc_with_hosted_zone(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = zone_id(&input, "HostedZoneId");
        let comment = input
            .get("Comment")
            .and_then(Value::as_str)
            .map(str::to_string);
        // The zone first: a missing zone is NoSuchHostedZone whatever the VPC.
        let zone = self.zone(ctx, &id)?;
        if !zone.private {
            return Err(Route53Error::PublicZoneVpcAssociation { id }.into());
        }
        let vpc = vpc_of(self, ctx, &input)?;
        let out = self.store.write(|txn| -> Result<Value, AwsError> {
            let mut zone = self.zone_in(txn, ctx, &id)?;
            if zone.vpcs.contains(&vpc) {
                return Err(invalid(format!(
                    "The VPC {} in {} region has already been associated with the hosted zone {} with the same domain name.",
                    vpc.id, vpc.region, zone.id
                )));
            }
            let clash = txn
                .scan_prefix(&self.zones, &format!("{}/", ctx.account_id))?
                .into_iter()
                .any(|(_, z)| z.private && z.id != zone.id && z.name == zone.name && z.vpcs.contains(&vpc));
            if clash {
                return Err(Route53Error::ConflictingDomainExists {
                    name: zone.name.clone(),
                    vpc: vpc.id.clone(),
                }
                .into());
            }
            zone.vpcs.push(vpc.clone());
            txn.put(&self.zones, &format!("{}/{id}", ctx.account_id), &zone)?;
            Ok(json!({ "ChangeInfo": self.new_change(txn, ctx, comment.clone())? }))
        })?;
        self.dns.invalidate();
        Ok(out)
    }

    /// `DisassociateVPCFromHostedZone`: never the last VPC.
    pub(crate) fn disassociate_vpc_from_hosted_zone(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = zone_id(&input, "HostedZoneId");
        let comment = input
            .get("Comment")
            .and_then(Value::as_str)
            .map(str::to_string);
        let vpc = input.get("VPC").cloned().unwrap_or(Value::Null);
        let vpc = VpcRef {
            region: vpc
                .get("VPCRegion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            id: vpc
                .get("VPCId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        };
        let out = self.store.write(|txn| -> Result<Value, AwsError> {
            let mut zone = self.zone_in(txn, ctx, &id)?;
            if !zone.vpcs.contains(&vpc) {
                return Err(Route53Error::VpcAssociationNotFound.into());
            }
            if zone.vpcs.len() == 1 {
                return Err(Route53Error::LastVpcAssociation.into());
            }
            zone.vpcs.retain(|v| v != &vpc);
            txn.put(&self.zones, &format!("{}/{id}", ctx.account_id), &zone)?;
            Ok(json!({ "ChangeInfo": self.new_change(txn, ctx, comment.clone())? }))
        })?;
        self.dns.invalidate();
        Ok(out)
    }
}

impl Route53Service {
    /// `ListHostedZonesByVPC`: the caller's private zones associated with
    /// the VPC, `NextToken` the id of the page's first zone.
    pub(crate) fn list_hosted_zones_by_vpc(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let max_items = max_items(&input, 100)?;
        let vpc = VpcRef {
            region: input
                .get("VPCRegion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            id: input
                .get("VPCId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        };
        let token = input.get("NextToken").and_then(Value::as_str);
        let zones: Vec<Zone> = self
            .zones
            .scan_prefix(&format!("{}/", ctx.account_id))?
            .into_iter()
            .map(|(_, z)| z)
            .filter(|z| z.private && z.vpcs.contains(&vpc))
            .filter(|z| token.is_none_or(|t| z.id.as_str() >= t))
            .take(max_items + 1)
            .collect();
        let mut out = json!({
            "HostedZoneSummaries": zones.iter().take(max_items).map(|z| json!({
                "HostedZoneId": z.id,
                "Name": z.name,
                "Owner": {"OwningAccount": ctx.account_id},
            })).collect::<Vec<_>>(),
            "MaxItems": max_items.to_string(),
        });
        if zones.len() > max_items {
            out["NextToken"] = json!(zones[max_items].id);
        }
        Ok(out)
    }
}

/// `MaxItems` (a string in Route 53's model): positive, capped at `cap`.
pub(crate) fn max_items(input: &Value, cap: usize) -> Result<usize, AwsError> {
    Ok(match input.get("MaxItems").and_then(Value::as_str) {
        None => cap,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| invalid(format!("Invalid value for MaxItems: {s}")))?
            .min(cap),
    })
}
