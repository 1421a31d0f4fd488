//! `PutResourcePolicy`, `GetResourcePolicy`, `DeleteResourcePolicy`: a
//! table's resource-based policy, kept in its description with a revision
//! id that `ExpectedRevisionId` must match (optimistic concurrency, as
//! AWS's API reference describes).

use crate::errors::{validation, DynamoError};
use crate::storage;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// AWS's limit on a resource-based policy, in bytes.
const MAX_POLICY_BYTES: usize = 20 * 1024;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// "not found" for `arn`: the message AWS answers when a table has no
/// policy (not confirmed against AWS's wire text).
fn not_found(arn: &str) -> AwsError {
    DynamoError::PolicyNotFound {
        message: format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    }
    .into()
}

/// A revision that is not the caller's `expected` (wording not confirmed).
fn stale(expected: &str, name: &str, actual: &str) -> AwsError {
    DynamoError::PolicyNotFound {
        message: format!(
            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {expected}, but the policy associated to target table {name} has revision id {actual}."
        ),
    }
    .into()
}

impl DynamoDbService {
    /// Applies `change` to the policy of the table `arn` names, checking
    /// `ExpectedRevisionId`; answers the new revision id.
    fn change_policy(
        &self,
        ctx: &RequestContext,
        input: &Value,
        change: impl Fn(&Option<(String, String)>, String) -> Result<Option<(String, String)>, AwsError>,
    ) -> Result<String, AwsError> {
        let arn = s(input, "ResourceArn");
        let (key, _) = self.by_arn(ctx, arn)?;
        let expected = input.get("ExpectedRevisionId").and_then(Value::as_str);
        let revision = ctx.clock.now_millis().to_string();
        let answer = self.s.store.write(|txn| -> Result<String, AwsError> {
            let mut m = txn
                .get(&self.s.tables, &key)?
                .ok_or_else(|| AwsError::from(DynamoError::NotFound))?;
            if let Some(expected) = expected {
                match &m.policy {
                    Some((_, actual)) if actual != expected => {
                        return Err(stale(expected, &m.name, actual));
                    }
                    None => return Err(not_found(arn)),
                    _ => {}
                }
            }
            m.policy = change(&m.policy, revision.clone())?;
            storage::put_meta(&self.s, txn, &key, &mut m)?;
            Ok(revision.clone())
        })?;
        self.forget(&key);
        Ok(answer)
    }

    /// `PutResourcePolicy`: the document must be JSON of at most 20 KB.
    pub(crate) fn put_resource_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let policy = s(&input, "Policy").to_string();
        if policy.len() > MAX_POLICY_BYTES {
            return Err(validation(format!(
                "Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes"
            )));
        }
        if !serde_json::from_str::<Value>(&policy).is_ok_and(|v| v.is_object()) {
            return Err(validation(
                "Invalid policy document: the policy must be a JSON object",
            ));
        }
        let revision = self.change_policy(ctx, &input, |_, revision| {
            Ok(Some((policy.clone(), revision)))
        })?;
        Ok(json!({ "RevisionId": revision }))
    }

    /// `GetResourcePolicy`.
    pub(crate) fn get_resource_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "ResourceArn");
        let (_, m) = self.by_arn(ctx, arn)?;
        match &m.policy {
            Some((policy, revision)) => Ok(json!({ "Policy": policy, "RevisionId": revision })),
            None => Err(not_found(arn)),
        }
    }

    /// `DeleteResourcePolicy`: answers the deleted policy's revision id.
    pub(crate) fn delete_resource_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = s(&input, "ResourceArn").to_string();
        let deleted = std::sync::Mutex::new(String::new());
        self.change_policy(ctx, &input, |current, _| match current {
            Some((_, revision)) => {
                *deleted.lock().unwrap_or_else(|e| e.into_inner()) = revision.clone();
                Ok(None)
            }
            None => Err(not_found(&arn)),
        })?;
        let revision = deleted.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok(json!({ "RevisionId": revision }))
    }
}
