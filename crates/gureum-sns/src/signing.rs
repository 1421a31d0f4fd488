//! Message signatures, as AWS signs them ("Verifying the signatures of
//! Amazon SNS messages"): an RSA key and a self-signed X.509 certificate
//! made on first use and kept in the store (`sns.signing`), the
//! certificate served at `SigningCertURL` on Gureum's port. A message's
//! `Signature` is base64 RSA PKCS#1 v1.5 over its string to sign, with
//! SHA1 (`SignatureVersion` 1) or SHA256 (2).
//!
//! No X.509 crate is in the workspace, so the certificate is written with
//! the small DER writer below: one RSA key, one name, a validity, signed
//! with sha256WithRSAEncryption.

use base64::Engine as _;
use gureum_core::AwsError;
use gureum_store::Table;
use parking_lot::Mutex;
use rand::rngs::OsRng;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::Digest;
use std::sync::Arc;

/// The key size AWS's SNS certificates use.
const KEY_BITS: usize = 2048;

/// The signing key and certificate as stored.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredKeys {
    /// The private key, PKCS#8 DER in base64.
    pub key_pkcs8: String,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate's id (its file name is `SimpleNotificationService-ID.pem`).
    pub id: String,
}

/// The keys in memory.
pub struct Keys {
    key: RsaPrivateKey,
    /// The same key for ring, which signs SHA256 (version 2) ~10x faster
    /// than the rsa crate; ring has no PKCS#1 SHA1 signatures, so version
    /// 1 stays with `key`. `None` if ring refused the key (then `key`
    /// signs both).
    fast: Option<ring::signature::RsaKeyPair>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate's id.
    pub id: String,
}

impl Keys {
    /// The certificate's file name on Gureum's port.
    pub fn file_name(&self) -> String {
        format!("SimpleNotificationService-{}.pem", self.id)
    }

    /// `Signature`: base64 of the RSA signature of `text` with SHA1
    /// (`version` "1") or SHA256 (anything else, i.e. "2").
    pub fn sign(&self, version: &str, text: &str) -> String {
        let signed = if version == "1" {
            let digest = sha1::Sha1::digest(text.as_bytes());
            self.key.sign(Pkcs1v15Sign::new::<sha1::Sha1>(), &digest)
        } else if let Some(fast) = &self.fast {
            // PKCS#1 v1.5 is deterministic: the same bytes as the rsa crate's.
            let mut out = vec![0; fast.public().modulus_len()];
            let rng = ring::rand::SystemRandom::new();
            fast.sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &rng,
                text.as_bytes(),
                &mut out,
            )
            .map(|()| out)
            .map_err(|_| rsa::Error::Internal)
        } else {
            let digest = sha2::Sha256::digest(text.as_bytes());
            self.key.sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
        };
        // Signing with a valid key and a digest of the scheme's size
        // cannot fail; an empty signature would fail verification.
        base64::engine::general_purpose::STANDARD.encode(signed.unwrap_or_default())
    }
}

/// Loads or makes the keys once per process.
pub struct Signer {
    table: Table<StoredKeys>,
    cached: Mutex<Option<Arc<Keys>>>,
}

impl Signer {
    /// A signer keeping its keys in `table`.
    pub fn new(table: Table<StoredKeys>) -> Self {
        Signer {
            table,
            cached: Mutex::new(None),
        }
    }

    /// Forgets the cached keys (after a reset or an import).
    pub fn forget(&self) {
        *self.cached.lock() = None;
    }

    /// The keys if they were made already (serving the certificate must
    /// not make a key for a name nobody was given).
    pub fn existing(&self) -> Result<Option<Arc<Keys>>, AwsError> {
        if self.cached.lock().is_none() && self.table.get("key")?.is_none() {
            return Ok(None);
        }
        self.keys().map(Some)
    }

    /// The keys: cached, else from the store, else made now and stored.
    pub fn keys(&self) -> Result<Arc<Keys>, AwsError> {
        let mut cached = self.cached.lock();
        if let Some(k) = cached.as_ref() {
            return Ok(k.clone());
        }
        let stored = match self.table.get("key")? {
            Some(s) => s,
            None => {
                let s = generate(gureum_core::Clock::system().now_millis())?;
                self.table.put("key", &s)?;
                s
            }
        };
        let der = base64::engine::general_purpose::STANDARD
            .decode(&stored.key_pkcs8)
            .map_err(|_| AwsError::internal("the SNS signing key is not base64"))?;
        let key = RsaPrivateKey::from_pkcs8_der(&der)
            .map_err(|_| AwsError::internal("the SNS signing key does not decode"))?;
        let fast = ring::signature::RsaKeyPair::from_pkcs8(&der).ok();
        let keys = Arc::new(Keys {
            key,
            fast,
            cert_pem: stored.cert_pem,
            id: stored.id,
        });
        *cached = Some(keys.clone());
        Ok(keys)
    }
}

/// A new key and its self-signed certificate, valid from a day before
/// `now_ms` for ten years.
pub fn generate(now_ms: i64) -> Result<StoredKeys, AwsError> {
    let failed = |what: &str| AwsError::internal(format!("SNS signing key: {what}"));
    let key = RsaPrivateKey::new(&mut OsRng, KEY_BITS).map_err(|_| failed("generation"))?;
    let spki = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|_| failed("public key"))?;
    let pkcs8 = key.to_pkcs8_der().map_err(|_| failed("private key"))?;
    let day = 86_400_000;
    let tbs = der::seq(&[
        der::explicit(0, &der::integer(&[2])),
        der::integer(&serial(now_ms)),
        der::sha256_with_rsa(),
        der::name("sns.amazonaws.com"),
        der::seq(&[der::time(now_ms - day), der::time(now_ms + 3650 * day)]),
        der::name("sns.amazonaws.com"),
        spki.as_bytes().to_vec(),
    ]);
    let digest = sha2::Sha256::digest(&tbs);
    let signature = key
        .sign(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
        .map_err(|_| failed("certificate signature"))?;
    let cert = der::seq(&[tbs, der::sha256_with_rsa(), der::bit_string(&signature)]);
    let id = hex(&sha2::Sha256::digest(&cert)[..16]);
    Ok(StoredKeys {
        key_pkcs8: base64::engine::general_purpose::STANDARD.encode(pkcs8.as_bytes()),
        cert_pem: pem(&cert),
        id,
    })
}

/// A positive serial number from the time, minimally encoded (DER
/// refuses leading zero bytes, except one before a set top bit).
fn serial(now_ms: i64) -> Vec<u8> {
    let mut bytes: Vec<u8> = now_ms
        .max(1)
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The few DER encodings a certificate needs.
mod der {
    /// A tag, its length and contents.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(content);
        out
    }

    /// SEQUENCE of already-encoded parts.
    pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }

    /// `[n] EXPLICIT`.
    pub fn explicit(n: u8, inner: &[u8]) -> Vec<u8> {
        tlv(0xa0 | n, inner)
    }

    /// INTEGER of big-endian bytes (non-negative: callers lead with 0
    /// when the top bit is set).
    pub fn integer(bytes: &[u8]) -> Vec<u8> {
        tlv(0x02, bytes)
    }

    /// BIT STRING with no unused bits.
    pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
        let mut content = vec![0];
        content.extend_from_slice(bytes);
        tlv(0x03, &content)
    }

    /// AlgorithmIdentifier sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL.
    pub fn sha256_with_rsa() -> Vec<u8> {
        let oid = tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        );
        seq(&[oid, vec![0x05, 0x00]])
    }

    /// A Name of one common name (2.5.4.3) as UTF8String.
    pub fn name(cn: &str) -> Vec<u8> {
        let attr = seq(&[tlv(0x06, &[0x55, 0x04, 0x03]), tlv(0x0c, cn.as_bytes())]);
        seq(&[tlv(0x31, &attr)])
    }

    /// UTCTime (before 2050) or GeneralizedTime.
    pub fn time(ms: i64) -> Vec<u8> {
        let days = ms.div_euclid(86_400_000);
        let secs = ms.rem_euclid(86_400_000) / 1000;
        let (y, m, d) = gureum_core::timestamp::civil_from_days(days);
        let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
        if y < 2050 {
            let text = format!("{:02}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z", y % 100);
            tlv(0x17, text.as_bytes())
        } else {
            let text = format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}Z");
            tlv(0x18, text.as_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePublicKey;

    #[test]
    fn signatures_verify_with_the_certificates_key() {
        let stored = generate(1_700_000_000_000).expect("keys");
        assert!(stored.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        let der = base64::engine::general_purpose::STANDARD
            .decode(&stored.key_pkcs8)
            .expect("b64");
        let key = RsaPrivateKey::from_pkcs8_der(&der).expect("key");
        let keys = Keys {
            key: key.clone(),
            fast: ring::signature::RsaKeyPair::from_pkcs8(&der).ok(),
            cert_pem: stored.cert_pem.clone(),
            id: stored.id.clone(),
        };
        assert!(keys.fast.is_some(), "ring reads the stored key");
        let public = key.to_public_key();
        let spki = public.to_public_key_der().expect("spki");
        let public = rsa::RsaPublicKey::from_public_key_der(spki.as_bytes()).expect("public");
        let sig = base64::engine::general_purpose::STANDARD
            .decode(keys.sign("1", "Message\nhi\n"))
            .expect("b64");
        let digest = sha1::Sha1::digest(b"Message\nhi\n");
        public
            .verify(Pkcs1v15Sign::new::<sha1::Sha1>(), &digest, &sig)
            .expect("SHA1 signature verifies");
        let sig = base64::engine::general_purpose::STANDARD
            .decode(keys.sign("2", "Message\nhi\n"))
            .expect("b64");
        let digest = sha2::Sha256::digest(b"Message\nhi\n");
        public
            .verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, &sig)
            .expect("SHA256 signature verifies");
        // ring's version 2 signature is byte for byte the rsa crate's.
        let slow = Keys {
            key: key.clone(),
            fast: None,
            cert_pem: String::new(),
            id: String::new(),
        };
        assert_eq!(
            keys.sign("2", "Message\nhi\n"),
            slow.sign("2", "Message\nhi\n")
        );
        // The certificate carries the same public key.
        let cert_b64: String = stored
            .cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let cert = base64::engine::general_purpose::STANDARD
            .decode(cert_b64)
            .expect("pem");
        assert!(cert
            .windows(spki.as_bytes().len())
            .any(|w| w == spki.as_bytes()));
    }

    #[test]
    fn lengths_over_127_use_the_long_form() {
        let long = der::seq(&[vec![0u8; 300]]);
        assert_eq!(&long[..4], &[0x30, 0x82, 0x01, 0x2c]);
    }
}
