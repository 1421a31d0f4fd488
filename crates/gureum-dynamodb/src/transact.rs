//! TransactWriteItems and TransactGetItems. Every condition of a write
//! transaction is checked and every write made inside one store
//! transaction: all or nothing, and no other write interleaves. A
//! `ClientRequestToken` is remembered for ten minutes: the same token
//! with the same items answers success again without writing; with other
//! items, `IdempotentParameterMismatchException`.

use crate::capacity::{read_units, Consumed, Report};
use crate::errors::{validation, DynamoError};
use crate::expr::eval::{holds, project};
use crate::expr::parser::{parse_condition, parse_update, Action, Attrs, Cond};
use crate::expr::Kind;
use crate::items::{
    check_key_update, check_size, collection_metrics, projection, s, write_consumed,
};
use crate::schema::TableMeta;
use crate::storage::{self, item_key};
use crate::update;
use crate::value::{item_from_json, item_from_stored, item_size, item_to_json, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// How long a client token is remembered, ms.
pub(crate) const TOKEN_WINDOW_MS: i64 = 10 * 60 * 1000;

enum Op {
    Check,
    Put(Item),
    Delete,
    Update(Vec<Action>, Item),
}

struct Planned {
    tkey: String,
    meta: std::sync::Arc<TableMeta>,
    ikey: String,
    op: Op,
    cond: Option<Cond>,
    return_old: bool,
}

impl DynamoDbService {
    /// `TransactWriteItems`.
    pub(crate) fn transact_write_items(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let report = Report::from_input(&input);
        let items = input
            .get("TransactItems")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut planned: Vec<Planned> = vec![];
        let mut seen = HashSet::new();
        for t in &items {
            let kinds = ["ConditionCheck", "Put", "Delete", "Update"];
            let present: Vec<&str> = kinds
                .iter()
                .copied()
                .filter(|k| t.get(*k).is_some())
                .collect();
            if present.len() != 1 {
                return Err(validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete",
                ));
            }
            let kind = present[0];
            let r = &t[kind];
            let (tkey, meta) = self.meta(ctx, s(r, "TableName").unwrap_or_default(), false)?;
            let mut attrs = Attrs::from_input(r)?;
            let (ikey, op) = match kind {
                "Put" => {
                    let item = item_from_json(r.get("Item"))?;
                    let (h, rk) = meta.check_item(&item)?;
                    self.contribute(&tkey, &h, rk.as_ref(), ctx.clock.now_millis());
                    check_size(&item)?;
                    (item_key(&tkey, &h, rk.as_ref()), Op::Put(item))
                }
                _ => {
                    let key = item_from_json(r.get("Key"))?;
                    let (h, rk) = meta.key_from(&key)?;
                    self.contribute(&tkey, &h, rk.as_ref(), ctx.clock.now_millis());
                    let ikey = item_key(&tkey, &h, rk.as_ref());
                    match kind {
                        "ConditionCheck" => (ikey, Op::Check),
                        "Delete" => (ikey, Op::Delete),
                        _ => {
                            let actions = parse_update(
                                s(r, "UpdateExpression").unwrap_or_default(),
                                &mut attrs,
                            )?;
                            check_key_update(&meta, &actions)?;
                            (ikey, Op::Update(actions, key))
                        }
                    }
                }
            };
            let cond = match s(r, "ConditionExpression") {
                Some(c) => Some(parse_condition(c, Kind::Condition, &mut attrs)?),
                None if kind == "ConditionCheck" => {
                    return Err(validation(
                        "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
                    ))
                }
                None => None,
            };
            attrs.check_unused(cond.is_some() || kind == "Update")?;
            if !seen.insert(ikey.clone()) {
                return Err(validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            planned.push(Planned {
                tkey,
                meta,
                ikey,
                op,
                cond,
                return_old: s(r, "ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD"),
            });
        }
        let token = s(&input, "ClientRequestToken").map(|t| Scope::regional(ctx).key(t));
        let digest = {
            let mut h = Sha256::new();
            h.update(serde_json::to_vec(&items).unwrap_or_default());
            gureum_core::hex::encode(&h.finalize())
        };
        let now = ctx.clock.now_millis();
        let consumed = self.s.store.write(|txn| -> Result<Vec<Consumed>, AwsError> {
            if let Some(t) = &token {
                if let Some(prev) = txn.get(&self.s.tokens, t)? {
                    let at = prev.get("at").and_then(Value::as_i64).unwrap_or(0);
                    if now - at < TOKEN_WINDOW_MS {
                        if prev.get("digest").and_then(Value::as_str) != Some(digest.as_str()) {
                            return Err(DynamoError::IdempotentMismatch.into());
                        }
                        return Ok(vec![]);
                    }
                }
            }
            let mut reasons = vec![];
            let mut failed = false;
            let mut writes: Vec<(usize, Option<Item>, Option<Item>)> = vec![];
            for (i, p) in planned.iter().enumerate() {
                let old = txn.get(&self.s.items, &p.ikey)?.map(|v| item_from_stored(&v));
                if let Some(c) = &p.cond {
                    if !holds(c, old.as_ref().unwrap_or(&Item::new()))? {
                        failed = true;
                        let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
                        if p.return_old {
                            if let Some(o) = &old {
                                r["Item"] = item_to_json(o);
                            }
                        }
                        reasons.push(r);
                        continue;
                    }
                }
                let new = match &p.op {
                    Op::Check => {
                        reasons.push(json!({"Code": "None"}));
                        continue;
                    }
                    Op::Put(item) => Some(item.clone()),
                    Op::Delete => None,
                    Op::Update(actions, key) => {
                        let base = old.clone().unwrap_or_else(|| key.clone());
                        match update::apply(&base, actions)
                            .and_then(|n| p.meta.check_item(&n).map(|_| n))
                            .and_then(|n| check_size(&n).map(|_| n))
                        {
                            Ok(n) => Some(n),
                            Err(e) => {
                                failed = true;
                                reasons.push(json!({"Code": "ValidationError", "Message": e.message}));
                                continue;
                            }
                        }
                    }
                };
                reasons.push(json!({"Code": "None"}));
                writes.push((i, old, new));
            }
            if failed {
                return Err(cancelled(&reasons));
            }
            let mut consumed = vec![];
            for (i, old, new) in &writes {
                let p = &planned[*i];
                if old.is_some() || new.is_some() {
                    storage::write_item(&self.s, txn, &p.tkey, &p.meta, &p.ikey, old.as_ref(), new.as_ref(), ctx.clock.now_millis())?;
                }
                consumed.push(write_consumed(&p.meta, old.as_ref(), new.as_ref(), 2.0));
            }
            if let Some(t) = &token {
                txn.put(&self.s.tokens, t, &json!({"digest": digest, "at": now}))?;
            }
            Ok(consumed)
        })?;
        let mut out = json!({});
        let mut metrics = serde_json::Map::new();
        for p in &planned {
            let key = match &p.op {
                Op::Put(item) => p.meta.key_item(item),
                Op::Update(_, key) => key.clone(),
                _ => continue,
            };
            if let Some(m) = collection_metrics(&p.meta, &input, &key) {
                if let Some(list) = metrics
                    .entry(p.meta.name.clone())
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
            let mut by_table: Vec<Consumed> = vec![];
            for c in consumed {
                match by_table.iter_mut().find(|x| x.table == c.table) {
                    Some(x) => x.table_units += c.table_units,
                    None => by_table.push(c),
                }
            }
            out["ConsumedCapacity"] =
                Value::Array(by_table.iter().filter_map(|c| c.to_json(report)).collect());
        }
        Ok(out)
    }

    /// `TransactGetItems`: every item read from one consistent view.
    pub(crate) fn transact_get_items(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let report = Report::from_input(&input);
        let items = input
            .get("TransactItems")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut plans = vec![];
        for t in &items {
            let r = t.get("Get").cloned().unwrap_or(json!({}));
            let (tkey, meta) = self.meta(ctx, s(&r, "TableName").unwrap_or_default(), false)?;
            let key = item_from_json(r.get("Key"))?;
            let (h, rk) = meta.key_from(&key)?;
            self.contribute(&tkey, &h, rk.as_ref(), ctx.clock.now_millis());
            let mut attrs = Attrs::from_input(&r)?;
            let proj = projection(&r, &mut attrs)?;
            attrs.check_unused(s(&r, "ProjectionExpression").is_some())?;
            plans.push((item_key(&tkey, &h, rk.as_ref()), proj, meta));
        }
        // A write transaction that only reads: one view of every item.
        let (responses, consumed) = self.s.store.write(|txn| -> Result<_, AwsError> {
            let mut out = vec![];
            let mut consumed: Vec<Consumed> = vec![];
            for (ikey, proj, meta) in &plans {
                let got = txn.get(&self.s.items, ikey)?;
                let mut size = 0;
                let entry = match got {
                    Some(v) => {
                        let item = item_from_stored(&v);
                        size = item_size(&item);
                        json!({"Item": match proj {
                            Some(p) => item_to_json(&project(&item, p)),
                            None => v,
                        }})
                    }
                    None => json!({}),
                };
                out.push(entry);
                let units = read_units(size, true) * 2.0;
                match consumed.iter_mut().find(|c| c.table == meta.name) {
                    Some(c) => c.table_units += units,
                    None => consumed.push(Consumed {
                        table: meta.name.clone(),
                        table_units: units,
                        read: true,
                        ..Default::default()
                    }),
                }
            }
            Ok((out, consumed))
        })?;
        let mut out = json!({"Responses": responses});
        if report != Report::None {
            out["ConsumedCapacity"] =
                Value::Array(consumed.iter().filter_map(|c| c.to_json(report)).collect());
        }
        Ok(out)
    }
}

/// `TransactionCanceledException` with one reason per item, in order (the
/// message lists their codes, as AWS's does).
pub(crate) fn cancelled(reasons: &[Value]) -> AwsError {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    DynamoError::Cancelled {
        reasons: codes.join(", "),
        list: Value::Array(reasons.to_vec()),
    }
    .into()
}
