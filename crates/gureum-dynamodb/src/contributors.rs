//! CloudWatch Contributor Insights for DynamoDB: `UpdateContributorInsights`,
//! `DescribeContributorInsights`, `ListContributorInsights`, and the
//! figures behind AWS's four rules (most accessed partition keys `PKC`,
//! partition and sort keys `SKC`, and the throttled ones `PKT`/`SKT`).
//!
//! Counting is exact, per minute: every item request on a table (or a
//! Query on a global index) with insights on adds one access to its key
//! in memory; the ticker adds those counts into the minute's stored
//! bucket (`dynamodb.insight_counts`), kept 24 hours. Gureum never
//! throttles, so the throttled rules stay empty. Gureum's CloudWatch has
//! no `GetInsightRuleReport`: the top keys of the last hour are read from
//! `GET /_gureum/health` (`endpoints.dynamodb.contributor_insights`).

use crate::errors::{validation, DynamoError};
use crate::value::AttrValue;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// How long minute buckets are kept, ms.
const KEEP_MS: i64 = 24 * 3600 * 1000;
/// How many minutes the report covers.
const REPORT_MINUTES: i64 = 60;
/// How many contributors a rule reports.
const TOP: usize = 10;
/// Separates the partition and sort key of an `SKC` contributor.
const SEP: char = '\u{1f}';

/// Contributor Insights on a table or index (`dynamodb.insights`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// Whether it is on.
    pub enabled: bool,
    /// `ACCESSED_AND_THROTTLED_KEYS` or `THROTTLED_KEYS`.
    pub mode: String,
    /// When the status last changed, epoch ms.
    pub updated_ms: i64,
    /// When it was enabled (the rules' names end with it).
    pub stamp_ms: i64,
    /// Whether the table or index has a sort key (the `SK` rules).
    pub sorted: bool,
}

impl Setting {
    /// The names of the CloudWatch rules AWS creates for it.
    fn rules(&self, table: &str, index: Option<&str>) -> Vec<String> {
        let what = match index {
            Some(i) => format!("{table}/index/{i}"),
            None => table.to_string(),
        };
        let mut kinds = vec![];
        if self.mode != "THROTTLED_KEYS" {
            kinds.push("PKC");
            if self.sorted {
                kinds.push("SKC");
            }
        }
        kinds.push("PKT");
        if self.sorted {
            kinds.push("SKT");
        }
        kinds
            .iter()
            .map(|k| format!("DynamoDBContributorInsights-{k}-{what}-{}", self.stamp_ms))
            .collect()
    }
}

/// Counts not yet stored and the settings of what is counted.
#[derive(Default)]
pub(crate) struct Counter {
    /// `account/region/table[/index]` → whether accesses are counted.
    pub(crate) on: parking_lot::RwLock<Option<HashMap<String, bool>>>,
    /// `(setting key, minute)` → contributor → accesses.
    pending: parking_lot::Mutex<HashMap<(String, i64), HashMap<String, u64>>>,
}

/// A key value as the rules report it.
fn text(v: &AttrValue) -> String {
    match crate::value::item_to_json(&[("k".to_string(), v.clone())].into_iter().collect())["k"]
        .as_object()
        .and_then(|o| o.values().next().cloned())
    {
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

impl DynamoDbService {
    /// Counts one access to `(h, r)` of the table or index at `key`
    /// (`account/region/table[/index]`), if its insights are on.
    pub(crate) fn contribute(&self, key: &str, h: &AttrValue, r: Option<&AttrValue>, now_ms: i64) {
        {
            let on = self.insights.on.read();
            if let Some(map) = on.as_ref() {
                if map.get(key) != Some(&true) {
                    return;
                }
            } else {
                drop(on);
                self.load_insights();
                if self.insights.on.read().as_ref().and_then(|m| m.get(key)) != Some(&true) {
                    return;
                }
            }
        }
        let minute = now_ms.div_euclid(60_000);
        let mut pending = self.insights.pending.lock();
        let bucket = pending.entry((key.to_string(), minute)).or_default();
        let pk = text(h);
        if let Some(r) = r {
            *bucket
                .entry(format!("SKC{pk}{SEP}{}", text(r)))
                .or_default() += 1;
        }
        *bucket.entry(format!("PKC{pk}")).or_default() += 1;
    }

    /// Reads which tables and indexes count accesses.
    fn load_insights(&self) {
        let map: HashMap<String, bool> = self
            .s
            .insights
            .scan_prefix("")
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.enabled && v.mode != "THROTTLED_KEYS"))
            .collect();
        *self.insights.on.write() = Some(map);
    }

    /// Adds the counts of the last second into their stored minute
    /// buckets and drops buckets older than a day.
    pub fn flush_insights(&self, now_ms: i64) -> Result<(), AwsError> {
        let pending = std::mem::take(&mut *self.insights.pending.lock());
        if pending.is_empty() {
            return Ok(());
        }
        let oldest = (now_ms - KEEP_MS).div_euclid(60_000);
        let mut expired = vec![];
        for (key, _) in pending.keys() {
            let old = self.s.insight_counts.scan_range(
                &format!("{key}/"),
                Some(&format!("{key}/{oldest:012}")),
                usize::MAX,
            )?;
            // Only this key's own buckets, not its indexes'.
            expired.extend(
                old.into_iter()
                    .map(|(k, _)| k)
                    .filter(|k| !k[key.len() + 1..].contains('/')),
            );
        }
        self.s.store.write(|txn| -> Result<(), AwsError> {
            for ((key, minute), counts) in &pending {
                let bkey = format!("{key}/{minute:012}");
                let mut stored: BTreeMap<String, u64> =
                    txn.get(&self.s.insight_counts, &bkey)?.unwrap_or_default();
                for (c, n) in counts {
                    *stored.entry(c.clone()).or_default() += n;
                }
                txn.put(&self.s.insight_counts, &bkey, &stored)?;
            }
            for k in &expired {
                txn.delete(&self.s.insight_counts, k)?;
            }
            Ok(())
        })
    }

    /// The setting key of a request's table and optional index, checked.
    fn insight_target(
        &self,
        ctx: &RequestContext,
        input: &Value,
    ) -> Result<(String, String, Option<String>, bool), AwsError> {
        let name = s(input, "TableName").unwrap_or_default();
        let (tkey, meta) = self.meta(ctx, name, true)?;
        match s(input, "IndexName") {
            None => Ok((tkey, meta.name.clone(), None, meta.keys.range.is_some())),
            Some(i) => {
                let Some(idx) = meta.gsis.iter().find(|g| g.name == i) else {
                    return Err(DynamoError::Missing {
                        message: format!("Requested resource not found: Index: {i} not found"),
                    }
                    .into());
                };
                Ok((
                    format!("{tkey}/{i}"),
                    meta.name.clone(),
                    Some(i.to_string()),
                    idx.keys.range.is_some(),
                ))
            }
        }
    }

    /// `UpdateContributorInsights`.
    pub(crate) fn update_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (key, table, index, sorted) = self.insight_target(ctx, &input)?;
        let action = s(&input, "ContributorInsightsAction").unwrap_or_default();
        let mode = s(&input, "ContributorInsightsMode")
            .unwrap_or("ACCESSED_AND_THROTTLED_KEYS")
            .to_string();
        let now = ctx.clock.now_millis();
        let enable = match action {
            "ENABLE" => true,
            "DISABLE" => false,
            other => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'contributorInsightsAction' failed to satisfy constraint: Member must satisfy enum value set: [ENABLE, DISABLE]"
                )))
            }
        };
        let setting = self.s.store.write(|txn| -> Result<Setting, AwsError> {
            let old = txn.get(&self.s.insights, &key)?;
            let stamp_ms = match &old {
                Some(o) if o.enabled => o.stamp_ms,
                _ => now,
            };
            let st = Setting {
                enabled: enable,
                mode: mode.clone(),
                updated_ms: now,
                stamp_ms,
                sorted,
            };
            txn.put(&self.s.insights, &key, &st)?;
            Ok(st)
        })?;
        self.load_insights();
        let mut out = json!({
            "TableName": table,
            "ContributorInsightsStatus": if enable { "ENABLING" } else { "DISABLING" },
            "ContributorInsightsMode": setting.mode,
        });
        if let Some(i) = index {
            out["IndexName"] = json!(i);
        }
        Ok(out)
    }

    /// `DescribeContributorInsights`.
    pub(crate) fn describe_contributor_insights(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (key, table, index, _) = self.insight_target(ctx, &input)?;
        let mut out = json!({"TableName": table, "ContributorInsightsStatus": "DISABLED"});
        if let Some(i) = &index {
            out["IndexName"] = json!(i);
        }
        if let Some(st) = self.s.insights.get(&key)? {
            out["ContributorInsightsStatus"] =
                json!(if st.enabled { "ENABLED" } else { "DISABLED" });
            out["LastUpdateDateTime"] = json!(st.updated_ms as f64 / 1000.0);
            out["ContributorInsightsMode"] = json!(st.mode);
            if st.enabled {
                out["ContributorInsightsRuleList"] = json!(st.rules(&table, index.as_deref()));
            }
        }
        Ok(out)
    }

    /// `ListContributorInsights`: the tables and indexes whose insights
    /// were ever turned on, `MaxResults` (1–100) at a time.
    pub(crate) fn list_contributor_insights(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let max = input
            .get("MaxResults")
            .and_then(Value::as_i64)
            .unwrap_or(100);
        if !(1..=100).contains(&max) {
            return Err(validation(format!(
                "1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"
            )));
        }
        let prefix = match s(&input, "TableName") {
            Some(t) => {
                let (tkey, _) = self.meta(ctx, t, true)?;
                tkey
            }
            None => Scope::regional(ctx).prefix(),
        };
        let after = s(&input, "NextToken").map(String::from);
        let rows =
            self.s
                .insights
                .scan_prefix_after(&prefix, after.as_deref(), max as usize + 1)?;
        let scope = Scope::regional(ctx).prefix();
        let mut list = vec![];
        for (k, st) in rows.iter().take(max as usize) {
            let rest = &k[scope.len()..];
            let (table, index) = match rest.split_once('/') {
                Some((t, i)) => (t, Some(i)),
                None => (rest, None),
            };
            if s(&input, "TableName").is_some()
                && k != &prefix
                && !k.starts_with(&format!("{prefix}/"))
            {
                continue;
            }
            let mut v = json!({
                "TableName": table,
                "ContributorInsightsStatus": if st.enabled { "ENABLED" } else { "DISABLED" },
                "ContributorInsightsMode": st.mode,
            });
            if let Some(i) = index {
                v["IndexName"] = json!(i);
            }
            list.push(v);
        }
        let mut out = json!({ "ContributorInsightsSummaries": list });
        if rows.len() > max as usize {
            if let Some((k, _)) = rows.get(max as usize - 1) {
                out["NextToken"] = json!(k);
            }
        }
        Ok(out)
    }

    /// What Gureum's health endpoint shows of DynamoDB: every enabled
    /// Contributor Insights rule with its top keys over the last hour.
    pub fn endpoints(&self, now_ms: i64) -> Value {
        let _ = self.flush_insights(now_ms);
        let mut rules = vec![];
        let from = (now_ms.div_euclid(60_000) - REPORT_MINUTES + 1).max(0);
        for (key, st) in self.s.insights.scan_prefix("").unwrap_or_default() {
            if !st.enabled {
                continue;
            }
            let mut it = key.splitn(4, '/');
            let (account, region) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
            let table = it.next().unwrap_or("");
            let index = it.next();
            let mut sums: BTreeMap<String, u64> = BTreeMap::new();
            let buckets = self
                .s
                .insight_counts
                .scan_range(
                    &format!("{key}/{from:012}"),
                    Some(&format!("{key}0")),
                    usize::MAX,
                )
                .unwrap_or_default();
            for (bkey, counts) in buckets {
                // Another index's buckets share the prefix up to the name.
                if bkey[key.len() + 1..].contains('/') {
                    continue;
                }
                for (c, n) in counts {
                    *sums.entry(c).or_default() += n;
                }
            }
            for rule in st.rules(table, index) {
                let kind = rule["DynamoDBContributorInsights-".len()..][..3].to_string();
                let mut top: Vec<(&String, &u64)> =
                    sums.iter().filter(|(c, _)| c.starts_with(&kind)).collect();
                top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                let contributors: Vec<Value> = top
                    .iter()
                    .take(TOP)
                    .map(|(c, n)| {
                        let keys: Vec<&str> = c[3..].split(SEP).collect();
                        json!({"Keys": keys, "ApproximateAggregateValue": n})
                    })
                    .collect();
                rules.push(json!({
                    "AccountId": account,
                    "Region": region,
                    "TableName": table,
                    "IndexName": index,
                    "RuleName": rule,
                    "Contributors": contributors,
                }));
            }
        }
        json!({ "contributor_insights": rules })
    }
}
