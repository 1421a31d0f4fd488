//! Table operations: CreateTable, DescribeTable, ListTables, DeleteTable,
//! UpdateTable, tags, TTL settings, DescribeLimits, DescribeEndpoints.
//!
//! Status on the clock: CreateTable answers `CREATING` and UpdateTable
//! `UPDATING` (a new index `CREATING` with `Backfilling`), as AWS does;
//! every later read sees `ACTIVE`, because the work (an index's backfill
//! included) is done inside the call's own transaction. DynamoDB Local
//! answers `ACTIVE` at once; boto3's waiters poll every 20 s, so a table
//! that stayed `CREATING` would cost every test that long.

use crate::errors::{invalid, validation, DynamoError};
use crate::schema::{IndexMeta, KeySchema, TableMeta, Ttl};
use crate::storage::{self, Stats};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Most global secondary indexes per table.
const MAX_GSIS: usize = 20;
/// Most local secondary indexes per table.
const MAX_LSIS: usize = 5;
/// Most tags per resource.
const MAX_TAGS: usize = 50;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Reads a KeySchema member.
fn key_schema(v: Option<&Value>, what: &str) -> Result<KeySchema, AwsError> {
    let list = v.and_then(Value::as_array).cloned().unwrap_or_default();
    if list.is_empty() || list.len() > 2 {
        return Err(validation(format!(
            "1 validation error detected: Value null at '{what}' failed to satisfy constraint: Member must not be null"
        )));
    }
    let name = |e: &Value| s(e, "AttributeName").unwrap_or_default().to_string();
    let ty = |e: &Value| s(e, "KeyType").unwrap_or_default().to_string();
    if ty(&list[0]) != "HASH" {
        return Err(validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    let range = match list.get(1) {
        Some(e) => {
            if ty(e) != "RANGE" {
                return Err(validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ));
            }
            if name(e) == name(&list[0]) {
                return Err(validation(
                    "Both the Hash Key and the Range Key element in the KeySchema have the same name",
                ));
            }
            Some(name(e))
        }
        None => None,
    };
    Ok(KeySchema {
        hash: name(&list[0]),
        range,
    })
}

fn throughput(v: Option<&Value>) -> Option<(i64, i64)> {
    let v = v?;
    Some((
        v.get("ReadCapacityUnits")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        v.get("WriteCapacityUnits")
            .and_then(Value::as_i64)
            .unwrap_or(0),
    ))
}

/// Reads one index definition (CreateTable's lists, UpdateTable's Create).
fn index_def(v: &Value, global: bool, ppr: bool, now: i64) -> Result<IndexMeta, AwsError> {
    let name = s(v, "IndexName").unwrap_or_default().to_string();
    let keys = key_schema(v.get("KeySchema"), "keySchema")?;
    let projection = v.get("Projection").cloned().unwrap_or(json!({}));
    let ptype = s(&projection, "ProjectionType").unwrap_or("").to_string();
    let non_key: Vec<String> = projection
        .get("NonKeyAttributes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    if ptype.is_empty() {
        return Err(invalid("Unknown ProjectionType: null"));
    }
    if ptype == "INCLUDE" && non_key.is_empty() {
        return Err(invalid(
            "NonKeyAttributes must not be empty when ProjectionType is INCLUDE",
        ));
    }
    if ptype != "INCLUDE" && !non_key.is_empty() {
        return Err(invalid(format!(
            "ProjectionType is {ptype}, but NonKeyAttributes is specified"
        )));
    }
    let (mut rcu, mut wcu) = (0, 0);
    if global {
        match (throughput(v.get("ProvisionedThroughput")), ppr) {
            (Some(_), true) => {
                return Err(invalid(format!(
                    "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
                )))
            }
            (None, false) => {
                return Err(invalid(format!(
                    "ProvisionedThroughput must be specified for index: {name}"
                )))
            }
            (Some((r, w)), false) => {
                rcu = r;
                wcu = w;
            }
            (None, true) => {}
        }
    }
    Ok(IndexMeta {
        name,
        keys,
        projection: ptype,
        non_key,
        rcu,
        wcu,
        global,
        created_ms: now,
    })
}

fn attr_defs(v: Option<&Value>) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for d in v.and_then(Value::as_array).cloned().unwrap_or_default() {
        let name = s(&d, "AttributeName").unwrap_or_default().to_string();
        let ty = s(&d, "AttributeType").unwrap_or_default().to_string();
        if out.insert(name.clone(), ty).is_some() {
            return Err(invalid(format!(
                "Cannot have two attributes with the same name: {name}"
            )));
        }
    }
    Ok(out)
}

/// AWS's checks of key attributes against the definitions: every key
/// attribute defined, every definition used (the wording depends on
/// whether the table has indexes, as AWS's does).
fn check_definitions(
    keys: &KeySchema,
    indexes: &[IndexMeta],
    defs: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let mut used: Vec<String> = keys.names().map(String::from).collect();
    for i in indexes {
        for n in i.keys.names() {
            if !used.iter().any(|u| u == n) {
                used.push(n.to_string());
            }
        }
    }
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    let defined: Vec<String> = defs.keys().cloned().collect();
    let missing: Vec<String> = used
        .iter()
        .filter(|k| !defs.contains_key(*k))
        .cloned()
        .collect();
    let has_indexes = !indexes.is_empty();
    if defs.len() > used.len() {
        return Err(invalid(if has_indexes {
            format!(
                "Some AttributeDefinitions are not used. AttributeDefinitions: {}, keys used: {}",
                list(&defined),
                list(&used)
            )
        } else {
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions".to_string()
        }));
    }
    if defs.len() < used.len() && !has_indexes {
        return Err(validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if !missing.is_empty() {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: {}, AttributeDefinitions: {}",
            list(if has_indexes { &missing } else { &used }),
            list(&defined)
        )));
    }
    Ok(())
}

/// Members of global tables' other modes (multi-region strong
/// consistency, witnesses, settings modes) and CreateTable's inline
/// resource policy, which Gureum does not serve: refused rather than
/// silently ignored.
fn refuse_unsupported(input: &Value) -> Result<(), AwsError> {
    for m in [
        "ResourcePolicy",
        "GlobalTableSourceArn",
        "GlobalTableSettingsReplicationMode",
        "MultiRegionConsistency",
        "GlobalTableWitnessUpdates",
    ] {
        if input.get(m).is_some() {
            return Err(validation(format!("{m} is not supported by Gureum")));
        }
    }
    Ok(())
}

/// The settings a table echoes back (`SSESpecification`,
/// `OnDemandThroughput`, `WarmThroughput`).
fn read_settings(input: &Value, into: &mut BTreeMap<String, Value>) {
    for m in ["SSESpecification", "OnDemandThroughput", "WarmThroughput"] {
        if let Some(v) = input.get(m) {
            into.insert(m.to_string(), v.clone());
        }
    }
}

fn tags_of(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        s(t, "Key").unwrap_or_default().to_string(),
                        s(t, "Value").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

impl DynamoDbService {
    /// The table `name` in the caller's scope, or AWS's not-found error
    /// (`control`: the control plane's wording, naming the table).
    pub(crate) fn meta(
        &self,
        ctx: &RequestContext,
        name: &str,
        control: bool,
    ) -> Result<(String, Arc<TableMeta>), AwsError> {
        let key = self.table_key(ctx, name);
        match self.cached_meta(&key)? {
            Some(m) => Ok((key, m)),
            None if control => Err(DynamoError::TableNotFound {
                name: name.to_string(),
            }
            .into()),
            None => Err(DynamoError::NotFound.into()),
        }
    }

    /// The table named by a `TableName` member that may also be an ARN.
    pub(crate) fn table_name<'a>(&self, name: &'a str) -> &'a str {
        match name.rsplit_once(":table/") {
            Some((_, n)) => n,
            None => name,
        }
    }

    /// `account/region/name`.
    pub(crate) fn table_key(&self, ctx: &RequestContext, name: &str) -> String {
        Scope::regional(ctx).key(self.table_name(name))
    }

    /// The wire TableDescription.
    pub(crate) fn describe(
        &self,
        key: &str,
        m: &TableMeta,
        status: &str,
    ) -> Result<Value, AwsError> {
        let status = if status == "ACTIVE" && crate::replicas::settling(m) {
            "UPDATING"
        } else {
            status
        };
        let stats: Stats = self.s.stats.get(key)?.unwrap_or_default();
        let ppr = m.billing == "PAY_PER_REQUEST";
        let mut pt = json!({
            "NumberOfDecreasesToday": 0,
            "ReadCapacityUnits": if ppr { 0 } else { m.rcu },
            "WriteCapacityUnits": if ppr { 0 } else { m.wcu },
        });
        if let Some(t) = m.increased_ms {
            pt["LastIncreaseDateTime"] = json!(t as f64 / 1000.0);
        }
        if let Some(t) = m.decreased_ms {
            pt["LastDecreaseDateTime"] = json!(t as f64 / 1000.0);
        }
        let mut d = json!({
            "AttributeDefinitions": m.attrs.iter().map(|(k, v)| json!({"AttributeName": k, "AttributeType": v})).collect::<Vec<_>>(),
            "TableName": m.name,
            "KeySchema": m.keys.to_json(),
            "TableStatus": status,
            "CreationDateTime": m.created_ms as f64 / 1000.0,
            "ProvisionedThroughput": pt,
            "TableSizeBytes": stats.bytes.max(0),
            "ItemCount": stats.items.max(0),
            "TableArn": m.arn,
            "TableId": m.id,
            "DeletionProtectionEnabled": m.protected,
        });
        if ppr || m.ppr_since_ms.is_some() {
            let mut b = json!({"BillingMode": m.billing});
            if let Some(t) = m.ppr_since_ms {
                b["LastUpdateToPayPerRequestDateTime"] = json!(t as f64 / 1000.0);
            }
            d["BillingModeSummary"] = b;
        }
        if let Some(sse) = m.settings.get("SSESpecification") {
            if sse.get("Enabled").and_then(Value::as_bool) == Some(true) {
                let key = sse
                    .get("KMSMasterKeyId")
                    .and_then(Value::as_str)
                    .map_or_else(
                        || {
                            format!(
                                "arn:aws:kms:{}:{}:key/aws-dynamodb",
                                region_of(&m.arn),
                                account_of(&m.arn)
                            )
                        },
                        String::from,
                    );
                d["SSEDescription"] =
                    json!({"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key});
            }
        }
        if let Some(o) = m.settings.get("OnDemandThroughput") {
            d["OnDemandThroughput"] = o.clone();
        }
        if let Some(w) = m.settings.get("WarmThroughput") {
            d["WarmThroughput"] = json!({
                "ReadUnitsPerSecond": w.get("ReadUnitsPerSecond").cloned().unwrap_or(json!(12000)),
                "WriteUnitsPerSecond": w.get("WriteUnitsPerSecond").cloned().unwrap_or(json!(4000)),
                "Status": "ACTIVE",
            });
        }
        if m.class != "STANDARD" {
            d["TableClassSummary"] = json!({"TableClass": m.class});
        }
        let index_json = |i: &IndexMeta| {
            let (count, bytes) = stats.indexes.get(&i.name).copied().unwrap_or((0, 0));
            let mut v = json!({
                "IndexName": i.name,
                "KeySchema": i.keys.to_json(),
                "Projection": i.projection_json(),
                "IndexSizeBytes": bytes.max(0),
                "ItemCount": count.max(0),
                "IndexArn": format!("{}/index/{}", m.arn, i.name),
            });
            if i.global {
                let creating = status == "UPDATING" && m.updated_ms == Some(i.created_ms);
                v["IndexStatus"] = json!(if creating { "CREATING" } else { "ACTIVE" });
                if creating {
                    v["Backfilling"] = json!(true);
                }
                v["ProvisionedThroughput"] = json!({
                    "NumberOfDecreasesToday": 0,
                    "ReadCapacityUnits": if ppr { 0 } else { i.rcu },
                    "WriteCapacityUnits": if ppr { 0 } else { i.wcu },
                });
            }
            v
        };
        if !m.lsis.is_empty() {
            d["LocalSecondaryIndexes"] = Value::Array(m.lsis.iter().map(index_json).collect());
        }
        if !m.gsis.is_empty() {
            d["GlobalSecondaryIndexes"] = Value::Array(m.gsis.iter().map(index_json).collect());
        }
        if let Some(st) = &m.stream {
            if m.stream_view().is_some() {
                d["StreamSpecification"] = st.clone();
            }
        }
        if let Some(r) = &m.restore {
            d["RestoreSummary"] = r.clone();
        }
        crate::replicas::describe_into(&mut d, m);
        if let (Some(label), Some(arn)) = (&m.stream_label, m.stream_arn()) {
            d["LatestStreamLabel"] = json!(label);
            d["LatestStreamArn"] = json!(arn);
        }
        Ok(d)
    }

    /// `CreateTable`.
    pub(crate) fn create_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = s(&input, "TableName").unwrap_or_default().to_string();
        let now = ctx.clock.now_millis();
        refuse_unsupported(&input)?;
        let mut settings = BTreeMap::new();
        read_settings(&input, &mut settings);
        let keys = key_schema(input.get("KeySchema"), "keySchema")?;
        let defs = attr_defs(input.get("AttributeDefinitions"))?;
        let billing = s(&input, "BillingMode")
            .unwrap_or("PROVISIONED")
            .to_string();
        let ppr = billing == "PAY_PER_REQUEST";
        let (rcu, wcu) = match (throughput(input.get("ProvisionedThroughput")), ppr) {
            (Some(_), true) => {
                return Err(invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ))
            }
            (None, false) => {
                return Err(invalid(
                    "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
                ))
            }
            (Some(t), false) => t,
            (None, true) => (0, 0),
        };
        let mut gsis = vec![];
        for g in input
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            gsis.push(index_def(&g, true, ppr, now)?);
        }
        let mut lsis = vec![];
        for l in input
            .get("LocalSecondaryIndexes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            let i = index_def(&l, false, ppr, now)?;
            if keys.range.is_none() {
                return Err(invalid(
                    "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
                ));
            }
            if i.keys.range.is_none() {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {}",
                    i.name
                )));
            }
            if i.keys.hash != keys.hash {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                    i.name, i.keys.hash, keys.hash
                )));
            }
            lsis.push(i);
        }
        if gsis.len() > MAX_GSIS {
            return Err(invalid(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
            )));
        }
        if lsis.len() > MAX_LSIS {
            return Err(invalid(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
            )));
        }
        let mut names = BTreeSet::new();
        for i in lsis.iter().chain(gsis.iter()) {
            if !names.insert(i.name.clone()) {
                return Err(invalid(format!("Duplicate index name: {}", i.name)));
            }
        }
        let all: Vec<IndexMeta> = lsis.iter().chain(gsis.iter()).cloned().collect();
        check_definitions(&keys, &all, &defs)?;
        let tags = tags_of(input.get("Tags"));
        if tags.len() > MAX_TAGS {
            return Err(validation("The number of tags exceeds the limit of 50"));
        }
        let key = self.table_key(ctx, &name);
        let arn = format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            ctx.region, ctx.account_id, name
        );
        let mut meta = TableMeta {
            name: name.clone(),
            id: gureum_core::id::uuid_v4(),
            arn,
            created_ms: now,
            keys,
            attrs: defs,
            billing: billing.clone(),
            ppr_since_ms: ppr.then_some(now),
            rcu,
            wcu,
            increased_ms: None,
            decreased_ms: None,
            lsis,
            gsis,
            class: s(&input, "TableClass").unwrap_or("STANDARD").to_string(),
            protected: input
                .get("DeletionProtectionEnabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            tags,
            ttl: Ttl::default(),
            stream: input.get("StreamSpecification").cloned(),
            stream_label: input
                .get("StreamSpecification")
                .and_then(|v| v.get("StreamEnabled"))
                .and_then(Value::as_bool)
                .filter(|e| *e)
                .map(|_| stream_label(now)),
            settings,
            generation: 0,
            updated_ms: None,
            pitr: None,
            restore: None,
            policy: None,
            replicas: BTreeMap::new(),
            legacy_global: false,
        };
        self.s.store.write(|txn| -> Result<(), AwsError> {
            if txn.get(&self.s.tables, &key)?.is_some() {
                return Err(DynamoError::TableExists { name: name.clone() }.into());
            }
            storage::put_meta(&self.s, txn, &key, &mut meta)?;
            txn.put(&self.s.stats, &key, &Stats::default())?;
            Ok(())
        })?;
        self.forget(&key);
        Ok(json!({ "TableDescription": self.describe(&key, &meta, "CREATING")? }))
    }

    /// `DescribeTable`.
    pub(crate) fn describe_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), true)?;
        Ok(json!({ "Table": self.describe(&key, &meta, "ACTIVE")? }))
    }

    /// `ListTables`: names in order, `Limit` (1–100, default 100),
    /// `ExclusiveStartTableName`, `LastEvaluatedTableName` when more remain.
    pub(crate) fn list_tables(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let prefix = Scope::regional(ctx).prefix();
        let limit = input.get("Limit").and_then(Value::as_u64).unwrap_or(100) as usize;
        let after = s(&input, "ExclusiveStartTableName").map(|n| format!("{prefix}{n}"));
        let page = self
            .s
            .tables
            .scan_prefix_after(&prefix, after.as_deref(), limit + 1)?;
        let more = page.len() > limit;
        let names: Vec<&str> = page
            .iter()
            .take(limit)
            .map(|(k, _)| &k[prefix.len()..])
            .collect();
        let mut out = json!({ "TableNames": names });
        if more {
            if let Some(last) = names.last() {
                out["LastEvaluatedTableName"] = json!(last);
            }
        }
        Ok(out)
    }

    /// `DeleteTable`: refused while deletion protection is on; the items,
    /// index entries and counters go in the same transaction.
    pub(crate) fn delete_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), true)?;
        if meta.protected {
            return Err(validation(format!(
                "1 validation error detected: Table '{}' can't be deleted while DeletionProtectionEnabled is set to True",
                meta.name
            )));
        }
        let desc = self.describe(&key, &meta, "DELETING")?;
        // A global table's member leaves its group; the others stay.
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            self.leave_legacy(txn, &key, &meta)?;
            let others = self.leave_group(txn, &key, &meta)?;
            self.drop_table_data(txn, &key)?;
            Ok(others)
        })?;
        self.forget(&key);
        for k in touched {
            self.forget(&k);
        }
        Ok(json!({ "TableDescription": desc }))
    }

    /// `UpdateTable`: billing mode, throughput, class, deletion
    /// protection, streams, and index creation (with backfill) or removal.
    pub(crate) fn update_table(&self, ctx: &RequestContext, input: Value) -> OpResult {
        refuse_unsupported(&input)?;
        if input.get("ReplicaUpdates").is_some() {
            return self.update_replicas(ctx, &input);
        }
        let (key, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), true)?;
        let mut meta = (*meta).clone();
        let now = ctx.clock.now_millis();
        let before = meta.settings.len();
        read_settings(&input, &mut meta.settings);
        let mut changed = meta.settings.len() != before
            || ["SSESpecification", "OnDemandThroughput", "WarmThroughput"]
                .iter()
                .any(|m| input.get(*m).is_some());
        if let Some(b) = s(&input, "BillingMode") {
            if b != meta.billing {
                if b == "PAY_PER_REQUEST" {
                    meta.ppr_since_ms = Some(now);
                }
                meta.billing = b.to_string();
            }
            changed = true;
        }
        let ppr = meta.billing == "PAY_PER_REQUEST";
        if let Some((r, w)) = throughput(input.get("ProvisionedThroughput")) {
            if ppr {
                return Err(invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            if r == meta.rcu && w == meta.wcu && s(&input, "BillingMode").is_none() {
                return Err(validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {r}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {w}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    meta.rcu, meta.wcu
                )));
            }
            if r > meta.rcu || w > meta.wcu {
                meta.increased_ms = Some(now);
            }
            if r < meta.rcu || w < meta.wcu {
                meta.decreased_ms = Some(now);
            }
            meta.rcu = r;
            meta.wcu = w;
            changed = true;
        } else if s(&input, "BillingMode") == Some("PROVISIONED") && meta.rcu == 0 {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ));
        }
        if let Some(c) = s(&input, "TableClass") {
            meta.class = c.to_string();
            changed = true;
        }
        if let Some(p) = input
            .get("DeletionProtectionEnabled")
            .and_then(Value::as_bool)
        {
            meta.protected = p;
            changed = true;
        }
        if let Some(st) = input.get("StreamSpecification") {
            let enable = st.get("StreamEnabled").and_then(Value::as_bool) == Some(true);
            let on = meta.stream_view().is_some();
            crate::replicas::check_stream_change(&meta, enable)?;
            if enable && on {
                return Err(validation(format!(
                    "Table already has an enabled stream: TableName: {}",
                    meta.name
                )));
            }
            if !enable && !on {
                return Err(validation(
                    "Table already has stream disabled. Stream can not be disabled again",
                ));
            }
            if enable {
                meta.stream_label = Some(stream_label(now));
            }
            meta.stream = Some(st.clone());
            changed = true;
        }
        if let Some(defs) = input.get("AttributeDefinitions") {
            for (k, v) in attr_defs(Some(defs))? {
                meta.attrs.insert(k, v);
            }
        }
        let mut created: Option<IndexMeta> = None;
        for u in input
            .get("GlobalSecondaryIndexUpdates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
        {
            changed = true;
            if let Some(c) = u.get("Create") {
                let idx = index_def(c, true, ppr, now)?;
                if meta.index(&idx.name).is_some() {
                    return Err(invalid(format!(
                        "Attempting to create an index which already exists: {}",
                        idx.name
                    )))?;
                }
                if meta.gsis.len() >= MAX_GSIS {
                    return Err(DynamoError::Limit {
                        message: format!(
                            "Subscriber limit exceeded: the number of global secondary indexes per table exceeds {MAX_GSIS}"
                        ),
                    }
                    .into());
                }
                for n in idx.keys.names() {
                    if !meta.attrs.contains_key(n) {
                        return Err(invalid(format!(
                            "Global Secondary Index key attribute is not defined in AttributeDefinitions: {n}"
                        )));
                    }
                }
                meta.gsis.push(idx.clone());
                created = Some(idx);
            } else if let Some(upd) = u.get("Update") {
                let n = s(upd, "IndexName").unwrap_or_default();
                let Some(g) = meta.gsis.iter_mut().find(|g| g.name == n) else {
                    return Err(DynamoError::InUse {
                        message: format!("Requested resource not found: Index: {n} not found"),
                    }
                    .into());
                };
                if let Some((r, w)) = throughput(upd.get("ProvisionedThroughput")) {
                    g.rcu = r;
                    g.wcu = w;
                }
            } else if let Some(d) = u.get("Delete") {
                let n = s(d, "IndexName").unwrap_or_default().to_string();
                let before = meta.gsis.len();
                meta.gsis.retain(|g| g.name != n);
                if meta.gsis.len() == before {
                    return Err(DynamoError::NotFound.into());
                }
            }
        }
        if !changed {
            return Err(validation(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        // Definitions no key uses are dropped, as AWS does.
        let used: BTreeSet<String> = meta
            .keys
            .names()
            .chain(meta.indexes().flat_map(|i| i.keys.names()))
            .map(String::from)
            .collect();
        meta.attrs.retain(|k, _| used.contains(k));
        meta.updated_ms = Some(now);
        let deleted: Vec<String> = input
            .get("GlobalSecondaryIndexUpdates")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|u| {
                        u.get("Delete")
                            .and_then(|d| s(d, "IndexName"))
                            .map(String::from)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let touched = self.s.store.write(|txn| -> Result<Vec<String>, AwsError> {
            storage::put_meta(&self.s, txn, &key, &mut meta)?;
            for n in &deleted {
                storage::clear_prefix(txn, &self.s.index, &storage::index_base(&key, n))?;
                let mut st = txn.get(&self.s.stats, &key)?.unwrap_or_default();
                st.indexes.remove(n);
                txn.put(&self.s.stats, &key, &st)?;
            }
            if let Some(idx) = &created {
                storage::backfill(&self.s, txn, &key, &meta, idx)?;
            }
            // A global table's replicas keep the same indexes.
            self.share_indexes(txn, &key, &meta, created.as_ref(), &deleted)
        })?;
        self.forget(&key);
        for k in touched {
            self.forget(&k);
        }
        Ok(json!({ "TableDescription": self.describe(&key, &meta, "UPDATING")? }))
    }

    /// The table an ARN names (tag operations).
    pub(crate) fn by_arn(
        &self,
        ctx: &RequestContext,
        arn: &str,
    ) -> Result<(String, Arc<TableMeta>), AwsError> {
        let prefix = format!("arn:aws:dynamodb:{}:{}:table/", ctx.region, ctx.account_id);
        let not_found = || -> AwsError {
            DynamoError::ArnNotFound {
                arn: arn.to_string(),
            }
            .into()
        };
        let Some(name) = arn.strip_prefix(&prefix) else {
            return Err(not_found());
        };
        let key = self.table_key(ctx, name);
        match self.cached_meta(&key)? {
            Some(m) => Ok((key, m)),
            None => Err(not_found()),
        }
    }

    /// `TagResource`.
    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, _) = self.by_arn(ctx, s(&input, "ResourceArn").unwrap_or_default())?;
        let tags = tags_of(input.get("Tags"));
        self.s.store.write(|txn| -> Result<(), AwsError> {
            let mut m = txn
                .get(&self.s.tables, &key)?
                .ok_or_else(|| AwsError::from(DynamoError::NotFound))?;
            m.tags.extend(tags.clone());
            if m.tags.len() > MAX_TAGS {
                return Err(validation("The number of tags exceeds the limit of 50"));
            }
            storage::put_meta(&self.s, txn, &key, &mut m)?;
            Ok(())
        })?;
        self.forget(&key);
        Ok(json!({}))
    }

    /// `UntagResource`.
    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, _) = self.by_arn(ctx, s(&input, "ResourceArn").unwrap_or_default())?;
        let remove: Vec<String> = input
            .get("TagKeys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        self.s.store.write(|txn| -> Result<(), AwsError> {
            let mut m = txn
                .get(&self.s.tables, &key)?
                .ok_or_else(|| AwsError::from(DynamoError::NotFound))?;
            for k in &remove {
                m.tags.remove(k);
            }
            storage::put_meta(&self.s, txn, &key, &mut m)?;
            Ok(())
        })?;
        self.forget(&key);
        Ok(json!({}))
    }

    /// `ListTagsOfResource` (one page: a table has at most 50 tags, so no
    /// `NextToken` is ever issued, and none is accepted).
    pub(crate) fn list_tags_of_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        if input.get("NextToken").is_some() {
            return Err(validation("Invalid NextToken"));
        }
        let (_, m) = self.by_arn(ctx, s(&input, "ResourceArn").unwrap_or_default())?;
        let tags: Vec<Value> = m
            .tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        Ok(json!({ "Tags": tags }))
    }

    /// `UpdateTimeToLive`: turning TTL on indexes the existing items'
    /// expiry times in the same transaction.
    pub(crate) fn update_time_to_live(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), true)?;
        let mut meta = (*meta).clone();
        let spec = input
            .get("TimeToLiveSpecification")
            .cloned()
            .unwrap_or(json!({}));
        let enabled = spec
            .get("Enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let attr = s(&spec, "AttributeName").unwrap_or_default().to_string();
        if enabled && meta.ttl.enabled {
            return Err(validation("TimeToLive is already enabled"));
        }
        if !enabled && !meta.ttl.enabled {
            return Err(validation("TimeToLive is already disabled"));
        }
        if !enabled && attr != meta.ttl.attribute {
            return Err(validation(
                "TimeToLive is active on a different AttributeName: current AttributeName is "
                    .to_string()
                    + &meta.ttl.attribute,
            ));
        }
        meta.ttl = Ttl {
            enabled,
            attribute: attr,
        };
        self.s.store.write(|txn| -> Result<(), AwsError> {
            storage::put_meta(&self.s, txn, &key, &mut meta)?;
            storage::clear_prefix(txn, &self.s.ttl, &storage::items_base(&key))?;
            if enabled {
                crate::ttl::index_all(&self.s, txn, &key, &meta)?;
            }
            Ok(())
        })?;
        self.forget(&key);
        Ok(json!({ "TimeToLiveSpecification": spec }))
    }

    /// `DescribeTimeToLive`.
    pub(crate) fn describe_time_to_live(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (_, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), true)?;
        let mut d =
            json!({"TimeToLiveStatus": if meta.ttl.enabled { "ENABLED" } else { "DISABLED" }});
        if meta.ttl.enabled {
            d["AttributeName"] = json!(meta.ttl.attribute);
        }
        Ok(json!({ "TimeToLiveDescription": d }))
    }

    /// `DescribeLimits`: AWS's default account and table limits.
    pub(crate) fn describe_limits(&self, _ctx: &RequestContext, _input: Value) -> OpResult {
        Ok(json!({
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        }))
    }

    /// `DescribeEndpoints`: this endpoint, for the request's region.
    pub(crate) fn describe_endpoints(&self, ctx: &RequestContext, _input: Value) -> OpResult {
        let address = ctx
            .host
            .clone()
            .unwrap_or_else(|| format!("dynamodb.{}.amazonaws.com", ctx.region));
        Ok(json!({ "Endpoints": [{ "Address": address, "CachePeriodInMinutes": 1440 }] }))
    }
}

/// The region of an ARN.
fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or_default()
}

/// The account of an ARN.
fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// A stream's label: its creation time, ISO 8601 without the zone.
pub(crate) fn stream_label(now_ms: i64) -> String {
    gureum_core::timestamp::format_iso8601(now_ms)
        .trim_end_matches('Z')
        .to_string()
}
