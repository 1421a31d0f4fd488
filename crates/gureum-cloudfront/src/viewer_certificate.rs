//! `ViewerCertificate.ACMCertificateArn` checked as CloudFront does: the
//! certificate must be an issued ACM certificate in us-east-1 (CloudFront
//! reads certificates from that region only) and cover every alias.

use crate::errors::CloudfrontError;
use crate::validate::items;
use crate::CloudfrontService;
use gureum_core::{AwsError, Value};
use gureum_kit::certificates::covers;

/// CloudFront's message for a certificate it cannot use.
const UNUSABLE: &str = "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain.";

/// CloudFront's message for an alias its certificate does not cover.
const NOT_COVERED: &str = "The certificate that is attached to your distribution doesn't cover the alternate domain name (CNAME) that you're trying to add. For more details, see: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements";

fn refuse(message: &str) -> AwsError {
    CloudfrontError::InvalidViewerCertificate {
        message: message.to_string(),
    }
    .into()
}

/// Checks a distribution config's ACM viewer certificate, if it has one,
/// and fills the members CloudFront answers with it
/// (`CloudFrontDefaultCertificate` false, `Certificate`,
/// `CertificateSource` `acm`, `SSLSupportMethod` `sni-only`).
pub(crate) fn check(svc: &CloudfrontService, config: &mut Value) -> Result<(), AwsError> {
    verify(svc, config)?;
    let Some(vc) = config
        .get_mut("ViewerCertificate")
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    let Some(arn) = vc
        .get("ACMCertificateArn")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(());
    };
    vc.insert("CloudFrontDefaultCertificate".into(), Value::Bool(false));
    vc.insert("Certificate".into(), Value::String(arn));
    vc.insert("CertificateSource".into(), Value::String("acm".into()));
    vc.entry("SSLSupportMethod")
        .or_insert_with(|| Value::String("sni-only".into()));
    Ok(())
}

fn verify(svc: &CloudfrontService, config: &Value) -> Result<(), AwsError> {
    let Some(arn) = config
        .pointer("/ViewerCertificate/ACMCertificateArn")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
    else {
        return Ok(());
    };
    // arn:aws:acm:REGION:ACCOUNT:certificate/ID
    if arn.split(':').nth(3) != Some("us-east-1") {
        return Err(refuse(UNUSABLE));
    }
    let Some(cert) = svc.viewer_certificate(arn) else {
        return Err(refuse(UNUSABLE));
    };
    for alias in items(config, "Aliases") {
        let alias = alias.as_str().unwrap_or_default();
        if !covers(&cert.names, alias) && !cert.names.iter().any(|n| n.eq_ignore_ascii_case(alias))
        {
            return Err(refuse(NOT_COVERED));
        }
    }
    Ok(())
}
