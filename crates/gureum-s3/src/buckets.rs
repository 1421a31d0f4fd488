//! The bucket control plane: `CreateBucket`, `HeadBucket`, `DeleteBucket`,
//! `GetBucketLocation`, `ListBuckets`, and the read side of versioning, ACL,
//! Object Ownership and default encryption.

use crate::S3Error;
use crate::{
    access_denied, canonical_user_id, no_such_bucket, str_member, BucketEntry, BucketSummary,
    S3Service,
};
use gureum_core::{region, AwsError, OpResult, Principal, RequestContext, Scope, Value};
use serde_json::json;

const US_EAST_1: &str = "us-east-1";
const OWNERSHIPS: [&str; 3] = [
    "BucketOwnerEnforced",
    "BucketOwnerPreferred",
    "ObjectWriter",
];
const CANNED_ACLS: [&str; 4] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
];
const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

fn invalid_bucket_name(name: &str) -> AwsError {
    S3Error::InvalidBucketName {
        bucket: name.into(),
    }
    .into()
}

/// Whether `name` is four dot-separated decimal numbers (`192.168.5.4`).
fn is_ip_address(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// AWS's general purpose bucket naming rules.
pub(crate) fn check_bucket_name(name: &str) -> Result<(), AwsError> {
    let bytes = name.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
        && !is_ip_address(name)
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| name.starts_with(p))
        && !["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|s| name.ends_with(s));
    if ok {
        Ok(())
    } else {
        Err(invalid_bucket_name(name))
    }
}

fn invalid_location_constraint() -> AwsError {
    S3Error::InvalidLocationConstraint.into()
}

fn illegal_location_constraint(what: &str) -> AwsError {
    S3Error::IllegalLocationConstraint { what: what.into() }.into()
}

/// The region a new bucket goes to, from the request's region and the
/// `LocationConstraint`: us-east-1 takes no constraint of its own (an
/// explicit `us-east-1` is invalid) but, as the global endpoint, accepts any
/// other region's; every other region requires its own name. `EU` is the
/// legacy alias of eu-west-1.
pub(crate) fn bucket_region(
    request_region: &str,
    constraint: Option<&str>,
) -> Result<String, AwsError> {
    let Some(c) = constraint.filter(|c| !c.is_empty()) else {
        if request_region == US_EAST_1 {
            return Ok(US_EAST_1.to_string());
        }
        return Err(illegal_location_constraint("unspecified"));
    };
    let target = if c == "EU" { "eu-west-1" } else { c };
    if target == US_EAST_1 || region::find(target).is_none() {
        return Err(invalid_location_constraint());
    }
    if request_region != US_EAST_1 && request_region != target {
        return Err(illegal_location_constraint(c));
    }
    Ok(target.to_string())
}

fn invalid_argument(message: String, name: &str, value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message,
        name: name.into(),
        value: value.into(),
    }
    .into()
}

pub(crate) fn grants(owner: &str, acl: &str, ownership: &str) -> Vec<Value> {
    let id = canonical_user_id(owner);
    let mut out = vec![json!({
        "Grantee": { "ID": id, "Type": "CanonicalUser" },
        "Permission": "FULL_CONTROL",
    })];
    if ownership == "BucketOwnerEnforced" {
        return out;
    }
    let group = |uri: &str, perm: &str| json!({ "Grantee": { "URI": uri, "Type": "Group" }, "Permission": perm });
    match acl {
        "public-read" => out.push(group(ALL_USERS, "READ")),
        "public-read-write" => {
            out.push(group(ALL_USERS, "READ"));
            out.push(group(ALL_USERS, "WRITE"));
        }
        "authenticated-read" => out.push(group(AUTHENTICATED_USERS, "READ")),
        _ => {}
    }
    out
}

impl S3Service {
    /// `CreateBucket`.
    pub(crate) fn create_bucket(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if ctx.principal == Principal::Anonymous {
            return Err(access_denied());
        }
        let name = str_member(&input, "Bucket").unwrap_or_default().to_string();
        check_bucket_name(&name)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let constraint = input
            .get("CreateBucketConfiguration")
            .and_then(|c| str_member(c, "LocationConstraint"));
        let region = bucket_region(&ctx.region, constraint)?;
        let ownership = str_member(&input, "ObjectOwnership").unwrap_or("BucketOwnerEnforced");
        if !OWNERSHIPS.contains(&ownership) {
            return Err(invalid_argument(
                format!("Invalid x-amz-object-ownership header: {ownership}"),
                "x-amz-object-ownership",
                ownership,
            ));
        }
        let acl = str_member(&input, "ACL").unwrap_or("private");
        if !CANNED_ACLS.contains(&acl) {
            return Err(invalid_argument(
                format!("Invalid canned ACL: {acl}"),
                "x-amz-acl",
                acl,
            ));
        }
        let grant_headers = [
            "GrantFullControl",
            "GrantRead",
            "GrantReadACP",
            "GrantWrite",
            "GrantWriteACP",
        ];
        if ownership == "BucketOwnerEnforced"
            && (acl != "private" || grant_headers.iter().any(|g| input.get(*g).is_some()))
        {
            return Err(S3Error::InvalidBucketAclWithObjectOwnership.into());
        }
        let object_lock = input
            .get("ObjectLockEnabledForBucket")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let entry = BucketEntry {
            account_id: ctx.account_id.clone(),
            region: region.clone(),
            created_ms: ctx.clock.now_millis(),
            location_constraint: constraint.filter(|c| !c.is_empty()).map(str::to_string),
            object_lock,
            ownership: ownership.to_string(),
            acl: acl.to_string(),
            acl_grants: None,
            // Object Lock turns versioning on, for good.
            versioning: object_lock.then(|| "Enabled".to_string()),
            tags: None,
            encryption: None,
            notification: None,
            policy: None,
            // On by default for new buckets, as AWS does since April 2023.
            public_access_block: Some(crate::public_access::PublicAccessBlock::ALL),
            cors: None,
            website: None,
            lifecycle: None,
            transition_min_size: None,
            lock_config: None,
        };
        let index_key = Scope::global(ctx).key(&name);
        // Check and write in one transaction: two creates cannot both win.
        self.store.write(|txn| -> Result<_, AwsError> {
            match txn.get(&self.buckets, &name)? {
                Some(existing) if existing.account_id != ctx.account_id => {
                    return Err(S3Error::BucketAlreadyExists {
                        bucket: name.clone(),
                    }
                    .into());
                }
                // us-east-1's legacy answer: re-creating your own us-east-1
                // bucket there succeeds and resets its ACL.
                Some(mut existing)
                    if existing.region == US_EAST_1
                        && ctx.region == US_EAST_1
                        && region == US_EAST_1 =>
                {
                    existing.acl = entry.acl.clone();
                    txn.put(&self.buckets, &name, &existing)?;
                    return Ok(());
                }
                Some(_) => {
                    return Err(S3Error::BucketAlreadyOwnedByYou {
                        bucket: name.clone(),
                    }
                    .into());
                }
                None => {}
            }
            txn.put(&self.buckets, &name, &entry)?;
            txn.put(
                &self.account_buckets,
                &index_key,
                &BucketSummary {
                    region: entry.region.clone(),
                    created_ms: entry.created_ms,
                },
            )?;
            Ok(())
        })?;
        let location = if region == US_EAST_1 {
            format!("/{name}")
        } else {
            format!("http://{name}.s3.amazonaws.com/")
        };
        Ok(json!({ "Location": location }))
    }

    /// `HeadBucket`: 200 with the region, 404/403 without a body.
    pub(crate) fn head_bucket(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, b) = self
            .own_bucket(ctx, "HeadBucket", &input)
            .map_err(|e| match e.status {
                404 => S3Error::NotFound.into(),
                403 => S3Error::Forbidden.into(),
                _ => e,
            })?;
        Ok(json!({ "BucketRegion": b.region, "AccessPointAlias": false }))
    }

    /// `DeleteBucket`: only an empty bucket.
    pub(crate) fn delete_bucket(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, _) = self.own_bucket(ctx, "DeleteBucket", &input)?;
        let prefix = format!("{name}/");
        let not_empty = || {
            AwsError::from(S3Error::BucketNotEmpty {
                bucket: name.clone(),
            })
        };
        // A cheap look first (one entry); the transaction looks again so
        // that an object written meanwhile still blocks the delete.
        let has_versions = |t: &crate::object::VersionTable| {
            t.scan_prefix_after(&prefix, None, 1).map(|v| !v.is_empty())
        };
        if has_versions(&self.objects.current)?
            || has_versions(&self.objects.noncurrent)?
            || self.has_uploads(&name)?
        {
            return Err(not_empty());
        }
        self.store.write(|txn| {
            let Some(b) = txn.get(&self.buckets, &name)? else {
                return Err(no_such_bucket(&name));
            };
            if b.account_id != ctx.account_id {
                return Err(access_denied());
            }
            if !txn.scan_prefix(&self.objects.current, &prefix)?.is_empty()
                || !txn
                    .scan_prefix(&self.objects.noncurrent, &prefix)?
                    .is_empty()
                || !txn.scan_prefix(&self.uploads_table(), &prefix)?.is_empty()
            {
                return Err(not_empty());
            }
            txn.delete(&self.buckets, &name)?;
            let owner = Scope::Account {
                account: &b.account_id,
            };
            txn.delete(&self.account_buckets, &owner.key(&name))?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketLocation`: the region's constraint, empty for us-east-1
    /// (the serializer writes it as the root element's text, as S3 does).
    pub(crate) fn get_bucket_location(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, b) = self.own_bucket(ctx, "GetBucketLocation", &input)?;
        Ok(match b.location_constraint {
            Some(c) if b.region != US_EAST_1 => json!({ "LocationConstraint": c }),
            _ if b.region != US_EAST_1 => json!({ "LocationConstraint": b.region }),
            _ => json!({}),
        })
    }

    /// `ListBuckets`: the caller's buckets by name, `Prefix`, `BucketRegion`,
    /// `MaxBuckets` (1–10000) with `ContinuationToken` (the last name, given
    /// only when more buckets follow).
    pub(crate) fn list_buckets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if ctx.principal == Principal::Anonymous {
            return Err(access_denied());
        }
        let prefix = str_member(&input, "Prefix").unwrap_or("");
        let region = str_member(&input, "BucketRegion");
        let max = input
            .get("MaxBuckets")
            .and_then(Value::as_u64)
            .map_or(10_000, |n| n as usize);
        // `s3.account_buckets` is keyed by the owner's scope (S3 is global).
        let base = Scope::global(ctx).prefix();
        let scan_prefix = format!("{base}{prefix}");
        let after = str_member(&input, "ContinuationToken").map(|t| format!("{base}{t}"));
        let mut buckets = Vec::new();
        let mut token = None;
        let mut cursor = after;
        'pages: loop {
            let page =
                self.account_buckets
                    .scan_prefix_after(&scan_prefix, cursor.as_deref(), 1000)?;
            let Some((last, _)) = page.last() else {
                break;
            };
            cursor = Some(last.clone());
            let full = page.len() == 1000;
            for (key, b) in page {
                if region.is_some_and(|r| r != b.region) {
                    continue;
                }
                let name = &key[base.len()..];
                if buckets.len() == max {
                    token = buckets
                        .last()
                        .and_then(|v: &Value| v["Name"].as_str().map(str::to_string));
                    break 'pages;
                }
                buckets.push(json!({
                    "Name": name,
                    "CreationDate": b.created_ms as f64 / 1000.0,
                    "BucketRegion": b.region,
                }));
            }
            if !full {
                break;
            }
        }
        let mut out = json!({
            "Buckets": buckets,
            "Owner": { "ID": canonical_user_id(&ctx.account_id) },
        });
        if !prefix.is_empty() {
            out["Prefix"] = json!(prefix);
        }
        if let Some(t) = token {
            out["ContinuationToken"] = json!(t);
        }
        Ok(out)
    }

    /// `GetBucketVersioning`: empty for a never-versioned bucket.
    pub(crate) fn get_bucket_versioning(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, b) = self.own_bucket(ctx, "GetBucketVersioning", &input)?;
        Ok(match b.versioning {
            Some(s) => json!({ "Status": s }),
            None => json!({}),
        })
    }

    /// `GetBucketAcl`: the owner's FULL_CONTROL, plus the canned ACL's group
    /// grants when ACLs are in force.
    pub(crate) fn get_bucket_acl(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, b) = self.own_bucket(ctx, "GetBucketAcl", &input)?;
        Ok(json!({
            "Owner": { "ID": canonical_user_id(&b.account_id) },
            "Grants": crate::acl::bucket_grants(&b),
        }))
    }

    /// `GetBucketOwnershipControls`.
    pub(crate) fn get_bucket_ownership_controls(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketOwnershipControls", &input)?;
        if b.ownership == crate::acl::NO_OWNERSHIP_CONTROLS {
            return Err(S3Error::OwnershipControlsNotFound { bucket: name }.into());
        }
        Ok(json!({
            "OwnershipControls": { "Rules": [{ "ObjectOwnership": b.ownership }] }
        }))
    }

    /// `GetBucketEncryption`: the rule put, or SSE-S3, every bucket's
    /// default.
    pub(crate) fn get_bucket_encryption(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, b) = self.own_bucket(ctx, "GetBucketEncryption", &input)?;
        let rule = b.encryption.unwrap_or_else(|| {
            json!({
                "ApplyServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
                "BucketKeyEnabled": false,
            })
        });
        Ok(json!({ "ServerSideEncryptionConfiguration": { "Rules": [rule] } }))
    }

    /// `PutBucketEncryption`: the default encryption of new objects that
    /// do not ask for one (SSE-S3, or SSE-KMS under a key; see `sse.rs`).
    pub(crate) fn put_bucket_encryption(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let rule = crate::sse::default_rule(&input)?;
        self.update_bucket(ctx, "PutBucketEncryption", &input, |b| {
            b.encryption = rule;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteBucketEncryption`: back to SSE-S3.
    pub(crate) fn delete_bucket_encryption(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketEncryption", &input, |b| {
            b.encryption = None;
            Ok(())
        })?;
        Ok(json!({}))
    }
}
