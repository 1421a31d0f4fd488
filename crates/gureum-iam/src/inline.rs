//! Inline policies: `Put/Get/Delete/List{User,Group,Role}Policy`.
//!
//! An inline policy is a document embedded in one user, group or role,
//! named within it and deleted with it. Documents are checked as identity
//! policies and count against a per-identity quota of non-whitespace
//! characters across all of the identity's inline policies: 2,048 for a
//! user, 5,120 for a group, 10,240 for a role (`LimitExceeded`).

use crate::documents::{validate, DocKind};
use crate::entity::Entity;
use crate::errors::IamError;
use crate::model::{Group, Role, User};
use crate::util::{
    check_name, encode_document, list_output, page_request, paginate, policy_size, required,
};
use crate::IamService;
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

impl IamService {
    fn put_inline<E: Entity>(&self, ctx: &RequestContext, input: &Value, member: &str) -> OpResult {
        let name = required(input, member)?;
        let policy_name = required(input, "PolicyName")?;
        check_name("PolicyName", policy_name)?;
        let doc = required(input, "PolicyDocument")?;
        validate(doc, DocKind::Identity)?;
        self.modify_entity::<E, _>(&ctx.account_id, name, |_, e| {
            let entity_name = e.name().to_string();
            let inline = e.inline();
            let others: usize = inline
                .iter()
                .filter(|(n, _)| n.as_str() != policy_name)
                .map(|(_, d)| policy_size(d))
                .sum();
            if others + policy_size(doc) > E::INLINE_SIZE {
                return Err(IamError::InlinePolicyTooLarge {
                    limit: E::INLINE_SIZE,
                    kind: E::KIND_LOWER,
                    name: entity_name.to_string(),
                }
                .into());
            }
            inline.insert(policy_name.to_string(), doc.to_string());
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn get_inline<E: Entity>(&self, ctx: &RequestContext, input: &Value, member: &str) -> OpResult {
        let name = required(input, member)?;
        let policy_name = required(input, "PolicyName")?;
        let mut e: E = self.load_entity(&ctx.account_id, name)?;
        let entity_name = e.name().to_string();
        let doc =
            e.inline()
                .get(policy_name)
                .cloned()
                .ok_or_else(|| IamError::NoSuchInlinePolicy {
                    kind: E::KIND_LOWER,
                    name: policy_name.to_string(),
                })?;
        Ok(json!({
            member: entity_name,
            "PolicyName": policy_name,
            "PolicyDocument": encode_document(&doc),
        }))
    }

    fn delete_inline<E: Entity>(
        &self,
        ctx: &RequestContext,
        input: &Value,
        member: &str,
    ) -> OpResult {
        let name = required(input, member)?;
        let policy_name = required(input, "PolicyName")?;
        self.modify_entity::<E, _>(&ctx.account_id, name, |_, e| {
            e.inline().remove(policy_name).map(|_| ()).ok_or_else(|| {
                IamError::NoSuchInlinePolicy {
                    kind: E::KIND_LOWER,
                    name: policy_name.to_string(),
                }
                .into()
            })
        })?;
        Ok(json!({}))
    }

    fn list_inline<E: Entity>(
        &self,
        ctx: &RequestContext,
        input: &Value,
        member: &str,
    ) -> OpResult {
        let name = required(input, member)?;
        let mut e: E = self.load_entity(&ctx.account_id, name)?;
        let names = e.inline().keys().map(|n| (n.clone(), json!(n))).collect();
        let page = paginate(names, &page_request(input)?);
        Ok(list_output("PolicyNames", page))
    }

    /// `PutUserPolicy`.
    pub(crate) fn put_user_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.put_inline::<User>(ctx, &input, "UserName")
    }

    /// `GetUserPolicy`.
    pub(crate) fn get_user_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.get_inline::<User>(ctx, &input, "UserName")
    }

    /// `DeleteUserPolicy`.
    pub(crate) fn delete_user_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.delete_inline::<User>(ctx, &input, "UserName")
    }

    /// `ListUserPolicies`.
    pub(crate) fn list_user_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.list_inline::<User>(ctx, &input, "UserName")
    }

    /// `PutGroupPolicy`.
    pub(crate) fn put_group_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.put_inline::<Group>(ctx, &input, "GroupName")
    }

    /// `GetGroupPolicy`.
    pub(crate) fn get_group_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.get_inline::<Group>(ctx, &input, "GroupName")
    }

    /// `DeleteGroupPolicy`.
    pub(crate) fn delete_group_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.delete_inline::<Group>(ctx, &input, "GroupName")
    }

    /// `ListGroupPolicies`.
    pub(crate) fn list_group_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.list_inline::<Group>(ctx, &input, "GroupName")
    }

    /// `PutRolePolicy`.
    pub(crate) fn put_role_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.put_inline::<Role>(ctx, &input, "RoleName")
    }

    /// `GetRolePolicy`.
    pub(crate) fn get_role_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.get_inline::<Role>(ctx, &input, "RoleName")
    }

    /// `DeleteRolePolicy`.
    pub(crate) fn delete_role_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.delete_inline::<Role>(ctx, &input, "RoleName")
    }

    /// `ListRolePolicies`.
    pub(crate) fn list_role_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.list_inline::<Role>(ctx, &input, "RoleName")
    }
}
