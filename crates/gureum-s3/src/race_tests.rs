//! Writes racing `DeleteBucket`, by rule: a write that commits never lands
//! in a bucket that is gone, and a re-created bucket never inherits it.
//!
//! Each round creates the bucket, then one thread writes into it while
//! another deletes it, both released by one barrier. Afterwards the bucket
//! either exists (and holds what was written) or is gone with nothing left
//! under its name; the next creator of the name must find it empty.

use crate::S3Service;
use gureum_core::{AwsError, Clock, RequestBody, RequestContext, Service, Value};
use gureum_store::Store;
use serde_json::json;
use std::sync::Barrier;

const ROUNDS: usize = 1000;
const BUCKET: &str = "race";

fn ctx() -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", Clock::system())
}

/// Polls a future that never waits (in-memory bodies) to its end.
fn ready<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn call(s: &S3Service, op: &str, input: Value) -> Result<Value, AwsError> {
    ready(s.call(&ctx(), op, input))
}

fn stream(s: &S3Service, op: &str, input: Value, body: Vec<u8>) -> Result<Value, AwsError> {
    let body = RequestBody::from_bytes(bytes::Bytes::from(body));
    ready(s.call_streaming(&ctx(), op, input, body)).map(|r| r.output)
}

/// What went wrong over the rounds.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    /// Rounds that ended with the bucket gone and an object under its name.
    orphaned: usize,
    /// Rounds whose re-created bucket listed an object it never received.
    inherited: usize,
    /// Rounds in which the write succeeded (so the race was really run).
    writes_won: usize,
    /// Rounds in which the delete succeeded.
    deletes_won: usize,
}

/// Whether anything is stored under the bucket's name.
fn rows_under(s: &S3Service) -> bool {
    let prefix = format!("{BUCKET}/");
    let any = |t: &crate::object::VersionTable| {
        !t.scan_prefix_after(&prefix, None, 1)
            .expect("scan")
            .is_empty()
    };
    any(&s.objects.current)
        || any(&s.objects.noncurrent)
        || !s
            .uploads_table()
            .scan_prefix_after(&prefix, None, 1)
            .expect("scan")
            .is_empty()
}

/// Empties and deletes the bucket, whatever the round left.
fn clean(s: &S3Service) {
    let listed = call(s, "ListObjectVersions", json!({"Bucket": BUCKET})).expect("list");
    for kind in ["Versions", "DeleteMarkers"] {
        for v in listed[kind].as_array().into_iter().flatten() {
            call(
                s,
                "DeleteObject",
                json!({"Bucket": BUCKET, "Key": v["Key"], "VersionId": v["VersionId"]}),
            )
            .expect("delete version");
        }
    }
    let uploads = call(s, "ListMultipartUploads", json!({"Bucket": BUCKET})).expect("uploads");
    for u in uploads["Uploads"].as_array().into_iter().flatten() {
        call(
            s,
            "AbortMultipartUpload",
            json!({"Bucket": BUCKET, "Key": u["Key"], "UploadId": u["UploadId"]}),
        )
        .expect("abort");
    }
    call(s, "DeleteBucket", json!({"Bucket": BUCKET})).expect("delete bucket");
}

/// Runs the rounds with `write` racing `DeleteBucket`. Odd rounds use a
/// versioned bucket, so stale versioning state would show too.
fn race(write: impl Fn(&S3Service, usize) -> Result<Value, AwsError> + Sync) -> Tally {
    let s = S3Service::new(Store::in_memory().expect("store"));
    call(&s, "CreateBucket", json!({"Bucket": "src"})).expect("src");
    stream(
        &s,
        "PutObject",
        json!({"Bucket": "src", "Key": "s"}),
        // Small: the copy decrypts and encrypts it again (slow in debug
        // builds), and must still sometimes beat the delete.
        vec![7; 1024],
    )
    .expect("source object");
    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        call(&s, "CreateBucket", json!({"Bucket": BUCKET})).expect("create");
        if !round.is_multiple_of(2) {
            call(
                &s,
                "PutBucketVersioning",
                json!({"Bucket": BUCKET, "VersioningConfiguration": {"Status": "Enabled"}}),
            )
            .expect("versioning");
        }
        let barrier = Barrier::new(2);
        let (wrote, deleted) = std::thread::scope(|t| {
            let w = t.spawn(|| {
                barrier.wait();
                write(&s, round).is_ok()
            });
            let d = t.spawn(|| {
                barrier.wait();
                call(&s, "DeleteBucket", json!({"Bucket": BUCKET})).is_ok()
            });
            (w.join().expect("writer"), d.join().expect("deleter"))
        });
        tally.writes_won += usize::from(wrote);
        tally.deletes_won += usize::from(deleted);
        let exists = s.buckets.contains(BUCKET).expect("bucket row");
        if !exists {
            if rows_under(&s) {
                tally.orphaned += 1;
            }
            // The next creator of the name: it must start empty.
            call(&s, "CreateBucket", json!({"Bucket": BUCKET})).expect("re-create");
            let listed = call(&s, "ListObjectVersions", json!({"Bucket": BUCKET})).expect("list");
            let uploads =
                call(&s, "ListMultipartUploads", json!({"Bucket": BUCKET})).expect("uploads");
            if listed.get("Versions").is_some()
                || listed.get("DeleteMarkers").is_some()
                || uploads.get("Uploads").is_some()
            {
                tally.inherited += 1;
            }
        }
        clean(&s);
    }
    tally
}

fn assert_no_orphans(what: &str, tally: Tally) {
    eprintln!("{what}: {tally:?}");
    assert!(
        tally.writes_won > 0 && tally.deletes_won > 0,
        "{what}: the race never ran both ways: {tally:?}"
    );
    assert_eq!(
        (tally.orphaned, tally.inherited),
        (0, 0),
        "{what}: writes outlived their bucket: {tally:?}"
    );
}

/// A small body in most rounds, a larger one (slower to hash) in others,
/// so the write's commit falls on both sides of the delete's.
fn body(round: usize) -> Vec<u8> {
    vec![
        b'x';
        if round.is_multiple_of(3) {
            64 * 1024
        } else {
            1024
        }
    ]
}

#[test]
fn put_object_racing_delete_bucket_never_leaves_an_object_behind() {
    let tally = race(|s, round| {
        stream(
            s,
            "PutObject",
            json!({"Bucket": BUCKET, "Key": "k"}),
            body(round),
        )
    });
    assert_no_orphans("PutObject", tally);
}

#[test]
fn copy_object_racing_delete_bucket_never_leaves_an_object_behind() {
    let tally = race(|s, _| {
        stream(
            s,
            "CopyObject",
            json!({"Bucket": BUCKET, "Key": "k", "CopySource": "src/s"}),
            Vec::new(),
        )
    });
    assert_no_orphans("CopyObject", tally);
}

#[test]
fn create_multipart_upload_racing_delete_bucket_never_leaves_an_upload_behind() {
    let tally = race(|s, _| {
        call(
            s,
            "CreateMultipartUpload",
            json!({"Bucket": BUCKET, "Key": "k"}),
        )
    });
    assert_no_orphans("CreateMultipartUpload", tally);
}

#[test]
fn delete_object_racing_delete_bucket_never_leaves_a_delete_marker_behind() {
    // Only versioned (odd) rounds write a marker; unversioned ones delete
    // nothing and succeed either way.
    let tally = race(|s, round| {
        if round.is_multiple_of(2) {
            return Err(AwsError::internal("unversioned round"));
        }
        call(s, "DeleteObject", json!({"Bucket": BUCKET, "Key": "k"}))
    });
    assert_no_orphans("DeleteObject", tally);
}
