//! An application load balancer's listener: HTTP/1.1 in, matched against
//! the rules by priority, then a fixed response, a redirect, a function
//! invocation or a proxied request to a healthy target (kept-alive
//! connections; upgrades such as WebSocket go through [`super::upgrade`]),
//! with `X-Forwarded-For/Proto/Port` and `X-Amzn-Trace-Id`
//! added, and AWS's 502/503/504 pages when targets fail, none can take
//! the request, or they time out.

use super::lambda;
use super::pages::error_page;
use super::rules::RequestFacts;
use super::{ActionView, GroupRuntime, ListenerView, Plane};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::RwLock;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// A response body: a target's, streamed, or one the load balancer made.
pub type ResponseBody = BoxBody<Bytes, hyper::Error>;

/// The most a Lambda target's request body may be (AWS: 1 MB).
const LAMBDA_BODY_LIMIT: usize = 1 << 20;
/// How long connecting to a target may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Headers that belong to one connection, not passed on.
pub(super) const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// How long a client may take over the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until aborted (which also ends its connections);
/// an HTTPS listener terminates TLS first, with the configuration its
/// view holds when the connection arrives.
pub async fn serve(
    listener: tokio::net::TcpListener,
    view: Arc<RwLock<Arc<ListenerView>>>,
    plane: Arc<Plane>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(a) => a,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let view = view.clone();
        let plane = plane.clone();
        connections.spawn(async move {
            let tls = view.read().tls.clone();
            match tls {
                Some(config) => {
                    let accept = tokio_rustls::TlsAcceptor::from(config).accept(stream);
                    if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                        let io = TokioIo::new(stream);
                        if h2 {
                            serve_h2(io, remote, view, plane).await;
                        } else {
                            serve_connection(io, remote, view, plane).await;
                        }
                    }
                }
                None => serve_connection(TokioIo::new(stream), remote, view, plane).await,
            }
        });
    }
}

/// Serves HTTP/1.1 on one connection (plain or TLS) until it closes.
async fn serve_connection<I>(
    io: I,
    remote: SocketAddr,
    view: Arc<RwLock<Arc<ListenerView>>>,
    plane: Arc<Plane>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let after = super::upgrade::Spliced::default();
    let service = service_fn({
        let after = after.clone();
        move |req| {
            let view = view.read().clone();
            let plane = plane.clone();
            let after = after.clone();
            async move { Ok::<_, Infallible>(handle(req, remote, view, plane, &after).await) }
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .with_upgrades()
        .await;
    // An upgraded connection is spliced here, in the listener's task, so
    // deleting the listener ends it too.
    after.run().await;
}

/// Serves HTTP/2 on one TLS connection (ALPN `h2`) until it closes: each
/// stream is a request like an HTTP/1.1 one, sent on to targets as
/// HTTP/1.1, as AWS's load balancers do for `HTTP1` target groups.
async fn serve_h2<I>(
    io: I,
    remote: SocketAddr,
    view: Arc<RwLock<Arc<ListenerView>>>,
    plane: Arc<Plane>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let view = view.read().clone();
        let plane = plane.clone();
        // HTTP/2 has no Upgrade: nothing is ever spliced.
        let none = super::upgrade::Spliced::default();
        async move { Ok::<_, Infallible>(handle(req, remote, view, plane, &none).await) }
    });
    let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
        .serve_connection(io, service)
        .await;
}

/// A response the load balancer makes itself.
fn own(status: u16, content_type: Option<&str>, body: impl Into<Bytes>) -> Response<ResponseBody> {
    let mut r = Response::new(
        Full::new(body.into())
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let h = r.headers_mut();
    h.insert("server", HeaderValue::from_static("awselb/2.0"));
    h.insert(
        "date",
        HeaderValue::from_str(&gureum_core::timestamp::format_http_date(
            gureum_core::Clock::system().now_millis(),
        ))
        .unwrap_or(HeaderValue::from_static("")),
    );
    if let Some(t) = content_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("content-type", t);
    }
    r
}

/// AWS's error page for `status`, counted as the load balancer's own 5xx.
pub(super) fn failure(status: u16, view: &ListenerView, plane: &Plane) -> Response<ResponseBody> {
    plane
        .counters
        .update(&view.scope, &view.load_balancer, |c| c.elb_5xx += 1);
    own(status, Some("text/html"), error_page(status))
}

/// `Root=1-<epoch hex>-<24 hex>`, as AWS's trace ids.
fn trace_id() -> String {
    format!(
        "Root=1-{:08x}-{}",
        gureum_core::Clock::system().now_secs(),
        gureum_core::id::hex(24)
    )
}

async fn handle(
    req: Request<Incoming>,
    remote: SocketAddr,
    view: Arc<ListenerView>,
    plane: Arc<Plane>,
    after: &super::upgrade::Spliced,
) -> Response<ResponseBody> {
    plane
        .counters
        .update(&view.scope, &view.load_balancer, |c| c.requests += 1);
    // Matching borrows the request: done before anything awaits, and
    // without copying its parts (this runs on every request).
    let matched = {
        let headers = req.headers();
        let header = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect()
        };
        let facts = RequestFacts {
            host: host_of(&req),
            path: req.uri().path(),
            method: req.method().as_str(),
            query: req.uri().query().unwrap_or(""),
            header: &header,
            source: remote.ip(),
        };
        view.rules
            .iter()
            .position(|r| r.conditions.iter().all(|c| c.matches(&facts)))
    };
    let Some(rule) = matched.map(|i| &view.rules[i]) else {
        return failure(503, &view, &plane);
    };
    match &rule.action {
        ActionView::Fixed {
            status,
            content_type,
            body,
        } => own(*status, content_type.as_deref(), body.clone()),
        ActionView::Redirect(config) => redirect(
            config,
            scheme(&view),
            host_of(&req),
            view.port,
            req.uri().path(),
            req.uri().query().unwrap_or(""),
        ),
        ActionView::Forward(groups) => {
            let Some(group) = choose(groups) else {
                return failure(503, &view, &plane);
            };
            let group_view = group.view();
            if group_view.target_type == "lambda" {
                invoke(req, remote, &view, &plane, group).await
            } else {
                proxy(req, remote, &view, &plane, group, after).await
            }
        }
    }
}

/// The request's host without its port (`Host`, else HTTP/2's authority).
fn host_of(req: &Request<Incoming>) -> &str {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("");
    host.rsplit_once(':')
        .filter(|(_, p)| p.bytes().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// A target group by weight (groups of weight 0 take nothing).
fn choose(groups: &[(Arc<GroupRuntime>, u32)]) -> Option<Arc<GroupRuntime>> {
    let total: u32 = groups.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return None;
    }
    let mut n = rand::random::<u32>() % total;
    for (g, w) in groups {
        if n < *w {
            return Some(g.clone());
        }
        n -= w;
    }
    None
}

/// The `Location` of a redirect: the config's parts, `#{…}` replaced by
/// the request's.
fn redirect(
    config: &serde_json::Value,
    scheme: &str,
    host: &str,
    port: i64,
    path: &str,
    query: &str,
) -> Response<ResponseBody> {
    let part = |k: &str| config[k].as_str().unwrap_or_default().to_string();
    let fill = |s: String| {
        s.replace("#{protocol}", scheme)
            .replace("#{host}", host)
            .replace("#{port}", &port.to_string())
            .replace("#{path}", path.trim_start_matches('/'))
            .replace("#{query}", query)
    };
    let protocol = fill(part("Protocol")).to_ascii_lowercase();
    let mut location = format!(
        "{protocol}://{}:{}{}",
        fill(part("Host")),
        fill(part("Port")),
        fill(part("Path"))
    );
    let q = fill(part("Query"));
    if !q.is_empty() {
        location.push('?');
        location.push_str(&q);
    }
    let status = if part("StatusCode") == "HTTP_301" {
        301
    } else {
        302
    };
    let mut r = own(status, Some("text/html"), error_page(status));
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert("location", v);
    }
    r
}

/// `https` for a listener terminating TLS, else `http`.
pub(super) fn scheme(view: &ListenerView) -> &'static str {
    if view.tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// Adds the `X-Forwarded-*` and trace headers a target sees.
pub(super) fn forwarded_headers(
    h: &mut http::HeaderMap,
    remote: SocketAddr,
    port: i64,
    proto: &'static str,
) {
    let xff = match h.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {}", remote.ip()),
        None => remote.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        h.insert("x-forwarded-for", v);
    }
    h.insert("x-forwarded-proto", HeaderValue::from_static(proto));
    h.insert("x-forwarded-port", HeaderValue::from(port));
    let trace = match h.get("x-amzn-trace-id").and_then(|v| v.to_str().ok()) {
        // A trace the client started continues, with this hop's own id.
        Some(t) if t.contains("Root=") => {
            format!(
                "{t};Self=1-{:08x}-{}",
                gureum_core::Clock::system().now_secs(),
                gureum_core::id::hex(24)
            )
        }
        _ => trace_id(),
    };
    if let Ok(v) = HeaderValue::from_str(&trace) {
        h.insert("x-amzn-trace-id", v);
    }
}

async fn proxy(
    req: Request<Incoming>,
    remote: SocketAddr,
    view: &ListenerView,
    plane: &Arc<Plane>,
    group: Arc<GroupRuntime>,
    after: &super::upgrade::Spliced,
) -> Response<ResponseBody> {
    let group_view = group.view();
    let stickiness = group_view.stickiness.as_ref();
    let pinned = stickiness
        .and_then(|s| s.requested(req.headers()))
        .and_then(|token| group.pinned(token));
    let Some(target) = pinned.or_else(|| group.pick()) else {
        return failure(503, view, plane);
    };
    let Some(addr) = target.addr else {
        return failure(502, view, plane);
    };
    if super::upgrade::is_upgrade(req.headers()) {
        return super::upgrade::forward(req, remote, view, plane, &target, addr, after).await;
    }
    let (mut parts, body) = req.into_parts();
    for name in HOP_BY_HOP {
        parts.headers.remove(name);
    }
    forwarded_headers(&mut parts.headers, remote, view.port, scheme(view));
    if !parts.headers.contains_key(http::header::HOST) {
        // HTTP/2's `:authority` becomes HTTP/1.1's Host.
        if let Some(v) = parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        {
            parts.headers.insert(http::header::HOST, v);
        }
    }
    let http2 = group_view.http2_targets;
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    parts.uri = if http2 {
        // HTTP/2 carries the authority itself (`:authority`, not Host).
        let authority = parts
            .headers
            .remove(http::header::HOST)
            .and_then(|h| h.to_str().ok().map(str::to_string))
            .unwrap_or_else(|| addr.to_string());
        format!("http://{authority}{path}")
            .parse()
            .unwrap_or_default()
    } else {
        path.parse().unwrap_or_default()
    };
    parts.version = if http2 {
        http::Version::HTTP_2
    } else {
        http::Version::HTTP_11
    };
    let request = Request::from_parts(parts, body);
    target.in_flight.fetch_add(1, Ordering::Relaxed);
    let in_flight = InFlight(target.in_flight.clone());
    if http2 {
        return super::h2_targets::send(request, view, plane, &group, addr, in_flight).await;
    }
    let started = Instant::now();
    // A kept-alive connection needs no connect timer.
    let mut sender = match group.pool.idle(addr) {
        Some(s) => s,
        None => match tokio::time::timeout(CONNECT_TIMEOUT, group.pool.connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => return failure(502, view, plane),
            Err(_) => return failure(504, view, plane),
        },
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
    // The load balancer answers HTTP/1.1 whatever its target spoke.
    parts.version = http::Version::HTTP_11;
    if let Some(s) = stickiness {
        s.set(&mut parts.headers, &target.token, plane.clock.now_millis());
    }
    let body = PooledBody {
        inner: body,
        sender: Some(sender),
        group,
        addr,
        _in_flight: in_flight,
    };
    Response::from_parts(parts, body.boxed())
}

/// Counts a target group's response in CloudWatch's counters.
pub(super) fn count_response(view: &ListenerView, plane: &Plane, status: u16, elapsed: f64) {
    let class = (status / 100).clamp(2, 5) as usize - 2;
    plane
        .counters
        .update(&view.scope, &view.load_balancer, |c| {
            c.target_codes[class] += 1;
            c.response_time_sum += elapsed;
            c.response_time_count += 1;
        });
}

/// Counts a request in flight to a target until dropped.
pub(super) struct InFlight(pub(super) Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A target's response body that hands its connection back to the pool
/// once read.
struct PooledBody {
    inner: Incoming,
    sender: Option<SendRequest<Incoming>>,
    group: Arc<GroupRuntime>,
    addr: SocketAddr,
    _in_flight: InFlight,
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            if let Some(s) = self.sender.take() {
                self.group.pool.put(self.addr, s);
            }
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // An empty body may never be polled to its end.
        if self.inner.is_end_stream() {
            if let Some(s) = self.sender.take() {
                self.group.pool.put(self.addr, s);
            }
        }
    }
}

async fn invoke(
    req: Request<Incoming>,
    remote: SocketAddr,
    view: &ListenerView,
    plane: &Arc<Plane>,
    group: Arc<GroupRuntime>,
) -> Response<ResponseBody> {
    let Some(target) = group.pick() else {
        return failure(503, view, plane);
    };
    let (mut parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, LAMBDA_BODY_LIMIT)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => return own(413, Some("text/html"), error_page(413)),
    };
    forwarded_headers(&mut parts.headers, remote, view.port, scheme(view));
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(n, _)| !HOP_BY_HOP.contains(&n.as_str()))
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let group_view = group.view();
    let event = lambda::event(
        &lambda::EventRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers,
            body: &body,
        },
        &group_view.arn,
        group_view.multi_value_headers,
    );
    let payload = serde_json::to_vec(&event).unwrap_or_default();
    let functions = plane.functions.clone();
    let function_arn = target.key.0.clone();
    let group_arn = group_view.arn.clone();
    let started = Instant::now();
    let answered =
        tokio::task::spawn_blocking(move || functions.invoke(&function_arn, &group_arn, &payload))
            .await;
    let Some(r) = answered
        .ok()
        .and_then(Result::ok)
        .and_then(|p| lambda::response(&p))
    else {
        return failure(502, view, plane);
    };
    count_response(view, plane, r.status, started.elapsed().as_secs_f64());
    let mut response = Response::new(
        Full::new(Bytes::from(r.body))
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *response.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    for (k, v) in r.headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            response.headers_mut().append(k, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_fills_in_the_request_parts() {
        let config = serde_json::json!({
            "Protocol": "HTTPS", "Port": "443", "Host": "#{host}",
            "Path": "/new/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301",
        });
        let r = redirect(&config, "http", "example.com", 80, "/old", "a=1");
        assert_eq!(r.status(), 301);
        assert_eq!(
            r.headers()["location"],
            "https://example.com:443/new/old?a=1"
        );
    }

    #[test]
    fn forwarded_headers_append_the_client_and_start_a_trace() {
        let mut h = http::HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        forwarded_headers(&mut h, "127.0.0.1:5000".parse().expect("addr"), 80, "http");
        assert_eq!(h["x-forwarded-for"], "1.2.3.4, 127.0.0.1");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-port"], "80");
        assert!(h["x-amzn-trace-id"]
            .to_str()
            .expect("ascii")
            .starts_with("Root=1-"));
    }
}
