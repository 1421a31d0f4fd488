//! What EC2 bills for, read for the meter ([`gureum_kit::metering`]):
//! running instances, volumes, snapshots, public IPv4 addresses (an
//! instance's auto-assigned one and every Elastic IP) and NAT gateways.

use crate::common::tags;
use crate::compute::instances;
use crate::ebs::{snapshots, volumes};
use crate::vpc::{elastic_ips, nat_gateway};
use crate::Ec2Service;
use gureum_kit::metering::{Metered, Running, UsageSource};
use std::collections::HashMap;

/// Splits a `{account}/{region}/{id}` key.
fn split(key: &str) -> Option<(&str, &str, &str)> {
    let mut parts = key.splitn(3, '/');
    Some((parts.next()?, parts.next()?, parts.next()?))
}

impl UsageSource for Ec2Service {
    fn running(&self, now_ms: i64) -> Vec<Running> {
        let tags: HashMap<String, tags::Tags> = tags::table(&self.store)
            .scan_prefix("")
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut out = Vec::new();
        let mut push = |key: &str, since_ms: i64, what: Metered| {
            if let Some((account, region, id)) = split(key) {
                out.push(Running {
                    account: account.to_string(),
                    region: region.to_string(),
                    resource_id: id.to_string(),
                    since_ms,
                    what,
                    tags: tags
                        .get(key)
                        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                });
            }
        };
        for (key, i) in instances::table(&self.store)
            .scan_prefix("")
            .unwrap_or_default()
        {
            if !matches!(i.state.as_str(), "pending" | "running") {
                continue;
            }
            push(
                &key,
                i.launch_time,
                Metered::Instance {
                    instance_type: i.instance_type.clone(),
                    platform: i.platform.clone(),
                },
            );
            // An auto-assigned address is billed as in use; an Elastic IP
            // is billed below, once.
            if i.public_ip.is_some() && i.eip_allocation.is_none() {
                push(
                    &format!("{key}#ipv4"),
                    i.launch_time,
                    Metered::PublicIpv4 { in_use: true },
                );
            }
        }
        for (key, v) in volumes::table(&self.store)
            .scan_prefix("")
            .unwrap_or_default()
        {
            push(
                &key,
                v.create_ms,
                Metered::Volume {
                    volume_type: v.volume_type.clone(),
                    gib: v.size,
                    iops: v.iops,
                    throughput: v.throughput,
                },
            );
        }
        for (key, s) in snapshots::table(&self.store)
            .scan_prefix("")
            .unwrap_or_default()
        {
            push(&key, s.start_ms, Metered::Snapshot { gib: s.volume_size });
        }
        for (key, a) in elastic_ips::table(&self.store)
            .scan_prefix("")
            .unwrap_or_default()
        {
            // Allocation time is not stored: billed from when first seen.
            let in_use = a.association.is_some();
            push(&key, i64::MIN, Metered::PublicIpv4 { in_use });
        }
        for (key, n) in nat_gateway::table(&self.store)
            .scan_prefix("")
            .unwrap_or_default()
        {
            if matches!(n.state(now_ms), "pending" | "available") {
                push(&key, n.create_ms, Metered::NatGateway);
            }
        }
        out
    }
}
