//! The seam to S3 that exports and imports go through: the server wires
//! it to S3's own operations (`gureum-server/src/dynamodb_wiring.rs`);
//! without it, exports and imports fail with a reason.

use gureum_core::{AwsError, RequestContext};

/// Objects in S3, read and written in a caller's account and region.
pub trait Objects: Send + Sync {
    /// Writes `body` at `bucket`/`key`.
    fn put(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError>;
    /// The bytes at `bucket`/`key`.
    fn get(&self, ctx: &RequestContext, bucket: &str, key: &str) -> Result<Vec<u8>, AwsError>;
    /// Every key under `prefix` in `bucket`, in key order.
    fn list(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<String>, AwsError>;
}
