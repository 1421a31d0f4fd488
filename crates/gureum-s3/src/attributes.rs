//! `GetObjectAttributes`: an object's metadata without its bytes, the
//! attributes named by `x-amz-object-attributes` (`ETag`, `Checksum`,
//! `ObjectParts`, `StorageClass`, `ObjectSize`). The ETag is unquoted here,
//! as S3 sends it in this operation; archived objects answer too (no bytes
//! are read).

use crate::checksum::ChecksumAlgorithm;
use crate::object::ObjectVersion;
use crate::objects::{no_such_key, no_such_version};
use crate::{str_member, S3Error, S3Service};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::{json, Map};

const ATTRIBUTES: [&str; 5] = [
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];

/// The attributes asked for; unknown names are refused.
fn wanted(input: &Value) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let items: Vec<String> = match input.get("ObjectAttributes") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|s| s.trim().to_string()).collect(),
        _ => Vec::new(),
    };
    for name in items.into_iter().filter(|s| !s.is_empty()) {
        if !ATTRIBUTES.contains(&name.as_str()) {
            return Err(S3Error::InvalidArgument {
                message: "Invalid attribute name specified.".into(),
                name: "x-amz-object-attributes".into(),
                value: name,
            }
            .into());
        }
        out.push(name);
    }
    if out.is_empty() {
        return Err(S3Error::InvalidRequest {
            message: "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty".into(),
        }
        .into());
    }
    Ok(out)
}

/// The parts summary of a multipart object, one page of `max` parts after
/// `marker`; `None` for an object that was not uploaded in parts.
fn parts_summary(v: &ObjectVersion, max: u64, marker: u64) -> Option<Value> {
    if v.parts.is_empty() {
        return None;
    }
    let total = v.parts.len() as u64;
    let page: Vec<Value> = v
        .parts
        .iter()
        .enumerate()
        .map(|(i, size)| (i as u64 + 1, *size))
        .filter(|(n, _)| *n > marker)
        .take(max as usize)
        .map(|(n, size)| json!({ "PartNumber": n, "Size": size }))
        .collect();
    let last = page
        .last()
        .and_then(|p| p["PartNumber"].as_u64())
        .unwrap_or(marker);
    let truncated = last < total;
    let mut out = json!({
        "TotalPartsCount": total,
        "PartNumberMarker": marker,
        "MaxParts": max,
        "IsTruncated": truncated,
        "Parts": page,
    });
    if truncated {
        out["NextPartNumberMarker"] = json!(last);
    }
    Some(out)
}

impl S3Service {
    /// `GetObjectAttributes`.
    pub(crate) fn get_object_attributes(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, entry) = self.own_bucket(ctx, "GetObjectAttributes", &input)?;
        crate::unsupported::refuse_unimplemented(&input)?;
        let key = str_member(&input, "Key").unwrap_or_default();
        let attrs = wanted(&input)?;
        let v = match str_member(&input, "VersionId") {
            Some(vid) => {
                let (_, v) = self
                    .objects
                    .find_version(None, &bucket, key, vid)?
                    .ok_or_else(|| no_such_version(key, vid))?;
                if v.delete_marker {
                    return Err(crate::objects::delete_marker_by_version(&v, "GET"));
                }
                v
            }
            None => {
                let okey = crate::object::object_key(&bucket, key);
                match self.objects.current.get(&okey)? {
                    Some(v) if v.delete_marker => {
                        return Err(no_such_key(key)
                            .with_header("x-amz-delete-marker", "true")
                            .with_header("x-amz-version-id", v.version_id_str()))
                    }
                    Some(v) => v,
                    None => return Err(no_such_key(key)),
                }
            }
        };
        let mut out = Map::new();
        out.insert("LastModified".into(), json!(v.last_modified_ms / 1000));
        if entry.versioning.is_some() {
            out.insert("VersionId".into(), json!(v.version_id_str()));
        }
        for a in &attrs {
            match a.as_str() {
                "ETag" => {
                    out.insert("ETag".into(), json!(v.etag.trim_matches('"')));
                }
                "StorageClass" => {
                    out.insert("StorageClass".into(), json!(v.storage_class));
                }
                "ObjectSize" => {
                    out.insert("ObjectSize".into(), json!(v.size));
                }
                "Checksum" => {
                    if let Some((alg, value)) = &v.checksum {
                        if let Some(a) = ChecksumAlgorithm::from_name(alg) {
                            let mut c = Map::new();
                            c.insert(a.member().into(), json!(value));
                            if let Some(t) = &v.checksum_type {
                                c.insert("ChecksumType".into(), json!(t));
                            }
                            out.insert("Checksum".into(), Value::Object(c));
                        }
                    }
                }
                "ObjectParts" => {
                    let max = input
                        .get("MaxParts")
                        .and_then(Value::as_u64)
                        .unwrap_or(1000)
                        .min(1000);
                    let marker = input
                        .get("PartNumberMarker")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                    if let Some(p) = parts_summary(&v, max, marker) {
                        out.insert("ObjectParts".into(), p);
                    }
                }
                _ => {}
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_must_be_known() {
        let e = wanted(&json!({"ObjectAttributes": ["ETag", "Colour"]})).expect_err("unknown");
        assert_eq!((e.code.as_str(), e.status), ("InvalidArgument", 400));
        assert_eq!(
            wanted(&json!({"ObjectAttributes": ["ETag,ObjectSize"]})).expect("ok"),
            vec!["ETag", "ObjectSize"]
        );
        assert_eq!(wanted(&json!({})).expect_err("none").code, "InvalidRequest");
    }

    #[test]
    fn parts_summary_pages_after_the_marker() {
        let v = ObjectVersion {
            parts: vec![5, 5, 3],
            ..ObjectVersion::default()
        };
        let p = parts_summary(&v, 2, 0).expect("multipart");
        assert_eq!(p["TotalPartsCount"], 3);
        assert_eq!(p["IsTruncated"], true);
        assert_eq!(p["NextPartNumberMarker"], 2);
        let p = parts_summary(&v, 2, 2).expect("multipart");
        assert_eq!(p["Parts"][0]["PartNumber"], 3);
        assert_eq!(p["Parts"][0]["Size"], 3);
        assert_eq!(p["IsTruncated"], false);
        assert!(parts_summary(&ObjectVersion::default(), 10, 0).is_none());
    }
}
