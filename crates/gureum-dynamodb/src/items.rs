//! PutItem, GetItem, UpdateItem and DeleteItem: the condition is checked
//! and the item, its index entries and counters written in one store
//! transaction, so concurrent conditional writes on one key serialize.

use crate::capacity::{read_units, write_units, Consumed, Report};
use crate::errors::{invalid, validation, DynamoError};
use crate::expr::eval::{holds, project};
use crate::expr::parser::{
    parse_condition, parse_projection, parse_update, Action, Attrs, Cond, Elem, Path,
};
use crate::expr::Kind;
use crate::legacy;
use crate::schema::TableMeta;
use crate::storage::{self, index_key, item_key};
use crate::update;
use crate::value::{
    item_from_json, item_from_stored, item_size, item_to_json, json_item_size, Item,
};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Largest item.
pub const MAX_ITEM: usize = 400 * 1024;

pub(crate) fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Refuses an item over 400 KB.
pub fn check_size(item: &Item) -> Result<(), AwsError> {
    if item_size(item) > MAX_ITEM {
        return Err(validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}

/// The condition of a write: `ConditionExpression` or legacy `Expected`.
pub fn condition(input: &Value, attrs: &mut Attrs) -> Result<Option<Cond>, AwsError> {
    let expr = s(input, "ConditionExpression");
    let expected = input.get("Expected");
    if expr.is_some() && expected.is_some() {
        return Err(validation(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}",
        ));
    }
    if let Some(e) = expr {
        return parse_condition(e, Kind::Condition, attrs).map(Some);
    }
    match expected {
        Some(x) => legacy::expected(x, s(input, "ConditionalOperator")),
        None => Ok(None),
    }
}

/// The projection of a read: `ProjectionExpression` or `AttributesToGet`.
pub fn projection(input: &Value, attrs: &mut Attrs) -> Result<Option<Vec<Path>>, AwsError> {
    let expr = s(input, "ProjectionExpression");
    let legacy = input.get("AttributesToGet").and_then(Value::as_array);
    if expr.is_some() && legacy.is_some() {
        return Err(validation(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        ));
    }
    if let Some(e) = expr {
        return parse_projection(e, attrs).map(Some);
    }
    Ok(legacy.map(|a| {
        a.iter()
            .filter_map(|x| x.as_str())
            .map(|n| vec![Elem::Attr(n.to_string())])
            .collect()
    }))
}

/// Capacity of a write replacing `old` by `new`.
pub fn write_consumed(
    meta: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
    factor: f64,
) -> Consumed {
    let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
    let mut c = Consumed {
        table: meta.name.clone(),
        table_units: write_units(size) * factor,
        ..Default::default()
    };
    for idx in meta.indexes() {
        let o = old.filter(|o| index_key("", meta, idx, o).is_some());
        let n = new.filter(|n| index_key("", meta, idx, n).is_some());
        if o.is_none() && n.is_none() {
            continue;
        }
        let size = o
            .map_or(0, |o| item_size(&idx.project(o, &meta.keys)))
            .max(n.map_or(0, |n| item_size(&idx.project(n, &meta.keys))));
        let mut units = write_units(size);
        // An update that moves the entry is a delete and a put.
        if let (Some(o), Some(n)) = (o, n) {
            if index_key("", meta, idx, o) != index_key("", meta, idx, n) {
                units *= 2.0;
            }
        }
        let entry = (idx.name.clone(), units * factor);
        if idx.global {
            c.gsis.push(entry);
        } else {
            c.lsis.push(entry);
        }
    }
    c
}

/// Refuses a write whose condition does not hold on the item it would
/// replace (`old`; a missing item is an empty one).
fn check_condition(cond: Option<&Cond>, old: Option<&Item>, input: &Value) -> Result<(), AwsError> {
    match cond {
        Some(c) if !holds(c, old.unwrap_or(&Item::new()))? => Err(condition_failed(old, input)),
        _ => Ok(()),
    }
}

/// `ReturnValuesOnConditionCheckFailure=ALL_OLD` adds the item.
pub fn condition_failed(old: Option<&Item>, input: &Value) -> AwsError {
    let e = AwsError::from(DynamoError::ConditionFailed);
    match (old, s(input, "ReturnValuesOnConditionCheckFailure")) {
        (Some(o), Some("ALL_OLD")) => e.with_field("Item", item_to_json(o)),
        _ => e,
    }
}

fn put_or_delete_return(input: &Value) -> Result<bool, AwsError> {
    match s(input, "ReturnValues") {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(validation("ReturnValues can only be ALL_OLD or NONE")),
    }
}

/// `ReturnItemCollectionMetrics=SIZE`: the item collection's key and
/// AWS's size estimate, for tables with local indexes (the only ones that
/// have item collections).
pub fn collection_metrics(meta: &TableMeta, input: &Value, item: &Item) -> Option<Value> {
    if s(input, "ReturnItemCollectionMetrics") != Some("SIZE") || meta.lsis.is_empty() {
        return None;
    }
    let key = item.get(&meta.keys.hash)?;
    Some(json!({
        "ItemCollectionKey": {meta.keys.hash.clone(): key.to_json()},
        "SizeEstimateRangeGB": [0.0, 1.0],
    }))
}

fn with_capacity(mut out: Value, c: &Consumed, report: Report) -> Value {
    if let Some(v) = c.to_json(report) {
        out["ConsumedCapacity"] = v;
    }
    out
}

/// Refuses an update of a key attribute.
pub fn check_key_update(meta: &TableMeta, actions: &[Action]) -> Result<(), AwsError> {
    for a in actions {
        let (Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _)) = a;
        if let Some(Elem::Attr(first)) = p.first() {
            if meta.keys.names().any(|k| k == first) {
                return Err(invalid(format!(
                    "Cannot update attribute {first}. This attribute is part of the key"
                )));
            }
        }
    }
    Ok(())
}

/// The paths an update changes (UPDATED_OLD / UPDATED_NEW).
pub fn action_paths(actions: &[Action]) -> Vec<Path> {
    actions
        .iter()
        .map(|a| match a {
            Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _) => {
                p.clone()
            }
        })
        .collect()
}

impl DynamoDbService {
    /// `PutItem`.
    pub(crate) fn put_item(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (tkey, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), false)?;
        let item = item_from_json(input.get("Item"))?;
        let (h, r) = meta.check_item(&item)?;
        self.contribute(&tkey, &h, r.as_ref(), ctx.clock.now_millis());
        check_size(&item)?;
        let mut attrs = Attrs::from_input(&input)?;
        let cond = condition(&input, &mut attrs)?;
        attrs.check_unused(s(&input, "ConditionExpression").is_some())?;
        let want_old = put_or_delete_return(&input)?;
        let report = Report::from_input(&input);
        let ikey = item_key(&tkey, &h, r.as_ref());
        let old = self
            .s
            .store
            .write(|txn| -> Result<Option<Item>, AwsError> {
                let old = txn.get(&self.s.items, &ikey)?.map(|v| item_from_stored(&v));
                check_condition(cond.as_ref(), old.as_ref(), &input)?;
                storage::write_item(
                    &self.s,
                    txn,
                    &tkey,
                    &meta,
                    &ikey,
                    old.as_ref(),
                    Some(&item),
                    ctx.clock.now_millis(),
                )?;
                Ok(old)
            })?;
        let mut out = json!({});
        if want_old {
            if let Some(o) = &old {
                out["Attributes"] = item_to_json(o);
            }
        }
        if let Some(m) = collection_metrics(&meta, &input, &item) {
            out["ItemCollectionMetrics"] = m;
        }
        let c = write_consumed(&meta, old.as_ref(), Some(&item), 1.0);
        Ok(with_capacity(out, &c, report))
    }

    /// `GetItem`.
    pub(crate) fn get_item(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (tkey, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), false)?;
        let key = item_from_json(input.get("Key"))?;
        let (h, r) = meta.key_from(&key)?;
        self.contribute(&tkey, &h, r.as_ref(), ctx.clock.now_millis());
        let mut attrs = Attrs::from_input(&input)?;
        let proj = projection(&input, &mut attrs)?;
        attrs.check_unused(s(&input, "ProjectionExpression").is_some())?;
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
        let report = Report::from_input(&input);
        let stored = self.s.items.get(&item_key(&tkey, &h, r.as_ref()))?;
        let mut out = json!({});
        let mut size = 0;
        if let Some(v) = stored {
            match &proj {
                None => {
                    if report != Report::None {
                        size = json_item_size(&v);
                    }
                    out["Item"] = v;
                }
                Some(p) => {
                    let item = item_from_stored(&v);
                    size = item_size(&item);
                    out["Item"] = item_to_json(&project(&item, p));
                }
            }
        }
        let c = Consumed {
            table: meta.name.clone(),
            table_units: read_units(size, consistent),
            read: true,
            ..Default::default()
        };
        Ok(with_capacity(out, &c, report))
    }

    /// `DeleteItem`.
    pub(crate) fn delete_item(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (tkey, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), false)?;
        let key = item_from_json(input.get("Key"))?;
        let (h, r) = meta.key_from(&key)?;
        self.contribute(&tkey, &h, r.as_ref(), ctx.clock.now_millis());
        let mut attrs = Attrs::from_input(&input)?;
        let cond = condition(&input, &mut attrs)?;
        attrs.check_unused(s(&input, "ConditionExpression").is_some())?;
        let want_old = put_or_delete_return(&input)?;
        let report = Report::from_input(&input);
        let ikey = item_key(&tkey, &h, r.as_ref());
        let old = self
            .s
            .store
            .write(|txn| -> Result<Option<Item>, AwsError> {
                let old = txn.get(&self.s.items, &ikey)?.map(|v| item_from_stored(&v));
                check_condition(cond.as_ref(), old.as_ref(), &input)?;
                if old.is_some() {
                    storage::write_item(
                        &self.s,
                        txn,
                        &tkey,
                        &meta,
                        &ikey,
                        old.as_ref(),
                        None,
                        ctx.clock.now_millis(),
                    )?;
                }
                Ok(old)
            })?;
        let mut out = json!({});
        if want_old {
            if let Some(o) = &old {
                out["Attributes"] = item_to_json(o);
            }
        }
        if let Some(m) = collection_metrics(&meta, &input, &key) {
            out["ItemCollectionMetrics"] = m;
        }
        let c = write_consumed(&meta, old.as_ref(), None, 1.0);
        Ok(with_capacity(out, &c, report))
    }

    /// `UpdateItem`.
    pub(crate) fn update_item(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (tkey, meta) = self.meta(ctx, s(&input, "TableName").unwrap_or_default(), false)?;
        let key = item_from_json(input.get("Key"))?;
        let (h, r) = meta.key_from(&key)?;
        self.contribute(&tkey, &h, r.as_ref(), ctx.clock.now_millis());
        let mut attrs = Attrs::from_input(&input)?;
        let expr = s(&input, "UpdateExpression");
        if expr.is_some() && input.get("AttributeUpdates").is_some() {
            return Err(validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
            ));
        }
        let actions = match expr {
            Some(e) => parse_update(e, &mut attrs)?,
            None => match input.get("AttributeUpdates") {
                Some(u) => legacy::attribute_updates(u)?,
                None => vec![],
            },
        };
        let cond = condition(&input, &mut attrs)?;
        attrs.check_unused(expr.is_some() || s(&input, "ConditionExpression").is_some())?;
        check_key_update(&meta, &actions)?;
        let rv = s(&input, "ReturnValues").unwrap_or("NONE").to_string();
        let report = Report::from_input(&input);
        let ikey = item_key(&tkey, &h, r.as_ref());
        let (old, new) = self
            .s
            .store
            .write(|txn| -> Result<(Option<Item>, Item), AwsError> {
                let old = txn.get(&self.s.items, &ikey)?.map(|v| item_from_stored(&v));
                check_condition(cond.as_ref(), old.as_ref(), &input)?;
                let base = old.clone().unwrap_or_else(|| key.clone());
                let new = update::apply(&base, &actions)?;
                meta.check_item(&new)?;
                check_size(&new)?;
                storage::write_item(
                    &self.s,
                    txn,
                    &tkey,
                    &meta,
                    &ikey,
                    old.as_ref(),
                    Some(&new),
                    ctx.clock.now_millis(),
                )?;
                Ok((old, new))
            })?;
        let mut out = json!({});
        let attributes = match rv.as_str() {
            "ALL_OLD" => old.clone(),
            "ALL_NEW" => Some(new.clone()),
            "UPDATED_OLD" => old.as_ref().map(|o| project(o, &action_paths(&actions))),
            "UPDATED_NEW" => Some(project(&new, &action_paths(&actions))),
            _ => None,
        };
        if let Some(a) = attributes.filter(|a| !a.is_empty()) {
            out["Attributes"] = item_to_json(&a);
        }
        if let Some(m) = collection_metrics(&meta, &input, &new) {
            out["ItemCollectionMetrics"] = m;
        }
        let c = write_consumed(&meta, old.as_ref(), Some(&new), 1.0);
        Ok(with_capacity(out, &c, report))
    }
}
