//! What one small write costs: the shape of a 1 KiB PutObject's commit
//! (a raw 1 KiB row replaced, a ~400-byte JSON row written), on disk, with
//! the write-ahead log (the default) and with an fsync per commit.
//! `cargo test --release -p gureum-store --test commit_cost -- --ignored --nocapture`

use gureum_store::{Durability, Store};
use std::time::Instant;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}

fn run(durability: Durability, n: usize) -> (f64, f64) {
    let dir = std::env::temp_dir().join(format!("gureum-commit-cost-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_with(&dir, durability).expect("open");
    let meta = store.table::<serde_json::Value>("bench.objects");
    let raw = store.raw_table("bench.inline");
    let value = serde_json::json!({"etag": "\"0123456789abcdef0123456789abcdef\"", "size": 1024,
        "content": {"ContentType": "binary/octet-stream"}, "owner": "000000000000",
        "checksum": ["CRC64NVME", "AAAAAAAAAAA="], "data": {"kind": "inline", "id": "x".repeat(32)},
        "last_modified_ms": 1_700_000_000_000i64, "seq": 1, "storage_class": "STANDARD"});
    let body = vec![7u8; 1024];
    let (t0, c0) = (Instant::now(), cpu_seconds());
    for i in 0..n {
        store
            .write(|txn| {
                txn.delete_raw(&raw, &format!("blob-{}", i.wrapping_sub(1)))?;
                txn.put_raw(&raw, &format!("blob-{i}"), &body)?;
                txn.put(&meta, "bucket/key", &value)
            })
            .expect("write");
    }
    let wall = t0.elapsed().as_secs_f64() / n as f64 * 1e6;
    let cpu = (cpu_seconds() - c0) / n as f64 * 1e6;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    (wall, cpu)
}

#[test]
#[ignore = "benchmark"]
fn commit_cost_of_a_small_put() {
    let (w, c) = run(Durability::Process, 20_000);
    println!("write-ahead log: {w:.1} µs wall, {c:.1} µs CPU per commit");
    let (w, c) = run(Durability::Power, 500);
    println!("fsync per commit: {w:.1} µs wall, {c:.1} µs CPU per commit");
}

/// What a checkpoint of a second of small PUTs at ~13k/s costs (16
/// connections cycling over 1,000 keys each): the work the checkpointer
/// thread now does beside the handlers instead of in front of them.
#[test]
#[ignore = "benchmark"]
fn checkpoint_cost_of_a_second_of_small_puts() {
    let dir = std::env::temp_dir().join(format!("gureum-ckpt-cost-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_with(&dir, Durability::Process).expect("open");
    let meta = store.table::<serde_json::Value>("bench.objects");
    let raw = store.raw_table("bench.inline");
    let value = serde_json::json!({"etag": "\"0123456789abcdef0123456789abcdef\"", "size": 1024});
    let body = vec![7u8; 1024];
    for round in 0..3 {
        for i in 0..13_000 {
            store
                .write(|txn| {
                    txn.put_raw(&raw, &format!("blob-{round}-{i}"), &body)?;
                    txn.put(&meta, &format!("bucket/key-{}", i % 16_000), &value)
                })
                .expect("write");
        }
        let (t0, c0) = (Instant::now(), cpu_seconds());
        store.checkpoint().expect("checkpoint");
        println!(
            "checkpoint of 13,000 PUTs: {:.1} ms wall, {:.1} ms CPU",
            t0.elapsed().as_secs_f64() * 1e3,
            (cpu_seconds() - c0) * 1e3
        );
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// How long a small write takes while the checkpointer commits and
/// fsyncs beside it: two writer threads for five seconds (the store's
/// share of a PUT's latency, without HTTP or clients).
#[test]
#[ignore = "benchmark"]
fn write_latency_while_checkpoints_run() {
    let dir = std::env::temp_dir().join(format!("gureum-write-lat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open_with(&dir, Durability::Process).expect("open");
    let body = vec![7u8; 1024];
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let (store, body) = (store.clone(), body.clone());
            std::thread::spawn(move || {
                let raw = store.raw_table("bench.inline");
                let meta = store.table::<u64>("bench.objects");
                let mut lat = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    store
                        .write(|txn| {
                            txn.put_raw(&raw, &format!("blob-{t}-{i}"), &body)?;
                            txn.put(&meta, &format!("key-{t}-{}", i % 8000), &i)
                        })
                        .expect("write");
                    lat.push(t0.elapsed().as_secs_f64() * 1e6);
                    i += 1;
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<f64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "{} writes: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
        lat.len(),
        pct(0.5),
        pct(0.99),
        pct(0.999),
        lat[lat.len() - 1]
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
