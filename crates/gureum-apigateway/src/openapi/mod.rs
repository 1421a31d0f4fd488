//! OpenAPI import and export: `ImportRestApi` makes an API from an
//! OpenAPI 3.0 or Swagger 2.0 definition (JSON or YAML), `PutRestApi`
//! merges one into an API or overwrites it, `GetExport` writes a stage's
//! deployment back out ([`export`]) as JSON or YAML.

mod export;
mod import;
mod yaml;

use crate::errors::{bad_request, ApigatewayError};
use crate::{str_member, ApigatewayService, Resource, RestApi};
use base64::Engine;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The parts of an API a definition sets.
pub(crate) struct Parts {
    pub resources: BTreeMap<String, Resource>,
    pub models: BTreeMap<String, Value>,
    pub validators: BTreeMap<String, Value>,
    pub authorizers: BTreeMap<String, Value>,
    pub gateway_responses: BTreeMap<String, Value>,
}

impl Parts {
    /// What `api` keeps when a definition is merged into it.
    fn merging(api: &RestApi) -> Self {
        Parts {
            resources: api.resources.clone(),
            models: api.models.clone(),
            validators: api.validators.clone(),
            authorizers: api.authorizers.clone(),
            gateway_responses: api.gateway_responses.clone(),
        }
    }

    /// What `api` keeps when a definition overwrites it: its root.
    fn overwriting(api: &RestApi) -> Self {
        let resources = api
            .resources
            .iter()
            .filter(|(_, r)| r.parent_id.is_none())
            .map(|(id, r)| {
                let mut root = r.clone();
                root.methods.clear();
                (id.clone(), root)
            })
            .collect();
        Parts {
            resources,
            models: BTreeMap::new(),
            validators: BTreeMap::new(),
            authorizers: BTreeMap::new(),
            gateway_responses: BTreeMap::new(),
        }
    }
}

/// The definition in the request's `body`, parsed from JSON or YAML.
fn definition(input: &Value) -> Result<(Value, bool), AwsError> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(str_member(input, "body"))
        .unwrap_or_default();
    let doc: Option<Value> = serde_json::from_slice(&raw)
        .ok()
        .or_else(|| serde_yaml::from_slice(&raw).ok().map(yaml::to_json));
    let invalid = || bad_request("Invalid OpenAPI input.");
    let doc = doc.ok_or_else(invalid)?;
    let oas3 = import::dialect(&doc).ok_or_else(invalid)?;
    if !doc["paths"].is_object() && !doc["paths"].is_null() {
        return Err(invalid());
    }
    Ok((doc, oas3))
}

/// Refuses the import when there are warnings and `failonwarnings` is set.
fn refuse_warnings(input: &Value, warnings: &[String]) -> Result<(), AwsError> {
    if input["failOnWarnings"].as_bool() == Some(true) && !warnings.is_empty() {
        return Err(bad_request(format!(
            "Warnings found during import:\n\t{}",
            warnings.join("\n\t")
        )));
    }
    Ok(())
}

impl ApigatewayService {
    /// `ImportRestApi`: a new API from a definition.
    pub(crate) fn import_rest_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (doc, oas3) = definition(&input)?;
        // A dry read first: nothing is made when warnings refuse it.
        let mut dry = import::Reader::new(&doc, oas3, "");
        dry.read(&mut Parts::overwriting(&RestApi::default()));
        refuse_warnings(&input, &dry.warnings)?;
        let info = dry.info();
        let mut create = json!({"name": info["name"]});
        crate::copy_members(
            &info,
            &mut create,
            &["description", "version", "binaryMediaTypes", "apiKeySource"],
        );
        if let Some(t) = input["parameters"]["endpointConfigurationTypes"].as_str() {
            create["endpointConfiguration"] = json!({"types": [t]});
        }
        let created = self.create_rest_api(ctx, create)?;
        let id = str_member(&created, "id").to_string();
        self.apply_definition(ctx, &id, &doc, oas3, false)
    }

    /// `PutRestApi`: merges a definition into an API (`mode=merge`, the
    /// default) or replaces its resources, models, validators,
    /// authorizers and gateway responses (`mode=overwrite`).
    pub(crate) fn put_rest_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "restApiId");
        let overwrite = match input["mode"].as_str().unwrap_or("merge") {
            "merge" => false,
            "overwrite" => true,
            other => {
                return Err(bad_request(format!(
                    "Invalid mode specified: {other}. Valid values are merge, overwrite"
                )))
            }
        };
        self.api(ctx, id)?;
        let (doc, oas3) = definition(&input)?;
        let mut dry = import::Reader::new(&doc, oas3, id);
        dry.read(&mut Parts::overwriting(&RestApi::default()));
        refuse_warnings(&input, &dry.warnings)?;
        self.apply_definition(ctx, id, &doc, oas3, overwrite)
    }

    fn apply_definition(
        &self,
        ctx: &RequestContext,
        id: &str,
        doc: &Value,
        oas3: bool,
        overwrite: bool,
    ) -> OpResult {
        self.update_api(ctx, id, |api| {
            let mut parts = if overwrite {
                Parts::overwriting(api)
            } else {
                Parts::merging(api)
            };
            let mut reader = import::Reader::new(doc, oas3, id);
            reader.read(&mut parts);
            let info = reader.info();
            for (k, v) in info.as_object().into_iter().flatten() {
                api.info[k] = v.clone();
            }
            api.resources = parts.resources;
            api.models = parts.models;
            api.validators = parts.validators;
            api.authorizers = parts.authorizers;
            api.gateway_responses = parts.gateway_responses;
            let mut out = api.info.clone();
            if !reader.warnings.is_empty() {
                out["warnings"] = json!(reader.warnings);
            }
            Ok(out)
        })
    }

    /// `GetExport`: the stage's deployment as `oas30` or `swagger`, JSON
    /// or YAML (`Accept: application/yaml`), with the extensions
    /// `parameters.extensions` names.
    pub(crate) fn get_export(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (api_key, api) = self.api(ctx, str_member(&input, "restApiId"))?;
        let stage_name = str_member(&input, "stageName");
        let stage = self
            .stages
            .get(&format!("{api_key}/{stage_name}"))
            .map_err(AwsError::from)?
            .ok_or(ApigatewayError::StageNotFound)?;
        let deployment = self
            .deployment(&api_key, stage["deploymentId"].as_str().unwrap_or_default())
            .ok_or(ApigatewayError::DeploymentNotFound)?;
        let kind = str_member(&input, "exportType");
        let oas3 = match kind {
            "oas30" => true,
            "swagger" => false,
            other => {
                return Err(bad_request(format!(
                    "Invalid export type specified: {other}. Valid values are oas30, swagger"
                )))
            }
        };
        let extensions: Vec<&str> = input["parameters"]["extensions"]
            .as_str()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .collect();
        let doc = export::Export {
            api: &api.info,
            deployment: &deployment,
            stage: stage_name,
            region: &ctx.region,
            oas3,
            integrations: extensions.contains(&"integrations"),
            authorizers: extensions.contains(&"authorizers"),
            apigateway: extensions.contains(&"apigateway"),
        }
        .document();
        let yaml = input["accepts"]
            .as_str()
            .is_some_and(|a| a.contains("yaml"));
        let (content_type, body, ext) = if yaml {
            ("application/yaml", yaml::to_string(&doc), "yaml")
        } else {
            (
                "application/json",
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
                "json",
            )
        };
        let name = api.info["name"].as_str().unwrap_or_default();
        Ok(json!({
            "contentType": content_type,
            "contentDisposition": format!("attachment; filename=\"{kind}_{name}-{stage_name}.{ext}\""),
            "body": base64::engine::general_purpose::STANDARD.encode(body),
        }))
    }
}
