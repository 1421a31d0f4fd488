//! Secrets Manager's rotation functions run on Lambda: the
//! [`gureum_secretsmanager::rotation::RotationFunctions`] the server wires
//! in, invoking as `secretsmanager.amazonaws.com` for the secret (so the
//! function policy must allow it, as on AWS) and waiting for each step.

use gureum_core::AwsError;
use gureum_lambda::policy::ServiceSender;
use gureum_lambda::LambdaService;
use gureum_secretsmanager::rotation::RotationFunctions;
use std::sync::Arc;

/// Secrets Manager's service principal.
const SECRETS_PRINCIPAL: &str = "secretsmanager.amazonaws.com";

/// Rotation steps run by Lambda.
pub struct LambdaRotation(pub Arc<LambdaService>);

/// Secrets Manager invoking for the secret `secret_arn`.
fn sender(secret_arn: &str) -> ServiceSender<'_> {
    ServiceSender {
        service: SECRETS_PRINCIPAL,
        source_arn: secret_arn,
        source_account: secret_arn.split(':').nth(4).unwrap_or_default(),
    }
}

impl RotationFunctions for LambdaRotation {
    fn may_invoke(&self, function_arn: &str, secret_arn: &str) -> Result<(), AwsError> {
        self.0.may_invoke(&sender(secret_arn), function_arn)
    }

    fn invoke(&self, function_arn: &str, secret_arn: &str, payload: &str) -> Result<(), String> {
        let outcome = self
            .0
            .invoke_from_service(&sender(secret_arn), function_arn, payload.as_bytes(), false)
            .map_err(|e| format!("{}: {}", e.code, e.message))?;
        match outcome {
            Some(o) if o.function_error.is_some() => {
                Err(String::from_utf8_lossy(&o.payload).into_owned())
            }
            _ => Ok(()),
        }
    }
}
