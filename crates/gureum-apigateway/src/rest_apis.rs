//! REST APIs: create (with the root resource), read, list, patch, delete.

use crate::errors::bad_request;
use crate::patch::{self, PatchOp};
use crate::{
    copy_members, new_id, page_by_position, str_member, ApigatewayService, Resource, RestApi,
};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// The endpoint types API Gateway accepts.
const ENDPOINT_TYPES: [&str; 3] = ["EDGE", "REGIONAL", "PRIVATE"];

impl ApigatewayService {
    /// `CreateRestApi`: the API and its root resource `/`.
    pub(crate) fn create_rest_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if input.get("cloneFrom").is_some_and(|v| !v.is_null()) {
            return Err(bad_request("Gureum does not support cloneFrom yet."));
        }
        let name = str_member(&input, "name");
        if name.trim().is_empty() {
            return Err(bad_request("Invalid REST API name specified"));
        }
        let types = match input
            .get("endpointConfiguration")
            .and_then(|c| c.get("types"))
        {
            Some(Value::Array(types)) => types.clone(),
            _ => vec![json!("EDGE")],
        };
        if types.len() != 1
            || !types
                .iter()
                .all(|t| t.as_str().is_some_and(|t| ENDPOINT_TYPES.contains(&t)))
        {
            return Err(bad_request(
                "Invalid endpoint configuration: exactly one endpoint type of EDGE, REGIONAL or PRIVATE must be specified",
            ));
        }
        let source = input
            .get("apiKeySource")
            .and_then(Value::as_str)
            .unwrap_or("HEADER");
        if !matches!(source, "HEADER" | "AUTHORIZER") {
            return Err(bad_request(format!(
                "Invalid API Key source specified: {source}"
            )));
        }
        let id = new_id();
        let root = new_id();
        let mut info = json!({
            "id": id,
            "name": name,
            "createdDate": ctx.clock.now_secs(),
            "apiKeySource": source,
            "endpointConfiguration": {"types": types, "ipAddressType": "ipv4"},
            "disableExecuteApiEndpoint": input.get("disableExecuteApiEndpoint").and_then(Value::as_bool).unwrap_or(false),
            "rootResourceId": root,
        });
        copy_members(
            &input,
            &mut info,
            &[
                "description",
                "version",
                "binaryMediaTypes",
                "minimumCompressionSize",
                "policy",
                "securityPolicy",
                "endpointAccessMode",
            ],
        );
        if let Some(tags) = input
            .get("tags")
            .filter(|t| t.as_object().is_some_and(|m| !m.is_empty()))
        {
            info["tags"] = tags.clone();
        }
        let mut resources = BTreeMap::new();
        resources.insert(
            root,
            Resource {
                parent_id: None,
                path_part: String::new(),
                path: "/".into(),
                methods: BTreeMap::new(),
            },
        );
        let api = RestApi {
            info: info.clone(),
            resources,
            models: crate::models::defaults(),
            ..Default::default()
        };
        let key = Scope::regional(ctx).key(&id);
        let home = format!("{}/{}", ctx.account_id, ctx.region);
        let (apis, homes) = (self.apis.clone(), self.homes.clone());
        self.store
            .write(|txn| {
                txn.put(&apis, &key, &api)?;
                txn.put(&homes, &id, &home)
            })
            .map_err(AwsError::from)?;
        Ok(info)
    }

    /// `GetRestApi`.
    pub(crate) fn get_rest_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        Ok(self.api(ctx, str_member(&input, "restApiId"))?.1.info)
    }

    /// `GetRestApis`: the region's APIs by `position`/`limit`.
    pub(crate) fn get_rest_apis(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut all: Vec<Value> = self
            .apis
            .scan_prefix(&Scope::regional(ctx).prefix())
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, api)| api.info)
            .collect();
        all.sort_by_key(|a| a["createdDate"].as_i64().unwrap_or(0));
        page_by_position(all, &input)
    }

    /// `UpdateRestApi`: patch operations on the API's own members.
    pub(crate) fn update_rest_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let ops = patch::operations(&input)?;
        self.update_api(ctx, str_member(&input, "restApiId"), |api| {
            for op in &ops {
                apply(&mut api.info, op)?;
            }
            Ok(api.info.clone())
        })
    }

    /// `DeleteRestApi`: the API, its deployments and stages.
    pub(crate) fn delete_rest_api(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = str_member(&input, "restApiId");
        let (key, _) = self.api(ctx, id)?;
        let under = format!("{key}/");
        let deployments = self
            .deployments
            .scan_prefix(&under)
            .map_err(AwsError::from)?;
        let stages = self.stages.scan_prefix(&under).map_err(AwsError::from)?;
        let t = (
            self.apis.clone(),
            self.homes.clone(),
            self.deployments.clone(),
            self.stages.clone(),
        );
        self.store
            .write(|txn| {
                txn.delete(&t.0, &key)?;
                txn.delete(&t.1, id)?;
                for (k, _) in &deployments {
                    txn.delete(&t.2, k)?;
                }
                for (k, _) in &stages {
                    txn.delete(&t.3, k)?;
                }
                Ok::<_, gureum_store::StoreError>(())
            })
            .map_err(AwsError::from)?;
        self.deployed.lock().retain(|k, _| !k.starts_with(&under));
        Ok(json!({}))
    }
}

/// One patch operation on a `RestApi`.
fn apply(info: &mut Value, op: &PatchOp) -> Result<(), AwsError> {
    match (op.op.as_str(), op.path.as_str()) {
        ("replace", "/name") => {
            let name = op.value.as_deref().unwrap_or_default();
            if name.trim().is_empty() {
                return Err(bad_request("Invalid REST API name specified"));
            }
            info["name"] = json!(name);
        }
        ("replace", "/description" | "/version" | "/policy") => {
            patch::set_or_remove(info, &op.path[1..], op.value.as_deref());
        }
        ("replace", "/apiKeySource") => match op.value.as_deref() {
            Some(v @ ("HEADER" | "AUTHORIZER")) => info["apiKeySource"] = json!(v),
            other => {
                return Err(bad_request(format!(
                    "Invalid API Key source specified: {}",
                    other.unwrap_or_default()
                )))
            }
        },
        ("replace", "/minimumCompressionSize") => {
            match op.value.as_deref().filter(|v| !v.is_empty()) {
                None => {
                    if let Some(m) = info.as_object_mut() {
                        m.remove("minimumCompressionSize");
                    }
                }
                Some(v) => {
                    let n: i64 = v
                        .parse()
                        .ok()
                        .filter(|n| (0..=10_485_760).contains(n))
                        .ok_or_else(|| {
                            bad_request(
                                "Invalid minimum compression size, must be between 0 and 10485760",
                            )
                        })?;
                    info["minimumCompressionSize"] = json!(n);
                }
            }
        }
        ("replace", "/disableExecuteApiEndpoint") => {
            info["disableExecuteApiEndpoint"] = json!(patch::boolean(op)?);
        }
        ("add", p) if p.starts_with("/binaryMediaTypes/") => {
            let t = patch::unescape(&p["/binaryMediaTypes/".len()..]);
            let list = info["binaryMediaTypes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if !list.iter().any(|v| v.as_str() == Some(t.as_str())) {
                let mut list = list;
                list.push(json!(t));
                info["binaryMediaTypes"] = json!(list);
            }
        }
        ("remove", p) if p.starts_with("/binaryMediaTypes/") => {
            let t = patch::unescape(&p["/binaryMediaTypes/".len()..]);
            if let Some(list) = info["binaryMediaTypes"].as_array_mut() {
                list.retain(|v| v.as_str() != Some(t.as_str()));
            }
        }
        _ => return Err(patch::invalid(op)),
    }
    Ok(())
}
