//! `PutMetricData`, `ListMetrics` and `GetMetricStatistics`.

use crate::errors::{combination, invalid, missing};
use crate::stats::{self, Agg, Stat};
use crate::store::{self, unit_index, MetricId, MetricRecord, Point, Sample, UNITS};
use crate::{CloudWatchError, CloudWatchService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::{json, Map};
use std::collections::{BTreeMap, HashMap};

/// Two weeks: the oldest timestamp `PutMetricData` accepts.
const TWO_WEEKS_MS: i64 = 14 * 86_400_000;
/// Two hours: the furthest into the future it accepts.
const TWO_HOURS_MS: i64 = 2 * 3_600_000;
/// The most metrics one request may carry.
const MAX_METRICS: usize = 1000;
/// The most values one datum may carry.
const MAX_VALUES: usize = 150;
/// The most datapoints `GetMetricStatistics` returns.
pub(crate) const MAX_DATAPOINTS: i64 = 1440;
/// CloudWatch's bounds on values: ±2^360.
const VALUE_LIMIT: f64 = 2.348_542_582_773_833_2e108;
/// A descriptor's `last_put_ms` is rewritten at most this often.
const TOUCH_MS: i64 = 60_000;

/// A timestamp member as epoch milliseconds.
pub(crate) fn time_ms(v: &Value, member: &str) -> Option<i64> {
    v.get(member)
        .and_then(Value::as_f64)
        .map(|s| (s * 1000.0).round() as i64)
}

/// A timestamp as the protocol layer writes it (epoch seconds).
pub(crate) fn wire_time(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// `Dimensions` as name/value pairs.
pub(crate) fn dimensions(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d.get("Name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        d.get("Value")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `Dimensions` as the wire writes them.
pub(crate) fn dimensions_view(dims: &[(String, String)]) -> Value {
    Value::Array(
        dims.iter()
            .map(|(n, v)| json!({"Name": n, "Value": v}))
            .collect(),
    )
}

/// A `Metric` structure.
pub(crate) fn metric_view(id: &MetricId) -> Value {
    json!({
        "Namespace": id.namespace,
        "MetricName": id.name,
        "Dimensions": dimensions_view(&id.dims),
    })
}

fn check_value(v: f64, member: &str) -> Result<f64, AwsError> {
    if !v.is_finite() || v.abs() > VALUE_LIMIT || (v != 0.0 && v.abs() < 1.0 / VALUE_LIMIT) {
        return Err(invalid(format!(
            "The value {v} for parameter {member} is invalid."
        )));
    }
    Ok(v)
}

/// One `MetricDatum` checked and turned into its metric and point.
fn datum(
    ns: &str,
    d: &Value,
    list: &str,
    n: usize,
    now: i64,
) -> Result<(MetricId, Point), AwsError> {
    let m = format!("{list}.member.{n}");
    let name = d
        .get("MetricName")
        .and_then(Value::as_str)
        .ok_or_else(|| missing(&format!("{m}.MetricName")))?;
    let dims = dimensions(d.get("Dimensions"));
    if dims.len() > 30 {
        return Err(invalid(format!(
            "The collection {m}.Dimensions must not have a size greater than 30."
        )));
    }
    for (i, (dn, dv)) in dims.iter().enumerate() {
        if dn.is_empty() {
            return Err(missing(&format!("{m}.Dimensions.member.{}.Name", i + 1)));
        }
        if dv.is_empty() {
            return Err(missing(&format!("{m}.Dimensions.member.{}.Value", i + 1)));
        }
        if dims[..i].iter().any(|(o, _)| o == dn) {
            return Err(invalid(format!(
                "No metric may have duplicate dimension names: {m}.Dimensions has {dn} more than once."
            )));
        }
    }
    let value = d.get("Value").and_then(Value::as_f64);
    let stats = d.get("StatisticValues");
    let values = d.get("Values").and_then(Value::as_array);
    let counts = d.get("Counts").and_then(Value::as_array);
    if value.is_some() && stats.is_some() {
        return Err(combination(format!(
            "The parameters {m}.Value and {m}.StatisticValues are mutually exclusive and you have specified both."
        )));
    }
    if values.is_some() && (value.is_some() || stats.is_some()) {
        let other = if value.is_some() {
            "Value"
        } else {
            "StatisticValues"
        };
        return Err(combination(format!(
            "The parameters {m}.Values and {m}.{other} are mutually exclusive and you have specified both."
        )));
    }
    if counts.is_some() && values.is_none() {
        return Err(combination(format!(
            "The parameter {m}.Counts must be specified with {m}.Values."
        )));
    }
    let sample = if let Some(v) = value {
        Sample::One(check_value(v, &format!("{m}.Value"))?)
    } else if let Some(s) = stats {
        let get = |k: &str| -> Result<f64, AwsError> {
            let v = s
                .get(k)
                .and_then(Value::as_f64)
                .ok_or_else(|| missing(&format!("{m}.StatisticValues.{k}")))?;
            check_value(v, &format!("{m}.StatisticValues.{k}"))
        };
        let (count, sum, min, max) = (
            get("SampleCount")?,
            get("Sum")?,
            get("Minimum")?,
            get("Maximum")?,
        );
        if count <= 0.0 {
            return Err(invalid(format!(
                "The value {count} for parameter {m}.StatisticValues.SampleCount is invalid."
            )));
        }
        if min > max {
            return Err(invalid(format!(
                "The parameter {m}.StatisticValues.Maximum must be greater than {m}.StatisticValues.Minimum."
            )));
        }
        Sample::Set {
            count,
            sum,
            min,
            max,
        }
    } else if let Some(vs) = values {
        if vs.len() > MAX_VALUES {
            return Err(invalid(format!(
                "The collection {m}.Values must not have a size greater than {MAX_VALUES}."
            )));
        }
        if let Some(cs) = counts {
            if cs.len() != vs.len() {
                return Err(invalid(format!(
                    "The parameters {m}.Values and {m}.Counts must be of the same size."
                )));
            }
        }
        let mut out = Vec::with_capacity(vs.len());
        for (i, v) in vs.iter().enumerate() {
            let v = check_value(
                v.as_f64().unwrap_or(f64::NAN),
                &format!("{m}.Values.member.{}", i + 1),
            )?;
            let c = counts
                .and_then(|cs| cs.get(i))
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            if c < 0.0 {
                return Err(invalid(format!(
                    "The value {c} for parameter {m}.Counts.member.{} is invalid.",
                    i + 1
                )));
            }
            out.push((v, c));
        }
        if out.is_empty() {
            return Err(missing(&format!("{m}.Values")));
        }
        Sample::Many(out)
    } else {
        return Err(combination(format!(
            "At least one of the parameters {m}.Value, {m}.StatisticValues or {m}.Values must be specified."
        )));
    };
    let ts_ms = time_ms(d, "Timestamp").unwrap_or(now);
    if ts_ms < now - TWO_WEEKS_MS {
        return Err(invalid(format!(
            "The parameter {m}.Timestamp must specify a time within the past two weeks."
        )));
    }
    if ts_ms > now + TWO_HOURS_MS {
        return Err(invalid(format!(
            "The parameter {m}.Timestamp must specify a time no more than two hours in the future."
        )));
    }
    let unit = match d.get("Unit").and_then(Value::as_str) {
        None => 0,
        Some(u) => unit_index(u)
            .ok_or_else(|| invalid(format!("The value {u} for parameter {m}.Unit is invalid.")))?,
    };
    let high_res = match d.get("StorageResolution").and_then(Value::as_i64) {
        None | Some(60) => false,
        Some(1) => true,
        Some(r) => {
            return Err(invalid(format!(
                "The value {r} for parameter {m}.StorageResolution is invalid."
            )))
        }
    };
    Ok((
        MetricId::new(ns, name, dims),
        Point {
            ts_ms,
            unit,
            high_res,
            sample,
        },
    ))
}

/// Writes `batch` in one transaction: each point appended to its hour's
/// chunk, each metric's descriptor created or touched.
pub(crate) fn store_points(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    batch: Vec<(MetricId, Point)>,
    now: i64,
) -> Result<(), AwsError> {
    // Group by chunk so a chunk is read and written once.
    let mut chunks: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut ids: HashMap<String, MetricId> = HashMap::new();
    for (id, p) in batch {
        let series = id.series();
        p.encode_into(
            chunks
                .entry(store::chunk_key(scope, &series, p.ts_ms))
                .or_default(),
        );
        ids.entry(id.key()).or_insert(id);
    }
    svc.store.write(|txn| -> Result<(), AwsError> {
        for (chunk, bytes) in chunks {
            let tail = store::tail_key(&chunk);
            let mut have = txn.get_bytes(&svc.chunks, &tail)?.unwrap_or_default();
            if !have.is_empty() && have.len() + bytes.len() > store::TAIL_BYTES {
                let sealed = format!("{chunk}/s{}", svc.time_key(now));
                txn.put(&svc.chunks, &sealed, &have)?;
                have.clear();
            }
            have.extend_from_slice(&bytes);
            txn.put(&svc.chunks, &tail, &have)?;
        }
        for (k, id) in ids {
            let key = scope.key(&k);
            let fresh = txn
                .get(&svc.metrics, &key)?
                .is_some_and(|r| now - r.last_put_ms < TOUCH_MS);
            if !fresh {
                txn.put(
                    &svc.metrics,
                    &key,
                    &MetricRecord {
                        id,
                        last_put_ms: now,
                    },
                )?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// `PutMetricData`.
pub(crate) fn put_metric_data(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ns = input
        .get("Namespace")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("Namespace"))?;
    if ns.starts_with("AWS/") {
        return Err(invalid(format!(
            "The value {ns} for parameter Namespace is invalid."
        )));
    }
    let data = input
        .get("MetricData")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Metrics with entities count toward the same limit; Gureum keeps the
    // metrics (entities are not modelled, so `StrictEntityValidation` has
    // nothing to refuse).
    let _strict = input.get("StrictEntityValidation").and_then(Value::as_bool);
    let entity: Vec<&[Value]> = input
        .get("EntityMetricData")
        .and_then(Value::as_array)
        .map(|es| {
            es.iter()
                .map(|e| {
                    e.get("MetricData")
                        .and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    let total = data.len() + entity.iter().map(|d| d.len()).sum::<usize>();
    if total == 0 {
        return Err(missing("MetricData"));
    }
    if total > MAX_METRICS {
        return Err(invalid(format!(
            "The collection MetricData must not have a size greater than {MAX_METRICS}."
        )));
    }
    let now = ctx.clock.now_millis();
    let mut batch = data
        .iter()
        .enumerate()
        .map(|(i, d)| datum(ns, d, "MetricData", i + 1, now))
        .collect::<Result<Vec<_>, _>>()?;
    for (e, list) in entity.iter().enumerate() {
        let member = format!("EntityMetricData.member.{}.MetricData", e + 1);
        for (i, d) in list.iter().enumerate() {
            batch.push(datum(ns, d, &member, i + 1, now)?);
        }
    }
    store_points(svc, Scope::regional(ctx), batch, now)?;
    Ok(json!({}))
}

/// `ListMetrics`: the region's metrics in key order (namespace, name,
/// dimensions), 500 a page.
pub(crate) fn list_metrics(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ns = input.get("Namespace").and_then(Value::as_str);
    let name = input.get("MetricName").and_then(Value::as_str);
    let filters: Vec<(String, Option<String>)> = input
        .get("Dimensions")
        .and_then(Value::as_array)
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d.get("Name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        d.get("Value").and_then(Value::as_str).map(String::from),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let recent = match input.get("RecentlyActive").and_then(Value::as_str) {
        None => None,
        Some("PT3H") => Some(ctx.clock.now_millis() - stats::THREE_HOURS_MS),
        Some(v) => {
            return Err(invalid(format!(
                "The value {v} for parameter RecentlyActive is invalid."
            )))
        }
    };
    let owning = input.get("IncludeLinkedAccounts").and_then(Value::as_bool) == Some(true);
    // No account here is a monitoring account: another owner has no metrics.
    if input
        .get("OwningAccount")
        .and_then(Value::as_str)
        .is_some_and(|a| a != ctx.account_id)
    {
        return Ok(json!({ "Metrics": [] }));
    }
    let scope = Scope::regional(ctx);
    let mut prefix = scope.prefix();
    if let Some(ns) = ns {
        prefix.push_str(ns);
        prefix.push('\u{1f}');
        if let Some(name) = name {
            prefix.push_str(name);
            prefix.push('\u{1f}');
        }
    }
    let token = input.get("NextToken").and_then(Value::as_str);
    let request = PageRequest::new(None, token, (1, 500), 500).map_err(CloudWatchError::from)?;
    // Tokens are relative to the scope, whatever the filter prefix.
    let base = scope.prefix();
    let after = request.after.as_ref().map(|a| format!("{base}{a}"));
    let mut items = Vec::new();
    let mut last = String::new();
    let mut more = false;
    svc.metrics
        .visit_prefix(&prefix, after.as_deref(), |key, r: MetricRecord| {
            if items.len() == request.limit {
                more = true;
                return std::ops::ControlFlow::Break(());
            }
            let keep = name.is_none_or(|n| r.id.name == n)
                && recent.is_none_or(|t| r.last_put_ms >= t)
                && filters.iter().all(|(fname, fval)| {
                    r.id.dims
                        .iter()
                        .any(|(n, v)| n == fname && fval.as_deref().is_none_or(|fv| fv == v))
                });
            if keep {
                items.push(metric_view(&r.id));
                last = key[base.len()..].to_string();
            }
            std::ops::ControlFlow::Continue(())
        })?;
    let mut out = Map::new();
    out.insert("Metrics".into(), Value::Array(items.clone()));
    if owning {
        out.insert(
            "OwningAccounts".into(),
            Value::Array(items.iter().map(|_| json!(ctx.account_id)).collect()),
        );
    }
    if more {
        out.insert("NextToken".into(), json!(paging::encode_token(&last)));
    }
    Ok(Value::Object(out))
}

/// A read: `[start_ms, end_ms)` in periods of `period_s` from the start.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
    pub period_s: i64,
}

/// Reads one metric's points in the window and aggregates them per period
/// (only points of `unit` when given; raw values kept when `keep_values`).
pub(crate) fn read_buckets(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    id: &MetricId,
    w: Window,
    unit: Option<u8>,
    keep_values: bool,
) -> Result<BTreeMap<i64, Agg>, AwsError> {
    let period_ms = w.period_s * 1000;
    let start_ms = w.start_ms;
    let mut out: BTreeMap<i64, Agg> = BTreeMap::new();
    store::read_points(&svc.chunks, scope, &id.series(), start_ms, w.end_ms, |p| {
        if unit.is_some_and(|u| u != p.unit) {
            return;
        }
        let b = start_ms + (p.ts_ms - start_ms).div_euclid(period_ms) * period_ms;
        out.entry(b)
            .or_insert_with(|| Agg::new(keep_values))
            .add(&p);
    })?;
    Ok(out)
}

/// The checks on a period every read makes.
pub(crate) fn check_period(period: i64, member: &str) -> Result<(), AwsError> {
    if period <= 0 {
        return Err(invalid(format!(
            "The parameter {member} must be greater than 0."
        )));
    }
    if period >= 60 && period % 60 != 0 || period < 60 && ![1, 5, 10, 20, 30].contains(&period) {
        return Err(invalid(format!(
            "The parameter {member} must be a multiple of 60."
        )));
    }
    Ok(())
}

/// `GetMetricStatistics`.
pub(crate) fn get_metric_statistics(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let ns = input
        .get("Namespace")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("Namespace"))?;
    let name = input
        .get("MetricName")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("MetricName"))?;
    let start = time_ms(input, "StartTime").ok_or_else(|| missing("StartTime"))?;
    let end = time_ms(input, "EndTime").ok_or_else(|| missing("EndTime"))?;
    let period = input
        .get("Period")
        .and_then(Value::as_i64)
        .ok_or_else(|| missing("Period"))?;
    let standard: Vec<&str> = input
        .get("Statistics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let extended: Vec<&str> = input
        .get("ExtendedStatistics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if standard.is_empty() && extended.is_empty() {
        return Err(combination(
            "Must specify either Statistics or ExtendedStatistics, but not both.",
        ));
    }
    if !standard.is_empty() && !extended.is_empty() {
        return Err(combination(
            "Must specify either Statistics or ExtendedStatistics, but not both.",
        ));
    }
    let mut stats_wanted: Vec<(String, Stat, bool)> = Vec::new();
    for s in &standard {
        let st = Stat::standard(s).ok_or_else(|| {
            invalid(format!(
                "The value {s} for parameter Statistics is invalid."
            ))
        })?;
        stats_wanted.push((s.to_string(), st, false));
    }
    for (i, s) in extended.iter().enumerate() {
        let st = Stat::extended(s).ok_or_else(|| {
            invalid(format!(
                "The value {s} for parameter ExtendedStatistics.member.{} is invalid.",
                i + 1
            ))
        })?;
        stats_wanted.push((s.to_string(), st, true));
    }
    check_period(period, "Period")?;
    if start >= end {
        return Err(invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    let now = ctx.clock.now_millis();
    let aligned = stats::align_start(start, now, period);
    let requested = (end - aligned + period * 1000 - 1) / (period * 1000);
    if requested > MAX_DATAPOINTS {
        return Err(combination(format!(
            "You have requested up to {} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
            group_thousands(requested)
        )));
    }
    let unit_name = input.get("Unit").and_then(Value::as_str);
    let unit = match unit_name {
        None => None,
        Some(u) => Some(
            unit_index(u)
                .ok_or_else(|| invalid(format!("The value {u} for parameter Unit is invalid.")))?,
        ),
    };
    let id = MetricId::new(ns, name, dimensions(input.get("Dimensions")));
    let mut datapoints = Vec::new();
    if stats::period_serves(start, now, period) {
        let start_eff = aligned.max(now - stats::RETENTION_MS);
        let raw = stats_wanted.iter().any(|(_, st, _)| st.needs_values());
        let window = Window {
            start_ms: aligned,
            end_ms: end,
            period_s: period,
        };
        let buckets = read_buckets(svc, Scope::regional(ctx), &id, window, unit, raw)?;
        for (ts, mut agg) in buckets {
            if ts < start_eff {
                continue;
            }
            let mut dp = Map::new();
            dp.insert("Timestamp".into(), wire_time(ts));
            let mut ext = Map::new();
            for (name, st, is_ext) in &stats_wanted {
                if let Some(v) = agg.stat(st) {
                    if *is_ext {
                        ext.insert(name.clone(), json!(v));
                    } else {
                        dp.insert(name.clone(), json!(v));
                    }
                }
            }
            if !ext.is_empty() {
                dp.insert("ExtendedStatistics".into(), Value::Object(ext));
            }
            dp.insert(
                "Unit".into(),
                json!(unit_name.unwrap_or(UNITS[agg.unit as usize % UNITS.len()])),
            );
            datapoints.push(Value::Object(dp));
        }
    }
    Ok(json!({ "Label": name, "Datapoints": datapoints }))
}

/// `1441` → `1,441`.
fn group_thousands(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
