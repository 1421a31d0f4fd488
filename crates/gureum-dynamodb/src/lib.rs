//! DynamoDB (json 1.0, regional): tables with hash or hash-and-range
//! keys, local and global secondary indexes kept in the item's own write
//! transaction, items with the full expression language (conditions,
//! updates, projections, filters, key conditions), Query and Scan with
//! DynamoDB's paging, batches, transactions with idempotency tokens, TTL
//! on Gureum's clock, tags, consumed capacity, PartiQL (`ExecuteStatement`,
//! `BatchExecuteStatement`, `ExecuteTransaction`);
//! and DynamoDB Streams ([`streams::DynamoDbStreamsService`], the
//! `dynamodbstreams` model) over the same store.
//!
//! Tables (keys from [`gureum_core::Scope`]; see [`keys`] for the item
//! key encoding):
//! - `dynamodb.tables`: `account/region/table` → [`schema::TableMeta`];
//! - `dynamodb.items`: `account/region/table/<bucket><hex pk>.[<hex sk>.]`
//!   → the item (DynamoDB JSON, numbers canonical);
//! - `dynamodb.index`: `account/region/table/index/<bucket><hex ipk>.…`
//!   → the projected item;
//! - `dynamodb.stats`: `account/region/table` → item and byte counts
//!   (DescribeTable's `ItemCount`/`TableSizeBytes`, live);
//! - `dynamodb.ttl`: `account/region/table/<expiry>/<item key>` → the
//!   item's store key (what the TTL pass deletes);
//! - `dynamodb.tokens`: `account/region/token` → a TransactWriteItems
//!   client token's request digest and time;
//! - `dynamodb.generations`: `account/region/table` → the description's
//!   generation, which item writes check inside their transaction;
//! - `dynamodb.pitr_log`: `account/region/table/<ms>/<n>` → an item's
//!   key and value before a change (point-in-time recovery, [`pitr`]);
//! - `dynamodb.backups`: `account/region/<backup id>` →
//!   [`backups::Backup`]; `dynamodb.backup_items`:
//!   `account/region/<backup id>/<item key>` → a backed-up item;
//! - `dynamodb.exports` / `dynamodb.imports`: `account/region/<id>` → a
//!   job's description; `dynamodb.transfers`: `account/region/<export|
//!   import>/<id>` → a job waiting for the ticker ([`objects`] is the
//!   seam to S3);
//! - `dynamodb.stream_records`: `account/region/table/<label>/<sequence>`
//!   → a stream record; `dynamodb.stream_sequences`:
//!   `account/region/table/<label>` → the stream's last sequence number;
//! - `dynamodb.insights`: `account/region/table[/index]` → Contributor
//!   Insights; `dynamodb.insight_counts`: `…/<minute>` → accesses per key
//!   ([`contributors`]);
//! - `dynamodb.replica_times`: an item's store key → its last write's
//!   time and region; `dynamodb.replication`: `account/region/table/<to
//!   region>` → the last stream record replicated there (global tables,
//!   [`replicas`]); `dynamodb.global_tables`: `account/name` → a legacy
//!   global table ([`global_legacy`]).
//!
//! Layout: [`number`] (exact decimals), [`value`] (AttributeValue, sizes),
//! [`keys`] (order-preserving key encoding), [`expr`] (lexer, parser,
//! evaluator), [`update`], [`legacy`] (pre-expression parameters),
//! [`schema`] and `tables.rs` (table operations), [`storage`] (the item
//! write path), `items.rs`, `query.rs`, `batch.rs`, `transact.rs`,
//! `partiql/`, [`backups`], [`pitr`], [`ttl`], [`capacity`], [`streams`].

pub mod backups;
pub mod capacity;
pub mod errors;
pub mod expr;
pub mod keys;
pub mod legacy;
pub mod number;
pub mod objects;
pub mod pitr;
pub mod replicas;
mod replication;
pub mod schema;
pub mod storage;
pub mod streams;
pub mod ttl;
pub mod update;
pub mod value;

mod batch;
pub mod contributors;
mod exports;
pub mod global_legacy;
mod imports;
mod items;
mod kinesis;
mod partiql;
mod query;
mod resource_policy;
mod tables;
mod transact;
mod transfers;

#[cfg(test)]
mod recovery_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transfers_tests;

pub use errors::DynamoError;
pub use streams::DynamoDbStreamsService;

use gureum_core::AwsError;
use gureum_store::Store;
use parking_lot::RwLock;
use schema::TableMeta;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use storage::Stores;

/// The DynamoDB service.
pub struct DynamoDbService {
    s: Stores,
    /// Table descriptions by store key, read through (every table write
    /// goes through [`DynamoDbService::forget`]).
    cache: RwLock<HashMap<String, Arc<TableMeta>>>,
    /// S3, for exports and imports (set once by the server).
    objects: OnceLock<Arc<dyn objects::Objects>>,
    /// Contributor Insights' counts not yet stored.
    insights: contributors::Counter,
}

impl DynamoDbService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        DynamoDbService {
            s: Stores::new(store),
            cache: RwLock::new(HashMap::new()),
            objects: OnceLock::new(),
            insights: contributors::Counter::default(),
        }
    }

    /// Gives exports and imports their way to S3.
    pub fn set_objects(&self, objects: Arc<dyn objects::Objects>) {
        let _ = self.objects.set(objects);
    }

    /// The table at store key `key`, from the cache or the store.
    pub(crate) fn cached_meta(&self, key: &str) -> Result<Option<Arc<TableMeta>>, AwsError> {
        if let Some(m) = self.cache.read().get(key) {
            return Ok(Some(m.clone()));
        }
        let Some(m) = self.s.tables.get(key)? else {
            return Ok(None);
        };
        let m = Arc::new(m);
        self.cache.write().insert(key.to_string(), m.clone());
        Ok(Some(m))
    }

    /// Drops a table's cached description after a write to it.
    pub(crate) fn forget(&self, key: &str) {
        self.cache.write().remove(key);
    }

    /// Forgets every cached description (after a reset or an import).
    fn reset_cache(&self) {
        self.cache.write().clear();
        *self.insights_reset() = None;
    }

    /// The cached Contributor Insights settings, to clear on a reset.
    fn insights_reset(&self) -> parking_lot::RwLockWriteGuard<'_, Option<HashMap<String, bool>>> {
        self.insights.on.write()
    }

    /// The work of one second of Gureum's clock beyond TTL and transfers:
    /// global tables' replication and Contributor Insights' counts.
    pub fn tick(&self, now_ms: i64) -> Result<(), AwsError> {
        self.replicate(now_ms)?;
        self.flush_insights(now_ms)
    }
}

gureum_core::service_operations! {
    DynamoDbService, "dynamodb",
    reset = reset_cache,
    "BatchExecuteStatement" => batch_execute_statement,
    "BatchGetItem" => batch_get_item,
    "BatchWriteItem" => batch_write_item,
    "CreateBackup" => create_backup,
    "CreateGlobalTable" => create_global_table,
    "CreateTable" => create_table,
    "DeleteBackup" => delete_backup,
    "DeleteItem" => delete_item,
    "DeleteResourcePolicy" => delete_resource_policy,
    "DeleteTable" => delete_table,
    "DescribeBackup" => describe_backup,
    "DescribeContinuousBackups" => describe_continuous_backups,
    "DescribeContributorInsights" => describe_contributor_insights,
    "DescribeEndpoints" => describe_endpoints,
    "DescribeExport" => describe_export,
    "DescribeGlobalTable" => describe_global_table,
    "DescribeImport" => describe_import,
    "DescribeKinesisStreamingDestination" => describe_kinesis_streaming_destination,
    "DisableKinesisStreamingDestination" => disable_kinesis_streaming_destination,
    "EnableKinesisStreamingDestination" => enable_kinesis_streaming_destination,
    "DescribeLimits" => describe_limits,
    "DescribeTable" => describe_table,
    "DescribeTimeToLive" => describe_time_to_live,
    "ExecuteStatement" => execute_statement,
    "ExecuteTransaction" => execute_transaction,
    "ExportTableToPointInTime" => export_table_to_point_in_time,
    "GetItem" => get_item,
    "GetResourcePolicy" => get_resource_policy,
    "ImportTable" => import_table,
    "ListBackups" => list_backups,
    "ListContributorInsights" => list_contributor_insights,
    "ListExports" => list_exports,
    "ListGlobalTables" => list_global_tables,
    "ListImports" => list_imports,
    "ListTables" => list_tables,
    "ListTagsOfResource" => list_tags_of_resource,
    "PutItem" => put_item,
    "PutResourcePolicy" => put_resource_policy,
    "Query" => query,
    "RestoreTableFromBackup" => restore_table_from_backup,
    "RestoreTableToPointInTime" => restore_table_to_point_in_time,
    "Scan" => scan,
    "TagResource" => tag_resource,
    "TransactGetItems" => transact_get_items,
    "TransactWriteItems" => transact_write_items,
    "UntagResource" => untag_resource,
    "UpdateContinuousBackups" => update_continuous_backups,
    "UpdateContributorInsights" => update_contributor_insights,
    "UpdateGlobalTable" => update_global_table,
    "UpdateItem" => update_item,
    "UpdateKinesisStreamingDestination" => update_kinesis_streaming_destination,
    "UpdateTable" => update_table,
    "UpdateTimeToLive" => update_time_to_live,
}
