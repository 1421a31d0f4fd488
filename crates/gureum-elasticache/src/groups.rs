//! Replication groups, cluster mode disabled: one node group of a primary
//! cluster and up to five replica clusters, each one engine process; the
//! replicas really replicate (`replicaof` the primary).
//! `CreateReplicationGroup`, `DescribeReplicationGroups`,
//! `ModifyReplicationGroup`, `DeleteReplicationGroup`, `TestFailover`, and
//! `CreateCacheCluster` with a `ReplicationGroupId` (a new replica).

use crate::clusters::{self, check_auth_token, new_cluster, remove_cluster, settings};
use crate::input::{check_id, flag, int, page_request, required, strings, tag_list, with_marker};
use crate::lifecycle::{self, node_key, update_cluster, update_group};
use crate::views::{cluster_view, group_arn, group_view};
use crate::{
    resp, snapshots, tags, Cluster, ElasticacheError, ElasticacheService, ReplicationGroup,
};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

/// Most clusters in a cluster-mode-disabled group (a primary and five
/// replicas).
pub(crate) const MAX_MEMBERS: i64 = 6;

/// A group by id, or `ReplicationGroupNotFoundFault`.
pub fn load(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    id: &str,
) -> Result<ReplicationGroup, AwsError> {
    svc.groups
        .get(&Scope::regional(ctx).key(&id.to_ascii_lowercase()))?
        .ok_or_else(|| ElasticacheError::ReplicationGroupNotFound { id: id.to_string() }.into())
}

pub(crate) fn members(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    g: &ReplicationGroup,
) -> Vec<Cluster> {
    let scope = Scope::regional(ctx);
    g.members
        .iter()
        .filter_map(|m| svc.clusters.get(&scope.key(m)).ok().flatten())
        .collect()
}

pub(crate) fn view(svc: &ElasticacheService, ctx: &RequestContext, g: &ReplicationGroup) -> Value {
    group_view(ctx, g, &members(svc, ctx, g))
}

/// `CreateReplicationGroup`.
pub(crate) fn create(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = check_id(
        "Replication group id",
        required(input, "ReplicationGroupId")?,
        40,
    )?;
    let description = required(input, "ReplicationGroupDescription")?.to_string();
    let shards = int(input, "NumNodeGroups").or_else(|| {
        input
            .get("NodeGroupConfiguration")
            .and_then(Value::as_array)
            .map(|a| a.len() as i64)
    });
    if shards.is_some_and(|n| n > 1) || str_member(input, "ClusterMode") == Some("enabled") {
        return crate::sharded::create(svc, ctx, input, id, description, shards.unwrap_or(1));
    }
    // An existing cluster may become the primary: the group takes its
    // settings and its running engine.
    let existing = match str_member(input, "PrimaryClusterId") {
        Some(p) => {
            let c = clusters::load(svc, ctx, p)?;
            if let Some(group) = &c.replication_group {
                return Err(ElasticacheError::MemberOfReplicationGroup {
                    id: c.id.clone(),
                    group: group.clone(),
                }
                .into());
            }
            clusters::require_available(&c)?;
            if input.get("UserGroupIds").is_some() {
                return Err(ElasticacheError::combination("Gureum does not yet attach a user group while adopting a primary cluster (PrimaryClusterId with UserGroupIds).").into());
            }
            Some(c)
        }
        None => None,
    };
    let s = match &existing {
        Some(c) => clusters::settings_of(c),
        None => settings(svc, ctx, input, Some("redis"))?,
    };
    if s.engine == "memcached" {
        return Err(ElasticacheError::value(
            "Replication groups are supported for the redis and valkey engines only.",
        )
        .into());
    }
    let count = match (
        int(input, "NumCacheClusters"),
        int(input, "ReplicasPerNodeGroup"),
    ) {
        (Some(_), Some(_)) => {
            return Err(ElasticacheError::combination(
                "Cannot specify both NumCacheClusters and ReplicasPerNodeGroup.",
            )
            .into())
        }
        (Some(n), None) => n,
        (None, Some(r)) if !(0..MAX_MEMBERS).contains(&r) => {
            return Err(ElasticacheError::value(
                "The number of replicas per node group must be within 0 and 5.",
            )
            .into())
        }
        (None, Some(r)) => r + 1,
        (None, None) => 1,
    };
    if !(1..=MAX_MEMBERS).contains(&count) {
        return Err(ElasticacheError::value(format!(
            "The number of cache clusters must be between 1 and {MAX_MEMBERS} (a primary and up to 5 replicas)."
        ))
        .into());
    }
    let automatic_failover = flag(input, "AutomaticFailoverEnabled").unwrap_or(false);
    let multi_az = flag(input, "MultiAZEnabled").unwrap_or(false);
    check_failover_rules(automatic_failover, multi_az, count)?;
    let user_groups = strings(input, "UserGroupIds");
    if user_groups.len() > 1 {
        return Err(ElasticacheError::value(
            "A replication group can have at most one user group.",
        )
        .into());
    }
    let user_group = match user_groups.first() {
        Some(ug) => {
            if s.auth_token.is_some() {
                return Err(ElasticacheError::combination(
                    "Cannot specify both AuthToken and UserGroupIds.",
                )
                .into());
            }
            let ug = crate::users::load_group(svc, ctx, ug)?;
            if ug.engine != s.engine {
                return Err(ElasticacheError::combination(format!(
                    "User group {} is for the {} engine, not {}.",
                    ug.id, ug.engine, s.engine
                ))
                .into());
            }
            Some(ug.id)
        }
        None => None,
    };
    let admin_secret = user_group.as_ref().map(|_| gureum_core::id::hex(32));
    let azs = strings(input, "PreferredCacheClusterAZs");
    if !azs.is_empty() && azs.len() as i64 != count {
        return Err(ElasticacheError::value(
            "The number of PreferredCacheClusterAZs must equal the number of cache clusters.",
        )
        .into());
    }
    let scope = Scope::regional(ctx);
    let mut members = Vec::new();
    for i in 1..=count {
        if let (1, Some(primary)) = (i, &existing) {
            let mut c = primary.clone();
            c.replication_group = Some(id.clone());
            c.role = Some("primary".into());
            members.push(c);
            continue;
        }
        let mut c = new_cluster(
            ctx,
            &format!("{id}-{i:03}"),
            &s,
            1,
            azs.get(i as usize - 1).map(String::as_str),
        );
        c.replication_group = Some(id.clone());
        c.role = Some(if i == 1 { "primary" } else { "replica" }.into());
        c.admin_secret = admin_secret.clone();
        // Replicas get the primary's data by replication, not the file.
        if i > 1 {
            c.restore_from = None;
        }
        members.push(c);
    }
    let group = ReplicationGroup {
        id: id.clone(),
        description,
        status: "creating".into(),
        members: members.iter().map(|c| c.id.clone()).collect(),
        primary: members[0].id.clone(),
        automatic_failover,
        multi_az,
        node_type: s.node_type.clone(),
        engine: s.engine.clone(),
        engine_version: s.engine_version.clone(),
        auth_token: s.auth_token.clone(),
        auth_token_modified_ms: s.auth_token.as_ref().map(|_| ctx.clock.now_millis()),
        previous_auth_tokens: Vec::new(),
        transit_encryption: s.transit_encryption,
        at_rest_encryption: flag(input, "AtRestEncryptionEnabled").unwrap_or(false),
        parameter_group: s.parameter_group.clone(),
        subnet_group: s.subnet_group.clone(),
        security_groups: s.security_groups.clone(),
        port: s.port,
        created_ms: ctx.clock.now_millis(),
        snapshot_retention: s.snapshot_retention,
        snapshot_window: s.snapshot_window.clone(),
        shards: Vec::new(),
        user_group,
        admin_secret,
    };
    let gkey = scope.key(&id);
    svc.store.write(|tx| {
        if tx.get(&svc.groups, &gkey)?.is_some() {
            return Err(AwsError::from(
                ElasticacheError::ReplicationGroupAlreadyExists,
            ));
        }
        for c in members
            .iter()
            .filter(|c| existing.as_ref().is_none_or(|e| e.id != c.id))
        {
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
    // The primary first: replicas follow its port.
    // (An adopted primary keeps running.)
    lifecycle::start_in_background(
        &svc.backend(),
        members
            .iter()
            .filter(|c| existing.as_ref().is_none_or(|e| e.id != c.id))
            .map(|c| scope.key(&c.id))
            .collect(),
    );
    Ok(json!({ "ReplicationGroup": group_view(ctx, &group, &members) }))
}

/// Automatic failover needs a replica; Multi-AZ needs automatic failover.
fn check_failover_rules(
    automatic_failover: bool,
    multi_az: bool,
    clusters: i64,
) -> Result<(), AwsError> {
    if multi_az && !automatic_failover {
        return Err(ElasticacheError::combination(
            "Multi-AZ can only be enabled when automatic failover is enabled.",
        )
        .into());
    }
    if automatic_failover && clusters < 2 {
        return Err(ElasticacheError::combination(
            "When using automatic failover, there must be at least 2 cache clusters in the replication group.",
        )
        .into());
    }
    Ok(())
}

/// `CreateCacheCluster` with `ReplicationGroupId`: a new replica of the
/// group's primary, with the group's settings.
pub(crate) fn add_replica(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
    id: &str,
    group: &str,
) -> OpResult {
    let g = load(svc, ctx, group)?;
    if !g.shards.is_empty() {
        return Err(ElasticacheError::combination(
            "Gureum does not yet add replicas to a replication group with cluster mode enabled.",
        )
        .into());
    }
    let extra = [
        "Engine",
        "EngineVersion",
        "CacheNodeType",
        "CacheParameterGroupName",
        "SnapshotName",
        "AuthToken",
        "Port",
    ];
    if extra.iter().any(|m| input.get(*m).is_some())
        || int(input, "NumCacheNodes").is_some_and(|n| n != 1)
    {
        return Err(ElasticacheError::combination(
            "Cannot specify additional cache cluster parameters when creating a replica cluster",
        )
        .into());
    }
    if g.status != "available" {
        return Err(ElasticacheError::InvalidReplicationGroupState {
            id: g.id.clone(),
            status: g.status.clone(),
        }
        .into());
    }
    if g.members.len() as i64 >= MAX_MEMBERS {
        return Err(ElasticacheError::value(format!(
            "Replication group {} already has the most cache clusters ({MAX_MEMBERS}).",
            g.id
        ))
        .into());
    }
    let primary = clusters::load(svc, ctx, &g.primary)?;
    let mut c = primary.clone();
    let now = ctx.clock.now_millis();
    c.id = id.to_string();
    c.status = "creating".into();
    c.created_ms = now;
    c.role = Some("replica".into());
    c.restore_from = None;
    c.nodes = vec![crate::Node {
        id: "0001".into(),
        status: "creating".into(),
        created_ms: now,
        port: 0,
    }];
    if let Some(az) = str_member(input, "PreferredAvailabilityZone") {
        c.az = az.to_string();
    }
    let scope = Scope::regional(ctx);
    let key = scope.key(id);
    svc.store.write(|tx| {
        if tx.get(&svc.clusters, &key)?.is_some() {
            return Err(AwsError::from(ElasticacheError::CacheClusterAlreadyExists));
        }
        tx.put(&svc.clusters, &key, &c)?;
        Ok(())
    })?;
    update_group(&svc.store, &scope.key(&g.id), |g| {
        g.members.push(id.to_string());
        g.status = "modifying".into();
    })?;
    tags::set(svc, &crate::views::cluster_arn(ctx, id), tag_list(input))?;
    lifecycle::start_in_background(&svc.backend(), vec![key]);
    Ok(json!({ "CacheCluster": cluster_view(ctx, &c, false) }))
}

/// `DescribeReplicationGroups`.
pub(crate) fn describe(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(id) = str_member(input, "ReplicationGroupId") {
        let g = load(svc, ctx, id)?;
        return Ok(json!({ "ReplicationGroups": [view(svc, ctx, &g)] }));
    }
    let request = page_request(input)?;
    let page = paging::page(
        &svc.groups,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, g| Some(g),
    )?;
    let items: Vec<Value> = page.items.iter().map(|g| view(svc, ctx, g)).collect();
    Ok(with_marker(
        json!({ "ReplicationGroups": items }),
        page.next_token,
    ))
}

pub(crate) fn require_available(g: &ReplicationGroup) -> Result<(), AwsError> {
    if g.status == "available" {
        Ok(())
    } else {
        Err(ElasticacheError::InvalidReplicationGroupState {
            id: g.id.clone(),
            status: g.status.clone(),
        }
        .into())
    }
}

/// Makes `new_primary` the group's primary for real: `REPLICAOF NO ONE`
/// on it, `REPLICAOF` it on every other member.
fn promote(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    g: &ReplicationGroup,
    new_primary: &str,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let port_of = |id: &str| svc.engines.port_of(&node_key(&scope.key(id), "0001"));
    let auth = g.admin_auth();
    let password = auth.as_ref();
    if let Some(port) = port_of(new_primary) {
        resp::command(port, password, &["REPLICAOF", "NO", "ONE"]).map_err(|e| {
            AwsError::from(ElasticacheError::value(format!("Failover failed: {e}")))
        })?;
        for m in g.members.iter().filter(|m| m.as_str() != new_primary) {
            if let Some(p) = port_of(m) {
                let _ = resp::command(p, password, &["REPLICAOF", "127.0.0.1", &port.to_string()]);
            }
        }
    }
    for m in &g.members {
        let role = if m == new_primary {
            "primary"
        } else {
            "replica"
        };
        update_cluster(&svc.store, &scope.key(m), |c| c.role = Some(role.into()))?;
    }
    update_group(&svc.store, &scope.key(&g.id), |g| {
        g.primary = new_primary.to_string()
    })?;
    Ok(())
}

/// `ModifyReplicationGroup`.
pub(crate) fn modify(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let g = load(svc, ctx, required(input, "ReplicationGroupId")?)?;
    require_available(&g)?;
    let scope = Scope::regional(ctx);
    let automatic_failover =
        flag(input, "AutomaticFailoverEnabled").unwrap_or(g.automatic_failover);
    let multi_az = flag(input, "MultiAZEnabled").unwrap_or(g.multi_az && automatic_failover);
    check_failover_rules(automatic_failover, multi_az, g.members.len() as i64)?;
    let auth_token = str_member(input, "AuthToken");
    let token_strategy = crate::auth_tokens::strategy(input)?;
    let tokens = auth_token.map(|t| {
        crate::auth_tokens::next_tokens(
            g.auth_token.as_deref(),
            &g.previous_auth_tokens,
            t,
            token_strategy,
        )
    });
    if let Some(t) = auth_token {
        if !g.transit_encryption {
            return Err(ElasticacheError::value(
                "The AUTH token is only supported when encryption-in-transit is set to true.",
            )
            .into());
        }
        check_auth_token(t)?;
    }
    let parameter_group = match str_member(input, "CacheParameterGroupName") {
        Some(name) => {
            let family = crate::parameter_groups::family_of(svc, ctx, name)?;
            let own = crate::catalog::engine_version(&g.engine, Some(&g.engine_version))
                .map_or("", |e| e.2);
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
    if let Some(s) = &security_groups {
        crate::subnet_groups::check_security_groups(svc, ctx, s)?;
    }
    let add = strings(input, "UserGroupIdsToAdd");
    let remove = strings(input, "UserGroupIdsToRemove");
    let detach = flag(input, "RemoveUserGroups").unwrap_or(false);
    if add.len() > 1
        || (add.len() == 1
            && g.user_group.is_some()
            && !remove.contains(g.user_group.as_ref().unwrap_or(&String::new())))
    {
        return Err(ElasticacheError::value(
            "A replication group can have at most one user group.",
        )
        .into());
    }
    for r in &remove {
        if g.user_group.as_deref() != Some(r.as_str()) {
            return Err(ElasticacheError::value(format!(
                "User group {r} is not associated with replication group {}.",
                g.id
            ))
            .into());
        }
    }
    let attach_to = match add.first() {
        Some(ug) => {
            if g.auth_token.is_some() {
                return Err(ElasticacheError::combination(
                    "Cannot specify both AuthToken and UserGroupIds.",
                )
                .into());
            }
            Some(Some(crate::users::load_group(svc, ctx, ug)?.id))
        }
        None if detach || !remove.is_empty() => Some(None),
        None => None,
    };
    let g = match attach_to {
        Some(ug) => crate::acl::attach(svc, ctx, &g, ug.as_deref())?,
        None => g,
    };
    if let Some(p) = str_member(input, "PrimaryClusterId") {
        if !g.shards.is_empty() {
            return Err(ElasticacheError::combination(
                "PrimaryClusterId is for cluster mode disabled replication groups.",
            )
            .into());
        }
        if !g.members.iter().any(|m| m == p) {
            return Err(ElasticacheError::CacheClusterNotFound { id: p.to_string() }.into());
        }
        if p != g.primary {
            promote(svc, ctx, &g, p)?;
        }
    }
    if let Some(t) = auth_token {
        for m in &g.members {
            if let Some(port) = svc.engines.port_of(&node_key(&scope.key(m), "0001")) {
                crate::auth_tokens::apply(port, g.admin_auth().as_ref(), t, token_strategy);
            }
        }
    }
    let now = ctx.clock.now_millis();
    for m in &g.members {
        update_cluster(&svc.store, &scope.key(m), |c| {
            if let Some((t, kept)) = &tokens {
                c.auth_token = Some(t.clone());
                c.previous_auth_tokens = kept.clone();
                c.auth_token_modified_ms = Some(now);
            }
            if let Some(p) = &parameter_group {
                c.parameter_group = p.clone();
                c.pending_reboot = true;
            }
            if let Some(s) = &security_groups {
                c.security_groups = s.clone();
            }
        })?;
    }
    let updated = update_group(&svc.store, &scope.key(&g.id), |g| {
        g.automatic_failover = automatic_failover;
        g.multi_az = multi_az;
        if let Some(d) = str_member(input, "ReplicationGroupDescription") {
            g.description = d.to_string();
        }
        if let Some((t, kept)) = &tokens {
            g.auth_token = Some(t.clone());
            g.previous_auth_tokens = kept.clone();
            g.auth_token_modified_ms = Some(now);
        }
        if let Some(p) = &parameter_group {
            g.parameter_group = p.clone();
        }
        if let Some(s) = security_groups {
            g.security_groups = s;
        }
        if let Some(n) = int(input, "SnapshotRetentionLimit") {
            g.snapshot_retention = n;
        }
        if let Some(w) = str_member(input, "SnapshotWindow") {
            g.snapshot_window = w.to_string();
        }
    })?
    .unwrap_or(g);
    Ok(json!({ "ReplicationGroup": view(svc, ctx, &updated) }))
}

/// `DeleteReplicationGroup`: ends every member (or keeps the primary as a
/// cluster of its own with `RetainPrimaryCluster`).
pub(crate) fn delete(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let g = load(svc, ctx, required(input, "ReplicationGroupId")?)?;
    if !matches!(g.status.as_str(), "available" | "creating") {
        return Err(ElasticacheError::InvalidReplicationGroupState {
            id: g.id.clone(),
            status: g.status.clone(),
        }
        .into());
    }
    let scope = Scope::regional(ctx);
    if let Some(name) = str_member(input, "FinalSnapshotIdentifier") {
        let primary = clusters::load(svc, ctx, &g.primary)?;
        snapshots::take(svc, ctx, &primary, Some(&g), name, "manual")?;
    }
    let retain = flag(input, "RetainPrimaryCluster").unwrap_or(false);
    let view_before = {
        let mut gone = g.clone();
        gone.status = "deleting".into();
        view(svc, ctx, &gone)
    };
    for m in &g.members {
        let key = scope.key(m);
        if retain && *m == g.primary {
            update_cluster(&svc.store, &key, |c| {
                c.replication_group = None;
                c.role = None;
            })?;
            continue;
        }
        remove_cluster(svc, &key);
        tags::drop_all(svc, &crate::views::cluster_arn(ctx, m))?;
    }
    svc.groups.delete(&scope.key(&g.id))?;
    tags::drop_all(svc, &group_arn(ctx, &g.id))?;
    Ok(json!({ "ReplicationGroup": view_before }))
}

/// `TestFailover`: promotes the first replica to primary, for real.
pub(crate) fn test_failover(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let g = load(svc, ctx, required(input, "ReplicationGroupId")?)?;
    let node_group = required(input, "NodeGroupId")?;
    if !g.shards.is_empty() {
        return crate::sharded::test_failover(svc, ctx, &g, node_group);
    }
    if node_group != "0001" {
        return Err(ElasticacheError::NodeGroupNotFound {
            id: node_group.to_string(),
        }
        .into());
    }
    require_available(&g)?;
    let Some(replica) = g.members.iter().find(|m| **m != g.primary).cloned() else {
        return Err(ElasticacheError::TestFailoverNotAvailable { id: g.id.clone() }.into());
    };
    if !g.automatic_failover {
        return Err(ElasticacheError::combination(format!(
            "Automatic failover is not enabled for replication group {}.",
            g.id
        ))
        .into());
    }
    promote(svc, ctx, &g, &replica)?;
    let g = load(svc, ctx, &g.id)?;
    Ok(json!({ "ReplicationGroup": view(svc, ctx, &g) }))
}
