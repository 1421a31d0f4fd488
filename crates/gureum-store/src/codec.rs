//! How a table's values become bytes: JSON by default, or a table's own
//! [`Codec`] where decoding sits on a hot path.
//!
//! JSON is the default because it is debuggable with any redb viewer and
//! tolerates added fields. A record read on every request (S3's object
//! versions) can instead use a binary codec written with [`Encoder`] and
//! [`Decoder`]: no field names to match, no text to scan, several times
//! fewer instructions per decode. Such a codec must still read the JSON its
//! table held before it existed, so it keeps data directories working.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// Why a value could not be encoded or decoded.
pub type CodecError = Box<dyn std::error::Error + Send + Sync>;

/// Turns a table's values into bytes and back.
pub trait Codec<T> {
    /// The stored form of `value`.
    fn encode(value: &T) -> Result<Vec<u8>, CodecError>;
    /// The value stored as `bytes`; any input gives a value or an error,
    /// never a panic (stored bytes may be damaged).
    fn decode(bytes: &[u8]) -> Result<T, CodecError>;
}

/// The default codec: compact JSON through serde.
#[derive(Clone, Copy, Debug, Default)]
pub struct Json;

impl<T: Serialize + DeserializeOwned> Codec<T> for Json {
    fn encode(value: &T) -> Result<Vec<u8>, CodecError> {
        Ok(serde_json::to_vec(value)?)
    }

    fn decode(bytes: &[u8]) -> Result<T, CodecError> {
        Ok(serde_json::from_slice(bytes)?)
    }
}

/// Why binary input did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryError {
    /// The input ended inside a value.
    Truncated,
    /// A varint ran past 64 bits.
    Overflow,
    /// A string was not UTF-8.
    NotUtf8,
    /// A tag byte named no known variant.
    UnknownTag(u8),
    /// Bytes were left after the last field.
    TrailingBytes,
}

impl fmt::Display for BinaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BinaryError::Truncated => f.write_str("input ends inside a value"),
            BinaryError::Overflow => f.write_str("varint longer than 64 bits"),
            BinaryError::NotUtf8 => f.write_str("string is not UTF-8"),
            BinaryError::UnknownTag(t) => write!(f, "unknown tag {t}"),
            BinaryError::TrailingBytes => f.write_str("bytes after the last field"),
        }
    }
}

impl std::error::Error for BinaryError {}

/// Writes a binary record: LEB128 varints, length-prefixed strings.
#[derive(Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An encoder whose buffer starts with `capacity` bytes reserved.
    pub fn with_capacity(capacity: usize) -> Encoder {
        Encoder {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// One raw byte (a format version, a tag).
    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// `false` as 0, `true` as 1.
    pub fn bool(&mut self, b: bool) {
        self.buf.push(u8::from(b));
    }

    /// An unsigned LEB128 varint.
    pub fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    /// A signed integer, zigzag-mapped so small magnitudes stay short.
    pub fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }

    /// A length (as a varint).
    pub fn length(&mut self, n: usize) {
        self.u64(n as u64);
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, s: &str) {
        self.length(s.len());
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// 0 for `None`, 1 and the string for `Some`.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.byte(0),
            Some(s) => {
                self.byte(1);
                self.str(s);
            }
        }
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads what an [`Encoder`] wrote, checking every length against the
/// input left.
#[derive(Debug)]
pub struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    /// A decoder over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Decoder<'a> {
        Decoder { rest: bytes }
    }

    /// One raw byte.
    pub fn byte(&mut self) -> Result<u8, BinaryError> {
        let (&b, rest) = self.rest.split_first().ok_or(BinaryError::Truncated)?;
        self.rest = rest;
        Ok(b)
    }

    /// A bool written by [`Encoder::bool`].
    pub fn bool(&mut self) -> Result<bool, BinaryError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            t => Err(BinaryError::UnknownTag(t)),
        }
    }

    /// An unsigned LEB128 varint.
    pub fn u64(&mut self) -> Result<u64, BinaryError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(BinaryError::Overflow);
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(BinaryError::Overflow)
    }

    /// A zigzag-mapped signed integer.
    pub fn i64(&mut self) -> Result<i64, BinaryError> {
        let v = self.u64()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    /// A length, which cannot exceed the bytes left (so a damaged length
    /// never makes a caller reserve more than the input's size).
    pub fn length(&mut self) -> Result<usize, BinaryError> {
        let n = self.u64()?;
        if n > self.rest.len() as u64 {
            return Err(BinaryError::Truncated);
        }
        Ok(n as usize)
    }

    /// A length-prefixed UTF-8 string, borrowed from the input.
    pub fn str(&mut self) -> Result<&'a str, BinaryError> {
        let n = self.length()?;
        let (s, rest) = self.rest.split_at(n);
        self.rest = rest;
        std::str::from_utf8(s).map_err(|_| BinaryError::NotUtf8)
    }

    /// A string written by [`Encoder::opt_str`].
    pub fn opt_str(&mut self) -> Result<Option<&'a str>, BinaryError> {
        match self.byte()? {
            0 => Ok(None),
            1 => self.str().map(Some),
            t => Err(BinaryError::UnknownTag(t)),
        }
    }

    /// Succeeds only when every byte was read.
    pub fn finish(self) -> Result<(), BinaryError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(BinaryError::TrailingBytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let values = [0, 1, 127, 128, 300, 1 << 35, u64::MAX - 1, u64::MAX];
        let mut e = Encoder::default();
        for v in values {
            e.u64(v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1_700_000_000_000] {
            e.i64(v);
        }
        let bytes = e.finish();
        let mut d = Decoder::new(&bytes);
        for v in values {
            assert_eq!(d.u64(), Ok(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -1_700_000_000_000] {
            assert_eq!(d.i64(), Ok(v));
        }
        d.finish().expect("all read");
    }

    #[test]
    fn varint_past_64_bits_is_refused() {
        let eleven = [0xff; 10].iter().copied().chain([0x01]).collect::<Vec<_>>();
        assert_eq!(Decoder::new(&eleven).u64(), Err(BinaryError::Overflow));
        // Ten bytes whose last carries more than bit 63.
        let mut wide = vec![0xff; 9];
        wide.push(0x02);
        assert_eq!(Decoder::new(&wide).u64(), Err(BinaryError::Overflow));
    }

    #[test]
    fn a_length_longer_than_the_input_is_truncation() {
        let mut e = Encoder::default();
        e.u64(1 << 40);
        e.byte(b'a');
        assert_eq!(Decoder::new(&e.finish()).str(), Err(BinaryError::Truncated));
    }

    #[test]
    fn strings_must_be_utf8() {
        let bytes = [2, 0xc3, 0x28];
        assert_eq!(Decoder::new(&bytes).str(), Err(BinaryError::NotUtf8));
    }

    #[test]
    fn bools_and_options_refuse_other_tags() {
        assert_eq!(Decoder::new(&[2]).bool(), Err(BinaryError::UnknownTag(2)));
        assert_eq!(
            Decoder::new(&[7]).opt_str(),
            Err(BinaryError::UnknownTag(7))
        );
    }

    #[test]
    fn leftover_bytes_fail_finish() {
        let mut d = Decoder::new(&[1, 2]);
        d.byte().expect("one");
        assert_eq!(d.finish(), Err(BinaryError::TrailingBytes));
    }
}
