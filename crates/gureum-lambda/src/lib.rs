//! Lambda (rest-json, regional): functions whose code really runs.
//!
//! - Functions ([`functions`]): create from a zip, read, list, update code
//!   and configuration, delete, tags; states `Pending` → `Active` and
//!   `LastUpdateStatus` `InProgress` → `Successful`.
//! - Code ([`code`]): the zip in the store (`lambda.code`), extracted on
//!   demand under Gureum's working directory.
//! - Resource policies ([`policy`]).
//! - Invoke ([`invoke`]): runs the code in execution environments
//!   ([`environment`]) speaking AWS's Runtime API ([`runtime_api`]); logs
//!   through the [`logs::FunctionLogs`] seam.
//!
//! - Versions and aliases ([`versions`]), weighted routing included.
//! - SQS event source mappings and their poller ([`mappings`]), DynamoDB
//!   stream mappings ([`stream_mappings`]).
//!
//! Tables: `lambda.functions` (`account/region/name` → [`Function`]),
//! `lambda.versions` (`account/region/name/NNNNNNNNNN` → [`Function`]),
//! `lambda.aliases` (`account/region/name/ALIAS` → alias configuration)
//! `lambda.code` (raw, `account/region/name/SHA256HEX` → zip bytes) and
//! `lambda.mappings` (`UUID` → [`mappings::Mapping`]) and `lambda.urls`
//! (`URL_ID` → [`urls::UrlConfig`]); layers ([`layers`]) in
//! `lambda.layers` (`account/region/NAME/NNNNNNNNNN` →
//! [`layers::LayerVersion`]), `lambda.layer_heads` (`account/region/NAME`
//! → last version number) and `lambda.layer_code` (raw, same keys → zip).

pub mod code;
pub mod code_view;
pub mod credentials;
pub mod destinations;
pub mod environment;
pub mod errors;
pub mod event_invoke;
pub mod functions;
pub mod invoke;
pub mod layer_policy;
pub mod layers;
pub mod logs;
pub mod mappings;
pub mod policy;
pub mod runtime_api;
pub mod stream_invoke;
pub mod stream_mappings;
pub mod urls;
pub mod versions;

use errors::LambdaError;
use gureum_core::{Authorization, AuthzTarget, AwsError, OpResult, RequestContext, Scope, Value};
use gureum_store::{RawTable, Store, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// A function as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Function {
    /// Its `FunctionConfiguration`, as AWS answers it (state fields are
    /// settled on read).
    pub config: Value,
    /// Hex SHA-256 of the zip (the key of its code).
    pub code_sha: String,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Resource policy statements.
    #[serde(default)]
    pub policy: Vec<Value>,
    /// When the last create or update settles (ms on Gureum's clock).
    #[serde(default)]
    pub settles_at: i64,
    /// The last published version (0: none).
    #[serde(default)]
    pub last_version: u64,
    /// The `$LATEST` revision the last version was published from.
    #[serde(default)]
    pub published_revision: String,
    /// Code kept for published versions (hex SHA-256s).
    #[serde(default)]
    pub code_shas: std::collections::BTreeSet<String>,
    /// Reserved concurrency (`PutFunctionConcurrency`): at most this many
    /// synchronous invocations at once.
    #[serde(default)]
    pub reserved: Option<u64>,
    /// `PutFunctionEventInvokeConfig`'s configuration, when set.
    #[serde(default)]
    pub event_invoke: Option<Value>,
    /// The host directory the code is read from (`hot-reload`), if any.
    #[serde(default)]
    pub host_dir: Option<String>,
    /// Hex SHA-256s of its layers' zips, in order (copies kept under the
    /// function's key as `layer-SHA`).
    #[serde(default)]
    pub layers: Vec<String>,
    /// Its layers' bytes unzipped (counted with new code against 250 MB).
    #[serde(default)]
    pub layers_unzipped: u64,
}

/// The Lambda service.
pub struct LambdaService {
    pub(crate) store: Store,
    pub(crate) functions: Table<Function>,
    pub(crate) code: RawTable,
    pub(crate) versions: Table<Function>,
    pub(crate) aliases: Table<Value>,
    pub(crate) pool: Arc<environment::Pool>,
    pub(crate) logs: Arc<dyn logs::FunctionLogs>,
    pub(crate) endpoint: OnceLock<String>,
    pub(crate) mappings: Table<mappings::Mapping>,
    pub(crate) queues: OnceLock<Arc<dyn mappings::QueueSource>>,
    pub(crate) busy_mappings: parking_lot::Mutex<std::collections::HashSet<String>>,
    pub(crate) code_objects: OnceLock<Arc<dyn code::CodeObjects>>,
    pub(crate) roles: OnceLock<Arc<credentials::ExecutionRoles>>,
    pub(crate) streams: OnceLock<Arc<dyn stream_mappings::StreamSource>>,
    pub(crate) urls: Table<urls::UrlConfig>,
    pub(crate) destinations: OnceLock<Arc<dyn destinations::AsyncDestinations>>,
    pub(crate) role_policies: OnceLock<Arc<dyn credentials::RolePolicies>>,
    pub(crate) layers: Table<layers::LayerVersion>,
    pub(crate) layer_heads: Table<u64>,
    pub(crate) layer_code: RawTable,
}

impl LambdaService {
    /// The service over `store`, logging to memory.
    pub fn new(store: Store) -> Self {
        Self::with_logs(store, Arc::new(logs::RecentLogs::default()))
    }

    /// The service over `store`, writing function logs to `logs`.
    pub fn with_logs(store: Store, logs: Arc<dyn logs::FunctionLogs>) -> Self {
        LambdaService {
            functions: store.table("lambda.functions"),
            code: store.raw_table("lambda.code"),
            versions: store.table("lambda.versions"),
            aliases: store.table("lambda.aliases"),
            mappings: store.table("lambda.mappings"),
            urls: store.table("lambda.urls"),
            layers: store.table("lambda.layers"),
            layer_heads: store.table("lambda.layer_heads"),
            layer_code: store.raw_table("lambda.layer_code"),
            store,
            pool: environment::Pool::new(),
            logs,
            endpoint: OnceLock::new(),
            queues: OnceLock::new(),
            busy_mappings: Default::default(),
            code_objects: OnceLock::new(),
            roles: OnceLock::new(),
            streams: OnceLock::new(),
            destinations: OnceLock::new(),
            role_policies: OnceLock::new(),
        }
    }

    /// Gives execution environments their role's credentials, assumed
    /// through `sessions` (STS) on `clock`; without it (unit tests) they
    /// get the account root's.
    pub fn with_role_sessions(
        self,
        sessions: Arc<dyn gureum_kit::role_sessions::RoleSessions>,
        clock: gureum_core::Clock,
    ) -> Self {
        let _ = self
            .roles
            .set(Arc::new(credentials::ExecutionRoles::new(sessions, clock)));
        self
    }

    /// Sends asynchronous invocations' records and dead letters through
    /// `destinations` (set once, by the server, after EventBridge exists).
    pub fn set_destinations(&self, destinations: Arc<dyn destinations::AsyncDestinations>) {
        let _ = self.destinations.set(destinations);
    }

    /// Checks execution roles' permissions through `policies` (set once,
    /// by the server).
    pub fn set_role_policies(&self, policies: Arc<dyn credentials::RolePolicies>) {
        let _ = self.role_policies.set(policies);
    }

    /// Checks that Lambda can assume `role` for the function `name`.
    pub(crate) fn check_role(
        &self,
        ctx: &RequestContext,
        name: &str,
        role: &str,
    ) -> Result<(), AwsError> {
        match self.roles.get() {
            Some(roles) => roles.check(role, &functions::arn_for(ctx, name)),
            None => Ok(()),
        }
    }

    /// Reads SQS event sources through `queues`.
    pub fn with_queues(self, queues: Arc<dyn mappings::QueueSource>) -> Self {
        let _ = self.queues.set(queues);
        self
    }

    /// Reads code named by `S3Bucket`/`S3Key` through `objects` (set once,
    /// by the server, after S3 is built).
    pub fn set_code_objects(&self, objects: Arc<dyn code::CodeObjects>) {
        let _ = self.code_objects.set(objects);
    }

    /// Tells functions where Gureum listens (`AWS_ENDPOINT_URL`).
    pub fn set_endpoint(&self, url: String) {
        let _ = self.endpoint.set(url);
    }

    /// Reaps environments idle longer than [`environment::IDLE_LIFETIME`]
    /// (the server's ticker calls this).
    pub fn reap_idle(&self) {
        self.pool.reap(environment::IDLE_LIFETIME);
    }

    /// Ends every execution environment and removes their files (the
    /// server calls this when it stops).
    pub fn shutdown(&self) {
        self.pool.shutdown();
    }

    /// Ends idle environments after a reset or import: their functions
    /// may be gone or different.
    fn reset_environments(&self) {
        self.pool.retire("");
    }

    /// How many execution environments are running.
    pub fn running_environments(&self) -> usize {
        self.pool.running()
    }

    /// The stored function `name` (a name or ARN) in the caller's scope,
    /// with its key.
    pub(crate) fn find(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(String, Function), AwsError> {
        let (short, _) = functions::parse_name(name);
        let key = Scope::regional(ctx).key(short);
        match self.functions.get(&key).map_err(AwsError::from)? {
            Some(f) => Ok((key, f)),
            None => Err(functions::not_found(ctx, short)),
        }
    }

    /// Reads, changes and writes function `name` in one transaction.
    pub(crate) fn update_function<R>(
        &self,
        ctx: &RequestContext,
        name: &str,
        change: impl FnOnce(&mut Function) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let (short, _) = functions::parse_name(name);
        let key = Scope::regional(ctx).key(short);
        let table = self.functions.clone();
        self.store.write(|txn| {
            let Some(mut f) = txn.get(&table, &key).map_err(AwsError::from)? else {
                return Err(functions::not_found(ctx, short));
            };
            let out = change(&mut f)?;
            txn.put(&table, &key, &f).map_err(AwsError::from)?;
            Ok(out)
        })
    }

    fn get_account_settings(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let prefix = Scope::regional(ctx).prefix();
        let all = self
            .functions
            .scan_prefix(&prefix)
            .map_err(AwsError::from)?;
        let size: i64 = all
            .iter()
            .map(|(_, f)| f.config["CodeSize"].as_i64().unwrap_or(0))
            .sum();
        Ok(serde_json::json!({
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800_i64,
                "CodeSizeUnzipped": 262_144_000,
                "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": 1000,
                "UnreservedConcurrentExecutions": 1000,
            },
            "AccountUsage": {"TotalCodeSize": size, "FunctionCount": all.len()},
        }))
    }

    /// IAM actions and resources as Lambda's service authorization
    /// reference names them: function-scoped operations on the function's
    /// ARN (`Invoke` is `lambda:InvokeFunction`; tags name it in
    /// `Resource`), listings and account settings on `*`.
    fn authorization(&self, ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
        let member = match operation {
            "ListTags" | "TagResource" | "UntagResource" => "Resource",
            _ => "FunctionName",
        };
        let Some(name) = input.get(member).and_then(Value::as_str) else {
            return Authorization::Default;
        };
        let action = match operation {
            "Invoke" | "InvokeWithResponseStream" => "InvokeFunction".to_string(),
            "ListFunctions"
            | "GetAccountSettings"
            | "ListEventSourceMappings"
            | "CreateEventSourceMapping"
            | "GetEventSourceMapping"
            | "UpdateEventSourceMapping"
            | "DeleteEventSourceMapping" => return Authorization::Default,
            other => other.to_string(),
        };
        let arn = functions::arn_for(ctx, functions::parse_name(name).0);
        Authorization::Targets(vec![AuthzTarget::new(format!("lambda:{action}"), arn)])
    }
}

/// A string member, empty when absent (the model marks required ones).
pub(crate) fn str_member<'a>(input: &'a Value, name: &str) -> &'a str {
    input.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A fresh request id (a UUID, as Lambda's).
pub(crate) fn new_request_id() -> String {
    gureum_core::id::uuid_v4()
}

impl Drop for LambdaService {
    fn drop(&mut self) {
        self.pool.shutdown();
    }
}

/// A page of `items` under `key`, by `Marker` (an index) and `MaxItems`.
pub(crate) fn page_by_marker(items: Vec<Value>, input: &Value, key: &str) -> OpResult {
    let limit = input.get("MaxItems").and_then(Value::as_u64).unwrap_or(50) as usize;
    let start = match input.get("Marker").and_then(Value::as_str) {
        Some(m) => m.parse::<usize>().map_err(|_| invalid("Invalid marker"))?,
        None => 0,
    };
    let end = (start + limit).min(items.len());
    let page: Vec<Value> = items
        .get(start..end)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let mut out = serde_json::json!({ key: page });
    if end < items.len() {
        out["NextMarker"] = serde_json::json!(end.to_string());
    }
    Ok(out)
}

/// Refuses members Gureum does not honour yet, rather than accepting them
/// silently.
pub(crate) fn refuse_unsupported(input: &Value, members: &[&str]) -> Result<(), AwsError> {
    match members
        .iter()
        .find(|m| input.get(**m).is_some_and(|v| !v.is_null()))
    {
        Some(m) => Err(invalid(format!("Gureum does not support {m} yet."))),
        None => Ok(()),
    }
}

/// An unknown member value.
pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    LambdaError::InvalidParameterValue {
        message: message.into(),
    }
    .into()
}

gureum_core::service_operations! {
    LambdaService, "lambda",
    reset = reset_environments,
    authorization = authorization,
    streaming {
        "CreateFunction" => create_function,
        "Invoke" => invoke,
        "InvokeAsync" => invoke_async,
        "InvokeWithResponseStream" => invoke_with_response_stream,
        "PublishLayerVersion" => publish_layer_version,
        "UpdateFunctionCode" => update_function_code,
    },
    "AddLayerVersionPermission" => add_layer_version_permission,
    "AddPermission" => add_permission,
    "CreateAlias" => create_alias,
    "CreateEventSourceMapping" => create_event_source_mapping,
    "CreateFunctionUrlConfig" => create_function_url_config,
    "DeleteAlias" => delete_alias,
    "DeleteEventSourceMapping" => delete_event_source_mapping,
    "DeleteFunction" => delete_function,
    "DeleteFunctionConcurrency" => delete_function_concurrency,
    "DeleteFunctionEventInvokeConfig" => delete_function_event_invoke_config,
    "DeleteFunctionUrlConfig" => delete_function_url_config,
    "DeleteLayerVersion" => delete_layer_version,
    "GetAlias" => get_alias,
    "GetEventSourceMapping" => get_event_source_mapping,
    "GetAccountSettings" => get_account_settings,
    "GetFunction" => get_function,
    "GetFunctionConcurrency" => get_function_concurrency,
    "GetFunctionEventInvokeConfig" => get_function_event_invoke_config,
    "GetFunctionUrlConfig" => get_function_url_config,
    "GetFunctionConfiguration" => get_function_configuration,
    "GetLayerVersion" => get_layer_version,
    "GetLayerVersionByArn" => get_layer_version_by_arn,
    "GetLayerVersionPolicy" => get_layer_version_policy,
    "GetPolicy" => get_policy,
    "ListAliases" => list_aliases,
    "ListEventSourceMappings" => list_event_source_mappings,
    "ListFunctionEventInvokeConfigs" => list_function_event_invoke_configs,
    "ListFunctionUrlConfigs" => list_function_url_configs,
    "ListFunctions" => list_functions,
    "ListLayerVersions" => list_layer_versions,
    "ListLayers" => list_layers,
    "ListTags" => list_tags,
    "ListVersionsByFunction" => list_versions_by_function,
    "PublishVersion" => publish_version,
    "PutFunctionConcurrency" => put_function_concurrency,
    "PutFunctionEventInvokeConfig" => put_function_event_invoke_config,
    "RemoveLayerVersionPermission" => remove_layer_version_permission,
    "RemovePermission" => remove_permission,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "UpdateAlias" => update_alias,
    "UpdateEventSourceMapping" => update_event_source_mapping,
    "UpdateFunctionConfiguration" => update_function_configuration,
    "UpdateFunctionEventInvokeConfig" => update_function_event_invoke_config,
    "UpdateFunctionUrlConfig" => update_function_url_config,
}

#[cfg(test)]
mod tests;
