//! `ListParts` and `ListMultipartUploads`, paginated as S3 does.

use super::{part_row, parts_prefix, Upload};
use crate::checksum::ChecksumAlgorithm;
use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::{json, Map};

/// Most entries one page lists.
const PAGE_MAX: i64 = 1000;

fn invalid_max(name: &str, value: i64) -> AwsError {
    S3Error::InvalidArgument {
        message: format!("Argument {name} must be an integer between 0 and 2147483647"),
        name: name.into(),
        value: value.to_string(),
    }
    .into()
}

/// A page size: `default` when absent, at most 1,000, never negative.
pub fn page_size(input: &Value, member: &str, param: &str) -> Result<usize, AwsError> {
    match input.get(member).and_then(Value::as_i64) {
        None => Ok(PAGE_MAX as usize),
        Some(n) if n < 0 => Err(invalid_max(param, n)),
        Some(n) => Ok(n.min(PAGE_MAX) as usize),
    }
}

fn owner(account: &str) -> Value {
    json!({ "ID": crate::canonical_user_id(account) })
}

fn initiator(u: &Upload) -> Value {
    let mut i = Map::new();
    i.insert("ID".into(), json!(u.initiator_id));
    if let Some(n) = &u.initiator_name {
        i.insert("DisplayName".into(), json!(n));
    }
    Value::Object(i)
}

/// `encoding-type=url`: keys percent-encoded as S3 does (`/` kept).
fn url_encode(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

impl S3Service {
    /// `ListParts`.
    pub(crate) fn list_parts(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "ListParts", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let upload = self.find_upload(&bucket, &input)?;
        let max = page_size(&input, "MaxParts", "max-parts")?;
        let marker = input
            .get("PartNumberMarker")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(0) as u64;
        let id = &upload.upload_id;
        let after = part_row(id, marker.min(99_999));
        let mut rows =
            self.parts_table()
                .scan_prefix_after(&parts_prefix(id), Some(&after), max + 1)?;
        let truncated = rows.len() > max;
        rows.truncate(max);
        let alg = upload.algorithm();
        let parts: Vec<Value> = rows
            .iter()
            .map(|(_, p)| {
                let mut o = Map::new();
                o.insert("PartNumber".into(), json!(p.number));
                o.insert("LastModified".into(), json!(p.last_modified_ms / 1000));
                o.insert("ETag".into(), json!(p.etag()));
                o.insert("Size".into(), json!(p.size));
                o.insert(alg.member().into(), json!(p.checksum));
                Value::Object(o)
            })
            .collect();
        let mut out = Map::new();
        out.insert("Bucket".into(), json!(bucket));
        out.insert("Key".into(), json!(upload.key));
        out.insert("UploadId".into(), json!(id));
        out.insert("PartNumberMarker".into(), json!(marker));
        if let Some((_, last)) = rows.last() {
            out.insert("NextPartNumberMarker".into(), json!(last.number));
        }
        out.insert("MaxParts".into(), json!(max));
        out.insert("IsTruncated".into(), json!(truncated));
        if !parts.is_empty() {
            out.insert("Parts".into(), Value::Array(parts));
        }
        out.insert("Initiator".into(), initiator(&upload));
        out.insert("Owner".into(), owner(&entry.account_id));
        out.insert("StorageClass".into(), json!(upload.storage_class));
        if let (Some(a), Some(t)) = (&upload.checksum_algorithm, &upload.checksum_type) {
            out.insert("ChecksumAlgorithm".into(), json!(a));
            out.insert("ChecksumType".into(), json!(t));
        }
        Ok(Value::Object(out))
    }

    /// `ListMultipartUploads`: uploads in key order (a key's uploads in
    /// upload-id order), rolled up into `CommonPrefixes` by `Delimiter`,
    /// resumed after `KeyMarker` (and, for that key, `UploadIdMarker`).
    pub(crate) fn list_multipart_uploads(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, _) = self.own_bucket(ctx, "ListMultipartUploads", &input)?;
        let max = page_size(&input, "MaxUploads", "max-uploads")?;
        let encode = match str_member(&input, "EncodingType") {
            None => false,
            Some("url") => true,
            Some(_) => {
                return Err(S3Error::InvalidArgumentName {
                    message: "Invalid Encoding Method specified in Request".into(),
                    name: "encoding-type".into(),
                }
                .into())
            }
        };
        let prefix = str_member(&input, "Prefix").unwrap_or_default();
        let delimiter = str_member(&input, "Delimiter").filter(|d| !d.is_empty());
        let key_marker = str_member(&input, "KeyMarker").filter(|k| !k.is_empty());
        let id_marker = str_member(&input, "UploadIdMarker").filter(|_| key_marker.is_some());
        let row_prefix = format!("{bucket}/{prefix}");
        let rollup = |key: &str| -> Option<String> {
            let d = delimiter?;
            let rest = key.strip_prefix(prefix)?;
            rest.find(d)
                .map(|i| format!("{prefix}{}", &rest[..i + d.len()]))
        };
        // Where to resume: after the marker's upload, or after all of the
        // marker key's uploads (a marker that is a common prefix skips
        // everything under it).
        let mut after: Option<String> = key_marker.map(|k| match (id_marker, rollup(k)) {
            (_, Some(cp)) if cp == k => format!("{bucket}/{cp}\u{10ffff}"),
            (Some(id), _) => format!("{bucket}/{k}\0{id}"),
            (None, _) => format!("{bucket}/{k}\0\u{7f}"),
        });
        let mut uploads = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut last: Option<(String, Option<String>)> = None;
        let mut truncated = false;
        let table = self.uploads_table();
        'pages: loop {
            let batch = table.scan_prefix_after(&row_prefix, after.as_deref(), 1000)?;
            let exhausted = batch.len() < 1000;
            for (row, u) in batch {
                after = Some(row);
                let entry_cp = rollup(&u.key);
                if let Some(cp) = &entry_cp {
                    if prefixes.last() == Some(cp) {
                        continue;
                    }
                }
                if uploads.len() + prefixes.len() >= max {
                    truncated = true;
                    break 'pages;
                }
                match entry_cp {
                    Some(cp) => {
                        // Skip the rest of this prefix's rows.
                        after = Some(format!("{bucket}/{cp}\u{10ffff}"));
                        last = Some((cp.clone(), None));
                        prefixes.push(cp);
                        continue 'pages;
                    }
                    None => {
                        last = Some((u.key.clone(), Some(u.upload_id.clone())));
                        uploads.push(u);
                    }
                }
            }
            if exhausted {
                break;
            }
        }
        let enc = |s: &str| if encode { url_encode(s) } else { s.to_string() };
        let mut out = Map::new();
        out.insert("Bucket".into(), json!(bucket));
        out.insert(
            "KeyMarker".into(),
            json!(enc(key_marker.unwrap_or_default())),
        );
        out.insert(
            "UploadIdMarker".into(),
            json!(id_marker.unwrap_or_default()),
        );
        if truncated {
            if let Some((k, id)) = &last {
                out.insert("NextKeyMarker".into(), json!(enc(k)));
                out.insert(
                    "NextUploadIdMarker".into(),
                    json!(id.clone().unwrap_or_default()),
                );
            }
        }
        if !prefix.is_empty() {
            out.insert("Prefix".into(), json!(enc(prefix)));
        }
        if let Some(d) = delimiter {
            out.insert("Delimiter".into(), json!(enc(d)));
        }
        out.insert("MaxUploads".into(), json!(max));
        out.insert("IsTruncated".into(), json!(truncated));
        if !uploads.is_empty() {
            let list: Vec<Value> = uploads
                .iter()
                .map(|u| {
                    let mut o = Map::new();
                    o.insert("UploadId".into(), json!(u.upload_id));
                    o.insert("Key".into(), json!(enc(&u.key)));
                    o.insert("Initiated".into(), json!(u.initiated_ms / 1000));
                    o.insert("StorageClass".into(), json!(u.storage_class));
                    o.insert("Owner".into(), owner(&u.owner));
                    o.insert("Initiator".into(), initiator(u));
                    if let (Some(a), Some(t)) = (&u.checksum_algorithm, &u.checksum_type) {
                        if let Some(a) = ChecksumAlgorithm::from_name(a) {
                            o.insert("ChecksumAlgorithm".into(), json!(a.name()));
                        }
                        o.insert("ChecksumType".into(), json!(t));
                    }
                    Value::Object(o)
                })
                .collect();
            out.insert("Uploads".into(), Value::Array(list));
        }
        if !prefixes.is_empty() {
            let list: Vec<Value> = prefixes
                .iter()
                .map(|p| json!({ "Prefix": enc(p) }))
                .collect();
            out.insert("CommonPrefixes".into(), Value::Array(list));
        }
        if encode {
            out.insert("EncodingType".into(), json!("url"));
        }
        Ok(Value::Object(out))
    }
}
