//! Point-in-time recovery: `UpdateContinuousBackups`,
//! `DescribeContinuousBackups`, `RestoreTableToPointInTime`.
//!
//! While it is enabled, every item write also logs, in the same store
//! transaction, the item's key and its value before the change
//! (`dynamodb.pitr_log`, keyed by the change's time then a per-table
//! counter). A restore to time T starts from the table as it is and undoes,
//! newest first, every change made after T: the table exactly as it was
//! at T. The log keeps the recovery period (35 days by default) on
//! Gureum's clock, pruned by the ticker's pass; disabling recovery drops
//! it, as AWS drops the restorable history.

use crate::backups::{restored_meta, RestoreFrom};
use crate::errors::{invalid, DynamoError};
use crate::schema::Pitr;
use crate::storage::{self, Stats, Stores};
use crate::value::{item_to_json, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::{Result as StoreResult, WriteTxn};
use serde_json::json;
use std::collections::BTreeMap;

/// AWS's latest restorable time trails the present by five minutes.
const LATEST_LAG_MS: i64 = 5 * 60 * 1000;
/// One day, ms.
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Most log entries one pruning pass deletes per table.
const PRUNE_PASS: usize = 1000;

/// Logs the change of the item at `ikey` (was `old`), in `txn`.
pub fn log_change(
    s: &Stores,
    txn: &mut WriteTxn,
    table_key: &str,
    ikey: &str,
    old: Option<&Item>,
    now_ms: i64,
    stats: &mut Stats,
) -> StoreResult<()> {
    stats.changes += 1;
    let entry = format!("{table_key}/{:020}/{:020}", now_ms.max(0), stats.changes);
    let value = json!({
        "k": &ikey[table_key.len() + 1..],
        "o": old.map_or(Value::Null, item_to_json),
    });
    txn.put(&s.pitr_log, &entry, &value)
}

/// The restorable window `(earliest, latest)` of a table, epoch ms.
fn window(p: &Pitr, now: i64) -> (i64, i64) {
    let earliest = p.enabled_ms.max(now - p.days * DAY_MS);
    (earliest, (now - LATEST_LAG_MS).max(earliest))
}

/// Seconds as the wire's timestamps.
fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl DynamoDbService {
    /// The wire `ContinuousBackupsDescription`.
    fn continuous_json(pitr: Option<&Pitr>, now: i64) -> Value {
        let mut d = json!({"PointInTimeRecoveryStatus": "DISABLED"});
        if let Some(p) = pitr {
            let (earliest, latest) = window(p, now);
            d = json!({
                "PointInTimeRecoveryStatus": "ENABLED",
                "RecoveryPeriodInDays": p.days,
                "EarliestRestorableDateTime": secs(earliest),
                "LatestRestorableDateTime": secs(latest),
            });
        }
        json!({"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": d})
    }

    /// The table for a backup operation, or `TableNotFoundException`.
    pub(crate) fn backup_table(
        &self,
        ctx: &RequestContext,
        name: &str,
    ) -> Result<(String, std::sync::Arc<crate::schema::TableMeta>), AwsError> {
        let name = self.table_name(name);
        self.meta(ctx, name, false).map_err(|_| {
            DynamoError::TableNotFoundNamed {
                name: name.to_string(),
            }
            .into()
        })
    }

    /// `UpdateContinuousBackups`.
    pub(crate) fn update_continuous_backups(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = input
            .get("TableName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (key, meta) = self.backup_table(ctx, name)?;
        let spec = input
            .get("PointInTimeRecoverySpecification")
            .cloned()
            .unwrap_or_default();
        let enable = spec
            .get("PointInTimeRecoveryEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let days = spec.get("RecoveryPeriodInDays").and_then(Value::as_i64);
        if let Some(d) = days {
            if !(1..=35).contains(&d) {
                return Err(invalid(format!(
                    "RecoveryPeriodInDays must be between 1 and 35, got {d}"
                )));
            }
        }
        let now = ctx.clock.now_millis();
        let mut meta = (*meta).clone();
        meta.pitr = match (enable, meta.pitr.take()) {
            (false, _) => None,
            (true, Some(p)) => Some(Pitr {
                days: days.unwrap_or(p.days),
                ..p
            }),
            (true, None) => Some(Pitr {
                enabled_ms: now,
                days: days.unwrap_or(35),
            }),
        };
        self.s.store.write(|txn| -> Result<(), AwsError> {
            storage::put_meta(&self.s, txn, &key, &mut meta)?;
            if meta.pitr.is_none() {
                storage::clear_prefix(txn, &self.s.pitr_log, &storage::items_base(&key))?;
            }
            Ok(())
        })?;
        self.forget(&key);
        Ok(json!({"ContinuousBackupsDescription": Self::continuous_json(meta.pitr.as_ref(), now)}))
    }

    /// `DescribeContinuousBackups`.
    pub(crate) fn describe_continuous_backups(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let name = input
            .get("TableName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (_, meta) = self.backup_table(ctx, name)?;
        let now = ctx.clock.now_millis();
        Ok(json!({"ContinuousBackupsDescription": Self::continuous_json(meta.pitr.as_ref(), now)}))
    }

    /// `RestoreTableToPointInTime`: a new table holding the source's
    /// items as they were at the time asked.
    pub(crate) fn restore_table_to_point_in_time(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let source = input
            .get("SourceTableName")
            .or_else(|| input.get("SourceTableArn"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (skey, smeta) = self.backup_table(ctx, source)?;
        let Some(p) = &smeta.pitr else {
            return Err(DynamoError::PitrUnavailable {
                name: smeta.name.clone(),
            }
            .into());
        };
        let now = ctx.clock.now_millis();
        let (earliest, latest) = window(p, now);
        let latest_asked = input
            .get("UseLatestRestorableTime")
            .and_then(Value::as_bool)
            == Some(true);
        let at = match (
            latest_asked,
            input.get("RestoreDateTime").and_then(Value::as_f64),
        ) {
            (true, Some(_)) => {
                return Err(invalid(
                    "Only one of RestoreDateTime or UseLatestRestorableTime can be specified",
                ))
            }
            (true, None) => latest,
            (false, Some(t)) => (t * 1000.0).round() as i64,
            (false, None) => {
                return Err(invalid(
                    "RestoreDateTime must be specified when UseLatestRestorableTime is false",
                ))
            }
        };
        if at < earliest || at > latest {
            return Err(DynamoError::InvalidRestoreTime.into());
        }
        let summary = json!({
            "SourceTableArn": smeta.arn,
            "RestoreDateTime": secs(at),
            "RestoreInProgress": false,
        });
        let target = input
            .get("TargetTableName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let meta = restored_meta(ctx, &smeta, target, &input, summary)?;
        let from = RestoreFrom::PointInTime { skey, at };
        self.restore_into(ctx, meta, from)
    }

    /// The source table's items as they were at `at` (epoch ms), read in
    /// `txn`: its items now, with every later change undone.
    pub(crate) fn items_at(
        &self,
        txn: &WriteTxn,
        skey: &str,
        at: i64,
    ) -> Result<BTreeMap<String, Value>, AwsError> {
        let base = storage::items_base(skey);
        let mut items: BTreeMap<String, Value> = txn
            .scan_prefix(&self.s.items, &base)?
            .into_iter()
            .map(|(k, v)| (k[base.len()..].to_string(), v))
            .collect();
        let after = format!("{base}{:020}/~", at.max(0));
        let log = txn.scan_prefix(&self.s.pitr_log, &base)?;
        for (entry, change) in log.into_iter().rev() {
            if entry < after {
                break;
            }
            let Some(k) = change.get("k").and_then(Value::as_str) else {
                continue;
            };
            match change.get("o") {
                Some(o) if !o.is_null() => {
                    items.insert(k.to_string(), o.clone());
                }
                _ => {
                    items.remove(k);
                }
            }
        }
        Ok(items)
    }

    /// Drops a table's log entries older than its recovery period.
    pub(crate) fn prune_pitr(&self, tkey: &str, now_ms: i64) -> Result<(), AwsError> {
        let Some(meta) = self.cached_meta(tkey)? else {
            return Ok(());
        };
        let Some(p) = &meta.pitr else {
            return Ok(());
        };
        let base = storage::items_base(tkey);
        let cutoff = format!("{base}{:020}/", (now_ms - p.days * DAY_MS).max(0));
        let old = self
            .s
            .pitr_log
            .scan_range(&base, Some(&cutoff), PRUNE_PASS)?;
        if old.is_empty() {
            return Ok(());
        }
        self.s.store.write(|txn| -> Result<(), AwsError> {
            for (k, _) in &old {
                txn.delete(&self.s.pitr_log, k)?;
            }
            Ok(())
        })
    }
}
