//! API Gateway custom domain names on the main port: a request whose
//! `Host` is a domain name of `gureum-apigateway` (or its
//! `d-….execute-api.REGION.localhost` regional name) is routed by base
//! path to the mapped REST API stage and served as its invoke URL would
//! be; a path no mapping covers gets API Gateway's 403 `Forbidden`.

use crate::pipeline::{AppState, Body};
use gureum_apigateway::domains::DomainTarget;
use gureum_apigateway::invoke::Response;
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use std::net::SocketAddr;

/// Serves a request to a custom domain (`None`: no mapping matched).
pub(crate) async fn serve(
    state: &AppState,
    parts: &Parts,
    body: Body,
    remote: SocketAddr,
    target: Option<DomainTarget>,
) -> WireResponse {
    let forbidden = || crate::execute_api::wire(Response::message(403, "Forbidden"));
    let Some(t) = target else {
        return forbidden();
    };
    let addressed = (t.api_id.as_str(), t.stage.as_str(), t.path.as_str());
    match crate::execute_api::serve(state, parts, body, remote, addressed).await {
        Ok(r) => r,
        // Mapped to an API that is gone.
        Err(_) => forbidden(),
    }
}
