//! Cache clusters: `CreateCacheCluster`, `DescribeCacheClusters`,
//! `ModifyCacheCluster`, `DeleteCacheCluster`, `RebootCacheCluster`.
//!
//! A Redis OSS or Valkey cluster has one node (more come through a
//! replication group); a memcached cluster has 1–40. Every node is an
//! engine process (`engines.rs`), started on a thread after the record is
//! written (`lifecycle.rs`).

use crate::input::{check_id, flag, int, page_request, required, strings, tag_list, with_marker};
use crate::lifecycle::{self, node_key, update_cluster};
use crate::views::cluster_view;
use crate::{
    catalog, resp, snapshots, subnet_groups, tags, Cluster, ElasticacheError, ElasticacheService,
    Node,
};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

/// Most nodes in a memcached cluster (AWS's default quota).
pub const MAX_MEMCACHED_NODES: i64 = 40;

/// A cluster by id, or `CacheClusterNotFound`.
pub fn load(svc: &ElasticacheService, ctx: &RequestContext, id: &str) -> Result<Cluster, AwsError> {
    // `~NAME` records serve serverless caches, which are not clusters.
    if id.starts_with('~') {
        return Err(ElasticacheError::CacheClusterNotFound { id: id.to_string() }.into());
    }
    svc.clusters
        .get(&Scope::regional(ctx).key(&id.to_ascii_lowercase()))?
        .ok_or_else(|| ElasticacheError::CacheClusterNotFound { id: id.to_string() }.into())
}

/// The settings a new cluster (or a replication group's member) takes
/// from its request, validated with AWS's rules.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The engine.
    pub engine: String,
    /// The catalogue version.
    pub engine_version: String,
    /// The node type.
    pub node_type: String,
    /// The port asked for.
    pub port: u16,
    /// The parameter group.
    pub parameter_group: String,
    /// The subnet group.
    pub subnet_group: Option<String>,
    /// Its first AZ, when it has subnets.
    pub az: Option<String>,
    /// Security group ids.
    pub security_groups: Vec<String>,
    /// The auth token.
    pub auth_token: Option<String>,
    /// In-transit encryption.
    pub transit_encryption: bool,
    /// A snapshot to restore.
    pub snapshot: Option<String>,
    /// Snapshot retention days.
    pub snapshot_retention: i64,
    /// Snapshot window.
    pub snapshot_window: String,
    /// Maintenance window.
    pub maintenance_window: String,
}

/// Reads and checks the settings shared by clusters and replication groups.
pub fn settings(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
    engine_default: Option<&str>,
) -> Result<Settings, AwsError> {
    let engine = match str_member(input, "Engine").or(engine_default) {
        Some(e) => e.to_ascii_lowercase(),
        None => {
            return Err(ElasticacheError::value(
                "The parameter Engine must be provided and must not be blank.",
            )
            .into())
        }
    };
    if !["redis", "valkey", "memcached"].contains(&engine.as_str()) {
        return Err(ElasticacheError::value(format!(
            "Invalid value for Engine: {engine}. Valid values are: memcached, redis, valkey."
        ))
        .into());
    }
    let node_type = required(input, "CacheNodeType")?;
    if catalog::node_memory_mb(node_type).is_none() {
        return Err(ElasticacheError::value(format!("Invalid CacheNodeType: {node_type}")).into());
    }
    let version = str_member(input, "EngineVersion");
    let Some(ev) = catalog::engine_version(&engine, version) else {
        return Err(ElasticacheError::value(format!(
            "Cannot find version {} for {engine}",
            version.unwrap_or_default()
        ))
        .into());
    };
    let parameter_group = match str_member(input, "CacheParameterGroupName") {
        Some(name) => {
            let family = crate::parameter_groups::family_of(svc, ctx, name)?;
            if family != ev.2 {
                return Err(ElasticacheError::combination(format!(
                    "The parameter group {name} has family {family}, which does not match the engine family {}.",
                    ev.2
                ))
                .into());
            }
            name.to_ascii_lowercase()
        }
        None => catalog::default_group(ev.2),
    };
    let port = match int(input, "Port") {
        Some(p) if !(1..=65535).contains(&p) => {
            return Err(ElasticacheError::value(format!(
                "Invalid port: {p}. The port must be between 1 and 65535."
            ))
            .into())
        }
        Some(p) => p as u16,
        None => catalog::default_port(&engine),
    };
    let (subnet_group, az) = match str_member(input, "CacheSubnetGroupName") {
        Some(name) => {
            let g = subnet_groups::load(svc, ctx, name)?;
            (Some(g.name.clone()), g.subnets.first().map(|s| s.1.clone()))
        }
        None => (None, None),
    };
    let security_groups = strings(input, "SecurityGroupIds");
    subnet_groups::check_security_groups(svc, ctx, &security_groups)?;
    let transit_encryption = flag(input, "TransitEncryptionEnabled").unwrap_or(false);
    let auth_token = str_member(input, "AuthToken").map(str::to_string);
    if let Some(token) = &auth_token {
        if engine == "memcached" {
            return Err(ElasticacheError::combination(
                "Auth token is not supported for the memcached engine.",
            )
            .into());
        }
        check_auth_token(token)?;
        if !transit_encryption {
            return Err(ElasticacheError::value(
                "The AUTH token is only supported when encryption-in-transit is set to true.",
            )
            .into());
        }
    }
    if transit_encryption && engine == "memcached" && ev.1 < "1.6.12" {
        return Err(ElasticacheError::combination(
            "Encryption in transit is supported for memcached 1.6.12 and later.",
        )
        .into());
    }
    let snapshot = str_member(input, "SnapshotName").map(str::to_string);
    if let Some(name) = &snapshot {
        if engine == "memcached" {
            return Err(ElasticacheError::combination(
                "Snapshots are not supported for the memcached engine.",
            )
            .into());
        }
        snapshots::load(svc, ctx, name)?;
    }
    Ok(Settings {
        engine,
        engine_version: ev.1.to_string(),
        node_type: node_type.to_string(),
        port,
        parameter_group,
        subnet_group,
        az,
        security_groups,
        auth_token,
        transit_encryption,
        snapshot,
        snapshot_retention: int(input, "SnapshotRetentionLimit").unwrap_or(0),
        snapshot_window: str_member(input, "SnapshotWindow")
            .unwrap_or("05:00-06:00")
            .to_string(),
        maintenance_window: str_member(input, "PreferredMaintenanceWindow")
            .unwrap_or("sun:23:00-mon:01:30")
            .to_string(),
    })
}

/// The settings of an existing cluster (a primary a replication group
/// adopts).
pub fn settings_of(c: &Cluster) -> Settings {
    Settings {
        engine: c.engine.clone(),
        engine_version: c.engine_version.clone(),
        node_type: c.node_type.clone(),
        port: c.port,
        parameter_group: c.parameter_group.clone(),
        subnet_group: c.subnet_group.clone(),
        az: Some(c.az.clone()),
        security_groups: c.security_groups.clone(),
        auth_token: c.auth_token.clone(),
        transit_encryption: c.transit_encryption,
        snapshot: None,
        snapshot_retention: c.snapshot_retention,
        snapshot_window: c.snapshot_window.clone(),
        maintenance_window: c.maintenance_window.clone(),
    }
}

/// AWS's auth token rules: 16–128 printable ASCII characters, none of
/// `"`, `/`, `@` or a space.
pub fn check_auth_token(token: &str) -> Result<(), AwsError> {
    let ok = (16..=128).contains(&token.len())
        && token
            .chars()
            .all(|c| c.is_ascii_graphic() && !['"', '/', '@'].contains(&c));
    if ok {
        Ok(())
    } else {
        Err(ElasticacheError::value("Invalid AuthToken provided.").into())
    }
}

/// A new cluster record from `s`.
pub fn new_cluster(
    ctx: &RequestContext,
    id: &str,
    s: &Settings,
    nodes: usize,
    az: Option<&str>,
) -> Cluster {
    let now = ctx.clock.now_millis();
    let az = az
        .map(str::to_string)
        .or_else(|| s.az.clone())
        .unwrap_or_else(|| format!("{}a", ctx.region));
    Cluster {
        id: id.to_string(),
        engine: s.engine.clone(),
        engine_version: s.engine_version.clone(),
        node_type: s.node_type.clone(),
        status: "creating".into(),
        created_ms: now,
        port: s.port,
        nodes: (1..=nodes)
            .map(|i| Node {
                id: format!("{i:04}"),
                status: "creating".into(),
                created_ms: now,
                port: 0,
            })
            .collect(),
        parameter_group: s.parameter_group.clone(),
        subnet_group: s.subnet_group.clone(),
        security_groups: s.security_groups.clone(),
        az,
        replication_group: None,
        role: None,
        auth_token: s.auth_token.clone(),
        auth_token_modified_ms: s.auth_token.as_ref().map(|_| now),
        previous_auth_tokens: Vec::new(),
        transit_encryption: s.transit_encryption,
        restore_from: s.snapshot.clone(),
        snapshot_retention: s.snapshot_retention,
        snapshot_window: s.snapshot_window.clone(),
        maintenance_window: s.maintenance_window.clone(),
        pending_reboot: false,
        admin_secret: None,
        memory_mb: None,
    }
}

/// `CreateCacheCluster`.
pub(crate) fn create(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = check_id("Cache cluster id", required(input, "CacheClusterId")?, 50)?;
    if let Some(group) = str_member(input, "ReplicationGroupId") {
        return crate::groups::add_replica(svc, ctx, input, &id, group);
    }
    let s = settings(svc, ctx, input, None)?;
    let count = int(input, "NumCacheNodes").unwrap_or(1);
    if count < 1 {
        return Err(
            ElasticacheError::value("The number of cache nodes must be at least 1.").into(),
        );
    }
    if s.engine != "memcached" && count > 1 {
        let name = if s.engine == "valkey" {
            "Valkey"
        } else {
            "Redis"
        };
        return Err(ElasticacheError::value(format!(
            "Cannot create a {name} cluster with a NumCacheNodes parameter greater than 1."
        ))
        .into());
    }
    if count > MAX_MEMCACHED_NODES {
        return Err(ElasticacheError::NodeQuotaForCluster.into());
    }
    let cluster = new_cluster(
        ctx,
        &id,
        &s,
        count as usize,
        str_member(input, "PreferredAvailabilityZone"),
    );
    let key = Scope::regional(ctx).key(&id);
    svc.store.write(|tx| {
        if tx.get(&svc.clusters, &key)?.is_some() {
            return Err(AwsError::from(ElasticacheError::CacheClusterAlreadyExists));
        }
        tx.put(&svc.clusters, &key, &cluster)?;
        Ok(())
    })?;
    tags::set(svc, &crate::views::cluster_arn(ctx, &id), tag_list(input))?;
    lifecycle::start_in_background(&svc.backend(), vec![key]);
    Ok(json!({ "CacheCluster": cluster_view(ctx, &cluster, false) }))
}

/// `DescribeCacheClusters`.
pub(crate) fn describe(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let show_nodes = flag(input, "ShowCacheNodeInfo").unwrap_or(false);
    if let Some(id) = str_member(input, "CacheClusterId") {
        let c = load(svc, ctx, id)?;
        return Ok(json!({ "CacheClusters": [cluster_view(ctx, &c, show_nodes)] }));
    }
    let outside_groups = flag(input, "ShowCacheClustersNotInReplicationGroups").unwrap_or(false);
    let request = page_request(input)?;
    let page = paging::page(
        &svc.clusters,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, c| {
            ((!outside_groups || c.replication_group.is_none())
                && !crate::serverless::is_serverless(&c))
            .then(|| cluster_view(ctx, &c, show_nodes))
        },
    )?;
    Ok(with_marker(
        json!({ "CacheClusters": page.items }),
        page.next_token,
    ))
}

/// Fails unless the cluster is `available`.
pub fn require_available(c: &Cluster) -> Result<(), AwsError> {
    if c.status == "available" {
        Ok(())
    } else {
        Err(ElasticacheError::InvalidCacheClusterState {
            id: c.id.clone(),
            status: c.status.clone(),
        }
        .into())
    }
}

/// `ModifyCacheCluster`.
pub(crate) fn modify(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let c = load(svc, ctx, required(input, "CacheClusterId")?)?;
    require_available(&c)?;
    let key = Scope::regional(ctx).key(&c.id);
    let mut new_nodes = Vec::new();
    let mut removed = Vec::new();
    if let Some(n) = int(input, "NumCacheNodes") {
        if c.engine != "memcached" && n != 1 {
            return Err(ElasticacheError::value("Cannot modify the number of cache nodes of a Redis cluster; use a replication group to add replicas.").into());
        }
        if n < 1 {
            return Err(
                ElasticacheError::value("The number of cache nodes must be at least 1.").into(),
            );
        }
        if n > MAX_MEMCACHED_NODES {
            return Err(ElasticacheError::NodeQuotaForCluster.into());
        }
        let current = c.nodes.len() as i64;
        let to_remove = strings(input, "CacheNodeIdsToRemove");
        if n < current {
            if to_remove.len() as i64 != current - n {
                return Err(ElasticacheError::value(format!(
                    "The number of cache node ids to remove ({}) must equal the difference between the current ({current}) and new ({n}) number of cache nodes.",
                    to_remove.len()
                ))
                .into());
            }
            for id in &to_remove {
                if !c.nodes.iter().any(|x| &x.id == id) {
                    return Err(ElasticacheError::value(format!(
                        "Cache node {id} does not exist in cache cluster {}.",
                        c.id
                    ))
                    .into());
                }
            }
            removed = to_remove;
        } else if n > current {
            let mut next = c
                .nodes
                .iter()
                .filter_map(|x| x.id.parse::<u32>().ok())
                .max()
                .unwrap_or(0);
            for _ in current..n {
                next += 1;
                new_nodes.push(Node {
                    id: format!("{next:04}"),
                    status: "creating".into(),
                    created_ms: ctx.clock.now_millis(),
                    port: 0,
                });
            }
        }
    }
    let parameter_group = match str_member(input, "CacheParameterGroupName") {
        Some(name) => {
            let family = crate::parameter_groups::family_of(svc, ctx, name)?;
            let own =
                catalog::engine_version(&c.engine, Some(&c.engine_version)).map_or("", |e| e.2);
            if family != own {
                return Err(ElasticacheError::combination(format!(
                    "The parameter group {name} has family {family}, which does not match the engine family {own}."
                ))
                .into());
            }
            Some(name.to_ascii_lowercase())
        }
        None => None,
    };
    let security_groups = input
        .get("SecurityGroupIds")
        .map(|_| strings(input, "SecurityGroupIds"));
    if let Some(sgs) = &security_groups {
        crate::subnet_groups::check_security_groups(svc, ctx, sgs)?;
    }
    let node_type = str_member(input, "CacheNodeType");
    if let Some(t) = node_type {
        if catalog::node_memory_mb(t).is_none() {
            return Err(ElasticacheError::value(format!("Invalid CacheNodeType: {t}")).into());
        }
    }
    let engine_version = match str_member(input, "EngineVersion") {
        Some(v) => Some(
            catalog::engine_version(&c.engine, Some(v))
                .ok_or_else(|| {
                    AwsError::from(ElasticacheError::value(format!(
                        "Cannot find version {v} for {}",
                        c.engine
                    )))
                })?
                .1,
        ),
        None => None,
    };
    let auth_token = str_member(input, "AuthToken");
    let token_strategy = crate::auth_tokens::strategy(input)?;
    let tokens = auth_token.map(|t| {
        crate::auth_tokens::next_tokens(
            c.auth_token.as_deref(),
            &c.previous_auth_tokens,
            t,
            token_strategy,
        )
    });
    if let Some(t) = auth_token {
        if c.engine == "memcached" || !c.transit_encryption {
            return Err(ElasticacheError::value(
                "The AUTH token is only supported when encryption-in-transit is set to true.",
            )
            .into());
        }
        check_auth_token(t)?;
    }
    let backend = svc.backend();
    // Live changes first, on the running engines.
    if let Some(t) = auth_token {
        for n in &c.nodes {
            if let Some(port) = svc.engines.port_of(&node_key(&key, &n.id)) {
                crate::auth_tokens::apply(port, c.admin_auth().as_ref(), t, token_strategy);
            }
        }
    }
    if let Some(t) = node_type {
        let mb = catalog::node_memory_mb(t).unwrap_or(512);
        for n in &c.nodes {
            if let Some(port) = svc.engines.port_of(&node_key(&key, &n.id)) {
                if c.engine != "memcached" {
                    let auth = match auth_token {
                        Some(t) if c.admin_secret.is_none() => {
                            Some(("default".to_string(), t.to_string()))
                        }
                        _ => c.admin_auth(),
                    };
                    let _ = resp::command(
                        port,
                        auth.as_ref(),
                        &["CONFIG", "SET", "maxmemory", &format!("{mb}mb")],
                    );
                }
            }
        }
    }
    for id in &removed {
        svc.engines.stop(&node_key(&key, id));
    }
    let adding = !new_nodes.is_empty();
    let updated = update_cluster(&svc.store, &key, |c| {
        c.nodes.retain(|n| !removed.contains(&n.id));
        c.nodes.extend(new_nodes);
        if adding {
            c.status = "modifying".into();
        }
        if let Some(g) = parameter_group.clone() {
            c.parameter_group = g;
            c.pending_reboot = true;
        }
        if let Some(s) = security_groups {
            c.security_groups = s;
        }
        if let Some(t) = node_type {
            c.node_type = t.to_string();
        }
        if let Some(v) = engine_version {
            c.engine_version = v.to_string();
        }
        if let Some((t, kept)) = &tokens {
            c.auth_token = Some(t.clone());
            c.previous_auth_tokens = kept.clone();
            c.auth_token_modified_ms = Some(ctx.clock.now_millis());
        }
        if let Some(n) = int(input, "SnapshotRetentionLimit") {
            c.snapshot_retention = n;
        }
        if let Some(w) = str_member(input, "SnapshotWindow") {
            c.snapshot_window = w.to_string();
        }
        if let Some(w) = str_member(input, "PreferredMaintenanceWindow") {
            c.maintenance_window = w.to_string();
        }
    })?
    .ok_or_else(|| AwsError::from(ElasticacheError::CacheClusterNotFound { id: c.id.clone() }))?;
    if adding {
        lifecycle::start_in_background(&backend, vec![key]);
    }
    Ok(json!({ "CacheCluster": cluster_view(ctx, &updated, false) }))
}

/// `DeleteCacheCluster`: ends the engines and removes the cluster and its
/// data (after a final snapshot when one is asked for).
pub(crate) fn delete(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let c = load(svc, ctx, required(input, "CacheClusterId")?)?;
    if let Some(group) = &c.replication_group {
        if c.role.as_deref() == Some("primary") {
            return Err(ElasticacheError::MemberOfReplicationGroup {
                id: c.id.clone(),
                group: group.clone(),
            }
            .into());
        }
    }
    if !matches!(
        c.status.as_str(),
        "available" | "creating" | lifecycle::ENGINE_MISSING
    ) {
        return Err(ElasticacheError::InvalidCacheClusterState {
            id: c.id.clone(),
            status: c.status.clone(),
        }
        .into());
    }
    if let Some(name) = str_member(input, "FinalSnapshotIdentifier") {
        snapshots::take(svc, ctx, &c, None, name, "manual")?;
    }
    let key = Scope::regional(ctx).key(&c.id);
    remove_cluster(svc, &key);
    if let Some(group) = &c.replication_group {
        let gkey = Scope::regional(ctx).key(group);
        let _ = lifecycle::update_group(&svc.store, &gkey, |g| g.members.retain(|m| m != &c.id));
    }
    tags::drop_all(svc, &crate::views::cluster_arn(ctx, &c.id))?;
    let mut gone = c;
    gone.status = "deleting".into();
    Ok(json!({ "CacheCluster": cluster_view(ctx, &gone, false) }))
}

/// Stops a cluster's engines, removes its directory and its record.
pub fn remove_cluster(svc: &ElasticacheService, key: &str) {
    svc.engines.stop_prefix(&format!("{key}/"));
    if let Some(dir) = svc.engines.node_dir(key) {
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = svc.clusters.delete(key);
}

/// `RebootCacheCluster`: restarts the named nodes' engines on their data
/// (static parameter changes take effect).
pub(crate) fn reboot(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let c = load(svc, ctx, required(input, "CacheClusterId")?)?;
    require_available(&c)?;
    let ids = strings(input, "CacheNodeIdsToReboot");
    if ids.is_empty() {
        return Err(ElasticacheError::value(
            "The parameter CacheNodeIdsToReboot must be provided and must not be blank.",
        )
        .into());
    }
    for id in &ids {
        if !c.nodes.iter().any(|n| &n.id == id) {
            return Err(ElasticacheError::value(format!(
                "Cache node {id} does not exist in cache cluster {}.",
                c.id
            ))
            .into());
        }
    }
    let key = Scope::regional(ctx).key(&c.id);
    let updated = update_cluster(&svc.store, &key, |c| {
        c.status = "rebooting cache cluster nodes".into();
        for n in c.nodes.iter_mut().filter(|n| ids.contains(&n.id)) {
            n.status = "rebooting".into();
        }
    })?
    .unwrap_or(c);
    let backend = svc.backend();
    if backend.engines.enabled() {
        let _ = std::thread::Builder::new()
            .name("elasticache-reboot".into())
            .spawn(move || lifecycle::bring_up(&backend, &key));
    }
    Ok(json!({ "CacheCluster": cluster_view(ctx, &updated, false) }))
}
