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
    /// S3, for CORS preflights and headers at the HTTP layer.
    pub s3: Arc<gureum_s3::S3Service>,
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
        // One SQS, served as `sqs` and receiving EventBridge's and S3's
        // deliveries.
        let sqs = Arc::new(gureum_sqs::SqsService::new(store.clone()));
        // EventBridge delivers through the services that own its targets
        // (`targets.rs`), and carries services' own events
        // (`ServiceEvents`) onto the default bus.
        let events = Arc::new(gureum_events::EventsService::with_sink(
            store.clone(),
            Arc::new(crate::targets::ServiceTargets::new(
                store,
                clock.clone(),
                sqs.clone(),
            )),
        ));
        let service_events: Arc<dyn gureum_kit::service_events::ServiceEvents> = events.clone();
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
        let ec2 = gureum_ec2::Ec2Service::new(store.clone())
            .with_events(service_events.clone())
            .with_parameters(ssm.clone());
        let s3 = Arc::new(
            gureum_s3::S3Service::with_encryptor(store.clone(), encryptor("s3"))
                .with_notifications(gureum_s3::notifications::Notifier {
                    sqs: sqs.clone(),
                    events: service_events.clone(),
                })
                .with_authorizer(authorizer.clone()),
        );
        let list: Vec<Arc<dyn Service>> = vec![
            events.clone(),
            iam.clone(),
            sts,
            Arc::new(gureum_dynamodb::DynamoDbService::new(store.clone())),
            Arc::new(ec2),
            kms.clone(),
            Arc::new(gureum_lambda::LambdaService::new(store.clone())),
            Arc::new(gureum_logs::LogsService::new(store.clone())),
            Arc::new(gureum_route53::Route53Service::new(store.clone())),
            s3.clone(),
            Arc::new(gureum_servicequotas::ServiceQuotasService::new(
                store.clone(),
            )),
            ssm,
            Arc::new(
                gureum_secretsmanager::SecretsManagerService::with_encryptor(
                    store.clone(),
                    encryptor("secretsmanager"),
                ),
            ),
            sqs,
        ];
        Registry {
            services: list.into_iter().map(|s| (s.model_name(), s)).collect(),
            authorizer,
            credentials,
            iam,
            events,
            s3,
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
