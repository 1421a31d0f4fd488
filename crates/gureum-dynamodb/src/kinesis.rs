//! Kinesis Data Streams as a table's streaming destination. Gureum serves
//! no Kinesis, so no stream can exist: enabling, disabling or updating a
//! destination answers, after the table's own checks, the error AWS gives
//! for a stream that does not exist, and a table never has a destination.

use crate::errors::DynamoError;
use crate::DynamoDbService;
use gureum_core::{AwsError, OpResult, RequestContext, Value};
use serde_json::json;

/// AWS's error for a stream that does not exist.
fn missing_stream(input: &Value) -> AwsError {
    let arn = input
        .get("StreamArn")
        .and_then(Value::as_str)
        .unwrap_or_default();
    DynamoError::Missing {
        message: format!("Requested resource not found: Stream: {arn} not found"),
    }
    .into()
}

impl DynamoDbService {
    /// The request's table (its not-found error comes first).
    fn kinesis_table(&self, ctx: &RequestContext, input: &Value) -> Result<String, AwsError> {
        let name = input
            .get("TableName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Ok(self.meta(ctx, name, true)?.1.name.clone())
    }

    /// `EnableKinesisStreamingDestination`: no stream can exist.
    pub(crate) fn enable_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.kinesis_table(ctx, &input)?;
        Err(missing_stream(&input))
    }

    /// `DisableKinesisStreamingDestination`: no stream can exist.
    pub(crate) fn disable_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.kinesis_table(ctx, &input)?;
        Err(missing_stream(&input))
    }

    /// `UpdateKinesisStreamingDestination`: no stream can exist.
    pub(crate) fn update_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        self.kinesis_table(ctx, &input)?;
        Err(missing_stream(&input))
    }

    /// `DescribeKinesisStreamingDestination`: a table never has one.
    pub(crate) fn describe_kinesis_streaming_destination(
        &self,
        ctx: &RequestContext,
        input: Value,
    ) -> OpResult {
        let name = self.kinesis_table(ctx, &input)?;
        Ok(json!({"TableName": name, "KinesisDataStreamDestinations": []}))
    }
}
