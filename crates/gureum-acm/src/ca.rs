//! Gureum's local certificate authority: a root (ECDSA P-256, ten years)
//! and an intermediate it signs, made once per data dir and kept in the
//! store (`gureum.ca`, key `ca`), so every certificate ACM issues chains to
//! the same root across restarts, and a user trusts it once
//! (`gureum ca --out root.pem`).
//!
//! Leaves are signed by the intermediate, as public CAs do (the root's key
//! signs only the intermediate). Keys are PKCS#8 PEM; ring signs.

use gureum_core::AwsError;
use gureum_store::Table;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use serde::{Deserialize, Serialize};

/// The CA as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredCa {
    /// Distinguishes this data dir's CA from another's (in both names).
    pub id: String,
    /// The root certificate, PEM.
    pub root_pem: String,
    /// The root's key, PKCS#8 PEM.
    pub root_key_pem: String,
    /// The intermediate certificate, PEM.
    pub intermediate_pem: String,
    /// The intermediate's key, PKCS#8 PEM.
    pub intermediate_key_pem: String,
    /// When it was made, epoch milliseconds.
    pub created_ms: i64,
}

/// What an issued leaf is.
pub struct Issued {
    /// The leaf, PEM.
    pub cert_pem: String,
    /// Its key, PKCS#8 PEM.
    pub key_pem: String,
    /// Serial as ACM shows it (`0a:1b:…`).
    pub serial: String,
    /// `NotBefore`, epoch milliseconds.
    pub not_before_ms: i64,
    /// `NotAfter`, epoch milliseconds.
    pub not_after_ms: i64,
}

/// How long a leaf is valid: 395 days, as ACM's public certificates.
pub const LEAF_VALIDITY_MS: i64 = 395 * 86_400_000;
/// How long the root and intermediate are valid: ten years.
const CA_VALIDITY_MS: i64 = 3_650 * 86_400_000;

fn internal(e: impl std::fmt::Display) -> AwsError {
    AwsError::internal(format!("local CA: {e}"))
}

fn time_of(ms: i64) -> Result<time::OffsetDateTime, AwsError> {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).map_err(internal)
}

/// The CA's name; rebuilt the same way when signing, so a leaf's issuer
/// is byte for byte the intermediate's subject.
fn ca_params(common_name: &str, id: &str, path_len: Option<u8>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(
        DnType::OrganizationName,
        DnValue::Utf8String("Gureum".into()),
    );
    p.distinguished_name.push(
        DnType::OrganizationalUnitName,
        DnValue::Utf8String(format!("Local CA {id}")),
    );
    p.distinguished_name
        .push(DnType::CommonName, DnValue::Utf8String(common_name.into()));
    p.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.use_authority_key_identifier_extension = true;
    p
}

const ROOT_NAME: &str = "Gureum Local Root CA";
const INTERMEDIATE_NAME: &str = "Gureum Local Intermediate CA";

/// 16 random bytes, the top bit clear (a positive serial), as `0a:1b:…`.
fn serial() -> (SerialNumber, String) {
    let mut bytes = [0u8; 16];
    for (i, b) in gureum_core::id::hex(32).as_bytes().chunks(2).enumerate() {
        bytes[i] = u8::from_str_radix(std::str::from_utf8(b).unwrap_or("00"), 16).unwrap_or(0);
    }
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    let shown = bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    (SerialNumber::from_slice(&bytes), shown)
}

/// Makes a new CA (root and intermediate) at `now_ms`.
fn create(now_ms: i64) -> Result<StoredCa, AwsError> {
    let id = gureum_core::id::hex(8);
    let root_key = KeyPair::generate().map_err(internal)?;
    let mut root = ca_params(ROOT_NAME, &id, None);
    root.not_before = time_of(now_ms - 3_600_000)?;
    root.not_after = time_of(now_ms + CA_VALIDITY_MS)?;
    root.serial_number = Some(serial().0);
    let root_cert = root.self_signed(&root_key).map_err(internal)?;
    let inter_key = KeyPair::generate().map_err(internal)?;
    let mut inter = ca_params(INTERMEDIATE_NAME, &id, Some(0));
    inter.not_before = time_of(now_ms - 3_600_000)?;
    inter.not_after = time_of(now_ms + CA_VALIDITY_MS)?;
    inter.serial_number = Some(serial().0);
    let inter_cert = inter
        .signed_by(&inter_key, &root_cert, &root_key)
        .map_err(internal)?;
    Ok(StoredCa {
        id,
        root_pem: root_cert.pem(),
        root_key_pem: root_key.serialize_pem(),
        intermediate_pem: inter_cert.pem(),
        intermediate_key_pem: inter_key.serialize_pem(),
        created_ms: now_ms,
    })
}

/// The data dir's CA, made on first use (in one transaction, so two
/// first requests agree on one CA).
pub fn load_or_create(
    store: &gureum_store::Store,
    table: &Table<StoredCa>,
    now_ms: i64,
) -> Result<StoredCa, AwsError> {
    if let Some(ca) = table.get("ca")? {
        return Ok(ca);
    }
    let fresh = create(now_ms)?;
    store.write(|txn| -> Result<StoredCa, AwsError> {
        if let Some(ca) = txn.get(table, "ca")? {
            return Ok(ca);
        }
        txn.put(table, "ca", &fresh)?;
        Ok(fresh.clone())
    })
}

/// A leaf key for ACM's `KeyAlgorithm`: ECDSA with ring, RSA with the
/// `rsa` crate (ring cannot generate RSA keys), as PKCS#8.
pub fn generate_key(algorithm: &str) -> Result<KeyPair, AwsError> {
    match algorithm {
        "EC_prime256v1" => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(internal),
        "EC_secp384r1" => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).map_err(internal),
        _ => {
            use rsa::pkcs8::EncodePrivateKey;
            let bits = match algorithm {
                "RSA_1024" => 1024,
                "RSA_3072" => 3072,
                "RSA_4096" => 4096,
                _ => 2048,
            };
            let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), bits).map_err(internal)?;
            let pem = key
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(internal)?;
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).map_err(internal)
        }
    }
}

impl StoredCa {
    /// The chain a leaf is served with: intermediate, then root.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.intermediate_pem, self.root_pem)
    }

    /// Issues a server certificate for `names` (the first is the subject's
    /// common name) with a new key of `algorithm`, valid from `now_ms` for
    /// [`LEAF_VALIDITY_MS`].
    pub fn issue(
        &self,
        names: &[String],
        algorithm: &str,
        now_ms: i64,
    ) -> Result<Issued, AwsError> {
        let inter_key = KeyPair::from_pem(&self.intermediate_key_pem).map_err(internal)?;
        // The issuer as rcgen signs with it: same name, same key, so the
        // leaf's issuer and authority key id are the intermediate's.
        let issuer = ca_params(INTERMEDIATE_NAME, &self.id, Some(0))
            .self_signed(&inter_key)
            .map_err(internal)?;
        let key = generate_key(algorithm)?;
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(first) = names.first() {
            p.distinguished_name
                .push(DnType::CommonName, DnValue::Utf8String(first.clone()));
        }
        p.subject_alt_names = names
            .iter()
            .map(|n| {
                rcgen::Ia5String::try_from(n.as_str())
                    .map(SanType::DnsName)
                    .map_err(internal)
            })
            .collect::<Result<_, _>>()?;
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        p.use_authority_key_identifier_extension = true;
        // From the start of the day (UTC), as ACM's certificates are:
        // also keeps a leaf valid for clients whose clock is behind
        // Gureum's (a test that advanced it).
        let not_before_ms = now_ms.div_euclid(86_400_000) * 86_400_000;
        let not_after_ms = not_before_ms + LEAF_VALIDITY_MS - 1000;
        p.not_before = time_of(not_before_ms)?;
        p.not_after = time_of(not_after_ms)?;
        let (number, shown) = serial();
        p.serial_number = Some(number);
        let cert = p.signed_by(&key, &issuer, &inter_key).map_err(internal)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial: shown,
            not_before_ms,
            not_after_ms,
        })
    }
}
