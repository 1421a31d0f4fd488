//! Log streams: `CreateLogStream`, `DeleteLogStream`, `DescribeLogStreams`.
//!
//! Streams are keyed `account/region/group:stream`, so a group's streams
//! are one range in name order (the default listing reads one page of it);
//! ordering by last event time, or descending, sorts the group's streams.

use crate::errors::{invalid, LogsError};
use crate::{group_arn, group_name_of, retention, LogStream, LogsService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::json;
use std::ops::ControlFlow;

/// The key of a stream (also the prefix of its events, with a `:`).
pub(crate) fn stream_key(ctx: &RequestContext, group: &str, stream: &str) -> String {
    Scope::regional(ctx).key(&format!("{group}:{stream}"))
}

/// The stream's ARN.
pub(crate) fn stream_arn(ctx: &RequestContext, group: &str, stream: &str) -> String {
    format!("{}:log-stream:{stream}", group_arn(ctx, group))
}

/// Creates `stream` in `group` inside a transaction (the group must exist;
/// `Ok(false)` when it already existed).
pub(crate) fn create_in(
    svc: &LogsService,
    txn: &mut gureum_store::WriteTxn,
    ctx: &RequestContext,
    group: &str,
    stream: &str,
) -> Result<bool, AwsError> {
    if txn
        .get(&svc.log_groups, &Scope::regional(ctx).key(group))?
        .is_none()
    {
        return Err(LogsError::LogGroupNotFound.into());
    }
    let key = stream_key(ctx, group, stream);
    if txn.get(&svc.streams, &key)?.is_some() {
        return Ok(false);
    }
    let s = LogStream {
        name: stream.to_string(),
        creation_time: ctx.clock.now_millis(),
        ..LogStream::default()
    };
    txn.put(&svc.streams, &key, &s)?;
    Ok(true)
}

pub(crate) fn create(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let stream = str_member(input, "logStreamName").unwrap_or_default();
    if stream.is_empty() || stream.contains([':', '*']) {
        return Err(AwsError::validation(format!(
            "1 validation error detected: Value '{stream}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*"
        )));
    }
    svc.store.write(|txn| {
        if create_in(svc, txn, ctx, group, stream)? {
            Ok(())
        } else {
            Err(AwsError::from(LogsError::LogStreamAlreadyExists))
        }
    })?;
    Ok(json!({}))
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let stream = str_member(input, "logStreamName").unwrap_or_default();
    let key = stream_key(ctx, group, stream);
    let mut events = Vec::new();
    svc.events.visit_prefix(&format!("{key}:"), None, |k, _| {
        events.push(k.to_string());
        ControlFlow::Continue(())
    })?;
    let group_key = Scope::regional(ctx).key(group);
    svc.store.write(|txn| {
        let mut g = txn
            .get(&svc.log_groups, &group_key)?
            .ok_or(AwsError::from(LogsError::LogGroupNotFound))?;
        let s = txn
            .get(&svc.streams, &key)?
            .ok_or(AwsError::from(LogsError::LogStreamNotFound))?;
        txn.delete(&svc.streams, &key)?;
        for k in &events {
            txn.delete(&svc.events, k)?;
        }
        g.stored_bytes = (g.stored_bytes - s.stored_bytes).max(0);
        txn.put(&svc.log_groups, &group_key, &g)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({}))
}

fn describe_one(ctx: &RequestContext, group: &str, s: &LogStream) -> Value {
    let mut v = json!({
        "logStreamName": s.name,
        "creationTime": s.creation_time,
        "arn": stream_arn(ctx, group, &s.name),
        "storedBytes": s.stored_bytes,
        "uploadSequenceToken": "49039859587646544712412359093711052196",
    });
    if let Some(t) = s.first_event {
        v["firstEventTimestamp"] = json!(t);
    }
    if let Some(t) = s.last_event {
        v["lastEventTimestamp"] = json!(t);
    }
    if let Some(t) = s.last_ingestion {
        v["lastIngestionTime"] = json!(t);
    }
    v
}

fn bad_paging(e: PagingError) -> AwsError {
    match e {
        PagingError::SizeOutOfRange { given, .. } => AwsError::validation(format!(
            "1 validation error detected: Value '{given}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
        )),
        PagingError::BadToken(_) => invalid("The specified nextToken is invalid."),
    }
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = group_name_of(input)?;
    let prefix = str_member(input, "logStreamNamePrefix").unwrap_or_default();
    let by_time = str_member(input, "orderBy") == Some("LastEventTime");
    let descending = input
        .get("descending")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if by_time && !prefix.is_empty() {
        return Err(invalid(
            "Cannot order by LastEventTime with a logStreamNamePrefix.",
        ));
    }
    let request = PageRequest::new(
        input.get("limit").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 50),
        50,
    )
    .map_err(bad_paging)?;
    crate::load_group(svc, ctx, group)?;
    retention::expire_group(svc, ctx, group)?;
    let scan = format!("{}{prefix}", stream_key(ctx, group, ""));
    let (items, next) = if !by_time && !descending {
        let page = paging::page(&svc.streams, &scan, &request, |_, s: LogStream| {
            Some(describe_one(ctx, group, &s))
        })?;
        (page.items, page.next_token)
    } else {
        let mut all = Vec::new();
        svc.streams.visit_prefix(&scan, None, |_, s: LogStream| {
            all.push(s);
            ControlFlow::Continue(())
        })?;
        let sort_key = |s: &LogStream| {
            if by_time {
                format!("{:020}:{}", s.last_event.unwrap_or(0), s.name)
            } else {
                s.name.clone()
            }
        };
        let mut keyed: Vec<(String, LogStream)> =
            all.into_iter().map(|s| (sort_key(&s), s)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if descending {
            keyed.reverse();
        }
        let start = match &request.after {
            Some(after) => keyed
                .iter()
                .position(|(k, _)| k == after)
                .map(|i| i + 1)
                .ok_or_else(|| invalid("The specified nextToken is invalid."))?,
            None => 0,
        };
        let rest = &keyed[start..];
        let taken = &rest[..rest.len().min(request.limit)];
        let next = (taken.len() < rest.len())
            .then(|| taken.last().map(|(k, _)| paging::encode_token(k)))
            .flatten();
        (
            taken
                .iter()
                .map(|(_, s)| describe_one(ctx, group, s))
                .collect(),
            next,
        )
    };
    let mut out = json!({ "logStreams": items });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}
