//! BatchGetItem and BatchWriteItem. A batch is validated whole before
//! anything is read or written (AWS's order); a BatchWriteItem's writes
//! commit in one store transaction, so `UnprocessedItems` is always
//! empty; BatchGetItem stops at 16 MB and hands back the rest as
//! `UnprocessedKeys`.

use crate::capacity::{read_units, Consumed, Report};
use crate::errors::validation;
use crate::expr::eval::project;
use crate::expr::parser::Attrs;
use crate::items::{check_size, collection_metrics, projection, s, write_consumed};
use crate::storage::{self, item_key};
use crate::value::{item_from_json, item_from_stored, item_size, item_to_json, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::{json, Map};
use std::collections::{BTreeMap, HashSet};

/// Most keys one BatchGetItem reads.
const MAX_GET_KEYS: usize = 100;
/// Most requests one BatchWriteItem carries.
const MAX_WRITES: usize = 25;
/// Most bytes one BatchGetItem answers.
const MAX_GET_BYTES: usize = 16 * 1024 * 1024;

fn merge(out: &mut Vec<Value>, c: &Consumed, report: Report) {
    if let Some(v) = c.to_json(report) {
        out.push(v);
    }
}

impl DynamoDbService {
    /// `BatchGetItem`.
    pub(crate) fn batch_get_item(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let report = Report::from_input(&input);
        let requests = input
            .get("RequestItems")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let total: usize = requests
            .values()
            .map(|r| r.get("Keys").and_then(Value::as_array).map_or(0, Vec::len))
            .sum();
        if total > MAX_GET_KEYS {
            return Err(validation(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        // Validate every table's request first.
        let mut plans = vec![];
        for (name, r) in &requests {
            let (tkey, meta) = self.meta(ctx, name, false)?;
            let mut attrs = Attrs::from_input(r)?;
            let proj = projection(r, &mut attrs)?;
            attrs.check_unused(s(r, "ProjectionExpression").is_some())?;
            let mut seen = HashSet::new();
            let mut keys = vec![];
            for k in r
                .get("Keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let key = item_from_json(Some(k))?;
                let (h, rk) = meta.key_from(&key)?;
                self.contribute(&tkey, &h, rk.as_ref(), ctx.clock.now_millis());
                let ikey = item_key(&tkey, &h, rk.as_ref());
                if !seen.insert(ikey.clone()) {
                    return Err(validation("Provided list of item keys contains duplicates"));
                }
                keys.push((ikey, k.clone()));
            }
            let consistent = r.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
            plans.push((name.clone(), meta, proj, keys, consistent, r.clone()));
        }
        let mut responses = Map::new();
        let mut unprocessed = Map::new();
        let mut bytes = 0usize;
        let mut consumed = vec![];
        for (name, meta, proj, keys, consistent, r) in plans {
            let mut found = vec![];
            let mut rest = vec![];
            let mut read = 0usize;
            for (ikey, k) in keys {
                if bytes > MAX_GET_BYTES {
                    rest.push(k);
                    continue;
                }
                if let Some(v) = self.s.items.get(&ikey)? {
                    let item = item_from_stored(&v);
                    let size = item_size(&item);
                    bytes += size;
                    read += size;
                    found.push(match &proj {
                        Some(p) => item_to_json(&project(&item, p)),
                        None => v,
                    });
                }
            }
            responses.insert(name.clone(), Value::Array(found));
            if !rest.is_empty() {
                let mut again = r.clone();
                again["Keys"] = Value::Array(rest);
                unprocessed.insert(name.clone(), again);
            }
            let c = Consumed {
                table: meta.name.clone(),
                table_units: read_units(read, consistent),
                read: true,
                ..Default::default()
            };
            merge(&mut consumed, &c, report);
        }
        let mut out = json!({"Responses": responses, "UnprocessedKeys": unprocessed});
        if report != Report::None {
            out["ConsumedCapacity"] = Value::Array(consumed);
        }
        Ok(out)
    }

    /// `BatchWriteItem`.
    pub(crate) fn batch_write_item(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let report = Report::from_input(&input);
        let requests = input
            .get("RequestItems")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let total: usize = requests
            .values()
            .map(|r| r.as_array().map_or(0, Vec::len))
            .sum();
        if total > MAX_WRITES {
            return Err(validation(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        struct Write {
            tkey: String,
            ikey: String,
            key: Item,
            item: Option<Item>,
        }
        let mut writes: Vec<Write> = vec![];
        let mut metas = BTreeMap::new();
        for (name, list) in &requests {
            let (tkey, meta) = self.meta(ctx, name, false)?;
            let mut seen = HashSet::new();
            for w in list.as_array().into_iter().flatten() {
                let put = w.get("PutRequest");
                let del = w.get("DeleteRequest");
                let (ikey, key, item) = match (put, del) {
                    (Some(p), None) => {
                        let item = item_from_json(p.get("Item"))?;
                        let (h, r) = meta.check_item(&item)?;
                        self.contribute(&tkey, &h, r.as_ref(), ctx.clock.now_millis());
                        check_size(&item)?;
                        (item_key(&tkey, &h, r.as_ref()), meta.key_item(&item), Some(item))
                    }
                    (None, Some(d)) => {
                        let key = item_from_json(d.get("Key"))?;
                        let (h, r) = meta.key_from(&key)?;
                        self.contribute(&tkey, &h, r.as_ref(), ctx.clock.now_millis());
                        (item_key(&tkey, &h, r.as_ref()), key, None)
                    }
                    _ => {
                        return Err(validation(
                            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                        ))
                    }
                };
                if !seen.insert(ikey.clone()) {
                    return Err(validation("Provided list of item keys contains duplicates"));
                }
                writes.push(Write {
                    tkey: tkey.clone(),
                    ikey,
                    key,
                    item,
                });
            }
            metas.insert(tkey, meta);
        }
        let mut consumed: BTreeMap<String, Consumed> = BTreeMap::new();
        self.s.store.write(|txn| -> Result<(), AwsError> {
            for w in &writes {
                let meta = &metas[&w.tkey];
                let old = txn
                    .get(&self.s.items, &w.ikey)?
                    .map(|v| item_from_stored(&v));
                if old.is_some() || w.item.is_some() {
                    storage::write_item(
                        &self.s,
                        txn,
                        &w.tkey,
                        meta,
                        &w.ikey,
                        old.as_ref(),
                        w.item.as_ref(),
                        ctx.clock.now_millis(),
                    )?;
                }
                let c = write_consumed(meta, old.as_ref(), w.item.as_ref(), 1.0);
                let e = consumed
                    .entry(meta.name.clone())
                    .or_insert_with(|| Consumed {
                        table: meta.name.clone(),
                        ..Default::default()
                    });
                e.table_units += c.table_units;
                for (n, u) in c.gsis {
                    match e.gsis.iter_mut().find(|g| g.0 == n) {
                        Some(g) => g.1 += u,
                        None => e.gsis.push((n, u)),
                    }
                }
                for (n, u) in c.lsis {
                    match e.lsis.iter_mut().find(|g| g.0 == n) {
                        Some(g) => g.1 += u,
                        None => e.lsis.push((n, u)),
                    }
                }
            }
            Ok(())
        })?;
        let mut out = json!({"UnprocessedItems": {}});
        let mut metrics = Map::new();
        for w in &writes {
            let meta = &metas[&w.tkey];
            if let Some(m) = collection_metrics(meta, &input, &w.key) {
                if let Some(list) = metrics
                    .entry(meta.name.clone())
                    .or_insert_with(|| Value::Array(vec![]))
                    .as_array_mut()
                {
                    list.push(m);
                }
            }
        }
        if !metrics.is_empty() {
            out["ItemCollectionMetrics"] = Value::Object(metrics);
        }
        if report != Report::None {
            let mut list = vec![];
            for c in consumed.values() {
                merge(&mut list, c, report);
            }
            out["ConsumedCapacity"] = Value::Array(list);
        }
        Ok(out)
    }
}
