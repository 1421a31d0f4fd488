//! The load balancers' CloudWatch metrics, through the kit's
//! [`gureum_kit::metrics::MetricSink`]: per minute, `RequestCount`,
//! `HTTPCode_Target_2XX_Count` (and 3XX–5XX), `HTTPCode_ELB_5XX_Count`,
//! `TargetResponseTime` (the minute's mean) by `LoadBalancer`, and
//! `HealthyHostCount`/`UnHealthyHostCount` by `TargetGroup` and
//! `LoadBalancer`, in `AWS/ApplicationELB` or `AWS/NetworkELB`.

use super::{GroupRuntime, Plane};
use gureum_core::Scope;
use gureum_kit::metrics::Datapoint;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// One load balancer's counts for the minute.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Requests (or new flows for a network load balancer).
    pub requests: u64,
    /// Target answers by class (2xx … 5xx at 0 … 3).
    pub target_codes: [u64; 4],
    /// 5xx the load balancer answered itself.
    pub elb_5xx: u64,
    /// Sum of target response times, seconds.
    pub response_time_sum: f64,
    /// Responses timed.
    pub response_time_count: u64,
}

/// Counts by `LoadBalancer` dimension (its id makes it unique), with the
/// owner's account and region.
#[derive(Default)]
pub struct Counters {
    by_lb: Mutex<HashMap<String, (String, String, Counts)>>,
}

impl Counters {
    /// Applies `f` to a load balancer's counts (allocating only for the
    /// minute's first request: this runs on every proxied request).
    pub fn update(&self, scope: &(String, String), lb: &str, f: impl FnOnce(&mut Counts)) {
        let mut map = self.by_lb.lock();
        match map.get_mut(lb) {
            Some((_, _, counts)) => f(counts),
            None => {
                let mut counts = Counts::default();
                f(&mut counts);
                map.insert(lb.to_string(), (scope.0.clone(), scope.1.clone(), counts));
            }
        }
    }

    fn take(&self) -> HashMap<String, (String, String, Counts)> {
        std::mem::take(&mut *self.by_lb.lock())
    }
}

fn namespace(lb: &str) -> &'static str {
    if lb.starts_with("net/") {
        "AWS/NetworkELB"
    } else {
        "AWS/ApplicationELB"
    }
}

/// Emits the counts gathered since the last call and the host counts.
pub fn emit(plane: &Plane, groups: &[Arc<GroupRuntime>], now_ms: i64) {
    for (lb, (account, region, c)) in plane.counters.take() {
        let ns = namespace(&lb);
        let point = |name: &str, value: f64, unit: &'static str| Datapoint {
            namespace: ns.into(),
            name: name.into(),
            dimensions: vec![("LoadBalancer".into(), lb.clone())],
            value,
            unit,
            timestamp_ms: now_ms,
        };
        let mut points = Vec::new();
        if ns == "AWS/NetworkELB" {
            points.push(point("NewFlowCount", c.requests as f64, "Count"));
        } else {
            points.push(point("RequestCount", c.requests as f64, "Count"));
            for (i, class) in ["2XX", "3XX", "4XX", "5XX"].iter().enumerate() {
                if c.target_codes[i] > 0 {
                    points.push(point(
                        &format!("HTTPCode_Target_{class}_Count"),
                        c.target_codes[i] as f64,
                        "Count",
                    ));
                }
            }
            if c.elb_5xx > 0 {
                points.push(point("HTTPCode_ELB_5XX_Count", c.elb_5xx as f64, "Count"));
            }
            if c.response_time_count > 0 {
                points.push(point(
                    "TargetResponseTime",
                    c.response_time_sum / c.response_time_count as f64,
                    "Seconds",
                ));
            }
        }
        plane.sink.put(
            Scope::Region {
                account: &account,
                region: &region,
            },
            points,
        );
    }
    for g in groups {
        let view = g.view();
        let Some(lb) = &view.load_balancer else {
            continue;
        };
        if view.target_type == "lambda" {
            continue;
        }
        let (healthy, unhealthy) = g.host_counts();
        let point = |name: &str, value: usize| Datapoint {
            namespace: namespace(lb).into(),
            name: name.into(),
            dimensions: vec![
                ("TargetGroup".into(), view.dimension.clone()),
                ("LoadBalancer".into(), lb.clone()),
            ],
            value: value as f64,
            unit: "Count",
            timestamp_ms: now_ms,
        };
        plane.sink.put(
            Scope::Region {
                account: &view.scope.0,
                region: &view.scope.1,
            },
            vec![
                point("HealthyHostCount", healthy),
                point("UnHealthyHostCount", unhealthy),
            ],
        );
    }
}
