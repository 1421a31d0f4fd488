//! Wiring for Lambda's event sources: S3's notifications to SNS topics and
//! Lambda functions ([`gureum_s3::destinations::NotificationTargets`]),
//! and DynamoDB streams for Lambda's stream mappings
//! ([`gureum_lambda::stream_mappings::StreamSource`]).

use gureum_core::{AwsError, Clock};
use gureum_lambda::LambdaService;
use gureum_s3::destinations::NotificationTargets;
use gureum_sns::SnsService;
use gureum_sqs::ServiceSender;
use std::sync::Arc;

/// S3's SNS and Lambda destinations, through those services' own checks
/// of the sender against the topic's or function's policy.
pub struct S3Targets {
    /// Topics publish through SNS.
    pub sns: Arc<SnsService>,
    /// Functions run on Lambda.
    pub lambda: Arc<LambdaService>,
}

impl NotificationTargets for S3Targets {
    fn publish(
        &self,
        clock: &Clock,
        sender: &ServiceSender<'_>,
        topic_arn: &str,
        subject: &str,
        message: &str,
    ) -> Result<(), AwsError> {
        self.sns
            .publish_from_service(
                clock,
                sender,
                topic_arn,
                message,
                Some(subject),
                &serde_json::Value::Null,
            )
            .map(|_| ())
    }

    fn may_invoke(&self, sender: &ServiceSender<'_>, function_arn: &str) -> Result<(), AwsError> {
        self.lambda.may_invoke(sender, function_arn)
    }

    fn invoke_async(
        &self,
        sender: &ServiceSender<'_>,
        function_arn: &str,
        event: &str,
    ) -> Result<(), AwsError> {
        self.lambda
            .invoke_from_service(sender, function_arn, event.as_bytes(), true)
            .map(|_| ())
    }
}

/// Lambda's DynamoDB stream mappings read through DynamoDB Streams, on
/// Gureum's clock (records expire on it).
pub struct DynamoDbStreams {
    /// The streams.
    pub streams: Arc<gureum_dynamodb::DynamoDbStreamsService>,
    /// Gureum's clock.
    pub clock: Clock,
}

impl gureum_lambda::stream_mappings::StreamSource for DynamoDbStreams {
    fn latest(&self, account: &str, region: &str, stream_arn: &str) -> Result<u64, AwsError> {
        self.streams.latest_position(account, region, stream_arn)
    }

    fn read(
        &self,
        account: &str,
        region: &str,
        stream_arn: &str,
        from: u64,
        max: usize,
    ) -> Result<Vec<(u64, serde_json::Value)>, AwsError> {
        self.streams.read_from(
            account,
            region,
            stream_arn,
            from,
            max,
            self.clock.now_millis(),
        )
    }
}
