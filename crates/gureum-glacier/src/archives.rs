//! Archives: `UploadArchive` (streamed to a file, checked against its tree
//! hash) and `DeleteArchive`.

use crate::vaults::{self, name_of};
use crate::{Archive, GlacierError, GlacierService};
use gureum_core::{AwsError, OpResult, Reply, RequestBody, RequestContext, Scope, Value};
use serde_json::json;

/// A new archive, upload or job id: 138 (archives) or 92 characters of
/// the URL-safe alphabet, as long as AWS's.
pub(crate) fn new_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let hex = gureum_core::id::hex(len * 2);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let byte =
                u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
            ALPHABET[(byte as usize) % ALPHABET.len()] as char
        })
        .collect()
}

/// The archive description, checked: at most 1,024 printable ASCII
/// characters (developer guide).
pub(crate) fn description(input: &Value) -> Result<String, AwsError> {
    let text = input["archiveDescription"].as_str().unwrap_or_default();
    if text.len() > 1024 || !text.bytes().all(|b| (32..=126).contains(&b)) {
        return Err(GlacierError::InvalidParameter {
            message: "Invalid archive description.".into(),
        }
        .into());
    }
    Ok(text.to_string())
}

/// The `x-amz-sha256-tree-hash` header, required on uploads.
pub(crate) fn checksum(input: &Value) -> Result<String, AwsError> {
    input["checksum"]
        .as_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            GlacierError::MissingParameter {
                message: "Required parameter missing: x-amz-sha256-tree-hash".into(),
            }
            .into()
        })
}

/// `UploadArchive`.
pub(crate) async fn upload_archive(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
    body: RequestBody,
) -> Result<Reply, AwsError> {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    vaults::load(svc, &scope, name)?;
    let expected = checksum(input)?;
    let description = description(input)?;
    let written = svc.blobs.receive(body).await?;
    if written.tree_hash != expected {
        svc.blobs.discard(&written);
        return Err(GlacierError::ChecksumMismatch {
            expected,
            computed: written.tree_hash,
        }
        .into());
    }
    let archive = Archive {
        id: new_id(138),
        description,
        size: written.size,
        tree_hash: written.tree_hash.clone(),
        created_ms: ctx.clock.now_millis(),
    };
    svc.blobs.keep_archive(&written, &archive.id)?;
    let stored = svc.store.write(|txn| -> Result<(), AwsError> {
        // The vault may have gone while the body arrived.
        if txn.get(&svc.vaults, &scope.key(name))?.is_none() {
            return Err(GlacierError::VaultNotFound {
                arn: vaults::arn(&scope, name),
            }
            .into());
        }
        txn.put(
            &svc.archives,
            &archive_key(&scope, name, &archive.id),
            &archive,
        )?;
        Ok(())
    });
    if let Err(e) = stored {
        svc.blobs.remove_archive(&archive.id);
        return Err(e);
    }
    Ok(Reply::value(created(&scope, name, &archive)))
}

/// What an upload answers: the archive's location, tree hash and id.
pub(crate) fn created(scope: &Scope<'_>, vault: &str, archive: &Archive) -> Value {
    json!({
        "location": format!("/{}/vaults/{vault}/archives/{}", scope.account(), archive.id),
        "checksum": archive.tree_hash,
        "archiveId": archive.id,
    })
}

/// An archive's key.
pub(crate) fn archive_key(scope: &Scope<'_>, vault: &str, id: &str) -> String {
    scope.key(&format!("{vault}/{id}"))
}

/// `DeleteArchive`.
pub(crate) fn delete_archive(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    let id = input["archiveId"].as_str().unwrap_or_default();
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.vaults, &scope.key(name))?.is_none() {
            return Err(GlacierError::VaultNotFound {
                arn: vaults::arn(&scope, name),
            }
            .into());
        }
        if !txn.delete(&svc.archives, &archive_key(&scope, name, id))? {
            return Err(GlacierError::ArchiveNotFound { id: id.to_string() }.into());
        }
        Ok(())
    })?;
    svc.blobs.remove_archive(id);
    Ok(json!({}))
}
