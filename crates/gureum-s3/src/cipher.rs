//! The cipher SSE-KMS objects are stored under: AES-256 in counter mode
//! with the object's data key (see `sse.rs` for where the key comes from).
//!
//! Counter mode because object bytes stream in and out in pieces, and a
//! ranged GET must start anywhere: the keystream at byte `n` is computed
//! directly, so no byte before a range is read or decrypted. The initial
//! counter of a piece of storage is its own id (an inline row's or a
//! file's: 32 random hex digits, 128 bits, never reused), so no two pieces
//! under one data key share a keystream, a multipart upload's parts
//! (files of their own) included, and nothing more needs storing.
//! Integrity comes from the object's stored MD5 and checksum, as for
//! unencrypted objects; confidentiality at rest is what SSE promises.

use aes::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// An object's data key, ready to encrypt or decrypt its bytes.
#[derive(Clone)]
pub struct DataCipher {
    key: [u8; 32],
}

impl std::fmt::Debug for DataCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("DataCipher")
    }
}

impl DataCipher {
    /// The data key's length in bytes.
    pub const KEY_LEN: usize = 32;

    /// A cipher over `key` (32 bytes); `None` for any other length.
    pub fn new(key: &[u8]) -> Option<DataCipher> {
        Some(DataCipher {
            key: key.try_into().ok()?,
        })
    }

    /// A fresh random data key.
    pub fn generate() -> (DataCipher, [u8; 32]) {
        let key: [u8; 32] = rand::random();
        (DataCipher { key }, key)
    }

    /// XORs `buf`, the bytes at `offset` of the piece of storage `id`,
    /// with their keystream: encrypts plaintext, decrypts ciphertext.
    pub fn apply(&self, id: &str, offset: u64, buf: &mut [u8]) {
        let mut c = Aes256Ctr::new(&self.key.into(), &iv_of(id).into());
        c.seek(offset);
        c.apply_keystream(buf);
    }
}

/// The initial counter of a piece of storage: its id's 16 bytes (ids are
/// 32 hex digits), or, for an id of another form, its SHA-256's first 16.
fn iv_of(id: &str) -> [u8; 16] {
    let mut iv = [0u8; 16];
    if id.len() == 32 && hex::decode_to_slice(id, &mut iv).is_ok() {
        return iv;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.as_bytes());
    iv.copy_from_slice(&digest[..16]);
    iv
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "00112233445566778899aabbccddeeff";

    #[test]
    fn applying_twice_gives_the_plaintext_back_and_once_hides_it() {
        let (c, _) = DataCipher::generate();
        let plain: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        let mut buf = plain.clone();
        c.apply(ID, 0, &mut buf);
        assert_ne!(buf, plain);
        c.apply(ID, 0, &mut buf);
        assert_eq!(buf, plain);
    }

    #[test]
    fn any_range_decrypts_on_its_own_and_pieces_equal_the_whole() {
        let (c, _) = DataCipher::generate();
        let plain: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 256) as u8).collect();
        let mut whole = plain.clone();
        c.apply(ID, 0, &mut whole);
        // Encrypting in uneven pieces equals encrypting at once.
        let mut pieces = plain.clone();
        let mut at = 0;
        for len in [1, 15, 16, 17, 1000, 3951] {
            c.apply(ID, at as u64, &mut pieces[at..at + len]);
            at += len;
        }
        assert_eq!(pieces, whole);
        // A range in the middle decrypts alone.
        let mut range = whole[1234..2345].to_vec();
        c.apply(ID, 1234, &mut range);
        assert_eq!(range, plain[1234..2345]);
    }

    #[test]
    fn another_id_or_key_gives_another_keystream() {
        let (c, key) = DataCipher::generate();
        let mut a = vec![0u8; 64];
        let mut b = vec![0u8; 64];
        c.apply(ID, 0, &mut a);
        c.apply("ffeeddccbbaa99887766554433221100", 0, &mut b);
        assert_ne!(a, b);
        let same = DataCipher::new(&key).expect("32 bytes");
        let mut again = vec![0u8; 64];
        same.apply(ID, 0, &mut again);
        assert_eq!(a, again);
        assert!(DataCipher::new(&key[..16]).is_none());
    }
}
