//! Resource policies: `AddPermission`, `RemovePermission`, `GetPolicy`, and
//! the check another service's invocation goes through.

use crate::errors::LambdaError;
use crate::{Function, LambdaService};
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

/// Who is invoking, when a service invokes a function.
pub type ServiceSender<'a> = gureum_policy::ServiceCaller<'a>;

/// The policy document of `function` (AWS's shape), `None` without
/// statements.
pub fn document(function: &Function) -> Option<Value> {
    if function.policy.is_empty() {
        return None;
    }
    Some(json!({
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": function.policy,
    }))
}

/// Whether `function`'s policy lets `sender` invoke it.
pub fn allows(function: &Function, sender: &ServiceSender<'_>) -> bool {
    let arn = function.config["FunctionArn"].as_str().unwrap_or_default();
    document(function).is_some_and(|doc| {
        sender.allowed_by_text(&doc.to_string(), "lambda:InvokeFunction", arn, &[])
    })
}

fn principal(p: &str) -> Value {
    if p == "*" {
        json!("*")
    } else if p.ends_with(".amazonaws.com") {
        json!({"Service": p})
    } else if p.chars().all(|c| c.is_ascii_digit()) && p.len() == 12 {
        json!({"AWS": format!("arn:aws:iam::{p}:root")})
    } else {
        json!({"AWS": p})
    }
}

impl LambdaService {
    /// `AddPermission`: a statement in the function's policy.
    pub(crate) fn add_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        crate::refuse_unsupported(&input, &["EventSourceToken", "PrincipalOrgID"])?;
        let name = crate::str_member(&input, "FunctionName");
        let sid = crate::str_member(&input, "StatementId").to_string();
        let action = crate::str_member(&input, "Action").to_string();
        let who = crate::str_member(&input, "Principal").to_string();
        let statement = self.update_function(ctx, name, |f| {
            if f.policy.iter().any(|s| s["Sid"] == sid.as_str()) {
                return Err(LambdaError::ResourceConflict {
                    message: format!(
                        "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
                    ),
                }
                .into());
            }
            let action = if action.contains(':') {
                action.clone()
            } else {
                format!("lambda:{action}")
            };
            let mut statement = json!({
                "Sid": sid,
                "Effect": "Allow",
                "Principal": principal(&who),
                "Action": action,
                "Resource": f.config["FunctionArn"],
            });
            let mut condition = serde_json::Map::new();
            if let Some(arn) = input.get("SourceArn").and_then(Value::as_str) {
                condition.insert("ArnLike".into(), json!({"AWS:SourceArn": arn}));
            }
            let mut equals = serde_json::Map::new();
            if let Some(acct) = input.get("SourceAccount").and_then(Value::as_str) {
                equals.insert("AWS:SourceAccount".into(), json!(acct));
            }
            // Function URLs' permission names the URL's auth type.
            if let Some(auth) = input.get("FunctionUrlAuthType").and_then(Value::as_str) {
                equals.insert("lambda:FunctionUrlAuthType".into(), json!(auth));
            }
            if !equals.is_empty() {
                condition.insert("StringEquals".into(), Value::Object(equals));
            }
            if input.get("InvokedViaFunctionUrl").and_then(Value::as_bool) == Some(true) {
                condition.insert("Bool".into(), json!({"lambda:InvokedViaFunctionUrl": "true"}));
            }
            if !condition.is_empty() {
                statement["Condition"] = Value::Object(condition);
            }
            f.policy.push(statement.clone());
            Ok(statement)
        })?;
        Ok(json!({"Statement": statement.to_string()}))
    }

    /// `RemovePermission`.
    pub(crate) fn remove_permission(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = crate::str_member(&input, "FunctionName");
        let sid = crate::str_member(&input, "StatementId").to_string();
        self.update_function(ctx, name, |f| {
            let before = f.policy.len();
            f.policy.retain(|s| s["Sid"] != sid.as_str());
            if f.policy.len() == before {
                return Err(LambdaError::ResourceNotFound {
                    message: format!("Statement {sid} is not found in resource policy."),
                }
                .into());
            }
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetPolicy`.
    pub(crate) fn get_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let name = crate::str_member(&input, "FunctionName");
        let (_, f) = self.find(ctx, name)?;
        match document(&f) {
            Some(doc) => Ok(json!({
                "Policy": doc.to_string(),
                "RevisionId": f.config["RevisionId"],
            })),
            None => Err(LambdaError::ResourceNotFound {
                message: "The resource you requested does not exist.".into(),
            }
            .into()),
        }
    }
}
