//! Rendering a VPC's plan into nftables rulesets (pure text; [`crate::network`]
//! applies them).
//!
//! - Each instance's namespace holds `table inet gureum`: its security
//!   groups, stateful (conntrack lets replies and related ICMP back), the
//!   metadata service and the resolver always reachable, everything else
//!   dropped. The instance's processes lack `CAP_NET_ADMIN`, so they
//!   cannot change it.
//! - The VPC router's namespace holds `table inet gureum`: network ACLs
//!   per subnet, stateless (every packet of both directions, entries in
//!   rule-number order, the final `*` a drop), the route tables' say on
//!   what leaves the VPC (internet gateway, NAT gateway, peering), and the
//!   internet gateway's 1:1 NAT and NAT gateways' masquerade.
//!
//! Every address and port comes from the store, but each is checked here
//! again before it reaches nft's syntax.

use gureum_ec2::compute::host::{AclRule, FlowRule, SubnetPlan, VpcPlan};
use std::fmt::Write;

/// The host-facing link inside the router namespace.
pub const UPLINK: &str = "up0";
/// The router's bridge.
pub const BRIDGE: &str = "br0";

/// `a.b.c.d/n` when `text` is an IPv4 block (or address, as `/32`).
pub fn cidr(text: &str) -> Option<String> {
    let (ip, bits) = text.split_once('/').unwrap_or((text, "32"));
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    let bits: u8 = bits.parse().ok().filter(|b| *b <= 32)?;
    Some(format!("{ip}/{bits}"))
}

/// An IPv4 address, checked.
fn addr(text: &str) -> Option<String> {
    text.parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|a| a.to_string())
}

/// `ip saddr X ` (or `daddr`), nothing for `0.0.0.0/0`; `None` when the
/// block does not parse.
fn peer_match(dir: &str, block: &str) -> Option<String> {
    let c = cidr(block)?;
    Some(if c.ends_with("/0") {
        String::new()
    } else {
        format!("ip {dir} {c} ")
    })
}

/// The protocol and port part of a rule, `None` when nft could not
/// express it (IPv6 protocols, nonsense).
fn l4_match(protocol: &str, ports: Option<(i64, i64)>, icmp: Option<(i64, i64)>) -> Option<String> {
    let proto = match protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => return Some(String::new()),
        "tcp" | "6" => "tcp",
        "udp" | "17" => "udp",
        "icmp" | "1" => "icmp",
        "icmpv6" | "58" => return None,
        other => {
            let n: u8 = other.parse().ok()?;
            return Some(format!("ip protocol {n} "));
        }
    };
    if proto == "icmp" {
        let mut m = "ip protocol icmp ".to_string();
        if let Some((t, c)) = icmp {
            if (0..=255).contains(&t) {
                let _ = write!(m, "icmp type {t} ");
                if (0..=255).contains(&c) {
                    let _ = write!(m, "icmp code {c} ");
                }
            }
        }
        return Some(m);
    }
    match ports {
        Some((from, to)) if (0..=65535).contains(&from) && (from..=65535).contains(&to) => {
            if from == 0 && to == 65535 {
                Some(format!("meta l4proto {proto} "))
            } else {
                Some(format!("{proto} dport {from}-{to} "))
            }
        }
        Some(_) => None,
        None => Some(format!("meta l4proto {proto} ")),
    }
}

/// A security group rule's lines (one per peer block).
fn flow_lines(out: &mut String, rule: &FlowRule, dir: &str) {
    let ports = match (rule.from_port, rule.to_port) {
        (Some(f), Some(t)) if f >= 0 => Some((f, t)),
        _ => None,
    };
    // For ICMP rules the ports are the type and code.
    let Some(l4) = l4_match(&rule.protocol, ports, ports) else {
        return;
    };
    for peer in &rule.peers {
        if let Some(p) = peer_match(dir, peer) {
            let _ = writeln!(out, "    {p}{l4}accept");
        }
    }
}

/// The instance namespace's ruleset: its security groups' rules;
/// `resolver` is the VPC's `.2`, reachable whatever the groups say.
pub fn instance_rules(ingress: &[FlowRule], egress: &[FlowRule], resolver: Option<&str>) -> String {
    let mut s =
        String::from("table inet gureum {}\ndelete table inet gureum\ntable inet gureum {\n");
    s.push_str("  chain input {\n    type filter hook input priority filter; policy drop;\n");
    s.push_str("    iif \"lo\" accept\n    ct state established,related accept\n");
    for r in ingress {
        flow_lines(&mut s, r, "saddr");
    }
    s.push_str(
        "  }\n  chain output {\n    type filter hook output priority filter; policy drop;\n",
    );
    s.push_str("    oif \"lo\" accept\n    ct state established,related accept\n");
    // The metadata service and the Amazon-provided resolver are never
    // subject to security groups.
    let _ = writeln!(
        s,
        "    ip daddr {{ {}, {} }} accept",
        crate::fabric::IMDS_IP,
        crate::fabric::DNS_IP
    );
    if let Some(dot2) = resolver.and_then(addr) {
        let _ = writeln!(s, "    ip daddr {dot2} udp dport 53 accept");
        let _ = writeln!(s, "    ip daddr {dot2} tcp dport 53 accept");
    }
    for r in egress {
        flow_lines(&mut s, r, "daddr");
    }
    s.push_str("  }\n}\n");
    s
}

/// The chain name of a subnet's ACL direction (`in_subnet-…`).
fn acl_chain(dir: &str, subnet: &SubnetPlan) -> String {
    let id: String = subnet
        .subnet_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{dir}_{id}")
}

/// A subnet's ACL entries of one direction: allow returns to the forward
/// chain, deny drops; what no entry matches is dropped (the `*` rule).
fn acl_lines(out: &mut String, entries: &[AclRule], egress: bool) {
    let dir = if egress { "daddr" } else { "saddr" };
    let mut list: Vec<&AclRule> = entries.iter().filter(|e| e.egress == egress).collect();
    list.sort_by_key(|e| e.rule_number);
    for e in list {
        let Some(p) = peer_match(dir, &e.cidr) else {
            continue;
        };
        let Some(l4) = l4_match(&e.protocol, e.ports, e.icmp) else {
            continue;
        };
        let verdict = if e.allow { "return" } else { "drop" };
        let _ = writeln!(out, "    {p}{l4}{verdict}");
    }
    out.push_str("    drop\n");
}

/// The subnet's route whose target starts with `kind` (`igw-`, `nat-`)
/// for the whole internet.
fn default_route<'a>(subnet: &'a SubnetPlan, kind: &str) -> Option<&'a str> {
    subnet
        .routes
        .iter()
        .find(|(dst, target)| dst == "0.0.0.0/0" && target.starts_with(kind))
        .map(|(_, t)| t.as_str())
}

/// Whether instances of `subnet_id` reach the internet gateway (their
/// public addresses are mapped).
pub fn via_igw(plan: &VpcPlan, subnet_id: &str) -> bool {
    plan.subnets
        .iter()
        .any(|s| s.subnet_id == subnet_id && default_route(s, "igw-").is_some())
}

/// The public addresses the host routes to this VPC: instances behind the
/// internet gateway, and the NAT gateways (for their replies).
pub fn public_addresses(plan: &VpcPlan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .instances
        .iter()
        .filter(|i| via_igw(plan, &i.subnet_id))
        .filter_map(|i| i.public_ip.as_deref().and_then(addr))
        .collect();
    out.extend(
        plan.nat_gateways
            .iter()
            .filter(|n| via_igw(plan, &n.subnet_id))
            .filter_map(|n| addr(&n.public_ip)),
    );
    out.sort();
    out.dedup();
    out
}

/// The interface name of a peering link inside both routers.
pub fn peering_link(pcx: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(pcx.as_bytes());
    format!("p{}", &hex::encode(&h[..4]))
}

/// The router namespace's ruleset for `plan`.
pub fn router_rules(plan: &VpcPlan) -> String {
    let mut s =
        String::from("table inet gureum {}\ndelete table inet gureum\ntable inet gureum {\n");
    // 1:1 NAT of the internet gateway, only for subnets routed to it.
    let mapped: Vec<(String, String)> = plan
        .instances
        .iter()
        .filter(|i| via_igw(plan, &i.subnet_id))
        .filter_map(|i| Some((addr(i.public_ip.as_deref()?)?, addr(&i.private_ip)?)))
        .collect();
    // Subnets routed to a NAT gateway leave as its Elastic IP.
    let mut natted: Vec<(String, String)> = Vec::new();
    for sub in &plan.subnets {
        let Some(nat) = default_route(sub, "nat-") else {
            continue;
        };
        let Some(gw) = plan.nat_gateways.iter().find(|n| n.nat_gateway_id == nat) else {
            continue;
        };
        if !via_igw(plan, &gw.subnet_id) {
            continue;
        }
        if let (Some(block), Some(public)) = (cidr(&sub.cidr), addr(&gw.public_ip)) {
            natted.push((block, public));
        }
    }
    // What may reach the internet may reach a public address of this VPC
    // too: on AWS that trip goes out through the gateway and back in, so
    // the target sees the sender's public address (hairpin NAT here; the
    // postrouting hook has no input interface, so `ct status dnat` marks
    // the hairpin there).
    let senders: Vec<&str> = mapped
        .iter()
        .map(|(_, private)| private.as_str())
        .chain(natted.iter().map(|(block, _)| block.as_str()))
        .collect();
    // One set of senders, so the ruleset grows with the instances, not
    // with their square.
    if !senders.is_empty() {
        let _ = writeln!(
            s,
            "  set hairpin_senders {{\n    type ipv4_addr; flags interval;\n    elements = {{ {} }}\n  }}",
            senders.join(", ")
        );
    }
    s.push_str("  chain pre {\n    type nat hook prerouting priority dstnat; policy accept;\n");
    for (public, private) in &mapped {
        let _ = writeln!(
            s,
            "    iifname \"{UPLINK}\" ip daddr {public} dnat ip to {private}"
        );
        if !senders.is_empty() {
            let _ = writeln!(
                s,
                "    iifname \"{BRIDGE}\" ip saddr @hairpin_senders ip daddr {public} dnat ip to {private}"
            );
        }
    }
    s.push_str(
        "  }\n  chain post {\n    type nat hook postrouting priority srcnat; policy accept;\n",
    );
    for (public, private) in &mapped {
        let _ = writeln!(
            s,
            "    oifname \"{UPLINK}\" ip saddr {private} snat ip to {public}"
        );
        let _ = writeln!(
            s,
            "    oifname \"{BRIDGE}\" ip saddr {private} ct status dnat snat ip to {public}"
        );
    }
    for (block, public) in &natted {
        let _ = writeln!(
            s,
            "    oifname \"{UPLINK}\" ip saddr {block} snat ip to {public}"
        );
        let _ = writeln!(
            s,
            "    oifname \"{BRIDGE}\" ip saddr {block} ct status dnat snat ip to {public}"
        );
    }
    let natted: Vec<String> = natted.into_iter().map(|(block, _)| block).collect();
    s.push_str(
        "  }\n  chain forward {\n    type filter hook forward priority filter; policy drop;\n",
    );
    // Within a subnet no ACL applies (bridged traffic may pass here when
    // the host loaded br_netfilter).
    let blocks: Vec<(String, &SubnetPlan)> = plan
        .subnets
        .iter()
        .filter_map(|sub| Some((cidr(&sub.cidr)?, sub)))
        .collect();
    for (block, _) in &blocks {
        let _ = writeln!(s, "    ip saddr {block} ip daddr {block} accept");
    }
    // Network ACLs: leaving a subnet, then entering one; every packet.
    for (block, sub) in &blocks {
        let _ = writeln!(s, "    ip saddr {block} jump {}", acl_chain("out", sub));
        let _ = writeln!(s, "    ip daddr {block} jump {}", acl_chain("in", sub));
    }
    // Peering: a subnet reaches a peer's block only by its own route,
    // replies included (each side's route table carries its own half);
    // what arrives from a peer was allowed by the peer's routes.
    for (pcx, _, _) in &plan.peerings {
        let link = peering_link(pcx);
        for (block, sub) in &blocks {
            for (dst, target) in &sub.routes {
                if target == pcx {
                    if let Some(dst) = cidr(dst) {
                        let _ = writeln!(
                            s,
                            "    iifname \"{BRIDGE}\" oifname \"{link}\" ip saddr {block} ip daddr {dst} accept"
                        );
                    }
                }
            }
        }
        let _ = writeln!(s, "    oifname \"{link}\" drop");
        let _ = writeln!(s, "    iifname \"{link}\" oifname \"{BRIDGE}\" accept");
    }
    s.push_str("    ct state established,related accept\n");
    // The local route: anywhere in the VPC.
    let _ = writeln!(s, "    iifname \"{BRIDGE}\" oifname \"{BRIDGE}\" accept");
    // The internet reaches only what the internet gateway maps.
    let _ = writeln!(
        s,
        "    iifname \"{UPLINK}\" oifname \"{BRIDGE}\" ct status dnat accept"
    );
    for (_, private) in &mapped {
        let _ = writeln!(
            s,
            "    iifname \"{BRIDGE}\" oifname \"{UPLINK}\" ip saddr {private} accept"
        );
    }
    for block in &natted {
        let _ = writeln!(
            s,
            "    iifname \"{BRIDGE}\" oifname \"{UPLINK}\" ip saddr {block} accept"
        );
    }
    s.push_str("  }\n");
    for (_, sub) in &blocks {
        let _ = writeln!(s, "  chain {} {{", acl_chain("out", sub));
        acl_lines(&mut s, &sub.acl, true);
        s.push_str("  }\n");
        let _ = writeln!(s, "  chain {} {{", acl_chain("in", sub));
        acl_lines(&mut s, &sub.acl, false);
        s.push_str("  }\n");
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests;
