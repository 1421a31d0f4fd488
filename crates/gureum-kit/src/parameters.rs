//! The seam services resolve Systems Manager parameters through: EC2's
//! `RunInstances --image-id resolve:ssm:NAME[:VERSION|:LABEL]` (and, later,
//! launch templates, CloudFormation's dynamic references).
//!
//! A service holds an `Arc<dyn ParameterResolver>`; the server wires in
//! SSM (`gureum_ssm::SsmService`), which answers stored parameters and
//! AWS's public ones (`/aws/service/ami-amazon-linux-latest/…`).
//! [`NoParameters`], for a service built without SSM (unit tests), finds
//! none.

use gureum_core::{AwsError, RequestContext};

/// Resolves parameter references to their values.
pub trait ParameterResolver: Send + Sync {
    /// The value of `reference` (`NAME`, `NAME:VERSION` or `NAME:LABEL`)
    /// in the caller's account and region, as `GetParameter` without
    /// decryption reads it; SSM's own error (`ParameterNotFound`,
    /// `ParameterVersionNotFound`) when it does not resolve.
    fn resolve(&self, ctx: &RequestContext, reference: &str) -> Result<String, AwsError>;
}

/// The resolver while Gureum has no SSM: no parameter exists.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoParameters;

impl ParameterResolver for NoParameters {
    fn resolve(&self, _ctx: &RequestContext, _reference: &str) -> Result<String, AwsError> {
        Err(AwsError::new("ParameterNotFound", 400, ""))
    }
}
