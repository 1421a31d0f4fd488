//! Record sets: `ChangeResourceRecordSets` as one atomic batch with Route
//! 53's validation, and `ListResourceRecordSets` with its start name,
//! type and identifier.
//!
//! A batch is applied change by change to a working copy of the zone's
//! sets, each checked against the state the changes before it left (as
//! Route 53 does); every problem is collected, and any makes the whole
//! batch `InvalidChangeBatch` with the messages in brackets, nothing
//! written. Structural mistakes (a missing TTL, a routing field without
//! `SetIdentifier`) are `InvalidInput` at once.

use crate::errors::Route53Error;
use crate::names;
use crate::{invalid, zone_id, Route53Service, Zone};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde_json::{json, Map};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The routing fields that need a `SetIdentifier`, in the order Route 53
/// names them.
const ROUTING_FIELDS: [&str; 7] = [
    "Weight",
    "Region",
    "Failover",
    "GeoLocation",
    "MultiValueAnswer",
    "GeoProximityLocation",
    "CidrRoutingConfig",
];

/// The record members kept, in the model's order.
const KEPT: [&str; 15] = [
    "Name",
    "Type",
    "SetIdentifier",
    "Weight",
    "Region",
    "GeoLocation",
    "Failover",
    "MultiValueAnswer",
    "TTL",
    "ResourceRecords",
    "AliasTarget",
    "HealthCheckId",
    "TrafficPolicyInstanceId",
    "CidrRoutingConfig",
    "GeoProximityLocation",
];

/// The store key of a record set.
pub fn record_key(account: &str, zone: &str, name: &str, rtype: &str, set_id: &str) -> String {
    format!(
        "{account}/{zone}/{}\u{1}{rtype}\u{1}{set_id}",
        names::sort_key(name)
    )
}

fn key_of(account: &str, zone: &str, set: &Value) -> String {
    record_key(
        account,
        zone,
        str_of(set, "Name"),
        str_of(set, "Type"),
        str_of(set, "SetIdentifier"),
    )
}

fn str_of<'a>(v: &'a Value, member: &str) -> &'a str {
    v.get(member).and_then(Value::as_str).unwrap_or_default()
}

/// `[name='www.example.com.', type='A']`, with the set identifier when
/// there is one: how Route 53's messages name a set.
fn describe(set: &Value) -> String {
    match set.get("SetIdentifier").and_then(Value::as_str) {
        Some(id) => format!(
            "[name='{}', type='{}', set-identifier='{id}']",
            str_of(set, "Name"),
            str_of(set, "Type")
        ),
        None => format!(
            "[name='{}', type='{}']",
            str_of(set, "Name"),
            str_of(set, "Type")
        ),
    }
}

/// The routing policy a set uses, as a word for messages.
fn policy(set: &Value) -> &'static str {
    if set.get("Weight").is_some() {
        "weighted"
    } else if set.get("Failover").is_some() {
        "failover"
    } else if set.get("Region").is_some() {
        "latency"
    } else if set.get("GeoLocation").is_some() {
        "geolocation"
    } else if set.get("MultiValueAnswer").is_some() {
        "multivalue answer"
    } else if set.get("GeoProximityLocation").is_some() {
        "geoproximity"
    } else if set.get("CidrRoutingConfig").is_some() {
        "IP-based"
    } else {
        "simple"
    }
}

/// A set with its values' order ignored, for DELETE's comparison.
fn canonical(set: &Value) -> Value {
    let mut c = set.clone();
    if let Some(Value::Array(rrs)) = c.get_mut("ResourceRecords") {
        rrs.sort_by(|a, b| str_of(a, "Value").cmp(str_of(b, "Value")));
    }
    c
}

/// Reads one change's record set into the stored form, or the
/// `InvalidInput` Route 53 answers for its structure.
fn normalize_set(action: &str, raw: &Value) -> Result<Value, AwsError> {
    let raw_name = str_of(raw, "Name");
    let name = names::normalize(raw_name).ok_or_else(|| {
        AwsError::from(Route53Error::InvalidChangeBatch {
            message: format!("[Invalid resource record set name: '{raw_name}']"),
        })
    })?;
    let mut out = Map::new();
    for member in KEPT {
        if let Some(v) = raw.get(member) {
            out.insert(member.to_string(), v.clone());
        }
    }
    out.insert("Name".into(), json!(name));
    if let Some(alias) = out.get_mut("AliasTarget") {
        let dns = alias
            .get("DNSName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let dns = names::normalize(dns).unwrap_or_else(|| dns.to_string());
        let zone = alias
            .get("HostedZoneId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim_start_matches("/hostedzone/")
            .to_string();
        alias["DNSName"] = json!(dns);
        alias["HostedZoneId"] = json!(zone);
    }
    let set = Value::Object(out);
    let context = format!(
        "Change with [Action={action}, Name={name}, Type={}, SetIdentifier={}]",
        str_of(&set, "Type"),
        set.get("SetIdentifier")
            .and_then(Value::as_str)
            .unwrap_or("null")
    );
    let has_alias = set.get("AliasTarget").is_some();
    let has_plain = set.get("TTL").is_some() && set.get("ResourceRecords").is_some();
    let has_policy = set.get("TrafficPolicyInstanceId").is_some();
    match u8::from(has_alias) + u8::from(has_plain) + u8::from(has_policy) {
        0 => return Err(invalid(format!("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in {context}"))),
        1 => {}
        _ => return Err(invalid(format!("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in {context}"))),
    }
    if has_alias && (set.get("TTL").is_some() || set.get("ResourceRecords").is_some()) {
        return Err(invalid(format!("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in {context}")));
    }
    let routing = ROUTING_FIELDS
        .iter()
        .filter(|f| set.get(**f).is_some())
        .count();
    if set.get("SetIdentifier").is_some() {
        if routing == 0 {
            return Err(invalid(format!("Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found none in {context}")));
        }
        if routing > 1 {
            return Err(invalid(format!("Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found more than one in {context}")));
        }
    } else if routing > 0 {
        return Err(invalid(format!(
            "Invalid request: Missing field 'SetIdentifier' in {context}"
        )));
    }
    Ok(set)
}

/// The problems with a set's values for its type (empty when none).
fn value_problems(set: &Value) -> Vec<String> {
    let rtype = str_of(set, "Type");
    let values: Vec<&str> = set
        .get("ResourceRecords")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|r| str_of(r, "Value")).collect())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let fatal = |code: &str, what: &str, v: &str| {
        format!("Invalid Resource Record: 'FATAL problem: {code} ({what}) encountered with '{v}''")
    };
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            problems.push(format!("Duplicate Resource Record: '{v}'"));
            continue;
        }
        let fields: Vec<&str> = v.split_whitespace().collect();
        let bad_name = |n: &str| names::normalize(n).is_none();
        let problem = match rtype {
            "A" if v.parse::<Ipv4Addr>().is_err() => Some(fatal(
                "ARRDATAIllegalIPv4Address",
                "Value is not a valid IPv4 address",
                v,
            )),
            "AAAA" if v.parse::<Ipv6Addr>().is_err() => Some(fatal(
                "AAAARRDATAIllegalIPv6Address",
                "Value is not a valid IPv6 address",
                v,
            )),
            "CNAME" | "NS" | "PTR" if bad_name(v) => {
                Some(fatal("DomainLabelEmpty", "Domain label is empty", v))
            }
            "MX" if fields.len() != 2 => Some(fatal(
                "MXRRDATANotTwoFields",
                "MX RDATA must have exactly two fields",
                v,
            )),
            "MX" if fields[0].parse::<u16>().is_err() => Some(fatal(
                "MXRRDATAIllegalPreference",
                "MX preference is not a number from 0 to 65535",
                v,
            )),
            "SRV" if fields.len() != 4 || fields[..3].iter().any(|f| f.parse::<u16>().is_err()) => {
                Some(fatal(
                    "SRVRRDATANotFourFields",
                    "SRV RDATA must be priority, weight, port and target",
                    v,
                ))
            }
            "CAA" if fields.len() < 3 || fields[0].parse::<u8>().is_err() => Some(fatal(
                "CAARRDATANotThreeFields",
                "CAA RDATA must be flags, tag and value",
                v,
            )),
            "SOA" if fields.len() != 7 || fields[2..].iter().any(|f| f.parse::<u32>().is_err()) => {
                Some(fatal(
                    "SOARRDATANotSevenFields",
                    "SOA RDATA must have seven fields",
                    v,
                ))
            }
            "TXT" | "SPF" => match character_strings(v) {
                None => Some(fatal(
                    "InvalidCharacterString",
                    "Value should be enclosed in quotation marks",
                    v,
                )),
                Some(s) if s.iter().any(|s| s.len() > 255) => {
                    Some(fatal("CharacterStringTooLong", "Value is too long", v))
                }
                Some(_) => None,
            },
            _ => None,
        };
        problems.extend(problem);
    }
    if rtype == "CNAME" && values.len() > 1 {
        problems.push(format!(
            "RRSet of type CNAME with DNS name {} has more than one resource record",
            str_of(set, "Name")
        ));
    }
    problems
}

/// The character strings of a TXT value: each in double quotes, `\"` and
/// `\\` escaped, `\DDD` decimal; `None` when a string is not quoted.
pub fn character_strings(v: &str) -> Option<Vec<Vec<u8>>> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i == b.len() {
            return (!out.is_empty()).then_some(out);
        }
        if b[i] != b'"' {
            return None;
        }
        i += 1;
        let mut s = Vec::new();
        loop {
            match *b.get(i)? {
                b'"' => {
                    i += 1;
                    break;
                }
                b'\\' => {
                    let d = b.get(i + 1..i + 4);
                    match d {
                        Some(d) if d.iter().all(u8::is_ascii_digit) => {
                            let n = u32::from(d[0] - b'0') * 100
                                + u32::from(d[1] - b'0') * 10
                                + u32::from(d[2] - b'0');
                            s.push(u8::try_from(n).ok()?);
                            i += 4;
                        }
                        _ => {
                            s.push(*b.get(i + 1)?);
                            i += 2;
                        }
                    }
                }
                c => {
                    s.push(c);
                    i += 1;
                }
            }
        }
        out.push(s);
    }
}

/// The problems `set` has with the other sets of the zone (its own key
/// excluded): CNAME rules and mixed routing policies.
fn conflicts(zone: &Zone, sets: &BTreeMap<String, Value>, key: &str, set: &Value) -> Vec<String> {
    let name = str_of(set, "Name");
    let rtype = str_of(set, "Type");
    let mut problems = Vec::new();
    if rtype == "CNAME" && name == zone.name {
        problems.push(format!(
            "RRSet of type CNAME with DNS name {name} is not permitted at apex in zone {}",
            zone.name
        ));
        return problems;
    }
    let same_name: Vec<&Value> = sets
        .iter()
        .filter(|(k, v)| k.as_str() != key && str_of(v, "Name") == name)
        .map(|(_, v)| v)
        .collect();
    if rtype == "CNAME" && same_name.iter().any(|v| str_of(v, "Type") != "CNAME") {
        problems.push(format!(
            "RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other records with the same DNS name in zone {}",
            zone.name
        ));
    } else if rtype != "CNAME" && same_name.iter().any(|v| str_of(v, "Type") == "CNAME") {
        problems.push(format!(
            "RRSet of type {rtype} with DNS name {name} is not permitted because a conflicting RRSet of type  CNAME with the same DNS name already exists in zone {}",
            zone.name
        ));
    }
    let siblings: Vec<&&Value> = same_name
        .iter()
        .filter(|v| str_of(v, "Type") == rtype)
        .collect();
    let mine = policy(set);
    match set.get("SetIdentifier").and_then(Value::as_str) {
        None => {
            if let Some(other) = siblings.first() {
                problems.push(format!(
                    "RRSet with DNS name {name}, type {rtype} cannot be created as {} sets exist with the same name and type.",
                    policy(other)
                ));
            }
        }
        Some(id) => {
            if siblings.iter().any(|v| v.get("SetIdentifier").is_none()) {
                problems.push(format!(
                    "RRSet with DNS name {name}, type {rtype}, SetIdentifier {id} cannot be created as a non-{mine} set exists with the same name and type."
                ));
            } else if let Some(other) = siblings.iter().find(|v| policy(v) != mine) {
                problems.push(format!(
                    "RRSet with DNS name {name}, type {rtype}, SetIdentifier {id} cannot be created as {} sets exist with the same name and type.",
                    policy(other)
                ));
            } else if let Some(role) = set.get("Failover").and_then(Value::as_str) {
                if siblings.iter().any(|v| str_of(v, "Failover") == role) {
                    problems.push(format!(
                        "RRSet with DNS name {name}, type {rtype}, SetIdentifier {id} cannot be created as a {role} failover set exists with the same name and type."
                    ));
                }
            }
        }
    }
    problems
}

impl Route53Service {
    /// Writes one record set (no checks: the zone's own SOA and NS).
    pub(crate) fn put_record(
        &self,
        txn: &mut WriteTxn,
        ctx: &RequestContext,
        zone: &str,
        set: &Value,
    ) -> Result<(), AwsError> {
        txn.put(&self.records, &key_of(&ctx.account_id, zone, set), set)?;
        Ok(())
    }

    /// The problem with an alias whose target is a zone of this account:
    /// the target must lie in it and exist with the set's type.
    fn alias_problem(
        &self,
        txn: &WriteTxn,
        ctx: &RequestContext,
        zone: &Zone,
        sets: &BTreeMap<String, Value>,
        set: &Value,
    ) -> Result<Option<String>, AwsError> {
        let Some(alias) = set.get("AliasTarget") else {
            return Ok(None);
        };
        let target_zone = str_of(alias, "HostedZoneId");
        let target = str_of(alias, "DNSName");
        let rtype = str_of(set, "Type");
        let other;
        let (tz, in_sets): (&Zone, bool) = if target_zone == zone.id {
            let found = sets
                .values()
                .any(|v| str_of(v, "Name") == target && str_of(v, "Type") == rtype);
            (zone, found)
        } else if let Some(z) =
            txn.get(&self.zones, &format!("{}/{target_zone}", ctx.account_id))?
        {
            other = z;
            let prefix = format!("{}/{target_zone}/", ctx.account_id);
            let found = txn
                .scan_prefix(&self.records, &prefix)?
                .iter()
                .any(|(_, v)| str_of(v, "Name") == target && str_of(v, "Type") == rtype);
            (&other, found)
        } else if let Some(found) =
            crate::service_targets::resolve(self.dns.alias_targets().as_ref(), target_zone, target)
        {
            // A service's canonical zone: the resource must exist.
            return Ok(found.is_none().then(|| {
                format!("Tried to create an alias that targets {target}, type {rtype} in zone {target_zone}, but that target was not found")
            }));
        } else {
            // A zone neither hosted here nor a service's that Gureum
            // resolves (API Gateway, VPC endpoints): followed by name.
            return Ok(None);
        };
        if !names::in_zone(target, &tz.name) {
            return Ok(Some(format!("Tried to create an alias that targets {target}, type {rtype} in zone {}, but the alias target name does not lie within the target zone", tz.id)));
        }
        if !in_sets {
            return Ok(Some(format!("Tried to create an alias that targets {target}, type {rtype} in zone {}, but that target was not found", tz.id)));
        }
        Ok(None)
    }

    /// `ChangeResourceRecordSets`.
    pub(crate) fn change_resource_record_sets(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let id = zone_id(&input, "HostedZoneId");
        let batch = input.get("ChangeBatch").cloned().unwrap_or(Value::Null);
        let comment = batch
            .get("Comment")
            .and_then(Value::as_str)
            .map(str::to_string);
        let changes = batch
            .get("Changes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Structure first: these are InvalidInput before any state is read.
        let mut parsed = Vec::with_capacity(changes.len());
        for change in &changes {
            let action = str_of(change, "Action").to_string();
            let set = normalize_set(
                &action,
                change.get("ResourceRecordSet").unwrap_or(&Value::Null),
            )?;
            if let Some(hc) = set.get("HealthCheckId").and_then(Value::as_str) {
                if self
                    .health_checks
                    .get(&format!("{}/{hc}", ctx.account_id))?
                    .is_none()
                {
                    return Err(Route53Error::NoSuchHealthCheck { id: hc.to_string() }.into());
                }
            }
            parsed.push((action, set));
        }
        let out = self.store.write(|txn| -> Result<Value, AwsError> {
            let mut zone = self.zone_in(txn, ctx, &id)?;
            let prefix = format!("{}/{id}/", ctx.account_id);
            let original: BTreeMap<String, Value> =
                txn.scan_prefix(&self.records, &prefix)?.into_iter().collect();
            let mut sets = original.clone();
            let mut problems = Vec::new();
            for (action, set) in &parsed {
                let name = str_of(set, "Name");
                let rtype = str_of(set, "Type");
                if !names::in_zone(name, &zone.name) {
                    problems.push(format!(
                        "RRSet with DNS name {name} is not permitted in zone {}",
                        zone.name
                    ));
                    continue;
                }
                let key = key_of(&ctx.account_id, &id, set);
                let apex_required = name == zone.name && (rtype == "SOA" || rtype == "NS");
                match action.as_str() {
                    "DELETE" => match sets.get(&key) {
                        None => problems.push(format!(
                            "Tried to delete resource record set {} but it was not found",
                            describe(set)
                        )),
                        Some(v) if canonical(v) != canonical(set) => problems.push(format!(
                            "Tried to delete resource record set {} but the values provided do not match the current values",
                            describe(set)
                        )),
                        Some(_) if apex_required => problems.push(if rtype == "SOA" {
                            "A HostedZone must contain exactly one SOA record.".to_string()
                        } else {
                            "A HostedZone must contain at least one NS record for the zone itself.".to_string()
                        }),
                        Some(_) => {
                            sets.remove(&key);
                        }
                    },
                    "CREATE" | "UPSERT" => {
                        if action == "CREATE" && sets.contains_key(&key) {
                            problems.push(format!(
                                "Tried to create resource record set {} but it already exists",
                                describe(set)
                            ));
                            continue;
                        }
                        if rtype == "SOA" && name != zone.name {
                            problems.push(format!("RRSet of type SOA with DNS name {name} is not permitted because only the zone apex may have an SOA record"));
                            continue;
                        }
                        let mut found = value_problems(set);
                        found.extend(conflicts(&zone, &sets, &key, set));
                        if found.is_empty() {
                            if let Some(p) = self.alias_problem(txn, ctx, &zone, &sets, set)? {
                                found.push(p);
                            }
                        }
                        if found.is_empty() {
                            sets.insert(key, set.clone());
                        }
                        problems.extend(found);
                    }
                    other => problems.push(format!("Invalid action {other}")),
                }
            }
            if !problems.is_empty() {
                return Err(Route53Error::InvalidChangeBatch {
                    message: format!("[{}]", problems.join(", ")),
                }
                .into());
            }
            for key in original.keys().filter(|k| !sets.contains_key(*k)) {
                txn.delete(&self.records, key)?;
            }
            for (key, set) in &sets {
                if original.get(key) != Some(set) {
                    txn.put(&self.records, key, set)?;
                }
            }
            zone.record_count = sets.len() as u64;
            txn.put(&self.zones, &format!("{}/{id}", ctx.account_id), &zone)?;
            Ok(json!({ "ChangeInfo": self.new_change(txn, ctx, comment.clone())? }))
        })?;
        self.dns.invalidate();
        Ok(out)
    }

    /// `ListResourceRecordSets`: sets from `StartRecordName` (then type,
    /// then identifier) in Route 53's order, `MaxItems` up to 300.
    pub(crate) fn list_resource_record_sets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = zone_id(&input, "HostedZoneId");
        self.zone(ctx, &id)?;
        let max_items = crate::zones::max_items(&input, 300)?;
        let start_type = input.get("StartRecordType").and_then(Value::as_str);
        let start_name = match input.get("StartRecordName").and_then(Value::as_str) {
            Some(raw) => Some(names::normalize(raw).ok_or_else(|| {
                AwsError::from(Route53Error::InvalidDomainName {
                    message: format!("{raw} is not a valid domain name."),
                })
            })?),
            None if start_type.is_some() => {
                return Err(invalid(
                    "The input is not valid: StartRecordType requires StartRecordName",
                ))
            }
            None => None,
        };
        let prefix = format!("{}/{id}/", ctx.account_id);
        let start = start_name.as_deref().map(|n| {
            record_key(
                &ctx.account_id,
                &id,
                n,
                start_type.unwrap_or_default(),
                input
                    .get("StartRecordIdentifier")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
        });
        let page = match &start {
            Some(s) => self.records.scan_range(s, None, max_items + 1)?,
            None => self
                .records
                .scan_prefix_after(&prefix, None, max_items + 1)?,
        };
        let page: Vec<Value> = page
            .into_iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
            .collect();
        let truncated = page.len() > max_items;
        let mut out = json!({
            "ResourceRecordSets": page.iter().take(max_items).collect::<Vec<_>>(),
            "IsTruncated": truncated,
            "MaxItems": max_items.to_string(),
        });
        if truncated {
            let next = &page[max_items];
            out["NextRecordName"] = json!(str_of(next, "Name"));
            out["NextRecordType"] = json!(str_of(next, "Type"));
            if let Some(s) = next.get("SetIdentifier") {
                out["NextRecordIdentifier"] = s.clone();
            }
        }
        Ok(out)
    }
}
