//! Point reads share one redb snapshot between commits; these check that
//! no read ever misses a write acknowledged before it began, across
//! checkpoints (which move writes from the memtable into redb), for logged,
//! power-safe and in-memory stores.

use gureum_store::{Durability, Store};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gureum-read-view-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn stores(name: &str) -> Vec<(Store, Option<std::path::PathBuf>)> {
    let logged = temp_dir(&format!("{name}-logged"));
    let power = temp_dir(&format!("{name}-power"));
    vec![
        (Store::open(&logged).expect("open"), Some(logged)),
        (
            Store::open_with(&power, Durability::Power).expect("open"),
            Some(power),
        ),
        (Store::in_memory().expect("open"), None),
    ]
}

#[test]
fn reads_after_a_checkpoint_see_the_values_it_moved_and_later_ones() {
    for (store, dir) in stores("sequential") {
        let t = store.table::<u32>("t");
        assert_eq!(t.get("k").expect("get"), None, "a table not yet created");
        t.put("k", &1).expect("put");
        store.checkpoint().expect("checkpoint");
        assert_eq!(t.get("k").expect("get"), Some(1));
        // Read again from the same snapshot, then change the key: in the
        // memtable first, then in redb.
        assert_eq!(t.get("k").expect("get"), Some(1));
        t.put("k", &2).expect("put");
        assert_eq!(t.get("k").expect("get"), Some(2));
        store.checkpoint().expect("checkpoint");
        assert_eq!(t.get("k").expect("get"), Some(2));
        t.delete("k").expect("delete");
        store.checkpoint().expect("checkpoint");
        assert_eq!(t.get("k").expect("get"), None);
        // A table created after the snapshot was taken.
        let u = store.table::<u32>("u");
        u.put("x", &7).expect("put");
        store.checkpoint().expect("checkpoint");
        assert_eq!(u.get("x").expect("get"), Some(7));
        drop(store);
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn no_read_misses_a_write_acknowledged_before_it_began() {
    for (store, dir) in stores("concurrent") {
        let t = store.table::<u32>("t");
        t.put("counter", &0).expect("put");
        let acked = Arc::new(AtomicU32::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let t = store.table::<u32>("t");
                let acked = Arc::clone(&acked);
                std::thread::spawn(move || {
                    let mut last = 0;
                    loop {
                        let floor = acked.load(Ordering::SeqCst);
                        let seen = t.get("counter").expect("get").expect("present");
                        assert!(seen >= floor, "read {seen} after {floor} was acknowledged");
                        assert!(seen >= last, "went back from {last} to {seen}");
                        last = seen;
                        if floor >= 400 {
                            return;
                        }
                    }
                })
            })
            .collect();
        for i in 1..=400 {
            t.put("counter", &i).expect("put");
            acked.store(i, Ordering::SeqCst);
            if i % 7 == 0 {
                store.checkpoint().expect("checkpoint");
            }
        }
        for r in readers {
            r.join().expect("reader");
        }
        drop(store);
        if let Some(dir) = dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
