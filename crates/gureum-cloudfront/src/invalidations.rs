//! Invalidations: each purges the edge cache at once and reads
//! `InProgress` until [`crate::DEPLOY_MS`] on Gureum's clock, then
//! `Completed`.

use crate::errors::CloudfrontError;
use crate::validate::items;
use crate::{invalid, new_id, secs, str_of, CloudfrontService, DEPLOY_MS};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// CloudFront takes at most this many paths in one batch.
const MAX_PATHS: usize = 3_000;

/// An invalidation as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredInvalidation {
    /// `I…`.
    pub id: String,
    /// The paths, as given.
    pub paths: Vec<String>,
    /// The batch's caller reference.
    pub caller_reference: String,
    /// When it was made, on Gureum's clock.
    pub create_ms: i64,
}

impl StoredInvalidation {
    fn status(&self, now_ms: i64) -> &'static str {
        if now_ms >= self.create_ms + DEPLOY_MS {
            "Completed"
        } else {
            "InProgress"
        }
    }

    fn value(&self, now_ms: i64) -> Value {
        json!({
            "Id": self.id,
            "Status": self.status(now_ms),
            "CreateTime": secs(self.create_ms),
            "InvalidationBatch": {
                "Paths": {"Quantity": self.paths.len(), "Items": self.paths},
                "CallerReference": self.caller_reference,
            },
        })
    }
}

impl CloudfrontService {
    /// How many of the distribution's invalidations are in progress.
    pub(crate) fn in_progress_invalidations(
        &self,
        ctx: &RequestContext,
        dist: &str,
        now_ms: i64,
    ) -> Result<usize, AwsError> {
        Ok(self
            .invalidations
            .scan_prefix(&format!("{}/{dist}/", ctx.account_id))?
            .iter()
            .filter(|(_, i)| i.status(now_ms) == "InProgress")
            .count())
    }

    /// `CreateInvalidation`.
    pub(crate) fn create_invalidation(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let dist = str_of(&input, "DistributionId").to_string();
        let batch = input.get("InvalidationBatch").cloned().unwrap_or_default();
        let paths: Vec<String> = items(&batch, "Paths")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let declared = batch
            .pointer("/Paths/Quantity")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let reference = str_of(&batch, "CallerReference").to_string();
        self.distribution(ctx, &dist)?;
        if declared as usize != paths.len() {
            return Err(CloudfrontError::InconsistentQuantities.into());
        }
        if paths.is_empty() || paths.iter().any(|p| !p.starts_with('/')) {
            return Err(invalid(
                "Your request contains one or more invalid invalidation paths.",
            ));
        }
        if paths.len() > MAX_PATHS {
            return Err(CloudfrontError::BatchTooLarge.into());
        }
        let now = ctx.clock.now_millis();
        let prefix = format!("{}/{dist}/", ctx.account_id);
        let made = self
            .store
            .write(|txn| -> Result<StoredInvalidation, AwsError> {
                // The same batch again answers the invalidation it made.
                if let Some((_, same)) = txn
                    .scan_prefix(&self.invalidations, &prefix)?
                    .into_iter()
                    .find(|(_, i)| i.caller_reference == reference && i.paths == paths)
                {
                    return Ok(same);
                }
                let inv = StoredInvalidation {
                    id: new_id('I'),
                    paths: paths.clone(),
                    caller_reference: reference.clone(),
                    create_ms: now,
                };
                txn.put(&self.invalidations, &format!("{prefix}{}", inv.id), &inv)?;
                Ok(inv)
            })?;
        self.cache.purge(&dist, &made.paths);
        Ok(json!({
            "Location": format!(
                "https://cloudfront.amazonaws.com/2020-05-31/distribution/{dist}/invalidation/{}",
                made.id
            ),
            "Invalidation": made.value(now),
        }))
    }

    /// `GetInvalidation`.
    pub(crate) fn get_invalidation(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let dist = str_of(&input, "DistributionId");
        let id = str_of(&input, "Id");
        self.distribution(ctx, dist)?;
        let inv = self
            .invalidations
            .get(&format!("{}/{dist}/{id}", ctx.account_id))?
            .ok_or_else(|| AwsError::from(CloudfrontError::NoSuchInvalidation))?;
        Ok(json!({ "Invalidation": inv.value(ctx.clock.now_millis()) }))
    }

    /// `ListInvalidations`: newest first, after `Marker` (an id).
    pub(crate) fn list_invalidations(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let dist = str_of(&input, "DistributionId");
        self.distribution(ctx, dist)?;
        let marker = str_of(&input, "Marker").to_string();
        let max = crate::distributions::max_items(&input)?;
        let now = ctx.clock.now_millis();
        let mut all: Vec<StoredInvalidation> = self
            .invalidations
            .scan_prefix(&format!("{}/{dist}/", ctx.account_id))?
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        all.sort_by(|a, b| b.create_ms.cmp(&a.create_ms).then(b.id.cmp(&a.id)));
        let start = if marker.is_empty() {
            0
        } else {
            all.iter().position(|i| i.id == marker).map_or(0, |p| p + 1)
        };
        let rest = &all[start.min(all.len())..];
        let list = crate::paging::marker_list(
            &marker,
            max,
            rest,
            |i| i.id.clone(),
            |i| json!({"Id": i.id, "CreateTime": secs(i.create_ms), "Status": i.status(now)}),
        );
        Ok(json!({ "InvalidationList": list }))
    }
}
