//! Requests signed by Gureum's own signer verify; every way of getting a
//! signature wrong fails with AWS's error.

mod common;
use common::check;
use gureum_auth::sign::{presign, sign_request, SigningParams};
use gureum_auth::{
    authenticate, verify, AuthError, HttpRequestParts, Payload, SigV4Request, StaticCredentials,
};
use http::{HeaderMap, HeaderValue};

const NOW: i64 = 1_714_564_800_000; // 2024-05-01T12:00:00Z

fn params(service: &'static str) -> SigningParams<'static> {
    SigningParams {
        access_key_id: "test",
        secret_access_key: "test",
        session_token: None,
        region: "us-east-1",
        service,
        time_ms: NOW,
    }
}

fn host() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
    h
}

#[test]
fn signed_sts_form_post_verifies() {
    let mut h = host();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    sign_request("POST", "/", "", &mut h, body, &params("sts"));
    check("POST", "/", "", &h, body, "test", NOW).expect("valid");
    let provider = StaticCredentials::default_root("000000000000");
    let req = HttpRequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &h,
    };
    let auth = authenticate(&provider, &req, Payload::Bytes(body), NOW)
        .expect("ok")
        .expect("signed");
    assert_eq!(
        auth.credential.principal.arn(),
        "arn:aws:iam::000000000000:root"
    );
}

#[test]
fn wrong_secret_does_not_match() {
    let mut h = host();
    sign_request("POST", "/", "", &mut h, b"x=1", &params("sts"));
    let err = check("POST", "/", "", &h, b"x=1", "wrong", NOW).expect_err("mismatch");
    assert_eq!(err.code(), "SignatureDoesNotMatch");
    assert_eq!(err.status(), 403);
    assert_eq!(err.message(), "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");
}

#[test]
fn skew_of_more_than_15_minutes_is_refused() {
    let mut h = host();
    sign_request("GET", "/", "Action=ListUsers", &mut h, b"", &params("iam"));
    check(
        "GET",
        "/",
        "Action=ListUsers",
        &h,
        b"",
        "test",
        NOW + 15 * 60_000,
    )
    .expect("exactly 15 minutes");
    let err = check(
        "GET",
        "/",
        "Action=ListUsers",
        &h,
        b"",
        "test",
        NOW + 15 * 60_000 + 1000,
    )
    .expect_err("skew");
    assert!(matches!(err, AuthError::RequestTimeTooSkewed { .. }));
    assert_eq!(err.to_aws_error().code, "RequestTimeTooSkewed");
    assert_eq!(err.to_aws_error_for("sts").code, "SignatureDoesNotMatch");
    assert!(err
        .to_aws_error_for("sts")
        .message
        .starts_with("Signature expired"));
}

#[test]
fn expired_presigned_url_is_access_denied() {
    let q = presign("GET", "/bucket/key", "", &host(), 60, &params("s3"));
    check("GET", "/bucket/key", &q, &host(), b"", "test", NOW + 60_000).expect("valid for 60s");
    let err =
        check("GET", "/bucket/key", &q, &host(), b"", "test", NOW + 61_000).expect_err("expired");
    assert_eq!(
        (err.code(), err.status(), err.message().as_str()),
        ("AccessDenied", 403, "Request has expired")
    );
}

#[test]
fn presigned_expiry_over_seven_days_is_rejected() {
    let q = presign("GET", "/bucket/key", "", &host(), 604_801, &params("s3"));
    let err = SigV4Request::parse(&host(), &q).expect_err("too long");
    assert_eq!(err.code(), "AuthorizationQueryParametersError");
}

#[test]
fn paths_needing_encoding_verify_for_s3_and_other_services() {
    for service in ["s3", "lambda"] {
        for path in [
            "/b/my%20file%2Bx%C3%BC.txt",
            "/b/a%2Fb/c~d",
            "/b/%E2%82%AC%20%2B%20",
        ] {
            let mut h = host();
            h.insert(
                "x-amz-content-sha256",
                HeaderValue::from_static("UNSIGNED-PAYLOAD"),
            );
            sign_request("GET", path, "", &mut h, b"", &params(service));
            check("GET", path, "", &h, b"", "test", NOW)
                .unwrap_or_else(|e| panic!("{service} {path}: {e:?}"));
        }
    }
}

#[test]
fn query_with_plus_and_spaces_verifies() {
    let mut h = host();
    let q = "prefix=a+b&marker=c%20d&empty&z=%7E";
    sign_request("GET", "/bucket", q, &mut h, b"", &params("s3"));
    check("GET", "/bucket", q, &h, b"", "test", NOW).expect("valid");
}

#[test]
fn signed_header_changed_in_flight_fails() {
    let mut h = host();
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.ListTables"),
    );
    sign_request("POST", "/", "", &mut h, b"{}", &params("dynamodb"));
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.DeleteTable"),
    );
    let err = check("POST", "/", "", &h, b"{}", "test", NOW).expect_err("tampered");
    assert_eq!(
        err.to_aws_error_for("dynamodb").code,
        "InvalidSignatureException"
    );
}

#[test]
fn header_values_are_compared_after_whitespace_collapsing() {
    let mut h = host();
    h.insert("x-amz-meta-note", HeaderValue::from_static("a b"));
    sign_request("PUT", "/b/k", "", &mut h, b"", &params("s3"));
    h.insert("x-amz-meta-note", HeaderValue::from_static("  a    b "));
    check("PUT", "/b/k", "", &h, b"", "test", NOW).expect("whitespace is canonicalized");
}

#[test]
fn malformed_authorization_headers_are_incomplete_signatures() {
    let cases = [
        "AWS4-HMAC-SHA256 Credential=test/20240501/us-east-1/sts/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=test/2024/us-east-1, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 garbage",
        "AWS4-HMAC-SHA256",
    ];
    for c in cases {
        let mut h = host();
        h.insert("x-amz-date", HeaderValue::from_static("20240501T120000Z"));
        h.insert("authorization", HeaderValue::from_str(c).expect("value"));
        let err = SigV4Request::parse(&h, "").expect_err(c);
        assert_eq!(err.status(), 400, "{c}: {err:?}");
        assert_eq!(
            err.to_aws_error_for("sts").code,
            "IncompleteSignature",
            "{c}"
        );
        assert_eq!(
            err.to_aws_error_for("s3").code,
            "AuthorizationHeaderMalformed",
            "{c}"
        );
    }
}

#[test]
fn sigv2_and_sigv4a_are_unsupported_mechanisms() {
    for c in ["AWS test:abc", "AWS4-ECDSA-P256-SHA256 Credential=x"] {
        let mut h = host();
        h.insert("authorization", HeaderValue::from_str(c).expect("value"));
        let err = SigV4Request::parse(&h, "").expect_err(c);
        assert!(matches!(
            err,
            AuthError::UnsupportedAuthorizationMechanism(_)
        ));
        assert_eq!(err.to_aws_error_for("s3").code, "InvalidRequest");
    }
}

#[test]
fn missing_date_is_reported() {
    let mut h = host();
    h.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=test/20240501/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"));
    let err = SigV4Request::parse(&h, "").expect_err("no date");
    assert_eq!(err, AuthError::MissingDate);
    assert_eq!(err.to_aws_error_for("s3").code, "AccessDenied");
}

#[test]
fn credential_date_must_match_request_date() {
    let mut h = host();
    h.insert("x-amz-date", HeaderValue::from_static("20240502T000000Z"));
    h.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=test/20240501/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"));
    assert_eq!(
        SigV4Request::parse(&h, "").expect_err("date").code(),
        "AuthorizationHeaderMalformed"
    );
}

#[test]
fn header_and_query_signature_together_are_rejected() {
    let q = presign("GET", "/b/k", "", &host(), 60, &params("s3"));
    let mut h = host();
    sign_request("GET", "/b/k", "", &mut h, b"", &params("s3"));
    assert_eq!(
        SigV4Request::parse(&h, &q),
        Err(AuthError::MultipleAuthMechanisms)
    );
}

#[test]
fn unsigned_request_is_anonymous() {
    let provider = StaticCredentials::default_root("000000000000");
    let h = host();
    let req = HttpRequestParts {
        method: "GET",
        path: "/b/k",
        query: "",
        headers: &h,
    };
    assert!(authenticate(&provider, &req, Payload::Bytes(b""), NOW)
        .expect("ok")
        .is_none());
}

#[test]
fn invalid_content_sha256_is_rejected() {
    let mut h = host();
    h.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("not-a-hash"),
    );
    sign_request("PUT", "/b/k", "", &mut h, b"", &params("s3"));
    assert_eq!(
        check("PUT", "/b/k", "", &h, b"", "test", NOW),
        Err(AuthError::InvalidContentSha256)
    );
}

#[test]
fn deferred_payload_needs_x_amz_content_sha256() {
    let mut h = host();
    sign_request("POST", "/", "", &mut h, b"{}", &params("dynamodb"));
    let parsed = SigV4Request::parse(&h, "").expect("parse").expect("signed");
    let req = HttpRequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &h,
    };
    assert_eq!(
        verify(&req, &parsed, "test", Payload::Deferred, NOW),
        Err(AuthError::MissingContentSha256)
    );
    let hash: [u8; 32] = sha2_digest(b"{}");
    verify(&req, &parsed, "test", Payload::Sha256(&hash), NOW).expect("precomputed hash");
}

fn sha2_digest(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

/// Not a benchmark, a sanity check of the cost of one verification; run
/// with `cargo test --release -p gureum-auth --test signer -- --ignored --nocapture`.
#[test]
#[ignore]
fn verification_cost() {
    let mut h = host();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    h.insert(
        "x-amz-target",
        HeaderValue::from_static("DynamoDB_20120810.GetItem"),
    );
    let body = br#"{"TableName":"t","Key":{"pk":{"S":"a"}}}"#;
    sign_request("POST", "/", "", &mut h, body, &params("dynamodb"));
    let provider = StaticCredentials::default_root("000000000000");
    let req = HttpRequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &h,
    };
    let n = 20_000;
    let start = std::time::Instant::now();
    for _ in 0..n {
        authenticate(&provider, &req, Payload::Bytes(body), NOW)
            .expect("ok")
            .expect("signed");
    }
    let per = start.elapsed() / n;
    println!("authenticate: {per:?} per request");
}
