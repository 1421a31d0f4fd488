//! Versions and aliases: `PublishVersion`, `ListVersionsByFunction`,
//! `CreateAlias`, `GetAlias`, `ListAliases`, `UpdateAlias`, `DeleteAlias`,
//! and how a qualifier (`$LATEST`, a version, an alias with weighted
//! routing) picks what an invocation runs.
//!
//! Tables: `lambda.versions` (`account/region/name/NNNNNNNNNN` → the
//! version's [`Function`], its configuration frozen) and `lambda.aliases`
//! (`account/region/name/ALIAS` → the alias configuration).

use crate::errors::LambdaError;
use crate::functions::{arn_for, parse_name, settled};
use crate::{invalid, str_member, Function, LambdaService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The stored key of version `n` of the function at `key`.
pub fn version_key(function_key: &str, n: u64) -> String {
    format!("{function_key}/{n:010}")
}

fn alias_not_found(ctx: &RequestContext, name: &str, alias: &str) -> AwsError {
    LambdaError::ResourceNotFound {
        message: format!("Cannot find alias arn: {}:{alias}", arn_for(ctx, name)),
    }
    .into()
}

fn version_not_found(ctx: &RequestContext, name: &str, q: &str) -> AwsError {
    LambdaError::ResourceNotFound {
        message: format!("Function not found: {}:{q}", arn_for(ctx, name)),
    }
    .into()
}

impl LambdaService {
    /// The function, version or alias target named by `FunctionName` and
    /// `Qualifier`: the record to run or describe. An alias with weighted
    /// routing picks a version by its weights.
    pub(crate) fn resolve(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(String, Function), AwsError> {
        let full = str_member(input, "FunctionName");
        let (name, q) = parse_name(full);
        let qualifier = input.get("Qualifier").and_then(Value::as_str).or(q);
        let (key, latest) = self.find(ctx, name)?;
        let version = match qualifier {
            None | Some("$LATEST") => return Ok((key, latest)),
            Some(q) if q.chars().all(|c| c.is_ascii_digit()) => q.to_string(),
            Some(alias) => {
                let a = self
                    .aliases
                    .get(&format!("{key}/{alias}"))
                    .map_err(AwsError::from)?
                    .ok_or_else(|| alias_not_found(ctx, name, alias))?;
                pick_version(&a)
            }
        };
        if version == "$LATEST" {
            return Ok((key, latest));
        }
        let n: u64 = version
            .parse()
            .map_err(|_| version_not_found(ctx, name, &version))?;
        let f = self
            .versions
            .get(&version_key(&key, n))
            .map_err(AwsError::from)?
            .ok_or_else(|| version_not_found(ctx, name, &version))?;
        Ok((key, f))
    }

    /// `PublishVersion`: freezes `$LATEST`'s code and configuration as the
    /// next version (or answers the last one when nothing changed).
    pub(crate) fn publish_version(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "FunctionName");
        let (key, _) = self.find(ctx, name)?;
        let (functions, versions) = (self.functions.clone(), self.versions.clone());
        let now = ctx.clock.now_millis();
        let version = self.store.write(|txn| {
            let Some(mut f) = txn.get(&functions, &key).map_err(AwsError::from)? else {
                return Err(crate::functions::not_found(ctx, parse_name(name).0));
            };
            let sha = f.config["CodeSha256"].as_str().unwrap_or_default().to_string();
            if let Some(want) = input.get("CodeSha256").and_then(Value::as_str) {
                if want != sha {
                    return Err(LambdaError::PreconditionFailed {
                        message: format!("CodeSHA256 ({want}) is different from current CodeSHA256 in $LATEST({sha}). Please try again with the current CodeSHA256."),
                    }
                    .into());
                }
            }
            if let Some(r) = input.get("RevisionId").and_then(Value::as_str) {
                if f.config["RevisionId"] != r {
                    return Err(LambdaError::PreconditionFailed {
                        message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id".into(),
                    }
                    .into());
                }
            }
            if f.last_version > 0 && f.published_revision == f.config["RevisionId"].as_str().unwrap_or_default() {
                let last = txn
                    .get(&versions, &version_key(&key, f.last_version))
                    .map_err(AwsError::from)?;
                if let Some(v) = last {
                    return Ok(v);
                }
            }
            let n = f.last_version + 1;
            let mut v = f.clone();
            v.tags.clear();
            v.policy.clear();
            v.config["Version"] = json!(n.to_string());
            v.config["FunctionArn"] = json!(format!("{}:{n}", f.config["FunctionArn"].as_str().unwrap_or_default()));
            v.config["RevisionId"] = json!(crate::new_request_id());
            if let Some(d) = input.get("Description").and_then(Value::as_str) {
                v.config["Description"] = json!(d);
            }
            v.settles_at = now + 1;
            f.last_version = n;
            f.published_revision = f.config["RevisionId"].as_str().unwrap_or_default().to_string();
            f.code_shas.insert(f.code_sha.clone());
            txn.put(&versions, &version_key(&key, n), &v).map_err(AwsError::from)?;
            txn.put(&functions, &key, &f).map_err(AwsError::from)?;
            Ok(v)
        })?;
        let mut out = version.config.clone();
        if now < version.settles_at {
            out["State"] = json!("Active");
            out["LastUpdateStatus"] = json!("Successful");
            if let Some(o) = out.as_object_mut() {
                o.remove("StateReason");
                o.remove("StateReasonCode");
                o.remove("LastUpdateStatusReason");
            }
        }
        Ok(out)
    }

    /// `ListVersionsByFunction`: `$LATEST`, then versions in order.
    pub(crate) fn list_versions_by_function(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "FunctionName");
        let (key, f) = self.find(ctx, name)?;
        let now = ctx.clock.now_millis();
        let mut all = vec![settled(&f, now)];
        for (_, v) in self
            .versions
            .scan_prefix(&format!("{key}/"))
            .map_err(AwsError::from)?
        {
            all.push(settled(&v, now));
        }
        crate::page_by_marker(all, &input, "Versions")
    }

    /// `CreateAlias`.
    pub(crate) fn create_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "FunctionName");
        let alias = str_member(&input, "Name").to_string();
        if alias.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(format!("Alias name cannot be a number: {alias}")));
        }
        let (key, _) = self.find(ctx, name)?;
        let fname = parse_name(name).0;
        let config = self.alias_config(ctx, &key, fname, &alias, &input, None)?;
        let table = self.aliases.clone();
        let akey = format!("{key}/{alias}");
        self.store.write(|txn| {
            if txn.get(&table, &akey).map_err(AwsError::from)?.is_some() {
                return Err(AwsError::from(LambdaError::ResourceConflict {
                    message: format!("Alias already exists: {}:{alias}", arn_for(ctx, fname)),
                }));
            }
            txn.put(&table, &akey, &config).map_err(AwsError::from)
        })?;
        Ok(config)
    }

    fn alias_config(
        &self,
        ctx: &RequestContext,
        key: &str,
        fname: &str,
        alias: &str,
        input: &Value,
        old: Option<&Value>,
    ) -> OpResult {
        let version = input
            .get("FunctionVersion")
            .and_then(Value::as_str)
            .or_else(|| old.and_then(|o| o["FunctionVersion"].as_str()))
            .unwrap_or("$LATEST")
            .to_string();
        self.check_version(ctx, key, fname, &version)?;
        let mut config = json!({
            "AliasArn": format!("{}:{alias}", arn_for(ctx, fname)),
            "Name": alias,
            "FunctionVersion": version,
            "Description": input.get("Description").and_then(Value::as_str)
                .or_else(|| old.and_then(|o| o["Description"].as_str())).unwrap_or(""),
            "RevisionId": crate::new_request_id(),
        });
        let routing = input
            .get("RoutingConfig")
            .or_else(|| old.and_then(|o| o.get("RoutingConfig")));
        if let Some(r) = routing {
            if let Some(w) = r.get("AdditionalVersionWeights").and_then(Value::as_object) {
                for (v, weight) in w {
                    self.check_version(ctx, key, fname, v)?;
                    let x = weight.as_f64().unwrap_or(-1.0);
                    if !(0.0..=1.0).contains(&x) {
                        return Err(invalid(format!("Invalid weight {x} for version {v}.")));
                    }
                }
                if !w.is_empty() {
                    config["RoutingConfig"] = r.clone();
                }
            }
        }
        Ok(config)
    }

    fn check_version(
        &self,
        ctx: &RequestContext,
        key: &str,
        fname: &str,
        v: &str,
    ) -> Result<(), AwsError> {
        if v == "$LATEST" {
            return Ok(());
        }
        let n: u64 = v.parse().map_err(|_| version_not_found(ctx, fname, v))?;
        if self
            .versions
            .get(&version_key(key, n))
            .map_err(AwsError::from)?
            .is_none()
        {
            return Err(version_not_found(ctx, fname, v));
        }
        Ok(())
    }

    /// `GetAlias`.
    pub(crate) fn get_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "FunctionName");
        let alias = str_member(&input, "Name");
        let (key, _) = self.find(ctx, name)?;
        self.aliases
            .get(&format!("{key}/{alias}"))
            .map_err(AwsError::from)?
            .ok_or_else(|| alias_not_found(ctx, parse_name(name).0, alias))
    }

    /// `ListAliases` (optionally of one `FunctionVersion`).
    pub(crate) fn list_aliases(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "FunctionName");
        let (key, _) = self.find(ctx, name)?;
        let only = input.get("FunctionVersion").and_then(Value::as_str);
        let all: Vec<Value> = self
            .aliases
            .scan_prefix(&format!("{key}/"))
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, a)| a)
            .filter(|a| only.is_none_or(|v| a["FunctionVersion"] == v))
            .collect();
        crate::page_by_marker(all, &input, "Aliases")
    }

    /// `UpdateAlias`.
    pub(crate) fn update_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let old = self.get_alias(ctx, input.clone())?;
        if let Some(r) = input.get("RevisionId").and_then(Value::as_str) {
            if old["RevisionId"] != r {
                return Err(LambdaError::PreconditionFailed {
                    message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id".into(),
                }
                .into());
            }
        }
        let name = str_member(&input, "FunctionName");
        let alias = str_member(&input, "Name");
        let (key, _) = self.find(ctx, name)?;
        let config = self.alias_config(ctx, &key, parse_name(name).0, alias, &input, Some(&old))?;
        self.aliases
            .put(&format!("{key}/{alias}"), &config)
            .map_err(AwsError::from)?;
        Ok(config)
    }

    /// `DeleteAlias`.
    pub(crate) fn delete_alias(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = str_member(&input, "FunctionName");
        let alias = str_member(&input, "Name");
        let (key, _) = self.find(ctx, name)?;
        self.aliases
            .delete(&format!("{key}/{alias}"))
            .map_err(AwsError::from)?;
        Ok(json!({}))
    }
}

/// The version an alias sends this invocation to: an additional version
/// with its weight's probability, else the alias's own.
fn pick_version(alias: &Value) -> String {
    let main = alias["FunctionVersion"]
        .as_str()
        .unwrap_or("$LATEST")
        .to_string();
    let Some(weights) = alias
        .pointer("/RoutingConfig/AdditionalVersionWeights")
        .and_then(Value::as_object)
    else {
        return main;
    };
    let mut roll: f64 = rand::random();
    for (v, w) in weights {
        let w = w.as_f64().unwrap_or(0.0);
        if roll < w {
            return v.clone();
        }
        roll -= w;
    }
    main
}
