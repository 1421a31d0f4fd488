//! CloudWatch Logs' exports reach S3 through S3's own operations
//! (`GetBucketLocation`, `GetBucketPolicy`, `PutObject`) as the task's
//! account. `CreateExportTask` checks the bucket while answering (on a
//! runtime worker, so the wait moves off it with `block_in_place`); the
//! export job runs on the ticker's blocking thread.

use gureum_core::{AwsError, RequestBody, RequestContext, Service};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;

/// S3, as Logs' exports see it.
pub struct LogsBuckets {
    s3: Arc<gureum_s3::S3Service>,
    runtime: Option<tokio::runtime::Handle>,
}

impl LogsBuckets {
    /// Buckets of `s3`, awaited on the current runtime.
    pub fn new(s3: Arc<gureum_s3::S3Service>) -> Self {
        LogsBuckets {
            s3,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// Waits for `f` from synchronous code, on a worker or a blocking thread.
    fn wait<F: Future>(&self, f: F) -> Result<F::Output, AwsError> {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            return Ok(tokio::task::block_in_place(|| handle.block_on(f)));
        }
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| AwsError::internal("no runtime to reach S3 on"))?;
        Ok(runtime.block_on(f))
    }
}

impl gureum_logs::exports::ExportBuckets for LogsBuckets {
    fn region(&self, ctx: &RequestContext, bucket: &str) -> Result<Option<String>, AwsError> {
        let input = json!({"Bucket": bucket});
        match self.wait(self.s3.call(ctx, "GetBucketLocation", input))? {
            Ok(out) => Ok(Some(
                out["LocationConstraint"]
                    .as_str()
                    .filter(|r| !r.is_empty())
                    .unwrap_or("us-east-1")
                    .to_string(),
            )),
            Err(e) if e.code == "NoSuchBucket" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn policy(&self, ctx: &RequestContext, bucket: &str) -> Result<Option<String>, AwsError> {
        let input = json!({"Bucket": bucket});
        match self.wait(self.s3.call(ctx, "GetBucketPolicy", input))? {
            Ok(out) => Ok(out["Policy"].as_str().map(str::to_string)),
            Err(e) if e.code == "NoSuchBucketPolicy" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn put(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError> {
        let input = json!({"Bucket": bucket, "Key": key});
        self.wait(self.s3.call_streaming(
            ctx,
            "PutObject",
            input,
            RequestBody::from_bytes(body.into()),
        ))??;
        Ok(())
    }
}
