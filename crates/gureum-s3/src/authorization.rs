//! The IAM permission each S3 operation needs.
//!
//! S3's actions are not its operation names (`ListBuckets` needs
//! `s3:ListAllMyBuckets`, `ListObjectsV2` needs `s3:ListBucket`, `HeadObject`
//! needs `s3:GetObject`), and its resources are bucket ARNs
//! (`arn:aws:s3:::bucket`) or object ARNs (`arn:aws:s3:::bucket/key`), as
//! AWS's service authorization reference lists them.

use crate::S3Service;
use gureum_core::{Authorization, AuthzTarget, RequestContext, Value};

/// Operations on a bucket, with their action when it differs from the name.
const BUCKET_ACTIONS: &[(&str, &str)] = &[
    ("CreateBucket", "s3:CreateBucket"),
    ("DeleteBucket", "s3:DeleteBucket"),
    ("HeadBucket", "s3:ListBucket"),
    ("ListObjects", "s3:ListBucket"),
    ("ListObjectsV2", "s3:ListBucket"),
    ("ListObjectVersions", "s3:ListBucketVersions"),
    ("ListMultipartUploads", "s3:ListBucketMultipartUploads"),
    ("GetBucketLocation", "s3:GetBucketLocation"),
    ("GetBucketVersioning", "s3:GetBucketVersioning"),
    ("PutBucketVersioning", "s3:PutBucketVersioning"),
    ("GetBucketTagging", "s3:GetBucketTagging"),
    ("PutBucketTagging", "s3:PutBucketTagging"),
    ("DeleteBucketTagging", "s3:PutBucketTagging"),
    ("GetBucketPolicy", "s3:GetBucketPolicy"),
    ("PutBucketPolicy", "s3:PutBucketPolicy"),
    ("DeleteBucketPolicy", "s3:DeleteBucketPolicy"),
    ("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus"),
    ("GetBucketCors", "s3:GetBucketCORS"),
    (
        "PutObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
    ),
    (
        "GetObjectLockConfiguration",
        "s3:GetBucketObjectLockConfiguration",
    ),
    (
        "PutBucketLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ),
    (
        "GetBucketLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    // AWS's reference: deleting the rules is putting them.
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
    ("GetBucketWebsite", "s3:GetBucketWebsite"),
    ("PutBucketWebsite", "s3:PutBucketWebsite"),
    ("DeleteBucketWebsite", "s3:DeleteBucketWebsite"),
    ("PutBucketCors", "s3:PutBucketCORS"),
    // AWS's reference: deleting the rules is putting them.
    ("DeleteBucketCors", "s3:PutBucketCORS"),
    ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    // AWS's reference: deleting the settings is putting them.
    ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("GetBucketAcl", "s3:GetBucketAcl"),
    ("PutBucketAcl", "s3:PutBucketAcl"),
    (
        "GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    (
        "PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    (
        "DeleteBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    // AWS's reference: deleting the configuration is putting one.
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    (
        "PutBucketNotificationConfiguration",
        "s3:PutBucketNotification",
    ),
    (
        "GetBucketNotificationConfiguration",
        "s3:GetBucketNotification",
    ),
];

/// Operations on an object, with their action.
const OBJECT_ACTIONS: &[(&str, &str)] = &[
    ("GetObject", "s3:GetObject"),
    ("HeadObject", "s3:GetObject"),
    ("PutObject", "s3:PutObject"),
    ("CopyObject", "s3:PutObject"),
    ("DeleteObject", "s3:DeleteObject"),
    ("GetObjectTagging", "s3:GetObjectTagging"),
    ("PutObjectTagging", "s3:PutObjectTagging"),
    ("DeleteObjectTagging", "s3:DeleteObjectTagging"),
    ("GetObjectAcl", "s3:GetObjectAcl"),
    ("PutObjectAcl", "s3:PutObjectAcl"),
    ("CreateMultipartUpload", "s3:PutObject"),
    ("UploadPart", "s3:PutObject"),
    ("UploadPartCopy", "s3:PutObject"),
    ("CompleteMultipartUpload", "s3:PutObject"),
    ("AbortMultipartUpload", "s3:AbortMultipartUpload"),
    ("ListParts", "s3:ListMultipartUploadParts"),
    ("RestoreObject", "s3:RestoreObject"),
    ("PutObjectRetention", "s3:PutObjectRetention"),
    ("GetObjectRetention", "s3:GetObjectRetention"),
    ("PutObjectLegalHold", "s3:PutObjectLegalHold"),
    ("GetObjectLegalHold", "s3:GetObjectLegalHold"),
    ("GetObjectAttributes", "s3:GetObjectAttributes"),
];

/// Whether the caller is an IAM user or role session (whose own policies
/// count), rather than the root user or an anonymous caller.
pub(crate) fn iam_caller(ctx: &RequestContext) -> bool {
    gureum_authz::Authorizer::applies_to(ctx)
}

/// The permissions `operation` needs on its bucket and objects (a copy
/// also reads its source); empty for operations S3 does not scope.
pub(crate) fn targets(operation: &str, input: &Value) -> Vec<AuthzTarget> {
    let bucket = crate::str_member(input, "Bucket").unwrap_or_default();
    let key = crate::str_member(input, "Key").unwrap_or_default();
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(op, _)| *op == operation)
            .map(|(_, a)| *a)
    };
    if let Some(action) = find(OBJECT_ACTIONS) {
        let mut targets = vec![AuthzTarget::new(
            action,
            format!("arn:aws:s3:::{bucket}/{key}"),
        )];
        // A copy also reads its source (a version of it, when named).
        if matches!(operation, "CopyObject" | "UploadPartCopy") {
            let raw = input
                .get("CopySource")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if let Ok(src) = crate::copy::parse_copy_source(raw) {
                let read = if src.version_id.is_some() {
                    "s3:GetObjectVersion"
                } else {
                    "s3:GetObject"
                };
                targets.push(AuthzTarget::new(
                    read,
                    format!("arn:aws:s3:::{}/{}", src.bucket, src.key),
                ));
            }
        }
        return targets;
    }
    if let Some(action) = find(BUCKET_ACTIONS) {
        return vec![AuthzTarget::new(action, format!("arn:aws:s3:::{bucket}"))];
    }
    Vec::new()
}

impl S3Service {
    /// What the pipeline checks before the handler: the operation's
    /// permissions against an IAM caller's policies, unless the bucket has
    /// a policy: then the handler decides with both ([`crate::policy`]).
    pub(crate) fn authorization(
        &self,
        _ctx: &RequestContext,
        operation: &str,
        input: &Value,
    ) -> Authorization {
        if operation == "ListBuckets" {
            return Authorization::Targets(vec![AuthzTarget::new("s3:ListAllMyBuckets", "*")]);
        }
        let targets = targets(operation, input);
        if targets.is_empty() {
            return Authorization::Default;
        }
        let bucket = crate::str_member(input, "Bucket").unwrap_or_default();
        if operation != "CreateBucket"
            && self
                .bucket_entry(bucket)
                .ok()
                .flatten()
                .is_some_and(|b| b.policy.is_some())
        {
            return Authorization::ByHandler;
        }
        Authorization::Targets(targets)
    }
}
