//! Metric filters: `PutMetricFilter`, `DescribeMetricFilters`,
//! `DeleteMetricFilter`, `TestMetricFilter`, and what `PutLogEvents` emits
//! through the [`gureum_kit::metrics::MetricSink`] for the events a
//! group's filters match.
//!
//! Each matching event is one datapoint at the event's timestamp: the
//! transformation's `metricValue` (a number, or `$.field` of a JSON event,
//! or `$name` of a space-delimited pattern), its dimensions read the same
//! way, its unit. A batch in which a filter matched nothing emits the
//! filter's `defaultValue`, when it has one, at the time of the put.

use crate::errors::{invalid, LogsError};
use crate::filter_pattern::Pattern;
use crate::{LogsService, MetricFilter, StoredEvent};
use gureum_core::member::str_member;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::metrics::Datapoint;
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::json;
use std::ops::ControlFlow;

/// Most metric filters on one group.
const MAX_PER_GROUP: usize = 100;

fn filter_key(ctx: &RequestContext, group: &str, name: &str) -> String {
    Scope::regional(ctx).key(&format!("{group}:{name}"))
}

/// Parses a filter's pattern, answering AWS's refusal.
pub(crate) fn parse_pattern(text: &str) -> Result<Pattern, AwsError> {
    Pattern::parse(text)
        .map_err(|e| invalid(e.aws_reason().unwrap_or("Invalid metric filter pattern")))
}

fn is_selector_or_number(v: &str) -> bool {
    v.parse::<f64>().is_ok()
        || (v.starts_with("$.") && v.len() > 2)
        || (v.starts_with('$')
            && v.len() > 1
            && v[1..].chars().all(|c| c.is_alphanumeric() || c == '_'))
}

pub(crate) fn put(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let name = str_member(input, "filterName").unwrap_or_default();
    let pattern = str_member(input, "filterPattern").unwrap_or_default();
    let parsed = parse_pattern(pattern)?;
    crate::refuse_transformer_members(input, "emitSystemFieldDimensions")?;
    let transformations: Vec<Value> = input
        .get("metricTransformations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in &transformations {
        let value = str_member(t, "metricValue").unwrap_or_default();
        if !is_selector_or_number(value) {
            return Err(invalid(format!(
                "Invalid metric value: {value} (Gureum's wording)"
            )));
        }
        let has_dims = t
            .get("dimensions")
            .and_then(Value::as_object)
            .is_some_and(|d| !d.is_empty());
        // Dimensions are read from JSON or space-delimited fields only.
        if has_dims && !matches!(parsed, Pattern::Json(_) | Pattern::Spaced(_)) {
            return Err(invalid(
                "The specified filter pattern does not support dimensions",
            ));
        }
        if has_dims && t.get("defaultValue").is_some() {
            return Err(invalid(
                "You cannot specify a default value for a metric filter that has dimensions (Gureum's wording).",
            ));
        }
    }
    let record = MetricFilter {
        name: name.to_string(),
        group: group.to_string(),
        pattern: pattern.to_string(),
        transformations,
        creation_time: ctx.clock.now_millis(),
    };
    let group_key = Scope::regional(ctx).key(group);
    let key = filter_key(ctx, group, name);
    let existing = filters_of(svc, ctx, group)?.len();
    svc.store.write(|txn| {
        let mut g = txn
            .get(&svc.log_groups, &group_key)?
            .ok_or(AwsError::from(LogsError::LogGroupNotFound))?;
        let replacing = txn.get(&svc.metric_filters, &key)?.is_some();
        if !replacing {
            if existing >= MAX_PER_GROUP {
                return Err(LogsError::LimitExceeded {
                    message: "Resource limit exceeded.".into(),
                }
                .into());
            }
            g.metric_filter_count += 1;
            txn.put(&svc.log_groups, &group_key, &g)?;
        }
        txn.put(&svc.metric_filters, &key, &record)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({}))
}

fn describe_one(f: &MetricFilter) -> Value {
    json!({
        "filterName": f.name,
        "filterPattern": f.pattern,
        "metricTransformations": f.transformations,
        "creationTime": f.creation_time,
        "logGroupName": f.group,
        "applyOnTransformedLogs": false,
    })
}

pub(crate) fn describe(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName");
    let prefix = str_member(input, "filterNamePrefix");
    let metric_name = str_member(input, "metricName");
    let namespace = str_member(input, "metricNamespace");
    if prefix.is_some() && group.is_none() {
        return Err(invalid(
            "If filterNamePrefix is specified, logGroupName must also be specified (Gureum's wording).",
        ));
    }
    if metric_name.is_some() != namespace.is_some() {
        return Err(invalid(
            "metricName and metricNamespace must be specified together (Gureum's wording).",
        ));
    }
    if let Some(g) = group {
        crate::load_group(svc, ctx, g)?;
    }
    let request = PageRequest::new(
        input.get("limit").and_then(Value::as_i64),
        str_member(input, "nextToken"),
        (1, 50),
        50,
    )
    .map_err(|e| match e {
        PagingError::SizeOutOfRange { given, .. } => AwsError::validation(format!(
            "1 validation error detected: Value '{given}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50"
        )),
        PagingError::BadToken(_) => invalid("The specified nextToken is invalid."),
    })?;
    let scan = match group {
        Some(g) => format!("{}{}", filter_key(ctx, g, ""), prefix.unwrap_or_default()),
        None => Scope::regional(ctx).prefix(),
    };
    let page = paging::page(
        &svc.metric_filters,
        &scan,
        &request,
        |_, f: MetricFilter| {
            let keep = metric_name.is_none_or(|m| {
                f.transformations.iter().any(|t| {
                    str_member(t, "metricName") == Some(m)
                        && str_member(t, "metricNamespace") == namespace
                })
            });
            keep.then(|| describe_one(&f))
        },
    )?;
    let mut out = json!({ "metricFilters": page.items });
    if let Some(t) = page.next_token {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub(crate) fn delete(svc: &LogsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let group = str_member(input, "logGroupName").unwrap_or_default();
    let name = str_member(input, "filterName").unwrap_or_default();
    let group_key = Scope::regional(ctx).key(group);
    let key = filter_key(ctx, group, name);
    svc.store.write(|txn| {
        let mut g = txn
            .get(&svc.log_groups, &group_key)?
            .ok_or(AwsError::from(LogsError::LogGroupNotFound))?;
        if !txn.delete(&svc.metric_filters, &key)? {
            return Err(LogsError::MetricFilterNotFound.into());
        }
        g.metric_filter_count = (g.metric_filter_count - 1).max(0);
        txn.put(&svc.log_groups, &group_key, &g)?;
        Ok::<_, AwsError>(())
    })?;
    Ok(json!({}))
}

pub(crate) fn test(input: &Value) -> OpResult {
    let pattern = parse_pattern(str_member(input, "filterPattern").unwrap_or_default())?;
    let messages = input
        .get("logEventMessages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut matches = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let message = m.as_str().unwrap_or_default();
        if let Some(values) = pattern.extract(message) {
            let extracted: serde_json::Map<String, Value> =
                values.into_iter().map(|(k, v)| (k, json!(v))).collect();
            matches.push(json!({
                "eventNumber": i + 1,
                "eventMessage": message,
                "extractedValues": extracted,
            }));
        }
    }
    Ok(json!({ "matches": matches }))
}

fn filters_of(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
) -> Result<Vec<MetricFilter>, AwsError> {
    let mut out = Vec::new();
    svc.metric_filters
        .visit_prefix(&filter_key(ctx, group, ""), None, |_, f| {
            out.push(f);
            ControlFlow::Continue(())
        })?;
    Ok(out)
}

fn unit_of(t: &Value) -> &'static str {
    let u = str_member(t, "unit").unwrap_or("None");
    gureum_kit::metrics::STANDARD_UNITS
        .iter()
        .find(|x| **x == u)
        .copied()
        .unwrap_or("None")
}

/// The datapoints `filters` make of `events` (stored at `now`).
pub(crate) fn datapoints(
    filters: &[MetricFilter],
    events: &[StoredEvent],
    now: i64,
) -> Vec<Datapoint> {
    let mut points = Vec::new();
    for f in filters {
        let Ok(pattern) = Pattern::parse(&f.pattern) else {
            continue;
        };
        for t in &f.transformations {
            let namespace = str_member(t, "metricNamespace").unwrap_or_default();
            let name = str_member(t, "metricName").unwrap_or_default();
            let value_sel = str_member(t, "metricValue").unwrap_or("1");
            let dims: Vec<(String, String)> = t
                .get("dimensions")
                .and_then(Value::as_object)
                .map(|d| {
                    d.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let mut matched = false;
            for e in events {
                if !pattern.matches(&e.message) {
                    continue;
                }
                matched = true;
                let Some(value) = pattern
                    .value_of(&e.message, value_sel)
                    .and_then(|v| v.parse::<f64>().ok())
                else {
                    continue;
                };
                let dimensions: Option<Vec<(String, String)>> = dims
                    .iter()
                    .map(|(k, sel)| pattern.value_of(&e.message, sel).map(|v| (k.clone(), v)))
                    .collect();
                let Some(dimensions) = dimensions else {
                    continue;
                };
                points.push(Datapoint {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    dimensions,
                    value,
                    unit: unit_of(t),
                    timestamp_ms: e.timestamp,
                });
            }
            if !matched && !events.is_empty() {
                if let Some(default) = t.get("defaultValue").and_then(Value::as_f64) {
                    points.push(Datapoint {
                        namespace: namespace.to_string(),
                        name: name.to_string(),
                        dimensions: Vec::new(),
                        value: default,
                        unit: unit_of(t),
                        timestamp_ms: now,
                    });
                }
            }
        }
    }
    points
}

/// Emits what `group`'s metric filters make of `events`.
pub(crate) fn emit(
    svc: &LogsService,
    ctx: &RequestContext,
    group: &str,
    events: &[StoredEvent],
) -> Result<(), AwsError> {
    let filters = filters_of(svc, ctx, group)?;
    if filters.is_empty() {
        return Ok(());
    }
    let points = datapoints(&filters, events, ctx.clock.now_millis());
    if !points.is_empty() {
        svc.metrics.put(Scope::regional(ctx), points);
    }
    Ok(())
}
