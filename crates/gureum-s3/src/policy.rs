//! Bucket policies: `PutBucketPolicy` (validated as S3 does, answering
//! `MalformedPolicy`), `GetBucketPolicy`, `DeleteBucketPolicy`,
//! `GetBucketPolicyStatus`, and their evaluation on every request to a
//! bucket that has one.
//!
//! Where it sits: the pipeline checks an IAM caller's identity policies
//! before the handler only for buckets without a policy
//! (`S3Service::authorization`); for a bucket with a policy it leaves the
//! decision to the handler, where `S3Service::own_bucket` evaluates the
//! identity side and the bucket policy together
//! ([`gureum_authz::Authorizer::evaluate_resource`]): within the account
//! either may allow, across accounts both must, an explicit deny in
//! either wins, and anonymous callers get what is granted to `*`. A bucket
//! without a policy pays one field test.

use crate::public_access::PublicAccessBlock;
use crate::{BucketEntry, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, Principal, RequestContext, Value};
use gureum_policy::{
    ActionBlock, ContextKeys, Effect, Policy, PolicyError, PolicyKind, PrincipalBlock,
    PrincipalType, Principals, ResourceBlock,
};
use serde_json::json;
use std::sync::Arc;

/// Bucket policies are at most 20 KB.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// Condition keys whose fixed values make an `*` grant non-public (AWS's
/// "The meaning of public").
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
];

fn malformed(message: &str) -> AwsError {
    S3Error::MalformedPolicy {
        message: message.into(),
    }
    .into()
}

/// Whether an action names object-level access (its resource is
/// `bucket/key`).
fn object_action(action: &str) -> bool {
    let name = action.split_once(':').map_or(action, |(_, n)| n);
    name.contains("Object")
        || name.eq_ignore_ascii_case("AbortMultipartUpload")
        || name.eq_ignore_ascii_case("ListMultipartUploadParts")
}

/// `*` and `?` wildcard matching, as policies write resource patterns.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Validates a bucket policy for `bucket` as S3 does, answering its
/// `MalformedPolicy` messages.
pub fn validate(doc: &str, bucket: &str) -> Result<Policy, AwsError> {
    if doc.len() > MAX_POLICY_BYTES {
        return Err(malformed("Policies must be less than 20 KB"));
    }
    if !doc.trim_start().starts_with('{') || serde_json::from_str::<Value>(doc).is_err() {
        return Err(malformed(
            "Policies must be valid JSON and the first byte must be '{'",
        ));
    }
    let policy = gureum_policy::validate(doc, PolicyKind::Resource).map_err(|e| match e {
        PolicyError::MissingField(f) => malformed(&format!("Missing required field {f}")),
        PolicyError::MissingActions => malformed("Missing required field Action"),
        PolicyError::InvalidPrincipal(_) => malformed("Invalid principal in policy"),
        PolicyError::InvalidResource(_) => malformed("Policy has invalid resource"),
        PolicyError::UnknownField(f) => malformed(&format!("Unknown field {f}")),
        PolicyError::MissingVendor => malformed("Policy has invalid action"),
        PolicyError::InvalidConditionType(_) => {
            malformed("Policy has an invalid condition operator")
        }
        _ => malformed("Invalid policy syntax."),
    })?;
    let own = format!("arn:aws:s3:::{bucket}");
    for s in &policy.statements {
        let resources = match &s.resources {
            Some(ResourceBlock::Resource(r)) | Some(ResourceBlock::NotResource(r)) => r.clone(),
            None => return Err(malformed("Missing required field Resource")),
        };
        for r in &resources {
            let under = r == &own
                || r.strip_prefix(&own)
                    .is_some_and(|rest| rest.starts_with('/'))
                || (r.contains('*') && glob(r.as_bytes(), own.as_bytes()));
            if !under {
                return Err(malformed("Policy has invalid resource"));
            }
        }
        let actions = match &s.actions {
            ActionBlock::Action(a) | ActionBlock::NotAction(a) => a,
        };
        for a in actions {
            if a != "*" && !a.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("s3:")) {
                return Err(malformed("Policy has invalid action"));
            }
        }
        // An action must apply to at least one of the statement's resources.
        if let ActionBlock::Action(actions) = &s.actions {
            let has_object = resources
                .iter()
                .any(|r| r.contains('/') || r.ends_with('*'));
            let has_bucket = resources.iter().any(|r| !r.contains('/'));
            let applies = actions.iter().all(|a| {
                a.contains('*')
                    || if object_action(a) {
                        has_object
                    } else {
                        has_bucket
                    }
            });
            if !applies {
                return Err(malformed(
                    "Action does not apply to any resource(s) in statement",
                ));
            }
        }
    }
    Ok(policy)
}

/// Whether a policy is public as AWS defines it: some `Allow` grants to
/// `*` without a condition on a fixed-value key that narrows it.
pub fn is_public(policy: &Policy) -> bool {
    policy.statements.iter().any(|s| {
        if s.effect != Effect::Allow {
            return false;
        }
        let everyone = match &s.principals {
            Some(PrincipalBlock::Principal(Principals::Any)) => true,
            Some(PrincipalBlock::Principal(Principals::Map(m))) => m
                .iter()
                .any(|(t, v)| *t == PrincipalType::Aws && v.iter().any(|p| p == "*")),
            Some(PrincipalBlock::NotPrincipal(_)) => true,
            None => false,
        };
        let narrowed = s.conditions.iter().any(|c| {
            RESTRICTING_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
                && !c.values.iter().any(|v| v.contains('*') || v == "0.0.0.0/0")
        });
        everyone && !narrowed
    })
}

/// The S3 condition keys a request carries, from its input.
fn s3_context(operation: &str, input: &Value) -> ContextKeys {
    let mut keys = ContextKeys::new();
    let mut put = |key: &str, member: &str| {
        if let Some(v) = crate::str_member(input, member) {
            keys.set(key, v);
        }
    };
    if matches!(
        operation,
        "ListObjects" | "ListObjectsV2" | "ListObjectVersions"
    ) {
        put("s3:prefix", "Prefix");
        put("s3:delimiter", "Delimiter");
    }
    put("s3:x-amz-acl", "ACL");
    put("s3:x-amz-server-side-encryption", "ServerSideEncryption");
    put(
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "SSEKMSKeyId",
    );
    put("s3:x-amz-storage-class", "StorageClass");
    put("s3:VersionId", "VersionId");
    put("s3:x-amz-copy-source", "CopySource");
    put("s3:x-amz-metadata-directive", "MetadataDirective");
    if let Some(v) = input.get("MaxKeys").and_then(Value::as_i64) {
        keys.set("s3:max-keys", v.to_string());
    }
    keys
}

impl S3Service {
    /// A bucket policy, parsed once per distinct document; `None` when it
    /// no longer parses (it was validated when put), which allows nothing.
    fn parsed_policy(&self, doc: &str) -> Option<Arc<Policy>> {
        let mut cache = self.policies.lock().ok()?;
        if let Some(p) = cache.get(doc) {
            return Some(p.clone());
        }
        let parsed = Arc::new(Policy::parse(doc).ok()?);
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(doc.to_string(), parsed.clone());
        Some(parsed)
    }

    /// Decides a request to a bucket that has a policy: the caller's IAM
    /// policies (or root's everything, or nothing for anonymous callers)
    /// together with the bucket policy, after Block Public Access.
    pub(crate) fn check_bucket_policy(
        &self,
        ctx: &RequestContext,
        operation: &str,
        name: &str,
        bucket: &BucketEntry,
        doc: &str,
        input: &Value,
    ) -> Result<(), AwsError> {
        let same_account =
            ctx.principal != Principal::Anonymous && bucket.account_id == ctx.account_id;
        let policy_op = operation.ends_with("BucketPolicy");
        // The owner's root user may always manage the policy (S3's safety
        // net); other accounts never may.
        if policy_op {
            if !same_account {
                return Err(S3Error::MethodNotAllowed {
                    method: "PUT".into(),
                    resource_type: "BUCKETPOLICY".into(),
                }
                .into());
            }
            if matches!(ctx.principal, Principal::Root { .. }) {
                return Ok(());
            }
        }
        let policy = self.parsed_policy(doc);
        if !same_account {
            let restrict = bucket
                .public_access_block
                .is_some_and(|b: PublicAccessBlock| b.restrict_public_buckets);
            if restrict && policy.as_deref().is_some_and(is_public) {
                return Err(crate::access_denied());
            }
        }
        let Some(policy) = policy else {
            return if same_account {
                Ok(())
            } else {
                Err(crate::access_denied())
            };
        };
        let extra = s3_context(operation, input);
        let targets = crate::authorization::targets(operation, input);
        if targets.is_empty() && !same_account {
            return Err(crate::access_denied());
        }
        let own = format!("arn:aws:s3:::{name}");
        for target in &targets {
            let here = target.resource == own || target.resource.starts_with(&format!("{own}/"));
            if !here {
                // Another bucket (a copy's source): the caller's own
                // policies; that bucket's owner checks its side.
                if crate::authorization::iam_caller(ctx) {
                    self.authorizer
                        .authorize(ctx, std::slice::from_ref(target))
                        .map_err(|d| AwsError::new("AccessDenied", 403, d.message))?;
                }
                continue;
            }
            let decided = self.authorizer.evaluate_resource(
                ctx,
                target,
                (&policy, &bucket.account_id),
                &extra,
            );
            match decided {
                Some((_, eval)) if eval.is_allowed() => {}
                Some((request, eval)) if crate::authorization::iam_caller(ctx) => {
                    return Err(AwsError::new(
                        "AccessDenied",
                        403,
                        gureum_policy::access_denied_message(&request, &eval),
                    ));
                }
                _ => return Err(crate::access_denied()),
            }
        }
        Ok(())
    }

    /// `PutBucketPolicy`: validates, refuses a public policy while
    /// `BlockPublicPolicy` is on, stores the document as given.
    pub(crate) fn put_bucket_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = crate::str_member(&input, "Bucket").unwrap_or_default();
        let doc = crate::str_member(&input, "Policy").unwrap_or_default();
        let (_, bucket) = self.own_bucket(ctx, "PutBucketPolicy", &input)?;
        let policy = validate(doc, name)?;
        // `ConfirmRemoveSelfBucketAccess` guards against locking oneself
        // out; the owner's root user keeps managing the policy whatever
        // the policy says (as in AWS), so it changes nothing here.
        let _confirmed = input
            .get("ConfirmRemoveSelfBucketAccess")
            .and_then(Value::as_bool);
        if bucket
            .public_access_block
            .is_some_and(|b| b.block_public_policy)
            && is_public(&policy)
        {
            return Err(AwsError::new(
                "AccessDenied",
                403,
                format!(
                    "User: {} is not authorized to perform: s3:PutBucketPolicy on resource: \"arn:aws:s3:::{name}\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
                    ctx.principal.arn()
                ),
            ));
        }
        let doc = doc.to_string();
        self.update_bucket(ctx, "PutBucketPolicy", &input, |b| {
            b.policy = Some(doc);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketPolicy`: the document as put.
    pub(crate) fn get_bucket_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketPolicy", &input)?;
        let doc = b
            .policy
            .ok_or(S3Error::NoSuchBucketPolicy { bucket: name })?;
        Ok(json!({ "Policy": doc }))
    }

    /// `DeleteBucketPolicy`: idempotent (204 without a policy too).
    pub(crate) fn delete_bucket_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_bucket(ctx, "DeleteBucketPolicy", &input, |b| {
            b.policy = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetBucketPolicyStatus`: whether the policy is public.
    pub(crate) fn get_bucket_policy_status(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (name, b) = self.own_bucket(ctx, "GetBucketPolicyStatus", &input)?;
        let doc = b
            .policy
            .ok_or(S3Error::NoSuchBucketPolicy { bucket: name })?;
        let public = self.parsed_policy(&doc).is_some_and(|p| is_public(&p));
        Ok(json!({ "PolicyStatus": { "IsPublic": public } }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(doc: &str) -> String {
        validate(doc, "b")
            .err()
            .map(|e| e.message)
            .unwrap_or_default()
    }

    #[test]
    fn validation_answers_s3s_messages() {
        assert_eq!(
            msg("not json"),
            "Policies must be valid JSON and the first byte must be '{'"
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
            ),
            "Missing required field Principal"
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}"#
            ),
            "Policy has invalid resource"
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}]}"#
            ),
            "Action does not apply to any resource(s) in statement"
        );
        assert_eq!(
            msg(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:s3:::b/*"}]}"#
            ),
            "Policy has invalid action"
        );
        assert!(validate(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#,
            "b"
        )
        .is_ok());
    }

    #[test]
    fn public_means_granted_to_everyone_without_a_narrowing_condition() {
        let p = |doc: &str| is_public(&validate(doc, "b").expect("valid"));
        assert!(p(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
        ));
        assert!(p(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
        ));
        assert!(!p(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#
        ));
        assert!(!p(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
        ));
        assert!(!p(
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#
        ));
    }
}
