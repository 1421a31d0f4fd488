//! Gureum's state, kept safe: typed named tables over an embedded ACID
//! database.
//!
//! Every service keeps its resources here, so that all state survives a
//! restart and an acknowledged write survives `kill -9`. The engine is
//! [redb](https://docs.rs/redb/2): a single-file, copy-on-write B-tree
//! database with serializable transactions. This crate narrows it to what
//! services need:
//!
//! - [`Store`] — one database, opened from the data directory
//!   ([`Store::open`], file `state.redb`) or in memory
//!   ([`Store::in_memory`], for `--ephemeral` and tests). Cheap to clone and
//!   shared between threads.
//! - [`Table<T>`] — a named table of string keys and serde values
//!   (`store.table::<Bucket>("s3.buckets")`), with point reads and writes
//!   and ordered scans: [`Table::scan_prefix`] reads only the keys under a
//!   prefix (a range scan, not a filter over the whole table), and
//!   [`Table::scan_range`] / [`Table::scan_prefix_after`] page through keys
//!   in order; [`Store::snapshot`] gives [`Cursor`]s that read a range
//!   lazily and seek, all tables as of one commit (listings).
//! - [`Store::write`] — several writes across tables in one transaction:
//!   all become visible together, or none if the closure returns an error.
//! - [`Store::clear_tables`] and [`Store::replace_all`] — resets and
//!   imports: one durable commit each, with writers held off.
//!
//! An acknowledged write survives `kill -9`: by default each write
//! transaction is appended to a write-ahead log ([`wal`], one `write(2)`,
//! no fsync) and kept in a [`memtable`] that reads consult before redb;
//! a checkpointer thread, every second (or when a writer asks), freezes
//! the memtable and starts a new log with writers held off for that swap
//! only, then commits the frozen changes into redb with an fsync while
//! writers and readers carry on. [`Durability::Power`] fsyncs every
//! commit instead (also safe against a power cut, at the cost of one
//! device flush per write). Reads
//! see the last committed state and never wait for writers; writers are
//! serialized, one write transaction at a time.
//!
//! Values are stored as compact JSON: simple, debuggable with any redb
//! viewer, and tolerant of added fields (use `#[serde(default)]` for new
//! ones). A table read on every request may name its own [`Codec`]
//! instead ([`Store::table_with_codec`]). Keys sort bytewise, so
//! zero-padded numbers and `/`-separated paths
//! (`"000000000000/us-east-1/vpc-0abc"`) scan in a useful order.
//!
//! All calls block (they may fsync): from async code call them from
//! `spawn_blocking`, or accept a short block for small writes. Never call
//! [`Store::write`] from inside a write closure: the second transaction
//! would wait for the first forever.

mod admin;
mod checkpoint;
#[cfg(test)]
mod checkpoint_tests;
pub mod codec;
mod memo;
pub mod memtable;
mod read_view;
mod snapshot;
mod visit;
pub mod wal;

pub use admin::TableRows;
pub use checkpoint::Durability;
use checkpoint::{recover, spawn_checkpointer, CHECKPOINT_AFTER_COMMITS};
pub use codec::{Codec, CodecError, Json};
pub use memo::Memo;
pub use snapshot::{Cursor, Row, Snapshot};

use redb::{Database, ReadableTable, TableDefinition, TableError};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Bound, ControlFlow};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The database file's name inside the data directory.
pub const STATE_FILE: &str = "state.redb";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The database engine failed (I/O error, corruption, file locked by
    /// another process…).
    #[error("database error: {0}")]
    Database(#[source] Box<redb::Error>),
    /// A value could not be encoded by its table's codec.
    #[error("cannot encode a value for table {table}: {source}")]
    Encode {
        /// The table.
        table: &'static str,
        /// The codec's error.
        source: CodecError,
    },
    /// A stored value does not decode as the table's type (a schema change
    /// without `#[serde(default)]`, a table name reused for another type,
    /// damaged bytes).
    #[error("cannot decode {table}[{key}]: {source}")]
    Decode {
        /// The table.
        table: &'static str,
        /// The key.
        key: String,
        /// The codec's error.
        source: CodecError,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Database(Box::new(redb::Error::from(e)))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

impl From<StoreError> for gureum_core::AwsError {
    fn from(e: StoreError) -> Self {
        gureum_core::AwsError::internal(e.to_string())
    }
}

/// A shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

fn def(name: &str) -> TableDefinition<'_, &'static str, &'static [u8]> {
    TableDefinition::new(name)
}

struct Inner {
    /// The redb snapshot point reads share ([`read_view`]). Declared
    /// first: fields drop in order, and the snapshot goes before the
    /// database it reads.
    read_view: parking_lot::RwLock<Option<Arc<read_view::ReadView>>>,
    db: Database,
    path: Option<PathBuf>,
    /// The write-ahead log ([`Durability::Process`] stores only).
    wal: Option<parking_lot::Mutex<wal::Wal>>,
    /// Logged writes not yet in redb ([`memtable`]).
    mems: parking_lot::RwLock<Mems>,
    /// Serializes the writers of a logged store (redb's own write lock
    /// does it for the others), and a checkpoint's freeze against them.
    /// Reentrant: store calls inside a write closure must not deadlock.
    writer: parking_lot::ReentrantMutex<()>,
    /// One checkpoint (or reset, or import) at a time.
    checkpointing: parking_lot::Mutex<()>,
    /// Wakes the checkpointer thread before its second is up.
    signal: Arc<checkpoint::Signal>,
}

/// The memtables of a logged store: what reads consult before redb.
#[derive(Default)]
pub(crate) struct Mems {
    /// Where committed transactions merge their changes.
    pub(crate) active: memtable::Memtable,
    /// Memtables no longer written (a checkpoint froze them, or a snapshot
    /// did), oldest first, until a checkpoint's commit has them in redb.
    pub(crate) frozen: Vec<Arc<memtable::Memtable>>,
}

/// Keys pending in the live memtable after which a writer asks for a
/// checkpoint at once.
const FLUSH_AFTER_KEYS: usize = 50_000;

impl Inner {
    /// The current bytes at `table`/`key`: the live memtable's, else the
    /// newest frozen one's, else redb's.
    fn point(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>> {
        {
            let mems = self.mems.read();
            if let Some(v) = mems.active.get(table, key) {
                return Ok(v.map(<[u8]>::to_vec));
            }
            for layer in mems.frozen.iter().rev() {
                if let Some(v) = layer.get(table, key) {
                    return Ok(v.map(<[u8]>::to_vec));
                }
            }
        }
        // A layer is dropped only after its commit has replaced the shared
        // snapshot (read_view.rs), so missing it here means redb has it.
        self.read_view()?.get(table, key)
    }

    /// Hands `visit` the entries of `table` from `start` (no further than
    /// `end`, exclusive) while `keep(key)` holds, in key order, merged
    /// over the memtables: one consistent view, no write to redb.
    fn scan_raw(
        &self,
        table: &'static str,
        start: Bound<&str>,
        end: Option<&str>,
        keep: &dyn Fn(&str) -> bool,
        overlay: Option<&memtable::Memtable>,
        mut visit: impl FnMut(&str, &[u8]) -> Result<ControlFlow<()>>,
    ) -> Result<()> {
        let within = |k: &str| keep(k) && end.is_none_or(|e| k < e);
        let mut view = self.view(snapshot::Freeze::Range {
            table,
            start,
            keep: &within,
        })?;
        if let Some(o) = overlay {
            view = view.with_layer(o.copy_range(table, start, within));
        }
        let mut cursor: Cursor<(), Json> = view.cursor_named(table)?;
        match start {
            Bound::Included(s) => cursor.seek(s, false, end)?,
            Bound::Excluded(s) => cursor.seek(s, true, end)?,
            Bound::Unbounded => cursor.seek("", false, end)?,
        }
        while let Some(row) = cursor.next()? {
            if !keep(row.key()) {
                break;
            }
            if visit(row.key(), row.bytes())?.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Up to `limit` decoded entries with `start <= key < end`, last
    /// first: reads only what it returns, whatever the range's size.
    fn scan_decoded_rev<T, C: Codec<T>>(
        &self,
        table: &'static str,
        start: &str,
        end: &str,
        limit: usize,
    ) -> Result<Vec<(String, T)>> {
        let mut out = Vec::new();
        if limit == 0 || end <= start {
            return Ok(out);
        }
        let within = |k: &str| k < end;
        let view = self.view(snapshot::Freeze::Range {
            table,
            start: Bound::Included(start),
            keep: &within,
        })?;
        let mut cursor: Cursor<(), Json> = view.cursor_named(table)?;
        cursor.seek_back(start, end)?;
        while let Some(row) = cursor.prev()? {
            out.push((
                row.key().to_string(),
                decode::<T, C>(table, row.key(), row.bytes())?,
            ));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Up to `limit` decoded entries of [`Inner::scan_raw`].
    fn scan_decoded<T, C: Codec<T>>(
        &self,
        table: &'static str,
        start: Bound<&str>,
        end: Option<&str>,
        keep: &dyn Fn(&str) -> bool,
        overlay: Option<&memtable::Memtable>,
        limit: usize,
    ) -> Result<Vec<(String, T)>> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.scan_raw(table, start, end, keep, overlay, |k, v| {
            out.push((k.to_string(), decode::<T, C>(table, k, v)?));
            Ok(if out.len() >= limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        Ok(out)
    }
}

/// The database. Cheap to clone (an `Arc`); `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, file
    /// [`STATE_FILE`]. A database left by a crash is recovered on open.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Store> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::open_file(dir.join(STATE_FILE))
    }

    /// Opens the store in `data_dir` with the given durability.
    pub fn open_with(data_dir: impl AsRef<Path>, durability: Durability) -> Result<Store> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Self::open_file_with(dir.join(STATE_FILE), durability)
    }

    /// Opens (creating if needed) the store in the database file `path`.
    pub fn open_file(path: impl AsRef<Path>) -> Result<Store> {
        Self::open_file_with(path, Durability::default())
    }

    /// Opens the database file `path`; the write-ahead log of
    /// [`Durability::Process`] lives beside it.
    pub fn open_file_with(path: impl AsRef<Path>, durability: Durability) -> Result<Store> {
        Self::open_inner(path.as_ref(), durability, true)
    }

    /// Opens the database file `path`; tests leave out the checkpointer
    /// thread to step through a checkpoint themselves.
    fn open_inner(path: &Path, durability: Durability, checkpointer: bool) -> Result<Store> {
        let path = path.to_path_buf();
        let db = Database::create(&path)?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        // Logs are replayed whatever the durability now asked for.
        let next = recover(&db, &dir)?;
        let wal = match durability {
            Durability::Process => Some(parking_lot::Mutex::new(
                wal::Wal::create(&dir, next).map_err(|source| StoreError::Io {
                    path: dir.clone(),
                    source,
                })?,
            )),
            Durability::Power => None,
        };
        let inner = Arc::new(Inner {
            db,
            path: Some(path),
            wal,
            mems: Default::default(),
            writer: Default::default(),
            checkpointing: Default::default(),
            signal: Default::default(),
            read_view: Default::default(),
        });
        if inner.wal.is_some() && checkpointer {
            spawn_checkpointer(&inner);
        }
        Ok(Store { inner })
    }

    /// Makes every acknowledged write durable against a power cut now.
    pub fn checkpoint(&self) -> Result<()> {
        self.inner.checkpoint()
    }

    /// A store that lives in memory only (`--ephemeral`, tests).
    pub fn in_memory() -> Result<Store> {
        let db = Database::builder().create_with_backend(redb::backends::InMemoryBackend::new())?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                path: None,
                wal: None,
                mems: Default::default(),
                writer: Default::default(),
                checkpointing: Default::default(),
                signal: Default::default(),
                read_view: Default::default(),
            }),
        })
    }

    /// The database file, `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The table `name` holding values of type `T`. Tables spring into
    /// existence on first write; reading a table never written is reading
    /// an empty table. Use one type per name.
    pub fn table<T>(&self, name: &'static str) -> Table<T> {
        self.table_with_codec(name)
    }

    /// The table `name` holding values of type `T` stored by codec `C`
    /// rather than as JSON.
    pub fn table_with_codec<T, C>(&self, name: &'static str) -> Table<T, C> {
        Table {
            name,
            store: self.clone(),
            _type: PhantomData,
        }
    }

    /// Runs `f` in one write transaction and commits it durably if `f`
    /// returns `Ok`; if `f` returns `Err` (or panics) nothing it wrote is
    /// kept. Writes inside are visible to reads through the same
    /// [`WriteTxn`], and to everyone else only after the commit.
    pub fn write<R, E>(&self, f: impl FnOnce(&mut WriteTxn) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        if let Some(wal) = &self.inner.wal {
            return self.write_logged(wal, f);
        }
        let mut txn = self.inner.db.begin_write().map_err(StoreError::from)?;
        // Quick repair: a reopen after kill -9 reads the saved allocator
        // state instead of walking the whole file (seconds at 1 GB).
        txn.set_quick_repair(true);
        txn.set_durability(redb::Durability::Immediate);
        let mut w = WriteTxn {
            mode: TxnMode::Direct(Box::new(txn)),
            ops: None,
        };
        match f(&mut w) {
            Ok(r) => {
                if let TxnMode::Direct(txn) = w.mode {
                    txn.commit().map_err(StoreError::from)?;
                    self.inner.invalidate_reads();
                }
                Ok(r)
            }
            // Dropping the transaction aborts it: nothing it wrote is kept.
            Err(e) => Err(e),
        }
    }

    /// [`Store::write`] for a logged store: the closure writes into its own
    /// overlay; on success the changes are appended to the log and become
    /// visible (merged into the memtable) together.
    fn write_logged<R, E>(
        &self,
        wal: &parking_lot::Mutex<wal::Wal>,
        f: impl FnOnce(&mut WriteTxn) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let guard = self.inner.writer.lock();
        let mut w = WriteTxn {
            mode: TxnMode::Logged {
                inner: self.inner.clone(),
                overlay: memtable::Memtable::default(),
            },
            ops: Some(Vec::new()),
        };
        let r = f(&mut w)?;
        let (TxnMode::Logged { overlay, .. }, Some(ops)) = (w.mode, w.ops) else {
            return Ok(r);
        };
        if ops.is_empty() {
            return Ok(r);
        }
        let many_commits = {
            let mut log = wal.lock();
            log.append(&ops).map_err(|e| self.inner.io_error(e))?;
            log.pending >= CHECKPOINT_AFTER_COMMITS
        };
        let many_keys = {
            let mut m = self.inner.mems.write();
            m.active.merge(overlay);
            m.active.len() >= FLUSH_AFTER_KEYS
        };
        drop(guard);
        // Never checkpoint here: this thread serves a request.
        if many_commits || many_keys {
            self.inner.signal.wake();
        }
        Ok(r)
    }
}

/// A named table of `String` keys and raw byte values (small S3 objects'
/// bytes): no encoding on the way in or out.
#[derive(Clone)]
pub struct RawTable {
    name: &'static str,
    store: Store,
}

impl fmt::Debug for RawTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawTable")
            .field("name", &self.name)
            .finish()
    }
}

impl RawTable {
    /// The bytes at `key`.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.store.inner.point(self.name, key)
    }
}

impl Store {
    /// The raw-bytes table `name` (see [`RawTable`]).
    pub fn raw_table(&self, name: &'static str) -> RawTable {
        RawTable {
            name,
            store: self.clone(),
        }
    }
}

/// A named table of `String` keys and `T` values, stored by codec `C`.
pub struct Table<T, C = Json> {
    name: &'static str,
    store: Store,
    _type: PhantomData<fn() -> (T, C)>,
}

impl<T, C> Clone for Table<T, C> {
    fn clone(&self) -> Self {
        Table {
            name: self.name,
            store: self.store.clone(),
            _type: PhantomData,
        }
    }
}

impl<T, C> fmt::Debug for Table<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table").field("name", &self.name).finish()
    }
}

fn encode<T, C: Codec<T>>(table: &'static str, value: &T) -> Result<Vec<u8>> {
    C::encode(value).map_err(|source| StoreError::Encode { table, source })
}

fn decode<T, C: Codec<T>>(table: &'static str, key: &str, bytes: &[u8]) -> Result<T> {
    C::decode(bytes).map_err(|source| StoreError::Decode {
        table,
        key: key.to_string(),
        source,
    })
}

/// Collects `(key, value)` pairs from an ordered range while `keep(key)`
/// holds, at most `limit`.
fn collect<'a, T, C, I>(
    table: &'static str,
    range: I,
    keep: impl Fn(&str) -> bool,
    limit: usize,
) -> Result<Vec<(String, T)>>
where
    C: Codec<T>,
    I: Iterator<
        Item = std::result::Result<
            (
                redb::AccessGuard<'a, &'static str>,
                redb::AccessGuard<'a, &'static [u8]>,
            ),
            redb::StorageError,
        >,
    >,
{
    let mut out = Vec::new();
    for item in range {
        if out.len() >= limit {
            break;
        }
        let (k, v) = item?;
        let key = k.value();
        if !keep(key) {
            break;
        }
        out.push((key.to_string(), decode::<T, C>(table, key, v.value())?));
    }
    Ok(out)
}

/// `(start bound, end bound)` for keys under `prefix`, after `after`.
fn prefix_bounds<'a>(prefix: &'a str, after: Option<&'a str>) -> (Bound<&'a str>, Bound<&'a str>) {
    match after {
        Some(a) if a >= prefix => (Bound::Excluded(a), Bound::Unbounded),
        _ => (Bound::Included(prefix), Bound::Unbounded),
    }
}

impl<T, C: Codec<T>> Table<T, C> {
    /// The table's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Result<Option<T>> {
        match self.store.inner.point(self.name, key)? {
            Some(bytes) => Ok(Some(decode::<T, C>(self.name, key, &bytes)?)),
            None => Ok(None),
        }
    }

    /// The stored bytes at `key`, not decoded: for a caller that keeps
    /// decoded values and checks them against the bytes they came from.
    pub fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.store.inner.point(self.name, key)
    }

    /// Decodes what [`Table::get_bytes`] returned for `key`.
    pub fn decode_bytes(&self, key: &str, bytes: &[u8]) -> Result<T> {
        decode::<T, C>(self.name, key, bytes)
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> Result<bool> {
        Ok(self.store.inner.point(self.name, key)?.is_some())
    }

    /// Writes `value` at `key`, in its own durable transaction.
    pub fn put(&self, key: &str, value: &T) -> Result<()> {
        self.store.write(|w| w.put(self, key, value))
    }

    /// Removes `key`, in its own durable transaction; `true` if it was
    /// present.
    pub fn delete(&self, key: &str) -> Result<bool> {
        self.store.write(|w| w.delete(self, key))
    }

    /// Every entry whose key starts with `prefix`, in key order. Reads only
    /// that range: `a/` never returns `ab`.
    pub fn scan_prefix(&self, prefix: &str) -> Result<Vec<(String, T)>> {
        self.scan_prefix_after(prefix, None, usize::MAX)
    }

    /// Up to `limit` entries under `prefix` whose keys come after `after`
    /// (exclusive) — one page of a listing whose last key was `after`.
    pub fn scan_prefix_after(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>> {
        self.store.inner.scan_decoded::<T, C>(
            self.name,
            prefix_bounds(prefix, after).0,
            None,
            &|k| k.starts_with(prefix),
            None,
            limit,
        )
    }

    /// Up to `limit` entries with `start <= key < end` (no upper bound when
    /// `end` is `None`), in key order.
    pub fn scan_range(
        &self,
        start: &str,
        end: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, T)>> {
        if end.is_some_and(|e| e <= start) {
            return Ok(Vec::new());
        }
        self.store.inner.scan_decoded::<T, C>(
            self.name,
            Bound::Included(start),
            end,
            &|_| true,
            None,
            limit,
        )
    }

    /// Up to `limit` entries with `start <= key < end`, in reverse key
    /// order (the last first).
    pub fn scan_range_rev(&self, start: &str, end: &str, limit: usize) -> Result<Vec<(String, T)>> {
        self.store
            .inner
            .scan_decoded_rev::<T, C>(self.name, start, end, limit)
    }

    /// How many entries the table holds (counts them: for tests and
    /// diagnostics, not request paths).
    pub fn len(&self) -> Result<u64> {
        let mut n = 0;
        self.store.inner.scan_raw(
            self.name,
            Bound::Unbounded,
            None,
            &|_| true,
            None,
            |_, _| {
                n += 1;
                Ok(ControlFlow::Continue(()))
            },
        )?;
        Ok(n)
    }

    /// Whether the table holds no entries.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// An open write transaction, handed to the closure of [`Store::write`].
pub struct WriteTxn {
    mode: TxnMode,
    /// The changes, for the write-ahead log (`None` without one).
    ops: Option<Vec<wal::Op>>,
}

/// How a transaction holds its writes until it ends.
enum TxnMode {
    /// In a redb write transaction (stores without a log).
    Direct(Box<redb::WriteTransaction>),
    /// In an overlay over the memtable and redb (logged stores).
    Logged {
        inner: Arc<Inner>,
        overlay: memtable::Memtable,
    },
}

impl fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteTxn")
    }
}

impl WriteTxn {
    /// Writes `value` at `key` in `table`.
    pub fn put<T, C: Codec<T>>(&mut self, table: &Table<T, C>, key: &str, value: &T) -> Result<()> {
        let bytes = encode::<T, C>(table.name, value)?;
        self.insert_bytes(table.name, key, bytes)
    }

    /// Removes `key` from `table`; `true` if it was present.
    pub fn delete<T, C>(&mut self, table: &Table<T, C>, key: &str) -> Result<bool> {
        self.remove_key(table.name, key)
    }

    /// Writes raw `bytes` at `key` in `table`.
    pub fn put_raw(&mut self, table: &RawTable, key: &str, bytes: &[u8]) -> Result<()> {
        self.insert_bytes(table.name, key, bytes.to_vec())
    }

    /// Removes `key` from the raw `table`; `true` if it was present.
    pub fn delete_raw(&mut self, table: &RawTable, key: &str) -> Result<bool> {
        self.remove_key(table.name, key)
    }

    /// The bytes at `key` as this transaction sees them.
    fn bytes(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>> {
        match &self.mode {
            TxnMode::Direct(txn) => match txn.open_table(def(table)) {
                Ok(t) => Ok(t.get(key)?.map(|v| v.value().to_vec())),
                Err(e) => Err(e.into()),
            },
            TxnMode::Logged { inner, overlay } => match overlay.get(table, key) {
                Some(v) => Ok(v.map(<[u8]>::to_vec)),
                None => inner.point(table, key),
            },
        }
    }

    fn insert_bytes(&mut self, table: &'static str, key: &str, bytes: Vec<u8>) -> Result<()> {
        match &mut self.mode {
            TxnMode::Direct(txn) => {
                let mut t = txn.open_table(def(table))?;
                t.insert(key, bytes.as_slice())?;
            }
            TxnMode::Logged { overlay, .. } => overlay.set(table, key, Some(bytes.clone())),
        }
        if let Some(ops) = self.ops.as_mut() {
            ops.push(wal::Op {
                table: table.to_string(),
                key: key.to_string(),
                value: Some(bytes),
            });
        }
        Ok(())
    }

    fn remove_key(&mut self, table: &'static str, key: &str) -> Result<bool> {
        let removed = match &mut self.mode {
            TxnMode::Direct(txn) => {
                let mut t = txn.open_table(def(table))?;
                let removed = t.remove(key)?.is_some();
                removed
            }
            TxnMode::Logged { .. } => {
                let present = self.bytes(table, key)?.is_some();
                if let TxnMode::Logged { overlay, .. } = &mut self.mode {
                    if present {
                        overlay.set(table, key, None);
                    }
                }
                present
            }
        };
        if removed {
            if let Some(ops) = self.ops.as_mut() {
                ops.push(wal::Op {
                    table: table.to_string(),
                    key: key.to_string(),
                    value: None,
                });
            }
        }
        Ok(removed)
    }

    /// The value at `key` in `table`, including this transaction's writes.
    pub fn get<T, C: Codec<T>>(&self, table: &Table<T, C>, key: &str) -> Result<Option<T>> {
        match self.bytes(table.name, key)? {
            Some(v) => Ok(Some(decode::<T, C>(table.name, key, &v)?)),
            None => Ok(None),
        }
    }

    /// The stored bytes at `key`, including this transaction's writes, not
    /// decoded: for a caller that keeps decoded values (see
    /// [`Table::get_bytes`]).
    pub fn get_bytes<T, C>(&self, table: &Table<T, C>, key: &str) -> Result<Option<Vec<u8>>> {
        self.bytes(table.name, key)
    }

    /// Every entry of `table` under `prefix`, including this transaction's
    /// writes.
    pub fn scan_prefix<T, C: Codec<T>>(
        &self,
        table: &Table<T, C>,
        prefix: &str,
    ) -> Result<Vec<(String, T)>> {
        match &self.mode {
            TxnMode::Direct(txn) => {
                let t = txn.open_table(def(table.name))?;
                let range = t.range::<&str>(prefix_bounds(prefix, None))?;
                collect::<T, C, _>(table.name, range, |k| k.starts_with(prefix), usize::MAX)
            }
            // This transaction's own changes are the newest layer over
            // the committed state (this thread holds the writer lock, so
            // no other commit lands meanwhile).
            TxnMode::Logged { inner, overlay } => inner.scan_decoded::<T, C>(
                table.name,
                Bound::Included(prefix),
                None,
                &|k| k.starts_with(prefix),
                Some(overlay),
                usize::MAX,
            ),
        }
    }
}
