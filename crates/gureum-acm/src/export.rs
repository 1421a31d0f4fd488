//! `ExportCertificate`: an exportable certificate (requested with
//! `Options.Export` `ENABLED`) with its chain and its key as encrypted
//! PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC) under the caller's
//! passphrase, which `openssl pkey -passin` and every TLS library read.

use crate::errors::AcmError;
use crate::AcmService;
use base64::Engine;
use gureum_core::{AwsError, CommonError, OpResult, RequestContext, Value};
use pkcs8::der::pem::LineEnding;
use pkcs8::der::Decode;
use rand::RngCore;
use serde_json::json;

/// PBKDF2 rounds: OpenSSL's default for `pkcs8 -topk8 -v2`.
const ITERATIONS: u32 = 2048;

fn internal(e: impl std::fmt::Display) -> AwsError {
    AwsError::internal(format!("export: {e}"))
}

/// `key_pem` (PKCS#8) encrypted under `passphrase`, PEM.
pub(crate) fn encrypt_key(key_pem: &str, passphrase: &[u8]) -> Result<String, AwsError> {
    let (_, der) = pkcs8::SecretDocument::from_pem(key_pem).map_err(internal)?;
    let info = pkcs8::PrivateKeyInfo::from_der(der.as_bytes()).map_err(internal)?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    rand::thread_rng().fill_bytes(&mut iv);
    let params = pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(ITERATIONS, &salt, &iv)
        .map_err(internal)?;
    let encrypted = info
        .encrypt_with_params(params, passphrase)
        .map_err(internal)?;
    let pem = encrypted
        .to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
        .map_err(internal)?;
    Ok(pem.to_string())
}

/// `ExportCertificate`.
pub(crate) fn export_certificate(
    svc: &AcmService,
    ctx: &RequestContext,
    input: &Value,
) -> OpResult {
    let (key, mut c) = crate::certificates::load(svc, ctx, input)?;
    let passphrase = base64::engine::general_purpose::STANDARD
        .decode(input["Passphrase"].as_str().unwrap_or_default())
        .map_err(|_| CommonError::ValidationException {
            message: "Passphrase is not valid base64.".into(),
        })?;
    if c.kind != "PRIVATE" && c.export != "ENABLED" {
        // No public record of ACM's text for this case; its wording style.
        return Err(CommonError::ValidationException {
            message: format!(
                "Certificate {} is not exportable. Request it with the Export option enabled.",
                c.arn
            ),
        }
        .into());
    }
    let (Some(cert), Some(key_pem), "ISSUED") = (&c.cert_pem, &c.key_pem, c.status.as_str()) else {
        return Err(AcmError::NotYetIssued { arn: c.arn }.into());
    };
    let out = json!({
        "Certificate": cert,
        "CertificateChain": c.chain_pem.clone().unwrap_or_default(),
        "PrivateKey": encrypt_key(key_pem, &passphrase)?,
    });
    if !c.exported {
        c.exported = true;
        svc.certificates.put(&key, &c)?;
    }
    Ok(out)
}
