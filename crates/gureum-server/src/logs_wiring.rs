//! CloudWatch Logs' exports reach S3 through S3's own operations
//! (`GetBucketLocation`, `GetBucketPolicy`, `PutObject`) as the task's
//! account. `CreateExportTask` checks the bucket while answering (on a
//! runtime worker, so the wait moves off it with `block_in_place`); the
//! export job runs on the ticker's blocking thread.

use gureum_core::{AwsError, RequestContext, Service};
use serde_json::json;
use std::sync::Arc;

/// S3, as Logs' exports see it.
pub struct LogsBuckets(crate::s3_calls::S3Calls);

impl LogsBuckets {
    /// Buckets of `s3`, awaited on the current runtime.
    pub fn new(s3: Arc<gureum_s3::S3Service>) -> Self {
        LogsBuckets(crate::s3_calls::S3Calls::new(s3))
    }
}

impl gureum_logs::exports::ExportBuckets for LogsBuckets {
    fn region(&self, ctx: &RequestContext, bucket: &str) -> Result<Option<String>, AwsError> {
        let input = json!({"Bucket": bucket});
        match self
            .0
            .wait(self.0.s3.call(ctx, "GetBucketLocation", input))?
        {
            Ok(out) => Ok(Some(
                out["LocationConstraint"]
                    .as_str()
                    .filter(|r| !r.is_empty())
                    .unwrap_or("us-east-1")
                    .to_string(),
            )),
            Err(e) if e.code == "NoSuchBucket" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn policy(&self, ctx: &RequestContext, bucket: &str) -> Result<Option<String>, AwsError> {
        let input = json!({"Bucket": bucket});
        match self.0.wait(self.0.s3.call(ctx, "GetBucketPolicy", input))? {
            Ok(out) => Ok(out["Policy"].as_str().map(str::to_string)),
            Err(e) if e.code == "NoSuchBucketPolicy" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn put(
        &self,
        ctx: &RequestContext,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError> {
        self.0.put_object(ctx, bucket, key, body)
    }
}

/// Subscription filters' deliveries to Lambda: AWS's document gzipped and
/// base64-encoded in `awslogs.data`, invoked asynchronously as
/// `logs.amazonaws.com` for the group, so the function policy must allow
/// CloudWatch Logs, as on AWS. Weak, because Lambda writes its function
/// logs through Logs.
pub struct LogsToLambda(pub std::sync::Weak<gureum_lambda::LambdaService>);

/// The service principals CloudWatch Logs invokes as (AWS's documentation
/// grants either).
fn logs_principals(region: &str) -> [String; 2] {
    [
        "logs.amazonaws.com".to_string(),
        format!("logs.{region}.amazonaws.com"),
    ]
}

impl gureum_logs::SubscriptionSink for LogsToLambda {
    fn deliver(&self, scope: gureum_core::Scope<'_>, delivery: gureum_logs::SubscriptionDelivery) {
        if delivery.destination_arn.split(':').nth(2) != Some("lambda") {
            return;
        }
        let Some(lambda) = self.0.upgrade() else {
            return;
        };
        let group = delivery.document["logGroup"].as_str().unwrap_or_default();
        let region = scope.region().unwrap_or("us-east-1");
        let group_arn = format!(
            "arn:aws:logs:{region}:{}:log-group:{group}:*",
            scope.account()
        );
        let event = delivery.lambda_event();
        let mut last = None;
        for service in logs_principals(region) {
            let sender = gureum_lambda::policy::ServiceSender {
                service: &service,
                source_arn: &group_arn,
                source_account: scope.account(),
            };
            match lambda.invoke_from_service(
                &sender,
                &delivery.destination_arn,
                event.as_bytes(),
                true,
            ) {
                Ok(_) => return,
                Err(e) => last = Some(e),
            }
        }
        if let Some(e) = last {
            tracing::warn!(target: "gureum", "logs subscription to {}: {}", delivery.destination_arn, e.message);
        }
    }

    fn check_function(
        &self,
        scope: gureum_core::Scope<'_>,
        function_arn: &str,
        group_arn: &str,
    ) -> Result<(), String> {
        let lambda = self.0.upgrade().ok_or("Lambda has stopped")?;
        let region = scope.region().unwrap_or("us-east-1");
        let mut reason = String::new();
        for service in logs_principals(region) {
            let sender = gureum_lambda::policy::ServiceSender {
                service: &service,
                source_arn: group_arn,
                source_account: scope.account(),
            };
            match lambda.may_invoke(&sender, function_arn) {
                Ok(()) => return Ok(()),
                Err(e) => reason = e.message,
            }
        }
        Err(reason)
    }
}
