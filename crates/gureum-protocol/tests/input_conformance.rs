//! Runs botocore's request-serialization cases in reverse: each case's
//! `serialized` HTTP request must route to `given.name` and parse back to
//! `params` (see `/work/shared/protocol-tests/README.md`, "Using these
//! cases to test a server", for the comparison rules implemented here).
//!
//! Client-only cases (`applies-to.json`) and request-compression cases
//! (no body given) are skipped; [`EXCEPTIONS`] lists the few others that a
//! server legitimately reads differently, each with its reason. Any other
//! failing case fails the test.

use base64::Engine as _;
use gureum_model::{MemberRef, Protocol, ServiceModel, Shape, ShapeType};
use gureum_protocol::{parse_request, resolve_operation, Request};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The protocol files run, with the protocol of their suites.
const FILES: &[&str] = &[
    "query.json",
    "ec2.json",
    "json.json",
    "json_1_0.json",
    "rest-json.json",
    "rest-xml.json",
    "smithy-rpc-v2-cbor.json",
];

/// Why the rest-xml query-string cases below are excepted.
const QUERY_MAP_TAKES_ALL: &str = "params leave out the `httpQueryParams` map \
    (queryParamsMapOfStrings), but on a server every query parameter also binds to that map, \
    named ones included: Smithy's server semantics, which the rest-json twin of each case \
    (RestJsonAllQueryStringTypes, …) asserts with the same wire request";

/// Cases a server reads differently from `params`, and why.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("AllQueryStringTypes", QUERY_MAP_TAKES_ALL),
    ("RestXmlQueryStringEscaping", QUERY_MAP_TAKES_ALL),
    ("RestXmlSupportsNaNFloatQueryValues", QUERY_MAP_TAKES_ALL),
    (
        "RestXmlSupportsInfinityFloatQueryValues",
        QUERY_MAP_TAKES_ALL,
    ),
    (
        "RestXmlSupportsNegativeInfinityFloatQueryValues",
        QUERY_MAP_TAKES_ALL,
    ),
    ("RestXmlZeroAndFalseQueryValues", QUERY_MAP_TAKES_ALL),
    (
        "AwsJson10EndpointTrait",
        "the serialized request carries no X-Amz-Target (the case only checks the host prefix), \
         so no server can route it",
    ),
    (
        "AwsJson10EndpointTraitWithHostLabel",
        "the serialized request carries no X-Amz-Target (the case only checks the host prefix), \
         so no server can route it",
    ),
];

/// Cases where `params` holds an empty collection that is not on the wire
/// at all, so "absent" is the only thing a server can see (README caveats).
const EMPTY_MAY_BE_ABSENT: &[&str] = &[
    "QueryEmptyQueryMaps",
    "Ec2EmptyQueryLists",
    "RestJsonOmitsEmptyListQueryValues",
];

fn data_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("GUREUM_PROTOCOL_TESTS") {
        return Some(PathBuf::from(dir));
    }
    // Canonicalize first: the crate may be reached through a symlink.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = std::fs::canonicalize(manifest).unwrap_or_else(|_| manifest.to_path_buf());
    let dir = base.join("../../../shared/protocol-tests");
    dir.is_dir().then_some(dir)
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn protocol_of(metadata: &Value) -> Protocol {
    let name = metadata["protocol"].as_str().unwrap_or("");
    Protocol::from_model_name(name, metadata["jsonVersion"].as_str())
        .unwrap_or_else(|| panic!("unknown protocol {name}"))
}

struct Case<'a> {
    id: String,
    model: ServiceModel,
    protocol: Protocol,
    case: &'a Value,
}

/// Builds the HTTP request of `serialized` and returns (method, path,
/// query, headers, body).
fn request_parts(case: &Value, protocol: Protocol) -> (String, String, String, HeaderMap, Vec<u8>) {
    let ser = &case["serialized"];
    let method = ser["method"]
        .as_str()
        .or(case["given"]["http"]["method"].as_str())
        .unwrap_or("POST")
        .to_string();
    let uri = ser["uri"].as_str().unwrap_or("/");
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut headers = HeaderMap::new();
    if let Some(h) = ser["headers"].as_object() {
        for (k, v) in h {
            let name = HeaderName::from_bytes(k.as_bytes()).unwrap_or_else(|e| panic!("{k}: {e}"));
            let value = HeaderValue::from_bytes(v.as_str().unwrap_or("").as_bytes())
                .unwrap_or_else(|e| panic!("{k}: {e}"));
            headers.append(name, value);
        }
    }
    let body = match ser["body"].as_str() {
        Some(b) if protocol == Protocol::RpcV2Cbor => base64::engine::general_purpose::STANDARD
            .decode(b)
            .unwrap_or_else(|e| panic!("cbor body: {e}")),
        Some(b) => b.as_bytes().to_vec(),
        None => Vec::new(),
    };
    (method, path.to_string(), query.to_string(), headers, body)
}

fn run_case(c: &Case<'_>) -> Result<(), String> {
    let (method, path, query, headers, body) = request_parts(c.case, c.protocol);
    let request = Request {
        method: &method,
        path: &path,
        query: &query,
        headers: &headers,
        body: &body,
    };
    let resolved = resolve_operation(&c.model, c.protocol, &request)
        .map_err(|e| format!("routing failed: {e:?}"))?;
    let want = c.case["given"]["name"].as_str().unwrap_or("");
    if resolved.operation.name != want {
        return Err(format!(
            "routed to {} instead of {want}",
            resolved.operation.name
        ));
    }
    let got = parse_request(&c.model, c.protocol, &resolved, &request)
        .map_err(|e| format!("parse failed: {e:?}"))?;
    let expected = &c.case["params"];
    let Some(input) = resolved.operation.input.as_ref() else {
        return match got.as_object() {
            Some(o) if o.is_empty() => Ok(()),
            _ => Err(format!("no input shape, but parsed {got}")),
        };
    };
    let shape = shape(&c.model, &input.shape)?;
    let cmp = Compare {
        model: &c.model,
        empty_may_be_absent: EMPTY_MAY_BE_ABSENT.contains(&c.id.as_str()),
    };
    cmp.value(shape, expected, &got, "")
        .map_err(|e| format!("{e}\n      expected {expected}\n      parsed   {got}"))
}

fn shape<'m>(model: &'m ServiceModel, name: &str) -> Result<&'m Shape, String> {
    model.shape(name).ok_or_else(|| format!("no shape {name}"))
}

struct Compare<'m> {
    model: &'m ServiceModel,
    empty_may_be_absent: bool,
}

fn is_empty_collection(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.is_empty()) || matches!(v, Value::Object(o) if o.is_empty())
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9_f64.max(a.abs().max(b.abs()) * 1e-12)
}

/// Numbers compared as numbers, everywhere inside a document.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => close(x, y),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

impl Compare<'_> {
    fn value(&self, shape: &Shape, want: &Value, got: &Value, path: &str) -> Result<(), String> {
        let fail = |why: &str| Err(format!("at '{path}': {why} (want {want}, got {got})"));
        if shape.document {
            return if json_equal(want, got) {
                Ok(())
            } else {
                fail("documents differ")
            };
        }
        match shape.kind {
            ShapeType::Structure => {
                let (Some(w), Some(g)) = (want.as_object(), got.as_object()) else {
                    return fail("not both objects");
                };
                for (name, r) in &shape.members {
                    let p = format!("{path}.{name}");
                    let wv = w.get(name).filter(|v| !v.is_null());
                    let gv = g.get(name);
                    let t = shape_of(self.model, r)?;
                    match (wv, gv) {
                        (None, None) => {}
                        (None, Some(_)) if r.idempotency_token => {}
                        // An unset structure payload is sent as `{}`: the
                        // server cannot tell it from an empty one.
                        (None, Some(gv))
                            if shape.payload.as_deref() == Some(name.as_str())
                                && is_empty_collection(gv) => {}
                        (None, Some(gv)) => return Err(format!("at '{p}': unexpected {gv}")),
                        (Some(_), None) if r.streaming || t.streaming => {}
                        (Some(wv), None) if self.empty_may_be_absent && is_empty_collection(wv) => {
                        }
                        (Some(wv), None) => return Err(format!("at '{p}': missing, want {wv}")),
                        (Some(wv), Some(gv)) => {
                            let prefix_headers = r.location.as_deref() == Some("headers");
                            if prefix_headers {
                                self.prefix_map(t, wv, gv, &p)?;
                            } else {
                                self.value(t, wv, gv, &p)?;
                            }
                        }
                    }
                }
                for k in g.keys() {
                    if !shape.members.contains_key(k) {
                        return Err(format!("at '{path}': unknown member {k} parsed"));
                    }
                }
                Ok(())
            }
            ShapeType::List => {
                let (Some(w), Some(g)) = (want.as_array(), got.as_array()) else {
                    return fail("not both arrays");
                };
                if w.len() != g.len() {
                    return fail("lengths differ");
                }
                let Some(m) = shape.member.as_deref() else {
                    return fail("no member");
                };
                let mt = shape_of(self.model, m)?;
                for (i, (a, b)) in w.iter().zip(g).enumerate() {
                    self.value(mt, a, b, &format!("{path}[{i}]"))?;
                }
                Ok(())
            }
            ShapeType::Map => {
                let (Some(w), Some(g)) = (want.as_object(), got.as_object()) else {
                    return fail("not both objects");
                };
                let Some(vr) = shape.value.as_deref() else {
                    return fail("no value");
                };
                let vt = shape_of(self.model, vr)?;
                let w: Vec<(&String, &Value)> = w.iter().filter(|(_, v)| !v.is_null()).collect();
                if w.len() != g.len() {
                    return fail("sizes differ");
                }
                for (k, a) in w {
                    let Some(b) = g.get(k) else {
                        return fail(&format!("key {k} missing"));
                    };
                    self.value(vt, a, b, &format!("{path}[{k}]"))?;
                }
                Ok(())
            }
            ShapeType::Timestamp => match (want.as_f64(), got.as_f64()) {
                (Some(a), Some(b)) if (a - b).abs() < 1e-3 => Ok(()),
                _ => fail("instants differ"),
            },
            ShapeType::Blob => {
                let want_bytes = want.as_str().unwrap_or("").as_bytes().to_vec();
                let got_bytes = got
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok());
                if got_bytes.as_deref() == Some(&want_bytes[..]) {
                    Ok(())
                } else {
                    fail("bytes differ")
                }
            }
            ShapeType::Float | ShapeType::Double | ShapeType::BigDecimal => match (want, got) {
                (Value::String(a), Value::String(b)) if a == b => Ok(()),
                (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
                    (Some(a), Some(b)) if close(a, b) => Ok(()),
                    _ => fail("numbers differ"),
                },
                _ => fail("floats differ"),
            },
            ShapeType::Integer
            | ShapeType::Long
            | ShapeType::Short
            | ShapeType::Byte
            | ShapeType::BigInteger => match (want.as_i64(), got.as_i64()) {
                (Some(a), Some(b)) if a == b => Ok(()),
                _ => fail("integers differ"),
            },
            ShapeType::String | ShapeType::Boolean => {
                if want == got {
                    Ok(())
                } else {
                    fail("values differ")
                }
            }
        }
    }

    /// Prefix-header maps: header names arrive lower-cased (HTTP/2 always
    /// does so), so keys compare case-insensitively.
    fn prefix_map(
        &self,
        shape: &Shape,
        want: &Value,
        got: &Value,
        path: &str,
    ) -> Result<(), String> {
        let lower = |v: &Value| -> Value {
            match v.as_object() {
                Some(o) => Value::Object(
                    o.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect(),
                ),
                None => v.clone(),
            }
        };
        self.value(shape, &lower(want), &lower(got), path)
    }
}

fn shape_of<'m>(model: &'m ServiceModel, r: &MemberRef) -> Result<&'m Shape, String> {
    shape(model, &r.shape)
}

/// The test files sometimes write a member's `xmlNamespace` as a bare URI
/// string; botocore's models (and gureum-model) use `{"uri": …}`.
fn normalize_namespaces(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("xmlNamespace", Value::String(uri)) => (k, json!({ "uri": uri })),
                    (_, v) => (k, normalize_namespaces(v)),
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize_namespaces).collect()),
        other => other,
    }
}

fn is_compression_case(id: &str) -> bool {
    id.starts_with("SDKAppliedContentEncoding") || id.starts_with("SDKAppend")
}

#[test]
fn botocore_input_cases_parse_back_to_their_params() {
    let Some(dir) = data_dir() else {
        println!("protocol tests not found (set GUREUM_PROTOCOL_TESTS); skipping");
        return;
    };
    let applies = load(&dir.join("applies-to.json"));
    let mut failures = Vec::new();
    let mut used_exceptions = Vec::new();
    for file in FILES {
        let suites = load(&dir.join("botocore/input").join(file));
        let client_only = &applies["input"][*file];
        let (mut passed, mut skipped, mut failed) = (0, 0, 0);
        for suite in suites.as_array().into_iter().flatten() {
            for case in suite["cases"].as_array().into_iter().flatten() {
                let id = case["id"].as_str().unwrap_or("").to_string();
                if client_only.get(&id).is_some() || is_compression_case(&id) {
                    skipped += 1;
                    continue;
                }
                if let Some((_, why)) = EXCEPTIONS.iter().find(|(e, _)| *e == id) {
                    used_exceptions.push(format!("{file} {id}: {why}"));
                    skipped += 1;
                    continue;
                }
                let name = case["given"]["name"].as_str().unwrap_or("");
                let model_json = json!({
                    "metadata": suite["metadata"],
                    "operations": {name: case["given"]},
                    "shapes": suite["shapes"],
                });
                let model =
                    match ServiceModel::from_json(&normalize_namespaces(model_json).to_string()) {
                        Ok(m) => m,
                        Err(e) => {
                            failed += 1;
                            failures.push(format!("{file} {id}: model did not load: {e}"));
                            continue;
                        }
                    };
                let c = Case {
                    id: id.clone(),
                    protocol: protocol_of(&suite["metadata"]),
                    model,
                    case,
                };
                match run_case(&c) {
                    Ok(()) => passed += 1,
                    Err(e) => {
                        failed += 1;
                        failures.push(format!("{file} {id}: {e}"));
                    }
                }
            }
        }
        println!("{file}: {passed} passed, {failed} failed, {skipped} skipped");
    }
    for e in &used_exceptions {
        println!("known exception: {e}");
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
