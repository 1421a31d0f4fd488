//! Requests sent to an SQS queue URL.
//!
//! Older SDKs and the query protocol post to the queue's own URL
//! (`POST /ACCOUNT/NAME` with `Action=SendMessage`) and leave `QueueUrl`
//! out: the URL is the request's. This fills `QueueUrl` from the path and
//! `Host` before the input is validated, so such requests reach the queue.

use gureum_core::Value;
use gureum_model::{OperationModel, ServiceModel};

/// Sets `QueueUrl` to `http://HOST/ACCOUNT/NAME` when the operation takes
/// one, the input has none and the path is `/ACCOUNT/NAME`.
pub fn fill_from_path(
    model: &ServiceModel,
    op: &OperationModel,
    input: &mut Value,
    host: &str,
    path: &str,
) {
    let takes_url = op
        .input
        .as_ref()
        .and_then(|r| model.shape(&r.shape))
        .is_some_and(|s| s.members.contains_key("QueueUrl"));
    if !takes_url || input.get("QueueUrl").is_some() {
        return;
    }
    let Some((account, name)) = path
        .strip_prefix('/')
        .and_then(|p| p.trim_end_matches('/').split_once('/'))
    else {
        return;
    };
    let is_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    if !is_account || name.is_empty() || name.contains('/') {
        return;
    }
    if let Some(map) = input.as_object_mut() {
        map.insert(
            "QueueUrl".into(),
            Value::String(format!("http://{host}/{account}/{name}")),
        );
    }
}
