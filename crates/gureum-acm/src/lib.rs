//! AWS Certificate Manager (json 1.1, regional): certificates issued by
//! Gureum's local CA ([`ca`]) once validated — DNS validation for real
//! (the `_….domain.` CNAME must exist in a Route 53 hosted zone, checked on
//! Gureum's clock), email validation auto-approved — imported
//! certificates checked as ACM checks them, tags, renewals and the
//! account's expiry-events setting. Services that terminate TLS read
//! certificates through [`gureum_kit::certificates`].
//!
//! Tables (keys from [`gureum_core::Scope`]):
//! - `acm.certificates`: `account/region/UUID` → [`Certificate`] (key
//!   included);
//! - `acm.pending`: `account/region/UUID` → `()` for certificates waiting
//!   on validation (what the ticker reads);
//! - `acm.tokens`: `account/region/token` → [`records::TokenUse`];
//! - `acm.config`: `account` → days before expiry for expiry events;
//! - `gureum.ca`: `ca` → the local CA ([`ca::StoredCa`]); a `gureum.*`
//!   table, Gureum's own, so it survives resets (a root users trusted
//!   stays trusted) and travels in exports.
//!
//! Layout: [`errors`]; [`records`]; [`ca`]; `request.rs`
//! (`RequestCertificate`), `validation.rs` (the ticker), `certificates.rs`
//! (describe, list, get, delete, renew), `export.rs`, `import.rs`,
//! `options.rs` (options, resend, revoke), `tags.rs`, `account.rs`;
//! `source.rs` (the kit seam for TLS users).

mod account;
pub mod ca;
mod certificates;
pub mod errors;
mod export;
mod import;
mod options;
pub mod records;
mod request;
mod source;
mod tags;
mod validation;

pub use errors::AcmError;
pub use records::Certificate;

use gureum_core::{AwsError, Clock, OpResult, RequestContext, Value};
use gureum_kit::certificates::{CertificateUsers, NoUsers};
use gureum_store::{Store, Table};
use std::sync::{Arc, OnceLock};

/// Where DNS validation looks for its CNAMEs: Route 53, as the server wires it.
pub trait ValidationRecords: Send + Sync {
    /// The value of the CNAME record named `name` (absolute, with the final
    /// dot) in one of `account`'s hosted zones, if there is one.
    fn cname(&self, account: &str, name: &str) -> Option<String>;
}

/// No DNS: DNS validation never completes.
pub struct NoRecords;

impl ValidationRecords for NoRecords {
    fn cname(&self, _account: &str, _name: &str) -> Option<String> {
        None
    }
}

/// The ACM service.
pub struct AcmService {
    store: Store,
    certificates: Table<Certificate>,
    pending: Table<()>,
    tokens: Table<records::TokenUse>,
    config: Table<i64>,
    ca_table: Table<ca::StoredCa>,
    clock: Clock,
    records: Arc<dyn ValidationRecords>,
    users: OnceLock<Arc<dyn CertificateUsers>>,
    /// The minute of Gureum's clock renewals were last looked for in.
    renewal_minute: std::sync::atomic::AtomicI64,
}

impl AcmService {
    /// The service over `store`, without Route 53 (unit tests).
    pub fn new(store: Store) -> Self {
        Self::with_records(store, Clock::system(), Arc::new(NoRecords))
    }

    /// The service over `store`, validating through `records` on `clock`.
    pub fn with_records(store: Store, clock: Clock, records: Arc<dyn ValidationRecords>) -> Self {
        AcmService {
            certificates: store.table("acm.certificates"),
            pending: store.table("acm.pending"),
            tokens: store.table("acm.tokens"),
            config: store.table("acm.config"),
            ca_table: store.table("gureum.ca"),
            store,
            clock,
            records,
            users: OnceLock::new(),
            renewal_minute: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// Tells ACM who uses certificates (ELBv2), once, after both are built.
    pub fn set_users(&self, users: Arc<dyn CertificateUsers>) {
        let _ = self.users.set(users);
    }

    fn users_of(&self, arn: &str) -> Vec<String> {
        match self.users.get() {
            Some(u) => u.users(arn),
            None => NoUsers.users(arn),
        }
    }

    /// The local CA, made on first use.
    pub fn ca(&self) -> Result<ca::StoredCa, AwsError> {
        ca::load_or_create(&self.store, &self.ca_table, self.clock.now_millis())
    }

    /// The local CA's root certificate, PEM (what `gureum ca` exports and
    /// users trust).
    pub fn root_pem(&self) -> Result<String, AwsError> {
        Ok(self.ca()?.root_pem)
    }

    /// Validates pending certificates whose records now exist and issues
    /// them; times out the ones pending too long; renews issued ones near
    /// expiry. The server's ticker calls it each second.
    pub fn tick(&self) {
        if let Err(e) = validation::run(self) {
            tracing::warn!(target: "gureum", "acm validation: {}", e.message);
        }
    }

    fn request_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        request::request_certificate(self, ctx, &input)
    }
    fn describe_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        certificates::describe(self, ctx, &input)
    }
    fn list_certificates(&self, ctx: &RequestContext, input: Value) -> OpResult {
        certificates::list(self, ctx, &input)
    }
    fn get_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        certificates::get(self, ctx, &input)
    }
    fn delete_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        certificates::delete(self, ctx, &input)
    }
    fn renew_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        certificates::renew(self, ctx, &input)
    }
    fn export_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        export::export_certificate(self, ctx, &input)
    }
    fn import_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        import::import_certificate(self, ctx, &input)
    }
    fn update_certificate_options(&self, ctx: &RequestContext, input: Value) -> OpResult {
        options::update_options(self, ctx, &input)
    }
    fn resend_validation_email(&self, ctx: &RequestContext, input: Value) -> OpResult {
        options::resend_validation_email(self, ctx, &input)
    }
    fn revoke_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        options::revoke(self, ctx, &input)
    }
    fn add_tags_to_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::add(self, ctx, &input)
    }
    fn remove_tags_from_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::remove(self, ctx, &input)
    }
    fn list_tags_for_certificate(&self, ctx: &RequestContext, input: Value) -> OpResult {
        tags::list(self, ctx, &input)
    }
    fn get_account_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        account::get(self, ctx, &input)
    }
    fn put_account_configuration(&self, ctx: &RequestContext, input: Value) -> OpResult {
        account::put(self, ctx, &input)
    }
}

gureum_core::service_operations! {
    AcmService, "acm",
    "RequestCertificate" => request_certificate,
    "DescribeCertificate" => describe_certificate,
    "ListCertificates" => list_certificates,
    "GetCertificate" => get_certificate,
    "DeleteCertificate" => delete_certificate,
    "RenewCertificate" => renew_certificate,
    "ImportCertificate" => import_certificate,
    "ExportCertificate" => export_certificate,
    "UpdateCertificateOptions" => update_certificate_options,
    "ResendValidationEmail" => resend_validation_email,
    "RevokeCertificate" => revoke_certificate,
    "AddTagsToCertificate" => add_tags_to_certificate,
    "RemoveTagsFromCertificate" => remove_tags_from_certificate,
    "ListTagsForCertificate" => list_tags_for_certificate,
    "GetAccountConfiguration" => get_account_configuration,
    "PutAccountConfiguration" => put_account_configuration,
}

#[cfg(test)]
mod tests;
