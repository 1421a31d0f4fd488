//! The per-queue message index, in memory.
//!
//! For each queue: its messages' sequence numbers ordered by the time
//! they become visible (`(visible_ms, seq)`), so a receive reads the
//! first entries at or before now instead of scanning the queue; whether
//! each was received (in flight vs. delayed); FIFO message groups; the
//! next sequence number; and the [`Notify`] long polls wait on. The store
//! stays the truth: an index is rebuilt from `sqs.messages` the first
//! time its queue is used after start (or after a reset), and every change
//! is written to the store before it is applied here, under the queue's
//! lock.

use parking_lot::Mutex;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Notify;

/// One message in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When it is (or becomes) visible, epoch milliseconds.
    pub visible_ms: i64,
    /// Whether it was received at least once.
    pub received: bool,
    /// Its FIFO message group.
    pub group: Option<String>,
    /// When it was sent (retention), epoch milliseconds.
    pub sent_ms: i64,
}

/// One queue's index.
#[derive(Debug, Default)]
pub struct QueueIndex {
    /// The entries, under the queue's lock.
    pub state: Mutex<IndexState>,
    /// Woken when a message is sent (long polls wait on it).
    pub notify: Notify,
}

/// What a queue's lock guards.
#[derive(Debug, Default)]
pub struct IndexState {
    /// Whether the entries were read from the store.
    pub loaded: bool,
    /// Set by DeleteQueue: a send that found the queue before it was
    /// deleted must not write into it.
    pub deleted: bool,
    /// The next message's sequence number.
    pub next_seq: u64,
    by_time: BTreeSet<(i64, u64)>,
    entries: HashMap<u64, Entry>,
    groups: HashMap<String, BTreeSet<u64>>,
}

/// Message counts by state, as `GetQueueAttributes` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Visible now.
    pub visible: u64,
    /// Received and not yet visible again.
    pub in_flight: u64,
    /// Not received and not yet visible (delayed).
    pub delayed: u64,
}

impl IndexState {
    /// Adds (or replaces) message `seq`.
    pub fn insert(&mut self, seq: u64, entry: Entry) {
        self.remove(seq);
        self.by_time.insert((entry.visible_ms, seq));
        if let Some(g) = &entry.group {
            self.groups.entry(g.clone()).or_default().insert(seq);
        }
        self.next_seq = self.next_seq.max(seq + 1);
        self.entries.insert(seq, entry);
    }

    /// Removes message `seq`.
    pub fn remove(&mut self, seq: u64) -> Option<Entry> {
        let entry = self.entries.remove(&seq)?;
        self.by_time.remove(&(entry.visible_ms, seq));
        if let Some(g) = &entry.group {
            if let Some(set) = self.groups.get_mut(g) {
                set.remove(&seq);
                if set.is_empty() {
                    self.groups.remove(g);
                }
            }
        }
        Some(entry)
    }

    /// Moves message `seq` to become visible at `visible_ms`.
    pub fn set_visible(&mut self, seq: u64, visible_ms: i64, received: bool) {
        if let Some(entry) = self.entries.get_mut(&seq) {
            self.by_time.remove(&(entry.visible_ms, seq));
            entry.visible_ms = visible_ms;
            entry.received |= received;
            self.by_time.insert((visible_ms, seq));
        }
    }

    /// The messages visible at `now`, in visibility order, after `after`.
    pub fn visible_after(&self, now: i64, after: Option<(i64, u64)>) -> Option<(i64, u64)> {
        let mut range = match after {
            Some(a) => self
                .by_time
                .range((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded)),
            None => self.by_time.range(..),
        };
        range.next().copied().filter(|(t, _)| *t <= now)
    }

    /// Whether a FIFO group has a message in flight at `now`.
    pub fn group_in_flight(&self, group: &str, now: i64) -> bool {
        self.groups.get(group).is_some_and(|seqs| {
            seqs.iter().any(|s| {
                self.entries
                    .get(s)
                    .is_some_and(|e| e.received && e.visible_ms > now)
            })
        })
    }

    /// The oldest message of a FIFO group.
    pub fn group_head(&self, group: &str) -> Option<u64> {
        self.groups.get(group)?.first().copied()
    }

    /// Every message's sequence number.
    pub fn all(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.entries.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Counts by state at `now`, leaving out messages sent before
    /// `expired_before` (past their retention, removed lazily).
    pub fn counts(&self, now: i64, expired_before: i64) -> Counts {
        let mut c = Counts::default();
        for e in self.entries.values() {
            if e.sent_ms <= expired_before {
                continue;
            } else if e.visible_ms <= now {
                c.visible += 1;
            } else if e.received {
                c.in_flight += 1;
            } else {
                c.delayed += 1;
            }
        }
        c
    }

    /// Forgets every message (PurgeQueue, DeleteQueue).
    pub fn clear(&mut self) {
        self.by_time.clear();
        self.entries.clear();
        self.groups.clear();
    }
}

/// Every queue's index, by queue key.
#[derive(Debug, Default)]
pub struct Indexes {
    map: Mutex<HashMap<String, Arc<QueueIndex>>>,
}

impl Indexes {
    /// The index of queue `key` (empty and unloaded the first time).
    pub fn queue(&self, key: &str) -> Arc<QueueIndex> {
        let mut map = self.map.lock();
        if let Some(q) = map.get(key) {
            return q.clone();
        }
        let q = Arc::new(QueueIndex::default());
        map.insert(key.to_string(), q.clone());
        q
    }

    /// Forgets queue `key`'s index, waking its long polls.
    pub fn forget(&self, key: &str) {
        if let Some(q) = self.map.lock().remove(key) {
            q.notify.notify_waiters();
        }
    }

    /// Forgets every index.
    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.map.lock());
        for q in old.values() {
            q.notify.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(visible_ms: i64) -> Entry {
        Entry {
            visible_ms,
            received: false,
            group: None,
            sent_ms: 0,
        }
    }

    #[test]
    fn visible_messages_come_in_visibility_order_and_later_ones_wait() {
        let mut s = IndexState::default();
        s.insert(0, entry(30));
        s.insert(1, entry(10));
        s.insert(2, entry(100));
        assert_eq!(s.visible_after(50, None), Some((10, 1)));
        assert_eq!(s.visible_after(50, Some((10, 1))), Some((30, 0)));
        assert_eq!(s.visible_after(50, Some((30, 0))), None);
        assert_eq!(s.next_seq, 3);
    }

    #[test]
    fn a_received_message_counts_in_flight_until_visible_again() {
        let mut s = IndexState::default();
        s.insert(0, entry(0));
        s.insert(1, entry(500));
        s.set_visible(0, 100, true);
        let c = s.counts(50, -1);
        assert_eq!((c.visible, c.in_flight, c.delayed), (0, 1, 1));
        assert_eq!(s.counts(100, -1).visible, 1);
    }
}
