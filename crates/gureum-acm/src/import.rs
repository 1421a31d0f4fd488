//! `ImportCertificate`: a PEM certificate (exactly one), its unencrypted
//! private key (PKCS#8, PKCS#1 RSA or SEC1 P-256), which must match it,
//! and an optional chain; the certificate must be valid now. Re-importing
//! into an existing ARN replaces an imported certificate in place.
//!
//! Messages: "more than one certificate" is ACM's documented text; the
//! others follow its wording (no public record of the exact text found).

use crate::errors::AcmError;
use crate::records::Certificate;
use crate::AcmService;
use base64::Engine;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Scope, Value};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use x509_parser::public_key::PublicKey;

fn invalid(message: &str) -> AwsError {
    CommonError::ValidationException {
        message: message.into(),
    }
    .into()
}

/// A blob member: base64 on the wire, PEM text inside.
fn blob(input: &Value, member: &str) -> Result<Option<Vec<u8>>, AwsError> {
    let Some(s) = input[member].as_str() else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(Some)
        .map_err(|_| invalid(&format!("Unable to parse {member}: it is not base64.")))
}

/// The key as PKCS#8 (what rcgen and rustls-with-ring read).
fn to_pkcs8(key: PrivateKeyDer<'_>) -> Option<Vec<u8>> {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::EncodePrivateKey;
    match key {
        PrivateKeyDer::Pkcs8(k) => Some(k.secret_pkcs8_der().to_vec()),
        PrivateKeyDer::Pkcs1(k) => rsa::RsaPrivateKey::from_pkcs1_der(k.secret_pkcs1_der())
            .ok()?
            .to_pkcs8_der()
            .ok()
            .map(|d| d.as_bytes().to_vec()),
        PrivateKeyDer::Sec1(k) => p256::SecretKey::from_sec1_der(k.secret_sec1_der())
            .ok()?
            .to_pkcs8_der()
            .ok()
            .map(|d| d.as_bytes().to_vec()),
        _ => None,
    }
}

/// ACM's `KeyAlgorithm` of a certificate's public key.
fn key_algorithm(key: &PublicKey<'_>) -> Option<String> {
    match key {
        PublicKey::RSA(r) => Some(format!("RSA_{}", r.key_size())),
        PublicKey::EC(e) => match e.key_size() {
            256 => Some("EC_prime256v1".into()),
            384 => Some("EC_secp384r1".into()),
            521 => Some("EC_secp521r1".into()),
            _ => None,
        },
        _ => None,
    }
}

/// `ImportCertificate`.
pub(crate) fn import_certificate(
    svc: &AcmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let cert_pem = blob(input, "Certificate")?.unwrap_or_default();
    let key_pem = blob(input, "PrivateKey")?.unwrap_or_default();
    let chain_pem = blob(input, "CertificateChain")?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            invalid("Unable to parse certificate. Please ensure the certificate is in PEM format.")
        })?;
    let der = match certs.as_slice() {
        [] => {
            return Err(invalid(
                "Unable to parse certificate. Please ensure the certificate is in PEM format.",
            ))
        }
        [one] => one,
        _ => {
            return Err(invalid(
                "The certificate field contains more than one certificate. You can specify only one certificate in this field.",
            ))
        }
    };
    let (_, x509) = x509_parser::parse_x509_certificate(der).map_err(|_| {
        invalid("Unable to parse certificate. Please ensure the certificate is in PEM format.")
    })?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .ok()
        .flatten()
        .and_then(to_pkcs8)
        .ok_or_else(|| invalid("The private key is not supported or is encrypted. Provide an unencrypted PEM-encoded private key."))?;
    let pair = rcgen::KeyPair::try_from(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        key.clone(),
    )))
    .map_err(|_| invalid("The private key is not supported or is encrypted. Provide an unencrypted PEM-encoded private key."))?;
    if pair.public_key_der() != x509.public_key().raw {
        return Err(invalid(
            "The private key does not match the public key in the certificate.",
        ));
    }
    let algorithm = x509
        .public_key()
        .parsed()
        .ok()
        .as_ref()
        .and_then(key_algorithm)
        .ok_or_else(|| invalid("The certificate's key algorithm is not supported."))?;
    let now = svc.clock.now_millis();
    let not_before = x509.validity().not_before.timestamp() * 1000;
    let not_after = x509.validity().not_after.timestamp() * 1000;
    if now < not_before || now > not_after {
        return Err(invalid(
            "The certificate is not valid at this time: it is either expired or not yet valid.",
        ));
    }
    if let Some(chain) = &chain_pem {
        let parsed: Result<Vec<_>, _> = rustls_pemfile::certs(&mut chain.as_slice()).collect();
        if parsed.map(|c| c.is_empty()).unwrap_or(true) {
            return Err(invalid(
                "Unable to parse certificate chain. Please ensure the chain is in PEM format.",
            ));
        }
    }
    let mut names: Vec<String> = Vec::new();
    let cn = x509
        .subject()
        .iter_common_name()
        .next()
        .and_then(|c| c.as_str().ok())
        .map(str::to_string);
    if let Some(cn) = &cn {
        names.push(cn.to_ascii_lowercase());
    }
    if let Ok(Some(san)) = x509.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                let d = d.to_ascii_lowercase();
                if !names.contains(&d) {
                    names.push(d);
                }
            }
        }
    }
    let domain = names.first().cloned().unwrap_or_default();
    let scope = Scope::regional(ctx);
    let (key_name, existing) = match input["CertificateArn"].as_str() {
        Some(arn) => {
            let k = crate::certificates::key_of(ctx, arn)?;
            let c = svc
                .certificates
                .get(&k)?
                .ok_or_else(|| AcmError::CertificateNotFound {
                    arn: arn.to_string(),
                })?;
            if c.kind != "IMPORTED" {
                return Err(AcmError::InvalidState {
                    message: format!(
                        "Certificate {arn} was not imported, so it cannot be reimported."
                    ),
                }
                .into());
            }
            if !input["Tags"].is_null() {
                return Err(AcmError::InvalidParameter {
                    message: "Tags cannot be specified when reimporting a certificate.".into(),
                }
                .into());
            }
            (k, Some(c))
        }
        None => {
            let id = gureum_core::id::uuid_v4();
            (scope.key(&id), None)
        }
    };
    let arn = existing.as_ref().map(|c| c.arn.clone()).unwrap_or_else(|| {
        format!(
            "arn:aws:acm:{}:{}:certificate/{}",
            ctx.region,
            ctx.account_id,
            key_name.rsplit('/').next().unwrap_or_default()
        )
    });
    let tags = match &existing {
        Some(c) => c.tags.clone(),
        None => crate::tags::parse(input)?,
    };
    let sig_oid = x509.signature_algorithm.algorithm.to_id_string();
    let signature_algorithm = match sig_oid.as_str() {
        "1.2.840.113549.1.1.11" => "SHA256WITHRSA",
        "1.2.840.113549.1.1.12" => "SHA384WITHRSA",
        "1.2.840.113549.1.1.13" => "SHA512WITHRSA",
        "1.2.840.113549.1.1.5" => "SHA1WITHRSA",
        "1.2.840.10045.4.3.2" => "SHA256WITHECDSA",
        "1.2.840.10045.4.3.3" => "SHA384WITHECDSA",
        "1.2.840.10045.4.3.4" => "SHA512WITHECDSA",
        _ => "UNKNOWN",
    };
    let cert = Certificate {
        arn: arn.clone(),
        domain,
        sans: names,
        kind: "IMPORTED".into(),
        status: "ISSUED".into(),
        validation_method: None,
        validations: Vec::new(),
        key_algorithm: algorithm,
        signature_algorithm: Some(signature_algorithm.into()),
        created_ms: existing.as_ref().map_or(now, |c| c.created_ms),
        issued_ms: None,
        imported_ms: Some(now),
        not_before_ms: Some(not_before),
        not_after_ms: Some(not_after),
        serial: Some(x509.raw_serial_as_string()),
        subject: Some(x509.subject().to_string()),
        issuer: x509
            .issuer()
            .iter_common_name()
            .next()
            .and_then(|c| c.as_str().ok())
            .map(str::to_string),
        cert_pem: Some(String::from_utf8_lossy(&cert_pem).into_owned()),
        chain_pem: chain_pem.map(|c| String::from_utf8_lossy(&c).into_owned()),
        key_pem: Some(pair.serialize_pem()),
        tags,
        transparency: "DISABLED".into(),
        export: "DISABLED".into(),
        renewal: None,
        key_usages: Vec::new(),
        extended_key_usages: Vec::new(),
        managed_by: None,
        exported: false,
        revoked: None,
    };
    svc.certificates.put(&key_name, &cert)?;
    Ok(json!({"CertificateArn": arn}))
}
