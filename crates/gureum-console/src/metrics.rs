//! CloudWatch metrics: the account's metrics by namespace, and any
//! metric's graph (statistic and period chosen) over the last hours.

use crate::html::{esc, list, s, table, url};
use crate::ui::{error_banner, Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

const STATISTICS: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount"];

fn metric_path(ns: &str, name: &str, dims: &Value) -> String {
    format!(
        "/_console/cloudwatch/metric?ns={}&name={}&dims={}",
        url(ns),
        url(name),
        url(&dims.to_string())
    )
}

/// `GET /_console/cloudwatch/metrics[?ns=]`: `ListMetrics`, a link per
/// metric and dimension set.
pub async fn metrics(ui: &Ui<'_>) -> Page {
    let ns = ui.query.get("ns");
    let mut input = json!({});
    if !ns.is_empty() {
        input["Namespace"] = json!(ns);
    }
    let out = match ui.call("cloudwatch", "ListMetrics", input).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "cloudwatch", "/_console/cloudwatch/alarms")),
    };
    let rows: Vec<Vec<String>> = crate::html::list(&out, "Metrics")
        .iter()
        .map(|m| {
            let dims = m.get("Dimensions").cloned().unwrap_or_else(|| json!([]));
            let shown: Vec<String> = crate::html::list(m, "Dimensions")
                .iter()
                .map(|d| format!("{}={}", s(d, "Name"), s(d, "Value")))
                .collect();
            vec![
                esc(s(m, "Namespace")).to_string(),
                format!(
                    "<a href=\"{}\">{}</a>",
                    esc(&metric_path(s(m, "Namespace"), s(m, "MetricName"), &dims)),
                    esc(s(m, "MetricName"))
                ),
                esc(&shown.join(", ")).to_string(),
            ]
        })
        .collect();
    let mut body = crate::cloudwatch::tabs("/_console/cloudwatch/metrics");
    body.push_str(&table(
        "Metrics (the first 500)",
        &["Namespace", "Metric", "Dimensions"],
        &rows,
    ));
    Some(ui.page(200, "CloudWatch metrics", "cloudwatch", &body))
}

/// `GET /_console/cloudwatch/metric?ns=&name=&dims=&stat=&period=&hours=`:
/// the metric's graph from `GetMetricStatistics`.
pub async fn graph(ui: &Ui<'_>) -> Page {
    let q = &ui.query;
    let (ns, name) = (q.get("ns"), q.get("name"));
    let dims: Value = serde_json::from_str(q.get("dims")).unwrap_or_else(|_| json!([]));
    let stat = Some(q.get("stat"))
        .filter(|x| STATISTICS.contains(x))
        .unwrap_or("Average");
    let period: i64 = q.get("period").parse().unwrap_or(60);
    let hours: i64 = q.get("hours").parse().unwrap_or(3).clamp(1, 24 * 14);
    let end = (ui.now_millis() / 1000) as f64;
    let start = end - (hours * 3600) as f64;
    let input = json!({
        "Namespace": ns, "MetricName": name, "Dimensions": dims,
        "StartTime": start, "EndTime": end, "Period": period, "Statistics": [stat],
    });
    let mut body = crate::cloudwatch::tabs("/_console/cloudwatch/metrics");
    let mut stats = String::new();
    for x in STATISTICS {
        let sel = if *x == stat { " selected" } else { "" };
        let _ = write!(stats, "<option{sel}>{x}</option>");
    }
    let _ = write!(
        body,
        "<form method=\"get\" action=\"/_console/cloudwatch/metric\" class=\"panel\">\
         <input type=\"hidden\" name=\"ns\" value=\"{}\"><input type=\"hidden\" name=\"name\" value=\"{}\"><input type=\"hidden\" name=\"dims\" value=\"{}\">\
         <label for=\"stat\">Statistic</label><select id=\"stat\" name=\"stat\">{stats}</select>\
         <label for=\"period\">Period (seconds)</label><input type=\"number\" id=\"period\" name=\"period\" value=\"{period}\" min=\"1\">\
         <label for=\"hours\">Hours shown</label><input type=\"number\" id=\"hours\" name=\"hours\" value=\"{hours}\" min=\"1\" max=\"336\">\
         <button type=\"submit\">Show</button></form>",
        esc(ns),
        esc(name),
        esc(&dims.to_string())
    );
    match ui.call("cloudwatch", "GetMetricStatistics", input).await {
        Ok(out) => {
            let points: Vec<(f64, f64)> = list(&out, "Datapoints")
                .iter()
                .filter_map(|p| Some((p.get("Timestamp")?.as_f64()?, p.get(stat)?.as_f64()?)))
                .collect();
            let title = format!("{ns}/{name} ({stat}, {period} s periods)");
            body.push_str("<figure>");
            body.push_str(&crate::svg::line_graph(&title, &points, start, end, None));
            let _ = write!(
                body,
                "<figcaption>{} datapoints over {hours} h</figcaption></figure>",
                points.len()
            );
        }
        Err(e) => body.push_str(&error_banner(&e)),
    }
    Some(ui.page(200, &format!("Metric {name}"), "cloudwatch", &body))
}
