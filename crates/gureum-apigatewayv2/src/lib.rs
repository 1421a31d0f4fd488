//! API Gateway v2 (rest-json): HTTP APIs and WebSocket APIs, their routes,
//! integrations, stages, deployments, authorizers and tags, and what the
//! data plane needs to serve them (route matching, the Lambda proxy events
//! and responses, JWT checks, WebSocket frames and live connections).
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `apigatewayv2.apis`: `account/region/apiId` → an [`ApiRecord`]: the
//!   API and all its children in one record, so the data plane reads one
//!   value per request;
//! - `apigatewayv2.api_homes`: `apiId` → `account/region`, for the data
//!   plane, which knows only the id from the host or path.
//!
//! The management API (`apigatewaymanagementapi`: `@connections`) is
//! [`management::ManagementService`], over the same live
//! [`connections::Connections`].

pub mod access_log;
pub mod connections;
pub mod cors;
pub mod errors;
pub mod events;
pub mod jwt;
pub mod management;
pub mod mapping;
pub mod matching;
pub mod socket_events;
pub mod throttle;
pub mod websocket;

mod apis;
mod authorizers;
mod children;
mod integrations;
mod route_responses;
mod routes;
mod stages;
mod tags;

pub use authorizers::function_arn;
pub use errors::ApiGatewayV2Error;

use gureum_core::{AwsError, RequestContext, Scope, Value};
use gureum_store::{Store, Table};
use serde_json::Map;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One API and everything in it, stored as the model's shapes (member
/// names as keys) so reads answer without conversion.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ApiRecord {
    /// The `Api` shape, without `Tags`.
    pub api: Map<String, Value>,
    /// The API's tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// `Route` shapes by `RouteId`.
    #[serde(default)]
    pub routes: BTreeMap<String, Value>,
    /// `Integration` shapes by `IntegrationId`.
    #[serde(default)]
    pub integrations: BTreeMap<String, Value>,
    /// `Stage` shapes (without `Tags`) by `StageName`.
    #[serde(default)]
    pub stages: BTreeMap<String, Value>,
    /// Stage tags by `StageName`.
    #[serde(default)]
    pub stage_tags: BTreeMap<String, BTreeMap<String, String>>,
    /// `Authorizer` shapes by `AuthorizerId`.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Value>,
    /// `Deployment` shapes by `DeploymentId`.
    #[serde(default)]
    pub deployments: BTreeMap<String, Value>,
    /// `RouteResponse` shapes by `RouteResponseId`, by `RouteId`.
    #[serde(default)]
    pub route_responses: BTreeMap<String, BTreeMap<String, Value>>,
    /// What each deployment froze, by `DeploymentId`.
    #[serde(default)]
    pub snapshots: BTreeMap<String, Snapshot>,
}

/// The routes, integrations and authorizers a deployment froze: what a
/// stage that does not deploy itself serves.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// `Route` shapes by `RouteId`.
    pub routes: BTreeMap<String, Value>,
    /// `Integration` shapes by `IntegrationId`.
    pub integrations: BTreeMap<String, Value>,
    /// `Authorizer` shapes by `AuthorizerId`.
    pub authorizers: BTreeMap<String, Value>,
}

impl ApiRecord {
    /// The API's id.
    pub fn id(&self) -> &str {
        self.api.get("ApiId").and_then(Value::as_str).unwrap_or("")
    }

    /// `HTTP` or `WEBSOCKET`.
    pub fn protocol(&self) -> &str {
        self.api
            .get("ProtocolType")
            .and_then(Value::as_str)
            .unwrap_or("HTTP")
    }

    /// Whether this is a WebSocket API.
    pub fn is_websocket(&self) -> bool {
        self.protocol() == "WEBSOCKET"
    }

    /// The API as stage `stage` serves it: the current routes when the
    /// stage deploys itself (`AutoDeploy`), else its deployment's snapshot;
    /// `None` when the stage has nothing deployed.
    pub fn as_served_by(&self, stage: &str) -> Option<ApiRecord> {
        let st = self.stages.get(stage)?;
        if st["AutoDeploy"] == Value::Bool(true) {
            return Some(self.clone());
        }
        let snapshot = self.snapshots.get(st["DeploymentId"].as_str()?)?;
        Some(ApiRecord {
            routes: snapshot.routes.clone(),
            integrations: snapshot.integrations.clone(),
            authorizers: snapshot.authorizers.clone(),
            ..self.clone()
        })
    }

    /// Whether route `route_id` answers its WebSocket client (two-way):
    /// it has a `RouteResponseSelectionExpression` and a `$default` route
    /// response.
    pub fn is_two_way(&self, route_id: &str) -> bool {
        let selects = self
            .routes
            .get(route_id)
            .is_some_and(|r| r.get("RouteResponseSelectionExpression").is_some());
        selects
            && self.route_responses.get(route_id).is_some_and(|rs| {
                rs.values()
                    .any(|r| r["RouteResponseKey"].as_str() == Some("$default"))
            })
    }

    /// Freezes the current routes, integrations and authorizers.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            routes: self.routes.clone(),
            integrations: self.integrations.clone(),
            authorizers: self.authorizers.clone(),
        }
    }
}

/// An API found by the data plane, with where it lives.
#[derive(Clone, Debug)]
pub struct HostedApi {
    /// The owning account.
    pub account: String,
    /// The region.
    pub region: String,
    /// The API and its children.
    pub record: ApiRecord,
}

/// The API Gateway v2 service.
pub struct ApiGatewayV2Service {
    store: Store,
    apis: Table<ApiRecord>,
    homes: Table<String>,
    connections: Arc<connections::Connections>,
    throttles: throttle::Throttles,
}

impl ApiGatewayV2Service {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        ApiGatewayV2Service {
            apis: store.table("apigatewayv2.apis"),
            homes: store.table("apigatewayv2.api_homes"),
            connections: Arc::new(connections::Connections::default()),
            throttles: throttle::Throttles::default(),
            store,
        }
    }

    /// The live WebSocket connections (shared with the management API).
    pub fn connections(&self) -> Arc<connections::Connections> {
        self.connections.clone()
    }

    /// Whether a request on `route_key` of `api`'s `stage` fits the stage's
    /// throttling settings at `now_ms` (always, when it has none).
    pub fn admit(&self, api: &HostedApi, stage: &str, route_key: &str, now_ms: i64) -> bool {
        let Some(settings) = api.record.stages.get(stage) else {
            return true;
        };
        match throttle::limits(settings, route_key) {
            None => true,
            Some((rate, burst)) => {
                let key = format!("{}/{stage}/{route_key}", api.record.id());
                self.throttles.admit(&key, rate, burst, now_ms)
            }
        }
    }

    /// The API with id `api_id`, wherever it lives, for the data plane:
    /// `None` when no API has this id (another service's, or none).
    pub fn hosted(&self, api_id: &str) -> Result<Option<HostedApi>, AwsError> {
        let Some(home) = self.homes.get(api_id)? else {
            return Ok(None);
        };
        let Some(record) = self.apis.get(&format!("{home}/{api_id}"))? else {
            return Ok(None);
        };
        let (account, region) = home.split_once('/').unwrap_or((home.as_str(), ""));
        Ok(Some(HostedApi {
            account: account.to_string(),
            region: region.to_string(),
            record,
        }))
    }

    /// The stored API `id` in the caller's scope, or AWS's not-found.
    fn load(&self, ctx: &RequestContext, id: &str) -> Result<ApiRecord, AwsError> {
        self.apis
            .get(&Scope::regional(ctx).key(id))?
            .ok_or_else(|| not_found(ctx, id))
    }

    /// Reads API `id`, lets `change` edit it, and writes it back in one
    /// transaction; answers what `change` returns.
    fn update<R>(
        &self,
        ctx: &RequestContext,
        id: &str,
        change: impl FnOnce(&mut ApiRecord) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let key = Scope::regional(ctx).key(id);
        self.store.write(|txn| {
            let mut record = txn
                .get(&self.apis, &key)?
                .ok_or_else(|| not_found(ctx, id))?;
            let out = change(&mut record)?;
            txn.put(&self.apis, &key, &record)?;
            Ok(out)
        })
    }
}

/// `NotFoundException` for API `id`.
fn not_found(ctx: &RequestContext, id: &str) -> AwsError {
    ApiGatewayV2Error::ApiNotFound {
        account: ctx.account_id.clone(),
        id: id.to_string(),
    }
    .into()
}

/// A string member of an input.
fn s<'v>(input: &'v Value, name: &str) -> Option<&'v str> {
    input.get(name).and_then(Value::as_str)
}

/// A fresh child id: 7 lowercase letters and digits, as AWS's look.
fn short_id() -> String {
    random_id(7)
}

/// `len` random lowercase letters and digits.
fn random_id(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect()
}

/// Epoch seconds now, for `CreatedDate`.
fn now_secs(ctx: &RequestContext) -> f64 {
    ctx.clock.now_millis() as f64 / 1000.0
}

gureum_core::service_operations! {
    ApiGatewayV2Service, "apigatewayv2",
    "CreateApi" => create_api,
    "GetApi" => get_api,
    "GetApis" => get_apis,
    "UpdateApi" => update_api,
    "DeleteApi" => delete_api,
    "DeleteCorsConfiguration" => delete_cors_configuration,
    "CreateRoute" => create_route,
    "GetRoute" => get_route,
    "GetRoutes" => get_routes,
    "UpdateRoute" => update_route,
    "DeleteRoute" => delete_route,
    "CreateRouteResponse" => create_route_response,
    "GetRouteResponse" => get_route_response,
    "GetRouteResponses" => get_route_responses,
    "UpdateRouteResponse" => update_route_response,
    "DeleteRouteResponse" => delete_route_response,
    "CreateIntegration" => create_integration,
    "GetIntegration" => get_integration,
    "GetIntegrations" => get_integrations,
    "UpdateIntegration" => update_integration,
    "DeleteIntegration" => delete_integration,
    "CreateStage" => create_stage,
    "GetStage" => get_stage,
    "GetStages" => get_stages,
    "UpdateStage" => update_stage,
    "DeleteStage" => delete_stage,
    "CreateDeployment" => create_deployment,
    "GetDeployment" => get_deployment,
    "GetDeployments" => get_deployments,
    "DeleteDeployment" => delete_deployment,
    "CreateAuthorizer" => create_authorizer,
    "GetAuthorizer" => get_authorizer,
    "GetAuthorizers" => get_authorizers,
    "UpdateAuthorizer" => update_authorizer,
    "DeleteAuthorizer" => delete_authorizer,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "GetTags" => get_tags,
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod dataplane_tests;
