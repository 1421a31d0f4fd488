//! Stages: a name that serves one deployment, with stage variables.

use crate::errors::{bad_request, ApigatewayError};
use crate::patch::{self, PatchOp};
use crate::{str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Checks a stage name as API Gateway does.
pub(crate) fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(bad_request("Stage name only allows a-zA-Z0-9_"))
    }
}

/// Checks stage variables' names and values as API Gateway does.
fn check_variables(vars: Option<&Value>) -> Result<(), AwsError> {
    let Some(map) = vars.and_then(Value::as_object) else {
        return Ok(());
    };
    for (name, value) in map {
        check_variable(name, value.as_str().unwrap_or_default())?;
    }
    Ok(())
}

fn check_variable(name: &str, value: &str) -> Result<(), AwsError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(bad_request(format!(
            "Stage variable name {name} must be alphanumeric or underscore"
        )));
    }
    let ok = !value.is_empty()
        && value.len() <= 2048
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#&=, ".contains(&b));
    if !ok {
        return Err(bad_request(format!(
            "Stage variable value {value} does not match the regular expression pattern [A-Za-z0-9-._~:/?#&=,]+"
        )));
    }
    Ok(())
}

/// Canary deployments are not served yet: refused rather than ignored.
pub(crate) fn refuse_canary(input: &Value) -> Result<(), AwsError> {
    match input.get("canarySettings") {
        Some(c) if !c.is_null() => Err(bad_request("Gureum does not support canarySettings yet.")),
        _ => Ok(()),
    }
}

/// A new stage as `GetStage` answers it.
pub(crate) fn new_stage(
    ctx: &RequestContext,
    name: &str,
    deployment: &str,
    variables: Option<&Value>,
) -> Value {
    let now = ctx.clock.now_secs();
    let mut stage = json!({
        "stageName": name,
        "deploymentId": deployment,
        "cacheClusterEnabled": false,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": false,
        "createdDate": now,
        "lastUpdatedDate": now,
    });
    if let Some(v) = variables.filter(|v| v.as_object().is_some_and(|m| !m.is_empty())) {
        stage["variables"] = v.clone();
    }
    stage
}

impl ApigatewayService {
    /// `CreateStage`.
    pub(crate) fn create_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let name = str_member(&input, "stageName");
        let deployment = str_member(&input, "deploymentId");
        check_name(name)?;
        refuse_canary(&input)?;
        check_variables(input.get("variables"))?;
        let mut stage = new_stage(ctx, name, deployment, input.get("variables"));
        crate::copy_members(
            &input,
            &mut stage,
            &[
                "description",
                "tracingEnabled",
                "cacheClusterEnabled",
                "cacheClusterSize",
                "documentationVersion",
            ],
        );
        if let Some(tags) = input
            .get("tags")
            .filter(|t| t.as_object().is_some_and(|m| !m.is_empty()))
        {
            stage["tags"] = tags.clone();
        }
        let (deployments, stages) = (self.deployments.clone(), self.stages.clone());
        let key = format!("{api_key}/{name}");
        self.store.write(|txn| {
            if txn
                .get(&deployments, &format!("{api_key}/{deployment}"))
                .map_err(AwsError::from)?
                .is_none()
            {
                return Err(ApigatewayError::DeploymentNotFound.into());
            }
            if txn.get(&stages, &key).map_err(AwsError::from)?.is_some() {
                return Err(ApigatewayError::StageExists.into());
            }
            txn.put(&stages, &key, &stage).map_err(AwsError::from)?;
            Ok(stage.clone())
        })
    }

    /// `GetStage`.
    pub(crate) fn get_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let key = format!("{api_key}/{}", str_member(&input, "stageName"));
        self.stages
            .get(&key)
            .map_err(AwsError::from)?
            .ok_or_else(|| ApigatewayError::StageNotFound.into())
    }

    /// `GetStages`, optionally those of one deployment.
    pub(crate) fn get_stages(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let wanted = input.get("deploymentId").and_then(Value::as_str);
        let items: Vec<Value> = self
            .stages
            .scan_prefix(&format!("{api_key}/"))
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, s)| s)
            .filter(|s| wanted.is_none_or(|d| s["deploymentId"].as_str() == Some(d)))
            .collect();
        Ok(json!({"item": items}))
    }

    /// `UpdateStage`: description, deployment, variables, tracing.
    pub(crate) fn update_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let ops = patch::operations(&input)?;
        let key = format!("{api_key}/{}", str_member(&input, "stageName"));
        let (deployments, stages) = (self.deployments.clone(), self.stages.clone());
        self.store.write(|txn| {
            let Some(mut stage) = txn.get(&stages, &key).map_err(AwsError::from)? else {
                return Err(ApigatewayError::StageNotFound.into());
            };
            for op in &ops {
                if op.path == "/deploymentId" {
                    let id = op.value.as_deref().unwrap_or_default();
                    if txn
                        .get(&deployments, &format!("{api_key}/{id}"))
                        .map_err(AwsError::from)?
                        .is_none()
                    {
                        return Err(ApigatewayError::DeploymentNotFound.into());
                    }
                }
                apply(&mut stage, op)?;
            }
            stage["lastUpdatedDate"] = json!(ctx.clock.now_secs());
            txn.put(&stages, &key, &stage).map_err(AwsError::from)?;
            Ok(stage)
        })
    }

    /// `DeleteStage`.
    pub(crate) fn delete_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let key = format!("{api_key}/{}", str_member(&input, "stageName"));
        let stages = self.stages.clone();
        self.store.write(|txn| {
            if !txn.delete(&stages, &key).map_err(AwsError::from)? {
                return Err(ApigatewayError::StageNotFound.into());
            }
            Ok(json!({}))
        })
    }
}

/// One patch operation on a stage.
fn apply(stage: &mut Value, op: &PatchOp) -> Result<(), AwsError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/description") => {
            patch::set_or_remove(stage, "description", op.value.as_deref())
        }
        ("replace", "/deploymentId") => stage["deploymentId"] = json!(op.value),
        ("replace", "/tracingEnabled" | "/cacheClusterEnabled") => {
            stage[&op.path[1..]] = json!(patch::boolean(op)?);
        }
        ("replace" | "add", p) if p.starts_with("/variables/") => {
            let name = patch::unescape(&p["/variables/".len()..]);
            let value = op.value.as_deref().unwrap_or_default();
            check_variable(&name, value)?;
            stage["variables"][name] = json!(value);
        }
        ("remove", p) if p.starts_with("/variables/") => {
            let name = patch::unescape(&p["/variables/".len()..]);
            if let Some(vars) = stage.get_mut("variables").and_then(Value::as_object_mut) {
                vars.remove(&name);
                if vars.is_empty() {
                    stage.as_object_mut().map(|s| s.remove("variables"));
                }
            }
        }
        _ => return Err(patch::invalid(op)),
    }
    Ok(())
}

impl ApigatewayService {
    /// `FlushStageAuthorizersCache`: the next request to the stage runs
    /// its Lambda authorizers again. Cached policies are kept per API, so
    /// this flushes the API's other stages too (they re-authorize once).
    pub(crate) fn flush_stage_authorizers_cache(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let api_id = str_member(&input, "restApiId");
        let (api_key, _) = self.api(ctx, api_id)?;
        let stage = str_member(&input, "stageName");
        if self
            .stages
            .get(&format!("{api_key}/{stage}"))
            .map_err(AwsError::from)?
            .is_none()
        {
            return Err(ApigatewayError::StageNotFound.into());
        }
        let prefix = format!("{api_id}/");
        self.authorized
            .lock()
            .retain(|k, _| !k.starts_with(&prefix));
        Ok(serde_json::json!({}))
    }
}
