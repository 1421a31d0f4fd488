//! CloudWatch Logs (json 1.1, regional).
//!
//! So far: log groups (`CreateLogGroup`, `DescribeLogGroups`,
//! `DeleteLogGroup`). Streams, events, retention, metric and subscription
//! filters come with the CloudWatch issue.

pub mod errors;
mod log_groups;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::{Store, Table};

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
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The CloudWatch Logs service.
pub struct LogsService {
    store: Store,
    log_groups: Table<LogGroup>,
}

impl LogsService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        LogsService {
            log_groups: store.table("logs.log_groups"),
            store,
        }
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
}

gureum_core::service_operations! {
    LogsService, "logs",
    "CreateLogGroup" => create_log_group,
    "DeleteLogGroup" => delete_log_group,
    "DescribeLogGroups" => describe_log_groups,
}
