//! The Lambda proxy events of WebSocket APIs: `$connect` (with the
//! upgrade request's headers and query), messages, and `$disconnect`.

use crate::events::{clf_time, event_v1, HttpRequest, Served};
use base64::Engine;
use gureum_core::Value;
use serde_json::json;

/// A WebSocket event's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketEvent {
    /// `$connect`.
    Connect,
    /// A message.
    Message,
    /// `$disconnect`.
    Disconnect,
}

/// What a WebSocket event says about its connection.
#[derive(Clone, Debug, Default)]
pub struct Socket {
    /// The connection id.
    pub connection_id: String,
    /// When it connected, epoch milliseconds.
    pub connected_ms: i64,
    /// The client's address.
    pub source_ip: String,
    /// The client's `User-Agent`.
    pub user_agent: String,
}

/// The Lambda proxy event of a WebSocket API. `$connect` (and
/// `$disconnect`) carry the upgrade request's headers and query; messages
/// carry the body.
pub fn websocket_event(
    kind: SocketEvent,
    served: &Served,
    socket: &Socket,
    upgrade: Option<&HttpRequest>,
    body: Option<&[u8]>,
) -> Value {
    let event_type = match kind {
        SocketEvent::Connect => "CONNECT",
        SocketEvent::Message => "MESSAGE",
        SocketEvent::Disconnect => "DISCONNECT",
    };
    let mut context = json!({
        "routeKey": served.route_key,
        "eventType": event_type,
        "extendedRequestId": served.request_id,
        "requestTime": clf_time(served.time_ms),
        "messageDirection": "IN",
        "stage": served.stage,
        "connectedAt": socket.connected_ms,
        "requestTimeEpoch": served.time_ms,
        "identity": { "sourceIp": socket.source_ip, "userAgent": socket.user_agent },
        "requestId": served.request_id,
        "domainName": served.domain,
        "connectionId": socket.connection_id,
        "apiId": served.api_id,
    });
    if kind == SocketEvent::Message {
        context["messageId"] = json!(served.request_id);
    }
    if kind == SocketEvent::Disconnect {
        context["disconnectStatusCode"] = json!(1005);
        context["disconnectReason"] = json!("Client-side close frame status not set");
    }
    if let Some(a) = &served.authorizer {
        context["authorizer"] = a.clone();
    }
    let mut event = json!({ "requestContext": context, "isBase64Encoded": false });
    if let Some(request) = upgrade {
        let v1 = event_v1(request, served);
        event["headers"] = v1["headers"].clone();
        event["multiValueHeaders"] = v1["multiValueHeaders"].clone();
        if kind == SocketEvent::Connect {
            event["queryStringParameters"] = v1["queryStringParameters"].clone();
            event["multiValueQueryStringParameters"] =
                v1["multiValueQueryStringParameters"].clone();
        }
    }
    if let Some(b) = body {
        match std::str::from_utf8(b) {
            Ok(text) => event["body"] = json!(text),
            Err(_) => {
                event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(b));
                event["isBase64Encoded"] = json!(true);
            }
        }
    }
    event
}
