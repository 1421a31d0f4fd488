//! HTTP/1.1 upgrades through an application load balancer (WebSocket):
//! the request goes to the target the rules chose on a connection of its
//! own, with its `Connection: upgrade` and `Upgrade` kept; when the target
//! answers `101 Switching Protocols` both connections are handed to
//! [`splice`](super::splice) until either side closes or the load
//! balancer's `idle_timeout.timeout_seconds` passes in silence — run by
//! the client connection's own task once hyper lets go of it ([`Spliced`]),
//! so it ends with its listener. Any other answer goes back to the client
//! as an ordinary response.

use super::http::{failure, forwarded_headers, scheme, InFlight, ResponseBody, HOP_BY_HOP};
use super::{ListenerView, Plane, TargetView};
use http::header::{HeaderMap, HeaderValue, CONNECTION, UPGRADE};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Work left for after a connection's HTTP/1.1 part.
type Pending = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The splice a client connection runs after its upgrade, if any.
#[derive(Clone, Default)]
pub struct Spliced(Arc<parking_lot::Mutex<Option<Pending>>>);

impl Spliced {
    /// Runs the splice left by an upgrade (nothing without one).
    pub async fn run(&self) {
        let pending = self.0.lock().take();
        if let Some(f) = pending {
            f.await;
        }
    }
}

/// How long connecting to a target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a request asks to switch protocols: an `Upgrade` header and
/// `upgrade` among `Connection`'s tokens.
pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(UPGRADE)
        && headers.get_all(CONNECTION).iter().any(|v| {
            v.to_str().is_ok_and(|s| {
                s.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
        })
}

/// Passes an upgrade request to `target` and, once it switches
/// protocols, leaves the splice of the two connections in `after` (the
/// connection counts as in flight to the target while it lasts).
pub async fn forward(
    mut req: Request<Incoming>,
    remote: SocketAddr,
    view: &ListenerView,
    plane: &Arc<Plane>,
    target: &TargetView,
    addr: SocketAddr,
    after: &Spliced,
) -> Response<ResponseBody> {
    let client_side = hyper::upgrade::on(&mut req);
    let (mut parts, body) = req.into_parts();
    let protocol = parts.headers.get(UPGRADE).cloned();
    for name in HOP_BY_HOP {
        parts.headers.remove(name);
    }
    parts
        .headers
        .insert(CONNECTION, HeaderValue::from_static("upgrade"));
    if let Some(p) = protocol {
        parts.headers.insert(UPGRADE, p);
    }
    forwarded_headers(&mut parts.headers, remote, view.port, scheme(view));
    parts.uri = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .parse()
        .unwrap_or_default();
    parts.version = http::Version::HTTP_11;
    target.in_flight.fetch_add(1, Ordering::Relaxed);
    let in_flight = InFlight(target.in_flight.clone());
    let stream =
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => return failure(502, view, plane),
            Err(_) => return failure(504, view, plane),
        };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) =
        hyper::client::conn::http1::handshake::<_, Incoming>(TokioIo::new(stream)).await
    else {
        return failure(502, view, plane);
    };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let sent = tokio::time::timeout(
        view.idle_timeout,
        sender.send_request(Request::from_parts(parts, body)),
    )
    .await;
    let mut response = match sent {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => return failure(502, view, plane),
        Err(_) => return failure(504, view, plane),
    };
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        // The target declined: its answer, as for any request.
        let (mut parts, body) = response.into_parts();
        for name in HOP_BY_HOP {
            parts.headers.remove(name);
        }
        // The load balancer answers HTTP/1.1 whatever its target spoke.
        parts.version = http::Version::HTTP_11;
        return Response::from_parts(parts, body.boxed());
    }
    let target_side = hyper::upgrade::on(&mut response);
    let idle = view.idle_timeout;
    *after.0.lock() = Some(Box::pin(async move {
        let _in_flight = in_flight;
        if let (Ok(client), Ok(target)) = tokio::join!(client_side, target_side) {
            super::splice::splice(TokioIo::new(client), TokioIo::new(target), idle).await;
        }
    }));
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, body.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_needs_both_the_header_and_the_connection_token() {
        let mut h = HeaderMap::new();
        h.insert(UPGRADE, HeaderValue::from_static("websocket"));
        assert!(!is_upgrade(&h));
        h.insert(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        assert!(is_upgrade(&h));
        h.remove(UPGRADE);
        assert!(!is_upgrade(&h));
    }
}
