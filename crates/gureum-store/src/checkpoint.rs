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
/// Commits after which a writer wakes the checkpointer.
pub(crate) const CHECKPOINT_AFTER_COMMITS: u64 = 20_000;

/// A wake-up call for the checkpointer thread.
#[derive(Default)]
pub(crate) struct Signal {
    woken: parking_lot::Mutex<bool>,
    cv: parking_lot::Condvar,
}

impl Signal {
    /// Asks for a checkpoint now (cheap: writers call it, never wait).
    pub(crate) fn wake(&self) {
        *self.woken.lock() = true;
        self.cv.notify_one();
    }

    /// Waits for a wake-up or `timeout`, whichever comes first.
    fn wait(&self, timeout: std::time::Duration) {
        let mut woken = self.woken.lock();
        if !*woken {
            self.cv.wait_for(&mut woken, timeout);
        }
        *woken = false;
    }
}

impl Inner {
    /// Makes every commit so far durable and drops the logs they are in.
    ///
    /// Writers are held off only while the live memtable is frozen and
    /// the log rotated (a swap and a file creation); the redb commit and
    /// its fsync run without the writer lock, while reads find the
    /// frozen memtable (and writers the new live one and the new log).
    pub(crate) fn checkpoint(&self) -> Result<()> {
        if self.wal.is_none() {
            return Ok(());
        }
        let _one = self.checkpointing.lock();
        let Some(layers) = self.freeze_for_checkpoint()? else {
            return Ok(());
        };
        self.commit_layers(&layers, redb::Durability::Immediate)?;
        self.drop_logs_before_current()
    }

    /// Under the writer lock: starts the next log and freezes the live
    /// memtable; returns every frozen memtable (oldest first), `None`
    /// when nothing was written since the last checkpoint.
    pub(crate) fn freeze_for_checkpoint(&self) -> Result<Option<Vec<Arc<memtable::Memtable>>>> {
        let Some(wal) = &self.wal else {
            return Ok(None);
        };
        let _w = self.writer.lock();
        let mut log = wal.lock();
        let mut mems = self.mems.write();
        if log.pending == 0 && mems.frozen.is_empty() {
            return Ok(None);
        }
        // Every commit before the rotation is in the live memtable or a
        // frozen one; every later one goes to the new log.
        log.rotate().map_err(|e| self.io_error(e))?;
        if !mems.active.is_empty() {
            let active = std::mem::take(&mut mems.active);
            mems.frozen.push(Arc::new(active));
        }
        Ok(Some(mems.frozen.clone()))
    }

    /// Commits `layers` (the oldest frozen memtables, oldest first) into
    /// redb in one transaction, then forgets them. Holds no writer lock.
    pub(crate) fn commit_layers(
        &self,
        layers: &[Arc<memtable::Memtable>],
        durability: redb::Durability,
    ) -> Result<()> {
        let mut txn = self.db.begin_write()?;
        // Quick repair: a reopen after kill -9 reads the saved allocator
        // state instead of walking the whole file (seconds at 1 GB).
        txn.set_quick_repair(true);
        txn.set_durability(durability);
        for layer in layers {
            layer.apply(&txn)?;
        }
        txn.commit()?;
        // The shared snapshot goes before the layers (read_view.rs).
        self.invalidate_reads();
        let mut mems = self.mems.write();
        // Snapshots may have frozen more since; those stay, in order.
        mems.frozen.drain(..layers.len());
        Ok(())
    }

    /// Deletes the logs older than the current one (a durable commit has
    /// their records).
    pub(crate) fn drop_logs_before_current(&self) -> Result<()> {
        let Some(wal) = &self.wal else { return Ok(()) };
        let (dir, generation) = {
            let log = wal.lock();
            (log.dir().to_path_buf(), log.generation())
        };
        wal::remove_before(&dir, generation).map_err(|e| self.io_error(e))
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
        // Quick repair: a reopen after kill -9 reads the saved allocator
        // state instead of walking the whole file (seconds at 1 GB).
        txn.set_quick_repair(true);
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

/// Checkpoints `inner` every second while it lives, and when a writer
/// or snapshot asks.
pub(crate) fn spawn_checkpointer(inner: &Arc<Inner>) {
    let weak = Arc::downgrade(inner);
    let signal = Arc::clone(&inner.signal);
    let _ = std::thread::Builder::new()
        .name("gureum-checkpoint".into())
        .spawn(move || loop {
            signal.wait(CHECKPOINT_EVERY);
            let Some(inner) = weak.upgrade() else { return };
            if let Err(e) = inner.checkpoint() {
                eprintln!("gureum-store: checkpoint failed: {e}");
            }
        });
}
