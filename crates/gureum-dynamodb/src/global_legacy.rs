//! Global tables version 2017.11.29 (legacy): `CreateGlobalTable`,
//! `DescribeGlobalTable`, `UpdateGlobalTable`, `ListGlobalTables`. A
//! legacy global table joins tables that already exist, one per region,
//! empty, with the same key schema and a `NEW_AND_OLD_IMAGES` stream (AWS's
//! rules); once joined, they replicate exactly as version 2019.11.21
//! replicas do ([`crate::replicas`]). The group is also recorded as an
//! account-wide object (`dynamodb.global_tables`: `account/name`).
//!
//! Not served: the `aws:rep:*` attributes the legacy version adds to
//! items, and the `…GlobalTableSettings` operations.

use crate::errors::{validation, DynamoError};
use crate::schema::{Replica, TableMeta};
use crate::storage;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// The version of global tables this module serves.
pub const VERSION: &str = "2017.11.29";

/// A legacy global table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalTable {
    /// Its name (every member table's).
    pub name: String,
    /// When it was created, epoch ms.
    pub created_ms: i64,
    /// The regions of its replicas.
    pub regions: Vec<String>,
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl GlobalTable {
    /// `GlobalTableDescription`.
    fn describe(&self, account: &str) -> Value {
        json!({
            "GlobalTableName": self.name,
            "GlobalTableArn": format!("arn:aws:dynamodb::{account}:global-table/{}", self.name),
            "CreationDateTime": self.created_ms as f64 / 1000.0,
            "GlobalTableStatus": "ACTIVE",
            "ReplicationGroup": self.regions.iter().map(|r| json!({"RegionName": r, "ReplicaStatus": "ACTIVE"})).collect::<Vec<_>>(),
        })
    }
}

impl DynamoDbService {
    /// The member table `name` in `region`, checked against AWS's rules
    /// for joining a legacy global table.
    fn joinable(
        &self,
        account: &str,
        region: &str,
        name: &str,
    ) -> Result<(String, TableMeta), AwsError> {
        if gureum_core::region::find(region).is_none() {
            return Err(validation(format!(
                "Provided region_name {region} is not a valid AWS region."
            )));
        }
        let key = format!("{account}/{region}/{name}");
        let Some(meta) = self.s.tables.get(&key)? else {
            return Err(DynamoError::TableNotFoundNamed {
                name: name.to_string(),
            }
            .into());
        };
        if meta.stream_view() != Some("NEW_AND_OLD_IMAGES") {
            return Err(validation(format!(
                "One or more parameter values were invalid: Table {name} in region {region} must have DynamoDB Streams enabled with the NEW_AND_OLD_IMAGES view type"
            )));
        }
        if self.s.stats.get(&key)?.unwrap_or_default().items > 0 {
            return Err(validation(format!(
                "One or more parameter values were invalid: Table {name} in region {region} is not empty"
            )));
        }
        if !meta.replicas.is_empty() {
            return Err(DynamoError::GlobalTableExists {
                name: name.to_string(),
            }
            .into());
        }
        Ok((key, meta))
    }

    /// Makes `regions` the group of every member, with replication
    /// positions at each stream's end, in `txn`; answers the keys.
    fn join(
        &self,
        txn: &mut WriteTxn,
        account: &str,
        name: &str,
        regions: &[String],
        leaving: &[String],
    ) -> Result<Vec<String>, AwsError> {
        let group: BTreeMap<String, Replica> = if regions.len() > 1 {
            regions
                .iter()
                .map(|r| {
                    (
                        r.clone(),
                        Replica {
                            status: "ACTIVE".into(),
                            by: r.clone(),
                            class: None,
                        },
                    )
                })
                .collect()
        } else {
            BTreeMap::new()
        };
        let mut touched = vec![];
        for r in regions.iter().chain(leaving) {
            let key = format!("{account}/{r}/{name}");
            let Some(mut m) = txn.get(&self.s.tables, &key)? else {
                continue;
            };
            let member = regions.contains(r) && !group.is_empty();
            let seq = match &m.stream_label {
                Some(l) => txn
                    .get(&self.s.sequences, &format!("{key}/{l}"))?
                    .unwrap_or(0),
                None => 0,
            };
            for other in regions.iter().chain(leaving).filter(|o| *o != r) {
                let cursor = format!("{key}/{other}");
                let known = txn.get(&self.s.replication, &cursor)?.is_some();
                if member && regions.contains(other) && !known {
                    txn.put(&self.s.replication, &cursor, &seq)?;
                } else if !member || !regions.contains(other) {
                    txn.delete(&self.s.replication, &cursor)?;
                }
            }
            m.replicas = if member {
                group.clone()
            } else {
                BTreeMap::new()
            };
            m.legacy_global = member;
            storage::put_meta(&self.s, txn, &key, &mut m)?;
            touched.push(key);
        }
        Ok(touched)
    }

    /// `CreateGlobalTable`.
    pub(crate) fn create_global_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = s(&input, "GlobalTableName").unwrap_or_default().to_string();
        let account = ctx.account_id.clone();
        let mut regions: Vec<String> = vec![];
        for r in input
            .get("ReplicationGroup")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = s(r, "RegionName").unwrap_or_default().to_string();
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
        let gkey = format!("{account}/{name}");
        if self.s.global_tables.get(&gkey)?.is_some() {
            return Err(DynamoError::GlobalTableExists { name }.into());
        }
        let mut first: Option<TableMeta> = None;
        for r in &regions {
            let (_, m) = self.joinable(&account, r, &name)?;
            if let Some(f) = &first {
                if f.keys != m.keys {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Table {name} in region {r} has a key schema different from the other replicas"
                    )));
                }
            } else {
                first = Some(m);
            }
        }
        let record = GlobalTable {
            name: name.clone(),
            created_ms: ctx.clock.now_millis(),
            regions: regions.clone(),
        };
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            if txn.get(&self.s.global_tables, &gkey)?.is_some() {
                return Err(DynamoError::GlobalTableExists { name: name.clone() }.into());
            }
            txn.put(&self.s.global_tables, &gkey, &record)?;
            self.join(txn, &account, &name, &regions, &[])
        })?;
        for k in touched {
            self.forget(&k);
        }
        Ok(json!({ "GlobalTableDescription": record.describe(&account) }))
    }

    /// The legacy global table `name`, or AWS's not-found error.
    fn global_table(&self, ctx: &RequestContext, name: &str) -> Result<GlobalTable, AwsError> {
        self.s
            .global_tables
            .get(&format!("{}/{name}", ctx.account_id))?
            .ok_or_else(|| {
                DynamoError::GlobalTableNotFound {
                    name: name.to_string(),
                }
                .into()
            })
    }

    /// `DescribeGlobalTable`.
    pub(crate) fn describe_global_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let g = self.global_table(ctx, s(&input, "GlobalTableName").unwrap_or_default())?;
        Ok(json!({ "GlobalTableDescription": g.describe(&ctx.account_id) }))
    }

    /// `UpdateGlobalTable`: adds (an existing empty table with its
    /// stream) or removes (the table stays, on its own) replicas.
    pub(crate) fn update_global_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = s(&input, "GlobalTableName").unwrap_or_default().to_string();
        let account = ctx.account_id.clone();
        let mut g = self.global_table(ctx, &name)?;
        let mut leaving = vec![];
        for u in input
            .get("ReplicaUpdates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = u.get("Create").and_then(|c| s(c, "RegionName")) {
                if g.regions.iter().any(|x| x == r) {
                    return Err(DynamoError::ReplicaExists {
                        region: r.to_string(),
                    }
                    .into());
                }
                self.joinable(&account, r, &name)?;
                g.regions.push(r.to_string());
            } else if let Some(r) = u.get("Delete").and_then(|c| s(c, "RegionName")) {
                let before = g.regions.len();
                g.regions.retain(|x| x != r);
                if g.regions.len() == before {
                    return Err(DynamoError::ReplicaMissing {
                        region: r.to_string(),
                    }
                    .into());
                }
                leaving.push(r.to_string());
            }
        }
        let gkey = format!("{account}/{name}");
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            txn.put(&self.s.global_tables, &gkey, &g)?;
            self.join(txn, &account, &name, &g.regions, &leaving)
        })?;
        for k in touched {
            self.forget(&k);
        }
        Ok(json!({ "GlobalTableDescription": g.describe(&account) }))
    }

    /// `ListGlobalTables`: by name, `Limit` (default 100),
    /// `ExclusiveStartGlobalTableName`, optionally only those with a
    /// replica in `RegionName`.
    pub(crate) fn list_global_tables(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let limit = input.get("Limit").and_then(Value::as_u64).unwrap_or(100) as usize;
        if limit == 0 {
            return Err(validation(
                "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
            ));
        }
        let prefix = format!("{}/", ctx.account_id);
        let after = s(&input, "ExclusiveStartGlobalTableName").map(|n| format!("{prefix}{n}"));
        let region = s(&input, "RegionName");
        let mut list = vec![];
        let mut last = None;
        for (_, g) in
            self.s
                .global_tables
                .scan_prefix_after(&prefix, after.as_deref(), usize::MAX)?
        {
            if region.is_some_and(|r| !g.regions.iter().any(|x| x == r)) {
                continue;
            }
            if list.len() == limit {
                last = list.last().map(|v: &Value| v["GlobalTableName"].clone());
                break;
            }
            list.push(json!({
                "GlobalTableName": g.name,
                "ReplicationGroup": g.regions.iter().map(|r| json!({"RegionName": r})).collect::<Vec<_>>(),
            }));
        }
        let mut out = json!({ "GlobalTables": list });
        if let Some(l) = last {
            out["LastEvaluatedGlobalTableName"] = l;
        }
        Ok(out)
    }

    /// DeleteTable of a legacy member: its region leaves the recorded
    /// group too, in `txn`.
    pub(crate) fn leave_legacy(
        &self,
        txn: &mut WriteTxn,
        key: &str,
        meta: &TableMeta,
    ) -> Result<(), AwsError> {
        if !meta.legacy_global {
            return Ok(());
        }
        let mut it = key.splitn(3, '/');
        let (account, region) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
        let gkey = format!("{account}/{}", meta.name);
        if let Some(mut g) = txn.get(&self.s.global_tables, &gkey)? {
            g.regions.retain(|r| r != region);
            txn.put(&self.s.global_tables, &gkey, &g)?;
        }
        Ok(())
    }
}
