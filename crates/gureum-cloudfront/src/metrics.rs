//! The edge's CloudWatch metrics (`AWS/CloudFront`, dimensions
//! `DistributionId` and `Region=Global`, in us-east-1 as AWS keeps them):
//! `Requests`, `BytesDownloaded`, `4xxErrorRate`, `5xxErrorRate` and
//! `TotalErrorRate`, counted per request and emitted once a minute.

use crate::CloudfrontService;
use gureum_core::Scope;
use gureum_kit::metrics::{Datapoint, MetricSink};
use parking_lot::Mutex;
use std::collections::HashMap;

/// One distribution's counts since the last emission.
#[derive(Default, Clone, Copy)]
struct Counts {
    requests: u64,
    bytes: u64,
    client_errors: u64,
    server_errors: u64,
}

/// Counts by (account, distribution id).
#[derive(Default)]
pub struct EdgeMetrics {
    counts: Mutex<HashMap<(String, String), Counts>>,
}

impl CloudfrontService {
    /// Counts one viewer request answered with `status` and `bytes` of body.
    pub fn record_request(&self, account: &str, dist: &str, status: u16, bytes: usize) {
        let mut counts = self.metrics.counts.lock();
        let c = counts
            .entry((account.to_string(), dist.to_string()))
            .or_default();
        c.requests += 1;
        c.bytes += bytes as u64;
        match status {
            400..=499 => c.client_errors += 1,
            500..=599 => c.server_errors += 1,
            _ => {}
        }
    }

    /// Emits and resets the counts (the server's ticker calls this once a
    /// minute); answers how many distributions reported.
    pub fn emit_metrics(&self, sink: &dyn MetricSink, now_ms: i64) -> usize {
        let drained: Vec<_> = self.metrics.counts.lock().drain().collect();
        for ((account, dist), c) in &drained {
            let rate = |n: u64| 100.0 * n as f64 / c.requests.max(1) as f64;
            let point = |name: &str, value: f64, unit: &'static str| Datapoint {
                namespace: "AWS/CloudFront".into(),
                name: name.into(),
                dimensions: vec![
                    ("DistributionId".into(), dist.clone()),
                    ("Region".into(), "Global".into()),
                ],
                value,
                unit,
                timestamp_ms: now_ms,
            };
            sink.put(
                Scope::Region {
                    account,
                    region: "us-east-1",
                },
                vec![
                    point("Requests", c.requests as f64, "None"),
                    point("BytesDownloaded", c.bytes as f64, "None"),
                    point("4xxErrorRate", rate(c.client_errors), "Percent"),
                    point("5xxErrorRate", rate(c.server_errors), "Percent"),
                    point(
                        "TotalErrorRate",
                        rate(c.client_errors + c.server_errors),
                        "Percent",
                    ),
                ],
            );
        }
        drained.len()
    }
}

#[cfg(test)]
mod tests {
    use crate::CloudfrontService;
    use gureum_core::Scope;
    use gureum_kit::metrics::{Datapoint, MetricSink};
    use gureum_store::Store;
    use parking_lot::Mutex;

    #[derive(Default)]
    struct Sink(Mutex<Vec<(String, Datapoint)>>);

    impl MetricSink for Sink {
        fn put(&self, scope: Scope<'_>, points: Vec<Datapoint>) {
            let mut all = self.0.lock();
            for p in points {
                all.push((scope.to_string(), p));
            }
        }
    }

    #[test]
    fn requests_bytes_and_error_rates_are_emitted_per_distribution_then_reset() {
        let svc = CloudfrontService::new(Store::in_memory().expect("store"));
        svc.record_request("111122223333", "E1", 200, 100);
        svc.record_request("111122223333", "E1", 404, 10);
        svc.record_request("111122223333", "E1", 200, 0);
        svc.record_request("111122223333", "E1", 503, 0);
        let sink = Sink::default();
        assert_eq!(svc.emit_metrics(&sink, 60_000), 1);
        let got = sink.0.lock();
        let value = |n: &str| got.iter().find(|(_, p)| p.name == n).map(|(_, p)| p.value);
        assert_eq!(value("Requests"), Some(4.0));
        assert_eq!(value("BytesDownloaded"), Some(110.0));
        assert_eq!(value("4xxErrorRate"), Some(25.0));
        assert_eq!(value("TotalErrorRate"), Some(50.0));
        assert!(got[0].0.contains("us-east-1"));
        drop(got);
        assert_eq!(svc.emit_metrics(&sink, 120_000), 0, "counts reset");
    }
}
