//! Stages and deployments: `CreateStage`, `GetStage(s)`, `UpdateStage`,
//! `DeleteStage`, `CreateDeployment`, `GetDeployment(s)`,
//! `DeleteDeployment`.
//!
//! A deployment freezes the routes, integrations and authorizers; a stage
//! serves its deployment's, or the current ones when it deploys itself.

use crate::children::{self, copy, find};
use crate::errors::{bad, ApiGatewayV2Error};
use crate::{now_secs, s, short_id, ApiGatewayV2Service, ApiRecord};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Members a stage takes from its create and update requests.
const MEMBERS: &[&str] = &[
    "AccessLogSettings",
    "AutoDeploy",
    "ClientCertificateId",
    "DefaultRouteSettings",
    "DeploymentId",
    "Description",
    "RouteSettings",
    "StageVariables",
];

impl ApiGatewayV2Service {
    /// `CreateStage`; an auto-deploying stage gets its first deployment.
    pub(crate) fn create_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let name = s(&input, "StageName").unwrap_or_default().to_string();
        check_stage_name(&name)?;
        let tags = crate::tags::tag_map(&input)?;
        self.update(ctx, &api_id, |record| {
            if record.stages.contains_key(&name) {
                return Err(ApiGatewayV2Error::Conflict {
                    message: format!("Stage {name} already exists"),
                }
                .into());
            }
            let now = now_secs(ctx);
            let mut stage = json!({
                "StageName": name,
                "CreatedDate": now,
                "LastUpdatedDate": now,
                "AutoDeploy": false,
                "ApiGatewayManaged": false,
                "DefaultRouteSettings": {"DetailedMetricsEnabled": false},
                "RouteSettings": {},
                "StageVariables": {},
            });
            copy(&input, &mut stage, MEMBERS);
            check_deployment(ctx, record, &stage)?;
            if stage["AutoDeploy"] == json!(true) {
                let id = deploy(ctx, record, None, true);
                stage["DeploymentId"] = json!(id);
            }
            record.stages.insert(name.clone(), stage.clone());
            record.stage_tags.insert(name.clone(), tags);
            Ok(stage_view(record, &name))
        })
    }

    /// `GetStage`.
    pub(crate) fn get_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let name = s(&input, "StageName").unwrap_or_default();
        stage_of(&record, name)?;
        Ok(stage_view(&record, name))
    }

    /// `GetStages`.
    pub(crate) fn get_stages(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let views = record
            .stages
            .keys()
            .map(|name| (name.clone(), stage_view(&record, name)))
            .collect();
        children::page_of(&views, &input)
    }

    /// `UpdateStage`.
    pub(crate) fn update_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let name = s(&input, "StageName").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let mut stage = stage_of(record, &name)?.clone();
            copy(&input, &mut stage, MEMBERS);
            check_deployment(ctx, record, &stage)?;
            stage["LastUpdatedDate"] = json!(now_secs(ctx));
            record.stages.insert(name.clone(), stage);
            Ok(stage_view(record, &name))
        })
    }

    /// `DeleteStage`.
    pub(crate) fn delete_stage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let name = s(&input, "StageName").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            stage_of(record, &name)?;
            record.stages.remove(&name);
            record.stage_tags.remove(&name);
            Ok(json!({}))
        })
    }

    /// `CreateDeployment`; with `StageName`, the stage now points at it.
    pub(crate) fn create_deployment(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let stage = s(&input, "StageName");
            if let Some(name) = stage {
                stage_of(record, name)?;
            }
            if record.routes.is_empty() {
                return Err(bad(
                    "Unable to deploy API because no routes exist in this API",
                ));
            }
            let id = deploy(ctx, record, s(&input, "Description"), false);
            if let Some(name) = stage {
                if let Some(st) = record.stages.get_mut(name) {
                    st["DeploymentId"] = json!(id);
                    st["LastUpdatedDate"] = json!(now_secs(ctx));
                }
            }
            Ok(record.deployments.get(&id).cloned().unwrap_or_default())
        })
    }

    /// `GetDeployment`.
    pub(crate) fn get_deployment(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let id = s(&input, "DeploymentId").unwrap_or_default();
        Ok(find(ctx, &mut record.deployments, "Deployment", id)?.clone())
    }

    /// `GetDeployments`.
    pub(crate) fn get_deployments(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        children::page_of(&record.deployments, &input)
    }

    /// `DeleteDeployment`.
    pub(crate) fn delete_deployment(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let id = s(&input, "DeploymentId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            if !record.deployments.contains_key(&id) {
                return Err(children::missing(ctx, "Deployment", &id));
            }
            if let Some(stage) = record
                .stages
                .values()
                .find(|s| s["DeploymentId"].as_str() == Some(id.as_str()))
            {
                return Err(bad(format!(
                    "Active stages pointing to this deployment must be moved or deleted: {}",
                    stage["StageName"].as_str().unwrap_or_default()
                )));
            }
            record.deployments.remove(&id);
            record.snapshots.remove(&id);
            Ok(json!({}))
        })
    }
}

/// Records a deployment of the API now; answers its id.
pub(crate) fn deploy(
    ctx: &RequestContext,
    record: &mut ApiRecord,
    description: Option<&str>,
    auto: bool,
) -> String {
    let id = short_id();
    let mut deployment = json!({
        "DeploymentId": id,
        "CreatedDate": now_secs(ctx),
        "DeploymentStatus": "DEPLOYED",
        "AutoDeployed": auto,
    });
    if let Some(d) = description {
        deployment["Description"] = json!(d);
    }
    record.deployments.insert(id.clone(), deployment);
    let snapshot = record.snapshot();
    record.snapshots.insert(id.clone(), snapshot);
    id
}

/// The stage `name`, or AWS's not-found.
fn stage_of<'r>(record: &'r ApiRecord, name: &str) -> Result<&'r Value, AwsError> {
    record
        .stages
        .get(name)
        .ok_or_else(|| ApiGatewayV2Error::StageNotFound.into())
}

/// The `Stage` shape of stage `name`, tags included.
fn stage_view(record: &ApiRecord, name: &str) -> Value {
    let mut stage = record.stages.get(name).cloned().unwrap_or(Value::Null);
    stage["Tags"] = json!(record.stage_tags.get(name).cloned().unwrap_or_default());
    stage
}

/// A named deployment exists.
fn check_deployment(
    ctx: &RequestContext,
    record: &ApiRecord,
    stage: &Value,
) -> Result<(), AwsError> {
    match stage.get("DeploymentId").and_then(Value::as_str) {
        Some(id) if !record.deployments.contains_key(id) => {
            Err(children::missing(ctx, "Deployment", id))
        }
        _ => Ok(()),
    }
}

/// A stage name is `$default` or 1–128 letters, digits, `-` and `_`.
fn check_stage_name(name: &str) -> Result<(), AwsError> {
    let ok = name == "$default"
        || (!name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if ok {
        Ok(())
    } else {
        Err(bad(format!(
            "Stage name only allows a-zA-Z0-9_- or $default, got: {name}"
        )))
    }
}
