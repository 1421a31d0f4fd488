//! `PutObject`, `GetObject`, `HeadObject`, `DeleteObject`, `DeleteObjects`.

use crate::checksum::{self, ChecksumAlgorithm};
use crate::conditions::{self, Range};
use crate::object::{ObjectVersion, Restore};
use crate::{str_member, BucketEntry, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, Reply, RequestBody, RequestContext, Value};
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// The storage classes a PUT or COPY may name.
pub const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
];

/// Content headers stored with an object and returned on GET/HEAD.
const CONTENT_MEMBERS: &[&str] = &[
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "Expires",
    "WebsiteRedirectLocation",
];

pub(crate) fn no_such_key(key: &str) -> AwsError {
    S3Error::NoSuchKey { key: key.into() }.into()
}

/// A delete marker named by `versionId` where an object is expected: 405
/// with the marker's headers.
pub(crate) fn delete_marker_by_version(v: &ObjectVersion, method: &str) -> AwsError {
    AwsError::from(S3Error::MethodNotAllowed {
        method: method.into(),
        resource_type: "DeleteMarker".into(),
    })
    .with_header("x-amz-delete-marker", "true")
    .with_header("x-amz-version-id", v.version_id_str())
    .with_header("Last-Modified", http_date(v.last_modified_ms))
}

pub(crate) fn no_such_version(key: &str, version: &str) -> AwsError {
    S3Error::NoSuchVersion {
        key: key.into(),
        version: version.into(),
    }
    .into()
}

/// The storage class an input names (STANDARD when none).
pub(crate) fn storage_class(input: &Value) -> Result<String, AwsError> {
    match str_member(input, "StorageClass") {
        None => Ok("STANDARD".into()),
        Some(c) if STORAGE_CLASSES.contains(&c) => Ok(c.into()),
        Some(_) => Err(S3Error::InvalidStorageClass.into()),
    }
}

/// The content headers and user metadata of a PUT-like input.
pub(crate) fn content_of(input: &Value) -> (BTreeMap<String, Value>, BTreeMap<String, String>) {
    let mut content = BTreeMap::new();
    for m in CONTENT_MEMBERS {
        if let Some(v) = crate::member(input, m) {
            content.insert(m.to_string(), v.clone());
        }
    }
    // aws-chunked is how the body travelled, not how it is stored.
    if let Some(enc) = content.get("ContentEncoding").and_then(Value::as_str) {
        let kept: Vec<&str> = enc
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        if kept.is_empty() {
            content.remove("ContentEncoding");
        } else {
            content.insert("ContentEncoding".into(), Value::from(kept.join(",")));
        }
    }
    content
        .entry("ContentType".into())
        .or_insert_with(|| Value::from("binary/octet-stream"));
    let metadata = crate::member(input, "Metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    (content, metadata)
}

/// The checksum a request declares: an algorithm and, when sent as a
/// header, its value (a trailer's value arrives after the body).
pub(crate) fn declared_checksum(
    input: &Value,
) -> Result<Option<(ChecksumAlgorithm, Option<String>)>, AwsError> {
    for alg in ChecksumAlgorithm::ALL {
        if let Some(v) = str_member(input, alg.member()) {
            return Ok(Some((alg, Some(v.to_string()))));
        }
    }
    match str_member(input, "ChecksumAlgorithm") {
        None => Ok(None),
        Some(name) => match ChecksumAlgorithm::from_name(name) {
            Some(a) => Ok(Some((a, None))),
            None => Err(S3Error::UnsupportedChecksum { name: name.into() }.into()),
        },
    }
}

fn bad_digest(alg: ChecksumAlgorithm) -> AwsError {
    S3Error::BadChecksum {
        algorithm: alg.name().into(),
    }
    .into()
}

/// Tags from the `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded).
pub(crate) fn tags_from_header(header: Option<&str>) -> Result<Vec<(String, String)>, AwsError> {
    let Some(h) = header.filter(|h| !h.is_empty()) else {
        return Ok(Vec::new());
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| crate::tags::invalid_tag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates."))
    };
    let mut tags = Vec::new();
    for pair in h.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        tags.push((decode(k)?, decode(v)?));
    }
    crate::tags::validate_object_tags(&tags)?;
    Ok(tags)
}

/// What a successful body upload measured.
pub(crate) struct Uploaded {
    pub pending: crate::storage::Pending,
    pub md5: [u8; 16],
    pub checksum: (ChecksumAlgorithm, String),
    /// Whether the client sent the checksum (it is echoed only then).
    pub client_checksum: bool,
    /// [`BodyOptions::also`]'s base64 value.
    pub also: Option<String>,
}

/// How [`S3Service::upload_body`] stores and hashes a body.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BodyOptions {
    /// Always to a file, however small (multipart parts).
    pub file: bool,
    /// The checksum computed when the client declares none (CRC64NVME
    /// when `None`).
    pub default_algorithm: Option<ChecksumAlgorithm>,
    /// Another algorithm to compute as well.
    pub also: Option<ChecksumAlgorithm>,
}

impl S3Service {
    /// Streams a request body into storage, checking `Content-MD5` and the
    /// declared checksum (header or aws-chunked trailer); S3 computes
    /// CRC64NVME when the client declared none. [`BodyOptions`] say how;
    /// with `cipher` the bytes are stored encrypted (SSE-KMS), the digests
    /// being of the plaintext.
    pub(crate) async fn upload_body(
        &self,
        input: &Value,
        body: &mut RequestBody,
        options: BodyOptions,
        cipher: Option<&crate::cipher::DataCipher>,
    ) -> Result<Uploaded, AwsError> {
        let declared = declared_checksum(input)?;
        let alg = declared.as_ref().map_or(
            options
                .default_algorithm
                .unwrap_or(ChecksumAlgorithm::Crc64Nvme),
            |d| d.0,
        );
        let content_md5 = match str_member(input, "ContentMD5") {
            None => None,
            Some(v) => Some(conditions::decode_md5(v)?),
        };
        let also_alg = options.also.filter(|a| *a != alg);
        let mut digests = crate::digests::Digests::new(alg, also_alg, body.declared_length);
        let observe = |chunk: &bytes::Bytes| digests.update(chunk);
        let written = match cipher {
            Some(c) => {
                self.blobs
                    .write_encrypted(body, observe, options.file, c)
                    .await
            }
            None if options.file => self.blobs.write_file(body, observe).await,
            None => self.blobs.write(body, observe).await,
        };
        let digests = digests.finish();
        let pending = written?;
        let md5 = digests.md5;
        let computed = checksum::to_base64(&digests.main);
        let also = match options.also {
            Some(a) if a == alg => Some(computed.clone()),
            _ => digests.also.as_deref().map(checksum::to_base64),
        };
        let trailer = body
            .trailers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(alg.header()))
            .map(|(_, v)| v);
        let expected = declared.as_ref().and_then(|d| d.1.clone()).or(trailer);
        let check = || {
            if content_md5.is_some_and(|m| m != md5) {
                return Err(S3Error::BadContentMd5.into());
            }
            if expected.as_deref().is_some_and(|e| e != computed) {
                return Err(bad_digest(alg));
            }
            Ok(())
        };
        if let Err(e) = check() {
            pending.discard();
            return Err(e);
        }
        Ok(Uploaded {
            pending,
            md5,
            checksum: (alg, computed),
            client_checksum: declared.is_some(),
            also,
        })
    }

    /// `PutObject`.
    pub(crate) async fn put_object(
        &self,
        ctx: &RequestContext,
        input: Value,
        mut body: RequestBody,
    ) -> Result<Reply, AwsError> {
        let (bucket, entry) = self.own_bucket(ctx, "PutObject", &input)?;
        let mut input = input;
        let lock = crate::object_lock::take_put_members(&mut input);
        let customer_key = crate::sse_c::take(&mut input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default().to_string();
        crate::keys::check_key(&key)?;
        let storage_class = storage_class(&input)?;
        let acl = crate::acl::acl_for_new_object(&input, &entry)?;
        let tags = tags_from_header(str_member(&input, "Tagging"))?;
        let (mut content, metadata) = content_of(&input);
        crate::keys::check_metadata_size(&metadata)?;
        self.lock_for_new_object(ctx, &entry, lock, &mut content)?;
        let (sse, sse_s3, cipher) = match &customer_key {
            Some(k) => {
                crate::sse_c::record(&mut content, k);
                (None, None, k.cipher.clone())
            }
            None => {
                let wanted = crate::sse::wanted(&input, &entry)?;
                self.new_stored_key(&entry, &bucket, &key, wanted)?
            }
        };
        let up = self
            .upload_body(&input, &mut body, BodyOptions::default(), Some(&cipher))
            .await?;
        let version = ObjectVersion {
            version_id: None,
            seq: self.next_seq(ctx),
            delete_marker: false,
            last_modified_ms: ctx.clock.now_millis(),
            owner: entry.account_id.clone(),
            size: up.pending.size,
            etag: checksum::etag(&up.md5),
            storage_class,
            content,
            metadata,
            tags,
            checksum: Some((up.checksum.0.name().to_string(), up.checksum.1.clone())),
            checksum_type: Some("FULL_OBJECT".into()),
            parts: Vec::new(),
            restore: None,
            acl,
            data: up.pending.data.clone(),
            sse,
            sse_s3,
        };
        let (stored, versioned) =
            self.commit_version(ctx, &input, &bucket, &key, version, up.pending)?;
        let form = input.get(crate::notifications::FORM_UPLOAD).is_some();
        self.notify(
            ctx,
            &bucket,
            &entry,
            &crate::notifications::ObjectEvent {
                name: if form {
                    "ObjectCreated:Post"
                } else {
                    "ObjectCreated:Put"
                },
                reason: if form { "POST Object" } else { "PutObject" },
                key: &key,
                size: Some(stored.size),
                etag: Some(stored.etag.trim_matches('"')),
                version_id: versioned.then(|| stored.version_id_str()),
                sequencer: stored.seq,
            },
        );
        let mut out = Map::new();
        out.insert("ETag".into(), json!(stored.etag));
        crate::sse::write_headers(&mut out, stored.sse.as_ref());
        if let Some(k) = &customer_key {
            out.insert("SSECustomerAlgorithm".into(), json!("AES256"));
            out.insert("SSECustomerKeyMD5".into(), json!(k.md5));
        }
        if up.client_checksum {
            out.insert(up.checksum.0.member().into(), json!(up.checksum.1));
            out.insert("ChecksumType".into(), json!("FULL_OBJECT"));
        }
        if versioned {
            out.insert("VersionId".into(), json!(stored.version_id_str()));
        }
        if let Some(rules) = &entry.lifecycle {
            if let Some(e) = Self::expiration_header(rules, &key, &stored) {
                out.insert("Expiration".into(), json!(e));
            }
        }
        Ok(Reply::value(Value::Object(out)))
    }

    /// Commits a new current version after checking, inside the
    /// transaction, that the bucket still exists (with the versioning state
    /// it has now) and the PUT's conditions (`If-None-Match: *`,
    /// `If-Match`), so neither a racing `DeleteBucket` nor a racing
    /// conditional write can slip in between. Answers the stored version
    /// and whether the bucket is versioned (enabled or suspended).
    pub(crate) fn commit_version(
        &self,
        ctx: &RequestContext,
        input: &Value,
        bucket: &str,
        key: &str,
        version: ObjectVersion,
        pending: crate::storage::Pending,
    ) -> Result<(ObjectVersion, bool), AwsError> {
        let okey = crate::object::object_key(bucket, key);
        let result = self.store.write(|txn| {
            let entry = self.bucket_for_write(txn, ctx, bucket)?;
            let current = txn.get(&self.objects.current, &okey)?;
            let live = current.as_ref().filter(|c| !c.delete_marker);
            conditions::check_put(input, live, key)?;
            pending.commit_into(&self.blobs, txn)?;
            let (stored, change) = self.objects.put_current_over(
                txn,
                &self.blobs,
                entry.versioning.as_deref(),
                bucket,
                key,
                current,
                version,
            )?;
            Ok((stored, change, entry.versioning.is_some()))
        });
        match result {
            Ok((stored, change, versioned)) => {
                self.blobs.unlink(change.released);
                Ok((stored, versioned))
            }
            Err(e) => {
                pending.discard();
                Err(e)
            }
        }
    }

    /// The version a GET/HEAD names: `versionId` or the current one, with
    /// AWS's answers for missing keys, versions and delete markers.
    pub(crate) fn version_for_read(
        &self,
        bucket: &str,
        key: &str,
        input: &Value,
    ) -> Result<ObjectVersion, AwsError> {
        match str_member(input, "VersionId") {
            Some(vid) => {
                let Some((_, v)) = self.objects.find_version(None, bucket, key, vid)? else {
                    return Err(no_such_version(key, vid));
                };
                if v.delete_marker {
                    return Err(delete_marker_by_version(&v, "GET"));
                }
                Ok(v)
            }
            None => {
                let okey = crate::object::object_key(bucket, key);
                match self.objects.current.get(&okey)? {
                    None => Err(no_such_key(key)),
                    Some(v) if v.delete_marker => Err(no_such_key(key)
                        .with_header("x-amz-delete-marker", "true")
                        .with_header("x-amz-version-id", v.version_id_str())),
                    Some(v) => Ok(v),
                }
            }
        }
    }

    /// `GetObject` and `HeadObject`.
    async fn read_object(
        &self,
        ctx: &RequestContext,
        input: Value,
        with_body: bool,
    ) -> Result<Reply, AwsError> {
        let (bucket, entry) = self.own_bucket(ctx, "GetObject", &input)?;
        let mut input = input;
        let customer_key = crate::sse_c::take(&mut input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default().to_string();
        for _attempt in 0..3 {
            let v = self.version_for_read(&bucket, &key, &input)?;
            let now = ctx.clock.now_millis();
            if with_body {
                check_readable(&v, now)?;
            }
            conditions::check_read(&input, &v)?;
            let customer_cipher = crate::sse_c::for_read(&v, customer_key.as_ref())?;
            let range = conditions::range_for(&input, &v)?;
            let mut out = object_headers(&v, &entry, now, &input);
            if !matches!(range, Range::Whole) {
                // The stored checksum covers the whole object, not a range.
                for alg in ChecksumAlgorithm::ALL {
                    out.remove(alg.member());
                }
                out.remove("ChecksumType");
            }
            let (start, end) = match &range {
                Range::Whole => (0, v.size),
                Range::Bytes { start, end } | Range::Part { start, end, .. } => {
                    out.insert(
                        "ContentRange".into(),
                        json!(format!("bytes {start}-{}/{}", end - 1, v.size)),
                    );
                    (*start, *end)
                }
            };
            if let Range::Part { .. } = range {
                if !v.parts.is_empty() {
                    out.insert("PartsCount".into(), json!(v.parts.len()));
                }
            }
            out.insert("ContentLength".into(), json!(end - start));
            if let Some(rules) = &entry.lifecycle {
                if let Some(e) = Self::expiration_header(rules, &key, &v) {
                    out.insert("Expiration".into(), json!(e));
                }
            }
            let status = (!matches!(range, Range::Whole)).then_some(206);
            if !with_body {
                return Ok(Reply {
                    output: Value::Object(out),
                    body: None,
                    status,
                });
            }
            let cipher = match customer_cipher {
                Some(c) => Some(c),
                None => self.stored_cipher(&bucket, &key, v.sse.as_ref(), v.sse_s3.as_ref())?,
            };
            let read = match &cipher {
                Some(c) => self.blobs.read_decrypted(&v.data, start, end, c)?,
                None => self.blobs.read(&v.data, start, end)?,
            };
            if let Some(body) = read {
                return Ok(Reply {
                    output: Value::Object(out),
                    body: Some(body),
                    status,
                });
            }
            // The version was overwritten while we looked: read again.
        }
        Err(S3Error::InternalError.into())
    }

    /// `GetObject`.
    pub(crate) async fn get_object(
        &self,
        ctx: &RequestContext,
        input: Value,
        _body: RequestBody,
    ) -> Result<Reply, AwsError> {
        self.read_object(ctx, input, true).await
    }

    /// `HeadObject`.
    pub(crate) async fn head_object(
        &self,
        ctx: &RequestContext,
        input: Value,
        _body: RequestBody,
    ) -> Result<Reply, AwsError> {
        self.read_object(ctx, input, false).await
    }

    /// `DeleteObject`.
    pub(crate) fn delete_object(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "DeleteObject", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default();
        if let Some(vid) = str_member(&input, "VersionId") {
            self.check_lock_delete(ctx, &entry, &input, &bucket, key, vid)?;
        }
        let out = self.delete_one(ctx, &bucket, key, str_member(&input, "VersionId"))?;
        self.notify_deleted(ctx, &bucket, &entry, key, &out);
        Ok(Value::Object(out))
    }

    /// The notification of a delete `delete_one` answered `out` for.
    fn notify_deleted(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        entry: &BucketEntry,
        key: &str,
        out: &Map<String, Value>,
    ) {
        if entry.notification.is_none() {
            return;
        }
        let marker = out.get("DeleteMarker").is_some();
        self.notify(
            ctx,
            bucket,
            entry,
            &crate::notifications::ObjectEvent {
                name: if marker {
                    "ObjectRemoved:DeleteMarkerCreated"
                } else {
                    "ObjectRemoved:Delete"
                },
                reason: "DeleteObject",
                key,
                size: None,
                etag: None,
                version_id: out.get("VersionId").and_then(Value::as_str),
                sequencer: self.next_seq(ctx),
            },
        );
    }

    /// Deletes one key (or one version of it): the shared part of
    /// `DeleteObject` and `DeleteObjects`.
    pub(crate) fn delete_one(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Map<String, Value>, AwsError> {
        let mut out = Map::new();
        let okey = crate::object::object_key(bucket, key);
        let change = self.store.write(|txn| -> Result<_, AwsError> {
            // A delete marker is a new row: the bucket must still be there.
            let entry = self.bucket_for_write(txn, ctx, bucket)?;
            if let Some(vid) = version_id {
                let (removed, change) =
                    self.objects
                        .delete_version(txn, &self.blobs, bucket, key, vid)?;
                out.insert("VersionId".into(), json!(vid));
                if removed.is_some_and(|r| r.delete_marker) {
                    out.insert("DeleteMarker".into(), json!(true));
                }
                return Ok(change);
            }
            match entry.versioning.as_deref() {
                None => {
                    let mut change = crate::object::Change::default();
                    if let Some(old) = txn.get(&self.objects.current, &okey)? {
                        txn.delete(&self.objects.current, &okey)?;
                        change.released = self.blobs.release(txn, &old.data)?;
                    }
                    Ok(change)
                }
                Some(state) => {
                    let marker = ObjectVersion {
                        seq: self.next_seq(ctx),
                        delete_marker: true,
                        last_modified_ms: ctx.clock.now_millis(),
                        owner: entry.account_id.clone(),
                        ..ObjectVersion::default()
                    };
                    let (stored, change) = self.objects.put_current(
                        txn,
                        &self.blobs,
                        Some(state),
                        bucket,
                        key,
                        marker,
                    )?;
                    out.insert("DeleteMarker".into(), json!(true));
                    out.insert("VersionId".into(), json!(stored.version_id_str()));
                    Ok(change)
                }
            }
        })?;
        self.blobs.unlink(change.released);
        Ok(out)
    }

    /// `DeleteObjects`: up to 1,000 keys, each answered on its own; quiet
    /// mode reports only errors.
    pub(crate) fn delete_objects(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "DeleteObjects", &input)?;
        let delete = input.get("Delete").cloned().unwrap_or_default();
        let objects = delete
            .get("Objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if objects.is_empty() || objects.len() > 1000 {
            return Err(S3Error::MalformedXml.into());
        }
        let quiet = delete
            .get("Quiet")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for o in &objects {
            let key = str_member(o, "Key").unwrap_or_default();
            let vid = str_member(o, "VersionId");
            let locked = match vid {
                Some(vid) => self.check_lock_delete(ctx, &entry, &input, &bucket, key, vid),
                None => Ok(()),
            };
            match locked.and_then(|()| self.delete_one(ctx, &bucket, key, vid)) {
                Ok(r) => {
                    self.notify_deleted(ctx, &bucket, &entry, key, &r);
                    if quiet {
                        continue;
                    }
                    let mut d = Map::new();
                    d.insert("Key".into(), json!(key));
                    if let Some(v) = vid {
                        d.insert("VersionId".into(), json!(v));
                    }
                    if r.get("DeleteMarker").is_some() {
                        d.insert("DeleteMarker".into(), json!(true));
                        if vid.is_none() {
                            d.insert(
                                "DeleteMarkerVersionId".into(),
                                r.get("VersionId").cloned().unwrap_or_default(),
                            );
                        }
                    }
                    deleted.push(Value::Object(d));
                }
                Err(e) => {
                    let mut d = Map::new();
                    d.insert("Key".into(), json!(key));
                    if let Some(v) = vid {
                        d.insert("VersionId".into(), json!(v));
                    }
                    d.insert("Code".into(), json!(e.code));
                    d.insert("Message".into(), json!(e.message));
                    errors.push(Value::Object(d));
                }
            }
        }
        let mut out = Map::new();
        if !deleted.is_empty() {
            out.insert("Deleted".into(), Value::Array(deleted));
        }
        if !errors.is_empty() {
            out.insert("Errors".into(), Value::Array(errors));
        }
        Ok(Value::Object(out))
    }
}

/// Archived objects refuse reads until a restore completes.
fn check_readable(v: &ObjectVersion, now_ms: i64) -> Result<(), AwsError> {
    if !matches!(v.storage_class.as_str(), "GLACIER" | "DEEP_ARCHIVE") {
        return Ok(());
    }
    match &v.restore {
        Some(Restore {
            ready_at_ms,
            expires_at_ms,
        }) if *ready_at_ms <= now_ms && now_ms < *expires_at_ms => Ok(()),
        _ => Err(S3Error::InvalidObjectState {
            message: "The operation is not valid for the object's storage class".into(),
            storage_class: v.storage_class.clone(),
        }
        .into()),
    }
}

/// An HTTP date (`Last-Modified`'s format).
pub(crate) fn http_date(ms: i64) -> String {
    gureum_core::timestamp::format_http_date(ms)
}

/// The headers GET and HEAD answer with.
pub(crate) fn object_headers(
    v: &ObjectVersion,
    entry: &BucketEntry,
    now_ms: i64,
    input: &Value,
) -> Map<String, Value> {
    // Room for the usual dozen members: growing an IndexMap rehashes.
    let mut out = Map::with_capacity(12);
    out.insert("AcceptRanges".into(), json!("bytes"));
    out.insert("LastModified".into(), json!(v.last_modified_ms / 1000));
    out.insert("ETag".into(), json!(v.etag));
    for (k, val) in &v.content {
        out.insert(k.clone(), val.clone());
    }
    if !v.metadata.is_empty() {
        out.insert("Metadata".into(), json!(v.metadata));
    }
    crate::sse::headers(&mut out, v.sse.as_ref());
    if v.storage_class != "STANDARD" {
        out.insert("StorageClass".into(), json!(v.storage_class));
    }
    if !v.tags.is_empty() {
        out.insert("TagCount".into(), json!(v.tags.len()));
    }
    if entry.versioning.is_some() {
        out.insert("VersionId".into(), json!(v.version_id_str()));
    }
    // An expired restored copy is gone: no header.
    if let Some(r) = v.restore.as_ref().filter(|r| now_ms < r.expires_at_ms) {
        let header = if now_ms < r.ready_at_ms {
            "ongoing-request=\"true\"".to_string()
        } else {
            format!(
                "ongoing-request=\"false\", expiry-date=\"{}\"",
                http_date(r.expires_at_ms)
            )
        };
        out.insert("Restore".into(), json!(header));
    }
    if str_member(input, "ChecksumMode") == Some("ENABLED") {
        if let Some((alg, value)) = &v.checksum {
            if let Some(a) = ChecksumAlgorithm::from_name(alg) {
                out.insert(a.member().into(), json!(value));
                if let Some(t) = &v.checksum_type {
                    out.insert("ChecksumType".into(), json!(t));
                }
            }
        }
    }
    // Response-header overrides (`response-content-type`, …).
    for (param, member) in [
        ("ResponseCacheControl", "CacheControl"),
        ("ResponseContentDisposition", "ContentDisposition"),
        ("ResponseContentEncoding", "ContentEncoding"),
        ("ResponseContentLanguage", "ContentLanguage"),
        ("ResponseContentType", "ContentType"),
        ("ResponseExpires", "Expires"),
    ] {
        if let Some(val) = crate::member(input, param) {
            out.insert(member.into(), val.clone());
        }
    }
    out
}
