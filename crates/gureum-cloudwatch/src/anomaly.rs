//! Anomaly detectors: `PutAnomalyDetector`, `DescribeAnomalyDetectors`,
//! `DeleteAnomalyDetector`, kept in `cloudwatch.anomaly_detectors` keyed
//! `account/region/<detector key>`.
//!
//! A single-metric detector (namespace, metric, dimensions, statistic)
//! feeds the band `ANOMALY_DETECTION_BAND` draws for that metric and
//! statistic, in `GetMetricData` and in alarms: the periods its
//! `ExcludedTimeRanges` cover are left out of the band's training. The
//! band is trained on the query's own range (see [`crate::math::band`]),
//! so a detector reports `TRAINED` from the start. Metric math detectors
//! are kept as records.

use crate::errors::{invalid, missing};
use crate::metrics::{dimensions, dimensions_view, time_ms, wire_time};
use crate::stats::Stat;
use crate::store::MetricId;
use crate::CloudWatchService;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use std::ops::ControlFlow;

/// Most detectors one region keeps (AWS's quota is 500 per region).
const MAX_DETECTORS: usize = 500;

/// A single-metric detector's metric: namespace, name, dimensions, statistic.
pub type DetectorMetric = (String, String, Vec<(String, String)>, String);

/// A stored anomaly detector.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Detector {
    /// The metric, for a single-metric detector.
    pub metric: Option<DetectorMetric>,
    /// The queries, for a metric math detector.
    pub queries: Option<Value>,
    /// `[start, end]` ranges (epoch ms) left out of training.
    pub excluded: Vec<(i64, i64)>,
    /// The time zone daylight saving follows, when given.
    pub timezone: Option<String>,
    /// `MetricCharacteristics.PeriodicSpikes`, when given.
    pub periodic_spikes: Option<bool>,
}

/// The key of a single-metric detector.
pub(crate) fn metric_key(id: &MetricId, stat: &str) -> String {
    let dims: Vec<String> = id.dims.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "metric\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{stat}",
        id.namespace,
        id.name,
        dims.join(",")
    )
}

/// What the request names: the key and the detector's identity.
type Named = (
    String,
    Option<(String, String, Vec<(String, String)>, String)>,
    Option<Value>,
);

/// The detector a request names, by `SingleMetricAnomalyDetector`,
/// `MetricMathAnomalyDetector` or the deprecated top-level members.
fn named(input: &Value) -> Result<Named, AwsError> {
    let single = input.get("SingleMetricAnomalyDetector");
    let math = input.get("MetricMathAnomalyDetector");
    let legacy = ["Namespace", "MetricName", "Dimensions", "Stat"]
        .iter()
        .any(|m| input.get(*m).is_some());
    if [single.is_some(), math.is_some(), legacy]
        .iter()
        .filter(|x| **x)
        .count()
        > 1
    {
        return Err(CommonError::InvalidParameterCombination {
            message: "Exactly one of SingleMetricAnomalyDetector, MetricMathAnomalyDetector or the Namespace, MetricName, Dimensions and Stat parameters must be specified (Gureum's wording).".into(),
        }
        .into());
    }
    if let Some(m) = math {
        let queries = m
            .get("MetricDataQueries")
            .and_then(Value::as_array)
            .ok_or_else(|| missing("MetricMathAnomalyDetector.MetricDataQueries"))?;
        let parsed = crate::query::parse_queries(queries, "MetricDataQueries")?;
        if parsed.iter().filter(|q| q.return_data).count() != 1 {
            return Err(invalid(
                "MetricMathAnomalyDetector.MetricDataQueries must return exactly one time series (Gureum's wording).",
            ));
        }
        let q = Value::Array(queries.clone());
        return Ok((format!("math\u{1f}{q}"), None, Some(q)));
    }
    let (src, prefix) = match single {
        Some(s) => (s, "SingleMetricAnomalyDetector."),
        None => (input, ""),
    };
    let field = |m: &str| src.get(m).and_then(Value::as_str);
    let ns = field("Namespace").ok_or_else(|| missing(&format!("{prefix}Namespace")))?;
    let name = field("MetricName").ok_or_else(|| missing(&format!("{prefix}MetricName")))?;
    let stat = field("Stat").ok_or_else(|| missing(&format!("{prefix}Stat")))?;
    if Stat::parse(stat).is_none() {
        return Err(invalid(format!(
            "The value {stat} for parameter {prefix}Stat is invalid."
        )));
    }
    let id = MetricId::new(ns, name, dimensions(src.get("Dimensions")));
    let key = metric_key(&id, stat);
    Ok((
        key,
        Some((id.namespace, id.name, id.dims, stat.to_string())),
        None,
    ))
}

fn not_found() -> AwsError {
    AwsError::new(
        "ResourceNotFoundException",
        404,
        "The specified anomaly detector does not exist (Gureum's wording).",
    )
}

impl CloudWatchService {
    /// `PutAnomalyDetector`.
    pub(crate) fn put_anomaly_detector(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, metric, queries) = named(&input)?;
        let config = input.get("Configuration");
        let mut excluded = Vec::new();
        let ranges = config
            .and_then(|c| c.get("ExcludedTimeRanges"))
            .and_then(Value::as_array);
        for (i, r) in ranges.into_iter().flatten().enumerate() {
            let m = format!("Configuration.ExcludedTimeRanges.member.{}", i + 1);
            let start =
                time_ms(r, "StartTime").ok_or_else(|| missing(&format!("{m}.StartTime")))?;
            let end = time_ms(r, "EndTime").ok_or_else(|| missing(&format!("{m}.EndTime")))?;
            if end <= start {
                return Err(invalid(format!(
                    "The value of {m}.EndTime must be later than {m}.StartTime (Gureum's wording)."
                )));
            }
            excluded.push((start, end));
        }
        let detector = Detector {
            metric,
            queries,
            excluded,
            timezone: config
                .and_then(|c| c.get("MetricTimezone"))
                .and_then(Value::as_str)
                .map(str::to_string),
            periodic_spikes: input
                .get("MetricCharacteristics")
                .and_then(|c| c.get("PeriodicSpikes"))
                .and_then(Value::as_bool),
        };
        let scope = Scope::regional(ctx);
        let k = scope.key(&key);
        if self.anomaly_detectors.get(&k)?.is_none()
            && self.count_detectors(scope)? >= MAX_DETECTORS
        {
            return Err(AwsError::new(
                "LimitExceededException",
                400,
                "The maximum number of anomaly detectors has been reached (Gureum's wording).",
            ));
        }
        self.store.write(|txn| {
            txn.put(&self.anomaly_detectors, &k, &detector)?;
            Ok::<_, AwsError>(())
        })?;
        Ok(json!({}))
    }

    fn count_detectors(&self, scope: Scope<'_>) -> Result<usize, AwsError> {
        let mut n = 0;
        self.anomaly_detectors
            .visit_prefix(&scope.prefix(), None, |_, _| {
                n += 1;
                ControlFlow::Continue(())
            })?;
        Ok(n)
    }

    /// `DeleteAnomalyDetector`.
    pub(crate) fn delete_anomaly_detector(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let (key, _, _) = named(&input)?;
        let k = Scope::regional(ctx).key(&key);
        self.store.write(|txn| {
            if txn.get(&self.anomaly_detectors, &k)?.is_none() {
                return Err(not_found());
            }
            txn.delete(&self.anomaly_detectors, &k)?;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `DescribeAnomalyDetectors`.
    pub(crate) fn describe_anomaly_detectors(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let max = input
            .get("MaxResults")
            .and_then(Value::as_i64)
            .unwrap_or(100);
        if !(1..=100).contains(&max) {
            return Err(invalid(format!(
                "The value {max} for parameter MaxResults is not valid."
            )));
        }
        let ns = input.get("Namespace").and_then(Value::as_str);
        let name = input.get("MetricName").and_then(Value::as_str);
        let dims = input
            .get("Dimensions")
            .map(|d| MetricId::new("", "", dimensions(Some(d))).dims);
        let types: Vec<&str> = input
            .get("AnomalyDetectorTypes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let scope = Scope::regional(ctx);
        let prefix = scope.prefix();
        let after = input.get("NextToken").and_then(Value::as_str);
        if let Some(t) = after {
            if !t.starts_with(&prefix) {
                return Err(crate::CloudWatchError::BadToken.into());
            }
        }
        let mut out = Vec::new();
        let mut next = None;
        self.anomaly_detectors
            .visit_prefix(&prefix, after, |k, d: Detector| {
                if after == Some(k) {
                    return ControlFlow::Continue(());
                }
                let kind = if d.metric.is_some() {
                    "SINGLE_METRIC"
                } else {
                    "METRIC_MATH"
                };
                if !types.is_empty() && !types.contains(&kind) {
                    return ControlFlow::Continue(());
                }
                if let Some((n, m, ds, _)) = &d.metric {
                    if ns.is_some_and(|x| x != n)
                        || name.is_some_and(|x| x != m)
                        || dims.as_ref().is_some_and(|x| x != ds)
                    {
                        return ControlFlow::Continue(());
                    }
                } else if ns.is_some() || name.is_some() || dims.is_some() {
                    return ControlFlow::Continue(());
                }
                if out.len() == max as usize {
                    next = out.last().map(|(k, _): &(String, Value)| k.clone());
                    return ControlFlow::Break(());
                }
                out.push((k.to_string(), describe(&ctx.account_id, &d)));
                ControlFlow::Continue(())
            })?;
        let mut v = json!({
            "AnomalyDetectors": out.into_iter().map(|(_, d)| d).collect::<Vec<_>>(),
        });
        if let Some(t) = next {
            v["NextToken"] = json!(t);
        }
        Ok(v)
    }

    /// The excluded ranges of the detector of `id` and `stat`, if any.
    pub(crate) fn excluded_ranges(
        &self,
        scope: Scope<'_>,
        id: &MetricId,
        stat: &str,
    ) -> Vec<(i64, i64)> {
        self.anomaly_detectors
            .get(&scope.key(&metric_key(id, stat)))
            .ok()
            .flatten()
            .map(|d| d.excluded)
            .unwrap_or_default()
    }
}

fn describe(account: &str, d: &Detector) -> Value {
    let mut config = json!({
        "ExcludedTimeRanges": d.excluded.iter().map(|(s, e)| json!({
            "StartTime": wire_time(*s), "EndTime": wire_time(*e),
        })).collect::<Vec<_>>(),
    });
    if let Some(tz) = &d.timezone {
        config["MetricTimezone"] = json!(tz);
    }
    let mut v = json!({ "Configuration": config, "StateValue": "TRAINED" });
    if let Some(p) = d.periodic_spikes {
        v["MetricCharacteristics"] = json!({ "PeriodicSpikes": p });
    }
    match (&d.metric, &d.queries) {
        (Some((ns, name, dims, stat)), _) => {
            let dims = dimensions_view(dims);
            v["Namespace"] = json!(ns);
            v["MetricName"] = json!(name);
            v["Dimensions"] = dims.clone();
            v["Stat"] = json!(stat);
            v["SingleMetricAnomalyDetector"] = json!({
                "AccountId": account, "Namespace": ns, "MetricName": name,
                "Dimensions": dims, "Stat": stat,
            });
        }
        (None, Some(q)) => {
            v["MetricMathAnomalyDetector"] = json!({ "MetricDataQueries": q });
        }
        (None, None) => {}
    }
    v
}
