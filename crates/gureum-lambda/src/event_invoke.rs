//! Asynchronous invocation settings: `PutFunctionEventInvokeConfig`,
//! `UpdateFunctionEventInvokeConfig`, `GetFunctionEventInvokeConfig`,
//! `DeleteFunctionEventInvokeConfig`, `ListFunctionEventInvokeConfigs`. `MaximumRetryAttempts` (0–2) and
//! `MaximumEventAgeInSeconds` (60–21600) bound the retries of
//! [`crate::invoke`]'s queue; `DestinationConfig` names where the
//! invocation records go ([`crate::destinations`]).

use crate::errors::LambdaError;
use crate::{invalid, str_member, LambdaService};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

fn check(input: &Value) -> Result<(), AwsError> {
    if input
        .get("Qualifier")
        .and_then(Value::as_str)
        .is_some_and(|q| q != "$LATEST")
    {
        return Err(invalid(
            "Gureum does not support an EventInvokeConfig per version or alias yet.",
        ));
    }
    if let Some(d) = input.get("DestinationConfig") {
        crate::destinations::check_config(d)?;
    }
    Ok(())
}

impl LambdaService {
    fn write_event_invoke(&self, ctx: &RequestContext, input: &Value, merge: bool) -> OpResult {
        check(input)?;
        let name = str_member(input, "FunctionName");
        let now = ctx.clock.now_millis() as f64 / 1000.0;
        self.update_function(ctx, name, |f| {
            let mut config = match (&f.event_invoke, merge) {
                (Some(old), true) => old.clone(),
                _ => json!({
                    "FunctionArn": format!("{}:$LATEST", f.config["FunctionArn"].as_str().unwrap_or_default()),
                    "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
                }),
            };
            if let Some(d) = input.get("DestinationConfig") {
                let side = |s: &str| match d[s]["Destination"].as_str() {
                    Some(arn) => json!({"Destination": arn}),
                    None => json!({}),
                };
                config["DestinationConfig"] =
                    json!({"OnSuccess": side("OnSuccess"), "OnFailure": side("OnFailure")});
            }
            for member in ["MaximumRetryAttempts", "MaximumEventAgeInSeconds"] {
                if let Some(v) = input.get(member) {
                    config[member] = v.clone();
                }
            }
            config["LastModified"] = json!(now);
            f.event_invoke = Some(config.clone());
            Ok(config)
        })
    }

    /// `PutFunctionEventInvokeConfig`: replaces the settings.
    pub(crate) fn put_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.write_event_invoke(ctx, &input, false)
    }

    /// `UpdateFunctionEventInvokeConfig`: changes the named settings.
    pub(crate) fn update_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.write_event_invoke(ctx, &input, true)
    }

    /// `GetFunctionEventInvokeConfig`.
    pub(crate) fn get_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        check(&input)?;
        let (_, f) = self.find(ctx, str_member(&input, "FunctionName"))?;
        f.event_invoke.ok_or_else(|| {
            LambdaError::ResourceNotFound {
                message: format!(
                    "The function {}:$LATEST doesn't have an EventInvokeConfig",
                    f.config["FunctionArn"].as_str().unwrap_or_default()
                ),
            }
            .into()
        })
    }

    /// `ListFunctionEventInvokeConfigs`: the function's one configuration,
    /// when set.
    pub(crate) fn list_function_event_invoke_configs(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let (_, f) = self.find(ctx, str_member(&input, "FunctionName"))?;
        crate::page_by_marker(
            f.event_invoke.into_iter().collect(),
            &input,
            "FunctionEventInvokeConfigs",
        )
    }

    /// `DeleteFunctionEventInvokeConfig`.
    pub(crate) fn delete_function_event_invoke_config(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        check(&input)?;
        self.update_function(ctx, str_member(&input, "FunctionName"), |f| {
            f.event_invoke = None;
            Ok(())
        })?;
        Ok(json!({}))
    }
}
