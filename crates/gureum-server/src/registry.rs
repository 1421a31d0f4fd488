//! The services this binary serves, built over one store and one clock.
//!
//! A service model without an entry here is still routed (so its callers
//! get AWS-shaped errors), and answers `NotImplemented` for every
//! operation; `docs/COVERAGE.md` is generated from the same table.

use gureum_auth::CredentialsProvider;
use gureum_authz::Authorizer;
use gureum_core::{Clock, Service};
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
    /// CloudWatch, for evaluating alarms on the clock, reading the
    /// recorded alarm actions (`GET /_gureum/cloudwatch/actions`), and as
    /// the [`gureum_kit::metrics::MetricSink`] services emit metrics to.
    pub cloudwatch: Arc<gureum_cloudwatch::CloudWatchService>,
    /// SQS, whose queue depths the ticker emits to CloudWatch each minute.
    pub sqs: Arc<gureum_sqs::SqsService>,
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
        let events = Arc::new(gureum_events::EventsService::new(store.clone()));
        // Alarm actions are recorded and alarm events dropped until SNS and
        // EventBridge's service-event seam are wired here.
        let cloudwatch = Arc::new(gureum_cloudwatch::CloudWatchService::new(store.clone()));
        let sqs = Arc::new(gureum_sqs::SqsService::new(store.clone()));
        // One KMS, served as `kms` and encrypting for SSM and Secrets Manager.
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
        let list: Vec<Arc<dyn Service>> = vec![
            cloudwatch.clone(),
            events.clone(),
            iam.clone(),
            sts,
            Arc::new(gureum_dynamodb::DynamoDbService::new(store.clone())),
            Arc::new(gureum_ec2::Ec2Service::new(store.clone())),
            kms.clone(),
            Arc::new(gureum_lambda::LambdaService::new(store.clone())),
            Arc::new(gureum_logs::LogsService::new(store.clone())),
            Arc::new(gureum_route53::Route53Service::new(store.clone())),
            Arc::new(gureum_s3::S3Service::new(store.clone())),
            Arc::new(gureum_servicequotas::ServiceQuotasService::new(
                store.clone(),
            )),
            Arc::new(gureum_ssm::SsmService::with_encryptor(
                store.clone(),
                encryptor("ssm"),
            )),
            Arc::new(
                gureum_secretsmanager::SecretsManagerService::with_encryptor(
                    store.clone(),
                    encryptor("secretsmanager"),
                ),
            ),
            sqs.clone(),
        ];
        Registry {
            services: list.into_iter().map(|s| (s.model_name(), s)).collect(),
            authorizer,
            credentials,
            iam,
            events,
            cloudwatch,
            sqs,
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
