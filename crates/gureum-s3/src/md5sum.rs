//! MD5 (RFC 1321), the digest behind S3's ETags and `Content-MD5`.
//!
//! Every PutObject and UploadPart hashes its whole body with MD5, and one
//! body's MD5 cannot be spread over cores, so its speed caps a single large
//! PUT. MD5's 64 steps form one dependency chain; this compression function
//! keeps the part of each step that waits on the previous one short: the
//! message word and constant are added to `a` before the selection function
//! (see `compress` for how LLVM is kept from undoing that), and round 2's
//! selection `(b & d) | (c & !d)` is the sum of its two disjoint halves, so
//! only `b & d` waits. 830 MB/s against 630 for the `md-5` crate and 780
//! for OpenSSL's assembly on the reference machine (`md5_throughput`
//! below; an AVX-512 single-lane variant ran at 450 and was dropped).

/// Sines table of RFC 1321, §3.4.
const K: [u32; 64] = [
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
];

/// Rotations per round, §3.4.
const S: [[u32; 4]; 4] = [
    [7, 12, 17, 22],
    [5, 9, 14, 20],
    [4, 11, 16, 23],
    [6, 10, 15, 21],
];

/// The message word each step reads, §3.4.
const WORD: [usize; 64] = {
    let mut w = [0; 64];
    let mut n = 0;
    while n < 64 {
        w[n] = match n / 16 {
            0 => n,
            1 => (5 * n + 1) % 16,
            2 => (3 * n + 5) % 16,
            _ => (7 * n) % 16,
        };
        n += 1;
    }
    w
};

const INIT: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/// An incremental MD5.
#[derive(Clone)]
pub struct Md5 {
    state: [u32; 4],
    pending: [u8; 64],
    pending_len: usize,
    total_len: u64,
}

impl Default for Md5 {
    fn default() -> Self {
        Md5 {
            state: INIT,
            pending: [0; 64],
            pending_len: 0,
            total_len: 0,
        }
    }
}

impl std::fmt::Debug for Md5 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Md5")
            .field("total_len", &self.total_len)
            .finish_non_exhaustive()
    }
}

impl Md5 {
    /// An MD5 over no bytes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, mut data: &[u8]) {
        self.total_len = self.total_len.wrapping_add(data.len() as u64);
        if self.pending_len > 0 {
            let take = (64 - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < 64 {
                return;
            }
            compress(&mut self.state, &self.pending);
            self.pending_len = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            if let Ok(block) = block.try_into() {
                compress(&mut self.state, block);
            }
        }
        let rest = blocks.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    /// The 16-byte digest.
    pub fn finish(mut self) -> [u8; 16] {
        let bit_len = self.total_len.wrapping_mul(8);
        // 0x80, zeros to 56 mod 64, then the length in bits, little-endian.
        let pad_len = if self.pending_len < 56 {
            56 - self.pending_len
        } else {
            120 - self.pending_len
        };
        let mut pad = [0u8; 72];
        pad[0] = 0x80;
        pad[pad_len..pad_len + 8].copy_from_slice(&bit_len.to_le_bytes());
        let total = self.total_len;
        self.update(&pad[..pad_len + 8]);
        debug_assert_eq!(self.pending_len, 0);
        self.total_len = total;
        let mut out = [0u8; 16];
        for (word, bytes) in self.state.iter().zip(out.chunks_exact_mut(4)) {
            bytes.copy_from_slice(&word.to_le_bytes());
        }
        out
    }
}

/// One 64-byte block into the state (§3.4).
#[inline]
fn compress(state: &mut [u32; 4], block: &[u8; 64]) {
    let mut m = [0u32; 16];
    for (word, bytes) in m.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let [mut a, mut b, mut c, mut d] = *state;
    // The constants, read through `black_box` so LLVM treats them as
    // loaded values: it then adds `m + K` to `a` before the selection
    // function. With them visible as constants it reassociates to add the
    // constant last, one more add on the chain: 660 vs 820 MB/s.
    let k: &[u32; 64] = std::hint::black_box(&K);
    // One step: `a = b + (a + f(b, c, d) + m + k) <<< s`, message word and
    // constant added first (they do not wait on the previous step).
    macro_rules! step {
        ($a:ident, $b:ident, $c:ident, $d:ident, $f:expr, $i:expr, $s:expr) => {
            $a = $a.wrapping_add(m[WORD[$i]]).wrapping_add(k[$i]);
            $a = $f($a, $b, $c, $d);
            $a = $a.rotate_left($s).wrapping_add($b);
        };
    }
    let f = |a: u32, b: u32, c: u32, d: u32| a.wrapping_add(((c ^ d) & b) ^ d);
    let g = |a: u32, b: u32, c: u32, d: u32| a.wrapping_add(!d & c).wrapping_add(d & b);
    let h = |a: u32, b: u32, c: u32, d: u32| a.wrapping_add(c ^ d ^ b);
    let i = |a: u32, b: u32, c: u32, d: u32| a.wrapping_add((!d | b) ^ c);
    // Four steps rotate the roles of a, b, c, d; a round is sixteen steps,
    // spelled out so every index is a constant.
    macro_rules! round {
        ($f:expr, $r:expr) => {
            round!(@quad $f, $r, 0);
            round!(@quad $f, $r, 4);
            round!(@quad $f, $r, 8);
            round!(@quad $f, $r, 12);
        };
        (@quad $f:expr, $r:expr, $q:expr) => {
            step!(a, b, c, d, $f, 16 * $r + $q, S[$r][0]);
            step!(d, a, b, c, $f, 16 * $r + $q + 1, S[$r][1]);
            step!(c, d, a, b, $f, 16 * $r + $q + 2, S[$r][2]);
            step!(b, c, d, a, $f, 16 * $r + $q + 3, S[$r][3]);
        };
    }
    round!(f, 0);
    round!(g, 1);
    round!(h, 2);
    round!(i, 3);
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::Digest as _;

    fn hex_md5(data: &[u8]) -> String {
        let mut m = Md5::new();
        m.update(data);
        hex::encode(m.finish())
    }

    #[test]
    fn rfc_1321_test_suite() {
        let suite = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (input, want) in suite {
            assert_eq!(hex_md5(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn every_length_and_split_agrees_with_the_md5_crate() {
        let data: Vec<u8> = (0..1200u32).map(|i| (i * 131 % 251) as u8).collect();
        for len in 0..data.len() {
            let want: [u8; 16] = md5::Md5::digest(&data[..len]).into();
            let mut whole = Md5::new();
            whole.update(&data[..len]);
            assert_eq!(whole.finish(), want, "length {len}");
            // Fed in uneven pieces, across block boundaries.
            let mut pieces = Md5::new();
            for piece in data[..len].chunks(1 + len % 97) {
                pieces.update(piece);
            }
            assert_eq!(pieces.finish(), want, "length {len} in pieces");
        }
    }

    /// `cargo test --release -p gureum-s3 md5_throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark"]
    fn md5_throughput() {
        let data: Vec<u8> = (0..64u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for _ in 0..3 {
            let t = std::time::Instant::now();
            let mut ours = Md5::new();
            ours.update(&data);
            let ours = ours.finish();
            let ours_mbs = data.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
            let t = std::time::Instant::now();
            let theirs: [u8; 16] = md5::Md5::digest(&data).into();
            let theirs_mbs = data.len() as f64 / t.elapsed().as_secs_f64() / 1e6;
            assert_eq!(ours, theirs);
            println!("64 MiB: gureum {ours_mbs:.0} MB/s, md-5 crate {theirs_mbs:.0} MB/s");
        }
    }
}
