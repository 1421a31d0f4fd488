//! SQS event source mappings: `CreateEventSourceMapping`,
//! `GetEventSourceMapping`, `ListEventSourceMappings`,
//! `UpdateEventSourceMapping`, `DeleteEventSourceMapping`, and the poller
//! the server's ticker drives ([`LambdaService::poll_event_sources`]):
//! it receives up to `BatchSize` messages through the [`QueueSource`]
//! seam, invokes the function with AWS's SQS event, and deletes the batch
//! on success — or, with `ReportBatchItemFailures`, all but the
//! `batchItemFailures` the function names. A failed batch is left to come
//! back when its visibility timeout ends, as on AWS.
//!
//! Table: `lambda.mappings` (`UUID` → [`Mapping`]; a UUID is global, its
//! record names its account and region).

use crate::errors::LambdaError;
use crate::functions::parse_name;
use crate::{invalid, str_member, LambdaService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// Reads and deletes messages of a queue, for the poller (the server
/// wires SQS in).
pub trait QueueSource: Send + Sync {
    /// Up to `max` (1–10) visible messages of `queue_arn`, as
    /// `ReceiveMessage` answers them (`MessageId`, `ReceiptHandle`, `Body`,
    /// `MD5OfBody`, `Attributes`, `MessageAttributes`).
    fn receive(&self, queue_arn: &str, max: usize) -> Result<Vec<Value>, AwsError>;
    /// Deletes the messages with these receipt handles.
    fn delete(&self, queue_arn: &str, receipt_handles: &[String]) -> Result<(), AwsError>;
}

/// A stored mapping.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mapping {
    /// The account.
    pub account: String,
    /// The region.
    pub region: String,
    /// `EventSourceMappingConfiguration` as AWS answers it.
    pub config: Value,
    /// When the poller last invoked (ms), for the batching window.
    #[serde(default)]
    pub last_poll_ms: i64,
    /// Stream sources: the sequence number read next.
    #[serde(default)]
    pub position: u64,
    /// Stream sources: failed attempts at the batch at `position`.
    #[serde(default)]
    pub attempts: u32,
    /// Stream sources: the batch size after bisecting a failed batch.
    #[serde(default)]
    pub bisect: Option<usize>,
}

fn not_found(uuid: &str) -> AwsError {
    LambdaError::ResourceNotFound {
        message: format!("The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: {uuid})"),
    }
    .into()
}

/// Members of stream sources, refused for SQS queues.
const STREAM_ONLY: &[&str] = &[
    "FilterCriteria",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
];

const UNSUPPORTED: &[&str] = &[
    "Tags",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "ScalingConfig",
    "DocumentDBEventSourceConfig",
    "KMSKeyArn",
    "MetricsConfig",
    "LoggingConfig",
    "ProvisionedPollerConfig",
];

fn check_batching(input: &Value) -> Result<(), AwsError> {
    if let Some(b) = input.get("BatchSize").and_then(Value::as_i64) {
        if !(1..=10_000).contains(&b) {
            return Err(invalid(format!(
                "BatchSize must be between 1 and 10000 for SQS event sources: {b}"
            )));
        }
        let window = input
            .get("MaximumBatchingWindowInSeconds")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if b > 10 && window < 1 {
            return Err(invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"));
        }
    }
    if let Some(t) = input.get("FunctionResponseTypes").and_then(Value::as_array) {
        if t.iter().any(|v| v != "ReportBatchItemFailures") {
            return Err(invalid("Unsupported FunctionResponseType"));
        }
    }
    Ok(())
}

impl LambdaService {
    /// `CreateEventSourceMapping` for an SQS queue or a DynamoDB stream.
    pub(crate) fn create_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::refuse_unsupported(&input, UNSUPPORTED)?;
        let source = str_member(&input, "EventSourceArn");
        let stream = is_stream(source);
        if stream {
            crate::stream_mappings::check(&input, true)?;
        } else if source.split(':').nth(2) == Some("sqs") {
            crate::refuse_unsupported(&input, STREAM_ONLY)?;
            check_batching(&input)?;
        } else {
            return Err(invalid(format!(
                "Gureum maps SQS queues and DynamoDB streams only so far: {source}"
            )));
        }
        let (_, f) = self.find(ctx, str_member(&input, "FunctionName"))?;
        self.check_source_access(ctx, &f, source, stream)?;
        let fname = parse_name(str_member(&input, "FunctionName"));
        let function_arn = match fname.1 {
            Some(q) => format!(
                "{}:{q}",
                f.config["FunctionArn"].as_str().unwrap_or_default()
            ),
            None => f.config["FunctionArn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        };
        let position = match stream {
            true => self.stream_start(ctx, source, str_member(&input, "StartingPosition"))?,
            false => 0,
        };
        let uuid = crate::new_request_id();
        let enabled = input
            .get("Enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let mut config = json!({
            "UUID": uuid,
            "BatchSize": input.get("BatchSize").and_then(Value::as_i64).unwrap_or(10),
            "MaximumBatchingWindowInSeconds": input.get("MaximumBatchingWindowInSeconds").and_then(Value::as_i64).unwrap_or(0),
            "EventSourceArn": source,
            "FunctionArn": function_arn,
            "LastModified": ctx.clock.now_millis() as f64 / 1000.0,
            "State": if enabled { "Creating" } else { "Disabled" },
            "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": input.get("FunctionResponseTypes").cloned().unwrap_or(json!([])),
            "EventSourceMappingArn": format!("arn:aws:lambda:{}:{}:event-source-mapping:{uuid}", ctx.region, ctx.account_id),
        });
        if stream {
            crate::stream_mappings::extend_config(&mut config, &input);
        }
        let mapping = Mapping {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            config: config.clone(),
            last_poll_ms: 0,
            position,
            attempts: 0,
            bisect: None,
        };
        self.mappings.put(&uuid, &mapping).map_err(AwsError::from)?;
        Ok(config)
    }

    /// AWS's check that the execution role can read the source: SQS's
    /// `ReceiveMessage`, `DeleteMessage` and `GetQueueAttributes`, a
    /// stream's `GetRecords`, `GetShardIterator`, `DescribeStream` and
    /// `ListStreams`.
    fn check_source_access(
        &self,
        ctx: &RequestContext,
        f: &crate::Function,
        source: &str,
        stream: bool,
    ) -> Result<(), AwsError> {
        let Some(policies) = self.role_policies.get() else {
            return Ok(());
        };
        let Some(key) = self.runner(&ctx.account_id, &ctx.region).role_key(f) else {
            return Ok(());
        };
        if stream {
            let all = [
                ("dynamodb:GetRecords", source),
                ("dynamodb:GetShardIterator", source),
                ("dynamodb:DescribeStream", source),
                ("dynamodb:ListStreams", "*"),
            ];
            if all.iter().all(|(a, r)| policies.allows(&key, a, r)) {
                return Ok(());
            }
            return Err(invalid(format!("Cannot access stream {source}. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM.")));
        }
        for action in ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"] {
            if !policies.allows(&key, &format!("sqs:{action}"), source) {
                return Err(invalid(format!(
                    "The function execution role does not have permissions to call {action} on SQS"
                )));
            }
        }
        Ok(())
    }

    fn mapping(&self, ctx: &RequestContext, uuid: &str) -> Result<Mapping, AwsError> {
        match self.mappings.get(uuid).map_err(AwsError::from)? {
            Some(m) if m.account == ctx.account_id && m.region == ctx.region => Ok(m),
            _ => Err(not_found(uuid)),
        }
    }

    /// `GetEventSourceMapping`.
    pub(crate) fn get_event_source_mapping(&self, ctx: &RequestContext, input: Value) -> OpResult {
        Ok(settle(
            &self.mapping(ctx, str_member(&input, "UUID"))?.config,
        ))
    }

    /// `ListEventSourceMappings`, by `EventSourceArn` and `FunctionName`.
    pub(crate) fn list_event_source_mappings(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let source = input.get("EventSourceArn").and_then(Value::as_str);
        let function = input
            .get("FunctionName")
            .and_then(Value::as_str)
            .map(|n| parse_name(n).0.to_string());
        let all: Vec<Value> = self
            .mappings
            .scan_prefix("")
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| m.account == ctx.account_id && m.region == ctx.region)
            .filter(|m| source.is_none_or(|s| m.config["EventSourceArn"] == s))
            .filter(|m| {
                function.as_deref().is_none_or(|f| {
                    parse_name(m.config["FunctionArn"].as_str().unwrap_or_default()).0 == f
                })
            })
            .map(|m| settle(&m.config))
            .collect();
        crate::page_by_marker(all, &input, "EventSourceMappings")
    }

    /// `UpdateEventSourceMapping`.
    pub(crate) fn update_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::refuse_unsupported(&input, UNSUPPORTED)?;
        let uuid = str_member(&input, "UUID");
        let mut m = self.mapping(ctx, uuid)?;
        let stream = is_stream(m.config["EventSourceArn"].as_str().unwrap_or_default());
        if stream {
            crate::refuse_unsupported(&input, &["StartingPosition"])?;
            crate::stream_mappings::check(&input, false)?;
        } else {
            crate::refuse_unsupported(&input, STREAM_ONLY)?;
            check_batching(&input)?;
        }
        if let Some(name) = input.get("FunctionName").and_then(Value::as_str) {
            let (_, f) = self.find(ctx, name)?;
            m.config["FunctionArn"] = f.config["FunctionArn"].clone();
        }
        for member in [
            "BatchSize",
            "MaximumBatchingWindowInSeconds",
            "FunctionResponseTypes",
        ]
        .iter()
        .chain(crate::stream_mappings::UPDATABLE)
        {
            if let Some(v) = input.get(*member) {
                m.config[*member] = v.clone();
            }
        }
        if let Some(e) = input.get("Enabled").and_then(Value::as_bool) {
            m.config["State"] = json!(if e { "Enabling" } else { "Disabling" });
        } else {
            m.config["State"] = json!("Updating");
        }
        m.config["LastModified"] = json!(ctx.clock.now_millis() as f64 / 1000.0);
        // The poller may have moved a stream's position meanwhile: keep it.
        let table = self.mappings.clone();
        let config = m.config.clone();
        self.store.write(|txn| {
            let mut current = txn
                .get(&table, uuid)
                .map_err(AwsError::from)?
                .ok_or_else(|| not_found(uuid))?;
            current.config = config;
            txn.put(&table, uuid, &current).map_err(AwsError::from)
        })?;
        Ok(m.config)
    }

    /// `DeleteEventSourceMapping`.
    pub(crate) fn delete_event_source_mapping(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let uuid = str_member(&input, "UUID");
        let mut m = self.mapping(ctx, uuid)?;
        self.mappings.delete(uuid).map_err(AwsError::from)?;
        m.config["State"] = json!("Deleting");
        Ok(m.config)
    }

    /// One round of the SQS poller: each enabled mapping not already
    /// running a batch receives and invokes on its own thread.
    pub fn poll_event_sources(self: &Arc<Self>) {
        let Ok(all) = self.mappings.scan_prefix("") else {
            return;
        };
        let now = gureum_core::Clock::system().now_millis();
        for (uuid, m) in all {
            let state = settle(&m.config)["State"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if state != "Enabled" {
                continue;
            }
            let window = m.config["MaximumBatchingWindowInSeconds"]
                .as_i64()
                .unwrap_or(0)
                * 1000;
            if now - m.last_poll_ms < window {
                continue;
            }
            let stream = is_stream(m.config["EventSourceArn"].as_str().unwrap_or_default());
            let (queues, streams) = (self.queues.get().cloned(), self.streams.get().cloned());
            if (stream && streams.is_none()) || (!stream && queues.is_none()) {
                continue;
            }
            if !self.busy_mappings.lock().insert(uuid.clone()) {
                continue;
            }
            let svc = self.clone();
            let _ = std::thread::Builder::new()
                .name("lambda-poller".into())
                .spawn(move || {
                    match (queues, streams) {
                        (_, Some(s)) if stream => svc.poll_stream(&uuid, m, s.as_ref(), now),
                        (Some(q), _) => svc.poll_one(&uuid, m, q.as_ref(), now),
                        _ => {}
                    }
                    svc.busy_mappings.lock().remove(&uuid);
                });
        }
    }

    fn poll_one(&self, uuid: &str, mut m: Mapping, queues: &dyn QueueSource, now: i64) {
        let queue = m.config["EventSourceArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let batch = m.config["BatchSize"].as_u64().unwrap_or(10) as usize;
        let mut messages = Vec::new();
        while messages.len() < batch {
            match queues.receive(&queue, (batch - messages.len()).min(10)) {
                Ok(got) if !got.is_empty() => messages.extend(got),
                _ => break,
            }
        }
        if messages.is_empty() {
            return;
        }
        m.last_poll_ms = now;
        let _ = self.mappings.put(uuid, &m);
        let region = m.region.clone();
        let records: Vec<Value> = messages
            .iter()
            .map(|msg| record(msg, &queue, &region))
            .collect();
        let event = json!({"Records": records}).to_string();
        let function_arn = m.config["FunctionArn"].as_str().unwrap_or_default();
        let ctx = RequestContext::root(&m.account, &m.region, gureum_core::Clock::system());
        let Ok((_, f)) = self.resolve(&ctx, &json!({"FunctionName": function_arn})) else {
            return;
        };
        let Ok(outcome) = self
            .runner(&m.account, &m.region)
            .run(&f, event.into_bytes(), None)
        else {
            return;
        };
        if outcome.function_error.is_some() {
            return;
        }
        let partial = m.config["FunctionResponseTypes"]
            .as_array()
            .is_some_and(|t| t.iter().any(|v| v == "ReportBatchItemFailures"));
        let failed: Vec<String> = if partial {
            serde_json::from_slice::<Value>(&outcome.payload)
                .ok()
                .and_then(|v| v.get("batchItemFailures").cloned())
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|f| {
                    f.get("itemIdentifier")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .collect()
        } else {
            Vec::new()
        };
        let handles: Vec<String> = messages
            .iter()
            .filter(|msg| !failed.iter().any(|id| msg["MessageId"] == id.as_str()))
            .filter_map(|msg| msg["ReceiptHandle"].as_str().map(str::to_string))
            .collect();
        let _ = queues.delete(&queue, &handles);
    }
}

/// Whether `arn` is a DynamoDB stream's.
fn is_stream(arn: &str) -> bool {
    arn.split(':').nth(2) == Some("dynamodb") && arn.contains("/stream/")
}

/// The configuration as read: `Creating`/`Enabling`/`Updating` have
/// settled to `Enabled`, `Disabling` to `Disabled`.
fn settle(config: &Value) -> Value {
    let mut c = config.clone();
    let next = match c["State"].as_str() {
        Some("Creating" | "Enabling" | "Updating") => "Enabled",
        Some("Disabling") => "Disabled",
        _ => return c,
    };
    c["State"] = json!(next);
    c
}

/// One message as AWS's SQS event record.
fn record(msg: &Value, queue_arn: &str, region: &str) -> Value {
    let mut attributes = msg.get("Attributes").cloned().unwrap_or(json!({}));
    if attributes.get("ApproximateReceiveCount").is_none() {
        attributes["ApproximateReceiveCount"] = json!("1");
    }
    let mut message_attributes = serde_json::Map::new();
    if let Some(attrs) = msg.get("MessageAttributes").and_then(Value::as_object) {
        for (name, a) in attrs {
            let mut v = json!({
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": a["DataType"],
            });
            if let Some(s) = a.get("StringValue") {
                v["stringValue"] = s.clone();
            }
            if let Some(b) = a.get("BinaryValue") {
                v["binaryValue"] = b.clone();
            }
            message_attributes.insert(name.clone(), v);
        }
    }
    json!({
        "messageId": msg["MessageId"],
        "receiptHandle": msg["ReceiptHandle"],
        "body": msg["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": msg["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    })
}
