//! CopyObject, RestoreObject, ACL and GetObjectAttributes rules through the
//! service, by name.

use crate::S3Service;
use gureum_core::{
    AwsError, Clock, Reply, RequestBody, RequestContext, ResponseBody, Service, Value,
};
use gureum_store::Store;
use serde_json::json;

const ME: &str = "000000000000";
const HOUR_MS: i64 = 3_600_000;

struct Env {
    s: S3Service,
    ctx: RequestContext,
}

fn env() -> Env {
    let e = Env {
        s: S3Service::new(Store::in_memory().expect("store")),
        ctx: RequestContext::root(ME, "us-east-1", Clock::system()),
    };
    e.call("CreateBucket", json!({"Bucket": "src"}))
        .expect("bucket");
    e.call("CreateBucket", json!({"Bucket": "dst"}))
        .expect("bucket");
    e
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

impl Env {
    fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        ready(self.s.call(&self.ctx, op, input))
    }

    fn stream(&self, op: &str, input: Value, body: &[u8]) -> Result<Reply, AwsError> {
        let body = RequestBody::from_bytes(bytes::Bytes::copy_from_slice(body));
        ready(self.s.call_streaming(&self.ctx, op, input, body))
    }

    fn put(&self, bucket: &str, key: &str, body: &[u8], extra: Value) -> Value {
        let mut input = json!({"Bucket": bucket, "Key": key});
        if let Value::Object(m) = extra {
            for (k, v) in m {
                input[k] = v;
            }
        }
        self.stream("PutObject", input, body).expect("put").output
    }

    fn copy(&self, input: Value) -> Result<Value, AwsError> {
        self.stream("CopyObject", input, b"").map(|r| r.output)
    }

    fn get(&self, bucket: &str, key: &str) -> Result<(Value, Vec<u8>), AwsError> {
        let r = self.stream("GetObject", json!({"Bucket": bucket, "Key": key}), b"")?;
        let bytes = match r.body {
            Some(ResponseBody::Bytes(b)) => b.to_vec(),
            Some(ResponseBody::Stream { .. }) => panic!("tests keep objects under a chunk"),
            None => Vec::new(),
        };
        Ok((r.output, bytes))
    }

    fn head(&self, bucket: &str, key: &str) -> Value {
        self.stream("HeadObject", json!({"Bucket": bucket, "Key": key}), b"")
            .expect("head")
            .output
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, AwsError>) -> (String, u16) {
    let e = r.expect_err("expected an error");
    (e.code, e.status)
}

#[test]
fn copy_directive_copy_keeps_content_headers_metadata_and_tags() {
    let e = env();
    e.put(
        "src",
        "a",
        b"hello",
        json!({"ContentType": "text/plain", "Metadata": {"k": "v"}, "Tagging": "t=1",
               "WebsiteRedirectLocation": "/elsewhere"}),
    );
    let out = e
        .copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/a",
                     "ContentType": "ignored/with-copy", "Metadata": {"x": "y"}}))
        .expect("copy");
    assert_eq!(
        out["CopyObjectResult"]["ETag"],
        format!("\"{:x}\"", md5::Md5::digest_of(b"hello"))
    );
    let (head, body) = e.get("dst", "b").expect("get");
    assert_eq!(body, b"hello");
    assert_eq!(head["ContentType"], "text/plain");
    assert_eq!(head["Metadata"], json!({"k": "v"}));
    assert_eq!(head["TagCount"], 1);
    // The website redirect location is never copied.
    assert!(head.get("WebsiteRedirectLocation").is_none());
}

#[test]
fn copy_directive_replace_takes_the_requests_metadata_and_tags() {
    let e = env();
    e.put(
        "src",
        "a",
        b"x",
        json!({"ContentType": "text/plain", "Metadata": {"k": "v"}, "Tagging": "t=1"}),
    );
    e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "/src/a",
                  "MetadataDirective": "REPLACE", "Metadata": {"n": "m"},
                  "TaggingDirective": "REPLACE", "Tagging": "a=1&b=2"}))
        .expect("copy");
    let head = e.head("dst", "b");
    assert_eq!(head["ContentType"], "binary/octet-stream");
    assert_eq!(head["Metadata"], json!({"n": "m"}));
    assert_eq!(head["TagCount"], 2);
}

#[test]
fn copying_an_object_onto_itself_unchanged_is_invalid_request() {
    let e = env();
    e.put("src", "a", b"x", json!({}));
    let err = e
        .copy(json!({"Bucket": "src", "Key": "a", "CopySource": "src/a"}))
        .expect_err("illegal");
    assert_eq!((err.code.as_str(), err.status), ("InvalidRequest", 400));
    assert!(err.message.starts_with("This copy request is illegal"));
    // The same storage class changes nothing either.
    assert_eq!(
        code(e.copy(
            json!({"Bucket": "src", "Key": "a", "CopySource": "src/a", "StorageClass": "STANDARD"})
        )),
        ("InvalidRequest".into(), 400)
    );
    // Replacing the metadata, or another storage class, is a change.
    e.copy(json!({"Bucket": "src", "Key": "a", "CopySource": "src/a",
                  "MetadataDirective": "REPLACE", "Metadata": {"new": "1"}}))
        .expect("replace");
    assert_eq!(e.head("src", "a")["Metadata"], json!({"new": "1"}));
    e.copy(
        json!({"Bucket": "src", "Key": "a", "CopySource": "src/a", "StorageClass": "STANDARD_IA"}),
    )
    .expect("class");
    assert_eq!(e.head("src", "a")["StorageClass"], "STANDARD_IA");
}

#[test]
fn copy_sources_that_do_not_exist_are_no_such_key_bucket_version() {
    let e = env();
    e.put("src", "a", b"x", json!({}));
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/missing"}))),
        ("NoSuchKey".into(), 404)
    );
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "nobucket/a"}))),
        ("NoSuchBucket".into(), 404)
    );
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/a?versionId=nope"}))),
        ("NoSuchVersion".into(), 404)
    );
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src"}))),
        ("InvalidArgument".into(), 400)
    );
}

#[test]
fn copy_from_another_accounts_bucket_is_access_denied() {
    let e = env();
    let other = RequestContext::root("111122223333", "us-east-1", Clock::system());
    ready(e.s.call(&other, "CreateBucket", json!({"Bucket": "theirs"}))).expect("bucket");
    let body = RequestBody::from_bytes(bytes::Bytes::from_static(b"x"));
    ready(e.s.call_streaming(
        &other,
        "PutObject",
        json!({"Bucket": "theirs", "Key": "k"}),
        body,
    ))
    .expect("put");
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "theirs/k"}))),
        ("AccessDenied".into(), 403)
    );
}

#[test]
fn failing_copy_source_conditions_are_412() {
    let e = env();
    let put = e.put("src", "a", b"x", json!({}));
    let etag = put["ETag"].as_str().expect("etag").to_string();
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/a", "CopySourceIfMatch": "\"nope\""}))),
        ("PreconditionFailed".into(), 412)
    );
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/a", "CopySourceIfNoneMatch": etag}))),
        ("PreconditionFailed".into(), 412)
    );
    e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/a", "CopySourceIfMatch": etag}))
        .expect("holds");
}

#[test]
fn copy_storage_class_is_standard_unless_asked() {
    let e = env();
    e.put("src", "a", b"x", json!({"StorageClass": "STANDARD_IA"}));
    e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/a"}))
        .expect("copy");
    assert!(e.head("dst", "b").get("StorageClass").is_none());
    e.copy(
        json!({"Bucket": "dst", "Key": "c", "CopySource": "src/a", "StorageClass": "ONEZONE_IA"}),
    )
    .expect("copy");
    assert_eq!(e.head("dst", "c")["StorageClass"], "ONEZONE_IA");
    assert_eq!(
        code(e.copy(
            json!({"Bucket": "dst", "Key": "d", "CopySource": "src/a", "StorageClass": "COLD"})
        )),
        ("InvalidStorageClass".into(), 400)
    );
}

#[test]
fn copy_of_a_file_object_has_its_own_bytes() {
    let e = env();
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    e.put("src", "big", &body, json!({}));
    e.copy(json!({"Bucket": "dst", "Key": "big", "CopySource": "src/big"}))
        .expect("copy");
    // Deleting the source leaves the copy whole.
    e.call("DeleteObject", json!({"Bucket": "src", "Key": "big"}))
        .expect("delete");
    let (_, got) = e.get("dst", "big").expect("get");
    assert_eq!(got, body);
}

#[test]
fn copy_with_a_new_checksum_algorithm_recomputes_it() {
    let e = env();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 13) as u8).collect();
    e.put("src", "a", &body, json!({}));
    let out = e
        .copy(json!({"Bucket": "src", "Key": "a", "CopySource": "src/a", "ChecksumAlgorithm": "SHA256"}))
        .expect("self-copy changing the checksum algorithm");
    let want = crate::checksum::to_base64(&crate::checksum::digest(
        crate::checksum::ChecksumAlgorithm::Sha256,
        &body,
    ));
    assert_eq!(out["CopyObjectResult"]["ChecksumSHA256"], want);
    let (_, got) = e.get("src", "a").expect("get");
    assert_eq!(got, body);
}

#[test]
fn versioned_copies_report_both_version_ids() {
    let e = env();
    for b in ["src", "dst"] {
        e.call(
            "PutBucketVersioning",
            json!({"Bucket": b, "VersioningConfiguration": {"Status": "Enabled"}}),
        )
        .expect("versioning");
    }
    let v1 = e.put("src", "a", b"one", json!({}))["VersionId"]
        .as_str()
        .expect("v")
        .to_string();
    e.put("src", "a", b"two", json!({}));
    let out = e
        .copy(json!({"Bucket": "dst", "Key": "b", "CopySource": format!("src/a?versionId={v1}")}))
        .expect("copy");
    assert_eq!(out["CopySourceVersionId"], v1.as_str());
    assert!(out["VersionId"].as_str().is_some_and(|v| v != v1));
    assert_eq!(e.get("dst", "b").expect("get").1, b"one");
    // Copying an older version onto its own key restores it.
    e.copy(json!({"Bucket": "src", "Key": "a", "CopySource": format!("src/a?versionId={v1}")}))
        .expect("promote");
    assert_eq!(e.get("src", "a").expect("get").1, b"one");
}

#[test]
fn archived_objects_restore_on_the_clock_then_read_and_copy() {
    let e = env();
    e.put("src", "cold", b"frozen", json!({"StorageClass": "GLACIER"}));
    assert_eq!(
        code(e.get("src", "cold")),
        ("InvalidObjectState".into(), 403)
    );
    assert_eq!(
        code(e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/cold"}))),
        ("InvalidObjectState".into(), 403)
    );
    let restore = json!({"Bucket": "src", "Key": "cold",
                         "RestoreRequest": {"Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}}});
    let r = e
        .stream("RestoreObject", restore.clone(), b"")
        .expect("restore");
    assert_eq!(r.status, Some(202));
    assert_eq!(
        code(e.stream("RestoreObject", restore.clone(), b"")),
        ("RestoreAlreadyInProgress".into(), 409)
    );
    assert_eq!(e.head("src", "cold")["Restore"], "ongoing-request=\"true\"");
    e.ctx.clock.advance_millis(5 * 60_000);
    assert_eq!(e.get("src", "cold").expect("restored").1, b"frozen");
    assert!(e.head("src", "cold")["Restore"]
        .as_str()
        .is_some_and(|h| h.starts_with("ongoing-request=\"false\", expiry-date=")));
    e.copy(json!({"Bucket": "dst", "Key": "b", "CopySource": "src/cold"}))
        .expect("copy");
    let r = e.stream("RestoreObject", restore, b"").expect("again");
    assert_eq!(r.status, Some(200));
    // Past the expiry the copy is gone again.
    e.ctx.clock.advance_millis(72 * HOUR_MS);
    assert_eq!(
        code(e.get("src", "cold")),
        ("InvalidObjectState".into(), 403)
    );
    assert!(e.head("src", "cold").get("Restore").is_none());
}

#[test]
fn restoring_a_standard_object_is_invalid_object_state() {
    let e = env();
    e.put("src", "a", b"x", json!({}));
    let err = e
        .stream(
            "RestoreObject",
            json!({"Bucket": "src", "Key": "a", "RestoreRequest": {"Days": 1}}),
            b"",
        )
        .expect_err("not archived");
    assert_eq!((err.code.as_str(), err.status), ("InvalidObjectState", 403));
    assert_eq!(
        code(e.stream(
            "RestoreObject",
            json!({"Bucket": "src", "Key": "none", "RestoreRequest": {"Days": 1}}),
            b""
        )),
        ("NoSuchKey".into(), 404)
    );
}

#[test]
fn deep_archive_bulk_takes_48_hours() {
    let e = env();
    e.put("src", "d", b"deep", json!({"StorageClass": "DEEP_ARCHIVE"}));
    let r = e
        .stream(
            "RestoreObject",
            json!({"Bucket": "src", "Key": "d",
                "RestoreRequest": {"Days": 2, "GlacierJobParameters": {"Tier": "Bulk"}}}),
            b"",
        )
        .expect("restore");
    assert_eq!(r.status, Some(202));
    e.ctx.clock.advance_millis(48 * HOUR_MS - 1000);
    assert_eq!(code(e.get("src", "d")), ("InvalidObjectState".into(), 403));
    e.ctx.clock.advance_millis(1000);
    assert_eq!(e.get("src", "d").expect("ready").1, b"deep");
}

#[test]
fn put_object_with_a_public_acl_on_an_enforced_bucket_is_refused() {
    let e = env();
    let err = e
        .stream(
            "PutObject",
            json!({"Bucket": "src", "Key": "a", "ACL": "public-read"}),
            b"x",
        )
        .expect_err("refused");
    assert_eq!(
        (err.code.as_str(), err.status),
        ("AccessControlListNotSupported", 400)
    );
    e.put(
        "src",
        "a",
        b"x",
        json!({"ACL": "bucket-owner-full-control"}),
    );
    let acl = e
        .call("GetObjectAcl", json!({"Bucket": "src", "Key": "a"}))
        .expect("acl");
    assert_eq!(acl["Grants"].as_array().map(Vec::len), Some(1));
    assert_eq!(acl["Grants"][0]["Permission"], "FULL_CONTROL");
    assert_eq!(acl["Owner"]["ID"], crate::canonical_user_id(ME));
    assert_eq!(
        code(e.call(
            "PutObjectAcl",
            json!({"Bucket": "src", "Key": "a", "ACL": "public-read"})
        )),
        ("AccessControlListNotSupported".into(), 400)
    );
    assert_eq!(
        code(e.call(
            "PutBucketAcl",
            json!({"Bucket": "src", "ACL": "public-read"})
        )),
        ("AccessControlListNotSupported".into(), 400)
    );
    e.call("PutBucketAcl", json!({"Bucket": "src", "ACL": "private"}))
        .expect("private is fine");
}

#[test]
fn ownership_controls_enable_acls_which_are_reported_as_grants() {
    let e = env();
    e.call(
        "PutBucketOwnershipControls",
        json!({"Bucket": "src",
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}}),
    )
    .expect("controls");
    // New buckets block public ACLs (AWS's default since 2023).
    e.call("DeletePublicAccessBlock", json!({"Bucket": "src"}))
        .expect("unblock");
    e.put("src", "a", b"x", json!({"ACL": "public-read"}));
    let acl = e
        .call("GetObjectAcl", json!({"Bucket": "src", "Key": "a"}))
        .expect("acl");
    assert_eq!(
        acl["Grants"][1]["Grantee"]["URI"],
        "http://acs.amazonaws.com/groups/global/AllUsers"
    );
    assert_eq!(acl["Grants"][1]["Permission"], "READ");
    e.call(
        "PutObjectAcl",
        json!({"Bucket": "src", "Key": "a", "ACL": "authenticated-read"}),
    )
    .expect("put acl");
    let acl = e
        .call("GetObjectAcl", json!({"Bucket": "src", "Key": "a"}))
        .expect("acl");
    assert_eq!(
        acl["Grants"][1]["Grantee"]["URI"],
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    );
    e.call(
        "PutBucketAcl",
        json!({"Bucket": "src", "ACL": "public-read-write"}),
    )
    .expect("bucket acl");
    let b = e
        .call("GetBucketAcl", json!({"Bucket": "src"}))
        .expect("bucket acl");
    assert_eq!(b["Grants"].as_array().map(Vec::len), Some(3));
    // Back to enforced: refused while the bucket ACL grants more.
    let enforce = json!({"Bucket": "src",
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}});
    assert_eq!(
        code(e.call("PutBucketOwnershipControls", enforce.clone())),
        ("InvalidBucketAclWithObjectOwnership".into(), 400)
    );
    e.call("PutBucketAcl", json!({"Bucket": "src", "ACL": "private"}))
        .expect("private");
    e.call("PutBucketOwnershipControls", enforce)
        .expect("enforced");
    let acl = e
        .call("GetObjectAcl", json!({"Bucket": "src", "Key": "a"}))
        .expect("acl");
    assert_eq!(acl["Grants"].as_array().map(Vec::len), Some(1));
}

#[test]
fn deleted_ownership_controls_are_not_found_and_allow_acls() {
    let e = env();
    e.call("DeleteBucketOwnershipControls", json!({"Bucket": "src"}))
        .expect("delete");
    assert_eq!(
        code(e.call("GetBucketOwnershipControls", json!({"Bucket": "src"}))),
        ("OwnershipControlsNotFoundError".into(), 404)
    );
    e.call("DeletePublicAccessBlock", json!({"Bucket": "src"}))
        .expect("unblock");
    e.put("src", "a", b"x", json!({"ACL": "public-read-write"}));
    let acl = e
        .call("GetObjectAcl", json!({"Bucket": "src", "Key": "a"}))
        .expect("acl");
    assert_eq!(acl["Grants"].as_array().map(Vec::len), Some(3));
}

#[test]
fn put_object_acl_needs_an_acl_and_an_object() {
    let e = env();
    e.put("src", "a", b"x", json!({}));
    assert_eq!(
        code(e.call("PutObjectAcl", json!({"Bucket": "src", "Key": "a"}))),
        ("MissingSecurityHeader".into(), 400)
    );
    assert_eq!(
        code(e.call(
            "PutObjectAcl",
            json!({"Bucket": "src", "Key": "zz", "ACL": "private"})
        )),
        ("NoSuchKey".into(), 404)
    );
    assert_eq!(
        code(e.call("GetObjectAcl", json!({"Bucket": "src", "Key": "zz"}))),
        ("NoSuchKey".into(), 404)
    );
}

#[test]
fn get_object_attributes_reports_what_was_asked() {
    let e = env();
    e.put("src", "a", b"hello", json!({"StorageClass": "GLACIER"}));
    let out = e
        .call(
            "GetObjectAttributes",
            json!({"Bucket": "src", "Key": "a",
               "ObjectAttributes": ["ETag", "ObjectSize", "StorageClass", "Checksum"]}),
        )
        .expect("attributes");
    assert_eq!(out["ETag"], format!("{:x}", md5::Md5::digest_of(b"hello")));
    assert_eq!(out["ObjectSize"], 5);
    assert_eq!(out["StorageClass"], "GLACIER");
    assert!(out["Checksum"]["ChecksumCRC64NVME"].is_string());
    assert!(out.get("ObjectParts").is_none());
    let only = e
        .call(
            "GetObjectAttributes",
            json!({"Bucket": "src", "Key": "a", "ObjectAttributes": ["ObjectSize"]}),
        )
        .expect("attributes");
    assert!(only.get("ETag").is_none());
    assert_eq!(
        code(e.call(
            "GetObjectAttributes",
            json!({"Bucket": "src", "Key": "b", "ObjectAttributes": ["ETag"]})
        )),
        ("NoSuchKey".into(), 404)
    );
}

/// MD5 in hex for expected ETags.
mod md5 {
    pub struct Md5;
    impl Md5 {
        pub fn digest_of(data: &[u8]) -> Hex {
            let mut m = crate::checksum::Md5::new();
            m.update(data);
            Hex(m.finish())
        }
    }
    pub struct Hex([u8; 16]);
    impl std::fmt::LowerHex for Hex {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            for b in self.0 {
                write!(f, "{b:02x}")?;
            }
            Ok(())
        }
    }
}
