//! ACLs and Object Ownership: `GetObjectAcl`, `PutObjectAcl`,
//! `PutBucketAcl`, `PutBucketOwnershipControls`,
//! `DeleteBucketOwnershipControls`, and the ACL rules of writes.
//!
//! With Object Ownership `BucketOwnerEnforced` (every new bucket's default)
//! ACLs are disabled: reads answer the owner's `FULL_CONTROL`, and a write
//! that would grant anything else is refused with
//! `AccessControlListNotSupported`; an ACL that only gives the bucket owner
//! full control (`private`, `bucket-owner-full-control`, or the same as
//! explicit grants) is accepted, as AWS does. `ObjectWriter` and
//! `BucketOwnerPreferred` enable ACLs: canned ACLs and explicit grants are
//! stored and reported as grants. `DeleteBucketOwnershipControls` leaves the
//! bucket without a setting, which behaves as `ObjectWriter`.

use crate::buckets::grants;
use crate::object::{object_key, version_row, Acl, ObjectVersion};
use crate::objects::{no_such_key, no_such_version};
use crate::{canonical_user_id, str_member, BucketEntry, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Canned ACLs an object may take.
pub(crate) const OBJECT_CANNED_ACLS: [&str; 7] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

/// Canned ACLs a bucket may take.
pub(crate) const BUCKET_CANNED_ACLS: [&str; 4] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
];

/// The ownership of a bucket whose controls were deleted (ACLs enabled,
/// the writer owns its objects).
pub(crate) const NO_OWNERSHIP_CONTROLS: &str = "";

const OWNERSHIPS: [&str; 3] = [
    "BucketOwnerEnforced",
    "BucketOwnerPreferred",
    "ObjectWriter",
];

const GROUPS: [&str; 3] = [
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "http://acs.amazonaws.com/groups/s3/LogDelivery",
];

const PERMISSIONS: [&str; 5] = ["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"];

/// The grant headers and the permission each gives.
const GRANT_HEADERS: [(&str, &str, &str); 5] = [
    (
        "GrantFullControl",
        "x-amz-grant-full-control",
        "FULL_CONTROL",
    ),
    ("GrantRead", "x-amz-grant-read", "READ"),
    ("GrantReadACP", "x-amz-grant-read-acp", "READ_ACP"),
    ("GrantWrite", "x-amz-grant-write", "WRITE"),
    ("GrantWriteACP", "x-amz-grant-write-acp", "WRITE_ACP"),
];

/// Whether the bucket has ACLs disabled.
pub(crate) fn acls_disabled(entry: &BucketEntry) -> bool {
    entry.ownership == "BucketOwnerEnforced"
}

/// `AccessControlListNotSupported`: a write that sets an ACL on a bucket
/// with ACLs disabled.
pub(crate) fn acl_not_supported() -> AwsError {
    S3Error::AccessControlListNotSupported.into()
}

fn invalid_argument(message: &str, name: &str, value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: message.into(),
        name: name.into(),
        value: value.into(),
    }
    .into()
}

fn malformed_acl() -> AwsError {
    S3Error::MalformedAcl.into()
}

/// The ACL a request asks for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Requested {
    /// None at all.
    Nothing,
    /// A canned ACL.
    Canned(String),
    /// Explicit grants (headers or an `AccessControlPolicy`).
    Grants(Vec<Value>),
}

/// Parses one grant header (`id="…", uri="…", emailAddress="…"`).
fn header_grants(header: &str, value: &str, permission: &str) -> Result<Vec<Value>, AwsError> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((kind, v)) = item.split_once('=') else {
            return Err(invalid_argument("Invalid grant header", header, value));
        };
        let v = v.trim().trim_matches('"');
        let grantee = match kind.trim().to_ascii_lowercase().as_str() {
            "id" => json!({ "Type": "CanonicalUser", "ID": v }),
            "uri" => json!({ "Type": "Group", "URI": v }),
            "emailaddress" => json!({ "Type": "AmazonCustomerByEmail", "EmailAddress": v }),
            _ => return Err(invalid_argument("Invalid grant header", header, value)),
        };
        out.push(json!({ "Grantee": grantee, "Permission": permission }));
    }
    Ok(out)
}

/// Checks explicit grants: known permissions, canonical ids of 64 hex
/// digits, S3's predefined groups; e-mail grantees match no account here.
fn check_grants(grants: &[Value]) -> Result<(), AwsError> {
    for g in grants {
        let permission = str_member(g, "Permission").unwrap_or_default();
        if !PERMISSIONS.contains(&permission) {
            return Err(malformed_acl());
        }
        let grantee = g.get("Grantee").cloned().unwrap_or_default();
        match str_member(&grantee, "Type") {
            Some("CanonicalUser") => {
                let id = str_member(&grantee, "ID").unwrap_or_default();
                if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(invalid_argument("Invalid id", "CanonicalUser/ID", id));
                }
            }
            Some("Group") => {
                let uri = str_member(&grantee, "URI").unwrap_or_default();
                if !GROUPS.contains(&uri) {
                    return Err(invalid_argument("Invalid group uri", "Group/URI", uri));
                }
            }
            Some("AmazonCustomerByEmail") => {
                return Err(S3Error::UnresolvableGrantByEmailAddress {
                    email: str_member(&grantee, "EmailAddress")
                        .unwrap_or_default()
                        .into(),
                }
                .into());
            }
            _ => return Err(malformed_acl()),
        }
    }
    Ok(())
}

/// The ACL `input` asks for: the `x-amz-acl` header (one of `canned`), the
/// grant headers, or (when `with_policy`) an `AccessControlPolicy` body.
pub(crate) fn requested(
    input: &Value,
    canned: &[&str],
    with_policy: bool,
) -> Result<Requested, AwsError> {
    let acl = str_member(input, "ACL");
    let mut header_grant_list = Vec::new();
    let mut any_header = false;
    for (member, header, permission) in GRANT_HEADERS {
        if let Some(v) = str_member(input, member) {
            any_header = true;
            header_grant_list.extend(header_grants(header, v, permission)?);
        }
    }
    let policy = crate::member(input, "AccessControlPolicy")
        .filter(|_| with_policy)
        .filter(|p| p.as_object().is_some_and(|o| !o.is_empty()));
    if acl.is_some() && any_header {
        return Err(S3Error::InvalidRequest {
            message: "Specifying both Canned ACLs and Header Grants is not allowed".into(),
        }
        .into());
    }
    if (acl.is_some() || any_header) && policy.is_some() {
        return Err(S3Error::UnexpectedContent.into());
    }
    if let Some(name) = acl {
        if !canned.contains(&name) {
            return Err(invalid_argument("", "x-amz-acl", name));
        }
        return Ok(Requested::Canned(name.to_string()));
    }
    if any_header {
        check_grants(&header_grant_list)?;
        return Ok(Requested::Grants(header_grant_list));
    }
    if let Some(p) = policy {
        if p.get("Owner").and_then(|o| str_member(o, "ID")).is_none() {
            return Err(malformed_acl());
        }
        let list = p
            .get("Grants")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        check_grants(&list)?;
        return Ok(Requested::Grants(list));
    }
    Ok(Requested::Nothing)
}

/// Whether `req` gives nothing beyond the bucket owner's full control: all
/// that a bucket with ACLs disabled accepts.
pub(crate) fn owner_full_control_only(req: &Requested, bucket_owner: &str) -> bool {
    match req {
        Requested::Nothing => true,
        Requested::Canned(n) => n == "private" || n == "bucket-owner-full-control",
        Requested::Grants(list) => {
            let id = canonical_user_id(bucket_owner);
            list.iter().all(|g| {
                str_member(g, "Permission") == Some("FULL_CONTROL")
                    && g.get("Grantee").and_then(|e| str_member(e, "ID")) == Some(id.as_str())
            })
        }
    }
}

/// Whether `req` grants to everyone or to every AWS user (AWS's public
/// ACLs).
fn is_public(req: &Requested) -> bool {
    match req {
        Requested::Nothing => false,
        Requested::Canned(n) => matches!(
            n.as_str(),
            "public-read" | "public-read-write" | "authenticated-read"
        ),
        Requested::Grants(list) => list.iter().any(|g| {
            g.get("Grantee")
                .and_then(|e| str_member(e, "URI"))
                .is_some_and(|u| u.ends_with("/AllUsers") || u.ends_with("/AuthenticatedUsers"))
        }),
    }
}

/// `AccessDenied` for a public ACL while the bucket's `BlockPublicAcls`
/// is on.
fn check_public_acl(req: &Requested, entry: &BucketEntry) -> Result<(), AwsError> {
    if entry
        .public_access_block
        .is_some_and(|b| b.block_public_acls)
        && is_public(req)
    {
        return Err(crate::access_denied());
    }
    Ok(())
}

/// What a request's ACL becomes on an object (`None`: private).
fn stored(req: Requested) -> Option<Acl> {
    match req {
        Requested::Nothing => None,
        Requested::Canned(n) if n == "private" => None,
        Requested::Canned(name) => Some(Acl::Canned { name }),
        Requested::Grants(grants) => Some(Acl::Grants { grants }),
    }
}

/// The ACL of a new object (`PutObject`, `CopyObject`): refused with
/// `AccessControlListNotSupported` when the bucket has ACLs disabled and it
/// grants more than the bucket owner's full control (disabled ACLs are
/// never stored).
pub(crate) fn acl_for_new_object(
    input: &Value,
    entry: &BucketEntry,
) -> Result<Option<Acl>, AwsError> {
    let req = requested(input, &OBJECT_CANNED_ACLS, false)?;
    if acls_disabled(entry) {
        if owner_full_control_only(&req, &entry.account_id) {
            return Ok(None);
        }
        return Err(acl_not_supported());
    }
    check_public_acl(&req, entry)?;
    Ok(stored(req))
}

/// An object's grants as `GetObjectAcl` reports them.
pub(crate) fn object_grants(v: &ObjectVersion, entry: &BucketEntry) -> Vec<Value> {
    let disabled = acls_disabled(entry);
    match v.acl.as_ref().filter(|_| !disabled) {
        None => grants(&v.owner, "private", &entry.ownership),
        Some(Acl::Grants { grants }) => grants.clone(),
        Some(Acl::Canned { name }) => {
            let mut out = grants(&v.owner, name, &entry.ownership);
            let bucket_owner = canonical_user_id(&entry.account_id);
            let permission = match name.as_str() {
                "bucket-owner-read" => Some("READ"),
                "bucket-owner-full-control" => Some("FULL_CONTROL"),
                _ => None,
            };
            if let Some(p) = permission.filter(|_| entry.account_id != v.owner) {
                out.push(json!({
                    "Grantee": { "ID": bucket_owner, "Type": "CanonicalUser" },
                    "Permission": p,
                }));
            }
            out
        }
    }
}

/// A bucket's grants as `GetBucketAcl` reports them.
pub(crate) fn bucket_grants(entry: &BucketEntry) -> Vec<Value> {
    match entry.acl_grants.as_ref().filter(|_| !acls_disabled(entry)) {
        Some(g) => g.clone(),
        None => grants(&entry.account_id, &entry.acl, &entry.ownership),
    }
}

impl S3Service {
    /// The version a request names (`VersionId` or the current one), with
    /// the table row it lives in.
    pub(crate) fn version_target(
        &self,
        txn: Option<&gureum_store::WriteTxn>,
        bucket: &str,
        key: &str,
        input: &Value,
    ) -> Result<(String, ObjectVersion), AwsError> {
        match str_member(input, "VersionId") {
            Some(vid) => {
                let Some((is_current, v)) = self.objects.find_version(txn, bucket, key, vid)?
                else {
                    return Err(no_such_version(key, vid));
                };
                if v.delete_marker {
                    return Err(crate::objects::delete_marker_by_version(&v, "GET"));
                }
                let row = if is_current {
                    object_key(bucket, key)
                } else {
                    version_row(bucket, key, v.seq)
                };
                Ok((row, v))
            }
            None => {
                let row = object_key(bucket, key);
                let current = match txn {
                    Some(t) => t.get(&self.objects.current, &row)?,
                    None => self.objects.current.get(&row)?,
                };
                match current {
                    Some(v) if !v.delete_marker => Ok((row, v)),
                    _ => Err(no_such_key(key)),
                }
            }
        }
    }

    /// `GetObjectAcl`.
    pub(crate) fn get_object_acl(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "GetObjectAcl", &input)?;
        let key = str_member(&input, "Key").unwrap_or_default();
        let (_, v) = self.version_target(None, &bucket, key, &input)?;
        Ok(json!({
            "Owner": { "ID": canonical_user_id(&v.owner) },
            "Grants": object_grants(&v, &entry),
        }))
    }

    /// `PutObjectAcl`.
    pub(crate) fn put_object_acl(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "PutObjectAcl", &input)?;
        let key = str_member(&input, "Key").unwrap_or_default();
        let req = requested(&input, &OBJECT_CANNED_ACLS, true)?;
        if req == Requested::Nothing {
            return Err(missing_security_header());
        }
        let changed = self.store.write(|txn| {
            let (row, mut v) = self.version_target(Some(txn), &bucket, key, &input)?;
            if acls_disabled(&entry) {
                if !owner_full_control_only(&req, &entry.account_id) {
                    return Err(acl_not_supported());
                }
                return Ok(None);
            }
            check_public_acl(&req, &entry)?;
            v.acl = stored(req.clone());
            let table = if row == object_key(&bucket, key) {
                &self.objects.current
            } else {
                &self.objects.noncurrent
            };
            txn.put(table, &row, &v)?;
            Ok(Some(v))
        })?;
        if let Some(v) = changed {
            self.notify(
                ctx,
                &bucket,
                &entry,
                &crate::notifications::ObjectEvent {
                    name: "ObjectAcl:Put",
                    reason: "PutObjectAcl",
                    key,
                    size: None,
                    etag: Some(v.etag.trim_matches('"')),
                    version_id: entry.versioning.is_some().then(|| v.version_id_str()),
                    sequencer: v.seq,
                },
            );
        }
        Ok(json!({}))
    }

    /// `PutBucketAcl`.
    pub(crate) fn put_bucket_acl(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let req = requested(&input, &BUCKET_CANNED_ACLS, true)?;
        if req == Requested::Nothing {
            return Err(missing_security_header());
        }
        self.update_bucket(ctx, "PutBucketAcl", &input, |b| {
            if acls_disabled(b) {
                if !owner_full_control_only(&req, &b.account_id) {
                    return Err(acl_not_supported());
                }
                return Ok(());
            }
            check_public_acl(&req, b)?;
            match &req {
                Requested::Canned(name) => {
                    b.acl = name.clone();
                    b.acl_grants = None;
                }
                Requested::Grants(list) => {
                    b.acl = "private".into();
                    b.acl_grants = Some(list.clone());
                }
                Requested::Nothing => {}
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `PutBucketOwnershipControls`: one rule; `BucketOwnerEnforced` only
    /// over a bucket ACL that grants nothing beyond the owner.
    pub(crate) fn put_bucket_ownership_controls(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let malformed = || AwsError::from(S3Error::MalformedXml);
        let rules = input
            .get("OwnershipControls")
            .and_then(|c| c.get("Rules"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let [rule] = rules.as_slice() else {
            return Err(malformed());
        };
        let ownership = str_member(rule, "ObjectOwnership").unwrap_or_default();
        if !OWNERSHIPS.contains(&ownership) {
            return Err(malformed());
        }
        self.update_bucket(ctx, "PutBucketOwnershipControls", &input, |b| {
            if ownership == "BucketOwnerEnforced" {
                let current = match &b.acl_grants {
                    Some(g) => Requested::Grants(g.clone()),
                    None => Requested::Canned(b.acl.clone()),
                };
                if !acls_disabled(b) && !owner_full_control_only(&current, &b.account_id) {
                    return Err(S3Error::InvalidBucketAclWithObjectOwnership.into());
                }
            }
            b.ownership = ownership.to_string();
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteBucketOwnershipControls`: the bucket is left without a
    /// setting (ACLs enabled, as `ObjectWriter`).
    pub(crate) fn delete_bucket_ownership_controls(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketOwnershipControls", &input, |b| {
            b.ownership = NO_OWNERSHIP_CONTROLS.to_string();
            Ok(())
        })?;
        Ok(json!({}))
    }
}

fn missing_security_header() -> AwsError {
    S3Error::MissingSecurityHeader {
        header: "x-amz-acl".into(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(ownership: &str) -> BucketEntry {
        BucketEntry {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            created_ms: 0,
            location_constraint: None,
            object_lock: false,
            ownership: ownership.into(),
            acl: "private".into(),
            acl_grants: None,
            versioning: None,
            tags: None,
            encryption: None,
            notification: None,
            policy: None,
            public_access_block: None,
            cors: None,
            website: None,
            lifecycle: None,
            transition_min_size: None,
            lock_config: None,
        }
    }

    #[test]
    fn enforced_buckets_refuse_public_canned_acls_on_new_objects() {
        let e = acl_for_new_object(
            &json!({"ACL": "public-read"}),
            &bucket("BucketOwnerEnforced"),
        )
        .expect_err("refused");
        assert_eq!(
            (e.code.as_str(), e.status),
            ("AccessControlListNotSupported", 400)
        );
        assert_eq!(e.message, "The bucket does not allow ACLs");
    }

    #[test]
    fn enforced_buckets_accept_owner_full_control_acls() {
        let b = bucket("BucketOwnerEnforced");
        for acl in ["private", "bucket-owner-full-control"] {
            assert_eq!(
                acl_for_new_object(&json!({"ACL": acl}), &b).expect("accepted"),
                None
            );
        }
        let own = format!("id=\"{}\"", canonical_user_id("000000000000"));
        assert_eq!(
            acl_for_new_object(&json!({"GrantFullControl": own}), &b).expect("accepted"),
            None
        );
        let other = format!("id=\"{}\"", canonical_user_id("111122223333"));
        assert_eq!(
            acl_for_new_object(&json!({"GrantRead": other}), &b)
                .expect_err("refused")
                .code,
            "AccessControlListNotSupported"
        );
    }

    #[test]
    fn block_public_acls_refuses_public_acls() {
        let mut b = bucket("ObjectWriter");
        b.public_access_block = Some(crate::public_access::PublicAccessBlock::ALL);
        let e = acl_for_new_object(&json!({"ACL": "public-read"}), &b).expect_err("blocked");
        assert_eq!((e.code.as_str(), e.status), ("AccessDenied", 403));
        assert!(acl_for_new_object(&json!({"ACL": "private"}), &b).is_ok());
    }

    #[test]
    fn object_writer_buckets_store_canned_acls_as_grants() {
        let b = bucket("ObjectWriter");
        let acl = acl_for_new_object(&json!({"ACL": "public-read"}), &b).expect("stored");
        let v = ObjectVersion {
            owner: "000000000000".into(),
            acl,
            ..ObjectVersion::default()
        };
        let g = object_grants(&v, &b);
        assert_eq!(g.len(), 2);
        assert_eq!(g[1]["Grantee"]["URI"], GROUPS[0]);
        assert_eq!(g[1]["Permission"], "READ");
    }

    #[test]
    fn disabled_acls_report_only_the_owner_even_when_one_was_stored() {
        let v = ObjectVersion {
            owner: "000000000000".into(),
            acl: Some(Acl::Canned {
                name: "public-read-write".into(),
            }),
            ..ObjectVersion::default()
        };
        let g = object_grants(&v, &bucket("BucketOwnerEnforced"));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0]["Permission"], "FULL_CONTROL");
    }

    #[test]
    fn canned_acl_and_grant_headers_together_are_invalid() {
        let e = requested(
            &json!({"ACL": "private", "GrantRead": "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""}),
            &OBJECT_CANNED_ACLS,
            false,
        )
        .expect_err("invalid");
        assert_eq!(e.code, "InvalidRequest");
    }

    #[test]
    fn unknown_canned_acls_and_groups_are_invalid_arguments() {
        let e =
            requested(&json!({"ACL": "everyone"}), &OBJECT_CANNED_ACLS, false).expect_err("bad");
        assert_eq!(e.code, "InvalidArgument");
        let e = requested(
            &json!({"GrantRead": "uri=\"http://example.com/x\""}),
            &OBJECT_CANNED_ACLS,
            false,
        )
        .expect_err("bad");
        assert_eq!(e.code, "InvalidArgument");
        // A bucket takes no object-only canned ACL.
        let e = requested(
            &json!({"ACL": "bucket-owner-read"}),
            &BUCKET_CANNED_ACLS,
            false,
        )
        .expect_err("bad");
        assert_eq!(e.code, "InvalidArgument");
    }

    #[test]
    fn grant_headers_parse_ids_uris_and_emails() {
        let id = canonical_user_id("1");
        let r = requested(
            &json!({"GrantRead": format!("id=\"{id}\", uri=\"{}\"", GROUPS[1])}),
            &OBJECT_CANNED_ACLS,
            false,
        )
        .expect("parsed");
        let Requested::Grants(g) = r else {
            panic!("grants expected")
        };
        assert_eq!(g.len(), 2);
        assert_eq!(g[0]["Grantee"]["ID"], id);
        assert_eq!(g[1]["Grantee"]["Type"], "Group");
        let e = requested(
            &json!({"GrantRead": "emailAddress=\"a@b.c\""}),
            &OBJECT_CANNED_ACLS,
            false,
        )
        .expect_err("no such account");
        assert_eq!(e.code, "UnresolvableGrantByEmailAddress");
        let e = requested(
            &json!({"GrantRead": "nonsense"}),
            &OBJECT_CANNED_ACLS,
            false,
        )
        .expect_err("malformed");
        assert_eq!(e.code, "InvalidArgument");
    }

    #[test]
    fn an_access_control_policy_needs_its_owner() {
        let e = requested(
            &json!({"AccessControlPolicy": {"Grants": []}}),
            &OBJECT_CANNED_ACLS,
            true,
        )
        .expect_err("malformed");
        assert_eq!(e.code, "MalformedACLError");
    }
}
