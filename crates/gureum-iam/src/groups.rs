//! `CreateGroup`, `GetGroup`, `UpdateGroup`, `DeleteGroup`, `ListGroups`,
//! `AddUserToGroup`, `RemoveUserFromGroup`, `ListGroupsForUser`.
//!
//! A group is a bag of users that share the group's policies; it is not an
//! identity (it cannot sign requests or be named as a principal). Users hold
//! their memberships (a user is in at most 10 groups, `LimitExceeded` past
//! that); a group's members are found by scanning the account's users,
//! which keeps one source of truth for membership.

use crate::errors::IamError;
use crate::model::{Group, User};
use crate::users::user_value;
use crate::util::{
    check_name, key, list_output, page_request, paginate, path_member, required, scan_page, scope,
    str_member,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The most groups a user may be in.
pub const GROUPS_PER_USER: usize = 10;

/// A group's ARN.
pub(crate) fn group_arn(account: &str, g: &Group) -> String {
    format!("arn:aws:iam::{account}:group{}{}", g.path, g.name)
}

/// The model's `Group` shape.
pub(crate) fn group_value(account: &str, g: &Group) -> Value {
    json!({
        "Path": g.path,
        "GroupName": g.name,
        "GroupId": g.group_id,
        "Arn": group_arn(account, g),
        "CreateDate": g.create_date,
    })
}

/// Whether `user` is in the group named `group` (names compare without case).
pub(crate) fn is_member(user: &User, group: &str) -> bool {
    user.groups.iter().any(|g| g.eq_ignore_ascii_case(group))
}

impl IamService {
    /// The group `name` of `account`, or `NoSuchEntity`.
    pub(crate) fn load_group(&self, account: &str, name: &str) -> Result<Group, AwsError> {
        self.groups.get(&key(account, name))?.ok_or_else(|| {
            IamError::NoSuchGroup {
                name: name.to_string(),
            }
            .into()
        })
    }

    /// The members of a group, in name order.
    pub(crate) fn group_members(&self, account: &str, group: &str) -> Result<Vec<User>, AwsError> {
        Ok(self
            .users
            .scan_prefix(&scope(account).prefix())?
            .into_iter()
            .map(|(_, u)| u)
            .filter(|u| is_member(u, group))
            .collect())
    }

    /// `CreateGroup`.
    pub(crate) fn create_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "GroupName")?;
        check_name("GroupName", name)?;
        let group = Group {
            name: name.to_string(),
            group_id: id::iam_unique_id("AGPA"),
            path: path_member(&input, "Path")?,
            create_date: ctx.clock.now_secs(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
        };
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            if txn.get(&self.groups, &k)?.is_some() {
                return Err(IamError::GroupExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.groups, &k, &group)?;
            Ok(())
        })?;
        Ok(json!({ "Group": group_value(&ctx.account_id, &group) }))
    }

    /// `GetGroup`: the group and (a page of) its users.
    pub(crate) fn get_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "GroupName")?;
        let group = self.load_group(&ctx.account_id, name)?;
        let users = self
            .group_members(&ctx.account_id, name)?
            .into_iter()
            .map(|u| {
                (
                    u.name.to_lowercase(),
                    user_value(&ctx.account_id, &u, false),
                )
            })
            .collect();
        let page = paginate(users, &page_request(&input)?);
        let mut out = list_output("Users", page);
        out["Group"] = group_value(&ctx.account_id, &group);
        Ok(out)
    }

    /// `UpdateGroup`: a new path and/or name (memberships follow the name).
    pub(crate) fn update_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "GroupName")?;
        let new_name = str_member(&input, "NewGroupName");
        if let Some(n) = new_name {
            check_name("NewGroupName", n)?;
        }
        let new_path = match str_member(&input, "NewPath") {
            Some(_) => Some(path_member(&input, "NewPath")?),
            None => None,
        };
        let old_key = key(acct, name);
        self.write(|txn| {
            let mut group =
                txn.get(&self.groups, &old_key)?
                    .ok_or_else(|| IamError::NoSuchGroup {
                        name: name.to_string(),
                    })?;
            if let Some(p) = new_path {
                group.path = p;
            }
            let mut new_key = old_key.clone();
            if let Some(n) = new_name {
                new_key = key(acct, n);
                if new_key != old_key && txn.get(&self.groups, &new_key)?.is_some() {
                    return Err(IamError::GroupExists {
                        name: n.to_string(),
                    }
                    .into());
                }
                group.name = n.to_string();
                for (k, mut u) in txn.scan_prefix(&self.users, &scope(acct).prefix())? {
                    if is_member(&u, name) {
                        for g in u.groups.iter_mut() {
                            if g.eq_ignore_ascii_case(name) {
                                *g = n.to_string();
                            }
                        }
                        txn.put(&self.users, &k, &u)?;
                    }
                }
                txn.delete(&self.groups, &old_key)?;
            }
            txn.put(&self.groups, &new_key, &group)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteGroup`, refused while it has members or policies.
    pub(crate) fn delete_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "GroupName")?;
        let k = key(acct, name);
        self.write(|txn| {
            let group = txn
                .get(&self.groups, &k)?
                .ok_or_else(|| IamError::NoSuchGroup {
                    name: name.to_string(),
                })?;
            let has_members = txn
                .scan_prefix(&self.users, &scope(acct).prefix())?
                .iter()
                .any(|(_, u)| is_member(u, name));
            if has_members {
                return Err(IamError::GroupHasUsers.into());
            }
            if !group.inline_policies.is_empty() {
                return Err(IamError::HasInlinePolicies.into());
            }
            if !group.attached_policies.is_empty() {
                return Err(IamError::HasAttachedPolicies.into());
            }
            txn.delete(&self.groups, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListGroups`, optionally under a path prefix.
    pub(crate) fn list_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let page = scan_page(
            &self.groups,
            &ctx.account_id,
            &page_request(&input)?,
            |_, g| {
                g.path
                    .starts_with(prefix)
                    .then(|| group_value(&ctx.account_id, &g))
            },
        )?;
        Ok(list_output("Groups", page))
    }

    /// `AddUserToGroup` (idempotent; at most 10 groups per user).
    pub(crate) fn add_user_to_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let group = required(&input, "GroupName")?;
        let user = required(&input, "UserName")?;
        self.write(|txn| {
            let g =
                txn.get(&self.groups, &key(acct, group))?
                    .ok_or_else(|| IamError::NoSuchGroup {
                        name: group.to_string(),
                    })?;
            let uk = key(acct, user);
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            if is_member(&u, group) {
                return Ok(());
            }
            if u.groups.len() >= GROUPS_PER_USER {
                return Err(IamError::QuotaExceeded {
                    quota: "GroupsPerUser".into(),
                    limit: GROUPS_PER_USER,
                }
                .into());
            }
            u.groups.push(g.name);
            txn.put(&self.users, &uk, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `RemoveUserFromGroup`.
    pub(crate) fn remove_user_from_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let group = required(&input, "GroupName")?;
        let user = required(&input, "UserName")?;
        self.write(|txn| {
            txn.get(&self.groups, &key(acct, group))?
                .ok_or_else(|| IamError::NoSuchGroup {
                    name: group.to_string(),
                })?;
            let uk = key(acct, user);
            let mut u = txn
                .get(&self.users, &uk)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: user.to_string(),
                })?;
            if !is_member(&u, group) {
                return Err(IamError::UserNotInGroup {
                    user: user.to_string(),
                    group: group.to_string(),
                }
                .into());
            }
            u.groups.retain(|g| !g.eq_ignore_ascii_case(group));
            txn.put(&self.users, &uk, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListGroupsForUser`.
    pub(crate) fn list_groups_for_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let user = self.load_user(&ctx.account_id, required(&input, "UserName")?)?;
        let mut groups = Vec::new();
        for g in &user.groups {
            if let Some(group) = self.groups.get(&key(&ctx.account_id, g))? {
                groups.push((g.to_lowercase(), group_value(&ctx.account_id, &group)));
            }
        }
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(groups, &page_request(&input)?);
        Ok(list_output("Groups", page))
    }
}
