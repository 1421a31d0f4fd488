//! The cryptography of asymmetric and HMAC keys, pure: key generation,
//! public keys (DER `SubjectPublicKeyInfo`), signatures, RSA-OAEP and
//! HMAC. What is stored for each spec (then sealed by the master key):
//! RSA keys as PKCS #8 DER, elliptic-curve keys as their secret scalar,
//! HMAC keys as their bytes.

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rsa::{Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// Why a primitive failed (the caller turns it into the operation's error).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Failed;

/// New key material for `spec` (any spec but `SYMMETRIC_DEFAULT`).
pub(crate) fn generate(spec: &str) -> Result<Vec<u8>, Failed> {
    let rsa = |bits| -> Result<Vec<u8>, Failed> {
        let key = RsaPrivateKey::new(&mut OsRng, bits).map_err(|_| Failed)?;
        Ok(key.to_pkcs8_der().map_err(|_| Failed)?.as_bytes().to_vec())
    };
    let random = |n| {
        let mut b = vec![0u8; n];
        OsRng.fill_bytes(&mut b);
        b
    };
    match spec {
        "RSA_2048" => rsa(2048),
        "RSA_3072" => rsa(3072),
        "RSA_4096" => rsa(4096),
        "ECC_NIST_P256" => Ok(p256::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
        "ECC_NIST_P384" => Ok(p384::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
        "ECC_NIST_P521" => Ok(p521::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
        "ECC_SECG_P256K1" => Ok(k256::SecretKey::random(&mut OsRng).to_bytes().to_vec()),
        "HMAC_224" => Ok(random(28)),
        "HMAC_256" => Ok(random(32)),
        "HMAC_384" => Ok(random(48)),
        "HMAC_512" => Ok(random(64)),
        _ => Err(Failed),
    }
}

/// The elliptic-curve operations, one module per curve (the curve crates
/// share their shape but no trait that covers all of it).
macro_rules! curve {
    ($name:ident, $krate:ident) => {
        mod $name {
            use super::Failed;
            use $krate::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
            use $krate::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $krate::pkcs8::EncodePublicKey;

            fn keys(secret: &[u8]) -> Result<(SigningKey, VerifyingKey), Failed> {
                let sk = SigningKey::from_slice(secret).map_err(|_| Failed)?;
                let vk = VerifyingKey::from(&sk);
                Ok((sk, vk))
            }

            pub(crate) fn private_pkcs8(secret: &[u8]) -> Result<Vec<u8>, Failed> {
                use $krate::pkcs8::EncodePrivateKey;
                let sk = $krate::SecretKey::from_slice(secret).map_err(|_| Failed)?;
                Ok(sk.to_pkcs8_der().map_err(|_| Failed)?.as_bytes().to_vec())
            }

            pub(crate) fn public_der(secret: &[u8]) -> Result<Vec<u8>, Failed> {
                let (_, vk) = keys(secret)?;
                let point = vk.to_encoded_point(false);
                let pk =
                    $krate::PublicKey::from_sec1_bytes(point.as_bytes()).map_err(|_| Failed)?;
                Ok(pk.to_public_key_der().map_err(|_| Failed)?.into_vec())
            }

            pub(crate) fn sign(secret: &[u8], digest: &[u8]) -> Result<Vec<u8>, Failed> {
                let (sk, _) = keys(secret)?;
                let sig: Signature = sk.sign_prehash(digest).map_err(|_| Failed)?;
                Ok(sig.to_der().as_bytes().to_vec())
            }

            pub(crate) fn verify(secret: &[u8], digest: &[u8], sig: &[u8]) -> Result<bool, Failed> {
                let (_, vk) = keys(secret)?;
                let Ok(sig) = Signature::from_der(sig) else {
                    return Ok(false);
                };
                Ok(vk.verify_prehash(digest, &sig).is_ok())
            }
        }
    };
}

/// ECDH for the NIST curves (KMS's KEY_AGREEMENT keys).
macro_rules! agreement {
    ($name:ident, $krate:ident) => {
        mod $name {
            use super::Failed;
            use $krate::pkcs8::DecodePublicKey;

            /// The raw shared secret (the x coordinate) with a peer's DER
            /// `SubjectPublicKeyInfo`; `None` for a key of another curve.
            pub(crate) fn derive(
                secret: &[u8],
                peer_der: &[u8],
            ) -> Result<Option<Vec<u8>>, Failed> {
                let sk = $krate::SecretKey::from_slice(secret).map_err(|_| Failed)?;
                let Ok(peer) = $krate::PublicKey::from_public_key_der(peer_der) else {
                    return Ok(None);
                };
                let shared = $krate::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
                Ok(Some(shared.raw_secret_bytes().to_vec()))
            }
        }
    };
}

agreement!(ecdh_p256, p256);
agreement!(ecdh_p384, p384);
agreement!(ecdh_p521, p521);

/// The ECDH shared secret of a KEY_AGREEMENT key with a peer's public key
/// (DER); `None` when the peer key is not a point of the key's curve.
pub(crate) fn derive_shared_secret(
    spec: &str,
    material: &[u8],
    peer_der: &[u8],
) -> Result<Option<Vec<u8>>, Failed> {
    match spec {
        "ECC_NIST_P256" => ecdh_p256::derive(material, peer_der),
        "ECC_NIST_P384" => ecdh_p384::derive(material, peer_der),
        "ECC_NIST_P521" => ecdh_p521::derive(material, peer_der),
        _ => Err(Failed),
    }
}

curve!(nist_p256, p256);
curve!(nist_p384, p384);
curve!(nist_p521, p521);
curve!(secg_p256k1, k256);

fn rsa_key(material: &[u8]) -> Result<RsaPrivateKey, Failed> {
    RsaPrivateKey::from_pkcs8_der(material).map_err(|_| Failed)
}

/// The DER `SubjectPublicKeyInfo` of an asymmetric key.
pub(crate) fn public_der(spec: &str, material: &[u8]) -> Result<Vec<u8>, Failed> {
    match spec {
        "ECC_NIST_P256" => nist_p256::public_der(material),
        "ECC_NIST_P384" => nist_p384::public_der(material),
        "ECC_NIST_P521" => nist_p521::public_der(material),
        "ECC_SECG_P256K1" => secg_p256k1::public_der(material),
        _ => Ok(rsa_key(material)?
            .to_public_key()
            .to_public_key_der()
            .map_err(|_| Failed)?
            .into_vec()),
    }
}

/// The private key of `material` as PKCS #8 DER (data key pairs).
pub(crate) fn private_pkcs8(spec: &str, material: &[u8]) -> Result<Vec<u8>, Failed> {
    match spec {
        "ECC_NIST_P256" => nist_p256::private_pkcs8(material),
        "ECC_NIST_P384" => nist_p384::private_pkcs8(material),
        "ECC_NIST_P521" => nist_p521::private_pkcs8(material),
        "ECC_SECG_P256K1" => secg_p256k1::private_pkcs8(material),
        // RSA material is already PKCS #8.
        _ => Ok(material.to_vec()),
    }
}

/// The digest a signing algorithm signs, and its length.
pub(crate) fn digest_len(algorithm: &str) -> usize {
    if algorithm.ends_with("SHA_512") {
        64
    } else if algorithm.ends_with("SHA_384") {
        48
    } else {
        32
    }
}

/// The digest of `message` for `algorithm`.
pub(crate) fn digest(algorithm: &str, message: &[u8]) -> Vec<u8> {
    match digest_len(algorithm) {
        64 => Sha512::digest(message).to_vec(),
        48 => Sha384::digest(message).to_vec(),
        _ => Sha256::digest(message).to_vec(),
    }
}

fn rsa_scheme(algorithm: &str) -> Result<(bool, usize), Failed> {
    let pss = algorithm.starts_with("RSASSA_PSS_");
    if !pss && !algorithm.starts_with("RSASSA_PKCS1_V1_5_") {
        return Err(Failed);
    }
    Ok((pss, digest_len(algorithm)))
}

fn pkcs1(len: usize) -> Pkcs1v15Sign {
    match len {
        64 => Pkcs1v15Sign::new::<Sha512>(),
        48 => Pkcs1v15Sign::new::<Sha384>(),
        _ => Pkcs1v15Sign::new::<Sha256>(),
    }
}

fn pss(len: usize) -> Pss {
    // Salt as long as the digest, as KMS uses.
    match len {
        64 => Pss::new::<Sha512>(),
        48 => Pss::new::<Sha384>(),
        _ => Pss::new::<Sha256>(),
    }
}

/// A signature over `digest` (already the algorithm's digest).
pub(crate) fn sign(
    spec: &str,
    material: &[u8],
    algorithm: &str,
    digest: &[u8],
) -> Result<Vec<u8>, Failed> {
    match spec {
        "ECC_NIST_P256" => nist_p256::sign(material, digest),
        "ECC_NIST_P384" => nist_p384::sign(material, digest),
        "ECC_NIST_P521" => nist_p521::sign(material, digest),
        "ECC_SECG_P256K1" => secg_p256k1::sign(material, digest),
        _ => {
            let key = rsa_key(material)?;
            match rsa_scheme(algorithm)? {
                (true, len) => key.sign_with_rng(&mut OsRng, pss(len), digest),
                (false, len) => key.sign(pkcs1(len), digest),
            }
            .map_err(|_| Failed)
        }
    }
}

/// Whether `signature` is a valid signature over `digest`.
pub(crate) fn verify(
    spec: &str,
    material: &[u8],
    algorithm: &str,
    digest: &[u8],
    signature: &[u8],
) -> Result<bool, Failed> {
    match spec {
        "ECC_NIST_P256" => nist_p256::verify(material, digest, signature),
        "ECC_NIST_P384" => nist_p384::verify(material, digest, signature),
        "ECC_NIST_P521" => nist_p521::verify(material, digest, signature),
        "ECC_SECG_P256K1" => secg_p256k1::verify(material, digest, signature),
        _ => {
            let public = rsa_key(material)?.to_public_key();
            Ok(match rsa_scheme(algorithm)? {
                (true, len) => public.verify(pss(len), digest, signature),
                (false, len) => public.verify(pkcs1(len), digest, signature),
            }
            .is_ok())
        }
    }
}

fn oaep(algorithm: &str) -> Result<Oaep, Failed> {
    match algorithm {
        "RSAES_OAEP_SHA_1" => Ok(Oaep::new::<sha1::Sha1>()),
        "RSAES_OAEP_SHA_256" => Ok(Oaep::new::<Sha256>()),
        _ => Err(Failed),
    }
}

/// RSA-OAEP encryption with the key's public half.
pub(crate) fn rsa_encrypt(
    material: &[u8],
    algorithm: &str,
    plaintext: &[u8],
) -> Result<Vec<u8>, Failed> {
    rsa_key(material)?
        .to_public_key()
        .encrypt(&mut OsRng, oaep(algorithm)?, plaintext)
        .map_err(|_| Failed)
}

/// RSA-OAEP decryption.
pub(crate) fn rsa_decrypt(
    material: &[u8],
    algorithm: &str,
    ciphertext: &[u8],
) -> Result<Vec<u8>, Failed> {
    rsa_key(material)?
        .decrypt(oaep(algorithm)?, ciphertext)
        .map_err(|_| Failed)
}

/// The HMAC of `message` under `key` with `algorithm` (`HMAC_SHA_256`, …).
pub(crate) fn hmac(algorithm: &str, key: &[u8], message: &[u8]) -> Result<Vec<u8>, Failed> {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Result<Vec<u8>, Failed> {
        let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).map_err(|_| Failed)?;
        m.update(message);
        Ok(m.finalize().into_bytes().to_vec())
    }
    match algorithm {
        "HMAC_SHA_224" => run::<Hmac<Sha224>>(key, message),
        "HMAC_SHA_256" => run::<Hmac<Sha256>>(key, message),
        "HMAC_SHA_384" => run::<Hmac<Sha384>>(key, message),
        "HMAC_SHA_512" => run::<Hmac<Sha512>>(key, message),
        _ => Err(Failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_curve_signs_and_verifies_its_own_signatures_only() {
        for spec in [
            "ECC_NIST_P256",
            "ECC_NIST_P384",
            "ECC_NIST_P521",
            "ECC_SECG_P256K1",
        ] {
            let key = generate(spec).expect("key");
            let d = digest("ECDSA_SHA_512", b"message");
            let d = &d[..if spec == "ECC_NIST_P521" { 64 } else { 32 }];
            let sig = sign(spec, &key, "ECDSA", d).expect("sign");
            assert!(
                verify(spec, &key, "ECDSA", d, &sig).expect("verify"),
                "{spec}"
            );
            let mut other = d.to_vec();
            other[0] ^= 1;
            assert!(
                !verify(spec, &key, "ECDSA", &other, &sig).expect("verify"),
                "{spec}"
            );
            assert!(public_der(spec, &key).expect("der").len() > 60, "{spec}");
        }
    }

    #[test]
    fn rsa_signs_with_both_paddings_and_encrypts_with_oaep() {
        let key = generate("RSA_2048").expect("key");
        for alg in ["RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PSS_SHA_256"] {
            let d = digest(alg, b"m");
            let sig = sign("RSA_2048", &key, alg, &d).expect("sign");
            assert_eq!(sig.len(), 256);
            assert!(verify("RSA_2048", &key, alg, &d, &sig).expect("verify"));
        }
        for alg in ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] {
            let ct = rsa_encrypt(&key, alg, b"secret").expect("encrypt");
            assert_eq!(rsa_decrypt(&key, alg, &ct).expect("decrypt"), b"secret");
        }
        let ct = rsa_encrypt(&key, "RSAES_OAEP_SHA_1", b"secret").expect("encrypt");
        assert_eq!(rsa_decrypt(&key, "RSAES_OAEP_SHA_256", &ct), Err(Failed));
    }

    #[test]
    fn ecdh_agrees_from_both_sides_and_refuses_another_curve() {
        let a = generate("ECC_NIST_P256").expect("a");
        let b = generate("ECC_NIST_P256").expect("b");
        let ab = derive_shared_secret(
            "ECC_NIST_P256",
            &a,
            &public_der("ECC_NIST_P256", &b).expect("b pub"),
        );
        let ba = derive_shared_secret(
            "ECC_NIST_P256",
            &b,
            &public_der("ECC_NIST_P256", &a).expect("a pub"),
        );
        assert_eq!(ab, ba);
        assert_eq!(ab.expect("ok").expect("same curve").len(), 32);
        let other = generate("ECC_NIST_P384").expect("c");
        let peer = public_der("ECC_NIST_P384", &other).expect("c pub");
        assert_eq!(derive_shared_secret("ECC_NIST_P256", &a, &peer), Ok(None));
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac("HMAC_SHA_256", b"Jefe", b"what do ya want for nothing?").expect("mac");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
