//! Changes: each write answers a `ChangeInfo` that is `PENDING` until
//! Gureum's clock passes [`PROPAGATION_MS`] after it, then `INSYNC`
//! (`GetChange`). The DNS server answers the new data at once: there are
//! no remote name servers to wait for.

use crate::errors::Route53Error;
use crate::Route53Service;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_store::WriteTxn;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long a change stays `PENDING` on Gureum's clock.
pub const PROPAGATION_MS: i64 = 1_000;

/// A change as stored.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Change {
    /// `C…` without `/change/`.
    pub id: String,
    /// When it was submitted, on Gureum's clock.
    pub submitted_ms: i64,
    /// The batch's comment.
    pub comment: Option<String>,
}

impl Change {
    /// The `ChangeInfo` at `now`.
    pub fn info(&self, now_ms: i64) -> Value {
        let status = if now_ms >= self.submitted_ms + PROPAGATION_MS {
            "INSYNC"
        } else {
            "PENDING"
        };
        let mut out = json!({
            "Id": format!("/change/{}", self.id),
            "Status": status,
            "SubmittedAt": self.submitted_ms as f64 / 1000.0,
        });
        if let Some(c) = &self.comment {
            out["Comment"] = json!(c);
        }
        out
    }
}

impl Route53Service {
    /// Records a new change in `txn` and answers its `ChangeInfo`.
    pub(crate) fn new_change(
        &self,
        txn: &mut WriteTxn,
        ctx: &RequestContext,
        comment: Option<String>,
    ) -> Result<Value, AwsError> {
        let change = Change {
            id: crate::new_id('C'),
            submitted_ms: ctx.clock.now_millis(),
            comment,
        };
        txn.put(
            &self.changes,
            &format!("{}/{}", ctx.account_id, change.id),
            &change,
        )?;
        Ok(change.info(change.submitted_ms))
    }

    /// `GetChange`.
    pub(crate) fn get_change(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let raw = input.get("Id").and_then(Value::as_str).unwrap_or_default();
        let id = raw.trim_start_matches("/change/");
        let change = self
            .changes
            .get(&format!("{}/{id}", ctx.account_id))?
            .ok_or_else(|| AwsError::from(Route53Error::NoSuchChange { id: id.to_string() }))?;
        Ok(json!({ "ChangeInfo": change.info(ctx.clock.now_millis()) }))
    }
}
