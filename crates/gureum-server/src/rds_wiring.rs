//! RDS's wiring: EC2's subnets for DB subnet groups, Secrets Manager for
//! managed master passwords, and the engines' endpoints for
//! `/_gureum/health`.

use gureum_core::{AwsError, OpResult, RequestContext, Service};
use gureum_rds::{MasterSecrets, RdsService, SubnetInfo, Subnets};
use gureum_store::Store;
use std::sync::Arc;

/// RDS over `store`, reading EC2's subnets from the same store.
pub fn build(store: &Store) -> Arc<RdsService> {
    let rds = Arc::new(RdsService::new(store.clone()));
    rds.set_subnets(Arc::new(Ec2Subnets(store.clone())));
    rds
}

/// EC2's subnet table, read through `gureum_ec2`'s public interface.
struct Ec2Subnets(Store);

impl Subnets for Ec2Subnets {
    fn subnet(&self, account: &str, region: &str, id: &str) -> Option<SubnetInfo> {
        let subnet = gureum_ec2::vpc::subnet::table(&self.0)
            .get(&format!("{account}/{region}/{id}"))
            .ok()
            .flatten()?;
        Some(SubnetInfo {
            id: subnet.id,
            vpc_id: subnet.vpc_id,
            az: subnet.az,
        })
    }
}

/// The running DB instances' real endpoints, by `account/region/id`:
/// the endpoint address RDS reports, where the engine really listens
/// (`127.0.0.1:port`) and the engine's process id.
pub fn health_endpoints(rds: &RdsService) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = rds
        .endpoints()
        .into_iter()
        .map(|(key, address, port)| {
            let pid = rds.engine_pid(&key);
            let entry = serde_json::json!({
                "address": address,
                "host": "127.0.0.1",
                "port": port,
                "pid": pid,
            });
            (key, entry)
        })
        .collect();
    serde_json::Value::Object(map)
}

/// Lets RDS keep managed master passwords in the Secrets Manager among
/// `services` (`ManageMasterUserPassword`).
pub fn use_secrets(rds: &RdsService, services: &[Arc<dyn Service>]) {
    if let Some(sm) = services.iter().find(|s| s.model_name() == "secretsmanager") {
        rds.set_secrets(Arc::new(SecretsManagerSecrets(sm.clone())));
    }
}

/// Secrets Manager's own operations, called as the caller of RDS (its
/// table operations answer at once: one poll).
struct SecretsManagerSecrets(Arc<dyn Service>);

impl SecretsManagerSecrets {
    fn call(&self, ctx: &RequestContext, op: &str, input: serde_json::Value) -> OpResult {
        let mut fut = self.0.call(ctx, op, input);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match fut.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => Err(AwsError::internal(format!(
                "secretsmanager {op} did not answer at once"
            ))),
        }
    }
}

impl MasterSecrets for SecretsManagerSecrets {
    fn create(
        &self,
        ctx: &RequestContext,
        name: &str,
        secret: &str,
        kms_key: Option<&str>,
    ) -> Result<String, AwsError> {
        let mut input = serde_json::json!({
            "Name": name,
            "SecretString": secret,
            "Description": "Secret associated with primary RDS DB instance",
        });
        if let Some(key) = kms_key {
            input["KmsKeyId"] = serde_json::json!(key);
        }
        let out = self.call(ctx, "CreateSecret", input)?;
        out.get("ARN")
            .and_then(|a| a.as_str())
            .map(str::to_string)
            .ok_or_else(|| AwsError::internal("CreateSecret answered no ARN"))
    }

    fn delete(&self, ctx: &RequestContext, arn: &str) {
        let input = serde_json::json!({"SecretId": arn, "ForceDeleteWithoutRecovery": true});
        if let Err(e) = self.call(ctx, "DeleteSecret", input) {
            tracing::warn!(target: "gureum", "rds: deleting {arn}: {}", e.message);
        }
    }
}
