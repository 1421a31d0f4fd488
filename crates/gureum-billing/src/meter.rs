//! The meter: on Gureum's clock, the time each live resource lived since
//! the last pass becomes hourly line items, priced from the catalogue.
//!
//! A pass samples every [`UsageSource`] once and bills each resource for
//! `[max(last pass, its since_ms), now)`, split at hour boundaries. The
//! state seen at a pass stands for the whole span since the previous one,
//! so a resource deleted between passes is billed until the pass that no
//! longer sees it (a pass runs each clock minute, or at once after the
//! clock jumps), and one created between passes is billed from its own
//! start. A clock jump of a month is one pass writing a month of hours.
//!
//! Table `ce.hours`: `{account}/{hour:012}` (hours since the epoch)
//! → that hour's [`LineItem`]s, so a time range is one key range.
//! Table `ce.meter`: `watermark` → the clock time (ms) of the last
//! pass. Both are named after Cost Explorer, which reads them, so that
//! `POST /_gureum/reset?service=ce` clears the metered usage (and
//! `?service=budgets` the budgets).

use crate::catalogue::{billing_code, Catalogue};
use crate::usage::{charges, Per};
use gureum_core::timestamp::{civil_from_days, days_from_civil};
use gureum_kit::metering::{Running, UsageSource};
use gureum_store::{Store, Table};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One hour's usage of one resource under one usage type.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineItem {
    /// The region (`us-east-1`).
    pub region: String,
    /// The price list's service code (`AmazonEC2`).
    pub service_code: String,
    /// The usage type with its region prefix (`USE1-BoxUsage:t3.micro`).
    pub usage_type: String,
    /// The operation (`RunInstances`).
    pub operation: String,
    /// The resource (`i-…`).
    pub resource_id: String,
    /// The pricing unit (`Hrs`, `GB-Mo`).
    pub unit: String,
    /// Units used in the hour.
    pub quantity: f64,
    /// USD, at the catalogue's on-demand price.
    pub cost: f64,
    /// The resource's tags when metered.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

/// One account's hour of line items.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hour {
    /// The hour's line items, one per resource, usage type and operation.
    pub items: Vec<LineItem>,
}

/// Milliseconds in an hour.
pub const HOUR_MS: i64 = 3_600_000;
/// The least clock time between passes (unless the clock jumped further).
const PASS_MS: i64 = 60_000;
/// The longest span one pass bills (a clock jumped years ahead bills the
/// last 400 days of it).
const MAX_SPAN_MS: i64 = 400 * 24 * HOUR_MS;

/// The key of an account's hour.
pub fn hour_key(account: &str, hour: i64) -> String {
    format!("{account}/{hour:012}")
}

/// Milliseconds in the calendar month (UTC) holding `ms`.
pub fn month_ms(ms: i64) -> i64 {
    let (y, m, _) = civil_from_days(ms.div_euclid(86_400_000));
    let start = days_from_civil(y, m, 1);
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - start) * 86_400_000
}

/// The meter over the services' usage sources.
pub struct Meter {
    store: Store,
    /// Line items by account and hour.
    pub(crate) hours: Table<Hour>,
    watermark: Table<i64>,
    sources: Vec<Arc<dyn UsageSource>>,
    /// Requests counted since the last pass.
    pub(crate) requests: crate::requests::RequestCounts,
}

impl Meter {
    /// A meter reading `sources`, writing into `store`.
    pub fn new(store: Store, sources: Vec<Arc<dyn UsageSource>>) -> Self {
        Meter {
            hours: store.table("ce.hours"),
            watermark: store.table("ce.meter"),
            store,
            sources,
            requests: Default::default(),
        }
    }

    /// One pass at clock time `now` (ms): bills what lived since the last
    /// pass. Answers whether a pass ran (budgets re-evaluate then).
    pub fn pass(&self, now: i64) -> Result<bool, gureum_store::StoreError> {
        let Some(last) = self.watermark.get("watermark")? else {
            self.watermark.put("watermark", &now)?;
            return Ok(false);
        };
        if now - last < PASS_MS {
            return Ok(false);
        }
        let from = last.max(now - MAX_SPAN_MS);
        let running: Vec<Running> = self.sources.iter().flat_map(|s| s.running(now)).collect();
        let mut fresh: BTreeMap<String, Vec<LineItem>> = BTreeMap::new();
        for r in &running {
            bill(r, from.max(r.since_ms), now, &mut fresh);
        }
        bill_requests(&self.requests, now, &mut fresh);
        self.store.write(|txn| {
            for (key, items) in fresh {
                let mut hour = txn.get(&self.hours, &key)?.unwrap_or_default();
                merge(&mut hour, items);
                txn.put(&self.hours, &key, &hour)?;
            }
            txn.put(&self.watermark, "watermark", &now)
        })?;
        Ok(true)
    }

    /// An account's hours in `[start_hour, end_hour)`.
    pub fn hours(
        &self,
        account: &str,
        start_hour: i64,
        end_hour: i64,
    ) -> Result<Vec<(i64, Hour)>, gureum_store::StoreError> {
        let rows = self.hours.scan_range(
            &hour_key(account, start_hour.max(0)),
            Some(&hour_key(account, end_hour.max(0))),
            usize::MAX,
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, h)| Some((k.rsplit('/').next()?.parse().ok()?, h)))
            .collect())
    }
}

/// Adds `r`'s usage over `[from, to)` to `out`, hour by hour.
fn bill(r: &Running, from: i64, to: i64, out: &mut BTreeMap<String, Vec<LineItem>>) {
    if from >= to {
        return;
    }
    let catalogue = Catalogue::get();
    let prefix = billing_code(&r.region);
    let priced: Vec<_> = charges(&r.what)
        .into_iter()
        .map(|c| {
            let product = catalogue.product(c.service, &c.usage_type, &c.operation);
            (c, product)
        })
        .collect();
    let mut t = from;
    while t < to {
        let hour = t.div_euclid(HOUR_MS);
        let end = ((hour + 1) * HOUR_MS).min(to);
        let span = (end - t) as f64;
        let month = month_ms(t) as f64;
        for (c, product) in &priced {
            let quantity = match c.per {
                Per::Hour => c.amount * span / HOUR_MS as f64,
                Per::Month => c.amount * span / month,
            };
            let (unit, price) =
                product.map_or(("Hrs".to_string(), 0.0), |p| (p.unit.clone(), p.usd()));
            out.entry(hour_key(&r.account, hour))
                .or_default()
                .push(LineItem {
                    region: r.region.clone(),
                    service_code: c.service.to_string(),
                    usage_type: format!("{prefix}-{}", c.usage_type),
                    operation: c.operation.clone(),
                    resource_id: r.resource_id.clone(),
                    unit,
                    quantity,
                    cost: quantity * price,
                    tags: r.tags.clone(),
                });
        }
        t = end;
    }
}

/// Adds the requests counted since the last pass to the hour ending the
/// pass (the pass runs each clock minute, so that is when they happened
/// to within a minute).
fn bill_requests(
    counts: &crate::requests::RequestCounts,
    now: i64,
    out: &mut BTreeMap<String, Vec<LineItem>>,
) {
    let catalogue = Catalogue::get();
    let hour = (now - 1).div_euclid(HOUR_MS);
    for ((account, region, service, usage, operation), n) in counts.drain() {
        let product = catalogue.product(service, usage, operation);
        let (unit, price) =
            product.map_or(("Requests".to_string(), 0.0), |p| (p.unit.clone(), p.usd()));
        let quantity = n as f64;
        out.entry(hour_key(&account, hour))
            .or_default()
            .push(LineItem {
                usage_type: format!("{}-{usage}", billing_code(&region)),
                region,
                service_code: service.to_string(),
                operation: operation.to_string(),
                resource_id: String::new(),
                unit,
                quantity,
                cost: quantity * price,
                tags: Vec::new(),
            });
    }
}

/// Merges `items` into `hour`, summing a resource's same usage.
fn merge(hour: &mut Hour, items: Vec<LineItem>) {
    for item in items {
        match hour.items.iter_mut().find(|i| {
            i.resource_id == item.resource_id
                && i.usage_type == item.usage_type
                && i.operation == item.operation
                && i.region == item.region
        }) {
            Some(i) => {
                i.quantity += item.quantity;
                i.cost += item.cost;
                i.tags = item.tags;
            }
            None => hour.items.push(item),
        }
    }
}
