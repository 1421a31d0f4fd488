//! Automatic snapshots on Gureum's clock: a Redis OSS or Valkey cluster
//! (or a cluster-mode-disabled replication group, from its primary) with
//! `SnapshotRetentionLimit` above 0 gets one `automated` snapshot a day once
//! its `SnapshotWindow` opens (UTC), named
//! `automatic.ID-YYYY-MM-DD-HH-MM` as AWS names them, and its automated
//! snapshots older than the retention limit go.

use crate::{snapshots, Cluster, ElasticacheService, ReplicationGroup, Snapshot};
use gureum_core::{Clock, RequestContext};

const DAY_MS: i64 = 86_400_000;

/// Minutes after midnight UTC of a window's start (`05:00-06:00` → 300).
fn window_start(window: &str) -> Option<i64> {
    let (h, m) = window.split('-').next()?.split_once(':')?;
    Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
}

/// `YYYY-MM-DD-HH-MM` of `ms`.
fn stamp(ms: i64) -> String {
    let iso = gureum_core::timestamp::format_iso8601(ms);
    // 2026-12-07T05:00:00.000Z → 2026-12-07-05-00
    format!("{}-{}-{}", &iso[..10], &iso[11..13], &iso[14..16])
}

/// Takes the snapshots that are due and drops those past retention.
pub fn run(svc: &ElasticacheService, clock: &Clock) {
    let now = clock.now_millis();
    let Ok(clusters) = svc.clusters.scan_prefix("") else {
        return;
    };
    let groups: Vec<(String, ReplicationGroup)> = svc.groups.scan_prefix("").unwrap_or_default();
    for (key, c) in &clusters {
        if c.engine == "memcached" || crate::serverless::is_serverless(c) || c.status != "available"
        {
            continue;
        }
        let (retention, window, group) = match &c.replication_group {
            None => (c.snapshot_retention, c.snapshot_window.clone(), None),
            Some(g) => {
                let Some((_, g)) = groups
                    .iter()
                    .find(|(k, x)| &x.id == g && key.starts_with(crate::lifecycle::prefix_of(k)))
                else {
                    continue;
                };
                if g.primary != c.id || !g.shards.is_empty() {
                    continue;
                }
                (
                    g.snapshot_retention,
                    g.snapshot_window.clone(),
                    Some(g.clone()),
                )
            }
        };
        if retention <= 0 {
            continue;
        }
        let mut parts = key.splitn(3, '/');
        let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
            continue;
        };
        let ctx = RequestContext::root(account, region, clock.clone());
        let source = group.as_ref().map_or(c.id.clone(), |g| g.id.clone());
        take_if_due(svc, &ctx, c, group.as_ref(), &source, &window, now);
        expire(svc, &ctx, &source, retention, now);
    }
}

fn take_if_due(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    c: &Cluster,
    group: Option<&ReplicationGroup>,
    source: &str,
    window: &str,
    now: i64,
) {
    let Some(start) = window_start(window) else {
        return;
    };
    let day = now.div_euclid(DAY_MS) * DAY_MS;
    let opens = day + start * 60_000;
    if now < opens {
        return;
    }
    let name = format!("automatic.{source}-{}", stamp(opens));
    let key = gureum_core::Scope::regional(ctx).key(&name);
    if svc.snapshots.contains(&key).unwrap_or(true) {
        return;
    }
    if let Err(e) = snapshots::take(svc, ctx, c, group, &name, "automated") {
        tracing::warn!(target: "gureum", "elasticache {source}: automatic snapshot: {}", e.message);
    }
}

fn expire(svc: &ElasticacheService, ctx: &RequestContext, source: &str, retention: i64, now: i64) {
    let scope = gureum_core::Scope::regional(ctx);
    let prefix = scope.key(&format!("automatic.{source}-"));
    let Ok(old) = svc.snapshots.scan_prefix(&prefix) else {
        return;
    };
    for (key, s) in old {
        let s: Snapshot = s;
        if s.source == "automated" && now - s.created_ms > retention * DAY_MS {
            snapshots::remove(svc, ctx, &s);
            let _ = svc.snapshots.delete(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_names_follow_aws_formats() {
        assert_eq!(window_start("05:30-06:30"), Some(330));
        assert_eq!(window_start("nonsense"), None);
        assert_eq!(stamp(0), "1970-01-01-00-00");
    }
}
