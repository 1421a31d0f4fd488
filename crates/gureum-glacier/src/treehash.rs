//! The SHA-256 tree hash Glacier checks every upload against
//! (developer guide, "Computing Checksums"): SHA-256 of each 1 MiB chunk,
//! then pairs of hashes hashed together level by level (an odd one out
//! moves up unchanged) until one remains.

use sha2::{Digest, Sha256};

/// The chunk size the leaves cover.
pub const CHUNK: usize = 1024 * 1024;

/// A tree hash computed as bytes arrive.
#[derive(Default)]
pub struct TreeHasher {
    leaves: Vec<[u8; 32]>,
    current: Sha256,
    filled: usize,
}

impl TreeHasher {
    /// Adds bytes.
    pub fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let take = (CHUNK - self.filled).min(bytes.len());
            self.current.update(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled == CHUNK {
                self.leaves
                    .push(std::mem::take(&mut self.current).finalize().into());
                self.filled = 0;
            }
        }
    }

    /// The root, hex-encoded (an empty body hashes as one empty chunk).
    pub fn finish(mut self) -> String {
        if self.filled > 0 || self.leaves.is_empty() {
            self.leaves.push(self.current.finalize().into());
        }
        gureum_core::hex::encode(&combine(self.leaves))
    }
}

/// The root over leaf hashes (also how part hashes make the archive's:
/// parts are whole multiples of 1 MiB, so their roots are subtrees).
pub fn combine(mut level: Vec<[u8; 32]>) -> [u8; 32] {
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => {
                    let mut h = Sha256::new();
                    h.update(a);
                    h.update(b);
                    h.finalize().into()
                }
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level
        .first()
        .copied()
        .unwrap_or_else(|| Sha256::digest([]).into())
}

/// Parses a hex tree hash (64 hex digits).
pub fn parse(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The tree hash of `bytes` in one call.
pub fn of(bytes: &[u8]) -> String {
    let mut h = TreeHasher::default();
    h.update(bytes);
    h.finish()
}
