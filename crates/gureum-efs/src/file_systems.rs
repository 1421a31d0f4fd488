//! File systems: create (idempotent by creation token), describe with
//! paging and metered size, update, delete; and what a file system
//! carries: lifecycle policies, its policy, its backup policy.

use crate::errors::EfsError;
use crate::{efs_error, EfsService, FileSystem};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;

/// A new resource id: `PREFIX-` and 17 hex digits, as EFS's.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}-{}", gureum_core::id::hex(17))
}

/// A file system's ARN.
pub(crate) fn arn(scope: &Scope<'_>, id: &str) -> String {
    format!(
        "arn:aws:elasticfilesystem:{}:{}:file-system/{id}",
        scope.region().unwrap_or_default(),
        scope.account()
    )
}

/// The stored file system `id`, or `FileSystemNotFound`.
pub(crate) fn load(svc: &EfsService, scope: &Scope<'_>, id: &str) -> Result<FileSystem, AwsError> {
    svc.file_systems
        .get(&scope.key(id))?
        .ok_or_else(|| efs_error!(FileSystemNotFound { id: id }).into())
}

fn id_of(input: &Value) -> &str {
    input["FileSystemId"].as_str().unwrap_or_default()
}

/// Changes the file system named in `input` in one transaction.
fn update_with<R>(
    svc: &EfsService,
    ctx: &RequestContext,
    input: &Value,
    f: impl FnOnce(&mut FileSystem) -> Result<R, AwsError>,
) -> Result<R, AwsError> {
    let scope = Scope::regional(ctx);
    let id = id_of(input);
    svc.store.write(|txn| {
        let key = scope.key(id);
        let mut fs = txn
            .get(&svc.file_systems, &key)?
            .ok_or_else(|| AwsError::from(efs_error!(FileSystemNotFound { id: id })))?;
        let out = f(&mut fs)?;
        txn.put(&svc.file_systems, &key, &fs)?;
        Ok(out)
    })
}

fn bad(message: &str) -> AwsError {
    efs_error!(BadRequest { message: message }).into()
}

/// Tags from a `[{Key, Value}]` list.
pub(crate) fn tag_list(input: &Value) -> Vec<(String, String)> {
    input
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_string(),
                t["Value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Tags as a `[{Key, Value}]` list.
pub(crate) fn tag_values(tags: &[(String, String)]) -> Vec<Value> {
    tags.iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect()
}

/// `CreateFileSystem`: a creation token already used answers
/// `FileSystemAlreadyExists` naming the file system.
pub(crate) fn create(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let token = input["CreationToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let throughput = input["ThroughputMode"]
        .as_str()
        .unwrap_or("bursting")
        .to_string();
    let provisioned = input["ProvisionedThroughputInMibps"].as_f64();
    if throughput == "provisioned" && provisioned.is_none() {
        return Err(bad(
            "ProvisionedThroughputInMibps is required when ThroughputMode is provisioned.",
        ));
    }
    if throughput != "provisioned" && provisioned.is_some() {
        return Err(bad(
            "ProvisionedThroughputInMibps may only be set when ThroughputMode is provisioned.",
        ));
    }
    let encrypted = input["Encrypted"].as_bool().unwrap_or(false);
    let kms = input["KmsKeyId"].as_str();
    if kms.is_some() && !encrypted {
        return Err(bad("KmsKeyId may only be set when Encrypted is true."));
    }
    let performance = input["PerformanceMode"]
        .as_str()
        .unwrap_or("generalPurpose")
        .to_string();
    if performance == "maxIO" && throughput == "elastic" {
        return Err(bad(
            "Elastic throughput mode is not supported with Max I/O performance mode.",
        ));
    }
    let kms_key_id = encrypted.then(|| match kms {
        // A bare key id or alias becomes its ARN, as EFS reports it.
        Some(k) if k.starts_with("arn:") => k.to_string(),
        Some(k) if k.starts_with("alias/") => format!(
            "arn:aws:kms:{}:{}:{k}",
            scope.region().unwrap_or_default(),
            scope.account()
        ),
        Some(k) => format!(
            "arn:aws:kms:{}:{}:key/{k}",
            scope.region().unwrap_or_default(),
            scope.account()
        ),
        None => format!(
            "arn:aws:kms:{}:{}:alias/aws/elasticfilesystem",
            scope.region().unwrap_or_default(),
            scope.account()
        ),
    });
    let fs = FileSystem {
        id: new_id("fs"),
        creation_token: token.clone(),
        created_ms: ctx.clock.now_millis(),
        state: "creating".into(),
        performance_mode: performance,
        throughput_mode: throughput,
        provisioned_mibps: provisioned,
        encrypted,
        kms_key_id,
        az_name: input["AvailabilityZoneName"].as_str().map(String::from),
        tags: tag_list(&input["Tags"]),
        lifecycle: Vec::new(),
        policy: None,
        backup: input["Backup"]
            .as_bool()
            .map(|b| if b { "ENABLED" } else { "DISABLED" }.to_string()),
    };
    svc.store.write(|txn| -> Result<(), AwsError> {
        for (_, other) in txn.scan_prefix(&svc.file_systems, &scope.prefix())? {
            if other.creation_token == token {
                return Err(efs_error!(FileSystemAlreadyExists {
                    id: other.id,
                    token: token.clone()
                })
                .into());
            }
        }
        txn.put(&svc.file_systems, &scope.key(&fs.id), &fs)?;
        Ok(())
    })?;
    svc.wake();
    Ok(describe_one(svc, &scope, &fs, ctx.clock.now_millis()))
}

/// A file system as EFS describes it.
pub(crate) fn describe_one(
    svc: &EfsService,
    scope: &Scope<'_>,
    fs: &FileSystem,
    now: i64,
) -> Value {
    let mounts = svc
        .mount_targets
        .scan_prefix(&scope.prefix())
        .map(|all| all.iter().filter(|(_, m)| m.fs_id == fs.id).count())
        .unwrap_or(0);
    let size = svc.exports.metered_size(scope.account(), &fs.id);
    let mut out = json!({
        "OwnerId": scope.account(),
        "CreationToken": fs.creation_token,
        "FileSystemId": fs.id,
        "FileSystemArn": arn(scope, &fs.id),
        "CreationTime": fs.created_ms as f64 / 1000.0,
        "LifeCycleState": fs.state,
        "NumberOfMountTargets": mounts,
        "SizeInBytes": {
            "Value": size,
            "Timestamp": now as f64 / 1000.0,
            "ValueInIA": 0,
            "ValueInStandard": size,
            "ValueInArchive": 0,
        },
        "PerformanceMode": fs.performance_mode,
        "Encrypted": fs.encrypted,
        "ThroughputMode": fs.throughput_mode,
        "Tags": tag_values(&fs.tags),
        "FileSystemProtection": { "ReplicationOverwriteProtection": "ENABLED" },
    });
    if let Some((_, name)) = fs.tags.iter().find(|(k, _)| k == "Name") {
        out["Name"] = json!(name);
    }
    if let Some(k) = &fs.kms_key_id {
        out["KmsKeyId"] = json!(k);
    }
    if let Some(p) = fs.provisioned_mibps {
        out["ProvisionedThroughputInMibps"] = json!(p);
    }
    if let Some(az) = &fs.az_name {
        out["AvailabilityZoneName"] = json!(az);
    }
    out
}

/// `DescribeFileSystems`: one file system, those of a creation token, or
/// a page of all (`MaxItems` up to 100, `Marker`/`NextMarker`).
pub(crate) fn describe(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    if let Some(id) = input["FileSystemId"].as_str() {
        let fs = load(svc, &scope, id)?;
        return Ok(json!({ "FileSystems": [describe_one(svc, &scope, &fs, now)] }));
    }
    let max = input["MaxItems"].as_i64();
    let marker = input["Marker"].as_str();
    let request = PageRequest::new(max, marker, (1, 100), 100)
        .map_err(|_| bad("Invalid MaxItems or Marker."))?;
    let token = input["CreationToken"].as_str();
    let page = paging::page(&svc.file_systems, &scope.prefix(), &request, |_, fs| {
        token.is_none_or(|t| fs.creation_token == t).then_some(fs)
    })?;
    let list: Vec<Value> = page
        .items
        .iter()
        .map(|fs| describe_one(svc, &scope, fs, now))
        .collect();
    let mut out = json!({ "FileSystems": list });
    if let Some(m) = marker {
        out["Marker"] = json!(m);
    }
    if let Some(next) = page.next_token {
        out["NextMarker"] = json!(next);
    }
    Ok(out)
}

/// `UpdateFileSystem`: throughput mode and provisioned throughput.
pub(crate) fn update(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let fs = update_with(svc, ctx, input, |fs| {
        if let Some(mode) = input["ThroughputMode"].as_str() {
            fs.throughput_mode = mode.to_string();
            if mode != "provisioned" {
                fs.provisioned_mibps = None;
            }
        }
        if let Some(p) = input["ProvisionedThroughputInMibps"].as_f64() {
            if fs.throughput_mode != "provisioned" {
                return Err(bad("ProvisionedThroughputInMibps may only be set when ThroughputMode is provisioned."));
            }
            fs.provisioned_mibps = Some(p);
        }
        if fs.throughput_mode == "provisioned" && fs.provisioned_mibps.is_none() {
            return Err(bad(
                "ProvisionedThroughputInMibps is required when ThroughputMode is provisioned.",
            ));
        }
        Ok(fs.clone())
    })?;
    Ok(describe_one(svc, &scope, &fs, ctx.clock.now_millis()))
}

/// `DeleteFileSystem`: refused while mount targets exist; its access
/// points and data go with it.
pub(crate) fn delete(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let id = id_of(input);
    svc.store
        .write(|txn| -> Result<Vec<String>, AwsError> {
            if txn.get(&svc.file_systems, &scope.key(id))?.is_none() {
                return Err(efs_error!(FileSystemNotFound { id: id }).into());
            }
            if txn
                .scan_prefix(&svc.mount_targets, &scope.prefix())?
                .iter()
                .any(|(_, m)| m.fs_id == id)
            {
                return Err(efs_error!(FileSystemInUse { id: id }).into());
            }
            let mut points = Vec::new();
            for (key, ap) in txn.scan_prefix(&svc.access_points, &scope.prefix())? {
                if ap.fs_id == id {
                    txn.delete(&svc.access_points, &key)?;
                    points.push(ap.id);
                }
            }
            txn.delete(&svc.file_systems, &scope.key(id))?;
            Ok(points)
        })?
        .into_iter()
        .for_each(|ap| svc.exports.stop(scope.account(), &ap, false));
    svc.exports.stop(scope.account(), id, true);
    Ok(json!({}))
}

/// Moves every `creating` file system and mount target to `available`
/// and makes sure each available file system is served (the ticker);
/// answers whether a mount target still waits for its VPC's router.
pub(crate) fn settle_all(svc: &EfsService) -> Result<bool, AwsError> {
    let mut failed = None;
    let mut waiting = false;
    for (key, fs) in svc.file_systems.scan_prefix("")? {
        let account = key.split('/').next().unwrap_or_default();
        if let Err(e) = svc.exports.start(account, &fs.id) {
            failed = Some(AwsError::internal(format!(
                "serving {} over NFS: {e}",
                fs.id
            )));
            continue;
        }
        if fs.state == "creating" {
            svc.store.write(|txn| -> Result<(), AwsError> {
                if let Some(mut current) = txn.get(&svc.file_systems, &key)? {
                    current.state = "available".into();
                    txn.put(&svc.file_systems, &key, &current)?;
                }
                Ok(())
            })?;
        }
    }
    // Each access point is its own export, rooted at its root directory
    // (made with CreationInfo, or by a client beforehand); one whose
    // directory does not exist yet is served once it does (the next
    // wake), as AWS refuses such a mount.
    for (key, ap) in svc.access_points.scan_prefix("")? {
        let account = key.split('/').next().unwrap_or_default();
        let path = ap.root_directory["Path"].as_str().unwrap_or("/");
        let dir = svc
            .exports
            .dir(account, &ap.fs_id)
            .join(path.trim_start_matches('/'));
        if dir.is_dir() {
            if let Err(e) = svc.exports.start_at(&ap.id, &dir) {
                failed = Some(AwsError::internal(format!(
                    "serving {} over NFS: {e}",
                    ap.id
                )));
            }
        }
    }
    let fabric = svc.fabric.get();
    for (key, mut mt) in svc.mount_targets.scan_prefix("")? {
        if mt.state == "creating" {
            mt.state = "available".into();
            svc.mount_targets.put(&key, &mt)?;
        }
        let Some(fabric) = fabric else { continue };
        // Served in the VPC once its router exists (an instance of the
        // VPC booted); until then the ticker keeps looking.
        match fabric.router_namespace(&mt.vpc_id) {
            Some(ns) if svc.exports.serves_in(&mt.id, &ns) => {}
            Some(ns) => {
                let account = key.split('/').next().unwrap_or_default();
                if let Err(e) = svc
                    .exports
                    .serve_in(account, &mt.fs_id, &mt.id, &ns, &mt.ip)
                {
                    failed = Some(AwsError::internal(format!(
                        "serving {} in {}: {e}",
                        mt.id, mt.vpc_id
                    )));
                }
            }
            None => {
                svc.exports.unserve_in(&mt.id);
                waiting = true;
            }
        }
    }
    failed.map_or(Ok(waiting), Err)
}

/// `PutLifecycleConfiguration`: replaces the policies (an empty list
/// removes them); each policy names one transition.
pub(crate) fn put_lifecycle(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let policies = input["LifecyclePolicies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for p in &policies {
        if p.as_object().map_or(0, |o| o.len()) != 1 {
            return Err(bad(
                "Each lifecycle policy must specify exactly one transition.",
            ));
        }
    }
    update_with(svc, ctx, input, |fs| {
        fs.lifecycle = policies.clone();
        Ok(())
    })?;
    Ok(json!({ "LifecyclePolicies": policies }))
}

/// `DescribeLifecycleConfiguration`.
pub(crate) fn describe_lifecycle(
    svc: &EfsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let fs = load(svc, &Scope::regional(ctx), id_of(input))?;
    Ok(json!({ "LifecyclePolicies": fs.lifecycle }))
}

/// `PutFileSystemPolicy`: a JSON policy document.
pub(crate) fn put_policy(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let text = input["Policy"].as_str().unwrap_or_default().to_string();
    if !serde_json::from_str::<Value>(&text).is_ok_and(|v| v.is_object()) {
        return Err(EfsError::InvalidPolicy {
            code: "InvalidPolicyException".into(),
        }
        .into());
    }
    update_with(svc, ctx, input, |fs| {
        fs.policy = Some(text.clone());
        Ok(())
    })?;
    Ok(json!({ "FileSystemId": id_of(input), "Policy": text }))
}

/// `DescribeFileSystemPolicy`.
pub(crate) fn describe_policy(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = id_of(input);
    let fs = load(svc, &Scope::regional(ctx), id)?;
    let policy = fs
        .policy
        .ok_or_else(|| AwsError::from(efs_error!(PolicyNotFound { id: id })))?;
    Ok(json!({ "FileSystemId": id, "Policy": policy }))
}

/// `DeleteFileSystemPolicy` (idempotent).
pub(crate) fn delete_policy(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    update_with(svc, ctx, input, |fs| {
        fs.policy = None;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `PutBackupPolicy`: `ENABLED` or `DISABLED`.
pub(crate) fn put_backup(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let status = input["BackupPolicy"]["Status"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if !matches!(status.as_str(), "ENABLED" | "DISABLED") {
        return Err(bad("Backup policy status must be ENABLED or DISABLED."));
    }
    update_with(svc, ctx, input, |fs| {
        fs.backup = Some(status.clone());
        Ok(())
    })?;
    Ok(json!({ "BackupPolicy": { "Status": status } }))
}

/// `DescribeBackupPolicy`.
pub(crate) fn describe_backup(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let id = id_of(input);
    let fs = load(svc, &Scope::regional(ctx), id)?;
    let status = fs
        .backup
        .ok_or_else(|| AwsError::from(efs_error!(BackupPolicyNotFound { id: id })))?;
    Ok(json!({ "BackupPolicy": { "Status": status } }))
}
