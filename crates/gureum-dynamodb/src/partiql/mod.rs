//! PartiQL: `ExecuteStatement` (here), `BatchExecuteStatement` and
//! `ExecuteTransaction` (`multi.rs`), over the statements `parse.rs`
//! reads. A write statement names one item by equalities on its whole
//! key; it becomes a [`Write`] judged against the item inside a store
//! transaction ([`DynamoDbService::judge`]), so a single statement, each
//! statement of a batch and a whole transaction are each atomic. A
//! SELECT whose WHERE fixes the partition key reads one partition; any
//! other scans.

mod multi;
mod parse;

use crate::capacity::{read_units, Consumed, Report};
use crate::errors::{validation, DynamoError};
use crate::expr::eval::{holds, project};
use crate::expr::parser::{Action, Cond, Elem, Path};
use crate::items::{check_key_update, check_size, condition_failed, s, write_consumed};
use crate::keys;
use crate::schema::TableMeta;
use crate::storage::{self, index_base, item_key, items_base};
use crate::update;
use crate::value::{item_from_stored, item_size, item_to_json, Item};
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use parse::{equalities, params_of, Returning, Stmt};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a write statement does to its item.
pub(crate) enum WriteKind {
    /// INSERT: refused when the key exists.
    Insert(Item),
    /// UPDATE: refused when the item is missing.
    Update(Vec<Action>),
    /// DELETE: nothing when the item is missing.
    Delete,
    /// EXISTS: the item must exist and match; nothing is written.
    Check,
}

/// A write statement, resolved against its table.
pub(crate) struct Write {
    tkey: String,
    meta: Arc<TableMeta>,
    ikey: String,
    kind: WriteKind,
    cond: Option<Cond>,
    returning: Option<Returning>,
}

/// Why a write statement did not apply.
pub(crate) enum Refusal {
    /// The WHERE did not hold (the item as it was, if any).
    Condition(Option<Item>),
    /// An INSERT of a key that exists.
    Duplicate,
    /// The update made an invalid item.
    Invalid(AwsError),
}

/// The item before and after a write that applies.
type Change = (Option<Item>, Option<Item>);

/// A SELECT that names one item by its whole key (batches, transactions).
pub(crate) struct Read {
    meta: Arc<TableMeta>,
    ikey: String,
    proj: Option<Vec<Path>>,
    cond: Option<Cond>,
}

impl Refusal {
    /// The error a single statement answers.
    fn into_error(self, input: &Value) -> AwsError {
        match self {
            Refusal::Condition(old) => condition_failed(old.as_ref(), input),
            Refusal::Duplicate => DynamoError::Duplicate.into(),
            Refusal::Invalid(e) => e,
        }
    }
}

/// The attributes `actions` touch, at the top level (`MODIFIED` returns).
fn touched(item: &Item, actions: &[Action]) -> Item {
    let names: Vec<&str> = actions
        .iter()
        .filter_map(|a| {
            let (Action::Set(p, _) | Action::Remove(p) | Action::Add(p, _) | Action::Delete(p, _)) =
                a;
            match p.first() {
                Some(Elem::Attr(n)) => Some(n.as_str()),
                _ => None,
            }
        })
        .collect();
    item.iter()
        .filter(|(k, _)| names.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl DynamoDbService {
    /// The table, its description and the store key of the item a WHERE
    /// names by equalities on every key attribute.
    fn keyed(
        &self,
        ctx: &RequestContext,
        table: &str,
        cond: &Cond,
    ) -> Result<(String, Arc<TableMeta>, String), AwsError> {
        let (tkey, meta) = self.meta(ctx, table, false)?;
        let mut eq = BTreeMap::new();
        equalities(cond, &mut eq);
        let key: Item = meta
            .keys
            .names()
            .filter_map(|n| eq.get(n).map(|v| (n.to_string(), v.clone())))
            .collect();
        let (h, r) = meta.key_from(&key).map_err(|_| {
            validation("Where clause does not contain a mandatory equality on all key attributes")
        })?;
        let ikey = item_key(&tkey, &h, r.as_ref());
        Ok((tkey, meta, ikey))
    }

    /// A write statement resolved against its table (not yet judged).
    pub(crate) fn plan_write(&self, ctx: &RequestContext, stmt: Stmt) -> Result<Write, AwsError> {
        match stmt {
            Stmt::Insert { table, item } => {
                let (tkey, meta) = self.meta(ctx, &table, false)?;
                let (h, r) = meta.check_item(&item)?;
                check_size(&item)?;
                let ikey = item_key(&tkey, &h, r.as_ref());
                Ok(Write {
                    tkey,
                    meta,
                    ikey,
                    kind: WriteKind::Insert(item),
                    cond: None,
                    returning: None,
                })
            }
            Stmt::Update {
                table,
                actions,
                cond,
                returning,
            } => {
                let (tkey, meta, ikey) = self.keyed(ctx, &table, &cond)?;
                check_key_update(&meta, &actions)?;
                Ok(Write {
                    tkey,
                    meta,
                    ikey,
                    kind: WriteKind::Update(actions),
                    cond: Some(cond),
                    returning,
                })
            }
            Stmt::Delete {
                table,
                cond,
                returning,
            } => {
                let (tkey, meta, ikey) = self.keyed(ctx, &table, &cond)?;
                Ok(Write {
                    tkey,
                    meta,
                    ikey,
                    kind: WriteKind::Delete,
                    cond: Some(cond),
                    returning,
                })
            }
            Stmt::Exists { table, cond } => {
                let (tkey, meta, ikey) = self.keyed(ctx, &table, &cond)?;
                Ok(Write {
                    tkey,
                    meta,
                    ikey,
                    kind: WriteKind::Check,
                    cond: Some(cond),
                    returning: None,
                })
            }
            Stmt::Select { .. } => Err(validation(
                "Transaction must contain either all reads or all writes",
            )),
        }
    }

    /// What `w` would do to its item as `txn` sees it (nothing written).
    fn judge(&self, txn: &mut WriteTxn, w: &Write) -> Result<Result<Change, Refusal>, AwsError> {
        let old = txn
            .get(&self.s.items, &w.ikey)?
            .map(|v| item_from_stored(&v));
        if let WriteKind::Insert(item) = &w.kind {
            return Ok(match old {
                Some(_) => Err(Refusal::Duplicate),
                None => Ok((None, Some(item.clone()))),
            });
        }
        let Some(o) = old else {
            return Ok(match w.kind {
                WriteKind::Delete => Ok((None, None)),
                _ => Err(Refusal::Condition(None)),
            });
        };
        if let Some(c) = &w.cond {
            if !holds(c, &o)? {
                return Ok(Err(Refusal::Condition(Some(o))));
            }
        }
        Ok(match &w.kind {
            WriteKind::Update(actions) => {
                match update::apply(&o, actions)
                    .and_then(|n| w.meta.check_item(&n).map(|_| n))
                    .and_then(|n| check_size(&n).map(|_| n))
                {
                    Ok(n) => Ok((Some(o), Some(n))),
                    Err(e) => Err(Refusal::Invalid(e)),
                }
            }
            WriteKind::Delete => Ok((Some(o), None)),
            _ => Ok((Some(o.clone()), Some(o))),
        })
    }

    /// Makes a judged change in `txn` (a check changes nothing).
    fn apply_change(
        &self,
        txn: &mut WriteTxn,
        w: &Write,
        change: &Change,
        now: i64,
    ) -> Result<(), AwsError> {
        if matches!(w.kind, WriteKind::Check) || (change.0.is_none() && change.1.is_none()) {
            return Ok(());
        }
        storage::write_item(
            &self.s,
            txn,
            &w.tkey,
            &w.meta,
            &w.ikey,
            change.0.as_ref(),
            change.1.as_ref(),
            now,
        )?;
        Ok(())
    }

    /// What `RETURNING` answers for an applied change.
    fn returned(w: &Write, change: &Change) -> Option<Item> {
        let (old, new) = change;
        let actions: &[Action] = match &w.kind {
            WriteKind::Update(a) => a,
            _ => &[],
        };
        match w.returning? {
            Returning::AllOld => old.clone(),
            Returning::AllNew => new.clone(),
            Returning::ModifiedOld => old.as_ref().map(|o| touched(o, actions)),
            Returning::ModifiedNew => new.as_ref().map(|n| touched(n, actions)),
        }
    }

    /// A SELECT that must name one item by its whole key.
    pub(crate) fn plan_read(&self, ctx: &RequestContext, stmt: Stmt) -> Result<Read, AwsError> {
        let Stmt::Select {
            table,
            index,
            proj,
            cond,
        } = stmt
        else {
            return Err(validation(
                "Transaction must contain either all reads or all writes",
            ));
        };
        if index.is_some() {
            return Err(validation(
                "Select statements with an index are not supported in batches and transactions",
            ));
        }
        let Some(c) = cond else {
            return Err(validation(
                "Where clause does not contain a mandatory equality on all key attributes",
            ));
        };
        let (_, meta, ikey) = self.keyed(ctx, &table, &c)?;
        Ok(Read {
            meta,
            ikey,
            proj,
            cond: Some(c),
        })
    }

    /// The item a keyed read answers (projected), and its size.
    fn read_one(
        &self,
        r: &Read,
        stored: Option<Value>,
    ) -> Result<(Option<Value>, usize), AwsError> {
        let Some(v) = stored else {
            return Ok((None, 0));
        };
        let item = item_from_stored(&v);
        let size = item_size(&item);
        if let Some(c) = &r.cond {
            if !holds(c, &item)? {
                return Ok((None, size));
            }
        }
        Ok((
            Some(match &r.proj {
                Some(p) => item_to_json(&project(&item, p)),
                None => v,
            }),
            size,
        ))
    }

    /// `ExecuteStatement`.
    pub(crate) fn execute_statement(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let params = params_of(input.get("Parameters"))?;
        let stmt = parse::parse(s(&input, "Statement").unwrap_or_default(), &params)?;
        if stmt.is_read() {
            return self.select(ctx, stmt, &input);
        }
        let w = self.plan_write(ctx, stmt)?;
        if matches!(w.kind, WriteKind::Check) {
            return Err(validation(
                "EXISTS is only supported in transactions (ExecuteTransaction)",
            ));
        }
        let now = ctx.clock.now_millis();
        let change = self.s.store.write(|txn| -> Result<Change, AwsError> {
            let change = self.judge(txn, &w)?.map_err(|r| r.into_error(&input))?;
            self.apply_change(txn, &w, &change, now)?;
            Ok(change)
        })?;
        let mut out = json!({});
        if let Some(item) = Self::returned(&w, &change) {
            out["Items"] = json!([item_to_json(&item)]);
        }
        let c = write_consumed(&w.meta, change.0.as_ref(), change.1.as_ref(), 1.0);
        if let Some(v) = c.to_json(Report::from_input(&input)) {
            out["ConsumedCapacity"] = v;
        }
        Ok(out)
    }

    /// A SELECT: one partition when the WHERE fixes the partition key,
    /// else a scan; `Limit` items evaluated per page, `NextToken` after.
    fn select(&self, ctx: &RequestContext, stmt: Stmt, input: &Value) -> OpResult {
        let Stmt::Select {
            table,
            index,
            proj,
            cond,
        } = stmt
        else {
            return Err(validation("not a SELECT"));
        };
        let (tkey, meta) = self.meta(ctx, &table, false)?;
        let consistent = input.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
        let (base, hash) = match &index {
            Some(i) => {
                let idx = meta.index(i).ok_or_else(|| {
                    validation(format!("The table does not have the specified index: {i}"))
                })?;
                if consistent && idx.global {
                    return Err(validation(
                        "Consistent reads are not supported on global secondary indexes",
                    ));
                }
                (index_base(&tkey, i), idx.keys.hash.clone())
            }
            None => (items_base(&tkey), meta.keys.hash.clone()),
        };
        let mut eq = BTreeMap::new();
        if let Some(c) = &cond {
            equalities(c, &mut eq);
        }
        let (mut start, end) = match eq.get(&hash) {
            Some(h) => {
                let prefix = keys::partition_prefix(&base, h);
                let mut e = prefix.clone();
                e.pop();
                e.push('/');
                (prefix, e)
            }
            None => (base.clone(), format!("{base}g")),
        };
        if let Some(t) = s(input, "NextToken") {
            if !t.starts_with(&base) || t < start.as_str() {
                return Err(validation("Given NextToken is not valid"));
            }
            start = format!("{t}\u{0}");
        }
        let limit = input
            .get("Limit")
            .and_then(Value::as_u64)
            .map_or(usize::MAX, |l| l as usize);
        let table_ref = if index.is_some() {
            &self.s.index
        } else {
            &self.s.items
        };
        let mut items = vec![];
        let mut read = 0usize;
        let mut bytes = 0usize;
        let mut next = None;
        let mut cursor = start;
        'outer: loop {
            let batch = table_ref.scan_range(&cursor, Some(&end), 256)?;
            let n = batch.len();
            for (k, v) in batch {
                let item = item_from_stored(&v);
                read += 1;
                bytes += item_size(&item);
                let keep = match &cond {
                    Some(c) => holds(c, &item)?,
                    None => true,
                };
                if keep {
                    items.push(match &proj {
                        Some(pr) => item_to_json(&project(&item, pr)),
                        None => v,
                    });
                }
                cursor = format!("{k}\u{0}");
                // A page ends at Limit items evaluated, or at 1 MB read.
                if read >= limit || bytes >= 1024 * 1024 {
                    next = Some(k);
                    break 'outer;
                }
            }
            if n < 256 {
                break;
            }
        }
        let mut out = json!({"Items": items});
        if let Some(k) = next {
            out["NextToken"] = json!(k);
        }
        let c = Consumed {
            table: meta.name.clone(),
            table_units: read_units(bytes, consistent),
            read: true,
            ..Default::default()
        };
        if let Some(v) = c.to_json(Report::from_input(input)) {
            out["ConsumedCapacity"] = v;
        }
        Ok(out)
    }
}
