//! Mount targets: one per Availability Zone of a file system, all in one
//! VPC, each with an address from its subnet on a requester-managed
//! network interface made by EC2 (visible in `DescribeNetworkInterfaces`).

use crate::file_systems::{self, new_id};
use crate::{efs_error, EfsService, MountTarget};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::json;

/// The most security groups a mount target may have.
const MAX_GROUPS: usize = 5;

fn load(svc: &EfsService, scope: &Scope<'_>, id: &str) -> Result<MountTarget, AwsError> {
    svc.mount_targets
        .get(&scope.key(id))?
        .ok_or_else(|| efs_error!(MountTargetNotFound { id: id }).into())
}

fn groups_of(input: &Value) -> Vec<String> {
    input["SecurityGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(String::from))
        .collect()
}

/// The groups checked in `vpc_id` (EC2), at most five.
fn checked_groups(
    svc: &EfsService,
    ctx: &RequestContext,
    vpc_id: &str,
    asked: &[String],
) -> Result<Vec<String>, AwsError> {
    if asked.len() > MAX_GROUPS {
        return Err(efs_error!(SecurityGroupLimitExceeded {}).into());
    }
    let network = svc
        .network()
        .ok_or_else(|| AwsError::internal("EFS has no network"))?;
    network
        .security_groups(ctx, vpc_id, asked)?
        .map_err(|id| efs_error!(SecurityGroupNotFound { id: id }).into())
}

/// A mount target as EFS describes it.
fn describe_one(scope: &Scope<'_>, mt: &MountTarget) -> Value {
    json!({
        "OwnerId": scope.account(),
        "MountTargetId": mt.id,
        "FileSystemId": mt.fs_id,
        "SubnetId": mt.subnet_id,
        "LifeCycleState": mt.state,
        "IpAddress": mt.ip,
        "NetworkInterfaceId": mt.eni,
        "AvailabilityZoneId": mt.az_id,
        "AvailabilityZoneName": mt.az,
        "VpcId": mt.vpc_id,
    })
}

/// `CreateMountTarget`.
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
    if input["IpAddress"].is_string() || input["Ipv6Address"].is_string() {
        return Err(efs_error!(BadRequest {
            message:
                "Gureum does not yet place mount targets at a chosen address: leave IpAddress out."
        })
        .into());
    }
    if input["IpAddressType"]
        .as_str()
        .is_some_and(|t| t != "IPV4_ONLY")
    {
        return Err(efs_error!(BadRequest {
            message: "Gureum places mount targets on IPv4 only: IpAddressType must be IPV4_ONLY."
        })
        .into());
    }
    let subnet_id = input["SubnetId"].as_str().unwrap_or_default();
    let network = svc
        .network()
        .ok_or_else(|| AwsError::internal("EFS has no network"))?;
    let subnet = network
        .subnet(ctx, subnet_id)?
        .ok_or_else(|| AwsError::from(efs_error!(SubnetNotFound { id: subnet_id })))?;
    if let Some(zone) = &fs.az_name {
        if *zone != subnet.az {
            return Err(efs_error!(BadRequest {
                message: format!(
                    "One Zone file system {fs_id} is in {zone}; subnet {subnet_id} is in {}.",
                    subnet.az
                )
            })
            .into());
        }
    }
    let existing: Vec<MountTarget> = svc
        .mount_targets
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| m.fs_id == fs_id)
        .collect();
    if existing
        .iter()
        .any(|m| m.az == subnet.az || m.vpc_id != subnet.vpc_id)
    {
        return Err(efs_error!(MountTargetConflict {}).into());
    }
    let groups = checked_groups(svc, ctx, &subnet.vpc_id, &groups_of(input))?;
    let id = new_id("fsmt");
    let description = format!("EFS mount target for {fs_id} ({id})");
    let (eni, ip) = network.create_interface(ctx, subnet_id, &groups, &description)?;
    let mt = MountTarget {
        id,
        fs_id: fs_id.to_string(),
        subnet_id: subnet.id,
        vpc_id: subnet.vpc_id,
        az: subnet.az,
        az_id: subnet.az_id,
        ip,
        eni: eni.clone(),
        security_groups: groups,
        state: "creating".into(),
    };
    let stored = svc.store.write(|txn| -> Result<(), AwsError> {
        // Checked again where the write commits: a racing create in the
        // same zone loses.
        let clash = txn
            .scan_prefix(&svc.mount_targets, &scope.prefix())?
            .iter()
            .any(|(_, m)| m.fs_id == fs_id && m.az == mt.az);
        if clash {
            return Err(efs_error!(MountTargetConflict {}).into());
        }
        txn.put(&svc.mount_targets, &scope.key(&mt.id), &mt)?;
        Ok(())
    });
    if let Err(e) = stored {
        let _ = network.delete_interface(ctx, &eni);
        return Err(e);
    }
    svc.wake();
    Ok(describe_one(&scope, &mt))
}

/// `DescribeMountTargets`: of a file system, one mount target, or an
/// access point's file system; `MaxItems` up to 100.
pub(crate) fn describe(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    if let Some(id) = input["MountTargetId"].as_str() {
        let mt = load(svc, &scope, id)?;
        return Ok(json!({ "MountTargets": [describe_one(&scope, &mt)] }));
    }
    let fs_id = match (
        input["FileSystemId"].as_str(),
        input["AccessPointId"].as_str(),
    ) {
        (Some(fs), _) => {
            file_systems::load(svc, &scope, fs)?;
            fs.to_string()
        }
        (None, Some(ap)) => {
            svc.access_points
                .get(&scope.key(ap))?
                .ok_or_else(|| AwsError::from(efs_error!(AccessPointNotFound { id: ap })))?
                .fs_id
        }
        (None, None) => {
            return Err(efs_error!(BadRequest {
                message: "Must specify exactly one mutually exclusive parameter."
            })
            .into())
        }
    };
    let request = PageRequest::new(
        input["MaxItems"].as_i64(),
        input["Marker"].as_str(),
        (1, 100),
        10,
    )
    .map_err(|_| {
        AwsError::from(efs_error!(BadRequest {
            message: "Invalid MaxItems or Marker."
        }))
    })?;
    let page = paging::page(&svc.mount_targets, &scope.prefix(), &request, |_, m| {
        (m.fs_id == fs_id).then(|| describe_one(&scope, &m))
    })?;
    let mut out = json!({ "MountTargets": page.items });
    if let Some(m) = input["Marker"].as_str() {
        out["Marker"] = json!(m);
    }
    if let Some(next) = page.next_token {
        out["NextMarker"] = json!(next);
    }
    Ok(out)
}

/// `DeleteMountTarget`: its network interface goes with it.
pub(crate) fn delete(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let id = input["MountTargetId"].as_str().unwrap_or_default();
    let mt = load(svc, &scope, id)?;
    svc.mount_targets.delete(&scope.key(id))?;
    svc.exports.unserve_in(id);
    if let Some(network) = svc.network() {
        network.delete_interface(ctx, &mt.eni)?;
    }
    Ok(json!({}))
}

/// `DescribeMountTargetSecurityGroups`.
pub(crate) fn describe_groups(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let mt = load(
        svc,
        &scope,
        input["MountTargetId"].as_str().unwrap_or_default(),
    )?;
    Ok(json!({ "SecurityGroups": mt.security_groups }))
}

/// `ModifyMountTargetSecurityGroups`: replaces the groups (checked in the
/// mount target's VPC).
pub(crate) fn modify_groups(svc: &EfsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let scope = Scope::regional(ctx);
    let id = input["MountTargetId"].as_str().unwrap_or_default();
    let mut mt = load(svc, &scope, id)?;
    if mt.state != "available" {
        return Err(efs_error!(BadRequest {
            message: format!("Mount target {id} is not available.")
        })
        .into());
    }
    mt.security_groups = checked_groups(svc, ctx, &mt.vpc_id, &groups_of(input))?;
    svc.mount_targets.put(&scope.key(id), &mt)?;
    Ok(json!({}))
}
