//! DB parameter groups: the catalogue's `default.FAMILY` groups and the
//! account's own, their values applied to the engines that use them
//! (dynamic ones at once, static ones at the next reboot).

use crate::catalog::{self, ApplyType, FAMILIES};
use crate::errors::{invalid_combination, invalid_value};
use crate::{s, RdsError, RdsService, Tag};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// A stored (non-default) parameter group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParameterGroup {
    /// Its name, lowercase.
    pub name: String,
    /// Its family (`postgres15`).
    pub family: String,
    /// Its description.
    pub description: String,
    /// Values the user set, by parameter name.
    pub values: BTreeMap<String, String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

fn default_family(name: &str) -> Option<&'static str> {
    let family = name.strip_prefix("default.")?;
    FAMILIES.iter().copied().find(|f| *f == family)
}

/// The group `name` (a default one built from the catalogue).
pub(crate) fn load(
    svc: &RdsService,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Option<ParameterGroup>, AwsError> {
    let name = name.to_ascii_lowercase();
    if let Some(family) = default_family(&name) {
        return Ok(Some(ParameterGroup {
            description: format!("Default parameter group for {family}"),
            name,
            family: family.to_string(),
            values: BTreeMap::new(),
            tags: vec![],
        }));
    }
    Ok(svc
        .parameter_groups
        .get(&format!("{account}/{region}/{name}"))?)
}

fn get(svc: &RdsService, ctx: &RequestContext, name: &str) -> Result<ParameterGroup, AwsError> {
    load(svc, &ctx.account_id, &ctx.region, name)?.ok_or_else(|| {
        RdsError::DbParameterGroupNotFound {
            name: name.to_string(),
        }
        .into()
    })
}

/// The group `name` for an instance of `family`: it must exist and be of
/// that family. Answers its stored name.
pub(crate) fn check_family(
    svc: &RdsService,
    ctx: &RequestContext,
    name: &str,
    family: &str,
) -> Result<String, AwsError> {
    let group = get(svc, ctx, name)?;
    if group.family != family {
        return Err(invalid_combination(format!(
            "The parameter group {} with DBParameterGroupFamily {} can't be used for this instance. Use a parameter group with DBParameterGroupFamily {family}.",
            group.name, group.family
        )));
    }
    Ok(group.name)
}

/// The values an engine runs with: the family's defaults, then the
/// group's own.
pub(crate) fn values(
    svc: &RdsService,
    account: &str,
    region: &str,
    name: &str,
) -> Vec<(String, String)> {
    let Ok(Some(group)) = load(svc, account, region, name) else {
        return vec![];
    };
    let mut all: BTreeMap<String, String> = catalog::parameters(&group.family)
        .iter()
        .filter_map(|p| p.default.map(|d| (p.name.to_string(), d.to_string())))
        .collect();
    all.extend(group.values.clone());
    all.into_iter().collect()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn group_value(ctx: &RequestContext, g: &ParameterGroup) -> Value {
    json!({
        "DBParameterGroupName": g.name,
        "DBParameterGroupFamily": g.family,
        "Description": g.description,
        "DBParameterGroupArn": crate::arn(ctx, "pg", &g.name),
    })
}

pub(crate) fn create(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = s(input, "DBParameterGroupName").unwrap_or("");
    if !valid_name(name) || name.to_ascii_lowercase().starts_with("default") {
        return Err(invalid_value(
            "The parameter DBParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.",
        ));
    }
    let family = s(input, "DBParameterGroupFamily").unwrap_or("");
    if !FAMILIES.contains(&family) {
        return Err(invalid_value(format!(
            "The parameter DBParameterGroupFamily is not a valid value: {family}"
        )));
    }
    let group = ParameterGroup {
        name: name.to_ascii_lowercase(),
        family: family.to_string(),
        description: s(input, "Description").unwrap_or("").to_string(),
        values: BTreeMap::new(),
        tags: crate::tags::parse(input),
    };
    let key = Scope::regional(ctx).key(&group.name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        if txn.get(&svc.parameter_groups, &key)?.is_some() {
            return Err(RdsError::DbParameterGroupAlreadyExists {
                name: group.name.clone(),
            }
            .into());
        }
        txn.put(&svc.parameter_groups, &key, &group)?;
        Ok(())
    })?;
    Ok(json!({ "DBParameterGroup": group_value(ctx, &group) }))
}

pub(crate) fn describe_groups(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(name) = s(input, "DBParameterGroupName") {
        let g = get(svc, ctx, name)?;
        return Ok(json!({ "DBParameterGroups": [group_value(ctx, &g)] }));
    }
    let request = crate::instances::page_request(input)?;
    let mut all: Vec<ParameterGroup> = FAMILIES
        .iter()
        .filter_map(|f| {
            load(svc, &ctx.account_id, &ctx.region, &format!("default.{f}"))
                .ok()
                .flatten()
        })
        .collect();
    all.extend(
        svc.parameter_groups
            .scan_prefix(&Scope::regional(ctx).prefix())?
            .into_iter()
            .map(|(_, g)| g),
    );
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let page = gureum_kit::paging::page_sorted(&all, |g| g.name.clone(), &request);
    let mut out = json!({
        "DBParameterGroups": page.items.iter().map(|g| group_value(ctx, g)).collect::<Vec<_>>(),
    });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    Ok(out)
}

/// One requested change: name, value (`None` to reset), apply method.
struct Change {
    name: String,
    value: Option<String>,
    apply: ApplyType,
    immediate: bool,
}

fn requested(input: &Value, family: &str, reset: bool) -> Result<Vec<Change>, AwsError> {
    let list = gureum_core::member::member(input, "Parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let specs = catalog::parameters(family);
    let mut changes = Vec::new();
    for p in &list {
        let name = s(p, "ParameterName").unwrap_or("");
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            return Err(invalid_value(format!(
                "Could not find parameter with name: {name}"
            )));
        };
        let method = s(p, "ApplyMethod").unwrap_or("pending-reboot");
        if method == "immediate" && spec.apply == ApplyType::Static {
            return Err(invalid_combination(format!(
                "cannot use immediate apply method for static parameter {name}"
            )));
        }
        let value = if reset {
            None
        } else {
            let Some(value) = s(p, "ParameterValue") else {
                return Err(invalid_value(format!(
                    "Invalid parameter value:  for: {name}"
                )));
            };
            if !catalog::value_allowed(spec, value) {
                return Err(invalid_value(format!(
                    "Invalid parameter value: {value} for: {name} allowed values are: {}",
                    spec.allowed
                )));
            }
            Some(value.to_string())
        };
        changes.push(Change {
            name: name.to_string(),
            value,
            apply: spec.apply,
            immediate: method == "immediate",
        });
    }
    Ok(changes)
}

fn change_group(svc: &RdsService, ctx: &RequestContext, input: &Value, reset: bool) -> OpResult {
    let name = s(input, "DBParameterGroupName")
        .unwrap_or("")
        .to_ascii_lowercase();
    let group = get(svc, ctx, &name)?;
    if default_family(&name).is_some() {
        return Err(RdsError::DefaultParameterGroup { name }.into());
    }
    let mut changes = requested(input, &group.family, reset)?;
    if reset && crate::boolean(input, "ResetAllParameters") == Some(true) {
        changes = catalog::parameters(&group.family)
            .iter()
            .filter(|spec| group.values.contains_key(spec.name))
            .map(|spec| Change {
                name: spec.name.to_string(),
                value: None,
                apply: spec.apply,
                immediate: spec.apply == ApplyType::Dynamic,
            })
            .collect();
    }
    let key = Scope::regional(ctx).key(&name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let Some(mut g) = txn.get(&svc.parameter_groups, &key)? else {
            return Err(RdsError::DbParameterGroupNotFound { name: name.clone() }.into());
        };
        for c in &changes {
            match &c.value {
                Some(v) => g.values.insert(c.name.clone(), v.clone()),
                None => g.values.remove(&c.name),
            };
        }
        txn.put(&svc.parameter_groups, &key, &g)?;
        Ok(())
    })?;
    propagate(svc, ctx, &name, &changes)?;
    Ok(json!({ "DBParameterGroupName": name }))
}

/// Tells the instances using group `name`: dynamic values applied now go
/// to their engines, anything else waits for a reboot (`pending-reboot`).
fn propagate(
    svc: &RdsService,
    ctx: &RequestContext,
    name: &str,
    changes: &[Change],
) -> Result<(), AwsError> {
    let now: Vec<(String, String)> = changes
        .iter()
        .filter(|c| c.apply == ApplyType::Dynamic && c.immediate)
        .map(|c| {
            (
                c.name.clone(),
                c.value.clone().unwrap_or_else(|| "DEFAULT".into()),
            )
        })
        .collect();
    let later = changes
        .iter()
        .any(|c| c.apply == ApplyType::Static || !c.immediate);
    let values = values(svc, &ctx.account_id, &ctx.region, name);
    for (key, inst) in svc.instances.scan_prefix(&Scope::regional(ctx).prefix())? {
        if inst.parameter_group != name {
            continue;
        }
        if !now.is_empty() {
            svc.engines.apply_dynamic(&key, &values, &now);
        }
        if later {
            crate::instances::update(svc, &key, &inst.id, |i| {
                i.parameter_apply_status = "pending-reboot".into();
                Ok(())
            })?;
        }
    }
    Ok(())
}

pub(crate) fn modify(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    change_group(svc, ctx, input, false)
}

pub(crate) fn reset(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    change_group(svc, ctx, input, true)
}

pub(crate) fn delete(svc: &RdsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let name = s(input, "DBParameterGroupName")
        .unwrap_or("")
        .to_ascii_lowercase();
    get(svc, ctx, &name)?;
    if default_family(&name).is_some() {
        return Err(invalid_value("Default DBParameterGroup cannot be deleted"));
    }
    let scope = Scope::regional(ctx);
    if svc
        .instances
        .scan_prefix(&scope.prefix())?
        .iter()
        .any(|(_, i)| i.parameter_group == name)
    {
        return Err(RdsError::ParameterGroupInUse { name }.into());
    }
    svc.parameter_groups.delete(&scope.key(&name))?;
    Ok(json!({}))
}

pub(crate) fn describe_parameters(
    svc: &RdsService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = s(input, "DBParameterGroupName").unwrap_or("");
    let group = get(svc, ctx, name)?;
    let source = s(input, "Source");
    let request = crate::instances::page_request(input)?;
    let specs = catalog::parameters(&group.family);
    let items: Vec<Value> = specs
        .iter()
        .filter_map(|spec| {
            let user = group.values.get(spec.name);
            let src = if user.is_some() {
                "user"
            } else if spec.default.is_some() {
                "system"
            } else {
                "engine-default"
            };
            if source.is_some_and(|want| want != src) {
                return None;
            }
            let mut v = json!({
                "ParameterName": spec.name,
                "Description": spec.description,
                "Source": src,
                "ApplyType": if spec.apply == ApplyType::Static { "static" } else { "dynamic" },
                "DataType": spec.data_type,
                "IsModifiable": true,
                "ApplyMethod": "pending-reboot",
            });
            if !spec.allowed.is_empty() {
                v["AllowedValues"] = json!(spec.allowed);
            }
            if let Some(value) = user.map(String::as_str).or(spec.default) {
                v["ParameterValue"] = json!(value);
            }
            Some(v)
        })
        .collect();
    let page = gureum_kit::paging::page_sorted(
        &items,
        |v| v["ParameterName"].as_str().unwrap_or("").to_string(),
        &request,
    );
    let mut out = json!({ "Parameters": page.items });
    if let Some(m) = page.next_token {
        out["Marker"] = json!(m);
    }
    Ok(out)
}
