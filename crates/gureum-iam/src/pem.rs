//! Just enough PEM and DER to check what IAM is given: a certificate's
//! validity period, a private key's framing, an RSA public key's numbers.
//! Nothing here verifies a signature; IAM stores certificates, it does not
//! trust them.

use base64::Engine as _;

/// The DER bytes of the first PEM block labelled `label`
/// (`CERTIFICATE`), or `None` when there is none or it is not base64.
pub fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()
        .filter(|d| !d.is_empty())
}

/// Whether `text` holds a PEM private key (PKCS#1, PKCS#8 or EC).
pub fn is_private_key(text: &str) -> bool {
    ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY"]
        .iter()
        .any(|l| pem_block(text, l).is_some_and(|der| read_tlv(&der).is_some()))
}

/// One DER element: (tag, contents, the rest after it).
fn read_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// A UTCTime or GeneralizedTime, as epoch seconds.
fn der_time(tag: u8, body: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(body).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match tag {
        // UTCTime: two-digit years, 50–99 meaning 19xx (RFC 5280).
        0x17 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let num = |i: usize| -> Option<u32> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, hour, minute, second) = (num(0)?, num(2)?, num(4)?, num(6)?, num(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = gureum_core::timestamp::days_from_civil(year, month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// An X.509 certificate's validity: (not before, not after), epoch
/// seconds; `None` when the DER is not a certificate.
pub fn certificate_validity(der: &[u8]) -> Option<(i64, i64)> {
    let (0x30, cert, _) = read_tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = read_tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // The explicit [0] version is optional.
    if rest.first() == Some(&0xa0) {
        rest = read_tlv(rest)?.2;
    }
    let (_, _, rest) = read_tlv(rest)?; // serial number
    let (_, _, rest) = read_tlv(rest)?; // signature algorithm
    let (_, _, rest) = read_tlv(rest)?; // issuer
    let (0x30, validity, _) = read_tlv(rest)? else {
        return None;
    };
    let (t1, b1, after) = read_tlv(validity)?;
    let (t2, b2, _) = read_tlv(after)?;
    Some((der_time(t1, b1)?, der_time(t2, b2)?))
}

/// rsaEncryption's object identifier (1.2.840.113549.1.1.1), DER body.
const RSA_OID: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// `n` without leading zero bytes.
fn unsigned(n: &[u8]) -> &[u8] {
    let start = n.iter().position(|b| *b != 0).unwrap_or(n.len());
    &n[start..]
}

/// Whether an AlgorithmIdentifier's body names rsaEncryption.
fn is_rsa_algorithm(alg: &[u8]) -> bool {
    matches!(read_tlv(alg), Some((0x06, oid, _)) if oid == RSA_OID)
}

/// The RSA modulus of an X.509 certificate's public key (`None` for other
/// key types or a certificate that does not parse).
pub fn certificate_rsa_modulus(der: &[u8]) -> Option<Vec<u8>> {
    let (0x30, cert, _) = read_tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = read_tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = read_tlv(rest)?.2;
    }
    // serial, signature algorithm, issuer, validity, subject
    for _ in 0..5 {
        rest = read_tlv(rest)?.2;
    }
    let (0x30, spki, _) = read_tlv(rest)? else {
        return None;
    };
    let (0x30, alg, rest) = read_tlv(spki)? else {
        return None;
    };
    if !is_rsa_algorithm(alg) {
        return None;
    }
    let (0x03, bits, _) = read_tlv(rest)? else {
        return None;
    };
    let (0x30, rsa, _) = read_tlv(bits.get(1..)?)? else {
        return None;
    };
    let (0x02, n, _) = read_tlv(rsa)? else {
        return None;
    };
    Some(unsigned(n).to_vec())
}

/// The RSA modulus of a PEM private key (PKCS#1 or PKCS#8); `None` for
/// other key types.
pub fn private_key_rsa_modulus(text: &str) -> Option<Vec<u8>> {
    let pkcs1 = |der: &[u8]| -> Option<Vec<u8>> {
        let (0x30, seq, _) = read_tlv(der)? else {
            return None;
        };
        let (_, _, rest) = read_tlv(seq)?; // version
        let (0x02, n, _) = read_tlv(rest)? else {
            return None;
        };
        Some(unsigned(n).to_vec())
    };
    if let Some(der) = pem_block(text, "RSA PRIVATE KEY") {
        return pkcs1(&der);
    }
    let der = pem_block(text, "PRIVATE KEY")?;
    let (0x30, seq, _) = read_tlv(&der)? else {
        return None;
    };
    let (_, _, rest) = read_tlv(seq)?; // version
    let (0x30, alg, rest) = read_tlv(rest)? else {
        return None;
    };
    if !is_rsa_algorithm(alg) {
        return None;
    }
    let (0x04, inner, _) = read_tlv(rest)? else {
        return None;
    };
    pkcs1(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_times_read_both_forms() {
        assert_eq!(der_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(der_time(0x18, b"20000101000000Z"), Some(946_684_800));
        assert_eq!(der_time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(der_time(0x17, b"nonsense"), None);
    }

    #[test]
    fn truncated_and_garbage_der_is_refused_without_panicking() {
        for bytes in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x05, 0x30],
        ] {
            assert_eq!(certificate_validity(bytes), None);
        }
        assert_eq!(pem_block("no pem here", "CERTIFICATE"), None);
        assert!(!is_private_key(
            "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----"
        ));
    }

    #[test]
    fn random_and_truncated_der_never_panics() {
        // A real certificate's prefix, cut at every length, and noise.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed & 0xff) as u8
        };
        let mut der = vec![
            0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02,
        ];
        der.extend((0..300).map(|_| noise()));
        for cut in 0..der.len() {
            let _ = certificate_validity(&der[..cut]);
            let _ = certificate_rsa_modulus(&der[..cut]);
        }
        for _ in 0..2000 {
            let len = usize::from(noise()) % 64;
            let bytes: Vec<u8> = (0..len).map(|_| noise()).collect();
            let _ = certificate_validity(&bytes);
            let _ = certificate_rsa_modulus(&bytes);
        }
    }
}
