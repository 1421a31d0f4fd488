//! How an [`ObjectVersion`] is stored: a binary record, because every GET,
//! HEAD and PUT decodes one (as JSON that was ~22k instructions a GET;
//! this is a few hundred plus the strings' allocations).
//!
//! Format 1, field by field in the order of [`ObjectVersion`]'s
//! declaration, with gureum_store's [`Encoder`] primitives:
//!
//! ```text
//! 0x01                         format
//! opt_str version_id           u64 seq      bool delete_marker
//! i64 last_modified_ms         str owner    u64 size
//! str etag                     str storage_class
//! content:  n, n × (str name, tag 0 str | tag 1 str JSON text)
//! metadata: n, n × (str, str)  tags: n, n × (str, str)
//! checksum: 0 | 1 str algorithm str value
//! opt_str checksum_type        parts: n, n × u64
//! restore:  0 | 1 i64 ready_at_ms i64 expires_at_ms
//! acl:      0 | 1 str JSON text
//! data:     0 empty | 1 str inline id | 2 n, n × (str blob, u64 len)
//! ```
//!
//! Format 2 (an SSE-KMS object) is format 1 followed by
//!
//! ```text
//! str key_arn  str wrapped_key  opt_str context  bool bucket_key
//! ```
//!
//! so an object without SSE-KMS is still written (and read) as format 1.
//!
//! Format 3 (an SSE-S3 object) is format 1 followed by
//!
//! ```text
//! str sealed_key
//! ```
//!
//! A record that starts with `{` is the JSON this table held before the
//! binary format, and decodes as JSON. A new field means a new format,
//! with the older ones still read.

use crate::object::{Acl, ObjectVersion, Restore};
use crate::storage::{DataRef, Segment};
use gureum_store::codec::{BinaryError, Decoder, Encoder};
use gureum_store::{Codec, CodecError};
use std::collections::BTreeMap;

/// The first byte of a format-1 record.
const FORMAT_1: u8 = 1;
/// The first byte of a format-2 record (format 1 and SSE-KMS).
const FORMAT_2: u8 = 2;

/// The first byte of a format-3 record (format 1 and SSE-S3).
const FORMAT_3: u8 = 3;

/// The codec of `s3.objects` and `s3.versions`.
#[derive(Clone, Copy, Debug)]
pub struct VersionCodec;

impl Codec<ObjectVersion> for VersionCodec {
    fn encode(v: &ObjectVersion) -> Result<Vec<u8>, CodecError> {
        let mut e = Encoder::with_capacity(128);
        e.byte(match (&v.sse, &v.sse_s3) {
            (Some(_), _) => FORMAT_2,
            (None, Some(_)) => FORMAT_3,
            (None, None) => FORMAT_1,
        });
        e.opt_str(v.version_id.as_deref());
        e.u64(v.seq);
        e.bool(v.delete_marker);
        e.i64(v.last_modified_ms);
        e.str(&v.owner);
        e.u64(v.size);
        e.str(&v.etag);
        e.str(&v.storage_class);
        e.length(v.content.len());
        for (name, value) in &v.content {
            e.str(name);
            match value {
                serde_json::Value::String(s) => {
                    e.byte(0);
                    e.str(s);
                }
                other => {
                    e.byte(1);
                    e.str(&other.to_string());
                }
            }
        }
        pairs(&mut e, v.metadata.iter());
        pairs(&mut e, v.tags.iter().map(|(k, v)| (k, v)));
        match &v.checksum {
            None => e.byte(0),
            Some((algorithm, value)) => {
                e.byte(1);
                e.str(algorithm);
                e.str(value);
            }
        }
        e.opt_str(v.checksum_type.as_deref());
        e.length(v.parts.len());
        for &p in &v.parts {
            e.u64(p);
        }
        match &v.restore {
            None => e.byte(0),
            Some(r) => {
                e.byte(1);
                e.i64(r.ready_at_ms);
                e.i64(r.expires_at_ms);
            }
        }
        match &v.acl {
            None => e.byte(0),
            Some(acl) => {
                e.byte(1);
                e.str(&serde_json::to_string(acl)?);
            }
        }
        match &v.data {
            DataRef::Empty => e.byte(0),
            DataRef::Inline { id } => {
                e.byte(1);
                e.str(id);
            }
            DataRef::Files { segments } => {
                e.byte(2);
                e.length(segments.len());
                for s in segments {
                    e.str(&s.blob);
                    e.u64(s.len);
                }
            }
        }
        if let Some(sse) = &v.sse {
            e.str(&sse.key_arn);
            e.str(&sse.wrapped_key);
            e.opt_str(sse.context.as_deref());
            e.bool(sse.bucket_key);
        } else if let Some(sse) = &v.sse_s3 {
            e.str(&sse.sealed_key);
        }
        Ok(e.finish())
    }

    fn decode(bytes: &[u8]) -> Result<ObjectVersion, CodecError> {
        match bytes.first() {
            Some(b'{') => Ok(serde_json::from_slice(bytes)?),
            Some(&f @ (FORMAT_1 | FORMAT_2 | FORMAT_3)) => {
                Ok(decode_format_1(Decoder::new(&bytes[1..]), f)?)
            }
            Some(&other) => Err(Box::new(BinaryError::UnknownTag(other))),
            None => Err(Box::new(BinaryError::Truncated)),
        }
    }
}

fn pairs<'a>(e: &mut Encoder, items: impl ExactSizeIterator<Item = (&'a String, &'a String)>) {
    e.length(items.len());
    for (k, v) in items {
        e.str(k);
        e.str(v);
    }
}

/// Format 1, and the SSE-KMS fields format 2 adds or the SSE-S3 one
/// format 3 adds.
fn decode_format_1(mut d: Decoder<'_>, format: u8) -> Result<ObjectVersion, CodecError> {
    let version_id = d.opt_str()?.map(str::to_string);
    let seq = d.u64()?;
    let delete_marker = d.bool()?;
    let last_modified_ms = d.i64()?;
    let owner = d.str()?.to_string();
    let size = d.u64()?;
    let etag = d.str()?.to_string();
    let storage_class = d.str()?.to_string();
    let mut content = BTreeMap::new();
    for _ in 0..d.length()? {
        let name = d.str()?.to_string();
        let value = match d.byte()? {
            0 => serde_json::Value::String(d.str()?.to_string()),
            1 => serde_json::from_str(d.str()?)?,
            t => return Err(Box::new(BinaryError::UnknownTag(t))),
        };
        content.insert(name, value);
    }
    let mut metadata = BTreeMap::new();
    for _ in 0..d.length()? {
        metadata.insert(d.str()?.to_string(), d.str()?.to_string());
    }
    let n = d.length()?;
    let mut tags = Vec::with_capacity(n);
    for _ in 0..n {
        tags.push((d.str()?.to_string(), d.str()?.to_string()));
    }
    let checksum = match d.byte()? {
        0 => None,
        1 => Some((d.str()?.to_string(), d.str()?.to_string())),
        t => return Err(Box::new(BinaryError::UnknownTag(t))),
    };
    let checksum_type = d.opt_str()?.map(str::to_string);
    let n = d.length()?;
    let mut parts = Vec::with_capacity(n);
    for _ in 0..n {
        parts.push(d.u64()?);
    }
    let restore = match d.byte()? {
        0 => None,
        1 => Some(Restore {
            ready_at_ms: d.i64()?,
            expires_at_ms: d.i64()?,
        }),
        t => return Err(Box::new(BinaryError::UnknownTag(t))),
    };
    let acl: Option<Acl> = match d.byte()? {
        0 => None,
        1 => Some(serde_json::from_str(d.str()?)?),
        t => return Err(Box::new(BinaryError::UnknownTag(t))),
    };
    let data = match d.byte()? {
        0 => DataRef::Empty,
        1 => DataRef::Inline {
            id: d.str()?.to_string(),
        },
        2 => {
            let n = d.length()?;
            let mut segments = Vec::with_capacity(n);
            for _ in 0..n {
                segments.push(Segment {
                    blob: d.str()?.to_string(),
                    len: d.u64()?,
                });
            }
            DataRef::Files { segments }
        }
        t => return Err(Box::new(BinaryError::UnknownTag(t))),
    };
    let sse = if format == FORMAT_2 {
        Some(crate::sse::SseKms {
            key_arn: d.str()?.to_string(),
            wrapped_key: d.str()?.to_string(),
            context: d.opt_str()?.map(str::to_string),
            bucket_key: d.bool()?,
        })
    } else {
        None
    };
    let sse_s3 = if format == FORMAT_3 {
        Some(crate::sse_s3::SseS3 {
            sealed_key: d.str()?.to_string(),
        })
    } else {
        None
    };
    d.finish()?;
    Ok(ObjectVersion {
        version_id,
        seq,
        delete_marker,
        last_modified_ms,
        owner,
        size,
        etag,
        storage_class,
        content,
        metadata,
        tags,
        checksum,
        checksum_type,
        parts,
        restore,
        acl,
        data,
        sse,
        sse_s3,
    })
}

#[cfg(test)]
#[path = "version_codec_tests.rs"]
mod tests;
