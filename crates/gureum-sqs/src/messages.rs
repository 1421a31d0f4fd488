//! Message operations: send, receive (with long polling), delete and
//! visibility changes. Receive reads the queue's index (see
//! [`crate::index`]), never the whole queue; expiry (retention) and
//! dead-letter moves happen there, lazily, as messages come up.

use crate::digest;
use crate::errors::{invalid, invalid_value, missing, SqsError};
use crate::index::Entry;
use crate::queues::{message_key, Found};
use crate::{attributes, DedupEntry, SqsService, StoredMessage};
use base64::Engine as _;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// FIFO deduplication window.
const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A receipt handle's contents: the queue, the message and which receive
/// it was handed out for.
struct Handle {
    queue_key: String,
    seq: u64,
    receives: u32,
}

fn encode_handle(queue_key: &str, seq: u64, receives: u32) -> String {
    let raw = format!("{queue_key}|{seq}|{receives}|{}", gureum_core::id::hex(8));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_handle(handle: &str) -> Option<Handle> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(handle)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let mut parts = raw.split('|');
    let queue_key = parts.next()?.to_string();
    let seq = parts.next()?.parse().ok()?;
    let receives = parts.next()?.parse().ok()?;
    Some(Handle {
        queue_key,
        seq,
        receives,
    })
}

/// The handle `input.ReceiptHandle`, for a message of `found`.
fn handle_of(found: &Found, handle: &str) -> Result<Handle, AwsError> {
    decode_handle(handle)
        .filter(|h| h.queue_key == found.key)
        .ok_or_else(|| {
            SqsError::BadReceiptHandle {
                handle: handle.to_string(),
            }
            .into()
        })
}

fn valid_body_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn attribute_map(value: &Value) -> BTreeMap<String, Value> {
    value
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Checks message attributes; answers their size in bytes.
fn check_attributes(attrs: &BTreeMap<String, Value>) -> Result<usize, AwsError> {
    if attrs.len() > 10 {
        return Err(invalid(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            attrs.len()
        )));
    }
    let mut size = 0;
    for (name, a) in attrs {
        let data_type = a["DataType"].as_str().unwrap_or_default();
        size += name.len() + data_type.len();
        let base = data_type.split('.').next().unwrap_or_default();
        match base {
            "String" | "Number" => match a["StringValue"].as_str() {
                Some(s) if !s.is_empty() => size += s.len(),
                _ => {
                    return Err(invalid(format!(
                        "Message (user) attribute '{name}' must contain a non-empty message attribute value for message attribute type '{base}'."
                    )))
                }
            },
            "Binary" => match digest::binary_bytes(&a["BinaryValue"]) {
                Some(b) if !b.is_empty() => size += b.len(),
                _ => {
                    return Err(invalid(format!(
                        "Message (user) attribute '{name}' must contain a non-empty message attribute value for message attribute type '{base}'."
                    )))
                }
            },
            _ => {
                return Err(invalid(format!(
                    "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
                )))
            }
        }
    }
    Ok(size)
}

/// Sends one message (`SendMessage`, or one entry of a batch); answers
/// the result members.
pub fn send_one(
    svc: &SqsService,
    ctx: &RequestContext,
    found: &Found,
    entry: &Value,
) -> Result<Value, AwsError> {
    let body = entry["MessageBody"].as_str().unwrap_or_default();
    if body.is_empty() {
        return Err(missing("MessageBody"));
    }
    if !body.chars().all(valid_body_char) {
        return Err(SqsError::BadContents.into());
    }
    let attrs = attribute_map(&entry["MessageAttributes"]);
    let system = attribute_map(&entry["MessageSystemAttributes"]);
    let size = body.len() + check_attributes(&attrs)?;
    let max_size = found.number("MaximumMessageSize", 262_144);
    if size as i64 > max_size {
        return Err(invalid(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
        )));
    }
    let fifo = found.queue.fifo;
    let delay = match entry["DelaySeconds"].as_i64() {
        Some(d) if fifo => {
            return Err(invalid_value(
                d,
                "DelaySeconds",
                "The request include parameter that is not valid for this queue type.",
            ))
        }
        Some(d) if !(0..=900).contains(&d) => {
            return Err(invalid_value(
                d,
                "DelaySeconds",
                "DelaySeconds must be >= 0 and <= 900.",
            ))
        }
        Some(d) => d,
        None => found.number("DelaySeconds", 0),
    };
    let (group, dedup) = if fifo {
        let group = entry["MessageGroupId"]
            .as_str()
            .ok_or_else(|| missing("MessageGroupId"))?;
        let dedup = match entry["MessageDeduplicationId"].as_str() {
            Some(d) => d.to_string(),
            None if found.queue.attributes.get("ContentBasedDeduplication")
                == Some(&"true".to_string()) =>
            {
                digest::sha256_hex(body.as_bytes())
            }
            None => return Err(invalid(
                "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            )),
        };
        (Some(group.to_string()), Some(dedup))
    } else {
        if let Some(d) = entry["MessageDeduplicationId"].as_str() {
            return Err(invalid_value(
                d,
                "MessageDeduplicationId",
                "The request include parameter that is not valid for this queue type.",
            ));
        }
        // Standard queues take a group id too (fair queues): it is
        // returned, with no ordering or locking.
        (entry["MessageGroupId"].as_str().map(str::to_string), None)
    };
    let md5_body = digest::md5_hex(body.as_bytes());
    let md5_attrs = digest::md5_of_attributes(&attrs);
    let md5_system = digest::md5_of_attributes(&system);
    let now = ctx.clock.now_millis();
    let index = svc.index_of(&found.key)?;
    let mut state = index.state.lock();
    if state.deleted {
        return Err(SqsError::NoSuchQueue.into());
    }
    let seq = state.next_seq;
    let sequence = fifo.then(|| (10_000_000_000_000_000_000u128 + u128::from(seq)).to_string());
    let dedup_key = dedup.as_ref().map(|d| {
        let scope = match (
            found
                .queue
                .attributes
                .get("DeduplicationScope")
                .map(String::as_str),
            &group,
        ) {
            (Some("messageGroup"), Some(g)) => format!("{g}/"),
            _ => String::new(),
        };
        format!("{}/{scope}{d}", found.key)
    });
    let message = StoredMessage {
        id: gureum_core::id::uuid_v4(),
        body: body.to_string(),
        md5_body: md5_body.clone(),
        attributes: attrs,
        system_attributes: system,
        sent_ms: now,
        visible_ms: now + delay * 1000,
        receives: 0,
        first_receive_ms: None,
        received_ms: None,
        sender: ctx.principal.user_id(),
        group: group.clone(),
        dedup: dedup.clone(),
        sequence: sequence.clone(),
        source_arn: None,
    };
    let duplicate = svc.store.write(|txn| {
        if let Some(k) = &dedup_key {
            if let Some(prior) = txn.get(&svc.dedup, k)? {
                if prior.expires_ms > now {
                    return Ok::<_, AwsError>(Some(prior));
                }
            }
            let entry = DedupEntry {
                message_id: message.id.clone(),
                sequence: sequence.clone().unwrap_or_default(),
                expires_ms: now + DEDUP_WINDOW_MS,
            };
            txn.put(&svc.dedup, k, &entry)?;
        }
        txn.put(&svc.messages, &message_key(&found.key, seq), &message)?;
        Ok(None)
    })?;
    let (id, sequence) = match duplicate {
        Some(prior) => (prior.message_id, Some(prior.sequence)),
        None => {
            state.insert(
                seq,
                Entry {
                    visible_ms: message.visible_ms,
                    received: false,
                    group: group.filter(|_| fifo),
                    sent_ms: now,
                },
            );
            drop(state);
            index.notify.notify_waiters();
            (message.id, sequence)
        }
    };
    let mut out = json!({"MessageId": id, "MD5OfMessageBody": md5_body});
    if let Some(m) = md5_attrs {
        out["MD5OfMessageAttributes"] = Value::String(m);
    }
    if let Some(m) = md5_system {
        out["MD5OfMessageSystemAttributes"] = Value::String(m);
    }
    if let Some(s) = sequence.filter(|_| fifo) {
        out["SequenceNumber"] = Value::String(s);
    }
    Ok(out)
}

/// `SendMessage`.
pub fn send(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    send_one(svc, ctx, &found, input)
}

/// What a receive asked for.
struct ReceiveRequest {
    max: usize,
    visibility_ms: i64,
    system_names: Vec<String>,
    attribute_names: Vec<String>,
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// `ReceiveMessage`: up to `MaxNumberOfMessages` visible messages; when
/// none is, waits up to `WaitTimeSeconds`, woken by the queue's sends.
pub async fn receive(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let max = input["MaxNumberOfMessages"].as_i64().unwrap_or(1);
    if !(1..=10).contains(&max) {
        return Err(invalid_value(
            max,
            "MaxNumberOfMessages",
            "Must be between 1 and 10, if provided.",
        ));
    }
    let visibility = match input["VisibilityTimeout"].as_i64() {
        Some(v) if !(0..=43_200).contains(&v) => {
            return Err(invalid_value(
                v,
                "VisibilityTimeout",
                "Must be >= 0 and <= 43200, if provided.",
            ))
        }
        Some(v) => v,
        None => found.number("VisibilityTimeout", 30),
    };
    let wait = match input["WaitTimeSeconds"].as_i64() {
        Some(w) if !(0..=20).contains(&w) => {
            return Err(invalid_value(
                w,
                "WaitTimeSeconds",
                "Must be >= 0 and <= 20, if provided.",
            ))
        }
        Some(w) => w,
        None => found.number("ReceiveMessageWaitTimeSeconds", 0),
    };
    let mut system_names = names(&input["AttributeNames"]);
    system_names.extend(names(&input["MessageSystemAttributeNames"]));
    let request = ReceiveRequest {
        max: max as usize,
        visibility_ms: visibility * 1000,
        system_names,
        attribute_names: names(&input["MessageAttributeNames"]),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait as u64);
    let mut first = Some(found);
    loop {
        // After a wait the queue is looked up again: it may be gone.
        let found = match first.take() {
            Some(f) => f,
            None => svc.find(ctx, input)?,
        };
        let index = svc.index_of(&found.key)?;
        let notified = index.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let messages = receive_now(svc, ctx, &found, &request)?;
        let now = tokio::time::Instant::now();
        if !messages.is_empty() || now >= deadline {
            if messages.is_empty() {
                return Ok(json!({}));
            }
            return Ok(json!({ "Messages": messages }));
        }
        // Wake on a send, when a delayed or in-flight message may have
        // become visible (checked every second: Gureum's clock can jump),
        // or at the deadline.
        let until = deadline.min(now + Duration::from_secs(1));
        let _ = tokio::time::timeout_at(until, notified).await;
    }
}

/// One pass over the queue's visible messages.
fn receive_now(
    svc: &SqsService,
    ctx: &RequestContext,
    found: &Found,
    request: &ReceiveRequest,
) -> Result<Vec<Value>, AwsError> {
    let now = ctx.clock.now_millis();
    let retention_ms = found.number("MessageRetentionPeriod", 345_600) * 1000;
    let redrive = found
        .queue
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| attributes::redrive_policy(p).ok().flatten());
    let dlq = match &redrive {
        Some(r) => svc.find_arn(ctx, &r.target_arn).ok(),
        None => None,
    };
    let index = svc.index_of(&found.key)?;
    let mut state = index.state.lock();
    let mut taken: Vec<(u64, StoredMessage)> = Vec::new();
    let mut dropped: Vec<u64> = Vec::new();
    let mut moved: Vec<(u64, StoredMessage)> = Vec::new();
    let mut taken_seqs: HashSet<u64> = HashSet::new();
    let mut cursor = None;
    while taken.len() < request.max {
        let Some((t, seq)) = state.visible_after(now, cursor) else {
            break;
        };
        cursor = Some((t, seq));
        let Some(mut m) = svc.messages.get(&message_key(&found.key, seq))? else {
            dropped.push(seq);
            continue;
        };
        if m.sent_ms + retention_ms <= now {
            dropped.push(seq);
            continue;
        }
        if let Some(g) = m.group.as_ref().filter(|_| found.queue.fifo) {
            // A group is locked while a message of it is in flight, and
            // delivers in order: only its oldest message, or the next one
            // after a message taken in this same receive.
            let blocked = state.group_in_flight(g, now)
                || state
                    .group_head(g)
                    .is_some_and(|head| head != seq && !taken_seqs.contains(&head));
            if blocked {
                continue;
            }
        }
        if let (Some(r), Some(_)) = (&redrive, &dlq) {
            if m.receives >= r.max_receive_count {
                moved.push((seq, m));
                continue;
            }
        }
        m.receives += 1;
        m.first_receive_ms.get_or_insert(now);
        m.received_ms = Some(now);
        m.visible_ms = now + request.visibility_ms;
        taken_seqs.insert(seq);
        taken.push((seq, m));
    }
    svc.store.write(|txn| {
        for seq in dropped.iter().chain(moved.iter().map(|(s, _)| s)) {
            txn.delete(&svc.messages, &message_key(&found.key, *seq))?;
        }
        for (seq, m) in &taken {
            txn.put(&svc.messages, &message_key(&found.key, *seq), m)?;
        }
        Ok::<_, AwsError>(())
    })?;
    for seq in dropped.iter().chain(moved.iter().map(|(s, _)| s)) {
        state.remove(*seq);
    }
    for (seq, m) in &taken {
        state.set_visible(*seq, m.visible_ms, true);
    }
    drop(state);
    if let Some(dlq) = &dlq {
        let source = found.arn(ctx);
        for (_, mut m) in moved {
            m.source_arn = Some(source.clone());
            crate::redrive::enqueue(svc, ctx, dlq, m)?;
        }
    }
    Ok(taken
        .iter()
        .map(|(seq, m)| render(found, *seq, m, request))
        .collect())
}

fn wants(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == "All" || n == name)
}

fn wants_attribute(names: &[String], name: &str) -> bool {
    names.iter().any(|n| {
        n == "All"
            || n == ".*"
            || n == name
            || n.strip_suffix(".*").is_some_and(|prefix| {
                name.starts_with(prefix) && name[prefix.len()..].starts_with('.')
            })
    })
}

/// A received message, as `ReceiveMessage` answers it.
fn render(found: &Found, seq: u64, m: &StoredMessage, request: &ReceiveRequest) -> Value {
    let mut out = json!({
        "MessageId": m.id,
        "ReceiptHandle": encode_handle(&found.key, seq, m.receives),
        "MD5OfBody": m.md5_body,
        "Body": m.body,
    });
    let mut system = serde_json::Map::new();
    let names = &request.system_names;
    let mut put = |k: &str, v: String| {
        if wants(names, k) {
            system.insert(k.to_string(), Value::String(v));
        }
    };
    put("SenderId", m.sender.clone());
    put("SentTimestamp", m.sent_ms.to_string());
    put("ApproximateReceiveCount", m.receives.to_string());
    put(
        "ApproximateFirstReceiveTimestamp",
        m.first_receive_ms.unwrap_or(m.sent_ms).to_string(),
    );
    if let Some(s) = &m.sequence {
        put("SequenceNumber", s.clone());
    }
    if let Some(d) = &m.dedup {
        put("MessageDeduplicationId", d.clone());
    }
    if let Some(g) = &m.group {
        put("MessageGroupId", g.clone());
    }
    if let Some(s) = &m.source_arn {
        put("DeadLetterQueueSourceArn", s.clone());
    }
    if let Some(t) = m.system_attributes.get("AWSTraceHeader") {
        put(
            "AWSTraceHeader",
            t["StringValue"].as_str().unwrap_or_default().to_string(),
        );
    }
    if !system.is_empty() {
        out["Attributes"] = Value::Object(system);
    }
    let chosen: BTreeMap<&String, &Value> = m
        .attributes
        .iter()
        .filter(|(k, _)| wants_attribute(&request.attribute_names, k))
        .collect();
    if !chosen.is_empty() {
        if let Some(md5) = digest::md5_of_attributes(chosen.iter().map(|(k, v)| (*k, *v))) {
            out["MD5OfMessageAttributes"] = Value::String(md5);
        }
        out["MessageAttributes"] = json!(chosen);
    }
    out
}

/// Deletes the message a handle names; a handle from an earlier receive
/// deletes nothing and succeeds, as on AWS.
pub fn delete_one(svc: &SqsService, found: &Found, receipt: &str) -> Result<(), AwsError> {
    let handle = handle_of(found, receipt)?;
    let index = svc.index_of(&found.key)?;
    let mut state = index.state.lock();
    let key = message_key(&found.key, handle.seq);
    let Some(m) = svc.messages.get(&key)? else {
        return Ok(());
    };
    if m.receives != handle.receives {
        return Ok(());
    }
    svc.store.write(|txn| {
        txn.delete(&svc.messages, &key)?;
        Ok::<_, AwsError>(())
    })?;
    state.remove(handle.seq);
    Ok(())
}

/// `DeleteMessage`.
pub fn delete(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    delete_one(
        svc,
        &found,
        input["ReceiptHandle"].as_str().unwrap_or_default(),
    )?;
    Ok(json!({}))
}

/// Changes a received message's visibility timeout, counted from now.
pub fn change_one(
    svc: &SqsService,
    ctx: &RequestContext,
    found: &Found,
    receipt: &str,
    timeout: Option<i64>,
) -> Result<(), AwsError> {
    let timeout = timeout.ok_or_else(|| missing("VisibilityTimeout"))?;
    if !(0..=43_200).contains(&timeout) {
        return Err(invalid_value(
            timeout,
            "VisibilityTimeout",
            "Must be between 0 and 43200, if provided.",
        ));
    }
    let handle = handle_of(found, receipt)?;
    let now = ctx.clock.now_millis();
    let index = svc.index_of(&found.key)?;
    let mut state = index.state.lock();
    let key = message_key(&found.key, handle.seq);
    let expired = || invalid_value(receipt, "ReceiptHandle", "The receipt handle has expired.");
    let mut m = svc.messages.get(&key)?.ok_or_else(expired)?;
    if m.receives != handle.receives {
        return Err(expired());
    }
    if m.visible_ms <= now {
        return Err(SqsError::NotInflight.into());
    }
    let received = m.received_ms.unwrap_or(now);
    if now + timeout * 1000 - received > 43_200_000 {
        return Err(invalid_value(
            timeout,
            "VisibilityTimeout",
            "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
        ));
    }
    m.visible_ms = now + timeout * 1000;
    svc.store.write(|txn| {
        txn.put(&svc.messages, &key, &m)?;
        Ok::<_, AwsError>(())
    })?;
    state.set_visible(handle.seq, m.visible_ms, true);
    drop(state);
    if timeout == 0 {
        index.notify.notify_waiters();
    }
    Ok(())
}

/// `ChangeMessageVisibility`.
pub fn change_visibility(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    change_one(
        svc,
        ctx,
        &found,
        input["ReceiptHandle"].as_str().unwrap_or_default(),
        input["VisibilityTimeout"].as_i64(),
    )?;
    Ok(json!({}))
}
