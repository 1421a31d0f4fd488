//! Whole-store operations for resets and imports: clearing tables and
//! replacing everything, each durable and atomic.
//!
//! Both run with writers held off, after making everything acknowledged
//! durable in redb and deleting the logs: otherwise a crash after the
//! reset's commit would replay older logged writes over it and bring back
//! what it removed.

use super::*;

/// One table's rows for [`Store::replace_all`]: name, then `(key, bytes)`.
pub type TableRows = (String, Vec<(String, Vec<u8>)>);

impl Store {
    /// Removes every table whose name `clear` accepts (e.g. those starting
    /// with `s3.`), in one durable commit; returns the names removed.
    pub fn clear_tables(&self, clear: impl Fn(&str) -> bool) -> Result<Vec<String>> {
        self.exclusive(|txn| {
            let names: Vec<String> = txn
                .list_tables()?
                .map(|t| redb::TableHandle::name(&t).to_string())
                .filter(|n| clear(n))
                .collect();
            for name in &names {
                txn.delete_table(def(name))?;
            }
            Ok(names)
        })
    }

    /// Replaces the whole state with `tables` in one durable commit:
    /// afterwards the store holds exactly these rows.
    pub fn replace_all(&self, tables: Vec<TableRows>) -> Result<()> {
        self.exclusive(|txn| {
            let names: Vec<String> = txn
                .list_tables()?
                .map(|t| redb::TableHandle::name(&t).to_string())
                .collect();
            for name in &names {
                txn.delete_table(def(name))?;
            }
            for (name, rows) in &tables {
                let mut t = txn.open_table(def(name))?;
                for (key, bytes) in rows {
                    t.insert(key.as_str(), bytes.as_slice())?;
                }
            }
            Ok(())
        })
    }

    /// Runs `f` in a durable redb transaction with every writer held off
    /// and nothing left in the logs or memtables.
    fn exclusive<R>(&self, f: impl FnOnce(&redb::WriteTransaction) -> Result<R>) -> Result<R> {
        let inner = &self.inner;
        let _one = inner.checkpointing.lock();
        let _w = inner.writer.lock();
        if inner.wal.is_some() {
            if let Some(layers) = inner.freeze_for_checkpoint()? {
                inner.commit_layers(&layers, redb::Durability::Immediate)?;
            }
            inner.drop_logs_before_current()?;
        }
        let mut txn = inner.db.begin_write()?;
        // Quick repair: a reopen after kill -9 reads the saved allocator
        // state instead of walking the whole file (seconds at 1 GB).
        txn.set_quick_repair(true);
        txn.set_durability(redb::Durability::Immediate);
        let r = f(&txn)?;
        txn.commit()?;
        inner.invalidate_reads();
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_tables_removes_only_the_named_ones_and_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("gureum-store-clear-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let store = Store::open(&dir).expect("open");
            let s3: Table<u32> = store.table("s3.buckets");
            let iam: Table<u32> = store.table("iam.users");
            s3.put("b", &1).expect("put");
            store.checkpoint().expect("checkpoint");
            s3.put("c", &2).expect("put");
            iam.put("alice", &3).expect("put");
            let cleared = store.clear_tables(|n| n.starts_with("s3.")).expect("clear");
            assert_eq!(cleared, ["s3.buckets"]);
            assert_eq!(s3.get("b").expect("get"), None);
            assert_eq!(
                s3.get("c").expect("get"),
                None,
                "a logged write is cleared too"
            );
            assert!(s3.scan_prefix("").expect("scan").is_empty());
            assert_eq!(iam.get("alice").expect("get"), Some(3));
        }
        let store = Store::open(&dir).expect("reopen");
        let s3: Table<u32> = store.table("s3.buckets");
        let iam: Table<u32> = store.table("iam.users");
        assert!(
            s3.scan_prefix("").expect("scan").is_empty(),
            "no log replays it"
        );
        assert_eq!(iam.get("alice").expect("get"), Some(3));
        drop((s3, iam, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn clearing_works_the_same_when_every_write_is_fsynced() {
        let dir =
            std::env::temp_dir().join(format!("gureum-store-clear-power-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let store = Store::open_with(&dir, Durability::Power).expect("open");
            let t: Table<u32> = store.table("s3.buckets");
            t.put("b", &1).expect("put");
            store.clear_tables(|n| n.starts_with("s3.")).expect("clear");
            assert_eq!(t.get("b").expect("get"), None);
        }
        let store = Store::open_with(&dir, Durability::Power).expect("reopen");
        let t: Table<u32> = store.table("s3.buckets");
        assert_eq!(t.get("b").expect("get"), None);
        drop((t, store));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn replacing_everything_leaves_exactly_the_rows_given() {
        let store = Store::in_memory().expect("store");
        let a: Table<u32> = store.table("a");
        a.put("old", &1).expect("put");
        store
            .replace_all(vec![(
                "b".into(),
                vec![("k".into(), serde_json::to_vec(&7u32).expect("json"))],
            )])
            .expect("replace");
        let b: Table<u32> = store.table("b");
        assert_eq!(a.get("old").expect("get"), None);
        assert_eq!(b.get("k").expect("get"), Some(7));
        let snap = store.snapshot().expect("snapshot");
        assert_eq!(snap.table_names().expect("names"), ["b"]);
    }
}
