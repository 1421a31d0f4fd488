//! Queue operations: create, find, list, delete, attributes, tags,
//! purge and permissions.

use crate::attributes::{self, READ_ONLY};
use crate::errors::{invalid, invalid_value, SqsError};
use crate::index::QueueIndex;
use crate::{url, Queue, SqsService, StoredMessage};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A queue found from a request: its key, account and record.
pub struct Found {
    /// `account/region/name`.
    pub key: String,
    /// The owning account.
    pub account: String,
    /// The queue.
    pub queue: Queue,
}

impl Found {
    /// The queue's ARN.
    pub fn arn(&self, ctx: &RequestContext) -> String {
        url::arn(&ctx.region, &self.account, &self.queue.name)
    }

    /// An attribute's number (its default when unset).
    pub fn number(&self, name: &str, default: i64) -> i64 {
        self.queue
            .attributes
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
}

/// The key of queue `name` of `account` in the caller's region.
pub fn key(ctx: &RequestContext, account: &str, name: &str) -> String {
    Scope::Region {
        account,
        region: &ctx.region,
    }
    .key(name)
}

/// The key of message `seq` of the queue at `queue_key`.
pub fn message_key(queue_key: &str, seq: u64) -> String {
    format!("{queue_key}/{seq:020}")
}

fn valid_name(name: &str, fifo: bool) -> bool {
    let stem = if fifo {
        match name.strip_suffix(".fifo") {
            Some(s) => s,
            None => return false,
        }
    } else {
        name
    };
    !stem.is_empty()
        && name.len() <= 80
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl SqsService {
    /// The queue `input.QueueUrl` names.
    pub(crate) fn find(&self, ctx: &RequestContext, input: &Value) -> Result<Found, AwsError> {
        let queue_url = input["QueueUrl"].as_str().unwrap_or_default();
        let (account, name) = url::parse(queue_url).ok_or(SqsError::NoSuchQueue)?;
        self.find_named(ctx, account, name)
    }

    /// Queue `name` of `account`.
    pub(crate) fn find_named(
        &self,
        ctx: &RequestContext,
        account: &str,
        name: &str,
    ) -> Result<Found, AwsError> {
        let key = key(ctx, account, name);
        let queue = self
            .queue_memo
            .get(&self.queues, &key)?
            .ok_or(SqsError::NoSuchQueue)?;
        Ok(Found {
            key,
            account: account.to_string(),
            queue,
        })
    }

    /// The queue an ARN names.
    pub(crate) fn find_arn(&self, ctx: &RequestContext, arn: &str) -> Result<Found, AwsError> {
        let (region, account, name) = url::parse_arn(arn).ok_or(SqsError::NoSuchQueue)?;
        if region != ctx.region {
            return Err(SqsError::NoSuchQueue.into());
        }
        self.find_named(ctx, account, name)
    }

    /// Queue `key`'s message index, read from the store on first use.
    pub(crate) fn index_of(&self, key: &str) -> Result<Arc<QueueIndex>, AwsError> {
        let q = self.index.queue(key);
        let fifo = key.ends_with(".fifo");
        {
            let mut state = q.state.lock();
            if !state.loaded {
                let prefix = format!("{key}/");
                for (k, m) in self.messages.scan_prefix(&prefix)? {
                    let Some(seq) = k[prefix.len()..].parse::<u64>().ok() else {
                        continue;
                    };
                    state.insert(
                        seq,
                        crate::index::Entry {
                            visible_ms: m.visible_ms,
                            received: m.receives > 0,
                            group: m.group.filter(|_| fifo),
                            sent_ms: m.sent_ms,
                        },
                    );
                }
                state.loaded = true;
            }
        }
        Ok(q)
    }
}

/// A `RedrivePolicy`'s target must be a queue of the same kind whose
/// `RedriveAllowPolicy` lets the source (`source`) use it.
fn check_dead_letter_target(
    svc: &SqsService,
    ctx: &RequestContext,
    policy: &str,
    source: &str,
    fifo: bool,
) -> Result<(), AwsError> {
    let Some(redrive) = attributes::redrive_policy(policy)? else {
        return Ok(());
    };
    let refuse = |reason: &str| invalid_value(policy, "RedrivePolicy", reason);
    let target = svc
        .find_arn(ctx, &redrive.target_arn)
        .map_err(|_| refuse("Dead letter target does not exist."))?;
    if target.queue.fifo != fifo {
        return Err(refuse(
            "Dead-letter queue must be the same type of queue as the source.",
        ));
    }
    let allow = target
        .queue
        .attributes
        .get("RedriveAllowPolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok());
    if let Some(allow) = allow {
        let source_arn = url::arn(&ctx.region, &ctx.account_id, source);
        let allowed = match allow["redrivePermission"].as_str() {
            Some("denyAll") => false,
            Some("byQueue") => allow["sourceQueueArns"]
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == source_arn.as_str())),
            _ => true,
        };
        if !allowed {
            return Err(refuse(
                "Dead-letter target's RedriveAllowPolicy does not allow this queue as a source.",
            ));
        }
    }
    Ok(())
}

/// `CreateQueue`.
pub fn create(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = input["QueueName"].as_str().unwrap_or_default();
    let given: BTreeMap<String, String> = input["Attributes"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let fifo = given
        .get("FifoQueue")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !valid_name(name, fifo) {
        return Err(invalid(if fifo || name.ends_with(".fifo") {
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
        } else {
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        }));
    }
    let mut attrs = attributes::defaults(fifo);
    for (k, v) in &given {
        if READ_ONLY.contains(&k.as_str()) {
            return Err(SqsError::BadAttributeName { name: k.clone() }.into());
        }
        let value = attributes::validate(k, v, fifo)?;
        if k == "RedrivePolicy" {
            check_dead_letter_target(svc, ctx, &value, name, fifo)?;
        }
        attrs.insert(k.clone(), value);
    }
    let tags: BTreeMap<String, String> = input["tags"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let key = key(ctx, &ctx.account_id, name);
    let now_s = ctx.clock.now_secs();
    let now_ms = ctx.clock.now_millis();
    svc.store.write(|txn| {
        if txn
            .get(&svc.deleted, &key)?
            .is_some_and(|at| now_ms - at < 60_000)
        {
            return Err(AwsError::from(SqsError::DeletedRecently));
        }
        if let Some(existing) = txn.get(&svc.queues, &key)? {
            // Idempotent with the same attributes; any difference refuses.
            for (k, v) in &attrs {
                let theirs = existing.attributes.get(k).map(String::as_str).unwrap_or("");
                if given.contains_key(k) && theirs != v {
                    return Err(AwsError::from(SqsError::NameExists {
                        attribute: k.clone(),
                    }));
                }
            }
            return Ok(());
        }
        let queue = Queue {
            name: name.to_string(),
            fifo,
            attributes: attrs.clone(),
            tags: tags.clone(),
            created_s: now_s,
            modified_s: now_s,
            purged_ms: None,
        };
        txn.put(&svc.queues, &key, &queue)?;
        Ok(())
    })?;
    Ok(json!({"QueueUrl": url::queue_url(ctx, &ctx.account_id, name)}))
}

/// `GetQueueUrl`.
pub fn get_url(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = input["QueueName"].as_str().unwrap_or_default();
    let account = input["QueueOwnerAWSAccountId"]
        .as_str()
        .unwrap_or(&ctx.account_id);
    let found = svc.find_named(ctx, account, name)?;
    Ok(json!({"QueueUrl": url::queue_url(ctx, &found.account, name)}))
}

/// `ListQueues`: the caller's queues whose names start with the prefix,
/// in name order; without `MaxResults`, up to 1,000 and no token.
pub fn list(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let prefix = input["QueueNamePrefix"].as_str().unwrap_or_default();
    let max = input["MaxResults"].as_i64();
    if let Some(n) = max {
        if !(1..=1000).contains(&n) {
            return Err(crate::errors::invalid_value(
                n,
                "MaxResults",
                "Must be between 1 and 1000, if provided.",
            ));
        }
    }
    let after = match input["NextToken"].as_str() {
        Some(t) => Some(
            gureum_kit::paging::decode_token(t).map_err(|_| invalid("Invalid NextToken value."))?,
        ),
        None => None,
    };
    let limit = max.unwrap_or(1000) as usize;
    let rows = svc.queues.scan_prefix(&scope.key(prefix))?;
    let mut urls = Vec::new();
    let mut last = None;
    let mut more = false;
    for (_, q) in rows {
        if after.as_deref().is_some_and(|a| q.name.as_str() <= a) {
            continue;
        }
        if urls.len() == limit {
            more = true;
            break;
        }
        urls.push(Value::String(url::queue_url(ctx, &ctx.account_id, &q.name)));
        last = Some(q.name);
    }
    let mut out = json!({});
    if !urls.is_empty() {
        out["QueueUrls"] = Value::Array(urls);
    }
    if let (true, Some(_), Some(last)) = (more, max, last) {
        out["NextToken"] = Value::String(gureum_kit::paging::encode_token(&last));
    }
    Ok(out)
}

/// `DeleteQueue`: the queue and its messages.
pub fn delete(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let index = svc.index_of(&found.key)?;
    let mut state = index.state.lock();
    let dedup_prefix = format!("{}/", found.key);
    let dedup_keys: Vec<String> = svc
        .dedup
        .scan_prefix(&dedup_prefix)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    svc.store.write(|txn| {
        for seq in state.all() {
            txn.delete(&svc.messages, &message_key(&found.key, seq))?;
        }
        for k in &dedup_keys {
            txn.delete(&svc.dedup, k)?;
        }
        txn.delete(&svc.queues, &found.key)?;
        txn.put(&svc.deleted, &found.key, &ctx.clock.now_millis())?;
        Ok::<_, AwsError>(())
    })?;
    state.clear();
    state.deleted = true;
    drop(state);
    svc.index.forget(&found.key);
    Ok(json!({}))
}

/// `GetQueueAttributes`.
pub fn get_attributes(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let names: Vec<&str> = input["AttributeNames"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let all = names.contains(&"All");
    let now = ctx.clock.now_millis();
    let retention_ms = found.number("MessageRetentionPeriod", 345_600) * 1000;
    let counts = svc
        .index_of(&found.key)?
        .state
        .lock()
        .counts(now, now - retention_ms);
    let mut computed: BTreeMap<&str, String> = BTreeMap::new();
    computed.insert("QueueArn", found.arn(ctx));
    computed.insert("ApproximateNumberOfMessages", counts.visible.to_string());
    computed.insert(
        "ApproximateNumberOfMessagesNotVisible",
        counts.in_flight.to_string(),
    );
    computed.insert(
        "ApproximateNumberOfMessagesDelayed",
        counts.delayed.to_string(),
    );
    computed.insert("CreatedTimestamp", found.queue.created_s.to_string());
    computed.insert("LastModifiedTimestamp", found.queue.modified_s.to_string());
    let mut out = serde_json::Map::new();
    let mut put = |k: &str, v: &str| {
        out.insert(k.to_string(), Value::String(v.to_string()));
    };
    for (k, v) in &computed {
        if all || names.contains(k) {
            put(k, v);
        }
    }
    for (k, v) in &found.queue.attributes {
        if (all || names.contains(&k.as_str())) && !v.is_empty() {
            put(k, v);
        }
    }
    for n in &names {
        let known = *n == "All"
            || computed.contains_key(n)
            || found.queue.attributes.contains_key(*n)
            || matches!(
                *n,
                "Policy"
                    | "RedrivePolicy"
                    | "RedriveAllowPolicy"
                    | "KmsMasterKeyId"
                    | "KmsDataKeyReusePeriodSeconds"
            )
            || (found.queue.fifo
                && matches!(
                    *n,
                    "FifoQueue"
                        | "ContentBasedDeduplication"
                        | "DeduplicationScope"
                        | "FifoThroughputLimit"
                ));
        if !known {
            return Err(SqsError::BadAttributeName {
                name: n.to_string(),
            }
            .into());
        }
    }
    if out.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Attributes": out }))
}

/// `SetQueueAttributes`.
pub fn set_attributes(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let mut queue = found.queue;
    let Some(given) = input["Attributes"].as_object() else {
        return Ok(json!({}));
    };
    for (k, v) in given {
        let v = v.as_str().unwrap_or_default();
        if READ_ONLY.contains(&k.as_str()) {
            return Err(SqsError::BadAttributeName { name: k.clone() }.into());
        }
        if k == "FifoQueue" {
            // A queue's kind is fixed at creation.
            let wanted = v.eq_ignore_ascii_case("true");
            if wanted != queue.fifo {
                return Err(SqsError::BadAttributeValue { name: k.clone() }.into());
            }
            continue;
        }
        let value = attributes::validate(k, v, queue.fifo)?;
        if k == "RedrivePolicy" {
            check_dead_letter_target(svc, ctx, &value, &queue.name, queue.fifo)?;
        }
        if value.is_empty() {
            queue.attributes.remove(k);
        } else {
            queue.attributes.insert(k.clone(), value);
        }
    }
    queue.modified_s = ctx.clock.now_secs();
    svc.store.write(|txn| {
        if txn.get(&svc.queues, &found.key)?.is_none() {
            return Err(AwsError::from(SqsError::NoSuchQueue));
        }
        txn.put(&svc.queues, &found.key, &queue)?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn update(
    svc: &SqsService,
    ctx: &RequestContext,
    input: &Value,
    change: impl FnOnce(&mut Queue) -> Result<(), AwsError>,
) -> Result<(), AwsError> {
    let found = svc.find(ctx, input)?;
    svc.store.write(|txn| {
        let mut queue = txn
            .get(&svc.queues, &found.key)?
            .ok_or(SqsError::NoSuchQueue)?;
        change(&mut queue)?;
        txn.put(&svc.queues, &found.key, &queue)?;
        Ok(())
    })
}

/// `TagQueue`.
pub fn tag(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    update(svc, ctx, input, |q| {
        if let Some(tags) = input["Tags"].as_object() {
            for (k, v) in tags {
                q.tags
                    .insert(k.clone(), v.as_str().unwrap_or_default().to_string());
            }
        }
        if q.tags.len() > 50 {
            return Err(invalid("Too many tags added for queue."));
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `UntagQueue`.
pub fn untag(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    update(svc, ctx, input, |q| {
        for k in input["TagKeys"].as_array().into_iter().flatten() {
            if let Some(k) = k.as_str() {
                q.tags.remove(k);
            }
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `ListQueueTags`.
pub fn list_tags(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    if found.queue.tags.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Tags": found.queue.tags }))
}

/// `PurgeQueue`: deletes every message; a second purge within 60 seconds
/// is refused.
pub fn purge(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let now = ctx.clock.now_millis();
    if found.queue.purged_ms.is_some_and(|t| now - t < 60_000) {
        return Err(SqsError::PurgeInProgress {
            name: found.queue.name.clone(),
        }
        .into());
    }
    let index = svc.index_of(&found.key)?;
    let mut state = index.state.lock();
    svc.store.write(|txn| {
        for seq in state.all() {
            txn.delete(&svc.messages, &message_key(&found.key, seq))?;
        }
        let mut queue = found.queue.clone();
        queue.purged_ms = Some(now);
        txn.put(&svc.queues, &found.key, &queue)?;
        Ok::<_, AwsError>(())
    })?;
    state.clear();
    Ok(json!({}))
}

/// `AddPermission`: a statement in the queue's `Policy`, with the label
/// as its `Sid`.
pub fn add_permission(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let label = input["Label"].as_str().unwrap_or_default().to_string();
    let found_arn = svc.find(ctx, input)?.arn(ctx);
    let principals: Vec<Value> = input["AWSAccountIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|a| Value::String(format!("arn:aws:iam::{a}:root")))
        .collect();
    let actions: Vec<Value> = input["Actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|a| Value::String(format!("SQS:{a}")))
        .collect();
    update(svc, ctx, input, |q| {
        let mut policy: Value = q
            .attributes
            .get("Policy")
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_else(|| {
                json!({"Version": "2012-10-17", "Id": format!("{found_arn}/SQSDefaultPolicy"), "Statement": []})
            });
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        if statements.iter().any(|s| s["Sid"] == label.as_str()) {
            return Err(invalid(format!(
                "Value {label} for parameter Label is invalid. Reason: Already exists."
            )));
        }
        let mut statements = statements;
        statements.push(json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals},
            "Action": actions,
            "Resource": found_arn,
        }));
        policy["Statement"] = Value::Array(statements);
        q.attributes.insert("Policy".into(), policy.to_string());
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RemovePermission`: drops the statement with the label.
pub fn remove_permission(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let label = input["Label"].as_str().unwrap_or_default().to_string();
    update(svc, ctx, input, |q| {
        let mut policy: Value = q
            .attributes
            .get("Policy")
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_else(|| json!({"Statement": []}));
        let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
        let kept: Vec<Value> = statements
            .iter()
            .filter(|s| s["Sid"] != label.as_str())
            .cloned()
            .collect();
        if kept.len() == statements.len() {
            return Err(invalid(format!(
                "Value {label} for parameter Label is invalid. Reason: can't find label on existing policy."
            )));
        }
        if kept.is_empty() {
            q.attributes.remove("Policy");
        } else {
            policy["Statement"] = Value::Array(kept);
            q.attributes.insert("Policy".into(), policy.to_string());
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// The stored messages of a queue, in sequence order (move tasks).
pub fn messages_of(
    svc: &SqsService,
    queue_key: &str,
) -> Result<Vec<(u64, StoredMessage)>, AwsError> {
    let prefix = format!("{queue_key}/");
    Ok(svc
        .messages
        .scan_prefix(&prefix)?
        .into_iter()
        .filter_map(|(k, m)| Some((k[prefix.len()..].parse().ok()?, m)))
        .collect())
}
