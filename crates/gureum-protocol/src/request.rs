//! The HTTP request and response as the protocol layer sees them.

use bytes::Bytes;
use http::HeaderMap;

/// A request, borrowed from the server's HTTP types.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path, still percent-encoded (`/bucket/a%20b`). For S3
    /// virtual-hosted requests the server has already put the bucket first.
    pub path: &'a str,
    /// The raw query string, without `?` (may be empty).
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The whole body (after aws-chunked decoding, if any).
    pub body: &'a [u8],
}

/// A response ready to be written.
#[derive(Clone, Debug, Default)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
