//! Request bodies the SDKs gzip: botocore and the other SDKs compress
//! a request (`Content-Encoding: gzip`) when the operation has the
//! `requestcompression` trait (CloudWatch's `PutMetricData`) and the body
//! passes 10 KiB. The signature covers the compressed bytes, so the body
//! is inflated after authentication and before parsing.
//!
//! A small RFC 1951 inflater (stored, fixed and dynamic Huffman blocks)
//! behind an RFC 1952 header reader, bounded by the API body limit.

/// Why a body did not inflate.
#[derive(Debug, PartialEq, Eq)]
pub struct GunzipError(pub &'static str);

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
    nbits: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> Result<(), GunzipError> {
        while self.nbits < n {
            let b = *self
                .data
                .get(self.pos)
                .ok_or(GunzipError("truncated deflate stream"))?;
            self.pos += 1;
            self.bit |= u32::from(b) << self.nbits;
            self.nbits += 8;
        }
        Ok(())
    }

    fn take(&mut self, n: u32) -> Result<u32, GunzipError> {
        if n == 0 {
            return Ok(0);
        }
        self.need(n)?;
        let v = self.bit & ((1u32 << n) - 1);
        self.bit >>= n;
        self.nbits -= n;
        Ok(v)
    }

    fn align(&mut self) {
        self.bit = 0;
        self.nbits = 0;
    }
}

/// A canonical Huffman code: symbol counts per length and symbols in order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Huffman, GunzipError> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut offs = [0u16; 16];
        for i in 1..16 {
            offs[i] = offs[i - 1] + counts[i - 1];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, GunzipError> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.take(1)? as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return self
                    .symbols
                    .get((index + (code - first)) as usize)
                    .copied()
                    .ok_or(GunzipError("bad huffman code"));
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        Err(GunzipError("bad huffman code"))
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

fn codes(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    lit: &Huffman,
    dist: &Huffman,
    limit: usize,
) -> Result<(), GunzipError> {
    loop {
        let sym = lit.decode(bits)?;
        if sym < 256 {
            out.push(sym as u8);
        } else if sym == 256 {
            return Ok(());
        } else {
            let i = (sym - 257) as usize;
            if i >= 29 {
                return Err(GunzipError("bad length symbol"));
            }
            let len = LEN_BASE[i] as usize + bits.take(u32::from(LEN_EXTRA[i]))? as usize;
            let d = dist.decode(bits)? as usize;
            if d >= 30 {
                return Err(GunzipError("bad distance symbol"));
            }
            let back = DIST_BASE[d] as usize + bits.take(u32::from(DIST_EXTRA[d]))? as usize;
            if back > out.len() {
                return Err(GunzipError("distance too far back"));
            }
            let start = out.len() - back;
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > limit {
            return Err(GunzipError("inflated body too large"));
        }
    }
}

/// Inflates a raw deflate stream (at most `limit` bytes out).
pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, GunzipError> {
    let mut bits = Bits {
        data,
        pos: 0,
        bit: 0,
        nbits: 0,
    };
    let mut out = Vec::with_capacity(data.len() * 4);
    loop {
        let last = bits.take(1)?;
        match bits.take(2)? {
            0 => {
                bits.align();
                let p = bits.pos;
                let hdr = data
                    .get(p..p + 4)
                    .ok_or(GunzipError("truncated stored block"))?;
                let len = u16::from_le_bytes([hdr[0], hdr[1]]) as usize;
                let body = data
                    .get(p + 4..p + 4 + len)
                    .ok_or(GunzipError("truncated stored block"))?;
                out.extend_from_slice(body);
                bits.pos = p + 4 + len;
            }
            1 => {
                let mut l = [0u8; 288];
                l[..144].fill(8);
                l[144..256].fill(9);
                l[256..280].fill(7);
                l[280..].fill(8);
                let lit = Huffman::new(&l)?;
                let dist = Huffman::new(&[5u8; 30])?;
                codes(&mut bits, &mut out, &lit, &dist, limit)?;
            }
            2 => {
                let nlen = bits.take(5)? as usize + 257;
                let ndist = bits.take(5)? as usize + 1;
                let ncode = bits.take(4)? as usize + 4;
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut cl = [0u8; 19];
                for &o in ORDER.iter().take(ncode) {
                    cl[o] = bits.take(3)? as u8;
                }
                let clh = Huffman::new(&cl)?;
                let mut lengths = vec![0u8; nlen + ndist];
                let mut i = 0;
                while i < nlen + ndist {
                    let sym = clh.decode(&mut bits)?;
                    let (val, rep) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => {
                            let prev = *lengths
                                .get(i.wrapping_sub(1))
                                .ok_or(GunzipError("repeat with no previous length"))?;
                            (prev, 3 + bits.take(2)? as usize)
                        }
                        17 => (0, 3 + bits.take(3)? as usize),
                        _ => (0, 11 + bits.take(7)? as usize),
                    };
                    if i + rep > lengths.len() {
                        return Err(GunzipError("too many code lengths"));
                    }
                    lengths[i..i + rep].fill(val);
                    i += rep;
                }
                let lit = Huffman::new(&lengths[..nlen])?;
                let dist = Huffman::new(&lengths[nlen..])?;
                codes(&mut bits, &mut out, &lit, &dist, limit)?;
            }
            _ => return Err(GunzipError("bad block type")),
        }
        if out.len() > limit {
            return Err(GunzipError("inflated body too large"));
        }
        if last == 1 {
            return Ok(out);
        }
    }
}

/// Inflates a gzip member (RFC 1952): header, deflate stream, trailer.
pub fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, GunzipError> {
    if data.len() < 18 || data[0] != 0x1f || data[1] != 0x8b || data[2] != 8 {
        return Err(GunzipError("not a gzip stream"));
    }
    let flags = data[3];
    let mut p = 10;
    if flags & 4 != 0 {
        let x = data
            .get(p..p + 2)
            .ok_or(GunzipError("truncated gzip header"))?;
        p += 2 + u16::from_le_bytes([x[0], x[1]]) as usize;
    }
    for bit in [8u8, 16] {
        if flags & bit != 0 {
            while *data.get(p).ok_or(GunzipError("truncated gzip header"))? != 0 {
                p += 1;
            }
            p += 1;
        }
    }
    if flags & 2 != 0 {
        p += 2;
    }
    let body = data.get(p..).ok_or(GunzipError("truncated gzip header"))?;
    inflate(body, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected() -> Vec<u8> {
        let mut d = b"hello hello hello gureum\n".repeat(20);
        for _ in 0..3 {
            d.extend(0..=255u8);
        }
        d
    }

    #[test]
    fn inflates_what_python_gzip_wrote() {
        // gzip.compress(expected(), mtime=0): dynamic Huffman blocks.
        let gz: &[u8] = &[
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
            0xc9, 0x57, 0xc8, 0x40, 0x22, 0xd3, 0x4b, 0x8b, 0x52, 0x4b, 0x73, 0xb9, 0x32, 0x46,
            0x25, 0x86, 0xab, 0x04, 0x03, 0x23, 0x13, 0x33, 0x0b, 0x2b, 0x1b, 0x3b, 0x07, 0x27,
            0x17, 0x37, 0x0f, 0x2f, 0x1f, 0xbf, 0x80, 0xa0, 0x90, 0xb0, 0x88, 0xa8, 0x98, 0xb8,
            0x84, 0xa4, 0x94, 0xb4, 0x8c, 0xac, 0x9c, 0xbc, 0x82, 0xa2, 0x92, 0xb2, 0x8a, 0xaa,
            0x9a, 0xba, 0x86, 0xa6, 0x96, 0xb6, 0x8e, 0xae, 0x9e, 0xbe, 0x81, 0xa1, 0x91, 0xb1,
            0x89, 0xa9, 0x99, 0xb9, 0x85, 0xa5, 0x95, 0xb5, 0x8d, 0xad, 0x9d, 0xbd, 0x83, 0xa3,
            0x93, 0xb3, 0x8b, 0xab, 0x9b, 0xbb, 0x87, 0xa7, 0x97, 0xb7, 0x8f, 0xaf, 0x9f, 0x7f,
            0x40, 0x60, 0x50, 0x70, 0x48, 0x68, 0x58, 0x78, 0x44, 0x64, 0x54, 0x74, 0x4c, 0x6c,
            0x5c, 0x7c, 0x42, 0x62, 0x52, 0x72, 0x4a, 0x6a, 0x5a, 0x7a, 0x46, 0x66, 0x56, 0x76,
            0x4e, 0x6e, 0x5e, 0x7e, 0x41, 0x61, 0x51, 0x71, 0x49, 0x69, 0x59, 0x79, 0x45, 0x65,
            0x55, 0x75, 0x4d, 0x6d, 0x5d, 0x7d, 0x43, 0x63, 0x53, 0x73, 0x4b, 0x6b, 0x5b, 0x7b,
            0x47, 0x67, 0x57, 0x77, 0x4f, 0x6f, 0x5f, 0xff, 0x84, 0x89, 0x93, 0x26, 0x4f, 0x99,
            0x3a, 0x6d, 0xfa, 0x8c, 0x99, 0xb3, 0x66, 0xcf, 0x99, 0x3b, 0x6f, 0xfe, 0x82, 0x85,
            0x8b, 0x16, 0x2f, 0x59, 0xba, 0x6c, 0xf9, 0x8a, 0x95, 0xab, 0x56, 0xaf, 0x59, 0xbb,
            0x6e, 0xfd, 0x86, 0x8d, 0x9b, 0x36, 0x6f, 0xd9, 0xba, 0x6d, 0xfb, 0x8e, 0x9d, 0xbb,
            0x76, 0xef, 0xd9, 0xbb, 0x6f, 0xff, 0x81, 0x83, 0x87, 0x0e, 0x1f, 0x39, 0x7a, 0xec,
            0xf8, 0x89, 0x93, 0xa7, 0x4e, 0x9f, 0x39, 0x7b, 0xee, 0xfc, 0x85, 0x8b, 0x97, 0x2e,
            0x5f, 0xb9, 0x7a, 0xed, 0xfa, 0x8d, 0x9b, 0xb7, 0x6e, 0xdf, 0xb9, 0x7b, 0xef, 0xfe,
            0x83, 0x87, 0x8f, 0x1e, 0x3f, 0x79, 0xfa, 0xec, 0xf9, 0x8b, 0x97, 0xaf, 0x5e, 0xbf,
            0x79, 0xfb, 0xee, 0xfd, 0x87, 0x8f, 0x9f, 0x3e, 0x7f, 0xf9, 0xfa, 0xed, 0xfb, 0x8f,
            0x9f, 0xbf, 0x7e, 0xff, 0xf9, 0xfb, 0xef, 0xff, 0xa8, 0xff, 0x47, 0xb6, 0xff, 0x01,
            0x1c, 0x88, 0x69, 0xe0, 0xf4, 0x04, 0x00, 0x00,
        ];
        assert_eq!(gunzip(gz, 1 << 20).expect("gunzip"), expected());
        assert!(gunzip(gz, 100).is_err(), "the limit holds");
        // zlib with Z_FIXED, raw: fixed Huffman blocks.
        let fixed: &[u8] = &[
            0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x22, 0xd3, 0x4b, 0x8b, 0x52, 0x4b,
            0x73, 0xb9, 0x32, 0x46, 0x25, 0x86, 0xab, 0x04, 0x03, 0x23, 0x13, 0x33, 0x0b, 0x2b,
            0x1b, 0x3b, 0x07, 0x27, 0x17, 0x37, 0x0f, 0x2f, 0x1f, 0xbf, 0x80, 0xa0, 0x90, 0xb0,
            0x88, 0xa8, 0x98, 0xb8, 0x84, 0xa4, 0x94, 0xb4, 0x8c, 0xac, 0x9c, 0xbc, 0x82, 0xa2,
            0x92, 0xb2, 0x8a, 0xaa, 0x9a, 0xba, 0x86, 0xa6, 0x96, 0xb6, 0x8e, 0xae, 0x9e, 0xbe,
            0x81, 0xa1, 0x91, 0xb1, 0x89, 0xa9, 0x99, 0xb9, 0x85, 0xa5, 0x95, 0xb5, 0x8d, 0xad,
            0x9d, 0xbd, 0x83, 0xa3, 0x93, 0xb3, 0x8b, 0xab, 0x9b, 0xbb, 0x87, 0xa7, 0x97, 0xb7,
            0x8f, 0xaf, 0x9f, 0x7f, 0x40, 0x60, 0x50, 0x70, 0x48, 0x68, 0x58, 0x78, 0x44, 0x64,
            0x54, 0x74, 0x4c, 0x6c, 0x5c, 0x7c, 0x42, 0x62, 0x52, 0x72, 0x4a, 0x6a, 0x5a, 0x7a,
            0x46, 0x66, 0x56, 0x76, 0x4e, 0x6e, 0x5e, 0x7e, 0x41, 0x61, 0x51, 0x71, 0x49, 0x69,
            0x59, 0x79, 0x45, 0x65, 0x55, 0x75, 0x4d, 0x6d, 0x5d, 0x7d, 0x43, 0x63, 0x53, 0x73,
            0x4b, 0x6b, 0x5b, 0x7b, 0x47, 0x67, 0x57, 0x77, 0x4f, 0x6f, 0x5f, 0xff, 0x84, 0x89,
            0x93, 0x26, 0x4f, 0x99, 0x3a, 0x6d, 0xfa, 0x8c, 0x99, 0xb3, 0x66, 0xcf, 0x99, 0x3b,
            0x6f, 0xfe, 0x82, 0x85, 0x8b, 0x16, 0x2f, 0x59, 0xba, 0x6c, 0xf9, 0x8a, 0x95, 0xab,
            0x56, 0xaf, 0x59, 0xbb, 0x6e, 0xfd, 0x86, 0x8d, 0x9b, 0x36, 0x6f, 0xd9, 0xba, 0x6d,
            0xfb, 0x8e, 0x9d, 0xbb, 0x76, 0xef, 0xd9, 0xbb, 0x6f, 0xff, 0x81, 0x83, 0x87, 0x0e,
            0x1f, 0x39, 0x7a, 0xec, 0xf8, 0x89, 0x93, 0xa7, 0x4e, 0x9f, 0x39, 0x7b, 0xee, 0xfc,
            0x85, 0x8b, 0x97, 0x2e, 0x5f, 0xb9, 0x7a, 0xed, 0xfa, 0x8d, 0x9b, 0xb7, 0x6e, 0xdf,
            0xb9, 0x7b, 0xef, 0xfe, 0x83, 0x87, 0x8f, 0x1e, 0x3f, 0x79, 0xfa, 0xec, 0xf9, 0x8b,
            0x97, 0xaf, 0x5e, 0xbf, 0x79, 0xfb, 0xee, 0xfd, 0x87, 0x8f, 0x9f, 0x3e, 0x7f, 0xf9,
            0xfa, 0xed, 0xfb, 0x8f, 0x9f, 0xbf, 0x7e, 0xff, 0xf9, 0xfb, 0xef, 0xff, 0xa8, 0xff,
            0x47, 0xb6, 0xff, 0x01,
        ];
        assert_eq!(inflate(fixed, 1 << 20).expect("inflate"), expected());
        for cut in [1, 10, gz.len() / 2] {
            assert!(gunzip(&gz[..gz.len() - cut], 1 << 20).is_err() || cut <= 8);
        }
    }

    #[test]
    fn stored_blocks_and_garbage() {
        // A stored block holding "abc".
        let raw = [0x01, 0x03, 0x00, 0xfc, 0xff, b'a', b'b', b'c'];
        assert_eq!(inflate(&raw, 100).expect("stored"), b"abc");
        assert!(gunzip(b"nope", 100).is_err());
        assert!(inflate(&[0xff; 40], 100).is_err());
    }
}
