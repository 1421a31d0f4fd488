//! A checkpoint stepped through by hand: reads and writes between its
//! freeze and its commit, and crashes at each step.

use super::*;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "gureum-store-ckpt-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        Dir(dir)
    }

    /// A logged store with no checkpointer thread: the test checkpoints.
    fn open(&self) -> Store {
        Store::open_inner(&self.0.join(STATE_FILE), Durability::Process, false).expect("open")
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(t: &Table<String>, k: &str) -> Option<String> {
    t.get(k).expect("get")
}

fn keys(t: &Table<String>) -> Vec<(String, String)> {
    t.scan_prefix("").expect("scan")
}

fn snapshot_keys(store: &Store, t: &Table<String>) -> Vec<(String, String)> {
    let snap = store.snapshot().expect("snapshot");
    let mut c = snap.cursor(t).expect("cursor");
    c.seek("", false, None).expect("seek");
    let mut out = Vec::new();
    while let Some(row) = c.next().expect("next") {
        out.push((row.key().to_string(), row.value().expect("value")));
    }
    out
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn reads_between_freeze_and_commit_see_the_frozen_data() {
    let dir = Dir::new("frozen-reads");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    t.put("a", &"1".into()).expect("put");
    t.put("b", &"2".into()).expect("put");
    let layers = store
        .inner
        .freeze_for_checkpoint()
        .expect("freeze")
        .expect("something to checkpoint");
    assert!(store.inner.mems.read().active.is_empty());
    // Writers are free while the frozen table waits for its commit.
    t.put("c", &"3".into()).expect("put during checkpoint");
    assert_eq!(text(&t, "a").as_deref(), Some("1"));
    assert_eq!(
        keys(&t),
        pairs(&[("a", "1"), ("b", "2"), ("c", "3")]),
        "a range read merges frozen and live"
    );
    assert_eq!(
        snapshot_keys(&store, &t),
        pairs(&[("a", "1"), ("b", "2"), ("c", "3")])
    );
    store
        .inner
        .commit_layers(&layers, redb::Durability::Immediate)
        .expect("commit");
    // The snapshot above froze "c": one layer left, and everything reads.
    assert_eq!(store.inner.mems.read().frozen.len(), 1);
    assert_eq!(text(&t, "a").as_deref(), Some("1"));
    assert_eq!(text(&t, "c").as_deref(), Some("3"));
    assert_eq!(keys(&t).len(), 3);
}

#[test]
fn the_newest_layer_decides_overwrites_and_removals() {
    let dir = Dir::new("layers");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    // redb: a=1 b=1 c=1 e=1
    for k in ["a", "b", "c", "e"] {
        t.put(k, &"1".into()).expect("put");
    }
    store.checkpoint().expect("checkpoint");
    // frozen: a=2, b removed, d=2, e removed
    t.put("a", &"2".into()).expect("put");
    t.delete("b").expect("delete");
    t.put("d", &"2".into()).expect("put");
    t.delete("e").expect("delete");
    let layers = store
        .inner
        .freeze_for_checkpoint()
        .expect("freeze")
        .expect("some");
    // live: a removed, b=3 again, d=3, e=3
    t.delete("a").expect("delete");
    t.put("b", &"3".into()).expect("put");
    t.put("d", &"3".into()).expect("put");
    t.put("e", &"3".into()).expect("put");
    let want = pairs(&[("b", "3"), ("c", "1"), ("d", "3"), ("e", "3")]);
    let check = |when: &str| {
        assert_eq!(text(&t, "a"), None, "{when}: a");
        assert_eq!(text(&t, "b").as_deref(), Some("3"), "{when}: b");
        assert_eq!(text(&t, "c").as_deref(), Some("1"), "{when}: c");
        assert_eq!(keys(&t), want, "{when}: scan");
        assert_eq!(snapshot_keys(&store, &t), want, "{when}: snapshot");
        assert_eq!(t.len().expect("len"), 4, "{when}: len");
        assert_eq!(
            t.scan_prefix_after("", Some("b"), 2).expect("page"),
            pairs(&[("c", "1"), ("d", "3")]),
            "{when}: page"
        );
    };
    check("during the checkpoint");
    store
        .inner
        .commit_layers(&layers, redb::Durability::Immediate)
        .expect("commit");
    check("after the commit");
    store.checkpoint().expect("checkpoint");
    check("all in redb");
    drop((t, store));
    let store = dir.open();
    let t: Table<String> = store.table("t");
    assert_eq!(keys(&t), want, "after reopening");
}

#[test]
fn a_transaction_scan_sees_its_own_writes_over_every_layer() {
    let dir = Dir::new("txn-scan");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    t.put("p/1", &"redb".into()).expect("put");
    t.put("p/2", &"redb".into()).expect("put");
    store.checkpoint().expect("checkpoint");
    t.put("p/3", &"frozen".into()).expect("put");
    let _layers = store.inner.freeze_for_checkpoint().expect("freeze");
    t.delete("p/1").expect("delete");
    let seen = store
        .write(|w| {
            w.put(&t, "p/4", &"mine".into())?;
            w.delete(&t, "p/2")?;
            w.scan_prefix(&t, "p/")
        })
        .expect("write");
    assert_eq!(seen, pairs(&[("p/3", "frozen"), ("p/4", "mine")]));
}

#[test]
fn a_crash_after_the_freeze_loses_nothing() {
    let dir = Dir::new("crash-freeze");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    t.put("a", &"old".into()).expect("put");
    t.put("gone", &"x".into()).expect("put");
    let _layers = store.inner.freeze_for_checkpoint().expect("freeze");
    t.put("a", &"new".into()).expect("put");
    t.delete("gone").expect("delete");
    t.put("b", &"later".into()).expect("put");
    drop((t, store)); // the commit never happens: a crash
    let store = dir.open();
    let t: Table<String> = store.table("t");
    assert_eq!(keys(&t), pairs(&[("a", "new"), ("b", "later")]));
}

#[test]
fn a_crash_after_the_commit_before_dropping_logs_replays_in_order() {
    let dir = Dir::new("crash-commit");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    t.put("a", &"1".into()).expect("put");
    let layers = store
        .inner
        .freeze_for_checkpoint()
        .expect("freeze")
        .expect("some");
    t.put("a", &"2".into()).expect("put");
    t.delete("a").expect("delete");
    t.put("a", &"3".into()).expect("put");
    store
        .inner
        .commit_layers(&layers, redb::Durability::Immediate)
        .expect("commit");
    assert!(
        wal::existing(&dir.0).expect("logs").len() >= 2,
        "the old log is still there"
    );
    drop((t, store)); // before the old log is deleted
    let store = dir.open();
    let t: Table<String> = store.table("t");
    assert_eq!(text(&t, "a").as_deref(), Some("3"));
}

#[test]
fn a_checkpoint_drops_the_logs_it_covers() {
    let dir = Dir::new("drop-logs");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    t.put("a", &"1".into()).expect("put");
    store.checkpoint().expect("checkpoint");
    let logs = wal::existing(&dir.0).expect("logs");
    assert_eq!(logs.len(), 1, "only the new, empty log: {logs:?}");
    assert!(store.inner.mems.read().frozen.is_empty());
}

#[test]
fn writes_and_range_reads_never_wait_for_a_checkpoint_commit() {
    let dir = Dir::new("no-wait");
    let store = dir.open();
    let t: Table<String> = store.table("t");
    t.put("a", &"1".into()).expect("put");
    let layers = store
        .inner
        .freeze_for_checkpoint()
        .expect("freeze")
        .expect("some");
    // What the checkpoint's commit holds across its fsync: redb's write
    // lock (and no lock of ours).
    let held = store.inner.db.begin_write().expect("redb's write lock");
    let (tx, rx) = std::sync::mpsc::channel();
    let other = store.clone();
    std::thread::spawn(move || {
        let t: Table<String> = other.table("t");
        let result = (|| -> Result<(usize, usize)> {
            t.put("b", &"2".into())?;
            let scanned = t.scan_prefix("")?.len();
            let snap = other.snapshot()?;
            let mut c = snap.cursor(&t)?;
            c.seek("", false, None)?;
            let mut listed = 0;
            while c.next()?.is_some() {
                listed += 1;
            }
            Ok((scanned, listed))
        })();
        let _ = tx.send(result.map_err(|e| e.to_string()));
    });
    let seen = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a write or a range read waited for the commit");
    assert_eq!(seen, Ok((2, 2)));
    drop(held);
    store
        .inner
        .commit_layers(&layers, redb::Durability::Immediate)
        .expect("commit");
}
