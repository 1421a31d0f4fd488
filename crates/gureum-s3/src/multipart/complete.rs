//! `CompleteMultipartUpload`: the listed parts become one object version
//! whose bytes are the parts' files, in order (nothing is copied).

use super::{
    invalid_request, no_such_upload, parts_prefix, upload_row, Part, Upload, MIN_PART_SIZE,
};
use crate::checksum::{self, ChecksumAlgorithm};
use crate::object::ObjectVersion;
use crate::storage::{DataRef, Released, Segment};
use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// One `<Part>` of the request.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// Its number.
    pub number: u64,
    /// The ETag the client got for it.
    pub etag: String,
    /// Checksum members it carries (`ChecksumCRC32` → value).
    pub checksums: BTreeMap<String, String>,
}

fn malformed() -> AwsError {
    S3Error::MalformedXml.into()
}

/// The `<Part>` list of a request: at least one, each with a number.
pub fn listed_parts(input: &Value) -> Result<Vec<Listed>, AwsError> {
    let parts = input
        .get("MultipartUpload")
        .and_then(|m| m.get("Parts"))
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or_else(malformed)?;
    parts
        .iter()
        .map(|p| {
            let number = p
                .get("PartNumber")
                .and_then(Value::as_i64)
                .ok_or_else(malformed)?;
            let checksums = ChecksumAlgorithm::ALL
                .iter()
                .filter_map(|a| {
                    Some((
                        a.member().to_string(),
                        str_member(p, a.member())?.to_string(),
                    ))
                })
                .collect();
            Ok(Listed {
                number: number.max(0) as u64,
                etag: str_member(p, "ETag").unwrap_or_default().to_string(),
                checksums,
            })
        })
        .collect()
}

fn invalid_part(upload_id: &str, l: &Listed) -> AwsError {
    S3Error::InvalidPart {
        upload_id: upload_id.into(),
        part_number: l.number,
        etag: l.etag.clone(),
    }
    .into()
}

/// What completing an upload makes of its parts.
#[derive(Debug)]
pub struct Assembled {
    /// The object's ETag (`"<hex>-N"`).
    pub etag: String,
    /// Total bytes.
    pub size: u64,
    /// Part sizes, in order.
    pub part_sizes: Vec<u64>,
    /// The segments, in order.
    pub segments: Vec<Segment>,
    /// The algorithm's name and the object checksum.
    pub checksum: (String, String),
    /// `COMPOSITE` or `FULL_OBJECT`.
    pub checksum_type: String,
}

/// Checks the request against the upload's parts (AWS's order: part
/// order, then each part's existence and ETag, then checksums, then
/// sizes) and assembles the object.
pub fn assemble(
    upload: &Upload,
    input: &Value,
    listed: &[Listed],
    stored: &BTreeMap<u64, Part>,
) -> Result<Assembled, AwsError> {
    let id = upload.upload_id.as_str();
    if let Some(asked) = str_member(input, "ChecksumType") {
        let created = upload.checksum_type.as_deref().unwrap_or("null");
        if asked != created {
            return Err(invalid_request(format!(
                "The upload was created using the {created} checksum mode. The complete request must use the same checksum mode."
            )));
        }
    }
    if listed.windows(2).any(|w| w[0].number >= w[1].number) {
        return Err(S3Error::InvalidPartOrder {
            upload_id: id.into(),
        }
        .into());
    }
    let alg = upload.algorithm();
    let mut parts = Vec::with_capacity(listed.len());
    for l in listed {
        let part = stored
            .get(&l.number)
            .filter(|p| p.md5 == l.etag.trim().trim_matches('"'))
            .ok_or_else(|| invalid_part(id, l))?;
        if upload.checksum_algorithm.is_some() {
            match l.checksums.get(alg.member()) {
                None if upload.checksum_type.as_deref() == Some("COMPOSITE") => {
                    return Err(invalid_request(format!(
                        "The upload was created using a {} checksum. The complete request must include the checksum for each part. It was missing for part {} in the request.",
                        alg.name().to_ascii_lowercase(),
                        l.number
                    )));
                }
                Some(v) if *v != part.checksum => return Err(invalid_part(id, l)),
                _ => {}
            }
        }
        parts.push(part);
    }
    if let Some((l, p)) = listed
        .iter()
        .zip(&parts)
        .take(parts.len() - 1)
        .find(|(_, p)| p.size < MIN_PART_SIZE)
    {
        return Err(S3Error::EntityTooSmall {
            proposed: p.size,
            min: MIN_PART_SIZE,
            part_number: l.number,
            etag: p.etag(),
        }
        .into());
    }
    let size: u64 = parts.iter().map(|p| p.size).sum();
    if let Some(declared) = input.get("MpuObjectSize").and_then(Value::as_i64) {
        if declared < 0 || declared as u64 != size {
            return Err(invalid_request(format!(
                "The provided 'x-amz-mp-object-size' header value {declared} does not match what was computed: {size}"
            )));
        }
    }
    let md5s = parts
        .iter()
        .map(|p| {
            let mut m = [0u8; 16];
            hex::decode_to_slice(&p.md5, &mut m)
                .map_err(|_| AwsError::internal("stored part MD5 is not hex"))?;
            Ok(m)
        })
        .collect::<Result<Vec<[u8; 16]>, AwsError>>()?;
    let raw = |p: &Part| {
        checksum::decode_header_value(alg, &p.checksum)
            .map_err(|_| AwsError::internal("stored part checksum is invalid"))
    };
    let kind = upload.effective_type().to_string();
    let value = if kind == "COMPOSITE" {
        let digests = parts
            .iter()
            .map(|p| raw(p))
            .collect::<Result<Vec<_>, _>>()?;
        checksum::composite(alg, &digests)
    } else {
        let crcs = parts
            .iter()
            .map(|p| Ok((checksum::crc_from_raw(&raw(p)?).unwrap_or(0), p.size)))
            .collect::<Result<Vec<_>, AwsError>>()?;
        let crc = checksum::full_object_crc(alg, crcs)
            .ok_or_else(|| AwsError::internal("full-object checksum of a non-CRC"))?;
        checksum::to_base64(&checksum::crc_to_raw(alg, crc))
    };
    if let Some(expected) = str_member(input, alg.member()) {
        let expected = if kind == "COMPOSITE" && !expected.contains('-') {
            format!("{expected}-{}", parts.len())
        } else {
            expected.to_string()
        };
        if expected != value {
            return Err(S3Error::BadChecksum {
                algorithm: alg.name().into(),
            }
            .into());
        }
    }
    let mut segments = Vec::new();
    for p in &parts {
        match &p.data {
            DataRef::Files { segments: s } => segments.extend(s.iter().cloned()),
            DataRef::Empty => {}
            DataRef::Inline { .. } => {
                return Err(AwsError::internal("a part was stored inline"));
            }
        }
    }
    Ok(Assembled {
        etag: checksum::multipart_etag(&md5s),
        size,
        part_sizes: parts.iter().map(|p| p.size).collect(),
        segments,
        checksum: (alg.name().to_string(), value),
        checksum_type: kind,
    })
}

/// The object URL `Location` reports.
fn location(bucket: &str, region: &str, key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    format!(
        "https://{bucket}.s3.{region}.amazonaws.com/{}",
        percent_encoding::utf8_percent_encode(key, KEEP)
    )
}

impl S3Service {
    /// `CompleteMultipartUpload`.
    pub(crate) fn complete_multipart_upload(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "CompleteMultipartUpload", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default().to_string();
        let id = str_member(&input, "UploadId")
            .unwrap_or_default()
            .to_string();
        // A completed (or aborted) upload is gone: NoSuchUpload before
        // anything about the request's body.
        self.find_upload(&bucket, &input)?;
        let listed = listed_parts(&input)?;
        let urow = upload_row(&bucket, &key, &id);
        let okey = crate::object::object_key(&bucket, &key);
        let (uploads, parts_table) = (self.uploads_table(), self.parts_table());
        let (stored, released, versioned) = self.store.write(|txn| {
            // The versioning state as of the commit, not of the request.
            let entry = self.bucket_for_write(txn, ctx, &bucket)?;
            let upload: Upload = txn
                .get(&uploads, &urow)?
                .ok_or_else(|| no_such_upload(&id))?;
            let rows = txn.scan_prefix(&parts_table, &parts_prefix(&id))?;
            let parts: BTreeMap<u64, Part> =
                rows.iter().map(|(_, p)| (p.number, p.clone())).collect();
            let assembled = assemble(&upload, &input, &listed, &parts)?;
            let current = txn
                .get(&self.objects.current, &okey)?
                .filter(|c| !c.delete_marker);
            crate::conditions::check_put(&input, current.as_ref(), &key)?;
            // The upload and its part rows go; parts not listed are
            // released, listed ones now belong to the object.
            txn.delete(&uploads, &urow)?;
            let mut released = Released::default();
            for (row, part) in &rows {
                txn.delete(&parts_table, row)?;
                if !listed.iter().any(|l| l.number == part.number) {
                    released.extend(self.blobs.release(txn, &part.data)?);
                }
            }
            let version = ObjectVersion {
                version_id: None,
                seq: self.next_seq(ctx),
                delete_marker: false,
                last_modified_ms: ctx.clock.now_millis(),
                owner: entry.account_id.clone(),
                size: assembled.size,
                etag: assembled.etag,
                storage_class: upload.storage_class.clone(),
                content: upload.content.clone(),
                metadata: upload.metadata.clone(),
                tags: upload.tags.clone(),
                checksum: Some(assembled.checksum),
                checksum_type: Some(assembled.checksum_type),
                parts: assembled.part_sizes,
                acl: upload.acl.clone(),
                data: if assembled.segments.is_empty() {
                    DataRef::Empty
                } else {
                    DataRef::Files {
                        segments: assembled.segments,
                    }
                },
                sse: upload.sse.clone(),
                sse_s3: upload.sse_s3.clone(),
                ..ObjectVersion::default()
            };
            let (stored, change) = self.objects.put_current(
                txn,
                &self.blobs,
                entry.versioning.as_deref(),
                &bucket,
                &key,
                version,
            )?;
            released.extend(change.released);
            Ok::<_, AwsError>((stored, released, entry.versioning.is_some()))
        })?;
        self.blobs.unlink(released);
        self.notify(
            ctx,
            &bucket,
            &entry,
            &crate::notifications::ObjectEvent {
                name: "ObjectCreated:CompleteMultipartUpload",
                reason: "CompleteMultipartUpload",
                key: &key,
                size: Some(stored.size),
                etag: Some(stored.etag.trim_matches('"')),
                version_id: versioned.then(|| stored.version_id_str()),
                sequencer: stored.seq,
            },
        );
        let mut out = Map::new();
        out.insert(
            "Location".into(),
            json!(location(&bucket, &entry.region, &key)),
        );
        out.insert("Bucket".into(), json!(bucket));
        out.insert("Key".into(), json!(key));
        out.insert("ETag".into(), json!(stored.etag));
        if let (Some((alg, value)), Some(kind)) = (&stored.checksum, &stored.checksum_type) {
            if let Some(a) = ChecksumAlgorithm::from_name(alg) {
                out.insert(a.member().into(), json!(value));
                out.insert("ChecksumType".into(), json!(kind));
            }
        }
        crate::sse::headers(&mut out, stored.sse.as_ref());
        if versioned {
            out.insert("VersionId".into(), json!(stored.version_id_str()));
        }
        Ok(Value::Object(out))
    }
}
