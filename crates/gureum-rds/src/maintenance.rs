//! Maintenance windows: modifications made without `ApplyImmediately`
//! wait in `PendingModifiedValues` until the instance's weekly window
//! (`PreferredMaintenanceWindow`, `ddd:hh24:mi-ddd:hh24:mi` in UTC) comes
//! round on Gureum's clock.

use crate::{DbInstance, RdsService};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes since Monday 00:00 UTC of `ddd:hh:mi`.
fn minute_of_week(spec: &str) -> Option<i64> {
    let mut parts = spec.split(':');
    let day = parts.next()?.to_ascii_lowercase();
    let day = DAYS.iter().position(|d| *d == day)? as i64;
    let hour: i64 = parts.next()?.parse().ok()?;
    let minute: i64 = parts.next()?.parse().ok()?;
    ((0..24).contains(&hour) && (0..60).contains(&minute))
        .then_some(day * 1440 + hour * 60 + minute)
}

/// Whether epoch milliseconds `now` fall in `window`.
pub fn in_window(window: &str, now_ms: i64) -> bool {
    let Some((start, end)) = window.split_once('-') else {
        return false;
    };
    let (Some(start), Some(end)) = (minute_of_week(start), minute_of_week(end)) else {
        return false;
    };
    // 1970-01-01 was a Thursday: day 3 of a week starting on Monday.
    let now = (now_ms.div_euclid(60_000) + 3 * 1440).rem_euclid(7 * 1440);
    if start <= end {
        (start..end).contains(&now)
    } else {
        now >= start || now < end
    }
}

/// Applies what waits for the window of each instance whose window is open.
pub fn apply_due(svc: &RdsService, now_ms: i64) {
    let Ok(all) = svc.instances.scan_prefix("") else {
        return;
    };
    for (key, inst) in all {
        if inst.pending.is_empty() || !in_window(&inst.maintenance_window, now_ms) {
            continue;
        }
        let _ = crate::instances::update(svc, &key, &inst.id, |i| {
            apply(i);
            Ok(())
        });
    }
}

fn apply(i: &mut DbInstance) {
    let p = std::mem::take(&mut i.pending);
    if let Some(c) = p.class {
        i.class = c;
    }
    if let Some(s) = p.allocated_storage {
        i.allocated_storage = s;
    }
    if let Some(b) = p.backup_retention {
        i.backup_retention = b;
    }
    if let Some(m) = p.multi_az {
        i.multi_az = m;
    }
    if let Some(t) = p.storage_type {
        i.storage_type = t;
    }
}

#[cfg(test)]
mod tests {
    use super::in_window;

    #[test]
    fn windows_are_weekly_in_utc_and_may_wrap_the_week() {
        // 2026-12-06 was a Sunday; 05:10 UTC.
        let sunday_0510 = 1_796_533_800_000;
        assert!(in_window("sun:05:00-sun:05:30", sunday_0510));
        assert!(!in_window("sun:05:30-sun:06:00", sunday_0510));
        assert!(in_window(
            "sun:23:00-mon:01:00",
            sunday_0510 + 18 * 3_600_000
        ));
        assert!(!in_window("nonsense", sunday_0510));
    }
}
