//! Topic policies: the default one AWS writes, `AddPermission` and
//! `RemovePermission` (statements by label), and the check a caller of
//! another account must pass.

use crate::errors::{invalid, SnsError};
use crate::topics::{update, Found};
use crate::{SnsService, Topic};
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// The policy AWS gives a new topic: the owner account may do everything.
pub fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish"
            ],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}}
        }]
    })
    .to_string()
}

/// Another account's caller: the topic policy decides, with
/// `AWS:SourceOwner` the caller's account (so the default policy, which
/// names the owner, refuses everyone else). The caller's own side is
/// taken as allowed: the pipeline checked an IAM caller's policies before
/// the handler ran, and a root user may do everything in its account.
pub(crate) fn check_other_account(
    ctx: &RequestContext,
    found: &Found,
    action: &str,
) -> Result<(), AwsError> {
    use gureum_policy::{evaluate, Policy, PolicySet, Request, RequestPrincipal};
    let principal = RequestPrincipal {
        arn: ctx.principal.arn(),
        account_id: ctx.account_id.clone(),
        is_root: matches!(ctx.principal, gureum_core::Principal::Root { .. }),
        ..RequestPrincipal::default()
    };
    let mut request = Request::new(principal, format!("sns:{action}"), found.arn.clone());
    request
        .context
        .set("AWS:SourceOwner", ctx.account_id.as_str());
    request
        .context
        .set("aws:SourceAccount", ctx.account_id.as_str());
    let policy = found
        .topic
        .attributes
        .get("Policy")
        .and_then(|p| Policy::parse(p).ok());
    let own_side = [Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .map_err(|_| AwsError::internal("the allow-all policy does not parse"))?];
    let set = PolicySet {
        identity: (&own_side).into(),
        resource: policy.as_ref(),
        resource_account: Some(&found.account),
        ..PolicySet::default()
    };
    if evaluate(&request, &set).is_allowed() {
        return Ok(());
    }
    Err(SnsError::AuthorizationError {
        message: format!(
            "User: {} is not authorized to perform: SNS:{action} on resource: {} because no resource-based policy allows the SNS:{action} action",
            ctx.principal.arn(),
            found.arn
        ),
    }
    .into())
}

/// `AddPermission`: a statement `Label` letting the accounts do the actions.
pub fn add_permission(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["TopicArn"].as_str().unwrap_or_default();
    let found = svc.find_topic(ctx, arn, "AddPermission")?;
    let label = input["Label"].as_str().unwrap_or_default();
    let strings = |k: &str| -> Vec<String> {
        input[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let accounts = strings("AWSAccountId");
    let actions = strings("ActionName");
    if label.is_empty()
        || label.len() > 100
        || !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid("Label"));
    }
    if accounts.is_empty() {
        return Err(invalid("AWSAccountId"));
    }
    if actions.is_empty() {
        return Err(invalid("ActionName"));
    }
    let principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:root"))
        .collect();
    let actions: Vec<String> = actions.iter().map(|a| format!("SNS:{a}")).collect();
    let arn = found.arn.clone();
    update(svc, &found.key, |t| {
        let mut policy = policy_of(t, &arn, &found.account);
        let statements = policy["Statement"]
            .as_array_mut()
            .ok_or_else(|| AwsError::internal("a topic policy without statements"))?;
        if statements.iter().any(|s| s["Sid"] == label) {
            return Err(invalid("Statement already exists"));
        }
        statements.push(json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) }},
            "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
            "Resource": arn,
        }));
        t.attributes.insert("Policy".into(), policy.to_string());
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RemovePermission`: drops statement `Label`.
pub fn remove_permission(svc: &SnsService, ctx: &RequestContext, input: &Value) -> OpResult {
    let arn = input["TopicArn"].as_str().unwrap_or_default();
    let found = svc.find_topic(ctx, arn, "RemovePermission")?;
    let label = input["Label"].as_str().unwrap_or_default();
    let arn = found.arn.clone();
    update(svc, &found.key, |t| {
        let mut policy = policy_of(t, &arn, &found.account);
        let statements = policy["Statement"]
            .as_array_mut()
            .ok_or_else(|| AwsError::internal("a topic policy without statements"))?;
        let before = statements.len();
        statements.retain(|s| s["Sid"] != label);
        if statements.len() == before {
            return Err(invalid("Label"));
        }
        t.attributes.insert("Policy".into(), policy.to_string());
        Ok(())
    })?;
    Ok(json!({}))
}

/// The topic's policy as JSON, with a `Statement` array.
fn policy_of(t: &Topic, arn: &str, account: &str) -> Value {
    let text = t
        .attributes
        .get("Policy")
        .cloned()
        .unwrap_or_else(|| default_policy(arn, account));
    let mut v: Value = serde_json::from_str(&text)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    match v.get_mut("Statement") {
        Some(Value::Array(_)) => {}
        Some(single @ Value::Object(_)) => *single = json!([single.clone()]),
        _ => v["Statement"] = json!([]),
    }
    v
}
