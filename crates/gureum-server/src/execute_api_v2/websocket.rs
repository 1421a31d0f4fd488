//! WebSocket APIs: the upgrade on Gureum's own port (hyper's upgrade),
//! `$connect` (whose function may refuse the connection), messages routed
//! by the API's route selection expression, pushes from the management
//! API (`PostToConnection`), and `$disconnect`.

use super::{integration_of, invoke_with, source_arn, wire};
use crate::pipeline::AppState;
use gureum_apigatewayv2::connections::{Connection, Connections, Outgoing};
use gureum_apigatewayv2::events::{self, HttpRequest, HttpResponse, Served};
use gureum_apigatewayv2::socket_events::{self, Socket, SocketEvent};
use gureum_apigatewayv2::websocket::{self as frames, Frame};
use gureum_apigatewayv2::{matching, ApiGatewayV2Service, HostedApi};
use gureum_core::{Clock, Value};
use gureum_protocol::Response as WireResponse;
use http::request::Parts;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// API Gateway's largest WebSocket message: 128 KB.
const MAX_MESSAGE: usize = 128 * 1024;

/// How often the server pings an open socket, which also keeps it from
/// counting as an idle connection.
const PING_EVERY: Duration = Duration::from_secs(5);

/// What a socket's task needs after the request is answered.
struct Session {
    lambda: Arc<gureum_lambda::LambdaService>,
    apis: Arc<ApiGatewayV2Service>,
    connections: Arc<Connections>,
    clock: Clock,
    served: Served,
    socket: Socket,
    upgrade: HttpRequest,
}

/// Answers an upgrade request for a WebSocket API: `101` and a task
/// serving the socket, or the `$connect` function's refusal.
pub async fn upgrade(
    state: &AppState,
    parts: &Parts,
    request: HttpRequest,
    served: Served,
    api: HostedApi,
) -> WireResponse {
    let request_id = served.request_id.clone();
    let wants_upgrade =
        events::header(&request, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let key = events::header(&request, "sec-websocket-key").map(String::from);
    let on_upgrade = parts.extensions.get::<hyper::upgrade::OnUpgrade>().cloned();
    let (Some(key), Some(on_upgrade), true) = (key, on_upgrade, wants_upgrade) else {
        return wire(HttpResponse::message(426, "Upgrade Required"), &request_id);
    };
    // The `$connect` route's authorizer admits the connection or not.
    let mut served = served;
    if let Some(connect) = matching::by_key(&api.record, "$connect") {
        if connect.route["ApiKeyRequired"] == Value::Bool(true) {
            // API keys live in REST APIs' usage plans, which this data
            // plane cannot check: refuse rather than admit unchecked.
            return wire(HttpResponse::message(403, "Forbidden"), &request_id);
        }
        served.route_key = "$connect".into();
        let path = request.raw_path.clone();
        match super::authorize::check(state, parts, &api, &connect.route, &request, &served, &path)
            .await
        {
            Ok(context) => served.authorizer = context,
            Err(refused) => return wire(refused, &request_id),
        }
    }
    let socket = Socket {
        connection_id: Connections::new_id(),
        connected_ms: served.time_ms,
        source_ip: request.source_ip.clone(),
        user_agent: events::header(&request, "user-agent")
            .unwrap_or_default()
            .to_string(),
    };
    let session = Session {
        lambda: state.registry.lambda.clone(),
        apis: state.registry.apigatewayv2.clone(),
        connections: state.registry.apigatewayv2.connections(),
        clock: state.clock.clone(),
        served,
        socket,
        upgrade: request,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let connection_id = session.socket.connection_id.clone();
    // `$connect` runs before the answer: its function may refuse.
    let mut refused = None;
    let connect = matching::by_key(&api.record, "$connect");
    if let Some(integration) = connect.and_then(|m| integration_of(&api, &m.route).cloned()) {
        let event = session.event(SocketEvent::Connect, "$connect", None);
        let arn = source_arn(&api, &session.served.stage, "$connect");
        let function = gureum_apigatewayv2::function_arn(
            integration["IntegrationUri"].as_str().unwrap_or_default(),
        )
        .to_string();
        let answer = invoke_with(
            session.lambda.clone(),
            api.account.clone(),
            function,
            arn,
            event.to_string().into_bytes(),
        )
        .await;
        refused = match answer {
            None => Some(HttpResponse::internal()),
            Some(payload) => {
                let r = events::response_from(&payload, "1.0");
                let structured = serde_json::from_slice::<Value>(&payload)
                    .ok()
                    .is_some_and(|v| v.get("statusCode").is_some());
                (structured && !(200..300).contains(&r.status)).then_some(r)
            }
        };
    }
    if let Some(r) = refused {
        return wire(r, &request_id);
    }
    session.connections.add(
        &connection_id,
        Connection {
            api_id: api.record.id().to_string(),
            stage: session.served.stage.clone(),
            connected_ms: session.socket.connected_ms,
            last_active_ms: session.socket.connected_ms,
            source_ip: session.socket.source_ip.clone(),
            user_agent: session.socket.user_agent.clone(),
            sender: tx,
        },
    );
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => session.run(TokioIo::new(upgraded), rx).await,
            Err(_) => {
                session.connections.remove(&session.socket.connection_id);
            }
        }
    });
    WireResponse {
        status: 101,
        headers: vec![
            ("Upgrade".into(), "websocket".into()),
            ("Connection".into(), "Upgrade".into()),
            ("Sec-WebSocket-Accept".into(), frames::accept_key(&key)),
        ],
        body: Default::default(),
    }
}

impl Session {
    /// The event of `kind` for route `route_key`.
    fn event(&self, kind: SocketEvent, route_key: &str, body: Option<&[u8]>) -> Value {
        let mut served = self.served.clone();
        served.route_key = route_key.to_string();
        served.time_ms = self.clock.now_millis();
        if kind != SocketEvent::Connect {
            served.request_id = gureum_core::id::uuid_v4();
        }
        let upgrade = (kind != SocketEvent::Message).then_some(&self.upgrade);
        socket_events::websocket_event(kind, &served, &self.socket, upgrade, body)
    }

    /// Serves the socket until either side closes, then runs `$disconnect`.
    async fn run(
        self,
        io: TokioIo<hyper::upgrade::Upgraded>,
        mut rx: mpsc::UnboundedReceiver<Outgoing>,
    ) {
        let this = Arc::new(self);
        let (mut rd, mut wr) = tokio::io::split(io);
        let mut buf: Vec<u8> = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        let mut partial: Option<(u8, Vec<u8>)> = None;
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        'socket: loop {
            tokio::select! {
                read = rd.read(&mut chunk) => {
                    let n = match read { Ok(0) | Err(_) => break, Ok(n) => n };
                    buf.extend_from_slice(&chunk[..n]);
                    loop {
                        let (frame, used) = match frames::parse(&buf) {
                            Ok(Some(f)) => f,
                            Ok(None) => break,
                            Err(_) => {
                                let _ = wr.write_all(&frames::encode(frames::CLOSE, &1002u16.to_be_bytes())).await;
                                break 'socket;
                            }
                        };
                        buf.drain(..used);
                        match frame.opcode {
                            frames::PING => {
                                let _ = wr.write_all(&frames::encode(frames::PONG, &frame.payload)).await;
                            }
                            frames::PONG => {}
                            frames::CLOSE => {
                                let _ = wr.write_all(&frames::encode(frames::CLOSE, &frame.payload)).await;
                                break 'socket;
                            }
                            _ => {
                                let held = partial.as_ref().map_or(0, |(_, d)| d.len());
                                if held + frame.payload.len() > MAX_MESSAGE {
                                    // 1009: the message is larger than API Gateway takes.
                                    let _ = wr.write_all(&frames::encode(frames::CLOSE, &1009u16.to_be_bytes())).await;
                                    break 'socket;
                                }
                                if let Some(message) = assemble(&mut partial, frame) {
                                    this.connections.touch(&this.socket.connection_id, this.clock.now_millis());
                                    let session = this.clone();
                                    tokio::spawn(async move { session.on_message(message).await });
                                }
                            }
                        }
                    }
                }
                out = rx.recv() => {
                    let frame = match out {
                        Some(Outgoing::Message(data)) => {
                            let op = if std::str::from_utf8(&data).is_ok() { frames::TEXT } else { frames::BINARY };
                            frames::encode(op, &data)
                        }
                        Some(Outgoing::Close) | None => {
                            let _ = wr.write_all(&frames::encode(frames::CLOSE, &1000u16.to_be_bytes())).await;
                            break;
                        }
                    };
                    if wr.write_all(&frame).await.is_err() {
                        break;
                    }
                }
                _ = ping.tick() => {
                    if wr.write_all(&frames::encode(frames::PING, b"")).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = wr.shutdown().await;
        this.connections.remove(&this.socket.connection_id);
        this.on_disconnect().await;
    }

    /// The API as the stage serves it now (its routes may have changed
    /// since connecting).
    fn api(&self) -> Option<HostedApi> {
        let hosted = self.apis.hosted(&self.served.api_id).ok().flatten()?;
        let record = hosted.record.as_served_by(&self.served.stage)?;
        Some(HostedApi { record, ..hosted })
    }

    /// Invokes the integration of the route `route_key` matched with `event`.
    async fn invoke(
        &self,
        api: &HostedApi,
        route: &Value,
        route_key: &str,
        event: Value,
    ) -> Option<Vec<u8>> {
        let integration = integration_of(api, route)?;
        if integration["IntegrationType"].as_str() != Some("AWS_PROXY") {
            return None;
        }
        let function = gureum_apigatewayv2::function_arn(
            integration["IntegrationUri"].as_str().unwrap_or_default(),
        )
        .to_string();
        invoke_with(
            self.lambda.clone(),
            api.account.clone(),
            function,
            source_arn(api, &self.served.stage, route_key),
            event.to_string().into_bytes(),
        )
        .await
    }

    /// A message: routed by the selection expression; on a two-way route
    /// (a `$default` route response), the function's body goes back to
    /// the client.
    async fn on_message(&self, message: Vec<u8>) {
        let Some(api) = self.api() else { return };
        let text = String::from_utf8_lossy(&message).into_owned();
        let Some(matched) = matching::match_websocket(&api.record, &text) else {
            let reply = serde_json::json!({
                "message": "Forbidden",
                "connectionId": self.socket.connection_id,
                "requestId": gureum_core::id::uuid_v4(),
            });
            self.connections.send(
                &self.socket.connection_id,
                Outgoing::Message(reply.to_string().into_bytes()),
                self.clock.now_millis(),
            );
            return;
        };
        let event = self.event(SocketEvent::Message, &matched.route_key, Some(&message));
        let answer = self
            .invoke(&api, &matched.route, &matched.route_key, event)
            .await;
        let route_id = matched.route["RouteId"].as_str().unwrap_or_default();
        let two_way = api.record.is_two_way(route_id);
        match answer {
            Some(payload) if two_way => {
                let body = match serde_json::from_slice::<Value>(&payload) {
                    Ok(v) if v.get("statusCode").is_some() => match &v["body"] {
                        Value::String(s) => s.clone().into_bytes(),
                        Value::Null => Vec::new(),
                        other => other.to_string().into_bytes(),
                    },
                    _ => payload,
                };
                if !body.is_empty() {
                    self.connections.send(
                        &self.socket.connection_id,
                        Outgoing::Message(body),
                        self.clock.now_millis(),
                    );
                }
            }
            Some(_) => {}
            None => {
                let reply = serde_json::json!({
                    "message": "Internal server error",
                    "connectionId": self.socket.connection_id,
                    "requestId": gureum_core::id::uuid_v4(),
                });
                self.connections.send(
                    &self.socket.connection_id,
                    Outgoing::Message(reply.to_string().into_bytes()),
                    self.clock.now_millis(),
                );
            }
        }
    }

    /// `$disconnect`, best effort (its answer is ignored, as AWS does).
    async fn on_disconnect(&self) {
        let Some(api) = self.api() else { return };
        let Some(matched) = matching::by_key(&api.record, "$disconnect") else {
            return;
        };
        let event = self.event(SocketEvent::Disconnect, "$disconnect", None);
        let _ = self
            .invoke(&api, &matched.route, "$disconnect", event)
            .await;
    }
}

/// Reassembles fragmented messages: a whole message when `frame`
/// completes one.
fn assemble(partial: &mut Option<(u8, Vec<u8>)>, frame: Frame) -> Option<Vec<u8>> {
    match (frame.opcode, partial.take()) {
        (0, Some((op, mut data))) => {
            data.extend_from_slice(&frame.payload);
            if frame.fin {
                Some(data)
            } else {
                *partial = Some((op, data));
                None
            }
        }
        (0, None) => None,
        (op, _) if frame.fin => {
            let _ = op;
            Some(frame.payload)
        }
        (op, _) => {
            *partial = Some((op, frame.payload));
            None
        }
    }
}
