//! SSE-KMS through the service with a stand-in for KMS, and SSE-S3: what
//! is stored is not the plaintext, reads (whole and ranged) give the plaintext back,
//! copies re-encrypt, and KMS's refusal is the read's error.

use crate::S3Service;
use gureum_core::{AwsError, Clock, RequestBody, RequestContext, ResponseBody, Scope, Service};
use gureum_kit::encryption::{EncryptionContext, Encryptor};
use gureum_store::Store;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const ARN: &str = "arn:aws:kms:us-east-1:000000000000:key/k";

/// KMS stand-in: "wraps" by prefixing the context's length and flipping
/// bits; refuses when disabled, as KMS relays through the encryptor.
#[derive(Default)]
struct FakeKms {
    disabled: AtomicBool,
}

impl FakeKms {
    fn check(&self) -> Result<(), AwsError> {
        if self.disabled.load(Ordering::Relaxed) {
            return Err(AwsError::new(
                "KMS.DisabledException",
                400,
                format!("{ARN} is disabled."),
            ));
        }
        Ok(())
    }
}

impl Encryptor for FakeKms {
    fn encrypt(
        &self,
        _scope: Scope<'_>,
        key_id: Option<&str>,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        self.check()?;
        assert_eq!(key_id, Some(ARN), "S3 encrypts under the resolved ARN");
        let mut out = vec![context.len() as u8];
        out.extend(plaintext.iter().map(|b| !b));
        Ok(out)
    }

    fn decrypt(
        &self,
        _scope: Scope<'_>,
        blob: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, AwsError> {
        self.check()?;
        assert_eq!(blob[0] as usize, context.len(), "the same context");
        Ok(blob[1..].iter().map(|b| !b).collect())
    }

    fn key_arn(&self, _scope: Scope<'_>, _key_id: Option<&str>) -> Result<String, AwsError> {
        self.check()?;
        Ok(ARN.into())
    }
}

fn ready<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

struct Env {
    s: S3Service,
    kms: Arc<FakeKms>,
    ctx: RequestContext,
}

fn env() -> Env {
    let kms = Arc::new(FakeKms::default());
    let e = Env {
        s: S3Service::with_encryptor(Store::in_memory().expect("store"), kms.clone()),
        kms,
        ctx: RequestContext::root("000000000000", "us-east-1", Clock::system()),
    };
    e.call("CreateBucket", json!({"Bucket": "sse"}), b"")
        .expect("bucket");
    e
}

impl Env {
    fn call(&self, op: &str, input: Value, body: &[u8]) -> Result<(Value, Vec<u8>), AwsError> {
        let body = RequestBody::from_bytes(bytes::Bytes::copy_from_slice(body));
        let r = ready(self.s.call_streaming(&self.ctx, op, input, body))?;
        let bytes = match r.body {
            Some(ResponseBody::Bytes(b)) => b.to_vec(),
            Some(ResponseBody::Stream { .. }) => panic!("small reads answer bytes"),
            None => Vec::new(),
        };
        Ok((r.output, bytes))
    }

    /// What storage holds for `key`, as stored (not decrypted).
    fn at_rest(&self, key: &str) -> Vec<u8> {
        let v = self
            .s
            .version_for_read("sse", key, &json!({}))
            .expect("version");
        match self.s.blobs.read(&v.data, 0, v.size).expect("read") {
            Some(ResponseBody::Bytes(b)) => b.to_vec(),
            _ => panic!("bytes"),
        }
    }
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn kms_objects_are_stored_encrypted_and_read_back_whole_and_in_ranges() {
    let e = env();
    for (key, len) in [("inline", 1000), ("file", 300_000)] {
        let plain = body(len);
        let (out, _) = e
            .call(
                "PutObject",
                json!({"Bucket": "sse", "Key": key, "ServerSideEncryption": "aws:kms"}),
                &plain,
            )
            .expect("put");
        assert_eq!(
            (&out["ServerSideEncryption"], &out["SSEKMSKeyId"]),
            (&json!("aws:kms"), &json!(ARN))
        );
        let stored = e.at_rest(key);
        assert_eq!(stored.len(), plain.len());
        assert_ne!(stored, plain, "{key}: not the plaintext at rest");
        let (out, got) = e
            .call("GetObject", json!({"Bucket": "sse", "Key": key}), b"")
            .expect("get");
        assert_eq!(got, plain, "{key}");
        assert_eq!(out["SSEKMSKeyId"], json!(ARN));
        let (_, part) = e
            .call(
                "GetObject",
                json!({"Bucket": "sse", "Key": key, "Range": "bytes=100-899"}),
                b"",
            )
            .expect("range");
        assert_eq!(part, plain[100..900], "{key}");
    }
}

#[test]
fn objects_without_kms_are_sse_s3_encrypted_at_rest_inline_and_in_files() {
    let e = env();
    for (key, len) in [("p", 1000), ("pf", 300_000)] {
        let plain = body(len);
        let (out, _) = e
            .call("PutObject", json!({"Bucket": "sse", "Key": key}), &plain)
            .expect("put");
        assert_eq!(out["ServerSideEncryption"], json!("AES256"));
        assert!(out.get("SSEKMSKeyId").is_none());
        let stored = e.at_rest(key);
        assert_eq!(stored.len(), plain.len());
        assert_ne!(stored, plain, "{key}: not the plaintext at rest");
        let (_, got) = e
            .call("GetObject", json!({"Bucket": "sse", "Key": key}), b"")
            .expect("get");
        assert_eq!(got, plain, "{key}");
        let (_, part) = e
            .call(
                "GetObject",
                json!({"Bucket": "sse", "Key": key, "Range": "bytes=100-899"}),
                b"",
            )
            .expect("range");
        assert_eq!(part, plain[100..900], "{key}");
    }
}

#[test]
fn objects_stored_in_the_clear_by_an_older_gureum_still_read() {
    let e = env();
    let plain = body(1000);
    e.call("PutObject", json!({"Bucket": "sse", "Key": "old"}), b"")
        .expect("put");
    // An older data directory: the bytes as they are, no sealed key.
    let pending = ready(e.s.blobs.write_bytes(bytes::Bytes::from(plain.clone()))).expect("write");
    let okey = crate::object::object_key("sse", "old");
    let mut v =
        e.s.objects
            .current
            .get(&okey)
            .expect("get")
            .expect("version");
    v.sse_s3 = None;
    v.size = plain.len() as u64;
    v.data = pending.data.clone();
    e.s.store
        .write(|txn| -> Result<(), AwsError> {
            pending.commit_into(&e.s.blobs, txn)?;
            txn.put(&e.s.objects.current, &okey, &v)?;
            Ok(())
        })
        .expect("commit");
    let (out, got) = e
        .call("GetObject", json!({"Bucket": "sse", "Key": "old"}), b"")
        .expect("get");
    assert_eq!(got, plain);
    assert_eq!(out["ServerSideEncryption"], json!("AES256"));
}

#[test]
fn a_copy_is_encrypted_as_asked_and_reads_the_same() {
    let e = env();
    let plain = body(200_000);
    e.call(
        "PutObject",
        json!({"Bucket": "sse", "Key": "src", "ServerSideEncryption": "aws:kms"}),
        &plain,
    )
    .expect("put");
    let (out, _) = e
        .call(
            "CopyObject",
            json!({"Bucket": "sse", "Key": "plain-copy", "CopySource": "sse/src"}),
            b"",
        )
        .expect("copy");
    assert_eq!(out["ServerSideEncryption"], json!("AES256"));
    assert_ne!(e.at_rest("plain-copy"), plain);
    e.call(
        "CopyObject",
        json!({"Bucket": "sse", "Key": "kms-copy", "CopySource": "sse/plain-copy", "ServerSideEncryption": "aws:kms"}),
        b"",
    )
    .expect("copy");
    assert_ne!(e.at_rest("kms-copy"), plain);
    let (_, got) = e
        .call(
            "GetObject",
            json!({"Bucket": "sse", "Key": "kms-copy"}),
            b"",
        )
        .expect("get");
    assert_eq!(got, plain);
}

#[test]
fn kmss_refusal_is_the_reads_error_and_head_still_answers() {
    let e = env();
    e.call(
        "PutObject",
        json!({"Bucket": "sse", "Key": "k", "ServerSideEncryption": "aws:kms"}),
        b"secret",
    )
    .expect("put");
    e.kms.disabled.store(true, Ordering::Relaxed);
    let err = e
        .call("GetObject", json!({"Bucket": "sse", "Key": "k"}), b"")
        .expect_err("refused");
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        (
            "KMS.DisabledException",
            "arn:aws:kms:us-east-1:000000000000:key/k is disabled."
        )
    );
    let (head, _) = e
        .call("HeadObject", json!({"Bucket": "sse", "Key": "k"}), b"")
        .expect("head does not decrypt");
    assert_eq!(head["ServerSideEncryption"], json!("aws:kms"));
    let err = e
        .call(
            "PutObject",
            json!({"Bucket": "sse", "Key": "k2", "ServerSideEncryption": "aws:kms"}),
            b"x",
        )
        .expect_err("refused");
    assert_eq!(err.code, "KMS.DisabledException");
}

#[test]
fn without_kms_sse_kms_is_refused_naming_kms() {
    let s = S3Service::new(Store::in_memory().expect("store"));
    let ctx = RequestContext::root("000000000000", "us-east-1", Clock::system());
    ready(s.call(&ctx, "CreateBucket", json!({"Bucket": "sse"}))).expect("bucket");
    let body = RequestBody::from_bytes(bytes::Bytes::from_static(b"x"));
    let err = ready(s.call_streaming(
        &ctx,
        "PutObject",
        json!({"Bucket": "sse", "Key": "k", "ServerSideEncryption": "aws:kms"}),
        body,
    ))
    .expect_err("no KMS");
    assert_eq!((err.code.as_str(), err.status), ("NotImplemented", 501));
}
