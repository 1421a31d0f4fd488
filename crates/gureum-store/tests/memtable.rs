//! A logged store's writes wait in the memtable; these check that every
//! read path sees them exactly as if each write had been committed.

use gureum_store::{Store, StoreError};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gureum-memtable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn point_and_range_reads_see_acknowledged_writes() {
    let dir = temp_dir("reads");
    let store = Store::open(&dir).expect("open");
    let t = store.table::<u32>("t");
    for i in 0..10 {
        t.put(&format!("k/{i}"), &i).expect("put");
    }
    t.delete("k/3").expect("delete");
    assert_eq!(t.get("k/4").expect("get"), Some(4));
    assert_eq!(t.get("k/3").expect("get"), None);
    assert!(!t.contains("k/3").expect("contains"));
    let keys: Vec<String> = t
        .scan_prefix("k/")
        .expect("scan")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys.len(), 9);
    assert!(!keys.contains(&"k/3".to_string()));
    assert_eq!(t.len().expect("len"), 9);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let dir = temp_dir("failed");
    let store = Store::open(&dir).expect("open");
    let t = store.table::<u32>("t");
    t.put("kept", &1).expect("put");
    let r: Result<(), StoreError> = store.write(|txn| {
        txn.put(&t, "lost", &2)?;
        txn.delete(&t, "kept")?;
        Err(StoreError::Io {
            path: "x".into(),
            source: std::io::Error::other("refused"),
        })
    });
    assert!(r.is_err());
    assert_eq!(t.get("kept").expect("get"), Some(1));
    assert_eq!(t.get("lost").expect("get"), None);
    assert_eq!(t.scan_prefix("").expect("scan").len(), 1);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_transaction_reads_its_own_writes_over_earlier_ones() {
    let dir = temp_dir("own");
    let store = Store::open(&dir).expect("open");
    let t = store.table::<u32>("t");
    t.put("a/1", &1).expect("put");
    t.put("a/2", &2).expect("put");
    let seen = store
        .write(|txn| {
            assert!(txn.delete(&t, "a/1")?, "an acknowledged key is present");
            assert!(!txn.delete(&t, "a/9")?, "an absent key is not");
            txn.put(&t, "a/3", &3)?;
            assert_eq!(txn.get(&t, "a/3")?, Some(3));
            assert_eq!(txn.get(&t, "a/1")?, None);
            txn.scan_prefix(&t, "a/")
        })
        .expect("write");
    let keys: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a/2", "a/3"]);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn writes_not_yet_checkpointed_come_back_from_the_log() {
    let dir = temp_dir("replay");
    {
        let store = Store::open(&dir).expect("open");
        let t = store.table::<u32>("t");
        let raw = store.raw_table("r");
        for i in 0..100 {
            t.put(&format!("k{i:03}"), &i).expect("put");
        }
        store
            .write(|txn| txn.put_raw(&raw, "blob", b"bytes"))
            .expect("raw");
        t.delete("k050").expect("delete");
        // Dropped without a checkpoint: the log holds what redb may not.
    }
    let store = Store::open(&dir).expect("reopen");
    let t = store.table::<u32>("t");
    assert_eq!(t.len().expect("len"), 99);
    assert_eq!(t.get("k099").expect("get"), Some(99));
    assert_eq!(t.get("k050").expect("get"), None);
    assert_eq!(
        store.raw_table("r").get("blob").expect("get").as_deref(),
        Some(&b"bytes"[..])
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reverse_range_reads_merge_the_memtable_over_checkpointed_rows() {
    let dir = temp_dir("reverse");
    let store = Store::open(&dir).expect("open");
    let t = store.table::<u32>("t");
    for i in 0..8 {
        t.put(&format!("k/{i}"), &i).expect("put");
    }
    // Half on disk, the changes after it only in the memtable.
    store.checkpoint().expect("checkpoint");
    t.delete("k/6").expect("delete");
    t.put("k/5", &50).expect("put");
    t.put("k/8", &8).expect("put");
    t.put("l/0", &99).expect("put");
    let rev = t.scan_range_rev("k/2", "k/9", usize::MAX).expect("rev");
    let got: Vec<(String, u32)> = rev;
    assert_eq!(
        got,
        vec![
            ("k/8".to_string(), 8),
            ("k/7".to_string(), 7),
            ("k/5".to_string(), 50),
            ("k/4".to_string(), 4),
            ("k/3".to_string(), 3),
            ("k/2".to_string(), 2),
        ]
    );
    // A limit reads only the last entries, and the forward read agrees.
    let last_two = t.scan_range_rev("k/", "k0", 2).expect("rev");
    assert_eq!(
        last_two.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["k/8", "k/7"]
    );
    let mut fwd = t.scan_range("k/", Some("k0"), usize::MAX).expect("fwd");
    fwd.reverse();
    assert_eq!(fwd, t.scan_range_rev("k/", "k0", usize::MAX).expect("rev"));
    assert!(t
        .scan_range_rev("k/5", "k/5", 10)
        .expect("empty")
        .is_empty());
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
