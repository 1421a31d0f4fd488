//! Tags: `Tag/Untag/List…Tags` for users, roles, customer managed
//! policies, instance profiles and virtual MFA devices.
//!
//! A resource carries at most 50 tags; keys are unique regardless of case
//! (tagging with an existing key replaces its value), may not start with
//! `aws:`, and use letters, digits, spaces and `_.:/=+-@`. Untagging a key
//! that is not there is not an error. User and role tags are what
//! `aws:PrincipalTag/…` conditions read.

use crate::errors::IamError;
use crate::model::Tag;
use crate::policies::ManagedRef;
use crate::util::{
    key, list_output, merge_tags, page_request, paginate, remove_tags, required, tags_member,
    tags_value,
};
use crate::IamService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// What a tag operation does to a resource's tags.
enum Change {
    Add(Vec<Tag>),
    Remove(Value),
}

impl Change {
    fn of(input: &Value, adding: bool) -> Result<Change, AwsError> {
        Ok(if adding {
            Change::Add(tags_member(input)?)
        } else {
            Change::Remove(input.clone())
        })
    }

    fn apply(self, tags: &mut Vec<Tag>) -> Result<(), AwsError> {
        match self {
            Change::Add(new) => merge_tags(tags, new),
            Change::Remove(input) => {
                remove_tags(tags, &input);
                Ok(())
            }
        }
    }
}

/// One page of a resource's tags (`ListXTags`).
pub(crate) fn list(tags: &[Tag], input: &Value) -> OpResult {
    let items = tags
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                format!("{i:04}"),
                tags_value(std::slice::from_ref(t))[0].clone(),
            )
        })
        .collect();
    let page = paginate(items, &page_request(input)?);
    Ok(list_output("Tags", page))
}

impl IamService {
    /// `Tag…`/`Untag…` for the record at `k` of `table`: `tags_of` finds
    /// its tags, `missing` is the error when there is no such record.
    pub(crate) fn retag<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        table: &gureum_store::Table<T>,
        k: &str,
        input: &Value,
        adding: bool,
        tags_of: impl FnOnce(&mut T) -> &mut Vec<Tag>,
        missing: impl FnOnce() -> AwsError,
    ) -> OpResult {
        let change = Change::of(input, adding)?;
        self.write(|txn| {
            let mut record = txn.get(table, k)?.ok_or_else(missing)?;
            change.apply(tags_of(&mut record))?;
            txn.put(table, k, &record)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_user(&self, ctx: &RequestContext, input: &Value, adding: bool) -> OpResult {
        let name = required(input, "UserName")?;
        let change = Change::of(input, adding)?;
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            let mut u = txn
                .get(&self.users, &k)?
                .ok_or_else(|| IamError::NoSuchUser {
                    name: name.to_string(),
                })?;
            change.apply(&mut u.tags)?;
            txn.put(&self.users, &k, &u)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_role(&self, ctx: &RequestContext, input: &Value, adding: bool) -> OpResult {
        let name = required(input, "RoleName")?;
        let change = Change::of(input, adding)?;
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            let mut r = txn
                .get(&self.roles, &k)?
                .ok_or_else(|| IamError::NoSuchRole {
                    name: name.to_string(),
                })?;
            change.apply(&mut r.tags)?;
            txn.put(&self.roles, &k, &r)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_policy(&self, ctx: &RequestContext, input: &Value, adding: bool) -> OpResult {
        let arn = required(input, "PolicyArn")?;
        let change = Change::of(input, adding)?;
        let ManagedRef::Customer(k, _) = self.find_policy(&ctx.account_id, arn)? else {
            return Err(crate::policies::aws_policy_denied(ctx, "TagPolicy", arn));
        };
        self.write(|txn| {
            let mut p = txn
                .get(&self.policies, &k)?
                .ok_or_else(|| IamError::NoSuchPolicy {
                    arn: arn.to_string(),
                })?;
            change.apply(&mut p.tags)?;
            txn.put(&self.policies, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_instance_profile(
        &self,
        ctx: &RequestContext,
        input: &Value,
        adding: bool,
    ) -> OpResult {
        let name = required(input, "InstanceProfileName")?;
        let change = Change::of(input, adding)?;
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            let mut p = txn.get(&self.instance_profiles, &k)?.ok_or_else(|| {
                IamError::NoSuchInstanceProfile {
                    name: name.to_string(),
                }
            })?;
            change.apply(&mut p.tags)?;
            txn.put(&self.instance_profiles, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    fn retag_mfa_device(&self, ctx: &RequestContext, input: &Value, adding: bool) -> OpResult {
        let serial = required(input, "SerialNumber")?;
        let change = Change::of(input, adding)?;
        let (k, _) = self.device_by_serial(&ctx.account_id, serial)?;
        self.write(|txn| {
            if let Some(mut d) = txn.get(&self.mfa_devices, &k)? {
                change.apply(&mut d.tags)?;
                txn.put(&self.mfa_devices, &k, &d)?;
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `TagUser`.
    pub(crate) fn tag_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_user(ctx, &input, true)
    }

    /// `UntagUser`.
    pub(crate) fn untag_user(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_user(ctx, &input, false)
    }

    /// `ListUserTags`.
    pub(crate) fn list_user_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let u = self.load_user(&ctx.account_id, required(&input, "UserName")?)?;
        list(&u.tags, &input)
    }

    /// `TagRole`.
    pub(crate) fn tag_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_role(ctx, &input, true)
    }

    /// `UntagRole`.
    pub(crate) fn untag_role(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_role(ctx, &input, false)
    }

    /// `ListRoleTags`.
    pub(crate) fn list_role_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let r = self.load_role(&ctx.account_id, required(&input, "RoleName")?)?;
        list(&r.tags, &input)
    }

    /// `TagPolicy` (customer managed policies only).
    pub(crate) fn tag_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_policy(ctx, &input, true)
    }

    /// `UntagPolicy`.
    pub(crate) fn untag_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_policy(ctx, &input, false)
    }

    /// `ListPolicyTags` (AWS managed policies have none).
    pub(crate) fn list_policy_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        match self.find_policy(&ctx.account_id, required(&input, "PolicyArn")?)? {
            ManagedRef::Customer(_, p) => list(&p.tags, &input),
            ManagedRef::Aws(_) => list(&[], &input),
        }
    }

    /// `TagInstanceProfile`.
    pub(crate) fn tag_instance_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_instance_profile(ctx, &input, true)
    }

    /// `UntagInstanceProfile`.
    pub(crate) fn untag_instance_profile(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_instance_profile(ctx, &input, false)
    }

    /// `ListInstanceProfileTags`.
    pub(crate) fn list_instance_profile_tags(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let p =
            self.load_instance_profile(&ctx.account_id, required(&input, "InstanceProfileName")?)?;
        list(&p.tags, &input)
    }

    /// `TagMFADevice`.
    pub(crate) fn tag_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_mfa_device(ctx, &input, true)
    }

    /// `UntagMFADevice`.
    pub(crate) fn untag_mfa_device(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.retag_mfa_device(ctx, &input, false)
    }

    /// `ListMFADeviceTags`.
    pub(crate) fn list_mfa_device_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, d) = self.device_by_serial(&ctx.account_id, required(&input, "SerialNumber")?)?;
        list(&d.tags, &input)
    }
}
