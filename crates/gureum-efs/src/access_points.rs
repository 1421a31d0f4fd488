//! Access points: a POSIX user and a root directory on a file system,
//! idempotent by client token. A root directory with `CreationInfo` is
//! made in the file system's directory with that owner and mode, and
//! each access point is served as its own NFS export rooted there (the
//! POSIX user is recorded, not yet enforced on NFS requests).

use crate::file_systems::{self, new_id, tag_list, tag_values};
use crate::{efs_error, AccessPoint, EfsService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;

fn arn(scope: &Scope<'_>, id: &str) -> String {
    format!(
        "arn:aws:elasticfilesystem:{}:{}:access-point/{id}",
        scope.region().unwrap_or_default(),
        scope.account()
    )
}

fn describe_one(scope: &Scope<'_>, ap: &AccessPoint) -> Value {
    let mut out = json!({
        "ClientToken": ap.client_token,
        "Tags": tag_values(&ap.tags),
        "AccessPointId": ap.id,
        "AccessPointArn": arn(scope, &ap.id),
        "FileSystemId": ap.fs_id,
        "RootDirectory": ap.root_directory,
        "OwnerId": scope.account(),
        "LifeCycleState": "available",
    });
    if let Some(user) = &ap.posix_user {
        out["PosixUser"] = user.clone();
    }
    if let Some((_, name)) = ap.tags.iter().find(|(k, _)| k == "Name") {
        out["Name"] = json!(name);
    }
    out
}

/// Makes the root directory's path (with `CreationInfo`'s owner and
/// mode on the directories it creates), inside the file system's
/// directory only.
fn make_root(dir: &std::path::Path, path: &str, info: &Value) -> Result<(), AwsError> {
    use std::os::unix::fs::PermissionsExt;
    let mut at = dir.to_path_buf();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." {
            return Err(efs_error!(BadRequest {
                message: "RootDirectory Path must not contain '.' or '..'."
            })
            .into());
        }
        at.push(part);
        if at.exists() {
            continue;
        }
        std::fs::create_dir(&at)
            .map_err(|e| AwsError::internal(format!("efs root directory: {e}")))?;
        if let Some(mode) = info["Permissions"]
            .as_str()
            .and_then(|p| u32::from_str_radix(p, 8).ok())
        {
            let _ = std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode));
        }
        let uid = info["OwnerUid"].as_u64().map(|u| u as u32);
        let gid = info["OwnerGid"].as_u64().map(|g| g as u32);
        let _ = std::os::unix::fs::chown(&at, uid, gid);
    }
    Ok(())
}

/// `CreateAccessPoint`.
pub(crate) fn create(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let fs_id = input["FileSystemId"].as_str().unwrap_or_default();
    let fs = file_systems::load(svc, &scope, fs_id)?;
    if fs.state != "available" {
        return Err(efs_error!(IncorrectFileSystemLifeCycleState {
            id: fs_id,
            state: fs.state
        })
        .into());
    }
    let token = input["ClientToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut root = input["RootDirectory"].clone();
    if !root.is_object() {
        root = json!({});
    }
    if root["Path"].is_null() {
        root["Path"] = json!("/");
    }
    let path = root["Path"].as_str().unwrap_or("/").to_string();
    if !path.starts_with('/') || path.len() > 100 {
        return Err(efs_error!(BadRequest {
            message: "RootDirectory Path must be an absolute path of at most 100 characters."
        })
        .into());
    }
    let ap = AccessPoint {
        id: new_id("fsap"),
        fs_id: fs_id.to_string(),
        client_token: token.clone(),
        tags: tag_list(&input["Tags"]),
        posix_user: input.get("PosixUser").filter(|v| v.is_object()).cloned(),
        root_directory: root.clone(),
    };
    svc.store.write(|txn| -> Result<(), AwsError> {
        for (_, other) in txn.scan_prefix(&svc.access_points, &scope.prefix())? {
            if other.client_token == token {
                return Err(efs_error!(AccessPointAlreadyExists { id: other.id }).into());
            }
        }
        txn.put(&svc.access_points, &scope.key(&ap.id), &ap)?;
        Ok(())
    })?;
    if root["CreationInfo"].is_object() {
        make_root(
            &svc.exports.dir(scope.account(), fs_id),
            &path,
            &root["CreationInfo"],
        )?;
    }
    svc.wake();
    Ok(describe_one(&scope, &ap))
}

/// `DescribeAccessPoints`: one, a file system's, or all; `MaxResults` up
/// to 1,000 with `NextToken`.
pub(crate) fn describe(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    if let Some(id) = input["AccessPointId"].as_str() {
        let ap = svc
            .access_points
            .get(&scope.key(id))?
            .ok_or_else(|| AwsError::from(efs_error!(AccessPointNotFound { id: id })))?;
        return Ok(json!({ "AccessPoints": [describe_one(&scope, &ap)] }));
    }
    let fs_id = input["FileSystemId"].as_str();
    if let Some(fs) = fs_id {
        file_systems::load(svc, &scope, fs)?;
    }
    let request = PageRequest::new(
        input["MaxResults"].as_i64(),
        input["NextToken"].as_str(),
        (1, 1000),
        100,
    )
    .map_err(|_| {
        AwsError::from(efs_error!(BadRequest {
            message: "Invalid MaxResults or NextToken."
        }))
    })?;
    let page = paging::page(&svc.access_points, &scope.prefix(), &request, |_, ap| {
        fs_id
            .is_none_or(|f| ap.fs_id == f)
            .then(|| describe_one(&scope, &ap))
    })?;
    let mut out = json!({ "AccessPoints": page.items });
    if let Some(next) = page.next_token {
        out["NextToken"] = json!(next);
    }
    Ok(out)
}

/// `DeleteAccessPoint` (its root directory's data stays, as on AWS).
pub(crate) fn delete(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let id = input["AccessPointId"].as_str().unwrap_or_default();
    if !svc.access_points.delete(&scope.key(id))? {
        return Err(efs_error!(AccessPointNotFound { id: id }).into());
    }
    svc.exports.stop(scope.account(), id, false);
    Ok(json!({}))
}
