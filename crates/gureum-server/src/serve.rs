//! The listener: HTTP/1.1 with keep-alive and HTTP/2 (prior knowledge) on
//! one port, a timeout for clients that never finish their headers, a cap
//! on connections with idle ones evicted first ([`crate::conn`]), and a
//! graceful stop.

use crate::accounts::Accounts;
use crate::body::ResponseStream;
use crate::config::Config;
use crate::conn::{Limits, Tracker};
use crate::pipeline::{self, AppState, Outcome};
use crate::registry::Registry;
use crate::repoll::Repoll;
use bytes::Bytes;
use gureum_core::Clock;
use gureum_store::Store;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The accept queue's depth (the kernel caps it at `somaxconn`).
const ACCEPT_BACKLOG: u32 = 8192;
/// How long the accept loop waits after an accept error.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
/// How long in-flight requests may run after a stop was asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The port is taken.
    #[error("cannot listen on {0}: the port is in use (another Gureum? pass --port to use another, or --port 0 for any free one)")]
    PortInUse(SocketAddr),
    /// The port could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// Another process holds the data directory.
    #[error("another Gureum is using {0} (stop it, or pass --data-dir for a separate state, or --ephemeral)")]
    DataDirInUse(String),
    /// The data directory or store could not be opened.
    #[error("cannot open state in {0}: {1}")]
    Store(String, String),
    /// The accounts file was refused.
    #[error(transparent)]
    Accounts(#[from] crate::accounts::AccountsError),
}

/// A bound, ready server.
pub struct Server {
    listener: TcpListener,
    /// The DNS server's sockets, served when the server runs.
    dns: gureum_dns::DnsServer,
    state: Arc<AppState>,
    connections: Arc<Tracker>,
}

impl Server {
    /// Opens the store and binds the port.
    pub async fn bind(config: &Config) -> Result<Server, ServeError> {
        // The port first: a start that fails leaves nothing behind (no
        // data directory made for a server that never ran).
        let addr = SocketAddr::new(config.host, config.port);
        let listener = listen(addr).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => ServeError::PortInUse(addr),
            _ => ServeError::Bind(addr, e),
        })?;
        let dns_addr = crate::route53_wiring::dns_addr(config);
        let dns = crate::route53_wiring::bind_dns(config).map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => ServeError::PortInUse(dns_addr),
            _ => ServeError::Bind(dns_addr, e),
        })?;
        let store = if config.ephemeral {
            Store::in_memory().map_err(|e| ServeError::Store("memory".into(), e.to_string()))?
        } else {
            open_store(config)?
        };
        let declared = match &config.accounts_file {
            Some(path) => crate::accounts::load_file(path)?,
            None => Vec::new(),
        };
        gureum_s3::declare_canonical_user_ids(
            declared
                .iter()
                .filter_map(|a| Some((a.id.clone(), a.s3_canonical_id.clone()?)))
                .collect(),
        );
        // An advanced clock stays advanced across restarts, so that what
        // expired before a restart stays expired.
        let settings = store.table::<i64>(crate::admin::SETTINGS_TABLE);
        let offset = settings
            .get(crate::admin::CLOCK_OFFSET_KEY)
            .ok()
            .flatten()
            .unwrap_or(0);
        let clock = Clock::with_offset(offset);
        let registry = Registry::build(&store, &clock);
        let mut accounts = Accounts::new(declared, config.strict);
        for provider in &registry.credentials {
            accounts.add_provider(provider.clone());
        }
        let state = AppState {
            registry,
            accounts,
            clock,
            started: Instant::now(),
            settings,
            store,
            data_dir: (!config.ephemeral).then(|| config.data_dir.clone()),
            persistent: !config.ephemeral,
            health_services: Default::default(),
            body_budget: crate::budget::BodyBudget::new(crate::budget::DEFAULT_BUDGET),
            endpoint: Default::default(),
        };
        if let Ok(bound) = listener.local_addr() {
            let _ = state.endpoint.set(bound);
            state.registry.sns.set_port(bound.port());
            // Functions reach Gureum on loopback (`AWS_ENDPOINT_URL`).
            let host = if bound.ip().is_unspecified() {
                std::net::IpAddr::from([127, 0, 0, 1])
            } else {
                bound.ip()
            };
            state
                .registry
                .lambda
                .set_endpoint(format!("http://{}", SocketAddr::new(host, bound.port())));
        }
        let bound = state.endpoint.get().copied();
        state
            .registry
            .instances
            .configure(state.data_dir.as_deref(), bound);
        Ok(Server {
            listener,
            dns,
            state: Arc::new(state),
            connections: Tracker::new(Limits::for_process()),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            // Clients that half-close after sending (curl -T, raw sockets) still get their answer.
            .half_close(true)
            .keep_alive(true);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let ticker = tokio::spawn(schedule_ticker(self.state.clone()));
        let dns = crate::route53_wiring::serve_dns(self.dns, &self.state.registry.route53);
        if let Err(e) = &dns {
            tracing::warn!(target: "gureum", "dns server: {e}");
        }
        let _edge_tls =
            crate::cloudfront_tls::start_on(self.state.clone(), self.listener.local_addr()).await;
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, remote) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Out of descriptors (EMFILE) or a transient
                            // error: free an idle connection and back off
                            // instead of spinning on the same error.
                            self.connections.evict_one();
                            tracing::warn!(target: "gureum", "accept failed: {e}");
                            tokio::time::sleep(ACCEPT_BACKOFF).await;
                            continue;
                        }
                    };
                    if !self.connections.make_room() {
                        // Every connection is mid-request: refuse this one
                        // rather than exceed the descriptor budget.
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let io = self.connections.wrap(stream);
                    let activity = io.activity();
                    let state = self.state.clone();
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        let in_flight = activity.request();
                        async move {
                            let response = respond(&state, req, remote).await;
                            drop(in_flight);
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service).into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(Repoll::new(async move {
                        let _ = conn.await;
                    }));
                }
                _ = &mut shutdown => break,
            }
        }
        ticker.abort();
        drop(self.listener);
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
        // No function process outlives the server.
        let lambda = self.state.registry.lambda.clone();
        let _ = tokio::task::spawn_blocking(move || lambda.shutdown()).await;
        let rds = self.state.registry.rds.clone();
        let _ = tokio::task::spawn_blocking(move || rds.shutdown()).await;
        let elasticache = self.state.registry.elasticache.clone();
        let _ = tokio::task::spawn_blocking(move || elasticache.shutdown()).await;
        let instances = self.state.registry.instances.clone();
        let _ = tokio::task::spawn_blocking(move || instances.shutdown()).await;
    }
}

/// How often EventBridge's scheduled rules and CloudWatch's alarms are
/// checked against the clock.
const SCHEDULE_TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// Fires EventBridge's scheduled rules, evaluates CloudWatch's alarms,
/// runs DynamoDB's TTL pass and S3's lifecycle rules, reaps Lambda's idle
/// environments and polls its SQS event sources as Gureum's clock passes
/// (off the async workers: they read and write the store).
async fn schedule_ticker(state: Arc<AppState>) {
    let mut interval = tokio::time::interval(SCHEDULE_TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The minute of Gureum's clock service metrics were last emitted in.
    let metrics_minute = Arc::new(std::sync::atomic::AtomicI64::new(0));
    loop {
        interval.tick().await;
        let state = state.clone();
        let metrics_minute = metrics_minute.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let now = state.clock.now_millis();
            let minute = now.div_euclid(60_000);
            if metrics_minute.swap(minute, std::sync::atomic::Ordering::Relaxed) != minute {
                let sink = state.registry.cloudwatch.as_ref();
                if let Err(e) = state.registry.sqs.emit_metrics(sink, now) {
                    tracing::warn!(target: "gureum", "sqs metrics: {}", e.message);
                }
                state.registry.cloudfront.emit_metrics(sink, now);
            }
            if let Err(e) = state.registry.events.fire_due_schedules(now) {
                tracing::warn!(target: "gureum", "events schedules: {}", e.message);
            }
            if let Err(e) = state.registry.dynamodb.expire_due(now) {
                tracing::warn!(target: "gureum", "dynamodb ttl: {}", e.message);
            }
            if let Err(e) = state.registry.dynamodb.tick(now) {
                tracing::warn!(target: "gureum", "dynamodb global tables, contributor insights: {}", e.message);
            }
            if let Err(e) = state.registry.dynamodb.run_transfers(&state.clock) {
                tracing::warn!(target: "gureum", "dynamodb exports/imports: {}", e.message);
            }
            if let Err(e) = state.registry.logs.run_exports(&state.clock) {
                tracing::warn!(target: "gureum", "logs exports: {}", e.message);
            }
            if let Err(e) = state.registry.cloudwatch.evaluate_due(now) {
                tracing::warn!(target: "gureum", "cloudwatch alarms: {}", e.message);
            }
            // Lambda's idle execution environments end on the same tick,
            // and its SQS event sources are polled.
            state.registry.lambda.reap_idle();
            state.registry.lambda.poll_event_sources();
            // RDS restarts its running instances' engines on the first tick.
            state.registry.rds.tick(now);
            // S3 lifecycle rules on the same clock (free without rules).
            state.registry.s3.run_lifecycle(&state.clock);
            // ElastiCache replaces nodes whose engine died and takes its
            // automatic snapshots.
            state.registry.elasticache.watch_engines(&state.clock);
            state.registry.ec2.sync_host(&state.clock);
            state.registry.route53.run_health_checks(&state.clock);
            // Load balancers turn active, resume listening, emit metrics.
            state.registry.elbv2.tick();
            state.registry.autoscaling.reconcile(&state.clock);
            // ACM validates pending certificates against Route 53, renews.
            state.registry.acm.tick();
            state.registry.glacier.complete_due(now);
            state.registry.efs.tick();
            if let Err(e) = state.registry.billing.tick(now) {
                tracing::warn!(target: "gureum", "billing: {e}");
            }
        })
        .await;
    }
}

/// Opens the durable store, telling a directory held by another Gureum
/// apart from other failures, and removing a directory it made itself when
/// opening fails.
fn open_store(config: &Config) -> Result<Store, ServeError> {
    let durability = if config.fsync_every_write {
        gureum_store::Durability::Power
    } else {
        gureum_store::Durability::Process
    };
    let dir = &config.data_dir;
    let existed = dir.exists();
    Store::open_with(dir, durability).map_err(|e| {
        let message = e.to_string();
        if !existed {
            let _ = std::fs::remove_dir_all(dir);
        }
        if message.contains("already open") || message.contains("Cannot acquire lock") {
            ServeError::DataDirInUse(dir.display().to_string())
        } else {
            ServeError::Store(dir.display().to_string(), message)
        }
    })
}

/// A listening socket with a deep accept queue: a burst of connections
/// (thousands of clients connecting at once) waits in the kernel instead of
/// having its SYNs dropped, which would cost each a one-second retransmit.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// Binds and serves until `shutdown`; `on_ready` receives the bound address.
pub async fn serve(
    config: &Config,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let server = Server::bind(config).await?;
    let addr = server
        .local_addr()
        .map_err(|e| ServeError::Bind(SocketAddr::new(config.host, config.port), e))?;
    on_ready(addr);
    server.run(shutdown).await;
    Ok(())
}

/// Answers one request (the main port and the CloudFront HTTPS edge).
pub(crate) async fn respond(
    state: &Arc<AppState>,
    req: hyper::Request<Incoming>,
    remote: SocketAddr,
) -> hyper::Response<ResponseStream> {
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let mut read_to_end = None;
    if parts.method == http::Method::POST && path == crate::admin::IMPORT_PATH {
        let r = crate::admin_state::import(state, body).await;
        return to_hyper(
            r.status,
            vec![("Content-Type".into(), r.content_type.into())],
            r.body,
        );
    }
    if let Some(r) = crate::sns_links::answer(state, &parts) {
        return to_hyper(
            r.status,
            vec![("Content-Type".into(), r.content_type.into())],
            r.body,
        );
    }
    let admin = crate::admin::is_admin_path(path);
    // The buffered body's share of the memory budget, until the answer.
    let mut _held = None;
    let (tracked, done) = crate::body::Tracked::new(body);
    let body = if pipeline::may_stream(&parts) && !admin {
        if let Some(err) = pipeline::s3_put_too_large(&parts) {
            // Refused before its bytes are read: the connection cannot
            // carry another request.
            let r = pipeline::early_error(&parts, &err);
            let mut headers = r.headers;
            headers.push(("Connection".into(), "close".into()));
            return to_hyper(r.status, headers, ResponseStream::Full(Some(r.body)));
        }
        read_to_end = Some(done);
        pipeline::Body::Incoming(tracked)
    } else {
        match crate::body::collect(tracked, pipeline::body_limit(&parts), &state.body_budget).await
        {
            Ok((b, permit)) => {
                _held = Some(permit);
                pipeline::Body::Bytes(b)
            }
            Err(err) => {
                let r = pipeline::early_error(&parts, &err);
                let mut headers = r.headers;
                if !done.load(std::sync::atomic::Ordering::Acquire) {
                    headers.push(("Connection".into(), "close".into()));
                }
                return to_hyper(r.status, headers, ResponseStream::Full(Some(r.body)));
            }
        }
    };
    if admin {
        let admin_body = match &body {
            pipeline::Body::Bytes(b) => b.clone(),
            pipeline::Body::Incoming(_) => Bytes::new(),
        };
        let (method, query) = (parts.method.as_str(), parts.uri.query().unwrap_or(""));
        // Resets and imports block on the store (fsyncs, file writes).
        let answer = if crate::admin::blocks(method, path) {
            let state = Arc::clone(state);
            let (method, path, query) = (method.to_string(), path.to_string(), query.to_string());
            tokio::task::spawn_blocking(move || {
                crate::admin::handle(&state, &method, &path, &query, &admin_body)
            })
            .await
            .unwrap_or_else(|_| {
                Some(crate::admin::AdminResponse::internal(
                    "the admin task panicked",
                ))
            })
        } else {
            crate::admin::handle(state, method, path, query, &admin_body)
        };
        if let Some(r) = answer {
            return to_hyper(
                r.status,
                vec![("Content-Type".into(), r.content_type.into())],
                r.body,
            );
        }
    }
    let mut outcome = Outcome::default();
    let (r, stream) = pipeline::handle(state, &parts, body, remote, &mut outcome).await;
    let ms = format_args!("{:.3}", started.elapsed().as_secs_f64() * 1000.0);
    if r.status < 400 {
        tracing::info!(
            target: "gureum::request",
            service = %outcome.service,
            operation = %outcome.operation,
            status = r.status,
            ms,
            "{} {}",
            parts.method,
            path,
        );
    } else {
        // Failures say what was answered and to whom.
        tracing::info!(
            target: "gureum::request",
            service = %outcome.service,
            operation = %outcome.operation,
            status = r.status,
            error = %outcome.error_code.as_deref().unwrap_or("-"),
            principal = %outcome.principal.as_deref().unwrap_or("anonymous"),
            ms,
            "{} {}",
            parts.method,
            path,
        );
    }
    let body = match stream {
        Some(b) => b.into(),
        None => ResponseStream::Full(Some(r.body)),
    };
    let mut headers = r.headers;
    if read_to_end.is_some_and(|done| !done.load(std::sync::atomic::Ordering::Acquire)) {
        // The request's body is still on the wire: this connection cannot
        // carry another request.
        headers.push(("Connection".into(), "close".into()));
    }
    to_hyper(r.status, headers, body)
}

fn to_hyper(
    status: u16,
    headers: Vec<(String, String)>,
    body: ResponseStream,
) -> hyper::Response<ResponseStream> {
    let mut resp = hyper::Response::new(body);
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    for (name, value) in headers {
        let n = match known_header(&name) {
            Some(n) => n,
            None => match http::HeaderName::from_bytes(name.as_bytes()) {
                Ok(n) => n,
                Err(_) => continue,
            },
        };
        let Ok(v) = http::HeaderValue::from_str(&value) else {
            continue;
        };
        h.append(n, v);
    }
    resp
}

/// The names nearly every response carries, spelled as the models and the
/// pipeline spell them, as ready-made `HeaderName`s: parsing one (a
/// lower-casing copy, and an allocation for each `x-amz-*` name) cost
/// ~700 instructions, ten times a response.
fn known_header(name: &str) -> Option<http::HeaderName> {
    use http::header::{self, HeaderName};
    Some(match name {
        "x-amz-request-id" => HeaderName::from_static("x-amz-request-id"),
        "x-amz-id-2" => HeaderName::from_static("x-amz-id-2"),
        "ETag" => header::ETAG,
        "Last-Modified" => header::LAST_MODIFIED,
        "Content-Type" => header::CONTENT_TYPE,
        "Content-Length" => header::CONTENT_LENGTH,
        "accept-ranges" => header::ACCEPT_RANGES,
        "x-amz-server-side-encryption" => HeaderName::from_static("x-amz-server-side-encryption"),
        "x-amz-version-id" => HeaderName::from_static("x-amz-version-id"),
        "x-amz-checksum-type" => HeaderName::from_static("x-amz-checksum-type"),
        "x-amz-checksum-crc32" => HeaderName::from_static("x-amz-checksum-crc32"),
        "x-amz-checksum-crc32c" => HeaderName::from_static("x-amz-checksum-crc32c"),
        "x-amz-checksum-crc64nvme" => HeaderName::from_static("x-amz-checksum-crc64nvme"),
        "x-amz-checksum-sha1" => HeaderName::from_static("x-amz-checksum-sha1"),
        "x-amz-checksum-sha256" => HeaderName::from_static("x-amz-checksum-sha256"),
        "x-amzn-RequestId" => HeaderName::from_static("x-amzn-requestid"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_header_names_are_what_parsing_the_name_gives() {
        let names = [
            "x-amz-request-id",
            "x-amz-id-2",
            "ETag",
            "Last-Modified",
            "Content-Type",
            "Content-Length",
            "accept-ranges",
            "x-amz-server-side-encryption",
            "x-amz-version-id",
            "x-amz-checksum-type",
            "x-amz-checksum-crc32",
            "x-amz-checksum-crc32c",
            "x-amz-checksum-crc64nvme",
            "x-amz-checksum-sha1",
            "x-amz-checksum-sha256",
            "x-amzn-RequestId",
        ];
        for name in names {
            let parsed = http::HeaderName::from_bytes(name.as_bytes()).expect("valid");
            assert_eq!(known_header(name), Some(parsed), "{name}");
        }
        assert_eq!(known_header("etag"), None, "only the spellings emitted");
        let resp = to_hyper(
            200,
            vec![
                ("ETag".into(), "\"x\"".into()),
                ("x-amz-meta-Custom".into(), "v".into()),
                ("bad name".into(), "v".into()),
            ],
            ResponseStream::Full(None),
        );
        assert_eq!(resp.headers()["etag"], "\"x\"");
        assert_eq!(resp.headers()["x-amz-meta-custom"], "v");
        assert_eq!(resp.headers().len(), 2, "an invalid name is dropped");
    }
}
