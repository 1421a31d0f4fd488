//! Patch operations (`patchOperations`), as every `Update*` takes them.

use crate::errors::bad_request;
use gureum_core::{AwsError, Value};
use serde_json::json;

/// One patch operation.
pub(crate) struct PatchOp {
    /// `add`, `remove`, `replace`, `copy`, …
    pub op: String,
    /// A JSON pointer (`/name`, `/variables/env`).
    pub path: String,
    /// The new value, when the operation has one.
    pub value: Option<String>,
}

/// The request's patch operations.
pub(crate) fn operations(input: &Value) -> Result<Vec<PatchOp>, AwsError> {
    let list = input
        .get("patchOperations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|op| {
            let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
            let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
            if name.is_empty() {
                return Err(bad_request("Invalid patch operation specified. Must be one of: [add, remove, replace, move, copy, test]"));
            }
            Ok(PatchOp {
                op: name.to_string(),
                path: path.to_string(),
                value: op.get("value").and_then(Value::as_str).map(str::to_string),
            })
        })
        .collect()
}

/// The refusal of an operation the resource does not support on `path`.
pub(crate) fn invalid(op: &PatchOp) -> AwsError {
    bad_request(format!("Invalid patch path '{}' specified for op '{}'. Must be one of the updatable paths of this resource.", op.path, op.op))
}

/// A JSON pointer segment with `~1` and `~0` decoded.
pub(crate) fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Sets `member` to `value`, or removes it when the value is absent.
pub(crate) fn set_or_remove(target: &mut Value, member: &str, value: Option<&str>) {
    match value {
        Some(v) => target[member] = json!(v),
        None => {
            if let Some(m) = target.as_object_mut() {
                m.remove(member);
            }
        }
    }
}

/// The operation's value as a boolean.
pub(crate) fn boolean(op: &PatchOp) -> Result<bool, AwsError> {
    match op.value.as_deref() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        other => Err(bad_request(format!(
            "Invalid boolean value '{}' for path {}",
            other.unwrap_or_default(),
            op.path
        ))),
    }
}
