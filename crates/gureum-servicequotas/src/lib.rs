//! Service Quotas (json 1.1, regional): the quotas Gureum enforces, their
//! AWS defaults and the values applied to each account, and increase
//! requests, which Gureum approves at once.
//!
//! The quota definitions live in [`gureum_kit::quotas`], beside the reader
//! the enforcing services (EC2's VPC and Elastic IP limits) call; this
//! crate writes the applied values that reader reads, so enforcement and
//! `GetServiceQuota` always agree.
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `servicequotas.applied` ([`gureum_kit::quotas::APPLIED_TABLE`]):
//!   `account/region/service/quota` (regional quotas) or
//!   `account/service/quota` (global ones) → the applied value;
//! - `servicequotas.requests`: `account/region/id` → an increase request.
//!
//! Layout, as every service built on the kit: [`errors`] declares the
//! errors, `quotas.rs` answers the quota reads, `requests.rs` the increase
//! requests; the operations table below names one method per operation.

pub mod errors;
mod quotas;
mod requests;

pub use errors::QuotasError;

use gureum_core::{OpResult, RequestContext, Value};
use gureum_store::{Store, Table};

/// An increase request, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuotaRequest {
    /// The request id.
    pub id: String,
    /// The quota's service code.
    pub service_code: String,
    /// The quota code.
    pub quota_code: String,
    /// The value asked for.
    pub desired_value: f64,
    /// `APPROVED` once applied (at once, in Gureum).
    pub status: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
    /// When its status last changed, epoch milliseconds.
    pub last_updated_ms: i64,
    /// Who asked: `{"accountId":…,"callerArn":…}`, as AWS reports it.
    pub requester: String,
}

/// The Service Quotas service.
pub struct ServiceQuotasService {
    store: Store,
    /// Applied values (read by enforcement through `gureum_kit::quotas`).
    applied: Table<f64>,
    /// Increase requests.
    requests: Table<QuotaRequest>,
}

impl ServiceQuotasService {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        ServiceQuotasService {
            applied: store.table(gureum_kit::quotas::APPLIED_TABLE),
            requests: store.table("servicequotas.requests"),
            store,
        }
    }

    /// `ListServices`.
    fn list_services(&self, ctx: &RequestContext, input: Value) -> OpResult {
        quotas::list_services(ctx, &input)
    }

    /// `ListServiceQuotas`.
    fn list_service_quotas(&self, ctx: &RequestContext, input: Value) -> OpResult {
        quotas::list_service_quotas(self, ctx, &input)
    }

    /// `GetServiceQuota`.
    fn get_service_quota(&self, ctx: &RequestContext, input: Value) -> OpResult {
        quotas::get_service_quota(self, ctx, &input)
    }

    /// `ListAWSDefaultServiceQuotas`.
    fn list_aws_default_service_quotas(&self, ctx: &RequestContext, input: Value) -> OpResult {
        quotas::list_aws_default_service_quotas(ctx, &input)
    }

    /// `GetAWSDefaultServiceQuota`.
    fn get_aws_default_service_quota(&self, ctx: &RequestContext, input: Value) -> OpResult {
        quotas::get_aws_default_service_quota(ctx, &input)
    }

    /// `RequestServiceQuotaIncrease`.
    fn request_service_quota_increase(&self, ctx: &RequestContext, input: Value) -> OpResult {
        requests::request_increase(self, ctx, &input)
    }

    /// `GetRequestedServiceQuotaChange`.
    fn get_requested_service_quota_change(&self, ctx: &RequestContext, input: Value) -> OpResult {
        requests::get_request(self, ctx, &input)
    }

    /// `ListRequestedServiceQuotaChangeHistory`.
    fn list_requested_service_quota_change_history(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        requests::list_history(self, ctx, &input, false)
    }

    /// `ListRequestedServiceQuotaChangeHistoryByQuota`.
    fn list_requested_service_quota_change_history_by_quota(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        requests::list_history(self, ctx, &input, true)
    }
}

gureum_core::service_operations! {
    ServiceQuotasService, "service-quotas",
    "ListServices" => list_services,
    "ListServiceQuotas" => list_service_quotas,
    "GetServiceQuota" => get_service_quota,
    "ListAWSDefaultServiceQuotas" => list_aws_default_service_quotas,
    "GetAWSDefaultServiceQuota" => get_aws_default_service_quota,
    "RequestServiceQuotaIncrease" => request_service_quota_increase,
    "GetRequestedServiceQuotaChange" => get_requested_service_quota_change,
    "ListRequestedServiceQuotaChangeHistory" => list_requested_service_quota_change_history,
    "ListRequestedServiceQuotaChangeHistoryByQuota" =>
        list_requested_service_quota_change_history_by_quota,
}

#[cfg(test)]
mod tests;
