//! API Gateway REST APIs (v1, rest-json, regional): the control plane and
//! the data plane that serves their invoke URLs.
//!
//! - REST APIs ([`rest_apis`]), created with their root resource `/`;
//!   resources ([`resources`]) with `{param}` and greedy `{proxy+}` path
//!   parts; methods and method responses ([`methods`]); integrations and
//!   integration responses ([`integrations`]).
//! - Deployments ([`deployments`]) freeze the resource tree; stages
//!   ([`stages`]) point at one deployment and carry stage variables.
//! - Tags ([`tags`]), API keys and usage plans ([`keys`]).
//! - The data plane ([`invoke`]): routes a request on a stage's deployed
//!   snapshot and runs its integration (Lambda proxy and non-proxy with
//!   mapping templates ([`vtl`]), HTTP, HTTP proxy, MOCK).
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `apigateway.rest_apis`: `account/region/apiId` → [`RestApi`];
//! - `apigateway.api_homes`: `apiId` → `account/region` (the invoke URL
//!   names only the API);
//! - `apigateway.deployments`: `account/region/apiId/deploymentId` →
//!   [`Deployment`];
//! - `apigateway.stages`: `account/region/apiId/stageName` → the stage as
//!   `GetStage` answers it;
//! - `apigateway.api_keys`: `account/region/keyId` → the key as `GetApiKey`
//!   answers it (value included);
//! - `apigateway.usage_plans`: `account/region/planId` → [`keys::UsagePlan`];
//! - `apigateway.domain_names`, `apigateway.domain_hosts`: custom domain
//!   names ([`domains`]);
//! - `apigateway.accounts`, `apigateway.client_certificates`: the
//!   account's settings and client certificates ([`account`]).

pub mod account;
pub mod authorizers;
pub mod deployments;
pub mod documentation;
pub mod domains;
pub mod errors;
pub mod gateway_responses;
pub mod integrations;
pub mod invoke;
pub mod keys;
pub mod methods;
pub mod models;
mod openapi;
mod patch;
pub mod resources;
pub mod rest_apis;
pub mod schema;
pub mod stages;
pub mod tags;
mod test_invoke;
mod updates;
pub mod validators;
pub mod vtl;

pub use errors::ApigatewayError;

use gureum_core::{AwsError, RequestContext, Scope, Value};
use gureum_store::{Store, Table};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A REST API as stored: its description and its live resource tree.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RestApi {
    /// The API's `RestApi` as `GetRestApi` answers it.
    pub info: Value,
    /// Resources by id.
    pub resources: BTreeMap<String, Resource>,
    /// Authorizers by id, each as `GetAuthorizer` answers it.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Value>,
    /// Models by name, each as `GetModel` answers it.
    #[serde(default)]
    pub models: BTreeMap<String, Value>,
    /// Request validators by id, each as `GetRequestValidator` answers it.
    #[serde(default)]
    pub validators: BTreeMap<String, Value>,
    /// Customised gateway responses by type, each as `GetGatewayResponse`
    /// answers it (the defaults are not stored).
    #[serde(default)]
    pub gateway_responses: BTreeMap<String, Value>,
    /// Documentation parts by id, each as `GetDocumentationPart` answers it.
    #[serde(default)]
    pub documentation_parts: BTreeMap<String, Value>,
    /// Documentation versions by version.
    #[serde(default)]
    pub documentation_versions: BTreeMap<String, documentation::DocumentationVersion>,
}

/// One resource of an API (live, or frozen in a deployment).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Resource {
    /// The parent's id (`None` for the root).
    pub parent_id: Option<String>,
    /// The last path segment (`""` for the root).
    pub path_part: String,
    /// The full path (`/`, `/pets/{id}`).
    pub path: String,
    /// Methods by verb, each as `GetMethod` answers it (its integration
    /// and responses included).
    pub methods: BTreeMap<String, Value>,
}

/// A deployment: the resource tree as it was when it was made.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Deployment {
    /// The deployment as `GetDeployment` answers it.
    pub info: Value,
    /// The frozen resources, by id.
    pub resources: BTreeMap<String, Resource>,
    /// The authorizers as they were, by id.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Value>,
    /// The API's settings that take effect on deployment, as AWS applies
    /// them: `binaryMediaTypes` and `disableExecuteApiEndpoint`.
    #[serde(default)]
    pub api: Value,
    /// The models as they were, by name (bodies are validated on them).
    #[serde(default)]
    pub models: BTreeMap<String, Value>,
    /// The request validators as they were, by id.
    #[serde(default)]
    pub validators: BTreeMap<String, Value>,
    /// The customised gateway responses as they were, by type.
    #[serde(default)]
    pub gateway_responses: BTreeMap<String, Value>,
}

/// The API Gateway service.
pub struct ApigatewayService {
    pub(crate) store: Store,
    pub(crate) apis: Table<RestApi>,
    pub(crate) homes: Table<String>,
    pub(crate) deployments: Table<Deployment>,
    pub(crate) stages: Table<Value>,
    pub(crate) api_keys: Table<Value>,
    pub(crate) usage_plans: Table<keys::UsagePlan>,
    pub(crate) domains: Table<domains::DomainName>,
    pub(crate) accounts: Table<Value>,
    pub(crate) client_certificates: Table<account::ClientCertificate>,
    pub(crate) domain_hosts: Table<String>,
    /// ACM, as custom domain names check their certificates (the server
    /// wires it in).
    pub(crate) certificates:
        std::sync::OnceLock<Arc<dyn gureum_kit::certificates::CertificateSource>>,
    /// Deployments are immutable: the data plane reads each once.
    pub(crate) deployed: parking_lot::Mutex<HashMap<String, Arc<Deployment>>>,
    /// Usage counted against usage plans (requests per key, per period).
    pub(crate) usage: keys::Usage,
    /// Lambda authorizers' outputs by API, authorizer and identity, with
    /// when they expire (ms).
    pub(crate) authorized: parking_lot::Mutex<HashMap<String, (i64, Value)>>,
    /// Lambda, as integrations and authorizers invoke it (the server
    /// wires it in).
    pub(crate) functions: std::sync::OnceLock<Arc<dyn invoke::Functions>>,
}

impl ApigatewayService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        ApigatewayService {
            apis: store.table("apigateway.rest_apis"),
            homes: store.table("apigateway.api_homes"),
            deployments: store.table("apigateway.deployments"),
            stages: store.table("apigateway.stages"),
            api_keys: store.table("apigateway.api_keys"),
            usage_plans: store.table("apigateway.usage_plans"),
            domains: store.table("apigateway.domain_names"),
            accounts: store.table("apigateway.accounts"),
            client_certificates: store.table("apigateway.client_certificates"),
            domain_hosts: store.table("apigateway.domain_hosts"),
            certificates: Default::default(),
            store,
            deployed: Default::default(),
            usage: Default::default(),
            authorized: Default::default(),
            functions: Default::default(),
        }
    }

    /// The service over `store`, invoking Lambda through `functions`.
    pub fn with_functions(store: Store, functions: Arc<dyn invoke::Functions>) -> Self {
        let svc = Self::new(store);
        let _ = svc.functions.set(functions);
        svc
    }

    /// Custom domain names read their certificates from `source` (ACM).
    pub fn set_certificates(&self, source: Arc<dyn gureum_kit::certificates::CertificateSource>) {
        let _ = self.certificates.set(source);
    }

    /// Lambda, as the data plane invokes it (`None` until wired in).
    pub fn functions(&self) -> Option<Arc<dyn invoke::Functions>> {
        self.functions.get().cloned()
    }

    /// Forgets cached deployments after a reset or import.
    fn reset_caches(&self) {
        self.deployed.lock().clear();
        self.usage.clear();
        self.authorized.lock().clear();
    }

    /// The stored API `id` of the caller's scope, with its key.
    pub(crate) fn api(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<(String, RestApi), AwsError> {
        let key = Scope::regional(ctx).key(id);
        match self.apis.get(&key).map_err(AwsError::from)? {
            Some(api) => Ok((key, api)),
            None => Err(api_not_found(ctx, id)),
        }
    }

    /// Reads, changes and writes API `id` in one transaction.
    pub(crate) fn update_api<R>(
        &self,
        ctx: &RequestContext,
        id: &str,
        change: impl FnOnce(&mut RestApi) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let key = Scope::regional(ctx).key(id);
        let table = self.apis.clone();
        self.store.write(|txn| {
            let Some(mut api) = txn.get(&table, &key).map_err(AwsError::from)? else {
                return Err(api_not_found(ctx, id));
            };
            let out = change(&mut api)?;
            txn.put(&table, &key, &api).map_err(AwsError::from)?;
            Ok(out)
        })
    }
}

/// `NotFoundException` for API `id` of the caller's account.
pub(crate) fn api_not_found(ctx: &RequestContext, id: &str) -> AwsError {
    ApigatewayError::ApiNotFound {
        account: ctx.account_id.clone(),
        id: id.to_string(),
    }
    .into()
}

/// An id in API Gateway's shape for APIs, resources and API keys: 10
/// lower-case alphanumerics.
pub(crate) fn new_id() -> String {
    random_id(10)
}

/// An id in API Gateway's shape for deployments, authorizers and usage
/// plans: 6 lower-case alphanumerics.
pub(crate) fn new_short_id() -> String {
    random_id(6)
}

fn random_id(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A string member, empty when absent (the model marks required ones).
pub(crate) fn str_member<'a>(input: &'a Value, name: &str) -> &'a str {
    input.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// Copies the members `names` that are present in `from` into `to`.
pub(crate) fn copy_members(from: &Value, to: &mut Value, names: &[&str]) {
    for name in names {
        if let Some(v) = from.get(*name).filter(|v| !v.is_null()) {
            to[*name] = v.clone();
        }
    }
}

/// One page of `items` by API Gateway's `position` (an index this server
/// handed out) and `limit` (default 25, at most 500).
pub(crate) fn page_by_position(items: Vec<Value>, input: &Value) -> Result<Value, AwsError> {
    let limit = input.get("limit").and_then(Value::as_i64).unwrap_or(25);
    if !(1..=500).contains(&limit) {
        return Err(errors::bad_request(
            "Invalid limit specified. Must be between 1 and 500.",
        ));
    }
    let start = match input.get("position").and_then(Value::as_str) {
        Some(p) => p
            .parse::<usize>()
            .map_err(|_| errors::bad_request("Invalid position parameter"))?,
        None => 0,
    };
    let end = start.saturating_add(limit as usize).min(items.len());
    let page = items.get(start.min(end)..end).unwrap_or_default().to_vec();
    let mut out = serde_json::json!({ "items": page });
    if end < items.len() {
        out["position"] = Value::String(end.to_string());
    }
    Ok(out)
}

gureum_core::service_operations! {
    ApigatewayService, "apigateway",
    reset = reset_caches,
    authorization = authorization,
    streaming {
        "TestInvokeMethod" => test_invoke_method,
    },
    "CreateApiKey" => create_api_key,
    "CreateAuthorizer" => create_authorizer,
    "CreateBasePathMapping" => create_base_path_mapping,
    "CreateDeployment" => create_deployment,
    "CreateDocumentationPart" => create_documentation_part,
    "CreateDocumentationVersion" => create_documentation_version,
    "CreateDomainName" => create_domain_name,
    "CreateModel" => create_model,
    "CreateRequestValidator" => create_request_validator,
    "CreateResource" => create_resource,
    "CreateRestApi" => create_rest_api,
    "CreateStage" => create_stage,
    "CreateUsagePlan" => create_usage_plan,
    "CreateUsagePlanKey" => create_usage_plan_key,
    "DeleteApiKey" => delete_api_key,
    "DeleteAuthorizer" => delete_authorizer,
    "DeleteBasePathMapping" => delete_base_path_mapping,
    "DeleteClientCertificate" => delete_client_certificate,
    "DeleteDeployment" => delete_deployment,
    "DeleteDocumentationPart" => delete_documentation_part,
    "DeleteDocumentationVersion" => delete_documentation_version,
    "DeleteDomainName" => delete_domain_name,
    "DeleteGatewayResponse" => delete_gateway_response,
    "DeleteIntegration" => delete_integration,
    "DeleteIntegrationResponse" => delete_integration_response,
    "DeleteMethod" => delete_method,
    "DeleteMethodResponse" => delete_method_response,
    "DeleteModel" => delete_model,
    "DeleteRequestValidator" => delete_request_validator,
    "DeleteResource" => delete_resource,
    "DeleteRestApi" => delete_rest_api,
    "DeleteStage" => delete_stage,
    "DeleteUsagePlan" => delete_usage_plan,
    "DeleteUsagePlanKey" => delete_usage_plan_key,
    "FlushStageAuthorizersCache" => flush_stage_authorizers_cache,
    "GenerateClientCertificate" => generate_client_certificate,
    "GetAccount" => get_account,
    "GetApiKey" => get_api_key,
    "GetApiKeys" => get_api_keys,
    "GetAuthorizer" => get_authorizer,
    "GetAuthorizers" => get_authorizers,
    "GetBasePathMapping" => get_base_path_mapping,
    "GetBasePathMappings" => get_base_path_mappings,
    "GetClientCertificate" => get_client_certificate,
    "GetClientCertificates" => get_client_certificates,
    "GetDeployment" => get_deployment,
    "GetDeployments" => get_deployments,
    "GetDocumentationPart" => get_documentation_part,
    "GetDocumentationParts" => get_documentation_parts,
    "GetDocumentationVersion" => get_documentation_version,
    "GetDocumentationVersions" => get_documentation_versions,
    "GetDomainName" => get_domain_name,
    "GetDomainNames" => get_domain_names,
    "GetExport" => get_export,
    "GetGatewayResponse" => get_gateway_response,
    "GetGatewayResponses" => get_gateway_responses,
    "GetIntegration" => get_integration,
    "GetIntegrationResponse" => get_integration_response,
    "GetMethod" => get_method,
    "GetMethodResponse" => get_method_response,
    "GetModel" => get_model,
    "GetModelTemplate" => get_model_template,
    "GetModels" => get_models,
    "GetRequestValidator" => get_request_validator,
    "GetRequestValidators" => get_request_validators,
    "GetResource" => get_resource,
    "GetResources" => get_resources,
    "GetRestApi" => get_rest_api,
    "GetRestApis" => get_rest_apis,
    "GetStage" => get_stage,
    "GetStages" => get_stages,
    "GetTags" => get_tags,
    "GetUsagePlan" => get_usage_plan,
    "GetUsagePlanKey" => get_usage_plan_key,
    "GetUsagePlanKeys" => get_usage_plan_keys,
    "GetUsagePlans" => get_usage_plans,
    "ImportRestApi" => import_rest_api,
    "PutGatewayResponse" => put_gateway_response,
    "PutIntegration" => put_integration,
    "PutIntegrationResponse" => put_integration_response,
    "PutMethod" => put_method,
    "PutMethodResponse" => put_method_response,
    "PutRestApi" => put_rest_api,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "UpdateAccount" => update_account,
    "UpdateApiKey" => update_api_key_op,
    "UpdateAuthorizer" => update_authorizer,
    "UpdateBasePathMapping" => update_base_path_mapping,
    "UpdateClientCertificate" => update_client_certificate,
    "UpdateDeployment" => update_deployment_op,
    "UpdateDocumentationPart" => update_documentation_part,
    "UpdateDocumentationVersion" => update_documentation_version,
    "UpdateGatewayResponse" => update_gateway_response,
    "UpdateIntegration" => update_integration_op,
    "UpdateIntegrationResponse" => update_integration_response_op,
    "UpdateMethod" => update_method_op,
    "UpdateMethodResponse" => update_method_response_op,
    "UpdateModel" => update_model,
    "UpdateRequestValidator" => update_request_validator,
    "UpdateResource" => update_resource_op,
    "UpdateRestApi" => update_rest_api,
    "UpdateStage" => update_stage,
    "UpdateUsagePlan" => update_usage_plan_op,
}

#[cfg(test)]
mod tests;
