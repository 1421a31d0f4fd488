//! `gureum cost`: this month's cost so far by service, read from a running
//! server's meter (`GET /_gureum/billing/cost`).

use std::io::Write;
use std::process::ExitCode;

/// Prints `account`'s month-to-date cost by service.
pub fn cost(endpoint: &str, account: &str) -> ExitCode {
    let body = match crate::http_get(
        endpoint,
        &format!("/_gureum/billing/cost?account={account}"),
    ) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("gureum: {e} (is `gureum serve` running?)");
            return ExitCode::FAILURE;
        }
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
        eprintln!("gureum: the cost answer is not JSON");
        return ExitCode::FAILURE;
    };
    // A closed pipe (`gureum cost | head -1`) ends the listing quietly.
    let _ = print(&mut std::io::stdout().lock(), &v);
    ExitCode::SUCCESS
}

fn print(out: &mut impl Write, v: &serde_json::Value) -> std::io::Result<()> {
    writeln!(
        out,
        "Account {} — {} so far (on-demand list prices, USD)",
        v["account"].as_str().unwrap_or("?"),
        v["month"].as_str().unwrap_or("?")
    )?;
    let mut rows: Vec<(String, f64)> = v["services"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, c)| (k.clone(), c.as_f64().unwrap_or(0.0)))
        .collect();
    // Dearest first, as the billing console lists them.
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    writeln!(out, "{:<44} {:>12}", "SERVICE", "COST")?;
    for (name, c) in &rows {
        writeln!(out, "{name:<44} {:>12}", format!("${c:.2}"))?;
    }
    writeln!(
        out,
        "{:<44} {:>12}",
        "TOTAL",
        format!("${:.2}", v["total"].as_f64().unwrap_or(0.0))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_print_dearest_first_with_a_total() {
        let v = serde_json::json!({"account": "000000000000", "month": "2027-01",
            "services": {"EC2 - Other": 4.0, "Amazon Elastic Compute Cloud - Compute": 0.104},
            "total": 4.104});
        let mut out = Vec::new();
        print(&mut out, &v).expect("printed");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].starts_with("EC2 - Other") && lines[2].ends_with("$4.00"));
        assert!(lines[3].ends_with("$0.10"));
        assert!(lines[4].starts_with("TOTAL") && lines[4].ends_with("$4.10"));
    }
}
