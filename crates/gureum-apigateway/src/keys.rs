//! API keys and usage plans, and the usage the data plane counts against
//! their quotas and throttles.

use crate::errors::{bad_request, ApigatewayError};
use crate::{copy_members, new_id, new_short_id, page_by_position, str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// A usage plan as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UsagePlan {
    /// The plan as `GetUsagePlan` answers it.
    pub info: Value,
    /// The ids of its API keys.
    pub keys: BTreeSet<String>,
}

/// Requests counted per plan and key: the quota's period and count, and
/// the throttle's token bucket.
#[derive(Default)]
pub struct Usage(parking_lot::Mutex<HashMap<(String, String), Counter>>);

#[derive(Default)]
struct Counter {
    period: i64,
    count: i64,
    tokens: f64,
    refilled_ms: i64,
}

impl Usage {
    /// Forgets every count.
    pub fn clear(&self) {
        self.0.lock().clear();
    }

    /// Counts one request of `key` under `plan` at `now_ms`: `Err` with
    /// the refusal's message when the quota or throttle is exceeded.
    pub fn admit(
        &self,
        plan: &Value,
        plan_id: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<(), &'static str> {
        let mut all = self.0.lock();
        let c = all
            .entry((plan_id.to_string(), key.to_string()))
            .or_default();
        if let Some(rate) = plan.pointer("/throttle/rateLimit").and_then(Value::as_f64) {
            let burst = plan
                .pointer("/throttle/burstLimit")
                .and_then(Value::as_f64)
                .unwrap_or(rate)
                .max(1.0);
            if c.refilled_ms == 0 {
                c.tokens = burst;
            } else {
                c.tokens = (c.tokens + rate * (now_ms - c.refilled_ms) as f64 / 1000.0).min(burst);
            }
            c.refilled_ms = now_ms;
            if c.tokens < 1.0 {
                return Err("Too Many Requests");
            }
            c.tokens -= 1.0;
        }
        if let Some(limit) = plan.pointer("/quota/limit").and_then(Value::as_i64) {
            let period = period_of(
                plan.pointer("/quota/period")
                    .and_then(Value::as_str)
                    .unwrap_or("DAY"),
                now_ms,
            );
            if c.period != period {
                c.period = period;
                c.count = 0;
            }
            if c.count >= limit {
                return Err("Limit Exceeded");
            }
            c.count += 1;
        }
        Ok(())
    }
}

/// The quota period `now_ms` falls in (UTC days, weeks from Monday, months).
fn period_of(kind: &str, now_ms: i64) -> i64 {
    let days = now_ms.div_euclid(86_400_000);
    match kind {
        // 1970-01-01 was a Thursday: shift so weeks start on Monday.
        "WEEK" => (days + 3).div_euclid(7),
        "MONTH" => {
            let (year, month, _) = gureum_core::timestamp::civil_from_days(days);
            year * 12 + i64::from(month)
        }
        _ => days,
    }
}

/// A random key value: 40 alphanumerics.
fn new_key_value() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..40)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A key as answered: its value only when asked for.
fn shown(mut key: Value, include_value: bool) -> Value {
    if !include_value {
        key.as_object_mut().map(|k| k.remove("value"));
    }
    key
}

impl ApigatewayService {
    /// `CreateApiKey`.
    pub(crate) fn create_api_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let value = match input.get("value").and_then(Value::as_str) {
            Some(v) if v.len() < 20 => {
                return Err(bad_request(
                    "API Key value should be at least 20 characters",
                ))
            }
            Some(v) => v.to_string(),
            None => new_key_value(),
        };
        // `generateDistinctId` has no effect on AWS either: ids are always
        // distinct.
        let _ = input.get("generateDistinctId");
        let stage_keys: Vec<Value> = input
            .get("stageKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|k| {
                json!(format!(
                    "{}/{}",
                    str_member(k, "restApiId"),
                    str_member(k, "stageName")
                ))
            })
            .collect();
        let id = new_id();
        let now = ctx.clock.now_secs();
        let mut key = json!({
            "id": id,
            "value": value,
            "enabled": input.get("enabled").and_then(Value::as_bool).unwrap_or(false),
            "createdDate": now,
            "lastUpdatedDate": now,
            "stageKeys": stage_keys,
        });
        copy_members(&input, &mut key, &["name", "description", "customerId"]);
        if let Some(tags) = input
            .get("tags")
            .filter(|t| t.as_object().is_some_and(|m| !m.is_empty()))
        {
            key["tags"] = tags.clone();
        }
        let scope = Scope::regional(ctx);
        let table = self.api_keys.clone();
        let prefix = scope.prefix();
        self.store.write(|txn| {
            let taken = txn
                .scan_prefix(&table, &prefix)
                .map_err(AwsError::from)?
                .iter()
                .any(|(_, k)| k["value"].as_str() == Some(value.as_str()));
            if taken {
                return Err(gureum_core::AwsError::from(ApigatewayError::BadRequest {
                    message: "API Key value already exists".into(),
                }));
            }
            txn.put(&table, &scope.key(&id), &key)
                .map_err(AwsError::from)
        })?;
        Ok(key)
    }

    /// `GetApiKey`.
    pub(crate) fn get_api_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key = Scope::regional(ctx).key(str_member(&input, "apiKey"));
        let k = self
            .api_keys
            .get(&key)
            .map_err(AwsError::from)?
            .ok_or(ApigatewayError::ApiKeyNotFound)?;
        Ok(shown(
            k,
            input
                .get("includeValue")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ))
    }

    /// `GetApiKeys`.
    pub(crate) fn get_api_keys(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let include = input
            .get("includeValues")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let name = input.get("nameQuery").and_then(Value::as_str);
        let items: Vec<Value> = self
            .api_keys
            .scan_prefix(&Scope::regional(ctx).prefix())
            .map_err(AwsError::from)?
            .into_iter()
            .map(|(_, k)| k)
            .filter(|k| name.is_none_or(|n| k["name"].as_str().is_some_and(|kn| kn.starts_with(n))))
            .map(|k| shown(k, include))
            .collect();
        page_by_position(items, &input)
    }

    /// `DeleteApiKey`.
    pub(crate) fn delete_api_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key = Scope::regional(ctx).key(str_member(&input, "apiKey"));
        if !self.api_keys.delete(&key).map_err(AwsError::from)? {
            return Err(ApigatewayError::ApiKeyNotFound.into());
        }
        Ok(json!({}))
    }

    /// `CreateUsagePlan`: its API stages must exist.
    pub(crate) fn create_usage_plan(&self, ctx: &RequestContext, input: Value) -> OpResult {
        for stage in input
            .get("apiStages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (api, name) = (str_member(stage, "apiId"), str_member(stage, "stage"));
            let key = format!("{}/{name}", Scope::regional(ctx).key(api));
            if self.stages.get(&key).map_err(AwsError::from)?.is_none() {
                return Err(bad_request(format!(
                    "Invalid API Stage {{api: {api}, stage: {name}}} specified"
                )));
            }
        }
        if let Some(p) = input.pointer("/quota/period").and_then(Value::as_str) {
            if !matches!(p, "DAY" | "WEEK" | "MONTH") {
                return Err(bad_request(format!("Invalid quota period specified: {p}")));
            }
        }
        let id = new_short_id();
        let mut info = json!({"id": id, "name": str_member(&input, "name"), "apiStages": input.get("apiStages").cloned().unwrap_or(json!([]))});
        copy_members(&input, &mut info, &["description", "throttle", "quota"]);
        if let Some(tags) = input
            .get("tags")
            .filter(|t| t.as_object().is_some_and(|m| !m.is_empty()))
        {
            info["tags"] = tags.clone();
        }
        let plan = UsagePlan {
            info: info.clone(),
            keys: BTreeSet::new(),
        };
        self.usage_plans
            .put(&Scope::regional(ctx).key(&id), &plan)
            .map_err(AwsError::from)?;
        Ok(info)
    }

    /// `GetUsagePlan`.
    pub(crate) fn get_usage_plan(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key = Scope::regional(ctx).key(str_member(&input, "usagePlanId"));
        let plan = self
            .usage_plans
            .get(&key)
            .map_err(AwsError::from)?
            .ok_or(ApigatewayError::UsagePlanNotFound)?;
        Ok(plan.info)
    }

    /// `GetUsagePlans`, optionally those holding `keyId`.
    pub(crate) fn get_usage_plans(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key_id = input.get("keyId").and_then(Value::as_str);
        let items = self
            .usage_plans
            .scan_prefix(&Scope::regional(ctx).prefix())
            .map_err(AwsError::from)?
            .into_iter()
            .filter(|(_, p)| key_id.is_none_or(|k| p.keys.contains(k)))
            .map(|(_, p)| p.info)
            .collect();
        page_by_position(items, &input)
    }

    /// `DeleteUsagePlan`.
    pub(crate) fn delete_usage_plan(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let key = Scope::regional(ctx).key(str_member(&input, "usagePlanId"));
        if !self.usage_plans.delete(&key).map_err(AwsError::from)? {
            return Err(ApigatewayError::UsagePlanNotFound.into());
        }
        Ok(json!({}))
    }

    /// `CreateUsagePlanKey`: an existing API key joins the plan.
    pub(crate) fn create_usage_plan_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let scope = Scope::regional(ctx);
        let plan_key = scope.key(str_member(&input, "usagePlanId"));
        let key_id = str_member(&input, "keyId");
        if str_member(&input, "keyType") != "API_KEY" {
            return Err(bad_request(format!(
                "Invalid key type specified: {}",
                str_member(&input, "keyType")
            )));
        }
        let (plans, keys) = (self.usage_plans.clone(), self.api_keys.clone());
        self.store.write(|txn| {
            let mut plan = txn
                .get(&plans, &plan_key)
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::UsagePlanNotFound)?;
            let key = txn
                .get(&keys, &scope.key(key_id))
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::ApiKeyNotFound)?;
            if !plan.keys.insert(key_id.to_string()) {
                return Err(ApigatewayError::UsagePlanKeyExists.into());
            }
            txn.put(&plans, &plan_key, &plan).map_err(AwsError::from)?;
            Ok(plan_key_json(&key))
        })
    }

    /// `GetUsagePlanKeys`.
    pub(crate) fn get_usage_plan_keys(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let scope = Scope::regional(ctx);
        let key = scope.key(str_member(&input, "usagePlanId"));
        let plan = self
            .usage_plans
            .get(&key)
            .map_err(AwsError::from)?
            .ok_or(ApigatewayError::UsagePlanNotFound)?;
        let mut items = Vec::new();
        for id in &plan.keys {
            if let Some(k) = self.api_keys.get(&scope.key(id)).map_err(AwsError::from)? {
                items.push(plan_key_json(&k));
            }
        }
        page_by_position(items, &input)
    }

    /// `GetUsagePlanKey`.
    pub(crate) fn get_usage_plan_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let scope = Scope::regional(ctx);
        let plan = self
            .usage_plans
            .get(&scope.key(str_member(&input, "usagePlanId")))
            .map_err(AwsError::from)?
            .ok_or(ApigatewayError::UsagePlanNotFound)?;
        let key_id = str_member(&input, "keyId");
        if !plan.keys.contains(key_id) {
            return Err(ApigatewayError::UsagePlanKeyNotFound.into());
        }
        match self
            .api_keys
            .get(&scope.key(key_id))
            .map_err(AwsError::from)?
        {
            Some(k) => Ok(plan_key_json(&k)),
            None => Err(ApigatewayError::UsagePlanKeyNotFound.into()),
        }
    }

    /// `DeleteUsagePlanKey`.
    pub(crate) fn delete_usage_plan_key(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let plan_key = Scope::regional(ctx).key(str_member(&input, "usagePlanId"));
        let key_id = str_member(&input, "keyId");
        let plans = self.usage_plans.clone();
        self.store.write(|txn| {
            let mut plan = txn
                .get(&plans, &plan_key)
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::UsagePlanNotFound)?;
            if !plan.keys.remove(key_id) {
                return Err(ApigatewayError::UsagePlanKeyNotFound.into());
            }
            txn.put(&plans, &plan_key, &plan).map_err(AwsError::from)?;
            Ok(json!({}))
        })
    }

    /// Whether the API key `value` (from `x-api-key`) may call `api_id`'s
    /// `stage` in the scope `prefix`, counting the request against its
    /// usage plan: `Err` with the refusal (status and message).
    pub(crate) fn admit_key(
        &self,
        prefix: &str,
        api_id: &str,
        stage: &str,
        value: Option<&str>,
        now_ms: i64,
    ) -> Result<Option<String>, (u16, &'static str)> {
        let forbidden = (403, "Forbidden");
        let value = value.ok_or(forbidden)?;
        let keys = self.api_keys.scan_prefix(prefix).map_err(|_| forbidden)?;
        let (key_key, key) = keys
            .into_iter()
            .find(|(_, k)| k["value"].as_str() == Some(value))
            .ok_or(forbidden)?;
        if key["enabled"].as_bool() != Some(true) {
            return Err(forbidden);
        }
        let key_id = key_key.rsplit('/').next().unwrap_or_default().to_string();
        let plans = self
            .usage_plans
            .scan_prefix(prefix)
            .map_err(|_| forbidden)?;
        let (plan_key, plan) = plans
            .into_iter()
            .find(|(_, p)| {
                p.keys.contains(&key_id)
                    && p.info["apiStages"].as_array().is_some_and(|s| {
                        s.iter().any(|s| {
                            s["apiId"].as_str() == Some(api_id)
                                && s["stage"].as_str() == Some(stage)
                        })
                    })
            })
            .ok_or(forbidden)?;
        let plan_id = plan_key.rsplit('/').next().unwrap_or_default();
        self.usage
            .admit(&plan.info, plan_id, &key_id, now_ms)
            .map_err(|m| (429, m))?;
        Ok(Some(key_id))
    }
}

/// A usage plan key as `CreateUsagePlanKey` answers it.
fn plan_key_json(key: &Value) -> Value {
    let mut out = json!({"id": key["id"], "type": "API_KEY", "value": key["value"]});
    if let Some(n) = key.get("name") {
        out["name"] = n.clone();
    }
    out
}
