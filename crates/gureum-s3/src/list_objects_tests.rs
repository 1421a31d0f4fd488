//! The listing operations' parameters and responses, by rule; and the
//! 1,000,000-key page benchmark (`--ignored`).

use super::*;
use crate::object::{object_key, ObjectVersion};
use crate::S3Service;
use gureum_core::{Clock, RequestContext, Service};
use gureum_store::Store;
use serde_json::json;

const ME: &str = "000000000000";

fn ctx() -> RequestContext {
    RequestContext::root(ME, "us-east-1", Clock::system())
}

fn call(s: &S3Service, op: &str, input: Value) -> Result<Value, AwsError> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let c = ctx();
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(s.call(&c, op, input));
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn version(seq: u64) -> ObjectVersion {
    ObjectVersion {
        seq,
        last_modified_ms: 1_700_000_000_123,
        owner: ME.into(),
        size: 42,
        etag: "\"0123456789abcdef0123456789abcdef\"".into(),
        storage_class: "STANDARD".into(),
        checksum: Some(("CRC64NVME".into(), "AAAAAAAAAAA=".into())),
        checksum_type: Some("FULL_OBJECT".into()),
        ..ObjectVersion::default()
    }
}

fn service_with(keys: &[&str]) -> S3Service {
    let s = S3Service::new(Store::in_memory().expect("store"));
    call(&s, "CreateBucket", json!({ "Bucket": "bkt" })).expect("bucket");
    s.store
        .write(|txn| -> Result<(), AwsError> {
            for (i, k) in keys.iter().enumerate() {
                txn.put(
                    &s.objects.current,
                    &object_key("bkt", k),
                    &version(i as u64),
                )?;
            }
            Ok(())
        })
        .expect("rows");
    s
}

fn keys_of(v: &Value) -> Vec<String> {
    v["Contents"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| o["Key"].as_str().expect("ok").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn prefixes_of(v: &Value) -> Vec<String> {
    v["CommonPrefixes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| o["Prefix"].as_str().expect("ok").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn url_encoding_keeps_unreserved_and_slash_and_writes_space_as_plus() {
    assert_eq!(url_encode("a b.txt"), "a+b.txt");
    assert_eq!(url_encode("a+b.txt"), "a%2Bb.txt");
    assert_eq!(url_encode("100%.csv"), "100%25.csv");
    assert_eq!(url_encode("한글/x.txt"), "%ED%95%9C%EA%B8%80/x.txt");
    assert_eq!(url_encode("A-z_0.9~/"), "A-z_0.9~/");
    assert_eq!(url_encode("\n&="), "%0A%26%3D");
}

#[test]
fn continuation_tokens_round_trip_and_garbage_is_refused() {
    for s in [
        Start::After("a/b c".into()),
        Start::Resume("é".into()),
        Start::Beginning,
    ] {
        assert_eq!(decode_token(&encode_token(&s)).expect("ok"), s);
    }
    for bad in ["", "!!!", "Zm9v", "MXhh"] {
        let e = decode_token(bad).expect_err(bad);
        assert_eq!(e.code, "InvalidArgument");
        assert_eq!(e.message, "The continuation token provided is incorrect");
    }
}

#[test]
fn list_objects_v2_answers_key_count_truncation_and_a_token() {
    let s = service_with(&["a", "b", "c"]);
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "MaxKeys": 2 }),
    )
    .expect("ok");
    assert_eq!(keys_of(&r), ["a", "b"]);
    assert_eq!(r["KeyCount"], 2);
    assert_eq!(r["IsTruncated"], true);
    assert_eq!(r["MaxKeys"], 2);
    assert_eq!(r["Prefix"], "");
    assert_eq!(r["Name"], "bkt");
    assert!(r.get("Delimiter").is_none());
    let token = r["NextContinuationToken"].as_str().expect("ok").to_string();
    let r2 = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "MaxKeys": 2, "ContinuationToken": token, "StartAfter": "zzz" }),
    )
    .expect("ok");
    // The token wins over StartAfter, and is echoed.
    assert_eq!(keys_of(&r2), ["c"]);
    assert_eq!(r2["IsTruncated"], false);
    assert_eq!(r2["ContinuationToken"], json!(token));
    assert!(r2.get("NextContinuationToken").is_none());
    assert!(r2.get("StartAfter").is_none());
}

#[test]
fn list_objects_v2_contents_carry_checksum_and_owner_only_when_fetched() {
    let s = service_with(&["k"]);
    let r = call(&s, "ListObjectsV2", json!({ "Bucket": "bkt" })).expect("ok");
    let o = &r["Contents"][0];
    assert_eq!(o["ETag"], "\"0123456789abcdef0123456789abcdef\"");
    assert_eq!(o["Size"], 42);
    assert_eq!(o["StorageClass"], "STANDARD");
    assert_eq!(o["ChecksumAlgorithm"], json!(["CRC64NVME"]));
    assert_eq!(o["ChecksumType"], "FULL_OBJECT");
    assert_eq!(o["LastModified"], json!(1_700_000_000.123));
    assert!(o.get("Owner").is_none());
    assert!(o.get("RestoreStatus").is_none());
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "FetchOwner": true }),
    )
    .expect("ok");
    assert_eq!(
        r["Contents"][0]["Owner"]["ID"],
        json!(crate::canonical_user_id(ME))
    );
}

#[test]
fn restore_status_appears_only_when_asked_for() {
    let s = service_with(&[]);
    let mut v = version(1);
    v.storage_class = "GLACIER".into();
    v.restore = Some(crate::object::Restore {
        ready_at_ms: i64::MAX - 1,
        expires_at_ms: i64::MAX,
    });
    s.objects
        .current
        .put(&object_key("bkt", "cold"), &v)
        .expect("ok");
    let r = call(&s, "ListObjectsV2", json!({ "Bucket": "bkt" })).expect("ok");
    assert!(r["Contents"][0].get("RestoreStatus").is_none());
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "OptionalObjectAttributes": ["RestoreStatus"] }),
    )
    .expect("ok");
    assert_eq!(
        r["Contents"][0]["RestoreStatus"],
        json!({ "IsRestoreInProgress": true })
    );
}

#[test]
fn encoding_type_url_encodes_keys_prefixes_delimiter_and_start_after() {
    let s = service_with(&["a b/1", "a b/2", "a+b", "é/x", "z"]);
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "Delimiter": "/", "EncodingType": "url", "StartAfter": "+ +", "Prefix": "" }),
    )
    .expect("ok");
    assert_eq!(prefixes_of(&r), ["a+b/", "%C3%A9/"]);
    assert_eq!(keys_of(&r), ["a%2Bb", "z"]);
    assert_eq!(r["StartAfter"], "%2B+%2B");
    assert_eq!(r["Delimiter"], "/");
    assert_eq!(r["EncodingType"], "url");
    let plain = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "Delimiter": "/" }),
    )
    .expect("ok");
    assert_eq!(prefixes_of(&plain), ["a b/", "é/"]);
    assert!(plain.get("EncodingType").is_none());
}

#[test]
fn an_unknown_encoding_type_is_invalid_argument() {
    let s = service_with(&["a"]);
    for op in ["ListObjectsV2", "ListObjects", "ListObjectVersions"] {
        let e = call(&s, op, json!({ "Bucket": "bkt", "EncodingType": "base64" }))
            .expect_err("an error");
        assert_eq!(
            (e.code.as_str(), e.status),
            ("InvalidArgument", 400),
            "{op}"
        );
        assert_eq!(e.message, "Invalid Encoding Method specified in Request");
    }
}

#[test]
fn an_incorrect_continuation_token_is_invalid_argument() {
    let s = service_with(&["a"]);
    let e = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "ContinuationToken": "not-a-token" }),
    )
    .expect_err("an error");
    assert_eq!(e.code, "InvalidArgument");
    assert_eq!(e.message, "The continuation token provided is incorrect");
}

#[test]
fn max_keys_above_1000_is_capped_and_negative_is_refused() {
    let keys: Vec<String> = (0..1005).map(|i| format!("k{i:04}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let s = service_with(&refs);
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "MaxKeys": 5000 }),
    )
    .expect("ok");
    assert_eq!(r["KeyCount"], 1000);
    assert_eq!(r["IsTruncated"], true);
    let r = call(&s, "ListObjectsV2", json!({ "Bucket": "bkt" })).expect("ok");
    assert_eq!(r["MaxKeys"], 1000);
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "MaxKeys": 0 }),
    )
    .expect("ok");
    assert_eq!(r["KeyCount"], 0);
    assert_eq!(r["IsTruncated"], false);
    let e = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "MaxKeys": -1 }),
    )
    .expect_err("an error");
    assert_eq!(e.code, "InvalidArgument");
}

#[test]
fn list_objects_v1_gives_next_marker_only_with_a_delimiter_and_owners_always() {
    let s = service_with(&["a", "b/1", "b/2", "c"]);
    let r = call(&s, "ListObjects", json!({ "Bucket": "bkt", "MaxKeys": 1 })).expect("ok");
    assert_eq!(keys_of(&r), ["a"]);
    assert_eq!(r["IsTruncated"], true);
    assert_eq!(r["Marker"], "");
    assert!(r.get("NextMarker").is_none());
    assert!(r["Contents"][0]["Owner"]["ID"].is_string());
    let r = call(
        &s,
        "ListObjects",
        json!({ "Bucket": "bkt", "MaxKeys": 2, "Delimiter": "/" }),
    )
    .expect("ok");
    assert_eq!(keys_of(&r), ["a"]);
    assert_eq!(prefixes_of(&r), ["b/"]);
    assert_eq!(r["NextMarker"], "b/");
    let r = call(
        &s,
        "ListObjects",
        json!({ "Bucket": "bkt", "Marker": "b/", "Delimiter": "/" }),
    )
    .expect("ok");
    assert_eq!(keys_of(&r), ["c"]);
    assert_eq!(r["Marker"], "b/");
    assert_eq!(r["IsTruncated"], false);
}

#[test]
fn an_empty_delimiter_is_no_delimiter_and_is_not_echoed() {
    let s = service_with(&["a/1", "a/2"]);
    let r = call(
        &s,
        "ListObjectsV2",
        json!({ "Bucket": "bkt", "Delimiter": "" }),
    )
    .expect("ok");
    assert_eq!(keys_of(&r), ["a/1", "a/2"]);
    assert!(r.get("Delimiter").is_none());
}

#[test]
fn list_object_versions_splits_versions_and_delete_markers() {
    let s = service_with(&[]);
    call(
        &s,
        "PutBucketVersioning",
        json!({ "Bucket": "bkt", "VersioningConfiguration": { "Status": "Enabled" } }),
    )
    .expect("ok");
    let mut old = version(1);
    old.version_id = Some("v1".into());
    let mut dm = version(2);
    dm.version_id = Some("v2".into());
    dm.delete_marker = true;
    s.store
        .write(|txn| -> Result<(), AwsError> {
            txn.put(&s.objects.current, &object_key("bkt", "k"), &dm)?;
            txn.put(
                &s.objects.noncurrent,
                &crate::object::version_row("bkt", "k", 1),
                &old,
            )?;
            txn.put(&s.objects.current, &object_key("bkt", "n"), &version(3))?;
            Ok(())
        })
        .expect("ok");
    let r = call(&s, "ListObjectVersions", json!({ "Bucket": "bkt" })).expect("ok");
    assert_eq!(r["DeleteMarkers"][0]["Key"], "k");
    assert_eq!(r["DeleteMarkers"][0]["VersionId"], "v2");
    assert_eq!(r["DeleteMarkers"][0]["IsLatest"], true);
    let versions = r["Versions"].as_array().expect("ok");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["VersionId"], "v1");
    assert_eq!(versions[0]["IsLatest"], false);
    assert_eq!(versions[1]["Key"], "n");
    assert_eq!(versions[1]["VersionId"], "null");
    assert_eq!(r["KeyMarker"], "");
    assert_eq!(r["VersionIdMarker"], "");
    // Page size 1: the markers name the last entry.
    let r = call(
        &s,
        "ListObjectVersions",
        json!({ "Bucket": "bkt", "MaxKeys": 1 }),
    )
    .expect("ok");
    assert_eq!(r["IsTruncated"], true);
    assert_eq!(r["NextKeyMarker"], "k");
    assert_eq!(r["NextVersionIdMarker"], "v2");
    let r = call(
        &s,
        "ListObjectVersions",
        json!({ "Bucket": "bkt", "KeyMarker": "k", "VersionIdMarker": "v2" }),
    )
    .expect("ok");
    assert_eq!(r["Versions"][0]["VersionId"], "v1");
    assert!(r.get("DeleteMarkers").is_none());
}

#[test]
fn a_version_id_marker_needs_a_key_marker_and_a_real_version() {
    let s = service_with(&["k"]);
    let e = call(
        &s,
        "ListObjectVersions",
        json!({ "Bucket": "bkt", "VersionIdMarker": "v" }),
    )
    .expect_err("an error");
    assert_eq!(e.code, "InvalidArgument");
    assert_eq!(
        e.message,
        "A version-id marker cannot be specified without a key marker."
    );
    let e = call(
        &s,
        "ListObjectVersions",
        json!({ "Bucket": "bkt", "KeyMarker": "k", "VersionIdMarker": "nope" }),
    )
    .expect_err("an error");
    assert_eq!(e.code, "InvalidArgument");
}

#[test]
fn listing_another_accounts_bucket_is_denied_and_a_missing_one_is_no_such_bucket() {
    let s = service_with(&["a"]);
    let e = call(&s, "ListObjectsV2", json!({ "Bucket": "nope" })).expect_err("an error");
    assert_eq!(e.code, "NoSuchBucket");
}

/// `cargo test --release -p gureum-s3 list_page_in_a_million_key_bucket -- --ignored --nocapture`
#[test]
#[ignore]
fn list_page_in_a_million_key_bucket() {
    use std::time::Instant;
    let dir = std::env::temp_dir().join(format!("gureum-list-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&dir).expect("store");
    let s = S3Service::new(store);
    call(&s, "CreateBucket", json!({ "Bucket": "bench" })).expect("bucket");
    let t0 = Instant::now();
    let v = version(1);
    const N: usize = 1_000_000;
    for chunk in 0..10 {
        s.store
            .write(|txn| -> Result<(), AwsError> {
                for i in chunk * N / 10..(chunk + 1) * N / 10 {
                    let key = format!("data/{:03}/object-{i:07}.json", i % 1000);
                    txn.put(&s.objects.current, &object_key("bench", &key), &v)?;
                }
                Ok(())
            })
            .expect("load");
    }
    println!("loaded {N} keys in {:?}", t0.elapsed());
    let list = |input: Value| {
        let t = Instant::now();
        let r = call(&s, "ListObjectsV2", input).expect("list");
        (t.elapsed(), r)
    };
    // Warm the page cache once, then time.
    let mid = json!({ "Bucket": "bench", "StartAfter": "data/500/", "MaxKeys": 1000 });
    let _ = list(mid.clone());
    let mut times = Vec::new();
    for _ in 0..20 {
        let (t, r) = list(mid.clone());
        assert_eq!(r["KeyCount"], 1000);
        assert_eq!(r["IsTruncated"], true);
        times.push(t);
    }
    times.sort();
    println!(
        "ListObjectsV2 page of 1000 mid-bucket: median {:?}, max {:?}",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    let (t, r) = list(json!({ "Bucket": "bench", "Delimiter": "/", "Prefix": "data/" }));
    assert_eq!(r["KeyCount"], 1000);
    assert_eq!(r["IsTruncated"], false);
    println!("ListObjectsV2 of 1000 common prefixes over 1M keys: {t:?}");
    let (t, r) = list(json!({ "Bucket": "bench", "Delimiter": "/", "EncodingType": "url" }));
    assert_eq!(prefixes_of(&r), ["data/"]);
    println!("ListObjectsV2 rolling 1M keys into one prefix: {t:?}");
    // 150,000 delete markers in a row: pages end at the scan budget.
    let mut dm = version(2);
    dm.delete_marker = true;
    dm.version_id = Some("x".into());
    s.store
        .write(|txn| -> Result<(), AwsError> {
            for i in 0..150_000 {
                txn.put(
                    &s.objects.current,
                    &object_key("bench", &format!("dead/{i:07}")),
                    &dm,
                )?;
            }
            Ok(())
        })
        .expect("markers");
    let mut input = json!({ "Bucket": "bench", "Prefix": "dead/" });
    let mut pages = 0;
    let mut slowest = std::time::Duration::ZERO;
    loop {
        let (t, r) = list(input.clone());
        pages += 1;
        slowest = slowest.max(t);
        assert_eq!(r["KeyCount"], 0);
        if r["IsTruncated"] == false {
            break;
        }
        input["ContinuationToken"] = r["NextContinuationToken"].clone();
    }
    assert_eq!(pages, 150_000 / crate::listing::SCAN_BUDGET + 1);
    println!("150,000 delete markers: {pages} empty pages, the slowest {slowest:?}");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        times[times.len() / 2]
            < std::time::Duration::from_millis(if cfg!(debug_assertions) { 200 } else { 10 })
    );
}
