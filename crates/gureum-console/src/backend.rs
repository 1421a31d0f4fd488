//! How the console reaches the services: the server implements
//! [`Backend`] with the API's own dispatch, so a page sees exactly what an
//! SDK would (AWS's error codes and messages included).

use bytes::Bytes;
use gureum_core::{AwsError, Reply, Value};
use std::future::Future;
use std::pin::Pin;

/// A boxed future, as the services' own calls are.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who the console acts as: the root user of `account` in `region`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The 12-digit account id.
    pub account: String,
    /// The region name.
    pub region: String,
}

/// The services, as the console calls them.
pub trait Backend: Send + Sync {
    /// Runs `operation` of the service whose model is `service` with
    /// `input` (a model-shaped value), validated as an API request is.
    fn call<'a>(
        &'a self,
        caller: &'a Caller,
        service: &'a str,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, AwsError>>;

    /// Runs an operation whose payload streams (S3's `PutObject` with
    /// `body`, `GetObject` answering a body).
    fn call_streaming<'a>(
        &'a self,
        caller: &'a Caller,
        service: &'a str,
        operation: &'a str,
        input: Value,
        body: Bytes,
    ) -> BoxFuture<'a, Result<Reply, AwsError>>;

    /// The accounts the switcher offers (the default account first).
    fn accounts(&self) -> Vec<String>;

    /// Gureum's clock, in epoch milliseconds (graphs end now).
    fn now_millis(&self) -> i64;

    /// A Lambda function's code files: (path, size, first bytes), at most
    /// `head_bytes` of each.
    fn function_code(
        &self,
        caller: &Caller,
        function: &str,
        head_bytes: usize,
    ) -> Result<Vec<(String, u64, Vec<u8>)>, AwsError>;
}
