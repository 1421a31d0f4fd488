//! Dashboards (global to the account, as their ARNs have no region):
//! `PutDashboard` with AWS's body validation, `GetDashboard`,
//! `ListDashboards` and `DeleteDashboards`.

use crate::errors::invalid;
use crate::metrics::wire_time;
use crate::{CloudWatchError, CloudWatchService, Dashboard};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::{json, Map};

const WIDGET_TYPES: [&str; 7] = [
    "metric",
    "text",
    "log",
    "alarm",
    "explorer",
    "custom",
    "alarm-status",
];

/// A dashboard's ARN.
pub(crate) fn dashboard_arn(account: &str, name: &str) -> String {
    format!("arn:aws:cloudwatch::{account}:dashboard/{name}")
}

fn message(path: &str, text: &str) -> Value {
    json!({"DataPath": path, "Message": text})
}

/// The validation messages of a dashboard body (empty: valid).
pub(crate) fn validate_body(body: &str) -> Vec<Value> {
    let parsed: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => return vec![message("", "Should be a valid JSON object")],
    };
    let Some(obj) = parsed.as_object() else {
        return vec![message("", "Should be object")];
    };
    let mut out = Vec::new();
    let Some(widgets) = obj.get("widgets") else {
        return vec![message("", "Should have required property 'widgets'")];
    };
    let Some(widgets) = widgets.as_array() else {
        return vec![message("/widgets", "Should be array")];
    };
    if widgets.len() > 500 {
        out.push(message("/widgets", "Should NOT have more than 500 items"));
    }
    for (i, w) in widgets.iter().enumerate() {
        let path = format!("/widgets/{i}");
        let Some(w) = w.as_object() else {
            out.push(message(&path, "Should be object"));
            continue;
        };
        match w.get("type").map(|t| t.as_str()) {
            None => out.push(message(&path, "Should have required property 'type'")),
            Some(Some(t)) if WIDGET_TYPES.contains(&t) => {}
            Some(_) => out.push(message(
                &format!("{path}/type"),
                "Should be equal to one of the allowed values",
            )),
        }
        for k in ["x", "y", "width", "height"] {
            if let Some(v) = w.get(k) {
                let n = v.as_i64();
                let ok = match k {
                    "width" | "height" => n.is_some_and(|n| {
                        (1..=24).contains(&n) || k == "height" && (1..=1000).contains(&n)
                    }),
                    "x" => n.is_some_and(|n| (0..=23).contains(&n)),
                    _ => n.is_some_and(|n| n >= 0),
                };
                if !ok {
                    out.push(message(
                        &format!("{path}/{k}"),
                        "Should be integer within the allowed range",
                    ));
                }
            }
        }
        let ty = w.get("type").and_then(Value::as_str);
        if ty.is_some() && ty != Some("explorer") {
            match w.get("properties") {
                None => out.push(message(&path, "Should have required property 'properties'")),
                Some(p) if !p.is_object() => {
                    out.push(message(&format!("{path}/properties"), "Should be object"))
                }
                Some(p) => {
                    if ty == Some("text") && p.get("markdown").is_none() {
                        out.push(message(
                            &format!("{path}/properties"),
                            "Should have required property 'markdown'",
                        ));
                    }
                    if ty == Some("metric") {
                        metric_widget(&path, p, &mut out);
                    }
                    if ty == Some("alarm") {
                        match p.get("alarms").map(Value::as_array) {
                            None => out.push(message(
                                &format!("{path}/properties"),
                                "Should have required property 'alarms'",
                            )),
                            Some(None) => out.push(message(
                                &format!("{path}/properties/alarms"),
                                "Should be array",
                            )),
                            Some(Some(a)) if a.is_empty() => out.push(message(
                                &format!("{path}/properties/alarms"),
                                "Should NOT have less than 1 items",
                            )),
                            Some(Some(_)) => {}
                        }
                    }
                }
            }
        }
    }
    out
}

/// A metric widget's `properties`: `metrics` (an array of arrays of
/// strings, an options object last) or `annotations`.
fn metric_widget(path: &str, p: &Value, out: &mut Vec<Value>) {
    let props = format!("{path}/properties");
    match p.get("metrics") {
        None if p.get("annotations").is_none() => {
            out.push(message(&props, "Should have required property 'metrics'"));
            out.push(message(
                &props,
                "The metric widget should have specified a region and a data source or an alarm annotation",
            ));
            out.push(message(
                &props,
                "Should have required property 'annotations'",
            ));
        }
        None => {}
        Some(Value::Array(rows)) => {
            for (i, row) in rows.iter().enumerate() {
                let ok = row.as_array().is_some_and(|items| {
                    items
                        .iter()
                        .enumerate()
                        .all(|(k, v)| v.is_string() || (v.is_object() && k + 1 == items.len()))
                });
                if !ok {
                    let at = format!("{props}/metrics/{i}");
                    if !row.is_array() {
                        out.push(message(&at, "Should be array"));
                    }
                    out.push(message(
                        &at,
                        "Field \"metrics\" has to be an array of array of strings, with an optional metricRenderer object as last element",
                    ));
                }
            }
        }
        Some(_) => out.push(message(&format!("{props}/metrics"), "Should be array")),
    }
}

fn check_name(name: &str) -> Result<(), AwsError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(invalid(
            "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).",
        ));
    }
    Ok(())
}

/// `PutDashboard`.
pub(crate) fn put_dashboard(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = input
        .get("DashboardName")
        .and_then(Value::as_str)
        .ok_or_else(|| crate::errors::missing("DashboardName"))?;
    check_name(name)?;
    let body = input
        .get("DashboardBody")
        .and_then(Value::as_str)
        .ok_or_else(|| crate::errors::missing("DashboardBody"))?;
    let problems = validate_body(body);
    if !problems.is_empty() {
        let e: AwsError = CloudWatchError::BadDashboard {
            count: problems.len(),
        }
        .into();
        // AWS lists them after the sentence as pretty JSON.
        let listed: Vec<Value> = problems
            .iter()
            .map(|p| json!({"dataPath": p["DataPath"], "message": p["Message"]}))
            .collect();
        let mut e = e;
        e.message = format!(
            "{}\n{}",
            e.message.trim_end(),
            serde_json::to_string_pretty(&listed).unwrap_or_default()
        );
        return Err(e.with_field("DashboardValidationMessages", Value::Array(problems)));
    }
    let scope = Scope::global(ctx);
    let now = ctx.clock.now_millis();
    let key = scope.key(name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let tags = txn
            .get(&svc.dashboards, &key)?
            .map(|d| d.tags)
            .unwrap_or_default();
        txn.put(
            &svc.dashboards,
            &key,
            &Dashboard {
                name: name.to_string(),
                body: body.to_string(),
                modified_ms: now,
                tags,
            },
        )?;
        Ok(())
    })?;
    Ok(json!({ "DashboardValidationMessages": [] }))
}

/// `GetDashboard`.
pub(crate) fn get_dashboard(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = input
        .get("DashboardName")
        .and_then(Value::as_str)
        .ok_or_else(|| crate::errors::missing("DashboardName"))?;
    let d = svc
        .dashboards
        .get(&Scope::global(ctx).key(name))?
        .ok_or_else(|| CloudWatchError::NoSuchDashboard {
            name: name.to_string(),
        })?;
    Ok(json!({
        "DashboardArn": dashboard_arn(&ctx.account_id, &d.name),
        "DashboardBody": d.body,
        "DashboardName": d.name,
    }))
}

/// `ListDashboards`: by name, 1000 a page.
pub(crate) fn list_dashboards(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let prefix = input.get("DashboardNamePrefix").and_then(Value::as_str);
    let token = input.get("NextToken").and_then(Value::as_str);
    let request = PageRequest::new(None, token, (1, 1000), 1000).map_err(CloudWatchError::from)?;
    let page = paging::page(
        &svc.dashboards,
        &Scope::global(ctx).prefix(),
        &request,
        |_, d| {
            prefix.is_none_or(|p| d.name.starts_with(p)).then(|| {
                json!({
                    "DashboardName": d.name,
                    "DashboardArn": dashboard_arn(&ctx.account_id, &d.name),
                    "LastModified": wire_time(d.modified_ms),
                    "Size": d.body.len(),
                })
            })
        },
    )?;
    let mut out = Map::new();
    out.insert("DashboardEntries".into(), Value::Array(page.items));
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}

/// `DeleteDashboards`: all of them, or none if one does not exist.
pub(crate) fn delete_dashboards(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let names: Vec<&str> = input
        .get("DashboardNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let scope = Scope::global(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        for n in &names {
            if txn.get(&svc.dashboards, &scope.key(n))?.is_none() {
                return Err(CloudWatchError::DashboardsNotFound.into());
            }
        }
        for n in &names {
            txn.delete(&svc.dashboards, &scope.key(n))?;
        }
        Ok(())
    })?;
    Ok(json!({}))
}
