//! Billing's wiring: the meter reads EC2 through its
//! [`gureum_kit::metering::UsageSource`], and budget alerts publish to SNS
//! topics as `budgets.amazonaws.com`.

use gureum_billing::{Billing, BudgetAlerts};
use gureum_core::Clock;
use gureum_kit::metering::UsageSource;
use gureum_sns::SnsService;
use gureum_sqs::ServiceSender;
use gureum_store::Store;
use std::sync::Arc;

/// The principal budget alerts publish as (a topic policy must allow it,
/// as on AWS).
const BUDGETS_PRINCIPAL: &str = "budgets.amazonaws.com";

/// Budget alerts through SNS's Rust interface.
struct SnsAlerts {
    sns: Arc<SnsService>,
    clock: Clock,
}

impl BudgetAlerts for SnsAlerts {
    fn publish(
        &self,
        account: &str,
        budget_arn: &str,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), String> {
        let sender = ServiceSender {
            service: BUDGETS_PRINCIPAL,
            source_arn: budget_arn,
            source_account: account,
        };
        self.sns
            .publish_from_service(
                &self.clock,
                &sender,
                topic_arn,
                message,
                Some(subject),
                &serde_json::Value::Null,
            )
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }
}

/// Billing over `store`, metering `sources`, alerting through `sns`.
pub fn build(
    store: &Store,
    clock: &Clock,
    sources: Vec<Arc<dyn UsageSource>>,
    sns: &Arc<SnsService>,
) -> Arc<Billing> {
    Arc::new(Billing::new(
        store.clone(),
        sources,
        Arc::new(SnsAlerts {
            sns: sns.clone(),
            clock: clock.clone(),
        }),
    ))
}

/// `GET /_gureum/billing/cost[?account=ID]`: this month's cost so far by
/// service, for `gureum cost` (the default account when none is named).
pub fn cost(state: &crate::pipeline::AppState, query: &str) -> crate::admin::AdminResponse {
    let account = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("account="))
        .unwrap_or("000000000000");
    match state
        .registry
        .billing
        .month_to_date(account, state.clock.now_millis())
    {
        Ok((month, services)) => {
            let total: f64 = services.values().sum();
            crate::admin::json_response(
                200,
                serde_json::json!({
                    "account": account,
                    "month": month,
                    "currency": "USD",
                    "services": services,
                    "total": total,
                }),
            )
        }
        Err(e) => crate::admin::AdminResponse::internal(&e.message),
    }
}
