//! The examples AWS publishes for SigV4 (S3 "Signature Calculations" pages
//! and the SigV4 test suite), verified with Gureum's verifier.

mod common;
use common::check;
use gureum_auth::chunked::{decode_aws_chunked, ChunkSigningContext, ChunkedMode};
use gureum_auth::{verify, AuthError, HttpRequestParts, Payload, SigV4Request};
use http::{HeaderMap, HeaderName, HeaderValue};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// 2013-05-24T00:00:00Z.
const T_20130524: i64 = 1_369_353_600_000;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            HeaderValue::from_str(v).expect("header value"),
        );
    }
    h
}

#[test]
fn s3_get_object_example_verifies() {
    let h = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("range", "bytes=0-9"),
        ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("x-amz-date", "20130524T000000Z"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
    ]);
    check("GET", "/test.txt", "", &h, b"", SECRET, T_20130524).expect("valid");
    // Any change to a signed part breaks it.
    assert!(matches!(
        check("GET", "/test.TXT", "", &h, b"", SECRET, T_20130524),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn s3_put_object_example_verifies_with_escaped_dollar() {
    let body = b"Welcome to Amazon S3.";
    let h = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
    ]);
    check("PUT", "/test%24file.text", "", &h, body, SECRET, T_20130524).expect("escaped path");
    // A client that sent `$` unescaped but signed it escaped also verifies.
    check("PUT", "/test$file.text", "", &h, body, SECRET, T_20130524).expect("raw path");
    // The body must match x-amz-content-sha256.
    assert!(matches!(
        check(
            "PUT",
            "/test%24file.text",
            "",
            &h,
            b"tampered",
            SECRET,
            T_20130524
        ),
        Err(AuthError::XAmzContentSha256Mismatch { .. })
    ));
}

#[test]
fn s3_get_bucket_lifecycle_example_verifies_valueless_query_parameter() {
    let h = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
    ]);
    check("GET", "/", "lifecycle", &h, b"", SECRET, T_20130524).expect("valid");
}

#[test]
fn s3_list_objects_example_verifies_sorted_query() {
    let h = headers(&[
        ("host", "examplebucket.s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]);
    check(
        "GET",
        "/",
        "max-keys=2&prefix=J",
        &h,
        b"",
        SECRET,
        T_20130524,
    )
    .expect("valid");
    check(
        "GET",
        "/",
        "prefix=J&max-keys=2",
        &h,
        b"",
        SECRET,
        T_20130524,
    )
    .expect("any order");
}

const PRESIGNED_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

#[test]
fn s3_presigned_url_example_verifies_within_its_lifetime() {
    let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    check(
        "GET",
        "/test.txt",
        PRESIGNED_QUERY,
        &h,
        b"",
        SECRET,
        T_20130524 + 3_600_000,
    )
    .expect("valid an hour later");
    // Presigned URLs are not subject to the 15-minute skew rule...
    check(
        "GET",
        "/test.txt",
        PRESIGNED_QUERY,
        &h,
        b"",
        SECRET,
        T_20130524 + 86_400_000,
    )
    .expect("valid at the last second");
    // ...but expire after X-Amz-Expires.
    let err = check(
        "GET",
        "/test.txt",
        PRESIGNED_QUERY,
        &h,
        b"",
        SECRET,
        T_20130524 + 86_401_000,
    )
    .expect_err("expired");
    assert!(matches!(err, AuthError::RequestExpired { .. }));
    assert_eq!(
        (err.code(), err.status(), err.message().as_str()),
        ("AccessDenied", 403, "Request has expired")
    );
}

#[test]
fn s3_presigned_url_with_wrong_secret_does_not_match() {
    let h = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
    let err = check(
        "GET",
        "/test.txt",
        PRESIGNED_QUERY,
        &h,
        b"",
        "wrong",
        T_20130524,
    )
    .expect_err("wrong secret");
    let aws = err.to_aws_error_for("s3");
    assert_eq!(aws.code, "SignatureDoesNotMatch");
    assert_eq!(aws.status, 403);
    assert!(aws.fields.iter().any(|(k, _)| k == "CanonicalRequest"));
}

fn chunked_example_headers() -> HeaderMap {
    headers(&[
        ("host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("content-encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("content-length", "66824"),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"),
    ])
}

fn chunked_example_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(b"\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(b"\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
    body
}

#[test]
fn s3_chunked_upload_example_seed_and_chunk_signatures_verify() {
    let h = chunked_example_headers();
    let parsed = SigV4Request::parse(&h, "").expect("parse").expect("signed");
    let req = HttpRequestParts {
        method: "PUT",
        path: "/examplebucket/chunkObject.txt",
        query: "",
        headers: &h,
    };
    verify(&req, &parsed, SECRET, Payload::Deferred, T_20130524).expect("seed signature");
    assert_eq!(parsed.chunked_mode(), Some(ChunkedMode::SignedPayload));

    let body = chunked_example_body();
    assert_eq!(body.len(), 66824, "the documented Content-Length");
    let ctx = ChunkSigningContext::new(&parsed, SECRET);
    assert_eq!(
        ctx.sign_chunk(ctx.seed_signature(), &[b'a'; 65536]),
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
    );
    let decoded = decode_aws_chunked(&body, ChunkedMode::SignedPayload, Some(&ctx), Some(66560))
        .expect("decodes");
    assert_eq!(decoded.data, vec![b'a'; 66560]);
    assert!(decoded.trailers.is_empty());
}

#[test]
fn s3_chunked_upload_with_a_tampered_chunk_is_rejected() {
    let h = chunked_example_headers();
    let parsed = SigV4Request::parse(&h, "").expect("parse").expect("signed");
    let ctx = ChunkSigningContext::new(&parsed, SECRET);
    let mut body = chunked_example_body();
    body[200] = b'b';
    assert_eq!(
        decode_aws_chunked(&body, ChunkedMode::SignedPayload, Some(&ctx), Some(66560)),
        Err(AuthError::ChunkSignatureDoesNotMatch)
    );
    // The wrong secret fails on the first chunk.
    let wrong = ChunkSigningContext::new(&parsed, "wrong");
    assert_eq!(
        decode_aws_chunked(
            &chunked_example_body(),
            ChunkedMode::SignedPayload,
            Some(&wrong),
            None
        ),
        Err(AuthError::ChunkSignatureDoesNotMatch)
    );
}

// The SigV4 test suite (service "service", 2015-08-30T12:36:00Z).
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const T_20150830: i64 = 1_440_938_160_000;

fn suite(
    method: &str,
    path: &str,
    query: &str,
    extra: &[(&str, &str)],
    signed: &str,
    sig: &str,
    body: &[u8],
) {
    let auth = format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={sig}");
    let mut pairs = vec![
        ("host", "example.amazonaws.com"),
        ("x-amz-date", "20150830T123600Z"),
    ];
    pairs.extend_from_slice(extra);
    pairs.push(("authorization", &auth));
    let h = headers(&pairs);
    check(method, path, query, &h, body, SUITE_SECRET, T_20150830).expect("suite vector");
}

#[test]
fn sigv4_suite_get_vanilla_verifies() {
    suite(
        "GET",
        "/",
        "",
        &[],
        "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        b"",
    );
}

#[test]
fn sigv4_suite_query_parameters_are_sorted() {
    suite(
        "GET",
        "/",
        "Param2=value2&Param1=value1",
        &[],
        "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        b"",
    );
}

#[test]
fn sigv4_suite_raw_utf8_path_is_encoded_for_non_s3() {
    // The suite sends the path as raw UTF-8 (`GET /ሴ`); encoded once it
    // signs as `/%E1%88%B4`.
    suite(
        "GET",
        "/\u{1234}",
        "",
        &[],
        "host;x-amz-date",
        "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        b"",
    );
}

#[test]
fn sigv4_suite_form_post_signs_the_body_hash() {
    suite(
        "POST",
        "/",
        "",
        &[("content-type", "application/x-www-form-urlencoded")],
        "content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        b"Param1=value1",
    );
}
