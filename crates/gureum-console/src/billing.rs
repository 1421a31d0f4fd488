//! The billing dashboard: this month's cost so far by service and by day
//! (Cost Explorer's `GetCostAndUsage`, drawn as SVG bar charts with their
//! data tables) and the account's budgets (`DescribeBudgets`).

use crate::html::{esc, list, s, table};
use crate::svg::bar_chart;
use crate::ui::{Page, Ui};
use gureum_core::timestamp::civil_from_days as civil;
use serde_json::{json, Value};

/// GET routes under `/_console/billing`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/billing" => dashboard(ui).await,
        _ => None,
    }
}

/// The month so far as Cost Explorer's `TimePeriod`: the first of the
/// month to tomorrow (the end is exclusive), on Gureum's clock.
fn month_to_date(now_millis: i64) -> (String, String) {
    let today = now_millis.div_euclid(86_400_000);
    let (y, m, _) = civil(today);
    let (ty, tm, td) = civil(today + 1);
    (
        format!("{y:04}-{m:02}-01"),
        format!("{ty:04}-{tm:02}-{td:02}"),
    )
}

fn amount(group: &Value) -> f64 {
    group
        .pointer("/Metrics/UnblendedCost/Amount")
        .and_then(Value::as_str)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0.0)
}

/// A Budgets amount (a decimal string) as dollars and cents.
fn money(amount: Option<&str>) -> String {
    match amount.and_then(|a| a.parse::<f64>().ok()) {
        Some(v) => dollars(v),
        None => esc(amount.unwrap_or("")).to_string(),
    }
}

fn dollars(v: f64) -> String {
    format!("${v:.2}")
}

async fn dashboard(ui: &Ui<'_>) -> Page {
    let (start, end) = month_to_date(ui.now_millis());
    let (ty, tm, td) = civil(ui.now_millis().div_euclid(86_400_000));
    let today = format!("{ty:04}-{tm:02}-{td:02}");
    let input = json!({
        "TimePeriod": {"Start": start, "End": end},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
    });
    let out = match ui.call("ce", "GetCostAndUsage", input).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "billing", "/_console/")),
    };
    let mut by_service: Vec<(String, f64)> = Vec::new();
    let mut by_day: Vec<(String, f64)> = Vec::new();
    for day in list(&out, "ResultsByTime") {
        let date = day.pointer("/TimePeriod/Start").and_then(Value::as_str);
        let mut total = 0.0;
        for g in list(day, "Groups") {
            let name = g.pointer("/Keys/0").and_then(Value::as_str).unwrap_or("");
            let cost = amount(g);
            total += cost;
            match by_service.iter_mut().find(|(n, _)| n == name) {
                Some(entry) => entry.1 += cost,
                None => by_service.push((name.to_string(), cost)),
            }
        }
        by_day.push((date.unwrap_or("").to_string(), total));
    }
    by_service.sort_by(|a, b| b.1.total_cmp(&a.1));
    let month_total: f64 = by_service.iter().map(|(_, c)| c).sum();
    let mut body = format!(
        "<p>Month to date ({} through {}), at AWS's on-demand prices: <strong>{}</strong>.</p>",
        esc(&start),
        esc(&today),
        dollars(month_total)
    );
    body.push_str("<h2>Cost by service</h2>");
    body.push_str(&bar_chart("Cost by service, month to date", &by_service));
    let rows: Vec<Vec<String>> = by_service
        .iter()
        .map(|(n, c)| vec![esc(n).to_string(), dollars(*c)])
        .collect();
    body.push_str(&table("Cost by service", &["Service", "Cost"], &rows));
    body.push_str("<h2>Cost by day</h2>");
    body.push_str(&bar_chart("Cost by day, month to date", &by_day));
    let rows: Vec<Vec<String>> = by_day
        .iter()
        .map(|(d, c)| vec![esc(d).to_string(), dollars(*c)])
        .collect();
    body.push_str(&table("Cost by day", &["Day", "Cost"], &rows));
    body.push_str(&budgets(ui).await);
    Some(ui.page(200, "Billing and cost", "billing", &body))
}

async fn budgets(ui: &Ui<'_>) -> String {
    let input = json!({ "AccountId": ui.caller.account });
    let rows: Vec<Vec<String>> = match ui.call("budgets", "DescribeBudgets", input).await {
        Ok(out) => list(&out, "Budgets")
            .iter()
            .map(|b| {
                let limit = b.pointer("/BudgetLimit/Amount").and_then(Value::as_str);
                let actual = b
                    .pointer("/CalculatedSpend/ActualSpend/Amount")
                    .and_then(Value::as_str);
                vec![
                    esc(s(b, "BudgetName")).to_string(),
                    esc(s(b, "BudgetType")).to_string(),
                    esc(s(b, "TimeUnit")).to_string(),
                    money(limit),
                    money(actual),
                ]
            })
            .collect(),
        Err(e) => return crate::ui::error_banner(&e),
    };
    format!(
        "<h2>Budgets</h2>{}",
        table(
            "Budgets",
            &["Name", "Type", "Period", "Limit", "Actual"],
            &rows
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_to_date_runs_from_the_first_to_tomorrow() {
        // 2026-12-07T21:00:00Z
        assert_eq!(
            month_to_date(1_796_677_200_000),
            ("2026-12-01".into(), "2026-12-08".into())
        );
        // The last day of a leap February ends on the first of March.
        assert_eq!(
            month_to_date(1_709_164_800_000),
            ("2024-02-01".into(), "2024-03-01".into())
        );
    }
}
