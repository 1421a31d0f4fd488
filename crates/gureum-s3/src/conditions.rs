//! Conditional requests and ranges: `If-Match`, `If-None-Match`,
//! `If-Modified-Since`, `If-Unmodified-Since` on reads (RFC 9110 §13.2.2's
//! order, as S3 documents it) and writes, `Range` and `partNumber`.

use crate::object::ObjectVersion;
use crate::objects::{http_date, no_such_key};
use crate::str_member;
use crate::S3Error;
use gureum_core::{AwsError, Value};

/// What part of an object a read returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Range {
    /// All of it (200).
    Whole,
    /// Bytes `start..end` (206).
    Bytes {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// One part of a multipart object (206).
    Part {
        /// The part number.
        number: u64,
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
}

fn precondition_failed(condition: &str) -> AwsError {
    S3Error::PreconditionFailed {
        condition: condition.into(),
    }
    .into()
}

fn not_modified(v: &ObjectVersion) -> AwsError {
    AwsError::from(S3Error::NotModified)
        .with_header("ETag", v.etag.as_str())
        .with_header("Last-Modified", http_date(v.last_modified_ms))
}

/// Whether an `If-Match`/`If-None-Match` list names `etag` (`*` names any).
pub fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = etag.trim_matches('"');
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == bare
    })
}

fn seconds(input: &Value, member: &str) -> Option<i64> {
    crate::member(input, member)
        .and_then(Value::as_f64)
        .map(|s| s as i64)
}

/// The read conditions, in S3's order: a failed `If-Match` (or, without
/// it, `If-Unmodified-Since`) is 412; a matching `If-None-Match` (or,
/// without it, an unchanged `If-Modified-Since`) is 304.
pub fn check_read(input: &Value, v: &ObjectVersion) -> Result<(), AwsError> {
    let modified = v.last_modified_ms / 1000;
    match str_member(input, "IfMatch") {
        Some(list) => {
            if !etag_matches(list, &v.etag) {
                return Err(precondition_failed("If-Match"));
            }
        }
        None => {
            if seconds(input, "IfUnmodifiedSince").is_some_and(|t| modified > t) {
                return Err(precondition_failed("If-Unmodified-Since"));
            }
        }
    }
    match str_member(input, "IfNoneMatch") {
        Some(list) => {
            if etag_matches(list, &v.etag) {
                return Err(not_modified(v));
            }
        }
        None => {
            if seconds(input, "IfModifiedSince").is_some_and(|t| modified <= t) {
                return Err(not_modified(v));
            }
        }
    }
    Ok(())
}

/// The write conditions: `If-None-Match: *` fails when the key exists,
/// `If-Match` when it does not exist (404) or has another ETag (412).
pub fn check_put(
    input: &Value,
    current: Option<&ObjectVersion>,
    key: &str,
) -> Result<(), AwsError> {
    if let Some(list) = str_member(input, "IfNoneMatch") {
        if list.trim() != "*" {
            return Err(S3Error::NotImplementedHeader {
                header: "If-None-Match".into(),
            }
            .into());
        }
        if current.is_some() {
            return Err(precondition_failed("If-None-Match"));
        }
    }
    if let Some(list) = str_member(input, "IfMatch") {
        match current {
            None => return Err(no_such_key(key)),
            Some(c) if !etag_matches(list, &c.etag) => return Err(precondition_failed("If-Match")),
            Some(_) => {}
        }
    }
    Ok(())
}

fn invalid_range(size: u64, requested: &str) -> AwsError {
    AwsError::from(S3Error::InvalidRange {
        requested: requested.into(),
        size,
    })
    .with_header("Content-Range", format!("bytes */{size}"))
}

/// Parses a single `bytes=` range against an object of `size` bytes.
/// `Ok(None)`: not a range S3 honours (ignored, the whole object is sent).
pub fn parse_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, AwsError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // S3 serves no multi-range requests.
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let num = |s: &str| s.trim().parse::<u64>().ok();
    let (start, end) = match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, true) => return Ok(None),
        // bytes=-N: the last N bytes.
        (true, false) => {
            let Some(n) = num(b) else { return Ok(None) };
            if n == 0 || size == 0 {
                return Err(invalid_range(size, header));
            }
            (size.saturating_sub(n), size)
        }
        (false, true) => {
            let Some(s) = num(a) else { return Ok(None) };
            (s, size)
        }
        (false, false) => {
            let (Some(s), Some(e)) = (num(a), num(b)) else {
                return Ok(None);
            };
            if e < s {
                return Ok(None);
            }
            (s, e.saturating_add(1).min(size))
        }
    };
    if start >= size {
        return Err(invalid_range(size, header));
    }
    Ok(Some((start, end)))
}

/// The part of `v` a read asks for.
pub fn range_for(input: &Value, v: &ObjectVersion) -> Result<Range, AwsError> {
    let range = str_member(input, "Range");
    let part = crate::member(input, "PartNumber").and_then(Value::as_u64);
    match (range, part) {
        (Some(_), Some(_)) => Err(S3Error::InvalidRequest {
            message: "Cannot specify both Range header and partNumber query parameter".into(),
        }
        .into()),
        (Some(r), None) => Ok(match parse_range(r, v.size)? {
            Some((start, end)) => Range::Bytes { start, end },
            None => Range::Whole,
        }),
        (None, Some(n)) => {
            let parts: Vec<u64> = if v.parts.is_empty() {
                vec![v.size]
            } else {
                v.parts.clone()
            };
            if n == 0 || n > parts.len() as u64 {
                return Err(S3Error::InvalidPartNumber {
                    requested: n,
                    count: parts.len() as u64,
                }
                .into());
            }
            let start: u64 = parts[..(n - 1) as usize].iter().sum();
            let end = start + parts[(n - 1) as usize];
            Ok(Range::Part {
                number: n,
                start,
                end,
            })
        }
        (None, None) => Ok(Range::Whole),
    }
}

/// A `Content-MD5` header's 16 bytes, or `InvalidDigest`.
pub fn decode_md5(value: &str) -> Result<[u8; 16], AwsError> {
    use base64::Engine;
    let invalid = || AwsError::from(S3Error::InvalidDigest);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| invalid())?;
    bytes.try_into().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(etag: &str, modified_s: i64) -> ObjectVersion {
        ObjectVersion {
            etag: format!("\"{etag}\""),
            last_modified_ms: modified_s * 1000,
            size: 100,
            ..ObjectVersion::default()
        }
    }

    #[test]
    fn if_match_failing_is_412_even_when_unmodified_since_holds() {
        let v = version("abc", 1000);
        let e = check_read(
            &json!({"IfMatch": "\"zzz\"", "IfUnmodifiedSince": 2000}),
            &v,
        );
        assert_eq!(e.expect_err("should fail").status, 412);
    }

    #[test]
    fn if_match_holding_overrides_a_failing_unmodified_since() {
        let v = version("abc", 1000);
        assert!(check_read(&json!({"IfMatch": "abc", "IfUnmodifiedSince": 500}), &v).is_ok());
    }

    #[test]
    fn if_none_match_matching_is_304_with_the_etag() {
        let v = version("abc", 1000);
        let e = check_read(&json!({"IfNoneMatch": "\"abc\""}), &v).expect_err("should fail");
        assert_eq!(e.status, 304);
        assert!(e
            .headers
            .iter()
            .any(|(n, val)| n == "ETag" && val == "\"abc\""));
    }

    #[test]
    fn if_none_match_not_matching_ignores_modified_since() {
        let v = version("abc", 1000);
        assert!(check_read(&json!({"IfNoneMatch": "x", "IfModifiedSince": 5000}), &v).is_ok());
    }

    #[test]
    fn unchanged_since_is_304_and_changed_since_is_200() {
        let v = version("abc", 1000);
        assert_eq!(
            check_read(&json!({"IfModifiedSince": 1000}), &v)
                .expect_err("should fail")
                .status,
            304
        );
        assert!(check_read(&json!({"IfModifiedSince": 999}), &v).is_ok());
    }

    #[test]
    fn put_if_none_match_star_fails_on_an_existing_key() {
        let v = version("abc", 1);
        assert_eq!(
            check_put(&json!({"IfNoneMatch": "*"}), Some(&v), "k")
                .expect_err("should fail")
                .status,
            412
        );
        assert!(check_put(&json!({"IfNoneMatch": "*"}), None, "k").is_ok());
    }

    #[test]
    fn put_if_match_on_a_missing_key_is_no_such_key() {
        let e = check_put(&json!({"IfMatch": "\"abc\""}), None, "k").expect_err("should fail");
        assert_eq!(e.code, "NoSuchKey");
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(
            parse_range("bytes=0-9", 100).expect("should succeed"),
            Some((0, 10))
        );
        assert_eq!(
            parse_range("bytes=90-", 100).expect("should succeed"),
            Some((90, 100))
        );
        assert_eq!(
            parse_range("bytes=-10", 100).expect("should succeed"),
            Some((90, 100))
        );
        assert_eq!(
            parse_range("bytes=50-1000", 100).expect("should succeed"),
            Some((50, 100))
        );
        assert_eq!(
            parse_range("bytes=-1000", 100).expect("should succeed"),
            Some((0, 100))
        );
    }

    #[test]
    fn a_last_byte_position_of_u64_max_means_to_the_end() {
        // `e + 1` overflowed here: a panic in debug builds, an empty range
        // (`start..0`) in release ones.
        assert_eq!(
            parse_range("bytes=0-18446744073709551615", 100).expect("should succeed"),
            Some((0, 100))
        );
        assert_eq!(
            parse_range("bytes=99-18446744073709551615", 100).expect("should succeed"),
            Some((99, 100))
        );
    }

    #[test]
    fn a_range_past_the_end_is_416_and_nonsense_is_ignored() {
        let e = parse_range("bytes=100-", 100).expect_err("should fail");
        assert_eq!((e.code.as_str(), e.status), ("InvalidRange", 416));
        assert_eq!(parse_range("bytes=9-1", 100).expect("should succeed"), None);
        assert_eq!(parse_range("items=0-1", 100).expect("should succeed"), None);
        assert_eq!(
            parse_range("bytes=0-1,5-6", 100).expect("should succeed"),
            None
        );
    }

    #[test]
    fn arbitrary_range_headers_never_panic_and_stay_inside_the_object() {
        let pieces = [
            "bytes=",
            "-",
            "0",
            "1",
            "99",
            "100",
            "18446744073709551615",
            ",",
            " ",
            "x",
            "=",
        ];
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5000 {
            let header: String = (0..(next() % 6))
                .map(|_| pieces[(next() as usize) % pieces.len()])
                .collect();
            let size = next() % 200;
            if let Ok(Some((start, end))) = parse_range(&header, size) {
                assert!(
                    start < end && end <= size,
                    "{header} on {size}: {start}..{end}"
                );
            }
        }
    }

    #[test]
    fn part_numbers_select_a_parts_bytes() {
        let mut v = version("x-2", 1);
        v.size = 15;
        v.parts = vec![10, 5];
        let r = range_for(&json!({"PartNumber": 2}), &v).expect("should succeed");
        assert_eq!(
            r,
            Range::Part {
                number: 2,
                start: 10,
                end: 15
            }
        );
        assert_eq!(
            range_for(&json!({"PartNumber": 3}), &v)
                .expect_err("should fail")
                .code,
            "InvalidPartNumber"
        );
    }

    #[test]
    fn content_md5_must_be_sixteen_bytes_of_base64() {
        assert!(decode_md5("1B2M2Y8AsgTpgAmY7PhCfg==").is_ok());
        assert_eq!(
            decode_md5("abc").expect_err("should fail").code,
            "InvalidDigest"
        );
    }
}
