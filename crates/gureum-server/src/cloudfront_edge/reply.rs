//! What the edge adds to an answer: CloudFront's headers (`X-Cache`,
//! `Via`, `X-Amz-Cf-Id`, `X-Amz-Cf-Pop`, `Age`), a response headers
//! policy, byte ranges, and CloudFront's own error pages.

use bytes::Bytes;
use gureum_core::Value;
use gureum_protocol::Response as WireResponse;
use std::sync::OnceLock;

/// The edge location Gureum reports (`X-Amz-Cf-Pop`): Seoul.
pub(crate) const POP: &str = "ICN57-P1";

/// This edge host's id in `Via` (random per process, as an edge host's is
/// its own).
fn via() -> &'static str {
    static VIA: OnceLock<String> = OnceLock::new();
    VIA.get_or_init(|| {
        let id = gureum_cloudfront::random_chars(b"0123456789abcdef", 32);
        format!("1.1 {id}.cloudfront.net (CloudFront)")
    })
}

/// A request id in the shape of `X-Amz-Cf-Id` (56 characters of base64).
pub(crate) fn cf_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = gureum_cloudfront::random_chars(ALPHABET, 54);
    id.push_str("==");
    id
}

/// Headers an origin sent that the edge does not pass on.
pub(crate) fn passes_on(name: &str) -> bool {
    !matches!(
        name.to_ascii_lowercase().as_str(),
        "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "content-length"
            | "x-amz-request-id"
            | "x-amz-id-2"
            | "date"
    )
}

/// Adds CloudFront's headers: `X-Cache` (`Hit`, `Miss`, `Error`), `Via`,
/// `X-Amz-Cf-Pop`, `X-Amz-Cf-Id` and, on a hit, `Age`.
pub(crate) fn decorate(r: &mut WireResponse, x_cache: &str, cf_id: &str, age: Option<i64>) {
    r.headers
        .push(("X-Cache".into(), format!("{x_cache} from cloudfront")));
    r.headers.push(("Via".into(), via().to_string()));
    r.headers.push(("X-Amz-Cf-Pop".into(), POP.into()));
    r.headers.push(("X-Amz-Cf-Id".into(), cf_id.to_string()));
    if let Some(age) = age {
        r.headers.push(("Age".into(), age.max(0).to_string()));
    }
}

/// Applies a response headers policy: its custom headers and, for a CORS
/// request (`Origin`), `Access-Control-Allow-Origin`.
pub(crate) fn apply_policy(r: &mut WireResponse, policy: &Value, origin: Option<&str>) {
    let has =
        |r: &WireResponse, name: &str| r.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if let Some(list) = policy
        .pointer("/CustomHeadersConfig/Items")
        .and_then(Value::as_array)
    {
        for h in list {
            let name = h.get("Header").and_then(Value::as_str).unwrap_or("");
            let value = h.get("Value").and_then(Value::as_str).unwrap_or("");
            let force = h.get("Override").and_then(Value::as_bool).unwrap_or(false);
            if name.is_empty() {
                continue;
            }
            if force {
                r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            }
            if force || !has(r, name) {
                r.headers.push((name.to_string(), value.to_string()));
            }
        }
    }
    let (Some(cors), Some(origin)) = (policy.get("CorsConfig"), origin) else {
        return;
    };
    let allowed: Vec<&str> = cors
        .pointer("/AccessControlAllowOrigins/Items")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let value = if allowed.contains(&"*") {
        "*"
    } else if allowed.contains(&origin) {
        origin
    } else {
        return;
    };
    let force = cors
        .get("OriginOverride")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if force {
        r.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("access-control-allow-origin"));
    }
    if force || !has(r, "access-control-allow-origin") {
        r.headers
            .push(("Access-Control-Allow-Origin".into(), value.to_string()));
    }
}

/// The byte range `bytes=a-b` (or `a-`, `-n`) of a body `len` long:
/// `Some(Ok((first, last)))`, `Some(Err(()))` when unsatisfiable, `None`
/// when the header is absent or not one simple range (the whole body).
pub(crate) fn range(header: Option<&str>, len: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = header?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if len == 0 {
        return Some(Err(()));
    }
    let (first, last) = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        if n == 0 {
            return Some(Err(()));
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let first: usize = a.parse().ok()?;
        let last = if b.is_empty() {
            len - 1
        } else {
            b.parse::<usize>().ok()?.min(len - 1)
        };
        (first, last)
    };
    if first >= len || first > last {
        return Some(Err(()));
    }
    Some(Ok((first, last)))
}

/// CloudFront's HTML error page, with `X-Cache: Error from cloudfront`.
pub(crate) fn error_page(status: u16, reason: &str, detail: &str, cf_id: &str) -> WireResponse {
    let title = match status {
        403 => "403 ERROR",
        502 => "502 ERROR",
        504 => "504 Gateway Timeout ERROR",
        _ => "ERROR",
    };
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n\
<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n\
<TITLE>ERROR: The request could not be satisfied</TITLE>\n\
</HEAD><BODY>\n\
<H1>{title}</H1>\n\
<H2>The request could not be satisfied.</H2>\n\
<HR noshade size=\"1px\">\n\
{reason}\n\
{detail}\n\
<BR clear=\"all\">\n\
If you provide content to customers through CloudFront, you can find steps to troubleshoot and help prevent this error by reviewing the CloudFront documentation.\n\
<BR clear=\"all\">\n\
<HR noshade size=\"1px\">\n\
<PRE>\n\
Generated by cloudfront (CloudFront)\n\
Request ID: {cf_id}\n\
</PRE>\n\
<ADDRESS>\n\
</ADDRESS>\n\
</BODY></HTML>"
    );
    let mut r = WireResponse {
        status,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: Bytes::from(body),
    };
    decorate(&mut r, "Error", cf_id, None);
    r
}

/// CloudFront's answer to plain HTTP under `redirect-to-https`: 301 to
/// `location`, with its page.
pub(crate) fn redirect_to_https(location: &str, cf_id: &str) -> WireResponse {
    let body = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n";
    let mut r = WireResponse {
        status: 301,
        headers: vec![
            ("Server".into(), "CloudFront".into()),
            ("Content-Type".into(), "text/html".into()),
            ("Location".into(), location.to_string()),
        ],
        body: Bytes::from_static(body.as_bytes()),
    };
    decorate(&mut r, "Redirect", cf_id, None);
    r
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn byte_ranges_are_read_as_http_defines_them() {
        assert_eq!(range(Some("bytes=0-4"), 10), Some(Ok((0, 4))));
        assert_eq!(range(Some("bytes=5-"), 10), Some(Ok((5, 9))));
        assert_eq!(range(Some("bytes=-3"), 10), Some(Ok((7, 9))));
        assert_eq!(range(Some("bytes=8-100"), 10), Some(Ok((8, 9))));
        assert_eq!(range(Some("bytes=10-"), 10), Some(Err(())));
        assert_eq!(range(Some("bytes=0-1,3-4"), 10), None);
        assert_eq!(range(None, 10), None);
    }
}
