//! Attaching managed policies: `Attach{User,Group,Role}Policy`,
//! `Detach{User,Group,Role}Policy`, `ListAttached{User,Group,Role}Policies`,
//! `ListEntitiesForPolicy`, and permissions boundaries:
//! `Put/Delete{User,Role}PermissionsBoundary`.
//!
//! An identity attaches at most 10 managed policies (`LimitExceeded` past
//! that, with AWS's quota names `PoliciesPerUser`, `PoliciesPerGroup`,
//! `PoliciesPerRole`); attaching one already attached changes nothing. A
//! permissions boundary is a managed policy that caps what a user's or
//! role's identity policies can grant; it grants nothing itself.

use crate::entity::Entity;
use crate::errors::IamError;
use crate::model::{Group, Role, User};
use crate::policies::ManagedRef;
use crate::util::{
    chained_page, list_output, page_request, paginate, required, scan_page, str_member, Source,
};
use crate::IamService;
use gureum_core::{OpResult, RequestContext, Value};
use gureum_kit::paging::{Page, PageRequest};
use serde_json::json;

/// The most managed policies one identity can attach.
pub const ATTACHED_POLICIES_PER_IDENTITY: usize = 10;

/// A page with nothing on it (a source a filter rules out).
fn empty<T>() -> Page<T> {
    Page {
        items: Vec::new(),
        next_token: None,
    }
}

impl IamService {
    fn attach<E: Entity>(&self, ctx: &RequestContext, input: &Value, member: &str) -> OpResult {
        let name = required(input, member)?;
        let arn = required(input, "PolicyArn")?;
        self.modify_entity::<E, _>(&ctx.account_id, name, |txn, e| {
            // In the transaction that attaches: DeletePolicy checks for
            // attachments in its own, so one of the two sees the other.
            self.attachable_policy_in(txn, &ctx.account_id, arn)?;
            let attached = e.attached();
            if attached.iter().any(|a| a == arn) {
                return Ok(());
            }
            if attached.len() >= ATTACHED_POLICIES_PER_IDENTITY {
                return Err(IamError::QuotaExceeded {
                    quota: format!("PoliciesPer{}", E::KIND),
                    limit: ATTACHED_POLICIES_PER_IDENTITY,
                }
                .into());
            }
            attached.push(arn.to_string());
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn detach<E: Entity>(&self, ctx: &RequestContext, input: &Value, member: &str) -> OpResult {
        let name = required(input, member)?;
        let arn = required(input, "PolicyArn")?;
        self.modify_entity::<E, _>(&ctx.account_id, name, |_, e| {
            let attached = e.attached();
            if !attached.iter().any(|a| a == arn) {
                return Err(IamError::PolicyNotAttached {
                    arn: arn.to_string(),
                }
                .into());
            }
            attached.retain(|a| a != arn);
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn list_attached<E: Entity>(
        &self,
        ctx: &RequestContext,
        input: &Value,
        member: &str,
    ) -> OpResult {
        let name = required(input, member)?;
        let prefix = str_member(input, "PathPrefix").unwrap_or("/");
        let mut e: E = self.load_entity(&ctx.account_id, name)?;
        let mut items = Vec::new();
        for arn in e.attached().iter() {
            if let Ok(r) = self.find_policy(&ctx.account_id, arn) {
                if r.path().starts_with(prefix) {
                    items.push((
                        format!("{}/{arn}", r.name().to_lowercase()),
                        json!({"PolicyName": r.name(), "PolicyArn": arn}),
                    ));
                }
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(items, &page_request(input)?);
        Ok(list_output("AttachedPolicies", page))
    }

    fn put_boundary<E: Entity>(
        &self,
        ctx: &RequestContext,
        input: &Value,
        member: &str,
    ) -> OpResult {
        let name = required(input, member)?;
        let arn = required(input, "PermissionsBoundary")?;
        self.modify_entity::<E, _>(&ctx.account_id, name, |txn, e| {
            self.boundary_policy_in(txn, &ctx.account_id, arn)?;
            if let Some(b) = e.boundary() {
                *b = Some(arn.to_string());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn delete_boundary<E: Entity>(
        &self,
        ctx: &RequestContext,
        input: &Value,
        member: &str,
    ) -> OpResult {
        let name = required(input, member)?;
        self.modify_entity::<E, _>(&ctx.account_id, name, |_, e| {
            if let Some(b) = e.boundary() {
                *b = None;
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `AttachUserPolicy`.
    pub(crate) fn attach_user_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.attach::<User>(ctx, &input, "UserName")
    }

    /// `DetachUserPolicy`.
    pub(crate) fn detach_user_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.detach::<User>(ctx, &input, "UserName")
    }

    /// `AttachGroupPolicy`.
    pub(crate) fn attach_group_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.attach::<Group>(ctx, &input, "GroupName")
    }

    /// `DetachGroupPolicy`.
    pub(crate) fn detach_group_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.detach::<Group>(ctx, &input, "GroupName")
    }

    /// `AttachRolePolicy`.
    pub(crate) fn attach_role_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.attach::<Role>(ctx, &input, "RoleName")
    }

    /// `DetachRolePolicy`.
    pub(crate) fn detach_role_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.detach::<Role>(ctx, &input, "RoleName")
    }

    /// `ListAttachedUserPolicies`.
    pub(crate) fn list_attached_user_policies(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.list_attached::<User>(ctx, &input, "UserName")
    }

    /// `ListAttachedGroupPolicies`.
    pub(crate) fn list_attached_group_policies(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.list_attached::<Group>(ctx, &input, "GroupName")
    }

    /// `ListAttachedRolePolicies`.
    pub(crate) fn list_attached_role_policies(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.list_attached::<Role>(ctx, &input, "RoleName")
    }

    /// `PutUserPermissionsBoundary`.
    pub(crate) fn put_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.put_boundary::<User>(ctx, &input, "UserName")
    }

    /// `DeleteUserPermissionsBoundary`.
    pub(crate) fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.delete_boundary::<User>(ctx, &input, "UserName")
    }

    /// `PutRolePermissionsBoundary`.
    pub(crate) fn put_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.put_boundary::<Role>(ctx, &input, "RoleName")
    }

    /// `DeleteRolePermissionsBoundary`.
    pub(crate) fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.delete_boundary::<Role>(ctx, &input, "RoleName")
    }

    /// `ListEntitiesForPolicy`: the users, groups and roles that attach a
    /// policy (`PermissionsPolicy`) or use it as a boundary
    /// (`PermissionsBoundary`).
    pub(crate) fn list_entities_for_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let arn = required(&input, "PolicyArn")?;
        let r = self.find_policy(acct, arn)?;
        let filter = str_member(&input, "EntityFilter");
        let usage = str_member(&input, "PolicyUsageFilter");
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let local = matches!(r, ManagedRef::Customer(..));
        let kind_ok = |kind: &str| match filter {
            None => true,
            Some("LocalManagedPolicy") => local,
            Some("AWSManagedPolicy") => !local,
            Some(f) => f == kind,
        };
        let uses = |attached: &[String], boundary: &Option<String>| -> bool {
            let a = attached.iter().any(|x| x == arn);
            let b = boundary.as_deref() == Some(arn);
            match usage {
                Some("PermissionsPolicy") => a,
                Some("PermissionsBoundary") => b,
                _ => a || b,
            }
        };
        let sources: Vec<Source<'_, (&str, Value)>> = vec![
            (
                "g",
                Box::new(|req: &PageRequest| {
                    if !kind_ok("Group") {
                        return Ok(empty());
                    }
                    scan_page(&self.groups, acct, req, |_, g| {
                        (g.path.starts_with(prefix) && uses(&g.attached_policies, &None)).then(
                            || {
                                (
                                    "PolicyGroups",
                                    json!({"GroupName": g.name, "GroupId": g.group_id}),
                                )
                            },
                        )
                    })
                }),
            ),
            (
                "r",
                Box::new(|req: &PageRequest| {
                    if !kind_ok("Role") {
                        return Ok(empty());
                    }
                    scan_page(&self.roles, acct, req, |_, r| {
                        (r.path.starts_with(prefix)
                            && uses(&r.attached_policies, &r.permissions_boundary))
                        .then(|| {
                            (
                                "PolicyRoles",
                                json!({"RoleName": r.name, "RoleId": r.role_id}),
                            )
                        })
                    })
                }),
            ),
            (
                "u",
                Box::new(|req: &PageRequest| {
                    if !kind_ok("User") {
                        return Ok(empty());
                    }
                    scan_page(&self.users, acct, req, |_, u| {
                        (u.path.starts_with(prefix)
                            && uses(&u.attached_policies, &u.permissions_boundary))
                        .then(|| {
                            (
                                "PolicyUsers",
                                json!({"UserName": u.name, "UserId": u.user_id}),
                            )
                        })
                    })
                }),
            ),
        ];
        let page = chained_page(&page_request(&input)?, sources)?;
        let mut out = json!({"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []});
        for (member, v) in page.items {
            if let Some(a) = out[member].as_array_mut() {
                a.push(v);
            }
        }
        out["IsTruncated"] = json!(page.next_token.is_some());
        if let Some(m) = page.next_token {
            out["Marker"] = json!(m);
        }
        Ok(out)
    }
}
