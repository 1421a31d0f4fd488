//! Health checks: the API (create, get, list, update, delete, status) and
//! the [`Monitor`] that probes them on Gureum's clock.
//!
//! Each endpoint check is probed every `RequestInterval` seconds of
//! Gureum's clock from one checker (this host); its status turns
//! unhealthy after `FailureThreshold` consecutive failures and healthy
//! again after as many consecutive successes, as Route 53's checkers
//! count. A check starts healthy, as Route 53 treats a new one. Calculated
//! checks count their children's live states. The states live in memory,
//! and each status change is saved: after a restart DNS answers by the
//! last known status until the checks are probed again.

use crate::errors::Route53Error;
use crate::{invalid, probe, Route53Service};
use gureum_core::{AwsError, Clock, OpResult, RequestContext, Scope, Value};
use gureum_kit::metrics::Datapoint;
use gureum_store::{Store, Table};
use parking_lot::Mutex;
use serde_json::json;
use std::collections::HashMap;

/// The region Gureum's one checker reports as.
const CHECKER_REGION: &str = "us-east-1";
/// The address Gureum's one checker reports as.
const CHECKER_IP: &str = "127.0.0.1";

/// One check's live state.
#[derive(Clone, Debug)]
pub struct CheckState {
    /// What DNS routing reads.
    pub healthy: bool,
    /// Consecutive probe results against the current status.
    streak: u32,
    /// When the last probe was started, on Gureum's clock.
    last_started_ms: Option<i64>,
    /// A probe is running.
    in_flight: bool,
    /// The last observation: status text and time.
    report: Option<(String, i64)>,
}

impl Default for CheckState {
    fn default() -> Self {
        CheckState {
            healthy: true,
            streak: 0,
            last_started_ms: None,
            in_flight: false,
            report: None,
        }
    }
}

/// The health checks' live states, by id. Each status change is also
/// written to `route53.health_status` (id → healthy), so a restart
/// answers DNS by the last known status until the next probe rather than
/// by a fresh "healthy".
pub struct Monitor {
    states: Mutex<HashMap<String, CheckState>>,
    saved: Table<bool>,
}

impl Monitor {
    /// A monitor starting from the statuses saved in `store`.
    pub fn new(store: &Store) -> Monitor {
        let monitor = Monitor {
            states: Mutex::new(HashMap::new()),
            saved: store.table("route53.health_status"),
        };
        monitor.load();
        monitor
    }

    /// Reads the saved statuses into memory.
    fn load(&self) {
        let saved = self.saved.scan_prefix("").unwrap_or_else(|e| {
            tracing::warn!(target: "gureum", "route53 health status: {e}");
            Vec::new()
        });
        let mut states = self.states.lock();
        for (id, healthy) in saved {
            states.entry(id).or_default().healthy = healthy;
        }
    }

    /// Whether health check `id` is healthy now (unknown ids are).
    pub fn healthy(&self, id: &str) -> bool {
        self.states.lock().get(id).is_none_or(|s| s.healthy)
    }

    /// Forgets every state and reads the saved ones again (a reset or
    /// import replaced them).
    pub fn clear(&self) {
        self.states.lock().clear();
        self.load();
    }

    fn forget(&self, id: &str) {
        self.states.lock().remove(id);
        if let Err(e) = self.saved.delete(id) {
            tracing::warn!(target: "gureum", "route53 health status: {e}");
        }
    }

    /// Counts one probe result against the threshold.
    fn record(&self, id: &str, success: bool, threshold: u32, report: String, now_ms: i64) {
        let mut states = self.states.lock();
        let s = states.entry(id.to_string()).or_default();
        s.in_flight = false;
        s.report = Some((report, now_ms));
        if success == s.healthy {
            s.streak = 0;
            return;
        }
        s.streak += 1;
        if s.streak >= threshold.max(1) {
            // Saved before it shows, so what DNS answers is never newer
            // than what a restart would read back.
            if let Err(e) = self.saved.put(id, &success) {
                tracing::warn!(target: "gureum", "route53 health status: {e}");
            }
            s.healthy = success;
            s.streak = 0;
        }
    }
}

fn config_of(check: &Value) -> &Value {
    check.get("HealthCheckConfig").unwrap_or(&Value::Null)
}

/// Validates a config and fills Route 53's defaults.
fn complete_config(mut config: Value) -> Result<Value, AwsError> {
    let kind = config
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let endpoint = matches!(
        kind.as_str(),
        "HTTP" | "HTTPS" | "HTTP_STR_MATCH" | "HTTPS_STR_MATCH" | "TCP"
    );
    match kind.as_str() {
        "HTTPS" | "HTTPS_STR_MATCH" => {
            return Err(invalid(format!(
                "Gureum does not probe {kind} health checks yet (no TLS client): use HTTP or TCP"
            )))
        }
        "CLOUDWATCH_METRIC" | "RECOVERY_CONTROL" => {
            return Err(invalid(format!(
                "Gureum does not evaluate {kind} health checks yet"
            )))
        }
        _ => {}
    }
    if endpoint {
        if config.get("IPAddress").is_none() && config.get("FullyQualifiedDomainName").is_none() {
            return Err(invalid(
                "Invalid request: Expected exactly one of [IPAddress, FullyQualifiedDomainName], but found none.",
            ));
        }
        if kind.ends_with("STR_MATCH") && config.get("SearchString").is_none() {
            return Err(invalid(format!(
                "SearchString is required when the health check type is {kind}."
            )));
        }
        if kind == "TCP" && config.get("ResourcePath").is_some() {
            return Err(invalid(
                "ResourcePath is not allowed for health checks of type TCP.",
            ));
        }
        if config.get("Port").is_none() {
            config["Port"] = json!(if kind.starts_with("HTTPS") { 443 } else { 80 });
        }
        if let Some(r) = config.get("RequestInterval").and_then(Value::as_i64) {
            if r != 10 && r != 30 {
                return Err(invalid("RequestInterval must be 10 or 30."));
            }
        } else {
            config["RequestInterval"] = json!(30);
        }
        if config.get("FailureThreshold").is_none() {
            config["FailureThreshold"] = json!(3);
        }
        if config.get("MeasureLatency").is_none() {
            config["MeasureLatency"] = json!(false);
        }
        if config.get("EnableSNI").is_none() {
            config["EnableSNI"] = json!(false);
        }
    } else if kind == "CALCULATED" {
        if config.get("HealthThreshold").is_none() {
            config["HealthThreshold"] = json!(0);
        }
        if config.get("ChildHealthChecks").is_none() {
            config["ChildHealthChecks"] = json!([]);
        }
    }
    for flag in ["Inverted", "Disabled"] {
        if config.get(flag).is_none() {
            config[flag] = json!(false);
        }
    }
    Ok(config)
}

impl Route53Service {
    fn check(&self, ctx: &RequestContext, id: &str) -> Result<Value, AwsError> {
        self.health_checks
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| Route53Error::NoSuchHealthCheck { id: id.to_string() }.into())
    }

    /// `CreateHealthCheck`: the same caller reference with the same
    /// config answers the existing check; with another config it fails.
    pub(crate) fn create_health_check(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let reference = input
            .get("CallerReference")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let config = complete_config(input.get("HealthCheckConfig").cloned().unwrap_or(json!({})))?;
        self.store.write(|txn| -> Result<Value, AwsError> {
            let ref_key = format!("{}/{reference}", ctx.account_id);
            if let Some(id) = txn.get(&self.health_refs, &ref_key)? {
                if let Some(existing) =
                    txn.get(&self.health_checks, &format!("{}/{id}", ctx.account_id))?
                {
                    if config_of(&existing) == &config {
                        return Ok(json!({
                            "HealthCheck": existing,
                            "Location": format!("https://route53.amazonaws.com/2013-04-01/healthcheck/{id}"),
                        }));
                    }
                }
                return Err(Route53Error::HealthCheckAlreadyExists { reference: reference.clone() }.into());
            }
            let id = gureum_core::id::uuid_v4();
            let check = json!({
                "Id": id,
                "CallerReference": reference,
                "HealthCheckConfig": config,
                "HealthCheckVersion": 1,
            });
            txn.put(&self.health_checks, &format!("{}/{id}", ctx.account_id), &check)?;
            txn.put(&self.health_refs, &ref_key, &id)?;
            Ok(json!({
                "HealthCheck": check,
                "Location": format!("https://route53.amazonaws.com/2013-04-01/healthcheck/{id}"),
            }))
        })
    }

    /// `GetHealthCheck`.
    pub(crate) fn get_health_check(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = input
            .get("HealthCheckId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Ok(json!({ "HealthCheck": self.check(ctx, id)? }))
    }

    /// `ListHealthChecks`: by id, `Marker` the first of the page.
    pub(crate) fn list_health_checks(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let max_items = crate::zones::max_items(&input, 1000)?;
        let marker = input.get("Marker").and_then(Value::as_str);
        let all: Vec<Value> = self
            .health_checks
            .scan_prefix(&format!("{}/", ctx.account_id))?
            .into_iter()
            .map(|(_, v)| v)
            .filter(|v| marker.is_none_or(|m| v["Id"].as_str().unwrap_or_default() >= m))
            .take(max_items + 1)
            .collect();
        let truncated = all.len() > max_items;
        let mut out = json!({
            "HealthChecks": all.iter().take(max_items).collect::<Vec<_>>(),
            "Marker": marker.unwrap_or_default(),
            "IsTruncated": truncated,
            "MaxItems": max_items.to_string(),
        });
        if truncated {
            out["NextMarker"] = all[max_items]["Id"].clone();
        }
        Ok(out)
    }

    /// `GetHealthCheckCount`.
    pub(crate) fn get_health_check_count(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let n = self
            .health_checks
            .scan_prefix(&format!("{}/", ctx.account_id))?
            .len();
        Ok(json!({ "HealthCheckCount": n }))
    }

    /// `DeleteHealthCheck`: not while a record set or a calculated check
    /// uses it.
    pub(crate) fn delete_health_check(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = input
            .get("HealthCheckId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.store.write(|txn| -> Result<(), AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            if txn.get(&self.health_checks, &key)?.is_none() {
                return Err(Route53Error::NoSuchHealthCheck { id: id.clone() }.into());
            }
            let prefix = format!("{}/", ctx.account_id);
            let used_by_record = txn
                .scan_prefix(&self.records, &prefix)?
                .iter()
                .any(|(_, v)| v.get("HealthCheckId").and_then(Value::as_str) == Some(id.as_str()));
            let used_by_parent =
                txn.scan_prefix(&self.health_checks, &prefix)?
                    .iter()
                    .any(|(_, v)| {
                        config_of(v)
                            .get("ChildHealthChecks")
                            .and_then(Value::as_array)
                            .is_some_and(|c| c.iter().any(|c| c.as_str() == Some(id.as_str())))
                    });
            if used_by_record || used_by_parent {
                return Err(Route53Error::HealthCheckInUse { id: id.clone() }.into());
            }
            txn.delete(&self.health_checks, &key)?;
            txn.delete(&self.tags, &format!("{}/healthcheck/{id}", ctx.account_id))?;
            Ok(())
        })?;
        self.monitor.forget(&id);
        self.dns.invalidate();
        Ok(json!({}))
    }

    /// `UpdateHealthCheck`: the given members replace the config's, the
    /// version goes up; `HealthCheckVersion`, when given, must be current.
    pub(crate) fn update_health_check(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = input
            .get("HealthCheckId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let out = self.store.write(|txn| -> Result<Value, AwsError> {
            let key = format!("{}/{id}", ctx.account_id);
            let mut check = txn.get(&self.health_checks, &key)?.ok_or_else(|| {
                AwsError::from(Route53Error::NoSuchHealthCheck { id: id.clone() })
            })?;
            let version = check["HealthCheckVersion"].as_i64().unwrap_or(1);
            if let Some(v) = input.get("HealthCheckVersion").and_then(Value::as_i64) {
                if v != version {
                    return Err(Route53Error::HealthCheckVersionMismatch.into());
                }
            }
            let mut config = config_of(&check).clone();
            for member in [
                "IPAddress",
                "Port",
                "ResourcePath",
                "FullyQualifiedDomainName",
                "SearchString",
                "FailureThreshold",
                "Inverted",
                "Disabled",
                "HealthThreshold",
                "ChildHealthChecks",
                "EnableSNI",
                "Regions",
                "AlarmIdentifier",
                "InsufficientDataHealthStatus",
            ] {
                if let Some(v) = input.get(member) {
                    config[member] = v.clone();
                }
            }
            if let Some(Value::Array(reset)) = input.get("ResetElements") {
                if let Some(obj) = config.as_object_mut() {
                    for r in reset.iter().filter_map(Value::as_str) {
                        obj.remove(r);
                    }
                }
            }
            check["HealthCheckConfig"] = complete_config(config)?;
            check["HealthCheckVersion"] = json!(version + 1);
            txn.put(&self.health_checks, &key, &check)?;
            Ok(json!({ "HealthCheck": check }))
        })?;
        Ok(out)
    }

    /// `GetHealthCheckStatus`: the checker's last observation (none before
    /// the first probe).
    pub(crate) fn get_health_check_status(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = input
            .get("HealthCheckId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.check(ctx, id)?;
        let report = self
            .monitor
            .states
            .lock()
            .get(id)
            .and_then(|s| s.report.clone());
        let observations: Vec<Value> = report
            .into_iter()
            .map(|(status, at)| {
                json!({
                    "Region": CHECKER_REGION,
                    "IPAddress": CHECKER_IP,
                    "StatusReport": {"Status": status, "CheckedTime": at as f64 / 1000.0},
                })
            })
            .collect();
        Ok(json!({ "HealthCheckObservations": observations }))
    }
}

/// Emits each probed check's status to CloudWatch as Route 53 does
/// (`AWS/Route53` in us-east-1, by `HealthCheckId`), once a minute.
fn emit_metrics(svc: &Route53Service, checks: &[(String, Value)], now: i64) {
    let minute = now.div_euclid(60_000);
    if svc
        .metrics_minute
        .swap(minute, std::sync::atomic::Ordering::Relaxed)
        == minute
    {
        return;
    }
    let states = svc.monitor.states.lock().clone();
    for (key, check) in checks {
        let Some(account) = key.split('/').next() else {
            continue;
        };
        let id = check["Id"].as_str().unwrap_or_default();
        let Some(state) = states.get(id).filter(|s| s.report.is_some()) else {
            continue;
        };
        let healthy = if state.healthy { 1.0 } else { 0.0 };
        let point = |name: &str, value: f64, unit: &'static str| Datapoint {
            namespace: "AWS/Route53".into(),
            name: name.into(),
            dimensions: vec![("HealthCheckId".into(), id.to_string())],
            value,
            unit,
            timestamp_ms: now,
        };
        svc.metrics.put(
            Scope::Region {
                account,
                region: CHECKER_REGION,
            },
            vec![
                point("HealthCheckStatus", healthy, "None"),
                point("HealthCheckPercentageHealthy", healthy * 100.0, "Percent"),
            ],
        );
    }
}

/// Starts the probes that are due and evaluates calculated checks.
pub(crate) fn run_due(svc: &Route53Service, clock: &Clock) {
    let checks = match svc.health_checks.scan_prefix("") {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(target: "gureum", "route53 health checks: {e}");
            return;
        }
    };
    let now = clock.now_millis();
    emit_metrics(svc, &checks, now);
    for (_, check) in &checks {
        let id = check["Id"].as_str().unwrap_or_default().to_string();
        let config = config_of(check).clone();
        let kind = config["Type"].as_str().unwrap_or_default();
        let disabled = config["Disabled"].as_bool().unwrap_or(false);
        let inverted = config["Inverted"].as_bool().unwrap_or(false);
        if disabled {
            // A disabled check is considered healthy (Route 53's rule).
            let mut states = svc.monitor.states.lock();
            states.entry(id).or_default().healthy = true;
            continue;
        }
        if kind == "CALCULATED" {
            let children: Vec<String> = config["ChildHealthChecks"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let healthy_children = children.iter().filter(|c| svc.monitor.healthy(c)).count();
            let threshold = config["HealthThreshold"].as_u64().unwrap_or(0) as usize;
            let ok = (healthy_children >= threshold) != inverted;
            let report = format!(
                "{healthy_children} of {} child health checks are healthy",
                children.len()
            );
            let mut states = svc.monitor.states.lock();
            let s = states.entry(id).or_default();
            s.healthy = ok;
            s.report = Some((report, now));
            continue;
        }
        let interval_ms = config["RequestInterval"].as_i64().unwrap_or(30) * 1000;
        {
            let mut states = svc.monitor.states.lock();
            let s = states.entry(id.clone()).or_default();
            let due = s
                .last_started_ms
                .is_none_or(|t| now - t >= interval_ms || now < t);
            if s.in_flight || !due {
                continue;
            }
            s.in_flight = true;
            s.last_started_ms = Some(now);
        }
        let monitor = svc.monitor.clone();
        let clock = clock.clone();
        let threshold = config["FailureThreshold"].as_u64().unwrap_or(3) as u32;
        let spawned = std::thread::Builder::new()
            .name("route53-probe".into())
            .spawn(move || {
                let (ok, report) = probe::run(&config);
                // DNS answers read the monitor on every query: nothing
                // else to tell when the status flips.
                monitor.record(&id, ok != inverted, threshold, report, clock.now_millis());
            });
        if spawned.is_err() {
            if let Some(s) = svc
                .monitor
                .states
                .lock()
                .get_mut(check["Id"].as_str().unwrap_or_default())
            {
                s.in_flight = false;
            }
        }
    }
}
