//! Tags on REST APIs, stages, API keys and usage plans, by ARN
//! (`arn:aws:apigateway:REGION::/restapis/ID[/stages/NAME]`,
//! `…::/apikeys/ID`, `…::/usageplans/ID`).

use crate::errors::ApigatewayError;
use crate::{str_member, ApigatewayService};
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;

/// What a tag ARN names.
enum Target<'a> {
    Api(&'a str),
    Stage(&'a str, &'a str),
    ApiKey(&'a str),
    UsagePlan(&'a str),
}

fn target<'a>(ctx: &RequestContext, arn: &'a str) -> Result<Target<'a>, AwsError> {
    let not_found = || {
        ApigatewayError::ArnNotFound {
            arn: arn.to_string(),
        }
        .into()
    };
    let path = arn
        .strip_prefix("arn:aws:apigateway:")
        .and_then(|r| r.strip_prefix(ctx.region.as_str()))
        .and_then(|r| r.strip_prefix("::/"))
        .ok_or_else(not_found)?;
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["restapis", id] => Ok(Target::Api(id)),
        ["restapis", id, "stages", name] => Ok(Target::Stage(id, name)),
        ["apikeys", id] => Ok(Target::ApiKey(id)),
        ["usageplans", id] => Ok(Target::UsagePlan(id)),
        _ => Err(not_found()),
    }
}

impl ApigatewayService {
    /// Applies `change` to the tags of the resource `arn` names.
    fn change_tags(
        &self,
        ctx: &RequestContext,
        arn: &str,
        change: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Result<(), AwsError> {
        let edit = |holder: &mut Value| {
            let mut tags = holder
                .get("tags")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            change(&mut tags);
            match tags.is_empty() {
                true => {
                    holder.as_object_mut().map(|h| h.remove("tags"));
                }
                false => holder["tags"] = Value::Object(tags),
            }
        };
        let scope = Scope::regional(ctx);
        match target(ctx, arn)? {
            Target::Api(id) => self.update_api(ctx, id, |api| {
                edit(&mut api.info);
                Ok(())
            }),
            Target::Stage(id, name) => self.edit_value(
                &self.stages,
                &format!("{}/{name}", scope.key(id)),
                ApigatewayError::StageNotFound,
                edit,
            ),
            Target::ApiKey(id) => self.edit_value(
                &self.api_keys,
                &scope.key(id),
                ApigatewayError::ApiKeyNotFound,
                edit,
            ),
            Target::UsagePlan(id) => {
                let key = scope.key(id);
                let plans = self.usage_plans.clone();
                self.store.write(|txn| {
                    let mut plan = txn
                        .get(&plans, &key)
                        .map_err(AwsError::from)?
                        .ok_or(ApigatewayError::UsagePlanNotFound)?;
                    edit(&mut plan.info);
                    txn.put(&plans, &key, &plan).map_err(AwsError::from)
                })
            }
        }
    }

    /// Reads, changes and writes one stored value.
    fn edit_value(
        &self,
        table: &gureum_store::Table<Value>,
        key: &str,
        missing: ApigatewayError,
        edit: impl FnOnce(&mut Value),
    ) -> Result<(), AwsError> {
        self.store.write(|txn| {
            let mut v = txn
                .get(table, key)
                .map_err(AwsError::from)?
                .ok_or(missing)?;
            edit(&mut v);
            txn.put(table, key, &v).map_err(AwsError::from)
        })
    }

    /// `TagResource`.
    pub(crate) fn tag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let new = input
            .get("tags")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        self.change_tags(ctx, str_member(&input, "resourceArn"), |tags| {
            tags.extend(new)
        })?;
        Ok(json!({}))
    }

    /// `UntagResource`.
    pub(crate) fn untag_resource(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let keys: Vec<String> = input
            .get("tagKeys")
            .and_then(Value::as_array)
            .map(|k| {
                k.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        self.change_tags(ctx, str_member(&input, "resourceArn"), |tags| {
            for k in &keys {
                tags.remove(k);
            }
        })?;
        Ok(json!({}))
    }

    /// `GetTags`.
    pub(crate) fn get_tags(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let arn = str_member(&input, "resourceArn");
        let scope = Scope::regional(ctx);
        let holder = match target(ctx, arn)? {
            Target::Api(id) => self.api(ctx, id)?.1.info,
            Target::Stage(id, name) => {
                let key = format!("{}/{name}", scope.key(id));
                self.stages
                    .get(&key)
                    .map_err(AwsError::from)?
                    .ok_or(ApigatewayError::StageNotFound)?
            }
            Target::ApiKey(id) => self
                .api_keys
                .get(&scope.key(id))
                .map_err(AwsError::from)?
                .ok_or(ApigatewayError::ApiKeyNotFound)?,
            Target::UsagePlan(id) => {
                self.usage_plans
                    .get(&scope.key(id))
                    .map_err(AwsError::from)?
                    .ok_or(ApigatewayError::UsagePlanNotFound)?
                    .info
            }
        };
        Ok(json!({"tags": holder.get("tags").cloned().unwrap_or(json!({}))}))
    }
}
