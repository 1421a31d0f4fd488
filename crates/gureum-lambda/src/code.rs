//! Function code: the zip kept in the store (`lambda.code`, keyed by the
//! function and the zip's SHA-256), extracted with the host's `unzip` into
//! Gureum's working directory when an environment needs it.

use crate::errors::LambdaError;
use base64::Engine;
use gureum_core::{AwsError, Value};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// AWS's limit on a zip uploaded directly (50 MB).
pub const MAX_ZIPPED: usize = 50 * 1024 * 1024;
/// AWS's limit on the code unzipped (250 MB).
pub const MAX_UNZIPPED: u64 = 262_144_000;

/// A decoded upload.
pub struct Upload {
    /// The zip.
    pub bytes: Vec<u8>,
    /// Hex SHA-256 (the storage key).
    pub sha_hex: String,
    /// Base64 SHA-256 (`CodeSha256`).
    pub sha_base64: String,
    /// A host directory the code is read from on every invoke (the
    /// `hot-reload` bucket convention), instead of a zip.
    pub host_dir: Option<String>,
}

/// The bucket name that means "the key is a host directory": code read
/// in place and re-read when it changes (the convention other emulators
/// use for a local development loop).
pub const HOT_RELOAD_BUCKET: &str = "hot-reload";

/// A fingerprint of the files under `dir` (newest modification and
/// count), so that a change starts a fresh environment.
pub fn fingerprint(dir: &std::path::Path) -> String {
    fn walk(dir: &std::path::Path, newest: &mut u128, count: &mut u64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                walk(&e.path(), newest, count);
            } else {
                *count += 1;
                if let Ok(m) = meta.modified() {
                    let ns = m
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0);
                    *newest = (*newest).max(ns);
                }
            }
        }
    }
    let (mut newest, mut count) = (0, 0);
    walk(dir, &mut newest, &mut count);
    format!("{newest}-{count}")
}

/// A boxed future of an object's bytes.
pub type ObjectFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<u8>, AwsError>> + Send + 'a>>;

/// Reads code from S3 (`S3Bucket`/`S3Key`/`S3ObjectVersion`); the server
/// wires S3 in.
pub trait CodeObjects: Send + Sync {
    /// The object's bytes, read as the caller (`ctx`), or S3's error.
    fn get<'a>(
        &'a self,
        ctx: &'a gureum_core::RequestContext,
        bucket: &'a str,
        key: &'a str,
        version: Option<&'a str>,
    ) -> ObjectFuture<'a>;
}

/// Fetches the S3 object a `Code` structure (or `UpdateFunctionCode`
/// input) names, when it names one; AWS's wording when S3 refuses.
pub async fn fetch(
    objects: Option<&dyn CodeObjects>,
    ctx: &gureum_core::RequestContext,
    input: &Value,
) -> Result<Option<Vec<u8>>, AwsError> {
    let bucket = input.get("S3Bucket").and_then(Value::as_str);
    let key = input.get("S3Key").and_then(Value::as_str);
    let (Some(bucket), Some(key)) = (bucket, key) else {
        if bucket.is_some() || key.is_some() {
            return Err(crate::invalid("Please provide a source for function code."));
        }
        return Ok(None);
    };
    if bucket == HOT_RELOAD_BUCKET {
        return Ok(None);
    }
    let Some(objects) = objects else {
        return Err(crate::invalid(
            "Gureum was built without S3 here: upload the code as ZipFile.",
        ));
    };
    let version = input.get("S3ObjectVersion").and_then(Value::as_str);
    objects
        .get(ctx, bucket, key, version)
        .await
        .map(Some)
        .map_err(|e| {
            crate::invalid(format!(
                "Error occurred while GetObject. S3 Error Code: {}. S3 Error Message: {}",
                e.code, e.message
            ))
        })
}

/// The code of a `Code` structure or an `UpdateFunctionCode` input:
/// `fetched` from S3, else `ZipFile` (base64 in the value, at most 50 MB).
pub fn upload_from(input: &Value, fetched: Option<Vec<u8>>) -> Result<Upload, AwsError> {
    if let Some(bytes) = fetched {
        return upload_of(bytes);
    }
    if input.get("S3Bucket").and_then(Value::as_str) == Some(HOT_RELOAD_BUCKET) {
        let dir = input
            .get("S3Key")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let path = std::path::Path::new(dir);
        if !path.is_absolute() || !path.is_dir() {
            return Err(crate::invalid(format!(
                "The hot-reload S3Key must be an absolute path to an existing directory on Gureum's host: {dir}"
            )));
        }
        return Ok(Upload {
            bytes: Vec::new(),
            sha_hex: "hot-reload".into(),
            sha_base64: "hot-reloading-hash-not-available".into(),
            host_dir: Some(dir.to_string()),
        });
    }
    if input.get("ImageUri").is_some() {
        return Err(crate::invalid(
            "Gureum runs zip functions only: container images need a container runtime.",
        ));
    }
    let Some(zip) = input.get("ZipFile").and_then(Value::as_str) else {
        return Err(crate::invalid("Please provide a source for function code."));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(zip)
        .map_err(|_| {
            crate::invalid(
                "Could not unzip uploaded file. Please check your file, then try to upload again.",
            )
        })?;
    if bytes.len() > MAX_ZIPPED {
        return Err(LambdaError::RequestTooLarge {
            message: format!(
                "Request must be smaller than {} bytes for the CreateFunction operation",
                MAX_ZIPPED
            ),
        }
        .into());
    }
    upload_of(bytes)
}

fn upload_of(bytes: Vec<u8>) -> Result<Upload, AwsError> {
    if !bytes.starts_with(b"PK") {
        return Err(crate::invalid(
            "Could not unzip uploaded file. Please check your file, then try to upload again.",
        ));
    }
    let digest = Sha256::digest(&bytes);
    Ok(Upload {
        sha_hex: digest.iter().map(|b| format!("{b:02x}")).collect(),
        sha_base64: base64::engine::general_purpose::STANDARD.encode(digest),
        bytes,
        host_dir: None,
    })
}

/// Extracts `zip` into `dir` (through a temporary sibling, then renamed).
pub fn extract(zip: &[u8], dir: &PathBuf, work: &std::path::Path) -> Result<(), AwsError> {
    extract_all(&[zip], dir, work)
}

/// Extracts `zips` in order into `dir`, a later zip's files replacing an
/// earlier one's (how layers are laid out in `/opt`), through a temporary
/// sibling renamed into place.
pub fn extract_all(zips: &[&[u8]], dir: &PathBuf, work: &std::path::Path) -> Result<(), AwsError> {
    let staging = work.join(format!("staging-{}", crate::new_request_id()));
    std::fs::create_dir_all(&staging).map_err(io)?;
    let root = staging.join("root");
    std::fs::create_dir_all(&root).map_err(io)?;
    for zip in zips {
        let file = staging.join("code.zip");
        std::fs::write(&file, zip).map_err(io)?;
        let status = std::process::Command::new("unzip")
            .arg("-qq")
            .arg("-o")
            .arg(&file)
            .arg("-d")
            .arg(&root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(crate::invalid(
                "Could not unzip uploaded file. Please check your file, then try to upload again.",
            ));
        }
    }
    if size_of(&root) >= MAX_UNZIPPED {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(crate::invalid(format!(
            "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
        )));
    }
    std::fs::write(root.join(".complete"), b"").map_err(io)?;
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    if std::fs::rename(&root, dir).is_err() && !dir.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(LambdaError::Service {
            message: "Could not place the function's code.".into(),
        }
        .into());
    }
    let _ = std::fs::remove_dir_all(&staging);
    Ok(())
}

/// The bytes of the files under `dir`.
pub(crate) fn size_of(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

fn io(e: std::io::Error) -> AwsError {
    LambdaError::Service {
        message: format!("The host could not store the code: {e}"),
    }
    .into()
}
