//! Managed policies: `CreatePolicy`, `GetPolicy`, `DeletePolicy`,
//! `ListPolicies`, and their versions: `CreatePolicyVersion`,
//! `GetPolicyVersion`, `ListPolicyVersions`, `DeletePolicyVersion`,
//! `SetDefaultPolicyVersion`.
//!
//! A managed policy is a standalone document with an ARN that many
//! identities can attach. Customer managed policies live in the account
//! (`arn:aws:iam::000000000000:policy/path/Name`), keep up to five versions
//! of which exactly one is the default (the one that takes effect), and
//! count at most 6,144 characters not counting whitespace. AWS managed
//! policies (`arn:aws:iam::aws:policy/…`, see [`crate::catalogue`]) are
//! shared by every account and cannot be changed.
//!
//! Attachment counts are not stored: they are counted from the users,
//! groups and roles that name the policy, so they can never drift.

use crate::catalogue::{self, AwsManagedPolicy};
use crate::documents::{validate, DocKind};
use crate::errors::IamError;
use crate::model::{ManagedPolicy, PolicyVersion};
use crate::util::{
    bool_member, chained_page, check_name, encode_document, key, list_output, page_request,
    paginate, path_member, policy_size, put_tags, required, scan_page, scope, str_member,
    tags_member, Source,
};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Value};
use gureum_kit::paging::{Page, PageRequest};
use gureum_store::{StoreError, WriteTxn};
use serde_json::json;
use std::collections::HashMap;

/// The quota of a managed policy document, in non-whitespace characters.
pub const MANAGED_POLICY_SIZE: usize = 6144;
/// The most versions a customer managed policy keeps.
pub const VERSIONS_PER_POLICY: usize = 5;

/// A managed policy found by ARN.
#[derive(Clone, Debug)]
pub(crate) enum ManagedRef {
    /// One of AWS's.
    Aws(&'static AwsManagedPolicy),
    /// The account's own, with its store key.
    Customer(String, Box<ManagedPolicy>),
}

impl ManagedRef {
    pub(crate) fn name(&self) -> &str {
        match self {
            ManagedRef::Aws(p) => p.name,
            ManagedRef::Customer(_, p) => &p.name,
        }
    }

    pub(crate) fn path(&self) -> &str {
        match self {
            ManagedRef::Aws(p) => &p.path,
            ManagedRef::Customer(_, p) => &p.path,
        }
    }

    pub(crate) fn document(&self) -> &str {
        match self {
            ManagedRef::Aws(p) => &p.document,
            ManagedRef::Customer(_, p) => p.default_document(),
        }
    }
}

/// A customer managed policy's ARN.
pub(crate) fn policy_arn(account: &str, p: &ManagedPolicy) -> String {
    format!("arn:aws:iam::{account}:policy{}{}", p.path, p.name)
}

/// `(account, path, name)` of a policy ARN, `None` if it is not one.
pub(crate) fn split_policy_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let tail = resource.strip_prefix("policy")?;
    if !tail.starts_with('/') {
        return None;
    }
    let slash = tail.rfind('/')?;
    let (path, name) = (&tail[..=slash], &tail[slash + 1..]);
    if name.is_empty() {
        return None;
    }
    Some((account, path, name))
}

/// Attachment and boundary counts per policy ARN.
pub(crate) type Usage = HashMap<String, (u32, u32)>;

fn policy_value(
    arn: &str,
    name: &str,
    id: &str,
    path: &str,
    default_version: &str,
    usage: (u32, u32),
    dates: (i64, i64),
) -> Value {
    json!({
        "PolicyName": name,
        "PolicyId": id,
        "Arn": arn,
        "Path": path,
        "DefaultVersionId": default_version,
        "AttachmentCount": usage.0,
        "PermissionsBoundaryUsageCount": usage.1,
        "IsAttachable": true,
        "CreateDate": dates.0,
        "UpdateDate": dates.1,
    })
}

/// The model's `Policy` shape for a managed policy; `full` adds the
/// description and tags (`GetPolicy`, `CreatePolicy`).
pub(crate) fn managed_value(account: &str, r: &ManagedRef, usage: &Usage, full: bool) -> Value {
    match r {
        ManagedRef::Aws(p) => {
            let arn = p.arn();
            let u = usage.get(&arn).copied().unwrap_or_default();
            let mut v = policy_value(
                &arn,
                p.name,
                &p.policy_id,
                &p.path,
                &p.version,
                u,
                (p.create_date, p.update_date),
            );
            if full && !p.description.is_empty() {
                v["Description"] = json!(p.description);
            }
            v
        }
        ManagedRef::Customer(_, p) => {
            let arn = policy_arn(account, p);
            let u = usage.get(&arn).copied().unwrap_or_default();
            let mut v = policy_value(
                &arn,
                &p.name,
                &p.policy_id,
                &p.path,
                &p.default_version,
                u,
                (p.create_date, p.update_date),
            );
            if full {
                if let Some(d) = &p.description {
                    v["Description"] = json!(d);
                }
                put_tags(&mut v, &p.tags);
            }
            v
        }
    }
}

fn version_value(v: &PolicyVersion, default: &str, with_document: bool) -> Value {
    let mut out = json!({
        "VersionId": v.version_id,
        "IsDefaultVersion": v.version_id == default,
        "CreateDate": v.create_date,
    });
    if with_document {
        out["Document"] = json!(encode_document(&v.document));
    }
    out
}

/// Checks a managed policy document: size quota, then grammar.
fn check_managed_document(doc: &str) -> Result<(), AwsError> {
    if policy_size(doc) > MANAGED_POLICY_SIZE {
        return Err(IamError::QuotaExceeded {
            quota: "PolicySize".into(),
            limit: MANAGED_POLICY_SIZE,
        }
        .into());
    }
    validate(doc, DocKind::Identity)?;
    Ok(())
}

/// What AWS answers when a caller tries to change an AWS managed policy.
pub(crate) fn aws_policy_denied(ctx: &RequestContext, action: &'static str, arn: &str) -> AwsError {
    IamError::AccessDenied {
        principal: ctx.principal.arn(),
        action,
        resource: format!("policy {arn}"),
    }
    .into()
}

impl IamService {
    /// The managed policy with this ARN, visible from `account`, read
    /// through `get` (the store, or a write transaction that must see the
    /// policy it is about to reference); `None` when there is none.
    pub(crate) fn lookup_policy(
        &self,
        account: &str,
        arn: &str,
        get: impl FnOnce(&str) -> Result<Option<ManagedPolicy>, StoreError>,
    ) -> Result<Option<ManagedRef>, AwsError> {
        let Some((owner, path, name)) = split_policy_arn(arn) else {
            return Err(IamError::InvalidArn {
                arn: arn.to_string(),
            }
            .into());
        };
        if owner == "aws" {
            return Ok(catalogue::by_arn(arn).map(ManagedRef::Aws));
        }
        if owner != account {
            return Ok(None);
        }
        let k = key(account, name);
        Ok(match get(&k)? {
            Some(p) if p.path == path && p.name == name => {
                Some(ManagedRef::Customer(k, Box::new(p)))
            }
            _ => None,
        })
    }

    /// The managed policy with this ARN, visible from `account`.
    pub(crate) fn find_policy(&self, account: &str, arn: &str) -> Result<ManagedRef, AwsError> {
        self.lookup_policy(account, arn, |k| self.policies.get(k))?
            .ok_or_else(|| {
                IamError::NoSuchPolicy {
                    arn: arn.to_string(),
                }
                .into()
            })
    }

    /// Checks, inside `txn`, that `arn` names a managed policy an identity
    /// may attach: the check and the attachment commit together, so a
    /// concurrent `DeletePolicy` either sees the attachment or happens
    /// before the check.
    pub(crate) fn attachable_policy_in(
        &self,
        txn: &WriteTxn,
        account: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        match self.lookup_policy(account, arn, |k| txn.get(&self.policies, k))? {
            Some(_) => Ok(()),
            None => Err(IamError::NoSuchPolicy {
                arn: arn.to_string(),
            }
            .into()),
        }
    }

    /// Checks, inside `txn`, that `arn` names a managed policy usable as a
    /// permissions boundary.
    pub(crate) fn boundary_policy_in(
        &self,
        txn: &WriteTxn,
        account: &str,
        arn: &str,
    ) -> Result<(), AwsError> {
        match self.lookup_policy(account, arn, |k| txn.get(&self.policies, k))? {
            Some(_) => Ok(()),
            None => Err(IamError::NoSuchBoundaryPolicy {
                arn: arn.to_string(),
            }
            .into()),
        }
    }

    /// How many identities attach each policy, and use it as a boundary.
    pub(crate) fn policy_usage(&self, account: &str) -> Result<Usage, AwsError> {
        let prefix = scope(account).prefix();
        let mut usage: Usage = HashMap::new();
        let mut count = |attached: &[String], boundary: &Option<String>| {
            for a in attached {
                usage.entry(a.clone()).or_default().0 += 1;
            }
            if let Some(b) = boundary {
                usage.entry(b.clone()).or_default().1 += 1;
            }
        };
        for (_, u) in self.users.scan_prefix(&prefix)? {
            count(&u.attached_policies, &u.permissions_boundary);
        }
        for (_, g) in self.groups.scan_prefix(&prefix)? {
            count(&g.attached_policies, &None);
        }
        for (_, r) in self.roles.scan_prefix(&prefix)? {
            count(&r.attached_policies, &r.permissions_boundary);
        }
        Ok(usage)
    }

    /// `CreatePolicy`.
    pub(crate) fn create_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = required(&input, "PolicyName")?;
        check_name("PolicyName", name)?;
        let path = path_member(&input, "Path")?;
        let doc = required(&input, "PolicyDocument")?;
        check_managed_document(doc)?;
        let tags = tags_member(&input)?;
        let now = ctx.clock.now_secs();
        let policy = ManagedPolicy {
            name: name.to_string(),
            policy_id: id::iam_unique_id("ANPA"),
            path,
            description: str_member(&input, "Description").map(str::to_string),
            create_date: now,
            update_date: now,
            default_version: "v1".into(),
            next_version: 2,
            versions: vec![PolicyVersion {
                version_id: "v1".into(),
                document: doc.to_string(),
                create_date: now,
            }],
            tags,
        };
        let k = key(&ctx.account_id, name);
        self.write(|txn| {
            if txn.get(&self.policies, &k)?.is_some() {
                return Err(IamError::PolicyExists {
                    name: name.to_string(),
                }
                .into());
            }
            txn.put(&self.policies, &k, &policy)?;
            Ok(())
        })?;
        let mut v = managed_value(
            &ctx.account_id,
            &ManagedRef::Customer(k, Box::new(policy)),
            &Usage::new(),
            true,
        );
        if let Some(o) = v.as_object_mut() {
            o.remove("Description");
        }
        Ok(json!({ "Policy": v }))
    }

    /// `GetPolicy`.
    pub(crate) fn get_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let r = self.find_policy(&ctx.account_id, arn)?;
        let usage = self.policy_usage(&ctx.account_id)?;
        Ok(json!({ "Policy": managed_value(&ctx.account_id, &r, &usage, true) }))
    }

    /// The customer managed policy at `arn`, refusing AWS managed ones.
    fn customer_policy(
        &self,
        ctx: &RequestContext,
        action: &'static str,
        arn: &str,
    ) -> Result<(String, ManagedPolicy), AwsError> {
        match self.find_policy(&ctx.account_id, arn)? {
            ManagedRef::Aws(_) => Err(aws_policy_denied(ctx, action, arn)),
            ManagedRef::Customer(k, p) => Ok((k, *p)),
        }
    }

    /// `DeletePolicy`, refused while attached, used as a boundary, or
    /// holding versions other than the default.
    pub(crate) fn delete_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let (k, _) = self.customer_policy(ctx, "DeletePolicy", arn)?;
        self.write(|txn| {
            let policy = txn
                .get(&self.policies, &k)?
                .ok_or_else(|| IamError::NoSuchPolicy {
                    arn: arn.to_string(),
                })?;
            let prefix = scope(&ctx.account_id).prefix();
            let named = |attached: &[String], boundary: &Option<String>| {
                attached.iter().any(|a| a == arn) || boundary.as_deref() == Some(arn)
            };
            let attached = txn
                .scan_prefix(&self.users, &prefix)?
                .iter()
                .any(|(_, u)| named(&u.attached_policies, &u.permissions_boundary))
                || txn
                    .scan_prefix(&self.groups, &prefix)?
                    .iter()
                    .any(|(_, g)| named(&g.attached_policies, &None))
                || txn
                    .scan_prefix(&self.roles, &prefix)?
                    .iter()
                    .any(|(_, r)| named(&r.attached_policies, &r.permissions_boundary));
            if attached {
                return Err(IamError::PolicyAttached.into());
            }
            if policy.versions.len() > 1 {
                return Err(IamError::PolicyHasVersions.into());
            }
            txn.delete(&self.policies, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `ListPolicies`: `Scope` (All, AWS, Local), `OnlyAttached`,
    /// `PathPrefix`, `PolicyUsageFilter`.
    pub(crate) fn list_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = &ctx.account_id;
        let scope = str_member(&input, "Scope").unwrap_or("All");
        let only_attached = bool_member(&input, "OnlyAttached").unwrap_or(false);
        let prefix = str_member(&input, "PathPrefix").unwrap_or("/");
        let usage_filter = str_member(&input, "PolicyUsageFilter");
        let usage = self.policy_usage(acct)?;
        let arn_of = |r: &ManagedRef| match r {
            ManagedRef::Aws(p) => p.arn(),
            ManagedRef::Customer(_, p) => policy_arn(acct, p),
        };
        let wanted = |r: &ManagedRef| {
            if !r.path().starts_with(prefix) {
                return false;
            }
            let (attach, boundary) = usage.get(&arn_of(r)).copied().unwrap_or_default();
            let in_use = match usage_filter {
                Some("PermissionsPolicy") => attach > 0,
                Some("PermissionsBoundary") => boundary > 0,
                _ => attach + boundary > 0,
            };
            !only_attached || in_use
        };
        // AWS managed policies (a static catalogue, in memory) come first,
        // then the account's own, paged over the store.
        let mut sources: Vec<Source<'_, Value>> = Vec::new();
        if scope != "Local" {
            sources.push((
                "a",
                Box::new(|req: &PageRequest| {
                    let mut aws: Vec<_> = catalogue::all()
                        .iter()
                        .filter(|p| wanted(&ManagedRef::Aws(p)))
                        .map(|p| (p.name.to_lowercase(), p))
                        .collect();
                    aws.sort_by(|x, y| x.0.cmp(&y.0));
                    let page = paginate(aws, req);
                    Ok(Page {
                        items: page
                            .items
                            .into_iter()
                            .map(|p| managed_value(acct, &ManagedRef::Aws(p), &usage, false))
                            .collect(),
                        next_token: page.next_token,
                    })
                }),
            ));
        }
        if scope != "AWS" {
            sources.push((
                "l",
                Box::new(|req: &PageRequest| {
                    scan_page(&self.policies, acct, req, |k, p| {
                        let r = ManagedRef::Customer(k.to_string(), Box::new(p));
                        wanted(&r).then(|| managed_value(acct, &r, &usage, false))
                    })
                }),
            ));
        }
        let page = chained_page(&page_request(&input)?, sources)?;
        Ok(list_output("Policies", page))
    }

    /// `CreatePolicyVersion` (at most 5 versions; `SetAsDefault` makes it
    /// the one that takes effect).
    pub(crate) fn create_policy_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let doc = required(&input, "PolicyDocument")?;
        let set_default = bool_member(&input, "SetAsDefault").unwrap_or(false);
        let (k, _) = self.customer_policy(ctx, "CreatePolicyVersion", arn)?;
        check_managed_document(doc)?;
        let now = ctx.clock.now_secs();
        let (version, default) = self.write(|txn| {
            let mut p = txn
                .get(&self.policies, &k)?
                .ok_or_else(|| IamError::NoSuchPolicy {
                    arn: arn.to_string(),
                })?;
            if p.versions.len() >= VERSIONS_PER_POLICY {
                return Err(IamError::TooManyPolicyVersions.into());
            }
            let v = PolicyVersion {
                version_id: format!("v{}", p.next_version),
                document: doc.to_string(),
                create_date: now,
            };
            p.next_version += 1;
            p.versions.push(v.clone());
            if set_default {
                p.default_version = v.version_id.clone();
            }
            p.update_date = now;
            txn.put(&self.policies, &k, &p)?;
            Ok((v, p.default_version))
        })?;
        let mut out = version_value(&version, &default, false);
        if let Some(o) = out.as_object_mut() {
            o.remove("Document");
        }
        Ok(json!({ "PolicyVersion": out }))
    }

    /// `GetPolicyVersion`.
    pub(crate) fn get_policy_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let vid = required(&input, "VersionId")?;
        let missing = || {
            IamError::NoSuchPolicyVersion {
                arn: arn.to_string(),
                version: vid.to_string(),
            }
            .into()
        };
        match self.find_policy(&ctx.account_id, arn)? {
            ManagedRef::Aws(p) => {
                if p.version != vid {
                    return Err(missing());
                }
                Ok(json!({ "PolicyVersion": {
                    "Document": encode_document(&p.document),
                    "VersionId": p.version,
                    "IsDefaultVersion": true,
                    "CreateDate": p.update_date,
                }}))
            }
            ManagedRef::Customer(_, p) => {
                let v = p
                    .versions
                    .iter()
                    .find(|v| v.version_id == vid)
                    .ok_or_else(missing)?;
                Ok(json!({ "PolicyVersion": version_value(v, &p.default_version, true) }))
            }
        }
    }

    /// `ListPolicyVersions`, newest first.
    pub(crate) fn list_policy_versions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let items: Vec<(String, Value)> = match self.find_policy(&ctx.account_id, arn)? {
            ManagedRef::Aws(p) => vec![(
                "0".into(),
                json!({"VersionId": p.version, "IsDefaultVersion": true, "CreateDate": p.update_date}),
            )],
            ManagedRef::Customer(_, p) => {
                let mut vs: Vec<&PolicyVersion> = p.versions.iter().collect();
                vs.sort_by_key(|v| std::cmp::Reverse(v.create_date));
                vs.into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        (
                            format!("{i:04}"),
                            version_value(v, &p.default_version, false),
                        )
                    })
                    .collect()
            }
        };
        let page = paginate(items, &page_request(&input)?);
        Ok(list_output("Versions", page))
    }

    /// `DeletePolicyVersion` (never the default version).
    pub(crate) fn delete_policy_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let vid = required(&input, "VersionId")?;
        let (k, _) = self.customer_policy(ctx, "DeletePolicyVersion", arn)?;
        self.write(|txn| {
            let mut p = txn
                .get(&self.policies, &k)?
                .ok_or_else(|| IamError::NoSuchPolicy {
                    arn: arn.to_string(),
                })?;
            if !p.versions.iter().any(|v| v.version_id == vid) {
                return Err(IamError::NoSuchPolicyVersion {
                    arn: arn.to_string(),
                    version: vid.to_string(),
                }
                .into());
            }
            if p.default_version == vid {
                return Err(IamError::DefaultPolicyVersion.into());
            }
            p.versions.retain(|v| v.version_id != vid);
            txn.put(&self.policies, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `SetDefaultPolicyVersion`.
    pub(crate) fn set_default_policy_version(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let arn = required(&input, "PolicyArn")?;
        let vid = required(&input, "VersionId")?;
        let (k, _) = self.customer_policy(ctx, "SetDefaultPolicyVersion", arn)?;
        let now = ctx.clock.now_secs();
        self.write(|txn| {
            let mut p = txn
                .get(&self.policies, &k)?
                .ok_or_else(|| IamError::NoSuchPolicy {
                    arn: arn.to_string(),
                })?;
            if !p.versions.iter().any(|v| v.version_id == vid) {
                return Err(IamError::NoSuchPolicyVersion {
                    arn: arn.to_string(),
                    version: vid.to_string(),
                }
                .into());
            }
            p.default_version = vid.to_string();
            p.update_date = now;
            txn.put(&self.policies, &k, &p)?;
            Ok(())
        })?;
        Ok(json!({}))
    }
}
