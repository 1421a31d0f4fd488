//! Service-linked roles: `CreateServiceLinkedRole`,
//! `DeleteServiceLinkedRole`, `GetServiceLinkedRoleDeletionStatus`.
//!
//! A service-linked role is an ordinary role record that AWS owns: its
//! path is `/aws-service-role/<service>/`, its name
//! `AWSServiceRoleFor<Service>` (plus `_<CustomSuffix>`), its trust policy
//! names the service, and callers cannot delete or change it through the
//! ordinary role operations (`UnmodifiableEntity`). Deleting it goes
//! through a deletion task, which here completes at once (nothing in
//! Gureum uses the role on the service's behalf) and is kept so its status
//! can be read.

use crate::errors::IamError;
use crate::model::Role;
use crate::roles::role_value;
use crate::util::{key, required, str_member};
use crate::IamService;
use gureum_core::{id, AwsError, OpResult, RequestContext, Scope, Value};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The path prefix of every service-linked role.
pub const PATH_PREFIX: &str = "/aws-service-role/";

/// Whether a role is service-linked (owned by AWS).
pub fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with(PATH_PREFIX)
}

/// The `UnmodifiableEntity` AWS answers for changes to a service-linked
/// role through the ordinary role operations.
pub fn protected(role: &Role) -> AwsError {
    IamError::Unmodifiable {
        message: format!(
            "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
            role.name
        ),
    }
    .into()
}

/// Role-name stems AWS uses for some services, where the name is not the
/// service's first label capitalized.
const KNOWN: &[(&str, &str)] = &[
    ("autoscaling", "AutoScaling"),
    ("elasticbeanstalk", "ElasticBeanstalk"),
    ("elasticloadbalancing", "ElasticLoadBalancing"),
    ("ecs", "ECS"),
    ("rds", "RDS"),
    ("eks", "AmazonEKS"),
    ("eks-nodegroup", "AmazonEKSNodegroup"),
    ("spot", "EC2Spot"),
    ("spotfleet", "EC2SpotFleet"),
    ("ec2fleet", "EC2Fleet"),
    ("elasticache", "ElastiCache"),
    ("es", "AmazonElasticsearchService"),
    ("opensearchservice", "AmazonOpenSearchService"),
    ("guardduty", "AmazonGuardDuty"),
    ("ssm", "AmazonSSM"),
    ("cloudtrail", "CloudTrail"),
    ("config", "Config"),
    ("organizations", "Organizations"),
    ("trustedadvisor", "TrustedAdvisor"),
    ("support", "Support"),
    ("redshift", "Redshift"),
    ("replication.dynamodb", "DynamoDBReplication"),
];

/// The role name for `service` (`autoscaling.amazonaws.com` →
/// `AWSServiceRoleForAutoScaling`).
pub(crate) fn role_name(service: &str) -> Option<String> {
    let stem = service.strip_suffix(".amazonaws.com")?;
    if stem.is_empty()
        || !stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    {
        return None;
    }
    let known = KNOWN.iter().find(|(s, _)| *s == stem).map(|(_, n)| *n);
    let name = match known {
        Some(n) => n.to_string(),
        None => stem
            .split(['.', '-'])
            .map(|part| {
                let mut c = part.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect(),
    };
    Some(format!("AWSServiceRoleFor{name}"))
}

/// A finished (or failed) deletion of a service-linked role.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DeletionTask {
    /// `SUCCEEDED`, `FAILED`, `IN_PROGRESS` or `NOT_STARTED`.
    pub status: String,
    /// Why it failed, when it did.
    #[serde(default)]
    pub reason: Option<String>,
}

impl IamService {
    /// `CreateServiceLinkedRole`.
    pub(crate) fn create_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let service = required(&input, "AWSServiceName")?;
        let base = role_name(service).ok_or_else(|| IamError::InvalidInput {
            message: format!("Invalid service name: {service}"),
        })?;
        let name = match str_member(&input, "CustomSuffix") {
            Some(suffix) => {
                crate::util::check_name("CustomSuffix", suffix)?;
                format!("{base}_{suffix}")
            }
            None => base,
        };
        let trust = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": [service]},
                "Action": "sts:AssumeRole",
            }],
        })
        .to_string();
        let role = Role {
            name: name.clone(),
            role_id: id::iam_unique_id("AROA"),
            path: format!("{PATH_PREFIX}{service}/"),
            create_date: ctx.clock.now_secs(),
            assume_role_policy: trust,
            description: str_member(&input, "Description").map(str::to_string),
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Vec::new(),
            inline_policies: Default::default(),
            attached_policies: Vec::new(),
            last_used: None,
        };
        let k = key(acct, &name);
        self.write(|txn| {
            if txn.get(&self.roles, &k)?.is_some() {
                return Err(IamError::InvalidInput {
                    message: format!(
                        "Service role name {name} has been taken in this account, please try a different suffix."
                    ),
                }
                .into());
            }
            txn.put(&self.roles, &k, &role)?;
            Ok(())
        })?;
        let mut v = role_value(acct, &role, true);
        if let Some(o) = v.as_object_mut() {
            o.remove("RoleLastUsed");
        }
        Ok(json!({ "Role": v }))
    }

    /// `DeleteServiceLinkedRole`: deletes the role with its policies and
    /// answers the id of the (finished) deletion task. A role still in an
    /// instance profile fails the task, as a role still in use does in AWS.
    pub(crate) fn delete_service_linked_role(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let acct = &ctx.account_id;
        let name = required(&input, "RoleName")?;
        let k = key(acct, name);
        let scope = Scope::Account { account: acct };
        let task_id = self.write(|txn| {
            let role = txn
                .get(&self.roles, &k)?
                .ok_or_else(|| IamError::NoSuchRole {
                    name: name.to_string(),
                })?;
            let Some(service) = role
                .path
                .strip_prefix(PATH_PREFIX)
                .map(|s| s.trim_end_matches('/').to_string())
            else {
                return Err(IamError::InvalidInput {
                    message: format!("Role {name} is not a service-linked role."),
                }
                .into());
            };
            let task_id = format!("task{PATH_PREFIX}{service}/{}/{}", role.name, id::uuid_v4());
            let in_profile = txn
                .scan_prefix(&self.instance_profiles, &scope.prefix())?
                .iter()
                .any(|(_, p)| p.roles.iter().any(|r| r.eq_ignore_ascii_case(name)));
            let task = if in_profile {
                DeletionTask {
                    status: "FAILED".into(),
                    reason: Some(format!(
                        "Role {} is in use by an instance profile.",
                        role.name
                    )),
                }
            } else {
                txn.delete(&self.roles, &k)?;
                DeletionTask {
                    status: "SUCCEEDED".into(),
                    reason: None,
                }
            };
            txn.put(&self.slr_deletions, &scope.key(&task_id), &task)?;
            Ok::<_, AwsError>(task_id)
        })?;
        Ok(json!({ "DeletionTaskId": task_id }))
    }

    /// `GetServiceLinkedRoleDeletionStatus`.
    pub(crate) fn get_service_linked_role_deletion_status(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let task_id = required(&input, "DeletionTaskId")?;
        if !task_id.starts_with("task/") {
            return Err(IamError::InvalidInput {
                message: format!("Invalid deletion task id: {task_id}"),
            }
            .into());
        }
        let scope = Scope::Account {
            account: &ctx.account_id,
        };
        let task = self
            .slr_deletions
            .get(&scope.key(task_id))?
            .ok_or_else(|| IamError::NoSuchDeletionTask {
                id: task_id.to_string(),
            })?;
        let mut out = json!({ "Status": task.status });
        if let Some(reason) = task.reason {
            out["Reason"] = json!({ "Reason": reason });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_follow_aws_stems_and_capitalize_others() {
        assert_eq!(
            role_name("autoscaling.amazonaws.com").as_deref(),
            Some("AWSServiceRoleForAutoScaling")
        );
        assert_eq!(
            role_name("ecs.amazonaws.com").as_deref(),
            Some("AWSServiceRoleForECS")
        );
        assert_eq!(
            role_name("lex.amazonaws.com").as_deref(),
            Some("AWSServiceRoleForLex")
        );
        assert_eq!(role_name("example.com"), None);
        assert_eq!(role_name(".amazonaws.com"), None);
    }
}
