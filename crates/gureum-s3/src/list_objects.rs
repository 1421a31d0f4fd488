//! `ListObjects`, `ListObjectsV2`, `ListObjectVersions`: parameters and
//! responses around the [`crate::listing`] engine.

use crate::listing::{
    self, Entry, MarkerError, Query, Start, VersionEntry, VersionStart, MAX_KEYS_LIMIT,
};
use crate::object::ObjectVersion;
use crate::{canonical_user_id, str_member, S3Error, S3Service};
use base64::Engine as _;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::{json, Map};

fn invalid_argument(message: &str, name: &str, value: &str) -> AwsError {
    S3Error::InvalidArgument {
        message: message.into(),
        name: name.into(),
        value: value.into(),
    }
    .into()
}

/// A key as `encoding-type=url` sends it: S3 leaves unreserved characters
/// and `/` alone, writes a space as `+`, and percent-encodes every other
/// byte of the UTF-8 (`a+b` → `a%2Bb`, `한` → `%ED%95%9C`).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The parameters every listing shares.
struct Common {
    prefix: String,
    delimiter: Option<String>,
    /// As asked (echoed), and as used.
    max_keys_asked: i64,
    max_keys: usize,
    url: bool,
    restore_status: bool,
}

impl Common {
    fn parse(input: &Value) -> Result<Common, AwsError> {
        let url = match str_member(input, "EncodingType") {
            None => false,
            Some("url") => true,
            Some(other) => {
                return Err(invalid_argument(
                    "Invalid Encoding Method specified in Request",
                    "encoding-type",
                    other,
                ))
            }
        };
        let max_keys_asked = input
            .get("MaxKeys")
            .and_then(Value::as_i64)
            .unwrap_or(MAX_KEYS_LIMIT as i64);
        if max_keys_asked < 0 {
            return Err(invalid_argument(
                "Argument maxKeys must be an integer between 0 and 2147483647",
                "maxKeys",
                &max_keys_asked.to_string(),
            ));
        }
        let restore_status = input
            .get("OptionalObjectAttributes")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("RestoreStatus")));
        Ok(Common {
            prefix: str_member(input, "Prefix").unwrap_or_default().to_string(),
            delimiter: str_member(input, "Delimiter")
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            max_keys_asked,
            max_keys: (max_keys_asked as usize).min(MAX_KEYS_LIMIT),
            url,
            restore_status,
        })
    }

    fn query(&self, start: Start) -> Query {
        Query {
            prefix: self.prefix.clone(),
            delimiter: self.delimiter.clone(),
            max_keys: self.max_keys,
            start,
            budget: listing::SCAN_BUDGET,
        }
    }

    fn enc(&self, s: &str) -> Value {
        if self.url {
            json!(url_encode(s))
        } else {
            json!(s)
        }
    }

    /// `Name`, `Prefix`, `Delimiter`, `MaxKeys`, `EncodingType`.
    fn head(&self, bucket: &str) -> Map<String, Value> {
        let mut out = Map::new();
        out.insert("Name".into(), json!(bucket));
        out.insert("Prefix".into(), self.enc(&self.prefix));
        if let Some(d) = &self.delimiter {
            out.insert("Delimiter".into(), self.enc(d));
        }
        out.insert("MaxKeys".into(), json!(self.max_keys_asked));
        if self.url {
            out.insert("EncodingType".into(), json!("url"));
        }
        out
    }
}

fn owner(account_id: &str) -> Value {
    json!({ "ID": canonical_user_id(account_id) })
}

fn last_modified(ms: i64) -> Value {
    if ms % 1000 == 0 {
        json!(ms / 1000)
    } else {
        json!(ms as f64 / 1000.0)
    }
}

/// `RestoreStatus` of an archived object with a restore, as of `now_ms`.
fn restore_status(v: &ObjectVersion, now_ms: i64) -> Option<Value> {
    let r = v.restore.as_ref()?;
    if now_ms < r.ready_at_ms {
        Some(json!({ "IsRestoreInProgress": true }))
    } else if now_ms < r.expires_at_ms {
        Some(json!({
            "IsRestoreInProgress": false,
            "RestoreExpiryDate": last_modified(r.expires_at_ms),
        }))
    } else {
        None
    }
}

/// The members an object and an object version share.
fn object_members(
    c: &Common,
    key: &str,
    v: &ObjectVersion,
    with_owner: bool,
    now_ms: i64,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("Key".into(), c.enc(key));
    o.insert("LastModified".into(), last_modified(v.last_modified_ms));
    o.insert("ETag".into(), json!(v.etag));
    if let Some((alg, _)) = &v.checksum {
        o.insert("ChecksumAlgorithm".into(), json!([alg]));
        if let Some(t) = &v.checksum_type {
            o.insert("ChecksumType".into(), json!(t));
        }
    }
    o.insert("Size".into(), json!(v.size));
    o.insert(
        "StorageClass".into(),
        json!(if v.storage_class.is_empty() {
            "STANDARD"
        } else {
            v.storage_class.as_str()
        }),
    );
    if with_owner {
        o.insert("Owner".into(), owner(&v.owner));
    }
    if c.restore_status {
        if let Some(r) = restore_status(v, now_ms) {
            o.insert("RestoreStatus".into(), r);
        }
    }
    o
}

/// Splits a page into `Contents` and `CommonPrefixes`.
fn contents(
    c: &Common,
    entries: &[Entry],
    with_owner: bool,
    now_ms: i64,
    out: &mut Map<String, Value>,
) {
    let mut objects = Vec::new();
    let mut prefixes = Vec::new();
    for e in entries {
        match e {
            Entry::Object { key, version } => objects.push(Value::Object(object_members(
                c, key, version, with_owner, now_ms,
            ))),
            Entry::Prefix(p) => prefixes.push(json!({ "Prefix": c.enc(p) })),
        }
    }
    if !objects.is_empty() {
        out.insert("Contents".into(), Value::Array(objects));
    }
    if !prefixes.is_empty() {
        out.insert("CommonPrefixes".into(), Value::Array(prefixes));
    }
}

/// A continuation token: opaque to clients, a listing position to us.
pub fn encode_token(start: &Start) -> String {
    let raw = match start {
        Start::Beginning => "1b".to_string(),
        Start::After(k) => format!("1a{k}"),
        Start::Resume(k) => format!("1r{k}"),
    };
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The position a continuation token names.
pub fn decode_token(token: &str) -> Result<Start, AwsError> {
    let bad = || {
        invalid_argument(
            "The continuation token provided is incorrect",
            "continuation-token",
            token,
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    let rest = s.strip_prefix('1').ok_or_else(bad)?;
    if let Some(k) = rest.strip_prefix('a') {
        Ok(Start::After(k.to_string()))
    } else if let Some(k) = rest.strip_prefix('r') {
        Ok(Start::Resume(k.to_string()))
    } else if rest == "b" {
        Ok(Start::Beginning)
    } else {
        Err(bad())
    }
}

impl S3Service {
    /// `ListObjectsV2`.
    pub(crate) fn list_objects_v2(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, _) = self.own_bucket(ctx, "ListObjectsV2", &input)?;
        let c = Common::parse(&input)?;
        let token = str_member(&input, "ContinuationToken");
        let start_after = str_member(&input, "StartAfter").filter(|s| !s.is_empty());
        let start = match (token, start_after) {
            (Some(t), _) => decode_token(t)?,
            (None, Some(s)) => Start::After(s.to_string()),
            (None, None) => Start::Beginning,
        };
        let fetch_owner = input
            .get("FetchOwner")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let snap = self.store.snapshot()?;
        let page = listing::list_current(&snap, &self.objects, &bucket, &c.query(start))?;
        let mut out = c.head(&bucket);
        let now = ctx.clock.now_millis();
        contents(&c, &page.entries, fetch_owner, now, &mut out);
        out.insert("KeyCount".into(), json!(page.entries.len()));
        out.insert("IsTruncated".into(), json!(page.truncated));
        if let Some(t) = token {
            out.insert("ContinuationToken".into(), json!(t));
        } else if let Some(s) = start_after {
            out.insert("StartAfter".into(), c.enc(s));
        }
        if let Some(next) = page.next.as_ref().filter(|_| page.truncated) {
            out.insert("NextContinuationToken".into(), json!(encode_token(next)));
        }
        Ok(Value::Object(out))
    }

    /// `ListObjects` (version 1): `Marker`, and `NextMarker` only with a
    /// delimiter (clients page on the last key otherwise); owners always.
    pub(crate) fn list_objects(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, _) = self.own_bucket(ctx, "ListObjects", &input)?;
        let c = Common::parse(&input)?;
        let marker = str_member(&input, "Marker").unwrap_or_default();
        let start = if marker.is_empty() {
            Start::Beginning
        } else {
            Start::After(marker.to_string())
        };
        let snap = self.store.snapshot()?;
        let page = listing::list_current(&snap, &self.objects, &bucket, &c.query(start))?;
        let mut out = c.head(&bucket);
        out.insert("Marker".into(), c.enc(marker));
        out.insert("IsTruncated".into(), json!(page.truncated));
        if page.truncated {
            let last = page.entries.last().map(|e| e.position().to_string());
            match (&page.next, last) {
                // A page cut short by delete markers: the scan position,
                // since the client has no last key to page on.
                (Some(Start::Resume(k)), None) => {
                    out.insert("NextMarker".into(), c.enc(k));
                }
                (_, Some(last)) if c.delimiter.is_some() => {
                    out.insert("NextMarker".into(), c.enc(&last));
                }
                _ => {}
            }
        }
        contents(&c, &page.entries, true, ctx.clock.now_millis(), &mut out);
        Ok(Value::Object(out))
    }

    /// `ListObjectVersions`.
    pub(crate) fn list_object_versions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (bucket, _) = self.own_bucket(ctx, "ListObjectVersions", &input)?;
        let c = Common::parse(&input)?;
        let key_marker = str_member(&input, "KeyMarker").unwrap_or_default();
        let vid_marker = str_member(&input, "VersionIdMarker").unwrap_or_default();
        if !vid_marker.is_empty() && key_marker.is_empty() {
            return Err(invalid_argument(
                "A version-id marker cannot be specified without a key marker.",
                "version-id-marker",
                vid_marker,
            ));
        }
        let start = VersionStart {
            key_marker: (!key_marker.is_empty()).then(|| key_marker.to_string()),
            version_id: (!vid_marker.is_empty()).then(|| vid_marker.to_string()),
        };
        let snap = self.store.snapshot()?;
        let page = match listing::list_versions(
            &snap,
            &self.objects,
            &bucket,
            &c.query(Start::Beginning),
            &start,
        )? {
            Ok(p) => p,
            Err(MarkerError::NoSuchVersion) => {
                return Err(invalid_argument(
                    "Invalid version id specified",
                    "version-id-marker",
                    vid_marker,
                ))
            }
        };
        let now = ctx.clock.now_millis();
        let mut out = c.head(&bucket);
        out.insert("KeyMarker".into(), c.enc(key_marker));
        out.insert("VersionIdMarker".into(), json!(vid_marker));
        out.insert("IsTruncated".into(), json!(page.truncated));
        if page.truncated {
            match page.entries.last() {
                Some(VersionEntry::Version { key, version, .. }) => {
                    out.insert("NextKeyMarker".into(), c.enc(key));
                    out.insert(
                        "NextVersionIdMarker".into(),
                        json!(version.version_id_str()),
                    );
                }
                Some(VersionEntry::Prefix(p)) => {
                    out.insert("NextKeyMarker".into(), c.enc(p));
                }
                None => {}
            }
        }
        let mut versions = Vec::new();
        let mut markers = Vec::new();
        let mut prefixes = Vec::new();
        // S3 writes versions and delete markers in one sequence, key order
        // then newest first; the serializer interleaves them by this list.
        let mut order = Vec::new();
        for e in &page.entries {
            match e {
                VersionEntry::Version { version, .. } if version.delete_marker => {
                    order.push(json!("DeleteMarkers"));
                }
                VersionEntry::Version { .. } => order.push(json!("Versions")),
                VersionEntry::Prefix(_) => {}
            }
            match e {
                VersionEntry::Version {
                    key,
                    is_latest,
                    version,
                } if version.delete_marker => markers.push(json!({
                    "Owner": owner(&version.owner),
                    "Key": c.enc(key),
                    "VersionId": version.version_id_str(),
                    "IsLatest": is_latest,
                    "LastModified": last_modified(version.last_modified_ms),
                })),
                VersionEntry::Version {
                    key,
                    is_latest,
                    version,
                } => {
                    let mut o = object_members(&c, key, version, true, now);
                    o.insert("VersionId".into(), json!(version.version_id_str()));
                    o.insert("IsLatest".into(), json!(is_latest));
                    versions.push(Value::Object(o));
                }
                VersionEntry::Prefix(p) => prefixes.push(json!({ "Prefix": c.enc(p) })),
            }
        }
        if !versions.is_empty() {
            out.insert("Versions".into(), Value::Array(versions));
        }
        if !markers.is_empty() {
            out.insert("DeleteMarkers".into(), Value::Array(markers));
        }
        if !order.is_empty() {
            out.insert(gureum_core::member::XML_ORDER.into(), Value::Array(order));
        }
        if !prefixes.is_empty() {
            out.insert("CommonPrefixes".into(), Value::Array(prefixes));
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
#[path = "list_objects_tests.rs"]
mod tests;
