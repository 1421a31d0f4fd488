//! SQS's CloudWatch metrics: each queue's depth, emitted through the
//! [`MetricSink`] seam with AWS's namespace, names and dimension
//! (`AWS/SQS`, `ApproximateNumberOfMessagesVisible`,
//! `ApproximateNumberOfMessagesNotVisible`,
//! `ApproximateNumberOfMessagesDelayed`, `QueueName`). The server calls
//! [`SqsService::emit_metrics`] once a minute of Gureum's clock.

use crate::SqsService;
use gureum_core::{AwsError, Scope};
use gureum_kit::metrics::{Datapoint, MetricSink};

impl SqsService {
    /// Emits every queue's depth at `now_ms` to `sink`; returns how many
    /// queues it reported.
    pub fn emit_metrics(&self, sink: &dyn MetricSink, now_ms: i64) -> Result<usize, AwsError> {
        let mut reported = 0;
        for (key, q) in self.queues.scan_prefix("")? {
            let mut parts = key.splitn(3, '/');
            let (Some(account), Some(region)) = (parts.next(), parts.next()) else {
                continue;
            };
            let retention_ms = q
                .attributes
                .get("MessageRetentionPeriod")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(345_600)
                * 1000;
            let counts = self
                .index_of(&key)?
                .state
                .lock()
                .counts(now_ms, now_ms - retention_ms);
            let point = |name: &str, value: u64| Datapoint {
                namespace: "AWS/SQS".into(),
                name: name.into(),
                dimensions: vec![("QueueName".into(), q.name.clone())],
                value: value as f64,
                unit: "Count",
                timestamp_ms: now_ms,
            };
            sink.put(
                Scope::Region { account, region },
                vec![
                    point("ApproximateNumberOfMessagesVisible", counts.visible),
                    point("ApproximateNumberOfMessagesNotVisible", counts.in_flight),
                    point("ApproximateNumberOfMessagesDelayed", counts.delayed),
                ],
            );
            reported += 1;
        }
        Ok(reported)
    }
}
