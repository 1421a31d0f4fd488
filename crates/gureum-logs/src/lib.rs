//! CloudWatch Logs (json 1.1, regional): log groups (retention, KMS key,
//! class, deletion protection, tags, data protection and resource
//! policies as records), log streams, events (`PutLogEvents`,
//! `GetLogEvents`, `FilterLogEvents` with AWS's filter-pattern language),
//! metric filters that emit metrics through the [`MetricSink`] seam,
//! subscription filters that deliver through the [`SubscriptionSink`]
//! seam, retention expiry on Gureum's clock, and Logs Insights queries
//! (with saved definitions and `GetLogRecord`), and Live Tail sessions
//! (`StartLiveTail`, an event stream response), and exports to S3
//! ([`exports`], through the [`exports::ExportBuckets`] seam).
//!
//! The server builds it with [`LogsService::with_metrics`] (CloudWatch's
//! sink) and [`LogsService::with_subscription_sink`] once those services
//! exist; other services write logs through
//! [`LogsService::put_events_from_service`].
//!
//! Tables (keys from [`gureum_core::Scope`]; `:` cannot appear in group or
//! stream names, so it separates them):
//! - `logs.log_groups`: `account/region/group` → [`LogGroup`];
//! - `logs.log_streams`: `account/region/group:stream` → [`LogStream`];
//! - `logs.events`: `account/region/group:stream:TTTTTTTTTTTTTTTTSSSSSSSSSSSSSSSS`
//!   (timestamp and the group's event sequence number, both zero-padded to
//!   16 digits) → [`StoredEvent`] in a binary codec: one stream's events
//!   are one key range in time order, so reads are sequential range scans
//!   that start at `startTime` and stop at `endTime`;
//! - `logs.metric_filters`, `logs.subscription_filters`:
//!   `account/region/group:filter` → [`MetricFilter`], [`SubscriptionFilter`];
//! - `logs.queries`: `account/region/query-id` → [`insights::StoredQuery`];
//! - `logs.query_definitions`: `account/region/id` → saved queries;
//! - `logs.resource_policies`: `account/region/<resource ARN>|name` →
//!   resource policies (the ARN empty for account-scoped ones);
//! - `logs.destinations`: `account/region/name` → subscription destinations;
//! - `logs.export_tasks`: `account/region/taskId` → [`exports::ExportTask`];
//! - `logs.account_policies`: `account/region/TYPE|name` → account-wide
//!   data protection and subscription filter policies.
//!
//! Layout: [`errors`]; [`filter_pattern`] (the pattern language, pure);
//! `log_groups.rs` (groups, retention policies, tags, data protection);
//! `streams.rs`; `events.rs` (put, get, filter, and the Rust API other
//! services write through); `retention.rs` (expiry); `metric_filters.rs`;
//! [`subscriptions`]; [`insights`] (the query language and its engine);
//! `query_definitions.rs`; `resource_policies.rs`; `destinations.rs`;
//! `account_policies.rs`; `data_protection.rs` (masking); `live_tail.rs`.

pub mod errors;
pub mod exports;
pub mod filter_pattern;
pub mod insights;
pub mod subscriptions;

mod account_policies;
mod data_protection;
mod destinations;
mod events;
mod live_tail;
mod log_groups;
mod metric_filters;
mod query_definitions;
mod resource_policies;
mod retention;
mod service_delivery;
mod streams;

pub use events::ServiceEvent;
pub use service_delivery::LogSender;
pub use subscriptions::{NoSubscriptions, SubscriptionDelivery, SubscriptionSink};

use errors::{invalid, LogsError};
use gureum_core::member::str_member;
use gureum_core::{Authorization, AuthzTarget, AwsError, OpResult, RequestContext, Value};
use gureum_kit::metrics::{MetricSink, NoMetrics};
use gureum_store::codec::{Decoder, Encoder};
use gureum_store::{Codec, CodecError, Store, Table};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A stored log group.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LogGroup {
    /// The name.
    pub name: String,
    /// Creation time, epoch milliseconds.
    pub creation_time: i64,
    /// Retention, when set.
    pub retention_in_days: Option<i64>,
    /// KMS key, when set.
    pub kms_key_id: Option<String>,
    /// `STANDARD`, `INFREQUENT_ACCESS` or `DELIVERY`.
    pub log_group_class: String,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Bytes of the events held (messages' UTF-8 lengths).
    #[serde(default)]
    pub stored_bytes: i64,
    /// How many metric filters it has.
    #[serde(default)]
    pub metric_filter_count: i64,
    /// The next event sequence number (one counter per group, so
    /// `(timestamp, sequence)` orders events across its streams).
    #[serde(default)]
    pub next_seq: u64,
    /// The data protection policy, when one is set.
    #[serde(default)]
    pub data_protection: Option<DataProtection>,
    /// Whether deletion protection is on.
    #[serde(default)]
    pub deletion_protection: bool,
}

/// A data protection policy, kept as a record (Gureum does not mask).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DataProtection {
    /// The policy document, as given.
    pub document: String,
    /// When it was last set, epoch milliseconds.
    pub updated: i64,
}

/// A stored log stream.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LogStream {
    /// The name.
    pub name: String,
    /// Creation time, epoch milliseconds.
    pub creation_time: i64,
    /// The oldest event's timestamp.
    pub first_event: Option<i64>,
    /// The newest event's timestamp.
    pub last_event: Option<i64>,
    /// When events last arrived, epoch milliseconds.
    pub last_ingestion: Option<i64>,
    /// Bytes of the events held.
    pub stored_bytes: i64,
}

/// One stored event (its timestamp and sequence number are also in its key).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// When it happened, epoch milliseconds.
    pub timestamp: i64,
    /// When it arrived, epoch milliseconds.
    pub ingestion_time: i64,
    /// The message, as sent.
    pub message: String,
    /// Byte ranges of the message the group's data protection policy
    /// masked when the event arrived.
    pub masked: Vec<(u32, u32)>,
}

impl StoredEvent {
    /// The message as a reader sees it: masked, unless `unmask`.
    pub fn shown(&self, unmask: bool) -> std::borrow::Cow<'_, str> {
        if unmask || self.masked.is_empty() {
            std::borrow::Cow::Borrowed(&self.message)
        } else {
            std::borrow::Cow::Owned(data_protection::masked(&self.message, &self.masked))
        }
    }

    /// This event as readers without `unmask` see it.
    pub(crate) fn masked_view(&self) -> StoredEvent {
        StoredEvent {
            message: self.shown(false).into_owned(),
            masked: Vec::new(),
            ..self.clone()
        }
    }
}

/// The binary codec of [`StoredEvent`]: two varints, a string and the
/// masked ranges (absent in events stored before masking existed),
/// decoded without field names on the hot path of every scan.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventCodec;

impl Codec<StoredEvent> for EventCodec {
    fn encode(v: &StoredEvent) -> Result<Vec<u8>, CodecError> {
        let mut e = Encoder::with_capacity(v.message.len() + 12);
        e.i64(v.timestamp);
        e.i64(v.ingestion_time);
        e.str(&v.message);
        if !v.masked.is_empty() {
            e.length(v.masked.len());
            for (s, end) in &v.masked {
                e.u64(u64::from(*s));
                e.u64(u64::from(*end));
            }
        }
        Ok(e.finish())
    }

    fn decode(bytes: &[u8]) -> Result<StoredEvent, CodecError> {
        let mut d = Decoder::new(bytes);
        let timestamp = d.i64()?;
        let ingestion_time = d.i64()?;
        let message = d.str()?.to_string();
        let mut masked = Vec::new();
        if let Ok(n) = d.length() {
            for _ in 0..n {
                let s = u32::try_from(d.u64()?)?;
                let end = u32::try_from(d.u64()?)?;
                masked.push((s, end));
            }
        }
        d.finish()?;
        Ok(StoredEvent {
            timestamp,
            ingestion_time,
            message,
            masked,
        })
    }
}

/// A metric filter.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MetricFilter {
    /// The filter's name.
    pub name: String,
    /// The group it belongs to.
    pub group: String,
    /// The pattern, as given.
    pub pattern: String,
    /// The transformations, as given (model-shaped).
    pub transformations: Vec<Value>,
    /// Creation time, epoch milliseconds.
    pub creation_time: i64,
}

/// A subscription filter (kept; delivery is wired when its targets are).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SubscriptionFilter {
    /// The filter's name.
    pub name: String,
    /// The group it belongs to.
    pub group: String,
    /// The pattern, as given.
    pub pattern: String,
    /// Where matching events go.
    pub destination_arn: String,
    /// The role delivery assumes.
    pub role_arn: Option<String>,
    /// `ByLogStream` or `Random`.
    pub distribution: String,
    /// Creation time, epoch milliseconds.
    pub creation_time: i64,
}

/// The CloudWatch Logs service.
pub struct LogsService {
    store: Store,
    log_groups: Table<LogGroup>,
    streams: Table<LogStream>,
    events: Table<StoredEvent, EventCodec>,
    metric_filters: Table<MetricFilter>,
    subscriptions: Table<SubscriptionFilter>,
    queries: Table<insights::StoredQuery>,
    query_definitions: Table<query_definitions::QueryDefinition>,
    resource_policies: Table<resource_policies::ResourcePolicy>,
    destinations: Table<destinations::Destination>,
    account_policies: Table<account_policies::AccountPolicy>,
    metrics: Arc<dyn MetricSink>,
    subscription_sink: Arc<dyn SubscriptionSink>,
    live_tails: live_tail::Hub,
    export_tasks: Table<exports::ExportTask>,
    export_buckets: std::sync::OnceLock<Arc<dyn exports::ExportBuckets>>,
    /// The sink set after construction ([`LogsService::set_subscription_sink`]).
    late_sink: std::sync::OnceLock<Arc<dyn SubscriptionSink>>,
}

impl LogsService {
    /// The service over `store`, its metric filters' metrics dropped.
    pub fn new(store: Store) -> Self {
        Self::with_metrics(store, Arc::new(NoMetrics))
    }

    /// The service over `store`, emitting metric filters' metrics to `metrics`.
    pub fn with_metrics(store: Store, metrics: Arc<dyn MetricSink>) -> Self {
        LogsService {
            log_groups: store.table("logs.log_groups"),
            streams: store.table("logs.log_streams"),
            events: store.table_with_codec("logs.events"),
            metric_filters: store.table("logs.metric_filters"),
            subscriptions: store.table("logs.subscription_filters"),
            queries: store.table("logs.queries"),
            query_definitions: store.table("logs.query_definitions"),
            resource_policies: store.table("logs.resource_policies"),
            destinations: store.table("logs.destinations"),
            account_policies: store.table("logs.account_policies"),
            metrics,
            subscription_sink: Arc::new(NoSubscriptions),
            live_tails: live_tail::Hub::default(),
            export_tasks: store.table("logs.export_tasks"),
            export_buckets: std::sync::OnceLock::new(),
            late_sink: std::sync::OnceLock::new(),
            store,
        }
    }

    /// This service, delivering subscription filters' matches to `sink`
    /// (the server wires in one that routes by destination ARN).
    pub fn with_subscription_sink(mut self, sink: Arc<dyn SubscriptionSink>) -> Self {
        self.subscription_sink = sink;
        self
    }

    /// Delivers subscription filters' matches to `sink` from now on: the
    /// server's wiring, once the destination services (Lambda) exist, which
    /// are built after Logs.
    pub fn set_subscription_sink(&self, sink: Arc<dyn SubscriptionSink>) {
        let _ = self.late_sink.set(sink);
    }

    /// The sink deliveries go to.
    fn subscription_sink(&self) -> &dyn SubscriptionSink {
        self.late_sink
            .get()
            .unwrap_or(&self.subscription_sink)
            .as_ref()
    }

    /// What IAM checks, as CloudWatch Logs' documentation says: a log
    /// group's actions on its ARN with the trailing `:*`, `PutLogEvents`
    /// and `GetLogEvents` on the stream's ARN, the tagging actions on the
    /// ARN they name (without `:*`), destinations on theirs, listings of
    /// groups on `log-group:*`, and the rest on `*`.
    fn authorization(&self, ctx: &RequestContext, operation: &str, input: &Value) -> Authorization {
        let action = format!("logs:{operation}");
        let base = format!("arn:aws:logs:{}:{}", ctx.region, ctx.account_id);
        let group = str_member(input, "logGroupName")
            .or_else(|| str_member(input, "logGroupIdentifier").map(name_from_identifier));
        let group_arn = |g: &str| format!("{base}:log-group:{g}:*");
        let resources: Vec<String> = match operation {
            "PutLogEvents" | "GetLogEvents" => match (group, str_member(input, "logStreamName")) {
                (Some(g), Some(s)) => vec![format!("{base}:log-group:{g}:log-stream:{s}")],
                _ => vec!["*".into()],
            },
            "TagResource" | "UntagResource" | "ListTagsForResource" => {
                vec![str_member(input, "resourceArn").unwrap_or("*").to_string()]
            }
            "DescribeLogGroups" | "ListLogGroups" => vec![format!("{base}:log-group:*")],
            "PutDestination" | "PutDestinationPolicy" | "DeleteDestination" => {
                match str_member(input, "destinationName") {
                    Some(d) => vec![format!("{base}:destination:{d}")],
                    None => vec!["*".into()],
                }
            }
            "StartQuery" | "StartLiveTail" => {
                let mut names: Vec<&str> = group.into_iter().collect();
                for member in ["logGroupNames", "logGroupIdentifiers"] {
                    if let Some(a) = input.get(member).and_then(Value::as_array) {
                        names.extend(a.iter().filter_map(Value::as_str).map(name_from_identifier));
                    }
                }
                if names.is_empty() {
                    vec!["*".into()]
                } else {
                    names.into_iter().map(group_arn).collect()
                }
            }
            "TestMetricFilter"
            | "GetQueryResults"
            | "StopQuery"
            | "DescribeQueries"
            | "GetLogRecord"
            | "PutQueryDefinition"
            | "DescribeQueryDefinitions"
            | "DeleteQueryDefinition"
            | "DescribeResourcePolicies"
            | "DescribeExportTasks"
            | "CancelExportTask"
            | "DescribeDestinations" => {
                vec!["*".into()]
            }
            "PutResourcePolicy" | "DeleteResourcePolicy" => {
                vec![str_member(input, "resourceArn").unwrap_or("*").to_string()]
            }
            _ => match group {
                Some(g) => vec![group_arn(g)],
                None => vec!["*".into()],
            },
        };
        let mut targets: Vec<AuthzTarget> = resources
            .into_iter()
            .map(|r| AuthzTarget::new(action.clone(), r))
            .collect();
        // Seeing masked data takes logs:Unmask on the group.
        if input.get("unmask").and_then(Value::as_bool) == Some(true) {
            targets.push(AuthzTarget::new(
                "logs:Unmask",
                group.map_or_else(|| "*".to_string(), group_arn),
            ));
        }
        Authorization::Targets(targets)
    }

    fn create_log_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::create(self, ctx, &input)
    }
    fn describe_log_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::describe(self, ctx, &input)
    }
    fn delete_log_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::delete(self, ctx, &input)
    }
    fn put_retention_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::put_retention(self, ctx, &input)
    }
    fn delete_retention_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::delete_retention(self, ctx, &input)
    }
    fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::tag_resource(self, ctx, &input)
    }
    fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::untag_resource(self, ctx, &input)
    }
    fn list_tags_for_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::list_tags_for_resource(self, ctx, &input)
    }
    fn tag_log_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::tag_log_group(self, ctx, &input)
    }
    fn untag_log_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::untag_log_group(self, ctx, &input)
    }
    fn list_tags_log_group(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::list_tags_log_group(self, ctx, &input)
    }
    fn put_data_protection_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::put_data_protection(self, ctx, &input)
    }
    fn get_data_protection_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::get_data_protection(self, ctx, &input)
    }
    fn delete_data_protection_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::delete_data_protection(self, ctx, &input)
    }
    fn put_log_group_deletion_protection(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::put_deletion_protection(self, ctx, &input)
    }
    fn associate_kms_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::associate_kms_key(self, ctx, &input)
    }
    fn disassociate_kms_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::disassociate_kms_key(self, ctx, &input)
    }
    fn get_log_record(&self, ctx: &RequestContext, input: Value) -> OpResult {
        insights::get_record(self, ctx, &input)
    }
    fn get_log_group_fields(&self, ctx: &RequestContext, input: Value) -> OpResult {
        insights::group_fields(self, ctx, &input)
    }
    fn list_log_groups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        log_groups::list(self, ctx, &input)
    }
    fn put_query_definition(&self, ctx: &RequestContext, input: Value) -> OpResult {
        query_definitions::put(self, ctx, &input)
    }
    fn describe_query_definitions(&self, ctx: &RequestContext, input: Value) -> OpResult {
        query_definitions::describe(self, ctx, &input)
    }
    fn delete_query_definition(&self, ctx: &RequestContext, input: Value) -> OpResult {
        query_definitions::delete(self, ctx, &input)
    }
    fn put_resource_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        resource_policies::put(self, ctx, &input)
    }
    fn describe_resource_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        resource_policies::describe(self, ctx, &input)
    }
    fn delete_resource_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        resource_policies::delete(self, ctx, &input)
    }
    fn put_destination(&self, ctx: &RequestContext, input: Value) -> OpResult {
        destinations::put(self, ctx, &input)
    }
    fn put_destination_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        destinations::put_policy(self, ctx, &input)
    }
    fn describe_destinations(&self, ctx: &RequestContext, input: Value) -> OpResult {
        destinations::describe(self, ctx, &input)
    }
    fn delete_destination(&self, ctx: &RequestContext, input: Value) -> OpResult {
        destinations::delete(self, ctx, &input)
    }
    fn put_account_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        account_policies::put(self, ctx, &input)
    }
    fn describe_account_policies(&self, ctx: &RequestContext, input: Value) -> OpResult {
        account_policies::describe(self, ctx, &input)
    }
    fn delete_account_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        account_policies::delete(self, ctx, &input)
    }
    fn create_log_stream(&self, ctx: &RequestContext, input: Value) -> OpResult {
        streams::create(self, ctx, &input)
    }
    fn delete_log_stream(&self, ctx: &RequestContext, input: Value) -> OpResult {
        streams::delete(self, ctx, &input)
    }
    fn describe_log_streams(&self, ctx: &RequestContext, input: Value) -> OpResult {
        streams::describe(self, ctx, &input)
    }
    fn put_log_events(&self, ctx: &RequestContext, input: Value) -> OpResult {
        events::put(self, ctx, &input)
    }
    fn get_log_events(&self, ctx: &RequestContext, input: Value) -> OpResult {
        events::get(self, ctx, &input)
    }
    fn filter_log_events(&self, ctx: &RequestContext, input: Value) -> OpResult {
        events::filter(self, ctx, &input)
    }
    fn put_metric_filter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        metric_filters::put(self, ctx, &input)
    }
    fn describe_metric_filters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        metric_filters::describe(self, ctx, &input)
    }
    fn delete_metric_filter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        metric_filters::delete(self, ctx, &input)
    }
    fn test_metric_filter(&self, _ctx: &RequestContext, input: Value) -> OpResult {
        metric_filters::test(&input)
    }
    fn put_subscription_filter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::put(self, ctx, &input)
    }
    fn describe_subscription_filters(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::describe(self, ctx, &input)
    }
    fn delete_subscription_filter(&self, ctx: &RequestContext, input: Value) -> OpResult {
        subscriptions::delete(self, ctx, &input)
    }
    async fn start_live_tail(
        &self,
        ctx: &RequestContext,
        input: Value,
        _body: gureum_core::RequestBody,
    ) -> Result<gureum_core::Reply, AwsError> {
        live_tail::start(self, ctx, input).await
    }
    fn create_export_task(&self, ctx: &RequestContext, input: Value) -> OpResult {
        exports::create(self, ctx, &input)
    }
    fn describe_export_tasks(&self, ctx: &RequestContext, input: Value) -> OpResult {
        exports::describe(self, ctx, &input)
    }
    fn cancel_export_task(&self, ctx: &RequestContext, input: Value) -> OpResult {
        exports::cancel(self, ctx, &input)
    }
    fn start_query(&self, ctx: &RequestContext, input: Value) -> OpResult {
        insights::start(self, ctx, &input)
    }
    fn get_query_results(&self, ctx: &RequestContext, input: Value) -> OpResult {
        insights::results(self, ctx, &input)
    }
    fn stop_query(&self, ctx: &RequestContext, input: Value) -> OpResult {
        insights::stop(self, ctx, &input)
    }
    fn describe_queries(&self, ctx: &RequestContext, input: Value) -> OpResult {
        insights::describe(self, ctx, &input)
    }
}

/// The group an operation names: `logGroupName`, or `logGroupIdentifier`
/// (a name or an ARN, with or without the trailing `:*`).
fn group_name_of(input: &Value) -> Result<&str, AwsError> {
    let name = str_member(input, "logGroupName");
    let ident = str_member(input, "logGroupIdentifier");
    match (name, ident) {
        (Some(_), Some(_)) => Err(invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(n), None) => Ok(n),
        (None, Some(i)) => Ok(name_from_identifier(i)),
        (None, None) => Err(invalid(
            "Should provide either name or ARN of the log group (Gureum's wording).",
        )),
    }
}

/// Refuses the members that configure log transformers and
/// field-index features Gureum does not have (`applyOnTransformedLogs`,
/// `fieldSelectionCriteria`, and the system-field dimensions of
/// `emit_member`), rather than accepting them without effect.
fn refuse_transformer_members(input: &Value, emit_member: &str) -> Result<(), AwsError> {
    if input
        .get("applyOnTransformedLogs")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        return Err(invalid(
            "applyOnTransformedLogs is not supported: Gureum has no log transformers.",
        ));
    }
    if str_member(input, "fieldSelectionCriteria").is_some_and(|c| !c.is_empty()) {
        return Err(invalid(
            "fieldSelectionCriteria is not supported by Gureum.",
        ));
    }
    if input
        .get(emit_member)
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        return Err(invalid(format!(
            "{emit_member} is not supported by Gureum."
        )));
    }
    Ok(())
}

/// A log group's name from a name or an ARN.
fn name_from_identifier(ident: &str) -> &str {
    match ident.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => ident,
    }
}

/// The group's ARN without the `:*` suffix.
fn group_arn(ctx: &RequestContext, name: &str) -> String {
    format!(
        "arn:aws:logs:{}:{}:log-group:{name}",
        ctx.region, ctx.account_id
    )
}

/// The group of `name` in the caller's region, or `ResourceNotFoundException`.
fn load_group(svc: &LogsService, ctx: &RequestContext, name: &str) -> Result<LogGroup, AwsError> {
    svc.log_groups
        .get(&gureum_core::Scope::regional(ctx).key(name))?
        .ok_or_else(|| LogsError::LogGroupNotFound.into())
}

gureum_core::service_operations! {
    LogsService, "logs",
    authorization = authorization,
    streaming { "StartLiveTail" => start_live_tail },
    "CreateLogGroup" => create_log_group,
    "DeleteLogGroup" => delete_log_group,
    "DescribeLogGroups" => describe_log_groups,
    "ListLogGroups" => list_log_groups,
    "PutRetentionPolicy" => put_retention_policy,
    "DeleteRetentionPolicy" => delete_retention_policy,
    "TagResource" => tag_resource,
    "UntagResource" => untag_resource,
    "ListTagsForResource" => list_tags_for_resource,
    "TagLogGroup" => tag_log_group,
    "UntagLogGroup" => untag_log_group,
    "ListTagsLogGroup" => list_tags_log_group,
    "PutDataProtectionPolicy" => put_data_protection_policy,
    "GetDataProtectionPolicy" => get_data_protection_policy,
    "DeleteDataProtectionPolicy" => delete_data_protection_policy,
    "PutLogGroupDeletionProtection" => put_log_group_deletion_protection,
    "AssociateKmsKey" => associate_kms_key,
    "DisassociateKmsKey" => disassociate_kms_key,
    "CreateLogStream" => create_log_stream,
    "DeleteLogStream" => delete_log_stream,
    "DescribeLogStreams" => describe_log_streams,
    "PutLogEvents" => put_log_events,
    "GetLogEvents" => get_log_events,
    "FilterLogEvents" => filter_log_events,
    "PutMetricFilter" => put_metric_filter,
    "DescribeMetricFilters" => describe_metric_filters,
    "DeleteMetricFilter" => delete_metric_filter,
    "TestMetricFilter" => test_metric_filter,
    "PutSubscriptionFilter" => put_subscription_filter,
    "DescribeSubscriptionFilters" => describe_subscription_filters,
    "DeleteSubscriptionFilter" => delete_subscription_filter,
    "PutAccountPolicy" => put_account_policy,
    "DescribeAccountPolicies" => describe_account_policies,
    "DeleteAccountPolicy" => delete_account_policy,
    "PutDestination" => put_destination,
    "PutDestinationPolicy" => put_destination_policy,
    "DescribeDestinations" => describe_destinations,
    "DeleteDestination" => delete_destination,
    "CreateExportTask" => create_export_task,
    "DescribeExportTasks" => describe_export_tasks,
    "CancelExportTask" => cancel_export_task,
    "StartQuery" => start_query,
    "GetQueryResults" => get_query_results,
    "StopQuery" => stop_query,
    "DescribeQueries" => describe_queries,
    "GetLogRecord" => get_log_record,
    "GetLogGroupFields" => get_log_group_fields,
    "PutQueryDefinition" => put_query_definition,
    "DescribeQueryDefinitions" => describe_query_definitions,
    "DeleteQueryDefinition" => delete_query_definition,
    "PutResourcePolicy" => put_resource_policy,
    "DescribeResourcePolicies" => describe_resource_policies,
    "DeleteResourcePolicy" => delete_resource_policy,
}

#[cfg(test)]
mod tests;
