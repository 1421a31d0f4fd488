//! Users and user groups (RBAC): `CreateUser`, `DescribeUsers`,
//! `ModifyUser`, `DeleteUser`, `CreateUserGroup`, `DescribeUserGroups`,
//! `ModifyUserGroup`, `DeleteUserGroup`.
//!
//! A user group attached to a replication group makes its users the
//! engines' ACL users (the one named `default` replaces the engine's
//! default user): written into each node's configuration at start and
//! changed live with `ACL SETUSER`/`ACL DELUSER` (`apply_acls`). Gureum
//! keeps an engine user of its own (`gureum-admin`) for its commands and
//! for replication.

use crate::acl::{apply_acls, remove_acl_user};
use crate::input::{check_id, page_request, required, strings, tag_list, with_marker};
use crate::{tags, ElasticacheError, ElasticacheService, ReplicationGroup, User, UserGroup};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

/// The user table's name.
pub const USERS: &str = "elasticache.users";
/// The user group table's name.
pub const USER_GROUPS: &str = "elasticache.user_groups";

/// Every account's built-in user: `default`, no password, all access.
pub(crate) fn builtin_default() -> User {
    User {
        id: "default".into(),
        name: "default".into(),
        engine: "redis".into(),
        access_string: "on ~* +@all".into(),
        passwords: Vec::new(),
        auth_type: "no-password".into(),
    }
}

fn user_arn(ctx: &RequestContext, id: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:user:{id}",
        ctx.region, ctx.account_id
    )
}

fn group_arn(ctx: &RequestContext, id: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:usergroup:{id}",
        ctx.region, ctx.account_id
    )
}

/// A user by id (the built-in `default` included), or `UserNotFound`.
pub fn load_user(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    id: &str,
) -> Result<User, AwsError> {
    if let Some(u) = svc.users.get(&Scope::regional(ctx).key(id))? {
        return Ok(u);
    }
    if id == "default" {
        return Ok(builtin_default());
    }
    Err(ElasticacheError::UserNotFound { id: id.to_string() }.into())
}

/// A user group by id, or `UserGroupNotFound`.
pub fn load_group(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    id: &str,
) -> Result<UserGroup, AwsError> {
    svc.user_groups
        .get(&Scope::regional(ctx).key(id))?
        .ok_or_else(|| ElasticacheError::UserGroupNotFound { id: id.to_string() }.into())
}

fn user_groups_of(svc: &ElasticacheService, ctx: &RequestContext, user: &str) -> Vec<String> {
    svc.user_groups
        .scan_prefix(&Scope::regional(ctx).prefix())
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, g)| g.user_ids.iter().any(|u| u == user))
        .map(|(_, g)| g.id)
        .collect()
}

pub(crate) fn replication_groups_of(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    group: &str,
) -> Vec<ReplicationGroup> {
    svc.groups
        .scan_prefix(&Scope::regional(ctx).prefix())
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, g)| g.user_group.as_deref() == Some(group))
        .map(|(_, g)| g)
        .collect()
}

fn user_view(svc: &ElasticacheService, ctx: &RequestContext, u: &User, status: &str) -> Value {
    json!({
        "UserId": u.id,
        "UserName": u.name,
        "Status": status,
        "Engine": u.engine,
        "MinimumEngineVersion": "6.0",
        "AccessString": u.access_string,
        "UserGroupIds": user_groups_of(svc, ctx, &u.id),
        "Authentication": {"Type": u.auth_type, "PasswordCount": u.passwords.len()},
        "ARN": user_arn(ctx, &u.id),
    })
}

fn group_view(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    g: &UserGroup,
    status: &str,
) -> Value {
    json!({
        "UserGroupId": g.id,
        "Status": status,
        "Engine": g.engine,
        "UserIds": g.user_ids,
        "MinimumEngineVersion": "6.0",
        "ReplicationGroups": replication_groups_of(svc, ctx, &g.id).iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        "ServerlessCaches": [],
        "ARN": group_arn(ctx, &g.id),
    })
}

/// Checks an access string is made of Redis ACL rules.
fn check_access_string(access: &str) -> Result<(), AwsError> {
    let words = [
        "on",
        "off",
        "allkeys",
        "allchannels",
        "allcommands",
        "nocommands",
        "resetkeys",
        "resetchannels",
        "nopass",
        "reset",
    ];
    let ok = !access.trim().is_empty()
        && access
            .split_whitespace()
            .all(|t| words.contains(&t) || t.starts_with(['~', '%', '&', '+', '-']) && t.len() > 1);
    if ok {
        Ok(())
    } else {
        Err(ElasticacheError::value("Access string is not valid.").into())
    }
}

/// The passwords and authentication type an input asks for.
fn authentication(
    input: &Value,
    required_now: bool,
) -> Result<Option<(Vec<String>, String)>, AwsError> {
    let mode = input.get("AuthenticationMode");
    let mode_type = mode.and_then(|m| str_member(m, "Type"));
    let mut passwords = strings(input, "Passwords");
    if let Some(m) = mode {
        passwords.extend(strings(m, "Passwords"));
    }
    let no_password = input.get("NoPasswordRequired").and_then(Value::as_bool) == Some(true)
        || mode_type == Some("no-password-required");
    if no_password && !passwords.is_empty() {
        return Err(ElasticacheError::combination(
            "No password required flag is true but password is present in the request.",
        )
        .into());
    }
    if mode_type == Some("iam") {
        return Ok(Some((Vec::new(), "iam".into())));
    }
    if no_password {
        return Ok(Some((Vec::new(), "no-password".into())));
    }
    if passwords.is_empty() {
        return if required_now {
            Err(ElasticacheError::value(
                "No password was provided. Provide passwords, or set NoPasswordRequired to true.",
            )
            .into())
        } else {
            Ok(None)
        };
    }
    if passwords.len() > 2 {
        return Err(ElasticacheError::value("A user can have at most 2 passwords.").into());
    }
    for p in &passwords {
        if !(16..=128).contains(&p.len())
            || p.chars()
                .any(|c| !c.is_ascii_graphic() || c == '"' || c == '/' || c == '@')
        {
            return Err(ElasticacheError::value(
                "Passwords must be between 16 and 128 printable characters, without \", / or @.",
            )
            .into());
        }
    }
    Ok(Some((passwords, "password".into())))
}

fn check_engine(engine: &str) -> Result<String, AwsError> {
    let e = engine.to_ascii_lowercase();
    if e == "redis" || e == "valkey" {
        Ok(e)
    } else {
        Err(ElasticacheError::value(format!(
            "Invalid engine: {engine}. Users and user groups are for the redis and valkey engines."
        ))
        .into())
    }
}

/// `CreateUser`.
pub(crate) fn create_user(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = check_id("User id", required(input, "UserId")?, 40)?;
    let name = required(input, "UserName")?.to_string();
    let engine = check_engine(required(input, "Engine")?)?;
    let access_string = required(input, "AccessString")?.to_string();
    check_access_string(&access_string)?;
    let (passwords, auth_type) = authentication(input, true)?.unwrap_or_default();
    let u = User {
        id: id.clone(),
        name,
        engine,
        access_string,
        passwords,
        auth_type,
    };
    let key = Scope::regional(ctx).key(&id);
    svc.store.write(|tx| {
        if id == "default" || tx.get(&svc.users, &key)?.is_some() {
            return Err(AwsError::from(ElasticacheError::UserAlreadyExists {
                id: id.clone(),
            }));
        }
        tx.put(&svc.users, &key, &u)?;
        Ok(())
    })?;
    tags::set(svc, &user_arn(ctx, &id), tag_list(input))?;
    Ok(user_view(svc, ctx, &u, "active"))
}

/// `DescribeUsers`.
pub(crate) fn describe_users(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let engine = str_member(input, "Engine");
    if let Some(id) = str_member(input, "UserId") {
        let u = load_user(svc, ctx, id)?;
        return Ok(json!({ "Users": [user_view(svc, ctx, &u, "active")] }));
    }
    let request = page_request(input)?;
    let mut items = Vec::new();
    if request.after.is_none()
        && engine.is_none_or(|e| e == "redis")
        && !svc.users.contains(&Scope::regional(ctx).key("default"))?
    {
        items.push(user_view(svc, ctx, &builtin_default(), "active"));
    }
    let page = paging::page(
        &svc.users,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, u| engine.is_none_or(|e| u.engine == e).then_some(u),
    )?;
    items.extend(page.items.iter().map(|u| user_view(svc, ctx, u, "active")));
    Ok(with_marker(json!({ "Users": items }), page.next_token))
}

/// `ModifyUser`: new rules or passwords reach the engines at once.
pub(crate) fn modify_user(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = required(input, "UserId")?;
    if id == "default" {
        return Err(ElasticacheError::value("The default user cannot be modified.").into());
    }
    let mut u = load_user(svc, ctx, id)?;
    if let Some(a) = str_member(input, "AccessString") {
        check_access_string(a)?;
        u.access_string = a.to_string();
    }
    if let Some(a) = str_member(input, "AppendAccessString") {
        check_access_string(a)?;
        u.access_string = format!("{} {a}", u.access_string);
    }
    if let Some((passwords, auth_type)) = authentication(input, false)? {
        u.passwords = passwords;
        u.auth_type = auth_type;
    }
    svc.users.put(&Scope::regional(ctx).key(&u.id), &u)?;
    for g in user_groups_of(svc, ctx, &u.id) {
        apply_acls(svc, ctx, &g);
    }
    Ok(user_view(svc, ctx, &u, "modifying"))
}

/// `DeleteUser`: refused for `default` users still in a group.
pub(crate) fn delete_user(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = required(input, "UserId")?;
    if id == "default" {
        return Err(ElasticacheError::value("The default user cannot be deleted.").into());
    }
    let u = load_user(svc, ctx, id)?;
    let groups = user_groups_of(svc, ctx, &u.id);
    if u.name == "default" && !groups.is_empty() {
        return Err(ElasticacheError::DefaultUserAssociatedToUserGroup.into());
    }
    let view = user_view(svc, ctx, &u, "deleting");
    let scope = Scope::regional(ctx);
    for g in &groups {
        let _ = svc.store.write(|tx| {
            if let Some(mut ug) = tx.get(&svc.user_groups, &scope.key(g))? {
                ug.user_ids.retain(|x| x != &u.id);
                tx.put(&svc.user_groups, &scope.key(g), &ug)?;
            }
            Ok::<_, AwsError>(())
        });
        remove_acl_user(svc, ctx, g, &u.name);
    }
    svc.users.delete(&scope.key(&u.id))?;
    tags::drop_all(svc, &user_arn(ctx, &u.id))?;
    Ok(view)
}

/// The users of `ids`, checked: all exist, one is named `default`, no
/// two share a name.
fn checked_members(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    ids: &[String],
    engine: &str,
) -> Result<Vec<User>, AwsError> {
    let mut users = Vec::new();
    for id in ids {
        let u = load_user(svc, ctx, id)?;
        if users.iter().any(|x: &User| x.name == u.name) {
            return Err(ElasticacheError::DuplicateUserName {
                name: u.name.clone(),
            }
            .into());
        }
        let _ = engine;
        users.push(u);
    }
    if !users.iter().any(|u| u.name == "default") {
        return Err(ElasticacheError::DefaultUserRequired.into());
    }
    Ok(users)
}

/// `CreateUserGroup`.
pub(crate) fn create_group(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = check_id("User group id", required(input, "UserGroupId")?, 40)?;
    let engine = check_engine(required(input, "Engine")?)?;
    let user_ids = strings(input, "UserIds");
    checked_members(svc, ctx, &user_ids, &engine)?;
    let g = UserGroup {
        id: id.clone(),
        engine,
        user_ids,
    };
    let key = Scope::regional(ctx).key(&id);
    svc.store.write(|tx| {
        if tx.get(&svc.user_groups, &key)?.is_some() {
            return Err(AwsError::from(ElasticacheError::UserGroupAlreadyExists {
                id: id.clone(),
            }));
        }
        tx.put(&svc.user_groups, &key, &g)?;
        Ok(())
    })?;
    tags::set(svc, &group_arn(ctx, &id), tag_list(input))?;
    Ok(group_view(svc, ctx, &g, "active"))
}

/// `DescribeUserGroups`.
pub(crate) fn describe_groups(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    if let Some(id) = str_member(input, "UserGroupId") {
        let g = load_group(svc, ctx, id)?;
        return Ok(json!({ "UserGroups": [group_view(svc, ctx, &g, "active")] }));
    }
    let request = page_request(input)?;
    let page = paging::page(
        &svc.user_groups,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, g| Some(g),
    )?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|g| group_view(svc, ctx, g, "active"))
        .collect();
    Ok(with_marker(json!({ "UserGroups": items }), page.next_token))
}

/// `ModifyUserGroup`: users added or removed reach the engines at once.
pub(crate) fn modify_group(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let mut g = load_group(svc, ctx, required(input, "UserGroupId")?)?;
    let add = strings(input, "UserIdsToAdd");
    let remove = strings(input, "UserIdsToRemove");
    let mut ids: Vec<String> = g
        .user_ids
        .iter()
        .filter(|u| !remove.contains(u))
        .cloned()
        .collect();
    for a in add {
        if !ids.contains(&a) {
            ids.push(a);
        }
    }
    let kept = checked_members(svc, ctx, &ids, &g.engine)?;
    let removed_names: Vec<String> = g
        .user_ids
        .iter()
        .filter(|u| remove.contains(u))
        .filter_map(|u| load_user(svc, ctx, u).ok())
        .map(|u| u.name)
        .filter(|n| !kept.iter().any(|k| &k.name == n))
        .collect();
    g.user_ids = ids;
    svc.user_groups.put(&Scope::regional(ctx).key(&g.id), &g)?;
    for name in &removed_names {
        remove_acl_user(svc, ctx, &g.id, name);
    }
    apply_acls(svc, ctx, &g.id);
    Ok(group_view(svc, ctx, &g, "modifying"))
}

/// `DeleteUserGroup`: refused while a replication group uses it.
pub(crate) fn delete_group(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let g = load_group(svc, ctx, required(input, "UserGroupId")?)?;
    if !replication_groups_of(svc, ctx, &g.id).is_empty() {
        return Err(ElasticacheError::InvalidUserGroupState { id: g.id.clone() }.into());
    }
    svc.user_groups.delete(&Scope::regional(ctx).key(&g.id))?;
    tags::drop_all(svc, &group_arn(ctx, &g.id))?;
    Ok(group_view(svc, ctx, &g, "deleting"))
}
