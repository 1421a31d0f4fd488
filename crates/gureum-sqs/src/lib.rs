//! SQS (json 1.0, and query for older clients; regional): standard and
//! FIFO queues, messages with visibility timeouts, delays and retention
//! on Gureum's clock, long polling, batches, dead-letter queues and
//! message move tasks, tags and queue policies.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `sqs.queues`: `account/region/name` → [`Queue`];
//! - `sqs.messages`: `account/region/name/seq` (`seq` zero-padded, so a
//!   queue's messages are one key range in send order) → [`StoredMessage`];
//! - `sqs.dedup`: `account/region/name/dedup-id` → [`DedupEntry`] (FIFO's
//!   five-minute deduplication window);
//! - `sqs.move_tasks`: `account/region/dlq-name/started-handle` → [`MoveTask`];
//! - `sqs.deleted`: `account/region/name` → when the queue was deleted,
//!   epoch milliseconds (a name is free again 60 seconds later).
//!
//! Receive never scans a queue's messages: [`index`] keeps, per queue, the
//! messages ordered by the time they become visible, rebuilt from
//! `sqs.messages` the first time a queue is used after start. Each queue's
//! index also holds the [`tokio::sync::Notify`] that long polls wait on.
//!
//! Layout: [`errors`] declares the errors; `url.rs` builds and reads queue
//! URLs; `attributes.rs` validates queue attributes; `digest.rs` computes
//! the MD5s botocore checks; `queues.rs`, `messages.rs`, `batch.rs` and
//! `redrive.rs` hold the operations.

pub mod errors;

mod attributes;
mod batch;
mod deliver;
mod digest;
mod index;
mod messages;
mod metrics;
mod queues;
mod redrive;
mod url;

pub use deliver::{Delivered, ServiceMessage, ServiceSender};
pub use errors::SqsError;

use gureum_core::{
    Authorization, AuthzTarget, AwsError, OpResult, Reply, RequestBody, RequestContext, Value,
};
use gureum_store::{Store, Table};
use std::collections::BTreeMap;

/// A queue, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Queue {
    /// The queue's name (`orders`, `orders.fifo`).
    pub name: String,
    /// Whether it is a FIFO queue.
    pub fifo: bool,
    /// The settable attributes, every one holding its value (defaults
    /// filled in at creation).
    pub attributes: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time, epoch seconds.
    pub created_s: i64,
    /// Last attribute change, epoch seconds.
    pub modified_s: i64,
    /// When the last PurgeQueue ran, epoch milliseconds.
    #[serde(default)]
    pub purged_ms: Option<i64>,
}

/// A message, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredMessage {
    /// The message id (a UUID).
    pub id: String,
    /// The body.
    pub body: String,
    /// MD5 of the body, hex.
    pub md5_body: String,
    /// Message attributes, as sent (`{"name": {"DataType": …}}`).
    #[serde(default)]
    pub attributes: BTreeMap<String, Value>,
    /// System attributes sent with it (`AWSTraceHeader`).
    #[serde(default)]
    pub system_attributes: BTreeMap<String, Value>,
    /// When it was sent, epoch milliseconds.
    pub sent_ms: i64,
    /// When it is (or becomes) visible, epoch milliseconds.
    pub visible_ms: i64,
    /// How many times it was received.
    pub receives: u32,
    /// When it was first received, epoch milliseconds.
    #[serde(default)]
    pub first_receive_ms: Option<i64>,
    /// When it was last received, epoch milliseconds (a visibility
    /// timeout may reach at most 12 hours past it).
    #[serde(default)]
    pub received_ms: Option<i64>,
    /// The sender's id (`SenderId`).
    pub sender: String,
    /// FIFO: the message group.
    #[serde(default)]
    pub group: Option<String>,
    /// FIFO: the deduplication id.
    #[serde(default)]
    pub dedup: Option<String>,
    /// FIFO: the sequence number.
    #[serde(default)]
    pub sequence: Option<String>,
    /// The queue it was moved from (dead-letter queues).
    #[serde(default)]
    pub source_arn: Option<String>,
}

/// A FIFO deduplication record: a second send with the id inside the
/// window answers the first send's message id and sends nothing.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DedupEntry {
    /// The first send's message id.
    pub message_id: String,
    /// Its sequence number.
    pub sequence: String,
    /// When the window closes, epoch milliseconds.
    pub expires_ms: i64,
}

/// A message move task (dead-letter queue redrive), as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MoveTask {
    /// The task handle.
    pub handle: String,
    /// `RUNNING`, `COMPLETED`, `CANCELLED`, `FAILED`.
    pub status: String,
    /// The dead-letter queue's ARN.
    pub source_arn: String,
    /// Where messages go (`None`: each back to its own source).
    pub destination_arn: Option<String>,
    /// The rate asked for.
    pub max_per_second: Option<i64>,
    /// How many were moved.
    pub moved: i64,
    /// How many there were to move.
    pub to_move: i64,
    /// When it started, epoch milliseconds.
    pub started_ms: i64,
}

/// The SQS service.
pub struct SqsService {
    store: Store,
    queues: Table<Queue>,
    /// Decoded queue records: every request reads its queue's.
    queue_memo: gureum_store::Memo<Queue>,
    messages: Table<StoredMessage>,
    dedup: Table<DedupEntry>,
    tasks: Table<MoveTask>,
    deleted: Table<i64>,
    index: index::Indexes,
}

impl SqsService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        SqsService {
            queues: store.table("sqs.queues"),
            queue_memo: gureum_store::Memo::default(),
            messages: store.table("sqs.messages"),
            dedup: store.table("sqs.dedup"),
            tasks: store.table("sqs.move_tasks"),
            deleted: store.table("sqs.deleted"),
            index: index::Indexes::default(),
            store,
        }
    }

    /// Forgets the message indexes (rebuilt from the store on next use).
    fn reset_state(&self) {
        self.index.clear();
    }

    /// Queue operations act on the queue's ARN; listing on `*`.
    fn authorization(&self, ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
        let action = format!("sqs:{}", action_of(operation));
        let resource = match operation {
            "ListQueues" => "*".to_string(),
            "CreateQueue" | "GetQueueUrl" => input["QueueName"]
                .as_str()
                .map(|n| url::arn(&ctx.region, &ctx.account_id, n))
                .unwrap_or_else(|| "*".into()),
            "StartMessageMoveTask" | "ListMessageMoveTasks" => {
                input["SourceArn"].as_str().unwrap_or("*").to_string()
            }
            _ => match input["QueueUrl"].as_str().and_then(url::parse) {
                Some((account, name)) => url::arn(&ctx.region, account, name),
                None => "*".into(),
            },
        };
        Authorization::Targets(vec![AuthzTarget::new(action, resource)])
    }

    /// `CreateQueue`.
    fn create_queue(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::create(self, ctx, &input)
    }

    /// `GetQueueUrl`.
    fn get_queue_url(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::get_url(self, ctx, &input)
    }

    /// `ListQueues`.
    fn list_queues(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::list(self, ctx, &input)
    }

    /// `DeleteQueue`.
    fn delete_queue(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::delete(self, ctx, &input)
    }

    /// `GetQueueAttributes`.
    fn get_queue_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::get_attributes(self, ctx, &input)
    }

    /// `SetQueueAttributes`.
    fn set_queue_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::set_attributes(self, ctx, &input)
    }

    /// `TagQueue`.
    fn tag_queue(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::tag(self, ctx, &input)
    }

    /// `UntagQueue`.
    fn untag_queue(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::untag(self, ctx, &input)
    }

    /// `ListQueueTags`.
    fn list_queue_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::list_tags(self, ctx, &input)
    }

    /// `PurgeQueue`.
    fn purge_queue(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::purge(self, ctx, &input)
    }

    /// `AddPermission`.
    fn add_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::add_permission(self, ctx, &input)
    }

    /// `RemovePermission`.
    fn remove_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        queues::remove_permission(self, ctx, &input)
    }

    /// `SendMessage`.
    fn send_message(&self, ctx: &RequestContext, input: Value) -> OpResult {
        messages::send(self, ctx, &input)
    }

    /// `ReceiveMessage`: waits up to `WaitTimeSeconds` (or the queue's
    /// `ReceiveMessageWaitTimeSeconds`) for a message, returning as soon
    /// as one can be received.
    async fn receive_message(
        &self,
        ctx: &RequestContext,
        input: Value,
        body: RequestBody,
    ) -> Result<Reply, AwsError> {
        drop(body);
        messages::receive(self, ctx, &input).await.map(Reply::value)
    }

    /// `DeleteMessage`.
    fn delete_message(&self, ctx: &RequestContext, input: Value) -> OpResult {
        messages::delete(self, ctx, &input)
    }

    /// `ChangeMessageVisibility`.
    fn change_message_visibility(&self, ctx: &RequestContext, input: Value) -> OpResult {
        messages::change_visibility(self, ctx, &input)
    }

    /// `SendMessageBatch`.
    fn send_message_batch(&self, ctx: &RequestContext, input: Value) -> OpResult {
        batch::send(self, ctx, &input)
    }

    /// `DeleteMessageBatch`.
    fn delete_message_batch(&self, ctx: &RequestContext, input: Value) -> OpResult {
        batch::delete(self, ctx, &input)
    }

    /// `ChangeMessageVisibilityBatch`.
    fn change_message_visibility_batch(&self, ctx: &RequestContext, input: Value) -> OpResult {
        batch::change_visibility(self, ctx, &input)
    }

    /// `ListDeadLetterSourceQueues`.
    fn list_dead_letter_source_queues(&self, ctx: &RequestContext, input: Value) -> OpResult {
        redrive::list_sources(self, ctx, &input)
    }

    /// `StartMessageMoveTask`.
    fn start_message_move_task(&self, ctx: &RequestContext, input: Value) -> OpResult {
        redrive::start_task(self, ctx, &input)
    }

    /// `ListMessageMoveTasks`.
    fn list_message_move_tasks(&self, ctx: &RequestContext, input: Value) -> OpResult {
        redrive::list_tasks(self, ctx, &input)
    }

    /// `CancelMessageMoveTask`.
    fn cancel_message_move_task(&self, ctx: &RequestContext, input: Value) -> OpResult {
        redrive::cancel_task(self, ctx, &input)
    }
}

/// The IAM action of an operation: the batch operations share their
/// single-message action, as AWS's authorization reference says.
fn action_of(operation: &str) -> &str {
    match operation {
        "SendMessageBatch" => "SendMessage",
        "DeleteMessageBatch" => "DeleteMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        other => other,
    }
}

gureum_core::service_operations! {
    SqsService, "sqs",
    reset = reset_state,
    authorization = authorization,
    streaming { "ReceiveMessage" => receive_message },
    "CreateQueue" => create_queue,
    "GetQueueUrl" => get_queue_url,
    "ListQueues" => list_queues,
    "DeleteQueue" => delete_queue,
    "GetQueueAttributes" => get_queue_attributes,
    "SetQueueAttributes" => set_queue_attributes,
    "TagQueue" => tag_queue,
    "UntagQueue" => untag_queue,
    "ListQueueTags" => list_queue_tags,
    "PurgeQueue" => purge_queue,
    "AddPermission" => add_permission,
    "RemovePermission" => remove_permission,
    "SendMessage" => send_message,
    "DeleteMessage" => delete_message,
    "ChangeMessageVisibility" => change_message_visibility,
    "SendMessageBatch" => send_message_batch,
    "DeleteMessageBatch" => delete_message_batch,
    "ChangeMessageVisibilityBatch" => change_message_visibility_batch,
    "ListDeadLetterSourceQueues" => list_dead_letter_source_queues,
    "StartMessageMoveTask" => start_message_move_task,
    "ListMessageMoveTasks" => list_message_move_tasks,
    "CancelMessageMoveTask" => cancel_message_move_task,
}

#[cfg(test)]
mod tests;
