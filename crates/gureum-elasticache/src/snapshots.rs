//! Snapshots: `CreateSnapshot`, `DescribeSnapshots`, `DeleteSnapshot`.
//! A snapshot is the engine's own RDB file (`SAVE`, then a copy under the
//! data directory); creating a cluster or group with `SnapshotName` starts
//! its primary on a copy of that file.

use crate::input::{page_request, required, tag_list, with_marker};
use crate::lifecycle::{node_key, snapshot_file};
use crate::{
    clusters, groups, resp, tags, Cluster, ElasticacheError, ElasticacheService, ReplicationGroup,
    Snapshot,
};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

/// A snapshot by name, or `SnapshotNotFoundFault`.
pub fn load(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    name: &str,
) -> Result<Snapshot, AwsError> {
    svc.snapshots
        .get(&Scope::regional(ctx).key(name))?
        .ok_or_else(|| {
            ElasticacheError::SnapshotNotFound {
                name: name.to_string(),
            }
            .into()
        })
}

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:snapshot:{name}",
        ctx.region, ctx.account_id
    )
}

fn view(ctx: &RequestContext, s: &Snapshot) -> Value {
    let mut v = json!({
        "SnapshotName": s.name,
        "SnapshotStatus": s.status,
        "SnapshotSource": s.source,
        "CacheNodeType": s.node_type,
        "Engine": s.engine,
        "EngineVersion": s.engine_version,
        "NumCacheNodes": 1,
        "CacheClusterCreateTime": s.cluster_created_ms as f64 / 1000.0,
        "Port": s.port,
        "CacheParameterGroupName": s.parameter_group,
        "AutoMinorVersionUpgrade": true,
        "SnapshotRetentionLimit": 0,
        "SnapshotWindow": "05:00-06:00",
        "NodeSnapshots": [{
            "CacheNodeId": "0001",
            "CacheSize": format!("{} MB", s.size.div_ceil(1 << 20)),
            "CacheNodeCreateTime": s.cluster_created_ms as f64 / 1000.0,
            "SnapshotCreateTime": s.created_ms as f64 / 1000.0,
        }],
        "ARN": arn(ctx, &s.name),
        "DataTiering": "disabled",
    });
    let o = v.as_object_mut().expect("object");
    if let Some(c) = &s.cluster_id {
        o.insert("CacheClusterId".into(), json!(c));
    }
    if let Some(g) = &s.group_id {
        o.insert("ReplicationGroupId".into(), json!(g));
        o.insert(
            "ReplicationGroupDescription".into(),
            json!(s.group_description),
        );
        o.insert("NumNodeGroups".into(), json!(1));
    }
    if let Some(sg) = &s.subnet_group {
        o.insert("CacheSubnetGroupName".into(), json!(sg));
    }
    v
}

/// Takes snapshot `name` of cluster `c` (the primary, for a group): the
/// engine writes its RDB file (`SAVE`), which is copied aside.
pub fn take(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    c: &Cluster,
    group: Option<&ReplicationGroup>,
    name: &str,
    source: &str,
) -> Result<Snapshot, AwsError> {
    if c.engine == "memcached" {
        return Err(ElasticacheError::SnapshotNotSupported { id: c.id.clone() }.into());
    }
    clusters::require_available(c)?;
    let scope = Scope::regional(ctx);
    let key = scope.key(name);
    if svc.snapshots.contains(&key)? {
        return Err(ElasticacheError::SnapshotAlreadyExists {
            name: name.to_string(),
        }
        .into());
    }
    let mut size = 0;
    let mut status = "creating";
    let nkey = node_key(&scope.key(&c.id), "0001");
    if let (Some(port), Some(dir), Some(node_dir)) = (
        svc.engines.port_of(&nkey),
        svc.engines.snapshot_dir(),
        svc.engines.node_dir(&nkey),
    ) {
        save_now(port, c.admin_auth().as_ref()).map_err(|e| {
            AwsError::from(ElasticacheError::value(format!(
                "The snapshot could not be taken: {e}"
            )))
        })?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| AwsError::from(ElasticacheError::value(e.to_string())))?;
        let dst = dir.join(snapshot_file(&scope.prefix(), name));
        size = std::fs::copy(node_dir.join("dump.rdb"), dst).map_err(|e| {
            AwsError::from(ElasticacheError::value(format!(
                "The snapshot could not be taken: {e}"
            )))
        })?;
        status = "available";
    }
    let s = Snapshot {
        name: name.to_string(),
        source: source.to_string(),
        status: status.to_string(),
        cluster_id: group.is_none().then(|| c.id.clone()),
        group_id: group.map(|g| g.id.clone()),
        group_description: group.map(|g| g.description.clone()),
        engine: c.engine.clone(),
        engine_version: c.engine_version.clone(),
        node_type: c.node_type.clone(),
        port: c.port,
        parameter_group: c.parameter_group.clone(),
        subnet_group: c.subnet_group.clone(),
        cluster_created_ms: c.created_ms,
        created_ms: ctx.clock.now_millis(),
        size,
    };
    svc.snapshots.put(&key, &s)?;
    Ok(s)
}

/// `CreateSnapshot`.
pub(crate) fn create(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = required(input, "SnapshotName")?;
    let s = match (
        str_member(input, "ReplicationGroupId"),
        str_member(input, "CacheClusterId"),
    ) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ElasticacheError::combination(
                "Exactly one of ReplicationGroupId and CacheClusterId must be specified.",
            )
            .into())
        }
        (Some(g), None) => {
            let g = groups::load(svc, ctx, g)?;
            if !g.shards.is_empty() {
                return Err(ElasticacheError::combination(
                    "Gureum does not yet snapshot replication groups with cluster mode enabled.",
                )
                .into());
            }
            let primary = clusters::load(svc, ctx, &g.primary)?;
            take(svc, ctx, &primary, Some(&g), name, "manual")?
        }
        (None, Some(c)) => {
            let c = clusters::load(svc, ctx, c)?;
            take(svc, ctx, &c, None, name, "manual")?
        }
    };
    tags::set(svc, &arn(ctx, name), tag_list(input))?;
    Ok(json!({ "Snapshot": view(ctx, &s) }))
}

/// `DescribeSnapshots`.
pub(crate) fn describe(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(name) = str_member(input, "SnapshotName") {
        let s = load(svc, ctx, name)?;
        return Ok(json!({ "Snapshots": [view(ctx, &s)] }));
    }
    let cluster = str_member(input, "CacheClusterId");
    let group = str_member(input, "ReplicationGroupId");
    let source = str_member(input, "SnapshotSource");
    let request = page_request(input)?;
    let page = paging::page(
        &svc.snapshots,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, s| {
            let keep = cluster.is_none_or(|c| s.cluster_id.as_deref() == Some(c))
                && group.is_none_or(|g| s.group_id.as_deref() == Some(g))
                && source.is_none_or(|x| s.source == x);
            keep.then(|| view(ctx, &s))
        },
    )?;
    Ok(with_marker(
        json!({ "Snapshots": page.items }),
        page.next_token,
    ))
}

/// Removes a snapshot's RDB file.
pub fn remove(svc: &ElasticacheService, ctx: &RequestContext, s: &Snapshot) {
    if let Some(dir) = svc.engines.snapshot_dir() {
        let _ =
            std::fs::remove_file(dir.join(snapshot_file(&Scope::regional(ctx).prefix(), &s.name)));
    }
}

/// `DeleteSnapshot`.
pub(crate) fn delete(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut s = load(svc, ctx, required(input, "SnapshotName")?)?;
    let scope = Scope::regional(ctx);
    if let Some(dir) = svc.engines.snapshot_dir() {
        let _ = std::fs::remove_file(dir.join(snapshot_file(&scope.prefix(), &s.name)));
    }
    svc.snapshots.delete(&scope.key(&s.name))?;
    tags::drop_all(svc, &arn(ctx, &s.name))?;
    s.status = "deleting".into();
    Ok(json!({ "Snapshot": view(ctx, &s) }))
}

/// How long `SAVE` waits for a background save the engine is already
/// running (a replica's full sync, an AOF rewrite) to finish.
const BACKGROUND_SAVE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The engine's `SAVE`, after any background save in progress: Redis
/// refuses `SAVE` meanwhile ("Background save already in progress"), and a
/// replica attaching to the primary starts one.
fn save_now(port: u16, auth: Option<&(String, String)>) -> std::io::Result<String> {
    let deadline = std::time::Instant::now() + BACKGROUND_SAVE_WAIT;
    loop {
        match resp::command(port, auth, &["SAVE"]) {
            Err(e)
                if e.to_string().contains("already in progress")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}
