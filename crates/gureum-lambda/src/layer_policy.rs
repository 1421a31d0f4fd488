//! Layer version policies: `AddLayerVersionPermission`,
//! `RemoveLayerVersionPermission`, `GetLayerVersionPolicy`, and the check
//! a caller of another account goes through to use a layer.

use crate::errors::LambdaError;
use crate::layers::{LayerId, LayerVersion};
use crate::LambdaService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// Whether `statements` let `account` use the layer version: a statement
/// naming the account (or its root) or everyone; one limited to an
/// organization does not grant (Gureum does not know the caller's
/// organization).
pub(crate) fn grants(statements: &[Value], account: &str) -> bool {
    statements.iter().any(|s| {
        if s.get("Condition").is_some() {
            return false;
        }
        match &s["Principal"] {
            Value::String(p) => p == "*",
            p => p["AWS"]
                .as_str()
                .is_some_and(|a| a == account || a == format!("arn:aws:iam::{account}:root")),
        }
    })
}

fn policy_not_found() -> AwsError {
    LambdaError::ResourceNotFound {
        message: "No policy is associated with the given resource.".into(),
    }
    .into()
}

fn check_revision(version: &LayerVersion, input: &Value) -> Result<(), AwsError> {
    match input.get("RevisionId").and_then(Value::as_str) {
        Some(r) if r != version.revision => Err(LambdaError::PreconditionFailed {
            message: "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id".into(),
        }
        .into()),
        _ => Ok(()),
    }
}

impl LambdaService {
    /// Reads, changes and writes the caller's layer version named in
    /// `input` in one transaction.
    fn update_layer_version<R>(
        &self,
        ctx: &RequestContext,
        input: &Value,
        change: impl FnOnce(&mut LayerVersion) -> Result<R, AwsError>,
    ) -> Result<R, AwsError> {
        let id = LayerId::parse(ctx, crate::str_member(input, "LayerName"));
        let n = input
            .get("VersionNumber")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if id.account != ctx.account_id {
            return Err(crate::layers::not_found());
        }
        let (table, key) = (self.layers.clone(), id.version_key(n));
        self.store.write(|txn| {
            let mut version = txn
                .get(&table, &key)
                .map_err(AwsError::from)?
                .ok_or_else(crate::layers::not_found)?;
            let out = change(&mut version)?;
            txn.put(&table, &key, &version).map_err(AwsError::from)?;
            Ok(out)
        })
    }

    /// `AddLayerVersionPermission`: a statement letting an account (or
    /// everyone, or an organization) use the layer version.
    pub(crate) fn add_layer_version_permission(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let sid = crate::str_member(&input, "StatementId").to_string();
        let who = crate::str_member(&input, "Principal").to_string();
        let org = input.get("OrganizationId").and_then(Value::as_str);
        if org.is_some() && who != "*" {
            return Err(crate::invalid(
                "OrganizationId can only be specified with Principal '*'.",
            ));
        }
        let (statement, revision) = self.update_layer_version(ctx, &input, |v| {
            check_revision(v, &input)?;
            if v.policy.iter().any(|s| s["Sid"] == sid.as_str()) {
                return Err(LambdaError::ResourceConflict {
                    message: format!(
                        "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
                    ),
                }
                .into());
            }
            let principal = if who == "*" {
                json!("*")
            } else if who.starts_with("arn:") {
                json!({"AWS": who})
            } else {
                json!({"AWS": format!("arn:aws:iam::{who}:root")})
            };
            let mut statement = json!({
                "Sid": sid,
                "Effect": "Allow",
                "Principal": principal,
                "Action": "lambda:GetLayerVersion",
                "Resource": v.info["LayerVersionArn"],
            });
            if let Some(org) = org {
                statement["Condition"] = json!({"StringEquals": {"aws:PrincipalOrgID": org}});
            }
            v.policy.push(statement.clone());
            v.revision = crate::new_request_id();
            Ok((statement, v.revision.clone()))
        })?;
        Ok(json!({"Statement": statement.to_string(), "RevisionId": revision}))
    }

    /// `RemoveLayerVersionPermission`.
    pub(crate) fn remove_layer_version_permission(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let sid = crate::str_member(&input, "StatementId").to_string();
        self.update_layer_version(ctx, &input, |v| {
            check_revision(v, &input)?;
            if v.policy.is_empty() {
                return Err(policy_not_found());
            }
            let before = v.policy.len();
            v.policy.retain(|s| s["Sid"] != sid.as_str());
            if v.policy.len() == before {
                return Err(LambdaError::ResourceNotFound {
                    message: format!("Statement {sid} is not found in resource policy."),
                }
                .into());
            }
            v.revision = crate::new_request_id();
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// `GetLayerVersionPolicy`.
    pub(crate) fn get_layer_version_policy(&self, ctx: &RequestContext, input: Value) -> OpResult {
        let id = LayerId::parse(ctx, crate::str_member(&input, "LayerName"));
        let n = input
            .get("VersionNumber")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let version = self.layer_version(&id, n)?;
        if id.account != ctx.account_id {
            return Err(crate::layers::not_found());
        }
        if version.policy.is_empty() {
            return Err(policy_not_found());
        }
        let doc = json!({
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": version.policy,
        });
        Ok(json!({"Policy": doc.to_string(), "RevisionId": version.revision}))
    }
}

#[cfg(test)]
mod tests {
    use super::grants;
    use serde_json::json;

    #[test]
    fn a_layer_policy_grants_the_named_account_or_everyone_but_not_an_organization() {
        let account = json!({"Principal": {"AWS": "arn:aws:iam::111111111111:root"}});
        let everyone = json!({"Principal": "*"});
        let org = json!({"Principal": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}});
        assert!(grants(std::slice::from_ref(&account), "111111111111"));
        assert!(!grants(&[account], "222222222222"));
        assert!(grants(&[everyone], "222222222222"));
        assert!(!grants(&[org], "222222222222"));
    }
}
