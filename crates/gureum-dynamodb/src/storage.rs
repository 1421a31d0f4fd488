//! Where tables and items live in the store, and the one write path of
//! items: an item, its index entries, its table's counters and its TTL
//! entry change together in the caller's write transaction.

use crate::keys;
use crate::schema::{IndexMeta, TableMeta};
use crate::value::{item_size, item_to_json, AttrValue, Item};
use gureum_store::{Result as StoreResult, Store, Table, WriteTxn};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Counters kept per table (`dynamodb.stats`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Items in the table.
    pub items: i64,
    /// Their total size.
    pub bytes: i64,
    /// Per index: entries and their total size.
    #[serde(default)]
    pub indexes: BTreeMap<String, (i64, i64)>,
    /// Changes logged for point-in-time recovery (orders the log's
    /// entries within one millisecond).
    #[serde(default)]
    pub changes: u64,
}

/// The store tables DynamoDB keeps.
#[derive(Clone, Debug)]
pub struct Stores {
    /// The store.
    pub store: Store,
    /// `account/region/table` → [`TableMeta`].
    pub tables: Table<TableMeta>,
    /// `account/region/table/<bucket><hex pk>.<hex sk>.` → the item.
    pub items: Table<Value>,
    /// `account/region/table/index/<bucket><hex ipk>.[<hex isk>.]<hex pk>.[<hex sk>.]`
    /// → the projected item.
    pub index: Table<Value>,
    /// `account/region/table` → [`Stats`].
    pub stats: Table<Stats>,
    /// `account/region/table/<expiry seconds, 20 digits>/<item key>` →
    /// the item's store key.
    pub ttl: Table<String>,
    /// `account/region/token` → the TransactWriteItems it answered.
    pub tokens: Table<Value>,
    /// `account/region/table/<label>/<sequence, 21 digits>` → a stream
    /// record.
    pub records: Table<Value>,
    /// `account/region/table/<label>` → the stream's last sequence number.
    pub sequences: Table<u64>,
    /// `account/region/table` → the description's generation.
    pub generations: Table<u64>,
    /// `account/region/table/<ms, 20 digits>/<change, 20 digits>` → an
    /// item's key and its value before the change (point-in-time
    /// recovery).
    pub pitr_log: Table<Value>,
    /// `account/region/<backup id>` → [`crate::backups::Backup`].
    pub backups: Table<crate::backups::Backup>,
    /// `account/region/<backup id>/<item key after the table's>` → an
    /// item of the backup.
    pub backup_items: Table<Value>,
    /// `account/region/<export id>` → an export's record.
    pub exports: Table<Value>,
    /// `account/region/<import id>` → an import's record.
    pub imports: Table<Value>,
    /// `account/region/<export|import>/<id>` → a job the ticker runs.
    pub transfers: Table<String>,
    /// An item's store key → when and in which region it was last
    /// written (global tables: last writer wins).
    pub replica_times: Table<(i64, String)>,
    /// `account/region/table/<other region>` → the last sequence number
    /// of this table's stream replicated to that region.
    pub replication: Table<u64>,
    /// `account/region/table[/index]` → its Contributor Insights.
    pub insights: Table<crate::contributors::Setting>,
    /// `account/region/table[/index]/<minute, 12 digits>` → accesses
    /// per contributor in that minute.
    pub insight_counts: Table<BTreeMap<String, u64>>,
    /// `account/name` → a legacy (2017.11.29) global table.
    pub global_tables: Table<crate::global_legacy::GlobalTable>,
}

impl Stores {
    /// The tables over `store`.
    pub fn new(store: Store) -> Stores {
        Stores {
            tables: store.table("dynamodb.tables"),
            items: store.table("dynamodb.items"),
            index: store.table("dynamodb.index"),
            stats: store.table("dynamodb.stats"),
            ttl: store.table("dynamodb.ttl"),
            tokens: store.table("dynamodb.tokens"),
            records: store.table("dynamodb.stream_records"),
            sequences: store.table("dynamodb.stream_sequences"),
            generations: store.table("dynamodb.generations"),
            pitr_log: store.table("dynamodb.pitr_log"),
            backups: store.table("dynamodb.backups"),
            backup_items: store.table("dynamodb.backup_items"),
            exports: store.table("dynamodb.exports"),
            imports: store.table("dynamodb.imports"),
            transfers: store.table("dynamodb.transfers"),
            replica_times: store.table("dynamodb.replica_times"),
            replication: store.table("dynamodb.replication"),
            insights: store.table("dynamodb.insights"),
            insight_counts: store.table("dynamodb.insight_counts"),
            global_tables: store.table("dynamodb.global_tables"),
            store,
        }
    }
}

/// The prefix of a table's items: `account/region/table/`.
pub fn items_base(table_key: &str) -> String {
    format!("{table_key}/")
}

/// The prefix of an index's entries.
pub fn index_base(table_key: &str, index: &str) -> String {
    format!("{table_key}/{index}/")
}

/// The store key of the item with primary key `(h, r)`.
pub fn item_key(table_key: &str, h: &AttrValue, r: Option<&AttrValue>) -> String {
    let base = items_base(table_key);
    match r {
        Some(r) => keys::entry_key(&base, h, &[r]),
        None => keys::entry_key(&base, h, &[]),
    }
}

/// The store key of `item`'s entry in `idx`, if it has the index's keys.
pub fn index_key(
    table_key: &str,
    meta: &TableMeta,
    idx: &IndexMeta,
    item: &Item,
) -> Option<String> {
    let ih = item.get(&idx.keys.hash)?;
    let mut rest: Vec<&AttrValue> = vec![];
    if let Some(r) = &idx.keys.range {
        rest.push(item.get(r)?);
    }
    // The table's key makes the entry unique (global indexes) and orders
    // equal index keys (local ones too: the table's sort key).
    if idx.global {
        rest.push(item.get(&meta.keys.hash)?);
    }
    if let Some(r) = &meta.keys.range {
        if idx.keys.range.as_deref() != Some(r.as_str()) || idx.global {
            rest.push(item.get(r)?);
        }
    }
    Some(keys::entry_key(
        &index_base(table_key, &idx.name),
        ih,
        &rest,
    ))
}

/// The TTL entry of an item: its expiry in whole seconds, if the table's
/// TTL is on and the item's attribute is a non-negative number.
fn ttl_entry(table_key: &str, meta: &TableMeta, item: &Item, ikey: &str) -> Option<String> {
    if !meta.ttl.enabled {
        return None;
    }
    let AttrValue::N(n) = item.get(&meta.ttl.attribute)? else {
        return None;
    };
    let secs: i64 = n.to_string().split('.').next()?.parse().ok()?;
    if secs < 0 {
        return None;
    }
    Some(format!(
        "{table_key}/{secs:020}/{}",
        &ikey[table_key.len() + 1..]
    ))
}

/// Writes a table's description with its next generation, in `txn`.
pub fn put_meta(
    s: &Stores,
    txn: &mut WriteTxn,
    table_key: &str,
    meta: &mut TableMeta,
) -> StoreResult<()> {
    let current = txn.get(&s.generations, table_key)?.unwrap_or(0);
    meta.generation = current.max(meta.generation) + 1;
    txn.put(&s.generations, table_key, &meta.generation)?;
    txn.put(&s.tables, table_key, meta)
}

/// Replaces `old` by `new` (either may be absent) at `ikey`: the item,
/// every index entry, the counters, the TTL entry and the stream record,
/// in `txn`.
#[allow(clippy::too_many_arguments)]
pub fn write_item(
    s: &Stores,
    txn: &mut WriteTxn,
    table_key: &str,
    meta: &TableMeta,
    ikey: &str,
    old: Option<&Item>,
    new: Option<&Item>,
    now_ms: i64,
) -> StoreResult<()> {
    write_item_as(
        s,
        txn,
        table_key,
        meta,
        ikey,
        old,
        new,
        now_ms,
        Writer::default(),
    )
}

/// Who makes an item write, beyond its caller.
#[derive(Clone, Copy, Debug, Default)]
pub struct Writer<'a> {
    /// The service principal (the TTL pass: its stream record names it).
    pub service: Option<&'a str>,
    /// A replicated write: the region it was made in and when (epoch ms
    /// there), which last-writer-wins compares.
    pub replica_of: Option<(&'a str, i64)>,
}

/// [`write_item`], made by `by`.
#[allow(clippy::too_many_arguments)]
pub fn write_item_as(
    s: &Stores,
    txn: &mut WriteTxn,
    table_key: &str,
    meta: &TableMeta,
    ikey: &str,
    old: Option<&Item>,
    new: Option<&Item>,
    now_ms: i64,
    by: Writer<'_>,
) -> StoreResult<()> {
    // The description the caller read may have changed since (UpdateTable
    // commits between the read and this transaction): use the current one.
    let fresh;
    let meta = if txn.get(&s.generations, table_key)?.unwrap_or(0) != meta.generation {
        fresh = txn.get(&s.tables, table_key)?;
        match &fresh {
            Some(m) => m,
            // Deleted meanwhile: nothing to write into.
            None => return Ok(()),
        }
    } else {
        meta
    };
    if let Some(view) = meta.stream_view() {
        let change = crate::streams::Change {
            old,
            new,
            now_ms,
            service: by.service,
            replica_of: by.replica_of.map(|(r, _)| r),
        };
        crate::streams::record(s, txn, table_key, meta, view, &change)?;
    }
    if !meta.replicas.is_empty() {
        let (region, at) = by.replica_of.unwrap_or_else(|| {
            let here = table_key.split('/').nth(1).unwrap_or_default();
            (here, now_ms)
        });
        txn.put(&s.replica_times, ikey, &(at, region.to_string()))?;
    }
    let mut stats = txn.get(&s.stats, table_key)?.unwrap_or_default();
    if meta.pitr.is_some() {
        crate::pitr::log_change(s, txn, table_key, ikey, old, now_ms, &mut stats)?;
    }
    if let Some(o) = old {
        stats.items -= 1;
        stats.bytes -= item_size(o) as i64;
        if let Some(t) = ttl_entry(table_key, meta, o, ikey) {
            txn.delete(&s.ttl, &t)?;
        }
    }
    match new {
        Some(n) => {
            stats.items += 1;
            stats.bytes += item_size(n) as i64;
            txn.put(&s.items, ikey, &item_to_json(n))?;
            if let Some(t) = ttl_entry(table_key, meta, n, ikey) {
                txn.put(&s.ttl, &t, &ikey.to_string())?;
            }
        }
        None => {
            txn.delete(&s.items, ikey)?;
        }
    }
    for idx in meta.indexes() {
        let old_key = old.and_then(|o| index_key(table_key, meta, idx, o));
        let new_entry = new.and_then(|n| {
            index_key(table_key, meta, idx, n).map(|k| (k, idx.project(n, &meta.keys)))
        });
        let counter = stats.indexes.entry(idx.name.clone()).or_default();
        if let Some(k) = &old_key {
            let projected = idx.project(old.unwrap_or(&Item::new()), &meta.keys);
            counter.0 -= 1;
            counter.1 -= item_size(&projected) as i64;
            if new_entry.as_ref().map(|(nk, _)| nk) != Some(k) {
                txn.delete(&s.index, k)?;
            }
        }
        if let Some((k, projected)) = new_entry {
            counter.0 += 1;
            counter.1 += item_size(&projected) as i64;
            txn.put(&s.index, &k, &item_to_json(&projected))?;
        }
    }
    txn.put(&s.stats, table_key, &stats)
}

/// Adds every item of the table to a new index `idx` (UpdateTable's
/// backfill), in `txn`.
pub fn backfill(
    s: &Stores,
    txn: &mut WriteTxn,
    table_key: &str,
    meta: &TableMeta,
    idx: &IndexMeta,
) -> StoreResult<()> {
    let mut stats = txn.get(&s.stats, table_key)?.unwrap_or_default();
    let mut counter = (0, 0);
    for (_, v) in txn.scan_prefix(&s.items, &items_base(table_key))? {
        let item = crate::value::item_from_stored(&v);
        if let Some(k) = index_key(table_key, meta, idx, &item) {
            let p = idx.project(&item, &meta.keys);
            counter.0 += 1;
            counter.1 += item_size(&p) as i64;
            txn.put(&s.index, &k, &item_to_json(&p))?;
        }
    }
    stats.indexes.insert(idx.name.clone(), counter);
    txn.put(&s.stats, table_key, &stats)
}

/// Removes every entry under `prefix` of `table`, in `txn`.
pub fn clear_prefix<T: Serialize + serde::de::DeserializeOwned>(
    txn: &mut WriteTxn,
    table: &Table<T>,
    prefix: &str,
) -> StoreResult<()> {
    for (k, _) in txn.scan_prefix(table, prefix)? {
        txn.delete(table, &k)?;
    }
    Ok(())
}
