//! `BatchExecuteStatement` (up to 25 statements, all reads or all writes,
//! each applied or refused on its own, its error in its own response) and
//! `ExecuteTransaction` (up to 100, all reads or all writes; the writes
//! are judged and made in one store transaction, all or nothing, with a
//! `ClientRequestToken` remembered for ten minutes as TransactWriteItems
//! does).

use super::parse::{self, params_of, Stmt};
use super::{Change, Refusal, Write};
use crate::capacity::{read_units, Consumed, Report};
use crate::errors::{validation, DynamoError};
use crate::items::{s, write_consumed};
use crate::transact::TOKEN_WINDOW_MS;
use crate::value::item_to_json;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Both kinds of statement in one batch or transaction.
fn mixed() -> AwsError {
    validation("Transaction must contain either all reads or all writes")
}

/// A per-statement error of a batch.
fn batch_error(code: &str, message: &str) -> Value {
    json!({"Error": {"Code": code, "Message": message}})
}

/// A cancellation reason for a refused transaction statement.
fn reason(r: &Refusal, return_old: bool) -> Value {
    match r {
        Refusal::Condition(old) => {
            let mut v = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
            if let (true, Some(o)) = (return_old, old) {
                v["Item"] = item_to_json(o);
            }
            v
        }
        Refusal::Duplicate => {
            json!({"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"})
        }
        Refusal::Invalid(e) => json!({"Code": "ValidationError", "Message": e.message}),
    }
}

/// Adds `c` to the per-table totals.
fn add_consumed(all: &mut Vec<Consumed>, c: Consumed) {
    match all.iter_mut().find(|x| x.table == c.table) {
        Some(x) => x.table_units += c.table_units,
        None => all.push(c),
    }
}

fn consumed_json(all: &[Consumed], report: Report) -> Option<Value> {
    (report != Report::None)
        .then(|| Value::Array(all.iter().filter_map(|c| c.to_json(report)).collect()))
}

impl DynamoDbService {
    /// Whether the table a statement names exists.
    fn has_table(&self, ctx: &RequestContext, stmt: &Stmt) -> Result<bool, AwsError> {
        Ok(self
            .cached_meta(&self.table_key(ctx, stmt.table()))?
            .is_some())
    }

    /// `BatchExecuteStatement`.
    pub(crate) fn batch_execute_statement(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let report = Report::from_input(&input);
        let list = input
            .get("Statements")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // Parsed first: the batch's kind is known before anything runs.
        let mut parsed = vec![];
        for st in &list {
            let p = params_of(st.get("Parameters"))
                .and_then(|params| parse::parse(s(st, "Statement").unwrap_or_default(), &params));
            parsed.push(p);
        }
        let reads = parsed.iter().flatten().filter(|p| p.is_read()).count();
        let writes = parsed.iter().flatten().count() - reads;
        if reads > 0 && writes > 0 {
            return Err(mixed());
        }
        let mut responses = vec![];
        let mut consumed = vec![];
        let now = ctx.clock.now_millis();
        for (st, p) in list.iter().zip(parsed) {
            let stmt = match p {
                Ok(stmt) => stmt,
                Err(e) => {
                    responses.push(batch_error("ValidationError", &e.message));
                    continue;
                }
            };
            let table = stmt.table().to_string();
            if !self.has_table(ctx, &stmt)? {
                let mut r = batch_error("ResourceNotFound", "Requested resource not found");
                r["TableName"] = json!(table);
                responses.push(r);
                continue;
            }
            let mut r = if stmt.is_read() {
                self.batch_read(ctx, stmt, st, &mut consumed)
            } else {
                self.batch_write(ctx, stmt, st, now, &mut consumed)
            }?;
            r["TableName"] = json!(table);
            responses.push(r);
        }
        let mut out = json!({"Responses": responses});
        if let Some(c) = consumed_json(&consumed, report) {
            out["ConsumedCapacity"] = c;
        }
        Ok(out)
    }

    /// One read of a batch: its response, or its error as a response.
    fn batch_read(
        &self,
        ctx: &RequestContext,
        stmt: Stmt,
        st: &Value,
        consumed: &mut Vec<Consumed>,
    ) -> OpResult {
        let read = match self.plan_read(ctx, stmt) {
            Ok(r) => r,
            Err(e) => return Ok(batch_error("ValidationError", &e.message)),
        };
        let (item, size) = self.read_one(&read, self.s.items.get(&read.ikey)?)?;
        let consistent = st.get("ConsistentRead").and_then(Value::as_bool) == Some(true);
        add_consumed(
            consumed,
            Consumed {
                table: read.meta.name.clone(),
                table_units: read_units(size, consistent),
                read: true,
                ..Default::default()
            },
        );
        Ok(match item {
            Some(i) => json!({"Item": i}),
            None => json!({}),
        })
    }

    /// One write of a batch, applied in its own transaction.
    fn batch_write(
        &self,
        ctx: &RequestContext,
        stmt: Stmt,
        st: &Value,
        now: i64,
        consumed: &mut Vec<Consumed>,
    ) -> OpResult {
        if matches!(stmt, Stmt::Exists { .. }) {
            return Ok(batch_error(
                "ValidationError",
                "EXISTS is only supported in transactions (ExecuteTransaction)",
            ));
        }
        let w = match self.plan_write(ctx, stmt) {
            Ok(w) => w,
            Err(e) => return Ok(batch_error("ValidationError", &e.message)),
        };
        let judged = self.s.store.write(|txn| -> Result<_, AwsError> {
            let judged = self.judge(txn, &w)?;
            if let Ok(change) = &judged {
                self.apply_change(txn, &w, change, now)?;
            }
            Ok(judged)
        })?;
        Ok(match judged {
            Ok(change) => {
                add_consumed(
                    consumed,
                    write_consumed(&w.meta, change.0.as_ref(), change.1.as_ref(), 1.0),
                );
                json!({})
            }
            Err(r) => {
                let return_old = s(st, "ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD");
                let v = reason(&r, return_old);
                let mut e = json!({"Code": v["Code"], "Message": v["Message"]});
                if let Some(i) = v.get("Item") {
                    e["Item"] = i.clone();
                }
                json!({ "Error": e })
            }
        })
    }

    /// `ExecuteTransaction`.
    pub(crate) fn execute_transaction(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let report = Report::from_input(&input);
        let list = input
            .get("TransactStatements")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut stmts = vec![];
        for st in &list {
            let params = params_of(st.get("Parameters"))?;
            let stmt = parse::parse(s(st, "Statement").unwrap_or_default(), &params)?;
            if !self.has_table(ctx, &stmt)? {
                return Err(DynamoError::NotFound.into());
            }
            stmts.push(stmt);
        }
        let reads = stmts.iter().filter(|p| p.is_read()).count();
        if reads > 0 && reads < stmts.len() {
            return Err(mixed());
        }
        if reads > 0 {
            return self.transact_reads(ctx, stmts, report);
        }
        let mut writes: Vec<Write> = vec![];
        let mut seen = HashSet::new();
        for stmt in stmts {
            let w = self.plan_write(ctx, stmt)?;
            if !seen.insert(w.ikey.clone()) {
                return Err(validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            writes.push(w);
        }
        let token = s(&input, "ClientRequestToken")
            .map(|t| Scope::regional(ctx).key(&format!("partiql/{t}")));
        let digest = {
            let mut h = Sha256::new();
            h.update(serde_json::to_vec(&list).unwrap_or_default());
            gureum_core::hex::encode(&h.finalize())
        };
        let now = ctx.clock.now_millis();
        let consumed = self
            .s
            .store
            .write(|txn| -> Result<Vec<Consumed>, AwsError> {
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
                let mut changes: Vec<Change> = vec![];
                let mut reasons = vec![];
                let mut failed = false;
                for (w, st) in writes.iter().zip(&list) {
                    match self.judge(txn, w)? {
                        Ok(c) => {
                            reasons.push(json!({"Code": "None"}));
                            changes.push(c);
                        }
                        Err(r) => {
                            failed = true;
                            let old =
                                s(st, "ReturnValuesOnConditionCheckFailure") == Some("ALL_OLD");
                            reasons.push(reason(&r, old));
                            changes.push((None, None));
                        }
                    }
                }
                if failed {
                    return Err(crate::transact::cancelled(&reasons));
                }
                let mut consumed = vec![];
                for (w, change) in writes.iter().zip(&changes) {
                    self.apply_change(txn, w, change, now)?;
                    add_consumed(
                        &mut consumed,
                        write_consumed(&w.meta, change.0.as_ref(), change.1.as_ref(), 2.0),
                    );
                }
                if let Some(t) = &token {
                    txn.put(&self.s.tokens, t, &json!({"digest": digest, "at": now}))?;
                }
                Ok(consumed)
            })?;
        let mut out = json!({});
        if let Some(c) = consumed_json(&consumed, report) {
            out["ConsumedCapacity"] = c;
        }
        Ok(out)
    }

    /// A read transaction: every item from one consistent view.
    fn transact_reads(&self, ctx: &RequestContext, stmts: Vec<Stmt>, report: Report) -> OpResult {
        let mut reads = vec![];
        for stmt in stmts {
            reads.push(self.plan_read(ctx, stmt)?);
        }
        let (responses, consumed) = self.s.store.write(|txn| -> Result<_, AwsError> {
            let mut responses = vec![];
            let mut consumed = vec![];
            for r in &reads {
                let (item, size) = self.read_one(r, txn.get(&self.s.items, &r.ikey)?)?;
                responses.push(match item {
                    Some(i) => json!({"Item": i}),
                    None => json!({}),
                });
                add_consumed(
                    &mut consumed,
                    Consumed {
                        table: r.meta.name.clone(),
                        table_units: read_units(size, true) * 2.0,
                        read: true,
                        ..Default::default()
                    },
                );
            }
            Ok((responses, consumed))
        })?;
        let mut out = json!({"Responses": responses});
        if let Some(c) = consumed_json(&consumed, report) {
            out["ConsumedCapacity"] = c;
        }
        Ok(out)
    }
}
