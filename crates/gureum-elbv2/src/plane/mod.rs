//! The data plane: each listener of an active load balancer listens on a
//! loopback port (OS-chosen the first time, the same one after a restart
//! when free); application listeners proxy HTTP/1.1 by their rules
//! ([`http`]), network ones forward TCP ([`tcp`]); every target group in
//! use is health-checked ([`health`]); counters become CloudWatch metrics
//! each minute ([`metrics`]). [`sync`] rebuilds what runs from the store.

pub mod by_host;
pub mod health;
pub mod http;
pub mod lambda;
pub mod metrics;
pub mod pages;
mod pool;
pub mod rules;
pub mod sync;
pub mod tcp;
pub mod tls;

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
    /// `least_outstanding_requests` rather than round robin.
    pub least_outstanding: bool,
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
    /// Idle connections to targets.
    pub(crate) pool: pool::Pool,
}

impl GroupRuntime {
    fn new(view: GroupView) -> Self {
        GroupRuntime {
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
        self.records.lock().entry(key.clone()).or_default().observe(
            result,
            view.health.healthy_threshold,
            view.health.unhealthy_threshold,
        );
    }

    /// A target's health (`None` before any probe).
    pub fn health(&self, key: &TargetKey) -> Option<Health> {
        self.records.lock().get(key).map(|r| r.health.clone())
    }

    /// The next target for a request: healthy ones by the group's
    /// algorithm; when none is healthy, all of them (AWS fails open);
    /// `None` when the group has no targets.
    pub fn pick(&self) -> Option<TargetView> {
        let view = self.view();
        if view.targets.is_empty() {
            return None;
        }
        let healthy: Vec<&TargetView> = if !view.health.enabled {
            view.targets.iter().collect()
        } else {
            let records = self.records.lock();
            view.targets
                .iter()
                .filter(|t| {
                    records
                        .get(&t.key)
                        .is_some_and(|r| r.health == Health::Healthy)
                })
                .collect()
        };
        let candidates: Vec<&TargetView> = if healthy.is_empty() {
            view.targets.iter().collect()
        } else {
            healthy
        };
        let chosen = if view.least_outstanding {
            let start = self.next.fetch_add(1, Ordering::Relaxed);
            (0..candidates.len())
                .map(|i| candidates[(start + i) % candidates.len()])
                .min_by_key(|t| t.in_flight.load(Ordering::Relaxed))
        } else {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            candidates.get(n % candidates.len()).copied()
        };
        chosen.cloned()
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
