//! Lazy, consistent reads for listings: a [`Snapshot`] of the store and
//! [`Cursor`]s over its tables.
//!
//! A snapshot is a redb read transaction plus the memtables not yet in it
//! (the frozen ones a checkpoint is writing, and the live one, frozen for
//! the snapshot or copied for one range), taken under one lock so that
//! together they are one state. Cursors merge the layers: the newest layer
//! that knows a key decides it (a removal hides the key), redb otherwise.
//! No range read writes to redb, so none waits for a checkpoint's fsync.

use super::*;

/// A consistent read view of the whole store: every [`Cursor`] opened
/// through one snapshot sees the same commit, however long it is kept.
/// For listings that read several ranges (and several tables) lazily.
pub struct Snapshot {
    txn: redb::ReadTransaction,
    /// Changes not in `txn`'s commit (or possibly in it: replaying them
    /// is harmless), oldest first.
    layers: Arc<[Arc<memtable::Memtable>]>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Snapshot")
    }
}

impl Store {
    /// A read view of the last committed state (see [`Snapshot`]).
    pub fn snapshot(&self) -> Result<Snapshot> {
        self.inner.view(Freeze::All)
    }
}

/// What a view takes of the live memtable.
pub(crate) enum Freeze<'a> {
    /// All of it: it is frozen (becomes read-only) for the view.
    All,
    /// A copy of one table's changes from `start` while `keep` holds.
    Range {
        table: &'a str,
        start: Bound<&'a str>,
        keep: &'a dyn Fn(&str) -> bool,
    },
}

impl Inner {
    /// A consistent view: redb's last commit and the memtables over it.
    pub(crate) fn view(&self, live: Freeze<'_>) -> Result<Snapshot> {
        // Under the lock, so that no checkpoint drops a frozen layer (or
        // freezes the live one) between taking the layers and redb's
        // snapshot; beginning a read transaction never waits for writers.
        let mut mems = self.mems.write();
        let mut layers: Vec<Arc<memtable::Memtable>> = mems.frozen.clone();
        match live {
            Freeze::All => {
                if !mems.active.is_empty() {
                    let active = std::mem::take(&mut mems.active);
                    let frozen = Arc::new(active);
                    mems.frozen.push(Arc::clone(&frozen));
                    layers.push(frozen);
                    if mems.frozen.len() >= MAX_FROZEN {
                        self.signal.wake();
                    }
                }
            }
            Freeze::Range { table, start, keep } => {
                let copy = mems.active.copy_range(table, start, keep);
                if !copy.is_empty() {
                    layers.push(Arc::new(copy));
                }
            }
        }
        let txn = self.db.begin_read()?;
        drop(mems);
        Ok(Snapshot {
            txn,
            layers: layers.into(),
        })
    }
}

/// Frozen memtables after which a snapshot asks for a checkpoint: every
/// point read that misses looks through each of them.
const MAX_FROZEN: usize = 8;

impl Snapshot {
    /// Adds a newest layer (a write transaction's own changes).
    pub(crate) fn with_layer(mut self, layer: memtable::Memtable) -> Snapshot {
        let mut layers: Vec<_> = self.layers.iter().cloned().collect();
        layers.push(Arc::new(layer));
        self.layers = layers.into();
        self
    }

    /// A cursor over `table` as of this snapshot, positioned nowhere until
    /// [`Cursor::seek`].
    pub fn cursor<T, C>(&self, table: &Table<T, C>) -> Result<Cursor<T, C>> {
        self.cursor_named(table.name)
    }

    pub(crate) fn cursor_named<T, C>(&self, name: &'static str) -> Result<Cursor<T, C>> {
        let t = match self.txn.open_table(def(name)) {
            Ok(t) => Some(t),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Cursor {
            name,
            table: t,
            layers: Arc::clone(&self.layers),
            range: None,
            db_next: None,
            pos: None,
            end: None,
            _type: PhantomData,
        })
    }

    /// Every table name with entries or changes in this snapshot, sorted.
    pub fn table_names(&self) -> Result<Vec<String>> {
        let mut names: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for t in self.txn.list_tables()? {
            names.insert(redb::TableHandle::name(&t).to_string());
        }
        for layer in self.layers.iter() {
            names.extend(layer.table_names().map(str::to_string));
        }
        Ok(names.into_iter().collect())
    }

    /// Hands `visit` every entry of the table `name` in key order, raw.
    pub fn visit_raw(
        &self,
        name: &str,
        mut visit: impl FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<()> {
        // Cursors name tables by `&'static str` (the services' constants);
        // a listed name is leaked once per distinct table, a bounded set.
        let name: &'static str = intern(name);
        let mut c: Cursor<(), Json> = self.cursor_named(name)?;
        c.seek("", false, None)?;
        while let Some(row) = c.next()? {
            visit(row.key(), row.bytes())?;
        }
        Ok(())
    }
}

/// A `'static` copy of a table name, made once per name.
fn intern(name: &str) -> &'static str {
    static NAMES: parking_lot::Mutex<Vec<&'static str>> = parking_lot::Mutex::new(Vec::new());
    let mut names = NAMES.lock();
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(leaked);
    leaked
}

type RawRange = redb::Range<'static, &'static str, &'static [u8]>;
type DbRow = (
    redb::AccessGuard<'static, &'static str>,
    redb::AccessGuard<'static, &'static [u8]>,
);

/// Reads one table's keys in order from a position, lazily: values are
/// decoded only when asked for, and [`Cursor::seek`] jumps ahead without
/// reading what lies between (a B-tree descent).
pub struct Cursor<T, C = Json> {
    name: &'static str,
    table: Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>,
    layers: Arc<[Arc<memtable::Memtable>]>,
    range: Option<RawRange>,
    /// redb's next entry, read ahead to compare with the layers'.
    db_next: Option<DbRow>,
    /// The last key returned (exclusive) or the seek position; `None`
    /// before a seek and past the end.
    pos: Option<(String, bool)>,
    end: Option<String>,
    _type: PhantomData<fn() -> (T, C)>,
}

impl<T, C> fmt::Debug for Cursor<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor").field("table", &self.name).finish()
    }
}

/// Where a row's bytes are: in redb, or copied from a memtable.
enum RowData {
    Db(DbRow),
    Mem(String, Vec<u8>),
}

/// One entry read by a [`Cursor`]: the key, and the value still encoded.
pub struct Row<T, C = Json> {
    table: &'static str,
    data: RowData,
    _type: PhantomData<fn() -> (T, C)>,
}

impl<T, C> fmt::Debug for Row<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row").field("key", &self.key()).finish()
    }
}

impl<T, C> Row<T, C> {
    /// The key.
    pub fn key(&self) -> &str {
        match &self.data {
            RowData::Db((k, _)) => k.value(),
            RowData::Mem(k, _) => k,
        }
    }

    /// The value's stored bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.data {
            RowData::Db((_, v)) => v.value(),
            RowData::Mem(_, v) => v,
        }
    }
}

impl<T, C: Codec<T>> Row<T, C> {
    /// The value, decoded.
    pub fn value(&self) -> Result<T> {
        decode::<T, C>(self.table, self.key(), self.bytes())
    }
}

impl<T, C> Cursor<T, C> {
    /// Positions the cursor at the first key `>= start` (or `> start` when
    /// `exclusive`), reading no further than `end` (exclusive) if given.
    pub fn seek(&mut self, start: &str, exclusive: bool, end: Option<&str>) -> Result<()> {
        self.range = None;
        self.db_next = None;
        self.pos = None;
        if end.is_some_and(|e| e <= start) {
            return Ok(());
        }
        self.pos = Some((start.to_string(), exclusive));
        self.end = end.map(str::to_string);
        if let Some(t) = &self.table {
            let lower = if exclusive {
                Bound::Excluded(start)
            } else {
                Bound::Included(start)
            };
            let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
            self.range = Some(t.range::<&str>((lower, upper))?);
        }
        Ok(())
    }

    /// Positions the cursor to read backwards ([`Cursor::prev`]) from the
    /// last key before `end` (exclusive) down to `start` (inclusive).
    pub fn seek_back(&mut self, start: &str, end: &str) -> Result<()> {
        self.range = None;
        self.db_next = None;
        self.pos = None;
        if end <= start {
            return Ok(());
        }
        self.pos = Some((end.to_string(), true));
        // `end` holds the lower bound while reading backwards.
        self.end = Some(start.to_string());
        if let Some(t) = &self.table {
            self.range = Some(t.range::<&str>((Bound::Included(start), Bound::Excluded(end)))?);
        }
        Ok(())
    }

    /// The previous entry of a cursor placed by [`Cursor::seek_back`],
    /// `None` past the start of the range.
    pub fn prev(&mut self) -> Result<Option<Row<T, C>>> {
        loop {
            let Some((pos, exclusive)) = &self.pos else {
                return Ok(None);
            };
            let start = self.end.as_deref().unwrap_or("");
            if self.db_next.is_none() {
                if let Some(range) = &mut self.range {
                    match range.next_back() {
                        Some(item) => self.db_next = Some(item?),
                        None => self.range = None,
                    }
                }
            }
            // The layers' last key before the position; on a tie the
            // newest layer decides.
            let mut best: Option<(&str, Option<&[u8]>)> = None;
            for layer in self.layers.iter().rev() {
                if let Some((k, v)) = layer.last_before(self.name, pos, *exclusive, start) {
                    if best.is_none_or(|(b, _)| k > b) {
                        best = Some((k, v));
                    }
                }
            }
            let db_key = self.db_next.as_ref().map(|(k, _)| k.value());
            let from_db = match (db_key, best) {
                (None, None) => {
                    self.pos = None;
                    return Ok(None);
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(d), Some((b, _))) => d > b,
            };
            if from_db {
                let row = self.db_next.take().expect("read ahead above");
                self.pos = Some((row.0.value().to_string(), true));
                return Ok(Some(Row {
                    table: self.name,
                    data: RowData::Db(row),
                    _type: PhantomData,
                }));
            }
            let (key, value) = best.expect("a layer entry");
            let (key, value) = (key.to_string(), value.map(<[u8]>::to_vec));
            if db_key == Some(key.as_str()) {
                // Shadowed by the layer.
                self.db_next = None;
            }
            self.pos = Some((key.clone(), true));
            if let Some(v) = value {
                return Ok(Some(Row {
                    table: self.name,
                    data: RowData::Mem(key, v),
                    _type: PhantomData,
                }));
            }
        }
    }

    /// The next entry, `None` past the end of the range.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<T, C>>> {
        loop {
            let Some((pos, exclusive)) = &self.pos else {
                return Ok(None);
            };
            if self.db_next.is_none() {
                if let Some(range) = &mut self.range {
                    match range.next() {
                        Some(item) => self.db_next = Some(item?),
                        None => self.range = None,
                    }
                }
            }
            // The layers' first key after the position; on a tie the
            // newest layer decides.
            let mut best: Option<(&str, Option<&[u8]>)> = None;
            for layer in self.layers.iter().rev() {
                if let Some((k, v)) =
                    layer.first_after(self.name, pos, *exclusive, self.end.as_deref())
                {
                    if best.is_none_or(|(b, _)| k < b) {
                        best = Some((k, v));
                    }
                }
            }
            let db_key = self.db_next.as_ref().map(|(k, _)| k.value());
            let from_db = match (db_key, best) {
                (None, None) => {
                    self.pos = None;
                    return Ok(None);
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(d), Some((b, _))) => d < b,
            };
            if from_db {
                let row = self.db_next.take().expect("read ahead above");
                self.pos = Some((row.0.value().to_string(), true));
                return Ok(Some(Row {
                    table: self.name,
                    data: RowData::Db(row),
                    _type: PhantomData,
                }));
            }
            let (key, value) = best.expect("a layer entry");
            let (key, value) = (key.to_string(), value.map(<[u8]>::to_vec));
            if db_key == Some(key.as_str()) {
                // Shadowed by the layer.
                self.db_next = None;
            }
            self.pos = Some((key.clone(), true));
            if let Some(v) = value {
                return Ok(Some(Row {
                    table: self.name,
                    data: RowData::Mem(key, v),
                    _type: PhantomData,
                }));
            }
        }
    }
}
