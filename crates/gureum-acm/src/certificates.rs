//! Reading and removing certificates: `DescribeCertificate`,
//! `ListCertificates` (status and key-type filters, paging),
//! `GetCertificate`, `DeleteCertificate` (refused while a load balancer
//! uses it) and `RenewCertificate`.

use crate::errors::AcmError;
use crate::records::Certificate;
use crate::AcmService;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use gureum_kit::paging::{self, PageRequest, PagingError};
use serde_json::{json, Map};

/// Epoch seconds, as json timestamps go on the wire.
pub(crate) fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// The certificate id of an ACM ARN (`None` when it is not one).
fn parse_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:aws:acm:")?;
    let mut parts = rest.splitn(3, ':');
    let region = parts.next()?;
    let account = parts.next()?;
    let id = parts.next()?.strip_prefix("certificate/")?;
    let ok = !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some((region, account, id))
}

/// The store key of `arn`, checked to be an ACM certificate ARN.
pub(crate) fn key_of(ctx: &RequestContext, arn: &str) -> Result<String, AwsError> {
    let (region, account, id) = parse_arn(arn).ok_or_else(|| AcmError::InvalidArn {
        arn: arn.to_string(),
    })?;
    if region != ctx.region || account != ctx.account_id {
        return Err(AcmError::CertificateNotFound {
            arn: arn.to_string(),
        }
        .into());
    }
    Ok(Scope::regional(ctx).key(id))
}

/// The store key of any ACM ARN (the kit seam, outside a request).
pub(crate) fn key_of_arn(arn: &str) -> Option<String> {
    let (region, account, id) = parse_arn(arn)?;
    Some(format!("{account}/{region}/{id}"))
}

/// The certificate `input.CertificateArn` names, with its key.
pub(crate) fn load(
    svc: &AcmService,
    ctx: &RequestContext,
    input: &Value,
) -> Result<(String, Certificate), AwsError> {
    let arn = input["CertificateArn"].as_str().unwrap_or_default();
    let key = key_of(ctx, arn)?;
    let cert = svc
        .certificates
        .get(&key)?
        .ok_or_else(|| AcmError::CertificateNotFound {
            arn: arn.to_string(),
        })?;
    Ok((key, cert))
}

fn validation_value(c: &Certificate, v: &crate::records::DomainValidation) -> Value {
    let mut out = Map::new();
    out.insert("DomainName".into(), json!(v.domain));
    out.insert("ValidationDomain".into(), json!(v.validation_domain));
    out.insert("ValidationStatus".into(), json!(v.status));
    let method = c.validation_method.as_deref().unwrap_or("DNS");
    if method == "DNS" {
        out.insert(
            "ResourceRecord".into(),
            json!({"Name": v.record_name, "Type": "CNAME", "Value": v.record_value}),
        );
    } else {
        out.insert(
            "ValidationEmails".into(),
            json!([
                "admin",
                "administrator",
                "hostmaster",
                "postmaster",
                "webmaster"
            ]
            .iter()
            .map(|u| format!("{u}@{}", v.validation_domain))
            .collect::<Vec<_>>()),
        );
    }
    out.insert("ValidationMethod".into(), json!(method));
    Value::Object(out)
}

/// `ELIGIBLE` when ACM renews it itself: issued by ACM and in use by an
/// integrated service.
fn renewal_eligibility(c: &Certificate, in_use: bool) -> &'static str {
    if c.kind == "AMAZON_ISSUED" && c.status == "ISSUED" && in_use {
        "ELIGIBLE"
    } else {
        "INELIGIBLE"
    }
}

/// The `CertificateDetail` of `c`.
pub(crate) fn detail(svc: &AcmService, c: &Certificate) -> Value {
    let users = svc.users_of(&c.arn);
    let mut d = Map::new();
    d.insert("CertificateArn".into(), json!(c.arn));
    d.insert("DomainName".into(), json!(c.domain));
    d.insert("SubjectAlternativeNames".into(), json!(c.sans));
    if !c.validations.is_empty() {
        d.insert(
            "DomainValidationOptions".into(),
            json!(c
                .validations
                .iter()
                .map(|v| validation_value(c, v))
                .collect::<Vec<_>>()),
        );
    }
    if let Some(s) = &c.serial {
        d.insert("Serial".into(), json!(s));
    }
    if let Some(s) = &c.subject {
        d.insert("Subject".into(), json!(s));
    }
    if let Some(s) = &c.issuer {
        d.insert("Issuer".into(), json!(s));
    }
    if c.kind != "IMPORTED" {
        d.insert("CreatedAt".into(), json!(secs(c.created_ms)));
    }
    if let Some(t) = c.issued_ms {
        d.insert("IssuedAt".into(), json!(secs(t)));
    }
    if let Some(t) = c.imported_ms {
        d.insert("ImportedAt".into(), json!(secs(t)));
    }
    d.insert("Status".into(), json!(c.status));
    if let Some((reason, at)) = &c.revoked {
        d.insert("RevokedAt".into(), json!(secs(*at)));
        d.insert("RevocationReason".into(), json!(reason));
    }
    if let Some(t) = c.not_before_ms {
        d.insert("NotBefore".into(), json!(secs(t)));
    }
    if let Some(t) = c.not_after_ms {
        d.insert("NotAfter".into(), json!(secs(t)));
    }
    d.insert(
        "KeyAlgorithm".into(),
        json!(key_algorithm_shown(&c.key_algorithm)),
    );
    if let Some(s) = &c.signature_algorithm {
        d.insert("SignatureAlgorithm".into(), json!(s));
    }
    d.insert(
        "RenewalEligibility".into(),
        json!(renewal_eligibility(c, !users.is_empty())),
    );
    d.insert("InUseBy".into(), json!(users));
    if c.status == "VALIDATION_TIMED_OUT" {
        d.insert("FailureReason".into(), json!("OTHER"));
    }
    d.insert("Type".into(), json!(c.kind));
    if let Some(m) = &c.managed_by {
        d.insert("ManagedBy".into(), json!(m));
    }
    if let Some((status, at)) = &c.renewal {
        d.insert(
            "RenewalSummary".into(),
            json!({
                "RenewalStatus": status,
                "DomainValidationOptions": c.validations.iter().map(|v| validation_value(c, v)).collect::<Vec<_>>(),
                "UpdatedAt": secs(*at),
            }),
        );
    }
    d.insert(
        "KeyUsages".into(),
        json!(c
            .key_usages
            .iter()
            .map(|k| json!({"Name": k}))
            .collect::<Vec<_>>()),
    );
    d.insert(
        "ExtendedKeyUsages".into(),
        json!(c
            .extended_key_usages
            .iter()
            .map(|k| json!({"Name": k, "OID": eku_oid(k)}))
            .collect::<Vec<_>>()),
    );
    d.insert(
        "Options".into(),
        json!({"CertificateTransparencyLoggingPreference": c.transparency, "Export": c.export}),
    );
    Value::Object(d)
}

/// The `KeyAlgorithm` shown. ACM has answered `RSA-2048` (a dash) in
/// descriptions, but the model's enum (which debug builds check every
/// output against) has the underscore form, which SDKs also accept.
fn key_algorithm_shown(k: &str) -> String {
    k.to_string()
}

fn eku_oid(name: &str) -> &'static str {
    match name {
        "TLS_WEB_SERVER_AUTHENTICATION" => "1.3.6.1.5.5.7.3.1",
        "TLS_WEB_CLIENT_AUTHENTICATION" => "1.3.6.1.5.5.7.3.2",
        "CODE_SIGNING" => "1.3.6.1.5.5.7.3.3",
        "EMAIL_PROTECTION" => "1.3.6.1.5.5.7.3.4",
        "TIME_STAMPING" => "1.3.6.1.5.5.7.3.8",
        "OCSP_SIGNING" => "1.3.6.1.5.5.7.3.9",
        _ => "",
    }
}

/// `DescribeCertificate`.
pub(crate) fn describe(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (_, c) = load(svc, ctx, input)?;
    Ok(json!({"Certificate": detail(svc, &c)}))
}

/// The key types listed when `Includes.keyTypes` is absent: ACM lists
/// only RSA_1024 and RSA_2048 certificates unless asked for others.
const DEFAULT_KEY_TYPES: [&str; 2] = ["RSA_1024", "RSA_2048"];

/// `ListCertificates`.
pub(crate) fn list(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let statuses: Vec<&str> = input["CertificateStatuses"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let key_types: Vec<String> = match input["Includes"]["keyTypes"].as_array() {
        Some(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => DEFAULT_KEY_TYPES.iter().map(|s| s.to_string()).collect(),
    };
    let ekus: Vec<&str> = input["Includes"]["extendedKeyUsage"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let request = PageRequest::new(
        input["MaxItems"].as_i64(),
        input["NextToken"].as_str(),
        (1, 1000),
        1000,
    )
    .map_err(|e| match e {
        PagingError::BadToken(_) => AwsError::from(AcmError::InvalidArgs {
            message: "The nextToken is not valid.".into(),
        }),
        PagingError::SizeOutOfRange { .. } => CommonError::ValidationException {
            message: "MaxItems must be between 1 and 1000.".into(),
        }
        .into(),
    })?;
    let keep = |c: &Certificate| {
        (statuses.is_empty() || statuses.contains(&c.status.as_str()))
            && key_types.iter().any(|k| k == &c.key_algorithm)
            && (ekus.is_empty()
                || ekus
                    .iter()
                    .any(|e| c.extended_key_usages.iter().any(|x| x == e)))
    };
    let scope = Scope::regional(ctx);
    let (items, next_token) = if input["SortBy"].as_str() == Some("CREATED_AT") {
        // Sorted by creation: the region's certificates in memory, then
        // one page of them (tokens carry the sort key).
        let descending = input["SortOrder"].as_str() == Some("DESCENDING");
        let mut all: Vec<Certificate> = svc
            .certificates
            .scan_prefix(&scope.prefix())?
            .into_iter()
            .map(|(_, c)| c)
            .filter(|c| keep(c))
            .collect();
        let sort_key = |c: &Certificate| {
            let t = if descending {
                i64::MAX - c.created_ms
            } else {
                c.created_ms
            };
            format!("{t:020}/{}", c.arn)
        };
        all.sort_by_key(sort_key);
        let page = paging::page_sorted(&all, sort_key, &request);
        (
            page.items
                .into_iter()
                .map(|c| summary(svc, c))
                .collect::<Vec<_>>(),
            page.next_token,
        )
    } else {
        let page = paging::page(&svc.certificates, &scope.prefix(), &request, |_, c| {
            keep(&c).then(|| summary(svc, &c))
        })?;
        (page.items, page.next_token)
    };
    let mut out = json!({"CertificateSummaryList": items});
    if let Some(t) = next_token {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

fn summary(svc: &AcmService, c: &Certificate) -> Value {
    let mut s = Map::new();
    s.insert("CertificateArn".into(), json!(c.arn));
    s.insert("DomainName".into(), json!(c.domain));
    s.insert(
        "SubjectAlternativeNameSummaries".into(),
        json!(c.sans.iter().take(100).collect::<Vec<_>>()),
    );
    s.insert(
        "HasAdditionalSubjectAlternativeNames".into(),
        json!(c.sans.len() > 100),
    );
    s.insert("Status".into(), json!(c.status));
    s.insert("Type".into(), json!(c.kind));
    if let Some(m) = &c.managed_by {
        s.insert("ManagedBy".into(), json!(m));
    }
    s.insert(
        "KeyAlgorithm".into(),
        json!(key_algorithm_shown(&c.key_algorithm)),
    );
    s.insert("KeyUsages".into(), json!(c.key_usages));
    s.insert("ExtendedKeyUsages".into(), json!(c.extended_key_usages));
    s.insert("ExportOption".into(), json!(c.export));
    let in_use = !svc.users_of(&c.arn).is_empty();
    s.insert("InUse".into(), json!(in_use));
    s.insert("Exported".into(), json!(c.exported));
    s.insert(
        "RenewalEligibility".into(),
        json!(renewal_eligibility(c, in_use)),
    );
    if let Some(t) = c.not_before_ms {
        s.insert("NotBefore".into(), json!(secs(t)));
    }
    if let Some(t) = c.not_after_ms {
        s.insert("NotAfter".into(), json!(secs(t)));
    }
    if c.kind != "IMPORTED" {
        s.insert("CreatedAt".into(), json!(secs(c.created_ms)));
    }
    if let Some(t) = c.issued_ms {
        s.insert("IssuedAt".into(), json!(secs(t)));
    }
    if let Some(t) = c.imported_ms {
        s.insert("ImportedAt".into(), json!(secs(t)));
    }
    if let Some((_, at)) = &c.revoked {
        s.insert("RevokedAt".into(), json!(secs(*at)));
    }
    Value::Object(s)
}

/// `GetCertificate`: the leaf and the chain above it.
pub(crate) fn get(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (_, c) = load(svc, ctx, input)?;
    // Once issued (or imported) there is a certificate to get, whatever
    // happened to it since (renewed, revoked, expired).
    let Some(cert) = c.cert_pem.as_ref() else {
        return Err(AcmError::NotYetIssued { arn: c.arn }.into());
    };
    let mut out = json!({"Certificate": cert});
    if let Some(chain) = c.chain_pem.as_ref().filter(|s| !s.is_empty()) {
        out["CertificateChain"] = json!(chain);
    }
    Ok(out)
}

/// `DeleteCertificate`.
pub(crate) fn delete(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (key, c) = load(svc, ctx, input)?;
    if !svc.users_of(&c.arn).is_empty() {
        return Err(AcmError::InUse {
            arn: c.arn,
            account: ctx.account_id.clone(),
        }
        .into());
    }
    svc.store.write(|txn| -> Result<(), AwsError> {
        txn.delete(&svc.certificates, &key)?;
        txn.delete(&svc.pending, &key)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// `RenewCertificate`: ACM renews only private certificates on request;
/// public ones renew themselves on the clock ([`crate::validation`]).
pub(crate) fn renew(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (key, mut c) = load(svc, ctx, input)?;
    if c.kind != "PRIVATE" {
        return Err(AcmError::InvalidParameter {
            message: format!(
                "Certificate {} is not a private certificate. Only private certificates can be renewed with RenewCertificate.",
                c.arn
            ),
        }
        .into());
    }
    if c.status != "ISSUED" {
        return Err(AcmError::NotYetIssued { arn: c.arn }.into());
    }
    crate::validation::issue(svc, &mut c, svc.clock.now_millis())?;
    c.renewal = Some(("SUCCESS".into(), svc.clock.now_millis()));
    svc.certificates.put(&key, &c)?;
    Ok(json!({}))
}
