//! The seam every service emits CloudWatch metrics through: SQS queue
//! depth, S3 storage, EC2 CPU, Lambda invocations, Logs metric filters.
//!
//! A service holds an `Arc<dyn MetricSink>` and calls
//! [`MetricSink::put`] with AWS's namespace, metric name and dimensions
//! (`AWS/SQS`, `ApproximateNumberOfMessagesVisible`, `QueueName`). The
//! server wires in CloudWatch; [`NoMetrics`], for a service built without
//! it (unit tests), drops them.

use gureum_core::Scope;

/// One datapoint a service emits.
#[derive(Clone, Debug, PartialEq)]
pub struct Datapoint {
    /// The namespace (`AWS/SQS`, or a user's for Logs metric filters).
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// Dimensions, name → value, in the order AWS documents them.
    pub dimensions: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// CloudWatch's unit name (`Count`, `Bytes`, `Percent`, `None`).
    pub unit: &'static str,
    /// When, epoch milliseconds on Gureum's clock.
    pub timestamp_ms: i64,
}

/// Receives the metrics services emit, in the account and region of
/// `scope`.
pub trait MetricSink: Send + Sync {
    /// Records `points`; a sink never fails the service's operation (a
    /// metric that cannot be stored is logged and dropped, as AWS's
    /// service metrics are best-effort).
    fn put(&self, scope: Scope<'_>, points: Vec<Datapoint>);
}

/// The sink while Gureum has no CloudWatch: drops every datapoint.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMetrics;

impl MetricSink for NoMetrics {
    fn put(&self, _scope: Scope<'_>, _points: Vec<Datapoint>) {}
}

/// CloudWatch's units (the model's `StandardUnit`), in the order
/// CloudWatch stores them by index: never reorder.
pub const STANDARD_UNITS: [&str; 27] = [
    "None",
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
];
