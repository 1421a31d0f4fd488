//! Cost Explorer over the meter's line items: `GetCostAndUsage` (hourly,
//! daily, monthly; group by dimension or tag; filter expressions),
//! `GetCostForecast` (the last day's hourly rate carried forward),
//! `GetDimensionValues` and `GetTags`.
//!
//! Every cost metric is the same number: Gureum prices on-demand usage
//! only, with no reservations, savings plans, credits or blended rates to
//! tell them apart.

use crate::dates::{self, DAY_MS};
use crate::errors::CeError;
use crate::meter::{Meter, HOUR_MS};
use crate::query::{self, invalid, Row};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::{json, Map};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The metrics `GetCostAndUsage` accepts.
const METRICS: &[&str] = &[
    "AmortizedCost",
    "BlendedCost",
    "NetAmortizedCost",
    "NetUnblendedCost",
    "NormalizedUsageAmount",
    "UnblendedCost",
    "UsageQuantity",
];

/// The Cost Explorer service.
pub struct CostExplorerService {
    meter: Arc<Meter>,
}

/// A decimal amount as Cost Explorer writes it.
pub fn amount(v: f64) -> String {
    let s = format!("{v:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Summed cost and quantity, with the quantity's unit (`N/A` when mixed).
#[derive(Default, Clone)]
struct Sum {
    cost: f64,
    quantity: f64,
    unit: Option<String>,
    mixed: bool,
}

impl Sum {
    fn add(&mut self, cost: f64, quantity: f64, unit: &str) {
        self.cost += cost;
        self.quantity += quantity;
        match &self.unit {
            None => self.unit = Some(unit.to_string()),
            Some(u) if u != unit => self.mixed = true,
            _ => {}
        }
    }

    fn metrics(&self, names: &[String]) -> Value {
        let mut m = Map::new();
        for name in names {
            let v = if matches!(name.as_str(), "UsageQuantity" | "NormalizedUsageAmount") {
                let unit = if self.mixed {
                    "N/A"
                } else {
                    self.unit.as_deref().unwrap_or("N/A")
                };
                json!({"Amount": amount(self.quantity), "Unit": unit})
            } else {
                json!({"Amount": amount(self.cost), "Unit": "USD"})
            };
            m.insert(name.clone(), v);
        }
        Value::Object(m)
    }
}

/// Refuses what Gureum's single-page, single-view answers cannot honour:
/// a page token (none is ever issued) and a billing view.
fn check_unsupported(input: &Value) -> Result<(), AwsError> {
    if input.get("NextPageToken").is_some_and(|t| !t.is_null()) {
        return Err(CeError::InvalidNextToken.into());
    }
    if input.get("BillingViewArn").is_some_and(|t| !t.is_null()) {
        return Err(invalid("Billing views are not supported by Gureum yet"));
    }
    Ok(())
}

/// Orders `values` by the `SortBy` of `input` (a cost or usage metric;
/// without one, by value, as Cost Explorer sorts by default).
fn sort_values(input: &Value, values: &mut [(String, Sum)]) -> Result<(), AwsError> {
    let Some(sort) = input["SortBy"].as_array().and_then(|l| l.first()) else {
        return Ok(());
    };
    let key = sort["Key"].as_str().unwrap_or_default();
    if !METRICS.contains(&key) {
        return Err(invalid(format!(
            "SortBy key {key} is not supported. Valid values are {}",
            METRICS.join(", ")
        )));
    }
    let usage = matches!(key, "UsageQuantity" | "NormalizedUsageAmount");
    let of = |s: &Sum| if usage { s.quantity } else { s.cost };
    values.sort_by(|a, b| of(&b.1).total_cmp(&of(&a.1)));
    if sort["SortOrder"] == "ASCENDING" {
        values.reverse();
    }
    Ok(())
}

fn granularity(input: &Value, allowed: &[&str], member: &str) -> Result<String, AwsError> {
    let g = input[member].as_str().unwrap_or_default();
    if allowed.contains(&g) {
        Ok(g.to_string())
    } else {
        Err(invalid(format!(
            "1 validation error detected: Value '{g}' at 'granularity' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        )))
    }
}

impl CostExplorerService {
    /// Cost Explorer over `meter`'s line items.
    pub fn new(meter: Arc<Meter>) -> Self {
        CostExplorerService { meter }
    }

    /// Calls `f` with every line item of `account` in `[start, end)` that
    /// passes `filter`.
    fn each(
        &self,
        account: &str,
        start: i64,
        end: i64,
        filter: Option<&Value>,
        mut f: impl FnMut(i64, &Row<'_>),
    ) -> Result<(), AwsError> {
        let hours = self
            .meter
            .hours(account, start.div_euclid(HOUR_MS), end.div_euclid(HOUR_MS))
            .map_err(|e| AwsError::internal(e.to_string()))?;
        for (hour, h) in &hours {
            for item in &h.items {
                let row = Row { account, item };
                if filter.is_none_or(|e| query::passes(&row, e)) {
                    f(hour * HOUR_MS, &row);
                }
            }
        }
        Ok(())
    }

    /// The cost of `account`'s usage in `[start, end)` passing `filter`.
    pub fn cost(
        &self,
        account: &str,
        start: i64,
        end: i64,
        filter: Option<&Value>,
    ) -> Result<(f64, f64), AwsError> {
        let mut sum = (0.0, 0.0);
        self.each(account, start, end, filter, |_, r| {
            sum.0 += r.item.cost;
            sum.1 += r.item.quantity;
        })?;
        Ok(sum)
    }

    /// `account`'s cost by `SERVICE` in `[start, end)` (the `gureum cost`
    /// subcommand and the console read this).
    pub fn cost_by_service(
        &self,
        account: &str,
        start: i64,
        end: i64,
    ) -> Result<BTreeMap<String, f64>, AwsError> {
        let mut out = BTreeMap::new();
        self.each(account, start, end, None, |_, r| {
            *out.entry(query::dimension(r, "SERVICE")).or_insert(0.0) += r.item.cost;
        })?;
        Ok(out)
    }

    /// The hourly cost rate over the last day before `now` (a forecast's
    /// basis).
    pub fn hourly_rate(
        &self,
        account: &str,
        now: i64,
        filter: Option<&Value>,
    ) -> Result<f64, AwsError> {
        let (cost, _) = self.cost(account, now - DAY_MS, now, filter)?;
        Ok(cost / 24.0)
    }

    fn filter(input: &Value) -> Result<Option<&Value>, AwsError> {
        match input.get("Filter").filter(|f| !f.is_null()) {
            Some(f) => {
                query::validate(f)?;
                Ok(Some(f))
            }
            None => Ok(None),
        }
    }

    /// `GetCostAndUsage`.
    fn get_cost_and_usage(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_unsupported(&input)?;
        let (start, end) = dates::time_period(&input)?;
        let granularity = granularity(&input, &["DAILY", "MONTHLY", "HOURLY"], "Granularity")?;
        dates::check_span(&granularity, start, end)?;
        let metrics: Vec<String> = input["Metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        if metrics.is_empty() {
            return Err(invalid("Metrics cannot be empty."));
        }
        if let Some(bad) = metrics.iter().find(|m| !METRICS.contains(&m.as_str())) {
            return Err(invalid(format!(
                "Invalid metrics: {bad}. Valid values are {}",
                METRICS.join(", ")
            )));
        }
        let groups = query::group_by(&input)?;
        let filter = Self::filter(&input)?;
        let periods = dates::periods(&granularity, start, end);
        let mut totals = vec![Sum::default(); periods.len()];
        let mut grouped: Vec<BTreeMap<Vec<String>, Sum>> = vec![BTreeMap::new(); periods.len()];
        self.each(&ctx.account_id, start, end, filter, |at, row| {
            let i = periods.partition_point(|p| p.1 <= at);
            if i >= periods.len() {
                return;
            }
            let item = row.item;
            totals[i].add(item.cost, item.quantity, &item.unit);
            if !groups.is_empty() {
                let key = groups
                    .iter()
                    .map(|(ty, k)| query::group_key(row, ty, k))
                    .collect();
                grouped[i]
                    .entry(key)
                    .or_default()
                    .add(item.cost, item.quantity, &item.unit);
            }
        })?;
        let now = ctx.clock.now_millis();
        let hourly = granularity == "HOURLY";
        let results: Vec<Value> = periods
            .iter()
            .enumerate()
            .map(|(i, (s, e))| {
                let mut r = json!({
                    "TimePeriod": {"Start": dates::format(*s, hourly), "End": dates::format(*e, hourly)},
                    "Estimated": *e > now,
                });
                if groups.is_empty() {
                    r["Total"] = totals[i].metrics(&metrics);
                    r["Groups"] = json!([]);
                } else {
                    r["Total"] = json!({});
                    r["Groups"] = grouped[i]
                        .iter()
                        .map(|(keys, sum)| json!({"Keys": keys, "Metrics": sum.metrics(&metrics)}))
                        .collect();
                }
                r
            })
            .collect();
        let definitions: Vec<Value> = groups
            .iter()
            .map(|(ty, k)| json!({"Type": ty, "Key": k}))
            .collect();
        let mut out = json!({"ResultsByTime": results, "DimensionValueAttributes": []});
        if !definitions.is_empty() {
            out["GroupDefinitions"] = json!(definitions);
        }
        Ok(out)
    }

    /// `GetCostForecast`: the last day's hourly rate over the period.
    fn get_cost_forecast(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_unsupported(&input)?;
        let tp = &input["TimePeriod"];
        let start = dates::parse(tp["Start"].as_str().unwrap_or_default())?;
        let end = dates::parse(tp["End"].as_str().unwrap_or_default())?;
        if start >= end {
            return Err(invalid(format!(
                "Requested Start: {} must be before requested End: {}",
                tp["Start"].as_str().unwrap_or_default(),
                tp["End"].as_str().unwrap_or_default()
            )));
        }
        let granularity = granularity(&input, &["DAILY", "MONTHLY"], "Granularity")?;
        dates::check_span(&granularity, start, end)?;
        let metric = input["Metric"].as_str().unwrap_or_default();
        if ![
            "AMORTIZED_COST",
            "BLENDED_COST",
            "NET_AMORTIZED_COST",
            "NET_UNBLENDED_COST",
            "UNBLENDED_COST",
        ]
        .contains(&metric)
        {
            return Err(invalid(format!(
                "1 validation error detected: Value '{metric}' at 'metric' failed to satisfy constraint: Member must satisfy enum value set: [AMORTIZED_COST, BLENDED_COST, NET_AMORTIZED_COST, NET_UNBLENDED_COST, UNBLENDED_COST]"
            )));
        }
        let now = ctx.clock.now_millis();
        let today = now.div_euclid(DAY_MS) * DAY_MS;
        if start < today {
            return Err(invalid(format!(
                "Start date must be equal to or later than the current date: {}",
                dates::format(today, false)
            )));
        }
        let filter = Self::filter(&input)?;
        let rate = self.hourly_rate(&ctx.account_id, now, filter)?;
        let level = input["PredictionIntervalLevel"].as_i64().unwrap_or(80) as f64;
        // A flat rate has no spread; the interval widens with the level
        // asked for so that a 99% interval is wider than an 80% one.
        let spread = 0.05 * level / 80.0;
        let mut total = 0.0;
        let results: Vec<Value> = dates::periods(&granularity, start, end)
            .into_iter()
            .map(|(s, e)| {
                let mean = rate * (e - s) as f64 / HOUR_MS as f64;
                total += mean;
                json!({
                    "TimePeriod": {"Start": dates::format(s, false), "End": dates::format(e, false)},
                    "MeanValue": amount(mean),
                    "PredictionIntervalLowerBound": amount(mean * (1.0 - spread)),
                    "PredictionIntervalUpperBound": amount(mean * (1.0 + spread)),
                })
            })
            .collect();
        Ok(json!({
            "Total": {"Amount": amount(total), "Unit": "USD"},
            "ForecastResultsByTime": results,
        }))
    }

    /// `GetDimensionValues`.
    fn get_dimension_values(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_unsupported(&input)?;
        let (start, end) = dates::time_period(&input)?;
        dates::check_span("DAILY", start, end)?;
        let dimension = input["Dimension"].as_str().unwrap_or_default();
        if !query::GROUP_DIMENSIONS.contains(&dimension) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{dimension}' at 'dimension' failed to satisfy constraint: Member must satisfy enum value set"
            )));
        }
        let search = input["SearchString"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        let filter = Self::filter(&input)?;
        let mut values: BTreeMap<String, Sum> = BTreeMap::new();
        // Reservations and savings plans: Gureum has none to list.
        let usage = matches!(input["Context"].as_str(), None | Some("COST_AND_USAGE"));
        self.each(&ctx.account_id, start, end, filter, |_, row| {
            let v = query::dimension(row, dimension);
            if usage && v.to_lowercase().contains(&search) {
                values
                    .entry(v)
                    .or_default()
                    .add(row.item.cost, row.item.quantity, &row.item.unit);
            }
        })?;
        let mut values: Vec<(String, Sum)> = values.into_iter().collect();
        sort_values(&input, &mut values)?;
        let list: Vec<Value> = values
            .iter()
            .map(|(v, _)| {
                let attributes = if dimension == "LINKED_ACCOUNT" {
                    json!({"description": v})
                } else {
                    json!({})
                };
                json!({"Value": v, "Attributes": attributes})
            })
            .collect();
        Ok(json!({"DimensionValues": list, "ReturnSize": list.len(), "TotalSize": list.len()}))
    }

    /// `GetTags`: tag keys, or one key's values.
    fn get_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        check_unsupported(&input)?;
        let (start, end) = dates::time_period(&input)?;
        dates::check_span("DAILY", start, end)?;
        let key = input["TagKey"].as_str();
        let search = input["SearchString"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        let filter = Self::filter(&input)?;
        let mut found: BTreeMap<String, Sum> = BTreeMap::new();
        self.each(&ctx.account_id, start, end, filter, |_, row| {
            for (k, v) in &row.item.tags {
                let candidate = match key {
                    Some(want) if want == k => v,
                    Some(_) => continue,
                    None => k,
                };
                if candidate.to_lowercase().contains(&search) {
                    found.entry(candidate.clone()).or_default().add(
                        row.item.cost,
                        row.item.quantity,
                        &row.item.unit,
                    );
                }
            }
        })?;
        let mut found: Vec<(String, Sum)> = found.into_iter().collect();
        sort_values(&input, &mut found)?;
        let tags: Vec<&String> = found.iter().map(|(t, _)| t).collect();
        Ok(json!({"Tags": tags, "ReturnSize": tags.len(), "TotalSize": tags.len()}))
    }
}

gureum_core::service_operations! {
    CostExplorerService, "ce",
    "GetCostAndUsage" => get_cost_and_usage,
    "GetCostForecast" => get_cost_forecast,
    "GetDimensionValues" => get_dimension_values,
    "GetTags" => get_tags,
}
