//! aws-chunked bodies: S3 streaming uploads.
//!
//! When `x-amz-content-sha256` is one of the `STREAMING-…` modes, the body
//! is not the object but a sequence of chunks (`Content-Encoding:
//! aws-chunked`; `x-amz-decoded-content-length` gives the object's size):
//!
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` — signed chunks:
//!
//!   ```text
//!   10000;chunk-signature=ad80c730…\r\n <65536 bytes> \r\n
//!   400;chunk-signature=0055627c…\r\n <1024 bytes> \r\n
//!   0;chunk-signature=b6c6ea8a…\r\n \r\n
//!   ```
//!
//!   Each chunk signature chains from the previous one, starting with the
//!   request's own (seed) signature:
//!
//!   ```text
//!   AWS4-HMAC-SHA256-PAYLOAD \n <amz-date> \n <scope> \n <previous signature> \n
//!   sha256("") \n sha256(chunk data)
//!   ```
//!
//! - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` — unsigned chunks (`hex-size\r\n
//!   data\r\n`), then `0\r\n`, trailer lines such as
//!   `x-amz-checksum-crc32:sOO8/Q==\r\n`, and an empty line.
//! - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` — signed chunks, then the
//!   trailers and `x-amz-trailer-signature:<sig>`, which signs
//!
//!   ```text
//!   AWS4-HMAC-SHA256-TRAILER \n <amz-date> \n <scope> \n <last chunk signature> \n
//!   sha256("name:value\n" for each trailer, sorted by name)
//!   ```
//!
//! [`ChunkedDecoder`] is a state machine that can be fed the body in slices
//! of any size as it arrives; [`decode_aws_chunked`] runs it over a whole
//! body. Decoded bytes are emitted as soon as they arrive, before their
//! chunk's signature has been checked: a caller that streams them somewhere
//! must discard everything when a later call returns an error. Malformed
//! input (bad hex, oversized lines, truncation, data after the end) is an
//! error, never a panic; nothing is allocated in proportion to a declared
//! chunk size.
//!
//! Chunk sizes are not held to S3's 8 KiB minimum for non-final chunks.
//! Trailing checksums are returned, not checked: comparing them with the
//! data is the S3 service's job.

use crate::error::AuthError;
use crate::keys::{self, SigningKey};
use crate::sigv4::{
    SigV4Request, EMPTY_SHA256, STREAMING_PAYLOAD, STREAMING_PAYLOAD_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
};
use hmac::Mac;
use sha2::{Digest, Sha256};

/// The longest chunk-header or trailer line accepted.
const MAX_LINE: usize = 4096;
/// The most trailer bytes accepted.
const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// Which aws-chunked format a body is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkedMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`.
    SignedPayload,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`.
    SignedPayloadTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    UnsignedPayloadTrailer,
}

impl ChunkedMode {
    /// The mode an `x-amz-content-sha256` value announces, if any.
    pub fn from_content_sha256(v: &str) -> Option<Self> {
        match v {
            STREAMING_PAYLOAD => Some(ChunkedMode::SignedPayload),
            STREAMING_PAYLOAD_TRAILER => Some(ChunkedMode::SignedPayloadTrailer),
            STREAMING_UNSIGNED_TRAILER => Some(ChunkedMode::UnsignedPayloadTrailer),
            _ => None,
        }
    }

    /// Whether chunks carry signatures.
    pub fn is_signed(self) -> bool {
        !matches!(self, ChunkedMode::UnsignedPayloadTrailer)
    }

    /// Whether trailers follow the last chunk.
    pub fn has_trailer(self) -> bool {
        !matches!(self, ChunkedMode::SignedPayload)
    }
}

/// What signed chunks are checked against: the request's signing key,
/// date, scope and seed signature.
#[derive(Clone, Debug)]
pub struct ChunkSigningContext {
    key: SigningKey,
    amz_date: String,
    scope: String,
    seed_signature: String,
}

impl ChunkSigningContext {
    /// The context of a request whose header signature has been verified
    /// with `secret`.
    pub fn new(parsed: &SigV4Request, secret: &str) -> Self {
        ChunkSigningContext {
            key: parsed.signing_key(secret),
            amz_date: parsed.amz_date.clone(),
            scope: parsed.credential_scope_string(),
            seed_signature: parsed.signature.to_ascii_lowercase(),
        }
    }

    /// A context from its parts (for signers and tests).
    pub fn from_parts(key: SigningKey, amz_date: &str, scope: &str, seed_signature: &str) -> Self {
        ChunkSigningContext {
            key,
            amz_date: amz_date.to_string(),
            scope: scope.to_string(),
            seed_signature: seed_signature.to_ascii_lowercase(),
        }
    }

    /// The seed (request) signature the chain starts from.
    pub fn seed_signature(&self) -> &str {
        &self.seed_signature
    }

    fn chunk_signature_hex(&self, previous: &[u8], data_sha256: &[u8; 32]) -> [u8; 64] {
        let mut m = keys::hmac(&self.key);
        m.update(b"AWS4-HMAC-SHA256-PAYLOAD\n");
        m.update(self.amz_date.as_bytes());
        m.update(b"\n");
        m.update(self.scope.as_bytes());
        m.update(b"\n");
        m.update(previous);
        m.update(b"\n");
        m.update(EMPTY_SHA256.as_bytes());
        m.update(b"\n");
        m.update(&keys::hex32(data_sha256));
        keys::hex32(&m.finalize().into_bytes().into())
    }

    fn trailer_signature_hex(&self, previous: &[u8], trailers: &[(String, String)]) -> [u8; 64] {
        let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = Sha256::new();
        for (k, v) in sorted {
            h.update(k.as_bytes());
            h.update(b":");
            h.update(v.as_bytes());
            h.update(b"\n");
        }
        let mut m = keys::hmac(&self.key);
        m.update(b"AWS4-HMAC-SHA256-TRAILER\n");
        m.update(self.amz_date.as_bytes());
        m.update(b"\n");
        m.update(self.scope.as_bytes());
        m.update(b"\n");
        m.update(previous);
        m.update(b"\n");
        m.update(&keys::hex32(&h.finalize().into()));
        keys::hex32(&m.finalize().into_bytes().into())
    }

    /// The signature of a chunk holding `data` that follows `previous`
    /// (for clients and tests that build chunked bodies).
    pub fn sign_chunk(&self, previous: &str, data: &[u8]) -> String {
        let sig = self.chunk_signature_hex(previous.as_bytes(), &Sha256::digest(data).into());
        String::from_utf8_lossy(&sig).into_owned()
    }

    /// The `x-amz-trailer-signature` for `trailers` after the final chunk
    /// signed `previous`.
    pub fn sign_trailer(&self, previous: &str, trailers: &[(String, String)]) -> String {
        let sig = self.trailer_signature_hex(previous.as_bytes(), trailers);
        String::from_utf8_lossy(&sig).into_owned()
    }
}

/// A decoded aws-chunked body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// The payload (the object's bytes).
    pub data: Vec<u8>,
    /// Trailer headers, names lower-cased, without the trailer signature.
    pub trailers: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a `size[;ext]\r\n` line.
    Header,
    /// Copying chunk data.
    Data { remaining: u64 },
    /// Expecting the `\r\n` after chunk data; `seen` bytes of it so far.
    DataEnd { seen: u8 },
    /// Reading trailer lines after the final chunk, until an empty line.
    Trailers,
    /// The body is complete.
    Done,
}

/// An incremental aws-chunked decoder: feed it the body in slices with
/// [`feed`](Self::feed), then call [`finish`](Self::finish).
#[derive(Debug)]
pub struct ChunkedDecoder {
    mode: ChunkedMode,
    signing: Option<ChunkSigningContext>,
    expected_len: Option<u64>,
    state: State,
    line: Vec<u8>,
    previous: [u8; 64],
    declared: [u8; 64],
    hasher: Sha256,
    decoded: u64,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    trailer_bytes: usize,
}

fn malformed(msg: &str) -> AuthError {
    AuthError::InvalidChunkedBody(msg.to_string())
}

fn truncated() -> AuthError {
    AuthError::IncompleteBody("The request body terminated unexpectedly".to_string())
}

fn length_mismatch() -> AuthError {
    AuthError::IncompleteBody(
        "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header"
            .to_string(),
    )
}

impl ChunkedDecoder {
    /// A decoder for `mode`. Signed modes need the request's signing
    /// context; `decoded_content_length` is `x-amz-decoded-content-length`
    /// when the request gave one.
    pub fn new(
        mode: ChunkedMode,
        signing: Option<ChunkSigningContext>,
        decoded_content_length: Option<u64>,
    ) -> Result<Self, AuthError> {
        let mut previous = [0u8; 64];
        if mode.is_signed() {
            let Some(ctx) = signing.as_ref() else {
                return Err(AuthError::MissingAuthenticationToken);
            };
            let seed = ctx.seed_signature.as_bytes();
            if !keys::is_hex64(seed) {
                return Err(AuthError::ChunkSignatureDoesNotMatch);
            }
            previous.copy_from_slice(seed);
        }
        Ok(ChunkedDecoder {
            mode,
            signing,
            expected_len: decoded_content_length,
            state: State::Header,
            line: Vec::new(),
            previous,
            declared: [0u8; 64],
            hasher: Sha256::new(),
            decoded: 0,
            trailers: Vec::new(),
            trailer_signature: None,
            trailer_bytes: 0,
        })
    }

    /// How many payload bytes have been decoded so far.
    pub fn decoded_len(&self) -> u64 {
        self.decoded
    }

    /// Whether the final chunk (and trailers) have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes `input`, appending payload bytes to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), AuthError> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Header | State::Trailers => {
                    let rest = &input[i..];
                    match rest.iter().position(|&b| b == b'\n') {
                        None => {
                            self.push_line(rest)?;
                            i = input.len();
                        }
                        Some(pos) => {
                            self.push_line(&rest[..=pos])?;
                            i += pos + 1;
                            let line = std::mem::take(&mut self.line);
                            let Some(content) = line.strip_suffix(b"\r\n") else {
                                return Err(malformed("chunk line not terminated by CRLF"));
                            };
                            if self.state == State::Header {
                                self.on_header(content)?;
                            } else {
                                self.on_trailer_line(content)?;
                            }
                            self.line = line;
                            self.line.clear();
                        }
                    }
                }
                State::Data { remaining } => {
                    let avail = (input.len() - i) as u64;
                    let take = remaining.min(avail) as usize;
                    let data = &input[i..i + take];
                    if self.mode.is_signed() {
                        self.hasher.update(data);
                    }
                    out.extend_from_slice(data);
                    i += take;
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 {
                        State::DataEnd { seen: 0 }
                    } else {
                        State::Data { remaining }
                    };
                }
                State::DataEnd { seen } => {
                    let want = if seen == 0 { b'\r' } else { b'\n' };
                    if input[i] != want {
                        return Err(malformed("chunk data not followed by CRLF"));
                    }
                    i += 1;
                    if seen == 0 {
                        self.state = State::DataEnd { seen: 1 };
                    } else {
                        let digest: [u8; 32] = std::mem::replace(&mut self.hasher, Sha256::new())
                            .finalize()
                            .into();
                        self.check_chunk(&digest)?;
                        self.state = State::Header;
                    }
                }
                State::Done => return Err(malformed("data after the final chunk")),
            }
        }
        Ok(())
    }

    fn push_line(&mut self, bytes: &[u8]) -> Result<(), AuthError> {
        if self.line.len() + bytes.len() > MAX_LINE {
            return Err(malformed("chunk header or trailer line too long"));
        }
        if self.state == State::Trailers {
            self.trailer_bytes += bytes.len();
            if self.trailer_bytes > MAX_TRAILER_BYTES {
                return Err(malformed("trailers too long"));
            }
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn on_header(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let (size_part, ext) = match line.iter().position(|&b| b == b';') {
            Some(p) => (&line[..p], Some(&line[p + 1..])),
            None => (line, None),
        };
        let size_part = size_part.trim_ascii();
        if size_part.is_empty()
            || size_part.len() > 16
            || !size_part.iter().all(u8::is_ascii_hexdigit)
        {
            return Err(malformed("invalid chunk size"));
        }
        let size = size_part
            .iter()
            .try_fold(0u64, |acc, &b| {
                let d = (b as char).to_digit(16)? as u64;
                acc.checked_mul(16)?.checked_add(d)
            })
            .ok_or_else(|| malformed("invalid chunk size"))?;
        if self.mode.is_signed() {
            let sig = ext
                .and_then(|e| e.trim_ascii().strip_prefix(b"chunk-signature="))
                .ok_or_else(|| malformed("chunk-signature missing"))?;
            if !keys::is_hex64(sig) {
                return Err(AuthError::ChunkSignatureDoesNotMatch);
            }
            self.declared.copy_from_slice(sig);
        }
        let total = self.decoded.checked_add(size).ok_or_else(length_mismatch)?;
        if let Some(expected) = self.expected_len {
            if total > expected {
                return Err(length_mismatch());
            }
        }
        self.decoded = total;
        if size == 0 {
            let empty: [u8; 32] = Sha256::digest(b"").into();
            self.check_chunk(&empty)?;
            self.state = State::Trailers;
        } else {
            self.state = State::Data { remaining: size };
        }
        Ok(())
    }

    /// Verifies the declared signature of the chunk just read.
    fn check_chunk(&mut self, data_sha256: &[u8; 32]) -> Result<(), AuthError> {
        let Some(ctx) = self.signing.as_ref().filter(|_| self.mode.is_signed()) else {
            return Ok(());
        };
        let expected = ctx.chunk_signature_hex(&self.previous, data_sha256);
        if !keys::signatures_equal(&expected, &self.declared) {
            return Err(AuthError::ChunkSignatureDoesNotMatch);
        }
        self.previous = expected;
        Ok(())
    }

    fn on_trailer_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        if line.is_empty() {
            return self.complete();
        }
        if !self.mode.has_trailer() {
            return Err(malformed("data after the final chunk"));
        }
        let text = std::str::from_utf8(line).map_err(|_| malformed("trailer is not UTF-8"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| malformed("trailer line without ':'"))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name == "x-amz-trailer-signature" {
            self.trailer_signature = Some(value);
        } else {
            self.trailers.push((name, value));
        }
        Ok(())
    }

    /// The end of the body: check the trailer signature and the length.
    fn complete(&mut self) -> Result<(), AuthError> {
        if self.mode == ChunkedMode::SignedPayloadTrailer {
            if let Some(ctx) = self.signing.as_ref() {
                let provided = self
                    .trailer_signature
                    .as_deref()
                    .ok_or(AuthError::ChunkSignatureDoesNotMatch)?;
                let expected = ctx.trailer_signature_hex(&self.previous, &self.trailers);
                if !keys::signatures_equal(&expected, provided.as_bytes()) {
                    return Err(AuthError::ChunkSignatureDoesNotMatch);
                }
            }
        }
        if let Some(expected) = self.expected_len {
            if self.decoded != expected {
                return Err(length_mismatch());
            }
        }
        self.state = State::Done;
        Ok(())
    }

    /// Ends the body: an error unless the final chunk was read. A body that
    /// stops right after the final chunk or its trailers, without the last
    /// empty line, is accepted. Returns the trailers.
    pub fn finish(mut self) -> Result<Vec<(String, String)>, AuthError> {
        match self.state {
            State::Done => {}
            State::Trailers if self.line.is_empty() => self.complete()?,
            _ => return Err(truncated()),
        }
        Ok(self.trailers)
    }
}

/// Decodes a complete aws-chunked `body`. Signed modes need `signing`;
/// `decoded_content_length` is `x-amz-decoded-content-length` if given.
pub fn decode_aws_chunked(
    body: &[u8],
    mode: ChunkedMode,
    signing: Option<&ChunkSigningContext>,
    decoded_content_length: Option<u64>,
) -> Result<Decoded, AuthError> {
    let mut decoder = ChunkedDecoder::new(mode, signing.cloned(), decoded_content_length)?;
    let capacity = decoded_content_length
        .map(|n| n.min(body.len() as u64) as usize)
        .unwrap_or(body.len());
    let mut data = Vec::with_capacity(capacity);
    decoder.feed(body, &mut data)?;
    let trailers = decoder.finish()?;
    Ok(Decoded { data, trailers })
}

/// Builds an aws-chunked body from `data` in chunks of `chunk_size` bytes:
/// signed when `signing` is given, with `trailers` after the final chunk
/// (signed too in signed mode). For tests and tools that act as clients.
pub fn encode_aws_chunked(
    data: &[u8],
    chunk_size: usize,
    signing: Option<&ChunkSigningContext>,
    trailers: &[(String, String)],
) -> Vec<u8> {
    let chunk_size = chunk_size.max(1);
    let mut out = Vec::with_capacity(data.len() + 256);
    let mut previous = signing.map(|s| s.seed_signature.clone());
    let mut write_chunk = |out: &mut Vec<u8>, chunk: &[u8]| {
        out.extend_from_slice(format!("{:x}", chunk.len()).as_bytes());
        if let (Some(ctx), Some(prev)) = (signing, previous.as_mut()) {
            let sig = ctx.sign_chunk(prev, chunk);
            out.extend_from_slice(b";chunk-signature=");
            out.extend_from_slice(sig.as_bytes());
            *prev = sig;
        }
        out.extend_from_slice(b"\r\n");
        if !chunk.is_empty() {
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
    };
    for chunk in data.chunks(chunk_size) {
        write_chunk(&mut out, chunk);
    }
    write_chunk(&mut out, b"");
    for (k, v) in trailers {
        out.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
    }
    if let (Some(ctx), Some(prev), false) = (signing, previous.as_ref(), trailers.is_empty()) {
        let sig = ctx.sign_trailer(prev, trailers);
        out.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}
