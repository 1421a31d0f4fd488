//! Rotation: `RotateSecret` runs the secret's Lambda function through
//! AWS's four steps (`createSecret`, `setSecret`, `testSecret`,
//! `finishSecret`), each an invocation with `{Step, SecretId,
//! ClientRequestToken, RotationToken}`; the function itself writes the
//! `AWSPENDING` version and moves `AWSCURRENT` (through the Secrets Manager
//! API, which reaches Gureum through `AWS_ENDPOINT_URL`).
//!
//! Functions are invoked through [`RotationFunctions`] (the server wires
//! Lambda in); the permission check happens in the call, as AWS answers
//! `AccessDeniedException` when the function policy does not let
//! `secretsmanager.amazonaws.com` invoke it, and the steps run on a
//! thread afterwards, as AWS rotates asynchronously. A failed step ends
//! the rotation, leaving `AWSPENDING` where the function put it, and a
//! later `RotateSecret` is refused while `AWSPENDING` sits on a version
//! other than `AWSCURRENT`'s, as AWS refuses it.

use crate::errors::SecretsError;
use crate::ids::{find, not_deleted};
use crate::policy::update;
use crate::SecretsManagerService;
use gureum_core::member::str_member;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Value};
use serde_json::json;
use std::sync::Arc;

/// AWS's answer when the function policy does not allow Secrets Manager.
pub(crate) const CANNOT_INVOKE: &str = "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.";

/// Runs rotation functions for Secrets Manager.
pub trait RotationFunctions: Send + Sync {
    /// Whether Secrets Manager may invoke `function_arn` for the secret
    /// `secret_arn` (the function exists and its policy allows
    /// `secretsmanager.amazonaws.com`).
    fn may_invoke(&self, function_arn: &str, secret_arn: &str) -> Result<(), AwsError>;

    /// Invokes `function_arn` with `payload` and waits; an error is why
    /// the step failed (the function's error, or the invocation's).
    fn invoke(&self, function_arn: &str, secret_arn: &str, payload: &str) -> Result<(), String>;
}

/// A secret's rotation settings, as stored.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rotation {
    /// Whether rotation is on.
    pub enabled: bool,
    /// The function.
    pub lambda_arn: String,
    /// `RotationRules`, as given.
    pub rules: Value,
    /// When the last rotation finished, epoch milliseconds.
    pub last_rotated_ms: Option<i64>,
}

/// `InvalidParameterException` about `RotationRules`.
fn invalid_rules(message: &str) -> AwsError {
    SecretsError::BadRotationRules {
        message: message.to_string(),
    }
    .into()
}

/// The steps, in order.
const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

/// Checks `RotationRules`: `AutomaticallyAfterDays` 1–1000, or a
/// `ScheduleExpression`, and `Duration` as `Nh` (1–24).
fn check_rules(rules: &Value) -> Result<(), AwsError> {
    if let Some(days) = rules.get("AutomaticallyAfterDays").and_then(Value::as_i64) {
        if !(1..=1000).contains(&days) {
            return Err(invalid_rules(
                "The rotation interval must be between 1 and 1000 days.",
            ));
        }
    }
    if let Some(d) = rules.get("Duration").and_then(Value::as_str) {
        let hours = d.strip_suffix('h').and_then(|h| h.parse::<u32>().ok());
        if !hours.is_some_and(|h| (1..=24).contains(&h)) {
            return Err(invalid_rules(
                "The rotation window duration must be between 1h and 24h.",
            ));
        }
    }
    Ok(())
}

/// `RotateSecret`.
pub(crate) fn rotate_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let id = str_member(input, "SecretId").unwrap_or_default();
    let secret = find(svc, ctx, id)?;
    not_deleted(&secret)?;
    let function = match str_member(input, "RotationLambdaARN") {
        Some(f) => f.to_string(),
        None => match &secret.rotation {
            Some(r) if !r.lambda_arn.is_empty() => r.lambda_arn.clone(),
            _ => return Err(SecretsError::NoRotationFunction.into()),
        },
    };
    let pending_elsewhere = secret.versions.iter().any(|v| {
        v.stages.iter().any(|s| s == "AWSPENDING") && !v.stages.iter().any(|s| s == "AWSCURRENT")
    });
    if pending_elsewhere {
        return Err(SecretsError::RotationInProgress.into());
    }
    let rules = input.get("RotationRules").cloned().unwrap_or(Value::Null);
    check_rules(&rules)?;
    let Some(runner) = svc.rotation.clone() else {
        return Err(CommonError::AccessDeniedException {
            message: CANNOT_INVOKE.to_string(),
        }
        .into());
    };
    runner.may_invoke(&function, &secret.arn).map_err(|_| {
        AwsError::from(CommonError::AccessDeniedException {
            message: CANNOT_INVOKE.to_string(),
        })
    })?;
    let token = str_member(input, "ClientRequestToken")
        .map(str::to_string)
        .unwrap_or_else(gureum_core::id::uuid_v4);
    let saved = update(svc, ctx, input, |s| {
        let mut r = s.rotation.clone().unwrap_or_default();
        r.enabled = true;
        r.lambda_arn = function.clone();
        if !rules.is_null() {
            r.rules = rules.clone();
        }
        s.rotation = Some(r);
        Ok(())
    })?;
    let immediately = input
        .get("RotateImmediately")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if immediately {
        run_steps(svc, ctx, runner, function, saved.arn.clone(), token.clone());
    }
    Ok(json!({ "ARN": saved.arn, "Name": saved.name, "VersionId": token }))
}

/// Runs the four steps on a thread, recording the finish time when all
/// succeed.
fn run_steps(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    runner: Arc<dyn RotationFunctions>,
    function: String,
    secret_arn: String,
    token: String,
) {
    let done = svc.rotation_done_handle(ctx);
    let _ = std::thread::Builder::new()
        .name("secrets-rotation".into())
        .spawn(move || {
            for step in STEPS {
                let payload = json!({
                    "Step": step,
                    "SecretId": secret_arn,
                    "ClientRequestToken": token,
                    "RotationToken": gureum_core::id::uuid_v4(),
                });
                if let Err(reason) = runner.invoke(&function, &secret_arn, &payload.to_string()) {
                    done(&secret_arn, Err(format!("{step}: {reason}")));
                    return;
                }
            }
            done(&secret_arn, Ok(()));
        });
}

/// `CancelRotateSecret`: turns rotation off (an `AWSPENDING` version
/// stays, as AWS leaves it).
pub(crate) fn cancel_rotate_secret(
    svc: &SecretsManagerService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let s = update(svc, ctx, input, |s| {
        if let Some(r) = &mut s.rotation {
            r.enabled = false;
        }
        Ok(())
    })?;
    Ok(json!({ "ARN": s.arn, "Name": s.name }))
}
