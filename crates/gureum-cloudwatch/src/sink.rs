//! CloudWatch as the [`MetricSink`] other services emit their metrics
//! through (SQS queue depth, S3 storage, EC2 CPU, Logs metric filters).

use crate::store::{unit_index, Point, Sample};
use crate::CloudWatchService;
use gureum_core::Scope;
use gureum_kit::metrics::{Datapoint, MetricSink};

impl MetricSink for CloudWatchService {
    fn put(&self, scope: Scope<'_>, points: Vec<Datapoint>) {
        let batch = points
            .into_iter()
            .map(|d| {
                let id = crate::store::MetricId::new(&d.namespace, &d.name, d.dimensions);
                let point = Point {
                    ts_ms: d.timestamp_ms,
                    unit: unit_index(d.unit).unwrap_or(0),
                    high_res: false,
                    sample: Sample::One(d.value),
                };
                (id, point)
            })
            .collect::<Vec<_>>();
        let now = batch.iter().map(|(_, p)| p.ts_ms).max().unwrap_or(0);
        if let Err(e) = crate::metrics::store_points(self, scope, batch, now) {
            tracing::warn!(target: "gureum", "cloudwatch service metrics: {}", e.message);
        }
    }
}
