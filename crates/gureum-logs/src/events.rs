//! Events: `PutLogEvents`, `GetLogEvents`, `FilterLogEvents`, and
//! [`LogsService::put_events_from_service`], the Rust interface other
//! services (EventBridge targets, Lambda) write logs through.
//!
//! An event's key ends in its *position*: the timestamp and the group's
//! sequence number, 16 digits each. Positions order a group's events in
//! time across its streams, so one stream's events are one key range in
//! time order (reads seek to `startTime` and stop at `endTime`), and the
//! tokens are positions: `GetLogEvents`' `f/<position>` (events after it)
//! and `b/<position>` (events before it), `FilterLogEvents`' opaque
//! base64 of the last position returned.

use crate::errors::{invalid, LogsError};
use crate::filter_pattern::Pattern;
use crate::streams::stream_key;
use crate::{group_name_of, metric_filters, retention, subscriptions, LogsService, StoredEvent};
use gureum_core::member::str_member;
use gureum_core::{AwsError, Clock, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;
use std::collections::VecDeque;
use std::ops::ControlFlow;

/// Most bytes in one batch (messages' UTF-8 bytes plus 26 per event).
const MAX_BATCH_BYTES: usize = 1_048_576;
/// Bytes counted per event on top of its message.
const EVENT_OVERHEAD: usize = 26;
/// How far in the future an event may be, milliseconds (2 hours).
const MAX_FUTURE_MS: i64 = 2 * 3_600_000;
/// How far in the past an event may be, milliseconds (14 days).
const MAX_AGE_MS: i64 = 14 * 86_400_000;
/// The widest span of one batch, milliseconds (24 hours).
const MAX_SPAN_MS: i64 = 86_400_000;
/// Most events one read returns.
const MAX_EVENTS: usize = 10_000;
/// Most message bytes one read returns (1 MB, as AWS pages).
const MAX_READ_BYTES: usize = 1_048_576;

/// One event another service writes ([`LogsService::put_events_from_service`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceEvent {
    /// When it happened, epoch milliseconds.
    pub timestamp: i64,
    /// The message.
    pub message: String,
}

/// The 32-digit position of an event.
pub(crate) fn position(timestamp: i64, seq: u64) -> String {
    format!("{:016}{:016}", timestamp.max(0), seq)
}

/// A group's event id for the event at `pos` (56 digits, as AWS's are).
pub(crate) fn event_id(pos: &str) -> String {
    format!("{pos}{:024}", 0)
}

/// An accepted batch: what was stored, and what was refused.
struct Accepted {
    events: Vec<StoredEvent>,
    too_new_start: Option<usize>,
    too_old_end: Option<usize>,
    expired_end: Option<usize>,
}

/// Applies AWS's batch rules to `(timestamp, message)` pairs.
fn check_batch(
    batch: &[(i64, &str)],
    now: i64,
    retention_days: Option<i64>,
) -> Result<Accepted, AwsError> {
    let size: usize = batch.iter().map(|(_, m)| m.len() + EVENT_OVERHEAD).sum();
    if size > MAX_BATCH_BYTES {
        return Err(invalid(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    if batch.windows(2).any(|w| w[1].0 < w[0].0) {
        return Err(invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
        if last.0 - first.0 > MAX_SPAN_MS {
            return Err(invalid(
                "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
            ));
        }
    }
    let retention_cutoff = retention_days.map(|d| now - d * 86_400_000);
    let mut out = Accepted {
        events: Vec::with_capacity(batch.len()),
        too_new_start: None,
        too_old_end: None,
        expired_end: None,
    };
    for (i, (ts, message)) in batch.iter().enumerate() {
        if *ts > now + MAX_FUTURE_MS {
            out.too_new_start.get_or_insert(i);
        } else if *ts < now - MAX_AGE_MS {
            out.too_old_end = Some(i + 1);
        } else if retention_cutoff.is_some_and(|c| *ts < c) {
            out.expired_end = Some(i + 1);
        } else {
            out.events.push(StoredEvent {
                timestamp: *ts,
                ingestion_time: now,
                message: (*message).to_string(),
                masked: Vec::new(),
            });
        }
    }
    Ok(out)
}

/// Stores `events` (already checked) in `group`/`stream` in one
/// transaction, creating the stream when `create` says so. Returns the
/// events' positions.
fn store_events(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
    stream: &str,
    events: &[StoredEvent],
    create: bool,
) -> Result<Vec<String>, AwsError> {
    let group_key = Scope::regional(ctx).key(group);
    let key = stream_key(ctx, group, stream);
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| {
        if create {
            crate::streams::create_in(svc, txn, ctx, group, stream)?;
        }
        let mut g = txn
            .get(&svc.log_groups, &group_key)?
            .ok_or(AwsError::from(LogsError::LogGroupNotFound))?;
        let mut s = txn
            .get(&svc.streams, &key)?
            .ok_or(AwsError::from(LogsError::LogStreamNotFound))?;
        let mut bytes = 0i64;
        let mut positions = Vec::with_capacity(events.len());
        for e in events {
            g.next_seq += 1;
            let pos = position(e.timestamp, g.next_seq);
            let k = format!("{key}:{pos}");
            positions.push(pos);
            txn.put(&svc.events, &k, e)?;
            bytes += e.message.len() as i64;
            s.first_event = Some(s.first_event.map_or(e.timestamp, |f| f.min(e.timestamp)));
            s.last_event = Some(s.last_event.map_or(e.timestamp, |l| l.max(e.timestamp)));
        }
        if !events.is_empty() {
            s.last_ingestion = Some(now);
        }
        s.stored_bytes += bytes;
        g.stored_bytes += bytes;
        txn.put(&svc.streams, &key, &s)?;
        txn.put(&svc.log_groups, &group_key, &g)?;
        Ok(positions)
    })
}

/// Marks what `group`'s data protection policy and the account's mask in
/// `events`.
fn mask(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &crate::LogGroup,
    events: &mut [StoredEvent],
) -> Result<(), AwsError> {
    let account = crate::account_policies::of_type(svc, ctx, "DATA_PROTECTION_POLICY")?;
    let documents = group
        .data_protection
        .iter()
        .map(|p| p.document.as_str())
        .chain(
            account
                .iter()
                .filter(|p| p.applies_to(&group.name))
                .map(|p| p.document.as_str()),
        );
    if let Some(masker) = crate::data_protection::Masker::from_policies(documents) {
        for e in events {
            e.masked = masker.spans(&e.message);
        }
    }
    Ok(())
}

/// What metric and subscription filters see of `events`: the masked text.
fn visible(events: &[StoredEvent]) -> std::borrow::Cow<'_, [StoredEvent]> {
    if events.iter().all(|e| e.masked.is_empty()) {
        std::borrow::Cow::Borrowed(events)
    } else {
        std::borrow::Cow::Owned(events.iter().map(StoredEvent::masked_view).collect())
    }
}

fn sequence_token(ctx: &RequestContext) -> String {
    format!("{:056}", ctx.clock.now_millis())
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let stream = str_member(input, "logStreamName").unwrap_or_default();
    let batch: Vec<(i64, &str)> = input
        .get("logEvents")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e.get("timestamp").and_then(Value::as_i64).unwrap_or(0),
                        e.get("message").and_then(Value::as_str).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let g = crate::load_group(svc, ctx, group)?;
    let now = ctx.clock.now_millis();
    let mut accepted = check_batch(&batch, now, g.retention_in_days)?;
    mask(svc, ctx, &g, &mut accepted.events)?;
    let positions = store_events(svc, ctx, group, stream, &accepted.events, false)?;
    let shown = visible(&accepted.events);
    metric_filters::emit(svc, ctx, group, &shown)?;
    subscriptions::deliver(svc, ctx, group, stream, &shown, &positions)?;
    svc.live_tails.publish(ctx, group, stream, &shown);
    let mut out = json!({ "nextSequenceToken": sequence_token(ctx) });
    let mut rejected = serde_json::Map::new();
    if let Some(i) = accepted.too_new_start {
        rejected.insert("tooNewLogEventStartIndex".into(), json!(i));
    }
    if let Some(i) = accepted.too_old_end {
        rejected.insert("tooOldLogEventEndIndex".into(), json!(i));
    }
    if let Some(i) = accepted.expired_end {
        rejected.insert("expiredLogEventEndIndex".into(), json!(i));
    }
    if !rejected.is_empty() {
        out["rejectedLogEventsInfo"] = Value::Object(rejected);
    }
    Ok(out)
}

impl LogsService {
    /// Writes `events` to `group`/`stream` in `scope` on behalf of another
    /// service (an EventBridge rule's log-group target, Lambda's function
    /// logs), creating the group and the stream when they do not exist.
    /// Events are sorted by time; AWS's age and future limits apply (events
    /// outside them are dropped, as `PutLogEvents` rejects them), and the
    /// group's metric filters see what is stored.
    pub fn put_events_from_service(
        &self,
        clock: &Clock,
        scope: Scope<'_>,
        group: &str,
        stream: &str,
        events: &[ServiceEvent],
    ) -> Result<(), AwsError> {
        let ctx = RequestContext::root(
            scope.account(),
            scope.region().unwrap_or("us-east-1"),
            clock.clone(),
        );
        let group_key = Scope::regional(&ctx).key(group);
        let now = clock.now_millis();
        self.store.write(|txn| {
            if txn.get(&self.log_groups, &group_key)?.is_none() {
                let g = crate::LogGroup {
                    name: group.to_string(),
                    creation_time: now,
                    retention_in_days: None,
                    kms_key_id: None,
                    log_group_class: "STANDARD".into(),
                    tags: Default::default(),
                    stored_bytes: 0,
                    metric_filter_count: 0,
                    next_seq: 0,
                    data_protection: None,
                    deletion_protection: false,
                };
                txn.put(&self.log_groups, &group_key, &g)?;
            }
            Ok::<_, AwsError>(())
        })?;
        let g = crate::load_group(self, &ctx, group)?;
        let mut sorted: Vec<(i64, &str)> = events
            .iter()
            .map(|e| (e.timestamp, e.message.as_str()))
            .collect();
        sorted.sort_by_key(|e| e.0);
        // Batches of at most 24 hours each, as PutLogEvents takes them.
        let mut start = 0;
        while start < sorted.len() {
            let first = sorted[start].0;
            let end = sorted[start..]
                .iter()
                .position(|e| e.0 - first > MAX_SPAN_MS)
                .map_or(sorted.len(), |i| start + i);
            let mut accepted = check_batch(&sorted[start..end], now, g.retention_in_days)?;
            mask(self, &ctx, &g, &mut accepted.events)?;
            let positions = store_events(self, &ctx, group, stream, &accepted.events, true)?;
            let shown = visible(&accepted.events);
            metric_filters::emit(self, &ctx, group, &shown)?;
            subscriptions::deliver(self, &ctx, group, stream, &shown, &positions)?;
            self.live_tails.publish(&ctx, group, stream, &shown);
            start = end;
        }
        if sorted.is_empty() {
            store_events(self, &ctx, group, stream, &[], true)?;
        }
        Ok(())
    }
}

/// Visits the events of the stream whose key prefix (with the trailing
/// `:`) is `prefix`, from just after `after` (a position or a 16-digit
/// timestamp, exclusive), in time order, until `visit` breaks.
pub(crate) fn scan_stream(
    svc: &LogsService,
    prefix: &str,
    after: &str,
    mut visit: impl FnMut(&str, StoredEvent) -> ControlFlow<()>,
) -> Result<(), AwsError> {
    let from = format!("{prefix}{after}");
    svc.events
        .visit_prefix(prefix, Some(&from), |k, e| visit(&k[prefix.len()..], e))?;
    Ok(())
}

fn bad_token() -> AwsError {
    invalid("The specified nextToken is invalid.")
}

/// A `GetLogEvents` token: direction (`true` forward) and position.
fn parse_get_token(token: &str) -> Result<(bool, String), AwsError> {
    let (dir, pos) = token.split_at_checked(2).ok_or_else(bad_token)?;
    let forward = match dir {
        "f/" => true,
        "b/" => false,
        _ => return Err(bad_token()),
    };
    if pos.len() != 32 || !pos.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_token());
    }
    Ok((forward, pos.to_string()))
}

/// Whether the caller asked to see masked data (IAM checked `logs:Unmask`).
fn unmask_of(input: &Value) -> bool {
    input
        .get("unmask")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn limit_of(input: &Value) -> usize {
    input
        .get("limit")
        .and_then(Value::as_i64)
        .map_or(MAX_EVENTS, |n| n.clamp(1, MAX_EVENTS as i64) as usize)
}

pub(crate) fn get(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = group_name_of(input)?;
    let stream = str_member(input, "logStreamName").unwrap_or_default();
    let start = input
        .get("startTime")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    let end = input.get("endTime").and_then(Value::as_i64);
    let limit = limit_of(input);
    let unmask = unmask_of(input);
    let token = str_member(input, "nextToken")
        .map(parse_get_token)
        .transpose()?;
    crate::load_group(svc, ctx, group)?;
    let key = stream_key(ctx, group, stream);
    retention::expire_group(svc, ctx, group)?;
    let stream = svc
        .streams
        .get(&key)?
        .ok_or(AwsError::from(LogsError::LogStreamNotFound))?;
    let prefix = format!("{key}:");
    let range_start = position(start, 0);
    let range_end = end.map_or_else(|| "9".repeat(32), |e| position(e, 0));
    let forward = match &token {
        Some((f, _)) => *f,
        None => input
            .get("startFromHead")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    // What to return: (position, event) in time order.
    let mut found: VecDeque<(String, StoredEvent)> = VecDeque::new();
    if forward {
        let from = match &token {
            Some((_, pos)) => pos.clone().max(range_start.clone()),
            None => range_start.clone(),
        };
        let mut bytes = 0;
        scan_stream(svc, &prefix, &from, |pos, e| {
            if pos >= range_end.as_str() || found.len() == limit || bytes >= MAX_READ_BYTES {
                return ControlFlow::Break(());
            }
            bytes += e.message.len() + EVENT_OVERHEAD;
            found.push_back((pos.to_string(), e));
            ControlFlow::Continue(())
        })?;
    } else {
        let until = match &token {
            Some((_, pos)) => pos.clone().min(range_end.clone()),
            None => range_end.clone(),
        };
        // No reverse cursor: scan a window of time ending at `until`,
        // keeping its last `limit` events, and widen the window fourfold until it
        // holds `limit` events or reaches the stream's first event (or the
        // range's start), so reading the tail of a long stream reads about
        // as much as it returns.
        let until_ts = until
            .get(..16)
            .and_then(|t| t.parse::<i64>().ok())
            .unwrap_or(i64::MAX)
            .min(stream.last_event.unwrap_or(0).saturating_add(1));
        let floor = start.max(stream.first_event.unwrap_or(start));
        let mut width: i64 = 60_000;
        loop {
            let lo = until_ts.saturating_sub(width).max(floor);
            found.clear();
            scan_stream(svc, &prefix, &position(lo, 0), |pos, e| {
                if pos >= until.as_str() {
                    return ControlFlow::Break(());
                }
                if found.len() == limit {
                    found.pop_front();
                }
                found.push_back((pos.to_string(), e));
                ControlFlow::Continue(())
            })?;
            if found.len() >= limit || lo <= floor {
                break;
            }
            width = width.saturating_mul(4);
        }
    }
    let (next_forward, next_backward) = match (found.front(), found.back()) {
        (Some((first, _)), Some((last, _))) => (format!("f/{last}"), format!("b/{first}")),
        // Nothing more that way: the same token again (the end of the
        // stream), and the other direction from the same place.
        _ => {
            let pos = match &token {
                Some((_, pos)) => pos.clone(),
                None if forward => range_start.clone(),
                None => range_end.clone(),
            };
            (format!("f/{pos}"), format!("b/{pos}"))
        }
    };
    let events: Vec<Value> = found
        .into_iter()
        .map(|(_, e)| {
            json!({
                "timestamp": e.timestamp,
                "message": e.shown(unmask),
                "ingestionTime": e.ingestion_time,
            })
        })
        .collect();
    Ok(json!({
        "events": events,
        "nextForwardToken": next_forward,
        "nextBackwardToken": next_backward,
    }))
}

/// One matched event of a filter, with where it came from.
pub(crate) struct Matched {
    pub(crate) stream: String,
    pub(crate) position: String,
    pub(crate) event: StoredEvent,
}

/// The streams of `group` a filter reads: the named ones, or those with
/// `prefix`, in name order.
pub(crate) fn streams_of(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
    names: Option<&[String]>,
    prefix: &str,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let scan = stream_key(ctx, group, prefix);
    svc.streams.visit_prefix(&scan, None, |_, s| {
        if names.is_none_or(|n| n.contains(&s.name)) {
            out.push(s.name);
        }
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// What a filter reads: streams, pattern, time range (inclusive), where
/// to resume and how many to return.
pub(crate) struct FilterSpec<'a> {
    pub(crate) streams: &'a [String],
    pub(crate) pattern: &'a Pattern,
    pub(crate) start: i64,
    pub(crate) end: Option<i64>,
    pub(crate) after: Option<&'a str>,
    pub(crate) limit: usize,
    pub(crate) unmask: bool,
}

/// The events `spec` selects in `group`, in time order; the flag says
/// whether more may follow.
pub(crate) fn filter_streams(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
    spec: &FilterSpec<'_>,
) -> Result<(Vec<Matched>, bool), AwsError> {
    let FilterSpec {
        streams,
        pattern,
        start,
        end,
        after,
        limit,
        unmask,
    } = *spec;
    let lower = position(start, 0);
    let from = match after {
        Some(a) if a > lower.as_str() => a.to_string(),
        _ => lower,
    };
    let end_ts = end.unwrap_or(i64::MAX);
    let mut all = Vec::new();
    let mut more = false;
    for stream in streams {
        let prefix = format!("{}:", stream_key(ctx, group, stream));
        let mut n = 0;
        scan_stream(svc, &prefix, &from, |pos, e| {
            if e.timestamp > end_ts {
                return ControlFlow::Break(());
            }
            if pattern.matches(&e.shown(unmask)) {
                if n == limit {
                    more = true;
                    return ControlFlow::Break(());
                }
                n += 1;
                all.push(Matched {
                    stream: stream.clone(),
                    position: pos.to_string(),
                    event: e,
                });
            }
            ControlFlow::Continue(())
        })?;
    }
    all.sort_by(|a, b| a.position.cmp(&b.position));
    if all.len() > limit {
        all.truncate(limit);
        more = true;
    }
    Ok((all, more))
}

pub(crate) fn filter(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = group_name_of(input)?;
    let names: Option<Vec<String>> =
        input
            .get("logStreamNames")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
    let prefix = str_member(input, "logStreamNamePrefix");
    if names.is_some() && prefix.is_some() {
        return Err(invalid(
            "Cannot specify both logStreamNames and logStreamNamePrefix (Gureum's wording).",
        ));
    }
    let pattern = Pattern::parse(str_member(input, "filterPattern").unwrap_or_default()).map_err(
        |e| match e.aws_reason() {
            Some(reason) => invalid(format!("Invalid filter pattern: {reason}")),
            None => invalid("Invalid filter pattern"),
        },
    )?;
    let start = input
        .get("startTime")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0);
    let end = input.get("endTime").and_then(Value::as_i64);
    let after = str_member(input, "nextToken")
        .map(|t| {
            paging::decode_token(t)
                .ok()
                .filter(|p| p.len() == 32 && p.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(bad_token)
        })
        .transpose()?;
    let limit = limit_of(input);
    crate::load_group(svc, ctx, group)?;
    retention::expire_group(svc, ctx, group)?;
    let streams = streams_of(
        svc,
        ctx,
        group,
        names.as_deref(),
        prefix.unwrap_or_default(),
    )?;
    // A named stream that does not exist is refused, as AWS refuses it.
    if names
        .as_ref()
        .is_some_and(|n| n.iter().any(|x| !streams.contains(x)))
    {
        return Err(LogsError::LogStreamNotFound.into());
    }
    let spec = FilterSpec {
        streams: &streams,
        pattern: &pattern,
        start,
        end,
        after: after.as_deref(),
        limit,
        unmask: unmask_of(input),
    };
    let (matched, mut more) = filter_streams(svc, ctx, group, &spec)?;
    // One page carries at most 1 MB of messages.
    let mut bytes = 0;
    let mut events = Vec::with_capacity(matched.len());
    let mut last = None;
    for m in matched {
        bytes += m.event.message.len() + EVENT_OVERHEAD;
        if bytes > MAX_READ_BYTES && !events.is_empty() {
            more = true;
            break;
        }
        events.push(json!({
            "logStreamName": m.stream,
            "timestamp": m.event.timestamp,
            "message": m.event.shown(spec.unmask),
            "ingestionTime": m.event.ingestion_time,
            "eventId": event_id(&m.position),
        }));
        last = Some(m.position);
    }
    let mut out = json!({ "events": events });
    if more {
        if let Some(pos) = last {
            out["nextToken"] = json!(paging::encode_token(&pos));
        }
    }
    Ok(out)
}
