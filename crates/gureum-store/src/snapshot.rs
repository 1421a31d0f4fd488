//! Lazy, consistent reads for listings: a [`Snapshot`] of the store and
//! [`Cursor`]s over its tables.

use super::*;

/// A consistent read view of the whole store: every [`Cursor`] opened
/// through one snapshot sees the same commit, however long it is kept.
/// For listings that read several ranges (and several tables) lazily.
pub struct Snapshot {
    txn: redb::ReadTransaction,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Snapshot")
    }
}

impl Store {
    /// A read view of the last committed state (see [`Snapshot`]).
    pub fn snapshot(&self) -> Result<Snapshot> {
        self.inner.settle()?;
        Ok(Snapshot {
            txn: self.inner.db.begin_read()?,
        })
    }
}

impl Snapshot {
    /// A cursor over `table` as of this snapshot, positioned nowhere until
    /// [`Cursor::seek`].
    pub fn cursor<T, C>(&self, table: &Table<T, C>) -> Result<Cursor<T, C>> {
        let t = match self.txn.open_table(def(table.name)) {
            Ok(t) => Some(t),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Cursor {
            name: table.name,
            table: t,
            range: None,
            _type: PhantomData,
        })
    }
}

type RawRange = redb::Range<'static, &'static str, &'static [u8]>;

/// Reads one table's keys in order from a position, lazily: values are
/// decoded only when asked for, and [`Cursor::seek`] jumps ahead without
/// reading what lies between (a B-tree descent).
pub struct Cursor<T, C = Json> {
    name: &'static str,
    table: Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>,
    range: Option<RawRange>,
    _type: PhantomData<fn() -> (T, C)>,
}

impl<T, C> fmt::Debug for Cursor<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor").field("table", &self.name).finish()
    }
}

/// One entry read by a [`Cursor`]: the key, and the value still encoded.
pub struct Row<T, C = Json> {
    table: &'static str,
    key: redb::AccessGuard<'static, &'static str>,
    value: redb::AccessGuard<'static, &'static [u8]>,
    _type: PhantomData<fn() -> (T, C)>,
}

impl<T, C> fmt::Debug for Row<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row")
            .field("key", &self.key.value())
            .finish()
    }
}

impl<T, C> Row<T, C> {
    /// The key.
    pub fn key(&self) -> &str {
        self.key.value()
    }
}

impl<T, C: Codec<T>> Row<T, C> {
    /// The value, decoded.
    pub fn value(&self) -> Result<T> {
        decode::<T, C>(self.table, self.key(), self.value.value())
    }
}

impl<T, C> Cursor<T, C> {
    /// Positions the cursor at the first key `>= start` (or `> start` when
    /// `exclusive`), reading no further than `end` (exclusive) if given.
    pub fn seek(&mut self, start: &str, exclusive: bool, end: Option<&str>) -> Result<()> {
        self.range = None;
        let Some(t) = &self.table else {
            return Ok(());
        };
        if end.is_some_and(|e| e <= start) {
            return Ok(());
        }
        let lower = if exclusive {
            Bound::Excluded(start)
        } else {
            Bound::Included(start)
        };
        let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
        self.range = Some(t.range::<&str>((lower, upper))?);
        Ok(())
    }

    /// The next entry, `None` past the end of the range.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<T, C>>> {
        let Some(range) = &mut self.range else {
            return Ok(None);
        };
        match range.next() {
            None => {
                self.range = None;
                Ok(None)
            }
            Some(item) => {
                let (key, value) = item?;
                Ok(Some(Row {
                    table: self.name,
                    key,
                    value,
                    _type: PhantomData,
                }))
            }
        }
    }
}
