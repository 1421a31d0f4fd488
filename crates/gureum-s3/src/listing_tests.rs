//! The listing rules, by name: the engine over rows written directly.

use super::*;
use crate::object::{object_key, version_row, ObjectTables, ObjectVersion};
use gureum_store::Store;

const B: &str = "bkt";

fn tables(store: &Store) -> ObjectTables {
    ObjectTables::open(store)
}

fn obj(seq: u64, vid: Option<&str>) -> ObjectVersion {
    ObjectVersion {
        version_id: vid.map(str::to_string),
        seq,
        last_modified_ms: 1_700_000_000_000 + seq as i64,
        owner: "000000000000".into(),
        size: seq,
        etag: "\"e\"".into(),
        storage_class: "STANDARD".into(),
        ..ObjectVersion::default()
    }
}

fn marker(seq: u64, vid: Option<&str>) -> ObjectVersion {
    ObjectVersion {
        delete_marker: true,
        ..obj(seq, vid)
    }
}

/// Writes current versions (live unless `deleted`).
fn put(store: &Store, keys: &[&str], deleted: &[&str]) {
    let t = tables(store);
    store
        .write(|txn| -> Result<(), gureum_core::AwsError> {
            for (i, k) in keys.iter().enumerate() {
                txn.put(&t.current, &object_key(B, k), &obj(i as u64 + 1, None))?;
            }
            for (i, k) in deleted.iter().enumerate() {
                txn.put(&t.current, &object_key(B, k), &marker(i as u64 + 1, None))?;
            }
            Ok(())
        })
        .expect("write");
}

fn q(prefix: &str, delimiter: Option<&str>, max_keys: usize, start: Start) -> Query {
    Query {
        prefix: prefix.into(),
        delimiter: delimiter.map(str::to_string),
        max_keys,
        start,
        budget: SCAN_BUDGET,
    }
}

fn page(store: &Store, query: &Query) -> Page {
    let snap = store.snapshot().expect("snapshot");
    list_current(&snap, &tables(store), B, query).expect("list")
}

fn names(p: &Page) -> Vec<String> {
    p.entries
        .iter()
        .map(|e| match e {
            Entry::Object { key, .. } => key.clone(),
            Entry::Prefix(p) => format!("CP:{p}"),
        })
        .collect()
}

/// Every page from the beginning, concatenated, and the number of pages.
fn all_pages(
    store: &Store,
    prefix: &str,
    delimiter: Option<&str>,
    max: usize,
) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut start = Start::Beginning;
    let mut pages = 0;
    loop {
        let p = page(store, &q(prefix, delimiter, max, start));
        pages += 1;
        out.extend(names(&p));
        assert!(p.entries.len() <= max);
        if !p.truncated {
            return (out, pages);
        }
        start = p.next.expect("a truncated page says where to resume");
        assert!(pages < 10_000, "paging does not end");
    }
}

/// The listing computed naively over a sorted key list.
fn naive(keys: &[String], prefix: &str, delimiter: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut sorted: Vec<&String> = keys.iter().filter(|k| k.starts_with(prefix)).collect();
    sorted.sort();
    for k in sorted {
        let rest = &k[prefix.len()..];
        match delimiter.and_then(|d| rest.find(d).map(|i| (i, d))) {
            Some((i, d)) => {
                let cp = format!("CP:{}", &k[..prefix.len() + i + d.len()]);
                if out.last() != Some(&cp) {
                    out.push(cp);
                }
            }
            None => out.push(k.clone()),
        }
    }
    out
}

#[test]
fn successor_is_the_least_string_after_every_extension() {
    assert_eq!(successor("a/").as_deref(), Some("a0"));
    assert_eq!(successor("bkt/").as_deref(), Some("bkt0"));
    assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(successor("\u{D7FF}").as_deref(), Some("\u{E000}"));
    assert_eq!(successor(""), None);
    // Every extension of "a/" sorts below it.
    for ext in ["a/", "a/\u{10FFFF}\u{10FFFF}", "a/zzz"] {
        assert!(ext < "a0");
    }
}

#[test]
fn common_prefix_is_the_key_up_to_the_first_delimiter_after_the_prefix() {
    assert_eq!(common_prefix("a/b/c", "", Some("/")), Some("a/"));
    assert_eq!(common_prefix("a/b/c", "a/", Some("/")), Some("a/b/"));
    assert_eq!(common_prefix("a/b", "a/", Some("/")), None);
    assert_eq!(common_prefix("a--b--c", "a", Some("--")), Some("a--"));
    assert_eq!(common_prefix("a/b", "", None), None);
    assert_eq!(common_prefix("a/b", "", Some("")), None);
    assert_eq!(common_prefix("x/b", "a", Some("/")), None);
}

#[test]
fn keys_are_listed_in_byte_order_under_the_prefix_only() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["b/2", "b/10", "a", "b/1", "bb", "é", "z"], &[]);
    let p = page(&store, &q("b/", None, 1000, Start::Beginning));
    assert_eq!(names(&p), ["b/1", "b/10", "b/2"]);
    assert!(!p.truncated);
    let all = page(&store, &q("", None, 1000, Start::Beginning));
    assert_eq!(names(&all), ["a", "b/1", "b/10", "b/2", "bb", "z", "é"]);
}

#[test]
fn another_buckets_keys_never_appear() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["k"], &[]);
    let t = tables(&store);
    t.current.put("bkt0/x", &obj(9, None)).expect("ok");
    t.current.put("bkt-2/x", &obj(9, None)).expect("ok");
    t.current.put("bk/x", &obj(9, None)).expect("ok");
    assert_eq!(
        names(&page(&store, &q("", None, 1000, Start::Beginning))),
        ["k"]
    );
}

#[test]
fn delete_markers_are_skipped() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["a", "c"], &["b", "d"]);
    let p = page(&store, &q("", None, 1000, Start::Beginning));
    assert_eq!(names(&p), ["a", "c"]);
}

#[test]
fn a_prefix_whose_keys_are_all_deleted_is_no_common_prefix() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["x/live", "z"], &["d/1", "d/2", "x/dead"]);
    let p = page(&store, &q("", Some("/"), 1000, Start::Beginning));
    assert_eq!(names(&p), ["CP:x/", "z"]);
}

#[test]
fn common_prefixes_count_once_against_max_keys() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["a/1", "a/2", "a/3", "b", "c/1", "d"], &[]);
    let p = page(&store, &q("", Some("/"), 3, Start::Beginning));
    assert_eq!(names(&p), ["CP:a/", "b", "CP:c/"]);
    assert!(p.truncated);
    assert_eq!(p.next, Some(Start::After("c/".into())));
    let rest = page(&store, &q("", Some("/"), 3, p.next.expect("ok")));
    assert_eq!(names(&rest), ["d"]);
    assert!(!rest.truncated);
}

#[test]
fn a_page_seeks_past_a_common_prefix_instead_of_reading_its_keys() {
    let store = Store::in_memory().expect("ok");
    let keys: Vec<String> = (0..5000).map(|i| format!("big/{i:05}")).collect();
    let mut refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    refs.extend(["a", "zz/1", "zz/2"]);
    put(&store, &refs, &[]);
    let p = page(&store, &q("", Some("/"), 1000, Start::Beginning));
    assert_eq!(names(&p), ["a", "CP:big/", "CP:zz/"]);
    assert!(p.rows_read <= 4, "read {} rows", p.rows_read);
}

#[test]
fn a_page_reads_only_what_it_returns_plus_one() {
    let store = Store::in_memory().expect("ok");
    let keys: Vec<String> = (0..3000).map(|i| format!("k{i:05}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put(&store, &refs, &[]);
    let p = page(&store, &q("", None, 100, Start::After("k01500".into())));
    assert_eq!(names(&p).first().map(String::as_str), Some("k01501"));
    assert_eq!(p.entries.len(), 100);
    assert!(p.rows_read <= 101, "read {} rows", p.rows_read);
}

#[test]
fn max_keys_zero_answers_nothing_and_is_not_truncated() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["a", "b"], &[]);
    let p = page(&store, &q("", None, 0, Start::Beginning));
    assert!(p.entries.is_empty());
    assert!(!p.truncated);
}

#[test]
fn start_after_excludes_the_marker_and_everything_before() {
    let store = Store::in_memory().expect("ok");
    put(&store, &["a", "b", "c"], &[]);
    assert_eq!(
        names(&page(&store, &q("", None, 10, Start::After("b".into())))),
        ["c"]
    );
    assert_eq!(
        names(&page(&store, &q("", None, 10, Start::After("aa".into())))),
        ["b", "c"]
    );
    // A marker before the prefix starts at the prefix.
    assert_eq!(
        names(&page(&store, &q("b", None, 10, Start::After("a".into())))),
        ["b"]
    );
    // A marker past the prefix's range lists nothing.
    assert!(page(&store, &q("a", None, 10, Start::After("b".into())))
        .entries
        .is_empty());
}

#[test]
fn a_marker_naming_a_common_prefix_skips_every_key_under_it() {
    let store = Store::in_memory().expect("ok");
    put(
        &store,
        &[
            "asdf",
            "boo/bar",
            "boo/baz/xyzzy",
            "cquux/thud",
            "cquux/bla",
        ],
        &[],
    );
    let d = Some("/");
    let p1 = page(&store, &q("", d, 1, Start::Beginning));
    assert_eq!(names(&p1), ["asdf"]);
    let p2 = page(&store, &q("", d, 1, p1.next.expect("ok")));
    assert_eq!(names(&p2), ["CP:boo/"]);
    let p3 = page(&store, &q("", d, 1, p2.next.expect("ok")));
    assert_eq!(names(&p3), ["CP:cquux/"]);
    assert!(!p3.truncated);
    // Under a prefix, the deeper level rolls up.
    let p = page(&store, &q("boo/", d, 10, Start::Beginning));
    assert_eq!(names(&p), ["boo/bar", "CP:boo/baz/"]);
}

#[test]
fn paging_through_any_page_size_gives_the_whole_listing() {
    let store = Store::in_memory().expect("ok");
    let mut keys = Vec::new();
    let mut x: u64 = 7;
    for i in 0..1500 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let a = ["a", "b", "b/c", "dir", "é", "x y", "+"][(x >> 33) as usize % 7];
        let sep = ["/", "-", "", "//"][(x >> 40) as usize % 4];
        keys.push(format!("{a}{sep}{}{sep}{i}", (x >> 50) % 5));
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    put(&store, &refs, &[]);
    for (prefix, delimiter) in [
        ("", None),
        ("", Some("/")),
        ("b", Some("/")),
        ("b/", Some("-")),
        ("", Some("//")),
    ] {
        let want = naive(&keys, prefix, delimiter);
        for max in [1, 7, 100, 1000] {
            let (got, pages) = all_pages(&store, prefix, delimiter, max);
            assert_eq!(
                got, want,
                "prefix {prefix:?} delimiter {delimiter:?} max {max}"
            );
            assert_eq!(pages, want.len().div_ceil(max).max(1));
        }
    }
}

#[test]
fn many_delete_markers_end_a_page_early_with_a_position_to_resume() {
    let store = Store::in_memory().expect("ok");
    let dead: Vec<String> = (0..250).map(|i| format!("d{i:03}")).collect();
    let dead_refs: Vec<&str> = dead.iter().map(String::as_str).collect();
    let under: Vec<String> = (0..250).map(|i| format!("p/d{i:03}")).collect();
    let mut all_dead = dead_refs.clone();
    all_dead.extend(under.iter().map(String::as_str));
    put(&store, &["a", "p/zlive", "z"], &all_dead);
    for delimiter in [None, Some("/")] {
        let mut query = q("", delimiter, 1000, Start::Beginning);
        query.budget = 100;
        let mut got = Vec::new();
        let mut pages = 0;
        loop {
            let p = page(&store, &query);
            pages += 1;
            assert!(p.rows_read <= 100 + 2, "a page read {} rows", p.rows_read);
            got.extend(names(&p));
            if !p.truncated {
                break;
            }
            query.start = p.next.expect("resume position");
        }
        assert!(pages >= 5, "{pages} pages");
        let want = match delimiter {
            None => vec!["a", "p/zlive", "z"],
            Some(_) => vec!["a", "CP:p/", "z"],
        };
        assert_eq!(got, want);
    }
}

/// Versions of `key`: the current one and noncurrent ones (newest first).
fn put_versions(store: &Store, key: &str, current: ObjectVersion, older: &[ObjectVersion]) {
    let t = tables(store);
    store
        .write(|txn| -> Result<(), gureum_core::AwsError> {
            txn.put(&t.current, &object_key(B, key), &current)?;
            for v in older {
                txn.put(&t.noncurrent, &version_row(B, key, v.seq), v)?;
            }
            Ok(())
        })
        .expect("write");
}

fn vpage(store: &Store, query: &Query, start: &VersionStart) -> VersionPage {
    let snap = store.snapshot().expect("snapshot");
    list_versions(&snap, &tables(store), B, query, start)
        .expect("list")
        .expect("marker")
}

fn vnames(p: &VersionPage) -> Vec<String> {
    p.entries
        .iter()
        .map(|e| match e {
            VersionEntry::Version {
                key,
                is_latest,
                version,
            } => format!(
                "{key}@{}{}{}",
                version.version_id_str(),
                if *is_latest { "*" } else { "" },
                if version.delete_marker { "D" } else { "" }
            ),
            VersionEntry::Prefix(p) => format!("CP:{p}"),
        })
        .collect()
}

fn versioned_fixture(store: &Store) {
    put_versions(
        store,
        "a",
        obj(30, Some("a3")),
        &[obj(20, Some("a2")), obj(10, Some("a1"))],
    );
    put_versions(store, "a!", obj(5, None), &[]);
    put_versions(store, "b", marker(40, Some("bm")), &[obj(35, Some("b1"))]);
    put_versions(store, "d/1", obj(50, Some("d1")), &[obj(45, Some("d0"))]);
    put_versions(store, "d/2", marker(55, Some("dm")), &[]);
}

#[test]
fn versions_list_keys_in_order_current_first_then_newest_first() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    let p = vpage(
        &store,
        &q("", None, 1000, Start::Beginning),
        &VersionStart::default(),
    );
    assert_eq!(
        vnames(&p),
        ["a@a3*", "a@a2", "a@a1", "a!@null*", "b@bm*D", "b@b1", "d/1@d1*", "d/1@d0", "d/2@dm*D"]
    );
    assert!(!p.truncated);
}

#[test]
fn versions_roll_up_into_common_prefixes_including_delete_markers() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    put_versions(&store, "e/1", marker(60, Some("em")), &[]);
    let p = vpage(
        &store,
        &q("", Some("/"), 1000, Start::Beginning),
        &VersionStart::default(),
    );
    assert_eq!(
        vnames(&p),
        ["a@a3*", "a@a2", "a@a1", "a!@null*", "b@bm*D", "b@b1", "CP:d/", "CP:e/"]
    );
}

#[test]
fn version_pages_resume_after_the_key_and_version_markers() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    let full = vnames(&vpage(
        &store,
        &q("", None, 1000, Start::Beginning),
        &VersionStart::default(),
    ));
    for max in 1..=4 {
        let mut got = Vec::new();
        let mut start = VersionStart::default();
        loop {
            let p = vpage(&store, &q("", None, max, Start::Beginning), &start);
            assert!(p.entries.len() <= max);
            got.extend(vnames(&p));
            if !p.truncated {
                break;
            }
            match p.entries.last() {
                Some(VersionEntry::Version { key, version, .. }) => {
                    start = VersionStart {
                        key_marker: Some(key.clone()),
                        version_id: Some(version.version_id_str().to_string()),
                    }
                }
                _ => panic!("no prefixes here"),
            }
        }
        assert_eq!(got, full, "max {max}");
    }
}

#[test]
fn a_key_marker_alone_skips_all_versions_of_that_key() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    let start = VersionStart {
        key_marker: Some("a".into()),
        version_id: None,
    };
    let p = vpage(&store, &q("", None, 3, Start::Beginning), &start);
    assert_eq!(vnames(&p), ["a!@null*", "b@bm*D", "b@b1"]);
    assert!(p.truncated);
}

#[test]
fn a_key_marker_naming_a_common_prefix_skips_it() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    put_versions(&store, "z", obj(70, Some("z1")), &[]);
    let start = VersionStart {
        key_marker: Some("d/".into()),
        version_id: None,
    };
    let p = vpage(&store, &q("", Some("/"), 10, Start::Beginning), &start);
    assert_eq!(vnames(&p), ["z@z1*"]);
}

#[test]
fn a_version_marker_that_names_no_version_is_refused() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    let snap = store.snapshot().expect("ok");
    let start = VersionStart {
        key_marker: Some("a".into()),
        version_id: Some("nope".into()),
    };
    let r = list_versions(
        &snap,
        &tables(&store),
        B,
        &q("", None, 10, Start::Beginning),
        &start,
    )
    .expect("ok");
    assert_eq!(r.err(), Some(MarkerError::NoSuchVersion));
    // "null" names the null version.
    let start = VersionStart {
        key_marker: Some("a!".into()),
        version_id: Some("null".into()),
    };
    let p = vpage(&store, &q("", None, 1, Start::Beginning), &start);
    assert_eq!(vnames(&p), ["b@bm*D"]);
}

#[test]
fn versions_under_a_prefix_only() {
    let store = Store::in_memory().expect("ok");
    versioned_fixture(&store);
    let p = vpage(
        &store,
        &q("d/", None, 1000, Start::Beginning),
        &VersionStart::default(),
    );
    assert_eq!(vnames(&p), ["d/1@d1*", "d/1@d0", "d/2@dm*D"]);
    let p = vpage(
        &store,
        &q("a", None, 1000, Start::Beginning),
        &VersionStart::default(),
    );
    assert_eq!(vnames(&p), ["a@a3*", "a@a2", "a@a1", "a!@null*"]);
}
