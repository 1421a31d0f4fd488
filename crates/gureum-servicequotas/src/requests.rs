//! Increase requests: made, approved at once, and listed.
//!
//! AWS answers `RequestServiceQuotaIncrease` with the request as
//! submitted (`PENDING`) and later moves it to `CASE_OPENED`/`APPROVED`;
//! Gureum applies the value in the same transaction that records the
//! request, so every later read (`GetRequestedServiceQuotaChange`, the
//! history, `GetServiceQuota`, enforcement) sees it `APPROVED` and applied.

use crate::quotas::{named_quota, page_request, quota_arn, wire_token};
use crate::{QuotaRequest, QuotasError, ServiceQuotasService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::quotas::{applied_key, QuotaDef};
use serde_json::{json, Map};

/// Statuses of a request that is still open: AWS refuses a second request
/// for the quota meanwhile. Gureum stores requests `APPROVED`, so only a
/// request stored open (by an older or future version) meets this check.
const OPEN: [&str; 2] = ["PENDING", "CASE_OPENED"];

/// A `RequestedServiceQuotaChange` structure.
fn request_view(ctx: &RequestContext, r: &QuotaRequest, status: &str) -> Value {
    let q = gureum_kit::quotas::find(&r.service_code, &r.quota_code);
    let mut out = Map::new();
    out.insert("Id".into(), json!(r.id));
    out.insert("ServiceCode".into(), json!(r.service_code));
    out.insert("QuotaCode".into(), json!(r.quota_code));
    if let Some(q) = q {
        out.insert("ServiceName".into(), json!(q.service_name));
        out.insert("QuotaName".into(), json!(q.quota_name));
        out.insert("QuotaArn".into(), json!(quota_arn(ctx, q, true)));
        out.insert("GlobalQuota".into(), json!(q.global));
    }
    out.insert("DesiredValue".into(), json!(r.desired_value));
    out.insert("Status".into(), json!(status));
    out.insert("Created".into(), json!(r.created_ms as f64 / 1000.0));
    out.insert(
        "LastUpdated".into(),
        json!(r.last_updated_ms as f64 / 1000.0),
    );
    out.insert("Requester".into(), json!(r.requester));
    out.insert("Unit".into(), json!("None"));
    out.insert("QuotaRequestedAtLevel".into(), json!("ACCOUNT"));
    Value::Object(out)
}

/// `{"accountId":…,"callerArn":…}`, the way AWS records the requester.
fn requester(ctx: &RequestContext) -> String {
    json!({ "accountId": ctx.account_id, "callerArn": ctx.principal.arn() }).to_string()
}

/// `RequestServiceQuotaIncrease`: records the request and applies the
/// value, in one transaction (a racing request sees one or the other).
pub(crate) fn request_increase(
    svc: &ServiceQuotasService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let q: &QuotaDef = named_quota(input)?;
    if !q.adjustable {
        return Err(QuotasError::NotAdjustable.into());
    }
    let desired = input
        .get("DesiredValue")
        .and_then(Value::as_f64)
        .unwrap_or_default();
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let request = QuotaRequest {
        id: gureum_core::id::hex(32),
        service_code: q.service_code.to_string(),
        quota_code: q.quota_code.to_string(),
        desired_value: desired,
        status: "APPROVED".into(),
        created_ms: now,
        last_updated_ms: now,
        requester: requester(ctx),
    };
    svc.store.write(|txn| -> Result<(), AwsError> {
        let key = applied_key(scope, q);
        let current = txn.get(&svc.applied, &key)?.unwrap_or(q.default);
        if desired <= current {
            return Err(QuotasError::NotAnIncrease { desired, current }.into());
        }
        let open = txn
            .scan_prefix(&svc.requests, &scope.prefix())?
            .into_iter()
            .any(|(_, r)| same_quota(&r, q) && OPEN.contains(&r.status.as_str()));
        if open {
            return Err(QuotasError::DuplicateRequest.into());
        }
        txn.put(&svc.requests, &scope.key(&request.id), &request)?;
        txn.put(&svc.applied, &key, &desired)?;
        Ok(())
    })?;
    Ok(json!({ "RequestedQuota": request_view(ctx, &request, "PENDING") }))
}

fn same_quota(r: &QuotaRequest, q: &QuotaDef) -> bool {
    r.service_code == q.service_code && r.quota_code == q.quota_code
}

/// `GetRequestedServiceQuotaChange`.
pub(crate) fn get_request(
    svc: &ServiceQuotasService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = str_member(input, "RequestId").unwrap_or_default();
    let r = svc
        .requests
        .get(&Scope::regional(ctx).key(id))?
        .ok_or(QuotasError::NoSuchRequest)?;
    Ok(json!({ "RequestedQuota": request_view(ctx, &r, &r.status) }))
}

/// `ListRequestedServiceQuotaChangeHistory` (`by_quota`: `…ByQuota`,
/// which requires the quota and refuses an unknown one).
pub(crate) fn list_history(
    svc: &ServiceQuotasService,
    ctx: &RequestContext,
    input: &Value,
    by_quota: bool,
) -> OpResult {
    let service = str_member(input, "ServiceCode");
    let quota = if by_quota {
        Some(named_quota(input)?.quota_code)
    } else {
        if let Some(s) = service {
            if !gureum_kit::quotas::QUOTAS
                .iter()
                .any(|q| q.service_code == s)
            {
                return Err(QuotasError::NoSuchService.into());
            }
        }
        None
    };
    let status = str_member(input, "Status");
    // Every request here is at the account level; none per resource.
    let resource_only = str_member(input, "QuotaRequestedAtLevel") == Some("RESOURCE");
    let request = page_request(input)?;
    let scope = Scope::regional(ctx);
    let page = gureum_kit::paging::page(&svc.requests, &scope.prefix(), &request, |_, r| {
        let keep = !resource_only
            && service.is_none_or(|s| r.service_code == s)
            && quota.is_none_or(|c| r.quota_code == c)
            && status.is_none_or(|s| r.status == s);
        keep.then(|| request_view(ctx, &r, &r.status))
    })?;
    let mut out = Map::new();
    out.insert("RequestedQuotas".into(), Value::Array(page.items));
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), wire_token(t));
    }
    Ok(Value::Object(out))
}
