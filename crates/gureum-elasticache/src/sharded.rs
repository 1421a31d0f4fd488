//! Replication groups with cluster mode enabled, the control plane:
//! `CreateReplicationGroup` with `NumNodeGroups` (shards of a primary and
//! its replicas, members named `GROUP-0001-001`) and `TestFailover` of a
//! shard. The cluster itself is formed in `cluster_mode.rs`.

use crate::clusters::{new_cluster, settings};
use crate::groups::{load, members, require_available, view, MAX_MEMBERS};
use crate::input::{flag, int, tag_list};
use crate::lifecycle::{self, node_key, update_cluster, update_group};
use crate::views::{group_arn, group_view};
use crate::{resp, tags, Cluster, ElasticacheError, ElasticacheService, ReplicationGroup};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// Most shards Gureum runs in one group (every node is a process here).
const MAX_SHARDS: i64 = 10;

/// `CreateReplicationGroup` with cluster mode enabled: `shards` node
/// groups of a primary and `ReplicasPerNodeGroup` replicas each, members
/// named `GROUP-0001-001`; the cluster is formed once all are up
/// (`cluster_mode.rs`).
pub(crate) fn create(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
    id: String,
    description: String,
    shards: i64,
) -> OpResult {
    for unsupported in ["PrimaryClusterId", "SnapshotName", "UserGroupIds"] {
        if input.get(unsupported).is_some() {
            return Err(ElasticacheError::combination(format!(
                "Gureum does not yet serve {unsupported} with cluster mode enabled."
            ))
            .into());
        }
    }
    if input.get("NumCacheClusters").is_some() {
        return Err(ElasticacheError::combination(
            "NumCacheClusters is for cluster mode disabled; use NumNodeGroups and ReplicasPerNodeGroup.",
        )
        .into());
    }
    if !(1..=MAX_SHARDS).contains(&shards) {
        return Err(ElasticacheError::value(format!(
            "Gureum runs 1 to {MAX_SHARDS} node groups per replication group (every node is a process on this host)."
        ))
        .into());
    }
    let replicas = int(input, "ReplicasPerNodeGroup").unwrap_or(1);
    if !(0..MAX_MEMBERS).contains(&replicas) {
        return Err(ElasticacheError::value(
            "The number of replicas per node group must be within 0 and 5.",
        )
        .into());
    }
    if flag(input, "AutomaticFailoverEnabled") == Some(false) {
        return Err(ElasticacheError::combination(
            "Automatic failover must be enabled for a replication group with cluster mode enabled.",
        )
        .into());
    }
    let multi_az = flag(input, "MultiAZEnabled").unwrap_or(false);
    let s = settings(svc, ctx, input, Some("redis"))?;
    if s.engine == "memcached" {
        return Err(ElasticacheError::value(
            "Replication groups are supported for the redis and valkey engines only.",
        )
        .into());
    }
    let scope = Scope::regional(ctx);
    let shard_ids: Vec<String> = (1..=shards).map(|i| format!("{i:04}")).collect();
    let mut members = Vec::new();
    for shard in &shard_ids {
        for m in 1..=replicas + 1 {
            let mut c = new_cluster(ctx, &format!("{id}-{shard}-{m:03}"), &s, 1, None);
            c.replication_group = Some(id.clone());
            c.role = Some(if m == 1 { "primary" } else { "replica" }.into());
            members.push(c);
        }
    }
    let now = ctx.clock.now_millis();
    let group = ReplicationGroup {
        id: id.clone(),
        description,
        status: "creating".into(),
        members: members.iter().map(|c| c.id.clone()).collect(),
        primary: members[0].id.clone(),
        automatic_failover: true,
        multi_az,
        node_type: s.node_type.clone(),
        engine: s.engine.clone(),
        engine_version: s.engine_version.clone(),
        auth_token: s.auth_token.clone(),
        auth_token_modified_ms: s.auth_token.as_ref().map(|_| now),
        previous_auth_tokens: Vec::new(),
        transit_encryption: s.transit_encryption,
        at_rest_encryption: flag(input, "AtRestEncryptionEnabled").unwrap_or(false),
        parameter_group: s.parameter_group.clone(),
        subnet_group: s.subnet_group.clone(),
        security_groups: s.security_groups.clone(),
        port: s.port,
        created_ms: now,
        snapshot_retention: s.snapshot_retention,
        snapshot_window: s.snapshot_window.clone(),
        shards: shard_ids,
        user_group: None,
        admin_secret: None,
    };
    let gkey = scope.key(&id);
    svc.store.write(|tx| {
        if tx.get(&svc.groups, &gkey)?.is_some() {
            return Err(AwsError::from(
                ElasticacheError::ReplicationGroupAlreadyExists,
            ));
        }
        for c in &members {
            if tx.get(&svc.clusters, &scope.key(&c.id))?.is_some() {
                return Err(ElasticacheError::CacheClusterAlreadyExists.into());
            }
        }
        tx.put(&svc.groups, &gkey, &group)?;
        for c in &members {
            tx.put(&svc.clusters, &scope.key(&c.id), c)?;
        }
        Ok(())
    })?;
    tags::set(svc, &group_arn(ctx, &id), tag_list(input))?;
    lifecycle::start_in_background(
        &svc.backend(),
        members.iter().map(|c| scope.key(&c.id)).collect(),
    );
    Ok(json!({ "ReplicationGroup": group_view(ctx, &group, &members) }))
}

/// `TestFailover` in cluster mode: `CLUSTER FAILOVER` on a replica of
/// the shard, which takes over its primary's slots.
pub(crate) fn test_failover(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    g: &ReplicationGroup,
    shard: &str,
) -> OpResult {
    if !g.shards.iter().any(|s| s == shard) {
        return Err(ElasticacheError::NodeGroupNotFound {
            id: shard.to_string(),
        }
        .into());
    }
    require_available(g)?;
    let scope = Scope::regional(ctx);
    let members: Vec<Cluster> = members(svc, ctx, g)
        .into_iter()
        .filter(|c| crate::cluster_mode::shard_of(&c.id) == Some(shard))
        .collect();
    let Some(replica) = members
        .iter()
        .find(|c| c.role.as_deref() == Some("replica"))
    else {
        return Err(ElasticacheError::TestFailoverNotAvailable { id: g.id.clone() }.into());
    };
    if let Some(port) = svc
        .engines
        .port_of(&node_key(&scope.key(&replica.id), "0001"))
    {
        resp::command(port, g.admin_auth().as_ref(), &["CLUSTER", "FAILOVER"]).map_err(|e| {
            AwsError::from(ElasticacheError::value(format!("Failover failed: {e}")))
        })?;
    }
    for c in &members {
        let role = if c.id == replica.id {
            "primary"
        } else {
            "replica"
        };
        update_cluster(&svc.store, &scope.key(&c.id), |c| {
            c.role = Some(role.into())
        })?;
    }
    if g.primary.starts_with(&format!("{}-{shard}-", g.id)) {
        update_group(&svc.store, &scope.key(&g.id), |g| {
            g.primary = replica.id.clone()
        })?;
    }
    let g = load(svc, ctx, &g.id)?;
    Ok(json!({ "ReplicationGroup": view(svc, ctx, &g) }))
}
