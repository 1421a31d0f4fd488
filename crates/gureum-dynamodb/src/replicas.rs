//! Global tables, version 2019.11.21: `UpdateTable` with `ReplicaUpdates`
//! adds or removes a replica, a full table of the same name in another
//! region's scope, and every change made in one member reaches the others
//! asynchronously on the clock.
//!
//! Every member keeps the same replication group (region → state) in its
//! description. A new replica is `CREATING` until the next tick, when the
//! region that was asked builds it in one store transaction: the table,
//! every existing item, and the replication positions. Replication reads
//! each member's own stream (enabled with `NEW_AND_OLD_IMAGES`, as AWS
//! does) from a stored position per destination (`dynamodb.replication`)
//! and applies each change there if it is newer than the item's last
//! write (`dynamodb.replica_times`: time, then region name on a tie —
//! last writer wins). A replicated change is marked in the destination's
//! stream so it is not sent on again. Positions are stored, so
//! replication resumes after a restart. The work on the clock is in
//! `replication.rs`.

use crate::errors::validation;
use crate::schema::{IndexMeta, Replica, TableMeta};
use crate::storage;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde_json::json;
use std::collections::BTreeMap;

/// The version of global tables this module serves.
pub const VERSION: &str = "2019.11.21";
fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// `(account, region, table)` of a table's store key.
pub(crate) fn parts(key: &str) -> (&str, &str, &str) {
    let mut it = key.splitn(3, '/');
    let a = it.next().unwrap_or_default();
    let r = it.next().unwrap_or_default();
    (a, r, it.next().unwrap_or_default())
}

/// The store key of the member of `key`'s group in `region`.
pub(crate) fn member_key(key: &str, region: &str) -> String {
    let (a, _, n) = parts(key);
    format!("{a}/{region}/{n}")
}

/// The `Replicas` and `GlobalTableVersion` members of a description: the
/// group's other regions (the table's own is not listed).
pub(crate) fn describe_into(d: &mut Value, m: &TableMeta) {
    if m.replicas.is_empty() {
        return;
    }
    let here = m.arn.split(':').nth(3).unwrap_or_default();
    let list: Vec<Value> = m
        .replicas
        .iter()
        .filter(|(r, _)| r.as_str() != here)
        .map(|(r, rep)| {
            let mut v = json!({"RegionName": r, "ReplicaStatus": rep.status});
            if rep.status == "CREATING" {
                v["ReplicaStatusPercentProgress"] = json!("0");
            }
            if let Some(c) = &rep.class {
                v["ReplicaTableClassSummary"] = json!({"TableClass": c});
            }
            v
        })
        .collect();
    let version = if m.legacy_global {
        crate::global_legacy::VERSION
    } else {
        VERSION
    };
    d["GlobalTableVersion"] = json!(version);
    d["Replicas"] = Value::Array(list);
}

/// Whether the group is still changing (a replica being built or
/// removed): the table answers `UPDATING` meanwhile.
pub(crate) fn settling(m: &TableMeta) -> bool {
    m.replicas.values().any(|r| r.status != "ACTIVE")
}

/// The stream settings a global table must keep (UpdateTable refuses
/// turning its stream off).
pub(crate) fn check_stream_change(m: &TableMeta, enable: bool) -> Result<(), AwsError> {
    if !enable && !m.replicas.is_empty() {
        return Err(validation(format!(
            "Table {} is a global table replica; its stream cannot be disabled while it has replicas",
            m.name
        )));
    }
    Ok(())
}

impl DynamoDbService {
    /// `UpdateTable` with `ReplicaUpdates` (alone, as AWS takes one kind
    /// of change per call).
    pub(crate) fn update_replicas(&self, ctx: &RequestContext, input: &Value) -> OpResult {
        let name = s(input, "TableName").unwrap_or_default();
        let (key, meta) = self.meta(ctx, name, true)?;
        let mut meta = (*meta).clone();
        let others = [
            "ProvisionedThroughput",
            "BillingMode",
            "StreamSpecification",
            "GlobalSecondaryIndexUpdates",
            "SSESpecification",
            "TableClass",
            "DeletionProtectionEnabled",
        ];
        if let Some(m) = others.iter().find(|m| input.get(**m).is_some()) {
            return Err(validation(format!(
                "ReplicaUpdates cannot be combined with {m} in one UpdateTable request"
            )));
        }
        let here = ctx.region.clone();
        let now = ctx.clock.now_millis();
        if meta.legacy_global {
            return Err(validation(format!(
                "Table {} is a replica of a global table of version 2017.11.29: use UpdateGlobalTable",
                meta.name
            )));
        }
        if settling(&meta) {
            return Err(crate::DynamoError::InUse {
                message: format!(
                    "Attempt to change a resource which is still in use: Table is being updated: {}",
                    meta.name
                ),
            }
            .into());
        }
        let updates = input
            .get("ReplicaUpdates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if updates.is_empty() {
            return Err(validation(
                "1 validation error detected: Value '[]' at 'replicaUpdates' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        let mut group = meta.replicas.clone();
        group.entry(here.clone()).or_insert_with(|| Replica {
            status: "ACTIVE".into(),
            by: here.clone(),
            class: None,
        });
        for u in &updates {
            if let Some(c) = u.get("Create") {
                let r = s(c, "RegionName").unwrap_or_default();
                self.check_new_replica(&key, &meta, r, &here)?;
                if group.contains_key(r) {
                    return Err(exists(&meta.name));
                }
                for m in ["ProvisionedThroughputOverride", "GlobalSecondaryIndexes"] {
                    if c.get(m).is_some() {
                        return Err(validation(format!(
                            "{m} cannot be specified for a replica of a table whose billing mode is PAY_PER_REQUEST"
                        )));
                    }
                }
                group.insert(
                    r.to_string(),
                    Replica {
                        status: "CREATING".into(),
                        by: here.clone(),
                        class: s(c, "TableClassOverride").map(String::from),
                    },
                );
            } else if let Some(c) = u.get("Update") {
                let r = s(c, "RegionName").unwrap_or_default();
                let Some(rep) = group.get_mut(r) else {
                    return Err(not_member(&meta.name, r));
                };
                match s(c, "TableClassOverride") {
                    Some(class) => rep.class = Some(class.to_string()),
                    None => {
                        return Err(validation(
                            "Only TableClassOverride can be updated for a replica of a table whose billing mode is PAY_PER_REQUEST",
                        ))
                    }
                }
            } else if let Some(c) = u.get("Delete") {
                let r = s(c, "RegionName").unwrap_or_default();
                if r == here {
                    return Err(validation(format!(
                        "Cannot delete the replica in the region the request is sent to ({here}); use DeleteTable there"
                    )));
                }
                let Some(rep) = group.get_mut(r) else {
                    return Err(not_member(&meta.name, r));
                };
                rep.status = "DELETING".into();
                rep.by = here.clone();
            } else {
                return Err(validation(
                    "One of Create, Update or Delete must be specified in a ReplicationGroupUpdate",
                ));
            }
        }
        // AWS turns the stream on for replication (NEW_AND_OLD_IMAGES).
        if meta.stream_view().is_none() {
            meta.stream =
                Some(json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}));
            meta.stream_label = Some(crate::tables::stream_label(now));
        }
        meta.replicas = group.clone();
        meta.updated_ms = Some(now);
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            storage::put_meta(&self.s, txn, &key, &mut meta)?;
            self.share_group(txn, &key, &group)
        })?;
        self.forget(&key);
        for k in touched {
            self.forget(&k);
        }
        Ok(json!({ "TableDescription": self.describe(&key, &meta, "UPDATING")? }))
    }

    /// AWS's conditions on a new replica of `meta` in `region`.
    fn check_new_replica(
        &self,
        key: &str,
        meta: &TableMeta,
        region: &str,
        here: &str,
    ) -> Result<(), AwsError> {
        if gureum_core::region::find(region).is_none() {
            return Err(validation(format!(
                "Provided region_name {region} is not a valid AWS region."
            )));
        }
        if region == here {
            return Err(validation(format!(
                "Cannot add replica in the same region as the table: {region}"
            )));
        }
        if meta.billing != "PAY_PER_REQUEST" {
            return Err(validation(
                "Table write capacity should either be Pay-Per-Request or AutoScaled.",
            ));
        }
        if let Some(v) = meta.stream_view() {
            if v != "NEW_AND_OLD_IMAGES" {
                return Err(validation(format!(
                    "Table {} has a stream with StreamViewType {v}; replicas need NEW_AND_OLD_IMAGES",
                    meta.name
                )));
            }
        }
        if self.s.tables.get(&member_key(key, region))?.is_some() {
            return Err(exists(&meta.name));
        }
        Ok(())
    }

    /// Writes `group` into every other existing member of `key`'s group,
    /// in `txn`; answers their keys (for the cache).
    pub(crate) fn share_group(
        &self,
        txn: &mut WriteTxn,
        key: &str,
        group: &BTreeMap<String, Replica>,
    ) -> Result<Vec<String>, AwsError> {
        let (_, here, _) = parts(key);
        let mut touched = vec![];
        for r in group.keys().filter(|r| r.as_str() != here) {
            let k = member_key(key, r);
            if let Some(mut m) = txn.get(&self.s.tables, &k)? {
                if let Some(c) = group.get(r).and_then(|x| x.class.clone()) {
                    m.class = c;
                }
                m.replicas = group.clone();
                storage::put_meta(&self.s, txn, &k, &mut m)?;
                touched.push(k);
            }
        }
        Ok(touched)
    }

    /// DeleteTable of a member: the others forget it (a group of one is
    /// an ordinary table again), in `txn`.
    pub(crate) fn leave_group(
        &self,
        txn: &mut WriteTxn,
        key: &str,
        meta: &TableMeta,
    ) -> Result<Vec<String>, AwsError> {
        if meta.replicas.is_empty() {
            return Ok(vec![]);
        }
        let (_, here, _) = parts(key);
        let mut group = meta.replicas.clone();
        group.remove(here);
        for r in group.keys() {
            txn.delete(&self.s.replication, &member_key(key, r))?;
            let from = format!("{}/{here}", member_key(key, r));
            txn.delete(&self.s.replication, &from)?;
        }
        if group.len() == 1 {
            group.clear();
        }
        let mut touched = vec![];
        for r in meta.replicas.keys().filter(|r| r.as_str() != here) {
            let k = member_key(key, r);
            if let Some(mut m) = txn.get(&self.s.tables, &k)? {
                m.replicas = group.clone();
                m.legacy_global &= !group.is_empty();
                storage::put_meta(&self.s, txn, &k, &mut m)?;
                touched.push(k);
            }
        }
        Ok(touched)
    }

    /// Deletes a table's description and everything stored under it, in
    /// `txn` (DeleteTable, a replica's removal).
    pub(crate) fn drop_table_data(&self, txn: &mut WriteTxn, key: &str) -> Result<(), AwsError> {
        txn.delete(&self.s.tables, key)?;
        // A write that read the description before this commit sees the
        // generation move and finds no table.
        let g = txn.get(&self.s.generations, key)?.unwrap_or(0);
        txn.put(&self.s.generations, key, &(g + 1))?;
        txn.delete(&self.s.stats, key)?;
        let base = storage::items_base(key);
        storage::clear_prefix(txn, &self.s.items, &base)?;
        storage::clear_prefix(txn, &self.s.index, &base)?;
        storage::clear_prefix(txn, &self.s.ttl, &base)?;
        storage::clear_prefix(txn, &self.s.records, &base)?;
        storage::clear_prefix(txn, &self.s.pitr_log, &base)?;
        storage::clear_prefix(txn, &self.s.replica_times, &base)?;
        storage::clear_prefix(txn, &self.s.replication, &base)?;
        txn.delete(&self.s.insights, key)?;
        storage::clear_prefix(txn, &self.s.insights, &base)?;
        storage::clear_prefix(txn, &self.s.insight_counts, &base)?;
        Ok(())
    }

    /// Adds or removes indexes on every other member of a global table,
    /// as UpdateTable just did on `key`'s (replica GSIs stay the same),
    /// in `txn`.
    pub(crate) fn share_indexes(
        &self,
        txn: &mut WriteTxn,
        key: &str,
        meta: &TableMeta,
        created: Option<&IndexMeta>,
        deleted: &[String],
    ) -> Result<Vec<String>, AwsError> {
        let (_, here, _) = parts(key);
        let mut touched = vec![];
        for r in meta.replicas.keys().filter(|r| r.as_str() != here) {
            let k = member_key(key, r);
            let Some(mut m) = txn.get(&self.s.tables, &k)? else {
                continue;
            };
            m.attrs = meta.attrs.clone();
            m.gsis.retain(|g| !deleted.contains(&g.name));
            if let Some(idx) = created {
                m.gsis.push(idx.clone());
            }
            storage::put_meta(&self.s, txn, &k, &mut m)?;
            let mut st = txn.get(&self.s.stats, &k)?.unwrap_or_default();
            for n in deleted {
                storage::clear_prefix(txn, &self.s.index, &storage::index_base(&k, n))?;
                st.indexes.remove(n);
            }
            txn.put(&self.s.stats, &k, &st)?;
            if let Some(idx) = created {
                storage::backfill(&self.s, txn, &k, &m, idx)?;
            }
            touched.push(k);
        }
        Ok(touched)
    }
}

/// A replica that already exists (as a member or a table of that name).
fn exists(name: &str) -> AwsError {
    validation(format!(
        "Failed to create a the new replica of table with name: '{name}' because one or more replicas already existed as tables."
    ))
}

/// A region that is not a member of the group.
fn not_member(name: &str, region: &str) -> AwsError {
    validation(format!(
        "Replica specified in the Replica Update or Replica Delete action of the request was not found: Region {region} of table {name}"
    ))
}
