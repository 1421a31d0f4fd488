//! Requests exactly as botocore (boto3, the AWS CLI) signs and sends them,
//! captured by `fixtures/gen_botocore.py`, must verify.

use gureum_auth::{
    authenticate, credential_scope, verify, AuthError, Credential, HttpRequestParts, Payload,
    SigV4Request, StaticCredentials,
};
use gureum_core::Principal;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

struct Fixture {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    secret: String,
    now_ms: i64,
}

fn fixtures() -> Vec<Fixture> {
    let text = include_str!("fixtures/botocore_requests.json");
    let json: Value = serde_json::from_str(text).expect("fixture json");
    let s = |v: &Value, k: &str| v[k].as_str().expect(k).to_string();
    json.as_array()
        .expect("array")
        .iter()
        .map(|f| {
            let mut headers = HeaderMap::new();
            for pair in f["headers"].as_array().expect("headers") {
                let k = pair[0].as_str().expect("name");
                let v = pair[1].as_str().expect("value");
                headers.append(
                    HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                    HeaderValue::from_str(v).expect("header value"),
                );
            }
            Fixture {
                name: s(f, "name"),
                method: s(f, "method"),
                path: s(f, "path"),
                query: s(f, "query"),
                headers,
                body: hex::decode(s(f, "body_hex")).expect("hex body"),
                secret: s(f, "secret"),
                now_ms: f["now_ms"].as_i64().expect("now"),
            }
        })
        .collect()
}

fn run(f: &Fixture, secret: &str, now_ms: i64) -> Result<(), AuthError> {
    let parsed = SigV4Request::parse(&f.headers, &f.query)?.expect("signed");
    let req = HttpRequestParts {
        method: &f.method,
        path: &f.path,
        query: &f.query,
        headers: &f.headers,
    };
    verify(&req, &parsed, secret, Payload::Bytes(&f.body), now_ms)
}

#[test]
fn every_botocore_request_verifies() {
    let all = fixtures();
    assert!(all.len() >= 9);
    for f in &all {
        if let Err(e) = run(f, &f.secret, f.now_ms) {
            panic!("{}: {e:?}", f.name);
        }
    }
}

#[test]
fn every_botocore_request_fails_with_the_wrong_secret() {
    for f in &fixtures() {
        match run(f, "not-the-secret", f.now_ms) {
            Err(AuthError::SignatureDoesNotMatch(_)) => {}
            other => panic!("{}: {other:?}", f.name),
        }
    }
}

#[test]
fn botocore_requests_with_tampered_paths_fail() {
    for f in fixtures().iter().filter(|f| f.path.len() > 1) {
        let mut g = Fixture {
            path: format!("{}x", f.path),
            ..clone(f)
        };
        g.name = f.name.clone();
        assert!(
            matches!(
                run(&g, &g.secret, g.now_ms),
                Err(AuthError::SignatureDoesNotMatch(_))
            ),
            "{}",
            f.name
        );
    }
}

fn clone(f: &Fixture) -> Fixture {
    Fixture {
        name: f.name.clone(),
        method: f.method.clone(),
        path: f.path.clone(),
        query: f.query.clone(),
        headers: f.headers.clone(),
        body: f.body.clone(),
        secret: f.secret.clone(),
        now_ms: f.now_ms,
    }
}

fn by_name(name: &str) -> Fixture {
    fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .expect("fixture exists")
}

#[test]
fn botocore_header_signed_request_outside_15_minutes_is_too_skewed() {
    let f = by_name("sts_post_form");
    run(&f, &f.secret, f.now_ms + 14 * 60_000).expect("within 15 minutes");
    run(&f, &f.secret, f.now_ms - 14 * 60_000).expect("within 15 minutes before");
    for now in [f.now_ms + 16 * 60_000, f.now_ms - 16 * 60_000] {
        let err = run(&f, &f.secret, now).expect_err("skewed");
        assert!(matches!(err, AuthError::RequestTimeTooSkewed { .. }));
        assert_eq!((err.code(), err.status()), ("RequestTimeTooSkewed", 403));
    }
}

#[test]
fn botocore_tampered_body_fails() {
    let mut f = by_name("sts_post_form");
    f.body = b"Action=GetCallerIdentity&Version=2011-06-16".to_vec();
    assert!(matches!(
        run(&f, "test", f.now_ms),
        Err(AuthError::SignatureDoesNotMatch(_))
    ));
    let mut s3 = by_name("s3_put_key_with_space_plus_unicode");
    s3.body = b"hello WORLD".to_vec();
    assert!(matches!(
        run(&s3, "test", s3.now_ms),
        Err(AuthError::XAmzContentSha256Mismatch { .. })
    ));
}

#[test]
fn botocore_presigned_url_expires() {
    let f = by_name("s3_presigned_get_encoded_key");
    run(&f, "test", f.now_ms + 3_599_000).expect("still valid");
    assert!(matches!(
        run(&f, "test", f.now_ms + 3_601_000),
        Err(AuthError::RequestExpired { .. })
    ));
}

#[test]
fn router_reads_the_credential_scope_of_botocore_requests() {
    let f = by_name("lambda_path_with_space_plus_unicode");
    let scope = credential_scope(&f.headers, &f.query).expect("scope");
    assert_eq!(
        (
            scope.access_key_id.as_str(),
            scope.region.as_str(),
            scope.service.as_str()
        ),
        ("test", "ap-northeast-2", "lambda")
    );
    let p = by_name("sts_presigned_get_caller_identity");
    let scope = credential_scope(&p.headers, &p.query).expect("presigned scope");
    assert_eq!(
        (scope.region.as_str(), scope.service.as_str()),
        ("us-east-1", "sts")
    );
}

fn session_provider(token: &str, expires_at_ms: Option<i64>, active: bool) -> StaticCredentials {
    StaticCredentials::new().with(Credential {
        access_key_id: "ASIAEXAMPLESESSION01".into(),
        secret_access_key: "sessionsecret".into(),
        principal: Principal::AssumedRole {
            account_id: "000000000000".into(),
            role_name: "r".into(),
            role_id: "AROAEXAMPLE".into(),
            session_name: "s".into(),
        },
        session_token: Some(token.into()),
        expires_at_ms,
        active,
        session: None,
    })
}

fn authenticate_fixture(f: &Fixture, p: &StaticCredentials) -> Result<(), AuthError> {
    let req = HttpRequestParts {
        method: &f.method,
        path: &f.path,
        query: &f.query,
        headers: &f.headers,
    };
    authenticate(p, &req, Payload::Bytes(&f.body), f.now_ms).map(|_| ())
}

#[test]
fn session_credentials_need_their_token_and_expire() {
    let f = by_name("sts_session_token");
    let token = "FQoGZXIvYXdzEXAMPLETOKEN+/=";
    authenticate_fixture(&f, &session_provider(token, Some(f.now_ms + 1), true)).expect("valid");
    assert_eq!(
        authenticate_fixture(&f, &session_provider("other-token", None, true)),
        Err(AuthError::InvalidSecurityToken)
    );
    assert_eq!(
        authenticate_fixture(&f, &session_provider(token, Some(f.now_ms), true)),
        Err(AuthError::ExpiredToken)
    );
    assert_eq!(
        authenticate_fixture(&f, &session_provider(token, None, false)),
        Err(AuthError::InvalidClientTokenId)
    );
}

#[test]
fn unknown_access_key_is_an_invalid_client_token_id() {
    let f = by_name("sts_post_form");
    let err = authenticate_fixture(&f, &StaticCredentials::new()).expect_err("unknown key");
    assert_eq!(err, AuthError::InvalidClientTokenId);
    assert_eq!(
        err.message(),
        "The security token included in the request is invalid."
    );
    assert_eq!(err.to_aws_error_for("s3").code, "InvalidAccessKeyId");
    assert_eq!(
        err.to_aws_error_for("dynamodb").code,
        "UnrecognizedClientException"
    );
    authenticate_fixture(&f, &StaticCredentials::default_root("000000000000")).expect("test/test");
}
