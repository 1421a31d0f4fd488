//! What the fabric enforces, read from the store: per VPC with pending or
//! running instances, its subnets' network ACLs and route tables, each
//! instance's security group rules with their peers resolved to address
//! blocks (CIDRs, prefix lists' entries, referenced groups' members'
//! current private addresses), NAT gateways and active peerings. The
//! ticker hands it to the host each second, so rule changes reach live
//! traffic within a second without each operation telling the host.

use super::host::{AclRule, FlowRule, InstancePlan, NatPlan, SubnetPlan, VpcPlan};
use super::instances::{table as instances, Instance};
use crate::vpc::security_group::{self, Rule, SecurityGroup};
use crate::vpc::{nat_gateway, peering, prefix_lists, route_table, subnet, vpcs};
use crate::Ec2Service;
use gureum_core::Clock;
use std::collections::{BTreeMap, HashMap};

/// One account's region, the unit every table is scanned by.
type Region = (String, String);

impl Ec2Service {
    /// The plans of every VPC with pending or running instances.
    pub fn network_plans(&self, clock: &Clock) -> Vec<VpcPlan> {
        let now = clock.now_millis();
        let Ok(rows) = instances(&self.store).scan_prefix("") else {
            return Vec::new();
        };
        let mut by_region: BTreeMap<Region, Vec<Instance>> = BTreeMap::new();
        for (k, mut i) in rows {
            i.settle(now);
            if !matches!(i.state.as_str(), "pending" | "running") {
                continue;
            }
            let mut parts = k.splitn(3, '/');
            if let (Some(a), Some(r)) = (parts.next(), parts.next()) {
                by_region
                    .entry((a.to_string(), r.to_string()))
                    .or_default()
                    .push(i);
            }
        }
        let mut out = Vec::new();
        for (region, live) in by_region {
            out.extend(self.region_plans(&region, &live, now));
        }
        out
    }

    fn region_plans(&self, region: &Region, live: &[Instance], now: i64) -> Vec<VpcPlan> {
        let store = &self.store;
        let prefix = format!("{}/{}/", region.0, region.1);
        let groups: HashMap<String, SecurityGroup> = security_group::table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, g)| (g.id.clone(), g))
            .collect();
        let lists: HashMap<String, Vec<String>> = prefix_lists::table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, l)| (l.id, l.entries.into_iter().map(|(c, _)| c).collect()))
            .chain(
                prefix_lists::aws_lists(&region.1)
                    .into_iter()
                    .map(|l| (l.id, l.cidrs.iter().map(|c| c.to_string()).collect())),
            )
            .collect();
        // A group's members: the private addresses of the live instances
        // that carry it.
        let mut members: HashMap<&str, Vec<String>> = HashMap::new();
        for i in live {
            for (g, _) in &i.groups {
                members
                    .entry(g.as_str())
                    .or_default()
                    .push(format!("{}/32", i.private_ip));
            }
        }
        let subnets: Vec<subnet::Subnet> = subnet::table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        let acls: Vec<vpcs::NetworkAcl> = vpcs::acl_table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        let tables: Vec<route_table::RouteTable> = route_table::table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let vpc_cidrs: HashMap<String, String> = vpcs::table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, v)| (v.id, v.cidr))
            .collect();
        let nats: Vec<nat_gateway::NatGateway> = nat_gateway::table(store)
            .scan_prefix(&prefix)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, g)| g)
            .filter(|g| g.state(now) == "available" && g.public_ip.is_some())
            .collect();
        let peerings: Vec<peering::Peering> = peering::table(store)
            .scan_prefix("")
            .unwrap_or_default()
            .into_iter()
            .map(|(_, mut p)| {
                p.settle(now);
                p
            })
            .filter(|p| p.status == "active")
            .collect();
        let mut vpc_ids: Vec<&str> = live.iter().map(|i| i.vpc_id.as_str()).collect();
        vpc_ids.sort_unstable();
        vpc_ids.dedup();
        let resolve = |rules: &[&Rule]| -> Vec<FlowRule> {
            rules
                .iter()
                .filter(|r| r.cidr_ipv6.is_none())
                .map(|r| FlowRule {
                    protocol: r.protocol.clone(),
                    from_port: r.from_port,
                    to_port: r.to_port,
                    peers: if let Some(c) = &r.cidr_ipv4 {
                        vec![c.clone()]
                    } else if let Some(pl) = &r.prefix_list_id {
                        lists.get(pl).cloned().unwrap_or_default()
                    } else if let Some(g) = &r.group_id {
                        members.get(g.as_str()).cloned().unwrap_or_default()
                    } else {
                        Vec::new()
                    },
                })
                .collect()
        };
        vpc_ids
            .into_iter()
            .map(|vpc_id| {
                let instances = live
                    .iter()
                    .filter(|i| i.vpc_id == vpc_id)
                    .map(|i| {
                        let rules: Vec<&Rule> = i
                            .groups
                            .iter()
                            .filter_map(|(g, _)| groups.get(g))
                            .flat_map(|g| g.rules.iter())
                            .collect();
                        let (egress, ingress): (Vec<&Rule>, Vec<&Rule>) =
                            rules.into_iter().partition(|r| r.egress);
                        InstancePlan {
                            instance_id: i.id.clone(),
                            subnet_id: i.subnet_id.clone(),
                            private_ip: i.private_ip.clone(),
                            public_ip: i.public_ip.clone(),
                            ingress: resolve(&ingress),
                            egress: resolve(&egress),
                        }
                    })
                    .collect();
                let subnet_plans = subnets
                    .iter()
                    .filter(|s| s.vpc_id == vpc_id)
                    .map(|s| subnet_plan(s, &acls, &tables))
                    .collect();
                VpcPlan {
                    account: region.0.clone(),
                    region: region.1.clone(),
                    vpc_id: vpc_id.to_string(),
                    cidr: vpc_cidrs.get(vpc_id).cloned().unwrap_or_default(),
                    subnets: subnet_plans,
                    instances,
                    nat_gateways: nats
                        .iter()
                        .filter(|g| g.vpc_id == vpc_id)
                        .map(|g| NatPlan {
                            nat_gateway_id: g.id.clone(),
                            subnet_id: g.subnet_id.clone(),
                            public_ip: g.public_ip.clone().unwrap_or_default(),
                        })
                        .collect(),
                    peerings: peerings
                        .iter()
                        .filter_map(|p| peer_of(p, region, vpc_id))
                        .collect(),
                }
            })
            .collect()
    }
}

/// The other side of `p` when one side is `vpc_id` of `region` and the
/// other is in the same account and region (the fabric links only VPCs
/// it runs side by side).
fn peer_of(
    p: &peering::Peering,
    region: &Region,
    vpc_id: &str,
) -> Option<(String, String, Vec<String>)> {
    let same = |s: &peering::Side| s.owner == region.0 && s.region == region.1;
    let (me, other) = if p.requester.vpc_id == vpc_id {
        (&p.requester, &p.accepter)
    } else if p.accepter.vpc_id == vpc_id {
        (&p.accepter, &p.requester)
    } else {
        return None;
    };
    (same(me) && same(other)).then(|| (p.id.clone(), other.vpc_id.clone(), other.cidrs.clone()))
}

/// A subnet's ACL (its explicit association, else its VPC's default) and
/// route table (its explicit association, else its VPC's main table).
fn subnet_plan(
    s: &subnet::Subnet,
    acls: &[vpcs::NetworkAcl],
    tables: &[route_table::RouteTable],
) -> SubnetPlan {
    let acl = acls
        .iter()
        .find(|a| a.associations.iter().any(|x| x.subnet_id == s.id))
        .or_else(|| acls.iter().find(|a| a.is_default && a.vpc_id == s.vpc_id));
    let mut entries: Vec<AclRule> = acl
        .map(|a| {
            a.entries
                .iter()
                .map(|e| AclRule {
                    rule_number: e.rule_number,
                    egress: e.egress,
                    allow: e.action == "allow",
                    protocol: e.protocol.clone(),
                    cidr: e.cidr.clone(),
                    ports: e.port_range,
                    icmp: e.icmp,
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort_by_key(|e| (e.egress, e.rule_number));
    let table = tables
        .iter()
        .find(|t| {
            t.associations
                .iter()
                .any(|a| a.subnet_id.as_deref() == Some(s.id.as_str()))
        })
        .or_else(|| {
            tables
                .iter()
                .find(|t| t.vpc_id == s.vpc_id && t.associations.iter().any(|a| a.main))
        });
    SubnetPlan {
        subnet_id: s.id.clone(),
        cidr: s.cidr.clone(),
        acl: entries,
        routes: table
            .map(|t| {
                t.routes
                    .iter()
                    .filter(|r| !r.destination.contains(':') && !r.destination.starts_with("pl-"))
                    .map(|r| (r.destination.clone(), r.target.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    }
}
