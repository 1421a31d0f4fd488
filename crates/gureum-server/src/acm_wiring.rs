//! ACM's seams: DNS validation reads CNAMEs from Route 53's zones; ELBv2
//! serves HTTPS and TLS listeners with ACM's certificates and tells ACM
//! which load balancers use one (`InUseBy`); the local CA's root is served
//! at `/_gureum/ca.pem` (what `gureum ca` downloads).

use crate::admin::AdminResponse;
use bytes::Bytes;
use gureum_acm::{AcmService, ValidationRecords};
use gureum_core::Clock;
use gureum_route53::Route53Service;
use gureum_store::Store;
use std::sync::Arc;

/// ACM over `store`, validating through `route53` on `clock`.
pub fn build(store: &Store, clock: &Clock, route53: &Arc<Route53Service>) -> Arc<AcmService> {
    Arc::new(AcmService::with_records(
        store.clone(),
        clock.clone(),
        Arc::new(Route53Records(route53.clone())),
    ))
}

/// Lets ACM ask ELBv2 who uses a certificate (built after ACM, which it
/// reads certificates from).
pub fn connect(acm: &AcmService, elbv2: &Arc<gureum_elbv2::Elbv2Service>) {
    acm.set_users(elbv2.clone());
}

struct Route53Records(Arc<Route53Service>);

impl ValidationRecords for Route53Records {
    fn cname(&self, account: &str, name: &str) -> Option<String> {
        self.0
            .record_values(account, name, "CNAME")
            .into_iter()
            .next()
    }
}

/// `GET /_gureum/ca.pem`: the local CA's root certificate.
pub fn ca_pem(acm: &AcmService) -> AdminResponse {
    match acm.root_pem() {
        Ok(pem) => AdminResponse {
            status: 200,
            content_type: "application/x-pem-file",
            body: Bytes::from(pem).into(),
        },
        Err(e) => crate::admin::json_response(500, serde_json::json!({"error": e.message})),
    }
}
