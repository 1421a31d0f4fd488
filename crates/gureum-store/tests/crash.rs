//! An acknowledged write survives `kill -9`.
//!
//! The test re-runs its own binary as a child (selecting the
//! `child_writer` test, with `GUREUM_STORE_CRASH_DIR` set). The child
//! commits keys one by one and prints `ack N` after each commit returns;
//! the parent kills it with SIGKILL mid-stream, reopens the database and
//! checks that every acknowledged key is there.

mod common;

use common::TempDir;
use gureum_store::Store;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const ENV: &str = "GUREUM_STORE_CRASH_DIR";

/// The child's side; does nothing in a normal test run.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var(ENV) else {
        return;
    };
    let store = Store::open(&dir).expect("open");
    let t = store.table::<u64>("crash.keys");
    let other = store.table::<String>("crash.log");
    let mut out = std::io::stdout().lock();
    for i in 0..1_000_000u64 {
        // Alternate single puts and two-table transactions.
        if i % 2 == 0 {
            t.put(&format!("k{i:07}"), &i).expect("put");
        } else {
            store
                .write(|txn| {
                    txn.put(&t, &format!("k{i:07}"), &i)?;
                    txn.put(&other, &format!("k{i:07}"), &format!("log {i}"))
                })
                .expect("write");
        }
        writeln!(out, "ack {i}").expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = TempDir::new("crash");
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["child_writer", "--exact", "--nocapture", "--test-threads=1"])
        .env(ENV, &dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked: Vec<u64> = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        if let Some(n) = line.strip_prefix("ack ") {
            acked.push(n.trim().parse().expect("number"));
            if acked.len() == 150 {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL");
    // Acks already in the pipe were also acknowledged.
    for line in lines {
        let Ok(line) = line else { break };
        if let Some(n) = line.strip_prefix("ack ") {
            if let Ok(n) = n.trim().parse() {
                acked.push(n);
            }
        }
    }
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the child was killed, not finished");
    assert!(
        acked.len() >= 150,
        "child acknowledged {} writes",
        acked.len()
    );

    let store = Store::open(&dir.0).expect("reopen after crash");
    let t = store.table::<u64>("crash.keys");
    let log = store.table::<String>("crash.log");
    for &i in &acked {
        assert_eq!(
            t.get(&format!("k{i:07}")).expect("get"),
            Some(i),
            "key {i} lost"
        );
        if i % 2 == 1 {
            assert_eq!(
                log.get(&format!("k{i:07}")).expect("get"),
                Some(format!("log {i}"))
            );
        }
    }
    // Nothing half-written: every committed transaction is whole.
    for (k, v) in log.scan_prefix("k").expect("scan") {
        let i: u64 = k[1..].parse().expect("key");
        assert_eq!(v, format!("log {i}"));
        assert_eq!(
            t.get(&k).expect("get"),
            Some(i),
            "transaction {i} half applied"
        );
    }
    // And the reopened store accepts writes.
    t.put("after", &1).expect("write after recovery");
}
