//! `RequestCertificate`: names checked as ACM checks them, an idempotency
//! token honoured for an hour, and the validation each name needs — for
//! DNS a CNAME whose name and value depend only on the account and the
//! domain (so one record validates every certificate for it, as in ACM).

use crate::errors::AcmError;
use crate::records::{Certificate, DomainValidation, TokenUse};
use crate::AcmService;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long an idempotency token returns the same certificate.
const TOKEN_LIFETIME_MS: i64 = 3_600_000;
/// Names on one certificate (domain plus alternatives), ACM's default quota.
const MAX_NAMES: usize = 10;

/// Why `name` is not a domain ACM issues for (`None`: it is one).
fn name_problem(name: &str) -> Option<String> {
    let bare = name.strip_prefix("*.").unwrap_or(name);
    if name.len() > 253 {
        return Some(format!("Domain name {name} is longer than 253 characters."));
    }
    if bare.contains('*') {
        return Some(format!(
            "Domain name {name} can only contain one wildcard, as its leftmost label."
        ));
    }
    let labels: Vec<&str> = bare.split('.').collect();
    let valid = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!valid).then(|| format!("Domain name {name} is not a valid domain name."))
}

/// 32 hex characters from the account, the domain and `salt`.
fn digest(account: &str, domain: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(account.as_bytes());
    h.update([0]);
    h.update(domain.as_bytes());
    h.update([0]);
    h.update(salt.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// The CNAME that validates `domain` for `account`: `(name, value)`.
pub(crate) fn validation_record(account: &str, domain: &str) -> (String, String) {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let target = digest(account, &domain, "target");
    (
        format!("_{}.{domain}.", digest(account, &domain, "name")),
        format!("_{}.{}.acm-validations.aws.", target, &target[..10]),
    )
}

/// `RequestCertificate`.
pub(crate) fn request_certificate(
    svc: &AcmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let domain = input["DomainName"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut names = vec![domain.clone()];
    for san in input["SubjectAlternativeNames"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let san = san.as_str().unwrap_or_default().to_ascii_lowercase();
        if !names.contains(&san) {
            names.push(san);
        }
    }
    for name in &names {
        if let Some(message) = name_problem(name) {
            return Err(AcmError::InvalidParameter { message }.into());
        }
    }
    if names.len() > MAX_NAMES {
        return Err(AcmError::InvalidParameter {
            message: format!(
                "Total number of domains ({}) exceeds the limit of {MAX_NAMES}.",
                names.len()
            ),
        }
        .into());
    }
    if input["CertificateAuthorityArn"].is_string() {
        // Private CAs (ACM PCA) are not served by Gureum.
        return Err(AcmError::InvalidArn {
            arn: input["CertificateAuthorityArn"]
                .as_str()
                .unwrap_or_default()
                .into(),
        }
        .into());
    }
    let method = input["ValidationMethod"]
        .as_str()
        .unwrap_or("EMAIL")
        .to_string();
    if method == "HTTP" {
        return Err(AcmError::InvalidParameter {
            message: "HTTP validation is only available for certificates managed by CloudFront."
                .into(),
        }
        .into());
    }
    let key_algorithm = input["KeyAlgorithm"]
        .as_str()
        .unwrap_or("RSA_2048")
        .to_string();
    if !matches!(
        key_algorithm.as_str(),
        "RSA_2048" | "EC_prime256v1" | "EC_secp384r1"
    ) {
        return Err(AcmError::InvalidParameter {
            message: format!(
                "Key algorithm {key_algorithm} is not supported. Use RSA_2048, EC_prime256v1 or EC_secp384r1."
            ),
        }
        .into());
    }
    // ValidationDomain overrides (email validation at a parent domain).
    let mut validation_domains: Vec<(String, String)> = Vec::new();
    for o in input["DomainValidationOptions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let d = o["DomainName"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !names.contains(&d) {
            return Err(AcmError::InvalidValidationDomain { domain: d }.into());
        }
        let v = o["ValidationDomain"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        validation_domains.push((d, v));
    }
    let tags = crate::tags::parse(input)?;
    let scope = Scope::regional(ctx);
    let now = svc.clock.now_millis();
    let fingerprint = format!("{method}|{key_algorithm}|{}", names.join(","));
    let token = input["IdempotencyToken"].as_str().map(|t| scope.key(t));
    if let Some(t) = &token {
        if let Some(used) = svc.tokens.get(t)? {
            if now - used.at_ms < TOKEN_LIFETIME_MS
                && used.request == fingerprint
                && svc
                    .certificates
                    .contains(&crate::certificates::key_of(ctx, &used.arn)?)?
            {
                return Ok(json!({"CertificateArn": used.arn}));
            }
        }
    }
    let id = gureum_core::id::uuid_v4();
    let arn = format!(
        "arn:aws:acm:{}:{}:certificate/{id}",
        ctx.region, ctx.account_id
    );
    let validations = names
        .iter()
        .map(|name| {
            let validation_domain = validation_domains
                .iter()
                .find(|(d, _)| d == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| name.strip_prefix("*.").unwrap_or(name).to_string());
            let (record_name, record_value) =
                validation_record(&ctx.account_id, &validation_domain);
            DomainValidation {
                domain: name.clone(),
                validation_domain,
                status: "PENDING_VALIDATION".into(),
                record_name,
                record_value,
            }
        })
        .collect();
    let cert = Certificate {
        arn: arn.clone(),
        domain,
        sans: names,
        kind: "AMAZON_ISSUED".into(),
        status: "PENDING_VALIDATION".into(),
        validation_method: Some(method),
        validations,
        key_algorithm,
        signature_algorithm: None,
        created_ms: now,
        issued_ms: None,
        imported_ms: None,
        not_before_ms: None,
        not_after_ms: None,
        serial: None,
        subject: None,
        issuer: None,
        cert_pem: None,
        chain_pem: None,
        key_pem: None,
        tags,
        transparency: input["Options"]["CertificateTransparencyLoggingPreference"]
            .as_str()
            .unwrap_or("ENABLED")
            .into(),
        export: input["Options"]["Export"]
            .as_str()
            .unwrap_or("DISABLED")
            .into(),
        renewal: None,
        key_usages: Vec::new(),
        extended_key_usages: Vec::new(),
        managed_by: input["ManagedBy"].as_str().map(str::to_string),
        exported: false,
        revoked: None,
    };
    let key = scope.key(&id);
    svc.store.write(|txn| -> Result<(), AwsError> {
        txn.put(&svc.certificates, &key, &cert)?;
        txn.put(&svc.pending, &key, &())?;
        if let Some(t) = &token {
            txn.put(
                &svc.tokens,
                t,
                &TokenUse {
                    arn: arn.clone(),
                    request: fingerprint.clone(),
                    at_ms: now,
                },
            )?;
        }
        Ok(())
    })?;
    Ok(json!({"CertificateArn": arn}))
}
