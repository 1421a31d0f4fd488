//! Acknowledged writes that are in the write-ahead log but not yet in redb.
//!
//! A logged store ([`crate::Durability::Process`]) does not commit each
//! write to redb: a redb commit costs ~70 µs of CPU even without an fsync,
//! more than a small S3 PUT's whole budget. A write's changes go to the log
//! and into this table instead; reads look here first (range reads merge
//! it over redb), and the checkpoint freezes it and commits it into redb
//! (one commit for everything pending). A write transaction
//! builds its own [`Memtable`] as an overlay and merges it here only when it
//! succeeds, so a failed transaction leaves nothing behind.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// Changed keys per table: `Some(bytes)` written, `None` removed.
#[derive(Debug, Default)]
pub struct Memtable {
    /// By table name. The names are the services' own constants, so
    /// foldhash (not SipHash, whose defence against chosen keys buys
    /// nothing here) hashes them; every write looks a table up several times.
    tables: HashMap<String, BTreeMap<String, Option<Vec<u8>>>, foldhash::fast::FixedState>,
    entries: usize,
}

impl Memtable {
    /// `Some(Some(bytes))` written, `Some(None)` removed, `None` unknown
    /// here (read redb).
    pub fn get(&self, table: &str, key: &str) -> Option<Option<&[u8]>> {
        self.tables
            .get(table)
            .and_then(|t| t.get(key))
            .map(|v| v.as_deref())
    }

    /// Records a write (`None`: a removal).
    pub fn set(&mut self, table: &str, key: &str, value: Option<Vec<u8>>) {
        let t = match self.tables.get_mut(table) {
            Some(t) => t,
            None => self.tables.entry(table.to_string()).or_default(),
        };
        if t.insert(key.to_string(), value).is_none() {
            self.entries += 1;
        }
    }

    /// Takes every change of `newer` (a committed transaction's overlay).
    pub fn merge(&mut self, newer: Memtable) {
        for (table, rows) in newer.tables {
            for (key, value) in rows {
                self.set(&table, &key, value);
            }
        }
    }

    /// The changes of `table` whose keys start with `prefix`, in key order.
    pub fn prefixed<'a>(
        &'a self,
        table: &str,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Option<Vec<u8>>)> + 'a {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(move |t| t.range::<str, _>((Bound::Included(prefix), Bound::Unbounded)))
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// How many keys are pending.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Writes every change into `txn`.
    pub fn apply(&self, txn: &redb::WriteTransaction) -> crate::Result<()> {
        for (table, rows) in &self.tables {
            let mut t = txn.open_table(crate::def(table))?;
            for (key, value) in rows {
                match value {
                    Some(v) => {
                        t.insert(key.as_str(), v.as_slice())?;
                    }
                    None => {
                        t.remove(key.as_str())?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Forgets everything (after it was applied and committed).
    pub fn clear(&mut self) {
        self.tables.clear();
        self.entries = 0;
    }

    /// The names of the tables with changes here.
    pub fn table_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.tables.keys().map(String::as_str)
    }

    /// The first change of `table` after `pos` (at or after it unless
    /// `exclusive`) and before `end` (exclusive): what a merged cursor
    /// reads next from this layer.
    pub fn first_after(
        &self,
        table: &str,
        pos: &str,
        exclusive: bool,
        end: Option<&str>,
    ) -> Option<(&str, Option<&[u8]>)> {
        let t = self.tables.get(table)?;
        // BTreeMap::range panics on an empty or inverted range.
        if end.is_some_and(|e| e < pos || (e == pos && exclusive)) {
            return None;
        }
        let lower = if exclusive {
            Bound::Excluded(pos)
        } else {
            Bound::Included(pos)
        };
        let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
        t.range::<str, _>((lower, upper))
            .next()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    /// The last change of `table` before `pos` (at or before it unless
    /// `exclusive`) and at or after `start`: what a merged cursor reading
    /// backwards reads next from this layer.
    pub fn last_before(
        &self,
        table: &str,
        pos: &str,
        exclusive: bool,
        start: &str,
    ) -> Option<(&str, Option<&[u8]>)> {
        let t = self.tables.get(table)?;
        // BTreeMap::range panics on an empty or inverted range.
        if pos < start || (pos == start && exclusive) {
            return None;
        }
        let upper = if exclusive {
            Bound::Excluded(pos)
        } else {
            Bound::Included(pos)
        };
        t.range::<str, _>((Bound::Included(start), upper))
            .next_back()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
    }

    /// A copy of the changes of `table` from `start` while `keep(key)`
    /// holds: the part of a live memtable one range read needs.
    pub fn copy_range(
        &self,
        table: &str,
        start: Bound<&str>,
        keep: impl Fn(&str) -> bool,
    ) -> Memtable {
        let mut out = Memtable::default();
        if let Some(t) = self.tables.get(table) {
            for (k, v) in t
                .range::<str, _>((start, Bound::Unbounded))
                .take_while(|(k, _)| keep(k))
            {
                out.set(table, k, v.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_changes_win_and_removals_are_remembered() {
        let mut m = Memtable::default();
        m.set("t", "a", Some(b"1".to_vec()));
        let mut newer = Memtable::default();
        newer.set("t", "a", None);
        newer.set("t", "b", Some(b"2".to_vec()));
        m.merge(newer);
        assert_eq!(m.get("t", "a"), Some(None));
        assert_eq!(m.get("t", "b"), Some(Some(&b"2"[..])));
        assert_eq!(m.get("t", "c"), None);
        assert_eq!(m.get("u", "a"), None);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn prefixed_reads_only_the_prefix_in_order() {
        let mut m = Memtable::default();
        for k in ["a/2", "a/1", "ab", "b/1", "a/"] {
            m.set("t", k, Some(k.as_bytes().to_vec()));
        }
        let keys: Vec<&str> = m.prefixed("t", "a/").map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a/", "a/1", "a/2"]);
        assert_eq!(m.prefixed("none", "a").count(), 0);
    }
}
