//! The seam S3's event notifications reach SNS topics and Lambda functions
//! through (SQS is a direct dependency): the server implements it over
//! `SnsService::publish_from_service` and `LambdaService::invoke_from_service`.
//! S3 always sends as `s3.amazonaws.com` on behalf of the bucket, so the
//! topic's or function's resource policy decides, as on AWS.

use gureum_core::{AwsError, Clock};
use gureum_sqs::ServiceSender;

/// The subject S3 gives the SNS messages it publishes.
pub const SNS_SUBJECT: &str = "Amazon S3 Notification";

/// SNS topics and Lambda functions, as S3's notifications reach them.
pub trait NotificationTargets: Send + Sync {
    /// Publishes `message` to `topic_arn` as `sender`, with `subject`.
    fn publish(
        &self,
        clock: &Clock,
        sender: &ServiceSender<'_>,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), AwsError>;

    /// Whether `sender` may invoke `function_arn` (it exists and its
    /// policy allows the sender): S3's validation of a function, which
    /// gets no test event.
    fn may_invoke(&self, sender: &ServiceSender<'_>, function_arn: &str) -> Result<(), AwsError>;

    /// Queues an asynchronous invocation of `function_arn` with `event`.
    fn invoke_async(
        &self,
        sender: &ServiceSender<'_>,
        function_arn: &str,
        event: &str,
    ) -> Result<(), AwsError>;
}
