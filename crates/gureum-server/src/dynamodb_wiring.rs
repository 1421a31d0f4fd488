//! DynamoDB's exports and imports read and write S3 through S3's own
//! operations (`PutObject`, `GetObject`, `ListObjectsV2`) as the job's
//! account. Jobs run on the ticker's blocking thread, so the calls wait
//! on the server's runtime for S3's answers.

use gureum_core::{AwsError, RequestBody, RequestContext, ResponseBody, Service};
use serde_json::json;
use std::sync::Arc;

/// The most an imported object may be.
const MAX_OBJECT: usize = 1 << 30;

/// S3, as DynamoDB's exports and imports see it.
pub struct DynamoObjects {
    s3: Arc<gureum_s3::S3Service>,
    runtime: Option<tokio::runtime::Handle>,
}

impl DynamoObjects {
    /// Objects of `s3`, awaited on the current runtime.
    pub fn new(s3: Arc<gureum_s3::S3Service>) -> Self {
        DynamoObjects {
            s3,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    fn runtime(&self) -> Result<&tokio::runtime::Handle, AwsError> {
        self.runtime
            .as_ref()
            .ok_or_else(|| AwsError::internal("no runtime to reach S3 on"))
    }
}

impl gureum_dynamodb::objects::Objects for DynamoObjects {
    fn put(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError> {
        let input = json!({"Bucket": bucket, "Key": key});
        self.runtime()?.block_on(self.s3.call_streaming(
            ctx,
            "PutObject",
            input,
            RequestBody::from_bytes(body.into()),
        ))?;
        Ok(())
    }

    fn get(&self, ctx: &RequestContext, bucket: &str, key: &str) -> Result<Vec<u8>, AwsError> {
        let runtime = self.runtime()?;
        runtime.block_on(async {
            let reply = self
                .s3
                .call_streaming(
                    ctx,
                    "GetObject",
                    json!({"Bucket": bucket, "Key": key}),
                    RequestBody::from_bytes(Default::default()),
                )
                .await?;
            let body = match reply.body {
                Some(ResponseBody::Bytes(b)) => RequestBody::from_bytes(b),
                Some(ResponseBody::Stream { source, length }) => {
                    RequestBody::from_source(source, Some(length))
                }
                None => RequestBody::from_bytes(Default::default()),
            };
            Ok(body.collect(MAX_OBJECT).await?.to_vec())
        })
    }

    fn list(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AwsError> {
        let runtime = self.runtime()?;
        let mut keys = vec![];
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({"Bucket": bucket, "Prefix": prefix});
            if let Some(t) = &token {
                input["ContinuationToken"] = json!(t);
            }
            let reply = runtime.block_on(self.s3.call(ctx, "ListObjectsV2", input))?;
            for o in reply["Contents"].as_array().into_iter().flatten() {
                if let Some(k) = o["Key"].as_str() {
                    keys.push(k.to_string());
                }
            }
            token = reply["NextContinuationToken"].as_str().map(str::to_string);
            if token.is_none() || reply["IsTruncated"] != json!(true) {
                return Ok(keys);
            }
        }
    }
}
