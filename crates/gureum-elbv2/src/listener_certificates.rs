//! A secure listener's certificates: the default one (set by
//! `CreateListener`/`ModifyListener`, `IsDefault` true) and up to 25 more
//! added by `AddListenerCertificates`, chosen by SNI
//! ([`crate::plane::tls`]); `DescribeListenerCertificates` lists them all.
//! ACM asks who uses a certificate through
//! [`gureum_kit::certificates::CertificateUsers`].

use crate::errors::Elbv2Error;
use crate::util::{page, string, with_marker};
use crate::Elbv2Service;
use gureum_core::{AwsError, OpResult, RequestContext, Scope, Value};
use gureum_kit::certificates::{CertificateUsers, Lookup};
use serde_json::json;

/// Certificates besides the default, AWS's quota for an ALB listener.
const MAX_EXTRA: usize = 25;

/// Whether a stored certificate entry is the listener's default.
pub fn is_default(c: &Value) -> bool {
    c["IsDefault"].as_bool() != Some(false)
}

/// Checks that ACM has issued the certificate an entry names.
pub fn check_certificate(svc: &Elbv2Service, c: &Value) -> Result<(), AwsError> {
    let arn = c["CertificateArn"].as_str().unwrap_or_default();
    match svc.seams.certificates.certificate(arn) {
        Lookup::Ready(_) => Ok(()),
        Lookup::NotReady | Lookup::Missing => Err(Elbv2Error::CertificateArnNotFound {
            arn: arn.to_string(),
        }
        .into()),
    }
}

/// `AddListenerCertificates`.
pub fn add(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut l = svc.listener(ctx, string(input, "ListenerArn").unwrap_or_default())?;
    let mut added = Vec::new();
    for c in input["Certificates"].as_array().into_iter().flatten() {
        check_certificate(svc, c)?;
        let arn = c["CertificateArn"].clone();
        if !l.certificates.iter().any(|x| x["CertificateArn"] == arn) {
            l.certificates
                .push(json!({"CertificateArn": arn, "IsDefault": false}));
        }
        added.push(json!({"CertificateArn": arn, "IsDefault": false}));
    }
    if l.certificates.iter().filter(|c| !is_default(c)).count() > MAX_EXTRA {
        return Err(Elbv2Error::TooManyCertificates.into());
    }
    svc.listeners.put(&Scope::regional(ctx).key(&l.id), &l)?;
    Ok(json!({"Certificates": added}))
}

/// `RemoveListenerCertificates`: the default one stays.
pub fn remove(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let mut l = svc.listener(ctx, string(input, "ListenerArn").unwrap_or_default())?;
    for c in input["Certificates"].as_array().into_iter().flatten() {
        let arn = &c["CertificateArn"];
        if l.certificates
            .iter()
            .any(|x| &x["CertificateArn"] == arn && is_default(x))
        {
            return Err(Elbv2Error::OperationNotPermitted {
                message: "The default certificate cannot be removed from a listener".into(),
            }
            .into());
        }
        l.certificates.retain(|x| &x["CertificateArn"] != arn);
    }
    svc.listeners.put(&Scope::regional(ctx).key(&l.id), &l)?;
    Ok(json!({}))
}

/// `DescribeListenerCertificates`.
pub fn describe(svc: &Elbv2Service, ctx: &RequestContext, input: &Value) -> OpResult {
    let l = svc.listener(ctx, string(input, "ListenerArn").unwrap_or_default())?;
    let items: Vec<Value> = l
        .certificates
        .iter()
        .map(|c| json!({"CertificateArn": c["CertificateArn"], "IsDefault": is_default(c)}))
        .collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(json!({"Certificates": items}), next))
}

impl CertificateUsers for Elbv2Service {
    fn users(&self, certificate_arn: &str) -> Vec<String> {
        // The certificate's account and region: only their listeners can use it.
        let parts: Vec<&str> = certificate_arn.split(':').collect();
        let (Some(region), Some(account)) = (parts.get(3), parts.get(4)) else {
            return Vec::new();
        };
        let Ok(listeners) = self.listeners.scan_prefix(&format!("{account}/{region}/")) else {
            return Vec::new();
        };
        let mut out: Vec<String> = listeners
            .into_iter()
            .filter(|(_, l)| {
                l.certificates
                    .iter()
                    .any(|c| c["CertificateArn"].as_str() == Some(certificate_arn))
            })
            .map(|(_, l)| l.load_balancer_arn)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
