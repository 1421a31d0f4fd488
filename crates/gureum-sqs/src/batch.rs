//! The batch operations: up to ten entries, each succeeding or failing on
//! its own (`Successful`/`Failed`); only a malformed batch as a whole
//! (empty, too many, repeated or malformed ids, too long) fails the call.

use crate::errors::SqsError;
use crate::messages;
use crate::SqsService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;
use std::collections::HashSet;

/// Checks a batch's entries; answers them.
fn entries<'a>(input: &'a Value, entry_name: &str) -> Result<&'a [Value], AwsError> {
    let entries = input["Entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if entries.is_empty() {
        return Err(SqsError::EmptyBatch {
            entry: entry_name.to_string(),
        }
        .into());
    }
    if entries.len() > 10 {
        return Err(SqsError::TooManyEntries {
            count: entries.len(),
        }
        .into());
    }
    let mut seen = HashSet::new();
    for e in entries {
        let id = e["Id"].as_str().unwrap_or_default();
        let well_formed = !id.is_empty()
            && id.len() <= 80
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(SqsError::BadEntryId.into());
        }
        if !seen.insert(id) {
            return Err(SqsError::DuplicateIds { id: id.to_string() }.into());
        }
    }
    Ok(entries)
}

/// A `Failed` entry for `error`.
fn failure(id: &str, error: &AwsError) -> Value {
    json!({
        "Id": id,
        "SenderFault": error.status < 500,
        "Code": error.code,
        "Message": error.message,
    })
}

fn answer(successful: Vec<Value>, failed: Vec<Value>) -> OpResult {
    Ok(json!({"Successful": successful, "Failed": failed}))
}

/// `SendMessageBatch`.
pub fn send(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let entries = entries(input, "SendMessageBatchRequestEntry")?;
    let size: usize = entries
        .iter()
        .map(|e| e["MessageBody"].as_str().map_or(0, str::len))
        .sum();
    if size > 262_144 {
        return Err(SqsError::BatchTooLong { size }.into());
    }
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for e in entries {
        let id = e["Id"].as_str().unwrap_or_default();
        match messages::send_one(svc, ctx, &found, e) {
            Ok(mut out) => {
                out["Id"] = Value::String(id.to_string());
                ok.push(out);
            }
            Err(err) => failed.push(failure(id, &err)),
        }
    }
    answer(ok, failed)
}

/// `DeleteMessageBatch`.
pub fn delete(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let entries = entries(input, "DeleteMessageBatchRequestEntry")?;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for e in entries {
        let id = e["Id"].as_str().unwrap_or_default();
        let handle = e["ReceiptHandle"].as_str().unwrap_or_default();
        match messages::delete_one(svc, &found, handle) {
            Ok(()) => ok.push(json!({"Id": id})),
            Err(err) => failed.push(failure(id, &err)),
        }
    }
    answer(ok, failed)
}

/// `ChangeMessageVisibilityBatch`.
pub fn change_visibility(svc: &SqsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let found = svc.find(ctx, input)?;
    let entries = entries(input, "ChangeMessageVisibilityBatchRequestEntry")?;
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for e in entries {
        let id = e["Id"].as_str().unwrap_or_default();
        let handle = e["ReceiptHandle"].as_str().unwrap_or_default();
        let timeout = e["VisibilityTimeout"].as_i64();
        match messages::change_one(svc, ctx, &found, handle, timeout) {
            Ok(()) => ok.push(json!({"Id": id})),
            Err(err) => failed.push(failure(id, &err)),
        }
    }
    answer(ok, failed)
}
