//! DB subnet groups: EC2 subnets (read through [`crate::Subnets`]) of one
//! VPC covering at least two Availability Zones.

use crate::errors::invalid_value;
use crate::{s, strings, RdsError, RdsService, SubnetInfo, Tag};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored subnet group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubnetGroup {
    /// Its name, lowercase.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The VPC of its subnets.
    pub vpc_id: String,
    /// Its subnets: id and AZ.
    pub subnets: Vec<(String, String)>,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// The group `name` of the caller's region.
pub(crate) fn get(
    svc: &RdsService,
    ctx: &RequestContext,
    name: &str,
) -> Result<SubnetGroup, AwsError> {
    svc.subnet_groups
        .get(&Scope::regional(ctx).key(&name.to_ascii_lowercase()))?
        .ok_or_else(|| {
            RdsError::DbSubnetGroupNotFound {
                name: name.to_string(),
            }
            .into()
        })
}

/// A `DBSubnetGroup`.
pub(crate) fn value(ctx: &RequestContext, g: &SubnetGroup) -> Value {
    json!({
        "DBSubnetGroupName": g.name,
        "DBSubnetGroupDescription": g.description,
        "VpcId": g.vpc_id,
        "SubnetGroupStatus": "Complete",
        "Subnets": g.subnets.iter().map(|(id, az)| json!({
            "SubnetIdentifier": id,
            "SubnetAvailabilityZone": {"Name": az},
            "SubnetOutpost": {},
            "SubnetStatus": "Active",
        })).collect::<Vec<_>>(),
        "DBSubnetGroupArn": crate::arn(ctx, "subgrp", &g.name),
        "SupportedNetworkTypes": ["IPV4"],
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "default"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ' '))
}

pub(crate) fn create(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = s(input, "DBSubnetGroupName").unwrap_or("");
    if !valid_name(name) {
        return Err(invalid_value(
            "The parameter DBSubnetGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, periods, underscores, spaces, or hyphens; and must not be default.",
        ));
    }
    let ids = strings(input, "SubnetIds");
    let lookup = svc.subnets.read().clone();
    let found: Vec<Option<SubnetInfo>> = ids
        .iter()
        .map(|id| {
            lookup
                .as_ref()
                .and_then(|l| l.subnet(&ctx.account_id, &ctx.region, id))
        })
        .collect();
    if found.iter().any(Option::is_none) {
        return Err(RdsError::InvalidSubnet {
            message: format!("Some input subnets in :[{}] are invalid.", ids.join(", ")),
        }
        .into());
    }
    let subnets: Vec<SubnetInfo> = found.into_iter().flatten().collect();
    let vpc = subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .unwrap_or_default();
    if subnets.iter().any(|s| s.vpc_id != vpc) {
        return Err(RdsError::InvalidSubnet {
            message: "Subnets in a DB subnet group must all be in the same VPC.".into(),
        }
        .into());
    }
    let mut azs: Vec<&str> = subnets.iter().map(|s| s.az.as_str()).collect();
    azs.sort_unstable();
    azs.dedup();
    if azs.len() < 2 {
        return Err(RdsError::NotEnoughAzs { azs: azs.len() }.into());
    }
    let group = SubnetGroup {
        name: name.to_ascii_lowercase(),
        description: s(input, "DBSubnetGroupDescription")
            .unwrap_or("")
            .to_string(),
        vpc_id: vpc,
        subnets: subnets
            .iter()
            .map(|s| (s.id.clone(), s.az.clone()))
            .collect(),
        tags: crate::tags::parse(input),
    };
    let key = Scope::regional(ctx).key(&group.name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.subnet_groups, &key)?.is_some() {
            return Err(RdsError::DbSubnetGroupAlreadyExists {
                name: group.name.clone(),
            }
            .into());
        }
        txn.put(&svc.subnet_groups, &key, &group)?;
        Ok(())
    })?;
    Ok(json!({ "DBSubnetGroup": value(ctx, &group) }))
}

pub(crate) fn describe(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(name) = s(input, "DBSubnetGroupName") {
        return Ok(json!({ "DBSubnetGroups": [value(ctx, &get(svc, ctx, name)?)] }));
    }
    let request = crate::instances::page_request(input)?;
    let page = gureum_kit::paging::page(
        &svc.subnet_groups,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, g| Some(value(ctx, &g)),
    )?;
    let mut out = json!({ "DBSubnetGroups": page.items });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    Ok(out)
}

pub(crate) fn delete(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = s(input, "DBSubnetGroupName").unwrap_or("");
    let group = get(svc, ctx, name)?;
    let scope = Scope::regional(ctx);
    if svc
        .instances
        .scan_prefix(&scope.prefix())?
        .iter()
        .any(|(_, i)| i.subnet_group.as_deref() == Some(group.name.as_str()))
    {
        return Err(RdsError::SubnetGroupInUse { name: group.name }.into());
    }
    svc.subnet_groups.delete(&scope.key(&group.name))?;
    Ok(json!({}))
}
