//! The `Update*` operations of methods, integrations, their responses,
//! resources, deployments, API keys and usage plans: patch operations on
//! the paths API Gateway lets each change.

use crate::errors::{bad_request, ApigatewayError};
use crate::methods::{method_mut, MethodRef};
use crate::patch::{self, PatchOp};
use crate::resources::{find_mut, is_variable, resource_json};
use crate::{str_member, ApigatewayService, RestApi};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// The paths one kind of thing accepts.
#[derive(Default)]
struct Paths<'a> {
    strings: &'a [&'a str],
    bools: &'a [&'a str],
    ints: &'a [&'a str],
    /// Maps whose entries are `/map/key`, with boolean values or not.
    maps: &'a [(&'a str, bool)],
}

/// Applies `op` to `target` when `paths` allows it.
fn apply(target: &mut Value, op: &PatchOp, paths: &Paths<'_>) -> Result<(), AwsError> {
    let member = op.path.strip_prefix('/').unwrap_or_default();
    match op.op.as_str() {
        "replace" if paths.strings.contains(&member) => {
            patch::set_or_remove(target, member, op.value.as_deref());
            return Ok(());
        }
        "replace" if paths.bools.contains(&member) => {
            target[member] = json!(patch::boolean(op)?);
            return Ok(());
        }
        "replace" if paths.ints.contains(&member) => {
            let n: i64 = op
                .value
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|_| bad_request(format!("Invalid number value for path {}", op.path)))?;
            target[member] = json!(n);
            return Ok(());
        }
        _ => {}
    }
    let Some((map, key)) = member.split_once('/') else {
        return Err(patch::invalid(op));
    };
    let Some((_, boolean)) = paths.maps.iter().find(|(m, _)| *m == map) else {
        return Err(patch::invalid(op));
    };
    let key = patch::unescape(key);
    match op.op.as_str() {
        "add" | "replace" => {
            let value = if *boolean {
                json!(patch::boolean(op)?)
            } else {
                json!(op.value.as_deref().unwrap_or_default())
            };
            target[map][key] = value;
        }
        "remove" => {
            if let Some(m) = target.get_mut(map).and_then(Value::as_object_mut) {
                m.remove(&key);
                if m.is_empty() {
                    target.as_object_mut().map(|t| t.remove(map));
                }
            }
        }
        _ => return Err(patch::invalid(op)),
    }
    Ok(())
}

fn apply_all(target: &mut Value, input: &Value, paths: &Paths<'_>) -> Result<(), AwsError> {
    for op in patch::operations(input)? {
        apply(target, &op, paths)?;
    }
    Ok(())
}

/// Recomputes every resource's path from its parents (after a move or a
/// rename).
fn recompute_paths(api: &mut RestApi) {
    let ids: Vec<String> = api.resources.keys().cloned().collect();
    for id in ids {
        let mut parts = Vec::new();
        let mut at = Some(id.clone());
        let mut guard = 0;
        while let Some(cur) = at {
            let Some(r) = api.resources.get(&cur) else {
                break;
            };
            if r.parent_id.is_some() {
                parts.push(r.path_part.clone());
            }
            at = r.parent_id.clone();
            guard += 1;
            if guard > 1000 {
                break;
            }
        }
        parts.reverse();
        if let Some(r) = api.resources.get_mut(&id) {
            r.path = format!("/{}", parts.join("/"));
        }
    }
}

impl ApigatewayService {
    /// `UpdateMethod`.
    pub(crate) fn update_method_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let m = MethodRef::of(&input);
        self.update_api(ctx, m.api, |api| {
            let authorizers = api.authorizers.clone();
            let method = method_mut(api, m.resource, m.verb)?;
            apply_all(method, &input, &Paths {
                strings: &["authorizationType", "authorizerId", "operationName", "requestValidatorId"],
                bools: &["apiKeyRequired"],
                maps: &[("requestParameters", true), ("requestModels", false)],
                ..Paths::default()
            })?;
            let auth = str_member(method, "authorizationType");
            if !["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"].contains(&auth) {
                return Err(bad_request(format!("Invalid authorization type specified: {auth}. Valid values are NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS")));
            }
            if auth == "CUSTOM" && !authorizers.contains_key(str_member(method, "authorizerId")) {
                return Err(bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."));
            }
            Ok(method.clone())
        })
    }

    /// `UpdateIntegration`.
    pub(crate) fn update_integration_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            let integration = method
                .get_mut("methodIntegration")
                .ok_or(ApigatewayError::IntegrationNotFound)?;
            apply_all(
                integration,
                &input,
                &Paths {
                    strings: &[
                        "uri",
                        "httpMethod",
                        "passthroughBehavior",
                        "contentHandling",
                        "credentials",
                        "connectionType",
                        "connectionId",
                        "cacheNamespace",
                    ],
                    ints: &["timeoutInMillis"],
                    maps: &[("requestTemplates", false), ("requestParameters", false)],
                    ..Paths::default()
                },
            )?;
            Ok(integration.clone())
        })
    }

    /// `UpdateMethodResponse`.
    pub(crate) fn update_method_response_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let code = str_member(&input, "statusCode").to_string();
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            let response = method
                .pointer_mut(&format!("/methodResponses/{code}"))
                .ok_or(ApigatewayError::ResponseNotFound)?;
            apply_all(
                response,
                &input,
                &Paths {
                    maps: &[("responseParameters", true), ("responseModels", false)],
                    ..Paths::default()
                },
            )?;
            Ok(response.clone())
        })
    }

    /// `UpdateIntegrationResponse`.
    pub(crate) fn update_integration_response_op(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let code = str_member(&input, "statusCode").to_string();
        self.update_method(ctx, &MethodRef::of(&input), |method| {
            let response = method
                .pointer_mut(&format!("/methodIntegration/integrationResponses/{code}"))
                .ok_or(ApigatewayError::ResponseNotFound)?;
            apply_all(
                response,
                &input,
                &Paths {
                    strings: &["selectionPattern", "contentHandling"],
                    maps: &[("responseTemplates", false), ("responseParameters", false)],
                    ..Paths::default()
                },
            )?;
            if let Some(p) = response.get("selectionPattern").and_then(Value::as_str) {
                if crate::invoke::selection::compile(p).is_none() {
                    return Err(bad_request(format!(
                        "Invalid selection pattern specified: {p}"
                    )));
                }
            }
            Ok(response.clone())
        })
    }

    /// `UpdateResource`: a new path part or parent.
    pub(crate) fn update_resource_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "resourceId");
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            for op in &ops {
                let value = op.value.clone().unwrap_or_default();
                match (op.op.as_str(), op.path.as_str()) {
                    ("replace", "/pathPart") => {
                        if !crate::resources::valid_part(&value) {
                            return Err(bad_request("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace."));
                        }
                        find_mut(api, id)?.path_part = value;
                    }
                    ("replace", "/parentId") => {
                        // A resource cannot move under itself.
                        let mut at = Some(value.clone());
                        while let Some(cur) = at {
                            if cur == id {
                                return Err(bad_request("Invalid parent: a resource cannot be moved under itself"));
                            }
                            at = api.resources.get(&cur).ok_or(ApigatewayError::ResourceNotFound)?.parent_id.clone();
                        }
                        find_mut(api, id)?.parent_id = Some(value);
                    }
                    _ => return Err(patch::invalid(op)),
                }
            }
            let r = find_mut(api, id)?.clone();
            let parent = r.parent_id.clone();
            for (other_id, other) in &api.resources {
                if other_id != id && other.parent_id == parent && parent.is_some() {
                    if other.path_part == r.path_part {
                        return Err(ApigatewayError::SiblingExists { part: r.path_part.clone() }.into());
                    }
                    if is_variable(&other.path_part) && is_variable(&r.path_part) {
                        return Err(bad_request(format!("A sibling ({}) of this resource already has a variable path part -- only one is allowed", other.path_part)));
                    }
                }
            }
            recompute_paths(api);
            Ok(resource_json(id, &api.resources[id], false))
        })
    }

    /// `UpdateDeployment`: its description.
    pub(crate) fn update_deployment_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, _) = self.api(ctx, str_member(&input, "restApiId"))?;
        let key = format!("{api_key}/{}", str_member(&input, "deploymentId"));
        let table = self.deployments.clone();
        let out = self.store.write(|txn| {
            let mut d = txn
                .get(&table, &key)
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::DeploymentNotFound)?;
            apply_all(
                &mut d.info,
                &input,
                &Paths {
                    strings: &["description"],
                    ..Paths::default()
                },
            )?;
            txn.put(&table, &key, &d).map_err(AwsError::from)?;
            Ok::<_, AwsError>(d.info)
        })?;
        self.deployed.lock().remove(&key);
        Ok(out)
    }

    /// `UpdateApiKey`: name, description, customer, enabled.
    pub(crate) fn update_api_key_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key = Scope::regional(ctx).key(str_member(&input, "apiKey"));
        let table = self.api_keys.clone();
        let mut out = self.store.write(|txn| {
            let mut k = txn
                .get(&table, &key)
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::ApiKeyNotFound)?;
            apply_all(
                &mut k,
                &input,
                &Paths {
                    strings: &["name", "description", "customerId"],
                    bools: &["enabled"],
                    ..Paths::default()
                },
            )?;
            k["lastUpdatedDate"] = json!(ctx.clock.now_secs());
            txn.put(&table, &key, &k).map_err(AwsError::from)?;
            Ok::<_, AwsError>(k)
        })?;
        out.as_object_mut().map(|k| k.remove("value"));
        Ok(out)
    }

    /// `UpdateUsagePlan`: name, description, throttle, quota, API stages.
    pub(crate) fn update_usage_plan_op(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let scope = Scope::regional(ctx);
        let key = scope.key(str_member(&input, "usagePlanId"));
        let ops = patch::operations(&input)?;
        let (plans, stages) = (self.usage_plans.clone(), self.stages.clone());
        self.store.write(|txn| {
            let mut plan = txn
                .get(&plans, &key)
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::UsagePlanNotFound)?;
            for op in &ops {
                let value = op.value.as_deref().unwrap_or_default();
                let number = || {
                    value.parse::<f64>().map_err(|_| {
                        bad_request(format!("Invalid number value for path {}", op.path))
                    })
                };
                match (op.op.as_str(), op.path.as_str()) {
                    ("replace", "/name" | "/description") => {
                        patch::set_or_remove(&mut plan.info, &op.path[1..], op.value.as_deref())
                    }
                    ("replace", "/throttle/rateLimit") => {
                        plan.info["throttle"]["rateLimit"] = json!(number()?)
                    }
                    ("replace", "/throttle/burstLimit") => {
                        plan.info["throttle"]["burstLimit"] = json!(number()? as i64)
                    }
                    ("replace", "/quota/limit") => {
                        plan.info["quota"]["limit"] = json!(number()? as i64)
                    }
                    ("replace", "/quota/offset") => {
                        plan.info["quota"]["offset"] = json!(number()? as i64)
                    }
                    ("replace", "/quota/period") if matches!(value, "DAY" | "WEEK" | "MONTH") => {
                        plan.info["quota"]["period"] = json!(value)
                    }
                    ("remove", "/throttle" | "/quota") => {
                        plan.info.as_object_mut().map(|p| p.remove(&op.path[1..]));
                    }
                    ("add", "/apiStages") => {
                        let (api, stage) = value.split_once(':').ok_or_else(|| {
                            bad_request(format!("Invalid API Stage {value} specified"))
                        })?;
                        if txn
                            .get(&stages, &format!("{}/{stage}", scope.key(api)))
                            .map_err(AwsError::from)?
                            .is_none()
                        {
                            return Err(bad_request(format!(
                                "Invalid API Stage {{api: {api}, stage: {stage}}} specified"
                            )));
                        }
                        let list = plan.info["apiStages"]
                            .as_array_mut()
                            .ok_or_else(|| bad_request("Invalid usage plan"))?;
                        list.push(json!({"apiId": api, "stage": stage}));
                    }
                    ("remove", "/apiStages") => {
                        let (api, stage) = value.split_once(':').unwrap_or_default();
                        if let Some(list) = plan.info["apiStages"].as_array_mut() {
                            list.retain(|s| !(s["apiId"] == api && s["stage"] == stage));
                        }
                    }
                    _ => return Err(patch::invalid(op)),
                }
            }
            txn.put(&plans, &key, &plan).map_err(AwsError::from)?;
            Ok(plan.info)
        })
    }
}
