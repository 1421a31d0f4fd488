//! Deployments: the API's resource tree frozen for stages to serve.

use crate::errors::{bad_request, ApigatewayError};
use crate::{new_short_id, page_by_position, str_member, ApigatewayService, Deployment};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

impl ApigatewayService {
    /// `CreateDeployment`: snapshots the live resources; with `stageName`,
    /// points that stage (made when new) at the deployment.
    pub(crate) fn create_deployment(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = str_member(&input, "restApiId");
        let (api_key, api) = self.api(ctx, api_id)?;
        let methods: Vec<&Value> = api
            .resources
            .values()
            .flat_map(|r| r.methods.values())
            .collect();
        if methods.is_empty() {
            return Err(bad_request("The REST API doesn't contain any methods"));
        }
        if methods.iter().any(|m| m.get("methodIntegration").is_none()) {
            return Err(bad_request("No integration defined for method"));
        }
        crate::stages::refuse_canary(&input)?;
        let stage_name = input
            .get("stageName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        if let Some(name) = stage_name {
            crate::stages::check_name(name)?;
        }
        let id = new_short_id();
        let mut info = json!({"id": id, "createdDate": ctx.clock.now_secs()});
        if let Some(d) = input.get("description").and_then(Value::as_str) {
            info["description"] = json!(d);
        }
        let deployment = Deployment {
            info: info.clone(),
            resources: api.resources,
            authorizers: api.authorizers,
            models: api.models,
            validators: api.validators,
            gateway_responses: api.gateway_responses,
            api: json!({
                "binaryMediaTypes": api.info.get("binaryMediaTypes").cloned().unwrap_or(json!([])),
                "disableExecuteApiEndpoint": api.info["disableExecuteApiEndpoint"].as_bool().unwrap_or(false),
            }),
        };
        let (deployments, stages) = (self.deployments.clone(), self.stages.clone());
        self.store.write(|txn| {
            txn.put(&deployments, &format!("{api_key}/{id}"), &deployment)
                .map_err(AwsError::from)?;
            if let Some(name) = stage_name {
                let key = format!("{api_key}/{name}");
                let stage = match txn.get(&stages, &key).map_err(AwsError::from)? {
                    Some(mut stage) => {
                        stage["deploymentId"] = json!(id);
                        stage["lastUpdatedDate"] = json!(ctx.clock.now_secs());
                        stage
                    }
                    None => {
                        let mut s =
                            crate::stages::new_stage(ctx, name, &id, input.get("variables"));
                        if let Some(d) = input.get("stageDescription").and_then(Value::as_str) {
                            s["description"] = json!(d);
                        }
                        crate::copy_members(
                            &input,
                            &mut s,
                            &["cacheClusterEnabled", "cacheClusterSize", "tracingEnabled"],
                        );
                        s
                    }
                };
                txn.put(&stages, &key, &stage).map_err(AwsError::from)?;
            }
            Ok::<_, AwsError>(())
        })?;
        Ok(info)
    }

    /// `GetDeployment`.
    pub(crate) fn get_deployment(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let key = format!("{api_key}/{}", str_member(&input, "deploymentId"));
        match self.deployments.get(&key).map_err(AwsError::from)? {
            Some(d) => Ok(d.info),
            None => Err(ApigatewayError::DeploymentNotFound.into()),
        }
    }

    /// `GetDeployments`, oldest first.
    pub(crate) fn get_deployments(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let mut all: Vec<Value> = self
            .deployments
            .scan_prefix(&format!("{api_key}/"))
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, d)| d.info)
            .collect();
        all.sort_by_key(|d| d["createdDate"].as_i64().unwrap_or(0));
        page_by_position(all, &input)
    }

    /// `DeleteDeployment`: refused while a stage serves it.
    pub(crate) fn delete_deployment(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let id = str_member(&input, "deploymentId");
        let key = format!("{api_key}/{id}");
        let (deployments, stages) = (self.deployments.clone(), self.stages.clone());
        self.store.write(|txn| {
            if txn
                .get(&deployments, &key)
                .map_err(AwsError::from)?
                .is_none()
            {
                return Err(ApigatewayError::DeploymentNotFound.into());
            }
            let used = txn
                .scan_prefix(&stages, &format!("{api_key}/"))
                .map_err(AwsError::from)?
                .iter()
                .any(|(_, s)| s["deploymentId"].as_str() == Some(id));
            if used {
                return Err(bad_request(
                    "Active stages pointing to this deployment must be moved or deleted",
                ));
            }
            txn.delete(&deployments, &key).map_err(AwsError::from)?;
            Ok(json!({}))
        })
    }

    /// The deployment `id` of the API stored under `api_key` (cached:
    /// deployments never change).
    pub(crate) fn deployment(&self, api_key: &str, id: &str) -> Option<std::sync::Arc<Deployment>> {
        let key = format!("{api_key}/{id}");
        if let Some(d) = self.deployed.lock().get(&key) {
            return Some(d.clone());
        }
        let d = std::sync::Arc::new(self.deployments.get(&key).ok()??);
        self.deployed.lock().insert(key, d.clone());
        Some(d)
    }
}
