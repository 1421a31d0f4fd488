//! Edge compression: CloudFront gzips an answer when the behaviour says
//! `Compress`, the viewer accepts gzip, and the object is a compressible
//! type between 1,000 and 10,000,000 bytes the origin did not encode.

use bytes::Bytes;
use std::io::Write;

/// The smallest object CloudFront compresses.
pub const MIN_BYTES: usize = 1_000;
/// The largest object CloudFront compresses.
pub const MAX_BYTES: usize = 10_000_000;

/// Whether `accept_encoding` admits gzip (`gzip` or `*`, not `q=0`).
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding == "gzip" || coding == "*") && !refused
    })
}

/// Whether a `Content-Type` is one CloudFront compresses (text, and the
/// structured and script types of its list).
pub fn compressible(content_type: &str) -> bool {
    let t = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    t.starts_with("text/")
        || matches!(
            t.as_str(),
            "application/json"
                | "application/javascript"
                | "application/x-javascript"
                | "application/xml"
                | "application/xhtml+xml"
                | "application/rss+xml"
                | "application/atom+xml"
                | "application/ld+json"
                | "application/manifest+json"
                | "application/wasm"
                | "image/svg+xml"
                | "image/x-icon"
                | "font/ttf"
                | "font/otf"
        )
}

/// The gzip of `body` when compressing applies to it.
pub fn gzip(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
) -> Option<Bytes> {
    if content_encoding.is_some_and(|e| !e.eq_ignore_ascii_case("identity"))
        || !(MIN_BYTES..=MAX_BYTES).contains(&body.len())
        || !content_type.is_some_and(compressible)
    {
        return None;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_is_accepted_unless_refused_by_a_zero_quality() {
        assert!(accepts_gzip("gzip, deflate, br"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0, br"));
        assert!(!accepts_gzip("identity"));
    }

    #[test]
    fn only_compressible_types_of_a_compressible_size_are_gzipped() {
        let text = "hello ".repeat(500);
        let packed =
            gzip(Some("text/html; charset=utf-8"), None, text.as_bytes()).expect("gzipped");
        let mut back = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut back)
            .expect("inflates");
        assert_eq!(back, text);
        assert!(gzip(Some("image/png"), None, text.as_bytes()).is_none());
        assert!(gzip(Some("text/html"), None, b"short").is_none());
        assert!(gzip(Some("text/html"), Some("br"), text.as_bytes()).is_none());
    }
}
