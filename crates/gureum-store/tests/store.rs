//! The store's contract: typed round trips, range scans, atomic
//! transactions, persistence across reopen.

mod common;

use common::TempDir;
use gureum_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Bucket {
    name: String,
    region: String,
    #[serde(default)]
    versioning: bool,
}

fn bucket(name: &str) -> Bucket {
    Bucket {
        name: name.into(),
        region: "us-east-1".into(),
        versioning: false,
    }
}

#[test]
fn values_round_trip() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<Bucket>("s3.buckets");
    assert_eq!(t.get("b1").expect("get"), None);
    assert!(t.is_empty().expect("empty"));
    t.put("b1", &bucket("b1")).expect("put");
    assert_eq!(t.get("b1").expect("get"), Some(bucket("b1")));
    assert!(t.contains("b1").expect("contains"));
    let mut b = bucket("b1");
    b.versioning = true;
    t.put("b1", &b).expect("overwrite");
    assert_eq!(t.get("b1").expect("get"), Some(b));
    assert_eq!(t.len().expect("len"), 1);
    assert!(t.delete("b1").expect("delete"));
    assert!(!t.delete("b1").expect("delete again"));
    assert_eq!(t.get("b1").expect("get"), None);
}

#[test]
fn tables_are_separate_namespaces() {
    let store = Store::in_memory().expect("store");
    let a = store.table::<u32>("a");
    let b = store.table::<u32>("b");
    a.put("k", &1).expect("put");
    assert_eq!(b.get("k").expect("get"), None);
    assert_eq!(b.len().expect("len"), 0);
}

#[test]
fn prefix_scan_does_not_return_neighbours() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<u32>("objects");
    for (i, k) in [
        "a",
        "a/",
        "a/1",
        "a/2",
        "a/2/x",
        "ab",
        "a0",
        "b/1",
        "a.",
        "a/\u{10ffff}",
    ]
    .iter()
    .enumerate()
    {
        t.put(k, &(i as u32)).expect("put");
    }
    let keys: Vec<String> = t
        .scan_prefix("a/")
        .expect("scan")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["a/", "a/1", "a/2", "a/2/x", "a/\u{10ffff}"]);
    assert!(t.scan_prefix("zz").expect("scan").is_empty());
    assert_eq!(t.scan_prefix("").expect("all").len(), 10);
}

#[test]
fn pages_through_a_prefix_in_key_order() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<u32>("items");
    for i in 0..25u32 {
        t.put(&format!("p/{i:03}"), &i).expect("put");
    }
    t.put("q/000", &99).expect("put");
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let page = t
            .scan_prefix_after("p/", after.as_deref(), 10)
            .expect("page");
        if page.is_empty() {
            break;
        }
        after = page.last().map(|(k, _)| k.clone());
        seen.extend(page.into_iter().map(|(_, v)| v));
    }
    assert_eq!(seen, (0..25).collect::<Vec<_>>());
}

#[test]
fn range_scan_is_half_open_and_limited() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<u32>("r");
    for i in 0..10u32 {
        t.put(&format!("k{i}"), &i).expect("put");
    }
    let vals = |v: Vec<(String, u32)>| v.into_iter().map(|(_, x)| x).collect::<Vec<_>>();
    assert_eq!(
        vals(t.scan_range("k2", Some("k5"), 100).expect("range")),
        [2, 3, 4]
    );
    assert_eq!(vals(t.scan_range("k2", None, 3).expect("range")), [2, 3, 4]);
    assert!(t
        .scan_range("k5", Some("k2"), 10)
        .expect("empty")
        .is_empty());
}

#[derive(Debug)]
enum AppError {
    #[allow(dead_code)] // kept for the Debug output of failures
    Store(StoreError),
    Conflict,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

#[test]
fn transaction_spans_tables_and_commits_atomically() {
    let store = Store::in_memory().expect("store");
    let buckets = store.table::<Bucket>("s3.buckets");
    let owners = store.table::<String>("s3.owners");
    owners.put("old", &"x".to_string()).expect("seed");
    store
        .write(|txn| {
            txn.put(&buckets, "b1", &bucket("b1"))?;
            txn.put(&owners, "b1", &"000000000000".to_string())?;
            assert!(txn.delete(&owners, "old")?);
            // Reads inside the transaction see its own writes.
            assert_eq!(txn.get(&buckets, "b1")?, Some(bucket("b1")));
            assert_eq!(txn.scan_prefix(&owners, "")?.len(), 1);
            Ok::<_, StoreError>(())
        })
        .expect("commit");
    assert_eq!(buckets.get("b1").expect("get"), Some(bucket("b1")));
    assert_eq!(owners.get("old").expect("get"), None);
}

#[test]
fn aborted_transaction_leaves_nothing() {
    let store = Store::in_memory().expect("store");
    let buckets = store.table::<Bucket>("s3.buckets");
    let owners = store.table::<String>("s3.owners");
    owners.put("keep", &"v".to_string()).expect("seed");
    let r = store.write(|txn| {
        txn.put(&buckets, "b1", &bucket("b1"))?;
        txn.delete(&owners, "keep")?;
        Err::<(), _>(AppError::Conflict)
    });
    assert!(matches!(r, Err(AppError::Conflict)));
    assert_eq!(buckets.get("b1").expect("get"), None);
    assert_eq!(buckets.len().expect("len"), 0);
    assert_eq!(owners.get("keep").expect("get"), Some("v".to_string()));
}

#[test]
fn panicking_transaction_leaves_nothing() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<u32>("t");
    let s2 = store.clone();
    let t2 = t.clone();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s2.write(|txn| {
            txn.put(&t2, "k", &1)?;
            panic!("boom");
            #[allow(unreachable_code)]
            Ok::<(), StoreError>(())
        });
    }));
    assert!(r.is_err());
    assert_eq!(t.get("k").expect("get"), None);
    // The store is still usable.
    t.put("k", &2).expect("put after panic");
    assert_eq!(t.get("k").expect("get"), Some(2));
}

#[test]
fn wrong_type_is_a_decode_error_not_a_panic() {
    let store = Store::in_memory().expect("store");
    store
        .table::<String>("t")
        .put("k", &"text".into())
        .expect("put");
    let err = store.table::<u32>("t").get("k").expect_err("decode");
    assert!(matches!(err, StoreError::Decode { .. }));
    let aws: gureum_core::AwsError = err.into();
    assert_eq!(aws.status, 500);
}

#[test]
fn file_store_survives_reopen() {
    let dir = TempDir::new("reopen");
    {
        let store = Store::open(&dir.0).expect("open");
        assert_eq!(store.path(), Some(dir.0.join("state.redb").as_path()));
        let t = store.table::<Bucket>("s3.buckets");
        t.put("b1", &bucket("b1")).expect("put");
        t.put("b2", &bucket("b2")).expect("put");
        t.delete("b2").expect("delete");
    }
    let store = Store::open(&dir.0).expect("reopen");
    let t = store.table::<Bucket>("s3.buckets");
    assert_eq!(t.get("b1").expect("get"), Some(bucket("b1")));
    assert_eq!(t.get("b2").expect("get"), None);
    assert_eq!(t.len().expect("len"), 1);
}

#[test]
fn store_is_shared_between_threads() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<u32>("n");
    let handles: Vec<_> = (0..4u32)
        .map(|i| {
            let t = t.clone();
            std::thread::spawn(move || {
                for j in 0..25u32 {
                    t.put(&format!("{i}/{j:02}"), &j).expect("put");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert_eq!(t.len().expect("len"), 100);
    assert_eq!(t.scan_prefix("2/").expect("scan").len(), 25);
}

#[test]
fn cursor_reads_lazily_seeks_and_sees_one_snapshot() {
    let store = Store::in_memory().expect("store");
    let t = store.table::<u64>("cursor.t");
    for (i, k) in ["a", "b", "b/1", "b/2", "c"].iter().enumerate() {
        t.put(k, &(i as u64)).expect("put");
    }
    let snap = store.snapshot().expect("snapshot");
    // Written after the snapshot: not seen through it.
    t.put("bb", &9).expect("put");
    let mut c = snap.cursor(&t).expect("cursor");
    assert!(c.next().expect("next").is_none(), "unpositioned");
    c.seek("b", true, Some("c")).expect("seek");
    let mut seen = Vec::new();
    while let Some(r) = c.next().expect("next") {
        seen.push((r.key().to_string(), r.value().expect("value")));
    }
    assert_eq!(seen, [("b/1".to_string(), 2), ("b/2".to_string(), 3)]);
    c.seek("b0", false, None).expect("seek");
    assert_eq!(
        c.next()
            .expect("next")
            .map(|r| r.key().to_string())
            .as_deref(),
        Some("c")
    );
    // An empty or inverted range reads nothing; a missing table is empty.
    c.seek("c", false, Some("c")).expect("seek");
    assert!(c.next().expect("next").is_none());
    let mut none = snap
        .cursor(&store.table::<u64>("cursor.none"))
        .expect("cursor");
    none.seek("", false, None).expect("seek");
    assert!(none.next().expect("next").is_none());
    // A fresh snapshot sees the later write.
    let mut c2 = store
        .snapshot()
        .expect("snapshot")
        .cursor(&t)
        .expect("cursor");
    c2.seek("bb", false, None).expect("seek");
    assert_eq!(
        c2.next()
            .expect("next")
            .map(|r| r.key().to_string())
            .as_deref(),
        Some("bb")
    );
}
