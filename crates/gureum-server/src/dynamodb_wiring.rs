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
pub struct DynamoObjects(crate::s3_calls::S3Calls);

impl DynamoObjects {
    /// Objects of `s3`, awaited on the current runtime.
    pub fn new(s3: Arc<gureum_s3::S3Service>) -> Self {
        DynamoObjects(crate::s3_calls::S3Calls::new(s3))
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
        self.0.put_object(ctx, bucket, key, body)
    }

    fn get(&self, ctx: &RequestContext, bucket: &str, key: &str) -> Result<Vec<u8>, AwsError> {
        self.0.wait(async {
            let reply = self
                .0
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
        })?
    }

    fn list(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut keys = vec![];
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({"Bucket": bucket, "Prefix": prefix});
            if let Some(t) = &token {
                input["ContinuationToken"] = json!(t);
            }
            let reply = self.0.wait(self.0.s3.call(ctx, "ListObjectsV2", input))??;
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
