//! What the caller may do: the permissions a service declares for an
//! operation, evaluated against the caller's IAM policies before the
//! handler runs, and AWS's access-denied error in each service's words.

use crate::pipeline::AppState;
use gureum_core::{Authorization, AuthzTarget, AwsError, RequestContext, Service};
use gureum_model::{ServiceIndexEntry, ServiceModel};

/// The IAM namespace of a service's actions (`monitoring` signs CloudWatch,
/// whose actions are `cloudwatch:*`).
fn iam_prefix(service: &ServiceIndexEntry) -> &str {
    match service.name.as_str() {
        "cloudwatch" => "cloudwatch",
        "s3control" => "s3",
        "sesv2" => "ses",
        "dynamodbstreams" => "dynamodb",
        _ => service.signing_name.as_str(),
    }
}

/// Checks the caller's IAM policies before the handler runs.
pub(crate) fn authorize(
    state: &AppState,
    ctx: &RequestContext,
    svc: &dyn Service,
    service: &ServiceIndexEntry,
    operation: &str,
    input: &gureum_core::Value,
    model: &ServiceModel,
) -> Result<(), AwsError> {
    if !gureum_authz::Authorizer::applies_to(ctx) {
        return Ok(());
    }
    let targets = match svc.authorization(ctx, operation, input) {
        Authorization::Public | Authorization::ByHandler => return Ok(()),
        Authorization::Default => vec![AuthzTarget::new(
            format!("{}:{operation}", iam_prefix(service)),
            "*",
        )],
        Authorization::Targets(t) => t,
    };
    state
        .registry
        .authorizer
        .authorize(ctx, &targets)
        .map_err(|denied| access_denied(&service.name, model, denied.message))
}

/// AWS's access-denied error in each service family's words: EC2 says
/// `UnauthorizedOperation`, services whose model declares
/// `AccessDeniedException` use it, and so do Lambda (403) and json
/// services whose model omits it; the rest `AccessDenied`.
fn access_denied(service: &str, model: &ServiceModel, message: String) -> AwsError {
    if service == "ec2" {
        return AwsError::new(
            "UnauthorizedOperation",
            403,
            format!("You are not authorized to perform this operation. {message}"),
        );
    }
    if let Some(shape) = model.shape("AccessDeniedException") {
        let status = shape
            .error
            .as_ref()
            .and_then(|e| e.http_status_code)
            .unwrap_or(400);
        return AwsError::new("AccessDeniedException", status, message);
    }
    // Lambda answers AccessDeniedException with 403, though its model
    // leaves the shape out.
    if service == "lambda" {
        return AwsError::new("AccessDeniedException", 403, message);
    }
    // json services answer AccessDeniedException (400) even when their
    // model leaves the shape out (KMS, DynamoDB, Secrets Manager).
    if model.metadata.protocol == "json" {
        return AwsError::new("AccessDeniedException", 400, message);
    }
    AwsError::new("AccessDenied", 403, message)
}
