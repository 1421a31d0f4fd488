//! Retention expiry on Gureum's clock.
//!
//! A group with a retention policy loses the events older than
//! `retentionInDays` days. Expiry runs before the reads that would see
//! them (`GetLogEvents`, `FilterLogEvents`, `DescribeLogStreams`, Logs
//! Insights, and `DescribeLogGroups` for every group of the region) and
//! when a policy is set, so moving Gureum's clock forward expires events
//! on the next read. Each stream records its oldest event, so a group with
//! nothing to expire costs one read of its stream records; expired events
//! are a prefix of each stream's key range, deleted with the stream's and
//! group's byte counts in one transaction.

use crate::{LogGroup, LogStream, LogsService};
use gureum_core::{AwsError, RequestContext, Scope};
use std::ops::ControlFlow;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;

/// What expiring one stream removes.
struct Expiry {
    stream_key: String,
    keys: Vec<String>,
    bytes: i64,
    first_left: Option<i64>,
}

/// Deletes the events of `group` older than its retention.
pub(crate) fn expire_group(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
) -> Result<(), AwsError> {
    let group_key = Scope::regional(ctx).key(group);
    let Some(g) = svc.log_groups.get(&group_key)? else {
        return Ok(());
    };
    expire(svc, ctx, &group_key, &g)
}

fn expire(
    svc: &LogsService,
    ctx: &RequestContext,
    group_key: &str,
    g: &LogGroup,
) -> Result<(), AwsError> {
    let Some(days) = g.retention_in_days else {
        return Ok(());
    };
    let cutoff = ctx.clock.now_millis() - days * DAY_MS;
    let mut stale = Vec::new();
    svc.streams
        .visit_prefix(&format!("{group_key}:"), None, |k, s: LogStream| {
            if s.first_event.is_some_and(|f| f < cutoff) {
                stale.push(k.to_string());
            }
            ControlFlow::Continue(())
        })?;
    let mut expiries = Vec::new();
    for stream_key in stale {
        let mut e = Expiry {
            stream_key,
            keys: Vec::new(),
            bytes: 0,
            first_left: None,
        };
        let prefix = format!("{}:", e.stream_key);
        svc.events.visit_prefix(&prefix, None, |k, ev| {
            if ev.timestamp >= cutoff {
                e.first_left = Some(ev.timestamp);
                return ControlFlow::Break(());
            }
            e.keys.push(k.to_string());
            e.bytes += ev.message.len() as i64;
            ControlFlow::Continue(())
        })?;
        expiries.push(e);
    }
    if expiries.is_empty() {
        return Ok(());
    }
    svc.store.write(|txn| {
        let mut removed = 0;
        for e in &expiries {
            for k in &e.keys {
                txn.delete(&svc.events, k)?;
            }
            if let Some(mut s) = txn.get(&svc.streams, &e.stream_key)? {
                s.stored_bytes = (s.stored_bytes - e.bytes).max(0);
                s.first_event = e.first_left;
                txn.put(&svc.streams, &e.stream_key, &s)?;
            }
            removed += e.bytes;
        }
        if let Some(mut g) = txn.get(&svc.log_groups, group_key)? {
            g.stored_bytes = (g.stored_bytes - removed).max(0);
            txn.put(&svc.log_groups, group_key, &g)?;
        }
        Ok::<_, AwsError>(())
    })
}

/// Expires every group of the caller's region that has a retention policy.
pub(crate) fn sweep(svc: &LogsService, ctx: &RequestContext) -> Result<(), AwsError> {
    let mut groups = Vec::new();
    svc.log_groups
        .visit_prefix(&Scope::regional(ctx).prefix(), None, |k, g: LogGroup| {
            if g.retention_in_days.is_some() {
                groups.push((k.to_string(), g));
            }
            ControlFlow::Continue(())
        })?;
    for (k, g) in groups {
        expire(svc, ctx, &k, &g)?;
    }
    Ok(())
}
