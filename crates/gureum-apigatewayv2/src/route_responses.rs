//! Route responses of WebSocket routes: `CreateRouteResponse`,
//! `GetRouteResponse(s)`, `UpdateRouteResponse`, `DeleteRouteResponse`.
//! A route with a `$default` route response and a
//! `RouteResponseSelectionExpression` answers its client with its
//! integration's result (two-way).

use crate::children::{self, copy, find};
use crate::errors::bad;
use crate::{s, short_id, ApiGatewayV2Service, ApiRecord};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::BTreeMap;

/// Members a route response takes from its create and update requests.
const MEMBERS: &[&str] = &[
    "ModelSelectionExpression",
    "ResponseModels",
    "ResponseParameters",
    "RouteResponseKey",
];

impl ApiGatewayV2Service {
    /// `CreateRouteResponse`.
    pub(crate) fn create_route_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        let route_id = s(&input, "RouteId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            if !record.is_websocket() {
                return Err(bad("Route responses are supported only for WEBSOCKET APIs"));
            }
            let responses = responses_of(ctx, record, &route_id)?;
            let key = s(&input, "RouteResponseKey").unwrap_or_default();
            if responses
                .values()
                .any(|r| r["RouteResponseKey"].as_str() == Some(key))
            {
                return Err(crate::ApiGatewayV2Error::Conflict {
                    message: format!("Route response with key {key} already exists for this route"),
                }
                .into());
            }
            let mut response = json!({ "RouteResponseId": short_id() });
            copy(&input, &mut response, MEMBERS);
            let id = response["RouteResponseId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            responses.insert(id, response.clone());
            Ok(response)
        })
    }

    /// `GetRouteResponse`.
    pub(crate) fn get_route_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let responses = responses_of(ctx, &mut record, s(&input, "RouteId").unwrap_or_default())?;
        let id = s(&input, "RouteResponseId").unwrap_or_default();
        Ok(find(ctx, responses, "RouteResponse", id)?.clone())
    }

    /// `GetRouteResponses`.
    pub(crate) fn get_route_responses(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let mut record = self.load(ctx, s(&input, "ApiId").unwrap_or_default())?;
        let responses = responses_of(ctx, &mut record, s(&input, "RouteId").unwrap_or_default())?;
        children::page_of(responses, &input)
    }

    /// `UpdateRouteResponse`.
    pub(crate) fn update_route_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let responses = responses_of(ctx, record, s(&input, "RouteId").unwrap_or_default())?;
            let id = s(&input, "RouteResponseId").unwrap_or_default();
            let response = find(ctx, responses, "RouteResponse", id)?;
            copy(&input, response, MEMBERS);
            Ok(response.clone())
        })
    }

    /// `DeleteRouteResponse`.
    pub(crate) fn delete_route_response(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let api_id = s(&input, "ApiId").unwrap_or_default().to_string();
        self.update(ctx, &api_id, |record| {
            let responses = responses_of(ctx, record, s(&input, "RouteId").unwrap_or_default())?;
            let id = s(&input, "RouteResponseId").unwrap_or_default();
            responses
                .remove(id)
                .ok_or_else(|| children::missing(ctx, "RouteResponse", id))?;
            Ok(json!({}))
        })
    }
}

/// The route responses of route `route_id` (which must exist).
fn responses_of<'r>(
    ctx: &RequestContext,
    record: &'r mut ApiRecord,
    route_id: &str,
) -> Result<&'r mut BTreeMap<String, Value>, AwsError> {
    if !record.routes.contains_key(route_id) {
        return Err(children::missing(ctx, "Route", route_id));
    }
    Ok(record
        .route_responses
        .entry(route_id.to_string())
        .or_default())
}
