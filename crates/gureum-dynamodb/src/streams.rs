//! DynamoDB Streams (`dynamodbstreams`, json 1.0): a table with a stream
//! enabled gets one record per item change, written by
//! [`crate::storage::write_item`] in the same store transaction as the
//! change (so a record exists exactly when the change does), numbered by
//! a per-stream sequence. Each stream has one shard; iterators name the
//! stream, the shard and the next sequence number; records older than
//! 24 hours on Gureum's clock are no longer returned.

use crate::schema::TableMeta;
use crate::storage::Stores;
use crate::value::{item_size, item_to_json, Item};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_store::{Result as StoreResult, Store, WriteTxn};
use serde_json::json;

/// How long records are kept, ms.
const RETENTION_MS: i64 = 24 * 3600 * 1000;
/// How long an iterator stays valid, ms.
const ITERATOR_MS: i64 = 15 * 60 * 1000;

gureum_core::aws_errors! {
    /// DynamoDB Streams' errors.
    pub enum StreamsError {
        /// A stream ARN that names no stream.
        NoStream { arn: String } = ("ResourceNotFoundException", 400,
            "Requested resource not found: Stream: {arn} not found"),
        /// A shard the stream does not have.
        NoShard { shard: String } = ("ResourceNotFoundException", 400,
            "Requested resource not found: Shard: {shard} not found"),
        /// An iterator older than 15 minutes.
        Expired = ("ExpiredIteratorException", 400, "Iterator expired. The iterator was created more than 15 minutes ago."),
        /// An iterator or sequence number before the retained records.
        Trimmed = ("TrimmedDataAccessException", 400,
            "The operation attempted to read past the oldest stream record in a shard."),
    }
}

fn validation(m: impl Into<String>) -> AwsError {
    crate::errors::validation(m)
}

/// One item change, for its stream record.
pub struct Change<'a> {
    /// The item before (absent for an insert).
    pub old: Option<&'a Item>,
    /// The item after (absent for a removal).
    pub new: Option<&'a Item>,
    /// When, epoch ms on Gureum's clock.
    pub now_ms: i64,
    /// The service principal that made it (TTL deletions).
    pub service: Option<&'a str>,
    /// The region a replicated change came from (global tables): marked
    /// so that it is not replicated again.
    pub replica_of: Option<&'a str>,
}

/// A sequence number as AWS prints them (21 digits).
fn seq_text(n: u64) -> String {
    format!("{n:021}")
}

/// The shard id of a stream.
fn shard_id(meta: &TableMeta) -> String {
    let id: String = meta
        .id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .collect();
    format!("shardId-{:020}-{id}", meta.created_ms)
}

/// Appends the record of `change` to the table's stream, in `txn`.
pub fn record(
    s: &Stores,
    txn: &mut WriteTxn,
    table_key: &str,
    meta: &TableMeta,
    view: &str,
    change: &Change<'_>,
) -> StoreResult<()> {
    let Some(label) = &meta.stream_label else {
        return Ok(());
    };
    let (old, new) = (change.old, change.new);
    let name = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return Ok(()),
    };
    let stream_key = format!("{table_key}/{label}");
    let seq = txn.get(&s.sequences, &stream_key)?.unwrap_or(0) + 1;
    txn.put(&s.sequences, &stream_key, &seq)?;
    let any = new.or(old).cloned().unwrap_or_default();
    let keys = meta.key_item(&any);
    let mut size = item_size(&keys);
    let mut d = json!({
        "ApproximateCreationDateTime": change.now_ms / 1000,
        "Keys": item_to_json(&keys),
        "SequenceNumber": seq_text(seq),
        "StreamViewType": view,
    });
    if matches!(view, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES") {
        if let Some(n) = new {
            size += item_size(n);
            d["NewImage"] = item_to_json(n);
        }
    }
    if matches!(view, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES") {
        if let Some(o) = old {
            size += item_size(o);
            d["OldImage"] = item_to_json(o);
        }
    }
    d["SizeBytes"] = json!(size);
    let region = meta.arn.split(':').nth(3).unwrap_or_default();
    let mut r = json!({
        "eventID": gureum_core::id::hex(32),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": d,
        "at_ms": change.now_ms,
    });
    if let Some(p) = change.service {
        r["userIdentity"] = json!({"PrincipalId": p, "Type": "Service"});
    }
    if let Some(from) = change.replica_of {
        r["rep_from"] = json!(from);
    }
    txn.put(&s.records, &format!("{stream_key}/{}", seq_text(seq)), &r)
}

/// The DynamoDB Streams service, over the same store as DynamoDB.
pub struct DynamoDbStreamsService {
    s: Stores,
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl DynamoDbStreamsService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        DynamoDbStreamsService {
            s: Stores::new(store),
        }
    }

    /// The table and stream key of a stream ARN in the caller's scope.
    fn stream(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<(String, TableMeta, String), AwsError> {
        let missing = || {
            AwsError::from(StreamsError::NoStream {
                arn: arn.to_string(),
            })
        };
        let prefix = format!("arn:aws:dynamodb:{}:{}:table/", ctx.region, ctx.account_id);
        let rest = arn.strip_prefix(&prefix).ok_or_else(missing)?;
        let (table, label) = rest.split_once("/stream/").ok_or_else(missing)?;
        let tkey = Scope::regional(ctx).key(table);
        let meta = self.s.tables.get(&tkey)?.ok_or_else(missing)?;
        if meta.stream_label.as_deref() != Some(label) {
            return Err(missing());
        }
        let skey = format!("{tkey}/{label}");
        Ok((tkey, meta, skey))
    }

    /// `ListStreams`.
    fn list_streams(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let limit = (input.get("Limit").and_then(Value::as_u64).unwrap_or(100) as usize).max(1);
        let after = s(&input, "ExclusiveStartStreamArn");
        let mut streams = vec![];
        for (_, m) in self.s.tables.scan_prefix(&Scope::regional(ctx).prefix())? {
            if let Some(t) = s(&input, "TableName") {
                if t != m.name {
                    continue;
                }
            }
            if let (Some(arn), Some(label)) = (m.stream_arn(), &m.stream_label) {
                streams.push(json!({"StreamArn": arn, "TableName": m.name, "StreamLabel": label}));
            }
        }
        if let Some(a) = after {
            if let Some(i) = streams.iter().position(|x| x["StreamArn"] == a) {
                streams.drain(..=i);
            }
        }
        let more = streams.len() > limit;
        streams.truncate(limit);
        let mut out = json!({});
        if more {
            out["LastEvaluatedStreamArn"] = streams[limit - 1]["StreamArn"].clone();
        }
        out["Streams"] = Value::Array(streams);
        Ok(out)
    }

    /// `DescribeStream`.
    fn describe_stream(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "StreamArn").unwrap_or_default();
        let (_, meta, skey) = self.stream(ctx, arn)?;
        let first = self
            .s
            .records
            .scan_prefix_after(&format!("{skey}/"), None, 1)?
            .first()
            .and_then(|(_, r)| r["dynamodb"]["SequenceNumber"].as_str().map(String::from))
            .unwrap_or_else(|| seq_text(1));
        let enabled = meta.stream_view().is_some();
        let view = meta
            .stream
            .as_ref()
            .and_then(|v| s(v, "StreamViewType"))
            .unwrap_or("KEYS_ONLY")
            .to_string();
        let label = meta.stream_label.clone().unwrap_or_default();
        let created =
            gureum_core::timestamp::parse_iso8601(&format!("{label}Z")).unwrap_or(meta.created_ms);
        let mut range = json!({"StartingSequenceNumber": first});
        // One shard, never split: a page after it, or its children, is
        // empty; `Limit` (at least 1) always fits it.
        let after_it = s(&input, "ExclusiveStartShardId").is_some();
        let children = input
            .get("ShardFilter")
            .is_some_and(|f| s(f, "Type") == Some("CHILD_SHARDS"));
        let _limit = input.get("Limit");
        if !enabled {
            let last = self.s.sequences.get(&skey)?.unwrap_or(0);
            range["EndingSequenceNumber"] = json!(seq_text(last.max(1)));
        }
        let shards = if after_it || children {
            json!([])
        } else {
            json!([{"ShardId": shard_id(&meta), "SequenceNumberRange": range}])
        };
        Ok(json!({"StreamDescription": {
            "StreamArn": arn,
            "StreamLabel": label,
            "StreamStatus": if enabled { "ENABLED" } else { "DISABLED" },
            "StreamViewType": view,
            "CreationRequestDateTime": created as f64 / 1000.0,
            "TableName": meta.name,
            "KeySchema": meta.keys.to_json(),
            "Shards": shards,
        }}))
    }

    /// `GetShardIterator`.
    fn get_shard_iterator(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "StreamArn").unwrap_or_default();
        let (_, meta, skey) = self.stream(ctx, arn)?;
        let shard = s(&input, "ShardId").unwrap_or_default();
        if shard != shard_id(&meta) {
            return Err(StreamsError::NoShard {
                shard: shard.to_string(),
            }
            .into());
        }
        let seq = || -> Result<u64, AwsError> {
            s(&input, "SequenceNumber")
                .and_then(|x| x.parse::<u64>().ok())
                .ok_or_else(|| {
                    validation("Invalid SequenceNumber: a sequence number is required for AT_SEQUENCE_NUMBER and AFTER_SEQUENCE_NUMBER")
                })
        };
        let next = match s(&input, "ShardIteratorType").unwrap_or_default() {
            "TRIM_HORIZON" => 1,
            "LATEST" => self.s.sequences.get(&skey)?.unwrap_or(0) + 1,
            "AT_SEQUENCE_NUMBER" => seq()?,
            _ => seq()? + 1,
        };
        Ok(json!({"ShardIterator": iterator(arn, shard, next, ctx.clock.now_millis())}))
    }

    /// `GetRecords`.
    fn get_records(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let it = s(&input, "ShardIterator").unwrap_or_default();
        let parts: Vec<&str> = it.split('|').collect();
        let [arn, shard, next, issued] = parts.as_slice() else {
            return Err(validation("Invalid ShardIterator"));
        };
        let (next, issued) = match (next.parse::<u64>(), issued.parse::<i64>()) {
            (Ok(n), Ok(i)) => (n, i),
            _ => return Err(validation("Invalid ShardIterator")),
        };
        let now = ctx.clock.now_millis();
        if now - issued > ITERATOR_MS {
            return Err(StreamsError::Expired.into());
        }
        let (_, meta, skey) = self.stream(ctx, arn)?;
        let limit = input
            .get("Limit")
            .and_then(Value::as_u64)
            .unwrap_or(1000)
            .min(1000) as usize;
        let start = format!("{skey}/{}", seq_text(next));
        let end = format!("{skey}0");
        let rows = self.s.records.scan_range(&start, Some(&end), limit)?;
        let mut records = vec![];
        let mut last = next.saturating_sub(1);
        for (_, mut r) in rows {
            let at = r.get("at_ms").and_then(Value::as_i64).unwrap_or(0);
            if let Some(n) = r["dynamodb"]["SequenceNumber"]
                .as_str()
                .and_then(|x| x.parse().ok())
            {
                last = n;
            }
            if now - at > RETENTION_MS {
                continue;
            }
            if let Some(o) = r.as_object_mut() {
                o.remove("at_ms");
                o.remove("rep_from");
            }
            records.push(r);
        }
        let mut out = json!({"Records": records});
        let closed =
            meta.stream_view().is_none() && last >= self.s.sequences.get(&skey)?.unwrap_or(0);
        if !closed {
            out["NextShardIterator"] = json!(iterator(arn, shard, last + 1, now));
        }
        Ok(out)
    }
}

/// A stream as another service reads it (Lambda's event source
/// mappings): positions are sequence numbers, with no iterators to expire.
impl DynamoDbStreamsService {
    /// The sequence number a reader starting at the stream's end reads
    /// next (`LATEST`); `ResourceNotFoundException` for an unknown stream.
    pub fn latest_position(
        &self,
        account: &str,
        region: &str,
        stream_arn: &str,
    ) -> Result<u64, AwsError> {
        let ctx = RequestContext::root(account, region, gureum_core::Clock::system());
        let (_, _, skey) = self.stream(&ctx, stream_arn)?;
        Ok(self.s.sequences.get(&skey)?.unwrap_or(0) + 1)
    }

    /// Up to `max` records of `stream_arn` from sequence number `from` on,
    /// each with its sequence number, in `GetRecords`' shape; records older
    /// than the retention (on `now_ms`) are skipped.
    pub fn read_from(
        &self,
        account: &str,
        region: &str,
        stream_arn: &str,
        from: u64,
        max: usize,
        now_ms: i64,
    ) -> Result<Vec<(u64, Value)>, AwsError> {
        let ctx = RequestContext::root(account, region, gureum_core::Clock::system());
        let (_, _, skey) = self.stream(&ctx, stream_arn)?;
        let start = format!("{skey}/{}", seq_text(from.max(1)));
        let end = format!("{skey}0");
        let rows = self.s.records.scan_range(&start, Some(&end), max)?;
        let mut out = Vec::new();
        for (_, mut r) in rows {
            let at = r.get("at_ms").and_then(Value::as_i64).unwrap_or(0);
            let Some(n) = r["dynamodb"]["SequenceNumber"]
                .as_str()
                .and_then(|x| x.parse::<u64>().ok())
            else {
                continue;
            };
            if now_ms - at > RETENTION_MS {
                continue;
            }
            if let Some(o) = r.as_object_mut() {
                o.remove("at_ms");
                o.remove("rep_from");
            }
            out.push((n, r));
        }
        Ok(out)
    }
}

/// An iterator: the stream, the shard, the next sequence number and when
/// it was issued.
fn iterator(arn: &str, shard: &str, next: u64, now_ms: i64) -> String {
    format!("{arn}|{shard}|{next}|{now_ms}")
}

gureum_core::service_operations! {
    DynamoDbStreamsService, "dynamodbstreams",
    "DescribeStream" => describe_stream,
    "GetRecords" => get_records,
    "GetShardIterator" => get_shard_iterator,
    "ListStreams" => list_streams,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_errors_match_the_model() {
        let model = gureum_model::load("dynamodbstreams").expect("model");
        let problems = gureum_protocol::check_declared_errors(&model, StreamsError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
