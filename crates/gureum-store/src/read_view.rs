//! The redb read snapshot that point reads share.
//!
//! A point read that misses the memtable used to begin a redb read
//! transaction and open the table each time: ~7k instructions, against
//! ~3k for the B-tree lookup itself, and an S3 GET of an object written
//! more than a checkpoint ago makes two such reads (bucket, object). Reads
//! now share one snapshot and the tables opened in it, until the next
//! commit to redb.
//!
//! Why a shared snapshot cannot hide a write: a write lives in the
//! memtable until a commit puts it in redb, and every commit drops the
//! shared snapshot ([`Inner::invalidate_reads`]) *before* the memtable lets
//! go of what it wrote. A reader that misses the memtable therefore either
//! finds a snapshot taken after that commit or takes one itself. Taking a
//! snapshot and publishing it happen under one lock, the same lock the
//! invalidation takes after the commit, so a snapshot begun before a commit
//! is never published after it.

use super::*;
use parking_lot::RwLock;
use redb::{ReadOnlyTable, ReadTransaction};
use std::collections::HashMap;

type RawTable = ReadOnlyTable<&'static str, &'static [u8]>;

/// One snapshot and the tables opened in it (`None`: not in it).
pub(crate) struct ReadView {
    txn: ReadTransaction,
    tables: RwLock<HashMap<String, Option<Arc<RawTable>>>>,
}

impl ReadView {
    /// `table` in this snapshot, opened on first use.
    fn table(&self, table: &str) -> Result<Option<Arc<RawTable>>> {
        if let Some(t) = self.tables.read().get(table) {
            return Ok(t.clone());
        }
        let opened = match self.txn.open_table(def(table)) {
            Ok(t) => Some(Arc::new(t)),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        self.tables
            .write()
            .insert(table.to_string(), opened.clone());
        Ok(opened)
    }

    /// The bytes at `table`/`key` in this snapshot.
    pub(crate) fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>> {
        match self.table(table)? {
            Some(t) => Ok(t.get(key)?.map(|v| v.value().to_vec())),
            None => Ok(None),
        }
    }
}

impl Inner {
    /// The shared snapshot, taken when there is none.
    pub(crate) fn read_view(&self) -> Result<Arc<ReadView>> {
        if let Some(v) = self.read_view.read().as_ref() {
            return Ok(Arc::clone(v));
        }
        let mut slot = self.read_view.write();
        if let Some(v) = slot.as_ref() {
            return Ok(Arc::clone(v));
        }
        let view = Arc::new(ReadView {
            txn: self.db.begin_read()?,
            tables: Default::default(),
        });
        *slot = Some(Arc::clone(&view));
        Ok(view)
    }

    /// Drops the shared snapshot. Called after every commit to redb, before
    /// the memtable forgets what the commit wrote.
    pub(crate) fn invalidate_reads(&self) {
        *self.read_view.write() = None;
    }
}
