//! Amazon CloudWatch (smithy-rpc-v2-cbor, json 1.0 and query; regional):
//! metrics, metric math, alarms evaluated on Gureum's clock, composite
//! alarms, dashboards, tags and metric widget images.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `cloudwatch.metrics`: `account/region/namespace␟name␟dims` → a
//!   [`store::MetricRecord`] (what `ListMetrics` lists);
//! - `cloudwatch.points`: `account/region/series/hour` → the hour's points,
//!   binary ([`store`]);
//! - `cloudwatch.alarms`: `account/region/name` → an [`Alarm`] (metric and
//!   composite);
//! - `cloudwatch.history`: `account/region/time-seq` → a [`HistoryItem`];
//! - `cloudwatch.dashboards`: `account/name` (dashboards are global) → a
//!   [`Dashboard`];
//! - `cloudwatch.anomaly_detectors`: `account/region/<metric or math key>`
//!   → an [`anomaly::Detector`], whose excluded ranges the band leaves out;
//! - `cloudwatch.actions`: `time-seq` → an [`actions::ActionRecord`] (the
//!   default action seam's record, `GET /_gureum/cloudwatch/actions`).
//!
//! Layout: [`errors`]; [`store`] (series layout and point codec), [`stats`]
//! (statistics, percentiles, retention), [`math`] (metric math),
//! [`search`] (`SEARCH` expressions),
//! `metrics.rs` (`PutMetricData`, `ListMetrics`, `GetMetricStatistics`),
//! `query.rs` (`GetMetricData`), `insights.rs` (Metrics Insights SQL), `alarms.rs` (alarm operations),
//! `evaluate.rs` (the engine on the clock), [`composite`] (rule language),
//! [`actions`] (the seam alarm actions leave through), `dashboards.rs`,
//! `tags.rs`, `widget.rs` (`GetMetricWidgetImage`'s PNG), `sink.rs` (the [`gureum_kit::metrics::MetricSink`] other
//! services emit through).

pub mod actions;
pub mod anomaly;
pub mod composite;
pub mod errors;
mod insights;
pub mod math;
pub mod search;
pub mod stats;
pub mod store;

mod alarms;
mod dashboards;
mod evaluate;
mod metrics;
mod query;
mod sink;
mod tags;
mod widget;

pub use actions::{ActionRecord, AlarmActions, AlarmNotice, RecordingActions};
pub use errors::CloudWatchError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_kit::service_events::{NoServiceEvents, ServiceEvents};
use gureum_store::{Store, Table};
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::Arc;

/// A stored alarm, metric or composite.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Alarm {
    /// Its name, unique in the region.
    pub name: String,
    /// Whether it is a composite alarm.
    pub composite: bool,
    /// The `PutMetricAlarm`/`PutCompositeAlarm` members as given (less
    /// `Tags`), reported back by `DescribeAlarms`.
    pub config: Value,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    /// `StateReason`.
    pub reason: String,
    /// `StateReasonData` (JSON text).
    #[serde(default)]
    pub reason_data: Option<String>,
    /// When the state was last updated, epoch milliseconds.
    pub state_updated_ms: i64,
    /// When the state last changed value, epoch milliseconds.
    pub transitioned_ms: i64,
    /// When the configuration last changed, epoch milliseconds.
    pub config_updated_ms: i64,
    /// Its tags, in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

impl Alarm {
    /// A member of its configuration.
    pub fn cfg(&self, name: &str) -> Option<&Value> {
        self.config.get(name)
    }

    /// A string member of its configuration.
    pub fn cfg_str(&self, name: &str) -> Option<&str> {
        self.config.get(name).and_then(Value::as_str)
    }

    /// Whether its actions run (`ActionsEnabled`, default true).
    pub fn actions_enabled(&self) -> bool {
        self.cfg("ActionsEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }
}

/// One `DescribeAlarmHistory` entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HistoryItem {
    /// The alarm's name.
    pub alarm_name: String,
    /// `MetricAlarm` or `CompositeAlarm`.
    pub alarm_type: String,
    /// `StateUpdate`, `ConfigurationUpdate` or `Action`.
    pub kind: String,
    /// `HistorySummary`.
    pub summary: String,
    /// `HistoryData` (JSON text).
    pub data: String,
    /// When, epoch milliseconds.
    pub time_ms: i64,
}

/// A stored dashboard.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dashboard {
    /// Its name, unique in the account.
    pub name: String,
    /// Its body (JSON text, validated).
    pub body: String,
    /// When it last changed, epoch milliseconds.
    pub modified_ms: i64,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// The Amazon CloudWatch service.
pub struct CloudWatchService {
    store: Store,
    metrics: Table<store::MetricRecord>,
    chunks: store::Chunks,
    alarms: Table<Alarm>,
    history: Table<HistoryItem>,
    dashboards: Table<Dashboard>,
    anomaly_detectors: Table<anomaly::Detector>,
    actions: Arc<dyn AlarmActions>,
    recorder: RecordingActions,
    events: Arc<dyn ServiceEvents>,
    /// The clock time alarms were last evaluated at (0: never).
    last_tick_ms: AtomicI64,
    /// A sequence for keys written in the same millisecond.
    seq: AtomicU64,
    /// Held by the evaluation pass (one at a time: the ticker and a
    /// request may both find alarms due).
    eval_lock: std::sync::Mutex<()>,
}

impl CloudWatchService {
    /// The service over `store`: alarm actions are recorded
    /// ([`RecordingActions`]) and alarm events dropped.
    pub fn new(store: Store) -> Self {
        let recorder = RecordingActions::new(&store);
        Self::with_seams(store, Arc::new(recorder), Arc::new(NoServiceEvents))
    }

    /// The service over `store`, firing alarm actions through `actions`
    /// and publishing "CloudWatch Alarm State Change" events to `events`.
    pub fn with_seams(
        store: Store,
        actions: Arc<dyn AlarmActions>,
        events: Arc<dyn ServiceEvents>,
    ) -> Self {
        CloudWatchService {
            metrics: store.table("cloudwatch.metrics"),
            chunks: store.table_with_codec("cloudwatch.points"),
            alarms: store.table("cloudwatch.alarms"),
            history: store.table("cloudwatch.history"),
            dashboards: store.table("cloudwatch.dashboards"),
            anomaly_detectors: store.table("cloudwatch.anomaly_detectors"),
            recorder: RecordingActions::new(&store),
            actions,
            events,
            store,
            last_tick_ms: AtomicI64::new(0),
            // Keys are `time-seq`: start the sequence somewhere new each
            // run, so a restart within the same millisecond cannot collide.
            seq: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| u64::from(d.subsec_nanos()))
                    * 1000,
            ),
            eval_lock: std::sync::Mutex::new(()),
        }
    }

    /// Every alarm action recorded by the default seam, oldest first,
    /// after evaluating the alarms due at `now_ms`.
    pub fn recorded_actions(
        &self,
        now_ms: i64,
    ) -> Result<Vec<ActionRecord>, gureum_core::AwsError> {
        self.evaluate_due(now_ms)?;
        Ok(self.recorder.all()?)
    }

    /// Evaluates every alarm whose evaluation time Gureum's clock passed
    /// since the last call (the server's ticker calls this every second).
    pub fn evaluate_due(&self, now_ms: i64) -> Result<usize, gureum_core::AwsError> {
        evaluate::evaluate_due(self, now_ms)
    }

    /// A key suffix unique within this process: `time-seq`.
    fn time_key(&self, time_ms: i64) -> String {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{time_ms:014}-{n:016}")
    }

    /// Before every operation: alarms due on the clock are evaluated.
    fn prepare(&self, ctx: &RequestContext) -> Result<(), gureum_core::AwsError> {
        self.evaluate_due(ctx.clock.now_millis()).map(|_| ())
    }

    /// After a reset or an import: every alarm is evaluated again.
    fn reset(&self) {
        self.last_tick_ms
            .store(0, std::sync::atomic::Ordering::Relaxed);
    }

    fn put_metric_data(&self, ctx: &RequestContext, input: Value) -> OpResult {
        metrics::put_metric_data(self, ctx, &input)
    }
    fn list_metrics(&self, ctx: &RequestContext, input: Value) -> OpResult {
        metrics::list_metrics(self, ctx, &input)
    }
    fn get_metric_statistics(&self, ctx: &RequestContext, input: Value) -> OpResult {
        metrics::get_metric_statistics(self, ctx, &input)
    }
    fn get_metric_data(&self, ctx: &RequestContext, input: Value) -> OpResult {
        query::get_metric_data(self, ctx, &input)
    }
    fn put_metric_alarm(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::put_metric_alarm(self, ctx, &input)
    }
    fn put_composite_alarm(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::put_composite_alarm(self, ctx, &input)
    }
    fn describe_alarms(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::describe_alarms(self, ctx, &input)
    }
    fn describe_alarms_for_metric(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::describe_alarms_for_metric(self, ctx, &input)
    }
    fn delete_alarms(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::delete_alarms(self, ctx, &input)
    }
    fn set_alarm_state(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::set_alarm_state(self, ctx, &input)
    }
    fn enable_alarm_actions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::set_actions_enabled(self, ctx, &input, true)
    }
    fn disable_alarm_actions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::set_actions_enabled(self, ctx, &input, false)
    }
    fn describe_alarm_history(&self, ctx: &RequestContext, input: Value) -> OpResult {
        alarms::describe_alarm_history(self, ctx, &input)
    }
    fn put_dashboard(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dashboards::put_dashboard(self, ctx, &input)
    }
    fn get_dashboard(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dashboards::get_dashboard(self, ctx, &input)
    }
    fn list_dashboards(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dashboards::list_dashboards(self, ctx, &input)
    }
    fn delete_dashboards(&self, ctx: &RequestContext, input: Value) -> OpResult {
        dashboards::delete_dashboards(self, ctx, &input)
    }
    fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::tag_resource(self, ctx, &input)
    }
    fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::untag_resource(self, ctx, &input)
    }
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::list_tags_for_resource(self, ctx, &input)
    }
    fn get_metric_widget_image(&self, ctx: &RequestContext, input: Value) -> OpResult {
        widget::get_metric_widget_image(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    CloudWatchService, "cloudwatch",
    prepare = prepare,
    reset = reset,
    "PutMetricData" => put_metric_data,
    "ListMetrics" => list_metrics,
    "GetMetricStatistics" => get_metric_statistics,
    "GetMetricData" => get_metric_data,
    "PutMetricAlarm" => put_metric_alarm,
    "PutCompositeAlarm" => put_composite_alarm,
    "DescribeAlarms" => describe_alarms,
    "DescribeAlarmsForMetric" => describe_alarms_for_metric,
    "DeleteAlarms" => delete_alarms,
    "SetAlarmState" => set_alarm_state,
    "EnableAlarmActions" => enable_alarm_actions,
    "DisableAlarmActions" => disable_alarm_actions,
    "DescribeAlarmHistory" => describe_alarm_history,
    "PutDashboard" => put_dashboard,
    "GetDashboard" => get_dashboard,
    "ListDashboards" => list_dashboards,
    "DeleteDashboards" => delete_dashboards,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListTagsForResource" => list_tags_for_resource,
    "GetMetricWidgetImage" => get_metric_widget_image,
    "PutAnomalyDetector" => put_anomaly_detector,
    "DescribeAnomalyDetectors" => describe_anomaly_detectors,
    "DeleteAnomalyDetector" => delete_anomaly_detector,
}

#[cfg(test)]
mod tests;
