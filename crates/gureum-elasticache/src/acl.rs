//! RBAC on the engines: a user group's users as each node's ACL users
//! (written into the configuration at start, `ACL SETUSER`/`ACL DELUSER`
//! live), and Gureum's own engine user (`gureum-admin`) for its commands
//! and for replication once the group's `default` user may be `off`.

use crate::lifecycle::{node_key, update_cluster, update_group};
use crate::users::{builtin_default, replication_groups_of, USERS, USER_GROUPS};
use crate::{
    resp, ElasticacheError, ElasticacheService, ReplicationGroup, User, UserGroup, ADMIN_USER,
};
use gureum_core::{AwsError, RequestContext, Scope};
use gureum_store::Store;

/// The ACL rules of one user: `reset`, its access string, its passwords.
pub fn acl_rules(u: &User) -> Vec<String> {
    let mut rules = vec!["reset".to_string()];
    rules.extend(u.access_string.split_whitespace().map(str::to_string));
    if u.passwords.is_empty() {
        rules.push("nopass".into());
    }
    rules.extend(u.passwords.iter().map(|p| format!(">{p}")));
    rules
}

/// The rules of Gureum's own user.
pub fn admin_rules(secret: &str) -> Vec<String> {
    ["reset", "on", "~*", "&*", "+@all"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!(">{secret}")])
        .collect()
}

/// `(user name, rules)` for every ACL user of a replication group's
/// engines (Gureum's admin first), from the store.
pub fn acl_users(
    store: &Store,
    prefix: &str,
    group: &ReplicationGroup,
) -> Vec<(String, Vec<String>)> {
    let (Some(ug), Some(secret)) = (&group.user_group, &group.admin_secret) else {
        return Vec::new();
    };
    let mut out = vec![(ADMIN_USER.to_string(), admin_rules(secret))];
    let Ok(Some(ug)) = store
        .table::<UserGroup>(USER_GROUPS)
        .get(&format!("{prefix}{ug}"))
    else {
        return out;
    };
    let users = store.table::<User>(USERS);
    for id in &ug.user_ids {
        let u = match users.get(&format!("{prefix}{id}")) {
            Ok(Some(u)) => u,
            _ if id == "default" => builtin_default(),
            _ => continue,
        };
        out.push((u.name.clone(), acl_rules(&u)));
    }
    out
}

/// Sets the ACL users of every replication group using user group `ug`
/// on their running engines (`ACL SETUSER`).
pub fn apply_acls(svc: &ElasticacheService, ctx: &RequestContext, ug: &str) {
    let scope = Scope::regional(ctx);
    for g in replication_groups_of(svc, ctx, ug) {
        let users = acl_users(&svc.store, &scope.prefix(), &g);
        for m in &g.members {
            let Some(port) = svc.engines.port_of(&node_key(&scope.key(m), "0001")) else {
                continue;
            };
            for (name, rules) in &users {
                let mut args: Vec<&str> = vec!["ACL", "SETUSER", name];
                args.extend(rules.iter().map(String::as_str));
                if let Err(e) = resp::command(port, g.admin_auth().as_ref(), &args) {
                    tracing::warn!(target: "gureum", "elasticache {m}: ACL SETUSER {name}: {e}");
                }
            }
        }
    }
}

/// Removes ACL user `name` from the engines using user group `ug`.
pub(crate) fn remove_acl_user(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    ug: &str,
    name: &str,
) {
    let scope = Scope::regional(ctx);
    for g in replication_groups_of(svc, ctx, ug) {
        for m in &g.members {
            if let Some(port) = svc.engines.port_of(&node_key(&scope.key(m), "0001")) {
                let _ = resp::command(port, g.admin_auth().as_ref(), &["ACL", "DELUSER", name]);
            }
        }
    }
}

/// Attaches user group `ug` to replication group `g` (or detaches it with
/// `None`): Gureum's admin user first (so it can still log in and
/// replicas can still sync), then the group's users, live.
pub fn attach(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    g: &ReplicationGroup,
    ug: Option<&str>,
) -> Result<ReplicationGroup, AwsError> {
    let scope = Scope::regional(ctx);
    let secret = g
        .admin_secret
        .clone()
        .unwrap_or_else(|| gureum_core::id::hex(32));
    let old_auth = g.admin_auth();
    for m in &g.members {
        if let Some(port) = svc.engines.port_of(&node_key(&scope.key(m), "0001")) {
            let mut args: Vec<String> = vec!["ACL".into(), "SETUSER".into(), ADMIN_USER.into()];
            args.extend(admin_rules(&secret));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let _ = resp::command(port, old_auth.as_ref(), &args);
            let admin = Some((ADMIN_USER.to_string(), secret.clone()));
            let _ = resp::command(
                port,
                admin.as_ref(),
                &["CONFIG", "SET", "masteruser", ADMIN_USER],
            );
            let _ = resp::command(
                port,
                admin.as_ref(),
                &["CONFIG", "SET", "masterauth", &secret],
            );
            if ug.is_none() {
                // Back to the engine's own default user.
                let _ = resp::command(
                    port,
                    admin.as_ref(),
                    &[
                        "ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all",
                    ],
                );
            }
        }
        update_cluster(&svc.store, &scope.key(m), |c| {
            c.admin_secret = Some(secret.clone())
        })?;
    }
    let updated = update_group(&svc.store, &scope.key(&g.id), |g| {
        g.user_group = ug.map(str::to_string);
        g.admin_secret = Some(secret.clone());
    })?
    .ok_or_else(|| {
        AwsError::from(ElasticacheError::ReplicationGroupNotFound { id: g.id.clone() })
    })?;
    if let Some(ug) = ug {
        apply_acls(svc, ctx, ug);
    }
    Ok(updated)
}
