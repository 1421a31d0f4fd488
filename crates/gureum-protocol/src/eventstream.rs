//! AWS's event stream framing (`application/vnd.amazon.eventstream`), used by
//! streaming outputs such as Logs `StartLiveTail`, Lambda
//! `InvokeWithResponseStream` and S3 `SelectObjectContent`.
//!
//! A message is a prelude (total length, headers length, both big-endian
//! u32, then the CRC32 of those 8 bytes), the headers, the payload and the
//! CRC32 of everything before it. Each header is a 1-byte name length, the
//! name, a 1-byte type and the value; only the types services send are
//! modelled ([`HeaderValue`]).
//!
//! Services build messages with [`Message::event`], [`Message::exception`]
//! and [`Message::error`], which set the `:message-type`, `:event-type` /
//! `:exception-type` / `:error-code` and `:content-type` headers the SDKs
//! dispatch on, and write them with [`Message::encode`]. [`Message::decode`]
//! reads one back (tests, and inputs should a service ever take a stream).

/// The content type of an event stream response body.
pub const CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// Bytes of the prelude plus its CRC.
const PRELUDE_LEN: usize = 12;
/// The largest message the SDKs accept (16 MiB).
const MAX_MESSAGE_LEN: usize = 16 * 1024 * 1024;

/// A header value. Type codes are the wire's: bool 0/1, i32 4, byte array
/// 6, string 7, timestamp (epoch milliseconds) 8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderValue {
    /// `true` (type 0) or `false` (type 1).
    Bool(bool),
    /// A 32-bit integer (type 4).
    Int32(i32),
    /// Raw bytes (type 6).
    Bytes(Vec<u8>),
    /// UTF-8 text (type 7).
    String(String),
    /// Milliseconds since the epoch (type 8).
    Timestamp(i64),
}

/// One event stream message: ordered headers and a payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Headers in the order they are written.
    pub headers: Vec<(String, HeaderValue)>,
    /// The payload, usually JSON or XML of the event's shape.
    pub payload: Vec<u8>,
}

/// Why a byte sequence is not an event stream message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer bytes than the prelude or the declared length.
    Truncated,
    /// A length outside what the format allows.
    BadLength,
    /// The prelude's or the message's CRC does not match.
    BadCrc,
    /// A header is malformed or of an unknown type.
    BadHeader,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Truncated => "event stream message is truncated",
            Self::BadLength => "event stream message length is invalid",
            Self::BadCrc => "event stream message checksum does not match",
            Self::BadHeader => "event stream header is invalid",
        })
    }
}

impl std::error::Error for DecodeError {}

impl Message {
    /// An event of the stream member `event_type` (the member name in the
    /// model's event stream union) with a payload of `content_type`.
    pub fn event(event_type: &str, content_type: &str, payload: Vec<u8>) -> Self {
        Self {
            headers: vec![
                (":message-type".into(), HeaderValue::String("event".into())),
                (":event-type".into(), HeaderValue::String(event_type.into())),
                (
                    ":content-type".into(),
                    HeaderValue::String(content_type.into()),
                ),
            ],
            payload,
        }
    }

    /// A modelled exception member of the stream (e.g. `SessionTimeoutException`),
    /// which the SDKs raise as that error type.
    pub fn exception(exception_type: &str, content_type: &str, payload: Vec<u8>) -> Self {
        Self {
            headers: vec![
                (
                    ":message-type".into(),
                    HeaderValue::String("exception".into()),
                ),
                (
                    ":exception-type".into(),
                    HeaderValue::String(exception_type.into()),
                ),
                (
                    ":content-type".into(),
                    HeaderValue::String(content_type.into()),
                ),
            ],
            payload,
        }
    }

    /// An unmodelled error ending the stream, with AWS's code and message.
    pub fn error(code: &str, message: &str) -> Self {
        Self {
            headers: vec![
                (":message-type".into(), HeaderValue::String("error".into())),
                (":error-code".into(), HeaderValue::String(code.into())),
                (":error-message".into(), HeaderValue::String(message.into())),
            ],
            payload: Vec::new(),
        }
    }

    /// The header named `name`, if present.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The message's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            // Header names are at most 255 bytes; ours are static and short.
            let name = &name.as_bytes()[..name.len().min(255)];
            headers.push(name.len() as u8);
            headers.extend_from_slice(name);
            match value {
                HeaderValue::Bool(true) => headers.push(0),
                HeaderValue::Bool(false) => headers.push(1),
                HeaderValue::Int32(v) => {
                    headers.push(4);
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                HeaderValue::Bytes(b) => {
                    headers.push(6);
                    push_short_bytes(&mut headers, b);
                }
                HeaderValue::String(s) => {
                    headers.push(7);
                    push_short_bytes(&mut headers, s.as_bytes());
                }
                HeaderValue::Timestamp(ms) => {
                    headers.push(8);
                    headers.extend_from_slice(&ms.to_be_bytes());
                }
            }
        }
        let total = PRELUDE_LEN + headers.len() + self.payload.len() + 4;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&(headers.len() as u32).to_be_bytes());
        let prelude_crc = crc32(&out);
        out.extend_from_slice(&prelude_crc.to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        let message_crc = crc32(&out);
        out.extend_from_slice(&message_crc.to_be_bytes());
        out
    }

    /// Reads the first message of `bytes`, returning it and the bytes it used.
    pub fn decode(bytes: &[u8]) -> Result<(Self, usize), DecodeError> {
        if bytes.len() < PRELUDE_LEN + 4 {
            return Err(DecodeError::Truncated);
        }
        let total = be_u32(&bytes[0..4]) as usize;
        let headers_len = be_u32(&bytes[4..8]) as usize;
        if be_u32(&bytes[8..12]) != crc32(&bytes[0..8]) {
            return Err(DecodeError::BadCrc);
        }
        if !(PRELUDE_LEN + 4..=MAX_MESSAGE_LEN).contains(&total)
            || headers_len > total - PRELUDE_LEN - 4
        {
            return Err(DecodeError::BadLength);
        }
        if bytes.len() < total {
            return Err(DecodeError::Truncated);
        }
        if be_u32(&bytes[total - 4..total]) != crc32(&bytes[..total - 4]) {
            return Err(DecodeError::BadCrc);
        }
        let headers = decode_headers(&bytes[PRELUDE_LEN..PRELUDE_LEN + headers_len])?;
        let payload = bytes[PRELUDE_LEN + headers_len..total - 4].to_vec();
        Ok((Self { headers, payload }, total))
    }
}

fn decode_headers(mut b: &[u8]) -> Result<Vec<(String, HeaderValue)>, DecodeError> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let name_len = b[0] as usize;
        let name = b.get(1..1 + name_len).ok_or(DecodeError::BadHeader)?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| DecodeError::BadHeader)?;
        b = &b[1 + name_len..];
        let (&kind, rest) = b.split_first().ok_or(DecodeError::BadHeader)?;
        b = rest;
        let value = match kind {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            4 => HeaderValue::Int32(be_u32(take(&mut b, 4)?) as i32),
            6 => HeaderValue::Bytes(take_short_bytes(&mut b)?.to_vec()),
            7 => HeaderValue::String(
                String::from_utf8(take_short_bytes(&mut b)?.to_vec())
                    .map_err(|_| DecodeError::BadHeader)?,
            ),
            8 => {
                let raw = take(&mut b, 8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(raw);
                HeaderValue::Timestamp(i64::from_be_bytes(a))
            }
            _ => return Err(DecodeError::BadHeader),
        };
        out.push((name, value));
    }
    Ok(out)
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if b.len() < n {
        return Err(DecodeError::BadHeader);
    }
    let (head, rest) = b.split_at(n);
    *b = rest;
    Ok(head)
}

fn take_short_bytes<'a>(b: &mut &'a [u8]) -> Result<&'a [u8], DecodeError> {
    let len = take(b, 2)?;
    let len = u16::from_be_bytes([len[0], len[1]]) as usize;
    take(b, len)
}

fn push_short_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // Header values are limited to u16 lengths; longer ones are cut rather
    // than written with a wrong length.
    let b = &b[..b.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// CRC-32 (ISO-HDLC, the zlib/PNG polynomial), as the format specifies.
fn crc32(b: &[u8]) -> u32 {
    // A bitwise table built once; messages are small and this keeps the
    // protocol crate free of another dependency.
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    let mut c = !0u32;
    for &byte in b {
        c = table[((c ^ byte as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn an_event_round_trips_with_its_headers_and_payload() {
        let m = Message::event("LogEvents", "application/json", br#"{"a":1}"#.to_vec());
        let bytes = m.encode();
        let (back, used) = Message::decode(&bytes).expect("own encoding decodes");
        assert_eq!(used, bytes.len());
        assert_eq!(back, m);
        assert_eq!(
            back.header(":event-type"),
            Some(&HeaderValue::String("LogEvents".into()))
        );
    }

    #[test]
    fn an_empty_message_is_sixteen_bytes_with_known_crcs() {
        // The smallest message in AWS's event stream test vectors.
        let bytes = Message {
            headers: vec![],
            payload: vec![],
        }
        .encode();
        assert_eq!(
            bytes,
            [0, 0, 0, 0x10, 0, 0, 0, 0, 0x05, 0xc2, 0x48, 0xeb, 0x7d, 0x98, 0xc8, 0xff]
        );
    }

    #[test]
    fn every_header_type_round_trips() {
        let m = Message {
            headers: vec![
                ("t".into(), HeaderValue::Bool(true)),
                ("f".into(), HeaderValue::Bool(false)),
                ("i".into(), HeaderValue::Int32(-7)),
                ("b".into(), HeaderValue::Bytes(vec![1, 2, 3])),
                ("s".into(), HeaderValue::String("héllo".into())),
                ("ts".into(), HeaderValue::Timestamp(1_700_000_000_123)),
            ],
            payload: b"x".to_vec(),
        };
        assert_eq!(Message::decode(&m.encode()).map(|(m, _)| m), Ok(m.clone()));
    }

    #[test]
    fn a_flipped_bit_fails_the_message_crc() {
        let mut bytes = Message::error("InternalFailure", "boom").encode();
        let n = bytes.len();
        bytes[n - 6] ^= 1;
        assert_eq!(Message::decode(&bytes), Err(DecodeError::BadCrc));
    }

    #[test]
    fn short_or_oversized_input_is_refused_not_panicked_on() {
        assert_eq!(Message::decode(&[0; 5]), Err(DecodeError::Truncated));
        let mut huge = vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        let crc = crc32(&huge);
        huge.extend_from_slice(&crc.to_be_bytes());
        huge.extend_from_slice(&[0; 8]);
        assert_eq!(Message::decode(&huge), Err(DecodeError::BadLength));
        let bytes = Message::event("E", "application/json", vec![1; 10]).encode();
        assert_eq!(
            Message::decode(&bytes[..bytes.len() - 1]),
            Err(DecodeError::Truncated)
        );
    }
}
