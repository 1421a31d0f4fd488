//! Multipart uploads: parts at part-size-aligned ranges, each checked
//! against its tree hash; completion checks the whole archive's size and
//! tree hash.

use crate::archives::{self, archive_key, checksum, new_id};
use crate::vaults::{self, children, name_of, page_request};
use crate::{Archive, GlacierError, GlacierService, Upload};
use gureum_core::timestamp::format_iso8601;
use gureum_core::{AwsError, OpResult, Reply, RequestBody, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

const MIB: u64 = 1024 * 1024;

fn upload_key(scope: &Scope<'_>, vault: &str, id: &str) -> String {
    scope.key(&format!("{vault}/{id}"))
}

fn invalid(message: String) -> AwsError {
    GlacierError::InvalidParameter { message }.into()
}

/// The upload named in `input`, in a vault that exists.
fn load(svc: &GlacierService, scope: &Scope<'_>, input: &Value) -> Result<Upload, AwsError> {
    let name = name_of(input);
    vaults::load(svc, scope, name)?;
    let id = input["uploadId"].as_str().unwrap_or_default();
    svc.uploads
        .get(&upload_key(scope, name, id))?
        .ok_or_else(|| GlacierError::UploadNotFound { id: id.to_string() }.into())
}

/// `InitiateMultipartUpload`: the part size must be 1 MiB times a power
/// of two, up to 4 GiB.
pub(crate) fn initiate(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    vaults::load(svc, &scope, name)?;
    let given = input["partSize"].as_str().unwrap_or_default();
    let part_size = given
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= MIB && *n <= 4096 * MIB && n % MIB == 0 && (n / MIB).is_power_of_two())
        .ok_or_else(|| invalid(format!("Invalid part size: {given}")))?;
    let upload = Upload {
        id: new_id(92),
        description: archives::description(input)?,
        part_size,
        created_ms: ctx.clock.now_millis(),
        parts: Default::default(),
    };
    svc.uploads
        .put(&upload_key(&scope, name, &upload.id), &upload)?;
    Ok(json!({
        "location": format!("/{}/vaults/{name}/multipart-uploads/{}", scope.account(), upload.id),
        "uploadId": upload.id,
    }))
}

/// `bytes FIRST-LAST/*` → (first, last).
fn parse_range(range: &str) -> Option<(u64, u64)> {
    let rest = range.strip_prefix("bytes ")?;
    let (span, _) = rest.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b).then_some((a, b))
}

/// `UploadMultipartPart`.
pub(crate) async fn upload_part(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
    body: RequestBody,
) -> Result<Reply, AwsError> {
    let scope = Scope::regional(ctx);
    let upload = load(svc, &scope, input)?;
    let given = input["range"].as_str().unwrap_or_default();
    let (first, last) = parse_range(given)
        .filter(|(a, b)| a % upload.part_size == 0 && b - a < upload.part_size)
        .ok_or_else(|| {
            invalid(format!(
                "Content-Range: {given} is incompatible with Part Size: {}",
                upload.part_size
            ))
        })?;
    let expected = checksum(input)?;
    let written = svc.blobs.receive(body).await?;
    if written.size != last - first + 1 {
        svc.blobs.discard(&written);
        return Err(invalid(format!(
            "Content-Range: {given} is incompatible with Content-Length: {}",
            written.size
        )));
    }
    if written.tree_hash != expected {
        svc.blobs.discard(&written);
        return Err(GlacierError::ChecksumMismatch {
            expected,
            computed: written.tree_hash,
        }
        .into());
    }
    svc.blobs.keep_part(&written, &upload.id, first)?;
    let key = upload_key(&scope, name_of(input), &upload.id);
    let hash = written.tree_hash.clone();
    svc.store.write(|txn| -> Result<(), AwsError> {
        let mut upload = txn.get(&svc.uploads, &key)?.ok_or_else(|| {
            AwsError::from(GlacierError::UploadNotFound {
                id: upload.id.clone(),
            })
        })?;
        upload.parts.insert(first, (last, hash.clone()));
        txn.put(&svc.uploads, &key, &upload)?;
        Ok(())
    })?;
    Ok(Reply::value(json!({ "checksum": written.tree_hash })))
}

/// `CompleteMultipartUpload`: the parts must cover `0..archiveSize`
/// without gaps, and the archive's tree hash match.
pub(crate) fn complete(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    let upload = load(svc, &scope, input)?;
    let given = input["archiveSize"].as_str().unwrap_or_default();
    let size: u64 = given
        .parse()
        .map_err(|_| invalid(format!("Invalid archive size: {given}")))?;
    let expected = checksum(input)?;
    let mut next = 0u64;
    for (first, (last, _)) in &upload.parts {
        if *first != next {
            break;
        }
        next = last + 1;
    }
    if next != size || upload.parts.values().any(|(last, _)| *last >= size) {
        return Err(invalid(format!(
            "Archive size: {size} is incompatible with the uploaded parts"
        )));
    }
    let id = new_id(138);
    let starts: Vec<u64> = upload.parts.keys().copied().collect();
    let (assembled, tree_hash) = svc.blobs.assemble(&upload.id, &starts, &id)?;
    if tree_hash != expected || assembled != size {
        svc.blobs.remove_archive(&id);
        return Err(GlacierError::ChecksumMismatch {
            expected,
            computed: tree_hash,
        }
        .into());
    }
    let archive = Archive {
        id,
        description: upload.description.clone(),
        size,
        tree_hash,
        created_ms: ctx.clock.now_millis(),
    };
    svc.store.write(|txn| -> Result<(), AwsError> {
        txn.delete(&svc.uploads, &upload_key(&scope, name, &upload.id))?;
        txn.put(
            &svc.archives,
            &archive_key(&scope, name, &archive.id),
            &archive,
        )?;
        Ok(())
    })?;
    svc.blobs.remove_upload(&upload.id);
    Ok(archives::created(&scope, name, &archive))
}

/// `AbortMultipartUpload`.
pub(crate) fn abort(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let upload = load(svc, &scope, input)?;
    svc.uploads
        .delete(&upload_key(&scope, name_of(input), &upload.id))?;
    svc.blobs.remove_upload(&upload.id);
    Ok(json!({}))
}

/// An upload as `ListParts` and `ListMultipartUploads` describe it.
fn describe(scope: &Scope<'_>, vault: &str, upload: &Upload) -> Value {
    let mut out = json!({
        "MultipartUploadId": upload.id,
        "VaultARN": vaults::arn(scope, vault),
        "PartSizeInBytes": upload.part_size,
        "CreationDate": format_iso8601(upload.created_ms),
    });
    if !upload.description.is_empty() {
        out["ArchiveDescription"] = json!(upload.description);
    }
    out
}

/// `ListParts`: by first byte, 50 a page unless `limit` says (up to 1,000).
pub(crate) fn list_parts(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let upload = load(svc, &scope, input)?;
    let request = page_request(input, 1000, 50)?;
    let parts: Vec<(u64, u64, String)> = upload
        .parts
        .iter()
        .map(|(first, (last, hash))| (*first, *last, hash.clone()))
        .collect();
    let page = paging::page_sorted(&parts, |p| format!("{:020}", p.0), &request);
    let mut out = describe(&scope, name_of(input), &upload);
    out["Parts"] = page
        .items
        .iter()
        .map(|(first, last, hash)| json!({"RangeInBytes": format!("{first}-{last}"), "SHA256TreeHash": hash}))
        .collect();
    if let Some(token) = page.next_token {
        out["Marker"] = json!(token);
    }
    Ok(out)
}

/// `ListMultipartUploads`: 50 a page unless `limit` says (up to 1,000).
pub(crate) fn list_uploads(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    vaults::load(svc, &scope, name)?;
    let request = page_request(input, 1000, 50)?;
    let page = paging::page(&svc.uploads, &children(&scope, name), &request, |_, u| {
        Some(describe(&scope, name, &u))
    })?;
    let mut out = json!({ "UploadsList": page.items });
    if let Some(token) = page.next_token {
        out["Marker"] = json!(token);
    }
    Ok(out)
}
