//! Cache parameter groups: `CreateCacheParameterGroup`,
//! `DescribeCacheParameterGroups`, `DescribeCacheParameters`,
//! `DescribeEngineDefaultParameters`, `ModifyCacheParameterGroup`,
//! `ResetCacheParameterGroup`, `DeleteCacheParameterGroup`.
//!
//! The `default.<family>` groups are the catalogue's and cannot change;
//! a change to a custom group reaches the running engines of the clusters
//! using it (`lifecycle::apply_parameters`).

use crate::catalog::{self, ParamDef};
use crate::input::{flag, page_request, required, tag_list, with_marker};
use crate::{lifecycle, tags, ElasticacheError, ElasticacheService, ParameterGroup};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::page_sorted;
use serde_json::json;
use std::collections::BTreeMap;

fn arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:elasticache:{}:{}:parametergroup:{name}",
        ctx.region, ctx.account_id
    )
}

/// The group `name` (a default one from the catalogue), or
/// `CacheParameterGroupNotFound`.
fn load(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    name: &str,
) -> Result<(ParameterGroup, bool), AwsError> {
    let lower = name.to_ascii_lowercase();
    if let Some(family) = catalog::default_group_family(&lower) {
        return Ok((
            ParameterGroup {
                name: lower,
                family: family.to_string(),
                description: format!("Default parameter group for {family}"),
                values: BTreeMap::new(),
            },
            true,
        ));
    }
    svc.parameter_groups
        .get(&Scope::regional(ctx).key(&lower))?
        .map(|g| (g, false))
        .ok_or_else(|| {
            ElasticacheError::CacheParameterGroupNotFound {
                name: name.to_string(),
            }
            .into()
        })
}

/// The family of group `name`.
pub fn family_of(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    name: &str,
) -> Result<String, AwsError> {
    Ok(load(svc, ctx, name)?.0.family)
}

fn view(ctx: &RequestContext, g: &ParameterGroup) -> Value {
    json!({
        "CacheParameterGroupName": g.name,
        "CacheParameterGroupFamily": g.family,
        "Description": g.description,
        "IsGlobal": false,
        "ARN": arn(ctx, &g.name),
    })
}

/// `CreateCacheParameterGroup`.
pub(crate) fn create(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = required(input, "CacheParameterGroupName")?.to_ascii_lowercase();
    let family = required(input, "CacheParameterGroupFamily")?;
    let description = required(input, "Description")?.to_string();
    if !catalog::is_family(family) {
        return Err(ElasticacheError::value(format!(
            "Invalid parameter group family specified: {family}"
        ))
        .into());
    }
    if name.starts_with("default.") {
        return Err(ElasticacheError::value(format!("Parameter group name {name} is reserved: names beginning with 'default.' belong to the default groups.")).into());
    }
    let g = ParameterGroup {
        name: name.clone(),
        family: family.to_string(),
        description,
        values: BTreeMap::new(),
    };
    let key = Scope::regional(ctx).key(&name);
    svc.store.write(|tx| {
        if tx.get(&svc.parameter_groups, &key)?.is_some() {
            return Err(AwsError::from(
                ElasticacheError::CacheParameterGroupAlreadyExists { name: name.clone() },
            ));
        }
        tx.put(&svc.parameter_groups, &key, &g)?;
        Ok(())
    })?;
    tags::set(svc, &arn(ctx, &name), tag_list(input))?;
    Ok(json!({ "CacheParameterGroup": view(ctx, &g) }))
}

/// `DescribeCacheParameterGroups`: the default groups, then the caller's.
pub(crate) fn describe(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(name) = str_member(input, "CacheParameterGroupName") {
        let (g, _) = load(svc, ctx, name)?;
        return Ok(json!({ "CacheParameterGroups": [view(ctx, &g)] }));
    }
    let mut all: Vec<ParameterGroup> = Vec::new();
    let mut families: Vec<&str> = catalog::ENGINE_VERSIONS.iter().map(|e| e.2).collect();
    families.dedup();
    for f in families {
        all.push(load(svc, ctx, &catalog::default_group(f))?.0);
    }
    all.extend(
        svc.parameter_groups
            .scan_prefix(&Scope::regional(ctx).prefix())?
            .into_iter()
            .map(|(_, g)| g),
    );
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let request = page_request(input)?;
    let page = page_sorted(&all, |g| g.name.clone(), &request);
    let items: Vec<Value> = page.items.iter().map(|g| view(ctx, g)).collect();
    Ok(with_marker(
        json!({ "CacheParameterGroups": items }),
        page.next_token,
    ))
}

fn parameter_view(p: &ParamDef, value: Option<&String>, min_version: &str) -> Value {
    json!({
        "ParameterName": p.name,
        "ParameterValue": value.map(String::as_str).unwrap_or(p.default),
        "Description": p.description,
        "Source": if value.is_some() { "user" } else { "system" },
        "DataType": p.data_type,
        "AllowedValues": p.allowed,
        "IsModifiable": true,
        "MinimumEngineVersion": min_version,
        "ChangeType": p.change_type,
    })
}

fn min_version(family: &str) -> &'static str {
    catalog::ENGINE_VERSIONS
        .iter()
        .find(|e| e.2 == family)
        .map_or("", |e| e.1)
}

/// `DescribeCacheParameters`.
pub(crate) fn describe_parameters(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let (g, _) = load(svc, ctx, required(input, "CacheParameterGroupName")?)?;
    let source = str_member(input, "Source");
    let defs: Vec<&ParamDef> = catalog::params_of(&g.family)
        .iter()
        .filter(|p| match source {
            Some("user") => g.values.contains_key(p.name),
            Some("system") | Some("engine-default") => !g.values.contains_key(p.name),
            _ => true,
        })
        .collect();
    let request = page_request(input)?;
    let page = page_sorted(&defs, |p| p.name.to_string(), &request);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|p| parameter_view(p, g.values.get(p.name), min_version(&g.family)))
        .collect();
    Ok(with_marker(json!({ "Parameters": items }), page.next_token))
}

/// `DescribeEngineDefaultParameters`.
pub(crate) fn engine_defaults(_ctx: &RequestContext, input: &Value) -> OpResult {
    let family = required(input, "CacheParameterGroupFamily")?;
    if !catalog::is_family(family) {
        return Err(ElasticacheError::value(format!(
            "Invalid parameter group family specified: {family}"
        ))
        .into());
    }
    let defs: Vec<&ParamDef> = catalog::params_of(family).iter().collect();
    let request = page_request(input)?;
    let page = page_sorted(&defs, |p| p.name.to_string(), &request);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|p| parameter_view(p, None, min_version(family)))
        .collect();
    let mut out = json!({ "CacheParameterGroupFamily": family, "Parameters": items, "CacheNodeTypeSpecificParameters": [] });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    Ok(json!({ "EngineDefaults": out }))
}

/// `ModifyCacheParameterGroup` (and `ResetCacheParameterGroup` with
/// `reset`): checks every value against its parameter's rule, stores them,
/// and applies them to the running engines.
pub(crate) fn modify(
    svc: &ElasticacheService,
    ctx: &RequestContext,
    input: &Value,
    reset: bool,
) -> OpResult {
    let name = required(input, "CacheParameterGroupName")?;
    let (g, is_default) = load(svc, ctx, name)?;
    if is_default {
        return Err(ElasticacheError::InvalidCacheParameterGroupState {
            message: format!("Default parameter group {} cannot be modified.", g.name),
        }
        .into());
    }
    let defs = catalog::params_of(&g.family);
    let pairs: Vec<(String, Option<String>)> = input
        .get("ParameterNameValues")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        str_member(p, "ParameterName")?.to_string(),
                        str_member(p, "ParameterValue").map(str::to_string),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let reset_all = reset && flag(input, "ResetAllParameters").unwrap_or(false);
    if pairs.is_empty() && !reset_all {
        return Err(ElasticacheError::value(
            "The parameter ParameterNameValues must be provided and must not be blank.",
        )
        .into());
    }
    let mut changed = Vec::new();
    for (pname, value) in &pairs {
        let def = defs.iter().find(|d| d.name == pname).ok_or_else(|| {
            AwsError::from(ElasticacheError::value(format!(
                "Unknown parameter: {pname}"
            )))
        })?;
        let value = if reset {
            def.default.to_string()
        } else {
            value.clone().ok_or_else(|| {
                AwsError::from(ElasticacheError::value(format!(
                    "The parameter value for {pname} must be provided."
                )))
            })?
        };
        catalog::check_value(def, &value)?;
        changed.push((pname.clone(), value));
    }
    if reset_all {
        changed = defs
            .iter()
            .filter(|d| g.values.contains_key(d.name))
            .map(|d| (d.name.to_string(), d.default.to_string()))
            .collect();
    }
    let key = Scope::regional(ctx).key(&g.name);
    svc.store.write(|tx| {
        let Some(mut g) = tx.get(&svc.parameter_groups, &key)? else {
            return Err(AwsError::from(
                ElasticacheError::CacheParameterGroupNotFound {
                    name: name.to_string(),
                },
            ));
        };
        for (k, v) in &changed {
            if reset {
                g.values.remove(k);
            } else {
                g.values.insert(k.clone(), v.clone());
            }
        }
        tx.put(&svc.parameter_groups, &key, &g)?;
        Ok(())
    })?;
    lifecycle::apply_parameters(
        &svc.backend(),
        &Scope::regional(ctx).prefix(),
        &g.name,
        &changed,
    );
    Ok(json!({ "CacheParameterGroupName": g.name }))
}

/// `DeleteCacheParameterGroup`: refused for default groups and groups in use.
pub(crate) fn delete(svc: &ElasticacheService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (g, is_default) = load(svc, ctx, required(input, "CacheParameterGroupName")?)?;
    if is_default {
        return Err(ElasticacheError::InvalidCacheParameterGroupState {
            message: format!("Default parameter group {} cannot be deleted.", g.name),
        }
        .into());
    }
    let scope = Scope::regional(ctx);
    if svc
        .clusters
        .scan_prefix(&scope.prefix())?
        .iter()
        .any(|(_, c)| c.parameter_group == g.name)
    {
        return Err(ElasticacheError::InvalidCacheParameterGroupState {
            message: format!(
                "One or more cache clusters are still members of parameter group {}.",
                g.name
            ),
        }
        .into());
    }
    svc.parameter_groups.delete(&scope.key(&g.name))?;
    tags::drop_all(svc, &arn(ctx, &g.name))?;
    Ok(json!({}))
}
