//! Identifiers in AWS's shapes.
//!
//! AWS ids are opaque to clients, but tools and people recognise their
//! shapes: `i-0123456789abcdef0` (17 hex digits after the prefix),
//! `AKIA` + 16 upper-case characters, request ids as UUIDs. Gureum makes
//! them random in the same shapes.

use rand::Rng;

const HEX: &[u8; 16] = b"0123456789abcdef";
/// The alphabet of access key ids and IAM unique ids (base32, as AWS uses).
const UPPER32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A request id: a random UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`).
pub fn request_id() -> String {
    uuid_v4()
}

/// A random version-4 UUID in its canonical lower-case form.
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::thread_rng().gen();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut s = String::with_capacity(36);
    for (i, group) in [&b[..4], &b[4..6], &b[6..8], &b[8..10], &b[10..]]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            s.push('-');
        }
        crate::hex::push(&mut s, group);
    }
    s
}

/// An EC2-style resource id: `prefix-` and 17 hex digits (`i-…`, `vpc-…`).
pub fn resource_id(prefix: &str) -> String {
    format!("{prefix}-{}", random_from(HEX, 17))
}

/// An access key id: `AKIA` (long-term) or `ASIA` (temporary) + 16 characters.
pub fn access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER32, 16))
}

/// An IAM unique id (`AIDA…` users, `AROA…` roles, `ANPA…` policies, …):
/// the prefix + 17 characters.
pub fn iam_unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER32, 17))
}

/// A secret access key: 40 characters of base64's alphabet.
pub fn secret_access_key() -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
    )
}

/// Random lower-case hex of the given length: two digits per random byte
/// (every stored object gets one; a draw per digit cost ten times more).
pub fn hex(len: usize) -> String {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    rand::thread_rng().fill(&mut bytes[..]);
    let mut s = crate::hex::encode(&bytes);
    s.truncate(len);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_has_the_asked_length_and_varies() {
        for len in [0, 1, 17, 32, 33] {
            let h = hex(len);
            assert_eq!(h.len(), len);
            assert!(
                h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
                "{h}"
            );
        }
        assert_ne!(hex(32), hex(32));
        // Every digit turns up in both halves of a byte.
        let many: String = (0..64).map(|_| hex(32)).collect();
        for (i, d) in HEX.iter().enumerate() {
            assert!(many.bytes().step_by(2).any(|c| c == *d), "high nibble {i}");
            assert!(
                many.bytes().skip(1).step_by(2).any(|c| c == *d),
                "low nibble {i}"
            );
        }
    }

    #[test]
    fn resource_ids_have_seventeen_hex_digits() {
        let id = resource_id("i");
        assert_eq!(id.len(), 19);
        assert!(id[2..].bytes().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn uuids_are_version_four() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn access_keys_are_twenty_characters() {
        let k = access_key_id("AKIA");
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("AKIA"));
        assert_eq!(secret_access_key().len(), 40);
    }
}
