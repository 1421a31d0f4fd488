//! `CopyObject`: a new version from an existing object's bytes.
//!
//! The source (`x-amz-copy-source: bucket/key[?versionId=…]`, URL-encoded,
//! a leading `/` allowed) must be readable by the caller: for now, a bucket
//! of the caller's account. `x-amz-metadata-directive` `COPY` (the default)
//! keeps the source's content headers and user metadata, `REPLACE` takes the
//! request's; `x-amz-tagging-directive` likewise for tags. The website
//! redirect location is never copied, and the storage class is the request's
//! (STANDARD by default), as AWS documents. Copying an object onto itself
//! must change something (metadata, storage class, website redirect,
//! encryption, or the checksum algorithm).
//!
//! Bytes: a source whose ETag and checksum carry over (a single-part object
//! keeping its checksum algorithm) is copied file to file by the kernel;
//! otherwise the bytes stream from the source through the digests into new
//! storage, a bounded number of chunks at a time. The copy is one part: its
//! ETag is the MD5 of its bytes even when the source was a multipart upload.

use crate::checksum::{self, ChecksumAlgorithm};
use crate::object::ObjectVersion;
use crate::objects::{content_of, no_such_key, no_such_version, storage_class, tags_from_header};
use crate::{access_denied, no_such_bucket, str_member, BucketEntry, S3Error, S3Service};
use gureum_core::{AwsError, Reply, RequestBody, RequestContext, ResponseBody, Value};
use serde_json::{json, Map};

/// A parsed `x-amz-copy-source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CopySource {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

fn invalid_copy_source(value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"
            .into(),
        name: "x-amz-copy-source".into(),
        value: value.into(),
    }
    .into()
}

/// Parses `bucket/key`, `/bucket/key`, each optionally followed by
/// `?versionId=…`; the path is URL-decoded.
pub(crate) fn parse_copy_source(raw: &str) -> Result<CopySource, AwsError> {
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| invalid_copy_source(raw))?;
    let decoded = decoded.strip_prefix('/').unwrap_or(&decoded);
    let Some((bucket, key)) = decoded.split_once('/') else {
        return Err(invalid_copy_source(raw));
    };
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid_copy_source(raw));
    }
    let mut version_id = None;
    for pair in query.unwrap_or_default().split('&') {
        if let Some(v) = pair.strip_prefix("versionId=") {
            let v = percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .map_err(|_| invalid_copy_source(raw))?;
            if v.is_empty() {
                return Err(S3Error::InvalidArgument {
                    message: "Version id cannot be the empty string".into(),
                    name: "versionId".into(),
                    value: String::new(),
                }
                .into());
            }
            version_id = Some(v.into_owned());
        }
    }
    Ok(CopySource {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id,
    })
}

fn copy_precondition_failed(header: &str) -> AwsError {
    S3Error::PreconditionFailed {
        condition: header.into(),
    }
    .into()
}

fn seconds(input: &Value, member: &str) -> Option<i64> {
    input.get(member).and_then(Value::as_f64).map(|s| s as i64)
}

/// The `x-amz-copy-source-if-*` conditions, in AWS's pairing: a holding
/// `if-match` overrides a failing `if-unmodified-since`, a holding
/// `if-none-match` a failing `if-modified-since`; every failure is 412.
pub(crate) fn check_copy_conditions(input: &Value, v: &ObjectVersion) -> Result<(), AwsError> {
    use crate::conditions::etag_matches;
    let modified = v.last_modified_ms / 1000;
    match str_member(input, "CopySourceIfMatch") {
        Some(list) if !etag_matches(list, &v.etag) => {
            return Err(copy_precondition_failed("x-amz-copy-source-If-Match"));
        }
        Some(_) => {}
        None => {
            if seconds(input, "CopySourceIfUnmodifiedSince").is_some_and(|t| modified > t) {
                return Err(copy_precondition_failed(
                    "x-amz-copy-source-If-Unmodified-Since",
                ));
            }
        }
    }
    match str_member(input, "CopySourceIfNoneMatch") {
        Some(list) if etag_matches(list, &v.etag) => {
            return Err(copy_precondition_failed("x-amz-copy-source-If-None-Match"));
        }
        Some(_) => {}
        None => {
            if seconds(input, "CopySourceIfModifiedSince").is_some_and(|t| modified <= t) {
                return Err(copy_precondition_failed(
                    "x-amz-copy-source-If-Modified-Since",
                ));
            }
        }
    }
    Ok(())
}

/// `COPY` or `REPLACE` (default `COPY`); anything else is refused.
fn directive(input: &Value, member: &str, header: &str, what: &str) -> Result<bool, AwsError> {
    match str_member(input, member) {
        None | Some("COPY") => Ok(false),
        Some("REPLACE") => Ok(true),
        Some(other) => Err(S3Error::InvalidArgument {
            message: format!("Unknown {what} directive."),
            name: header.into(),
            value: other.into(),
        }
        .into()),
    }
}

/// An archived object can be read (copied) only while a restored copy is
/// there.
pub(crate) fn check_source_readable(v: &ObjectVersion, now_ms: i64) -> Result<(), AwsError> {
    if crate::restore::is_archived(v) && !crate::restore::is_restored(v, now_ms) {
        return Err(S3Error::InvalidObjectState {
            message: "Operation is not valid for the source object's storage class".into(),
            storage_class: v.storage_class.clone(),
        }
        .into());
    }
    Ok(())
}

impl S3Service {
    /// The source bucket of a copy: it must exist and be the caller's
    /// (`x-amz-source-expected-bucket-owner`, when sent, must match).
    pub(crate) fn copy_source_bucket(
        &self,
        ctx: &RequestContext,
        input: &Value,
        src: &CopySource,
    ) -> Result<BucketEntry, AwsError> {
        let entry = self
            .buckets
            .get(&src.bucket)?
            .ok_or_else(|| no_such_bucket(&src.bucket))?;
        if entry.account_id != ctx.account_id
            || str_member(input, "ExpectedSourceBucketOwner").is_some_and(|o| o != entry.account_id)
        {
            return Err(access_denied());
        }
        Ok(entry)
    }

    /// The source version of a copy, with whether it is the key's current
    /// version.
    pub(crate) fn copy_source_version(
        &self,
        src: &CopySource,
    ) -> Result<(bool, ObjectVersion), AwsError> {
        match &src.version_id {
            Some(vid) => {
                let Some((is_current, v)) =
                    self.objects
                        .find_version(None, &src.bucket, &src.key, vid)?
                else {
                    return Err(no_such_version(&src.key, vid));
                };
                if v.delete_marker {
                    return Err(S3Error::CopySourceDeleteMarker.into());
                }
                Ok((is_current, v))
            }
            None => {
                let okey = crate::object::object_key(&src.bucket, &src.key);
                match self.objects.current.get(&okey)? {
                    Some(v) if !v.delete_marker => Ok((true, v)),
                    _ => Err(no_such_key(&src.key)),
                }
            }
        }
    }

    /// `CopyObject`.
    pub(crate) async fn copy_object(
        &self,
        ctx: &RequestContext,
        input: Value,
        _body: RequestBody,
    ) -> Result<Reply, AwsError> {
        let (bucket, entry) = self.own_bucket(ctx, "CopyObject", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default().to_string();
        crate::keys::check_key(&key)?;
        let src = parse_copy_source(str_member(&input, "CopySource").unwrap_or_default())?;
        let src_entry = self.copy_source_bucket(ctx, &input, &src)?;
        let replace_metadata = directive(
            &input,
            "MetadataDirective",
            "x-amz-metadata-directive",
            "metadata",
        )?;
        let replace_tags = directive(
            &input,
            "TaggingDirective",
            "x-amz-tagging-directive",
            "tagging",
        )?;
        let new_class = match input.get("StorageClass") {
            Some(_) => Some(storage_class(&input)?),
            None => None,
        };
        let requested_alg = match str_member(&input, "ChecksumAlgorithm") {
            None => None,
            Some(name) => Some(
                ChecksumAlgorithm::from_name(name)
                    .ok_or_else(|| S3Error::UnsupportedChecksum { name: name.into() })?,
            ),
        };
        let acl = crate::acl::acl_for_new_object(&input, &entry)?;
        let new_tags = if replace_tags {
            Some(tags_from_header(str_member(&input, "Tagging"))?)
        } else {
            None
        };
        let replaced = if replace_metadata {
            let (content, metadata) = content_of(&input);
            crate::keys::check_metadata_size(&metadata)?;
            Some((content, metadata))
        } else {
            None
        };
        let redirect = input.get("WebsiteRedirectLocation").cloned();
        // The copy is encrypted as its request (or the destination
        // bucket's default) says, never as its source was.
        let wanted = crate::sse::wanted(&input, &entry)?;
        let (sse, sse_s3, cipher) = self.new_stored_key(&entry, &bucket, &key, wanted)?;

        for _attempt in 0..3 {
            let (is_current, source) = self.copy_source_version(&src)?;
            let now = ctx.clock.now_millis();
            check_source_readable(&source, now)?;
            check_copy_conditions(&input, &source)?;
            let source_alg = source
                .checksum
                .as_ref()
                .and_then(|(a, _)| ChecksumAlgorithm::from_name(a));
            if src.bucket == bucket && src.key == key && is_current {
                let changed = replace_metadata
                    || new_class
                        .as_ref()
                        .is_some_and(|c| *c != source.storage_class)
                    || redirect.is_some()
                    || input.get("ServerSideEncryption").is_some()
                    || input.get("SSEKMSKeyId").is_some()
                    || input.get("SSECustomerAlgorithm").is_some()
                    || requested_alg.is_some_and(|a| Some(a) != source_alg);
                if !changed {
                    return Err(S3Error::CopyToItself.into());
                }
            }
            let alg = requested_alg
                .or(source_alg)
                .unwrap_or(ChecksumAlgorithm::Crc64Nvme);
            // The same bytes under the same checksum keep the source's
            // ETag and checksum: no need to hash them again (the bytes are
            // still decrypted and encrypted again, under the copy's own key).
            let same_digests = source.parts.is_empty()
                && source.checksum_type.as_deref() != Some("COMPOSITE")
                && source_alg == Some(alg);
            let opened = self.stored_cipher(
                &src.bucket,
                &src.key,
                source.sse.as_ref(),
                source.sse_s3.as_ref(),
            )?;
            let read = match &opened {
                None => self.blobs.read(&source.data, 0, source.size)?,
                Some(c) => self.blobs.read_decrypted(&source.data, 0, source.size, c)?,
            };
            let Some(bytes) = read else {
                continue; // overwritten meanwhile
            };
            let mut body = match bytes {
                ResponseBody::Bytes(b) => RequestBody::from_bytes(b),
                ResponseBody::Stream { source, length } => {
                    RequestBody::from_source(source, Some(length))
                }
            };
            let (pending, etag, checksum_value) = if same_digests {
                let p = self
                    .blobs
                    .write_encrypted(&mut body, |_| {}, false, &cipher)
                    .await?;
                let value = source.checksum.clone().map(|c| c.1).unwrap_or_default();
                (p, source.etag.clone(), value)
            } else {
                let mut md5 = checksum::Md5::new();
                let mut hasher = checksum::Hasher::new(alg);
                let observe = |chunk: &bytes::Bytes| {
                    md5.update(chunk);
                    hasher.update(chunk);
                };
                let p = self
                    .blobs
                    .write_encrypted(&mut body, observe, false, &cipher)
                    .await?;
                (
                    p,
                    checksum::etag(&md5.finish()),
                    checksum::to_base64(&hasher.finish()),
                )
            };
            let (mut content, metadata) = match &replaced {
                Some((c, m)) => (c.clone(), m.clone()),
                None => (source.content.clone(), source.metadata.clone()),
            };
            content.remove("WebsiteRedirectLocation");
            if let Some(r) = &redirect {
                content.insert("WebsiteRedirectLocation".into(), r.clone());
            }
            let version = ObjectVersion {
                seq: self.next_seq(ctx),
                last_modified_ms: now,
                owner: entry.account_id.clone(),
                size: pending.size,
                etag,
                storage_class: new_class.clone().unwrap_or_else(|| "STANDARD".into()),
                content,
                metadata,
                tags: new_tags.clone().unwrap_or_else(|| source.tags.clone()),
                checksum: Some((alg.name().to_string(), checksum_value.clone())),
                checksum_type: Some("FULL_OBJECT".into()),
                acl: acl.clone(),
                data: pending.data.clone(),
                sse: sse.clone(),
                sse_s3: sse_s3.clone(),
                ..ObjectVersion::default()
            };
            let (stored, versioned) =
                self.commit_version(ctx, &input, &bucket, &key, version, pending)?;
            self.notify(
                ctx,
                &bucket,
                &entry,
                &crate::notifications::ObjectEvent {
                    name: "ObjectCreated:Copy",
                    reason: "CopyObject",
                    key: &key,
                    size: Some(stored.size),
                    etag: Some(stored.etag.trim_matches('"')),
                    version_id: versioned.then(|| stored.version_id_str()),
                    sequencer: stored.seq,
                },
            );
            let mut result = Map::new();
            result.insert("ETag".into(), json!(stored.etag));
            result.insert("LastModified".into(), json!(stored.last_modified_ms / 1000));
            result.insert(alg.member().into(), json!(checksum_value));
            result.insert("ChecksumType".into(), json!("FULL_OBJECT"));
            let mut out = Map::new();
            out.insert("CopyObjectResult".into(), Value::Object(result));
            crate::sse::write_headers(&mut out, stored.sse.as_ref());
            if versioned {
                out.insert("VersionId".into(), json!(stored.version_id_str()));
            }
            if src_entry.versioning.is_some() {
                out.insert("CopySourceVersionId".into(), json!(source.version_id_str()));
            }
            return Ok(Reply::value(Value::Object(out)));
        }
        Err(S3Error::InternalError.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_accepts_a_leading_slash_and_url_encoding() {
        let a = parse_copy_source("/bkt/dir/a%20b%2Bc.txt").expect("valid");
        assert_eq!(a.bucket, "bkt");
        assert_eq!(a.key, "dir/a b+c.txt");
        assert_eq!(a.version_id, None);
        let b = parse_copy_source("bkt/dir/a%20b%2Bc.txt").expect("valid");
        assert_eq!(a, b);
    }

    #[test]
    fn copy_source_version_id_follows_the_question_mark() {
        let s = parse_copy_source("bkt/k%3Fq?versionId=abc.DEF").expect("valid");
        assert_eq!(s.key, "k?q");
        assert_eq!(s.version_id.as_deref(), Some("abc.DEF"));
    }

    #[test]
    fn copy_source_without_bucket_and_key_is_invalid_argument() {
        for bad in ["", "bkt", "/bkt/", "/", "%FF/x"] {
            let e = parse_copy_source(bad).expect_err(bad);
            assert_eq!(
                (e.code.as_str(), e.status),
                ("InvalidArgument", 400),
                "{bad}"
            );
        }
    }

    fn version(etag: &str, modified_s: i64) -> ObjectVersion {
        ObjectVersion {
            etag: format!("\"{etag}\""),
            last_modified_ms: modified_s * 1000,
            ..ObjectVersion::default()
        }
    }

    #[test]
    fn copy_if_match_holding_overrides_a_failing_unmodified_since() {
        let v = version("abc", 1000);
        assert!(check_copy_conditions(
            &json!({"CopySourceIfMatch": "\"abc\"", "CopySourceIfUnmodifiedSince": 10}),
            &v
        )
        .is_ok());
        let e = check_copy_conditions(&json!({"CopySourceIfUnmodifiedSince": 10}), &v)
            .expect_err("modified since");
        assert_eq!((e.code.as_str(), e.status), ("PreconditionFailed", 412));
    }

    #[test]
    fn copy_if_none_match_matching_is_412_not_304() {
        let v = version("abc", 1000);
        let e = check_copy_conditions(&json!({"CopySourceIfNoneMatch": "\"abc\""}), &v)
            .expect_err("matches");
        assert_eq!(e.status, 412);
        let e = check_copy_conditions(&json!({"CopySourceIfModifiedSince": 1000}), &v)
            .expect_err("unchanged");
        assert_eq!(e.status, 412);
        assert!(check_copy_conditions(
            &json!({"CopySourceIfNoneMatch": "\"zzz\"", "CopySourceIfModifiedSince": 5000}),
            &v
        )
        .is_ok());
    }

    #[test]
    fn unknown_directives_are_invalid_arguments() {
        let e = directive(
            &json!({"MetadataDirective": "MERGE"}),
            "MetadataDirective",
            "x-amz-metadata-directive",
            "metadata",
        )
        .expect_err("unknown");
        assert_eq!(e.code, "InvalidArgument");
        assert_eq!(e.message, "Unknown metadata directive.");
    }

    #[test]
    fn archived_sources_need_a_completed_restore() {
        let mut v = version("a", 1);
        v.storage_class = "GLACIER".into();
        let e = check_source_readable(&v, 0).expect_err("archived");
        assert_eq!((e.code.as_str(), e.status), ("InvalidObjectState", 403));
        v.restore = Some(crate::object::Restore {
            ready_at_ms: 10,
            expires_at_ms: 20,
        });
        assert!(check_source_readable(&v, 5).is_err());
        assert!(check_source_readable(&v, 15).is_ok());
        assert!(check_source_readable(&v, 20).is_err());
    }
}

#[cfg(test)]
#[path = "copy_tests.rs"]
mod flow_tests;
