//! ACM's rules, by name, through `Service::call`.

use crate::{AcmService, ValidationRecords};
use gureum_core::{AwsError, Clock, RequestContext, Service, Value};
use gureum_kit::certificates::{CertificateSource, CertificateUsers, Lookup};
use gureum_store::Store;
use parking_lot::Mutex;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// CNAMEs by name, as a Route 53 would hold them.
#[derive(Default)]
struct Records(Mutex<HashMap<String, String>>);

impl ValidationRecords for Records {
    fn cname(&self, _account: &str, name: &str) -> Option<String> {
        self.0.lock().get(name).cloned()
    }
}

/// A load balancer using every certificate.
struct UsesAll;

impl CertificateUsers for UsesAll {
    fn users(&self, _arn: &str) -> Vec<String> {
        vec!["arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/1".into()]
    }
}

fn ctx(clock: &Clock) -> RequestContext {
    RequestContext::root("000000000000", "us-east-1", clock.clone())
}

/// The table's futures are ready at once; poll one without a runtime.
fn call(s: &AcmService, c: &RequestContext, op: &str, input: Value) -> Result<Value, AwsError> {
    use std::task::{Context, Poll, Waker};
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = s.call(c, op, input);
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("service future was not ready"),
    }
}

fn setup() -> (AcmService, Arc<Records>, Clock, Store) {
    let store = Store::in_memory().expect("store");
    let records = Arc::new(Records::default());
    let clock = Clock::system();
    let svc = AcmService::with_records(store.clone(), clock.clone(), records.clone());
    (svc, records, clock, store)
}

fn describe(s: &AcmService, c: &RequestContext, arn: &str) -> Value {
    call(s, c, "DescribeCertificate", json!({"CertificateArn": arn})).expect("describe")
        ["Certificate"]
        .clone()
}

fn request(s: &AcmService, c: &RequestContext, input: Value) -> String {
    call(s, c, "RequestCertificate", input).expect("request")["CertificateArn"]
        .as_str()
        .expect("arn")
        .to_string()
}

#[test]
fn the_ca_is_made_once_per_store_and_kept() {
    let (svc, _, clock, store) = setup();
    let root = svc.root_pem().expect("root");
    assert!(root.starts_with("-----BEGIN CERTIFICATE-----"));
    let again = AcmService::with_records(store, clock, Arc::new(crate::NoRecords));
    assert_eq!(again.root_pem().expect("root"), root);
}

#[test]
fn dns_validation_waits_for_the_cname_then_issues_a_leaf_that_chains_to_the_root() {
    let (svc, records, clock, _) = setup();
    let c = ctx(&clock);
    let arn = request(
        &svc,
        &c,
        json!({"DomainName": "app.example.test", "ValidationMethod": "DNS", "KeyAlgorithm": "EC_prime256v1"}),
    );
    svc.tick();
    let d = describe(&svc, &c, &arn);
    assert_eq!(d["Status"], "PENDING_VALIDATION");
    let rr = &d["DomainValidationOptions"][0]["ResourceRecord"];
    // A record with the wrong value does not validate.
    records.0.lock().insert(
        rr["Name"].as_str().expect("name").into(),
        "_wrong.acm-validations.aws.".into(),
    );
    svc.tick();
    assert_eq!(describe(&svc, &c, &arn)["Status"], "PENDING_VALIDATION");
    records.0.lock().insert(
        rr["Name"].as_str().expect("name").into(),
        rr["Value"].as_str().expect("value").into(),
    );
    svc.tick();
    assert_eq!(describe(&svc, &c, &arn)["Status"], "ISSUED");
    let Lookup::Ready(served) = svc.certificate(&arn) else {
        panic!("not ready");
    };
    // The chain verifies against the root alone, for the requested name.
    let chain: Vec<_> = rustls_pemfile::certs(&mut served.chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("chain");
    let root_pem = svc.root_pem().expect("root");
    let mut roots = rustls::RootCertStore::empty();
    for r in rustls_pemfile::certs(&mut root_pem.as_bytes()) {
        roots.add(r.expect("root")).expect("add");
    }
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .expect("verifier");
    let name = rustls::pki_types::ServerName::try_from("app.example.test").expect("name");
    let now = rustls::pki_types::UnixTime::now();
    use rustls::client::danger::ServerCertVerifier;
    verifier
        .verify_server_cert(&chain[0], &chain[1..], &name, &[], now)
        .expect("the leaf verifies");
    let other = rustls::pki_types::ServerName::try_from("other.example.test").expect("name");
    assert!(verifier
        .verify_server_cert(&chain[0], &chain[1..], &other, &[], now)
        .is_err());
}

#[test]
fn email_validation_is_approved_on_the_next_tick() {
    let (svc, _, clock, _) = setup();
    let c = ctx(&clock);
    let arn = request(
        &svc,
        &c,
        json!({"DomainName": "mail.example.test", "ValidationMethod": "EMAIL"}),
    );
    let d = describe(&svc, &c, &arn);
    assert_eq!(d["Status"], "PENDING_VALIDATION");
    assert_eq!(
        d["DomainValidationOptions"][0]["ValidationEmails"][0],
        "admin@mail.example.test"
    );
    svc.tick();
    let d = describe(&svc, &c, &arn);
    assert_eq!(d["Status"], "ISSUED");
    assert_eq!(d["KeyAlgorithm"], "RSA_2048");
}

#[test]
fn the_validation_record_depends_only_on_the_account_and_domain() {
    let a = crate::request::validation_record("000000000000", "example.test");
    assert_eq!(
        a,
        crate::request::validation_record("000000000000", "Example.Test.")
    );
    assert_ne!(
        a,
        crate::request::validation_record("111111111111", "example.test")
    );
    assert!(a.0.starts_with('_') && a.0.ends_with(".example.test."));
}

#[test]
fn a_wildcard_is_validated_at_its_parent_domain() {
    let (svc, _, clock, _) = setup();
    let c = ctx(&clock);
    let arn = request(
        &svc,
        &c,
        json!({"DomainName": "*.example.test", "ValidationMethod": "DNS"}),
    );
    let d = describe(&svc, &c, &arn);
    let o = &d["DomainValidationOptions"][0];
    assert_eq!(o["DomainName"], "*.example.test");
    assert_eq!(o["ValidationDomain"], "example.test");
    let name = o["ResourceRecord"]["Name"].as_str().expect("name");
    assert!(
        name.ends_with(".example.test.") && !name.contains('*'),
        "{name}"
    );
    // The same record as the bare domain's.
    let bare = request(
        &svc,
        &c,
        json!({"DomainName": "example.test", "ValidationMethod": "DNS"}),
    );
    assert_eq!(
        describe(&svc, &c, &bare)["DomainValidationOptions"][0]["ResourceRecord"]["Name"],
        name
    );
}

#[test]
fn a_certificate_in_use_cannot_be_deleted() {
    let (svc, _, clock, _) = setup();
    svc.set_users(Arc::new(UsesAll));
    let c = ctx(&clock);
    let arn = request(
        &svc,
        &c,
        json!({"DomainName": "used.example.test", "ValidationMethod": "EMAIL"}),
    );
    let e = call(
        &svc,
        &c,
        "DeleteCertificate",
        json!({"CertificateArn": arn}),
    )
    .expect_err("in use");
    assert_eq!(e.code, "ResourceInUseException");
    assert_eq!(
        e.message,
        format!("Certificate {arn} in account 000000000000 is in use.")
    );
}

#[test]
fn issued_certificates_renew_sixty_days_before_they_expire() {
    let (svc, _, clock, _) = setup();
    let c = ctx(&clock);
    let arn = request(
        &svc,
        &c,
        json!({"DomainName": "renew.example.test", "ValidationMethod": "EMAIL"}),
    );
    svc.tick();
    let first = describe(&svc, &c, &arn);
    assert_eq!(first["Status"], "ISSUED");
    // 340 days on: within 60 days of the 395-day validity.
    clock.advance_millis(340 * 86_400_000);
    svc.tick();
    let renewed = describe(&svc, &c, &arn);
    assert_eq!(renewed["RenewalSummary"]["RenewalStatus"], "SUCCESS");
    assert_ne!(renewed["Serial"], first["Serial"]);
    assert!(renewed["NotAfter"].as_f64() > first["NotAfter"].as_f64());
}

#[test]
fn names_that_are_not_domains_are_refused() {
    let (svc, _, clock, _) = setup();
    let c = ctx(&clock);
    for bad in [
        "localhost",
        "a..example.test",
        "-a.example.test",
        "a.*.example.test",
    ] {
        let e = call(&svc, &c, "RequestCertificate", json!({"DomainName": bad})).expect_err(bad);
        assert_eq!(e.code, "InvalidParameterException", "{bad}");
    }
}

#[test]
fn a_revoked_certificate_is_no_longer_served() {
    let (svc, _, clock, _) = setup();
    let c = ctx(&clock);
    let arn = request(
        &svc,
        &c,
        json!({"DomainName": "gone.example.test", "ValidationMethod": "EMAIL", "KeyAlgorithm": "EC_prime256v1"}),
    );
    svc.tick();
    assert!(matches!(svc.certificate(&arn), Lookup::Ready(_)));
    call(
        &svc,
        &c,
        "RevokeCertificate",
        json!({"CertificateArn": arn, "RevocationReason": "SUPERSEDED"}),
    )
    .expect("revoked");
    assert_eq!(svc.certificate(&arn), Lookup::NotReady);
    assert_eq!(describe(&svc, &c, &arn)["Status"], "REVOKED");
}
