//! Replication groups with cluster mode enabled: shards (node groups) of
//! a primary and its replicas, every node a `redis-server` with
//! `cluster-enabled yes`. Once all nodes accept connections the group is
//! formed for real: `CLUSTER MEET`, each shard's primary takes its slot
//! range (`CLUSTER ADDSLOTSRANGE`), replicas `CLUSTER REPLICATE` their
//! primary, and the group is `available` when `cluster_state:ok`. Each
//! node's `nodes.conf` keeps the cluster across restarts of Gureum.

use crate::lifecycle::{node_key, Backend};
use crate::{resp, Cluster, ReplicationGroup, CLUSTERS};
use std::time::{Duration, Instant};

/// Redis Cluster's hash slots.
pub const SLOTS: u32 = 16384;

/// The slot ranges of `shards` node groups, split evenly (`0-8191`).
pub fn slot_ranges(shards: u32) -> Vec<(u32, u32)> {
    let shards = shards.max(1);
    (0..shards)
        .map(|i| (i * SLOTS / shards, (i + 1) * SLOTS / shards - 1))
        .collect()
}

/// The shard (`0001`) of a member id `GROUP-0001-001`.
pub fn shard_of(member: &str) -> Option<&str> {
    let mut parts = member.rsplitn(3, '-');
    let _member = parts.next()?;
    parts.next()
}

fn ports(backend: &Backend, prefix: &str, g: &ReplicationGroup) -> Vec<(Cluster, u16)> {
    let clusters = backend.store.table::<Cluster>(CLUSTERS);
    g.members
        .iter()
        .filter_map(|m| {
            let key = format!("{prefix}{m}");
            let c = clusters.get(&key).ok().flatten()?;
            let port = backend.engines.port_of(&node_key(&key, "0001"))?;
            Some((c, port))
        })
        .collect()
}

fn until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Forms the cluster of a new group (meet, slots, replicas) and waits for
/// `cluster_state:ok`; on a restart only waits. `false` when it does not
/// come together (the reason is logged).
pub fn form(backend: &Backend, prefix: &str, g: &ReplicationGroup, new: bool) -> bool {
    let nodes = ports(backend, prefix, g);
    if nodes.len() != g.members.len() || nodes.is_empty() {
        return false;
    }
    let auth = g.admin_auth();
    let auth = auth.as_ref();
    let first = nodes[0].1;
    if new {
        for (_, port) in &nodes[1..] {
            if let Err(e) = resp::command(
                first,
                auth,
                &["CLUSTER", "MEET", "127.0.0.1", &port.to_string()],
            ) {
                tracing::warn!(target: "gureum", "elasticache {}: CLUSTER MEET: {e}", g.id);
                return false;
            }
        }
        let all_known = until(Duration::from_secs(10), || {
            nodes.iter().all(|(_, p)| {
                resp::command(*p, auth, &["CLUSTER", "NODES"])
                    .map(|n| n.lines().filter(|l| !l.is_empty()).count() >= nodes.len())
                    .unwrap_or(false)
            })
        });
        if !all_known {
            tracing::warn!(target: "gureum", "elasticache {}: the nodes did not meet", g.id);
            return false;
        }
        for (shard, (lo, hi)) in g.shards.iter().zip(slot_ranges(g.shards.len() as u32)) {
            let Some((_, port)) = nodes.iter().find(|(c, _)| {
                c.role.as_deref() == Some("primary") && shard_of(&c.id) == Some(shard.as_str())
            }) else {
                continue;
            };
            if let Err(e) = resp::command(
                *port,
                auth,
                &["CLUSTER", "ADDSLOTSRANGE", &lo.to_string(), &hi.to_string()],
            ) {
                tracing::warn!(target: "gureum", "elasticache {}: ADDSLOTSRANGE: {e}", g.id);
                return false;
            }
        }
        for (c, port) in nodes
            .iter()
            .filter(|(c, _)| c.role.as_deref() == Some("replica"))
        {
            let Some((_, pport)) = nodes.iter().find(|(p, _)| {
                p.role.as_deref() == Some("primary") && shard_of(&p.id) == shard_of(&c.id)
            }) else {
                continue;
            };
            let Ok(primary_id) = resp::command(*pport, auth, &["CLUSTER", "MYID"]) else {
                return false;
            };
            // The replica learns of the primary through gossip: retry.
            let ok = until(Duration::from_secs(10), || {
                resp::command(*port, auth, &["CLUSTER", "REPLICATE", &primary_id]).is_ok()
            });
            if !ok {
                tracing::warn!(target: "gureum", "elasticache {}: {} could not replicate", g.id, c.id);
                return false;
            }
        }
    }
    let ok = until(Duration::from_secs(20), || {
        nodes.iter().all(|(_, p)| {
            resp::command(*p, auth, &["CLUSTER", "INFO"])
                .map(|i| i.contains("cluster_state:ok"))
                .unwrap_or(false)
        })
    });
    if !ok {
        tracing::warn!(target: "gureum", "elasticache {}: cluster_state is not ok", g.id);
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_split_evenly_and_cover_every_slot() {
        assert_eq!(slot_ranges(2), [(0, 8191), (8192, 16383)]);
        let three = slot_ranges(3);
        assert_eq!(three.first().map(|r| r.0), Some(0));
        assert_eq!(three.last().map(|r| r.1), Some(16383));
        assert!(three.windows(2).all(|w| w[0].1 + 1 == w[1].0));
    }

    #[test]
    fn a_member_names_its_shard() {
        assert_eq!(shard_of("rg-0002-001"), Some("0002"));
        assert_eq!(shard_of("my-rg-0001-003"), Some("0001"));
    }
}
