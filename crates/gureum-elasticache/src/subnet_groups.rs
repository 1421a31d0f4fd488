//! Cache subnet groups: `CreateCacheSubnetGroup`,
//! `DescribeCacheSubnetGroups`, `ModifyCacheSubnetGroup`,
//! `DeleteCacheSubnetGroup`. Subnets and security groups are read from
//! EC2's tables through `gureum_ec2`'s public interface.

use crate::input::{page_request, required, strings, tag_list, with_marker};
use crate::{tags, ElasticacheError, ElasticacheService, SubnetGroup};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging;
use serde_json::json;

/// A subnet group by name, or `CacheSubnetGroupNotFoundFault`.
pub fn load(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    name: &str,
) -> Result<SubnetGroup, AwsError> {
    svc.subnet_groups
        .get(&Scope::regional(ctx).key(&name.to_ascii_lowercase()))?
        .ok_or_else(|| {
            ElasticacheError::CacheSubnetGroupNotFound {
                name: name.to_string(),
            }
            .into()
        })
}

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:subnetgroup:{name}",
        ctx.region, ctx.account_id
    )
}

fn view(ctx: &RequestContext, g: &SubnetGroup) -> Value {
    json!({
        "CacheSubnetGroupName": g.name,
        "CacheSubnetGroupDescription": g.description,
        "VpcId": g.vpc_id,
        "Subnets": g.subnets.iter().map(|(id, az)| json!({
            "SubnetIdentifier": id,
            "SubnetAvailabilityZone": {"Name": az},
            "SupportedNetworkTypes": ["ipv4"],
        })).collect::<Vec<_>>(),
        "ARN": arn(ctx, &g.name),
        "SupportedNetworkTypes": ["ipv4"],
    })
}

/// The subnets' `(id, AZ)` and their one VPC, read from EC2.
pub(crate) fn read_subnets(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    ids: &[String],
) -> Result<(String, Vec<(String, String)>), AwsError> {
    if ids.is_empty() {
        return Err(ElasticacheError::value(
            "The parameter SubnetIds must be provided and must not be blank.",
        )
        .into());
    }
    let table = gureum_ec2::vpc::subnet::table(&svc.store);
    let scope = Scope::regional(ctx);
    let mut vpc = None;
    let mut out = Vec::new();
    for id in ids {
        let s = table
            .get(&scope.key(id))?
            .ok_or_else(|| AwsError::from(ElasticacheError::InvalidSubnet { id: id.clone() }))?;
        if vpc.get_or_insert_with(|| s.vpc_id.clone()) != &s.vpc_id {
            return Err(ElasticacheError::SubnetsInDifferentVpcs.into());
        }
        if !out.iter().any(|(i, _)| i == id) {
            out.push((s.id.clone(), s.az.clone()));
        }
    }
    Ok((vpc.unwrap_or_default(), out))
}

/// Fails with AWS's message unless EC2 knows every security group.
pub fn check_security_groups(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    ids: &[String],
) -> Result<(), AwsError> {
    let table = gureum_ec2::vpc::security_group::table(&svc.store);
    let scope = Scope::regional(ctx);
    for id in ids {
        if table.get(&scope.key(id))?.is_none() {
            return Err(ElasticacheError::value(format!(
                "Some security group Id not recognized by EC2: {id}"
            ))
            .into());
        }
    }
    Ok(())
}

/// `CreateCacheSubnetGroup`.
pub(crate) fn create(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = required(input, "CacheSubnetGroupName")?.to_ascii_lowercase();
    if name == "default" {
        return Err(ElasticacheError::value("Cache subnet group name default is reserved.").into());
    }
    let description = required(input, "CacheSubnetGroupDescription")?.to_string();
    let (vpc_id, subnets) = read_subnets(svc, ctx, &strings(input, "SubnetIds"))?;
    let g = SubnetGroup {
        name: name.clone(),
        description,
        vpc_id,
        subnets,
    };
    let key = Scope::regional(ctx).key(&name);
    svc.store.write(|tx| {
        if tx.get(&svc.subnet_groups, &key)?.is_some() {
            return Err(AwsError::from(
                ElasticacheError::CacheSubnetGroupAlreadyExists { name: name.clone() },
            ));
        }
        tx.put(&svc.subnet_groups, &key, &g)?;
        Ok(())
    })?;
    tags::set(svc, &arn(ctx, &name), tag_list(input))?;
    Ok(json!({ "CacheSubnetGroup": view(ctx, &g) }))
}

/// `DescribeCacheSubnetGroups`.
pub(crate) fn describe(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(name) = str_member(input, "CacheSubnetGroupName") {
        let g = load(svc, ctx, name)?;
        return Ok(json!({ "CacheSubnetGroups": [view(ctx, &g)] }));
    }
    let request = page_request(input)?;
    let page = paging::page(
        &svc.subnet_groups,
        &Scope::regional(ctx).prefix(),
        &request,
        |_, g| Some(view(ctx, &g)),
    )?;
    Ok(with_marker(
        json!({ "CacheSubnetGroups": page.items }),
        page.next_token,
    ))
}

/// `ModifyCacheSubnetGroup`.
pub(crate) fn modify(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut g = load(svc, ctx, required(input, "CacheSubnetGroupName")?)?;
    if let Some(d) = str_member(input, "CacheSubnetGroupDescription") {
        g.description = d.to_string();
    }
    let ids = strings(input, "SubnetIds");
    if !ids.is_empty() {
        let (vpc, subnets) = read_subnets(svc, ctx, &ids)?;
        g.vpc_id = vpc;
        g.subnets = subnets;
    }
    svc.subnet_groups
        .put(&Scope::regional(ctx).key(&g.name), &g)?;
    Ok(json!({ "CacheSubnetGroup": view(ctx, &g) }))
}

/// `DeleteCacheSubnetGroup`: refused while a cluster uses it.
pub(crate) fn delete(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let g = load(svc, ctx, required(input, "CacheSubnetGroupName")?)?;
    let scope = Scope::regional(ctx);
    let in_use = svc
        .clusters
        .scan_prefix(&scope.prefix())?
        .iter()
        .any(|(_, c)| c.subnet_group.as_deref() == Some(g.name.as_str()));
    if in_use {
        return Err(ElasticacheError::CacheSubnetGroupInUse {
            name: g.name.clone(),
        }
        .into());
    }
    svc.subnet_groups.delete(&scope.key(&g.name))?;
    tags::drop_all(svc, &arn(ctx, &g.name))?;
    Ok(json!({}))
}
