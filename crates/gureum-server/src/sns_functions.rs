//! SNS's `lambda` subscriptions run on Lambda: the
//! [`gureum_sns::functions::Functions`] the server hands SNS, invoking
//! asynchronously as `sns.amazonaws.com` for the topic, so the function
//! policy must allow SNS, as on AWS.

use gureum_lambda::policy::ServiceSender;
use gureum_lambda::LambdaService;
use gureum_sns::functions::Functions;
use std::sync::Arc;

/// Lambda subscriptions invoked through Lambda.
pub struct SnsToLambda(pub Arc<LambdaService>);

impl Functions for SnsToLambda {
    fn invoke_async(&self, function_arn: &str, topic_arn: &str, event: &str) -> Result<(), String> {
        let sender = ServiceSender {
            service: "sns.amazonaws.com",
            source_arn: topic_arn,
            source_account: topic_arn.split(':').nth(4).unwrap_or_default(),
        };
        self.0
            .invoke_from_service(&sender, function_arn, event.as_bytes(), true)
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }
}
