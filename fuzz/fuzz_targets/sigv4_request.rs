//! Any `Authorization` header, query string and signing headers: SigV4's
//! parsers return a claim or an error, and the cheap scope reader agrees
//! with the full parser whenever the full parser accepts a header.
#![no_main]

use arbitrary::Arbitrary;
use gureum_auth::{credential_scope, SigV4Request};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    authorization: Option<&'a str>,
    query: &'a str,
    amz_date: Option<&'a str>,
    content_sha256: Option<&'a str>,
}

fuzz_target!(|input: Input<'_>| {
    let mut headers = http::HeaderMap::new();
    let mut set = |name: &'static str, v: Option<&str>| {
        if let Some(Ok(v)) = v.map(http::HeaderValue::from_str) {
            headers.insert(name, v);
        }
    };
    set("authorization", input.authorization);
    set("x-amz-date", input.amz_date);
    set("x-amz-content-sha256", input.content_sha256);
    let scope = credential_scope(&headers, input.query);
    if let Ok(Some(parsed)) = SigV4Request::parse(&headers, input.query) {
        let _ = parsed.credential_scope_string();
        let _ = parsed.signed_header_names().count();
        let _ = parsed.chunked_mode();
        if headers.contains_key("authorization") {
            let scope = scope.expect("a header the full parser accepts has a scope");
            assert_eq!(scope.access_key_id, parsed.access_key_id);
            assert_eq!(scope.region, parsed.region);
            assert_eq!(scope.service, parsed.service);
        }
    }
});
