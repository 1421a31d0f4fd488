//! Lambda's SQS event sources read through SQS, and its code read from
//! S3. For SQS, the
//! [`gureum_lambda::mappings::QueueSource`] the server wires into Lambda,
//! calling SQS's own `ReceiveMessage` and `DeleteMessageBatch` as the
//! queue's account (Lambda's poller runs on blocking threads, so it waits
//! on the server's runtime for SQS's answers).

use gureum_core::{AwsError, Clock, RequestBody, RequestContext, Service, Value};
use gureum_sqs::SqsService;
use serde_json::json;
use std::sync::Arc;

/// SQS, as Lambda's poller sees it.
pub struct SqsQueues {
    sqs: Arc<SqsService>,
    clock: Clock,
    runtime: Option<tokio::runtime::Handle>,
}

impl SqsQueues {
    /// Queues of `sqs`, on Gureum's `clock`, awaited on the current runtime.
    pub fn new(sqs: Arc<SqsService>, clock: Clock) -> Self {
        SqsQueues {
            sqs,
            clock,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// The queue's context (its account and region) and URL.
    fn locate(&self, queue_arn: &str) -> Result<(RequestContext, String), AwsError> {
        let parts: Vec<&str> = queue_arn.split(':').collect();
        let [_, _, "sqs", region, account, name] = parts.as_slice() else {
            return Err(gureum_core::CommonError::ValidationException {
                message: format!("not a queue ARN: {queue_arn}"),
            }
            .into());
        };
        let ctx = RequestContext::root(account, region, self.clock.clone());
        Ok((
            ctx,
            format!("http://sqs.{region}.localhost:4566/{account}/{name}"),
        ))
    }

    fn call(&self, queue_arn: &str, operation: &str, mut input: Value) -> Result<Value, AwsError> {
        let Some(runtime) = &self.runtime else {
            return Err(AwsError::internal("no runtime to reach SQS on"));
        };
        let (ctx, url) = self.locate(queue_arn)?;
        input["QueueUrl"] = json!(url);
        let reply = runtime.block_on(self.sqs.call_streaming(
            &ctx,
            operation,
            input,
            RequestBody::from_bytes(Default::default()),
        ))?;
        Ok(reply.output)
    }
}

impl gureum_lambda::mappings::QueueSource for SqsQueues {
    fn receive(&self, queue_arn: &str, max: usize) -> Result<Vec<Value>, AwsError> {
        let out = self.call(
            queue_arn,
            "ReceiveMessage",
            json!({
                "MaxNumberOfMessages": max.clamp(1, 10),
                "WaitTimeSeconds": 0,
                "AttributeNames": ["All"],
                "MessageAttributeNames": ["All"],
            }),
        )?;
        Ok(out["Messages"].as_array().cloned().unwrap_or_default())
    }

    fn delete(&self, queue_arn: &str, receipt_handles: &[String]) -> Result<(), AwsError> {
        for chunk in receipt_handles.chunks(10) {
            let entries: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, h)| json!({"Id": i.to_string(), "ReceiptHandle": h}))
                .collect();
            self.call(queue_arn, "DeleteMessageBatch", json!({"Entries": entries}))?;
        }
        Ok(())
    }
}

/// Lambda's code read from S3 (`S3Bucket`/`S3Key`), through S3's own
/// `GetObject` in the caller's account.
pub struct S3Objects {
    s3: Arc<gureum_s3::S3Service>,
}

impl S3Objects {
    /// Objects of `s3`.
    pub fn new(s3: Arc<gureum_s3::S3Service>) -> Self {
        S3Objects { s3 }
    }
}

/// The most a function's zip may be (AWS's unzipped limit bounds it).
const MAX_CODE_OBJECT: usize = 262_144_000;

impl gureum_lambda::code::CodeObjects for S3Objects {
    fn get<'a>(
        &'a self,
        ctx: &'a RequestContext,
        bucket: &'a str,
        key: &'a str,
        version: Option<&'a str>,
    ) -> gureum_lambda::code::ObjectFuture<'a> {
        Box::pin(async move {
            let mut input = json!({"Bucket": bucket, "Key": key});
            if let Some(v) = version {
                input["VersionId"] = json!(v);
            }
            let reply = self
                .s3
                .call_streaming(
                    ctx,
                    "GetObject",
                    input,
                    RequestBody::from_bytes(Default::default()),
                )
                .await?;
            let body = match reply.body {
                Some(gureum_core::ResponseBody::Bytes(b)) => RequestBody::from_bytes(b),
                Some(gureum_core::ResponseBody::Stream { source, length }) => {
                    RequestBody::from_source(source, Some(length))
                }
                None => RequestBody::from_bytes(Default::default()),
            };
            Ok(body.collect(MAX_CODE_OBJECT).await?.to_vec())
        })
    }
}

/// Lambda's function logs into CloudWatch Logs: the group
/// `/aws/lambda/NAME` and the environment's stream are made on its first
/// lines, as AWS makes them, and every line is an event there
/// (`LogsService::put_events_from_service`).
pub struct FunctionLogGroups {
    logs: Arc<gureum_logs::LogsService>,
    clock: Clock,
}

impl FunctionLogGroups {
    /// Logs written to `logs`, on Gureum's `clock`.
    pub fn new(logs: Arc<gureum_logs::LogsService>, clock: Clock) -> Self {
        FunctionLogGroups { logs, clock }
    }
}

impl gureum_lambda::logs::FunctionLogs for FunctionLogGroups {
    fn put(&self, batch: &gureum_lambda::logs::LogBatch<'_>) {
        let events: Vec<gureum_logs::ServiceEvent> = batch
            .events
            .iter()
            .map(|(timestamp, line)| gureum_logs::ServiceEvent {
                timestamp: *timestamp,
                message: line.clone(),
            })
            .collect();
        let scope = gureum_core::Scope::Region {
            account: batch.account,
            region: batch.region,
        };
        if let Err(e) = self.logs.put_events_from_service(
            &self.clock,
            scope,
            batch.group,
            batch.stream,
            &events,
        ) {
            tracing::warn!(target: "gureum", "lambda logs to {}: {}", batch.group, e.message);
        }
    }
}
