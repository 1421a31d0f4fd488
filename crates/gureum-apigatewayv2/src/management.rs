//! The API Gateway management API (`apigatewaymanagementapi`):
//! `PostToConnection`, `GetConnection`, `DeleteConnection` over the live
//! WebSocket connections.

use crate::connections::{Connections, Outgoing};
use base64::Engine;
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;
use std::sync::Arc;

gureum_core::aws_errors! {
    /// What the management API answers when it refuses.
    pub enum ManagementError {
        /// The connection is closed or never existed (AWS sends no message
        /// text beyond the code; this one names the id).
        Gone { id: String } = ("GoneException", 410, "Connection {id} is gone"),
        /// Data over 128 KB.
        TooLarge = ("PayloadTooLargeException", 413, "Message too long"),
        /// A connection of another account.
        Forbidden = ("ForbiddenException", 403, "Forbidden"),
    }
}

/// The management API over the data plane's connections.
pub struct ManagementService {
    connections: Arc<Connections>,
    apis: Arc<crate::ApiGatewayV2Service>,
}

impl ManagementService {
    /// The management API for `apis`' connections.
    pub fn new(apis: Arc<crate::ApiGatewayV2Service>) -> Self {
        ManagementService {
            connections: apis.connections(),
            apis,
        }
    }

    /// The live connection `id` of the caller's account.
    fn connection(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(String, crate::connections::Connection), gureum_core::AwsError> {
        let id = input["ConnectionId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let gone = || ManagementError::Gone { id: id.clone() };
        let c = self.connections.get(&id).ok_or_else(gone)?;
        let owner = self.apis.hosted(&c.api_id)?.map(|h| h.account);
        if owner.as_deref() != Some(ctx.account_id.as_str()) {
            return Err(ManagementError::Forbidden.into());
        }
        Ok((id, c))
    }

    /// `PostToConnection`: the data goes to the client as one message.
    fn post_to_connection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (id, _) = self.connection(ctx, &input)?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(input["Data"].as_str().unwrap_or_default())
            .unwrap_or_default();
        if data.len() > 128 * 1024 {
            return Err(ManagementError::TooLarge.into());
        }
        if !self
            .connections
            .send(&id, Outgoing::Message(data), ctx.clock.now_millis())
        {
            return Err(ManagementError::Gone { id }.into());
        }
        Ok(json!({}))
    }

    /// `GetConnection`.
    fn get_connection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, c) = self.connection(ctx, &input)?;
        Ok(json!({
            "ConnectedAt": c.connected_ms as f64 / 1000.0,
            "LastActiveAt": c.last_active_ms as f64 / 1000.0,
            "Identity": { "SourceIp": c.source_ip, "UserAgent": c.user_agent },
        }))
    }

    /// `DeleteConnection`: the server closes the socket.
    fn delete_connection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (id, _) = self.connection(ctx, &input)?;
        self.connections
            .send(&id, Outgoing::Close, ctx.clock.now_millis());
        Ok(json!({}))
    }
}

gureum_core::service_operations! {
    ManagementService, "apigatewaymanagementapi",
    "PostToConnection" => post_to_connection,
    "GetConnection" => get_connection,
    "DeleteConnection" => delete_connection,
}

#[cfg(test)]
mod tests {
    use super::ManagementError;

    #[test]
    fn declared_errors_are_the_models() {
        let model = gureum_model::load("apigatewaymanagementapi").expect("model");
        let problems =
            gureum_protocol::check_declared_errors(&model, ManagementError::DECLARED, &[]);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
