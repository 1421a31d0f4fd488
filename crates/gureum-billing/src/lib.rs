//! Billing that meters what Gureum runs: a price catalogue of AWS's public
//! on-demand prices, a meter that turns live resources into hourly line
//! items on Gureum's clock, and the services that read them — the Price
//! List API (`pricing`), Cost Explorer (`ce`) and Budgets (`budgets`), all
//! json 1.1.
//!
//! - [`catalogue`]: the embedded, dated price file
//!   (`data/prices-us-east-1.json`, refreshed by `scripts/refresh_prices.py`).
//! - [`meter`]: the pass on the clock reading every
//!   [`gureum_kit::metering::UsageSource`] and writing `ce.hours`.
//! - [`usage`]: the usage types and operations each resource is charged as;
//!   [`requests`]: the requests counted between passes.
//! - [`pricing`], [`ce`] (with `dates` and `query`), [`budgets`]: the APIs.
//!
//! Prices are on-demand and the Free Tier allowances are recorded in the
//! catalogue but not deducted: AWS accounts opened since July 2025 get
//! credits instead of the 12-month Free Tier, so every account is priced
//! as one past it, and a course's "what would this cost" is the list
//! price.

pub mod budgets;
pub mod catalogue;
pub mod ce;
mod dates;
pub mod errors;
pub mod meter;
pub mod pricing;
mod query;
pub mod requests;
pub mod usage;

pub use budgets::{BudgetAlerts, BudgetsService, NoAlerts};
pub use ce::CostExplorerService;
pub use meter::Meter;
pub use pricing::PricingService;

use gureum_core::Service;
use gureum_kit::metering::UsageSource;
use gureum_store::Store;
use std::sync::Arc;

/// The meter and the three services over it.
pub struct Billing {
    /// The meter.
    pub meter: Arc<Meter>,
    /// The Price List API.
    pub pricing: Arc<PricingService>,
    /// Cost Explorer (also the Rust interface the console and `gureum
    /// cost` read costs through).
    pub ce: Arc<CostExplorerService>,
    /// Budgets.
    pub budgets: Arc<BudgetsService>,
    /// The clock time budgets were last evaluated at (`i64::MIN` before
    /// the first evaluation of this process).
    budgets_evaluated: std::sync::atomic::AtomicI64,
}

/// How often budgets are evaluated, in clock time: AWS updates budget
/// spend up to three times a day, and a month of line items is read per
/// budget, so once an hour is both faithful enough and cheap.
const BUDGET_EVERY_MS: i64 = meter::HOUR_MS;

impl Billing {
    /// Billing over `store`, metering `sources` and alerting through
    /// `alerts`.
    pub fn new(
        store: Store,
        sources: Vec<Arc<dyn UsageSource>>,
        alerts: Arc<dyn BudgetAlerts>,
    ) -> Self {
        let meter = Arc::new(Meter::new(store.clone(), sources));
        let ce = Arc::new(CostExplorerService::new(meter.clone()));
        let budgets = Arc::new(BudgetsService::new(store, ce.clone(), alerts));
        Billing {
            meter,
            pricing: Arc::new(PricingService),
            ce,
            budgets,
            budgets_evaluated: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// The served services.
    pub fn services(&self) -> Vec<Arc<dyn Service>> {
        vec![self.pricing.clone(), self.ce.clone(), self.budgets.clone()]
    }

    /// `account`'s cost by Cost Explorer service name this month up to
    /// `now`, with the month (`2027-01`): what `gureum cost` prints.
    pub fn month_to_date(
        &self,
        account: &str,
        now: i64,
    ) -> Result<(String, std::collections::BTreeMap<String, f64>), gureum_core::AwsError> {
        let start = dates::month_start(now);
        let month = dates::format(start, false)[..7].to_string();
        Ok((month, self.ce.cost_by_service(account, start, now)?))
    }

    /// Counts one authorized request (the pipeline calls this; only
    /// operations AWS prices by request are kept).
    pub fn count_request(&self, account: &str, region: &str, model: &str, operation: &str) {
        self.meter
            .requests
            .record(account, region, model, operation);
    }

    /// One tick of Gureum's clock at `now` (ms): a meter pass when one is
    /// due, then, at most once a clock hour, the budgets' alerts. Errors are answered for the caller
    /// to log.
    pub fn tick(&self, now: i64) -> Result<(), String> {
        use std::sync::atomic::Ordering::Relaxed;
        let ran = self.meter.pass(now).map_err(|e| e.to_string())?;
        let last = self.budgets_evaluated.load(Relaxed);
        if ran && now.saturating_sub(last) >= BUDGET_EVERY_MS {
            self.budgets_evaluated.store(now, Relaxed);
            self.budgets.evaluate(now).map_err(|e| e.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
