//! Serverless caches: `CreateServerlessCache`, `DescribeServerlessCaches`,
//! `ModifyServerlessCache`, `DeleteServerlessCache`.
//!
//! Each is served by one real engine node, kept as a hidden cluster
//! record (`~NAME` in the cluster table, which no cluster id can be) so
//! starting, restarting and replacing it is the clusters' machinery. The
//! reader endpoint is the same node (AWS's port 6380 read path has no
//! separate process here). Capacity limits are recorded; the engine's
//! `maxmemory` follows `DataStorage.Maximum`.

use crate::clusters::{new_cluster, remove_cluster, Settings};
use crate::input::{check_id, int, required, strings, tag_list};
use crate::views::{label, short_region, DNS_SUFFIX};
use crate::{catalog, lifecycle, tags, Cluster, ElasticacheError, ElasticacheService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;

/// The serverless table's name.
pub const SERVERLESS: &str = "elasticache.serverless";

/// A stored serverless cache (its engine node is the cluster `~NAME`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServerlessCache {
    /// `ServerlessCacheName`.
    pub name: String,
    /// Its description.
    pub description: String,
    /// `redis`, `valkey` or `memcached`.
    pub engine: String,
    /// `7`, `8`, `1.6`.
    pub major_version: String,
    /// `CacheUsageLimits` as given.
    pub usage_limits: Option<Value>,
    /// Subnet ids.
    pub subnet_ids: Vec<String>,
    /// Security group ids.
    pub security_groups: Vec<String>,
    /// Days snapshots are kept.
    pub snapshot_retention: i64,
    /// `HH:MM`.
    pub daily_snapshot_time: String,
    /// When it was made.
    pub created_ms: i64,
}

/// The hidden cluster id of serverless cache `name`.
pub fn cluster_id(name: &str) -> String {
    format!("~{name}")
}

/// Whether a cluster record serves a serverless cache.
pub fn is_serverless(c: &Cluster) -> bool {
    c.id.starts_with('~')
}

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:serverlesscache:{name}",
        ctx.region, ctx.account_id
    )
}

fn load(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    name: &str,
) -> Result<ServerlessCache, AwsError> {
    svc.serverless
        .get(&Scope::regional(ctx).key(name))?
        .ok_or_else(|| {
            ElasticacheError::ServerlessCacheNotFound {
                name: name.to_string(),
            }
            .into()
        })
}

fn view(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    s: &ServerlessCache,
    status: Option<&str>,
) -> Value {
    let node = svc
        .clusters
        .get(&Scope::regional(ctx).key(&cluster_id(&s.name)))
        .ok()
        .flatten();
    let port = node
        .as_ref()
        .and_then(|c| c.nodes.first())
        .map(|n| n.port)
        .filter(|p| *p != 0)
        .unwrap_or(catalog::default_port(&s.engine));
    let status = status.map(str::to_string).unwrap_or_else(|| {
        match node.as_ref().map(|c| c.status.as_str()) {
            Some("available") => "available".into(),
            Some("creating") | None => "creating".into(),
            Some(_) => "modifying".into(),
        }
    });
    let address = format!(
        "{}-{}.serverless.{}.{DNS_SUFFIX}",
        s.name,
        label(&ctx.account_id, &ctx.region),
        short_region(&ctx.region)
    );
    let mut v = json!({
        "ServerlessCacheName": s.name,
        "Description": s.description,
        "CreateTime": s.created_ms as f64 / 1000.0,
        "Status": status,
        "Engine": s.engine,
        "MajorEngineVersion": s.major_version,
        "FullEngineVersion": node.as_ref().map_or(String::new(), |c| c.engine_version.clone()),
        "SecurityGroupIds": s.security_groups,
        "Endpoint": {"Address": address, "Port": port},
        "ReaderEndpoint": {"Address": address, "Port": port},
        "ARN": arn(ctx, &s.name),
        "SubnetIds": s.subnet_ids,
        "NetworkType": "ipv4",
    });
    if let Some(l) = &s.usage_limits {
        v["CacheUsageLimits"] = l.clone();
    }
    if s.engine != "memcached" {
        v["SnapshotRetentionLimit"] = json!(s.snapshot_retention);
        v["DailySnapshotTime"] = json!(s.daily_snapshot_time);
    }
    v
}

/// `DataStorage.Maximum` (GB) in MiB, when given.
fn storage_mb(limits: Option<&Value>) -> Option<u64> {
    let gb = limits?.get("DataStorage")?.get("Maximum")?.as_u64()?;
    Some(gb.saturating_mul(1024))
}

/// `CreateServerlessCache`.
pub(crate) fn create(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = check_id(
        "Serverless cache name",
        required(input, "ServerlessCacheName")?,
        40,
    )?;
    let engine = required(input, "Engine")?.to_ascii_lowercase();
    let versions: Vec<&catalog::EngineVersion> = catalog::ENGINE_VERSIONS
        .iter()
        .filter(|e| e.0 == engine)
        .collect();
    if versions.is_empty() {
        return Err(ElasticacheError::value(format!(
            "Invalid value for Engine: {engine}. Valid values are: memcached, redis, valkey."
        ))
        .into());
    }
    let major = |v: &str| -> String {
        if engine == "memcached" {
            v.split('.').take(2).collect::<Vec<_>>().join(".")
        } else {
            v.split('.').next().unwrap_or(v).to_string()
        }
    };
    let ev = match str_member(input, "MajorEngineVersion") {
        Some(m) => versions
            .iter()
            .rev()
            .find(|e| major(e.1) == m)
            .copied()
            .ok_or_else(|| {
                AwsError::from(ElasticacheError::value(format!(
                    "Invalid MajorEngineVersion {m} for engine {engine}."
                )))
            })?,
        None => versions[versions.len() - 1],
    };
    if input.get("UserGroupId").is_some() {
        return Err(ElasticacheError::combination(
            "Gureum does not yet apply user groups to serverless caches.",
        )
        .into());
    }
    let subnet_ids = strings(input, "SubnetIds");
    if !subnet_ids.is_empty() {
        crate::subnet_groups::read_subnets(svc, ctx, &subnet_ids)?;
    }
    let security_groups = strings(input, "SecurityGroupIds");
    crate::subnet_groups::check_security_groups(svc, ctx, &security_groups)?;
    let usage_limits = input.get("CacheUsageLimits").cloned();
    let record = ServerlessCache {
        name: name.clone(),
        description: str_member(input, "Description")
            .unwrap_or_default()
            .to_string(),
        engine: engine.clone(),
        major_version: major(ev.1),
        usage_limits: usage_limits.clone(),
        subnet_ids,
        security_groups: security_groups.clone(),
        snapshot_retention: int(input, "SnapshotRetentionLimit").unwrap_or(0),
        daily_snapshot_time: str_member(input, "DailySnapshotTime")
            .unwrap_or("04:00")
            .to_string(),
        created_ms: ctx.clock.now_millis(),
    };
    // The engine node: the largest catalogue node, capped by the storage limit.
    let settings = Settings {
        engine: engine.clone(),
        engine_version: ev.1.to_string(),
        node_type: "cache.r7g.large".into(),
        port: catalog::default_port(&engine),
        parameter_group: catalog::default_group(ev.2),
        subnet_group: None,
        az: None,
        security_groups,
        auth_token: None,
        transit_encryption: true,
        snapshot: None,
        snapshot_retention: 0,
        snapshot_window: "04:00-05:00".into(),
        maintenance_window: "sun:23:00-mon:01:30".into(),
    };
    let mut node = new_cluster(ctx, &cluster_id(&name), &settings, 1, None);
    node.memory_mb = storage_mb(usage_limits.as_ref());
    let scope = Scope::regional(ctx);
    let (key, node_key) = (scope.key(&name), scope.key(&node.id));
    svc.store.write(|tx| {
        if tx.get(&svc.serverless, &key)?.is_some() {
            return Err(AwsError::from(
                ElasticacheError::ServerlessCacheAlreadyExists { name: name.clone() },
            ));
        }
        tx.put(&svc.serverless, &key, &record)?;
        tx.put(&svc.clusters, &node_key, &node)?;
        Ok(())
    })?;
    tags::set(svc, &arn(ctx, &name), tag_list(input))?;
    lifecycle::start_in_background(&svc.backend(), vec![node_key]);
    Ok(json!({ "ServerlessCache": view(svc, ctx, &record, Some("creating")) }))
}

/// `DescribeServerlessCaches`.
pub(crate) fn describe(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(name) = str_member(input, "ServerlessCacheName") {
        let s = load(svc, ctx, name)?;
        return Ok(json!({ "ServerlessCaches": [view(svc, ctx, &s, None)] }));
    }
    let request = PageRequest::new(
        int(input, "MaxResults"),
        str_member(input, "NextToken"),
        (1, 100),
        100,
    )
    .map_err(|e| AwsError::from(ElasticacheError::from(e)))?;
    let page = paging::page(
        &svc.serverless,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, s| Some(s),
    )?;
    let items: Vec<Value> = page.items.iter().map(|s| view(svc, ctx, s, None)).collect();
    let mut out = json!({ "ServerlessCaches": items });
    if let Some(t) = page.next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// `ModifyServerlessCache`.
pub(crate) fn modify(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut s = load(svc, ctx, required(input, "ServerlessCacheName")?)?;
    if input.get("UserGroupId").is_some() {
        return Err(ElasticacheError::combination(
            "Gureum does not yet apply user groups to serverless caches.",
        )
        .into());
    }
    if let Some(d) = str_member(input, "Description") {
        s.description = d.to_string();
    }
    if let Some(l) = input.get("CacheUsageLimits") {
        s.usage_limits = Some(l.clone());
    }
    if input.get("SecurityGroupIds").is_some() {
        let sgs = strings(input, "SecurityGroupIds");
        crate::subnet_groups::check_security_groups(svc, ctx, &sgs)?;
        s.security_groups = sgs;
    }
    if let Some(n) = int(input, "SnapshotRetentionLimit") {
        s.snapshot_retention = n;
    }
    if let Some(t) = str_member(input, "DailySnapshotTime") {
        s.daily_snapshot_time = t.to_string();
    }
    svc.serverless.put(&Scope::regional(ctx).key(&s.name), &s)?;
    Ok(json!({ "ServerlessCache": view(svc, ctx, &s, None) }))
}

/// `DeleteServerlessCache`: ends its engine and removes its data.
pub(crate) fn delete(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let s = load(svc, ctx, required(input, "ServerlessCacheName")?)?;
    if input.get("FinalSnapshotName").is_some() {
        return Err(ElasticacheError::combination(
            "Gureum does not yet take serverless cache snapshots (FinalSnapshotName).",
        )
        .into());
    }
    let out = view(svc, ctx, &s, Some("deleting"));
    let scope = Scope::regional(ctx);
    remove_cluster(svc, &scope.key(&cluster_id(&s.name)));
    svc.serverless.delete(&scope.key(&s.name))?;
    tags::drop_all(svc, &arn(ctx, &s.name))?;
    Ok(json!({ "ServerlessCache": out }))
}
