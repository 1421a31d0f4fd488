//! The data plane's rules: route matching, events, answers, JWTs,
//! WebSocket frames and CORS, one test each.

use crate::events::{self, HttpRequest, Served};
use crate::jwt::{self, Expectations, Refusal};
use crate::{cors, matching, websocket, ApiRecord};
use base64::Engine;
use serde_json::{json, Value};

fn api_with(keys: &[&str]) -> ApiRecord {
    let mut record = ApiRecord::default();
    record.api.insert(
        "RouteSelectionExpression".into(),
        json!("$request.body.action"),
    );
    for (i, k) in keys.iter().enumerate() {
        record.routes.insert(
            format!("r{i}"),
            json!({"RouteId": format!("r{i}"), "RouteKey": k}),
        );
    }
    record
}

fn matched(record: &ApiRecord, method: &str, path: &str) -> Option<String> {
    matching::match_http(record, method, path).map(|m| m.route_key)
}

#[test]
fn a_full_match_beats_a_greedy_one_which_beats_default() {
    let api = api_with(&["GET /items/{id}", "ANY /{proxy+}", "$default"]);
    assert_eq!(
        matched(&api, "GET", "/items/1").as_deref(),
        Some("GET /items/{id}")
    );
    assert_eq!(
        matched(&api, "GET", "/other/x").as_deref(),
        Some("ANY /{proxy+}")
    );
    assert_eq!(matched(&api, "GET", "/").as_deref(), Some("$default"));
}

#[test]
fn literal_segments_beat_variables_and_named_methods_beat_any() {
    let api = api_with(&["GET /items/{id}", "GET /items/new", "ANY /items/new"]);
    assert_eq!(
        matched(&api, "GET", "/items/new").as_deref(),
        Some("GET /items/new")
    );
    assert_eq!(
        matched(&api, "POST", "/items/new").as_deref(),
        Some("ANY /items/new")
    );
}

#[test]
fn the_longer_greedy_prefix_wins() {
    let api = api_with(&["ANY /{proxy+}", "GET /api/{proxy+}"]);
    let m = matching::match_http(&api, "GET", "/api/a/b").expect("match");
    assert_eq!(m.route_key, "GET /api/{proxy+}");
    assert_eq!(
        m.path_parameters.get("proxy").map(String::as_str),
        Some("a/b")
    );
}

#[test]
fn no_route_and_no_default_is_no_match() {
    let api = api_with(&["GET /a"]);
    assert_eq!(matched(&api, "GET", "/b"), None);
    assert_eq!(matched(&api, "POST", "/a"), None);
}

#[test]
fn path_parameters_are_percent_decoded() {
    let api = api_with(&["GET /u/{name}"]);
    let m = matching::match_http(&api, "GET", "/u/a%20b").expect("match");
    assert_eq!(
        m.path_parameters.get("name").map(String::as_str),
        Some("a b")
    );
}

#[test]
fn websocket_messages_route_by_the_selection_expression_else_default() {
    let api = api_with(&["send", "$default"]);
    let key = |m: &str| matching::match_websocket(&api, m).map(|m| m.route_key);
    assert_eq!(key(r#"{"action":"send"}"#).as_deref(), Some("send"));
    assert_eq!(key(r#"{"action":"other"}"#).as_deref(), Some("$default"));
    assert_eq!(key("not json").as_deref(), Some("$default"));
}

fn request() -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        raw_path: "/prod/a".into(),
        query: "x=1&x=2&y=%20z".into(),
        headers: vec![
            ("Accept".into(), "a".into()),
            ("accept".into(), "b".into()),
            ("Cookie".into(), "k=v; k2=v2".into()),
        ],
        body: Vec::new(),
        source_ip: "10.0.0.1".into(),
        protocol: "HTTP/1.1".into(),
    }
}

fn served() -> Served {
    Served {
        account: "111122223333".into(),
        api_id: "abc".into(),
        domain: "abc.execute-api.localhost:1".into(),
        stage: "prod".into(),
        route_key: "GET /a".into(),
        request_id: "rid".into(),
        time_ms: 1_583_348_638_390,
        ..Served::default()
    }
}

#[test]
fn the_2_0_event_joins_repeated_headers_and_query_values_with_commas() {
    let e = events::event_v2(&request(), &served());
    assert_eq!(e["headers"]["accept"], json!("a,b"));
    assert_eq!(e["queryStringParameters"], json!({"x": "1,2", "y": " z"}));
    assert_eq!(e["cookies"], json!(["k=v", "k2=v2"]));
    assert!(e["headers"].get("cookie").is_none());
    assert!(e.get("body").is_none() && e.get("pathParameters").is_none());
    assert_eq!(
        e["requestContext"]["time"],
        json!("04/Mar/2020:19:03:58 +0000")
    );
    assert_eq!(e["requestContext"]["domainPrefix"], json!("abc"));
}

#[test]
fn the_1_0_event_keeps_every_value_in_its_multi_value_maps() {
    let e = events::event_v1(&request(), &served());
    assert_eq!(e["multiValueQueryStringParameters"]["x"], json!(["1", "2"]));
    assert_eq!(e["queryStringParameters"]["x"], json!("2"));
    assert_eq!(e["resource"], json!("/a"));
    assert_eq!(e["pathParameters"], Value::Null);
}

#[test]
fn a_2_0_answer_without_status_code_is_a_200_json_body() {
    let r = events::response_from(br#"{"a":1}"#, "2.0");
    assert_eq!((r.status, r.body.as_slice()), (200, &br#"{"a":1}"#[..]));
    let r = events::response_from(br#""text""#, "2.0");
    assert_eq!(r.body, b"text");
}

#[test]
fn a_1_0_answer_without_status_code_is_an_internal_error() {
    let r = events::response_from(br#"{"a":1}"#, "1.0");
    assert_eq!(r.status, 500);
    assert_eq!(r.body, br#"{"message":"Internal Server Error"}"#);
}

#[test]
fn a_base64_answer_body_is_decoded_and_cookies_become_set_cookie() {
    let payload = json!({"statusCode": 200, "isBase64Encoded": true, "body": "AAEC",
                         "cookies": ["a=1"], "headers": {"content-type": "x/y"}});
    let r = events::response_from(payload.to_string().as_bytes(), "2.0");
    assert_eq!(r.body, vec![0, 1, 2]);
    assert!(r.headers.contains(&("set-cookie".into(), "a=1".into())));
    assert!(r.headers.contains(&("content-type".into(), "x/y".into())));
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A key set and a signer for tokens.
fn keys() -> (Value, rsa::RsaPrivateKey) {
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024).expect("key");
    let public = key.to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "k", "n": b64(&public.n().to_bytes_be()),
                                "e": b64(&public.e().to_bytes_be())}]});
    (jwks, key)
}

fn token(key: &rsa::RsaPrivateKey, claims: &Value) -> String {
    use sha2::Digest;
    let head = b64(br#"{"alg":"RS256","kid":"k"}"#);
    let body = b64(claims.to_string().as_bytes());
    let digest = sha2::Sha256::digest(format!("{head}.{body}").as_bytes());
    let sig = key
        .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
        .expect("sign");
    format!("{head}.{body}.{}", b64(&sig))
}

#[test]
fn a_jwt_is_checked_for_signature_issuer_audience_time_and_scopes() {
    let (jwks, key) = keys();
    let audience = vec!["app".to_string()];
    let scopes = vec!["read".to_string()];
    let expect = Expectations {
        issuer: "https://i",
        audience: &audience,
        scopes: &scopes,
        now: 1000,
    };
    let good =
        json!({"iss": "https://i", "aud": "app", "exp": 2000, "nbf": 900, "scope": "read", "n": 5});
    let ok = jwt::verify(&token(&key, &good), &jwks, &expect).expect("admitted");
    assert_eq!(ok["claims"]["n"], json!("5"));
    assert_eq!(ok["scopes"], json!(["read"]));
    for (member, value) in [
        ("iss", json!("https://x")),
        ("aud", json!("other")),
        ("exp", json!(999)),
        ("nbf", json!(1001)),
    ] {
        let mut bad = good.clone();
        bad[member] = value;
        assert!(
            matches!(
                jwt::verify(&token(&key, &bad), &jwks, &expect),
                Err(Refusal::Unauthorized(_))
            ),
            "{member}"
        );
    }
    let mut unscoped = good.clone();
    unscoped["scope"] = json!("write");
    assert_eq!(
        jwt::verify(&token(&key, &unscoped), &jwks, &expect),
        Err(Refusal::Forbidden)
    );
    let t = token(&key, &good);
    let tampered = format!("{}x", &t[..t.len() - 1]);
    assert!(jwt::verify(&tampered, &jwks, &expect).is_err());
}

#[test]
fn the_accept_key_is_rfc_6455s_example() {
    assert_eq!(
        websocket::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn a_masked_client_frame_parses_and_an_unmasked_one_is_refused() {
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | 2, 1, 2, 3, 4];
    frame.extend(b"hi".iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    let (f, used) = websocket::parse(&frame).expect("ok").expect("whole");
    assert_eq!((f.opcode, f.payload.as_slice(), used), (1, &b"hi"[..], 8));
    assert_eq!(websocket::parse(&frame[..5]), Ok(None));
    assert!(websocket::parse(&[0x81, 0x02, b'h', b'i']).is_err());
}

#[test]
fn server_frames_use_the_extended_lengths() {
    assert_eq!(websocket::encode(1, &[0; 200])[1..4], [126, 0, 200]);
    assert_eq!(websocket::encode(1, &[0; 70_000])[1], 127);
}

#[test]
fn a_preflight_from_an_unlisted_origin_is_not_answered() {
    let c = json!({"AllowOrigins": ["https://a"], "AllowMethods": ["GET"], "MaxAge": 10});
    assert!(cors::preflight(&c, "https://b", "GET", None).is_none());
    let h = cors::preflight(&c, "https://a", "GET", None).expect("answered");
    assert!(h.contains(&("access-control-max-age".into(), "10".into())));
    assert!(cors::preflight(&c, "https://a", "DELETE", None).is_none());
}

#[test]
fn a_1_0_event_carries_jwt_claims_at_the_top_of_the_authorizer() {
    let mut s = served();
    s.authorizer = Some(json!({"jwt": {"claims": {"sub": "u"}, "scopes": null}}));
    let e = events::event_v1(&request(), &s);
    assert_eq!(
        e["requestContext"]["authorizer"]["claims"]["sub"],
        json!("u")
    );
    let e = events::event_v2(&request(), &s);
    assert_eq!(
        e["requestContext"]["authorizer"]["jwt"]["claims"]["sub"],
        json!("u")
    );
}

#[test]
fn deleting_an_api_closes_its_connections_only() {
    use crate::connections::{Connection, Connections, Outgoing};
    let connections = Connections::default();
    let (tx_a, mut rx_a) = tokio::sync::mpsc::unbounded_channel();
    let (tx_b, mut rx_b) = tokio::sync::mpsc::unbounded_channel();
    let conn = |api: &str, sender| Connection {
        api_id: api.into(),
        stage: "s".into(),
        connected_ms: 0,
        last_active_ms: 0,
        source_ip: String::new(),
        user_agent: String::new(),
        sender,
    };
    connections.add("a", conn("one", tx_a));
    connections.add("b", conn("two", tx_b));
    connections.close_api("one");
    assert_eq!(rx_a.try_recv(), Ok(Outgoing::Close));
    assert!(rx_b.try_recv().is_err());
    assert!(connections.get("a").is_none() && connections.get("b").is_some());
}

#[test]
fn parameter_mapping_appends_overwrites_and_removes_with_variables() {
    use crate::mapping::{apply, Forwarded};
    let mut req = request();
    req.headers.push(("X-Secret".into(), "s".into()));
    let mut s = served();
    s.path_parameters.insert("id".into(), "42".into());
    let mut f = Forwarded {
        path: None,
        query: vec![("x".into(), "1".into())],
        headers: req.headers.clone(),
    };
    let params = json!({
        "append:header.X-Request": "${context.requestId}",
        "overwrite:querystring.x": "$request.path.id",
        "remove:header.x-secret": "''",
        "overwrite:path": "/v2/items/${request.path.id}",
    });
    apply(Some(&params), &mut f, &req, &s, "/a");
    assert_eq!(f.path.as_deref(), Some("/v2/items/42"));
    assert_eq!(f.query, vec![("x".to_string(), "42".to_string())]);
    assert!(f.headers.contains(&("X-Request".into(), "rid".into())));
    assert!(!f
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-secret")));
}

#[test]
fn response_mapping_applies_to_the_answers_status_only() {
    use crate::events::HttpResponse;
    use crate::mapping::apply_response;
    let params = json!({"404": {"overwrite:statuscode": "204", "append:header.x-from": "$response.header.server"},
                        "500": {"overwrite:statuscode": "503"}});
    let mut r = HttpResponse {
        status: 404,
        headers: vec![("server".into(), "up".into())],
        body: Vec::new(),
    };
    apply_response(Some(&params), &mut r, &request(), &served(), "/a");
    assert_eq!(r.status, 204);
    assert!(r.headers.contains(&("x-from".into(), "up".into())));
    let mut ok = HttpResponse::message(200, "fine");
    apply_response(Some(&params), &mut ok, &request(), &served(), "/a");
    assert_eq!(ok.status, 200);
}

#[test]
fn a_throttled_route_admits_its_burst_then_its_rate() {
    use crate::throttle::{limits, Throttles};
    let stage = json!({"DefaultRouteSettings": {"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 2},
                       "RouteSettings": {"GET /free": {"ThrottlingRateLimit": 1000.0, "ThrottlingBurstLimit": 1000}}});
    let (rate, burst) = limits(&stage, "GET /a").expect("limited");
    assert_eq!((rate, burst), (1.0, 2.0));
    let t = Throttles::default();
    assert!(t.admit("k", rate, burst, 0));
    assert!(t.admit("k", rate, burst, 0));
    assert!(!t.admit("k", rate, burst, 10));
    assert!(t.admit("k", rate, burst, 1010));
    assert_eq!(limits(&stage, "GET /free"), Some((1000.0, 1000.0)));
    assert_eq!(limits(&json!({}), "GET /a"), None);
}

#[test]
fn an_access_log_line_fills_context_variables_and_dashes_unknown_ones() {
    use crate::access_log::{group_of, line};
    let vars = [
        ("requestId", "r1".to_string()),
        ("status", "200".to_string()),
    ];
    assert_eq!(
        line(
            r#"{"id":"$context.requestId","s":${context.status},"x":"$context.nope"}"#,
            &vars
        ),
        r#"{"id":"r1","s":200,"x":"-"}"#
    );
    assert_eq!(
        line("cost $5 $stageVariables.x", &vars),
        "cost $5 $stageVariables.x"
    );
    assert_eq!(
        group_of("arn:aws:logs:us-east-1:1:log-group:/api/access:*"),
        Some("/api/access")
    );
    assert_eq!(group_of("arn:aws:s3:::b"), None);
}
