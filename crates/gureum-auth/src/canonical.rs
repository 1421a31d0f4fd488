//! The canonical request, byte for byte as AWS documents it.
//!
//! ```text
//! METHOD \n
//! canonical URI \n
//! canonical query string \n
//! canonical headers (each "name:value\n") \n
//! signed headers ("host;x-amz-date") \n
//! payload hash
//! ```
//!
//! - **URI.** S3 signs the path exactly as sent (already percent-encoded
//!   once). Every other service normalizes the path (removes `.`/`..`
//!   segments and repeated slashes) and percent-encodes it *again*, so
//!   `/a%20b` is signed as `/a%2520b` ("double encoding").
//! - **Query.** Each name and value is percent-encoded with AWS's rules
//!   (everything but `A-Z a-z 0-9 - _ . ~` becomes `%XY`, uppercase), then
//!   the pairs are sorted by name and then value. A presigned URL's own
//!   `X-Amz-Signature` is left out.
//! - **Headers.** Only the signed ones, lower-case names, values trimmed
//!   with inner runs of whitespace collapsed to one space, repeated headers
//!   joined with `,`.
//!
//! The writer is generic over a `Sink`: the verifier streams the canonical
//! request straight into SHA-256 (no string is built on the success path);
//! only when a signature fails is it written into a buffer for the error.

use crate::sigv4::HttpRequestParts;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Something the canonical request can be written to.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// AWS's unreserved characters, never percent-encoded.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes `bytes` with AWS's rules into `sink`; `/` is kept when
/// `keep_slash` (paths).
pub(crate) fn encode_into<S: Sink>(sink: &mut S, bytes: &[u8], keep_slash: bool) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            continue;
        }
        sink.put(&bytes[start..i]);
        sink.put(&[
            b'%',
            HEX_UPPER[(b >> 4) as usize],
            HEX_UPPER[(b & 15) as usize],
        ]);
        start = i + 1;
    }
    sink.put(&bytes[start..]);
}

/// Percent-encodes `bytes` with AWS's rules into a new string.
pub(crate) fn encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = Vec::with_capacity(bytes.len() + 8);
    encode_into(&mut out, bytes, keep_slash);
    // Only ASCII was written.
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XY` escapes (and `+` as a space when `plus_as_space`); a `%`
/// not followed by two hex digits stays literal.
pub(crate) fn percent_decode(raw: &[u8], plus_as_space: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (hex_val(raw[i + 1]), hex_val(raw[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' && plus_as_space { b' ' } else { b });
        i += 1;
    }
    out
}

/// Decodes a query value into a string (invalid UTF-8 replaced).
pub(crate) fn decode_str(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(String::from_utf8_lossy(&percent_decode(raw.as_bytes(), true)).into_owned())
}

/// Whether `raw` already is in canonical form: only unreserved bytes and
/// uppercase `%XY` escapes of bytes that must be escaped.
fn is_canonical(raw: &[u8]) -> bool {
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if is_unreserved(b) {
            i += 1;
            continue;
        }
        if b != b'%' || i + 2 >= raw.len() {
            return false;
        }
        let (h, l) = (raw[i + 1], raw[i + 2]);
        let upper = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
        if !upper(h) || !upper(l) {
            return false;
        }
        let (Some(hv), Some(lv)) = (hex_val(h), hex_val(l)) else {
            return false;
        };
        if is_unreserved(hv << 4 | lv) {
            return false;
        }
        i += 3;
    }
    true
}

/// One query name or value in canonical form, borrowed when the client
/// already sent it that way (the common case).
pub(crate) fn canonical_component(raw: &str, plus_as_space: bool) -> Cow<'_, [u8]> {
    if is_canonical(raw.as_bytes()) {
        return Cow::Borrowed(raw.as_bytes());
    }
    let decoded = percent_decode(raw.as_bytes(), plus_as_space);
    let mut out = Vec::with_capacity(decoded.len() + 8);
    encode_into(&mut out, &decoded, false);
    Cow::Owned(out)
}

/// How the path becomes the canonical URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UriMode {
    /// S3: the path exactly as sent.
    AsSent,
    /// S3 fallback: decoded and encoded once with AWS's rules (for clients
    /// that send characters such as `!` or `'` unescaped).
    Reencoded,
    /// Other services: normalized, then encoded again.
    DoubleEncoded {
        /// Whether repeated slashes are collapsed (botocore does; Java's
        /// `URI.normalize` does not).
        collapse_slashes: bool,
    },
}

/// Whether the path needs RFC 3986 dot-segment / slash normalization.
pub(crate) fn needs_normalizing(path: &str) -> bool {
    path.contains("//")
        || path.contains("/./")
        || path.contains("/../")
        || path.ends_with("/.")
        || path.ends_with("/..")
        || path == "."
        || path == ".."
}

/// Removes `.` and `..` segments (and, when `collapse_slashes`, empty
/// segments), keeping a trailing slash.
fn normalize_path(path: &str, collapse_slashes: bool) -> String {
    let mut segs: Vec<&str> = Vec::new();
    let inner = path.strip_prefix('/').unwrap_or(path);
    for seg in inner.split('/') {
        match seg {
            "." => {}
            ".." => {
                segs.pop();
            }
            "" if collapse_slashes => {}
            s => segs.push(s),
        }
    }
    let trailing =
        path.len() > 1 && (path.ends_with('/') || path.ends_with("/.") || path.ends_with("/.."));
    let mut out = String::with_capacity(path.len());
    for s in &segs {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() || (trailing && !out.ends_with('/')) {
        out.push('/');
    }
    out
}

fn write_uri<S: Sink>(sink: &mut S, path: &str, mode: UriMode) {
    let path = if path.is_empty() { "/" } else { path };
    match mode {
        UriMode::AsSent => sink.put(path.as_bytes()),
        UriMode::Reencoded => {
            let decoded = percent_decode(path.as_bytes(), false);
            encode_into(sink, &decoded, true);
        }
        UriMode::DoubleEncoded { collapse_slashes } => {
            if needs_normalizing(path) {
                let normalized = normalize_path(path, collapse_slashes);
                encode_into(sink, normalized.as_bytes(), true);
            } else {
                encode_into(sink, path.as_bytes(), true);
            }
        }
    }
}

/// A canonical query name and value.
type Pair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

fn write_query<S: Sink>(sink: &mut S, query: &str, presigned: bool, plus_as_space: bool) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<Pair<'_>> = Vec::new();
    for part in query.split('&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if presigned && k == "X-Amz-Signature" {
            continue;
        }
        pairs.push((
            canonical_component(k, plus_as_space),
            canonical_component(v, plus_as_space),
        ));
    }
    pairs.sort_unstable();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            sink.put(b"&");
        }
        sink.put(k);
        sink.put(b"=");
        sink.put(v);
    }
}

/// Writes a header value trimmed, with runs of spaces/tabs collapsed.
fn write_header_value<S: Sink>(sink: &mut S, value: &[u8]) {
    let mut first = true;
    for word in value
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty())
    {
        if !first {
            sink.put(b" ");
        }
        sink.put(word);
        first = false;
    }
}

/// What varies between attempts at reproducing the client's canonical
/// request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Canon<'a> {
    pub uri: UriMode,
    pub plus_as_space: bool,
    pub presigned: bool,
    pub signed_headers: &'a str,
    pub payload_hash: &'a str,
}

/// Writes the canonical request for `req` into `sink`.
pub(crate) fn write_canonical_request<S: Sink>(
    sink: &mut S,
    req: &HttpRequestParts<'_>,
    c: &Canon<'_>,
) {
    sink.put(req.method.as_bytes());
    sink.put(b"\n");
    write_uri(sink, req.path, c.uri);
    sink.put(b"\n");
    write_query(sink, req.query, c.presigned, c.plus_as_space);
    sink.put(b"\n");
    for name in c.signed_headers.split(';').filter(|n| !n.is_empty()) {
        sink.put(name.as_bytes());
        sink.put(b":");
        let mut first = true;
        for value in req.headers.get_all(name) {
            if !first {
                sink.put(b",");
            }
            write_header_value(sink, value.as_bytes());
            first = false;
        }
        sink.put(b"\n");
    }
    sink.put(b"\n");
    sink.put(c.signed_headers.as_bytes());
    sink.put(b"\n");
    sink.put(c.payload_hash.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        encode(s.as_bytes(), true)
    }

    #[test]
    fn unreserved_characters_are_not_encoded() {
        assert_eq!(enc("AZaz09-_.~/"), "AZaz09-_.~/");
        assert_eq!(enc("a b+c=ü"), "a%20b%2Bc%3D%C3%BC");
    }

    #[test]
    fn canonical_components_are_reencoded_only_when_needed() {
        assert!(matches!(
            canonical_component("a%20b", true),
            Cow::Borrowed(_)
        ));
        assert_eq!(&*canonical_component("a%2fb", true), b"a%2Fb");
        assert_eq!(&*canonical_component("a+b", true), b"a%20b");
        assert_eq!(&*canonical_component("a+b", false), b"a%2Bb");
        assert_eq!(&*canonical_component("%7E", true), b"~");
        assert_eq!(&*canonical_component("100%", true), b"100%25");
        assert_eq!(&*canonical_component("%", true), b"%25");
        assert_eq!(&*canonical_component("%4", true), b"%254");
    }

    #[test]
    fn dot_segments_are_removed_for_non_s3_paths() {
        assert_eq!(normalize_path("/a/./b/../c/", true), "/a/c/");
        assert_eq!(normalize_path("/a//b", true), "/a/b");
        assert_eq!(normalize_path("/a//b", false), "/a//b");
        assert_eq!(normalize_path("/..", true), "/");
        assert_eq!(normalize_path("/a/..", true), "/");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        write_header_value(&mut out, b"  a   b \t c  ");
        assert_eq!(out, b"a b c");
    }

    #[test]
    fn percent_decode_keeps_stray_percent_signs() {
        assert_eq!(percent_decode(b"%", false), b"%");
        assert_eq!(percent_decode(b"%2", false), b"%2");
        assert_eq!(percent_decode(b"%zz%41", false), b"%zzA");
    }
}
