//! Launch templates: `CreateLaunchTemplate`, `CreateLaunchTemplateVersion`,
//! `DescribeLaunchTemplates`, `DescribeLaunchTemplateVersions`,
//! `ModifyLaunchTemplate`, `DeleteLaunchTemplate`,
//! `DeleteLaunchTemplateVersions`.
//!
//! `LaunchTemplateData` is stored as given (the model's request shape has
//! the response shape's member names). A new version made from
//! `SourceVersion` takes the source's data with the given top-level
//! members replacing the source's. Names are unique per region.
//!
//! For RunInstances (and Auto Scaling): [`resolve_launch_template`] gives
//! a template's data by id or name and version (`$Latest`, `$Default`, a
//! number; `$Default` when none is given).

use crate::common::errors::Ec2Error;
use crate::common::network::{self, dry_run, key, prefix, str_member};
use crate::{common::filter, common::tags, Ec2Service};
use gureum_core::id::resource_id;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored launch template.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LaunchTemplate {
    /// `lt-…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Created at (ms).
    pub create_ms: i64,
    /// The creator's ARN.
    pub created_by: String,
    /// The default version.
    pub default_version: i64,
    /// The latest version number ever made.
    pub latest_version: i64,
}

/// One version of a template.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LaunchTemplateVersion {
    /// 1, 2, …
    pub number: i64,
    /// `VersionDescription`.
    #[serde(default)]
    pub description: Option<String>,
    /// `LaunchTemplateData` as given.
    pub data: Value,
    /// Created at (ms).
    pub create_ms: i64,
}

/// The template table.
pub fn table(store: &Store) -> Table<LaunchTemplate> {
    store.table("ec2.launch_templates")
}

/// The version table, keyed `{account}/{region}/{lt-id}/{number:010}`.
pub fn version_table(store: &Store) -> Table<LaunchTemplateVersion> {
    store.table("ec2.launch_template_versions")
}

fn version_key(ctx: &RequestContext, id: &str, n: i64) -> String {
    format!("{}{n:010}", version_prefix(ctx, id))
}

fn version_prefix(ctx: &RequestContext, id: &str) -> String {
    format!("{}/", key(ctx, id))
}

fn id_not_found(id: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidLaunchTemplateIdNotFound { id: id.to_string() })
}

fn name_not_found(name: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidLaunchTemplateNameNotFoundException {
        name: name.to_string(),
    })
}

fn version_not_found(id: &str, v: &str) -> AwsError {
    AwsError::from(Ec2Error::InvalidLaunchTemplateIdVersionNotFound {
        id: id.to_string(),
        v: v.to_string(),
    })
}

fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = (3..=128).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AwsError::from(
            Ec2Error::InvalidLaunchTemplateNameMalformedException,
        ))
    }
}

fn check_description(input: &Value) -> Result<Option<String>, AwsError> {
    match str_member(input, "VersionDescription") {
        Some(d) if d.chars().count() > 255 => Err(network::invalid_value(
            "Version description must be at most 255 characters.",
        )),
        d => Ok(d.map(str::to_string)),
    }
}

/// Finds a template by `LaunchTemplateId` or `LaunchTemplateName`.
fn find(
    templates: &[(String, LaunchTemplate)],
    id: Option<&str>,
    name: Option<&str>,
) -> Result<(String, LaunchTemplate), AwsError> {
    match (id, name) {
        (Some(_), Some(_)) => Err(AwsError::from(Ec2Error::InvalidParameterCombination {
            message: "Only one of LaunchTemplateId and LaunchTemplateName may be given.".into(),
        })),
        (Some(id), None) => templates
            .iter()
            .find(|(_, t)| t.id == id)
            .cloned()
            .ok_or_else(|| id_not_found(id)),
        (None, Some(name)) => templates
            .iter()
            .find(|(_, t)| t.name == name)
            .cloned()
            .ok_or_else(|| name_not_found(name)),
        (None, None) => Err(network::missing("LaunchTemplateId or LaunchTemplateName")),
    }
}

/// A version selector (`$Latest`, `$Default`, a number) as a number.
fn version_number(t: &LaunchTemplate, v: &str) -> Result<i64, AwsError> {
    match v {
        "$Latest" => Ok(t.latest_version),
        "$Default" => Ok(t.default_version),
        n => n.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            network::invalid_value(format!(
                "Value ({n}) for parameter version is invalid. Version must be a number, $Latest or $Default."
            ))
        }),
    }
}

/// For RunInstances: the `LaunchTemplateData` of a template's version
/// (`$Default` when `version` is `None`).
pub fn resolve_launch_template(
    store: &Store,
    ctx: &RequestContext,
    id: Option<&str>,
    name: Option<&str>,
    version: Option<&str>,
) -> Result<Value, AwsError> {
    resolve_launch_template_version(store, ctx, id, name, version).map(|(_, _, data)| data)
}

/// [`resolve_launch_template`] with the template's id and the version
/// number it resolved to (RunInstances tags instances with both).
pub fn resolve_launch_template_version(
    store: &Store,
    ctx: &RequestContext,
    id: Option<&str>,
    name: Option<&str>,
    version: Option<&str>,
) -> Result<(String, i64, Value), AwsError> {
    let all = table(store).scan_prefix(&prefix(ctx))?;
    let (_, t) = find(&all, id, name)?;
    let n = version_number(&t, version.unwrap_or("$Default"))?;
    version_table(store)
        .get(&version_key(ctx, &t.id, n))?
        .map(|v| (t.id.clone(), n, v.data))
        .ok_or_else(|| version_not_found(&t.id, &n.to_string()))
}

fn template_value(t: &LaunchTemplate, tags: &tags::Tags) -> Value {
    json!({
        "LaunchTemplateId": t.id,
        "LaunchTemplateName": t.name,
        "CreateTime": t.create_ms / 1000,
        "CreatedBy": t.created_by,
        "DefaultVersionNumber": t.default_version,
        "LatestVersionNumber": t.latest_version,
        "Tags": network::tag_list(tags),
    })
}

fn version_value(t: &LaunchTemplate, v: &LaunchTemplateVersion) -> Value {
    let mut out = json!({
        "LaunchTemplateId": t.id,
        "LaunchTemplateName": t.name,
        "VersionNumber": v.number,
        "CreateTime": v.create_ms / 1000,
        "CreatedBy": t.created_by,
        "DefaultVersion": v.number == t.default_version,
        "LaunchTemplateData": v.data,
    });
    if let Some(d) = &v.description {
        out["VersionDescription"] = json!(d);
    }
    out
}

fn templates_in(
    txn: &WriteTxn,
    store: &Store,
    ctx: &RequestContext,
) -> Result<Vec<(String, LaunchTemplate)>, AwsError> {
    Ok(txn.scan_prefix(&table(store), &prefix(ctx))?)
}

impl Ec2Service {
    /// `CreateLaunchTemplate`: version 1, the default.
    pub(crate) fn create_launch_template(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let name = network::required(&input, "LaunchTemplateName")?;
        check_name(name)?;
        let data = input
            .get("LaunchTemplateData")
            .cloned()
            .ok_or_else(|| network::missing("LaunchTemplateData"))?;
        let description = check_description(&input)?;
        let tags = network::spec_tags(&input, "launch-template")?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let t = store.write(|txn| {
            if templates_in(txn, store, ctx)?
                .iter()
                .any(|(_, t)| t.name == name)
            {
                return Err(AwsError::from(
                    Ec2Error::InvalidLaunchTemplateNameAlreadyExistsException {
                        name: name.to_string(),
                    },
                ));
            }
            let t = LaunchTemplate {
                id: resource_id("lt"),
                name: name.to_string(),
                create_ms: now,
                created_by: format!("arn:aws:iam::{}:root", ctx.account_id),
                default_version: 1,
                latest_version: 1,
            };
            let v = LaunchTemplateVersion {
                number: 1,
                description,
                data,
                create_ms: now,
            };
            txn.put(&table(store), &key(ctx, &t.id), &t)?;
            txn.put(&version_table(store), &version_key(ctx, &t.id, 1), &v)?;
            tags::put_in(txn, store, ctx, &t.id, &tags)?;
            Ok::<_, AwsError>(t)
        })?;
        Ok(json!({ "LaunchTemplate": template_value(&t, &tags) }))
    }

    /// `CreateLaunchTemplateVersion`: the next number, optionally from
    /// `SourceVersion`.
    pub(crate) fn create_launch_template_version(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["ResolveAlias"])?;
        dry_run(&input)?;
        let data = input
            .get("LaunchTemplateData")
            .cloned()
            .ok_or_else(|| network::missing("LaunchTemplateData"))?;
        let description = check_description(&input)?;
        let now = ctx.clock.now_millis();
        let store = &self.store;
        let (t, v) = store.write(|txn| {
            let all = templates_in(txn, store, ctx)?;
            let (k, mut t) = find(
                &all,
                str_member(&input, "LaunchTemplateId"),
                str_member(&input, "LaunchTemplateName"),
            )?;
            let data = match str_member(&input, "SourceVersion") {
                Some(sv) => {
                    let n = version_number(&t, sv)?;
                    let src = txn
                        .get(&version_table(store), &version_key(ctx, &t.id, n))?
                        .ok_or_else(|| version_not_found(&t.id, sv))?;
                    let mut merged = src.data;
                    if let (Some(m), Some(d)) = (merged.as_object_mut(), data.as_object()) {
                        for (mk, mv) in d {
                            m.insert(mk.clone(), mv.clone());
                        }
                    }
                    merged
                }
                None => data,
            };
            t.latest_version += 1;
            let v = LaunchTemplateVersion {
                number: t.latest_version,
                description,
                data,
                create_ms: now,
            };
            txn.put(&table(store), &k, &t)?;
            txn.put(
                &version_table(store),
                &version_key(ctx, &t.id, v.number),
                &v,
            )?;
            Ok::<_, AwsError>((t, v))
        })?;
        Ok(json!({ "LaunchTemplateVersion": version_value(&t, &v) }))
    }

    /// `DescribeLaunchTemplates`: ids, names, filters, pagination.
    pub(crate) fn describe_launch_templates(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ids = network::strings(&input, "LaunchTemplateIds");
        let names = network::strings(&input, "LaunchTemplateNames");
        let filters = filter::parse(&input);
        network::check_filters(&filters, &["launch-template-name", "create-time"])?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        for id in &ids {
            if !all.iter().any(|(_, t)| &t.id == id) {
                return Err(id_not_found(id));
            }
        }
        for n in &names {
            if !all.iter().any(|(_, t)| &t.name == n) {
                return Err(name_not_found(n));
            }
        }
        let mut items = Vec::new();
        for (_, t) in all {
            if (!ids.is_empty() && !ids.contains(&t.id))
                || (!names.is_empty() && !names.contains(&t.name))
            {
                continue;
            }
            let tg = tags::get(&self.store, ctx, &t.id)?;
            let keep = network::matches(&filters, &tg, |f| match f {
                "launch-template-name" => vec![t.name.clone()],
                "create-time" => vec![gureum_core::timestamp::format_iso8601(t.create_ms)],
                _ => vec![],
            });
            if keep {
                items.push((t.id.clone(), template_value(&t, &tg)));
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "LaunchTemplates": page }),
            next,
        ))
    }

    /// `DescribeLaunchTemplateVersions`: `Versions` (`$Latest`,
    /// `$Default`, numbers), `MinVersion`/`MaxVersion`, filters.
    pub(crate) fn describe_launch_template_versions(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        crate::common::unsupported::refuse_unimplemented(&input, &["ResolveAlias"])?;
        let filters = filter::parse(&input);
        network::check_filters(
            &filters,
            &[
                "is-default-version",
                "image-id",
                "instance-type",
                "create-time",
            ],
        )?;
        let all = table(&self.store).scan_prefix(&prefix(ctx))?;
        let id = str_member(&input, "LaunchTemplateId");
        let name = str_member(&input, "LaunchTemplateName");
        let selectors = network::strings(&input, "Versions");
        let templates: Vec<LaunchTemplate> = if id.is_none() && name.is_none() {
            if selectors.iter().any(|s| !s.starts_with('$')) {
                return Err(network::invalid_value(
                    "Version numbers can only be given with a launch template id or name.",
                ));
            }
            all.into_iter().map(|(_, t)| t).collect()
        } else {
            vec![find(&all, id, name)?.1]
        };
        let min = str_member(&input, "MinVersion").and_then(|v| v.parse::<i64>().ok());
        let max = str_member(&input, "MaxVersion").and_then(|v| v.parse::<i64>().ok());
        let mut items = Vec::new();
        for t in &templates {
            let versions: Vec<LaunchTemplateVersion> = version_table(&self.store)
                .scan_prefix(&version_prefix(ctx, &t.id))?
                .into_iter()
                .map(|(_, v)| v)
                .collect();
            let wanted: Option<Vec<i64>> = if selectors.is_empty() {
                None
            } else {
                let mut w = Vec::new();
                for s in &selectors {
                    let n = version_number(t, s)?;
                    if !versions.iter().any(|v| v.number == n) {
                        return Err(version_not_found(&t.id, s));
                    }
                    w.push(n);
                }
                Some(w)
            };
            for v in versions {
                if wanted.as_ref().is_some_and(|w| !w.contains(&v.number))
                    || min.is_some_and(|m| v.number < m)
                    || max.is_some_and(|m| v.number > m)
                {
                    continue;
                }
                let keep = network::matches(&filters, &Default::default(), |f| match f {
                    "is-default-version" => vec![network::bool_text(v.number == t.default_version)],
                    "image-id" => v.data["ImageId"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    "instance-type" => v.data["InstanceType"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    "create-time" => vec![gureum_core::timestamp::format_iso8601(v.create_ms)],
                    _ => vec![],
                });
                if keep {
                    items.push((format!("{}:{:010}", t.id, v.number), version_value(t, &v)));
                }
            }
        }
        let (page, next) = network::paginate(items, &input)?;
        Ok(network::with_token(
            json!({ "LaunchTemplateVersions": page }),
            next,
        ))
    }

    /// `ModifyLaunchTemplate`: sets `DefaultVersion`.
    pub(crate) fn modify_launch_template(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let store = &self.store;
        let t = store.write(|txn| {
            let all = templates_in(txn, store, ctx)?;
            let (k, mut t) = find(
                &all,
                str_member(&input, "LaunchTemplateId"),
                str_member(&input, "LaunchTemplateName"),
            )?;
            if let Some(dv) = str_member(&input, "DefaultVersion") {
                let n = version_number(&t, dv)?;
                if txn
                    .get(&version_table(store), &version_key(ctx, &t.id, n))?
                    .is_none()
                {
                    return Err(version_not_found(&t.id, dv));
                }
                t.default_version = n;
                txn.put(&table(store), &k, &t)?;
            }
            Ok::<_, AwsError>(t)
        })?;
        let tg = tags::get(store, ctx, &t.id)?;
        Ok(json!({ "LaunchTemplate": template_value(&t, &tg) }))
    }

    /// `DeleteLaunchTemplate`: with all its versions.
    pub(crate) fn delete_launch_template(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dry_run(&input)?;
        let store = &self.store;
        let t = store.write(|txn| {
            let all = templates_in(txn, store, ctx)?;
            let (k, t) = find(
                &all,
                str_member(&input, "LaunchTemplateId"),
                str_member(&input, "LaunchTemplateName"),
            )?;
            for (vk, _) in txn.scan_prefix(&version_table(store), &version_prefix(ctx, &t.id))? {
                txn.delete(&version_table(store), &vk)?;
            }
            txn.delete(&table(store), &k)?;
            tags::delete_in(txn, store, ctx, &t.id)?;
            Ok::<_, AwsError>(t)
        })?;
        Ok(json!({ "LaunchTemplate": template_value(&t, &tags::Tags::new()) }))
    }

    /// `DeleteLaunchTemplateVersions`: per version, success or an error
    /// item (the default version cannot be deleted).
    pub(crate) fn delete_launch_template_versions(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        dry_run(&input)?;
        let selectors = network::strings(&input, "Versions");
        if selectors.is_empty() {
            return Err(network::missing("Versions"));
        }
        let store = &self.store;
        store.write(|txn| {
            let all = templates_in(txn, store, ctx)?;
            let (_, t) = find(
                &all,
                str_member(&input, "LaunchTemplateId"),
                str_member(&input, "LaunchTemplateName"),
            )?;
            let mut ok = Vec::new();
            let mut failed = Vec::new();
            for s in &selectors {
                let fail = |n: i64, code: &str, msg: &str| {
                    json!({
                        "LaunchTemplateId": t.id,
                        "LaunchTemplateName": t.name,
                        "VersionNumber": n,
                        "ResponseError": {"Code": code, "Message": msg},
                    })
                };
                let n = match s.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => {
                        failed.push(fail(0, "unexpectedError", "Version must be a number."));
                        continue;
                    }
                };
                if n == t.default_version {
                    failed.push(fail(
                        n,
                        "unexpectedError",
                        "Cannot delete the default version of a launch template.",
                    ));
                    continue;
                }
                if !txn.delete(&version_table(store), &version_key(ctx, &t.id, n))? {
                    failed.push(fail(
                        n,
                        "launchTemplateVersionDoesNotExist",
                        "The specified launch template version does not exist.",
                    ));
                    continue;
                }
                ok.push(json!({
                    "LaunchTemplateId": t.id,
                    "LaunchTemplateName": t.name,
                    "VersionNumber": n,
                }));
            }
            Ok::<_, AwsError>(json!({
                "SuccessfullyDeletedLaunchTemplateVersions": ok,
                "UnsuccessfullyDeletedLaunchTemplateVersions": failed,
            }))
        })
    }
}
