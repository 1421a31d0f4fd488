//! Start-up stays fast as the store grows: reopening a large store after
//! `kill -9` (with a write-ahead log still to replay) is timed.
//!
//! A benchmark, not a test of record: `cargo test --release -p gureum-store
//! --test startup -- --ignored --nocapture` (size from
//! `GUREUM_STARTUP_MB`, default 1024) prints the store's size and the open
//! time. A child process fills the store, checkpoints, and keeps writing
//! until it is killed, so the reopen has a log to replay as after a crash.

mod common;

use common::TempDir;
use gureum_store::Store;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ENV: &str = "GUREUM_STARTUP_DIR";

/// The child's side: fills the store to `GUREUM_STARTUP_MB`, checkpoints,
/// says `filled`, then writes until killed.
#[test]
fn child_keeps_writing() {
    let Ok(dir) = std::env::var(ENV) else {
        return;
    };
    let megabytes: u64 = std::env::var("GUREUM_STARTUP_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let store = Store::open(&dir).expect("open");
    let rows_table = store.table::<String>("startup.rows");
    let value = "x".repeat(1000);
    let rows = megabytes * 1024;
    let mut i = 0u64;
    while i < rows {
        store
            .write(|txn| {
                for _ in 0..10_000 {
                    if i >= rows {
                        break;
                    }
                    txn.put(&rows_table, &format!("row{i:012}"), &value)?;
                    i += 1;
                }
                Ok::<_, gureum_store::StoreError>(())
            })
            .expect("fill");
    }
    store.checkpoint().expect("checkpoint");
    println!("filled");
    let t = store.table::<String>("startup.tail");
    let value = "y".repeat(1024);
    for i in 0u64.. {
        t.put(&format!("tail{i:012}"), &value).expect("put");
    }
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "a benchmark: fills a 1 GiB store"]
fn reopen_after_kill_9_of_a_large_store() {
    let dir = TempDir::new("startup");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "child_keeps_writing",
            "--exact",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(ENV, &dir.0)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let filled = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("filled"));
    assert!(filled, "the child filled the store");
    // A second of writes after the checkpoint: the log the reopen replays.
    std::thread::sleep(Duration::from_millis(1000));
    child.kill().expect("kill -9");
    let _ = child.wait();
    let size = dir_bytes(&dir.0);
    if let Ok(entries) = std::fs::read_dir(&dir.0) {
        for e in entries.filter_map(Result::ok) {
            let len = e.metadata().map(|m| m.len()).unwrap_or(0);
            println!(
                "  {} {:.0} MiB",
                e.file_name().to_string_lossy(),
                len as f64 / 1048576.0
            );
        }
    }
    let started = Instant::now();
    let store = Store::open(&dir.0).expect("reopen");
    let opened = started.elapsed();
    let tail = store
        .table::<String>("startup.tail")
        .scan_prefix_after("tail", None, 1)
        .expect("read");
    assert!(!tail.is_empty(), "the child's writes were replayed");
    println!(
        "store of {:.0} MiB reopened after kill -9 in {:.1} ms",
        size as f64 / (1024.0 * 1024.0),
        opened.as_secs_f64() * 1000.0
    );
}
