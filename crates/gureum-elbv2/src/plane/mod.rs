//! The data plane: each listener of an active load balancer listens on a
//! loopback port (OS-chosen the first time, the same one after a restart
//! when free); application listeners proxy HTTP/1.1 by their rules
//! ([`http`]), network ones forward TCP ([`tcp`]); every target group in
//! use is health-checked ([`health`]); counters become CloudWatch metrics
//! each minute ([`metrics`]). [`sync`] rebuilds what runs from the store.

pub mod balance;
pub mod by_host;
pub mod h2_targets;
pub mod health;
pub mod http;
pub mod lambda;
pub mod metrics;
pub mod pages;
mod pool;
pub mod rules;
pub mod splice;
pub mod sticky;
pub mod sync;
pub mod tcp;
pub mod tls;
pub mod upgrade;

use crate::records::HealthCheck;
use gureum_core::Clock;
use gureum_kit::metrics::MetricSink;
use health::{Failure, Health, Record};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

/// A listener the data plane serves: where to reach it.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// The load balancer's DNS name.
    pub dns_name: String,
    /// The listener's port (as AWS shows it, `80`).
    pub port: i64,
    /// Where it listens on this host.
    pub address: SocketAddr,
    /// The listener's protocol.
    pub protocol: String,
    /// The load balancer's ARN.
    pub load_balancer_arn: String,
}

/// A target within a group: `(id, port)`.
pub type TargetKey = (String, Option<i64>);

/// A target as the data plane reaches it.
#[derive(Clone, Debug)]
pub struct TargetView {
    /// Its id and port.
    pub key: TargetKey,
    /// Where traffic goes (`None`: no address known, or a function).
    pub addr: Option<SocketAddr>,
    /// Where health checks go.
    pub health_addr: Option<SocketAddr>,
    /// Requests in flight (least outstanding requests).
    pub in_flight: Arc<AtomicUsize>,
    /// What its stickiness cookies hold (opaque, stable across restarts).
    pub token: String,
}

/// A target group as the data plane sees it.
#[derive(Clone, Debug)]
pub struct GroupView {
    /// Its ARN.
    pub arn: String,
    /// `targetgroup/NAME/ID`.
    pub dimension: String,
    /// `instance`, `ip`, `lambda`.
    pub target_type: String,
    /// Health check settings.
    pub health: HealthCheck,
    /// Registered targets that take traffic (not draining).
    pub targets: Vec<TargetView>,
    /// `load_balancing.algorithm.type`.
    pub algorithm: balance::Algorithm,
    /// `slow_start.duration_seconds` in ms (0: off).
    pub slow_start_ms: i64,
    /// Sticky sessions, when enabled.
    pub stickiness: Option<sticky::Stickiness>,
    /// `ProtocolVersion` `HTTP2` or `GRPC`: targets get HTTP/2.
    pub http2_targets: bool,
    /// Lambda targets get multi-value headers.
    pub multi_value_headers: bool,
    /// The load balancer it serves (`app/NAME/ID`), for its metrics.
    pub load_balancer: Option<String>,
    /// The owner's account and region, for its metrics.
    pub scope: (String, String),
}

/// A target group's live state: its view, its targets' health, its
/// connections.
pub struct GroupRuntime {
    view: RwLock<Arc<GroupView>>,
    records: Mutex<HashMap<TargetKey, Record>>,
    in_flight: Mutex<HashMap<TargetKey, Arc<AtomicUsize>>>,
    next: AtomicUsize,
    checker: Mutex<Option<tokio::task::AbortHandle>>,
    clock: Clock,
    /// Idle connections to targets.
    pub(crate) pool: pool::Pool,
}

impl GroupRuntime {
    fn new(view: GroupView, clock: Clock) -> Self {
        GroupRuntime {
            clock,
            view: RwLock::new(Arc::new(view)),
            records: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            next: AtomicUsize::new(0),
            checker: Mutex::new(None),
            pool: pool::Pool::default(),
        }
    }

    /// The current view.
    pub fn view(&self) -> Arc<GroupView> {
        self.view.read().clone()
    }

    fn counter(&self, key: &TargetKey) -> Arc<AtomicUsize> {
        self.in_flight
            .lock()
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// Records one probe's result.
    pub fn observe(&self, key: &TargetKey, result: Result<(), Failure>) {
        let view = self.view();
        if !view.targets.iter().any(|t| &t.key == key) {
            return;
        }
        let mut records = self.records.lock();
        let record = records.entry(key.clone()).or_default();
        let was_healthy = record.health == Health::Healthy;
        record.observe(
            result,
            view.health.healthy_threshold,
            view.health.unhealthy_threshold,
        );
        match (was_healthy, record.health == Health::Healthy) {
            (false, true) if view.slow_start_ms > 0 => {
                // Slow start only ramps a newcomer beside a target already
                // at its full share (AWS: not the first, nor all at once).
                let now = self.clock.now_millis();
                let beside_full = records.iter().any(|(k, r)| {
                    k != key
                        && r.health == Health::Healthy
                        && view.targets.iter().any(|t| &t.key == k)
                        && !balance::ramping(r.slow_start_from, view.slow_start_ms, now)
                });
                if let Some(r) = records.get_mut(key) {
                    r.slow_start_from = beside_full.then_some(now);
                }
            }
            (true, false) => record.slow_start_from = None,
            _ => {}
        }
    }

    /// A target's health (`None` before any probe).
    pub fn health(&self, key: &TargetKey) -> Option<Health> {
        self.records.lock().get(key).map(|r| r.health.clone())
    }

    /// The targets that may take a request now, as indices into the
    /// view's targets with their slow start weights (1.0 at full share):
    /// healthy ones; when none is healthy, all of them (AWS fails open).
    fn candidates(&self, view: &GroupView) -> Vec<(usize, f64)> {
        let all = || (0..view.targets.len()).map(|i| (i, 1.0)).collect();
        if !view.health.enabled {
            return all();
        }
        let now = self.clock.now_millis();
        let records = self.records.lock();
        let healthy: Vec<(usize, f64)> = view
            .targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let r = records.get(&t.key)?;
                (r.health == Health::Healthy).then(|| {
                    (
                        i,
                        balance::weight(r.slow_start_from, view.slow_start_ms, now),
                    )
                })
            })
            .collect();
        if healthy.is_empty() {
            all()
        } else {
            healthy
        }
    }

    /// The next target for a request by the group's algorithm; `None`
    /// when the group has no targets.
    pub fn pick(&self) -> Option<TargetView> {
        let view = self.view();
        if view.targets.is_empty() {
            return None;
        }
        let candidates = self.candidates(&view);
        balance::choose(&view.targets, &candidates, view.algorithm, &self.next).cloned()
    }

    /// The target a stickiness cookie names, when it may still take
    /// requests.
    pub fn pinned(&self, token: &str) -> Option<TargetView> {
        let view = self.view();
        self.candidates(&view)
            .into_iter()
            .map(|(i, _)| &view.targets[i])
            .find(|t| t.token == token)
            .cloned()
    }

    /// `(healthy, unhealthy)` counts for the metrics.
    pub fn host_counts(&self) -> (usize, usize) {
        let view = self.view();
        let records = self.records.lock();
        let healthy = view
            .targets
            .iter()
            .filter(|t| {
                records
                    .get(&t.key)
                    .is_some_and(|r| r.health == Health::Healthy)
            })
            .count();
        let unhealthy = view
            .targets
            .iter()
            .filter(|t| {
                records
                    .get(&t.key)
                    .is_some_and(|r| matches!(r.health, Health::Unhealthy(_)))
            })
            .count();
        (healthy, unhealthy)
    }

    fn stop_checks(&self) {
        if let Some(h) = self.checker.lock().take() {
            h.abort();
        }
    }
}

/// What a listener does, rebuilt on every sync.
pub struct ListenerView {
    /// The listener's port as AWS shows it.
    pub port: i64,
    /// Rules by priority, the default last (no conditions).
    pub rules: Vec<RuleView>,
    /// `app/NAME/ID`.
    pub load_balancer: String,
    /// The owner's account and region.
    pub scope: (String, String),
    /// The idle timeout (waiting on a target).
    pub idle_timeout: std::time::Duration,
    /// HTTPS and TLS listeners: the TLS they terminate.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// One rule: conditions (all must match) and its action.
pub struct RuleView {
    /// The conditions.
    pub conditions: Vec<rules::Condition>,
    /// What happens.
    pub action: ActionView,
}

/// A rule's terminal action.
pub enum ActionView {
    /// Forward to target groups by weight.
    Forward(Vec<(Arc<GroupRuntime>, u32)>),
    /// Redirect with the config's `#{…}` parts.
    Redirect(serde_json::Value),
    /// A fixed response.
    Fixed {
        /// The status.
        status: u16,
        /// `Content-Type`.
        content_type: Option<String>,
        /// The body.
        body: String,
    },
}

struct RunningListener {
    endpoint: Endpoint,
    view: Arc<RwLock<Arc<ListenerView>>>,
    task: tokio::task::AbortHandle,
}

impl Drop for RunningListener {
    fn drop(&mut self) {
        // Aborting the accept loop drops the socket: the port closes.
        self.task.abort();
    }
}

/// Everything that runs.
pub struct Plane {
    functions: Arc<dyn crate::seams::Functions>,
    sink: Arc<dyn MetricSink>,
    clock: Clock,
    sync_lock: Mutex<()>,
    groups: Mutex<HashMap<String, Arc<GroupRuntime>>>,
    listeners: Mutex<HashMap<String, RunningListener>>,
    /// Request counters since the last emission.
    pub(crate) counters: metrics::Counters,
    /// Secure listeners' TLS configurations.
    pub(crate) tls: tls::TlsConfigs,
    metrics_minute: AtomicI64,
}

impl Plane {
    /// A plane with nothing running.
    pub fn new(
        functions: Arc<dyn crate::seams::Functions>,
        sink: Arc<dyn MetricSink>,
        clock: Clock,
    ) -> Self {
        Plane {
            functions,
            sink,
            metrics_minute: AtomicI64::new(clock.now_millis().div_euclid(60_000)),
            clock,
            sync_lock: Mutex::new(()),
            groups: Mutex::new(HashMap::new()),
            listeners: Mutex::new(HashMap::new()),
            counters: metrics::Counters::default(),
            tls: tls::TlsConfigs::default(),
        }
    }

    /// A target's health as probed.
    pub fn health(&self, group_arn: &str, id: &str, port: Option<i64>) -> Option<Health> {
        let group = self.groups.lock().get(group_arn).cloned()?;
        group.health(&(id.to_string(), port))
    }

    /// Whether the load balancer `dimension` (`app/NAME/ID`) has a target
    /// that takes traffic: a healthy one, or any registered one in a group
    /// whose health checks are off. Route 53's `EvaluateTargetHealth`
    /// reads it, as AWS fails an alias over when no target is healthy.
    pub fn has_healthy_target(&self, dimension: &str) -> bool {
        let groups: Vec<Arc<GroupRuntime>> = self.groups.lock().values().cloned().collect();
        groups.iter().any(|g| {
            let view = g.view();
            if view.load_balancer.as_deref() != Some(dimension) {
                return false;
            }
            if !view.health.enabled {
                return !view.targets.is_empty();
            }
            g.host_counts().0 > 0
        })
    }

    /// The listeners serving now.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = self
            .listeners
            .lock()
            .values()
            .map(|l| l.endpoint.clone())
            .collect();
        out.sort_by(|a, b| (&a.dns_name, a.port).cmp(&(&b.dns_name, b.port)));
        out
    }

    /// Closes every listener and stops every check.
    pub fn shutdown(&self) {
        self.listeners.lock().clear();
        for (_, g) in self.groups.lock().drain() {
            g.stop_checks();
        }
    }

    /// Emits the last minute's metrics once Gureum's clock entered a new
    /// minute.
    pub fn emit_metrics_if_due(&self) {
        let now = self.clock.now_millis();
        let minute = now.div_euclid(60_000);
        if self.metrics_minute.swap(minute, Ordering::Relaxed) != minute {
            let groups: Vec<Arc<GroupRuntime>> = self.groups.lock().values().cloned().collect();
            metrics::emit(self, &groups, now);
        }
    }
}
