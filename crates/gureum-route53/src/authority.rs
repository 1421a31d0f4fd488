//! What the DNS server answers from: every account's hosted zones, read
//! into an in-memory [`Index`] after each write (a query never reads the
//! store), answered with the routing policies and the health checks' live
//! states.
//!
//! Public zones answer anyone. Private zones answer only queries from
//! their VPCs: the source address's VPC comes from the hook
//! [`DnsAuthority::set_vpc_of_source`], which the instance fabric will
//! set; until then no host address is in a VPC, so private zones are not
//! answered to host queries.

use crate::health::Monitor;
use crate::records::character_strings;
use crate::routing::{self, RoutedSet};
use crate::service_targets;
use crate::{names, VpcRef, Zone};
use gureum_core::Value;
use gureum_dns::wire::{Answer, Question, RData, Rcode, Record, RecordType};
use gureum_dns::Authority;
use gureum_kit::dns_targets::{AliasTargets, NoAliasTargets};
use gureum_store::Table;
use parking_lot::RwLock;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How many CNAME and alias hops one answer follows.
const MAX_CHAIN: usize = 8;
/// The TTL of Gureum's own names.
const OWN_NAME_TTL: u32 = 60;

/// Which VPC a query's source address is in.
pub type VpcOfSource = dyn Fn(IpAddr) -> Option<VpcRef> + Send + Sync;

/// One zone, ready to answer.
struct ZoneData {
    name: String,
    private: bool,
    vpcs: Vec<VpcRef>,
    soa: Option<Record>,
    /// Record sets by owner name (DNS form).
    names: HashMap<String, Vec<RoutedSet>>,
    /// Names that exist only because names below them do.
    nonterminals: HashSet<String>,
}

/// Every zone, by name (DNS form); several zones may share a name.
#[derive(Default)]
pub struct Index {
    zones: HashMap<String, Vec<Arc<ZoneData>>>,
}

/// The DNS authority over Route 53's zones.
pub struct DnsAuthority {
    zones: Table<Zone>,
    records: Table<Value>,
    monitor: Arc<Monitor>,
    /// Bumped by every write; the cached index is current when its
    /// generation is this one.
    generation: AtomicU64,
    cached: RwLock<Option<(u64, Arc<Index>)>>,
    vpc_of_source: RwLock<Option<Arc<VpcOfSource>>>,
    /// Where the DNS server listens, once it does.
    served_at: std::sync::OnceLock<std::net::SocketAddr>,
    /// The services aliases reach by canonical zone.
    targets: RwLock<Arc<dyn AliasTargets>>,
}

impl DnsAuthority {
    pub(crate) fn new(zones: Table<Zone>, records: Table<Value>, monitor: Arc<Monitor>) -> Self {
        DnsAuthority {
            zones,
            records,
            monitor,
            generation: AtomicU64::new(1),
            cached: RwLock::new(None),
            vpc_of_source: RwLock::new(None),
            served_at: std::sync::OnceLock::new(),
            targets: RwLock::new(Arc::new(NoAliasTargets)),
        }
    }

    /// Records where the DNS server answers (UDP and TCP).
    pub fn set_served_at(&self, addr: std::net::SocketAddr) {
        let _ = self.served_at.set(addr);
    }

    /// Where the DNS server answers, once it does.
    pub fn served_at(&self) -> Option<std::net::SocketAddr> {
        self.served_at.get().copied()
    }

    /// Sets the services aliases reach by canonical zone.
    pub fn set_alias_targets(&self, targets: Arc<dyn AliasTargets>) {
        *self.targets.write() = targets;
    }

    /// The services aliases reach by canonical zone.
    pub fn alias_targets(&self) -> Arc<dyn AliasTargets> {
        self.targets.read().clone()
    }

    /// Marks the index stale (after any write to zones or records).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Sets how a query's source address maps to a VPC (the instance
    /// fabric's resolver), so private zones answer their VPCs.
    pub fn set_vpc_of_source(&self, f: Arc<VpcOfSource>) {
        *self.vpc_of_source.write() = Some(f);
    }

    fn index(&self) -> Arc<Index> {
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some((g, index)) = self.cached.read().as_ref() {
            if *g == generation {
                return index.clone();
            }
        }
        let index = Arc::new(self.build().unwrap_or_else(|e| {
            tracing::warn!(target: "gureum", "route53 dns index: {e}");
            Index::default()
        }));
        let mut cached = self.cached.write();
        // Keep the newest build: another thread may have built a later one.
        if cached.as_ref().is_none_or(|(g, _)| *g <= generation) {
            *cached = Some((generation, index.clone()));
        }
        index
    }

    fn build(&self) -> Result<Index, gureum_store::StoreError> {
        let mut index = Index::default();
        let records = self.records.scan_prefix("")?;
        let mut by_zone: HashMap<&str, Vec<&Value>> = HashMap::new();
        for (key, set) in &records {
            // `account/ZONEID/…`
            let mut parts = key.splitn(3, '/');
            let (_, Some(zone)) = (parts.next(), parts.next()) else {
                continue;
            };
            by_zone.entry(zone).or_default().push(set);
        }
        for (_, zone) in self.zones.scan_prefix("")? {
            let name = names::to_dns(&zone.name);
            let mut data = ZoneData {
                name: name.clone(),
                private: zone.private,
                vpcs: zone.vpcs.clone(),
                soa: None,
                names: HashMap::new(),
                nonterminals: HashSet::new(),
            };
            for set in by_zone.get(zone.id.as_str()).into_iter().flatten() {
                let Some(routed) = routed_set(set) else {
                    continue;
                };
                let owner = names::to_dns(set["Name"].as_str().unwrap_or_default());
                if routed.rtype == RecordType::SOA && owner == name {
                    if let Some(data_) = routed.data.first() {
                        data.soa = Some(Record {
                            name: owner.clone(),
                            rtype: RecordType::SOA,
                            ttl: routed.ttl,
                            data: data_.clone(),
                        });
                    }
                }
                // Every name between the owner and the apex exists.
                let mut parent = owner.as_str();
                while let Some((_, rest)) = parent.split_once('.') {
                    if rest.len() <= name.len() || rest.is_empty() {
                        break;
                    }
                    data.nonterminals.insert(rest.to_string());
                    parent = rest;
                }
                data.names.entry(owner).or_default().push(routed);
            }
            index.zones.entry(name).or_default().push(Arc::new(data));
        }
        Ok(index)
    }

    fn visible(&self, zone: &ZoneData, source: IpAddr) -> bool {
        if !zone.private {
            return true;
        }
        let lookup = self.vpc_of_source.read().clone();
        lookup
            .and_then(|f| f(source))
            .is_some_and(|vpc| zone.vpcs.contains(&vpc))
    }

    /// The zone that holds `name` for `source`: the longest visible match.
    fn zone_for(&self, index: &Index, name: &str, source: IpAddr) -> Option<Arc<ZoneData>> {
        let mut suffix = name;
        loop {
            if let Some(zones) = index.zones.get(suffix) {
                // A private zone of the source's VPC wins over a public one.
                let mut visible = zones.iter().filter(|z| self.visible(z, source));
                let best = visible
                    .clone()
                    .find(|z| z.private)
                    .or_else(|| visible.next());
                if let Some(z) = best {
                    return Some(z.clone());
                }
            }
            match suffix.split_once('.') {
                Some((_, rest)) if !rest.is_empty() => suffix = rest,
                _ => return None,
            }
        }
    }

    /// Records of `rtype` at `name` by the routing policies (alias sets
    /// followed), with `owner` as their name.
    fn records_at(
        &self,
        index: &Index,
        sets: &[RoutedSet],
        owner: &str,
        rtype: u16,
        source: IpAddr,
        depth: usize,
    ) -> Vec<Record> {
        let of_type: Vec<&RoutedSet> = sets.iter().filter(|s| s.rtype == rtype).collect();
        let healthy = |s: &RoutedSet| {
            s.health_check
                .as_deref()
                .is_none_or(|h| self.monitor.healthy(h))
                && (s.alias.as_ref().is_none_or(|a| {
                    if !a.evaluate_target_health {
                        return true;
                    }
                    // A service's resource is healthy by its own state
                    // (a load balancer with a healthy target).
                    let targets = self.alias_targets();
                    match service_targets::resolve(targets.as_ref(), &a.zone_id, &a.target) {
                        Some(found) => found.is_some_and(|t| t.healthy),
                        None => !self
                            .alias_records(index, a, owner, rtype, source, depth)
                            .is_empty(),
                    }
                }))
        };
        let mut out = Vec::new();
        for set in routing::select(&of_type, &healthy) {
            match &set.alias {
                Some(alias) => {
                    out.extend(self.alias_records(index, alias, owner, rtype, source, depth))
                }
                None => out.extend(set.data.iter().map(|d| Record {
                    name: owner.to_string(),
                    rtype,
                    ttl: set.ttl,
                    data: d.clone(),
                })),
            }
        }
        out
    }

    /// An alias's records: its target's, named as the alias.
    fn alias_records(
        &self,
        index: &Index,
        alias: &routing::Alias,
        owner: &str,
        rtype: u16,
        source: IpAddr,
        depth: usize,
    ) -> Vec<Record> {
        if depth >= MAX_CHAIN {
            return Vec::new();
        }
        let targets = self.alias_targets();
        if let Some(found) =
            service_targets::resolve(targets.as_ref(), &alias.zone_id, &alias.target)
        {
            return found.map_or_else(Vec::new, |t| service_targets::records(&t, owner, rtype));
        }
        if let Some(own) = own_name(&alias.target, rtype) {
            return own
                .into_iter()
                .map(|mut r| {
                    r.name = owner.to_string();
                    r
                })
                .collect();
        }
        let Some(zone) = self.zone_for(index, &alias.target, source) else {
            return Vec::new();
        };
        let Some(sets) = lookup(&zone, &alias.target) else {
            return Vec::new();
        };
        self.records_at(index, sets, &alias.target, rtype, source, depth + 1)
            .into_iter()
            .map(|mut r| {
                r.name = owner.to_string();
                r
            })
            .collect()
    }

    /// The answer to `question` from `source`.
    pub fn resolve(&self, question: &Question, source: IpAddr) -> Answer {
        let qtype = question.qtype;
        if let Some(records) = own_name(&question.name, qtype) {
            return Answer {
                rcode: Rcode::NoError,
                authoritative: true,
                answers: records,
                authority: Vec::new(),
                additional: Vec::new(),
            };
        }
        let index = self.index();
        let Some(mut zone) = self.zone_for(&index, &question.name, source) else {
            return Answer::code(Rcode::Refused);
        };
        let mut answer = Answer {
            rcode: Rcode::NoError,
            authoritative: true,
            answers: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
        };
        let mut name = question.name.clone();
        for _ in 0..MAX_CHAIN {
            if let Some(referral) = delegation(&zone, &name) {
                if answer.answers.is_empty() {
                    answer.authoritative = false;
                }
                answer.authority = referral;
                return answer;
            }
            let Some(sets) = lookup(&zone, &name) else {
                if !zone.nonterminals.contains(&name) {
                    answer.rcode = Rcode::NxDomain;
                }
                answer.authority.extend(negative_soa(&zone));
                return answer;
            };
            let is_cname = sets.iter().any(|s| s.rtype == RecordType::CNAME);
            if is_cname && qtype != RecordType::CNAME {
                let cname = self.records_at(&index, sets, &name, RecordType::CNAME, source, 0);
                let target = cname.iter().find_map(|r| match &r.data {
                    RData::Name(t) => Some(t.clone()),
                    _ => None,
                });
                answer.answers.extend(cname);
                let Some(target) = target else {
                    return answer;
                };
                // Follow the chain only through zones served here.
                match self.zone_for(&index, &target, source) {
                    Some(z) => {
                        zone = z;
                        name = target;
                        continue;
                    }
                    None => return answer,
                }
            }
            let found = if qtype == RecordType::ANY {
                let mut types: Vec<u16> = sets.iter().map(|s| s.rtype).collect();
                types.dedup();
                types
                    .into_iter()
                    .flat_map(|t| self.records_at(&index, sets, &name, t, source, 0))
                    .collect()
            } else {
                self.records_at(&index, sets, &name, qtype, source, 0)
            };
            if found.is_empty() && answer.answers.is_empty() {
                answer.authority.extend(negative_soa(&zone));
            }
            answer.answers.extend(found);
            return answer;
        }
        answer
    }
}

impl Authority for DnsAuthority {
    fn answer(&self, question: &Question, source: IpAddr) -> Answer {
        self.resolve(question, source)
    }
}

/// The sets at `name`, or at the wildcard that covers it.
fn lookup<'a>(zone: &'a ZoneData, name: &str) -> Option<&'a [RoutedSet]> {
    if let Some(sets) = zone.names.get(name) {
        return Some(sets);
    }
    if zone.nonterminals.contains(name) {
        return None;
    }
    // The closest encloser's wildcard (RFC 4592), walking up to the apex.
    let mut parent = name;
    while let Some((_, rest)) = parent.split_once('.') {
        if rest.len() < zone.name.len() || rest.is_empty() {
            break;
        }
        if let Some(sets) = zone.names.get(&format!("*.{rest}")) {
            return Some(sets);
        }
        if zone.names.contains_key(rest) || zone.nonterminals.contains(rest) {
            break;
        }
        parent = rest;
    }
    None
}

/// The NS records of a delegation at or above `name`, below the apex.
fn delegation(zone: &ZoneData, name: &str) -> Option<Vec<Record>> {
    let mut cut = name;
    while cut.len() > zone.name.len() {
        if let Some(sets) = zone.names.get(cut) {
            if let Some(ns) = sets.iter().find(|s| s.rtype == RecordType::NS) {
                return Some(
                    ns.data
                        .iter()
                        .map(|d| Record {
                            name: cut.to_string(),
                            rtype: RecordType::NS,
                            ttl: ns.ttl,
                            data: d.clone(),
                        })
                        .collect(),
                );
            }
        }
        cut = cut.split_once('.').map_or("", |(_, r)| r);
    }
    None
}

/// The SOA for a negative answer, its TTL the lesser of its own and its
/// minimum (RFC 2308).
fn negative_soa(zone: &ZoneData) -> Option<Record> {
    let mut soa = zone.soa.clone()?;
    if let RData::Soa { minimum, .. } = soa.data {
        soa.ttl = soa.ttl.min(minimum);
    }
    Some(soa)
}

/// Gureum's own names: anything under `localhost.` is this host.
fn own_name(name: &str, rtype: u16) -> Option<Vec<Record>> {
    if name != "localhost." && !name.ends_with(".localhost.") {
        return None;
    }
    let data = match rtype {
        RecordType::A => RData::A(Ipv4Addr::LOCALHOST),
        RecordType::AAAA => RData::Aaaa(Ipv6Addr::LOCALHOST),
        _ => return Some(Vec::new()),
    };
    Some(vec![Record {
        name: name.to_string(),
        rtype,
        ttl: OWN_NAME_TTL,
        data,
    }])
}

/// A stored set read for answering (`None` for types not served).
fn routed_set(set: &Value) -> Option<RoutedSet> {
    let type_name = set["Type"].as_str()?;
    let rtype = RecordType::code(type_name)?;
    let values: Vec<&str> = set["ResourceRecords"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["Value"].as_str()).collect())
        .unwrap_or_default();
    let data = values.iter().filter_map(|v| rdata(rtype, v)).collect();
    let alias = set.get("AliasTarget").map(|a| routing::Alias {
        target: names::to_dns(a["DNSName"].as_str().unwrap_or_default()),
        zone_id: a["HostedZoneId"].as_str().unwrap_or_default().to_string(),
        evaluate_target_health: a["EvaluateTargetHealth"].as_bool().unwrap_or(false),
    });
    Some(RoutedSet {
        rtype,
        ttl: set["TTL"].as_u64().unwrap_or(60).min(u64::from(u32::MAX)) as u32,
        data,
        set_id: set["SetIdentifier"].as_str().map(str::to_string),
        weight: set["Weight"].as_u64(),
        failover: set["Failover"].as_str().map(|f| f == "PRIMARY"),
        multivalue: set["MultiValueAnswer"].as_bool().unwrap_or(false),
        region: set["Region"].as_str().map(str::to_string),
        geo_default: set["GeoLocation"]["CountryCode"].as_str() == Some("*"),
        health_check: set["HealthCheckId"].as_str().map(str::to_string),
        alias,
    })
}

/// One stored value as record data.
fn rdata(rtype: u16, v: &str) -> Option<RData> {
    let f: Vec<&str> = v.split_whitespace().collect();
    let name = |s: &str| names::normalize(s).map(|n| names::to_dns(&n));
    Some(match rtype {
        RecordType::A => RData::A(v.parse().ok()?),
        RecordType::AAAA => RData::Aaaa(v.parse().ok()?),
        RecordType::CNAME | RecordType::NS | RecordType::PTR => RData::Name(name(v)?),
        RecordType::MX => RData::Mx {
            preference: f.first()?.parse().ok()?,
            exchange: name(f.get(1)?)?,
        },
        RecordType::TXT | RecordType::SPF => RData::Txt(character_strings(v)?),
        RecordType::SRV => RData::Srv {
            priority: f.first()?.parse().ok()?,
            weight: f.get(1)?.parse().ok()?,
            port: f.get(2)?.parse().ok()?,
            target: name(f.get(3)?)?,
        },
        RecordType::CAA => {
            let flags = f.first()?.parse().ok()?;
            let tag = f.get(1)?.to_string();
            let rest = v.splitn(3, char::is_whitespace).nth(2)?.trim();
            RData::Caa {
                flags,
                tag,
                value: rest.trim_matches('"').as_bytes().to_vec(),
            }
        }
        RecordType::SOA => RData::Soa {
            mname: name(f.first()?)?,
            rname: name(f.get(1)?)?,
            serial: f.get(2)?.parse().ok()?,
            refresh: f.get(3)?.parse().ok()?,
            retry: f.get(4)?.parse().ok()?,
            expire: f.get(5)?.parse().ok()?,
            minimum: f.get(6)?.parse().ok()?,
        },
        _ => return None,
    })
}
