//! CloudWatch Logs Insights: `StartQuery`, `GetQueryResults`,
//! `StopQuery`, `DescribeQueries`, `GetLogRecord` and `GetLogGroupFields`
//! over the query language of [`language`].
//!
//! Queries run to completion when started (Gureum reads its own store, so
//! there is nothing to wait for); the result is kept in `logs.queries`
//! and `GetQueryResults` answers `Complete` with it. The per-record
//! commands run while events are read, on records holding only the
//! fields the query reads, so only what passes is kept in memory.

pub mod language;

pub use language::{
    eval, format_time, record_of, Command, Expr, Named, Outcome, Query, Record, Val,
};

use crate::errors::{invalid, LogsError};
use crate::events::{position, scan_stream, streams_of};
use crate::streams::stream_key;
use crate::{name_from_identifier, retention, LogsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use language::{field_of, flatten};
use serde_json::json;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;

/// The record of one event with only the `needed` fields (JSON messages
/// are parsed only when the query reads a field that is not a system one).
fn record_for(
    needed: &HashSet<String>,
    json_fields: bool,
    event: (&str, &str, &str, &crate::StoredEvent),
    account: &str,
) -> Record {
    let (group, stream, pos, e) = event;
    let mut r = Record::new();
    let message = e.shown(false);
    if json_fields && message.starts_with('{') {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&message) {
            flatten("", &v, &mut r);
            r.retain(|k, _| needed.contains(k));
        }
    }
    let mut put = |k: &str, v: Val| {
        if needed.contains(k) {
            r.insert(k.to_string(), v);
        }
    };
    put("@timestamp", Val::Time(e.timestamp));
    put("@ingestionTime", Val::Time(e.ingestion_time));
    if needed.contains("@message") {
        put("@message", Val::Str(message.clone().into_owned()));
    }
    if needed.contains("@logStream") {
        put("@logStream", Val::Str(stream.to_string()));
    }
    if needed.contains("@log") {
        put("@log", Val::Str(format!("{account}:{group}")));
    }
    if needed.contains("@ptr") {
        put("@ptr", Val::Str(pointer(group, stream, pos)));
    }
    r
}

/// The `@ptr` of an event: its group, stream and position, opaque.
fn pointer(group: &str, stream: &str, pos: &str) -> String {
    gureum_kit::paging::encode_token(&format!("{group}:{stream}:{pos}"))
}

/// `GetLogRecord`: every field of the event a `@ptr` names.
pub(crate) fn get_record(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let ptr = str_member(input, "logRecordPointer").unwrap_or_default();
    let bad = || invalid("The specified log record pointer is invalid (Gureum's wording).");
    let decoded = gureum_kit::paging::decode_token(ptr).map_err(|_| bad())?;
    let mut parts = decoded.splitn(3, ':');
    let (Some(group), Some(stream), Some(pos)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let key = format!("{}:{pos}", stream_key(ctx, group, stream));
    let event = svc
        .events
        .get(&key)?
        .ok_or(AwsError::from(LogsError::LogStreamNotFound))?;
    let record = record_of(
        &ctx.account_id,
        group,
        stream,
        ptr,
        event.timestamp,
        event.ingestion_time,
        &event.shown(
            input
                .get("unmask")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
    );
    let fields: serde_json::Map<String, Value> = record
        .into_iter()
        .filter(|(k, _)| k != "@ptr")
        .filter_map(|(k, v)| {
            let text = match v {
                Val::Time(t) => Some(t.to_string()),
                other => other.render(),
            };
            text.map(|t| (k, json!(t)))
        })
        .collect();
    Ok(json!({ "logRecord": fields }))
}

/// `GetLogGroupFields`: the fields of the group's events in the 15
/// minutes before `time` (default now), each with the percentage of
/// events that have it.
pub(crate) fn group_fields(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = crate::group_name_of(input)?;
    crate::load_group(svc, ctx, group)?;
    let end_ms = input
        .get("time")
        .and_then(Value::as_i64)
        .map_or_else(|| ctx.clock.now_millis(), |t| t.saturating_mul(1000));
    let start_ms = end_ms - 15 * 60_000;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut total = 0u64;
    for stream in streams_of(svc, ctx, group, None, "")? {
        let prefix = format!("{}:", stream_key(ctx, group, &stream));
        scan_stream(svc, &prefix, &position(start_ms, 0), |_, e| {
            if e.timestamp > end_ms {
                return ControlFlow::Break(());
            }
            total += 1;
            let r = record_of(
                "",
                "",
                "",
                "",
                e.timestamp,
                e.ingestion_time,
                &e.shown(false),
            );
            for k in r.keys() {
                if k != "@ptr" && k != "@log" && k != "@logStream" {
                    *counts.entry(k.clone()).or_default() += 1;
                }
            }
            ControlFlow::Continue(())
        })?;
    }
    let fields: Vec<Value> = counts
        .into_iter()
        .map(|(name, n)| json!({ "name": name, "percent": (n * 100 / total.max(1)) as i64 }))
        .collect();
    Ok(json!({ "logGroupFields": fields }))
}

/// A query, as kept in `logs.queries`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredQuery {
    /// The id.
    pub id: String,
    /// The query text.
    pub query: String,
    /// The groups it read.
    pub groups: Vec<String>,
    /// `Complete`, `Cancelled`, `Failed`.
    pub status: String,
    /// When it was started, epoch milliseconds.
    pub created: i64,
    /// The result.
    pub outcome: Outcome,
}

pub(crate) fn start(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut groups: Vec<String> = Vec::new();
    if let Some(n) = str_member(input, "logGroupName") {
        groups.push(n.to_string());
    }
    for member in ["logGroupNames", "logGroupIdentifiers"] {
        if let Some(a) = input.get(member).and_then(Value::as_array) {
            groups.extend(
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|s| name_from_identifier(s).to_string()),
            );
        }
    }
    if groups.is_empty() {
        return Err(invalid(
            "Query must specify either log group names or log group identifiers (Gureum's wording).",
        ));
    }
    if str_member(input, "queryLanguage").is_some_and(|l| l != "CWLI") {
        return Err(invalid(
            "Only the CWLI query language is supported by Gureum.",
        ));
    }
    let start_s = input.get("startTime").and_then(Value::as_i64).unwrap_or(0);
    let end_s = input.get("endTime").and_then(Value::as_i64).unwrap_or(0);
    if end_s < start_s {
        return Err(invalid("End time cannot be less than Start time"));
    }
    let text = str_member(input, "queryString").unwrap_or_default();
    let query = Query::parse(text).map_err(|m| LogsError::MalformedQuery { message: m })?;
    let limit = input
        .get("limit")
        .and_then(Value::as_i64)
        .map_or(10_000, |n| n.clamp(1, 10_000) as usize);
    // Records are built with only the fields the query reads, and the
    // per-record commands run while events are read, so only what passes
    // is kept in memory.
    let needed = query.needed_fields();
    let json_fields = needed.iter().any(|f| !f.starts_with('@'));
    let mut kept = Vec::new();
    let (mut scanned, mut bytes) = (0u64, 0u64);
    for g in &groups {
        crate::load_group(svc, ctx, g)?;
        retention::expire_group(svc, ctx, g)?;
        for stream in streams_of(svc, ctx, g, None, "")? {
            let prefix = format!("{}:", stream_key(ctx, g, &stream));
            let end_ms = end_s.saturating_mul(1000);
            scan_stream(svc, &prefix, &position(start_s * 1000, 0), |pos, e| {
                if e.timestamp > end_ms {
                    return ControlFlow::Break(());
                }
                scanned += 1;
                bytes += e.message.len() as u64;
                let mut r =
                    record_for(&needed, json_fields, (g, &stream, pos, &e), &ctx.account_id);
                if query.admit(&mut r) {
                    kept.push(r);
                }
                ControlFlow::Continue(())
            })?;
        }
    }
    // Newest first, as Insights reads when no sort is given (an
    // aggregation that comes first orders its own rows).
    let aggregates_first = matches!(
        query.commands.get(query.per_record_prefix()),
        Some(Command::Stats(..))
    );
    if !aggregates_first {
        kept.sort_by(|a, b| {
            field_of(b, "@timestamp")
                .cmp_to(&field_of(a, "@timestamp"))
                .unwrap_or(Ordering::Equal)
        });
    }
    let outcome = query.finish(kept, scanned, bytes, limit);
    let id = gureum_core::id::uuid_v4();
    let stored = StoredQuery {
        id: id.clone(),
        query: text.to_string(),
        groups,
        status: "Complete".into(),
        created: ctx.clock.now_millis(),
        outcome,
    };
    svc.queries.put(&Scope::regional(ctx).key(&id), &stored)?;
    Ok(json!({ "queryId": id }))
}

fn load(svc: &LogsService, ctx: &RequestContext, input: &Value) -> Result<StoredQuery, AwsError> {
    let id = str_member(input, "queryId").unwrap_or_default();
    svc.queries
        .get(&Scope::regional(ctx).key(id))?
        .ok_or_else(|| LogsError::QueryNotFound { id: id.to_string() }.into())
}

pub(crate) fn results(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let q = load(svc, ctx, input)?;
    // Pages of `maxItems` rows; the token is the offset of the next row.
    let offset = match str_member(input, "nextToken") {
        Some(t) => gureum_kit::paging::decode_token(t)
            .ok()
            .and_then(|o| o.parse::<usize>().ok())
            .ok_or_else(|| invalid("The specified nextToken is invalid."))?,
        None => 0,
    };
    let max = input
        .get("maxItems")
        .and_then(Value::as_i64)
        .filter(|n| *n > 0)
        .map_or(usize::MAX, |n| n as usize);
    let total = q.outcome.rows.len();
    let end = offset.saturating_add(max).min(total);
    let rows: Vec<Value> = q
        .outcome
        .rows
        .get(offset.min(total)..end)
        .unwrap_or_default()
        .iter()
        .map(|row| {
            Value::Array(
                row.iter()
                    .map(|(f, v)| json!({ "field": f, "value": v }))
                    .collect(),
            )
        })
        .collect();
    let mut out = json!({
        "queryLanguage": "CWLI",
        "results": rows,
        "statistics": {
            "recordsMatched": q.outcome.matched as f64,
            "recordsScanned": q.outcome.scanned as f64,
            "bytesScanned": q.outcome.bytes as f64,
        },
        "status": q.status,
    });
    if end < total {
        out["nextToken"] = json!(gureum_kit::paging::encode_token(&end.to_string()));
    }
    Ok(out)
}

pub(crate) fn stop(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    load(svc, ctx, input)?;
    // Every query has completed by the time StopQuery can name it.
    Ok(json!({ "success": false }))
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName");
    let status = str_member(input, "status");
    // Every query Gureum runs is a CWLI query.
    if str_member(input, "queryLanguage").is_some_and(|l| l != "CWLI") {
        return Ok(json!({ "queries": [] }));
    }
    let request = gureum_kit::paging::PageRequest::new(
        input.get("maxResults").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 1000),
        1000,
    )
    .map_err(|_| invalid("The specified nextToken is invalid."))?;
    let mut all = Vec::new();
    svc.queries
        .visit_prefix(&Scope::regional(ctx).prefix(), None, |_, q: StoredQuery| {
            if group.is_none_or(|g| q.groups.iter().any(|x| x == g))
                && status.is_none_or(|s| q.status == s)
            {
                all.push(q);
            }
            ControlFlow::Continue(())
        })?;
    // Newest first: the key sorts by creation time, descending.
    let key = |q: &StoredQuery| format!("{:020}{}", i64::MAX - q.created, q.id);
    all.sort_by_key(key);
    let page = gureum_kit::paging::page_sorted(&all, key, &request);
    let queries: Vec<Value> = page
        .items
        .iter()
        .map(|q| {
            json!({
                "queryLanguage": "CWLI",
                "queryId": q.id,
                "queryString": q.query,
                "status": q.status,
                "createTime": q.created,
                "logGroupName": q.groups.first().cloned().unwrap_or_default(),
            })
        })
        .collect();
    let mut out = json!({ "queries": queries });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
