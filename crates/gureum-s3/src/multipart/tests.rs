//! Multipart rules, by name: through the service where the rule is about
//! state (uploads, parts, completion), directly where it is a function.

use super::complete::{assemble, listed_parts, Listed};
use super::*;
use crate::checksum::{self, ChecksumAlgorithm};
use gureum_core::{Clock, RequestContext, Service};
use gureum_store::Store;

const ME: &str = "000000000000";

impl S3Service {
    /// How many object files are referenced.
    fn blobs_refs_len(&self) -> u64 {
        self.store.table::<u8>("s3.blob_refs").len().expect("refs")
    }
}

fn svc() -> S3Service {
    S3Service::new(Store::in_memory().expect("store"))
}

fn ctx() -> RequestContext {
    RequestContext::root(ME, "us-east-1", Clock::system())
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

fn stream(s: &S3Service, op: &str, input: Value, body: &[u8]) -> Result<Reply, AwsError> {
    let body = RequestBody::from_bytes(bytes::Bytes::copy_from_slice(body));
    ready(s.call_streaming(&ctx(), op, input, body))
}

fn setup() -> (S3Service, String) {
    let s = svc();
    call(&s, "CreateBucket", json!({"Bucket": "mpu"})).expect("bucket");
    let out = call(
        &s,
        "CreateMultipartUpload",
        json!({"Bucket": "mpu", "Key": "obj"}),
    )
    .expect("create");
    let id = out["UploadId"].as_str().expect("id").to_string();
    (s, id)
}

fn put_part(s: &S3Service, id: &str, n: u64, body: &[u8]) -> String {
    let r = stream(
        s,
        "UploadPart",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": n}),
        body,
    )
    .expect("part");
    r.output["ETag"].as_str().expect("etag").to_string()
}

fn complete(s: &S3Service, id: &str, parts: &[(u64, &str)]) -> Result<Value, AwsError> {
    let parts: Vec<Value> = parts
        .iter()
        .map(|(n, e)| json!({"PartNumber": n, "ETag": e}))
        .collect();
    call(
        s,
        "CompleteMultipartUpload",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id,
               "MultipartUpload": {"Parts": parts}}),
    )
}

fn md5_hex(b: &[u8]) -> String {
    let mut m = checksum::Md5::new();
    m.update(b);
    hex::encode(m.finish())
}

#[test]
fn part_numbers_are_1_to_10000() {
    for ok in [1, 10_000] {
        assert_eq!(part_number(&json!({"PartNumber": ok})).expect("ok"), ok);
    }
    for bad in [json!(0), json!(10_001), json!(-1)] {
        let e = part_number(&json!({ "PartNumber": bad })).expect_err("bad");
        assert_eq!((e.code.as_str(), e.status), ("InvalidArgument", 400));
        assert_eq!(
            e.message,
            "Part number must be an integer between 1 and 10000, inclusive"
        );
    }
    assert!(part_number(&json!({})).is_err());
}

#[test]
fn checksum_type_defaults_per_algorithm() {
    let c = |a: &str| checksum_choice(&json!({ "ChecksumAlgorithm": a })).expect("ok");
    assert_eq!(c("CRC32"), (Some("CRC32".into()), Some("COMPOSITE".into())));
    assert_eq!(
        c("sha256"),
        (Some("SHA256".into()), Some("COMPOSITE".into()))
    );
    assert_eq!(
        c("CRC64NVME"),
        (Some("CRC64NVME".into()), Some("FULL_OBJECT".into()))
    );
    assert_eq!(checksum_choice(&json!({})).expect("ok"), (None, None));
}

#[test]
fn checksum_type_combinations_aws_refuses() {
    let e = |a: &str, t: &str| {
        checksum_choice(&json!({"ChecksumAlgorithm": a, "ChecksumType": t}))
            .expect_err("refused")
            .message
    };
    assert_eq!(
        e("SHA1", "FULL_OBJECT"),
        "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm."
    );
    assert_eq!(
        e("CRC64NVME", "COMPOSITE"),
        "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm."
    );
    assert!(e("CRC32", "WHOLE").contains("x-amz-checksum-type"));
    let no_alg = checksum_choice(&json!({"ChecksumType": "FULL_OBJECT"})).expect_err("refused");
    assert_eq!(no_alg.code, "InvalidRequest");
    assert!(
        checksum_choice(&json!({"ChecksumAlgorithm": "CRC32", "ChecksumType": "FULL_OBJECT"}))
            .is_ok()
    );
}

#[test]
fn copy_ranges_are_inclusive_and_inside_the_object() {
    assert_eq!(copy_range("bytes=0-9", 100).expect("ok"), (0, 10));
    assert_eq!(copy_range("bytes=99-99", 100).expect("ok"), (99, 100));
    assert_eq!(
        copy_range("bytes=90-100", 100).expect_err("past end").code,
        "InvalidRange"
    );
    for bad in ["bytes=5-1", "bytes=-5", "bytes=1-", "0-5", "bytes=a-b"] {
        assert_eq!(
            copy_range(bad, 100).expect_err(bad).code,
            "InvalidArgument",
            "{bad}"
        );
    }
}

fn upload(alg: Option<&str>, kind: Option<&str>) -> Upload {
    Upload {
        upload_id: "u".into(),
        checksum_algorithm: alg.map(Into::into),
        checksum_type: kind.map(Into::into),
        ..Upload::default()
    }
}

fn stored_part(alg: ChecksumAlgorithm, n: u64, body: &[u8]) -> Part {
    Part {
        number: n,
        size: body.len() as u64,
        md5: md5_hex(body),
        checksum: checksum::to_base64(&checksum::digest(alg, body)),
        data: DataRef::Files {
            segments: vec![crate::storage::Segment {
                blob: format!("b{n}"),
                len: body.len() as u64,
            }],
        },
        ..Part::default()
    }
}

fn listed(p: &Part) -> Listed {
    Listed {
        number: p.number,
        etag: p.etag(),
        checksums: Default::default(),
    }
}

#[test]
fn full_object_checksum_is_the_crc_of_the_whole_object() {
    let a = vec![1u8; MIN_PART_SIZE as usize];
    let b = b"tail".to_vec();
    let alg = ChecksumAlgorithm::Crc32c;
    let parts: std::collections::BTreeMap<u64, Part> =
        [(1, stored_part(alg, 1, &a)), (2, stored_part(alg, 2, &b))].into();
    let l: Vec<Listed> = parts.values().map(listed).collect();
    let up = upload(Some("CRC32C"), Some("FULL_OBJECT"));
    let done = assemble(&up, &json!({}), &l, &parts).expect("assembled");
    let whole = [a.as_slice(), b.as_slice()].concat();
    assert_eq!(
        done.checksum.1,
        checksum::to_base64(&checksum::digest(alg, &whole))
    );
    assert_eq!(done.checksum_type, "FULL_OBJECT");
    assert_eq!(done.part_sizes, vec![a.len() as u64, 4]);
    assert_eq!(done.segments.len(), 2);
    let md5s: Vec<[u8; 16]> = [&a[..], &b[..]]
        .iter()
        .map(|x| {
            let mut m = checksum::Md5::new();
            m.update(x);
            m.finish()
        })
        .collect();
    assert_eq!(done.etag, checksum::multipart_etag(&md5s));
    assert!(done.etag.ends_with("-2\""));
}

#[test]
fn composite_checksums_need_every_part_checksum_in_the_request() {
    let alg = ChecksumAlgorithm::Sha256;
    let parts: std::collections::BTreeMap<u64, Part> = [(1, stored_part(alg, 1, b"x"))].into();
    let up = upload(Some("SHA256"), Some("COMPOSITE"));
    let l: Vec<Listed> = parts.values().map(listed).collect();
    let e = assemble(&up, &json!({}), &l, &parts).expect_err("missing");
    assert_eq!(
        e.message,
        "The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."
    );
    let mut with = l.clone();
    with[0]
        .checksums
        .insert("ChecksumSHA256".into(), parts[&1].checksum.clone());
    let done = assemble(&up, &json!({}), &with, &parts).expect("ok");
    let raw = checksum::digest(alg, b"x");
    assert_eq!(done.checksum.1, checksum::composite(alg, &[raw]));
    assert!(done.checksum.1.ends_with("-1"));
    // A wrong part checksum is an invalid part.
    with[0]
        .checksums
        .insert("ChecksumSHA256".into(), checksum::to_base64(&[0; 32]));
    assert_eq!(
        assemble(&up, &json!({}), &with, &parts)
            .expect_err("bad")
            .code,
        "InvalidPart"
    );
}

#[test]
fn completion_checksum_mode_must_match_the_upload() {
    let alg = ChecksumAlgorithm::Crc32;
    let parts: std::collections::BTreeMap<u64, Part> = [(1, stored_part(alg, 1, b"x"))].into();
    let up = upload(Some("CRC32"), Some("FULL_OBJECT"));
    let l: Vec<Listed> = parts.values().map(listed).collect();
    let e = assemble(&up, &json!({"ChecksumType": "COMPOSITE"}), &l, &parts).expect_err("mode");
    assert_eq!(
        e.message,
        "The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same checksum mode."
    );
    let e = assemble(&up, &json!({"ChecksumCRC32": "AAAAAA=="}), &l, &parts).expect_err("digest");
    assert_eq!(e.code, "BadDigest");
    let e = assemble(&up, &json!({"MpuObjectSize": 5}), &l, &parts).expect_err("size");
    assert!(e.message.contains("x-amz-mp-object-size"));
    assert!(assemble(&up, &json!({"MpuObjectSize": 1}), &l, &parts).is_ok());
}

#[test]
fn an_empty_or_missing_part_list_is_malformed_xml() {
    for input in [
        json!({}),
        json!({"MultipartUpload": {}}),
        json!({"MultipartUpload": {"Parts": []}}),
        json!({"MultipartUpload": {"Parts": [{"ETag": "x"}]}}),
    ] {
        assert_eq!(
            listed_parts(&input).expect_err("malformed").code,
            "MalformedXML"
        );
    }
}

#[test]
fn upload_part_to_an_unknown_upload_is_no_such_upload() {
    let (s, _) = setup();
    let e = stream(
        &s,
        "UploadPart",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": "nope", "PartNumber": 1}),
        b"x",
    )
    .expect_err("no upload");
    assert_eq!((e.code.as_str(), e.status), ("NoSuchUpload", 404));
    // The right id under another key is no upload either.
    let (s, id) = setup();
    let e = stream(
        &s,
        "UploadPart",
        json!({"Bucket": "mpu", "Key": "other", "UploadId": id, "PartNumber": 1}),
        b"x",
    )
    .expect_err("other key");
    assert_eq!(e.code, "NoSuchUpload");
}

#[test]
fn parts_must_be_ascending_exist_match_and_be_big_enough() {
    let (s, id) = setup();
    let small = put_part(&s, &id, 1, b"small");
    let last = put_part(&s, &id, 2, b"last");
    let e = complete(&s, &id, &[(2, &last), (1, &small)]).expect_err("order");
    assert_eq!(e.code, "InvalidPartOrder");
    let e = complete(&s, &id, &[(1, &small), (1, &small)]).expect_err("repeat");
    assert_eq!(e.code, "InvalidPartOrder");
    let e = complete(&s, &id, &[(1, &small), (3, &last)]).expect_err("missing");
    assert_eq!((e.code.as_str(), e.status), ("InvalidPart", 400));
    let e = complete(&s, &id, &[(1, "\"0123\""), (2, &last)]).expect_err("etag");
    assert_eq!(e.code, "InvalidPart");
    let e = complete(&s, &id, &[(1, &small), (2, &last)]).expect_err("small");
    assert_eq!(e.code, "EntityTooSmall");
    assert!(e
        .fields
        .iter()
        .any(|(n, v)| n == "MinSizeAllowed" && *v == json!(MIN_PART_SIZE)));
    // A single small part is fine: it is the last one.
    let done = complete(&s, &id, &[(1, &small)]).expect("one part");
    assert!(done["ETag"].as_str().expect("etag").ends_with("-1\""));
}

#[test]
fn completing_joins_part_files_and_releases_unlisted_parts() {
    let (s, id) = setup();
    let a = vec![7u8; MIN_PART_SIZE as usize];
    let e1 = put_part(&s, &id, 1, &a);
    let e2 = put_part(&s, &id, 2, b"unlisted");
    let e3 = put_part(&s, &id, 3, b"end");
    assert!(!e2.is_empty());
    let done = complete(&s, &id, &[(1, &e1), (3, &e3)]).expect("complete");
    assert_eq!(done["ChecksumType"], json!("FULL_OBJECT"));
    let whole = [a.as_slice(), b"end"].concat();
    assert_eq!(
        done["ChecksumCRC64NVME"],
        json!(checksum::to_base64(&checksum::digest(
            ChecksumAlgorithm::Crc64Nvme,
            &whole
        )))
    );
    let v = s
        .objects
        .current
        .get("mpu/obj")
        .expect("read")
        .expect("object");
    assert_eq!(v.parts, vec![a.len() as u64, 3]);
    assert_eq!(v.size, whole.len() as u64);
    let DataRef::Files { segments } = &v.data else {
        panic!("a multipart object is stored as files");
    };
    assert_eq!(segments.len(), 2);
    // Part 2 is gone: only the object's two files are referenced.
    assert_eq!(s.blobs_refs_len(), 2);
    assert!(s.parts_table().is_empty().expect("parts"));
    assert!(s.uploads_table().is_empty().expect("uploads"));
    // Completing again: the upload no longer exists.
    let e = complete(&s, &id, &[(1, &e1), (3, &e3)]).expect_err("again");
    assert_eq!(e.code, "NoSuchUpload");
    // Part 2 of the object reads the second part's bytes.
    let r = ready(s.call_streaming(
        &ctx(),
        "GetObject",
        json!({"Bucket": "mpu", "Key": "obj", "PartNumber": 2}),
        RequestBody::empty(),
    ))
    .expect("get part");
    assert_eq!(r.status, Some(206));
    assert_eq!(r.output["PartsCount"], json!(2));
    match r.body {
        Some(gureum_core::ResponseBody::Bytes(b)) => assert_eq!(&b[..], b"end"),
        other => panic!("unexpected body {other:?}"),
    }
}

#[test]
fn a_reuploaded_part_replaces_the_old_one_and_frees_its_file() {
    let (s, id) = setup();
    put_part(&s, &id, 1, b"first");
    let second = put_part(&s, &id, 1, b"second");
    assert_eq!(s.blobs_refs_len(), 1);
    let listed = call(
        &s,
        "ListParts",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id}),
    )
    .expect("list");
    let parts = listed["Parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["ETag"], json!(second));
    assert_eq!(parts[0]["Size"], json!(6));
}

#[test]
fn abort_releases_parts_and_then_the_upload_is_gone() {
    let (s, id) = setup();
    put_part(&s, &id, 1, b"a");
    put_part(&s, &id, 2, b"b");
    let input = json!({"Bucket": "mpu", "Key": "obj", "UploadId": id});
    call(&s, "AbortMultipartUpload", input.clone()).expect("abort");
    assert_eq!(s.blobs_refs_len(), 0);
    assert!(s.parts_table().is_empty().expect("parts"));
    let e = call(&s, "AbortMultipartUpload", input.clone()).expect_err("again");
    assert_eq!((e.code.as_str(), e.status), ("NoSuchUpload", 404));
    assert_eq!(
        call(&s, "ListParts", input).expect_err("gone").code,
        "NoSuchUpload"
    );
}

#[test]
fn a_bucket_with_uploads_in_progress_cannot_be_deleted() {
    let (s, id) = setup();
    let e = call(&s, "DeleteBucket", json!({"Bucket": "mpu"})).expect_err("busy");
    assert_eq!((e.code.as_str(), e.status), ("BucketNotEmpty", 409));
    call(
        &s,
        "AbortMultipartUpload",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id}),
    )
    .expect("abort");
    call(&s, "DeleteBucket", json!({"Bucket": "mpu"})).expect("deleted");
}

#[test]
fn list_parts_pages_with_markers() {
    let (s, id) = setup();
    for n in [1, 2, 3, 5, 8] {
        put_part(&s, &id, n, b"p");
    }
    let page = |marker: u64| {
        call(
            &s,
            "ListParts",
            json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "MaxParts": 2,
                   "PartNumberMarker": marker}),
        )
        .expect("page")
    };
    let p1 = page(0);
    assert_eq!(p1["IsTruncated"], json!(true));
    assert_eq!(p1["NextPartNumberMarker"], json!(2));
    let p2 = page(2);
    let numbers: Vec<&Value> = p2["Parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| &p["PartNumber"])
        .collect();
    assert_eq!(numbers, vec![&json!(3), &json!(5)]);
    let p3 = page(5);
    assert_eq!(p3["IsTruncated"], json!(false));
    assert_eq!(p3["Parts"].as_array().expect("parts").len(), 1);
    assert_eq!(p3["Owner"]["ID"], json!(crate::canonical_user_id(ME)));
    assert_eq!(p3["StorageClass"], json!("STANDARD"));
}

#[test]
fn list_uploads_rolls_up_prefixes_and_pages() {
    let s = svc();
    call(&s, "CreateBucket", json!({"Bucket": "mpu"})).expect("bucket");
    for key in ["a/1", "a/2", "b", "c/x", "d", "d"] {
        call(
            &s,
            "CreateMultipartUpload",
            json!({"Bucket": "mpu", "Key": key}),
        )
        .expect("create");
    }
    let all = call(
        &s,
        "ListMultipartUploads",
        json!({"Bucket": "mpu", "Delimiter": "/"}),
    )
    .expect("list");
    let keys: Vec<&str> = all["Uploads"]
        .as_array()
        .expect("uploads")
        .iter()
        .map(|u| u["Key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, vec!["b", "d", "d"]);
    assert_eq!(
        all["CommonPrefixes"],
        json!([{"Prefix": "a/"}, {"Prefix": "c/"}])
    );
    // Page through two at a time: every upload exactly once.
    let mut seen = Vec::new();
    let mut input = json!({"Bucket": "mpu", "MaxUploads": 2});
    loop {
        let page = call(&s, "ListMultipartUploads", input.clone()).expect("page");
        for u in page["Uploads"].as_array().cloned().unwrap_or_default() {
            seen.push((u["Key"].clone(), u["UploadId"].clone()));
        }
        if page["IsTruncated"] != json!(true) {
            break;
        }
        input["KeyMarker"] = page["NextKeyMarker"].clone();
        input["UploadIdMarker"] = page["NextUploadIdMarker"].clone();
    }
    assert_eq!(seen.len(), 6);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 6);
    // Paging with a delimiter resumes after a common prefix.
    let first = call(
        &s,
        "ListMultipartUploads",
        json!({"Bucket": "mpu", "Delimiter": "/", "MaxUploads": 1}),
    )
    .expect("first");
    assert_eq!(first["CommonPrefixes"], json!([{"Prefix": "a/"}]));
    assert_eq!(first["NextKeyMarker"], json!("a/"));
    let next = call(
        &s,
        "ListMultipartUploads",
        json!({"Bucket": "mpu", "Delimiter": "/", "MaxUploads": 1, "KeyMarker": "a/"}),
    )
    .expect("next");
    assert_eq!(next["Uploads"][0]["Key"], json!("b"));
    let e = call(
        &s,
        "ListMultipartUploads",
        json!({"Bucket": "mpu", "MaxUploads": -1}),
    )
    .expect_err("negative");
    assert_eq!(e.code, "InvalidArgument");
}

#[test]
fn a_part_checksum_of_another_algorithm_is_refused() {
    let s = svc();
    call(&s, "CreateBucket", json!({"Bucket": "mpu"})).expect("bucket");
    let out = call(
        &s,
        "CreateMultipartUpload",
        json!({"Bucket": "mpu", "Key": "obj", "ChecksumAlgorithm": "CRC32"}),
    )
    .expect("create");
    assert_eq!(out["ChecksumType"], json!("COMPOSITE"));
    let id = out["UploadId"].as_str().expect("id");
    let crc32c = checksum::to_base64(&checksum::digest(ChecksumAlgorithm::Crc32c, b"x"));
    let e = stream(
        &s,
        "UploadPart",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": 1,
               "ChecksumCRC32C": crc32c}),
        b"x",
    )
    .expect_err("mismatch");
    assert_eq!(
        e.message,
        "Checksum Type mismatch occurred, expected checksum Type: crc32, actual checksum Type: crc32c"
    );
    // Without a checksum, S3 computes the upload's own.
    let r = stream(
        &s,
        "UploadPart",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": 1}),
        b"x",
    )
    .expect("part");
    assert_eq!(
        r.output["ChecksumCRC32"],
        json!(checksum::to_base64(&checksum::digest(
            ChecksumAlgorithm::Crc32,
            b"x"
        )))
    );
}

#[test]
fn upload_part_copy_copies_a_range_of_an_object() {
    let (s, id) = setup();
    let src: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    stream(
        &s,
        "PutObject",
        json!({"Bucket": "mpu", "Key": "src"}),
        &src,
    )
    .expect("put");
    let out = stream(
        &s,
        "UploadPartCopy",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": 1,
               "CopySource": "mpu/src", "CopySourceRange": "bytes=10-19"}),
        b"",
    )
    .expect("copy")
    .output;
    assert_eq!(
        out["CopyPartResult"]["ETag"],
        json!(format!("\"{}\"", md5_hex(&src[10..20])))
    );
    let e = stream(
        &s,
        "UploadPartCopy",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": 2,
               "CopySource": "mpu/missing"}),
        b"",
    )
    .expect_err("missing source");
    assert_eq!(e.code, "NoSuchKey");
}

#[test]
fn an_acl_on_a_bucket_without_acls_is_refused_at_creation() {
    let (s, _) = setup();
    let e = call(
        &s,
        "CreateMultipartUpload",
        json!({"Bucket": "mpu", "Key": "k", "ACL": "public-read"}),
    )
    .expect_err("ACLs are disabled by default");
    assert_eq!(e.code, "AccessControlListNotSupported");
}

#[test]
fn an_archived_source_cannot_be_copied_into_a_part() {
    let (s, id) = setup();
    stream(
        &s,
        "PutObject",
        json!({"Bucket": "mpu", "Key": "cold", "StorageClass": "GLACIER"}),
        b"frozen",
    )
    .expect("put");
    let e = stream(
        &s,
        "UploadPartCopy",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": 1,
               "CopySource": "mpu/cold"}),
        b"",
    )
    .expect_err("archived");
    assert_eq!((e.code.as_str(), e.status), ("InvalidObjectState", 403));
}

/// A body that declares a length and yields nothing.
struct Declared;

impl gureum_core::ByteSource for Declared {
    fn poll_chunk(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<bytes::Bytes, AwsError>>> {
        std::task::Poll::Ready(None)
    }
}

#[test]
fn a_part_declared_bigger_than_5_gib_is_refused_unread() {
    let (s, id) = setup();
    let body = RequestBody::from_source(Box::pin(Declared), Some(MAX_PART_SIZE + 1));
    let e = ready(s.call_streaming(
        &ctx(),
        "UploadPart",
        json!({"Bucket": "mpu", "Key": "obj", "UploadId": id, "PartNumber": 1}),
        body,
    ))
    .expect_err("too large");
    assert_eq!((e.code.as_str(), e.status), ("EntityTooLarge", 400));
    assert!(s.parts_table().is_empty().expect("parts"));
}

#[test]
fn list_uploads_url_encodes_keys_when_asked() {
    let s = svc();
    call(&s, "CreateBucket", json!({"Bucket": "mpu"})).expect("bucket");
    call(
        &s,
        "CreateMultipartUpload",
        json!({"Bucket": "mpu", "Key": "a b/c+d"}),
    )
    .expect("create");
    let out = call(
        &s,
        "ListMultipartUploads",
        json!({"Bucket": "mpu", "EncodingType": "url"}),
    )
    .expect("list");
    assert_eq!(out["Uploads"][0]["Key"], json!("a%20b/c%2Bd"));
    assert_eq!(out["EncodingType"], json!("url"));
    let e = call(
        &s,
        "ListMultipartUploads",
        json!({"Bucket": "mpu", "EncodingType": "base64"}),
    )
    .expect_err("bad encoding");
    assert_eq!(e.code, "InvalidArgument");
}
