//! Decoded records kept beside the bytes they were decoded from.
//!
//! A hot record (a queue, a key, a topic) is read on every request that
//! names it, and decoding its JSON cost more than the rest of the read. A
//! [`Memo`] keeps the last decoded value of each key together with its
//! stored bytes; a read still fetches the bytes (a memtable or redb point
//! lookup) and reuses the value only when they are the same bytes, so a
//! write by any path (a transaction, an import, a reset) is seen at once
//! and nothing needs invalidating.

use crate::{Codec, Result, Table};
use std::collections::HashMap;
use std::sync::Mutex;

/// Keys remembered at most; past it the memo starts over (a cache, not a
/// copy of the table).
const MAX_ENTRIES: usize = 1024;

/// Decoded values of one table, each with the bytes it came from.
pub struct Memo<T> {
    entries: Mutex<HashMap<String, (Vec<u8>, T)>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> std::fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl<T: Clone> Memo<T> {
    /// `table.get(key)`: the remembered value when the stored bytes are
    /// the ones it was decoded from, else decoded now (and remembered).
    pub fn get<C: Codec<T>>(&self, table: &Table<T, C>, key: &str) -> Result<Option<T>> {
        let Some(bytes) = table.get_bytes(key)? else {
            return Ok(None);
        };
        {
            let entries = self.lock();
            if let Some((seen, value)) = entries.get(key) {
                if *seen == bytes {
                    return Ok(Some(value.clone()));
                }
            }
        }
        let value = table.decode_bytes(key, &bytes)?;
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_string(), (bytes, value.clone()));
        Ok(Some(value))
    }

    /// The entries, even after a panic elsewhere poisoned the lock (an
    /// entry is only ever replaced whole).
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Vec<u8>, T)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Rec {
        n: u32,
    }

    #[test]
    fn a_memo_answers_what_the_table_holds_after_every_write() {
        let store = Store::in_memory().expect("store");
        let table: Table<Rec> = store.table("memo_rec");
        let memo = Memo::default();
        assert_eq!(memo.get(&table, "a").expect("get"), None);
        table.put("a", &Rec { n: 1 }).expect("put");
        assert_eq!(memo.get(&table, "a").expect("get"), Some(Rec { n: 1 }));
        assert_eq!(memo.get(&table, "a").expect("get"), Some(Rec { n: 1 }));
        // A write through a transaction, not through the memo.
        store
            .write(|txn| txn.put(&table, "a", &Rec { n: 2 }))
            .expect("write");
        assert_eq!(memo.get(&table, "a").expect("get"), Some(Rec { n: 2 }));
        table.delete("a").expect("delete");
        assert_eq!(memo.get(&table, "a").expect("get"), None);
    }

    #[test]
    fn a_memo_stays_bounded_and_right_past_its_size() {
        let store = Store::in_memory().expect("store");
        let table: Table<Rec> = store.table("memo_many");
        let memo = Memo::default();
        let count = MAX_ENTRIES as u32 + 10;
        store
            .write(|txn| (0..count).try_for_each(|n| txn.put(&table, &n.to_string(), &Rec { n })))
            .expect("write");
        for n in 0..count {
            assert_eq!(
                memo.get(&table, &n.to_string()).expect("get"),
                Some(Rec { n })
            );
        }
        assert!(memo.lock().len() <= MAX_ENTRIES);
        assert_eq!(memo.get(&table, "3").expect("get"), Some(Rec { n: 3 }));
    }
}
