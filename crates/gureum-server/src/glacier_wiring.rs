//! Glacier's job notifications go to SNS: published as
//! `glacier.amazonaws.com` for the vault, so the topic's policy must let
//! Glacier publish, as on AWS.

use gureum_core::Clock;
use gureum_glacier::{GlacierService, JobNotifier};
use gureum_sns::SnsService;
use gureum_sqs::ServiceSender;
use std::sync::Arc;

/// Glacier's service principal.
const GLACIER_PRINCIPAL: &str = "glacier.amazonaws.com";

/// Publishes job completions through SNS's Rust interface.
struct SnsJobNotices {
    sns: Arc<SnsService>,
    clock: Clock,
}

impl JobNotifier for SnsJobNotices {
    fn notify(
        &self,
        account: &str,
        vault_arn: &str,
        topic_arn: &str,
        message: &str,
    ) -> Result<(), String> {
        let sender = ServiceSender {
            service: GLACIER_PRINCIPAL,
            source_arn: vault_arn,
            source_account: account,
        };
        self.sns
            .publish_from_service(
                &self.clock,
                &sender,
                topic_arn,
                message,
                None,
                &serde_json::Value::Null,
            )
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }
}

/// Glacier over `store`, announcing completed jobs through `sns`.
pub fn build(
    store: &gureum_store::Store,
    clock: &Clock,
    sns: &Arc<SnsService>,
) -> Arc<GlacierService> {
    let glacier = Arc::new(GlacierService::new(store.clone()));
    glacier.set_notifier(Arc::new(SnsJobNotices {
        sns: sns.clone(),
        clock: clock.clone(),
    }));
    glacier
}
