//! Live Tail (`StartLiveTail`): a response that streams, in AWS's event
//! stream framing, one `sessionStart` and then, every second, a
//! `sessionUpdate` with the events ingested since the last one that the
//! session's log groups, stream names or prefixes and filter pattern
//! select — an empty list when there were none, at most 500 (sampled down,
//! with `sessionMetadata.sampled` true, when more matched). The session
//! ends with a `SessionTimeoutException` after three hours on Gureum's
//! clock, or when the client goes away (the server drops the body).
//!
//! Sessions live in memory only: a session is a connection, which a
//! restart ends anyway. Each holds a buffer that `PutLogEvents` (and
//! [`LogsService::put_events_from_service`](crate::LogsService)) fill
//! through [`Hub::publish`]; the stream drains it on its one-second tick.
//! The hub keeps only weak references, so a session whose client left
//! disappears with its body.

use crate::errors::invalid;
use crate::filter_pattern::Pattern;
use crate::{LogsService, StoredEvent};
use bytes::Bytes;
use gureum_core::member::str_member;
use gureum_core::{AwsError, ByteSource, Clock, Reply, RequestContext, ResponseBody, Value};
use gureum_protocol::eventstream::Message;
use serde_json::json;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a session may stay open (three hours).
const SESSION_LIMIT_MS: i64 = 3 * 3_600_000;
/// Most events one `sessionUpdate` carries.
const MAX_PER_UPDATE: usize = 500;
/// Most events buffered for a slow reader; the oldest go first.
const MAX_BUFFERED: usize = 5000;
/// How often a `sessionUpdate` is sent.
const TICK: Duration = Duration::from_secs(1);

/// The payloads' content type.
const JSON: &str = "application/json";

/// Events waiting for the session's next update.
#[derive(Default)]
struct Buffer {
    events: VecDeque<Value>,
    /// More arrived than the buffer holds since the last update.
    overflowed: bool,
}

/// One open session's selection and buffer.
struct Session {
    account: String,
    region: String,
    /// `(group name, identifier as the client gave it)`.
    groups: Vec<(String, String)>,
    streams: Vec<String>,
    prefixes: Vec<String>,
    pattern: Pattern,
    buffer: Weak<Mutex<Buffer>>,
}

impl Session {
    fn selects(&self, ctx: &RequestContext, group: &str, stream: &str) -> Option<&str> {
        if self.account != ctx.account_id || self.region != ctx.region {
            return None;
        }
        let (_, ident) = self.groups.iter().find(|(n, _)| n == group)?;
        if !self.streams.is_empty() && !self.streams.iter().any(|s| s == stream) {
            return None;
        }
        if !self.prefixes.is_empty() && !self.prefixes.iter().any(|p| stream.starts_with(p)) {
            return None;
        }
        Some(ident)
    }
}

/// The open sessions of one service.
#[derive(Default)]
pub(crate) struct Hub {
    sessions: Mutex<Vec<Session>>,
}

impl Hub {
    /// Offers what was just stored in `group`/`stream` to every session
    /// that selects it, forgetting sessions whose clients left.
    pub(crate) fn publish(
        &self,
        ctx: &RequestContext,
        group: &str,
        stream: &str,
        events: &[StoredEvent],
    ) {
        if events.is_empty() {
            return;
        }
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|s| s.buffer.strong_count() > 0);
        for s in sessions.iter() {
            let Some(ident) = s.selects(ctx, group, stream) else {
                continue;
            };
            let Some(buffer) = s.buffer.upgrade() else {
                continue;
            };
            let mut b = buffer.lock().unwrap_or_else(|p| p.into_inner());
            for e in events.iter().filter(|e| s.pattern.matches(&e.message)) {
                if b.events.len() == MAX_BUFFERED {
                    b.events.pop_front();
                    b.overflowed = true;
                }
                b.events.push_back(json!({
                    "logStreamName": stream,
                    "logGroupIdentifier": ident,
                    "message": e.message,
                    "timestamp": e.timestamp,
                    "ingestionTime": e.ingestion_time,
                }));
            }
        }
    }

    /// How many sessions are open (their clients still reading).
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions
            .iter()
            .filter(|s| s.buffer.strong_count() > 0)
            .count()
    }
}

/// The strings of list member `name` (absent: empty).
fn strings(input: &Value, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the request and opens the session.
pub(crate) async fn start(
    svc: &LogsService,
    ctx: &RequestContext,
    input: Value,
) -> Result<Reply, AwsError> {
    let identifiers = strings(&input, "logGroupIdentifiers");
    let streams = strings(&input, "logStreamNames");
    let prefixes = strings(&input, "logStreamNamePrefixes");
    if !streams.is_empty() && !prefixes.is_empty() {
        return Err(invalid(
            "logStreamNames and logStreamNamePrefixes are mutually exclusive parameters (Gureum's wording).",
        ));
    }
    if (!streams.is_empty() || !prefixes.is_empty()) && identifiers.len() != 1 {
        return Err(invalid(
            "logStreamNames and logStreamNamePrefixes can be specified only with exactly one log group in logGroupIdentifiers (Gureum's wording).",
        ));
    }
    let pattern_text = str_member(&input, "logEventFilterPattern").unwrap_or_default();
    let pattern = Pattern::parse(pattern_text)
        .map_err(|e| invalid(e.aws_reason().unwrap_or("Invalid filter pattern")))?;
    let mut groups = Vec::with_capacity(identifiers.len());
    for ident in &identifiers {
        if ident.ends_with('*') {
            return Err(invalid(format!(
                "The log group identifier {ident} can't end with an asterisk (Gureum's wording)."
            )));
        }
        // An ARN names its account and region; Gureum links no accounts
        // (cross-account observability), so only the caller's are found.
        if let Some(rest) = ident.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() < 5 || parts[1] != "logs" {
                return Err(invalid(format!(
                    "Invalid log group identifier: {ident} (Gureum's wording)."
                )));
            }
            if parts[2] != ctx.region || parts[3] != ctx.account_id {
                return Err(crate::errors::LogsError::LogGroupNotFound.into());
            }
        }
        let name = crate::name_from_identifier(ident);
        crate::load_group(svc, ctx, name)?;
        groups.push((name.to_string(), ident.clone()));
    }
    let session_id = gureum_core::id::uuid_v4();
    let mut start = json!({
        "requestId": ctx.request_id,
        "sessionId": session_id,
        "logGroupIdentifiers": identifiers,
    });
    if !streams.is_empty() {
        start["logStreamNames"] = json!(streams);
    }
    if !prefixes.is_empty() {
        start["logStreamNamePrefixes"] = json!(prefixes);
    }
    start["logEventFilterPattern"] = json!(pattern_text);
    let buffer = Arc::new(Mutex::new(Buffer::default()));
    svc.live_tails
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Session {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            groups,
            streams,
            prefixes,
            pattern,
            buffer: Arc::downgrade(&buffer),
        });
    // awsJson event streams open with `initial-response`, carrying the
    // output's other members (none here); the SDKs wait for it.
    let mut first = Message::event("initial-response", JSON, b"{}".to_vec()).encode();
    first.extend(Message::event("sessionStart", JSON, start.to_string().into_bytes()).encode());
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let source = TailStream {
        pending: Some(Bytes::from(first)),
        buffer,
        ticker,
        clock: ctx.clock.clone(),
        started: ctx.clock.now_millis(),
        done: false,
    };
    Ok(Reply {
        output: json!({}),
        body: Some(ResponseBody::chunked(Box::pin(source))),
        status: None,
    })
}

/// The session's response body.
struct TailStream {
    /// The `initial-response` and `sessionStart` messages, until sent.
    pending: Option<Bytes>,
    buffer: Arc<Mutex<Buffer>>,
    ticker: tokio::time::Interval,
    clock: Clock,
    started: i64,
    done: bool,
}

impl TailStream {
    /// The next `sessionUpdate`: what the buffer holds, sampled down to
    /// [`MAX_PER_UPDATE`] evenly across it when more arrived.
    fn update(&mut self) -> Bytes {
        let (events, overflowed) = {
            let mut b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            let events: Vec<Value> = b.events.drain(..).collect();
            (events, std::mem::take(&mut b.overflowed))
        };
        let sampled = overflowed || events.len() > MAX_PER_UPDATE;
        let results: Vec<Value> = if events.len() > MAX_PER_UPDATE {
            let n = events.len();
            (0..MAX_PER_UPDATE)
                .map(|i| events[i * n / MAX_PER_UPDATE].clone())
                .collect()
        } else {
            events
        };
        let payload = json!({
            "sessionMetadata": { "sampled": sampled },
            "sessionResults": results,
        });
        Bytes::from(
            Message::event("sessionUpdate", JSON, payload.to_string().into_bytes()).encode(),
        )
    }
}

impl ByteSource for TailStream {
    fn poll_chunk(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, AwsError>>> {
        let this = &mut *self;
        if let Some(first) = this.pending.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        if this.done {
            return Poll::Ready(None);
        }
        if this.ticker.poll_tick(cx).is_pending() {
            return Poll::Pending;
        }
        if this.clock.now_millis() - this.started >= SESSION_LIMIT_MS {
            this.done = true;
            let payload = json!({
                "message": "Session timed out after 3 hours (Gureum's wording)."
            });
            let message = Message::exception(
                "SessionTimeoutException",
                JSON,
                payload.to_string().into_bytes(),
            );
            return Poll::Ready(Some(Ok(Bytes::from(message.encode()))));
        }
        Poll::Ready(Some(Ok(this.update())))
    }
}

#[cfg(test)]
mod tests {
    use crate::LogsService;
    use gureum_core::{Clock, RequestContext, Service};
    use serde_json::json;

    #[tokio::test]
    async fn a_session_is_forgotten_once_its_body_is_dropped() {
        let svc = LogsService::new(gureum_store::Store::in_memory().expect("store"));
        let ctx = RequestContext::root("000000000000", "us-east-1", Clock::with_offset(0));
        svc.call(&ctx, "CreateLogGroup", json!({"logGroupName": "g"}))
            .await
            .expect("group");
        let reply = svc
            .call_streaming(
                &ctx,
                "StartLiveTail",
                json!({"logGroupIdentifiers": ["g"]}),
                gureum_core::RequestBody::empty(),
            )
            .await
            .expect("session");
        assert_eq!(svc.live_tails.open(), 1);
        drop(reply);
        assert_eq!(svc.live_tails.open(), 0);
    }
}
