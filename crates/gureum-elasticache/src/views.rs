//! The model's shapes for stored records, and the endpoint addresses:
//! AWS's names (`ID.HASH.0001.use1.cache.amazonaws.com`) under
//! `cache.localhost`, with each engine's real loopback port.

use crate::{catalog, Cluster, ReplicationGroup};
use gureum_core::{RequestContext, Value};
use gureum_store::Table;
use serde_json::json;

/// The DNS suffix the addresses end in (AWS: `cache.amazonaws.com`).
pub const DNS_SUFFIX: &str = "cache.localhost";

/// The short region in endpoint names (`us-east-1` → `use1`).
pub fn short_region(region: &str) -> String {
    let parts: Vec<&str> = region.split('-').collect();
    if parts.len() < 3 {
        return region.replace('-', "");
    }
    let direction = match parts[1] {
        "northeast" => "ne",
        "southeast" => "se",
        "northwest" => "nw",
        "southwest" => "sw",
        other => other.get(..1).unwrap_or_default(),
    };
    format!("{}{direction}{}", parts[0], parts[2..].join(""))
}

/// The per-account, per-region label AWS puts in endpoint names (six
/// base-36 characters, stable for the account and region).
pub fn label(account: &str, region: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in account.bytes().chain([b'/']).chain(region.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..6)
        .map(|i| alphabet[((h >> (i * 6)) % 36) as usize] as char)
        .collect()
}

/// An endpoint address `NAME.LABEL.REST.SHORTREGION.cache.localhost`.
fn address(account: &str, region: &str, name: &str, rest: &str) -> String {
    format!(
        "{name}.{}.{rest}.{}.{DNS_SUFFIX}",
        label(account, region),
        short_region(region)
    )
}

/// A node's address.
pub fn node_address(account: &str, region: &str, cluster: &str, node: &str) -> String {
    address(account, region, cluster, node)
}

/// A cluster's ARN.
pub fn cluster_arn(ctx: &RequestContext, id: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:cluster:{id}",
        ctx.region, ctx.account_id
    )
}

/// A replication group's ARN.
pub fn group_arn(ctx: &RequestContext, id: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:replicationgroup:{id}",
        ctx.region, ctx.account_id
    )
}

fn endpoint(address: String, port: u16) -> Value {
    json!({ "Address": address, "Port": port })
}

/// The port a cluster's first node answers on (the asked-for port until
/// it has started).
fn first_port(c: &Cluster) -> u16 {
    c.nodes
        .first()
        .map(|n| n.port)
        .filter(|p| *p != 0)
        .unwrap_or(c.port)
}

/// `CacheCluster`.
pub fn cluster_view(ctx: &RequestContext, c: &Cluster, show_nodes: bool) -> Value {
    let family = catalog::engine_version(&c.engine, Some(&c.engine_version)).map_or("", |e| e.2);
    let mut v = json!({
        "CacheClusterId": c.id,
        "ClientDownloadLandingPage": "https://console.aws.amazon.com/elasticache/home#client-download:",
        "CacheNodeType": c.node_type,
        "Engine": c.engine,
        "EngineVersion": c.engine_version,
        "CacheClusterStatus": c.status,
        "NumCacheNodes": c.nodes.len(),
        "PreferredAvailabilityZone": c.az,
        "CacheClusterCreateTime": c.created_ms as f64 / 1000.0,
        "PreferredMaintenanceWindow": c.maintenance_window,
        "PendingModifiedValues": {},
        "CacheSecurityGroups": [],
        "CacheParameterGroup": {
            "CacheParameterGroupName": c.parameter_group,
            "ParameterApplyStatus": if c.pending_reboot { "pending-reboot" } else { "in-sync" },
            "CacheNodeIdsToReboot": if c.pending_reboot { c.nodes.iter().map(|n| n.id.clone()).collect::<Vec<_>>() } else { vec![] },
        },
        "SecurityGroups": c.security_groups.iter().map(|s| json!({"SecurityGroupId": s, "Status": "active"})).collect::<Vec<_>>(),
        "AutoMinorVersionUpgrade": true,
        "AuthTokenEnabled": c.auth_token.is_some(),
        "TransitEncryptionEnabled": c.transit_encryption,
        "AtRestEncryptionEnabled": false,
        "ARN": cluster_arn(ctx, &c.id),
        "ReplicationGroupLogDeliveryEnabled": false,
        "LogDeliveryConfigurations": [],
        "NetworkType": "ipv4",
        "IpDiscovery": "ipv4",
    });
    let o = v.as_object_mut().expect("object");
    if let Some(sg) = &c.subnet_group {
        o.insert("CacheSubnetGroupName".into(), json!(sg));
    }
    if let Some(g) = &c.replication_group {
        o.insert("ReplicationGroupId".into(), json!(g));
    }
    if let Some(ms) = c.auth_token_modified_ms {
        o.insert(
            "AuthTokenLastModifiedDate".into(),
            json!(ms as f64 / 1000.0),
        );
    }
    if c.engine != "memcached" {
        o.insert("SnapshotRetentionLimit".into(), json!(c.snapshot_retention));
        o.insert("SnapshotWindow".into(), json!(c.snapshot_window));
    } else {
        o.insert(
            "ConfigurationEndpoint".into(),
            endpoint(
                address(&ctx.account_id, &ctx.region, &c.id, "cfg"),
                first_port(c),
            ),
        );
    }
    if show_nodes {
        let nodes: Vec<Value> = c
            .nodes
            .iter()
            .map(|n| {
                json!({
                    "CacheNodeId": n.id,
                    "CacheNodeStatus": n.status,
                    "CacheNodeCreateTime": n.created_ms as f64 / 1000.0,
                    "Endpoint": endpoint(node_address(&ctx.account_id, &ctx.region, &c.id, &n.id), if n.port != 0 { n.port } else { c.port }),
                    "ParameterGroupStatus": if c.pending_reboot { "pending-reboot" } else { "in-sync" },
                    "CustomerAvailabilityZone": c.az,
                })
            })
            .collect();
        o.insert("CacheNodes".into(), Value::Array(nodes));
    }
    let _ = family;
    v
}

/// A cluster-mode group's configuration endpoint address.
pub fn configuration_address(account: &str, region: &str, group: &str) -> String {
    address(account, region, group, "clustercfg")
}

/// The node groups of a cluster-mode group: one per shard with its slots
/// and members (no per-shard endpoints, as AWS: clients use the
/// configuration endpoint).
fn shard_views(g: &ReplicationGroup, members: &[Cluster]) -> Vec<Value> {
    let ranges = crate::cluster_mode::slot_ranges(g.shards.len() as u32);
    g.shards
        .iter()
        .zip(ranges)
        .map(|(shard, (lo, hi))| {
            let of_shard: Vec<Value> = members
                .iter()
                .filter(|c| crate::cluster_mode::shard_of(&c.id) == Some(shard.as_str()))
                .map(|c| json!({"CacheClusterId": c.id, "CacheNodeId": "0001", "PreferredAvailabilityZone": c.az}))
                .collect();
            json!({"NodeGroupId": shard, "Status": g.status, "Slots": format!("{lo}-{hi}"), "NodeGroupMembers": of_shard})
        })
        .collect()
}

/// `ReplicationGroup` (cluster mode disabled: node group `0001`).
pub fn group_view(ctx: &RequestContext, g: &ReplicationGroup, members: &[Cluster]) -> Value {
    let (acct, region) = (&ctx.account_id, &ctx.region);
    let primary = members.iter().find(|c| c.id == g.primary);
    let replica = members.iter().find(|c| c.id != g.primary);
    let primary_port = primary.map_or(g.port, first_port);
    let reader_port = replica.or(primary).map_or(g.port, first_port);
    let node_members: Vec<Value> = members
        .iter()
        .map(|c| {
            json!({
                "CacheClusterId": c.id,
                "CacheNodeId": "0001",
                "ReadEndpoint": endpoint(node_address(acct, region, &c.id, "0001"), first_port(c)),
                "PreferredAvailabilityZone": c.az,
                "CurrentRole": if c.id == g.primary { "primary" } else { "replica" },
            })
        })
        .collect();
    let mut v = json!({
        "ReplicationGroupId": g.id,
        "Description": g.description,
        "Status": g.status,
        "PendingModifiedValues": {},
        "MemberClusters": g.members,
        "NodeGroups": [{
            "NodeGroupId": "0001",
            "Status": g.status,
            "PrimaryEndpoint": endpoint(address(acct, region, &g.id, "ng.0001"), primary_port),
            "ReaderEndpoint": endpoint(address(acct, region, &format!("{}-ro", g.id), "ng.0001"), reader_port),
            "NodeGroupMembers": node_members,
        }],
        "AutomaticFailover": if g.automatic_failover { "enabled" } else { "disabled" },
        "MultiAZ": if g.multi_az { "enabled" } else { "disabled" },
        "SnapshotRetentionLimit": g.snapshot_retention,
        "SnapshotWindow": g.snapshot_window,
        "ClusterEnabled": false,
        "CacheNodeType": g.node_type,
        "AuthTokenEnabled": g.auth_token.is_some(),
        "TransitEncryptionEnabled": g.transit_encryption,
        "AtRestEncryptionEnabled": g.at_rest_encryption,
        "ARN": group_arn(ctx, &g.id),
        "UserGroupIds": g.user_group.iter().collect::<Vec<_>>(),
        "LogDeliveryConfigurations": [],
        "ReplicationGroupCreateTime": g.created_ms as f64 / 1000.0,
        "DataTiering": "disabled",
        "AutoMinorVersionUpgrade": true,
        "NetworkType": "ipv4",
        "IpDiscovery": "ipv4",
        "ClusterMode": "disabled",
        "Engine": g.engine,
    });
    if let Some(ms) = g.auth_token_modified_ms {
        v["AuthTokenLastModifiedDate"] = json!(ms as f64 / 1000.0);
    }
    if !g.shards.is_empty() {
        v["NodeGroups"] = Value::Array(shard_views(g, members));
        v["ClusterEnabled"] = json!(true);
        v["ClusterMode"] = json!("enabled");
        v["ConfigurationEndpoint"] =
            endpoint(configuration_address(acct, region, &g.id), primary_port);
    }
    v
}

/// Every node's address and port, by cluster, plus each replication
/// group's primary and reader endpoints, for `/_gureum/health`.
pub fn endpoint_listing(clusters: &Table<Cluster>, groups: &Table<ReplicationGroup>) -> Value {
    let mut out = serde_json::Map::new();
    for (key, c) in clusters.scan_prefix("").unwrap_or_default() {
        let mut parts = key.splitn(3, '/');
        let (Some(acct), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        if let Some(name) = c.id.strip_prefix('~') {
            if let Some(p) = c.nodes.first().map(|n| n.port).filter(|p| *p != 0) {
                let address = format!(
                    "{name}-{}.serverless.{}.{DNS_SUFFIX}",
                    label(acct, region),
                    short_region(region)
                );
                out.insert(format!("{address}:{p}"), json!(format!("127.0.0.1:{p}")));
            }
            continue;
        }
        for n in c.nodes.iter().filter(|n| n.port != 0) {
            out.insert(
                format!("{}:{}", node_address(acct, region, &c.id, &n.id), n.port),
                json!(format!("127.0.0.1:{}", n.port)),
            );
        }
    }
    for (key, g) in groups.scan_prefix("").unwrap_or_default() {
        let mut parts = key.splitn(3, '/');
        let (Some(acct), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        let port_of = |id: &str| {
            clusters
                .get(&format!("{acct}/{region}/{id}"))
                .ok()
                .flatten()
                .map(|c| first_port(&c))
        };
        if !g.shards.is_empty() {
            if let Some(p) = port_of(&g.primary) {
                out.insert(
                    format!("{}:{p}", configuration_address(acct, region, &g.id)),
                    json!(format!("127.0.0.1:{p}")),
                );
            }
            continue;
        }
        if let Some(p) = port_of(&g.primary) {
            out.insert(
                format!("{}:{p}", address(acct, region, &g.id, "ng.0001")),
                json!(format!("127.0.0.1:{p}")),
            );
        }
        if let Some(p) = g
            .members
            .iter()
            .find(|m| **m != g.primary)
            .and_then(|m| port_of(m))
        {
            out.insert(
                format!(
                    "{}:{p}",
                    address(acct, region, &format!("{}-ro", g.id), "ng.0001")
                ),
                json!(format!("127.0.0.1:{p}")),
            );
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_regions_are_aws_abbreviations() {
        assert_eq!(short_region("us-east-1"), "use1");
        assert_eq!(short_region("ap-northeast-2"), "apne2");
        assert_eq!(short_region("eu-central-1"), "euc1");
    }

    #[test]
    fn node_addresses_have_aws_shape_under_cache_localhost() {
        let a = node_address("000000000000", "us-east-1", "my-redis", "0001");
        let parts: Vec<&str> = a.split('.').collect();
        assert_eq!(parts[0], "my-redis");
        assert_eq!(parts[1].len(), 6);
        assert_eq!(&parts[2..], ["0001", "use1", "cache", "localhost"]);
    }
}
