//! Rule tests for request parsing, each named after the rule it pins, on
//! small hand-written models and on the real vendored ones (S3, Route 53,
//! EC2), plus a fuzz-style test: random bytes and truncations of valid
//! bodies must never panic any parser.

use super::*;
use crate::{validate, ParseError, Request};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};
use std::sync::Arc;

struct Req {
    method: &'static str,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &'static str, uri: &str) -> Req {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        Req {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    fn header(mut self, name: &str, value: &str) -> Req {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            self.headers.append(n, v);
        }
        self
    }

    fn body(mut self, body: impl AsRef<[u8]>) -> Req {
        self.body = body.as_ref().to_vec();
        self
    }

    fn as_request(&self) -> Request<'_> {
        Request {
            method: self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

fn model(v: Value) -> ServiceModel {
    ServiceModel::from_json(&v.to_string()).unwrap_or_else(|e| panic!("model: {e}"))
}

fn real(name: &str) -> Arc<ServiceModel> {
    gureum_model::load(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Routes and parses; the operation name and the value, or the error.
fn run(m: &ServiceModel, p: Protocol, r: &Req) -> Result<(String, Value), ParseError> {
    let req = r.as_request();
    let resolved = resolve_operation(m, p, &req)?;
    let v = parse_request(m, p, &resolved, &req)?;
    Ok((resolved.operation.name.clone(), v))
}

fn op_of(m: &ServiceModel, p: Protocol, r: &Req) -> String {
    match resolve_operation(m, p, &r.as_request()) {
        Ok(op) => op.operation.name.clone(),
        Err(e) => format!("{e:?}"),
    }
}

fn query_model(protocol: &str) -> ServiceModel {
    model(json!({
        "metadata": {"protocol": protocol, "apiVersion": "2020-01-01"},
        "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "required": ["Name"], "members": {
                "Name": {"shape": "S"},
                "List": {"shape": "L"},
                "Flat": {"shape": "L", "flattened": true},
                "Named": {"shape": "NamedL"},
                "Map": {"shape": "M"},
                "Count": {"shape": "I"},
                "When": {"shape": "T"},
                "label": {"shape": "S"}
            }},
            "S": {"type": "string", "min": 1},
            "I": {"type": "integer", "min": 1},
            "T": {"type": "timestamp"},
            "L": {"type": "list", "member": {"shape": "S"}},
            "NamedL": {"type": "list", "member": {"shape": "S", "locationName": "item"}},
            "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}}
        }
    }))
}

fn form(body: &str) -> Req {
    Req::new("POST", "/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

#[test]
fn query_flattened_list_uses_index_without_member() {
    let m = query_model("query");
    let got = run(&m, Protocol::Query, &form("Action=Op&Flat.2=b&Flat.1=a"));
    assert_eq!(got.map(|g| g.1), Ok(json!({"Flat": ["a", "b"]})));
}

#[test]
fn query_list_uses_member_or_the_member_location_name() {
    let m = query_model("query");
    let got = run(
        &m,
        Protocol::Query,
        &form("Action=Op&List.member.1=x&Named.item.1=y&Map.entry.1.key=k&Map.entry.1.value=v"),
    );
    assert_eq!(
        got.map(|g| g.1),
        Ok(json!({"List": ["x"], "Named": ["y"], "Map": {"k": "v"}}))
    );
}

#[test]
fn query_empty_value_is_an_empty_list() {
    let m = query_model("query");
    let got = run(&m, Protocol::Query, &form("Action=Op&List="));
    assert_eq!(got.map(|g| g.1), Ok(json!({"List": []})));
}

#[test]
fn query_huge_list_index_is_collected_sparsely() {
    let m = query_model("query");
    let got = run(
        &m,
        Protocol::Query,
        &form("Action=Op&List.member.99999999999=late&List.member.3=early"),
    );
    assert_eq!(got.map(|g| g.1), Ok(json!({"List": ["early", "late"]})));
}

#[test]
fn query_action_may_come_from_the_query_string() {
    let m = query_model("query");
    let got = run(
        &m,
        Protocol::Query,
        &Req::new("GET", "/?Action=Op&Name=a%20b+c"),
    );
    assert_eq!(got, Ok(("Op".into(), json!({"Name": "a b c"}))));
}

#[test]
fn query_unknown_or_missing_action_is_unknown_operation() {
    let m = query_model("query");
    assert_eq!(
        run(&m, Protocol::Query, &form("Action=Nope")),
        Err(ParseError::UnknownOperation("Nope".into()))
    );
    assert_eq!(
        run(&m, Protocol::Query, &form("Name=x")),
        Err(ParseError::UnknownOperation(String::new()))
    );
}

#[test]
fn query_bad_number_is_malformed() {
    let m = query_model("query");
    assert!(matches!(
        run(&m, Protocol::Query, &form("Action=Op&Count=ten")),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn ec2_names_are_capitalized_and_lists_have_no_member() {
    let m = query_model("ec2");
    let got = run(
        &m,
        Protocol::Ec2,
        &form("Action=Op&Label=l&List.1=a&List.2=b&When=2015-01-25T08%3A00%3A00Z"),
    );
    assert_eq!(
        got.map(|g| g.1),
        Ok(json!({"List": ["a", "b"], "When": 1422172800, "label": "l"}))
    );
}

#[test]
fn validation_reports_required_and_min_in_coral_paths() {
    let m = query_model("query");
    let Ok((_, v)) = run(
        &m,
        Protocol::Query,
        &form("Action=Op&Count=0&List.member.1="),
    ) else {
        panic!("parse failed");
    };
    let Some(shape) = m.shape("In") else {
        panic!("no In")
    };
    let issues: Vec<String> = validate(&m, shape, &v)
        .iter()
        .map(|i| format!("{}={}", i.path, i.constraint))
        .collect();
    assert_eq!(
        issues,
        vec![
            "name=Member must not be null",
            "list.1.member=Member must have length greater than or equal to 1",
            "count=Member must have value greater than or equal to 1",
        ]
    );
}

fn json_model() -> ServiceModel {
    model(json!({
        "metadata": {"protocol": "json", "jsonVersion": "1.1", "targetPrefix": "Logs_20140328"},
        "operations": {"PutThing": {"name": "PutThing", "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "members": {
                "name": {"shape": "S"},
                "count": {"shape": "I"},
                "when": {"shape": "T"},
                "data": {"shape": "B"},
                "inner": {"shape": "In"},
                "ratio": {"shape": "F"}
            }},
            "S": {"type": "string"},
            "I": {"type": "integer"},
            "T": {"type": "timestamp"},
            "B": {"type": "blob"},
            "F": {"type": "float"}
        }
    }))
}

fn json_req(body: &str) -> Req {
    Req::new("POST", "/")
        .header("x-amz-target", "Logs_20140328.PutThing")
        .header("content-type", "application/x-amz-json-1.1")
        .body(body)
}

#[test]
fn json_values_follow_the_conventions() {
    let m = json_model();
    let got = run(
        &m,
        Protocol::Json11,
        &json_req(
            r#"{"name":"a","count":3,"when":1.5,"data":"dmFsdWU=","ratio":1.1,"inner":{"name":null}}"#,
        ),
    );
    assert_eq!(
        got.map(|g| g.1),
        Ok(
            json!({"name": "a", "count": 3, "when": 1.5, "data": "dmFsdWU=", "ratio": 1.1, "inner": {}})
        )
    );
}

#[test]
fn json_target_prefix_must_match() {
    let m = json_model();
    let r = Req::new("POST", "/").header("x-amz-target", "Other.PutThing");
    assert!(matches!(
        run(&m, Protocol::Json11, &r),
        Err(ParseError::UnknownOperation(_))
    ));
}

#[test]
fn json_wrong_type_is_malformed_with_coral_words() {
    let m = json_model();
    assert_eq!(
        run(&m, Protocol::Json11, &json_req(r#"{"count":"3"}"#)),
        Err(ParseError::Malformed(
            "STRING_VALUE cannot be converted to Integer".into()
        ))
    );
}

#[test]
fn truncated_json_is_malformed_not_panic() {
    let m = json_model();
    let body = r#"{"name":"a","inner":{"count":1}}"#;
    for cut in 1..body.len() {
        let got = run(&m, Protocol::Json11, &json_req(&body[..cut]));
        assert!(
            matches!(got, Err(ParseError::Malformed(_))),
            "cut {cut}: {got:?}"
        );
    }
}

#[test]
fn json_deep_nesting_is_refused() {
    let m = json_model();
    let deep = r#"{"inner":"#.repeat(150) + "{}" + &"}".repeat(150);
    assert!(matches!(
        run(&m, Protocol::Json11, &json_req(&deep)),
        Err(ParseError::Malformed(_))
    ));
}

#[test]
fn cbor_routes_by_path_and_reads_tagged_timestamps() {
    let m = model(json!({
        "metadata": {"protocol": "smithy-rpc-v2-cbor"},
        "operations": {"Put": {"name": "Put", "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "members": {"t": {"shape": "T"}, "b": {"shape": "B"}}},
            "T": {"type": "timestamp"},
            "B": {"type": "blob"}
        }
    }));
    // {"t": 1(1.5), "b": h'6869'}
    let body = [
        0xa2, 0x61, b't', 0xc1, 0xf9, 0x3e, 0x00, 0x61, b'b', 0x42, b'h', b'i',
    ];
    let r = Req::new("POST", "/service/Svc/operation/Put").body(body);
    assert_eq!(
        run(&m, Protocol::RpcV2Cbor, &r),
        Ok(("Put".into(), json!({"t": 1.5, "b": "aGk="})))
    );
    let r = Req::new("POST", "/service/Svc/operation/Nope");
    assert!(matches!(
        run(&m, Protocol::RpcV2Cbor, &r),
        Err(ParseError::UnknownOperation(_))
    ));
}

#[test]
fn rest_route_prefers_more_specific_query_literal() {
    let s3 = real("s3");
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("GET", "/b")),
        "ListObjects"
    );
    assert_eq!(
        op_of(
            &s3,
            Protocol::RestXml,
            &Req::new("GET", "/b?list-type=2&prefix=x")
        ),
        "ListObjectsV2"
    );
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("GET", "/b?versioning")),
        "GetBucketVersioning"
    );
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("GET", "/")),
        "ListBuckets"
    );
}

#[test]
fn rest_route_shared_template_is_decided_by_required_bound_members() {
    let s3 = real("s3");
    let put = Req::new("PUT", "/b/k");
    assert_eq!(op_of(&s3, Protocol::RestXml, &put), "PutObject");
    let copy = Req::new("PUT", "/b/k").header("x-amz-copy-source", "/a/b");
    assert_eq!(op_of(&s3, Protocol::RestXml, &copy), "CopyObject");
    let part = Req::new("PUT", "/b/k?partNumber=1&uploadId=u");
    assert_eq!(op_of(&s3, Protocol::RestXml, &part), "UploadPart");
    let part_copy =
        Req::new("PUT", "/b/k?partNumber=1&uploadId=u").header("x-amz-copy-source", "/a/b");
    assert_eq!(op_of(&s3, Protocol::RestXml, &part_copy), "UploadPartCopy");
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("GET", "/b/k?uploadId=u")),
        "ListParts"
    );
    assert_eq!(
        op_of(
            &s3,
            Protocol::RestXml,
            &Req::new("DELETE", "/b/k?uploadId=u")
        ),
        "AbortMultipartUpload"
    );
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("DELETE", "/b/k")),
        "DeleteObject"
    );
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("GET", "/b?lifecycle")),
        "GetBucketLifecycleConfiguration"
    );
}

#[test]
fn rest_greedy_label_keeps_the_trailing_slash() {
    let s3 = real("s3");
    let got = run(
        &s3,
        Protocol::RestXml,
        &Req::new("PUT", "/b/folder/sub%20dir/"),
    );
    let Ok((op, v)) = got else { panic!("{got:?}") };
    assert_eq!(op, "PutObject");
    assert_eq!(v["Key"], json!("folder/sub dir/"));
    assert_eq!(
        op_of(&s3, Protocol::RestXml, &Req::new("GET", "/b/")),
        "ListObjects"
    );
}

#[test]
fn rest_route_tolerates_a_trailing_slash() {
    let r53 = real("route53");
    assert_eq!(
        op_of(
            &r53,
            Protocol::RestXml,
            &Req::new("GET", "/2013-04-01/hostedzone/")
        ),
        "ListHostedZones"
    );
    assert_eq!(
        op_of(
            &r53,
            Protocol::RestXml,
            &Req::new("GET", "/2013-04-01/hostedzone")
        ),
        "ListHostedZones"
    );
    assert_eq!(
        op_of(
            &r53,
            Protocol::RestXml,
            &Req::new("GET", "/2013-04-01/hostedzone/Z1")
        ),
        "GetHostedZone"
    );
}

#[test]
fn rest_unknown_route_is_unknown_operation() {
    let s3 = real("s3");
    assert!(matches!(
        run(&s3, Protocol::RestXml, &Req::new("PATCH", "/b")),
        Err(ParseError::UnknownOperation(_))
    ));
}

#[test]
fn rest_streaming_payload_stays_out_and_prefix_headers_form_a_map() {
    let s3 = real("s3");
    let r = Req::new("PUT", "/b/k")
        .header("x-amz-meta-color", "blue")
        .header("content-length", "5")
        .body("hello");
    let got = run(&s3, Protocol::RestXml, &r);
    assert_eq!(
        got.map(|g| g.1),
        Ok(json!({"Bucket": "b", "ContentLength": 5, "Key": "k", "Metadata": {"color": "blue"}}))
    );
}

#[test]
fn rest_xml_payload_structure_is_read_and_bad_xml_is_malformed_xml() {
    let s3 = real("s3");
    let good = Req::new("PUT", "/b?tagging").body(
        r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"#,
    );
    assert_eq!(
        run(&s3, Protocol::RestXml, &good).map(|g| g.1),
        Ok(json!({"Bucket": "b", "Tagging": {"TagSet": [{"Key": "a", "Value": "1"}]}}))
    );
    let bad = Req::new("PUT", "/b?tagging").body("<Tagging><TagSet></Tagging>");
    let err = run(&s3, Protocol::RestXml, &bad).err();
    let code = err.map(|e| e.to_aws_error(Protocol::RestXml, "s3").code);
    assert_eq!(code.as_deref(), Some("MalformedXML"));
}

#[test]
fn rest_routing_is_fast_and_cached() {
    let s3 = real("s3");
    let reqs = [
        Req::new("GET", "/bucket/some/long/key.txt"),
        Req::new("GET", "/bucket?list-type=2&prefix=a"),
        Req::new("PUT", "/bucket/k?partNumber=3&uploadId=abc"),
        Req::new("DELETE", "/bucket"),
    ];
    let start = std::time::Instant::now();
    let n = 2_000;
    for i in 0..n {
        let r = &reqs[i % reqs.len()];
        assert!(resolve_operation(&s3, Protocol::RestXml, &r.as_request()).is_ok());
    }
    let per = start.elapsed() / n as u32;
    // Generous for unoptimized builds on a loaded machine; release is ~µs.
    assert!(
        per < std::time::Duration::from_millis(2),
        "{per:?} per route"
    );
}

/// A tiny deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize, alphabet: &[u8]) -> Vec<u8> {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn fuzzed_bodies_never_panic_any_parser() {
    let jm = json_model();
    let qm = query_model("query");
    let em = query_model("ec2");
    let s3 = real("s3");
    let cbor_m = model(json!({
        "metadata": {"protocol": "smithy-rpc-v2-cbor"},
        "operations": {"Put": {"name": "Put", "input": {"shape": "In"}}},
        "shapes": {
            "In": {"type": "structure", "members": {
                "t": {"shape": "T"}, "b": {"shape": "B"}, "l": {"shape": "L"}, "m": {"shape": "M"}, "n": {"shape": "In"}
            }},
            "T": {"type": "timestamp"}, "B": {"type": "blob"},
            "L": {"type": "list", "member": {"shape": "In"}},
            "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "In"}},
            "S": {"type": "string"}
        }
    }));
    let seeds: [&[u8]; 4] = [
        br#"{"name":"a","count":3,"inner":{"when":"2015-01-25T08:00:00Z","data":"AA=="}}"#,
        b"Action=Op&List.member.1=a&Map.entry.1.key=k&Map.entry.1.value=v&Flat.1=x",
        br#"<Tagging><TagSet><Tag><Key>a&amp;</Key><Value><![CDATA[1]]></Value></Tag></TagSet></Tagging>"#,
        &[0xa2, 0x61, b't', 0xc1, 0xf9, 0x3e, 0x00, 0x61, b'l', 0x81, 0xa1, 0x61, b'n', 0xa0],
    ];
    let alphabet: Vec<u8> = (0..=255u8).collect();
    let syntax = b"{}[]<>/=&.:\"',0123456789aeflnrstuAEmember.entry.key.value \\";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for seed in seeds {
        for cut in 0..=seed.len() {
            bodies.push(seed[..cut].to_vec());
        }
        for _ in 0..200 {
            let mut b = seed.to_vec();
            for _ in 0..(1 + rng.next() % 4) {
                if b.is_empty() {
                    break;
                }
                let i = (rng.next() % b.len() as u64) as usize;
                b[i] = alphabet[(rng.next() % 256) as usize];
            }
            bodies.push(b);
        }
    }
    for _ in 0..300 {
        let n = (rng.next() % 64) as usize;
        let pick = if rng.next() & 1 == 0 {
            &alphabet[..]
        } else {
            &syntax[..]
        };
        bodies.push(rng.bytes(n, pick));
    }
    for body in &bodies {
        let _ = run(&jm, Protocol::Json11, &json_req("").body(body));
        let _ = run(&qm, Protocol::Query, &form("").body(body));
        let _ = run(&em, Protocol::Ec2, &form("").body(body));
        let mut with_action = b"Action=Op&".to_vec();
        with_action.extend_from_slice(body);
        let _ = run(&qm, Protocol::Query, &form("").body(&with_action));
        let _ = run(
            &s3,
            Protocol::RestXml,
            &Req::new("PUT", "/b?tagging").body(body),
        );
        let _ = run(
            &cbor_m,
            Protocol::RpcV2Cbor,
            &Req::new("POST", "/service/S/operation/Put").body(body),
        );
        if let Ok(text) = std::str::from_utf8(body) {
            // The same bytes as a path and query string.
            let uri = format!("/b/{}", text.replace(['?', '#', ' '], ""));
            let _ = run(&s3, Protocol::RestXml, &Req::new("GET", &uri));
        }
    }
}
