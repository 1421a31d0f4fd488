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
    /// Functions run on Lambda (weak: Lambda reads code through S3).
    pub lambda: std::sync::Weak<LambdaService>,
}

impl S3Targets {
    fn lambda(&self) -> Result<Arc<LambdaService>, AwsError> {
        self.lambda
            .upgrade()
            .ok_or_else(|| AwsError::internal("Lambda is gone"))
    }
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
        self.lambda()?.may_invoke(sender, function_arn)
    }

    fn invoke_async(
        &self,
        sender: &ServiceSender<'_>,
        function_arn: &str,
        event: &str,
    ) -> Result<(), AwsError> {
        self.lambda()?
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

/// Lambda's asynchronous destinations and dead-letter targets, sent as
/// the function's execution role: its session's identity policies must
/// allow the action (`sqs:SendMessage`, `sns:Publish`,
/// `lambda:InvokeFunction`, `events:PutEvents`), then the owning service
/// handles the call as it would the role's own request.
pub struct RoleDestinations {
    /// Queues.
    pub sqs: Arc<gureum_sqs::SqsService>,
    /// Topics.
    pub sns: Arc<SnsService>,
    /// Functions (weak: Lambda holds this).
    pub lambda: std::sync::Weak<LambdaService>,
    /// Event buses.
    pub events: Arc<gureum_events::EventsService>,
    /// STS's sessions, to find the role session's identity.
    pub sessions: Arc<dyn gureum_auth::CredentialsProvider>,
    /// Evaluates the role's policies.
    pub authorizer: Arc<gureum_authz::Authorizer>,
    /// Gureum's clock.
    pub clock: Clock,
    /// The server's runtime (destinations are sent from blocking threads).
    pub runtime: Option<tokio::runtime::Handle>,
}

impl gureum_lambda::destinations::AsyncDestinations for RoleDestinations {
    fn send(&self, d: &gureum_lambda::destinations::Delivery<'_>) -> Result<(), AwsError> {
        use gureum_core::{AuthzTarget, Principal, RequestBody, RequestContext, Service};
        use serde_json::json;
        let parts: Vec<&str> = d.destination.splitn(6, ':').collect();
        let [_, _, service, region, account, resource] = parts.as_slice() else {
            return Err(AwsError::internal(format!(
                "not a destination ARN: {}",
                d.destination
            )));
        };
        let credential = d.access_key_id.and_then(|k| self.sessions.lookup(k));
        let (principal, session) = match credential {
            Some(c) => (c.principal, c.session),
            None => (
                Principal::Root {
                    account_id: d.account.to_string(),
                },
                None,
            ),
        };
        let ctx = RequestContext {
            account_id: d.account.to_string(),
            region: region.to_string(),
            principal,
            access_key_id: d.access_key_id.map(str::to_string),
            session,
            request_id: gureum_core::id::request_id(),
            clock: self.clock.clone(),
            secure_transport: false,
            source_ip: None,
            host: None,
        };
        let lambda;
        let (svc, operation, input, action): (&dyn Service, &str, serde_json::Value, &str) =
            match *service {
                "sqs" => {
                    let mut input = json!({
                        "QueueUrl": format!("http://sqs.{region}.localhost:4566/{account}/{resource}"),
                        "MessageBody": d.body,
                    });
                    if let Some((request_id, message)) = d.dlq_attributes {
                        input["MessageAttributes"] = json!({
                            "RequestID": {"DataType": "String", "StringValue": request_id},
                            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                            "ErrorMessage": {"DataType": "String", "StringValue": if message.is_empty() { "Unhandled" } else { message }},
                        });
                    }
                    (self.sqs.as_ref(), "SendMessage", input, "sqs:SendMessage")
                }
                "sns" => (
                    self.sns.as_ref(),
                    "Publish",
                    json!({"TopicArn": d.destination, "Message": d.body}),
                    "sns:Publish",
                ),
                "lambda" => {
                    lambda = self
                        .lambda
                        .upgrade()
                        .ok_or_else(|| AwsError::internal("Lambda is gone"))?;
                    use base64::Engine;
                    let payload = base64::engine::general_purpose::STANDARD.encode(d.body);
                    (
                        lambda.as_ref(),
                        "Invoke",
                        json!({"FunctionName": d.destination, "InvocationType": "Event", "Payload": payload}),
                        "lambda:InvokeFunction",
                    )
                }
                "events" => (
                    self.events.as_ref(),
                    "PutEvents",
                    json!({"Entries": [{
                        "Source": "lambda",
                        "DetailType": d.detail_type,
                        "Detail": d.body,
                        "EventBusName": d.destination,
                        "Resources": [d.function_arn],
                    }]}),
                    "events:PutEvents",
                ),
                other => {
                    return Err(AwsError::internal(format!(
                        "Lambda cannot send to {other} destinations"
                    )))
                }
            };
        self.authorizer
            .authorize(&ctx, &[AuthzTarget::new(action, d.destination)])
            .map_err(|denied| AwsError::new("AccessDeniedException", 403, denied.message))?;
        let Some(runtime) = &self.runtime else {
            return Err(AwsError::internal("no runtime to send destinations on"));
        };
        let reply = runtime.block_on(svc.call_streaming(
            &ctx,
            operation,
            input,
            RequestBody::from_bytes(Default::default()),
        ))?;
        if reply.output["FailedEntryCount"].as_u64().unwrap_or(0) > 0 {
            return Err(AwsError::internal(format!(
                "EventBridge refused the record: {}",
                reply.output["Entries"]
            )));
        }
        Ok(())
    }
}

impl RoleDestinations {
    /// Wires Lambda's destinations to the services that own them.
    pub fn wire(
        lambda: &Arc<LambdaService>,
        sqs: &Arc<gureum_sqs::SqsService>,
        sns: &Arc<SnsService>,
        events: &Arc<gureum_events::EventsService>,
        sts: &gureum_sts::StsService,
        authorizer: &Arc<gureum_authz::Authorizer>,
        clock: &Clock,
    ) {
        lambda.set_role_policies(Arc::new(RolePolicyCheck {
            sessions: sts.credentials(),
            authorizer: authorizer.clone(),
            clock: clock.clone(),
        }));
        lambda.set_destinations(Arc::new(RoleDestinations {
            sqs: sqs.clone(),
            sns: sns.clone(),
            lambda: Arc::downgrade(lambda),
            events: events.clone(),
            sessions: sts.credentials(),
            authorizer: authorizer.clone(),
            clock: clock.clone(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        }));
    }
}

/// Execution roles' identity policies, through STS's sessions and IAM's
/// authorizer.
pub struct RolePolicyCheck {
    /// STS's sessions.
    pub sessions: Arc<dyn gureum_auth::CredentialsProvider>,
    /// Evaluates the role's policies.
    pub authorizer: Arc<gureum_authz::Authorizer>,
    /// Gureum's clock.
    pub clock: Clock,
}

impl gureum_lambda::credentials::RolePolicies for RolePolicyCheck {
    fn allows(&self, access_key_id: &str, action: &str, resource: &str) -> bool {
        let Some(c) = self.sessions.lookup(access_key_id) else {
            return false;
        };
        let ctx = gureum_core::RequestContext {
            account_id: c.principal.account_id().unwrap_or_default().to_string(),
            region: gureum_core::DEFAULT_REGION.to_string(),
            principal: c.principal,
            access_key_id: Some(access_key_id.to_string()),
            session: c.session,
            request_id: gureum_core::id::request_id(),
            clock: self.clock.clone(),
            secure_transport: false,
            source_ip: None,
            host: None,
        };
        self.authorizer
            .authorize(&ctx, &[gureum_core::AuthzTarget::new(action, resource)])
            .is_ok()
    }
}
