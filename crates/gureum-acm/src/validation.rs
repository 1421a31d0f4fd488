//! Validation on Gureum's clock: each second the pending certificates are
//! checked — email validation is approved at once, DNS validation once
//! every name's CNAME exists in one of the account's Route 53 zones — and
//! validated ones are issued by the local CA. A certificate pending for
//! 72 hours times out, as in ACM. Issued certificates renew themselves 60
//! days before they expire (checked once a minute).

use crate::records::Certificate;
use crate::AcmService;
use gureum_core::AwsError;

/// How long a request may wait for validation.
const VALIDATION_TIMEOUT_MS: i64 = 72 * 3_600_000;
/// How long before expiry managed renewal starts.
const RENEW_BEFORE_MS: i64 = 60 * 86_400_000;

/// Issues `c` (a new key and leaf from the local CA) at `now_ms`.
pub(crate) fn issue(svc: &AcmService, c: &mut Certificate, now_ms: i64) -> Result<(), AwsError> {
    let ca = svc.ca()?;
    let issued = ca.issue(&c.sans, &c.key_algorithm, now_ms)?;
    c.status = "ISSUED".into();
    c.issued_ms = Some(now_ms);
    c.not_before_ms = Some(issued.not_before_ms);
    c.not_after_ms = Some(issued.not_after_ms);
    c.serial = Some(issued.serial);
    c.subject = Some(format!("CN={}", c.domain));
    c.issuer = Some("Gureum Local Intermediate CA".into());
    c.signature_algorithm = Some("SHA256WITHECDSA".into());
    c.cert_pem = Some(issued.cert_pem);
    c.chain_pem = Some(ca.chain_pem());
    c.key_pem = Some(issued.key_pem);
    c.key_usages = vec!["DIGITAL_SIGNATURE".into(), "KEY_ENCIPHERMENT".into()];
    c.extended_key_usages = vec![
        "TLS_WEB_SERVER_AUTHENTICATION".into(),
        "TLS_WEB_CLIENT_AUTHENTICATION".into(),
    ];
    for v in &mut c.validations {
        v.status = "SUCCESS".into();
    }
    Ok(())
}

/// The account of a scoped key.
fn account_of(key: &str) -> &str {
    key.split('/').next().unwrap_or_default()
}

/// One pass: validate and issue what is due, time out, renew.
pub(crate) fn run(svc: &AcmService) -> Result<(), AwsError> {
    let now = svc.clock.now_millis();
    for (key, ()) in svc.pending.scan_prefix("")? {
        let Some(mut c) = svc.certificates.get(&key)? else {
            svc.pending.delete(&key)?;
            continue;
        };
        let before = c.clone();
        let done = if c.validation_method.as_deref() == Some("DNS") {
            for v in &mut c.validations {
                if v.status == "SUCCESS" {
                    continue;
                }
                let found = svc.records.cname(account_of(&key), &v.record_name);
                if found.is_some_and(|value| {
                    value
                        .trim_end_matches('.')
                        .eq_ignore_ascii_case(v.record_value.trim_end_matches('.'))
                }) {
                    v.status = "SUCCESS".into();
                }
            }
            c.validations.iter().all(|v| v.status == "SUCCESS")
        } else {
            true
        };
        if done {
            issue(svc, &mut c, now)?;
        } else if now - c.created_ms > VALIDATION_TIMEOUT_MS {
            c.status = "VALIDATION_TIMED_OUT".into();
            for v in &mut c.validations {
                if v.status != "SUCCESS" {
                    v.status = "FAILED".into();
                }
            }
        }
        if c != before {
            let settled = c.status != "PENDING_VALIDATION";
            svc.store.write(|txn| -> Result<(), AwsError> {
                txn.put(&svc.certificates, &key, &c)?;
                if settled {
                    txn.delete(&svc.pending, &key)?;
                }
                Ok(())
            })?;
        }
    }
    let minute = now.div_euclid(60_000);
    if svc
        .renewal_minute
        .swap(minute, std::sync::atomic::Ordering::Relaxed)
        != minute
    {
        renew_due(svc, now)?;
    }
    Ok(())
}

/// Managed renewal of issued Amazon-issued certificates near expiry;
/// expired imported ones turn `EXPIRED`.
fn renew_due(svc: &AcmService, now: i64) -> Result<(), AwsError> {
    for (key, mut c) in svc.certificates.scan_prefix("")? {
        let Some(not_after) = c.not_after_ms else {
            continue;
        };
        if c.status != "ISSUED" {
            continue;
        }
        if c.kind == "AMAZON_ISSUED" && not_after - now <= RENEW_BEFORE_MS {
            issue(svc, &mut c, now)?;
            c.renewal = Some(("SUCCESS".into(), now));
            svc.certificates.put(&key, &c)?;
        } else if c.kind == "IMPORTED" && not_after <= now {
            c.status = "EXPIRED".into();
            svc.certificates.put(&key, &c)?;
        }
    }
    Ok(())
}
