//! CloudWatch: alarms and an alarm's metric graph (an SVG drawn from
//! `GetMetricStatistics`), and Logs' groups, streams and events.

use crate::html::{esc, list, s, table, time, url};
use crate::ui::{Page, Ui};
use serde_json::{json, Value};
use std::fmt::Write;

/// CloudWatch's own navigation.
pub fn tabs(current: &str) -> String {
    crate::ui::tab_nav(
        "CloudWatch",
        "",
        &[
            ("/_console/cloudwatch/alarms", "Alarms"),
            ("/_console/cloudwatch/metrics", "Metrics"),
            ("/_console/cloudwatch/logs", "Log groups"),
        ],
        current,
    )
}

/// GET routes under `/_console/cloudwatch`.
pub async fn get(ui: &Ui<'_>, sub: &str) -> Page {
    match sub {
        "/cloudwatch" | "/cloudwatch/alarms" => alarms(ui).await,
        "/cloudwatch/alarm" => alarm(ui).await,
        "/cloudwatch/metrics" => crate::metrics::metrics(ui).await,
        "/cloudwatch/metric" => crate::metrics::graph(ui).await,
        "/cloudwatch/logs" => log_groups(ui).await,
        "/cloudwatch/log-group" => log_streams(ui).await,
        "/cloudwatch/log-stream" => log_events(ui).await,
        _ => None,
    }
}

fn page(ui: &Ui<'_>, title: &str, tab: &str, content: &str) -> Page {
    let body = format!("{}{content}", tabs(tab));
    Some(ui.page(200, title, "cloudwatch", &body))
}

async fn alarms(ui: &Ui<'_>) -> Page {
    let out = match ui
        .call("cloudwatch", "DescribeAlarms", json!({ "MaxRecords": 100 }))
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "cloudwatch", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "MetricAlarms")
        .iter()
        .map(|a| {
            let name = s(a, "AlarmName");
            vec![
                format!(
                    "<a href=\"/_console/cloudwatch/alarm?name={}\">{}</a>",
                    url(name),
                    esc(name)
                ),
                esc(s(a, "StateValue")).to_string(),
                esc(&format!("{}/{}", s(a, "Namespace"), s(a, "MetricName"))).to_string(),
                esc(&condition(a)).to_string(),
                esc(&time(a, "StateUpdatedTimestamp")).to_string(),
            ]
        })
        .collect();
    let content = table(
        "Metric alarms",
        &["Name", "State", "Metric", "Condition", "State updated"],
        &rows,
    );
    page(
        ui,
        "CloudWatch alarms",
        "/_console/cloudwatch/alarms",
        &content,
    )
}

fn condition(a: &Value) -> String {
    let op = match s(a, "ComparisonOperator") {
        "GreaterThanOrEqualToThreshold" => ">=",
        "GreaterThanThreshold" => ">",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "<=",
        other => other,
    };
    format!(
        "{} {op} {} for {} × {} s",
        s(a, "Statistic"),
        a.get("Threshold")
            .and_then(|v| v.as_f64())
            .map(crate::svg::short)
            .unwrap_or_default(),
        a.get("EvaluationPeriods")
            .map(|v| v.to_string())
            .unwrap_or_default(),
        a.get("Period").map(|v| v.to_string()).unwrap_or_default(),
    )
}

/// One alarm: its state and reason, and its metric's graph over the last
/// 60 periods (at least an hour) with the threshold drawn across.
async fn alarm(ui: &Ui<'_>) -> Page {
    let name = ui.query.get("name");
    let out = match ui
        .call(
            "cloudwatch",
            "DescribeAlarms",
            json!({ "AlarmNames": [name] }),
        )
        .await
    {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "cloudwatch", "/_console/cloudwatch/alarms")),
    };
    let Some(a) = list(&out, "MetricAlarms").first() else {
        return Some(ui.page(
            404,
            "No such alarm",
            "cloudwatch",
            &format!("<p>There is no metric alarm named {}.</p>", esc(name)),
        ));
    };
    let period = a
        .get("Period")
        .and_then(|v| v.as_i64())
        .unwrap_or(60)
        .max(1);
    let end = (ui.now_millis() / 1000) as f64;
    let start = end - (period * 60).max(3600) as f64;
    let statistic = match s(a, "Statistic") {
        "" => "Average",
        st => st,
    };
    let mut input = json!({
        "Namespace": s(a, "Namespace"),
        "MetricName": s(a, "MetricName"),
        "StartTime": start,
        "EndTime": end,
        "Period": period,
        "Statistics": [statistic],
    });
    if let Some(d) = a.get("Dimensions") {
        input["Dimensions"] = d.clone();
    }
    let mut c = format!(
        "<p>State <strong>{}</strong>: {}</p><p>Metric <code>{}</code> · {}</p>",
        esc(s(a, "StateValue")),
        esc(s(a, "StateReason")),
        esc(&format!("{}/{}", s(a, "Namespace"), s(a, "MetricName"))),
        esc(&condition(a))
    );
    match ui.call("cloudwatch", "GetMetricStatistics", input).await {
        Ok(stats) => {
            let points: Vec<(f64, f64)> = list(&stats, "Datapoints")
                .iter()
                .filter_map(|p| Some((p.get("Timestamp")?.as_f64()?, p.get(statistic)?.as_f64()?)))
                .collect();
            let threshold = a.get("Threshold").and_then(|v| v.as_f64());
            let title = format!("{} ({statistic}, {period} s periods)", s(a, "MetricName"));
            c.push_str("<figure>");
            c.push_str(&crate::svg::line_graph(
                &title, &points, start, end, threshold,
            ));
            let _ = write!(
                c,
                "<figcaption>{} datapoints since {}</figcaption></figure>",
                points.len(),
                esc(&gureum_core::timestamp::format_iso8601_seconds(
                    (start * 1000.0) as i64
                ))
            );
            let mut sorted = points.clone();
            sorted.sort_by(|x, y| x.0.total_cmp(&y.0));
            let rows: Vec<Vec<String>> = sorted
                .iter()
                .map(|(t, v)| {
                    vec![
                        esc(&gureum_core::timestamp::format_iso8601_seconds(
                            (t * 1000.0) as i64,
                        ))
                        .to_string(),
                        crate::svg::short(*v),
                    ]
                })
                .collect();
            c.push_str(&table("Datapoints", &["Time", statistic], &rows));
        }
        Err(e) => c.push_str(&crate::ui::error_banner(&e)),
    }
    page(
        ui,
        &format!("Alarm {name}"),
        "/_console/cloudwatch/alarms",
        &c,
    )
}

async fn log_groups(ui: &Ui<'_>) -> Page {
    let out = match ui.call("logs", "DescribeLogGroups", json!({})).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "cloudwatch", "/_console/")),
    };
    let rows: Vec<Vec<String>> = list(&out, "logGroups")
        .iter()
        .map(|g| {
            let name = s(g, "logGroupName");
            vec![
                format!(
                    "<a href=\"/_console/cloudwatch/log-group?name={}\">{}</a>",
                    url(name),
                    esc(name)
                ),
                g.get("retentionInDays")
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "Never expire".into()),
                g.get("storedBytes")
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let content = table(
        "Log groups",
        &["Name", "Retention (days)", "Stored bytes"],
        &rows,
    );
    page(ui, "Log groups", "/_console/cloudwatch/logs", &content)
}

async fn log_streams(ui: &Ui<'_>) -> Page {
    let group = ui.query.get("name");
    let input = json!({ "logGroupName": group, "orderBy": "LastEventTime", "descending": true });
    let out = match ui.call("logs", "DescribeLogStreams", input).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "cloudwatch", "/_console/cloudwatch/logs")),
    };
    let rows: Vec<Vec<String>> = list(&out, "logStreams")
        .iter()
        .map(|st| {
            let name = s(st, "logStreamName");
            let last = st
                .get("lastEventTimestamp")
                .and_then(|v| v.as_i64())
                .map(gureum_core::timestamp::format_iso8601_seconds)
                .unwrap_or_default();
            vec![
                format!(
                    "<a href=\"/_console/cloudwatch/log-stream?group={}&amp;stream={}\">{}</a>",
                    url(group),
                    url(name),
                    esc(name)
                ),
                esc(&last).to_string(),
            ]
        })
        .collect();
    let content = table("Log streams", &["Stream", "Last event"], &rows);
    page(
        ui,
        &format!("Log group {group}"),
        "/_console/cloudwatch/logs",
        &content,
    )
}

async fn log_events(ui: &Ui<'_>) -> Page {
    let (group, stream) = (ui.query.get("group"), ui.query.get("stream"));
    let input = json!({ "logGroupName": group, "logStreamName": stream, "startFromHead": false, "limit": 1000 });
    let out = match ui.call("logs", "GetLogEvents", input).await {
        Ok(v) => v,
        Err(e) => return Some(ui.error_page(&e, "cloudwatch", "/_console/cloudwatch/logs")),
    };
    let rows: Vec<Vec<String>> = list(&out, "events")
        .iter()
        .map(|e| {
            let t = e
                .get("timestamp")
                .and_then(|v| v.as_i64())
                .map(gureum_core::timestamp::format_iso8601)
                .unwrap_or_default();
            vec![
                esc(&t).to_string(),
                format!("<pre>{}</pre>", esc(s(e, "message"))),
            ]
        })
        .collect();
    let content = format!(
        "<p><a href=\"/_console/cloudwatch/log-group?name={}\">Back to {}</a></p>{}",
        url(group),
        esc(group),
        table("Events (the latest 1,000)", &["Time", "Message"], &rows)
    );
    page(
        ui,
        &format!("Log stream {stream}"),
        "/_console/cloudwatch/logs",
        &content,
    )
}
