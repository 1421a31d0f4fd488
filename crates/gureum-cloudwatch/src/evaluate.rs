//! The alarm engine, on Gureum's clock.
//!
//! The server's ticker (every second) and every CloudWatch request call
//! [`evaluate_due`]; it does work only when the clock crossed a
//! ten-second boundary since the last pass, and then evaluates each metric
//! alarm whose evaluation interval (its period, at most a minute: AWS
//! evaluates every minute) ended meanwhile, then every composite alarm,
//! until composite states settle.
//!
//! A metric alarm looks at its last `EvaluationPeriods` complete periods:
//! with `DatapointsToAlarm` (M) of them breaching it goes to `ALARM`,
//! otherwise `OK`. Missing periods follow `TreatMissingData`: `missing`
//! and `ignore` leave them out (all missing: `INSUFFICIENT_DATA`, or the
//! current state kept for `ignore`), `breaching` and `notBreaching` count
//! them as such. A change of state writes the alarm and a history entry,
//! publishes a "CloudWatch Alarm State Change" event and runs the new
//! state's actions through the [`crate::AlarmActions`] seam.

use crate::actions::AlarmNotice;
use crate::composite;
use crate::metrics::{dimensions, read_buckets, Window};
use crate::query;
use crate::stats::Stat;
use crate::store::{unit_index, MetricId};
use crate::{Alarm, CloudWatchService, HistoryItem};
use gureum_core::{AwsError, Scope, Value};
use serde_json::{json, Map};
use std::sync::atomic::Ordering;

/// How often (clock time) a pass may run.
const TICK_MS: i64 = 10_000;

/// A state an evaluation reached.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Outcome {
    pub state: String,
    pub reason: String,
    pub data: Option<String>,
}

/// `2026-07-12T15:00:00.000+0000`, as alarm reason data writes times.
pub(crate) fn iso(ms: i64) -> String {
    let s = gureum_core::timestamp::format_iso8601(ms);
    format!("{}+0000", s.trim_end_matches('Z'))
}

/// `12/07/26 15:00:00`, as a reason's datapoints show their times.
fn reason_time(ms: i64) -> String {
    let s = gureum_core::timestamp::format_iso8601_seconds(ms);
    // yyyy-mm-ddThh:mm:ssZ
    format!("{}/{}/{} {}", &s[8..10], &s[5..7], &s[2..4], &s[11..19])
}

/// A number as Java prints a double (`5.0`, `0.25`, `1.0E7`), the way
/// CloudWatch's reasons write them.
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    let a = v.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{v:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The words of a comparison operator in a reason.
fn op_words(op: &str) -> &'static str {
    match op {
        "GreaterThanOrEqualToThreshold" => "greater than or equal to",
        "GreaterThanThreshold" => "greater than",
        "LessThanThreshold" => "less than",
        "LessThanOrEqualToThreshold" => "less than or equal to",
        _ => "outside the band of",
    }
}

fn breaches(op: &str, v: f64, t: f64) -> bool {
    match op {
        "GreaterThanOrEqualToThreshold" => v >= t,
        "GreaterThanThreshold" => v > t,
        "LessThanThreshold" => v < t,
        "LessThanOrEqualToThreshold" => v <= t,
        _ => false,
    }
}

/// One period's value: its start, the statistic's value and the samples.
type Slot = (i64, Option<(f64, f64)>);

/// An anomaly band per period start: (lower, upper).
type Bands = std::collections::HashMap<i64, (f64, f64)>;

/// The alarm's last `n` complete periods before `now`, oldest first.
fn slots(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    a: &Alarm,
    now: i64,
    bands: &mut Bands,
) -> Result<Option<(Vec<Slot>, i64, i64)>, AwsError> {
    let n = a
        .cfg("EvaluationPeriods")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(1);
    if let Some(metrics) = a.cfg("Metrics").and_then(Value::as_array) {
        let Ok(queries) = query::parse_queries(metrics, "Metrics") else {
            return Ok(None);
        };
        let period = queries
            .iter()
            .filter(|q| q.period > 0)
            .map(|q| q.period)
            .min()
            .unwrap_or(60);
        let p = period * 1000;
        let end = now.div_euclid(p) * p;
        let start = end - n * p;
        // An anomaly band is trained over the last day, not just the
        // periods evaluated.
        let query_start = if a.cfg("ThresholdMetricId").is_some() {
            end - n.max((86_400_000 / p).min(1440)) * p
        } else {
            start
        };
        let answers = query::run(svc, scope, &queries, query_start, end)?;
        let tid = a.cfg_str("ThresholdMetricId");
        let Some(ans) = answers
            .iter()
            .find(|x| x.return_data && Some(x.id.as_str()) != tid)
        else {
            return Ok(None);
        };
        if let Some(tid) = a.cfg_str("ThresholdMetricId") {
            let band: Vec<&query::Answer> = answers.iter().filter(|x| x.id == tid).collect();
            if let [lo, hi] = band.as_slice() {
                for (t, l) in &lo.points {
                    if let Some((_, h)) = hi.points.iter().find(|(ht, _)| ht == t) {
                        bands.insert(*t, (*l, *h));
                    }
                }
            }
        }
        let out = (0..n)
            .map(|i| {
                let t = start + i * p;
                let v = ans
                    .points
                    .iter()
                    .find(|(pt, _)| *pt == t)
                    .map(|(_, v)| (*v, 1.0));
                (t, v)
            })
            .collect();
        return Ok(Some((out, start, period)));
    }
    let period = a.cfg("Period").and_then(Value::as_i64).unwrap_or(60).max(1);
    let p = period * 1000;
    let end = now.div_euclid(p) * p;
    let start = end - n * p;
    let id = MetricId::new(
        a.cfg_str("Namespace").unwrap_or_default(),
        a.cfg_str("MetricName").unwrap_or_default(),
        dimensions(a.cfg("Dimensions")),
    );
    let stat = a
        .cfg_str("Statistic")
        .or_else(|| a.cfg_str("ExtendedStatistic"))
        .and_then(Stat::parse)
        .unwrap_or(Stat::Average);
    let unit = a.cfg_str("Unit").and_then(unit_index);
    let window = Window {
        start_ms: start,
        end_ms: end,
        period_s: period,
    };
    let mut buckets = read_buckets(svc, scope, &id, window, unit, stat.needs_values())?;
    let out = (0..n)
        .map(|i| {
            let t = start + i * p;
            let v = buckets
                .get_mut(&t)
                .and_then(|agg| agg.stat(&stat).map(|v| (v, agg.count)));
            (t, v)
        })
        .collect();
    Ok(Some((out, start, period)))
}

/// Evaluates metric alarm `a` at `now`: the state it should be in
/// (`None`: keep the current one).
pub(crate) fn evaluate_metric(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    a: &Alarm,
    now: i64,
) -> Result<Option<Outcome>, AwsError> {
    let op = a
        .cfg_str("ComparisonOperator")
        .unwrap_or("GreaterThanThreshold");
    let anomaly = a.cfg("ThresholdMetricId").is_some();
    let threshold = match a.cfg("Threshold").and_then(Value::as_f64) {
        Some(t) => t,
        None if anomaly => f64::NAN,
        None => return Ok(None),
    };
    let mut bands = Bands::new();
    let Some((slots, start, period)) = slots(svc, scope, a, now, &mut bands)? else {
        return Ok(None);
    };
    let breaches = |t: i64, v: f64| -> bool {
        if !anomaly {
            return breaches(op, v, threshold);
        }
        bands.get(&t).is_some_and(|(lo, hi)| match op {
            "LessThanLowerThreshold" => v < *lo,
            "GreaterThanUpperThreshold" => v > *hi,
            _ => v < *lo || v > *hi,
        })
    };
    let n = slots.len();
    let m = a
        .cfg("DatapointsToAlarm")
        .and_then(Value::as_i64)
        .map_or(n, |m| (m.max(1) as usize).min(n));
    let tmd = a.cfg_str("TreatMissingData").unwrap_or("missing");
    let present: Vec<(i64, f64, f64)> = slots
        .iter()
        .filter_map(|(t, v)| v.map(|(v, c)| (*t, v, c)))
        .collect();
    let mut data = Map::new();
    data.insert("version".into(), json!("1.0"));
    data.insert("queryDate".into(), json!(iso(now)));
    data.insert("startDate".into(), json!(iso(start)));
    if a.cfg("Metrics").is_none() {
        if let Some(s) = a.cfg_str("Statistic") {
            data.insert("statistic".into(), json!(s));
        } else if let Some(s) = a.cfg_str("ExtendedStatistic") {
            data.insert("extendedStatistic".into(), json!(s));
        }
        if let Some(u) = a.cfg_str("Unit") {
            data.insert("unit".into(), json!(u));
        }
    }
    data.insert("period".into(), json!(period));
    data.insert(
        "recentDatapoints".into(),
        json!(present.iter().map(|p| p.1).collect::<Vec<_>>()),
    );
    data.insert("threshold".into(), json!(threshold));
    let thr = java_double(threshold);
    let words = op_words(op);
    if present.is_empty() {
        let missing_points = plural(n, "missing datapoint", "missing datapoints");
        let verb = if n == 1 { "was" } else { "were" };
        let evaluated: Vec<Value> = slots
            .iter()
            .rev()
            .map(|(t, _)| json!({"timestamp": iso(*t)}))
            .collect();
        data.insert("evaluatedDatapoints".into(), Value::Array(evaluated));
        let data = Some(Value::Object(data).to_string());
        let periods = plural(n, "period", "periods");
        return Ok(match tmd {
            "ignore" => None,
            "breaching" => Some(Outcome {
                state: "ALARM".into(),
                reason: format!(
                    "Threshold Crossed: no datapoints were received for {periods} and {missing_points} {verb} treated as [Breaching]."
                ),
                data,
            }),
            "notBreaching" => Some(Outcome {
                state: "OK".into(),
                reason: format!(
                    "Threshold Crossed: no datapoints were received for {periods} and {missing_points} {verb} treated as [NonBreaching]."
                ),
                data,
            }),
            _ => Some(Outcome {
                state: "INSUFFICIENT_DATA".into(),
                reason: format!(
                    "Insufficient Data: {} {verb} unknown.",
                    plural(n, "datapoint", "datapoints")
                ),
                data,
            }),
        });
    }
    // Newest first, as reasons list them.
    let mut considered: Vec<(i64, Option<f64>, bool)> = Vec::new();
    for (t, v) in slots.iter().rev() {
        match v {
            Some((v, _)) => considered.push((*t, Some(*v), breaches(*t, *v))),
            None if tmd == "breaching" => considered.push((*t, None, true)),
            None if tmd == "notBreaching" => considered.push((*t, None, false)),
            None => {}
        }
    }
    let breaching = considered.iter().filter(|c| c.2).count();
    // AWS also alarms when the oldest breaching datapoint is at least M
    // periods old and every more recent one is breaching or missing
    // (`- - X - -` with M = 3 alarms even though missing data is missing).
    let lagging = slots
        .iter()
        .rev()
        .enumerate()
        .filter(|(_, (t, v))| v.is_some_and(|(v, _)| breaches(*t, v)))
        .map(|(age, _)| age + 1)
        .max()
        .is_some_and(|oldest| {
            oldest >= m
                && slots
                    .iter()
                    .rev()
                    .take(oldest)
                    .all(|(t, v)| v.is_none_or(|(v, _)| breaches(*t, v)))
        });
    let alarm = breaching >= m || lagging;
    let shown: Vec<String> = considered
        .iter()
        .filter(|c| c.2 == alarm)
        .filter_map(|(t, v, _)| v.map(|v| format!("{} ({})", java_double(v), reason_time(*t))))
        .collect();
    let count = considered.iter().filter(|c| c.2 == alarm).count();
    let not = if alarm { "" } else { "not " };
    // An anomaly alarm names the band of its newest period instead.
    let (words, thr) = if anomaly {
        let newest = slots.last().and_then(|(t, _)| bands.get(t));
        let band = newest.map_or_else(String::new, |(lo, hi)| {
            format!("{}, {}", java_double(*lo), java_double(*hi))
        });
        ("outside", format!("band [{band}]"))
    } else {
        (words, format!("threshold ({thr})"))
    };
    let reason = if n == 1 {
        format!(
            "Threshold Crossed: 1 datapoint [{}] was {not}{words} the {thr}.",
            shown.join(", ")
        )
    } else {
        let (need, transition) = if alarm {
            (m, "OK -> ALARM")
        } else {
            (n - m + 1, "ALARM -> OK")
        };
        format!(
            "Threshold Crossed: {count} out of the last {n} datapoints [{}] were {not}{words} the {thr} (minimum {} for {transition} transition).",
            shown.join(", "),
            plural(need, "datapoint", "datapoints")
        )
    };
    let evaluated: Vec<Value> = slots
        .iter()
        .rev()
        .map(|(t, v)| match v {
            Some((v, c)) => json!({"timestamp": iso(*t), "sampleCount": c, "value": v}),
            None => json!({"timestamp": iso(*t)}),
        })
        .collect();
    data.insert("evaluatedDatapoints".into(), Value::Array(evaluated));
    Ok(Some(Outcome {
        state: if alarm { "ALARM" } else { "OK" }.into(),
        reason,
        data: Some(Value::Object(data).to_string()),
    }))
}

/// Evaluates composite alarm `a` against the other alarms' states.
pub(crate) fn evaluate_composite(
    a: &Alarm,
    all: &std::collections::HashMap<String, Alarm>,
    scope: Scope<'_>,
) -> Option<Outcome> {
    let rule = composite::parse(a.cfg_str("AlarmRule")?).ok()?;
    let state_of = |r: &str| all.get(composite::child_name(r)).map(|c| c.state.clone());
    let holds = rule.eval(&state_of);
    let state = if holds { "ALARM" } else { "OK" };
    let mut children = Vec::new();
    rule.children(&mut children);
    // The child that changed last explains the composite's state.
    let trigger = children
        .iter()
        .filter_map(|c| all.get(composite::child_name(c)))
        .max_by_key(|c| c.transitioned_ms);
    let (reason, data) = match trigger {
        Some(c) => {
            let arn = alarm_arn(scope, &c.name);
            (
                format!(
                    "{arn} transitioned to {} at {}",
                    c.state,
                    long_time(c.transitioned_ms)
                ),
                json!({"triggeringAlarms": [{
                    "arn": arn,
                    "state": {"value": c.state, "timestamp": iso(c.transitioned_ms)},
                }]})
                .to_string(),
            )
        }
        None => (
            format!(
                "The alarm rule evaluated to {}",
                if holds { "TRUE" } else { "FALSE" }
            ),
            json!({"triggeringAlarms": []}).to_string(),
        ),
    };
    Some(Outcome {
        state: state.into(),
        reason,
        data: Some(data),
    })
}

/// `Friday 12 June, 2020 20:48:00 UTC`.
fn long_time(ms: i64) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let days = ms.div_euclid(86_400_000);
    let (y, m, d) = gureum_core::timestamp::civil_from_days(days);
    let s = gureum_core::timestamp::format_iso8601_seconds(ms);
    format!(
        "{} {:02} {}, {y} {} UTC",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m as usize).saturating_sub(1) % 12],
        &s[11..19]
    )
}

/// An alarm's ARN.
pub(crate) fn alarm_arn(scope: Scope<'_>, name: &str) -> String {
    format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        scope.region().unwrap_or_default(),
        scope.account()
    )
}

/// The scope of a stored key (`account/region/…`).
pub(crate) fn scope_of(key: &str) -> Option<Scope<'_>> {
    let mut parts = key.splitn(3, '/');
    Some(Scope::Region {
        account: parts.next()?,
        region: parts.next()?,
    })
}

/// Moves `name` to `outcome` (when that changes its state): stores it with
/// a history entry, publishes the event and runs the actions.
pub(crate) fn apply(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    name: &str,
    outcome: Outcome,
    now: i64,
    force: bool,
) -> Result<bool, AwsError> {
    let key = scope.key(name);
    let changed = svc
        .store
        .write(|txn| -> Result<Option<(Alarm, String, String)>, AwsError> {
            let Some(mut a) = txn.get(&svc.alarms, &key)? else {
                return Ok(None);
            };
            if a.state == outcome.state && !force {
                return Ok(None);
            }
            let old_state = a.state.clone();
            let old_reason = a.reason.clone();
            let transitioned = a.state != outcome.state;
            a.state = outcome.state.clone();
            a.reason = outcome.reason.clone();
            a.reason_data = outcome.data.clone();
            a.state_updated_ms = now;
            if transitioned {
                a.transitioned_ms = now;
            }
            txn.put(&svc.alarms, &key, &a)?;
            let mut new_state = json!({"stateValue": a.state, "stateReason": a.reason});
            if let Some(d) = a
                .reason_data
                .as_deref()
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
            {
                new_state["stateReasonData"] = d;
            }
            let item = HistoryItem {
                alarm_name: a.name.clone(),
                alarm_type: alarm_type(&a).into(),
                kind: "StateUpdate".into(),
                summary: format!("Alarm updated from {old_state} to {}", a.state),
                data: json!({
                    "version": "1.0",
                    "oldState": {"stateValue": old_state, "stateReason": old_reason},
                    "newState": new_state,
                })
                .to_string(),
                time_ms: now,
            };
            txn.put(&svc.history, &scope.key(&svc.time_key(now)), &item)?;
            Ok(transitioned.then_some((a, old_state, old_reason)))
        })?;
    let Some((a, old_state, old_reason)) = changed else {
        return Ok(false);
    };
    publish_event(svc, scope, &a, &old_state, &old_reason, now);
    run_actions(svc, scope, &a, &old_state, now)?;
    Ok(true)
}

/// `MetricAlarm` or `CompositeAlarm`.
pub(crate) fn alarm_type(a: &Alarm) -> &'static str {
    if a.composite {
        "CompositeAlarm"
    } else {
        "MetricAlarm"
    }
}

fn publish_event(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    a: &Alarm,
    old_state: &str,
    old_reason: &str,
    now: i64,
) {
    let arn = alarm_arn(scope, &a.name);
    let mut state = json!({"value": a.state, "reason": a.reason, "timestamp": iso(now)});
    if let Some(d) = &a.reason_data {
        state["reasonData"] = json!(d);
    }
    let mut configuration = Map::new();
    if let Some(d) = a.cfg_str("AlarmDescription") {
        configuration.insert("description".into(), json!(d));
    }
    if a.composite {
        configuration.insert("alarmRule".into(), json!(a.cfg_str("AlarmRule")));
    } else if a.cfg("Metrics").is_none() {
        let dims: Map<String, Value> = dimensions(a.cfg("Dimensions"))
            .into_iter()
            .map(|(k, v)| (k, json!(v)))
            .collect();
        configuration.insert(
            "metrics".into(),
            json!([{
                "id": "m1",
                "metricStat": {
                    "metric": {
                        "namespace": a.cfg_str("Namespace"),
                        "name": a.cfg_str("MetricName"),
                        "dimensions": dims,
                    },
                    "period": a.cfg("Period"),
                    "stat": a.cfg_str("Statistic").or_else(|| a.cfg_str("ExtendedStatistic")),
                },
                "returnData": true,
            }]),
        );
    }
    svc.events.publish(
        scope,
        gureum_kit::service_events::ServiceEvent {
            source: "aws.cloudwatch".into(),
            detail_type: "CloudWatch Alarm State Change".into(),
            resources: vec![arn],
            detail: json!({
                "alarmName": a.name,
                "state": state,
                "previousState": {"value": old_state, "reason": old_reason},
                "configuration": configuration,
            }),
            time_ms: now,
        },
    );
}

/// The message AWS publishes to an SNS topic for a state change.
fn notification(scope: Scope<'_>, a: &Alarm, old_state: &str, now: i64) -> Value {
    let region = scope.region().unwrap_or_default();
    let region_name = gureum_core::region::find(region).map_or(region, |r| r.description);
    let mut m = json!({
        "AlarmName": a.name,
        "AlarmDescription": a.cfg_str("AlarmDescription"),
        "AWSAccountId": scope.account(),
        "AlarmConfigurationUpdatedTimestamp": iso(a.config_updated_ms),
        "NewStateValue": a.state,
        "NewStateReason": a.reason,
        "StateChangeTime": iso(now),
        "Region": region_name,
        "AlarmArn": alarm_arn(scope, &a.name),
        "OldStateValue": old_state,
        "OKActions": a.cfg("OKActions").cloned().unwrap_or_else(|| json!([])),
        "AlarmActions": a.cfg("AlarmActions").cloned().unwrap_or_else(|| json!([])),
        "InsufficientDataActions": a.cfg("InsufficientDataActions").cloned().unwrap_or_else(|| json!([])),
    });
    if a.composite {
        m["AlarmRule"] = json!(a.cfg_str("AlarmRule"));
    } else {
        let dims: Vec<Value> = dimensions(a.cfg("Dimensions"))
            .into_iter()
            .map(|(k, v)| json!({"value": v, "name": k}))
            .collect();
        let (kind, stat) = match (a.cfg_str("Statistic"), a.cfg_str("ExtendedStatistic")) {
            (Some(s), _) => ("Statistic", s.to_ascii_uppercase()),
            (None, Some(e)) => ("ExtendedStatistic", e.to_string()),
            _ => ("Metrics", String::new()),
        };
        m["Trigger"] = json!({
            "MetricName": a.cfg_str("MetricName"),
            "Namespace": a.cfg_str("Namespace"),
            "StatisticType": kind,
            "Statistic": stat,
            "Unit": a.cfg_str("Unit"),
            "Dimensions": dims,
            "Period": a.cfg("Period"),
            "EvaluationPeriods": a.cfg("EvaluationPeriods"),
            "DatapointsToAlarm": a.cfg("DatapointsToAlarm").or(a.cfg("EvaluationPeriods")),
            "ComparisonOperator": a.cfg_str("ComparisonOperator"),
            "Threshold": a.cfg("Threshold"),
            "TreatMissingData": a.cfg_str("TreatMissingData").unwrap_or("missing"),
            "EvaluateLowSampleCountPercentile": a.cfg_str("EvaluateLowSampleCountPercentile").unwrap_or(""),
        });
    }
    m
}

/// Whether a composite alarm's suppressor holds its actions now.
pub(crate) fn suppressed_by(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    a: &Alarm,
) -> Result<Option<String>, AwsError> {
    let Some(s) = a.cfg_str("ActionsSuppressor") else {
        return Ok(None);
    };
    let sup = svc.alarms.get(&scope.key(composite::child_name(s)))?;
    Ok(sup
        .filter(|x| x.state == "ALARM")
        .map(|x| format!("Alarm {} is in ALARM state", x.name)))
}

fn run_actions(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    a: &Alarm,
    old_state: &str,
    now: i64,
) -> Result<(), AwsError> {
    if !a.actions_enabled() {
        return Ok(());
    }
    if a.composite && suppressed_by(svc, scope, a)?.is_some() {
        return Ok(());
    }
    let member = match a.state.as_str() {
        "ALARM" => "AlarmActions",
        "OK" => "OKActions",
        _ => "InsufficientDataActions",
    };
    let arns: Vec<String> = a
        .cfg(member)
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if arns.is_empty() {
        return Ok(());
    }
    let notice = AlarmNotice {
        alarm_name: a.name.clone(),
        alarm_arn: alarm_arn(scope, &a.name),
        old_state: old_state.to_string(),
        new_state: a.state.clone(),
        reason: a.reason.clone(),
        time_ms: now,
        message: notification(scope, a, old_state, now),
    };
    for arn in arns {
        let (summary, data) = match svc.actions.fire(scope, &arn, &notice) {
            Ok(()) => (
                format!("Successfully executed action {arn}"),
                json!({"actionState": "Succeeded", "stateUpdateTimestamp": now, "notificationResource": arn}),
            ),
            Err(e) => (
                format!("Failed to execute action {arn}. Received error: \"{e}\""),
                json!({"actionState": "Failed", "stateUpdateTimestamp": now, "notificationResource": arn, "error": e}),
            ),
        };
        let item = HistoryItem {
            alarm_name: a.name.clone(),
            alarm_type: alarm_type(a).into(),
            kind: "Action".into(),
            summary,
            data: data.to_string(),
            time_ms: now,
        };
        svc.history.put(&scope.key(&svc.time_key(now)), &item)?;
    }
    Ok(())
}

/// Re-evaluates every composite alarm in `scope` until states settle.
pub(crate) fn settle_composites(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    now: i64,
) -> Result<usize, AwsError> {
    let mut changes = 0;
    for _ in 0..8 {
        let all: std::collections::HashMap<String, Alarm> = svc
            .alarms
            .scan_prefix(&scope.prefix())?
            .into_iter()
            .map(|(_, a)| (a.name.clone(), a))
            .collect();
        let mut changed = false;
        for a in all.values().filter(|a| a.composite) {
            if let Some(o) = evaluate_composite(a, &all, scope) {
                if o.state != a.state && apply(svc, scope, &a.name, o, now, false)? {
                    changed = true;
                    changes += 1;
                }
            }
        }
        if !changed {
            break;
        }
    }
    Ok(changes)
}

/// Evaluates one metric alarm now and applies the outcome.
pub(crate) fn evaluate_one(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    a: &Alarm,
    now: i64,
) -> Result<bool, AwsError> {
    match evaluate_metric(svc, scope, a, now)? {
        Some(o) if o.state != a.state => apply(svc, scope, &a.name, o, now, false),
        _ => Ok(false),
    }
}

/// The pass [`CloudWatchService::evaluate_due`] runs.
pub(crate) fn evaluate_due(svc: &CloudWatchService, now: i64) -> Result<usize, AwsError> {
    let last = svc.last_tick_ms.load(Ordering::Acquire);
    if last != 0 && now.div_euclid(TICK_MS) == last.div_euclid(TICK_MS) {
        return Ok(0);
    }
    let _pass = svc.eval_lock.lock().unwrap_or_else(|p| p.into_inner());
    let last = svc.last_tick_ms.load(Ordering::Acquire);
    if last != 0 && now.div_euclid(TICK_MS) == last.div_euclid(TICK_MS) {
        return Ok(0);
    }
    let alarms = svc.alarms.scan_prefix("")?;
    let mut changes = 0;
    let mut scopes: Vec<(String, String)> = Vec::new();
    for (key, a) in &alarms {
        let Some(scope) = scope_of(key) else { continue };
        let owned = (
            scope.account().to_string(),
            scope.region().unwrap_or_default().to_string(),
        );
        if !scopes.contains(&owned) {
            scopes.push(owned);
        }
        if a.composite {
            continue;
        }
        let period = a.cfg("Period").and_then(Value::as_i64).unwrap_or(60);
        let step = a
            .cfg("EvaluationInterval")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| period.clamp(1, 60))
            .max(1)
            * 1000;
        let due = last == 0 || now.div_euclid(step) != last.div_euclid(step);
        if due {
            match evaluate_one(svc, scope, a, now) {
                Ok(true) => changes += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(target: "gureum", "alarm {}: {}", a.name, e.message),
            }
        }
    }
    for (account, region) in &scopes {
        let scope = Scope::Region { account, region };
        changes += settle_composites(svc, scope, now)?;
    }
    svc.last_tick_ms.store(now.max(1), Ordering::Release);
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_java_doubles() {
        assert_eq!(java_double(5.0), "5.0");
        assert_eq!(java_double(0.25), "0.25");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(-3.0), "-3.0");
        assert_eq!(java_double(1.5e-4), "1.5E-4");
    }

    #[test]
    fn times_print_as_reasons_write_them() {
        // 2026-07-12T15:00:00Z
        let ms = 1_783_868_400_000;
        assert_eq!(reason_time(ms), "12/07/26 15:00:00");
        assert_eq!(iso(ms), "2026-07-12T15:00:00.000+0000");
        assert_eq!(long_time(ms), "Sunday 12 July, 2026 15:00:00 UTC");
    }
}
