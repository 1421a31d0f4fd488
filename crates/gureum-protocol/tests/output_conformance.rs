//! Runs botocore's response test cases in reverse: serialize each case's
//! `result` (or error) with our serializer, then check the status, the
//! headers the case names, and that an independent client-side decoder
//! (`support::decode`) reads our body back to the expected value.
//!
//! See `shared/protocol-tests/README.md`, "Output cases test response
//! serialization", for the rules followed here.

mod support;

use gureum_core::AwsError;
use gureum_model::{MemberRef, Protocol, ServiceModel};
use gureum_protocol::{serialize_error, serialize_output, Response};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use support::decode::{canon, decode_error, decode_output, to_conventions};

const FILES: &[&str] = &[
    "query",
    "ec2",
    "json",
    "json_1_0",
    "json_1_0-query-compatible",
    "rest-json",
    "rest-xml",
    "smithy-rpc-v2-cbor",
];

/// Cases that fail for a known, accepted reason: id → reason.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[(
    "AwsJson11IntEnums",
    "the case names X-Amz-Target, a request header, among the response headers; a server does not echo it",
)];

/// The request id to serialize with: the one the case's response carries
/// (`parses_the_request_id_from_the_response` checks it), else a fixed one.
fn request_id(case: &Value) -> String {
    case["response"]["headers"]
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-requestid"))
                .and_then(|(_, v)| v.as_str())
        })
        .unwrap_or("test-request-id")
        .to_string()
}

/// An empty prefix-header map cannot be told from an absent one on the
/// wire (README: "where the wire cannot tell them apart, empty" = absent).
fn drop_empty_header_maps(model: &ServiceModel, shape_name: &str, value: &mut Value) {
    let (Some(shape), Some(obj)) = (model.shape(shape_name), value.as_object_mut()) else {
        return;
    };
    for (name, r) in &shape.members {
        if r.location.as_deref() == Some("headers")
            && obj
                .get(name)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
        {
            obj.remove(name);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/protocol-tests")
}

/// botocore test shapes sometimes write `xmlNamespace` as a bare URI
/// string; service models (and our model types) use `{"uri": …}`.
fn normalize_namespaces(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            for (k, item) in obj.iter_mut() {
                if k == "xmlNamespace" {
                    if let Value::String(uri) = item {
                        *item = json!({ "uri": uri.clone() });
                        continue;
                    }
                }
                normalize_namespaces(item);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_namespaces),
        _ => {}
    }
}

fn build_model(suite: &Value, given: &Value) -> Result<ServiceModel, String> {
    let name = given["name"].as_str().ok_or("given without name")?;
    let mut shapes = suite["shapes"].clone();
    normalize_namespaces(&mut shapes);
    let mut ops = Map::new();
    ops.insert(name.to_string(), given.clone());
    let doc = json!({ "metadata": suite["metadata"], "operations": ops, "shapes": shapes });
    ServiceModel::from_json(&doc.to_string()).map_err(|e| format!("model: {e}"))
}

fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Checks the headers a case names, except those bound to members (the
/// decoded value covers them) and `Content-Length` (the server sets it).
fn check_headers(expected: &Value, resp: &Response, bound: &[String]) -> Result<(), String> {
    let Some(obj) = expected.as_object() else {
        return Ok(());
    };
    for (name, want) in obj {
        let lower = name.to_ascii_lowercase();
        if lower == "content-length" || bound.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            continue;
        }
        let want = want.as_str().unwrap_or_default();
        let got = resp
            .header(name)
            .ok_or_else(|| format!("missing header {name}"))?;
        let same = if lower == "content-type" {
            media_type(got) == media_type(want)
        } else {
            got.trim() == want.trim()
        };
        if !same {
            return Err(format!("header {name}: got {got:?}, want {want:?}"));
        }
    }
    Ok(())
}

/// Header names bound to members of a shape (and `headers` prefixes).
fn bound_headers(model: &ServiceModel, shape_name: &str) -> Vec<String> {
    let Some(shape) = model.shape(shape_name) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (name, r) in &shape.members {
        match r.location.as_deref() {
            Some("header") => out.push(r.location_name.clone().unwrap_or_else(|| name.clone())),
            Some("headers") => {
                // Every header could belong to a prefix map; the decoded
                // value checks them.
                out.push(String::from("*"));
            }
            _ => {}
        }
    }
    out
}

fn run_success(model: &ServiceModel, protocol: Protocol, case: &Value) -> Result<(), String> {
    let op = model.operations.values().next().ok_or("no operation")?;
    let empty = json!({});
    let result = case.get("result").unwrap_or(&empty);
    let out_ref = op.output.clone().unwrap_or_default();
    let mut value = if op.output.is_some() {
        to_conventions(model, &out_ref, result)
    } else {
        json!({})
    };
    drop_empty_header_maps(model, &out_ref.shape, &mut value);
    let resp = serialize_output(model, protocol, op, &value, &request_id(case));
    let want_status = case["response"]["status_code"].as_u64().unwrap_or(200);
    if u64::from(resp.status) != want_status {
        return Err(format!("status {} != {want_status}", resp.status));
    }
    let mut bound = bound_headers(model, &out_ref.shape);
    if bound.iter().any(|b| b == "*") {
        bound = resp.headers.iter().map(|(n, _)| n.clone()).collect();
    }
    check_headers(&case["response"]["headers"], &resp, &bound)?;
    let decoded = decode_output(model, protocol, op, &resp)
        .map_err(|e| format!("decode: {e}\nbody: {}", String::from_utf8_lossy(&resp.body)))?;
    if op.output.is_none() {
        return Ok(());
    }
    let want = canon(model, &out_ref, &value);
    let got = canon(model, &out_ref, &decoded);
    if want != got {
        return Err(format!(
            "value mismatch\n want {want}\n  got {got}\n body {}",
            String::from_utf8_lossy(&resp.body)
        ));
    }
    Ok(())
}

fn run_error(model: &ServiceModel, protocol: Protocol, case: &Value) -> Result<(), String> {
    let op = model.operations.values().next().ok_or("no operation")?;
    let code = case["errorCode"].as_str().ok_or("no errorCode")?;
    let shape_ref: Option<MemberRef> = op
        .errors
        .iter()
        .find(|r| {
            r.shape == code
                || model
                    .shape(&r.shape)
                    .and_then(|s| s.error.as_ref()?.code.as_deref())
                    == Some(code)
        })
        .cloned();
    let shape = shape_ref.as_ref().and_then(|r| model.shape(&r.shape));
    let status = shape
        .and_then(|s| s.error.as_ref()?.http_status_code)
        .unwrap_or(if shape.is_some_and(|s| s.fault) {
            500
        } else {
            400
        });
    let empty = json!({});
    let fields_in = case.get("error").unwrap_or(&empty);
    let converted = match &shape_ref {
        Some(r) => to_conventions(model, r, fields_in),
        None => fields_in.clone(),
    };
    let mut message = case["errorMessage"].as_str().unwrap_or("").to_string();
    let mut err = AwsError::new(code, status, "");
    err.sender_fault = !shape.is_some_and(|s| s.fault);
    if let Some(obj) = converted.as_object() {
        for (k, v) in obj {
            if k.eq_ignore_ascii_case("message") {
                if let Some(m) = v.as_str() {
                    message = m.to_string();
                }
            } else {
                err.fields.push((k.clone(), v.clone()));
            }
        }
    }
    err.message = message;
    let resp = serialize_error(model, protocol, &err, &request_id(case));
    let want_status = case["response"]["status_code"].as_u64().unwrap_or(400);
    if u64::from(resp.status) != want_status {
        return Err(format!("status {} != {want_status}", resp.status));
    }
    let bound = shape_ref
        .as_ref()
        .map(|r| bound_headers(model, &r.shape))
        .unwrap_or_default();
    check_headers(&case["response"]["headers"], &resp, &bound)?;
    let (got_code, fields) = decode_error(model, protocol, shape_ref.as_ref(), &resp)
        .map_err(|e| format!("decode: {e}\nbody: {}", String::from_utf8_lossy(&resp.body)))?;
    if got_code != code {
        return Err(format!("code {got_code:?} != {code:?}"));
    }
    if let Some(r) = &shape_ref {
        let want = canon(model, r, &converted);
        let got = canon(model, r, &fields);
        if want != got {
            return Err(format!(
                "fields mismatch\n want {want}\n  got {got}\n body {}",
                String::from_utf8_lossy(&resp.body)
            ));
        }
    }
    Ok(())
}

#[test]
fn botocore_output_cases_parse_back_to_their_results() {
    let root = root();
    if !root.join("botocore/output").is_dir() {
        eprintln!("protocol tests not found at {}: skipped", root.display());
        return;
    }
    let applies: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("applies-to.json")).expect("applies-to.json"),
    )
    .expect("applies-to.json parses");
    let exceptions: HashMap<&str, &str> = KNOWN_EXCEPTIONS.iter().copied().collect();
    let mut failures = Vec::new();
    for file in FILES {
        let path = root.join(format!("botocore/output/{file}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("{file}: missing, skipped");
            continue;
        };
        let suites: Value = serde_json::from_str(&text).expect("test file parses");
        let skip = &applies["output"][format!("{file}.json")];
        let (mut pass, mut total, mut client, mut client_pass, mut excepted) = (0, 0, 0, 0, 0);
        for suite in suites.as_array().into_iter().flatten() {
            for case in suite["cases"].as_array().into_iter().flatten() {
                let id = case["id"].as_str().unwrap_or("?");
                let outcome = build_model(suite, &case["given"]).and_then(|model| {
                    let protocol = model.protocol().ok_or("unknown protocol")?;
                    if case.get("errorCode").is_some() {
                        run_error(&model, protocol, case)
                    } else {
                        run_success(&model, protocol, case)
                    }
                });
                if skip.get(id).and_then(Value::as_str) == Some("client") {
                    // Client-only: not required, but worth knowing whether
                    // our output still parses to the case's value.
                    client += 1;
                    client_pass += usize::from(outcome.is_ok());
                    continue;
                }
                total += 1;
                match outcome {
                    Ok(()) => pass += 1,
                    Err(e) => match exceptions.get(id) {
                        Some(_) => excepted += 1,
                        None => failures.push(format!("{file} {id}: {e}")),
                    },
                }
            }
        }
        println!(
            "{file}: {pass}/{total} pass, {excepted} known exceptions \
             ({client} client-only cases not required; {client_pass} of them pass anyway)"
        );
    }
    for (id, reason) in KNOWN_EXCEPTIONS {
        println!("known exception {id}: {reason}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
