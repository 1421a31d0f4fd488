//! A certificate's later changes: `UpdateCertificateOptions` (transparency
//! logging), `ResendValidationEmail` (email validation is approved on the
//! clock, so a resend only checks what ACM checks) and `RevokeCertificate`
//! (a revoked certificate is no longer served).
//!
//! Messages follow ACM's wording; no public record of their exact text was
//! found.

use crate::errors::AcmError;
use crate::AcmService;
use gureum_core::{OpResult, RequestContext, Value};
use serde_json::json;

/// `UpdateCertificateOptions`.
pub(crate) fn update_options(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (key, mut c) = crate::certificates::load(svc, ctx, input)?;
    if c.kind == "IMPORTED" {
        return Err(AcmError::InvalidState {
            message: format!(
                "Certificate {} is imported; its options cannot be updated.",
                c.arn
            ),
        }
        .into());
    }
    if let Some(export) = input["Options"]["Export"].as_str() {
        if export != c.export {
            return Err(AcmError::InvalidState {
                message: "The Export option cannot be changed after the certificate is requested."
                    .into(),
            }
            .into());
        }
    }
    if let Some(p) = input["Options"]["CertificateTransparencyLoggingPreference"].as_str() {
        c.transparency = p.to_string();
    }
    svc.certificates.put(&key, &c)?;
    Ok(json!({}))
}

/// `ResendValidationEmail`.
pub(crate) fn resend_validation_email(
    svc: &AcmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let (_, c) = crate::certificates::load(svc, ctx, input)?;
    if c.status != "PENDING_VALIDATION" || c.validation_method.as_deref() != Some("EMAIL") {
        return Err(AcmError::InvalidState {
            message: format!(
                "Certificate {} is not pending email validation (status {}).",
                c.arn, c.status
            ),
        }
        .into());
    }
    let domain = input["Domain"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let validation = input["ValidationDomain"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let known = c.validations.iter().any(|v| {
        v.domain == domain
            && (v.validation_domain == validation
                || domain
                    .trim_start_matches("*.")
                    .ends_with(&format!(".{validation}")))
    });
    if !known {
        return Err(AcmError::InvalidValidationDomain { domain }.into());
    }
    Ok(json!({}))
}

/// `RevokeCertificate`.
pub(crate) fn revoke(svc: &AcmService, ctx: &RequestContext, input: &Value) -> OpResult {
    let (key, mut c) = crate::certificates::load(svc, ctx, input)?;
    if !svc.users_of(&c.arn).is_empty() {
        return Err(AcmError::InUse {
            arn: c.arn,
            account: ctx.account_id.clone(),
        }
        .into());
    }
    if c.status != "REVOKED" {
        c.status = "REVOKED".into();
        c.revoked = Some((
            input["RevocationReason"]
                .as_str()
                .unwrap_or("UNSPECIFIED")
                .to_string(),
            svc.clock.now_millis(),
        ));
        svc.certificates.put(&key, &c)?;
    }
    Ok(json!({"CertificateArn": c.arn}))
}
