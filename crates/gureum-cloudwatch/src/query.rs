//! `GetMetricData`: metric queries and metric math expressions over one
//! time range, each answered as a labelled series; also what metric math
//! alarms evaluate through ([`run`]).

use crate::errors::{invalid, missing, validation};
use crate::math::{self, Env, Series, Val};
use crate::metrics::{check_period, dimensions, read_buckets, time_ms, wire_time, Window};
use crate::stats::{self, Stat};
use crate::store::{unit_index, MetricId};
use crate::{CloudWatchError, CloudWatchService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::{json, Map};
use std::collections::HashMap;

/// The most queries one request may carry.
const MAX_QUERIES: usize = 500;
/// `MaxDatapoints`' default.
const DEFAULT_MAX_DATAPOINTS: usize = 100_800;

/// One query of a request, checked.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    pub id: String,
    pub label: Option<String>,
    pub return_data: bool,
    pub kind: Kind,
    pub period: i64,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Metric {
        id: MetricId,
        stat: Stat,
        /// The statistic as given (what an anomaly detector names).
        stat_name: String,
        unit: Option<u8>,
    },
    Expression(math::Expr),
    /// A Metrics Insights query (`SELECT …`).
    Insights(crate::insights::Sql),
}

/// One result: a query's series (an expression may give several).
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub id: String,
    pub label: String,
    pub points: Vec<(i64, f64)>,
    pub return_data: bool,
}

fn id_ok(id: &str) -> bool {
    let mut cs = id.chars();
    cs.next().is_some_and(|c| c.is_ascii_lowercase())
        && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && id.len() <= 255
}

/// Checks `MetricDataQueries` (or an alarm's `Metrics`).
pub(crate) fn parse_queries(list: &[Value], member: &str) -> Result<Vec<Query>, AwsError> {
    if list.len() > MAX_QUERIES {
        return Err(invalid(format!(
            "The collection {member} must not have a size greater than {MAX_QUERIES}."
        )));
    }
    let mut out: Vec<Query> = Vec::with_capacity(list.len());
    for (i, q) in list.iter().enumerate() {
        let m = format!("{member}.member.{}", i + 1);
        let id = q
            .get("Id")
            .and_then(Value::as_str)
            .ok_or_else(|| missing(&format!("{m}.Id")))?;
        if !id_ok(id) {
            return Err(validation(format!(
                "The value {id} for parameter {m}.Id is not valid. The Id must start with a lowercase letter and contain only letters, numbers and underscores."
            )));
        }
        if out.iter().any(|o| o.id == id) {
            return Err(validation(format!(
                "The value {id} for parameter {member}.Id is duplicated."
            )));
        }
        let stat = q.get("MetricStat");
        let expr = q.get("Expression").and_then(Value::as_str);
        let (kind, period) = match (stat, expr) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(validation(format!(
                    "Exactly one element of the {m}.MetricStat or the {m}.Expression must be specified."
                )))
            }
            (Some(s), None) => {
                let metric = s
                    .get("Metric")
                    .ok_or_else(|| missing(&format!("{m}.MetricStat.Metric")))?;
                let ns = metric
                    .get("Namespace")
                    .and_then(Value::as_str)
                    .ok_or_else(|| missing(&format!("{m}.MetricStat.Metric.Namespace")))?;
                let name = metric
                    .get("MetricName")
                    .and_then(Value::as_str)
                    .ok_or_else(|| missing(&format!("{m}.MetricStat.Metric.MetricName")))?;
                let stat_name = s
                    .get("Stat")
                    .and_then(Value::as_str)
                    .ok_or_else(|| missing(&format!("{m}.MetricStat.Stat")))?;
                let stat = Stat::parse(stat_name).ok_or_else(|| {
                    invalid(format!(
                        "The value {stat_name} for parameter {m}.MetricStat.Stat is invalid."
                    ))
                })?;
                let period = s
                    .get("Period")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| missing(&format!("{m}.MetricStat.Period")))?;
                check_period(period, &format!("{m}.MetricStat.Period"))?;
                let unit = match s.get("Unit").and_then(Value::as_str) {
                    None => None,
                    Some(u) => Some(unit_index(u).ok_or_else(|| {
                        invalid(format!(
                            "The value {u} for parameter {m}.MetricStat.Unit is invalid."
                        ))
                    })?),
                };
                let id = MetricId::new(ns, name, dimensions(metric.get("Dimensions")));
                let stat_name = stat_name.to_string();
                (
                    Kind::Metric {
                        id,
                        stat,
                        stat_name,
                        unit,
                    },
                    period,
                )
            }
            (None, Some(e)) if crate::insights::is_sql(e) => {
                let parsed = crate::insights::parse(e).map_err(|why| {
                    validation(format!("Error in expression {id}: {why}"))
                })?;
                let period = q
                    .get("Period")
                    .and_then(Value::as_i64)
                    .ok_or_else(|| missing(&format!("{m}.Period")))?;
                check_period(period, &format!("{m}.Period"))?;
                (Kind::Insights(parsed), period)
            }
            (None, Some(e)) => {
                let parsed = math::parse(e).map_err(|why| {
                    validation(format!("Error in expression {id}: {why}"))
                })?;
                let period = q.get("Period").and_then(Value::as_i64).unwrap_or(0);
                (Kind::Expression(parsed), period)
            }
        };
        out.push(Query {
            id: id.to_string(),
            label: q.get("Label").and_then(Value::as_str).map(String::from),
            return_data: q.get("ReturnData").and_then(Value::as_bool).unwrap_or(true),
            kind,
            period,
        });
    }
    Ok(out)
}

struct Run<'a> {
    svc: &'a CloudWatchService,
    scope: Scope<'a>,
    queries: &'a [Query],
    start: i64,
    end: i64,
    period: i64,
    grid: Vec<i64>,
    done: HashMap<String, Vec<Series>>,
    visiting: Vec<String>,
}

impl Run<'_> {
    fn query(&mut self, id: &str) -> Result<Option<Vec<Series>>, String> {
        if let Some(v) = self.done.get(id) {
            return Ok(Some(v.clone()));
        }
        let Some(q) = self.queries.iter().find(|q| q.id == id).cloned() else {
            return Ok(None);
        };
        if self.visiting.iter().any(|v| v == id) {
            return Err(format!("Circular dependency involving {id}"));
        }
        self.visiting.push(id.to_string());
        let label = |default: &str| q.label.clone().unwrap_or_else(|| default.to_string());
        let series = match &q.kind {
            Kind::Metric {
                id: mid,
                stat,
                unit,
                ..
            } => {
                let buckets = read_buckets(
                    self.svc,
                    self.scope,
                    mid,
                    Window {
                        start_ms: self.start,
                        end_ms: self.end,
                        period_s: q.period,
                    },
                    *unit,
                    stat.needs_values(),
                )
                .map_err(|e| e.message)?;
                let points = buckets
                    .into_iter()
                    .filter_map(|(t, mut a)| a.stat(stat).map(|v| (t, v)))
                    .collect();
                vec![Series {
                    label: label(&mid.name),
                    points,
                }]
            }
            Kind::Insights(sql) => {
                self.insights(sql, q.period, Some(q.label.as_deref().unwrap_or(&q.id)))?
            }
            Kind::Expression(e) => {
                let v = math::eval(e, self)?;
                match v {
                    Val::Series(s) => vec![Series {
                        label: q.label.clone().unwrap_or(if s.label.is_empty() {
                            q.id.clone()
                        } else {
                            s.label
                        }),
                        points: s.points,
                    }],
                    Val::Array(ss) => ss
                        .into_iter()
                        .map(|s| Series {
                            label: q
                                .label
                                .clone()
                                .map_or(s.label.clone(), |l| format!("{l} {}", s.label)),
                            points: s.points,
                        })
                        .collect(),
                    Val::Scalar(x) => vec![Series {
                        label: label(&q.id),
                        points: if x.is_finite() {
                            self.grid.iter().map(|t| (*t, x)).collect()
                        } else {
                            Vec::new()
                        },
                    }],
                    Val::Text(_) => {
                        return Err("The expression must give a number or a time series".into())
                    }
                }
            }
        };
        self.visiting.pop();
        self.done.insert(id.to_string(), series.clone());
        Ok(Some(series))
    }
}

impl Run<'_> {
    /// A Metrics Insights query's series, one per group.
    fn insights(
        &mut self,
        sql: &crate::insights::Sql,
        period: i64,
        label: Option<&str>,
    ) -> Result<Vec<Series>, String> {
        let found = self
            .svc
            .metrics
            .scan_prefix(&self.scope.prefix())
            .map_err(|e| e.to_string())?;
        let mut groups: std::collections::BTreeMap<
            Vec<String>,
            std::collections::BTreeMap<i64, crate::stats::Agg>,
        > = Default::default();
        for (_, r) in found.into_iter().filter(|(_, r)| sql.selects(&r.id)) {
            let w = Window {
                start_ms: self.start,
                end_ms: self.end,
                period_s: period,
            };
            let buckets =
                read_buckets(self.svc, self.scope, &r.id, w, None, false).map_err(|e| e.message)?;
            let group = groups.entry(sql.group_of(&r.id)).or_default();
            for (t, a) in buckets {
                crate::insights::merge(group.entry(t).or_default(), &a);
            }
        }
        let mut series: Vec<(Option<f64>, Series)> = groups
            .into_iter()
            .map(|(key, buckets)| {
                let mut all = crate::stats::Agg::default();
                for a in buckets.values() {
                    crate::insights::merge(&mut all, a);
                }
                let name = if key.is_empty() {
                    label.unwrap_or_default().to_string()
                } else {
                    key.join(" ")
                };
                let points = buckets
                    .iter()
                    .filter_map(|(t, a)| sql.value(a).map(|v| (*t, v)))
                    .collect();
                (
                    sql.value(&all),
                    Series {
                        label: name,
                        points,
                    },
                )
            })
            .collect();
        if let Some(desc) = sql.order {
            series.sort_by(|a, b| {
                let (x, y) = (a.0.unwrap_or(f64::NAN), b.0.unwrap_or(f64::NAN));
                let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                if desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        // AWS returns at most 500 time series from one query.
        let keep = sql.limit.unwrap_or(500).min(500);
        Ok(series.into_iter().take(keep).map(|(_, s)| s).collect())
    }
}

impl Env for Run<'_> {
    fn lookup(&mut self, id: &str) -> Result<Option<Val>, String> {
        Ok(self.query(id)?.map(|mut ss| {
            if ss.len() == 1 {
                Val::Series(ss.remove(0))
            } else {
                Val::Array(ss)
            }
        }))
    }

    fn metrics(&mut self) -> Result<Vec<(String, Series)>, String> {
        let ids: Vec<String> = self
            .queries
            .iter()
            .filter(|q| matches!(q.kind, Kind::Metric { .. }))
            .map(|q| q.id.clone())
            .collect();
        let mut out = Vec::new();
        for id in ids {
            for s in self.query(&id)?.unwrap_or_default() {
                out.push((id.clone(), s));
            }
        }
        Ok(out)
    }

    fn grid(&self) -> &[i64] {
        &self.grid
    }

    fn period(&self) -> i64 {
        self.period
    }

    fn excluded(&mut self, id: &str) -> Vec<(i64, i64)> {
        match self.queries.iter().find(|q| q.id == id).map(|q| &q.kind) {
            Some(Kind::Metric {
                id: mid, stat_name, ..
            }) => self.svc.excluded_ranges(self.scope, mid, stat_name),
            _ => Vec::new(),
        }
    }

    fn search(&mut self, text: &str, stat: &str, period: i64) -> Result<Vec<Series>, String> {
        let search = crate::search::parse(text)?;
        let stat = Stat::parse(stat).ok_or_else(|| format!("Invalid statistic {stat}"))?;
        let found = self
            .svc
            .metrics
            .scan_prefix(&self.scope.prefix())
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        // AWS returns at most 500 time series from one SEARCH.
        for (_, r) in found
            .into_iter()
            .filter(|(_, r)| search.matches(&r.id))
            .take(500)
        {
            let w = Window {
                start_ms: self.start,
                end_ms: self.end,
                period_s: period,
            };
            let buckets = read_buckets(self.svc, self.scope, &r.id, w, None, stat.needs_values())
                .map_err(|e| e.message)?;
            out.push(Series {
                label: crate::search::label(&r.id),
                points: buckets
                    .into_iter()
                    .filter_map(|(t, mut a)| a.stat(&stat).map(|v| (t, v)))
                    .collect(),
            });
        }
        Ok(out)
    }
}

/// Runs `queries` over `[start, end)`: every query's series (expressions
/// after the queries they name), in request order. `start` is already
/// aligned.
pub(crate) fn run(
    svc: &CloudWatchService,
    scope: Scope<'_>,
    queries: &[Query],
    start: i64,
    end: i64,
) -> Result<Vec<Answer>, AwsError> {
    let period = queries
        .iter()
        .filter(|q| q.period > 0)
        .map(|q| q.period)
        .min()
        .unwrap_or(60);
    let mut grid = Vec::new();
    let mut t = start;
    while t < end && grid.len() < DEFAULT_MAX_DATAPOINTS {
        grid.push(t);
        t += period * 1000;
    }
    let mut r = Run {
        svc,
        scope,
        queries,
        start,
        end,
        period,
        grid,
        done: HashMap::new(),
        visiting: Vec::new(),
    };
    let mut out = Vec::new();
    for q in queries {
        let series = r
            .query(&q.id)
            .map_err(|why| validation(format!("Error in expression {}: {why}", q.id)))?
            .unwrap_or_default();
        for s in series {
            out.push(Answer {
                id: q.id.clone(),
                label: s.label,
                points: s.points,
                return_data: q.return_data,
            });
        }
    }
    Ok(out)
}

/// `GetMetricData`.
pub(crate) fn get_metric_data(
    svc: &CloudWatchService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let list = input
        .get("MetricDataQueries")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if list.is_empty() {
        return Err(missing("MetricDataQueries"));
    }
    let queries = parse_queries(list, "MetricDataQueries")?;
    let start = time_ms(input, "StartTime").ok_or_else(|| missing("StartTime"))?;
    let end = time_ms(input, "EndTime").ok_or_else(|| missing("EndTime"))?;
    if start >= end {
        return Err(validation(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    let ascending = match input.get("ScanBy").and_then(Value::as_str) {
        None | Some("TimestampDescending") => false,
        Some("TimestampAscending") => true,
        Some(v) => {
            return Err(invalid(format!(
                "The value {v} for parameter ScanBy is invalid."
            )))
        }
    };
    if let Some(tz) = input
        .get("LabelOptions")
        .and_then(|l| l.get("Timezone"))
        .and_then(Value::as_str)
    {
        let b = tz.as_bytes();
        let ok = b.len() == 5
            && (b[0] == b'+' || b[0] == b'-')
            && b[1..].iter().all(u8::is_ascii_digit)
            && tz[1..3].parse::<u32>().is_ok_and(|h| h <= 23)
            && tz[3..].parse::<u32>().is_ok_and(|m| m <= 59);
        if !ok {
            return Err(invalid(format!(
                "The value {tz} for parameter LabelOptions.Timezone is invalid."
            )));
        }
    }
    let max_points = input
        .get("MaxDatapoints")
        .and_then(Value::as_i64)
        .map_or(DEFAULT_MAX_DATAPOINTS, |n| n.max(1) as usize);
    let now = ctx.clock.now_millis();
    let period = queries
        .iter()
        .filter(|q| q.period > 0)
        .map(|q| q.period)
        .min()
        .unwrap_or(60);
    let aligned = stats::align_start(start, now, period);
    let serves = stats::period_serves(start, now, period);
    let answers = if serves {
        run(svc, Scope::regional(ctx), &queries, aligned, end)?
    } else {
        queries
            .iter()
            .map(|q| Answer {
                id: q.id.clone(),
                label: q.label.clone().unwrap_or_else(|| q.id.clone()),
                points: Vec::new(),
                return_data: q.return_data,
            })
            .collect()
    };
    // Paging: the token is how many datapoints earlier pages returned.
    let skip = match input.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => gureum_kit::paging::decode_token(t)
            .ok()
            .and_then(|s| s.strip_prefix("gmd:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or(CloudWatchError::BadToken)?,
    };
    let mut seen = 0usize;
    let mut budget = max_points;
    let mut truncated = false;
    let mut results = Vec::new();
    for a in answers.into_iter().filter(|a| a.return_data) {
        let mut pts = a.points;
        if !ascending {
            pts.reverse();
        }
        let total = pts.len();
        let from = skip.saturating_sub(seen).min(total);
        seen += total;
        let take = (total - from).min(budget);
        budget -= take;
        let status = if from + take < total {
            truncated = true;
            "PartialData"
        } else {
            "Complete"
        };
        let slice = &pts[from..from + take];
        results.push(json!({
            "Id": a.id,
            "Label": a.label,
            "Timestamps": slice.iter().map(|(t, _)| wire_time(*t)).collect::<Vec<_>>(),
            "Values": slice.iter().map(|(_, v)| json!(v)).collect::<Vec<_>>(),
            "StatusCode": status,
            "Messages": [],
        }));
    }
    let mut out = Map::new();
    out.insert("MetricDataResults".into(), Value::Array(results));
    out.insert("Messages".into(), json!([]));
    if truncated {
        let next = skip + max_points;
        out.insert(
            "NextToken".into(),
            json!(gureum_kit::paging::encode_token(&format!("gmd:{next}"))),
        );
    }
    Ok(Value::Object(out))
}
