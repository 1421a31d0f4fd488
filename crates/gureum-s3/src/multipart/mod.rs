//! Multipart uploads: `CreateMultipartUpload`, `UploadPart`,
//! `UploadPartCopy`, `AbortMultipartUpload` here; completion in
//! `complete`, `ListParts` and `ListMultipartUploads` in `listing`.
//!
//! Tables:
//! - `s3.uploads`: `bucket/key\0uploadId` → [`Upload`], so one key's
//!   uploads, and a bucket's, are one range;
//! - `s3.parts`: `uploadId\0<part number, 5 digits>` → [`Part`], in part
//!   order.
//!
//! Parts are always stored as files (never inline), each referenced in
//! `s3.blob_refs` from its own commit. Completing an upload only joins the
//! listed parts' segment lists into the new version's
//! [`DataRef::Files`](crate::storage::DataRef): no byte is copied, and a
//! 5 GB object completes as fast as a 5 KB one.

mod complete;
mod listing;

use crate::checksum::ChecksumAlgorithm;
use crate::objects::{content_of, declared_checksum, storage_class, tags_from_header, BodyOptions};
use crate::storage::{DataRef, Released};
use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, Principal, Reply, RequestBody, RequestContext, Value};
use gureum_store::Table;
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// The highest part number.
pub const MAX_PART_NUMBER: u64 = 10_000;
/// Every part but the last must be at least this big.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// A refused part's body up to this size is still read (and dropped).
const DRAIN_MAX: u64 = 1024 * 1024;
/// No part may be bigger than this.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// A multipart upload in progress.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    /// The upload id.
    pub upload_id: String,
    /// The object key.
    pub key: String,
    /// When it was created (epoch ms).
    pub initiated_ms: i64,
    /// The bucket owner's account id.
    pub owner: String,
    /// Who created it: a canonical user id for root, else the ARN.
    pub initiator_id: String,
    /// The initiator's display name (an IAM user's or session's name).
    #[serde(default)]
    pub initiator_name: Option<String>,
    /// STANDARD, …
    pub storage_class: String,
    /// Content headers for the object, by model member name.
    #[serde(default)]
    pub content: BTreeMap<String, Value>,
    /// `x-amz-meta-*`.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The object's tags.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The algorithm the upload was created with (`None`: S3's default,
    /// CRC64NVME full-object, not reported as chosen).
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    /// `COMPOSITE` or `FULL_OBJECT` (with `checksum_algorithm`).
    #[serde(default)]
    pub checksum_type: Option<String>,
    /// The object's ACL (`x-amz-acl`, `x-amz-grant-*`), when ACLs are on.
    #[serde(default)]
    pub acl: Option<crate::object::Acl>,
    /// SSE-KMS: the upload's data key (every part is stored under it, and
    /// the completed object keeps it).
    #[serde(default)]
    pub sse: Option<crate::sse::SseKms>,
    /// SSE-S3: the upload's data key, sealed (`None` with SSE-KMS, and for
    /// uploads begun before SSE-S3 encrypted: their parts are plain).
    #[serde(default)]
    pub sse_s3: Option<crate::sse_s3::SseS3>,
}

impl Upload {
    /// The algorithm every part's checksum is computed with.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.checksum_algorithm
            .as_deref()
            .and_then(ChecksumAlgorithm::from_name)
            .unwrap_or(ChecksumAlgorithm::Crc64Nvme)
    }

    /// The checksum type of the object it completes into.
    pub fn effective_type(&self) -> &str {
        self.checksum_type.as_deref().unwrap_or("FULL_OBJECT")
    }
}

/// One uploaded part.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// 1–10,000.
    pub number: u64,
    /// Bytes.
    pub size: u64,
    /// The part's MD5, hex (its ETag unquoted).
    pub md5: String,
    /// When it was uploaded (epoch ms).
    pub last_modified_ms: i64,
    /// The part's checksum in the upload's algorithm ([`Upload::algorithm`]),
    /// base64.
    pub checksum: String,
    /// Where the bytes are (always files).
    pub data: DataRef,
}

impl Part {
    /// Part `number` from a body just uploaded (its checksum is the
    /// upload's own algorithm, `also`).
    pub(crate) fn uploaded(number: u64, up: &crate::objects::Uploaded, now_ms: i64) -> Part {
        Part {
            number,
            size: up.pending.size,
            md5: hex::encode(up.md5),
            last_modified_ms: now_ms,
            checksum: up.also.clone().unwrap_or_default(),
            data: up.pending.data.clone(),
        }
    }

    /// The ETag as S3 prints it (quoted).
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.md5)
    }
}

/// `bucket/key\0uploadId`.
pub fn upload_row(bucket: &str, key: &str, upload_id: &str) -> String {
    format!("{bucket}/{key}\0{upload_id}")
}

/// The prefix of an upload's part rows.
pub fn parts_prefix(upload_id: &str) -> String {
    format!("{upload_id}\0")
}

/// A part's row.
pub fn part_row(upload_id: &str, number: u64) -> String {
    format!("{upload_id}\0{number:05}")
}

/// A new upload id: 64 characters of a URL-safe alphabet (AWS's are
/// opaque strings of about that length).
pub fn new_upload_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    // Never a leading `-` or `.`: command lines (`--upload-id -x…`) would
    // read it as an option.
    const FIRST: usize = 62;
    let mut rng = rand::thread_rng();
    (0..64)
        .map(|i| {
            let n = if i == 0 { FIRST } else { ALPHABET.len() };
            ALPHABET[rng.gen_range(0..n)] as char
        })
        .collect()
}

#[cfg(test)]
#[test]
fn upload_ids_never_start_like_a_command_line_option() {
    for _ in 0..2000 {
        let id = new_upload_id();
        assert_eq!(id.len(), 64);
        assert!(id.as_bytes()[0].is_ascii_alphanumeric(), "{id}");
    }
}

pub(crate) fn no_such_upload(upload_id: &str) -> AwsError {
    S3Error::NoSuchUpload {
        upload_id: upload_id.into(),
    }
    .into()
}

pub(crate) fn invalid_request(message: impl Into<String>) -> AwsError {
    S3Error::InvalidRequest {
        message: message.into(),
    }
    .into()
}

/// The part number of an `UploadPart`/`UploadPartCopy` input, 1–10,000.
pub fn part_number(input: &Value) -> Result<u64, AwsError> {
    let raw = input.get("PartNumber");
    match raw.and_then(Value::as_i64) {
        Some(n) if (1..=MAX_PART_NUMBER as i64).contains(&n) => Ok(n as u64),
        _ => Err(S3Error::InvalidArgument {
            message: "Part number must be an integer between 1 and 10000, inclusive".into(),
            name: "partNumber".into(),
            value: raw.map(|v| v.to_string()).unwrap_or_default(),
        }
        .into()),
    }
}

/// The checksum algorithm and type a `CreateMultipartUpload` asks for,
/// with AWS's defaults (COMPOSITE where the algorithm allows it, else
/// FULL_OBJECT) and refusals.
pub fn checksum_choice(input: &Value) -> Result<(Option<String>, Option<String>), AwsError> {
    let algorithm = match str_member(input, "ChecksumAlgorithm") {
        None => None,
        Some(name) => Some(ChecksumAlgorithm::from_name(name).ok_or_else(|| {
            invalid_request(format!(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256] (got {name})"
            ))
        })?),
    };
    let kind = str_member(input, "ChecksumType");
    if let Some(k) = kind {
        if k != "COMPOSITE" && k != "FULL_OBJECT" {
            return Err(invalid_request(
                "Value for x-amz-checksum-type header is invalid.",
            ));
        }
    }
    match (algorithm, kind) {
        (None, None) => Ok((None, None)),
        (None, Some(_)) => Err(invalid_request(
            "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        )),
        (Some(a), kind) => {
            let kind = kind.unwrap_or(if a.supports_composite_multipart() {
                "COMPOSITE"
            } else {
                "FULL_OBJECT"
            });
            let allowed = match kind {
                "COMPOSITE" => a.supports_composite_multipart(),
                _ => a.supports_full_object_multipart(),
            };
            if !allowed {
                return Err(invalid_request(format!(
                    "The {kind} checksum type cannot be used with the {} checksum algorithm.",
                    a.name().to_ascii_lowercase()
                )));
            }
            Ok((Some(a.name().to_string()), Some(kind.to_string())))
        }
    }
}

/// Who made a request, as `Initiator` shows it.
fn initiator(ctx: &RequestContext) -> (String, Option<String>) {
    match &ctx.principal {
        Principal::User { name, .. } => (ctx.principal.arn(), Some(name.clone())),
        Principal::AssumedRole { session_name, .. } => {
            (ctx.principal.arn(), Some(session_name.clone()))
        }
        _ => (crate::canonical_user_id(&ctx.account_id), None),
    }
}

impl S3Service {
    pub(crate) fn uploads_table(&self) -> Table<Upload> {
        self.store.table("s3.uploads")
    }

    pub(crate) fn parts_table(&self) -> Table<Part> {
        self.store.table("s3.parts")
    }

    /// The upload an input names (`Bucket`, `Key`, `UploadId`).
    pub(crate) fn find_upload(&self, bucket: &str, input: &Value) -> Result<Upload, AwsError> {
        let key = str_member(input, "Key").unwrap_or_default();
        let id = str_member(input, "UploadId").unwrap_or_default();
        self.uploads_table()
            .get(&upload_row(bucket, key, id))?
            .ok_or_else(|| no_such_upload(id))
    }

    /// `CreateMultipartUpload`.
    pub(crate) fn create_multipart_upload(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "CreateMultipartUpload", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default().to_string();
        crate::keys::check_key(&key)?;
        let storage_class = storage_class(&input)?;
        let tags = tags_from_header(str_member(&input, "Tagging"))?;
        let (content, metadata) = content_of(&input);
        crate::keys::check_metadata_size(&metadata)?;
        let (checksum_algorithm, checksum_type) = checksum_choice(&input)?;
        let acl = crate::acl::acl_for_new_object(&input, &entry)?;
        let wanted = crate::sse::wanted(&input, &entry)?;
        let (sse, sse_s3, _) = self.new_stored_key(&entry, &bucket, &key, wanted)?;
        let (initiator_id, initiator_name) = initiator(ctx);
        let upload = Upload {
            upload_id: new_upload_id(),
            key: key.clone(),
            initiated_ms: ctx.clock.now_millis(),
            owner: entry.account_id.clone(),
            initiator_id,
            initiator_name,
            storage_class,
            content,
            metadata,
            tags,
            checksum_algorithm,
            checksum_type,
            acl,
            sse,
            sse_s3,
        };
        let uploads = self.uploads_table();
        let row = upload_row(&bucket, &key, &upload.upload_id);
        self.store.write(|txn| {
            self.bucket_for_write(txn, ctx, &bucket)?;
            txn.put(&uploads, &row, &upload).map_err(AwsError::from)
        })?;
        let mut out = Map::new();
        out.insert("Bucket".into(), json!(bucket));
        out.insert("Key".into(), json!(key));
        out.insert("UploadId".into(), json!(upload.upload_id));
        crate::sse::write_headers(&mut out, upload.sse.as_ref());
        if let (Some(a), Some(t)) = (&upload.checksum_algorithm, &upload.checksum_type) {
            out.insert("ChecksumAlgorithm".into(), json!(a));
            out.insert("ChecksumType".into(), json!(t));
        }
        Ok(Value::Object(out))
    }

    /// `UploadPart`.
    pub(crate) async fn upload_part(
        &self,
        ctx: &RequestContext,
        input: Value,
        mut body: RequestBody,
    ) -> Result<Reply, AwsError> {
        let refused = match self.part_target(ctx, &input, body.declared_length) {
            Ok(target) => return self.upload_part_into(ctx, input, body, target).await,
            Err(e) => e,
        };
        // Refused before reading: read a small body to its end anyway, so
        // the connection is left at the next request's first byte.
        if body.declared_length.is_some_and(|l| l <= DRAIN_MAX) {
            while let Some(Ok(_)) = body.chunk().await {}
        }
        Err(refused)
    }

    /// The bucket, part number and upload an `UploadPart` names, once the
    /// part is known to be acceptable (size, checksum algorithm).
    fn part_target(
        &self,
        ctx: &RequestContext,
        input: &Value,
        body_len: Option<u64>,
    ) -> Result<(String, u64, Upload), AwsError> {
        let (bucket, _) = self.own_bucket(ctx, "UploadPart", input)?;
        crate::unsupported::refuse_unimplemented(input)?;
        let number = part_number(input)?;
        let upload = self.find_upload(&bucket, input)?;
        if let Some(len) = body_len.filter(|l| *l > MAX_PART_SIZE) {
            return Err(too_large(len));
        }
        let declared = declared_checksum(input)?.map(|d| d.0);
        let own = upload.algorithm();
        if let (Some(d), Some(_)) = (declared, &upload.checksum_algorithm) {
            if d != own {
                return Err(invalid_request(format!(
                    "Checksum Type mismatch occurred, expected checksum Type: {}, actual checksum Type: {}",
                    own.name().to_ascii_lowercase(),
                    d.name().to_ascii_lowercase()
                )));
            }
        }
        Ok((bucket, number, upload))
    }

    async fn upload_part_into(
        &self,
        ctx: &RequestContext,
        input: Value,
        mut body: RequestBody,
        (bucket, number, upload): (String, u64, Upload),
    ) -> Result<Reply, AwsError> {
        let own = upload.algorithm();
        let options = BodyOptions {
            file: true,
            default_algorithm: Some(own),
            also: Some(own),
        };
        let cipher = self.upload_cipher(&bucket, &upload)?;
        let up = self
            .upload_body(&input, &mut body, options, cipher.as_ref())
            .await?;
        if up.pending.size > MAX_PART_SIZE {
            let size = up.pending.size;
            up.pending.discard();
            return Err(too_large(size));
        }
        let part = Part::uploaded(number, &up, ctx.clock.now_millis());
        self.commit_part(&bucket, &upload, &part, up.pending)?;
        let mut out = Map::new();
        out.insert("ETag".into(), json!(part.etag()));
        crate::sse::headers(&mut out, upload.sse.as_ref());
        if up.client_checksum {
            out.insert(up.checksum.0.member().into(), json!(up.checksum.1));
        } else if upload.checksum_algorithm.is_some() {
            out.insert(own.member().into(), json!(part.checksum));
        }
        Ok(Reply::value(Value::Object(out)))
    }

    /// The cipher an upload's parts are stored under: its SSE-KMS data key
    /// decrypted by KMS, or its SSE-S3 one (`None`: an upload begun before
    /// SSE-S3 encrypted).
    fn upload_cipher(
        &self,
        bucket: &str,
        upload: &Upload,
    ) -> Result<Option<crate::cipher::DataCipher>, AwsError> {
        self.stored_cipher(
            bucket,
            &upload.key,
            upload.sse.as_ref(),
            upload.sse_s3.as_ref(),
        )
    }

    /// Records a part (replacing one with the same number, whose bytes are
    /// released), provided the upload still exists.
    fn commit_part(
        &self,
        bucket: &str,
        upload: &Upload,
        part: &Part,
        pending: crate::storage::Pending,
    ) -> Result<(), AwsError> {
        let urow = upload_row(bucket, &upload.key, &upload.upload_id);
        let prow = part_row(&upload.upload_id, part.number);
        let (uploads, parts) = (self.uploads_table(), self.parts_table());
        let result = self.store.write(|txn| -> Result<Released, AwsError> {
            if txn.get(&uploads, &urow)?.is_none() {
                return Err(no_such_upload(&upload.upload_id));
            }
            let mut released = Released::default();
            if let Some(old) = txn.get(&parts, &prow)? {
                released.extend(self.blobs.release(txn, &old.data)?);
            }
            pending.commit_into(&self.blobs, txn)?;
            txn.put(&parts, &prow, part)?;
            Ok(released)
        });
        match result {
            Ok(released) => {
                self.blobs.unlink(released);
                Ok(())
            }
            Err(e) => {
                pending.discard();
                Err(e)
            }
        }
    }

    /// `UploadPartCopy`: a part made of a byte range of an existing object,
    /// streamed from its files to the part's file.
    pub(crate) async fn upload_part_copy(
        &self,
        ctx: &RequestContext,
        input: Value,
        _body: RequestBody,
    ) -> Result<Reply, AwsError> {
        let (bucket, _) = self.own_bucket(ctx, "UploadPartCopy", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let number = part_number(&input)?;
        let upload = self.find_upload(&bucket, &input)?;
        let src =
            crate::copy::parse_copy_source(str_member(&input, "CopySource").unwrap_or_default())?;
        self.copy_source_bucket(ctx, &input, &src)?;
        for _attempt in 0..3 {
            let (_, v) = self.copy_source_version(&src)?;
            crate::copy::check_copy_conditions(&input, &v)?;
            crate::copy::check_source_readable(&v, ctx.clock.now_millis())?;
            let (start, end) = match str_member(&input, "CopySourceRange") {
                None => (0, v.size),
                Some(r) => copy_range(r, v.size)?,
            };
            if end - start > MAX_PART_SIZE {
                return Err(invalid_request(format!(
                    "The specified copy source is larger than the maximum allowable size for a copy source: {MAX_PART_SIZE}"
                )));
            }
            let opened =
                self.stored_cipher(&src.bucket, &src.key, v.sse.as_ref(), v.sse_s3.as_ref())?;
            let read = match &opened {
                None => self.blobs.read(&v.data, start, end)?,
                Some(c) => self.blobs.read_decrypted(&v.data, start, end, c)?,
            };
            let Some(bytes) = read else {
                continue; // overwritten while we looked: read again
            };
            let mut body = match bytes {
                gureum_core::ResponseBody::Bytes(b) => RequestBody::from_bytes(b),
                gureum_core::ResponseBody::Stream { source, length } => {
                    RequestBody::from_source(source, Some(length))
                }
            };
            let own = upload.algorithm();
            let options = BodyOptions {
                file: true,
                default_algorithm: Some(own),
                also: Some(own),
            };
            let cipher = self.upload_cipher(&bucket, &upload)?;
            let up = self
                .upload_body(&json!({}), &mut body, options, cipher.as_ref())
                .await?;
            let part = Part::uploaded(number, &up, ctx.clock.now_millis());
            self.commit_part(&bucket, &upload, &part, up.pending)?;
            let mut result = Map::new();
            result.insert("ETag".into(), json!(part.etag()));
            result.insert("LastModified".into(), json!(part.last_modified_ms / 1000));
            if upload.checksum_algorithm.is_some() {
                result.insert(own.member().into(), json!(part.checksum));
            }
            let mut out = Map::new();
            out.insert("CopyPartResult".into(), Value::Object(result));
            crate::sse::headers(&mut out, upload.sse.as_ref());
            if v.version_id.is_some() {
                out.insert("CopySourceVersionId".into(), json!(v.version_id_str()));
            }
            return Ok(Reply::value(Value::Object(out)));
        }
        Err(S3Error::InternalError.into())
    }

    /// `AbortMultipartUpload`: the upload and its parts go.
    pub(crate) fn abort_multipart_upload(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, _) = self.own_bucket(ctx, "AbortMultipartUpload", &input)?;
        let key = str_member(&input, "Key").unwrap_or_default();
        let id = str_member(&input, "UploadId").unwrap_or_default();
        let urow = upload_row(&bucket, key, id);
        let if_initiated = input
            .get("IfMatchInitiatedTime")
            .and_then(Value::as_f64)
            .map(|s| s as i64);
        let (uploads, parts) = (self.uploads_table(), self.parts_table());
        let released = self.store.write(|txn| -> Result<Released, AwsError> {
            let Some(upload) = txn.get(&uploads, &urow)? else {
                return Err(no_such_upload(id));
            };
            if if_initiated.is_some_and(|t| t != upload.initiated_ms / 1000) {
                return Err(S3Error::PreconditionFailed {
                    condition: "x-amz-if-match-initiated-time".into(),
                }
                .into());
            }
            txn.delete(&uploads, &urow)?;
            let mut released = Released::default();
            for (row, part) in txn.scan_prefix(&parts, &parts_prefix(id))? {
                txn.delete(&parts, &row)?;
                released.extend(self.blobs.release(txn, &part.data)?);
            }
            Ok(released)
        })?;
        self.blobs.unlink(released);
        Ok(json!({}))
    }

    /// Whether a bucket has uploads in progress (it cannot be deleted).
    pub(crate) fn has_uploads(&self, bucket: &str) -> Result<bool, AwsError> {
        Ok(!self
            .uploads_table()
            .scan_prefix_after(&format!("{bucket}/"), None, 1)?
            .is_empty())
    }
}

fn too_large(size: u64) -> AwsError {
    S3Error::EntityTooLarge {
        proposed: size,
        max: MAX_PART_SIZE,
    }
    .into()
}

/// `x-amz-copy-source-range: bytes=first-last`, inside an object of `size`
/// bytes, as `(start, end)` with `end` exclusive.
pub fn copy_range(header: &str, size: u64) -> Result<(u64, u64), AwsError> {
    let malformed = || {
        AwsError::from(S3Error::InvalidArgument {
            message: "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy".into(),
            name: "x-amz-copy-source-range".into(),
            value: header.into(),
        })
    };
    let spec = header.trim().strip_prefix("bytes=").ok_or_else(malformed)?;
    let (a, b) = spec.split_once('-').ok_or_else(malformed)?;
    let first: u64 = a.trim().parse().map_err(|_| malformed())?;
    let last: u64 = b.trim().parse().map_err(|_| malformed())?;
    if last < first {
        return Err(malformed());
    }
    if last >= size {
        return Err(S3Error::InvalidRange {
            requested: header.into(),
            size,
        }
        .into());
    }
    Ok((first, last + 1))
}

#[cfg(test)]
mod tests;
