//! The services this binary serves, built over one store and one clock.
//!
//! A service model without an entry here is still routed (so its callers
//! get AWS-shaped errors), and answers `NotImplemented` for every
//! operation; `docs/COVERAGE.md` is generated from the same table.

use gureum_auth::CredentialsProvider;
use gureum_authz::Authorizer;
use gureum_core::{Clock, Service};
use gureum_kit::metrics::{Datapoint, MetricSink};
use gureum_store::Store;
use std::collections::HashMap;
use std::sync::Arc;

/// The served services, by model name, and what they share.
pub struct Registry {
    /// By model name (constants): hashed with the model's fast hasher.
    services: HashMap<&'static str, Arc<dyn Service>, gureum_model::ModelHasher>,
    /// Evaluates IAM policies for every request by an IAM principal.
    pub authorizer: Arc<Authorizer>,
    /// Keys Gureum issued: IAM access keys and STS sessions.
    pub credentials: Vec<Arc<dyn CredentialsProvider>>,
    /// IAM, for recording key use.
    pub iam: Arc<gureum_iam::IamService>,
    /// EventBridge, for firing schedules on the clock and reading the
    /// recorded deliveries (`GET /_gureum/events/deliveries`).
    pub events: Arc<gureum_events::EventsService>,
    /// SNS, for its links (signing certificate, subscribe and unsubscribe
    /// URLs) and the captured messages (`GET /_gureum/sns/messages`).
    pub sns: Arc<gureum_sns::SnsService>,
    /// DynamoDB, for its TTL pass on the clock.
    pub dynamodb: Arc<gureum_dynamodb::DynamoDbService>,
    /// CloudWatch, for evaluating alarms on the clock, reading the
    /// recorded alarm actions (`GET /_gureum/cloudwatch/actions`), and as
    /// the [`gureum_kit::metrics::MetricSink`] services emit metrics to.
    pub cloudwatch: Arc<gureum_cloudwatch::CloudWatchService>,
    /// SQS, whose queue depths the ticker emits to CloudWatch each minute.
    pub sqs: Arc<gureum_sqs::SqsService>,
    /// Lambda, for its Runtime API environments: told the server's
    /// endpoint, reaped on the ticker, ended when the server stops.
    pub lambda: Arc<gureum_lambda::LambdaService>,
    /// S3, for CORS preflights and headers at the HTTP layer.
    pub s3: Arc<gureum_s3::S3Service>,
    /// RDS, whose engines start on the ticker and end with the server.
    pub rds: Arc<gureum_rds::RdsService>,
    /// ElastiCache, whose engine processes end when the server stops and
    /// whose endpoints `/_gureum/health` lists.
    pub elasticache: Arc<gureum_elasticache::ElasticacheService>,
    /// CloudWatch Logs, for API Gateway v2's stage access logs.
    pub logs: Arc<gureum_logs::LogsService>,
    /// API Gateway v2, whose APIs the data plane serves
    /// (`execute_api_v2.rs`).
    pub apigatewayv2: Arc<gureum_apigatewayv2::ApiGatewayV2Service>,
    /// API Gateway, whose REST APIs' invoke URLs the pipeline serves.
    pub apigateway: Arc<gureum_apigateway::ApigatewayService>,
    /// EC2, booting its stored running instances on the ticker.
    pub ec2: Arc<gureum_ec2::Ec2Service>,
    /// Where EC2 instances run: configured and stopped with the server.
    pub instances: gureum_instances::Host,
    /// CloudFront, whose distributions the edge serves by host.
    pub cloudfront: Arc<gureum_cloudfront::CloudfrontService>,
    /// Route 53, whose zones the DNS server answers and whose health
    /// checks run on the clock.
    pub route53: Arc<gureum_route53::Route53Service>,
    /// ELBv2, whose listeners resume and health checks run on the ticker.
    pub elbv2: Arc<gureum_elbv2::Elbv2Service>,
    /// Auto Scaling, whose groups reconcile on the ticker.
    pub autoscaling: Arc<gureum_autoscaling::AutoscalingService>,
    /// ACM: certificates, the local CA.
    pub acm: Arc<gureum_acm::AcmService>,
    /// Glacier, whose jobs complete on the ticker.
    pub glacier: Arc<gureum_glacier::GlacierService>,
    /// EFS, whose file systems are served over NFS from the ticker.
    pub efs: Arc<gureum_efs::EfsService>,
    /// Billing: metered on the ticker, read by `gureum cost`.
    pub billing: Arc<gureum_billing::Billing>,
}

impl Registry {
    /// Every service Gureum implements, sharing `store` and `clock`.
    pub fn build(store: &Store, clock: &Clock) -> Self {
        let iam = Arc::new(gureum_iam::IamService::new(store.clone()));
        let authorizer = Arc::new(Authorizer::new(iam.clone()));
        let sts = Arc::new(gureum_sts::StsService::new(
            store.clone(),
            iam.clone(),
            authorizer.clone(),
        ));
        let credentials = vec![iam.credentials(), sts.credentials()];
        // One SQS, served as `sqs` and receiving what EventBridge, SNS and
        // S3 deliver.
        let sqs = Arc::new(gureum_sqs::SqsService::new(store.clone()));
        let sns = Arc::new(gureum_sns::SnsService::with_sqs(store.clone(), sqs.clone()));
        // Logs' metric filters emit to CloudWatch, which is built after
        // EventBridge (whose targets include log groups): bound below.
        let metrics = Arc::new(LateMetrics::default());
        let logs = Arc::new(gureum_logs::LogsService::with_metrics(
            store.clone(),
            metrics.clone(),
        ));
        // One Lambda, served as `lambda`, invoked by EventBridge's targets
        // and polling SQS queues for its event source mappings; its
        // function logs go to CloudWatch Logs.
        let lambda = Arc::new(
            gureum_lambda::LambdaService::with_logs(
                store.clone(),
                Arc::new(crate::lambda_sources::FunctionLogGroups::new(
                    logs.clone(),
                    clock.clone(),
                )),
            )
            .with_queues(Arc::new(crate::lambda_sources::SqsQueues::new(
                sqs.clone(),
                clock.clone(),
            )))
            .with_role_sessions(sts.clone(), clock.clone()),
        );
        // SNS's `lambda` subscriptions invoke through Lambda.
        sns.set_functions(Arc::new(crate::sns_functions::SnsToLambda(lambda.clone())));
        // Logs' subscription filters deliver to Lambda functions.
        logs.set_subscription_sink(Arc::new(crate::logs_wiring::LogsToLambda(Arc::downgrade(
            &lambda,
        ))));
        // EventBridge delivers through the services that own its targets
        // (`targets.rs`), and carries services' own events
        // (`ServiceEvents`) onto the default bus.
        let events = Arc::new(gureum_events::EventsService::with_sink(
            store.clone(),
            Arc::new(crate::targets::ServiceTargets::new(
                store,
                clock.clone(),
                crate::targets::Destinations {
                    sqs: sqs.clone(),
                    sns: sns.clone(),
                    logs: logs.clone(),
                    lambda: lambda.clone(),
                },
            )),
        ));
        let service_events: Arc<dyn gureum_kit::service_events::ServiceEvents> = events.clone();
        crate::lambdax_wiring::RoleDestinations::wire(
            &lambda,
            &sqs,
            &sns,
            &events,
            &sts,
            &authorizer,
            clock,
        );
        // CloudWatch: alarm actions publish to SNS (and are recorded),
        // alarm state changes go onto the default bus.
        let alarm_actions = Arc::new(crate::alarm_actions::ActionRouter::new(
            store,
            clock.clone(),
            sns.clone(),
        ));
        let cloudwatch = Arc::new(gureum_cloudwatch::CloudWatchService::with_seams(
            store.clone(),
            alarm_actions.clone(),
            service_events.clone(),
        ));
        let _ = metrics.0.set(cloudwatch.clone());
        // One KMS, served as `kms` and encrypting for SSM, Secrets Manager
        // and S3 (SSE-KMS data keys).
        let kms = Arc::new(gureum_kms::KmsService::with_authorizer(
            store.clone(),
            authorizer.clone(),
        ));
        let encryptor = |service| -> Arc<dyn gureum_kit::encryption::Encryptor> {
            Arc::new(gureum_kms::KmsEncryptor::new(
                kms.clone(),
                clock.clone(),
                service,
            ))
        };
        // One SSM, served as `ssm` and resolving EC2's `resolve:ssm:`
        // image ids.
        let ssm = Arc::new(gureum_ssm::SsmService::with_encryptor(
            store.clone(),
            encryptor("ssm"),
        ));
        let instances = crate::instances_wiring::host(&iam, &sts, clock);
        let ec2 = Arc::new(
            gureum_ec2::Ec2Service::new(store.clone())
                .with_events(service_events.clone())
                .with_parameters(ssm.clone())
                .with_host(Arc::new(instances.clone())),
        );
        let route53 = crate::route53_wiring::build(store, ec2.clone(), cloudwatch.clone());
        instances.set_resolver(crate::vpc_dns_wiring::resolver(route53.authority()));
        // ELBv2 places load balancers through EC2 and runs Lambda targets.
        let acm = crate::acm_wiring::build(store, clock, &route53);
        let elbv2 =
            crate::elbv2_wiring::build(store, clock, &ec2, &lambda, cloudwatch.clone(), &acm);
        crate::acm_wiring::connect(&acm, &elbv2);
        // Auto Scaling launches through EC2, registers with ELBv2, and
        // runs its policies from CloudWatch's alarm actions.
        let autoscaling = crate::autoscaling_wiring::build(
            store,
            clock,
            &ec2,
            &elbv2,
            &cloudwatch,
            service_events.clone(),
            &sns,
        );
        alarm_actions.bind_autoscaling(Arc::new(crate::autoscaling_wiring::PolicyActions {
            autoscaling: autoscaling.clone(),
            clock: clock.clone(),
        }));
        let dynamodb = Arc::new(gureum_dynamodb::DynamoDbService::new(store.clone()));
        let streams = Arc::new(gureum_dynamodb::DynamoDbStreamsService::new(store.clone()));
        lambda.set_streams(Arc::new(crate::lambdax_wiring::DynamoDbStreams {
            streams: streams.clone(),
            clock: clock.clone(),
        }));
        let s3 = Arc::new(
            gureum_s3::S3Service::with_encryptor(store.clone(), encryptor("s3"))
                .with_notifications(gureum_s3::notifications::Notifier {
                    sqs: sqs.clone(),
                    events: service_events.clone(),
                    targets: Some(Arc::new(crate::lambdax_wiring::S3Targets {
                        sns: sns.clone(),
                        lambda: Arc::downgrade(&lambda),
                    })),
                })
                .with_authorizer(authorizer.clone()),
        );
        // DynamoDB's exports and imports go through S3.
        dynamodb.set_objects(Arc::new(crate::dynamodb_wiring::DynamoObjects::new(
            s3.clone(),
        )));
        // Logs' export tasks write to S3.
        logs.set_export_buckets(Arc::new(crate::logs_wiring::LogsBuckets::new(s3.clone())));
        // Lambda reads code named by `S3Bucket`/`S3Key` through S3.
        lambda.set_code_objects(Arc::new(crate::lambda_sources::S3Objects::new(s3.clone())));
        let rds = crate::rds_wiring::build(store);
        // ElastiCache's nodes are engine processes under the data dir.
        let elasticache = Arc::new(gureum_elasticache::ElasticacheService::with_engines(
            store.clone(),
        ));
        let apigatewayv2 = Arc::new(gureum_apigatewayv2::ApiGatewayV2Service::new(store.clone()));
        // API Gateway's invoke URLs are served by `execute_api.rs`.
        let apigateway = Arc::new(gureum_apigateway::ApigatewayService::with_functions(
            store.clone(),
            Arc::new(crate::apigateway_wiring::ApiGatewayToLambda(lambda.clone())),
        ));
        apigateway.set_certificates(acm.clone());
        // CloudFront's edge (`cloudfront_edge.rs`) serves from it.
        let cloudfront = Arc::new(gureum_cloudfront::CloudfrontService::new(store.clone()));
        cloudfront.set_certificates(acm.clone());
        route53.set_alias_targets(crate::alias_targets_wiring::build(&elbv2, &cloudfront));
        let glacier = crate::glacier_wiring::build(store, clock, &sns);
        let efs = crate::efs_wiring::build(store, &ec2, &instances);
        let billing = crate::billing_wiring::build(
            store,
            clock,
            vec![
                ec2.clone(),
                elbv2.clone(),
                rds.clone(),
                elasticache.clone(),
                s3.clone(),
            ],
            &sns,
        );
        let list: Vec<Arc<dyn Service>> = vec![
            autoscaling.clone(),
            acm.clone(),
            cloudfront.clone(),
            efs.clone(),
            glacier.clone(),
            billing.pricing.clone(),
            billing.ce.clone(),
            billing.budgets.clone(),
            elasticache.clone(),
            apigatewayv2.clone(),
            Arc::new(gureum_apigatewayv2::management::ManagementService::new(
                apigatewayv2.clone(),
            )),
            apigateway.clone(),
            rds.clone(),
            elbv2.clone(),
            cloudwatch.clone(),
            events.clone(),
            iam.clone(),
            sts,
            dynamodb.clone(),
            streams,
            ec2.clone(),
            kms.clone(),
            lambda.clone(),
            logs.clone(),
            route53.clone(),
            s3.clone(),
            Arc::new(gureum_servicequotas::ServiceQuotasService::new(
                store.clone(),
            )),
            ssm,
            Arc::new(
                gureum_secretsmanager::SecretsManagerService::with_encryptor(
                    store.clone(),
                    encryptor("secretsmanager"),
                )
                .with_rotation(Arc::new(
                    crate::rotation_functions::LambdaRotation(lambda.clone()),
                )),
            ),
            sqs.clone(),
            sns.clone(),
        ];
        crate::rds_wiring::use_secrets(&rds, &list);
        Registry {
            services: list.into_iter().map(|s| (s.model_name(), s)).collect(),
            authorizer,
            credentials,
            iam,
            events,
            sns,
            dynamodb,
            cloudwatch,
            sqs,
            lambda,
            s3,
            rds,
            elasticache,
            logs,
            apigatewayv2,
            apigateway,
            ec2,
            instances,
            route53,
            elbv2,
            autoscaling,
            acm,
            cloudfront,
            glacier,
            efs,
            billing,
        }
    }

    /// The service for a model name.
    pub fn get(&self, model: &str) -> Option<&Arc<dyn Service>> {
        self.services.get(model)
    }

    /// Every served service, by model name.
    pub fn services(&self) -> impl Iterator<Item = (&'static str, &Arc<dyn Service>)> {
        self.services.iter().map(|(name, s)| (*name, s))
    }

    /// The operations implemented for a model (empty when none).
    pub fn implemented(&self, model: &str) -> &'static [&'static str] {
        self.get(model).map(|s| s.implemented()).unwrap_or(&[])
    }
}

/// A [`MetricSink`] bound after it is handed out: services built before
/// CloudWatch emit through it once CloudWatch exists (dropped before).
#[derive(Default)]
struct LateMetrics(std::sync::OnceLock<Arc<dyn MetricSink>>);

impl MetricSink for LateMetrics {
    fn put(&self, scope: gureum_core::Scope<'_>, points: Vec<Datapoint>) {
        if let Some(sink) = self.0.get() {
            sink.put(scope, points);
        }
    }
}
