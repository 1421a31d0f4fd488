//! Key specs: which usages each allows and the algorithms `KeyMetadata`
//! and `GetPublicKey` list for it (AWS's "key spec reference").

/// The algorithms of a key spec in one usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Algorithms {
    /// `EncryptionAlgorithms`.
    pub encryption: &'static [&'static str],
    /// `SigningAlgorithms`.
    pub signing: &'static [&'static str],
    /// `MacAlgorithms`.
    pub mac: &'static [&'static str],
    /// `KeyAgreementAlgorithms`.
    pub agreement: &'static [&'static str],
}

const NONE: &[&str] = &[];
const RSA_ENCRYPTION: &[&str] = &["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];
const RSA_SIGNING: &[&str] = &[
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
];

/// The key specs Gureum makes keys of.
pub(crate) const SUPPORTED: &[&str] = &[
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
];

/// The usage a spec gets when `CreateKey` names none (AWS's default is
/// `ENCRYPT_DECRYPT`, which HMAC keys cannot have).
pub(crate) fn algorithms(spec: &str, usage: &str) -> Option<Algorithms> {
    let a = |encryption, signing, mac| {
        Some(Algorithms {
            encryption,
            signing,
            mac,
            agreement: NONE,
        })
    };
    match (spec, usage) {
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT") => a(&["SYMMETRIC_DEFAULT"], NONE, NONE),
        ("RSA_2048" | "RSA_3072" | "RSA_4096", "ENCRYPT_DECRYPT") => a(RSA_ENCRYPTION, NONE, NONE),
        ("RSA_2048" | "RSA_3072" | "RSA_4096", "SIGN_VERIFY") => a(NONE, RSA_SIGNING, NONE),
        ("ECC_NIST_P256" | "ECC_SECG_P256K1", "SIGN_VERIFY") => a(NONE, &["ECDSA_SHA_256"], NONE),
        ("ECC_NIST_P384", "SIGN_VERIFY") => a(NONE, &["ECDSA_SHA_384"], NONE),
        ("ECC_NIST_P521", "SIGN_VERIFY") => a(NONE, &["ECDSA_SHA_512"], NONE),
        ("ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521", "KEY_AGREEMENT") => {
            Some(Algorithms {
                encryption: NONE,
                signing: NONE,
                mac: NONE,
                agreement: &["ECDH"],
            })
        }
        ("HMAC_224", "GENERATE_VERIFY_MAC") => a(NONE, NONE, &["HMAC_SHA_224"]),
        ("HMAC_256", "GENERATE_VERIFY_MAC") => a(NONE, NONE, &["HMAC_SHA_256"]),
        ("HMAC_384", "GENERATE_VERIFY_MAC") => a(NONE, NONE, &["HMAC_SHA_384"]),
        ("HMAC_512", "GENERATE_VERIFY_MAC") => a(NONE, NONE, &["HMAC_SHA_512"]),
        _ => None,
    }
}

/// Whether keys of `spec` have a public half.
pub(crate) fn is_asymmetric(spec: &str) -> bool {
    spec.starts_with("RSA_") || spec.starts_with("ECC_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_spec_has_a_usage() {
        for spec in SUPPORTED {
            let any = [
                "ENCRYPT_DECRYPT",
                "SIGN_VERIFY",
                "GENERATE_VERIFY_MAC",
                "KEY_AGREEMENT",
            ]
            .iter()
            .any(|u| algorithms(spec, u).is_some());
            assert!(any, "{spec}");
        }
        assert!(algorithms("ECC_NIST_P256", "ENCRYPT_DECRYPT").is_none());
        assert!(algorithms("HMAC_256", "SIGN_VERIFY").is_none());
        assert!(algorithms("ECC_SECG_P256K1", "KEY_AGREEMENT").is_none());
    }
}
