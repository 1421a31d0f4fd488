//! API Gateway's data plane invokes Lambda through
//! [`gureum_apigateway::invoke::Functions`]: as `apigateway.amazonaws.com`
//! from the method's execute-api ARN, so the function's resource policy
//! (`AddPermission`) decides, as on AWS.

use gureum_apigateway::invoke::{FunctionResult, Functions};
use gureum_lambda::policy::ServiceSender;
use gureum_lambda::LambdaService;
use std::sync::Arc;

/// API Gateway's service principal.
const APIGATEWAY_PRINCIPAL: &str = "apigateway.amazonaws.com";

/// Lambda, as API Gateway invokes it.
pub struct ApiGatewayToLambda(pub Arc<LambdaService>);

impl Functions for ApiGatewayToLambda {
    fn invoke(
        &self,
        function_arn: &str,
        source_arn: &str,
        payload: &[u8],
    ) -> Result<FunctionResult, String> {
        let sender = ServiceSender {
            service: APIGATEWAY_PRINCIPAL,
            source_arn,
            source_account: source_arn.split(':').nth(4).unwrap_or_default(),
        };
        match self
            .0
            .invoke_from_service(&sender, function_arn, payload, false)
        {
            Ok(Some(o)) => Ok(FunctionResult {
                payload: o.payload,
                failed: o.function_error.is_some(),
            }),
            Ok(None) => Err("no outcome from a synchronous invocation".into()),
            Err(e) => Err(format!("{}: {}", e.code, e.message)),
        }
    }
}
