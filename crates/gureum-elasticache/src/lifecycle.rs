//! States following the engines: a cluster is `creating` until every node's
//! process accepts connections, then `available` (and its replication
//! group with it). Starting, rebooting and resuming after a restart of
//! Gureum run on a thread of their own, so requests never wait on them.

use crate::engines::{Engines, NodeSpec, READY_TIMEOUT};
use crate::{catalog, resp, Cluster, ParameterGroup, ReplicationGroup, CLUSTERS, GROUPS};
use gureum_core::AwsError;
use gureum_store::Store;
use std::path::PathBuf;
use std::sync::Arc;

/// What a background start needs: the store and the engines.
#[derive(Clone)]
pub struct Backend {
    /// Gureum's store.
    pub store: Store,
    /// The engine processes.
    pub engines: Arc<Engines>,
}

/// The status of a cluster whose engine program the host does not have.
pub const ENGINE_MISSING: &str = "engine-not-installed";

/// The key of a node's engine (and its directory under the data dir).
pub fn node_key(cluster_key: &str, node: &str) -> String {
    format!("{cluster_key}/{node}")
}

/// The scope prefix (`account/region/`) of a key.
pub fn prefix_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// Reads, changes and writes one cluster in one transaction.
pub fn update_cluster(
    store: &Store,
    key: &str,
    f: impl FnOnce(&mut Cluster),
) -> Result<Option<Cluster>, AwsError> {
    let table = store.table::<Cluster>(CLUSTERS);
    store.write(|tx| {
        let Some(mut c) = tx.get(&table, key)? else {
            return Ok(None);
        };
        f(&mut c);
        tx.put(&table, key, &c)?;
        Ok(Some(c))
    })
}

/// Reads, changes and writes one replication group in one transaction.
pub fn update_group(
    store: &Store,
    key: &str,
    f: impl FnOnce(&mut ReplicationGroup),
) -> Result<Option<ReplicationGroup>, AwsError> {
    let table = store.table::<ReplicationGroup>(GROUPS);
    store.write(|tx| {
        let Some(mut g) = tx.get(&table, key)? else {
            return Ok(None);
        };
        f(&mut g);
        tx.put(&table, key, &g)?;
        Ok(Some(g))
    })
}

/// The parameter values of group `name` in `prefix`: the family's
/// defaults with the group's own values over them.
pub fn parameter_values(store: &Store, prefix: &str, name: &str) -> Vec<(String, String)> {
    let (family, values) = match catalog::default_group_family(name) {
        Some(f) => (f.to_string(), Default::default()),
        None => match store
            .table::<ParameterGroup>("elasticache.parameter_groups")
            .get(&format!("{prefix}{name}"))
        {
            Ok(Some(g)) => (g.family, g.values),
            _ => return Vec::new(),
        },
    };
    catalog::params_of(&family)
        .iter()
        .map(|p| {
            let v = values
                .get(p.name)
                .cloned()
                .unwrap_or_else(|| p.default.to_string());
            (p.name.to_string(), v)
        })
        .collect()
}

/// Starts `key`'s cluster on a thread (see [`bring_up`]).
pub fn start_in_background(backend: &Backend, keys: Vec<String>) {
    if !backend.engines.enabled() {
        return;
    }
    let backend = backend.clone();
    let _ = std::thread::Builder::new()
        .name("elasticache-start".into())
        .spawn(move || {
            for key in keys {
                bring_up(&backend, &key);
            }
        });
}

/// Starts every node of the cluster at `key` and marks it `available`
/// once all accept connections (and its group, once all members are).
/// A node whose engine cannot start leaves the cluster as it was, with
/// the reason in Gureum's log.
pub fn bring_up(backend: &Backend, key: &str) {
    let Ok(Some(cluster)) = backend.store.table::<Cluster>(CLUSTERS).get(key) else {
        return;
    };
    let prefix = prefix_of(key).to_string();
    let params = parameter_values(&backend.store, &prefix, &cluster.parameter_group);
    let replica_of = primary_port(backend, &prefix, &cluster);
    let group = cluster.replication_group.as_ref().and_then(|g| {
        backend
            .store
            .table::<ReplicationGroup>(GROUPS)
            .get(&format!("{prefix}{g}"))
            .ok()
            .flatten()
    });
    let acl = group
        .as_ref()
        .map(|g| crate::acl::acl_users(&backend.store, &prefix, g))
        .unwrap_or_default();
    let master_user = cluster
        .admin_secret
        .clone()
        .map(|s| (crate::ADMIN_USER.to_string(), s));
    let mut ports = Vec::new();
    for node in &cluster.nodes {
        let nkey = node_key(key, &node.id);
        let Some(dir) = backend.engines.node_dir(&nkey) else {
            return;
        };
        let restore = cluster
            .restore_from
            .as_ref()
            .and_then(|s| restore_file(backend, &prefix, s, &dir));
        let spec = NodeSpec {
            key: nkey.clone(),
            engine: cluster.engine.clone(),
            port: if node.port != 0 {
                node.port
            } else {
                cluster.port
            },
            dir,
            password: cluster.auth_token.clone(),
            previous_passwords: cluster.previous_auth_tokens.clone(),
            replica_of,
            params: params.clone(),
            memory_mb: cluster
                .memory_mb
                .or_else(|| catalog::node_memory_mb(&cluster.node_type))
                .unwrap_or(512),
            restore: restore.clone(),
            acl: acl.clone(),
            master_user: master_user.clone(),
            cluster_enabled: group.as_ref().is_some_and(|g| !g.shards.is_empty()),
        };
        match backend.engines.start(&spec) {
            Ok(port) => ports.push((nkey, port, restore.is_some() || needs_aof_switch(&spec))),
            Err(e) => {
                tracing::warn!(target: "gureum", "elasticache {key}: {e}");
                if e.kind() == std::io::ErrorKind::NotFound {
                    // Said in the status, as Gureum does for every engine
                    // the host lacks; a later start of Gureum retries.
                    let _ = update_cluster(&backend.store, key, |c| {
                        c.status = ENGINE_MISSING.into();
                    });
                }
                return;
            }
        }
    }
    for (nkey, port, switch_aof) in &ports {
        if !backend.engines.wait_ready(nkey, READY_TIMEOUT) {
            tracing::warn!(target: "gureum", "elasticache {nkey}: the engine did not start");
            return;
        }
        if *switch_aof && cluster.engine != "memcached" {
            let _ = resp::command(
                *port,
                cluster.admin_auth().as_ref(),
                &["CONFIG", "SET", "appendonly", "yes"],
            );
        }
    }
    let updated = update_cluster(&backend.store, key, |c| {
        for (node, (_, port, _)) in c.nodes.iter_mut().zip(&ports) {
            node.port = *port;
            node.status = "available".into();
        }
        c.status = "available".into();
        c.restore_from = None;
        c.pending_reboot = false;
    });
    if let Ok(Some(c)) = updated {
        if let Some(group) = &c.replication_group {
            group_ready(backend, &prefix, group);
        }
    }
}

/// Once every member of a group is up: forms a cluster-mode group's
/// cluster (see `cluster_mode.rs`), then marks the group `available`.
fn group_ready(backend: &Backend, prefix: &str, group: &str) {
    let key = format!("{prefix}{group}");
    let Ok(Some(g)) = backend.store.table::<ReplicationGroup>(GROUPS).get(&key) else {
        return;
    };
    if !g.shards.is_empty() {
        let clusters = backend.store.table::<Cluster>(CLUSTERS);
        let all = g.members.iter().all(|m| {
            matches!(clusters.get(&format!("{prefix}{m}")), Ok(Some(c)) if c.status == "available")
        });
        if !all || !crate::cluster_mode::form(backend, prefix, &g, g.status == "creating") {
            return;
        }
    }
    refresh_group_status(&backend.store, prefix, group);
}

/// Marks a group `available` once every member is.
pub fn refresh_group_status(store: &Store, prefix: &str, group: &str) {
    let clusters = store.table::<Cluster>(CLUSTERS);
    let _ = update_group(store, &format!("{prefix}{group}"), |g| {
        let all = g.members.iter().all(|m| {
            matches!(clusters.get(&format!("{prefix}{m}")), Ok(Some(c)) if c.status == "available")
        });
        if all {
            g.status = "available".into();
        }
    });
}

/// The port of the primary a replica follows.
fn primary_port(backend: &Backend, prefix: &str, cluster: &Cluster) -> Option<u16> {
    if cluster.role.as_deref() != Some("replica") {
        return None;
    }
    let group = backend
        .store
        .table::<ReplicationGroup>(GROUPS)
        .get(&format!("{prefix}{}", cluster.replication_group.as_ref()?))
        .ok()??;
    // In cluster mode replicas follow their primary by `CLUSTER REPLICATE`.
    if !group.shards.is_empty() {
        return None;
    }
    let pkey = format!("{prefix}{}", group.primary);
    backend
        .engines
        .port_of(&node_key(&pkey, "0001"))
        .or_else(|| {
            let p = backend.store.table::<Cluster>(CLUSTERS).get(&pkey).ok()??;
            p.nodes.first().map(|n| n.port).filter(|p| *p != 0)
        })
}

/// Whether a Redis node will load an RDB file with AOF off (see
/// `engines::redis_conf`), so AOF must be switched on once loaded.
fn needs_aof_switch(spec: &NodeSpec) -> bool {
    !spec.dir.join("appendonlydir").exists() && spec.dir.join("dump.rdb").exists()
}

/// Copies snapshot `name`'s RDB file into a new node's directory (only
/// before the node's first start: an existing AOF wins).
fn restore_file(
    backend: &Backend,
    prefix: &str,
    name: &str,
    dir: &std::path::Path,
) -> Option<PathBuf> {
    if dir.join("appendonlydir").exists() {
        return None;
    }
    let src = backend
        .engines
        .snapshot_dir()?
        .join(snapshot_file(prefix, name));
    std::fs::create_dir_all(dir).ok()?;
    let dst = dir.join("dump.rdb");
    std::fs::copy(&src, &dst).ok()?;
    Some(dst)
}

/// A snapshot's file name under the snapshot directory.
pub fn snapshot_file(prefix: &str, name: &str) -> String {
    format!("{}{name}.rdb", prefix.replace('/', "_"))
}

/// Restarts every cluster that was not being deleted, replicas after the
/// others (they follow their primary's port), on a thread.
pub fn resume_all(backend: &Backend) {
    let Ok(all) = backend.store.table::<Cluster>(CLUSTERS).scan_prefix("") else {
        return;
    };
    let mut keys: Vec<(bool, String)> = all
        .into_iter()
        .filter(|(_, c)| c.status != "deleting")
        .map(|(k, c)| (c.role.as_deref() == Some("replica"), k))
        .collect();
    keys.sort();
    if !backend.engines.enabled() {
        return;
    }
    // Until their engines accept connections again, they are rebooting,
    // not `available`.
    for (_, key) in &keys {
        let _ = update_cluster(&backend.store, key, |c| {
            c.status = "rebooting cache cluster nodes".into();
            for n in &mut c.nodes {
                n.status = "rebooting".into();
            }
        });
    }
    if let Ok(groups) = backend
        .store
        .table::<ReplicationGroup>(GROUPS)
        .scan_prefix("")
    {
        for (key, g) in groups {
            if g.status != "deleting" {
                let _ = update_group(&backend.store, &key, |g| g.status = "modifying".into());
            }
        }
    }
    start_in_background(backend, keys.into_iter().map(|(_, k)| k).collect());
}

/// Applies changed parameters of group `name` to the running engines of
/// the clusters using it: dynamic ones with `CONFIG SET` at once, static
/// ones at the next reboot (`pending-reboot`).
pub fn apply_parameters(backend: &Backend, prefix: &str, name: &str, changed: &[(String, String)]) {
    let Ok(clusters) = backend.store.table::<Cluster>(CLUSTERS).scan_prefix(prefix) else {
        return;
    };
    for (key, c) in clusters {
        if c.parameter_group != name {
            continue;
        }
        let family = catalog::engine_version(&c.engine, Some(&c.engine_version))
            .map(|e| e.2)
            .unwrap_or("redis7");
        let defs = catalog::params_of(family);
        let mut reboot = false;
        for (pname, value) in changed {
            let dynamic = defs
                .iter()
                .any(|d| d.name == pname && d.change_type == "immediate");
            if !dynamic || c.engine == "memcached" {
                reboot = true;
                continue;
            }
            for node in &c.nodes {
                if let Some(port) = backend.engines.port_of(&node_key(&key, &node.id)) {
                    if let Err(e) = resp::command(
                        port,
                        c.admin_auth().as_ref(),
                        &["CONFIG", "SET", pname, value],
                    ) {
                        tracing::warn!(target: "gureum", "elasticache {key}: CONFIG SET {pname}: {e}");
                    }
                }
            }
        }
        if reboot {
            let _ = update_cluster(&backend.store, &key, |c| c.pending_reboot = true);
        }
    }
}

/// Once a second (Gureum's ticker): a node whose engine ended on its own
/// is replaced, as ElastiCache replaces a failed node (the cluster shows
/// `modifying`, its node `rebooting`, until the new process accepts
/// connections; Redis data comes back from its AOF); an engine whose
/// cluster is gone (a reset of Gureum's state) is stopped.
pub fn watch(backend: &Backend) {
    if !backend.engines.enabled() {
        return;
    }
    let clusters = backend.store.table::<Cluster>(CLUSTERS);
    let mut restart = Vec::new();
    for (node, ended) in backend.engines.survey() {
        let Some((cluster_key, node_id)) = node.rsplit_once('/') else {
            continue;
        };
        match clusters.get(cluster_key) {
            Ok(Some(c)) if ended && c.status == "available" => {
                tracing::warn!(target: "gureum", "elasticache {node}: the engine ended; replacing the node");
                backend.engines.stop(&node);
                let _ = update_cluster(&backend.store, cluster_key, |c| {
                    c.status = "modifying".into();
                    for n in c.nodes.iter_mut().filter(|n| n.id == node_id) {
                        n.status = "rebooting".into();
                    }
                });
                restart.push(cluster_key.to_string());
            }
            Ok(None) => {
                backend.engines.stop(&node);
                if let Some(dir) = backend.engines.node_dir(cluster_key) {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
            _ => {}
        }
    }
    restart.dedup();
    start_in_background(backend, restart);
}
