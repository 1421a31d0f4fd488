//! Target groups whose `ProtocolVersion` is `HTTP2` or `GRPC`: requests
//! reach their targets as HTTP/2 (cleartext, prior knowledge), over one
//! multiplexed connection per target, trailers (gRPC's status) included.

use super::http::{count_response, failure, InFlight, ResponseBody, HOP_BY_HOP};
use super::{GroupRuntime, ListenerView, Plane};
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long connecting to a target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `request` (already HTTP/2-shaped) to `addr` and answers with the
/// target's response, streamed.
pub(super) async fn send(
    request: Request<Incoming>,
    view: &ListenerView,
    plane: &Arc<Plane>,
    group: &GroupRuntime,
    addr: SocketAddr,
    in_flight: InFlight,
) -> Response<ResponseBody> {
    let started = Instant::now();
    let mut sender = match tokio::time::timeout(CONNECT_TIMEOUT, group.pool.get_h2(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => return failure(502, view, plane),
        Err(_) => return failure(504, view, plane),
    };
    let sent = tokio::time::timeout(view.idle_timeout, async {
        sender.ready().await?;
        sender.send_request(request).await
    })
    .await;
    let response = match sent {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => return failure(502, view, plane),
        Err(_) => return failure(504, view, plane),
    };
    count_response(
        view,
        plane,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    let (mut parts, body) = response.into_parts();
    for name in HOP_BY_HOP {
        parts.headers.remove(name);
    }
    let body = body.map_frame(move |f| {
        // Counted in flight until the last frame is read.
        let _held = &in_flight;
        f
    });
    Response::from_parts(parts, body.boxed())
}
