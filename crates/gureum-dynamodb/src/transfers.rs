//! What exports and imports share: their stored records, the queue of
//! jobs the ticker runs ([`DynamoDbService::run_transfers`]), and paging
//! of their lists.
//!
//! A job's record (`dynamodb.exports` / `dynamodb.imports`, keyed
//! `account/region/<id>`) is its wire description plus internal members
//! named with a leading `_` (never answered). A job waits in
//! `dynamodb.transfers` (`account/region/<export|import>/<id>`) until the
//! ticker's next pass runs it through the [`crate::objects::Objects`]
//! seam; AWS's jobs take minutes, these take a tick.

use crate::errors::{validation, DynamoError};
use crate::DynamoDbService;
use gureum_core::{AwsError, Clock, RequestContext, Scope, Value};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long an export's or import's `ClientToken` is remembered (AWS's
/// eight hours), ms.
const TOKEN_WINDOW_MS: i64 = 8 * 60 * 60 * 1000;

/// The store key of a job's client token.
fn token_key(ctx: &RequestContext, kind: &str, token: &str) -> String {
    Scope::regional(ctx).key(&format!("{kind}-token/{token}"))
}

/// A request's digest, its client token left out.
fn digest(input: &Value) -> String {
    let mut v = input.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("ClientToken");
    }
    let mut h = Sha256::new();
    h.update(v.to_string().as_bytes());
    gureum_core::hex::encode(&h.finalize())
}

/// The wire form of a stored job record: internal members dropped.
pub(crate) fn public(record: &Value) -> Value {
    match record {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('_'))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Seconds as the wire's timestamps.
pub(crate) fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// A job id as AWS shapes them: the time in ms, a dash, 8 hex digits.
pub(crate) fn job_id(now_ms: i64) -> String {
    format!("{now_ms:014}-{}", gureum_core::id::hex(8))
}

impl DynamoDbService {
    /// The job an earlier request with the same `ClientToken` started,
    /// within eight hours; the same token with other parameters is
    /// `ImportConflictException`, as AWS documents for both kinds.
    pub(crate) fn job_for_token(
        &self,
        ctx: &RequestContext,
        kind: &str,
        input: &Value,
    ) -> Result<Option<Value>, AwsError> {
        let Some(token) = input.get("ClientToken").and_then(Value::as_str) else {
            return Ok(None);
        };
        let Some(prev) = self.s.tokens.get(&token_key(ctx, kind, token))? else {
            return Ok(None);
        };
        let at = prev.get("at").and_then(Value::as_i64).unwrap_or(0);
        if ctx.clock.now_millis() - at >= TOKEN_WINDOW_MS {
            return Ok(None);
        }
        if prev.get("digest").and_then(Value::as_str) != Some(digest(input).as_str()) {
            return Err(DynamoError::ImportConflict.into());
        }
        let id = prev.get("id").and_then(Value::as_str).unwrap_or_default();
        let table = if kind == "export" {
            &self.s.exports
        } else {
            &self.s.imports
        };
        Ok(table
            .get(&Scope::regional(ctx).key(id))?
            .map(|r| public(&r)))
    }

    /// Remembers a job's `ClientToken`, if the request has one.
    pub(crate) fn remember_token(
        &self,
        ctx: &RequestContext,
        kind: &str,
        input: &Value,
        id: &str,
    ) -> Result<(), AwsError> {
        if let Some(token) = input.get("ClientToken").and_then(Value::as_str) {
            self.s.tokens.put(
                &token_key(ctx, kind, token),
                &json!({"id": id, "digest": digest(input), "at": ctx.clock.now_millis()}),
            )?;
        }
        Ok(())
    }

    /// Queues a job for the ticker, with its record, in one transaction.
    pub(crate) fn queue_job(
        &self,
        ctx: &RequestContext,
        kind: &str,
        id: &str,
        record: &Value,
    ) -> Result<(), AwsError> {
        let scope = Scope::regional(ctx);
        let table = if kind == "export" {
            &self.s.exports
        } else {
            &self.s.imports
        };
        self.s.store.write(|txn| -> Result<(), AwsError> {
            txn.put(table, &scope.key(id), record)?;
            txn.put(
                &self.s.transfers,
                &scope.key(&format!("{kind}/{id}")),
                &String::new(),
            )?;
            Ok(())
        })
    }

    /// Runs every queued export and import (the ticker's pass; free
    /// when none waits).
    pub fn run_transfers(&self, clock: &Clock) -> Result<(), AwsError> {
        let queued = self.s.transfers.scan_prefix("")?;
        for (qkey, _) in queued {
            // `account/region/<kind>/<id>`.
            let parts: Vec<&str> = qkey.splitn(4, '/').collect();
            let [account, region, kind, id] = parts.as_slice() else {
                self.s.transfers.delete(&qkey)?;
                continue;
            };
            let ctx = RequestContext::root(account, region, clock.clone());
            let rkey = Scope::regional(&ctx).key(id);
            let (table, is_export) = if *kind == "export" {
                (&self.s.exports, true)
            } else {
                (&self.s.imports, false)
            };
            if let Some(mut record) = table.get(&rkey)? {
                let outcome = if is_export {
                    self.run_export(&ctx, &mut record)
                } else {
                    self.run_import(&ctx, &mut record)
                };
                let now = clock.now_millis();
                let status = if is_export {
                    "ExportStatus"
                } else {
                    "ImportStatus"
                };
                match outcome {
                    Ok(()) => record[status] = json!("COMPLETED"),
                    Err((code, message)) => {
                        record[status] = json!("FAILED");
                        record["FailureCode"] = json!(code);
                        record["FailureMessage"] = json!(message);
                    }
                }
                record["EndTime"] = json!(secs(now));
                table.put(&rkey, &record)?;
            }
            self.s.transfers.delete(&qkey)?;
        }
        Ok(())
    }

    /// One page of a job list: records of `kind` in the caller's scope,
    /// oldest first, kept by `keep`, `size` per page after `token`.
    pub(crate) fn job_page(
        &self,
        ctx: &RequestContext,
        is_export: bool,
        size: usize,
        token: Option<&str>,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<(Vec<Value>, Option<String>), AwsError> {
        let prefix = Scope::regional(ctx).prefix();
        let table = if is_export {
            &self.s.exports
        } else {
            &self.s.imports
        };
        let after = match token {
            Some(t) if !t.is_empty() && !t.contains('/') => Some(format!("{prefix}{t}")),
            Some(_) => return Err(validation("Invalid NextToken")),
            None => None,
        };
        let mut out = vec![];
        let mut next = None;
        for (k, v) in table.scan_prefix_after(&prefix, after.as_deref(), usize::MAX)? {
            if !keep(&v) {
                continue;
            }
            if out.len() == size {
                next = out
                    .last()
                    .and_then(|(k, _): &(String, Value)| k.strip_prefix(&prefix))
                    .map(str::to_string);
                break;
            }
            out.push((k, v));
        }
        Ok((out.into_iter().map(|(_, v)| v).collect(), next))
    }
}
