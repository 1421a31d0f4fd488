//! AWS Budgets: cost and usage budgets with their notifications and
//! subscribers, evaluated after each meter pass. A notification whose
//! threshold the actual (or forecasted) spend crosses goes `ALARM` and
//! notifies its subscribers once per budget period: SNS topics through
//! the [`BudgetAlerts`] seam (SNS's Rust interface), email addresses as
//! records (`budgets.emails`).
//!
//! Tables (global service, keys `{account}/{name}`):
//! - `budgets.budgets` → a [`StoredBudget`];
//! - `budgets.emails`: `{account}/{ms:013}/{n}` → an email alert
//!   as it would have been sent.

use crate::ce::{amount, CostExplorerService};
use crate::dates::{self, DAY_MS};
use crate::errors::BudgetsError;
use crate::meter::HOUR_MS;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use gureum_kit::paging::{self, PageRequest};
use gureum_store::{Store, Table};
use serde_json::json;
use std::sync::Arc;

/// Where budget alerts to SNS topics go (SNS, as the server wires it).
pub trait BudgetAlerts: Send + Sync {
    /// Publishes `message` to `topic_arn` as `budgets.amazonaws.com`, for
    /// the budget `budget_arn` of `account`.
    fn publish(
        &self,
        account: &str,
        budget_arn: &str,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), String>;
}

/// Alerts dropped (unit tests, a build without SNS).
pub struct NoAlerts;

impl BudgetAlerts for NoAlerts {
    fn publish(&self, _: &str, _: &str, _: &str, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
}

/// A notification of a budget, with its subscribers and state.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredNotification {
    /// The `Notification` shape as given (defaults filled in).
    pub notification: Value,
    /// Its `Subscriber`s.
    pub subscribers: Vec<Value>,
    /// `OK` or `ALARM`.
    pub state: String,
    /// The start (ms) of the budget period it last alarmed in.
    #[serde(default)]
    pub alarmed_period: Option<i64>,
    /// The last delivery failure, if any (a topic policy refusing).
    #[serde(default)]
    pub last_error: Option<String>,
}

/// A budget, as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredBudget {
    /// The `Budget` shape as given (defaults filled in).
    pub budget: Value,
    /// Its notifications.
    pub notifications: Vec<StoredNotification>,
}

/// The Budgets service.
pub struct BudgetsService {
    budgets: Table<StoredBudget>,
    emails: Table<Value>,
    store: Store,
    ce: Arc<CostExplorerService>,
    alerts: Arc<dyn BudgetAlerts>,
}

/// AWS's end date for a budget created without one (2087-06-15).
const DEFAULT_END_SECS: i64 = 3_706_473_600;

/// The `AccountId` of a request: it must be the caller's own.
fn account(ctx: &RequestContext, input: &Value) -> Result<String, AwsError> {
    match input["AccountId"].as_str() {
        Some(a) if a != ctx.account_id => {
            Err(BudgetsError::AccessDenied { account: a.into() }.into())
        }
        _ => Ok(ctx.account_id.clone()),
    }
}

/// A budget as `Describe*` shows it: its filter expression only when
/// `ShowFilterExpression` asks for it, as AWS does.
fn shown(mut b: Value, input: &Value) -> Value {
    if input["ShowFilterExpression"].as_bool() != Some(true) {
        if let Some(o) = b.as_object_mut() {
            o.remove("FilterExpression");
        }
    }
    b
}

fn key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

fn param(message: impl Into<String>) -> AwsError {
    BudgetsError::InvalidParameter {
        message: message.into(),
    }
    .into()
}

/// The budget period holding `now` for a time unit: (start, end) ms.
fn period(time_unit: &str, now: i64) -> (i64, i64) {
    match time_unit {
        "DAILY" => {
            let s = now.div_euclid(DAY_MS) * DAY_MS;
            (s, s + DAY_MS)
        }
        "QUARTERLY" | "ANNUALLY" => {
            let months = if time_unit == "QUARTERLY" { 3 } else { 12 };
            let mut s = dates::month_start(now);
            loop {
                let (_, m, _) = gureum_core::timestamp::civil_from_days(s / DAY_MS);
                if (m - 1) % months == 0 {
                    break;
                }
                s = dates::month_start(s - 1);
            }
            let mut e = s;
            for _ in 0..months {
                e = dates::next_month(e);
            }
            (s, e)
        }
        _ => (dates::month_start(now), dates::next_month(now)),
    }
}

/// The expression of a budget's (older) `CostFilters`: each named
/// dimension's values, all of them required (`TagKeyValue` values are
/// `user:Key$Value`).
fn cost_filters(b: &Value) -> Option<Value> {
    let filters = b["CostFilters"].as_object().filter(|f| !f.is_empty())?;
    let mut parts: Vec<Value> = Vec::new();
    for (name, values) in filters {
        let dimension = match name.as_str() {
            "Service" => "SERVICE",
            "Region" => "REGION",
            "UsageType" => "USAGE_TYPE",
            "Operation" => "OPERATION",
            "LinkedAccount" => "LINKED_ACCOUNT",
            "InstanceType" => "INSTANCE_TYPE",
            "AZ" => "AZ",
            "PurchaseType" => "PURCHASE_TYPE",
            "UsageTypeGroup" => "USAGE_TYPE_GROUP",
            "TagKeyValue" => {
                let tags: Vec<Value> = values
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter_map(|kv| kv.trim_start_matches("user:").split_once('$'))
                    .map(|(k, v)| json!({"Tags": {"Key": k, "Values": [v]}}))
                    .collect();
                parts.push(match tags.len() {
                    1 => tags[0].clone(),
                    0 => continue,
                    _ => json!({"Or": tags}),
                });
                continue;
            }
            _ => continue,
        };
        parts.push(json!({"Dimensions": {"Key": dimension, "Values": values}}));
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(json!({"And": parts})),
    }
}

/// Fills in a `Budget`'s defaults and checks it.
fn normalize(mut b: Value, now: i64) -> Result<Value, AwsError> {
    let name = b["BudgetName"].as_str().unwrap_or_default().to_string();
    if name.is_empty() || name.contains(':') || name.contains('\\') {
        return Err(param(format!(
            "Invalid budget name {name}: the name cannot be empty or contain ':' or '\\' characters"
        )));
    }
    let ty = b["BudgetType"].as_str().unwrap_or_default().to_string();
    if !matches!(ty.as_str(), "COST" | "USAGE") {
        return Err(param(format!(
            "Budget type {ty} is not supported by Gureum: only COST and USAGE budgets are"
        )));
    }
    let unit = b["TimeUnit"].as_str().unwrap_or("MONTHLY").to_string();
    if !matches!(
        unit.as_str(),
        "DAILY" | "MONTHLY" | "QUARTERLY" | "ANNUALLY"
    ) {
        return Err(param(format!("Time unit {unit} is not supported")));
    }
    let limit = &b["BudgetLimit"];
    let amount_ok = limit["Amount"]
        .as_str()
        .and_then(|a| a.parse::<f64>().ok())
        .is_some_and(|a| a.is_finite() && a >= 0.0);
    if !amount_ok {
        return Err(param("Budget limit amount must be a non-negative number"));
    }
    if b["BudgetLimit"]["Unit"].as_str().is_none() {
        b["BudgetLimit"]["Unit"] = json!(if ty == "COST" { "USD" } else { "Hrs" });
    }
    b["TimeUnit"] = json!(unit);
    if b["TimePeriod"]["Start"].is_null() {
        b["TimePeriod"]["Start"] = json!(period(&unit, now).0 / 1000);
    }
    if b["TimePeriod"]["End"].is_null() {
        b["TimePeriod"]["End"] = json!(DEFAULT_END_SECS);
    }
    if ty == "COST" && b["CostTypes"].is_null() {
        b["CostTypes"] = json!({
            "IncludeTax": true, "IncludeSubscription": true, "UseBlended": false,
            "IncludeRefund": true, "IncludeCredit": true, "IncludeUpfront": true,
            "IncludeRecurring": true, "IncludeOtherSubscription": true,
            "IncludeSupport": true, "IncludeDiscount": true, "UseAmortized": false,
        });
    }
    b["LastUpdatedTime"] = json!(now / 1000);
    b.as_object_mut()
        .map(|o| o.remove("CalculatedSpend"))
        .unwrap_or_default();
    Ok(b)
}

/// Fills in a `Notification`'s defaults and checks it.
fn notification(mut n: Value) -> Result<Value, AwsError> {
    if n["ThresholdType"].is_null() {
        n["ThresholdType"] = json!("PERCENTAGE");
    }
    let threshold = n["Threshold"].as_f64().unwrap_or(-1.0);
    // NaN and non-positive thresholds are refused alike.
    let positive = threshold.is_finite() && threshold > 0.0;
    if !positive || (n["ThresholdType"] == "PERCENTAGE" && threshold > 1_000_000_000.0) {
        return Err(param("Threshold must be a positive number"));
    }
    n.as_object_mut()
        .map(|o| o.remove("NotificationState"))
        .unwrap_or_default();
    Ok(n)
}

fn same_notification(a: &Value, b: &Value) -> bool {
    ["NotificationType", "ComparisonOperator", "ThresholdType"]
        .iter()
        .all(|k| a[k] == b[k])
        && a["Threshold"].as_f64() == b["Threshold"].as_f64()
}

fn subscribers(list: &Value) -> Result<Vec<Value>, AwsError> {
    let subs: Vec<Value> = list.as_array().cloned().unwrap_or_default();
    for s in &subs {
        let ty = s["SubscriptionType"].as_str().unwrap_or_default();
        let address = s["Address"].as_str().unwrap_or_default();
        match ty {
            "SNS" if address.starts_with("arn:") && address.split(':').nth(2) == Some("sns") => {}
            "SNS" => return Err(param(format!("Invalid SNS topic ARN: {address}"))),
            "EMAIL" if address.contains('@') => {}
            "EMAIL" => return Err(param(format!("Invalid email address: {address}"))),
            _ => return Err(param(format!("Invalid subscription type: {ty}"))),
        }
    }
    Ok(subs)
}

impl BudgetsService {
    /// Budgets over `store`, reading costs through `ce`, alerting through
    /// `alerts`.
    pub fn new(store: Store, ce: Arc<CostExplorerService>, alerts: Arc<dyn BudgetAlerts>) -> Self {
        BudgetsService {
            budgets: store.table("budgets.budgets"),
            emails: store.table("budgets.emails"),
            store,
            ce,
            alerts,
        }
    }

    fn load(&self, account: &str, name: &str) -> Result<StoredBudget, AwsError> {
        self.budgets
            .get(&key(account, name))?
            .ok_or_else(|| BudgetsError::BudgetNotFound { name: name.into() }.into())
    }

    /// Actual and forecasted spend of a budget at `now`.
    fn spend(&self, account: &str, b: &Value, now: i64) -> Result<(f64, f64), AwsError> {
        let unit = b["TimeUnit"].as_str().unwrap_or("MONTHLY");
        let (start, end) = period(unit, now);
        let from_cost_filters = cost_filters(b);
        let filter = b
            .get("FilterExpression")
            .filter(|f| !f.is_null())
            .or(from_cost_filters.as_ref());
        let usage = b["BudgetType"] == "USAGE";
        let (cost, quantity) = self.ce.cost(account, start, now.min(end), filter)?;
        let actual = if usage { quantity } else { cost };
        let (rate_cost, rate_quantity) = self.ce.cost(account, now - DAY_MS, now, filter)?;
        let rate = if usage { rate_quantity } else { rate_cost } / 24.0;
        let left = (end - now).max(0) as f64 / HOUR_MS as f64;
        Ok((actual, actual + rate * left))
    }

    fn with_spend(&self, account: &str, mut b: Value, now: i64) -> Result<Value, AwsError> {
        let (actual, forecast) = self.spend(account, &b, now)?;
        let unit = b["BudgetLimit"]["Unit"].clone();
        b["CalculatedSpend"] = json!({
            "ActualSpend": {"Amount": amount(actual), "Unit": unit},
            "ForecastedSpend": {"Amount": amount(forecast), "Unit": unit},
        });
        Ok(b)
    }

    /// `CreateBudget`.
    fn create_budget(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        if input["ResourceTags"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
        {
            // Budget tags would need TagResource and ListTagsForResource,
            // which Gureum does not serve yet: refused, not dropped.
            return Err(param("ResourceTags are not supported by Gureum yet"));
        }
        let now = ctx.clock.now_millis();
        let budget = normalize(input["Budget"].clone(), now)?;
        let name = budget["BudgetName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut notifications = Vec::new();
        for n in input["NotificationsWithSubscribers"]
            .as_array()
            .into_iter()
            .flatten()
        {
            notifications.push(StoredNotification {
                notification: notification(n["Notification"].clone())?,
                subscribers: subscribers(&n["Subscribers"])?,
                state: "OK".into(),
                alarmed_period: None,
                last_error: None,
            });
        }
        let k = key(&acct, &name);
        self.store.write(|txn| {
            if txn.get(&self.budgets, &k)?.is_some() {
                return Err(BudgetsError::DuplicateBudget { name: name.clone() }.into());
            }
            txn.put(
                &self.budgets,
                &k,
                &StoredBudget {
                    budget,
                    notifications,
                },
            )?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DescribeBudget`.
    fn describe_budget(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default();
        let stored = self.load(&acct, name)?;
        let b = self.with_spend(&acct, stored.budget, ctx.clock.now_millis())?;
        Ok(json!({"Budget": shown(b, &input)}))
    }

    /// `DescribeBudgets`.
    fn describe_budgets(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let req = PageRequest::new(
            input["MaxResults"].as_i64(),
            input["NextToken"].as_str(),
            (1, 1000),
            100,
        )
        .map_err(|_| AwsError::from(BudgetsError::InvalidNextToken))?;
        let prefix = format!("{acct}/");
        let page = paging::page(&self.budgets, &prefix, &req, |_, b| Some(b.budget))?;
        let now = ctx.clock.now_millis();
        let list = page
            .items
            .into_iter()
            .map(|b| Ok(shown(self.with_spend(&acct, b, now)?, &input)))
            .collect::<Result<Vec<_>, AwsError>>()?;
        let mut out = json!({"Budgets": list});
        if let Some(t) = page.next_token {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    /// `UpdateBudget`.
    fn update_budget(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let budget = normalize(input["NewBudget"].clone(), ctx.clock.now_millis())?;
        let name = budget["BudgetName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let k = key(&acct, &name);
        self.store.write(|txn| {
            let Some(mut stored) = txn.get(&self.budgets, &k)? else {
                return Err(BudgetsError::UpdateNotFound { name: name.clone() }.into());
            };
            stored.budget = budget;
            txn.put(&self.budgets, &k, &stored)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteBudget`.
    fn delete_budget(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default();
        if !self.budgets.delete(&key(&acct, name))? {
            return Err(BudgetsError::DeleteNotFound { name: name.into() }.into());
        }
        Ok(json!({}))
    }

    /// Reads, changes and writes one budget in a transaction.
    fn change(
        &self,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut StoredBudget) -> Result<(), AwsError>,
    ) -> Result<(), AwsError> {
        let k = key(account, name);
        self.store.write(|txn| {
            let Some(mut stored) = txn.get(&self.budgets, &k)? else {
                return Err(BudgetsError::BudgetNotFound { name: name.into() }.into());
            };
            f(&mut stored)?;
            txn.put(&self.budgets, &k, &stored)?;
            Ok(())
        })
    }

    /// `DescribeNotificationsForBudget`.
    fn describe_notifications_for_budget(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default();
        let stored = self.load(&acct, name)?;
        let list: Vec<Value> = stored
            .notifications
            .iter()
            .map(|n| {
                let mut v = n.notification.clone();
                v["NotificationState"] = json!(n.state);
                v
            })
            .collect();
        Ok(json!({"Notifications": list}))
    }

    /// `CreateNotification`.
    fn create_notification(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default().to_string();
        let n = notification(input["Notification"].clone())?;
        let subs = subscribers(&input["Subscribers"])?;
        self.change(&acct, &name, |b| {
            if b.notifications
                .iter()
                .any(|x| same_notification(&x.notification, &n))
            {
                return Err(BudgetsError::DuplicateNotification { name: name.clone() }.into());
            }
            b.notifications.push(StoredNotification {
                notification: n,
                subscribers: subs,
                state: "OK".into(),
                alarmed_period: None,
                last_error: None,
            });
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteNotification`.
    fn delete_notification(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default().to_string();
        let n = notification(input["Notification"].clone())?;
        self.change(&acct, &name, |b| {
            let before = b.notifications.len();
            b.notifications
                .retain(|x| !same_notification(&x.notification, &n));
            if b.notifications.len() == before {
                return Err(BudgetsError::NotificationNotFound { name: name.clone() }.into());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `CreateSubscriber`.
    fn create_subscriber(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default().to_string();
        let n = notification(input["Notification"].clone())?;
        let sub = subscribers(&json!([input["Subscriber"]]))?.remove(0);
        self.change(&acct, &name, |b| {
            let Some(x) = b
                .notifications
                .iter_mut()
                .find(|x| same_notification(&x.notification, &n))
            else {
                return Err(BudgetsError::NotificationNotFound { name: name.clone() }.into());
            };
            if x.subscribers.contains(&sub) {
                return Err(BudgetsError::DuplicateSubscriber { name: name.clone() }.into());
            }
            x.subscribers.push(sub);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DeleteSubscriber`.
    fn delete_subscriber(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default().to_string();
        let n = notification(input["Notification"].clone())?;
        let sub = input["Subscriber"].clone();
        self.change(&acct, &name, |b| {
            let Some(x) = b
                .notifications
                .iter_mut()
                .find(|x| same_notification(&x.notification, &n))
            else {
                return Err(BudgetsError::NotificationNotFound { name: name.clone() }.into());
            };
            x.subscribers.retain(|s| s != &sub);
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DescribeSubscribersForNotification`.
    fn describe_subscribers_for_notification(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = account(ctx, &input)?;
        let name = input["BudgetName"].as_str().unwrap_or_default();
        let n = notification(input["Notification"].clone())?;
        let stored = self.load(&acct, name)?;
        let Some(x) = stored
            .notifications
            .iter()
            .find(|x| same_notification(&x.notification, &n))
        else {
            return Err(BudgetsError::NotificationNotFound { name: name.into() }.into());
        };
        Ok(json!({"Subscribers": x.subscribers}))
    }

    /// Evaluates every budget's notifications at `now`: a crossed
    /// threshold alarms once per budget period and notifies.
    pub fn evaluate(&self, now: i64) -> Result<(), AwsError> {
        for (k, mut stored) in self.budgets.scan_prefix("")? {
            let Some((account, name)) = k.split_once('/') else {
                continue;
            };
            let unit = stored.budget["TimeUnit"]
                .as_str()
                .unwrap_or("MONTHLY")
                .to_string();
            let (period_start, _) = period(&unit, now);
            let (actual, forecast) = self.spend(account, &stored.budget, now)?;
            let limit: f64 = stored.budget["BudgetLimit"]["Amount"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or(0.0);
            let mut changed = false;
            for n in &mut stored.notifications {
                let spent = if n.notification["NotificationType"] == "FORECASTED" {
                    forecast
                } else {
                    actual
                };
                let t = n.notification["Threshold"].as_f64().unwrap_or(0.0);
                let threshold = if n.notification["ThresholdType"] == "ABSOLUTE_VALUE" {
                    t
                } else {
                    limit * t / 100.0
                };
                let crossed = match n.notification["ComparisonOperator"].as_str() {
                    Some("LESS_THAN") => spent < threshold,
                    Some("EQUAL_TO") => (spent - threshold).abs() < 0.005,
                    _ => spent > threshold,
                };
                if n.alarmed_period.is_some_and(|p| p != period_start) {
                    n.state = "OK".into();
                    n.alarmed_period = None;
                    changed = true;
                }
                if !crossed || n.alarmed_period == Some(period_start) {
                    continue;
                }
                n.state = "ALARM".into();
                n.alarmed_period = Some(period_start);
                changed = true;
                n.last_error = self.notify(account, name, &stored.budget, n, spent, threshold, now);
            }
            if changed {
                self.budgets.put(&k, &stored)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        account: &str,
        name: &str,
        budget: &Value,
        n: &StoredNotification,
        spent: f64,
        threshold: f64,
        now: i64,
    ) -> Option<String> {
        let kind = n.notification["NotificationType"]
            .as_str()
            .unwrap_or("ACTUAL");
        let usage = budget["BudgetType"] == "USAGE";
        let money = |v: f64| {
            if usage {
                format!("{v:.2}")
            } else {
                format!("${v:.2}")
            }
        };
        let limit = budget["BudgetLimit"]["Amount"].as_str().unwrap_or("0");
        let subject = format!("AWS Budgets: {name} has exceeded your alert threshold");
        let message = format!(
            "AWS Budget Notification {date}\nAWS Account {account}\n\nDear AWS Customer,\n\n\
             You requested that we alert you when the {kind} {what} associated with your {name} budget is greater than {th} for the current {unit}. \
             The {kind} {what} associated with this budget is {spent}. You can find additional details below and by accessing the AWS Budgets dashboard [1].\n\n\
             Budget Name: {name}\nBudget Type: {ty}\nBudgeted Amount: {limit}\nAlert Type: {kind}\nAlert Threshold: > {th}\n{kind} Amount: {spent}\n\n\
             [1] https://console.aws.amazon.com/billing/home#/budgets\n",
            date = gureum_core::timestamp::format_http_date(now),
            what = if usage { "Usage" } else { "Cost" },
            th = money(threshold),
            unit = budget["TimeUnit"].as_str().unwrap_or("MONTHLY").to_lowercase().trim_end_matches("ly"),
            spent = money(spent),
            ty = if usage { "Usage" } else { "Cost" },
            limit = if usage { limit.to_string() } else { format!("${limit}") },
        );
        let arn = format!("arn:aws:budgets::{account}:budget/{name}");
        let mut error = None;
        for (i, s) in n.subscribers.iter().enumerate() {
            let address = s["Address"].as_str().unwrap_or_default();
            if s["SubscriptionType"] == "SNS" {
                if let Err(e) = self
                    .alerts
                    .publish(account, &arn, address, &subject, &message)
                {
                    error = Some(e);
                }
            } else {
                let record =
                    json!({"To": address, "Subject": subject, "Body": message, "Budget": name});
                if let Err(e) = self
                    .emails
                    .put(&format!("{account}/{now:013}/{i}"), &record)
                {
                    error = Some(e.to_string());
                }
            }
        }
        error
    }

    /// The email alerts recorded for `account`, oldest first.
    pub fn emails(&self, account: &str) -> Result<Vec<Value>, AwsError> {
        Ok(self
            .emails
            .scan_prefix(&format!("{account}/"))?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }
}

gureum_core::service_operations! {
    BudgetsService, "budgets",
    "CreateBudget" => create_budget,
    "DescribeBudget" => describe_budget,
    "DescribeBudgets" => describe_budgets,
    "UpdateBudget" => update_budget,
    "DeleteBudget" => delete_budget,
    "DescribeNotificationsForBudget" => describe_notifications_for_budget,
    "CreateNotification" => create_notification,
    "DeleteNotification" => delete_notification,
    "CreateSubscriber" => create_subscriber,
    "DeleteSubscriber" => delete_subscriber,
    "DescribeSubscribersForNotification" => describe_subscribers_for_notification,
}
