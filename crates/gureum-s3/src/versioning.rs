//! `PutBucketVersioning` (`GetBucketVersioning` is with the buckets).

use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn malformed() -> AwsError {
    S3Error::MalformedXml.into()
}

impl S3Service {
    /// `PutBucketVersioning`: `Enabled` or `Suspended`. A bucket never goes
    /// back to unversioned, and a bucket with Object Lock stays enabled.
    pub(crate) fn put_bucket_versioning(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::unsupported::refuse_mfa_delete(&input)?;
        let config = input
            .get("VersioningConfiguration")
            .cloned()
            .unwrap_or_default();
        let status = str_member(&config, "Status").map(str::to_string);
        if let Some(s) = &status {
            if s != "Enabled" && s != "Suspended" {
                return Err(malformed());
            }
        }
        if let Some(m) = str_member(&config, "MFADelete") {
            if m != "Enabled" && m != "Disabled" {
                return Err(malformed());
            }
        }
        self.update_bucket(ctx, "PutBucketVersioning", &input, |b| {
            match status {
                Some(s) if s == "Suspended" && b.object_lock => {
                    Err(S3Error::ObjectLockVersioning.into())
                }
                Some(s) => {
                    b.versioning = Some(s);
                    Ok(())
                }
                // No status leaves the state as it is.
                None => Ok(()),
            }
        })?;
        Ok(json!({}))
    }
}
