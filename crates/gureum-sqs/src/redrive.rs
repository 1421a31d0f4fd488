//! Dead-letter queues: the queues that name one in their `RedrivePolicy`,
//! moving messages into it (from `messages.rs`, when a message comes up
//! for its `maxReceiveCount + 1`-th receive) and back out with message
//! move tasks. Gureum moves a task's messages when it starts, so a task
//! is `COMPLETED` by the time `ListMessageMoveTasks` sees it.

use crate::errors::{invalid, SqsError};
use crate::index::Entry;
use crate::queues::{self, message_key, Found};
use crate::{url, MoveTask, SqsService, StoredMessage};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// Appends `m` to queue `to` as a new message there, visible now.
pub fn enqueue(
    svc: &SqsService,
    ctx: &RequestContext,
    to: &Found,
    mut m: StoredMessage,
) -> Result<(), AwsError> {
    let now = ctx.clock.now_millis();
    m.visible_ms = now;
    m.receives = 0;
    m.first_receive_ms = None;
    m.received_ms = None;
    if !to.queue.fifo {
        m.dedup = None;
        m.sequence = None;
    }
    let index = svc.index_of(&to.key)?;
    let mut state = index.state.lock();
    if state.deleted {
        return Err(crate::errors::SqsError::NoSuchQueue.into());
    }
    let seq = state.next_seq;
    svc.store.write(|txn| {
        txn.put(&svc.messages, &message_key(&to.key, seq), &m)?;
        Ok::<_, AwsError>(())
    })?;
    state.insert(
        seq,
        Entry {
            visible_ms: now,
            received: false,
            group: m.group.clone().filter(|_| to.queue.fifo),
            sent_ms: m.sent_ms,
        },
    );
    drop(state);
    index.notify.notify_waiters();
    Ok(())
}

/// `ListDeadLetterSourceQueues`: the caller's queues whose redrive policy
/// targets the queue.
pub fn list_sources(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let arn = found.arn(ctx);
    let scope = Scope::regional(ctx);
    let mut urls = Vec::new();
    for (_, q) in svc.queues.scan_prefix(&scope.prefix())? {
        let targets = q
            .attributes
            .get("RedrivePolicy")
            .and_then(|p| crate::attributes::redrive_policy(p).ok().flatten())
            .is_some_and(|r| r.target_arn == arn);
        if targets {
            urls.push(Value::String(url::queue_url(ctx, &ctx.account_id, &q.name)));
        }
    }
    Ok(json!({ "queueUrls": urls }))
}

/// `StartMessageMoveTask`: moves every message of the dead-letter queue
/// to the destination (by default each back to the queue it came from).
pub fn start_task(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let source_arn = input["SourceArn"].as_str().unwrap_or_default();
    let source = svc
        .find_arn(ctx, source_arn)
        .map_err(|_| SqsError::NoSuchResource {
            message: "The resource that you specified for the SourceArn parameter doesn't exist."
                .into(),
        })?;
    let is_dlq = svc
        .queues
        .scan_prefix(&Scope::regional(ctx).prefix())?
        .iter()
        .any(|(_, q)| {
            q.attributes
                .get("RedrivePolicy")
                .and_then(|p| crate::attributes::redrive_policy(p).ok().flatten())
                .is_some_and(|r| r.target_arn == source_arn)
        });
    if !is_dlq {
        return Err(invalid(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    let destination_arn = input["DestinationArn"].as_str().map(str::to_string);
    let destination = match &destination_arn {
        Some(arn) => Some(svc.find_arn(ctx, arn).map_err(|_| {
            AwsError::from(SqsError::NoSuchResource {
                message: "The resource that you specified for the DestinationArn parameter doesn't exist."
                    .into(),
            })
        })?),
        None => None,
    };
    let task_key = Scope::regional(ctx).key(&format!("{}/", source.queue.name));
    let running = svc
        .tasks
        .scan_prefix(&task_key)?
        .into_iter()
        .any(|(_, t)| t.status == "RUNNING");
    if running {
        return Err(invalid("There is already a task running. Only one active task is allowed for a source queue arn at a given time."));
    }
    let now = ctx.clock.now_millis();
    let pending = queues::messages_of(svc, &source.key)?;
    let mut task = MoveTask {
        handle: gureum_core::id::uuid_v4(),
        status: "RUNNING".into(),
        source_arn: source_arn.to_string(),
        destination_arn: destination_arn.clone(),
        max_per_second: input["MaxNumberOfMessagesPerSecond"].as_i64(),
        moved: 0,
        to_move: pending.len() as i64,
        started_ms: now,
    };
    let index = svc.index_of(&source.key)?;
    for (seq, m) in pending {
        // Each message goes to the destination, or back to its own source.
        let origin;
        let target = match &destination {
            Some(d) => d,
            None => {
                let found = m
                    .source_arn
                    .as_deref()
                    .and_then(|arn| svc.find_arn(ctx, arn).ok());
                match found {
                    Some(f) => {
                        origin = f;
                        &origin
                    }
                    None => continue,
                }
            }
        };
        {
            let mut state = index.state.lock();
            svc.store.write(|txn| {
                txn.delete(&svc.messages, &message_key(&source.key, seq))?;
                Ok::<_, AwsError>(())
            })?;
            state.remove(seq);
        }
        let mut moved = m;
        moved.source_arn = None;
        enqueue(svc, ctx, target, moved)?;
        task.moved += 1;
    }
    task.status = "COMPLETED".into();
    svc.tasks
        .put(&format!("{task_key}{:020}-{}", now, task.handle), &task)?;
    Ok(json!({ "TaskHandle": task_handle(&task, &source.key) }))
}

/// A task handle names its dead-letter queue and the task.
fn task_handle(task: &MoveTask, queue_key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{queue_key}|{}", task.handle))
}

/// `ListMessageMoveTasks`: the dead-letter queue's tasks, newest first.
pub fn list_tasks(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let source_arn = input["SourceArn"].as_str().unwrap_or_default();
    let source = svc
        .find_arn(ctx, source_arn)
        .map_err(|_| SqsError::NoSuchResource {
            message: "The resource that you specified for the SourceArn parameter doesn't exist."
                .into(),
        })?;
    let max = input["MaxResults"].as_i64().unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(crate::errors::invalid_value(
            max,
            "MaxResults",
            "Must be between 1 and 10, if provided.",
        ));
    }
    let task_key = Scope::regional(ctx).key(&format!("{}/", source.queue.name));
    let mut tasks = svc.tasks.scan_prefix(&task_key)?;
    tasks.reverse();
    let results: Vec<Value> = tasks
        .into_iter()
        .take(max as usize)
        .map(|(_, t)| {
            let mut v = json!({
                "Status": t.status,
                "SourceArn": t.source_arn,
                "ApproximateNumberOfMessagesMoved": t.moved,
                "ApproximateNumberOfMessagesToMove": t.to_move,
                "StartedTimestamp": t.started_ms,
            });
            if let Some(d) = &t.destination_arn {
                v["DestinationArn"] = Value::String(d.clone());
            }
            if let Some(m) = t.max_per_second {
                v["MaxNumberOfMessagesPerSecond"] = json!(m);
            }
            if t.status == "RUNNING" {
                v["TaskHandle"] = Value::String(task_handle(&t, &source.key));
            }
            v
        })
        .collect();
    Ok(json!({ "Results": results }))
}

/// `CancelMessageMoveTask`: only a running task can be cancelled, and
/// Gureum's tasks finish as they start.
pub fn cancel_task(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let _ = (svc, ctx);
    let handle = input["TaskHandle"].as_str().unwrap_or_default();
    Err(SqsError::NoSuchResource {
        message: format!("Task does not exist or is not running: {handle}"),
    }
    .into())
}
