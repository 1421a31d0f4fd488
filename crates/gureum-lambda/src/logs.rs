//! Where a function's log lines go: CloudWatch Logs `/aws/lambda/NAME`
//! through the [`FunctionLogs`] seam. The server wires CloudWatch Logs in;
//! without it, [`RecentLogs`] keeps the last lines of each group in memory.

use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};

/// One invocation's log lines, for one log stream.
pub struct LogBatch<'a> {
    /// The function's account.
    pub account: &'a str,
    /// The function's region.
    pub region: &'a str,
    /// `/aws/lambda/NAME`.
    pub group: &'a str,
    /// `YYYY/MM/DD/[VERSION]ID`, one per execution environment.
    pub stream: &'a str,
    /// `(timestamp ms, line)` in order.
    pub events: &'a [(i64, String)],
}

/// Receives the lines functions write.
pub trait FunctionLogs: Send + Sync {
    /// Appends `batch` to its group and stream, creating both when absent.
    fn put(&self, batch: &LogBatch<'_>);
}

/// How many lines [`RecentLogs`] keeps per group.
const KEPT_LINES: usize = 1000;

/// The default seam: the last lines of each group, in memory.
#[derive(Default)]
pub struct RecentLogs {
    groups: Mutex<HashMap<String, VecDeque<String>>>,
}

impl RecentLogs {
    /// The lines kept for `account/region/group`.
    pub fn lines(&self, account: &str, region: &str, group: &str) -> Vec<String> {
        self.groups
            .lock()
            .get(&format!("{account}/{region}/{group}"))
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}

impl FunctionLogs for RecentLogs {
    fn put(&self, batch: &LogBatch<'_>) {
        let mut groups = self.groups.lock();
        let lines = groups
            .entry(format!(
                "{}/{}/{}",
                batch.account, batch.region, batch.group
            ))
            .or_default();
        for (_, line) in batch.events {
            lines.push_back(line.clone());
            if lines.len() > KEPT_LINES {
                lines.pop_front();
            }
        }
    }
}
