//! AWS managed keys (`alias/aws/s3`, `alias/aws/ebs`, …): made with
//! their alias on first use, in one transaction, as AWS does when a
//! service first encrypts for an account.

use crate::keys::{default_policy, new_material};
use crate::resolve::no_alias;
use crate::{AliasRecord, KeyRecord, KmsService};
use gureum_core::{AwsError, Scope};

/// The AWS managed keys Gureum knows, by service (`alias/aws/<service>`),
/// with the description AWS gives each.
const MANAGED: &[(&str, &str)] = &[
    (
        "s3",
        "Default key that protects my S3 objects when no other key is defined",
    ),
    (
        "ebs",
        "Default master key that protects my EBS volumes when no other key is defined",
    ),
    (
        "lambda",
        "Default master key that protects my Lambda functions when no other key is defined",
    ),
    (
        "secretsmanager",
        "Default master key that protects my Secrets Manager data when no other key is defined",
    ),
    (
        "ssm",
        "Default master key that protects my SSM parameters when no other key is defined",
    ),
    (
        "rds",
        "Default master key that protects my RDS database volumes when no other key is defined",
    ),
    (
        "sqs",
        "Default master key that protects my SQS messages when no other key is defined",
    ),
    (
        "sns",
        "Default master key that protects my SNS data when no other key is defined",
    ),
    (
        "dynamodb",
        "Default master key that protects my DynamoDB table when no other key is defined",
    ),
    (
        "logs",
        "Default master key that protects my CloudWatch Logs data when no other key is defined",
    ),
];

/// The names of the predefined AWS managed aliases.
pub(crate) fn predefined_aliases() -> impl Iterator<Item = String> {
    MANAGED.iter().map(|(s, _)| format!("alias/aws/{s}"))
}

pub(crate) fn managed(service: &str) -> Option<&'static str> {
    MANAGED.iter().find(|(s, _)| *s == service).map(|(_, d)| *d)
}

/// The AWS managed key for `service`, made with its alias on first use
/// (see [`KmsService::aws_managed_key`]).
pub(crate) fn aws_managed_key(
    svc: &KmsService,
    scope: Scope<'_>,
    now: i64,
    service: &str,
) -> Result<String, AwsError> {
    let name = format!("alias/aws/{service}");
    let description = managed(service).ok_or_else(|| no_alias(scope, &name))?;
    if let Some(a) = svc.aliases.get(&scope.key(&name))? {
        return Ok(a.target);
    }
    let id = gureum_core::id::uuid_v4();
    let material = new_material(svc, scope, &id, now, None)?;
    // Checked again in the transaction: two first uses make one key.
    svc.store.write(|txn| -> Result<String, AwsError> {
        if let Some(a) = txn.get(&svc.aliases, &scope.key(&name))? {
            return Ok(a.target);
        }
        let rec = KeyRecord {
            materials: vec![material],
            id: id.clone(),
            created_ms: now,
            description: description.into(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            key_spec: "SYMMETRIC_DEFAULT".into(),
            key_manager: "AWS".into(),
            state: "Enabled".into(),
            deletion_ms: None,
            // AWS managed keys rotate every year, always.
            rotation_enabled: true,
            rotation_days: 365,
            rotation_since_ms: Some(now),
            policy: default_policy(scope.account()),
            tags: Vec::new(),
            origin: "AWS_KMS".into(),
            expiration_model: None,
            valid_to_ms: None,
            imported_material_id: None,
            multi_region: None,
        };
        txn.put(&svc.keys, &scope.key(&id), &rec)?;
        let alias = AliasRecord {
            name: name.clone(),
            target: id.clone(),
            created_ms: now,
            updated_ms: now,
        };
        txn.put(&svc.aliases, &scope.key(&name), &alias)?;
        Ok(id.clone())
    })
}
