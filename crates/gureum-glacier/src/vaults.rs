//! Vaults: create, describe, list, delete.

use crate::{GlacierError, GlacierService, Vault};
use gureum_core::timestamp::format_iso8601;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::json;

/// The most vaults an account may have in a region.
const MAX_VAULTS: usize = 1000;

/// A vault's ARN.
pub(crate) fn arn(scope: &Scope<'_>, name: &str) -> String {
    format!(
        "arn:aws:glacier:{}:{}:vaults/{name}",
        scope.region().unwrap_or_default(),
        scope.account()
    )
}

/// The vault name from the input (its URI label).
pub(crate) fn name_of(input: &Value) -> &str {
    input["vaultName"].as_str().unwrap_or_default()
}

/// The stored vault named in `input`, or `ResourceNotFoundException`.
pub(crate) fn load(svc: &GlacierService, scope: &Scope<'_>, name: &str) -> Result<Vault, AwsError> {
    svc.vaults.get(&scope.key(name))?.ok_or_else(|| {
        GlacierError::VaultNotFound {
            arn: arn(scope, name),
        }
        .into()
    })
}

/// The key prefix of a vault's archives, uploads and jobs.
pub(crate) fn children(scope: &Scope<'_>, name: &str) -> String {
    scope.key(&format!("{name}/"))
}

/// Vault names: 1 to 255 of `a-z A-Z 0-9 _ - .` (developer guide).
fn valid_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Reads `limit` (a string in Glacier's model) and `marker` into a page
/// request.
pub(crate) fn page_request(
    input: &Value,
    max: usize,
    default: usize,
) -> Result<PageRequest, AwsError> {
    let limit = match input["limit"].as_str() {
        None => None,
        Some(s) => Some(
            s.parse::<i64>()
                .map_err(|_| GlacierError::InvalidParameter {
                    message: format!("Invalid limit value: {s}"),
                })?,
        ),
    };
    PageRequest::new(limit, input["marker"].as_str(), (1, max), default).map_err(|e| match e {
        PagingError::SizeOutOfRange { given, .. } => GlacierError::InvalidParameter {
            message: format!("Invalid limit value: {given}"),
        }
        .into(),
        PagingError::BadToken(t) => GlacierError::InvalidParameter {
            message: format!("Invalid marker: {t}"),
        }
        .into(),
    })
}

/// `CreateVault`: idempotent, as AWS's (an existing vault answers the same).
pub(crate) fn create_vault(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    if !valid_name(name) {
        return Err(GlacierError::InvalidParameter {
            message: format!("Invalid vault name: {name}"),
        }
        .into());
    }
    let now = ctx.clock.now_millis();
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.vaults, &scope.key(name))?.is_some() {
            return Ok(());
        }
        if txn.scan_prefix(&svc.vaults, &scope.prefix())?.len() >= MAX_VAULTS {
            return Err(GlacierError::TooManyVaults.into());
        }
        let vault = Vault {
            name: name.to_string(),
            created_ms: now,
            ..Vault::default()
        };
        txn.put(&svc.vaults, &scope.key(name), &vault)?;
        Ok(())
    })?;
    Ok(json!({ "location": format!("/{}/vaults/{name}", scope.account()) }))
}

/// A vault as `DescribeVault` and `ListVaults` show it. The archive count
/// and size are live (AWS reports them as of the last daily inventory).
fn describe(svc: &GlacierService, scope: &Scope<'_>, vault: &Vault) -> Result<Value, AwsError> {
    let archives = svc.archives.scan_prefix(&children(scope, &vault.name))?;
    let size: u64 = archives.iter().map(|(_, a)| a.size).sum();
    let mut out = json!({
        "VaultARN": arn(scope, &vault.name),
        "VaultName": vault.name,
        "CreationDate": format_iso8601(vault.created_ms),
        "NumberOfArchives": archives.len(),
        "SizeInBytes": size,
    });
    if let Some(ms) = vault.last_inventory_ms {
        out["LastInventoryDate"] = json!(format_iso8601(ms));
    }
    Ok(out)
}

/// `DescribeVault`.
pub(crate) fn describe_vault(
    svc: &GlacierService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let vault = load(svc, &scope, name_of(input))?;
    describe(svc, &scope, &vault)
}

/// `ListVaults`: by name, 10 a page unless `limit` says (up to 1,000).
pub(crate) fn list_vaults(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let request = page_request(input, 1000, 10)?;
    let page = paging::page(&svc.vaults, &scope.prefix(), &request, |_, v| Some(v))?;
    let list = page
        .items
        .iter()
        .map(|v| describe(svc, &scope, v))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = json!({ "VaultList": list });
    if let Some(token) = page.next_token {
        out["Marker"] = json!(token);
    }
    Ok(out)
}

/// `DeleteVault`: only an empty vault; its finished jobs and uploads go
/// with it.
pub(crate) fn delete_vault(svc: &GlacierService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let name = name_of(input);
    let prefix = children(&scope, name);
    let (uploads, jobs) =
        svc.store
            .write(|txn| -> Result<(Vec<String>, Vec<String>), AwsError> {
                if txn.get(&svc.vaults, &scope.key(name))?.is_none() {
                    return Err(GlacierError::VaultNotFound {
                        arn: arn(&scope, name),
                    }
                    .into());
                }
                if !txn.scan_prefix(&svc.archives, &prefix)?.is_empty() {
                    return Err(GlacierError::VaultNotEmpty {
                        arn: arn(&scope, name),
                    }
                    .into());
                }
                txn.delete(&svc.vaults, &scope.key(name))?;
                let mut uploads = Vec::new();
                for (key, upload) in txn.scan_prefix(&svc.uploads, &prefix)? {
                    txn.delete(&svc.uploads, &key)?;
                    uploads.push(upload.id);
                }
                let mut jobs = Vec::new();
                for (key, job) in txn.scan_prefix(&svc.jobs, &prefix)? {
                    txn.delete(&svc.jobs, &key)?;
                    jobs.push(job.id);
                }
                Ok((uploads, jobs))
            })?;
    for id in jobs {
        svc.blobs.remove_job(&id);
    }
    for id in uploads {
        svc.blobs.remove_upload(&id);
    }
    Ok(json!({}))
}
