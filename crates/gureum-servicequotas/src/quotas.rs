//! The quota reads: services, applied values and AWS's defaults.

use crate::{QuotasError, ServiceQuotasService};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{page_sorted, PageRequest};
use gureum_kit::quotas::{QuotaDef, QUOTAS};
use serde_json::{json, Map};

/// Page sizes: the model allows 1–100; AWS's default is 100.
const PAGE_BOUNDS: (usize, usize) = (1, 100);
const PAGE_DEFAULT: usize = 100;

/// The page an input asks for.
pub(crate) fn page_request(input: &Value) -> Result<PageRequest, AwsError> {
    let size = input.get("MaxResults").and_then(Value::as_i64);
    // Back from the model's alphabet to the kit's (see `wire_token`).
    let token = str_member(input, "NextToken").map(|t| t.replace('+', "-").replace('/', "_"));
    PageRequest::new(size, token.as_deref(), PAGE_BOUNDS, PAGE_DEFAULT)
        .map_err(|e| QuotasError::from(e).into())
}

/// A kit token (URL-safe base64) in the alphabet this model's `NextToken`
/// pattern allows (`[a-zA-Z0-9/+]*={0,2}`): the two alphabets differ only
/// in `-`/`+` and `_`/`/`, so the mapping is lossless.
pub(crate) fn wire_token(token: String) -> Value {
    Value::String(token.replace('-', "+").replace('_', "/"))
}

/// The quotas of `service_code`, or `NoSuchResourceException`.
fn service_quotas(service_code: &str) -> Result<Vec<QuotaDef>, AwsError> {
    let quotas: Vec<QuotaDef> = QUOTAS
        .iter()
        .filter(|q| q.service_code == service_code)
        .copied()
        .collect();
    if quotas.is_empty() {
        return Err(QuotasError::NoSuchService.into());
    }
    Ok(quotas)
}

/// The quota an input names (`ServiceCode`, `QuotaCode`).
pub(crate) fn named_quota(input: &Value) -> Result<&'static QuotaDef, AwsError> {
    let service = str_member(input, "ServiceCode").unwrap_or_default();
    service_quotas(service)?;
    let code = str_member(input, "QuotaCode").unwrap_or_default();
    gureum_kit::quotas::find(service, code).ok_or_else(|| QuotasError::NoSuchQuota.into())
}

/// A quota's ARN: with the account for an applied value, without for
/// AWS's default (as AWS writes them).
pub(crate) fn quota_arn(ctx: &RequestContext, q: &QuotaDef, applied: bool) -> String {
    let account = if applied { ctx.account_id.as_str() } else { "" };
    format!(
        "arn:aws:servicequotas:{}:{account}:{}/{}",
        ctx.region, q.service_code, q.quota_code
    )
}

/// A `ServiceQuota` structure with `value`.
fn quota_view(ctx: &RequestContext, q: &QuotaDef, value: f64, applied: bool) -> Value {
    json!({
        "ServiceCode": q.service_code,
        "ServiceName": q.service_name,
        "QuotaArn": quota_arn(ctx, q, applied),
        "QuotaCode": q.quota_code,
        "QuotaName": q.quota_name,
        "Value": value,
        "Unit": "None",
        "Adjustable": q.adjustable,
        "GlobalQuota": q.global,
        "QuotaAppliedAtLevel": "ACCOUNT",
    })
}

/// The value applied to the caller's account (and region).
fn applied_value(
    svc: &ServiceQuotasService,
    ctx: &RequestContext,
    q: &QuotaDef,
) -> Result<f64, AwsError> {
    Ok(gureum_kit::quotas::applied(
        &svc.store,
        Scope::regional(ctx),
        q,
    )?)
}

/// A page of quotas as `Quotas` plus `NextToken`.
fn quota_page(
    quotas: &[QuotaDef],
    request: &PageRequest,
    mut view: impl FnMut(&QuotaDef) -> Result<Value, AwsError>,
) -> OpResult {
    let page = page_sorted(quotas, |q| q.quota_code.to_string(), request);
    let items = page
        .items
        .into_iter()
        .map(&mut view)
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Map::new();
    out.insert("Quotas".into(), Value::Array(items));
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), wire_token(t));
    }
    Ok(Value::Object(out))
}

/// `ListServices`: the services with quotas Gureum enforces.
pub(crate) fn list_services(_ctx: &RequestContext, input: &Value) -> OpResult {
    let request = page_request(input)?;
    let mut services: Vec<(&str, &str)> = QUOTAS
        .iter()
        .map(|q| (q.service_code, q.service_name))
        .collect();
    services.dedup();
    let page = page_sorted(&services, |s| s.0.to_string(), &request);
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|(code, name)| json!({ "ServiceCode": code, "ServiceName": name }))
        .collect();
    let mut out = Map::new();
    out.insert("Services".into(), Value::Array(items));
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), wire_token(t));
    }
    Ok(Value::Object(out))
}

/// `ListServiceQuotas`: the values applied to the caller's account.
pub(crate) fn list_service_quotas(
    svc: &ServiceQuotasService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let mut quotas = service_quotas(str_member(input, "ServiceCode").unwrap_or_default())?;
    if let Some(code) = str_member(input, "QuotaCode") {
        quotas.retain(|q| q.quota_code == code);
    }
    // Every quota here applies at the account level; none per resource.
    if str_member(input, "QuotaAppliedAtLevel") == Some("RESOURCE") {
        quotas.clear();
    }
    let request = page_request(input)?;
    quota_page(&quotas, &request, |q| {
        Ok(quota_view(ctx, q, applied_value(svc, ctx, q)?, true))
    })
}

/// `GetServiceQuota`: the value applied to the caller's account.
pub(crate) fn get_service_quota(
    svc: &ServiceQuotasService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let q = named_quota(input)?;
    let value = applied_value(svc, ctx, q)?;
    Ok(json!({ "Quota": quota_view(ctx, q, value, true) }))
}

/// `ListAWSDefaultServiceQuotas`.
pub(crate) fn list_aws_default_service_quotas(ctx: &RequestContext, input: &Value) -> OpResult {
    let quotas = service_quotas(str_member(input, "ServiceCode").unwrap_or_default())?;
    let request = page_request(input)?;
    quota_page(&quotas, &request, |q| {
        Ok(quota_view(ctx, q, q.default, false))
    })
}

/// `GetAWSDefaultServiceQuota`.
pub(crate) fn get_aws_default_service_quota(ctx: &RequestContext, input: &Value) -> OpResult {
    let q = named_quota(input)?;
    Ok(json!({ "Quota": quota_view(ctx, q, q.default, false) }))
}
