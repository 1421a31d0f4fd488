//! S3 as other services reach it in-process: S3's own operations, called
//! as the caller's account from synchronous code (the ticker's blocking
//! thread, or a runtime worker answering a request), waiting on the
//! server's runtime for S3's answers. DynamoDB's exports and imports and
//! Logs' exports go through it.

use gureum_core::{AwsError, RequestBody, RequestContext, Service};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;

/// S3's operations, callable from synchronous code.
pub struct S3Calls {
    /// The S3 service.
    pub s3: Arc<gureum_s3::S3Service>,
    runtime: Option<tokio::runtime::Handle>,
}

impl S3Calls {
    /// Calls into `s3`, awaited on the current runtime.
    pub fn new(s3: Arc<gureum_s3::S3Service>) -> Self {
        S3Calls {
            s3,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// Waits for `f`: on a runtime worker without stalling the runtime
    /// (`block_in_place`), elsewhere on the server's runtime.
    pub fn wait<F: Future>(&self, f: F) -> Result<F::Output, AwsError> {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            return Ok(tokio::task::block_in_place(|| handle.block_on(f)));
        }
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| AwsError::internal("no runtime to reach S3 on"))?;
        Ok(runtime.block_on(f))
    }

    /// `PutObject` of `body` at `bucket`/`key`.
    pub fn put_object(
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
