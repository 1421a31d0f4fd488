//! The alarm operations: `PutMetricAlarm`, `PutCompositeAlarm`,
//! `DescribeAlarms`, `DescribeAlarmsForMetric`, `DeleteAlarms`,
//! `SetAlarmState`, `Enable`/`DisableAlarmActions` and
//! `DescribeAlarmHistory`.

use crate::errors::{combination, invalid, missing, validation};
use crate::evaluate::{self, alarm_arn, alarm_type, Outcome};
use crate::metrics::{dimensions, time_ms, wire_time};
use crate::stats::Stat;
use crate::{composite, query, Alarm, CloudWatchError, CloudWatchService, HistoryItem};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest};
use serde_json::{json, Map};

const OPERATORS: [&str; 7] = [
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
const MISSING: [&str; 4] = ["breaching", "notBreaching", "ignore", "missing"];
const STATES: [&str; 3] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

fn name_of(input: &Value) -> Result<&str, AwsError> {
    input
        .get("AlarmName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| missing("AlarmName"))
}

fn tags_of(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        t.get("Key")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        t.get("Value")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the action lists' ARNs.
fn check_actions(input: &Value, ctx: &RequestContext) -> Result<(), AwsError> {
    for member in ["AlarmActions", "OKActions", "InsufficientDataActions"] {
        let Some(list) = input.get(member).and_then(Value::as_array) else {
            continue;
        };
        if list.len() > 5 {
            return Err(validation(format!(
                "The collection {member} must not have a size greater than 5."
            )));
        }
        for a in list.iter().filter_map(Value::as_str) {
            let parts: Vec<&str> = a.splitn(6, ':').collect();
            if parts.len() < 6 || parts[0] != "arn" {
                return Err(validation(format!("Invalid arn syntax: {a}")));
            }
            if parts[2] == "automate" {
                let ok = parts[3] == ctx.region
                    && ["ec2:stop", "ec2:terminate", "ec2:reboot", "ec2:recover"]
                        .contains(&format!("{}:{}", parts[4], parts[5]).as_str());
                if !ok {
                    return Err(validation(format!("Invalid use of EC2 action: {a}")));
                }
            }
        }
    }
    Ok(())
}

/// Stores a put alarm (created in `INSUFFICIENT_DATA`, or updated with its
/// state kept), records the configuration history, and evaluates it.
fn save(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    name: &str,
    composite: bool,
    mut config: Value,
) -> Result<(), AwsError> {
    let scope = Scope::regional(ctx);
    let now = ctx.clock.now_millis();
    let tags = tags_of(&config);
    if let Some(o) = config.as_object_mut() {
        o.remove("Tags");
    }
    let key = scope.key(name);
    svc.store.write(|txn| -> Result<(), AwsError> {
        let existing = txn.get(&svc.alarms, &key)?;
        let created = existing.is_none();
        if existing.as_ref().is_some_and(|e| e.composite != composite) {
            return Err(invalid(format!(
                "The alarm {name} already exists as a {}.",
                if composite {
                    "metric alarm"
                } else {
                    "composite alarm"
                }
            )));
        }
        let alarm = match existing {
            // An update keeps the state, and ignores `Tags` (AWS: use
            // TagResource to change an existing alarm's tags).
            Some(mut a) => {
                a.config = config.clone();
                a.config_updated_ms = now;
                a
            }
            None => Alarm {
                name: name.to_string(),
                composite,
                config: config.clone(),
                state: "INSUFFICIENT_DATA".into(),
                reason: "Unchecked: Initial alarm creation".into(),
                reason_data: None,
                state_updated_ms: now,
                transitioned_ms: now,
                config_updated_ms: now,
                tags: tags.clone(),
            },
        };
        let kind = if composite {
            "CompositeAlarm"
        } else {
            "MetricAlarm"
        };
        let item = HistoryItem {
            alarm_name: name.to_string(),
            alarm_type: kind.into(),
            kind: "ConfigurationUpdate".into(),
            summary: format!(
                "Alarm \"{name}\" {}",
                if created { "created" } else { "updated" }
            ),
            data: json!({
                "version": "1.0",
                "type": if created { "Create" } else { "Update" },
                "createdAlarm": alarm_view(scope, &alarm),
            })
            .to_string(),
            time_ms: now,
        };
        txn.put(&svc.alarms, &key, &alarm)?;
        txn.put(&svc.history, &scope.key(&svc.time_key(now)), &item)?;
        Ok(())
    })?;
    if let Some(a) = svc.alarms.get(&key)? {
        if !a.composite {
            evaluate::evaluate_one(svc, scope, &a, now)?;
        }
    }
    evaluate::settle_composites(svc, scope, now)?;
    Ok(())
}

/// `PutMetricAlarm`.
pub(crate) fn put_metric_alarm(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = name_of(input)?;
    let op = input
        .get("ComparisonOperator")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("ComparisonOperator"))?;
    if !OPERATORS.contains(&op) {
        return Err(validation(format!(
            "1 validation error detected: Value '{op}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            OPERATORS.join(", ")
        )));
    }
    let periods = input
        .get("EvaluationPeriods")
        .and_then(Value::as_i64)
        .ok_or_else(|| missing("EvaluationPeriods"))?;
    if periods < 1 {
        return Err(validation(
            "The parameter EvaluationPeriods must be greater than or equal to 1.",
        ));
    }
    if let Some(m) = input.get("DatapointsToAlarm").and_then(Value::as_i64) {
        if m < 1 || m > periods {
            return Err(validation(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods and greater than 0.",
            ));
        }
    }
    if let Some(t) = input.get("TreatMissingData").and_then(Value::as_str) {
        if !MISSING.contains(&t) {
            return Err(validation(format!(
                "The value {t} is not a valid option for TreatMissingData. Valid options are: breaching, notBreaching, ignore, missing"
            )));
        }
    }
    if let Some(e) = input
        .get("EvaluateLowSampleCountPercentile")
        .and_then(Value::as_str)
    {
        if e != "evaluate" && e != "ignore" {
            return Err(validation(format!(
                "The value {e} for parameter EvaluateLowSampleCountPercentile is invalid. Valid options are: evaluate, ignore"
            )));
        }
    }
    if input.get("EvaluationCriteria").is_some() {
        return Err(validation(
            "EvaluationCriteria (PromQL alarms) is not supported by this endpoint; use MetricName or Metrics.",
        ));
    }
    if let Some(i) = input.get("EvaluationInterval").and_then(Value::as_i64) {
        if !(i == 10 || i == 20 || i == 30 || i >= 60 && i % 60 == 0) {
            return Err(validation(
                "EvaluationInterval must be 10, 20, 30 or a multiple of 60.",
            ));
        }
    }
    let anomaly = op.contains("Upper") || op.contains("Lower");
    if anomaly {
        if input.get("ThresholdMetricId").is_none() {
            return Err(validation(
                "ThresholdMetricId must be specified when using comparison operator LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold or GreaterThanUpperThreshold.",
            ));
        }
    } else if input.get("Threshold").is_none() {
        return Err(validation(
            "Threshold must be specified for this comparison operator.",
        ));
    }
    let metrics = input.get("Metrics").and_then(Value::as_array);
    let single = [
        "MetricName",
        "Namespace",
        "Statistic",
        "ExtendedStatistic",
        "Dimensions",
        "Period",
        "Unit",
    ];
    match metrics {
        Some(list) => {
            if let Some(m) = single.iter().find(|m| input.get(**m).is_some()) {
                return Err(combination(format!(
                    "The parameter {m} cannot be specified when Metrics is specified."
                )));
            }
            let queries = query::parse_queries(list, "Metrics")?;
            let band = input.get("ThresholdMetricId").and_then(Value::as_str);
            let returning = queries
                .iter()
                .filter(|q| q.return_data && Some(q.id.as_str()) != band)
                .count();
            if let Some(b) = band {
                if !queries.iter().any(|q| q.id == b) {
                    return Err(validation(format!(
                        "ThresholdMetricId {b} does not name an element of the metrics list."
                    )));
                }
            }
            if returning != 1 {
                return Err(validation(
                    "Exactly one element of the metrics list should return data.",
                ));
            }
            let period = queries
                .iter()
                .map(|q| q.period)
                .filter(|p| *p > 0)
                .min()
                .unwrap_or(60);
            check_alarm_period(period, periods)?;
        }
        None => {
            let name_m = input.get("MetricName").and_then(Value::as_str);
            let ns = input.get("Namespace").and_then(Value::as_str);
            if name_m.is_none() {
                return Err(validation(
                    "One of MetricName or Metrics must be specified.",
                ));
            }
            if ns.is_none() {
                return Err(missing("Namespace"));
            }
            let stat = input.get("Statistic").and_then(Value::as_str);
            let ext = input.get("ExtendedStatistic").and_then(Value::as_str);
            match (stat, ext) {
                (Some(_), Some(_)) => {
                    return Err(combination(
                        "Statistic and ExtendedStatistic are mutually exclusive. Specify only one.",
                    ))
                }
                (None, None) => {
                    return Err(combination(
                        "One of Statistic or ExtendedStatistic must be specified.",
                    ))
                }
                (Some(s), None) if Stat::standard(s).is_none() => {
                    return Err(validation(format!(
                        "1 validation error detected: Value '{s}' at 'statistic' failed to satisfy constraint: Member must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]"
                    )))
                }
                (None, Some(e)) if Stat::extended(e).is_none() => {
                    return Err(invalid(format!(
                        "The value {e} for parameter ExtendedStatistic is invalid."
                    )))
                }
                _ => {}
            }
            let period = input
                .get("Period")
                .and_then(Value::as_i64)
                .ok_or_else(|| missing("Period"))?;
            check_alarm_period(period, periods)?;
            if dimensions(input.get("Dimensions")).len() > 30 {
                return Err(invalid(
                    "The collection Dimensions must not have a size greater than 30.",
                ));
            }
        }
    }
    check_actions(input, ctx)?;
    save(svc, ctx, name, false, input.clone())?;
    Ok(json!({}))
}

fn check_alarm_period(period: i64, periods: i64) -> Result<(), AwsError> {
    if !(period == 10 || period == 20 || period == 30 || period >= 60 && period % 60 == 0) {
        return Err(validation("Period must be 10, 20, 30 or a multiple of 60."));
    }
    let limit = if period >= 3600 { 7 * 86_400 } else { 86_400 };
    if period * periods > limit {
        return Err(validation(format!(
            "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= {limit})"
        )));
    }
    Ok(())
}

/// `PutCompositeAlarm`.
pub(crate) fn put_composite_alarm(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = name_of(input)?;
    let rule_text = input
        .get("AlarmRule")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("AlarmRule"))?;
    let rule = composite::parse(rule_text)
        .map_err(|why| validation(format!("Invalid AlarmRule: {why}")))?;
    let scope = Scope::regional(ctx);
    let mut children = Vec::new();
    rule.children(&mut children);
    let mut absent = Vec::new();
    for c in &children {
        let n = composite::child_name(c);
        if n == name {
            return Err(validation(
                "The alarm rule cannot reference the composite alarm itself.",
            ));
        }
        if !svc.alarms.contains(&scope.key(n))? && !absent.contains(&n) {
            absent.push(n);
        }
    }
    if !absent.is_empty() {
        return Err(validation(format!(
            "Could not save the composite alarm as alarms [{}] in the alarm rule do not exist",
            absent.join(", ")
        )));
    }
    if let Some(s) = input.get("ActionsSuppressor").and_then(Value::as_str) {
        if !svc.alarms.contains(&scope.key(composite::child_name(s)))? {
            return Err(validation(format!(
                "Could not save the composite alarm as the actions suppressor alarm [{s}] does not exist"
            )));
        }
        for m in [
            "ActionsSuppressorWaitPeriod",
            "ActionsSuppressorExtensionPeriod",
        ] {
            if input.get(m).is_none() {
                return Err(validation(format!(
                    "{m} must be specified when ActionsSuppressor is specified."
                )));
            }
        }
    } else if input.get("ActionsSuppressorWaitPeriod").is_some()
        || input.get("ActionsSuppressorExtensionPeriod").is_some()
    {
        return Err(validation(
            "ActionsSuppressor must be specified when ActionsSuppressorWaitPeriod or ActionsSuppressorExtensionPeriod is specified.",
        ));
    }
    check_actions(input, ctx)?;
    save(svc, ctx, name, true, input.clone())?;
    Ok(json!({}))
}

/// The `MetricAlarm` or `CompositeAlarm` structure.
pub(crate) fn alarm_view(scope: Scope<'_>, a: &Alarm) -> Value {
    let mut out = Map::new();
    out.insert("AlarmName".into(), json!(a.name));
    out.insert("AlarmArn".into(), json!(alarm_arn(scope, &a.name)));
    let members: &[&str] = if a.composite {
        &[
            "AlarmDescription",
            "AlarmRule",
            "OKActions",
            "AlarmActions",
            "InsufficientDataActions",
            "ActionsSuppressor",
            "ActionsSuppressorWaitPeriod",
            "ActionsSuppressorExtensionPeriod",
        ]
    } else {
        &[
            "AlarmDescription",
            "OKActions",
            "AlarmActions",
            "InsufficientDataActions",
            "MetricName",
            "Namespace",
            "Statistic",
            "ExtendedStatistic",
            "Dimensions",
            "Period",
            "Unit",
            "EvaluationPeriods",
            "DatapointsToAlarm",
            "Threshold",
            "ComparisonOperator",
            "TreatMissingData",
            "EvaluateLowSampleCountPercentile",
            "Metrics",
            "ThresholdMetricId",
        ]
    };
    for m in members {
        if let Some(v) = a.cfg(m) {
            out.insert((*m).into(), v.clone());
        }
    }
    for m in ["OKActions", "AlarmActions", "InsufficientDataActions"] {
        out.entry(m).or_insert_with(|| json!([]));
    }
    if !a.composite {
        out.entry("Dimensions").or_insert_with(|| json!([]));
    }
    out.insert("ActionsEnabled".into(), json!(a.actions_enabled()));
    out.insert(
        "AlarmConfigurationUpdatedTimestamp".into(),
        wire_time(a.config_updated_ms),
    );
    out.insert("StateValue".into(), json!(a.state));
    out.insert("StateReason".into(), json!(a.reason));
    if let Some(d) = &a.reason_data {
        out.insert("StateReasonData".into(), json!(d));
    }
    out.insert(
        "StateUpdatedTimestamp".into(),
        wire_time(a.state_updated_ms),
    );
    out.insert(
        "StateTransitionedTimestamp".into(),
        wire_time(a.transitioned_ms),
    );
    Value::Object(out)
}

fn strings<'a>(input: &'a Value, member: &str) -> Vec<&'a str> {
    input
        .get(member)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_action(a: &Alarm, prefix: &str) -> bool {
    ["OKActions", "AlarmActions", "InsufficientDataActions"]
        .iter()
        .filter_map(|m| a.cfg(m).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .any(|x| x.starts_with(prefix))
}

/// `DescribeAlarms`.
pub(crate) fn describe_alarms(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let names = strings(input, "AlarmNames");
    let prefix = input.get("AlarmNamePrefix").and_then(Value::as_str);
    if !names.is_empty() && prefix.is_some() {
        return Err(combination(
            "AlarmNames and AlarmNamePrefix are mutually exclusive.",
        ));
    }
    let types = strings(input, "AlarmTypes");
    for t in &types {
        if *t != "MetricAlarm" && *t != "CompositeAlarm" {
            return Err(validation(format!(
                "1 validation error detected: Value '[{t}]' at 'alarmTypes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]]"
            )));
        }
    }
    let want_metric = types.is_empty() || types.contains(&"MetricAlarm");
    let want_composite = types.contains(&"CompositeAlarm");
    let state = input.get("StateValue").and_then(Value::as_str);
    if let Some(s) = state {
        if !STATES.contains(&s) {
            return Err(validation(format!(
                "1 validation error detected: Value '{s}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
            )));
        }
    }
    let action_prefix = input.get("ActionPrefix").and_then(Value::as_str);
    let children_of = input.get("ChildrenOfAlarmName").and_then(Value::as_str);
    let parents_of = input.get("ParentsOfAlarmName").and_then(Value::as_str);
    if children_of.is_some() && parents_of.is_some() {
        return Err(combination(
            "ChildrenOfAlarmName and ParentsOfAlarmName are mutually exclusive.",
        ));
    }
    let scope = Scope::regional(ctx);
    let child_set: Option<Vec<String>> = match children_of {
        Some(c) => {
            let parent = svc.alarms.get(&scope.key(c))?;
            let mut out = Vec::new();
            if let Some(rule) = parent
                .as_ref()
                .and_then(|p| p.cfg_str("AlarmRule"))
                .and_then(|r| composite::parse(r).ok())
            {
                rule.children(&mut out);
            }
            Some(
                out.iter()
                    .map(|c| composite::child_name(c).to_string())
                    .collect(),
            )
        }
        None => None,
    };
    let size = input.get("MaxRecords").and_then(Value::as_i64);
    let token = input.get("NextToken").and_then(Value::as_str);
    let request = PageRequest::new(size, token, (1, 100), 50).map_err(CloudWatchError::from)?;
    let page = paging::page(&svc.alarms, &scope.prefix(), &request, |_, a| {
        let keep = (if a.composite {
            want_composite
        } else {
            want_metric
        }) && (names.is_empty() || names.contains(&a.name.as_str()))
            && prefix.is_none_or(|p| a.name.starts_with(p))
            && state.is_none_or(|s| a.state == s)
            && action_prefix.is_none_or(|p| has_action(&a, p))
            && child_set.as_ref().is_none_or(|c| c.contains(&a.name))
            && parents_of.is_none_or(|child| {
                a.composite
                    && a.cfg_str("AlarmRule")
                        .and_then(|r| composite::parse(r).ok())
                        .is_some_and(|r| {
                            let mut cs = Vec::new();
                            r.children(&mut cs);
                            cs.iter().any(|c| composite::child_name(c) == child)
                        })
            });
        keep.then_some(a)
    })?;
    let mut metric = Vec::new();
    let mut composite_list = Vec::new();
    for a in &page.items {
        let mut v = alarm_view(scope, a);
        if a.composite {
            if let Some(reason) = evaluate::suppressed_by(svc, scope, a)? {
                v["ActionsSuppressedBy"] = json!("Alarm");
                v["ActionsSuppressedReason"] = json!(reason);
            }
            composite_list.push(v);
        } else {
            metric.push(v);
        }
    }
    let mut out = Map::new();
    out.insert("MetricAlarms".into(), Value::Array(metric));
    out.insert("CompositeAlarms".into(), Value::Array(composite_list));
    if let Some(t) = page.next_token {
        out.insert("NextToken".into(), json!(t));
    }
    Ok(Value::Object(out))
}

/// `DescribeAlarmsForMetric`.
pub(crate) fn describe_alarms_for_metric(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = input
        .get("MetricName")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("MetricName"))?;
    let ns = input
        .get("Namespace")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("Namespace"))?;
    let mut dims = dimensions(input.get("Dimensions"));
    dims.sort();
    let scope = Scope::regional(ctx);
    let mut out = Vec::new();
    for (_, a) in svc.alarms.scan_prefix(&scope.prefix())? {
        if a.composite {
            continue;
        }
        let mut ad = dimensions(a.cfg("Dimensions"));
        ad.sort();
        let same = |m: &str| {
            input
                .get(m)
                .is_none_or(|v| a.cfg(m).is_some_and(|x| x == v))
        };
        if a.cfg_str("MetricName") == Some(name)
            && a.cfg_str("Namespace") == Some(ns)
            && ad == dims
            && ["Statistic", "ExtendedStatistic", "Period", "Unit"]
                .iter()
                .all(|m| same(m))
        {
            out.push(alarm_view(scope, &a));
        }
    }
    Ok(json!({ "MetricAlarms": out }))
}

/// `DeleteAlarms`: all named alarms, or none if one does not exist.
pub(crate) fn delete_alarms(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let names = strings(input, "AlarmNames");
    let scope = Scope::regional(ctx);
    svc.store.write(|txn| -> Result<(), AwsError> {
        for n in &names {
            if txn.get(&svc.alarms, &scope.key(n))?.is_none() {
                return Err(CloudWatchError::AlarmsNotFound.into());
            }
        }
        for n in &names {
            txn.delete(&svc.alarms, &scope.key(n))?;
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `SetAlarmState`: the state until the next evaluation says otherwise.
pub(crate) fn set_alarm_state(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = name_of(input)?;
    let state = input
        .get("StateValue")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("StateValue"))?;
    if !STATES.contains(&state) {
        return Err(validation(format!(
            "1 validation error detected: Value '{state}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        )));
    }
    let reason = input
        .get("StateReason")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("StateReason"))?;
    let data = input.get("StateReasonData").and_then(Value::as_str);
    if let Some(d) = data {
        if serde_json::from_str::<Value>(d).is_err() {
            return Err(CloudWatchError::BadReasonData.into());
        }
    }
    let scope = Scope::regional(ctx);
    if !svc.alarms.contains(&scope.key(name))? {
        return Err(CloudWatchError::NoSuchAlarm {
            name: name.to_string(),
        }
        .into());
    }
    let now = ctx.clock.now_millis();
    evaluate::apply(
        svc,
        scope,
        name,
        Outcome {
            state: state.into(),
            reason: reason.into(),
            data: data.map(String::from),
        },
        now,
        true,
    )?;
    evaluate::settle_composites(svc, scope, now)?;
    Ok(json!({}))
}

/// `EnableAlarmActions` / `DisableAlarmActions` (names that match no alarm
/// are passed over).
pub(crate) fn set_actions_enabled(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
    enabled: bool,
) -> OpResult {
    let scope = Scope::regional(ctx);
    let names = strings(input, "AlarmNames");
    svc.store.write(|txn| -> Result<(), AwsError> {
        for n in &names {
            let key = scope.key(n);
            if let Some(mut a) = txn.get(&svc.alarms, &key)? {
                if let Some(o) = a.config.as_object_mut() {
                    o.insert("ActionsEnabled".into(), json!(enabled));
                }
                txn.put(&svc.alarms, &key, &a)?;
            }
        }
        Ok(())
    })?;
    Ok(json!({}))
}

/// `DescribeAlarmHistory`.
pub(crate) fn describe_alarm_history(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let name = input.get("AlarmName").and_then(Value::as_str);
    let types = strings(input, "AlarmTypes");
    let kind = input.get("HistoryItemType").and_then(Value::as_str);
    if let Some(k) = kind {
        if !["ConfigurationUpdate", "StateUpdate", "Action"].contains(&k) {
            return Err(validation(format!(
                "1 validation error detected: Value '{k}' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action]"
            )));
        }
    }
    // Gureum's alarms have no contributors (Metrics Insights alarms).
    let contributor = input.get("AlarmContributorId").and_then(Value::as_str);
    let start = time_ms(input, "StartDate");
    let end = time_ms(input, "EndDate");
    let ascending = input.get("ScanBy").and_then(Value::as_str) == Some("TimestampAscending");
    let size = input
        .get("MaxRecords")
        .and_then(Value::as_i64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let skip = match input.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => paging::decode_token(t)
            .ok()
            .and_then(|s| s.strip_prefix("h:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or(CloudWatchError::BadToken)?,
    };
    let scope = Scope::regional(ctx);
    // AWS keeps 30 days of alarm history.
    let kept_since = ctx.clock.now_millis() - 30 * 86_400_000;
    let mut items: Vec<HistoryItem> = svc
        .history
        .scan_prefix(&scope.prefix())?
        .into_iter()
        .map(|(_, h)| h)
        .filter(|h| {
            contributor.is_none()
                && h.time_ms >= kept_since
                && name.is_none_or(|n| h.alarm_name == n)
                && (if types.is_empty() {
                    h.alarm_type == "MetricAlarm"
                } else {
                    types.contains(&h.alarm_type.as_str())
                })
                && kind.is_none_or(|k| h.kind == k)
                && start.is_none_or(|s| h.time_ms >= s)
                && end.is_none_or(|e| h.time_ms <= e)
        })
        .collect();
    if !ascending {
        items.reverse();
    }
    let total = items.len();
    let page: Vec<Value> = items
        .into_iter()
        .skip(skip)
        .take(size)
        .map(|h| {
            json!({
                "AlarmName": h.alarm_name,
                "AlarmType": h.alarm_type,
                "Timestamp": wire_time(h.time_ms),
                "HistoryItemType": h.kind,
                "HistorySummary": h.summary,
                "HistoryData": h.data,
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("AlarmHistoryItems".into(), Value::Array(page));
    if skip + size < total {
        out.insert(
            "NextToken".into(),
            json!(paging::encode_token(&format!("h:{}", skip + size))),
        );
    }
    let _ = alarm_type;
    Ok(Value::Object(out))
}
