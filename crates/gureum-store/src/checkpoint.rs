//! Durability: what an acknowledged write survives, the checkpoints that
//! make logged commits durable, and recovery from the logs at open.

use super::*;

/// What an acknowledged write survives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// A crash or `kill -9` of the process: each commit is appended to a
    /// write-ahead log (no fsync) and checkpointed with an fsync every
    /// second, so a power cut may lose the last second. The default.
    #[default]
    Process,
    /// Also a power cut: every commit is fsynced before it returns.
    Power,
}

/// How often unsynced commits are checkpointed.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Commits after which a writer checkpoints at once.
pub(crate) const CHECKPOINT_AFTER_COMMITS: u64 = 20_000;

impl Inner {
    /// Makes every commit so far durable and drops the logs they are in.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        let Some(wal) = &self.wal else { return Ok(()) };
        // Writers stay out while the log rotates and the memtable flushes.
        let _w = self.writer.lock();
        let mut log = wal.lock();
        if log.pending == 0 {
            return Ok(());
        }
        log.rotate().map_err(|e| self.io_error(e))?;
        self.flush_locked(redb::Durability::Immediate)?;
        log.remove_before().map_err(|e| self.io_error(e))?;
        Ok(())
    }

    pub(crate) fn io_error(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone().unwrap_or_default(),
            source,
        }
    }
}

/// Replays the logs left in `dir` (a crash since the last checkpoint) in
/// one durable commit, then removes them; returns the next generation.
pub(crate) fn recover(db: &Database, dir: &Path) -> Result<u64> {
    let io = |source| StoreError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let logs = wal::existing(dir).map_err(io)?;
    let next = logs.last().map_or(1, |(g, _)| g + 1);
    let records = wal::read_all(dir).map_err(io)?;
    if !records.is_empty() {
        let mut txn = db.begin_write()?;
        txn.set_durability(redb::Durability::Immediate);
        for ops in &records {
            for op in ops {
                let mut t = txn.open_table(def(&op.table))?;
                match &op.value {
                    Some(v) => {
                        t.insert(op.key.as_str(), v.as_slice())?;
                    }
                    None => {
                        t.remove(op.key.as_str())?;
                    }
                }
            }
        }
        txn.commit()?;
    }
    for (_, path) in logs {
        std::fs::remove_file(path).map_err(io)?;
    }
    Ok(next)
}

/// Checkpoints `inner` every second while it lives.
pub(crate) fn spawn_checkpointer(inner: &Arc<Inner>) {
    let weak = Arc::downgrade(inner);
    let _ = std::thread::Builder::new()
        .name("gureum-checkpoint".into())
        .spawn(move || loop {
            std::thread::sleep(CHECKPOINT_EVERY);
            let Some(inner) = weak.upgrade() else { return };
            if let Err(e) = inner.checkpoint() {
                eprintln!("gureum-store: checkpoint failed: {e}");
            }
        });
}
