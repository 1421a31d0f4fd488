//! The S3 request fields Gureum parses by hand: `Range`, `If-Match` lists,
//! `Content-MD5`, and browser-POST `multipart/form-data` bodies.
#![no_main]

use arbitrary::Arbitrary;
use gureum_s3::conditions::{decode_md5, etag_matches, parse_range};
use gureum_server::post_object::{boundary, parse_form};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    range: &'a str,
    size: u64,
    etags: &'a str,
    md5: &'a str,
    content_type: &'a str,
    form: &'a [u8],
}

fuzz_target!(|input: Input<'_>| {
    // A range S3 serves lies inside the object and is never empty.
    if let Ok(Some((start, end))) = parse_range(input.range, input.size) {
        assert!(
            start < end && end <= input.size,
            "{start}..{end} of {}",
            input.size
        );
    }
    let _ = etag_matches(input.etags, "\"d41d8cd98f00b204e9800998ecf8427e\"");
    let _ = decode_md5(input.md5);
    if let Some(b) = boundary(input.content_type) {
        let _ = parse_form(&bytes::Bytes::copy_from_slice(input.form), b);
    }
    let _ = parse_form(&bytes::Bytes::copy_from_slice(input.form), "xYzZY");
});
