//! What ACM stores: certificates (with their keys) and the account's
//! configuration.

use serde::{Deserialize, Serialize};

/// One domain's validation, as `DomainValidationOptions` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DomainValidation {
    /// The name on the certificate (`*.example.com`).
    pub domain: String,
    /// The domain validated for it (`example.com`).
    pub validation_domain: String,
    /// `PENDING_VALIDATION`, `SUCCESS`, `FAILED`.
    pub status: String,
    /// The CNAME to create (DNS validation): its name…
    pub record_name: String,
    /// …and its value.
    pub record_value: String,
}

/// A certificate as stored, key included.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    /// `arn:aws:acm:REGION:ACCOUNT:certificate/UUID`.
    pub arn: String,
    /// `DomainName`.
    pub domain: String,
    /// `SubjectAlternativeNames` (the domain first).
    pub sans: Vec<String>,
    /// `AMAZON_ISSUED`, `IMPORTED`, `PRIVATE`.
    pub kind: String,
    /// `PENDING_VALIDATION`, `ISSUED`, `VALIDATION_TIMED_OUT`, `EXPIRED`, …
    pub status: String,
    /// `DNS` or `EMAIL` (requested certificates).
    pub validation_method: Option<String>,
    /// Per-domain validation (requested certificates).
    pub validations: Vec<DomainValidation>,
    /// `KeyAlgorithm` (`RSA_2048`, `EC_prime256v1`, …).
    pub key_algorithm: String,
    /// `SignatureAlgorithm` (`SHA256WITHECDSA`).
    pub signature_algorithm: Option<String>,
    /// When it was requested, epoch milliseconds.
    pub created_ms: i64,
    /// When it was (last) issued.
    pub issued_ms: Option<i64>,
    /// When it was (last) imported.
    pub imported_ms: Option<i64>,
    /// Validity.
    pub not_before_ms: Option<i64>,
    /// Validity.
    pub not_after_ms: Option<i64>,
    /// `0a:1b:…`.
    pub serial: Option<String>,
    /// `CN=app.example.test`.
    pub subject: Option<String>,
    /// The issuer's common name (ACM shows `Amazon`; here the CA's).
    pub issuer: Option<String>,
    /// The leaf, PEM.
    pub cert_pem: Option<String>,
    /// The chain above it, PEM.
    pub chain_pem: Option<String>,
    /// The leaf's key, PKCS#8 PEM.
    pub key_pem: Option<String>,
    /// Tags, in the order added.
    pub tags: Vec<(String, Option<String>)>,
    /// `Options.CertificateTransparencyLoggingPreference`.
    pub transparency: String,
    /// `Options.Export` (`ENABLED` lets ExportCertificate hand out the key).
    pub export: String,
    /// `RenewalSummary`: status and when it changed.
    pub renewal: Option<(String, i64)>,
    /// Imported `KeyUsages` / requested ones.
    pub key_usages: Vec<String>,
    /// `ExtendedKeyUsages` names.
    pub extended_key_usages: Vec<String>,
    /// `ManagedBy` (`CLOUDFRONT`), as requested.
    #[serde(default)]
    pub managed_by: Option<String>,
    /// Whether `ExportCertificate` has handed out its key.
    #[serde(default)]
    pub exported: bool,
    /// `RevocationReason` and `RevokedAt`, once revoked.
    #[serde(default)]
    pub revoked: Option<(String, i64)>,
}

/// An idempotency token's certificate, for an hour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenUse {
    /// The certificate it made.
    pub arn: String,
    /// The request's fingerprint (domain, names, method).
    pub request: String,
    /// When, epoch milliseconds.
    pub at_ms: i64,
}
