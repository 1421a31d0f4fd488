//! `GetAccountConfiguration` / `PutAccountConfiguration`: how many days
//! before expiry ACM emits expiry events (45 until changed).

use crate::AcmService;
use gureum_core::{CommonError, OpResult, RequestContext, Value};
use serde_json::json;

/// ACM's default `DaysBeforeExpiry`.
const DEFAULT_DAYS: i64 = 45;

/// `GetAccountConfiguration`.
pub(crate) fn get(svc: &AcmService, ctx: &RequestContext, _input: &Value) -> OpResult {
    let days = svc.config.get(&ctx.account_id)?.unwrap_or(DEFAULT_DAYS);
    Ok(json!({"ExpiryEvents": {"DaysBeforeExpiry": days}}))
}

/// `PutAccountConfiguration`.
pub(crate) fn put(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    if let Some(days) = input["ExpiryEvents"]["DaysBeforeExpiry"].as_i64() {
        if !(1..=45).contains(&days) {
            return Err(CommonError::ValidationException {
                message: format!("DaysBeforeExpiry must be between 1 and 45, got {days}."),
            }
            .into());
        }
        svc.config.put(&ctx.account_id, &days)?;
    }
    Ok(json!({}))
}
