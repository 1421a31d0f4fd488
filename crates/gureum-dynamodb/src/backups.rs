//! On-demand backups: `CreateBackup`, `DescribeBackup`, `ListBackups`,
//! `DeleteBackup`, `RestoreTableFromBackup`; and the restore both kinds
//! of recovery share ([`DynamoDbService::restore_into`]).
//!
//! A backup is a real copy taken in one store transaction: the table's
//! description (keys, attribute definitions, indexes, billing, class,
//! encryption settings) in `dynamodb.backups` and every item in
//! `dynamodb.backup_items`, so later writes or the table's deletion
//! leave it as it was. A restore makes a new table from the description
//! and writes every item through the item write path (its indexes and
//! counters built as for any write), in one transaction. As on AWS, the
//! restored table has no stream, TTL, tags, deletion protection or
//! point-in-time recovery of its own. Work is done inside the call, so a
//! backup answers `CREATING` in CreateBackup's response and `AVAILABLE`
//! after, and a restored table `CREATING` then `ACTIVE`.

use crate::errors::{invalid, DynamoError};
use crate::schema::TableMeta;
use crate::storage::{self, Stats};
use crate::value::item_from_stored;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// A stored backup (`dynamodb.backups`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    /// The ARN (`…:table/<name>/backup/<id>`).
    pub arn: String,
    /// The name given.
    pub name: String,
    /// When it was taken, epoch ms.
    pub created_ms: i64,
    /// The table's size then.
    pub bytes: i64,
    /// Its item count then.
    pub items: i64,
    /// The table's description then.
    pub table: TableMeta,
}

/// Where a restore's items come from.
pub(crate) enum RestoreFrom {
    /// A backup's copy, by backup id.
    Backup(String),
    /// A table as it was at `at` (epoch ms).
    PointInTime {
        /// The source table's store key.
        skey: String,
        /// The time.
        at: i64,
    },
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The id at the end of a backup ARN.
fn backup_id(arn: &str) -> Option<&str> {
    arn.rsplit_once("/backup/").map(|(_, id)| id)
}

/// The description of a restored table: the source's keys, attributes,
/// indexes, billing, class and encryption under a new name and id, the
/// request's overrides applied.
pub(crate) fn restored_meta(
    ctx: &RequestContext,
    source: &TableMeta,
    target: &str,
    input: &Value,
    summary: Value,
) -> Result<TableMeta, AwsError> {
    let now = ctx.clock.now_millis();
    let mut m = source.clone();
    m.name = target.to_string();
    m.id = gureum_core::id::uuid_v4();
    m.arn = format!(
        "arn:aws:dynamodb:{}:{}:table/{target}",
        ctx.region, ctx.account_id
    );
    m.created_ms = now;
    m.increased_ms = None;
    m.decreased_ms = None;
    m.protected = false;
    m.tags = BTreeMap::new();
    m.ttl = Default::default();
    m.stream = None;
    m.stream_label = None;
    m.generation = 0;
    m.updated_ms = None;
    m.pitr = None;
    // A restore starts without the source's resource-based policy, as
    // its tags and settings do.
    m.policy = None;
    m.replicas.clear();
    m.legacy_global = false;
    m.restore = Some(summary);
    if let Some(b) = s(input, "BillingModeOverride") {
        m.billing = b.to_string();
        m.ppr_since_ms = (b == "PAY_PER_REQUEST").then_some(now);
    }
    let pt = input.get("ProvisionedThroughputOverride");
    let ppr = m.billing == "PAY_PER_REQUEST";
    match (pt, ppr) {
        (Some(_), true) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (Some(t), false) => {
            m.rcu = t.get("ReadCapacityUnits").and_then(Value::as_i64).unwrap_or(m.rcu);
            m.wcu = t.get("WriteCapacityUnits").and_then(Value::as_i64).unwrap_or(m.wcu);
        }
        (None, false) if m.rcu == 0 => {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ))
        }
        _ => {}
    }
    if let Some(sse) = input.get("SSESpecificationOverride") {
        m.settings
            .insert("SSESpecification".to_string(), sse.clone());
    }
    // The override lists name the indexes to keep (AWS's lists restate
    // them; only removal changes what is stored).
    for (member, global) in [
        ("GlobalSecondaryIndexOverride", true),
        ("LocalSecondaryIndexOverride", false),
    ] {
        if let Some(list) = input.get(member).and_then(Value::as_array) {
            let keep: Vec<&str> = list.iter().filter_map(|i| s(i, "IndexName")).collect();
            if global {
                m.gsis.retain(|i| keep.contains(&i.name.as_str()));
            } else {
                m.lsis.retain(|i| keep.contains(&i.name.as_str()));
            }
        }
    }
    Ok(m)
}

impl DynamoDbService {
    /// The backup an ARN names in the caller's scope.
    fn backup(&self, ctx: &RequestContext, arn: &str) -> Result<(String, Backup), AwsError> {
        let not_found = || DynamoError::BackupNotFound {
            arn: arn.to_string(),
        };
        let id = backup_id(arn).ok_or_else(not_found)?;
        let key = Scope::regional(ctx).key(id);
        match self.s.backups.get(&key)? {
            Some(b) if b.arn == arn => Ok((key, b)),
            _ => Err(not_found().into()),
        }
    }

    /// The wire `BackupDetails`.
    fn backup_details(b: &Backup, status: &str) -> Value {
        json!({
            "BackupArn": b.arn,
            "BackupName": b.name,
            "BackupSizeBytes": b.bytes.max(0),
            "BackupStatus": status,
            "BackupType": "USER",
            "BackupCreationDateTime": b.created_ms as f64 / 1000.0,
        })
    }

    /// The wire `BackupDescription`.
    fn backup_description(&self, b: &Backup, status: &str) -> Result<Value, AwsError> {
        let t = &b.table;
        let table = self.describe("", t, "ACTIVE")?;
        let mut source = json!({
            "TableName": t.name,
            "TableId": t.id,
            "TableArn": t.arn,
            "TableSizeBytes": b.bytes.max(0),
            "KeySchema": t.keys.to_json(),
            "TableCreationDateTime": t.created_ms as f64 / 1000.0,
            "ProvisionedThroughput": {
                "ReadCapacityUnits": table["ProvisionedThroughput"]["ReadCapacityUnits"],
                "WriteCapacityUnits": table["ProvisionedThroughput"]["WriteCapacityUnits"],
            },
            "ItemCount": b.items.max(0),
            "BillingMode": t.billing,
        });
        if let Some(o) = table.get("OnDemandThroughput") {
            source["OnDemandThroughput"] = o.clone();
        }
        let mut features = json!({});
        let index = |i: &Value, global: bool| {
            let mut v = json!({
                "IndexName": i["IndexName"],
                "KeySchema": i["KeySchema"],
                "Projection": i["Projection"],
            });
            if global {
                v["ProvisionedThroughput"] = json!({
                    "ReadCapacityUnits": i["ProvisionedThroughput"]["ReadCapacityUnits"],
                    "WriteCapacityUnits": i["ProvisionedThroughput"]["WriteCapacityUnits"],
                });
            }
            v
        };
        if let Some(l) = table.get("LocalSecondaryIndexes").and_then(Value::as_array) {
            features["LocalSecondaryIndexes"] =
                Value::Array(l.iter().map(|i| index(i, false)).collect());
        }
        if let Some(l) = table
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_array)
        {
            features["GlobalSecondaryIndexes"] =
                Value::Array(l.iter().map(|i| index(i, true)).collect());
        }
        if let Some(sse) = table.get("SSEDescription") {
            features["SSEDescription"] = sse.clone();
        }
        if let Some(st) = table.get("StreamSpecification") {
            features["StreamDescription"] = st.clone();
        }
        features["TimeToLiveDescription"] = json!({
            "TimeToLiveStatus": if t.ttl.enabled { "ENABLED" } else { "DISABLED" },
        });
        if t.ttl.enabled {
            features["TimeToLiveDescription"]["AttributeName"] = json!(t.ttl.attribute);
        }
        Ok(json!({
            "BackupDetails": Self::backup_details(b, status),
            "SourceTableDetails": source,
            "SourceTableFeatureDetails": features,
        }))
    }

    /// `CreateBackup`: a copy of the table's description and items now.
    pub(crate) fn create_backup(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (tkey, meta) = self.backup_table(ctx, s(&input, "TableName").unwrap_or_default())?;
        let name = s(&input, "BackupName").unwrap_or_default().to_string();
        let now = ctx.clock.now_millis();
        let suffix = gureum_core::id::hex(8);
        let id = format!("{now:014}-{suffix}");
        let arn = format!("{}/backup/{id}", meta.arn);
        let key = Scope::regional(ctx).key(&id);
        let base = storage::items_base(&tkey);
        let backup = self.s.store.write(|txn| -> Result<Backup, AwsError> {
            // The description as this transaction sees it (the items too).
            let table =
                txn.get(&self.s.tables, &tkey)?
                    .ok_or_else(|| DynamoError::TableNotFoundNamed {
                        name: meta.name.clone(),
                    })?;
            let stats: Stats = txn.get(&self.s.stats, &tkey)?.unwrap_or_default();
            for (k, v) in txn.scan_prefix(&self.s.items, &base)? {
                txn.put(
                    &self.s.backup_items,
                    &format!("{key}/{}", &k[base.len()..]),
                    &v,
                )?;
            }
            let b = Backup {
                arn: arn.clone(),
                name: name.clone(),
                created_ms: now,
                bytes: stats.bytes,
                items: stats.items,
                table,
            };
            txn.put(&self.s.backups, &key, &b)?;
            Ok(b)
        })?;
        Ok(json!({"BackupDetails": Self::backup_details(&backup, "CREATING")}))
    }

    /// `DescribeBackup`.
    pub(crate) fn describe_backup(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, b) = self.backup(ctx, s(&input, "BackupArn").unwrap_or_default())?;
        Ok(json!({"BackupDescription": self.backup_description(&b, "AVAILABLE")?}))
    }

    /// `DeleteBackup`: the description with `DELETED`; the copy goes.
    pub(crate) fn delete_backup(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, b) = self.backup(ctx, s(&input, "BackupArn").unwrap_or_default())?;
        let desc = self.backup_description(&b, "DELETED")?;
        self.s.store.write(|txn| -> Result<(), AwsError> {
            txn.delete(&self.s.backups, &key)?;
            storage::clear_prefix(txn, &self.s.backup_items, &format!("{key}/"))?;
            Ok(())
        })?;
        Ok(json!({"BackupDescription": desc}))
    }

    /// `ListBackups`: oldest first, by table, time range and type, paged
    /// by `ExclusiveStartBackupArn`.
    pub(crate) fn list_backups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = Scope::regional(ctx).prefix();
        let table = s(&input, "TableName").map(|n| self.table_name(n).to_string());
        let limit = input
            .get("Limit")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |l| l.max(1) as usize);
        let lower = input.get("TimeRangeLowerBound").and_then(Value::as_f64);
        let upper = input.get("TimeRangeUpperBound").and_then(Value::as_f64);
        // Only user backups exist here; `SYSTEM` and `AWS_BACKUP` list none.
        let user = matches!(s(&input, "BackupType"), None | Some("USER") | Some("ALL"));
        let after = s(&input, "ExclusiveStartBackupArn")
            .and_then(backup_id)
            .map(|id| format!("{prefix}{id}"));
        let mut summaries = vec![];
        let mut last = None;
        let all = self
            .s
            .backups
            .scan_prefix_after(&prefix, after.as_deref(), usize::MAX)?;
        for (_, b) in all {
            let at = b.created_ms as f64 / 1000.0;
            if !user
                || table.as_ref().is_some_and(|t| *t != b.table.name)
                || lower.is_some_and(|l| at < l)
                || upper.is_some_and(|u| at > u)
            {
                continue;
            }
            if summaries.len() == limit {
                last = summaries
                    .last()
                    .and_then(|v: &Value| v.get("BackupArn").cloned());
                break;
            }
            summaries.push(json!({
                "TableName": b.table.name,
                "TableId": b.table.id,
                "TableArn": b.table.arn,
                "BackupArn": b.arn,
                "BackupName": b.name,
                "BackupCreationDateTime": at,
                "BackupStatus": "AVAILABLE",
                "BackupType": "USER",
                "BackupSizeBytes": b.bytes.max(0),
            }));
        }
        let mut out = json!({"BackupSummaries": summaries});
        if let Some(l) = last {
            out["LastEvaluatedBackupArn"] = l;
        }
        Ok(out)
    }

    /// `RestoreTableFromBackup`.
    pub(crate) fn restore_table_from_backup(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "BackupArn").unwrap_or_default();
        let (key, b) = self.backup(ctx, arn)?;
        let summary = json!({
            "SourceBackupArn": b.arn,
            "SourceTableArn": b.table.arn,
            "RestoreDateTime": b.created_ms as f64 / 1000.0,
            "RestoreInProgress": false,
        });
        let target = s(&input, "TargetTableName").unwrap_or_default();
        let meta = restored_meta(ctx, &b.table, target, &input, summary)?;
        self.restore_into(ctx, meta, RestoreFrom::Backup(key))
    }

    /// Creates the table `meta` describes and writes into it the items
    /// `from` gives, in one transaction.
    pub(crate) fn restore_into(
        &self,
        ctx: &RequestContext,
        mut meta: TableMeta,
        from: RestoreFrom,
    ) -> OpResult {
        let tkey = self.table_key(ctx, &meta.name);
        let base = storage::items_base(&tkey);
        let now = ctx.clock.now_millis();
        self.s.store.write(|txn| -> Result<(), AwsError> {
            if txn.get(&self.s.tables, &tkey)?.is_some() {
                return Err(DynamoError::TableAlreadyExists {
                    name: meta.name.clone(),
                }
                .into());
            }
            let items: Vec<(String, Value)> = match &from {
                RestoreFrom::Backup(key) => {
                    let prefix = format!("{key}/");
                    txn.scan_prefix(&self.s.backup_items, &prefix)?
                        .into_iter()
                        .map(|(k, v)| (k[prefix.len()..].to_string(), v))
                        .collect()
                }
                RestoreFrom::PointInTime { skey, at } => {
                    self.items_at(txn, skey, *at)?.into_iter().collect()
                }
            };
            storage::put_meta(&self.s, txn, &tkey, &mut meta)?;
            txn.put(&self.s.stats, &tkey, &Stats::default())?;
            for (suffix, v) in items {
                let item = item_from_stored(&v);
                let ikey = format!("{base}{suffix}");
                storage::write_item(&self.s, txn, &tkey, &meta, &ikey, None, Some(&item), now)?;
            }
            Ok(())
        })?;
        self.forget(&tkey);
        let mut desc = self.describe(&tkey, &meta, "CREATING")?;
        if let Some(r) = &meta.restore {
            let mut r = r.clone();
            r["RestoreInProgress"] = json!(true);
            desc["RestoreSummary"] = r;
        }
        Ok(json!({"TableDescription": desc}))
    }
}
