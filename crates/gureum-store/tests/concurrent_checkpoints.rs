//! Writers, readers and checkpoints at once: every snapshot and every
//! range read sees whole transactions, whatever memtable or redb holds
//! their rows at that moment.

mod common;

use common::TempDir;
use gureum_store::{Store, Table};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WRITERS: u64 = 3;
/// Rows each writer keeps: its transaction n writes row n and removes
/// row n - KEEP, and sets its counter to n.
const KEEP: u64 = 8;

fn row_key(w: u64, n: u64) -> String {
    format!("w{w}/{n:010}")
}

/// The rows a writer whose counter is `c` has, in a consistent state.
fn expected(w: u64, c: u64) -> Vec<String> {
    (c.saturating_sub(KEEP - 1).max(1)..=c)
        .map(|n| row_key(w, n))
        .collect()
}

#[test]
fn snapshots_and_scans_see_whole_transactions_across_checkpoints() {
    let dir = TempDir::new("concurrent");
    let store = Store::open(&dir.0).expect("open");
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for w in 0..WRITERS {
        let (store, stop) = (store.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let rows: Table<u64> = store.table("rows");
            let counters: Table<u64> = store.table("counters");
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                store
                    .write(|txn| {
                        txn.put(&rows, &row_key(w, n), &n)?;
                        if n > KEEP {
                            txn.delete(&rows, &row_key(w, n - KEEP))?;
                        }
                        txn.put(&counters, &w.to_string(), &n)
                    })
                    .expect("write");
            }
            0usize
        }));
    }
    {
        // Checkpoints far more often than once a second.
        let (store, stop) = (store.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                store.checkpoint().expect("checkpoint");
                n += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            n
        }));
    }
    let rows: Table<u64> = store.table("rows");
    let counters: Table<u64> = store.table("counters");
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut checks = 0;
    while Instant::now() < deadline {
        // One snapshot: both tables as of one commit.
        let snap = store.snapshot().expect("snapshot");
        let mut c = snap.cursor(&counters).expect("cursor");
        c.seek("", false, None).expect("seek");
        let mut seen_counters = Vec::new();
        while let Some(row) = c.next().expect("next") {
            seen_counters.push((
                row.key().parse::<u64>().expect("id"),
                row.value().expect("value"),
            ));
        }
        for (w, count) in seen_counters {
            let prefix = format!("w{w}/");
            let mut r = snap.cursor(&rows).expect("cursor");
            r.seek(&prefix, false, Some(&format!("w{w}0")))
                .expect("seek");
            let mut keys = Vec::new();
            while let Some(row) = r.next().expect("next") {
                assert_eq!(
                    row.value().expect("value"),
                    row.key()[prefix.len()..].parse::<u64>().expect("n")
                );
                keys.push(row.key().to_string());
            }
            assert_eq!(keys, expected(w, count), "writer {w} at {count}");
        }
        // One range read: a run of consecutive rows, never more than KEEP.
        for w in 0..WRITERS {
            let keys: Vec<u64> = rows
                .scan_prefix(&format!("w{w}/"))
                .expect("scan")
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            assert!(keys.len() as u64 <= KEEP, "writer {w}: {keys:?}");
            assert!(
                keys.windows(2).all(|p| p[1] == p[0] + 1),
                "writer {w}: {keys:?}"
            );
        }
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let counts: Vec<usize> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    assert!(checks > 10, "only {checks} checks ran");
    assert!(
        counts[WRITERS as usize] > 10,
        "only {} checkpoints ran",
        counts[WRITERS as usize]
    );
    // And all of it survives reopening.
    let final_counts: Vec<u64> = (0..WRITERS)
        .map(|w| counters.get(&w.to_string()).expect("get").expect("counter"))
        .collect();
    drop((rows, counters, store));
    let store = Store::open(&dir.0).expect("reopen");
    let rows: Table<u64> = store.table("rows");
    for (w, c) in final_counts.into_iter().enumerate() {
        let keys: Vec<String> = rows
            .scan_prefix(&format!("w{w}/"))
            .expect("scan")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, expected(w as u64, c), "writer {w} after reopening");
    }
}
